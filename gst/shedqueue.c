/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Data layout: every stream keeps its items in a doubly linked FIFO, and
 * each buffer is also linked into one of three per-class FIFOs of its
 * stream. The oldest buffer of a class is therefore the head of its class
 * list, and any buffer can be unlinked in O(1). Entries come from a pool
 * that grows in chunks and is reused, so the steady state allocates
 * nothing. The time spent queued goes into a fixed log-linear histogram
 * (8 sub-buckets per power of two).
 *
 * The stream's timeline. The latency bound (and the time level) is the
 * span from the start of the oldest queued buffer to the end of the
 * newest input, measured on a per-stream timeline that follows the running
 * time, except across a jump of the timestamps. A jump is where one buffer
 * moves the input position (the end of the newest buffer) on by more than
 * half of max_time (and four frames) beyond the wall time that passed
 * since the previous buffer came in, or back by more than max_time (and
 * four frames). There the timeline moves on by the wall time instead:
 *  - a gap forward (a sender that came back after an outage, a parser that
 *    held its last frame until the next data arrived, a new segment) is not
 *    time that queued data waited, unless the wall clock ran as long;
 *  - a jump backwards (timestamps starting again) would otherwise leave
 *    the input position far ahead of everything that follows it.
 * Smaller steps are the timestamps' own business (frames in decode order
 * with PTS only go forward and back by a few frames) and count as running
 * time. A stall of the input (nothing comes in for a while) moves neither:
 * as before, the bound is checked when data comes in. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "shedqueue.h"

#include <string.h>

#define ENTRY_CHUNK 64

/* private entry flag: data was lost right before this buffer */
#define ENTRY_DISCONT (1 << 7)

/* histogram: values < 8 exact, then 8 sub-buckets per power of two up to
 * 2^44 ns (about 4.9 hours) */
#define HIST_SUB_BITS 3
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_MAX_MSB 43
#define HIST_N_BUCKETS ((HIST_MAX_MSB - HIST_SUB_BITS + 2) * HIST_SUB)

typedef struct _ShedEntry ShedEntry;

struct _ShedEntry
{
  ShedEntry *prev, *next;       /* stream FIFO */
  ShedEntry *cprev, *cnext;     /* class FIFO (buffers only) */
  gpointer item;
  guint64 seq;
  guint64 time;                 /* running time of the start, or NONE */
  guint64 end;                  /* running time of the end, or NONE */
  guint64 pts;
  guint64 in_time;
  gsize size;
  guint8 klass;
  guint8 flags;
  guint8 is_buffer;
};

typedef struct
{
  gboolean used;
  gint priority;

  ShedEntry *head, *tail;
  guint n_items;

  ShedEntry *chead[SHED_N_CLASSES], *ctail[SHED_N_CLASSES];
  guint cn[SHED_N_CLASSES];

  guint n_buffers;
  guint64 bytes;
  guint64 newest_end;           /* end of the newest buffer on the stream's
                                 * timeline, while buffers are queued */
  guint64 last_time;            /* running time of the end of the previous
                                 * buffer: for buffers without a timestamp */
  /* the timeline (see above): timeline = running time + shift */
  guint64 in_raw;               /* input position, running time, or NONE */
  guint64 in_timeline;          /* the same on the timeline */
  gint64 shift;
  guint64 in_wall;              /* caller's clock when the previous buffer
                                 * came in */
  guint64 last_start;           /* running time of the previous start */
  guint64 step;                 /* a frame: duration or start-to-start */

  gboolean waiting;             /* keyframe wait */
  guint64 resume_pts;           /* wait ended on a keyframe with this pts */
  gboolean discont_next;        /* mark the next buffer that comes in */

  guint64 service;              /* consumer time per buffer, EWMA */
} ShedStream;

struct _ShedQueue
{
  ShedConfig config;

  ShedStream streams[SHED_MAX_STREAMS];
  guint n_streams;              /* highest used index + 1 */

  guint n_buffers;
  guint64 bytes;
  guint64 seq;

  ShedEntry *free_entries;
  GPtrArray *chunks;

  GArray *drops;                /* ShedDrop */

  ShedStats stats;
  guint64 hist[HIST_N_BUCKETS];
  guint64 hist_total;
};

/* ------------------------------------------------------------------ */
/* entry pool */

static inline ShedEntry *
entry_new (ShedQueue * q)
{
  ShedEntry *e;

  if (G_UNLIKELY (q->free_entries == NULL)) {
    ShedEntry *chunk = g_new (ShedEntry, ENTRY_CHUNK);
    guint i;

    g_ptr_array_add (q->chunks, chunk);
    for (i = 0; i < ENTRY_CHUNK; i++) {
      chunk[i].next = q->free_entries;
      q->free_entries = &chunk[i];
    }
  }
  e = q->free_entries;
  q->free_entries = e->next;
  /* the callers set every field (the links: stream_append ()) */
  return e;
}

static inline void
entry_free (ShedQueue * q, ShedEntry * e)
{
  e->item = NULL;
  e->next = q->free_entries;
  q->free_entries = e;
}

/* ------------------------------------------------------------------ */
/* histogram */

static inline guint
hist_index (guint64 v)
{
  guint msb;

  if (v < HIST_SUB)
    return (guint) v;
  msb = 63 - __builtin_clzll (v);
  if (msb > HIST_MAX_MSB)
    return HIST_N_BUCKETS - 1;
  return (msb - HIST_SUB_BITS + 1) * HIST_SUB +
      (guint) ((v >> (msb - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* midpoint of a bucket */
static guint64
hist_value (guint idx)
{
  guint msb, sub;
  guint64 lower, width;

  if (idx < HIST_SUB)
    return idx;
  msb = idx / HIST_SUB + HIST_SUB_BITS - 1;
  sub = idx % HIST_SUB;
  lower = ((guint64) (HIST_SUB + sub)) << (msb - HIST_SUB_BITS);
  width = G_GUINT64_CONSTANT (1) << (msb - HIST_SUB_BITS);
  return lower + width / 2;
}

/* ------------------------------------------------------------------ */
/* lists */

static inline void
stream_append (ShedStream * s, ShedEntry * e)
{
  e->prev = s->tail;
  e->next = NULL;
  if (s->tail)
    s->tail->next = e;
  else
    s->head = e;
  s->tail = e;
  s->n_items++;

  if (e->is_buffer) {
    guint c = e->klass;

    e->cprev = s->ctail[c];
    e->cnext = NULL;
    if (s->ctail[c])
      s->ctail[c]->cnext = e;
    else
      s->chead[c] = e;
    s->ctail[c] = e;
    s->cn[c]++;
  }
}

static inline void
stream_unlink (ShedStream * s, ShedEntry * e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    s->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    s->tail = e->prev;
  s->n_items--;

  if (e->is_buffer) {
    guint c = e->klass;

    if (e->cprev)
      e->cprev->cnext = e->cnext;
    else
      s->chead[c] = e->cnext;
    if (e->cnext)
      e->cnext->cprev = e->cprev;
    else
      s->ctail[c] = e->cprev;
    s->cn[c]--;
  }
}

static ShedStream *
get_stream (const ShedQueue * q, guint stream)
{
  if (stream >= SHED_MAX_STREAMS || !q->streams[stream].used)
    return NULL;
  return (ShedStream *) & q->streams[stream];
}

/* the oldest queued buffer of the stream: the oldest class head */
static ShedEntry *
stream_first_buffer (const ShedStream * s)
{
  ShedEntry *best = NULL;
  guint c;

  for (c = 0; c < SHED_N_CLASSES; c++) {
    ShedEntry *h = s->chead[c];
    if (h && (best == NULL || h->seq < best->seq))
      best = h;
  }
  return best;
}

static guint64
stream_level_time (const ShedStream * s)
{
  ShedEntry *first;

  if (s->n_buffers == 0 || s->newest_end == SHED_TIME_NONE)
    return 0;
  first = stream_first_buffer (s);
  if (first == NULL || first->time == SHED_TIME_NONE)
    return 0;
  return s->newest_end > first->time ? s->newest_end - first->time : 0;
}

static guint64
queue_level_time (const ShedQueue * q)
{
  guint64 t = 0;
  guint i;

  for (i = 0; i < q->n_streams; i++) {
    if (q->streams[i].used)
      t = MAX (t, stream_level_time (&q->streams[i]));
  }
  return t;
}

/* ------------------------------------------------------------------ */
/* dropping */

/* the next buffer after @e in its stream, or NULL */
static ShedEntry *
next_buffer (ShedEntry * e)
{
  for (e = e->next; e; e = e->next)
    if (e->is_buffer)
      return e;
  return NULL;
}

static void
mark_discont_after (ShedStream * s, ShedEntry * e)
{
  ShedEntry *n = next_buffer (e);

  if (n)
    n->flags |= ENTRY_DISCONT;
  else
    s->discont_next = TRUE;
}

static void
record_drop (ShedQueue * q, guint stream, gpointer item, ShedClass klass,
    ShedReason reason, gsize size, guint lower_queued)
{
  ShedDrop d;

  d.item = item;
  d.stream = stream;
  d.klass = klass;
  d.reason = reason;
  d.size = size;
  d.lower_queued = lower_queued;
  g_array_append_val (q->drops, d);

  q->stats.dropped[klass]++;
  q->stats.dropped_reason[reason]++;
  if (klass == SHED_CLASS_HIGH && lower_queued > 0)
    q->stats.high_dropped_lower_queued++;
}

static void drop_entry (ShedQueue * q, guint stream, ShedEntry * e,
    ShedReason reason);

/* @e was dropped and later deltas depended on it: drop them up to the next
 * keyframe, and the leading pictures after that keyframe (presented
 * before it, so they may reference what was dropped). With no keyframe
 * queued the stream waits for one. */
static void
cascade_from (ShedQueue * q, guint stream, ShedEntry * from)
{
  ShedStream *s = &q->streams[stream];
  ShedEntry *x, *xn;
  ShedEntry *key = NULL;

  for (x = from; x; x = xn) {
    xn = x->next;
    if (!x->is_buffer)
      continue;
    if (key == NULL) {
      if (x->flags & SHED_FLAG_KEYFRAME) {
        key = x;
        if (key->pts == SHED_TIME_NONE)
          return;
        continue;
      }
      if (x->flags & SHED_FLAG_DELTA)
        drop_entry (q, stream, x, SHED_REASON_KEYFRAME_WAIT);
    } else {
      /* leading pictures of the keyframe we resume at */
      if (x->flags & SHED_FLAG_KEYFRAME)
        return;
      if (x->flags & SHED_FLAG_DELTA) {
        if (x->pts != SHED_TIME_NONE && x->pts < key->pts)
          drop_entry (q, stream, x, SHED_REASON_KEYFRAME_WAIT);
        else
          return;
      }
    }
  }

  if (key == NULL) {
    if (!s->waiting) {
      s->waiting = TRUE;
      s->resume_pts = SHED_TIME_NONE;
      q->stats.keyframe_waits++;
    }
  } else {
    /* the wait ended in the queue; check what comes in against it */
    s->resume_pts = key->pts;
  }
}

static void
drop_entry (ShedQueue * q, guint stream, ShedEntry * e, ShedReason reason)
{
  ShedStream *s = &q->streams[stream];
  ShedEntry *next = e->next;
  gboolean cascade;
  guint lower = 0;

  g_assert (e->is_buffer);

  if ((e->klass != SHED_CLASS_LOW || (e->flags & ENTRY_DISCONT)))
    mark_discont_after (s, e);

  stream_unlink (s, e);
  s->n_buffers--;
  s->bytes -= e->size;
  q->n_buffers--;
  q->bytes -= e->size;
  if (s->n_buffers == 0)
    s->newest_end = SHED_TIME_NONE;

  if (e->klass == SHED_CLASS_HIGH)
    lower = s->cn[SHED_CLASS_NORMAL] + s->cn[SHED_CLASS_LOW];

  cascade = reason != SHED_REASON_KEYFRAME_WAIT &&
      ((e->flags & SHED_FLAG_KEYFRAME) ||
      ((e->flags & SHED_FLAG_DELTA) && e->klass != SHED_CLASS_LOW));

  record_drop (q, stream, e->item, e->klass, reason, e->size, lower);
  entry_free (q, e);

  if (cascade)
    cascade_from (q, stream, next);
}

/* lowest class present in @s, oldest first; HIGH only if @allow_high */
static ShedEntry *
stream_victim (const ShedStream * s, gboolean allow_high)
{
  if (s->chead[SHED_CLASS_LOW])
    return s->chead[SHED_CLASS_LOW];
  if (s->chead[SHED_CLASS_NORMAL])
    return s->chead[SHED_CLASS_NORMAL];
  if (allow_high)
    return s->chead[SHED_CLASS_HIGH];
  return NULL;
}

/* across streams: every non-HIGH buffer before any HIGH one; among them
 * the lowest stream priority, then the lowest class, then the oldest */
static ShedEntry *
queue_victim (const ShedQueue * q, guint * stream)
{
  ShedEntry *best = NULL;
  gint best_prio = 0;
  guint best_rank = 0, i, c;

  for (i = 0; i < q->n_streams; i++) {
    const ShedStream *s = &q->streams[i];

    if (!s->used)
      continue;
    for (c = SHED_CLASS_NORMAL; c <= SHED_CLASS_LOW; c++) {
      ShedEntry *h = s->chead[c];
      guint rank = c == SHED_CLASS_LOW ? 0 : 1;

      if (h == NULL)
        continue;
      if (best == NULL || s->priority < best_prio ||
          (s->priority == best_prio && (rank < best_rank ||
                  (rank == best_rank && h->seq < best->seq)))) {
        best = h;
        best_prio = s->priority;
        best_rank = rank;
        *stream = i;
      }
    }
  }
  if (best)
    return best;

  for (i = 0; i < q->n_streams; i++) {
    const ShedStream *s = &q->streams[i];
    ShedEntry *h;

    if (!s->used)
      continue;
    h = s->chead[SHED_CLASS_HIGH];
    if (h == NULL)
      continue;
    if (best == NULL || s->priority < best_prio ||
        (s->priority == best_prio && h->seq < best->seq)) {
      best = h;
      best_prio = s->priority;
      *stream = i;
    }
  }
  return best;
}

/* over a capacity limit: more than allowed, and more than one buffer */
static gboolean
over_capacity (const ShedQueue * q, ShedReason * reason)
{
  if (q->n_buffers <= 1)
    return FALSE;
  if (q->config.max_buffers > 0 && q->n_buffers > q->config.max_buffers) {
    *reason = SHED_REASON_BUFFERS;
    return TRUE;
  }
  if (q->config.max_bytes > 0 && q->bytes > q->config.max_bytes) {
    *reason = SHED_REASON_BYTES;
    return TRUE;
  }
  return FALSE;
}

static void
shed_capacity (ShedQueue * q)
{
  ShedReason reason;

  while (over_capacity (q, &reason)) {
    guint stream = 0;
    ShedEntry *v = queue_victim (q, &stream);

    if (v == NULL)
      break;
    drop_entry (q, stream, v, reason);
  }
}

static void
shed_stream_time (ShedQueue * q, guint stream)
{
  ShedStream *s = &q->streams[stream];
  guint64 max_time = q->config.max_time;

  if (max_time == 0)
    return;

  /* hard: the span of the stream bounds how long its oldest buffer has
   * been waiting. A lone buffer longer than max_time is kept as long as
   * nothing newer came in. */
  while (stream_level_time (s) > max_time && (s->n_buffers > 1 ||
          stream_first_buffer (s)->end != s->newest_end)) {
    ShedEntry *v = stream_victim (s, TRUE);
    if (v == NULL)
      break;
    drop_entry (q, stream, v, SHED_REASON_TIME);
  }

  /* predicted: the newest buffer would leave after n * service. Only LOW
   * goes early: dropping a reference costs the rest of its GOP, so NORMAL
   * waits for the hard limit above (a LOW may come in meanwhile). */
  if (s->service > 0) {
    guint64 max_n = max_time / s->service;

    while (s->n_buffers > 1 && s->n_buffers > max_n && s->chead[SHED_CLASS_LOW])
      drop_entry (q, stream, s->chead[SHED_CLASS_LOW], SHED_REASON_LATENCY);
  }
}

/* ------------------------------------------------------------------ */
/* the stream's timeline */

/* a jump is larger than this many frames (see above) */
#define JUMP_FRAMES 4

static void
timeline_reset (ShedStream * s)
{
  s->newest_end = SHED_TIME_NONE;
  s->last_time = SHED_TIME_NONE;
  s->in_raw = SHED_TIME_NONE;
  s->in_timeline = SHED_TIME_NONE;
  s->shift = 0;
  s->in_wall = 0;
  s->last_start = SHED_TIME_NONE;
  s->step = 0;
}

/* A buffer at running time [@time, @end) came in at @now: returns its
 * start on the stream's timeline (*@tl_end its end) and moves the input
 * position on. */
static inline guint64
timeline_map (ShedQueue * q, ShedStream * s, guint64 time, guint64 end,
    guint64 now, guint64 * tl_end)
{
  guint64 frames = JUMP_FRAMES * s->step;

  if (G_UNLIKELY (s->in_raw == SHED_TIME_NONE)) {
    s->in_raw = end;
    s->in_timeline = end + s->shift;
  } else if (G_LIKELY (end >= s->in_raw)) {
    guint64 advance = end - s->in_raw;

    /* a few frames ahead is never a jump: no need to look further */
    if (G_UNLIKELY (advance > frames)) {
      guint64 wall = now > s->in_wall ? now - s->in_wall : 0;

      if (advance > wall + MAX (frames, q->config.max_time / 2))
        s->shift = (gint64) (s->in_timeline + wall) - (gint64) end;
    }
    s->in_raw = end;
  } else if (G_UNLIKELY (s->in_raw - end > MAX (frames, q->config.max_time))) {
    guint64 wall = now > s->in_wall ? now - s->in_wall : 0;

    s->shift = (gint64) (s->in_timeline + wall) - (gint64) end;
  }

  if (G_LIKELY (end > time))
    s->step = end - time;
  else if (s->last_start != SHED_TIME_NONE && time > s->last_start)
    s->step = time - s->last_start;
  s->last_start = time;
  s->last_time = end;
  s->in_wall = now;
  *tl_end = end + s->shift;
  if (*tl_end > s->in_timeline)
    s->in_timeline = *tl_end;

  return time + s->shift;
}

/* ------------------------------------------------------------------ */
/* API */

ShedQueue *
shed_queue_new (const ShedConfig * config)
{
  ShedQueue *q = g_new0 (ShedQueue, 1);

  q->config = *config;
  q->chunks = g_ptr_array_new_with_free_func (g_free);
  q->drops = g_array_new (FALSE, FALSE, sizeof (ShedDrop));
  return q;
}

void
shed_queue_free (ShedQueue * q, GDestroyNotify free_item)
{
  guint i;

  if (q == NULL)
    return;

  for (i = 0; i < q->n_streams; i++) {
    ShedStream *s = &q->streams[i];
    ShedEntry *e;

    if (!s->used)
      continue;
    for (e = s->head; e; e = e->next)
      if (free_item)
        free_item (e->item);
  }
  for (i = 0; i < q->drops->len; i++) {
    ShedDrop *d = &g_array_index (q->drops, ShedDrop, i);
    if (free_item)
      free_item (d->item);
  }
  g_array_free (q->drops, TRUE);
  g_ptr_array_free (q->chunks, TRUE);
  g_free (q);
}

void
shed_queue_configure (ShedQueue * q, const ShedConfig * config)
{
  guint i;

  q->config = *config;
  if (q->config.mode != SHED_MODE_SHED)
    return;

  shed_capacity (q);
  for (i = 0; i < q->n_streams; i++)
    if (q->streams[i].used)
      shed_stream_time (q, i);
}

void
shed_queue_get_config (const ShedQueue * q, ShedConfig * config)
{
  *config = q->config;
}

gint
shed_queue_add_stream (ShedQueue * q, gint priority)
{
  guint i;

  for (i = 0; i < SHED_MAX_STREAMS; i++) {
    ShedStream *s = &q->streams[i];

    if (s->used)
      continue;
    memset (s, 0, sizeof (ShedStream));
    s->used = TRUE;
    s->priority = priority;
    timeline_reset (s);
    s->resume_pts = SHED_TIME_NONE;
    if (i + 1 > q->n_streams)
      q->n_streams = i + 1;
    return (gint) i;
  }
  return -1;
}

void
shed_queue_remove_stream (ShedQueue * q, guint stream, ShedItemFunc func,
    gpointer user_data)
{
  ShedStream *s = get_stream (q, stream);

  if (s == NULL)
    return;
  shed_queue_flush_stream (q, stream, func, user_data);
  s->used = FALSE;
  while (q->n_streams > 0 && !q->streams[q->n_streams - 1].used)
    q->n_streams--;
}

void
shed_queue_set_stream_priority (ShedQueue * q, guint stream, gint priority)
{
  ShedStream *s = get_stream (q, stream);

  if (s)
    s->priority = priority;
}

gboolean
shed_queue_push_buffer (ShedQueue * q, guint stream, gpointer item,
    const ShedBufferInfo * info, guint64 now)
{
  ShedStream *s = get_stream (q, stream);
  ShedEntry *e;
  ShedClass klass = info->klass;
  guint64 time = info->time;

  g_return_val_if_fail (s != NULL, FALSE);
  if (klass > SHED_CLASS_LOW)
    klass = SHED_CLASS_LOW;

  q->stats.in[klass]++;

  if (q->config.mode == SHED_MODE_SHED) {
    if (info->flags & SHED_FLAG_KEYFRAME) {
      if (s->waiting) {
        s->waiting = FALSE;
        s->resume_pts = info->pts;
      } else {
        s->resume_pts = SHED_TIME_NONE;
      }
    } else if (info->flags & SHED_FLAG_DELTA) {
      gboolean drop = FALSE;

      if (s->waiting) {
        drop = TRUE;
      } else if (s->resume_pts != SHED_TIME_NONE) {
        if (info->pts != SHED_TIME_NONE && info->pts < s->resume_pts)
          drop = TRUE;
        else
          s->resume_pts = SHED_TIME_NONE;
      }
      if (drop) {
        s->discont_next = TRUE;
        record_drop (q, stream, item, klass, SHED_REASON_KEYFRAME_WAIT,
            info->size, 0);
        /* the input moved on all the same: what is queued got older */
        if (time != SHED_TIME_NONE) {
          guint64 end = time;

          if (info->duration != SHED_TIME_NONE)
            end += info->duration;
          timeline_map (q, s, time, end, now, &end);
          if (s->n_buffers > 0 && (s->newest_end == SHED_TIME_NONE ||
                  end > s->newest_end)) {
            s->newest_end = end;
            shed_stream_time (q, stream);
          }
        }
        return FALSE;
      }
    }
  }

  /* no timestamp: continuous with the previous buffer, as queue does */
  if (time == SHED_TIME_NONE)
    time = s->last_time;

  e = entry_new (q);
  e->item = item;
  e->seq = q->seq++;
  e->end = SHED_TIME_NONE;
  if (time != SHED_TIME_NONE) {
    guint64 end = time;

    if (info->duration != SHED_TIME_NONE)
      end += info->duration;
    time = timeline_map (q, s, time, end, now, &end);
    e->end = end;
    if (s->newest_end == SHED_TIME_NONE || end > s->newest_end)
      s->newest_end = end;
  }
  e->time = time;
  e->pts = info->pts;
  e->in_time = now;
  e->size = info->size;
  e->klass = klass;
  e->flags = info->flags & (SHED_FLAG_DELTA | SHED_FLAG_KEYFRAME);
  e->is_buffer = TRUE;
  if (s->discont_next) {
    e->flags |= ENTRY_DISCONT;
    s->discont_next = FALSE;
  }
  stream_append (s, e);

  s->n_buffers++;
  s->bytes += info->size;
  q->n_buffers++;
  q->bytes += info->size;

  if (q->config.mode == SHED_MODE_SHED) {
    if (q->config.max_buffers || q->config.max_bytes)
      shed_capacity (q);
    if (q->config.max_time)
      shed_stream_time (q, stream);
  }

  return TRUE;
}

void
shed_queue_push_other (ShedQueue * q, guint stream, gpointer item)
{
  ShedStream *s = get_stream (q, stream);
  ShedEntry *e;

  g_return_if_fail (s != NULL);

  e = entry_new (q);
  e->item = item;
  e->seq = q->seq++;
  e->time = SHED_TIME_NONE;
  e->end = SHED_TIME_NONE;
  e->pts = SHED_TIME_NONE;
  e->in_time = 0;
  e->size = 0;
  e->klass = SHED_CLASS_HIGH;
  e->flags = 0;
  e->is_buffer = FALSE;
  stream_append (s, e);
}

/* Takes a not-yet-popped non-buffer item (a serialized query whose caller
 * gave up) out of the stream again, so that the queue never keeps a pointer
 * the caller is about to free. Returns FALSE when it is not queued (popped
 * already). */
gboolean
shed_queue_remove_other (ShedQueue * q, guint stream, gpointer item)
{
  ShedStream *s = get_stream (q, stream);
  ShedEntry *e;

  if (s == NULL)
    return FALSE;

  for (e = s->head; e != NULL; e = e->next) {
    if (!e->is_buffer && e->item == item) {
      stream_unlink (s, e);
      entry_free (q, e);
      return TRUE;
    }
  }
  return FALSE;
}

gpointer
shed_queue_pop (ShedQueue * q, guint stream, guint64 now, ShedPopInfo * info)
{
  ShedStream *s = get_stream (q, stream);
  ShedEntry *e;
  gpointer item;

  if (s == NULL || s->head == NULL)
    return NULL;

  e = s->head;
  stream_unlink (s, e);
  item = e->item;

  if (info) {
    info->is_buffer = e->is_buffer;
    info->klass = e->klass;
    info->discont = (e->flags & ENTRY_DISCONT) != 0;
    info->sojourn = 0;
  }

  if (e->is_buffer) {
    guint64 sojourn = now > e->in_time ? now - e->in_time : 0;

    s->n_buffers--;
    s->bytes -= e->size;
    q->n_buffers--;
    q->bytes -= e->size;
    if (s->n_buffers == 0)
      s->newest_end = SHED_TIME_NONE;

    q->stats.out[e->klass]++;
    q->hist[hist_index (sojourn)]++;
    q->hist_total++;
    if (sojourn > q->stats.sojourn_max)
      q->stats.sojourn_max = sojourn;
    if (info)
      info->sojourn = sojourn;
  }

  entry_free (q, e);
  return item;
}

void
shed_queue_report_service (ShedQueue * q, guint stream, guint64 duration)
{
  ShedStream *s = get_stream (q, stream);

  if (s == NULL)
    return;
  /* one stall longer than the whole budget says nothing more */
  if (q->config.max_time > 0 && duration > q->config.max_time)
    duration = q->config.max_time;
  if (s->service == 0) {
    s->service = duration;
  } else if (duration >= s->service) {
    s->service += (duration - s->service) / 8;
  } else {
    s->service -= (s->service - duration) / 8;
  }
}

/* (7/8)^n in 1/65536, for n reports at once */
static const guint32 ewma_keep[] = {
  65536, 57344, 50176, 43904, 38416, 33614, 29412, 25736, 22519, 19704,
  17241, 15086, 13200, 11550, 10106, 8843, 7738
};

void
shed_queue_report_service_n (ShedQueue * q, guint stream, guint64 total,
    guint n)
{
  ShedStream *s = get_stream (q, stream);
  guint64 avg;

  if (s == NULL || n == 0)
    return;
  avg = total / n;
  if (n == 1 || s->service == 0 || n >= G_N_ELEMENTS (ewma_keep)) {
    guint i;

    for (i = 0; i < n; i++)
      shed_queue_report_service (q, stream, avg);
    return;
  }
  if (q->config.max_time > 0 && avg > q->config.max_time)
    avg = q->config.max_time;
  /* n steps of the moving average at once: avg + (service - avg) (7/8)^n */
  if (s->service >= avg)
    s->service = avg + (((s->service - avg) * ewma_keep[n]) >> 16);
  else
    s->service = avg - (((avg - s->service) * ewma_keep[n]) >> 16);
}

guint64
shed_queue_get_service_time (const ShedQueue * q, guint stream)
{
  ShedStream *s = get_stream (q, stream);

  return s ? s->service : 0;
}

void
shed_queue_flush_stream (ShedQueue * q, guint stream, ShedItemFunc func,
    gpointer user_data)
{
  ShedStream *s = get_stream (q, stream);
  ShedEntry *e;

  if (s == NULL)
    return;

  while ((e = s->head)) {
    gpointer item = e->item;
    gboolean is_buffer = e->is_buffer;

    stream_unlink (s, e);
    if (is_buffer) {
      s->n_buffers--;
      s->bytes -= e->size;
      q->n_buffers--;
      q->bytes -= e->size;
    }
    entry_free (q, e);
    q->stats.flushed++;
    if (func)
      func (item, is_buffer, user_data);
  }
  timeline_reset (s);
  s->waiting = FALSE;
  s->resume_pts = SHED_TIME_NONE;
  s->discont_next = FALSE;
}

gboolean
shed_queue_is_full (const ShedQueue * q)
{
  if (q->config.max_buffers > 0 && q->n_buffers >= q->config.max_buffers)
    return TRUE;
  if (q->config.max_bytes > 0 && q->bytes >= q->config.max_bytes)
    return TRUE;
  if (q->config.max_time > 0 && q->n_buffers > 0 &&
      queue_level_time (q) >= q->config.max_time)
    return TRUE;
  return FALSE;
}

gboolean
shed_queue_stream_head_is_buffer (const ShedQueue * q, guint stream)
{
  const ShedStream *s = get_stream (q, stream);

  return s != NULL && s->head != NULL && s->head->is_buffer;
}

gboolean
shed_queue_stream_is_empty (const ShedQueue * q, guint stream)
{
  ShedStream *s = get_stream (q, stream);

  return s == NULL || s->head == NULL;
}

guint
shed_queue_stream_n_items (const ShedQueue * q, guint stream)
{
  ShedStream *s = get_stream (q, stream);

  return s ? s->n_items : 0;
}

guint
shed_queue_stream_n_buffers (const ShedQueue * q, guint stream)
{
  ShedStream *s = get_stream (q, stream);

  return s ? s->n_buffers : 0;
}

gboolean
shed_queue_stream_is_waiting (const ShedQueue * q, guint stream)
{
  ShedStream *s = get_stream (q, stream);

  return s ? s->waiting : FALSE;
}

void
shed_queue_get_level (const ShedQueue * q, guint * buffers, guint64 * bytes,
    guint64 * time)
{
  if (buffers)
    *buffers = q->n_buffers;
  if (bytes)
    *bytes = q->bytes;
  if (time)
    *time = queue_level_time (q);
}

const ShedDrop *
shed_queue_get_drops (const ShedQueue * q, guint * n_drops)
{
  *n_drops = q->drops->len;
  return (const ShedDrop *) q->drops->data;
}

void
shed_queue_clear_drops (ShedQueue * q)
{
  g_array_set_size (q->drops, 0);
}

guint64
shed_queue_sojourn_percentile (const ShedQueue * q, gdouble p)
{
  guint64 rank, acc = 0;
  guint i;

  if (q->hist_total == 0)
    return 0;
  if (p >= 1.0)
    return q->stats.sojourn_max;
  p = CLAMP (p, 0.0, 1.0);
  rank = (guint64) (p * (gdouble) q->hist_total + 0.999999);
  if (rank == 0)
    rank = 1;
  for (i = 0; i < HIST_N_BUCKETS; i++) {
    acc += q->hist[i];
    if (acc >= rank)
      return MIN (hist_value (i), q->stats.sojourn_max);
  }
  return q->stats.sojourn_max;
}

void
shed_queue_get_stats (const ShedQueue * q, ShedStats * stats)
{
  guint i, c;

  *stats = q->stats;
  stats->level_buffers = q->n_buffers;
  stats->level_bytes = q->bytes;
  stats->level_time = queue_level_time (q);
  for (c = 0; c < SHED_N_CLASSES; c++)
    stats->level_class[c] = 0;
  for (i = 0; i < q->n_streams; i++) {
    if (!q->streams[i].used)
      continue;
    for (c = 0; c < SHED_N_CLASSES; c++)
      stats->level_class[c] += q->streams[i].cn[c];
  }
  stats->sojourn_p50 = shed_queue_sojourn_percentile (q, 0.50);
  stats->sojourn_p99 = shed_queue_sojourn_percentile (q, 0.99);
}

const gchar *
shed_class_get_name (ShedClass klass)
{
  switch (klass) {
    case SHED_CLASS_HIGH:
      return "high";
    case SHED_CLASS_NORMAL:
      return "normal";
    case SHED_CLASS_LOW:
      return "low";
  }
  return "unknown";
}

const gchar *
shed_reason_get_name (ShedReason reason)
{
  switch (reason) {
    case SHED_REASON_BUFFERS:
      return "max-size-buffers";
    case SHED_REASON_BYTES:
      return "max-size-bytes";
    case SHED_REASON_TIME:
      return "max-size-time";
    case SHED_REASON_LATENCY:
      return "latency";
    case SHED_REASON_KEYFRAME_WAIT:
      return "keyframe-wait";
  }
  return "unknown";
}
