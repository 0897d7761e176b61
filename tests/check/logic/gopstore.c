/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of gopbuffer's GOP store and lag queue: no pipeline. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "gopstore.h"

#define MS (G_GUINT64_CONSTANT (1000000))
#define NONE GOP_TIME_NONE

/* Refcounted test items: a live counter catches leaks and double frees */
typedef struct
{
  gint ref;
  guint id;
} Item;

static gint live_items;

static Item *
item_new (guint id)
{
  Item *it = g_new (Item, 1);
  it->ref = 1;
  it->id = id;
  live_items++;
  return it;
}

static gpointer
item_ref (gpointer p)
{
  ((Item *) p)->ref++;
  return p;
}

static void
item_unref (gpointer p)
{
  Item *it = p;
  fail_unless (it->ref > 0);
  if (--it->ref == 0) {
    live_items--;
    g_free (it);
  }
}

static GopStore *
store_new (guint max_gops, guint64 max_bytes, guint64 max_time)
{
  GopStoreConfig cfg = { max_gops, max_bytes, max_time };

  live_items = 0;
  return gop_store_new (&cfg, item_ref, item_unref);
}

/* push one entry: id, flags, pts, dts (ms), size; returns the result */
static GopPushResult
push_full (GopStore * s, guint id, guint flags, guint64 pts_ms,
    guint64 dts_ms, guint64 size, GopPushInfo * info)
{
  Item *it = item_new (id);
  GopPushResult r = gop_store_push (s, it, flags,
      pts_ms == NONE ? NONE : pts_ms * MS,
      dts_ms == NONE ? NONE : dts_ms * MS, 40 * MS, size, info);
  item_unref (it);
  return r;
}

/* a video frame at 25 fps: frame n has pts = dts = 40 * n ms */
static GopPushResult
push_frame (GopStore * s, guint n, gboolean key, guint64 size,
    GopPushInfo * info)
{
  return push_full (s, n, key ? GOP_FLAG_KEYFRAME : 0, 40 * n, 40 * n, size,
      info);
}

static GopPushResult
push_audio (GopStore * s, guint id, guint64 pts_ms, guint64 dur_ms,
    GopPushInfo * info)
{
  Item *it = item_new (id);
  GopPushResult r = gop_store_push (s, it, GOP_FLAG_AUDIO, pts_ms * MS, NONE,
      dur_ms * MS, 10, info);
  item_unref (it);
  return r;
}

static gboolean
collect_cb (const GopEntry * e, gpointer user_data)
{
  GArray *ids = user_data;
  guint id = ((Item *) e->item)->id;
  g_array_append_val (ids, id);
  return TRUE;
}

/* ids a joiner gets */
static GArray *
join_ids (GopStore * s, gboolean latest, gboolean audio)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  guint64 gop_id, first;

  if (gop_store_join_point (s, latest, &gop_id, &first))
    gop_store_foreach_join (s, gop_id, audio, collect_cb, ids);
  return ids;
}

static void
assert_ids (GArray * ids, const guint * expect, guint n)
{
  guint i;

  fail_unless_equals_int (ids->len, n);
  for (i = 0; i < n; i++)
    fail_unless_equals_int (g_array_index (ids, guint, i), expect[i]);
  g_array_free (ids, TRUE);
}

static void
store_free (GopStore * s)
{
  gop_store_free (s);
  fail_unless_equals_int (live_items, 0);
}

GST_START_TEST (test_gop_boundaries)
{
  GopStore *s = store_new (1, 1 << 20, 0);
  GopPushInfo info;
  const GopStats *st;
  guint i;
  static const guint latest[] = { 5, 6, 7 };

  /* nothing before the first keyframe is cached: it cannot be decoded */
  fail_unless_equals_int (push_frame (s, 0, FALSE, 100, &info),
      GOP_PUSH_DISCARDED);
  fail_unless_equals_uint64 (info.seq, GOP_SEQ_NONE);
  fail_if (gop_store_join_point (s, TRUE, NULL, NULL));
  fail_unless (gop_store_latest_keyframe (s) == NULL);

  fail_unless_equals_int (push_frame (s, 1, TRUE, 1000, &info),
      GOP_PUSH_STORED);
  fail_unless (info.new_gop);
  fail_if (info.gop_completed);
  for (i = 2; i < 5; i++) {
    fail_unless_equals_int (push_frame (s, i, FALSE, 100, &info),
        GOP_PUSH_STORED);
    fail_if (info.new_gop);
  }
  fail_unless_equals_int (gop_store_n_gops (s), 1);
  fail_unless_equals_int (((Item *) gop_store_latest_keyframe (s)->item)->id,
      1);

  /* the next keyframe completes the GOP 1..4 */
  push_frame (s, 5, TRUE, 1000, &info);
  fail_unless (info.new_gop);
  fail_unless (info.gop_completed);
  fail_unless_equals_int (info.completed.frames, 4);
  fail_unless_equals_uint64 (info.completed.bytes, 1300);
  fail_unless_equals_uint64 (info.completed.duration, 160 * MS);
  fail_unless_equals_uint64 (info.completed.start_pts, 40 * MS);
  fail_if (info.completed.open);
  /* max-gops 1: the old GOP went with the new keyframe */
  fail_unless_equals_int (info.evicted_gops, 1);
  fail_unless_equals_int (gop_store_n_gops (s), 1);

  push_frame (s, 6, FALSE, 100, NULL);
  push_frame (s, 7, FALSE, 100, NULL);
  assert_ids (join_ids (s, TRUE, FALSE), latest, 3);
  fail_unless_equals_int (((Item *) gop_store_latest_keyframe (s)->item)->id,
      5);
  fail_unless (gop_store_get (s, gop_store_first_seq (s)) != NULL);
  fail_unless (gop_store_get (s, gop_store_next_seq (s)) == NULL);

  st = gop_store_get_stats (s);
  fail_unless_equals_uint64 (st->gops_seen, 2);
  fail_unless_equals_uint64 (st->gops_completed, 1);
  fail_unless_equals_uint64 (st->closed_gops, 2);
  fail_unless_equals_uint64 (st->discarded_entries, 1);
  fail_unless_equals_uint64 (st->discarded_bytes, 100);
  fail_unless_equals_int (st->cached_gops, 1);
  fail_unless_equals_int (st->cached_entries, 3);
  fail_unless_equals_uint64 (st->cached_bytes, 1200);
  /* keyframe at 200 ms, last frame 280 ms + 40 ms duration */
  fail_unless_equals_uint64 (st->cached_time, 120 * MS);
  /* 4 items alive: 3 cached... the discarded ones are gone */
  fail_unless_equals_int (live_items, 3);

  gop_store_clear (s);
  fail_unless_equals_int (live_items, 0);
  fail_if (gop_store_join_point (s, TRUE, NULL, NULL));
  /* after a clear, the stream starts again at a keyframe */
  fail_unless_equals_int (push_frame (s, 8, FALSE, 100, NULL),
      GOP_PUSH_DISCARDED);
  fail_unless_equals_int (push_frame (s, 9, TRUE, 100, NULL), GOP_PUSH_STORED);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_gop_stats)
{
  GopStore *s = store_new (3, 1 << 20, 0);
  const GopStats *st;
  guint n = 0, g;
  /* GOPs of 2, 4 and 6 frames, then the start of a fourth */
  static const guint lens[] = { 2, 4, 6 };

  for (g = 0; g < 3; g++) {
    guint i;
    for (i = 0; i < lens[g]; i++, n++)
      push_frame (s, n, i == 0, i == 0 ? 500 : 100, NULL);
  }
  push_frame (s, n, TRUE, 500, NULL);

  st = gop_store_get_stats (s);
  fail_unless_equals_uint64 (st->gops_completed, 3);
  fail_unless_equals_int (st->gop_frames_min, 2);
  fail_unless_equals_int (st->gop_frames_max, 6);
  fail_unless_equals_int (st->gop_frames_avg, 4);
  fail_unless_equals_uint64 (st->gop_duration_min, 80 * MS);
  fail_unless_equals_uint64 (st->gop_duration_max, 240 * MS);
  fail_unless_equals_uint64 (st->gop_duration_avg, 160 * MS);
  fail_unless_equals_uint64 (st->gop_bytes_min, 600);
  fail_unless_equals_uint64 (st->gop_bytes_max, 1000);
  fail_unless_equals_uint64 (st->gop_bytes_avg, 800);
  /* 3 GOPs cached: the 4-frame one, the 6-frame one and the new one */
  fail_unless_equals_int (st->cached_gops, 3);
  fail_unless_equals_uint64 (st->evicted_gops, 1);
  store_free (s);
}

GST_END_TEST;

/* Push @gops GOPs of @len frames of @size bytes each (keyframe too) */
static guint
push_gops (GopStore * s, guint start, guint gops, guint len, guint64 size)
{
  guint g, i, n = start;

  for (g = 0; g < gops; g++)
    for (i = 0; i < len; i++, n++)
      push_frame (s, n, i == 0, size, NULL);
  return n;
}

GST_START_TEST (test_evict_max_gops)
{
  GopStore *s = store_new (3, 1 << 20, 0);
  static const guint oldest[] = { 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 49
  };
  static const guint latest[] = { 40, 41, 42, 43, 44, 45, 46, 47, 48, 49 };

  push_gops (s, 0, 5, 10, 100);
  fail_unless_equals_int (gop_store_n_gops (s), 3);
  fail_unless_equals_int (live_items, 30);
  /* catch-up from the oldest cached keyframe, or the newest */
  assert_ids (join_ids (s, FALSE, FALSE), oldest, 30);
  assert_ids (join_ids (s, TRUE, FALSE), latest, 10);

  /* lowering the bound evicts at once */
  {
    GopStoreConfig cfg = { 1, 1 << 20, 0 };
    fail_unless_equals_int (gop_store_configure (s, &cfg), 2);
  }
  fail_unless_equals_int (gop_store_n_gops (s), 1);
  fail_unless_equals_int (live_items, 10);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_evict_max_bytes)
{
  /* 10 frames of 100 bytes per GOP: 2500 bytes hold two full GOPs plus
   * part of a third; whole GOPs go, never part of one */
  GopStore *s = store_new (100, 2500, 0);
  const GopStats *st;
  guint n, i;

  n = push_gops (s, 0, 4, 10, 100);
  st = gop_store_get_stats (s);
  fail_unless_equals_int (st->cached_gops, 2);
  fail_unless_equals_uint64 (st->cached_bytes, 2000);
  fail_unless (st->cached_bytes <= 2500);
  fail_unless_equals_int (((Item *) gop_store_get (s,
              gop_store_first_seq (s))->item)->id, 20);

  /* 6 more frames into a new GOP: 2600 > 2500, the oldest GOP goes */
  for (i = 0; i < 6; i++, n++)
    push_frame (s, n, i == 0, 100, NULL);
  st = gop_store_get_stats (s);
  fail_unless_equals_int (st->cached_gops, 2);
  fail_unless_equals_uint64 (st->cached_bytes, 1600);
  fail_unless_equals_uint64 (st->evicted_gops, 3);
  fail_unless_equals_uint64 (st->overflows, 0);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_evict_max_time)
{
  /* GOPs of 10 frames = 400 ms; 1 s holds two of them plus the current */
  GopStore *s = store_new (100, 1 << 20, 1000 * MS);
  const GopStats *st;
  guint n;

  push_gops (s, 0, 6, 10, 100);
  st = gop_store_get_stats (s);
  fail_unless (st->cached_time <= 1000 * MS);
  fail_unless_equals_int (st->cached_gops, 2);
  fail_unless_equals_uint64 (st->cached_time, 800 * MS);
  /* a new keyframe: 1600..2440 ms is 840 ms, three GOPs fit */
  push_frame (s, 60, TRUE, 100, NULL);
  st = gop_store_get_stats (s);
  fail_unless_equals_int (st->cached_gops, 3);
  fail_unless_equals_uint64 (st->cached_time, 840 * MS);
  fail_unless_equals_int (((Item *) gop_store_get (s,
              gop_store_first_seq (s))->item)->id, 40);
  /* 5 more frames reach 1040 ms: the oldest GOP goes */
  for (n = 61; n < 66; n++)
    push_frame (s, n, FALSE, 100, NULL);
  st = gop_store_get_stats (s);
  fail_unless_equals_int (st->cached_gops, 2);
  fail_unless_equals_uint64 (st->cached_time, 640 * MS);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_no_keyframe_stream)
{
  /* a stream that sends one keyframe, then never again */
  GopStore *s = store_new (1, 10000, 0);
  const GopStats *st;
  GopPushInfo info;
  guint i, overflow_at = 0;

  /* no keyframe at all: nothing is held */
  for (i = 0; i < 50; i++)
    fail_unless_equals_int (push_frame (s, i, FALSE, 100, NULL),
        GOP_PUSH_DISCARDED);
  fail_unless_equals_int (live_items, 0);

  push_frame (s, 50, TRUE, 1000, NULL);
  for (i = 51; i < 1000; i++) {
    push_frame (s, i, FALSE, 100, &info);
    st = gop_store_get_stats (s);
    /* memory stays capped all along */
    fail_unless (st->cached_bytes <= 10000);
    fail_unless (live_items <= 91);
    if (info.overflow) {
      fail_unless_equals_int (overflow_at, 0);
      overflow_at = i;
    }
  }
  /* 1000 + 90 * 100 = 10000 fit, the 91st delta frame does not */
  fail_unless_equals_int (overflow_at, 141);
  st = gop_store_get_stats (s);
  fail_unless_equals_uint64 (st->overflows, 1);
  fail_unless_equals_int (st->cached_gops, 0);
  fail_unless_equals_int (live_items, 0);
  /* the 50 before the keyframe, the overflowed GOP and everything after
   * it: all 1000 entries were discarded in the end, and counted */
  fail_unless_equals_uint64 (st->discarded_entries, 1000);
  fail_unless_equals_uint64 (st->discarded_bytes,
      50 * 100 + 1000 + (1000 - 51) * 100);
  fail_if (gop_store_join_point (s, TRUE, NULL, NULL));

  /* a keyframe restarts caching */
  fail_unless_equals_int (push_frame (s, 1000, TRUE, 1000, NULL),
      GOP_PUSH_STORED);
  fail_unless_equals_int (gop_store_n_gops (s), 1);

  /* the same with a time bound: 2 s at 25 fps is 50 frames */
  {
    GopStoreConfig cfg = { 1, 1 << 30, 2000 * MS };
    gop_store_configure (s, &cfg);
  }
  overflow_at = 0;
  for (i = 1001; i < 1100; i++) {
    push_frame (s, i, FALSE, 100, &info);
    if (info.overflow)
      overflow_at = i;
    fail_unless (gop_store_get_stats (s)->cached_time <= 2000 * MS);
  }
  fail_unless_equals_int (overflow_at, 1050);
  fail_unless_equals_uint64 (gop_store_get_stats (s)->overflows, 2);

  /* a keyframe alone larger than the byte bound is not cached either */
  {
    GopStoreConfig cfg = { 1, 500, 0 };
    gop_store_configure (s, &cfg);
  }
  fail_unless_equals_int (push_frame (s, 1100, TRUE, 600, &info),
      GOP_PUSH_DISCARDED);
  fail_unless (info.overflow);
  fail_unless_equals_int (live_items, 0);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_open_gop_h264)
{
  /* decode order of an open GOP with 2 B-frames (x264 open-gop):
   * I0 P3 B1 B2 | I6(open, recovery point) B4 B5 P9 B7 B8 | I12 ...
   * B4 and B5 (PTS before I6) reference P3 of the previous GOP */
  GopStore *s = store_new (2, 1 << 20, 0);
  GopPushInfo info;
  const GopStats *st;
  static const guint join2[] = { 6, 9, 7, 8 };
  static const guint join1[] = { 0, 3, 1, 2, 6, 4, 5, 9, 7, 8 };
  static const guint join3[] = { 12 };
  static const struct
  {
    guint id;
    guint flags;
    guint64 pts;
    gboolean skip;
  } seq[] = {
    {0, GOP_FLAG_KEYFRAME, 0, FALSE},
    {3, 0, 3, FALSE},
    {1, 0, 1, FALSE},
    {2, 0, 2, FALSE},
    {6, GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN, 6, FALSE},
    {4, 0, 4, TRUE},
    {5, 0, 5, TRUE},
    {9, 0, 9, FALSE},
    {7, 0, 7, FALSE},
    {8, 0, 8, FALSE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (seq); i++) {
    push_full (s, seq[i].id, seq[i].flags, seq[i].pts * 40, i * 40, 100, &info);
    fail_unless_equals_int (!!(info.flags & GOP_FLAG_SKIP_ON_JOIN),
        seq[i].skip);
  }
  /* a joiner at the open GOP skips B4 B5 */
  assert_ids (join_ids (s, TRUE, FALSE), join2, 4);
  /* one that starts a GOP earlier needs them: it has P3 */
  assert_ids (join_ids (s, FALSE, FALSE), join1, 10);

  push_full (s, 12, GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN, 12 * 40, 10 * 40, 100,
      &info);
  fail_unless (info.gop_completed);
  fail_unless (info.completed.open);
  fail_unless_equals_int (info.completed.leading, 2);
  fail_unless_equals_int (info.completed.frames, 6);
  assert_ids (join_ids (s, TRUE, FALSE), join3, 1);

  st = gop_store_get_stats (s);
  fail_unless_equals_uint64 (st->open_gops, 2);
  fail_unless_equals_uint64 (st->closed_gops, 1);
  fail_unless_equals_uint64 (st->leading_pictures, 2);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_open_gop_h265_flags)
{
  /* H.265: the parser labels RASL and RADL, PTS are not needed */
  GopStore *s = store_new (1, 1 << 20, 0);
  GopPushInfo info;
  static const guint join[] = { 10, 12, 14 };

  push_full (s, 10, GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN, NONE, NONE, 100, NULL);
  push_full (s, 11, GOP_FLAG_LEADING_SKIP, NONE, NONE, 100, &info);
  fail_unless (info.flags & GOP_FLAG_SKIP_ON_JOIN);
  push_full (s, 12, GOP_FLAG_LEADING_KEEP, NONE, NONE, 100, &info);
  fail_if (info.flags & GOP_FLAG_SKIP_ON_JOIN);
  push_full (s, 13, GOP_FLAG_LEADING_SKIP, NONE, NONE, 100, NULL);
  push_full (s, 14, 0, NONE, NONE, 100, NULL);
  assert_ids (join_ids (s, TRUE, FALSE), join, 3);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_closed_gop_b_frames_kept)
{
  /* B-frames after an IDR (closed GOP) have later PTS; even with PTS
   * before the keyframe (bad encoder) a closed GOP drops nothing */
  GopStore *s = store_new (1, 1 << 20, 0);
  static const guint join[] = { 1, 2, 3 };

  push_full (s, 1, GOP_FLAG_KEYFRAME, 400, 360, 100, NULL);
  push_full (s, 2, 0, 360, 400, 100, NULL);
  push_full (s, 3, 0, 440, 440, 100, NULL);
  assert_ids (join_ids (s, TRUE, FALSE), join, 3);
  fail_unless_equals_uint64 (gop_store_get_stats (s)->leading_pictures, 0);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_audio_aligned)
{
  GopStore *s = store_new (1, 1 << 20, 0);
  GopPushInfo info;
  static const guint video[] = { 100, 101 };
  /* audio 204 (190..210 ms) overlaps the keyframe at 200 ms: it moves to
   * the new GOP; 203 (170..190 ms) does not */
  static const guint audio[] = { 204, 205, 206 };

  /* audio before any keyframe is not cached */
  fail_unless_equals_int (push_audio (s, 200, 0, 20, NULL), GOP_PUSH_DISCARDED);
  push_full (s, 1, GOP_FLAG_KEYFRAME, 0, 0, 100, NULL);
  push_audio (s, 201, 10, 20, NULL);
  push_full (s, 2, 0, 40, 40, 100, NULL);
  push_audio (s, 202, 150, 20, NULL);
  push_audio (s, 203, 170, 20, NULL);
  push_audio (s, 204, 190, 20, NULL);
  push_full (s, 100, GOP_FLAG_KEYFRAME, 200, 200, 100, &info);
  fail_unless (info.gop_completed);
  /* the completed GOP lost the moved audio */
  fail_unless_equals_int (info.completed.audio, 3);
  fail_unless_equals_uint64 (info.completed.bytes, 230);
  push_audio (s, 205, 210, 20, NULL);
  push_full (s, 101, 0, 240, 240, 100, NULL);
  push_audio (s, 206, 230, 20, NULL);

  assert_ids (join_ids (s, TRUE, FALSE), video, 2);
  assert_ids (join_ids (s, TRUE, TRUE), audio, 3);
  /* audio never starts a GOP, even flagged as keyframe */
  push_full (s, 207, GOP_FLAG_AUDIO | GOP_FLAG_KEYFRAME, 250, NONE, 10, &info);
  fail_if (info.new_gop);
  fail_unless_equals_int (gop_store_n_gops (s), 1);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_many_entries_ring_growth)
{
  GopStore *s = store_new (2, G_MAXUINT64, 0);
  guint n;

  /* GOPs of 300 frames force the ring to grow several times */
  n = push_gops (s, 0, 5, 300, 10);
  fail_unless_equals_int (n, 1500);
  fail_unless_equals_int (gop_store_n_gops (s), 2);
  fail_unless_equals_int (live_items, 600);
  fail_unless_equals_int (((Item *) gop_store_get (s,
              gop_store_first_seq (s))->item)->id, 900);
  fail_unless_equals_int (((Item *) gop_store_get (s,
              gop_store_next_seq (s) - 1)->item)->id, 1499);
  store_free (s);
}

GST_END_TEST;

/* ---- sticky events ---- */

static GopPushResult
push_sticky (GopStore * s, Item * it, gboolean audio, guint slot, guint64 size)
{
  return gop_store_push_sticky (s, it, audio, slot, size, NULL);
}

/* ids of the sticky state at @gop_id's keyframe (0 for unset slots) */
static GArray *
sticky_ids (GopStore * s, guint64 gop_id, gboolean audio)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  gpointer items[GOP_STICKY_SLOTS];
  guint i;

  fail_unless (gop_store_sticky_at (s, gop_id, audio, items));
  for (i = 0; i < GOP_STICKY_SLOTS; i++) {
    guint id = items[i] ? ((Item *) items[i])->id : 0;
    g_array_append_val (ids, id);
  }
  return ids;
}

static GArray *
join_ids_at (GopStore * s, guint64 gop_id, gboolean audio)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));

  gop_store_foreach_join (s, gop_id, audio, collect_cb, ids);
  return ids;
}

GST_START_TEST (test_sticky_replayed_at_place)
{
  GopStore *s = store_new (2, 1 << 20, 0);
  Item *caps_a = item_new (900), *seg = item_new (910), *caps_b =
      item_new (901), *caps_c = item_new (902), *acaps = item_new (950);
  guint64 g1, g2;
  const GopStats *st;
  static const guint state1[] = { 0, 900, 910, 0 };
  static const guint state2[] = { 0, 901, 910, 0 };
  static const guint join1[] = { 0, 1, 901, 2, 3, 4, 5, 902, 6 };
  static const guint join2[] = { 4, 5, 902, 6 };
  static const guint astate[] = { 0, 950, 0, 0 };
  static const guint ajoin[] = { 300, 301 };

  /* before any keyframe: only the current state */
  fail_unless_equals_int (push_sticky (s, caps_a, FALSE, 1, 300),
      GOP_PUSH_DISCARDED);
  fail_unless_equals_int (push_sticky (s, seg, FALSE, 2, 300),
      GOP_PUSH_DISCARDED);
  fail_unless_equals_int (push_sticky (s, acaps, TRUE, 1, 300),
      GOP_PUSH_DISCARDED);
  fail_unless (gop_store_get_sticky (s, FALSE, 1) == caps_a);
  fail_unless (gop_store_get_sticky (s, TRUE, 1) == acaps);
  fail_unless (gop_store_get_sticky (s, FALSE, 0) == NULL);
  fail_unless_equals_uint64 (gop_store_get_stats (s)->discarded_entries, 0);

  push_frame (s, 0, TRUE, 100, NULL);
  push_frame (s, 1, FALSE, 100, NULL);
  /* a caps change inside the GOP: an entry at its place */
  fail_unless_equals_int (push_sticky (s, caps_b, FALSE, 1, 300),
      GOP_PUSH_STORED);
  push_audio (s, 300, 85, 20, NULL);
  push_frame (s, 2, FALSE, 100, NULL);
  push_frame (s, 3, FALSE, 100, NULL);
  push_audio (s, 301, 105, 20, NULL);
  push_frame (s, 4, TRUE, 100, NULL);
  push_frame (s, 5, FALSE, 100, NULL);
  push_sticky (s, caps_c, FALSE, 1, 300);
  push_frame (s, 6, FALSE, 100, NULL);

  st = gop_store_get_stats (s);
  fail_unless_equals_int (st->cached_events, 2);
  fail_unless_equals_int (st->cached_entries, 7 + 2 + 2);
  /* events count in bytes */
  fail_unless_equals_uint64 (st->cached_bytes, 7 * 100 + 2 * 10 + 2 * 300);
  /* frame counts leave events out */
  fail_unless_equals_int (st->gop_frames_max, 4);

  fail_unless (gop_store_join_point (s, FALSE, &g1, NULL));
  fail_unless (gop_store_join_point (s, TRUE, &g2, NULL));
  /* a joiner at the oldest keyframe: caps A, then B and C at their place */
  assert_ids (sticky_ids (s, g1, FALSE), state1, 4);
  assert_ids (join_ids_at (s, g1, FALSE), join1, G_N_ELEMENTS (join1));
  /* at the newest keyframe: B was current, C comes at its place */
  assert_ids (sticky_ids (s, g2, FALSE), state2, 4);
  assert_ids (join_ids_at (s, g2, FALSE), join2, G_N_ELEMENTS (join2));
  /* the audio stream has its own state; video events are not audio */
  assert_ids (sticky_ids (s, g1, TRUE), astate, 4);
  assert_ids (join_ids_at (s, g1, TRUE), ajoin, 2);

  /* evicting the first GOP releases its entries and its recorded state:
   * caps A is left with our reference, caps B with ours and the state
   * recorded by the second GOP */
  push_frame (s, 8, TRUE, 100, NULL);
  fail_unless_equals_int (gop_store_n_gops (s), 2);
  fail_unless_equals_int (caps_a->ref, 1);
  fail_unless_equals_int (caps_b->ref, 2);
  fail_unless_equals_int (gop_store_get_stats (s)->cached_events, 1);
  {
    gpointer items[GOP_STICKY_SLOTS];
    fail_if (gop_store_sticky_at (s, g1, FALSE, items));
  }

  /* clear (flush) drops the GOPs, keeps the current state */
  gop_store_clear (s);
  fail_unless_equals_int (gop_store_get_stats (s)->cached_events, 0);
  fail_unless (gop_store_get_sticky (s, FALSE, 1) == caps_c);
  push_frame (s, 20, TRUE, 100, NULL);
  fail_unless (gop_store_join_point (s, TRUE, &g2, NULL));
  {
    static const guint state3[] = { 0, 902, 910, 0 };
    assert_ids (sticky_ids (s, g2, FALSE), state3, 4);
  }
  gop_store_unset_sticky (s, FALSE, 2);
  fail_unless (gop_store_get_sticky (s, FALSE, 2) == NULL);
  gop_store_reset_sticky (s);
  fail_unless (gop_store_get_sticky (s, TRUE, 1) == NULL);
  /* still the state of the cached GOP */
  fail_unless_equals_int (acaps->ref, 2);
  gop_store_clear (s);
  fail_unless_equals_int (acaps->ref, 1);

  item_unref (caps_a);
  item_unref (seg);
  item_unref (caps_b);
  item_unref (caps_c);
  item_unref (acaps);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_sticky_bounded)
{
  /* events count towards max-bytes: a GOP that outgrows it with its
   * events is discarded, the state survives for the next GOP */
  GopStore *s = store_new (1, 1000, 0);
  Item *c1 = item_new (1), *c2 = item_new (2);
  GopPushInfo info;
  guint64 g;
  static const guint state[] = { 0, 2, 0, 0 };
  static const guint join[] = { 10 };

  push_frame (s, 0, TRUE, 100, NULL);
  fail_unless_equals_int (push_sticky (s, c1, FALSE, 1, 400), GOP_PUSH_STORED);
  fail_unless_equals_int (gop_store_push_sticky (s, c2, FALSE, 1, 600, &info),
      GOP_PUSH_DISCARDED);
  fail_unless (info.overflow);
  fail_unless_equals_int (gop_store_n_gops (s), 0);
  fail_unless_equals_int (gop_store_get_stats (s)->cached_events, 0);
  fail_unless_equals_uint64 (gop_store_get_stats (s)->cached_bytes, 0);
  /* only the frame counts as discarded data */
  fail_unless_equals_uint64 (gop_store_get_stats (s)->discarded_entries, 1);
  fail_unless_equals_int (c1->ref, 1);
  /* discarding until the next keyframe, which starts with caps 2 */
  push_frame (s, 1, FALSE, 100, NULL);
  fail_unless_equals_int (push_sticky (s, c1, FALSE, 1, 400),
      GOP_PUSH_DISCARDED);
  push_sticky (s, c2, FALSE, 1, 400);
  push_frame (s, 10, TRUE, 100, NULL);
  fail_unless (gop_store_join_point (s, TRUE, &g, NULL));
  assert_ids (sticky_ids (s, g, FALSE), state, 4);
  assert_ids (join_ids_at (s, g, FALSE), join, 1);
  item_unref (c1);
  item_unref (c2);
  store_free (s);
}

GST_END_TEST;

GST_START_TEST (test_sticky_audio_overlap)
{
  /* audio overlapping the next keyframe moves into its GOP, but not
   * across an audio event: the new GOP's audio state stays exact */
  GopStore *s = store_new (2, 1 << 20, 0);
  Item *a1 = item_new (500), *a2 = item_new (501);
  guint64 g;
  static const guint state[] = { 0, 501, 0, 0 };

  push_sticky (s, a1, TRUE, 1, 10);
  push_full (s, 1, GOP_FLAG_KEYFRAME, 0, 0, 100, NULL);
  push_audio (s, 201, 10, 20, NULL);
  push_audio (s, 202, 185, 20, NULL);   /* overlaps 200, before the event */
  push_sticky (s, a2, TRUE, 1, 10);
  push_audio (s, 203, 190, 20, NULL);   /* overlaps, after the event: */
  push_full (s, 100, GOP_FLAG_KEYFRAME, 200, 200, 100, NULL);
  push_audio (s, 204, 210, 20, NULL);
  push_audio (s, 205, 230, 20, NULL);
  fail_unless (gop_store_join_point (s, TRUE, &g, NULL));
  assert_ids (sticky_ids (s, g, TRUE), state, 4);
  {
    /* 203 moved (after the event), 202 stayed (before it) */
    static const guint moved[] = { 203, 204, 205 };
    assert_ids (join_ids_at (s, g, TRUE), moved, 3);
  }
  fail_unless (gop_store_join_point (s, FALSE, &g, NULL));
  {
    static const guint old[] = { 201, 202, 501, 203, 204, 205 };
    assert_ids (join_ids_at (s, g, TRUE), old, 6);
  }
  item_unref (a1);
  item_unref (a2);
  store_free (s);
}

GST_END_TEST;

/* ---- lag queue ---- */

static gint live_lag;

static gpointer
lag_item (guint id)
{
  live_lag++;
  return GUINT_TO_POINTER (id + 1);
}

static void
lag_free (gpointer p)
{
  live_lag--;
}

/* video frame n at 40 ms, key every @gop frames */
static guint
lag_push_frame (LagQueue * q, guint n, guint gop)
{
  return lag_queue_push (q, lag_item (n),
      n % gop == 0 ? GOP_FLAG_KEYFRAME : 0, n * 40 * MS, 100);
}

static guint
lag_pop_id (LagQueue * q)
{
  LagItem it;
  fail_unless (lag_queue_pop (q, &it));
  lag_free (it.item);
  return GPOINTER_TO_UINT (it.item) - 1;
}

GST_START_TEST (test_lag_resume_at_newest_keyframe)
{
  LagQueue *q = lag_queue_new (lag_free);
  const LagStats *st;
  guint n, dropped = 0;

  live_lag = 0;
  /* GOP of 10 frames = 400 ms, max lag 500 ms */
  lag_queue_set_limits (q, 500 * MS, 0);
  for (n = 0; n < 13; n++)
    dropped += lag_push_frame (q, n, 10);
  /* at frame 13 the span 0..520 ms exceeds 500 ms: frames 0..9 go and the
   * queue resumes at keyframe 10 */
  fail_unless_equals_int (dropped, 0);
  dropped = lag_push_frame (q, 13, 10);
  fail_unless_equals_int (dropped, 10);
  fail_unless_equals_int (lag_queue_length (q), 4);
  fail_unless_equals_int (lag_pop_id (q), 10);
  st = lag_queue_get_stats (q);
  fail_unless_equals_uint64 (st->dropped_gops, 1);
  fail_unless_equals_uint64 (st->dropped_buffers, 10);
  fail_unless_equals_uint64 (st->lag_events, 1);
  fail_unless_equals_uint64 (lag_queue_bytes (q), 300);
  lag_queue_free (q);
  fail_unless_equals_int (live_lag, 0);
}

GST_END_TEST;

GST_START_TEST (test_lag_wait_next_keyframe)
{
  LagQueue *q = lag_queue_new (lag_free);
  guint n;

  live_lag = 0;
  /* GOP of 30 frames = 1.2 s, longer than max lag: the queue empties and
   * waits for the next keyframe */
  lag_queue_set_limits (q, 500 * MS, 0);
  /* an event in the middle is kept */
  for (n = 0; n < 5; n++)
    lag_push_frame (q, n, 30);
  lag_queue_push (q, lag_item (1000), GOP_FLAG_EVENT, NONE, 0);
  for (n = 5; n < 13; n++)
    lag_push_frame (q, n, 30);
  fail_unless_equals_int (lag_queue_length (q), 13 + 1);
  fail_unless_equals_int (lag_push_frame (q, 13, 30), 14);
  /* only the event remains */
  fail_unless_equals_int (lag_queue_length (q), 1);
  fail_unless_equals_int (lag_pop_id (q), 1000);
  /* deltas are dropped until the keyframe */
  for (n = 14; n < 30; n++)
    fail_unless_equals_int (lag_push_frame (q, n, 30), 1);
  fail_unless (lag_queue_is_empty (q));
  fail_unless_equals_int (lag_push_frame (q, 30, 30), 0);
  fail_unless_equals_int (lag_push_frame (q, 31, 30), 0);
  fail_unless_equals_int (lag_pop_id (q), 30);
  fail_unless_equals_int (lag_pop_id (q), 31);
  fail_unless_equals_uint64 (lag_queue_get_stats (q)->dropped_buffers, 14 + 16);
  lag_queue_free (q);
  fail_unless_equals_int (live_lag, 0);
}

GST_END_TEST;

GST_START_TEST (test_lag_no_drop_when_consumer_keeps_up)
{
  LagQueue *q = lag_queue_new (lag_free);
  guint n;

  live_lag = 0;
  lag_queue_set_limits (q, 200 * MS, 0);
  for (n = 0; n < 1000; n++) {
    fail_unless_equals_int (lag_push_frame (q, n, 10), 0);
    if (n >= 3)
      fail_unless_equals_int (lag_pop_id (q), n - 3);
  }
  fail_unless_equals_uint64 (lag_queue_get_stats (q)->dropped_buffers, 0);
  fail_unless_equals_uint64 (lag_queue_get_stats (q)->max_seen_lag, 120 * MS);
  lag_queue_free (q);
  fail_unless_equals_int (live_lag, 0);
}

GST_END_TEST;

GST_START_TEST (test_lag_bytes_and_leading)
{
  LagQueue *q = lag_queue_new (lag_free);

  live_lag = 0;
  lag_queue_set_limits (q, 0, 450);
  /* closed GOP 1,2,3 then open GOP 4 with leading picture 5 */
  lag_queue_push (q, lag_item (1), GOP_FLAG_KEYFRAME, 0, 100);
  lag_queue_push (q, lag_item (2), 0, 1, 100);
  lag_queue_push (q, lag_item (3), 0, 2, 100);
  lag_queue_push (q, lag_item (4), GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN, 3, 100);
  fail_unless_equals_int (lag_queue_length (q), 4);
  /* 500 bytes > 450: resume at 4 and drop its leading picture 5 */
  fail_unless_equals_int (lag_queue_push (q, lag_item (5),
          GOP_FLAG_SKIP_ON_JOIN, 4, 100), 4);
  /* further leading pictures of the resumed GOP are dropped too */
  fail_unless_equals_int (lag_queue_push (q, lag_item (6),
          GOP_FLAG_SKIP_ON_JOIN, 5, 100), 1);
  fail_unless_equals_int (lag_queue_push (q, lag_item (7), 0, 6, 100), 0);
  fail_unless_equals_int (lag_pop_id (q), 4);
  fail_unless_equals_int (lag_pop_id (q), 7);
  fail_unless (lag_queue_is_empty (q));
  lag_queue_clear (q, TRUE);
  fail_unless_equals_int (lag_queue_push (q, lag_item (8), 0, 7, 100), 1);
  lag_queue_free (q);
  fail_unless_equals_int (live_lag, 0);
}

GST_END_TEST;

static Suite *
gopstore_suite (void)
{
  Suite *s = suite_create ("gopstore");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_gop_boundaries);
  tcase_add_test (tc, test_gop_stats);
  tcase_add_test (tc, test_evict_max_gops);
  tcase_add_test (tc, test_evict_max_bytes);
  tcase_add_test (tc, test_evict_max_time);
  tcase_add_test (tc, test_no_keyframe_stream);
  tcase_add_test (tc, test_open_gop_h264);
  tcase_add_test (tc, test_open_gop_h265_flags);
  tcase_add_test (tc, test_closed_gop_b_frames_kept);
  tcase_add_test (tc, test_audio_aligned);
  tcase_add_test (tc, test_many_entries_ring_growth);
  tcase_add_test (tc, test_sticky_replayed_at_place);
  tcase_add_test (tc, test_sticky_bounded);
  tcase_add_test (tc, test_sticky_audio_overlap);
  tcase_add_test (tc, test_lag_resume_at_newest_keyframe);
  tcase_add_test (tc, test_lag_wait_next_keyframe);
  tcase_add_test (tc, test_lag_no_drop_when_consumer_keeps_up);
  tcase_add_test (tc, test_lag_bytes_and_leading);
  return s;
}

GST_CHECK_MAIN (gopstore);
