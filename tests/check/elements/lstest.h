/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Test kit shared by the reliability tests (statechange, badinput): finds
 * every element of the plug-in in the registry, picks for each of its sink
 * pads a real encoded stream it accepts (made once per run by x264enc,
 * avenc_aac (voaacenc under valgrind), rtph264pay, mpegtsmux), and sets the
 * properties an element needs to run in a test (output directory, ports).
 * A new element of the plug-in is covered without touching these tests. */

#ifndef __LSTEST_H__
#define __LSTEST_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  const gchar *name;            /* "h264-au", "aac", ... */
  GstCaps *caps;
  GPtrArray *buffers;           /* GstBuffer, PTS/DTS from 0, chunk meta */
  GstClockTime duration;        /* of all buffers: the loop offset */
} LsStream;

/* Make the sample streams (once per process). Call it inside a test, never
 * before GstCheck forks: the thread pools of the pipelines that make them
 * would point at threads the forked child does not have. */
void ls_init (void);

/* Element factories of the livestream plug-in, sorted by name (free with
 * gst_plugin_feature_list_free) */
GList *ls_plugin_factories (void);

/* The first sample stream whose caps the template caps accept, ANY caps
 * get H.264 (byte-stream, AU) with chunk meta; NULL if none fits */
const LsStream *ls_stream_for_caps (GstCaps * templ_caps);
const LsStream *ls_stream_by_name (const gchar * name);
/* Same for a pad template: ANY caps on a pad named "audio..." get AAC */
const LsStream *ls_stream_for_template (GstPadTemplate * templ);

/* Buffer @i of an endless loop over @stream: timestamps keep increasing,
 * chunk meta seqnum = @i; a new buffer (ref) */
GstBuffer *ls_stream_get (const LsStream * stream, guint64 i);

/* Buffers made by ls_stream_get() that are still alive: 0 once a pipeline
 * that received them is gone, or something leaked them */
gint ls_live_buffers (void);

/* Output directories to a fresh temporary directory, ports to 0 /
 * a free one. @tmpdir is created by the caller. */
void ls_configure_element (GstElement * element, const gchar * tmpdir);

/* The src pad template that goes with a sink pad template
 * ("sink" -> "src", "video_sink" -> "video_src", "sink_%u" -> "src_%u"),
 * or NULL */
GstPadTemplate *ls_src_template_for (GstElement * element,
    GstPadTemplate * sink_templ);

/* Resident set size of this process, bytes */
guint64 ls_rss_bytes (void);

/* Fields of the element's "stats" structure (if any) whose name says that
 * something was dropped or rejected, summed */
guint64 ls_stats_drop_count (GstElement * element, gchar ** stats_str);

/* Remove a directory tree (test output) */
void ls_rm_rf (const gchar * path);

/* What bounds a wait for something that takes milliseconds is multiplied
 * by: 20 under valgrind (meson test --setup valgrind sets
 * LS_UNDER_VALGRIND), else 1.  Header-only: tests that do not link
 * lstest.c use it too. */
static inline gint64
ls_time_scale (void)
{
  return g_getenv ("LS_UNDER_VALGRIND") ? 20 : 1;
}

G_END_DECLS

#endif /* __LSTEST_H__ */
