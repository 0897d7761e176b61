/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's embedded HTTP/1.1 server: a *site* mounted on the shared
 * listener of its address and port (httplistener.c: one libsoup-3.0
 * SoupServer per port in the process, on its own thread), at the root or
 * under a prefix such as /live/cam1, so that many sinks serve on one
 * port.  It serves the files of the output directory, streams segments that are still being written with chunked
 * transfer encoding (one HTTP chunk per CMAF chunk, as soon as the sink
 * reports it), makes requests for announced segments wait, and provides
 * /time, /metrics and a dash.js / hls.js player page at /.
 *
 * LL-HLS: each CMAF chunk is also a part with its own URI
 * (<rep>-<number>.<index>.m4s, bytes of the segment); a request for the
 * next part (the preload hint) is held until the part is complete and then
 * answered whole; playlists set with http_server_set_playlist() are
 * answered from memory, with their delta update for _HLS_skip, and a
 * request with _HLS_msn / _HLS_part is held until the playlist lists what
 * it asks for (blocking reload), decided by httproutes.c.
 *
 * The notify functions are thread-safe and never block on the network:
 * they take the server's state mutex briefly and wake the server thread. */

#ifndef __HTTP_SERVER_H__
#define __HTTP_SERVER_H__

#include <gst/gst.h>

#include "livestreammetrics.h"

#include "hlsplaylist.h"

G_BEGIN_DECLS

typedef struct _HttpServer HttpServer;

/* Adds the site's own series to /metrics (the pipeline of `scope` is
 * added by the server).  Called from the server thread with no server
 * lock held. */
typedef void (*HttpServerMetricsFunc) (LivestreamMetrics * metrics,
    gpointer user_data);

typedef struct {
  const gchar *dir;             /* output directory */
  const gchar *address;         /* e.g. "127.0.0.1", "0.0.0.0", "::" */
  guint port;                   /* 0: a free port, not shared */
  const gchar *mount;           /* NULL / "": the root; else "/live/cam1" */
  const gchar *mpd_name;        /* played by the player page (required) */
  guint64 segment_duration;     /* ns: bounds the wait for segments;
                                 * with dvr_window, the Cache-Control of
                                 * manifests and segments (httproutes.h) */
  guint64 dvr_window;           /* ns, 0 = every segment kept */
  const gchar *player_lib;      /* path of dash.all.min.js, NULL = search */
  const gchar *hls_lib;         /* path of hls.min.js, NULL = search */
  guint64 max_client_buffer;    /* bytes queued per response before disconnect */
  guint64 stall_timeout;        /* ns without progress before disconnect */
  HttpServerMetricsFunc metrics;
  gpointer metrics_data;
  GstElement *scope;            /* /metrics shows its pipeline; NULL: none */
  guint listen_backlog;         /* 0 = HTTP_SERVER_DEFAULT_BACKLOG */
} HttpServerConfig;

/* pending connections the kernel keeps (capped by net.core.somaxconn) */
#define HTTP_SERVER_DEFAULT_BACKLOG 4096

typedef struct {
  guint64 requests;             /* all requests answered */
  guint64 not_found;            /* 404 answers */
  guint64 live_responses;       /* segments sent while being written */
  guint64 waited;               /* requests that waited for a segment */
  guint64 wait_timeouts;        /* ... and gave up (404) */
  guint64 aliased;              /* announced names answered with the
                                 * segment that started instead */
  guint64 bytes_sent;           /* body bytes written to sockets */
  guint64 disconnected_slow;    /* clients dropped: too slow / stalled */
  guint active;                 /* responses in flight */
  /* LL-HLS */
  guint64 parts_served;         /* part responses */
  guint64 parts_waited;         /* part requests held (preload hints) */
  guint64 playlists_blocked;    /* playlist requests held (_HLS_msn) */
  guint64 playlist_timeouts;    /* ... answered 503 after the hold */
  guint64 bad_requests;         /* 400: bad or too far ahead directives */
  guint64 delta_updates;        /* _HLS_skip answers that skipped segments */
} HttpServerStats;

/* Mounts a site on the listener of config->address:port (started by
 * the first site there).  Errors: G_IO_ERROR_EXISTS when the port already
 * serves that mount, the listener's errors (httplistener.h). */
HttpServer *http_server_start (const HttpServerConfig * config,
    GError ** error);
/* Unmounts (in-flight responses are finished as they are: a live segment
 * ends where it is, a waiting request gets 404), releases the listener
 * and frees. */
void http_server_stop (HttpServer * server);
guint http_server_get_port (HttpServer * server);
void http_server_get_stats (HttpServer * server, HttpServerStats * stats);

void http_server_segment_started (HttpServer * server, const gchar * rep,
    guint64 key, guint64 ahead, const gchar * tmp_name, const gchar * name);
void http_server_chunk_written (HttpServer * server, const gchar * rep,
    guint64 number, guint64 offset, guint64 size);
void http_server_file_published (HttpServer * server, const gchar * name);
/* @name is answered with @bytes instead of the file of that name (NULL:
 * the file again).  Thread-safe. */
void http_server_set_document (HttpServer * server, const gchar * name,
    GBytes * bytes);
/* LL-HLS: playlist @name is answered with @text (@delta, if not NULL, for
 * _HLS_skip), which lists @state; held requests are woken.  A version
 * older than the one in place is ignored.  Thread-safe. */
void http_server_set_playlist (HttpServer * server, const gchar * name,
    guint64 version, const gchar * text, const gchar * delta,
    const HlsPlaylistState * state);

/* Where the player page's dash.js is looked for when the config has none:
 * $GST_LIVESTREAM_DASHJS, then <datadir>/gst-livestream/dash.all.min.js
 * of the installation, then (uninstalled build) next to the plug-in file.
 * NULL if none exists: /dash.all.min.js answers 404 with a hint and the
 * page says how to get it. */
gchar *http_server_find_player_lib (void);
/* The same for the page's hls.js: $GST_LIVESTREAM_HLSJS, then
 * <datadir>/gst-livestream/hls.min.js, then next to the plug-in. */
gchar *http_server_find_hls_lib (void);

G_END_DECLS

#endif /* __HTTP_SERVER_H__ */
