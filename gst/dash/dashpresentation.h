/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's presentation, GLib only: what the manifests list.
 *
 * It keeps the MPD model (mpdmodel.c) and one HLS media playlist per
 * representation (hlsplaylist.c), records the published segments in both,
 * trims the DVR window (the segments that left it are deleted one
 * segment later, and only once a manifest that no longer lists them is
 * written), and renders the manifests when the segmenter says they are
 * due — as text, into a DashManifests batch that the caller writes once
 * it holds no lock.  At low latency the MPD also announces the segment in
 * progress and the next one with predicted durations.
 *
 * Addresses: the media timeline is UTC (availabilityStartTime is the Unix
 * epoch) and a segment is named after its start on it ($Time$: the tfdt
 * in the representation's timescale), so that no name is used twice
 * across runs and two producers on one clock name a segment alike.  With
 * every render comes the resume state (dashresume.h): a later run on the
 * same directory continues the presentation from it in a new period.
 *
 * With an embedded server at low latency, every media playlist also has
 * an LL-HLS variant (hlsplaylist.h) that only the server answers: it is
 * rendered after every part (chunk) of its representation and at every
 * manifest round, into DashManifests.playlists.  The playlist files stay
 * classic (complete segments only, valid for any HTTP server).
 *
 * No locks, no files: the caller serialises the calls. */

#ifndef __DASH_PRESENTATION_H__
#define __DASH_PRESENTATION_H__

#include <glib.h>

#include "mpdmodel.h"
#include "hlsplaylist.h"
#include "segmenter.h"
#include "dashresume.h"

G_BEGIN_DECLS

typedef struct {
  guint64 segment_duration;     /* ns */
  guint64 chunk_duration;       /* ns, 0 = not low latency */
  guint64 dvr_window;           /* ns, 0 = keep everything */
  guint64 min_buffer_time;      /* ns */
  guint64 suggested_presentation_delay; /* ns, 0 = 3 segments */
  const gchar *utc_timing_url;  /* NULL = direct scheme */
  const gchar *base_url;        /* NULL = none */
  const gchar *mpd_name;
  gboolean hls;
  /* low latency: ServiceDescription (0 = defaults) */
  guint64 target_latency, min_latency, max_latency;     /* ns */
  gdouble min_playback_rate, max_playback_rate;
} DashPresentationConfig;

/* A representation.  The format fields are the caller's to set before
 * the representation enters a period; the rest is read-only. */
typedef struct {
  gchar *id;
  MpdKind kind;
  SegTrack *track;

  gchar *codecs;
  guint32 timescale;
  guint width, height, fps_n, fps_d, par_n, par_d;
  guint rate, channels;
  guint64 bandwidth_hint;
  gchar *init_name;             /* init segment of what is recorded now */

  MpdRepresentation *rep;       /* in the model, NULL before a period */
  guint rep_period;             /* the segmenter's period of rep */
  HlsMediaPlaylist *hls;
  gboolean hls_dirty;
  GQueue pending_deletes;       /* left the window, not deleted yet */
  guint64 predicted_d;          /* announced duration of the open one */
  guint64 segments, bytes, last_duration;
  /* LL-HLS: the segment in progress */
  guint64 open_number, open_start_ns;
  gboolean open_discont;
  guint64 part_end_ns;          /* media time the newest part ends at */
} DashPresRep;

/* A playlist that only the embedded server answers (from memory) */
typedef struct {
  gchar *name;                  /* e.g. video_0.m3u8 */
  gchar *text;                  /* the LL-HLS playlist */
  gchar *delta;                 /* its Playlist Delta Update, NULL = none */
  HlsPlaylistState state;       /* what it lists (blocking reloads) */
} DashServedPlaylist;

/* Manifests rendered, and segments to delete once they are written */
typedef struct {
  guint64 version;              /* newer renders have higher versions */
  GPtrArray *names, *texts;     /* gchar *, same index: the files */
  GPtrArray *served;            /* gchar *, same index: what the embedded
                                 * server answers instead, NULL = the file */
  GPtrArray *playlists;         /* DashServedPlaylist: the server answers
                                 * these instead of the files */
  GPtrArray *deletes;           /* gchar *: file names */
  gchar *state;                 /* the resume state, written first; NULL =
                                 * unchanged */
} DashManifests;

void dash_manifests_init (DashManifests * m);
void dash_manifests_clear (DashManifests * m);

/* A published segment */
typedef struct {
  guint64 number;
  guint64 start_ns, start_ticks, end_ticks;
  guint64 size;                 /* bytes */
  gint64 prt_wallclock_us;      /* its prft, 0 = none */
  guint64 prt_ticks;
  gboolean discont;             /* it follows a gap */
} DashPresSegment;

typedef struct _DashPresentation DashPresentation;

/* Decisions (due, skip, predictions) come from @seg */
DashPresentation *dash_presentation_new (Segmenter * seg);
void dash_presentation_free (DashPresentation * pres);

/* A presentation for a run: a new one, or (@resume) the one a previous
 * run left, whose model and playlists are taken from @resume: the run
 * adds a period (the segmenter's period 0 of a resumed run) and every
 * playlist goes on after a discontinuity.  @orphans (gchar *, may be
 * NULL): segment files to delete once the first manifests are written. */
void dash_presentation_start (DashPresentation * pres,
    const DashPresentationConfig * config, DashResumeState * resume,
    GPtrArray * orphans);

/* A resumed presentation (dash_presentation_start() with @resume), before
 * the run's first segment: renders the MPD and the playlists the previous
 * run left, with the segments adopted from it, into @out. */
void dash_presentation_render_restored (DashPresentation * pres,
    DashManifests * out);

/* Representations are kept in the segmenter's track order */
DashPresRep *dash_presentation_add_rep (DashPresentation * pres,
    const gchar * id, MpdKind kind, SegTrack * track);
void dash_presentation_remove_rep (DashPresentation * pres,
    DashPresRep * rep);

/* The number @rep's next segment continues with: after what the
 * presentation lists of a representation with its id (a resumed run),
 * 0 when nothing */
guint64 dash_presentation_continued_number (DashPresentation * pres,
    DashPresRep * rep);

/* An embedded server serves this presentation: it gets an MPD of its own
 * (the low-latency one at low latency) with @time_url as the players'
 * clock (UTCTiming), unless the config named one.  The files never
 * reference a segment that is not complete. */
void dash_presentation_set_served (DashPresentation * pres,
    const gchar * time_url);

/* @rep's segments from @number on belong to the segmenter's @period. */
void dash_presentation_enter_period (DashPresentation * pres,
    DashPresRep * rep, guint period, guint64 number);

/* Segment @number of @rep starts at @start_ns (@discont: after a gap);
 * its parts come with dash_presentation_add_part(). */
void dash_presentation_start_segment (DashPresentation * pres,
    DashPresRep * rep, guint64 number, guint64 start_ns, gboolean discont);

/* A part (chunk) of @rep's segment in progress */
typedef struct {
  guint64 number;               /* its segment */
  guint64 key;                  /* its segment's start (ticks): the
                                 * segment's name and its parts' */
  guint index;                  /* from 0 */
  guint64 duration_ticks;       /* in the representation's timescale */
  gboolean independent;         /* starts with a sync sample */
} DashPresPart;

/* Low latency with a server: records @part (written, announced to the
 * server) and renders @rep's LL-HLS playlist into @out. */
void dash_presentation_add_part (DashPresentation * pres, DashPresRep * rep,
    const DashPresPart * part, DashManifests * out);

/* Records @seg of @rep (published on disk), trims the window and renders
 * the manifests into @out if they are due.  Returns the segment's
 * duration in ns.  FALSE in @error only when the MPD cannot be rendered. */
guint64 dash_presentation_add_segment (DashPresentation * pres,
    DashPresRep * rep, const DashPresSegment * seg, DashManifests * out,
    GError ** error);

/* Everything ended: the presentation becomes static (VOD) and its final
 * manifests are rendered into @out. */
void dash_presentation_finalize (DashPresentation * pres,
    DashManifests * out, GError ** error);

typedef struct {
  guint64 manifests;            /* rendered */
  guint64 manifests_skipped;    /* due, but coalesced */
  guint64 mispredicted;         /* segments announced with another d */
  guint64 hls_parts;            /* LL-HLS parts listed */
  guint64 hls_part_target;      /* ns, 0 = no LL-HLS */
  guint64 hls_part_hold_back;   /* ns */
  /* how far the newest part listed in every LL-HLS playlist is behind
   * the wall clock (ns): the least latency an LL-HLS player can have */
  guint64 hls_edge_age;
} DashPresentationStats;

void dash_presentation_get_stats (DashPresentation * pres,
    DashPresentationStats * stats);

/* A media segment's file name: ID-T.m4s, T its start in the
 * representation's timescale (the SegmentTemplate media pattern
 * ID-$Time$.m4s) */
gchar *dash_segment_name (const gchar * rep_id, guint64 t);

G_END_DECLS

#endif /* __DASH_PRESENTATION_H__ */
