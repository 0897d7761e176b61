/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* gopbuffer: harness tests of the passthrough, joins, bounds, preview and
 * messages; real pipelines (x264enc -> h264parse -> gopbuffer, branches
 * joined while PLAYING decoded with avdec_h264) for join latency, decode
 * errors, open GOPs and per-pad lag dropping. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "lstest.h"

#define MS (GST_MSECOND)
#define CAPS "video/x-vp8, width=(int)16, height=(int)16, framerate=(fraction)25/1"

static GstBuffer *
make_buf (guint n, gboolean key, gsize size)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (b, 0, n & 0xff, size);
  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = n * 40 * MS;
  GST_BUFFER_DURATION (b) = 40 * MS;
  GST_BUFFER_OFFSET (b) = n;
  if (!key)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
  return b;
}

static GstHarness *
harness_new (void)
{
  GstHarness *h = gst_harness_new_with_padnames ("gopbuffer", "sink", "src");

  gst_harness_set_src_caps_str (h, CAPS);
  return h;
}

/* push frames first..last, keyframe every @gop */
static void
push_frames (GstHarness * h, guint from, guint last, guint gop)
{
  guint n;

  for (n = from; n <= last; n++)
    fail_unless_equals_int (gst_harness_push (h, make_buf (n, n % gop == 0,
                100)), GST_FLOW_OK);
}

static guint
pull_n (GstHarness * h)
{
  GstBuffer *b = gst_harness_pull (h);
  guint n;

  fail_unless (b != NULL);
  n = (guint) GST_BUFFER_OFFSET (b);
  gst_buffer_unref (b);
  return n;
}

/* the pipeline of the running pipeline test, stopped by the teardown if a
 * failed check left it running */
static GstElement *running_pipeline;

static void
pipeline_teardown (void)
{
  if (running_pipeline) {
    gst_element_set_state (running_pipeline, GST_STATE_NULL);
    gst_clear_object (&running_pipeline);
  }
}

static GstStructure *
get_stats (GstElement * e)
{
  GstStructure *s = NULL;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (s != NULL);
  return s;
}

static guint
stat_uint (GstElement * e, const gchar * field)
{
  GstStructure *s = get_stats (e);
  guint v = 0;

  fail_unless (gst_structure_get_uint (s, field, &v), "no field %s", field);
  gst_structure_free (s);
  return v;
}

static guint64
stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *s = get_stats (e);
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no field %s", field);
  gst_structure_free (s);
  return v;
}

GST_START_TEST (test_start_on_keyframe)
{
  GstHarness *h = harness_new ();
  GstBuffer *b;

  /* deltas before the first keyframe are dropped on src */
  fail_unless_equals_int (gst_harness_push (h, make_buf (0, FALSE, 100)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, make_buf (1, FALSE, 100)),
      GST_FLOW_OK);
  push_frames (h, 2, 5, 2);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 4);
  fail_unless_equals_int (pull_n (h), 2);
  fail_unless_equals_int (pull_n (h), 3);
  fail_unless_equals_int (pull_n (h), 4);
  fail_unless_equals_int (pull_n (h), 5);

  /* a DISCONT delta: drop until the next keyframe */
  b = make_buf (7, FALSE, 100);
  GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DISCONT);
  gst_harness_push (h, b);
  gst_harness_push (h, make_buf (9, FALSE, 100));
  gst_harness_push (h, make_buf (10, TRUE, 100));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  fail_unless_equals_int (pull_n (h), 10);
  fail_unless_equals_uint64 (stat_u64 (h->element, "src-dropped"), 4);

  /* after a flush too */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;
    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  gst_harness_push (h, make_buf (11, FALSE, 100));
  gst_harness_push (h, make_buf (12, TRUE, 100));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  fail_unless_equals_int (pull_n (h), 12);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_start_on_keyframe_off)
{
  GstHarness *h = harness_new ();

  g_object_set (h->element, "start-on-keyframe", FALSE, NULL);
  gst_harness_push (h, make_buf (0, FALSE, 100));
  gst_harness_push (h, make_buf (1, TRUE, 100));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_join_catch_up)
{
  GstHarness *h = harness_new ();
  GstHarness *h2;
  GstBuffer *b;
  GstEvent *ev;
  GstCaps *caps;

  push_frames (h, 0, 13, 5);    /* GOPs 0-4, 5-9, 10-14 */
  /* a branch joins: sticky events, then the GOP from keyframe 10 */
  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  b = gst_harness_pull (h2);
  fail_unless_equals_int (GST_BUFFER_OFFSET (b), 10);
  fail_unless (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 400 * MS);
  gst_buffer_unref (b);
  fail_unless_equals_int (pull_n (h2), 11);
  fail_unless_equals_int (pull_n (h2), 12);
  fail_unless_equals_int (pull_n (h2), 13);

  ev = gst_harness_pull_event (h2);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_STREAM_START);
  gst_event_unref (ev);
  ev = gst_harness_pull_event (h2);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_CAPS);
  gst_event_parse_caps (ev, &caps);
  {
    GstCaps *expected = gst_caps_from_string (CAPS);
    fail_unless (gst_caps_is_equal (caps, expected));
    gst_caps_unref (expected);
  }
  gst_event_unref (ev);
  ev = gst_harness_pull_event (h2);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_SEGMENT);
  gst_event_unref (ev);

  /* then live; the always pad got everything */
  push_frames (h, 14, 16, 5);
  fail_unless_equals_int (pull_n (h2), 14);
  fail_unless_equals_int (pull_n (h2), 15);
  fail_unless_equals_int (pull_n (h2), 16);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 17);

  /* the cache is shared: same buffer objects, no copies */
  {
    GstSample *sample = NULL;
    g_object_get (h->element, "last-keyframe", &sample, NULL);
    fail_unless (sample != NULL);
    fail_unless_equals_int (GST_BUFFER_OFFSET (gst_sample_get_buffer (sample)),
        15);
    fail_unless (gst_sample_get_caps (sample) != NULL);
    fail_unless (gst_structure_has_name (gst_caps_get_structure
            (gst_sample_get_caps (sample), 0), "video/x-vp8"));
    gst_sample_unref (sample);
  }
  fail_unless_equals_uint64 (stat_u64 (h->element, "joins-catch-up"), 1);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_join_catch_up_max_gops)
{
  GstHarness *h = harness_new ();
  GstHarness *h2;
  guint n;

  g_object_set (h->element, "max-gops", 2, NULL);
  push_frames (h, 0, 13, 5);
  /* two GOPs: from keyframe 5 */
  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  for (n = 5; n <= 13; n++)
    fail_unless_equals_int (pull_n (h2), n);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_join_latest_keyframe)
{
  GstHarness *h = harness_new ();
  GstHarness *h2;
  GstBuffer *b;
  GstEvent *ev;
  const GstSegment *seg;
  guint n;

  g_object_set (h->element, "join-mode", 1, NULL);
  push_frames (h, 0, 13, 5);
  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  /* the keyframe, retimed to the live edge (frame 13) */
  b = gst_harness_pull (h2);
  fail_unless_equals_int (GST_BUFFER_OFFSET (b), 10);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 13 * 40 * MS);
  fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DECODE_ONLY));
  gst_buffer_unref (b);
  /* the rest of the GOP decode-only */
  for (n = 11; n <= 13; n++) {
    b = gst_harness_pull (h2);
    fail_unless_equals_int (GST_BUFFER_OFFSET (b), n);
    fail_unless (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DECODE_ONLY));
    gst_buffer_unref (b);
  }
  /* the segment starts at the live edge with the same running time */
  gst_event_unref (gst_harness_pull_event (h2));
  gst_event_unref (gst_harness_pull_event (h2));
  ev = gst_harness_pull_event (h2);
  fail_unless_equals_int (GST_EVENT_TYPE (ev), GST_EVENT_SEGMENT);
  gst_event_parse_segment (ev, &seg);
  fail_unless_equals_uint64 (seg->start, 13 * 40 * MS);
  fail_unless_equals_uint64 (gst_segment_to_running_time (seg,
          GST_FORMAT_TIME, 13 * 40 * MS), 13 * 40 * MS);
  gst_event_unref (ev);

  push_frames (h, 14, 14, 5);
  b = gst_harness_pull (h2);
  fail_unless_equals_int (GST_BUFFER_OFFSET (b), 14);
  fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DECODE_ONLY));
  gst_buffer_unref (b);
  fail_unless_equals_uint64 (stat_u64 (h->element, "joins-latest-keyframe"), 1);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* What a src pad pushes, in order: "c<width or rate>" per caps event,
 * "b<offset>" per buffer */
typedef struct
{
  GMutex lock;
  GString *log;
} PadLog;

static GstPadProbeReturn
pad_log_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PadLog *pl = user_data;

  g_mutex_lock (&pl->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    g_string_append_printf (pl->log, "b%" G_GUINT64_FORMAT " ",
        GST_BUFFER_OFFSET (GST_PAD_PROBE_INFO_BUFFER (info)));
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gint w = 0;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    if (!gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &w))
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &w);
    g_string_append_printf (pl->log, "c%d ", w);
  }
  g_mutex_unlock (&pl->lock);
  return GST_PAD_PROBE_OK;
}

static PadLog *
pad_log_new (GstPad * pad)
{
  PadLog *pl = g_new0 (PadLog, 1);

  g_mutex_init (&pl->lock);
  pl->log = g_string_new (NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, pad_log_probe, pl, NULL);
  return pl;
}

static void
pad_log_check (PadLog * pl, const gchar * expected)
{
  g_mutex_lock (&pl->lock);
  fail_unless_equals_string (g_strchomp (pl->log->str), expected);
  g_string_truncate (pl->log, 0);
  g_mutex_unlock (&pl->lock);
}

static void
pad_log_free (PadLog * pl)
{
  g_string_free (pl->log, TRUE);
  g_mutex_clear (&pl->lock);
  g_free (pl);
}

/* A request pad with a log of what it pushes, linked to a new harness:
 * the log sees everything the join sends */
static GstHarness *
request_logged_full (GstElement * e, const gchar * templ, PadLog ** pl)
{
  GstPad *pad = gst_element_request_pad_simple (e, templ);
  GstHarness *h;

  *pl = pad_log_new (pad);
  h = gst_harness_new_with_element (e, NULL, GST_PAD_NAME (pad));
  gst_object_unref (pad);
  return h;
}

static GstHarness *
request_logged (GstElement * e, PadLog ** pl)
{
  return request_logged_full (e, "src_%u", pl);
}

static void
pull_offsets (GstHarness * h, guint from, guint last)
{
  guint n;

  for (n = from; n <= last; n++)
    fail_unless_equals_int (pull_n (h), n);
}

GST_START_TEST (test_join_replays_caps_change)
{
  GstHarness *h = harness_new ();
  GstHarness *hl, *hc, *hk, *h2;
  PadLog *src_log, *linked_log, *catch_log, *latest_log, *late_log;
  GstPad *src = gst_element_get_static_pad (h->element, "src");
  GstCaps *caps_b = gst_caps_from_string ("video/x-vp8, width=(int)32, "
      "height=(int)32, framerate=(fraction)25/1");

  src_log = pad_log_new (src);
  gst_object_unref (src);
  /* a branch linked before any data */
  hl = request_logged (h->element, &linked_log);

  /* a GOP with caps A (16x16), changing to B (32x32) after frame 2 */
  push_frames (h, 0, 2, 100);
  fail_unless (gst_harness_push_event (h, gst_event_new_caps (caps_b)));
  push_frames (h, 3, 4, 100);
  fail_unless_equals_int (stat_uint (h->element, "cached-events"), 1);

  /* a catch-up joiner gets caps A before the keyframe and B exactly
   * before frame 3, like the branches that were there */
  hc = request_logged (h->element, &catch_log);
  pull_offsets (hc, 0, 4);
  pull_offsets (hl, 0, 4);
  pad_log_check (catch_log, "c16 b0 b1 b2 c32 b3 b4");
  pad_log_check (linked_log, "c16 b0 b1 b2 c32 b3 b4");
  pad_log_check (src_log, "b0 b1 b2 c32 b3 b4");

  /* latest-keyframe: the same order (the keyframe shown at the live edge,
   * the rest decode-only) */
  g_object_set (h->element, "join-mode", 1, NULL);
  hk = request_logged (h->element, &latest_log);
  pull_offsets (hk, 0, 4);
  pad_log_check (latest_log, "c16 b0 b1 b2 c32 b3 b4");

  /* live: everyone goes on with B, no caps again */
  push_frames (h, 5, 5, 100);
  pull_offsets (hc, 5, 5);
  pull_offsets (hl, 5, 5);
  pull_offsets (hk, 5, 5);
  pad_log_check (catch_log, "b5");
  pad_log_check (latest_log, "b5");

  /* the next GOP starts with B: a joiner there gets B first. The first
   * GOP is evicted (max-gops 1) with its caps event */
  g_object_set (h->element, "join-mode", 0, NULL);
  push_frames (h, 100, 101, 100);
  fail_unless_equals_int (stat_uint (h->element, "cached-events"), 0);
  h2 = request_logged (h->element, &late_log);
  pull_offsets (h2, 100, 101);
  pad_log_check (late_log, "c32 b100 b101");

  gst_harness_teardown (h2);
  gst_harness_teardown (hk);
  gst_harness_teardown (hc);
  gst_harness_teardown (hl);
  gst_harness_teardown (h);
  pad_log_free (src_log);
  pad_log_free (linked_log);
  pad_log_free (catch_log);
  pad_log_free (latest_log);
  pad_log_free (late_log);
  gst_caps_unref (caps_b);
}

GST_END_TEST;

static GstBuffer *
make_audio (guint n)
{
  GstBuffer *a = gst_buffer_new_allocate (NULL, 320, NULL);

  gst_buffer_memset (a, 0, 0, 320);
  GST_BUFFER_PTS (a) = n * 20 * MS;
  GST_BUFFER_DURATION (a) = 20 * MS;
  GST_BUFFER_OFFSET (a) = n;
  return a;
}

GST_START_TEST (test_join_replays_audio_caps_change)
{
  GstHarness *h = harness_new ();
  GstHarness *ha, *h2, *h2a;
  PadLog *alog;
  guint n;

  ha = gst_harness_new_with_element (h->element, "audio_sink", NULL);
  gst_harness_set_src_caps_str (ha, "audio/x-raw, format=S16LE, rate=8000, "
      "channels=1, layout=interleaved");
  /* video every 40 ms, audio every 20 ms; the audio rate changes after
   * audio buffer 3, inside the GOP */
  for (n = 0; n < 4; n++) {
    gst_harness_push (h, make_buf (n, n == 0, 100));
    if (n == 2)
      gst_harness_set_src_caps_str (ha, "audio/x-raw, format=S16LE, "
          "rate=16000, channels=1, layout=interleaved");
    fail_unless_equals_int (gst_harness_push (ha, make_audio (2 * n)),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (ha, make_audio (2 * n + 1)),
        GST_FLOW_OK);
  }
  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  h2a = request_logged_full (h->element, "audio_src_%u", &alog);
  pull_offsets (h2, 0, 3);
  pull_offsets (h2a, 0, 7);
  pad_log_check (alog, "c8000 b0 b1 b2 b3 c16000 b4 b5 b6 b7");
  gst_harness_teardown (h2a);
  gst_harness_teardown (h2);
  gst_harness_teardown (ha);
  gst_harness_teardown (h);
  pad_log_free (alog);
}

GST_END_TEST;

/* A branch whose audio pad is linked first (as pipelines/restream does),
 * a few ms after a keyframe: no audio of that GOP is cached yet. The audio
 * that comes next belongs to the GOP the video joins at: it must flow at
 * once. (It waited for the next keyframe: a muxer in the branch got no
 * audio, and so muxed nothing, for a whole GOP.) */
static GstBuffer *
try_pull_for (GstHarness * h, gint64 max_us)
{
  gint64 end = g_get_monotonic_time () + max_us;
  GstBuffer *b;

  while (!(b = gst_harness_try_pull (h)) && g_get_monotonic_time () < end)
    g_usleep (1000);
  return b;
}

GST_START_TEST (test_audio_joins_right_after_keyframe)
{
  GstHarness *h = harness_new ();
  GstHarness *ha, *h2, *h2a;
  GstPad *vpad;
  GstBuffer *b;
  guint n;

  ha = gst_harness_new_with_element (h->element, "audio_sink", NULL);
  gst_harness_set_src_caps_str (ha,
      "audio/x-raw, format=S16LE, rate=8000, channels=1, layout=interleaved");
  /* video every 40 ms (GOP of 5), audio every 20 ms; the keyframe at
   * 200 ms has just arrived, its audio not yet */
  for (n = 0; n < 6; n++) {
    gst_harness_push (h, make_buf (n, n % 5 == 0, 100));
    if (n == 5)
      break;
    fail_unless_equals_int (gst_harness_push (ha, make_audio (2 * n)),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (ha, make_audio (2 * n + 1)),
        GST_FLOW_OK);
  }
  /* as pipelines/restream: both pads requested, the audio linked first */
  vpad = gst_element_request_pad_simple (h->element, "src_%u");
  h2a = gst_harness_new_with_element (h->element, NULL, "audio_src_%u");
  h2 = gst_harness_new_with_element (h->element, NULL, GST_PAD_NAME (vpad));
  gst_object_unref (vpad);
  fail_unless_equals_int (pull_n (h2), 5);

  /* the audio from 200 ms on arrives now: straight through */
  fail_unless_equals_int (gst_harness_push (ha, make_audio (10)), GST_FLOW_OK);
  b = try_pull_for (h2a, 2 * G_TIME_SPAN_SECOND);
  fail_unless (b != NULL, "the audio of the GOP joined at did not come");
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 200 * MS);
  gst_buffer_unref (b);
  gst_harness_push (h, make_buf (6, FALSE, 100));
  fail_unless_equals_int (gst_harness_push (ha, make_audio (11)), GST_FLOW_OK);
  fail_unless_equals_int (pull_n (h2), 6);
  fail_unless_equals_int (pull_n (h2a), 11);

  gst_harness_teardown (h2a);
  gst_harness_teardown (h2);
  gst_harness_teardown (ha);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A request pad answers a caps query with the caps it will push first:
 * those of the keyframe it joins at, not a later change inside the GOP
 * (downstream set up for the current caps would get the old ones first) */
static gint
query_width (GstElement * e, const gchar * padname, const gchar * field)
{
  GstPad *pad = gst_element_get_static_pad (e, padname);
  GstCaps *caps;
  gint w = 0;

  fail_unless (pad != NULL, "no pad %s", padname);
  caps = gst_pad_query_caps (pad, NULL);
  fail_unless (caps != NULL && gst_caps_is_fixed (caps), "%s: %"
      GST_PTR_FORMAT, padname, caps);
  fail_unless (gst_structure_get_int (gst_caps_get_structure (caps, 0),
          field, &w));
  gst_caps_unref (caps);
  gst_object_unref (pad);
  return w;
}

GST_START_TEST (test_request_pad_caps_query)
{
  GstHarness *h = harness_new ();
  GstHarness *ha, *h2, *h3;
  GstCaps *caps_b = gst_caps_from_string ("video/x-vp8, width=(int)32, "
      "height=(int)32, framerate=(fraction)25/1");
  GstPad *pad, *apad;
  guint n;

  ha = gst_harness_new_with_element (h->element, "audio_sink", NULL);
  gst_harness_set_src_caps_str (ha, "audio/x-raw, format=S16LE, rate=8000, "
      "channels=1, layout=interleaved");
  /* a GOP with caps A (16x16) changing to B (32x32) after frame 2; audio
   * 8000 Hz changing to 16000 Hz in the middle too */
  for (n = 0; n < 5; n++) {
    if (n == 3) {
      fail_unless (gst_harness_push_event (h, gst_event_new_caps (caps_b)));
      gst_harness_set_src_caps_str (ha, "audio/x-raw, format=S16LE, "
          "rate=16000, channels=1, layout=interleaved");
    }
    gst_harness_push (h, make_buf (n, n == 0, 100));
    gst_harness_push (ha, make_audio (2 * n));
    gst_harness_push (ha, make_audio (2 * n + 1));
  }

  /* requested, not linked yet: what a join would send first */
  pad = gst_element_request_pad_simple (h->element, "src_%u");
  apad = gst_element_request_pad_simple (h->element, "audio_src_%u");
  fail_unless_equals_int (query_width (h->element, GST_PAD_NAME (pad),
          "width"), 16);
  fail_unless_equals_int (query_width (h->element, GST_PAD_NAME (apad),
          "rate"), 8000);
  /* once the branch pushed the new caps, that is what it answers */
  h2 = gst_harness_new_with_element (h->element, NULL, GST_PAD_NAME (pad));
  pull_offsets (h2, 0, 4);
  fail_unless_equals_int (query_width (h->element, GST_PAD_NAME (pad),
          "width"), 32);

  /* in the next GOP a joiner starts with B */
  push_frames (h, 100, 100, 100);
  h3 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  fail_unless_equals_int (pull_n (h3), 100);

  gst_harness_teardown (h3);
  gst_harness_teardown (h2);
  gst_element_release_request_pad (h->element, apad);
  gst_object_unref (apad);
  gst_object_unref (pad);
  gst_harness_teardown (ha);
  gst_harness_teardown (h);
  gst_caps_unref (caps_b);
}

GST_END_TEST;

GST_START_TEST (test_join_before_keyframe_waits)
{
  GstHarness *h = harness_new ();
  GstHarness *h2;

  /* nothing cached: the branch starts at the next keyframe */
  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  gst_harness_push (h, make_buf (0, FALSE, 100));
  gst_harness_push (h, make_buf (1, FALSE, 100));
  gst_harness_push (h, make_buf (2, TRUE, 100));
  gst_harness_push (h, make_buf (3, FALSE, 100));
  fail_unless_equals_int (pull_n (h2), 2);
  fail_unless_equals_int (pull_n (h2), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "joins-waiting"), 1);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_bounded_without_keyframes)
{
  GstHarness *h = harness_new ();
  GstStructure *s;
  guint64 overflows = 0, cached = 0, discarded = 0;
  guint n;

  g_object_set (h->element, "max-size-bytes", (guint64) 10000,
      "max-size-time", (guint64) 0, NULL);
  gst_harness_push (h, make_buf (0, TRUE, 1000));
  for (n = 1; n < 2000; n++)
    gst_harness_push (h, make_buf (n, FALSE, 100));
  s = get_stats (h->element);
  gst_structure_get_uint64 (s, "overflows", &overflows);
  gst_structure_get_uint64 (s, "cached-bytes", &cached);
  gst_structure_get_uint64 (s, "discarded-buffers", &discarded);
  gst_structure_free (s);
  fail_unless_equals_uint64 (overflows, 1);
  fail_unless_equals_uint64 (cached, 0);
  fail_unless_equals_uint64 (discarded, 2000);
  /* the passthrough is not affected */
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2000);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_gop_messages_and_stats)
{
  GstHarness *h = harness_new ();
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstStructure *s;
  const GstStructure *ms;
  guint64 v = 0;
  guint frames = 0;

  gst_element_set_bus (h->element, bus);
  g_object_set (h->element, "post-messages", TRUE, NULL);
  push_frames (h, 0, 10, 5);

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  ms = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (ms, "gopbuffer-gop"));
  fail_unless (gst_structure_get_uint (ms, "frames", &frames));
  fail_unless_equals_int (frames, 5);
  fail_unless (gst_structure_get_uint64 (ms, "duration", &v));
  fail_unless_equals_uint64 (v, 200 * MS);
  gst_message_unref (msg);
  /* the second GOP completed within 100 ms of the first: rate-limited */
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);

  s = get_stats (h->element);
  fail_unless (gst_structure_get_uint64 (s, "gops-seen", &v));
  fail_unless_equals_uint64 (v, 3);
  fail_unless (gst_structure_get_uint64 (s, "gop-duration-avg", &v));
  fail_unless_equals_uint64 (v, 200 * MS);
  fail_unless (gst_structure_get_uint (s, "gop-frames-max", &frames));
  fail_unless_equals_int (frames, 5);
  fail_unless (gst_structure_get_uint64 (s, "closed-gops", &v));
  fail_unless_equals_uint64 (v, 3);
  fail_unless (gst_structure_get_uint64 (s, "messages-suppressed", &v));
  fail_unless_equals_uint64 (v, 1);
  fail_unless (gst_structure_has_field (s, "pads"));
  gst_structure_free (s);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_audio_aligned_join)
{
  GstHarness *h = harness_new ();
  GstHarness *ha, *h2, *h2a;
  GstBuffer *b;
  guint n;

  ha = gst_harness_new_with_element (h->element, "audio_sink", NULL);
  gst_harness_set_src_caps_str (ha,
      "audio/x-raw, format=S16LE, rate=8000, channels=1, layout=interleaved");
  /* video every 40 ms (GOP of 5), audio every 20 ms */
  for (n = 0; n < 14; n++) {
    gst_harness_push (h, make_buf (n, n % 5 == 0, 100));
    for (guint k = 0; k < 2; k++) {
      GstBuffer *a = gst_buffer_new_allocate (NULL, 320, NULL);
      GST_BUFFER_PTS (a) = (n * 40 + k * 20) * MS;
      GST_BUFFER_DURATION (a) = 20 * MS;
      GST_BUFFER_OFFSET (a) = n * 2 + k;
      fail_unless_equals_int (gst_harness_push (ha, a), GST_FLOW_OK);
    }
  }
  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  h2a = gst_harness_new_with_element (h->element, NULL, "audio_src_%u");
  fail_unless_equals_int (pull_n (h2), 10);
  /* audio from the keyframe at 400 ms on */
  b = gst_harness_pull (h2a);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 400 * MS);
  gst_buffer_unref (b);
  fail_unless_equals_int (pull_n (h2a), 21);
  gst_harness_teardown (h2a);
  gst_harness_teardown (h2);
  gst_harness_teardown (ha);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* An access unit with one NAL of @nal_header (1 or 2 bytes) */
static GstBuffer *
make_nal_au (guint n, GstClockTime pts_ms, gboolean key, const guint8 * hdr,
    gsize hdr_len)
{
  guint8 data[16] = { 0, 0, 0, 1 };
  GstBuffer *b;

  memcpy (data + 4, hdr, hdr_len);
  memset (data + 4 + hdr_len, 0x88, sizeof (data) - 4 - hdr_len);
  b = gst_buffer_new_memdup (data, sizeof (data));
  GST_BUFFER_PTS (b) = pts_ms * MS;
  GST_BUFFER_DTS (b) = n * 40 * MS;
  GST_BUFFER_DURATION (b) = 40 * MS;
  GST_BUFFER_OFFSET (b) = n;
  if (!key)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
  return b;
}

GST_START_TEST (test_h265_cra_rasl_join)
{
  GstHarness *h = gst_harness_new_with_padnames ("gopbuffer", "sink", "src");
  GstHarness *h2;
  static const guint8 idr[] = { 19 << 1, 1 }, trail[] = { 1 << 1, 1 },
      cra[] = { 21 << 1, 1 }, rasl[] = { 8 << 1, 1 }, radl[] = { 7 << 1, 1 };

  gst_harness_set_src_caps_str (h, "video/x-h265, stream-format=byte-stream, "
      "alignment=au, width=16, height=16, framerate=25/1");
  gst_harness_push (h, make_nal_au (0, 0, TRUE, idr, 2));
  gst_harness_push (h, make_nal_au (1, 40, FALSE, trail, 2));
  /* CRA at 160 ms, then RASL and RADL pictures shown before it */
  gst_harness_push (h, make_nal_au (2, 160, TRUE, cra, 2));
  gst_harness_push (h, make_nal_au (3, 80, FALSE, rasl, 2));
  gst_harness_push (h, make_nal_au (4, 120, FALSE, radl, 2));
  gst_harness_push (h, make_nal_au (5, 200, FALSE, trail, 2));

  h2 = gst_harness_new_with_element (h->element, NULL, "src_%u");
  fail_unless_equals_int (pull_n (h2), 2);
  /* the RASL picture is not sent, the decodable RADL one is */
  fail_unless_equals_int (pull_n (h2), 4);
  fail_unless_equals_int (pull_n (h2), 5);
  gst_harness_push (h, make_nal_au (6, 240, FALSE, trail, 2));
  fail_unless_equals_int (pull_n (h2), 6);
  fail_unless_equals_uint64 (stat_u64 (h->element, "cra"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "idr"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "rasl"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "radl"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "open-gops"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "leading-pictures"), 1);
  /* the always pad started at the IDR and got everything */
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 7);
  gst_harness_teardown (h2);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_h264_open_gop_start)
{
  GstHarness *h = gst_harness_new_with_padnames ("gopbuffer", "sink", "src");
  static const guint8 islice[] = { 0x65 }, pslice[] = { 0x41 };

  gst_harness_set_src_caps_str (h, "video/x-h264, stream-format=byte-stream, "
      "alignment=au, width=16, height=16, framerate=25/1");
  /* the stream starts at a non-IDR keyframe (recovery point) at 120 ms,
   * followed in decode order by B-frames shown before it */
  gst_harness_push (h, make_nal_au (0, 120, TRUE, pslice, 1));
  gst_harness_push (h, make_nal_au (1, 40, FALSE, pslice, 1));
  gst_harness_push (h, make_nal_au (2, 80, FALSE, pslice, 1));
  gst_harness_push (h, make_nal_au (3, 240, FALSE, pslice, 1));
  gst_harness_push (h, make_nal_au (4, 160, FALSE, pslice, 1));
  /* the src pad starts clean: no leading picture */
  fail_unless_equals_int (pull_n (h), 0);
  fail_unless_equals_int (pull_n (h), 3);
  fail_unless_equals_int (pull_n (h), 4);
  fail_unless_equals_uint64 (stat_u64 (h->element, "src-dropped"), 2);
  fail_unless_equals_uint64 (stat_u64 (h->element, "open-gops"), 1);
  /* an IDR makes a closed GOP */
  gst_harness_push (h, make_nal_au (5, 400, TRUE, islice, 1));
  fail_unless_equals_uint64 (stat_u64 (h->element, "closed-gops"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "idr"), 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_bad_codec_data)
{
  GstHarness *h = gst_harness_new_with_padnames ("gopbuffer", "sink", "src");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  /* avc without codec_data: the NAL length size is unknown */
  gst_harness_set_src_caps_str (h, "video/x-h264, stream-format=avc, "
      "alignment=au, width=16, height=16, framerate=25/1");
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The request pad's queue is cleared at flush-start: the stream-start and
 * caps still queued there must not be lost, upstream does not send them
 * again after a flush. A blocking probe holds the pad's task on a custom
 * event, so the sticky events are queued behind it when the flush comes. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean blocked;
} Blocker;

static GstPadProbeReturn
block_on_custom (GstPad * pad, GstPadProbeInfo * info, Blocker * b)
{
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) !=
      GST_EVENT_CUSTOM_DOWNSTREAM)
    return GST_PAD_PROBE_PASS;
  g_mutex_lock (&b->lock);
  b->blocked = TRUE;
  g_cond_signal (&b->cond);
  g_mutex_unlock (&b->lock);
  return GST_PAD_PROBE_OK;      /* blocks until flushed */
}

static GstPadProbeReturn
check_sticky_before_buffer (GstPad * pad, GstPadProbeInfo * info,
    gint * n_buffers)
{
  static const GstEventType types[] = { GST_EVENT_STREAM_START,
    GST_EVENT_CAPS, GST_EVENT_SEGMENT
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    GstEvent *ev = gst_pad_get_sticky_event (pad, types[i], 0);

    fail_unless (ev != NULL, "%s:%s: buffer before %s", GST_DEBUG_PAD_NAME
        (pad), gst_event_type_get_name (types[i]));
    gst_event_unref (ev);
  }
  g_atomic_int_inc (n_buffers);
  return GST_PAD_PROBE_OK;
}

static void
run_flush_while_sticky_queued (gboolean audio)
{
  /* no caps set: the harness sends no sticky event of its own */
  GstHarness *h = gst_harness_new_with_padnames ("gopbuffer", "sink", "src");
  GstHarness *out;
  GstPad *asrc = NULL, *asink = NULL, *outpad, *in;
  GstSegment seg;
  Blocker b;
  gulong probe;
  gint64 end;
  gint n_buf = 0;
  GstBuffer *buf;
  GstCaps *caps;

  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  b.blocked = FALSE;
  gst_segment_init (&seg, GST_FORMAT_TIME);

  if (audio) {
    /* a plain pad as upstream: every event is sent by the test */
    asink = gst_element_request_pad_simple (h->element, "audio_sink");
    asrc = gst_pad_new ("asrc", GST_PAD_SRC);
    fail_unless_equals_int (gst_pad_link (asrc, asink), GST_PAD_LINK_OK);
    gst_pad_set_active (asrc, TRUE);
    in = asrc;
    out = gst_harness_new_with_element (h->element, NULL, "audio_src_%u");
  } else {
    in = h->srcpad;
    out = gst_harness_new_with_element (h->element, NULL, "src_%u");
  }
  outpad = gst_pad_get_peer (out->sinkpad);
  gst_pad_add_probe (out->sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) check_sticky_before_buffer, &n_buf, NULL);
  probe = gst_pad_add_probe (outpad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, (GstPadProbeCallback)
      block_on_custom, &b, NULL);

  /* the task takes the custom event alone and blocks pushing it */
  fail_unless (gst_pad_push_event (in,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM,
              gst_structure_new_empty ("hold"))));
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&b.lock);
  while (!b.blocked && g_cond_wait_until (&b.cond, &b.lock, end));
  fail_unless (b.blocked, "the request pad's task did not block");
  g_mutex_unlock (&b.lock);

  /* sticky events queued behind it, then a flush */
  fail_unless (gst_pad_push_event (in, gst_event_new_stream_start ("s")));
  caps = gst_caps_from_string (audio ? "audio/x-raw, format=S16LE, "
      "rate=8000, channels=1, layout=interleaved" : CAPS);
  fail_unless (gst_pad_push_event (in, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  fail_unless (gst_pad_push_event (in, gst_event_new_segment (&seg)));
  gst_pad_push_event (in, gst_event_new_flush_start ());
  gst_pad_remove_probe (outpad, probe);
  gst_pad_push_event (in, gst_event_new_flush_stop (TRUE));
  /* after a flush upstream sends a segment again, not stream-start or caps */
  fail_unless (gst_pad_push_event (in, gst_event_new_segment (&seg)));

  if (audio) {
    gst_harness_set_src_caps_str (h, CAPS);
    fail_unless_equals_int (gst_harness_push (h, make_buf (0, TRUE, 100)),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_pad_push (asrc, make_audio (0)), GST_FLOW_OK);
  } else {
    fail_unless_equals_int (gst_pad_push (in, make_buf (0, TRUE, 100)),
        GST_FLOW_OK);
  }
  buf = gst_harness_pull (out);
  fail_unless (buf != NULL);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), 0);
  gst_buffer_unref (buf);
  fail_unless_equals_int (g_atomic_int_get (&n_buf), 1);
  fail_unless (gst_pad_has_current_caps (out->sinkpad));

  gst_object_unref (outpad);
  gst_harness_teardown (out);
  if (audio) {
    gst_pad_set_active (asrc, FALSE);
    gst_object_unref (asrc);
    gst_element_release_request_pad (h->element, asink);
    gst_object_unref (asink);
  }
  gst_harness_teardown (h);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
}

GST_START_TEST (test_flush_keeps_sticky_audio)
{
  run_flush_while_sticky_queued (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_flush_keeps_sticky_video)
{
  run_flush_while_sticky_queued (FALSE);
}

GST_END_TEST;

/* Going down to READY deactivates the src pads first: a sticky event that
 * still comes in is refused with FLUSHING, not with an error */
GST_START_TEST (test_sticky_event_after_src_deactivated)
{
  GstHarness *h = harness_new ();
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GstSegment seg;

  push_frames (h, 0, 2, 5);
  fail_unless (gst_pad_set_active (srcpad, FALSE));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = GST_SECOND;
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  fail_unless_equals_int (gst_harness_push (h, make_buf (3, FALSE, 100)),
      GST_FLOW_FLUSHING);
  fail_unless (gst_pad_set_active (srcpad, TRUE));
  gst_object_unref (srcpad);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
count_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gint * n)
{
  g_atomic_int_inc (n);
}

GST_START_TEST (test_request_pad_survives_state_cycle)
{
  GstElement *p = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=16,height=16,framerate=100/1 ! gopbuffer name=g ! "
      "fakesink sync=false g.src_0 ! fakesink name=b sync=false "
      "signal-handoffs=true", NULL);
  GstElement *b = gst_bin_get_by_name (GST_BIN (p), "b");
  /* not on the stack: the sink may still call after a failed check */
  static gint n;
  gint round;

  running_pipeline = gst_object_ref (p);
  g_signal_connect (b, "handoff", G_CALLBACK (count_handoff), &n);
  for (round = 0; round < 2; round++) {
    gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    g_atomic_int_set (&n, 0);
    fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    while (g_atomic_int_get (&n) < 5 && g_get_monotonic_time () < end)
      g_usleep (2000);
    fail_unless (g_atomic_int_get (&n) >= 5, "round %d: %d buffers", round,
        g_atomic_int_get (&n));
    fail_unless (gst_element_set_state (p, GST_STATE_READY) ==
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_clear_object (&running_pipeline);
  gst_object_unref (b);
  gst_object_unref (p);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* real pipelines */

static gint libav_errors;

static void
count_libav_errors (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level <= GST_LEVEL_ERROR
      && g_str_equal (gst_debug_category_get_name (category), "libav"))
    g_atomic_int_inc (&libav_errors);
}

/* What a branch's fakesink decoded. Written by its streaming thread: on the
 * heap and freed with the handoff connection (when the sink goes), so that
 * a handoff after the test function left (a failed check under CK_FORK=no
 * jumps out with the pipeline still running) never touches a dead stack
 * frame. Read with branch_get(). */
typedef struct
{
  GMutex lock;
  gint64 first_us;
  GstClockTime first_pts;
  GstClockTime min_pts;
  guint frames;
  gint first_width, last_width; /* decoded */
  guint width_changes;
  gint caps_width[4];           /* caps events reaching the branch */
  guint n_caps;
} Branch;

static Branch *
branch_new (void)
{
  Branch *b = g_new0 (Branch, 1);

  g_mutex_init (&b->lock);
  b->first_pts = GST_CLOCK_TIME_NONE;
  b->min_pts = GST_CLOCK_TIME_NONE;
  return b;
}

static void
branch_free (gpointer data, GClosure * closure)
{
  Branch *b = data;

  g_mutex_clear (&b->lock);
  g_free (b);
}

/* a consistent copy of @b (without its lock) */
static Branch
branch_get (Branch * b)
{
  Branch copy;

  g_mutex_lock (&b->lock);
  copy.first_us = b->first_us;
  copy.first_pts = b->first_pts;
  copy.min_pts = b->min_pts;
  copy.frames = b->frames;
  copy.first_width = b->first_width;
  copy.last_width = b->last_width;
  copy.width_changes = b->width_changes;
  memcpy (copy.caps_width, b->caps_width, sizeof (b->caps_width));
  copy.n_caps = b->n_caps;
  g_mutex_unlock (&b->lock);
  return copy;
}

static GstPadProbeReturn
branch_caps_probe (GstPad * pad, GstPadProbeInfo * info, Branch * b)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gint width = 0;

    gst_event_parse_caps (ev, &caps);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &width);
    g_mutex_lock (&b->lock);
    if (b->n_caps < G_N_ELEMENTS (b->caps_width))
      b->caps_width[b->n_caps++] = width;
    g_mutex_unlock (&b->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, Branch * b)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gint width = 0;

  if (caps) {
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &width);
    gst_caps_unref (caps);
  }
  g_mutex_lock (&b->lock);
  if (b->frames == 0) {
    b->first_us = g_get_monotonic_time ();
    b->first_pts = GST_BUFFER_PTS (buf);
    b->first_width = width;
  } else if (width != b->last_width) {
    b->width_changes++;
  }
  b->last_width = width;
  if (GST_BUFFER_PTS (buf) < b->min_pts)
    b->min_pts = GST_BUFFER_PTS (buf);
  b->frames++;
  g_mutex_unlock (&b->lock);
}

typedef struct
{
  const gchar *name;
  const gchar *encoder;         /* encoder ! parser */
  const gchar *decoder;
  gboolean open_gop;
  /* gst-libav 1.22's avdec_h264 logs errors when it starts at an x264
   * open-GOP recovery point whatever feeds it (frame_num gap concealment
   * frames it cannot allocate): not counted for that case */
  gboolean count_libav_errors;
} Codec;

static const Codec h264_closed = { "H.264", "x264enc key-int-max=60 "
      "tune=zerolatency speed-preset=ultrafast ! h264parse", "avdec_h264",
  FALSE, TRUE
};

static const Codec h264_open = { "H.264 open GOP", "x264enc key-int-max=60 "
      "speed-preset=ultrafast option-string=\"open-gop=1:bframes=2\" ! "
      "h264parse", "avdec_h264", TRUE, FALSE
};

static const Codec h265_open = { "H.265 open GOP", "x265enc key-int-max=60 "
      "speed-preset=ultrafast option-string=\"open-gop=1:bframes=2:"
      "scenecut=0\" ! h265parse config-interval=-1", "avdec_h265", TRUE,
  TRUE
};

static GstElement *
make_pipeline (const Codec * codec)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,format=I420,width=160,height=96,framerate=60/1 ! %s ! "
      "gopbuffer name=g ! fakesink name=main sync=false", codec->encoder);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL, "%s", err ? err->message : "");
  g_free (desc);
  return p;
}

static guint
bus_problems (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;
  guint n = 0;

  while ((m = gst_bus_pop_filtered (bus,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GError *e = NULL;
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
      gst_message_parse_error (m, &e, NULL);
    else
      gst_message_parse_warning (m, &e, NULL);
    GST_WARNING ("bus: %s from %s", e->message, GST_MESSAGE_SRC_NAME (m));
    g_error_free (e);
    gst_message_unref (m);
    n++;
  }
  gst_object_unref (bus);
  return n;
}

/* wait until the element saw @frames video buffers (bounded) */
static void
wait_video_in (GstElement * g, guint64 frames)
{
  gint64 end = g_get_monotonic_time () +
      10 * G_USEC_PER_SEC * ls_time_scale ();

  while (stat_u64 (g, "video-in") < frames) {
    fail_unless (g_get_monotonic_time () < end, "no data");
    g_usleep (2000);
  }
}

/* Add queue ! avdec_h264 ! fakesink on a new request pad; returns the time
 * of linking. @sync_first: bring the branch to PLAYING before linking.
 * @b belongs to the branch's sink from now on. */
static gint64
add_branch (GstElement * pipeline, GstElement * g, const gchar * decoder,
    Branch * b, gboolean sync_first, GstElement ** bin_out)
{
  gchar *desc = g_strdup_printf ("queue name=bqueue ! %s ! fakesink "
      "name=bsink sync=false signal-handoffs=true", decoder);
  GstElement *bin = gst_parse_bin_from_description (desc, TRUE, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "bsink");
  GstPad *src = gst_element_request_pad_simple (g, "src_%u");
  GstPad *sinkpad = gst_element_get_static_pad (bin, "sink");
  gint64 t;

  g_free (desc);
  g_signal_connect_data (sink, "handoff", G_CALLBACK (on_handoff), b,
      branch_free, 0);
  /* on the pad of the sink's element, gone together with @b */
  {
    GstElement *q = gst_bin_get_by_name (GST_BIN (bin), "bqueue");
    GstPad *qsink = gst_element_get_static_pad (q, "sink");

    gst_pad_add_probe (qsink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        (GstPadProbeCallback) branch_caps_probe, b, NULL);
    gst_object_unref (qsink);
    gst_object_unref (q);
  }
  gst_object_unref (sink);
  gst_bin_add (GST_BIN (pipeline), bin);
  if (sync_first)
    gst_element_sync_state_with_parent (bin);
  t = g_get_monotonic_time ();
  fail_unless_equals_int (gst_pad_link (src, sinkpad), GST_PAD_LINK_OK);
  if (!sync_first)
    gst_element_sync_state_with_parent (bin);
  gst_object_unref (sinkpad);
  gst_object_unref (src);
  *bin_out = bin;
  return t;
}

/* wait until @b decoded @n frames (bounded); returns what it saw */
static Branch
wait_frames (Branch * b, guint n, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us * ls_time_scale ();
  Branch now;

  for (;;) {
    now = branch_get (b);
    if (now.frames >= n || g_get_monotonic_time () > end)
      return now;
    g_usleep (1000);
  }
}

static GstClockTime
last_keyframe_pts (GstElement * g)
{
  GstSample *s = NULL;
  GstClockTime pts;

  g_object_get (g, "last-keyframe", &s, NULL);
  fail_unless (s != NULL);
  pts = GST_BUFFER_PTS (gst_sample_get_buffer (s));
  gst_sample_unref (s);
  return pts;
}

static void
run_join (const Codec * codec, gint join_mode, gboolean sync_first)
{
  GstElement *pipeline = make_pipeline (codec);
  GstElement *g = gst_bin_get_by_name (GST_BIN (pipeline), "g");
  GstElement *bin;
  GstClockTime kf_pts, kf_after;
  Branch *branch = branch_new (), b;
  gint64 t_link, latency_us;

  running_pipeline = gst_object_ref (pipeline);
  libav_errors = 0;
  g_object_set (g, "join-mode", join_mode, NULL);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* 60 fps, keyframe every 60: join 1/3 into the second GOP, whose
   * keyframe is an open-GOP RAP for the open-GOP encoders */
  wait_video_in (g, 80);
  kf_pts = last_keyframe_pts (g);
  t_link = add_branch (pipeline, g, codec->decoder, branch, sync_first, &bin);
  /* a slow machine (valgrind) can see the next keyframe before the link */
  kf_after = last_keyframe_pts (g);
  b = wait_frames (branch, 1, 5 * G_USEC_PER_SEC);
  latency_us = b.first_us - t_link;
  g_print ("gopbuffer %s, join-mode %s: first decoded frame %.2f ms after "
      "linking, %d libav errors\n", codec->name,
      join_mode ? "latest-keyframe" : "catch-up", latency_us / 1000.0,
      g_atomic_int_get (&libav_errors));
  fail_unless (b.frames >= 1, "nothing decoded");
  /* at once: well below the 333 ms to the next keyframe */
  fail_unless (latency_us < 150 * 1000 * ls_time_scale (), "first frame after %"
      G_GINT64_FORMAT " us", latency_us);

  /* keep decoding live for a while */
  b = wait_frames (branch, b.frames + 40, 3 * G_USEC_PER_SEC);
  fail_unless (b.frames >= 40);

  if (join_mode == 0) {
    /* catch-up: from the cached keyframe (a decoder with B-frames may not
     * show the very first frames of an open GOP), never anything from
     * before it: the leading pictures were not sent */
    if (kf_after != kf_pts)
      fail_unless (b.first_pts >= kf_pts && b.first_pts < kf_after + 100 * MS);
    else if (codec->open_gop)
      fail_unless (b.first_pts >= kf_pts && b.first_pts < kf_pts + 100 * MS);
    else
      fail_unless_equals_uint64 (b.first_pts, kf_pts);
    fail_unless (b.min_pts >= kf_pts);
  } else {
    /* latest-keyframe: shown at the live edge, later than the keyframe */
    fail_unless (b.first_pts > kf_pts);
    fail_unless_equals_uint64 (b.min_pts, b.first_pts);
  }

  if (codec->open_gop) {
    fail_unless (stat_u64 (g, "open-gops") >= 1);
    fail_unless (stat_u64 (g, "leading-pictures") >= 1);
  } else {
    fail_unless_equals_uint64 (stat_u64 (g, "open-gops"), 0);
  }
  fail_unless_equals_int (bus_problems (pipeline), 0);
  if (codec->count_libav_errors)
    fail_unless_equals_int (g_atomic_int_get (&libav_errors), 0);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&running_pipeline);
  gst_object_unref (g);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_pipeline_join_catch_up)
{
  run_join (&h264_closed, 0, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_join_latest_keyframe)
{
  /* linked before the branch is PLAYING: gopbuffer retries */
  run_join (&h264_closed, 1, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_join_open_gop_h264)
{
  /* x264 open GOPs: non-IDR I frames with recovery point SEI, followed in
   * decode order by B-frames shown before them that reference the
   * previous GOP */
  run_join (&h264_open, 0, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_join_open_gop_h265)
{
  /* x265 open GOPs: CRA pictures followed by RASL pictures */
  run_join (&h265_open, 0, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_join_open_gop_h265_latest)
{
  run_join (&h265_open, 1, FALSE);
}

GST_END_TEST;

static guint64
pad_stat (GstElement * g, const gchar * pad, const gchar * field)
{
  GstStructure *s = get_stats (g);
  const GValue *pads = gst_structure_get_value (s, "pads");
  guint i;
  guint64 v = G_MAXUINT64;

  for (i = 0; i < gst_value_array_get_size (pads); i++) {
    const GstStructure *ps =
        gst_value_get_structure (gst_value_array_get_value (pads, i));
    if (g_str_equal (gst_structure_get_string (ps, "name"), pad))
      gst_structure_get_uint64 (ps, field, &v);
  }
  gst_structure_free (s);
  fail_unless (v != G_MAXUINT64);
  return v;
}

GST_START_TEST (test_pipeline_join_across_resolution_change)
{
  /* the encoder changes resolution while PLAYING (new avcC in the caps
   * before the new IDR) and a branch joins later with the GOPs from before
   * the change still cached: it must get the old caps first and the new
   * ones at the change, and decode everything without errors */
  GstElement *pipeline = gst_parse_launch ("videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,format=I420,width=320,height=192,"
      "framerate=60/1 ! videoscale ! capsfilter name=cf "
      "caps=video/x-raw,width=160,height=96 ! x264enc key-int-max=30 "
      "tune=zerolatency speed-preset=ultrafast ! h264parse ! "
      "video/x-h264,stream-format=avc,alignment=au ! "
      "gopbuffer name=g max-gops=4 ! fakesink sync=false", NULL);
  GstElement *g = gst_bin_get_by_name (GST_BIN (pipeline), "g");
  GstElement *cf = gst_bin_get_by_name (GST_BIN (pipeline), "cf");
  GstElement *bin;
  GstCaps *caps;
  Branch *branch = branch_new (), b;

  running_pipeline = gst_object_ref (pipeline);
  libav_errors = 0;
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  wait_video_in (g, 40);
  caps = gst_caps_from_string ("video/x-raw,width=320,height=192");
  g_object_set (cf, "caps", caps, NULL);
  gst_caps_unref (caps);
  wait_video_in (g, 80);
  /* the new caps are stored at their place inside the cache */
  fail_unless (stat_uint (g, "cached-events") >= 1);
  fail_unless (stat_uint (g, "cached-gops") >= 2);

  add_branch (pipeline, g, "avdec_h264", branch, TRUE, &bin);
  b = wait_frames (branch, 60, 5 * G_USEC_PER_SEC);
  g_print ("resolution change: joiner decoded %u frames, %d wide first, "
      "%d wide last, %u changes, %u caps events, %d libav errors\n",
      b.frames, b.first_width, b.last_width, b.width_changes, b.n_caps,
      g_atomic_int_get (&libav_errors));
  fail_unless (b.frames >= 60);
  /* the caps of the first cached keyframe first, the new ones at the
   * change (the old code sent only the current, new, caps) */
  fail_unless (b.n_caps >= 2);
  fail_unless_equals_int (b.caps_width[0], 160);
  fail_unless_equals_int (b.caps_width[b.n_caps - 1], 320);
  fail_unless_equals_int (b.first_width, 160);
  fail_unless_equals_int (b.last_width, 320);
  fail_unless_equals_int (b.width_changes, 1);
  fail_unless_equals_int (g_atomic_int_get (&libav_errors), 0);
  fail_unless_equals_int (bus_problems (pipeline), 0);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&running_pipeline);
  gst_object_unref (cf);
  gst_object_unref (g);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_slow_branch_drops_gops)
{
  /* two branches: src_0 keeps up, src_1 takes 50 ms per 16 ms frame; with
   * max-lag 300 ms src_1 drops whole GOPs, src_0 loses nothing */
  GstElement *pipeline = gst_parse_launch ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=96,framerate=60/1 ! "
      "x264enc key-int-max=30 tune=zerolatency speed-preset=ultrafast ! "
      "h264parse ! gopbuffer name=g max-lag=300000000 ! fakesink sync=false "
      "g.src_0 ! fakesink name=fast sync=false "
      "g.src_1 ! identity sleep-time=50000 ! fakesink name=slow sync=false",
      NULL);
  GstElement *g = gst_bin_get_by_name (GST_BIN (pipeline), "g");
  guint64 in, fast_pushed, fast_dropped, slow_dropped, slow_gops;
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;
  guint lag_messages = 0;

  running_pipeline = gst_object_ref (pipeline);
  g_object_set (g, "post-messages", TRUE, NULL);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  wait_video_in (g, 150);
  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  in = stat_u64 (g, "video-in");
  fast_pushed = pad_stat (g, "src_0", "pushed");
  fast_dropped = pad_stat (g, "src_0", "dropped-buffers");
  slow_dropped = pad_stat (g, "src_1", "dropped-buffers");
  slow_gops = pad_stat (g, "src_1", "dropped-gops");
  g_print ("slow branch: %" G_GUINT64_FORMAT " in, fast pushed %"
      G_GUINT64_FORMAT ", slow dropped %" G_GUINT64_FORMAT " buffers in %"
      G_GUINT64_FORMAT " GOPs\n", in, fast_pushed, slow_dropped, slow_gops);
  /* under memcheck every thread crawls and the fast branch lags too: there
   * only the slow branch's dropping is checked */
  if (ls_time_scale () == 1) {
    fail_unless_equals_uint64 (fast_dropped, 0);
    fail_unless (fast_pushed + 5 >= in);
  }
  fail_unless (slow_gops >= 1);
  fail_unless (slow_dropped >= 30);
  fail_unless (pad_stat (g, "src_1", "max-lag-seen") <= 400 * MS);
  fail_unless (stat_u64 (g, "dropped-gops") >= slow_gops);
  /* the application was told, rate-limited, about the slow pad only */
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *st = gst_message_get_structure (m);
    if (gst_structure_has_name (st, "gopbuffer-lag")) {
      if (ls_time_scale () == 1)
        fail_unless_equals_string (gst_structure_get_string (st, "pad"),
            "src_1");
      lag_messages++;
    }
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  fail_unless (lag_messages >= 1 && lag_messages <= 4);
  fail_unless_equals_int (bus_problems (pipeline), 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&running_pipeline);
  gst_object_unref (g);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
gopbuffer_suite (void)
{
  Suite *s = suite_create ("gopbuffer");
  TCase *tc = tcase_create ("harness");
  TCase *tp = tcase_create ("pipeline");
  GstElementFactory *f;
  gboolean have_codecs;

  gst_debug_set_active (TRUE);
  if (!g_getenv ("GST_DEBUG") || !strstr (g_getenv ("GST_DEBUG"), "libav"))
    gst_debug_set_threshold_for_name ("libav", GST_LEVEL_ERROR);
  gst_debug_add_log_function (count_libav_errors, NULL, NULL);

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, NULL, pipeline_teardown);
  tcase_add_test (tc, test_start_on_keyframe);
  tcase_add_test (tc, test_start_on_keyframe_off);
  tcase_add_test (tc, test_join_catch_up);
  tcase_add_test (tc, test_join_catch_up_max_gops);
  tcase_add_test (tc, test_join_latest_keyframe);
  tcase_add_test (tc, test_join_replays_caps_change);
  tcase_add_test (tc, test_join_replays_audio_caps_change);
  tcase_add_test (tc, test_audio_joins_right_after_keyframe);
  tcase_add_test (tc, test_request_pad_caps_query);
  tcase_add_test (tc, test_join_before_keyframe_waits);
  tcase_add_test (tc, test_bounded_without_keyframes);
  tcase_add_test (tc, test_gop_messages_and_stats);
  tcase_add_test (tc, test_audio_aligned_join);
  tcase_add_test (tc, test_h265_cra_rasl_join);
  tcase_add_test (tc, test_h264_open_gop_start);
  tcase_add_test (tc, test_bad_codec_data);
  tcase_add_test (tc, test_request_pad_survives_state_cycle);
  tcase_add_test (tc, test_flush_keeps_sticky_audio);
  tcase_add_test (tc, test_flush_keeps_sticky_video);
  tcase_add_test (tc, test_sticky_event_after_src_deactivated);

  f = gst_element_factory_find ("x264enc");
  have_codecs = f != NULL;
  if (f)
    gst_object_unref (f);
  f = gst_element_factory_find ("avdec_h264");
  have_codecs = have_codecs && f != NULL;
  if (f)
    gst_object_unref (f);
  f = gst_element_factory_find ("x265enc");
  have_codecs = have_codecs && f != NULL;
  if (f)
    gst_object_unref (f);
  if (!have_codecs)
    g_error ("x264enc, x265enc and avdec_h264 are needed "
        "(scripts/install-deps.sh)");

  suite_add_tcase (s, tp);
  tcase_add_checked_fixture (tp, NULL, pipeline_teardown);
  tcase_set_timeout (tp, 60);
  tcase_add_test (tp, test_pipeline_join_catch_up);
  tcase_add_test (tp, test_pipeline_join_latest_keyframe);
  tcase_add_test (tp, test_pipeline_join_open_gop_h264);
  tcase_add_test (tp, test_pipeline_join_open_gop_h265);
  tcase_add_test (tp, test_pipeline_join_open_gop_h265_latest);
  tcase_add_test (tp, test_pipeline_join_across_resolution_change);
  tcase_add_test (tp, test_pipeline_slow_branch_drops_gops);
  return s;
}

GST_CHECK_MAIN (gopbuffer);
