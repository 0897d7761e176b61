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

#include "uploadqueue.h"

struct _UploadQueue
{
  UploadQueueConfig cfg;
  GQueue jobs;                  /* UploadJob, oldest first */
  guint in_flight;              /* incl. streaming */
  guint streaming;              /* chunked PUTs in flight */
  guint64 next_id;
  UploadQueueStats stats;
};

UploadKind
upload_kind_for_name (const gchar * name)
{
  if (g_str_has_suffix (name, ".mpd") || g_str_has_suffix (name, ".m3u8"))
    return UPLOAD_KIND_MANIFEST;
  if (g_str_has_suffix (name, ".mp4"))
    return UPLOAD_KIND_INIT;
  return UPLOAD_KIND_SEGMENT;
}

gint64
upload_backoff_delay (const UploadQueueConfig * config, guint attempts)
{
  gint64 d = config->base_delay;
  guint i;

  if (attempts == 0)
    return 0;
  for (i = 1; i < attempts && d < config->max_delay; i++)
    d *= 2;
  return MIN (d, config->max_delay);
}

static void
job_free (UploadJob * j)
{
  g_free (j->name);
  g_free (j);
}

UploadQueue *
upload_queue_new (const UploadQueueConfig * config)
{
  UploadQueue *q = g_new0 (UploadQueue, 1);

  q->cfg = *config;
  q->cfg.capacity = MAX (q->cfg.capacity, 1);
  q->cfg.max_in_flight = MAX (q->cfg.max_in_flight, 1);
  q->cfg.max_attempts = MAX (q->cfg.max_attempts, 1);
  q->cfg.base_delay = MAX (q->cfg.base_delay, 1);
  q->cfg.max_delay = MAX (q->cfg.max_delay, q->cfg.base_delay);
  g_queue_init (&q->jobs);
  q->next_id = 1;
  return q;
}

void
upload_queue_free (UploadQueue * q)
{
  if (q == NULL)
    return;
  g_queue_clear_full (&q->jobs, (GDestroyNotify) job_free);
  g_free (q);
}

/* the oldest job not in flight matching @method/@kind; a chunked PUT
 * waiting for its segment is no candidate: at most one per
 * representation exists, and it becomes an ordinary PUT at publication */
static GList *
find_droppable (UploadQueue * q, UploadMethod method, UploadKind kind)
{
  GList *l;

  for (l = q->jobs.head; l; l = l->next) {
    UploadJob *j = l->data;
    if (!j->in_flight && !j->chunked && !j->wait_published &&
        j->method == method && j->kind == kind)
      return l;
  }
  return NULL;
}

/* the live (chunked, or failed and waiting for its file) job of @name */
static GList *
find_live (UploadQueue * q, const gchar * name)
{
  GList *l;

  for (l = q->jobs.head; l; l = l->next) {
    UploadJob *j = l->data;
    if ((j->chunked || j->wait_published) && !j->abandoned &&
        strcmp (j->name, name) == 0)
      return l;
  }
  return NULL;
}

static gboolean
drop_one (UploadQueue * q)
{
  GList *l = find_droppable (q, UPLOAD_PUT, UPLOAD_KIND_SEGMENT);
  UploadJob *j;

  if (l == NULL) {
    GList *m;
    for (m = q->jobs.head; m && l == NULL; m = m->next) {
      j = m->data;
      if (!j->in_flight && j->method == UPLOAD_DELETE)
        l = m;
    }
  }
  if (l == NULL)
    l = find_droppable (q, UPLOAD_PUT, UPLOAD_KIND_MANIFEST);
  if (l == NULL)
    return FALSE;
  j = l->data;
  q->stats.dropped++;
  if (j->method == UPLOAD_PUT && j->kind == UPLOAD_KIND_SEGMENT)
    q->stats.dropped_segments++;
  g_queue_delete_link (&q->jobs, l);
  job_free (j);
  return TRUE;
}

guint
upload_queue_push (UploadQueue * q, UploadMethod method, const gchar * name,
    gint64 now)
{
  UploadKind kind = upload_kind_for_name (name);
  UploadJob *j;
  GList *l;
  guint dropped = 0;

  if (method == UPLOAD_PUT && kind == UPLOAD_KIND_SEGMENT &&
      (l = find_live (q, name)) != NULL) {
    j = l->data;
    if (j->chunked && j->in_flight) {
      /* its stream ends with the bytes written last */
      j->published = TRUE;
    } else {
      if (j->chunked) {
        /* did not start while the segment was being written */
        q->stats.chunked_fallbacks++;
        if (j->wait_data)
          q->stats.queued++;
        j->chunked = FALSE;
        j->wait_data = FALSE;
        j->not_before = now;
      }
      /* a failed chunked PUT: retried whole, after its backoff */
      j->wait_published = FALSE;
      j->published = TRUE;
    }
    return 0;
  }

  /* a newer manifest replaces a queued one; a DELETE cancels a PUT that
   * was never sent (and then needs no request itself) */
  for (l = q->jobs.head; l; l = l->next) {
    UploadJob *o = l->data;

    if (o->in_flight || o->method != UPLOAD_PUT || strcmp (o->name, name))
      continue;
    if (method == UPLOAD_DELETE) {
      /* a PUT that failed before may have left something: still DELETE */
      gboolean sent = o->attempts > 0;
      q->stats.cancelled++;
      g_queue_delete_link (&q->jobs, l);
      job_free (o);
      if (!sent)
        return 0;
      break;
    }
    if (method == UPLOAD_PUT && kind == UPLOAD_KIND_MANIFEST) {
      /* keep the position (and its barrier) of the older one, start its
       * retries afresh: the content is new */
      q->stats.coalesced++;
      o->attempts = 0;
      o->not_before = now;
      return 0;
    }
  }

  while (g_queue_get_length (&q->jobs) >= q->cfg.capacity) {
    if (!drop_one (q))
      break;
    dropped++;
  }
  if (g_queue_get_length (&q->jobs) >= q->cfg.capacity &&
      kind != UPLOAD_KIND_INIT) {
    /* everything queued is in flight or an init segment: the new job is
     * the one that goes */
    q->stats.dropped++;
    if (method == UPLOAD_PUT && kind == UPLOAD_KIND_SEGMENT)
      q->stats.dropped_segments++;
    return dropped + 1;
  }

  j = g_new0 (UploadJob, 1);
  j->method = method;
  j->kind = kind;
  j->name = g_strdup (name);
  j->not_before = now;
  j->id = q->next_id++;
  g_queue_push_tail (&q->jobs, j);
  q->stats.queued++;
  return dropped;
}

/* A media segment's PUT sent with chunked transfer while it is written */
static UploadJob *
chunked_job_new (UploadQueue * q, const gchar * name, gint64 now)
{
  UploadJob *j = g_new0 (UploadJob, 1);

  j->method = UPLOAD_PUT;
  j->kind = UPLOAD_KIND_SEGMENT;
  j->name = g_strdup (name);
  j->not_before = now;
  j->id = q->next_id++;
  j->chunked = TRUE;
  return j;
}

gboolean
upload_queue_push_chunked (UploadQueue * q, const gchar * name, gint64 now)
{
  UploadJob *j;
  GList *l;

  /* the expected segment starts */
  l = find_live (q, name);
  if (l && ((UploadJob *) l->data)->wait_data) {
    j = l->data;
    j->wait_data = FALSE;
    j->not_before = now;
    q->stats.queued++;
    return TRUE;
  }
  /* a job left from an earlier segment of the same name (restarted
   * stream) is superseded */
  while ((l = find_live (q, name)) != NULL) {
    j = l->data;
    if (j->in_flight) {
      j->abandoned = TRUE;
      continue;
    }
    q->stats.cancelled++;
    g_queue_delete_link (&q->jobs, l);
    job_free (j);
  }
  if (q->cfg.max_streaming == 0 ||
      g_queue_get_length (&q->jobs) >= q->cfg.capacity) {
    q->stats.chunked_fallbacks++;
    return FALSE;
  }
  j = chunked_job_new (q, name, now);
  g_queue_push_tail (&q->jobs, j);
  q->stats.queued++;
  return TRUE;
}

/* the job @id on the wire */
static GList *
find_in_flight (UploadQueue * q, guint64 id)
{
  GList *l;

  for (l = q->jobs.head; l; l = l->next) {
    UploadJob *j = l->data;
    if (j->id == id && j->in_flight)
      return l;
  }
  return NULL;
}

void
upload_queue_chunked_on_wire (UploadQueue * q, guint64 id)
{
  GList *l = find_in_flight (q, id);

  if (l && ((UploadJob *) l->data)->chunked)
    ((UploadJob *) l->data)->on_wire = TRUE;
}

void
upload_queue_expect (UploadQueue * q, const gchar * name, gint64 now,
    gint64 expires)
{
  UploadJob *j;

  if (q->cfg.max_streaming == 0 || find_live (q, name) != NULL ||
      g_queue_get_length (&q->jobs) >= q->cfg.capacity)
    return;
  j = chunked_job_new (q, name, now);
  j->wait_data = TRUE;
  j->expires = expires;
  g_queue_push_tail (&q->jobs, j);
}

gboolean
upload_queue_abandon (UploadQueue * q, const gchar * name)
{
  GList *l = find_live (q, name);
  UploadJob *j;

  if (l == NULL)
    return FALSE;
  j = l->data;
  if (j->in_flight) {
    j->abandoned = TRUE;
    return TRUE;
  }
  if (!j->wait_data)
    q->stats.cancelled++;
  g_queue_delete_link (&q->jobs, l);
  job_free (j);
  return FALSE;
}

static gboolean
name_in_flight (UploadQueue * q, GList * before, const gchar * name)
{
  GList *l;

  for (l = q->jobs.head; l && l != before; l = l->next) {
    UploadJob *o = l->data;
    if (o->in_flight && strcmp (o->name, name) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
name_queued (UploadQueue * q, GList * before, const gchar * name)
{
  GList *l;

  for (l = q->jobs.head; l && l != before; l = l->next) {
    UploadJob *o = l->data;
    if (!o->wait_data && strcmp (o->name, name) == 0)
      return TRUE;
  }
  return FALSE;
}

UploadJob *
upload_queue_next (UploadQueue * q, gint64 now, gint64 * wake_at)
{
  gint64 wake = G_MAXINT64;
  gboolean earlier = FALSE;     /* a job before this one is not done */
  GList *l, *next;

  for (l = q->jobs.head; l; l = next) {
    UploadJob *j = l->data;
    gboolean barrier = j->kind == UPLOAD_KIND_MANIFEST &&
        j->method == UPLOAD_PUT;

    next = l->next;
    if (j->wait_data) {
      if (j->expires <= now) {
        /* the expected segment did not come (EOS, new period) */
        g_queue_delete_link (&q->jobs, l);
        job_free (j);
      } else {
        wake = MIN (wake, j->expires);
        earlier = TRUE;
      }
      continue;
    }

    if (j->in_flight) {
      /* a chunked PUT under way does not hold back the manifest that
       * announces its segment in progress */
      if (!j->chunked || j->published || !j->on_wire)
        earlier = TRUE;
      continue;
    }
    if ((barrier && earlier) || j->wait_published) {
      earlier = TRUE;
      continue;
    }
    if (j->chunked ? q->streaming >= q->cfg.max_streaming :
        q->in_flight - q->streaming >= q->cfg.max_in_flight) {
      earlier = TRUE;
      continue;
    }
    if (j->method == UPLOAD_DELETE && name_in_flight (q, l, j->name)) {
      /* the PUT of this file is still on the wire */
      earlier = TRUE;
      continue;
    }
    if (j->method == UPLOAD_PUT && name_queued (q, l, j->name)) {
      /* an older request of this file first (the DELETE after an
       * abandoned chunked PUT, the previous version of a manifest) */
      earlier = TRUE;
      continue;
    }
    if (j->not_before > now) {
      wake = MIN (wake, j->not_before);
      earlier = TRUE;
      continue;
    }
    j->in_flight = TRUE;
    j->attempts++;
    if (j->attempts > 1)
      q->stats.retries++;
    q->in_flight++;
    if (j->chunked)
      q->streaming++;
    return j;
  }
  if (wake_at)
    *wake_at = wake;
  return NULL;
}

gboolean
upload_queue_complete (UploadQueue * q, guint64 id, gboolean ok,
    gboolean permanent, gint64 now)
{
  GList *l = find_in_flight (q, id);
  UploadJob *j;

  if (l == NULL)
    return FALSE;
  j = l->data;
  j->in_flight = FALSE;
  q->in_flight--;
  if (j->chunked) {
    q->streaming--;
    if (j->abandoned) {
      q->stats.cancelled++;
    } else if (ok && j->published) {
      q->stats.chunked++;
      q->stats.succeeded++;
    } else {
      /* the whole file goes once it is published, with the retries of
       * an ordinary PUT (the streamed attempt is not one of them) */
      q->stats.chunked_fallbacks++;
      j->chunked = FALSE;
      j->attempts = 0;
      j->wait_published = !j->published;
      j->not_before = j->published ? now + q->cfg.base_delay : now;
      return TRUE;
    }
    g_queue_delete_link (&q->jobs, l);
    job_free (j);
    return FALSE;
  }
  if (!ok && !permanent && j->attempts < q->cfg.max_attempts) {
    j->not_before = now + upload_backoff_delay (&q->cfg, j->attempts);
    return TRUE;
  }
  if (ok)
    q->stats.succeeded++;
  else
    q->stats.failed++;
  g_queue_delete_link (&q->jobs, l);
  job_free (j);
  return FALSE;
}

guint
upload_queue_length (UploadQueue * q)
{
  return g_queue_get_length (&q->jobs);
}

guint
upload_queue_in_flight (UploadQueue * q)
{
  return q->in_flight;
}

guint
upload_queue_streaming (UploadQueue * q)
{
  return q->streaming;
}

void
upload_queue_get_stats (UploadQueue * q, UploadQueueStats * stats)
{
  *stats = q->stats;
}
