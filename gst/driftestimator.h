/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The core of avsync: an audio/video drift estimator and a slew controller.
 * GLib only: no pads, no locks, no clock. All times are nanoseconds supplied
 * by the caller.
 *
 * Model. Every buffer of a stream gives an observation (x, y): y is its
 * timestamp (running time) and x the time it "really" belongs to on a
 * reference timeline:
 *  - DRIFT_REFERENCE_CLOCK: x is the running time on the pipeline clock when
 *    the buffer arrived (live pipelines);
 *  - DRIFT_REFERENCE_MEDIA: x is the stream's own content clock, i.e. the
 *    first timestamp plus the duration of all content seen so far (audio
 *    sample counts, video frame counts; non-live pipelines).
 * The delay d = x - y of a stream is filtered per window (the minimum, which
 * rejects queueing jitter) and a line is fitted through the last windows.
 * The A/V offset is
 *
 *     offset(x) = (d_audio(x) - d_video(x)) - baseline
 *
 * i.e. how much later the video is stamped than the audio for the same
 * instant. Positive: the audio leads (the picture is late); negative: the
 * audio lags. The baseline is taken when measuring starts: the streams are
 * assumed in sync at start (a known constant error is what the manual
 * av-offset is for).
 *
 * Correction. Audio is the master and is never touched. The controller
 * returns a correction C per video frame, to be subtracted from the
 * video timestamps. Once the offset passes the lead or lag threshold, C is
 * slewed towards offset + av-offset by at most max-correction per frame and
 * never more than half a frame, and then keeps tracking it. In drop-dup mode
 * C moves by whole frames instead, and the caller drops or duplicates a
 * frame.
 *
 * Discontinuities. A timestamp jump beyond max-jump that the reference
 * timeline does not share (a sender restart) restarts that stream's track
 * (a new "epoch"); when both streams are in the new epoch the baseline is
 * taken again so that the residual error stays where it was, and a video
 * jump drops the accumulated correction at once (the jump hides the step).
 * Gaps (the timestamps and the reference jump together, or in media mode a
 * jump smaller than max-jump) do not count as drift. */

#ifndef __DRIFT_ESTIMATOR_H__
#define __DRIFT_ESTIMATOR_H__

#include <glib.h>

G_BEGIN_DECLS

#define DRIFT_TIME_NONE G_MAXUINT64
#define DRIFT_MSECOND (G_GINT64_CONSTANT (1000000))
#define DRIFT_SECOND (G_GINT64_CONSTANT (1000000000))
#define DRIFT_MAX_HISTORY 256

typedef enum {
  DRIFT_AUDIO = 0,
  DRIFT_VIDEO = 1,
} DriftStream;

typedef enum {
  DRIFT_REFERENCE_CLOCK,
  DRIFT_REFERENCE_MEDIA,
} DriftReference;

typedef enum {
  DRIFT_MODE_SLEW,
  DRIFT_MODE_DROP_DUP,
  DRIFT_MODE_NONE,
} DriftMode;

typedef enum {
  DRIFT_ACTION_PUSH,
  /* don't push this frame: the correction grew by one frame */
  DRIFT_ACTION_DROP,
  /* push a copy of this frame one frame duration earlier, then the frame:
   * the correction shrank by one frame */
  DRIFT_ACTION_DUP,
} DriftAction;

/* What an observation did; several can be set */
typedef enum {
  DRIFT_EVENT_WINDOW = 1 << 0,    /* a measurement window closed */
  DRIFT_EVENT_GAP = 1 << 1,       /* a gap, not counted as drift */
  DRIFT_EVENT_JUMP = 1 << 2,      /* this stream jumped: its track restarted */
  DRIFT_EVENT_SHIFT = 1 << 3,     /* a level shift was accepted */
  DRIFT_EVENT_OUTLIER = 1 << 4,   /* a window was rejected as an outlier */
  DRIFT_EVENT_BASELINE = 1 << 5,  /* the offset was (re)established */
  DRIFT_EVENT_ENGAGED = 1 << 6,   /* correction started */
  DRIFT_EVENT_MERGED = 1 << 7,    /* a one-sided jump was absorbed */
} DriftEvents;

/* ------------------------------------------------------------------------
 * One stream's track: continuity, windowed minimum of the delay, line fit.
 */
typedef struct _DriftTrack DriftTrack;

typedef struct {
  DriftReference reference;
  guint64 window;               /* ns per measurement window (> 0) */
  guint history;                /* windows in the fit, 2..DRIFT_MAX_HISTORY */
  guint64 max_jump;             /* a larger jump restarts the track */
  guint64 shift;                /* window minimum this far off the fit is an
                                 * outlier */
  guint shift_windows;          /* consecutive consistent outliers that are
                                 * accepted as a level shift */
} DriftTrackConfig;

void drift_track_config_init (DriftTrackConfig * cfg, DriftReference ref);

DriftTrack * drift_track_new (const DriftTrackConfig * cfg);
void drift_track_free (DriftTrack * track);
/* Forget everything, epoch back to 0 */
void drift_track_reset (DriftTrack * track);
void drift_track_configure (DriftTrack * track, const DriftTrackConfig * cfg);

/* One buffer: @x is the arrival time (clock reference; ignored with the
 * media reference), @y its timestamp, @dur the content duration (samples /
 * rate, one frame) or DRIFT_TIME_NONE. Returns DriftEvents. */
guint drift_track_observe (DriftTrack * track, guint64 x, guint64 y,
    guint64 dur);
/* A gap announced by the stream (GAP event) from @y for @dur */
guint drift_track_gap (DriftTrack * track, guint64 y, guint64 dur);
/* Restart the track as after a jump (flush) */
void drift_track_restart (DriftTrack * track);

/* The fitted delay x - y at @x for @epoch (the current or the previous
 * one), in ns. FALSE when there is no fit for that epoch. */
gboolean drift_track_delay_at (const DriftTrack * track, guint epoch,
    guint64 x, gdouble * delay);
/* Slope of the delay, ns per ns (0 with too few windows) */
gdouble drift_track_slope (const DriftTrack * track);
guint drift_track_epoch (const DriftTrack * track);
/* Windows in the current fit */
guint drift_track_n_points (const DriftTrack * track);
/* Reference time of the last observation, DRIFT_TIME_NONE before any */
guint64 drift_track_last_x (const DriftTrack * track);
/* Reference time where the last jump happened, on the old timeline */
guint64 drift_track_jump_x (const DriftTrack * track);

/* ------------------------------------------------------------------------
 * The pair of tracks with the baseline and the slew controller.
 */
typedef struct _DriftSync DriftSync;

typedef struct {
  DriftTrackConfig track;
  guint warmup;                 /* windows per stream before the baseline */
  DriftMode mode;
  guint64 lead_threshold;       /* engage when offset > +lead_threshold */
  guint64 lag_threshold;        /* engage when offset < -lag_threshold */
  guint64 max_correction;       /* per frame; 0 = never correct */
  gint64 av_offset;             /* manual: added to the measured offset */
} DriftSyncConfig;

typedef struct {
  DriftAction action;
  gint64 correction;            /* subtract from this frame's timestamps */
  guint64 frame_duration;       /* the duration used (DUP: the copy's) */
  guint events;
} DriftVideoResult;

typedef struct {
  gboolean valid;               /* offset measured */
  gboolean engaged;
  gint64 offset;                /* measured A/V offset, ns, + = audio leads */
  gint64 residual;              /* offset + av-offset - correction */
  gint64 correction;            /* current video correction */
  gdouble drift_ppm;            /* slope of the offset, smoothed */
  guint64 mean_offset;          /* mean |offset| over windows */
  gint64 max_offset;            /* offset of largest magnitude */
  guint64 mean_residual;        /* mean |residual| over windows */
  gint64 max_residual;          /* residual of largest magnitude */
  guint64 samples;              /* windows that fed the means */
  guint64 corrections;          /* frames whose correction was slewed */
  guint64 dropped;
  guint64 duplicated;
  guint64 resets;               /* stream restarts (jumps, flushes) */
  guint64 gaps;
  guint64 shifts;
  guint64 outliers;
  guint64 audio_buffers;
  guint64 video_buffers;
} DriftSyncStats;

void drift_sync_config_init (DriftSyncConfig * cfg, DriftReference ref);

DriftSync * drift_sync_new (const DriftSyncConfig * cfg);
void drift_sync_free (DriftSync * sync);
/* Thresholds, mode, av-offset, max-correction may change at any time; a
 * different reference or track setup restarts the measurement. */
void drift_sync_configure (DriftSync * sync, const DriftSyncConfig * cfg);
/* Forget everything (stop); counters are kept */
void drift_sync_reset (DriftSync * sync);

guint drift_sync_audio (DriftSync * sync, guint64 x, guint64 y, guint64 dur);
/* @ts is the timestamp whose monotonicity is kept (DTS if there is one),
 * @dur the frame's content duration (one frame) or DRIFT_TIME_NONE,
 * @can_drop_dup whether whole frames may be dropped/duplicated (raw video) */
void drift_sync_video (DriftSync * sync, guint64 x, guint64 ts, guint64 dur,
    gboolean can_drop_dup, DriftVideoResult * res);
guint drift_sync_gap (DriftSync * sync, DriftStream stream, guint64 y,
    guint64 dur);
/* A flush on one stream: restarts its track like a jump */
void drift_sync_flush (DriftSync * sync, DriftStream stream);

/* The measured offset at reference time @x (DRIFT_TIME_NONE: the video's
 * last). FALSE while it is not known. */
gboolean drift_sync_offset_at (const DriftSync * sync, guint64 x,
    gint64 * offset);
const DriftSyncStats * drift_sync_get_stats (const DriftSync * sync);
const DriftTrack * drift_sync_get_track (const DriftSync * sync,
    DriftStream stream);

G_END_DECLS

#endif /* __DRIFT_ESTIMATOR_H__ */
