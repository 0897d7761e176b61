/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-prioqueue
 * @title: prioqueue
 *
 * A thread boundary like #queue for live pipelines whose downstream can
 * fall behind: a transcoder that cannot keep up, a congested network sink,
 * an upload. Where `queue leaky=downstream` drops blindly (keyframes
 * included, and the picture stays broken until the next keyframe),
 * prioqueue classifies every buffer as HIGH (keyframes, codec headers,
 * audio, metadata), NORMAL (reference frames: P-frames) or LOW
 * (non-reference frames: B-frames, thumbnails) and, when full, drops the
 * lowest class first, oldest first. Dropping a reference frame drops every
 * later frame that depends on it up to the next keyframe, so that nothing
 * undecodable ever leaves the queue. HIGH buffers are dropped only as a
 * last resort, counted apart, with a warning.
 *
 * The class comes from the #GstChunkMeta priority when the buffer carries
 * one, otherwise from the caps, the buffer flags and, for H.264 and H.265,
 * from the NAL unit headers (nal_ref_idc, NAL unit types).
 *
 * In `mode=shed` (default) the queue never blocks upstream, and no buffer
 * leaves later than #GstPrioQueue:max-size-time (plus one frame) after it
 * entered, measured on running time like queue measures its level. In
 * `mode=block` it behaves like queue and blocks when full.
 *
 * Besides the always pads `sink` and `src`, further streams can be added
 * with request pads `sink_%u` (each brings its `src_%u`). All streams
 * share one budget; the stream with the lowest #GstPrioQueuePad:priority
 * is shed first.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc bframes=2 key-int-max=30 ! \
 *     h264parse ! prioqueue max-size-time=300000000 ! avdec_h264 ! autovideosink
 * ]| Sheds B-frames first, then P-frames up to the next keyframe, when the
 * decoder and the display cannot keep up, with at most 300 ms queued.
 */

/* Implementation notes
 *
 *   sink / sink_%u ──chain──► gstprioclassify.c: class (High / Normal /
 *                     │        Low) from chunk meta, caps, NAL header
 *                     ▼
 *                  shedqueue.c (GLib only, under GST_PRIO_QUEUE_LOCK):
 *                  one queue per stream; over max-size-* it sheds the
 *                  lowest class oldest first and everything that depends
 *                  on a shed frame (up to the next keyframe), High last
 *                     │
 *                     ▼ item_add / item_del conds
 *   src / src_%u task (one per stream) ──► pops runs of up to 64 items
 *                     under one lock round trip, pushes them unlocked
 *
 * As in queue: the chain waits on item_del when mode=block and the queue
 * is full, the task on item_add when it is empty; flushing sets
 * srcresult, wakes both and takes the pad's STREAM_LOCK before clearing.
 * Serialized events and queries travel through the queue in order with
 * the buffers.  Each stream keeps its own timeline of running time,
 * bridged by wall time across timestamp jumps, for the latency bound.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstprioqueue.h"
#include "gstprioclassify.h"
#include "shedqueue.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

GST_DEBUG_CATEGORY_STATIC (prio_queue_debug);
#define GST_CAT_DEFAULT prio_queue_debug

#define DEFAULT_MAX_SIZE_BUFFERS  200
#define DEFAULT_MAX_SIZE_BYTES    (10 * 1024 * 1024)
#define DEFAULT_MAX_SIZE_TIME     GST_SECOND
#define DEFAULT_MODE              GST_PRIO_QUEUE_MODE_SHED
#define DEFAULT_DROP_MESSAGE_INTERVAL GST_SECOND
#define DEFAULT_PAD_PRIORITY      0

enum
{
  SIGNAL_UNDERRUN,
  SIGNAL_OVERRUN,
  LAST_SIGNAL
};

enum
{
  PROP_0,
  PROP_CUR_LEVEL_BUFFERS,
  PROP_CUR_LEVEL_BYTES,
  PROP_CUR_LEVEL_TIME,
  PROP_MAX_SIZE_BUFFERS,
  PROP_MAX_SIZE_BYTES,
  PROP_MAX_SIZE_TIME,
  PROP_MODE,
  PROP_DROP_MESSAGE_INTERVAL,
  PROP_STATS,
};

enum
{
  PROP_PAD_0,
  PROP_PAD_PRIORITY,
};

static guint prio_queue_signals[LAST_SIGNAL] = { 0 };

/* One sink/src pair. Everything but the sink-thread-only fields is
 * protected by the element's lock. */
typedef struct
{
  GstPrioQueue *self;
  guint index;                  /* 0 for sink/src, N for sink_N/src_N */
  gint id;                      /* stream id in the policy */
  GstPad *sinkpad;
  GstPad *srcpad;

  /* sink streaming thread only */
  GstSegment sink_segment;
  GstPrioClassifier *classifier;

  /* under the lock */
  GstFlowReturn srcresult;
  gboolean eos;
  gboolean unexpected;
  gboolean waiting_add;
  GCond item_add;
  GCond query_handled;
  gboolean last_query;
  /* serialized queries come one at a time per stream (the caller waits):
   * numbered when queued, the last number answered or dropped */
  guint64 queries_sent;
  guint64 queries_done;
} PrioStream;

/* A report of drops waiting for its turn (rate limit) */
typedef struct
{
  guint stream;
  ShedClass klass;
  ShedReason reason;
  guint64 count;
} PendingDrop;

struct _GstPrioQueue
{
  GstElement parent;

  /* protects the policy, the streams' dataflow state and the settings */
  GMutex lock;
  GCond item_del;
  guint waiting_del;

  ShedQueue *shed;
  GPtrArray *streams;           /* PrioStream* */
  guint next_index;

  /* settings */
  guint max_size_buffers;
  guint max_size_bytes;
  guint64 max_size_time;
  GstPrioQueueMode mode;
  guint64 drop_message_interval;

  /* drop reports */
  GArray *pending;              /* PendingDrop */
  guint64 last_report;          /* monotonic ns, 0 = never */
  guint64 pending_high;

  /* the latest precise clock reading, by any thread (see now_ns ()) */
  guint64 last_precise;
};

struct _GstPrioQueuePad
{
  GstPad parent;
  gint priority;
};

#define GST_PRIO_QUEUE_LOCK(q) g_mutex_lock (&(q)->lock)
#define GST_PRIO_QUEUE_UNLOCK(q) g_mutex_unlock (&(q)->lock)
#define GST_PRIO_QUEUE_LOCK_CHECK(q,s,label) G_STMT_START {     \
  GST_PRIO_QUEUE_LOCK (q);                                      \
  if ((s)->srcresult != GST_FLOW_OK)                            \
    goto label;                                                 \
} G_STMT_END

#define GST_PRIO_QUEUE_SIGNAL_ADD(s) G_STMT_START {             \
  if ((s)->waiting_add)                                         \
    g_cond_signal (&(s)->item_add);                             \
} G_STMT_END

#define GST_PRIO_QUEUE_SIGNAL_DEL(q) G_STMT_START {             \
  if ((q)->waiting_del)                                         \
    g_cond_broadcast (&(q)->item_del);                          \
} G_STMT_END

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate sink_req_template =
GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_req_template =
GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC,
    GST_PAD_SOMETIMES,
    GST_STATIC_CAPS_ANY);

GType
gst_prio_queue_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_PRIO_QUEUE_MODE_SHED,
          "Never block upstream: drop the least important buffers first",
        "shed"},
    {GST_PRIO_QUEUE_MODE_BLOCK, "Block upstream when full, as queue does",
        "block"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstPrioQueueMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* GstPrioQueuePad */

G_DEFINE_TYPE (GstPrioQueuePad, gst_prio_queue_pad, GST_TYPE_PAD);

static void gst_prio_queue_pad_priority_changed (GstPrioQueuePad * pad);

static void
gst_prio_queue_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPrioQueuePad *pad = GST_PRIO_QUEUE_PAD (object);

  switch (prop_id) {
    case PROP_PAD_PRIORITY:
      GST_OBJECT_LOCK (pad);
      pad->priority = g_value_get_int (value);
      GST_OBJECT_UNLOCK (pad);
      gst_prio_queue_pad_priority_changed (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_prio_queue_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstPrioQueuePad *pad = GST_PRIO_QUEUE_PAD (object);

  switch (prop_id) {
    case PROP_PAD_PRIORITY:
      GST_OBJECT_LOCK (pad);
      g_value_set_int (value, pad->priority);
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_prio_queue_pad_class_init (GstPrioQueuePadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_prio_queue_pad_set_property;
  gobject_class->get_property = gst_prio_queue_pad_get_property;

  /**
   * GstPrioQueuePad:priority:
   *
   * Importance of this pad's stream (sink pads only). When the shared
   * budget is exceeded, the LOW and NORMAL buffers of the stream with the
   * lowest priority are shed first; HIGH buffers of any stream only when
   * no stream has anything lower queued.
   */
  g_object_class_install_property (gobject_class, PROP_PAD_PRIORITY,
      g_param_spec_int ("priority", "Priority",
          "Importance of this stream: the lowest is shed first",
          G_MININT, G_MAXINT, DEFAULT_PAD_PRIORITY,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
}

static void
gst_prio_queue_pad_init (GstPrioQueuePad * pad)
{
  pad->priority = DEFAULT_PAD_PRIORITY;
}

/* ------------------------------------------------------------------ */

#define gst_prio_queue_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstPrioQueue, gst_prio_queue, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (prio_queue_debug, "prioqueue", 0,
        "Priority-shedding queue"));
GST_ELEMENT_REGISTER_DEFINE (prioqueue, "prioqueue", GST_RANK_NONE,
    GST_TYPE_PRIO_QUEUE);

static void gst_prio_queue_finalize (GObject * object);
static void gst_prio_queue_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_prio_queue_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstPad *gst_prio_queue_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
static void gst_prio_queue_release_pad (GstElement * element, GstPad * pad);

static GstFlowReturn gst_prio_queue_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static GstFlowReturn gst_prio_queue_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_prio_queue_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_prio_queue_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_prio_queue_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_prio_queue_sink_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static gboolean gst_prio_queue_src_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static void gst_prio_queue_loop (PrioStream * stream);

static void
gst_prio_queue_class_init (GstPrioQueueClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_prio_queue_finalize;
  gobject_class->set_property = gst_prio_queue_set_property;
  gobject_class->get_property = gst_prio_queue_get_property;

  /**
   * GstPrioQueue::underrun:
   * @prioqueue: the prioqueue
   *
   * A stream's queue became empty. Emitted from its streaming thread.
   */
  prio_queue_signals[SIGNAL_UNDERRUN] =
      g_signal_new ("underrun", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * GstPrioQueue::overrun:
   * @prioqueue: the prioqueue
   *
   * A buffer arrived while a limit was reached: in shed mode something is
   * about to be dropped, in block mode upstream is about to wait. Emitted
   * from the upstream streaming thread.
   */
  prio_queue_signals[SIGNAL_OVERRUN] =
      g_signal_new ("overrun", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST,
      0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_object_class_install_property (gobject_class, PROP_CUR_LEVEL_BUFFERS,
      g_param_spec_uint ("current-level-buffers", "Current level (buffers)",
          "Current number of buffers queued (all streams)", 0, G_MAXUINT, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_CUR_LEVEL_BYTES,
      g_param_spec_uint ("current-level-bytes", "Current level (bytes)",
          "Current amount of data queued (all streams, bytes)", 0, G_MAXUINT,
          0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_CUR_LEVEL_TIME,
      g_param_spec_uint64 ("current-level-time", "Current level (ns)",
          "Current amount of data queued (longest stream, ns of running time)",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BUFFERS,
      g_param_spec_uint ("max-size-buffers", "Max. size (buffers)",
          "Max. number of buffers queued, all streams together (0=disable)",
          0, G_MAXUINT, DEFAULT_MAX_SIZE_BUFFERS,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BYTES,
      g_param_spec_uint ("max-size-bytes", "Max. size (bytes)",
          "Max. amount of data queued, all streams together (bytes, "
          "0=disable)", 0, G_MAXUINT, DEFAULT_MAX_SIZE_BYTES,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstPrioQueue:max-size-time:
   *
   * Max. running time between the oldest queued buffer of a stream and
   * the newest input of that stream. In shed mode this is also the latency
   * bound: no buffer leaves later than max-size-time (plus the one frame
   * that arrives meanwhile) after it entered.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_TIME,
      g_param_spec_uint64 ("max-size-time", "Max. size (ns)",
          "Max. running time queued per stream, and in shed mode the "
          "latency bound (ns, 0=disable)", 0, G_MAXUINT64,
          DEFAULT_MAX_SIZE_TIME,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstPrioQueue:mode:
   *
   * shed: never block upstream, drop by class when full (live pipelines).
   * block: wait for room like queue (non-live pipelines); nothing is
   * dropped.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "What to do when full: shed by priority or block upstream",
          GST_TYPE_PRIO_QUEUE_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstPrioQueue:drop-message-interval:
   *
   * The first drop after a quiet period is reported at once; later ones
   * are summed up and reported at most once per interval, one
   * `prioqueue-dropped` element message per stream, class and reason.
   * 0 reports every drop.
   */
  g_object_class_install_property (gobject_class, PROP_DROP_MESSAGE_INTERVAL,
      g_param_spec_uint64 ("drop-message-interval", "Drop message interval",
          "Min. time between prioqueue-dropped messages (ns, 0=every drop)",
          0, G_MAXUINT64, DEFAULT_DROP_MESSAGE_INTERVAL,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstPrioQueue:stats:
   *
   * A `application/x-prioqueue-stats` structure, all streams together:
   * in-high, in-normal, in-low, out-*, dropped-* (guint64): buffers per
   * class; dropped-max-size-buffers, dropped-max-size-bytes,
   * dropped-max-size-time, dropped-latency, dropped-keyframe-wait
   * (guint64): drops per reason; keyframe-waits (guint64): times a stream
   * started waiting for a keyframe; high-dropped-lower-queued (guint64):
   * HIGH drops while a lower class of the same stream was queued (0 by
   * design); flushed (guint64); current-level-buffers (guint),
   * current-level-bytes, current-level-time (guint64); level-high,
   * level-normal, level-low (guint): queued buffers per class;
   * queue-time-p50, queue-time-p99, queue-time-max (guint64, ns): time
   * the buffers that left spent queued; service-time (guint64, ns): the
   * measured time downstream takes per buffer (stream 0).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Per-class counters, levels and queue time percentiles",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Priority queue", "Generic",
      "Thread boundary that sheds the least important buffers first and "
      "never emits a frame whose reference it dropped",
      "gst-livestream authors");

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_PRIO_QUEUE_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_req_template, GST_TYPE_PRIO_QUEUE_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_req_template);

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_prio_queue_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_prio_queue_release_pad);

  gst_type_mark_as_plugin_api (GST_TYPE_PRIO_QUEUE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_PRIO_QUEUE_PAD, 0);
}

/* Clock reads. The monotonic clock costs 20-60 ns a read on the virtual
 * machines this runs on, next to about 1 µs of work per buffer: reading it
 * twice per buffer (entry, and the end of each push for the service time)
 * was a good part of what prioqueue cost more than queue. So it is read
 * precisely where the time is short and matters, and coarsely where it is
 * long anyway:
 *  - a buffer that enters behind a backlog (BACKLOG_COARSE buffers queued
 *    in its stream) waits at least for the backlog: its entry time is the
 *    coarse clock (one kernel tick, a few ms, resolution, and far cheaper:
 *    no TSC read) or the latest precise reading, whichever is later;
 *  - while downstream takes less than FAST_SERVICE per buffer, the source
 *    task reads the precise clock once per run of pushes (PUSH_BATCH at
 *    most, or when the coarse clock ticked) and reports their average
 *    service time; the "now" of the pops in between is estimated from
 *    the service time.
 * Both are the same CLOCK_MONOTONIC, the coarse one at most a tick late. */
#define BACKLOG_COARSE 32
#define FAST_SERVICE (20 * GST_USECOND)

static inline guint64
now_ns (void)
{
  return (guint64) g_get_monotonic_time () * 1000;
}

static inline guint64
coarse_ns (void)
{
#ifdef CLOCK_MONOTONIC_COARSE
  struct timespec ts;

  if (G_LIKELY (clock_gettime (CLOCK_MONOTONIC_COARSE, &ts) == 0))
    return (guint64) ts.tv_sec * GST_SECOND + (guint64) ts.tv_nsec;
#endif
  return now_ns ();
}

static ShedConfig
config_locked (GstPrioQueue * self)
{
  ShedConfig cfg;

  cfg.max_buffers = self->max_size_buffers;
  cfg.max_bytes = self->max_size_bytes;
  cfg.max_time = self->max_size_time;
  cfg.mode = self->mode == GST_PRIO_QUEUE_MODE_BLOCK ?
      SHED_MODE_BLOCK : SHED_MODE_SHED;
  return cfg;
}

/* each pad's only internal link is its partner: caps queries, events and
 * queries forwarded by default stay within the stream */
static GstIterator *
gst_prio_queue_iterate_internal_links (GstPad * pad, GstObject * parent)
{
  PrioStream *stream = gst_pad_get_element_private (pad);
  GstPad *other;
  GstIterator *it;
  GValue val = G_VALUE_INIT;

  if (stream == NULL)
    return NULL;
  other = pad == stream->sinkpad ? stream->srcpad : stream->sinkpad;
  g_value_init (&val, GST_TYPE_PAD);
  g_value_set_object (&val, other);
  it = gst_iterator_new_single (GST_TYPE_PAD, &val);
  g_value_unset (&val);
  return it;
}

/* Creates a stream with its pads; does not add them to the element. */
static PrioStream *
prio_stream_new (GstPrioQueue * self, guint index, gint priority)
{
  PrioStream *stream = g_new0 (PrioStream, 1);
  gchar *name;
  GstPadTemplate *templ;
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (self);

  stream->self = self;
  stream->index = index;
  stream->srcresult = GST_FLOW_FLUSHING;
  g_cond_init (&stream->item_add);
  g_cond_init (&stream->query_handled);
  gst_segment_init (&stream->sink_segment, GST_FORMAT_TIME);
  stream->classifier = gst_prio_classifier_new ();

  if (index == 0) {
    templ = gst_element_class_get_pad_template (klass, "sink");
    name = g_strdup ("sink");
  } else {
    templ = gst_element_class_get_pad_template (klass, "sink_%u");
    name = g_strdup_printf ("sink_%u", index);
  }
  stream->sinkpad = g_object_new (GST_TYPE_PRIO_QUEUE_PAD, "name", name,
      "direction", GST_PAD_SINK, "template", templ, NULL);
  g_free (name);
  GST_PRIO_QUEUE_PAD (stream->sinkpad)->priority = priority;

  if (index == 0) {
    templ = gst_element_class_get_pad_template (klass, "src");
    name = g_strdup ("src");
  } else {
    templ = gst_element_class_get_pad_template (klass, "src_%u");
    name = g_strdup_printf ("src_%u", index);
  }
  stream->srcpad = gst_pad_new_from_template (templ, name);
  g_free (name);

  gst_pad_set_element_private (stream->sinkpad, stream);
  gst_pad_set_element_private (stream->srcpad, stream);

  gst_pad_set_chain_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_chain));
  gst_pad_set_event_full_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_sink_event));
  gst_pad_set_query_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_sink_query));
  gst_pad_set_activatemode_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_sink_activate_mode));
  gst_pad_set_iterate_internal_links_function (stream->sinkpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (stream->sinkpad);

  gst_pad_set_event_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_src_event));
  gst_pad_set_query_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_src_query));
  gst_pad_set_activatemode_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_src_activate_mode));
  gst_pad_set_iterate_internal_links_function (stream->srcpad,
      GST_DEBUG_FUNCPTR (gst_prio_queue_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (stream->srcpad);

  GST_PRIO_QUEUE_LOCK (self);
  stream->id = shed_queue_add_stream (self->shed, priority);
  GST_PRIO_QUEUE_UNLOCK (self);

  return stream;
}

static void
prio_stream_free (PrioStream * stream)
{
  g_cond_clear (&stream->item_add);
  g_cond_clear (&stream->query_handled);
  gst_prio_classifier_free (stream->classifier);
  g_free (stream);
}

static void
gst_prio_queue_init (GstPrioQueue * self)
{
  ShedConfig cfg;
  PrioStream *stream;

  g_mutex_init (&self->lock);
  g_cond_init (&self->item_del);

  self->max_size_buffers = DEFAULT_MAX_SIZE_BUFFERS;
  self->max_size_bytes = DEFAULT_MAX_SIZE_BYTES;
  self->max_size_time = DEFAULT_MAX_SIZE_TIME;
  self->mode = DEFAULT_MODE;
  self->drop_message_interval = DEFAULT_DROP_MESSAGE_INTERVAL;
  self->pending = g_array_new (FALSE, FALSE, sizeof (PendingDrop));

  cfg = config_locked (self);
  self->shed = shed_queue_new (&cfg);
  self->streams = g_ptr_array_new ();
  self->next_index = 1;

  stream = prio_stream_new (self, 0, DEFAULT_PAD_PRIORITY);
  g_ptr_array_add (self->streams, stream);
  gst_element_add_pad (GST_ELEMENT (self), stream->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), stream->srcpad);
}

static void
free_item (gpointer item)
{
  if (!GST_IS_QUERY (item))
    gst_mini_object_unref (item);
}

static void
gst_prio_queue_finalize (GObject * object)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (object);
  guint i;

  shed_queue_free (self->shed, free_item);
  for (i = 0; i < self->streams->len; i++)
    prio_stream_free (g_ptr_array_index (self->streams, i));
  g_ptr_array_free (self->streams, TRUE);
  g_array_free (self->pending, TRUE);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->item_del);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ------------------------------------------------------------------ */
/* drop reports */

typedef struct
{
  GPtrArray *unref;             /* dropped items to unref */
  GPtrArray *messages;          /* GstMessage to post */
  guint64 high;                 /* HIGH buffers in the posted reports */
} DropWork;

#define DROP_WORK_INIT { NULL, NULL, 0 }

static PrioStream *
stream_by_id_locked (GstPrioQueue * self, gint id)
{
  guint i;

  for (i = 0; i < self->streams->len; i++) {
    PrioStream *s = g_ptr_array_index (self->streams, i);
    if (s->id == id)
      return s;
  }
  return NULL;
}

/* Turns the pending reports into messages (to post after unlocking). */
static void
flush_reports_locked (GstPrioQueue * self, DropWork * work, guint64 now)
{
  ShedStats st;
  guint i;

  if (self->pending->len == 0)
    return;

  shed_queue_get_stats (self->shed, &st);
  if (work->messages == NULL)
    work->messages = g_ptr_array_new ();
  for (i = 0; i < self->pending->len; i++) {
    PendingDrop *p = &g_array_index (self->pending, PendingDrop, i);
    PrioStream *s = stream_by_id_locked (self, p->stream);
    GstStructure *st_msg;

    st_msg = gst_structure_new ("prioqueue-dropped",
        "stream", G_TYPE_UINT, s ? s->index : 0,
        "class", G_TYPE_STRING, shed_class_get_name (p->klass),
        "reason", G_TYPE_STRING, shed_reason_get_name (p->reason),
        "count", G_TYPE_UINT64, p->count,
        "total", G_TYPE_UINT64, st.dropped[p->klass], NULL);
    g_ptr_array_add (work->messages,
        gst_message_new_element (GST_OBJECT_CAST (self), st_msg));
    if (p->klass == SHED_CLASS_HIGH)
      work->high += p->count;
  }
  g_array_set_size (self->pending, 0);
  self->last_report = now;
}

/* Takes the policy's drop list: items to unref, reports to send. */
static void
take_drops_slow_locked (GstPrioQueue * self, DropWork * work, guint64 now)
{
  const ShedDrop *drops;
  guint i, j, n;

  drops = shed_queue_get_drops (self->shed, &n);

  if (work->unref == NULL)
    work->unref = g_ptr_array_new ();
  for (i = 0; i < n; i++) {
    const ShedDrop *d = &drops[i];
    PendingDrop *p = NULL;

    g_ptr_array_add (work->unref, d->item);
    for (j = 0; j < self->pending->len; j++) {
      PendingDrop *pj = &g_array_index (self->pending, PendingDrop, j);
      if (pj->stream == d->stream && pj->klass == d->klass &&
          pj->reason == d->reason) {
        p = pj;
        break;
      }
    }
    if (p == NULL) {
      PendingDrop nd = { d->stream, d->klass, d->reason, 0 };
      g_array_append_val (self->pending, nd);
      p = &g_array_index (self->pending, PendingDrop, self->pending->len - 1);
    }
    p->count++;
    GST_LOG_OBJECT (self, "dropped %s buffer %p (%s)",
        shed_class_get_name (d->klass), d->item,
        shed_reason_get_name (d->reason));
  }
  shed_queue_clear_drops (self->shed);

  if (self->drop_message_interval == 0 || self->last_report == 0 ||
      now - self->last_report >= self->drop_message_interval)
    flush_reports_locked (self, work, now);
}

static inline void
take_drops_locked (GstPrioQueue * self, DropWork * work, guint64 now)
{
  guint n;

  shed_queue_get_drops (self->shed, &n);
  if (G_UNLIKELY (n > 0))
    take_drops_slow_locked (self, work, now);
}

/* Without the lock: unref, post, warn. */
static void
finish_drops_slow (GstPrioQueue * self, DropWork * work)
{
  guint i;

  if (work->unref) {
    for (i = 0; i < work->unref->len; i++)
      gst_mini_object_unref (g_ptr_array_index (work->unref, i));
    g_ptr_array_free (work->unref, TRUE);
    work->unref = NULL;
  }
  if (work->messages) {
    for (i = 0; i < work->messages->len; i++)
      gst_element_post_message (GST_ELEMENT_CAST (self),
          g_ptr_array_index (work->messages, i));
    g_ptr_array_free (work->messages, TRUE);
    work->messages = NULL;
  }
  if (work->high) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Dropped %" G_GUINT64_FORMAT " high-priority buffers", work->high),
        ("Downstream cannot keep up even with every lower-priority buffer "
            "shed: keyframes, audio or headers were lost (hard limit "
            "reached)"));
    work->high = 0;
  }
}

static inline void
finish_drops (GstPrioQueue * self, DropWork * work)
{
  if (G_UNLIKELY (work->unref || work->messages || work->high))
    finish_drops_slow (self, work);
}

/* ------------------------------------------------------------------ */
/* flushing */

typedef struct
{
  PrioStream *stream;
  gboolean full;
} FlushData;

static void
flush_item (gpointer item, gboolean is_buffer, gpointer user_data)
{
  FlushData *fd = user_data;

  if (GST_IS_QUERY (item))
    return;
  /* keep the sticky events (caps, tags, ...) for when data flows again */
  if (!fd->full && GST_IS_EVENT (item) && GST_EVENT_IS_STICKY (item) &&
      GST_EVENT_TYPE (item) != GST_EVENT_SEGMENT &&
      GST_EVENT_TYPE (item) != GST_EVENT_EOS)
    gst_pad_store_sticky_event (fd->stream->srcpad, GST_EVENT_CAST (item));
  gst_mini_object_unref (item);
}

/* With the lock: the query in flight on @stream (if any) is answered
 * with @res, or was dropped; its caller may go on. */
static void
query_done_locked (PrioStream * stream, gboolean res)
{
  stream->last_query = res;
  stream->queries_done = stream->queries_sent;
  g_cond_signal (&stream->query_handled);
}

/* with the lock */
static void
flush_stream_locked (GstPrioQueue * self, PrioStream * stream, gboolean full)
{
  FlushData fd = { stream, full };

  shed_queue_flush_stream (self->shed, stream->id, flush_item, &fd);
  query_done_locked (stream, FALSE);
  GST_PRIO_QUEUE_SIGNAL_DEL (self);
}

/* ------------------------------------------------------------------ */
/* sink side */

static guint64
running_time (const GstSegment * segment, GstClockTime ts)
{
  guint64 rt;
  gint sign;

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return SHED_TIME_NONE;
  /* the usual segment, as gst_segment_to_running_time_full () computes it
   * (per buffer: spare the call) */
  if (G_LIKELY (segment->rate == 1.0 && ts >= segment->start + segment->offset))
    return ts - segment->start - segment->offset + segment->base;
  sign = gst_segment_to_running_time_full (segment, GST_FORMAT_TIME, ts, &rt);
  if (sign > 0)
    return rt;
  /* before the segment start: as early as it gets */
  return 0;
}

static GstFlowReturn
gst_prio_queue_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  /* per buffer: the stream knows its element, no checked cast needed */
  PrioStream *stream = gst_pad_get_element_private (pad);
  GstPrioQueue *self = stream->self;
  ShedBufferInfo info;
  GstPrioRule rule;
  DropWork work = DROP_WORK_INIT;
  guint64 now;
  gboolean queued;

  info.klass = gst_prio_classifier_classify_full (stream->classifier, buffer,
      &info.flags, &rule, &info.size);
  if (info.size == G_MAXSIZE)
    info.size = gst_buffer_get_size (buffer);
  info.time = running_time (&stream->sink_segment,
      GST_BUFFER_DTS_OR_PTS (buffer));
  info.duration = GST_BUFFER_DURATION_IS_VALID (buffer) ?
      GST_BUFFER_DURATION (buffer) : SHED_TIME_NONE;
  info.pts = GST_BUFFER_PTS_IS_VALID (buffer) ?
      GST_BUFFER_PTS (buffer) : SHED_TIME_NONE;

  GST_LOG_OBJECT (pad, "buffer %p dts %" GST_TIME_FORMAT " pts %"
      GST_TIME_FORMAT " size %" G_GSIZE_FORMAT ": %s%s%s (rule %d)", buffer,
      GST_TIME_ARGS (GST_BUFFER_DTS (buffer)),
      GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), info.size,
      shed_class_get_name (info.klass),
      (info.flags & SHED_FLAG_KEYFRAME) ? " keyframe" : "",
      (info.flags & SHED_FLAG_DELTA) ? " delta" : "", rule);

  GST_PRIO_QUEUE_LOCK_CHECK (self, stream, out_flushing);
  if (stream->eos)
    goto out_eos;
  if (stream->unexpected)
    goto out_eos;

  if (shed_queue_is_full (self->shed)) {
    GST_PRIO_QUEUE_UNLOCK (self);
    g_signal_emit (self, prio_queue_signals[SIGNAL_OVERRUN], 0);
    GST_PRIO_QUEUE_LOCK_CHECK (self, stream, out_flushing);

    /* block: wait for room, unless this stream has nothing queued: as
     * multiqueue does, so that a muxer waiting for this stream while the
     * others fill the budget cannot deadlock the pipeline */
    if (self->mode == GST_PRIO_QUEUE_MODE_BLOCK) {
      while (shed_queue_is_full (self->shed) &&
          shed_queue_stream_n_buffers (self->shed, stream->id) > 0) {
        GST_DEBUG_OBJECT (pad, "full, waiting for room");
        self->waiting_del++;
        g_cond_wait (&self->item_del, &self->lock);
        self->waiting_del--;
        if (stream->srcresult != GST_FLOW_OK)
          goto out_flushing;
        if (self->mode != GST_PRIO_QUEUE_MODE_BLOCK)
          break;
      }
    }
  }

  if (G_LIKELY (shed_queue_stream_n_buffers (self->shed, stream->id) <
          BACKLOG_COARSE)) {
    now = self->last_precise = now_ns ();
  } else {
    /* it waits for the backlog anyway (see now_ns ()) */
    now = MAX (coarse_ns (), self->last_precise);
  }
  queued = shed_queue_push_buffer (self->shed, stream->id, buffer, &info, now);
  if (queued)
    GST_PRIO_QUEUE_SIGNAL_ADD (stream);
  take_drops_locked (self, &work, now);
  GST_PRIO_QUEUE_UNLOCK (self);

  finish_drops (self, &work);
  return GST_FLOW_OK;

  /* ERRORS */
out_flushing:
  {
    GstFlowReturn ret = stream->srcresult;

    GST_LOG_OBJECT (pad, "refusing buffer: %s", gst_flow_get_name (ret));
    GST_PRIO_QUEUE_UNLOCK (self);
    gst_buffer_unref (buffer);
    return ret;
  }
out_eos:
  {
    GST_LOG_OBJECT (pad, "refusing buffer after EOS");
    GST_PRIO_QUEUE_UNLOCK (self);
    gst_buffer_unref (buffer);
    return GST_FLOW_EOS;
  }
}

static GstFlowReturn
gst_prio_queue_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (parent);
  PrioStream *stream = gst_pad_get_element_private (pad);
  gboolean ret = TRUE;

  GST_LOG_OBJECT (pad, "event %" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      ret = gst_pad_push_event (stream->srcpad, event);

      GST_PRIO_QUEUE_LOCK (self);
      stream->srcresult = GST_FLOW_FLUSHING;
      GST_PRIO_QUEUE_SIGNAL_ADD (stream);
      g_cond_broadcast (&self->item_del);
      GST_PRIO_QUEUE_UNLOCK (self);

      gst_pad_pause_task (stream->srcpad);

      GST_PRIO_QUEUE_LOCK (self);
      query_done_locked (stream, FALSE);
      GST_PRIO_QUEUE_UNLOCK (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      ret = gst_pad_push_event (stream->srcpad, event);

      gst_segment_init (&stream->sink_segment, GST_FORMAT_TIME);
      gst_prio_classifier_reset (stream->classifier);

      GST_PRIO_QUEUE_LOCK (self);
      flush_stream_locked (self, stream, FALSE);
      stream->srcresult = GST_FLOW_OK;
      stream->eos = FALSE;
      stream->unexpected = FALSE;
      if (gst_pad_is_active (stream->srcpad))
        gst_pad_start_task (stream->srcpad,
            (GstTaskFunction) gst_prio_queue_loop, stream, NULL);
      GST_PRIO_QUEUE_UNLOCK (self);
      break;
    default:
      if (!GST_EVENT_IS_SERIALIZED (event)) {
        ret = gst_pad_push_event (stream->srcpad, event);
        break;
      }

      /* sink thread state, before the event is queued */
      if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
        GstCaps *caps;
        gst_event_parse_caps (event, &caps);
        gst_prio_classifier_set_caps (stream->classifier, caps);
      } else if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
        gst_event_copy_segment (event, &stream->sink_segment);
        if (stream->sink_segment.format != GST_FORMAT_TIME) {
          /* as queue: pretend a time segment starting at 0 */
          gst_segment_init (&stream->sink_segment, GST_FORMAT_TIME);
        }
      }

      GST_PRIO_QUEUE_LOCK (self);
      if (stream->srcresult == GST_FLOW_EOS &&
          (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START ||
              GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT))
        stream->srcresult = GST_FLOW_OK;

      if (stream->srcresult != GST_FLOW_OK) {
        GstFlowReturn res = stream->srcresult;

        /* sticky events are kept by the pad: only complain about EOS */
        if (!GST_EVENT_IS_STICKY (event)) {
          GST_PRIO_QUEUE_UNLOCK (self);
          goto out_flow_error;
        } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
          GST_PRIO_QUEUE_UNLOCK (self);
          if (res == GST_FLOW_NOT_LINKED || res < GST_FLOW_EOS)
            GST_ELEMENT_FLOW_ERROR (self, res);
          goto out_flow_error;
        }
      }

      if (stream->eos) {
        switch (GST_EVENT_TYPE (event)) {
          case GST_EVENT_STREAM_START:
          case GST_EVENT_SEGMENT:
            stream->srcresult = GST_FLOW_OK;
            stream->eos = FALSE;
            stream->unexpected = FALSE;
            if (GST_PAD_MODE (stream->srcpad) == GST_PAD_MODE_PUSH)
              gst_pad_start_task (stream->srcpad,
                  (GstTaskFunction) gst_prio_queue_loop, stream, NULL);
            break;
          default:
            GST_PRIO_QUEUE_UNLOCK (self);
            GST_LOG_OBJECT (pad, "refusing event after EOS");
            gst_event_unref (event);
            return GST_FLOW_EOS;
        }
      }

      if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
        stream->eos = TRUE;
      else if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT)
        stream->unexpected = FALSE;
      shed_queue_push_other (self->shed, stream->id, event);
      GST_PRIO_QUEUE_SIGNAL_ADD (stream);
      GST_PRIO_QUEUE_UNLOCK (self);
      break;
  }

  if (!ret) {
    GST_DEBUG_OBJECT (pad, "event was not handled downstream");
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;

  /* ERRORS */
out_flow_error:
  {
    GstFlowReturn res;

    GST_PRIO_QUEUE_LOCK (self);
    res = stream->srcresult;
    GST_PRIO_QUEUE_UNLOCK (self);
    GST_LOG_OBJECT (pad, "refusing event, downstream flow error: %s",
        gst_flow_get_name (res));
    gst_event_unref (event);
    return res;
  }
}

static gboolean
gst_prio_queue_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (parent);
  PrioStream *stream = gst_pad_get_element_private (pad);
  guint64 seq;
  gboolean res;

  if (!GST_QUERY_IS_SERIALIZED (query))
    return gst_pad_query_default (pad, parent, query);

  /* serialized queries travel through the queue, in order with data */
  GST_PRIO_QUEUE_LOCK_CHECK (self, stream, out_flushing);
  GST_LOG_OBJECT (pad, "queuing query %" GST_PTR_FORMAT, query);
  seq = ++stream->queries_sent;
  shed_queue_push_other (self->shed, stream->id, query);
  GST_PRIO_QUEUE_SIGNAL_ADD (stream);
  while (stream->srcresult == GST_FLOW_OK && stream->queries_done < seq)
    g_cond_wait (&stream->query_handled, &self->lock);
  if (stream->srcresult != GST_FLOW_OK) {
    /* the caller frees the query when we return: it must not stay queued
     * (a later flush or pop would touch freed memory) */
    shed_queue_remove_other (self->shed, stream->id, query);
    goto out_flushing;
  }
  res = stream->last_query;
  GST_PRIO_QUEUE_UNLOCK (self);
  return res;

  /* ERRORS */
out_flushing:
  {
    GST_DEBUG_OBJECT (pad, "flushing, query not handled");
    GST_PRIO_QUEUE_UNLOCK (self);
    return FALSE;
  }
}

/* ------------------------------------------------------------------ */
/* src side */

/* After downstream returned EOS: drop what cannot be pushed anymore, up
 * to an item that can (EOS, SEGMENT, STREAM_START). Returns it, or NULL.
 * With the lock. */
static gpointer
skip_after_eos_locked (GstPrioQueue * self, PrioStream * stream,
    ShedPopInfo * info, DropWork * work)
{
  gpointer item;

  while ((item = shed_queue_pop (self->shed, stream->id, now_ns (), info))) {
    if (GST_IS_EVENT (item)) {
      GstEventType type = GST_EVENT_TYPE (item);
      if (type == GST_EVENT_EOS || type == GST_EVENT_SEGMENT ||
          type == GST_EVENT_STREAM_START)
        return item;
    }
    if (GST_IS_QUERY (item)) {
      query_done_locked (stream, FALSE);
      continue;
    }
    if (work->unref == NULL)
      work->unref = g_ptr_array_new ();
    g_ptr_array_add (work->unref, item);
  }
  return NULL;
}

/* the most items one call of the task function pushes */
#define PUSH_BATCH 64

/* The source task's clock over one call of the task function (see
 * now_ns ()): the "now" of the next pop, and the pushes not timed yet. */
typedef struct
{
  guint64 now;                  /* 0 = read the clock */
  guint64 run_start;            /* precise time the untimed pushes began */
  guint64 run_tick;             /* the coarse clock then */
  guint run_n;                  /* pushes since run_start */
  guint64 service;              /* the stream's service time, as the
                                 * loop read it for this item */
} TaskClock;

#define TASK_CLOCK_INIT { 0, 0, 0, 0, 0 }

/* The untimed pushes end now: read the clock, report their average
 * service time. With the lock. */
static void
task_clock_end_run_locked (GstPrioQueue * self, PrioStream * stream,
    TaskClock * clk, guint64 end)
{
  if (clk->run_n == 1)
    shed_queue_report_service (self->shed, stream->id,
        end > clk->run_start ? end - clk->run_start : 0);
  else if (clk->run_n > 1 && end > clk->run_start)
    shed_queue_report_service_n (self->shed, stream->id,
        end - clk->run_start, clk->run_n);
  clk->run_n = 0;
  clk->now = end;
  self->last_precise = MAX (self->last_precise, end);
}

/* Pops and pushes one item. Called and returns with the lock. @clk gives
 * the monotonic time to use as "now" (0: read the clock); after a buffer
 * it holds the end of its push (the next item's "now" when the task goes
 * on without waiting), else 0. */
static GstFlowReturn push_item_locked (GstPrioQueue * self,
    PrioStream * stream, DropWork * work, TaskClock * clk, gpointer item,
    ShedPopInfo * info, guint64 now);

static GstFlowReturn
push_one_locked (GstPrioQueue * self, PrioStream * stream, DropWork * work,
    TaskClock * clk)
{
  ShedPopInfo info;
  gpointer item;
  guint64 now = clk->now ? clk->now : now_ns ();

  clk->now = 0;

  item = shed_queue_pop (self->shed, stream->id, now, &info);
  if (item == NULL)
    return GST_FLOW_OK;
  GST_PRIO_QUEUE_SIGNAL_DEL (self);

  return push_item_locked (self, stream, work, clk, item, &info, now);
}

/* Downstream is fast and buffers are queued: pop a run of up to @max of
 * them under the lock at once, push them all without it, read the clock
 * once at the end (see now_ns ()). This saves a lock round trip per
 * buffer, which is a good part of what a queue costs per buffer. Only
 * while downstream takes less than FAST_SERVICE per buffer: the run is
 * out of the queue's control (it cannot shed it) for a millisecond at
 * most. When a push fails, the rest of the run goes with the failed
 * buffer, as if each had been pushed and refused; after EOS, what follows
 * is handled as in push_item_locked (). Called and returns with the
 * lock. */
static GstFlowReturn
push_run_locked (GstPrioQueue * self, PrioStream * stream, DropWork * work,
    TaskClock * clk, guint max, guint * n_pushed)
{
  GstBuffer *run[PUSH_BATCH];
  GstFlowReturn result = GST_FLOW_OK;
  guint64 service = clk->service;
  guint64 now = clk->now ? clk->now : now_ns ();
  guint64 end;
  ShedPopInfo info;
  guint n = 0, i;

  max = MIN (max, PUSH_BATCH);
  while (n < max && shed_queue_stream_head_is_buffer (self->shed, stream->id)) {
    GstBuffer *buf = shed_queue_pop (self->shed, stream->id,
        now + n * service, &info);

    if (info.discont) {
      buf = gst_buffer_make_writable (buf);
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    }
    run[n++] = buf;
  }
  GST_PRIO_QUEUE_SIGNAL_DEL (self);
  GST_PRIO_QUEUE_UNLOCK (self);

  for (i = 0; i < n && result == GST_FLOW_OK; i++)
    result = gst_pad_push (stream->srcpad, run[i]);
  *n_pushed = i;
  for (; i < n; i++)
    gst_buffer_unref (run[i]);
  end = now_ns ();

  GST_PRIO_QUEUE_LOCK (self);
  clk->now = 0;
  if (result == GST_FLOW_OK) {
    clk->run_n = n;
    clk->run_start = now;
    task_clock_end_run_locked (self, stream, clk, end);
  }
  if (stream->srcresult != GST_FLOW_OK)
    return stream->srcresult;
  if (result == GST_FLOW_EOS) {
    gpointer item;

    GST_DEBUG_OBJECT (stream->srcpad, "downstream is EOS");
    item = skip_after_eos_locked (self, stream, &info, work);
    if (item)
      return push_item_locked (self, stream, work, clk, item, &info, end);
    /* refuse data until a SEGMENT or STREAM_START comes in */
    stream->unexpected = TRUE;
    result = GST_FLOW_OK;
  }
  return result;
}

/* Pushes @item, popped at @now. Called and returns with the lock. */
static GstFlowReturn
push_item_locked (GstPrioQueue * self, PrioStream * stream, DropWork * work,
    TaskClock * clk, gpointer item, ShedPopInfo * popinfo, guint64 now)
{
  GstFlowReturn result = GST_FLOW_OK;
  ShedPopInfo info = *popinfo;

next:
  if (GST_IS_BUFFER (item)) {
    GstBuffer *buffer = GST_BUFFER_CAST (item);
    guint64 service, t1 = 0;
    gboolean fast;

    if (info.discont) {
      buffer = gst_buffer_make_writable (buffer);
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    }
    if (self->pending->len > 0 && self->drop_message_interval > 0 &&
        now - self->last_report >= self->drop_message_interval)
      flush_reports_locked (self, work, now);
    if (G_UNLIKELY (work->unref || work->messages)) {
      /* unreffing and posting is not downstream's time: end the run */
      GST_PRIO_QUEUE_UNLOCK (self);
      finish_drops (self, work);
      now = now_ns ();
      GST_PRIO_QUEUE_LOCK (self);
      task_clock_end_run_locked (self, stream, clk, now);
    }
    if (clk->run_n == 0) {
      clk->run_start = now;
      clk->run_tick = 0;
    }
    /* a fast downstream: this push is timed with the next ones */
    service = clk->service;
    fast = service > 0 && service < FAST_SERVICE && clk->run_n + 1 < PUSH_BATCH;
    GST_PRIO_QUEUE_UNLOCK (self);

    result = gst_pad_push (stream->srcpad, buffer);
    if (fast) {
      guint64 tick = coarse_ns ();

      /* the coarse clock ticked: this run took long after all */
      if (clk->run_tick == 0)
        clk->run_tick = tick;
      else if (tick != clk->run_tick)
        fast = FALSE;
    }
    if (!fast)
      t1 = now_ns ();

    GST_PRIO_QUEUE_LOCK (self);
    if (result == GST_FLOW_OK) {
      clk->run_n++;
      if (fast)
        clk->now = now + service;
      else
        task_clock_end_run_locked (self, stream, clk, t1);
    } else {
      clk->run_n = 0;
    }
    if (stream->srcresult != GST_FLOW_OK)
      return stream->srcresult;

    if (result == GST_FLOW_EOS) {
      GST_DEBUG_OBJECT (stream->srcpad, "downstream is EOS");
      item = skip_after_eos_locked (self, stream, &info, work);
      if (item)
        goto next;
      /* refuse data until a SEGMENT or STREAM_START comes in */
      stream->unexpected = TRUE;
      result = GST_FLOW_OK;
    }
  } else if (GST_IS_EVENT (item)) {
    GstEvent *event = GST_EVENT_CAST (item);
    GstEventType type = GST_EVENT_TYPE (event);

    /* the reports precede the EOS on the bus */
    if (type == GST_EVENT_EOS)
      flush_reports_locked (self, work, now);
    GST_PRIO_QUEUE_UNLOCK (self);

    finish_drops (self, work);
    gst_pad_push_event (stream->srcpad, event);

    GST_PRIO_QUEUE_LOCK (self);
    if (stream->srcresult != GST_FLOW_OK)
      return stream->srcresult;
    if (type == GST_EVENT_EOS)
      result = GST_FLOW_EOS;
  } else if (GST_IS_QUERY (item)) {
    GstQuery *query = GST_QUERY_CAST (item);
    gboolean res;

    GST_PRIO_QUEUE_UNLOCK (self);
    res = gst_pad_peer_query (stream->srcpad, query);
    GST_PRIO_QUEUE_LOCK (self);
    if (stream->srcresult != GST_FLOW_OK) {
      query_done_locked (stream, FALSE);
      return stream->srcresult;
    }
    query_done_locked (stream, res);
  }

  return result;
}


static void
gst_prio_queue_loop (PrioStream * stream)
{
  GstPrioQueue *self = stream->self;
  DropWork work = DROP_WORK_INIT;
  GstFlowReturn ret;
  TaskClock clk = TASK_CLOCK_INIT;
  guint n = 0;

  GST_PRIO_QUEUE_LOCK_CHECK (self, stream, out_flushing);

  while (shed_queue_stream_is_empty (self->shed, stream->id)) {
    GST_LOG_OBJECT (stream->srcpad, "empty");
    GST_PRIO_QUEUE_UNLOCK (self);
    g_signal_emit (self, prio_queue_signals[SIGNAL_UNDERRUN], 0);
    GST_PRIO_QUEUE_LOCK_CHECK (self, stream, out_flushing);

    while (shed_queue_stream_is_empty (self->shed, stream->id)) {
      stream->waiting_add = TRUE;
      g_cond_wait (&stream->item_add, &self->lock);
      stream->waiting_add = FALSE;
      if (stream->srcresult != GST_FLOW_OK)
        goto out_flushing;
    }
  }

  /* Up to PUSH_BATCH items per call while the queue is not empty: the end
   * of one push is the next pop's "now" (only the task's own bookkeeping
   * in between), and pushes to a fast downstream are timed together (see
   * now_ns ()). A flush or an error ends the batch at once (srcresult). */
  do {
    guint64 service = shed_queue_get_service_time (self->shed, stream->id);
    guint done = 1;

    clk.service = service;
    /* runs only while nobody waits for room (mode=block): a run frees
     * room in steps of many buffers, and the waiting upstream thread woke
     * and blocked more often than with one buffer at a time */
    if (service > 0 && service < FAST_SERVICE && clk.run_n == 0 &&
        self->waiting_del == 0 && self->pending->len == 0 && !work.unref &&
        !work.messages &&
        shed_queue_stream_head_is_buffer (self->shed, stream->id))
      ret = push_run_locked (self, stream, &work, &clk, PUSH_BATCH - n, &done);
    else
      ret = push_one_locked (self, stream, &work, &clk);
    if (stream->srcresult == GST_FLOW_OK)
      stream->srcresult = ret;
    if (stream->srcresult != GST_FLOW_OK)
      goto out_flushing;
    n += MAX (done, 1);
  } while (n < PUSH_BATCH &&
      !shed_queue_stream_is_empty (self->shed, stream->id));
  if (clk.run_n > 0) {
    guint64 end;

    GST_PRIO_QUEUE_UNLOCK (self);
    end = now_ns ();
    GST_PRIO_QUEUE_LOCK (self);
    task_clock_end_run_locked (self, stream, &clk, end);
  }
  GST_PRIO_QUEUE_UNLOCK (self);
  finish_drops (self, &work);
  return;

  /* ERRORS */
out_flushing:
  {
    gboolean eos = stream->eos;
    GstFlowReturn res = stream->srcresult;

    gst_pad_pause_task (stream->srcpad);
    GST_LOG_OBJECT (stream->srcpad, "pausing task: %s",
        gst_flow_get_name (res));
    /* not-linked: a reconfigure restarts us; EOS: a new stream may */
    if (res != GST_FLOW_NOT_LINKED && res != GST_FLOW_EOS) {
      flush_stream_locked (self, stream, FALSE);
    } else {
      GST_PRIO_QUEUE_SIGNAL_DEL (self);
      query_done_locked (stream, FALSE);
    }
    GST_PRIO_QUEUE_UNLOCK (self);
    finish_drops (self, &work);
    /* upstream will not learn about it: tell the application */
    if (eos && (res == GST_FLOW_NOT_LINKED || res < GST_FLOW_EOS)) {
      GST_ELEMENT_FLOW_ERROR (self, res);
      gst_pad_push_event (stream->srcpad, gst_event_new_eos ());
    }
    return;
  }
}

static gboolean
gst_prio_queue_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (parent);
  PrioStream *stream = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_RECONFIGURE:
      GST_PRIO_QUEUE_LOCK (self);
      if (stream->srcresult == GST_FLOW_NOT_LINKED) {
        /* downstream may be linked again: try pushing */
        stream->srcresult = GST_FLOW_OK;
        gst_pad_start_task (pad, (GstTaskFunction) gst_prio_queue_loop,
            stream, NULL);
      }
      GST_PRIO_QUEUE_UNLOCK (self);
      return gst_pad_push_event (stream->sinkpad, event);
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
gst_prio_queue_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (parent);
  gboolean res;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SCHEDULING:
      gst_query_add_scheduling_mode (query, GST_PAD_MODE_PUSH);
      return TRUE;
    default:
      res = gst_pad_query_default (pad, parent, query);
      break;
  }
  if (!res)
    return FALSE;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_POSITION:
    {
      gint64 pos;
      GstFormat format;
      guint64 bytes, time;

      gst_query_parse_position (query, &format, &pos);
      GST_PRIO_QUEUE_LOCK (self);
      shed_queue_get_level (self->shed, NULL, &bytes, &time);
      GST_PRIO_QUEUE_UNLOCK (self);
      if (format == GST_FORMAT_BYTES)
        pos = MAX (0, pos - (gint64) bytes);
      else if (format == GST_FORMAT_TIME)
        pos = MAX (0, pos - (gint64) time);
      else
        break;
      gst_query_set_position (query, format, pos);
      break;
    }
    case GST_QUERY_LATENCY:
    {
      gboolean live;
      GstClockTime min, max, max_time;
      GstPrioQueueMode mode;

      gst_query_parse_latency (query, &live, &min, &max);
      GST_PRIO_QUEUE_LOCK (self);
      max_time = self->max_size_time;
      mode = self->mode;
      GST_PRIO_QUEUE_UNLOCK (self);
      /* we can delay by up to max-size-time; shedding never delays more */
      if (max_time > 0 && mode == GST_PRIO_QUEUE_MODE_SHED)
        max = GST_CLOCK_TIME_IS_VALID (max) ? MAX (max_time, max) : max_time;
      else if (max_time > 0 && GST_CLOCK_TIME_IS_VALID (max))
        max += max_time;
      else
        max = GST_CLOCK_TIME_NONE;
      gst_query_set_latency (query, live, min, max);
      break;
    }
    default:
      break;
  }
  return TRUE;
}

static gboolean
gst_prio_queue_sink_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (parent);
  PrioStream *stream = gst_pad_get_element_private (pad);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (active) {
    GST_PRIO_QUEUE_LOCK (self);
    stream->srcresult = GST_FLOW_OK;
    stream->eos = FALSE;
    stream->unexpected = FALSE;
    GST_PRIO_QUEUE_UNLOCK (self);
  } else {
    /* unblock the chain function, wait for it, then flush */
    GST_PRIO_QUEUE_LOCK (self);
    stream->srcresult = GST_FLOW_FLUSHING;
    g_cond_broadcast (&self->item_del);
    GST_PRIO_QUEUE_UNLOCK (self);

    GST_PAD_STREAM_LOCK (pad);
    GST_PRIO_QUEUE_LOCK (self);
    flush_stream_locked (self, stream, TRUE);
    GST_PRIO_QUEUE_UNLOCK (self);
    gst_segment_init (&stream->sink_segment, GST_FORMAT_TIME);
    gst_prio_classifier_reset (stream->classifier);
    GST_PAD_STREAM_UNLOCK (pad);
  }
  return TRUE;
}

static gboolean
gst_prio_queue_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (parent);
  PrioStream *stream = gst_pad_get_element_private (pad);
  gboolean result;

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (active) {
    GST_PRIO_QUEUE_LOCK (self);
    stream->srcresult = GST_FLOW_OK;
    stream->eos = FALSE;
    stream->unexpected = FALSE;
    result = gst_pad_start_task (pad, (GstTaskFunction) gst_prio_queue_loop,
        stream, NULL);
    GST_PRIO_QUEUE_UNLOCK (self);
  } else {
    /* unblock the loop, wait for it to stop, then flush */
    GST_PRIO_QUEUE_LOCK (self);
    stream->srcresult = GST_FLOW_FLUSHING;
    g_cond_signal (&stream->item_add);
    GST_PRIO_QUEUE_UNLOCK (self);

    result = gst_pad_stop_task (pad);

    GST_PRIO_QUEUE_LOCK (self);
    flush_stream_locked (self, stream, FALSE);
    GST_PRIO_QUEUE_UNLOCK (self);
  }
  return result;
}

/* ------------------------------------------------------------------ */
/* request pads */

static GstPad *
gst_prio_queue_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (element);
  PrioStream *stream;
  guint index, i;

  GST_OBJECT_LOCK (self);
  if (name && sscanf (name, "sink_%u", &index) == 1) {
    for (i = 0; i < self->streams->len; i++) {
      PrioStream *s = g_ptr_array_index (self->streams, i);
      if (s->index == index) {
        GST_OBJECT_UNLOCK (self);
        GST_WARNING_OBJECT (self, "pad %s already exists", name);
        return NULL;
      }
    }
    if (index == 0) {
      GST_OBJECT_UNLOCK (self);
      GST_WARNING_OBJECT (self, "sink_0 is reserved: use the sink pad");
      return NULL;
    }
  } else {
    index = self->next_index;
  }
  self->next_index = MAX (self->next_index, index + 1);
  GST_OBJECT_UNLOCK (self);

  stream = prio_stream_new (self, index, DEFAULT_PAD_PRIORITY);
  if (stream->id < 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Too many streams"), ("at most %d streams", SHED_MAX_STREAMS));
    gst_object_unref (gst_object_ref_sink (stream->sinkpad));
    gst_object_unref (gst_object_ref_sink (stream->srcpad));
    prio_stream_free (stream);
    return NULL;
  }

  GST_PRIO_QUEUE_LOCK (self);
  g_ptr_array_add (self->streams, stream);
  GST_PRIO_QUEUE_UNLOCK (self);

  gst_element_add_pad (element, stream->srcpad);
  gst_element_add_pad (element, stream->sinkpad);
  return stream->sinkpad;
}

static void
gst_prio_queue_release_pad (GstElement * element, GstPad * pad)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (element);
  PrioStream *stream = gst_pad_get_element_private (pad);
  FlushData fd;

  if (stream == NULL || stream->index == 0)
    return;

  gst_pad_set_active (stream->sinkpad, FALSE);
  gst_pad_set_active (stream->srcpad, FALSE);

  fd.stream = stream;
  fd.full = TRUE;
  GST_PRIO_QUEUE_LOCK (self);
  shed_queue_remove_stream (self->shed, stream->id, flush_item, &fd);
  g_ptr_array_remove (self->streams, stream);
  GST_PRIO_QUEUE_UNLOCK (self);

  gst_element_remove_pad (element, stream->srcpad);
  gst_element_remove_pad (element, stream->sinkpad);
  prio_stream_free (stream);
}

static void
gst_prio_queue_pad_priority_changed (GstPrioQueuePad * pad)
{
  GstPrioQueue *self;
  PrioStream *stream = gst_pad_get_element_private (GST_PAD (pad));
  gint prio;

  if (stream == NULL)
    return;
  self = stream->self;
  GST_OBJECT_LOCK (pad);
  prio = pad->priority;
  GST_OBJECT_UNLOCK (pad);
  GST_PRIO_QUEUE_LOCK (self);
  shed_queue_set_stream_priority (self->shed, stream->id, prio);
  GST_PRIO_QUEUE_UNLOCK (self);
}

/* ------------------------------------------------------------------ */
/* properties */

static GstStructure *
build_stats_locked (GstPrioQueue * self)
{
  ShedStats st;
  PrioStream *s0 = g_ptr_array_index (self->streams, 0);

  shed_queue_get_stats (self->shed, &st);
  return gst_structure_new ("application/x-prioqueue-stats",
      "in-high", G_TYPE_UINT64, st.in[SHED_CLASS_HIGH],
      "in-normal", G_TYPE_UINT64, st.in[SHED_CLASS_NORMAL],
      "in-low", G_TYPE_UINT64, st.in[SHED_CLASS_LOW],
      "out-high", G_TYPE_UINT64, st.out[SHED_CLASS_HIGH],
      "out-normal", G_TYPE_UINT64, st.out[SHED_CLASS_NORMAL],
      "out-low", G_TYPE_UINT64, st.out[SHED_CLASS_LOW],
      "dropped-high", G_TYPE_UINT64, st.dropped[SHED_CLASS_HIGH],
      "dropped-normal", G_TYPE_UINT64, st.dropped[SHED_CLASS_NORMAL],
      "dropped-low", G_TYPE_UINT64, st.dropped[SHED_CLASS_LOW],
      "dropped-max-size-buffers", G_TYPE_UINT64,
      st.dropped_reason[SHED_REASON_BUFFERS],
      "dropped-max-size-bytes", G_TYPE_UINT64,
      st.dropped_reason[SHED_REASON_BYTES],
      "dropped-max-size-time", G_TYPE_UINT64,
      st.dropped_reason[SHED_REASON_TIME],
      "dropped-latency", G_TYPE_UINT64,
      st.dropped_reason[SHED_REASON_LATENCY],
      "dropped-keyframe-wait", G_TYPE_UINT64,
      st.dropped_reason[SHED_REASON_KEYFRAME_WAIT],
      "keyframe-waits", G_TYPE_UINT64, st.keyframe_waits,
      "high-dropped-lower-queued", G_TYPE_UINT64,
      st.high_dropped_lower_queued,
      "flushed", G_TYPE_UINT64, st.flushed,
      "current-level-buffers", G_TYPE_UINT, st.level_buffers,
      "current-level-bytes", G_TYPE_UINT64, st.level_bytes,
      "current-level-time", G_TYPE_UINT64, st.level_time,
      "level-high", G_TYPE_UINT, st.level_class[SHED_CLASS_HIGH],
      "level-normal", G_TYPE_UINT, st.level_class[SHED_CLASS_NORMAL],
      "level-low", G_TYPE_UINT, st.level_class[SHED_CLASS_LOW],
      "queue-time-p50", G_TYPE_UINT64, st.sojourn_p50,
      "queue-time-p99", G_TYPE_UINT64, st.sojourn_p99,
      "queue-time-max", G_TYPE_UINT64, st.sojourn_max,
      "service-time", G_TYPE_UINT64,
      shed_queue_get_service_time (self->shed, s0->id), NULL);
}

static void
gst_prio_queue_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (object);
  DropWork work = DROP_WORK_INIT;
  ShedConfig cfg;

  GST_PRIO_QUEUE_LOCK (self);
  switch (prop_id) {
    case PROP_MAX_SIZE_BUFFERS:
      self->max_size_buffers = g_value_get_uint (value);
      break;
    case PROP_MAX_SIZE_BYTES:
      self->max_size_bytes = g_value_get_uint (value);
      break;
    case PROP_MAX_SIZE_TIME:
      self->max_size_time = g_value_get_uint64 (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_DROP_MESSAGE_INTERVAL:
      self->drop_message_interval = g_value_get_uint64 (value);
      break;
    default:
      GST_PRIO_QUEUE_UNLOCK (self);
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
  }
  /* new limits: in shed mode what no longer fits goes now; a blocked
   * upstream may have room */
  cfg = config_locked (self);
  shed_queue_configure (self->shed, &cfg);
  take_drops_locked (self, &work, now_ns ());
  g_cond_broadcast (&self->item_del);
  GST_PRIO_QUEUE_UNLOCK (self);

  finish_drops (self, &work);
}

static void
gst_prio_queue_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstPrioQueue *self = GST_PRIO_QUEUE (object);
  guint buffers;
  guint64 bytes, time;

  GST_PRIO_QUEUE_LOCK (self);
  switch (prop_id) {
    case PROP_CUR_LEVEL_BUFFERS:
      shed_queue_get_level (self->shed, &buffers, NULL, NULL);
      g_value_set_uint (value, buffers);
      break;
    case PROP_CUR_LEVEL_BYTES:
      shed_queue_get_level (self->shed, NULL, &bytes, NULL);
      g_value_set_uint (value, (guint) MIN (bytes, G_MAXUINT));
      break;
    case PROP_CUR_LEVEL_TIME:
      shed_queue_get_level (self->shed, NULL, NULL, &time);
      g_value_set_uint64 (value, time);
      break;
    case PROP_MAX_SIZE_BUFFERS:
      g_value_set_uint (value, self->max_size_buffers);
      break;
    case PROP_MAX_SIZE_BYTES:
      g_value_set_uint (value, self->max_size_bytes);
      break;
    case PROP_MAX_SIZE_TIME:
      g_value_set_uint64 (value, self->max_size_time);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_DROP_MESSAGE_INTERVAL:
      g_value_set_uint64 (value, self->drop_message_interval);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, build_stats_locked (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_PRIO_QUEUE_UNLOCK (self);
}
