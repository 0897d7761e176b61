/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's settings: its properties as one struct, their GObject
 * property specifications and documentation, and the copy a run works
 * with (taken at READY->PAUSED, so that the streaming threads never read
 * a property while it changes). */

#ifndef __DASH_SETTINGS_H__
#define __DASH_SETTINGS_H__

#include <gst/gst.h>

#include "segmenter.h"
#include "dashpresentation.h"

G_BEGIN_DECLS

#define DASH_DEFAULT_MPD_NAME "manifest.mpd"
#define DASH_DEFAULT_HTTP_ADDRESS "127.0.0.1"

/* property ids, from 1 */
enum
{
  DASH_SETTING_0,
  DASH_SETTING_LOCATION,
  DASH_SETTING_MPD_NAME,
  DASH_SETTING_SEGMENT_DURATION,
  DASH_SETTING_CHUNK_DURATION,
  DASH_SETTING_DVR_WINDOW,
  DASH_SETTING_MIN_BUFFER_TIME,
  DASH_SETTING_SUGGESTED_PRESENTATION_DELAY,
  DASH_SETTING_UTC_TIMING_URL,
  DASH_SETTING_HLS,
  DASH_SETTING_BASE_URL,
  DASH_SETTING_HTTP_PORT,
  DASH_SETTING_HTTP_ADDRESS,
  DASH_SETTING_TARGET_LATENCY,
  DASH_SETTING_MIN_LATENCY,
  DASH_SETTING_MAX_LATENCY,
  DASH_SETTING_MIN_PLAYBACK_RATE,
  DASH_SETTING_MAX_PLAYBACK_RATE,
  DASH_SETTING_UPLOAD_LOCATION,
  DASH_SETTING_UPLOAD_QUEUE_SIZE,
  DASH_SETTING_MANIFEST_MIN_INTERVAL,
  DASH_SETTING_HTTP_LISTEN_BACKLOG,
  DASH_SETTING_TIMELINE,
  DASH_SETTING_RESUME,
  DASH_SETTING_HTTP_MOUNT,
  DASH_SETTING_UPLOAD_LL_MANIFESTS,
  DASH_SETTING_LAST             /* the element's own ids start here */
};

/**
 * GstDashLiveSinkTimeline:
 * @GST_DASH_LIVE_SINK_TIMELINE_WALL_CLOCK: a run's media time starts at the
 *   wall-clock time (UTC) at which its first buffer arrives and follows
 *   the buffers' running time from there
 * @GST_DASH_LIVE_SINK_TIMELINE_CLOCK: media time is the buffers' clock time
 *   (running time + base time), which must be UTC: a realtime system clock
 *   (or a network clock) shared by redundant producers
 *
 * Where dashlivesink's media timeline comes from.  Either way it is UTC
 * (availabilityStartTime is the Unix epoch) and segments are named after
 * their start on it.
 */
typedef enum
{
  GST_DASH_LIVE_SINK_TIMELINE_WALL_CLOCK,
  GST_DASH_LIVE_SINK_TIMELINE_CLOCK,
} GstDashLiveSinkTimeline;

#define GST_TYPE_DASH_LIVE_SINK_TIMELINE (gst_dash_live_sink_timeline_get_type ())
GType gst_dash_live_sink_timeline_get_type (void);

/* The properties (durations in ns) */
typedef struct
{
  gchar *location;
  gchar *mpd_name;
  guint64 segment_duration;
  guint64 chunk_duration;
  guint64 dvr_window;
  guint64 min_buffer_time;
  guint64 suggested_presentation_delay;
  gchar *utc_timing_url;
  gboolean hls;
  gchar *base_url;
  guint http_port;
  gchar *http_address;
  guint http_listen_backlog;
  gchar *http_mount;
  guint64 target_latency, min_latency, max_latency;
  gdouble min_playback_rate, max_playback_rate;
  gchar *upload_location;
  guint upload_queue_size;
  guint64 manifest_min_interval;
  GstDashLiveSinkTimeline timeline;
  gboolean resume;
  gboolean upload_ll_manifests;
} DashSettings;

/* The defaults */
void dash_settings_init (DashSettings * s);
void dash_settings_clear (DashSettings * s);
/* @dst (cleared first) becomes a copy of @src for a run: empty location,
 * mpd-name and http-address replaced by their defaults, http-mount
 * without a trailing '/', a chunk as long
 * as a segment means whole segments. */
void dash_settings_copy (DashSettings * dst, const DashSettings * src);

/* The segmenter's and the presentation's configuration for a run with
 * @run (the strings stay @run's) */
SegmenterConfig dash_settings_segmenter_config (const DashSettings * run);
DashPresentationConfig dash_settings_presentation_config (const DashSettings
    * run);

void dash_settings_install_properties (GObjectClass * klass);
/* FALSE for an unknown @prop_id.  The caller holds the object lock. */
gboolean dash_settings_set_property (DashSettings * s, guint prop_id,
    const GValue * value);
gboolean dash_settings_get_property (const DashSettings * s, guint prop_id,
    GValue * value);

G_END_DECLS

#endif /* __DASH_SETTINGS_H__ */
