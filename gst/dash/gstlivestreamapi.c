/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-livestreamapi
 * @title: livestreamapi
 *
 * An application's HTTP API on the same port as the streams it serves.
 * dashlivesink's embedded server is shared by every sink of the process
 * with the same `http-address` and `http-port`, each under its
 * `http-mount`; `livestreamapi` mounts itself there too (under `mount`,
 * default `/api`) and hands every request below it to the application as
 * a `livestreamapi-request` element message on the bus.  The application
 * answers with the `respond` action signal, from any thread, whenever it
 * is ready: the request is held (paused) on the server meanwhile, so no
 * application code runs on the server's thread and a slow answer (a JPEG
 * to encode) holds back nobody else.  Unanswered requests get 504 after
 * `timeout`, and at most `max-pending` wait at once (503 beyond).
 *
 * /metrics on that port (the listener's) includes this element's pipeline
 * and the application's own series (`extra-metrics`).
 *
 * The element has no pads: put it in the pipeline whose bus the
 * application watches.  It serves from READY on.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 livestreamapi http-port=8080 \
 *     videotestsrc is-live=true ! x264enc tune=zerolatency key-int-max=60 ! \
 *     h264parse ! dashlivesink http-port=8080 http-mount=/live/test location=out
 * ]| serves /live/test/manifest.mpd; a GET /api/v1/anything is posted on
 * the bus and, with nobody to answer it, gets 504 after 10 s.
 *
 * Implementation notes
 *
 *   listener thread (httplistener.c)     application (main loop)
 *   ────────────────────────────────     ───────────────────────
 *   request below the mount:
 *     too large / too many -> 413 / 503
 *     pending[id] = msg, pause ────────> bus: livestreamapi-request (id)
 *                                         ... respond (id, status, ...)
 *     answer: status, headers, body, <─── invoke on the listener context
 *       unpause, forget
 *   tick (100 ms): past the timeout -> 504
 *   client gone ("finished") -> forget
 *   unmount (READY->NULL) -> 503 for every pending request
 *
 * `lock` protects the pending table and the counters; soup calls are made
 * on the listener thread only and never with `lock` held (a soup call may
 * emit "finished", whose handler takes it).
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstlivestreamapi.h"
#include "httplistener.h"

GST_DEBUG_CATEGORY_STATIC (livestream_api_debug);
#define GST_CAT_DEFAULT livestream_api_debug

#define DEFAULT_HTTP_ADDRESS "127.0.0.1"
#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_MOUNT "/api"
#define DEFAULT_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_MAX_PENDING 64
#define DEFAULT_MAX_BODY (64 * 1024)
#define DEFAULT_LISTEN_BACKLOG 4096

#define TICK_MS 100

enum
{
  PROP_0,
  PROP_HTTP_ADDRESS,
  PROP_HTTP_PORT,
  PROP_MOUNT,
  PROP_TIMEOUT,
  PROP_MAX_PENDING,
  PROP_MAX_BODY,
  PROP_EXTRA_METRICS,
  PROP_BOUND_PORT,
  PROP_STATS,
};

enum
{
  SIGNAL_RESPOND,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

typedef struct
{
  guint64 requests;
  guint64 answered;
  guint64 timeouts;
  guint64 rejected_busy;
  guint64 rejected_too_large;
  guint64 client_gone;
  guint64 stopped;
} ApiStats;

struct _GstLivestreamApi
{
  GstElement parent;

  /* settings: object lock */
  gchar *address;
  guint port;
  gchar *mount;
  guint64 timeout;
  guint max_pending;
  guint max_body;
  gchar *extra_metrics;

  /* the state lock (state changes) */
  HttpListener *listener;
  gchar *run_mount;

  GMutex lock;                  /* what follows */
  GHashTable *pending;          /* id -> Pending */
  guint64 next_id;
  GMainContext *ctx;            /* the listener's, while mounted */
  guint bound_port;
  guint64 run_timeout;
  guint run_max_pending, run_max_body;
  ApiStats stats;
  GSource *tick;                /* listener thread */
};

typedef struct
{
  GstLivestreamApi *self;       /* not a reference: the table is ours */
  guint64 id;
  SoupServerMessage *msg;       /* a reference */
  gint64 deadline;              /* monotonic µs */
  gulong finished_id;
  gboolean answering;           /* respond () was called */
} Pending;

typedef struct
{
  GstLivestreamApi *self;       /* a reference */
  guint64 id;
  guint status;
  GstStructure *headers;
  GBytes *body;
} Answer;

#define gst_livestream_api_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstLivestreamApi, gst_livestream_api,
    GST_TYPE_ELEMENT, GST_DEBUG_CATEGORY_INIT (livestream_api_debug,
        "livestreamapi", 0, "livestreamapi: an HTTP API for applications"));
GST_ELEMENT_REGISTER_DEFINE (livestreamapi, "livestreamapi", GST_RANK_NONE,
    GST_TYPE_LIVESTREAM_API);

static void gst_livestream_api_finalize (GObject * object);
static void gst_livestream_api_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_livestream_api_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_livestream_api_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_livestream_api_respond (GstLivestreamApi * self,
    guint64 id, guint status, GstStructure * headers, GBytes * body);

static void
gst_livestream_api_class_init (GstLivestreamApiClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_livestream_api_finalize;
  gobject_class->set_property = gst_livestream_api_set_property;
  gobject_class->get_property = gst_livestream_api_get_property;

  /**
   * GstLivestreamApi:http-address:
   *
   * Address of the server (shared with the dashlivesinks of the same
   * address and port).
   */
  g_object_class_install_property (gobject_class, PROP_HTTP_ADDRESS,
      g_param_spec_string ("http-address", "HTTP address",
          "Address the server listens on", DEFAULT_HTTP_ADDRESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstLivestreamApi:http-port:
   *
   * Port of the server; 0 = a free port of its own (see `bound-port`).
   */
  g_object_class_install_property (gobject_class, PROP_HTTP_PORT,
      g_param_spec_uint ("http-port", "HTTP port",
          "Port of the server (0 = a free port, not shared)", 0, 65535,
          DEFAULT_HTTP_PORT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstLivestreamApi:mount:
   *
   * Path prefix of the API: requests for it and below it are posted.
   */
  g_object_class_install_property (gobject_class, PROP_MOUNT,
      g_param_spec_string ("mount", "Mount",
          "Path prefix whose requests are posted to the application",
          DEFAULT_MOUNT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstLivestreamApi:timeout:
   *
   * A request not answered this long after it arrived gets 504.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Time to answer a request before it gets 504 (ns)", GST_MSECOND,
          600 * GST_SECOND, DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstLivestreamApi:max-pending:
   *
   * Requests that may wait for their answer at once; more get 503.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PENDING,
      g_param_spec_uint ("max-pending", "Max pending",
          "Requests waiting for an answer at most (503 beyond)", 1, 100000,
          DEFAULT_MAX_PENDING, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstLivestreamApi:max-body:
   *
   * Largest request body in bytes; a larger one gets 413.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_BODY,
      g_param_spec_uint ("max-body", "Max body",
          "Largest request body in bytes (413 beyond)", 0, 64 * 1024 * 1024,
          DEFAULT_MAX_BODY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstLivestreamApi:extra-metrics:
   *
   * Prometheus text (complete series with their TYPE lines) appended to
   * /metrics: the application's own counters.
   */
  g_object_class_install_property (gobject_class, PROP_EXTRA_METRICS,
      g_param_spec_string ("extra-metrics", "Extra metrics",
          "Prometheus text appended to /metrics", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstLivestreamApi:bound-port:
   *
   * The port served, from READY on (0 before).
   */
  g_object_class_install_property (gobject_class, PROP_BOUND_PORT,
      g_param_spec_uint ("bound-port", "Bound port", "The port served", 0,
          65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstLivestreamApi:stats:
   *
   * Counters since READY: `requests`, `answered`, `pending`, `timeouts`,
   * `rejected-busy`, `rejected-too-large`, `client-gone`, `stopped`.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics", "Request counters",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstLivestreamApi::respond:
   * @api: the element
   * @id: the `id` of the `livestreamapi-request` message
   * @status: HTTP status
   * @headers: (nullable): response headers as string fields (name: the
   *   header's name, e.g. `Content-Type`, `Location`)
   * @body: (nullable): the body
   *
   * Answers a request, from any thread.  Returns FALSE if there is no such
   * request waiting (answered already, timed out, or its client left).
   */
  signals[SIGNAL_RESPOND] = g_signal_new_class_handler ("respond",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_livestream_api_respond), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 4, G_TYPE_UINT64, G_TYPE_UINT, GST_TYPE_STRUCTURE,
      G_TYPE_BYTES);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_livestream_api_change_state);
  gst_element_class_set_static_metadata (element_class,
      "Livestream HTTP API", "Generic/Network",
      "Posts the HTTP requests below its mount on the bus and sends the "
      "application's answers, on the port of dashlivesink's server",
      "gst-livestream authors");
}

static void
pending_free (Pending * p)
{
  if (p->finished_id)
    g_signal_handler_disconnect (p->msg, p->finished_id);
  g_object_unref (p->msg);
  g_free (p);
}

static void
gst_livestream_api_init (GstLivestreamApi * self)
{
  self->address = g_strdup (DEFAULT_HTTP_ADDRESS);
  self->port = DEFAULT_HTTP_PORT;
  self->mount = g_strdup (DEFAULT_MOUNT);
  self->timeout = DEFAULT_TIMEOUT;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->max_body = DEFAULT_MAX_BODY;
  g_mutex_init (&self->lock);
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
      (GDestroyNotify) pending_free);
}

static void
gst_livestream_api_finalize (GObject * object)
{
  GstLivestreamApi *self = GST_LIVESTREAM_API (object);

  g_free (self->address);
  g_free (self->mount);
  g_free (self->extra_metrics);
  g_free (self->run_mount);
  g_hash_table_unref (self->pending);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------- */
/* answers (listener thread) */

/* A JSON error body like the application's: {"error": {"code", "message"}} */
static void
answer_error (SoupServerMessage * msg, guint status, const gchar * code,
    const gchar * message)
{
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);
  gchar *body = g_strdup_printf ("{\"error\": {\"code\": \"%s\", "
      "\"message\": \"%s\"}}\n", code, message);

  _soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
  http_listener_respond_text (msg, status, "application/json", "no-store",
      body);
}

typedef struct
{
  SoupServerMessage *msg;
  const gchar *content_type;
} HeaderCtx;

static gboolean
set_header (GQuark field, const GValue * value, gpointer data)
{
  HeaderCtx *c = data;
  const gchar *name = g_quark_to_string (field);
  gchar *text;

  text = G_VALUE_HOLDS_STRING (value) ? g_value_dup_string (value) :
      gst_value_serialize (value);
  if (text == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (name, "Content-Type") == 0) {
    c->content_type = g_intern_string (text);
  } else {
    _soup_message_headers_replace (_soup_server_message_get_response_headers
        (c->msg), name, text);
  }
  g_free (text);
  return TRUE;
}

static gboolean
answer_cb (gpointer data)
{
  Answer *a = data;
  GstLivestreamApi *self = a->self;
  Pending *p = NULL;
  HeaderCtx hc = { NULL, "application/octet-stream" };
  gsize len = 0;
  gconstpointer bytes = NULL;

  g_mutex_lock (&self->lock);
  if (g_hash_table_steal_extended (self->pending, &a->id, NULL,
          (gpointer *) & p))
    self->stats.answered++;
  g_mutex_unlock (&self->lock);
  if (p == NULL)
    return G_SOURCE_REMOVE;     /* timed out, client gone, or stopped */

  hc.msg = p->msg;
  if (a->headers)
    gst_structure_foreach (a->headers, set_header, &hc);
  if (a->body)
    bytes = g_bytes_get_data (a->body, &len);
  _soup_server_message_set_status (p->msg, a->status, NULL);
  _soup_server_message_set_response (p->msg, hc.content_type, SOUP_MEMORY_COPY,
      bytes, len);
  GST_LOG_OBJECT (self, "request %" G_GUINT64_FORMAT ": %u, %" G_GSIZE_FORMAT
      " bytes", a->id, a->status, len);
  _soup_server_message_unpause (p->msg);
  pending_free (p);
  return G_SOURCE_REMOVE;
}

static void
answer_free (gpointer data)
{
  Answer *a = data;

  gst_object_unref (a->self);
  if (a->headers)
    gst_structure_free (a->headers);
  if (a->body)
    g_bytes_unref (a->body);
  g_free (a);
}

static gboolean
gst_livestream_api_respond (GstLivestreamApi * self, guint64 id,
    guint status, GstStructure * headers, GBytes * body)
{
  Pending *p;
  GMainContext *ctx = NULL;
  Answer *a;

  if (status < 100 || status > 599)
    return FALSE;
  g_mutex_lock (&self->lock);
  p = g_hash_table_lookup (self->pending, &id);
  if (p && !p->answering && self->ctx) {
    p->answering = TRUE;
    ctx = g_main_context_ref (self->ctx);
  }
  g_mutex_unlock (&self->lock);
  if (ctx == NULL)
    return FALSE;

  a = g_new0 (Answer, 1);
  a->self = gst_object_ref (self);
  a->id = id;
  a->status = status;
  a->headers = headers ? gst_structure_copy (headers) : NULL;
  a->body = body ? g_bytes_ref (body) : NULL;
  g_main_context_invoke_full (ctx, G_PRIORITY_DEFAULT, answer_cb, a,
      answer_free);
  g_main_context_unref (ctx);
  return TRUE;
}

/* ---------------------------------------------------------------- */
/* requests (listener thread) */

static void
on_finished (SoupServerMessage * msg, Pending * p)
{
  GstLivestreamApi *self = p->self;
  guint64 id = p->id;
  Pending *gone = NULL;

  g_mutex_lock (&self->lock);
  if (g_hash_table_steal_extended (self->pending, &id, NULL,
          (gpointer *) & gone))
    self->stats.client_gone++;
  g_mutex_unlock (&self->lock);
  if (gone)
    pending_free (gone);
}

static gboolean
add_header (GstStructure * st, const char *name, const char *value)
{
  gchar *lower = g_ascii_strdown (name, -1);

  /* repeated headers: comma-joined, as HTTP allows */
  if (gst_structure_has_field_typed (st, lower, G_TYPE_STRING)) {
    gchar *joined = g_strconcat (gst_structure_get_string (st, lower), ", ",
        value, NULL);
    gst_structure_set (st, lower, G_TYPE_STRING, joined, NULL);
    g_free (joined);
  } else {
    gst_structure_set (st, lower, G_TYPE_STRING, value, NULL);
  }
  g_free (lower);
  return TRUE;
}

static void
collect_header (const char *name, const char *value, gpointer data)
{
  add_header (data, name, value);
}

static void
api_handle (SoupServerMessage * msg, const gchar * path,
    GHashTable * query_table, gpointer data)
{
  GstLivestreamApi *self = data;
  SoupMessageBody *req_body = _soup_server_message_get_request_body (msg);
  GUri *uri = _soup_server_message_get_uri (msg);
  const gchar *query = uri ? g_uri_get_query (uri) : NULL;
  const gchar *remote = _soup_server_message_get_remote_host (msg);
  GstStructure *headers, *st;
  GBytes *body;
  gchar *full_path;
  Pending *p;
  guint64 id;
  gboolean busy;

  g_mutex_lock (&self->lock);
  self->stats.requests++;
  if (req_body && (guint64) req_body->length > self->run_max_body) {
    self->stats.rejected_too_large++;
    g_mutex_unlock (&self->lock);
    answer_error (msg, 413, "too_large", "request body too large");
    return;
  }
  busy = g_hash_table_size (self->pending) >= self->run_max_pending;
  if (busy) {
    self->stats.rejected_busy++;
    g_mutex_unlock (&self->lock);
    _soup_message_headers_replace (_soup_server_message_get_response_headers
        (msg), "Retry-After", "1");
    answer_error (msg, 503, "busy", "too many requests waiting");
    return;
  }
  id = ++self->next_id;
  p = g_new0 (Pending, 1);
  p->self = self;
  p->id = id;
  p->msg = g_object_ref (msg);
  p->deadline = g_get_monotonic_time () + (gint64) (self->run_timeout / 1000);
  p->finished_id = g_signal_connect (msg, "finished",
      G_CALLBACK (on_finished), p);
  g_hash_table_insert (self->pending, &p->id, p);
  g_mutex_unlock (&self->lock);

  _soup_server_message_pause (msg);

  headers = gst_structure_new_empty ("headers");
  _soup_message_headers_foreach (_soup_server_message_get_request_headers
      (msg), collect_header, headers);
  body = req_body && req_body->length > 0 ?
      g_bytes_new (req_body->data, req_body->length) : g_bytes_new (NULL, 0);
  full_path = g_strconcat (self->run_mount, path, NULL);
  st = gst_structure_new ("livestreamapi-request",
      "id", G_TYPE_UINT64, id,
      "method", G_TYPE_STRING, _soup_server_message_get_method (msg),
      "path", G_TYPE_STRING, full_path,
      "query", G_TYPE_STRING, query ? query : "",
      "remote", G_TYPE_STRING, remote ? remote : "",
      "headers", GST_TYPE_STRUCTURE, headers, "body", G_TYPE_BYTES, body, NULL);
  GST_LOG_OBJECT (self, "request %" G_GUINT64_FORMAT ": %s %s", id,
      _soup_server_message_get_method (msg), full_path);
  g_free (full_path);
  gst_structure_free (headers);
  g_bytes_unref (body);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), st));
}

/* Answers with @status every pending request whose deadline is at or
 * before @before (all of them when @before < 0) */
static void
answer_pending (GstLivestreamApi * self, gint64 before, guint status,
    const gchar * code, const gchar * message)
{
  GHashTableIter it;
  Pending *p;
  GList *done = NULL, *l;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&it, self->pending);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & p)) {
    if (before >= 0 && p->deadline > before)
      continue;
    g_hash_table_iter_steal (&it);
    done = g_list_prepend (done, p);
    if (status == 504)
      self->stats.timeouts++;
    else
      self->stats.stopped++;
  }
  g_mutex_unlock (&self->lock);
  for (l = done; l; l = l->next) {
    p = l->data;
    /* no "finished" for us any more: its handler would find nothing */
    g_signal_handler_disconnect (p->msg, p->finished_id);
    p->finished_id = 0;
    answer_error (p->msg, status, code, message);
    _soup_server_message_unpause (p->msg);
    pending_free (p);
  }
  g_list_free (done);
}

static gboolean
on_tick (gpointer data)
{
  answer_pending (data, g_get_monotonic_time (), 504, "timeout",
      "the application did not answer in time");
  return G_SOURCE_CONTINUE;
}

static gboolean
attach_tick (gpointer data)
{
  GstLivestreamApi *self = data;

  self->tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (self->tick, on_tick, self, NULL);
  g_source_attach (self->tick, self->ctx);
  return G_SOURCE_REMOVE;
}

static void
api_detach (gpointer data)
{
  GstLivestreamApi *self = data;

  answer_pending (self, -1, 503, "stopped", "the service is stopping");
  if (self->tick) {
    g_source_destroy (self->tick);
    g_clear_pointer (&self->tick, g_source_unref);
  }
  g_mutex_lock (&self->lock);
  self->ctx = NULL;
  g_mutex_unlock (&self->lock);
}

static gboolean
api_detach_cb (gpointer data)
{
  api_detach (data);
  return G_SOURCE_REMOVE;
}

static void
api_metrics (LivestreamMetrics * m, gpointer data)
{
  GstLivestreamApi *self = data;
  gchar *text;

  GST_OBJECT_LOCK (self);
  text = g_strdup (self->extra_metrics);
  GST_OBJECT_UNLOCK (self);
  livestream_metrics_add_text (m, text);
  g_free (text);
}

/* ---------------------------------------------------------------- */
/* state */

static gboolean
start (GstLivestreamApi * self)
{
  HttpMountConfig mc = { 0, };
  HttpListener *l;
  GError *err = NULL;
  gchar *address, *mount;
  guint port;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  port = self->port;
  mount = g_strdup (self->mount ? self->mount : "");
  if (g_str_has_suffix (mount, "/"))
    mount[strlen (mount) - 1] = '\0';
  g_mutex_lock (&self->lock);
  self->run_timeout = self->timeout;
  self->run_max_pending = self->max_pending;
  self->run_max_body = self->max_body;
  memset (&self->stats, 0, sizeof (self->stats));
  g_mutex_unlock (&self->lock);
  GST_OBJECT_UNLOCK (self);

  l = http_listener_acquire (address, port, DEFAULT_LISTEN_BACKLOG, &err);
  if (l == NULL)
    goto no_listener;
  g_free (self->run_mount);
  self->run_mount = mount;
  mount = NULL;
  g_mutex_lock (&self->lock);
  self->ctx = http_listener_get_context (l);
  self->bound_port = http_listener_get_port (l);
  g_mutex_unlock (&self->lock);
  http_listener_invoke_sync (l, attach_tick, self);

  mc.prefix = self->run_mount;
  mc.handler = api_handle;
  mc.metrics = api_metrics;
  mc.detach = api_detach;
  mc.scope = GST_ELEMENT (self);
  mc.user_data = self;
  if (!http_listener_mount (l, &mc, &err))
    goto no_mount;
  self->listener = l;
  GST_INFO_OBJECT (self, "serving http://%s:%u%s/", address,
      self->bound_port, self->run_mount);
  g_free (address);
  return TRUE;

  /* ERRORS */
no_listener:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
        ("Cannot serve HTTP on %s:%u: %s", address, port, err->message),
        (NULL));
    g_clear_error (&err);
    g_free (address);
    g_free (mount);
    return FALSE;
  }
no_mount:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot serve the API at %s/: %s", self->run_mount, err->message),
        (NULL));
    g_clear_error (&err);
    http_listener_invoke_sync (l, api_detach_cb, self);
    http_listener_release (l);
    g_free (address);
    return FALSE;
  }
}

static void
stop (GstLivestreamApi * self)
{
  if (self->listener == NULL)
    return;
  http_listener_unmount (self->listener, self->run_mount);
  http_listener_release (self->listener);
  self->listener = NULL;
  g_mutex_lock (&self->lock);
  self->bound_port = 0;
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
gst_livestream_api_change_state (GstElement * element,
    GstStateChange transition)
{
  GstLivestreamApi *self = GST_LIVESTREAM_API (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start (self))
    return GST_STATE_CHANGE_FAILURE;
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
      (transition == GST_STATE_CHANGE_NULL_TO_READY &&
          ret == GST_STATE_CHANGE_FAILURE))
    stop (self);
  return ret;
}

/* ---------------------------------------------------------------- */
/* properties */

static GstStructure *
make_stats (GstLivestreamApi * self)
{
  GstStructure *st;

  g_mutex_lock (&self->lock);
  st = gst_structure_new ("application/x-livestreamapi-stats",
      "requests", G_TYPE_UINT64, self->stats.requests,
      "answered", G_TYPE_UINT64, self->stats.answered,
      "pending", G_TYPE_UINT, g_hash_table_size (self->pending),
      "timeouts", G_TYPE_UINT64, self->stats.timeouts,
      "rejected-busy", G_TYPE_UINT64, self->stats.rejected_busy,
      "rejected-too-large", G_TYPE_UINT64, self->stats.rejected_too_large,
      "client-gone", G_TYPE_UINT64, self->stats.client_gone,
      "stopped", G_TYPE_UINT64, self->stats.stopped, NULL);
  g_mutex_unlock (&self->lock);
  return st;
}

static void
gst_livestream_api_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstLivestreamApi *self = GST_LIVESTREAM_API (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HTTP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      if (self->address == NULL || *self->address == '\0') {
        g_free (self->address);
        self->address = g_strdup (DEFAULT_HTTP_ADDRESS);
      }
      break;
    case PROP_HTTP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_MOUNT:
      g_free (self->mount);
      self->mount = g_value_dup_string (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_MAX_PENDING:
      self->max_pending = g_value_get_uint (value);
      break;
    case PROP_MAX_BODY:
      self->max_body = g_value_get_uint (value);
      break;
    case PROP_EXTRA_METRICS:
      g_free (self->extra_metrics);
      self->extra_metrics = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_livestream_api_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstLivestreamApi *self = GST_LIVESTREAM_API (object);

  switch (prop_id) {
    case PROP_BOUND_PORT:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->bound_port);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_STATS:
      g_value_take_boxed (value, make_stats (self));
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_HTTP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_HTTP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_MOUNT:
      g_value_set_string (value, self->mount);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_MAX_BODY:
      g_value_set_uint (value, self->max_body);
      break;
    case PROP_EXTRA_METRICS:
      g_value_set_string (value, self->extra_metrics);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
