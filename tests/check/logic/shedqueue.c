/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of prioqueue's shedding policy: no pipeline, no clock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "shedqueue.h"

#define MS (G_GUINT64_CONSTANT (1000000))
#define FRAME (33 * MS)

#define H SHED_CLASS_HIGH
#define N SHED_CLASS_NORMAL
#define L SHED_CLASS_LOW
#define KEY SHED_FLAG_KEYFRAME
#define DELTA SHED_FLAG_DELTA

/* A test buffer: its index in the fixture is its identity */
typedef struct
{
  guint id;
  ShedClass klass;
  guint flags;
  guint64 time;
  guint64 pts;
  guint gop;
  gboolean dropped;
  gboolean out;
  gboolean discont;
  ShedReason reason;
} Item;

typedef struct
{
  ShedQueue *q;
  GPtrArray *items;             /* Item*, owned */
  GArray *out;                  /* ids popped, in order */
  GArray *events_out;           /* positions in out where events came */
  guint64 now;
} Fixture;

static void
fixture_init (Fixture * f, guint max_buffers, guint64 max_bytes,
    guint64 max_time, ShedMode mode)
{
  ShedConfig cfg = { max_buffers, max_bytes, max_time, mode };

  f->q = shed_queue_new (&cfg);
  fail_unless_equals_int (shed_queue_add_stream (f->q, 0), 0);
  f->items = g_ptr_array_new_with_free_func (g_free);
  f->out = g_array_new (FALSE, FALSE, sizeof (guint));
  f->events_out = g_array_new (FALSE, FALSE, sizeof (guint));
  f->now = 0;
}

static void
fixture_clear (Fixture * f)
{
  shed_queue_free (f->q, NULL);
  g_ptr_array_free (f->items, TRUE);
  g_array_free (f->out, TRUE);
  g_array_free (f->events_out, TRUE);
}

static Item *
item_at (Fixture * f, guint id)
{
  return g_ptr_array_index (f->items, id);
}

/* take the drop list: mark the items */
static guint
collect_drops (Fixture * f)
{
  guint i, n;
  const ShedDrop *d = shed_queue_get_drops (f->q, &n);

  for (i = 0; i < n; i++) {
    Item *it = d[i].item;
    fail_if (it->dropped, "item %u dropped twice", it->id);
    fail_if (it->out, "item %u dropped after output", it->id);
    fail_unless_equals_int (d[i].klass, it->klass);
    fail_unless_equals_int (d[i].lower_queued, 0);
    it->dropped = TRUE;
    it->reason = d[i].reason;
  }
  shed_queue_clear_drops (f->q);
  return n;
}

static guint
push_full (Fixture * f, guint stream, ShedClass klass, guint flags,
    guint64 time, guint64 pts, gsize size)
{
  Item *it = g_new0 (Item, 1);
  ShedBufferInfo info;

  it->id = f->items->len;
  it->klass = klass;
  it->flags = flags;
  it->time = time;
  it->pts = pts;
  g_ptr_array_add (f->items, it);

  info.size = size;
  info.time = time;
  info.duration = FRAME;
  info.pts = pts;
  info.klass = klass;
  info.flags = flags;
  shed_queue_push_buffer (f->q, stream, it, &info, f->now);
  collect_drops (f);
  return it->id;
}

/* a buffer at frame index @i of stream 0 */
static guint
push (Fixture * f, ShedClass klass, guint flags, guint i)
{
  return push_full (f, 0, klass, flags, i * FRAME, i * FRAME, 100);
}

static gint
pop (Fixture * f, guint stream)
{
  ShedPopInfo info;
  Item *it = shed_queue_pop (f->q, stream, f->now, &info);

  if (it == NULL)
    return -1;
  if (!info.is_buffer) {
    guint pos = f->out->len;
    g_array_append_val (f->events_out, pos);
    return -2;
  }
  fail_unless_equals_int (info.klass, it->klass);
  it->out = TRUE;
  it->discont = info.discont;
  g_array_append_val (f->out, it->id);
  return (gint) it->id;
}

static void
check_accounting (Fixture * f)
{
  ShedStats st;
  guint64 in = 0, out = 0, dropped = 0, reasons = 0;
  guint c, i, n_out = 0, n_dropped = 0;

  shed_queue_get_stats (f->q, &st);
  for (c = 0; c < SHED_N_CLASSES; c++) {
    in += st.in[c];
    out += st.out[c];
    dropped += st.dropped[c];
  }
  for (c = 0; c < SHED_N_REASONS; c++)
    reasons += st.dropped_reason[c];
  for (i = 0; i < f->items->len; i++) {
    Item *it = item_at (f, i);
    n_out += it->out;
    n_dropped += it->dropped;
  }
  fail_unless_equals_uint64 (dropped, reasons);
  fail_unless_equals_uint64 (out, n_out);
  fail_unless_equals_uint64 (dropped, n_dropped);
  fail_unless_equals_uint64 (in, out + dropped + st.level_buffers);
  fail_unless_equals_uint64 (st.level_buffers,
      st.level_class[0] + st.level_class[1] + st.level_class[2]);
  fail_unless_equals_uint64 (st.high_dropped_lower_queued, 0);
}

GST_START_TEST (test_fifo_no_drops)
{
  Fixture f;
  guint i;
  gint id;

  fixture_init (&f, 10, 0, 0, SHED_MODE_SHED);
  push (&f, H, KEY, 0);
  push (&f, N, DELTA, 1);
  shed_queue_push_other (f.q, 0, GUINT_TO_POINTER (0xe1));
  push (&f, L, DELTA, 2);
  fail_unless_equals_int (shed_queue_stream_n_items (f.q, 0), 4);
  fail_if (shed_queue_is_full (f.q));

  fail_unless_equals_int (pop (&f, 0), 0);
  fail_unless_equals_int (pop (&f, 0), 1);
  fail_unless_equals_int (pop (&f, 0), -2);
  fail_unless_equals_int (pop (&f, 0), 2);
  fail_unless_equals_int (pop (&f, 0), -1);
  fail_unless_equals_int (f.events_out->len, 1);
  fail_unless_equals_int (g_array_index (f.events_out, guint, 0), 2);
  for (i = 0; i < f.out->len; i++) {
    id = g_array_index (f.out, guint, i);
    fail_unless_equals_int (id, i);
    fail_if (item_at (&f, id)->discont);
  }
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* a serialized query whose caller gave up is taken out again, wherever it
 * stands, and only once */
GST_START_TEST (test_remove_other)
{
  Fixture f;

  fixture_init (&f, 10, 0, 0, SHED_MODE_SHED);
  push (&f, H, KEY, 0);
  shed_queue_push_other (f.q, 0, GUINT_TO_POINTER (0xe1));
  push (&f, N, DELTA, 1);
  shed_queue_push_other (f.q, 0, GUINT_TO_POINTER (0xe2));
  fail_unless_equals_int (shed_queue_stream_n_items (f.q, 0), 4);

  fail_unless (shed_queue_remove_other (f.q, 0, GUINT_TO_POINTER (0xe1)));
  fail_if (shed_queue_remove_other (f.q, 0, GUINT_TO_POINTER (0xe1)));
  /* buffers are never matched */
  fail_if (shed_queue_remove_other (f.q, 0, item_at (&f, 0)));
  fail_unless_equals_int (shed_queue_stream_n_items (f.q, 0), 3);

  fail_unless_equals_int (pop (&f, 0), 0);
  fail_unless_equals_int (pop (&f, 0), 1);
  fail_unless (shed_queue_remove_other (f.q, 0, GUINT_TO_POINTER (0xe2)));
  fail_unless_equals_int (pop (&f, 0), -1);
  fail_unless_equals_int (f.events_out->len, 0);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* full: Low goes first, oldest first; then Normal; HIGH stays */
GST_START_TEST (test_class_order_oldest_first)
{
  Fixture f;
  guint k, n1, l1, n2, l2, l3;

  fixture_init (&f, 5, 0, 0, SHED_MODE_SHED);
  k = push (&f, H, KEY, 0);
  n1 = push (&f, N, DELTA, 1);
  l1 = push (&f, L, DELTA, 2);
  n2 = push (&f, N, DELTA, 3);
  l2 = push (&f, L, DELTA, 4);
  fail_unless (shed_queue_is_full (f.q));
  /* the sixth buffer pushes out the oldest Low */
  l3 = push (&f, L, DELTA, 5);
  fail_unless (item_at (&f, l1)->dropped);
  fail_unless_equals_int (item_at (&f, l1)->reason, SHED_REASON_BUFFERS);
  fail_if (item_at (&f, l2)->dropped);
  /* the next one the next oldest Low, even though it is itself Low */
  push (&f, H, 0, 6);           /* e.g. a header: HIGH without dependency */
  fail_unless (item_at (&f, l2)->dropped);
  fail_if (item_at (&f, l3)->dropped);
  push (&f, H, 0, 7);
  fail_unless (item_at (&f, l3)->dropped);
  /* no Low left: the oldest Normal goes, and with it the later delta n2 */
  push (&f, H, 0, 8);
  fail_unless (item_at (&f, n1)->dropped);
  fail_unless_equals_int (item_at (&f, n1)->reason, SHED_REASON_BUFFERS);
  fail_unless (item_at (&f, n2)->dropped);
  fail_unless_equals_int (item_at (&f, n2)->reason, SHED_REASON_KEYFRAME_WAIT);
  fail_if (item_at (&f, k)->dropped);
  fail_unless (shed_queue_stream_is_waiting (f.q, 0));
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* dropping a reference drops the later deltas, queued and incoming, up to
 * the next keyframe; earlier deltas stay */
GST_START_TEST (test_keyframe_wait_includes_queued)
{
  Fixture f;
  guint k1, n1, n2, l1, n3, k2, n4, l2;
  ShedStats st;

  fixture_init (&f, 6, 0, 0, SHED_MODE_SHED);
  k1 = push (&f, H, KEY, 0);
  n1 = push (&f, N, DELTA, 1);
  n2 = push (&f, N, DELTA, 2);
  l1 = push (&f, L, DELTA, 3);
  n3 = push (&f, N, DELTA, 4);
  push (&f, H, 0, 5);
  /* over: l1 (the only Low) goes first */
  push (&f, H, 0, 6);
  fail_unless (item_at (&f, l1)->dropped);
  /* over again: oldest Normal n1, then n2 and n3 depend on it */
  push (&f, H, 0, 7);
  fail_unless (item_at (&f, n1)->dropped);
  fail_unless (item_at (&f, n2)->dropped);
  fail_unless (item_at (&f, n3)->dropped);
  fail_unless (shed_queue_stream_is_waiting (f.q, 0));

  /* incoming deltas are refused until a keyframe */
  n4 = push (&f, N, DELTA, 8);
  l2 = push (&f, L, DELTA, 9);
  fail_unless (item_at (&f, n4)->dropped);
  fail_unless (item_at (&f, l2)->dropped);
  fail_unless_equals_int (item_at (&f, l2)->reason, SHED_REASON_KEYFRAME_WAIT);
  k2 = push (&f, H, KEY, 10);
  fail_if (item_at (&f, k2)->dropped);
  fail_if (shed_queue_stream_is_waiting (f.q, 0));
  push (&f, N, DELTA, 11);

  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.keyframe_waits, 1);
  fail_unless_equals_uint64 (st.dropped[H], 0);
  fail_unless_equals_uint64 (st.dropped_reason[SHED_REASON_KEYFRAME_WAIT], 4);

  /* output: k1, the HIGH headers, k2 marked discont, then the delta */
  while (pop (&f, 0) != -1);
  fail_unless (item_at (&f, k1)->out);
  fail_if (item_at (&f, k1)->discont);
  fail_unless (item_at (&f, k2)->out);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_cascade_stops_at_keyframe)
{
  Fixture f;
  guint n1, n2, k2, n3, l3;

  fixture_init (&f, 5, 0, 0, SHED_MODE_SHED);
  push (&f, H, KEY, 0);
  n1 = push (&f, N, DELTA, 1);
  n2 = push (&f, N, DELTA, 2);
  k2 = push (&f, H, KEY, 3);
  n3 = push (&f, N, DELTA, 4);
  l3 = push (&f, L, DELTA, 5);
  /* the Low went first */
  fail_unless (item_at (&f, l3)->dropped);
  push (&f, N, DELTA, 6);
  /* then n1 and n2 (same GOP); k2's GOP is untouched */
  fail_unless (item_at (&f, n1)->dropped);
  fail_unless (item_at (&f, n2)->dropped);
  fail_if (item_at (&f, k2)->dropped);
  fail_if (item_at (&f, n3)->dropped);
  fail_if (shed_queue_stream_is_waiting (f.q, 0));
  /* k2 follows a gap: it is the one marked discont */
  while (pop (&f, 0) != -1);
  fail_unless (item_at (&f, k2)->discont);
  fail_if (item_at (&f, n3)->discont);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* open GOP: after the wait ends at a keyframe, deltas presented before it
 * (leading pictures) may reference what was dropped: they go too */
GST_START_TEST (test_leading_pictures_after_wait)
{
  Fixture f;
  guint k, lead1, lead2, after;

  fixture_init (&f, 3, 0, 0, SHED_MODE_SHED);
  push_full (&f, 0, H, KEY, 0, 0, 100);
  push_full (&f, 0, N, DELTA, FRAME, 3 * FRAME, 100);
  push_full (&f, 0, N, DELTA, 2 * FRAME, 6 * FRAME, 100);
  /* over by one: the oldest Normal, then its dependent: wait */
  push_full (&f, 0, H, 0, 3 * FRAME, SHED_TIME_NONE, 100);
  fail_unless (shed_queue_stream_is_waiting (f.q, 0));
  while (pop (&f, 0) != -1);
  k = push_full (&f, 0, H, KEY, 4 * FRAME, 9 * FRAME, 100);
  lead1 = push_full (&f, 0, L, DELTA, 5 * FRAME, 7 * FRAME, 100);
  lead2 = push_full (&f, 0, N, DELTA, 6 * FRAME, 8 * FRAME, 100);
  after = push_full (&f, 0, N, DELTA, 7 * FRAME, 12 * FRAME, 100);
  fail_if (item_at (&f, k)->dropped);
  fail_unless (item_at (&f, lead1)->dropped);
  fail_unless (item_at (&f, lead2)->dropped);
  fail_unless_equals_int (item_at (&f, lead2)->reason,
      SHED_REASON_KEYFRAME_WAIT);
  fail_if (item_at (&f, after)->dropped);
  /* from here on earlier pts are fine again (closed GOP B-frames) */
  fail_if (item_at (&f, push_full (&f, 0, L, DELTA, 8 * FRAME, 10 * FRAME,
              100))->dropped);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* the same inside the queue: the cascade resumes at a queued keyframe and
 * takes its leading pictures */
GST_START_TEST (test_leading_pictures_in_queue)
{
  Fixture f;
  guint n1, k2, lead, after;

  fixture_init (&f, 6, 0, 0, SHED_MODE_SHED);
  push_full (&f, 0, H, KEY, 0, 0, 100);
  n1 = push_full (&f, 0, N, DELTA, FRAME, 2 * FRAME, 100);
  k2 = push_full (&f, 0, H, KEY, 2 * FRAME, 5 * FRAME, 100);
  lead = push_full (&f, 0, N, DELTA, 3 * FRAME, 4 * FRAME, 100);
  after = push_full (&f, 0, N, DELTA, 4 * FRAME, 7 * FRAME, 100);
  push_full (&f, 0, H, 0, 5 * FRAME, SHED_TIME_NONE, 100);
  push_full (&f, 0, H, 0, 6 * FRAME, SHED_TIME_NONE, 100);
  fail_unless (item_at (&f, n1)->dropped);
  fail_if (item_at (&f, k2)->dropped);
  fail_unless (item_at (&f, lead)->dropped);
  fail_if (item_at (&f, after)->dropped);
  fail_if (shed_queue_stream_is_waiting (f.q, 0));
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* HIGH goes only when nothing lower is queued; it is counted apart */
GST_START_TEST (test_high_last_resort)
{
  Fixture f;
  ShedStats st;
  guint a0, a1, a2, a3, l;

  fixture_init (&f, 3, 0, 0, SHED_MODE_SHED);
  a0 = push (&f, H, 0, 0);
  a1 = push (&f, H, 0, 1);
  l = push (&f, L, DELTA, 2);
  a2 = push (&f, H, 0, 3);
  fail_unless (item_at (&f, l)->dropped);
  fail_if (item_at (&f, a0)->dropped);
  a3 = push (&f, H, 0, 4);
  fail_unless (item_at (&f, a0)->dropped);
  fail_unless_equals_int (item_at (&f, a0)->reason, SHED_REASON_BUFFERS);
  fail_if (item_at (&f, a1)->dropped);
  fail_if (item_at (&f, a2)->dropped);
  fail_if (item_at (&f, a3)->dropped);

  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.dropped[H], 1);
  fail_unless_equals_uint64 (st.dropped[L], 1);
  fail_unless_equals_uint64 (st.high_dropped_lower_queued, 0);
  /* an audio buffer lost: the next one out says so */
  fail_unless_equals_int (pop (&f, 0), a1);
  fail_unless (item_at (&f, a1)->discont);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* dropping a keyframe (last resort) makes its GOP undecodable: wait */
GST_START_TEST (test_keyframe_dropped_waits)
{
  Fixture f;
  guint k1, k2, n;

  fixture_init (&f, 2, 0, 0, SHED_MODE_SHED);
  k1 = push (&f, H, KEY, 0);
  push (&f, H, 0, 1);
  push (&f, H, 0, 2);
  fail_unless (item_at (&f, k1)->dropped);
  fail_unless (shed_queue_stream_is_waiting (f.q, 0));
  n = push (&f, N, DELTA, 3);
  fail_unless (item_at (&f, n)->dropped);
  k2 = push (&f, H, KEY, 4);
  fail_if (shed_queue_stream_is_waiting (f.q, 0));
  fail_if (item_at (&f, k2)->dropped);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* bytes: the largest buffer is never dropped just for being alone */
GST_START_TEST (test_bytes_limit)
{
  Fixture f;
  guint big, l1, l2;
  guint64 bytes;

  fixture_init (&f, 0, 1000, 0, SHED_MODE_SHED);
  big = push_full (&f, 0, H, KEY, 0, 0, 5000);
  fail_if (item_at (&f, big)->dropped);
  l1 = push_full (&f, 0, L, DELTA, FRAME, FRAME, 100);
  fail_unless (item_at (&f, l1)->dropped);
  fail_unless_equals_int (item_at (&f, l1)->reason, SHED_REASON_BYTES);
  fail_unless_equals_int (pop (&f, 0), big);
  l2 = push_full (&f, 0, L, DELTA, 2 * FRAME, 2 * FRAME, 600);
  push_full (&f, 0, N, DELTA, 3 * FRAME, 3 * FRAME, 300);
  fail_if (item_at (&f, l2)->dropped);
  push_full (&f, 0, N, DELTA, 4 * FRAME, 4 * FRAME, 300);
  fail_unless (item_at (&f, l2)->dropped);
  shed_queue_get_level (f.q, NULL, &bytes, NULL);
  fail_unless_equals_uint64 (bytes, 600);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* the span of a stream never exceeds max_time: no buffer waits longer */
GST_START_TEST (test_time_limit)
{
  Fixture f;
  guint i;
  guint64 level;

  fixture_init (&f, 0, 0, 100 * MS, SHED_MODE_SHED);
  for (i = 0; i < 30; i++) {
    ShedClass c = (i % 10 == 0) ? H : (i % 3 == 0 ? L : N);
    guint fl = (i % 10 == 0) ? KEY : DELTA;
    push (&f, c, fl, i);
    shed_queue_get_level (f.q, NULL, NULL, &level);
    fail_unless (level <= 100 * MS, "level %" G_GUINT64_FORMAT, level);
  }
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* predicted lateness sheds Low only: Normal and HIGH wait for the hard
 * limit */
GST_START_TEST (test_latency_prediction)
{
  Fixture f;
  guint i, k;
  ShedStats st;

  fixture_init (&f, 0, 0, 400 * MS, SHED_MODE_SHED);
  /* the consumer needs 100 ms per buffer: at most 4 fit into 400 ms */
  for (i = 0; i < 8; i++)
    shed_queue_report_service (f.q, 0, 100 * MS);
  fail_unless_equals_uint64 (shed_queue_get_service_time (f.q, 0), 100 * MS);

  k = push (&f, H, KEY, 0);
  push (&f, L, DELTA, 1);
  push (&f, L, DELTA, 2);
  push (&f, N, DELTA, 3);
  fail_unless_equals_int (f.items->len, 4);
  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.dropped[L], 0);
  push (&f, H, 0, 4);
  fail_unless (item_at (&f, 1)->dropped);
  fail_unless_equals_int (item_at (&f, 1)->reason, SHED_REASON_LATENCY);
  push (&f, H, 0, 5);
  fail_unless (item_at (&f, 2)->dropped);
  /* no Low left: the prediction drops neither Normal nor HIGH (the hard
   * span limit would, at 400 ms) */
  push (&f, H, 0, 6);
  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.dropped[H], 0);
  fail_unless_equals_uint64 (st.dropped[N], 0);
  fail_unless_equals_int (st.level_buffers, 5);
  fail_if (item_at (&f, k)->dropped);

  /* a single stall longer than the budget is clamped to it */
  shed_queue_report_service (f.q, 0, 10 * 1000 * MS);
  fail_unless (shed_queue_get_service_time (f.q, 0) <= 100 * MS + 300 * MS / 8
      + 1);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* n pushes timed together move the service time as n reports of their
 * average would (the source task times fast pushes in runs) */
GST_START_TEST (test_report_service_n)
{
  ShedConfig cfg = { 0, 0, 0, SHED_MODE_SHED };
  guint n, i;

  for (n = 1; n <= 16; n++) {
    ShedQueue *a = shed_queue_new (&cfg), *b = shed_queue_new (&cfg);
    guint64 sa, sb;

    fail_unless_equals_int (shed_queue_add_stream (a, 0), 0);
    fail_unless_equals_int (shed_queue_add_stream (b, 0), 0);
    shed_queue_report_service (a, 0, 50 * 1000);
    shed_queue_report_service (b, 0, 50 * 1000);
    for (i = 0; i < n; i++)
      shed_queue_report_service (a, 0, 2 * 1000);
    shed_queue_report_service_n (b, 0, n * 2 * 1000, n);
    sa = shed_queue_get_service_time (a, 0);
    sb = shed_queue_get_service_time (b, 0);
    /* within the rounding of n integer steps */
    fail_unless (sa + n + 1 >= sb && sb + n + 1 >= sa, "n %u: %"
        G_GUINT64_FORMAT " vs %" G_GUINT64_FORMAT, n, sa, sb);
    shed_queue_free (a, NULL);
    shed_queue_free (b, NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_block_mode)
{
  Fixture f;
  guint i;
  ShedStats st;

  fixture_init (&f, 3, 0, 0, SHED_MODE_BLOCK);
  for (i = 0; i < 3; i++) {
    fail_if (shed_queue_is_full (f.q));
    push (&f, L, DELTA, i);
  }
  fail_unless (shed_queue_is_full (f.q));
  /* block mode never drops, even past the limit */
  push (&f, L, DELTA, 3);
  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.dropped[L], 0);
  fail_unless_equals_int (st.level_buffers, 4);
  pop (&f, 0);
  pop (&f, 0);
  fail_if (shed_queue_is_full (f.q));

  /* switching to shed mode sheds what does not fit */
  {
    ShedConfig cfg = { 1, 0, 0, SHED_MODE_SHED };
    shed_queue_configure (f.q, &cfg);
  }
  collect_drops (&f);
  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_int (st.level_buffers, 1);
  fail_unless_equals_uint64 (st.dropped[L], 1);
  fail_unless (item_at (&f, 2)->dropped);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_time_full_like_queue)
{
  Fixture f;

  fixture_init (&f, 0, 0, 100 * MS, SHED_MODE_BLOCK);
  push (&f, H, KEY, 0);
  push (&f, N, DELTA, 1);
  fail_if (shed_queue_is_full (f.q));
  push (&f, N, DELTA, 2);
  fail_if (shed_queue_is_full (f.q));
  push (&f, N, DELTA, 3);
  /* 0 .. 132 ms queued */
  fail_unless (shed_queue_is_full (f.q));
  pop (&f, 0);
  fail_if (shed_queue_is_full (f.q));
  fixture_clear (&f);
}

GST_END_TEST;

/* two streams sharing a budget: the lower-priority stream is shed first,
 * its Normal before the other's Low; HIGH audio stays */
GST_START_TEST (test_streams_share_budget)
{
  Fixture f;
  gint audio, top, low;
  guint a[4], tk, tl, lk, ln1, ln2;
  guint i;
  ShedStats st;

  fixture_init (&f, 8, 0, 0, SHED_MODE_SHED);
  audio = shed_queue_add_stream (f.q, 100);
  top = shed_queue_add_stream (f.q, 10);
  low = shed_queue_add_stream (f.q, 0);
  fail_unless (audio >= 0 && top >= 0 && low >= 0);
  shed_queue_remove_stream (f.q, 0, NULL, NULL);        /* not used */

  for (i = 0; i < 2; i++)
    a[i] = push_full (&f, audio, H, 0, i * 20 * MS, i * 20 * MS, 50);
  tk = push_full (&f, top, H, KEY, 0, 0, 1000);
  tl = push_full (&f, top, L, DELTA, FRAME, FRAME, 300);
  lk = push_full (&f, low, H, KEY, 0, 0, 500);
  ln1 = push_full (&f, low, N, DELTA, FRAME, FRAME, 200);
  ln2 = push_full (&f, low, N, DELTA, 2 * FRAME, 2 * FRAME, 200);
  a[2] = push_full (&f, audio, H, 0, 40 * MS, 40 * MS, 50);
  fail_unless_equals_int (collect_drops (&f), 0);
  /* ninth buffer: the low stream's Normal goes before top's Low */
  a[3] = push_full (&f, audio, H, 0, 60 * MS, 60 * MS, 50);
  fail_unless (item_at (&f, ln1)->dropped);
  fail_unless (item_at (&f, ln2)->dropped);     /* depends on ln1 */
  fail_if (item_at (&f, tl)->dropped);
  fail_unless (shed_queue_stream_is_waiting (f.q, low));
  fail_if (shed_queue_stream_is_waiting (f.q, top));

  /* now top's Low, then the low stream's keyframe, then top's keyframe */
  push_full (&f, audio, H, 0, 80 * MS, 80 * MS, 50);
  push_full (&f, audio, H, 0, 100 * MS, 100 * MS, 50);
  fail_unless (item_at (&f, tl)->dropped);
  push_full (&f, audio, H, 0, 120 * MS, 120 * MS, 50);
  fail_unless (item_at (&f, lk)->dropped);
  fail_if (item_at (&f, tk)->dropped);
  push_full (&f, audio, H, 0, 140 * MS, 140 * MS, 50);
  fail_unless (item_at (&f, tk)->dropped);
  for (i = 0; i < 4; i++)
    fail_if (item_at (&f, a[i])->dropped);

  /* each stream pops its own items */
  fail_unless_equals_int (pop (&f, top), -1);
  fail_unless_equals_int (pop (&f, audio), a[0]);
  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.dropped[H], 2);
  fail_unless_equals_uint64 (st.keyframe_waits, 2);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_sojourn_percentiles)
{
  Fixture f;
  guint i;
  ShedStats st;

  fixture_init (&f, 0, 0, 0, SHED_MODE_SHED);
  fail_unless_equals_uint64 (shed_queue_sojourn_percentile (f.q, 0.5), 0);
  /* 1000 buffers that waited 1..1000 ms */
  for (i = 1; i <= 1000; i++) {
    f.now = 0;
    push (&f, H, 0, i);
    f.now = i * MS;
    fail_unless_equals_int (pop (&f, 0), i - 1);
  }
  shed_queue_get_stats (f.q, &st);
  fail_unless (st.sojourn_p50 >= 500 * MS * 15 / 16 &&
      st.sojourn_p50 <= 500 * MS * 17 / 16, "p50 %" G_GUINT64_FORMAT,
      st.sojourn_p50);
  fail_unless (st.sojourn_p99 >= 990 * MS * 15 / 16 &&
      st.sojourn_p99 <= 1000 * MS, "p99 %" G_GUINT64_FORMAT, st.sojourn_p99);
  fail_unless_equals_uint64 (st.sojourn_max, 1000 * MS);
  fail_unless (shed_queue_sojourn_percentile (f.q, 0.0) <= MS * 17 / 16);
  fail_unless (shed_queue_sojourn_percentile (f.q, 1.0) == 1000 * MS);
  fixture_clear (&f);
}

GST_END_TEST;

typedef struct
{
  guint n;
  guint buffers;
} FlushCount;

static void
count_flushed (gpointer item, gboolean is_buffer, gpointer user_data)
{
  FlushCount *c = user_data;
  c->n++;
  c->buffers += is_buffer;
}

GST_START_TEST (test_flush)
{
  Fixture f;
  FlushCount c = { 0, 0 };
  ShedStats st;
  guint n;

  fixture_init (&f, 2, 0, 0, SHED_MODE_SHED);
  push (&f, H, KEY, 0);
  push (&f, N, DELTA, 1);
  push (&f, H, 0, 2);
  fail_unless (shed_queue_stream_is_waiting (f.q, 0));
  shed_queue_push_other (f.q, 0, GUINT_TO_POINTER (0xe1));
  shed_queue_flush_stream (f.q, 0, count_flushed, &c);
  fail_unless_equals_int (c.n, 3);
  fail_unless_equals_int (c.buffers, 2);
  fail_if (shed_queue_stream_is_waiting (f.q, 0));
  fail_unless (shed_queue_stream_is_empty (f.q, 0));
  shed_queue_get_stats (f.q, &st);
  fail_unless_equals_uint64 (st.flushed, 3);
  fail_unless_equals_int (st.level_buffers, 0);
  fail_unless_equals_uint64 (st.level_bytes, 0);
  /* a delta after the flush is accepted */
  n = push (&f, N, DELTA, 3);
  fail_if (item_at (&f, n)->dropped);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stream_slots)
{
  ShedConfig cfg = { 0, 0, 0, SHED_MODE_SHED };
  ShedQueue *q = shed_queue_new (&cfg);
  gint i, id;

  for (i = 0; i < SHED_MAX_STREAMS; i++)
    fail_unless_equals_int (shed_queue_add_stream (q, 0), i);
  fail_unless_equals_int (shed_queue_add_stream (q, 0), -1);
  shed_queue_remove_stream (q, 5, NULL, NULL);
  id = shed_queue_add_stream (q, 0);
  fail_unless_equals_int (id, 5);
  fail_unless (shed_queue_pop (q, 99, 0, NULL) == NULL);
  shed_queue_free (q, NULL);
}

GST_END_TEST;

/* The latency bound measures how long queued data waited: a jump in the
 * timestamps is not waiting (the stream's timeline, see shedqueue.c). Seen at an SRT reconnect: aacparse held the
 * last frame of the first session until the first frame of the second
 * arrived 2.5 s of running time later, both within a millisecond; the
 * span made the held frame (HIGH audio) 2.5 s old and it was dropped. */
GST_START_TEST (test_timeline_jumps)
{
  Fixture f;
  ShedStats st;
  guint a, b, c, i;
  guint64 level;

  /* a gap forward with no wall time passing: nothing waited */
  fixture_init (&f, 0, 0, 100 * MS, SHED_MODE_SHED);
  f.now = 5000 * MS;
  a = push_full (&f, 0, H, 0, 12 * 1000 * MS, 12 * 1000 * MS, 100);
  f.now += MS;
  b = push_full (&f, 0, H, 0, 14500 * MS, 14500 * MS, 100);
  fail_if (item_at (&f, a)->dropped);
  fail_if (item_at (&f, b)->dropped);
  shed_queue_get_level (f.q, NULL, NULL, &level);
  fail_unless (level <= 2 * FRAME + MS, "level %" G_GUINT64_FORMAT, level);
  /* and from there on the running time counts as usual */
  for (i = 1; i < 10; i++)
    push_full (&f, 0, H, 0, 14500 * MS + i * FRAME, 14500 * MS + i * FRAME,
        100);
  fail_unless (item_at (&f, a)->dropped);
  fail_unless_equals_int (item_at (&f, a)->reason, SHED_REASON_TIME);
  shed_queue_get_level (f.q, NULL, NULL, &level);
  fail_unless (level <= 100 * MS);
  check_accounting (&f);
  fixture_clear (&f);

  /* the same gap while the wall clock ran: what was queued waited */
  fixture_init (&f, 0, 0, 100 * MS, SHED_MODE_SHED);
  f.now = 5000 * MS;
  a = push_full (&f, 0, H, 0, 12 * 1000 * MS, 12 * 1000 * MS, 100);
  f.now += 2500 * MS;
  b = push_full (&f, 0, H, 0, 14500 * MS, 14500 * MS, 100);
  fail_unless (item_at (&f, a)->dropped);
  fail_if (item_at (&f, b)->dropped);
  check_accounting (&f);
  fixture_clear (&f);

  /* a small gap (below half the bound) is running time as usual */
  fixture_init (&f, 0, 0, 100 * MS, SHED_MODE_SHED);
  a = push_full (&f, 0, H, 0, 0, 0, 100);
  f.now += MS;
  b = push_full (&f, 0, H, 0, 40 * MS, 40 * MS, 100);
  shed_queue_get_level (f.q, NULL, NULL, &level);
  fail_unless_equals_uint64 (level, 40 * MS + FRAME);
  check_accounting (&f);
  fixture_clear (&f);

  /* timestamps that start again lower (a new segment from zero): after
   * the old buffers left, the new ones are not measured against them */
  fixture_init (&f, 0, 0, 100 * MS, SHED_MODE_SHED);
  a = push_full (&f, 0, H, 0, 10 * 1000 * MS, 10 * 1000 * MS, 100);
  f.now += MS;
  b = push_full (&f, 0, H, 0, 0, 0, 100);
  fail_unless_equals_int (pop (&f, 0), a);
  f.now += MS;
  c = push_full (&f, 0, H, 0, FRAME, FRAME, 100);
  fail_if (item_at (&f, b)->dropped);
  fail_if (item_at (&f, c)->dropped);
  shed_queue_get_level (f.q, NULL, NULL, &level);
  fail_unless (level <= 2 * FRAME + MS, "level %" G_GUINT64_FORMAT, level);
  check_accounting (&f);
  fixture_clear (&f);

  /* frames in decode order with PTS only (B-frames go back two frames),
   * pushed faster than real time: the running time still counts (all
   * HIGH here, so that only the time bound drops) */
  fixture_init (&f, 0, 0, 200 * MS, SHED_MODE_SHED);
  for (i = 0; i < 30; i++) {
    /* I0 P3 B1 B2 P6 B4 B5 ... */
    guint idx = i == 0 ? 0 : (i % 3 == 1 ? i + 2 : i - 1);

    push_full (&f, 0, H, 0, idx * FRAME, idx * FRAME, 100);
    shed_queue_get_level (f.q, NULL, NULL, &level);
    fail_unless (level <= 200 * MS, "level %" G_GUINT64_FORMAT, level);
  }
  shed_queue_get_stats (f.q, &st);
  fail_unless (st.dropped_reason[SHED_REASON_TIME] > 0);
  fail_unless (level > 100 * MS, "level %" G_GUINT64_FORMAT, level);
  check_accounting (&f);
  fixture_clear (&f);
}

GST_END_TEST;

/* A GOP-structured random stream against a slow random consumer, checked
 * against what the policy promises: every output delta is decodable
 * (its keyframe and every earlier reference of its GOP went out), no
 * buffer leaves later than max_time after it entered (in stream time),
 * HIGH is dropped only with nothing lower queued, and everything is
 * accounted for. */
GST_START_TEST (test_random_against_model)
{
  guint round;

  for (round = 0; round < 40; round++) {
    GRand *rand = g_rand_new_with_seed (round + 1);
    Fixture f;
    guint max_buffers = g_rand_boolean (rand) ? g_rand_int_range (rand, 2,
        30) : 0;
    guint64 max_time = g_rand_boolean (rand) ?
        g_rand_int_range (rand, 2, 20) * FRAME : 0;
    guint gop = g_rand_int_range (rand, 4, 40);
    gdouble speed = g_rand_double_range (rand, 0.3, 1.5);
    gdouble credit = 0;
    guint i, n = 1500, gi = 0, g = 0;
    guint64 in_pos = 0;
    ShedStats st;
    GHashTable *lost_ref = g_hash_table_new (NULL, NULL);       /* gop -> 1 */

    if (max_buffers == 0 && max_time == 0)
      max_buffers = 10;
    fixture_init (&f, max_buffers, 0, max_time, SHED_MODE_SHED);
    if (g_rand_boolean (rand))
      shed_queue_report_service (f.q, 0, (guint64) (FRAME / speed));

    for (i = 0; i < n; i++) {
      ShedClass c;
      guint fl;
      Item *it;
      guint id;

      if (gi == 0) {
        c = H;
        fl = KEY;
        g++;
      } else {
        c = (gi % 3 == 0) ? L : N;
        fl = DELTA;
      }
      gi = (gi + 1) % gop;
      /* audio-like HIGH buffers without dependencies now and then */
      if (g_rand_double (rand) < 0.1) {
        c = H;
        fl = 0;
      }
      id = push (&f, c, fl, i);
      it = item_at (&f, id);
      it->gop = g;
      in_pos = i * FRAME;

      /* the consumer takes `speed` buffers per input frame */
      credit += speed;
      while (credit >= 1.0) {
        gint got = pop (&f, 0);
        Item *o;

        credit -= 1.0;
        if (got < 0)
          break;
        o = item_at (&f, got);
        /* latency bound, in stream time */
        if (max_time)
          fail_unless (in_pos - o->time <= max_time,
              "round %u: buffer %u left %" G_GUINT64_FORMAT " ns after it "
              "entered", round, got, in_pos - o->time);
      }
      shed_queue_get_stats (f.q, &st);
      if (max_time)
        fail_unless (st.level_time <= max_time);
      if (max_buffers)
        fail_unless (st.level_buffers <= max_buffers);
    }
    while (pop (&f, 0) >= 0);

    /* decodability of the output */
    for (i = 0; i < f.items->len; i++) {
      Item *it = item_at (&f, i);
      gboolean ref = (it->flags & KEY) || ((it->flags & DELTA)
          && it->klass == N);
      if (it->flags == 0)
        continue;
      if (it->out && (it->flags & DELTA))
        fail_if (g_hash_table_contains (lost_ref, GUINT_TO_POINTER (it->gop)),
            "round %u: delta %u output after a lost reference", round, i);
      if (ref && it->dropped)
        g_hash_table_add (lost_ref, GUINT_TO_POINTER (it->gop));
    }
    check_accounting (&f);
    shed_queue_get_stats (f.q, &st);
    fail_unless_equals_int (st.level_buffers, 0);
    if (g_getenv ("SHED_VERBOSE"))
      g_printerr ("round %u: buf %u time %" G_GUINT64_FORMAT " gop %u speed "
          "%.2f: out %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "/%"
          G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
          "/%" G_GUINT64_FORMAT " waits %" G_GUINT64_FORMAT "\n", round,
          max_buffers, max_time / MS, gop, speed, st.out[0], st.out[1],
          st.out[2], st.dropped[0], st.dropped[1], st.dropped[2],
          st.keyframe_waits);

    g_hash_table_unref (lost_ref);
    fixture_clear (&f);
    g_rand_free (rand);
  }
}

GST_END_TEST;

static Suite *
shedqueue_suite (void)
{
  Suite *s = suite_create ("shedqueue");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fifo_no_drops);
  tcase_add_test (tc, test_remove_other);
  tcase_add_test (tc, test_class_order_oldest_first);
  tcase_add_test (tc, test_keyframe_wait_includes_queued);
  tcase_add_test (tc, test_cascade_stops_at_keyframe);
  tcase_add_test (tc, test_leading_pictures_after_wait);
  tcase_add_test (tc, test_leading_pictures_in_queue);
  tcase_add_test (tc, test_high_last_resort);
  tcase_add_test (tc, test_keyframe_dropped_waits);
  tcase_add_test (tc, test_bytes_limit);
  tcase_add_test (tc, test_time_limit);
  tcase_add_test (tc, test_latency_prediction);
  tcase_add_test (tc, test_report_service_n);
  tcase_add_test (tc, test_block_mode);
  tcase_add_test (tc, test_time_full_like_queue);
  tcase_add_test (tc, test_streams_share_budget);
  tcase_add_test (tc, test_sojourn_percentiles);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_stream_slots);
  tcase_add_test (tc, test_timeline_jumps);
  tcase_add_test (tc, test_random_against_model);

  return s;
}

GST_CHECK_MAIN (shedqueue);
