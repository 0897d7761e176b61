/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* srtingestsrc's insides, shared by the element (gstsrtingestsrc.c:
 * properties, stats, actions, state changes), its listening socket
 * (srtlistener.c: admission, accepting, refusals) and its caller pads
 * (srtcallerpad.c: one pad and streaming thread per stream, reading its
 * caller's socket).  Not installed. */

#ifndef __SRT_INGEST_PRIVATE_H__
#define __SRT_INGEST_PRIVATE_H__

#include <gio/gio.h>
#include <gst/gst.h>
#include <srt/srt.h>

#include "gstsrtingestsrc.h"
#include "callertable.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_srt_ingest_src_debug);
#define GST_CAT_DEFAULT gst_srt_ingest_src_debug

enum
{
  SRT_INGEST_SIGNAL_ACCEPT_CALLER,
  SRT_INGEST_SIGNAL_CALLER_ADDED,
  SRT_INGEST_SIGNAL_CALLER_REMOVED,
  SRT_INGEST_SIGNAL_REMOVE_CALLER,
  SRT_INGEST_LAST_SIGNAL
};

extern guint srt_ingest_src_signals[SRT_INGEST_LAST_SIGNAL];

/* the src_%s pads */
extern GstStaticPadTemplate srt_ingest_src_template;

/* max-callers at most */
#define MAX_MAX_CALLERS 1024
/* a pad task wakes at least this often (stop, hand-over, EOS) */
#define READ_TICK_MS 100
/* a handshake the element accepted must complete within this (libsrt's
 * own connection timeout is 3 s) */
#define HANDSHAKE_TIMEOUT_US (5 * G_USEC_PER_SEC)

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
  gint eid;                     /* [task] epoll of the socket */

  SRTSOCKET sock;               /* the connected caller, read by the task */
  SRTSOCKET next_sock;          /* a resuming/replacing caller to read next */
  gchar *stream_id;             /* the caller's raw stream id */
  gchar *address;               /* "ip:port" */
  GSocketAddress *sockaddr;
  gchar *prev_address;          /* of the caller being replaced */
  GSocketAddress *prev_sockaddr;
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

struct _GstSrtIngestSrc
{
  GstElement parent;

  /* socket settings: GST_OBJECT_LOCK */
  gchar *address;
  guint port;
  gint latency;
  gchar *passphrase;
  GstSrtIngestSrcKeyLength pbkeylen;

  /* dataflow state: GST_SRT_INGEST_SRC_LOCK */
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
  gint listen_eid;              /* epoll of the listening socket */
  GThread *listener;
  gint closing;                 /* atomic: the hook refuses everything */
  gchar *bind_text;             /* "address:port" for messages */
};

#define GST_SRT_INGEST_SRC_LOCK(s) g_mutex_lock (&(s)->lock)
#define GST_SRT_INGEST_SRC_UNLOCK(s) g_mutex_unlock (&(s)->lock)

/* srtlistener.c: binds and listens (errors posted), starts the listener
 * thread; ingest_listener_stop stops everything, pads included.  The
 * state change thread only. */
gboolean ingest_listener_start (GstSrtIngestSrc * self);
void ingest_listener_stop (GstSrtIngestSrc * self);
/* TRUE in the listen callback's thread while accept-caller is emitted */
gboolean ingest_in_hook (void);
/* frees a queued refusal (self->refusals) */
void ingest_refusal_free (gpointer refusal);

/* srtcallerpad.c: a stream's pad and task.  ingest_caller_new (listener
 * thread) makes the pad, not yet added; ingest_caller_loop is its task;
 * ingest_caller_free once the task is stopped and the pad removed. */
SrtCaller *ingest_caller_new (GstSrtIngestSrc * self, const gchar * name);
void ingest_caller_free (SrtCaller * c);
void ingest_caller_loop (SrtCaller * c);

/* The stream's application/x-srtingestsrc-caller-stats; self->lock held */
GstStructure *ingest_caller_stats_locked (GstSrtIngestSrc * self,
    SrtCaller * c, gint64 now);

void ingest_counters_from_srt (SrtCounters * c, const SRT_TRACEBSTATS * s);
/* Sets field @name of @s to @sub, taking it */
void ingest_structure_take (GstStructure * s, const gchar * name,
    GstStructure * sub);

G_END_DECLS

#endif /* __SRT_INGEST_PRIVATE_H__ */
