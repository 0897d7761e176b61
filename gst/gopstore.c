/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gopstore.h"

#define TIME_VALID(t) ((t) != GOP_TIME_NONE)

typedef struct
{
  GopInfo info;
  guint64 first_seq;            /* first entry (may be overlapping audio) */
  guint64 kf_seq;               /* the keyframe */
  guint64 kf_time;              /* DTS or PTS of the keyframe */
  gboolean trailing_seen;       /* a picture at/after the RAP in PTS seen */
  /* the sticky items of each stream when the keyframe arrived (refs) */
  gpointer sticky[2][GOP_STICKY_SLOTS];
} Gop;

struct _GopStore
{
  GopStoreConfig cfg;
  GopRefFunc ref;
  GDestroyNotify unref;

  /* ring of entries, capacity a power of two */
  GopEntry *ring;
  guint cap;
  guint head;
  guint len;
  guint64 first_seq;            /* seq of ring[head] */
  guint64 next_seq;

  GArray *gops;                 /* Gop, oldest first; contiguous in the ring */
  guint64 next_gop_id;
  gboolean overflowed;          /* discarding until the next keyframe */

  guint64 bytes;
  guint64 last_end;             /* max (time + duration) of cached entries */
  guint n_events;               /* cached GOP_FLAG_EVENT entries */

  /* current sticky items of the video [0] and audio [1] stream (refs) */
  gpointer sticky[2][GOP_STICKY_SLOTS];

  /* running sums for averages over completed GOPs */
  guint64 sum_duration, sum_bytes, sum_frames;

  GopStats stats;
};

static inline GopEntry *
ring_at (const GopStore * s, guint i)
{
  return &s->ring[(s->head + i) & (s->cap - 1)];
}

static inline guint64
entry_time (guint64 pts, guint64 dts)
{
  return TIME_VALID (dts) ? dts : pts;
}

static void
sanitize (GopStoreConfig * cfg)
{
  if (cfg->max_gops < 1)
    cfg->max_gops = 1;
  if (cfg->max_bytes < 1)
    cfg->max_bytes = 1;
}

GopStore *
gop_store_new (const GopStoreConfig * config, GopRefFunc ref,
    GDestroyNotify unref)
{
  GopStore *s = g_new0 (GopStore, 1);

  s->cfg = *config;
  sanitize (&s->cfg);
  s->ref = ref;
  s->unref = unref;
  s->cap = 64;
  s->ring = g_new0 (GopEntry, s->cap);
  s->gops = g_array_new (FALSE, TRUE, sizeof (Gop));
  s->last_end = GOP_TIME_NONE;
  return s;
}

void
gop_store_free (GopStore * s)
{
  if (!s)
    return;
  gop_store_clear (s);
  gop_store_reset_sticky (s);
  g_array_free (s->gops, TRUE);
  g_free (s->ring);
  g_free (s);
}

static void
ring_grow (GopStore * s)
{
  guint i, ncap = s->cap * 2;
  GopEntry *n = g_new0 (GopEntry, ncap);

  for (i = 0; i < s->len; i++)
    n[i] = *ring_at (s, i);
  g_free (s->ring);
  s->ring = n;
  s->cap = ncap;
  s->head = 0;
}

/* Drop the oldest @n entries from the ring */
static void
ring_pop_front (GopStore * s, guint n)
{
  while (n-- > 0 && s->len > 0) {
    GopEntry *e = ring_at (s, 0);

    s->bytes -= e->size;
    if (e->flags & GOP_FLAG_EVENT)
      s->n_events--;
    if (s->unref && e->item)
      s->unref (e->item);
    memset (e, 0, sizeof (*e));
    s->head = (s->head + 1) & (s->cap - 1);
    s->len--;
    s->first_seq++;
  }
  if (s->len == 0)
    s->last_end = GOP_TIME_NONE;
}

/* Drop the newest entries from @seq on */
static void
ring_pop_back_from (GopStore * s, guint64 seq)
{
  while (s->len > 0 && s->first_seq + s->len > seq) {
    GopEntry *e = ring_at (s, s->len - 1);

    s->bytes -= e->size;
    if (e->flags & GOP_FLAG_EVENT) {
      /* the slot still holds the state for the next GOP */
      s->n_events--;
    } else {
      s->stats.discarded_entries++;
      s->stats.discarded_bytes += e->size;
    }
    if (s->unref && e->item)
      s->unref (e->item);
    memset (e, 0, sizeof (*e));
    s->len--;
  }
  if (s->len == 0) {
    s->last_end = GOP_TIME_NONE;
    s->first_seq = s->next_seq;
  }
}

static inline Gop *
gop_at (const GopStore * s, guint i)
{
  return &g_array_index (s->gops, Gop, i);
}

static void
gop_clear_sticky (GopStore * s, Gop * g)
{
  guint a, i;

  for (a = 0; a < 2; a++) {
    for (i = 0; i < GOP_STICKY_SLOTS; i++) {
      if (g->sticky[a][i] && s->unref)
        s->unref (g->sticky[a][i]);
      g->sticky[a][i] = NULL;
    }
  }
}

/* Drop the GOPs from index @from on (their entries are already gone) */
static void
gops_truncate (GopStore * s, guint from)
{
  guint i;

  for (i = from; i < s->gops->len; i++)
    gop_clear_sticky (s, gop_at (s, i));
  g_array_set_size (s->gops, from);
}

static void
evict_oldest_gop (GopStore * s)
{
  guint64 end;

  g_assert (s->gops->len >= 2);
  end = gop_at (s, 1)->first_seq;
  ring_pop_front (s, (guint) (end - s->first_seq));
  gop_clear_sticky (s, gop_at (s, 0));
  g_array_remove_index (s->gops, 0);
  s->stats.evicted_gops++;
}

static guint64
cached_time (const GopStore * s)
{
  const Gop *g;

  if (s->gops->len == 0 || !TIME_VALID (s->last_end))
    return 0;
  g = gop_at (s, 0);
  if (!TIME_VALID (g->kf_time) || s->last_end < g->kf_time)
    return 0;
  return s->last_end - g->kf_time;
}

static gboolean
over_bounds (const GopStore * s)
{
  if (s->bytes > s->cfg.max_bytes)
    return TRUE;
  if (s->cfg.max_time && cached_time (s) > s->cfg.max_time)
    return TRUE;
  return FALSE;
}

/* Evict old GOPs until within bounds; returns the number evicted. Leaves
 * the newest GOP alone. */
static guint
enforce_bounds (GopStore * s)
{
  guint n = 0;

  while (s->gops->len > 1 && (s->gops->len > s->cfg.max_gops
          || over_bounds (s))) {
    evict_oldest_gop (s);
    n++;
  }
  return n;
}

/* The newest GOP alone is over a bound: discard it whole */
static void
overflow_newest (GopStore * s)
{
  Gop *g;

  g_assert (s->gops->len == 1);
  g = gop_at (s, 0);
  ring_pop_back_from (s, g->first_seq);
  /* only the newest GOP was cached: the ring is empty now */
  g_assert (s->len == 0);
  gops_truncate (s, 0);
  s->overflowed = TRUE;
  s->stats.overflows++;
}

guint
gop_store_configure (GopStore * s, const GopStoreConfig * config)
{
  guint n;

  s->cfg = *config;
  sanitize (&s->cfg);
  n = enforce_bounds (s);
  if (s->gops->len == 1 && over_bounds (s))
    overflow_newest (s);
  return n;
}

void
gop_store_clear (GopStore * s)
{
  ring_pop_front (s, s->len);
  gops_truncate (s, 0);
  s->overflowed = FALSE;
  s->first_seq = s->next_seq;
  s->last_end = GOP_TIME_NONE;
}

static void
complete_gop (GopStore * s, Gop * g, guint64 next_kf_time, GopInfo * out)
{
  GopStats *st = &s->stats;
  GopInfo *i = &g->info;

  if (TIME_VALID (next_kf_time) && TIME_VALID (g->kf_time)
      && next_kf_time >= g->kf_time)
    i->duration = next_kf_time - g->kf_time;
  else
    i->duration = 0;

  if (st->gops_completed == 0) {
    st->gop_duration_min = st->gop_duration_max = i->duration;
    st->gop_bytes_min = st->gop_bytes_max = i->bytes;
    st->gop_frames_min = st->gop_frames_max = i->frames;
  } else {
    st->gop_duration_min = MIN (st->gop_duration_min, i->duration);
    st->gop_duration_max = MAX (st->gop_duration_max, i->duration);
    st->gop_bytes_min = MIN (st->gop_bytes_min, i->bytes);
    st->gop_bytes_max = MAX (st->gop_bytes_max, i->bytes);
    st->gop_frames_min = MIN (st->gop_frames_min, i->frames);
    st->gop_frames_max = MAX (st->gop_frames_max, i->frames);
  }
  st->gops_completed++;
  s->sum_duration += i->duration;
  s->sum_bytes += i->bytes;
  s->sum_frames += i->frames;
  st->gop_duration_avg = s->sum_duration / st->gops_completed;
  st->gop_bytes_avg = s->sum_bytes / st->gops_completed;
  st->gop_frames_avg = (guint) (s->sum_frames / st->gops_completed);
  if (out)
    *out = *i;
}

static void
discard (GopStore * s, guint64 size, GopPushInfo * info)
{
  s->stats.discarded_entries++;
  s->stats.discarded_bytes += size;
  if (info)
    info->seq = GOP_SEQ_NONE;
}

static GopPushResult append_entry (GopStore * s, Gop * g, gpointer item,
    guint flags, guint64 pts, guint64 dts, guint64 duration, guint64 size,
    GopPushInfo * info);

GopPushResult
gop_store_push (GopStore * s, gpointer item, guint flags, guint64 pts,
    guint64 dts, guint64 duration, guint64 size, GopPushInfo * info)
{
  gboolean audio = (flags & GOP_FLAG_AUDIO) != 0;
  gboolean key = !audio && (flags & GOP_FLAG_KEYFRAME);
  guint64 t = entry_time (pts, dts);
  Gop *g;

  flags &= ~(GOP_FLAG_SKIP_ON_JOIN | GOP_FLAG_EVENT);
  if (audio)
    flags &= ~(GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN);
  if (info) {
    memset (info, 0, sizeof (*info));
    info->flags = flags;
  }

  if (key) {
    GopInfo done;
    gboolean have_done = FALSE;
    guint64 first = s->next_seq;
    Gop ng;

    s->overflowed = FALSE;
    if (s->gops->len > 0) {
      Gop *prev = gop_at (s, s->gops->len - 1);
      guint i;

      /* audio at the tail that overlaps the keyframe in time belongs to the
       * new GOP, so that joiners get audio from the keyframe on */
      for (i = s->len; i > 0; i--) {
        GopEntry *a = ring_at (s, i - 1);
        guint64 at = entry_time (a->pts, a->dts);

        if (a->seq < prev->kf_seq || !(a->flags & GOP_FLAG_AUDIO)
            || (a->flags & GOP_FLAG_EVENT))
          break;
        if (!TIME_VALID (t) || !TIME_VALID (at))
          break;
        if ((TIME_VALID (a->duration) ? at + a->duration : at) <= t)
          break;
        first = a->seq;
      }
      for (i = 0; i < s->next_seq - first; i++) {
        GopEntry *a = ring_at (s, s->len - 1 - i);

        a->gop_id = s->next_gop_id;
        prev->info.bytes -= a->size;
        prev->info.audio--;
      }
      complete_gop (s, prev, t, &done);
      have_done = TRUE;
    }

    memset (&ng, 0, sizeof (ng));
    ng.info.id = s->next_gop_id++;
    ng.info.start_pts = pts;
    ng.info.start_dts = t;
    ng.info.open = (flags & GOP_FLAG_OPEN) != 0;
    ng.first_seq = first;
    ng.kf_seq = s->next_seq;
    ng.kf_time = t;
    {
      guint a, k;
      for (a = 0; a < 2; a++)
        for (k = 0; k < GOP_STICKY_SLOTS; k++)
          if (s->sticky[a][k])
            ng.sticky[a][k] = s->ref ? s->ref (s->sticky[a][k]) :
                s->sticky[a][k];
    }
    /* the moved audio */
    ng.info.audio = (guint) (s->next_seq - first);
    {
      guint64 k;
      for (k = first; k < s->next_seq; k++)
        ng.info.bytes += gop_store_get (s, k)->size;
    }
    g_array_append_val (s->gops, ng);

    s->stats.gops_seen++;
    if (ng.info.open)
      s->stats.open_gops++;
    else
      s->stats.closed_gops++;
    if (info) {
      info->new_gop = TRUE;
      info->gop_completed = have_done;
      if (have_done)
        info->completed = done;
    }
  } else if (s->gops->len == 0 || s->overflowed) {
    discard (s, size, info);
    return GOP_PUSH_DISCARDED;
  }

  g = gop_at (s, s->gops->len - 1);

  if (!audio && !key) {
    gboolean skip = FALSE;

    if (flags & GOP_FLAG_LEADING_SKIP) {
      skip = TRUE;
    } else if (flags & GOP_FLAG_LEADING_KEEP) {
      skip = FALSE;
    } else if (g->info.open && !g->trailing_seen && TIME_VALID (pts)
        && TIME_VALID (g->info.start_pts)) {
      if (pts < g->info.start_pts)
        skip = TRUE;
      else
        g->trailing_seen = TRUE;
    }
    if (skip) {
      flags |= GOP_FLAG_SKIP_ON_JOIN;
      g->info.leading++;
      s->stats.leading_pictures++;
    }
  }

  return append_entry (s, g, item, flags, pts, dts, duration, size, info);
}

/* Append an entry to the newest GOP @g and enforce the bounds */
static GopPushResult
append_entry (GopStore * s, Gop * g, gpointer item, guint flags, guint64 pts,
    guint64 dts, guint64 duration, guint64 size, GopPushInfo * info)
{
  guint64 t = entry_time (pts, dts);
  guint64 seq;
  GopEntry *e;

  if (s->len == s->cap)
    ring_grow (s);
  seq = s->next_seq++;
  e = ring_at (s, s->len);
  s->len++;
  e->item = s->ref ? s->ref (item) : item;
  e->seq = seq;
  e->gop_id = g->info.id;
  e->pts = pts;
  e->dts = dts;
  e->duration = duration;
  e->size = size;
  e->flags = flags;
  s->bytes += size;
  if (TIME_VALID (t)) {
    guint64 end = t + (TIME_VALID (duration) ? duration : 0);
    if (!TIME_VALID (s->last_end) || end > s->last_end)
      s->last_end = end;
  }
  g->info.bytes += size;
  if (flags & GOP_FLAG_EVENT)
    s->n_events++;
  else if (flags & GOP_FLAG_AUDIO)
    g->info.audio++;
  else
    g->info.frames++;

  if (info) {
    info->flags = flags;
    info->seq = seq;
  }

  {
    guint n = enforce_bounds (s);

    if (info)
      info->evicted_gops = n;
  }
  if (s->gops->len == 1 && over_bounds (s)) {
    overflow_newest (s);
    if (info) {
      info->overflow = TRUE;
      info->seq = GOP_SEQ_NONE;
    }
    return GOP_PUSH_DISCARDED;
  }
  return GOP_PUSH_STORED;
}

GopPushResult
gop_store_push_sticky (GopStore * s, gpointer item, gboolean audio,
    guint slot, guint64 size, GopPushInfo * info)
{
  guint a = audio ? 1 : 0;

  g_return_val_if_fail (slot < GOP_STICKY_SLOTS, GOP_PUSH_DISCARDED);
  g_return_val_if_fail (item != NULL, GOP_PUSH_DISCARDED);

  if (s->sticky[a][slot] != item) {
    if (s->sticky[a][slot] && s->unref)
      s->unref (s->sticky[a][slot]);
    s->sticky[a][slot] = s->ref ? s->ref (item) : item;
  }
  if (info) {
    memset (info, 0, sizeof (*info));
    info->seq = GOP_SEQ_NONE;
  }
  /* nothing cached: the next GOP records the slot at its keyframe */
  if (s->gops->len == 0 || s->overflowed)
    return GOP_PUSH_DISCARDED;
  return append_entry (s, gop_at (s, s->gops->len - 1), item,
      GOP_FLAG_EVENT | (audio ? GOP_FLAG_AUDIO : 0), GOP_TIME_NONE,
      GOP_TIME_NONE, GOP_TIME_NONE, size, info);
}

void
gop_store_unset_sticky (GopStore * s, gboolean audio, guint slot)
{
  guint a = audio ? 1 : 0;

  g_return_if_fail (slot < GOP_STICKY_SLOTS);
  if (s->sticky[a][slot] && s->unref)
    s->unref (s->sticky[a][slot]);
  s->sticky[a][slot] = NULL;
}

void
gop_store_reset_sticky (GopStore * s)
{
  guint i;

  for (i = 0; i < GOP_STICKY_SLOTS; i++) {
    gop_store_unset_sticky (s, FALSE, i);
    gop_store_unset_sticky (s, TRUE, i);
  }
}

gpointer
gop_store_get_sticky (const GopStore * s, gboolean audio, guint slot)
{
  g_return_val_if_fail (slot < GOP_STICKY_SLOTS, NULL);
  return s->sticky[audio ? 1 : 0][slot];
}

static const Gop *
find_gop (const GopStore * s, guint64 gop_id)
{
  guint i;

  for (i = 0; i < s->gops->len; i++)
    if (gop_at (s, i)->info.id == gop_id)
      return gop_at (s, i);
  return NULL;
}

gboolean
gop_store_sticky_at (const GopStore * s, guint64 gop_id, gboolean audio,
    gpointer items[GOP_STICKY_SLOTS])
{
  const Gop *g = find_gop (s, gop_id);

  if (!g)
    return FALSE;
  memcpy (items, g->sticky[audio ? 1 : 0], sizeof (g->sticky[0]));
  return TRUE;
}

const GopEntry *
gop_store_get (const GopStore * s, guint64 seq)
{
  if (seq < s->first_seq || seq >= s->first_seq + s->len)
    return NULL;
  return ring_at (s, (guint) (seq - s->first_seq));
}

guint64
gop_store_next_seq (const GopStore * s)
{
  return s->first_seq + s->len;
}

guint64
gop_store_first_seq (const GopStore * s)
{
  return s->first_seq;
}

guint
gop_store_n_gops (const GopStore * s)
{
  return s->gops->len;
}

const GopEntry *
gop_store_latest_keyframe (const GopStore * s)
{
  if (s->gops->len == 0)
    return NULL;
  return gop_store_get (s, gop_at (s, s->gops->len - 1)->kf_seq);
}

gboolean
gop_store_join_point (const GopStore * s, gboolean latest, guint64 * gop_id,
    guint64 * first_seq)
{
  const Gop *g;

  if (s->gops->len == 0)
    return FALSE;
  g = gop_at (s, latest ? s->gops->len - 1 : 0);
  if (gop_id)
    *gop_id = g->info.id;
  if (first_seq)
    *first_seq = g->first_seq;
  return TRUE;
}

guint
gop_store_foreach_join (const GopStore * s, guint64 gop_id, gboolean audio,
    GopJoinFunc func, gpointer user_data)
{
  const Gop *g = find_gop (s, gop_id);
  guint n = 0;
  guint64 seq;

  if (!g)
    return 0;

  for (seq = g->first_seq; seq < s->first_seq + s->len; seq++) {
    const GopEntry *e = ring_at (s, (guint) (seq - s->first_seq));
    gboolean is_audio = (e->flags & GOP_FLAG_AUDIO) != 0;

    if (is_audio != audio)
      continue;
    if (e->gop_id == gop_id && (e->flags & GOP_FLAG_SKIP_ON_JOIN))
      continue;
    n++;
    if (!func (e, user_data))
      break;
  }
  return n;
}

const GopStats *
gop_store_get_stats (GopStore * s)
{
  GopStats *st = &s->stats;

  st->cached_gops = s->gops->len;
  st->cached_entries = s->len;
  st->cached_events = s->n_events;
  st->cached_bytes = s->bytes;
  st->cached_time = cached_time (s);
  return st;
}

/* ---------------------------------------------------------------------- */

struct _LagQueue
{
  GQueue items;                 /* LagItem* */
  GDestroyNotify free_item;
  guint64 max_lag;
  guint64 max_bytes;
  guint64 bytes;
  guint64 newest_time;
  gboolean wait_keyframe;
  gboolean skip_leading;        /* resumed at a keyframe: drop its leading pictures */
  LagStats stats;
};

LagQueue *
lag_queue_new (GDestroyNotify free_item)
{
  LagQueue *q = g_new0 (LagQueue, 1);

  g_queue_init (&q->items);
  q->free_item = free_item;
  q->newest_time = GOP_TIME_NONE;
  return q;
}

static void
lag_item_free (LagQueue * q, LagItem * it)
{
  if (q->free_item && it->item)
    q->free_item (it->item);
  g_free (it);
}

void
lag_queue_clear (LagQueue * q, gboolean wait_keyframe)
{
  LagItem *it;

  while ((it = g_queue_pop_head (&q->items)))
    lag_item_free (q, it);
  q->bytes = 0;
  q->newest_time = GOP_TIME_NONE;
  q->wait_keyframe = wait_keyframe;
  q->skip_leading = FALSE;
}

void
lag_queue_free (LagQueue * q)
{
  if (!q)
    return;
  lag_queue_clear (q, FALSE);
  g_free (q);
}

void
lag_queue_set_limits (LagQueue * q, guint64 max_lag, guint64 max_bytes)
{
  q->max_lag = max_lag;
  q->max_bytes = max_bytes;
}

static guint64
head_time (const LagQueue * q)
{
  GList *l;

  for (l = q->items.head; l; l = l->next) {
    LagItem *it = l->data;
    if (!(it->flags & GOP_FLAG_EVENT) && TIME_VALID (it->time))
      return it->time;
  }
  return GOP_TIME_NONE;
}

guint64
lag_queue_lag (const LagQueue * q)
{
  guint64 h = head_time (q);

  if (!TIME_VALID (h) || !TIME_VALID (q->newest_time) || q->newest_time < h)
    return 0;
  return q->newest_time - h;
}

static void
count_drop (LagQueue * q, LagItem * it, gboolean * first, guint * n)
{
  if (*first && !(it->flags & GOP_FLAG_KEYFRAME))
    q->stats.dropped_gops++;    /* a partial GOP */
  *first = FALSE;
  if (it->flags & GOP_FLAG_KEYFRAME)
    q->stats.dropped_gops++;
  q->stats.dropped_buffers++;
  q->stats.dropped_bytes += it->size;
  q->bytes -= it->size;
  (*n)++;
}

/* Drop the buffers before @keep (NULL: all buffers), keeping events; after
 * @keep drop the leading pictures of its GOP */
static guint
drop_before (LagQueue * q, GList * keep)
{
  GList *l = q->items.head;
  gboolean first = TRUE;
  guint n = 0;

  while (l && l != keep) {
    GList *next = l->next;
    LagItem *it = l->data;

    if (!(it->flags & GOP_FLAG_EVENT)) {
      count_drop (q, it, &first, &n);
      g_queue_delete_link (&q->items, l);
      lag_item_free (q, it);
    }
    l = next;
  }
  if (keep) {
    l = keep->next;
    while (l) {
      GList *next = l->next;
      LagItem *it = l->data;

      if (!(it->flags & GOP_FLAG_EVENT) && (it->flags & GOP_FLAG_SKIP_ON_JOIN)) {
        q->stats.dropped_buffers++;
        q->stats.dropped_bytes += it->size;
        q->bytes -= it->size;
        n++;
        g_queue_delete_link (&q->items, l);
        lag_item_free (q, it);
      }
      l = next;
    }
  }
  return n;
}

guint
lag_queue_push (LagQueue * q, gpointer item, guint flags, guint64 time,
    guint64 size)
{
  LagItem *it;
  guint dropped = 0;
  guint64 lag;

  if (!(flags & GOP_FLAG_EVENT)) {
    if (q->wait_keyframe) {
      if (!(flags & GOP_FLAG_KEYFRAME)) {
        q->stats.dropped_buffers++;
        q->stats.dropped_bytes += size;
        if (q->free_item && item)
          q->free_item (item);
        return 1;
      }
      q->wait_keyframe = FALSE;
      q->skip_leading = TRUE;
    } else if (flags & GOP_FLAG_KEYFRAME) {
      q->skip_leading = FALSE;
    } else if (q->skip_leading && (flags & GOP_FLAG_SKIP_ON_JOIN)) {
      q->stats.dropped_buffers++;
      q->stats.dropped_bytes += size;
      if (q->free_item && item)
        q->free_item (item);
      return 1;
    }
  }

  it = g_new (LagItem, 1);
  it->item = item;
  it->flags = flags;
  it->time = time;
  it->size = (flags & GOP_FLAG_EVENT) ? 0 : size;
  g_queue_push_tail (&q->items, it);
  if (flags & GOP_FLAG_EVENT)
    return 0;

  q->bytes += it->size;
  if (TIME_VALID (time) && (!TIME_VALID (q->newest_time)
          || time > q->newest_time))
    q->newest_time = time;

  lag = lag_queue_lag (q);
  if (lag > q->stats.max_seen_lag)
    q->stats.max_seen_lag = lag;

  if ((q->max_lag && lag > q->max_lag) || (q->max_bytes
          && q->bytes > q->max_bytes)) {
    GList *l, *kf = NULL, *head_buf = NULL;

    q->stats.lag_events++;
    for (l = q->items.head; l; l = l->next) {
      LagItem *x = l->data;
      if (!(x->flags & GOP_FLAG_EVENT)) {
        head_buf = l;
        break;
      }
    }
    for (l = q->items.tail; l; l = l->prev) {
      LagItem *x = l->data;
      if (!(x->flags & GOP_FLAG_EVENT) && (x->flags & GOP_FLAG_KEYFRAME)) {
        kf = l;
        break;
      }
    }
    if (kf && kf != head_buf) {
      dropped += drop_before (q, kf);
      q->skip_leading = TRUE;
    } else {
      dropped += drop_before (q, NULL);
      q->wait_keyframe = TRUE;
      q->skip_leading = FALSE;
    }
    if (q->bytes == 0 && head_time (q) == GOP_TIME_NONE)
      q->newest_time = GOP_TIME_NONE;
  }
  return dropped;
}

gboolean
lag_queue_pop (LagQueue * q, LagItem * out)
{
  LagItem *it = g_queue_pop_head (&q->items);

  if (!it)
    return FALSE;
  *out = *it;
  q->bytes -= it->size;
  g_free (it);
  if (q->bytes == 0 && head_time (q) == GOP_TIME_NONE)
    q->newest_time = GOP_TIME_NONE;
  return TRUE;
}

gboolean
lag_queue_is_empty (const LagQueue * q)
{
  return q->items.length == 0;
}

guint
lag_queue_length (const LagQueue * q)
{
  return q->items.length;
}

guint64
lag_queue_bytes (const LagQueue * q)
{
  return q->bytes;
}

const LagStats *
lag_queue_get_stats (const LagQueue * q)
{
  return &q->stats;
}
