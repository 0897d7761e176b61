/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-srtingestsrc
 * @title: srtingestsrc
 *
 * An ingest service takes streams from many publishers. `srtsrc` in
 * listener mode accepts one caller per port, so a service with ten
 * publishers runs ten pipelines on ten ports. srtingestsrc listens on one
 * SRT port for many callers and gives each its own sometimes pad, named
 * after the caller's SRT stream id: `src_<name>`. Each pad carries that
 * caller's MPEG-TS, timestamped on the pipeline clock, from its own
 * streaming thread.
 *
 * The stream id is a plain name (`cam1`) or the SRT access control syntax
 * (`#!::r=cam1,m=publish`); it is sanitised into the characters
 * `A-Za-z0-9_-` (`live/cam 1` gives `src_live_cam_1`). Callers are
 * admitted by a rate limit, #GstSrtIngestSrc:allowed-stream-ids,
 * #GstSrtIngestSrc:max-callers and the #GstSrtIngestSrc::accept-caller
 * signal; a second caller with a connected stream id is refused (or
 * replaces it, #GstSrtIngestSrc:duplicate-policy). Every refusal is counted
 * in #GstSrtIngestSrc:stats by reason and reported in a rate-limited
 * `srtingestsrc-caller-refused` message.
 *
 * A caller that leaves ends its own pad with EOS (the pad is then
 * removed); the other pads go on. With a #GstSrtIngestSrc:grace-period, a
 * caller that comes back with the same stream id within it continues on
 * the same pad (the first buffer is marked DISCONT).
 *
 * (gst-plugins-bad registers a legacy `srtserversrc`, `srtsrc` in listener
 * mode with one caller: this element has its own name so that the
 * registry never picks one for the other.)
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 srtingestsrc port=9000 ! tsdemux ! fakesink
 * ]| The first caller's pad is linked (`ffmpeg -re -i in.mp4 -c copy -f
 * mpegts "srt://127.0.0.1:9000?streamid=cam1"`).
 * |[
 * gst-launch-1.0 srtingestsrc name=s port=9000 grace-period=5000000000 \
 *     s.src_cam1 ! queue ! tsdemux ! fakesink \
 *     s.src_cam2 ! queue ! tsdemux ! fakesink
 * ]| Two publishers, `cam1` and `cam2`, each on its own branch; a
 * publisher that reconnects within 5 s continues its branch.
 */

/* Implementation notes
 *
 *   libsrt RcvQ thread         listener thread              pad tasks
 *   (one per UDP port)         (srtingestsrc-listen)        (one per pad)
 *
 *   handshake -> listen_hook -> reserve in CallerTable
 *                rate limit,   (self->lock)
 *                parse id,
 *                accept-caller --+
 *                signal          | refusals queued (bounded)
 *                                +-> post refusal messages
 *                              srt_accept -> new pad ------> read
 *                              (or hand the socket to        srt_recvmsg2,
 *                               a pad in grace)              push list
 *                              failed handshakes             caller left:
 *                              (wrong passphrase)            grace or EOS
 *                              remove ended pads <---------- ended
 *
 * Files: this one is the element (properties, stats, actions, state
 * changes); srtlistener.c the listening socket, the listen callback and
 * the listener thread; srtcallerpad.c the pads and their tasks;
 * callertable.c the GLib-only admission and bookkeeping; srtlib.c
 * libsrt's process-wide state.
 *
 * Locks:
 *  - GST_OBJECT_LOCK: the socket settings (address, port, latency,
 *    passphrase, pbkeylen).
 *  - self->lock: the CallerTable (which holds the admission settings),
 *    the callers and their counters, the queues of refusals and ended
 *    pads.  Never held while calling libsrt, pushing, posting or
 *    emitting: the libsrt RcvQ thread holds libsrt's listener lock while
 *    it runs listen_hook, which takes self->lock.
 *  - The hook is not the place for anything slow: libsrt's receive thread
 *    runs it, which also receives every caller's packets on the port.  accept-caller handlers must return quickly and
 *    must not change the element's state (closing the listener waits for
 *    the hook); reading #GstSrtIngestSrc:stats from there is answered
 *    without asking libsrt.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "srtingestprivate.h"
#include "srtlib.h"

GST_DEBUG_CATEGORY (gst_srt_ingest_src_debug);
#define GST_CAT_DEFAULT gst_srt_ingest_src_debug

#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_PORT 9000
#define DEFAULT_LATENCY 125
#define DEFAULT_PBKEYLEN GST_SRT_INGEST_SRC_KEY_LENGTH_AUTO
#define DEFAULT_MAX_CALLERS 25
#define DEFAULT_DEFAULT_STREAM_ID "default"
#define DEFAULT_GRACE_PERIOD 0
#define DEFAULT_DUPLICATE_POLICY GST_SRT_INGEST_SRC_DUPLICATE_REFUSE
#define DEFAULT_ACCEPT_RATE 50
#define DEFAULT_ACCEPT_RATE_PER_ADDRESS 10


enum
{
  PROP_0,
  PROP_URI,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_BOUND_PORT,
  PROP_LATENCY,
  PROP_PASSPHRASE,
  PROP_PBKEYLEN,
  PROP_MAX_CALLERS,
  PROP_ALLOWED_STREAM_IDS,
  PROP_DEFAULT_STREAM_ID,
  PROP_GRACE_PERIOD,
  PROP_DUPLICATE_POLICY,
  PROP_ACCEPT_RATE,
  PROP_ACCEPT_RATE_PER_ADDRESS,
  PROP_STATS,
};

#define gst_srt_ingest_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstSrtIngestSrc, gst_srt_ingest_src, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_srt_ingest_src_debug, "srtingestsrc", 0,
        "SRT listener for many callers"));
GST_ELEMENT_REGISTER_DEFINE (srtingestsrc, "srtingestsrc", GST_RANK_NONE,
    GST_TYPE_SRT_INGEST_SRC);

guint srt_ingest_src_signals[SRT_INGEST_LAST_SIGNAL];

#define GST_TYPE_SRT_INGEST_SRC_KEY_LENGTH \
    (gst_srt_ingest_src_key_length_get_type ())
static GType
gst_srt_ingest_src_key_length_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SRT_INGEST_SRC_KEY_LENGTH_AUTO, "The caller's choice", "auto"},
    {GST_SRT_INGEST_SRC_KEY_LENGTH_16, "16 bytes (AES-128)", "16"},
    {GST_SRT_INGEST_SRC_KEY_LENGTH_24, "24 bytes (AES-192)", "24"},
    {GST_SRT_INGEST_SRC_KEY_LENGTH_32, "32 bytes (AES-256)", "32"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSrtIngestSrcKeyLength", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_SRT_INGEST_SRC_DUPLICATE_POLICY \
    (gst_srt_ingest_src_duplicate_policy_get_type ())
static GType
gst_srt_ingest_src_duplicate_policy_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SRT_INGEST_SRC_DUPLICATE_REFUSE,
        "The new caller is refused", "refuse"},
    {GST_SRT_INGEST_SRC_DUPLICATE_REPLACE,
        "The new caller takes over the pad", "replace"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSrtIngestSrcDuplicatePolicy",
        values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_srt_ingest_src_finalize (GObject * object);
static void gst_srt_ingest_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_srt_ingest_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_srt_ingest_src_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_srt_ingest_src_send_event (GstElement * element,
    GstEvent * event);
static gboolean gst_srt_ingest_src_remove_caller (GstSrtIngestSrc * self,
    const gchar * name);
static GstStructure *gst_srt_ingest_src_get_stats (GstSrtIngestSrc * self);

/* ---------------------------------------------------------------------- */
/* Helpers */

static gboolean
accept_accumulator (GSignalInvocationHint * ihint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  gboolean accept = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, accept);
  /* the first handler that refuses decides */
  return accept;
}

/* ---------------------------------------------------------------------- */
/* Class */

static void
gst_srt_ingest_src_class_init (GstSrtIngestSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_srt_ingest_src_finalize;
  gobject_class->set_property = gst_srt_ingest_src_set_property;
  gobject_class->get_property = gst_srt_ingest_src_get_property;

  /**
   * GstSrtIngestSrc:uri:
   *
   * `srt://address:port?latency=MS&passphrase=P&pbkeylen=N&max-callers=N`:
   * sets #GstSrtIngestSrc:address, #GstSrtIngestSrc:port and the
   * properties named in the query (`rcvlatency` is taken for `latency`,
   * `mode=listener` is accepted, any other mode refused).  An empty host
   * listens on all addresses.  Read back without the passphrase.
   */
  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "srt://address:port?latency=MS&passphrase=P&pbkeylen=N"
          "&max-callers=N", "srt://" DEFAULT_ADDRESS ":9000?latency=125",
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:address:
   *
   * The local address to listen on (`0.0.0.0`: every IPv4 address, `::`:
   * every IPv6 and IPv4 address); a host name is resolved.
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "Local address to listen on", DEFAULT_ADDRESS,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:port:
   *
   * The UDP port to listen on; 0 picks a free one
   * (#GstSrtIngestSrc:bound-port tells which).
   */
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port", "UDP port to listen on (0 = any)",
          0, 65535, DEFAULT_PORT,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:bound-port:
   *
   * The port the element listens on from PAUSED on (0 before).
   */
  g_object_class_install_property (gobject_class, PROP_BOUND_PORT,
      g_param_spec_uint ("bound-port", "Bound port",
          "The port listened on (0 when not listening)", 0, 65535, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:latency:
   *
   * The receiver latency proposed to every caller (SRTO_LATENCY, ms);
   * a caller may negotiate more.  A pad's latency query answers its
   * caller's negotiated latency.
   */
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_int ("latency", "Latency",
          "SRT receiver latency (milliseconds)", 0, G_MAXINT32,
          DEFAULT_LATENCY, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:passphrase:
   *
   * Callers must encrypt with this passphrase (10 to 79 characters); empty:
   * no encryption (an encrypting caller is then refused).  Write-only.
   * A caller with a wrong or missing passphrase is counted in
   * `refused-wrong-passphrase`.
   */
  g_object_class_install_property (gobject_class, PROP_PASSPHRASE,
      g_param_spec_string ("passphrase", "Passphrase",
          "Password callers must encrypt with (empty = no encryption)", "",
          G_PARAM_WRITABLE | GST_PARAM_MUTABLE_READY | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:pbkeylen:
   *
   * The crypto key length (with #GstSrtIngestSrc:passphrase).
   */
  g_object_class_install_property (gobject_class, PROP_PBKEYLEN,
      g_param_spec_enum ("pbkeylen", "Crypto key length",
          "Crypto key length in bytes", GST_TYPE_SRT_INGEST_SRC_KEY_LENGTH,
          DEFAULT_PBKEYLEN, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:max-callers:
   *
   * Streams at most: pads (those in their grace period included) and
   * first handshakes in progress.  A caller beyond is refused
   * (`max-callers`).  Lowering it ends no stream.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_CALLERS,
      g_param_spec_uint ("max-callers", "Max callers",
          "Streams (callers) at most", 1, MAX_MAX_CALLERS,
          DEFAULT_MAX_CALLERS, G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:allowed-stream-ids:
   *
   * The stream names accepted (after sanitising, as in the pad names
   * without `src_`); empty: every name.  Others are refused
   * (`not-allowed`).
   */
  g_object_class_install_property (gobject_class, PROP_ALLOWED_STREAM_IDS,
      gst_param_spec_array ("allowed-stream-ids", "Allowed stream ids",
          "Stream names accepted (empty = all)",
          g_param_spec_string ("stream-id", "Stream id", "A stream name",
              NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS),
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:default-stream-id:
   *
   * The name of a caller that sends no stream id; empty: such callers
   * are refused (`malformed-id`).
   */
  g_object_class_install_property (gobject_class, PROP_DEFAULT_STREAM_ID,
      g_param_spec_string ("default-stream-id", "Default stream id",
          "Name of a caller without stream id (empty = refuse it)",
          DEFAULT_DEFAULT_STREAM_ID, G_PARAM_READWRITE |
          GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:grace-period:
   *
   * How long (ns) the pad of a caller that left waits for a caller with
   * the same stream id to continue it; 0: the pad ends (EOS) when its
   * caller leaves.
   */
  g_object_class_install_property (gobject_class, PROP_GRACE_PERIOD,
      g_param_spec_uint64 ("grace-period", "Grace period",
          "How long a caller's pad waits for it to come back (ns, 0 = ends "
          "at once)", 0, G_MAXINT64 / 1000, DEFAULT_GRACE_PERIOD,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:duplicate-policy:
   *
   * What a caller gets whose stream id is connected already: refused
   * (`duplicate-id`), or it replaces the connected caller on its pad (an
   * encoder that restarts before the old connection timed out).
   */
  g_object_class_install_property (gobject_class, PROP_DUPLICATE_POLICY,
      g_param_spec_enum ("duplicate-policy", "Duplicate policy",
          "A caller whose stream id is connected already",
          GST_TYPE_SRT_INGEST_SRC_DUPLICATE_POLICY, DEFAULT_DUPLICATE_POLICY,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:accept-rate:
   *
   * Handshakes per second considered, from all addresses (bursts of twice
   * that); the others are refused (`rate-limited`).  0: no limit.
   */
  g_object_class_install_property (gobject_class, PROP_ACCEPT_RATE,
      g_param_spec_uint ("accept-rate", "Accept rate",
          "Handshakes per second, all addresses (0 = no limit)", 0, 100000,
          DEFAULT_ACCEPT_RATE, G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:accept-rate-per-address:
   *
   * Handshakes per second considered from one IP address (bursts of twice
   * that), before #GstSrtIngestSrc:accept-rate: one address that floods
   * does not use up the others' rate.  0: no limit.
   */
  g_object_class_install_property (gobject_class, PROP_ACCEPT_RATE_PER_ADDRESS,
      g_param_spec_uint ("accept-rate-per-address", "Accept rate per address",
          "Handshakes per second from one IP address (0 = no limit)", 0,
          100000, DEFAULT_ACCEPT_RATE_PER_ADDRESS,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc:stats:
   *
   * An `application/x-srtingestsrc-stats` structure: admission counters,
   * and in `callers` an array of `stream` structures, one per stream,
   * keyed by their `id` (the stream name), with libsrt's counters (see
   * docs/srtingestsrc.md).
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Admission counters and per-caller SRT statistics",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSrtIngestSrc::accept-caller:
   * @src: the element
   * @address: the caller's #GSocketAddress
   * @name: the stream name (the pad is `src_<name>`)
   * @stream_id: the stream id as the caller sent it
   *
   * Whether to accept a caller that passed the element's own checks.
   * Emitted from libsrt's receive thread during the handshake, the thread
   * that also receives every caller's packets on the port: return within
   * a few milliseconds, do not change the element's state. The first
   * handler that returns %FALSE refuses the caller
   * (`refused-by-application`).
   *
   * Returns: %TRUE to accept
   */
  srt_ingest_src_signals[SRT_INGEST_SIGNAL_ACCEPT_CALLER] =
      g_signal_new ("accept-caller", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, accept_accumulator, NULL, NULL, G_TYPE_BOOLEAN, 3,
      G_TYPE_SOCKET_ADDRESS, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstSrtIngestSrc::caller-added:
   * @src: the element
   * @name: the stream name
   * @address: the caller's #GSocketAddress
   *
   * A caller connected: after pad-added for a new stream, or when it
   * resumes (or replaces a caller on) an existing pad.  Emitted from the
   * listener thread.
   */
  srt_ingest_src_signals[SRT_INGEST_SIGNAL_CALLER_ADDED] =
      g_signal_new ("caller-added", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_SOCKET_ADDRESS);

  /**
   * GstSrtIngestSrc::caller-removed:
   * @src: the element
   * @name: the stream name
   * @address: the caller's #GSocketAddress
   *
   * A caller disconnected (or was disconnected); its pad ends or waits
   * for the grace period.  Emitted from the pad's streaming thread.
   */
  srt_ingest_src_signals[SRT_INGEST_SIGNAL_CALLER_REMOVED] =
      g_signal_new ("caller-removed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_SOCKET_ADDRESS);

  /**
   * GstSrtIngestSrc::remove-caller:
   * @src: the element
   * @name: the stream name
   *
   * Action signal: disconnects the stream's caller and ends its pad with
   * EOS now, whatever the grace period.
   *
   * Returns: %TRUE if there was such a stream
   */
  srt_ingest_src_signals[SRT_INGEST_SIGNAL_REMOVE_CALLER] =
      g_signal_new_class_handler ("remove-caller", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srt_ingest_src_remove_caller), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class,
      &srt_ingest_src_template);
  gst_element_class_set_static_metadata (element_class, "SRT ingest source",
      "Source/Network",
      "Listens on one SRT port for many callers, one MPEG-TS pad per "
      "caller named after its stream id", "gst-livestream authors");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_srt_ingest_src_change_state);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_srt_ingest_src_send_event);

  gst_type_mark_as_plugin_api (GST_TYPE_SRT_INGEST_SRC_KEY_LENGTH, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SRT_INGEST_SRC_DUPLICATE_POLICY, 0);
}

static void
gst_srt_ingest_src_init (GstSrtIngestSrc * self)
{
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->port = DEFAULT_PORT;
  self->latency = DEFAULT_LATENCY;
  self->passphrase = g_strdup ("");
  self->pbkeylen = DEFAULT_PBKEYLEN;

  g_mutex_init (&self->lock);
  self->config.max_callers = DEFAULT_MAX_CALLERS;
  self->config.allowed = NULL;
  self->config.default_name = g_strdup (DEFAULT_DEFAULT_STREAM_ID);
  self->config.grace = DEFAULT_GRACE_PERIOD / GST_USECOND;
  self->config.duplicate = CALLER_DUPLICATE_REFUSE;
  self->config.rate = DEFAULT_ACCEPT_RATE;
  self->config.rate_per_address = DEFAULT_ACCEPT_RATE_PER_ADDRESS;
  self->config.handshake_timeout = HANDSHAKE_TIMEOUT_US;
  self->table = caller_table_new (&self->config);
  self->callers = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->ended);
  g_queue_init (&self->refusals);

  self->listen_sock = SRT_INVALID_SOCK;
  self->listen_eid = -1;

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_srt_ingest_src_finalize (GObject * object)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (object);

  g_free (self->address);
  g_free (self->passphrase);
  g_free (self->bind_text);
  caller_table_free (self->table);
  g_strfreev (self->config.allowed);
  g_free (self->config.default_name);
  g_hash_table_destroy (self->callers);
  g_queue_clear_full (&self->refusals, ingest_refusal_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---------------------------------------------------------------------- */
/* Properties */

static gboolean
parse_uri (GstSrtIngestSrc * self, const gchar * uri_str)
{
  GstUri *uri;
  GHashTable *query;
  const gchar *host;
  guint port;
  gboolean ok = TRUE;

  uri = gst_uri_from_string (uri_str);
  if (uri == NULL || g_strcmp0 (gst_uri_get_scheme (uri), "srt") != 0) {
    GST_WARNING_OBJECT (self, "not an srt:// URI: %s", uri_str);
    if (uri)
      gst_uri_unref (uri);
    return FALSE;
  }

  host = gst_uri_get_host (uri);
  port = gst_uri_get_port (uri);
  query = gst_uri_get_query_table (uri);

  if (query) {
    const gchar *mode = g_hash_table_lookup (query, "mode");

    if (mode != NULL && g_strcmp0 (mode, "listener") != 0) {
      GST_WARNING_OBJECT (self, "srtingestsrc only listens: mode=%s refused",
          mode);
      ok = FALSE;
    }
  }
  if (!ok)
    goto done;

  GST_OBJECT_LOCK (self);
  g_free (self->address);
  self->address = g_strdup (host && *host ? host : DEFAULT_ADDRESS);
  if (port != GST_URI_NO_PORT)
    self->port = port;
  GST_OBJECT_UNLOCK (self);

  if (query) {
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init (&it, query);
    while (g_hash_table_iter_next (&it, &k, &v)) {
      const gchar *key = k, *val = v ? v : "";

      if (!strcmp (key, "latency") || !strcmp (key, "rcvlatency"))
        g_object_set (self, "latency", (gint) g_ascii_strtoll (val, NULL, 10),
            NULL);
      else if (!strcmp (key, "passphrase"))
        g_object_set (self, "passphrase", val, NULL);
      else if (!strcmp (key, "pbkeylen")) {
        gint len = (gint) g_ascii_strtoll (val, NULL, 10);

        if (len == 0 || len == 16 || len == 24 || len == 32)
          g_object_set (self, "pbkeylen", len, NULL);
        else
          GST_WARNING_OBJECT (self, "pbkeylen=%s ignored (0, 16, 24 or 32)",
              val);
      } else if (!strcmp (key, "max-callers")) {
        guint64 n = g_ascii_strtoull (val, NULL, 10);

        g_object_set (self, "max-callers", (guint) CLAMP (n, 1,
                MAX_MAX_CALLERS), NULL);
      } else if (strcmp (key, "mode") != 0) {
        GST_WARNING_OBJECT (self, "URI parameter %s ignored", key);
      }
    }
  }

done:
  if (query)
    g_hash_table_unref (query);
  gst_uri_unref (uri);
  return ok;
}

/* called with self->lock */
static void
update_config_locked (GstSrtIngestSrc * self)
{
  caller_table_set_config (self->table, &self->config);
}

static void
gst_srt_ingest_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (object);

  switch (prop_id) {
    case PROP_URI:
      parse_uri (self, g_value_get_string (value));
      break;
    case PROP_ADDRESS:
      GST_OBJECT_LOCK (self);
      g_free (self->address);
      self->address = g_value_dup_string (value);
      if (self->address == NULL || *self->address == '\0') {
        g_free (self->address);
        self->address = g_strdup (DEFAULT_ADDRESS);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PORT:
      GST_OBJECT_LOCK (self);
      self->port = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_LATENCY:
      GST_OBJECT_LOCK (self);
      self->latency = g_value_get_int (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PASSPHRASE:
      GST_OBJECT_LOCK (self);
      g_free (self->passphrase);
      self->passphrase = g_value_dup_string (value);
      if (self->passphrase == NULL)
        self->passphrase = g_strdup ("");
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PBKEYLEN:
      GST_OBJECT_LOCK (self);
      self->pbkeylen = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_CALLERS:
      GST_SRT_INGEST_SRC_LOCK (self);
      self->config.max_callers = g_value_get_uint (value);
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_ALLOWED_STREAM_IDS:{
      guint i, n = gst_value_array_get_size (value);
      GPtrArray *names = g_ptr_array_new ();

      for (i = 0; i < n; i++) {
        const GValue *v = gst_value_array_get_value (value, i);

        if (G_VALUE_HOLDS_STRING (v) && g_value_get_string (v) != NULL)
          g_ptr_array_add (names, g_value_dup_string (v));
      }
      g_ptr_array_add (names, NULL);
      GST_SRT_INGEST_SRC_LOCK (self);
      g_strfreev (self->config.allowed);
      self->config.allowed = (gchar **) g_ptr_array_free (names, FALSE);
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    }
    case PROP_DEFAULT_STREAM_ID:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_free (self->config.default_name);
      self->config.default_name = g_value_dup_string (value);
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_GRACE_PERIOD:
      GST_SRT_INGEST_SRC_LOCK (self);
      self->config.grace = g_value_get_uint64 (value) / GST_USECOND;
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_DUPLICATE_POLICY:
      GST_SRT_INGEST_SRC_LOCK (self);
      self->config.duplicate = g_value_get_enum (value) ==
          GST_SRT_INGEST_SRC_DUPLICATE_REPLACE ? CALLER_DUPLICATE_REPLACE :
          CALLER_DUPLICATE_REFUSE;
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_ACCEPT_RATE:
      GST_SRT_INGEST_SRC_LOCK (self);
      self->config.rate = g_value_get_uint (value);
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_ACCEPT_RATE_PER_ADDRESS:
      GST_SRT_INGEST_SRC_LOCK (self);
      self->config.rate_per_address = g_value_get_uint (value);
      update_config_locked (self);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srt_ingest_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (object);

  switch (prop_id) {
    case PROP_URI:{
      GString *s = g_string_new ("srt://");

      GST_OBJECT_LOCK (self);
      if (strchr (self->address, ':'))
        g_string_append_printf (s, "[%s]", self->address);
      else
        g_string_append (s, self->address);
      g_string_append_printf (s, ":%u?latency=%d", self->port, self->latency);
      if (self->pbkeylen != GST_SRT_INGEST_SRC_KEY_LENGTH_AUTO)
        g_string_append_printf (s, "&pbkeylen=%d", self->pbkeylen);
      GST_OBJECT_UNLOCK (self);
      g_value_take_string (value, g_string_free (s, FALSE));
      break;
    }
    case PROP_ADDRESS:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->address);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PORT:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->port);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BOUND_PORT:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_uint (value, self->bound_port);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_LATENCY:
      GST_OBJECT_LOCK (self);
      g_value_set_int (value, self->latency);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PBKEYLEN:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->pbkeylen);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_CALLERS:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_uint (value, self->config.max_callers);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_ALLOWED_STREAM_IDS:{
      guint i;

      GST_SRT_INGEST_SRC_LOCK (self);
      for (i = 0; self->config.allowed && self->config.allowed[i]; i++) {
        GValue v = G_VALUE_INIT;

        g_value_init (&v, G_TYPE_STRING);
        g_value_set_string (&v, self->config.allowed[i]);
        gst_value_array_append_and_take_value (value, &v);
      }
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    }
    case PROP_DEFAULT_STREAM_ID:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_string (value, self->config.default_name);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_GRACE_PERIOD:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_uint64 (value, self->config.grace * GST_USECOND);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_DUPLICATE_POLICY:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_enum (value,
          self->config.duplicate == CALLER_DUPLICATE_REPLACE ?
          GST_SRT_INGEST_SRC_DUPLICATE_REPLACE :
          GST_SRT_INGEST_SRC_DUPLICATE_REFUSE);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_ACCEPT_RATE:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_uint (value, self->config.rate);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_ACCEPT_RATE_PER_ADDRESS:
      GST_SRT_INGEST_SRC_LOCK (self);
      g_value_set_uint (value, self->config.rate_per_address);
      GST_SRT_INGEST_SRC_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_srt_ingest_src_get_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* ---------------------------------------------------------------------- */
/* Stats */

typedef struct
{
  gchar *name;
  SRTSOCKET sock;
  SRT_TRACEBSTATS perf;
  gboolean ok;
} StatsProbe;

static GstStructure *
gst_srt_ingest_src_get_stats (GstSrtIngestSrc * self)
{
  GstStructure *s;
  GValue callers = G_VALUE_INIT;
  GArray *probes = g_array_new (FALSE, TRUE, sizeof (StatsProbe));
  GHashTableIter it;
  gpointer value;
  GList *streams, *l;
  gint64 now = g_get_monotonic_time ();
  guint i;
  CallerTable *t = self->table;

  /* ask libsrt first, without our lock; not from the hook (libsrt's
   * listener lock is held there) */
  GST_SRT_INGEST_SRC_LOCK (self);
  g_hash_table_iter_init (&it, self->callers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    SrtCaller *c = value;
    StatsProbe p = { 0, };

    if (c->sock == SRT_INVALID_SOCK)
      continue;
    p.name = g_strdup (c->name);
    p.sock = c->sock;
    g_array_append_val (probes, p);
  }
  GST_SRT_INGEST_SRC_UNLOCK (self);

  if (!ingest_in_hook ()) {
    for (i = 0; i < probes->len; i++) {
      StatsProbe *p = &g_array_index (probes, StatsProbe, i);

      p->ok = srt_bistats (p->sock, &p->perf, 0, 1) == 0;
    }
  }

  GST_SRT_INGEST_SRC_LOCK (self);
  for (i = 0; i < probes->len; i++) {
    StatsProbe *p = &g_array_index (probes, StatsProbe, i);
    SrtCaller *c = g_hash_table_lookup (self->callers, p->name);

    if (p->ok && c != NULL && c->sock == p->sock)
      ingest_counters_from_srt (&c->last, &p->perf);
  }

  /* an array of "stream" structures keyed by "id": /metrics makes it
   * series labelled stream="<id>" (livestreammetrics.c) */
  g_value_init (&callers, GST_TYPE_ARRAY);
  streams = caller_table_streams (t);
  for (l = streams; l; l = l->next) {
    CallerStream *cs = l->data;
    SrtCaller *c = cs->user_data;
    GValue v = G_VALUE_INIT;

    if (c == NULL)
      continue;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, ingest_caller_stats_locked (self, c, now));
    gst_value_array_append_and_take_value (&callers, &v);
  }
  g_list_free (streams);

  s = gst_structure_new ("application/x-srtingestsrc-stats",
      "callers-connected", G_TYPE_UINT,
      caller_table_n_streams (t, CALLER_STREAM_LIVE),
      "streams", G_TYPE_UINT, g_hash_table_size (self->callers),
      "streams-in-grace", G_TYPE_UINT,
      caller_table_n_streams (t, CALLER_STREAM_GRACE),
      "handshakes-pending", G_TYPE_UINT, caller_table_n_pending (t),
      "callers-accepted", G_TYPE_UINT64,
      caller_table_count (t, CALLER_ACCEPT_NEW),
      "callers-resumed", G_TYPE_UINT64,
      caller_table_count (t, CALLER_ACCEPT_RESUME),
      "callers-replaced", G_TYPE_UINT64,
      caller_table_count (t, CALLER_ACCEPT_REPLACE),
      "callers-disconnected", G_TYPE_UINT64, self->callers_disconnected,
      "streams-ended", G_TYPE_UINT64, self->streams_ended, NULL);
  {
    guint64 refused = 0;
    CallerVerdict v;

    for (v = CALLER_REFUSE_RATE_LIMITED; v < CALLER_VERDICT_COUNT; v++) {
      gchar *field = g_strconcat ("refused-", v == CALLER_REFUSE_APPLICATION ?
          "by-application" : caller_verdict_nick (v), NULL);

      gst_structure_set (s, field, G_TYPE_UINT64, caller_table_count (t, v),
          NULL);
      refused += caller_table_count (t, v);
      g_free (field);
    }
    gst_structure_set (s, "refused", G_TYPE_UINT64, refused, NULL);
  }
  gst_structure_set (s,
      "rate-limit-addresses", G_TYPE_UINT, caller_table_n_rate_addresses (t),
      "messages-suppressed", G_TYPE_UINT64, self->messages_suppressed +
      self->refusals_dropped,
      "bytes-received", G_TYPE_UINT64, self->bytes_received,
      "buffers-pushed", G_TYPE_UINT64, self->buffers_pushed, NULL);
  gst_structure_take_value (s, "callers", &callers);
  GST_SRT_INGEST_SRC_UNLOCK (self);

  for (i = 0; i < probes->len; i++)
    g_free (g_array_index (probes, StatsProbe, i).name);
  g_array_free (probes, TRUE);
  return s;
}

/* ---------------------------------------------------------------------- */
/* Actions */

static gboolean
gst_srt_ingest_src_remove_caller (GstSrtIngestSrc * self, const gchar * name)
{
  SrtCaller *c;

  if (name == NULL)
    return FALSE;
  GST_SRT_INGEST_SRC_LOCK (self);
  c = g_hash_table_lookup (self->callers, name);
  if (c != NULL && !c->ended) {
    caller_table_end (self->table, name);
    c->eos_pending = TRUE;
    c->end_reason = "removed";
    c->remove_reason = "removed";
    g_cond_signal (&c->cond);
  }
  GST_SRT_INGEST_SRC_UNLOCK (self);
  /* the task disconnects the caller and pushes EOS within READ_TICK_MS */
  return c != NULL;
}

static gboolean
gst_srt_ingest_src_send_event (GstElement * element, GstEvent * event)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (element);
  GHashTableIter it;
  gpointer value;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);

  /* every stream ends: its caller is disconnected, its pad gets EOS */
  GST_INFO_OBJECT (self, "EOS: ending every stream");
  GST_SRT_INGEST_SRC_LOCK (self);
  g_hash_table_iter_init (&it, self->callers);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    SrtCaller *c = value;

    if (c->ended)
      continue;
    caller_table_end (self->table, c->name);
    c->eos_pending = TRUE;
    c->end_reason = "eos";
    c->remove_reason = "removed";
    g_cond_signal (&c->cond);
  }
  GST_SRT_INGEST_SRC_UNLOCK (self);
  gst_event_unref (event);
  return TRUE;
}

static GstStateChangeReturn
gst_srt_ingest_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (element);
  GstStateChangeReturn ret;

  if (ingest_in_hook ()) {
    g_critical ("srtingestsrc: the state cannot change from an "
        "accept-caller handler");
    return GST_STATE_CHANGE_FAILURE;
  }

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      srtlib_ref ();
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      GST_SRT_INGEST_SRC_LOCK (self);
      /* fresh counters for a new run */
      caller_table_free (self->table);
      self->table = caller_table_new (&self->config);
      self->callers_disconnected = self->streams_ended = 0;
      self->refusals_dropped = self->messages_suppressed = 0;
      self->suppressed_since_post = 0;
      self->bytes_received = self->buffers_pushed = 0;
      GST_SRT_INGEST_SRC_UNLOCK (self);
      if (!ingest_listener_start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_atomic_int_set (&self->playing, 1);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* before the pads are deactivated: that waits for their tasks,
       * which only stop once flushing */
      ingest_listener_stop (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      ingest_listener_stop (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_atomic_int_set (&self->playing, 0);
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      srtlib_unref ();
      break;
    default:
      break;
  }
  return ret;
}
