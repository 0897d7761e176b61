/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's properties.  See dashsettings.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "dashsettings.h"

#define DEFAULT_LOCATION "dash"
#define DEFAULT_MPD_NAME DASH_DEFAULT_MPD_NAME
#define DEFAULT_SEGMENT_DURATION (2 * GST_SECOND)
#define DEFAULT_CHUNK_DURATION 0
#define DEFAULT_DVR_WINDOW (120 * GST_SECOND)
#define DEFAULT_MIN_BUFFER_TIME (2 * GST_SECOND)
#define DEFAULT_SUGGESTED_PRESENTATION_DELAY 0
#define DEFAULT_UTC_TIMING_URL NULL
#define DEFAULT_HLS TRUE
#define DEFAULT_BASE_URL NULL
#define DEFAULT_HTTP_PORT 0
#define DEFAULT_HTTP_ADDRESS DASH_DEFAULT_HTTP_ADDRESS
#define DEFAULT_HTTP_LISTEN_BACKLOG 4096
#define DEFAULT_TARGET_LATENCY 0
#define DEFAULT_MIN_LATENCY 0
#define DEFAULT_MAX_LATENCY 0
#define DEFAULT_MIN_PLAYBACK_RATE 0.96
#define DEFAULT_MAX_PLAYBACK_RATE 1.04
#define DEFAULT_UPLOAD_LOCATION NULL
#define DEFAULT_UPLOAD_QUEUE_SIZE 64
#define DEFAULT_UPLOAD_LL_MANIFESTS FALSE
#define DEFAULT_MANIFEST_MIN_INTERVAL GST_SECOND
#define MAX_MANIFEST_MIN_INTERVAL (60 * GST_SECOND)

#define DEFAULT_TIMELINE GST_DASH_LIVE_SINK_TIMELINE_WALL_CLOCK
#define DEFAULT_RESUME TRUE

#define MIN_SEGMENT_DURATION (100 * GST_MSECOND)

GType
gst_dash_live_sink_timeline_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_DASH_LIVE_SINK_TIMELINE_WALL_CLOCK,
          "Media time starts at the wall-clock time the first buffer arrives",
        "wall-clock"},
    {GST_DASH_LIVE_SINK_TIMELINE_CLOCK,
          "Media time is the buffers' clock time (a UTC pipeline clock)",
        "clock"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstDashLiveSinkTimeline", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define MAX_SEGMENT_DURATION (60 * GST_SECOND)

void
dash_settings_init (DashSettings * s)
{
  memset (s, 0, sizeof (*s));
  s->location = g_strdup (DEFAULT_LOCATION);
  s->mpd_name = g_strdup (DEFAULT_MPD_NAME);
  s->segment_duration = DEFAULT_SEGMENT_DURATION;
  s->chunk_duration = DEFAULT_CHUNK_DURATION;
  s->dvr_window = DEFAULT_DVR_WINDOW;
  s->min_buffer_time = DEFAULT_MIN_BUFFER_TIME;
  s->suggested_presentation_delay = DEFAULT_SUGGESTED_PRESENTATION_DELAY;
  s->utc_timing_url = g_strdup (DEFAULT_UTC_TIMING_URL);
  s->hls = DEFAULT_HLS;
  s->base_url = g_strdup (DEFAULT_BASE_URL);
  s->http_port = DEFAULT_HTTP_PORT;
  s->http_address = g_strdup (DEFAULT_HTTP_ADDRESS);
  s->http_listen_backlog = DEFAULT_HTTP_LISTEN_BACKLOG;
  s->target_latency = DEFAULT_TARGET_LATENCY;
  s->min_latency = DEFAULT_MIN_LATENCY;
  s->max_latency = DEFAULT_MAX_LATENCY;
  s->min_playback_rate = DEFAULT_MIN_PLAYBACK_RATE;
  s->max_playback_rate = DEFAULT_MAX_PLAYBACK_RATE;
  s->upload_location = g_strdup (DEFAULT_UPLOAD_LOCATION);
  s->upload_queue_size = DEFAULT_UPLOAD_QUEUE_SIZE;
  s->upload_ll_manifests = DEFAULT_UPLOAD_LL_MANIFESTS;
  s->manifest_min_interval = DEFAULT_MANIFEST_MIN_INTERVAL;
  s->timeline = DEFAULT_TIMELINE;
  s->resume = DEFAULT_RESUME;
}

void
dash_settings_clear (DashSettings * s)
{
  g_free (s->location);
  g_free (s->mpd_name);
  g_free (s->utc_timing_url);
  g_free (s->base_url);
  g_free (s->http_address);
  g_free (s->http_mount);
  g_free (s->upload_location);
  memset (s, 0, sizeof (*s));
}

/* @dst (cleared first) becomes a deep copy of @src */
void
dash_settings_copy (DashSettings * dst, const DashSettings * src)
{
  dash_settings_clear (dst);
  *dst = *src;
  dst->location = g_strdup (src->location && *src->location ?
      src->location : ".");
  dst->mpd_name = g_strdup (src->mpd_name && *src->mpd_name ?
      src->mpd_name : DEFAULT_MPD_NAME);
  dst->utc_timing_url = g_strdup (src->utc_timing_url);
  dst->base_url = g_strdup (src->base_url);
  dst->http_address = g_strdup (src->http_address && *src->http_address ?
      src->http_address : DEFAULT_HTTP_ADDRESS);
  dst->upload_location = g_strdup (src->upload_location);
  dst->http_mount = g_strdup (src->http_mount ? src->http_mount : "");
  if (g_str_has_suffix (dst->http_mount, "/"))
    dst->http_mount[strlen (dst->http_mount) - 1] = '\0';
  /* a chunk as long as a segment is a whole segment */
  if (dst->chunk_duration >= dst->segment_duration)
    dst->chunk_duration = 0;
}

SegmenterConfig
dash_settings_segmenter_config (const DashSettings * run)
{
  SegmenterConfig cfg = { 0, };

  cfg.segment_duration = run->segment_duration;
  cfg.chunk_duration = run->chunk_duration;
  cfg.manifest_min_interval = run->manifest_min_interval;
  cfg.grid_from_zero = run->timeline == GST_DASH_LIVE_SINK_TIMELINE_CLOCK;
  cfg.free_data = (GDestroyNotify) gst_buffer_unref;
  return cfg;
}

DashPresentationConfig
dash_settings_presentation_config (const DashSettings * run)
{
  DashPresentationConfig pcfg = { 0, };

  pcfg.segment_duration = run->segment_duration;
  pcfg.chunk_duration = run->chunk_duration;
  pcfg.dvr_window = run->dvr_window;
  pcfg.min_buffer_time = run->min_buffer_time;
  pcfg.suggested_presentation_delay = run->suggested_presentation_delay;
  pcfg.utc_timing_url = run->utc_timing_url;
  pcfg.base_url = run->base_url;
  pcfg.mpd_name = run->mpd_name;
  pcfg.hls = run->hls;
  pcfg.target_latency = run->target_latency;
  pcfg.min_latency = run->min_latency;
  pcfg.max_latency = run->max_latency;
  pcfg.min_playback_rate = run->min_playback_rate;
  pcfg.max_playback_rate = run->max_playback_rate;
  return pcfg;
}

void
dash_settings_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstDashLiveSink:location:
   *
   * Directory that receives the MPD, the playlists and the segments.
   * Created if missing.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_LOCATION,
      g_param_spec_string ("location", "Location",
          "Output directory (created if missing)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:mpd-name:
   *
   * File name of the MPD inside #GstDashLiveSink:location.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_MPD_NAME,
      g_param_spec_string ("mpd-name", "MPD name",
          "File name of the MPD in the output directory", DEFAULT_MPD_NAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:segment-duration:
   *
   * Target segment duration in nanoseconds.  A segment ends at the first
   * keyframe at or after this duration; a keyframe up to half a frame
   * early counts (live timestamps jitter).
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_SEGMENT_DURATION,
      g_param_spec_uint64 ("segment-duration", "Segment duration",
          "Target segment duration in ns (a segment ends at the first "
          "keyframe at or after it)", MIN_SEGMENT_DURATION,
          MAX_SEGMENT_DURATION, DEFAULT_SEGMENT_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:chunk-duration:
   *
   * Duration of the CMAF chunks (moof+mdat) a segment is made of, in
   * nanoseconds.  Chunks are written to the segment's temporary file as
   * soon as they are complete.  0 = one chunk per segment.  Chunks are cut
   * on one grid for every pad (the duration rounded to whole frames of the
   * first video pad); with http-port they are also the parts of the
   * LL-HLS playlists the embedded server answers.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_CHUNK_DURATION,
      g_param_spec_uint64 ("chunk-duration", "Chunk duration",
          "Duration of the moof+mdat chunks of a segment in ns "
          "(0 = whole segments)", 0, MAX_SEGMENT_DURATION,
          DEFAULT_CHUNK_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:dvr-window:
   *
   * Time-shift window in nanoseconds (MPD@timeShiftBufferDepth and the
   * HLS sliding window).  Segments that leave it are deleted one segment
   * later.  0 = keep everything.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_DVR_WINDOW,
      g_param_spec_uint64 ("dvr-window", "DVR window",
          "Time-shift window in ns, older segments are deleted "
          "(0 = keep everything)", 0, G_MAXUINT64, DEFAULT_DVR_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:min-buffer-time:
   *
   * MPD@minBufferTime in nanoseconds.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_MIN_BUFFER_TIME,
      g_param_spec_uint64 ("min-buffer-time", "Min buffer time",
          "MPD minBufferTime in ns", 0, 600 * GST_SECOND,
          DEFAULT_MIN_BUFFER_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:suggested-presentation-delay:
   *
   * MPD@suggestedPresentationDelay in nanoseconds; 0 = three segment
   * durations.
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_SUGGESTED_PRESENTATION_DELAY,
      g_param_spec_uint64 ("suggested-presentation-delay",
          "Suggested presentation delay",
          "MPD suggestedPresentationDelay in ns (0 = 3 segment durations)",
          0, 600 * GST_SECOND, DEFAULT_SUGGESTED_PRESENTATION_DELAY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:utc-timing-url:
   *
   * URL of a clock for players (UTCTiming, urn:mpeg:dash:utc:http-xsdate:2014).
   * NULL = urn:mpeg:dash:utc:direct:2014 with the MPD's publish time.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_UTC_TIMING_URL,
      g_param_spec_string ("utc-timing-url", "UTC timing URL",
          "http-xsdate time source for players (NULL = direct scheme)",
          DEFAULT_UTC_TIMING_URL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:hls:
   *
   * Also write HLS playlists (master.m3u8 and one media playlist per
   * representation) for the same segments.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_HLS,
      g_param_spec_boolean ("hls", "HLS",
          "Also write HLS playlists for the same segments", DEFAULT_HLS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:base-url:
   *
   * MPD BaseURL, e.g. a CDN prefix.  NULL = none (relative URLs).
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_BASE_URL,
      g_param_spec_string ("base-url", "Base URL",
          "BaseURL written into the MPD (NULL = relative URLs)",
          DEFAULT_BASE_URL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:http-port:
   *
   * TCP port of the embedded HTTP/1.1 server that serves the output
   * directory (segments still being written are sent with chunked
   * transfer encoding), /time, /metrics and a dash.js player page at /.
   * 0 = no server.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_HTTP_PORT,
      g_param_spec_uint ("http-port", "HTTP port",
          "Port of the embedded HTTP server (0 = off)", 0, 65535,
          DEFAULT_HTTP_PORT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:http-address:
   *
   * Address the embedded HTTP server listens on ("0.0.0.0" or "::" for
   * every interface).
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_HTTP_ADDRESS,
      g_param_spec_string ("http-address", "HTTP address",
          "Address the embedded HTTP server listens on", DEFAULT_HTTP_ADDRESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:http-listen-backlog:
   *
   * Connections the kernel queues for the embedded server before it
   * accepts them (capped by net.core.somaxconn): room for a crowd of
   * viewers connecting in the same second.
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_HTTP_LISTEN_BACKLOG,
      g_param_spec_uint ("http-listen-backlog", "HTTP listen backlog",
          "Pending connections the kernel queues for the embedded server",
          1, 65535, DEFAULT_HTTP_LISTEN_BACKLOG,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:http-mount:
   *
   * Path under which the embedded server serves this sink ("/live/cam1":
   * /live/cam1/manifest.mpd, /live/cam1/master.m3u8, the player page at
   * /live/cam1/).  Sinks of one process with the same http-address and
   * http-port share one server, each under its own mount; /time and
   * /metrics (of every pipeline served) are then at the root.  Empty =
   * the root.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_HTTP_MOUNT,
      g_param_spec_string ("http-mount", "HTTP mount",
          "Path prefix of this sink on the embedded server, e.g. /live/cam1 "
          "(empty = the root; sinks on one port share a server)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:target-latency:
   *
   * Low latency (chunk-duration > 0): ServiceDescription Latency@target in
   * nanoseconds, and the LL-HLS PART-HOLD-BACK (at least three part
   * targets).  0 = max (1 s, 4 chunk durations).
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_TARGET_LATENCY,
      g_param_spec_uint64 ("target-latency", "Target latency",
          "Low-latency target for players in ns: DASH Latency@target, HLS "
          "PART-HOLD-BACK (0 = max (1 s, 4 chunks))",
          0, 60 * GST_SECOND, DEFAULT_TARGET_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:min-latency:
   *
   * Low latency: ServiceDescription Latency@min in nanoseconds.
   * 0 = 3/4 of the target.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_MIN_LATENCY,
      g_param_spec_uint64 ("min-latency", "Minimum latency",
          "Low-latency minimum for players in ns (0 = 3/4 of the target)",
          0, 60 * GST_SECOND, DEFAULT_MIN_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:max-latency:
   *
   * Low latency: ServiceDescription Latency@max in nanoseconds.
   * 0 = target + one segment duration.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_MAX_LATENCY,
      g_param_spec_uint64 ("max-latency", "Maximum latency",
          "Low-latency maximum for players in ns (0 = target + 1 segment)",
          0, 120 * GST_SECOND, DEFAULT_MAX_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:min-playback-rate:
   *
   * Low latency: ServiceDescription PlaybackRate@min, the slowest rate a
   * player may use to keep the target latency.
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_MIN_PLAYBACK_RATE, g_param_spec_double ("min-playback-rate",
          "Minimum playback rate",
          "Slowest playback rate players may use for latency control", 0.5, 1.0,
          DEFAULT_MIN_PLAYBACK_RATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:max-playback-rate:
   *
   * Low latency: ServiceDescription PlaybackRate@max, the fastest rate a
   * player may use to catch up with the target latency.
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_MAX_PLAYBACK_RATE, g_param_spec_double ("max-playback-rate",
          "Maximum playback rate",
          "Fastest playback rate players may use for latency control", 1.0, 2.0,
          DEFAULT_MAX_PLAYBACK_RATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:upload-location:
   *
   * Push to an origin (DASH-IF Live Media Ingest, interface 2): base URL
   * (http://host[:port]/path) under which every init segment, media
   * segment, MPD and HLS playlist is stored with HTTP PUT once complete,
   * and from which segments that left the DVR window are removed with
   * HTTP DELETE.  With chunk-duration > 0 media segments are PUT with
   * chunked transfer encoding while they are being written, each CMAF
   * chunk as soon as it is written (a failed chunked PUT is replaced by a
   * whole-file PUT after publication).  Requests go over persistent
   * connections from their own thread; the streaming thread never waits
   * for the network.  Failed
   * requests are retried with exponential backoff (0.2 s doubling to
   * 3.2 s, 8 attempts).  NULL or empty = no upload.
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_UPLOAD_LOCATION,
      g_param_spec_string ("upload-location", "Upload location",
          "Origin base URL to PUT files to and DELETE them from "
          "(http://host/path, empty = off)", DEFAULT_UPLOAD_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:upload-queue-size:
   *
   * Upload requests (PUT or DELETE) that may wait for the origin.  When
   * the origin is slower than the stream the oldest media segments are
   * dropped first (counted in upload-dropped, reported with an element
   * warning at most every 5 s); manifests are coalesced, init segments
   * are never dropped.
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_UPLOAD_QUEUE_SIZE, g_param_spec_uint ("upload-queue-size",
          "Upload queue size",
          "Upload requests waiting for the origin before the oldest "
          "segments are dropped", 1, 100000, DEFAULT_UPLOAD_QUEUE_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:upload-ll-manifests:
   *
   * With upload-location and chunk-duration > 0: push the low-latency MPD
   * (the one the embedded server answers: the segment in progress and the
   * next one announced, availabilityTimeOffset, ServiceDescription)
   * instead of the file under location, which lists complete segments
   * only.  For an origin that serves a segment to players while its
   * chunked PUT is still arriving; an origin that stores a PUT only once
   * it is complete (nginx's WebDAV, Apache's mod_dav) needs the default.
   * Such an MPD reaches the origin only after the request headers of the
   * chunked PUT of the segment it announces in progress were sent.
   * Set utc-timing-url to a clock the players reach: without it the
   * pushed MPD names the embedded server's /time when http-port is set,
   * else uses the direct scheme (the publish time).
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_UPLOAD_LL_MANIFESTS,
      g_param_spec_boolean ("upload-ll-manifests",
          "Upload low-latency manifests",
          "Push the low-latency MPD (segments in progress announced) "
          "instead of the complete-segments file (needs an origin that "
          "serves growing uploads)", DEFAULT_UPLOAD_LL_MANIFESTS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:manifest-min-interval:
   *
   * When the stream runs faster than real time (a file remuxed as fast as
   * possible: the segments being published are more than two segments
   * ahead of the wall clock), the MPD and the HLS playlists are rewritten
   * at most once per this many nanoseconds of wall-clock time instead of
   * once per segment round.  A skipped write leaves the previous manifests
   * in place, which list only older, complete segments; the manifests are
   * always written before a segment they list is deleted and at EOS.  A
   * live stream (segments published about when the wall clock reaches
   * their end) is unaffected: one write per segment round.  0 = never
   * skip.
   */
  g_object_class_install_property (gobject_class,
      DASH_SETTING_MANIFEST_MIN_INTERVAL,
      g_param_spec_uint64 ("manifest-min-interval", "Manifest min interval",
          "Faster than real time: rewrite the manifests at most once per "
          "this many ns of wall-clock time (0 = every segment round)", 0,
          MAX_MANIFEST_MIN_INTERVAL, DEFAULT_MANIFEST_MIN_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDashLiveSink:timeline:
   *
   * Where the media timeline comes from.  It is UTC either way: the
   * MPD's availabilityStartTime is the Unix epoch, a segment becomes
   * available when the wall clock reaches its end, and segments are named
   * after their start on it (`video_0-$Time$.m4s`), so that a name never
   * comes back with other content, across restarts too.  `wall-clock`: a
   * run starts at the wall-clock time its first buffer arrives (and after
   * everything a previous run in the directory published).  `clock`: the
   * buffers' clock time (running time + base time) is used as it is; the
   * pipeline clock must be UTC (a GstSystemClock with clock-type
   * realtime, or a network clock), and the segment grid is every
   * segment-duration from the epoch — two producers that timestamp the
   * same frames alike on synchronised clocks write the same segment
   * names and timeline (redundant encoders).
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_TIMELINE,
      g_param_spec_enum ("timeline", "Timeline",
          "Where the media timeline (UTC) comes from",
          GST_TYPE_DASH_LIVE_SINK_TIMELINE, DEFAULT_TIMELINE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDashLiveSink:resume:
   *
   * Continue the live presentation a previous run left in the directory
   * (after a crash, a kill or a restart): the same MPD and
   * availabilityStartTime, a new Period from this run's first keyframe,
   * the DVR window before it kept (and deleted on schedule), the HLS
   * playlists continued after an EXT-X-DISCONTINUITY.  Temporary files
   * of the previous run are removed.  A directory whose presentation was
   * written with another segment-duration, hls setting or set of
   * representations, or that holds an MPD without dashlivesink's state
   * file, fails READY->PAUSED with a RESOURCE/SETTINGS error that says
   * why.  A presentation that ended (EOS) is replaced.  false: a new
   * presentation replaces whatever is there (its segment files are
   * deleted once the new MPD is written; names are never reused).
   */
  g_object_class_install_property (gobject_class, DASH_SETTING_RESUME,
      g_param_spec_boolean ("resume", "Resume",
          "Continue the live presentation a previous run left in the "
          "directory", DEFAULT_RESUME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

gboolean
dash_settings_set_property (DashSettings * s, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case DASH_SETTING_LOCATION:
      g_free (s->location);
      s->location = g_value_dup_string (value);
      break;
    case DASH_SETTING_MPD_NAME:
      g_free (s->mpd_name);
      s->mpd_name = g_value_dup_string (value);
      break;
    case DASH_SETTING_SEGMENT_DURATION:
      s->segment_duration = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_CHUNK_DURATION:
      s->chunk_duration = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_DVR_WINDOW:
      s->dvr_window = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_MIN_BUFFER_TIME:
      s->min_buffer_time = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_SUGGESTED_PRESENTATION_DELAY:
      s->suggested_presentation_delay = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_UTC_TIMING_URL:
      g_free (s->utc_timing_url);
      s->utc_timing_url = g_value_dup_string (value);
      break;
    case DASH_SETTING_HLS:
      s->hls = g_value_get_boolean (value);
      break;
    case DASH_SETTING_BASE_URL:
      g_free (s->base_url);
      s->base_url = g_value_dup_string (value);
      break;
    case DASH_SETTING_HTTP_PORT:
      s->http_port = g_value_get_uint (value);
      break;
    case DASH_SETTING_HTTP_LISTEN_BACKLOG:
      s->http_listen_backlog = g_value_get_uint (value);
      break;
    case DASH_SETTING_HTTP_ADDRESS:
      g_free (s->http_address);
      s->http_address = g_value_dup_string (value);
      break;
    case DASH_SETTING_HTTP_MOUNT:
      g_free (s->http_mount);
      s->http_mount = g_value_dup_string (value);
      break;
    case DASH_SETTING_TARGET_LATENCY:
      s->target_latency = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_MIN_LATENCY:
      s->min_latency = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_MAX_LATENCY:
      s->max_latency = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_MIN_PLAYBACK_RATE:
      s->min_playback_rate = g_value_get_double (value);
      break;
    case DASH_SETTING_MAX_PLAYBACK_RATE:
      s->max_playback_rate = g_value_get_double (value);
      break;
    case DASH_SETTING_UPLOAD_LOCATION:
      g_free (s->upload_location);
      s->upload_location = g_value_dup_string (value);
      break;
    case DASH_SETTING_UPLOAD_QUEUE_SIZE:
      s->upload_queue_size = g_value_get_uint (value);
      break;
    case DASH_SETTING_MANIFEST_MIN_INTERVAL:
      s->manifest_min_interval = g_value_get_uint64 (value);
      break;
    case DASH_SETTING_TIMELINE:
      s->timeline = g_value_get_enum (value);
      break;
    case DASH_SETTING_RESUME:
      s->resume = g_value_get_boolean (value);
      break;
    case DASH_SETTING_UPLOAD_LL_MANIFESTS:
      s->upload_ll_manifests = g_value_get_boolean (value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

gboolean
dash_settings_get_property (const DashSettings * s, guint prop_id,
    GValue * value)
{
  switch (prop_id) {
    case DASH_SETTING_LOCATION:
      g_value_set_string (value, s->location);
      break;
    case DASH_SETTING_MPD_NAME:
      g_value_set_string (value, s->mpd_name);
      break;
    case DASH_SETTING_SEGMENT_DURATION:
      g_value_set_uint64 (value, s->segment_duration);
      break;
    case DASH_SETTING_CHUNK_DURATION:
      g_value_set_uint64 (value, s->chunk_duration);
      break;
    case DASH_SETTING_DVR_WINDOW:
      g_value_set_uint64 (value, s->dvr_window);
      break;
    case DASH_SETTING_MIN_BUFFER_TIME:
      g_value_set_uint64 (value, s->min_buffer_time);
      break;
    case DASH_SETTING_SUGGESTED_PRESENTATION_DELAY:
      g_value_set_uint64 (value, s->suggested_presentation_delay);
      break;
    case DASH_SETTING_UTC_TIMING_URL:
      g_value_set_string (value, s->utc_timing_url);
      break;
    case DASH_SETTING_HLS:
      g_value_set_boolean (value, s->hls);
      break;
    case DASH_SETTING_BASE_URL:
      g_value_set_string (value, s->base_url);
      break;
    case DASH_SETTING_HTTP_PORT:
      g_value_set_uint (value, s->http_port);
      break;
    case DASH_SETTING_HTTP_LISTEN_BACKLOG:
      g_value_set_uint (value, s->http_listen_backlog);
      break;
    case DASH_SETTING_HTTP_ADDRESS:
      g_value_set_string (value, s->http_address);
      break;
    case DASH_SETTING_HTTP_MOUNT:
      g_value_set_string (value, s->http_mount);
      break;
    case DASH_SETTING_TARGET_LATENCY:
      g_value_set_uint64 (value, s->target_latency);
      break;
    case DASH_SETTING_MIN_LATENCY:
      g_value_set_uint64 (value, s->min_latency);
      break;
    case DASH_SETTING_MAX_LATENCY:
      g_value_set_uint64 (value, s->max_latency);
      break;
    case DASH_SETTING_MIN_PLAYBACK_RATE:
      g_value_set_double (value, s->min_playback_rate);
      break;
    case DASH_SETTING_MAX_PLAYBACK_RATE:
      g_value_set_double (value, s->max_playback_rate);
      break;
    case DASH_SETTING_UPLOAD_LOCATION:
      g_value_set_string (value, s->upload_location);
      break;
    case DASH_SETTING_UPLOAD_QUEUE_SIZE:
      g_value_set_uint (value, s->upload_queue_size);
      break;
    case DASH_SETTING_MANIFEST_MIN_INTERVAL:
      g_value_set_uint64 (value, s->manifest_min_interval);
      break;
    case DASH_SETTING_TIMELINE:
      g_value_set_enum (value, s->timeline);
      break;
    case DASH_SETTING_RESUME:
      g_value_set_boolean (value, s->resume);
      break;
    case DASH_SETTING_UPLOAD_LL_MANIFESTS:
      g_value_set_boolean (value, s->upload_ll_manifests);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}
