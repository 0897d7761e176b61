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

/* Implementation notes
 *
 *   video_0 ──chain──┐                  ┌── segmenter.c   where to cut
 *   video_1 ──chain──┼─ 1. decide ──────┤   (GLib only, under LOCK)
 *   audio_0 ──chain──┘    (LOCK)        └── ops: START/CHUNK/FINISH/...
 *                  │
 *                  ├─ 2. write ────────── dashtrackwriter.c CMAF chunks
 *                  │    (no LOCK)          from the buffers, dashoutput.c
 *                  │                       files; tells httpserver.c and
 *                  │                       dashupload.c
 *                  │
 *                  ├─ 3. record (LOCK) ── mpdmodel.c, hlsplaylist.c,
 *                  │    stats, messages,   manifests rendered to text; at
 *                  │    DVR window trim    low latency with a server each
 *                  │                       chunk is an LL-HLS part and its
 *                  │                       playlist is rendered for the server
 *                  │
 *                  └─ 4. publish ──────── messages posted in order
 *                       (no LOCK)          (post_lock), manifests written
 *                                          (newest version wins), segments
 *                                          out of the window deleted
 *
 * Locks:
 * - GST_OBJECT_LOCK: the properties (a DashSettings); copied into
 *   self->run at READY->PAUSED, which the streaming threads read.
 * - GST_DASH_LIVE_SINK_LOCK: all data-flow state shared by the pads: the
 *   segmenter, the MPD and HLS models, per-stream configuration, stats.
 *   Never held during disk or network I/O, nor while posting.
 * - post_lock: held while the messages queued under LOCK are taken off
 *   the queue and posted, so that they are posted in the order they were
 *   built (as queue2's buffering_post_lock); taken without LOCK held, so
 *   that a bus sync handler may call back (read the stats).
 * - each stream's DashTrackWriter has its own mutex for its open segment
 *   file: its pad's thread writes, and so may the reference pad's thread
 *   when a stream that already ended is cut at the reference's last
 *   boundary.
 *
 * Ordering without a shared I/O lock: a segment is renamed into place
 * (step 2) before it is recorded in the models (step 3), and manifests
 * are rendered from the models (step 3), so no manifest can list a segment
 * that is not on disk.  Segments that left the DVR window are deleted
 * (step 4) only after a manifest that no longer lists them is in place.
 * Errors are collected under LOCK with their source location and posted
 * as GST_ELEMENT_ERROR would after it is released.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <gst/pbutils/pbutils.h>

#include "gstdashlivesink.h"
#include "segmenter.h"
#include "dashoutput.h"
#include "dashtime.h"
#include "dashsettings.h"
#include "dashformat.h"
#include "dashservice.h"
#include "souploader.h"
#include "dashtrackwriter.h"
#include "dashpresentation.h"
#include "cmafwriter.h"
#include "mpdmodel.h"
#include "hlsplaylist.h"
#include "h264bytestream.h"
#include "httpserver.h"
#include "dashupload.h"
#include "livestreammetrics.h"

GST_DEBUG_CATEGORY (dash_live_sink_debug);
#define GST_CAT_DEFAULT dash_live_sink_debug

#define VIDEO_TIMESCALE 90000
#define HLS_MASTER_NAME "master.m3u8"

enum
{
  PROP_STATS = DASH_SETTING_LAST,
};

typedef struct _DashStream DashStream;

struct _DashStream
{
  gint refcount;
  GstDashLiveSink *sink;
  GstPad *pad;
  gchar *id;
  MpdKind kind;
  guint index;
  SegTrack *track;
  gboolean removed;             /* released: ops in flight skip it */

  /* configuration from caps, LOCK */
  DashFormat fmt;
  guint32 timescale;
  guint config_version;         /* bumped by a stream change */
  gboolean configured;
  /* H.264 byte-stream input, converted to avc (streaming thread only) */
  gboolean bytestream;
  GstCaps *bs_caps;
  H264ParamSets ps;
  guint bs_unconfigured;        /* AUs dropped before the first SPS/PPS */

  GstSegment segment;
  gboolean have_delay;
  gint64 delay;                 /* pts - dts of the first sample */
  guint64 last_media;           /* timeline=clock: of the last sample + 1 */

  DashPresRep *prep;            /* in the manifests, LOCK */
  gboolean init_prepared;       /* an init segment was prepared */
  guint chunks_cut;             /* of the open segment */
  guint64 seg_key;              /* its start: the number in its name */

  DashTrackWriter *writer;      /* the open segment file */

  guint64 dropped;              /* stats, LOCK */

  GArray *ops;                  /* SegOp scratch of the pad's thread */
  GArray *jobs;                 /* DashJob, one per op */
};

/* What the element does for one op of the segmenter, besides the op */
typedef struct
{
  DashStream *stream;           /* a reference */
  gchar *seg_name;              /* START: the segment's file name */
  GBytes *init;                 /* START: an init segment to write first */
  gchar *init_name;
  GError *error;                /* of the write step */
  gboolean abandoned;           /* the segment went meanwhile (flush) */
  guint64 ahead;                /* START: announced names after it (ticks) */
  DashTrackSegment seg;         /* FINISH: what was published */
} DashJob;

typedef struct
{
  GQuark domain;
  gint code;
  gchar *text, *debug;
  const gchar *file, *function;
  gint line;
} DashPendingError;

struct _GstDashLiveSink
{
  GstElement parent;

  DashSettings props;           /* GST_OBJECT_LOCK */

  GMutex lock;                  /* GST_DASH_LIVE_SINK_LOCK */
  GMutex post_lock;
  DashSettings run;             /* the properties of this run */
  GList *streams;               /* DashStream, in pad order */
  guint next_video, next_audio;
  gboolean running;
  Segmenter *seg;
  DashOutput *out;
  DashService *service;         /* HTTP server, uploader */
  DashPresentation *pres;       /* what the manifests list */
  GstFlowReturn flow;           /* sticky error */
  GList *pending_msgs;
  DashPendingError *pending_error;
  gboolean post_eos;

  /* the run's media timeline (UTC), LOCK */
  gboolean have_offset;
  guint64 offset;               /* wall-clock: running time + offset */
  guint64 floor_ns;             /* media time a previous run used: below it
                                 * nothing is written */

  /* stats, LOCK */
  guint64 st_segments, st_deleted, st_bytes, st_init;
  guint64 st_last_duration, st_publish_latency, st_max_publish_latency;
};

#define GST_DASH_LIVE_SINK_LOCK(s) g_mutex_lock (&(s)->lock)
#define GST_DASH_LIVE_SINK_UNLOCK(s) g_mutex_unlock (&(s)->lock)

/* Records an error to post once LOCK is released, with the source
 * location GST_ELEMENT_ERROR would give; @text and @debug are taken. */
#define DASH_ERROR_LOCKED(self, dom, code, text, debug)                \
  set_error_locked (self, GST_##dom##_ERROR, GST_##dom##_ERROR_##code,  \
      text, debug, __FILE__, GST_FUNCTION, __LINE__)

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

/* ---------------------------------------------------------------- */

static void
gst_dash_live_sink_class_init (GstDashLiveSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_dash_live_sink_finalize;
  gobject_class->set_property = gst_dash_live_sink_set_property;
  gobject_class->get_property = gst_dash_live_sink_get_property;

  dash_settings_install_properties (gobject_class);
  gst_type_mark_as_plugin_api (GST_TYPE_DASH_LIVE_SINK_TIMELINE, 0);

  /**
   * GstDashLiveSink:stats:
   *
   * Counters, an `application/x-dashlivesink-stats` structure:
   *
   * - segments-written, segments-deleted, init-segments-written,
   *   manifests-written, manifests-skipped, mispredicted-segments,
   *   bytes-written: #guint64
   * - last-segment-duration, publish-latency, max-publish-latency:
   *   #guint64, ns (publish latency: last sample in, segment published)
   * - LL-HLS (served by the embedded server at low latency): hls-parts
   *   (#guint64), hls-part-target, hls-part-hold-back, hls-edge-age
   *   (#guint64, ns: how far the newest part every playlist lists is
   *   behind the wall clock)
   * - periods: #guint
   * - representations: #GstValueArray of `representation` structures:
   *   id, codecs (#gchararray), segments, bytes, bitrate, peak-bitrate,
   *   last-segment-duration, dropped (#guint64)
   * - push to an origin: uploads, upload-bytes, upload-deletes,
   *   upload-failures, upload-retries, upload-dropped, upload-chunked,
   *   upload-chunked-fallbacks (#guint64), upload-pending (#guint)
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
  dash_settings_init (&self->props);
  self->service = dash_service_new (GST_ELEMENT (self));
  g_mutex_init (&self->lock);
  g_mutex_init (&self->post_lock);
  {
    SegmenterConfig cfg = dash_settings_segmenter_config (&self->props);
    self->seg = segmenter_new (&cfg);
    self->pres = dash_presentation_new (self->seg);
  }
  self->flow = GST_FLOW_OK;
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static DashStream *
stream_ref (DashStream * s)
{
  g_atomic_int_inc (&s->refcount);
  return s;
}

static void
stream_unref (DashStream * s)
{
  if (!g_atomic_int_dec_and_test (&s->refcount))
    return;
  dash_track_writer_free (s->writer);
  g_array_free (s->ops, TRUE);
  g_array_free (s->jobs, TRUE);
  dash_format_clear (&s->fmt);
  gst_clear_caps (&s->bs_caps);
  h264_param_sets_clear (&s->ps);
  g_free (s->id);
  g_free (s);
}

static void
gst_dash_live_sink_finalize (GObject * object)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (object);

  g_list_free_full (self->streams, (GDestroyNotify) stream_unref);
  dash_service_free (self->service);
  segmenter_free (self->seg);
  dash_output_free (self->out);
  dash_presentation_free (self->pres);
  dash_settings_clear (&self->props);
  dash_settings_clear (&self->run);
  g_mutex_clear (&self->post_lock);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------- */
/* properties */

static void
gst_dash_live_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (object);
  gboolean known;

  GST_OBJECT_LOCK (self);
  known = dash_settings_set_property (&self->props, prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static GstStructure *
build_stats (GstDashLiveSink * self)
{
  GValue reps = G_VALUE_INIT;
  GstStructure *st;
  DashUploadStats us;
  DashPresentationStats ps;
  GList *l;

  g_value_init (&reps, GST_TYPE_ARRAY);
  GST_DASH_LIVE_SINK_LOCK (self);
  dash_presentation_get_stats (self->pres, &ps);
  st = gst_structure_new ("application/x-dashlivesink-stats",
      "segments-written", G_TYPE_UINT64, self->st_segments,
      "segments-deleted", G_TYPE_UINT64, self->st_deleted,
      "init-segments-written", G_TYPE_UINT64, self->st_init,
      "manifests-written", G_TYPE_UINT64, ps.manifests,
      "bytes-written", G_TYPE_UINT64, self->st_bytes,
      "last-segment-duration", G_TYPE_UINT64, self->st_last_duration,
      "publish-latency", G_TYPE_UINT64, self->st_publish_latency,
      "max-publish-latency", G_TYPE_UINT64, self->st_max_publish_latency,
      "periods", G_TYPE_UINT, self->seg ? segmenter_n_periods (self->seg) : 0,
      "mispredicted-segments", G_TYPE_UINT64, ps.mispredicted,
      "manifests-skipped", G_TYPE_UINT64, ps.manifests_skipped,
      "hls-parts", G_TYPE_UINT64, ps.hls_parts,
      "hls-part-target", G_TYPE_UINT64, ps.hls_part_target,
      "hls-part-hold-back", G_TYPE_UINT64, ps.hls_part_hold_back,
      "hls-edge-age", G_TYPE_UINT64, ps.hls_edge_age, NULL);
  for (l = self->streams; l; l = l->next) {
    DashStream *s = l->data;
    MpdRepresentation *rep = s->prep->rep;
    GValue v = G_VALUE_INIT;
    guint64 peak = rep ? rep->peak_bitrate : 0;
    guint64 avg = 0;

    if (rep && rep->total_ticks > 0)
      avg = mpd_segment_bitrate (rep->total_bytes, rep->total_ticks,
          rep->timescale);
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("representation",
            "id", G_TYPE_STRING, s->id,
            "codecs", G_TYPE_STRING, s->fmt.codecs ? s->fmt.codecs : "",
            "segments", G_TYPE_UINT64, s->prep->segments,
            "bytes", G_TYPE_UINT64, s->prep->bytes,
            "bitrate", G_TYPE_UINT64, avg,
            "peak-bitrate", G_TYPE_UINT64, peak,
            "last-segment-duration", G_TYPE_UINT64, s->prep->last_duration,
            "dropped", G_TYPE_UINT64, s->dropped, NULL));
    gst_value_array_append_and_take_value (&reps, &v);
  }
  /* the uploader is only replaced under LOCK */
  dash_service_get_upload_stats (self->service, &us);
  gst_structure_set (st, "uploads", G_TYPE_UINT64, us.uploads,
      "upload-bytes", G_TYPE_UINT64, us.upload_bytes,
      "upload-deletes", G_TYPE_UINT64, us.deletes,
      "upload-failures", G_TYPE_UINT64, us.failures,
      "upload-retries", G_TYPE_UINT64, us.retries,
      "upload-dropped", G_TYPE_UINT64, us.dropped,
      "upload-chunked", G_TYPE_UINT64, us.chunked,
      "upload-chunked-fallbacks", G_TYPE_UINT64, us.chunked_fallbacks,
      "upload-pending", G_TYPE_UINT, us.pending, NULL);
  GST_DASH_LIVE_SINK_UNLOCK (self);
  gst_structure_take_value (st, "representations", &reps);
  return st;
}

static void
gst_dash_live_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (object);
  gboolean known;

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, build_stats (self));
    return;
  }
  GST_OBJECT_LOCK (self);
  known = dash_settings_get_property (&self->props, prop_id, value);
  GST_OBJECT_UNLOCK (self);
  if (!known)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

/* ---------------------------------------------------------------- */
/* errors and messages: built under LOCK, posted after it, in order */

static void
set_error_locked (GstDashLiveSink * self, GQuark domain, gint code,
    gchar * text, gchar * debug, const gchar * file, const gchar * function,
    gint line)
{
  if (self->pending_error == NULL && self->flow == GST_FLOW_OK) {
    DashPendingError *e = g_new0 (DashPendingError, 1);

    e->domain = domain;
    e->code = code;
    e->text = text;
    e->debug = debug;
    e->file = file;
    e->function = function;
    e->line = line;
    self->pending_error = e;
  } else {
    GST_DEBUG_OBJECT (self, "further error: %s", text);
    g_free (text);
    g_free (debug);
  }
  if (self->flow == GST_FLOW_OK)
    self->flow = GST_FLOW_ERROR;
}

/* One mapping of the output module's errors to GStreamer's */
static void
set_output_error_locked (GstDashLiveSink * self, const GError * err)
{
  gint code = GST_RESOURCE_ERROR_WRITE;

  if (g_error_matches (err, DASH_OUTPUT_ERROR, DASH_OUTPUT_ERROR_NO_SPACE))
    code = GST_RESOURCE_ERROR_NO_SPACE_LEFT;
  else if (g_error_matches (err, DASH_OUTPUT_ERROR, DASH_OUTPUT_ERROR_OPEN))
    code = GST_RESOURCE_ERROR_OPEN_WRITE;
  set_error_locked (self, GST_RESOURCE_ERROR, code, g_strdup (err->message),
      NULL, __FILE__, GST_FUNCTION, __LINE__);
}

/* Releases LOCK and posts what was built under it.  Messages are queued
 * under LOCK in the order they are built and posted under post_lock in
 * that order; post_lock is never taken with LOCK held, so a bus sync
 * handler may read the stats. */
static void
unlock_and_post (GstDashLiveSink * self)
{
  gboolean have = self->pending_msgs != NULL || self->pending_error != NULL
      || self->post_eos;

  GST_DASH_LIVE_SINK_UNLOCK (self);
  if (!have)
    return;

  g_mutex_lock (&self->post_lock);
  for (;;) {
    GList *msgs, *l;
    DashPendingError *err;
    gboolean eos;

    GST_DASH_LIVE_SINK_LOCK (self);
    msgs = self->pending_msgs;
    err = self->pending_error;
    eos = self->post_eos;
    self->pending_msgs = NULL;
    self->pending_error = NULL;
    self->post_eos = FALSE;
    GST_DASH_LIVE_SINK_UNLOCK (self);
    if (msgs == NULL && err == NULL && !eos)
      break;
    for (l = msgs; l; l = l->next)
      gst_element_post_message (GST_ELEMENT (self), l->data);
    g_list_free (msgs);
    if (err) {
      gst_element_message_full (GST_ELEMENT (self), GST_MESSAGE_ERROR,
          err->domain, err->code, err->text, err->debug, err->file,
          err->function, err->line);
      g_free (err);
    }
    if (eos)
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_eos (GST_OBJECT (self)));
  }
  g_mutex_unlock (&self->post_lock);
}

/* ---------------------------------------------------------------- */
/* caps */

static gboolean
stream_set_caps (GstDashLiveSink * self, DashStream * s, GstCaps * caps)
{
  DashFormat f = { 0, };
  GError *err = NULL;
  gboolean changed;

  if (!dash_format_from_caps (caps, &f, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s: %s", GST_PAD_NAME (s->pad),
            err->message), ("%" GST_PTR_FORMAT, caps));
    g_clear_error (&err);
    return FALSE;
  }

  GST_DASH_LIVE_SINK_LOCK (self);
  changed = s->configured && !dash_format_same_stream (&f, &s->fmt);
  if (!s->configured || changed) {
    dash_format_clear (&s->fmt);
    s->fmt = f;
    memset (&f, 0, sizeof (f));
    s->timescale = s->kind == MPD_KIND_VIDEO ? VIDEO_TIMESCALE :
        (s->fmt.codec == CMAF_CODEC_OPUS ? 48000 : s->fmt.rate);
    segmenter_track_set_format (s->track, s->timescale, s->fmt.fps_n,
        s->fmt.fps_d, dash_format_audio_frame (&s->fmt));
    /* what the manifests say of the representation */
    g_free (s->prep->codecs);
    s->prep->codecs = g_strdup (s->fmt.codecs);
    s->prep->timescale = s->timescale;
    s->prep->width = s->fmt.width;
    s->prep->height = s->fmt.height;
    s->prep->fps_n = s->fmt.fps_n;
    s->prep->fps_d = s->fmt.fps_d;
    s->prep->par_n = s->fmt.par_n;
    s->prep->par_d = s->fmt.par_d;
    s->prep->rate = s->fmt.rate;
    s->prep->channels = s->fmt.channels;
    if (changed) {
      /* the new configuration starts with a new init segment in a new
       * period at the next segment boundary */
      s->config_version++;
      segmenter_track_format_changed (self->seg, s->track);
      GST_INFO_OBJECT (s->pad, "stream change: %" GST_PTR_FORMAT, caps);
    }
    s->configured = TRUE;
  }
  GST_DASH_LIVE_SINK_UNLOCK (self);
  dash_format_clear (&f);
  return TRUE;
}

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

/* ---------------------------------------------------------------- */
/* the segmenter's ops: prepared under LOCK, written without it, then
 * recorded under LOCK */

static void
job_clear (DashJob * job)
{
  if (job->stream)
    stream_unref (job->stream);
  g_free (job->seg_name);
  if (job->init)
    g_bytes_unref (job->init);
  g_free (job->init_name);
  g_clear_error (&job->error);
  memset (job, 0, sizeof (*job));
}

static GBytes *
build_init_locked (GstDashLiveSink * self, DashStream * s)
{
  CmafTrackConfig cfg = { 0, };
  GByteArray *b = g_byte_array_new ();

  cfg.type = s->kind == MPD_KIND_VIDEO ? CMAF_TRACK_VIDEO : CMAF_TRACK_AUDIO;
  cfg.codec = s->fmt.codec;
  cfg.track_id = 1;
  cfg.timescale = s->timescale;
  cfg.codec_data = g_bytes_get_data (s->fmt.codec_data, NULL);
  cfg.codec_data_size = g_bytes_get_size (s->fmt.codec_data);
  cfg.width = s->fmt.width;
  cfg.height = s->fmt.height;
  cfg.par_n = s->fmt.par_n;
  cfg.par_d = s->fmt.par_d;
  cfg.channels = s->fmt.channels;
  cfg.sample_rate = s->fmt.rate;
  if (!cmaf_write_init_segment (b, &cfg)) {
    DASH_ERROR_LOCKED (self, STREAM, FORMAT,
        g_strdup_printf ("Cannot write an init segment for %s", s->id),
        g_strdup ("invalid codec configuration"));
    g_byte_array_unref (b);
    return NULL;
  }
  return g_byte_array_free_to_bytes (b);
}

/* Step 1 (LOCK): a job per op; the init segment of a new configuration
 * is built here, from the configuration of the moment.  FALSE on error. */
static gboolean
prepare_jobs_locked (GstDashLiveSink * self, GArray * ops, GArray * jobs)
{
  guint i;

  g_array_set_size (jobs, ops->len);
  for (i = 0; i < ops->len; i++) {
    SegOp *op = &g_array_index (ops, SegOp, i);
    DashJob *job = &g_array_index (jobs, DashJob, i);
    DashStream *s = op->track->user_data;

    memset (job, 0, sizeof (*job));
    job->stream = stream_ref (s);
    if ((op->kind == SEG_OP_CHUNK || op->kind == SEG_OP_FINISH) &&
        op->samples->len > 0) {
      /* bench/dashlivesink-publish.py: when a chunk was cut, before I/O */
      GST_LOG_OBJECT (self, "chunk %s-%" G_GUINT64_FORMAT " #%u complete",
          s->id, s->seg_key, s->chunks_cut++);
    }
    if (op->kind != SEG_OP_START)
      continue;
    s->chunks_cut = 0;
    s->seg_key = op->start_ticks;
    /* named after its start: a name never comes back with other content */
    job->seg_name = dash_segment_name (s->id, op->start_ticks);
    job->ahead = dash_ns_to_ticks ((2 * DASH_MAX_ANNOUNCED + 1) *
        self->run.segment_duration / 2, s->timescale);
    if (!s->init_prepared || op->new_config) {
      gchar *hash;
      job->init = build_init_locked (self, s);
      if (job->init == NULL)
        return FALSE;
      /* named after its content, for the same reason */
      hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, job->init);
      job->init_name = g_strdup_printf ("%s-init-%.12s.mp4", s->id, hash);
      g_free (hash);
      s->init_prepared = TRUE;
    }
  }
  return TRUE;
}

/* Step 2 (no LOCK): the files.  Stops at the first failure, which the
 * failing job keeps.  Returns the number of jobs carried out. */
static guint
write_jobs (GstDashLiveSink * self, GArray * ops, GArray * jobs)
{
  guint i;

  for (i = 0; i < ops->len; i++) {
    SegOp *op = &g_array_index (ops, SegOp, i);
    DashJob *job = &g_array_index (jobs, DashJob, i);
    DashStream *s = job->stream;
    DashTrackResult res = DASH_TRACK_OK;

    if (op->kind == SEG_OP_START) {
      if (job->init && !dash_output_write_file (self->out, job->init_name,
              g_bytes_get_data (job->init, NULL),
              g_bytes_get_size (job->init), &job->error))
        return i;
      dash_track_writer_begin (s->writer, self->out, op->start_ticks,
          job->ahead, job->seg_name, self->run.chunk_duration > 0);
    } else if (op->kind == SEG_OP_CHUNK || op->kind == SEG_OP_FINISH) {
      res = dash_track_writer_write (s->writer, op->samples, op->end_ticks,
          op->kind == SEG_OP_FINISH ? &job->seg : NULL, &job->error);
      /* GONE: the segment was abandoned meanwhile (a flush) */
      job->abandoned = res == DASH_TRACK_GONE;
      if (res == DASH_TRACK_ERROR)
        return i;
    }
  }
  return ops->len;
}

/* Writes what @m holds: manifests first, then the segments that left
 * the window.  Not with LOCK. */
static void
write_manifests (GstDashLiveSink * self, DashManifests * m)
{
  GError *err = NULL;
  guint i, deleted = 0;

  /* the resume state first: it lists at least what the MPD lists */
  if (m->state) {
    gchar *name = dash_resume_state_name (self->run.mpd_name);
    dash_output_write_private (self->out, name, m->version, m->state, &err);
    g_free (name);
  }
  for (i = 0; i < m->names->len && err == NULL; i++)
    dash_output_write_manifest (self->out, g_ptr_array_index (m->names, i),
        m->version, g_ptr_array_index (m->texts, i),
        g_ptr_array_index (m->served, i), &err);
  /* LL-HLS: after the files, which they may list */
  for (i = 0; i < m->playlists->len && err == NULL; i++) {
    DashServedPlaylist *p = g_ptr_array_index (m->playlists, i);
    dash_output_serve_playlist (self->out, p->name, m->version, p->text,
        p->delta, &p->state);
  }
  for (i = 0; i < m->deletes->len && err == NULL; i++) {
    GError *derr = NULL;
    if (dash_output_remove (self->out, g_ptr_array_index (m->deletes, i),
            &derr)) {
      deleted++;
    } else {
      GST_WARNING_OBJECT (self, "%s", derr->message);
      g_clear_error (&derr);
    }
  }
  if (err == NULL && deleted == 0)
    return;
  GST_DASH_LIVE_SINK_LOCK (self);
  self->st_deleted += deleted;
  if (err)
    set_output_error_locked (self, err);
  unlock_and_post (self);
  g_clear_error (&err);
}

/* Step 3 (LOCK) for a published segment */
static void
record_finish_locked (GstDashLiveSink * self, SegOp * op, DashJob * job,
    DashManifests * out)
{
  DashStream *s = job->stream;
  DashPresSegment seg = { 0, };
  GError *err = NULL;
  guint64 dur_ns;
  gint64 latency;
  gchar *name, *path;

  seg.number = op->number;
  seg.start_ns = op->start_ns;
  seg.start_ticks = op->start_ticks;
  seg.end_ticks = op->end_ticks;
  seg.size = job->seg.size;
  seg.prt_wallclock_us = job->seg.prt_wallclock_us;
  seg.prt_ticks = job->seg.prt_ticks;
  seg.discont = op->discont;
  dur_ns = dash_presentation_add_segment (self->pres, s->prep, &seg, out, &err);
  if (err) {
    DASH_ERROR_LOCKED (self, STREAM, FAILED, g_strdup (err->message), NULL);
    g_clear_error (&err);
  }

  latency = g_get_monotonic_time () - op->last_arrival;
  self->st_publish_latency = MAX (latency, 0) * 1000;
  self->st_max_publish_latency = MAX (self->st_max_publish_latency,
      self->st_publish_latency);
  self->st_segments++;
  self->st_bytes += seg.size;
  self->st_last_duration = dur_ns;

  name = dash_segment_name (s->id, op->start_ticks);
  path = g_build_filename (self->run.location, name, NULL);
  self->pending_msgs = g_list_append (self->pending_msgs,
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("dashlivesink-segment",
              "representation", G_TYPE_STRING, s->id,
              "number", G_TYPE_UINT64, op->number,
              "start", G_TYPE_UINT64, op->start_ns,
              "duration", G_TYPE_UINT64, dur_ns,
              "size", G_TYPE_UINT64, seg.size,
              "path", G_TYPE_STRING, path, NULL)));
  GST_DEBUG_OBJECT (self, "published %s: %" GST_TIME_FORMAT " + %"
      GST_TIME_FORMAT ", %" G_GUINT64_FORMAT " bytes", path,
      GST_TIME_ARGS (op->start_ns), GST_TIME_ARGS (dur_ns), seg.size);
  g_free (path);
  g_free (name);

  if (self->run.chunk_duration > 0 && self->run.upload_ll_manifests &&
      !s->track->eos) {
    /* the next segment, which the pushed manifests announce, will come */
    name = dash_segment_name (s->id, op->end_ticks);
    dash_output_segment_expected (self->out, name, TRUE);
    g_free (name);
  }
}

/* Step 3 (LOCK) for a chunk written: an LL-HLS part */
static void
record_part_locked (GstDashLiveSink * self, SegOp * op, DashJob * job,
    DashManifests * out)
{
  const SegSample *first;
  DashPresPart part = { 0, };

  if (op->samples->len == 0)
    return;
  first = &g_array_index (op->samples, SegSample, 0);
  part.number = op->number;
  part.key = op->start_ticks;
  part.index = op->part;
  part.duration_ticks = op->end_ticks - first->ticks;
  part.independent = first->key;
  dash_presentation_add_part (self->pres, job->stream->prep, &part, out);
}

/* Step 3 (LOCK): the presentation, stats and messages; manifests into @out.
 * @done: how many jobs step 2 carried out. */
static void
record_jobs_locked (GstDashLiveSink * self, GArray * ops, GArray * jobs,
    guint done, DashManifests * out)
{
  guint i;

  for (i = 0; i < ops->len && self->flow == GST_FLOW_OK; i++) {
    SegOp *op = &g_array_index (ops, SegOp, i);
    DashJob *job = &g_array_index (jobs, DashJob, i);
    DashStream *s = job->stream;

    if (i >= done) {
      if (job->error)
        set_output_error_locked (self, job->error);
      break;
    }
    if (s->removed || job->abandoned)
      continue;
    switch (op->kind) {
      case SEG_OP_START:
        if (job->init) {
          g_free (s->prep->init_name);
          s->prep->init_name = g_steal_pointer (&job->init_name);
          self->st_init++;
        }
        dash_presentation_enter_period (self->pres, s->prep, op->period,
            op->number);
        dash_presentation_start_segment (self->pres, s->prep, op->number,
            op->start_ns, op->discont);
        break;
      case SEG_OP_FINISH:
        record_part_locked (self, op, job, out);
        record_finish_locked (self, op, job, out);
        break;
      case SEG_OP_DROP:
        s->dropped++;
        if (op->reason == SEG_DROP_BACKWARDS)
          GST_WARNING_OBJECT (s->pad, "decode time went back to %"
              GST_TIME_FORMAT ", dropping", GST_TIME_ARGS (op->start_ns));
        break;
      case SEG_OP_ERROR:
        set_error_locked (self, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
            g_steal_pointer (&op->message), g_steal_pointer (&op->debug),
            __FILE__, GST_FUNCTION, __LINE__);
        break;
      case SEG_OP_END:{
        GError *err = NULL;
        dash_presentation_finalize (self->pres, out, &err);
        if (err) {
          DASH_ERROR_LOCKED (self, STREAM, FAILED, g_strdup (err->message),
              NULL);
          g_clear_error (&err);
        }
        self->post_eos = TRUE;
        GST_INFO_OBJECT (self, "presentation finalised as static");
        break;
      }
      case SEG_OP_CHUNK:
        record_part_locked (self, op, job, out);
        break;
    }
  }
}

/* Steps 2 to 4 for @ops decided under LOCK (held on entry, released on
 * return); @s is the calling pad's stream.  Returns the flow. */
static GstFlowReturn
carry_out_unlock (GstDashLiveSink * self, DashStream * s)
{
  GArray *ops = s->ops, *jobs = s->jobs;
  DashManifests out;
  GstFlowReturn ret;
  guint i, done;

  if (ops->len == 0) {
    ret = self->flow;
    unlock_and_post (self);
    return ret;
  }
  if (!prepare_jobs_locked (self, ops, jobs)) {
    done = 0;
  } else {
    GST_DASH_LIVE_SINK_UNLOCK (self);
    done = write_jobs (self, ops, jobs);
    GST_DASH_LIVE_SINK_LOCK (self);
  }
  dash_manifests_init (&out);
  record_jobs_locked (self, ops, jobs, done, &out);
  ret = self->flow;
  unlock_and_post (self);

  if (out.names->len > 0 || out.deletes->len > 0 || out.playlists->len > 0)
    write_manifests (self, &out);
  dash_manifests_clear (&out);
  for (i = 0; i < ops->len; i++) {
    seg_op_clear (self->seg, &g_array_index (ops, SegOp, i));
    job_clear (&g_array_index (jobs, DashJob, i));
  }
  g_array_set_size (ops, 0);
  g_array_set_size (jobs, 0);
  return ret;
}

/* ---------------------------------------------------------------- */
/* pads */

/* H.264 byte-stream: one copy into AVC framing, the parameter sets go to
 * the avcC; a new SPS/PPS is a stream change (new init segment). */
static GstBuffer *
convert_bytestream (GstDashLiveSink * self, DashStream * s, GstBuffer * buf,
    GstFlowReturn * ret)
{
  GstBuffer *res;
  GstCaps *caps;
  gint n;

  *ret = GST_FLOW_OK;
  res = dash_format_bytestream_to_avc (buf, &s->ps, s->bs_caps,
      s->fmt.codec_data, &caps, &n);
  if (n < 0) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
        ("%s: byte-stream buffer without start code", GST_PAD_NAME (s->pad)));
    *ret = GST_FLOW_ERROR;
    return NULL;
  }
  if (caps && !stream_set_caps (self, s, caps))
    *ret = GST_FLOW_NOT_NEGOTIATED;
  gst_clear_caps (&caps);
  gst_buffer_unref (buf);

  if (res == NULL || s->fmt.codec_data == NULL || *ret != GST_FLOW_OK) {
    gst_clear_buffer (&res);
    GST_DASH_LIVE_SINK_LOCK (self);
    s->dropped++;
    if (s->fmt.codec_data == NULL && ++s->bs_unconfigured > 1000)
      DASH_ERROR_LOCKED (self, STREAM, FORMAT,
          g_strdup_printf ("%s: no SPS/PPS in 1000 byte-stream access "
              "units", s->id), NULL);
    if (self->flow != GST_FLOW_OK)
      *ret = self->flow;
    unlock_and_post (self);
    return NULL;
  }
  return res;
}

/* The media time (UTC ns) of decode time @dec of the running time (LOCK) */
static guint64
media_time_locked (GstDashLiveSink * self, DashStream * s, guint64 dec,
    GstClockTime base)
{
  if (self->run.timeline == GST_DASH_LIVE_SINK_TIMELINE_CLOCK) {
    guint64 t = dec + (GST_CLOCK_TIME_IS_VALID (base) ? base : 0), num, den;
    /* onto the nearest frame of the stream's grid counted from the epoch:
     * producers whose frames started at other instants timestamp them
     * alike; one that lands on the previous frame's is dropped */
    num = s->kind == MPD_KIND_VIDEO ? (guint64) s->fmt.fps_d * GST_SECOND :
        (guint64) dash_format_audio_frame (&s->fmt) * GST_SECOND;
    den = s->kind == MPD_KIND_VIDEO ? (guint64) s->fmt.fps_n : s->timescale;
    if (num > 0 && den > 0)
      t = gst_util_uint64_scale_round (gst_util_uint64_scale_round (t, den,
              num), num, den);
    if (t < s->last_media)
      return G_MAXUINT64;
    s->last_media = t + 1;
    return t;
  }
  if (!self->have_offset) {
    /* the run starts now, and after everything a previous run named */
    guint64 start = MAX ((guint64) g_get_real_time () * 1000,
        self->floor_ns > 0 ? self->floor_ns + GST_SECOND : 0);
    self->offset = start > dec ? start - dec : 0;
    self->have_offset = TRUE;
  }
  return dec + self->offset;
}

static GstFlowReturn
gst_dash_live_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (parent);
  DashStream *s = gst_pad_get_element_private (pad);
  SegSample x = { 0, };
  GstClockTime pts = GST_BUFFER_PTS (buf), dts = GST_BUFFER_DTS (buf);
  /* read before LOCK: the object lock is never taken inside it */
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));
  gint64 pts_rt, dts_rt, dec;
  guint64 rt, media;
  gint sign;
  GstFlowReturn ret;

  if (s->bytestream) {
    buf = convert_bytestream (self, s, buf, &ret);
    if (buf == NULL)
      return ret;
    pts = GST_BUFFER_PTS (buf);
    dts = GST_BUFFER_DTS (buf);
  }

  GST_DASH_LIVE_SINK_LOCK (self);
  if (self->flow != GST_FLOW_OK) {
    ret = self->flow;
    GST_DASH_LIVE_SINK_UNLOCK (self);
    gst_buffer_unref (buf);
    return ret;
  }
  if (!s->configured) {
    GST_DASH_LIVE_SINK_UNLOCK (self);
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
  media = media_time_locked (self, s, dec, base);
  if (media < self->floor_ns || media == G_MAXUINT64)
    goto drop;

  x.data = buf;
  x.dec_ns = media;
  x.ticks = dash_ns_to_ticks (media, s->timescale);
  x.cts = (gint32) CLAMP ((gint64) dash_ns_to_ticks (media + pts_rt - dec,
          s->timescale) - (gint64) x.ticks, G_MININT32, G_MAXINT32);
  x.dur_ticks = GST_BUFFER_DURATION_IS_VALID (buf) ?
      dash_ns_to_ticks (GST_BUFFER_DURATION (buf), s->timescale) : 0;
  x.key = s->kind == MPD_KIND_AUDIO ||
      !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  x.arrival = g_get_monotonic_time ();
  segmenter_push (self->seg, s->track, &x, s->ops);
  return carry_out_unlock (self, s);

drop:
  s->dropped++;
  GST_WARNING_OBJECT (pad, "dropping buffer without a usable timestamp: %"
      GST_PTR_FORMAT, buf);
  GST_DASH_LIVE_SINK_UNLOCK (self);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
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
      GST_DASH_LIVE_SINK_LOCK (self);
      gst_segment_copy_into (seg, &s->segment);
      GST_DASH_LIVE_SINK_UNLOCK (self);
      break;
    }
    case GST_EVENT_TAG:{
      GstTagList *tags;
      guint br = 0;
      gst_event_parse_tag (event, &tags);
      if (gst_tag_list_get_uint (tags, GST_TAG_MAXIMUM_BITRATE, &br) ||
          gst_tag_list_get_uint (tags, GST_TAG_BITRATE, &br) ||
          gst_tag_list_get_uint (tags, GST_TAG_NOMINAL_BITRATE, &br)) {
        GST_DASH_LIVE_SINK_LOCK (self);
        s->prep->bandwidth_hint = br;
        GST_DASH_LIVE_SINK_UNLOCK (self);
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      /* a segment whose chunks may have been served ends with them (a
       * FINISH in ops), any other is abandoned */
      GST_DASH_LIVE_SINK_LOCK (self);
      segmenter_flush (self->seg, s->track, s->ops);
      gst_segment_init (&s->segment, GST_FORMAT_TIME);
      carry_out_unlock (self, s);
      dash_track_writer_abandon (s->writer);
      break;
    case GST_EVENT_EOS:
      GST_DASH_LIVE_SINK_LOCK (self);
      if (!s->track->in_segment) {
        /* the segment the manifests announced will not come */
        gchar *name = dash_segment_name (s->id,
            s->track->published_end_ticks);
        dash_output_segment_expected (self->out, name, FALSE);
        g_free (name);
      }
      segmenter_eos (self->seg, s->track, s->ops);
      carry_out_unlock (self, s);
      break;
    default:
      break;
  }
  gst_event_unref (event);
  return ret;
}

/* video first, then by pad number: the MPD and the HLS master playlist
 * list representations in this order */
static gint
stream_compare (gconstpointer pa, gconstpointer pb)
{
  const DashStream *a = pa, *b = pb;

  if (a->kind != b->kind)
    return a->kind == MPD_KIND_VIDEO ? -1 : 1;
  return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

/* Fresh state for a stream at start (LOCK) */
static void
stream_reset_locked (GstDashLiveSink * self, DashStream * s)
{
  s->have_delay = FALSE;
  s->last_media = 0;
  s->dropped = 0;
  s->config_version = 0;
  s->init_prepared = FALSE;
  dash_track_writer_reset (s->writer);
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

  GST_DASH_LIVE_SINK_LOCK (self);
  if (name && sscanf (name, video ? "video_%u" : "audio_%u", &idx) == 1) {
    if (stream_by_id_locked (self, name)) {
      GST_DASH_LIVE_SINK_UNLOCK (self);
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
  s->refcount = 1;
  s->sink = self;
  s->id = pad_name;
  s->kind = video ? MPD_KIND_VIDEO : MPD_KIND_AUDIO;
  s->index = idx;
  s->writer = dash_track_writer_new (pad_name);
  s->ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
  s->jobs = g_array_new (FALSE, TRUE, sizeof (DashJob));
  gst_segment_init (&s->segment, GST_FORMAT_TIME);
  s->track = segmenter_add_track (self->seg, video ? SEG_TRACK_VIDEO :
      SEG_TRACK_AUDIO, idx, pad_name, s);
  s->prep = dash_presentation_add_rep (self->pres, pad_name, s->kind, s->track);
  self->streams = g_list_insert_sorted (self->streams, s, stream_compare);
  /* a pad added while running joins at its first keyframe (a
   * representation of a resumed presentation goes on with its numbers) */
  if (self->running) {
    stream_reset_locked (self, s);
    segmenter_track_continue (s->track,
        dash_presentation_continued_number (self->pres, s->prep));
  }
  GST_DASH_LIVE_SINK_UNLOCK (self);

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
  GST_DASH_LIVE_SINK_LOCK (self);
  self->streams = g_list_remove (self->streams, s);
  dash_presentation_remove_rep (self->pres, s->prep);
  segmenter_remove_track (self->seg, s->track);
  s->track = NULL;
  s->prep = NULL;
  s->removed = TRUE;
  GST_DASH_LIVE_SINK_UNLOCK (self);
  dash_track_writer_abandon (s->writer);
  stream_unref (s);
  gst_pad_set_element_private (pad, NULL);
  gst_element_remove_pad (element, pad);
}

/* ---------------------------------------------------------------- */
/* state */

/* What to do with the presentation in the directory: continue it (a
 * dashlivesink-resumed message), replace it, or refuse to start */
static gboolean
open_presentation (GstDashLiveSink * self, DashOutput * out,
    DashResumePlan * plan)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  GError *err = NULL;
  gboolean ok;
  GList *l;

  GST_DASH_LIVE_SINK_LOCK (self);
  for (l = self->streams; l; l = l->next)
    g_ptr_array_add (ids, g_strdup (((DashStream *) l->data)->id));
  GST_DASH_LIVE_SINK_UNLOCK (self);
  g_ptr_array_add (ids, NULL);
  ok = dash_output_open_presentation (out, self->run.mpd_name,
      self->run.resume, self->run.segment_duration, self->run.hls,
      (const gchar * const *) ids->pdata, plan, &err);
  g_ptr_array_free (ids, TRUE);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot continue the presentation in \"%s\": %s",
            self->run.location, err->message),
        ("resume=false replaces it; or use another directory"));
    g_clear_error (&err);
    return FALSE;
  }
  if (plan->state) {
    GST_INFO_OBJECT (self, "resuming: %u segments, ending at %"
        G_GUINT64_FORMAT " ns", dash_resume_n_segments (plan->state),
        dash_resume_end (plan->state));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("dashlivesink-resumed",
                "segments", G_TYPE_UINT, dash_resume_n_segments (plan->state),
                "periods", G_TYPE_UINT, plan->state->mpd->periods->len,
                "end", G_TYPE_UINT64, dash_resume_end (plan->state),
                "removed-temporary", G_TYPE_UINT, plan->scan.temporary->len,
                "orphans", G_TYPE_UINT, plan->scan.orphans->len, NULL)));
  } else if (plan->replaced) {
    GST_INFO_OBJECT (self, "a new presentation replaces the one in %s: %s",
        self->run.location, plan->replaced);
  }
  return TRUE;
}

static gboolean
start (GstDashLiveSink * self)
{
  SegmenterConfig cfg;
  DashPresentationConfig pcfg;
  DashResumePlan plan;
  DashManifests m;
  DashOutput *out;
  GError *err = NULL;
  GList *l;

  GST_OBJECT_LOCK (self);
  GST_DASH_LIVE_SINK_LOCK (self);
  dash_settings_copy (&self->run, &self->props);
  GST_DASH_LIVE_SINK_UNLOCK (self);
  GST_OBJECT_UNLOCK (self);

  out = dash_output_new (self->run.location);
  if (!dash_output_prepare (out, &err)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Cannot write to directory \"%s\"", self->run.location),
        ("%s", err->message));
    g_clear_error (&err);
    dash_output_free (out);
    return FALSE;
  }
  if (!open_presentation (self, out, &plan)) {
    dash_output_free (out);
    return FALSE;
  }

  GST_DASH_LIVE_SINK_LOCK (self);
  dash_output_free (self->out);
  self->out = out;
  cfg = dash_settings_segmenter_config (&self->run);
  cfg.resumed = plan.state != NULL;
  segmenter_reset (self->seg, &cfg);
  for (l = self->streams; plan.state && l; l = l->next)
    segmenter_track_continue (((DashStream *) l->data)->track,
        dash_resume_next_number (plan.state, ((DashStream *) l->data)->id));
  self->floor_ns = plan.scan.floor_ns;
  self->have_offset = FALSE;
  pcfg = dash_settings_presentation_config (&self->run);
  dash_presentation_start (self->pres, &pcfg, plan.state, plan.scan.orphans);
  self->flow = GST_FLOW_OK;
  self->st_segments = self->st_deleted = self->st_bytes = self->st_init = 0;
  self->st_last_duration = self->st_publish_latency = 0;
  self->st_max_publish_latency = 0;
  for (l = self->streams; l; l = l->next)
    stream_reset_locked (self, l->data);
  self->running = TRUE;
  dash_manifests_init (&m);
  /* a resumed run: players get what the previous run left at once */
  if (plan.state)
    dash_presentation_render_restored (self->pres, &m);
  GST_DASH_LIVE_SINK_UNLOCK (self);
  dash_resume_plan_clear (&plan);
  if (m.names->len > 0)
    write_manifests (self, &m);
  dash_manifests_clear (&m);
  return TRUE;
}

/* After the pads were deactivated: open segment files go */
static void
stop (GstDashLiveSink * self)
{
  GList *streams, *l;

  GST_DASH_LIVE_SINK_LOCK (self);
  self->running = FALSE;
  streams = g_list_copy (self->streams);
  for (l = self->streams; l; l = l->next) {
    stream_ref (l->data);
    segmenter_flush (self->seg, ((DashStream *) l->data)->track, NULL);
  }
  GST_DASH_LIVE_SINK_UNLOCK (self);
  for (l = streams; l; l = l->next)
    dash_track_writer_abandon (((DashStream *) l->data)->writer);
  g_list_free_full (streams, (GDestroyNotify) stream_unref);
}

static GstStateChangeReturn
gst_dash_live_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstDashLiveSink *self = GST_DASH_LIVE_SINK (element);
  GstStateChangeReturn ret;
  GError *err = NULL;
  gchar *time_url;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!start (self))
        return GST_STATE_CHANGE_FAILURE;
      if (!dash_service_start (self->service, &self->run, &err)) {
        if (err->domain == DASH_SOUP_ERROR)
          GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("%s", err->message), (NULL));
        else if (err->code == GST_RESOURCE_ERROR_OPEN_READ_WRITE)
          GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
              ("%s", err->message), (NULL));
        else
          GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->message),
              (NULL));
        g_clear_error (&err);
        return GST_STATE_CHANGE_FAILURE;
      }
      GST_DASH_LIVE_SINK_LOCK (self);
      if (dash_service_get_server (self->service)) {
        time_url = dash_service_time_url (self->service);
        dash_presentation_set_served (self->pres, time_url);
        g_free (time_url);
      } else if (dash_service_get_upload (self->service) &&
          self->run.upload_ll_manifests) {
        /* the low-latency MPD is rendered for the origin alone */
        dash_presentation_set_served (self->pres, NULL);
      }
      dash_output_set_upload_served (self->out,
          self->run.upload_ll_manifests);
      dash_output_set_consumers (self->out,
          dash_service_get_server (self->service),
          dash_service_get_upload (self->service));
      GST_DASH_LIVE_SINK_UNLOCK (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* the pads are inactive: no streaming thread is in the element; the
       * uploader drains first (it abandons segments in progress) */
      GST_DASH_LIVE_SINK_LOCK (self);
      dash_output_set_consumers (self->out, NULL, NULL);
      GST_DASH_LIVE_SINK_UNLOCK (self);
      dash_service_stop (self->service);
      stop (self);
      break;
    default:
      break;
  }
  return ret;
}
