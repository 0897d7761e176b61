/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* chunkreorder: GstHarness tests on a GstTestClock, and one real pipeline
 * through netsim. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/app/gstappsrc.h>

#include "gstchunkmeta.h"
#include "lstest.h"

#define MS GST_MSECOND

/* How long to wait for what takes milliseconds (the task reaching its
 * clock wait, an output): 5 s, scaled under valgrind, where on a loaded
 * machine 5 s was seen to pass; with CK_FORK=no a failed wait also leaves
 * the element's task running and the next clean-up waits for it forever */
#define WAIT_S (5 * ls_time_scale ())
#define RTP_CAPS "application/x-rtp,media=video,clock-rate=90000," \
    "encoding-name=H264,payload=96"
#define SSRC 0x12345678

/* ---- a log of what leaves the element, in order ------------------------
 * "<seq>" per buffer ("D<seq>" with DISCONT), "L<first>+<count>" per
 * GstChunkLost, "R<seqnum>+<count>" per GstRTPPacketLost, "EOS". */

typedef struct
{
  GMutex lock;
  GString *log;
  guint lost_events;
} Recorder;

static Recorder rec;

static gboolean
buffer_seq (GstBuffer * buf, guint64 * seq)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (GST_BUFFER_OFFSET_IS_VALID (buf)) {
    *seq = GST_BUFFER_OFFSET (buf);
    return TRUE;
  }
  if (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    *seq = gst_rtp_buffer_get_seq (&rtp);
    gst_rtp_buffer_unmap (&rtp);
    return TRUE;
  }
  return FALSE;
}

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_mutex_lock (&rec.lock);
  if (rec.log->len > 0)
    g_string_append_c (rec.log, ' ');

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    guint64 seq;

    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      g_string_append_c (rec.log, 'D');
    if (buffer_seq (buf, &seq))
      g_string_append_printf (rec.log, "%" G_GUINT64_FORMAT, seq);
    else
      g_string_append_c (rec.log, '?');
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    const GstStructure *s = gst_event_get_structure (ev);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      g_string_append (rec.log, "EOS");
    } else if (s && gst_structure_has_name (s, "GstChunkLost")) {
      guint64 first, count;
      fail_unless (gst_structure_get_uint64 (s, "first-seqnum", &first));
      fail_unless (gst_structure_get_uint64 (s, "count", &count));
      g_string_append_printf (rec.log, "L%" G_GUINT64_FORMAT "+%"
          G_GUINT64_FORMAT, first, count);
      rec.lost_events++;
    } else if (s && gst_structure_has_name (s, "GstRTPPacketLost")) {
      guint seqnum, count;
      guint64 ts, dur;
      fail_unless (gst_structure_get_uint (s, "seqnum", &seqnum));
      fail_unless (gst_structure_get_uint (s, "count", &count));
      fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
      fail_unless (gst_structure_get_uint64 (s, "duration", &dur));
      g_string_append_printf (rec.log, "R%u+%u", seqnum, count);
      rec.lost_events++;
    } else if (rec.log->len > 0) {
      /* other events are not logged */
      g_string_truncate (rec.log, rec.log->len - 1);
    }
  }
  g_mutex_unlock (&rec.lock);

  return GST_PAD_PROBE_OK;
}

static gchar *
log_take (void)
{
  gchar *s;

  g_mutex_lock (&rec.lock);
  s = g_strdup (rec.log->str);
  g_string_truncate (rec.log, 0);
  g_mutex_unlock (&rec.lock);
  return s;
}

#define assert_log(expected) G_STMT_START { \
  gchar *_l = log_take (); \
  fail_unless_equals_string (_l, expected); \
  g_free (_l); \
} G_STMT_END

/* wait until the log has @n buffers and events (pushed by the timer task) */
static void
wait_log_items (guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_S * G_TIME_SPAN_SECOND;

  for (;;) {
    guint items = 0, i;

    g_mutex_lock (&rec.lock);
    if (rec.log->len > 0) {
      items = 1;
      for (i = 0; i < rec.log->len; i++)
        if (rec.log->str[i] == ' ')
          items++;
    }
    g_mutex_unlock (&rec.lock);
    if (items >= n)
      return;
    fail_if (g_get_monotonic_time () > end, "timed out waiting for output");
    g_usleep (500);
  }
}

static GstHarness *
setup (const gchar * caps, gboolean testclock)
{
  GstHarness *h = gst_harness_new ("chunkreorder");
  GstPad *srcpad;

  g_mutex_init (&rec.lock);
  rec.log = g_string_new (NULL);
  rec.lost_events = 0;

  srcpad = gst_element_get_static_pad (h->element, "src");
  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_probe, NULL, NULL);
  gst_object_unref (srcpad);

  if (testclock)
    gst_harness_use_testclock (h);
  if (caps)
    gst_harness_set_src_caps_str (h, caps);
  return h;
}

static void
teardown (GstHarness * h)
{
  gst_harness_teardown (h);
  g_string_free (rec.log, TRUE);
  g_mutex_clear (&rec.lock);
}

static GstBuffer *
offset_buf (guint64 offset, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 100, NULL);

  gst_buffer_memset (buf, 0, (guint8) offset, 100);
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

static GstBuffer *
rtp_buf (guint16 seq, guint32 ssrc, GstClockTime pts)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (20, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_timestamp (&rtp, (guint32) (pts / (GST_SECOND / 90000)));
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

static GstBuffer *
meta_buf (guint64 seq, gboolean corrupt)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64, NULL);
  GstChunkMeta *meta;

  gst_buffer_memset (buf, 0, (guint8) seq, 64);
  /* the offset only labels the log; seqnum-source=meta ignores it */
  GST_BUFFER_OFFSET (buf) = seq;
  meta = gst_buffer_add_chunk_meta (buf, 1, seq, GST_CHUNK_TYPE_VIDEO_P,
      GST_CHUNK_PRIORITY_NORMAL);
  gst_chunk_meta_set_checksum (meta, buf);
  if (corrupt)
    gst_buffer_memset (buf, 10, 0xff, 1);
  return buf;
}

static GstStructure *
get_stats (GstHarness * h)
{
  GstStructure *s = NULL;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (s != NULL);
  return s;
}

static guint64
stat (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no field %s", field);
  return v;
}

/* in = pushed + duplicates dropped + late + invalid + held + flushed */
static void
check_accounting (GstHarness * h, gboolean drop_duplicates)
{
  GstStructure *s = get_stats (h);
  guint64 dups = drop_duplicates ? stat (s, "duplicates") : 0;

  fail_unless_equals_uint64 (stat (s, "in"),
      stat (s, "pushed") + dups + stat (s, "late") + stat (s, "invalid") +
      stat (s, "held") + stat (s, "flushed"));
  fail_unless_equals_uint64 (stat (s, "in"),
      stat (s, "pushed") + stat (s, "dropped") + stat (s, "held") +
      stat (s, "flushed"));
  gst_structure_free (s);
}

static void
push_offset (GstHarness * h, guint64 offset)
{
  fail_unless_equals_int (gst_harness_push (h, offset_buf (offset,
              offset * 10 * MS)), GST_FLOW_OK);
}

static GstClockTime
pending_clock_time (GstHarness * h)
{
  GstTestClock *tc = gst_harness_get_testclock (h);
  GstClockID id;
  GstClockTime t;

  fail_unless (gst_test_clock_peek_next_pending_id (tc, &id));
  t = gst_clock_id_get_time (id);
  gst_clock_id_unref (id);
  gst_object_unref (tc);
  return t;
}

static guint
pending_clock_ids (GstHarness * h)
{
  GstTestClock *tc = gst_harness_get_testclock (h);
  guint n = gst_test_clock_peek_id_count (tc);

  gst_object_unref (tc);
  return n;
}

/* The first chunk of a numbering is held for the timeout (50 ms), in case
 * lower numbers arrive after it: push @first, let the start window's wait
 * fire (the test clock moves to 50 ms) and check it came out, so that the
 * test goes on from a started stream. */
#define START_END (50 * MS)

static void
start_offset (GstHarness * h, guint64 seq0)
{
  gchar *want = g_strdup_printf ("%" G_GUINT64_FORMAT, seq0);

  push_offset (h, seq0);
  assert_log ("");
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless_equals_uint64 (pending_clock_time (h), START_END);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (1);
  assert_log (want);
  g_free (want);
}

/* ------------------------------------------------------------------------ */

GST_START_TEST (test_in_order_straight_through)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  guint64 i;

  /* the start: held until the timeout, then out by the timer task */
  start_offset (h, 0);
  gst_buffer_unref (gst_harness_pull (h));
  for (i = 1; i < 100; i++) {
    GstBuffer *in = offset_buf (i, i * MS), *out;

    gst_buffer_ref (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    /* pushed in the streaming thread, the same buffer, untouched */
    out = gst_harness_try_pull (h);
    fail_unless (out == in);
    fail_if (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  /* no timer armed for in-order input */
  fail_unless_equals_int (pending_clock_ids (h), 0);
  {
    GstStructure *s = get_stats (h);
    fail_unless_equals_uint64 (stat (s, "in"), 100);
    fail_unless_equals_uint64 (stat (s, "pushed"), 100);
    /* held at the start, but not ahead of a gap */
    fail_unless_equals_uint64 (stat (s, "reordered"), 0);
    fail_unless_equals_uint64 (stat (s, "lost"), 0);
    gst_structure_free (s);
  }
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_gap_closes_before_timeout)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstStructure *s;
  gchar *l;

  start_offset (h, 0);
  gst_harness_set_time (h, START_END + 5 * MS);
  push_offset (h, 2);
  push_offset (h, 3);
  /* one timer for the gap at 1: 50 ms after 2 arrived */
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless_equals_uint64 (pending_clock_time (h), START_END + 55 * MS);
  assert_log ("");

  gst_harness_set_time (h, START_END + 30 * MS);
  push_offset (h, 1);
  assert_log ("1 2 3");

  /* the stale wait may fire: nothing happens */
  gst_harness_crank_single_clock_wait (h);
  push_offset (h, 4);
  l = log_take ();
  fail_unless_equals_string (l, "4");
  g_free (l);
  fail_unless_equals_int (rec.lost_events, 0);

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "lost"), 0);
  fail_unless_equals_uint64 (stat (s, "timeouts"), 0);
  fail_unless_equals_uint64 (stat (s, "reordered"), 2);
  fail_unless_equals_uint64 (stat (s, "max-reorder-distance"), 2);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_gap_times_out)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  const GstStructure *ms;
  GstStructure *s;
  guint64 v;

  gst_element_set_bus (h->element, bus);
  start_offset (h, 0);
  push_offset (h, 2);
  push_offset (h, 3);
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  assert_log ("");

  /* 1 does not come: at 50 ms the gap is given up */
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (3);
  assert_log ("L1+1 D2 3");

  /* it comes after all: late, dropped */
  push_offset (h, 1);
  push_offset (h, 4);
  assert_log ("4");

  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  ms = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (ms, "chunkreorder-lost"));
  fail_unless (gst_structure_get_uint64 (ms, "first-seqnum", &v));
  fail_unless_equals_uint64 (v, 1);
  fail_unless (gst_structure_get_uint64 (ms, "count", &v));
  fail_unless_equals_uint64 (v, 1);
  fail_unless (gst_structure_get_uint64 (ms, "total-lost", &v));
  fail_unless_equals_uint64 (v, 1);
  gst_message_unref (msg);

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "lost"), 1);
  fail_unless_equals_uint64 (stat (s, "gaps"), 1);
  fail_unless_equals_uint64 (stat (s, "timeouts"), 1);
  fail_unless_equals_uint64 (stat (s, "late"), 1);
  fail_unless_equals_uint64 (stat (s, "pushed"), 4);
  gst_structure_free (s);
  check_accounting (h, TRUE);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_many_holes_one_clock_wait)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  guint i;
  GstStructure *s;

  start_offset (h, 0);
  /* holes at 1, 3, 5, 7, 9; each following chunk 5 ms later */
  for (i = 0; i < 5; i++) {
    gst_harness_set_time (h, START_END + i * 5 * MS);
    push_offset (h, 2 * i + 2);
    fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
    fail_unless_equals_int (pending_clock_ids (h), 1);
  }
  /* the one wait is for the oldest gap */
  fail_unless_equals_uint64 (pending_clock_time (h), START_END + 50 * MS);
  assert_log ("");

  for (i = 0; i < 5; i++) {
    fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
    fail_unless_equals_int (pending_clock_ids (h), 1);
    fail_unless_equals_uint64 (pending_clock_time (h),
        START_END + (50 + 5 * i) * MS);
    fail_unless (gst_harness_crank_single_clock_wait (h));
    wait_log_items (2);
    {
      gchar *l = log_take ();
      gchar *want = g_strdup_printf ("L%u+1 D%u", 2 * i + 1, 2 * i + 2);
      fail_unless_equals_string (l, want);
      g_free (l);
      g_free (want);
    }
  }

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "gaps"), 5);
  fail_unless_equals_uint64 (stat (s, "lost"), 5);
  fail_unless_equals_uint64 (stat (s, "timeouts"), 5);
  fail_unless_equals_uint64 (stat (s, "held"), 0);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

static GstStructure *
pop_lost_message (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  GstStructure *s;

  if (msg == NULL)
    return NULL;
  s = gst_structure_copy (gst_message_get_structure (msg));
  gst_message_unref (msg);
  fail_unless (gst_structure_has_name (s, "chunkreorder-lost"));
  return s;
}

GST_START_TEST (test_eos_while_holding)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstBus *bus = gst_bus_new ();
  GstStructure *s;

  gst_element_set_bus (h->element, bus);
  start_offset (h, 0);
  push_offset (h, 3);
  push_offset (h, 2);
  push_offset (h, 5);
  assert_log ("");
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* everything held, in order, then EOS */
  assert_log ("L1+1 D2 3 L4+1 D5 EOS");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "held"), 0);
  fail_unless_equals_uint64 (stat (s, "pushed"), 4);
  fail_unless_equals_uint64 (stat (s, "lost"), 2);
  gst_structure_free (s);
  check_accounting (h, TRUE);

  /* rate-limited: the first loss at once, the second one (within 100 ms)
   * in the message posted at EOS */
  s = pop_lost_message (bus);
  fail_unless (s != NULL);
  fail_unless_equals_uint64 (stat (s, "first-seqnum"), 1);
  fail_unless_equals_uint64 (stat (s, "count"), 1);
  gst_structure_free (s);
  s = pop_lost_message (bus);
  fail_unless (s != NULL);
  fail_unless_equals_uint64 (stat (s, "first-seqnum"), 4);
  fail_unless_equals_uint64 (stat (s, "total-lost"), 2);
  gst_structure_free (s);
  fail_unless (pop_lost_message (bus) == NULL);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_serialized_event_releases)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, "x", NULL);
  GstCaps *caps = gst_caps_from_string ("application/octet-stream");

  start_offset (h, 0);
  push_offset (h, 2);
  /* the same caps again change nothing */
  fail_unless (gst_harness_push_event (h, gst_event_new_caps (caps)));
  gst_caps_unref (caps);
  assert_log ("");
  fail_unless (gst_harness_push_event (h, gst_event_new_tag (tags)));
  /* the held chunk goes out before the event; numbering continues */
  assert_log ("L1+1 D2");
  push_offset (h, 1);
  push_offset (h, 3);
  assert_log ("3");
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_rtp_wraparound)
{
  GstHarness *h = setup (RTP_CAPS, TRUE);
  GstStructure *s;
  GstEvent *ev;
  const GstStructure *es;
  guint64 ts, dur;
  guint sn;

  /* the first packets straddle the wrap and the first to arrive is not the
   * first sent: the start window holds them all */
  gst_harness_push (h, rtp_buf (0, SSRC, 30 * MS));
  gst_harness_push (h, rtp_buf (65534, SSRC, 10 * MS));
  gst_harness_push (h, rtp_buf (65533, SSRC, 0));
  gst_harness_push (h, rtp_buf (65535, SSRC, 20 * MS));
  gst_harness_push (h, rtp_buf (2, SSRC, 50 * MS));
  gst_harness_push (h, rtp_buf (1, SSRC, 40 * MS));
  assert_log ("");
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless_equals_uint64 (pending_clock_time (h), START_END);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (6);
  assert_log ("65533 65534 65535 0 1 2");

  /* a loss across the wrap: 3 never comes, 4 is held */
  gst_harness_push (h, rtp_buf (4, SSRC, 70 * MS));
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (2);
  assert_log ("R3+1 D4");

  /* the depayloader's lost event: timestamp between 2 (50) and 4 (70) */
  while ((ev = gst_harness_try_pull_event (h))) {
    es = gst_event_get_structure (ev);
    if (es && gst_structure_has_name (es, "GstRTPPacketLost"))
      break;
    gst_event_unref (ev);
  }
  fail_unless (ev != NULL);
  fail_unless (GST_EVENT_IS_SERIALIZED (ev));
  fail_unless (gst_structure_get_uint (es, "seqnum", &sn));
  fail_unless_equals_int (sn, 3);
  fail_unless (gst_structure_get_uint64 (es, "timestamp", &ts));
  fail_unless (gst_structure_get_uint64 (es, "duration", &dur));
  fail_unless_equals_uint64 (ts, 60 * MS);
  fail_unless_equals_uint64 (dur, 10 * MS);
  gst_event_unref (ev);

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "lost"), 1);
  fail_unless_equals_uint64 (stat (s, "late"), 0);
  fail_unless_equals_uint64 (stat (s, "resets"), 0);
  fail_unless_equals_uint64 (stat (s, "pushed"), 7);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_rtp_ssrc_change_and_dropout)
{
  GstHarness *h = setup (RTP_CAPS, TRUE);
  GstStructure *s;

  gst_harness_push (h, rtp_buf (100, SSRC, 0));
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (1);
  gst_harness_push (h, rtp_buf (102, SSRC, 0));
  /* a new sender: what was held goes out, the new numbering starts; its
   * first packets are held like the very first ones */
  gst_harness_push (h, rtp_buf (40001, SSRC + 1, 0));
  gst_harness_push (h, rtp_buf (40000, SSRC + 1, 0));
  assert_log ("100 R101+1 D102");
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless_equals_uint64 (pending_clock_time (h), 2 * START_END);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (2);
  assert_log ("D40000 40001");

  /* a jump beyond max-dropout within one SSRC is a restart too */
  gst_harness_push (h, rtp_buf (50001, SSRC + 1, 0));
  gst_harness_push (h, rtp_buf (50000, SSRC + 1, 0));
  gst_harness_push (h, rtp_buf (50002, SSRC + 1, 0));
  assert_log ("");
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (3);
  assert_log ("D50000 50001 50002");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "resets"), 2);
  fail_unless_equals_uint64 (stat (s, "lost"), 1);
  fail_unless_equals_uint64 (stat (s, "late"), 0);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_meta_validate)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstStructure *s;

  g_object_set (h->element, "seqnum-source", 1 /* meta */ ,
      "validate", TRUE, NULL);
  gst_harness_push (h, meta_buf (0, FALSE));
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (1);
  gst_harness_push (h, meta_buf (1, FALSE));
  gst_harness_push (h, meta_buf (2, TRUE));     /* corrupted */
  gst_harness_push (h, meta_buf (3, FALSE));
  assert_log ("0 1");
  /* a good copy of 2 is still welcome */
  gst_harness_push (h, meta_buf (2, FALSE));
  assert_log ("2 3");
  gst_harness_push (h, meta_buf (4, TRUE));
  gst_harness_push (h, meta_buf (5, FALSE));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  assert_log ("L4+1 D5 EOS");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "invalid"), 2);
  fail_unless_equals_uint64 (stat (s, "pushed"), 5);
  fail_unless_equals_uint64 (stat (s, "in"), 7);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_offset_window_without_clock)
{
  /* no clock: only the window releases a gap, and ends the start */
  GstHarness *h = setup ("application/octet-stream", FALSE);
  GstStructure *s;
  guint64 i;

  g_object_set (h->element, "seqnum-source", 3 /* offset */ ,
      "window", 4, NULL);
  push_offset (h, 11);
  push_offset (h, 12);
  push_offset (h, 10);
  assert_log ("");
  /* 10..13 fill the window: nothing lower can come */
  push_offset (h, 13);
  assert_log ("10 11 12 13");
  /* 14 lost: 15..17 held, 18 is 4 ahead of it */
  for (i = 15; i <= 17; i++)
    push_offset (h, i);
  assert_log ("");
  push_offset (h, 18);
  assert_log ("L14+1 D15 16 17 18");
  /* a number a window below is late */
  push_offset (h, 9);
  assert_log ("");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "timeouts"), 0);
  fail_unless_equals_uint64 (stat (s, "lost"), 1);
  fail_unless_equals_uint64 (stat (s, "late"), 1);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_duplicates)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstStructure *s;

  push_offset (h, 0);
  push_offset (h, 0);
  push_offset (h, 2);
  push_offset (h, 2);
  push_offset (h, 1);
  /* also while the start window holds them */
  assert_log ("");
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (3);
  assert_log ("0 1 2");
  g_object_set (h->element, "drop-duplicates", FALSE, NULL);
  push_offset (h, 1);
  assert_log ("1");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "duplicates"), 3);
  fail_unless_equals_uint64 (stat (s, "dropped"), 2);
  gst_structure_free (s);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_overflow_max_size)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstStructure *s;

  g_object_set (h->element, "max-size-buffers", 2, NULL);
  start_offset (h, 0);
  push_offset (h, 2);
  push_offset (h, 3);
  assert_log ("");
  push_offset (h, 5);
  /* a third held chunk: the oldest gap gives way, nothing is dropped */
  assert_log ("L1+1 D2 3");
  g_object_set (h->element, "max-size-buffers", 0, "max-size-bytes",
      (guint64) 150, NULL);
  push_offset (h, 7);
  assert_log ("L4+1 D5");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "overflows"), 2);
  fail_unless_equals_uint64 (stat (s, "held"), 1);
  fail_unless_equals_uint64 (stat (s, "held-bytes"), 100);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

/* Going down to READY deactivates the src pad first: a sticky event that
 * still comes in (a new segment before a buffer) is refused with FLUSHING,
 * never with an error that makes the source post "Internal data stream
 * error" at shutdown. */
GST_START_TEST (test_sticky_event_after_src_deactivated)
{
  GstHarness *h = setup ("application/octet-stream", FALSE);
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GstSegment seg;

  push_offset (h, 0);
  fail_unless (gst_pad_set_active (srcpad, FALSE));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = GST_SECOND;
  /* stored on the harness pad, sent before the next buffer */
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  fail_unless_equals_int (gst_harness_push (h, offset_buf (1, 0)),
      GST_FLOW_FLUSHING);
  fail_unless (gst_pad_set_active (srcpad, TRUE));
  gst_object_unref (srcpad);
  teardown (h);
}

GST_END_TEST;

/* A flush that comes in after the src pad went inactive (going down to
 * READY deactivates it first) does not start the timer task again: nothing
 * would stop it, and a test's teardown (gst_task_cleanup_all) waited for
 * it forever under valgrind in CI */
GST_START_TEST (test_flush_after_src_deactivated)
{
  GstHarness *h = setup ("application/octet-stream", FALSE);
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");

  push_offset (h, 0);
  fail_unless (gst_pad_set_active (srcpad, FALSE));
  fail_unless_equals_int (gst_pad_get_task_state (srcpad), GST_TASK_STOPPED);
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  fail_unless_equals_int (gst_pad_get_task_state (srcpad), GST_TASK_STOPPED);
  /* active again: the task runs */
  fail_unless (gst_pad_set_active (srcpad, TRUE));
  fail_unless_equals_int (gst_pad_get_task_state (srcpad), GST_TASK_STARTED);
  gst_object_unref (srcpad);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_forgets)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstStructure *s;

  start_offset (h, 0);
  push_offset (h, 2);
  push_offset (h, 3);
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless_equals_int (gst_harness_push (h, offset_buf (4, 0)),
      GST_FLOW_FLUSHING);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_set_src_caps_str (h, "application/octet-stream");
  /* the numbering starts again: an old number is fine, and the first ones
   * may come in any order within the window */
  push_offset (h, 2);
  push_offset (h, 1);
  assert_log ("");
  fail_unless (gst_harness_wait_for_clock_id_waits (h, 1, WAIT_S));
  fail_unless_equals_uint64 (pending_clock_time (h), 2 * START_END);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  wait_log_items (2);
  assert_log ("1 2");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "flushed"), 2);
  fail_unless_equals_uint64 (stat (s, "lost"), 0);
  fail_unless_equals_uint64 (stat (s, "late"), 0);
  gst_structure_free (s);
  check_accounting (h, TRUE);

  /* a flush while the start window holds forgets it too */
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_set_src_caps_str (h, "application/octet-stream");
  push_offset (h, 9);
  push_offset (h, 8);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_harness_set_src_caps_str (h, "application/octet-stream");
  assert_log ("");
  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "flushed"), 4);
  fail_unless_equals_uint64 (stat (s, "held"), 0);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_no_sequence_passthrough)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstStructure *s;
  guint i, warnings = 0;

  gst_element_set_bus (h->element, bus);
  for (i = 0; i < 10; i++) {
    GstBuffer *in = gst_buffer_new_allocate (NULL, 10, NULL), *out;

    gst_buffer_ref (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out == in);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    warnings++;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (warnings, 1);

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "passthrough"), 10);
  fail_unless_equals_uint64 (stat (s, "in"), 10);
  fail_unless_equals_uint64 (stat (s, "pushed"), 10);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_rtp_source_needs_rtp_caps)
{
  GstElement *pipe;
  GstElement *src;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  pipe = gst_parse_launch ("appsrc name=src caps=video/x-raw,format=I420 "
      "format=time ! chunkreorder name=r seqnum-source=rtp ! fakesink", NULL);
  fail_unless (pipe != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  gst_app_src_push_buffer (GST_APP_SRC (src), offset_buf (0, 0));

  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  fail_unless_equals_string (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "r");
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION));
  fail_unless (strstr (err->message, "video/x-raw") != NULL, "%s",
      err->message);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipe);
}

GST_END_TEST;

GST_START_TEST (test_latency_query)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstQuery *q;
  gboolean live;
  GstClockTime min, max;
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");

  gst_harness_set_upstream_latency (h, 10 * MS);
  q = gst_query_new_latency ();
  fail_unless (gst_pad_query (srcpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 60 * MS);
  gst_query_unref (q);

  g_object_set (h->element, "timeout", (guint64) 0, NULL);
  q = gst_query_new_latency ();
  fail_unless (gst_pad_query (srcpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless_equals_uint64 (min, 10 * MS);
  gst_query_unref (q);

  gst_object_unref (srcpad);
  teardown (h);
}

GST_END_TEST;

/* Random input: losses, duplicates, displacement, a few corrupt chunks and
 * a flush; the counters must balance and the output must be ordered. */
GST_START_TEST (test_window_shrinks_while_playing)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GstStructure *s;

  start_offset (h, 0);
  push_offset (h, 5);
  push_offset (h, 9);
  assert_log ("");
  /* 9 is 8 ahead of the gap at 1: a window of 4 cannot hold it, so the
   * gap 1..4 is given up (applied with the next chunk) */
  g_object_set (h->element, "window", 4, NULL);
  push_offset (h, 10);
  /* 10 is 4 ahead of 6: 6 is given up too; 9 and 10 wait for 7 and 8 */
  assert_log ("L1+4 D5");
  push_offset (h, 7);
  assert_log ("L6+1 D7");
  push_offset (h, 8);
  assert_log ("8 9 10");
  g_object_set (h->element, "window", 64, NULL);
  push_offset (h, 40);
  push_offset (h, 11);
  assert_log ("11");

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "held"), 1);
  fail_unless_equals_uint64 (stat (s, "lost"), 5);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_auto_prefers_meta)
{
  /* RTP caps, but the chunks carry GstChunkMeta: the meta numbers count,
   * and a loss is a GstChunkLost (the RTP numbers are not known) */
  GstHarness *h = setup (RTP_CAPS, TRUE);
  guint64 n[] = { 100, 102, 103 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (n); i++) {
    GstBuffer *buf = rtp_buf (7, SSRC, 0);      /* same RTP seqnum */

    gst_buffer_add_chunk_meta (buf, 1, n[i], GST_CHUNK_TYPE_AUDIO,
        GST_CHUNK_PRIORITY_HIGH);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  assert_log ("7 L101+1 D7 7 EOS");
  teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_accounting_identity)
{
  GstHarness *h = setup ("application/octet-stream", TRUE);
  GRand *rand = g_rand_new_with_seed (42);
  GArray *input = g_array_new (FALSE, FALSE, sizeof (guint64));
  GstStructure *s;
  guint64 seq, last = 0;
  guint i, received = 0;
  gboolean have_last = FALSE;
  GstBuffer *out;

  g_object_set (h->element, "validate", TRUE, NULL);
  for (seq = 0; seq < 3000; seq++) {
    if (g_rand_double (rand) < 0.02)
      continue;
    g_array_append_val (input, seq);
    if (g_rand_double (rand) < 0.02)
      g_array_append_val (input, seq);
  }
  for (i = 0; i + 1 < input->len; i++) {
    if (g_rand_double (rand) < 0.08) {
      guint j = MIN (input->len - 1, i + g_rand_int_range (rand, 1, 40));
      guint64 tmp = g_array_index (input, guint64, i);

      g_array_index (input, guint64, i) = g_array_index (input, guint64, j);
      g_array_index (input, guint64, j) = tmp;
    }
  }

  for (i = 0; i < input->len; i++) {
    GstFlowReturn ret;

    seq = g_array_index (input, guint64, i);
    gst_harness_set_time (h, i * MS);
    /* let the timer give up gaps that are too old */
    while (pending_clock_ids (h) > 0 && pending_clock_time (h) <= i * MS)
      gst_harness_crank_single_clock_wait (h);
    if (i == input->len / 2) {
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
      gst_harness_set_src_caps_str (h, "application/octet-stream");
      have_last = FALSE;
    }
    ret = gst_harness_push (h, meta_buf (seq, g_rand_double (rand) < 0.01));
    fail_unless_equals_int (ret, GST_FLOW_OK);
    while ((out = gst_harness_try_pull (h))) {
      received++;
      seq = gst_buffer_get_chunk_meta (out)->seqnum;
      if (have_last)
        fail_unless (seq > last, "%" G_GUINT64_FORMAT " after %"
            G_GUINT64_FORMAT, seq, last);
      last = seq;
      have_last = TRUE;
      gst_buffer_unref (out);
    }
  }

  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "in"), input->len);
  fail_unless_equals_uint64 (stat (s, "pushed"), received);
  fail_unless (stat (s, "duplicates") > 0);
  fail_unless (stat (s, "invalid") > 0);
  fail_unless (stat (s, "lost") > 0);
  fail_unless (stat (s, "reordered") > 0);
  gst_structure_free (s);
  check_accounting (h, TRUE);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((out = gst_harness_try_pull (h))) {
    received++;
    gst_buffer_unref (out);
  }
  s = get_stats (h);
  fail_unless_equals_uint64 (stat (s, "held"), 0);
  fail_unless_equals_uint64 (stat (s, "pushed"), received);
  gst_structure_free (s);
  check_accounting (h, TRUE);

  g_array_free (input, TRUE);
  g_rand_free (rand);
  teardown (h);
}

GST_END_TEST;

/* Real clock, 1 ms timeout: the timer thread fires while the streaming
 * thread pushes, flushes and the element pauses and resumes. Nothing may
 * hang, crash, reorder or go uncounted. */
GST_START_TEST (test_stress_real_clock)
{
  GstHarness *h = setup ("application/octet-stream", FALSE);
  GRand *rand = g_rand_new_with_seed (7);
  GstStructure *s;
  GstBuffer *out;
  guint64 next = 0, last = 0;
  guint i, received = 0;
  gboolean have_last = FALSE;

  gst_harness_use_systemclock (h);
  g_object_set (h->element, "timeout", (guint64) GST_MSECOND, "window", 64,
      NULL);
  for (i = 0; i < 10000; i++) {
    guint64 seq;

    if (i % 1000 == 999) {
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
      gst_harness_set_src_caps_str (h, "application/octet-stream");
      while ((out = gst_harness_try_pull (h))) {
        received++;
        gst_buffer_unref (out);
      }
      have_last = FALSE;
    }
    if (i % 1500 == 700) {
      gst_element_set_state (h->element, GST_STATE_PAUSED);
      gst_element_set_state (h->element, GST_STATE_PLAYING);
    }
    /* mostly in order, some displaced, some lost, some repeated */
    seq = next++;
    if (g_rand_double (rand) < 0.05)
      seq += g_rand_int_range (rand, 1, 8);
    if (g_rand_double (rand) < 0.01)
      next++;
    fail_unless_equals_int (gst_harness_push (h, offset_buf (seq, 0)),
        GST_FLOW_OK);
    /* ~1 ms per 16 chunks: the 1 ms timeout and the window both act */
    if (i % 8 == 0)
      g_usleep (500);
    while ((out = gst_harness_try_pull (h))) {
      received++;
      if (have_last)
        fail_unless (GST_BUFFER_OFFSET (out) > last);
      last = GST_BUFFER_OFFSET (out);
      have_last = TRUE;
      gst_buffer_unref (out);
    }
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((out = gst_harness_try_pull (h))) {
    received++;
    gst_buffer_unref (out);
  }

  s = get_stats (h);
  GST_INFO ("%" GST_PTR_FORMAT, s);
  fail_unless_equals_uint64 (stat (s, "in"), 10000);
  fail_unless (stat (s, "timeouts") > 0);
  fail_unless_equals_uint64 (stat (s, "pushed"), received);
  fail_unless_equals_uint64 (stat (s, "held"), 0);
  gst_structure_free (s);
  check_accounting (h, TRUE);
  g_rand_free (rand);
  teardown (h);
}

GST_END_TEST;

/* ---- a real pipeline ------------------------------------------------- */

typedef struct
{
  GMutex lock;
  guint in_count;
  guint dropped_by_test;
  guint buffers;
  guint out_of_order;
  guint lost_events;
  guint64 last_ext;
  guint64 highest;
  gboolean have_last;
  guint decoded;
} PipeState;

static GstPadProbeReturn
drop_some_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PipeState *st = user_data;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  g_mutex_lock (&st->lock);
  st->in_count++;
  /* a deterministic loss on top of netsim's random ones */
  if (st->in_count == 40 || st->in_count == 41 || st->in_count == 100) {
    st->dropped_by_test++;
    ret = GST_PAD_PROBE_DROP;
  }
  g_mutex_unlock (&st->lock);
  return ret;
}

static GstPadProbeReturn
order_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PipeState *st = user_data;

  g_mutex_lock (&st->lock);
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    guint16 seq;
    guint64 ext;

    fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
    seq = gst_rtp_buffer_get_seq (&rtp);
    gst_rtp_buffer_unmap (&rtp);
    /* extend independently of the element */
    if (!st->have_last) {
      ext = 65536 + seq;
    } else {
      ext = st->last_ext + (gint16) (seq - (guint16) st->last_ext);
    }
    if (st->have_last && ext <= st->last_ext)
      st->out_of_order++;
    st->last_ext = ext;
    st->have_last = TRUE;
    st->buffers++;
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (gst_event_has_name (ev, "GstRTPPacketLost"))
      st->lost_events++;
  }
  g_mutex_unlock (&st->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PipeState *st = user_data;

  g_mutex_lock (&st->lock);
  st->decoded++;
  g_mutex_unlock (&st->lock);
  return GST_PAD_PROBE_OK;
}

static gboolean
have_elements (const gchar * const *names)
{
  for (; *names; names++) {
    GstElementFactory *f = gst_element_factory_find (*names);
    if (f == NULL) {
      GST_ERROR ("element %s is missing: run scripts/install-deps.sh", *names);
      return FALSE;
    }
    gst_object_unref (f);
  }
  return TRUE;
}

GST_START_TEST (test_pipeline_netsim)
{
  const gchar *const needed[] = { "videotestsrc", "x264enc", "rtph264pay",
    "netsim", "rtph264depay", "avdec_h264", "fakesink", NULL
  };
  PipeState st = { 0 };
  GstElement *pipe, *el;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GstStructure *s;
  guint warnings = 0;
  gboolean done = FALSE;
  GError *err = NULL;

  fail_unless (have_elements (needed));
  g_mutex_init (&st.lock);

  pipe = gst_parse_launch ("videotestsrc is-live=true num-buffers=60 "
      "! video/x-raw,width=320,height=240,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast bitrate=600 "
      "key-int-max=15 ! rtph264pay mtu=300 config-interval=-1 "
      "! netsim name=net delay-probability=0.1 min-delay=2 max-delay=30 "
      "drop-probability=0.02 ! chunkreorder name=r "
      "! rtph264depay ! avdec_h264 name=dec ! fakesink name=sink", &err);
  fail_unless (pipe != NULL && err == NULL);

  el = gst_bin_get_by_name (GST_BIN (pipe), "net");
  pad = gst_element_get_static_pad (el, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop_some_probe, &st,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (el);

  el = gst_bin_get_by_name (GST_BIN (pipe), "r");
  pad = gst_element_get_static_pad (el, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, order_probe, &st, NULL);
  gst_object_unref (pad);

  {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
    pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, decoded_probe, &st,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (sink);
  }

  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (!done) {
    msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS);
    fail_unless (msg != NULL, "pipeline did not finish in 30 s");
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:{
        gchar *dbg = NULL;
        gst_message_parse_error (msg, &err, &dbg);
        fail ("error from %s: %s (%s)", GST_OBJECT_NAME (msg->src),
            err->message, dbg);
        break;
      }
      case GST_MESSAGE_WARNING:
        /* a decoder may complain about a frame with lost slices */
        warnings++;
        break;
      default:
        done = TRUE;
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);

  g_object_get (el, "stats", &s, NULL);
  GST_INFO ("stats %" GST_PTR_FORMAT ", %u buffers, %u lost events, "
      "%u decoded, %u warnings", s, st.buffers, st.lost_events, st.decoded,
      warnings);
  /* order restored, losses announced, pictures decoded */
  fail_unless_equals_int (st.out_of_order, 0);
  fail_unless (st.buffers > 100);
  fail_unless_equals_int (st.dropped_by_test, 3);
  fail_unless (stat (s, "lost") >= 3);
  fail_unless (st.lost_events >= 2);
  fail_unless (stat (s, "reordered") > 0);
  fail_unless (st.decoded > 30);
  fail_unless_equals_uint64 (stat (s, "in"),
      stat (s, "pushed") + stat (s, "dropped") + stat (s, "held") +
      stat (s, "flushed"));
  fail_unless_equals_uint64 (stat (s, "pushed"), st.buffers);
  gst_structure_free (s);

  gst_object_unref (el);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_mutex_clear (&st.lock);
}

GST_END_TEST;

/* ---- the first chunks of a numbering, in any order -------------------- */

typedef enum
{
  KIND_OFFSET,
  KIND_META,
  KIND_RTP,
} SeqKind;

/* Push n chunks numbered base.. (RTP: 16-bit numbers from base, wrapping),
 * shuffled within blocks of @block, one ms apart when @advance (the timer
 * fires as it would), and append what must come out to @want. */
static void
push_shuffled (GstHarness * h, GRand * rand, SeqKind kind, guint64 base,
    guint n, guint block, gboolean advance, gboolean discont, GString * want)
{
  guint64 *order = g_new (guint64, n);
  guint i, b;
  static GstClockTime now = 0;

  for (i = 0; i < n; i++) {
    order[i] = base + i;
    if (want->len > 0)
      g_string_append_c (want, ' ');
    if (i == 0 && discont)
      g_string_append_c (want, 'D');
    g_string_append_printf (want, "%" G_GUINT64_FORMAT,
        kind == KIND_RTP ? (guint64) (guint16) (base + i) : base + i);
  }
  for (b = 0; b < n; b += block) {
    guint len = MIN (block, n - b);

    for (i = len - 1; i > 0; i--) {
      guint j = g_rand_int_range (rand, 0, i + 1);
      guint64 t = order[b + i];
      order[b + i] = order[b + j];
      order[b + j] = t;
    }
  }

  for (i = 0; i < n; i++) {
    GstBuffer *buf;

    if (advance) {
      GstTestClock *tc = gst_harness_get_testclock (h);

      now = MAX (now, gst_clock_get_time (GST_CLOCK (tc))) + MS;
      gst_object_unref (tc);
      gst_harness_set_time (h, now);
      while (pending_clock_ids (h) > 0 && pending_clock_time (h) <= now)
        gst_harness_crank_single_clock_wait (h);
    }
    switch (kind) {
      case KIND_OFFSET:
        buf = offset_buf (order[i], (order[i] - base) * 10 * MS);
        break;
      case KIND_META:
        buf = meta_buf (order[i], FALSE);
        break;
      default:
        buf = rtp_buf ((guint16) order[i], SSRC, (order[i] - base) * 10 * MS);
        break;
    }
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  g_free (order);
}

static void
drop_output (GstHarness * h)
{
  GstBuffer *b;

  while ((b = gst_harness_try_pull (h)))
    gst_buffer_unref (b);
}

/* Chunks shuffled within blocks of up to 8 from the very first one,
 * window 32: every chunk comes out, in order, for offsets, chunk meta and
 * RTP (whose first numbers straddle the 16-bit wrap); at the start, after
 * a flush and after a max-dropout restart; ended by the window alone (the
 * clock stands still) or by the timer as time passes. */
GST_START_TEST (test_start_shuffled)
{
  guint round;

  for (round = 0; round < 36; round++) {
    SeqKind kind = round % 3;
    guint scenario = (round / 3) % 3;   /* start, flush, restart */
    gboolean advance = (round / 9) % 2;
    GRand *rand = g_rand_new_with_seed (round + 1);
    GstHarness *h = setup (kind == KIND_RTP ? RTP_CAPS :
        "application/octet-stream", TRUE);
    GString *want = g_string_new (NULL);
    guint block = g_rand_int_range (rand, 2, 9);
    guint64 base;
    GstStructure *s;
    gchar *l;

    g_object_set (h->element, "window", 32, "seqnum-source",
        kind == KIND_OFFSET ? 3 : kind == KIND_META ? 1 : 2, NULL);
    switch (kind) {
      case KIND_OFFSET:
        base = 0;
        break;
      case KIND_META:
        base = G_GUINT64_CONSTANT (1) << 40;
        break;
      default:
        base = 65535 - g_rand_int_range (rand, 0, 20);
        break;
    }

    push_shuffled (h, rand, kind, base, 120, block, advance, FALSE, want);
    if (scenario == 1) {
      /* what was held is gone with the flush; then a new numbering */
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
      fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
      gst_harness_set_src_caps_str (h, kind == KIND_RTP ? RTP_CAPS :
          "application/octet-stream");
      g_free (log_take ());
      drop_output (h);
      g_string_truncate (want, 0);
      base += kind == KIND_RTP ? 20 : 7;
      push_shuffled (h, rand, kind, base, 120, block, advance, FALSE, want);
    } else if (scenario == 2) {
      /* a sender restart: a jump beyond max-dropout */
      base += 120 + 20000;
      push_shuffled (h, rand, kind, base, 120, block, advance, TRUE, want);
    }
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    g_string_append (want, " EOS");

    l = log_take ();
    fail_unless_equals_string (l, want->str);
    g_free (l);
    s = get_stats (h);
    fail_unless_equals_uint64 (stat (s, "late"), 0);
    fail_unless_equals_uint64 (stat (s, "lost"), 0);
    fail_unless_equals_uint64 (stat (s, "resets"), scenario == 2 ? 1 : 0);
    fail_unless (stat (s, "max-reorder-distance") < 8);
    gst_structure_free (s);
    check_accounting (h, TRUE);

    g_string_free (want, TRUE);
    g_rand_free (rand);
    teardown (h);
  }
}

GST_END_TEST;

static Suite *
chunkreorder_suite (void)
{
  Suite *s = suite_create ("chunkreorder");
  TCase *tc = tcase_create ("harness");
  TCase *tp = tcase_create ("pipeline");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_in_order_straight_through);
  tcase_add_test (tc, test_gap_closes_before_timeout);
  tcase_add_test (tc, test_gap_times_out);
  tcase_add_test (tc, test_many_holes_one_clock_wait);
  tcase_add_test (tc, test_eos_while_holding);
  tcase_add_test (tc, test_serialized_event_releases);
  tcase_add_test (tc, test_rtp_wraparound);
  tcase_add_test (tc, test_rtp_ssrc_change_and_dropout);
  tcase_add_test (tc, test_meta_validate);
  tcase_add_test (tc, test_offset_window_without_clock);
  tcase_add_test (tc, test_duplicates);
  tcase_add_test (tc, test_overflow_max_size);
  tcase_add_test (tc, test_flush_forgets);
  tcase_add_test (tc, test_sticky_event_after_src_deactivated);
  tcase_add_test (tc, test_flush_after_src_deactivated);
  tcase_add_test (tc, test_no_sequence_passthrough);
  tcase_add_test (tc, test_rtp_source_needs_rtp_caps);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_window_shrinks_while_playing);
  tcase_add_test (tc, test_auto_prefers_meta);
  tcase_add_test (tc, test_accounting_identity);
  tcase_add_test (tc, test_stress_real_clock);
  tcase_add_test (tc, test_start_shuffled);

  suite_add_tcase (s, tp);
  tcase_set_timeout (tp, 60);
  tcase_add_test (tp, test_pipeline_netsim);

  return s;
}

GST_CHECK_MAIN (chunkreorder);
