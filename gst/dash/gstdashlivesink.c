/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-dashlivesink
 * @title: dashlivesink
 *
 * Writes a live MPEG-DASH presentation and HLS playlists from one set of
 * CMAF segments into a directory that any static HTTP server can serve.
 * Each `video_%u` / `audio_%u` request pad is one Representation; several
 * video pads form an ABR ladder with aligned segment boundaries.
 *
 * The MPD is dynamic (isoff-live profile, SegmentTemplate with $Number$
 * and a SegmentTimeline whose S@t/@d are exactly the segments' tfdt and
 * durations), keeps a DVR window (`dvr-window`, timeShiftBufferDepth),
 * deletes segments that left the window after one more segment, and is
 * turned into a static (VOD) MPD at EOS.  Every file is written under a
 * temporary name and renamed, so readers never see a partial file and the
 * manifests never list an incomplete segment.
 *
 * Segments start on keyframes: a segment ends at the first keyframe of the
 * first video pad at or after `segment-duration` (up to half a frame early
 * counts: live timestamps jitter); the other pads cut at the
 * same media time.  With `chunk-duration` > 0 a segment is several
 * moof+mdat chunks written as they complete.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! video/x-raw,width=1280,height=720,framerate=30/1,format=I420 ! \
 *   x264enc tune=zerolatency key-int-max=60 bitrate=3000 ! h264parse ! dashlivesink name=s location=/tmp/live \
 *   audiotestsrc is-live=true ! avenc_aac ! aacparse ! s.audio_0
 * ]| Serves /tmp/live/manifest.mpd (DASH) and /tmp/live/master.m3u8 (HLS)
 * with 2 s segments and a 120 s DVR window.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <glib/gstdio.h>
#include <gst/pbutils/pbutils.h>

#include "gstdashlivesink.h"
#include "cmafwriter.h"
#include "mpdmodel.h"
#include "hlsplaylist.h"
#include "souploader.h"
#include "h264bytestream.h"
#include "httpserver.h"
#include "dashupload.h"

GST_DEBUG_CATEGORY_STATIC (dash_live_sink_debug);
#define GST_CAT_DEFAULT dash_live_sink_debug

#define DEFAULT_LOCATION "dash"
#define DEFAULT_MPD_NAME "manifest.mpd"
#define DEFAULT_SEGMENT_DURATION (2 * GST_SECOND)
#define DEFAULT_CHUNK_DURATION 0
#define DEFAULT_DVR_WINDOW 120
#define DEFAULT_MIN_BUFFER_TIME (2 * GST_SECOND)
#define DEFAULT_SUGGESTED_PRESENTATION_DELAY 0
#define DEFAULT_UTC_TIMING_URL NULL
#define DEFAULT_HLS TRUE
#define DEFAULT_BASE_URL NULL
#define DEFAULT_HTTP_PORT 0
#define DEFAULT_HTTP_ADDRESS "127.0.0.1"
#define DEFAULT_TARGET_LATENCY 0
#define DEFAULT_MIN_LATENCY 0
#define DEFAULT_MAX_LATENCY 0
#define DEFAULT_MIN_PLAYBACK_RATE 0.96
#define DEFAULT_MAX_PLAYBACK_RATE 1.04
#define DEFAULT_UPLOAD_LOCATION NULL
#define DEFAULT_UPLOAD_QUEUE_SIZE 64
#define DEFAULT_MANIFEST_MIN_INTERVAL GST_SECOND
#define MAX_MANIFEST_MIN_INTERVAL (60 * GST_SECOND)

/* push to an origin: retries after 0.2, 0.4, ... 3.2 s (about 15 s) */
#define UPLOAD_MAX_IN_FLIGHT 4
#define UPLOAD_MAX_ATTEMPTS 8
#define UPLOAD_BASE_DELAY (200 * G_TIME_SPAN_MILLISECOND)
#define UPLOAD_MAX_DELAY (3200 * G_TIME_SPAN_MILLISECOND)
#define UPLOAD_TIMEOUT 10       /* s per request */
/* low latency: segments streamed with chunked PUTs at once (one per
 * representation being written), and how far (bytes written but not yet
 * taken by the connection) one may fall behind before the segment goes
 * whole after publication instead */
#define UPLOAD_MAX_STREAMING 8
#define UPLOAD_CHUNKED_MAX_LAG (4 * 1024 * 1024)
/* at PAUSED->READY the queue gets this long to empty */
#define UPLOAD_DRAIN_TIMEOUT (5 * G_TIME_SPAN_SECOND)

#define MIN_SEGMENT_DURATION (100 * GST_MSECOND)
#define MAX_SEGMENT_DURATION (60 * GST_SECOND)

/* how long a representation may go without a keyframe (or without a
 * segment boundary from the first video pad) before it is an error */
#define MAX_WAIT(seg) (MAX (10 * GST_SECOND, 10 * (seg)))
/* a jump of decode time larger than this ends the segment: the timeline
 * shows the gap as a new S element */
#define GAP_THRESHOLD (500 * GST_MSECOND)
/* timestamps of different streams (and 1 ns rounding in encoders) must not
 * move a cut by a frame */
#define BOUNDARY_TOLERANCE (100 * GST_USECOND)

#define VIDEO_TIMESCALE 90000
#define HLS_MASTER_NAME "master.m3u8"

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_MPD_NAME,
  PROP_SEGMENT_DURATION,
  PROP_CHUNK_DURATION,
  PROP_DVR_WINDOW,
  PROP_MIN_BUFFER_TIME,
  PROP_SUGGESTED_PRESENTATION_DELAY,
  PROP_UTC_TIMING_URL,
  PROP_HLS,
  PROP_BASE_URL,
  PROP_HTTP_PORT,
  PROP_HTTP_ADDRESS,
  PROP_TARGET_LATENCY,
  PROP_MIN_LATENCY,
  PROP_MAX_LATENCY,
  PROP_MIN_PLAYBACK_RATE,
  PROP_MAX_PLAYBACK_RATE,
  PROP_UPLOAD_LOCATION,
  PROP_UPLOAD_QUEUE_SIZE,
  PROP_MANIFEST_MIN_INTERVAL,
  PROP_STATS,
};

typedef struct
{
  GstBuffer *buf;
  guint64 dec_ns;               /* decode time on the output timeline */
  guint64 ticks;                /* dec_ns in the timescale */
  gint32 cts;                   /* composition offset, ticks */
  guint64 dur_ticks;            /* the buffer's own duration, 0 = unknown */
  gboolean key;
  gint64 arrival;               /* monotonic µs */
} DashSample;

typedef struct
{
  guint64 ns;                   /* start of a reference segment */
  guint period;                 /* index of the period it starts in */
} DashBoundary;

typedef struct
{
  gchar *name;
  guint64 removed_at;           /* ns of media time */
  gboolean listed;              /* still in the manifests on disk */
} DashPendingDelete;

typedef struct
{
  GstDashLiveSink *sink;
  GstPad *pad;
  gchar *id;
  MpdKind kind;
  guint index;

  /* configuration from caps */
  CmafCodec codec;
  GBytes *codec_data;
  gchar *codecs;
  guint width, height, fps_n, fps_d, par_n, par_d;
  guint rate, channels;
  guint32 timescale;
  guint config_version;         /* bumped by a stream change */
  gboolean configured;
  gboolean config_changed;      /* new config waits for its period */
  gchar *init_name;
  gint64 bitrate_hint;
  /* H.264 byte-stream input, converted to avc (streaming thread only) */
  gboolean bytestream;
  GstCaps *bs_caps;
  H264ParamSets ps;
  guint bs_unconfigured;        /* AUs dropped before the first SPS/PPS */

  GstSegment segment;
  gboolean have_delay;
  gint64 delay;                 /* pts - dts of the first sample */

  /* where we are */
  guint period;                 /* index in the sink's period count */
  MpdRepresentation *rep;
  HlsMediaPlaylist *hls;
  gboolean hls_dirty;           /* playlist changed since written */
  GArray *samples;              /* DashSample of the open segment */
  guint written;                /* samples already written as chunks */
  gboolean in_segment;
  gboolean discont;             /* next segment follows a gap */
  guint64 seg_number;           /* number of the open / next segment */
  guint64 seg_start_ns;
  guint64 seg_start_ticks;
  guint64 wait_start_ns;        /* first dropped non-keyframe */
  gboolean waiting;
  gint fd;
  gchar *seg_name, *seg_tmp_name;
  guint64 seg_bytes;
  guint64 published_end;        /* ns, end of the last published segment */
  guint64 listed_segments;      /* segments when the MPD was last written */
  guint32 fragment_seq;
  gboolean eos;
  GQueue pending_deletes;       /* DashPendingDelete */

  guint64 predicted_d;           /* announced duration of the open segment */
  gint64 prt_wallclock_us;      /* prft of the open segment */
  guint64 prt_ticks;

  /* stats */
  guint64 segments, bytes, dropped;
  guint64 last_duration;
} DashStream;

struct _GstDashLiveSink
{
  GstElement parent;

  /* properties, GST_OBJECT_LOCK */
  gchar *location;
  gchar *mpd_name;
  guint64 segment_duration;
  guint64 chunk_duration;
  guint dvr_window;
  guint64 min_buffer_time;
  guint64 suggested_presentation_delay;
  gchar *utc_timing_url;
  gboolean hls;
  gchar *base_url;
  guint http_port;
  gchar *http_address;
  guint64 target_latency, min_latency, max_latency;
  gdouble min_playback_rate, max_playback_rate;
  gchar *upload_location;
  guint upload_queue_size;
  guint64 manifest_min_interval;

  /* embedded HTTP server, created at READY->PAUSED; the pointer is
   * protected by lock, the server itself is thread-safe */
  HttpServer *server;
  /* push to an origin, same rules as server */
  DashUpload *upload;

  /* data flow state, lock */
  GMutex lock;
  GList *streams;               /* DashStream */
  DashStream *reference;
  guint next_video, next_audio;
  gboolean running;
  /* settings copied at READY->PAUSED */
  gchar *dir, *mpd_file;
  guint64 seg_dur, chunk_dur, dvr;
  gboolean do_hls;
  MpdModel *mpd;
  guint n_periods;
  GArray *boundaries;           /* DashBoundary */
  gboolean force_period;        /* a stream changed: next ref cut is a period */
  gboolean ast_set;
  gint64 ast_us;
  gboolean finished;
  gchar *last_master;
  /* manifest coalescing when faster than real time */
  guint64 min_interval;         /* ns, copied at start */
  gint64 last_manifest_us;      /* monotonic time of the last write */
  gboolean manifests_stale;     /* a due write was skipped */
  GstFlowReturn flow;           /* sticky error */
  /* deferred until the lock is released */
  GList *pending_msgs;
  GstMessage *pending_error;
  gboolean post_eos;

  GstDashLiveSinkHooks hooks;
  gpointer hooks_data;
  GDestroyNotify hooks_notify;

  /* stats, lock */
  guint64 st_segments, st_deleted, st_bytes, st_init, st_manifests;
  guint64 st_last_duration, st_publish_latency, st_max_publish_latency;
  guint64 st_mispredicted, st_manifests_skipped;
  DashUploadStats st_up;        /* of the last uploader, once stopped */
};

#define DLOCK(s) g_mutex_lock (&(s)->lock)
#define DUNLOCK(s) g_mutex_unlock (&(s)->lock)

static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE ("video_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) avc, "
        "alignment = (string) au, width = (int) [ 16, 8192 ], "
        "height = (int) [ 16, 8192 ]; "
        "video/x-h264, stream-format = (string) byte-stream, "
        "alignment = (string) au, width = (int) [ 16, 8192 ], "
        "height = (int) [ 16, 8192 ]; "
        "video/x-h265, stream-format = (string) hvc1, "
        "alignment = (string) au, width = (int) [ 16, 8192 ], "
        "height = (int) [ 16, 8192 ]"));

static GstStaticPadTemplate audio_template =
    GST_STATIC_PAD_TEMPLATE ("audio_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg, mpegversion = (int) 4, "
        "stream-format = (string) raw, rate = (int) [ 8000, 96000 ], "
        "channels = (int) [ 1, 8 ]; "
        "audio/x-opus, channel-mapping-family = (int) [ 0, 1 ], "
        "rate = (int) [ 8000, 48000 ], channels = (int) [ 1, 8 ]"));

#define gst_dash_live_sink_parent_class parent_class
G_DEFINE_TYPE (GstDashLiveSink, gst_dash_live_sink, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (dashlivesink, "dashlivesink", GST_RANK_NONE,
    GST_TYPE_DASH_LIVE_SINK);

static void gst_dash_live_sink_finalize (GObject * object);
static void gst_dash_live_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_dash_live_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_dash_live_sink_change_state (GstElement *
    element, GstStateChange transition);
static GstPad *gst_dash_live_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_dash_live_sink_release_pad (GstElement * element, GstPad * pad);
static GstFlowReturn gst_dash_live_sink_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static gboolean gst_dash_live_sink_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);

static void finish_segment_locked (GstDashLiveSink * self, DashStream * s,
    guint n, guint64 end_ticks);

/* ---------------------------------------------------------------- */

static void
gst_dash_live_sink_class_init (GstDashLiveSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_dash_live_sink_finalize;
  gobject_class->set_property = gst_dash_live_sink_set_property;
  gobject_class->get_property = gst_dash_live_sink_get_property;

  /**
   * GstDashLiveSink:location:
   *
   * Directory that receives the MPD, the playlists and the segments.
   * Created if missing.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Output directory (created if missing)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:mpd-name:
   *
   * File name of the MPD inside #GstDashLiveSink:location.
   */
  g_object_class_install_property (gobject_class, PROP_MPD_NAME,
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
  g_object_class_install_property (gobject_class, PROP_SEGMENT_DURATION,
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
   * soon as they are complete.  0 = one chunk per segment.
   */
  g_object_class_install_property (gobject_class, PROP_CHUNK_DURATION,
      g_param_spec_uint64 ("chunk-duration", "Chunk duration",
          "Duration of the moof+mdat chunks of a segment in ns "
          "(0 = whole segments)", 0, MAX_SEGMENT_DURATION,
          DEFAULT_CHUNK_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:dvr-window:
   *
   * Time-shift window in seconds (MPD@timeShiftBufferDepth and the HLS
   * sliding window).  Segments that leave it are deleted one segment
   * later.  0 = keep everything.
   */
  g_object_class_install_property (gobject_class, PROP_DVR_WINDOW,
      g_param_spec_uint ("dvr-window", "DVR window",
          "Time-shift window in seconds, older segments are deleted "
          "(0 = keep everything)", 0, G_MAXINT32, DEFAULT_DVR_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:min-buffer-time:
   *
   * MPD@minBufferTime in nanoseconds.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_BUFFER_TIME,
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
      PROP_SUGGESTED_PRESENTATION_DELAY,
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
  g_object_class_install_property (gobject_class, PROP_UTC_TIMING_URL,
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
  g_object_class_install_property (gobject_class, PROP_HLS,
      g_param_spec_boolean ("hls", "HLS",
          "Also write HLS playlists for the same segments", DEFAULT_HLS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:base-url:
   *
   * MPD BaseURL, e.g. a CDN prefix.  NULL = none (relative URLs).
   */
  g_object_class_install_property (gobject_class, PROP_BASE_URL,
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
  g_object_class_install_property (gobject_class, PROP_HTTP_PORT,
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
  g_object_class_install_property (gobject_class, PROP_HTTP_ADDRESS,
      g_param_spec_string ("http-address", "HTTP address",
          "Address the embedded HTTP server listens on", DEFAULT_HTTP_ADDRESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:target-latency:
   *
   * Low latency (chunk-duration > 0): ServiceDescription Latency@target in
   * nanoseconds.  0 = max (1 s, 4 chunk durations).
   */
  g_object_class_install_property (gobject_class, PROP_TARGET_LATENCY,
      g_param_spec_uint64 ("target-latency", "Target latency",
          "Low-latency target for players in ns (0 = max (1 s, 4 chunks))",
          0, 60 * GST_SECOND, DEFAULT_TARGET_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:min-latency:
   *
   * Low latency: ServiceDescription Latency@min in nanoseconds.
   * 0 = 3/4 of the target.
   */
  g_object_class_install_property (gobject_class, PROP_MIN_LATENCY,
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
  g_object_class_install_property (gobject_class, PROP_MAX_LATENCY,
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
  g_object_class_install_property (gobject_class, PROP_MIN_PLAYBACK_RATE,
      g_param_spec_double ("min-playback-rate", "Minimum playback rate",
          "Slowest playback rate players may use for latency control",
          0.5, 1.0, DEFAULT_MIN_PLAYBACK_RATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:max-playback-rate:
   *
   * Low latency: ServiceDescription PlaybackRate@max, the fastest rate a
   * player may use to catch up with the target latency.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_PLAYBACK_RATE,
      g_param_spec_double ("max-playback-rate", "Maximum playback rate",
          "Fastest playback rate players may use for latency control",
          1.0, 2.0, DEFAULT_MAX_PLAYBACK_RATE,
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
  g_object_class_install_property (gobject_class, PROP_UPLOAD_LOCATION,
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
  g_object_class_install_property (gobject_class, PROP_UPLOAD_QUEUE_SIZE,
      g_param_spec_uint ("upload-queue-size", "Upload queue size",
          "Upload requests waiting for the origin before the oldest "
          "segments are dropped", 1, 100000, DEFAULT_UPLOAD_QUEUE_SIZE,
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
  g_object_class_install_property (gobject_class, PROP_MANIFEST_MIN_INTERVAL,
      g_param_spec_uint64 ("manifest-min-interval", "Manifest min interval",
          "Faster than real time: rewrite the manifests at most once per "
          "this many ns of wall-clock time (0 = every segment round)", 0,
          MAX_MANIFEST_MIN_INTERVAL, DEFAULT_MANIFEST_MIN_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDashLiveSink:stats:
   *
   * Counters as a `application/x-dashlivesink-stats` structure:
   * segments-written, segments-deleted, init-segments-written,
   * manifests-written, bytes-written (guint64), last-segment-duration,
   * publish-latency, max-publish-latency (guint64 ns), periods (guint),
   * representations (GstValueArray of `representation` structures with
   * id, codecs (string), segments, bytes, bitrate, peak-bitrate,
   * dropped (guint64)); push to an origin: uploads, upload-bytes,
   * upload-deletes, upload-failures, upload-retries, upload-dropped,
   * upload-chunked, upload-chunked-fallbacks (guint64), upload-pending
   * (guint).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Segments, bytes, bitrates and publish latency",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "Live DASH and HLS sink", "Sink/Muxer/Network",
      "Writes live MPEG-DASH (dynamic MPD, SegmentTimeline, DVR window) and "
      "HLS playlists from one set of CMAF segments", "gst-livestream authors");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_dash_live_sink_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_dash_live_sink_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_dash_live_sink_release_pad);

  GST_DEBUG_CATEGORY_INIT (dash_live_sink_debug, "dashlivesink", 0,
      "Live DASH / HLS sink");
}

static void
gst_dash_live_sink_init (GstDashLiveSink * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->mpd_name = g_strdup (DEFAULT_MPD_NAME);
  self->segment_duration = DEFAULT_SEGMENT_DURATION;
  self->chunk_duration = DEFAULT_CHUNK_DURATION;
  self->dvr_window = DEFAULT_DVR_WINDOW;
  self->min_buffer_time = DEFAULT_MIN_BUFFER_TIME;
  self->suggested_presentation_delay = DEFAULT_SUGGESTED_PRESENTATION_DELAY;
  self->utc_timing_url = g_strdup (DEFAULT_UTC_TIMING_URL);
  self->hls = DEFAULT_HLS;
  self->base_url = g_strdup (DEFAULT_BASE_URL);
  self->http_port = DEFAULT_HTTP_PORT;
  self->http_address = g_strdup (DEFAULT_HTTP_ADDRESS);
  self->target_latency = DEFAULT_TARGET_LATENCY;
  self->min_latency = DEFAULT_MIN_LATENCY;
  self->max_latency = DEFAULT_MAX_LATENCY;
  self->min_playback_rate = DEFAULT_MIN_PLAYBACK_RATE;
  self->max_playback_rate = DEFAULT_MAX_PLAYBACK_RATE;
  self->upload_location = g_strdup (DEFAULT_UPLOAD_LOCATION);
  self->upload_queue_size = DEFAULT_UPLOAD_QUEUE_SIZE;
  self->manifest_min_interval = DEFAULT_MANIFEST_MIN_INTERVAL;
  g_mutex_init (&self->lock);
  self->boundaries = g_array_new (FALSE, FALSE, sizeof (DashBoundary));
  self->flow = GST_FLOW_OK;
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
stream_clear_segment (DashStream * s)
{
  guint i;

  for (i = 0; i < s->samples->len; i++)
    gst_buffer_unref (g_array_index (s->samples, DashSample, i).buf);
  g_array_set_size (s->samples, 0);
  s->written = 0;
  if (s->fd >= 0) {
    gchar *path = g_build_filename (s->sink->dir, s->seg_tmp_name, NULL);
    close (s->fd);
    g_unlink (path);
    g_free (path);
    s->fd = -1;
  }
  /* its chunked PUT to the origin is aborted */
  if (s->seg_name && s->sink->upload)
    dash_upload_segment_abandoned (s->sink->upload, s->seg_name);
  g_clear_pointer (&s->seg_name, g_free);
  g_clear_pointer (&s->seg_tmp_name, g_free);
  s->in_segment = FALSE;
}

static void
pending_delete_free (DashPendingDelete * d)
{
  g_free (d->name);
  g_free (d);
}

static void
stream_free (DashStream * s)
{
  stream_clear_segment (s);
  g_array_free (s->samples, TRUE);
  g_clear_pointer (&s->codec_data, g_bytes_unref);
  gst_clear_caps (&s->bs_caps);
  h264_param_sets_clear (&s->ps);
  g_free (s->codecs);
  g_free (s->id);
  g_free (s->init_name);
  hls_media_playlist_free (s->hls);
  g_queue_clear_full (&s->pending_deletes,
      (GDestroyNotify) pending_delete_free);
  g_free (s);
}

static void
gst_dash_live_sink_finalize (GObject * object)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (object);

  g_list_free_full (self->streams, (GDestroyNotify) stream_free);
  mpd_model_free (self->mpd);
  g_array_free (self->boundaries, TRUE);
  g_free (self->location);
  g_free (self->mpd_name);
  g_free (self->utc_timing_url);
  g_free (self->base_url);
  g_free (self->http_address);
  g_free (self->upload_location);
  g_free (self->dir);
  g_free (self->mpd_file);
  g_free (self->last_master);
  if (self->hooks_notify)
    self->hooks_notify (self->hooks_data);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

void
gst_dash_live_sink_set_hooks (GstDashLiveSink * sink,
    const GstDashLiveSinkHooks * hooks, gpointer user_data,
    GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (GST_IS_DASH_LIVE_SINK (sink));
  DLOCK (sink);
  old_notify = sink->hooks_notify;
  old_data = sink->hooks_data;
  if (hooks)
    sink->hooks = *hooks;
  else
    memset (&sink->hooks, 0, sizeof (sink->hooks));
  sink->hooks_data = user_data;
  sink->hooks_notify = notify;
  DUNLOCK (sink);
  if (old_notify)
    old_notify (old_data);
}

/* ---------------------------------------------------------------- */
/* properties */

static void
gst_dash_live_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_MPD_NAME:
      g_free (self->mpd_name);
      self->mpd_name = g_value_dup_string (value);
      break;
    case PROP_SEGMENT_DURATION:
      self->segment_duration = g_value_get_uint64 (value);
      break;
    case PROP_CHUNK_DURATION:
      self->chunk_duration = g_value_get_uint64 (value);
      break;
    case PROP_DVR_WINDOW:
      self->dvr_window = g_value_get_uint (value);
      break;
    case PROP_MIN_BUFFER_TIME:
      self->min_buffer_time = g_value_get_uint64 (value);
      break;
    case PROP_SUGGESTED_PRESENTATION_DELAY:
      self->suggested_presentation_delay = g_value_get_uint64 (value);
      break;
    case PROP_UTC_TIMING_URL:
      g_free (self->utc_timing_url);
      self->utc_timing_url = g_value_dup_string (value);
      break;
    case PROP_HLS:
      self->hls = g_value_get_boolean (value);
      break;
    case PROP_BASE_URL:
      g_free (self->base_url);
      self->base_url = g_value_dup_string (value);
      break;
    case PROP_HTTP_PORT:
      self->http_port = g_value_get_uint (value);
      break;
    case PROP_UPLOAD_LOCATION:
      g_free (self->upload_location);
      self->upload_location = g_value_dup_string (value);
      break;
    case PROP_UPLOAD_QUEUE_SIZE:
      self->upload_queue_size = g_value_get_uint (value);
      break;
    case PROP_MANIFEST_MIN_INTERVAL:
      self->manifest_min_interval = g_value_get_uint64 (value);
      break;
    case PROP_HTTP_ADDRESS:
      g_free (self->http_address);
      self->http_address = g_value_dup_string (value);
      break;
    case PROP_TARGET_LATENCY:
      self->target_latency = g_value_get_uint64 (value);
      break;
    case PROP_MIN_LATENCY:
      self->min_latency = g_value_get_uint64 (value);
      break;
    case PROP_MAX_LATENCY:
      self->max_latency = g_value_get_uint64 (value);
      break;
    case PROP_MIN_PLAYBACK_RATE:
      self->min_playback_rate = g_value_get_double (value);
      break;
    case PROP_MAX_PLAYBACK_RATE:
      self->max_playback_rate = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
build_stats (GstDashLiveSink * self)
{
  GValue reps = G_VALUE_INIT;
  GstStructure *st;
  DashUploadStats us;
  GList *l;

  g_value_init (&reps, GST_TYPE_ARRAY);
  DLOCK (self);
  st = gst_structure_new ("application/x-dashlivesink-stats",
      "segments-written", G_TYPE_UINT64, self->st_segments,
      "segments-deleted", G_TYPE_UINT64, self->st_deleted,
      "init-segments-written", G_TYPE_UINT64, self->st_init,
      "manifests-written", G_TYPE_UINT64, self->st_manifests,
      "bytes-written", G_TYPE_UINT64, self->st_bytes,
      "last-segment-duration", G_TYPE_UINT64, self->st_last_duration,
      "publish-latency", G_TYPE_UINT64, self->st_publish_latency,
      "max-publish-latency", G_TYPE_UINT64, self->st_max_publish_latency,
      "periods", G_TYPE_UINT, self->n_periods,
      "mispredicted-segments", G_TYPE_UINT64, self->st_mispredicted,
      "manifests-skipped", G_TYPE_UINT64, self->st_manifests_skipped, NULL);
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    GValue v = G_VALUE_INIT;
    guint64 peak = s->rep ? s->rep->peak_bitrate : 0;
    guint64 avg = 0;

    if (s->rep && s->rep->total_ticks > 0)
      avg = mpd_segment_bitrate (s->rep->total_bytes, s->rep->total_ticks,
          s->rep->timescale);
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("representation",
            "id", G_TYPE_STRING, s->id,
            "codecs", G_TYPE_STRING, s->codecs ? s->codecs : "",
            "segments", G_TYPE_UINT64, s->segments,
            "bytes", G_TYPE_UINT64, s->bytes,
            "bitrate", G_TYPE_UINT64, avg,
            "peak-bitrate", G_TYPE_UINT64, peak,
            "last-segment-duration", G_TYPE_UINT64, s->last_duration,
            "dropped", G_TYPE_UINT64, s->dropped, NULL));
    gst_value_array_append_and_take_value (&reps, &v);
  }
  /* the uploader is only replaced under lock */
  if (self->upload)
    dash_upload_get_stats (self->upload, &us);
  else
    us = self->st_up;
  gst_structure_set (st, "uploads", G_TYPE_UINT64, us.uploads,
      "upload-bytes", G_TYPE_UINT64, us.upload_bytes,
      "upload-deletes", G_TYPE_UINT64, us.deletes,
      "upload-failures", G_TYPE_UINT64, us.failures,
      "upload-retries", G_TYPE_UINT64, us.retries,
      "upload-dropped", G_TYPE_UINT64, us.dropped,
      "upload-chunked", G_TYPE_UINT64, us.chunked,
      "upload-chunked-fallbacks", G_TYPE_UINT64, us.chunked_fallbacks,
      "upload-pending", G_TYPE_UINT, us.pending, NULL);
  DUNLOCK (self);
  gst_structure_take_value (st, "representations", &reps);
  return st;
}

static void
gst_dash_live_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, build_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_MPD_NAME:
      g_value_set_string (value, self->mpd_name);
      break;
    case PROP_SEGMENT_DURATION:
      g_value_set_uint64 (value, self->segment_duration);
      break;
    case PROP_CHUNK_DURATION:
      g_value_set_uint64 (value, self->chunk_duration);
      break;
    case PROP_DVR_WINDOW:
      g_value_set_uint (value, self->dvr_window);
      break;
    case PROP_MIN_BUFFER_TIME:
      g_value_set_uint64 (value, self->min_buffer_time);
      break;
    case PROP_SUGGESTED_PRESENTATION_DELAY:
      g_value_set_uint64 (value, self->suggested_presentation_delay);
      break;
    case PROP_UTC_TIMING_URL:
      g_value_set_string (value, self->utc_timing_url);
      break;
    case PROP_HLS:
      g_value_set_boolean (value, self->hls);
      break;
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_HTTP_PORT:
      g_value_set_uint (value, self->http_port);
      break;
    case PROP_UPLOAD_LOCATION:
      g_value_set_string (value, self->upload_location);
      break;
    case PROP_UPLOAD_QUEUE_SIZE:
      g_value_set_uint (value, self->upload_queue_size);
      break;
    case PROP_MANIFEST_MIN_INTERVAL:
      g_value_set_uint64 (value, self->manifest_min_interval);
      break;
    case PROP_HTTP_ADDRESS:
      g_value_set_string (value, self->http_address);
      break;
    case PROP_TARGET_LATENCY:
      g_value_set_uint64 (value, self->target_latency);
      break;
    case PROP_MIN_LATENCY:
      g_value_set_uint64 (value, self->min_latency);
      break;
    case PROP_MAX_LATENCY:
      g_value_set_uint64 (value, self->max_latency);
      break;
    case PROP_MIN_PLAYBACK_RATE:
      g_value_set_double (value, self->min_playback_rate);
      break;
    case PROP_MAX_PLAYBACK_RATE:
      g_value_set_double (value, self->max_playback_rate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---------------------------------------------------------------- */
/* deferred posting: built under the lock, posted after it */

static void
set_error_locked (GstDashLiveSink * self, GQuark domain, gint code,
    gchar * text, gchar * debug)
{
  GST_WARNING_OBJECT (self, "error: %s (%s)", text, GST_STR_NULL (debug));
  if (self->pending_error == NULL && self->flow == GST_FLOW_OK) {
    GError *err = g_error_new_literal (domain, code, text);
    self->pending_error = gst_message_new_error (GST_OBJECT (self), err, debug);
    g_error_free (err);
  }
  g_free (text);
  g_free (debug);
  if (self->flow == GST_FLOW_OK)
    self->flow = GST_FLOW_ERROR;
}

static void
unlock_and_post (GstDashLiveSink * self)
{
  GList *msgs = self->pending_msgs, *l;
  GstMessage *err = self->pending_error;
  gboolean eos = self->post_eos;

  self->pending_msgs = NULL;
  self->pending_error = NULL;
  self->post_eos = FALSE;
  DUNLOCK (self);

  for (l = msgs; l; l = l->next)
    gst_element_post_message (GST_ELEMENT (self), l->data);
  g_list_free (msgs);
  if (err)
    gst_element_post_message (GST_ELEMENT (self), err);
  if (eos) {
    GstMessage *m = gst_message_new_eos (GST_OBJECT (self));
    gst_element_post_message (GST_ELEMENT (self), m);
  }
}

/* ---------------------------------------------------------------- */
/* files */

static gchar *
out_path (GstDashLiveSink * self, const gchar * name)
{
  return g_build_filename (self->dir, name, NULL);
}

/* @name is complete on disk: the server and the application hooks hear
 * of it.  Called with lock. */
static void
notify_published_locked (GstDashLiveSink * self, const gchar * name)
{
  if (self->server)
    http_server_file_published (self->server, name);
  if (self->upload)
    dash_upload_file_published (self->upload, name);
  if (self->hooks.file_published)
    self->hooks.file_published (self, name, self->hooks_data);
}

/* Writes @name atomically: a temporary file renamed into place. */
static gboolean
write_file_locked (GstDashLiveSink * self, const gchar * name,
    const guint8 * data, gsize len)
{
  gchar *path = out_path (self, name);
  gchar *tmp = g_strconcat (path, ".tmp", NULL);
  gint fd, err = 0;
  gsize done = 0;

  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    err = errno;
  while (fd >= 0 && err == 0 && done < len) {
    gssize w = write (fd, data + done, len - done);
    if (w < 0 && errno != EINTR)
      err = errno;
    else if (w > 0)
      done += w;
  }
  if (fd >= 0 && close (fd) != 0 && err == 0)
    err = errno;
  if (err == 0 && g_rename (tmp, path) != 0)
    err = errno;

  if (err != 0) {
    g_unlink (tmp);
    set_error_locked (self, GST_RESOURCE_ERROR,
        (err == ENOSPC || err == EFBIG || err == EDQUOT) ?
        GST_RESOURCE_ERROR_NO_SPACE_LEFT : GST_RESOURCE_ERROR_WRITE,
        g_strdup_printf ("Could not write \"%s\"", path),
        g_strdup (g_strerror (err)));
  } else {
    notify_published_locked (self, name);
  }
  g_free (tmp);
  g_free (path);
  return err == 0;
}

static gboolean
writev_all (gint fd, struct iovec *iov, guint n)
{
  while (n > 0) {
    guint batch = MIN (n, 512);
    gssize w = writev (fd, iov, batch);

    if (w < 0) {
      if (errno == EINTR)
        continue;
      return FALSE;
    }
    while (n > 0 && (gsize) w >= iov->iov_len) {
      w -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0 && w > 0) {
      iov->iov_base = (guint8 *) iov->iov_base + w;
      iov->iov_len -= w;
    }
  }
  return TRUE;
}

/* ---------------------------------------------------------------- */
/* caps */

static GBytes *
buffer_to_bytes (GstBuffer * buf)
{
  gpointer data = NULL;
  gsize size = 0;

  gst_buffer_extract_dup (buf, 0, gst_buffer_get_size (buf), &data, &size);
  return g_bytes_new_take (data, size);
}

static gboolean
stream_set_caps (GstDashLiveSink * self, DashStream * s, GstCaps * caps)
{
  GstStructure *st = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (st);
  const GValue *v;
  GBytes *cd = NULL;
  gchar *codecs = NULL;
  gint width = 0, height = 0, fps_n = 0, fps_d = 1, par_n = 1, par_d = 1;
  gint rate = 0, channels = 0;
  CmafCodec codec;
  gboolean changed;

  if (g_str_equal (name, "video/x-h264") || g_str_equal (name, "video/x-h265")) {
    codec = g_str_equal (name, "video/x-h264") ? CMAF_CODEC_H264 :
        CMAF_CODEC_H265;
    if (!gst_structure_get_int (st, "width", &width) ||
        !gst_structure_get_int (st, "height", &height))
      goto missing_field;
    gst_structure_get_fraction (st, "framerate", &fps_n, &fps_d);
    gst_structure_get_fraction (st, "pixel-aspect-ratio", &par_n, &par_d);
  } else if (g_str_equal (name, "audio/mpeg")) {
    codec = CMAF_CODEC_AAC;
  } else if (g_str_equal (name, "audio/x-opus")) {
    codec = CMAF_CODEC_OPUS;
  } else {
    goto not_supported;
  }

  if (codec == CMAF_CODEC_OPUS) {
    guint32 r;
    guint8 ch, family, streams, coupled, mapping[256];
    GstBuffer *head;

    if (!gst_codec_utils_opus_parse_caps (caps, &r, &ch, &family, &streams,
            &coupled, mapping))
      goto missing_field;
    head = gst_codec_utils_opus_create_header (r, ch, family, streams,
        coupled, mapping, 0, 0);
    if (head == NULL)
      goto missing_field;
    cd = buffer_to_bytes (head);
    gst_buffer_unref (head);
    rate = r;
    channels = ch;
  } else {
    v = gst_structure_get_value (st, "codec_data");
    if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v))
      goto missing_codec_data;
    cd = buffer_to_bytes (gst_value_get_buffer (v));
    if (g_bytes_get_size (cd) < 2) {
      g_bytes_unref (cd);
      goto missing_codec_data;
    }
    if (codec == CMAF_CODEC_AAC) {
      if (!gst_structure_get_int (st, "rate", &rate) ||
          !gst_structure_get_int (st, "channels", &channels))
        goto missing_field;
    }
  }

  codecs = gst_codec_utils_caps_get_mime_codec (caps);
  if (codecs == NULL) {
    g_bytes_unref (cd);
    goto no_codec_string;
  }
  /* avc1.64001F -> avc1.64001f, the customary spelling */
  if (g_str_has_prefix (codecs, "avc")) {
    gchar *lower = g_ascii_strdown (codecs, -1);
    g_free (codecs);
    codecs = lower;
  }

  DLOCK (self);
  changed = s->configured && (!g_bytes_equal (cd, s->codec_data) ||
      s->width != (guint) width || s->height != (guint) height ||
      s->rate != (guint) rate || s->channels != (guint) channels ||
      s->codec != codec);
  if (!s->configured || changed) {
    if (s->codec_data)
      g_bytes_unref (s->codec_data);
    s->codec_data = cd;
    cd = NULL;
    g_free (s->codecs);
    s->codecs = codecs;
    codecs = NULL;
    s->codec = codec;
    s->width = width;
    s->height = height;
    s->fps_n = fps_n;
    s->fps_d = fps_d;
    s->par_n = par_n;
    s->par_d = par_d;
    s->rate = rate;
    s->channels = channels;
    s->timescale = s->kind == MPD_KIND_VIDEO ? VIDEO_TIMESCALE :
        (codec == CMAF_CODEC_OPUS ? 48000 : (guint) rate);
    if (changed) {
      /* the new configuration starts with a new init segment in a new
       * period at the next segment boundary */
      s->config_version++;
      s->config_changed = TRUE;
      self->force_period = TRUE;
      GST_INFO_OBJECT (s->pad, "stream change: %" GST_PTR_FORMAT, caps);
    }
    s->configured = TRUE;
  }
  DUNLOCK (self);
  if (cd)
    g_bytes_unref (cd);
  g_free (codecs);
  return TRUE;

not_supported:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Unsupported caps on %s",
          GST_PAD_NAME (s->pad)), ("%" GST_PTR_FORMAT, caps));
  return FALSE;
missing_field:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("Caps on %s lack width/height or rate/channels",
          GST_PAD_NAME (s->pad)), ("%" GST_PTR_FORMAT, caps));
  return FALSE;
missing_codec_data:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("No codec_data in the caps of %s: put h264parse/h265parse or "
          "aacparse in front so that stream-format=avc/hvc1/raw with "
          "codec_data is negotiated", GST_PAD_NAME (s->pad)),
      ("%" GST_PTR_FORMAT, caps));
  return FALSE;
no_codec_string:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("Cannot derive an RFC 6381 codec string for %s",
          GST_PAD_NAME (s->pad)), ("%" GST_PTR_FORMAT, caps));
  return FALSE;
}

/* ---------------------------------------------------------------- */
/* manifests */

static gboolean
all_streams_listed_locked (GstDashLiveSink * self)
{
  GList *l;
  guint64 ref_segments = self->reference ? self->reference->segments : 0;

  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    /* a representation that produces nothing must not hold the others
     * back for ever: after 3 segments of the reference it is left out */
    if (s->segments == 0 && !s->eos && ref_segments < 3)
      return FALSE;
  }
  return TRUE;
}

static gboolean
write_hls_locked (GstDashLiveSink * self)
{
  gboolean ok = TRUE;
  GArray *variants = g_array_new (FALSE, TRUE, sizeof (HlsVariant));
  GArray *audio = g_array_new (FALSE, TRUE, sizeof (HlsAudioRendition));
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  guint64 audio_bw = 0;
  const gchar *audio_codecs = NULL;
  gchar *master;
  GList *l;

  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    gchar *pl;
    gchar *name;

    if (s->hls == NULL || s->segments == 0)
      continue;
    name = g_strdup_printf ("%s.m3u8", s->id);
    g_ptr_array_add (strings, name);
    if (s->hls_dirty) {
      pl = hls_media_playlist_render (s->hls);
      if (write_file_locked (self, name, (const guint8 *) pl, strlen (pl)))
        s->hls_dirty = FALSE;
      else
        ok = FALSE;
      g_free (pl);
    }
    if (s->kind == MPD_KIND_AUDIO) {
      HlsAudioRendition a = { 0, };
      a.uri = name;
      a.name = s->id;
      a.channels = s->channels;
      g_array_append_val (audio, a);
      if (audio_codecs == NULL) {
        audio_codecs = s->codecs;
        audio_bw = s->rep ? s->rep->peak_bitrate : 0;
      }
    }
  }

  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    HlsVariant v = { 0, };
    gchar *codecs;

    if (s->hls == NULL || s->segments == 0 || s->kind != MPD_KIND_VIDEO)
      continue;
    v.uri = g_strdup_printf ("%s.m3u8", s->id);
    g_ptr_array_add (strings, (gpointer) v.uri);
    v.bandwidth = (s->rep ? s->rep->peak_bitrate : 0) + audio_bw;
    codecs = audio_codecs ? g_strdup_printf ("%s,%s", s->codecs,
        audio_codecs) : g_strdup (s->codecs);
    g_ptr_array_add (strings, codecs);
    v.codecs = codecs;
    v.width = s->width;
    v.height = s->height;
    v.fps_n = s->fps_n;
    v.fps_d = s->fps_d;
    g_array_append_val (variants, v);
  }
  if (variants->len == 0) {
    /* audio only: the renditions are the variants */
    guint i;
    for (i = 0; i < audio->len; i++) {
      HlsAudioRendition *a = &g_array_index (audio, HlsAudioRendition, i);
      HlsVariant v = { 0, };
      v.uri = a->uri;
      v.bandwidth = audio_bw;
      v.codecs = audio_codecs;
      g_array_append_val (variants, v);
    }
    g_array_set_size (audio, 0);
  }

  master = hls_master_playlist_render ((HlsVariant *) variants->data,
      variants->len, (HlsAudioRendition *) audio->data, audio->len);
  if (g_strcmp0 (master, self->last_master) != 0) {
    ok &= write_file_locked (self, HLS_MASTER_NAME, (const guint8 *) master,
        strlen (master));
    g_free (self->last_master);
    self->last_master = master;
  } else {
    g_free (master);
  }
  g_array_free (variants, TRUE);
  g_array_free (audio, TRUE);
  g_ptr_array_free (strings, TRUE);
  return ok;
}

/* The manifests are rewritten once every active representation has
 * published a new segment (one write per segment round instead of one per
 * representation), when a representation is more than two segments ahead
 * of a lagging one, and at the end. */
static gboolean
manifests_due_locked (GstDashLiveSink * self, DashStream * published)
{
  guint64 slowest = G_MAXUINT64;
  gboolean round = TRUE;
  GList *l;

  if (self->finished || published == NULL)
    goto due;
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    if (s->eos && !s->in_segment)
      continue;
    if (s->segments <= s->listed_segments)
      round = FALSE;
    slowest = MIN (slowest, s->published_end);
  }
  if (round || published->published_end > slowest + 2 * self->seg_dur)
    goto due;
  return FALSE;

due:
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    s->listed_segments = s->segments;
  }
  return TRUE;
}

static inline guint64
ns_to_ticks (guint64 ns, guint32 timescale)
{
  return gst_util_uint64_scale_round (ns, timescale, GST_SECOND);
}

static inline guint64
ticks_to_ns (guint64 ticks, guint32 timescale)
{
  return gst_util_uint64_scale_round (ticks, GST_SECOND, timescale);
}

/* A media segment's file name: ID-NUMBER.m4s (the SegmentTemplate
 * media pattern ID-$Number$.m4s) */
static gchar *
segment_name (const gchar * rep_id, guint64 number)
{
  return g_strdup_printf ("%s-%" G_GUINT64_FORMAT ".m4s", rep_id, number);
}

/* Duration of one frame / access unit of @s in its timescale */
static guint64
frame_ticks (DashStream * s)
{
  if (s->kind == MPD_KIND_AUDIO)
    return s->codec == CMAF_CODEC_OPUS ? s->timescale / 50 : 1024;
  if (s->fps_n > 0 && s->fps_d > 0)
    return gst_util_uint64_scale_round (s->timescale, s->fps_d, s->fps_n);
  return s->timescale / 30;
}

/* How early a keyframe may come and still end the segment: half a frame
 * of video (live timestamps jitter; a keyframe a few ms before the
 * boundary must not double the segment), else BOUNDARY_TOLERANCE */
static guint64
cut_tolerance (DashStream * s)
{
  if (s->kind == MPD_KIND_VIDEO && s->fps_n > 0 && s->fps_d > 0)
    return MAX (BOUNDARY_TOLERANCE, gst_util_uint64_scale (GST_SECOND,
            s->fps_d, 2 * (guint64) s->fps_n));
  return BOUNDARY_TOLERANCE;
}

/* Low latency: the MPD announces the segment in progress and the next one
 * before they are complete.  Their durations are predicted from the
 * reference's segment grid (a keyframe every segment-duration, which
 * key-int-max = fps x segment seconds gives) rounded up to whole frames of
 * each stream; a wrong prediction is corrected by the next MPD and counted
 * in the stats (mispredicted-segments). */
static void
predict_ahead_locked (GstDashLiveSink * self)
{
  GList *l;
  guint64 grid;

  if (self->chunk_dur == 0 || self->finished || self->reference == NULL ||
      self->reference->published_end == 0)
    return;
  grid = self->reference->published_end;
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    guint64 ahead[MPD_MAX_AHEAD] = { 0, };
    guint64 end_ticks, end_ns, b, f;
    guint i;
    const MpdSegment *last;

    if (s->rep == NULL || s->rep->segments->len == 0 || s->eos ||
        s->config_changed || s->period + 1 < self->n_periods) {
      if (s->rep)
        mpd_representation_set_ahead (s->rep, NULL, 0);
      continue;
    }
    last = &g_array_index (s->rep->segments, MpdSegment,
        s->rep->segments->len - 1);
    end_ticks = last->t + last->d;
    end_ns = ticks_to_ns (end_ticks, s->timescale);
    /* first grid point after this stream's end */
    if (end_ns + BOUNDARY_TOLERANCE < grid)
      b = grid - ((grid - end_ns - BOUNDARY_TOLERANCE) / self->seg_dur) *
          self->seg_dur;
    else
      b = grid + ((end_ns + BOUNDARY_TOLERANCE - grid) / self->seg_dur + 1) *
          self->seg_dur;
    f = MAX (frame_ticks (s), 1);
    for (i = 0; i < MPD_MAX_AHEAD; i++) {
      guint64 bt = ns_to_ticks (b, s->timescale);
      guint64 d = bt > end_ticks ? bt - end_ticks : f;
      d = (d + f - 1) / f * f;
      ahead[i] = d;
      end_ticks += d;
      b += self->seg_dur;
    }
    s->predicted_d = ahead[0];
    mpd_representation_set_ahead (s->rep, ahead, MPD_MAX_AHEAD);
  }
}

/* TRUE when the segment just published by @s ends more than two segments
 * after the wall clock (availabilityStartTime + its end is still in the
 * future): the input runs faster than real time, e.g. a file remuxed as
 * fast as possible.  A live stream publishes a segment about when the wall
 * clock reaches its end. */
static gboolean
faster_than_real_time_locked (GstDashLiveSink * self, DashStream * s)
{
  gint64 end_us;

  if (!self->ast_set || s == NULL)
    return FALSE;
  end_us = self->ast_us + (gint64) (s->published_end / 1000);
  return end_us > g_get_real_time () + (gint64) (2 * self->seg_dur / 1000);
}

/* Whether a due manifest write may be skipped (coalesced with a later
 * one): faster than real time and the last write less than
 * manifest-min-interval of wall-clock time ago.  Never at the end or when
 * forced (@published NULL). */
static gboolean
skip_manifests_locked (GstDashLiveSink * self, DashStream * published)
{
  gint64 now;

  if (self->finished || published == NULL || self->min_interval == 0 ||
      self->last_manifest_us == 0)
    return FALSE;
  now = g_get_monotonic_time ();
  if (now - self->last_manifest_us >= (gint64) (self->min_interval / 1000))
    return FALSE;
  return faster_than_real_time_locked (self, published);
}

/* The manifests on disk now list none of the segments waiting for
 * deletion. */
static void
pending_deletes_unlisted_locked (GstDashLiveSink * self)
{
  GList *l, *q;

  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    for (q = s->pending_deletes.head; q; q = q->next)
      ((DashPendingDelete *) q->data)->listed = FALSE;
  }
}

/* Rewrites the MPD and the playlists if due (@published: the stream that
 * just published a segment; NULL forces the write).  Returns TRUE if the
 * manifests on disk are up to date afterwards. */
static gboolean
write_manifests_locked (GstDashLiveSink * self, DashStream * published)
{
  gchar *xml;
  gsize len = 0;
  gboolean ok;

  if (!self->finished && !all_streams_listed_locked (self))
    return FALSE;
  if (!manifests_due_locked (self, published))
    return !self->manifests_stale;
  if (skip_manifests_locked (self, published)) {
    self->manifests_stale = TRUE;
    self->st_manifests_skipped++;
    return FALSE;
  }
  predict_ahead_locked (self);
  xml = mpd_model_render (self->mpd, g_get_real_time (), &len);
  if (xml == NULL) {
    set_error_locked (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        g_strdup ("Could not render the MPD"), NULL);
    return FALSE;
  }
  ok = write_file_locked (self, self->mpd_file, (const guint8 *) xml, len);
  if (ok)
    self->st_manifests++;
  g_free (xml);
  if (ok && self->do_hls)
    ok = write_hls_locked (self);
  self->last_manifest_us = g_get_monotonic_time ();
  if (ok) {
    self->manifests_stale = FALSE;
    pending_deletes_unlisted_locked (self);
  }
  return ok;
}

/* ---------------------------------------------------------------- */
/* segments */

static DashStream *
stream_by_id_locked (GstDashLiveSink * self, const gchar * id)
{
  GList *l;

  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    if (g_str_equal (s->id, id))
      return s;
  }
  return NULL;
}

static gboolean
write_init_locked (GstDashLiveSink * self, DashStream * s)
{
  CmafTrackConfig cfg = { 0, };
  GByteArray *b = g_byte_array_new ();
  gboolean ok;

  cfg.type = s->kind == MPD_KIND_VIDEO ? CMAF_TRACK_VIDEO : CMAF_TRACK_AUDIO;
  cfg.codec = s->codec;
  cfg.track_id = 1;
  cfg.timescale = s->timescale;
  cfg.codec_data = g_bytes_get_data (s->codec_data, NULL);
  cfg.codec_data_size = g_bytes_get_size (s->codec_data);
  cfg.width = s->width;
  cfg.height = s->height;
  cfg.par_n = s->par_n;
  cfg.par_d = s->par_d;
  cfg.channels = s->channels;
  cfg.sample_rate = s->rate;

  if (!cmaf_write_init_segment (b, &cfg)) {
    set_error_locked (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        g_strdup_printf ("Cannot write an init segment for %s", s->id),
        g_strdup ("invalid codec configuration"));
    g_byte_array_unref (b);
    return FALSE;
  }
  ok = write_file_locked (self, s->init_name, b->data, b->len);
  if (ok)
    self->st_init++;
  g_byte_array_unref (b);
  return ok;
}

/* Makes sure @s has a representation in the last period, with an init
 * segment for its current configuration.  Returns FALSE on error. */
static gboolean
stream_enter_period_locked (GstDashLiveSink * self, DashStream * s,
    guint period_idx)
{
  MpdPeriod *p = mpd_model_last_period (self->mpd);
  MpdRepresentationInfo info = { 0, };
  gchar *media;

  if (s->rep && s->period == period_idx)
    return TRUE;

  if (s->init_name == NULL || s->config_changed) {
    g_free (s->init_name);
    if (s->config_version == 0)
      s->init_name = g_strdup_printf ("%s-init.mp4", s->id);
    else
      s->init_name = g_strdup_printf ("%s-init-%u.mp4", s->id,
          s->config_version);
    if (!write_init_locked (self, s))
      return FALSE;
    s->config_changed = FALSE;
  }

  media = g_strdup_printf ("%s-$Number$.m4s", s->id);
  info.id = s->id;
  info.kind = s->kind;
  info.codecs = s->codecs;
  info.timescale = s->timescale;
  info.init_url = s->init_name;
  info.media_template = media;
  info.start_number = s->seg_number;
  info.presentation_time_offset = ns_to_ticks (p->start, s->timescale);
  info.width = s->width;
  info.height = s->height;
  info.fps_n = s->fps_n;
  info.fps_d = s->fps_d;
  info.par_n = s->par_n;
  info.par_d = s->par_d;
  info.sample_rate = s->rate;
  info.channels = s->channels;
  info.bandwidth_hint = s->bitrate_hint;
  s->rep = mpd_period_add_representation (p, &info);
  s->period = period_idx;
  g_free (media);
  return TRUE;
}

/* Opens a segment with samples[0] as its first sample. */
static gboolean
start_segment_locked (GstDashLiveSink * self, DashStream * s, guint period_idx)
{
  DashSample *first = &g_array_index (s->samples, DashSample, 0);

  if (!stream_enter_period_locked (self, s, period_idx))
    return FALSE;
  s->in_segment = TRUE;
  s->seg_start_ns = first->dec_ns;
  s->seg_start_ticks = first->ticks;
  s->seg_bytes = 0;
  s->written = 0;
  s->seg_name = segment_name (s->id, s->seg_number);
  s->seg_tmp_name = g_strconcat (s->seg_name, ".tmp", NULL);
  if (self->server)
    http_server_segment_started (self->server, s->id, s->seg_number,
        s->seg_tmp_name, s->seg_name);
  if (self->hooks.segment_started)
    self->hooks.segment_started (self, s->id, s->seg_number,
        s->seg_tmp_name, s->seg_name, self->hooks_data);
  return TRUE;
}

/* Duration in ticks of the last sample of a stream that has no successor */
static guint64
last_sample_duration (DashStream * s)
{
  guint n = s->samples->len;
  DashSample *last = &g_array_index (s->samples, DashSample, n - 1);

  if (last->dur_ticks > 0)
    return last->dur_ticks;
  if (n >= 2)
    return last->ticks - g_array_index (s->samples, DashSample, n - 2).ticks;
  if (s->kind == MPD_KIND_AUDIO)
    return s->codec == CMAF_CODEC_OPUS ? 960 : 1024;
  if (s->fps_n > 0)
    return gst_util_uint64_scale_round (s->timescale, s->fps_d, s->fps_n);
  return s->timescale / 30;
}

/* Writes samples [from, to) as one moof+mdat chunk; the duration of the
 * last one ends at @end_ticks. */
static gboolean
write_chunk_locked (GstDashLiveSink * self, DashStream * s, guint from,
    guint to, guint64 end_ticks)
{
  guint n = to - from, i, nmaps = 0, niov = 0;
  CmafSample *cs = g_newa (CmafSample, n);
  GByteArray *hdr = g_byte_array_sized_new (128 + 16 * n);
  GstMapInfo *maps;
  struct iovec *iov;
  guint64 offset = s->seg_bytes;
  gboolean ok = TRUE;
  guint max_maps = 0;
  gint err = 0;

  g_assert (n > 0);
  for (i = 0; i < n; i++) {
    DashSample *x = &g_array_index (s->samples, DashSample, from + i);
    guint64 next = (from + i + 1 < to) ?
        g_array_index (s->samples, DashSample, from + i + 1).ticks : end_ticks;
    cs[i].duration = (guint32) MIN (next - x->ticks, G_MAXUINT32);
    cs[i].size = gst_buffer_get_size (x->buf);
    cs[i].flags = x->key ? CMAF_SAMPLE_FLAGS_SYNC : CMAF_SAMPLE_FLAGS_NON_SYNC;
    cs[i].cts_offset = x->cts;
    max_maps += gst_buffer_n_memory (x->buf);
  }

  if (s->fd < 0) {
    gchar *path = out_path (self, s->seg_tmp_name);
    s->fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
      err = errno;
      set_error_locked (self, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE,
          g_strdup_printf ("Could not open \"%s\" for writing", path),
          g_strdup (g_strerror (err)));
      g_free (path);
      g_byte_array_unref (hdr);
      return FALSE;
    }
    g_free (path);
    cmaf_write_styp (hdr);
    if (self->chunk_dur > 0) {
      /* low latency: the wall-clock time at which the segment's first
       * sample reached the sink (about when the encoder output it),
       * repeated in the MPD's ProducerReferenceTime */
      DashSample *x = &g_array_index (s->samples, DashSample, from);
      gint64 wall = x->arrival + g_get_real_time () - g_get_monotonic_time ();
      guint64 pts = (guint64) MAX ((gint64) x->ticks + x->cts, 0);
      cmaf_write_prft (hdr, 1, wall, pts, CMAF_PRFT_ENCODER_OUTPUT);
      s->prt_wallclock_us = wall;
      s->prt_ticks = pts;
    }
  }
  cmaf_write_chunk_header (hdr, ++s->fragment_seq, 1,
      g_array_index (s->samples, DashSample, from).ticks, cs, n);

  /* the mdat payload straight from the buffers' memory */
  maps = g_new (GstMapInfo, max_maps);
  iov = g_new (struct iovec, max_maps + 1);
  iov[niov].iov_base = hdr->data;
  iov[niov++].iov_len = hdr->len;
  for (i = from; i < to && ok; i++) {
    GstBuffer *buf = g_array_index (s->samples, DashSample, i).buf;
    guint m, nm = gst_buffer_n_memory (buf);
    for (m = 0; m < nm; m++) {
      GstMemory *mem = gst_buffer_peek_memory (buf, m);
      if (!gst_memory_map (mem, &maps[nmaps], GST_MAP_READ)) {
        ok = FALSE;
        err = EIO;
        break;
      }
      iov[niov].iov_base = maps[nmaps].data;
      iov[niov++].iov_len = maps[nmaps].size;
      nmaps++;
    }
  }
  if (ok) {
    guint64 total = 0;
    for (i = 0; i < niov; i++)
      total += iov[i].iov_len;
    ok = writev_all (s->fd, iov, niov);
    if (!ok)
      err = errno;
    else
      s->seg_bytes += total;
  }
  for (i = 0; i < nmaps; i++)
    gst_memory_unmap (maps[i].memory, &maps[i]);
  g_free (maps);
  g_free (iov);
  g_byte_array_unref (hdr);

  if (!ok) {
    gchar *path = out_path (self, s->seg_tmp_name);
    /* the unfinished segment goes; everything published stays as it is */
    close (s->fd);
    s->fd = -1;
    g_unlink (path);
    set_error_locked (self, GST_RESOURCE_ERROR,
        (err == ENOSPC || err == EFBIG || err == EDQUOT) ?
        GST_RESOURCE_ERROR_NO_SPACE_LEFT : GST_RESOURCE_ERROR_WRITE,
        g_strdup_printf ("Could not write \"%s\"", path),
        g_strdup (g_strerror (err)));
    g_free (path);
    return FALSE;
  }
  s->written = to;
  /* low latency: the origin gets the chunk now (chunked PUT) */
  if (self->upload && self->chunk_dur > 0)
    dash_upload_chunk_written (self->upload, s->seg_name, s->seg_tmp_name,
        s->seg_bytes);
  if (self->server)
    http_server_chunk_written (self->server, s->id, s->seg_number, offset,
        s->seg_bytes - offset);
  if (self->hooks.chunk_written)
    self->hooks.chunk_written (self, s->id, s->seg_number, s->seg_tmp_name,
        offset, s->seg_bytes - offset, self->hooks_data);
  return TRUE;
}

static void
on_segment_removed (MpdPeriod * period, MpdRepresentation * rep,
    const MpdSegment * seg, gpointer user_data)
{
  GstDashLiveSink *self = user_data;
  DashStream *s = stream_by_id_locked (self, rep->id);
  DashPendingDelete *d;

  if (s == NULL)
    return;
  d = g_new0 (DashPendingDelete, 1);
  d->name = segment_name (rep->id, seg->number);
  d->removed_at = mpd_representation_end (s->rep);
  d->listed = TRUE;
  if (s->hls && hls_media_playlist_remove_through (s->hls, d->name) > 0)
    s->hls_dirty = TRUE;
  g_queue_push_tail (&s->pending_deletes, d);
}

/* Segments that left the window are deleted one segment later, so a
 * player that fetched the previous manifest can still get them. */
static void
trim_window_locked (GstDashLiveSink * self, DashStream * s, guint64 now)
{
  GList *l;

  if (self->dvr == 0)
    return;
  mpd_model_trim (self->mpd, now, on_segment_removed, self);
  for (l = self->streams; l; l = l->next) {
    DashStream *o = l->data;
    DashPendingDelete *d;

    while ((d = g_queue_peek_head (&o->pending_deletes)) &&
        now >= d->removed_at + self->seg_dur) {
      gchar *path;

      /* a coalesced (skipped) manifest write may have left the segment
       * listed: the manifests go first, and if they cannot be written the
       * segment stays */
      if (d->listed && !write_manifests_locked (self, NULL))
        break;
      path = out_path (self, d->name);
      g_queue_pop_head (&o->pending_deletes);
      if (g_unlink (path) == 0 || errno == ENOENT) {
        self->st_deleted++;
        if (self->upload)
          dash_upload_file_removed (self->upload, d->name);
        if (self->hooks.file_removed)
          self->hooks.file_removed (self, d->name, self->hooks_data);
      } else {
        GST_WARNING_OBJECT (self, "could not delete %s: %s", path,
            g_strerror (errno));
      }
      g_free (path);
      pending_delete_free (d);
    }
  }
}

/* availabilityStartTime: media time 0 in wall-clock time, taken when the
 * reference's first sample arrives (video usually has the largest encoder
 * latency), so that a segment is published about when the wall clock
 * reaches AST + its end, never much later.  Never changes afterwards. */
static void
set_ast_locked (GstDashLiveSink * self, guint64 media_ns)
{
  self->ast_us = g_get_real_time () - (gint64) (media_ns / 1000);
  self->ast_set = TRUE;
  mpd_model_set_availability_start_time (self->mpd, self->ast_us);
}

/* Low latency push: the next segment of @s, which the manifests about to
 * be written announce, is expected by the uploader (@expect), or will not
 * come (EOS). */
static void
expect_segment_locked (GstDashLiveSink * self, DashStream * s, gboolean expect)
{
  gchar *name = segment_name (s->id, s->seg_number);

  if (expect)
    dash_upload_segment_expected (self->upload, name);
  else
    dash_upload_segment_abandoned (self->upload, name);
  g_free (name);
}

/* Closes the open segment with samples [0, n), the last one ending at
 * @end_ticks, publishes it and updates the manifests. */
static void
finish_segment_locked (GstDashLiveSink * self, DashStream * s, guint n,
    guint64 end_ticks)
{
  gchar *path, *tmp;
  guint64 d, number, dur_ns, now_ns;
  gint64 latency;
  guint i;
  GstStructure *st;

  g_assert (s->in_segment && n > 0 && n <= s->samples->len);
  if (s->written < n && !write_chunk_locked (self, s, s->written, n, end_ticks))
    return;

  path = out_path (self, s->seg_name);
  tmp = out_path (self, s->seg_tmp_name);
  if (close (s->fd) != 0 || g_rename (tmp, path) != 0) {
    set_error_locked (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE,
        g_strdup_printf ("Could not publish \"%s\"", path),
        g_strdup (g_strerror (errno)));
    s->fd = -1;
    g_unlink (tmp);
    g_free (tmp);
    g_free (path);
    return;
  }
  s->fd = -1;
  g_free (tmp);

  d = end_ticks - s->seg_start_ticks;
  dur_ns = ticks_to_ns (d, s->timescale);
  if (!self->ast_set)
    set_ast_locked (self, s->seg_start_ns + dur_ns);
  if (s->predicted_d > 0 && s->predicted_d != d) {
    self->st_mispredicted++;
    GST_INFO_OBJECT (s->pad, "segment %" G_GUINT64_FORMAT " announced with "
        "d=%" G_GUINT64_FORMAT ", is %" G_GUINT64_FORMAT, s->seg_number,
        s->predicted_d, d);
  }
  s->predicted_d = 0;
  if (s->rep->n_ahead > 0) {
    /* the announced segments move up by one */
    guint64 rest[MPD_MAX_AHEAD] = { 0, };
    memcpy (rest, s->rep->ahead_d + 1,
        (s->rep->n_ahead - 1) * sizeof (guint64));
    mpd_representation_set_ahead (s->rep, rest, s->rep->n_ahead - 1);
    s->predicted_d = rest[0];
  }
  number = mpd_representation_add_segment (s->rep, s->seg_start_ticks, d,
      s->seg_bytes);
  if (s->prt_wallclock_us > 0) {
    /* the MPD's ProducerReferenceTime repeats the latest segment's prft */
    s->rep->prt_wallclock_us = s->prt_wallclock_us;
    s->rep->prt_presentation_time = s->prt_ticks;
  }
  g_warn_if_fail (number == s->seg_number);
  if (s->hls) {
    hls_media_playlist_add_segment (s->hls, number, s->seg_name, dur_ns,
        self->ast_us + (gint64) (s->seg_start_ns / 1000), s->discont,
        s->init_name);
    s->hls_dirty = TRUE;
  }
  self->mpd->max_segment_duration =
      MAX (self->mpd->max_segment_duration, dur_ns);
  notify_published_locked (self, s->seg_name);

  latency = g_get_monotonic_time () -
      g_array_index (s->samples, DashSample, n - 1).arrival;
  self->st_publish_latency = MAX (latency, 0) * 1000;
  self->st_max_publish_latency = MAX (self->st_max_publish_latency,
      self->st_publish_latency);
  self->st_segments++;
  self->st_bytes += s->seg_bytes;
  self->st_last_duration = dur_ns;
  s->segments++;
  s->bytes += s->seg_bytes;
  s->last_duration = dur_ns;

  st = gst_structure_new ("dashlivesink-segment",
      "representation", G_TYPE_STRING, s->id,
      "number", G_TYPE_UINT64, number,
      "start", G_TYPE_UINT64, s->seg_start_ns,
      "duration", G_TYPE_UINT64, dur_ns,
      "size", G_TYPE_UINT64, s->seg_bytes, "path", G_TYPE_STRING, path, NULL);
  self->pending_msgs = g_list_append (self->pending_msgs,
      gst_message_new_element (GST_OBJECT (self), st));
  GST_DEBUG_OBJECT (self, "published %s: %" GST_TIME_FORMAT " + %"
      GST_TIME_FORMAT ", %" G_GUINT64_FORMAT " bytes", path,
      GST_TIME_ARGS (s->seg_start_ns), GST_TIME_ARGS (dur_ns), s->seg_bytes);
  g_free (path);

  for (i = 0; i < n; i++)
    gst_buffer_unref (g_array_index (s->samples, DashSample, i).buf);
  g_array_remove_range (s->samples, 0, n);
  s->written = 0;
  s->seg_number++;
  s->in_segment = FALSE;
  s->discont = FALSE;
  g_clear_pointer (&s->seg_name, g_free);
  g_clear_pointer (&s->seg_tmp_name, g_free);

  now_ns = s->seg_start_ns + dur_ns;
  s->published_end = now_ns;
  if (self->upload && self->chunk_dur > 0 && !s->eos)
    expect_segment_locked (self, s, TRUE);
  trim_window_locked (self, s, now_ns);
  write_manifests_locked (self, s);
}

/* First boundary after @ns */
static const DashBoundary *
next_boundary_locked (GstDashLiveSink * self, guint64 ns)
{
  guint i;

  for (i = 0; i < self->boundaries->len; i++) {
    const DashBoundary *b = &g_array_index (self->boundaries, DashBoundary, i);
    if (b->ns > ns + BOUNDARY_TOLERANCE)
      return b;
  }
  return NULL;
}

/* Last boundary at or before @ns */
static const DashBoundary *
prev_boundary_locked (GstDashLiveSink * self, guint64 ns)
{
  const DashBoundary *res = NULL;
  guint i;

  for (i = 0; i < self->boundaries->len; i++) {
    const DashBoundary *b = &g_array_index (self->boundaries, DashBoundary, i);
    if (b->ns > ns + BOUNDARY_TOLERANCE)
      break;
    res = b;
  }
  return res;
}



/* A follower splits its pending samples at the boundaries the reference
 * announced. */
static void
follower_cut_locked (GstDashLiveSink * self, DashStream * s)
{
  while (s->in_segment && s->samples->len > 1 && self->flow == GST_FLOW_OK) {
    const DashBoundary *b = next_boundary_locked (self, s->seg_start_ns);
    guint i, period;

    if (b == NULL)
      return;
    period = b->period;
    for (i = MAX (s->written, 1); i < s->samples->len; i++) {
      DashSample *x = &g_array_index (s->samples, DashSample, i);
      if (x->dec_ns + BOUNDARY_TOLERANCE >= b->ns && x->key)
        break;
    }
    if (i == s->samples->len)
      return;
    finish_segment_locked (self, s, i,
        g_array_index (s->samples, DashSample, i).ticks);
    if (self->flow != GST_FLOW_OK)
      return;
    start_segment_locked (self, s, MAX (period, s->period));
  }
}

/* Whether @s cuts at the reference's boundaries.  After the reference's
 * EOS a stream that lags behind still uses the boundaries announced so
 * far, and cuts by itself only after the last one. */
static gboolean
follows_reference (GstDashLiveSink * self, DashStream * s)
{
  if (s == self->reference || self->reference == NULL)
    return FALSE;
  if (!self->reference->eos)
    return TRUE;
  return next_boundary_locked (self, s->in_segment ? s->seg_start_ns : 0)
      != NULL;
}

static void
maybe_write_chunk_locked (GstDashLiveSink * self, DashStream * s)
{
  guint len = s->samples->len;
  DashSample *first, *last;
  guint64 chunk_ticks;

  if (self->chunk_dur == 0 || len < s->written + 2)
    return;
  first = &g_array_index (s->samples, DashSample, s->written);
  last = &g_array_index (s->samples, DashSample, len - 1);
  chunk_ticks = ns_to_ticks (self->chunk_dur, s->timescale);
  if (last->ticks - first->ticks < chunk_ticks)
    return;
  if (follows_reference (self, s)) {
    /* the next boundary is at least a segment duration after the last
     * one: samples before that can be written without knowing it */
    const DashBoundary *b = prev_boundary_locked (self, s->seg_start_ns);
    guint64 horizon = (b ? MAX (b->ns, s->seg_start_ns) : s->seg_start_ns) +
        self->seg_dur;
    if (g_array_index (s->samples, DashSample, len - 2).dec_ns >= horizon)
      return;
  }
  write_chunk_locked (self, s, s->written, len - 1, last->ticks);
}

static void
finish_last_segment_locked (GstDashLiveSink * self, DashStream * s)
{
  DashSample *last;

  if (!s->in_segment || s->samples->len == 0 || self->flow != GST_FLOW_OK)
    return;
  last = &g_array_index (s->samples, DashSample, s->samples->len - 1);
  finish_segment_locked (self, s, s->samples->len,
      last->ticks + last_sample_duration (s));
}

/* Everything is at EOS: the presentation becomes static. */
static void
finalize_presentation_locked (GstDashLiveSink * self)
{
  GList *l;
  guint64 end = 0;

  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    if (s->rep)
      end = MAX (end, mpd_representation_end (s->rep));
    if (s->hls) {
      s->hls->ended = TRUE;
      s->hls_dirty = TRUE;
    }
  }
  self->finished = TRUE;
  mpd_model_finalize (self->mpd, end);
  write_manifests_locked (self, NULL);
  GST_INFO_OBJECT (self, "presentation finalised as static, %"
      GST_TIME_FORMAT, GST_TIME_ARGS (end));
}

/* Handles one sample of @s.  Takes ownership of x->buf. */
static void
process_sample_locked (GstDashLiveSink * self, DashStream * s, DashSample * x)
{
  gboolean leader = !follows_reference (self, s);
  guint64 max_wait = MAX_WAIT (self->seg_dur);

  if (s->in_segment) {
    DashSample *prev = &g_array_index (s->samples, DashSample,
        s->samples->len - 1);

    if (x->ticks < prev->ticks) {
      GST_WARNING_OBJECT (s->pad, "decode time went back %" GST_TIME_FORMAT
          " -> %" GST_TIME_FORMAT ", dropping", GST_TIME_ARGS (prev->dec_ns),
          GST_TIME_ARGS (x->dec_ns));
      s->dropped++;
      gst_buffer_unref (x->buf);
      return;
    }
    if (x->dec_ns - prev->dec_ns > GAP_THRESHOLD) {
      /* the segment ends with the gap; the next one starts at a new S@t */
      GST_INFO_OBJECT (s->pad, "gap of %" GST_TIME_FORMAT,
          GST_TIME_ARGS (x->dec_ns - prev->dec_ns));
      finish_last_segment_locked (self, s);
      s->discont = TRUE;
      if (self->flow != GST_FLOW_OK) {
        gst_buffer_unref (x->buf);
        return;
      }
    } else if (s->config_changed && !leader) {
      /* new caps on a follower: its old segment ends here, the new
       * configuration waits for the period the reference opens */
      finish_segment_locked (self, s, s->samples->len, x->ticks);
      if (self->flow != GST_FLOW_OK) {
        gst_buffer_unref (x->buf);
        return;
      }
    } else if (leader && x->key && (x->dec_ns + cut_tolerance (s) >=
            s->seg_start_ns + self->seg_dur || self->force_period
            || s->config_changed)) {
      DashBoundary b;
      GList *l;

      finish_segment_locked (self, s, s->samples->len, x->ticks);
      if (self->flow != GST_FLOW_OK) {
        gst_buffer_unref (x->buf);
        return;
      }
      b.ns = x->dec_ns;
      b.period = self->n_periods - 1;
      if (self->force_period || s->config_changed) {
        mpd_model_add_period (self->mpd, x->dec_ns);
        b.period = self->n_periods++;
        self->force_period = FALSE;
      }
      if (s == self->reference)
        g_array_append_val (self->boundaries, b);
      g_array_append_val (s->samples, *x);
      start_segment_locked (self, s, b.period);
      /* followers already at EOS are cut from here */
      for (l = self->streams; l; l = l->next) {
        DashStream *o = l->data;
        if (o != s && o->eos)
          follower_cut_locked (self, o);
      }
      return;
    } else if (x->dec_ns - s->seg_start_ns > max_wait) {
      set_error_locked (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          g_strdup_printf ("%s: no segment boundary for %" GST_TIME_FORMAT
              " (no keyframe%s)", s->id,
              GST_TIME_ARGS (x->dec_ns - s->seg_start_ns),
              leader ? "" : " or no data from the first video pad"),
          g_strdup_printf ("segment started at %" GST_TIME_FORMAT,
              GST_TIME_ARGS (s->seg_start_ns)));
      gst_buffer_unref (x->buf);
      return;
    }
  }

  if (!s->in_segment) {
    const DashBoundary *b = NULL;
    guint period = self->n_periods - 1;

    if (!leader && s->config_changed && x->key) {
      /* the new configuration starts with the reference's new period */
      b = prev_boundary_locked (self, x->dec_ns);
      if (b != NULL && b->period <= s->period)
        b = NULL;
    }
    if (!x->key || (!leader && s->config_changed && b == NULL)) {
      /* bounded: frames are dropped (and counted) while waiting */
      if (!s->waiting) {
        s->waiting = TRUE;
        s->wait_start_ns = x->dec_ns;
      }
      s->dropped++;
      gst_buffer_unref (x->buf);
      if (x->dec_ns - s->wait_start_ns > max_wait)
        set_error_locked (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            g_strdup_printf ("%s: no %s for %" GST_TIME_FORMAT, s->id,
                x->key ? "new period from the first video pad" : "keyframe",
                GST_TIME_ARGS (x->dec_ns - s->wait_start_ns)),
            g_strdup_printf ("%" G_GUINT64_FORMAT " frames dropped while "
                "waiting", s->dropped));
      return;
    }
    s->waiting = FALSE;
    if (!leader) {
      if (b == NULL)
        b = prev_boundary_locked (self, x->dec_ns);
      if (b)
        period = MAX (b->period, s->period);
    } else if (s == self->reference && s->segments > 0) {
      /* the reference restarts after a gap: announce the boundary */
      DashBoundary nb = { x->dec_ns, self->n_periods - 1 };
      if (self->force_period || s->config_changed) {
        mpd_model_add_period (self->mpd, x->dec_ns);
        nb.period = self->n_periods++;
        self->force_period = FALSE;
      }
      period = nb.period;
      g_array_append_val (self->boundaries, nb);
    }
    g_array_append_val (s->samples, *x);
    start_segment_locked (self, s, period);
    return;
  }

  g_array_append_val (s->samples, *x);
  if (!leader)
    follower_cut_locked (self, s);
  if (self->flow == GST_FLOW_OK && s->in_segment)
    maybe_write_chunk_locked (self, s);
}

/* Keeps boundaries that a stream may still need. */
static void
prune_boundaries_locked (GstDashLiveSink * self)
{
  guint64 oldest = G_MAXUINT64;
  guint n = 0;
  GList *l;

  /* seg_start_ns is 0 for a stream that has not started yet */
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    if (!s->eos || s->in_segment)
      oldest = MIN (oldest, s->seg_start_ns);
  }
  while (n + 1 < self->boundaries->len &&
      g_array_index (self->boundaries, DashBoundary, n + 1).ns <= oldest)
    n++;
  if (n > 0)
    g_array_remove_range (self->boundaries, 0, n);
}

/* ---------------------------------------------------------------- */
/* pads */

/* H.264 byte-stream: one copy into AVC framing, the parameter sets go to
 * the avcC; a new SPS/PPS is a stream change (new init segment). */
static GstBuffer *
convert_bytestream (GstDashLiveSink * self, DashStream * s, GstBuffer * buf,
    GstFlowReturn * ret)
{
  GstMapInfo map;
  GByteArray *out;
  GstBuffer *res;
  GBytes *avcc;
  gsize len;
  gint n;

  *ret = GST_FLOW_OK;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    return NULL;
  }
  out = g_byte_array_sized_new (map.size + 16);
  n = h264_annexb_to_avc (map.data, map.size, out, &s->ps);
  gst_buffer_unmap (buf, &map);
  if (n < 0) {
    g_byte_array_unref (out);
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
        ("%s: byte-stream buffer without start code", GST_PAD_NAME (s->pad)));
    *ret = GST_FLOW_ERROR;
    return NULL;
  }

  avcc = h264_build_avcc (&s->ps);
  if (avcc && (s->codec_data == NULL || !g_bytes_equal (avcc, s->codec_data))) {
    GstCaps *caps = gst_caps_copy (s->bs_caps);
    /* the buffer takes its own reference on the bytes */
    GstBuffer *cd = gst_buffer_new_wrapped_bytes (avcc);
    g_bytes_unref (avcc);
    gst_caps_set_simple (caps, "stream-format", G_TYPE_STRING, "avc",
        "codec_data", GST_TYPE_BUFFER, cd, NULL);
    gst_buffer_unref (cd);
    if (!stream_set_caps (self, s, caps))
      *ret = GST_FLOW_NOT_NEGOTIATED;
    gst_caps_unref (caps);
  } else if (avcc) {
    g_bytes_unref (avcc);
  }

  if (n == 0 || s->codec_data == NULL || *ret != GST_FLOW_OK) {
    g_byte_array_unref (out);
    gst_buffer_unref (buf);
    DLOCK (self);
    s->dropped++;
    if (s->codec_data == NULL && ++s->bs_unconfigured > 1000)
      set_error_locked (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          g_strdup_printf ("%s: no SPS/PPS in 1000 byte-stream access "
              "units", s->id), NULL);
    if (self->flow != GST_FLOW_OK)
      *ret = self->flow;
    unlock_and_post (self);
    return NULL;
  }
  len = out->len;
  res = gst_buffer_new_wrapped (g_byte_array_free (out, FALSE), len);
  gst_buffer_copy_into (res, buf, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  gst_buffer_unref (buf);
  return res;
}

static GstFlowReturn
gst_dash_live_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (parent);
  DashStream *s = gst_pad_get_element_private (pad);
  DashSample x = { 0, };
  GstClockTime pts = GST_BUFFER_PTS (buf), dts = GST_BUFFER_DTS (buf);
  gint64 pts_rt, dts_rt, dec;
  guint64 rt;
  gint sign;
  GstFlowReturn ret;

  if (s->bytestream) {
    buf = convert_bytestream (self, s, buf, &ret);
    if (buf == NULL)
      return ret;
    pts = GST_BUFFER_PTS (buf);
    dts = GST_BUFFER_DTS (buf);
  }

  DLOCK (self);
  if (self->flow != GST_FLOW_OK) {
    ret = self->flow;
    DUNLOCK (self);
    gst_buffer_unref (buf);
    return ret;
  }
  if (!s->configured) {
    DUNLOCK (self);
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("%s: buffer before caps", GST_PAD_NAME (pad)));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    pts = dts;
  if (!GST_CLOCK_TIME_IS_VALID (dts))
    dts = pts;
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    goto drop;
  sign = gst_segment_to_running_time_full (&s->segment, GST_FORMAT_TIME,
      pts, &rt);
  if (sign == 0)
    goto drop;
  pts_rt = sign > 0 ? (gint64) rt : -(gint64) rt;
  sign = gst_segment_to_running_time_full (&s->segment, GST_FORMAT_TIME,
      dts, &rt);
  if (sign == 0)
    goto drop;
  dts_rt = sign > 0 ? (gint64) rt : -(gint64) rt;

  if (!s->have_delay) {
    /* decode times are shifted by the stream's initial reorder delay so
     * that a segment's tfdt equals its first keyframe's presentation time
     * (negative composition offsets for B-frames, trun version 1) */
    s->delay = MAX (pts_rt - dts_rt, 0);
    s->have_delay = TRUE;
  }
  dec = dts_rt + s->delay;
  if (dec < 0 || pts_rt < 0)
    goto drop;

  if (!self->ast_set && (s == self->reference || self->reference == NULL))
    set_ast_locked (self, dec);

  x.buf = buf;
  x.dec_ns = dec;
  x.ticks = ns_to_ticks (dec, s->timescale);
  x.cts = (gint32) CLAMP ((gint64) ns_to_ticks (pts_rt, s->timescale) -
      (gint64) x.ticks, G_MININT32, G_MAXINT32);
  x.dur_ticks = GST_BUFFER_DURATION_IS_VALID (buf) ?
      ns_to_ticks (GST_BUFFER_DURATION (buf), s->timescale) : 0;
  x.key = s->kind == MPD_KIND_AUDIO ||
      !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  x.arrival = g_get_monotonic_time ();
  process_sample_locked (self, s, &x);
  prune_boundaries_locked (self);
  ret = self->flow;
  unlock_and_post (self);
  return ret;

drop:
  s->dropped++;
  GST_WARNING_OBJECT (pad, "dropping buffer without a usable timestamp: %"
      GST_PTR_FORMAT, buf);
  DUNLOCK (self);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static void
stream_eos_locked (GstDashLiveSink * self, DashStream * s)
{
  GList *l;
  gboolean all = TRUE;

  s->eos = TRUE;
  if (self->upload && !s->in_segment)
    expect_segment_locked (self, s, FALSE);
  if (s == self->reference || self->reference == NULL || self->reference->eos) {
    if (s != self->reference)
      follower_cut_locked (self, s);
    finish_last_segment_locked (self, s);
    if (s == self->reference) {
      /* followers that ended earlier close with what they have */
      for (l = self->streams; l; l = l->next) {
        DashStream *o = l->data;
        if (o != s && o->eos) {
          follower_cut_locked (self, o);
          finish_last_segment_locked (self, o);
        }
      }
    }
  }
  for (l = self->streams; l; l = l->next)
    if (!((DashStream *) l->data)->eos)
      all = FALSE;
  if (all && !self->finished && self->flow == GST_FLOW_OK) {
    finalize_presentation_locked (self);
    self->post_eos = TRUE;
  }
}

static gboolean
gst_dash_live_sink_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (parent);
  DashStream *s = gst_pad_get_element_private (pad);
  gboolean ret = TRUE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstStructure *st;
      gst_event_parse_caps (event, &caps);
      st = gst_caps_get_structure (caps, 0);
      s->bytestream = gst_structure_has_name (st, "video/x-h264") &&
          g_strcmp0 (gst_structure_get_string (st, "stream-format"),
          "byte-stream") == 0;
      if (s->bytestream) {
        /* configured from the in-band SPS/PPS of the first access unit */
        gst_caps_replace (&s->bs_caps, caps);
        ret = TRUE;
      } else {
        ret = stream_set_caps (self, s, caps);
      }
      break;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *seg;
      gst_event_parse_segment (event, &seg);
      if (seg->format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
            ("%s: segment in %s format, need time", GST_PAD_NAME (pad),
                gst_format_get_name (seg->format)));
        ret = FALSE;
        break;
      }
      DLOCK (self);
      gst_segment_copy_into (seg, &s->segment);
      DUNLOCK (self);
      break;
    }
    case GST_EVENT_TAG:{
      GstTagList *tags;
      guint br = 0;
      gst_event_parse_tag (event, &tags);
      if (gst_tag_list_get_uint (tags, GST_TAG_MAXIMUM_BITRATE, &br) ||
          gst_tag_list_get_uint (tags, GST_TAG_BITRATE, &br) ||
          gst_tag_list_get_uint (tags, GST_TAG_NOMINAL_BITRATE, &br)) {
        DLOCK (self);
        s->bitrate_hint = br;
        DUNLOCK (self);
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      DLOCK (self);
      stream_clear_segment (s);
      s->eos = FALSE;
      s->discont = TRUE;
      gst_segment_init (&s->segment, GST_FORMAT_TIME);
      DUNLOCK (self);
      break;
    case GST_EVENT_EOS:
      DLOCK (self);
      stream_eos_locked (self, s);
      unlock_and_post (self);
      break;
    default:
      break;
  }
  gst_event_unref (event);
  return ret;
}

static void
update_reference_locked (GstDashLiveSink * self)
{
  GList *l;

  self->reference = NULL;
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    if (s->kind == MPD_KIND_VIDEO) {
      self->reference = s;
      return;
    }
  }
  if (self->streams)
    self->reference = self->streams->data;
}

/* Fresh state for a stream at start (lock held) */
static void
stream_reset_locked (GstDashLiveSink * self, DashStream * s)
{
  stream_clear_segment (s);
  s->rep = NULL;
  s->period = 0;
  s->eos = FALSE;
  s->have_delay = FALSE;
  s->seg_number = 1;
  s->seg_start_ns = 0;
  s->published_end = 0;
  s->listed_segments = 0;
  s->fragment_seq = 0;
  s->segments = s->bytes = s->dropped = 0;
  s->waiting = FALSE;
  s->discont = FALSE;
  s->config_changed = FALSE;
  s->config_version = 0;
  g_clear_pointer (&s->init_name, g_free);
  hls_media_playlist_free (s->hls);
  s->hls = self->do_hls ?
      hls_media_playlist_new ((guint) ((self->seg_dur + GST_SECOND - 1) /
          GST_SECOND)) : NULL;
  g_queue_clear_full (&s->pending_deletes,
      (GDestroyNotify) pending_delete_free);
}

/* video first, then by pad number: the MPD lists representations in this
 * order and video_0 (the lowest video pad) decides the segment boundaries */
static gint
stream_compare (const DashStream * a, const DashStream * b)
{
  if (a->kind != b->kind)
    return a->kind == MPD_KIND_VIDEO ? -1 : 1;
  return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

static GstPad *
gst_dash_live_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (element);
  gboolean video = g_str_has_prefix (templ->name_template, "video");
  DashStream *s;
  GstPad *pad;
  gchar *pad_name;
  guint idx;

  DLOCK (self);
  if (name && sscanf (name, video ? "video_%u" : "audio_%u", &idx) == 1) {
    GList *l;
    for (l = self->streams; l; l = l->next)
      if (g_str_equal (((DashStream *) l->data)->id, name)) {
        DUNLOCK (self);
        return NULL;
      }
  } else {
    idx = video ? self->next_video : self->next_audio;
  }
  if (video)
    self->next_video = MAX (self->next_video, idx + 1);
  else
    self->next_audio = MAX (self->next_audio, idx + 1);
  pad_name = g_strdup_printf (video ? "video_%u" : "audio_%u", idx);

  s = g_new0 (DashStream, 1);
  s->sink = self;
  s->id = pad_name;
  s->kind = video ? MPD_KIND_VIDEO : MPD_KIND_AUDIO;
  s->index = idx;
  s->samples = g_array_new (FALSE, FALSE, sizeof (DashSample));
  s->fd = -1;
  s->seg_number = 1;
  g_queue_init (&s->pending_deletes);
  gst_segment_init (&s->segment, GST_FORMAT_TIME);
  self->streams = g_list_insert_sorted (self->streams, s,
      (GCompareFunc) stream_compare);
  /* a pad added while running joins at its first keyframe */
  if (self->running)
    stream_reset_locked (self, s);
  update_reference_locked (self);
  DUNLOCK (self);

  pad = gst_pad_new_from_template (templ, pad_name);
  s->pad = pad;
  gst_pad_set_element_private (pad, s);
  gst_pad_set_chain_function (pad,
      GST_DEBUG_FUNCPTR (gst_dash_live_sink_chain));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_dash_live_sink_sink_event));
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_dash_live_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (element);
  DashStream *s = gst_pad_get_element_private (pad);

  /* deactivating waits for the pad's streaming thread to leave chain */
  gst_pad_set_active (pad, FALSE);
  DLOCK (self);
  self->streams = g_list_remove (self->streams, s);
  update_reference_locked (self);
  stream_free (s);
  DUNLOCK (self);
  gst_pad_set_element_private (pad, NULL);
  gst_element_remove_pad (element, pad);
}

/* ---------------------------------------------------------------- */
/* state */

static gboolean
start_locked (GstDashLiveSink * self)
{
  GList *l;
  gchar *probe;
  gint fd;

  GST_OBJECT_LOCK (self);
  g_free (self->dir);
  self->dir = g_strdup (self->location ? self->location : ".");
  g_free (self->mpd_file);
  self->mpd_file = g_strdup (self->mpd_name && *self->mpd_name ?
      self->mpd_name : DEFAULT_MPD_NAME);
  self->seg_dur = self->segment_duration;
  self->chunk_dur = self->chunk_duration < self->segment_duration ?
      self->chunk_duration : 0;
  self->dvr = (guint64) self->dvr_window * GST_SECOND;
  self->do_hls = self->hls;
  self->min_interval = self->manifest_min_interval;
  mpd_model_free (self->mpd);
  self->mpd = mpd_model_new ();
  self->mpd->min_buffer_time = self->min_buffer_time;
  self->mpd->suggested_presentation_delay =
      self->suggested_presentation_delay ? self->suggested_presentation_delay
      : 3 * self->segment_duration;
  self->mpd->minimum_update_period = self->segment_duration;
  self->mpd->time_shift_buffer_depth = self->dvr;
  self->mpd->utc_timing_value = g_strdup (self->utc_timing_url);
  self->mpd->base_url = g_strdup (self->base_url);
  if (self->chunk_dur > 0) {
    /* low latency: a segment is available once its first chunk is */
    guint64 target = self->target_latency ? self->target_latency :
        MAX (GST_SECOND, 4 * self->chunk_dur);
    self->mpd->availability_time_offset =
        (gdouble) (self->seg_dur - self->chunk_dur) / GST_SECOND;
    self->mpd->availability_time_complete = FALSE;
    self->mpd->latency_target = target / GST_MSECOND;
    self->mpd->latency_min = (self->min_latency ? self->min_latency :
        target * 3 / 4) / GST_MSECOND;
    self->mpd->latency_max = (self->max_latency ? self->max_latency :
        target + self->seg_dur) / GST_MSECOND;
    self->mpd->playback_rate_min = self->min_playback_rate;
    self->mpd->playback_rate_max = self->max_playback_rate;
    self->mpd->resync_dt = self->chunk_dur;
  }
  GST_OBJECT_UNLOCK (self);

  if (g_mkdir_with_parents (self->dir, 0755) != 0)
    goto no_dir;
  /* find out now rather than at the first segment */
  probe = g_build_filename (self->dir, ".dashlivesink-probe", NULL);
  fd = g_open (probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    g_free (probe);
    goto no_dir;
  }
  close (fd);
  g_unlink (probe);
  g_free (probe);

  mpd_model_add_period (self->mpd, 0);
  self->n_periods = 1;
  g_array_set_size (self->boundaries, 0);
  self->force_period = FALSE;
  self->ast_set = FALSE;
  self->finished = FALSE;
  self->flow = GST_FLOW_OK;
  g_clear_pointer (&self->last_master, g_free);
  self->st_segments = self->st_deleted = self->st_bytes = 0;
  self->st_init = self->st_manifests = 0;
  self->st_last_duration = self->st_publish_latency = 0;
  self->st_max_publish_latency = 0;
  self->st_mispredicted = self->st_manifests_skipped = 0;
  self->last_manifest_us = 0;
  self->manifests_stale = FALSE;
  for (l = self->streams; l; l = l->next)
    stream_reset_locked (self, l->data);
  self->running = TRUE;
  return TRUE;

no_dir:
  {
    gint err = errno;
    set_error_locked (self, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE,
        g_strdup_printf ("Cannot write to directory \"%s\"", self->dir),
        g_strdup (g_strerror (err)));
    return FALSE;
  }
}

static void
stop_locked (GstDashLiveSink * self)
{
  GList *l;

  for (l = self->streams; l; l = l->next)
    stream_clear_segment (l->data);
  self->running = FALSE;
}

/* ---------------------------------------------------------------- */
/* /metrics: Prometheus text exposition of the stats of every element of
 * this plug-in in the same pipeline, labelled by element name */

static void
metric_name (GString * out, const gchar * prefix, const gchar * field)
{
  const gchar *c;

  g_string_append (out, prefix);
  g_string_append_c (out, '_');
  for (c = field; *c; c++)
    g_string_append_c (out, g_ascii_isalnum (*c) ? g_ascii_tolower (*c) :
        '_');
}

static void
label_value (GString * out, const gchar * v)
{
  for (; *v; v++) {
    if (*v == '\\' || *v == '"')
      g_string_append_c (out, '\\');
    if (*v == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *v);
  }
}

static gboolean
value_as_double (const GValue * v, gdouble * d)
{
  switch (G_VALUE_TYPE (v)) {
    case G_TYPE_UINT64:
      *d = (gdouble) g_value_get_uint64 (v);
      return TRUE;
    case G_TYPE_INT64:
      *d = (gdouble) g_value_get_int64 (v);
      return TRUE;
    case G_TYPE_UINT:
      *d = g_value_get_uint (v);
      return TRUE;
    case G_TYPE_INT:
      *d = g_value_get_int (v);
      return TRUE;
    case G_TYPE_DOUBLE:
      *d = g_value_get_double (v);
      return TRUE;
    case G_TYPE_FLOAT:
      *d = g_value_get_float (v);
      return TRUE;
    case G_TYPE_BOOLEAN:
      *d = g_value_get_boolean (v) ? 1 : 0;
      return TRUE;
    default:
      return FALSE;
  }
}

/* Appends the numeric fields of @st as samples to @metrics (name ->
 * GString of sample lines).  Arrays of structures become samples with an
 * extra label (their "id" field, or their index). */
static void
metrics_add_structure (GHashTable * metrics, const gchar * prefix,
    const GstStructure * st, const gchar * labels)
{
  guint i, n = gst_structure_n_fields (st);

  for (i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (st, i);
    const GValue *v = gst_structure_get_value (st, field);
    GString *name = g_string_new (NULL);
    gdouble d;

    metric_name (name, prefix, field);
    if (value_as_double (v, &d)) {
      GString *lines = g_hash_table_lookup (metrics, name->str);
      if (lines == NULL) {
        lines = g_string_new (NULL);
        g_hash_table_insert (metrics, g_strdup (name->str), lines);
      }
      g_string_append_printf (lines, "%s{%s} %.17g\n", name->str, labels, d);
    } else if (GST_VALUE_HOLDS_ARRAY (v) || GST_VALUE_HOLDS_LIST (v)) {
      guint j, m = GST_VALUE_HOLDS_ARRAY (v) ? gst_value_array_get_size (v) :
          gst_value_list_get_size (v);
      for (j = 0; j < m; j++) {
        const GValue *e = GST_VALUE_HOLDS_ARRAY (v) ?
            gst_value_array_get_value (v, j) : gst_value_list_get_value (v, j);
        const GstStructure *sub;
        const gchar *id;
        GString *l;

        if (!GST_VALUE_HOLDS_STRUCTURE (e))
          continue;
        sub = gst_value_get_structure (e);
        id = gst_structure_get_string (sub, "id");
        l = g_string_new (labels);
        g_string_append_printf (l, ",%s=\"", gst_structure_get_name (sub));
        if (id)
          label_value (l, id);
        else
          g_string_append_printf (l, "%u", j);
        g_string_append_c (l, '"');
        metrics_add_structure (metrics, name->str, sub, l->str);
        g_string_free (l, TRUE);
      }
    }
    g_string_free (name, TRUE);
  }
}

static gchar *
build_metrics (gpointer user_data)
{
  GstDashLiveSink *self = user_data;
  GHashTable *metrics = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  GstObject *top = gst_object_ref (GST_OBJECT (self)), *parent;
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  GList *names, *l;
  GString *out = g_string_new (NULL);
  HttpServerStats ss = { 0, };
  HttpServer *srv;

  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }

  /* the element list, then the stats outside any iterator lock */
  if (GST_IS_BIN (top)) {
    GList *elems = NULL;
    gboolean done = FALSE;

    it = gst_bin_iterate_recurse (GST_BIN (top));
    while (!done) {
      switch (gst_iterator_next (it, &item)) {
        case GST_ITERATOR_OK:
          elems = g_list_prepend (elems, g_value_dup_object (&item));
          g_value_reset (&item);
          break;
        case GST_ITERATOR_RESYNC:
          g_list_free_full (elems, gst_object_unref);
          elems = NULL;
          gst_iterator_resync (it);
          break;
        default:
          done = TRUE;
          break;
      }
    }
    g_value_unset (&item);
    gst_iterator_free (it);
    for (l = elems; l; l = l->next) {
      GstElement *e = l->data;
      GstElementFactory *f = gst_element_get_factory (e);
      const gchar *plugin = f ? gst_plugin_feature_get_plugin_name
          (GST_PLUGIN_FEATURE (f)) : NULL;
      GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
          "stats");
      GstStructure *st = NULL;
      GString *labels, *prefix;
      gchar *ename;

      if (plugin == NULL || !g_str_equal (plugin, "livestream") || ps == NULL
          || ps->value_type != GST_TYPE_STRUCTURE)
        continue;
      g_object_get (e, "stats", &st, NULL);
      if (st == NULL)
        continue;
      ename = gst_object_get_name (GST_OBJECT (e));
      labels = g_string_new ("element=\"");
      label_value (labels, ename);
      g_string_append_c (labels, '"');
      prefix = g_string_new ("livestream_");
      metric_name (prefix, "", gst_plugin_feature_get_name
          (GST_PLUGIN_FEATURE (f)));
      g_string_erase (prefix, 11, 1);   /* the '_' metric_name put first */
      metrics_add_structure (metrics, prefix->str, st, labels->str);
      g_string_free (prefix, TRUE);
      g_string_free (labels, TRUE);
      g_free (ename);
      gst_structure_free (st);
    }
    g_list_free_full (elems, gst_object_unref);
  }
  gst_object_unref (top);

  names = g_list_sort (g_hash_table_get_keys (metrics),
      (GCompareFunc) g_strcmp0);
  for (l = names; l; l = l->next) {
    GString *lines = g_hash_table_lookup (metrics, l->data);
    g_string_append_printf (out, "# TYPE %s gauge\n%s", (gchar *) l->data,
        lines->str);
    g_string_free (lines, TRUE);
  }
  g_list_free (names);
  g_hash_table_unref (metrics);

  DLOCK (self);
  srv = self->server;
  if (srv)
    http_server_get_stats (srv, &ss);
  DUNLOCK (self);
  if (srv) {
    gchar *en = gst_object_get_name (GST_OBJECT (self));
#define SRV_METRIC(n, type, v) g_string_append_printf (out, \
        "# TYPE livestream_dashlivesink_http_" n " " type "\n" \
        "livestream_dashlivesink_http_" n "{element=\"%s\"} %" \
        G_GUINT64_FORMAT "\n", en, (guint64) (v))
    SRV_METRIC ("requests_total", "counter", ss.requests);
    SRV_METRIC ("not_found_total", "counter", ss.not_found);
    SRV_METRIC ("live_responses_total", "counter", ss.live_responses);
    SRV_METRIC ("waited_total", "counter", ss.waited);
    SRV_METRIC ("wait_timeouts_total", "counter", ss.wait_timeouts);
    SRV_METRIC ("sent_bytes_total", "counter", ss.bytes_sent);
    SRV_METRIC ("slow_clients_dropped_total", "counter",
        ss.disconnected_slow);
    SRV_METRIC ("active_responses", "gauge", ss.active);
#undef SRV_METRIC
    g_free (en);
  }
  return g_string_free (out, FALSE);
}

static gboolean
start_server (GstDashLiveSink * self)
{
  HttpServerConfig cfg = { 0, };
  HttpServer *srv;
  GError *err = NULL;
  gchar *address;
  guint port;

  GST_OBJECT_LOCK (self);
  port = self->http_port;
  address = g_strdup (self->http_address && *self->http_address ?
      self->http_address : DEFAULT_HTTP_ADDRESS);
  GST_OBJECT_UNLOCK (self);
  if (port == 0) {
    g_free (address);
    return TRUE;
  }

  cfg.dir = self->dir;
  cfg.address = address;
  cfg.port = port;
  cfg.mpd_name = self->mpd_file;
  cfg.segment_duration = self->seg_dur;
  cfg.metrics = build_metrics;
  cfg.metrics_data = self;
  srv = http_server_start (&cfg, &err);
  if (srv == NULL) {
    if (err && err->domain == DASH_SOUP_ERROR)
      GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("%s", err->message), (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("Cannot serve HTTP on %s:%u", address, port),
          ("%s", err ? err->message : "unknown error"));
    g_clear_error (&err);
    g_free (address);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "serving http://%s:%u/", address,
      http_server_get_port (srv));

  DLOCK (self);
  self->server = srv;
  if (self->mpd->utc_timing_value == NULL) {
    /* our own clock, millisecond precision */
    if (g_str_equal (address, "0.0.0.0") || g_str_equal (address, "::"))
      self->mpd->utc_timing_value = g_strdup ("/time");
    else
      self->mpd->utc_timing_value = g_strdup_printf ("http://%s%s%s:%u/time",
          strchr (address, ':') ? "[" : "", address,
          strchr (address, ':') ? "]" : "", http_server_get_port (srv));
    g_free (self->mpd->utc_timing_scheme);
    self->mpd->utc_timing_scheme =
        g_strdup ("urn:mpeg:dash:utc:http-xsdate:2014");
  }
  DUNLOCK (self);
  g_free (address);
  return TRUE;
}

static void
stop_server (GstDashLiveSink * self)
{
  HttpServer *srv;

  DLOCK (self);
  srv = self->server;
  self->server = NULL;
  DUNLOCK (self);
  http_server_stop (srv);
}

static void
upload_dropped (guint64 total, guint64 since_last, gpointer user_data)
{
  GstDashLiveSink *self = user_data;

  GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
      ("The origin is slower than the stream: %" G_GUINT64_FORMAT
          " upload requests dropped (%" G_GUINT64_FORMAT " in all)",
          since_last, total),
      ("upload queue full (upload-queue-size); oldest segments dropped"));
}

static gboolean
start_upload (GstDashLiveSink * self)
{
  DashUploadConfig cfg = { 0, };
  DashUpload *up;
  GError *err = NULL;
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->upload_location);
  cfg.queue_size = self->upload_queue_size;
  GST_OBJECT_UNLOCK (self);
  if (location == NULL || *location == '\0') {
    g_free (location);
    return TRUE;
  }
  cfg.dir = self->dir;
  cfg.location = location;
  cfg.max_in_flight = UPLOAD_MAX_IN_FLIGHT;
  cfg.max_streaming = UPLOAD_MAX_STREAMING;
  cfg.max_lag = UPLOAD_CHUNKED_MAX_LAG;
  cfg.max_attempts = UPLOAD_MAX_ATTEMPTS;
  cfg.base_delay = UPLOAD_BASE_DELAY;
  cfg.max_delay = UPLOAD_MAX_DELAY;
  cfg.timeout = UPLOAD_TIMEOUT;
  /* the segment after a published one starts within a chunk duration */
  cfg.expect_timeout = (gint64) (self->seg_dur / 1000);
  cfg.dropped = upload_dropped;
  cfg.dropped_data = self;
  up = dash_upload_start (&cfg, &err);
  if (up == NULL) {
    if (err && err->domain == DASH_SOUP_ERROR)
      GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("%s", err->message), (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid upload-location '%s'", location),
          ("%s", err ? err->message : "unknown error"));
    g_clear_error (&err);
    g_free (location);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "pushing to %s", location);
  g_free (location);
  DLOCK (self);
  self->upload = up;
  memset (&self->st_up, 0, sizeof (self->st_up));
  DUNLOCK (self);
  return TRUE;
}

static void
stop_upload (GstDashLiveSink * self)
{
  DashUpload *up;
  DashUploadStats us;

  DLOCK (self);
  up = self->upload;
  DUNLOCK (self);
  if (up == NULL)
    return;
  /* streaming has stopped: the queue only shrinks now */
  dash_upload_drain (up, UPLOAD_DRAIN_TIMEOUT);
  dash_upload_get_stats (up, &us);
  DLOCK (self);
  self->upload = NULL;
  self->st_up = us;
  DUNLOCK (self);
  if (us.pending > 0)
    GST_WARNING_OBJECT (self, "%u uploads still pending after %d s: "
        "cancelled", us.pending,
        (gint) (UPLOAD_DRAIN_TIMEOUT / G_TIME_SPAN_SECOND));
  dash_upload_stop (up);
}

static GstStateChangeReturn
gst_dash_live_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      gboolean ok;
      DLOCK (self);
      ok = start_locked (self);
      unlock_and_post (self);
      if (!ok || !start_server (self))
        return GST_STATE_CHANGE_FAILURE;
      if (!start_upload (self)) {
        stop_server (self);
        return GST_STATE_CHANGE_FAILURE;
      }
      break;
    }
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_upload (self);
      stop_server (self);
      DLOCK (self);
      stop_locked (self);
      DUNLOCK (self);
      break;
    default:
      break;
  }
  return ret;
}
