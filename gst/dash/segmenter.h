/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's segmenter, GLib only: no pads, no locks, no files.
 *
 * It decides where the segments and chunks of every track (one per
 * representation) are cut, and when the manifests are due:
 *
 * - The reference track (the first video track, else the first track)
 *   ends a segment at its first keyframe at or after the next point of
 *   the segment grid (a keyframe up to half a frame early counts: live
 *   timestamps jitter).  The grid is every segment-duration from its
 *   origin: the reference's first keyframe, or media time 0 (the Unix
 *   epoch of a clock timeline, SegmenterConfig.grid_from_zero, so that
 *   producers on one clock cut at the same times; such a run starts at
 *   the reference's first keyframe on a grid point, waiting at most a
 *   segment duration for it, and the other tracks at that keyframe, so
 *   that two producers publish the same segments from their first on).
 *   A segment is at least half a segment-duration long (the first one of
 *   a run may start between grid points).  Its cut points are boundaries that every other
 *   track (a follower) cuts at, at its first keyframe (every audio frame
 *   is one) at or after the boundary, so that all representations share
 *   segment times.
 * - Segment numbers (HLS media sequence numbers) count from the grid
 *   slot of a track's first segment (floor (start / segment-duration) on
 *   a clock timeline), one per segment; a resumed run continues a
 *   track's numbers (segmenter_track_continue()).
 * - A resumed run (SegmenterConfig.resumed) continues a presentation in
 *   a new period: its period 0 starts at the reference's first keyframe,
 *   the other tracks start at that boundary (their samples before it are
 *   dropped), and every track's first segment follows a discontinuity.
 * - A decode-time jump larger than SEGMENTER_GAP_THRESHOLD ends the
 *   segment (a new S in the timeline, a discontinuity in HLS).
 * - A track whose format changes starts a new period: at the reference's
 *   next cut, which every follower follows.
 * - With a chunk duration, the samples of the open segment are handed out
 *   as chunks (moof+mdat) — the parts of LL-HLS — as soon as a chunk is
 *   complete.  Chunks are cut on a grid shared by every track: every
 *   part period (the chunk duration rounded to whole frames of the
 *   reference) from the reference's segment start, a chunk ending before
 *   the first sample whose decode time reaches the next grid point.  So
 *   every track has the same number of chunks per segment and chunk k of
 *   any track covers the same media time (within one frame of that
 *   track): audio renditions publish their parts on the video's schedule.
 *   No chunk is longer than the part target (segmenter_part_target()):
 *   when one would be, it is closed before the sample that would make it
 *   longer, on the decode-time axis.
 *
 * The caller feeds samples (segmenter_push()) and reads back a list of
 * operations to carry out in order: a segment starts, a chunk is
 * complete, a segment ends, a sample was dropped, an error.  Samples move
 * into the operations that write them: the caller owns them from there
 * (SegSample.data is the caller's, freed with SegmenterConfig.free_data
 * when the segmenter drops a sample itself).
 *
 * The rest is about the manifests: once the caller has published a
 * segment (segmenter_published()), segmenter_manifests_due() says whether
 * the MPD and playlists should be written now, segmenter_manifests_skip()
 * whether a due write may be coalesced (faster than real time), and
 * segmenter_predict() predicts the durations of the segments a
 * low-latency MPD announces before they are complete.
 *
 * Times: dec_ns is the sample's decode time on the output timeline (ns),
 * ticks the same in the track's timescale. */

#ifndef __SEGMENTER_H__
#define __SEGMENTER_H__

#include <glib.h>

#include "dashtime.h"

G_BEGIN_DECLS

/* a decode-time jump larger than this ends the segment */
#define SEGMENTER_GAP_THRESHOLD (500 * G_GUINT64_CONSTANT (1000000))
/* timestamps of different streams (and 1 ns rounding in encoders) must
 * not move a cut by a frame */
#define SEGMENTER_BOUNDARY_TOLERANCE (100 * G_GUINT64_CONSTANT (1000))
/* the part target leaves room for this much timestamp jitter */
#define SEGMENTER_PART_JITTER (2 * G_GUINT64_CONSTANT (1000000))

typedef enum {
  SEG_TRACK_VIDEO,
  SEG_TRACK_AUDIO,
} SegTrackKind;

typedef struct {
  guint64 dec_ns;               /* decode time on the output timeline */
  guint64 ticks;                /* dec_ns in the timescale */
  gint32 cts;                   /* composition offset, ticks */
  guint64 dur_ticks;            /* the sample's own duration, 0 = unknown */
  gboolean key;                 /* a sync sample */
  gint64 arrival;               /* monotonic µs when it reached the sink */
  gpointer data;                /* the caller's (the buffer) */
} SegSample;

typedef struct {
  guint64 segment_duration;     /* ns, > 0 */
  guint64 chunk_duration;       /* ns, 0 = one chunk per segment */
  /* frames dropped while waiting for a keyframe, or time without a
   * boundary, beyond which a track is in error; 0 = max (10 s, 10
   * segments) */
  guint64 max_wait;
  /* faster than real time, a due manifest write may be skipped when the
   * last one was less than this long ago (ns of wall-clock time); 0 =
   * never skip */
  guint64 manifest_min_interval;
  /* the segment grid starts at media time 0 instead of the reference's
   * first keyframe */
  gboolean grid_from_zero;
  /* the run continues a presentation in a new period (see above) */
  gboolean resumed;
  GDestroyNotify free_data;     /* for SegSample.data */
} SegmenterConfig;

/* A track.  The fields are read-only for the caller. */
typedef struct _SegTrack {
  SegTrackKind kind;
  guint index;                  /* order among tracks of its kind */
  gchar *id;
  guint32 timescale;
  guint64 frame_ticks;          /* one frame / access unit */
  guint64 cut_tolerance;        /* ns a keyframe may come early */
  gpointer user_data;

  /* the open segment */
  gboolean in_segment;
  guint64 number;               /* of the open / next segment; 0 before
                                 * the first: from the grid slot */
  guint period;                 /* index of the period it belongs to */
  guint64 seg_start_ns, seg_start_ticks;
  guint seg_samples;            /* samples in it, written or not */
  /* chunks (parts) of the open segment: the grid they are cut on */
  guint parts;                  /* handed out so far */
  guint64 chunk_end_ticks;      /* end of the last one handed out */
  guint64 grid_origin_ns;       /* the boundary the segment started at */
  gboolean grid_own;            /* ... or its own start (no boundary yet) */
  guint64 next_grid_ns;         /* the next grid point */
  GArray *samples;              /* SegSample not yet handed out */
  GArray *early;                /* SegSample of a follower that came before
                                 * the reference's first keyframe: held
                                 * until it came (hold_early) */
  gboolean early_own;           /* the reference did not come: starts on
                                 * its own */
  gboolean discont;             /* the open / next segment follows a gap */
  gboolean config_changed;      /* a new format waits for its period */
  gboolean waiting;             /* dropping frames until a keyframe */
  guint64 wait_start_ns;
  gboolean have_last;
  guint64 last_dec_ns, last_ticks, last_dur_ticks, prev_ticks;
  gint64 last_taken_arrival;    /* of the last sample handed out */
  gboolean eos;

  /* published segments (segmenter_published()) */
  guint64 published;
  guint64 listed;               /* published when manifests were last due */
  guint64 published_end;        /* ns */
  guint64 published_end_ticks;
} SegTrack;

typedef enum {
  SEG_OP_START,                 /* a segment opens */
  SEG_OP_CHUNK,                 /* a chunk of the open segment is complete */
  SEG_OP_FINISH,                /* the open segment is complete */
  SEG_OP_DROP,                  /* a sample was dropped */
  SEG_OP_ERROR,                 /* the track cannot go on */
  SEG_OP_END,                   /* every track ended: the presentation ends */
} SegOpKind;

typedef enum {
  SEG_DROP_NO_KEYFRAME,         /* before the first keyframe (or period) */
  SEG_DROP_BACKWARDS,           /* decode time went back */
} SegDropReason;

typedef struct {
  SegOpKind kind;
  SegTrack *track;
  guint64 number;               /* START, CHUNK, FINISH: the segment */
  /* START: the period (SEG_OP_START with new_period: the segmenter's
   * period @period starts here, at start_ns), the format changed */
  guint period;
  gboolean new_period;
  gboolean new_config;
  guint64 start_ns, start_ticks;        /* START, CHUNK, FINISH: segment
                                         * start */
  gboolean discont;             /* FINISH: the segment follows a gap */
  /* CHUNK, FINISH: the samples of the chunk (FINISH: of the last chunk,
   * possibly none), owned by the op; the last one ends at end_ticks */
  GArray *samples;
  guint64 end_ticks;
  /* CHUNK, FINISH with samples: index of the chunk in its segment, from
   * 0; FINISH: how many chunks the segment has */
  guint part;
  guint n_parts;
  gint64 last_arrival;          /* FINISH: arrival of its last sample */
  SegDropReason reason;         /* DROP */
  gchar *message, *debug;       /* ERROR */
} SegOp;

typedef struct _Segmenter Segmenter;

Segmenter *segmenter_new (const SegmenterConfig * config);
void segmenter_free (Segmenter * seg);

/* A fresh start (new configuration, every track's numbers from its first
 * segment's grid slot again, pending samples freed).  Tracks are kept. */
void segmenter_reset (Segmenter * seg, const SegmenterConfig * config);

/* Tracks are ordered video first, then by index; the first one is the
 * reference. */
SegTrack *segmenter_add_track (Segmenter * seg, SegTrackKind kind,
    guint index, const gchar * id, gpointer user_data);
void segmenter_remove_track (Segmenter * seg, SegTrack * track);
SegTrack *segmenter_get_reference (Segmenter * seg);

/* The track's timescale and frame duration (video: from @fps_n/@fps_d,
 * 0/x = unknown; audio: @audio_frame samples, e.g. 1024 for AAC). */
void segmenter_track_set_format (SegTrack * track, guint32 timescale,
    gint fps_n, gint fps_d, guint audio_frame);
/* The track's format changed: it goes on in a new period from the
 * reference's next cut. */
void segmenter_track_format_changed (Segmenter * seg, SegTrack * track);

/* A resumed run: @track's next segment gets number @next (its HLS
 * playlist goes on).  Call after segmenter_reset(). */
void segmenter_track_continue (SegTrack * track, guint64 next);

/* Duration in ticks of one frame of @track */
guint64 segmenter_track_frame_ticks (const SegTrack * track);

/* Appends the operations caused by @sample (moved into the segmenter)
 * to @ops (an array of SegOp). */
void segmenter_push (Segmenter * seg, SegTrack * track,
    const SegSample * sample, GArray * ops);
/* The track ended (EOS): its last segment and, when the reference ends,
 * those of followers that ended before are finished. */
void segmenter_eos (Segmenter * seg, SegTrack * track, GArray * ops);
/* The track's pending samples are dropped (a flush) and the next segment
 * follows a gap.  An open segment is abandoned (not published, its number
 * used again) — unless chunks of it were handed out and @ops is not NULL:
 * those may have been served already (LL-HLS parts, a low-latency DASH
 * segment streamed while written), so it ends after its last chunk (a
 * FINISH without samples in @ops) and the next segment gets the next
 * number: a number never names two different contents.  Returns whether
 * a segment was open. */
gboolean segmenter_flush (Segmenter * seg, SegTrack * track, GArray * ops);

/* Low latency: the longest chunk (LL-HLS part) the grid can produce, in
 * ns — the part period (chunk duration rounded to whole frames of the
 * reference), or the longest whole number of frames of another track that
 * a grid interval can hold, plus SEGMENTER_PART_JITTER.  Fixed once the
 * first chunk is cut (it must not change during a stream); 0 before that
 * or without chunking. */
guint64 segmenter_part_target (Segmenter * seg);
/* The part period (ns), fixed with the part target; 0 before. */
guint64 segmenter_part_period (Segmenter * seg);

/* Frees what an op holds (samples not taken by the caller). */
void seg_op_clear (Segmenter * seg, SegOp * op);

/* Start of period @index in ns */
guint64 segmenter_period_start (Segmenter * seg, guint index);
guint segmenter_n_periods (Segmenter * seg);
gboolean segmenter_is_finished (Segmenter * seg);

/* --- manifests --------------------------------------------------- */

/* The caller published @track's segment ending at @end_ns / @end_ticks. */
void segmenter_published (Segmenter * seg, SegTrack * track, guint64 end_ns,
    guint64 end_ticks);

/* Whether every track that produces anything has published a segment:
 * the manifests wait for that (a track that produces nothing holds the
 * others back for 3 reference segments at most). */
gboolean segmenter_all_listed (Segmenter * seg);

/* Whether the manifests are due now that @published published a segment
 * (NULL: forced, e.g. at the end).  They are, once every active track has
 * published a new segment (one write per segment round), when a track is
 * more than two segments ahead of the slowest, and once finished.  When
 * due, the tracks' segments count as listed. */
gboolean segmenter_manifests_due (Segmenter * seg, SegTrack * published);

/* Whether a due write may be skipped: the segment @published just
 * published ends more than two segments after the wall clock (@now_us,
 * real time; @ast_us the availabilityStartTime, µs since the epoch) — the input
 * runs faster than real time — and the last write (@last_write_us,
 * monotonic, 0 = none) was less than manifest_min_interval before
 * @now_mono_us.  Never when forced or finished. */
gboolean segmenter_manifests_skip (Segmenter * seg, SegTrack * published,
    gint64 ast_us, gint64 now_us, gint64 last_write_us, gint64 now_mono_us);

/* The end of a segment starting at @start_ns by the grid (ns): the first
 * grid point at least half a segment duration after it */
guint64 segmenter_next_boundary (Segmenter * seg, guint64 start_ns);

/* Low latency: durations (ticks) of the segments of @track after its
 * last published one ending at @end_ticks that the MPD announces,
 * predicted from the segment grid (a keyframe at every grid point)
 * rounded up to whole frames: DASH_MAX_AHEAD of them, and for a
 * track that lags the reference (its segment of the round not published
 * yet) as many more as it takes to reach the same media time as the
 * reference's (at most DASH_MAX_ANNOUNCED in all).  Returns how many were
 * predicted (0 when nothing can be: no chunking, finished, the track ended
 * or waits for a new period, no reference segment yet). */
guint segmenter_predict (Segmenter * seg, SegTrack * track, guint64 end_ticks,
    guint64 ahead[DASH_MAX_ANNOUNCED]);

G_END_DECLS

#endif /* __SEGMENTER_H__ */
