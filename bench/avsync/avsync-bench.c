/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* avsync benchmark.
 *
 * 1. CPU per buffer: buffers pushed from a bare source pad through the
 *    element into a bare sink pad, against identity and a direct link
 *    measured in the same run (best of several rounds: machines are noisy).
 * 2. A simulated hour per scenario through the element (GstHarness, arrival
 *    times on a GstTestClock with the clock reference): the true A/V error
 *    of every output frame, before and after the correction converged.
 *
 *   avsync-bench [--buffers N] [--rounds R] [--skip-cpu] [--skip-hour]
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#define MS GST_MSECOND
#define SEC GST_SECOND

/* ------------------------------------------------------------------------
 * 1. CPU per buffer
 */

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

typedef struct {
  GstElement *e;
  GstPad *src[2];               /* ours, pushing into the element */
  GstPad *sink[2];              /* ours, receiving */
  guint n;
} Rig;

static GstPad *
make_src (const gchar * caps_str, GstPad * peer)
{
  GstPad *p = gst_pad_new (NULL, GST_PAD_SRC);
  GstSegment seg;
  GstCaps *caps = gst_caps_from_string (caps_str);

  gst_pad_set_active (p, TRUE);
  g_assert (gst_pad_link (p, peer) == GST_PAD_LINK_OK);
  gst_object_unref (peer);
  gst_pad_push_event (p, gst_event_new_stream_start ("bench"));
  gst_pad_push_event (p, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (p, gst_event_new_segment (&seg));
  return p;
}

static GstPad *
make_sink (GstPad * peer)
{
  GstPad *p = gst_pad_new (NULL, GST_PAD_SINK);

  gst_pad_set_chain_function (p, sink_chain);
  gst_pad_set_active (p, TRUE);
  g_assert (gst_pad_link (peer, p) == GST_PAD_LINK_OK);
  gst_object_unref (peer);
  return p;
}

#define ACAPS "audio/x-raw,format=S16LE,rate=48000,channels=2," \
    "layout=interleaved"
#define VCAPS "video/x-raw,format=I420,width=1280,height=720," \
    "framerate=30/1"

/* what = "direct", "identity", "avsync" */
static void
rig_init (Rig * r, const gchar * what, const gchar * reference, gint64 skew)
{
  memset (r, 0, sizeof (*r));
  if (g_str_equal (what, "direct")) {
    r->n = 2;
    r->sink[0] = gst_pad_new (NULL, GST_PAD_SINK);
    gst_pad_set_chain_function (r->sink[0], sink_chain);
    gst_pad_set_active (r->sink[0], TRUE);
    r->src[0] = make_src (ACAPS, gst_object_ref (r->sink[0]));
    r->sink[1] = gst_pad_new (NULL, GST_PAD_SINK);
    gst_pad_set_chain_function (r->sink[1], sink_chain);
    gst_pad_set_active (r->sink[1], TRUE);
    r->src[1] = make_src (VCAPS, gst_object_ref (r->sink[1]));
    return;
  }
  r->e = gst_element_factory_make (what, NULL);
  g_assert (r->e);
  if (g_str_equal (what, "identity")) {
    r->n = 1;
    gst_element_set_state (r->e, GST_STATE_PLAYING);
    r->sink[0] = make_sink (gst_element_get_static_pad (r->e, "src"));
    r->src[0] = make_src (ACAPS,
        gst_element_get_static_pad (r->e, "sink"));
    return;
  }
  r->n = 2;
  gst_util_set_object_arg (G_OBJECT (r->e), "reference", reference);
  if (skew)
    g_object_set (r->e, "lead-threshold", (gint64) (10 * MS), NULL);
  if (g_str_equal (reference, "clock")) {
    GstClock *clock = gst_system_clock_obtain ();

    gst_element_set_clock (r->e, clock);
    gst_element_set_base_time (r->e, gst_clock_get_time (clock));
    gst_object_unref (clock);
  }
  gst_element_set_state (r->e, GST_STATE_PLAYING);
  r->sink[0] = make_sink (gst_element_get_static_pad (r->e, "audio_src"));
  r->sink[1] = make_sink (gst_element_get_static_pad (r->e, "video_src"));
  r->src[0] = make_src (ACAPS, gst_element_get_static_pad (r->e,
          "audio_sink"));
  r->src[1] = make_src (VCAPS, gst_element_get_static_pad (r->e,
          "video_sink"));
}

static void
rig_clear (Rig * r)
{
  guint i;

  for (i = 0; i < 2; i++) {
    if (r->src[i]) {
      gst_pad_set_active (r->src[i], FALSE);
      gst_object_unref (r->src[i]);
    }
    if (r->sink[i]) {
      gst_pad_set_active (r->sink[i], FALSE);
      gst_object_unref (r->sink[i]);
    }
  }
  if (r->e) {
    gst_element_set_state (r->e, GST_STATE_NULL);
    gst_object_unref (r->e);
  }
}

/* ns per buffer pushing @n buffers, audio (21.33 ms) and video (33.33 ms)
 * interleaved in time order; @video_skew_ppm stamps the video long so the
 * correction is active. identity gets every buffer on its one pad. */
static gdouble
run_cpu (Rig * r, guint n, gdouble video_skew_ppm)
{
  GstMemory *mem = gst_allocator_alloc (NULL, 4096, NULL);
  guint64 ai = 0, vi = 0, i;
  gint64 t0, t1;

  t0 = g_get_monotonic_time ();
  for (i = 0; i < n; i++) {
    GstBuffer *b = gst_buffer_new ();
    guint64 ta = ai * 1024 * SEC / 48000, tv = vi * SEC / 30;
    gboolean audio = ta <= tv;

    gst_buffer_append_memory (b, gst_memory_ref (mem));
    if (audio) {
      GST_BUFFER_PTS (b) = ta;
      GST_BUFFER_DURATION (b) = 1024 * SEC / 48000;
      ai++;
    } else {
      GST_BUFFER_PTS (b) = tv + (guint64) (tv * video_skew_ppm * 1e-6);
      GST_BUFFER_DURATION (b) = SEC / 30;
      vi++;
    }
    gst_pad_push (r->src[r->n == 1 || audio ? 0 : 1], b);
  }
  t1 = g_get_monotonic_time ();
  gst_memory_unref (mem);
  return (t1 - t0) * 1000.0 / n;
}

static gdouble
best_of (const gchar * what, const gchar * ref, gdouble skew, guint n,
    guint rounds)
{
  gdouble best = G_MAXDOUBLE;
  guint k;

  for (k = 0; k < rounds; k++) {
    Rig r;
    gdouble t;

    rig_init (&r, what, ref, skew != 0);
    t = run_cpu (&r, n, skew);
    rig_clear (&r);
    best = MIN (best, t);
  }
  return best;
}

static void
cpu_bench (guint n, guint rounds)
{
  gdouble direct, identity, media, media_corr, clock, clock_corr;
  guint k;

  /* interleaved: the rounds of each case alternate with the others' so
   * that a noisy neighbour hits all of them alike */
  direct = identity = media = media_corr = clock = clock_corr = G_MAXDOUBLE;
  for (k = 0; k < rounds; k++) {
    direct = MIN (direct, best_of ("direct", NULL, 0, n, 1));
    identity = MIN (identity, best_of ("identity", NULL, 0, n, 1));
    media = MIN (media, best_of ("avsync", "media", 0, n, 1));
    media_corr = MIN (media_corr, best_of ("avsync", "media", 1000, n, 1));
    clock = MIN (clock, best_of ("avsync", "clock", 0, n, 1));
    clock_corr = MIN (clock_corr, best_of ("avsync", "clock", 1000, n, 1));
  }

  g_print ("## CPU per buffer (%u buffers, best of %u rounds)\n\n", n,
      rounds);
  g_print ("| path | ns/buffer | added over direct | added over identity |\n");
  g_print ("|---|---:|---:|---:|\n");
#define ROW(name, v) g_print ("| %s | %.0f | %+.0f | %+.0f |\n", name, v, \
    v - direct, v - identity)
  ROW ("direct pad link (baseline)", direct);
  ROW ("identity", identity);
  ROW ("avsync, media reference, in sync", media);
  ROW ("avsync, media reference, correcting", media_corr);
  ROW ("avsync, clock reference, in sync", clock);
  ROW ("avsync, clock reference, correcting", clock_corr);
#undef ROW
  g_print ("\nratio avsync/identity: media %.2f, clock %.2f; "
      "added over identity, worst case: %.0f ns (target < 1000 ns)\n\n",
      media / identity, clock / identity,
      MAX (MAX (media, media_corr), MAX (clock, clock_corr)) - identity);
}

/* ------------------------------------------------------------------------
 * 2. Simulated hour
 */

typedef struct {
  const gchar *name;
  const gchar *reference;       /* "clock" or "media" */
  gdouble v_ppm, a_ppm;
  guint64 jitter;
  gint64 lead, lag;             /* -1: threshold */
  const gchar *mode;
} Scenario;

typedef struct {
  gdouble engaged_at;
  gint64 max_before;            /* |A-V| before the correction engaged */
  gint64 max_after;             /* |A-V| once converged */
  gdouble mean_after;
  gint64 min_res, max_res;
  guint64 bt1359_out;           /* frames outside +45/-125 ms */
  guint64 corrections, dropped, duplicated;
  gdouble ppm;
  gdouble wall_s;
} HourResult;

static gint64
skewed (gdouble t, gdouble ppm)
{
  return (gint64) llround (t * (1 + ppm * 1e-6) * 1e9);
}

static void
run_hour (const Scenario * sc, gdouble seconds, HourResult * res)
{
  GstElement *e = gst_element_factory_make ("avsync", NULL);
  GstHarness *ha, *hv;
  GstTestClock *clock;
  GstMemory *amem = gst_allocator_alloc (NULL, 4096, NULL);
  GstMemory *vmem = gst_allocator_alloc (NULL, 16, NULL);
  GRand *rand = g_rand_new_with_seed (1);
  guint64 ai = 0, vi = 0, now = 0;
  gdouble adur = 1024.0 / 48000, vdur = 1.0 / 30;
  gdouble sum_after = 0, converged_at = -1;
  guint64 n_after = 0;
  gint64 t0 = g_get_monotonic_time ();
  GstStructure *st;
  gboolean clock_ref = g_str_equal (sc->reference, "clock");

  memset (res, 0, sizeof (*res));
  res->engaged_at = -1;
  gst_util_set_object_arg (G_OBJECT (e), "reference", sc->reference);
  gst_util_set_object_arg (G_OBJECT (e), "mode", sc->mode);
  g_object_set (e, "lead-threshold", sc->lead, "lag-threshold", sc->lag,
      NULL);
  ha = gst_harness_new_with_element (e, "audio_sink", "audio_src");
  hv = gst_harness_new_with_element (e, "video_sink", "video_src");
  gst_harness_use_testclock (ha);
  clock = gst_harness_get_testclock (ha);
  gst_harness_set_src_caps_str (ha, ACAPS);
  gst_harness_set_src_caps_str (hv, "video/x-raw,format=GRAY8,width=4,"
      "height=4,framerate=30/1");

  for (;;) {
    gdouble ta = ai * adur, tv = vi * vdur;
    guint64 arr_a = (guint64) (ta * 1e9) + 40 * MS;
    guint64 arr_v = (guint64) (tv * 1e9) + 120 * MS;

    if (ta >= seconds && tv >= seconds)
      break;
    if (ta < seconds && (arr_a <= arr_v || tv >= seconds)) {
      GstBuffer *b = gst_buffer_new ();

      gst_buffer_append_memory (b, gst_memory_ref (amem));
      GST_BUFFER_PTS (b) = skewed (ta, sc->a_ppm);
      GST_BUFFER_DURATION (b) = 1024 * SEC / 48000;
      /* MAX evaluates twice: draw the jitter first */
      arr_a += sc->jitter ? g_rand_int_range (rand, 0, sc->jitter) : 0;
      now = MAX (now, arr_a);
      if (clock_ref)
        gst_test_clock_set_time (clock, now);
      gst_harness_push (ha, b);
      gst_buffer_unref (gst_harness_pull (ha));
      ai++;
    } else {
      GstBuffer *b = gst_buffer_new (), *out;
      gint64 truth = skewed (tv, sc->a_ppm);

      gst_buffer_append_memory (b, gst_memory_ref (vmem));
      GST_BUFFER_PTS (b) = skewed (tv, sc->v_ppm);
      GST_BUFFER_DURATION (b) = SEC / 30;
      arr_v += sc->jitter ? g_rand_int_range (rand, 0, sc->jitter) : 0;
      now = MAX (now, arr_v);
      if (clock_ref)
        gst_test_clock_set_time (clock, now);
      gst_harness_push (hv, b);
      while ((out = gst_harness_try_pull (hv))) {
        gint64 r = (gint64) GST_BUFFER_PTS (out) - truth;
        gboolean engaged;

        /* a duplicate goes first, one frame early on purpose: skip it */
        if (gst_harness_buffers_in_queue (hv) > 0) {
          gst_buffer_unref (out);
          continue;
        }
        res->min_res = MIN (res->min_res, r);
        res->max_res = MAX (res->max_res, r);
        if (r > 45 * MS || r < -125 * MS)
          res->bt1359_out++;
        if (res->engaged_at < 0) {
          st = NULL;
          g_object_get (e, "stats", &st, NULL);
          gst_structure_get_boolean (st, "engaged", &engaged);
          gst_structure_free (st);
          if (engaged)
            res->engaged_at = tv;
        }
        if (res->engaged_at < 0) {
          res->max_before = MAX (res->max_before, ABS (r));
        } else {
          if (converged_at < 0 && ABS (r) < 2 * MS)
            converged_at = tv;
          if (converged_at < 0 && g_str_equal (sc->mode, "drop-dup") &&
              ABS (r) < 20 * MS)
            converged_at = tv;
          if (converged_at >= 0) {
            res->max_after = MAX (res->max_after, ABS (r));
            sum_after += ABS (r);
            n_after++;
          }
        }
        gst_buffer_unref (out);
      }
      vi++;
    }
  }
  res->mean_after = n_after ? sum_after / n_after : 0;
  g_object_get (e, "stats", &st, NULL);
  gst_structure_get_uint64 (st, "corrections", &res->corrections);
  gst_structure_get_uint64 (st, "frames-dropped", &res->dropped);
  gst_structure_get_uint64 (st, "frames-duplicated", &res->duplicated);
  gst_structure_get_double (st, "drift-ppm", &res->ppm);
  gst_structure_free (st);
  res->wall_s = (g_get_monotonic_time () - t0) / 1e6;

  g_rand_free (rand);
  gst_memory_unref (amem);
  gst_memory_unref (vmem);
  gst_object_unref (clock);
  gst_harness_teardown (hv);
  gst_harness_teardown (ha);
  gst_object_unref (e);
}

static void
hour_bench (gdouble seconds)
{
  static const Scenario scenarios[] = {
    {"no drift, clock, 20 ms jitter", "clock", 0, 0, 20 * MS, -1, -1,
        "slew"},
    {"video +100 ppm, media", "media", 100, 0, 0, -1, -1, "slew"},
    {"video +100 ppm, clock, 20 ms jitter", "clock", 100, 0, 20 * MS, -1, -1,
        "slew"},
    {"video +100 ppm, clock, BT.1359 thresholds", "clock", 100, 0, 20 * MS,
        40 * MS, 100 * MS, "slew"},
    {"audio +100 ppm (lag), clock", "clock", 0, 100, 20 * MS, -1, -1,
        "slew"},
    {"video -100 ppm (lag), media", "media", -100, 0, 0, -1, -1, "slew"},
    {"video +1000 ppm, clock, 20 ms jitter", "clock", 1000, 0, 20 * MS, -1,
        -1, "slew"},
    {"video +1000 ppm, media, drop-dup", "media", 1000, 0, 0, -1, -1,
        "drop-dup"},
    {"video -1000 ppm, media, drop-dup", "media", -1000, 0, 0, -1, -1,
        "drop-dup"},
    {"video +100 ppm, media, no correction (mode=none)", "media", 100, 0, 0,
        -1, -1, "none"},
  };
  guint i;

  g_print ("## Simulated hour (%.0f s per scenario, 30 fps video, "
      "48 kHz audio in 1024-sample buffers)\n\n", seconds);
  g_print ("A/V error = output video timestamp minus the audio timestamp of "
      "the same instant (> 0: audio leads). \"Converged\": from the first "
      "frame within 2 ms (20 ms for drop-dup) after the correction "
      "engaged.\n\n");
  g_print ("| scenario | engaged at | max before | max converged | mean "
      "converged | range | outside BT.1359 | slews | drop/dup | ppm est. | "
      "run time |\n");
  g_print ("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
  for (i = 0; i < G_N_ELEMENTS (scenarios); i++) {
    HourResult r;

    run_hour (&scenarios[i], seconds, &r);
    if (r.engaged_at >= 0)
      g_print ("| %s | %.0f s | %.1f ms | %.2f ms | %.2f ms | %+.1f .. %+.1f "
          "ms | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %"
          G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " | %.1f | %.2f s |\n",
          scenarios[i].name, r.engaged_at, r.max_before / 1e6,
          r.max_after / 1e6, r.mean_after / 1e6, r.min_res / 1e6,
          r.max_res / 1e6, r.bt1359_out, r.corrections, r.dropped,
          r.duplicated, r.ppm, r.wall_s);
    else
      g_print ("| %s | never | %.1f ms | - | - | %+.1f .. %+.1f ms | %"
          G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
          "/%" G_GUINT64_FORMAT " | %.1f | %.2f s |\n", scenarios[i].name,
          r.max_before / 1e6, r.min_res / 1e6, r.max_res / 1e6,
          r.bt1359_out, r.corrections, r.dropped, r.duplicated, r.ppm,
          r.wall_s);
  }
  g_print ("\n");
}

int
main (int argc, char **argv)
{
  guint n = 400000, rounds = 5;
  gdouble seconds = 3600;
  gboolean skip_cpu = FALSE, skip_hour = FALSE;
  gint i;

  gst_init (&argc, &argv);
  for (i = 1; i < argc; i++) {
    if (g_str_equal (argv[i], "--buffers") && i + 1 < argc)
      n = atoi (argv[++i]);
    else if (g_str_equal (argv[i], "--rounds") && i + 1 < argc)
      rounds = atoi (argv[++i]);
    else if (g_str_equal (argv[i], "--seconds") && i + 1 < argc)
      seconds = g_ascii_strtod (argv[++i], NULL);
    else if (g_str_equal (argv[i], "--skip-cpu"))
      skip_cpu = TRUE;
    else if (g_str_equal (argv[i], "--skip-hour"))
      skip_hour = TRUE;
    else {
      g_printerr ("usage: %s [--buffers N] [--rounds R] [--seconds S] "
          "[--skip-cpu] [--skip-hour]\n", argv[0]);
      return 2;
    }
  }
  if (!gst_element_factory_find ("avsync")) {
    g_printerr ("avsync not found: set GST_PLUGIN_PATH to the build's gst/ "
        "directory (bench/avsync.sh does)\n");
    return 1;
  }
  if (!skip_cpu)
    cpu_bench (n, rounds);
  if (!skip_hour)
    hour_bench (seconds);
  return 0;
}
