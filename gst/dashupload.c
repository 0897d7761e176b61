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

#include <errno.h>
#include <string.h>
#include <libsoup/soup.h>

#include "dashupload.h"
#include "uploadqueue.h"

struct _DashUpload
{
  DashUploadConfig cfg;
  gchar *dir;
  gchar *base;                  /* location without trailing '/' */

  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  GCancellable *cancel;
  SoupSession *session;         /* thread only */
  GSource *timer;               /* thread only */

  /* state, mutex */
  GMutex mutex;
  GCond cond;
  UploadQueue *queue;
  gboolean pump_scheduled;
  guint64 uploads, upload_bytes, deletes, failed_attempts, vanished;
  guint64 dropped_reported;
  gint64 last_warn;
};

typedef struct
{
  DashUpload *up;
  guint64 id;
  UploadMethod method;
  gsize size;
  gchar *name;
} Request;

static void pump (DashUpload * up);

gboolean
dash_upload_check_location (const gchar * location, GError ** error)
{
  GUri *uri = g_uri_parse (location, G_URI_FLAGS_NONE, error);
  gboolean ok;

  if (uri == NULL)
    return FALSE;
  ok = (g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 ||
      g_strcmp0 (g_uri_get_scheme (uri), "https") == 0) &&
      g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) &&
      g_uri_get_query (uri) == NULL;
  g_uri_unref (uri);
  if (!ok)
    g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME,
        "'%s' is not an http:// or https:// URL without query", location);
  return ok;
}

static const gchar *
content_type (const gchar * name)
{
  if (g_str_has_suffix (name, ".mpd"))
    return "application/dash+xml";
  if (g_str_has_suffix (name, ".m3u8"))
    return "application/vnd.apple.mpegurl";
  if (g_str_has_suffix (name, ".mp4"))
    return "video/mp4";
  return "video/iso.segment";
}

static gboolean
pump_cb (gpointer data)
{
  DashUpload *up = data;

  g_mutex_lock (&up->mutex);
  up->pump_scheduled = FALSE;
  g_mutex_unlock (&up->mutex);
  pump (up);
  return G_SOURCE_REMOVE;
}

/* any thread, mutex held */
static void
schedule_pump_locked (DashUpload * up)
{
  GSource *src;

  if (up->pump_scheduled)
    return;
  up->pump_scheduled = TRUE;
  src = g_idle_source_new ();
  g_source_set_callback (src, pump_cb, up, NULL);
  g_source_attach (src, up->ctx);
  g_source_unref (src);
}

static void
request_done (GObject * source, GAsyncResult * res, gpointer data)
{
  Request *r = data;
  DashUpload *up = r->up;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION
      (source), res);
  GError *err = NULL;
  GBytes *body;
  guint status = 0;
  gboolean ok, permanent = FALSE;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &err);
  if (body)
    g_bytes_unref (body);
  if (err == NULL && msg)
    status = soup_message_get_status (msg);
  ok = SOUP_STATUS_IS_SUCCESSFUL (status) ||
      (r->method == UPLOAD_DELETE && status == SOUP_STATUS_NOT_FOUND);
  if (!ok && SOUP_STATUS_IS_CLIENT_ERROR (status) &&
      status != SOUP_STATUS_REQUEST_TIMEOUT && status != 429)
    permanent = TRUE;
  if (!ok)
    g_debug ("dashupload: %s %s failed: %s (%u)",
        r->method == UPLOAD_PUT ? "PUT" : "DELETE", r->name,
        err ? err->message : "HTTP status", status);
  g_clear_error (&err);

  g_mutex_lock (&up->mutex);
  if (ok && r->method == UPLOAD_PUT) {
    up->uploads++;
    up->upload_bytes += r->size;
  } else if (ok) {
    up->deletes++;
  } else {
    up->failed_attempts++;
  }
  upload_queue_complete (up->queue, r->id, ok, permanent,
      g_get_monotonic_time ());
  g_cond_broadcast (&up->cond);
  g_mutex_unlock (&up->mutex);

  g_free (r->name);
  g_free (r);
  pump (up);
}

static gboolean
timer_cb (gpointer data)
{
  DashUpload *up = data;

  g_source_unref (up->timer);
  up->timer = NULL;
  pump (up);
  return G_SOURCE_REMOVE;
}

/* uploader thread: sends every job that may go now */
static void
pump (DashUpload * up)
{
  UploadQueueStats qs;
  guint64 warn_total = 0, warn_new = 0;
  gint64 wake = G_MAXINT64;

  for (;;) {
    UploadJob *job;
    Request *r;
    SoupMessage *msg;
    gchar *escaped, *url, *path;
    GBytes *bytes = NULL;
    gint64 now = g_get_monotonic_time ();

    g_mutex_lock (&up->mutex);
    if (g_cancellable_is_cancelled (up->cancel)) {
      g_mutex_unlock (&up->mutex);
      return;
    }
    job = upload_queue_next (up->queue, now, &wake);
    if (job == NULL) {
      upload_queue_get_stats (up->queue, &qs);
      if (qs.dropped > up->dropped_reported && (up->last_warn == 0 ||
              now - up->last_warn >= DASH_UPLOAD_WARN_INTERVAL)) {
        warn_total = qs.dropped;
        warn_new = qs.dropped - up->dropped_reported;
        up->dropped_reported = qs.dropped;
        up->last_warn = now;
      } else if (qs.dropped > up->dropped_reported) {
        wake = MIN (wake, up->last_warn + DASH_UPLOAD_WARN_INTERVAL);
      }
      g_mutex_unlock (&up->mutex);
      break;
    }
    r = g_new0 (Request, 1);
    r->up = up;
    r->id = job->id;
    r->method = job->method;
    r->name = g_strdup (job->name);
    g_mutex_unlock (&up->mutex);

    if (r->method == UPLOAD_PUT) {
      gchar *data = NULL;
      gsize len = 0;
      GError *err = NULL;

      path = g_build_filename (up->dir, r->name, NULL);
      if (!g_file_get_contents (path, &data, &len, &err)) {
        /* gone from the DVR window (or the directory) before its turn */
        g_debug ("dashupload: cannot read %s: %s", path, err->message);
        g_clear_error (&err);
        g_free (path);
        g_mutex_lock (&up->mutex);
        up->vanished++;
        upload_queue_complete (up->queue, r->id, FALSE, TRUE, now);
        g_cond_broadcast (&up->cond);
        g_mutex_unlock (&up->mutex);
        g_free (r->name);
        g_free (r);
        continue;
      }
      g_free (path);
      bytes = g_bytes_new_take (data, len);
      r->size = len;
    }

    escaped = g_uri_escape_string (r->name, "/", FALSE);
    url = g_strconcat (up->base, "/", escaped, NULL);
    msg = soup_message_new (r->method == UPLOAD_PUT ? "PUT" : "DELETE", url);
    g_free (escaped);
    g_free (url);
    if (bytes) {
      soup_message_set_request_body_from_bytes (msg, content_type (r->name),
          bytes);
      g_bytes_unref (bytes);
    }
    soup_session_send_and_read_async (up->session, msg, G_PRIORITY_DEFAULT,
        up->cancel, request_done, r);
    g_object_unref (msg);
  }

  if (warn_new > 0 && up->cfg.dropped)
    up->cfg.dropped (warn_total, warn_new, up->cfg.dropped_data);

  if (up->timer) {
    g_source_destroy (up->timer);
    g_source_unref (up->timer);
    up->timer = NULL;
  }
  if (wake != G_MAXINT64) {
    gint64 delay = wake - g_get_monotonic_time ();
    up->timer = g_timeout_source_new (MAX (delay, 0) / 1000 + 1);
    g_source_set_callback (up->timer, timer_cb, up, NULL);
    g_source_attach (up->timer, up->ctx);
  }
}

static gpointer
upload_thread (gpointer data)
{
  DashUpload *up = data;
  guint in_flight;

  g_main_context_push_thread_default (up->ctx);
  up->session = soup_session_new_with_options ("timeout", up->cfg.timeout,
      "max-conns-per-host", up->cfg.max_in_flight,
      "user-agent", "gst-livestream-dashlivesink ", NULL);
  pump (up);
  g_main_loop_run (up->loop);

  /* cancelled: let the requests on the wire complete (they fail fast) */
  g_cancellable_cancel (up->cancel);
  if (up->timer) {
    g_source_destroy (up->timer);
    g_source_unref (up->timer);
    up->timer = NULL;
  }
  for (;;) {
    g_mutex_lock (&up->mutex);
    in_flight = upload_queue_in_flight (up->queue);
    g_mutex_unlock (&up->mutex);
    if (in_flight == 0)
      break;
    g_main_context_iteration (up->ctx, TRUE);
  }
  soup_session_abort (up->session);
  g_clear_object (&up->session);
  while (g_main_context_iteration (up->ctx, FALSE));
  g_main_context_pop_thread_default (up->ctx);
  return NULL;
}

DashUpload *
dash_upload_start (const DashUploadConfig * config, GError ** error)
{
  DashUpload *up;
  UploadQueueConfig qc = { 0, };

  if (!dash_upload_check_location (config->location, error))
    return NULL;

  up = g_new0 (DashUpload, 1);
  up->cfg = *config;
  up->cfg.dir = up->dir = g_strdup (config->dir);
  up->base = g_strdup (config->location);
  while (g_str_has_suffix (up->base, "/"))
    up->base[strlen (up->base) - 1] = '\0';
  up->cfg.location = up->base;
  if (up->cfg.timeout == 0)
    up->cfg.timeout = 10;
  up->cfg.max_in_flight = MAX (up->cfg.max_in_flight, 1);

  qc.capacity = config->queue_size;
  qc.max_in_flight = up->cfg.max_in_flight;
  qc.max_attempts = config->max_attempts;
  qc.base_delay = config->base_delay;
  qc.max_delay = config->max_delay;
  up->queue = upload_queue_new (&qc);
  g_mutex_init (&up->mutex);
  g_cond_init (&up->cond);
  up->ctx = g_main_context_new ();
  up->loop = g_main_loop_new (up->ctx, FALSE);
  up->cancel = g_cancellable_new ();
  up->thread = g_thread_new ("dashupload", upload_thread, up);
  return up;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

guint
dash_upload_drain (DashUpload * up, gint64 timeout)
{
  gint64 deadline = g_get_monotonic_time () + MAX (timeout, 0);
  guint left;

  g_mutex_lock (&up->mutex);
  while (upload_queue_length (up->queue) > 0 &&
      g_cond_wait_until (&up->cond, &up->mutex, deadline));
  left = upload_queue_length (up->queue);
  g_mutex_unlock (&up->mutex);
  return left;
}

void
dash_upload_stop (DashUpload * up)
{
  GSource *src;

  if (up == NULL)
    return;

  src = g_idle_source_new ();
  g_source_set_callback (src, quit_cb, up->loop, NULL);
  g_source_attach (src, up->ctx);
  g_source_unref (src);
  g_thread_join (up->thread);

  upload_queue_free (up->queue);
  g_main_loop_unref (up->loop);
  g_main_context_unref (up->ctx);
  g_object_unref (up->cancel);
  g_mutex_clear (&up->mutex);
  g_cond_clear (&up->cond);
  g_free (up->dir);
  g_free (up->base);
  g_free (up);
}

static void
push (DashUpload * up, UploadMethod method, const gchar * name)
{
  g_mutex_lock (&up->mutex);
  upload_queue_push (up->queue, method, name, g_get_monotonic_time ());
  schedule_pump_locked (up);
  g_mutex_unlock (&up->mutex);
}

void
dash_upload_file_published (DashUpload * up, const gchar * name)
{
  push (up, UPLOAD_PUT, name);
}

void
dash_upload_file_removed (DashUpload * up, const gchar * name)
{
  push (up, UPLOAD_DELETE, name);
}

void
dash_upload_get_stats (DashUpload * up, DashUploadStats * stats)
{
  UploadQueueStats qs;

  g_mutex_lock (&up->mutex);
  upload_queue_get_stats (up->queue, &qs);
  stats->uploads = up->uploads;
  stats->upload_bytes = up->upload_bytes;
  stats->deletes = up->deletes;
  stats->failures = qs.failed - up->vanished;
  stats->retries = qs.retries;
  stats->failed_attempts = up->failed_attempts;
  stats->dropped = qs.dropped + up->vanished;
  stats->pending = upload_queue_length (up->queue);
  g_mutex_unlock (&up->mutex);
}
