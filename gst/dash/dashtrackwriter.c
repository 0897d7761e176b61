/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A representation's segment being written.  See dashtrackwriter.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dashtrackwriter.h"
#include "segmenter.h"
#include "cmafwriter.h"

struct _DashTrackWriter
{
  GMutex lock;
  gchar *rep_id;
  DashSegmentFile *file;        /* the open segment */
  gboolean low_latency;
  guint32 fragment_seq;
  gint64 prt_wallclock_us;      /* prft of the open segment */
  guint64 prt_ticks;
};

DashTrackWriter *
dash_track_writer_new (const gchar * rep_id)
{
  DashTrackWriter *w = g_new0 (DashTrackWriter, 1);

  g_mutex_init (&w->lock);
  w->rep_id = g_strdup (rep_id);
  return w;
}

void
dash_track_writer_free (DashTrackWriter * w)
{
  dash_track_writer_abandon (w);
  g_mutex_clear (&w->lock);
  g_free (w->rep_id);
  g_free (w);
}

void
dash_track_writer_reset (DashTrackWriter * w)
{
  g_mutex_lock (&w->lock);
  w->fragment_seq = 0;
  g_mutex_unlock (&w->lock);
}

void
dash_track_writer_begin (DashTrackWriter * w, DashOutput * out,
    guint64 key, guint64 ahead, const gchar * name, gboolean low_latency)
{
  g_mutex_lock (&w->lock);
  g_clear_pointer (&w->file, dash_segment_file_abandon);
  w->file = dash_output_segment_begin (out, w->rep_id, key, ahead, name,
      low_latency);
  w->low_latency = low_latency;
  w->prt_wallclock_us = 0;
  w->prt_ticks = 0;
  g_mutex_unlock (&w->lock);
}

/* styp (and prft) before the first chunk of a segment */
static void
write_segment_header (DashTrackWriter * w, GByteArray * hdr,
    const SegSample * first)
{
  cmaf_write_styp (hdr);
  if (w->low_latency) {
    /* the wall-clock time at which the segment's first sample reached
     * the sink (about when the encoder output it), repeated in the MPD's
     * ProducerReferenceTime */
    gint64 wall = first->arrival + g_get_real_time () - g_get_monotonic_time ();
    guint64 pts = (guint64) MAX ((gint64) first->ticks + first->cts, 0);
    cmaf_write_prft (hdr, 1, wall, pts, CMAF_PRFT_ENCODER_OUTPUT);
    w->prt_wallclock_us = wall;
    w->prt_ticks = pts;
  }
}

static gboolean
append_locked (DashTrackWriter * w, GArray * samples, guint64 end_ticks,
    GError ** error)
{
  guint n = samples->len, i, nmaps = 0, niov = 0, max_maps = 0;
  CmafSample *cs = g_new (CmafSample, n);
  GByteArray *hdr = g_byte_array_sized_new (128 + 16 * n);
  GstMapInfo *maps;
  struct iovec *iov;
  gboolean ok = TRUE;

  for (i = 0; i < n; i++) {
    SegSample *x = &g_array_index (samples, SegSample, i);
    guint64 next = i + 1 < n ?
        g_array_index (samples, SegSample, i + 1).ticks : end_ticks;
    cs[i].duration = (guint32) MIN (next - x->ticks, G_MAXUINT32);
    cs[i].size = gst_buffer_get_size (x->data);
    cs[i].flags = x->key ? CMAF_SAMPLE_FLAGS_SYNC : CMAF_SAMPLE_FLAGS_NON_SYNC;
    cs[i].cts_offset = x->cts;
    max_maps += gst_buffer_n_memory (x->data);
  }
  if (dash_segment_file_is_empty (w->file))
    write_segment_header (w, hdr, &g_array_index (samples, SegSample, 0));
  cmaf_write_chunk_header (hdr, ++w->fragment_seq, 1,
      g_array_index (samples, SegSample, 0).ticks, cs, n);
  g_free (cs);

  /* the mdat payload straight from the buffers' memory */
  maps = g_new (GstMapInfo, max_maps);
  iov = g_new (struct iovec, max_maps + 1);
  iov[niov].iov_base = hdr->data;
  iov[niov++].iov_len = hdr->len;
  for (i = 0; i < n && ok; i++) {
    GstBuffer *buf = g_array_index (samples, SegSample, i).data;
    guint m, nm = gst_buffer_n_memory (buf);
    for (m = 0; m < nm; m++) {
      GstMemory *mem = gst_buffer_peek_memory (buf, m);
      if (!gst_memory_map (mem, &maps[nmaps], GST_MAP_READ)) {
        g_set_error (error, DASH_OUTPUT_ERROR, DASH_OUTPUT_ERROR_WRITE,
            "Could not read a buffer of %s", w->rep_id);
        ok = FALSE;
        break;
      }
      iov[niov].iov_base = maps[nmaps].data;
      iov[niov++].iov_len = maps[nmaps].size;
      nmaps++;
    }
  }
  if (ok)
    ok = dash_segment_file_append (w->file, iov, niov, error);
  for (i = 0; i < nmaps; i++)
    gst_memory_unmap (maps[i].memory, &maps[i]);
  g_free (maps);
  g_free (iov);
  g_byte_array_unref (hdr);
  if (!ok)
    g_clear_pointer (&w->file, dash_segment_file_abandon);
  return ok;
}

DashTrackResult
dash_track_writer_write (DashTrackWriter * w, GArray * samples,
    guint64 end_ticks, DashTrackSegment * finished, GError ** error)
{
  DashTrackResult res = DASH_TRACK_OK;

  g_mutex_lock (&w->lock);
  if (w->file == NULL) {
    res = DASH_TRACK_GONE;
  } else if (samples->len > 0 && !append_locked (w, samples, end_ticks, error)) {
    res = DASH_TRACK_ERROR;
  } else if (finished) {
    finished->size = dash_segment_file_get_size (w->file);
    finished->prt_wallclock_us = w->prt_wallclock_us;
    finished->prt_ticks = w->prt_ticks;
    if (!dash_segment_file_publish (w->file, error))
      res = DASH_TRACK_ERROR;
    w->file = NULL;
  }
  g_mutex_unlock (&w->lock);
  return res;
}

void
dash_track_writer_abandon (DashTrackWriter * w)
{
  g_mutex_lock (&w->lock);
  g_clear_pointer (&w->file, dash_segment_file_abandon);
  g_mutex_unlock (&w->lock);
}
