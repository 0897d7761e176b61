/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-chunkreorder
 * @title: chunkreorder
 * @see_also: rtpjitterbuffer, netsim
 *
 * Restores the order of a stream of media chunks that arrive out of order:
 * RTP over a lossy or multi-path network, chunks finished by parallel
 * workers, chunks an application pushes in through appsrc. It detects gaps
 * and duplicates and never waits forever.
 *
 * The sequence number of a buffer comes from #GstChunkMeta, from the RTP
 * header (16 bits, extended to 64 bits across wraparound) or from
 * GST_BUFFER_OFFSET, see #GstChunkReorder:seqnum-source.
 *
 * A buffer that is the next one expected is pushed straight through in the
 * streaming thread: no queue, no thread hand-off, no added latency. A buffer
 * that arrives ahead of a gap is held in a preallocated ring until the gap
 * fills, until it falls out of #GstChunkReorder:window, until a hard cap
 * (#GstChunkReorder:max-size-buffers, #GstChunkReorder:max-size-bytes) is
 * hit, or until the gap has held output for #GstChunkReorder:timeout on the
 * pipeline clock. A skipped gap is reported downstream before the next
 * buffer, which carries the DISCONT flag: for RTP with the standard
 * `GstRTPPacketLost` event that depayloaders understand, otherwise with a
 * `GstChunkLost` event. Applications get a rate-limited `chunkreorder-lost`
 * element message and the #GstChunkReorder:stats counters.
 *
 * The first buffers of a numbering (at the start, after a flush or a
 * sender restart) may arrive in any order too: like rtpjitterbuffer with
 * its first packet, chunkreorder holds them until they span the whole
 * #GstChunkReorder:window or the first one has been held for
 * #GstChunkReorder:timeout, then pushes them from the lowest number on.
 *
 * At most one clock wait is armed, however many gaps are open: a helper
 * thread sleeps on a condition variable while nothing is held and on a
 * single clock id while a gap holds output. Without a clock (or with
 * #GstChunkReorder:timeout = 0) only the window and the caps release gaps.
 *
 * Serialized events (segment, caps, tags, custom events, EOS) release
 * everything held, in order, before they are forwarded, so that no buffer
 * crosses an event. stream-start and a caps change between RTP and other
 * media also start a new numbering; flush-stop forgets what is held.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 udpsrc port=5004 caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264" ! \
 *     chunkreorder window=64 timeout=40000000 ! rtph264depay ! avdec_h264 ! autovideosink
 * ]| Receives H.264 over RTP, restores packet order (holding a gap at most
 * 40 ms) and tells the depayloader about packets that never arrived.
 * |[
 * gst-launch-1.0 videotestsrc is-live=true num-buffers=300 ! x264enc tune=zerolatency ! rtph264pay ! \
 *     netsim delay-probability=0.05 min-delay=2 max-delay=40 drop-probability=0.01 ! \
 *     chunkreorder ! rtph264depay ! avdec_h264 ! videoconvert ! autovideosink
 * ]| Simulates a network that reorders and loses packets, and repairs the
 * order.
 */

/* Implementation notes
 *
 *   sink ──chain──► seqnum of the chunk (meta / RTP / offset)
 *                     │ in order, nothing held: pushed in the chain, no
 *                     │ allocation (the common case)
 *                     ▼
 *                  reorderring.c (GLib only, under GST_CHUNK_REORDER_LOCK):
 *                  holds chunks ahead of a gap, gives a gap up at the
 *                  window, a size cap or its deadline, holds the first
 *                  window of every numbering ──► released chunks pushed
 *                     ▲                           on src, then lost events
 *   timer task on src: sleeps on at most one single-shot clock id for the
 *   earliest gap deadline; when it fires it takes the sink pad's
 *   STREAM_LOCK and releases like the chain would.
 *
 * Streaming state (seqnum source, RTP extension, message rate limits) is
 * only touched with the sink STREAM_LOCK held; the ring, flushing and the
 * clock id under GST_CHUNK_REORDER_LOCK, never held while pushing or
 * posting.  Properties under GST_OBJECT_LOCK reach the streaming copy
 * through an atomic "settings changed" flag.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtp/gstrtpbuffer.h>

#include "gstchunkreorder.h"
#include "gstchunkmeta.h"
#include "reorderring.h"

GST_DEBUG_CATEGORY_STATIC (gst_chunk_reorder_debug);
#define GST_CAT_DEFAULT gst_chunk_reorder_debug

#define DEFAULT_SEQNUM_SOURCE   GST_CHUNK_REORDER_SEQNUM_SOURCE_AUTO
#define DEFAULT_WINDOW          32
#define DEFAULT_TIMEOUT         (50 * GST_MSECOND)
#define MAX_TIMEOUT             (3600 * GST_SECOND)
#define DEFAULT_MAX_SIZE_BUFFERS 0
#define DEFAULT_MAX_SIZE_BYTES  0
#define DEFAULT_MAX_DROPOUT     3000
#define DEFAULT_DROP_DUPLICATES TRUE
#define DEFAULT_VALIDATE        FALSE

/* at most this many chunkreorder-lost messages per second */
#define LOST_MESSAGE_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)

enum
{
  PROP_0,
  PROP_SEQNUM_SOURCE,
  PROP_WINDOW,
  PROP_TIMEOUT,
  PROP_MAX_SIZE_BUFFERS,
  PROP_MAX_SIZE_BYTES,
  PROP_MAX_DROPOUT,
  PROP_DROP_DUPLICATES,
  PROP_VALIDATE,
  PROP_STATS,
};

typedef enum
{
  SEQ_OK,
  SEQ_NONE,
  SEQ_INVALID,
} SeqResult;

struct _GstChunkReorder
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock */
  GstChunkReorderSeqnumSource seqnum_source;
  guint window;
  guint64 timeout;
  guint max_size_buffers;
  guint64 max_size_bytes;
  guint max_dropout;
  gboolean drop_duplicates;
  gboolean validate;
  gint settings_changed;        /* atomic: the streaming copy is stale */

  /* streaming state: only touched with the sink pad's STREAM_LOCK held
   * (chain, serialized events, the timer task when it fires) or with
   * streaming stopped */
  GstChunkReorderSeqnumSource source;
  gboolean do_validate;
  gboolean drop_dups;
  gboolean is_rtp;
  gboolean have_caps;
  gboolean rtp_numbers;         /* the last sequence number was an RTP one */
  guint64 rtp_highest;
  guint32 rtp_ssrc;
  gboolean have_ssrc;
  GstClockTime last_pts;
  gboolean warned_no_seq;
  gboolean warned_invalid;
  gboolean warned_caps;
  gint64 last_msg_time;
  guint64 msg_first;
  guint64 msg_count;
  guint msg_gaps;

  /* dataflow state, under self->lock */
  GMutex lock;
  GCond cond;
  ReorderRing *ring;
  gboolean flushing;
  gboolean src_active;          /* the source pad is active: a FLUSH_STOP
                                 * restarts the task only then */
  gboolean playing;
  gboolean restart_pending;     /* the ring starts a new numbering (reset) */
  GstFlowReturn srcresult;      /* error of a push done by the timer task */
  gboolean task_waiting;        /* the task sleeps on cond */
  GstClockID clock_id;          /* the one armed clock wait, or NULL */
  GstClockTime clock_id_time;   /* its running time */
};

#define GST_CHUNK_REORDER_LOCK(s) g_mutex_lock (&(s)->lock)
#define GST_CHUNK_REORDER_UNLOCK(s) g_mutex_unlock (&(s)->lock)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define gst_chunk_reorder_parent_class parent_class
G_DEFINE_TYPE (GstChunkReorder, gst_chunk_reorder, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (chunkreorder, "chunkreorder", GST_RANK_NONE,
    GST_TYPE_CHUNK_REORDER);

GType
gst_chunk_reorder_seqnum_source_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {GST_CHUNK_REORDER_SEQNUM_SOURCE_AUTO,
        "GstChunkMeta if present, else RTP for application/x-rtp, "
          "else the buffer offset", "auto"},
    {GST_CHUNK_REORDER_SEQNUM_SOURCE_META, "GstChunkMeta seqnum", "meta"},
    {GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP,
        "RTP sequence number (extended to 64 bits)", "rtp"},
    {GST_CHUNK_REORDER_SEQNUM_SOURCE_OFFSET, "GST_BUFFER_OFFSET", "offset"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType tmp = g_enum_register_static ("GstChunkReorderSeqnumSource", values);
    g_once_init_leave (&id, tmp);
  }

  return (GType) id;
}

static void gst_chunk_reorder_finalize (GObject * object);
static void gst_chunk_reorder_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_chunk_reorder_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_chunk_reorder_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_chunk_reorder_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static GstFlowReturn gst_chunk_reorder_sink_event_full (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_chunk_reorder_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_chunk_reorder_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_chunk_reorder_src_activate_mode (GstPad * pad,
    GstObject * parent, GstPadMode mode, gboolean active);
static void gst_chunk_reorder_loop (gpointer user_data);

static void
gst_chunk_reorder_class_init (GstChunkReorderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_chunk_reorder_finalize;
  gobject_class->set_property = gst_chunk_reorder_set_property;
  gobject_class->get_property = gst_chunk_reorder_get_property;

  /**
   * GstChunkReorder:seqnum-source:
   *
   * Where the sequence number of a buffer comes from. `auto` takes the
   * #GstChunkMeta when the buffer has one, else the RTP sequence number
   * with application/x-rtp caps, else GST_BUFFER_OFFSET when it is valid.
   * Buffers without any sequence number pass through unchanged (one
   * warning, counted as passthrough). `rtp` with other caps fails
   * negotiation.
   */
  g_object_class_install_property (gobject_class, PROP_SEQNUM_SOURCE,
      g_param_spec_enum ("seqnum-source", "Sequence number source",
          "Where the sequence number of a buffer comes from",
          GST_TYPE_CHUNK_REORDER_SEQNUM_SOURCE, DEFAULT_SEQNUM_SOURCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstChunkReorder:window:
   *
   * The largest out-of-order distance held, in sequence numbers. A buffer
   * that many or more ahead of a gap gives the gap up as lost. At the start
   * of a numbering, buffers are held until they span this many numbers (or
   * the timeout passes). The ring holding buffers is allocated for this
   * size once.
   */
  g_object_class_install_property (gobject_class, PROP_WINDOW,
      g_param_spec_uint ("window", "Window",
          "Largest out-of-order distance held, in sequence numbers",
          1, REORDER_MAX_WINDOW, DEFAULT_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:timeout:
   *
   * The longest time, in nanoseconds of the pipeline clock, that a gap may
   * hold back output, counted from the arrival of the first buffer held
   * behind it, and the longest the first buffer of a numbering is held
   * (in case lower numbers arrive after it). 0 = only the window and the
   * caps release a gap and end the start. Without a clock only the window
   * applies. In a live pipeline the latency query adds this value to the
   * minimum latency.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Longest time a gap may hold output in ns (0 = window only)",
          0, MAX_TIMEOUT, DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:max-size-buffers:
   *
   * Hard cap on the number of buffers held (0 = the window alone bounds
   * it). When it is exceeded the oldest gap is given up and the buffers
   * behind it are released in order (counted in `overflows`).
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BUFFERS,
      g_param_spec_uint ("max-size-buffers", "Max size buffers",
          "Most buffers held (0 = bounded by the window only)",
          0, REORDER_MAX_WINDOW, DEFAULT_MAX_SIZE_BUFFERS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:max-size-bytes:
   *
   * Hard cap on the bytes held (0 = unlimited). When it is exceeded the
   * oldest gap is given up and the buffers behind it are released in order
   * (counted in `overflows`).
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE_BYTES,
      g_param_spec_uint64 ("max-size-bytes", "Max size bytes",
          "Most bytes held (0 = unlimited)", 0, G_MAXUINT64,
          DEFAULT_MAX_SIZE_BYTES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:max-dropout:
   *
   * A jump of the sequence number larger than this, forwards or backwards,
   * is taken as a sender restart: what is held is released in order and
   * the numbering restarts at the new value (counted in `resets`; the next
   * buffer carries DISCONT). Raised to the window when smaller.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_DROPOUT,
      g_param_spec_uint ("max-dropout", "Max dropout",
          "Sequence number jump taken as a sender restart", 1, G_MAXUINT,
          DEFAULT_MAX_DROPOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:drop-duplicates:
   *
   * Drop a buffer whose sequence number was already pushed or is held.
   * When %FALSE duplicates are pushed at once (and counted as pushed).
   */
  g_object_class_install_property (gobject_class, PROP_DROP_DUPLICATES,
      g_param_spec_boolean ("drop-duplicates", "Drop duplicates",
          "Drop buffers whose sequence number was already seen",
          DEFAULT_DROP_DUPLICATES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:validate:
   *
   * Verify the checksum of buffers whose #GstChunkMeta carries one; a
   * mismatching buffer is dropped and counted as `invalid`.
   */
  g_object_class_install_property (gobject_class, PROP_VALIDATE,
      g_param_spec_boolean ("validate", "Validate",
          "Verify GstChunkMeta checksums and drop mismatching buffers",
          DEFAULT_VALIDATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstChunkReorder:stats:
   *
   * Counters since the element went to PAUSED, as an
   * `application/x-chunkreorder-stats` structure of #guint64 fields:
   *
   * * `in`: buffers received (with or without sequence number)
   * * `pushed`: buffers pushed downstream
   * * `reordered`: buffers that were held, then pushed
   * * `max-reorder-distance`: largest distance ahead of a gap seen
   * * `gaps`: gaps given up (each announced by one lost event)
   * * `lost`: sequence numbers given up
   * * `duplicates`: buffers whose sequence number was already seen
   * * `late`: buffers arriving after their gap was given up (dropped)
   * * `invalid`: buffers dropped for a bad checksum or RTP header
   * * `overflows`: times a max-size cap forced a gap open
   * * `resets`: sender restarts (max-dropout jumps, RTP SSRC changes)
   * * `timeouts`: gaps given up because their timeout expired
   * * `passthrough`: buffers without sequence number, pushed unchanged
   * * `dropped`: duplicates dropped + late + invalid
   * * `flushed`: held buffers discarded by a flush or refused downstream
   * * `held`: buffers held now
   * * `held-bytes`: bytes held now
   *
   * They always balance: in = pushed + dropped + flushed + held.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters (see the documentation), an "
          "application/x-chunkreorder-stats structure",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Chunk reorderer", "Filter/Network",
      "Restores the order of media chunks (RTP packets, GstChunkMeta chunks, "
      "offset-numbered buffers) that arrive out of order; reports gaps, drops "
      "duplicates and never waits longer than a timeout",
      "gst-livestream authors");

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_chunk_reorder_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_CHUNK_REORDER_SEQNUM_SOURCE, 0);

  GST_DEBUG_CATEGORY_INIT (gst_chunk_reorder_debug, "chunkreorder", 0,
      "chunk reorderer");
}

static void
gst_chunk_reorder_fill_config (GstChunkReorder * self, ReorderConfig * cfg)
{
  cfg->window = self->window;
  cfg->max_buffers = self->max_size_buffers;
  cfg->max_bytes = self->max_size_bytes;
  cfg->max_dropout = self->max_dropout;
  cfg->timeout = self->timeout;
  cfg->drop_duplicates = self->drop_duplicates;
}

static void
gst_chunk_reorder_init (GstChunkReorder * self)
{
  ReorderConfig cfg;

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_chunk_reorder_chain));
  gst_pad_set_event_full_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_chunk_reorder_sink_event_full));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_chunk_reorder_src_query));
  gst_pad_set_activatemode_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_chunk_reorder_src_activate_mode));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->seqnum_source = DEFAULT_SEQNUM_SOURCE;
  self->window = DEFAULT_WINDOW;
  self->timeout = DEFAULT_TIMEOUT;
  self->max_size_buffers = DEFAULT_MAX_SIZE_BUFFERS;
  self->max_size_bytes = DEFAULT_MAX_SIZE_BYTES;
  self->max_dropout = DEFAULT_MAX_DROPOUT;
  self->drop_duplicates = DEFAULT_DROP_DUPLICATES;
  self->validate = DEFAULT_VALIDATE;

  self->source = self->seqnum_source;
  self->drop_dups = self->drop_duplicates;
  self->do_validate = self->validate;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  gst_chunk_reorder_fill_config (self, &cfg);
  self->ring = reorder_ring_new (&cfg);
  self->flushing = TRUE;
  self->srcresult = GST_FLOW_FLUSHING;
  self->clock_id_time = GST_CLOCK_TIME_NONE;
  self->last_pts = GST_CLOCK_TIME_NONE;
}

static void
gst_chunk_reorder_finalize (GObject * object)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (object);

  reorder_ring_free (self->ring, (GDestroyNotify) gst_buffer_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* Reset what belongs to one stream. Streaming thread (or stopped). */
static void
gst_chunk_reorder_reset_stream (GstChunkReorder * self)
{
  self->rtp_highest = 0;
  self->have_ssrc = FALSE;
  self->last_pts = GST_CLOCK_TIME_NONE;
  self->warned_no_seq = FALSE;
  self->warned_invalid = FALSE;
  self->warned_caps = FALSE;
}

static GstStructure *
gst_chunk_reorder_make_stats (GstChunkReorder * self)
{
  ReorderStats st;

  GST_CHUNK_REORDER_LOCK (self);
  st = *reorder_ring_get_stats (self->ring);
  GST_CHUNK_REORDER_UNLOCK (self);

  return gst_structure_new ("application/x-chunkreorder-stats",
      "in", G_TYPE_UINT64, st.in,
      "pushed", G_TYPE_UINT64, st.pushed,
      "reordered", G_TYPE_UINT64, st.reordered,
      "max-reorder-distance", G_TYPE_UINT64, st.max_reorder_distance,
      "gaps", G_TYPE_UINT64, st.gaps,
      "lost", G_TYPE_UINT64, st.lost,
      "duplicates", G_TYPE_UINT64, st.duplicates,
      "late", G_TYPE_UINT64, st.late,
      "invalid", G_TYPE_UINT64, st.invalid,
      "overflows", G_TYPE_UINT64, st.overflows,
      "resets", G_TYPE_UINT64, st.resets,
      "timeouts", G_TYPE_UINT64, st.timeouts,
      "passthrough", G_TYPE_UINT64, st.passthrough,
      "dropped", G_TYPE_UINT64, st.dropped,
      "flushed", G_TYPE_UINT64, st.flushed,
      "held", G_TYPE_UINT64, (guint64) st.held,
      "held-bytes", G_TYPE_UINT64, st.held_bytes, NULL);
}

static void
gst_chunk_reorder_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SEQNUM_SOURCE:
      self->seqnum_source = g_value_get_enum (value);
      break;
    case PROP_WINDOW:
      self->window = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_MAX_SIZE_BUFFERS:
      self->max_size_buffers = g_value_get_uint (value);
      break;
    case PROP_MAX_SIZE_BYTES:
      self->max_size_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_DROPOUT:
      self->max_dropout = g_value_get_uint (value);
      break;
    case PROP_DROP_DUPLICATES:
      self->drop_duplicates = g_value_get_boolean (value);
      break;
    case PROP_VALIDATE:
      self->validate = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  /* picked up by the streaming thread with the next buffer or event */
  g_atomic_int_set (&self->settings_changed, 1);
}

static void
gst_chunk_reorder_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_chunk_reorder_make_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SEQNUM_SOURCE:
      g_value_set_enum (value, self->seqnum_source);
      break;
    case PROP_WINDOW:
      g_value_set_uint (value, self->window);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_MAX_SIZE_BUFFERS:
      g_value_set_uint (value, self->max_size_buffers);
      break;
    case PROP_MAX_SIZE_BYTES:
      g_value_set_uint64 (value, self->max_size_bytes);
      break;
    case PROP_MAX_DROPOUT:
      g_value_set_uint (value, self->max_dropout);
      break;
    case PROP_DROP_DUPLICATES:
      g_value_set_boolean (value, self->drop_duplicates);
      break;
    case PROP_VALIDATE:
      g_value_set_boolean (value, self->validate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Running time of the element clock, or REORDER_TIME_NONE without a clock.
 * Called with self->lock (lock order: self->lock, then the object lock). */
static guint64
gst_chunk_reorder_running_time_locked (GstChunkReorder * self)
{
  GstClock *clock;
  GstClockTime base_time, now;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self);
  if (clock == NULL) {
    GST_OBJECT_UNLOCK (self);
    return REORDER_TIME_NONE;
  }
  gst_object_ref (clock);
  base_time = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);

  now = gst_clock_get_time (clock);
  gst_object_unref (clock);

  return now > base_time ? now - base_time : 0;
}

/* The deadline may have changed: make the timer task wait for it.
 * Called with self->lock. At most one clock id exists: when the task waits
 * for a later time than the new deadline, the wait is unscheduled and the
 * task re-arms. A wait for an earlier time than needed is left to fire; the
 * task then re-arms for the current deadline (deadlines only move later
 * while buffers are held, so this costs one wake-up per timeout period at
 * most, instead of one per gap). */
static void
gst_chunk_reorder_update_timer_locked (GstChunkReorder * self)
{
  guint64 deadline;

  if (!self->playing)
    return;

  deadline = reorder_ring_deadline (self->ring);
  if (deadline == REORDER_TIME_NONE)
    return;

  if (self->clock_id != NULL) {
    if (deadline < self->clock_id_time) {
      GST_LOG_OBJECT (self, "deadline moved earlier, re-arming");
      gst_clock_id_unschedule (self->clock_id);
    }
  } else if (self->task_waiting) {
    g_cond_signal (&self->cond);
  }
}

static void
gst_chunk_reorder_post_lost_message (GstChunkReorder * self)
{
  GstStructure *s;
  guint64 total;

  if (self->msg_gaps == 0)
    return;

  GST_CHUNK_REORDER_LOCK (self);
  total = reorder_ring_get_stats (self->ring)->lost;
  GST_CHUNK_REORDER_UNLOCK (self);

  s = gst_structure_new ("chunkreorder-lost",
      "first-seqnum", G_TYPE_UINT64, self->msg_first,
      "count", G_TYPE_UINT64, self->msg_count,
      "gaps", G_TYPE_UINT, self->msg_gaps,
      "total-lost", G_TYPE_UINT64, total, NULL);
  self->msg_gaps = 0;
  self->msg_count = 0;
  self->last_msg_time = g_get_monotonic_time ();

  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* Tell downstream and the application that [first, first + count) will not
 * come, before pushing @next. Streaming thread, no lock held. */
static void
gst_chunk_reorder_send_lost (GstChunkReorder * self, guint64 first,
    guint64 count, GstBuffer * next)
{
  GstClockTime pts = GST_BUFFER_PTS (next);
  GstClockTime ts = GST_CLOCK_TIME_NONE, duration = 0;
  GstStructure *s;
  gint64 now;

  /* spread the lost chunks evenly between the neighbouring timestamps */
  if (GST_CLOCK_TIME_IS_VALID (pts)) {
    if (GST_CLOCK_TIME_IS_VALID (self->last_pts) && pts >= self->last_pts) {
      GstClockTime step = (pts - self->last_pts) / (count + 1);
      ts = self->last_pts + step;
      duration = step * count;
    } else {
      ts = pts;
    }
  }

  GST_DEBUG_OBJECT (self, "lost %" G_GUINT64_FORMAT " from %" G_GUINT64_FORMAT
      " at %" GST_TIME_FORMAT, count, first, GST_TIME_ARGS (ts));

  if (self->rtp_numbers) {
    /* depayloaders turn it into a GAP event, which needs a timestamp */
    if (GST_CLOCK_TIME_IS_VALID (ts)) {
      s = gst_structure_new ("GstRTPPacketLost",
          "seqnum", G_TYPE_UINT, (guint) (first & 0xffff),
          "timestamp", G_TYPE_UINT64, ts,
          "duration", G_TYPE_UINT64, duration,
          "retry", G_TYPE_UINT, 0, "count", G_TYPE_UINT, (guint) count, NULL);
      gst_pad_push_event (self->srcpad,
          gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
    }
  } else {
    s = gst_structure_new ("GstChunkLost",
        "first-seqnum", G_TYPE_UINT64, first,
        "count", G_TYPE_UINT64, count,
        "timestamp", G_TYPE_UINT64, ts,
        "duration", G_TYPE_UINT64, duration, NULL);
    gst_pad_push_event (self->srcpad,
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s));
  }

  if (self->msg_gaps == 0)
    self->msg_first = self->rtp_numbers ? (first & 0xffff) : first;
  self->msg_gaps++;
  self->msg_count += count;
  now = g_get_monotonic_time ();
  if (self->last_msg_time == 0
      || now - self->last_msg_time >= LOST_MESSAGE_INTERVAL_US)
    gst_chunk_reorder_post_lost_message (self);
}

/* Push what the ring released, in order, each gap announced first.
 * Streaming thread (sink STREAM_LOCK held), self->lock not held. */
static GstFlowReturn
gst_chunk_reorder_push_outputs (GstChunkReorder * self)
{
  ReorderOutput *out;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i, n, undelivered = 0;

  /* only STREAM_LOCK holders change the output list */
  out = reorder_ring_get_output (self->ring, &n);

  for (i = 0; i < n; i++) {
    GstBuffer *buf = out[i].item;

    if (ret != GST_FLOW_OK) {
      gst_buffer_unref (buf);
      undelivered++;
      continue;
    }

    if (out[i].lost_count > 0)
      gst_chunk_reorder_send_lost (self, out[i].lost_first,
          out[i].lost_count, buf);

    if (out[i].lost_count > 0 || out[i].reset) {
      buf = gst_buffer_make_writable (buf);
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    }
    if (GST_BUFFER_PTS_IS_VALID (buf))
      self->last_pts = GST_BUFFER_PTS (buf);

    GST_LOG_OBJECT (self, "pushing #%" G_GUINT64_FORMAT, out[i].seq);
    ret = gst_pad_push (self->srcpad, buf);
    if (ret != GST_FLOW_OK)
      GST_DEBUG_OBJECT (self, "push returned %s", gst_flow_get_name (ret));
    /* a flushing pad dropped it undelivered (the timer task pushing while
     * a FLUSH_START goes by): flushed, not pushed */
    if (ret == GST_FLOW_FLUSHING)
      undelivered++;
  }

  GST_CHUNK_REORDER_LOCK (self);
  reorder_ring_clear_output (self->ring);
  if (undelivered > 0)
    reorder_ring_count_flushed (self->ring, undelivered);
  GST_CHUNK_REORDER_UNLOCK (self);

  return ret;
}

/* Bring the streaming copy of the settings up to date; push what a
 * smaller window or cap released. Streaming thread. */
static GstFlowReturn
gst_chunk_reorder_apply_settings (GstChunkReorder * self)
{
  ReorderConfig cfg;
  guint n;

  g_atomic_int_set (&self->settings_changed, 0);

  GST_OBJECT_LOCK (self);
  gst_chunk_reorder_fill_config (self, &cfg);
  self->source = self->seqnum_source;
  self->do_validate = self->validate;
  self->drop_dups = self->drop_duplicates;
  GST_OBJECT_UNLOCK (self);

  GST_CHUNK_REORDER_LOCK (self);
  n = reorder_ring_configure (self->ring, &cfg);
  gst_chunk_reorder_update_timer_locked (self);
  GST_CHUNK_REORDER_UNLOCK (self);

  if (n > 0)
    return gst_chunk_reorder_push_outputs (self);
  return GST_FLOW_OK;
}

static SeqResult
gst_chunk_reorder_rtp_seq (GstChunkReorder * self, GstBuffer * buf,
    guint64 * seq)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq16;
  guint32 ssrc;

  if (G_UNLIKELY (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)))
    return SEQ_INVALID;
  seq16 = gst_rtp_buffer_get_seq (&rtp);
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  if (G_UNLIKELY (!self->have_ssrc || ssrc != self->rtp_ssrc)) {
    if (self->have_ssrc) {
      GST_INFO_OBJECT (self, "SSRC changed %08x -> %08x: sender restart",
          self->rtp_ssrc, ssrc);
      self->rtp_highest = 0;
      GST_CHUNK_REORDER_LOCK (self);
      self->restart_pending = TRUE;
      GST_CHUNK_REORDER_UNLOCK (self);
    }
    self->rtp_ssrc = ssrc;
    self->have_ssrc = TRUE;
  }

  *seq = reorder_ext_seq16 (&self->rtp_highest, seq16);
  self->rtp_numbers = TRUE;
  return SEQ_OK;
}

static SeqResult
gst_chunk_reorder_get_seq (GstChunkReorder * self, GstBuffer * buf,
    GstChunkMeta * meta, guint64 * seq)
{
  self->rtp_numbers = FALSE;

  switch (self->source) {
    case GST_CHUNK_REORDER_SEQNUM_SOURCE_AUTO:
      if (meta != NULL) {
        *seq = meta->seqnum;
        return SEQ_OK;
      }
      if (self->is_rtp)
        return gst_chunk_reorder_rtp_seq (self, buf, seq);
      if (GST_BUFFER_OFFSET_IS_VALID (buf)) {
        *seq = GST_BUFFER_OFFSET (buf);
        return SEQ_OK;
      }
      return SEQ_NONE;
    case GST_CHUNK_REORDER_SEQNUM_SOURCE_META:
      if (meta == NULL)
        return SEQ_NONE;
      *seq = meta->seqnum;
      return SEQ_OK;
    case GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP:
      return gst_chunk_reorder_rtp_seq (self, buf, seq);
    case GST_CHUNK_REORDER_SEQNUM_SOURCE_OFFSET:
      if (!GST_BUFFER_OFFSET_IS_VALID (buf))
        return SEQ_NONE;
      *seq = GST_BUFFER_OFFSET (buf);
      return SEQ_OK;
  }
  return SEQ_NONE;
}

static GstFlowReturn
gst_chunk_reorder_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (parent);
  GstChunkMeta *meta = NULL;
  guint64 seq = 0, now = REORDER_TIME_NONE;
  ReorderResult res;
  GstFlowReturn ret;

  if (G_UNLIKELY (g_atomic_int_get (&self->settings_changed))) {
    ret = gst_chunk_reorder_apply_settings (self);
    if (ret != GST_FLOW_OK)
      goto out_error;
  }

  if (G_UNLIKELY (self->source == GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP &&
          !self->is_rtp))
    goto not_negotiated;

  if (self->source != GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP &&
      self->source != GST_CHUNK_REORDER_SEQNUM_SOURCE_OFFSET)
    meta = gst_buffer_get_chunk_meta (buf);
  else if (G_UNLIKELY (self->do_validate))
    meta = gst_buffer_get_chunk_meta (buf);

  switch (gst_chunk_reorder_get_seq (self, buf, meta, &seq)) {
    case SEQ_OK:
      break;
    case SEQ_NONE:
      goto no_seq;
    case SEQ_INVALID:
      goto invalid_rtp;
  }

  if (G_UNLIKELY (self->do_validate && meta != NULL &&
          !gst_chunk_meta_verify_checksum (meta, buf)))
    goto bad_checksum;

  GST_CHUNK_REORDER_LOCK (self);
  if (G_UNLIKELY (self->flushing))
    goto flushing;
  if (G_UNLIKELY (self->srcresult != GST_FLOW_OK))
    goto task_error;

  if (G_UNLIKELY (self->restart_pending)) {
    self->restart_pending = FALSE;
    reorder_ring_restart (self->ring, TRUE);
  }

  /* the time is only needed for a buffer that may be held */
  if (!reorder_ring_is_next (self->ring, seq) && self->playing)
    now = gst_chunk_reorder_running_time_locked (self);

  res = reorder_ring_push (self->ring, seq, buf, gst_buffer_get_size (buf),
      now);

  if (G_LIKELY (res == REORDER_RESULT_PUSH)) {
    /* in order: straight through */
    GST_CHUNK_REORDER_UNLOCK (self);
    if (GST_BUFFER_PTS_IS_VALID (buf))
      self->last_pts = GST_BUFFER_PTS (buf);
    return gst_pad_push (self->srcpad, buf);
  }

  switch (res) {
    case REORDER_RESULT_DUPLICATE:
      GST_CHUNK_REORDER_UNLOCK (self);
      if (self->drop_dups) {
        GST_DEBUG_OBJECT (self, "dropping duplicate #%" G_GUINT64_FORMAT, seq);
        gst_buffer_unref (buf);
        return GST_FLOW_OK;
      }
      return gst_pad_push (self->srcpad, buf);
    case REORDER_RESULT_LATE:
      GST_CHUNK_REORDER_UNLOCK (self);
      GST_DEBUG_OBJECT (self, "dropping late #%" G_GUINT64_FORMAT, seq);
      gst_buffer_unref (buf);
      return GST_FLOW_OK;
    default:
      break;
  }

  GST_LOG_OBJECT (self, "took #%" G_GUINT64_FORMAT ", %u held", seq,
      reorder_ring_get_stats (self->ring)->held);
  gst_chunk_reorder_update_timer_locked (self);
  GST_CHUNK_REORDER_UNLOCK (self);

  return gst_chunk_reorder_push_outputs (self);

  /* ERRORS */
out_error:
  {
    gst_buffer_unref (buf);
    return ret;
  }
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("seqnum-source=rtp needs application/x-rtp caps"),
        ("no RTP caps were received before the buffer"));
    gst_buffer_unref (buf);
    return GST_FLOW_NOT_NEGOTIATED;
  }
no_seq:
  {
    if (!self->warned_no_seq) {
      self->warned_no_seq = TRUE;
      GST_ELEMENT_WARNING (self, STREAM, FORMAT,
          ("Buffers without a sequence number pass through unchanged"),
          ("seqnum-source=%s but the buffer has no usable sequence number "
              "(no GstChunkMeta, no RTP caps, no offset); counted as "
              "passthrough", g_enum_get_value (g_type_class_peek
                  (GST_TYPE_CHUNK_REORDER_SEQNUM_SOURCE),
                  self->source)->value_nick));
    }
    GST_CHUNK_REORDER_LOCK (self);
    reorder_ring_count_passthrough (self->ring);
    GST_CHUNK_REORDER_UNLOCK (self);
    return gst_pad_push (self->srcpad, buf);
  }
invalid_rtp:
  {
    if (!self->warned_invalid) {
      self->warned_invalid = TRUE;
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("Dropping invalid RTP packets"),
          ("a buffer of %" G_GSIZE_FORMAT " bytes is not a valid RTP packet; "
              "dropped and counted as invalid", gst_buffer_get_size (buf)));
    }
    GST_DEBUG_OBJECT (self, "dropping invalid RTP packet");
    goto count_invalid;
  }
bad_checksum:
  {
    if (!self->warned_invalid) {
      self->warned_invalid = TRUE;
      GST_ELEMENT_WARNING (self, STREAM, DECODE,
          ("Dropping chunks whose checksum does not match"),
          ("chunk #%" G_GUINT64_FORMAT " has a GstChunkMeta checksum that "
              "does not match its content; dropped and counted as invalid",
              seq));
    }
    GST_DEBUG_OBJECT (self, "dropping #%" G_GUINT64_FORMAT
        ": checksum mismatch", seq);
    goto count_invalid;
  }
count_invalid:
  {
    GST_CHUNK_REORDER_LOCK (self);
    reorder_ring_count_invalid (self->ring);
    GST_CHUNK_REORDER_UNLOCK (self);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
flushing:
  {
    GST_CHUNK_REORDER_UNLOCK (self);
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
task_error:
  {
    /* report the error of a push by the timer task once */
    ret = self->srcresult;
    self->srcresult = GST_FLOW_OK;
    GST_CHUNK_REORDER_UNLOCK (self);
    GST_DEBUG_OBJECT (self, "returning %s from an earlier push",
        gst_flow_get_name (ret));
    gst_buffer_unref (buf);
    return ret;
  }
}

/* Release what is held (in order) before a serialized event goes out.
 * With @restart, the next buffer starts a new numbering. Streaming thread. */
static GstFlowReturn
gst_chunk_reorder_drain (GstChunkReorder * self, gboolean restart)
{
  guint n;

  GST_CHUNK_REORDER_LOCK (self);
  if (restart) {
    n = reorder_ring_restart (self->ring, FALSE);
    self->restart_pending = FALSE;
  } else {
    n = reorder_ring_drain (self->ring);
  }
  GST_CHUNK_REORDER_UNLOCK (self);

  if (n == 0)
    return GST_FLOW_OK;

  GST_DEBUG_OBJECT (self, "released %u held buffers", n);
  return gst_chunk_reorder_push_outputs (self);
}

/* An event refused because the src pad is flushing or already deactivated
 * (going down to READY deactivates the src pad before the sink pad) is
 * answered with FLUSHING, as queue does: a plain FALSE becomes
 * GST_FLOW_ERROR upstream when it was a sticky event sent before a buffer,
 * and the source posts an "Internal data stream error" at shutdown. */
static GstFlowReturn
gst_chunk_reorder_sink_event_full (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (parent);
  gboolean flushing;

  if (gst_chunk_reorder_sink_event (pad, parent, event))
    return GST_FLOW_OK;
  GST_OBJECT_LOCK (self->srcpad);
  flushing = GST_PAD_IS_FLUSHING (self->srcpad);
  GST_OBJECT_UNLOCK (self->srcpad);
  return flushing ? GST_FLOW_FLUSHING : GST_FLOW_ERROR;
}

static gboolean
gst_chunk_reorder_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (parent);
  gboolean ret;

  GST_LOG_OBJECT (self, "event %" GST_PTR_FORMAT, event);

  if (GST_EVENT_IS_SERIALIZED (event) &&
      GST_EVENT_TYPE (event) != GST_EVENT_FLUSH_STOP &&
      g_atomic_int_get (&self->settings_changed))
    gst_chunk_reorder_apply_settings (self);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      GST_CHUNK_REORDER_LOCK (self);
      self->flushing = TRUE;
      self->srcresult = GST_FLOW_FLUSHING;
      if (self->clock_id)
        gst_clock_id_unschedule (self->clock_id);
      g_cond_signal (&self->cond);
      GST_CHUNK_REORDER_UNLOCK (self);
      ret = gst_pad_push_event (self->srcpad, event);
      /* the task may be pushing: downstream is flushing now, it returns */
      gst_pad_pause_task (self->srcpad);
      return ret;
    case GST_EVENT_FLUSH_STOP:
      GST_CHUNK_REORDER_LOCK (self);
      reorder_ring_clear (self->ring, (GDestroyNotify) gst_buffer_unref);
      self->restart_pending = FALSE;
      GST_CHUNK_REORDER_UNLOCK (self);
      gst_chunk_reorder_reset_stream (self);
      /* losses before the flush still get reported */
      gst_chunk_reorder_post_lost_message (self);
      ret = gst_pad_push_event (self->srcpad, event);
      /* the task again, unless the source pad went inactive meanwhile
       * (a FLUSH_STOP after it restarted the task in NULL, which nothing
       * stopped: a test's teardown waited for it forever) */
      GST_CHUNK_REORDER_LOCK (self);
      if (self->src_active) {
        self->flushing = FALSE;
        self->srcresult = GST_FLOW_OK;
        gst_pad_start_task (self->srcpad, gst_chunk_reorder_loop, self, NULL);
      }
      GST_CHUNK_REORDER_UNLOCK (self);
      return ret;
    case GST_EVENT_STREAM_START:
      gst_chunk_reorder_drain (self, TRUE);
      gst_chunk_reorder_reset_stream (self);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean is_rtp;

      gst_event_parse_caps (event, &caps);
      is_rtp = gst_caps_get_size (caps) > 0 &&
          gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "application/x-rtp");
      if (self->source == GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP && !is_rtp)
        goto not_rtp;
      /* the same caps again: nothing changes */
      if (self->have_caps) {
        GstCaps *cur = gst_pad_get_current_caps (pad);
        gboolean same = cur != NULL && gst_caps_is_equal (cur, caps);

        if (cur)
          gst_caps_unref (cur);
        if (same)
          break;
      }
      /* numbers from RTP headers and from offsets are unrelated */
      gst_chunk_reorder_drain (self, self->have_caps && is_rtp != self->is_rtp);
      self->is_rtp = is_rtp;
      self->have_caps = TRUE;
      break;
    }
    case GST_EVENT_EOS:
      gst_chunk_reorder_drain (self, FALSE);
      gst_chunk_reorder_post_lost_message (self);
      break;
    default:
      /* keep every buffer on its side of a serialized event */
      if (GST_EVENT_IS_SERIALIZED (event))
        gst_chunk_reorder_drain (self, FALSE);
      break;
  }

  return gst_pad_event_default (pad, parent, event);

  /* ERRORS */
not_rtp:
  {
    GstCaps *caps;
    gchar *str;

    gst_event_parse_caps (event, &caps);
    str = gst_caps_to_string (caps);
    if (!self->warned_caps) {
      self->warned_caps = TRUE;
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
          ("seqnum-source=rtp needs application/x-rtp caps, got %s", str),
          ("set seqnum-source to auto, meta or offset for non-RTP streams"));
    }
    g_free (str);
    gst_event_unref (event);
    return FALSE;
  }
}

static gboolean
gst_chunk_reorder_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (parent);
  gboolean ret;

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      GstClockTime min, max;
      gboolean live;
      guint64 timeout;

      ret = gst_pad_peer_query (self->sinkpad, query);
      if (!ret)
        break;
      gst_query_parse_latency (query, &live, &min, &max);
      GST_OBJECT_LOCK (self);
      timeout = self->timeout;
      GST_OBJECT_UNLOCK (self);
      /* a gap may hold a buffer back this long on the clock */
      if (live && timeout > 0) {
        min += timeout;
        if (GST_CLOCK_TIME_IS_VALID (max))
          max += timeout;
      }
      GST_DEBUG_OBJECT (self, "latency live %d min %" GST_TIME_FORMAT
          " max %" GST_TIME_FORMAT, live, GST_TIME_ARGS (min),
          GST_TIME_ARGS (max));
      gst_query_set_latency (query, live, min, max);
      break;
    }
    default:
      ret = gst_pad_query_default (pad, parent, query);
      break;
  }

  return ret;
}

/* The timer task: sleeps on self->cond while no gap has a deadline, on one
 * clock id while one has; when a deadline passes, takes the sink pad's
 * STREAM_LOCK (serialized with chain and events) and releases what
 * expired. */
static void
gst_chunk_reorder_loop (gpointer user_data)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (user_data);
  GstClock *clock = NULL;
  GstClockTime base_time = 0;
  GstClockID id;
  GstClockReturn cret;
  guint64 deadline, now;
  GstFlowReturn ret;
  guint n;

  GST_CHUNK_REORDER_LOCK (self);
  for (;;) {
    if (self->flushing)
      goto flushing;
    deadline = self->playing ? reorder_ring_deadline (self->ring) :
        REORDER_TIME_NONE;
    if (deadline != REORDER_TIME_NONE) {
      GST_OBJECT_LOCK (self);
      clock = GST_ELEMENT_CLOCK (self);
      if (clock)
        gst_object_ref (clock);
      base_time = GST_ELEMENT_CAST (self)->base_time;
      GST_OBJECT_UNLOCK (self);
      if (clock)
        break;
    }
    self->task_waiting = TRUE;
    g_cond_wait (&self->cond, &self->lock);
    self->task_waiting = FALSE;
  }

  id = gst_clock_new_single_shot_id (clock, base_time + deadline);
  gst_object_unref (clock);
  self->clock_id = id;
  self->clock_id_time = deadline;
  GST_CHUNK_REORDER_UNLOCK (self);

  GST_LOG_OBJECT (self, "waiting for %" GST_TIME_FORMAT,
      GST_TIME_ARGS (deadline));
  cret = gst_clock_id_wait (id, NULL);

  GST_CHUNK_REORDER_LOCK (self);
  self->clock_id = NULL;
  self->clock_id_time = GST_CLOCK_TIME_NONE;
  gst_clock_id_unref (id);
  if (self->flushing)
    goto flushing;
  if (cret == GST_CLOCK_UNSCHEDULED || !self->playing) {
    GST_CHUNK_REORDER_UNLOCK (self);
    return;
  }
  now = gst_chunk_reorder_running_time_locked (self);
  if (now == REORDER_TIME_NONE || now < deadline)
    now = deadline;
  /* the gap may have closed, or the deadline moved on: re-arm */
  if (reorder_ring_deadline (self->ring) > now) {
    GST_CHUNK_REORDER_UNLOCK (self);
    return;
  }
  GST_CHUNK_REORDER_UNLOCK (self);

  GST_PAD_STREAM_LOCK (self->sinkpad);
  GST_CHUNK_REORDER_LOCK (self);
  if (self->flushing) {
    GST_CHUNK_REORDER_UNLOCK (self);
    GST_PAD_STREAM_UNLOCK (self->sinkpad);
    return;
  }
  n = reorder_ring_expire (self->ring, now);
  GST_CHUNK_REORDER_UNLOCK (self);

  if (n > 0) {
    GST_DEBUG_OBJECT (self, "timeout at %" GST_TIME_FORMAT " released %u",
        GST_TIME_ARGS (now), n);
    ret = gst_chunk_reorder_push_outputs (self);
    if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING) {
      GST_CHUNK_REORDER_LOCK (self);
      if (self->srcresult == GST_FLOW_OK)
        self->srcresult = ret;
      GST_CHUNK_REORDER_UNLOCK (self);
    }
  }
  GST_PAD_STREAM_UNLOCK (self->sinkpad);
  return;

flushing:
  {
    GST_DEBUG_OBJECT (self, "flushing, pausing the timer task");
    GST_CHUNK_REORDER_UNLOCK (self);
    gst_pad_pause_task (self->srcpad);
    return;
  }
}

static gboolean
gst_chunk_reorder_src_activate_mode (GstPad * pad, GstObject * parent,
    GstPadMode mode, gboolean active)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (parent);

  if (mode != GST_PAD_MODE_PUSH)
    return FALSE;

  if (active) {
    gboolean ok;

    GST_CHUNK_REORDER_LOCK (self);
    self->src_active = TRUE;
    self->flushing = FALSE;
    self->srcresult = GST_FLOW_OK;
    ok = gst_pad_start_task (pad, gst_chunk_reorder_loop, self, NULL);
    GST_CHUNK_REORDER_UNLOCK (self);
    return ok;
  }

  GST_CHUNK_REORDER_LOCK (self);
  self->src_active = FALSE;
  self->flushing = TRUE;
  self->srcresult = GST_FLOW_FLUSHING;
  if (self->clock_id)
    gst_clock_id_unschedule (self->clock_id);
  g_cond_signal (&self->cond);
  GST_CHUNK_REORDER_UNLOCK (self);

  return gst_pad_stop_task (pad);
}

static GstStateChangeReturn
gst_chunk_reorder_change_state (GstElement * element, GstStateChange transition)
{
  GstChunkReorder *self = GST_CHUNK_REORDER (element);
  GstStateChangeReturn ret;
  ReorderConfig cfg;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      GST_OBJECT_LOCK (self);
      gst_chunk_reorder_fill_config (self, &cfg);
      self->source = self->seqnum_source;
      self->do_validate = self->validate;
      self->drop_dups = self->drop_duplicates;
      GST_OBJECT_UNLOCK (self);
      g_atomic_int_set (&self->settings_changed, 0);
      /* fresh counters for each run; the ring is allocated here, once */
      GST_CHUNK_REORDER_LOCK (self);
      reorder_ring_free (self->ring, (GDestroyNotify) gst_buffer_unref);
      self->ring = reorder_ring_new (&cfg);
      self->playing = FALSE;
      self->restart_pending = FALSE;
      GST_CHUNK_REORDER_UNLOCK (self);
      gst_chunk_reorder_reset_stream (self);
      self->is_rtp = FALSE;
      self->have_caps = FALSE;
      self->last_msg_time = 0;
      self->msg_gaps = 0;
      self->msg_count = 0;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      GST_CHUNK_REORDER_LOCK (self);
      self->playing = TRUE;
      if (self->task_waiting)
        g_cond_signal (&self->cond);
      GST_CHUNK_REORDER_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      /* running time stops: no deadline can pass until PLAYING again */
      GST_CHUNK_REORDER_LOCK (self);
      self->playing = FALSE;
      if (self->clock_id)
        gst_clock_id_unschedule (self->clock_id);
      GST_CHUNK_REORDER_UNLOCK (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* streaming has stopped; counters stay readable until the next run */
      GST_CHUNK_REORDER_LOCK (self);
      reorder_ring_clear (self->ring, (GDestroyNotify) gst_buffer_unref);
      GST_CHUNK_REORDER_UNLOCK (self);
      gst_chunk_reorder_post_lost_message (self);
      break;
    default:
      break;
  }

  return ret;
}
