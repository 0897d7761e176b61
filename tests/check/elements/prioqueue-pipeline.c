/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A real pipeline: live H.264 with B-frames (x264enc bframes=2
 * key-int-max=30) and live audio share one prioqueue (request pad for the
 * audio); the video consumer is slower than the source (identity
 * sleep-time=50 ms for 33 ms frames), so a third of the frames must go.
 * Asserted: the decoder never gets a picture whose reference is missing
 * (checked on the codec's own frame_num, not on prioqueue's
 * classification), libav reports no error, every decoded frame comes out,
 * no audio is lost, no HIGH buffer is dropped while a lower class was
 * queued, and no buffer leaves later than max-size-time plus one frame
 * after it entered. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "../h264refcheck.h"

/* Under valgrind (scripts/test-valgrind.sh) everything runs tens of times
 * slower than the live sources: the memory checks stay, the timing
 * assertions (latency, no HIGH loss, all audio) are skipped. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define MAX_TIME (200 * GST_MSECOND)
#define FRAME_DUR (GST_SECOND / 30)

typedef struct
{
  GMutex lock;

  /* video into prioqueue */
  GstClockTime in_end;          /* running time of the newest input's end */
  GHashTable *entered;          /* pts -> monotonic µs */
  guint video_in;
  /* video out of prioqueue */
  guint video_out;
  GstClockTimeDiff max_age;     /* running time */
  gint64 max_wall;              /* µs */
  guint late;

  /* audio */
  guint audio_in, audio_out;

  /* decoder */
  H264RefCheck check;
  guint decoded;

  /* libav log */
  guint libav_errors;
} Ctx;

static Ctx *log_ctx;

static void
libav_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level <= GST_LEVEL_WARNING && log_ctx &&
      g_str_equal (gst_debug_category_get_name (category), "libav"))
    g_atomic_int_inc (&log_ctx->libav_errors);
}

static GstClockTime
buffer_running_time (GstPad * pad, GstBuffer * buf)
{
  GstEvent *ev = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *seg;
  guint64 rt = 0;
  gint sign;

  fail_unless (ev != NULL);
  gst_event_parse_segment (ev, &seg);
  sign = gst_segment_to_running_time_full (seg, GST_FORMAT_TIME,
      GST_BUFFER_DTS_OR_PTS (buf), &rt);
  gst_event_unref (ev);
  return sign > 0 ? rt : 0;
}

static GstPadProbeReturn
video_in_probe (GstPad * pad, GstPadProbeInfo * info, Ctx * ctx)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime rt = buffer_running_time (pad, buf);

  g_mutex_lock (&ctx->lock);
  ctx->video_in++;
  ctx->in_end = MAX (ctx->in_end, rt + GST_BUFFER_DURATION (buf));
  g_hash_table_insert (ctx->entered,
      GSIZE_TO_POINTER ((gsize) GST_BUFFER_PTS (buf)),
      GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
  g_mutex_unlock (&ctx->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
video_out_probe (GstPad * pad, GstPadProbeInfo * info, Ctx * ctx)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime rt = buffer_running_time (pad, buf);
  gpointer entered;
  GstClockTimeDiff age;

  g_mutex_lock (&ctx->lock);
  ctx->video_out++;
  /* in_end includes the buffer the sink probe has seen but the chain
   * function may not have queued yet: one frame of slack, as promised */
  age = (GstClockTimeDiff) ctx->in_end - (GstClockTimeDiff) rt;
  ctx->max_age = MAX (ctx->max_age, age);
  if (age > (GstClockTimeDiff) (MAX_TIME + FRAME_DUR))
    ctx->late++;
  if (g_hash_table_lookup_extended (ctx->entered,
          GSIZE_TO_POINTER ((gsize) GST_BUFFER_PTS (buf)), NULL, &entered))
    ctx->max_wall = MAX (ctx->max_wall,
        g_get_monotonic_time () - (gint64) GPOINTER_TO_SIZE (entered));
  g_mutex_unlock (&ctx->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, guint * counter)
{
  g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
decoder_in_probe (GstPad * pad, GstPadProbeInfo * info, Ctx * ctx)
{
  h264_ref_check_push (&ctx->check, GST_PAD_PROBE_INFO_BUFFER (info), 0);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement * pipeline, const gchar * element, const gchar * pad,
    GstPadProbeCallback cb, gpointer data)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *p;

  fail_unless (e != NULL);
  p = gst_element_get_static_pad (e, pad);
  fail_unless (p != NULL, "no pad %s.%s", element, pad);
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, cb, data, NULL);
  gst_object_unref (p);
  gst_object_unref (e);
}

static guint64
stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

GST_START_TEST (test_slow_consumer_h264_and_audio)
{
  GstElement *pipeline, *q;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  Ctx ctx;
  guint64 reported = 0, dropped_total;
  guint warnings = 0;
  gboolean eos = FALSE;
  gint64 deadline;
  gchar *desc;

  memset (&ctx, 0, sizeof (ctx));
  g_mutex_init (&ctx.lock);
  ctx.entered = g_hash_table_new (NULL, NULL);
  h264_ref_check_init (&ctx.check);
  log_ctx = &ctx;
  /* libav's error log lines (GStreamer keeps, and valgrind reports, the
   * old list of log functions when one is added: not under valgrind) */
  if (!RUNNING_ON_VALGRIND) {
    gst_debug_set_threshold_for_name ("libav", GST_LEVEL_WARNING);
    gst_debug_add_log_function (libav_log, NULL, NULL);
  }

  desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=150 "
      "pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast bframes=2 key-int-max=30 ! "
      "h264parse ! video/x-h264,stream-format=byte-stream,alignment=au ! "
      "prioqueue name=q max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=%" G_GUINT64_FORMAT " drop-message-interval=0 ! "
      "identity name=slow sleep-time=50000 ! avdec_h264 name=dec ! "
      "fakesink name=vsink sync=false async=false "
      "audiotestsrc is-live=true num-buffers=250 samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000,channels=1 ! q.sink_1 "
      "q.src_1 ! fakesink name=asink sync=false async=false", MAX_TIME);
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  q = gst_bin_get_by_name (GST_BIN (pipeline), "q");
  {
    GstPad *sink1 = gst_element_get_static_pad (q, "sink_1");
    fail_unless (sink1 != NULL);
    g_object_set (sink1, "priority", 100, NULL);
    gst_object_unref (sink1);
  }

  add_probe (pipeline, "q", "sink", (GstPadProbeCallback) video_in_probe,
      &ctx);
  add_probe (pipeline, "q", "src", (GstPadProbeCallback) video_out_probe,
      &ctx);
  add_probe (pipeline, "q", "sink_1", (GstPadProbeCallback) count_probe,
      &ctx.audio_in);
  add_probe (pipeline, "q", "src_1", (GstPadProbeCallback) count_probe,
      &ctx.audio_out);
  add_probe (pipeline, "dec", "sink", (GstPadProbeCallback) decoder_in_probe,
      &ctx);
  add_probe (pipeline, "dec", "src", (GstPadProbeCallback) count_probe,
      &ctx.decoded);

  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (!eos && g_get_monotonic_time () < deadline) {
    msg = gst_bus_timed_pop (bus, 100 * GST_MSECOND);
    if (msg == NULL)
      continue;
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        eos = TRUE;
        break;
      case GST_MESSAGE_ERROR:{
        GError *e = NULL;
        gst_message_parse_error (msg, &e, NULL);
        fail ("error from %s: %s", GST_OBJECT_NAME (msg->src), e->message);
        break;
      }
      case GST_MESSAGE_WARNING:{
        GError *e = NULL;
        gst_message_parse_warning (msg, &e, NULL);
        GST_WARNING ("warning from %s: %s", GST_OBJECT_NAME (msg->src),
            e->message);
        g_error_free (e);
        warnings++;
        break;
      }
      case GST_MESSAGE_ELEMENT:
        if (gst_message_has_name (msg, "prioqueue-dropped")) {
          guint64 count;
          fail_unless (gst_structure_get_uint64 (gst_message_get_structure
                  (msg), "count", &count));
          reported += count;
        }
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  fail_unless (eos, "no EOS in time");

  GST_INFO ("video in %u out %u, decoded %u of %u, audio %u/%u, max age %"
      GST_STIME_FORMAT " (wall %" G_GINT64_FORMAT " us), dropped low %"
      G_GUINT64_FORMAT " normal %" G_GUINT64_FORMAT " high %" G_GUINT64_FORMAT
      ", libav errors %u", ctx.video_in, ctx.video_out, ctx.decoded,
      ctx.check.frames, ctx.audio_in, ctx.audio_out,
      GST_STIME_ARGS (ctx.max_age), ctx.max_wall, stat_u64 (q,
          "dropped-low"), stat_u64 (q, "dropped-normal"), stat_u64 (q,
          "dropped-high"), ctx.libav_errors);

  /* the consumer is slow: something had to go, B-frames first */
  fail_unless (stat_u64 (q, "dropped-low") > 0);
  fail_unless (ctx.video_out < ctx.video_in);
  fail_unless (stat_u64 (q, "out-normal") > 0);

  /* decodable: by the codec's frame_num, by libav, by the frame count */
  fail_unless_equals_int (ctx.check.unparsable, 0);
  fail_unless_equals_int (ctx.check.gaps, 0);
  fail_unless_equals_int (ctx.check.undecodable, 0);
  fail_unless_equals_int (ctx.check.frames, ctx.video_out);
  fail_unless_equals_int (ctx.libav_errors, 0);
  fail_unless_equals_int (ctx.decoded, ctx.check.frames);
  fail_unless (ctx.check.keyframes >= 4);

  /* HIGH: never while something lower was queued */
  fail_unless_equals_uint64 (stat_u64 (q, "high-dropped-lower-queued"), 0);
  fail_unless_equals_int (ctx.audio_in, 250);

  if (!RUNNING_ON_VALGRIND) {
    /* the audio keeps up: all of it there, no HIGH loss at all */
    fail_unless_equals_int (ctx.audio_out, ctx.audio_in);
    fail_unless_equals_uint64 (stat_u64 (q, "dropped-high"), 0);
    fail_unless_equals_int (warnings, 0);

    /* latency bound, on running time */
    fail_unless_equals_int (ctx.late, 0);
    fail_unless (ctx.max_age <= (GstClockTimeDiff) (MAX_TIME + FRAME_DUR));
  }

  /* every drop was reported */
  dropped_total = stat_u64 (q, "dropped-low") + stat_u64 (q,
      "dropped-normal") + stat_u64 (q, "dropped-high");
  fail_unless_equals_uint64 (reported, dropped_total);
  if (!RUNNING_ON_VALGRIND)
    fail_unless_equals_uint64 (dropped_total, ctx.video_in - ctx.video_out);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* the log function stays installed, idle: removing one makes GStreamer
   * drop (leak) its old list of log functions */
  log_ctx = NULL;
  gst_object_unref (q);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  h264_ref_check_clear (&ctx.check);
  g_hash_table_unref (ctx.entered);
  g_mutex_clear (&ctx.lock);
}

GST_END_TEST;

static Suite *
prioqueue_pipeline_suite (void)
{
  Suite *s = suite_create ("prioqueue-pipeline");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_slow_consumer_h264_and_audio);

  return s;
}

GST_CHECK_MAIN (prioqueue_pipeline);
