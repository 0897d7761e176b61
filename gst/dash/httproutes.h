/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The decisions of dashlivesink's embedded HTTP server, GLib only: which
 * resource a path names, its Content-Type and Cache-Control, Range header
 * parsing, and which segments are in progress or announced (so that a
 * request is streamed chunk by chunk, made to wait, or answered from
 * disk).  No sockets, no locks: the server (httpserver.c) owns the
 * locking. */

#ifndef __HTTP_ROUTES_H__
#define __HTTP_ROUTES_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DASH_ROUTE_NOT_FOUND,
  DASH_ROUTE_PLAYER,            /* "/" and "/index.html" */
  DASH_ROUTE_PLAYER_LIB,        /* "/dash.all.min.js" */
  DASH_ROUTE_TIME,              /* "/time": http-xsdate clock */
  DASH_ROUTE_METRICS,           /* "/metrics": Prometheus text */
  DASH_ROUTE_FILE,              /* a file of the output directory */
} DashRouteKind;

typedef enum {
  DASH_FILE_MPD,
  DASH_FILE_PLAYLIST,
  DASH_FILE_INIT,
  DASH_FILE_SEGMENT,
} DashFileKind;

typedef struct {
  DashRouteKind kind;
  DashFileKind file_kind;       /* DASH_ROUTE_FILE only */
  gchar name[256];              /* DASH_ROUTE_FILE: file name, one component */
} DashRoute;

/* Maps a request path (already percent-decoded, without query) to a
 * route.  Only plain file names of the output directory with a known
 * extension (.mpd .m3u8 .mp4 .m4s) are served: no sub-directories, no
 * dot files, no temporary files. */
void http_routes_route (const gchar * path, DashRoute * route);
/* The same, where @mpd_name (the sink's mpd-name, NULL = none) is the MPD
 * whatever its extension. */
void http_routes_route_full (const gchar * path, const gchar * mpd_name,
    DashRoute * route);

const gchar *http_routes_content_type (DashFileKind kind);

/* Cache-Control value: manifests "no-cache", init and media segments a
 * long max-age (their names never change content within a stream). */
const gchar *http_routes_cache_control (DashFileKind kind);

typedef enum {
  DASH_RANGE_NONE,              /* no (usable) Range header: whole file */
  DASH_RANGE_OK,                /* *start..*end (inclusive) */
  DASH_RANGE_UNSATISFIABLE,     /* 416 */
} DashRangeResult;

/* Parses a single-range "bytes=a-b", "bytes=a-" or "bytes=-n" header
 * against a file of @size bytes.  Multiple ranges and malformed headers
 * are ignored (RFC 9110 allows serving the whole file). */
DashRangeResult http_routes_parse_range (const gchar * header, guint64 size,
    guint64 * start, guint64 * end);

/* "<rep>-<number>.m4s" -> rep, number.  FALSE for any other name. */
gboolean http_routes_parse_segment_name (const gchar * name, gchar ** rep,
    guint64 * number);

/* --- live segments ------------------------------------------------- */

typedef enum {
  DASH_AVAIL_FILE,              /* not live: answer from disk (or 404) */
  DASH_AVAIL_LIVE,              /* being written: stream it chunk by chunk */
  DASH_AVAIL_WAIT,              /* announced, not started yet: wait */
} DashAvailability;

typedef struct {
  gchar *name;                  /* published name, e.g. v0-180000.m4s */
  gchar *tmp_name;              /* file being written */
  guint64 complete;             /* bytes [0, complete) are final */
  guint64 generation;           /* bumped on every change */
} DashLiveSegment;

typedef struct _DashServeState DashServeState;

/* Segments are known by their key, the number in their name
 * ("<rep>-<key>.m4s": the start time in the representation's timescale). */
DashServeState *http_routes_state_new (void);
void http_routes_state_free (DashServeState * st);

/* Segment @key of @rep starts (being written to @tmp_name).  Names of
 * @rep with a key after it by at most @ahead count as announced: the MPD
 * may list the next one or two before they start. */
void http_routes_state_segment_started (DashServeState * st, const gchar * rep,
    guint64 key, guint64 ahead, const gchar * tmp_name, const gchar * name);
void http_routes_state_chunk_written (DashServeState * st, const gchar * rep,
    guint64 number, guint64 offset, guint64 size);
/* @name is complete on disk: it is no longer live. */
void http_routes_state_published (DashServeState * st, const gchar * name);
/* Forget every live segment (the stream stopped). */
void http_routes_state_reset (DashServeState * st);

/* What to do with a request for @name.  For DASH_AVAIL_LIVE, @live (if
 * not NULL) receives a pointer to the state's entry, valid until the next
 * call that changes the state. */
DashAvailability http_routes_state_lookup (DashServeState * st,
    const gchar * name, const DashLiveSegment ** live);

/* Total number of state changes so far (cheap change detection). */
guint64 http_routes_state_generation (DashServeState * st);

G_END_DECLS

#endif /* __HTTP_ROUTES_H__ */
