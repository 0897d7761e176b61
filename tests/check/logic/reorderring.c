/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of chunkreorder's ring: no pipeline, no clock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <string.h>

#include "reorderring.h"

#define MS (G_GUINT64_CONSTANT (1000000))

/* items are sequence numbers + 1 stored in pointers */
#define ITEM(s) GSIZE_TO_POINTER ((gsize) (s) + 1)
#define ITEM_SEQ(p) ((guint64) GPOINTER_TO_SIZE (p) - 1)

typedef struct
{
  ReorderRing *ring;
  GArray *seqs;                 /* pushed sequence numbers, in push order */
  guint64 lost;
  guint64 lost_events;
  guint resets_seen;
  guint64 dropped;              /* duplicates + late the caller dropped */
} Fixture;

static void
fixture_init (Fixture * f, const ReorderConfig * cfg)
{
  f->ring = reorder_ring_new (cfg);
  f->seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  f->lost = f->lost_events = 0;
  f->resets_seen = 0;
  f->dropped = 0;
}

static void
fixture_clear (Fixture * f)
{
  reorder_ring_free (f->ring, NULL);
  g_array_free (f->seqs, TRUE);
}

static void
collect (Fixture * f)
{
  guint i, n;
  ReorderOutput *out = reorder_ring_get_output (f->ring, &n);

  for (i = 0; i < n; i++) {
    guint64 s = ITEM_SEQ (out[i].item);
    fail_unless_equals_uint64 (s, out[i].seq);
    if (out[i].lost_count) {
      f->lost += out[i].lost_count;
      f->lost_events++;
      fail_unless_equals_uint64 (out[i].lost_first + out[i].lost_count,
          out[i].seq);
    }
    if (out[i].reset)
      f->resets_seen++;
    g_array_append_val (f->seqs, s);
  }
  reorder_ring_clear_output (f->ring);
}

static ReorderResult
push (Fixture * f, guint64 seq, guint64 now)
{
  ReorderResult res = reorder_ring_push (f->ring, seq, ITEM (seq), 100, now);

  if (res == REORDER_RESULT_PUSH)
    g_array_append_val (f->seqs, seq);
  else if (res == REORDER_RESULT_DUPLICATE || res == REORDER_RESULT_LATE)
    f->dropped++;
  collect (f);
  return res;
}

static void
check_identity (Fixture * f, gboolean drop_duplicates)
{
  const ReorderStats *st = reorder_ring_get_stats (f->ring);
  guint64 dups = drop_duplicates ? st->duplicates : 0;

  fail_unless_equals_uint64 (st->in,
      st->pushed + dups + st->late + st->invalid + st->held + st->flushed);
  fail_unless_equals_uint64 (st->dropped, dups + st->late + st->invalid);
  fail_unless_equals_uint64 (st->in,
      st->pushed + st->dropped + st->held + st->flushed);
  fail_unless_equals_uint64 (st->pushed, f->seqs->len);
}

static guint64
seq_at (Fixture * f, guint i)
{
  return g_array_index (f->seqs, guint64, i);
}

/* Push the first item of a numbering and end the start at once (as a
 * drain does), so that the test goes on from a started ring. */
static void
start_with (Fixture * f, guint64 seq)
{
  guint before = f->seqs->len;

  fail_unless_equals_int (push (f, seq, 0), REORDER_RESULT_TAKEN);
  reorder_ring_drain (f->ring);
  collect (f);
  fail_unless_equals_int (f->seqs->len, before + 1);
  fail_unless_equals_uint64 (seq_at (f, before), seq);
}

static void
default_config (ReorderConfig * cfg)
{
  cfg->window = 32;
  cfg->max_buffers = 0;
  cfg->max_bytes = 0;
  cfg->max_dropout = 3000;
  cfg->timeout = 50 * MS;
  cfg->drop_duplicates = TRUE;
}

GST_START_TEST (test_in_order_fast_path)
{
  Fixture f;
  ReorderConfig cfg;
  guint64 s;

  default_config (&cfg);
  cfg.timeout = 0;
  fixture_init (&f, &cfg);
  /* the first window is held: 1000..1030 might still be preceded by
   * numbers that come later */
  for (s = 1000; s < 1031; s++)
    fail_unless_equals_int (push (&f, s, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (f.seqs->len, 0);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), REORDER_TIME_NONE);
  /* 1031 fills the window: nothing below 1000 can come any more */
  fail_unless_equals_int (push (&f, 1031, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (f.seqs->len, 32);
  /* from then on: straight through */
  for (s = 1032; s < 1100; s++) {
    fail_unless (reorder_ring_is_next (f.ring, s));
    fail_unless_equals_int (push (&f, s, 0), REORDER_RESULT_PUSH);
  }
  fail_unless_equals_int (f.seqs->len, 100);
  for (s = 0; s < 100; s++)
    fail_unless_equals_uint64 (seq_at (&f, s), 1000 + s);
  /* held at the start, but never ahead of a gap */
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->reordered, 0);
  fail_unless_equals_uint64
      (reorder_ring_get_stats (f.ring)->max_reorder_distance, 0);
  fail_unless_equals_uint64 (f.lost, 0);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), REORDER_TIME_NONE);
  check_identity (&f, TRUE);
  fixture_clear (&f);

  /* with a timeout, the first item is held for at most the timeout */
  default_config (&cfg);
  fixture_init (&f, &cfg);
  push (&f, 7, 10 * MS);
  push (&f, 8, 30 * MS);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), 60 * MS);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 59 * MS), 0);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 60 * MS), 2);
  collect (&f);
  fail_unless_equals_int (push (&f, 9, 61 * MS), REORDER_RESULT_PUSH);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->timeouts, 0);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->reordered, 0);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_reordered)
{
  Fixture f;
  ReorderConfig cfg;
  const guint64 order[] = { 0, 2, 3, 1, 4, 7, 6, 5, 8 };
  guint i;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  for (i = 0; i < G_N_ELEMENTS (order); i++)
    push (&f, order[i], i * MS);
  /* all held at the start, until the first one was held for 50 ms */
  fail_unless_equals_int (f.seqs->len, 0);
  reorder_ring_expire (f.ring, 50 * MS);
  collect (&f);

  fail_unless_equals_int (f.seqs->len, 9);
  for (i = 0; i < 9; i++)
    fail_unless_equals_uint64 (seq_at (&f, i), i);
  fail_unless_equals_uint64 (f.lost, 0);
  /* 2, 3, 7, 6 came ahead of a gap; 3 and 7 two ahead */
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->reordered, 4);
  fail_unless_equals_uint64
      (reorder_ring_get_stats (f.ring)->max_reorder_distance, 2);
  check_identity (&f, TRUE);
  fixture_clear (&f);

  /* the same once started */
  default_config (&cfg);
  fixture_init (&f, &cfg);
  start_with (&f, 100);
  for (i = 0; i < G_N_ELEMENTS (order); i++)
    push (&f, 101 + order[i], i * MS);
  fail_unless_equals_int (f.seqs->len, 10);
  for (i = 0; i < 10; i++)
    fail_unless_equals_uint64 (seq_at (&f, i), 100 + i);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->reordered, 4);
  fail_unless_equals_uint64
      (reorder_ring_get_stats (f.ring)->max_reorder_distance, 2);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_duplicates_and_late)
{
  Fixture f;
  ReorderConfig cfg;
  const ReorderStats *st;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  push (&f, 10, 0);
  push (&f, 12, 0);             /* held */
  fail_unless_equals_int (push (&f, 12, 0), REORDER_RESULT_DUPLICATE);
  fail_unless_equals_int (push (&f, 10, 0), REORDER_RESULT_DUPLICATE);
  /* time out the gap at 11 */
  reorder_ring_expire (f.ring, 50 * MS);
  collect (&f);
  fail_unless_equals_int (f.seqs->len, 2);
  fail_unless_equals_uint64 (f.lost, 1);
  /* 11 arrives after it was given up */
  fail_unless_equals_int (push (&f, 11, 60 * MS), REORDER_RESULT_LATE);
  /* much older than the history: late as well */
  fail_unless_equals_int (push (&f, 3, 60 * MS), REORDER_RESULT_LATE);

  st = reorder_ring_get_stats (f.ring);
  fail_unless_equals_uint64 (st->duplicates, 2);
  fail_unless_equals_uint64 (st->late, 2);
  fail_unless_equals_uint64 (st->timeouts, 1);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_duplicates_passed)
{
  Fixture f;
  ReorderConfig cfg;

  default_config (&cfg);
  cfg.drop_duplicates = FALSE;
  fixture_init (&f, &cfg);
  push (&f, 1, 0);
  fail_unless_equals_int (push (&f, 1, 0), REORDER_RESULT_DUPLICATE);
  /* the caller pushes it: the ring counted it as pushed */
  g_array_append_val (f.seqs, f.seqs->len);
  f.dropped--;
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->duplicates, 1);
  check_identity (&f, FALSE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_lost_by_window)
{
  Fixture f;
  ReorderConfig cfg;
  guint64 s;

  default_config (&cfg);
  cfg.window = 8;
  cfg.timeout = 0;
  fixture_init (&f, &cfg);
  push (&f, 0, 0);
  /* 1 never comes: 2..8 are held, 9 pushes the window past 1 */
  for (s = 2; s <= 8; s++)
    fail_unless_equals_int (push (&f, s, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (f.seqs->len, 1);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), REORDER_TIME_NONE);
  push (&f, 9, 0);
  fail_unless_equals_int (f.seqs->len, 9);
  for (s = 1; s < 9; s++)
    fail_unless_equals_uint64 (seq_at (&f, s), s + 1);
  fail_unless_equals_uint64 (f.lost, 1);
  fail_unless_equals_uint64 (f.lost_events, 1);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_timeout_deadline)
{
  Fixture f;
  ReorderConfig cfg;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  start_with (&f, 0);
  push (&f, 2, 10 * MS);
  push (&f, 5, 20 * MS);
  /* the gap at 1 is held up by 2 (arrived at 10 ms) */
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), 60 * MS);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 59 * MS), 0);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 60 * MS), 1);
  collect (&f);
  /* the gap 3..4 is held up by 5 (arrived at 20 ms) */
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), 70 * MS);
  push (&f, 3, 65 * MS);
  push (&f, 4, 66 * MS);
  fail_unless_equals_int (f.seqs->len, 5);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), REORDER_TIME_NONE);
  fail_unless_equals_uint64 (f.lost, 1);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_wraparound16)
{
  Fixture f;
  ReorderConfig cfg;
  guint64 highest = 0;
  guint16 s16[] = { 65533, 65534, 0, 65535, 1, 3, 2, 4 };
  guint i;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  for (i = 0; i < G_N_ELEMENTS (s16); i++)
    push (&f, reorder_ext_seq16 (&highest, s16[i]), 0);
  reorder_ring_expire (f.ring, 50 * MS);
  collect (&f);

  fail_unless_equals_int (f.seqs->len, 8);
  for (i = 1; i < 8; i++)
    fail_unless_equals_uint64 (seq_at (&f, i), seq_at (&f, i - 1) + 1);
  fail_unless_equals_int (seq_at (&f, 3) & 0xffff, 0);
  fail_unless_equals_uint64 (f.lost, 0);
  check_identity (&f, TRUE);

  /* a full turn of the 16-bit space keeps counting up */
  highest = 0;
  {
    guint64 prev = reorder_ext_seq16 (&highest, 0), e;
    guint n;
    for (n = 1; n < 200000; n++) {
      e = reorder_ext_seq16 (&highest, (guint16) n);
      fail_unless_equals_uint64 (e, prev + 1);
      prev = e;
    }
  }
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_dropout_reset)
{
  Fixture f;
  ReorderConfig cfg;
  const ReorderStats *st;

  default_config (&cfg);
  cfg.max_dropout = 100;
  fixture_init (&f, &cfg);
  start_with (&f, 10);
  push (&f, 12, 0);             /* held */
  push (&f, 13, 0);             /* held */
  /* sender restart: far ahead. What was held goes out, the new numbering
   * starts like the first one: its first window is held */
  fail_unless_equals_int (push (&f, 5000, 0), REORDER_RESULT_TAKEN);
  st = reorder_ring_get_stats (f.ring);
  fail_unless_equals_uint64 (st->resets, 1);
  fail_unless_equals_int (f.seqs->len, 3);
  fail_unless_equals_uint64 (seq_at (&f, 1), 12);
  fail_unless_equals_uint64 (seq_at (&f, 2), 13);
  /* the hole at 11 is lost */
  fail_unless_equals_uint64 (f.lost, 1);
  /* sent before 5000 in the new numbering */
  fail_unless_equals_int (push (&f, 4999, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 50 * MS), 2);
  collect (&f);
  fail_unless_equals_int (f.seqs->len, 5);
  fail_unless_equals_uint64 (seq_at (&f, 3), 4999);
  fail_unless_equals_uint64 (seq_at (&f, 4), 5000);
  fail_unless_equals_int (f.resets_seen, 1);
  /* the jump itself is not loss */
  fail_unless_equals_uint64 (f.lost, 1);
  fail_unless_equals_int (push (&f, 5001, 60 * MS), REORDER_RESULT_PUSH);

  /* sender restart backwards */
  fail_unless_equals_int (push (&f, 7, 60 * MS), REORDER_RESULT_TAKEN);
  fail_unless_equals_uint64 (st->resets, 2);
  fail_unless_equals_int (push (&f, 8, 70 * MS), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 110 * MS), 2);
  collect (&f);
  fail_unless_equals_int (f.resets_seen, 2);
  fail_unless_equals_int (push (&f, 9, 120 * MS), REORDER_RESULT_PUSH);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_overflow)
{
  Fixture f;
  ReorderConfig cfg;
  const ReorderStats *st;
  guint64 s;

  default_config (&cfg);
  cfg.max_buffers = 4;
  fixture_init (&f, &cfg);
  start_with (&f, 0);
  for (s = 2; s <= 6; s++)
    push (&f, s, 0);
  st = reorder_ring_get_stats (f.ring);
  /* the fifth held item forced the gap at 1 open */
  fail_unless_equals_uint64 (st->overflows, 1);
  fail_unless (st->held <= 4);
  fail_unless_equals_int (f.seqs->len, 6);
  fail_unless_equals_uint64 (f.lost, 1);
  check_identity (&f, TRUE);

  /* bytes cap: 100 bytes per item, at most 250 held */
  cfg.max_buffers = 0;
  cfg.max_bytes = 250;
  reorder_ring_configure (f.ring, &cfg);
  push (&f, 8, 0);
  push (&f, 9, 0);
  fail_unless_equals_int (st->held, 2);
  push (&f, 10, 0);
  fail_unless_equals_uint64 (st->overflows, 2);
  fail_unless (st->held_bytes <= 250);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_drain)
{
  Fixture f;
  ReorderConfig cfg;
  guint i;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  push (&f, 0, 0);
  push (&f, 3, 0);
  push (&f, 2, 0);
  push (&f, 6, 0);
  reorder_ring_drain (f.ring);
  collect (&f);
  fail_unless_equals_int (f.seqs->len, 4);
  for (i = 1; i < 4; i++)
    fail_unless (seq_at (&f, i) > seq_at (&f, i - 1));
  fail_unless_equals_uint64 (f.lost, 3);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->held, 0);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_window_grow_and_shrink)
{
  Fixture f;
  ReorderConfig cfg;

  default_config (&cfg);
  cfg.window = 4;
  fixture_init (&f, &cfg);
  push (&f, 0, 0);
  push (&f, 2, 0);
  push (&f, 3, 0);
  cfg.window = 1000;
  reorder_ring_configure (f.ring, &cfg);
  collect (&f);
  push (&f, 500, 0);
  fail_unless_equals_int (reorder_ring_get_stats (f.ring)->held, 3);
  push (&f, 1, 0);
  fail_unless_equals_int (f.seqs->len, 4);
  cfg.window = 8;
  reorder_ring_configure (f.ring, &cfg);
  collect (&f);
  /* 4..492 are given up, 500 still fits in the smaller window */
  fail_unless_equals_int (reorder_ring_get_stats (f.ring)->held, 1);
  fail_unless_equals_uint64 (reorder_ring_get_expected (f.ring), 493);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->lost, 489);
  reorder_ring_drain (f.ring);
  collect (&f);
  fail_unless_equals_uint64 (seq_at (&f, 4), 500);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

/* Randomised: local reordering, duplicates and losses, checked against
 * what any correct reorderer must do. */
GST_START_TEST (test_random_against_model)
{
  guint round;

  for (round = 0; round < 50; round++) {
    GRand *rand = g_rand_new_with_seed (round + 1);
    Fixture f;
    ReorderConfig cfg;
    GArray *input = g_array_new (FALSE, FALSE, sizeof (guint64));
    GHashTable *sent = g_hash_table_new (g_int64_hash, g_int64_equal);
    GHashTable *late = g_hash_table_new (g_int64_hash, g_int64_equal);
    guint64 s, now = 0;
    guint i, n = 2000;
    const ReorderStats *st;

    default_config (&cfg);
    cfg.window = g_rand_int_range (rand, 2, 64);
    cfg.timeout = g_rand_boolean (rand) ? 30 * MS : 0;
    cfg.max_buffers =
        g_rand_boolean (rand) ? g_rand_int_range (rand, 1, 40) : 0;
    fixture_init (&f, &cfg);

    for (s = 0; s < n; s++) {
      if (g_rand_double (rand) < 0.03)
        continue;               /* lost */
      g_array_append_val (input, s);
      if (g_rand_double (rand) < 0.02)
        g_array_append_val (input, s);  /* duplicated */
    }
    /* displace about 10 % of the chunks by up to 40 places */
    for (i = 0; i < input->len; i++) {
      if (g_rand_double (rand) < 0.1) {
        guint j = i + g_rand_int_range (rand, 1, 40);
        guint64 tmp;

        j = MIN (j, input->len - 1);
        tmp = g_array_index (input, guint64, i);
        g_array_index (input, guint64, i) = g_array_index (input, guint64, j);
        g_array_index (input, guint64, j) = tmp;
      }
    }

    for (i = 0; i < input->len; i++) {
      guint64 v = g_array_index (input, guint64, i);
      now += MS;
      g_hash_table_add (sent, &g_array_index (input, guint64, i));
      reorder_ring_expire (f.ring, now);
      collect (&f);
      if (push (&f, v, now) == REORDER_RESULT_LATE)
        g_hash_table_add (late, &g_array_index (input, guint64, i));
    }
    reorder_ring_drain (f.ring);
    collect (&f);

    st = reorder_ring_get_stats (f.ring);
    /* strictly increasing output, each item exactly once */
    for (i = 1; i < f.seqs->len; i++)
      fail_unless (seq_at (&f, i) > seq_at (&f, i - 1),
          "round %u at %u: %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT,
          round, i, seq_at (&f, i), seq_at (&f, i - 1));
    /* every output number was sent */
    for (i = 0; i < f.seqs->len; i++) {
      guint64 v = seq_at (&f, i);
      fail_unless (g_hash_table_contains (sent, &v));
    }
    /* lost reported == holes in the output range */
    fail_unless_equals_uint64 (f.lost,
        seq_at (&f, f.seqs->len - 1) - seq_at (&f, 0) + 1 - f.seqs->len);
    /* every distinct number sent is either out or late, never both */
    fail_unless_equals_uint64 (g_hash_table_size (sent),
        f.seqs->len + g_hash_table_size (late));
    fail_unless (st->late >= g_hash_table_size (late));
    fail_unless_equals_uint64 (st->held, 0);
    check_identity (&f, TRUE);
    fail_unless_equals_uint64 (st->in, input->len);

    fixture_clear (&f);
    g_hash_table_unref (sent);
    g_hash_table_unref (late);
    g_array_free (input, TRUE);
    g_rand_free (rand);
  }
}

GST_END_TEST;

GST_START_TEST (test_restart)
{
  Fixture f;
  ReorderConfig cfg;
  const ReorderStats *st;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  /* nothing is next before the numbering started */
  fail_if (reorder_ring_is_next (f.ring, 100));
  start_with (&f, 100);
  fail_unless (reorder_ring_is_next (f.ring, 101));
  push (&f, 102, 0);            /* held */
  /* 101 would release 102 as well: not the plain fast path */
  fail_if (reorder_ring_is_next (f.ring, 101));

  /* a new stream: what is held goes out in order, numbering restarts */
  fail_unless_equals_int (reorder_ring_restart (f.ring, FALSE), 1);
  collect (&f);
  fail_unless_equals_int (f.seqs->len, 2);
  fail_unless_equals_uint64 (f.lost, 1);
  fail_if (reorder_ring_has_expected (f.ring));
  /* an old number is not late in the new stream; its first window is
   * held */
  fail_unless_equals_int (push (&f, 8, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (push (&f, 7, 0), REORDER_RESULT_TAKEN);
  fail_if (reorder_ring_is_next (f.ring, 9));
  fail_unless_equals_int (reorder_ring_expire (f.ring, 50 * MS), 2);
  collect (&f);
  fail_unless_equals_uint64 (seq_at (&f, 2), 7);
  fail_unless_equals_uint64 (seq_at (&f, 3), 8);
  fail_unless (reorder_ring_is_next (f.ring, 9));
  st = reorder_ring_get_stats (f.ring);
  fail_unless_equals_uint64 (st->resets, 0);
  fail_unless_equals_int (f.resets_seen, 0);

  /* as a reset: counted, and the first output says so */
  push (&f, 10, 0);             /* held */
  reorder_ring_restart (f.ring, TRUE);
  collect (&f);
  fail_unless_equals_uint64 (st->resets, 1);
  fail_if (reorder_ring_is_next (f.ring, 0));
  fail_unless_equals_int (push (&f, 0, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (f.resets_seen, 0);
  reorder_ring_drain (f.ring);
  collect (&f);
  fail_unless_equals_int (f.resets_seen, 1);
  fail_unless_equals_uint64 (seq_at (&f, f.seqs->len - 1), 0);
  fail_unless (reorder_ring_is_next (f.ring, 1));
  fail_unless_equals_int (push (&f, 1, 0), REORDER_RESULT_PUSH);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_clear_counts_flushed)
{
  Fixture f;
  ReorderConfig cfg;
  const ReorderStats *st;
  guint n;

  default_config (&cfg);
  fixture_init (&f, &cfg);
  start_with (&f, 0);
  push (&f, 2, 0);
  push (&f, 3, 0);
  st = reorder_ring_get_stats (f.ring);
  fail_unless_equals_int (st->held, 2);
  reorder_ring_clear (f.ring, NULL);
  fail_unless_equals_int (st->held, 0);
  fail_unless_equals_uint64 (st->flushed, 2);
  fail_unless_equals_uint64 (st->in, 3);
  check_identity (&f, TRUE);

  /* a flush also forgets the start window held */
  push (&f, 40, 0);
  push (&f, 41, 0);
  reorder_ring_clear (f.ring, NULL);
  fail_unless_equals_uint64 (st->flushed, 4);
  check_identity (&f, TRUE);

  /* outputs the caller could not deliver */
  start_with (&f, 50);
  push (&f, 52, 0);
  push (&f, 51, 0);             /* releases 51, 52 */
  reorder_ring_get_output (f.ring, &n);
  fail_unless_equals_int (n, 0);        /* collected by push () */
  reorder_ring_count_flushed (f.ring, 1);
  g_array_set_size (f.seqs, f.seqs->len - 1);
  fail_unless_equals_uint64 (st->flushed, 5);
  check_identity (&f, TRUE);

  /* invalid and passthrough keep the identity */
  reorder_ring_count_invalid (f.ring);
  reorder_ring_count_passthrough (f.ring);
  g_array_append_val (f.seqs, f.seqs->len);
  fail_unless_equals_uint64 (st->passthrough, 1);
  fail_unless_equals_uint64 (st->invalid, 1);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

/* ---- the start of a numbering ------------------------------------------
 * Whatever order the first chunks arrive in, as long as each arrives before
 * a chunk a window or more above it (and, with a timeout, within the
 * timeout of the first arrival), every chunk comes out, in order. */

/* What a reorderer must report for @order: the items that arrived ahead of
 * a gap (a lower number arrived after them) and the largest distance from
 * the first number missing at their arrival. */
static void
expected_reordering (const guint64 * order, guint n, guint64 base,
    guint64 * reordered, guint64 * max_dist)
{
  gboolean *arrived = g_new0 (gboolean, n);
  guint i, j;

  *reordered = *max_dist = 0;
  for (i = 0; i < n; i++) {
    guint64 x = order[i] - base;

    for (j = 0; j < x && arrived[j]; j++);
    if (j < x) {
      guint k;
      gboolean lower_later = FALSE;

      for (k = i + 1; k < n; k++)
        if (order[k] < order[i])
          lower_later = TRUE;
      if (lower_later) {
        (*reordered)++;
        *max_dist = MAX (*max_dist, x - j);
      }
    }
    arrived[x] = TRUE;
  }
  g_free (arrived);
}

/* Push @order (arrival order of base..base+n-1) one @step apart, the timer
 * firing as time passes; no drain unless @drain. Returns the fixture with
 * everything collected. */
static void
run_order (Fixture * f, const ReorderConfig * cfg, const guint64 * order,
    guint n, guint64 step, guint64 * now)
{
  guint i;

  for (i = 0; i < n; i++) {
    *now += step;
    reorder_ring_expire (f->ring, *now);
    collect (f);
    fail_if (push (f, order[i], *now) == REORDER_RESULT_LATE,
        "%" G_GUINT64_FORMAT " (arrival %u) late", order[i], i);
  }
}

static void
assert_all_in_order (Fixture * f, guint from, guint64 base, guint n)
{
  guint i;

  fail_unless_equals_int (f->seqs->len - from, n);
  for (i = 0; i < n; i++)
    fail_unless_equals_uint64 (seq_at (f, from + i), base + i);
}

/* every arrival order of the first 6 numbers, with the window or the
 * timeout ending the start */
GST_START_TEST (test_start_every_order)
{
  guint64 perm[6] = { 0, 1, 2, 3, 4, 5 };
  guint c[6] = { 0, };
  guint n_perms = 0, k, mode;

  for (mode = 0; mode < 2; mode++) {
    /* Heap's algorithm: all 720 permutations */
    memset (c, 0, sizeof (c));
    for (k = 0; k < 6; k++)
      perm[k] = k;
    k = 0;
    for (;;) {
      Fixture f;
      ReorderConfig cfg;
      guint64 order[40], now = 0, base = 1000 + n_perms, want_re, want_dist;
      const ReorderStats *st;
      guint i;

      default_config (&cfg);
      cfg.window = 8;
      cfg.timeout = mode == 0 ? 0 : 20 * MS;
      for (i = 0; i < 6; i++)
        order[i] = base + perm[i];
      for (i = 6; i < 40; i++)
        order[i] = base + i;

      fixture_init (&f, &cfg);
      run_order (&f, &cfg, order, 40, MS, &now);
      /* all but the last window are out without a drain */
      fail_unless (f.seqs->len >= 40 - 8);
      reorder_ring_drain (f.ring);
      collect (&f);
      assert_all_in_order (&f, 0, base, 40);
      st = reorder_ring_get_stats (f.ring);
      fail_unless_equals_uint64 (st->late, 0);
      fail_unless_equals_uint64 (st->lost, 0);
      fail_unless_equals_uint64 (st->timeouts, 0);
      expected_reordering (order, 40, base, &want_re, &want_dist);
      fail_unless_equals_uint64 (st->reordered, want_re);
      fail_unless_equals_uint64 (st->max_reorder_distance, want_dist);
      check_identity (&f, TRUE);
      fixture_clear (&f);
      n_perms++;

      /* next permutation */
      while (k < 6 && c[k] >= k) {
        c[k] = 0;
        k++;
      }
      if (k == 6)
        break;
      if (k % 2 == 0) {
        guint64 t = perm[0];
        perm[0] = perm[k];
        perm[k] = t;
      } else {
        guint64 t = perm[c[k]];
        perm[c[k]] = perm[k];
        perm[k] = t;
      }
      c[k]++;
      k = 0;
    }
  }
  fail_unless_equals_int (n_perms, 2 * 720);
}

GST_END_TEST;

/* Fill @order with base..base+n-1 shuffled within blocks of @block */
static void
shuffle_blocks (GRand * rand, guint64 * order, guint n, guint64 base,
    guint block)
{
  guint i, b;

  for (i = 0; i < n; i++)
    order[i] = base + i;
  for (b = 0; b < n; b += block) {
    guint len = MIN (block, n - b);

    for (i = len - 1; i > 0; i--) {
      guint j = g_rand_int_range (rand, 0, i + 1);
      guint64 t = order[b + i];
      order[b + i] = order[b + j];
      order[b + j] = t;
    }
  }
}

/* The case: numbered from the very first chunk, shuffled within
 * blocks up to the window; offsets from 0, meta numbers from anywhere,
 * RTP numbers extended from 16 bits whose first ones straddle the wrap. */
GST_START_TEST (test_start_shuffled_blocks)
{
  /* fewer rounds under memcheck (40 times slower; the same code paths) */
  guint round, rounds = g_getenv ("LS_UNDER_VALGRIND") ? 60 : 600;

  for (round = 0; round < rounds; round++) {
    GRand *rand = g_rand_new_with_seed (round + 7);
    Fixture f;
    ReorderConfig cfg;
    guint64 order[300], now = 0, base, want_re, want_dist;
    guint n = 300, block, kind = round % 3;
    const ReorderStats *st;

    default_config (&cfg);
    cfg.window = g_rand_int_range (rand, 2, 65);
    block = g_rand_int_range (rand, 2, cfg.window + 1);
    cfg.timeout = round % 2 ? 0 : 50 * MS;
    /* the block must arrive within the timeout of its first chunk */
    fixture_init (&f, &cfg);

    if (kind == 0) {
      base = 0;                 /* offsets */
    } else if (kind == 1) {
      base = g_rand_int (rand); /* chunk meta */
    } else {
      base = 0;                 /* RTP, see below */
    }
    shuffle_blocks (rand, order, n, base, block);

    if (kind == 2) {
      /* 16-bit numbers starting a few before the wrap, extended */
      guint64 highest = 0;
      guint16 first16 = 65535 - g_rand_int_range (rand, 0, 70);
      guint i;

      for (i = 0; i < n; i++)
        order[i] = reorder_ext_seq16 (&highest, (guint16) (first16 + order[i]));
      base = reorder_ext_seq16 (&highest, first16);
    }

    run_order (&f, &cfg, order, n, MS / 2, &now);
    /* the start ended by itself: at most a window is still held */
    fail_unless (f.seqs->len + cfg.window > n, "round %u: %u out", round,
        f.seqs->len);
    reorder_ring_drain (f.ring);
    collect (&f);
    assert_all_in_order (&f, 0, base, n);
    st = reorder_ring_get_stats (f.ring);
    fail_unless_equals_uint64 (st->late, 0);
    fail_unless_equals_uint64 (f.lost, 0);
    expected_reordering (order, n, base, &want_re, &want_dist);
    fail_unless_equals_uint64 (st->reordered, want_re);
    fail_unless_equals_uint64 (st->max_reorder_distance, want_dist);
    fail_unless (want_dist < cfg.window);
    check_identity (&f, TRUE);

    /* after a flush: the same again */
    reorder_ring_clear (f.ring, NULL);
    g_array_set_size (f.seqs, 0);
    f.lost = 0;
    base += 100000;
    shuffle_blocks (rand, order, n, base, block);
    run_order (&f, &cfg, order, n, MS / 2, &now);
    reorder_ring_drain (f.ring);
    collect (&f);
    assert_all_in_order (&f, 0, base, n);
    fail_unless_equals_uint64 (st->late, 0);
    fail_unless_equals_uint64 (f.lost, 0);

    /* after a sender restart (a jump beyond max-dropout): the same */
    base += 1000000;
    shuffle_blocks (rand, order, n, base, block);
    run_order (&f, &cfg, order, n, MS / 2, &now);
    reorder_ring_drain (f.ring);
    collect (&f);
    assert_all_in_order (&f, n, base, n);
    fail_unless_equals_uint64 (st->late, 0);
    fail_unless_equals_uint64 (f.lost, 0);
    fail_unless_equals_uint64 (st->resets, 1);
    fail_unless_equals_int (f.resets_seen, 1);
    st = NULL;

    fixture_clear (&f);
    g_rand_free (rand);
  }
}

GST_END_TEST;

/* What bounds the start: the window, the timeout, the caps */
GST_START_TEST (test_start_bounds)
{
  Fixture f;
  ReorderConfig cfg;
  const ReorderStats *st;
  guint64 s;

  /* the timeout counts from the first arrival */
  default_config (&cfg);
  fixture_init (&f, &cfg);
  push (&f, 500, 5 * MS);
  push (&f, 502, 20 * MS);
  push (&f, 499, 30 * MS);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), 55 * MS);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 54 * MS), 0);
  /* the start ends: 499, 500 out; 502 waits behind 501, held since 20 ms */
  fail_unless_equals_int (reorder_ring_expire (f.ring, 55 * MS), 2);
  collect (&f);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), 70 * MS);
  fail_unless_equals_int (push (&f, 501, 60 * MS), REORDER_RESULT_TAKEN);
  assert_all_in_order (&f, 0, 499, 4);
  /* a number below the first one released is late now */
  fail_unless_equals_int (push (&f, 498, 61 * MS), REORDER_RESULT_LATE);
  st = reorder_ring_get_stats (f.ring);
  fail_unless_equals_uint64 (st->timeouts, 0);
  fail_unless_equals_uint64 (st->lost, 0);
  check_identity (&f, TRUE);
  fixture_clear (&f);

  /* a start with a real gap: the timeout gives up the gap at once, since
   * what is behind it was held from the start */
  default_config (&cfg);
  fixture_init (&f, &cfg);
  push (&f, 0, 0);
  push (&f, 2, MS);
  /* the start ends at 50 ms; the gap at 1, held up by 2 since 1 ms, is
   * given up at 51 ms */
  fail_unless_equals_int (reorder_ring_expire (f.ring, 50 * MS), 1);
  fail_unless_equals_int (reorder_ring_expire (f.ring, 51 * MS), 1);
  collect (&f);
  fail_unless_equals_uint64 (f.lost, 1);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->timeouts, 1);
  check_identity (&f, TRUE);
  fixture_clear (&f);

  /* without a timeout only the window ends it; a number a window below the
   * highest is late */
  default_config (&cfg);
  cfg.timeout = 0;
  cfg.window = 8;
  fixture_init (&f, &cfg);
  push (&f, 100, 0);
  push (&f, 106, 0);
  fail_unless_equals_uint64 (reorder_ring_deadline (f.ring), REORDER_TIME_NONE);
  fail_unless_equals_int (reorder_ring_expire (f.ring, G_MAXUINT64 - 1), 0);
  fail_unless_equals_int (push (&f, 98, 0), REORDER_RESULT_LATE);
  fail_unless_equals_int (push (&f, 99, 0), REORDER_RESULT_TAKEN);
  /* 99..106 span the window: the start ends, 99 and 100 go out */
  fail_unless_equals_int (f.seqs->len, 2);
  for (s = 101; s <= 105; s++)
    push (&f, s, 0);
  assert_all_in_order (&f, 0, 99, 8);
  fail_unless_equals_uint64 (reorder_ring_get_stats (f.ring)->late, 1);
  check_identity (&f, TRUE);
  fixture_clear (&f);

  /* a cap ends the start: never more held than max-size-buffers */
  default_config (&cfg);
  cfg.max_buffers = 3;
  fixture_init (&f, &cfg);
  for (s = 10; s < 14; s++)
    push (&f, s, 0);
  st = reorder_ring_get_stats (f.ring);
  fail_unless (st->held <= 3);
  fail_unless_equals_uint64 (st->overflows, 1);
  assert_all_in_order (&f, 0, 10, 4);
  fail_unless_equals_int (push (&f, 14, 0), REORDER_RESULT_PUSH);
  check_identity (&f, TRUE);
  fixture_clear (&f);

  /* window 1: nothing is ever held, not even at the start */
  default_config (&cfg);
  cfg.window = 1;
  fixture_init (&f, &cfg);
  fail_unless_equals_int (push (&f, 3, 0), REORDER_RESULT_TAKEN);
  fail_unless_equals_int (f.seqs->len, 1);
  fail_unless_equals_int (push (&f, 4, 0), REORDER_RESULT_PUSH);
  fixture_clear (&f);

  /* a window grown while starting keeps what is held; shrunk, releases */
  default_config (&cfg);
  cfg.window = 4;
  fixture_init (&f, &cfg);
  push (&f, 51, 0);
  push (&f, 50, 0);
  cfg.window = 64;
  reorder_ring_configure (f.ring, &cfg);
  collect (&f);
  fail_unless_equals_int (f.seqs->len, 0);
  push (&f, 49, 0);
  cfg.window = 2;
  reorder_ring_configure (f.ring, &cfg);
  collect (&f);
  assert_all_in_order (&f, 0, 49, 3);
  check_identity (&f, TRUE);
  fixture_clear (&f);
}

GST_END_TEST;

static Suite *
reorderring_suite (void)
{
  Suite *s = suite_create ("reorderring");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_in_order_fast_path);
  tcase_add_test (tc, test_reordered);
  tcase_add_test (tc, test_duplicates_and_late);
  tcase_add_test (tc, test_duplicates_passed);
  tcase_add_test (tc, test_lost_by_window);
  tcase_add_test (tc, test_timeout_deadline);
  tcase_add_test (tc, test_wraparound16);
  tcase_add_test (tc, test_dropout_reset);
  tcase_add_test (tc, test_overflow);
  tcase_add_test (tc, test_drain);
  tcase_add_test (tc, test_window_grow_and_shrink);
  tcase_add_test (tc, test_random_against_model);
  tcase_add_test (tc, test_restart);
  tcase_add_test (tc, test_clear_counts_flushed);
  tcase_add_test (tc, test_start_every_order);
  tcase_add_test (tc, test_start_shuffled_blocks);
  tcase_add_test (tc, test_start_bounds);

  return s;
}

GST_CHECK_MAIN (reorderring);
