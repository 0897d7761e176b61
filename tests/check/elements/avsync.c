/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* avsync: GstHarness tests on a GstTestClock (arrival times are the test
 * clock's), and non-live pipelines of audiotestsrc + videotestsrc running
 * a simulated hour in seconds. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#define MS GST_MSECOND
#define SEC GST_SECOND

#define AUDIO_CAPS "audio/x-raw,format=S16LE,rate=8000,channels=1," \
    "layout=interleaved"
#define VIDEO_CAPS "video/x-raw,format=GRAY8,width=4,height=4,framerate=30/1"
#define AUDIO_DUR (20 * MS)
#define AUDIO_BYTES 320         /* 160 samples */

typedef struct {
  GstElement *e;
  GstHarness *ha;
  GstHarness *hv;
  GstTestClock *clock;
} Pair;

static void
pair_init (Pair * p, const gchar * video_caps)
{
  p->e = gst_element_factory_make ("avsync", NULL);
  fail_unless (p->e != NULL);
  p->ha = gst_harness_new_with_element (p->e, "audio_sink", "audio_src");
  p->hv = gst_harness_new_with_element (p->e, "video_sink", "video_src");
  gst_harness_use_testclock (p->ha);
  p->clock = gst_harness_get_testclock (p->ha);
  gst_harness_set_src_caps_str (p->ha, AUDIO_CAPS);
  gst_harness_set_src_caps_str (p->hv, video_caps ? video_caps : VIDEO_CAPS);
}

static void
pair_clear (Pair * p)
{
  gst_object_unref (p->clock);
  gst_harness_teardown (p->hv);
  gst_harness_teardown (p->ha);
  gst_object_unref (p->e);
}

static GstStructure *
get_stats (GstElement * e)
{
  GstStructure *s = NULL;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (s != NULL);
  return s;
}

static gint64
stats_int64 (const GstStructure * s, const gchar * f)
{
  gint64 v = 0;

  fail_unless (gst_structure_get_int64 (s, f, &v), "no %s", f);
  return v;
}

static guint64
stats_uint64 (const GstStructure * s, const gchar * f)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, f, &v), "no %s", f);
  return v;
}

static GstBuffer *
make_audio (guint64 i, GstClockTime pts)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, AUDIO_BYTES, NULL);
  GstMapInfo map;
  guint j;

  gst_buffer_map (b, &map, GST_MAP_WRITE);
  for (j = 0; j < AUDIO_BYTES; j++)
    map.data[j] = (guint8) (i * 31 + j * 7);
  gst_buffer_unmap (b, &map);
  GST_BUFFER_PTS (b) = pts;
  GST_BUFFER_DURATION (b) = AUDIO_DUR;
  return b;
}

static gboolean
audio_intact (GstBuffer * b, guint64 i)
{
  GstMapInfo map;
  guint j;
  gboolean ok = TRUE;

  gst_buffer_map (b, &map, GST_MAP_READ);
  ok = map.size == AUDIO_BYTES;
  for (j = 0; ok && j < AUDIO_BYTES; j++)
    ok = map.data[j] == (guint8) (i * 31 + j * 7);
  gst_buffer_unmap (b, &map);
  return ok;
}

/* ------------------------------------------------------------------------
 * Simulation through the harness: arrival on the test clock
 */

typedef struct {
  gdouble duration;
  gdouble v_ppm;
  guint64 frame;                /* frame duration */
  guint64 a_lat, v_lat, jitter;
  gdouble shift_at;             /* video stamped shift_v later from here */
  gint64 shift_v;
  gdouble offset_at;            /* set av-offset here (while playing) */
  gint64 av_offset;
  gdouble check_from;
} HSim;

typedef struct {
  gint64 max_step;              /* largest change of out - in between frames */
  gboolean monotonic;
  gboolean audio_ok;
  gint64 max_res, min_res, max_res_checked;
  guint64 video_out, audio_out;
} HRes;

static void
hsim_defaults (HSim * s)
{
  memset (s, 0, sizeof (*s));
  s->frame = SEC / 30;
  s->shift_at = -1;
  s->offset_at = -1;
}

static void
run_hsim (Pair * p, const HSim * s, HRes * r)
{
  GRand *rand = g_rand_new_with_seed (11);
  guint64 ai = 0, vi = 0;
  gint64 prev_in = -1, prev_out = -1, prev_corr = 0;
  gboolean offset_set = FALSE;
  guint64 now = 0;

  memset (r, 0, sizeof (*r));
  r->monotonic = TRUE;
  r->audio_ok = TRUE;

  for (;;) {
    gdouble ta = ai * AUDIO_DUR / 1e9, tv = vi * s->frame / 1e9;
    guint64 arr_a, arr_v;

    if (ta >= s->duration && tv >= s->duration)
      break;
    arr_a = ai * AUDIO_DUR + s->a_lat;
    arr_v = vi * s->frame + s->v_lat;
    if (ta < s->duration && (arr_a <= arr_v || tv >= s->duration)) {
      GstBuffer *out;

      arr_a += s->jitter ? g_rand_int_range (rand, 0, s->jitter) : 0;
      now = MAX (now, arr_a);
      gst_test_clock_set_time (p->clock, now);
      fail_unless_equals_int (gst_harness_push (p->ha,
              make_audio (ai, ai * AUDIO_DUR)), GST_FLOW_OK);
      out = gst_harness_pull (p->ha);
      r->audio_out++;
      if (GST_BUFFER_PTS (out) != ai * AUDIO_DUR || !audio_intact (out, ai))
        r->audio_ok = FALSE;
      gst_buffer_unref (out);
      ai++;
    } else {
      GstBuffer *b, *out;
      gint64 pts = (gint64) llround (tv * (1 + s->v_ppm * 1e-6) * 1e9);
      gint64 out_pts, corr, truth = (gint64) (vi * s->frame);

      if (s->shift_at >= 0 && tv >= s->shift_at)
        pts += s->shift_v;
      if (s->offset_at >= 0 && !offset_set && tv >= s->offset_at) {
        g_object_set (p->e, "av-offset", s->av_offset, NULL);
        offset_set = TRUE;
      }
      arr_v += s->jitter ? g_rand_int_range (rand, 0, s->jitter) : 0;
      now = MAX (now, arr_v);
      gst_test_clock_set_time (p->clock, now);
      b = gst_buffer_new_allocate (NULL, 16, NULL);
      GST_BUFFER_PTS (b) = pts;
      GST_BUFFER_DURATION (b) = s->frame;
      fail_unless_equals_int (gst_harness_push (p->hv, b), GST_FLOW_OK);
      while ((out = gst_harness_try_pull (p->hv))) {
        out_pts = GST_BUFFER_PTS (out);
        corr = pts - out_pts;
        if (prev_out >= 0 && out_pts <= prev_out)
          r->monotonic = FALSE;
        if (prev_in >= 0)
          r->max_step = MAX (r->max_step, ABS (corr - prev_corr));
        prev_corr = corr;
        prev_out = out_pts;
        r->video_out++;
        r->max_res = MAX (r->max_res, out_pts - truth);
        r->min_res = MIN (r->min_res, out_pts - truth);
        if (tv >= s->check_from)
          r->max_res_checked = MAX (r->max_res_checked,
              ABS (out_pts - truth));
        gst_buffer_unref (out);
      }
      prev_in = pts;
      vi++;
    }
  }
  g_rand_free (rand);
}

/* ------------------------------------------------------------------------
 * Tests
 */

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("avsync", NULL);
  guint64 u;
  gint64 i;
  gint mode;
  GstStructure *s;

  g_object_get (e, "threshold", &u, NULL);
  fail_unless_equals_uint64 (u, 100 * MS);
  g_object_get (e, "max-correction", &u, NULL);
  fail_unless_equals_uint64 (u, 1 * MS);
  g_object_get (e, "max-jump", &u, NULL);
  fail_unless_equals_uint64 (u, 2 * SEC);
  g_object_get (e, "message-interval", &u, NULL);
  fail_unless_equals_uint64 (u, 1 * SEC);
  g_object_get (e, "lead-threshold", &i, NULL);
  fail_unless_equals_int64 (i, -1);
  g_object_get (e, "av-offset", &i, NULL);
  fail_unless_equals_int64 (i, 0);
  g_object_get (e, "mode", &mode, NULL);
  fail_unless_equals_int (mode, 0);
  gst_util_set_object_arg (G_OBJECT (e), "mode", "drop-dup");
  g_object_get (e, "mode", &mode, NULL);
  fail_unless_equals_int (mode, 1);

  s = get_stats (e);
  fail_unless (gst_structure_has_name (s, "application/x-avsync-stats"));
  fail_unless_equals_string (gst_structure_get_string (s, "reference"),
      "none");
  fail_unless (gst_structure_has_field (s, "drift-ppm"));
  fail_unless (gst_structure_has_field (s, "mean-offset"));
  fail_unless (gst_structure_has_field (s, "max-offset"));
  fail_unless (gst_structure_has_field (s, "frames-dropped"));
  fail_unless (gst_structure_has_field (s, "frames-duplicated"));
  fail_unless (gst_structure_has_field (s, "corrections"));
  fail_unless (gst_structure_has_field (s, "resets"));
  gst_structure_free (s);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_audio_only_passthrough)
{
  GstHarness *h = gst_harness_new_with_padnames ("avsync", "audio_sink",
      "audio_src");
  guint64 i;

  gst_harness_set_src_caps_str (h, AUDIO_CAPS);
  for (i = 0; i < 200; i++) {
    GstBuffer *in = make_audio (i, i * AUDIO_DUR * 1001 / 1000);
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    /* the very same buffer */
    fail_unless (out == in);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        i * AUDIO_DUR * 1001 / 1000);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_video_only_passthrough)
{
  GstHarness *h = gst_harness_new_with_padnames ("avsync", "video_sink",
      "video_src");
  guint64 i;
  GstStructure *s;

  /* nothing to sync against: even a manual offset leaves it alone */
  gst_util_set_object_arg (G_OBJECT (h->element), "av-offset", "200000000");
  gst_harness_set_src_caps_str (h, VIDEO_CAPS);
  for (i = 0; i < 300; i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, 16, NULL);
    GstBuffer *out;

    GST_BUFFER_PTS (in) = i * SEC / 25;
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out == in);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * SEC / 25);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  s = get_stats (h->element);
  fail_unless_equals_uint64 (stats_uint64 (s, "video-buffers"), 300);
  fail_unless (!g_value_get_boolean (gst_structure_get_value (s, "valid")));
  gst_structure_free (s);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_clock_drift_converges)
{
  Pair p;
  HSim s;
  HRes r;
  GstStructure *st;
  gdouble ppm;

  /* live: arrival on the test clock, 15 ms jitter, video stamped 300 ppm
   * long: 40 ms lead reached after ~133 s */
  pair_init (&p, NULL);
  g_object_set (p.e, "lead-threshold", (gint64) (40 * MS), NULL);
  hsim_defaults (&s);
  s.duration = 400;
  s.v_ppm = 300;
  s.a_lat = 30 * MS;
  s.v_lat = 110 * MS;
  s.jitter = 15 * MS;
  s.check_from = 160;
  run_hsim (&p, &s, &r);

  st = get_stats (p.e);
  fail_unless_equals_string (gst_structure_get_string (st, "reference"),
      "clock");
  fail_unless (r.audio_ok);
  fail_unless (r.monotonic);
  fail_unless (r.max_step <= 1 * MS, "step %" G_GINT64_FORMAT, r.max_step);
  fail_unless (r.max_res <= 45 * MS, "max %" G_GINT64_FORMAT, r.max_res);
  fail_unless (r.max_res_checked < 6 * MS, "residual %" G_GINT64_FORMAT,
      r.max_res_checked);
  fail_unless (g_value_get_boolean (gst_structure_get_value (st, "engaged")));
  fail_unless (gst_structure_get_double (st, "drift-ppm", &ppm));
  fail_unless (fabs (ppm - 300) < 5, "ppm %f", ppm);
  /* 120 ms corrected at the end */
  fail_unless (ABS (stats_int64 (st, "correction") - 120 * MS) < 6 * MS);
  fail_unless (ABS (stats_int64 (st, "offset") - 120 * MS) < 6 * MS);
  fail_unless (stats_uint64 (st, "corrections") >= 110);
  fail_unless_equals_uint64 (stats_uint64 (st, "resets"), 0);
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_slew_bound)
{
  Pair p;
  HSim s;
  HRes r;
  GstStructure *st;

  /* a 250 ms step in the video timestamps, no arrival change: slewed at
   * max-correction per frame */
  pair_init (&p, NULL);
  hsim_defaults (&s);
  s.duration = 40;
  s.shift_at = 5;
  s.shift_v = 250 * MS;
  s.check_from = 20;
  run_hsim (&p, &s, &r);
  fail_unless (r.monotonic);
  fail_unless (r.max_step <= 1 * MS && r.max_step > 0);
  fail_unless (r.max_res_checked < 2 * MS);
  st = get_stats (p.e);
  fail_unless_equals_uint64 (stats_uint64 (st, "level-shifts"), 1);
  gst_structure_free (st);
  pair_clear (&p);

  /* a large max-correction is capped at half a frame (20 ms at 25 fps) */
  pair_init (&p, "video/x-raw,format=GRAY8,width=4,height=4,"
      "framerate=25/1");
  g_object_set (p.e, "max-correction", (guint64) (100 * MS), NULL);
  s.frame = 40 * MS;
  run_hsim (&p, &s, &r);
  fail_unless (r.monotonic);
  fail_unless (r.max_step <= 20 * MS && r.max_step > 10 * MS,
      "step %" G_GINT64_FORMAT, r.max_step);
  fail_unless (r.max_res_checked < 2 * MS);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_av_offset_in_playing)
{
  Pair p;
  HSim s;
  HRes r;
  GstStructure *st;

  pair_init (&p, NULL);
  hsim_defaults (&s);
  s.duration = 30;
  s.offset_at = 10;
  s.av_offset = 150 * MS;
  run_hsim (&p, &s, &r);
  /* the video ends up 150 ms earlier, reached 1 ms per frame */
  fail_unless (r.monotonic);
  fail_unless (r.max_step <= 1 * MS);
  fail_unless (r.min_res <= -149 * MS && r.min_res >= -151 * MS);
  st = get_stats (p.e);
  fail_unless_equals_int64 (stats_int64 (st, "correction"), 150 * MS);
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_reference_auto)
{
  Pair p;
  GstStructure *st;

  pair_init (&p, NULL);
  gst_harness_set_live (p.ha, FALSE);
  gst_harness_set_live (p.hv, FALSE);
  gst_harness_push (p.ha, make_audio (0, 0));
  gst_buffer_unref (gst_harness_pull (p.ha));
  st = get_stats (p.e);
  fail_unless_equals_string (gst_structure_get_string (st, "reference"),
      "media");
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

static GstEvent *
pull_event_of_type (GstHarness * h, GstEventType type)
{
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == type)
      return ev;
    gst_event_unref (ev);
  }
  return NULL;
}

GST_START_TEST (test_events_pass)
{
  Pair p;
  GstEvent *ev;
  GstSegment seg;
  const GstSegment *out_seg;
  GstCaps *caps;
  GstTagList *tags;

  pair_init (&p, NULL);
  /* sticky events reach the paired source pad only */
  ev = pull_event_of_type (p.ha, GST_EVENT_CAPS);
  fail_unless (ev != NULL);
  gst_event_parse_caps (ev, &caps);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "audio/x-raw"));
  gst_event_unref (ev);
  ev = pull_event_of_type (p.hv, GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-raw"));
  gst_event_unref (ev);

  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = 5 * SEC;
  seg.start = 2 * SEC;
  /* the harness' own segment first */
  ev = pull_event_of_type (p.hv, GST_EVENT_SEGMENT);
  fail_unless (ev != NULL);
  gst_event_unref (ev);
  fail_unless (gst_harness_push_event (p.hv, gst_event_new_segment (&seg)));
  ev = pull_event_of_type (p.hv, GST_EVENT_SEGMENT);
  fail_unless (ev != NULL);
  gst_event_parse_segment (ev, &out_seg);
  fail_unless_equals_uint64 (out_seg->base, 5 * SEC);
  fail_unless_equals_uint64 (out_seg->start, 2 * SEC);
  gst_event_unref (ev);
  ev = pull_event_of_type (p.ha, GST_EVENT_SEGMENT);
  fail_unless (ev != NULL);     /* the harness' one */
  gst_event_unref (ev);
  fail_unless (pull_event_of_type (p.ha, GST_EVENT_SEGMENT) == NULL);

  tags = gst_tag_list_new (GST_TAG_TITLE, "x", NULL);
  fail_unless (gst_harness_push_event (p.ha, gst_event_new_tag (tags)));
  fail_unless ((ev = pull_event_of_type (p.ha, GST_EVENT_TAG)) != NULL);
  gst_event_unref (ev);
  fail_unless (pull_event_of_type (p.hv, GST_EVENT_TAG) == NULL);

  /* upstream events go to the paired sink pad's peer */
  while ((ev = gst_harness_try_pull_upstream_event (p.ha)))
    gst_event_unref (ev);
  while ((ev = gst_harness_try_pull_upstream_event (p.hv)))
    gst_event_unref (ev);
  fail_unless (gst_harness_push_upstream_event (p.hv,
          gst_event_new_reconfigure ()));
  fail_unless ((ev = gst_harness_try_pull_upstream_event (p.hv)) != NULL);
  gst_event_unref (ev);
  fail_unless (gst_harness_try_pull_upstream_event (p.ha) == NULL);

  fail_unless (gst_harness_push_event (p.ha, gst_event_new_eos ()));
  fail_unless ((ev = pull_event_of_type (p.ha, GST_EVENT_EOS)) != NULL);
  gst_event_unref (ev);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_segment_running_time)
{
  Pair p;
  GstSegment seg;
  guint64 i;
  GstStructure *st;

  /* the video segment starts at 1000 s with base 0: running times match
   * the audio's, no offset measured */
  pair_init (&p, "video/x-raw,format=GRAY8,width=4,height=4,"
      "framerate=25/1");
  gst_util_set_object_arg (G_OBJECT (p.e), "reference", "media");
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = 1000 * SEC;
  gst_harness_push_event (p.hv, gst_event_new_segment (&seg));
  for (i = 0; i < 1500; i++) {
    GstBuffer *b;

    gst_harness_push (p.ha, make_audio (i, i * AUDIO_DUR));
    gst_buffer_unref (gst_harness_pull (p.ha));
    if (i % 2 == 0) {
      b = gst_buffer_new_allocate (NULL, 16, NULL);
      GST_BUFFER_PTS (b) = 1000 * SEC + i * AUDIO_DUR;
      gst_harness_push (p.hv, b);
      gst_buffer_unref (gst_harness_pull (p.hv));
    }
  }
  st = get_stats (p.e);
  fail_unless (g_value_get_boolean (gst_structure_get_value (st, "valid")));
  fail_unless (ABS (stats_int64 (st, "offset")) < 1 * MS);
  fail_unless_equals_uint64 (stats_uint64 (st, "resets"), 0);
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_no_rounding_drift)
{
  GstElement *e = gst_element_factory_make ("avsync", NULL);
  GstHarness *ha, *hv;
  GstMemory *mem = gst_allocator_alloc (NULL, 1024 * 2, NULL);
  guint64 ai = 0, vi = 0;
  GstStructure *st;
  gdouble ppm;

  /* 1024 samples at 44.1 kHz and 29.97 fps without durations: neither is a
   * whole number of ns. 20 minutes must show no drift at all. */
  gst_util_set_object_arg (G_OBJECT (e), "reference", "media");
  ha = gst_harness_new_with_element (e, "audio_sink", "audio_src");
  hv = gst_harness_new_with_element (e, "video_sink", "video_src");
  gst_harness_set_src_caps_str (ha, "audio/x-raw,format=S16LE,rate=44100,"
      "channels=1,layout=interleaved");
  gst_harness_set_src_caps_str (hv, "video/x-h264,stream-format=avc,"
      "alignment=au,framerate=30000/1001");
  while (ai * 1024 < 44100 * 1200) {
    GstClockTime ta = gst_util_uint64_scale (ai * 1024, SEC, 44100);
    GstClockTime tv = gst_util_uint64_scale (vi, 1001 * SEC, 30000);
    GstBuffer *b = gst_buffer_new ();

    gst_buffer_append_memory (b, gst_memory_ref (mem));
    if (ta <= tv) {
      GST_BUFFER_PTS (b) = ta;
      gst_harness_push (ha, b);
      gst_buffer_unref (gst_harness_pull (ha));
      ai++;
    } else {
      GST_BUFFER_PTS (b) = tv;
      gst_harness_push (hv, b);
      gst_buffer_unref (gst_harness_pull (hv));
      vi++;
    }
  }
  st = get_stats (e);
  fail_unless (ABS (stats_int64 (st, "max-offset")) < 2000,
      "offset %" G_GINT64_FORMAT, stats_int64 (st, "max-offset"));
  fail_unless (gst_structure_get_double (st, "drift-ppm", &ppm));
  fail_unless (fabs (ppm) < 0.01, "ppm %f", ppm);
  gst_structure_free (st);
  gst_memory_unref (mem);
  gst_harness_teardown (hv);
  gst_harness_teardown (ha);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_encoded_bframes)
{
  Pair p;
  guint64 i, vi = 0;
  gint64 prev_dts = -1;
  GstStructure *st;
  /* I P B B in decode order: PTS offsets in frames from the DTS */
  static const gint reorder[4] = { 1, 3, 1, 1 };

  /* encoded video with B-frames, stamped 1 % long: measured and corrected
   * on the DTS, PTS and DTS move together, decode order stays monotonic */
  pair_init (&p, "video/x-h264,stream-format=avc,alignment=au,"
      "framerate=25/1");
  gst_util_set_object_arg (G_OBJECT (p.e), "reference", "media");
  gst_util_set_object_arg (G_OBJECT (p.e), "mode", "drop-dup");
  for (i = 0; i < 1500; i++) {
    gst_harness_push (p.ha, make_audio (i, i * AUDIO_DUR));
    gst_buffer_unref (gst_harness_pull (p.ha));
    while (vi * 40 * MS <= i * AUDIO_DUR) {
      GstBuffer *b = gst_buffer_new_allocate (NULL, 16, NULL), *out;
      GstClockTime dts = vi * 40 * MS * 101 / 100;
      GstClockTime pts = dts + reorder[vi % 4] * 40 * MS * 101 / 100;

      GST_BUFFER_DTS (b) = dts;
      GST_BUFFER_PTS (b) = pts;
      GST_BUFFER_DURATION (b) = 40 * MS;
      gst_harness_push (p.hv, b);
      out = gst_harness_pull (p.hv);
      fail_unless_equals_int64 ((gint64) (GST_BUFFER_PTS (out) -
              GST_BUFFER_DTS (out)), (gint64) (pts - dts));
      fail_unless ((gint64) GST_BUFFER_DTS (out) > prev_dts);
      prev_dts = GST_BUFFER_DTS (out);
      gst_buffer_unref (out);
      vi++;
    }
  }
  st = get_stats (p.e);
  /* 300 ms in 30 s: engaged at 10 s, corrected since (slewed, not dropped:
   * encoded frames can't go) */
  fail_unless (stats_int64 (st, "correction") > 150 * MS);
  fail_unless (ABS (stats_int64 (st, "residual")) < 2 * MS);
  fail_unless_equals_uint64 (stats_uint64 (st, "frames-dropped"), 0);
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_drop_dup)
{
  Pair p;
  guint64 i, vi = 0, drops_seen = 0;
  gint64 prev = -1;
  GstStructure *st;

  /* media reference, video stamped 1 % short: the video runs early, frames
   * are duplicated to hold it back */
  pair_init (&p, NULL);
  gst_util_set_object_arg (G_OBJECT (p.e), "mode", "drop-dup");
  gst_util_set_object_arg (G_OBJECT (p.e), "reference", "media");
  for (i = 0; i < 3000; i++) {
    GstBuffer *b, *out;

    gst_harness_push (p.ha, make_audio (i, i * AUDIO_DUR));
    gst_buffer_unref (gst_harness_pull (p.ha));
    while (vi * SEC / 30 <= i * AUDIO_DUR) {
      b = gst_buffer_new_allocate (NULL, 16, NULL);
      GST_BUFFER_PTS (b) = vi * SEC / 30 * 99 / 100;
      gst_harness_push (p.hv, b);
      while ((out = gst_harness_try_pull (p.hv))) {
        if (prev >= 0) {
          /* always one frame apart after the first correction */
          fail_unless ((gint64) GST_BUFFER_PTS (out) > prev);
          if (GST_BUFFER_PTS (out) - prev > SEC / 20)
            drops_seen++;
        }
        prev = GST_BUFFER_PTS (out);
        gst_buffer_unref (out);
      }
      vi++;
    }
  }
  st = get_stats (p.e);
  /* 600 ms at 33 ms: 17-18 frames, the first after the threshold */
  fail_unless (stats_uint64 (st, "frames-duplicated") >= 14,
      "dups %" G_GUINT64_FORMAT, stats_uint64 (st, "frames-duplicated"));
  fail_unless_equals_uint64 (stats_uint64 (st, "frames-dropped"), 0);
  fail_unless (ABS (stats_int64 (st, "residual")) < 20 * MS);
  fail_unless_equals_uint64 (drops_seen, 0);
  fail_unless_equals_uint64 (gst_harness_buffers_received (p.hv),
      vi + stats_uint64 (st, "frames-duplicated"));
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_messages)
{
  Pair p;
  GstBus *bus = gst_bus_new ();
  HSim s;
  HRes r;
  GstMessage *msg;
  guint status = 0, correcting = 0;

  pair_init (&p, NULL);
  gst_element_set_bus (p.e, bus);
  g_object_set (p.e, "lead-threshold", (gint64) (20 * MS), NULL);
  hsim_defaults (&s);
  s.duration = 30;
  s.v_ppm = 2000;
  run_hsim (&p, &s, &r);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure (msg);
    gint64 off;

    if (gst_structure_has_name (st, "avsync-status")) {
      fail_unless (gst_structure_get_int64 (st, "offset", &off));
      fail_unless (gst_structure_has_field (st, "residual"));
      fail_unless (gst_structure_has_field (st, "drift-ppm"));
      fail_unless (gst_structure_has_field (st, "running-time"));
      status++;
    } else if (gst_structure_has_name (st, "avsync-correcting")) {
      fail_unless (gst_structure_get_int64 (st, "offset", &off));
      fail_unless (off > 20 * MS && off < 25 * MS);
      correcting++;
    }
    gst_message_unref (msg);
  }
  /* one a second of stream time once measured (after ~2 s) */
  fail_unless (status >= 26 && status <= 30, "%u status messages", status);
  fail_unless_equals_int (correcting, 1);
  gst_element_set_bus (p.e, NULL);
  gst_object_unref (bus);
  pair_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_bad_audio_caps)
{
  GstHarness *h = gst_harness_new_with_padnames ("avsync", "audio_sink",
      "audio_src");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstCaps *caps = gst_caps_from_string ("audio/x-raw,format=S16LE,channels=1");

  gst_element_set_bus (h->element, bus);
  /* raw audio without a rate can't be counted in samples */
  fail_if (gst_pad_send_event (h->element->sinkpads->data,
          gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_resets)
{
  Pair p;
  HSim s;
  HRes r;
  GstStructure *st;
  GstBuffer *b;

  pair_init (&p, NULL);
  g_object_set (p.e, "lead-threshold", (gint64) (20 * MS), NULL);
  hsim_defaults (&s);
  s.duration = 30;
  s.v_ppm = 3000;
  run_hsim (&p, &s, &r);
  st = get_stats (p.e);
  fail_unless (stats_int64 (st, "correction") > 50 * MS);
  gst_structure_free (st);

  gst_harness_push_event (p.ha, gst_event_new_flush_start ());
  gst_harness_push_event (p.ha, gst_event_new_flush_stop (TRUE));
  gst_harness_push_event (p.hv, gst_event_new_flush_start ());
  gst_harness_push_event (p.hv, gst_event_new_flush_stop (TRUE));
  {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_harness_push_event (p.ha, gst_event_new_segment (&seg));
    gst_harness_push_event (p.hv, gst_event_new_segment (&seg));
  }
  gst_harness_push (p.ha, make_audio (0, 0));
  gst_buffer_unref (gst_harness_pull (p.ha));
  b = gst_buffer_new_allocate (NULL, 16, NULL);
  GST_BUFFER_PTS (b) = 0;
  gst_harness_push (p.hv, b);
  b = gst_harness_pull (p.hv);
  /* the correction went with the flush */
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 0);
  gst_buffer_unref (b);
  st = get_stats (p.e);
  fail_unless_equals_uint64 (stats_uint64 (st, "resets"), 2);
  fail_unless_equals_int64 (stats_int64 (st, "correction"), 0);
  gst_structure_free (st);
  pair_clear (&p);
}

GST_END_TEST;

/* ------------------------------------------------------------------------
 * Non-live pipelines: a simulated hour in seconds
 */

typedef struct {
  gdouble v_ppm, a_ppm;         /* skew injected into the timestamps */
  GstClockTime jump_at;         /* sender restart: both streams jump */
  gint64 jump;
  GstClockTime frame;

  guint64 a_in_hash, a_out_hash;
  guint64 a_in_ts, a_out_ts;
  guint64 a_in_n, a_out_n;
  guint64 v_out_n;
  gint64 prev_out;
  gboolean monotonic;
  gint64 max_res, min_res;
  gint64 max_res_after;         /* |residual| from check_from on */
  GstClockTime check_from;
  gint64 max_res_after_jump;    /* |residual| in the 5 s after the jump */
  gint64 max_res_before_jump;
} PSim;

static GstClockTime
pskew (const PSim * ps, GstClockTime pts, gdouble ppm)
{
  /* the restarted sender starts over in sync, ppm from there */
  if (ps->jump_at && pts >= ps->jump_at)
    return ps->jump_at + ps->jump +
        (GstClockTime) llround ((pts - ps->jump_at) * (1 + ppm * 1e-6));
  return (GstClockTime) llround (pts * (1 + ppm * 1e-6));
}

static GstPadProbeReturn
skew_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PSim *ps = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean video = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad),
          "video"));

  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = pskew (ps, GST_BUFFER_PTS (buf),
      video ? ps->v_ppm : ps->a_ppm);
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static guint64
hash_buffer (GstBuffer * buf, guint64 h)
{
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i < map.size; i++)
    h = (h ^ map.data[i]) * G_GUINT64_CONSTANT (0x100000001b3);
  gst_buffer_unmap (buf, &map);
  return h;
}

static GstPadProbeReturn
audio_in_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PSim *ps = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  ps->a_in_hash = hash_buffer (buf, ps->a_in_hash);
  ps->a_in_ts = ps->a_in_ts * 31 + GST_BUFFER_PTS (buf);
  ps->a_in_n++;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
audio_out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PSim *ps = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  ps->a_out_hash = hash_buffer (buf, ps->a_out_hash);
  ps->a_out_ts = ps->a_out_ts * 31 + GST_BUFFER_PTS (buf);
  ps->a_out_n++;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
video_out_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PSim *ps = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  /* videotestsrc numbers its frames: frame n was "captured" at n / 30 s,
   * and belongs with the audio stamped at that instant */
  GstClockTime t = gst_util_uint64_scale_int (GST_BUFFER_OFFSET (buf), SEC,
      30);
  gint64 truth = pskew (ps, t, ps->a_ppm);
  gint64 out = GST_BUFFER_PTS (buf);
  gint64 res = out - truth;

  if (ps->prev_out >= 0 && out <= ps->prev_out)
    ps->monotonic = FALSE;
  ps->prev_out = out;
  ps->v_out_n++;
  ps->max_res = MAX (ps->max_res, res);
  ps->min_res = MIN (ps->min_res, res);
  if (t >= ps->check_from && !(ps->jump_at && t >= ps->jump_at &&
          t < ps->jump_at + 5 * SEC))
    ps->max_res_after = MAX (ps->max_res_after, ABS (res));
  if (ps->jump_at && t >= ps->jump_at && t < ps->jump_at + 5 * SEC)
    ps->max_res_after_jump = MAX (ps->max_res_after_jump, ABS (res));
  if (ps->jump_at && t < ps->jump_at && t + 5 * SEC >= ps->jump_at)
    ps->max_res_before_jump = MAX (ps->max_res_before_jump, ABS (res));
  return GST_PAD_PROBE_OK;
}

static GstStructure *
run_pipeline (PSim * ps, guint seconds, const gchar * avsync_props)
{
  gchar *desc;
  GstElement *pipe, *avsync, *vcf, *acf;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GstStructure *stats;

  /* 8 kHz mono in 100 ms buffers and 4x4 grey frames at 30 fps: the
   * cheapest real streams, an hour of them takes a few seconds. A muxer
   * downstream interleaves the streams as in a real ingest. */
  desc = g_strdup_printf ("audiotestsrc num-buffers=%u samplesperbuffer=800 "
      "wave=white-noise ! capsfilter name=acf caps=audio/x-raw,format=S16LE,"
      "rate=8000,channels=1 ! avsync name=s %s "
      "videotestsrc num-buffers=%u pattern=black ! capsfilter name=vcf "
      "caps=video/x-raw,format=GRAY8,width=4,height=4,framerate=30/1 ! "
      "s.video_sink  s.audio_src ! queue ! mux.  s.video_src ! queue ! mux. "
      "matroskamux name=mux ! fakesink sync=false", seconds * 10,
      avsync_props ? avsync_props : "", seconds * 30);
  pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipe != NULL);
  avsync = gst_bin_get_by_name (GST_BIN (pipe), "s");
  vcf = gst_bin_get_by_name (GST_BIN (pipe), "vcf");
  acf = gst_bin_get_by_name (GST_BIN (pipe), "acf");

  ps->frame = SEC / 30;
  ps->prev_out = -1;
  ps->monotonic = TRUE;
  ps->a_in_hash = ps->a_out_hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  pad = gst_element_get_static_pad (vcf, "src");
  g_object_set_data (G_OBJECT (pad), "video", GINT_TO_POINTER (1));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, skew_probe, ps, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (acf, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, skew_probe, ps, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (avsync, "audio_sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_in_probe, ps,
      NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (avsync, "audio_src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_out_probe, ps,
      NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (avsync, "video_src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, video_out_probe, ps,
      NULL);
  gst_object_unref (pad);

  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 120 * SEC,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "pipeline did not finish");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  g_object_get (avsync, "stats", &stats, NULL);
  gst_element_set_state (pipe, GST_STATE_NULL);

  gst_object_unref (bus);
  gst_object_unref (acf);
  gst_object_unref (vcf);
  gst_object_unref (avsync);
  gst_object_unref (pipe);

  GST_INFO ("residual [%.3f, %.3f] ms, after convergence %.3f ms, "
      "%" GST_PTR_FORMAT, ps->min_res / 1e6, ps->max_res / 1e6,
      ps->max_res_after / 1e6, stats);
  return stats;
}

static void
check_audio_identical (const PSim * ps)
{
  fail_unless (ps->a_in_n > 0);
  fail_unless_equals_uint64 (ps->a_out_n, ps->a_in_n);
  fail_unless_equals_uint64 (ps->a_out_hash, ps->a_in_hash);
  fail_unless_equals_uint64 (ps->a_out_ts, ps->a_in_ts);
}

GST_START_TEST (test_pipeline_hour_video_late)
{
  PSim ps = { 0, };
  GstStructure *st;
  gdouble ppm;

  /* video stamped 100 ppm long: the picture gets later, up to 360 ms in an
   * hour. Thresholds inside BT.1359: +40 ms lead, default lag. */
  ps.v_ppm = 100;
  ps.check_from = 420 * SEC;
  st = run_pipeline (&ps, 3600, "lead-threshold=40000000");

  check_audio_identical (&ps);
  fail_unless_equals_uint64 (ps.v_out_n, 3600 * 30);
  fail_unless (ps.monotonic);
  fail_unless_equals_string (gst_structure_get_string (st, "reference"),
      "media");
  /* never detectable (BT.1359: +45 ms / -125 ms) */
  fail_unless (ps.max_res <= 45 * MS, "max %" G_GINT64_FORMAT, ps.max_res);
  fail_unless (ps.min_res >= -125 * MS, "min %" G_GINT64_FORMAT, ps.min_res);
  /* converged: well under 20 ms */
  fail_unless (ps.max_res_after < 20 * MS, "residual %" G_GINT64_FORMAT,
      ps.max_res_after);
  fail_unless (gst_structure_get_double (st, "drift-ppm", &ppm));
  fail_unless (fabs (ppm - 100) < 2, "ppm %f", ppm);
  fail_unless (ABS (stats_int64 (st, "correction") - 360 * MS) < 3 * MS);
  fail_unless_equals_uint64 (stats_uint64 (st, "resets"), 0);
  gst_structure_free (st);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_hour_audio_long)
{
  PSim ps = { 0, };
  GstStructure *st;

  /* audio stamped 100 ppm long: the audio falls behind (lag), the default
   * 100 ms threshold stays inside BT.1359's -125 ms */
  ps.a_ppm = 100;
  ps.check_from = 1020 * SEC;
  st = run_pipeline (&ps, 3600, NULL);

  check_audio_identical (&ps);
  fail_unless (ps.monotonic);
  fail_unless (ps.max_res <= 45 * MS);
  fail_unless (ps.min_res >= -125 * MS, "min %" G_GINT64_FORMAT, ps.min_res);
  fail_unless (ps.max_res_after < 20 * MS, "residual %" G_GINT64_FORMAT,
      ps.max_res_after);
  /* the video follows the audio: moved later */
  fail_unless (ABS (stats_int64 (st, "correction") + 360 * MS) < 3 * MS);
  gst_structure_free (st);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_restart)
{
  PSim ps = { 0, };
  GstStructure *st;

  /* 1000 ppm: 560 ms corrected when the sender restarts at 600 s with
   * timestamps 1 h ahead; the correction goes at once, no ramp back */
  ps.v_ppm = 1000;
  ps.jump_at = 600 * SEC;
  ps.jump = 3600 * SEC;
  ps.check_from = 60 * SEC;
  st = run_pipeline (&ps, 900, "lead-threshold=40000000");

  check_audio_identical (&ps);
  fail_unless (ps.monotonic);
  fail_unless_equals_uint64 (stats_uint64 (st, "resets"), 2);
  fail_unless (ps.max_res_before_jump < 5 * MS);
  fail_unless (ps.max_res_after_jump < 5 * MS, "after jump %"
      G_GINT64_FORMAT, ps.max_res_after_jump);
  fail_unless (ps.max_res <= 45 * MS);
  gst_structure_free (st);
}

GST_END_TEST;

static Suite *
avsync_suite (void)
{
  Suite *s = suite_create ("avsync");
  TCase *tc = tcase_create ("harness");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_audio_only_passthrough);
  tcase_add_test (tc, test_video_only_passthrough);
  tcase_add_test (tc, test_clock_drift_converges);
  tcase_add_test (tc, test_slew_bound);
  tcase_add_test (tc, test_av_offset_in_playing);
  tcase_add_test (tc, test_reference_auto);
  tcase_add_test (tc, test_events_pass);
  tcase_add_test (tc, test_segment_running_time);
  tcase_add_test (tc, test_no_rounding_drift);
  tcase_add_test (tc, test_encoded_bframes);
  tcase_add_test (tc, test_drop_dup);
  tcase_add_test (tc, test_messages);
  tcase_add_test (tc, test_bad_audio_caps);
  tcase_add_test (tc, test_flush_resets);

  tc = tcase_create ("pipeline");
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_pipeline_hour_video_late);
  tcase_add_test (tc, test_pipeline_hour_audio_long);
  tcase_add_test (tc, test_pipeline_restart);
  return s;
}

GST_CHECK_MAIN (avsync);
