/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One representation's media segment being written: the segmenter's
 * samples (SegSample whose data is a GstBuffer) turned into CMAF chunks
 * (styp, prft at low latency, moof+mdat with the payload straight from
 * the buffers' memory) in the output directory.
 *
 * Its own mutex makes it safe to use from the thread of its pad and from
 * another pad's thread that finishes it (at the reference's EOS); no
 * other lock is taken while writing. */

#ifndef __DASH_TRACK_WRITER_H__
#define __DASH_TRACK_WRITER_H__

#include <gst/gst.h>

#include "dashoutput.h"

G_BEGIN_DECLS

typedef struct _DashTrackWriter DashTrackWriter;

typedef struct {
  guint64 size;                 /* bytes of the segment */
  gint64 prt_wallclock_us;      /* its prft, 0 = none (not low latency) */
  guint64 prt_ticks;
} DashTrackSegment;

DashTrackWriter *dash_track_writer_new (const gchar * rep_id);
void dash_track_writer_free (DashTrackWriter * w);

/* A new run: fragment sequence numbers from 1 again */
void dash_track_writer_reset (DashTrackWriter * w);

/* Segment @name (@key: the number in it, @ahead: see
 * dash_output_segment_begin()) begins in @out (a segment still open is
 * abandoned).  @low_latency: chunks are announced as they are written,
 * with a prft. */
void dash_track_writer_begin (DashTrackWriter * w, DashOutput * out,
    guint64 key, guint64 ahead, const gchar * name, gboolean low_latency);

typedef enum {
  DASH_TRACK_OK,
  DASH_TRACK_GONE,              /* no segment open: it was abandoned */
  DASH_TRACK_ERROR,             /* the segment was abandoned, see error */
} DashTrackResult;

/* Appends @samples (SegSample, the last one ending at @end_ticks, maybe
 * none) to the open segment as one chunk; with @finished, the segment is
 * then complete: published and described in @finished. */
DashTrackResult dash_track_writer_write (DashTrackWriter * w,
    GArray * samples, guint64 end_ticks, DashTrackSegment * finished,
    GError ** error);

/* The open segment (if any) goes */
void dash_track_writer_abandon (DashTrackWriter * w);

G_END_DECLS

#endif /* __DASH_TRACK_WRITER_H__ */
