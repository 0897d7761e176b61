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
 * disk).  LL-HLS: where a part's bytes are, whether a part request waits
 * (the preload hint), and what a playlist request with delivery
 * directives (_HLS_msn, _HLS_part, _HLS_skip) gets: the playlist now, a
 * held request (blocking reload), or 400.  No sockets, no locks: the
 * server (httpserver.c) owns the locking. */

#ifndef __HTTP_ROUTES_H__
#define __HTTP_ROUTES_H__

#include <glib.h>

#include "hlsplaylist.h"

G_BEGIN_DECLS

typedef enum {
  DASH_ROUTE_NOT_FOUND,
  DASH_ROUTE_PLAYER,            /* "/" and "/index.html" */
  DASH_ROUTE_PLAYER_LIB,        /* "/dash.all.min.js" */
  DASH_ROUTE_PLAYER_HLS_LIB,    /* "/hls.min.js" */
  DASH_ROUTE_TIME,              /* "/time": http-xsdate clock */
  DASH_ROUTE_METRICS,           /* "/metrics": Prometheus text */
  DASH_ROUTE_FILE,              /* a file of the output directory */
} DashRouteKind;

typedef enum {
  DASH_FILE_MPD,
  DASH_FILE_PLAYLIST,
  DASH_FILE_INIT,
  DASH_FILE_SEGMENT,
  DASH_FILE_PART,               /* LL-HLS part: <rep>-<number>.<index>.m4s */
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

/* --- caching by edges (CDN) ------------------------------------------
 *
 * What an edge cache in front of the server may do with each answer.  The
 * policy, for a stream with segment duration S and DVR window W:
 *
 *   MPD, playlists (live)    public, max-age=max(1, floor(S/2))
 *                            one copy per edge per half segment; a copy
 *                            that old still announces (MPD) or lists what
 *                            a player needs until its next reload
 *   init, media segments     public, max-age=W+2S (86400 when W = 0),
 *                            immutable: a name never changes content
 *                            within a stream; bounded by the time the
 *                            origin keeps the file (W, + the segment
 *                            deleted one segment late, + the one in
 *                            progress) so
 *                            that a stream restarted under the same names
 *                            is not hidden by old copies for a day
 *   a segment being written  the same as the complete segment: it becomes
 *                            exactly that file.  Sent chunked (no
 *                            Content-Length); the server ends the body
 *                            with the last chunk only when the segment
 *                            was published, and resets the connection
 *                            (no terminating chunk) when it was abandoned
 *                            or its writer went silent, so that no proxy
 *                            stores a truncated segment as complete
 *   errors (404), /time,     no-cache
 *   /metrics, player page
 *
 * LL-HLS playlist responses to a blocking reload (_HLS_msn): the answer to
 * a given query never changes, so "public, max-age=<target duration>"
 * keyed by the query (http_routes_hls_cache_control on the LL-HLS side);
 * LL-HLS parts like segments. */

typedef struct {
  guint64 segment_duration;     /* ns; 0 = 2 s */
  guint64 dvr_window;           /* ns; 0 = every segment kept */
} DashCachePolicy;

/* Cache-Control value for @kind under @policy (NULL = 2 s segments, 120 s
 * window), g_free(). */
gchar *http_routes_cache_control_for (DashFileKind kind,
    const DashCachePolicy * policy);

/* Cache-Control value under the default policy (a static string). */
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

typedef enum {
  DASH_CLIENT_OK,
  DASH_CLIENT_STALLED,          /* data waits, nothing read for the timeout */
  DASH_CLIENT_SOURCE_SILENT,    /* a live body's writer went silent */
} DashClientState;

/* What the server does with a response in progress: @queued bytes wait to
 * be written, the last progress (a write, or the response's start) was at
 * @last_progress, @now is later or earlier (both monotonic µs: a request
 * started after @now was read has made progress "in the future", never a
 * stall).  @live_open: a live body not complete yet.  @stall_timeout in
 * ns. */
DashClientState http_routes_client_state (gint64 now, gint64 last_progress,
    guint64 queued, gboolean live_open, guint64 stall_timeout);

/* "<rep>-<number>.m4s" -> rep, number.  FALSE for any other name. */
gboolean http_routes_parse_segment_name (const gchar * name, gchar ** rep,
    guint64 * number);

/* "<rep>-<key>.<index>.m4s" (an LL-HLS part: its segment's name with the
 * index before ".m4s") -> rep, key, index.  FALSE for any other name. */
gboolean http_routes_parse_part_name (const gchar * name, gchar ** rep,
    guint64 * number, guint * index);

/* --- LL-HLS delivery directives ------------------------------------ */

typedef struct {
  gboolean has_msn, has_part;
  guint64 msn;                  /* _HLS_msn */
  guint64 part;                 /* _HLS_part */
  gboolean skip;                /* _HLS_skip=YES or v2: a delta update */
} DashHlsDirectives;

/* Parses the query values of a playlist request (NULL = absent).  FALSE
 * when one is not a decimal integer (resp. YES / v2): 400. */
gboolean http_routes_parse_hls_directives (const gchar * msn,
    const gchar * part, const gchar * skip, DashHlsDirectives * d);

typedef enum {
  DASH_HLS_ANSWER,              /* answer with the playlist now */
  DASH_HLS_HOLD,                /* hold the request until the playlist
                                 * holds what it asks for (blocking
                                 * reload), at most http_routes_hls_hold ()*/
  DASH_HLS_BAD_REQUEST,         /* 400: _HLS_part without _HLS_msn, or
                                 * asking too far ahead */
} DashHlsDecision;

/* What a request with directives @d gets from a playlist that lists
 * @st (RFC 8216bis 6.2.5.2): directives are ignored by a playlist without
 * blocking reload or with EXT-X-ENDLIST; _HLS_msn=M waits for segment M
 * complete, with _HLS_part=N for part N of segment M (an index past the
 * segment's last part means part 0 of the next); more than two segments
 * ahead of the last, or parts beyond the Advance Part Limit (3 s of
 * parts, at least 3), is a bad request. */
DashHlsDecision http_routes_hls_decide (const HlsPlaylistState * st,
    const DashHlsDirectives * d);

/* Which of @n recent versions of a playlist (@states, oldest first) to
 * answer a request with @d that http_routes_hls_decide() answers on the
 * newest: with _HLS_msn, the oldest that lists what was asked for — the
 * version that added it — so that a player asking for the next part gets
 * that part, not several at once (hls.js #5028 skipped the last part of a
 * segment when parts came in a burst, as after a late encoder); the
 * newest otherwise.  Returns an index into @states. */
guint http_routes_hls_pick (const HlsPlaylistState * states, guint n,
    const DashHlsDirectives * d);

/* How many versions of a playlist the server keeps for that */
#define DASH_HLS_VERSIONS_KEPT 8

/* How long a blocking reload is held before 503 (ns): three target
 * durations (6.2.5.2) */
guint64 http_routes_hls_hold (const HlsPlaylistState * st);

/* Cache-Control of a playlist response to a request with @d (NULL: no
 * directives): "no-cache" without _HLS_msn; with it, the response lists
 * what was asked for whenever it is fetched, so an edge may keep it for a
 * target duration ("public, max-age=<target duration>", g_free). */
gchar *http_routes_hls_cache_control (const HlsPlaylistState * st,
    const DashHlsDirectives * d);

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
/* A chunk of segment @key of @rep is written: one more part */
void http_routes_state_chunk_written (DashServeState * st, const gchar * rep,
    guint64 key, guint64 offset, guint64 size);
/* @name is complete on disk: it is no longer live. */
void http_routes_state_published (DashServeState * st, const gchar * name);
/* Forget every live segment (the stream stopped). */
void http_routes_state_reset (DashServeState * st);

/* What to do with a request for @name.  For DASH_AVAIL_LIVE, @live (if
 * not NULL) receives a pointer to the state's entry, valid until the next
 * call that changes the state. */
DashAvailability http_routes_state_lookup (DashServeState * st,
    const gchar * name, const DashLiveSegment ** live);

/* Low latency announces segments before they start, named after where
 * they are predicted to start ($Time$); a keyframe that comes late (a
 * passthrough source's GOP, a frame dropped under load) starts the
 * segment later, under another name, and the announced name is never
 * written.  A request for such a name (one that falls strictly between
 * the starts of two recent segments of its representation, within the
 * last DASH_PARTS_KEPT) is answered with the segment that started instead:
 * the media the player asked for next.  Returns the real segment's name
 * (free it), or NULL for a name that is a segment's own or not known. */
gchar *http_routes_state_alias (DashServeState * st, const gchar * name);

/* Total number of state changes so far (cheap change detection). */
guint64 http_routes_state_generation (DashServeState * st);

/* --- LL-HLS parts ---------------------------------------------------- */

typedef enum {
  DASH_PART_NOT_FOUND,          /* 404 */
  DASH_PART_READY,              /* complete: its range */
  DASH_PART_WAIT,               /* the next part (a preload hint): wait */
} DashPartAvailability;

typedef struct {
  gchar *name;                  /* the segment that holds it */
  gchar *tmp_name;              /* ... while it is written (NULL after) */
  guint64 offset, size;         /* bytes of the segment */
} DashPartRange;

void dash_part_range_clear (DashPartRange * range);

/* Part @index of segment @key of @rep: complete (every chunk the sink
 * reported is one part, the first with the segment's header), the next
 * one or two of a segment being written or of a segment announced after
 * it (what a preload hint names: wait), or not there.  The parts of the last
 * DASH_PARTS_KEPT segments of each representation are known (RFC 8216bis
 * 6.2.2: a part stays available three target durations after it left the
 * playlist, which lists parts for three). */
DashPartAvailability http_routes_state_lookup_part (DashServeState * st,
    const gchar * rep, guint64 key, guint index, DashPartRange * range);

#define DASH_PARTS_KEPT 16

G_END_DECLS

#endif /* __HTTP_ROUTES_H__ */
