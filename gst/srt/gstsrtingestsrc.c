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
 *   libsrt RcvQ thread            listener thread             pad tasks
 *   (one per UDP port)            (srtingestsrc-listen)       (one per pad)
 *
 *   handshake ──> listen_hook ──> reserve in CallerTable
 *                 rate limit,      (self->lock)
 *                 parse id,
 *                 accept-caller ─┐
 *                 signal         │ refusals queued (bounded)
 *                                └──────────> post refusal messages
 *                                             srt_accept ─> new pad ───> read
 *                                             (or hand the socket to     srt_recvmsg2,
 *                                              a pad in grace)           push list
 *                                             failed handshakes          caller left:
 *                                             (wrong passphrase)         grace or EOS
 *                                             remove ended pads <─────── ended
 *
 * Locks:
 *  - GST_OBJECT_LOCK: the socket settings (address, port, latency,
 *    passphrase, pbkeylen).
 *  - self->lock: the CallerTable (which holds the admission settings),
 *    the callers and their counters, the queues of refusals and ended
 *    pads.  Never held while calling libsrt, pushing, posting or
 *    emitting: the libsrt RcvQ thread holds libsrt's listener lock while
 *    it runs listen_hook, which takes self->lock.
 *  - The hook is not the place for anything slow: every handshake on the
 *    port waits for it.  accept-caller handlers must return quickly and
 *    must not change the element's state (closing the listener waits for
 *    the hook); reading #GstSrtIngestSrc:stats from there is answered
 *    without asking libsrt.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <gio/gio.h>
#include <srt/srt.h>
#include <srt/access_control.h>

#include "gstsrtingestsrc.h"
#include "callertable.h"
#include "srtlib.h"

GST_DEBUG_CATEGORY_STATIC (gst_srt_ingest_src_debug);
#define GST_CAT_DEFAULT gst_srt_ingest_src_debug

#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_PORT 9000
#define DEFAULT_LATENCY 125
#define DEFAULT_PBKEYLEN GST_SRT_INGEST_SRC_KEY_LENGTH_AUTO
#define DEFAULT_MAX_CALLERS 25
#define MAX_MAX_CALLERS 1024
#define DEFAULT_DEFAULT_STREAM_ID "default"
#define DEFAULT_GRACE_PERIOD 0
#define DEFAULT_DUPLICATE_POLICY GST_SRT_INGEST_SRC_DUPLICATE_REFUSE
#define DEFAULT_ACCEPT_RATE 50
#define DEFAULT_ACCEPT_RATE_PER_ADDRESS 10

/* a handshake the element accepted must complete within this (libsrt's
 * own connection timeout is 3 s) */
#define HANDSHAKE_TIMEOUT_US (5 * G_USEC_PER_SEC)
/* connections libsrt completed that the listener thread has not taken */
#define LISTEN_BACKLOG 32
/* the listener thread looks at pending handshakes this often */
#define LISTENER_TICK_MS 100
/* a pad task wakes at least this often (stop, hand-over, EOS) */
#define READ_TICK_MS 100
/* messages read per wake-up at most, pushed as one buffer list */
#define READ_BATCH 64
/* libsrt's largest live payload */
#define MESSAGE_SIZE_MAX 1456
#define TS_PACKET_SIZE 188
/* refusal messages: queued at most, posted per second at most */
#define REFUSALS_QUEUED_MAX 32
#define REFUSAL_MESSAGES_PER_SECOND 10
/* the refused stream id as shown in a message, bytes */
#define REFUSED_ID_SHOWN_MAX 128
/* a pad task refreshes its caller's libsrt stats this often */
#define STATS_INTERVAL_US G_USEC_PER_SEC

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

enum
{
  SIGNAL_ACCEPT_CALLER,
  SIGNAL_CALLER_ADDED,
  SIGNAL_CALLER_REMOVED,
  SIGNAL_REMOVE_CALLER,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

#define TS_CAPS "video/mpegts, systemstream = (boolean) true, " \
    "packetsize = (int) 188"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%s",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (TS_CAPS));

/* libsrt's counters of one connection */
typedef struct
{
  guint64 packets_received;
  guint64 packets_lost;
  guint64 packets_retransmitted;
  guint64 packets_dropped;
  guint64 packets_belated;
  guint64 packets_undecrypted;
  guint64 bytes_received;
  guint64 bytes_lost;
  guint64 bytes_dropped;
  gdouble rtt_ms;
  gdouble bandwidth_mbps;
  gint receive_buffer_ms;
  gint receive_buffer_bytes;
} SrtCounters;

/* One stream: a pad, its task and the caller that feeds it.  Created by
 * the listener thread, freed once its pad is removed.  Fields marked
 * [task] belong to the pad task; the others are under self->lock unless
 * said otherwise. */
typedef struct
{
  GstSrtIngestSrc *self;
  GstPad *pad;                  /* set at creation, a ref */
  gchar *name;                  /* set at creation */
  gint eid;                     /* [task] epoll: the socket and stop_fd */

  SRTSOCKET sock;               /* the connected caller, read by the task */
  SRTSOCKET next_sock;          /* a resuming/replacing caller to read next */
  gchar *stream_id;             /* the caller's raw stream id */
  gchar *address;               /* "ip:port" */
  GSocketAddress *sockaddr;
  gboolean eos_pending;         /* the task pushes EOS and ends */
  const gchar *end_reason;      /* why: "disconnected", "grace-expired" ... */
  const gchar *remove_reason;   /* caller-removed reason for a forced end */
  gboolean ended;               /* EOS pushed: the listener removes the pad */
  GCond cond;                   /* grace wait */
  gint latency_ms;              /* negotiated with the current caller */
  gint64 connected_at;          /* us, monotonic */
  guint connections;
  SrtCounters acc;              /* libsrt counters of past connections */
  SrtCounters last;             /* ... of the current one, last read */
  guint64 buffers_pushed;
  guint64 bytes_pushed;
  guint64 discont;
  guint64 non_ts_messages;
  guint64 dropped_not_playing;
  guint64 not_linked;
  guint64 bitrate;              /* bits/s over the last second */

  gboolean started;             /* [task] sticky events pushed */
  gboolean discont_next;        /* [task] */
  gint32 expect_seq;            /* [task] next SRT packet seq, -1 unknown */
  GstBuffer *spare;             /* [task] */
  gint64 stats_at;              /* [task] us */
  guint64 bitrate_mark_bytes;   /* [task] */
  gint64 bitrate_mark_at;       /* [task] */
} SrtCaller;

/* A refusal from the hook, posted by the listener thread */
typedef struct
{
  CallerVerdict verdict;
  gchar *stream_id;             /* escaped, shortened */
  gchar *name;
  gchar *address;
} Refusal;

struct _GstSrtIngestSrc
{
  GstElement parent;

  /* socket settings: GST_OBJECT_LOCK */
  gchar *address;
  guint port;
  gint latency;
  gchar *passphrase;
  GstSrtIngestSrcKeyLength pbkeylen;

  /* dataflow state: lock */
  GMutex lock;
  CallerTable *table;
  CallerTableConfig config;     /* as set; the table has a copy */
  GHashTable *callers;          /* name -> SrtCaller */
  GQueue ended;                 /* SrtCaller whose pad is to be removed */
  GQueue refusals;              /* Refusal */
  gboolean flushing;
  gint playing;                 /* atomic */
  guint bound_port;
  guint64 callers_disconnected;
  guint64 streams_ended;
  guint64 refusals_dropped;     /* queue full */
  guint64 messages_suppressed;
  guint64 suppressed_since_post;
  gint64 refusal_window;        /* us */
  guint refusals_in_window;
  guint64 bytes_received;       /* pads gone included */
  guint64 buffers_pushed;

  /* listening: set up and torn down by the state change thread */
  SRTSOCKET listen_sock;
  gint listen_eid;
  gint stop_fd;                 /* eventfd: set while stopping */
  gint wake_fd;                 /* eventfd: wakes the listener thread */
  GThread *listener;
  gint closing;                 /* atomic: the hook refuses everything */
  gchar *bind_text;             /* "address:port" for messages */
};

#define gst_srt_ingest_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstSrtIngestSrc, gst_srt_ingest_src, GST_TYPE_ELEMENT,
    GST_DEBUG_CATEGORY_INIT (gst_srt_ingest_src_debug, "srtingestsrc", 0,
        "SRT listener for many callers"));
GST_ELEMENT_REGISTER_DEFINE (srtingestsrc, "srtingestsrc", GST_RANK_NONE,
    GST_TYPE_SRT_INGEST_SRC);

/* set while the hook emits accept-caller: stats then leave libsrt alone */
static GPrivate in_hook;

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
static void caller_loop (SrtCaller * c);

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

static gsize
sockaddr_len (const struct sockaddr *sa)
{
  switch (sa->sa_family) {
    case AF_INET:
      return sizeof (struct sockaddr_in);
    case AF_INET6:
      return sizeof (struct sockaddr_in6);
    default:
      return 0;
  }
}

/* "192.0.2.1" (@with_port: "192.0.2.1:5000", "[2001:db8::1]:5000") */
static gchar *
sockaddr_to_text (const struct sockaddr *sa, gboolean with_port)
{
  gchar ip[INET6_ADDRSTRLEN] = "";
  guint port = 0;

  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

    inet_ntop (AF_INET, &in->sin_addr, ip, sizeof (ip));
    port = ntohs (in->sin_port);
    return with_port ? g_strdup_printf ("%s:%u", ip, port) : g_strdup (ip);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;

    inet_ntop (AF_INET6, &in6->sin6_addr, ip, sizeof (ip));
    port = ntohs (in6->sin6_port);
    return with_port ? g_strdup_printf ("[%s]:%u", ip, port) : g_strdup (ip);
  }
  return g_strdup ("unknown");
}

/* A stream id as a message may show it: printable ASCII, shortened */
static gchar *
escape_stream_id (const gchar * raw)
{
  gchar *cut, *escaped;

  if (raw == NULL)
    return g_strdup ("");
  cut = g_strndup (raw, REFUSED_ID_SHOWN_MAX);
  escaped = g_strescape (cut, NULL);
  g_free (cut);
  return escaped;
}

static void
wake_fd_set (gint fd)
{
  guint64 one = 1;

  if (fd >= 0 && write (fd, &one, sizeof (one)) < 0 && errno != EAGAIN)
    GST_WARNING ("eventfd write: %s", g_strerror (errno));
}

static void
wake_fd_clear (gint fd)
{
  guint64 v;

  while (fd >= 0 && read (fd, &v, sizeof (v)) > 0);
}

/* The SRT_REJX_* code a refused caller gets */
static gint
verdict_reject_code (CallerVerdict v)
{
  switch (v) {
    case CALLER_REFUSE_RATE_LIMITED:
    case CALLER_REFUSE_MAX_CALLERS:
      return SRT_REJX_OVERLOAD;
    case CALLER_REFUSE_MALFORMED:
      return SRT_REJX_BAD_REQUEST;
    case CALLER_REFUSE_UNSUPPORTED_MODE:
      return SRT_REJX_BAD_MODE;
    case CALLER_REFUSE_NOT_ALLOWED:
      return SRT_REJX_NOTFOUND;
    case CALLER_REFUSE_DUPLICATE:
      return SRT_REJX_CONFLICT;
    case CALLER_REFUSE_APPLICATION:
      return SRT_REJX_FORBIDDEN;
    default:
      return SRT_REJX_FALLBACK;
  }
}

/* Sets field @name of @s to @sub, taking it */
static void
structure_take_structure (GstStructure * s, const gchar * name,
    GstStructure * sub)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&v, sub);
  gst_structure_take_value (s, name, &v);
}

static void
counters_from_srt (SrtCounters * c, const SRT_TRACEBSTATS * s)
{
  /* never cleared: the "interval" counters run since the connection */
  c->packets_received = MAX (s->pktRecvTotal, 0);
  c->packets_lost = MAX (s->pktRcvLossTotal, 0);
  c->packets_retransmitted = MAX (s->pktRcvRetrans, 0);
  c->packets_dropped = MAX (s->pktRcvDropTotal, 0);
  c->packets_belated = MAX (s->pktRcvBelated, 0);
  c->packets_undecrypted = MAX (s->pktRcvUndecryptTotal, 0);
  c->bytes_received = s->byteRecvTotal;
  c->bytes_lost = s->byteRcvLossTotal;
  c->bytes_dropped = s->byteRcvDropTotal;
  c->rtt_ms = s->msRTT;
  c->bandwidth_mbps = s->mbpsBandwidth;
  c->receive_buffer_ms = s->msRcvBuf;
  c->receive_buffer_bytes = s->byteRcvBuf;
}

/* @acc += the totals of @c (the gauges are not added) */
static void
counters_add (SrtCounters * acc, const SrtCounters * c)
{
  acc->packets_received += c->packets_received;
  acc->packets_lost += c->packets_lost;
  acc->packets_retransmitted += c->packets_retransmitted;
  acc->packets_dropped += c->packets_dropped;
  acc->packets_belated += c->packets_belated;
  acc->packets_undecrypted += c->packets_undecrypted;
  acc->bytes_received += c->bytes_received;
  acc->bytes_lost += c->bytes_lost;
  acc->bytes_dropped += c->bytes_dropped;
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
   * and in `callers` one `application/x-srtingestsrc-caller-stats` per
   * stream, keyed by stream name, with libsrt's counters (see
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
   * Emitted from libsrt's receive thread during the handshake: return
   * quickly (every handshake on the port waits), do not change the
   * element's state. The first handler that returns %FALSE refuses the
   * caller (`refused-by-application`).
   *
   * Returns: %TRUE to accept
   */
  signals[SIGNAL_ACCEPT_CALLER] =
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
  signals[SIGNAL_CALLER_ADDED] =
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
  signals[SIGNAL_CALLER_REMOVED] =
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
  signals[SIGNAL_REMOVE_CALLER] =
      g_signal_new_class_handler ("remove-caller", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_srt_ingest_src_remove_caller), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "SRT ingest source", "Source/Network",
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
  self->stop_fd = -1;
  self->wake_fd = -1;

  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
refusal_free (Refusal * r)
{
  g_free (r->stream_id);
  g_free (r->name);
  g_free (r->address);
  g_free (r);
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
  g_queue_clear_full (&self->refusals, (GDestroyNotify) refusal_free);
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
      g_mutex_lock (&self->lock);
      self->config.max_callers = g_value_get_uint (value);
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
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
      g_mutex_lock (&self->lock);
      g_strfreev (self->config.allowed);
      self->config.allowed = (gchar **) g_ptr_array_free (names, FALSE);
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
      break;
    }
    case PROP_DEFAULT_STREAM_ID:
      g_mutex_lock (&self->lock);
      g_free (self->config.default_name);
      self->config.default_name = g_value_dup_string (value);
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_GRACE_PERIOD:
      g_mutex_lock (&self->lock);
      self->config.grace = g_value_get_uint64 (value) / GST_USECOND;
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_DUPLICATE_POLICY:
      g_mutex_lock (&self->lock);
      self->config.duplicate = g_value_get_enum (value) ==
          GST_SRT_INGEST_SRC_DUPLICATE_REPLACE ? CALLER_DUPLICATE_REPLACE :
          CALLER_DUPLICATE_REFUSE;
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ACCEPT_RATE:
      g_mutex_lock (&self->lock);
      self->config.rate = g_value_get_uint (value);
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ACCEPT_RATE_PER_ADDRESS:
      g_mutex_lock (&self->lock);
      self->config.rate_per_address = g_value_get_uint (value);
      update_config_locked (self);
      g_mutex_unlock (&self->lock);
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
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->bound_port);
      g_mutex_unlock (&self->lock);
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
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->config.max_callers);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ALLOWED_STREAM_IDS:{
      guint i;

      g_mutex_lock (&self->lock);
      for (i = 0; self->config.allowed && self->config.allowed[i]; i++) {
        GValue v = G_VALUE_INIT;

        g_value_init (&v, G_TYPE_STRING);
        g_value_set_string (&v, self->config.allowed[i]);
        gst_value_array_append_and_take_value (value, &v);
      }
      g_mutex_unlock (&self->lock);
      break;
    }
    case PROP_DEFAULT_STREAM_ID:
      g_mutex_lock (&self->lock);
      g_value_set_string (value, self->config.default_name);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_GRACE_PERIOD:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->config.grace * GST_USECOND);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_DUPLICATE_POLICY:
      g_mutex_lock (&self->lock);
      g_value_set_enum (value,
          self->config.duplicate == CALLER_DUPLICATE_REPLACE ?
          GST_SRT_INGEST_SRC_DUPLICATE_REPLACE :
          GST_SRT_INGEST_SRC_DUPLICATE_REFUSE);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ACCEPT_RATE:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->config.rate);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_ACCEPT_RATE_PER_ADDRESS:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->config.rate_per_address);
      g_mutex_unlock (&self->lock);
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

static const gchar *
stream_state_nick (CallerStreamState state)
{
  switch (state) {
    case CALLER_STREAM_LIVE:
      return "connected";
    case CALLER_STREAM_GRACE:
      return "grace";
    case CALLER_STREAM_ENDING:
      return "ending";
    default:
      return "pending";
  }
}

/* called with self->lock */
static GstStructure *
caller_stats_locked (GstSrtIngestSrc * self, SrtCaller * c, gint64 now)
{
  CallerStream *cs = caller_table_lookup (self->table, c->name);
  CallerStreamState state = cs ? cs->state : CALLER_STREAM_ENDING;
  SrtCounters tot = c->acc;
  gboolean live = c->sock != SRT_INVALID_SOCK;

  if (live)
    counters_add (&tot, &c->last);

  return gst_structure_new ("application/x-srtingestsrc-caller-stats",
      "pad", G_TYPE_STRING, GST_PAD_NAME (c->pad),
      "stream-id", G_TYPE_STRING, c->stream_id ? c->stream_id : "",
      "address", G_TYPE_STRING, c->address ? c->address : "",
      "state", G_TYPE_STRING, stream_state_nick (state),
      "connections", G_TYPE_UINT, c->connections,
      "connected-for", G_TYPE_UINT64, live ?
      (guint64) (now - c->connected_at) * GST_USECOND : (guint64) 0,
      "grace-remaining", G_TYPE_UINT64, state == CALLER_STREAM_GRACE &&
      cs->grace_deadline > now ? (guint64) (cs->grace_deadline - now) *
      GST_USECOND : (guint64) 0,
      "latency-ms", G_TYPE_INT, c->latency_ms,
      "rtt-ms", G_TYPE_DOUBLE, live ? c->last.rtt_ms : 0.0,
      "bandwidth-mbps", G_TYPE_DOUBLE, live ? c->last.bandwidth_mbps : 0.0,
      "receive-buffer-ms", G_TYPE_INT, live ? c->last.receive_buffer_ms : 0,
      "receive-buffer-bytes", G_TYPE_INT,
      live ? c->last.receive_buffer_bytes : 0,
      "bitrate", G_TYPE_UINT64, live ? c->bitrate : (guint64) 0,
      "packets-received", G_TYPE_UINT64, tot.packets_received,
      "packets-lost", G_TYPE_UINT64, tot.packets_lost,
      "packets-retransmitted", G_TYPE_UINT64, tot.packets_retransmitted,
      "packets-dropped", G_TYPE_UINT64, tot.packets_dropped,
      "packets-belated", G_TYPE_UINT64, tot.packets_belated,
      "packets-undecrypted", G_TYPE_UINT64, tot.packets_undecrypted,
      "bytes-received", G_TYPE_UINT64, tot.bytes_received,
      "bytes-lost", G_TYPE_UINT64, tot.bytes_lost,
      "bytes-dropped", G_TYPE_UINT64, tot.bytes_dropped,
      "buffers-pushed", G_TYPE_UINT64, c->buffers_pushed,
      "bytes-pushed", G_TYPE_UINT64, c->bytes_pushed,
      "discont", G_TYPE_UINT64, c->discont,
      "non-ts-messages", G_TYPE_UINT64, c->non_ts_messages,
      "dropped-not-playing", G_TYPE_UINT64, c->dropped_not_playing,
      "not-linked", G_TYPE_UINT64, c->not_linked, NULL);
}

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
  GstStructure *s, *callers;
  GArray *probes = g_array_new (FALSE, TRUE, sizeof (StatsProbe));
  GHashTableIter it;
  gpointer value;
  GList *streams, *l;
  gint64 now = g_get_monotonic_time ();
  guint i;
  CallerTable *t = self->table;

  /* ask libsrt first, without our lock; not from the hook (libsrt's
   * listener lock is held there) */
  g_mutex_lock (&self->lock);
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
  g_mutex_unlock (&self->lock);

  if (g_private_get (&in_hook) == NULL) {
    for (i = 0; i < probes->len; i++) {
      StatsProbe *p = &g_array_index (probes, StatsProbe, i);

      p->ok = srt_bistats (p->sock, &p->perf, 0, 1) == 0;
    }
  }

  g_mutex_lock (&self->lock);
  for (i = 0; i < probes->len; i++) {
    StatsProbe *p = &g_array_index (probes, StatsProbe, i);
    SrtCaller *c = g_hash_table_lookup (self->callers, p->name);

    if (p->ok && c != NULL && c->sock == p->sock)
      counters_from_srt (&c->last, &p->perf);
  }

  callers = gst_structure_new_empty ("application/x-srtingestsrc-callers");
  streams = caller_table_streams (t);
  for (l = streams; l; l = l->next) {
    CallerStream *cs = l->data;
    SrtCaller *c = cs->user_data;

    if (c == NULL)
      continue;
    structure_take_structure (callers, cs->name,
        caller_stats_locked (self, c, now));
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
  structure_take_structure (s, "callers", callers);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < probes->len; i++)
    g_free (g_array_index (probes, StatsProbe, i).name);
  g_array_free (probes, TRUE);
  return s;
}

/* ---------------------------------------------------------------------- */
/* The listen callback: libsrt's receive thread, during the handshake */

/* called with self->lock */
static void
queue_refusal_locked (GstSrtIngestSrc * self, CallerVerdict v,
    const gchar * raw_id, const gchar * name, const gchar * address)
{
  Refusal *r;

  if (g_queue_get_length (&self->refusals) >= REFUSALS_QUEUED_MAX) {
    self->refusals_dropped++;
    return;
  }
  r = g_new0 (Refusal, 1);
  r->verdict = v;
  r->stream_id = escape_stream_id (raw_id);
  r->name = g_strdup (name ? name : "");
  r->address = g_strdup (address);
  g_queue_push_tail (&self->refusals, r);
}

static gint
listen_hook (void *opaque, SRTSOCKET ns, int hs_version,
    const struct sockaddr *peer, const char *stream_id)
{
  GstSrtIngestSrc *self = opaque;
  CallerVerdict v;
  StreamId sid;
  gchar *ip, *address;
  gint64 now = g_get_monotonic_time ();
  gboolean ask_app;

  if (g_atomic_int_get (&self->closing)) {
    srt_setrejectreason (ns, SRT_REJX_DOWN);
    return -1;
  }

  ip = sockaddr_to_text (peer, FALSE);
  address = sockaddr_to_text (peer, TRUE);

  g_mutex_lock (&self->lock);
  v = caller_table_admit (self->table, ns, ip, stream_id, now, &sid);
  if (!CALLER_VERDICT_IS_ACCEPT (v))
    queue_refusal_locked (self, v, stream_id, sid.name, address);
  g_mutex_unlock (&self->lock);

  GST_DEBUG_OBJECT (self, "handshake @%d from %s, stream id '%s': %s%s%s",
      ns, address, stream_id ? stream_id : "", caller_verdict_nick (v),
      sid.problem ? ": " : "", sid.problem ? sid.problem : "");

  ask_app = CALLER_VERDICT_IS_ACCEPT (v) &&
      g_signal_has_handler_pending (self, signals[SIGNAL_ACCEPT_CALLER], 0,
      FALSE);
  if (ask_app) {
    GSocketAddress *sa = g_socket_address_new_from_native ((gpointer) peer,
        sockaddr_len (peer));
    gboolean accept = TRUE;

    g_private_set (&in_hook, GINT_TO_POINTER (1));
    g_signal_emit (self, signals[SIGNAL_ACCEPT_CALLER], 0, sa, sid.name,
        stream_id ? stream_id : "", &accept);
    g_private_set (&in_hook, NULL);
    g_clear_object (&sa);

    if (!accept) {
      v = CALLER_REFUSE_APPLICATION;
      g_mutex_lock (&self->lock);
      caller_table_handshake_failed (self->table, ns, v);
      queue_refusal_locked (self, v, stream_id, sid.name, address);
      g_mutex_unlock (&self->lock);
    }
  }

  g_free (ip);
  g_free (address);

  /* refused, or reserved: the listener thread posts the message or keeps
   * an eye on the handshake */
  wake_fd_set (self->wake_fd);
  if (!CALLER_VERDICT_IS_ACCEPT (v)) {
    srt_setrejectreason (ns, verdict_reject_code (v));
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Messages */

static void
post_refusals (GstSrtIngestSrc * self)
{
  GQueue posts = G_QUEUE_INIT;
  GstMessage *msg;
  gint64 now = g_get_monotonic_time ();
  Refusal *r;

  g_mutex_lock (&self->lock);
  while ((r = g_queue_pop_head (&self->refusals)) != NULL) {
    if (now - self->refusal_window >= G_USEC_PER_SEC) {
      self->refusal_window = now;
      self->refusals_in_window = 0;
    }
    if (self->refusals_in_window >= REFUSAL_MESSAGES_PER_SECOND) {
      self->messages_suppressed++;
      self->suppressed_since_post++;
      refusal_free (r);
      continue;
    }
    self->refusals_in_window++;
    g_queue_push_tail (&posts, gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("srtingestsrc-caller-refused",
                "reason", G_TYPE_STRING, caller_verdict_nick (r->verdict),
                "stream-id", G_TYPE_STRING, r->stream_id,
                "name", G_TYPE_STRING, r->name,
                "address", G_TYPE_STRING, r->address,
                "suppressed", G_TYPE_UINT64, self->suppressed_since_post
                + self->refusals_dropped, NULL)));
    self->suppressed_since_post = 0;
    refusal_free (r);
  }
  g_mutex_unlock (&self->lock);

  while ((msg = g_queue_pop_head (&posts)) != NULL)
    gst_element_post_message (GST_ELEMENT (self), msg);
}

/* ---------------------------------------------------------------------- */
/* Pads */

static gboolean
caller_pad_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (parent);
  SrtCaller *c = gst_pad_get_element_private (pad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gint ms;

      g_mutex_lock (&self->lock);
      ms = c->latency_ms;
      g_mutex_unlock (&self->lock);
      if (ms <= 0) {
        GST_OBJECT_LOCK (self);
        ms = self->latency;
        GST_OBJECT_UNLOCK (self);
      }
      /* packets are handed out at their send time + the SRT latency and
       * stamped with their send time */
      gst_query_set_latency (query, TRUE, ms * GST_MSECOND, ms * GST_MSECOND);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static SrtCaller *
caller_new (GstSrtIngestSrc * self, const gchar * name)
{
  SrtCaller *c = g_new0 (SrtCaller, 1);
  gchar *pad_name = g_strconcat ("src_", name, NULL);
  gint events = SRT_EPOLL_IN;

  c->self = self;
  c->name = g_strdup (name);
  c->sock = SRT_INVALID_SOCK;
  c->next_sock = SRT_INVALID_SOCK;
  c->expect_seq = -1;
  g_cond_init (&c->cond);
  c->eid = srt_epoll_create ();
  if (c->eid >= 0 && self->stop_fd >= 0)
    srt_epoll_add_ssock (c->eid, self->stop_fd, &events);

  c->pad = gst_pad_new_from_static_template (&src_template, pad_name);
  g_free (pad_name);
  gst_object_ref_sink (c->pad);
  gst_pad_set_element_private (c->pad, c);
  gst_pad_set_query_function (c->pad, caller_pad_query);
  gst_pad_use_fixed_caps (c->pad);
  return c;
}

/* The pad is removed and its task stopped; frees @c and closes what
 * is left.  No lock held. */
static void
caller_free (SrtCaller * c)
{
  if (c->sock != SRT_INVALID_SOCK)
    srt_close (c->sock);
  if (c->next_sock != SRT_INVALID_SOCK)
    srt_close (c->next_sock);
  if (c->eid >= 0)
    srt_epoll_release (c->eid);
  gst_clear_buffer (&c->spare);
  gst_object_unref (c->pad);
  g_cond_clear (&c->cond);
  g_free (c->name);
  g_free (c->stream_id);
  g_free (c->address);
  g_clear_object (&c->sockaddr);
  g_free (c);
}

static GstStructure *
caller_added_structure (SrtCaller * c, CallerVerdict v)
{
  return gst_structure_new ("srtingestsrc-caller-added",
      "name", G_TYPE_STRING, c->name,
      "pad", G_TYPE_STRING, GST_PAD_NAME (c->pad),
      "stream-id", G_TYPE_STRING, c->stream_id,
      "address", G_TYPE_STRING, c->address,
      "resumed", G_TYPE_BOOLEAN, v == CALLER_ACCEPT_RESUME,
      "replaced", G_TYPE_BOOLEAN, v == CALLER_ACCEPT_REPLACE,
      "connections", G_TYPE_UINT, c->connections,
      "latency-ms", G_TYPE_INT, c->latency_ms, NULL);
}

/* The listener thread: libsrt accepted @sock */
static void
handle_accepted (GstSrtIngestSrc * self, SRTSOCKET sock,
    const struct sockaddr *sa)
{
  CallerStream *cs;
  CallerVerdict v = CALLER_ACCEPT_NEW;
  gint64 replaced;
  SrtCaller *c;
  gchar raw_id[STREAM_ID_MAX + 1] = "";
  gint len = STREAM_ID_MAX;
  gint latency = 0, optlen = sizeof (latency);
  gint events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  gint own_latency;
  GSocketAddress *sockaddr;
  GstStructure *added;
  gboolean is_new;

  if (srt_getsockflag (sock, SRTO_STREAMID, raw_id, &len) == 0 && len >= 0 &&
      len <= STREAM_ID_MAX)
    raw_id[len] = '\0';
  else
    raw_id[0] = '\0';
  srt_getsockflag (sock, SRTO_RCVLATENCY, &latency, &optlen);
  sockaddr = g_socket_address_new_from_native ((gpointer) sa,
      sockaddr_len (sa));

  g_mutex_lock (&self->lock);
  cs = caller_table_connected (self->table, sock, g_get_monotonic_time (), &v,
      &replaced);
  if (cs == NULL || self->flushing) {
    g_mutex_unlock (&self->lock);
    GST_INFO_OBJECT (self, "@%d completed a handshake the element gave up",
        sock);
    srt_close (sock);
    g_clear_object (&sockaddr);
    return;
  }
  is_new = cs->user_data == NULL;
  if (is_new) {
    c = caller_new (self, cs->name);
    cs->user_data = c;
    g_hash_table_insert (self->callers, c->name, c);
    c->sock = sock;
    c->discont_next = TRUE;
  } else {
    c = cs->user_data;
    if (c->next_sock != SRT_INVALID_SOCK)
      srt_close (c->next_sock);
    c->next_sock = sock;
    g_cond_signal (&c->cond);
  }
  g_free (c->stream_id);
  c->stream_id = g_strdup (raw_id);
  g_free (c->address);
  c->address = sockaddr_to_text (sa, TRUE);
  g_clear_object (&c->sockaddr);
  c->sockaddr = g_object_ref (sockaddr);
  c->latency_ms = latency;
  c->connected_at = g_get_monotonic_time ();
  c->connections = cs->connections;
  added = caller_added_structure (c, v);
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "caller @%d %s from %s: stream '%s' (%s), "
      "latency %d ms", sock, caller_verdict_nick (v), c->address, c->name,
      raw_id, latency);

  if (is_new) {
    if (c->eid >= 0)
      srt_epoll_add_usock (c->eid, sock, &events);
    gst_pad_set_active (c->pad, TRUE);
    gst_element_add_pad (GST_ELEMENT (self), c->pad);
    gst_pad_start_task (c->pad, (GstTaskFunction) caller_loop, c, NULL);
  }

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), added));
  g_signal_emit (self, signals[SIGNAL_CALLER_ADDED], 0, c->name, sockaddr);
  g_clear_object (&sockaddr);

  GST_OBJECT_LOCK (self);
  own_latency = self->latency;
  GST_OBJECT_UNLOCK (self);
  if (latency > own_latency)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

/* The listener thread: EOS was pushed on these pads; remove them */
static void
remove_ended_pads (GstSrtIngestSrc * self)
{
  SrtCaller *c;

  for (;;) {
    const gchar *reason;
    GstStructure *s;

    g_mutex_lock (&self->lock);
    c = g_queue_pop_head (&self->ended);
    if (c != NULL) {
      g_hash_table_remove (self->callers, c->name);
      caller_table_remove (self->table, c->name);
      self->streams_ended++;
    }
    g_mutex_unlock (&self->lock);
    if (c == NULL)
      break;

    reason = c->end_reason ? c->end_reason : "disconnected";
    GST_INFO_OBJECT (self, "stream '%s' ended (%s)", c->name, reason);
    gst_pad_stop_task (c->pad);
    gst_pad_set_active (c->pad, FALSE);
    s = gst_structure_new ("srtingestsrc-stream-ended",
        "name", G_TYPE_STRING, c->name,
        "pad", G_TYPE_STRING, GST_PAD_NAME (c->pad),
        "reason", G_TYPE_STRING, reason, NULL);
    gst_element_remove_pad (GST_ELEMENT (self), c->pad);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
    caller_free (c);
  }
}

/* The listener thread: what became of the handshakes the element
 * accepted and libsrt has not completed */
static void
check_pending_handshakes (GstSrtIngestSrc * self)
{
  GArray *handles = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  g_mutex_lock (&self->lock);
  caller_table_pending_handles (self->table, handles);
  g_mutex_unlock (&self->lock);

  for (i = 0; i < handles->len; i++) {
    gint64 h = g_array_index (handles, gint64, i);
    SRT_SOCKSTATUS st = srt_getsockstate ((SRTSOCKET) h);
    CallerVerdict why;
    CallerStream *cs;

    if (st < SRTS_BROKEN)
      continue;
    /* libsrt refused it after our callback: it says why in its log */
    why = srtlib_rejection ((gint) h) == SRT_REJECTION_PASSPHRASE ?
        CALLER_REFUSE_WRONG_PASSPHRASE : CALLER_REFUSE_HANDSHAKE_FAILED;
    g_mutex_lock (&self->lock);
    cs = caller_table_lookup_pending (self->table, h);
    if (cs != NULL) {
      GST_INFO_OBJECT (self, "handshake @%d from %s for '%s' failed: %s",
          (gint) h, cs->pending_address, cs->name, caller_verdict_nick (why));
      queue_refusal_locked (self, why, cs->pending_stream_id, cs->name,
          cs->pending_address);
      caller_table_handshake_failed (self->table, h, why);
    }
    g_mutex_unlock (&self->lock);
  }
  g_array_free (handles, TRUE);

  g_mutex_lock (&self->lock);
  if (caller_table_expire_handshakes (self->table, g_get_monotonic_time ()))
    GST_INFO_OBJECT (self, "handshakes timed out");
  g_mutex_unlock (&self->lock);
}

static gpointer
listener_thread (gpointer data)
{
  GstSrtIngestSrc *self = data;

  GST_DEBUG_OBJECT (self, "listening on %s", self->bind_text);
  while (!g_atomic_int_get (&self->closing)) {
    SRTSOCKET rfds[2];
    gint rn = G_N_ELEMENTS (rfds);
    SYSSOCKET lrfds[2];
    gint lrn = G_N_ELEMENTS (lrfds);
    gint ret;

    ret = srt_epoll_wait (self->listen_eid, rfds, &rn, NULL, NULL,
        LISTENER_TICK_MS, lrfds, &lrn, NULL, NULL);
    if (g_atomic_int_get (&self->closing))
      break;
    wake_fd_clear (self->wake_fd);

    if (ret > 0 && rn > 0) {
      for (;;) {
        struct sockaddr_storage ss;
        gint sslen = sizeof (ss);
        SRTSOCKET s = srt_accept (self->listen_sock, (struct sockaddr *) &ss,
            &sslen);

        if (s == SRT_INVALID_SOCK) {
          if (srt_getlasterror (NULL) != SRT_EASYNCRCV)
            GST_DEBUG_OBJECT (self, "srt_accept: %s", srt_getlasterror_str ());
          break;
        }
        handle_accepted (self, s, (struct sockaddr *) &ss);
      }
    }

    if (srt_getsockstate (self->listen_sock) >= SRTS_BROKEN) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("The SRT listening socket on %s failed", self->bind_text),
          ("state %d", srt_getsockstate (self->listen_sock)));
      break;
    }

    remove_ended_pads (self);
    check_pending_handshakes (self);
    post_refusals (self);
  }
  GST_DEBUG_OBJECT (self, "listener thread ends");
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* The pad task */

/* Sticky events of a new pad */
static void
caller_push_sticky (SrtCaller * c)
{
  GstSrtIngestSrc *self = c->self;
  GstEvent *ev;
  GstSegment seg;
  GstCaps *caps;
  gchar *stream_id;

  stream_id = gst_pad_create_stream_id (c->pad, GST_ELEMENT (self), c->name);
  ev = gst_event_new_stream_start (stream_id);
  gst_event_set_group_id (ev, gst_util_group_id_next ());
  g_free (stream_id);
  gst_pad_push_event (c->pad, ev);

  caps = gst_static_pad_template_get_caps (&src_template);
  gst_pad_push_event (c->pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);

  /* buffers carry running times */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (c->pad, gst_event_new_segment (&seg));
}

/* The caller of @c left: grace or end.  Called without lock. */
static void
caller_lost (SrtCaller * c, SRTSOCKET sock, const gchar * why)
{
  GstSrtIngestSrc *self = c->self;
  CallerStreamState state;
  GstStructure *s;
  GSocketAddress *sockaddr;
  guint64 grace;

  srt_epoll_remove_usock (c->eid, sock);
  srt_close (sock);

  g_mutex_lock (&self->lock);
  c->sock = SRT_INVALID_SOCK;
  counters_add (&c->acc, &c->last);
  memset (&c->last, 0, sizeof (c->last));
  c->bitrate = 0;
  self->callers_disconnected++;
  state = caller_table_disconnected (self->table, c->name, sock,
      g_get_monotonic_time ());
  if (state == CALLER_STREAM_GRACE) {
    CallerStream *cs = caller_table_lookup (self->table, c->name);

    grace = (guint64) MAX (0, cs->grace_deadline - g_get_monotonic_time ());
  } else {
    grace = 0;
    c->eos_pending = TRUE;
    if (c->end_reason == NULL)
      c->end_reason = "disconnected";
  }
  s = gst_structure_new ("srtingestsrc-caller-removed",
      "name", G_TYPE_STRING, c->name,
      "pad", G_TYPE_STRING, GST_PAD_NAME (c->pad),
      "address", G_TYPE_STRING, c->address ? c->address : "",
      "reason", G_TYPE_STRING, why,
      "grace", G_TYPE_UINT64, grace * GST_USECOND, NULL);
  structure_take_structure (s, "stats",
      caller_stats_locked (self, c, g_get_monotonic_time ()));
  sockaddr = c->sockaddr ? g_object_ref (c->sockaddr) : NULL;
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "caller of '%s' %s, %s", c->name, why,
      state == CALLER_STREAM_GRACE ? "waiting for it" : "the pad ends");
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
  g_signal_emit (self, signals[SIGNAL_CALLER_REMOVED], 0, c->name, sockaddr);
  g_clear_object (&sockaddr);
}

/* Every STATS_INTERVAL_US: libsrt's counters (they cannot be read once
 * the connection broke) and the bitrate.  The task, no lock. */
static void
caller_refresh_stats (SrtCaller * c, SRTSOCKET sock, gint64 now)
{
  GstSrtIngestSrc *self = c->self;
  SRT_TRACEBSTATS perf;
  gboolean ok;

  if (now - c->stats_at < STATS_INTERVAL_US)
    return;
  ok = srt_bistats (sock, &perf, 0, 1) == 0;

  g_mutex_lock (&self->lock);
  if (ok)
    counters_from_srt (&c->last, &perf);
  if (c->bitrate_mark_at > 0 && now > c->bitrate_mark_at)
    c->bitrate = (c->bytes_pushed - c->bitrate_mark_bytes) * 8 *
        G_USEC_PER_SEC / (guint64) (now - c->bitrate_mark_at);
  c->bitrate_mark_bytes = c->bytes_pushed;
  c->bitrate_mark_at = now;
  g_mutex_unlock (&self->lock);
  c->stats_at = now;
}

static void
caller_loop (SrtCaller * c)
{
  GstSrtIngestSrc *self = c->self;
  SRTSOCKET sock, old = SRT_INVALID_SOCK, rfds[1];
  SYSSOCKET lrfds[1];
  gint rn = 1, lrn = 1, ret, events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  GstBufferList *list = NULL;
  GstClock *clock;
  GstClockTime base_time, now_ts = GST_CLOCK_TIME_NONE;
  gint64 srt_now = 0;
  gboolean lost = FALSE, playing;
  guint n = 0, i;
  guint64 bytes = 0, non_ts = 0;
  GstFlowReturn flow;

  if (!c->started) {
    caller_push_sticky (c);
    c->started = TRUE;
  }

  g_mutex_lock (&self->lock);
  for (;;) {
    if (self->flushing)
      goto flushing;
    if (c->next_sock != SRT_INVALID_SOCK) {
      old = c->sock;
      c->sock = c->next_sock;
      c->next_sock = SRT_INVALID_SOCK;
      c->discont_next = TRUE;
      c->expect_seq = -1;
      c->stats_at = 0;
      c->bitrate_mark_at = 0;
      if (old != SRT_INVALID_SOCK) {
        /* replaced: its counters go to the past ones */
        counters_add (&c->acc, &c->last);
        memset (&c->last, 0, sizeof (c->last));
      }
      g_mutex_unlock (&self->lock);
      if (old != SRT_INVALID_SOCK) {
        GstStructure *s;

        srt_epoll_remove_usock (c->eid, old);
        srt_close (old);
        g_mutex_lock (&self->lock);
        self->callers_disconnected++;
        s = gst_structure_new ("srtingestsrc-caller-removed",
            "name", G_TYPE_STRING, c->name,
            "pad", G_TYPE_STRING, GST_PAD_NAME (c->pad),
            "address", G_TYPE_STRING, "",
            "reason", G_TYPE_STRING, "replaced",
            "grace", G_TYPE_UINT64, (guint64) 0, NULL);
        g_mutex_unlock (&self->lock);
        gst_element_post_message (GST_ELEMENT (self),
            gst_message_new_element (GST_OBJECT (self), s));
        old = SRT_INVALID_SOCK;
      }
      srt_epoll_add_usock (c->eid, c->sock, &events);
      g_mutex_lock (&self->lock);
      continue;
    }
    if (c->eos_pending)
      goto eos;
    if (c->sock != SRT_INVALID_SOCK)
      break;
    /* no caller: in the grace period */
    {
      CallerStream *cs = caller_table_lookup (self->table, c->name);
      gint64 now = g_get_monotonic_time ();

      if (cs == NULL || cs->state == CALLER_STREAM_ENDING) {
        c->eos_pending = TRUE;
      } else if (caller_table_grace_expired (self->table, c->name, now)) {
        c->eos_pending = TRUE;
        c->end_reason = "grace-expired";
      } else if (cs->state == CALLER_STREAM_GRACE) {
        g_cond_wait_until (&c->cond, &self->lock, cs->grace_deadline);
      }
    }
  }
  sock = c->sock;
  g_mutex_unlock (&self->lock);

  ret = srt_epoll_wait (c->eid, rfds, &rn, NULL, NULL, READ_TICK_MS, lrfds,
      &lrn, NULL, NULL);
  if (ret < 0) {
    if (srt_getlasterror (NULL) != SRT_ETIMEOUT)
      lost = srt_getsockstate (sock) >= SRTS_BROKEN;
    goto done;
  }
  if (rn <= 0)
    goto done;                  /* woken: stopping */

  playing = g_atomic_int_get (&self->playing);
  clock = playing ? gst_element_get_clock (GST_ELEMENT (self)) : NULL;
  base_time = gst_element_get_base_time (GST_ELEMENT (self));
  if (clock) {
    now_ts = gst_clock_get_time (clock);
    srt_now = srt_time_now ();
    gst_object_unref (clock);
  }

  for (i = 0; i < READ_BATCH; i++) {
    SRT_MSGCTRL mctrl;
    GstMapInfo map;
    gint len;
    GstBuffer *buf;

    if (c->spare == NULL)
      c->spare = gst_buffer_new_allocate (NULL, MESSAGE_SIZE_MAX, NULL);
    buf = c->spare;
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    srt_msgctrl_init (&mctrl);
    len = srt_recvmsg2 (sock, (char *) map.data, MESSAGE_SIZE_MAX, &mctrl);
    if (len > 0 && (len % TS_PACKET_SIZE != 0 || map.data[0] != 0x47))
      non_ts++;
    gst_buffer_unmap (buf, &map);
    if (len == SRT_ERROR) {
      if (srt_getlasterror (NULL) != SRT_EASYNCRCV)
        lost = TRUE;
      break;
    }
    if (len <= 0) {
      lost = TRUE;
      break;
    }
    c->spare = NULL;
    gst_buffer_resize (buf, 0, len);
    bytes += len;

    if (GST_CLOCK_TIME_IS_VALID (now_ts)) {
      GstClockTimeDiff delay = 0;
      GstClockTime ts;

      /* srctime: the sender's time of the packet on libsrt's clock;
       * libsrt hands it out a latency later */
      if (mctrl.srctime != 0 && srt_now > mctrl.srctime)
        delay = (srt_now - mctrl.srctime) * GST_USECOND;
      ts = now_ts > base_time ? now_ts - base_time : 0;
      ts = ts > (GstClockTime) delay ? ts - delay : 0;
      GST_BUFFER_PTS (buf) = ts;
      GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    }
    if (c->discont_next || (c->expect_seq >= 0 && mctrl.pktseq !=
            c->expect_seq)) {
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
      c->discont_next = FALSE;
      g_mutex_lock (&self->lock);
      c->discont++;
      g_mutex_unlock (&self->lock);
    }
    c->expect_seq = (mctrl.pktseq + 1) & 0x7fffffff;

    if (list == NULL)
      list = gst_buffer_list_new_sized (READ_BATCH);
    gst_buffer_list_add (list, buf);
    n++;
  }

  if (list != NULL && !playing) {
    /* a live source sends nothing while PAUSED: libsrt keeps delivering,
     * the data is dropped */
    g_mutex_lock (&self->lock);
    c->dropped_not_playing += n;
    self->bytes_received += bytes;
    c->non_ts_messages += non_ts;
    g_mutex_unlock (&self->lock);
    gst_buffer_list_unref (list);
    list = NULL;
    c->discont_next = TRUE;
  } else if (list != NULL) {
    g_mutex_lock (&self->lock);
    c->buffers_pushed += n;
    c->bytes_pushed += bytes;
    c->non_ts_messages += non_ts;
    self->buffers_pushed += n;
    self->bytes_received += bytes;
    g_mutex_unlock (&self->lock);

    if (n == 1) {
      GstBuffer *buf = gst_buffer_ref (gst_buffer_list_get (list, 0));

      gst_buffer_list_unref (list);
      flow = gst_pad_push (c->pad, buf);
    } else {
      flow = gst_pad_push_list (c->pad, list);
    }
    list = NULL;

    if (flow == GST_FLOW_NOT_LINKED) {
      g_mutex_lock (&self->lock);
      c->not_linked += n;
      g_mutex_unlock (&self->lock);
    } else if (flow == GST_FLOW_FLUSHING) {
      GST_DEBUG_OBJECT (c->pad, "flushing");
      gst_pad_pause_task (c->pad);
      return;
    } else if (flow < GST_FLOW_EOS) {
      /* the branch cannot take it: end this stream, not the others */
      GST_ELEMENT_FLOW_ERROR (self, flow);
      g_mutex_lock (&self->lock);
      caller_table_end (self->table, c->name);
      c->eos_pending = TRUE;
      c->end_reason = "error";
      c->remove_reason = "error";
      g_mutex_unlock (&self->lock);
    }
  }

done:
  if (!lost)
    caller_refresh_stats (c, sock, g_get_monotonic_time ());
  if (lost) {
    gboolean replaced;

    g_mutex_lock (&self->lock);
    replaced = c->next_sock != SRT_INVALID_SOCK;
    g_mutex_unlock (&self->lock);
    /* a replaced caller is closed at the hand-over */
    if (!replaced)
      caller_lost (c, sock, c->remove_reason ? c->remove_reason :
          "disconnected");
  }
  return;

flushing:
  {
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (c->pad, "flushing, pausing");
    gst_pad_pause_task (c->pad);
    return;
  }
eos:
  {
    SRTSOCKET s = c->sock;

    c->eos_pending = FALSE;
    g_mutex_unlock (&self->lock);
    if (s != SRT_INVALID_SOCK)
      caller_lost (c, s, c->remove_reason ? c->remove_reason : "removed");
    GST_DEBUG_OBJECT (c->pad, "pushing EOS");
    gst_pad_push_event (c->pad, gst_event_new_eos ());
    /* paused before the listener thread may stop it */
    gst_pad_pause_task (c->pad);
    g_mutex_lock (&self->lock);
    c->ended = TRUE;
    g_queue_push_tail (&self->ended, c);
    g_mutex_unlock (&self->lock);
    wake_fd_set (self->wake_fd);
    return;
  }
}

/* ---------------------------------------------------------------------- */
/* Actions */

static gboolean
gst_srt_ingest_src_remove_caller (GstSrtIngestSrc * self, const gchar * name)
{
  SrtCaller *c;

  if (name == NULL)
    return FALSE;
  g_mutex_lock (&self->lock);
  c = g_hash_table_lookup (self->callers, name);
  if (c != NULL && !c->ended) {
    caller_table_end (self->table, name);
    c->eos_pending = TRUE;
    c->end_reason = "removed";
    c->remove_reason = "removed";
    g_cond_signal (&c->cond);
  }
  g_mutex_unlock (&self->lock);
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
  g_mutex_lock (&self->lock);
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
  g_mutex_unlock (&self->lock);
  gst_event_unref (event);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Start and stop */

static gboolean
set_flag (SRTSOCKET sock, SRT_SOCKOPT opt, const void *val, gint len,
    const gchar * what, GError ** error)
{
  if (srt_setsockflag (sock, opt, val, len) == 0)
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "Could not set %s: %s", what, srt_getlasterror_str ());
  return FALSE;
}

static gboolean
gst_srt_ingest_src_start (GstSrtIngestSrc * self)
{
  gchar *address;
  guint port;
  gint latency;
  gchar *passphrase;
  gint pbkeylen;
  GInetAddress *inet = NULL;
  GSocketAddress *bind_addr = NULL;
  struct sockaddr_storage ss;
  struct sockaddr_storage bound;
  gint boundlen = sizeof (bound);
  const gboolean no = FALSE, yes = TRUE;
  const gint zero = 0;
  gint events = SRT_EPOLL_IN | SRT_EPOLL_ERR, sys_errno = 0;
  GError *error = NULL;
  SRTSOCKET sock = SRT_INVALID_SOCK;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  port = self->port;
  latency = self->latency;
  passphrase = g_strdup (self->passphrase);
  pbkeylen = self->pbkeylen;
  GST_OBJECT_UNLOCK (self);

  g_free (self->bind_text);
  self->bind_text = g_strdup_printf (strchr (address, ':') ? "[%s]:%u" :
      "%s:%u", address, port);

  if (passphrase[0] != '\0' && (strlen (passphrase) < 10 ||
          strlen (passphrase) > 79))
    goto bad_passphrase;

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL) {
    GResolver *resolver = g_resolver_get_default ();
    GList *results = g_resolver_lookup_by_name (resolver, address, NULL,
        &error);

    g_object_unref (resolver);
    if (results == NULL)
      goto resolve_failed;
    inet = g_object_ref (results->data);
    g_resolver_free_addresses (results);
  }
  bind_addr = g_inet_socket_address_new (inet, port);
  if (!g_socket_address_to_native (bind_addr, &ss, sizeof (ss), &error))
    goto resolve_failed;

  sock = srt_create_socket ();
  if (sock == SRT_INVALID_SOCK)
    goto create_failed;

  /* non-blocking accept and receive, live mode (the default transtype) */
  if (!set_flag (sock, SRTO_RCVSYN, &no, sizeof (no), "SRTO_RCVSYN", &error)
      || !set_flag (sock, SRTO_SNDSYN, &no, sizeof (no), "SRTO_SNDSYN", &error)
      || !set_flag (sock, SRTO_TSBPDMODE, &yes, sizeof (yes),
          "SRTO_TSBPDMODE", &error)
      || !set_flag (sock, SRTO_LATENCY, &latency, sizeof (latency), "latency",
          &error))
    goto settings_failed;
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 &&
      !set_flag (sock, SRTO_IPV6ONLY, &zero, sizeof (zero), "SRTO_IPV6ONLY",
          &error))
    goto settings_failed;
  if (passphrase[0] != '\0' && !set_flag (sock, SRTO_PASSPHRASE, passphrase,
          strlen (passphrase), "passphrase", &error))
    goto settings_failed;
  if (pbkeylen != 0 && !set_flag (sock, SRTO_PBKEYLEN, &pbkeylen,
          sizeof (pbkeylen), "pbkeylen", &error))
    goto settings_failed;

  if (srt_bind (sock, (struct sockaddr *) &ss,
          g_socket_address_get_native_size (bind_addr)) == SRT_ERROR) {
    srt_getlasterror (&sys_errno);
    goto bind_failed;
  }
  /* the callback is in place before the first handshake can arrive */
  if (srt_listen_callback (sock, listen_hook, self) == SRT_ERROR) {
    g_set_error (&error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "%s", srt_getlasterror_str ());
    goto settings_failed;
  }
  if (srt_listen (sock, LISTEN_BACKLOG) == SRT_ERROR) {
    srt_getlasterror (&sys_errno);
    goto listen_failed;
  }
  if (srt_getsockname (sock, (struct sockaddr *) &bound, &boundlen) == 0)
    port = ntohs (bound.ss_family == AF_INET6 ?
        ((struct sockaddr_in6 *) &bound)->sin6_port :
        ((struct sockaddr_in *) &bound)->sin_port);

  self->stop_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  self->listen_eid = srt_epoll_create ();
  if (self->stop_fd < 0 || self->wake_fd < 0 || self->listen_eid < 0)
    goto poll_failed;
  srt_epoll_add_usock (self->listen_eid, sock, &events);
  events = SRT_EPOLL_IN;
  srt_epoll_add_ssock (self->listen_eid, self->stop_fd, &events);
  srt_epoll_add_ssock (self->listen_eid, self->wake_fd, &events);

  g_mutex_lock (&self->lock);
  self->listen_sock = sock;
  self->bound_port = port;
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  g_atomic_int_set (&self->closing, 0);

  self->listener = g_thread_try_new ("srtingestsrc-listen", listener_thread,
      self, &error);
  if (self->listener == NULL)
    goto thread_failed;

  GST_INFO_OBJECT (self, "listening on %s (port %u), latency %d ms%s",
      self->bind_text, port, latency, passphrase[0] ? ", encrypted" : "");
  g_free (address);
  g_free (passphrase);
  g_clear_object (&inet);
  g_clear_object (&bind_addr);
  return TRUE;

  /* ERRORS */
bad_passphrase:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The passphrase must have 10 to 79 characters"),
        ("it has %" G_GSIZE_FORMAT, strlen (passphrase)));
    goto fail;
  }
resolve_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Could not resolve the address to listen on, %s", address),
        ("%s", error ? error->message : "unknown"));
    goto fail;
  }
create_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not create an SRT socket"), ("%s", srt_getlasterror_str ()));
    goto fail;
  }
settings_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not configure the SRT socket for %s", self->bind_text),
        ("%s", error ? error->message : "unknown"));
    goto fail;
  }
bind_failed:
  {
    if (sys_errno == EADDRINUSE)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not listen on %s: the port is in use", self->bind_text),
          ("srt_bind: %s (%s)", srt_getlasterror_str (),
              g_strerror (sys_errno)));
    else if (sys_errno == EADDRNOTAVAIL)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not listen on %s: not an address of this machine",
              self->bind_text), ("srt_bind: %s (%s)", srt_getlasterror_str (),
              g_strerror (sys_errno)));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not listen on %s", self->bind_text), ("srt_bind: %s (%s)",
              srt_getlasterror_str (), sys_errno ? g_strerror (sys_errno) :
              "no system error"));
    goto fail;
  }
listen_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not listen on %s: the port is in use by another SRT "
            "listener", self->bind_text), ("srt_listen: %s",
            srt_getlasterror_str ()));
    goto fail;
  }
poll_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not set up polling for %s", self->bind_text),
        ("%s", srt_getlasterror_str ()));
    goto fail;
  }
thread_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the listener thread"), ("%s", error->message));
    g_mutex_lock (&self->lock);
    self->listen_sock = SRT_INVALID_SOCK;
    self->bound_port = 0;
    g_mutex_unlock (&self->lock);
    goto fail;
  }
fail:
  {
    if (sock != SRT_INVALID_SOCK)
      srt_close (sock);
    if (self->listen_eid >= 0)
      srt_epoll_release (self->listen_eid);
    self->listen_eid = -1;
    if (self->stop_fd >= 0)
      close (self->stop_fd);
    if (self->wake_fd >= 0)
      close (self->wake_fd);
    self->stop_fd = self->wake_fd = -1;
    g_clear_error (&error);
    g_free (address);
    g_free (passphrase);
    g_clear_object (&inet);
    g_clear_object (&bind_addr);
    return FALSE;
  }
}

static void
gst_srt_ingest_src_stop (GstSrtIngestSrc * self)
{
  GList *callers, *l;
  SrtCaller *c;

  g_atomic_int_set (&self->closing, 1);
  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  callers = g_hash_table_get_values (self->callers);
  for (l = callers; l; l = l->next)
    g_cond_signal (&((SrtCaller *) l->data)->cond);
  g_list_free (callers);
  g_mutex_unlock (&self->lock);
  wake_fd_set (self->stop_fd);

  if (self->listener) {
    g_thread_join (self->listener);
    self->listener = NULL;
  }
  /* waits for a running listen_hook (libsrt's listener lock) */
  if (self->listen_sock != SRT_INVALID_SOCK)
    srt_close (self->listen_sock);

  /* no new pads from here on: stop and remove every pad */
  for (;;) {
    g_mutex_lock (&self->lock);
    callers = g_hash_table_get_values (self->callers);
    c = callers ? callers->data : NULL;
    g_list_free (callers);
    if (c != NULL) {
      g_hash_table_remove (self->callers, c->name);
      g_queue_remove (&self->ended, c);
    }
    g_mutex_unlock (&self->lock);
    if (c == NULL)
      break;
    gst_pad_stop_task (c->pad);
    gst_pad_set_active (c->pad, FALSE);
    gst_element_remove_pad (GST_ELEMENT (self), c->pad);
    caller_free (c);
  }

  g_mutex_lock (&self->lock);
  self->listen_sock = SRT_INVALID_SOCK;
  self->bound_port = 0;
  caller_table_free (self->table);
  self->table = caller_table_new (&self->config);
  g_queue_clear_full (&self->refusals, (GDestroyNotify) refusal_free);
  g_mutex_unlock (&self->lock);

  if (self->listen_eid >= 0)
    srt_epoll_release (self->listen_eid);
  self->listen_eid = -1;
  if (self->stop_fd >= 0)
    close (self->stop_fd);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  self->stop_fd = self->wake_fd = -1;
}

static GstStateChangeReturn
gst_srt_ingest_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (element);
  GstStateChangeReturn ret;

  if (g_private_get (&in_hook) != NULL) {
    g_critical ("srtingestsrc: the state cannot change from an "
        "accept-caller handler");
    return GST_STATE_CHANGE_FAILURE;
  }

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      srtlib_ref ();
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      g_mutex_lock (&self->lock);
      /* fresh counters for a new run */
      caller_table_free (self->table);
      self->table = caller_table_new (&self->config);
      self->callers_disconnected = self->streams_ended = 0;
      self->refusals_dropped = self->messages_suppressed = 0;
      self->suppressed_since_post = 0;
      self->bytes_received = self->buffers_pushed = 0;
      g_mutex_unlock (&self->lock);
      if (!gst_srt_ingest_src_start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      g_atomic_int_set (&self->playing, 1);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* before the pads are deactivated: that waits for their tasks,
       * which only stop once flushing */
      gst_srt_ingest_src_stop (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      gst_srt_ingest_src_stop (self);
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
