/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One HTTP/1.1 server (libsoup-3.0 SoupServer) per listening address and
 * port in the process, on its own thread and GMainContext, shared by
 * everything that serves on that port: each dashlivesink (a site,
 * httpserver.c) and each livestreamapi element *mounts* itself under a
 * path prefix ("/live/cam1", "/api"; "" is the root) and gets the
 * requests below it, with the prefix taken off the path.  The listener
 * itself answers /time (the players' clock) and /metrics (Prometheus text
 * of every pipeline that has a mount, and of every mount); a path that no
 * mount claims is 404.
 *
 *   application threads          listener thread ("livestream-http")
 *   ───────────────────          ─────────────────────────────────────
 *   acquire (address, port) ──>  bind, listen, run the main loop
 *   mount (prefix, handler) ──>  (invoke, wait)  table += mount
 *                                request: longest prefix -> handler
 *   unmount (prefix) ───────>    (invoke, wait)  detach(): the mount
 *                                finishes its paused requests; gone
 *   release ────────────────>    last one: quit, join, close
 *
 * Mount handlers, detach and metrics callbacks all run on the listener
 * thread, so a mount's request state needs no lock against them; the
 * mount table is only touched there.  The process-wide table of
 * listeners is protected by a global mutex.  Port 0 asks for a private
 * listener on a free port (never shared). */

#ifndef __HTTP_LISTENER_H__
#define __HTTP_LISTENER_H__

#include <gst/gst.h>
#include "souploader.h"
#include "livestreammetrics.h"

G_BEGIN_DECLS typedef struct _HttpListener HttpListener;

/* A request below the mount's prefix.  @path starts with '/' (the
 * prefix taken off; "/live/a" itself is redirected to "/live/a/");
 * @query: the decoded query string (libsoup's), or NULL.  The handler
 * answers @msg, or pauses it and answers later on this thread. */
typedef void (*HttpMountHandler) (SoupServerMessage * msg, const gchar * path,
    GHashTable * query, gpointer user_data);
/* Adds the mount's own series to @metrics. */
typedef void (*HttpMountMetrics) (LivestreamMetrics * metrics,
    gpointer user_data);
/* The mount is being removed: finish (answer and unpause) every request
 * it paused and forget them; after it returns no callback of the mount
 * is called again. */
typedef void (*HttpMountDetach) (gpointer user_data);

typedef struct
{
  const gchar *prefix;          /* "" (root) or "/a/b": no trailing '/' */
  HttpMountHandler handler;
  HttpMountMetrics metrics;     /* NULL: none */
  HttpMountDetach detach;       /* NULL: nothing to finish */
  GstElement *scope;            /* /metrics shows its pipeline; NULL: none */
  gpointer user_data;
} HttpMountConfig;

/* The listener of @address:@port, started if this is the first user.
 * @backlog: the listen backlog when it starts here.  Errors:
 * G_IO_ERROR_INVALID_ARGUMENT (not an address), the bind error, or
 * DASH_SOUP_ERROR when libsoup-3 cannot be loaded. */
HttpListener *http_listener_acquire (const gchar * address, guint port,
    guint backlog, GError ** error);
/* The last release stops the thread and closes the socket. */
void http_listener_release (HttpListener * listener);

guint http_listener_get_port (HttpListener * listener);
GMainContext *http_listener_get_context (HttpListener * listener);

/* FALSE (G_IO_ERROR_EXISTS) if @config->prefix is mounted already, or
 * G_IO_ERROR_INVALID_ARGUMENT for a prefix that is not "" or "/seg..."
 * made of URL path characters. */
gboolean http_listener_mount (HttpListener * listener,
    const HttpMountConfig * config, GError ** error);
/* Detaches and removes the mount; returns when it is gone.  Not from the
 * listener thread. */
void http_listener_unmount (HttpListener * listener, const gchar * prefix);

/* Runs @func (@data) on the listener thread and waits for it (at once
 * when called from that thread). */
void http_listener_invoke_sync (HttpListener * listener, GSourceFunc func,
    gpointer data);

/* Answers @msg with a small text body; for handlers. */
void http_listener_respond_text (SoupServerMessage * msg, guint status,
    const gchar * content_type, const gchar * cache_control, gchar * body);

G_END_DECLS
#endif /* __HTTP_LISTENER_H__ */
