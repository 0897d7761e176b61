/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: chunkreorder's ring fed with an arbitrary stream of sequence
 * numbers (the numbers come from the network: RTP seqnums, chunk meta),
 * interleaved with timeouts, drains, reconfiguration and flushes.
 *
 * Input: a config (window, caps, dropout, timeout, duplicates), then
 * operations of 1 + a few bytes each (push, expire, drain, restart, count
 * invalid/passthrough, reconfigure, flush, downstream flushing on/off).
 * After every operation the target checks what chunkreorder relies on:
 *  - accounting: in == pushed + dropped duplicates + late + invalid + held
 *    + flushed; dropped == dropped duplicates + late + invalid
 *  - when reorder_ring_is_next() says yes, the push returns
 *    REORDER_RESULT_PUSH
 *  - the caller pushed exactly `pushed` items; every item is freed once
 *  - released sequence numbers increase strictly (modulo 2^64) between
 *    resets/flushes,
 *    and a reported gap ends right before the item that carries it
 *  - at most `window` items held, within max-buffers / max-bytes
 *  - after expire(now) the next deadline lies in the future
 * and aborts when one does not hold. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"
#include "reorderring.h"

#define MS (G_GUINT64_CONSTANT (1000000))
#define ITEM_MAGIC 0x5eb1c0deu

typedef struct {
  guint32 magic;
  guint64 seq;
} Item;

typedef struct {
  ReorderRing *ring;
  ReorderConfig cfg;
  guint64 live_items;           /* allocated, not yet freed */
  guint64 pushed;               /* items the caller sent downstream */
  guint64 dups_dropped;         /* duplicates dropped (drop-duplicates was
                                 * set when they came) */
  guint64 flushed;              /* items discarded by flushes or failed
                                 * pushes */
  gboolean downstream_flushing; /* outputs cannot be delivered */
  gboolean have_last;
  guint64 last_out;             /* last sequence number the ring released */
  guint64 lost_reported;
} State;

static State *cur_state;

static Item *
item_new (State * st, guint64 seq)
{
  Item *it = g_new (Item, 1);

  it->magic = ITEM_MAGIC;
  it->seq = seq;
  st->live_items++;
  return it;
}

static void
item_free (gpointer p)
{
  Item *it = p;

  FUZZ_CHECK (it->magic == ITEM_MAGIC, "item freed twice or corrupt");
  it->magic = 0;
  cur_state->live_items--;
  g_free (it);
}

/* a comes after b. Sequence numbers are 64-bit and wrap like any counter
 * (a sender may start anywhere, even at G_MAXUINT64): compare modulo 2^64. */
static gboolean
seq_after (guint64 a, guint64 b)
{
  return a != b && a - b < G_GUINT64_CONSTANT (1) << 63;
}

/* Caller side of chunkreorder: send every output downstream */
static void
collect (State * st)
{
  guint i, n;
  ReorderOutput *out = reorder_ring_get_output (st->ring, &n);

  for (i = 0; i < n; i++) {
    Item *it = out[i].item;

    FUZZ_CHECK (it != NULL && it->magic == ITEM_MAGIC, "output %u bad", i);
    FUZZ_CHECK (it->seq == out[i].seq, "item %" G_GUINT64_FORMAT
        " released as %" G_GUINT64_FORMAT, it->seq, out[i].seq);
    if (out[i].reset)
      st->have_last = FALSE;
    if (st->have_last)
      FUZZ_CHECK (seq_after (out[i].seq, st->last_out), "released %"
          G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT, out[i].seq,
          st->last_out);
    if (out[i].lost_count > 0) {
      FUZZ_CHECK (out[i].lost_first + out[i].lost_count == out[i].seq,
          "gap [%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT ") before %"
          G_GUINT64_FORMAT, out[i].lost_first, out[i].lost_count, out[i].seq);
      if (st->have_last)
        FUZZ_CHECK (seq_after (out[i].lost_first, st->last_out),
            "gap overlaps output");
      st->lost_reported += out[i].lost_count;
    }
    st->have_last = TRUE;
    st->last_out = out[i].seq;
    /* a push into a flushing downstream fails: counted as flushed */
    if (st->downstream_flushing)
      st->flushed++;
    else
      st->pushed++;
    item_free (it);
  }
  reorder_ring_clear_output (st->ring);
  if (st->downstream_flushing && n > 0)
    reorder_ring_count_flushed (st->ring, n);
}

static void
check_invariants (State * st)
{
  const ReorderStats *s = reorder_ring_get_stats (st->ring);
  guint64 dups = st->dups_dropped;
  guint window = CLAMP (st->cfg.window, 1, REORDER_MAX_WINDOW);

  FUZZ_CHECK (s->in == s->pushed + dups + s->late + s->invalid + s->held +
      s->flushed, "in %" G_GUINT64_FORMAT " pushed %" G_GUINT64_FORMAT
      " dups %" G_GUINT64_FORMAT " late %" G_GUINT64_FORMAT " invalid %"
      G_GUINT64_FORMAT " held %u flushed %" G_GUINT64_FORMAT, s->in,
      s->pushed, dups, s->late, s->invalid, s->held, s->flushed);
  FUZZ_CHECK (s->dropped == dups + s->late + s->invalid, "dropped %"
      G_GUINT64_FORMAT " != %" G_GUINT64_FORMAT " duplicates dropped + %"
      G_GUINT64_FORMAT " late + %" G_GUINT64_FORMAT " invalid", s->dropped,
      dups, s->late, s->invalid);
  FUZZ_CHECK (s->flushed == st->flushed, "ring counted %" G_GUINT64_FORMAT
      " flushed, caller flushed %" G_GUINT64_FORMAT, s->flushed, st->flushed);
  FUZZ_CHECK (s->pushed == st->pushed, "ring counted %" G_GUINT64_FORMAT
      " pushed, caller pushed %" G_GUINT64_FORMAT, s->pushed, st->pushed);
  FUZZ_CHECK (st->live_items == s->held, "%" G_GUINT64_FORMAT
      " items alive, %u held", st->live_items, s->held);
  FUZZ_CHECK (s->held < window,
      "%u held with window %u", s->held, window);
  if (st->cfg.max_buffers)
    FUZZ_CHECK (s->held <= st->cfg.max_buffers, "%u held > max-buffers %u",
        s->held, st->cfg.max_buffers);
  if (st->cfg.max_bytes)
    FUZZ_CHECK (s->held_bytes <= st->cfg.max_bytes, "%" G_GUINT64_FORMAT
        " bytes held > max-bytes %" G_GUINT64_FORMAT, s->held_bytes,
        st->cfg.max_bytes);
  if (s->held == 0)
    FUZZ_CHECK (s->held_bytes == 0, "no item held but %" G_GUINT64_FORMAT
        " bytes", s->held_bytes);
  FUZZ_CHECK (st->lost_reported <= s->lost, "reported %" G_GUINT64_FORMAT
      " lost, counted %" G_GUINT64_FORMAT, st->lost_reported, s->lost);
  FUZZ_CHECK (s->gaps <= s->lost, "gaps > lost");
  FUZZ_CHECK (st->dups_dropped <= s->duplicates, "dropped more duplicates"
      " than counted");
}

static void
read_config (FuzzReader * r, ReorderConfig * cfg)
{
  guint8 b;

  cfg->window = fuzz_u16 (r) % (REORDER_MAX_WINDOW + 2);
  cfg->max_buffers = fuzz_u8 (r);
  cfg->max_bytes = (guint64) fuzz_u16 (r) * 4;
  cfg->max_dropout = fuzz_u16 (r);
  b = fuzz_u8 (r);
  cfg->timeout = (b & 0x7f) * MS;
  cfg->drop_duplicates = (b & 0x80) != 0;
}

static guint64
next_seq (FuzzReader * r, guint8 op, guint64 cursor)
{
  switch ((op >> 3) & 3) {
    case 0:                    /* near the last one, either way */
    case 1:
      return cursor + (gint8) fuzz_u8 (r);
    case 2:                    /* a jump */
      return cursor + (gint16) fuzz_u16 (r);
    default:                   /* anything at all */
      return fuzz_u64 (r);
  }
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzReader r;
  State st = { 0, };
  guint64 now = 0, cursor;
  guint n_ops = 0;

  fuzz_reader_init (&r, data, size);
  read_config (&r, &st.cfg);
  cursor = fuzz_u32 (&r);
  cur_state = &st;
  st.ring = reorder_ring_new (&st.cfg);

  while (!fuzz_reader_done (&r) && n_ops++ < 100000) {
    guint8 op = fuzz_u8 (&r);

    switch (op & 7) {
      case 0:
      case 1:
      case 2:
      case 3:{
        guint64 seq = next_seq (&r, op, cursor);
        guint sz = fuzz_u8 (&r) * 8;
        Item *it = item_new (&st, seq);
        ReorderResult res;

        gboolean next;

        now += (op >> 5) * MS;
        cursor = seq;
        next = reorder_ring_is_next (st.ring, seq);
        res = reorder_ring_push (st.ring, seq, it, sz, now);
        /* may say no to the first item (no numbering yet), never yes
         * wrongly: the element skips reading the clock when it says yes */
        FUZZ_CHECK (!next || res == REORDER_RESULT_PUSH, "is_next for %"
            G_GUINT64_FORMAT " but push returned %d", seq, res);
        switch (res) {
          case REORDER_RESULT_PUSH:
            /* only in order with nothing pending */
            FUZZ_CHECK (!st.have_last || seq == st.last_out + 1,
                "pushed %" G_GUINT64_FORMAT " right after %" G_GUINT64_FORMAT,
                seq, st.last_out);
            st.have_last = TRUE;
            st.last_out = seq;
            if (st.downstream_flushing) {
              reorder_ring_count_flushed (st.ring, 1);
              st.flushed++;
            } else {
              st.pushed++;
            }
            item_free (it);
            break;
          case REORDER_RESULT_DUPLICATE:
            if (st.cfg.drop_duplicates)
              st.dups_dropped++;
            else
              st.pushed++;
            item_free (it);
            break;
          case REORDER_RESULT_LATE:
            item_free (it);
            break;
          case REORDER_RESULT_TAKEN:
            break;
          default:
            FUZZ_CHECK (FALSE, "result %d", res);
        }
        break;
      }
      case 4:{
        guint64 deadline;

        now += fuzz_u8 (&r) * MS;
        reorder_ring_expire (st.ring, now);
        deadline = reorder_ring_deadline (st.ring);
        FUZZ_CHECK (deadline == REORDER_TIME_NONE || deadline > now,
            "deadline %" G_GUINT64_FORMAT " not after now %"
            G_GUINT64_FORMAT " after expire", deadline, now);
        break;
      }
      case 5:
        if (op & 0x80) {
          reorder_ring_count_invalid (st.ring);
        } else if (op & 0x40) {
          reorder_ring_count_passthrough (st.ring);
          st.pushed++;
        } else if (op & 0x20) {
          /* a new sequence from the next item (stream-start, caps) */
          reorder_ring_restart (st.ring, (op & 0x10) != 0);
          collect (&st);
          FUZZ_CHECK (reorder_ring_get_stats (st.ring)->held == 0,
              "restart left items held");
          st.have_last = FALSE;
        } else {
          reorder_ring_drain (st.ring);
          collect (&st);
          FUZZ_CHECK (reorder_ring_get_stats (st.ring)->held == 0,
              "drain left items held");
        }
        break;
      case 6:
        read_config (&r, &st.cfg);
        reorder_ring_configure (st.ring, &st.cfg);
        break;
      case 7:
        if (op & 0x80) {
          /* downstream starts or stops flushing: outputs are not delivered */
          st.downstream_flushing = !st.downstream_flushing;
        } else {
          /* flush: held items and pending outputs are discarded */
          guint n;
          guint held = reorder_ring_get_stats (st.ring)->held;

          reorder_ring_get_output (st.ring, &n);
          reorder_ring_clear (st.ring, item_free);
          st.flushed += held + n;
          st.have_last = FALSE;
        }
        break;
    }
    collect (&st);
    check_invariants (&st);
  }

  reorder_ring_free (st.ring, item_free);
  FUZZ_CHECK (st.live_items == 0, "%" G_GUINT64_FORMAT " items leaked",
      st.live_items);
  cur_state = NULL;
  return 0;
}
