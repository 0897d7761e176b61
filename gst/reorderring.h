/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The core of chunkreorder: a preallocated ring indexed by sequence number
 * modulo its capacity. GLib only: no pads, no locks, no clock. Times are
 * plain nanoseconds supplied by the caller. */

#ifndef __REORDER_RING_H__
#define __REORDER_RING_H__

#include <glib.h>

G_BEGIN_DECLS

#define REORDER_TIME_NONE G_MAXUINT64
#define REORDER_MAX_WINDOW 32768

typedef struct _ReorderRing ReorderRing;

typedef enum {
  /* in order with nothing held: push the item yourself, nothing else to do */
  REORDER_RESULT_PUSH,
  /* the ring took the item: it is held, or is in the output list */
  REORDER_RESULT_TAKEN,
  /* the sequence number was already seen: drop the item (drop-duplicates)
   * or push it (counted as pushed) */
  REORDER_RESULT_DUPLICATE,
  /* the sequence number was skipped as lost already: drop the item */
  REORDER_RESULT_LATE,
} ReorderResult;

typedef struct {
  gpointer item;
  guint64 seq;
  /* sequence numbers skipped right before this item: [lost_first,
   * lost_first + lost_count); lost_count == 0 means none */
  guint64 lost_first;
  guint64 lost_count;
  /* TRUE on the first item after a reset (sender restart) */
  gboolean reset;
} ReorderOutput;

typedef struct {
  guint64 in;
  guint64 pushed;
  guint64 reordered;              /* items that were held, then released */
  guint64 max_reorder_distance;   /* largest seq - expected seen while holding */
  guint64 gaps;                   /* gaps skipped */
  guint64 lost;                   /* sequence numbers skipped */
  guint64 duplicates;
  guint64 late;
  guint64 invalid;
  guint64 overflows;              /* times a cap forced a release */
  guint64 resets;
  guint64 timeouts;               /* gaps skipped because their time ran out */
  guint64 dropped;                /* duplicates dropped + late + invalid */
  guint64 passthrough;            /* items without sequence number, pushed */
  guint64 flushed;                /* held or released items discarded by a
                                   * flush or a failed push */
  guint held;
  guint64 held_bytes;
} ReorderStats;

typedef struct {
  guint window;            /* max out-of-order distance held, 1..REORDER_MAX_WINDOW */
  guint max_buffers;       /* 0 = only the window */
  guint64 max_bytes;       /* 0 = unlimited */
  guint64 max_dropout;     /* forward or backward jump that counts as a reset */
  guint64 timeout;         /* ns a gap may hold output; 0 = window only */
  gboolean drop_duplicates;
} ReorderConfig;

ReorderRing * reorder_ring_new (const ReorderConfig * config);
void reorder_ring_free (ReorderRing * ring, GDestroyNotify free_item);

/* Changing the window or caps releases what no longer fits into the output
 * list; returns the number of outputs added. */
guint reorder_ring_configure (ReorderRing * ring, const ReorderConfig * config);

/* Forget everything (flush): held items and pending outputs are passed to
 * free_item and counted as flushed. Counters are kept. */
void reorder_ring_clear (ReorderRing * ring, GDestroyNotify free_item);

/* Release everything held in order (like drain) and forget the numbering:
 * the next item starts a new sequence. With @as_reset, it is counted as a
 * reset and its output carries reset = TRUE. Returns the outputs added. */
guint reorder_ring_restart (ReorderRing * ring, gboolean as_reset);

/* TRUE when pushing @seq now would return REORDER_RESULT_PUSH (so the
 * caller need not read the time). */
gboolean reorder_ring_is_next (const ReorderRing * ring, guint64 seq);

ReorderResult reorder_ring_push (ReorderRing * ring, guint64 seq,
    gpointer item, guint size, guint64 now);

/* Skip every gap whose time ran out at @now (needs a timeout). */
guint reorder_ring_expire (ReorderRing * ring, guint64 now);

/* Release everything held, in order, gaps counted as lost (EOS). */
guint reorder_ring_drain (ReorderRing * ring);

/* When the oldest gap times out, or REORDER_TIME_NONE */
guint64 reorder_ring_deadline (const ReorderRing * ring);

/* Outputs produced by the calls above, in push order. The caller pushes
 * them and calls reorder_ring_clear_output(). */
ReorderOutput * reorder_ring_get_output (ReorderRing * ring, guint * n_out);
void reorder_ring_clear_output (ReorderRing * ring);

/* Count an item rejected by the caller (failed validation) */
void reorder_ring_count_invalid (ReorderRing * ring);
/* Count an item without sequence number that was passed through */
void reorder_ring_count_passthrough (ReorderRing * ring);
/* The caller could not deliver @n outputs it got (flushing): count them as
 * flushed instead of pushed */
void reorder_ring_count_flushed (ReorderRing * ring, guint n);

const ReorderStats * reorder_ring_get_stats (const ReorderRing * ring);
gboolean reorder_ring_has_expected (const ReorderRing * ring);
guint64 reorder_ring_get_expected (const ReorderRing * ring);

/* Extend a 16-bit RTP sequence number to 64 bits; *highest is the highest
 * extended number so far (0 = none yet). */
guint64 reorder_ext_seq16 (guint64 * highest, guint16 seq);

G_END_DECLS

#endif /* __REORDER_RING_H__ */
