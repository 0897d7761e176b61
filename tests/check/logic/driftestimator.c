/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of avsync's drift estimator and slew controller: no pipeline,
 * no clock. A small simulator produces audio and video observations from a
 * "true" capture time with skewed timestamps, arrival jitter, jumps, gaps
 * and stalls, and checks the controller's output against the truth. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "driftestimator.h"

#define MS DRIFT_MSECOND
#define SEC DRIFT_SECOND
#define NONE DRIFT_TIME_NONE

/* ------------------------------------------------------------------------
 * Simulator
 */

typedef struct {
  DriftReference ref;
  gdouble duration;             /* seconds */
  guint64 adur;                 /* audio buffer duration */
  guint64 vdur;                 /* frame duration */
  gdouble a_ppm, v_ppm;         /* timestamp skew of each sender clock */
  guint64 a_lat, v_lat;         /* transport latency (clock reference) */
  guint64 jitter;               /* uniform extra arrival delay 0..jitter */
  guint32 seed;
  /* sender restart at jump_at: timestamps continue from t + jump_x */
  gdouble jump_at;
  gint64 jump_a, jump_v;
  /* audio buffers [gap_at, gap_at + gap_len) are never sent */
  gdouble gap_at, gap_len;
  gboolean gap_event;           /* announce the gap with drift_sync_gap () */
  /* video arrivals in [stall_at, +stall_len) are held to the end */
  gdouble stall_at, stall_len;
  /* video timestamps move by shift_v from shift_at, arrival doesn't */
  gdouble shift_at;
  gint64 shift_v;
  gboolean audio_first;         /* media: all audio before any video */
  gboolean video_only;
  gboolean raw;
  /* reconfigure at reconf_at (av-offset, mode, thresholds) */
  gdouble reconf_at;
  const DriftSyncConfig *reconf;
  /* residual checks from this time on, except [jump_at, jump_at + hold) */
  gdouble check_from;
  gdouble hold_after_jump;
} SimParams;

typedef struct {
  guint64 frames;
  guint64 pushed;
  guint64 drops;
  guint64 dups;
  gint64 max_res, min_res;      /* signed extremes of the true residual */
  gint64 max_abs_res_checked;   /* |residual| in the checked period */
  gint64 max_step;              /* largest correction change on a frame
                                 * that was not a jump, drop or dup */
  gint64 max_est_err;           /* |measured - true offset| when valid */
  gboolean monotonic;
  gdouble engaged_at;           /* first ENGAGED, -1 if never */
  guint64 min_action_spacing;   /* frames between drop/dup actions */
  gint64 correction_after_jump; /* correction on the first frame after the
                                 * video jumped */
  gint64 max_abs_correction;
  gint64 max_res_after_jump;    /* |residual| within 5 s after the jump */
  guint events;                 /* OR of all events */
  DriftSyncStats stats;
} SimResult;

typedef struct {
  guint64 arrival;
  gdouble t;
  guint8 video;
} Obs;

static gint
obs_cmp (gconstpointer a, gconstpointer b)
{
  const Obs *x = a, *y = b;

  if (x->arrival != y->arrival)
    return x->arrival < y->arrival ? -1 : 1;
  if (x->video != y->video)
    return x->video - y->video;
  return x->t < y->t ? -1 : x->t > y->t;
}

static void
sim_defaults (SimParams * p, DriftReference ref)
{
  memset (p, 0, sizeof (*p));
  p->ref = ref;
  p->duration = 600;
  p->adur = 20 * MS;
  p->vdur = SEC / 30 + 1;       /* 33.333334 ms: close enough to 30 fps */
  p->seed = 42;
  p->jump_at = -1;
  p->gap_at = -1;
  p->stall_at = -1;
  p->shift_at = -1;
  p->reconf_at = -1;
  p->raw = TRUE;
  p->hold_after_jump = 0;
}

/* the sender's timestamp of something captured at true time t */
static gint64
sim_pts (const SimParams * p, gdouble t, gboolean video)
{
  gdouble ppm = video ? p->v_ppm : p->a_ppm;
  gint64 jump = video ? p->jump_v : p->jump_a;
  gdouble pts;

  /* a restarted sender clock starts over from the true time */
  if (p->jump_at >= 0 && t >= p->jump_at && jump != 0) {
    pts = (p->jump_at + (t - p->jump_at) * (1 + ppm * 1e-6)) * 1e9;
    pts += video ? p->jump_v : p->jump_a;
  } else {
    pts = t * (1 + ppm * 1e-6) * 1e9;
  }
  if (video && p->shift_at >= 0 && t >= p->shift_at)
    pts += p->shift_v;
  return (gint64) llround (pts);
}

static void
run_sim (const SimParams * p, const DriftSyncConfig * cfg, SimResult * r)
{
  DriftSync *s = drift_sync_new (cfg);
  GArray *obs = g_array_new (FALSE, FALSE, sizeof (Obs));
  GRand *rand = g_rand_new_with_seed (p->seed);
  gdouble adur_s = p->adur / 1e9, vdur_s = p->vdur / 1e9;
  guint64 i, n;
  gboolean have_prev = FALSE, reconfigured = FALSE, gap_announced = FALSE;
  gint64 prev_in = 0, prev_out = 0, prev_c = 0;
  guint64 last_action_frame = 0;
  gboolean have_action = FALSE, video_jumped = FALSE;

  memset (r, 0, sizeof (*r));
  r->monotonic = TRUE;
  r->engaged_at = -1;
  r->min_action_spacing = G_MAXUINT64;
  r->correction_after_jump = G_MININT64;

  if (!p->video_only) {
    n = (guint64) (p->duration / adur_s);
    for (i = 0; i < n; i++) {
      Obs o = { 0, i * adur_s, 0 };

      if (p->gap_at >= 0 && o.t >= p->gap_at && o.t < p->gap_at + p->gap_len)
        continue;
      o.arrival = (guint64) (o.t * 1e9) + p->a_lat +
          (p->jitter ? g_rand_int_range (rand, 0, p->jitter) : 0);
      g_array_append_val (obs, o);
    }
  }
  n = (guint64) (p->duration / vdur_s);
  for (i = 0; i < n; i++) {
    Obs o = { 0, i * vdur_s, 1 };

    o.arrival = (guint64) (o.t * 1e9) + p->v_lat +
        (p->jitter ? g_rand_int_range (rand, 0, p->jitter) : 0);
    if (p->stall_at >= 0 && o.t >= p->stall_at
        && o.t < p->stall_at + p->stall_len)
      o.arrival = (guint64) ((p->stall_at + p->stall_len) * 1e9) + p->v_lat +
          i * 1000;
    g_array_append_val (obs, o);
  }
  if (p->ref == DRIFT_REFERENCE_CLOCK || !p->audio_first)
    g_array_sort (obs, obs_cmp);

  for (i = 0; i < obs->len; i++) {
    const Obs *o = &g_array_index (obs, Obs, i);
    gint64 pts = sim_pts (p, o->t, o->video);
    guint64 x = p->ref == DRIFT_REFERENCE_CLOCK ? o->arrival : NONE;

    if (p->reconf && !reconfigured && o->t >= p->reconf_at) {
      drift_sync_configure (s, p->reconf);
      reconfigured = TRUE;
    }

    if (!o->video) {
      if (p->gap_event && !gap_announced && p->gap_at >= 0 &&
          o->t >= p->gap_at) {
        drift_sync_gap (s, DRIFT_AUDIO, sim_pts (p, p->gap_at, FALSE),
            sim_pts (p, p->gap_at + p->gap_len, FALSE) -
            sim_pts (p, p->gap_at, FALSE));
        gap_announced = TRUE;
      }
      r->events |= drift_sync_audio (s, x, pts, p->adur);
    } else {
      DriftVideoResult res;
      const DriftSyncStats *st;
      gint64 out, truth, residual, true_offset;
      gboolean jumped;

      drift_sync_video (s, x, pts, p->vdur, p->raw, &res);
      st = drift_sync_get_stats (s);
      r->frames++;
      r->events |= res.events;
      if (g_getenv ("SIM_DEBUG") && (res.events & ~DRIFT_EVENT_WINDOW))
        g_printerr ("%9.3f video events 0x%x corr %" G_GINT64_FORMAT
            " offset %" G_GINT64_FORMAT " valid %d\n", o->t, res.events,
            res.correction, st->offset, st->valid);
      if (g_getenv ("SIM_DEBUG") && st->valid &&
          ABS (st->offset - (pts - sim_pts (p, o->t, FALSE))) > 5 * MS)
        g_printerr ("%9.3f est err %" G_GINT64_FORMAT "\n", o->t,
            st->offset - (pts - sim_pts (p, o->t, FALSE)));
      jumped = (res.events & DRIFT_EVENT_JUMP) != 0;
      if (jumped && !video_jumped) {
        video_jumped = TRUE;
        r->correction_after_jump = res.correction;
      }
      if ((res.events & DRIFT_EVENT_ENGAGED) && r->engaged_at < 0)
        r->engaged_at = o->t;
      r->max_abs_correction =
          MAX (r->max_abs_correction, ABS (res.correction));

      out = pts - res.correction;
      /* what the picture should carry: the audio timestamp of its instant */
      truth = sim_pts (p, o->t, FALSE);
      residual = out - truth;
      true_offset = pts - truth;

      if (res.action == DRIFT_ACTION_DROP) {
        r->drops++;
      } else {
        r->pushed++;
        if (res.action == DRIFT_ACTION_DUP) {
          r->dups++;
          /* the copy goes one frame before */
          if (have_prev && pts > prev_in &&
              out - (gint64) res.frame_duration <= prev_out)
            r->monotonic = FALSE;
        }
        if (have_prev && pts > prev_in && out <= prev_out)
          r->monotonic = FALSE;
        prev_out = out;
      }
      if (res.action != DRIFT_ACTION_PUSH) {
        if (have_action)
          r->min_action_spacing =
              MIN (r->min_action_spacing, r->frames - last_action_frame);
        last_action_frame = r->frames;
        have_action = TRUE;
      } else if (have_prev && !jumped) {
        r->max_step = MAX (r->max_step, ABS (res.correction - prev_c));
      }
      prev_c = res.correction;
      prev_in = pts;
      have_prev = TRUE;

      r->max_res = MAX (r->max_res, residual);
      r->min_res = MIN (r->min_res, residual);
      if (o->t >= p->check_from && !(p->jump_at >= 0 && o->t >= p->jump_at &&
              o->t < p->jump_at + p->hold_after_jump))
        r->max_abs_res_checked = MAX (r->max_abs_res_checked, ABS (residual));
      if (p->jump_at >= 0 && o->t >= p->jump_at && o->t < p->jump_at + 5)
        r->max_res_after_jump = MAX (r->max_res_after_jump, ABS (residual));
      if (st->valid && !(p->jump_at >= 0 && o->t >= p->jump_at))
        r->max_est_err = MAX (r->max_est_err,
            ABS (st->offset - true_offset));
    }
  }
  r->stats = *drift_sync_get_stats (s);
  if (g_getenv ("SIM_DEBUG"))
    g_printerr ("sim: engaged %.3f res [%.3f, %.3f] ms checked %.3f ms "
        "est err %.3f ms step %.3f ms ppm %.2f drops %" G_GUINT64_FORMAT
        " dups %" G_GUINT64_FORMAT " resets %" G_GUINT64_FORMAT "\n",
        r->engaged_at, r->min_res / 1e6, r->max_res / 1e6,
        r->max_abs_res_checked / 1e6, r->max_est_err / 1e6, r->max_step / 1e6,
        r->stats.drift_ppm, r->drops, r->dups, r->stats.resets);

  g_rand_free (rand);
  g_array_free (obs, TRUE);
  drift_sync_free (s);
}

/* ------------------------------------------------------------------------
 * DriftTrack
 */

GST_START_TEST (test_track_media_slope)
{
  DriftTrackConfig cfg;
  DriftTrack *t;
  guint64 i, y = 0;
  gdouble d;

  drift_track_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  t = drift_track_new (&cfg);
  /* 20 ms of samples stamped 100 ppm long each: 2 us per buffer */
  for (i = 0; i < 30000; i++) {
    drift_track_observe (t, NONE, y, 20 * MS);
    y += 20 * MS + 2000;
  }
  fail_unless_equals_int (drift_track_epoch (t), 0);
  fail_unless_equals_int (drift_track_n_points (t), cfg.history);
  fail_unless (fabs (drift_track_slope (t) * 1e6 + 100.0) < 0.5,
      "slope %f ppm", drift_track_slope (t) * 1e6);
  /* after 600 s the content clock is 60 ms behind the timestamps */
  fail_unless (drift_track_delay_at (t, 0, drift_track_last_x (t), &d));
  fail_unless (fabs (d + 60 * MS) < 0.2 * MS, "delay %f", d);
  drift_track_free (t);
}

GST_END_TEST;

GST_START_TEST (test_track_clock_jitter)
{
  DriftTrackConfig cfg;
  DriftTrack *t;
  GRand *rand = g_rand_new_with_seed (7);
  guint64 i;
  guint outliers = 0;
  gdouble d;

  drift_track_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  t = drift_track_new (&cfg);
  /* 30 fps stamped 100 ppm fast, 80 ms latency, up to 30 ms jitter */
  for (i = 0; i < 30 * 600; i++) {
    guint64 tt = i * SEC / 30;
    guint64 y = tt + tt / 10000;
    guint64 x = tt + 80 * MS + g_rand_int_range (rand, 0, 30 * MS);

    if (drift_track_observe (t, x, y, SEC / 30) & DRIFT_EVENT_OUTLIER)
      outliers++;
  }
  fail_unless (fabs (drift_track_slope (t) * 1e6 + 100.0) < 3.0,
      "slope %f ppm", drift_track_slope (t) * 1e6);
  fail_unless (drift_track_delay_at (t, 0, 600 * SEC, &d));
  /* delay = latency + min jitter - 60 ms of skew */
  fail_unless (fabs (d - 20 * MS) < 5 * MS, "delay %f", d);
  fail_unless (outliers == 0, "%u outliers", outliers);
  g_rand_free (rand);
  drift_track_free (t);
}

GST_END_TEST;

GST_START_TEST (test_track_gap_is_not_drift)
{
  DriftTrackConfig cfg;
  DriftTrack *t;
  guint64 i, y = 0, x = 0;
  guint ev, gaps = 0, jumps = 0;
  gdouble before, after;
  DriftReference ref;

  for (ref = DRIFT_REFERENCE_CLOCK; ref <= DRIFT_REFERENCE_MEDIA; ref++) {
    drift_track_config_init (&cfg, ref);
    t = drift_track_new (&cfg);
    gaps = jumps = 0;
    y = x = 0;
    for (i = 0; i < 3000; i++) {
      /* 1.5 s of audio missing at 30 s, 3 s (> max-jump) at 40 s: the
       * timestamps and the arrival jump together */
      if (i == 1500 || i == 2000) {
        fail_unless (drift_track_delay_at (t, 0, x, &before));
        y += i == 1500 ? 1500 * MS : 3000 * MS;
        x += i == 1500 ? 1500 * MS : 3000 * MS;
      }
      ev = drift_track_observe (t, x + 40 * MS, y, 20 * MS);
      if (ev & DRIFT_EVENT_GAP)
        gaps++;
      if (ev & DRIFT_EVENT_JUMP)
        jumps++;
      y += 20 * MS;
      x += 20 * MS;
    }
    fail_unless (drift_track_delay_at (t, 0, x, &after));
    if (ref == DRIFT_REFERENCE_CLOCK) {
      fail_unless_equals_int (gaps, 2);
      fail_unless_equals_int (jumps, 0);
    } else {
      /* media: a jump larger than max-jump restarts the track */
      fail_unless_equals_int (gaps, 1);
    }
    fail_unless (fabs (after - before) < 0.01 * MS || jumps == 1,
        "delay moved %f -> %f", before, after);
    drift_track_free (t);
  }
}

GST_END_TEST;

GST_START_TEST (test_track_jump_new_epoch)
{
  DriftTrackConfig cfg;
  DriftTrack *t;
  guint64 i;
  guint ev, jumps = 0;
  gdouble d;

  drift_track_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  t = drift_track_new (&cfg);
  for (i = 0; i < 1000; i++) {
    guint64 x = i * 20 * MS + 50 * MS;
    /* sender restart at 10 s: timestamps go back to 0 */
    guint64 y = i < 500 ? i * 20 * MS : (i - 500) * 20 * MS;

    ev = drift_track_observe (t, x, y, 20 * MS);
    if (ev & DRIFT_EVENT_JUMP) {
      jumps++;
      fail_unless_equals_uint64 (drift_track_jump_x (t), x);
    }
  }
  fail_unless_equals_int (jumps, 1);
  fail_unless_equals_int (drift_track_epoch (t), 1);
  /* the old epoch's fit is kept for the other stream */
  fail_unless (drift_track_delay_at (t, 0, 10 * SEC, &d));
  fail_unless (fabs (d - 50 * MS) < 0.01 * MS);
  fail_unless (drift_track_delay_at (t, 1, 20 * SEC, &d));
  fail_unless (fabs (d - 10050 * MS) < 0.01 * MS);
  fail_if (drift_track_delay_at (t, 2, 20 * SEC, &d));
  drift_track_free (t);
}

GST_END_TEST;

GST_START_TEST (test_track_stall_and_shift)
{
  DriftTrackConfig cfg;
  DriftTrack *t;
  guint64 i;
  guint ev, outliers = 0, shifts = 0, jumps = 0;
  gdouble d;

  drift_track_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  t = drift_track_new (&cfg);
  for (i = 0; i < 30 * 120; i++) {
    guint64 tt = i * SEC / 30;
    guint64 y = tt;
    guint64 x = tt + 100 * MS;

    /* a 3 s network stall at 30 s: everything arrives at 33 s */
    if (tt >= 30 * SEC && tt < 33 * SEC)
      x = 33 * SEC + 100 * MS + i % 5;
    /* from 60 s the sender stamps 300 ms later, arrival unchanged */
    if (tt >= 60 * SEC)
      y += 300 * MS;
    ev = drift_track_observe (t, x, y, SEC / 30);
    outliers += (ev & DRIFT_EVENT_OUTLIER) != 0;
    shifts += (ev & DRIFT_EVENT_SHIFT) != 0;
    jumps += (ev & DRIFT_EVENT_JUMP) != 0;
    if (tt == 59 * SEC) {
      /* the stall left the level alone */
      fail_unless (drift_track_delay_at (t, 0, tt, &d));
      fail_unless (fabs (d - 100 * MS) < 1 * MS, "delay %f", d);
      fail_unless_equals_int (shifts, 0);
    }
  }
  fail_unless_equals_int (jumps, 0);
  fail_unless (outliers >= 3);
  fail_unless_equals_int (shifts, 1);
  fail_unless (drift_track_delay_at (t, 0, 120 * SEC, &d));
  fail_unless (fabs (d + 200 * MS) < 1 * MS, "delay %f", d);
  drift_track_free (t);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * DriftSync: estimator + controller
 */

GST_START_TEST (test_sync_media_100ppm_hour)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  sim_defaults (&p, DRIFT_REFERENCE_MEDIA);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  p.duration = 3600;
  p.v_ppm = 100;
  p.check_from = 1010;
  run_sim (&p, &cfg, &r);

  /* 100 ms at 100 ppm: 1000 s */
  fail_unless (r.engaged_at > 990 && r.engaged_at < 1010, "engaged at %f",
      r.engaged_at);
  fail_unless (r.max_abs_res_checked < 2 * MS, "residual %" G_GINT64_FORMAT,
      r.max_abs_res_checked);
  fail_unless (r.max_res < 102 * MS && r.min_res > -2 * MS);
  fail_unless (r.max_est_err < 1 * MS, "est err %" G_GINT64_FORMAT,
      r.max_est_err);
  fail_unless (fabs (r.stats.drift_ppm - 100) < 1, "ppm %f",
      r.stats.drift_ppm);
  fail_unless (r.max_step <= 1 * MS);
  fail_unless (r.monotonic);
  /* 360 ms corrected in total */
  fail_unless (ABS (r.stats.correction - 360 * MS) < 3 * MS);
  fail_unless_equals_uint64 (r.stats.resets, 0);
  fail_unless_equals_uint64 (r.drops + r.dups, 0);
}

GST_END_TEST;

GST_START_TEST (test_sync_media_audio_first)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  /* a non-live pipeline without a muxer may run one stream far ahead */
  sim_defaults (&p, DRIFT_REFERENCE_MEDIA);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  p.duration = 1800;
  p.a_ppm = 100;
  p.audio_first = TRUE;
  p.check_from = 1010;
  run_sim (&p, &cfg, &r);

  /* audio timestamps run long: the video must follow them, later */
  fail_unless (r.engaged_at > 990 && r.engaged_at < 1010);
  fail_unless (r.max_abs_res_checked < 2 * MS);
  fail_unless (r.max_est_err < 1 * MS);
  fail_unless (fabs (r.stats.drift_ppm + 100) < 1, "ppm %f",
      r.stats.drift_ppm);
  fail_unless (r.monotonic);
}

GST_END_TEST;

GST_START_TEST (test_sync_clock_jitter)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  sim_defaults (&p, DRIFT_REFERENCE_CLOCK);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  p.duration = 1800;
  p.v_ppm = 100;
  p.a_lat = 60 * MS;
  p.v_lat = 150 * MS;
  p.jitter = 25 * MS;
  p.check_from = 1030;
  run_sim (&p, &cfg, &r);

  fail_unless (r.engaged_at > 950 && r.engaged_at < 1030, "engaged at %f",
      r.engaged_at);
  fail_unless (r.max_abs_res_checked < 8 * MS, "residual %" G_GINT64_FORMAT,
      r.max_abs_res_checked);
  fail_unless (r.max_est_err < 8 * MS, "est err %" G_GINT64_FORMAT,
      r.max_est_err);
  fail_unless (fabs (r.stats.drift_ppm - 100) < 3, "ppm %f",
      r.stats.drift_ppm);
  fail_unless (r.max_step <= 1 * MS);
  fail_unless (r.monotonic);
  fail_unless_equals_uint64 (r.stats.resets, 0);
}

GST_END_TEST;

GST_START_TEST (test_sync_bt1359_window)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;
  gint sign;

  /* thresholds inside ITU-R BT.1359 detectability: +45 ms lead,
   * -125 ms lag. The correction never lets the error out of it. */
  for (sign = -1; sign <= 1; sign += 2) {
    sim_defaults (&p, DRIFT_REFERENCE_CLOCK);
    drift_sync_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
    cfg.lead_threshold = 40 * MS;
    cfg.lag_threshold = 100 * MS;
    p.duration = 3600;
    p.v_ppm = 100 * sign;
    p.jitter = 10 * MS;
    p.a_lat = 20 * MS;
    p.v_lat = 90 * MS;
    run_sim (&p, &cfg, &r);

    fail_unless (r.engaged_at > 0);
    fail_unless (r.max_res <= 45 * MS, "max %" G_GINT64_FORMAT, r.max_res);
    fail_unless (r.min_res >= -125 * MS, "min %" G_GINT64_FORMAT, r.min_res);
    /* asymmetric: engaged at the lead or the lag threshold */
    if (sign > 0)
      fail_unless (r.engaged_at > 380 && r.engaged_at < 420);
    else
      fail_unless (r.engaged_at > 960 && r.engaged_at < 1040);
  }
}

GST_END_TEST;

GST_START_TEST (test_sync_slew_bound)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  /* a 400 ms shift corrected at max-correction per frame */
  sim_defaults (&p, DRIFT_REFERENCE_CLOCK);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  p.duration = 60;
  p.shift_at = 10;
  p.shift_v = 400 * MS;
  p.check_from = 40;
  run_sim (&p, &cfg, &r);
  fail_unless (r.max_step <= 1 * MS && r.max_step > 0);
  fail_unless (r.monotonic);
  /* 400 frames at 1 ms: under 14 s after detection */
  fail_unless (r.max_abs_res_checked < 2 * MS);
  fail_unless_equals_uint64 (r.stats.shifts, 1);

  /* a huge max-correction is still capped at half a frame */
  cfg.max_correction = 500 * MS;
  p.vdur = 40 * MS;
  run_sim (&p, &cfg, &r);
  fail_unless (r.max_step <= 20 * MS && r.max_step > 10 * MS,
      "step %" G_GINT64_FORMAT, r.max_step);
  fail_unless (r.monotonic);

  /* max-correction 0: measure only */
  cfg.max_correction = 0;
  run_sim (&p, &cfg, &r);
  fail_unless_equals_int64 (r.max_abs_correction, 0);
  fail_unless (r.stats.engaged);
  fail_unless (ABS (r.stats.residual - 400 * MS) < 2 * MS);
}

GST_END_TEST;

static void
check_restart (DriftReference ref, gboolean audio_first, gint64 jump)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  sim_defaults (&p, ref);
  drift_sync_config_init (&cfg, ref);
  cfg.lead_threshold = 40 * MS;
  p.duration = 900;
  p.v_ppm = 1000;
  p.audio_first = audio_first;
  p.jump_at = 600;
  p.jump_a = p.jump_v = jump;
  run_sim (&p, &cfg, &r);

  /* 560 ms corrected before the restart, dropped at once with it */
  fail_unless (r.engaged_at > 30 && r.engaged_at < 50);
  fail_unless_equals_uint64 (r.stats.resets, 2);
  fail_unless_equals_int64 (r.correction_after_jump, 0);
  /* no ramp: the first seconds after the restart are in sync */
  fail_unless (r.max_res_after_jump < 6 * MS, "after jump %" G_GINT64_FORMAT,
      r.max_res_after_jump);
  /* and the new drift is caught like the first one */
  fail_unless (r.max_res <= 45 * MS);
  fail_unless (r.min_res > -5 * MS, "min %" G_GINT64_FORMAT, r.min_res);
  fail_unless (r.max_step <= 1 * MS);
}

GST_START_TEST (test_sync_restart_resets)
{
  check_restart (DRIFT_REFERENCE_MEDIA, FALSE, 3600 * SEC);
  check_restart (DRIFT_REFERENCE_MEDIA, TRUE, 3600 * SEC);
  check_restart (DRIFT_REFERENCE_CLOCK, FALSE, 3600 * SEC);
  /* timestamps back to zero */
  check_restart (DRIFT_REFERENCE_CLOCK, FALSE, -600 * SEC);
  check_restart (DRIFT_REFERENCE_MEDIA, FALSE, -600 * SEC);
}

GST_END_TEST;

GST_START_TEST (test_sync_one_sided_jump)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;
  DriftReference ref;

  for (ref = DRIFT_REFERENCE_CLOCK; ref <= DRIFT_REFERENCE_MEDIA; ref++) {
    /* only the audio timestamps jump by 5 s: absorbed, no 5 s ramp */
    sim_defaults (&p, ref);
    drift_sync_config_init (&cfg, ref);
    p.duration = 400;
    p.v_ppm = 500;
    p.jump_at = 300;
    p.jump_a = 5 * SEC;
    run_sim (&p, &cfg, &r);
    fail_unless_equals_uint64 (r.stats.resets, 1);
    fail_unless (r.events & DRIFT_EVENT_MERGED);
    fail_unless (r.max_step <= 1 * MS);
    fail_unless (r.max_abs_correction < 220 * MS,
        "correction %" G_GINT64_FORMAT, r.max_abs_correction);
    /* the drift correction engaged before the jump goes on after it */
    fail_unless (r.stats.valid && r.stats.engaged);
    fail_unless (ABS (r.stats.residual) < 2 * MS);

    /* only the video jumps (its sender clock restarted in sync): the
     * correction restarts with it and the new drift is measured from 0 */
    p.jump_a = 0;
    p.jump_v = 5 * SEC;
    run_sim (&p, &cfg, &r);
    fail_unless_equals_uint64 (r.stats.resets, 1);
    fail_unless (r.events & DRIFT_EVENT_MERGED);
    fail_unless_equals_int64 (r.correction_after_jump, 0);
    fail_unless (r.stats.valid && !r.stats.engaged);
    /* 100 s at 500 ppm */
    fail_unless (ABS (r.stats.offset - 50 * MS) < 2 * MS, "offset %"
        G_GINT64_FORMAT, r.stats.offset);
    fail_unless_equals_int64 (r.stats.residual, r.stats.offset);
    fail_unless_equals_int64 (r.stats.correction, 0);
  }
}

GST_END_TEST;

GST_START_TEST (test_sync_audio_gap)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;
  DriftReference ref;
  gint with_event;

  for (ref = DRIFT_REFERENCE_CLOCK; ref <= DRIFT_REFERENCE_MEDIA; ref++) {
    for (with_event = 0; with_event < 2; with_event++) {
      sim_defaults (&p, ref);
      drift_sync_config_init (&cfg, ref);
      p.duration = 120;
      p.gap_at = 30;
      /* longer than max-jump with the clock (the arrival shows the gap) */
      p.gap_len = ref == DRIFT_REFERENCE_CLOCK ? 3.0 : 1.5;
      p.gap_event = with_event;
      run_sim (&p, &cfg, &r);
      fail_unless_equals_uint64 (r.stats.resets, 0);
      fail_unless_equals_uint64 (r.stats.gaps, 1);
      fail_unless (!r.stats.engaged);
      fail_unless (ABS (r.stats.max_offset) < 1 * MS, "offset %"
          G_GINT64_FORMAT, r.stats.max_offset);
      fail_unless_equals_int64 (r.max_abs_correction, 0);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_sync_stall)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  sim_defaults (&p, DRIFT_REFERENCE_CLOCK);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  p.duration = 120;
  p.stall_at = 40;
  p.stall_len = 2.5;
  p.jitter = 5 * MS;
  run_sim (&p, &cfg, &r);
  fail_unless_equals_uint64 (r.stats.resets, 0);
  /* the window minimum sees through the burst */
  fail_unless_equals_uint64 (r.stats.shifts, 0);
  fail_unless (!r.stats.engaged);
  fail_unless (ABS (r.stats.offset) < 5 * MS);
}

GST_END_TEST;

GST_START_TEST (test_sync_audio_stops)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  /* live, the audio stops at 60 s: no extrapolation into the blue, the
   * correction in place holds */
  sim_defaults (&p, DRIFT_REFERENCE_CLOCK);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  cfg.lead_threshold = 20 * MS;
  p.duration = 180;
  p.v_ppm = 1000;
  p.gap_at = 60;
  p.gap_len = 1000;
  run_sim (&p, &cfg, &r);
  fail_unless (r.engaged_at > 15 && r.engaged_at < 25);
  fail_unless (!r.stats.valid);
  /* followed for the 5 s the audio fit is trusted, then frozen (180 ms
   * had it gone on) */
  fail_unless (r.stats.correction > 59 * MS &&
      r.stats.correction < 66 * MS, "correction %" G_GINT64_FORMAT,
      r.stats.correction);
  fail_unless (r.max_step <= 1 * MS);
}

GST_END_TEST;

GST_START_TEST (test_sync_thresholds)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  /* below the thresholds the video is left alone */
  sim_defaults (&p, DRIFT_REFERENCE_MEDIA);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  p.duration = 900;
  p.v_ppm = 100;                /* 90 ms at the end */
  run_sim (&p, &cfg, &r);
  fail_unless (r.engaged_at < 0);
  fail_unless_equals_int64 (r.max_abs_correction, 0);
  fail_unless (ABS (r.stats.offset - 90 * MS) < 1 * MS);
  fail_unless (ABS (r.stats.max_offset - 90 * MS) < 1 * MS);
  fail_unless (ABS ((gint64) r.stats.mean_offset - 45 * MS) < 2 * MS);

  /* lead threshold 50 ms: engaged at 500 s */
  cfg.lead_threshold = 50 * MS;
  run_sim (&p, &cfg, &r);
  fail_unless (r.engaged_at > 495 && r.engaged_at < 505);
  /* a lag threshold does not engage on a lead */
  cfg.lead_threshold = 1000 * MS;
  cfg.lag_threshold = 10 * MS;
  run_sim (&p, &cfg, &r);
  fail_unless (r.engaged_at < 0);
  p.v_ppm = -100;
  run_sim (&p, &cfg, &r);
  fail_unless (r.engaged_at > 95 && r.engaged_at < 105);
}

GST_END_TEST;

GST_START_TEST (test_sync_drop_dup)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  sim_defaults (&p, DRIFT_REFERENCE_MEDIA);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  cfg.mode = DRIFT_MODE_DROP_DUP;
  p.duration = 600;
  p.v_ppm = 1000;
  p.check_from = 110;
  run_sim (&p, &cfg, &r);
  /* 600 ms at 33.3 ms per frame: 18 frames */
  fail_unless (r.drops >= 17 && r.drops <= 19, "drops %" G_GUINT64_FORMAT,
      r.drops);
  fail_unless_equals_uint64 (r.dups, 0);
  fail_unless_equals_uint64 (r.stats.dropped, r.drops);
  fail_unless_equals_uint64 (r.max_step, 0);
  fail_unless (r.max_abs_res_checked < 20 * MS, "residual %" G_GINT64_FORMAT,
      r.max_abs_res_checked);
  /* one action per frame duration / max-correction frames at most */
  fail_unless (r.min_action_spacing >= 34);
  fail_unless (r.monotonic);

  p.v_ppm = -1000;
  run_sim (&p, &cfg, &r);
  fail_unless (r.dups >= 17 && r.dups <= 19);
  fail_unless_equals_uint64 (r.drops, 0);
  fail_unless (r.max_abs_res_checked < 20 * MS);
  fail_unless (r.monotonic);

  /* encoded video can't lose frames: slewed instead */
  p.raw = FALSE;
  run_sim (&p, &cfg, &r);
  fail_unless_equals_uint64 (r.dups + r.drops, 0);
  fail_unless (r.max_abs_res_checked < 2 * MS);
}

GST_END_TEST;

GST_START_TEST (test_sync_manual_offset)
{
  SimParams p;
  DriftSyncConfig cfg, cfg2;
  SimResult r;

  sim_defaults (&p, DRIFT_REFERENCE_CLOCK);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_CLOCK);
  cfg2 = cfg;
  cfg2.av_offset = 200 * MS;
  p.duration = 60;
  p.reconf_at = 20;
  p.reconf = &cfg2;
  run_sim (&p, &cfg, &r);
  /* moved 200 ms earlier, at most 1 ms per frame */
  fail_unless (ABS (r.stats.correction - 200 * MS) < 1 * MS);
  fail_unless (r.max_step <= 1 * MS);
  fail_unless (r.monotonic);
  fail_unless (r.min_res < -195 * MS);
  fail_unless (ABS (r.stats.residual) < 1 * MS);

  cfg2.av_offset = -150 * MS;
  run_sim (&p, &cfg, &r);
  fail_unless (ABS (r.stats.correction + 150 * MS) < 1 * MS);
  fail_unless (r.max_res > 145 * MS);
}

GST_END_TEST;

GST_START_TEST (test_sync_mode_none_and_video_only)
{
  SimParams p;
  DriftSyncConfig cfg;
  SimResult r;

  sim_defaults (&p, DRIFT_REFERENCE_MEDIA);
  drift_sync_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  cfg.mode = DRIFT_MODE_NONE;
  p.duration = 1200;
  p.v_ppm = 200;
  run_sim (&p, &cfg, &r);
  fail_unless_equals_int64 (r.max_abs_correction, 0);
  fail_unless (ABS (r.stats.offset - 240 * MS) < 1 * MS);
  fail_unless (fabs (r.stats.drift_ppm - 200) < 1);
  fail_unless (!r.stats.engaged);

  /* one stream: nothing to measure against, nothing touched */
  cfg.mode = DRIFT_MODE_SLEW;
  cfg.av_offset = 100 * MS;
  p.video_only = TRUE;
  run_sim (&p, &cfg, &r);
  fail_unless_equals_int64 (r.max_abs_correction, 0);
  fail_unless (!r.stats.valid);
}

GST_END_TEST;

GST_START_TEST (test_sync_flush)
{
  DriftSyncConfig cfg;
  DriftSync *s;
  DriftVideoResult res;
  guint64 i;
  const DriftSyncStats *st;

  drift_sync_config_init (&cfg, DRIFT_REFERENCE_MEDIA);
  cfg.lead_threshold = 10 * MS;
  s = drift_sync_new (&cfg);
  /* video 1 % long: engaged and correcting after a few seconds */
  for (i = 0; i < 1500; i++) {
    drift_sync_audio (s, NONE, i * 20 * MS, 20 * MS);
    if (i % 2 == 0)
      drift_sync_video (s, NONE, i * 20 * MS * 101 / 100, 40 * MS, FALSE,
          &res);
  }
  st = drift_sync_get_stats (s);
  fail_unless (st->engaged);
  fail_unless (st->correction > 100 * MS);
  drift_sync_flush (s, DRIFT_AUDIO);
  drift_sync_flush (s, DRIFT_VIDEO);
  drift_sync_audio (s, NONE, 0, 20 * MS);
  drift_sync_video (s, NONE, 0, 40 * MS, FALSE, &res);
  fail_unless_equals_int64 (res.correction, 0);
  fail_unless_equals_uint64 (st->resets, 2);
  fail_unless (!st->valid);
  fail_unless (!st->engaged);

  drift_sync_reset (s);
  fail_unless_equals_uint64 (st->resets, 0);
  fail_unless_equals_uint64 (st->video_buffers, 0);
  drift_sync_free (s);
}

GST_END_TEST;

static Suite *
driftestimator_suite (void)
{
  Suite *s = suite_create ("driftestimator");
  TCase *tc = tcase_create ("track");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_track_media_slope);
  tcase_add_test (tc, test_track_clock_jitter);
  tcase_add_test (tc, test_track_gap_is_not_drift);
  tcase_add_test (tc, test_track_jump_new_epoch);
  tcase_add_test (tc, test_track_stall_and_shift);

  tc = tcase_create ("sync");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sync_media_100ppm_hour);
  tcase_add_test (tc, test_sync_media_audio_first);
  tcase_add_test (tc, test_sync_clock_jitter);
  tcase_add_test (tc, test_sync_bt1359_window);
  tcase_add_test (tc, test_sync_slew_bound);
  tcase_add_test (tc, test_sync_restart_resets);
  tcase_add_test (tc, test_sync_one_sided_jump);
  tcase_add_test (tc, test_sync_audio_gap);
  tcase_add_test (tc, test_sync_stall);
  tcase_add_test (tc, test_sync_audio_stops);
  tcase_add_test (tc, test_sync_thresholds);
  tcase_add_test (tc, test_sync_drop_dup);
  tcase_add_test (tc, test_sync_manual_offset);
  tcase_add_test (tc, test_sync_mode_none_and_video_only);
  tcase_add_test (tc, test_sync_flush);
  return s;
}

GST_CHECK_MAIN (driftestimator);
