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
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "souploader.h"

#include "dashupload.h"
#include "uploadqueue.h"

/* ---------------------------------------------------------------- */
/* The body of a chunked PUT: reads a segment's file up to what the sink
 * has completed, waits (asynchronously) for more, ends when the segment
 * is published.  Used on the uploader thread only. */

#define CHUNK_TYPE_STREAM (chunk_stream_get_type ())
/* at stop, how long requests cancelled on the wire get to complete */
#define STOP_TIMEOUT (2 * G_TIME_SPAN_SECOND)
G_DECLARE_FINAL_TYPE (ChunkStream, chunk_stream, CHUNK, STREAM, GInputStream);

struct _ChunkStream
{
  GInputStream parent;

  gint fd;                      /* owned */
  guint64 offset;               /* bytes returned so far */
  guint64 complete;             /* bytes readable */
  gboolean eof;                 /* @complete is the final size */
  GError *error;                /* returned instead of data */
  GMainContext *ctx;

  /* the read waiting for data */
  GTask *task;
  void *buffer;
  gsize count;
  GCancellable *cancellable;
  gulong cancel_id;
};

G_DEFINE_TYPE (ChunkStream, chunk_stream, G_TYPE_INPUT_STREAM);

/* what can be returned now: bytes, 0 (end), -1 with an error, or -1 with
 * G_IO_ERROR_WOULD_BLOCK */
static gssize
chunk_stream_take (ChunkStream * cs, void *buffer, gsize count, GError ** error)
{
  gssize got;
  gsize n;

  if (cs->error) {
    g_propagate_error (error, g_error_copy (cs->error));
    return -1;
  }
  if (cs->offset >= cs->complete) {
    if (cs->eof)
      return 0;
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
        "waiting for the next chunk");
    return -1;
  }
  n = MIN (count, cs->complete - cs->offset);
  do {
    got = pread (cs->fd, buffer, n, cs->offset);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    gint err = got < 0 ? errno : EIO;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "reading the segment: %s", got < 0 ? g_strerror (err) :
        "file shorter than written");
    return -1;
  }
  cs->offset += got;
  return got;
}

static gssize
chunk_stream_read (GInputStream * stream, void *buffer, gsize count,
    GCancellable * cancellable, GError ** error)
{
  return chunk_stream_take (CHUNK_STREAM (stream), buffer, count, error);
}

/* completes the waiting read if it can be now */
static void
chunk_stream_try (ChunkStream * cs, gboolean cancelled)
{
  GError *err = NULL;
  GTask *task = cs->task;
  gssize n;

  if (task == NULL)
    return;
  if (cancelled) {
    n = -1;
    g_cancellable_set_error_if_cancelled (cs->cancellable, &err);
  } else {
    n = chunk_stream_take (cs, cs->buffer, cs->count, &err);
    if (n < 0 && g_error_matches (err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_error_free (err);
      return;
    }
  }
  cs->task = NULL;
  if (cs->cancellable) {
    g_cancellable_disconnect (cs->cancellable, cs->cancel_id);
    g_clear_object (&cs->cancellable);
    cs->cancel_id = 0;
  }
  if (n < 0)
    g_task_return_error (task, err);
  else
    g_task_return_int (task, n);
  g_object_unref (task);
}

static gboolean
chunk_stream_cancelled_idle (gpointer data)
{
  ChunkStream *cs = data;

  if (cs->task && cs->cancellable &&
      g_cancellable_is_cancelled (cs->cancellable))
    chunk_stream_try (cs, TRUE);
  return G_SOURCE_REMOVE;
}

/* any thread: the read completes on the uploader thread */
static void
chunk_stream_on_cancelled (GCancellable * cancellable, gpointer data)
{
  ChunkStream *cs = data;
  GSource *src = g_idle_source_new ();

  g_source_set_callback (src, chunk_stream_cancelled_idle,
      g_object_ref (cs), g_object_unref);
  g_source_attach (src, cs->ctx);
  g_source_unref (src);
}

static void
chunk_stream_read_async (GInputStream * stream, void *buffer, gsize count,
    int io_priority, GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  ChunkStream *cs = CHUNK_STREAM (stream);
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, chunk_stream_read_async);
  g_task_set_priority (task, io_priority);
  if (g_task_return_error_if_cancelled (task)) {
    g_object_unref (task);
    return;
  }
  g_assert (cs->task == NULL);
  cs->task = task;
  cs->buffer = buffer;
  cs->count = count;
  if (cancellable) {
    cs->cancellable = g_object_ref (cancellable);
    cs->cancel_id = g_cancellable_connect (cancellable,
        G_CALLBACK (chunk_stream_on_cancelled), cs, NULL);
  }
  chunk_stream_try (cs, FALSE);
}

static gssize
chunk_stream_read_finish (GInputStream * stream, GAsyncResult * result,
    GError ** error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

/* nothing to release before finalize: closes at once (the default would
 * run on a pool thread) */
static void
chunk_stream_close_async (GInputStream * stream, int io_priority,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, chunk_stream_close_async);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
chunk_stream_close_finish (GInputStream * stream, GAsyncResult * result,
    GError ** error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
chunk_stream_finalize (GObject * object)
{
  ChunkStream *cs = CHUNK_STREAM (object);

  /* a waiting read holds a reference: none is left */
  if (cs->fd >= 0)
    close (cs->fd);
  g_clear_error (&cs->error);
  g_main_context_unref (cs->ctx);
  G_OBJECT_CLASS (chunk_stream_parent_class)->finalize (object);
}

static void
chunk_stream_class_init (ChunkStreamClass * klass)
{
  GInputStreamClass *istream_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = chunk_stream_finalize;
  istream_class->read_fn = chunk_stream_read;
  istream_class->read_async = chunk_stream_read_async;
  istream_class->read_finish = chunk_stream_read_finish;
  istream_class->close_async = chunk_stream_close_async;
  istream_class->close_finish = chunk_stream_close_finish;
}

static void
chunk_stream_init (ChunkStream * cs)
{
  cs->fd = -1;
}

/* takes @fd */
static ChunkStream *
chunk_stream_new (gint fd, guint64 complete, gboolean eof)
{
  ChunkStream *cs = g_object_new (CHUNK_TYPE_STREAM, NULL);

  cs->fd = fd;
  cs->complete = complete;
  cs->eof = eof;
  cs->ctx = g_main_context_ref_thread_default ();
  return cs;
}

static void
chunk_stream_update (ChunkStream * cs, guint64 complete, gboolean eof)
{
  cs->complete = MAX (cs->complete, complete);
  cs->eof = eof;
  chunk_stream_try (cs, FALSE);
}

/* takes @error */
static void
chunk_stream_fail (ChunkStream * cs, GError * error)
{
  if (cs->error == NULL)
    cs->error = error;
  else
    g_error_free (error);
  chunk_stream_try (cs, FALSE);
}

/* ---------------------------------------------------------------- */

/* A segment being written with chunk notifications (mutex).  The table
 * holds a reference until the segment is published or abandoned, its
 * chunked request another one. */
typedef struct
{
  gint ref;
  gchar *name;
  gchar *tmp_name;
  guint64 complete;             /* bytes written by the sink */
  gboolean published;
  gboolean abandoned;
  gboolean queued;              /* a chunked PUT was queued for it */
} LiveSeg;

static LiveSeg *
live_seg_ref (LiveSeg * l)
{
  g_atomic_int_inc (&l->ref);
  return l;
}

static void
live_seg_unref (LiveSeg * l)
{
  if (!g_atomic_int_dec_and_test (&l->ref))
    return;
  g_free (l->name);
  g_free (l->tmp_name);
  g_free (l);
}

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
  GHashTable *live;             /* name -> LiveSeg */
  GHashTable *documents;        /* name -> GBytes PUT instead of the file */
  gboolean chunked_refused;     /* the origin answered 411/501 */
  guint64 refused_fallbacks;    /* segments sent whole since */
  guint64 behind;               /* chunked PUTs that fell behind */

  GList *streams;               /* thread only: Requests of chunked PUTs */
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
  GBytes *bytes;                /* whole PUT: the body */
  /* chunked PUT */
  LiveSeg *live;
  ChunkStream *stream;
  GCancellable *cancel;
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
request_free (Request * r)
{
  if (r->stream)
    g_object_unref (r->stream);
  if (r->live)
    live_seg_unref (r->live);
  if (r->bytes)
    g_bytes_unref (r->bytes);
  g_clear_object (&r->cancel);
  g_free (r->name);
  g_free (r);
}

/* uploader thread: the outcome of a request (or of one that could not be
 * sent) */
static void
request_finished (DashUpload * up, Request * r, gboolean ok,
    gboolean permanent, guint status)
{
  g_mutex_lock (&up->mutex);
  if (r->stream && !ok &&
      (status == SOUP_STATUS_LENGTH_REQUIRED ||
          status == SOUP_STATUS_NOT_IMPLEMENTED ||
          status == SOUP_STATUS_HTTP_VERSION_NOT_SUPPORTED) &&
      !up->chunked_refused) {
    g_debug ("dashupload: the origin refuses chunked PUTs (%u): segments "
        "go whole from now on", status);
    up->chunked_refused = TRUE;
  }
  if (ok && r->method == UPLOAD_PUT) {
    up->uploads++;
    up->upload_bytes += r->stream ? r->stream->offset : r->size;
  } else if (ok) {
    up->deletes++;
  } else {
    up->failed_attempts++;
  }
  upload_queue_complete (up->queue, r->id, ok, permanent,
      g_get_monotonic_time ());
  g_cond_broadcast (&up->cond);
  g_mutex_unlock (&up->mutex);
}

static void
request_done (GObject * source, GAsyncResult * res, gpointer data)
{
  Request *r = data;
  DashUpload *up = r->up;
  SoupMessage *msg = _soup_session_get_async_result_message ((SoupSession *)
      (source), res);
  GError *err = NULL;
  GBytes *body;
  guint status = 0;
  gboolean ok, permanent = FALSE;

  body = _soup_session_send_and_read_finish ((SoupSession *) source, res, &err);
  if (body)
    g_bytes_unref (body);
  if (err == NULL && msg)
    status = _soup_message_get_status (msg);
  ok = SOUP_STATUS_IS_SUCCESSFUL (status) ||
      (r->method == UPLOAD_DELETE && status == SOUP_STATUS_NOT_FOUND);
  if (!ok && SOUP_STATUS_IS_CLIENT_ERROR (status) &&
      status != SOUP_STATUS_REQUEST_TIMEOUT && status != 429)
    permanent = TRUE;
  if (!ok)
    g_debug ("dashupload: %s %s%s failed: %s (%u)",
        r->method == UPLOAD_PUT ? "PUT" : "DELETE", r->name,
        r->stream ? " (chunked)" : "", err ? err->message : "HTTP status",
        status);
  g_clear_error (&err);

  if (r->stream) {
    up->streams = g_list_remove (up->streams, r);
    /* nothing waits on it any more */
    chunk_stream_fail (r->stream, g_error_new_literal (G_IO_ERROR,
            G_IO_ERROR_CLOSED, "request finished"));
  }
  request_finished (up, r, ok, permanent, status);
  request_free (r);
  pump (up);
}

/* the request is restarted (a persistent connection the origin had
 * closed, a redirect): libsoup dropped its body, it is set again */
static void
request_restarted (SoupMessage * msg, gpointer data)
{
  Request *r = data;
  const gchar *ctype = content_type (r->name);

  if (r->bytes) {
    _soup_message_set_request_body_from_bytes (msg, ctype, r->bytes);
  } else if (r->stream) {
    ChunkStream *old = r->stream;
    gint fd = dup (old->fd);

    if (fd < 0) {
      chunk_stream_fail (old, g_error_new (G_IO_ERROR,
              g_io_error_from_errno (errno), "dup: %s", g_strerror (errno)));
      g_cancellable_cancel (r->cancel);
      return;
    }
    r->stream = chunk_stream_new (fd, old->complete, old->eof);
    chunk_stream_fail (old, g_error_new_literal (G_IO_ERROR,
            G_IO_ERROR_CLOSED, "request restarted"));
    g_object_unref (old);
    _soup_message_set_request_body (msg, ctype, G_INPUT_STREAM (r->stream), -1);
    _soup_message_headers_set_encoding (_soup_message_get_request_headers
        (msg), SOUP_ENCODING_CHUNKED);
  }
}

/* a chunked PUT's headers are on the wire: manifests may announce its
 * segment now */
static void
request_wrote_headers (SoupMessage * msg, gpointer data)
{
  Request *r = data;
  DashUpload *up = r->up;

  g_mutex_lock (&up->mutex);
  upload_queue_chunked_on_wire (up->queue, r->id);
  /* not from within libsoup's I/O: a pump may start requests */
  schedule_pump_locked (up);
  g_mutex_unlock (&up->mutex);
}

/* uploader thread: hands what the sink wrote to the chunked PUTs; ends,
 * or aborts (abandoned, too far behind) */
static void
feed_streams (DashUpload * up)
{
  GList *l, *copy;

  /* completing a read may run libsoup (and a request's completion) at
   * once: work on a copy, skip what finished meanwhile, hold references */
  copy = g_list_copy (up->streams);
  for (l = copy; l; l = l->next) {
    Request *r = l->data;
    ChunkStream *cs;
    GCancellable *cancel;
    guint64 complete;
    gboolean published, abandoned, behind = FALSE;

    if (g_list_find (up->streams, r) == NULL)
      continue;
    g_mutex_lock (&up->mutex);
    complete = r->live->complete;
    published = r->live->published;
    abandoned = r->live->abandoned;
    if (!abandoned && !published && r->stream->error == NULL &&
        complete - MIN (r->stream->offset, complete) > up->cfg.max_lag) {
      behind = TRUE;
      up->behind++;
    }
    g_mutex_unlock (&up->mutex);

    cs = g_object_ref (r->stream);
    cancel = g_object_ref (r->cancel);
    if (abandoned) {
      /* end the body at what was written and let the origin answer: the
       * DELETE queued behind it then reaches the origin after it stored
       * the truncated file. (Cancelling raced: libsoup still ends a torn
       * down chunked body like a complete one, and the origin could
       * store it after the DELETE on another connection.) */
      g_debug ("dashupload: chunked PUT of %s abandoned: ended at %"
          G_GUINT64_FORMAT " bytes, deleted next", r->name, complete);
      chunk_stream_update (cs, complete, TRUE);
    } else if (behind) {
      g_debug ("dashupload: chunked PUT of %s fell behind: sent whole later",
          r->name);
      g_cancellable_cancel (cancel);
      chunk_stream_fail (cs, g_error_new_literal (G_IO_ERROR,
              G_IO_ERROR_CANCELLED, "fell behind"));
    } else {
      chunk_stream_update (cs, complete, published);
    }
    g_object_unref (cs);
    g_object_unref (cancel);
  }
  g_list_free (copy);
}

/* uploader thread: the body of a chunked PUT, or FALSE */
static gboolean
start_chunked (DashUpload * up, Request * r)
{
  gchar *path;
  gint fd;

  /* once published (renamed), the final name has the same bytes */
  path = g_build_filename (up->dir, r->live->tmp_name, NULL);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  g_free (path);
  if (fd < 0) {
    path = g_build_filename (up->dir, r->name, NULL);
    fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
    g_free (path);
  }
  if (fd < 0)
    return FALSE;
  g_mutex_lock (&up->mutex);
  r->stream = chunk_stream_new (fd, r->live->complete, r->live->published);
  g_mutex_unlock (&up->mutex);
  /* its own: aborting it leaves the others; cancelled at stop with
   * up->cancel */
  r->cancel = g_cancellable_new ();
  return TRUE;
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

  feed_streams (up);

  for (;;) {
    UploadJob *job;
    Request *r;
    SoupMessage *msg;
    gchar *escaped, *url, *path;
    gint64 now = g_get_monotonic_time ();
    gboolean chunked;

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
    chunked = job->chunked;
    if (chunked) {
      r->live = g_hash_table_lookup (up->live, job->name);
      if (r->live)
        live_seg_ref (r->live);
    }
    g_mutex_unlock (&up->mutex);

    if (chunked) {
      if (r->live == NULL || !start_chunked (up, r)) {
        /* abandoned meanwhile, or its file vanished: the queue decides */
        request_finished (up, r, FALSE, FALSE, 0);
        request_free (r);
        continue;
      }
    } else if (r->method == UPLOAD_PUT) {
      gchar *data = NULL;
      gsize len = 0;
      GError *err = NULL;

      /* a document given for this name (the low-latency manifest): its
       * newest version, as the newest file would be read */
      g_mutex_lock (&up->mutex);
      r->bytes = g_hash_table_lookup (up->documents, r->name);
      if (r->bytes)
        g_bytes_ref (r->bytes);
      g_mutex_unlock (&up->mutex);
      path = g_build_filename (up->dir, r->name, NULL);
      if (r->bytes) {
        r->size = g_bytes_get_size (r->bytes);
      } else if (!g_file_get_contents (path, &data, &len, &err)) {
        /* gone from the DVR window (or the directory) before its turn */
        g_debug ("dashupload: cannot read %s: %s", path, err->message);
        g_clear_error (&err);
        g_free (path);
        g_mutex_lock (&up->mutex);
        up->vanished++;
        upload_queue_complete (up->queue, r->id, FALSE, TRUE, now);
        g_cond_broadcast (&up->cond);
        g_mutex_unlock (&up->mutex);
        request_free (r);
        continue;
      }
      g_free (path);
      if (r->bytes == NULL) {
        r->bytes = g_bytes_new_take (data, len);
        r->size = len;
      }
    }

    escaped = g_uri_escape_string (r->name, "/", FALSE);
    url = g_strconcat (up->base, "/", escaped, NULL);
    msg = _soup_message_new (r->method == UPLOAD_PUT ? "PUT" : "DELETE", url);
    g_free (escaped);
    g_free (url);
    if (r->bytes) {
      _soup_message_set_request_body_from_bytes (msg, content_type (r->name),
          r->bytes);
    } else if (r->stream) {
      _soup_message_set_request_body (msg, content_type (r->name),
          G_INPUT_STREAM (r->stream), -1);
      _soup_message_headers_set_encoding (_soup_message_get_request_headers
          (msg), SOUP_ENCODING_CHUNKED);
      up->streams = g_list_prepend (up->streams, r);
      g_signal_connect (msg, "wrote-headers",
          G_CALLBACK (request_wrote_headers), r);
    }
    g_signal_connect (msg, "restarted", G_CALLBACK (request_restarted), r);
    _soup_session_send_and_read_async (up->session, msg, G_PRIORITY_DEFAULT,
        r->cancel ? r->cancel : up->cancel, request_done, r);
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

static gboolean
keep_waking (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gpointer
upload_thread (gpointer data)
{
  DashUpload *up = data;
  guint in_flight;
  GList *l, *copy;
  gint64 deadline;
  GSource *wake;

  g_main_context_push_thread_default (up->ctx);
  up->session = _soup_session_new_with_options ("timeout", up->cfg.timeout,
      "max-conns-per-host", up->cfg.max_in_flight + up->cfg.max_streaming,
      "max-conns", up->cfg.max_in_flight + up->cfg.max_streaming + 2,
      "user-agent", "gst-livestream-dashlivesink ", NULL);
  pump (up);
  g_main_loop_run (up->loop);

  /* cancelled: let the requests on the wire complete (they fail fast) */
  g_cancellable_cancel (up->cancel);
  /* (cancelling may complete and free a request at once: its cancellable
   * is held apart) */
  copy = NULL;
  for (l = up->streams; l; l = l->next)
    copy = g_list_prepend (copy, g_object_ref (((Request *) l->data)->cancel));
  for (l = copy; l; l = l->next)
    g_cancellable_cancel (l->data);
  g_list_free_full (copy, g_object_unref);
  if (up->timer) {
    g_source_destroy (up->timer);
    g_source_unref (up->timer);
    up->timer = NULL;
  }
  /* bounded: a request whose cancellation never completes (a body stream
   * that waits, a peer that never answers) must not keep the element from
   * stopping; a timer wakes the loop to look at the clock */
  deadline = g_get_monotonic_time () + STOP_TIMEOUT;
  wake = g_timeout_source_new (50);
  g_source_set_callback (wake, keep_waking, NULL, NULL);
  g_source_attach (wake, up->ctx);
  for (;;) {
    g_mutex_lock (&up->mutex);
    in_flight = upload_queue_in_flight (up->queue);
    g_mutex_unlock (&up->mutex);
    if (in_flight == 0 || g_get_monotonic_time () >= deadline)
      break;
    g_main_context_iteration (up->ctx, TRUE);
  }
  g_source_destroy (wake);
  g_source_unref (wake);
  if (in_flight > 0)
    g_message ("dashlivesink upload: %u request(s) still on the wire %d s "
        "after stopping: aborted", in_flight,
        (gint) (STOP_TIMEOUT / G_TIME_SPAN_SECOND));
  _soup_session_abort (up->session);
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
  if (!dash_soup_load ("The uploader (upload-location)", error))
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
  qc.max_streaming = config->max_streaming;
  if (up->cfg.max_lag == 0)
    up->cfg.max_lag = G_MAXUINT64;
  qc.max_attempts = config->max_attempts;
  qc.base_delay = config->base_delay;
  qc.max_delay = config->max_delay;
  up->queue = upload_queue_new (&qc);
  up->live = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) live_seg_unref);
  up->documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
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

/* With the mutex: segment @name will not be published.  A chunked PUT of
 * it still queued is dropped; one on the wire is ended by feed_streams at
 * what was written, and a DELETE, never on the wire before that PUT has
 * been answered, removes what the origin stored. */
static void
abandon_locked (DashUpload * up, const gchar * name)
{
  if (upload_queue_abandon (up->queue, name))
    upload_queue_push (up->queue, UPLOAD_DELETE, name, g_get_monotonic_time ());
}

guint
dash_upload_drain (DashUpload * up, gint64 timeout)
{
  gint64 deadline = g_get_monotonic_time () + MAX (timeout, 0);
  GHashTableIter it;
  LiveSeg *live;
  guint left;

  g_mutex_lock (&up->mutex);
  /* streaming has stopped: segments in progress will not be published */
  g_hash_table_iter_init (&it, up->live);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & live)) {
    live->abandoned = TRUE;
    abandon_locked (up, live->name);
    g_hash_table_iter_remove (&it);
  }
  schedule_pump_locked (up);
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
  g_hash_table_unref (up->live);
  g_hash_table_unref (up->documents);
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
dash_upload_set_document (DashUpload * up, const gchar * name, GBytes * bytes)
{
  g_mutex_lock (&up->mutex);
  if (bytes)
    g_hash_table_replace (up->documents, g_strdup (name), g_bytes_ref (bytes));
  else
    g_hash_table_remove (up->documents, name);
  g_mutex_unlock (&up->mutex);
}

void
dash_upload_file_published (DashUpload * up, const gchar * name)
{
  LiveSeg *live;

  g_mutex_lock (&up->mutex);
  live = g_hash_table_lookup (up->live, name);
  if (live) {
    /* its chunked PUT (if on the wire) ends with what was written last */
    live->published = TRUE;
    g_hash_table_remove (up->live, name);
  }
  upload_queue_push (up->queue, UPLOAD_PUT, name, g_get_monotonic_time ());
  schedule_pump_locked (up);
  g_mutex_unlock (&up->mutex);
}

void
dash_upload_chunk_written (DashUpload * up, const gchar * name,
    const gchar * tmp_name, guint64 size)
{
  LiveSeg *live;

  g_mutex_lock (&up->mutex);
  live = g_hash_table_lookup (up->live, name);
  if (live == NULL) {
    live = g_new0 (LiveSeg, 1);
    live->ref = 1;
    live->name = g_strdup (name);
    live->tmp_name = g_strdup (tmp_name);
    g_hash_table_replace (up->live, live->name, live);
    if (up->chunked_refused)
      up->refused_fallbacks++;
    else
      live->queued = upload_queue_push_chunked (up->queue, name,
          g_get_monotonic_time ());
  }
  live->complete = MAX (live->complete, size);
  if (live->queued)
    schedule_pump_locked (up);
  g_mutex_unlock (&up->mutex);
}

void
dash_upload_segment_expected (DashUpload * up, const gchar * name)
{
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&up->mutex);
  if (!up->chunked_refused) {
    upload_queue_expect (up->queue, name, now, now +
        (up->cfg.expect_timeout > 0 ? up->cfg.expect_timeout : G_USEC_PER_SEC));
    schedule_pump_locked (up);
  }
  g_mutex_unlock (&up->mutex);
}

void
dash_upload_segment_abandoned (DashUpload * up, const gchar * name)
{
  LiveSeg *live;

  g_mutex_lock (&up->mutex);
  live = g_hash_table_lookup (up->live, name);
  if (live) {
    live->abandoned = TRUE;
    g_hash_table_remove (up->live, name);
  }
  abandon_locked (up, name);
  schedule_pump_locked (up);
  g_mutex_unlock (&up->mutex);
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
  stats->chunked = qs.chunked;
  stats->chunked_fallbacks = qs.chunked_fallbacks + up->refused_fallbacks;
  stats->pending = upload_queue_length (up->queue);
  g_mutex_unlock (&up->mutex);
}
