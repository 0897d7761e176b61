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
 * sliding window, and the master playlist.  GLib only. */

#ifndef __HLS_PLAYLIST_H__
#define __HLS_PLAYLIST_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 number;
  gchar *uri;
  guint64 duration;             /* ns */
  gint64 program_date_time;     /* µs since the Unix epoch */
  gboolean discontinuity;       /* a gap or a new init segment before it */
  gchar *map_uri;               /* init segment */
  gchar *text;                  /* PROGRAM-DATE-TIME, EXTINF and URI lines */
} HlsSegment;

typedef struct {
  GPtrArray *segments;          /* HlsSegment, oldest first */
  guint64 media_sequence;       /* number of the first listed segment */
  guint64 discontinuity_sequence;
  guint target_duration;        /* s, never decreases */
  gboolean ended;               /* EXT-X-ENDLIST */
  gboolean has_sequence;
  gboolean event;               /* nothing is ever removed: PLAYLIST-TYPE
                                 * EVENT while it grows, VOD once ended */
} HlsMediaPlaylist;

HlsMediaPlaylist *hls_media_playlist_new (guint target_duration_s);
void hls_media_playlist_free (HlsMediaPlaylist * pl);

void hls_media_playlist_add_segment (HlsMediaPlaylist * pl, guint64 number,
    const gchar * uri, guint64 duration_ns, gint64 program_date_time_us,
    gboolean discontinuity, const gchar * map_uri);

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
