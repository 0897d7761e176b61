/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-gopbuffer
 * @title: gopbuffer
 *
 * A viewer, recorder or restream branch added to a running live pipeline has
 * to wait for the next keyframe before it can decode anything: on average
 * half a GOP, up to a whole one. gopbuffer keeps a bounded cache of the last
 * GOPs of a parsed encoded video stream (and of an optional audio stream
 * kept aligned with it) so that a branch linked to a new `src_%u` pad while
 * PLAYING gets the sticky events, then the cached data from a keyframe on,
 * then live data: it decodes its first frame at once.
 *
 * The cache holds the last #GstGopBuffer:max-gops GOPs, also bounded by
 * #GstGopBuffer:max-size-bytes and #GstGopBuffer:max-size-time: whole old
 * GOPs are evicted, the newest GOP is kept from its keyframe. A GOP that
 * alone outgrows the bounds (a stream that stops sending keyframes) is
 * discarded and counted. Cached buffers are shared by reference with every
 * branch, never copied.
 *
 * The always `src` pad is a passthrough that drops until the first keyframe
 * at start and after a flush or a DISCONT (#GstGopBuffer:start-on-keyframe).
 * Each request pad pushes from its own thread and queue: a branch whose
 * downstream lags more than #GstGopBuffer:max-lag drops whole GOPs and
 * resumes at a keyframe without holding back the other pads.
 *
 * Open GOPs (H.264 recovery point without IDR, H.265 CRA/BLA) are detected
 * with the codec parsers; when a branch starts at such a keyframe the leading
 * pictures that reference the previous GOP are not sent.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency key-int-max=60 ! \
 *     h264parse ! gopbuffer name=g max-gops=1 ! fakesink \
 *     g.src_0 ! queue ! avdec_h264 ! autovideosink
 * ]| The branch on `src_0` could be linked at any time: an application
 * requests `src_%u` pads while PLAYING and the new branch starts from the
 * cached keyframe.
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! h264parse ! \
 *     gopbuffer name=g ! queue ! mux. \
 *     audiotestsrc is-live=true ! avenc_aac ! aacparse ! g.audio_sink \
 *     g.audio_src ! queue ! mux. mpegtsmux name=mux ! fakesink
 * ]| Audio through `audio_sink` is cached aligned with the video: a branch
 * with `src_N` and `audio_src_N` gets the audio from the same keyframe on.
 */

/* Implementation notes
 *
 *   sink ──chain──► gopnalinspect.c: keyframe type, leading pictures
 *          │        gopstore.c (GLib only, under GST_GOP_BUFFER_LOCK):
 *          │        the cached GOPs with their sticky events, evicted
 *          │        whole by max-gops / max-bytes / max-time
 *          ├──► src (passthrough in the chain; start-on-keyframe)
 *          └──► each joined request pad's LagQueue
 *   audio_sink ──chain──► audio_src, and the cached audio since the GOP
 *
 *   src_%u / audio_src_%u: each its own LagQueue and task; at a join the
 *   queue is primed from the cache (catch-up: from the GOP's keyframe;
 *   latest-keyframe: the newest keyframe only), then fed live; a pad
 *   more than max-lag behind drops whole GOPs.
 *
 * GST_GOP_BUFFER_LOCK protects the store, the queues and the settings;
 * it is never held while pushing or posting (messages are built under it
 * and posted after).  Each request pad's task waits on its own cond.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "gstgopbuffer.h"
#include "gopstore.h"
#include "gopnalinspect.h"

GST_DEBUG_CATEGORY_STATIC (gst_gop_buffer_debug);
#define GST_CAT_DEFAULT gst_gop_buffer_debug

#define DEFAULT_MAX_GOPS 1
#define DEFAULT_MAX_SIZE_BYTES (32 * 1024 * 1024)
#define DEFAULT_MAX_SIZE_TIME (10 * GST_SECOND)
#define DEFAULT_START_ON_KEYFRAME TRUE
#define DEFAULT_JOIN_MODE GST_GOP_BUFFER_JOIN_CATCH_UP
#define DEFAULT_MAX_LAG (5 * GST_SECOND)
#define DEFAULT_POST_MESSAGES FALSE

/* at most one gopbuffer-gop message per this interval (intra-only streams) */
#define MESSAGE_MIN_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
/* at most one gopbuffer-lag message per this interval */
#define LAG_MESSAGE_MIN_INTERVAL_US (G_TIME_SPAN_SECOND)
/* while a new branch's downstream is not active yet, retry this often */
#define RETRY_INTERVAL_US (1 * G_TIME_SPAN_MILLISECOND)

enum
{
  PROP_0,
  PROP_MAX_GOPS,
  PROP_MAX_SIZE_BYTES,
  PROP_MAX_SIZE_TIME,
  PROP_START_ON_KEYFRAME,
  PROP_JOIN_MODE,
  PROP_MAX_LAG,
  PROP_POST_MESSAGES,
  PROP_LAST_KEYFRAME,
  PROP_STATS,
};

#define VIDEO_CAPS \
    "video/x-h264, alignment = (string) au; " \
    "video/x-h265, alignment = (string) au; " \
    "video/x-vp8; video/x-vp9; video/x-av1; video/mpeg; image/jpeg; " \
    "video/x-raw"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate src_req_template =
GST_STATIC_PAD_TEMPLATE ("src_%u", GST_PAD_SRC, GST_PAD_REQUEST,
    GST_STATIC_CAPS (VIDEO_CAPS));
static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_sink", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src", GST_PAD_SRC, GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate audio_src_req_template =
GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);

/* A request src pad: its own queue and streaming thread. All fields but
 * @pad, @index and @audio are protected by the element's lock. */
typedef struct
{
  GstPad *pad;
  guint index;                  /* N of src_N / audio_src_N */
  gboolean audio;

  LagQueue *queue;
  GCond cond;
  gboolean flushing;            /* deactivated or flushing: task stops */
  gboolean joined;              /* linked and fed with live data */
  gboolean wait_video_key;      /* audio: start at the next video keyframe */
  gboolean discont;             /* mark the next buffer DISCONT */
  GQueue pending;               /* popped, downstream not active yet */
  gboolean waiting;             /* the task waits on @cond */
  GstGopBuffer *self;
  guint64 gop_id;               /* GOP joined at, GOP_SEQ_NONE if none */
  GstFlowReturn last_ret;

  /* counters */
  guint64 pushed;
  guint64 joins;
  guint64 cached_sent;          /* cached buffers sent at joins */
} GopOut;

struct _GstGopBuffer
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;
  GstPad *audio_sinkpad;        /* request, NULL if none */
  GstPad *audio_srcpad;         /* request, NULL if none */

  /* GST_GOP_BUFFER_LOCK protects everything below, settings included */
  GMutex lock;

  GopStore *store;
  GList *outs;                  /* GopOut* */

  /* settings */
  guint max_gops;
  guint64 max_size_bytes;
  GstClockTime max_size_time;
  gboolean start_on_keyframe;
  GstGopBufferJoinMode join_mode;
  GstClockTime max_lag;
  gboolean post_messages;

  /* current sticky events of the video and the audio sink pads */
  GstEvent *v_stream_start, *v_caps, *v_segment, *v_tags;
  GstEvent *a_stream_start, *a_caps, *a_segment;
  GstSegment vsegment;

  /* always src pad state */
  gboolean src_wait_key;
  gboolean src_skip_leading;

  GstClockTime live_pts;        /* highest video PTS seen */
  GstBuffer *last_keyframe;
  GstCaps *last_keyframe_caps;
  gint64 last_message_us;
  gint64 last_lag_message_us;

  /* counters */
  guint64 video_in, audio_in;
  guint64 src_dropped;          /* waiting for a keyframe, leading pictures */
  guint64 joins_catch_up, joins_latest, joins_waiting;
  guint64 dropped_gops_released;        /* of request pads already released */
  guint64 messages_suppressed;

  /* streaming thread of the video sink pad only */
  GopNalInspector nal;
};

/* sticky events kept in the GOP store, per stream, in the order they are
 * sent to a joiner */
enum
{
  SLOT_STREAM_START,
  SLOT_CAPS,
  SLOT_SEGMENT,
  SLOT_TAGS,
};
G_STATIC_ASSERT (SLOT_TAGS < GOP_STICKY_SLOTS);

/* bytes a stored sticky event counts in the cache besides its buffers */
#define STICKY_EVENT_OVERHEAD 256

#define GST_GOP_BUFFER_LOCK(s) g_mutex_lock (&(s)->lock)
#define GST_GOP_BUFFER_UNLOCK(s) g_mutex_unlock (&(s)->lock)

#define gst_gop_buffer_parent_class parent_class
G_DEFINE_TYPE (GstGopBuffer, gst_gop_buffer, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (gopbuffer, "gopbuffer", GST_RANK_NONE,
    GST_TYPE_GOP_BUFFER,
    GST_DEBUG_CATEGORY_INIT (gst_gop_buffer_debug, "gopbuffer", 0,
        "GOP cache for instant joins"));

GType
gst_gop_buffer_join_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_GOP_BUFFER_JOIN_CATCH_UP,
          "Send the cached GOPs from the oldest cached keyframe, timestamps intact",
        "catch-up"},
    {GST_GOP_BUFFER_JOIN_LATEST_KEYFRAME,
          "Send only the newest keyframe, retimed to the live edge, then live",
        "latest-keyframe"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGopBufferJoinMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_gop_buffer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_gop_buffer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_gop_buffer_finalize (GObject * object);
static GstStateChangeReturn gst_gop_buffer_change_state (GstElement * element,
    GstStateChange transition);
static GstPad *gst_gop_buffer_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_gop_buffer_release_pad (GstElement * element, GstPad * pad);

static GstFlowReturn gst_gop_buffer_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static gboolean gst_gop_buffer_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static GstFlowReturn gst_gop_buffer_sink_event_full (GstPad * pad,
    GstObject * parent, GstEvent * event);
static GstFlowReturn gst_gop_buffer_audio_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static gboolean gst_gop_buffer_audio_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static GstIterator *gst_gop_buffer_iterate_internal_links (GstPad * pad,
    GstObject * parent);
static gboolean gst_gop_buffer_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_gop_buffer_out_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_gop_buffer_out_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static void gst_gop_buffer_out_loop (GopOut * out);
static void join_locked (GstGopBuffer * self, GopOut * out);
static void gst_gop_buffer_out_linked (GstPad * pad, GstPad * peer,
    GstGopBuffer * self);
static void gst_gop_buffer_out_unlinked (GstPad * pad, GstPad * peer,
    GstGopBuffer * self);

static void
gst_gop_buffer_class_init (GstGopBufferClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_gop_buffer_set_property;
  gobject_class->get_property = gst_gop_buffer_get_property;
  gobject_class->finalize = gst_gop_buffer_finalize;

  /**
   * GstGopBuffer:max-gops:
   *
   * Number of GOPs kept, counting the one in progress: 1 keeps the GOP from
   * the latest keyframe. More GOPs give catch-up joiners (recorders) some
   * history before the latest keyframe.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_GOPS,
      g_param_spec_uint ("max-gops", "Max GOPs",
          "GOPs kept, counting the one in progress", 1, 1000,
          DEFAULT_MAX_GOPS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:max-size-bytes:
   *
   * Bound of the cache in bytes (video and audio). Whole old GOPs are
   * evicted; a GOP that alone is larger is discarded and counted, and
   * nothing is cached until the next keyframe.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BYTES,
      g_param_spec_uint64 ("max-size-bytes", "Max size bytes",
          "Bound of the cache in bytes; a GOP larger than this is not cached",
          1, G_MAXUINT64, DEFAULT_MAX_SIZE_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:max-size-time:
   *
   * Bound of the cache in time, from the oldest cached keyframe to the end
   * of the newest entry (0 = no time bound). A GOP longer than this is
   * discarded and counted.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_TIME,
      g_param_spec_uint64 ("max-size-time", "Max size time",
          "Bound of the cache in ns (0 = none); a longer GOP is not cached",
          0, G_MAXUINT64, DEFAULT_MAX_SIZE_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:start-on-keyframe:
   *
   * The always src pad drops everything until the first keyframe at start,
   * after a flush and after a DISCONT delta frame (and the leading pictures
   * of an open GOP it starts at), so downstream always starts clean.
   */
  g_object_class_install_property (gobject_class, PROP_START_ON_KEYFRAME,
      g_param_spec_boolean ("start-on-keyframe", "Start on keyframe",
          "The src pad drops until the first keyframe after start, flush "
          "and DISCONT", DEFAULT_START_ON_KEYFRAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:join-mode:
   *
   * What a request pad linked while data flows gets first: the cached GOPs
   * with their timestamps (catch-up) or only the newest keyframe retimed to
   * the live edge (latest-keyframe, no added latency).
   */
  g_object_class_install_property (gobject_class, PROP_JOIN_MODE,
      g_param_spec_enum ("join-mode", "Join mode",
          "What a newly linked request pad gets first",
          GST_TYPE_GOP_BUFFER_JOIN_MODE, DEFAULT_JOIN_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:max-lag:
   *
   * A request pad whose queue spans more than this (its downstream is
   * slow) drops whole GOPs and resumes at the newest queued keyframe, or
   * at the next one. Other pads are not affected. 0 = never drop (the
   * per-pad queue is then only bounded by max-size-bytes).
   */
  g_object_class_install_property (gobject_class, PROP_MAX_LAG,
      g_param_spec_uint64 ("max-lag", "Max lag",
          "Lag in ns after which a request pad drops whole GOPs (0 = none)",
          0, G_MAXUINT64, DEFAULT_MAX_LAG,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:post-messages:
   *
   * Post a `gopbuffer-gop` element message for each completed GOP (at most
   * 10 per second) and a `gopbuffer-lag` message when a request pad drops
   * GOPs because it lags (at most one per second).
   */
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post gopbuffer-gop messages per completed GOP and gopbuffer-lag "
          "messages when a request pad drops GOPs",
          DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstGopBuffer:last-keyframe:
   *
   * The newest keyframe as a #GstSample with its caps (for thumbnails and
   * previews), or %NULL before the first keyframe.
   */
  g_object_class_install_property (gobject_class, PROP_LAST_KEYFRAME,
      g_param_spec_boxed ("last-keyframe", "Last keyframe",
          "The newest keyframe with its caps", GST_TYPE_SAMPLE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstGopBuffer:stats:
   *
   * A `application/x-gopbuffer-stats` structure: gops-seen,
   * gops-completed, open-gops, closed-gops, cached-gops, cached-buffers,
   * cached-events (sticky events stored inside cached GOPs), cached-bytes,
   * cached-duration, gop-duration-min/avg/max, gop-bytes-min/avg/max,
   * gop-frames-min/avg/max, leading-pictures, evicted-gops, overflows,
   * discarded-buffers, discarded-bytes, video-in, audio-in, src-dropped,
   * joins, joins-catch-up, joins-latest-keyframe, joins-waiting,
   * dropped-gops (all request pads, released ones included),
   * messages-suppressed, idr,
   * recovery-points, cra, bla, rasl, radl, parse-errors and `pads`: an
   * array of one structure per request pad (name, joins, pushed,
   * cached-sent, queued, queued-bytes, lag, max-lag-seen, dropped-buffers,
   * dropped-gops, lag-events).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "GOP and per-pad statistics", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &src_req_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_req_template);

  gst_element_class_set_static_metadata (element_class, "GOP buffer",
      "Filter/Video",
      "Bounded GOP cache: new branches start at once from the latest "
      "keyframe, clean starts, previews", "gst-livestream authors");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_gop_buffer_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_gop_buffer_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_gop_buffer_release_pad);

  gst_type_mark_as_plugin_api (GST_TYPE_GOP_BUFFER_JOIN_MODE, 0);
}

static GopStore *
make_store (GstGopBuffer * self)
{
  GopStoreConfig cfg = { self->max_gops, self->max_size_bytes,
    self->max_size_time
  };

  return gop_store_new (&cfg, (GopRefFunc) gst_mini_object_ref,
      (GDestroyNotify) gst_mini_object_unref);
}

static void
gst_gop_buffer_init (GstGopBuffer * self)
{
  g_mutex_init (&self->lock);
  self->max_gops = DEFAULT_MAX_GOPS;
  self->max_size_bytes = DEFAULT_MAX_SIZE_BYTES;
  self->max_size_time = DEFAULT_MAX_SIZE_TIME;
  self->start_on_keyframe = DEFAULT_START_ON_KEYFRAME;
  self->join_mode = DEFAULT_JOIN_MODE;
  self->max_lag = DEFAULT_MAX_LAG;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->store = make_store (self);
  self->src_wait_key = TRUE;
  self->live_pts = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->vsegment, GST_FORMAT_TIME);
  gop_nal_inspector_init (&self->nal);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_chain));
  gst_pad_set_event_full_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_sink_event_full));
  gst_pad_set_iterate_internal_links_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_iterate_internal_links_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

static void
clear_sticky (GstGopBuffer * self)
{
  gst_clear_event (&self->v_stream_start);
  gst_clear_event (&self->v_caps);
  gst_clear_event (&self->v_segment);
  gst_clear_event (&self->v_tags);
  gst_clear_event (&self->a_stream_start);
  gst_clear_event (&self->a_caps);
  gst_clear_event (&self->a_segment);
}

static void
gst_gop_buffer_finalize (GObject * object)
{
  GstGopBuffer *self = GST_GOP_BUFFER (object);

  gop_store_free (self->store);
  clear_sticky (self);
  gst_clear_buffer (&self->last_keyframe);
  gst_clear_caps (&self->last_keyframe_caps);
  gop_nal_inspector_clear (&self->nal);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* with GST_GOP_BUFFER_LOCK */
static void
apply_limits_locked (GstGopBuffer * self)
{
  GopStoreConfig cfg = { self->max_gops, self->max_size_bytes,
    self->max_size_time
  };
  GList *l;

  gop_store_configure (self->store, &cfg);
  for (l = self->outs; l; l = l->next) {
    GopOut *out = l->data;
    lag_queue_set_limits (out->queue, self->max_lag, self->max_size_bytes);
  }
}

static void
gst_gop_buffer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGopBuffer *self = GST_GOP_BUFFER (object);

  GST_GOP_BUFFER_LOCK (self);
  switch (prop_id) {
    case PROP_MAX_GOPS:
      self->max_gops = g_value_get_uint (value);
      apply_limits_locked (self);
      break;
    case PROP_MAX_SIZE_BYTES:
      self->max_size_bytes = g_value_get_uint64 (value);
      apply_limits_locked (self);
      break;
    case PROP_MAX_SIZE_TIME:
      self->max_size_time = g_value_get_uint64 (value);
      apply_limits_locked (self);
      break;
    case PROP_START_ON_KEYFRAME:
      self->start_on_keyframe = g_value_get_boolean (value);
      break;
    case PROP_JOIN_MODE:
      self->join_mode = g_value_get_enum (value);
      break;
    case PROP_MAX_LAG:
      self->max_lag = g_value_get_uint64 (value);
      apply_limits_locked (self);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_GOP_BUFFER_UNLOCK (self);
}

/* with GST_GOP_BUFFER_LOCK */
static GstStructure *
make_stats_locked (GstGopBuffer * self)
{
  const GopStats *st = gop_store_get_stats (self->store);
  GValue pads = G_VALUE_INIT;
  guint64 dropped_gops = self->dropped_gops_released;
  GstStructure *s;
  GList *l;

  g_value_init (&pads, GST_TYPE_ARRAY);
  for (l = self->outs; l; l = l->next) {
    GopOut *out = l->data;
    const LagStats *ls = lag_queue_get_stats (out->queue);
    GValue v = G_VALUE_INIT;
    GstStructure *ps;

    dropped_gops += ls->dropped_gops;
    ps = gst_structure_new ("application/x-gopbuffer-pad-stats",
        "name", G_TYPE_STRING, GST_PAD_NAME (out->pad),
        "joins", G_TYPE_UINT64, out->joins,
        "pushed", G_TYPE_UINT64, out->pushed,
        "cached-sent", G_TYPE_UINT64, out->cached_sent,
        "queued", G_TYPE_UINT, lag_queue_length (out->queue),
        "queued-bytes", G_TYPE_UINT64, lag_queue_bytes (out->queue),
        "lag", G_TYPE_UINT64, lag_queue_lag (out->queue),
        "max-lag-seen", G_TYPE_UINT64, ls->max_seen_lag,
        "dropped-buffers", G_TYPE_UINT64, ls->dropped_buffers,
        "dropped-gops", G_TYPE_UINT64, ls->dropped_gops,
        "lag-events", G_TYPE_UINT64, ls->lag_events, NULL);
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, ps);
    gst_value_array_append_and_take_value (&pads, &v);
  }

  s = gst_structure_new ("application/x-gopbuffer-stats",
      "gops-seen", G_TYPE_UINT64, st->gops_seen,
      "gops-completed", G_TYPE_UINT64, st->gops_completed,
      "open-gops", G_TYPE_UINT64, st->open_gops,
      "closed-gops", G_TYPE_UINT64, st->closed_gops,
      "cached-gops", G_TYPE_UINT, st->cached_gops,
      "cached-buffers", G_TYPE_UINT, st->cached_entries - st->cached_events,
      "cached-events", G_TYPE_UINT, st->cached_events,
      "cached-bytes", G_TYPE_UINT64, st->cached_bytes,
      "cached-duration", G_TYPE_UINT64, st->cached_time,
      "gop-duration-min", G_TYPE_UINT64, st->gop_duration_min,
      "gop-duration-avg", G_TYPE_UINT64, st->gop_duration_avg,
      "gop-duration-max", G_TYPE_UINT64, st->gop_duration_max,
      "gop-bytes-min", G_TYPE_UINT64, st->gop_bytes_min,
      "gop-bytes-avg", G_TYPE_UINT64, st->gop_bytes_avg,
      "gop-bytes-max", G_TYPE_UINT64, st->gop_bytes_max,
      "gop-frames-min", G_TYPE_UINT, st->gop_frames_min,
      "gop-frames-avg", G_TYPE_UINT, st->gop_frames_avg,
      "gop-frames-max", G_TYPE_UINT, st->gop_frames_max,
      "leading-pictures", G_TYPE_UINT64, st->leading_pictures,
      "evicted-gops", G_TYPE_UINT64, st->evicted_gops,
      "overflows", G_TYPE_UINT64, st->overflows,
      "discarded-buffers", G_TYPE_UINT64, st->discarded_entries,
      "discarded-bytes", G_TYPE_UINT64, st->discarded_bytes,
      "video-in", G_TYPE_UINT64, self->video_in,
      "audio-in", G_TYPE_UINT64, self->audio_in,
      "src-dropped", G_TYPE_UINT64, self->src_dropped,
      "joins", G_TYPE_UINT64,
      self->joins_catch_up + self->joins_latest + self->joins_waiting,
      "joins-catch-up", G_TYPE_UINT64, self->joins_catch_up,
      "joins-latest-keyframe", G_TYPE_UINT64, self->joins_latest,
      "joins-waiting", G_TYPE_UINT64, self->joins_waiting,
      "dropped-gops", G_TYPE_UINT64, dropped_gops,
      "messages-suppressed", G_TYPE_UINT64, self->messages_suppressed,
      "idr", G_TYPE_UINT64, self->nal.idr,
      "recovery-points", G_TYPE_UINT64, self->nal.recovery_points,
      "cra", G_TYPE_UINT64, self->nal.cra,
      "bla", G_TYPE_UINT64, self->nal.bla,
      "rasl", G_TYPE_UINT64, self->nal.rasl,
      "radl", G_TYPE_UINT64, self->nal.radl,
      "parse-errors", G_TYPE_UINT64, self->nal.parse_errors, NULL);
  gst_structure_take_value (s, "pads", &pads);
  return s;
}

static void
gst_gop_buffer_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGopBuffer *self = GST_GOP_BUFFER (object);

  GST_GOP_BUFFER_LOCK (self);
  switch (prop_id) {
    case PROP_MAX_GOPS:
      g_value_set_uint (value, self->max_gops);
      break;
    case PROP_MAX_SIZE_BYTES:
      g_value_set_uint64 (value, self->max_size_bytes);
      break;
    case PROP_MAX_SIZE_TIME:
      g_value_set_uint64 (value, self->max_size_time);
      break;
    case PROP_START_ON_KEYFRAME:
      g_value_set_boolean (value, self->start_on_keyframe);
      break;
    case PROP_JOIN_MODE:
      g_value_set_enum (value, self->join_mode);
      break;
    case PROP_MAX_LAG:
      g_value_set_uint64 (value, self->max_lag);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    case PROP_LAST_KEYFRAME:
      if (self->last_keyframe) {
        GstSample *sample = gst_sample_new (self->last_keyframe,
            self->last_keyframe_caps, &self->vsegment, NULL);
        g_value_take_boxed (value, sample);
      } else {
        g_value_set_boxed (value, NULL);
      }
      break;
    case PROP_STATS:
      g_value_take_boxed (value, make_stats_locked (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_GOP_BUFFER_UNLOCK (self);
}

/* ------------------------------------------------------------------------ */
/* request pads */

static GopOut *
out_of (GstPad * pad)
{
  return gst_pad_get_element_private (pad);
}

static gboolean
index_in_use (GstGopBuffer * self, guint index, gboolean audio)
{
  GList *l;

  for (l = self->outs; l; l = l->next) {
    GopOut *o = l->data;
    if (o->index == index && o->audio == audio)
      return TRUE;
  }
  return FALSE;
}

static GstPad *
gst_gop_buffer_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstGopBuffer *self = GST_GOP_BUFFER (element);
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (element);
  GstPad *pad;
  GopOut *out;
  gboolean audio;
  guint index = 0;
  gchar *padname;

  if (templ == gst_element_class_get_pad_template (klass, "audio_sink")) {
    GST_GOP_BUFFER_LOCK (self);
    if (self->audio_sinkpad) {
      GST_GOP_BUFFER_UNLOCK (self);
      GST_WARNING_OBJECT (self, "audio_sink already requested");
      return NULL;
    }
    pad = gst_pad_new_from_template (templ, "audio_sink");
    gst_pad_set_chain_function (pad,
        GST_DEBUG_FUNCPTR (gst_gop_buffer_audio_chain));
    gst_pad_set_event_function (pad,
        GST_DEBUG_FUNCPTR (gst_gop_buffer_audio_sink_event));
    gst_pad_set_iterate_internal_links_function (pad,
        GST_DEBUG_FUNCPTR (gst_gop_buffer_iterate_internal_links));
    GST_PAD_SET_PROXY_CAPS (pad);
    self->audio_sinkpad = pad;
    GST_GOP_BUFFER_UNLOCK (self);
    gst_element_add_pad (element, pad);
    return pad;
  }

  if (templ == gst_element_class_get_pad_template (klass, "audio_src")) {
    GST_GOP_BUFFER_LOCK (self);
    if (self->audio_srcpad) {
      GST_GOP_BUFFER_UNLOCK (self);
      GST_WARNING_OBJECT (self, "audio_src already requested");
      return NULL;
    }
    pad = gst_pad_new_from_template (templ, "audio_src");
    gst_pad_set_iterate_internal_links_function (pad,
        GST_DEBUG_FUNCPTR (gst_gop_buffer_iterate_internal_links));
    GST_PAD_SET_PROXY_CAPS (pad);
    self->audio_srcpad = pad;
    GST_GOP_BUFFER_UNLOCK (self);
    gst_element_add_pad (element, pad);
    return pad;
  }

  audio = templ == gst_element_class_get_pad_template (klass, "audio_src_%u");
  GST_GOP_BUFFER_LOCK (self);
  if (name && sscanf (name, audio ? "audio_src_%u" : "src_%u", &index) == 1) {
    if (index_in_use (self, index, audio)) {
      GST_GOP_BUFFER_UNLOCK (self);
      GST_WARNING_OBJECT (self, "pad %s already exists", name);
      return NULL;
    }
  } else if (audio) {
    /* pair with the first video branch without audio */
    GList *l;
    gboolean found = FALSE;

    for (l = self->outs; l && !found; l = l->next) {
      GopOut *o = l->data;
      if (!o->audio && !index_in_use (self, o->index, TRUE)) {
        index = o->index;
        found = TRUE;
      }
    }
    if (!found)
      while (index_in_use (self, index, FALSE)
          || index_in_use (self, index, TRUE))
        index++;
  } else {
    while (index_in_use (self, index, FALSE))
      index++;
  }

  out = g_new0 (GopOut, 1);
  out->index = index;
  out->audio = audio;
  out->queue = lag_queue_new ((GDestroyNotify) gst_mini_object_unref);
  lag_queue_set_limits (out->queue, self->max_lag, self->max_size_bytes);
  g_cond_init (&out->cond);
  out->flushing = TRUE;
  out->gop_id = GOP_SEQ_NONE;
  out->last_ret = GST_FLOW_OK;
  out->self = self;
  g_queue_init (&out->pending);

  padname = g_strdup_printf (audio ? "audio_src_%u" : "src_%u", index);
  pad = gst_pad_new_from_template (templ, padname);
  g_free (padname);
  out->pad = pad;
  gst_pad_set_element_private (pad, out);
  self->outs = g_list_append (self->outs, out);
  GST_GOP_BUFFER_UNLOCK (self);

  gst_pad_set_activatemode_function (pad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_out_activate_mode));
  gst_pad_set_event_function (pad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_out_event));
  gst_pad_set_query_function (pad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_src_query));
  gst_pad_set_iterate_internal_links_function (pad,
      GST_DEBUG_FUNCPTR (gst_gop_buffer_iterate_internal_links));
  g_signal_connect (pad, "linked", G_CALLBACK (gst_gop_buffer_out_linked),
      self);
  g_signal_connect (pad, "unlinked",
      G_CALLBACK (gst_gop_buffer_out_unlinked), self);

  GST_DEBUG_OBJECT (self, "new request pad %s:%s", GST_DEBUG_PAD_NAME (pad));
  gst_element_add_pad (element, pad);
  return pad;
}

static void
clear_pending (GopOut * out)
{
  GstMiniObject *obj;

  while ((obj = g_queue_pop_head (&out->pending)))
    gst_mini_object_unref (obj);
}

/* with GST_GOP_BUFFER_LOCK: wake the task if it sleeps */
static inline void
wake_out (GopOut * out)
{
  if (out->waiting)
    g_cond_signal (&out->cond);
}

static void
out_free (GopOut * out)
{
  lag_queue_free (out->queue);
  clear_pending (out);
  g_cond_clear (&out->cond);
  g_free (out);
}

static void
gst_gop_buffer_release_pad (GstElement * element, GstPad * pad)
{
  GstGopBuffer *self = GST_GOP_BUFFER (element);
  GopOut *out;

  GST_GOP_BUFFER_LOCK (self);
  if (pad == self->audio_sinkpad) {
    self->audio_sinkpad = NULL;
    GST_GOP_BUFFER_UNLOCK (self);
    gst_pad_set_active (pad, FALSE);
    gst_element_remove_pad (element, pad);
    return;
  }
  if (pad == self->audio_srcpad) {
    self->audio_srcpad = NULL;
    GST_GOP_BUFFER_UNLOCK (self);
    gst_pad_set_active (pad, FALSE);
    gst_element_remove_pad (element, pad);
    return;
  }
  out = out_of (pad);
  if (!out || !g_list_find (self->outs, out)) {
    GST_GOP_BUFFER_UNLOCK (self);
    return;
  }
  GST_GOP_BUFFER_UNLOCK (self);

  /* stops the task */
  gst_pad_set_active (pad, FALSE);

  GST_GOP_BUFFER_LOCK (self);
  self->outs = g_list_remove (self->outs, out);
  self->dropped_gops_released += lag_queue_get_stats (out->queue)->dropped_gops;
  gst_pad_set_element_private (pad, NULL);
  GST_GOP_BUFFER_UNLOCK (self);

  out_free (out);
  gst_element_remove_pad (element, pad);
}

static gboolean
gst_gop_buffer_out_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  GopOut *out = out_of (pad);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;
  if (!out)
    return !active;

  if (active) {
    gboolean linked = gst_pad_is_linked (pad);

    GST_GOP_BUFFER_LOCK (self);
    out->flushing = FALSE;
    out->last_ret = GST_FLOW_OK;
    /* linked while inactive (READY -> PAUSED again): join now */
    if (linked && !out->joined)
      join_locked (self, out);
    GST_GOP_BUFFER_UNLOCK (self);
    return gst_pad_start_task (pad, (GstTaskFunction) gst_gop_buffer_out_loop,
        out, NULL);
  }

  GST_GOP_BUFFER_LOCK (self);
  out->flushing = TRUE;
  out->joined = FALSE;
  lag_queue_clear (out->queue, FALSE);
  clear_pending (out);
  g_cond_signal (&out->cond);
  GST_GOP_BUFFER_UNLOCK (self);
  return gst_pad_stop_task (pad);
}

/* ------------------------------------------------------------------------ */
/* joining */

typedef struct
{
  GstGopBuffer *self;
  GopOut *out;
  gboolean first;
  gboolean latest;
  GstClockTime retime_pts;
  guint n;
} JoinCtx;

static guint64
buf_time (GstBuffer * buf)
{
  GstClockTime t = GST_BUFFER_DTS_OR_PTS (buf);
  return GST_CLOCK_TIME_IS_VALID (t) ? t : GOP_TIME_NONE;
}

static gboolean
join_entry_cb (const GopEntry * e, gpointer user_data)
{
  JoinCtx *c = user_data;
  GstBuffer *buf;
  guint flags = e->flags;

  if (flags & GOP_FLAG_EVENT) {
    /* a sticky event that arrived inside the GOP, at its place */
    lag_queue_push (c->out->queue, gst_event_ref (GST_EVENT_CAST (e->item)),
        GOP_FLAG_EVENT, GOP_TIME_NONE, 0);
    return TRUE;
  }

  buf = GST_BUFFER_CAST (e->item);
  if (c->latest) {
    /* the keyframe shown at the live edge, the rest decode-only: the
     * decoder gets the references it needs and shows nothing stale */
    buf = gst_buffer_copy (buf);
    if (c->first) {
      GST_BUFFER_PTS (buf) = c->retime_pts;
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    } else {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DECODE_ONLY);
    }
  } else if (c->first) {
    buf = gst_buffer_copy (buf);
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  } else {
    gst_buffer_ref (buf);
  }
  if (e->flags & GOP_FLAG_AUDIO)
    flags |= GOP_FLAG_KEYFRAME;
  /* the lag queue must not take this GOP's leading pictures as droppable
   * at resume: they were already filtered */
  flags &= ~GOP_FLAG_SKIP_ON_JOIN;
  c->first = FALSE;
  c->n++;
  lag_queue_push (c->out->queue, buf, flags, buf_time (GST_BUFFER_CAST
          (e->item)), e->size);
  return TRUE;
}

static void
queue_event_locked (GopOut * out, GstEvent * ev)
{
  if (ev)
    lag_queue_push (out->queue, gst_event_ref (ev), GOP_FLAG_EVENT,
        GOP_TIME_NONE, 0);
}

/* with GST_GOP_BUFFER_LOCK: the sticky events a joiner of @out's stream starts with:
 * those current at the keyframe of @gop_id, or the current ones if
 * @gop_id is not cached (GOP_SEQ_NONE). Slots from @from to @to. */
static void
queue_sticky_locked (GstGopBuffer * self, GopOut * out, guint64 gop_id,
    guint from, guint to)
{
  gpointer items[GOP_STICKY_SLOTS];
  guint i;

  if (gop_id == GOP_SEQ_NONE
      || !gop_store_sticky_at (self->store, gop_id, out->audio, items)) {
    for (i = 0; i < GOP_STICKY_SLOTS; i++)
      items[i] = gop_store_get_sticky (self->store, out->audio, i);
  }
  for (i = from; i <= to; i++)
    queue_event_locked (out, items[i]);
}

static GopOut *
find_pair_locked (GstGopBuffer * self, GopOut * out)
{
  GList *l;

  for (l = self->outs; l; l = l->next) {
    GopOut *o = l->data;
    if (o != out && o->index == out->index && o->audio != out->audio)
      return o;
  }
  return NULL;
}

/* with GST_GOP_BUFFER_LOCK: start feeding @out from the cache */
static void
join_locked (GstGopBuffer * self, GopOut * out)
{
  gboolean latest = self->join_mode == GST_GOP_BUFFER_JOIN_LATEST_KEYFRAME;
  GopOut *pair = find_pair_locked (self, out);
  guint64 gop_id = GOP_SEQ_NONE;
  gboolean have;
  JoinCtx c = { self, out, TRUE, latest, GST_CLOCK_TIME_NONE, 0 };

  lag_queue_clear (out->queue, FALSE);
  clear_pending (out);
  out->joins++;
  out->joined = TRUE;
  out->wait_video_key = FALSE;

  /* a branch's audio starts at the GOP its video started at */
  if (pair && pair->joined && pair->gop_id != GOP_SEQ_NONE) {
    gop_id = pair->gop_id;
    have = TRUE;
  } else {
    have = gop_store_join_point (self->store, latest, &gop_id, NULL);
  }

  if (out->audio) {
    /* from the GOP's keyframe on (catch-up) or live */
    queue_sticky_locked (self, out, have && !latest ? gop_id : GOP_SEQ_NONE,
        SLOT_STREAM_START, SLOT_TAGS);
    if (have && !latest) {
      /* the video of the branch joins at this GOP too (above, when it is
       * linked after the audio). With no audio cached in it yet (a join
       * right after the keyframe, before the audio since the keyframe came
       * in) the live audio that follows belongs to it: waiting for the
       * next keyframe instead left a muxer in the branch without audio, and
       * so without output, for a whole GOP */
      out->gop_id = gop_id;
      if (gop_store_foreach_join (self->store, gop_id, TRUE, join_entry_cb,
              &c) == 0 && pair && pair->joined && pair->gop_id != gop_id)
        out->wait_video_key = TRUE;
    } else if (!have) {
      out->wait_video_key = TRUE;
    }
    out->cached_sent += c.n;
    GST_DEBUG_OBJECT (out->pad, "audio joined, %u cached buffers", c.n);
    wake_out (out);
    return;
  }

  if (!have) {
    /* start live at the next keyframe */
    lag_queue_clear (out->queue, TRUE);
    queue_sticky_locked (self, out, GOP_SEQ_NONE, SLOT_STREAM_START, SLOT_TAGS);
    out->gop_id = GOP_SEQ_NONE;
    self->joins_waiting++;
    GST_DEBUG_OBJECT (out->pad, "nothing cached, waiting for a keyframe");
    wake_out (out);
    return;
  }

  /* the stream-start and caps current at the keyframe: a caps change later
   * in the GOP is stored in it and comes at its place */
  queue_sticky_locked (self, out, gop_id, SLOT_STREAM_START, SLOT_CAPS);
  out->gop_id = gop_id;
  if (latest && GST_CLOCK_TIME_IS_VALID (self->live_pts)
      && self->vsegment.format == GST_FORMAT_TIME && self->vsegment.rate > 0
      && self->live_pts >= self->vsegment.start) {
    GstSegment seg = self->vsegment;
    guint64 shift = self->live_pts - seg.start;
    GstEvent *ev;

    /* start the segment at the live edge, keeping running times: what is
     * before it is decoded but not shown */
    seg.base += shift;
    seg.time += shift;
    seg.start = self->live_pts;
    seg.position = self->live_pts;
    ev = gst_event_new_segment (&seg);
    if (self->v_segment)
      gst_event_set_seqnum (ev, gst_event_get_seqnum (self->v_segment));
    lag_queue_push (out->queue, ev, GOP_FLAG_EVENT, GOP_TIME_NONE, 0);
    c.retime_pts = self->live_pts;
  } else {
    queue_sticky_locked (self, out, gop_id, SLOT_SEGMENT, SLOT_SEGMENT);
    c.latest = FALSE;
  }
  queue_sticky_locked (self, out, gop_id, SLOT_TAGS, SLOT_TAGS);
  gop_store_foreach_join (self->store, gop_id, FALSE, join_entry_cb, &c);
  out->cached_sent += c.n;
  if (latest)
    self->joins_latest++;
  else
    self->joins_catch_up++;
  GST_DEBUG_OBJECT (out->pad, "joined at GOP %" G_GUINT64_FORMAT
      " with %u cached buffers (%s)", gop_id, c.n,
      latest ? "latest-keyframe" : "catch-up");
  wake_out (out);
}

/* with GST_GOP_BUFFER_LOCK: the GOP a join of @out starts at now, as join_locked ()
 * picks it; FALSE when it would wait for the next keyframe (or, audio in
 * latest-keyframe mode, go live at once) */
static gboolean
join_gop_locked (GstGopBuffer * self, GopOut * out, guint64 * gop_id)
{
  gboolean latest = self->join_mode == GST_GOP_BUFFER_JOIN_LATEST_KEYFRAME;
  GopOut *pair = find_pair_locked (self, out);

  if (pair && pair->joined && pair->gop_id != GOP_SEQ_NONE) {
    *gop_id = pair->gop_id;
    return !(out->audio && latest);
  }
  if (!gop_store_join_point (self->store, latest, gop_id, NULL))
    return FALSE;
  return !(out->audio && latest);
}

/* with GST_GOP_BUFFER_LOCK: the caps a request pad that has not pushed any yet will
 * push first (a reference), or NULL when none are known */
static GstCaps *
join_caps_locked (GstGopBuffer * self, GopOut * out)
{
  gpointer items[GOP_STICKY_SLOTS];
  GstEvent *ev = NULL;
  GstCaps *caps = NULL;
  guint64 gop_id = out->gop_id;

  if ((out->joined && out->gop_id != GOP_SEQ_NONE)
      || (!out->joined && join_gop_locked (self, out, &gop_id))) {
    if (gop_store_sticky_at (self->store, gop_id, out->audio, items))
      ev = items[SLOT_CAPS];
  }
  if (ev == NULL)
    ev = out->audio ? self->a_caps : self->v_caps;
  if (ev) {
    gst_event_parse_caps (ev, &caps);
    gst_caps_ref (caps);
  }
  return caps;
}

static void
gst_gop_buffer_out_linked (GstPad * pad, GstPad * peer, GstGopBuffer * self)
{
  GopOut *out;

  GST_GOP_BUFFER_LOCK (self);
  out = out_of (pad);
  if (out && g_list_find (self->outs, out))
    join_locked (self, out);
  GST_GOP_BUFFER_UNLOCK (self);
}

static void
gst_gop_buffer_out_unlinked (GstPad * pad, GstPad * peer, GstGopBuffer * self)
{
  GopOut *out;

  GST_GOP_BUFFER_LOCK (self);
  out = out_of (pad);
  if (out && g_list_find (self->outs, out)) {
    out->joined = FALSE;
    lag_queue_clear (out->queue, FALSE);
    clear_pending (out);
  }
  GST_GOP_BUFFER_UNLOCK (self);
}

/* ------------------------------------------------------------------------ */
/* request pad streaming threads */

#define OUT_BATCH 32

/* From the streaming thread of @out, before it pushes a buffer or a sticky
 * event of type @before (GST_EVENT_UNKNOWN for a buffer): the stream-start,
 * caps and segment that come before it and that the pad does not have yet
 * are sent from the ones stored for the stream. The lag queue carries them
 * in order, but it is cleared at flush-start and deactivation, and an event
 * pushed while the pad flushes is not stored: upstream does not send
 * stream-start or caps again after a flush, so without this the pad could
 * push a buffer (or the new segment) before stream-start, or without caps.
 * Types the pad already has are left alone (the retimed segment of a
 * latest-keyframe join). Returns TRUE when the pad has all three. */
static gboolean
ensure_sticky (GopOut * out, GstEventType before)
{
  static const GstEventType types[] = { GST_EVENT_STREAM_START,
    GST_EVENT_CAPS, GST_EVENT_SEGMENT
  };
  GstGopBuffer *self = out->self;
  GstEvent *stored[G_N_ELEMENTS (types)] = { NULL, };
  gboolean have[G_N_ELEMENTS (types)];
  gboolean missing = FALSE, all = TRUE;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    GstEvent *ev = gst_pad_get_sticky_event (out->pad, types[i], 0);

    have[i] = ev != NULL;
    if (ev)
      gst_event_unref (ev);
    else if (before == GST_EVENT_UNKNOWN || types[i] < before)
      missing = TRUE;
    all &= have[i];
  }
  if (G_LIKELY (!missing))
    return all;

  GST_GOP_BUFFER_LOCK (self);
  stored[0] = out->audio ? self->a_stream_start : self->v_stream_start;
  stored[1] = out->audio ? self->a_caps : self->v_caps;
  stored[2] = out->audio ? self->a_segment : self->v_segment;
  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    if (have[i] || (before != GST_EVENT_UNKNOWN && types[i] >= before))
      stored[i] = NULL;
    else if (stored[i])
      gst_event_ref (stored[i]);
  }
  GST_GOP_BUFFER_UNLOCK (self);

  all = TRUE;
  for (i = 0; i < G_N_ELEMENTS (types); i++) {
    if (stored[i]) {
      GST_DEBUG_OBJECT (out->pad, "sending the stream's %s again",
          GST_EVENT_TYPE_NAME (stored[i]));
      have[i] = gst_pad_push_event (out->pad, stored[i]) || have[i];
    }
    all &= have[i];
  }
  return all;
}

static void
gst_gop_buffer_out_loop (GopOut * out)
{
  GstGopBuffer *self = out->self;
  GstPad *pad = out->pad;
  GstMiniObject *items[OUT_BATCH];
  GstFlowReturn ret = GST_FLOW_OK;
  guint n = 0, i;
  guint64 pushed = 0;
  gboolean retry = FALSE, sticky_complete = FALSE;

  GST_GOP_BUFFER_LOCK (self);
  while (!out->flushing && g_queue_is_empty (&out->pending)
      && lag_queue_is_empty (out->queue)) {
    out->waiting = TRUE;
    g_cond_wait (&out->cond, &self->lock);
    out->waiting = FALSE;
  }
  if (out->flushing)
    goto flushing;
  while (n < OUT_BATCH && !g_queue_is_empty (&out->pending))
    items[n++] = g_queue_pop_head (&out->pending);
  while (n < OUT_BATCH) {
    LagItem it;

    if (!lag_queue_pop (out->queue, &it))
      break;
    items[n++] = it.item;
  }
  if (out->discont) {
    for (i = 0; i < n; i++) {
      if (GST_IS_BUFFER (items[i])) {
        items[i] = GST_MINI_OBJECT_CAST (gst_buffer_make_writable
            (GST_BUFFER_CAST (items[i])));
        GST_BUFFER_FLAG_SET (items[i], GST_BUFFER_FLAG_DISCONT);
        out->discont = FALSE;
        break;
      }
    }
  }
  GST_GOP_BUFFER_UNLOCK (self);

  /* never push with the lock held */
  for (i = 0; i < n; i++) {
    GstMiniObject *obj = items[i];

    if (GST_IS_EVENT (obj)) {
      GstEvent *ev = GST_EVENT_CAST (obj);

      if (!sticky_complete && GST_EVENT_IS_STICKY (ev)
          && GST_EVENT_TYPE (ev) > GST_EVENT_STREAM_START)
        sticky_complete = ensure_sticky (out, GST_EVENT_TYPE (ev));
      /* a sticky event that downstream refused while not yet active stays
       * on the pad and is sent again before the next buffer */
      gst_pad_push_event (pad, ev);
      items[i] = NULL;
      continue;
    }
    /* complete stays complete within a batch: a flush or a deactivation
     * stops the task between batches, never within one */
    if (!sticky_complete)
      sticky_complete = ensure_sticky (out, GST_EVENT_UNKNOWN);
    ret = gst_pad_push (pad, GST_BUFFER_CAST (gst_mini_object_ref (obj)));
    if (ret == GST_FLOW_OK) {
      pushed++;
    } else if (ret == GST_FLOW_FLUSHING) {
      /* a branch linked before its elements reached PAUSED: keep the
       * buffers and try again shortly, unless we are flushing ourselves */
      retry = TRUE;
      break;
    } else if (ret == GST_FLOW_NOT_NEGOTIATED || ret < GST_FLOW_EOS) {
      break;
    }
    /* NOT_LINKED and EOS: dropped, the branch may be relinked */
    gst_mini_object_unref (obj);
    items[i] = NULL;
  }

  GST_GOP_BUFFER_LOCK (self);
  out->pushed += pushed;
  out->last_ret = ret;
  if (retry && !out->flushing && out->joined) {
    gint64 end = g_get_monotonic_time () + RETRY_INTERVAL_US;
    guint k;

    for (k = n; k > i; k--)
      g_queue_push_head (&out->pending, items[k - 1]);
    n = i;
    while (!out->flushing && out->joined
        && g_cond_wait_until (&out->cond, &self->lock, end));
  }
  GST_GOP_BUFFER_UNLOCK (self);
  for (; i < n; i++)
    if (items[i])
      gst_mini_object_unref (items[i]);

  if (ret == GST_FLOW_NOT_NEGOTIATED || ret < GST_FLOW_EOS) {
    GST_ELEMENT_FLOW_ERROR (self, ret);
    GST_GOP_BUFFER_LOCK (self);
    out->joined = FALSE;
    lag_queue_clear (out->queue, FALSE);
    clear_pending (out);
    GST_GOP_BUFFER_UNLOCK (self);
    gst_pad_pause_task (pad);
  }
  return;

flushing:
  GST_GOP_BUFFER_UNLOCK (self);
  GST_DEBUG_OBJECT (pad, "flushing, pausing task");
  gst_pad_pause_task (pad);
}

/* ------------------------------------------------------------------------ */
/* data flow */

static void
post_gop_message (GstGopBuffer * self, const GopInfo * gi, guint64 suppressed)
{
  GstStructure *s = gst_structure_new ("gopbuffer-gop",
      "id", G_TYPE_UINT64, gi->id,
      "pts", G_TYPE_UINT64, gi->start_pts,
      "duration", G_TYPE_UINT64, gi->duration,
      "bytes", G_TYPE_UINT64, gi->bytes,
      "frames", G_TYPE_UINT, gi->frames,
      "audio-buffers", G_TYPE_UINT, gi->audio,
      "leading-pictures", G_TYPE_UINT, gi->leading,
      "open", G_TYPE_BOOLEAN, gi->open,
      "suppressed", G_TYPE_UINT64, suppressed, NULL);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
gst_gop_buffer_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  gboolean discont = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT);
  guint flags = gop_nal_inspect (&self->nal, buf, key);
  guint64 size = gst_buffer_get_size (buf);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GopPushInfo info;
  GopInfo completed;
  gboolean post = FALSE, forward = TRUE;
  guint64 suppressed = 0;
  GstMessage *lag_msg = NULL;
  GstFlowReturn ret;
  GList *l;

  key = (flags & GOP_FLAG_KEYFRAME) != 0;
  if (discont)
    flags |= GOP_FLAG_DISCONT;

  GST_GOP_BUFFER_LOCK (self);
  self->video_in++;
  if (discont && !key && self->video_in > 1) {
    /* the GOP in progress lost data: nothing cached can be joined, and
     * everyone restarts at the next keyframe */
    GST_DEBUG_OBJECT (self, "DISCONT delta frame, waiting for a keyframe");
    gop_store_clear (self->store);
    if (self->start_on_keyframe)
      self->src_wait_key = TRUE;
    for (l = self->outs; l; l = l->next) {
      GopOut *out = l->data;
      if (!out->audio && out->joined)
        lag_queue_clear (out->queue, TRUE);
    }
  }

  gop_store_push (self->store, buf, flags,
      GST_CLOCK_TIME_IS_VALID (pts) ? pts : GOP_TIME_NONE,
      GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) : GOP_TIME_NONE,
      GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) :
      GOP_TIME_NONE, size, &info);
  flags = info.flags;

  if (GST_CLOCK_TIME_IS_VALID (pts) && (!GST_CLOCK_TIME_IS_VALID
          (self->live_pts) || pts > self->live_pts))
    self->live_pts = pts;

  if (key) {
    gst_buffer_replace (&self->last_keyframe, buf);
    if (self->v_caps) {
      GstCaps *caps;
      gst_event_parse_caps (self->v_caps, &caps);
      gst_caps_replace (&self->last_keyframe_caps, caps);
    }
  }

  if (info.gop_completed && self->post_messages) {
    gint64 now = g_get_monotonic_time ();

    if (self->last_message_us == 0
        || now - self->last_message_us >= MESSAGE_MIN_INTERVAL_US) {
      post = TRUE;
      completed = info.completed;
      suppressed = self->messages_suppressed;
      self->last_message_us = now;
    } else {
      self->messages_suppressed++;
    }
  }

  /* request pads: one more reference each, no copy */
  for (l = self->outs; l; l = l->next) {
    GopOut *out = l->data;

    if (out->audio) {
      if (key && out->wait_video_key && out->joined)
        out->wait_video_key = FALSE;
      continue;
    }
    if (!out->joined)
      continue;
    if (key)
      out->gop_id = info.new_gop && info.seq != GOP_SEQ_NONE ?
          gop_store_get (self->store, info.seq)->gop_id : out->gop_id;
    if (lag_queue_push (out->queue, gst_buffer_ref (buf), flags,
            buf_time (buf), size) > 0) {
      /* the pad lagged and dropped whole GOPs: mark the resume point */
      out->discont = TRUE;
      GST_LOG_OBJECT (out->pad, "lagging, dropped GOPs");
      if (self->post_messages && !lag_msg) {
        gint64 now = g_get_monotonic_time ();

        if (self->last_lag_message_us == 0
            || now - self->last_lag_message_us >= LAG_MESSAGE_MIN_INTERVAL_US) {
          const LagStats *ls = lag_queue_get_stats (out->queue);

          self->last_lag_message_us = now;
          lag_msg = gst_message_new_element (GST_OBJECT (self),
              gst_structure_new ("gopbuffer-lag",
                  "pad", G_TYPE_STRING, GST_PAD_NAME (out->pad),
                  "dropped-buffers", G_TYPE_UINT64, ls->dropped_buffers,
                  "dropped-gops", G_TYPE_UINT64, ls->dropped_gops,
                  "max-lag-seen", G_TYPE_UINT64, ls->max_seen_lag, NULL));
        }
      }
    }
    wake_out (out);
  }

  /* the always src pad */
  if (self->src_wait_key) {
    if (key || !self->start_on_keyframe) {
      self->src_wait_key = FALSE;
      self->src_skip_leading = key;
    } else {
      forward = FALSE;
    }
  } else if (key) {
    self->src_skip_leading = FALSE;
  } else if (self->src_skip_leading && (flags & GOP_FLAG_SKIP_ON_JOIN)) {
    forward = FALSE;
  }
  if (!forward)
    self->src_dropped++;
  GST_GOP_BUFFER_UNLOCK (self);

  if (post)
    post_gop_message (self, &completed, suppressed);
  if (lag_msg)
    gst_element_post_message (GST_ELEMENT (self), lag_msg);

  if (!forward) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }

  ret = gst_pad_push (self->srcpad, buf);
  /* an unlinked or finished src pad must not stop the request pads */
  if (ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_EOS)
    ret = GST_FLOW_OK;
  return ret;
}

static GstFlowReturn
gst_gop_buffer_audio_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  guint64 size = gst_buffer_get_size (buf);
  GstPad *asrc = NULL;
  GList *l;

  GST_GOP_BUFFER_LOCK (self);
  self->audio_in++;
  gop_store_push (self->store, buf, GOP_FLAG_AUDIO,
      GST_CLOCK_TIME_IS_VALID (pts) ? pts : GOP_TIME_NONE, GOP_TIME_NONE,
      GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) :
      GOP_TIME_NONE, size, NULL);
  for (l = self->outs; l; l = l->next) {
    GopOut *out = l->data;

    if (!out->audio || !out->joined || out->wait_video_key)
      continue;
    lag_queue_push (out->queue, gst_buffer_ref (buf), GOP_FLAG_KEYFRAME,
        GST_CLOCK_TIME_IS_VALID (pts) ? pts : GOP_TIME_NONE, size);
    wake_out (out);
  }
  /* audio passthrough starts with the video passthrough */
  if (self->audio_srcpad && !self->src_wait_key)
    asrc = gst_object_ref (self->audio_srcpad);
  GST_GOP_BUFFER_UNLOCK (self);

  if (asrc) {
    GstFlowReturn ret = gst_pad_push (asrc, buf);
    gst_object_unref (asrc);
    if (ret == GST_FLOW_NOT_LINKED || ret == GST_FLOW_EOS)
      ret = GST_FLOW_OK;
    return ret;
  }
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* with GST_GOP_BUFFER_LOCK. Serialized event: to each joined request pad of the kind,
 * in order */
static void
queue_event_to_outs_locked (GstGopBuffer * self, GstEvent * event,
    gboolean audio)
{
  GList *l;

  for (l = self->outs; l; l = l->next) {
    GopOut *out = l->data;

    if (out->audio != audio || !out->joined)
      continue;
    lag_queue_push (out->queue, gst_event_ref (event), GOP_FLAG_EVENT,
        GOP_TIME_NONE, 0);
    wake_out (out);
  }
}

static void
queue_event_to_outs (GstGopBuffer * self, GstEvent * event, gboolean audio)
{
  GST_GOP_BUFFER_LOCK (self);
  queue_event_to_outs_locked (self, event, audio);
  GST_GOP_BUFFER_UNLOCK (self);
}

static void
add_buffer_sizes (const GValue * v, guint64 * size)
{
  if (G_VALUE_HOLDS (v, GST_TYPE_BUFFER)) {
    GstBuffer *b = gst_value_get_buffer (v);
    if (b)
      *size += gst_buffer_get_size (b);
  } else if (GST_VALUE_HOLDS_ARRAY (v)) {
    guint i, n = gst_value_array_get_size (v);
    for (i = 0; i < n; i++)
      add_buffer_sizes (gst_value_array_get_value (v, i), size);
  }
}

static gboolean
add_field_buffer_sizes (GQuark field, const GValue * v, gpointer user_data)
{
  add_buffer_sizes (v, user_data);
  return TRUE;
}

/* Bytes a sticky event stored in the cache counts: a fixed overhead plus
 * the buffers its caps carry (codec_data, streamheader) */
static guint64
sticky_event_size (GstEvent * event)
{
  guint64 size = STICKY_EVENT_OVERHEAD;

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    guint i;

    gst_event_parse_caps (event, &caps);
    for (i = 0; i < gst_caps_get_size (caps); i++)
      gst_structure_foreach (gst_caps_get_structure (caps, i),
          add_field_buffer_sizes, &size);
  }
  return size;
}

/* with GST_GOP_BUFFER_LOCK. A sticky event of the video or audio stream: kept in the
 * store (at its place in the GOP being cached, and as the state the next
 * GOP starts with) and queued to the joined request pads, under one lock
 * so that a join sees it exactly once */
static void
store_sticky_locked (GstGopBuffer * self, GstEvent * event, gboolean audio,
    guint slot)
{
  GstEvent *cur = gop_store_get_sticky (self->store, audio, slot);
  gboolean same = FALSE;

  if (cur && slot == SLOT_CAPS) {
    GstCaps *a, *b;

    /* parsers send equal caps again: nothing to replay */
    gst_event_parse_caps (cur, &a);
    gst_event_parse_caps (event, &b);
    same = gst_caps_is_strictly_equal (a, b);
  }
  if (slot == SLOT_STREAM_START)
    gop_store_unset_sticky (self->store, audio, SLOT_TAGS);
  if (!same)
    gop_store_push_sticky (self->store, event, audio, slot,
        sticky_event_size (event), NULL);
  queue_event_to_outs_locked (self, event, audio);
}

static GList *
ref_out_pads (GstGopBuffer * self, gboolean audio)
{
  GList *l, *pads = NULL;

  GST_GOP_BUFFER_LOCK (self);
  for (l = self->outs; l; l = l->next) {
    GopOut *out = l->data;
    if (out->audio == audio)
      pads = g_list_prepend (pads, gst_object_ref (out->pad));
  }
  GST_GOP_BUFFER_UNLOCK (self);
  return pads;
}

/* Flush the request pads of a kind: like queue, stop the task, clear,
 * restart on flush-stop */
static void
flush_outs (GstGopBuffer * self, GstEvent * event, gboolean audio)
{
  gboolean start = GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START;
  GList *pads = ref_out_pads (self, audio), *l;

  for (l = pads; l; l = l->next) {
    GstPad *p = l->data;
    GopOut *out;

    if (start) {
      GST_GOP_BUFFER_LOCK (self);
      out = out_of (p);
      if (out) {
        out->flushing = TRUE;
        lag_queue_clear (out->queue, FALSE);
        clear_pending (out);
        g_cond_signal (&out->cond);
      }
      GST_GOP_BUFFER_UNLOCK (self);
      gst_pad_push_event (p, gst_event_ref (event));
      gst_pad_pause_task (p);
    } else {
      gst_pad_push_event (p, gst_event_ref (event));
      GST_GOP_BUFFER_LOCK (self);
      out = out_of (p);
      if (out && GST_PAD_IS_ACTIVE (p)) {
        out->flushing = FALSE;
        out->last_ret = GST_FLOW_OK;
        /* restart clean at the next keyframe */
        lag_queue_clear (out->queue, !audio);
        out->wait_video_key = audio;
        GST_GOP_BUFFER_UNLOCK (self);
        gst_pad_start_task (p, (GstTaskFunction) gst_gop_buffer_out_loop, out,
            NULL);
      } else {
        GST_GOP_BUFFER_UNLOCK (self);
      }
    }
  }
  g_list_free_full (pads, gst_object_unref);
}

static gboolean
gst_gop_buffer_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  gboolean ret, queued = FALSE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      if (!gop_nal_inspector_set_caps (&self->nal, caps)) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
            ("Invalid or missing codec_data in caps %" GST_PTR_FORMAT, caps));
        gst_event_unref (event);
        return FALSE;
      }
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->v_caps, event);
      store_sticky_locked (self, event, FALSE, SLOT_CAPS);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    }
    case GST_EVENT_STREAM_START:
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->v_stream_start, event);
      gst_clear_event (&self->v_tags);
      store_sticky_locked (self, event, FALSE, SLOT_STREAM_START);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_SEGMENT:
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->v_segment, event);
      gst_event_copy_segment (event, &self->vsegment);
      store_sticky_locked (self, event, FALSE, SLOT_SEGMENT);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_TAG:
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->v_tags, event);
      store_sticky_locked (self, event, FALSE, SLOT_TAGS);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_FLUSH_START:
      flush_outs (self, event, FALSE);
      return gst_pad_push_event (self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      GST_GOP_BUFFER_LOCK (self);
      gop_store_clear (self->store);
      self->src_wait_key = TRUE;
      self->src_skip_leading = FALSE;
      self->live_pts = GST_CLOCK_TIME_NONE;
      gst_clear_event (&self->v_segment);
      gop_store_unset_sticky (self->store, FALSE, SLOT_SEGMENT);
      GST_GOP_BUFFER_UNLOCK (self);
      flush_outs (self, event, FALSE);
      return gst_pad_push_event (self->srcpad, event);
    default:
      break;
  }

  if (GST_EVENT_IS_SERIALIZED (event)) {
    if (!queued)
      queue_event_to_outs (self, event, FALSE);
  } else if (GST_EVENT_IS_DOWNSTREAM (event)) {
    GList *pads = ref_out_pads (self, FALSE), *l;
    for (l = pads; l; l = l->next)
      gst_pad_push_event (l->data, gst_event_ref (event));
    g_list_free_full (pads, gst_object_unref);
  }
  ret = gst_pad_push_event (self->srcpad, event);
  /* an unlinked src pad does not fail caps or segment for the request pads,
   * which report problems from their own threads */
  if (!ret && !gst_pad_is_linked (self->srcpad))
    ret = TRUE;
  return ret;
}

/* Going down to READY deactivates the src pads before the sink pads: an
 * event the src pad refuses then is answered with FLUSHING, not with FALSE,
 * which upstream turns into GST_FLOW_ERROR for a sticky event */
static GstFlowReturn
gst_gop_buffer_sink_event_full (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  gboolean flushing;

  if (gst_gop_buffer_sink_event (pad, parent, event))
    return GST_FLOW_OK;
  GST_OBJECT_LOCK (self->srcpad);
  flushing = GST_PAD_IS_FLUSHING (self->srcpad);
  GST_OBJECT_UNLOCK (self->srcpad);
  return flushing ? GST_FLOW_FLUSHING : GST_FLOW_ERROR;
}

static gboolean
gst_gop_buffer_audio_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  GstPad *asrc = NULL;
  gboolean ret = TRUE, queued = FALSE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->a_caps, event);
      store_sticky_locked (self, event, TRUE, SLOT_CAPS);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_STREAM_START:
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->a_stream_start, event);
      store_sticky_locked (self, event, TRUE, SLOT_STREAM_START);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_SEGMENT:
      GST_GOP_BUFFER_LOCK (self);
      gst_event_replace (&self->a_segment, event);
      store_sticky_locked (self, event, TRUE, SLOT_SEGMENT);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_TAG:
      GST_GOP_BUFFER_LOCK (self);
      store_sticky_locked (self, event, TRUE, SLOT_TAGS);
      GST_GOP_BUFFER_UNLOCK (self);
      queued = TRUE;
      break;
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      flush_outs (self, event, TRUE);
      break;
    default:
      break;
  }
  if (GST_EVENT_IS_SERIALIZED (event) && !queued
      && GST_EVENT_TYPE (event) != GST_EVENT_FLUSH_STOP)
    queue_event_to_outs (self, event, TRUE);

  GST_GOP_BUFFER_LOCK (self);
  if (self->audio_srcpad)
    asrc = gst_object_ref (self->audio_srcpad);
  GST_GOP_BUFFER_UNLOCK (self);
  if (asrc) {
    ret = gst_pad_push_event (asrc, event);
    gst_object_unref (asrc);
    ret = TRUE;
  } else {
    gst_event_unref (event);
  }
  return ret;
}

/* Upstream events from request pads: forward what the producer can act on
 * (force-key-unit, custom), not QoS or reconfigure of one branch */
static gboolean
gst_gop_buffer_out_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_QOS:
    case GST_EVENT_RECONFIGURE:
    case GST_EVENT_LATENCY:
    case GST_EVENT_NAVIGATION:
      gst_event_unref (event);
      return TRUE;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_gop_buffer_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  GopOut *out = out_of (pad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *caps = NULL, *filter, *res;

      /* a request pad offers the caps it will push first: what it pushed
       * last, or, before it pushed any, those current at the keyframe it
       * joins (or will join) at: a caps change later in that GOP comes at
       * its place. Else its template. */
      caps = out ? gst_pad_get_current_caps (pad) : NULL;
      if (out && !caps) {
        GST_GOP_BUFFER_LOCK (self);
        caps = join_caps_locked (self, out);
        GST_GOP_BUFFER_UNLOCK (self);
      }
      if (!caps)
        caps = gst_pad_get_pad_template_caps (pad);
      gst_query_parse_caps (query, &filter);
      if (filter) {
        res = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
      } else {
        res = caps;
      }
      gst_query_set_caps_result (query, res);
      gst_caps_unref (res);
      return TRUE;
    }
    case GST_QUERY_ALLOCATION:
      return FALSE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstIterator *
gst_gop_buffer_iterate_internal_links (GstPad * pad, GstObject * parent)
{
  GstGopBuffer *self = GST_GOP_BUFFER (parent);
  GstPad *other = NULL;
  GstIterator *it = NULL;
  GValue v = G_VALUE_INIT;

  GST_GOP_BUFFER_LOCK (self);
  if (pad == self->sinkpad)
    other = self->srcpad;
  else if (pad == self->srcpad)
    other = self->sinkpad;
  else if (pad == self->audio_sinkpad)
    other = self->audio_srcpad;
  else if (pad == self->audio_srcpad)
    other = self->audio_sinkpad;
  else if (out_of (pad))
    other = out_of (pad)->audio ? self->audio_sinkpad : self->sinkpad;
  if (other)
    gst_object_ref (other);
  GST_GOP_BUFFER_UNLOCK (self);

  if (other) {
    g_value_init (&v, GST_TYPE_PAD);
    g_value_take_object (&v, other);
    it = gst_iterator_new_single (GST_TYPE_PAD, &v);
    g_value_unset (&v);
  }
  return it;
}

static GstStateChangeReturn
gst_gop_buffer_change_state (GstElement * element, GstStateChange transition)
{
  GstGopBuffer *self = GST_GOP_BUFFER (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      GST_GOP_BUFFER_LOCK (self);
      gop_store_clear (self->store);
      gop_store_reset_sticky (self->store);
      clear_sticky (self);
      gst_clear_buffer (&self->last_keyframe);
      gst_clear_caps (&self->last_keyframe_caps);
      self->src_wait_key = TRUE;
      self->src_skip_leading = FALSE;
      self->live_pts = GST_CLOCK_TIME_NONE;
      self->video_in = 0;
      gst_segment_init (&self->vsegment, GST_FORMAT_TIME);
      GST_GOP_BUFFER_UNLOCK (self);
      break;
    default:
      break;
  }
  return ret;
}
