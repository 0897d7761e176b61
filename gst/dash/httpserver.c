/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dladdr() */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gst/gst.h>
#include "souploader.h"

#include "httpserver.h"
#include "httproutes.h"
#include "dashtime.h"
#include "mpdmodel.h"
#include "dashplayer-resources.h"

/* how often waits, stalls and live responses are checked */
#define TICK_MS 100

/* LOG level: what bench/dashlivesink-publish.py times (a chunk announced
 * by the sink, appended to a live response, its bytes written to the
 * socket) */
GST_DEBUG_CATEGORY_STATIC (http_server_debug);
#define GST_CAT_DEFAULT http_server_debug
static gsize debug_init;

#define PLAYER_PAGE_RESOURCE "/org/gstreamer/livestream/dash/index.html"
#define DASHJS_FILE_NAME "dash.all.min.js"

typedef enum
{
  REQ_FILE,                     /* complete body handed to soup */
  REQ_LIVE,                     /* segment being written, chunked */
  REQ_WAIT,                     /* announced segment not started yet */
} ReqState;

typedef struct
{
  HttpServer *srv;
  SoupServerMessage *msg;
  ReqState state;
  DashFileKind kind;
  gchar name[256];
  gboolean head;
  gint fd;                      /* REQ_LIVE */
  guint64 sent;                 /* bytes of the file appended so far */
  guint64 wrote;                /* bytes of the body written to the socket */
  guint64 queued;               /* appended, not yet written to the socket */
  gint64 last_progress;         /* monotonic µs */
  gint64 deadline;              /* REQ_WAIT: monotonic µs */
  gulong wrote_id, finished_id;
  gboolean done;                /* body complete */
} Req;

struct _HttpServer
{
  gchar *dir, *address, *mpd_name, *player_lib;
  guint port;
  guint64 seg_dur, max_client_buffer, stall_timeout;
  guint listen_backlog;
  HttpServerMetricsFunc metrics;
  gpointer metrics_data;

  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  SoupServer *server;           /* server thread only */
  GList *reqs;                  /* Req, server thread only */
  GError *start_error;
  gboolean started;

  GMutex lock;                  /* protects what follows */
  GCond cond;
  DashServeState *state;
  GHashTable *documents;        /* name -> GBytes answered instead of a file */
  gboolean wake_pending;
  HttpServerStats stats;
};

/* ------------------------------------------------------------------ */

/* the directory of the file this code was loaded from: the plug-in's */
static gchar *
own_dir (void)
{
  Dl_info info;
  gchar *file, *dir;

  if (dladdr ((void *) own_dir, &info) == 0 || info.dli_fname == NULL ||
      *info.dli_fname == '\0')
    return NULL;
  /* relative if GST_PLUGIN_PATH was */
  file = g_canonicalize_filename (info.dli_fname, NULL);
  dir = g_path_get_dirname (file);
  g_free (file);
  return dir;
}

gchar *
http_server_find_player_lib (void)
{
  const gchar *env = g_getenv ("GST_LIVESTREAM_DASHJS");
  gchar *dir, *path;

  if (env && *env)
    return g_strdup (env);
  if (g_file_test (DASHJS_INSTALL_PATH, G_FILE_TEST_IS_REGULAR))
    return g_strdup (DASHJS_INSTALL_PATH);
  /* uninstalled: the build copies it next to the plug-in */
  dir = own_dir ();
  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, DASHJS_FILE_NAME, NULL);
  g_free (dir);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  return NULL;
}

/* The player page for @mpd_name, from the resource.  The name goes into
 * an href (percent-encoded, then HTML-escaped) and into text. */
static gchar *
player_page (const gchar * mpd_name)
{
  GBytes *page = g_resource_lookup_data (dash_player_get_resource (),
      PLAYER_PAGE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  gchar *uri = g_uri_escape_string (mpd_name, "/", FALSE);
  gchar *href = g_strconcat ("/", uri, NULL);
  gchar *href_html = g_markup_escape_text (href, -1);
  gchar *text_html = g_markup_escape_text (mpd_name, -1);
  GString *s;

  /* compiled in: cannot be missing */
  g_assert (page != NULL);
  s = g_string_new_len (g_bytes_get_data (page, NULL), g_bytes_get_size (page));
  g_string_replace (s, "@MPD_HREF@", href_html, 0);
  g_string_replace (s, "@MPD_TEXT@", text_html, 0);
  g_bytes_unref (page);
  g_free (uri);
  g_free (href);
  g_free (href_html);
  g_free (text_html);
  return g_string_free (s, FALSE);
}

static void wake_locked (HttpServer * srv);

static void
common_headers (SoupServerMessage * msg)
{
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);

  _soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
  _soup_message_headers_replace (h, "Access-Control-Expose-Headers",
      "Content-Length, Content-Range, Date, Age");
  _soup_message_headers_replace (h, "Server", "dashlivesink");
}

static void
respond_text (SoupServerMessage * msg, guint status, const gchar * type,
    const gchar * cache, gchar * body)
{
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);

  _soup_server_message_set_status (msg, status, NULL);
  if (cache)
    _soup_message_headers_replace (h, "Cache-Control", cache);
  _soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, body,
      body ? strlen (body) : 0);
}

static void
not_found (HttpServer * srv, SoupServerMessage * msg)
{
  g_mutex_lock (&srv->lock);
  srv->stats.not_found++;
  g_mutex_unlock (&srv->lock);
  respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no-cache",
      g_strdup ("not found\n"));
}

/* --- request tracking ------------------------------------------------ */

static void
req_free (Req * r)
{
  if (r->fd >= 0)
    close (r->fd);
  if (r->msg) {
    if (r->wrote_id)
      g_signal_handler_disconnect (r->msg, r->wrote_id);
    if (r->finished_id)
      g_signal_handler_disconnect (r->msg, r->finished_id);
    g_object_unref (r->msg);
  }
  g_free (r);
}

static void
on_wrote_body_data (SoupServerMessage * msg, guint size, Req * r)
{
  if (r->state == REQ_LIVE)
    GST_LOG ("%s: sent [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
        ") to %p", r->name, r->wrote, r->wrote + size, r);
  r->wrote += size;
  r->queued = r->queued > size ? r->queued - size : 0;
  r->last_progress = g_get_monotonic_time ();
  g_mutex_lock (&r->srv->lock);
  r->srv->stats.bytes_sent += size;
  g_mutex_unlock (&r->srv->lock);
}

static void
on_finished (SoupServerMessage * msg, Req * r)
{
  HttpServer *srv = r->srv;

  srv->reqs = g_list_remove (srv->reqs, r);
  g_mutex_lock (&srv->lock);
  srv->stats.active = g_list_length (srv->reqs);
  g_mutex_unlock (&srv->lock);
  req_free (r);
}

static Req *
req_track (HttpServer * srv, SoupServerMessage * msg, ReqState state,
    const DashRoute * route, gboolean head)
{
  Req *r = g_new0 (Req, 1);

  r->srv = srv;
  r->msg = g_object_ref (msg);
  r->state = state;
  r->kind = route->file_kind;
  g_strlcpy (r->name, route->name, sizeof (r->name));
  r->head = head;
  r->fd = -1;
  r->last_progress = g_get_monotonic_time ();
  r->wrote_id = g_signal_connect (msg, "wrote-body-data",
      G_CALLBACK (on_wrote_body_data), r);
  r->finished_id = g_signal_connect (msg, "finished",
      G_CALLBACK (on_finished), r);
  srv->reqs = g_list_prepend (srv->reqs, r);
  g_mutex_lock (&srv->lock);
  srv->stats.active = g_list_length (srv->reqs);
  g_mutex_unlock (&srv->lock);
  GST_LOG ("%s: request %p%s", r->name, r, head ? " (HEAD)" : "");
  return r;
}

/* Drops the connection of a client that does not keep up. */
static void
req_disconnect (Req * r)
{
  GSocket *sock = _soup_server_message_get_socket (r->msg);

  g_mutex_lock (&r->srv->lock);
  r->srv->stats.disconnected_slow++;
  g_mutex_unlock (&r->srv->lock);
  if (sock)
    g_socket_shutdown (sock, TRUE, TRUE, NULL);
  /* the write error finishes the message; until then nothing more is
   * appended */
  r->done = TRUE;
}

/* --- complete files -------------------------------------------------- */

/* Answers @route from the file on disk.  Returns FALSE if it does not
 * exist (nothing was answered). */
static gboolean
serve_file (HttpServer * srv, SoupServerMessage * msg, const DashRoute * route,
    gboolean head)
{
  SoupMessageHeaders *req_h = _soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);
  gchar *path = g_build_filename (srv->dir, route->name, NULL);
  GMappedFile *mf;
  GBytes *bytes, *body;
  guint64 size, start = 0, end = 0;
  DashRangeResult rr;
  Req *r;

  /* a document of the server's own (the low-latency MPD), else the file */
  g_mutex_lock (&srv->lock);
  bytes = g_hash_table_lookup (srv->documents, route->name);
  if (bytes)
    g_bytes_ref (bytes);
  g_mutex_unlock (&srv->lock);
  if (bytes == NULL) {
    mf = g_mapped_file_new (path, FALSE, NULL);
    if (mf == NULL) {
      g_free (path);
      return FALSE;
    }
    bytes = g_mapped_file_get_bytes (mf);
    g_mapped_file_unref (mf);
  }
  g_free (path);
  size = g_bytes_get_size (bytes);

  _soup_message_headers_replace (h, "Content-Type",
      http_routes_content_type (route->file_kind));
  _soup_message_headers_replace (h, "Cache-Control",
      http_routes_cache_control (route->file_kind));
  _soup_message_headers_replace (h, "Accept-Ranges", "bytes");

  rr = http_routes_parse_range (_soup_message_headers_get_one (req_h, "Range"),
      size, &start, &end);
  if (rr == DASH_RANGE_UNSATISFIABLE) {
    gchar *cr = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, size);
    _soup_message_headers_replace (h, "Content-Range", cr);
    g_free (cr);
    _soup_server_message_set_status (msg,
        SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
    g_bytes_unref (bytes);
    return TRUE;
  }
  if (rr == DASH_RANGE_OK) {
    gchar *cr = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%"
        G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, start, end, size);
    _soup_message_headers_replace (h, "Content-Range", cr);
    g_free (cr);
    body = g_bytes_new_from_bytes (bytes, start, end - start + 1);
    _soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
  } else {
    body = g_bytes_ref (bytes);
    _soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  }
  g_bytes_unref (bytes);

  r = req_track (srv, msg, REQ_FILE, route, head);
  r->done = TRUE;
  if (head) {
    _soup_message_headers_set_content_length (h, g_bytes_get_size (body));
  } else {
    r->queued = g_bytes_get_size (body);
    _soup_message_body_append_bytes (_soup_server_message_get_response_body
        (msg), body);
  }
  g_bytes_unref (body);
  return TRUE;
}

/* --- live segments --------------------------------------------------- */

/* Appends what became complete of a live segment; completes the body when
 * the segment was published.  Server thread. */
static void
feed_live (HttpServer * srv, Req * r)
{
  const DashLiveSegment *live = NULL;
  DashAvailability av;
  guint64 target;
  gboolean finished = FALSE;
  SoupMessageBody *body = _soup_server_message_get_response_body (r->msg);

  if (r->done)
    return;
  g_mutex_lock (&srv->lock);
  av = http_routes_state_lookup (srv->state, r->name, &live);
  target = av == DASH_AVAIL_LIVE ? live->complete : 0;
  g_mutex_unlock (&srv->lock);

  if (av != DASH_AVAIL_LIVE) {
    struct stat sb;
    /* published (renamed: our descriptor reads the same file) or
     * abandoned (unlinked: we send what was complete) */
    if (fstat (r->fd, &sb) == 0)
      target = sb.st_size;
    finished = TRUE;
  }

  if (target > r->sent && !r->head) {
    gsize n = target - r->sent;
    guint8 *data = g_malloc (n);
    gssize got = pread (r->fd, data, n, r->sent);

    if (got > 0) {
      GST_LOG ("%s: appended [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
          ") for %p", r->name, r->sent, r->sent + got, r);
      _soup_message_body_append (body, SOUP_MEMORY_TAKE, data, got);
      r->sent += got;
      r->queued += got;
      data = NULL;
    }
    g_free (data);
    if (got < (gssize) n)
      finished = FALSE;         /* short read: try again at the next tick */
  }
  if (finished || r->head) {
    _soup_message_body_complete (body);
    r->done = TRUE;
  }
  if (r->queued > srv->max_client_buffer) {
    req_disconnect (r);
    return;
  }
  _soup_server_message_unpause (r->msg);
}

/* Starts the chunked response of a live segment; FALSE if its temporary
 * file is gone (it was published meanwhile). */
static gboolean
start_live (HttpServer * srv, Req * r, const gchar * tmp_name)
{
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (r->msg);
  gchar *path = g_build_filename (srv->dir, tmp_name, NULL);

  r->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  g_free (path);
  if (r->fd < 0)
    return FALSE;
  r->state = REQ_LIVE;
  r->last_progress = g_get_monotonic_time ();
  _soup_server_message_set_status (r->msg, SOUP_STATUS_OK, NULL);
  _soup_message_headers_replace (h, "Content-Type",
      http_routes_content_type (r->kind));
  _soup_message_headers_replace (h, "Cache-Control",
      http_routes_cache_control (r->kind));
  _soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  g_mutex_lock (&srv->lock);
  srv->stats.live_responses++;
  g_mutex_unlock (&srv->lock);
  feed_live (srv, r);
  return TRUE;
}

/* A waiting request: the segment started, was published, or the wait is
 * over. */
static void
check_wait (HttpServer * srv, Req * r, gint64 now)
{
  const DashLiveSegment *live = NULL;
  DashAvailability av;
  gchar *tmp = NULL;
  DashRoute route;

  g_mutex_lock (&srv->lock);
  av = http_routes_state_lookup (srv->state, r->name, &live);
  /* the temporary file exists once the first chunk is written */
  if (av == DASH_AVAIL_LIVE && live->complete == 0)
    av = DASH_AVAIL_WAIT;
  if (av == DASH_AVAIL_LIVE)
    tmp = g_strdup (live->tmp_name);
  g_mutex_unlock (&srv->lock);

  if (av == DASH_AVAIL_WAIT && now < r->deadline)
    return;

  memset (&route, 0, sizeof (route));
  route.kind = DASH_ROUTE_FILE;
  route.file_kind = r->kind;
  g_strlcpy (route.name, r->name, sizeof (route.name));

  if (av == DASH_AVAIL_LIVE && start_live (srv, r, tmp)) {
    g_free (tmp);
    return;
  }
  g_free (tmp);
  /* published meanwhile, or the wait is over */
  r->state = REQ_FILE;
  r->done = TRUE;
  {
    /* serve_file tracks a new Req for the message: forget this one */
    SoupServerMessage *msg = g_object_ref (r->msg);
    srv->reqs = g_list_remove (srv->reqs, r);
    req_free (r);
    if (!serve_file (srv, msg, &route, FALSE)) {
      g_mutex_lock (&srv->lock);
      srv->stats.wait_timeouts++;
      g_mutex_unlock (&srv->lock);
      not_found (srv, msg);
    }
    _soup_server_message_unpause (msg);
    g_object_unref (msg);
  }
}

static void
feed_all (HttpServer * srv)
{
  GList *l, *next;
  gint64 now = g_get_monotonic_time ();

  for (l = srv->reqs; l; l = next) {
    Req *r = l->data;
    next = l->next;
    if (r->state == REQ_LIVE)
      feed_live (srv, r);
    else if (r->state == REQ_WAIT)
      check_wait (srv, r, now);
  }
}

static gboolean
on_wake (gpointer data)
{
  HttpServer *srv = data;

  g_mutex_lock (&srv->lock);
  srv->wake_pending = FALSE;
  g_mutex_unlock (&srv->lock);
  feed_all (srv);
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer data)
{
  HttpServer *srv = data;
  gint64 now = g_get_monotonic_time ();
  GList *l, *next;

  feed_all (srv);
  for (l = srv->reqs; l; l = next) {
    Req *r = l->data;
    next = l->next;
    if (r->state == REQ_WAIT)
      continue;
    /* a client that has not read anything for stall-timeout while data
     * waits for it is dropped; so is a live segment whose writer went
     * silent for as long */
    if (r->queued > 0 && !r->head &&
        (guint64) (now - r->last_progress) * 1000 > srv->stall_timeout)
      req_disconnect (r);
    else if (r->state == REQ_LIVE && !r->done && r->queued == 0 &&
        (guint64) (now - r->last_progress) * 1000 > 2 * srv->stall_timeout) {
      _soup_message_body_complete (_soup_server_message_get_response_body
          (r->msg));
      r->done = TRUE;
      _soup_server_message_unpause (r->msg);
    }
  }
  return G_SOURCE_CONTINUE;
}

/* Called with srv->lock held, from any thread. */
static void
wake_locked (HttpServer * srv)
{
  GSource *s;

  if (srv->wake_pending || srv->ctx == NULL)
    return;
  srv->wake_pending = TRUE;
  s = g_idle_source_new ();
  g_source_set_priority (s, G_PRIORITY_HIGH);
  g_source_set_callback (s, on_wake, srv, NULL);
  g_source_attach (s, srv->ctx);
  g_source_unref (s);
}

/* --- the handler ----------------------------------------------------- */

static void
handle_file (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, gboolean head)
{
  const DashLiveSegment *live = NULL;
  DashAvailability av;
  gchar *tmp = NULL;
  Req *r;

  g_mutex_lock (&srv->lock);
  av = route->file_kind == DASH_FILE_SEGMENT ?
      http_routes_state_lookup (srv->state, route->name, &live) :
      DASH_AVAIL_FILE;
  if (av == DASH_AVAIL_LIVE && live->complete == 0)
    av = DASH_AVAIL_WAIT;       /* no chunk written yet */
  if (av == DASH_AVAIL_LIVE)
    tmp = g_strdup (live->tmp_name);
  if (av == DASH_AVAIL_WAIT)
    srv->stats.waited++;
  g_mutex_unlock (&srv->lock);

  switch (av) {
    case DASH_AVAIL_LIVE:
      r = req_track (srv, msg, REQ_LIVE, route, head);
      if (start_live (srv, r, tmp))
        break;
      /* published between the lookup and the open */
      srv->reqs = g_list_remove (srv->reqs, r);
      req_free (r);
      if (!serve_file (srv, msg, route, head))
        not_found (srv, msg);
      break;
    case DASH_AVAIL_WAIT:
      r = req_track (srv, msg, REQ_WAIT, route, head);
      r->deadline = g_get_monotonic_time () +
          (gint64) MAX (2 * srv->seg_dur, G_GUINT64_CONSTANT (1000000000)) /
          1000;
      _soup_server_message_pause (msg);
      break;
    case DASH_AVAIL_FILE:
      if (!serve_file (srv, msg, route, head))
        not_found (srv, msg);
      break;
  }
  g_free (tmp);
}

static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  HttpServer *srv = user_data;
  const gchar *method = _soup_server_message_get_method (msg);
  gboolean head = g_strcmp0 (method, "HEAD") == 0;
  DashRoute route;

  g_mutex_lock (&srv->lock);
  srv->stats.requests++;
  g_mutex_unlock (&srv->lock);

  common_headers (msg);
  if (g_strcmp0 (method, "OPTIONS") == 0) {
    SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);
    _soup_message_headers_replace (h, "Access-Control-Allow-Methods",
        "GET, HEAD, OPTIONS");
    _soup_message_headers_replace (h, "Access-Control-Allow-Headers",
        "Range, If-None-Match, If-Modified-Since");
    _soup_message_headers_replace (h, "Access-Control-Max-Age", "86400");
    _soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    return;
  }
  if (g_strcmp0 (method, "GET") != 0 && !head) {
    _soup_message_headers_replace (_soup_server_message_get_response_headers
        (msg), "Allow", "GET, HEAD, OPTIONS");
    respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain", NULL,
        g_strdup ("method not allowed\n"));
    return;
  }

  http_routes_route_full (path, srv->mpd_name, &route);
  switch (route.kind) {
    case DASH_ROUTE_NOT_FOUND:
      not_found (srv, msg);
      break;
    case DASH_ROUTE_PLAYER:
      respond_text (msg, SOUP_STATUS_OK, "text/html; charset=utf-8",
          "no-cache", player_page (srv->mpd_name));
      break;
    case DASH_ROUTE_PLAYER_LIB:{
      gchar *data = NULL;
      gsize len = 0;
      if (srv->player_lib && g_file_get_contents (srv->player_lib, &data,
              &len, NULL)) {
        _soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
        _soup_message_headers_replace (_soup_server_message_get_response_headers
            (msg), "Cache-Control", "public, max-age=3600");
        _soup_server_message_set_response (msg, "text/javascript",
            SOUP_MEMORY_TAKE, data, len);
      } else {
        respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/javascript",
            "no-cache", g_strdup ("/* dash.js not installed: run "
                "scripts/install-npm-tools.sh and rebuild */\n"));
      }
      break;
    }
    case DASH_ROUTE_TIME:
      respond_text (msg, SOUP_STATUS_OK, "text/plain", "no-cache",
          mpd_format_date_time (g_get_real_time ()));
      break;
    case DASH_ROUTE_METRICS:
      respond_text (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4",
          "no-cache", srv->metrics ? srv->metrics (srv->metrics_data) :
          g_strdup (""));
      break;
    case DASH_ROUTE_FILE:
      handle_file (srv, msg, &route, head);
      break;
  }
}

/* --- thread ---------------------------------------------------------- */

/* Listens on @addr with a backlog fit for a live origin: a flash crowd of
 * viewers connecting in the same second must not wait for SYN
 * retransmits (GLib's default backlog is 10). */
static gboolean
listen_socket (HttpServer * srv, GSocketAddress * addr, GError ** error)
{
  GSocket *sock;
  gboolean ok;

  sock = g_socket_new (g_socket_address_get_family (addr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  g_socket_set_listen_backlog (sock, srv->listen_backlog);
  ok = g_socket_bind (sock, addr, TRUE, error) &&
      g_socket_listen (sock, error) &&
      _soup_server_listen_socket (srv->server, sock, 0, error);
  g_object_unref (sock);
  return ok;
}

static gpointer
server_thread (gpointer data)
{
  HttpServer *srv = data;
  GSocketAddress *addr = NULL;
  GError *err = NULL;
  GSource *tick;

  g_main_context_push_thread_default (srv->ctx);
  srv->server = _soup_server_new ("server-header", "dashlivesink ", NULL);
  _soup_server_add_handler (srv->server, NULL, handle_request, srv, NULL);
  addr = g_inet_socket_address_new_from_string (srv->address, srv->port);
  if (addr == NULL) {
    g_set_error (&err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid http-address \"%s\"", srv->address);
  } else {
    listen_socket (srv, addr, &err);
    g_object_unref (addr);
  }

  if (err == NULL) {
    /* the bound port, from the listening socket (libsoup 3.2's
     * soup_server_get_uris() leaks a GSocketAddress per call) */
    GSList *listeners = _soup_server_get_listeners (srv->server);
    if (listeners) {
      GSocketAddress *local =
          g_socket_get_local_address (listeners->data, NULL);
      if (G_IS_INET_SOCKET_ADDRESS (local))
        srv->port = g_inet_socket_address_get_port
            (G_INET_SOCKET_ADDRESS (local));
      g_clear_object (&local);
      g_slist_free (listeners);
    }
  }

  g_mutex_lock (&srv->lock);
  srv->start_error = err;
  srv->started = TRUE;
  g_cond_broadcast (&srv->cond);
  g_mutex_unlock (&srv->lock);

  if (err == NULL) {
    tick = g_timeout_source_new (TICK_MS);
    g_source_set_callback (tick, on_tick, srv, NULL);
    g_source_attach (tick, srv->ctx);
    g_main_loop_run (srv->loop);
    g_source_destroy (tick);
    g_source_unref (tick);
  }

  _soup_server_disconnect (srv->server);
  /* in-flight messages: finished handlers free them while the server
   * goes away; anything left is freed here */
  g_clear_object (&srv->server);
  while (g_main_context_iteration (srv->ctx, FALSE));
  g_list_free_full (srv->reqs, (GDestroyNotify) req_free);
  srv->reqs = NULL;
  g_main_context_pop_thread_default (srv->ctx);
  return NULL;
}

static void
http_server_free (HttpServer * srv)
{
  g_free (srv->dir);
  g_free (srv->address);
  g_free (srv->mpd_name);
  g_free (srv->player_lib);
  if (srv->loop)
    g_main_loop_unref (srv->loop);
  if (srv->ctx)
    g_main_context_unref (srv->ctx);
  http_routes_state_free (srv->state);
  if (srv->documents)
    g_hash_table_unref (srv->documents);
  g_mutex_clear (&srv->lock);
  g_cond_clear (&srv->cond);
  g_free (srv);
}

HttpServer *
http_server_start (const HttpServerConfig * cfg, GError ** error)
{
  HttpServer *srv;

  if (cfg->mpd_name == NULL || *cfg->mpd_name == '\0') {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "No MPD name for the player page");
    return NULL;
  }
  if (!dash_soup_load ("The embedded HTTP server (http-port)", error))
    return NULL;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (http_server_debug, "dashlivesink-http", 0,
        "dashlivesink's embedded HTTP server");
    g_once_init_leave (&debug_init, 1);
  }

  srv = g_new0 (HttpServer, 1);

  srv->dir = g_strdup (cfg->dir);
  srv->address = g_strdup (cfg->address ? cfg->address : "127.0.0.1");
  srv->port = cfg->port;
  srv->mpd_name = g_strdup (cfg->mpd_name);
  srv->player_lib = cfg->player_lib ? g_strdup (cfg->player_lib) :
      http_server_find_player_lib ();
  srv->seg_dur = cfg->segment_duration;
  srv->max_client_buffer = cfg->max_client_buffer ? cfg->max_client_buffer :
      32 * 1024 * 1024;
  srv->stall_timeout = cfg->stall_timeout ? cfg->stall_timeout :
      G_GUINT64_CONSTANT (10000000000);
  srv->metrics = cfg->metrics;
  srv->metrics_data = cfg->metrics_data;
  srv->listen_backlog = cfg->listen_backlog ? cfg->listen_backlog :
      HTTP_SERVER_DEFAULT_BACKLOG;
  srv->state = http_routes_state_new ();
  srv->documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  g_mutex_init (&srv->lock);
  g_cond_init (&srv->cond);
  srv->ctx = g_main_context_new ();
  srv->loop = g_main_loop_new (srv->ctx, FALSE);

  srv->thread = g_thread_new ("dashlivesink-http", server_thread, srv);
  g_mutex_lock (&srv->lock);
  while (!srv->started)
    g_cond_wait (&srv->cond, &srv->lock);
  g_mutex_unlock (&srv->lock);

  if (srv->start_error) {
    g_propagate_error (error, srv->start_error);
    srv->start_error = NULL;
    g_thread_join (srv->thread);
    http_server_free (srv);
    return NULL;
  }
  return srv;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
http_server_stop (HttpServer * srv)
{
  GSource *s;

  if (srv == NULL)
    return;
  s = g_idle_source_new ();
  g_source_set_callback (s, quit_loop, srv->loop, NULL);
  g_source_attach (s, srv->ctx);
  g_source_unref (s);
  g_thread_join (srv->thread);
  http_server_free (srv);
}

guint
http_server_get_port (HttpServer * srv)
{
  return srv->port;
}

void
http_server_get_stats (HttpServer * srv, HttpServerStats * stats)
{
  g_mutex_lock (&srv->lock);
  *stats = srv->stats;
  g_mutex_unlock (&srv->lock);
}

void
http_server_segment_started (HttpServer * srv, const gchar * rep,
    guint64 key, guint64 ahead, const gchar * tmp_name, const gchar * name)
{
  g_mutex_lock (&srv->lock);
  http_routes_state_segment_started (srv->state, rep, key, ahead, tmp_name,
      name);
  wake_locked (srv);
  g_mutex_unlock (&srv->lock);
}

void
http_server_chunk_written (HttpServer * srv, const gchar * rep,
    guint64 number, guint64 offset, guint64 size)
{
  GST_LOG ("chunk %s-%" G_GUINT64_FORMAT " [%" G_GUINT64_FORMAT ", %"
      G_GUINT64_FORMAT ") written", rep, number, offset, offset + size);
  g_mutex_lock (&srv->lock);
  http_routes_state_chunk_written (srv->state, rep, number, offset, size);
  wake_locked (srv);
  g_mutex_unlock (&srv->lock);
}

void
http_server_set_document (HttpServer * srv, const gchar * name, GBytes * bytes)
{
  g_mutex_lock (&srv->lock);
  if (bytes)
    g_hash_table_insert (srv->documents, g_strdup (name), g_bytes_ref (bytes));
  else
    g_hash_table_remove (srv->documents, name);
  g_mutex_unlock (&srv->lock);
}

void
http_server_file_published (HttpServer * srv, const gchar * name)
{
  g_mutex_lock (&srv->lock);
  http_routes_state_published (srv->state, name);
  wake_locked (srv);
  g_mutex_unlock (&srv->lock);
}
