/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* See driftestimator.h for the model. Nothing here allocates per
 * observation: each track has a fixed ring of window minima, and the line is
 * refitted only when a window closes (twice a second by default), so the
 * per-buffer cost is a handful of comparisons. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "driftestimator.h"

#include <math.h>
#include <string.h>

#define MAX_SHIFT_WINDOWS 8
/* Fewer windows than this: the fit is the level of the last LEVEL_POINTS
 * windows without a slope (a slope over a few seconds of jitter is noise) */
#define MIN_SLOPE_POINTS 16
#define LEVEL_POINTS 4
/* Windows in the fit before outliers are recognised */
#define MIN_OUTLIER_POINTS 4
/* Windows per track before the slope feeds drift_ppm */
#define MIN_PPM_POINTS 16
/* With the clock reference, an audio fit older than this (no audio
 * arriving) is not extrapolated: the correction holds */
#define STALE_AUDIO (5 * DRIFT_SECOND)
/* A correction smaller than this is not applied: the resolution */
#define DEADBAND DRIFT_MSECOND
/* drop/dup when the remaining error exceeds this share of a frame (x/20) */
#define DROP_DUP_SHARE 11
/* smoothing of drift_ppm: 1/8 per window */
#define PPM_ALPHA 0.125
/* The slope over a longer horizon: every LONG_EVERY windows the fitted
 * level is kept, up to LONG_HISTORY of them (4 s apart, 8.5 minutes); the
 * line through them gives the drift once LONG_MIN_POINTS are in */
#define LONG_EVERY 8
#define LONG_HISTORY 128
#define LONG_MIN_POINTS 16

typedef struct {
  guint64 x;
  gint64 d;
} DriftPoint;

typedef struct {
  gboolean valid;
  guint epoch;
  guint64 x_ref;
  gdouble level;                /* delay at x_ref, ns */
  gdouble slope;                /* ns per ns */
} DriftFit;

struct _DriftTrack {
  DriftTrackConfig cfg;

  gboolean have_last;
  guint64 last_y;
  guint64 last_x;
  gint64 last_d;
  guint64 last_dur;
  guint64 exp_y;                /* expected next timestamp */
  guint64 next_x;               /* media: content clock of the next buffer */
  gboolean restart_pending;     /* flushed: next observation starts an epoch */

  gboolean win_open;
  guint64 win_start;
  gint64 win_min;
  guint64 win_min_x;

  DriftPoint hist[DRIFT_MAX_HISTORY];
  guint head;                   /* next slot to write */
  guint n;

  DriftPoint pend[MAX_SHIFT_WINDOWS];
  guint n_pend;

  DriftFit fit;
  DriftFit prev_fit;            /* the fit of the epoch before the last jump */

  DriftPoint lhist[LONG_HISTORY];
  guint lhead;
  guint ln;
  guint since_long;             /* windows since the last long point */
  gdouble long_slope;
  guint epoch;
  guint64 jump_x;
};

/* ------------------------------------------------------------------------
 * DriftTrack
 */

void
drift_track_config_init (DriftTrackConfig * cfg, DriftReference ref)
{
  cfg->reference = ref;
  cfg->window = 500 * DRIFT_MSECOND;
  cfg->history = 64;
  cfg->max_jump = 2 * DRIFT_SECOND;
  cfg->shift = 20 * DRIFT_MSECOND;
  cfg->shift_windows = 3;
}

static void
track_sanitize (DriftTrackConfig * cfg)
{
  if (cfg->window == 0)
    cfg->window = 500 * DRIFT_MSECOND;
  cfg->history = CLAMP (cfg->history, 2, DRIFT_MAX_HISTORY);
  cfg->shift_windows = CLAMP (cfg->shift_windows, 1, MAX_SHIFT_WINDOWS);
  if (cfg->max_jump == 0)
    cfg->max_jump = 1;
}

/* field by field: the struct has padding */
static gboolean
track_config_equal (const DriftTrackConfig * a, const DriftTrackConfig * b)
{
  return a->reference == b->reference && a->window == b->window &&
      a->history == b->history && a->max_jump == b->max_jump &&
      a->shift == b->shift && a->shift_windows == b->shift_windows;
}

static void
track_clear_measurement (DriftTrack * t)
{
  t->win_open = FALSE;
  t->head = 0;
  t->n = 0;
  t->n_pend = 0;
  t->fit.valid = FALSE;
  t->lhead = 0;
  t->ln = 0;
  t->since_long = 0;
  t->long_slope = 0;
}

void
drift_track_reset (DriftTrack * t)
{
  t->have_last = FALSE;
  t->restart_pending = FALSE;
  t->next_x = DRIFT_TIME_NONE;
  t->last_x = DRIFT_TIME_NONE;
  t->last_dur = DRIFT_TIME_NONE;
  track_clear_measurement (t);
  t->prev_fit.valid = FALSE;
  t->epoch = 0;
  t->jump_x = DRIFT_TIME_NONE;
}

DriftTrack *
drift_track_new (const DriftTrackConfig * cfg)
{
  DriftTrack *t = g_new0 (DriftTrack, 1);

  t->cfg = *cfg;
  track_sanitize (&t->cfg);
  drift_track_reset (t);
  return t;
}

void
drift_track_free (DriftTrack * t)
{
  g_free (t);
}

void
drift_track_configure (DriftTrack * t, const DriftTrackConfig * cfg)
{
  DriftTrackConfig c = *cfg;

  track_sanitize (&c);
  if (track_config_equal (&c, &t->cfg))
    return;
  t->cfg = c;
  drift_track_reset (t);
}

static gdouble
fit_eval (const DriftFit * f, guint64 x)
{
  return f->level + f->slope * (gdouble) (gint64) (x - f->x_ref);
}

static void
track_refit (DriftTrack * t)
{
  guint i, n = t->n;
  guint cap = t->cfg.history;
  const DriftPoint *newest;
  gdouble sx = 0, sd = 0, sxx = 0, sxd = 0, mx, md;

  if (n == 0) {
    t->fit.valid = FALSE;
    return;
  }

  newest = &t->hist[(t->head + cap - 1) % cap];
  /* x in seconds and d in ns relative to the newest point: well inside a
   * double's precision for any history length */
  for (i = 0; i < n; i++) {
    const DriftPoint *p = &t->hist[(t->head + cap - 1 - i) % cap];
    gdouble dx = (gdouble) (gint64) (p->x - newest->x) / 1e9;
    gdouble dd = (gdouble) (p->d - newest->d);

    sx += dx;
    sd += dd;
    sxx += dx * dx;
    sxd += dx * dd;
  }
  mx = sx / n;
  md = sd / n;

  t->fit.valid = TRUE;
  t->fit.epoch = t->epoch;
  t->fit.x_ref = newest->x;
  t->fit.slope = 0;
  if (n < MIN_SLOPE_POINTS) {
    gdouble sum = 0;
    guint k = MIN (n, LEVEL_POINTS);

    for (i = 0; i < k; i++)
      sum += (gdouble) t->hist[(t->head + cap - 1 - i) % cap].d;
    t->fit.level = sum / k;
  } else {
    gdouble vxx = sxx - sx * mx;

    t->fit.level = (gdouble) newest->d + md;
    if (vxx > 1e-12) {
      gdouble slope_s = (sxd - sx * md) / vxx;  /* ns per second */

      t->fit.slope = slope_s / 1e9;
      t->fit.level = (gdouble) newest->d + md - slope_s * mx;
    }
  }
}

/* Slope (ns per ns) of the least-squares line through the long history */
static void
track_long_fit (DriftTrack * t)
{
  guint i, n = t->ln;
  const DriftPoint *newest = &t->lhist[(t->lhead + LONG_HISTORY - 1) %
      LONG_HISTORY];
  gdouble sx = 0, sd = 0, sxx = 0, sxd = 0, vxx;

  for (i = 0; i < n; i++) {
    const DriftPoint *p = &t->lhist[(t->lhead + LONG_HISTORY - 1 - i) %
        LONG_HISTORY];
    gdouble dx = (gdouble) (gint64) (p->x - newest->x) / 1e9;
    gdouble dd = (gdouble) (p->d - newest->d);

    sx += dx;
    sd += dd;
    sxx += dx * dx;
    sxd += dx * dd;
  }
  vxx = sxx - sx * sx / n;
  t->long_slope = vxx > 1e-12 ? (sxd - sx * sd / n) / vxx / 1e9 : 0;
}

static void
track_add_point (DriftTrack * t, guint64 x, gint64 d)
{
  guint cap = t->cfg.history;

  t->hist[t->head].x = x;
  t->hist[t->head].d = d;
  t->head = (t->head + 1) % cap;
  if (t->n < cap)
    t->n++;
}

static guint
track_close_window (DriftTrack * t)
{
  guint ev = DRIFT_EVENT_WINDOW;
  guint64 x = t->win_min_x;
  gint64 d = t->win_min;

  if (t->fit.valid && t->n >= MIN_OUTLIER_POINTS) {
    gdouble err = (gdouble) d - fit_eval (&t->fit, x);

    if (fabs (err) > (gdouble) t->cfg.shift) {
      /* a stall, a burst, or the start of a level shift: keep it out of the
       * fit until enough consistent windows say the level really moved */
      ev |= DRIFT_EVENT_OUTLIER;
      if (t->n_pend > 0 &&
          ABS (d - t->pend[t->n_pend - 1].d) > (gint64) t->cfg.shift)
        t->n_pend = 0;
      t->pend[t->n_pend].x = x;
      t->pend[t->n_pend].d = d;
      t->n_pend++;
      if (t->n_pend >= t->cfg.shift_windows) {
        guint i, np = t->n_pend;

        t->head = 0;
        t->n = 0;
        t->lhead = t->ln = t->since_long = 0;
        for (i = 0; i < np; i++)
          track_add_point (t, t->pend[i].x, t->pend[i].d);
        t->n_pend = 0;
        track_refit (t);
        ev |= DRIFT_EVENT_SHIFT;
      }
      return ev;
    }
  }
  t->n_pend = 0;
  track_add_point (t, x, d);
  track_refit (t);
  if (++t->since_long >= LONG_EVERY && t->n >= MIN_SLOPE_POINTS) {
    DriftPoint *lp = &t->lhist[t->lhead];

    t->since_long = 0;
    lp->x = t->fit.x_ref;
    lp->d = (gint64) llround (t->fit.level);
    t->lhead = (t->lhead + 1) % LONG_HISTORY;
    if (t->ln < LONG_HISTORY)
      t->ln++;
    if (t->ln >= LONG_MIN_POINTS)
      track_long_fit (t);
  }
  return ev;
}

/* A jump: keep the fit of the old epoch for the other stream, start over */
static void
track_new_epoch (DriftTrack * t, guint64 old_x)
{
  t->prev_fit = t->fit;
  t->jump_x = old_x;
  t->epoch++;
  track_clear_measurement (t);
  t->have_last = FALSE;
  t->next_x = DRIFT_TIME_NONE;
}

static guint64
track_tolerance (const DriftTrack * t)
{
  return MAX (t->last_dur / 2, 2 * DRIFT_MSECOND);
}

guint
drift_track_observe (DriftTrack * t, guint64 x, guint64 y, guint64 dur)
{
  guint ev = 0;
  gint64 d;

  if (t->restart_pending) {
    t->restart_pending = FALSE;
    if (t->have_last) {
      track_new_epoch (t, t->cfg.reference == DRIFT_REFERENCE_MEDIA &&
          t->next_x != DRIFT_TIME_NONE ? t->next_x : t->last_x);
      ev |= DRIFT_EVENT_JUMP;
    }
  }

  if (t->cfg.reference == DRIFT_REFERENCE_MEDIA) {
    /* the reference is the stream's own content clock: it follows the
     * timestamps through gaps, and only the slow difference remains */
    if (t->have_last) {
      gint64 dy = (gint64) (y - t->exp_y);

      if ((guint64) ABS (dy) > t->cfg.max_jump) {
        track_new_epoch (t, t->next_x != DRIFT_TIME_NONE ? t->next_x :
            t->last_x);
        ev |= DRIFT_EVENT_JUMP;
      } else if (t->last_dur != DRIFT_TIME_NONE &&
          (guint64) ABS (dy) > track_tolerance (t)) {
        if (t->next_x != DRIFT_TIME_NONE)
          t->next_x = (guint64) ((gint64) t->next_x + dy);
        ev |= DRIFT_EVENT_GAP;
      }
    }
    if (!t->have_last || t->next_x == DRIFT_TIME_NONE)
      x = y;
    else
      x = t->next_x;
    t->next_x = dur != DRIFT_TIME_NONE ? x + dur : DRIFT_TIME_NONE;
    d = (gint64) (x - y);
  } else {
    d = (gint64) (x - y);
    if (t->have_last) {
      gint64 dy = (gint64) (y - t->exp_y);
      gdouble ref = t->fit.valid ? fit_eval (&t->fit, x) : (gdouble) t->last_d;
      gdouble dd = (gdouble) d - ref;

      /* a jump moves the timestamps and not the arrival; a gap moves both;
       * a stall moves only the arrival */
      if ((guint64) ABS (dy) > t->cfg.max_jump &&
          fabs (dd) > (gdouble) t->cfg.max_jump) {
        track_new_epoch (t, x);
        ev |= DRIFT_EVENT_JUMP;
      } else if (t->last_dur != DRIFT_TIME_NONE &&
          dy > (gint64) track_tolerance (t) && fabs (dd) < dy / 2) {
        ev |= DRIFT_EVENT_GAP;
      }
    }
  }

  t->have_last = TRUE;
  t->last_y = y;
  t->last_x = x;
  t->last_d = d;
  t->last_dur = dur;
  t->exp_y = dur != DRIFT_TIME_NONE ? y + dur : y;

  if (!t->win_open) {
    t->win_open = TRUE;
    t->win_start = x;
    t->win_min = d;
    t->win_min_x = x;
  } else if ((gint64) (x - t->win_start) >= (gint64) t->cfg.window) {
    ev |= track_close_window (t);
    t->win_start = x;
    t->win_min = d;
    t->win_min_x = x;
  } else if (d < t->win_min) {
    t->win_min = d;
    t->win_min_x = x;
  }

  return ev;
}

guint
drift_track_gap (DriftTrack * t, guint64 y, guint64 dur)
{
  guint64 end;
  gint64 dy;

  if (!t->have_last || dur == DRIFT_TIME_NONE || y == DRIFT_TIME_NONE)
    return 0;
  end = y + dur;
  dy = (gint64) (end - t->exp_y);
  if ((guint64) ABS (dy) > t->cfg.max_jump || dy <= 0)
    return 0;
  if (t->cfg.reference == DRIFT_REFERENCE_MEDIA &&
      t->next_x != DRIFT_TIME_NONE)
    t->next_x += dy;
  t->exp_y = end;
  return DRIFT_EVENT_GAP;
}

void
drift_track_restart (DriftTrack * t)
{
  t->restart_pending = TRUE;
}

gboolean
drift_track_delay_at (const DriftTrack * t, guint epoch, guint64 x,
    gdouble * delay)
{
  const DriftFit *f;

  if (t->fit.valid && t->fit.epoch == epoch)
    f = &t->fit;
  else if (t->prev_fit.valid && t->prev_fit.epoch == epoch)
    f = &t->prev_fit;
  else
    return FALSE;
  *delay = fit_eval (f, x);
  return TRUE;
}

gdouble
drift_track_slope (const DriftTrack * t)
{
  if (t->ln >= LONG_MIN_POINTS)
    return t->long_slope;
  return t->fit.valid && t->n >= MIN_SLOPE_POINTS ? t->fit.slope : 0.0;
}

guint
drift_track_epoch (const DriftTrack * t)
{
  return t->epoch;
}

guint
drift_track_n_points (const DriftTrack * t)
{
  return t->n;
}

guint64
drift_track_last_x (const DriftTrack * t)
{
  return t->have_last ? t->last_x : DRIFT_TIME_NONE;
}

guint64
drift_track_jump_x (const DriftTrack * t)
{
  return t->jump_x;
}

/* The track did not jump while the other one did: carry its data over into
 * the other's epoch */
static void
track_merge_epoch (DriftTrack * t, guint epoch)
{
  t->prev_fit = t->fit;
  t->epoch = epoch;
  if (t->fit.valid)
    t->fit.epoch = epoch;
}

/* ------------------------------------------------------------------------
 * DriftSync
 */

struct _DriftSync {
  DriftSyncConfig cfg;
  DriftTrack *track[2];

  gboolean baseline_valid;
  guint baseline_epoch;
  gdouble baseline;
  gboolean measured_once;       /* a baseline existed since the reset */

  gint64 correction;
  gboolean engaged;
  gboolean have_last_out;
  guint64 last_in;
  guint64 last_out;
  guint frames_since_action;
  guint64 frame_dur;

  gboolean have_ppm;
  gdouble sum_abs_offset;
  gdouble sum_abs_residual;

  DriftSyncStats stats;
};

void
drift_sync_config_init (DriftSyncConfig * cfg, DriftReference ref)
{
  drift_track_config_init (&cfg->track, ref);
  cfg->warmup = ref == DRIFT_REFERENCE_CLOCK ? LEVEL_POINTS : 1;
  cfg->mode = DRIFT_MODE_SLEW;
  cfg->lead_threshold = 100 * DRIFT_MSECOND;
  cfg->lag_threshold = 100 * DRIFT_MSECOND;
  cfg->max_correction = DRIFT_MSECOND;
  cfg->av_offset = 0;
}

static void
sync_reset_state (DriftSync * s)
{
  drift_track_reset (s->track[DRIFT_AUDIO]);
  drift_track_reset (s->track[DRIFT_VIDEO]);
  s->baseline_valid = FALSE;
  s->baseline_epoch = 0;
  s->baseline = 0;
  s->measured_once = FALSE;
  s->correction = 0;
  s->engaged = FALSE;
  s->have_last_out = FALSE;
  s->frames_since_action = G_MAXUINT;
  s->frame_dur = DRIFT_TIME_NONE;
}

DriftSync *
drift_sync_new (const DriftSyncConfig * cfg)
{
  DriftSync *s = g_new0 (DriftSync, 1);

  s->cfg = *cfg;
  s->cfg.warmup = MAX (s->cfg.warmup, 1);
  s->track[DRIFT_AUDIO] = drift_track_new (&cfg->track);
  s->track[DRIFT_VIDEO] = drift_track_new (&cfg->track);
  sync_reset_state (s);
  return s;
}

void
drift_sync_free (DriftSync * s)
{
  if (!s)
    return;
  drift_track_free (s->track[DRIFT_AUDIO]);
  drift_track_free (s->track[DRIFT_VIDEO]);
  g_free (s);
}

void
drift_sync_configure (DriftSync * s, const DriftSyncConfig * cfg)
{
  DriftTrackConfig old = s->track[DRIFT_AUDIO]->cfg;
  DriftTrackConfig c = cfg->track;

  s->cfg = *cfg;
  s->cfg.warmup = MAX (s->cfg.warmup, 1);
  track_sanitize (&c);
  if (!track_config_equal (&c, &old)) {
    drift_track_configure (s->track[DRIFT_AUDIO], &c);
    drift_track_configure (s->track[DRIFT_VIDEO], &c);
    s->baseline_valid = FALSE;
  }
}

void
drift_sync_reset (DriftSync * s)
{
  sync_reset_state (s);
  memset (&s->stats, 0, sizeof (s->stats));
  s->have_ppm = FALSE;
  s->sum_abs_offset = 0;
  s->sum_abs_residual = 0;
}

const DriftSyncStats *
drift_sync_get_stats (const DriftSync * s)
{
  return &s->stats;
}

const DriftTrack *
drift_sync_get_track (const DriftSync * s, DriftStream stream)
{
  return s->track[stream];
}

gboolean
drift_sync_offset_at (const DriftSync * s, guint64 x, gint64 * offset)
{
  const DriftTrack *a = s->track[DRIFT_AUDIO];
  const DriftTrack *v = s->track[DRIFT_VIDEO];
  gdouble da, dv;

  if (!s->baseline_valid || v->epoch != s->baseline_epoch)
    return FALSE;
  if (x == DRIFT_TIME_NONE)
    x = drift_track_last_x (v);
  if (x == DRIFT_TIME_NONE)
    return FALSE;
  if (s->cfg.track.reference == DRIFT_REFERENCE_CLOCK &&
      a->epoch == s->baseline_epoch && a->have_last &&
      (gint64) (x - a->last_x) > (gint64) STALE_AUDIO)
    return FALSE;
  /* the audio may already be in a newer epoch: its previous fit still
   * describes the timeline the video is on */
  if (!drift_track_delay_at (a, s->baseline_epoch, x, &da) ||
      !drift_track_delay_at (v, s->baseline_epoch, x, &dv))
    return FALSE;
  *offset = (gint64) llround (da - dv - s->baseline);
  return TRUE;
}

/* After an observation on @stream: absorb one-sided jumps, take the
 * baseline once both tracks are warm in the same epoch. */
static guint
sync_update_epochs (DriftSync * s, DriftStream stream)
{
  DriftTrack *a = s->track[DRIFT_AUDIO];
  DriftTrack *v = s->track[DRIFT_VIDEO];
  guint ev = 0;

  if (a->epoch != v->epoch) {
    DriftTrack *lag = a->epoch < v->epoch ? a : v;
    DriftTrack *lead = lag == a ? v : a;

    /* the lagging stream went on past the leader's jump without jumping
     * itself: it was a one-sided jump, carry on with its data */
    if (lag == s->track[stream] && lag->have_last &&
        lead->jump_x != DRIFT_TIME_NONE &&
        (gint64) (lag->last_x - lead->jump_x) > (gint64) s->cfg.track.max_jump) {
      track_merge_epoch (lag, lead->epoch);
      ev |= DRIFT_EVENT_MERGED;
    }
  }

  /* the baseline of the video's epoch: the audio is in the same epoch, or
   * already in a newer one with its old fit kept (it ran ahead) */
  if (v->epoch <= a->epoch &&
      (!s->baseline_valid || s->baseline_epoch != v->epoch) &&
      v->fit.valid && v->n >= s->cfg.warmup &&
      (a->epoch == v->epoch ? a->fit.valid && a->n >= s->cfg.warmup :
          a->prev_fit.valid && a->prev_fit.epoch == v->epoch)) {
    guint64 x = v->last_x;
    gdouble da = 0, dv = fit_eval (&v->fit, x);
    /* keep the output where it is: after a restart of both streams the
     * correction was dropped at the video jump so this is 0; after a
     * one-sided jump the correction in place stays the truth */
    gint64 keep = s->measured_once ? s->correction - s->cfg.av_offset : 0;

    drift_track_delay_at (a, v->epoch, x, &da);
    s->baseline = da - dv - (gdouble) keep;
    s->baseline_valid = TRUE;
    s->baseline_epoch = v->epoch;
    s->engaged = keep != 0;
    s->measured_once = TRUE;
    ev |= DRIFT_EVENT_BASELINE;
  }
  return ev;
}

static void
sync_count_events (DriftSync * s, guint ev)
{
  if (ev & DRIFT_EVENT_JUMP)
    s->stats.resets++;
  if (ev & DRIFT_EVENT_GAP)
    s->stats.gaps++;
  if (ev & DRIFT_EVENT_SHIFT)
    s->stats.shifts++;
  if (ev & DRIFT_EVENT_OUTLIER)
    s->stats.outliers++;
}

static void
sync_update_ppm (DriftSync * s)
{
  const DriftTrack *a = s->track[DRIFT_AUDIO];
  const DriftTrack *v = s->track[DRIFT_VIDEO];
  gdouble ppm;

  if (a->epoch != v->epoch || a->n < MIN_PPM_POINTS || v->n < MIN_PPM_POINTS)
    return;
  ppm = (drift_track_slope (a) - drift_track_slope (v)) * 1e6;
  if (!s->have_ppm) {
    s->stats.drift_ppm = ppm;
    s->have_ppm = TRUE;
  } else {
    s->stats.drift_ppm += PPM_ALPHA * (ppm - s->stats.drift_ppm);
  }
}

/* The video jumped or was flushed: the step hides in the discontinuity */
static void
sync_video_discont (DriftSync * s)
{
  s->correction = s->measured_once && s->cfg.mode != DRIFT_MODE_NONE ?
      s->cfg.av_offset : 0;
  s->engaged = FALSE;
  s->frames_since_action = G_MAXUINT;
}

guint
drift_sync_audio (DriftSync * s, guint64 x, guint64 y, guint64 dur)
{
  guint ev;

  s->stats.audio_buffers++;
  ev = drift_track_observe (s->track[DRIFT_AUDIO], x, y, dur);
  sync_count_events (s, ev);
  ev |= sync_update_epochs (s, DRIFT_AUDIO);
  if (ev & DRIFT_EVENT_WINDOW)
    sync_update_ppm (s);
  return ev;
}

guint
drift_sync_gap (DriftSync * s, DriftStream stream, guint64 y, guint64 dur)
{
  guint ev = drift_track_gap (s->track[stream], y, dur);

  sync_count_events (s, ev);
  return ev;
}

void
drift_sync_flush (DriftSync * s, DriftStream stream)
{
  drift_track_restart (s->track[stream]);
  if (stream == DRIFT_VIDEO) {
    sync_video_discont (s);
    s->have_last_out = FALSE;
  }
}

/* Move the correction towards the target: returns the action. */
static DriftAction
sync_control (DriftSync * s, guint64 ts, gboolean can_drop_dup,
    gboolean valid, gint64 offset, guint * ev)
{
  const DriftSyncConfig *cfg = &s->cfg;
  DriftAction action = DRIFT_ACTION_PUSH;
  guint64 f = s->frame_dur;
  gint64 target, diff;

  if (!valid)
    return action;              /* nothing measured: hold */

  if (cfg->mode == DRIFT_MODE_NONE) {
    target = 0;
    s->engaged = FALSE;
  } else {
    if (!s->engaged && (offset > (gint64) cfg->lead_threshold ||
            offset < -(gint64) cfg->lag_threshold)) {
      s->engaged = TRUE;
      *ev |= DRIFT_EVENT_ENGAGED;
    }
    target = cfg->av_offset + (s->engaged ? offset : 0);
  }
  diff = target - s->correction;

  if (f == DRIFT_TIME_NONE || f == 0 || cfg->max_correction == 0)
    return action;

  if (cfg->mode == DRIFT_MODE_DROP_DUP && can_drop_dup) {
    guint64 spacing = (f + cfg->max_correction - 1) / cfg->max_correction;

    if (s->frames_since_action >= spacing) {
      if (diff * 20 >= (gint64) f * DROP_DUP_SHARE) {
        s->correction += f;
        action = DRIFT_ACTION_DROP;
      } else if (diff * 20 <= -(gint64) f * DROP_DUP_SHARE) {
        s->correction -= f;
        action = DRIFT_ACTION_DUP;
      }
      if (action != DRIFT_ACTION_PUSH) {
        s->frames_since_action = 0;
        if (action == DRIFT_ACTION_DROP)
          s->stats.dropped++;
        else
          s->stats.duplicated++;
      }
    }
  } else if (ABS (diff) >= DEADBAND) {
    gint64 cap = (gint64) MIN (cfg->max_correction, f / 2);
    gint64 step = CLAMP (diff, -cap, cap);
    gint64 c = s->correction + step;

    /* never let a correction step reorder frames */
    if (step != 0 && !(s->have_last_out && ts > s->last_in &&
            (gint64) (ts - c) <= (gint64) s->last_out)) {
      s->correction = c;
      s->stats.corrections++;
    }
  }
  return action;
}

void
drift_sync_video (DriftSync * s, guint64 x, guint64 ts, guint64 dur,
    gboolean can_drop_dup, DriftVideoResult * res)
{
  DriftTrack *v = s->track[DRIFT_VIDEO];
  guint ev;
  gint64 offset = 0;
  gboolean valid;
  DriftAction action;

  s->stats.video_buffers++;
  ev = drift_track_observe (v, x, ts, dur);
  sync_count_events (s, ev);
  if (ev & DRIFT_EVENT_JUMP) {
    sync_video_discont (s);
    if (s->have_last_out && ts < s->last_in)
      s->have_last_out = FALSE;
  }
  ev |= sync_update_epochs (s, DRIFT_VIDEO);
  if (ev & DRIFT_EVENT_WINDOW)
    sync_update_ppm (s);

  if (dur != DRIFT_TIME_NONE && dur > 0)
    s->frame_dur = dur;
  else if (s->have_last_out && ts > s->last_in &&
      ts - s->last_in < DRIFT_SECOND)
    s->frame_dur = ts - s->last_in;

  valid = drift_sync_offset_at (s, v->last_x, &offset);
  action = sync_control (s, ts, can_drop_dup, valid, offset, &ev);

  /* Only reachable after a discontinuity with a large correction in place:
   * keep the output moving forward */
  if (s->have_last_out && ts > s->last_in &&
      (gint64) (ts - s->correction) <= (gint64) s->last_out)
    s->correction = (gint64) (ts - s->last_out) - 1;

  if (action != DRIFT_ACTION_DROP) {
    s->last_out = ts - s->correction;
    s->have_last_out = TRUE;
  }
  s->last_in = ts;
  if (s->frames_since_action < G_MAXUINT)
    s->frames_since_action++;

  s->stats.valid = valid;
  s->stats.engaged = s->engaged;
  s->stats.correction = s->correction;
  if (valid) {
    gint64 residual = offset + s->cfg.av_offset - s->correction;

    s->stats.offset = offset;
    s->stats.residual = residual;
    if (ev & DRIFT_EVENT_WINDOW) {
      s->stats.samples++;
      s->sum_abs_offset += (gdouble) ABS (offset);
      s->sum_abs_residual += (gdouble) ABS (residual);
      s->stats.mean_offset = (guint64) (s->sum_abs_offset / s->stats.samples);
      s->stats.mean_residual =
          (guint64) (s->sum_abs_residual / s->stats.samples);
      if (ABS (offset) > ABS (s->stats.max_offset))
        s->stats.max_offset = offset;
      if (ABS (residual) > ABS (s->stats.max_residual))
        s->stats.max_residual = residual;
    }
  }

  res->action = action;
  res->correction = s->correction;
  res->frame_duration = s->frame_dur;
  res->events = ev;
}
