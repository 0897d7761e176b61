/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Harness tests of prioqueue: classification, shedding, flushing, state
 * changes while blocked, EOS, signals, messages, request pads. Downstream
 * is held with a blocking probe on prioqueue's src pad, so what is queued
 * is deterministic. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

#include "gstchunkmeta.h"

#define MS (GST_MSECOND)
#define FRAME (33 * GST_MSECOND)

#define VIDEO_CAPS "video/x-raw,format=I420,width=16,height=16,framerate=30/1"
#define AUDIO_CAPS "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"
#define H264_CAPS "video/x-h264,stream-format=byte-stream,alignment=au"
#define H265_CAPS "video/x-h265,stream-format=byte-stream,alignment=au"

/* ------------------------------------------------------------------ */
/* helpers */

static GstBuffer *
make_buffer (guint i, GstBufferFlags flags, gsize size)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buf, 0, 0x55, size);
  GST_BUFFER_PTS (buf) = i * FRAME;
  GST_BUFFER_DTS (buf) = i * FRAME;
  GST_BUFFER_DURATION (buf) = FRAME;
  GST_BUFFER_FLAG_SET (buf, flags);
  return buf;
}

#define KEY 0
#define DELTA GST_BUFFER_FLAG_DELTA_UNIT
#define DROPPABLE (GST_BUFFER_FLAG_DELTA_UNIT | GST_BUFFER_FLAG_DROPPABLE)

static guint64
stat_u64 (GstElement * e, const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;
  guint u;

  g_object_get (e, "stats", &s, NULL);
  fail_unless (s != NULL);
  if (!gst_structure_get_uint64 (s, field, &v)) {
    fail_unless (gst_structure_get_uint (s, field, &u), "no field %s", field);
    v = u;
  }
  gst_structure_free (s);
  return v;
}

/* downstream that does not take anything until released */
typedef struct
{
  GMutex lock;
  GCond cond;
  gulong id;
  gboolean blocked;
  GstPad *pad;
} Hold;

static GstPadProbeReturn
hold_cb (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Hold *hold = user_data;

  g_mutex_lock (&hold->lock);
  hold->blocked = TRUE;
  g_cond_broadcast (&hold->cond);
  g_mutex_unlock (&hold->lock);
  return GST_PAD_PROBE_OK;
}

static void
hold_start (Hold * hold, GstElement * element, const gchar * padname)
{
  g_mutex_init (&hold->lock);
  g_cond_init (&hold->cond);
  hold->blocked = FALSE;
  hold->pad = gst_element_get_static_pad (element, padname);
  hold->id = gst_pad_add_probe (hold->pad,
      GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER, hold_cb, hold,
      NULL);
}

/* wait until the src task is stuck with a buffer in the probe */
static void
hold_wait_blocked (Hold * hold)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&hold->lock);
  while (!hold->blocked)
    fail_unless (g_cond_wait_until (&hold->cond, &hold->lock, end),
        "src task never blocked");
  g_mutex_unlock (&hold->lock);
}

static void
hold_release (Hold * hold)
{
  if (hold->id) {
    gst_pad_remove_probe (hold->pad, hold->id);
    hold->id = 0;
  }
  gst_object_unref (hold->pad);
  g_mutex_clear (&hold->lock);
  g_cond_clear (&hold->cond);
}

/* wait until the queue holds @n buffers (the src task runs on its own) */
static void
wait_level (GstElement * e, guint n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  guint level;

  do {
    g_object_get (e, "current-level-buffers", &level, NULL);
    if (level == n)
      return;
    g_usleep (1000);
  } while (g_get_monotonic_time () < end);
  fail ("level stayed at %u, expected %u", level, n);
}

static GstHarness *
new_harness (const gchar * caps, const gchar * props)
{
  GstHarness *h;
  GstElement *e = gst_element_factory_make ("prioqueue", NULL);
  gchar **kv, **p;

  fail_unless (e != NULL);
  kv = g_strsplit (props ? props : "", " ", -1);
  for (p = kv; *p; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (e), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

/* pull @n buffers and return their PTS indices */
static GArray *
pull_indices (GstHarness * h, guint n)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i;

  for (i = 0; i < n; i++) {
    GstBuffer *b = gst_harness_pull (h);
    guint idx;

    fail_unless (b != NULL);
    idx = (guint) (GST_BUFFER_PTS (b) / FRAME);
    g_array_append_val (a, idx);
    gst_buffer_unref (b);
  }
  return a;
}

/* ------------------------------------------------------------------ */

GST_START_TEST (test_passthrough_in_order)
{
  GstHarness *h = new_harness (VIDEO_CAPS, NULL);
  GArray *out;
  guint i;

  for (i = 0; i < 20; i++)
    fail_unless_equals_int (gst_harness_push (h,
            make_buffer (i, i % 5 ? DELTA : KEY, 100)), GST_FLOW_OK);
  out = pull_indices (h, 20);
  for (i = 0; i < 20; i++)
    fail_unless_equals_int (g_array_index (out, guint, i), i);
  g_array_free (out, TRUE);

  fail_unless_equals_uint64 (stat_u64 (h->element, "in-high"), 4);
  fail_unless_equals_uint64 (stat_u64 (h->element, "in-normal"), 16);
  fail_unless_equals_uint64 (stat_u64 (h->element, "out-high"), 4);
  fail_unless_equals_uint64 (stat_u64 (h->element, "out-normal"), 16);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-normal"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* one buffer at a time: which counter went up */
static const gchar *
classify_one (GstHarness * h, GstBuffer * buf)
{
  static const gchar *names[] = { "in-high", "in-normal", "in-low" };
  guint64 before[3];
  guint i;
  const gchar *res = NULL;

  for (i = 0; i < 3; i++)
    before[i] = stat_u64 (h->element, names[i]);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  for (i = 0; i < 3; i++) {
    if (stat_u64 (h->element, names[i]) == before[i] + 1) {
      fail_unless (res == NULL);
      res = names[i] + 3;
    }
  }
  fail_unless (res != NULL);
  gst_buffer_unref (gst_harness_pull (h));
  return res;
}

GST_START_TEST (test_classify_flags_and_caps)
{
  GstHarness *h = new_harness (VIDEO_CAPS, NULL);
  GstBuffer *b;

  fail_unless_equals_string (classify_one (h, make_buffer (0, KEY, 10)),
      "high");
  fail_unless_equals_string (classify_one (h, make_buffer (1, DELTA, 10)),
      "normal");
  fail_unless_equals_string (classify_one (h, make_buffer (2, DROPPABLE,
              10)), "low");
  fail_unless_equals_string (classify_one (h, make_buffer (3,
              GST_BUFFER_FLAG_HEADER | DELTA, 10)), "high");

  /* the chunk meta wins over the flags */
  b = make_buffer (4, KEY, 10);
  gst_buffer_add_chunk_meta (b, 0, 4, GST_CHUNK_TYPE_THUMBNAIL,
      GST_CHUNK_PRIORITY_LOW);
  fail_unless_equals_string (classify_one (h, b), "low");
  b = make_buffer (5, DELTA, 10);
  gst_buffer_add_chunk_meta (b, 0, 5, GST_CHUNK_TYPE_METADATA,
      GST_CHUNK_PRIORITY_HIGH);
  fail_unless_equals_string (classify_one (h, b), "high");

  /* audio: everything is HIGH, delta flag or not */
  gst_harness_set_src_caps_str (h, AUDIO_CAPS);
  fail_unless_equals_string (classify_one (h, make_buffer (6, DROPPABLE,
              10)), "high");
  fail_unless_equals_string (classify_one (h, make_buffer (7, DELTA, 10)),
      "high");
  gst_harness_teardown (h);
}

GST_END_TEST;

/* H.264 byte-stream access unit: AUD + one slice NAL unit */
static GstBuffer *
h264_au (guint i, guint nal_type, guint ref_idc, GstBufferFlags flags,
    gboolean avc)
{
  guint8 data[32];
  guint n = 0, j;
  GstBuffer *buf;
  const guint8 aud[] = { 0x09, 0xf0 };
  guint8 slice[12] = { (guint8) ((ref_idc << 5) | nal_type), 0x88, 0x84,
    0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x0f, 0x80
  };

  if (avc) {
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = sizeof (aud);
  } else {
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = 1;
  }
  for (j = 0; j < sizeof (aud); j++)
    data[n++] = aud[j];
  if (avc) {
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = sizeof (slice);
  } else {
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = 0;
    data[n++] = 1;
  }
  for (j = 0; j < sizeof (slice); j++)
    data[n++] = slice[j];

  buf = gst_buffer_new_memdup (data, n);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = i * FRAME;
  GST_BUFFER_DURATION (buf) = FRAME;
  GST_BUFFER_FLAG_SET (buf, flags);
  return buf;
}

GST_START_TEST (test_classify_h264_nal)
{
  GstHarness *h = new_harness (H264_CAPS, NULL);
  GstBuffer *b;
  const guint8 sps_only[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xd9 };
  GstCaps *caps;
  GstBuffer *codec_data;
  const guint8 avcc[] = { 0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe0, 0x00 };

  /* no flags at all: the NAL headers decide */
  fail_unless_equals_string (classify_one (h, h264_au (0, 5, 3, 0, FALSE)),
      "high");
  fail_unless_equals_string (classify_one (h, h264_au (1, 1, 2, 0, FALSE)),
      "normal");
  fail_unless_equals_string (classify_one (h, h264_au (2, 1, 0, 0, FALSE)),
      "low");
  /* parameter sets only */
  b = gst_buffer_new_memdup (sps_only, sizeof (sps_only));
  fail_unless_equals_string (classify_one (h, b), "high");

  /* flags present: DELTA_UNIT is too coarse, nal_ref_idc refines it */
  fail_unless_equals_string (classify_one (h, h264_au (3, 1, 2, DELTA,
              FALSE)), "normal");
  fail_unless_equals_string (classify_one (h, h264_au (4, 1, 0, DELTA,
              FALSE)), "low");
  /* a flagged keyframe (e.g. a recovery point I picture) stays HIGH */
  fail_unless_equals_string (classify_one (h, h264_au (5, 1, 3, 0, FALSE)),
      "high");
  /* DROPPABLE on a reference picture: the flag wins */
  fail_unless_equals_string (classify_one (h, h264_au (6, 1, 2, DROPPABLE,
              FALSE)), "low");

  /* avc: length-prefixed, length size from codec_data */
  codec_data = gst_buffer_new_memdup (avcc, sizeof (avcc));
  caps = gst_caps_new_simple ("video/x-h264", "stream-format", G_TYPE_STRING,
      "avc", "alignment", G_TYPE_STRING, "au", "codec_data", GST_TYPE_BUFFER,
      codec_data, NULL);
  gst_buffer_unref (codec_data);
  gst_harness_set_src_caps (h, caps);
  fail_unless_equals_string (classify_one (h, h264_au (7, 1, 0, DELTA,
              TRUE)), "low");
  fail_unless_equals_string (classify_one (h, h264_au (8, 1, 1, DELTA,
              TRUE)), "normal");
  gst_harness_teardown (h);
}

GST_END_TEST;

static GstBuffer *
h265_au (guint i, guint nal_type, guint tid, GstBufferFlags flags)
{
  guint8 data[] = { 0, 0, 0, 1, 0x46, 0x01, 0x50,       /* AUD */
    0, 0, 0, 1, (guint8) (nal_type << 1), (guint8) (tid + 1), 0xaf, 0x12,
    0x34, 0x56, 0x78, 0x9a, 0x80
  };
  GstBuffer *buf = gst_buffer_new_memdup (data, sizeof (data));

  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = i * FRAME;
  GST_BUFFER_DURATION (buf) = FRAME;
  GST_BUFFER_FLAG_SET (buf, flags);
  return buf;
}

GST_START_TEST (test_classify_h265_nal)
{
  GstHarness *h = new_harness (H265_CAPS, NULL);

  /* IDR_W_RADL, CRA: HIGH */
  fail_unless_equals_string (classify_one (h, h265_au (0, 19, 0, 0)), "high");
  fail_unless_equals_string (classify_one (h, h265_au (1, 21, 0, 0)), "high");
  /* TRAIL_R: NORMAL, TRAIL_N / RASL_N: LOW, RASL_R: NORMAL */
  fail_unless_equals_string (classify_one (h, h265_au (2, 1, 0, DELTA)),
      "normal");
  fail_unless_equals_string (classify_one (h, h265_au (3, 0, 0, DELTA)), "low");
  fail_unless_equals_string (classify_one (h, h265_au (4, 8, 0, DELTA)), "low");
  fail_unless_equals_string (classify_one (h, h265_au (5, 9, 0, DELTA)),
      "normal");
  gst_harness_teardown (h);
}

GST_END_TEST;

/* garbage with codec caps: classification falls back to the flags, nothing
 * crashes, every buffer is accounted for */
GST_START_TEST (test_classify_garbage)
{
  const gchar *caps[] = {
    H264_CAPS, H265_CAPS,
    "video/x-h264,stream-format=avc,alignment=au",
    "video/x-h265,stream-format=hvc1,alignment=au",
  };
  GRand *rand = g_rand_new_with_seed (42);
  guint c, i;

  for (c = 0; c < G_N_ELEMENTS (caps); c++) {
    GstHarness *h = new_harness (caps[c],
        "max-size-buffers=8 max-size-bytes=0 max-size-time=0");
    guint64 in = 0, out = 0, dropped = 0;
    GstBuffer *b;

    for (i = 0; i < 500; i++) {
      gsize size = g_rand_int_range (rand, 0, 64);
      guint8 *data = g_malloc (size + 1);
      gsize j;

      for (j = 0; j < size; j++) {
        /* plenty of start codes and zeros */
        guint32 r = g_rand_int (rand);
        data[j] = (r % 4 == 0) ? 0 : (r % 7 == 0) ? 1 : (guint8) (r >> 8);
      }
      b = gst_buffer_new_wrapped (data, size);
      GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * FRAME;
      GST_BUFFER_DURATION (b) = FRAME;
      if (g_rand_boolean (rand))
        GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
      fail_unless_equals_int (gst_harness_push (h, b), GST_FLOW_OK);
    }
    gst_harness_push_event (h, gst_event_new_eos ());
    while ((b = gst_harness_pull (h))) {
      gst_buffer_unref (b);
      if (++out + stat_u64 (h->element, "dropped-high") +
          stat_u64 (h->element, "dropped-normal") +
          stat_u64 (h->element, "dropped-low") == 500)
        break;
    }
    in = stat_u64 (h->element, "in-high") + stat_u64 (h->element,
        "in-normal") + stat_u64 (h->element, "in-low");
    dropped = stat_u64 (h->element, "dropped-high") +
        stat_u64 (h->element, "dropped-normal") +
        stat_u64 (h->element, "dropped-low");
    fail_unless_equals_uint64 (in, 500);
    fail_unless_equals_uint64 (out + dropped, 500);
    gst_harness_teardown (h);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* downstream stalls: LOW goes first, oldest first, then NORMAL with
 * everything depending on it; the keyframe stays */
GST_START_TEST (test_shed_order)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=4 max-size-bytes=0 max-size-time=0");
  Hold hold;
  GArray *out;
  guint i;

  hold_start (&hold, h->element, "src");
  /* 0 is taken by the stalled downstream */
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);

  gst_harness_push (h, make_buffer (1, KEY, 10));
  gst_harness_push (h, make_buffer (2, DELTA, 10));
  gst_harness_push (h, make_buffer (3, DROPPABLE, 10));
  gst_harness_push (h, make_buffer (4, DROPPABLE, 10));
  wait_level (h->element, 4);
  gst_harness_push (h, make_buffer (5, DELTA, 10));     /* 3 goes */
  gst_harness_push (h, make_buffer (6, DELTA, 10));     /* 4 goes */
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-low"), 2);
  /* no LOW left: the oldest NORMAL (2) goes, and 5, 6, 7 that depend on
   * it */
  gst_harness_push (h, make_buffer (7, DELTA, 10));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-normal"), 4);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-keyframe-wait"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "keyframe-waits"), 1);
  /* waiting for a keyframe: deltas are refused at the door */
  gst_harness_push (h, make_buffer (8, DROPPABLE, 10));
  gst_harness_push (h, make_buffer (9, KEY, 10));
  gst_harness_push (h, make_buffer (10, DELTA, 10));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 0);
  fail_unless_equals_uint64 (stat_u64 (h->element, "level-high"), 2);

  hold_release (&hold);
  out = pull_indices (h, 4);
  {
    const guint expected[] = { 0, 1, 9, 10 };
    for (i = 0; i < 4; i++)
      fail_unless_equals_int (g_array_index (out, guint, i), expected[i]);
  }
  g_array_free (out, TRUE);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* the keyframe after the gap is marked DISCONT */
GST_START_TEST (test_discont_after_gap)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=2 max-size-bytes=0 max-size-time=0");
  Hold hold;
  GstBuffer *b;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  gst_harness_push (h, make_buffer (1, DELTA, 10));
  gst_harness_push (h, make_buffer (2, DROPPABLE, 10));
  gst_harness_push (h, make_buffer (3, DELTA, 10));     /* 2 goes (low) */
  gst_harness_push (h, make_buffer (4, KEY, 10));       /* 1, 3 go */
  hold_release (&hold);

  b = gst_harness_pull (h);
  fail_if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (b);
  b = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 4 * FRAME);
  fail_unless (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DISCONT));
  gst_buffer_unref (b);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* the span of running time queued never exceeds max-size-time, and no
 * buffer leaves later than that after it came in */
GST_START_TEST (test_latency_bound)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=0 max-size-bytes=0 max-size-time=100000000");
  Hold hold;
  guint64 level;
  guint i, n;
  GstBuffer *b;

  gst_harness_set_time (h, 0);
  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i < 60; i++) {
    gst_harness_push (h, make_buffer (i, i % 30 == 0 ? KEY :
            (i % 3 == 0 ? DROPPABLE : DELTA), 10));
    g_object_get (h->element, "current-level-time", &level, NULL);
    fail_unless (level <= 100 * MS, "level %" GST_TIME_FORMAT,
        GST_TIME_ARGS (level));
  }
  fail_unless (stat_u64 (h->element, "dropped-max-size-time") > 0);
  fail_unless_equals_uint64 (stat_u64 (h->element,
          "high-dropped-lower-queued"), 0);
  n = stat_u64 (h->element, "current-level-buffers");
  hold_release (&hold);

  /* 0 left before the stall; the rest is at most 100 ms older than the
   * newest input (59) */
  gst_buffer_unref (gst_harness_pull (h));
  for (i = 0; i < n; i++) {
    b = gst_harness_pull (h);
    fail_unless (59 * FRAME - GST_BUFFER_PTS (b) <= 100 * MS,
        "buffer %" GST_TIME_FORMAT " too old", GST_TIME_ARGS (GST_BUFFER_PTS
            (b)));
    gst_buffer_unref (b);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* An SRT sender reconnects: aacparse holds the last frame of the first
 * session until the first frame of the second arrives, 2.5 s of running
 * time later, and pushes both at once. Neither waited in the queue: no
 * HIGH (audio) buffer may be shed as "older than max-size-time", no
 * warning. (The span on running time made the held frame 2.5 s old.)
 * Also: timestamps starting again lower, after a new segment. But data
 * that really waited across the outage still goes. */
static GstBuffer *
audio_buffer (GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64, NULL);

  gst_buffer_memset (buf, 0, 0x11, 64);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 21333333;
  return buf;
}

GST_START_TEST (test_timestamp_jump_not_waiting)
{
  GstHarness *h = new_harness (AUDIO_CAPS,
      "max-size-buffers=0 max-size-bytes=0 max-size-time=1000000000");
  GstBus *bus = gst_bus_new ();
  GstSegment seg;
  GstMessage *msg;
  Hold hold;
  guint i, warnings = 0;

  gst_element_set_bus (h->element, bus);
  hold_start (&hold, h->element, "src");
  /* the first session; downstream is slow: its first buffer is still
   * being pushed */
  gst_harness_push (h, audio_buffer (12309152088));
  hold_wait_blocked (&hold);
  gst_harness_push (h, audio_buffer (12330485421));
  /* the held last frame and the first frame of the second session */
  gst_harness_push (h, audio_buffer (12351818754));
  gst_harness_push (h, audio_buffer (14902140587));
  gst_harness_push (h, audio_buffer (14923473920));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 0);
  wait_level (h->element, 4);

  /* a new segment: the timestamps start again from zero */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  for (i = 0; i < 5; i++)
    gst_harness_push (h, audio_buffer (i * 21333333));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 0);

  /* everything goes out; afterwards, measured against the new
   * timestamps only */
  hold_release (&hold);
  for (i = 0; i < 10; i++)
    gst_buffer_unref (gst_harness_pull (h));
  for (i = 5; i < 10; i++)
    gst_harness_push (h, audio_buffer (i * 21333333));
  for (i = 0; i < 5; i++)
    gst_buffer_unref (gst_harness_pull (h));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 0);
  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
      warnings++;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (warnings, 0);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);

  /* the consumer stalls through the outage: what was queued waited
   * 300 ms (> max-size-time) by the time the next session starts */
  h = new_harness (AUDIO_CAPS,
      "max-size-buffers=0 max-size-bytes=0 max-size-time=200000000");
  hold_start (&hold, h->element, "src");
  gst_harness_push (h, audio_buffer (0));
  hold_wait_blocked (&hold);
  gst_harness_push (h, audio_buffer (21333333));
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  gst_harness_push (h, audio_buffer (2 * GST_SECOND));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 1);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-max-size-time"), 1);
  hold_release (&hold);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The time-in-queue statistics, with the clock read coarsely behind a
 * backlog and the pushes to a fast downstream timed in runs (see now_ns ()
 * in gstprioqueue.c): buffers held 200 ms report about 200 ms. */
GST_START_TEST (test_queue_time_stats)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=0 max-size-bytes=0 max-size-time=0");
  Hold hold;
  guint64 p50, p99, max, service;
  guint i;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i < 100; i++)
    gst_harness_push (h, make_buffer (i, KEY, 10));
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  hold_release (&hold);
  for (i = 0; i < 100; i++)
    gst_buffer_unref (gst_harness_pull (h));

  p50 = stat_u64 (h->element, "queue-time-p50");
  p99 = stat_u64 (h->element, "queue-time-p99");
  max = stat_u64 (h->element, "queue-time-max");
  service = stat_u64 (h->element, "service-time");
  GST_INFO ("p50 %" GST_TIME_FORMAT " p99 %" GST_TIME_FORMAT " max %"
      GST_TIME_FORMAT " service %" GST_TIME_FORMAT, GST_TIME_ARGS (p50),
      GST_TIME_ARGS (p99), GST_TIME_ARGS (max), GST_TIME_ARGS (service));
  /* buffer 0 left at once; the other 99 waited the 200 ms (histogram
   * buckets within 1/16, the coarse clock within a tick) */
  fail_unless (p50 >= 180 * MS && p50 <= 400 * MS, "p50 %" GST_TIME_FORMAT,
      GST_TIME_ARGS (p50));
  fail_unless (max >= 200 * MS && max <= 1000 * MS, "max %" GST_TIME_FORMAT,
      GST_TIME_ARGS (max));
  fail_unless (p99 <= max + max / 8);
  fail_unless (service > 0 && service < 200 * MS);

  /* one at a time to a free downstream: short waits */
  for (i = 100; i < 200; i++) {
    gst_harness_push (h, make_buffer (i, KEY, 10));
    gst_buffer_unref (gst_harness_pull (h));
  }
  fail_unless (stat_u64 (h->element, "queue-time-p50") <= p50);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* HIGH only as last resort: counted, a warning is posted */
GST_START_TEST (test_high_drop_warning)
{
  GstHarness *h = new_harness (AUDIO_CAPS,
      "max-size-buffers=2 max-size-bytes=0 max-size-time=0 "
      "drop-message-interval=0");
  GstBus *bus = gst_bus_new ();
  Hold hold;
  GstMessage *msg;
  guint i, warnings = 0, reports = 0;

  gst_element_set_bus (h->element, bus);
  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i <= 5; i++)
    gst_harness_push (h, make_buffer (i, KEY, 10));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 3);
  fail_unless_equals_uint64 (stat_u64 (h->element,
          "dropped-max-size-buffers"), 3);

  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING)
      warnings++;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_message_has_name (msg, "prioqueue-dropped")) {
      const GstStructure *s = gst_message_get_structure (msg);
      guint64 count;
      fail_unless_equals_string (gst_structure_get_string (s, "class"), "high");
      fail_unless_equals_string (gst_structure_get_string (s, "reason"),
          "max-size-buffers");
      fail_unless (gst_structure_get_uint64 (s, "count", &count));
      fail_unless_equals_uint64 (count, 1);
      reports++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (reports, 3);
  fail_unless_equals_int (warnings, 3);

  hold_release (&hold);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* rate limit: the first drop is reported at once, the rest summed up and
 * reported before EOS; the counts add up to the stats */
GST_START_TEST (test_drop_messages_rate_limited)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=3 max-size-bytes=0 max-size-time=0 "
      "drop-message-interval=3600000000000");
  GstBus *bus = gst_bus_new ();
  Hold hold;
  GstMessage *msg;
  guint i, reports = 0;
  guint64 low = 0;

  gst_element_set_bus (h->element, bus);
  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i <= 20; i++)
    gst_harness_push (h, make_buffer (i, i == 1 ? KEY : DROPPABLE, 10));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-low"), 17);

  /* only the first so far */
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    reports++;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (reports, 1);

  gst_harness_push_event (h, gst_event_new_eos ());
  hold_release (&hold);

  /* the rest arrived with EOS */
  {
    gint64 end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
    while (low < 16 && g_get_monotonic_time () < end) {
      msg = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
          GST_MESSAGE_ELEMENT);
      if (msg) {
        const GstStructure *s = gst_message_get_structure (msg);
        guint64 count;
        fail_unless (gst_structure_get_uint64 (s, "count", &count));
        low += count;
        gst_message_unref (msg);
      }
    }
  }
  fail_unless_equals_uint64 (low, 16);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* flushing while full empties the queue and lets new data through */
GST_START_TEST (test_flush_while_full)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=5 max-size-bytes=0 max-size-time=0");
  Hold hold;
  GstBuffer *b;
  GstSegment segment;
  guint i;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i <= 5; i++)
    gst_harness_push (h, make_buffer (i, i == 1 ? KEY : DELTA, 10));
  wait_level (h->element, 5);

  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless_equals_int (gst_harness_push (h, make_buffer (6, KEY, 10)),
      GST_FLOW_FLUSHING);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  wait_level (h->element, 0);
  fail_unless_equals_uint64 (stat_u64 (h->element, "flushed"), 5);
  /* flushing is not shedding */
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-normal"), 0);

  /* the held buffer was refused by the flushing pad */
  hold_release (&hold);
  while ((b = gst_harness_try_pull (h)))
    gst_buffer_unref (b);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&segment));
  fail_unless_equals_int (gst_harness_push (h, make_buffer (7, KEY, 10)),
      GST_FLOW_OK);
  b = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (b), 7 * FRAME);
  gst_buffer_unref (b);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GstHarness *h;
  guint first, n;
  GstFlowReturn last;
  gint done;
} PushThread;

static gpointer
push_thread (gpointer user_data)
{
  PushThread *pt = user_data;
  guint i;

  for (i = pt->first; i < pt->first + pt->n; i++) {
    pt->last = gst_harness_push (pt->h, make_buffer (i, KEY, 10));
    if (pt->last != GST_FLOW_OK)
      break;
  }
  g_atomic_int_set (&pt->done, 1);
  return NULL;
}

/* block mode: upstream waits when full, and PLAYING -> NULL unblocks both
 * threads */
GST_START_TEST (test_block_mode_state_change)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "mode=block max-size-buffers=3 max-size-bytes=0 max-size-time=0");
  Hold hold;
  PushThread pt = { h, 1, 10, GST_FLOW_OK, 0 };
  GThread *thread;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);

  thread = g_thread_new ("push", push_thread, &pt);
  wait_level (h->element, 3);
  g_usleep (50 * 1000);
  /* blocked, nothing dropped */
  fail_if (g_atomic_int_get (&pt.done));
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 0);

  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  g_thread_join (thread);
  fail_unless_equals_int (pt.last, GST_FLOW_FLUSHING);
  wait_level (h->element, 0);

  hold_release (&hold);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* block mode lets everything through once downstream moves */
GST_START_TEST (test_block_mode_no_loss)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "mode=block max-size-buffers=2 max-size-bytes=0 max-size-time=0");
  Hold hold;
  PushThread pt = { h, 1, 20, GST_FLOW_OK, 0 };
  GThread *thread;
  GArray *out;
  guint i;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  thread = g_thread_new ("push", push_thread, &pt);
  wait_level (h->element, 2);
  hold_release (&hold);
  g_thread_join (thread);
  fail_unless_equals_int (pt.last, GST_FLOW_OK);
  out = pull_indices (h, 21);
  for (i = 0; i < 21; i++)
    fail_unless_equals_int (g_array_index (out, guint, i), i);
  g_array_free (out, TRUE);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-high"), 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* EOS waits behind the queued data and drains it all */
GST_START_TEST (test_eos_drain)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=100 max-size-bytes=0 max-size-time=0");
  Hold hold;
  GArray *out;
  GstEvent *ev;
  guint i;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i < 10; i++)
    gst_harness_push (h, make_buffer (i, DELTA, 10));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* after EOS, data is refused */
  fail_unless_equals_int (gst_harness_push (h, make_buffer (10, DELTA, 10)),
      GST_FLOW_EOS);
  hold_release (&hold);

  out = pull_indices (h, 10);
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (g_array_index (out, guint, i), i);
  g_array_free (out, TRUE);
  while ((ev = gst_harness_pull_event (h))) {
    GstEventType t = GST_EVENT_TYPE (ev);
    gst_event_unref (ev);
    if (t == GST_EVENT_EOS)
      break;
  }
  fail_unless (ev != NULL);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
count_signal (GstElement * e, gint * count)
{
  g_atomic_int_inc (count);
}

GST_START_TEST (test_overrun_underrun_signals)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=2 max-size-bytes=0 max-size-time=0");
  gint overrun = 0, underrun = 0;
  Hold hold;
  gint64 end;
  guint i;

  g_signal_connect (h->element, "overrun", G_CALLBACK (count_signal), &overrun);
  g_signal_connect (h->element, "underrun", G_CALLBACK (count_signal),
      &underrun);

  /* one buffer through, then empty: the src task reports underrun */
  gst_harness_push (h, make_buffer (0, KEY, 10));
  gst_buffer_unref (gst_harness_pull (h));
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (g_atomic_int_get (&underrun) == 0 && g_get_monotonic_time () < end)
    g_usleep (1000);
  fail_unless (g_atomic_int_get (&underrun) > 0);

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  gst_harness_push (h, make_buffer (1, KEY, 10));
  gst_harness_push (h, make_buffer (2, KEY, 10));
  fail_unless_equals_int (g_atomic_int_get (&overrun), 0);
  for (i = 3; i < 6; i++)
    gst_harness_push (h, make_buffer (i, KEY, 10));
  fail_unless_equals_int (g_atomic_int_get (&overrun), 3);

  /* drained again: underrun again */
  g_atomic_int_set (&underrun, 0);
  hold_release (&hold);
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (g_atomic_int_get (&underrun) == 0 && g_get_monotonic_time () < end)
    g_usleep (1000);
  fail_unless (g_atomic_int_get (&underrun) > 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* not-linked pauses the task; a RECONFIGURE from the new peer restarts */
GST_START_TEST (test_reconfigure_after_not_linked)
{
  GstHarness *h = new_harness (VIDEO_CAPS, NULL);
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *b;
  gint64 end;
  guint i = 0;

  gst_harness_push (h, make_buffer (i++, KEY, 10));
  gst_buffer_unref (gst_harness_pull (h));
  fail_unless (gst_pad_unlink (srcpad, h->sinkpad));
  /* the task finds itself not linked; upstream learns on a later push */
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (ret == GST_FLOW_OK && g_get_monotonic_time () < end) {
    ret = gst_harness_push (h, make_buffer (i++, KEY, 10));
    g_usleep (1000);
  }
  fail_unless_equals_int (ret, GST_FLOW_NOT_LINKED);

  fail_unless_equals_int (gst_pad_link (srcpad, h->sinkpad), GST_PAD_LINK_OK);
  fail_unless (gst_pad_send_event (srcpad, gst_event_new_reconfigure ()));
  fail_unless_equals_int (gst_harness_push (h, make_buffer (100, KEY, 10)),
      GST_FLOW_OK);
  do {
    b = gst_harness_pull (h);
    fail_unless (b != NULL);
    i = GST_BUFFER_PTS (b) / FRAME;
    gst_buffer_unref (b);
  } while (i != 100);
  gst_object_unref (srcpad);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* limits lowered at runtime: shed at once */
GST_START_TEST (test_limits_changed_at_runtime)
{
  GstHarness *h = new_harness (VIDEO_CAPS,
      "max-size-buffers=10 max-size-bytes=0 max-size-time=0");
  Hold hold;
  guint i;

  hold_start (&hold, h->element, "src");
  gst_harness_push (h, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i <= 8; i++)
    gst_harness_push (h, make_buffer (i, i == 1 ? KEY : DROPPABLE, 10));
  wait_level (h->element, 8);
  g_object_set (h->element, "max-size-buffers", 3, NULL);
  wait_level (h->element, 3);
  fail_unless_equals_uint64 (stat_u64 (h->element, "dropped-low"), 5);
  hold_release (&hold);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* the latency query reports what the queue may add */
GST_START_TEST (test_latency_query)
{
  GstHarness *h = new_harness (VIDEO_CAPS, "max-size-time=300000000");
  GstQuery *q = gst_query_new_latency ();
  gboolean live;
  GstClockTime min, max;

  /* upstream is live and adds nothing: the queue may add 300 ms */
  gst_harness_set_live (h, TRUE);
  gst_harness_set_upstream_latency (h, 0);
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 0);
  fail_unless_equals_uint64 (max, 300 * MS);
  gst_query_unref (q);

  /* block mode adds to upstream's max */
  g_object_set (h->element, "mode", 1, NULL);
  gst_harness_set_upstream_latency (h, 10 * MS);
  q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless_equals_uint64 (min, 10 * MS);
  gst_query_unref (q);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* request pads: streams share the budget, the lower priority is shed
 * first, audio (HIGH) survives */
GST_START_TEST (test_request_pads_shared_budget)
{
  GstElement *e = gst_element_factory_make ("prioqueue", NULL);
  GstHarness *hv, *ha;
  GstPad *sink1, *src1;
  Hold hold_v, hold_a;
  guint i;

  g_object_set (e, "max-size-buffers", 6, "max-size-bytes", 0,
      "max-size-time", (guint64) 0, NULL);
  hv = gst_harness_new_with_element (e, "sink", "src");
  ha = gst_harness_new_with_element (e, NULL, NULL);
  sink1 = gst_element_request_pad_simple (e, "sink_%u");
  fail_unless (sink1 != NULL);
  fail_unless_equals_string (GST_PAD_NAME (sink1), "sink_1");
  src1 = gst_element_get_static_pad (e, "src_1");
  fail_unless (src1 != NULL);
  gst_harness_add_element_sink_pad (ha, sink1);
  gst_harness_add_element_src_pad (ha, src1);
  gst_object_unref (sink1);
  gst_object_unref (src1);
  gst_object_unref (e);

  g_object_set (sink1, "priority", 10, NULL);
  gst_harness_set_src_caps_str (hv, VIDEO_CAPS);
  gst_harness_set_src_caps_str (ha, AUDIO_CAPS);
  gst_harness_play (ha);

  hold_start (&hold_v, e, "src");
  hold_start (&hold_a, e, "src_1");
  gst_harness_push (hv, make_buffer (0, KEY, 10));
  gst_harness_push (ha, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold_v);
  hold_wait_blocked (&hold_a);

  gst_harness_push (hv, make_buffer (1, KEY, 10));
  for (i = 2; i < 5; i++)
    gst_harness_push (hv, make_buffer (i, DROPPABLE, 10));
  for (i = 1; i < 10; i++)
    gst_harness_push (ha, make_buffer (i, KEY, 10));
  /* audio is HIGH: the video's LOW went, then its keyframe as a last
   * resort (video has the lower priority), audio only after that */
  fail_unless_equals_uint64 (stat_u64 (e, "dropped-low"), 3);
  fail_unless (stat_u64 (e, "dropped-high") >= 1);
  fail_unless_equals_uint64 (stat_u64 (e, "current-level-buffers"), 6);
  fail_unless_equals_uint64 (stat_u64 (e, "high-dropped-lower-queued"), 0);

  hold_release (&hold_v);
  hold_release (&hold_a);
  gst_harness_teardown (ha);
  gst_harness_teardown (hv);
}

GST_END_TEST;

/* block mode, two streams: a stream with nothing queued is never blocked
 * by the others filling the budget (a muxer waiting for it would deadlock) */
GST_START_TEST (test_block_mode_empty_stream_passes)
{
  GstElement *e = gst_element_factory_make ("prioqueue", NULL);
  GstHarness *h0, *h1;
  GstPad *sink1, *src1;
  Hold hold;
  guint i;
  GstBuffer *b;

  g_object_set (e, "mode", 1, "max-size-buffers", 3, "max-size-bytes", 0,
      "max-size-time", (guint64) 0, NULL);
  h0 = gst_harness_new_with_element (e, "sink", "src");
  h1 = gst_harness_new_with_element (e, NULL, NULL);
  sink1 = gst_element_request_pad_simple (e, "sink_%u");
  src1 = gst_element_get_static_pad (e, "src_1");
  gst_harness_add_element_sink_pad (h1, sink1);
  gst_harness_add_element_src_pad (h1, src1);
  gst_object_unref (sink1);
  gst_object_unref (src1);
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h0, VIDEO_CAPS);
  gst_harness_set_src_caps_str (h1, AUDIO_CAPS);
  gst_harness_play (h1);

  hold_start (&hold, e, "src");
  gst_harness_push (h0, make_buffer (0, KEY, 10));
  hold_wait_blocked (&hold);
  for (i = 1; i <= 3; i++)
    gst_harness_push (h0, make_buffer (i, KEY, 10));
  wait_level (e, 3);

  /* full, but stream 1 has nothing queued: it gets through */
  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (gst_harness_push (h1, make_buffer (i, KEY, 10)),
        GST_FLOW_OK);
    b = gst_harness_pull (h1);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (b), i * FRAME);
    gst_buffer_unref (b);
  }
  fail_unless_equals_uint64 (stat_u64 (e, "dropped-high"), 0);

  hold_release (&hold);
  gst_harness_teardown (h1);
  gst_harness_teardown (h0);
}

GST_END_TEST;

GST_START_TEST (test_request_pad_release)
{
  GstElement *e = gst_element_factory_make ("prioqueue", NULL);
  GstPad *p1, *p2;

  p1 = gst_element_request_pad_simple (e, "sink_%u");
  p2 = gst_element_request_pad_simple (e, "sink_5");
  fail_unless_equals_string (GST_PAD_NAME (p1), "sink_1");
  fail_unless_equals_string (GST_PAD_NAME (p2), "sink_5");
  fail_unless_equals_int (e->numpads, 6);
  gst_element_release_request_pad (e, p1);
  fail_unless_equals_int (e->numpads, 4);
  gst_object_unref (p1);
  gst_object_unref (p2);
  gst_object_unref (e);
}

GST_END_TEST;

/* Downstream answers EOS while a serialized query waits behind a buffer:
 * the query is dropped with the buffer and its caller gets FALSE at once
 * (it used to wait for an answer that never came) */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean entered, release, query_done, query_res;
  GstPad *peer;
} EosGate;

static GstPadProbeReturn
eos_gate_cb (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  EosGate *g = user_data;

  g_mutex_lock (&g->lock);
  g->entered = TRUE;
  g_cond_broadcast (&g->cond);
  while (!g->release)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
  gst_buffer_unref (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GST_FLOW_EOS;
  return GST_PAD_PROBE_HANDLED;
}

static gpointer
drain_query_thread (gpointer user_data)
{
  EosGate *g = user_data;
  GstQuery *q = gst_query_new_drain ();
  gboolean res = gst_pad_peer_query (g->peer, q);

  gst_query_unref (q);
  g_mutex_lock (&g->lock);
  g->query_done = TRUE;
  g->query_res = res;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
  return NULL;
}

GST_START_TEST (test_query_dropped_after_downstream_eos)
{
  GstHarness *h = new_harness (VIDEO_CAPS, NULL);
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  EosGate g = { 0, };
  GThread *t;
  gint64 end;

  g_mutex_init (&g.lock);
  g_cond_init (&g.cond);
  g.peer = h->srcpad;
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER, eos_gate_cb, &g, NULL);

  gst_harness_push (h, make_buffer (0, KEY, 10));
  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&g.lock);
  while (!g.entered)
    fail_unless (g_cond_wait_until (&g.cond, &g.lock, end));
  g_mutex_unlock (&g.lock);

  /* a buffer and a query queued behind the one downstream will refuse */
  gst_harness_push (h, make_buffer (1, DELTA, 10));
  wait_level (h->element, 1);
  t = g_thread_new ("drain-query", drain_query_thread, &g);
  /* the query is queued at once; give its thread time to get there */
  g_usleep (100 * 1000);

  g_mutex_lock (&g.lock);
  g.release = TRUE;
  g_cond_broadcast (&g.cond);
  end = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (!g.query_done)
    fail_unless (g_cond_wait_until (&g.cond, &g.lock, end),
        "the query caller was left waiting after downstream EOS");
  fail_if (g.query_res, "a dropped query must not be answered TRUE");
  g_mutex_unlock (&g.lock);
  g_thread_join (t);

  gst_object_unref (srcpad);
  gst_harness_teardown (h);
  g_mutex_clear (&g.lock);
  g_cond_clear (&g.cond);
}

GST_END_TEST;

static Suite *
prioqueue_suite (void)
{
  Suite *s = suite_create ("prioqueue");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_passthrough_in_order);
  tcase_add_test (tc, test_classify_flags_and_caps);
  tcase_add_test (tc, test_classify_h264_nal);
  tcase_add_test (tc, test_classify_h265_nal);
  tcase_add_test (tc, test_classify_garbage);
  tcase_add_test (tc, test_shed_order);
  tcase_add_test (tc, test_discont_after_gap);
  tcase_add_test (tc, test_timestamp_jump_not_waiting);
  tcase_add_test (tc, test_queue_time_stats);
  tcase_add_test (tc, test_latency_bound);
  tcase_add_test (tc, test_high_drop_warning);
  tcase_add_test (tc, test_drop_messages_rate_limited);
  tcase_add_test (tc, test_flush_while_full);
  tcase_add_test (tc, test_block_mode_state_change);
  tcase_add_test (tc, test_block_mode_no_loss);
  tcase_add_test (tc, test_eos_drain);
  tcase_add_test (tc, test_query_dropped_after_downstream_eos);
  tcase_add_test (tc, test_overrun_underrun_signals);
  tcase_add_test (tc, test_reconfigure_after_not_linked);
  tcase_add_test (tc, test_limits_changed_at_runtime);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_request_pads_shared_budget);
  tcase_add_test (tc, test_block_mode_empty_stream_passes);
  tcase_add_test (tc, test_request_pad_release);

  return s;
}

GST_CHECK_MAIN (prioqueue);
