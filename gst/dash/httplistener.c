/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The shared HTTP listener.  See httplistener.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gio/gio.h>

#include "httplistener.h"
#include "mpdmodel.h"

GST_DEBUG_CATEGORY_STATIC (http_listener_debug);
#define GST_CAT_DEFAULT http_listener_debug
static gsize debug_init;

typedef struct
{
  gchar *prefix;
  HttpMountHandler handler;
  HttpMountMetrics metrics;
  HttpMountDetach detach;
  GstElement *scope;            /* a reference */
  gpointer user_data;
} Mount;

struct _HttpListener
{
  gchar *key;                   /* "address|port"; NULL: private (port 0) */
  gchar *address;
  guint port;
  guint backlog;
  gint refcount;                /* registry_lock */

  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  SoupServer *server;           /* listener thread only */
  GList *mounts;                /* Mount, listener thread only */

  GMutex lock;                  /* start handshake */
  GCond cond;
  gboolean started;
  GError *start_error;
};

/* listeners by "address|port" */
static GMutex registry_lock;
static GHashTable *registry;

/* ------------------------------------------------------------------ */

static void
mount_free (Mount * m)
{
  g_free (m->prefix);
  if (m->scope)
    gst_object_unref (m->scope);
  g_free (m);
}

void
http_listener_respond_text (SoupServerMessage * msg, guint status,
    const gchar * content_type, const gchar * cache_control, gchar * body)
{
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);

  _soup_server_message_set_status (msg, status, NULL);
  if (cache_control)
    _soup_message_headers_replace (h, "Cache-Control", cache_control);
  _soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE,
      body, body ? strlen (body) : 0);
}

/* The mount whose prefix is the longest one that @path starts with (as
 * whole segments) */
static Mount *
find_mount (HttpListener * l, const gchar * path, const gchar ** rest)
{
  Mount *best = NULL;
  gsize best_len = 0;
  GList *it;

  for (it = l->mounts; it; it = it->next) {
    Mount *m = it->data;
    gsize n = strlen (m->prefix);

    if (best && n <= best_len)
      continue;
    if (strncmp (path, m->prefix, n) != 0)
      continue;
    if (path[n] != '/' && path[n] != '\0')
      continue;
    best = m;
    best_len = n;
  }
  if (best)
    *rest = path + best_len;
  return best;
}

static gchar *
render_metrics (HttpListener * l)
{
  LivestreamMetrics *metrics = livestream_metrics_new ();
  GList *it;

  for (it = l->mounts; it; it = it->next) {
    Mount *m = it->data;
    if (m->scope)
      livestream_metrics_add_pipeline (metrics, m->scope);
  }
  for (it = l->mounts; it; it = it->next) {
    Mount *m = it->data;
    if (m->metrics)
      m->metrics (metrics, m->user_data);
  }
  return livestream_metrics_finish (metrics);
}

static void
handle_request (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  HttpListener *l = user_data;
  const gchar *rest = NULL;
  Mount *m;
  SoupMessageHeaders *h = _soup_server_message_get_response_headers (msg);

  m = find_mount (l, path, &rest);
  /* the listener's own resources, unless the root mount is the only
   * one: then it is a single site as before, and answers them itself */
  if (g_str_equal (path, "/time") || g_str_equal (path, "/metrics")) {
    if (m == NULL || *m->prefix != '\0' || l->mounts->next) {
      const gchar *method = _soup_server_message_get_method (msg);
      _soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
      if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0) {
        _soup_message_headers_replace (h, "Allow", "GET, HEAD");
        http_listener_respond_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
            "text/plain", NULL, g_strdup ("method not allowed\n"));
      } else if (path[1] == 't') {
        http_listener_respond_text (msg, SOUP_STATUS_OK, "text/plain",
            "no-cache", mpd_format_date_time (g_get_real_time ()));
      } else {
        http_listener_respond_text (msg, SOUP_STATUS_OK,
            "text/plain; version=0.0.4", "no-cache", render_metrics (l));
      }
      return;
    }
  }
  if (m == NULL) {
    _soup_message_headers_replace (h, "Access-Control-Allow-Origin", "*");
    http_listener_respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/plain",
        "no-cache", g_strdup ("not found\n"));
    return;
  }
  if (*rest == '\0') {
    /* "/live/a": the player page's relative URLs need the slash */
    gchar *loc = g_strconcat (path, "/", NULL);
    _soup_message_headers_replace (h, "Location", loc);
    g_free (loc);
    http_listener_respond_text (msg, SOUP_STATUS_MOVED_PERMANENTLY,
        "text/plain", NULL, g_strdup ("moved\n"));
    return;
  }
  m->handler (msg, rest, query, m->user_data);
}

/* ------------------------------------------------------------------ */
/* the thread */

/* Listens on @addr with a backlog fit for a live origin: a flash crowd of
 * viewers connecting in the same second must not wait for SYN
 * retransmits (GLib's default backlog is 10). */
static gboolean
listen_socket (HttpListener * l, GSocketAddress * addr, GError ** error)
{
  GSocket *sock;
  gboolean ok;

  sock = g_socket_new (g_socket_address_get_family (addr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  g_socket_set_listen_backlog (sock, l->backlog);
  ok = g_socket_bind (sock, addr, TRUE, error) &&
      g_socket_listen (sock, error) &&
      _soup_server_listen_socket (l->server, sock, 0, error);
  g_object_unref (sock);
  return ok;
}

static gpointer
listener_thread (gpointer data)
{
  HttpListener *l = data;
  GSocketAddress *addr;
  GError *err = NULL;

  g_main_context_push_thread_default (l->ctx);
  l->server = _soup_server_new ("server-header", "dashlivesink ", NULL);
  _soup_server_add_handler (l->server, NULL, handle_request, l, NULL);
  addr = g_inet_socket_address_new_from_string (l->address, l->port);
  if (addr == NULL) {
    g_set_error (&err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid http-address \"%s\"", l->address);
  } else {
    listen_socket (l, addr, &err);
    g_object_unref (addr);
  }
  if (err == NULL) {
    /* the bound port, from the listening socket (libsoup 3.2's
     * soup_server_get_uris() leaks a GSocketAddress per call) */
    GSList *listeners = _soup_server_get_listeners (l->server);
    if (listeners) {
      GSocketAddress *local =
          g_socket_get_local_address (listeners->data, NULL);
      if (G_IS_INET_SOCKET_ADDRESS (local))
        l->port = g_inet_socket_address_get_port
            (G_INET_SOCKET_ADDRESS (local));
      g_clear_object (&local);
      g_slist_free (listeners);
    }
  }

  g_mutex_lock (&l->lock);
  l->start_error = err;
  l->started = TRUE;
  g_cond_broadcast (&l->cond);
  g_mutex_unlock (&l->lock);

  if (err == NULL)
    g_main_loop_run (l->loop);

  _soup_server_disconnect (l->server);
  g_clear_object (&l->server);
  while (g_main_context_iteration (l->ctx, FALSE));
  g_main_context_pop_thread_default (l->ctx);
  return NULL;
}

static void
listener_free (HttpListener * l)
{
  g_free (l->key);
  g_free (l->address);
  g_list_free_full (l->mounts, (GDestroyNotify) mount_free);
  if (l->loop)
    g_main_loop_unref (l->loop);
  if (l->ctx)
    g_main_context_unref (l->ctx);
  g_mutex_clear (&l->lock);
  g_cond_clear (&l->cond);
  g_free (l);
}

static HttpListener *
listener_start (const gchar * address, guint port, guint backlog,
    GError ** error)
{
  HttpListener *l = g_new0 (HttpListener, 1);

  l->address = g_strdup (address);
  l->port = port;
  l->backlog = backlog;
  l->refcount = 1;
  g_mutex_init (&l->lock);
  g_cond_init (&l->cond);
  l->ctx = g_main_context_new ();
  l->loop = g_main_loop_new (l->ctx, FALSE);
  l->thread = g_thread_new ("livestream-http", listener_thread, l);
  g_mutex_lock (&l->lock);
  while (!l->started)
    g_cond_wait (&l->cond, &l->lock);
  g_mutex_unlock (&l->lock);
  if (l->start_error) {
    g_propagate_error (error, l->start_error);
    l->start_error = NULL;
    g_thread_join (l->thread);
    listener_free (l);
    return NULL;
  }
  GST_INFO ("listening on %s:%u", address, l->port);
  return l;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
listener_stop (HttpListener * l)
{
  GSource *s = g_idle_source_new ();

  g_source_set_callback (s, quit_loop, l->loop, NULL);
  g_source_attach (s, l->ctx);
  g_source_unref (s);
  g_thread_join (l->thread);
  GST_INFO ("stopped listening on %s:%u", l->address, l->port);
  listener_free (l);
}

HttpListener *
http_listener_acquire (const gchar * address, guint port, guint backlog,
    GError ** error)
{
  HttpListener *l;
  gchar *key;

  if (!dash_soup_load ("The embedded HTTP server (http-port)", error))
    return NULL;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (http_listener_debug, "livestream-http", 0,
        "the shared HTTP listener of the livestream plug-ins");
    g_once_init_leave (&debug_init, 1);
  }
  if (address == NULL || *address == '\0')
    address = "127.0.0.1";
  if (port == 0)
    return listener_start (address, 0, backlog, error);

  key = g_strdup_printf ("%s|%u", address, port);
  /* held while a listener starts or stops, so that a new one never binds
   * while the old one of the same port still listens */
  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  l = g_hash_table_lookup (registry, key);
  if (l) {
    l->refcount++;
    g_free (key);
  } else if ((l = listener_start (address, port, backlog, error))) {
    l->key = key;
    g_hash_table_insert (registry, l->key, l);
  } else {
    g_free (key);
  }
  g_mutex_unlock (&registry_lock);
  return l;
}

void
http_listener_release (HttpListener * l)
{
  if (l == NULL)
    return;
  if (l->key == NULL) {
    listener_stop (l);
    return;
  }
  g_mutex_lock (&registry_lock);
  if (--l->refcount == 0) {
    g_hash_table_remove (registry, l->key);
    listener_stop (l);
  }
  g_mutex_unlock (&registry_lock);
}

guint
http_listener_get_port (HttpListener * l)
{
  return l->port;
}

GMainContext *
http_listener_get_context (HttpListener * l)
{
  return l->ctx;
}

/* ------------------------------------------------------------------ */
/* calls on the listener thread */

typedef struct
{
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
run_sync_call (gpointer data)
{
  SyncCall *c = data;

  c->func (c->data);
  g_mutex_lock (&c->lock);
  c->done = TRUE;
  g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);
  return G_SOURCE_REMOVE;
}

void
http_listener_invoke_sync (HttpListener * l, GSourceFunc func, gpointer data)
{
  SyncCall c = { func, data, };
  GSource *s;

  if (g_main_context_is_owner (l->ctx)) {
    func (data);
    return;
  }
  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  s = g_idle_source_new ();
  g_source_set_priority (s, G_PRIORITY_HIGH);
  g_source_set_callback (s, run_sync_call, &c, NULL);
  g_source_attach (s, l->ctx);
  g_source_unref (s);
  g_mutex_lock (&c.lock);
  while (!c.done)
    g_cond_wait (&c.cond, &c.lock);
  g_mutex_unlock (&c.lock);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
}

typedef struct
{
  HttpListener *l;
  Mount *mount;
  const gchar *prefix;
  gboolean ok;
} MountCall;

static gboolean
do_mount (gpointer data)
{
  MountCall *c = data;
  GList *it;

  for (it = c->l->mounts; it; it = it->next)
    if (g_str_equal (((Mount *) it->data)->prefix, c->mount->prefix))
      return G_SOURCE_REMOVE;
  c->l->mounts = g_list_append (c->l->mounts, c->mount);
  c->ok = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
valid_prefix (const gchar * p)
{
  if (*p == '\0')
    return TRUE;
  if (p[0] != '/' || g_str_has_suffix (p, "/") || strstr (p, "//"))
    return FALSE;
  for (; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("/-_.~", *p))
      return FALSE;
  return TRUE;
}

gboolean
http_listener_mount (HttpListener * l, const HttpMountConfig * cfg,
    GError ** error)
{
  MountCall c = { l, };
  const gchar *prefix = cfg->prefix ? cfg->prefix : "";

  if (!valid_prefix (prefix) || strstr (prefix, "/.")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid mount \"%s\": \"\" or \"/name[/name...]\" (letters, digits, "
        "-_.~)", prefix);
    return FALSE;
  }
  c.mount = g_new0 (Mount, 1);
  c.mount->prefix = g_strdup (prefix);
  c.mount->handler = cfg->handler;
  c.mount->metrics = cfg->metrics;
  c.mount->detach = cfg->detach;
  c.mount->scope = cfg->scope ? gst_object_ref (cfg->scope) : NULL;
  c.mount->user_data = cfg->user_data;
  http_listener_invoke_sync (l, do_mount, &c);
  if (!c.ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "%s:%u already serves \"%s/\"", l->address, l->port, prefix);
    mount_free (c.mount);
    return FALSE;
  }
  GST_INFO ("%s:%u: mounted \"%s/\"", l->address, l->port, prefix);
  return TRUE;
}

static gboolean
do_unmount (gpointer data)
{
  MountCall *c = data;
  GList *it;

  for (it = c->l->mounts; it; it = it->next) {
    Mount *m = it->data;
    if (g_str_equal (m->prefix, c->prefix)) {
      c->l->mounts = g_list_delete_link (c->l->mounts, it);
      if (m->detach)
        m->detach (m->user_data);
      mount_free (m);
      c->ok = TRUE;
      break;
    }
  }
  return G_SOURCE_REMOVE;
}

void
http_listener_unmount (HttpListener * l, const gchar * prefix)
{
  MountCall c = { l, NULL, prefix ? prefix : "", };

  http_listener_invoke_sync (l, do_unmount, &c);
  if (c.ok)
    GST_INFO ("%s:%u: unmounted \"%s/\"", l->address, l->port, c.prefix);
}
