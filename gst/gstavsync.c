/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-avsync
 * @title: avsync
 *
 * Live sources drift: capture and encoder clocks differ (100 ppm, a common
 * figure, is 360 ms per hour), senders reset their timestamps and audio
 * has gaps. Viewers then see lip-sync errors that grow over time. avsync
 * sits on both streams of an ingest, measures the audio/video offset and
 * keeps the two together.
 *
 * Measurement: in a live pipeline each stream's timestamps are compared with
 * the running time on the pipeline clock when the buffers arrive (the
 * minimum over half-second windows, so queueing jitter does not count, and a
 * line fitted through the last 32 seconds). In a non-live pipeline the
 * reference is each stream's own content: the audio sample count and the
 * video frame count. The difference of the two streams is the A/V offset,
 * refreshed twice a second with 1 ms resolution, and its slope the drift in
 * ppm. The streams are assumed to be in sync when measuring starts.
 *
 * Correction: the audio is the master and passes untouched, bit for bit and
 * with its timestamps. Once the offset crosses #GstAvSync:lead-threshold or
 * #GstAvSync:lag-threshold (both #GstAvSync:threshold unless set), the video
 * timestamps are slewed towards the audio by at most
 * #GstAvSync:max-correction per frame, never more than half a frame, so the
 * video stays monotonic and the correction is invisible; from then on the
 * offset is tracked. With `mode=drop-dup` raw video frames are dropped or
 * duplicated instead. A known constant offset can be set with
 * #GstAvSync:av-offset, also while playing.
 *
 * ITU-R BT.1359 puts the detectability of A/V offsets at about +45 ms
 * (sound before picture) and -125 ms (sound after picture): thresholds
 * inside that window (e.g. `lead-threshold=40000000 lag-threshold=100000000`)
 * keep the error undetectable at all times.
 *
 * Discontinuities: a timestamp jump beyond #GstAvSync:max-jump that the
 * reference does not share (a sender restart) starts the measurement over
 * instead of slowly "correcting" it, and the correction in place is dropped
 * at the video's jump. An audio gap (the timestamps and the arrival jump
 * together) is not drift.
 *
 * With only one stream linked avsync is a passthrough.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 srtsrc uri=srt://:7001 ! tsdemux name=d \
 *   d. ! queue ! aacparse ! avsync.audio_sink \
 *   d. ! queue ! h264parse ! avsync.video_sink \
 *   avsync name=avsync lead-threshold=40000000 lag-threshold=100000000 \
 *   avsync.audio_src ! queue ! mux.  avsync.video_src ! queue ! mux. \
 *   flvmux name=mux streamable=true ! rtmpsink location=rtmp://127.0.0.1/live/s
 * ]|
 * Keeps the lip-sync of an SRT contribution feed while restreaming it.
 */

/* Implementation notes
 *
 *   audio_sink ──chain──┐                         ┌──► audio_src
 *                       │  observe (LOCK):        │    (untouched)
 *                       ├─ arrival vs running ────┤
 *                       │  time -> driftestimator │
 *   video_sink ──chain──┘  (GLib only): offset,   └──► video_src
 *                          slope, jumps, the          PTS/DTS slewed by
 *                          correction to apply        the correction (or
 *                                                     frames dropped/dup'd)
 *
 * Each stream's chain runs on its own streaming thread and never waits for
 * the other: the two meet only in the estimator under GST_AV_SYNC_LOCK,
 * which is held for the arithmetic and never while pushing or posting
 * (messages are collected under it and posted after).  Per-stream state
 * (segment, caps, sample counts) belongs to its streaming thread.
 * Properties are under GST_OBJECT_LOCK and reach the estimator through an
 * atomic "settings changed" flag, copied by a streaming thread.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstavsync.h"
#include "driftestimator.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (gst_av_sync_debug);
#define GST_CAT_DEFAULT gst_av_sync_debug

#define DEFAULT_THRESHOLD (100 * GST_MSECOND)
#define DEFAULT_LEAD_THRESHOLD (-1)
#define DEFAULT_LAG_THRESHOLD (-1)
#define DEFAULT_MAX_CORRECTION (1 * GST_MSECOND)
#define DEFAULT_MODE GST_AV_SYNC_MODE_SLEW
#define DEFAULT_AV_OFFSET 0
#define DEFAULT_MAX_JUMP (2 * GST_SECOND)
#define DEFAULT_MESSAGE_INTERVAL (1 * GST_SECOND)
#define DEFAULT_REFERENCE GST_AV_SYNC_REFERENCE_AUTO

#define MAX_THRESHOLD (60 * GST_SECOND)
#define MAX_AV_OFFSET (3600 * GST_SECOND)
/* at most one avsync-reset message per this much wall time */
#define RESET_MESSAGE_MIN_INTERVAL_US G_USEC_PER_SEC

enum
{
  PROP_0,
  PROP_THRESHOLD,
  PROP_LEAD_THRESHOLD,
  PROP_LAG_THRESHOLD,
  PROP_MAX_CORRECTION,
  PROP_MODE,
  PROP_AV_OFFSET,
  PROP_MAX_JUMP,
  PROP_MESSAGE_INTERVAL,
  PROP_REFERENCE,
  PROP_STATS,
};

typedef struct
{
  GstSegment segment;
  /* audio: raw sample format */
  gboolean raw;
  gint rate;
  gint bpf;
  /* video: nominal frame rate from the caps, 0 if none */
  gint fps_n;
  gint fps_d;
  /* samples (audio) or caps-timed frames (video) so far: durations are
   * taken as differences of the exact totals, so rounding never adds up
   * to a false drift */
  guint64 count;
} StreamState;

struct _GstAvSync
{
  GstElement parent;

  GstPad *audio_sinkpad;
  GstPad *audio_srcpad;
  GstPad *video_sinkpad;
  GstPad *video_srcpad;

  /* properties, GST_OBJECT_LOCK */
  guint64 threshold;
  gint64 lead_threshold;
  gint64 lag_threshold;
  guint64 max_correction;
  GstAvSyncMode mode;
  gint64 av_offset;
  guint64 max_jump;
  guint64 message_interval;
  GstAvSyncReference reference;
  gint settings_changed;        /* atomic: properties to copy into sync */

  /* streaming thread of each stream only (and state changes) */
  StreamState stream[2];

  /* dataflow state, self->lock */
  GMutex lock;
  DriftSync *sync;
  DriftSyncConfig cfg;
  gboolean ref_decided;
  guint64 interval;             /* message-interval, copied */
  guint64 next_message_x;
  gint64 last_reset_message;    /* monotonic us */
  guint64 untimed;
};

#define GST_AV_SYNC_LOCK(s) g_mutex_lock (&(s)->lock)
#define GST_AV_SYNC_UNLOCK(s) g_mutex_unlock (&(s)->lock)

#define AUDIO_CAPS "audio/x-raw(ANY); audio/mpeg; audio/x-opus; " \
    "audio/x-ac3; audio/x-eac3; audio/x-alaw; audio/x-mulaw; " \
    "audio/x-flac; audio/x-vorbis; audio/x-speex; audio/G722"
#define VIDEO_CAPS "video/x-raw(ANY); video/x-h264; video/x-h265; " \
    "video/x-vp8; video/x-vp9; video/x-av1; video/mpeg; image/jpeg; " \
    "video/x-theora; video/x-prores; video/x-dnxhd"

static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (AUDIO_CAPS));
static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (AUDIO_CAPS));
static GstStaticPadTemplate video_sink_template =
GST_STATIC_PAD_TEMPLATE ("video_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate video_src_template =
GST_STATIC_PAD_TEMPLATE ("video_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (VIDEO_CAPS));

#define gst_av_sync_parent_class parent_class
G_DEFINE_TYPE (GstAvSync, gst_av_sync, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (avsync, "avsync", GST_RANK_NONE,
    GST_TYPE_AV_SYNC);

GType
gst_av_sync_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_AV_SYNC_MODE_SLEW, "Slew the video timestamps, at most "
          "max-correction per frame", "slew"},
    {GST_AV_SYNC_MODE_DROP_DUP, "Drop or duplicate whole raw video frames "
          "(encoded video is slewed)", "drop-dup"},
    {GST_AV_SYNC_MODE_NONE, "Measure and report only", "none"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAvSyncMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_av_sync_reference_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_AV_SYNC_REFERENCE_AUTO, "The pipeline clock when upstream is live, "
          "else the media", "auto"},
    {GST_AV_SYNC_REFERENCE_CLOCK, "Arrival time on the pipeline clock",
        "clock"},
    {GST_AV_SYNC_REFERENCE_MEDIA, "Audio sample counts and video frame "
          "counts", "media"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstAvSyncReference", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_av_sync_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_av_sync_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_av_sync_finalize (GObject * object);
static GstStateChangeReturn gst_av_sync_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_av_sync_audio_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static GstFlowReturn gst_av_sync_video_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static gboolean gst_av_sync_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_av_sync_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static GstIterator *gst_av_sync_iterate_internal_links (GstPad * pad,
    GstObject * parent);

static void
gst_av_sync_class_init (GstAvSyncClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_av_sync_debug, "avsync", 0,
      "audio/video drift measurement and correction");

  gobject_class->set_property = gst_av_sync_set_property;
  gobject_class->get_property = gst_av_sync_get_property;
  gobject_class->finalize = gst_av_sync_finalize;

  /**
   * GstAvSync:threshold:
   *
   * A/V offset (either way) at which the correction starts, in ns. Below it
   * the video timestamps are left alone; once crossed, the offset is
   * corrected to zero and tracked from then on.
   */
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_uint64 ("threshold", "Threshold",
          "A/V offset (ns, either way) at which the correction starts",
          0, MAX_THRESHOLD, DEFAULT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:lead-threshold:
   *
   * Threshold when the audio leads (the picture is late), in ns; -1 uses
   * #GstAvSync:threshold. ITU-R BT.1359 detectability: 45 ms.
   */
  g_object_class_install_property (gobject_class, PROP_LEAD_THRESHOLD,
      g_param_spec_int64 ("lead-threshold", "Lead threshold",
          "Threshold (ns) when the audio leads the video, -1 = threshold "
          "(ITU-R BT.1359 detectability: 45 ms)",
          -1, MAX_THRESHOLD, DEFAULT_LEAD_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:lag-threshold:
   *
   * Threshold when the audio lags (the picture is early), in ns; -1 uses
   * #GstAvSync:threshold. ITU-R BT.1359 detectability: 125 ms.
   */
  g_object_class_install_property (gobject_class, PROP_LAG_THRESHOLD,
      g_param_spec_int64 ("lag-threshold", "Lag threshold",
          "Threshold (ns) when the audio lags the video, -1 = threshold "
          "(ITU-R BT.1359 detectability: 125 ms)",
          -1, MAX_THRESHOLD, DEFAULT_LAG_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:max-correction:
   *
   * Largest change of the video timestamps from one frame to the next, in
   * ns; never more than half a frame either. In drop-dup mode one frame is
   * dropped or duplicated at most every frame-duration / max-correction
   * frames. 0 measures without correcting.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_CORRECTION,
      g_param_spec_uint64 ("max-correction", "Max correction",
          "Largest correction step per video frame (ns), capped at half a "
          "frame; 0 = never correct",
          0, GST_SECOND, DEFAULT_MAX_CORRECTION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:mode:
   *
   * How the offset is corrected.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode", "How the offset is corrected",
          GST_TYPE_AV_SYNC_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:av-offset:
   *
   * A known A/V offset of the source in ns, positive when the video is
   * stamped late (the audio leads). The video is moved by it (earlier when
   * positive), at the max-correction rate when changed while playing.
   */
  g_object_class_install_property (gobject_class, PROP_AV_OFFSET,
      g_param_spec_int64 ("av-offset", "A/V offset",
          "Known A/V offset of the source (ns, > 0: video stamped late); the "
          "video is moved earlier by it", -MAX_AV_OFFSET, MAX_AV_OFFSET,
          DEFAULT_AV_OFFSET, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:max-jump:
   *
   * A timestamp jump larger than this (in ns) that the reference does not
   * share is a sender restart: the measurement starts over.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_JUMP,
      g_param_spec_uint64 ("max-jump", "Max jump",
          "A timestamp jump (ns) beyond this restarts the measurement",
          10 * GST_MSECOND, 24 * 3600 * GST_SECOND, DEFAULT_MAX_JUMP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstAvSync:message-interval:
   *
   * Interval of the `avsync-status` element message in ns of stream time,
   * 0 = none.
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE_INTERVAL,
      g_param_spec_uint64 ("message-interval", "Message interval",
          "Interval (ns of stream time) of avsync-status messages, 0 = none",
          0, G_MAXUINT64, DEFAULT_MESSAGE_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstAvSync:reference:
   *
   * What the timestamps are measured against.
   */
  g_object_class_install_property (gobject_class, PROP_REFERENCE,
      g_param_spec_enum ("reference", "Reference",
          "What the timestamps are measured against",
          GST_TYPE_AV_SYNC_REFERENCE, DEFAULT_REFERENCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstAvSync:stats:
   *
   * Statistics in an `application/x-avsync-stats` structure:
   *
   * - `valid` (boolean): an offset is measured
   * - `reference` (string): "clock", "media" or "none" before data
   * - `offset` (gint64): measured A/V offset in ns, > 0: audio leads
   * - `mean-offset` (guint64), `max-offset` (gint64): mean magnitude and
   *   the value of largest magnitude, over the half-second windows
   * - `residual` (gint64): offset left after correction (+ av-offset)
   * - `mean-residual` (guint64), `max-residual` (gint64)
   * - `correction` (gint64): ns the video is moved earlier now
   * - `drift-ppm` (gdouble): slope of the offset, > 0: growing
   * - `engaged` (boolean): the correction is active
   * - `corrections` (guint64): frames whose correction changed (slew)
   * - `frames-dropped`, `frames-duplicated` (guint64): drop-dup mode
   * - `resets` (guint64): stream restarts (jumps, flushes)
   * - `gaps` (guint64): gaps that were not counted as drift
   * - `level-shifts` (guint64): lasting steps of one stream's delay
   * - `outliers` (guint64): windows left out of the fit (stalls, bursts)
   * - `audio-buffers`, `video-buffers` (guint64): measured buffers
   * - `untimed-buffers` (guint64): passed without a timestamp
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Measurement and correction statistics", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class,
      &audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);

  gst_element_class_set_static_metadata (element_class,
      "A/V drift correction", "Filter/Audio/Video",
      "Measures the audio/video offset of live streams and slews the video "
      "timestamps to keep lip-sync", "gst-livestream authors");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_av_sync_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_AV_SYNC_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_AV_SYNC_REFERENCE, 0);
}

static GstPad *
make_pad (GstAvSync * self, GstStaticPadTemplate * templ)
{
  GstPad *pad = gst_pad_new_from_static_template (templ, templ->name_template);

  gst_pad_set_iterate_internal_links_function (pad,
      GST_DEBUG_FUNCPTR (gst_av_sync_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (pad);
  if (GST_PAD_IS_SINK (pad)) {
    GST_PAD_SET_PROXY_ALLOCATION (pad);
    GST_PAD_SET_PROXY_SCHEDULING (pad);
    gst_pad_set_event_function (pad,
        GST_DEBUG_FUNCPTR (gst_av_sync_sink_event));
  } else {
    gst_pad_set_event_function (pad, GST_DEBUG_FUNCPTR (gst_av_sync_src_event));
  }
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static void
reset_streams (GstAvSync * self)
{
  gint i;

  for (i = 0; i < 2; i++) {
    gst_segment_init (&self->stream[i].segment, GST_FORMAT_UNDEFINED);
    self->stream[i].raw = FALSE;
    self->stream[i].rate = 0;
    self->stream[i].bpf = 0;
    self->stream[i].fps_n = 0;
    self->stream[i].fps_d = 1;
    self->stream[i].count = 0;
  }
}

static void
gst_av_sync_init (GstAvSync * self)
{
  self->audio_sinkpad = make_pad (self, &audio_sink_template);
  gst_pad_set_chain_function (self->audio_sinkpad,
      GST_DEBUG_FUNCPTR (gst_av_sync_audio_chain));
  self->audio_srcpad = make_pad (self, &audio_src_template);
  self->video_sinkpad = make_pad (self, &video_sink_template);
  gst_pad_set_chain_function (self->video_sinkpad,
      GST_DEBUG_FUNCPTR (gst_av_sync_video_chain));
  self->video_srcpad = make_pad (self, &video_src_template);

  self->threshold = DEFAULT_THRESHOLD;
  self->lead_threshold = DEFAULT_LEAD_THRESHOLD;
  self->lag_threshold = DEFAULT_LAG_THRESHOLD;
  self->max_correction = DEFAULT_MAX_CORRECTION;
  self->mode = DEFAULT_MODE;
  self->av_offset = DEFAULT_AV_OFFSET;
  self->max_jump = DEFAULT_MAX_JUMP;
  self->message_interval = DEFAULT_MESSAGE_INTERVAL;
  self->reference = DEFAULT_REFERENCE;

  g_mutex_init (&self->lock);
  drift_sync_config_init (&self->cfg, DRIFT_REFERENCE_MEDIA);
  self->sync = drift_sync_new (&self->cfg);
  self->settings_changed = 1;
  self->next_message_x = GST_CLOCK_TIME_NONE;
  reset_streams (self);
}

static void
gst_av_sync_finalize (GObject * object)
{
  GstAvSync *self = GST_AV_SYNC (object);

  drift_sync_free (self->sync);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GstPad *
paired_pad (GstAvSync * self, GstPad * pad)
{
  if (pad == self->audio_sinkpad)
    return self->audio_srcpad;
  if (pad == self->audio_srcpad)
    return self->audio_sinkpad;
  if (pad == self->video_sinkpad)
    return self->video_srcpad;
  return self->video_sinkpad;
}

static GstIterator *
gst_av_sync_iterate_internal_links (GstPad * pad, GstObject * parent)
{
  GstAvSync *self = GST_AV_SYNC (parent);
  GValue val = G_VALUE_INIT;
  GstIterator *it;

  g_value_init (&val, GST_TYPE_PAD);
  g_value_set_object (&val, paired_pad (self, pad));
  it = gst_iterator_new_single (GST_TYPE_PAD, &val);
  g_value_unset (&val);
  return it;
}

/* Copy the properties into the drift configuration.
 * Call with self->lock; takes the object lock. */
static void
update_config_locked (GstAvSync * self)
{
  DriftSyncConfig *cfg = &self->cfg;

  if (!g_atomic_int_compare_and_exchange (&self->settings_changed, 1, 0))
    return;

  GST_OBJECT_LOCK (self);
  cfg->lead_threshold = self->lead_threshold >= 0 ?
      (guint64) self->lead_threshold : self->threshold;
  cfg->lag_threshold = self->lag_threshold >= 0 ?
      (guint64) self->lag_threshold : self->threshold;
  cfg->max_correction = self->max_correction;
  switch (self->mode) {
    case GST_AV_SYNC_MODE_DROP_DUP:
      cfg->mode = DRIFT_MODE_DROP_DUP;
      break;
    case GST_AV_SYNC_MODE_NONE:
      cfg->mode = DRIFT_MODE_NONE;
      break;
    default:
      cfg->mode = DRIFT_MODE_SLEW;
      break;
  }
  cfg->av_offset = self->av_offset;
  cfg->track.max_jump = self->max_jump;
  self->interval = self->message_interval;
  GST_OBJECT_UNLOCK (self);

  drift_sync_configure (self->sync, cfg);
}

/* First buffer of the session: pick the reference. Streaming thread, no
 * lock held (queries upstream). */
static void
decide_reference (GstAvSync * self, GstPad * sinkpad)
{
  GstAvSyncReference want;
  DriftReference ref;
  gboolean live = FALSE, have_clock;

  GST_OBJECT_LOCK (self);
  want = self->reference;
  have_clock = GST_ELEMENT_CLOCK (self) != NULL;
  GST_OBJECT_UNLOCK (self);

  if (want == GST_AV_SYNC_REFERENCE_AUTO) {
    GstQuery *q = gst_query_new_latency ();

    if (gst_pad_peer_query (sinkpad, q))
      gst_query_parse_latency (q, &live, NULL, NULL);
    gst_query_unref (q);
    ref = live && have_clock ? DRIFT_REFERENCE_CLOCK : DRIFT_REFERENCE_MEDIA;
  } else {
    ref = want == GST_AV_SYNC_REFERENCE_CLOCK ? DRIFT_REFERENCE_CLOCK :
        DRIFT_REFERENCE_MEDIA;
  }

  GST_AV_SYNC_LOCK (self);
  if (!self->ref_decided) {
    self->ref_decided = TRUE;
    self->cfg.track.reference = ref;
    self->cfg.warmup = ref == DRIFT_REFERENCE_CLOCK ? 4 : 1;
    drift_sync_configure (self->sync, &self->cfg);
    GST_INFO_OBJECT (self, "measuring against the %s (upstream %slive)",
        ref == DRIFT_REFERENCE_CLOCK ? "pipeline clock" : "media content",
        live ? "" : "not ");
  }
  GST_AV_SYNC_UNLOCK (self);
}

/* Running time on the pipeline clock now, or NONE. Takes the object lock. */
static GstClockTime
arrival_time (GstAvSync * self)
{
  GstClock *clock;
  GstClockTime base, now;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self);
  if (!clock) {
    GST_OBJECT_UNLOCK (self);
    return GST_CLOCK_TIME_NONE;
  }
  gst_object_ref (clock);
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);

  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  if (!GST_CLOCK_TIME_IS_VALID (now) || now < base)
    return GST_CLOCK_TIME_NONE;
  return now - base;
}

/* Running time of @ts in @seg, or NONE */
static GstClockTime
running_time (const GstSegment * seg, GstClockTime ts)
{
  if (seg->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (seg, GST_FORMAT_TIME, ts);
}

static const gchar *
stream_name (DriftStream s)
{
  return s == DRIFT_AUDIO ? "audio" : "video";
}

/* Messages for the events of an observation. Call with self->lock; the
 * messages are posted by the caller after unlocking. */
static void
collect_messages_locked (GstAvSync * self, DriftStream stream, guint events,
    GstClockTime rt, GstMessage ** msgs, guint * n_msgs)
{
  const DriftSyncStats *st = drift_sync_get_stats (self->sync);

  if (events & (DRIFT_EVENT_JUMP | DRIFT_EVENT_MERGED)) {
    gint64 now = g_get_monotonic_time ();

    GST_INFO_OBJECT (self, "%s %s at %" GST_TIME_FORMAT, stream_name (stream),
        events & DRIFT_EVENT_JUMP ? "timestamps jumped" :
        "jump absorbed (other stream did not jump)", GST_TIME_ARGS (rt));
    if (self->last_reset_message == 0 ||
        now - self->last_reset_message >= RESET_MESSAGE_MIN_INTERVAL_US) {
      self->last_reset_message = now;
      msgs[(*n_msgs)++] = gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("avsync-reset",
              "stream", G_TYPE_STRING, stream_name (stream),
              "reason", G_TYPE_STRING, events & DRIFT_EVENT_JUMP ? "jump" :
              "one-sided-jump", "running-time", G_TYPE_UINT64, rt,
              "resets", G_TYPE_UINT64, st->resets, NULL));
    }
  }
  if (events & DRIFT_EVENT_ENGAGED) {
    GST_INFO_OBJECT (self, "offset %" G_GINT64_FORMAT " ns crossed the "
        "threshold: correcting", st->offset);
    msgs[(*n_msgs)++] = gst_message_new_element (GST_OBJECT (self),
        gst_structure_new ("avsync-correcting",
            "offset", G_TYPE_INT64, st->offset,
            "drift-ppm", G_TYPE_DOUBLE, st->drift_ppm,
            "running-time", G_TYPE_UINT64, rt, NULL));
  }
  if (events & DRIFT_EVENT_SHIFT)
    GST_INFO_OBJECT (self, "%s delay moved: level shift",
        stream_name (stream));
  if (events & DRIFT_EVENT_GAP)
    GST_DEBUG_OBJECT (self, "%s gap at %" GST_TIME_FORMAT,
        stream_name (stream), GST_TIME_ARGS (rt));

  /* the video's timeline restarted: so does the message schedule */
  if (stream == DRIFT_VIDEO && (events & DRIFT_EVENT_JUMP))
    self->next_message_x = GST_CLOCK_TIME_NONE;

  if (stream == DRIFT_VIDEO && st->valid) {
    guint64 interval = self->interval, x;

    x = drift_track_last_x (drift_sync_get_track (self->sync, DRIFT_VIDEO));
    if (interval > 0 && x != DRIFT_TIME_NONE &&
        (self->next_message_x == GST_CLOCK_TIME_NONE ||
            x >= self->next_message_x)) {
      self->next_message_x = x + interval;
      msgs[(*n_msgs)++] = gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("avsync-status",
              "offset", G_TYPE_INT64, st->offset,
              "residual", G_TYPE_INT64, st->residual,
              "correction", G_TYPE_INT64, st->correction,
              "drift-ppm", G_TYPE_DOUBLE, st->drift_ppm,
              "engaged", G_TYPE_BOOLEAN, st->engaged,
              "running-time", G_TYPE_UINT64, rt, NULL));
    }
  }
}

static void
post_messages (GstAvSync * self, GstMessage ** msgs, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    gst_element_post_message (GST_ELEMENT (self), msgs[i]);
}

/* Observe one buffer of @stream. Streaming thread, no lock held. Returns
 * the video decision in @res (video only). */
static gboolean
observe (GstAvSync * self, DriftStream stream, GstClockTime rt,
    GstClockTime dur, gboolean can_drop_dup, DriftVideoResult * res)
{
  GstMessage *msgs[4];
  guint n_msgs = 0;
  GstClockTime x = GST_CLOCK_TIME_NONE;
  guint events;

  if (G_UNLIKELY (!self->ref_decided))
    decide_reference (self, stream == DRIFT_AUDIO ? self->audio_sinkpad :
        self->video_sinkpad);

  GST_AV_SYNC_LOCK (self);
  if (self->cfg.track.reference == DRIFT_REFERENCE_CLOCK) {
    /* lock order: self->lock, then the object lock */
    x = arrival_time (self);
    if (!GST_CLOCK_TIME_IS_VALID (x)) {
      /* no clock (yet): nothing measured, the correction stays */
      if (res)
        res->correction = drift_sync_get_stats (self->sync)->correction;
      GST_AV_SYNC_UNLOCK (self);
      return FALSE;
    }
  }
  update_config_locked (self);
  if (stream == DRIFT_AUDIO) {
    events = drift_sync_audio (self->sync, x, rt, dur);
  } else {
    drift_sync_video (self->sync, x, rt, dur, can_drop_dup, res);
    events = res->events;
  }
  if (G_UNLIKELY (events & ~DRIFT_EVENT_WINDOW) || stream == DRIFT_VIDEO)
    collect_messages_locked (self, stream, events, rt, msgs, &n_msgs);
  GST_AV_SYNC_UNLOCK (self);

  if (G_UNLIKELY (n_msgs))
    post_messages (self, msgs, n_msgs);
  return TRUE;
}

static GstFlowReturn
gst_av_sync_audio_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAvSync *self = GST_AV_SYNC (parent);
  StreamState *st = &self->stream[DRIFT_AUDIO];
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);
  GstClockTime rt = running_time (&st->segment, ts);

  if (G_LIKELY (GST_CLOCK_TIME_IS_VALID (rt))) {
    GstClockTime dur = GST_CLOCK_TIME_NONE;

    /* the content clock: samples, not what the timestamps claim */
    if (st->raw && st->bpf > 0 && st->rate > 0) {
      guint64 before = gst_util_uint64_scale_int (st->count, GST_SECOND,
          st->rate);

      st->count += gst_buffer_get_size (buf) / st->bpf;
      dur = gst_util_uint64_scale_int (st->count, GST_SECOND, st->rate) -
          before;
    } else if (GST_BUFFER_DURATION_IS_VALID (buf))
      dur = GST_BUFFER_DURATION (buf);
    observe (self, DRIFT_AUDIO, rt, dur, FALSE, NULL);
  } else {
    GST_AV_SYNC_LOCK (self);
    self->untimed++;
    GST_AV_SYNC_UNLOCK (self);
  }

  /* audio is the master: passed on untouched */
  return gst_pad_push (self->audio_srcpad, buf);
}

/* Move @ts earlier by @corr ns of running time in @seg's direction */
static GstClockTime
shift_ts (const GstSegment * seg, GstClockTime ts, gint64 corr)
{
  gint64 delta;

  if (!GST_CLOCK_TIME_IS_VALID (ts) || corr == 0)
    return ts;
  delta = seg->rate == 1.0 ? corr : (gint64) (corr * ABS (seg->rate));
  if (seg->rate < 0)
    delta = -delta;
  if (delta > 0 && (guint64) delta > ts)
    return 0;
  return (GstClockTime) ((gint64) ts - delta);
}

static GstFlowReturn
gst_av_sync_video_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstAvSync *self = GST_AV_SYNC (parent);
  StreamState *st = &self->stream[DRIFT_VIDEO];
  GstClockTime ts = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) :
      GST_BUFFER_PTS (buf);
  GstClockTime rt = running_time (&st->segment, ts);
  DriftVideoResult res = { DRIFT_ACTION_PUSH, 0, 0, 0 };
  GstFlowReturn ret;

  if (G_LIKELY (GST_CLOCK_TIME_IS_VALID (rt))) {
    /* the content clock: what the frame lasts, from upstream (a demuxer's
     * sample durations, a source's frame counter) or else the caps */
    GstClockTime dur = GST_CLOCK_TIME_NONE;

    if (GST_BUFFER_DURATION_IS_VALID (buf)) {
      dur = GST_BUFFER_DURATION (buf);
    } else if (st->fps_n > 0) {
      guint64 before = gst_util_uint64_scale (st->count,
          GST_SECOND * st->fps_d, st->fps_n);

      st->count++;
      dur = gst_util_uint64_scale (st->count, GST_SECOND * st->fps_d,
          st->fps_n) - before;
    }

    observe (self, DRIFT_VIDEO, rt, dur, st->raw, &res);
  } else {
    GST_AV_SYNC_LOCK (self);
    self->untimed++;
    GST_AV_SYNC_UNLOCK (self);
  }

  if (G_UNLIKELY (res.action == DRIFT_ACTION_DROP)) {
    GST_DEBUG_OBJECT (self, "dropping frame %" GST_TIME_FORMAT " (video late)",
        GST_TIME_ARGS (ts));
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  if (res.correction != 0 || res.action == DRIFT_ACTION_DUP) {
    /* only the metadata changes: the memory is shared */
    buf = gst_buffer_make_writable (buf);
    GST_BUFFER_PTS (buf) = shift_ts (&st->segment, GST_BUFFER_PTS (buf),
        res.correction);
    GST_BUFFER_DTS (buf) = shift_ts (&st->segment, GST_BUFFER_DTS (buf),
        res.correction);
  }

  if (G_UNLIKELY (res.action == DRIFT_ACTION_DUP)) {
    GstBuffer *copy = gst_buffer_copy (buf);
    gint64 f = (gint64) res.frame_duration;

    GST_DEBUG_OBJECT (self, "duplicating frame %" GST_TIME_FORMAT
        " (video early)", GST_TIME_ARGS (ts));
    GST_BUFFER_PTS (copy) = shift_ts (&st->segment, GST_BUFFER_PTS (copy), f);
    GST_BUFFER_DTS (copy) = shift_ts (&st->segment, GST_BUFFER_DTS (copy), f);
    GST_BUFFER_DURATION (copy) = res.frame_duration;
    GST_BUFFER_FLAG_UNSET (buf, GST_BUFFER_FLAG_DISCONT);
    ret = gst_pad_push (self->video_srcpad, copy);
    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      return ret;
    }
  }

  return gst_pad_push (self->video_srcpad, buf);
}

static gboolean
parse_caps (GstAvSync * self, DriftStream stream, GstCaps * caps)
{
  StreamState *st = &self->stream[stream];
  GstStructure *s = gst_caps_get_structure (caps, 0);

  if (stream == DRIFT_AUDIO) {
    st->raw = gst_structure_has_name (s, "audio/x-raw");
    st->rate = st->bpf = 0;
    if (st->raw) {
      GstAudioInfo info;

      if (!gst_audio_info_from_caps (&info, caps)) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
            ("audio caps without a valid rate/format/channels: %"
                GST_PTR_FORMAT, caps));
        return FALSE;
      }
      if (st->rate != GST_AUDIO_INFO_RATE (&info))
        st->count = 0;
      st->rate = GST_AUDIO_INFO_RATE (&info);
      st->bpf = GST_AUDIO_INFO_BPF (&info);
    }
  } else {
    gint fps_n = 0, fps_d = 1;

    st->raw = gst_structure_has_name (s, "video/x-raw");
    if (!gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d) ||
        fps_n <= 0 || fps_d <= 0) {
      fps_n = 0;
      fps_d = 1;
    }
    if (fps_n != st->fps_n || fps_d != st->fps_d)
      st->count = 0;
    st->fps_n = fps_n;
    st->fps_d = fps_d;
  }
  return TRUE;
}

static gboolean
gst_av_sync_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstAvSync *self = GST_AV_SYNC (parent);
  DriftStream stream = pad == self->audio_sinkpad ? DRIFT_AUDIO : DRIFT_VIDEO;
  StreamState *st = &self->stream[stream];

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      if (!parse_caps (self, stream, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &st->segment);
      if (st->segment.format != GST_FORMAT_TIME)
        GST_WARNING_OBJECT (self, "%s segment not in time: not measured",
            stream_name (stream));
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&st->segment, GST_FORMAT_UNDEFINED);
      GST_AV_SYNC_LOCK (self);
      drift_sync_flush (self->sync, stream);
      if (stream == DRIFT_VIDEO)
        self->next_message_x = GST_CLOCK_TIME_NONE;
      GST_AV_SYNC_UNLOCK (self);
      break;
    case GST_EVENT_GAP:{
      GstClockTime ts, dur, rt;

      gst_event_parse_gap (event, &ts, &dur);
      rt = running_time (&st->segment, ts);
      if (GST_CLOCK_TIME_IS_VALID (rt) && GST_CLOCK_TIME_IS_VALID (dur)) {
        GST_AV_SYNC_LOCK (self);
        drift_sync_gap (self->sync, stream, rt, dur);
        GST_AV_SYNC_UNLOCK (self);
      }
      break;
    }
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_av_sync_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstAvSync *self = GST_AV_SYNC (parent);

  /* QoS downstream saw the corrected timestamps: report it on the input's */
  if (pad == self->video_srcpad && GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime ts;
    gint64 corr;

    GST_AV_SYNC_LOCK (self);
    corr = drift_sync_get_stats (self->sync)->correction;
    GST_AV_SYNC_UNLOCK (self);
    gst_event_parse_qos (event, &type, &proportion, &diff, &ts);
    if (corr != 0 && GST_CLOCK_TIME_IS_VALID (ts)) {
      gint64 in_ts = (gint64) ts + corr;

      gst_event_unref (event);
      event = gst_event_new_qos (type, proportion, diff,
          in_ts < 0 ? 0 : (GstClockTime) in_ts);
    }
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStructure *
make_stats (GstAvSync * self)
{
  const DriftSyncStats *st;
  GstStructure *s;
  const gchar *ref;

  GST_AV_SYNC_LOCK (self);
  st = drift_sync_get_stats (self->sync);
  ref = !self->ref_decided ? "none" :
      self->cfg.track.reference == DRIFT_REFERENCE_CLOCK ? "clock" : "media";
  s = gst_structure_new ("application/x-avsync-stats",
      "valid", G_TYPE_BOOLEAN, st->valid,
      "reference", G_TYPE_STRING, ref,
      "offset", G_TYPE_INT64, st->offset,
      "mean-offset", G_TYPE_UINT64, st->mean_offset,
      "max-offset", G_TYPE_INT64, st->max_offset,
      "residual", G_TYPE_INT64, st->residual,
      "mean-residual", G_TYPE_UINT64, st->mean_residual,
      "max-residual", G_TYPE_INT64, st->max_residual,
      "correction", G_TYPE_INT64, st->correction,
      "drift-ppm", G_TYPE_DOUBLE, st->drift_ppm,
      "engaged", G_TYPE_BOOLEAN, st->engaged,
      "corrections", G_TYPE_UINT64, st->corrections,
      "frames-dropped", G_TYPE_UINT64, st->dropped,
      "frames-duplicated", G_TYPE_UINT64, st->duplicated,
      "resets", G_TYPE_UINT64, st->resets,
      "gaps", G_TYPE_UINT64, st->gaps,
      "level-shifts", G_TYPE_UINT64, st->shifts,
      "outliers", G_TYPE_UINT64, st->outliers,
      "audio-buffers", G_TYPE_UINT64, st->audio_buffers,
      "video-buffers", G_TYPE_UINT64, st->video_buffers,
      "untimed-buffers", G_TYPE_UINT64, self->untimed, NULL);
  GST_AV_SYNC_UNLOCK (self);
  return s;
}

static void
gst_av_sync_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstAvSync *self = GST_AV_SYNC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THRESHOLD:
      self->threshold = g_value_get_uint64 (value);
      break;
    case PROP_LEAD_THRESHOLD:
      self->lead_threshold = g_value_get_int64 (value);
      break;
    case PROP_LAG_THRESHOLD:
      self->lag_threshold = g_value_get_int64 (value);
      break;
    case PROP_MAX_CORRECTION:
      self->max_correction = g_value_get_uint64 (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_AV_OFFSET:
      self->av_offset = g_value_get_int64 (value);
      break;
    case PROP_MAX_JUMP:
      self->max_jump = g_value_get_uint64 (value);
      break;
    case PROP_MESSAGE_INTERVAL:
      self->message_interval = g_value_get_uint64 (value);
      break;
    case PROP_REFERENCE:
      self->reference = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  g_atomic_int_set (&self->settings_changed, 1);
}

static void
gst_av_sync_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstAvSync *self = GST_AV_SYNC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, make_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THRESHOLD:
      g_value_set_uint64 (value, self->threshold);
      break;
    case PROP_LEAD_THRESHOLD:
      g_value_set_int64 (value, self->lead_threshold);
      break;
    case PROP_LAG_THRESHOLD:
      g_value_set_int64 (value, self->lag_threshold);
      break;
    case PROP_MAX_CORRECTION:
      g_value_set_uint64 (value, self->max_correction);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_AV_OFFSET:
      g_value_set_int64 (value, self->av_offset);
      break;
    case PROP_MAX_JUMP:
      g_value_set_uint64 (value, self->max_jump);
      break;
    case PROP_MESSAGE_INTERVAL:
      g_value_set_uint64 (value, self->message_interval);
      break;
    case PROP_REFERENCE:
      g_value_set_enum (value, self->reference);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
reset_session (GstAvSync * self)
{
  GST_AV_SYNC_LOCK (self);
  drift_sync_reset (self->sync);
  self->ref_decided = FALSE;
  self->next_message_x = GST_CLOCK_TIME_NONE;
  self->last_reset_message = 0;
  self->untimed = 0;
  g_atomic_int_set (&self->settings_changed, 1);
  GST_AV_SYNC_UNLOCK (self);
  reset_streams (self);
}

static GstStateChangeReturn
gst_av_sync_change_state (GstElement * element, GstStateChange transition)
{
  GstAvSync *self = GST_AV_SYNC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    reset_session (self);

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_session (self);
  return ret;
}
