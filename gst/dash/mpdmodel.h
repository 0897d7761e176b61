/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* MPEG-DASH MPD model: periods, representations and their segment
 * timelines as plain data, rendered to XML with libxml2's xmlTextWriter.
 * GLib + libxml2 only: no pads, no locks, no files.
 *
 * Times: the model's media time is a nanosecond timeline whose 0 is the
 * availabilityStartTime (dynamic) or the start of the presentation
 * (static).  Segment t/d are in the representation's timescale and are
 * written to S@t/@d verbatim: they are the segments' tfdt and durations. */

#ifndef __MPD_MODEL_H__
#define __MPD_MODEL_H__

#include <glib.h>

#include "dashtime.h"

G_BEGIN_DECLS

#define MPD_NS_PER_SECOND G_GUINT64_CONSTANT (1000000000)

typedef enum {
  MPD_KIND_VIDEO,
  MPD_KIND_AUDIO,
} MpdKind;

typedef struct {
  guint64 number;
  guint64 t;                    /* tfdt, timescale ticks */
  guint64 d;                    /* duration, timescale ticks */
  guint64 size;                 /* bytes of the segment file */
} MpdSegment;

/* What describes a representation; strings are copied. */
typedef struct {
  const gchar *id;
  MpdKind kind;
  const gchar *codecs;          /* RFC 6381, e.g. avc1.64001f */
  guint32 timescale;
  const gchar *init_url;        /* relative, no template */
  const gchar *media_template;  /* relative, with $Number$ */
  guint64 start_number;         /* number of the first segment */
  guint64 presentation_time_offset;     /* ticks */
  guint width, height, fps_n, fps_d, par_n, par_d;      /* video */
  guint sample_rate, channels;  /* audio */
  const gchar *lang;            /* audio, NULL = none */
  guint64 bandwidth_hint;       /* bits/s used before a segment exists */
} MpdRepresentationInfo;

typedef struct _MpdRepresentation {
  gchar *id;
  MpdKind kind;
  gchar *codecs;
  guint32 timescale;
  gchar *init_url, *media_template;
  guint64 presentation_time_offset;
  guint width, height, fps_n, fps_d, par_n, par_d;
  guint sample_rate, channels;
  gchar *lang;
  GArray *segments;             /* MpdSegment, oldest first */
  guint64 next_number;
  guint64 peak_bitrate;         /* bits/s, highest segment bitrate seen */
  guint64 bandwidth_hint;
  guint64 total_bytes;
  guint64 total_ticks;
  /* low latency: durations of the segments after the last one that are
   * announced before they are complete (in progress or next) */
  guint64 ahead_d[DASH_MAX_ANNOUNCED];
  guint n_ahead;
  /* ProducerReferenceTime, rendered when prt_wallclock_us > 0 */
  gint64 prt_wallclock_us;      /* µs since the Unix epoch */
  guint64 prt_presentation_time;        /* ticks */
} MpdRepresentation;

typedef struct {
  gchar *id;
  guint64 start;                /* ns on the model's media time */
  GPtrArray *reps;              /* MpdRepresentation */
  /* a live MPD without low latency lists it once every representation
   * holds this many segments (a restarted producer's Period: a player
   * that seeks over the gap before them lands that far from the live
   * edge); 0 = at once.  Cleared when reached. */
  guint hold_segments;
} MpdPeriod;

typedef struct {
  /* settings, set by the owner before rendering */
  guint64 min_buffer_time;      /* ns */
  guint64 suggested_presentation_delay; /* ns, 0 = omit */
  guint64 minimum_update_period;        /* ns */
  guint64 time_shift_buffer_depth;      /* ns, 0 = unlimited (omitted) */
  gchar *utc_timing_scheme;     /* e.g. urn:mpeg:dash:utc:http-xsdate:2014 */
  gchar *utc_timing_value;      /* NULL: direct scheme with publishTime */
  gchar *base_url;              /* NULL = none */
  /* low-latency extensions, rendered when set (serving issue) */
  gdouble availability_time_offset;     /* s, 0 = omit */
  gboolean availability_time_complete;  /* written when ato > 0 */
  guint64 latency_target, latency_min, latency_max;     /* ms, 0 = omit */
  gdouble playback_rate_min, playback_rate_max; /* 0 = omit */
  guint64 resync_dt;            /* ns between resync points, 0 = omit */

  /* state */
  gboolean render_ll;           /* during mpd_model_render_full() */
  gboolean is_static;
  gboolean ast_set;
  gint64 availability_start_time;       /* µs since the Unix epoch */
  guint64 static_duration;      /* ns, static only */
  guint64 max_segment_duration; /* ns, highest seen */
  guint next_period_id;
  GPtrArray *periods;           /* MpdPeriod */
} MpdModel;

MpdModel *mpd_model_new (void);
void mpd_model_free (MpdModel * model);

/* Sets availabilityStartTime once: a later call with another value is
 * refused (FALSE) so that the stream's time origin never moves. */
gboolean mpd_model_set_availability_start_time (MpdModel * model,
    gint64 unix_us);

/* Periods are appended in time order. */
MpdPeriod *mpd_model_add_period (MpdModel * model, guint64 start_ns);
MpdPeriod *mpd_model_last_period (MpdModel * model);

MpdRepresentation *mpd_period_add_representation (MpdPeriod * period,
    const MpdRepresentationInfo * info);

/* Appends a segment and returns its number.  Updates the peak bitrate
 * (computed in ticks: no division by zero for sub-second segments, a
 * zero duration is ignored for the bitrate). */
guint64 mpd_representation_add_segment (MpdRepresentation * rep,
    guint64 t, guint64 d, guint64 size);

/* Announces @n (<= DASH_MAX_ANNOUNCED) segments after the last one, with
 * durations @d, in a dynamic MPD (low latency: the segment in progress and
 * the next one).  They are rendered as S elements after the complete
 * segments and replaced by the next call. */
void mpd_representation_set_ahead (MpdRepresentation * rep,
    const guint64 * d, guint n);

/* Bits per second of one segment, 0 for d == 0. */
guint64 mpd_segment_bitrate (guint64 size, guint64 d, guint32 timescale);

/* End of the last segment in ns, or 0. */
guint64 mpd_representation_end (const MpdRepresentation * rep);

typedef void (*MpdRemovedFunc) (MpdPeriod * period, MpdRepresentation * rep,
    const MpdSegment * seg, gpointer user_data);

/* Removes segments that end before @now - timeShiftBufferDepth (both ns
 * of media time) and periods left with no segment (except the last).
 * Calls @func for every removed segment before it is dropped.  Returns the
 * number of removed segments.  No-op when the depth is 0. */
guint mpd_model_trim (MpdModel * model, guint64 now, MpdRemovedFunc func,
    gpointer user_data);

/* Turns the presentation static (VOD) ending at @end_ns of media time.
 * The first remaining segment becomes presentation time 0. */
void mpd_model_finalize (MpdModel * model, guint64 end_ns);

/* The MPD document, NUL-terminated UTF-8; g_free() it. */
gchar *mpd_model_render (MpdModel * model, gint64 publish_time_us,
    gsize * len);
/* The same with the low-latency signalling (announced segments,
 * availabilityTimeOffset, ServiceDescription) only when @low_latency:
 * without it the MPD lists complete segments only, for any HTTP server. */
gchar *mpd_model_render_full (MpdModel * model, gint64 publish_time_us,
    gboolean low_latency, gsize * len);

/* xs:duration ("PT2.5S") and xs:dateTime ("...T...Z", ms) helpers */
gchar *mpd_format_duration (guint64 ns);
gchar *mpd_format_date_time (gint64 unix_us);

G_END_DECLS

#endif /* __MPD_MODEL_H__ */
