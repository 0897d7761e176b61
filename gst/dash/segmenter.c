/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's segmenter: where segments and chunks are cut, shared cut
 * points, predicted durations, when the manifests are due.  See
 * segmenter.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "segmenter.h"
#include "dashtime.h"

#define MSECOND G_GUINT64_CONSTANT (1000000)
#define SECOND DASH_NS_PER_SECOND

typedef struct
{
  guint64 ns;                   /* start of a reference segment */
  guint period;                 /* index of the period it starts in */
} Boundary;

struct _Segmenter
{
  SegmenterConfig cfg;
  guint64 max_wait;
  GList *tracks;                /* SegTrack, video first, by index */
  SegTrack *reference;
  GArray *boundaries;           /* Boundary, oldest first */
  GArray *period_starts;        /* guint64 ns, one per period */
  gboolean force_period;        /* a format changed: next ref cut opens one */
  gboolean finished;
  /* the segment grid: its points are grid_phase + k × segment_duration */
  gboolean have_grid;
  guint64 grid_phase;           /* ns, < segment_duration */
  gboolean ref_started;         /* the reference opened its first segment */
  gboolean first_key_seen;      /* clock grid: the reference's first */
  guint64 first_key_ns;         /* keyframe, waiting for one on the grid */
  /* low latency: the chunk grid, fixed at the first chunk */
  guint64 part_period, part_target;     /* ns, 0 = not yet */
};

/* ---------------------------------------------------------------- */

static void
free_samples (Segmenter * seg, GArray * samples, guint from, guint to)
{
  guint i;

  if (seg->cfg.free_data == NULL)
    return;
  for (i = from; i < to; i++) {
    SegSample *x = &g_array_index (samples, SegSample, i);
    if (x->data)
      seg->cfg.free_data (x->data);
  }
}

static void
track_clear (Segmenter * seg, SegTrack * t)
{
  free_samples (seg, t->samples, 0, t->samples->len);
  g_array_set_size (t->samples, 0);
  free_samples (seg, t->early, 0, t->early->len);
  g_array_set_size (t->early, 0);
  t->early_own = FALSE;
  t->in_segment = FALSE;
  t->seg_samples = 0;
  t->parts = 0;
}

static void
track_reset (Segmenter * seg, SegTrack * t)
{
  track_clear (seg, t);
  t->number = 0;
  t->period = 0;
  t->seg_start_ns = t->seg_start_ticks = 0;
  /* a resumed run continues after a discontinuity */
  t->discont = seg->cfg.resumed;
  t->config_changed = FALSE;
  t->waiting = FALSE;
  t->wait_start_ns = 0;
  t->have_last = FALSE;
  t->last_dec_ns = t->last_ticks = t->last_dur_ticks = t->prev_ticks = 0;
  t->last_taken_arrival = 0;
  t->eos = FALSE;
  t->published = t->listed = 0;
  t->published_end = t->published_end_ticks = 0;
  t->chunk_end_ticks = 0;
  t->grid_origin_ns = t->next_grid_ns = 0;
  t->grid_own = FALSE;
}

static void
apply_config (Segmenter * seg, const SegmenterConfig * config)
{
  seg->cfg = *config;
  seg->max_wait = config->max_wait ? config->max_wait :
      MAX (10 * SECOND, 10 * config->segment_duration);
  /* a clock timeline's grid is fixed; else the reference's first
   * keyframe sets it */
  seg->have_grid = config->grid_from_zero;
  seg->grid_phase = 0;
  seg->ref_started = FALSE;
  seg->first_key_seen = FALSE;
  seg->first_key_ns = 0;
}

Segmenter *
segmenter_new (const SegmenterConfig * config)
{
  Segmenter *seg = g_new0 (Segmenter, 1);

  g_return_val_if_fail (config->segment_duration > 0, NULL);
  seg->cfg = *config;
  seg->boundaries = g_array_new (FALSE, FALSE, sizeof (Boundary));
  seg->period_starts = g_array_new (FALSE, TRUE, sizeof (guint64));
  g_array_set_size (seg->period_starts, 1);
  apply_config (seg, config);
  return seg;
}

static void
track_free (Segmenter * seg, SegTrack * t)
{
  track_clear (seg, t);
  g_array_free (t->samples, TRUE);
  g_array_free (t->early, TRUE);
  g_free (t->id);
  g_free (t);
}

void
segmenter_free (Segmenter * seg)
{
  GList *l;

  if (seg == NULL)
    return;
  for (l = seg->tracks; l; l = l->next)
    track_free (seg, l->data);
  g_list_free (seg->tracks);
  g_array_free (seg->boundaries, TRUE);
  g_array_free (seg->period_starts, TRUE);
  g_free (seg);
}

void
segmenter_reset (Segmenter * seg, const SegmenterConfig * config)
{
  GList *l;

  g_return_if_fail (config->segment_duration > 0);
  apply_config (seg, config);
  for (l = seg->tracks; l; l = l->next)
    track_reset (seg, l->data);
  g_array_set_size (seg->boundaries, 0);
  g_array_set_size (seg->period_starts, 1);
  g_array_index (seg->period_starts, guint64, 0) = 0;
  seg->force_period = FALSE;
  seg->finished = FALSE;
  seg->part_period = seg->part_target = 0;
}

/* video first, then by index: video_0 (the lowest video track) decides
 * the boundaries */
static gint
track_compare (gconstpointer pa, gconstpointer pb)
{
  const SegTrack *a = pa, *b = pb;

  if (a->kind != b->kind)
    return a->kind == SEG_TRACK_VIDEO ? -1 : 1;
  return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

static void
update_reference (Segmenter * seg)
{
  seg->reference = seg->tracks ? seg->tracks->data : NULL;
}

SegTrack *
segmenter_add_track (Segmenter * seg, SegTrackKind kind, guint index,
    const gchar * id, gpointer user_data)
{
  SegTrack *t = g_new0 (SegTrack, 1);

  t->kind = kind;
  t->index = index;
  t->id = g_strdup (id);
  t->user_data = user_data;
  t->samples = g_array_new (FALSE, FALSE, sizeof (SegSample));
  t->early = g_array_new (FALSE, FALSE, sizeof (SegSample));
  t->cut_tolerance = SEGMENTER_BOUNDARY_TOLERANCE;
  track_reset (seg, t);
  seg->tracks = g_list_insert_sorted (seg->tracks, t, track_compare);
  update_reference (seg);
  return t;
}

void
segmenter_remove_track (Segmenter * seg, SegTrack * track)
{
  seg->tracks = g_list_remove (seg->tracks, track);
  update_reference (seg);
  track_free (seg, track);
}

SegTrack *
segmenter_get_reference (Segmenter * seg)
{
  return seg->reference;
}

void
segmenter_track_set_format (SegTrack * t, guint32 timescale, gint fps_n,
    gint fps_d, guint audio_frame)
{
  g_return_if_fail (timescale > 0);
  t->timescale = timescale;
  if (t->kind == SEG_TRACK_AUDIO && audio_frame > 0)
    t->frame_ticks = audio_frame;
  else if (fps_n > 0 && fps_d > 0)
    t->frame_ticks = ((guint64) timescale * fps_d + fps_n / 2) / fps_n;
  else
    t->frame_ticks = timescale / 30;
  t->frame_ticks = MAX (t->frame_ticks, 1);
  /* half a frame of video: a keyframe a few ms before the boundary must
   * not double the segment */
  t->cut_tolerance = SEGMENTER_BOUNDARY_TOLERANCE;
  if (t->kind == SEG_TRACK_VIDEO && fps_n > 0 && fps_d > 0)
    t->cut_tolerance = MAX (SEGMENTER_BOUNDARY_TOLERANCE,
        SECOND * fps_d / (2 * (guint64) fps_n));
}

void
segmenter_track_continue (SegTrack * track, guint64 next)
{
  track->number = next;
}

void
segmenter_track_format_changed (Segmenter * seg, SegTrack * track)
{
  track->config_changed = TRUE;
  seg->force_period = TRUE;
}

guint64
segmenter_track_frame_ticks (const SegTrack * t)
{
  return t->frame_ticks > 0 ? t->frame_ticks : MAX (t->timescale / 30, 1);
}

guint64
segmenter_period_start (Segmenter * seg, guint index)
{
  g_return_val_if_fail (index < seg->period_starts->len, 0);
  return g_array_index (seg->period_starts, guint64, index);
}

guint
segmenter_n_periods (Segmenter * seg)
{
  return seg->period_starts->len;
}

gboolean
segmenter_is_finished (Segmenter * seg)
{
  return seg->finished;
}

void
seg_op_clear (Segmenter * seg, SegOp * op)
{
  if (op->samples) {
    free_samples (seg, op->samples, 0, op->samples->len);
    g_array_free (op->samples, TRUE);
    op->samples = NULL;
  }
  g_clear_pointer (&op->message, g_free);
  g_clear_pointer (&op->debug, g_free);
}

/* ---------------------------------------------------------------- */
/* the segment grid */

/* The first grid point (@p + k × segment duration) at least half a
 * segment after @start_ns */
static guint64
grid_after (Segmenter * seg, guint64 p, guint64 start_ns)
{
  guint64 d = seg->cfg.segment_duration, b;

  if (start_ns + SEGMENTER_BOUNDARY_TOLERANCE < p)
    return start_ns + d;
  /* the first grid point after the start, at least half a segment on */
  b = p + ((start_ns + SEGMENTER_BOUNDARY_TOLERANCE - p) / d + 1) * d;
  if (b - start_ns < d / 2)
    b += d;
  return b;
}

guint64
segmenter_next_boundary (Segmenter * seg, guint64 start_ns)
{
  if (!seg->have_grid)
    return start_ns + seg->cfg.segment_duration;
  return grid_after (seg, seg->grid_phase, start_ns);
}

/* Whether @ns (a sample of @t) is on a grid point, within the cut
 * tolerance */
static gboolean
grid_point (Segmenter * seg, SegTrack * t, guint64 ns)
{
  guint64 d = seg->cfg.segment_duration;
  guint64 r = (ns + t->cut_tolerance + d - seg->grid_phase % d) % d;

  return r <= 2 * t->cut_tolerance;
}

/* Grid slot of @ns: k for media times from a quarter segment before grid
 * point k to a quarter segment before point k + 1 (counted from media
 * time 0: on a clock timeline, slot k starts at k × segment_duration) */
static guint64
grid_slot (Segmenter * seg, guint64 ns)
{
  guint64 d = seg->cfg.segment_duration;

  ns += d / 4;
  return ns < seg->grid_phase ? 0 : (ns - seg->grid_phase) / d;
}

/* Numbers count from the grid: a track's first segment gets the slot
 * before that of the grid point it ends at, so that producers on one
 * clock number the same segment alike whenever they started. */
static void
number_first_segment (Segmenter * seg, SegTrack * t, guint64 end_ns)
{
  if (t->number == 0)
    t->number = MAX (grid_slot (seg, end_ns), 1) - 1;
}

/* ---------------------------------------------------------------- */
/* cutting */

static SegOp *
add_op (GArray * ops, SegOpKind kind, SegTrack * t)
{
  SegOp op = { 0, };

  op.kind = kind;
  op.track = t;
  op.number = t->number;
  if (kind == SEG_OP_CHUNK) {
    /* its segment's start: the segment's name, and its parts' */
    op.start_ns = t->seg_start_ns;
    op.start_ticks = t->seg_start_ticks;
  }
  g_array_append_val (ops, op);
  return &g_array_index (ops, SegOp, ops->len - 1);
}

static void
drop_sample (Segmenter * seg, SegTrack * t, const SegSample * x,
    SegDropReason reason, GArray * ops)
{
  SegOp *op = add_op (ops, SEG_OP_DROP, t);

  op->reason = reason;
  op->start_ns = x->dec_ns;
  if (seg->cfg.free_data && x->data)
    seg->cfg.free_data (x->data);
}

static void
error_op (SegTrack * t, GArray * ops, gchar * message, gchar * debug)
{
  SegOp *op = add_op (ops, SEG_OP_ERROR, t);

  op->message = message;
  op->debug = debug;
}

/* Moves the first @n pending samples out into a new array */
static GArray *
take_samples (SegTrack * t, guint n)
{
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (SegSample), n);

  if (n > 0) {
    g_array_append_vals (out, t->samples->data, n);
    g_array_remove_range (t->samples, 0, n);
    t->last_taken_arrival = g_array_index (out, SegSample, n - 1).arrival;
  }
  return out;
}

/* Duration in ticks of the last sample when nothing follows it */
static guint64
last_sample_duration (SegTrack * t)
{
  if (t->last_dur_ticks > 0)
    return t->last_dur_ticks;
  if (t->seg_samples >= 2 && t->last_ticks > t->prev_ticks)
    return t->last_ticks - t->prev_ticks;
  return segmenter_track_frame_ticks (t);
}

/* Closes the open segment; its last chunk is the first @n pending
 * samples (maybe none), the last one ending at @end_ticks. */
static void
finish_segment (Segmenter * seg, SegTrack * t, guint n, guint64 end_ticks,
    GArray * ops)
{
  SegOp *op;
  GArray *tail;

  g_assert (t->in_segment && n <= t->samples->len);
  /* numbered by where it ends when the grid was not known at its start */
  number_first_segment (seg, t, t->seg_start_ns +
      dash_ticks_to_ns (end_ticks - t->seg_start_ticks, t->timescale));
  tail = take_samples (t, n);
  op = add_op (ops, SEG_OP_FINISH, t);
  op->samples = tail;
  op->end_ticks = end_ticks;
  op->start_ns = t->seg_start_ns;
  op->start_ticks = t->seg_start_ticks;
  op->discont = t->discont;
  op->period = t->period;
  op->part = t->parts;
  if (n > 0)
    t->parts++;
  op->n_parts = t->parts;
  /* (everything may have been handed out as chunks already) */
  op->last_arrival = t->last_taken_arrival;
  t->chunk_end_ticks = end_ticks;
  t->seg_samples -= n;
  t->number++;
  t->in_segment = FALSE;
  t->discont = FALSE;
  t->parts = 0;
}

/* ---------------------------------------------------------------- */
/* the chunk grid (low latency) */

/* The smallest @origin + k × @period (k any integer) after @ns */
static guint64
part_grid_after (guint64 origin, guint64 period, guint64 ns)
{
  if (ns < origin)
    return origin - ((origin - ns - 1) / period) * period;
  return origin + ((ns - origin) / period + 1) * period;
}

/* Fixes the part period (the chunk duration rounded to whole frames of
 * the reference) and the part target (the longest chunk any track can
 * get on that grid, whole frames, plus room for jitter) from the formats
 * known now.  Called at the first chunk: it must not change later. */
static void
fix_part_grid (Segmenter * seg)
{
  SegTrack *ref = seg->reference;
  guint64 period = seg->cfg.chunk_duration, longest;
  GList *l;

  if (ref && ref->timescale > 0) {
    guint64 f = segmenter_track_frame_ticks (ref);
    guint64 f_ns = MAX (dash_ticks_to_ns (f, ref->timescale), 1);
    guint64 n = (seg->cfg.chunk_duration + f_ns / 2) / f_ns;
    period = dash_ticks_to_ns (MAX (n, 1) * f, ref->timescale);
  }
  longest = period;
  for (l = seg->tracks; l; l = l->next) {
    SegTrack *t = l->data;
    guint64 f, p;

    if (t == ref || t->timescale == 0)
      continue;
    /* a grid interval holds floor or ceil (period / frame) frames */
    f = segmenter_track_frame_ticks (t);
    p = dash_ns_to_ticks (period, t->timescale);
    longest = MAX (longest, dash_ticks_to_ns ((p + f - 1) / f * f,
            t->timescale));
  }
  seg->part_period = MAX (period, 1);
  seg->part_target = longest + SEGMENTER_PART_JITTER;
}

/* The grid of a segment that starts now: from @origin_ns, the boundary it
 * starts at (@own: its own start, no boundary known) */
static void
grid_start (Segmenter * seg, SegTrack * t, guint64 origin_ns, gboolean own)
{
  t->grid_origin_ns = origin_ns;
  t->grid_own = own;
  t->parts = 0;
  t->next_grid_ns = seg->part_period == 0 ? 0 :
      part_grid_after (origin_ns, seg->part_period,
      t->seg_start_ns + t->cut_tolerance);
}

/* Hands out chunk @n_take pending samples as a chunk ending where the
 * next pending sample starts */
static void
emit_chunk (Segmenter * seg, SegTrack * t, guint n_take, GArray * ops)
{
  SegOp *op = add_op (ops, SEG_OP_CHUNK, t);
  const SegSample *next;

  op->end_ticks = g_array_index (t->samples, SegSample, n_take).ticks;
  op->samples = take_samples (t, n_take);
  op->part = t->parts++;
  t->chunk_end_ticks = op->end_ticks;
  /* the next chunk starts with the next pending sample */
  next = &g_array_index (t->samples, SegSample, 0);
  if (t->next_grid_ns <= next->dec_ns + t->cut_tolerance)
    t->next_grid_ns = part_grid_after (t->grid_origin_ns, seg->part_period,
        next->dec_ns + t->cut_tolerance);
}

/* Hands out the first @n pending samples of @t's open segment as chunks:
 * a chunk ends before the first sample whose decode time reaches the next
 * grid point, or earlier when it would otherwise be longer than the part
 * target.  With @closing those samples are the rest of the segment and
 * end at @end_ticks (the caller finishes the segment with what is left);
 * else the newest of them may still grow the last chunk, which stays
 * pending.  Returns how many samples were handed out. */
static guint
cut_parts (Segmenter * seg, SegTrack * t, guint n, gboolean closing,
    guint64 end_ticks, GArray * ops)
{
  guint taken = 0;
  guint64 target;

  if (seg->cfg.chunk_duration == 0 || !t->in_segment || n < 2)
    return 0;
  if (seg->part_period == 0)
    fix_part_grid (seg);
  if (t->next_grid_ns == 0)
    t->next_grid_ns = part_grid_after (t->grid_origin_ns, seg->part_period,
        g_array_index (t->samples, SegSample, 0).dec_ns + t->cut_tolerance);
  /* the part target in ticks, rounded down */
  target = (guint64) ((gdouble) seg->part_target * t->timescale /
      DASH_NS_PER_SECOND);

  while (n >= 2) {
    const SegSample *x = (const SegSample *) t->samples->data;
    guint64 start = x[0].ticks, end;
    guint i, grid = 0, c;

    for (i = 1; i < n; i++) {
      if (x[i].dec_ns + t->cut_tolerance >= t->next_grid_ns) {
        grid = i;
        break;
      }
    }
    end = grid ? x[grid].ticks : (closing ? end_ticks : x[n - 1].ticks);
    if (end - start > target) {
      /* too long: closed before the sample that would make it longer */
      c = 1;
      for (i = 2; i < (grid ? grid : n) && x[i].ticks - start <= target; i++)
        c = i;
    } else if (grid) {
      c = grid;
    } else {
      break;
    }
    emit_chunk (seg, t, c, ops);
    taken += c;
    n -= c;
  }
  return taken;
}

/* Pending samples of @t before @limit_ns (they surely belong to the open
 * segment when the next boundary is at or after @limit_ns) */
static guint
count_before (SegTrack * t, guint64 limit_ns)
{
  guint i;

  for (i = 0; i < t->samples->len; i++)
    if (g_array_index (t->samples, SegSample, i).dec_ns +
        SEGMENTER_BOUNDARY_TOLERANCE >= limit_ns)
      break;
  return i;
}

static void
finish_last_segment (Segmenter * seg, SegTrack * t, GArray * ops)
{
  guint64 end;

  if (!t->in_segment || t->seg_samples == 0)
    return;
  end = t->last_ticks + last_sample_duration (t);
  cut_parts (seg, t, t->samples->len, TRUE, end, ops);
  finish_segment (seg, t, t->samples->len, end, ops);
}

/* Opens a segment with the first pending sample as its first sample; its
 * chunk grid starts at @origin_ns (@own: not a boundary of the
 * reference's) */
static void
start_segment (Segmenter * seg, SegTrack * t, guint period,
    gboolean new_period, guint64 origin_ns, gboolean own, GArray * ops)
{
  SegSample *first = &g_array_index (t->samples, SegSample, 0);
  SegOp *op;

  t->in_segment = TRUE;
  t->seg_start_ns = first->dec_ns;
  t->seg_start_ticks = first->ticks;
  t->seg_samples = t->samples->len;
  if (seg->have_grid)
    number_first_segment (seg, t, segmenter_next_boundary (seg,
            t->seg_start_ns));
  grid_start (seg, t, origin_ns, own);
  op = add_op (ops, SEG_OP_START, t);
  op->period = period;
  op->new_period = new_period;
  op->start_ns = t->seg_start_ns;
  op->start_ticks = t->seg_start_ticks;
  op->discont = t->discont;
  /* the new format (if any) starts here */
  op->new_config = t->config_changed;
  t->config_changed = FALSE;
  t->period = period;
}

/* First boundary after @ns */
static const Boundary *
next_boundary (Segmenter * seg, guint64 ns)
{
  guint i;

  for (i = 0; i < seg->boundaries->len; i++) {
    const Boundary *b = &g_array_index (seg->boundaries, Boundary, i);
    if (b->ns > ns + SEGMENTER_BOUNDARY_TOLERANCE)
      return b;
  }
  return NULL;
}

/* Last boundary at or before @ns */
static const Boundary *
prev_boundary (Segmenter * seg, guint64 ns)
{
  const Boundary *res = NULL;
  guint i;

  for (i = 0; i < seg->boundaries->len; i++) {
    const Boundary *b = &g_array_index (seg->boundaries, Boundary, i);
    if (b->ns > ns + SEGMENTER_BOUNDARY_TOLERANCE)
      break;
    res = b;
  }
  return res;
}

static guint
add_period (Segmenter * seg, guint64 start_ns)
{
  g_array_append_val (seg->period_starts, start_ns);
  seg->force_period = FALSE;
  return seg->period_starts->len - 1;
}

static gboolean
has_error (GArray * ops, guint from)
{
  guint i;

  for (i = from; i < ops->len; i++)
    if (g_array_index (ops, SegOp, i).kind == SEG_OP_ERROR)
      return TRUE;
  return FALSE;
}

/* Whether @t cuts at the reference's boundaries.  After the reference's
 * EOS a track that lags behind still uses the boundaries announced so
 * far, and cuts by itself only after the last one. */
static gboolean
follows_reference (Segmenter * seg, SegTrack * t)
{
  if (t == seg->reference || seg->reference == NULL)
    return FALSE;
  if (!seg->reference->eos)
    return TRUE;
  return next_boundary (seg, t->in_segment ? t->seg_start_ns : 0) != NULL;
}

/* A follower whose segment started before any boundary was known cuts
 * its chunks on the reference's grid once the reference has a segment */
static void
follower_rebase (Segmenter * seg, SegTrack * t)
{
  SegTrack *ref = seg->reference;

  if (!t->grid_own || ref == NULL || !ref->in_segment ||
      seg->part_period == 0 || t->samples->len == 0)
    return;
  t->grid_origin_ns = ref->seg_start_ns;
  t->grid_own = FALSE;
  t->next_grid_ns = part_grid_after (t->grid_origin_ns, seg->part_period,
      g_array_index (t->samples, SegSample, 0).dec_ns + t->cut_tolerance);
}

/* A follower splits its pending samples at the boundaries the reference
 * announced, and into chunks on the grid as far as it knows that the
 * samples belong to its open segment. */
static void
follower_cut (Segmenter * seg, SegTrack * t, GArray * ops)
{
  while (t->in_segment && t->seg_samples > 1) {
    const Boundary *b = next_boundary (seg, t->seg_start_ns);
    guint i, period;
    guint64 limit, b_ns;

    if (b == NULL) {
      /* the next boundary is at least a segment duration (less the
       * reference's tolerance) after the one this segment started at */
      follower_rebase (seg, t);
      limit = t->grid_origin_ns + seg->cfg.segment_duration -
          (seg->reference ? MIN (seg->reference->cut_tolerance,
              seg->cfg.segment_duration / 2) : 0);
      cut_parts (seg, t, count_before (t, limit), FALSE, 0, ops);
      return;
    }
    period = b->period;
    b_ns = b->ns;
    /* the segment's first sample cannot end it */
    for (i = t->seg_samples == t->samples->len ? 1 : 0;
        i < t->samples->len; i++) {
      SegSample *x = &g_array_index (t->samples, SegSample, i);
      if (x->dec_ns + SEGMENTER_BOUNDARY_TOLERANCE >= b_ns && x->key)
        break;
    }
    if (i == t->samples->len) {
      cut_parts (seg, t, count_before (t, b_ns), FALSE, 0, ops);
      return;
    }
    i -= cut_parts (seg, t, i, TRUE,
        g_array_index (t->samples, SegSample, i).ticks, ops);
    finish_segment (seg, t, i, g_array_index (t->samples, SegSample, i).ticks,
        ops);
    start_segment (seg, t, MAX (period, t->period), FALSE, b_ns, FALSE, ops);
  }
}

static void
remember_last (SegTrack * t, const SegSample * x)
{
  t->prev_ticks = t->have_last ? t->last_ticks : x->ticks;
  t->last_ticks = x->ticks;
  t->last_dec_ns = x->dec_ns;
  t->last_dur_ticks = x->dur_ticks;
  t->have_last = TRUE;
}

static void
append_sample (SegTrack * t, const SegSample * x)
{
  g_array_append_val (t->samples, *x);
  remember_last (t, x);
  if (t->in_segment)
    t->seg_samples++;
}

/* Keeps the boundaries that a track may still need. */
static void
prune_boundaries (Segmenter * seg)
{
  guint64 oldest = G_MAXUINT64;
  guint n = 0;
  GList *l;

  /* seg_start_ns is 0 for a track that has not started yet */
  for (l = seg->tracks; l; l = l->next) {
    SegTrack *t = l->data;
    if (!t->eos || t->in_segment)
      oldest = MIN (oldest, t->seg_start_ns);
  }
  while (n + 1 < seg->boundaries->len &&
      g_array_index (seg->boundaries, Boundary, n + 1).ns <= oldest)
    n++;
  if (n > 0)
    g_array_remove_range (seg->boundaries, 0, n);
}

/* The leader (reference, or a track cutting by itself) ends its segment
 * at keyframe @x and opens the next one with it. */
static void
leader_cut (Segmenter * seg, SegTrack * t, const SegSample * x, GArray * ops)
{
  Boundary b;
  gboolean new_period = FALSE;
  GList *l;

  cut_parts (seg, t, t->samples->len, TRUE, x->ticks, ops);
  finish_segment (seg, t, t->samples->len, x->ticks, ops);
  b.ns = x->dec_ns;
  b.period = seg->period_starts->len - 1;
  if (seg->force_period || t->config_changed) {
    b.period = add_period (seg, x->dec_ns);
    new_period = TRUE;
  }
  if (t == seg->reference)
    g_array_append_val (seg->boundaries, b);
  append_sample (t, x);
  start_segment (seg, t, b.period, new_period, x->dec_ns,
      t != seg->reference, ops);
  /* followers already at EOS are cut from here */
  for (l = seg->tracks; l; l = l->next) {
    SegTrack *o = l->data;
    if (o != t && o->eos)
      follower_cut (seg, o, ops);
  }
}

/* @t waits for a keyframe (or, @x a keyframe of a follower, for the
 * reference's period), @x dropped or held: bounded, an error after
 * max_wait */
static void
note_waiting (Segmenter * seg, SegTrack * t, const SegSample * x, GArray * ops)
{
  if (!t->waiting) {
    t->waiting = TRUE;
    t->wait_start_ns = x->dec_ns;
  }
  if (x->dec_ns - t->wait_start_ns > seg->max_wait)
    error_op (t, ops, g_strdup_printf ("%s: no %s for %" G_GUINT64_FORMAT
            " ms", t->id, x->key ? "new period from the first video pad" :
            "keyframe", (x->dec_ns - t->wait_start_ns) / MSECOND), NULL);
}

/* The samples held for the reference (hold_early), pushed again in order:
 * after its first keyframe they go into segments, before it they are
 * dropped and counted (or, t->early_own, they start on their own) */
static void
release_early (Segmenter * seg, SegTrack * t, GArray * ops)
{
  GArray *early = t->early;
  guint i;

  t->early = g_array_new (FALSE, FALSE, sizeof (SegSample));
  t->waiting = FALSE;
  for (i = 0; i < early->len; i++)
    segmenter_push (seg, t, &g_array_index (early, SegSample, i), ops);
  g_array_free (early, TRUE);
}

/* A follower's sample while the reference has no keyframe yet: it may
 * belong after that keyframe (the reference's thread is late: an encoder's
 * latency, a file's audio running ahead of its video, an AAC frame
 * starting on the grid point a video keyframe starts on, pushed first), so
 * it is held, in order, until the reference starts.  Dropping them instead
 * cut a second encoder's first GOP and a redundant producer's first audio
 * frame; publishing them made a first audio segment a second earlier and
 * longer than the video's (hls.js never started on it).  Held for
 * max_wait of media at most, then dropped (counted) with an error: no
 * period from the first video pad (a follower could not cut segments
 * without it either).  TRUE: @x is taken. */
static gboolean
hold_early (Segmenter * seg, SegTrack * t, const SegSample * x, GArray * ops)
{
  guint i;

  if (!t->waiting) {
    t->waiting = TRUE;
    t->wait_start_ns = x->dec_ns;
  }
  g_array_append_val (t->early, *x);
  if (x->dec_ns <= t->wait_start_ns + seg->max_wait)
    return TRUE;
  error_op (t, ops, g_strdup_printf ("%s: no new period from the first "
          "video pad for %" G_GUINT64_FORMAT " ms", t->id,
          (x->dec_ns - t->wait_start_ns) / MSECOND), NULL);
  for (i = 0; i < t->early->len; i++)
    drop_sample (seg, t, &g_array_index (t->early, SegSample, i),
        SEG_DROP_NO_KEYFRAME, ops);
  g_array_set_size (t->early, 0);
  t->waiting = FALSE;
  return TRUE;
}

void
segmenter_push (Segmenter * seg, SegTrack * t, const SegSample * x,
    GArray * ops)
{
  gboolean leader = !follows_reference (seg, t);
  guint first_op = ops->len;

  g_return_if_fail (t->timescale > 0);

  if (t->early->len > 0 && (leader || seg->boundaries->len > 0)) {
    /* the reference started (or ended without a keyframe): the samples
     * held for it, before this one */
    release_early (seg, t, ops);
    first_op = ops->len;
  }

  if (t->in_segment) {
    if (x->ticks < t->last_ticks) {
      drop_sample (seg, t, x, SEG_DROP_BACKWARDS, ops);
      return;
    }
    if (x->dec_ns - t->last_dec_ns > SEGMENTER_GAP_THRESHOLD) {
      /* the segment ends with the gap; the next one starts at a new S@t */
      finish_last_segment (seg, t, ops);
      t->discont = TRUE;
    } else if (t->config_changed && !leader) {
      /* new format on a follower: its old segment ends here, the new
       * one waits for the period the reference opens */
      cut_parts (seg, t, t->samples->len, TRUE, x->ticks, ops);
      finish_segment (seg, t, t->samples->len, x->ticks, ops);
    } else if (leader && x->key && (x->dec_ns + t->cut_tolerance >=
            segmenter_next_boundary (seg, t->seg_start_ns) ||
            seg->force_period || t->config_changed)) {
      leader_cut (seg, t, x, ops);
      goto done;
    } else if (x->dec_ns - t->seg_start_ns > seg->max_wait) {
      error_op (t, ops, g_strdup_printf ("%s: no segment boundary for %"
              G_GUINT64_FORMAT " ms (no keyframe%s)", t->id,
              (x->dec_ns - t->seg_start_ns) / MSECOND,
              leader ? "" : " or no data from the first video pad"),
          g_strdup_printf ("segment started at %" G_GUINT64_FORMAT " ns",
              t->seg_start_ns));
      if (seg->cfg.free_data && x->data)
        seg->cfg.free_data (x->data);
      return;
    }
  }

  if (!t->in_segment) {
    const Boundary *b = NULL;
    guint period = seg->period_starts->len - 1;
    gboolean new_period = FALSE, before_start = FALSE, own = TRUE;
    guint64 origin = x->dec_ns;

    if (!leader && t->config_changed && x->key) {
      /* the new format starts with the reference's new period */
      b = prev_boundary (seg, x->dec_ns);
      if (b != NULL && b->period <= t->period)
        b = NULL;
    }
    /* a run starts with the reference's first keyframe (a resumed run's
     * period too): nothing of another track before it (audio that came
     * before the encoder's first frame made a first audio segment a
     * second longer than the others, earlier than the video's: hls.js
     * started on it and never played); before the reference has a
     * keyframe, a sample may still come after it (the reference's own
     * thread is late): held */
    if (!leader && !t->early_own && prev_boundary (seg, x->dec_ns) == NULL) {
      if (seg->boundaries->len == 0 && hold_early (seg, t, x, ops))
        return;
      before_start = TRUE;
    }
    /* on a clock grid the run starts at a keyframe on a grid point, so
     * that producers that started at other times publish the same
     * segments from the first one on (no first segment of a run's own
     * under a number another producer gives a whole one); at most a
     * segment duration after the first keyframe, else at any keyframe
     * (an encoder whose keyframes are not on the grid) */
    if (leader && t == seg->reference && !seg->ref_started &&
        seg->cfg.grid_from_zero && x->key && !grid_point (seg, t, x->dec_ns)) {
      if (!seg->first_key_seen) {
        seg->first_key_seen = TRUE;
        seg->first_key_ns = x->dec_ns;
      }
      if (x->dec_ns < seg->first_key_ns + seg->cfg.segment_duration +
          t->cut_tolerance)
        before_start = TRUE;
    }
    if (!x->key || (!leader && t->config_changed && b == NULL) || before_start) {
      /* bounded: frames are dropped (and counted) while waiting */
      drop_sample (seg, t, x, SEG_DROP_NO_KEYFRAME, ops);
      note_waiting (seg, t, x, ops);
      return;
    }
    t->waiting = FALSE;
    if (!leader) {
      if (b == NULL)
        b = prev_boundary (seg, x->dec_ns);
      if (b) {
        period = MAX (b->period, t->period);
        origin = b->ns;
        own = FALSE;
      }
    } else if (t == seg->reference && !seg->ref_started) {
      /* the run's first keyframe: the grid's origin unless fixed; the
       * other tracks (and a resumed run's period) start here */
      Boundary first = { x->dec_ns, 0 };

      own = FALSE;
      seg->ref_started = TRUE;
      if (!seg->have_grid) {
        seg->have_grid = TRUE;
        seg->grid_phase = x->dec_ns % seg->cfg.segment_duration;
      }
      if (seg->cfg.resumed)
        g_array_index (seg->period_starts, guint64, 0) = x->dec_ns;
      g_array_append_val (seg->boundaries, first);
    } else if (t == seg->reference) {
      own = FALSE;
    }
    if (leader && t == seg->reference && t->published > 0) {
      /* the reference restarts after a gap: announce the boundary */
      Boundary nb = { x->dec_ns, seg->period_starts->len - 1 };
      if (seg->force_period || t->config_changed) {
        nb.period = add_period (seg, x->dec_ns);
        new_period = TRUE;
      }
      period = nb.period;
      g_array_append_val (seg->boundaries, nb);
    }
    append_sample (t, x);
    start_segment (seg, t, period, new_period, origin, own, ops);
    goto done;
  }

  append_sample (t, x);
  if (!leader)
    follower_cut (seg, t, ops);
  else if (!has_error (ops, first_op))
    cut_parts (seg, t, t->samples->len, FALSE, 0, ops);

done:
  prune_boundaries (seg);
}

static gboolean
all_eos (Segmenter * seg)
{
  GList *l;

  for (l = seg->tracks; l; l = l->next)
    if (!((SegTrack *) l->data)->eos)
      return FALSE;
  return TRUE;
}

void
segmenter_eos (Segmenter * seg, SegTrack * t, GArray * ops)
{
  SegTrack *ref = seg->reference;
  GList *l;

  if (t->early->len > 0) {
    /* ended while held: with the reference if it started since, else on
     * its own */
    t->early_own = seg->boundaries->len == 0;
    release_early (seg, t, ops);
  }
  t->eos = TRUE;
  if (t == ref || ref == NULL || ref->eos) {
    if (t != ref)
      follower_cut (seg, t, ops);
    finish_last_segment (seg, t, ops);
    if (t == ref) {
      /* followers that ended earlier close with what they have */
      for (l = seg->tracks; l; l = l->next) {
        SegTrack *o = l->data;
        if (o != t && o->eos) {
          follower_cut (seg, o, ops);
          finish_last_segment (seg, o, ops);
        }
      }
    }
  }
  if (all_eos (seg) && !seg->finished) {
    seg->finished = TRUE;
    add_op (ops, SEG_OP_END, t);
  }
  prune_boundaries (seg);
}

gboolean
segmenter_flush (Segmenter * seg, SegTrack * t, GArray * ops)
{
  gboolean was_open = t->in_segment;

  /* chunks of it may have been served: it ends after the last one */
  if (ops && t->in_segment && t->parts > 0)
    finish_segment (seg, t, 0, t->chunk_end_ticks, ops);
  track_clear (seg, t);
  t->eos = FALSE;
  t->discont = TRUE;
  t->have_last = FALSE;
  return was_open;
}

/* ---------------------------------------------------------------- */
/* manifests */

void
segmenter_published (Segmenter * seg, SegTrack * t, guint64 end_ns,
    guint64 end_ticks)
{
  t->published++;
  t->published_end = end_ns;
  t->published_end_ticks = end_ticks;
}

gboolean
segmenter_all_listed (Segmenter * seg)
{
  GList *l;
  guint64 ref_segments = seg->reference ? seg->reference->published : 0;

  if (seg->finished)
    return TRUE;
  for (l = seg->tracks; l; l = l->next) {
    SegTrack *t = l->data;
    /* a track that produces nothing must not hold the others back for
     * ever: after 3 segments of the reference it is left out */
    if (t->published == 0 && !t->eos && ref_segments < 3)
      return FALSE;
  }
  return TRUE;
}

gboolean
segmenter_manifests_due (Segmenter * seg, SegTrack * published)
{
  guint64 slowest = G_MAXUINT64;
  gboolean round = TRUE;
  GList *l;

  if (seg->finished || published == NULL)
    goto due;
  for (l = seg->tracks; l; l = l->next) {
    SegTrack *t = l->data;
    if (t->eos && !t->in_segment)
      continue;
    if (t->published <= t->listed)
      round = FALSE;
    slowest = MIN (slowest, t->published_end);
  }
  if (round || published->published_end > slowest +
      2 * seg->cfg.segment_duration)
    goto due;
  return FALSE;

due:
  for (l = seg->tracks; l; l = l->next) {
    SegTrack *t = l->data;
    t->listed = t->published;
  }
  return TRUE;
}

gboolean
segmenter_manifests_skip (Segmenter * seg, SegTrack * published,
    gint64 ast_us, gint64 now_us, gint64 last_write_us, gint64 now_mono_us)
{
  gint64 end_us;

  if (seg->finished || published == NULL ||
      seg->cfg.manifest_min_interval == 0 || last_write_us == 0)
    return FALSE;
  if (now_mono_us - last_write_us >=
      (gint64) (seg->cfg.manifest_min_interval / 1000))
    return FALSE;
  /* a live stream publishes a segment about when the wall clock reaches
   * its end; a file remuxed as fast as possible runs ahead */
  end_us = ast_us + (gint64) (published->published_end / 1000);
  return end_us > now_us + (gint64) (2 * seg->cfg.segment_duration / 1000);
}

guint64
segmenter_part_target (Segmenter * seg)
{
  return seg->part_target;
}

guint64
segmenter_part_period (Segmenter * seg)
{
  return seg->part_period;
}

guint
segmenter_predict (Segmenter * seg, SegTrack * t, guint64 end_ticks,
    guint64 ahead[DASH_MAX_ANNOUNCED])
{
  guint64 grid, horizon, seg_dur = seg->cfg.segment_duration, end_ns, b, f;
  guint64 slack;
  guint i;

  if (seg->cfg.chunk_duration == 0 || seg->finished || seg->reference == NULL
      || seg->reference->published_end == 0 || t->eos || t->config_changed
      || t->period + 1 < seg->period_starts->len)
    return 0;
  grid = seg->reference->published_end;
  /* every track is announced up to where the reference is: a track whose
   * segment of the round is not published yet gets one more (players
   * reload the MPD only every minimumUpdatePeriod: a segment missing from
   * the MPD they hold stalls them although it is being written) */
  horizon = grid + DASH_MAX_AHEAD * seg_dur;
  end_ns = dash_ticks_to_ns (end_ticks, t->timescale);
  /* the boundary that ends this track's next segment (on the grid, or on
   * the reference's last cut when it has none) */
  b = grid_after (seg, seg->have_grid ? seg->grid_phase : grid % seg_dur,
      end_ns);
  f = segmenter_track_frame_ticks (t);
  /* a frame that starts within the cut tolerance before a boundary ends
   * the segment there (and ns/tick rounding is not a frame) */
  slack = MIN (dash_ns_to_ticks (SEGMENTER_BOUNDARY_TOLERANCE, t->timescale),
      f - 1);
  for (i = 0; i < DASH_MAX_ANNOUNCED && (i < DASH_MAX_AHEAD ||
          end_ns + SEGMENTER_BOUNDARY_TOLERANCE < horizon); i++) {
    guint64 bt = dash_ns_to_ticks (b, t->timescale);
    guint64 d = bt > end_ticks + slack ? bt - end_ticks : f;
    d = MAX ((d + f - 1 - slack) / f, 1) * f;
    ahead[i] = d;
    end_ticks += d;
    end_ns = dash_ticks_to_ns (end_ticks, t->timescale);
    b += seg_dur;
  }
  return i;
}
