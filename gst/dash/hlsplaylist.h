/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* HLS playlist model (RFC 8216 with fMP4/CMAF segments): a media playlist
 * per representation with EXT-X-MAP and EXT-X-PROGRAM-DATE-TIME, a
 * sliding window, and the master playlist.  GLib only.
 *
 * A media playlist renders two ways:
 * - hls_media_playlist_render(): classic RFC 8216 (version 7), complete
 *   segments only — the file any HTTP server can serve;
 * - hls_media_playlist_render_ll(): Low-Latency HLS (RFC 8216bis) once
 *   parts are enabled (hls_media_playlist_set_parts()): EXT-X-PART for
 *   every part of the segments within three target durations of the end
 *   (each part a separate URI, <prefix><key>.<index>.m4s, the key its
 *   segment's address, see hls_media_playlist_add_part_keyed()), the parts
 *   of the segment in progress, EXT-X-PRELOAD-HINT for the next part,
 *   EXT-X-SERVER-CONTROL (blocking reload, delta updates, PART-HOLD-BACK),
 *   EXT-X-RENDITION-REPORT for the other renditions; with @delta the
 *   Playlist Delta Update of _HLS_skip=YES (EXT-X-SKIP).  Only a server
 *   that can hold requests (blocking reload, preload hints) may serve it.
 *
 * A segment whose init segment differs from the previous one's follows an
 * EXT-X-DISCONTINUITY (RFC 8216bis 6.2.1: a format change is one). */

#ifndef __HLS_PLAYLIST_H__
#define __HLS_PLAYLIST_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 duration;             /* ns */
  gboolean independent;         /* starts with a sync sample */
  gchar *line;                  /* its EXT-X-PART line */
} HlsPart;

typedef struct {
  guint64 number;
  gchar *uri;
  guint64 duration;             /* ns (the parts' sum while in progress) */
  gint64 program_date_time;     /* µs since the Unix epoch */
  gboolean discontinuity;       /* a gap or a new init segment before it */
  gchar *map_uri;               /* init segment */
  gchar *head;                  /* its PROGRAM-DATE-TIME line */
  gchar *tail;                  /* its EXTINF and URI lines, NULL while in
                                 * progress */
  GPtrArray *parts;             /* HlsPart, NULL without parts */
  guint64 part_key;             /* its parts are <prefix><part_key>.<i>.m4s */
} HlsSegment;

typedef struct {
  GPtrArray *segments;          /* HlsSegment, oldest first, complete */
  guint64 media_sequence;       /* number of the first listed segment */
  guint64 discontinuity_sequence;
  guint target_duration;        /* s, never decreases */
  gboolean ended;               /* EXT-X-ENDLIST */
  gboolean has_sequence;
  gboolean event;               /* nothing is ever removed: PLAYLIST-TYPE
                                 * EVENT while it grows, VOD once ended */
  gchar *last_map;              /* init segment of the last added one */

  /* LL-HLS: parts (part_target 0 = none) */
  gchar *part_prefix;           /* parts are <prefix><key>.<index>.m4s */
  guint64 part_target;          /* ns, EXT-X-PART-INF */
  guint64 part_hold_back;       /* ns, EXT-X-SERVER-CONTROL */
  HlsSegment *open;             /* the segment in progress (parts only) */
  guint64 next_part_key;        /* the key of the next segment's parts */
  gboolean has_next_part_key;
  /* hls_media_playlist_hold(): the file lists the segments from number
   * hold_from on once hold_count of them are there */
  guint hold_count;
  gboolean hold_armed;          /* hold_from is the next segment added */
  gboolean holding;
  guint64 hold_from;
} HlsMediaPlaylist;

HlsMediaPlaylist *hls_media_playlist_new (guint target_duration_s);
void hls_media_playlist_free (HlsMediaPlaylist * pl);

/* Segment @number is complete; the parts it had (in progress) stay with it */
void hls_media_playlist_add_segment (HlsMediaPlaylist * pl, guint64 number,
    const gchar * uri, guint64 duration_ns, gint64 program_date_time_us,
    gboolean discontinuity, const gchar * map_uri);

/* The segments added from now on are listed by
 * hls_media_playlist_render() (the file) once @count of them are there:
 * a restarted producer's first ones, so that a player that seeks over the
 * gap before them lands @count segments from the live edge, not at it
 * (the low-latency render lists them at once).  @count <= 1: no hold. */
void hls_media_playlist_hold (HlsMediaPlaylist * pl, guint count);

/* --- LL-HLS -------------------------------------------------------- */

/* Parts are listed (render_ll) with URIs <@prefix><key>.<index>.m4s,
 * EXT-X-PART-INF:PART-TARGET=@part_target, PART-HOLD-BACK=@part_hold_back
 * (both ns).  Set once, before the first part. */
void hls_media_playlist_set_parts (HlsMediaPlaylist * pl,
    const gchar * prefix, guint64 part_target, guint64 part_hold_back);

/* Part @index of segment @number (in progress) is complete.  The first
 * part of a segment gives its date, discontinuity and init segment; a part
 * of another segment than the one in progress drops that one's parts, and
 * so does one out of order (the segment is then listed without parts). */
void hls_media_playlist_add_part (HlsMediaPlaylist * pl, guint64 number,
    guint index, guint64 duration_ns, gboolean independent,
    gint64 program_date_time_us, gboolean discontinuity,
    const gchar * map_uri);

/* As hls_media_playlist_add_part(), the parts named after @key instead
 * of @number (<@prefix><key>.<index>.m4s): the segment's address (its
 * $Time$), so that a part URI never names two contents across restarts,
 * where numbers may start again. */
void hls_media_playlist_add_part_keyed (HlsMediaPlaylist * pl,
    guint64 number, guint64 key, guint index, guint64 duration_ns,
    gboolean independent, gint64 program_date_time_us,
    gboolean discontinuity, const gchar * map_uri);

/* The key of the next segment's parts (the preload hint names its first
 * part while no part of it is listed); without it, the next number. */
void hls_media_playlist_set_next_part_key (HlsMediaPlaylist * pl,
    guint64 key);

/* The part URI of part @index of the segment with key @key (its number
 * unless keyed; g_free) */
gchar *hls_media_playlist_part_uri (HlsMediaPlaylist * pl, guint64 key,
    guint index);

/* The last part listed: its segment's number and its index.  FALSE when
 * there is none. */
gboolean hls_media_playlist_last_part (HlsMediaPlaylist * pl, guint64 * msn,
    guint * index);

/* The number of the last complete segment; FALSE when there is none. */
gboolean hls_media_playlist_last_segment (HlsMediaPlaylist * pl,
    guint64 * msn);

/* What a playlist lists, for the server's decisions on blocking reloads */
typedef struct {
  gboolean low_latency;         /* parts listed, blocking reload offered */
  gboolean ended;               /* EXT-X-ENDLIST */
  gboolean has_segment;
  guint64 last_msn;             /* the last complete segment */
  gboolean has_part;
  guint64 part_msn;             /* the last part: its segment */
  guint part_index;             /* ... and its index */
  guint64 part_target;          /* ns */
  guint target_duration;        /* s */
} HlsPlaylistState;

void hls_media_playlist_get_state (HlsMediaPlaylist * pl,
    HlsPlaylistState * state);

/* What another rendition's playlist reports about itself */
typedef struct {
  const gchar *uri;             /* its playlist, relative */
  guint64 last_msn;
  gint last_part;               /* -1 = it has no parts */
} HlsRenditionReport;

/* The LL-HLS variant (see above); @delta: the Playlist Delta Update
 * (segments more than CAN-SKIP-UNTIL = 6 target durations older than the
 * last complete segment replaced by EXT-X-SKIP, never past a
 * discontinuity; the full playlist when there is nothing to skip).
 * Classic when parts are not enabled or the playlist has ended. */
gchar *hls_media_playlist_render_ll (HlsMediaPlaylist * pl, gboolean delta,
    const HlsRenditionReport * reports, guint n_reports);

/* Removes the listed segments up to and including @uri (the window's
 * oldest); returns how many were removed. */
guint hls_media_playlist_remove_through (HlsMediaPlaylist * pl,
    const gchar * uri);

gchar *hls_media_playlist_render (HlsMediaPlaylist * pl);

typedef struct {
  const gchar *uri;
  guint64 bandwidth;            /* peak, bits/s, including audio */
  guint64 average_bandwidth;    /* 0 = omit */
  const gchar *codecs;          /* "avc1.64001f,mp4a.40.2" */
  guint width, height;          /* 0 = audio only */
  guint fps_n, fps_d;
} HlsVariant;

typedef struct {
  const gchar *uri;
  const gchar *name;
  const gchar *lang;            /* NULL = omit */
  guint channels;
} HlsAudioRendition;

/* Master playlist.  Audio renditions form the group "audio" referenced by
 * every variant. */
gchar *hls_master_playlist_render (const HlsVariant * variants,
    guint n_variants, const HlsAudioRendition * audio, guint n_audio);

G_END_DECLS

#endif /* __HLS_PLAYLIST_H__ */
