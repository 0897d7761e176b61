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
#include "httplistener.h"
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
#define HLSJS_FILE_NAME "hls.min.js"

typedef enum
{
  REQ_FILE,                     /* complete body handed to soup */
  REQ_LIVE,                     /* segment being written, chunked */
  REQ_WAIT,                     /* announced segment not started yet, or
                                 * the next part (LL-HLS preload hint) */
  REQ_BLOCK,                    /* LL-HLS blocking playlist reload */
} ReqState;

/* LL-HLS: a playlist answered from memory, with its previous versions */
typedef struct _ServedPlaylist ServedPlaylist;
struct _ServedPlaylist
{
  GBytes *text, *delta;
  HlsPlaylistState state;
  guint64 version;
  ServedPlaylist *older;        /* at most DASH_HLS_VERSIONS_KEPT in all */
};

typedef struct
{
  HttpServer *srv;
  SoupServerMessage *msg;
  ReqState state;
  DashFileKind kind;
  gchar name[256];
  gboolean head;
  gboolean whole;               /* HTTP/1.0: no chunked transfer, a segment
                                 * in progress is answered once complete */
  gint fd;                      /* REQ_LIVE */
  guint64 sent;                 /* bytes of the file appended so far */
  guint64 wrote;                /* bytes of the body written to the socket */
  guint64 queued;               /* appended, not yet written to the socket */
  gint64 last_progress;         /* monotonic µs */
  gint64 deadline;              /* REQ_WAIT, REQ_BLOCK: monotonic µs */
  DashHlsDirectives directives; /* REQ_BLOCK */
  gulong wrote_id, finished_id;
  gboolean done;                /* body complete */
} Req;

struct _HttpServer
{
  gchar *dir, *address, *mpd_name, *player_lib, *hls_lib, *mount;
  guint port;
  guint64 seg_dur, max_client_buffer, stall_timeout;
  /* Cache-Control by DashFileKind (fewer than 8 kinds; any kind without
   * a policy of its own gets "no-cache") */
  gchar *cache_control[8];
  HttpServerMetricsFunc metrics;
  gpointer metrics_data;
  GstElement *scope;

  HttpListener *listener;
  GMainContext *ctx;            /* the listener's: the server thread */
  GList *reqs;                  /* Req, server thread only */
  GSource *tick;                /* server thread only */
  gint64 last_tick;             /* monotonic µs, server thread only */

  GMutex lock;                  /* protects what follows */
  GSource *wake;                /* pending on_wake, or NULL */
  DashServeState *state;
  GHashTable *documents;        /* name -> GBytes answered instead of a file */
  GHashTable *playlists;        /* name -> ServedPlaylist (LL-HLS) */
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

/* A player library: $@env, else the installed file, else (uninstalled)
 * the copy the build puts next to the plug-in */
static gchar *
find_lib (const gchar * env_name, const gchar * installed,
    const gchar * file_name)
{
  const gchar *env = g_getenv (env_name);
  gchar *dir, *path;

  if (env && *env)
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    return g_strdup (installed);
  dir = own_dir ();
  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, file_name, NULL);
  g_free (dir);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  return NULL;
}

gchar *
http_server_find_player_lib (void)
{
  return find_lib ("GST_LIVESTREAM_DASHJS", DASHJS_INSTALL_PATH,
      DASHJS_FILE_NAME);
}

gchar *
http_server_find_hls_lib (void)
{
  return find_lib ("GST_LIVESTREAM_HLSJS", HLSJS_INSTALL_PATH, HLSJS_FILE_NAME);
}

/* The player page for @mpd_name, from the resource.  The name goes into
 * an href (percent-encoded, then HTML-escaped) and into text. */
static gchar *
player_page (const gchar * mpd_name)
{
  GBytes *page = g_resource_lookup_data (dash_player_get_resource (),
      PLAYER_PAGE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  gchar *uri = g_uri_escape_string (mpd_name, "/", FALSE);
  /* relative: the page works at the root and under a mount */
  gchar *href = g_strdup (uri);
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

/* Cuts the connection: a chunked body ends without its terminating
 * chunk, so the client and any proxy on the way see an incomplete
 * response, never a complete (cacheable) one. */
static void
req_cut (Req * r)
{
  GSocket *sock = _soup_server_message_get_socket (r->msg);

  if (sock)
    g_socket_shutdown (sock, TRUE, TRUE, NULL);
  /* an open live body is ended: its terminating chunk then fails on the
   * closed socket (the peer already saw the connection end without it),
   * which finishes the message.  Until then nothing more is appended. */
  if (r->state == REQ_LIVE && !r->done)
    _soup_message_body_complete (_soup_server_message_get_response_body
        (r->msg));
  r->done = TRUE;
  _soup_server_message_unpause (r->msg);
}

/* Drops the connection of a client that does not keep up. */
static void
req_disconnect (Req * r, const gchar * why)
{
  GST_INFO ("%s: client %p dropped (%s): state %d, %" G_GUINT64_FORMAT
      " bytes queued, %" G_GUINT64_FORMAT " written, %" G_GUINT64_FORMAT
      " appended, body %s, last progress %" G_GINT64_FORMAT " ms ago",
      r->name, r, why, r->state, r->queued, r->wrote, r->sent,
      r->done ? "complete" : "open",
      (g_get_monotonic_time () - r->last_progress) / 1000);
  g_mutex_lock (&r->srv->lock);
  r->srv->stats.disconnected_slow++;
  g_mutex_unlock (&r->srv->lock);
  req_cut (r);
}

/* --- complete files -------------------------------------------------- */

/* Answers @bytes (taken) for @route: whole, or the Range asked for */
static void
serve_bytes (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, GBytes * bytes, const gchar * cache_control,
    gboolean head)
{
  SoupMessageHeaders *req_h = _soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);
  guint64 size = g_bytes_get_size (bytes), start = 0, end = 0;
  DashRangeResult rr;
  GBytes *body;
  Req *r;

  _soup_message_headers_replace (h, "Content-Type",
      http_routes_content_type (route->file_kind));
  _soup_message_headers_replace (h, "Cache-Control", cache_control ?
      cache_control : srv->cache_control[route->file_kind]);
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
    return;
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
}

/* Answers @route from the file on disk.  Returns FALSE if it does not
 * exist (nothing was answered). */
static gboolean
serve_file (HttpServer * srv, SoupServerMessage * msg, const DashRoute * route,
    gboolean head)
{
  gchar *path = g_build_filename (srv->dir, route->name, NULL);
  GMappedFile *mf;
  GBytes *bytes;

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
  serve_bytes (srv, msg, route, bytes, NULL, head);
  return TRUE;
}

/* --- LL-HLS ---------------------------------------------------------- */

static void
served_playlist_free (ServedPlaylist * p)
{
  while (p) {
    ServedPlaylist *older = p->older;
    g_bytes_unref (p->text);
    if (p->delta)
      g_bytes_unref (p->delta);
    g_free (p);
    p = older;
  }
}

/* The version of @p (the newest) to answer @d with (srv->lock held) */
static ServedPlaylist *
pick_version_locked (ServedPlaylist * p, const DashHlsDirectives * d)
{
  HlsPlaylistState states[DASH_HLS_VERSIONS_KEPT];
  ServedPlaylist *v[DASH_HLS_VERSIONS_KEPT];
  guint n = 0, i;

  for (; p && n < DASH_HLS_VERSIONS_KEPT; p = p->older)
    v[n++] = p;
  /* oldest first */
  for (i = 0; i < n; i++)
    states[i] = v[n - 1 - i]->state;
  return v[n - 1 - http_routes_hls_pick (states, n, d)];
}

static void
respond_status (HttpServer * srv, SoupServerMessage * msg, guint status,
    const gchar * text)
{
  respond_text (msg, status, "text/plain", "no-cache", g_strdup (text));
}

/* Answers playlist @route from memory with what @d asks for (the delta
 * update for _HLS_skip).  FALSE if the server has no such playlist. */
static gboolean
serve_playlist (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, const DashHlsDirectives * d, gboolean head)
{
  ServedPlaylist *p;
  GBytes *body;
  HlsPlaylistState st;
  gchar *cc;

  g_mutex_lock (&srv->lock);
  p = g_hash_table_lookup (srv->playlists, route->name);
  if (p == NULL) {
    g_mutex_unlock (&srv->lock);
    return FALSE;
  }
  /* the version that added what was asked for (one part at a time) */
  p = pick_version_locked (p, d);
  body = g_bytes_ref (d && d->skip && p->delta && !p->state.ended ? p->delta :
      p->text);
  if (body == p->delta)
    srv->stats.delta_updates++;
  st = p->state;
  g_mutex_unlock (&srv->lock);
  cc = http_routes_hls_cache_control (&st, d);
  serve_bytes (srv, msg, route, body, cc, head);
  g_free (cc);
  return TRUE;
}

/* A playlist request: from memory when the server has it (LL-HLS: maybe
 * held, maybe 400), else from the file.  FALSE if neither exists. */
static gboolean
handle_playlist (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, GHashTable * query, gboolean head)
{
  DashHlsDirectives d;
  DashHlsDecision dec = DASH_HLS_ANSWER;
  ServedPlaylist *p;
  gboolean parsed;
  Req *r;

  parsed = http_routes_parse_hls_directives (query ?
      g_hash_table_lookup (query, "_HLS_msn") : NULL,
      query ? g_hash_table_lookup (query, "_HLS_part") : NULL,
      query ? g_hash_table_lookup (query, "_HLS_skip") : NULL, &d);
  g_mutex_lock (&srv->lock);
  p = g_hash_table_lookup (srv->playlists, route->name);
  if (p && !parsed)
    dec = p->state.low_latency ? DASH_HLS_BAD_REQUEST : DASH_HLS_ANSWER;
  else if (p)
    dec = http_routes_hls_decide (&p->state, &d);
  if (dec == DASH_HLS_BAD_REQUEST)
    srv->stats.bad_requests++;
  else if (dec == DASH_HLS_HOLD)
    srv->stats.playlists_blocked++;
  g_mutex_unlock (&srv->lock);

  if (p == NULL)
    return serve_file (srv, msg, route, head);
  switch (dec) {
    case DASH_HLS_ANSWER:
      return serve_playlist (srv, msg, route, parsed ? &d : NULL, head);
    case DASH_HLS_BAD_REQUEST:
      respond_status (srv, msg, SOUP_STATUS_BAD_REQUEST,
          "bad delivery directives (_HLS_part without _HLS_msn, not a "
          "number, or too far ahead)\n");
      return TRUE;
    case DASH_HLS_HOLD:
      r = req_track (srv, msg, REQ_BLOCK, route, head);
      r->directives = d;
      g_mutex_lock (&srv->lock);
      r->deadline = g_get_monotonic_time () +
          (gint64) (http_routes_hls_hold (&p->state) / 1000);
      g_mutex_unlock (&srv->lock);
      GST_LOG ("%s: held for _HLS_msn=%" G_GUINT64_FORMAT " _HLS_part=%"
          G_GUINT64_FORMAT, route->name, d.msn, d.part);
      _soup_server_message_pause (msg);
      return TRUE;
  }
  return TRUE;
}

/* The bytes of a complete part (@range), from the segment's temporary
 * file while it is written, else from the segment; NULL if gone. */
static GBytes *
read_part (HttpServer * srv, const DashPartRange * range)
{
  const gchar *names[2] = { range->tmp_name, range->name };
  guint i;

  for (i = 0; i < 2; i++) {
    gchar *path;
    guint8 *data;
    gssize got = -1;
    gint fd;

    if (names[i] == NULL)
      continue;
    path = g_build_filename (srv->dir, names[i], NULL);
    fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
    g_free (path);
    if (fd < 0)
      continue;
    data = g_malloc (MAX (range->size, 1));
    got = pread (fd, data, range->size, range->offset);
    close (fd);
    if (got == (gssize) range->size)
      return g_bytes_new_take (data, range->size);
    g_free (data);
  }
  return NULL;
}

/* What a part request gets now */
static DashPartAvailability
lookup_part (HttpServer * srv, const gchar * name, DashPartRange * range)
{
  DashPartAvailability av = DASH_PART_NOT_FOUND;
  gchar *rep = NULL;
  guint64 number;
  guint index;

  memset (range, 0, sizeof (*range));
  if (!http_routes_parse_part_name (name, &rep, &number, &index))
    return DASH_PART_NOT_FOUND;
  g_mutex_lock (&srv->lock);
  av = http_routes_state_lookup_part (srv->state, rep, number, index, range);
  g_mutex_unlock (&srv->lock);
  g_free (rep);
  return av;
}

/* Answers a complete part; FALSE (nothing answered) if its bytes are gone */
static gboolean
serve_part (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, const DashPartRange * range, gboolean head)
{
  GBytes *bytes = read_part (srv, range);

  if (bytes == NULL)
    return FALSE;
  g_mutex_lock (&srv->lock);
  srv->stats.parts_served++;
  g_mutex_unlock (&srv->lock);
  serve_bytes (srv, msg, route, bytes, NULL, head);
  return TRUE;
}

static void
handle_part (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, gboolean head)
{
  DashPartRange range;
  Req *r;

  switch (lookup_part (srv, route->name, &range)) {
    case DASH_PART_READY:
      if (!serve_part (srv, msg, route, &range, head))
        not_found (srv, msg);
      break;
    case DASH_PART_WAIT:
      /* a preload hint: answered whole once the part is complete (no byte
       * of a part before all of it can go, RFC 8216bis 6.2.6) */
      r = req_track (srv, msg, REQ_WAIT, route, head);
      r->deadline = g_get_monotonic_time () +
          (gint64) MAX (2 * srv->seg_dur, G_GUINT64_CONSTANT (1000000000)) /
          1000;
      g_mutex_lock (&srv->lock);
      srv->stats.parts_waited++;
      g_mutex_unlock (&srv->lock);
      _soup_server_message_pause (msg);
      break;
    case DASH_PART_NOT_FOUND:
      not_found (srv, msg);
      break;
  }
  dash_part_range_clear (&range);
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
  struct stat sb;

  if (r->done)
    return;
  g_mutex_lock (&srv->lock);
  av = http_routes_state_lookup (srv->state, r->name, &live);
  target = av == DASH_AVAIL_LIVE ? live->complete : 0;
  g_mutex_unlock (&srv->lock);

  /* our file was unlinked: the segment was abandoned (and maybe started
   * again under the same name, in another file).  A truncated segment must
   * not look complete to a cache on the way: the response is cut, not
   * ended.  Published, it was renamed: our descriptor reads the same file. */
  if (fstat (r->fd, &sb) != 0 || sb.st_nlink == 0) {
    GST_DEBUG ("%s: abandoned while sent to %p: connection cut", r->name, r);
    req_cut (r);
    return;
  }
  if (av != DASH_AVAIL_LIVE) {
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
    req_disconnect (r, "over max-client-buffer");
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
      srv->cache_control[r->kind]);
  _soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
  g_mutex_lock (&srv->lock);
  srv->stats.live_responses++;
  g_mutex_unlock (&srv->lock);
  feed_live (srv, r);
  return TRUE;
}

/* Replaces the tracking of @r's message (a held request about to be
 * answered) by nothing: the answer tracks its own.  Returns the message,
 * with a reference. */
static SoupServerMessage *
req_untrack (HttpServer * srv, Req * r)
{
  SoupServerMessage *msg = g_object_ref (r->msg);

  srv->reqs = g_list_remove (srv->reqs, r);
  req_free (r);
  return msg;
}

/* A held part request: the part is complete, will not come, or the wait
 * is over */
static void
check_part_wait (HttpServer * srv, Req * r, gint64 now)
{
  DashPartRange range;
  DashPartAvailability av = lookup_part (srv, r->name, &range);
  SoupServerMessage *msg;
  DashRoute route;

  if (av == DASH_PART_WAIT && now < r->deadline) {
    dash_part_range_clear (&range);
    return;
  }
  memset (&route, 0, sizeof (route));
  route.kind = DASH_ROUTE_FILE;
  route.file_kind = r->kind;
  g_strlcpy (route.name, r->name, sizeof (route.name));
  msg = req_untrack (srv, r);
  if (av != DASH_PART_READY || !serve_part (srv, msg, &route, &range, FALSE)) {
    if (av == DASH_PART_WAIT) {
      g_mutex_lock (&srv->lock);
      srv->stats.wait_timeouts++;
      g_mutex_unlock (&srv->lock);
    }
    not_found (srv, msg);
  }
  _soup_server_message_unpause (msg);
  g_object_unref (msg);
  dash_part_range_clear (&range);
}

/* A held playlist request: the playlist lists what it asked for, or the
 * hold is over (503) */
static void
check_block (HttpServer * srv, Req * r, gint64 now)
{
  DashHlsDecision dec = DASH_HLS_ANSWER;
  ServedPlaylist *p;
  SoupServerMessage *msg;
  DashRoute route;
  DashHlsDirectives d = r->directives;
  gboolean head = r->head;

  g_mutex_lock (&srv->lock);
  p = g_hash_table_lookup (srv->playlists, r->name);
  if (p)
    dec = http_routes_hls_decide (&p->state, &d);
  if (dec == DASH_HLS_HOLD && now >= r->deadline)
    srv->stats.playlist_timeouts++;
  g_mutex_unlock (&srv->lock);
  if (dec == DASH_HLS_HOLD && now < r->deadline)
    return;

  memset (&route, 0, sizeof (route));
  route.kind = DASH_ROUTE_FILE;
  route.file_kind = r->kind;
  g_strlcpy (route.name, r->name, sizeof (route.name));
  msg = req_untrack (srv, r);
  if (dec == DASH_HLS_HOLD)
    respond_status (srv, msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "the playlist did not reach what was asked for in three target "
        "durations\n");
  else if (dec == DASH_HLS_BAD_REQUEST)
    respond_status (srv, msg, SOUP_STATUS_BAD_REQUEST, "too far ahead\n");
  else if (!serve_playlist (srv, msg, &route, &d, head)
      && !serve_file (srv, msg, &route, head))
    not_found (srv, msg);
  _soup_server_message_unpause (msg);
  g_object_unref (msg);
}

/* An announced name that was never written (the segment started
 * elsewhere): @name (of @size bytes) becomes the segment's that started
 * instead (LOCK) */
static gboolean
alias_locked (HttpServer * srv, gchar * name, gsize size)
{
  gchar *real = http_routes_state_alias (srv->state, name);

  if (real == NULL)
    return FALSE;
  GST_INFO ("%s: announced, started as %s: answered with it", name, real);
  g_strlcpy (name, real, size);
  g_free (real);
  srv->stats.aliased++;
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
  if (av == DASH_AVAIL_FILE && alias_locked (srv, r->name, sizeof (r->name)))
    av = http_routes_state_lookup (srv->state, r->name, &live);
  /* the temporary file exists once the first chunk is written; an
   * HTTP/1.0 client waits for the complete segment */
  if (av == DASH_AVAIL_LIVE && (live->complete == 0 || r->whole))
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
    else if (r->state == REQ_WAIT && r->kind == DASH_FILE_PART)
      check_part_wait (srv, r, now);
    else if (r->state == REQ_WAIT)
      check_wait (srv, r, now);
    else if (r->state == REQ_BLOCK)
      check_block (srv, r, now);
  }
}

static gboolean
on_wake (gpointer data)
{
  HttpServer *srv = data;

  g_mutex_lock (&srv->lock);
  g_clear_pointer (&srv->wake, g_source_unref);
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

  /* a server thread that did not run for a while (a starved machine, or
   * something blocking it) makes every client look stalled */
  if (srv->last_tick && now - srv->last_tick > 1000 * G_GINT64_CONSTANT (1000))
    GST_WARNING ("server thread late: %" G_GINT64_FORMAT " ms since the "
        "last tick, %u requests open", (now - srv->last_tick) / 1000,
        g_list_length (srv->reqs));
  srv->last_tick = now;
  feed_all (srv);
  for (l = srv->reqs; l; l = next) {
    Req *r = l->data;
    next = l->next;
    if (r->state == REQ_WAIT || r->state == REQ_BLOCK)
      continue;
    /* a client that has not read anything for stall-timeout while data
     * waits for it is dropped; a live segment whose writer went silent
     * for twice as long is cut.  (feed_all above may have started
     * responses after @now was read: their progress is newer than @now.) */
    if (r->head || (r->done && r->queued == 0))
      continue;
    switch (http_routes_client_state (now, r->last_progress, r->queued,
            r->state == REQ_LIVE && !r->done, srv->stall_timeout)) {
      case DASH_CLIENT_STALLED:
        req_disconnect (r, "no progress for stall-timeout");
        break;
      case DASH_CLIENT_SOURCE_SILENT:
        /* the segment never completed: cut, as for an abandoned one */
        GST_DEBUG ("%s: writer silent, response to %p cut", r->name, r);
        req_cut (r);
        break;
      case DASH_CLIENT_OK:
        break;
    }
  }
  return G_SOURCE_CONTINUE;
}

/* Called with srv->lock held, from any thread. */
static void
wake_locked (HttpServer * srv)
{
  if (srv->wake || srv->ctx == NULL)
    return;
  /* a reference kept until it ran: unmounting destroys it */
  srv->wake = g_idle_source_new ();
  g_source_set_priority (srv->wake, G_PRIORITY_HIGH);
  g_source_set_callback (srv->wake, on_wake, srv, NULL);
  g_source_attach (srv->wake, srv->ctx);
}

/* --- the handler ----------------------------------------------------- */

static void
handle_file (HttpServer * srv, SoupServerMessage * msg,
    const DashRoute * route, GHashTable * query, gboolean head)
{
  const DashLiveSegment *live = NULL;
  DashAvailability av;
  DashRoute aliased;
  gchar *tmp = NULL;
  Req *r;
  /* HTTP/1.0 has no chunked transfer: a body streamed to such a client
   * (or proxy) ends with the connection, and a cut one would look
   * complete.  It gets a segment in progress once complete, whole. */
  gboolean whole =
      _soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0;

  if (route->file_kind == DASH_FILE_PART) {
    handle_part (srv, msg, route, head);
    return;
  }
  if (route->file_kind == DASH_FILE_PLAYLIST) {
    if (!handle_playlist (srv, msg, route, query, head))
      not_found (srv, msg);
    return;
  }

  g_mutex_lock (&srv->lock);
  av = route->file_kind == DASH_FILE_SEGMENT ?
      http_routes_state_lookup (srv->state, route->name, &live) :
      DASH_AVAIL_FILE;
  if (av == DASH_AVAIL_FILE && route->file_kind == DASH_FILE_SEGMENT) {
    aliased = *route;
    if (alias_locked (srv, aliased.name, sizeof (aliased.name))) {
      route = &aliased;
      av = http_routes_state_lookup (srv->state, route->name, &live);
    }
  }
  if (av == DASH_AVAIL_LIVE && (live->complete == 0 || whole))
    av = DASH_AVAIL_WAIT;       /* no chunk written yet, or HTTP/1.0 */
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
      r->whole = whole;
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

/* /metrics of the site: its pipeline and its own series */
static gchar *
site_metrics (HttpServer * srv)
{
  LivestreamMetrics *m = livestream_metrics_new ();

  if (srv->scope)
    livestream_metrics_add_pipeline (m, srv->scope);
  if (srv->metrics)
    srv->metrics (m, srv->metrics_data);
  return livestream_metrics_finish (m);
}

/* A request below the site's mount (HttpMountHandler) */
static void
handle_request (SoupServerMessage * msg, const gchar * path,
    GHashTable * query, gpointer user_data)
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
    case DASH_ROUTE_PLAYER_LIB:
    case DASH_ROUTE_PLAYER_HLS_LIB:{
      gboolean hls = route.kind == DASH_ROUTE_PLAYER_HLS_LIB;
      const gchar *lib = hls ? srv->hls_lib : srv->player_lib;
      gchar *data = NULL;
      gsize len = 0;
      if (lib && g_file_get_contents (lib, &data, &len, NULL)) {
        _soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
        _soup_message_headers_replace (_soup_server_message_get_response_headers
            (msg), "Cache-Control", "public, max-age=3600");
        _soup_server_message_set_response (msg, "text/javascript",
            SOUP_MEMORY_TAKE, data, len);
      } else {
        respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/javascript",
            "no-cache", g_strdup_printf ("/* %s not installed: run "
                "scripts/install-npm-tools.sh and rebuild */\n",
                hls ? "hls.js" : "dash.js"));
      }
      break;
    }
    case DASH_ROUTE_TIME:
      respond_text (msg, SOUP_STATUS_OK, "text/plain", "no-cache",
          mpd_format_date_time (g_get_real_time ()));
      break;
    case DASH_ROUTE_METRICS:
      respond_text (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4",
          "no-cache", site_metrics (srv));
      break;
    case DASH_ROUTE_FILE:
      handle_file (srv, msg, &route, query, head);
      break;
  }
}

/* --- mount ----------------------------------------------------------- */

static void
site_add_metrics (LivestreamMetrics * m, gpointer data)
{
  HttpServer *srv = data;

  if (srv->metrics)
    srv->metrics (m, srv->metrics_data);
}

/* Unmounting (HttpMountDetach, server thread): every request still in
 * flight is finished as it is and forgotten; no source of ours is left
 * on the listener's context. */
static void
site_detach (gpointer data)
{
  HttpServer *srv = data;
  GList *reqs = srv->reqs, *l;

  srv->reqs = NULL;
  for (l = reqs; l; l = l->next) {
    Req *r = l->data;
    if (r->state == REQ_LIVE && !r->done) {
      /* cut, never completed: a proxy must not keep a segment that
       * ends here as if it were whole */
      req_cut (r);
    } else if (r->state == REQ_WAIT || r->state == REQ_BLOCK) {
      respond_text (r->msg, SOUP_STATUS_NOT_FOUND, "text/plain", "no-cache",
          g_strdup ("not found\n"));
      _soup_server_message_unpause (r->msg);
    }
    req_free (r);
  }
  g_list_free (reqs);
  if (srv->tick) {
    g_source_destroy (srv->tick);
    g_clear_pointer (&srv->tick, g_source_unref);
  }
  g_mutex_lock (&srv->lock);
  if (srv->wake) {
    g_source_destroy (srv->wake);
    g_clear_pointer (&srv->wake, g_source_unref);
  }
  srv->ctx = NULL;
  g_mutex_unlock (&srv->lock);
}

static gboolean
site_detach_cb (gpointer data)
{
  site_detach (data);
  return G_SOURCE_REMOVE;
}

static gboolean
site_attach (gpointer data)
{
  HttpServer *srv = data;

  srv->tick = g_timeout_source_new (TICK_MS);
  g_source_set_callback (srv->tick, on_tick, srv, NULL);
  g_source_attach (srv->tick, srv->ctx);
  return G_SOURCE_REMOVE;
}

static void
http_server_free (HttpServer * srv)
{
  g_free (srv->dir);
  g_free (srv->address);
  g_free (srv->mpd_name);
  g_free (srv->player_lib);
  g_free (srv->mount);
  g_free (srv->hls_lib);
  for (guint i = 0; i < G_N_ELEMENTS (srv->cache_control); i++)
    g_free (srv->cache_control[i]);
  if (srv->scope)
    gst_object_unref (srv->scope);
  http_routes_state_free (srv->state);
  if (srv->documents)
    g_hash_table_unref (srv->documents);
  if (srv->playlists)
    g_hash_table_unref (srv->playlists);
  g_mutex_clear (&srv->lock);
  g_free (srv);
}

HttpServer *
http_server_start (const HttpServerConfig * cfg, GError ** error)
{
  HttpServer *srv;
  HttpMountConfig mc = { 0, };

  if (cfg->mpd_name == NULL || *cfg->mpd_name == '\0') {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "No MPD name for the player page");
    return NULL;
  }
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (http_server_debug, "dashlivesink-http", 0,
        "dashlivesink's embedded HTTP server");
    g_once_init_leave (&debug_init, 1);
  }

  srv = g_new0 (HttpServer, 1);

  srv->dir = g_strdup (cfg->dir);
  srv->address = g_strdup (cfg->address ? cfg->address : "127.0.0.1");
  srv->mpd_name = g_strdup (cfg->mpd_name);
  srv->mount = g_strdup (cfg->mount ? cfg->mount : "");
  if (g_str_has_suffix (srv->mount, "/"))
    srv->mount[strlen (srv->mount) - 1] = '\0';
  srv->player_lib = cfg->player_lib ? g_strdup (cfg->player_lib) :
      http_server_find_player_lib ();
  srv->hls_lib = cfg->hls_lib ? g_strdup (cfg->hls_lib) :
      http_server_find_hls_lib ();
  srv->seg_dur = cfg->segment_duration;
  {
    DashCachePolicy policy = { cfg->segment_duration, cfg->dvr_window };
    for (guint i = 0; i < G_N_ELEMENTS (srv->cache_control); i++)
      srv->cache_control[i] = http_routes_cache_control_for (i, &policy);
  }
  srv->max_client_buffer = cfg->max_client_buffer ? cfg->max_client_buffer :
      32 * 1024 * 1024;
  srv->stall_timeout = cfg->stall_timeout ? cfg->stall_timeout :
      G_GUINT64_CONSTANT (10000000000);
  srv->metrics = cfg->metrics;
  srv->metrics_data = cfg->metrics_data;
  srv->scope = cfg->scope ? gst_object_ref (cfg->scope) : NULL;
  srv->state = http_routes_state_new ();
  srv->documents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  srv->playlists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) served_playlist_free);
  g_mutex_init (&srv->lock);

  srv->listener = http_listener_acquire (srv->address, cfg->port,
      cfg->listen_backlog ? cfg->listen_backlog : HTTP_SERVER_DEFAULT_BACKLOG,
      error);
  if (srv->listener == NULL) {
    http_server_free (srv);
    return NULL;
  }
  srv->port = http_listener_get_port (srv->listener);
  srv->ctx = http_listener_get_context (srv->listener);
  http_listener_invoke_sync (srv->listener, site_attach, srv);

  mc.prefix = srv->mount;
  mc.handler = handle_request;
  mc.metrics = site_add_metrics;
  mc.detach = site_detach;
  mc.scope = srv->scope;
  mc.user_data = srv;
  if (!http_listener_mount (srv->listener, &mc, error)) {
    http_listener_invoke_sync (srv->listener, site_detach_cb, srv);
    http_listener_release (srv->listener);
    http_server_free (srv);
    return NULL;
  }
  return srv;
}

void
http_server_stop (HttpServer * srv)
{
  if (srv == NULL)
    return;
  http_listener_unmount (srv->listener, srv->mount);
  http_listener_release (srv->listener);
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
http_server_set_playlist (HttpServer * srv, const gchar * name,
    guint64 version, const gchar * text, const gchar * delta,
    const HlsPlaylistState * state)
{
  ServedPlaylist *p, *old, *v;
  guint n;

  g_mutex_lock (&srv->lock);
  old = g_hash_table_lookup (srv->playlists, name);
  if (old && old->version > version) {
    g_mutex_unlock (&srv->lock);
    return;
  }
  p = g_new0 (ServedPlaylist, 1);
  p->text = g_bytes_new (text, strlen (text));
  p->delta = delta ? g_bytes_new (delta, strlen (delta)) : NULL;
  p->state = *state;
  p->version = version;
  if (old) {
    /* the table's reference moves to the new one */
    gchar *key = NULL;
    g_hash_table_steal_extended (srv->playlists, name, (gpointer *) & key,
        NULL);
    g_free (key);
    p->older = old;
    for (v = p, n = 1; v->older && n < DASH_HLS_VERSIONS_KEPT; v = v->older)
      n++;
    g_clear_pointer (&v->older, served_playlist_free);
  }
  g_hash_table_replace (srv->playlists, g_strdup (name), p);
  wake_locked (srv);
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
