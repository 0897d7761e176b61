/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's segmenter: where segments and chunks are
 * cut, shared boundaries, periods, gaps, EOS, predictions and when the
 * manifests are due.  No pipeline, no files, no clock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "segmenter.h"
#include "dashtime.h"

#define MS G_GUINT64_CONSTANT (1000000)
#define SEC (1000 * MS)
#define VIDEO_TS 90000
#define AUDIO_TS 48000
#define FRAME_NS (SEC / 30)
#define AAC_NS(i) (gst_util_uint64_scale ((i), 1024 * SEC, AUDIO_TS))

/* What the operations said, per track */
/* A chunk (CHUNK, or a FINISH with samples) */
typedef struct
{
  guint64 number;
  guint part;
  guint64 start_ticks, end_ticks;
  guint64 start_ns;
  guint samples;
  gboolean key;                 /* starts with a sync sample */
  gboolean last;                /* the segment's last (FINISH) */
} Part;

typedef struct
{
  GArray *starts;               /* SegOp copies (no samples) */
  GArray *finishes;             /* SegOp copies (no samples) */
  GArray *parts;                /* Part */
  guint chunks, chunk_samples, finish_samples;
  guint drops, errors, ends;
} Record;

typedef struct
{
  Segmenter *seg;
  SegTrack *v, *a;
  Record rv, ra;
  guint freed;                  /* samples the segmenter dropped itself */
  guint pushed_v, pushed_a;
} Sim;

static Sim *current;

static void
count_free (gpointer data)
{
  current->freed++;
}

static Record *
record_of (Sim * sim, SegTrack * t)
{
  return t == sim->v ? &sim->rv : &sim->ra;
}

static void
take_ops (Sim * sim, GArray * ops)
{
  guint i;

  for (i = 0; i < ops->len; i++) {
    SegOp *op = &g_array_index (ops, SegOp, i);
    Record *r = record_of (sim, op->track);
    SegOp copy = *op;

    copy.samples = NULL;
    copy.message = copy.debug = NULL;
    if ((op->kind == SEG_OP_CHUNK || op->kind == SEG_OP_FINISH) &&
        op->samples->len > 0) {
      const SegSample *x = &g_array_index (op->samples, SegSample, 0);
      Part p = { 0, };
      p.number = op->number;
      p.part = op->part;
      p.start_ticks = x->ticks;
      p.start_ns = x->dec_ns;
      p.end_ticks = op->end_ticks;
      p.samples = op->samples->len;
      p.key = x->key;
      p.last = op->kind == SEG_OP_FINISH;
      g_array_append_val (r->parts, p);
    }
    switch (op->kind) {
      case SEG_OP_START:
        g_array_append_val (r->starts, copy);
        break;
      case SEG_OP_CHUNK:
        r->chunks++;
        r->chunk_samples += op->samples->len;
        fail_unless (op->samples->len > 0);
        break;
      case SEG_OP_FINISH:
        r->finish_samples += op->samples->len;
        g_array_append_val (r->finishes, copy);
        break;
      case SEG_OP_DROP:
        r->drops++;
        break;
      case SEG_OP_ERROR:
        r->errors++;
        break;
      case SEG_OP_END:
        r->ends++;
        break;
    }
    /* samples handed out are the caller's: not freed by the segmenter */
    if (op->samples) {
      g_array_free (op->samples, TRUE);
      op->samples = NULL;
    }
    seg_op_clear (sim->seg, op);
  }
  g_array_set_size (ops, 0);
}

static Sim *
sim_new (guint64 seg_dur, guint64 chunk_dur, gboolean audio)
{
  Sim *sim = g_new0 (Sim, 1);
  SegmenterConfig cfg = { 0, };

  current = sim;
  cfg.segment_duration = seg_dur;
  cfg.chunk_duration = chunk_dur;
  cfg.manifest_min_interval = SEC;
  cfg.free_data = count_free;
  sim->seg = segmenter_new (&cfg);
  sim->v = segmenter_add_track (sim->seg, SEG_TRACK_VIDEO, 0, "video_0", NULL);
  segmenter_track_set_format (sim->v, VIDEO_TS, 30, 1, 0);
  if (audio) {
    sim->a = segmenter_add_track (sim->seg, SEG_TRACK_AUDIO, 0, "audio_0",
        NULL);
    segmenter_track_set_format (sim->a, AUDIO_TS, 0, 1, 1024);
  }
  sim->rv.starts = g_array_new (FALSE, FALSE, sizeof (SegOp));
  sim->rv.finishes = g_array_new (FALSE, FALSE, sizeof (SegOp));
  sim->ra.starts = g_array_new (FALSE, FALSE, sizeof (SegOp));
  sim->ra.finishes = g_array_new (FALSE, FALSE, sizeof (SegOp));
  sim->rv.parts = g_array_new (FALSE, FALSE, sizeof (Part));
  sim->ra.parts = g_array_new (FALSE, FALSE, sizeof (Part));
  return sim;
}

static void
sim_free (Sim * sim)
{
  segmenter_free (sim->seg);
  g_array_free (sim->rv.starts, TRUE);
  g_array_free (sim->rv.finishes, TRUE);
  g_array_free (sim->ra.starts, TRUE);
  g_array_free (sim->ra.finishes, TRUE);
  g_array_free (sim->rv.parts, TRUE);
  g_array_free (sim->ra.parts, TRUE);
  g_free (sim);
}

static void
push (Sim * sim, SegTrack * t, guint64 dec_ns, gboolean key)
{
  GArray *ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
  SegSample x = { 0, };

  x.dec_ns = dec_ns;
  x.ticks = dash_ns_to_ticks (dec_ns, t->timescale);
  x.key = key;
  x.data = GUINT_TO_POINTER (1);
  segmenter_push (sim->seg, t, &x, ops);
  if (t == sim->v)
    sim->pushed_v++;
  else
    sim->pushed_a++;
  take_ops (sim, ops);
  g_array_free (ops, TRUE);
}

/* video frame @i at 30 fps (+ @jitter ns), a keyframe every @gop */
static void
push_video (Sim * sim, guint i, guint gop, gint64 jitter)
{
  push (sim, sim->v, i * FRAME_NS + jitter, i % gop == 0);
}

static void
push_audio (Sim * sim, guint i)
{
  push (sim, sim->a, AAC_NS (i), TRUE);
}

static void
eos (Sim * sim, SegTrack * t)
{
  GArray *ops = g_array_new (FALSE, TRUE, sizeof (SegOp));

  segmenter_eos (sim->seg, t, ops);
  take_ops (sim, ops);
  g_array_free (ops, TRUE);
}

/* feeds @secs of interleaved A/V in decode order */
static void
push_av (Sim * sim, guint first_frame, guint frames, guint gop)
{
  static guint next_audio = 0;
  guint i;

  if (first_frame == 0)
    next_audio = 0;
  for (i = first_frame; i < first_frame + frames; i++) {
    push_video (sim, i, gop, 0);
    while (AAC_NS (next_audio) < (i + 1) * FRAME_NS)
      push_audio (sim, next_audio++);
  }
}

static SegOp *
finish_n (Record * r, guint n)
{
  fail_unless (n < r->finishes->len, "only %u segments", r->finishes->len);
  return &g_array_index (r->finishes, SegOp, n);
}

/* The reference cuts at its keyframes once a segment duration is reached;
 * every segment's tfdt continues the previous one's end. */
GST_START_TEST (test_reference_cuts)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  guint i;

  for (i = 0; i < 30 * 5 + 1; i++)
    push_video (sim, i, 30, 0);
  fail_unless_equals_int (sim->rv.finishes->len, 5);
  for (i = 0; i < 5; i++) {
    SegOp *f = finish_n (&sim->rv, i);
    /* numbered by grid slot */
    fail_unless_equals_uint64 (f->number, i);
    fail_unless_equals_uint64 (f->start_ticks, i * VIDEO_TS);
    fail_unless_equals_uint64 (f->end_ticks, (i + 1) * VIDEO_TS);
    fail_if (f->discont);
  }
  fail_unless_equals_int (sim->rv.finish_samples, 150);
  fail_unless_equals_int (sim->rv.drops, 0);
  sim_free (sim);
}

GST_END_TEST;

/* A keyframe a few ms before the boundary (live jitter) still ends the
 * segment: 3 s of 1 s GOPs with keyframes 4 ms early are 3 segments, not
 * one of 2 s.  A keyframe more than half a frame early does not. */
GST_START_TEST (test_jitter_tolerance)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  guint i;

  for (i = 0; i < 30 * 3 + 1; i++)
    push_video (sim, i, 30, (i % 30 == 0 && i > 0) ? -4 * (gint64) MS : 0);
  fail_unless_equals_int (sim->rv.finishes->len, 3);
  sim_free (sim);

  /* GOP of 29 frames: keyframes 33 ms (one frame) before the boundary */
  sim = sim_new (SEC, 0, FALSE);
  for (i = 0; i < 29 * 4 + 1; i++)
    push_video (sim, i, 29, 0);
  /* cut at frames 58 and 116 (>= 1 s after 0 and 58) */
  fail_unless_equals_int (sim->rv.finishes->len, 2);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 0)->end_ticks,
      dash_ns_to_ticks (58 * FRAME_NS, VIDEO_TS));
  sim_free (sim);
}

GST_END_TEST;

/* Audio follows the video's boundaries: each audio segment starts at the
 * first audio frame at or after the video segment's start. */
GST_START_TEST (test_follower_cuts_at_boundaries)
{
  Sim *sim = sim_new (2 * SEC, 0, TRUE);
  guint i;

  push_av (sim, 0, 30 * 10, 60);
  eos (sim, sim->v);
  eos (sim, sim->a);
  fail_unless_equals_int (sim->rv.finishes->len, 5);
  fail_unless_equals_int (sim->ra.finishes->len, 5);
  for (i = 0; i < 5; i++) {
    SegOp *v = finish_n (&sim->rv, i);
    SegOp *a = finish_n (&sim->ra, i);
    guint64 v_start = dash_ticks_to_ns (v->start_ticks, VIDEO_TS);
    guint64 a_start = dash_ticks_to_ns (a->start_ticks, AUDIO_TS);
    fail_unless_equals_uint64 (a->number, v->number);
    fail_unless (a_start >= v_start || v_start - a_start <
        SEGMENTER_BOUNDARY_TOLERANCE, "audio %u starts before video", i);
    fail_unless (a_start < v_start + AAC_NS (1) + 1,
        "audio %u starts %" G_GUINT64_FORMAT " ns late", i, a_start - v_start);
  }
  /* one END, nothing lost: every sample handed out or dropped */
  fail_unless_equals_int (sim->rv.ends + sim->ra.ends, 1);
  fail_unless_equals_int (sim->rv.finish_samples + sim->rv.drops,
      sim->pushed_v);
  fail_unless_equals_int (sim->ra.finish_samples + sim->ra.drops,
      sim->pushed_a);
  sim_free (sim);
}

GST_END_TEST;

/* A decode-time jump larger than the gap threshold ends the segment
 * there; the next one is marked discontinuous. */
GST_START_TEST (test_gap)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  guint i;

  for (i = 0; i < 45; i++)
    push_video (sim, i, 30, 0);
  /* 2 s missing, resumes with a keyframe */
  for (i = 105; i < 30 * 5 + 1; i++)
    push_video (sim, i, 15, 0);
  fail_unless (sim->rv.finishes->len >= 3);
  /* the segment before the gap ends after its last frame (frame 44) */
  fail_unless_equals_uint64 (finish_n (&sim->rv, 1)->end_ticks,
      dash_ns_to_ticks (45 * FRAME_NS, VIDEO_TS));
  fail_if (finish_n (&sim->rv, 1)->discont);
  fail_unless (finish_n (&sim->rv, 2)->discont);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 2)->start_ticks,
      dash_ns_to_ticks (105 * FRAME_NS, VIDEO_TS));
  sim_free (sim);
}

GST_END_TEST;

/* A format change starts a new period at the reference's next keyframe;
 * a follower whose format changed waits for that period. */
GST_START_TEST (test_format_change_new_period)
{
  Sim *sim = sim_new (SEC, 0, TRUE);
  SegOp *st;
  guint i, n;

  push_av (sim, 0, 45, 30);
  segmenter_track_format_changed (sim->seg, sim->v);
  push_av (sim, 45, 30 * 3, 30);
  fail_unless_equals_int (segmenter_n_periods (sim->seg), 2);
  /* the change came after the keyframe at 1 s: the next one, at 2 s */
  fail_unless_equals_uint64 (segmenter_period_start (sim->seg, 1),
      60 * FRAME_NS);
  /* the video START at 1 s opens period 1 with the new format */
  n = 0;
  for (i = 0; i < sim->rv.starts->len; i++) {
    st = &g_array_index (sim->rv.starts, SegOp, i);
    if (st->new_period) {
      n++;
      fail_unless_equals_int (st->period, 1);
      fail_unless (st->new_config);
      fail_unless_equals_uint64 (st->start_ns, 60 * FRAME_NS);
    }
  }
  fail_unless_equals_int (n, 1);
  /* audio joins period 1 at the same boundary */
  for (i = 0; i < sim->ra.starts->len; i++) {
    st = &g_array_index (sim->ra.starts, SegOp, i);
    fail_unless_equals_int (st->period,
        st->start_ns + AAC_NS (1) > 60 * FRAME_NS ? 1 : 0);
  }
  sim_free (sim);
}

GST_END_TEST;

/* Frames before the first keyframe are dropped (counted, freed); without
 * a keyframe for max_wait the track errors out. */
GST_START_TEST (test_no_keyframe_bounded)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  guint i;

  for (i = 1; i < 30 * 12; i++)
    push_video (sim, i, 100000, 0);
  fail_unless_equals_int (sim->rv.starts->len, 0);
  fail_unless_equals_int (sim->rv.drops, 30 * 12 - 1);
  fail_unless_equals_int (sim->freed, 30 * 12 - 1);
  fail_unless (sim->rv.errors > 0);
  sim_free (sim);
}

GST_END_TEST;

/* Decode time going back is dropped, not written */
GST_START_TEST (test_backwards_dropped)
{
  Sim *sim = sim_new (SEC, 0, FALSE);

  push_video (sim, 0, 30, 0);
  push_video (sim, 1, 30, 0);
  push (sim, sim->v, 0, FALSE);
  fail_unless_equals_int (sim->rv.drops, 1);
  fail_unless_equals_int (sim->freed, 1);
  sim_free (sim);
}

GST_END_TEST;

/* Low latency: chunks of ~200 ms are handed out as soon as they are
 * complete; the segment's last chunk comes with its FINISH. */
GST_START_TEST (test_chunks)
{
  Sim *sim = sim_new (SEC, 200 * MS, TRUE);

  push_av (sim, 0, 30 * 3 + 1, 30);
  /* 3 segments of 5 chunks, the 5th of each with its FINISH */
  fail_unless_equals_int (sim->rv.finishes->len, 3);
  fail_unless (sim->rv.chunks >= 3 * 4 && sim->rv.chunks <= 3 * 5,
      "%u video chunks", sim->rv.chunks);
  fail_unless (sim->ra.chunks >= 2 * 4, "%u audio chunks", sim->ra.chunks);
  fail_unless_equals_int (sim->rv.chunk_samples + sim->rv.finish_samples, 90);
  sim_free (sim);
}

GST_END_TEST;

/* A follower that ends before the reference is finished when the
 * reference ends, at the reference's boundaries; END comes once. */
GST_START_TEST (test_follower_eos_first)
{
  Sim *sim = sim_new (SEC, 0, TRUE);

  push_av (sim, 0, 30 * 2 + 10, 30);
  eos (sim, sim->a);
  fail_unless_equals_int (sim->ra.ends + sim->rv.ends, 0);
  eos (sim, sim->v);
  fail_unless_equals_int (sim->rv.finishes->len, 3);
  fail_unless_equals_int (sim->ra.finishes->len, 3);
  fail_unless_equals_int (sim->ra.ends + sim->rv.ends, 1);
  fail_unless (segmenter_is_finished (sim->seg));
  sim_free (sim);
}

GST_END_TEST;

/* A flush abandons the open segment: the next one reuses its number and
 * follows a gap. */
GST_START_TEST (test_flush)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  guint i;

  for (i = 0; i < 40; i++)
    push_video (sim, i, 30, 0);
  fail_unless (segmenter_flush (sim->seg, sim->v, NULL));
  fail_unless_equals_int (sim->freed, 10);
  for (i = 90; i < 90 + 61; i++)
    push_video (sim, i, 30, 0);
  fail_unless_equals_int (sim->rv.finishes->len, 3);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 1)->number, 1);
  fail_unless (finish_n (&sim->rv, 1)->discont);
  sim_free (sim);
}

GST_END_TEST;

/* The manifests are due once per round (every track published a new
 * segment), or when a track runs two segments ahead of the slowest. */
GST_START_TEST (test_manifests_due)
{
  Sim *sim = sim_new (SEC, 0, TRUE);

  fail_if (segmenter_all_listed (sim->seg));
  segmenter_published (sim->seg, sim->v, SEC, VIDEO_TS);
  fail_if (segmenter_all_listed (sim->seg));
  fail_if (segmenter_manifests_due (sim->seg, sim->v));
  segmenter_published (sim->seg, sim->a, SEC, AUDIO_TS);
  fail_unless (segmenter_all_listed (sim->seg));
  fail_unless (segmenter_manifests_due (sim->seg, sim->a));
  /* video runs ahead: due again only past two segments */
  segmenter_published (sim->seg, sim->v, 2 * SEC, 2 * VIDEO_TS);
  fail_if (segmenter_manifests_due (sim->seg, sim->v));
  segmenter_published (sim->seg, sim->v, 3 * SEC, 3 * VIDEO_TS);
  fail_if (segmenter_manifests_due (sim->seg, sim->v));
  segmenter_published (sim->seg, sim->v, 3 * SEC + SEC / 2, 7 * VIDEO_TS / 2);
  fail_unless (segmenter_manifests_due (sim->seg, sim->v));
  /* forced */
  fail_unless (segmenter_manifests_due (sim->seg, NULL));
  sim_free (sim);
}

GST_END_TEST;

/* Faster than real time a due write may be coalesced; a live stream
 * (segments published as the wall clock reaches their end) never. */
GST_START_TEST (test_manifests_skip)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  gint64 now = G_GINT64_CONSTANT (1800000000) * G_USEC_PER_SEC;
  gint64 mono = G_GINT64_CONSTANT (1000) * G_USEC_PER_SEC;

  segmenter_published (sim->seg, sim->v, 10 * SEC, 10 * VIDEO_TS);
  /* started 1 s ago, 10 s of media published: far ahead */
  fail_unless (segmenter_manifests_skip (sim->seg, sim->v,
          now - G_USEC_PER_SEC, now, mono - 100000, mono));
  /* ... but the last write was long ago */
  fail_if (segmenter_manifests_skip (sim->seg, sim->v,
          now - G_USEC_PER_SEC, now, mono - 2 * G_USEC_PER_SEC, mono));
  /* live: started 10 s ago */
  fail_if (segmenter_manifests_skip (sim->seg, sim->v,
          now - 10 * G_USEC_PER_SEC, now, mono - 100000, mono));
  fail_if (segmenter_manifests_skip (sim->seg, NULL,
          now - G_USEC_PER_SEC, now, mono - 100000, mono));
  sim_free (sim);
}

GST_END_TEST;

/* Predicted durations follow the reference's grid and are whole frames:
 * AAC segments are multiples of 1024 samples that end at or after the
 * video boundary. */
GST_START_TEST (test_predict)
{
  Sim *sim = sim_new (2 * SEC, 200 * MS, TRUE);
  guint64 ahead[DASH_MAX_ANNOUNCED];
  guint64 end = dash_ns_to_ticks (AAC_NS (94), AUDIO_TS);       /* ~2.005 s */

  fail_unless_equals_int (segmenter_predict (sim->seg, sim->a, end, ahead), 0);
  segmenter_published (sim->seg, sim->v, 2 * SEC, 2 * VIDEO_TS);
  fail_unless_equals_int (segmenter_predict (sim->seg, sim->v, 2 * VIDEO_TS,
          ahead), DASH_MAX_AHEAD);
  fail_unless_equals_uint64 (ahead[0], 2 * VIDEO_TS);
  fail_unless_equals_uint64 (ahead[1], 2 * VIDEO_TS);
  fail_unless_equals_int (segmenter_predict (sim->seg, sim->a, end, ahead),
      DASH_MAX_AHEAD);
  fail_unless_equals_uint64 (ahead[0] % 1024, 0);
  fail_unless_equals_uint64 (ahead[1] % 1024, 0);
  /* the predicted segment ends at the first frame at or after 4 s */
  fail_unless (end + ahead[0] >= 4 * AUDIO_TS);
  fail_unless (end + ahead[0] < 4 * AUDIO_TS + 1024);
  fail_unless (end + ahead[0] + ahead[1] >= 6 * AUDIO_TS);

  /* audio lags a round (its segment ending at 4 s not published yet when
   * the MPD is written after video's): announced up to the same media
   * time as video (8 s), one segment more */
  segmenter_published (sim->seg, sim->v, 4 * SEC, 4 * VIDEO_TS);
  fail_unless_equals_int (segmenter_predict (sim->seg, sim->v, 4 * VIDEO_TS,
          ahead), DASH_MAX_AHEAD);
  fail_unless_equals_int (segmenter_predict (sim->seg, sim->a, end, ahead),
      DASH_MAX_ANNOUNCED);
  fail_unless (end + ahead[0] + ahead[1] + ahead[2] >= 8 * AUDIO_TS);
  fail_unless (end + ahead[0] + ahead[1] + ahead[2] < 8 * AUDIO_TS + 1024);
  sim_free (sim);
}

GST_END_TEST;


/* --- the segment grid, restarts, redundant producers ---------------- */

static Sim *
sim_new_cfg (const SegmenterConfig * base, gboolean audio)
{
  Sim *sim = sim_new (base->segment_duration, base->chunk_duration, audio);
  SegmenterConfig cfg = *base;

  cfg.manifest_min_interval = SEC;
  cfg.free_data = count_free;
  segmenter_reset (sim->seg, &cfg);
  return sim;
}

/* A keyframe a frame late does not shift the grid: the segment after it
 * ends at the next grid point (with start + duration it would have run
 * to the keyframe after, 2 s) */
GST_START_TEST (test_grid_after_late_keyframe)
{
  Sim *sim = sim_new (SEC, 0, FALSE);
  guint i;

  for (i = 0; i <= 30 * 6; i++) {
    gint64 jitter = i == 90 ? 20 * (gint64) MS : 0;
    push_video (sim, i, 30, jitter);
  }
  fail_unless_equals_int (sim->rv.finishes->len, 6);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 2)->end_ticks,
      3 * VIDEO_TS + 20 * VIDEO_TS / 1000);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 3)->end_ticks, 4 * VIDEO_TS);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 3)->number, 3);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 4)->number, 4);
  sim_free (sim);
}

GST_END_TEST;

typedef struct
{
  guint64 start_ticks, end_ticks, number;
} Cut;

/* The video and audio segments of a producer whose clock timeline
 * (grid from the epoch) gets the frames of a common source from
 * @first_frame on: 30 fps and AAC frames on the epoch's grid, a keyframe
 * every 2 s of the epoch (as epoch-locked encoders force them), the
 * first frame a keyframe (an encoder's first), until 1030 s. */
static void
producer (guint first_frame, GArray * vcuts, GArray * acuts)
{
  SegmenterConfig cfg = { 0, };
  Sim *sim;
  guint64 i, last = 1030 * 30, a;
  guint k;

  cfg.segment_duration = 2 * SEC;
  cfg.grid_from_zero = TRUE;
  sim = sim_new_cfg (&cfg, TRUE);
  a = (guint64) gst_util_uint64_scale_ceil (first_frame, AUDIO_TS, 30 * 1024);
  for (i = first_frame; i < last; i++) {
    push (sim, sim->v, i * SEC / 30, i % 60 == 0 || i == first_frame);
    for (; AAC_NS (a) < (i + 1) * SEC / 30; a++)
      push (sim, sim->a, AAC_NS (a), TRUE);
  }
  for (k = 0; k < sim->rv.finishes->len; k++) {
    SegOp *f = finish_n (&sim->rv, k);
    Cut c = { f->start_ticks, f->end_ticks, f->number };
    g_array_append_val (vcuts, c);
  }
  for (k = 0; k < sim->ra.finishes->len; k++) {
    SegOp *f = finish_n (&sim->ra, k);
    Cut c = { f->start_ticks, f->end_ticks, f->number };
    g_array_append_val (acuts, c);
  }
  sim_free (sim);
}

/* Two producers on one clock that started at different times cut the
 * same segments with the same numbers once both run: each starts at its
 * first keyframe on a grid point (its first frames before it dropped), so
 * that no producer has a first segment of its own under a number the
 * other gives a whole segment */
GST_START_TEST (test_grid_redundant_producers)
{
  GArray *va = g_array_new (FALSE, FALSE, sizeof (Cut));
  GArray *aa = g_array_new (FALSE, FALSE, sizeof (Cut));
  GArray *vb = g_array_new (FALSE, FALSE, sizeof (Cut));
  GArray *ab = g_array_new (FALSE, FALSE, sizeof (Cut));
  GArray *pairs[2][2] = { {va, vb}, {aa, ab}
  };
  guint kind, i, j, common;

  producer (1000 * 30 + 3, va, aa);     /* from 1000.1 s */
  producer (1001 * 30 + 15, vb, ab);    /* from 1001.5 s */
  /* A (from 1000.1 s) and B (from 1001.5 s) both start at 1002 s */
  fail_unless_equals_uint64 (g_array_index (va, Cut, 0).start_ticks,
      1002 * VIDEO_TS);
  fail_unless_equals_uint64 (g_array_index (va, Cut, 0).end_ticks,
      1004 * VIDEO_TS);
  fail_unless_equals_uint64 (g_array_index (va, Cut, 0).number, 501);
  fail_unless_equals_uint64 (g_array_index (vb, Cut, 0).start_ticks,
      1002 * VIDEO_TS);
  fail_unless_equals_uint64 (g_array_index (vb, Cut, 0).number, 501);
  /* the audio too: from the first AAC frame at or after 1002 s */
  fail_unless (g_array_index (aa, Cut, 0).start_ticks >= 1002 * AUDIO_TS);
  fail_unless_equals_uint64 (g_array_index (aa, Cut, 0).start_ticks,
      g_array_index (ab, Cut, 0).start_ticks);
  for (kind = 0; kind < 2; kind++) {
    GArray *a = pairs[kind][0], *b = pairs[kind][1];
    common = 0;
    /* every segment of B is one of A's */
    for (j = 0; j < b->len; j++) {
      Cut *cb = &g_array_index (b, Cut, j);
      for (i = 0; i < a->len; i++) {
        Cut *ca = &g_array_index (a, Cut, i);
        if (ca->start_ticks != cb->start_ticks)
          continue;
        fail_unless_equals_uint64 (ca->end_ticks, cb->end_ticks);
        fail_unless_equals_uint64 (ca->number, cb->number);
        common++;
      }
    }
    /* 1002 s to 1028 s */
    fail_unless_equals_int (common, 13);
  }
  g_array_free (va, TRUE);
  g_array_free (aa, TRUE);
  g_array_free (vb, TRUE);
  g_array_free (ab, TRUE);
}

GST_END_TEST;

/* On a clock grid, the audio frames that start at or after the
 * reference's first keyframe belong to the first segment also when they
 * are pushed before it (the video pad's thread late): held, not dropped.
 * Dropping the AAC frame that starts on the grid point with the keyframe
 * gave a redundant producer a first audio segment a frame later than the
 * other producer's, under a name the other never had
 * (pipelines/redundant, 1 run in 4). */
GST_START_TEST (test_grid_audio_before_reference_keyframe)
{
  SegmenterConfig cfg = { 0, };
  Sim *sim;
  guint64 a = 1000 * AUDIO_TS / 1024, i;        /* 1000 s is on both grids */

  cfg.segment_duration = 2 * SEC;
  cfg.grid_from_zero = TRUE;
  sim = sim_new_cfg (&cfg, TRUE);
  /* 0.1 s of audio before anything of the video: 999.9 s on */
  for (a -= 5; AAC_NS (a) < 1000 * SEC + SEC / 10; a++)
    push_audio (sim, a);
  for (i = 1000 * 30; i < 1004 * 30 + 1; i++) {
    push (sim, sim->v, i * SEC / 30, i % 60 == 0);
    for (; AAC_NS (a) < (i + 1) * SEC / 30; a++)
      push_audio (sim, a);
  }
  fail_unless (sim->rv.finishes->len >= 2);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 0)->start_ticks,
      1000 * VIDEO_TS);
  fail_unless (sim->ra.finishes->len >= 1);
  fail_unless_equals_uint64 (finish_n (&sim->ra, 0)->start_ticks,
      1000 * AUDIO_TS);
  /* the frames before the keyframe are dropped, and counted */
  fail_unless (sim->ra.drops >= 4);
  sim_free (sim);
}

GST_END_TEST;

/* The default timeline (no grid, not resumed): the audio that came
 * before the video's first keyframe (the encoder's latency) is not
 * published either; the first audio segment starts with the video's.
 * It started a second earlier and was 3 s long: TARGETDURATION 3 and a
 * start 3 segments back put hls.js on it, and it never started playing
 * 1 run in 10 (pipelines/restart). */
GST_START_TEST (test_audio_before_first_keyframe)
{
  SegmenterConfig cfg = { 0, };
  Sim *sim;
  guint64 a = 0, i;

  cfg.segment_duration = 2 * SEC;
  sim = sim_new_cfg (&cfg, TRUE);
  /* 1 s of audio before the first video frame, a keyframe at 10 s */
  for (; AAC_NS (a) < 10 * SEC; a++)
    if (AAC_NS (a) >= 9 * SEC)
      push_audio (sim, a);
  for (i = 10 * 30; i < 16 * 30 + 1; i++) {
    push (sim, sim->v, i * SEC / 30, i % 60 == 0);
    for (; AAC_NS (a) < (i + 1) * SEC / 30; a++)
      push_audio (sim, a);
  }
  fail_unless (sim->rv.finishes->len >= 2);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 0)->start_ticks,
      10 * VIDEO_TS);
  fail_unless (sim->ra.finishes->len >= 2);
  /* with the video: less than an AAC frame from it */
  fail_unless (finish_n (&sim->ra, 0)->start_ticks + 1024 > 10 * AUDIO_TS);
  fail_unless (finish_n (&sim->ra, 0)->start_ticks < 10 * AUDIO_TS + 1024);
  /* no audio segment longer than a segment and a frame */
  fail_unless (finish_n (&sim->ra, 1)->start_ticks -
      finish_n (&sim->ra, 0)->start_ticks <= 2 * AUDIO_TS + 1024);
  /* the frames before are dropped, and counted */
  fail_unless (sim->ra.drops >= 40);
  sim_free (sim);
}

GST_END_TEST;

/* A file's audio runs ahead of its video (the video encoder's latency):
 * held until the video's first keyframe, none of it lost (a second's hold
 * dropped 2 s of audio of dashlivesink-playback's ABR ladder) */
GST_START_TEST (test_audio_ahead_of_video_held)
{
  Sim *sim = sim_new (2 * SEC, 0, TRUE);
  guint64 a = 0, i;

  for (; AAC_NS (a) < 3 * SEC; a++)
    push_audio (sim, a);
  for (i = 0; i < 6 * 30; i++) {
    push (sim, sim->v, i * SEC / 30, i % 60 == 0);
    for (; AAC_NS (a) < 3 * SEC + (i + 1) * SEC / 30; a++)
      push_audio (sim, a);
  }
  fail_unless_equals_int (sim->ra.drops, 0);
  fail_unless_equals_int (sim->ra.errors, 0);
  fail_unless (sim->ra.finishes->len >= 2);
  fail_unless_equals_uint64 (finish_n (&sim->ra, 0)->start_ticks, 0);
  sim_free (sim);
}

GST_END_TEST;

/* No video comes: held for max_wait (20 s here), then an error naming
 * the video pad, the held audio dropped and counted (bounded memory) */
GST_START_TEST (test_audio_without_video_fails)
{
  Sim *sim = sim_new (2 * SEC, 0, TRUE);
  guint64 a;

  for (a = 0; AAC_NS (a) < 19 * SEC; a++)
    push_audio (sim, a);
  fail_unless_equals_int (sim->ra.errors, 0);
  fail_unless_equals_int (sim->ra.drops, 0);
  for (; AAC_NS (a) < 26 * SEC; a++)
    push_audio (sim, a);
  fail_unless (sim->ra.errors >= 1);
  fail_unless (sim->ra.drops >= 900);
  fail_unless_equals_int (sim->ra.starts->len, 0);
  fail_unless (sim->seg != NULL && sim->a->early->len < 400);
  sim_free (sim);
}

GST_END_TEST;

/* A resumed run: a new period from the reference's first keyframe, no
 * audio before it, every track's first segment after a discontinuity,
 * numbers continued */
GST_START_TEST (test_resumed_run)
{
  SegmenterConfig cfg = { 0, };
  Sim *sim;
  guint i, k;

  cfg.segment_duration = SEC;
  cfg.resumed = TRUE;
  sim = sim_new_cfg (&cfg, TRUE);
  segmenter_track_continue (sim->v, 42);
  segmenter_track_continue (sim->a, 40);
  /* 0.5 s of audio before the first video frame (at 10.5 s) */
  k = (guint) gst_util_uint64_scale_ceil (10 * SEC, AUDIO_TS, 1024 * SEC);
  for (; AAC_NS (k) < 10 * SEC + SEC / 2; k++)
    push_audio (sim, k);
  for (i = 0; i < 30 * 3 + 1; i++) {
    push (sim, sim->v, 10 * SEC + SEC / 2 + i * FRAME_NS, i % 30 == 0);
    for (; AAC_NS (k) < 10 * SEC + SEC / 2 + (i + 1) * FRAME_NS; k++)
      push_audio (sim, k);
  }
  fail_unless_equals_uint64 (segmenter_period_start (sim->seg, 0),
      10 * SEC + SEC / 2);
  fail_unless (sim->ra.drops > 0);
  fail_unless (finish_n (&sim->ra, 0)->start_ticks >=
      dash_ns_to_ticks (10 * SEC + SEC / 2, AUDIO_TS));
  fail_unless (finish_n (&sim->rv, 0)->discont);
  fail_unless (finish_n (&sim->ra, 0)->discont);
  fail_if (finish_n (&sim->rv, 1)->discont);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 0)->number, 42);
  fail_unless_equals_uint64 (finish_n (&sim->rv, 1)->number, 43);
  fail_unless_equals_uint64 (finish_n (&sim->ra, 0)->number, 40);
  fail_unless_equals_int (finish_n (&sim->ra, 0)->period, 0);
  sim_free (sim);
}

GST_END_TEST;

/* --- LL-HLS parts --------------------------------------------------- */

/* feeds @secs of A/V at @fps_n/@fps_d (a keyframe every @gop frames, each
 * frame's decode time off by up to ±@jitter ns) and AAC at @rate, audio
 * @audio_lead ns ahead of the video in arrival order */
static void
push_av_fmt (Sim * sim, guint secs, gint fps_n, gint fps_d, guint gop,
    guint rate, gint64 jitter, guint64 audio_lead)
{
  GRand *rand = g_rand_new_with_seed (42);
  guint64 frames = (guint64) secs * fps_n / fps_d, i, a = 0;

  segmenter_track_set_format (sim->v, VIDEO_TS, fps_n, fps_d, 0);
  segmenter_track_set_format (sim->a, rate, 0, 1, 1024);
  for (i = 0; i < frames; i++) {
    guint64 t = gst_util_uint64_scale (i, SEC * fps_d, fps_n);
    gint64 j = jitter && i > 0 ? g_rand_int_range (rand, -jitter, jitter + 1)
        : 0;
    push (sim, sim->v, t + j, i % gop == 0);
    while (gst_util_uint64_scale (a, 1024 * SEC, rate) < t + FRAME_NS +
        audio_lead) {
      guint64 at = gst_util_uint64_scale (a++, 1024 * SEC, rate);
      GArray *ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
      SegSample x = { 0, };
      x.dec_ns = at;
      x.ticks = a * 1024 - 1024;
      x.key = TRUE;
      x.data = GUINT_TO_POINTER (1);
      segmenter_push (sim->seg, sim->a, &x, ops);
      sim->pushed_a++;
      take_ops (sim, ops);
      g_array_free (ops, TRUE);
    }
  }
  g_rand_free (rand);
}

static const Part *
find_part (Record * r, guint64 number, guint part)
{
  guint i;

  for (i = 0; i < r->parts->len; i++) {
    const Part *p = &g_array_index (r->parts, Part, i);
    if (p->number == number && p->part == part)
      return p;
  }
  return NULL;
}

static guint
parts_of (Record * r, guint64 number)
{
  guint i, n = 0;

  for (i = 0; i < r->parts->len; i++)
    if (g_array_index (r->parts, Part, i).number == number)
      n++;
  return n;
}

/* Every part at most the part target, at least 85 % of it unless it is
 * the last of its segment or starts with a sync sample (RFC 8216bis
 * 4.4.4.9); parts numbered 0, 1, 2... in every segment */
static void
check_part_rules (Record * r, guint32 timescale, guint64 target)
{
  guint i;

  for (i = 0; i < r->parts->len; i++) {
    const Part *p = &g_array_index (r->parts, Part, i);
    guint64 d = dash_ticks_to_ns (p->end_ticks - p->start_ticks, timescale);

    fail_unless (d <= target, "part %" G_GUINT64_FORMAT ".%u lasts %"
        G_GUINT64_FORMAT " ns > target %" G_GUINT64_FORMAT, p->number,
        p->part, d, target);
    fail_unless (p->last || p->key || d * 100 >= target * 85,
        "part %" G_GUINT64_FORMAT ".%u lasts %" G_GUINT64_FORMAT
        " ns < 85 %% of %" G_GUINT64_FORMAT, p->number, p->part, d, target);
    if (i > 0 && g_array_index (r->parts, Part, i - 1).number == p->number) {
      fail_unless_equals_int (p->part,
          g_array_index (r->parts, Part, i - 1).part + 1);
    } else {
      fail_unless_equals_int (p->part, 0);
    }
  }
}

/* Audio parts follow the video's: the same number per segment, part k of
 * the audio starting within one audio frame of part k of the video */
static void
check_parts_aligned (Sim * sim, guint rate, guint64 jitter)
{
  guint64 frame = gst_util_uint64_scale (1024, SEC, rate);
  guint i, checked = 0;

  for (i = 0; i < sim->rv.finishes->len; i++) {
    guint64 n = finish_n (&sim->rv, i)->number;
    guint k, nv = parts_of (&sim->rv, n);

    if (i >= sim->ra.finishes->len)
      break;
    fail_unless_equals_int (parts_of (&sim->ra, n), nv);
    for (k = 0; k < nv; k++) {
      const Part *v = find_part (&sim->rv, n, k), *a = find_part (&sim->ra, n,
          k);
      fail_unless (a->start_ns + SEGMENTER_BOUNDARY_TOLERANCE + jitter >=
          v->start_ns && a->start_ns < v->start_ns + frame + jitter,
          "segment %" G_GUINT64_FORMAT " part %u: video at %" G_GUINT64_FORMAT
          ", audio at %" G_GUINT64_FORMAT, n, k, v->start_ns, a->start_ns);
      checked++;
    }
  }
  fail_unless (checked >= 20, "only %u parts compared", checked);
}

/* 2 s segments, 200 ms chunks, 30 fps + AAC 48 kHz: 10 parts per segment
 * in both, the video ones exactly 200 ms, the audio ones 9 or 10 frames;
 * the part target is 10 AAC frames + the jitter room */
GST_START_TEST (test_parts_grid)
{
  Sim *sim = sim_new (2 * SEC, 200 * MS, TRUE);
  guint64 target;
  guint i;

  push_av_fmt (sim, 12, 30, 1, 60, AUDIO_TS, 0, 0);
  target = segmenter_part_target (sim->seg);
  fail_unless_equals_uint64 (segmenter_part_period (sim->seg), 200 * MS);
  fail_unless_equals_uint64 (target, AAC_NS (10) + SEGMENTER_PART_JITTER);
  fail_unless_equals_int (sim->rv.finishes->len, 5);
  /* numbered from the grid slot: the first segment is 0 */
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (parts_of (&sim->rv, i), 10);
  for (i = 0; i < sim->rv.parts->len; i++) {
    const Part *p = &g_array_index (sim->rv.parts, Part, i);
    fail_unless_equals_uint64 (p->end_ticks - p->start_ticks, VIDEO_TS / 5);
    fail_unless_equals_int (p->key, p->part == 0);
  }
  check_part_rules (&sim->rv, VIDEO_TS, target);
  check_part_rules (&sim->ra, AUDIO_TS, target);
  check_parts_aligned (sim, AUDIO_TS, 0);
  sim_free (sim);
}

GST_END_TEST;

/* Jittered live timestamps (±3 ms), 29.97 fps and AAC 44.1 kHz: no part is
 * longer than the part target, the audio keeps the video's schedule */
GST_START_TEST (test_parts_jitter)
{
  Sim *sim = sim_new (2 * SEC, 200 * MS, TRUE);
  guint64 target;

  push_av_fmt (sim, 20, 30000, 1001, 60, 44100, 3 * MS, 0);
  target = segmenter_part_target (sim->seg);
  /* 6 frames of 29.97 fps = 200.2 ms; 9 AAC frames at 44.1 kHz = 209 ms */
  fail_unless_equals_uint64 (segmenter_part_period (sim->seg),
      dash_ticks_to_ns (6 * 3003, VIDEO_TS));
  fail_unless_equals_uint64 (target, dash_ticks_to_ns (9 * 1024, 44100) +
      SEGMENTER_PART_JITTER);
  fail_unless (sim->rv.finishes->len >= 8);
  check_part_rules (&sim->rv, VIDEO_TS, target);
  check_part_rules (&sim->ra, 44100, target);
  check_parts_aligned (sim, 44100, 3 * MS);
  sim_free (sim);
}

GST_END_TEST;

/* Audio arriving 1 s ahead of the video (encoder delay) waits for the
 * boundary only at the end of a segment: its parts are still cut on the
 * video's grid */
GST_START_TEST (test_parts_audio_ahead)
{
  Sim *sim = sim_new (2 * SEC, 200 * MS, TRUE);
  guint64 target;

  push_av_fmt (sim, 12, 30, 1, 60, AUDIO_TS, 0, SEC);
  target = segmenter_part_target (sim->seg);
  check_part_rules (&sim->rv, VIDEO_TS, target);
  check_part_rules (&sim->ra, AUDIO_TS, target);
  check_parts_aligned (sim, AUDIO_TS, 0);
  sim_free (sim);
}

GST_END_TEST;

/* A late keyframe (2.1 s GOP): the grid goes on past the nominal segment
 * end, the last part is short; every track still has the same parts */
GST_START_TEST (test_parts_late_keyframe)
{
  Sim *sim = sim_new (2 * SEC, 200 * MS, TRUE);
  guint64 target;

  push_av_fmt (sim, 13, 30, 1, 63, AUDIO_TS, 0, 0);
  target = segmenter_part_target (sim->seg);
  /* 2.1 s segments: 10 parts of 200 ms and one of 100 ms */
  fail_unless_equals_int (parts_of (&sim->rv, 2), 11);
  check_part_rules (&sim->rv, VIDEO_TS, target);
  check_part_rules (&sim->ra, AUDIO_TS, target);
  check_parts_aligned (sim, AUDIO_TS, 0);
  sim_free (sim);
}

GST_END_TEST;

/* A flush after chunks were handed out ends the segment after its last
 * chunk (they may have been served): the next segment gets a new number.
 * Without chunks out the segment is abandoned as before. */
GST_START_TEST (test_flush_after_parts)
{
  Sim *sim = sim_new (SEC, 200 * MS, FALSE);
  GArray *ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
  guint i;
  SegOp *f;

  for (i = 0; i < 40; i++)
    push_video (sim, i, 30, 0);
  /* segment 1 started at frame 30; frames 30..35 are its part 0 */
  fail_unless_equals_int (parts_of (&sim->rv, 1), 1);
  fail_unless (segmenter_flush (sim->seg, sim->v, ops));
  take_ops (sim, ops);
  fail_unless_equals_int (sim->rv.finishes->len, 2);
  f = finish_n (&sim->rv, 1);
  fail_unless_equals_uint64 (f->number, 1);
  fail_unless_equals_int (f->n_parts, 1);
  fail_unless_equals_uint64 (f->end_ticks, dash_ns_to_ticks (36 * FRAME_NS,
          VIDEO_TS));
  for (i = 90; i < 90 + 61; i++)
    push_video (sim, i, 30, 0);
  f = finish_n (&sim->rv, 2);
  fail_unless_equals_uint64 (f->number, 2);
  fail_unless (f->discont);
  g_array_free (ops, TRUE);
  sim_free (sim);
}

GST_END_TEST;

static Suite *
segmenter_suite (void)
{
  Suite *s = suite_create ("segmenter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_reference_cuts);
  tcase_add_test (tc, test_jitter_tolerance);
  tcase_add_test (tc, test_follower_cuts_at_boundaries);
  tcase_add_test (tc, test_gap);
  tcase_add_test (tc, test_format_change_new_period);
  tcase_add_test (tc, test_no_keyframe_bounded);
  tcase_add_test (tc, test_backwards_dropped);
  tcase_add_test (tc, test_chunks);
  tcase_add_test (tc, test_follower_eos_first);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_manifests_due);
  tcase_add_test (tc, test_manifests_skip);
  tcase_add_test (tc, test_grid_after_late_keyframe);
  tcase_add_test (tc, test_grid_redundant_producers);
  tcase_add_test (tc, test_grid_audio_before_reference_keyframe);
  tcase_add_test (tc, test_audio_before_first_keyframe);
  tcase_add_test (tc, test_audio_ahead_of_video_held);
  tcase_add_test (tc, test_audio_without_video_fails);
  tcase_add_test (tc, test_resumed_run);
  tcase_add_test (tc, test_predict);
  tcase_add_test (tc, test_parts_grid);
  tcase_add_test (tc, test_parts_jitter);
  tcase_add_test (tc, test_parts_audio_ahead);
  tcase_add_test (tc, test_parts_late_keyframe);
  tcase_add_test (tc, test_flush_after_parts);
  return s;
}

GST_CHECK_MAIN (segmenter);
