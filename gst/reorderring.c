/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#define REORDER_MIN_HISTORY 4096

/* A reorder ring: items are held in slot (seq & mask) of a power-of-two
 * array that is allocated once for the window. `expected` is the next
 * sequence number to release; every held item lies in
 * (expected, expected + window). A second array remembers, for the last
 * `capacity` released sequence numbers, whether the number was pushed
 * (a later copy is a duplicate) or skipped (a later copy is late).
 *
 * The start of a numbering (the first item, after a flush, a restart or a
 * reset) is special: nothing says which number comes first, and the first
 * item to arrive may not be the first one sent. So the ring holds the
 * first window, as rtpjitterbuffer holds its first packet: while
 * `starting`, every item is held, `expected` is the lowest number seen so
 * far (a lower one that arrives later, within the window, lowers it) and
 * held items lie in [expected, expected + window). The start ends, and the
 * lowest number becomes the first one released, when
 *  - the held numbers span the whole window (a lower number would be late
 *    anyway: the window cannot hold it),
 *  - the first item has been held for `timeout`,
 *  - a cap is exceeded, or on drain/restart/reconfiguration.
 * Numbers below the first one released are not counted as lost: nobody
 * knows that they were sent.
 *
 * Nothing here allocates per item: the output list grows to its high-water
 * mark once and is reused. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reorderring.h"

#include <string.h>

typedef struct
{
  gpointer item;
  guint64 seq;
  guint64 arrival;
  guint64 order;                /* stats.in when it arrived: arrival order */
  guint size;
  gboolean used;
} Slot;

/* while releasing the start window: a number that arrived after every
 * lower one */
typedef struct
{
  guint64 seq;
  guint64 order;
} StartRecord;

struct _ReorderRing
{
  ReorderConfig cfg;

  guint capacity;               /* power of two >= window */
  guint mask;
  Slot *slots;
  guint8 *seen;                 /* 1 = pushed, 0 = skipped or unknown */
  guint hist_size;              /* power of two >= capacity */
  guint hist_mask;

  StartRecord *records;         /* capacity entries, see end_start () */

  ReorderOutput *out;
  guint n_out;
  guint out_alloc;

  gboolean have_expected;
  gboolean starting;            /* holding the first window, see above;
                                 * implies held > 0 */
  guint64 expected;
  guint64 base;                 /* first sequence number since start/reset */
  guint64 max_held;             /* highest held seq, valid when held > 0.
                                 * Loops up to it test
                                 * `s != max_held + 1`: `s <= max_held`
                                 * never ends when it is G_MAXUINT64
                                 * (found by tests/fuzz) */
  guint64 oldest_arrival;       /* earliest arrival of a held item */

  /* what the next output carries */
  guint64 pend_lost_first;
  guint64 pend_lost_count;
  gboolean pend_reset;

  ReorderStats stats;
};

static guint
round_up_pow2 (guint v)
{
  guint c = 1;

  while (c < v)
    c <<= 1;
  return c;
}

static void
alloc_arrays (ReorderRing * ring, guint window)
{
  ring->capacity = round_up_pow2 (MAX (window, 2));
  ring->mask = ring->capacity - 1;
  ring->slots = g_new0 (Slot, ring->capacity);
  ring->hist_size = MAX (ring->capacity, REORDER_MIN_HISTORY);
  ring->hist_mask = ring->hist_size - 1;
  ring->seen = g_new0 (guint8, ring->hist_size);
  g_free (ring->records);
  ring->records = g_new (StartRecord, ring->capacity);
  if (ring->out_alloc < ring->capacity + 1) {
    ring->out_alloc = ring->capacity + 1;
    ring->out = g_renew (ReorderOutput, ring->out, ring->out_alloc);
  }
}

static void
sanitize_config (ReorderConfig * cfg)
{
  cfg->window = CLAMP (cfg->window, 1, REORDER_MAX_WINDOW);
  if (cfg->max_dropout < cfg->window)
    cfg->max_dropout = cfg->window;
}

ReorderRing *
reorder_ring_new (const ReorderConfig * config)
{
  ReorderRing *ring = g_new0 (ReorderRing, 1);

  ring->cfg = *config;
  sanitize_config (&ring->cfg);
  alloc_arrays (ring, ring->cfg.window);
  ring->oldest_arrival = REORDER_TIME_NONE;

  return ring;
}

void
reorder_ring_free (ReorderRing * ring, GDestroyNotify free_item)
{
  if (ring == NULL)
    return;

  reorder_ring_clear (ring, free_item);
  g_free (ring->slots);
  g_free (ring->seen);
  g_free (ring->records);
  g_free (ring->out);
  g_free (ring);
}

static void
push_output (ReorderRing * ring, gpointer item, guint64 seq)
{
  ReorderOutput *o;

  if (ring->n_out == ring->out_alloc) {
    ring->out_alloc *= 2;
    ring->out = g_renew (ReorderOutput, ring->out, ring->out_alloc);
  }

  o = &ring->out[ring->n_out++];
  o->item = item;
  o->seq = seq;
  o->lost_first = ring->pend_lost_first;
  o->lost_count = ring->pend_lost_count;
  o->reset = ring->pend_reset;
  ring->pend_lost_count = 0;
  ring->pend_reset = FALSE;

  ring->seen[seq & ring->hist_mask] = 1;
  ring->stats.pushed++;
}

static void
recompute_oldest (ReorderRing * ring)
{
  guint64 s, oldest = REORDER_TIME_NONE;

  if (ring->stats.held > 0) {
    /* from expected: while starting, the item at expected is held too */
    for (s = ring->expected; s != ring->max_held + 1; s++) {
      Slot *slot = &ring->slots[s & ring->mask];

      if (slot->used && slot->arrival < oldest)
        oldest = slot->arrival;
    }
  }
  ring->oldest_arrival = oldest;
}

/* Release the items that follow `expected` without a gap */
static void
release_consecutive (ReorderRing * ring)
{
  gboolean released = FALSE;

  while (ring->stats.held > 0) {
    Slot *slot = &ring->slots[ring->expected & ring->mask];

    if (!slot->used || slot->seq != ring->expected)
      break;

    push_output (ring, slot->item, slot->seq);
    ring->stats.reordered++;
    ring->stats.held--;
    ring->stats.held_bytes -= slot->size;
    slot->used = FALSE;
    slot->item = NULL;
    ring->expected++;
    released = TRUE;
  }

  if (released)
    recompute_oldest (ring);
}

/* Declare [expected, upto) lost and move expected to upto */
static void
mark_lost (ReorderRing * ring, guint64 upto)
{
  guint64 count = upto - ring->expected;
  guint64 s;

  if (count == 0)
    return;

  s = count > ring->hist_size ? upto - ring->hist_size : ring->expected;
  for (; s < upto; s++)
    ring->seen[s & ring->hist_mask] = 0;

  ring->stats.gaps++;
  ring->stats.lost += count;
  if (ring->pend_lost_count == 0)
    ring->pend_lost_first = ring->expected;
  ring->pend_lost_count += count;
  ring->expected = upto;
}

/* Skip the gap at `expected` up to the next held item and release what
 * follows it. Requires held > 0. */
static void
skip_one_gap (ReorderRing * ring)
{
  guint64 s;

  g_assert (ring->stats.held > 0);
  g_assert (!ring->starting);

  for (s = ring->expected; s != ring->max_held + 1; s++) {
    Slot *slot = &ring->slots[s & ring->mask];

    if (slot->used && slot->seq == s)
      break;
  }
  mark_lost (ring, s);
  release_consecutive (ring);
}

/* End the start of a numbering: the lowest number held becomes the first
 * one released, with the items that follow it without a gap; what lies
 * behind a gap stays held as usual. Counts as reordered (with its distance)
 * an item that was released here only if a lower number arrived after it,
 * i.e. it really came ahead of a gap: the first one missing when it came
 * is the lowest number that arrived after it, found by a binary search in
 * the arrival records of the numbers below it (each record arrived after
 * every lower number, so their arrival order increases). */
/* The lowest of the first @n_rec start records that arrived after @order
 * (the last one does). */
static guint64
first_arrived_after (const ReorderRing * ring, guint n_rec, guint64 order)
{
  guint lo = 0, hi = n_rec - 1;

  while (lo < hi) {
    guint mid = (lo + hi) / 2;

    if (ring->records[mid].order > order)
      hi = mid;
    else
      lo = mid + 1;
  }
  return ring->records[lo].seq;
}

static void
end_start (ReorderRing * ring)
{
  guint n_rec = 0;
  guint64 s;

  if (!ring->starting)
    return;
  ring->starting = FALSE;

  while (ring->stats.held > 0) {
    Slot *slot = &ring->slots[ring->expected & ring->mask];

    if (!slot->used || slot->seq != ring->expected)
      break;

    if (n_rec == 0 || slot->order > ring->records[n_rec - 1].order) {
      ring->records[n_rec].seq = slot->seq;
      ring->records[n_rec].order = slot->order;
      n_rec++;
    } else {
      guint64 first_missing = first_arrived_after (ring, n_rec, slot->order);

      ring->stats.reordered++;
      if (slot->seq - first_missing > ring->stats.max_reorder_distance)
        ring->stats.max_reorder_distance = slot->seq - first_missing;
    }

    push_output (ring, slot->item, slot->seq);
    ring->stats.held--;
    ring->stats.held_bytes -= slot->size;
    slot->used = FALSE;
    slot->item = NULL;
    ring->expected++;
  }

  /* what is left waits behind the gap at expected, from now on as usual;
   * when it came, the first number missing was at most expected */
  if (ring->stats.held > 0) {
    for (s = ring->expected + 1; s != ring->max_held + 1; s++) {
      Slot *slot = &ring->slots[s & ring->mask];
      guint64 first_missing = ring->expected;

      if (!slot->used || slot->seq != s)
        continue;
      if (n_rec > 0 && slot->order < ring->records[n_rec - 1].order)
        first_missing = first_arrived_after (ring, n_rec, slot->order);
      if (s - first_missing > ring->stats.max_reorder_distance)
        ring->stats.max_reorder_distance = s - first_missing;
    }
  }
  recompute_oldest (ring);
}

/* a comes before b, modulo 2^64 (the numbers may wrap: target is never
 * more than max-dropout ahead) */
static inline gboolean
seq_before (guint64 a, guint64 b)
{
  return (gint64) (a - b) < 0;
}

/* Move expected forward to at least `target`, releasing held items below
 * it in order. */
static void
advance_to (ReorderRing * ring, guint64 target)
{
  while (seq_before (ring->expected, target)) {
    if (ring->stats.held > 0 && seq_before (ring->max_held, target)) {
      skip_one_gap (ring);
    } else if (ring->stats.held > 0) {
      guint64 s;

      /* find the first held item; skip to it only if it lies below target */
      for (s = ring->expected; s != target; s++) {
        Slot *slot = &ring->slots[s & ring->mask];
        if (slot->used && slot->seq == s)
          break;
      }
      mark_lost (ring, s);
      release_consecutive (ring);
    } else {
      mark_lost (ring, target);
    }
  }
}

static void
drain_all (ReorderRing * ring)
{
  end_start (ring);
  while (ring->stats.held > 0)
    skip_one_gap (ring);
}

static void
do_reset (ReorderRing * ring, guint64 seq)
{
  drain_all (ring);
  /* whatever loss was pending before the restart is not worth reporting
   * against the new numbering */
  ring->pend_lost_count = 0;
  ring->stats.resets++;
  ring->expected = seq;
  ring->base = seq;
  memset (ring->seen, 0, ring->hist_size);
  ring->pend_reset = TRUE;
  /* the new numbering starts like the first one: its first window is held */
  ring->starting = TRUE;
}

static void
enforce_caps (ReorderRing * ring)
{
  gboolean over = FALSE;

  while (ring->stats.held > 0 &&
      ((ring->cfg.max_buffers && ring->stats.held > ring->cfg.max_buffers) ||
          (ring->cfg.max_bytes &&
              ring->stats.held_bytes > ring->cfg.max_bytes))) {
    over = TRUE;
    if (ring->starting)
      end_start (ring);
    else
      skip_one_gap (ring);
  }
  if (over)
    ring->stats.overflows++;
}

ReorderResult
reorder_ring_push (ReorderRing * ring, guint64 seq, gpointer item,
    guint size, guint64 now)
{
  Slot *slot;
  guint64 dist;

  ring->stats.in++;

  if (G_UNLIKELY (!ring->have_expected)) {
    ring->have_expected = TRUE;
    ring->expected = seq;
    ring->base = seq;
    ring->starting = TRUE;
    goto hold;
  }

  /* fast path: in order, nothing held (so not starting) */
  if (G_LIKELY (seq == ring->expected && ring->stats.held == 0 &&
          ring->pend_lost_count == 0 && !ring->pend_reset)) {
    ring->seen[seq & ring->hist_mask] = 1;
    ring->expected++;
    ring->stats.pushed++;
    return REORDER_RESULT_PUSH;
  }

  if (G_UNLIKELY (ring->starting)) {
    if (seq < ring->expected) {
      if (ring->expected - seq > ring->cfg.max_dropout) {
        do_reset (ring, seq);
        goto hold;
      }
      /* the window cannot hold it beside the highest number */
      if (ring->max_held - seq >= ring->cfg.window)
        goto late;
      /* sent before the first one that arrived */
      ring->expected = seq;
      ring->base = seq;
      goto hold;
    }
    dist = seq - ring->expected;
    if (dist > ring->cfg.max_dropout) {
      do_reset (ring, seq);
      goto hold;
    }
    if (dist < ring->cfg.window)
      goto hold;
    /* the window is exceeded: nothing lower can come any more */
    end_start (ring);
  }

  if (seq < ring->expected) {
    dist = ring->expected - seq;
    if (dist > ring->cfg.max_dropout) {
      do_reset (ring, seq);
      goto hold;
    }
    if (seq >= ring->base && dist <= ring->hist_size &&
        ring->seen[seq & ring->hist_mask])
      goto duplicate;
    goto late;
  }

  dist = seq - ring->expected;
  if (dist > ring->cfg.max_dropout) {
    do_reset (ring, seq);
    goto hold;
  }

  if (dist >= ring->cfg.window) {
    /* too far ahead to hold: give up on what is missing before it */
    advance_to (ring, seq - ring->cfg.window + 1);
    dist = seq - ring->expected;
  }

  if (dist == 0) {
    /* in order */
    push_output (ring, item, seq);
    ring->expected = seq + 1;
    release_consecutive (ring);
    return REORDER_RESULT_TAKEN;
  }

hold:
  slot = &ring->slots[seq & ring->mask];
  if (slot->used) {
    /* within the window two numbers cannot share a slot */
    g_assert (slot->seq == seq);
    goto duplicate;
  }

  slot->used = TRUE;
  slot->seq = seq;
  slot->item = item;
  slot->size = size;
  slot->arrival = now;
  slot->order = ring->stats.in;
  if (ring->stats.held == 0 || seq > ring->max_held)
    ring->max_held = seq;
  ring->stats.held++;
  ring->stats.held_bytes += size;
  if (now < ring->oldest_arrival)
    ring->oldest_arrival = now;
  if (!ring->starting
      && seq - ring->expected > ring->stats.max_reorder_distance)
    ring->stats.max_reorder_distance = seq - ring->expected;

  /* the held numbers span the window: a lower one would be late */
  if (ring->starting && ring->max_held - ring->expected + 1 >= ring->cfg.window)
    end_start (ring);

  enforce_caps (ring);
  return REORDER_RESULT_TAKEN;

duplicate:
  ring->stats.duplicates++;
  if (ring->cfg.drop_duplicates)
    ring->stats.dropped++;
  else
    ring->stats.pushed++;
  return REORDER_RESULT_DUPLICATE;

late:
  ring->stats.late++;
  ring->stats.dropped++;
  return REORDER_RESULT_LATE;
}

guint
reorder_ring_expire (ReorderRing * ring, guint64 now)
{
  guint before = ring->n_out;

  if (ring->cfg.timeout == 0)
    return 0;

  while (ring->stats.held > 0 && ring->oldest_arrival != REORDER_TIME_NONE
      && ring->oldest_arrival + ring->cfg.timeout <= now) {
    if (ring->starting) {
      /* the first window was held long enough */
      end_start (ring);
      continue;
    }
    ring->stats.timeouts++;
    skip_one_gap (ring);
  }

  return ring->n_out - before;
}

guint
reorder_ring_drain (ReorderRing * ring)
{
  guint before = ring->n_out;

  drain_all (ring);
  return ring->n_out - before;
}

guint64
reorder_ring_deadline (const ReorderRing * ring)
{
  if (ring->cfg.timeout == 0 || ring->stats.held == 0 ||
      ring->oldest_arrival == REORDER_TIME_NONE)
    return REORDER_TIME_NONE;

  return ring->oldest_arrival + ring->cfg.timeout;
}

guint
reorder_ring_configure (ReorderRing * ring, const ReorderConfig * config)
{
  ReorderConfig cfg = *config;
  guint before = ring->n_out;

  sanitize_config (&cfg);

  if (ring->starting && ring->max_held - ring->expected + 1 >= cfg.window)
    end_start (ring);
  if (ring->stats.held > 0 && ring->max_held - ring->expected >= cfg.window)
    advance_to (ring, ring->max_held - cfg.window + 1);

  if (round_up_pow2 (MAX (cfg.window, 2)) > ring->capacity) {
    Slot *old_slots = ring->slots;
    guint8 *old_seen = ring->seen;
    guint old_mask = ring->mask, old_hist = ring->hist_size;
    guint old_hist_mask = ring->hist_mask;
    guint64 s;

    alloc_arrays (ring, cfg.window);
    if (ring->stats.held > 0) {
      /* from expected: while starting, the item at expected is held too */
      for (s = ring->expected; s != ring->max_held + 1; s++)
        ring->slots[s & ring->mask] = old_slots[s & old_mask];
    }
    if (ring->have_expected) {
      for (s = ring->expected > old_hist ? ring->expected - old_hist : 0;
          s < ring->expected; s++)
        ring->seen[s & ring->hist_mask] = old_seen[s & old_hist_mask];
    }
    g_free (old_slots);
    g_free (old_seen);
  }

  ring->cfg = cfg;
  enforce_caps (ring);

  return ring->n_out - before;
}

void
reorder_ring_clear (ReorderRing * ring, GDestroyNotify free_item)
{
  guint i;

  for (i = 0; i < ring->capacity; i++) {
    Slot *slot = &ring->slots[i];

    if (slot->used && free_item)
      free_item (slot->item);
    slot->used = FALSE;
    slot->item = NULL;
  }
  for (i = 0; i < ring->n_out; i++) {
    if (free_item)
      free_item (ring->out[i].item);
  }
  /* what was held or pending is gone with the flush: count it */
  ring->stats.flushed += ring->stats.held + ring->n_out;
  ring->stats.pushed -= ring->n_out;
  ring->n_out = 0;
  ring->stats.held = 0;
  ring->stats.held_bytes = 0;
  ring->have_expected = FALSE;
  ring->starting = FALSE;
  ring->oldest_arrival = REORDER_TIME_NONE;
  ring->pend_lost_count = 0;
  ring->pend_reset = FALSE;
  memset (ring->seen, 0, ring->hist_size);
}

ReorderOutput *
reorder_ring_get_output (ReorderRing * ring, guint * n_out)
{
  *n_out = ring->n_out;
  return ring->out;
}

void
reorder_ring_clear_output (ReorderRing * ring)
{
  ring->n_out = 0;
}

void
reorder_ring_count_invalid (ReorderRing * ring)
{
  ring->stats.in++;
  ring->stats.invalid++;
  ring->stats.dropped++;
}

void
reorder_ring_count_passthrough (ReorderRing * ring)
{
  ring->stats.in++;
  ring->stats.pushed++;
  ring->stats.passthrough++;
}

void
reorder_ring_count_flushed (ReorderRing * ring, guint n)
{
  n = MIN (n, ring->stats.pushed);
  ring->stats.pushed -= n;
  ring->stats.flushed += n;
}

guint
reorder_ring_restart (ReorderRing * ring, gboolean as_reset)
{
  guint before = ring->n_out;

  drain_all (ring);
  ring->pend_lost_count = 0;
  ring->have_expected = FALSE;
  ring->oldest_arrival = REORDER_TIME_NONE;
  memset (ring->seen, 0, ring->hist_size);
  if (as_reset) {
    ring->stats.resets++;
    ring->pend_reset = TRUE;
  }

  return ring->n_out - before;
}

gboolean
reorder_ring_is_next (const ReorderRing * ring, guint64 seq)
{
  return ring->have_expected && seq == ring->expected &&
      ring->stats.held == 0 && ring->pend_lost_count == 0 && !ring->pend_reset;
}

const ReorderStats *
reorder_ring_get_stats (const ReorderRing * ring)
{
  return &ring->stats;
}

gboolean
reorder_ring_has_expected (const ReorderRing * ring)
{
  return ring->have_expected;
}

guint64
reorder_ring_get_expected (const ReorderRing * ring)
{
  return ring->expected;
}

guint64
reorder_ext_seq16 (guint64 * highest, guint16 seq)
{
  guint64 ext;
  gint16 delta;

  if (*highest == 0) {
    /* start well above 0 so that numbers before the first one extend too */
    ext = (G_GUINT64_CONSTANT (1) << 32) + seq;
    *highest = ext;
    return ext;
  }

  delta = (gint16) (seq - (guint16) (*highest & 0xffff));
  ext = *highest + delta;
  if (ext > *highest)
    *highest = ext;

  return ext;
}
