/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* srtingestsrc's caller pads: one src_<name> pad per stream, pushed from
 * its own task.
 *
 * Implementation notes
 *
 *            listener thread                  pad task (ingest_caller_loop)
 *   accept ─> new stream: pad, task ───────>  sticky events once
 *            resume/replace: next_sock ────>  hand-over: close the old
 *                                             socket, DISCONT
 *                                             srt_epoll_uwait (socket)
 *                                             srt_recvmsg2 up to READ_BATCH
 *                                             messages, PTS on the clock,
 *                                             one push (buffer list)
 *                                             caller gone ─> grace wait on
 *                                             cond, or EOS
 *            remove the pad <────────────── ended (EOS pushed, task paused)
 *
 * The task owns the socket it reads and closes it; the listener thread
 * only hands a new one over (next_sock) under self->lock.  Counters are
 * updated under self->lock, never held across libsrt calls or pushes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "srtingestprivate.h"

/* messages read per wake-up at most, pushed as one buffer list */
#define READ_BATCH 64
/* libsrt's largest live payload */
#define MESSAGE_SIZE_MAX 1456
#define TS_PACKET_SIZE 188
/* a pad task refreshes its caller's libsrt stats this often */
#define STATS_INTERVAL_US G_USEC_PER_SEC

#define TS_CAPS "video/mpegts, systemstream = (boolean) true, " \
    "packetsize = (int) 188"

GstStaticPadTemplate srt_ingest_src_template =
GST_STATIC_PAD_TEMPLATE ("src_%s",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS (TS_CAPS));


void
ingest_structure_take (GstStructure * s, const gchar * name, GstStructure * sub)
{
  GValue v = G_VALUE_INIT;

  g_value_init (&v, GST_TYPE_STRUCTURE);
  g_value_take_boxed (&v, sub);
  gst_structure_take_value (s, name, &v);
}

void
ingest_counters_from_srt (SrtCounters * c, const SRT_TRACEBSTATS * s)
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

GstStructure *
ingest_caller_stats_locked (GstSrtIngestSrc * self, SrtCaller * c, gint64 now)
{
  CallerStream *cs = caller_table_lookup (self->table, c->name);
  CallerStreamState state = cs ? cs->state : CALLER_STREAM_ENDING;
  SrtCounters tot = c->acc;
  gboolean live = c->sock != SRT_INVALID_SOCK;

  if (live)
    counters_add (&tot, &c->last);

  return gst_structure_new ("stream",
      "id", G_TYPE_STRING, c->name,
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

static gboolean
caller_pad_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstSrtIngestSrc *self = GST_SRT_INGEST_SRC (parent);
  SrtCaller *c = gst_pad_get_element_private (pad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gint ms;

      GST_SRT_INGEST_SRC_LOCK (self);
      ms = c->latency_ms;
      GST_SRT_INGEST_SRC_UNLOCK (self);
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

SrtCaller *
ingest_caller_new (GstSrtIngestSrc * self, const gchar * name)
{
  SrtCaller *c = g_new0 (SrtCaller, 1);
  gchar *pad_name = g_strconcat ("src_", name, NULL);

  c->self = self;
  c->name = g_strdup (name);
  c->sock = SRT_INVALID_SOCK;
  c->next_sock = SRT_INVALID_SOCK;
  c->expect_seq = -1;
  g_cond_init (&c->cond);
  /* the caller's socket only: stopping is seen within READ_TICK_MS */
  c->eid = srt_epoll_create ();

  c->pad =
      gst_pad_new_from_static_template (&srt_ingest_src_template, pad_name);
  g_free (pad_name);
  gst_object_ref_sink (c->pad);
  gst_pad_set_element_private (c->pad, c);
  gst_pad_set_query_function (c->pad, caller_pad_query);
  gst_pad_use_fixed_caps (c->pad);
  return c;
}

/* The pad is removed and its task stopped; frees @c and closes what
 * is left.  No lock held. */
void
ingest_caller_free (SrtCaller * c)
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
  g_free (c->prev_address);
  g_clear_object (&c->prev_sockaddr);
  g_free (c);
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

  caps = gst_static_pad_template_get_caps (&srt_ingest_src_template);
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

  GST_SRT_INGEST_SRC_LOCK (self);
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
  ingest_structure_take (s, "stats",
      ingest_caller_stats_locked (self, c, g_get_monotonic_time ()));
  sockaddr = c->sockaddr ? g_object_ref (c->sockaddr) : NULL;
  GST_SRT_INGEST_SRC_UNLOCK (self);

  GST_INFO_OBJECT (self, "caller of '%s' %s, %s", c->name, why,
      state == CALLER_STREAM_GRACE ? "waiting for it" : "the pad ends");
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
  g_signal_emit (self, srt_ingest_src_signals[SRT_INGEST_SIGNAL_CALLER_REMOVED],
      0, c->name, sockaddr);
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

  GST_SRT_INGEST_SRC_LOCK (self);
  if (ok)
    ingest_counters_from_srt (&c->last, &perf);
  if (c->bitrate_mark_at > 0 && now > c->bitrate_mark_at)
    c->bitrate = (c->bytes_pushed - c->bitrate_mark_bytes) * 8 *
        G_USEC_PER_SEC / (guint64) (now - c->bitrate_mark_at);
  c->bitrate_mark_bytes = c->bytes_pushed;
  c->bitrate_mark_at = now;
  GST_SRT_INGEST_SRC_UNLOCK (self);
  c->stats_at = now;
}

void
ingest_caller_loop (SrtCaller * c)
{
  GstSrtIngestSrc *self = c->self;
  SRTSOCKET sock, old = SRT_INVALID_SOCK;
  SRT_EPOLL_EVENT ev;
  gint ret, events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
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

  GST_SRT_INGEST_SRC_LOCK (self);
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
      GST_SRT_INGEST_SRC_UNLOCK (self);
      if (old != SRT_INVALID_SOCK) {
        GstStructure *s;
        GSocketAddress *prev;

        srt_epoll_remove_usock (c->eid, old);
        srt_close (old);
        GST_SRT_INGEST_SRC_LOCK (self);
        self->callers_disconnected++;
        s = gst_structure_new ("srtingestsrc-caller-removed",
            "name", G_TYPE_STRING, c->name,
            "pad", G_TYPE_STRING, GST_PAD_NAME (c->pad),
            "address", G_TYPE_STRING, c->prev_address ? c->prev_address : "",
            "reason", G_TYPE_STRING, "replaced",
            "grace", G_TYPE_UINT64, (guint64) 0, NULL);
        g_clear_pointer (&c->prev_address, g_free);
        prev = g_steal_pointer (&c->prev_sockaddr);
        GST_SRT_INGEST_SRC_UNLOCK (self);
        gst_element_post_message (GST_ELEMENT (self),
            gst_message_new_element (GST_OBJECT (self), s));
        g_signal_emit (self,
            srt_ingest_src_signals[SRT_INGEST_SIGNAL_CALLER_REMOVED], 0,
            c->name, prev);
        g_clear_object (&prev);
        old = SRT_INVALID_SOCK;
      }
      srt_epoll_add_usock (c->eid, c->sock, &events);
      GST_SRT_INGEST_SRC_LOCK (self);
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
  GST_SRT_INGEST_SRC_UNLOCK (self);

  /* srt_epoll_uwait: a timeout returns 0 (srt_epoll_wait and a read that
   * finds nothing throw a C++ exception inside libsrt: that cost as much
   * as everything else put together) */
  ret = srt_epoll_uwait (c->eid, &ev, 1, READ_TICK_MS);
  if (ret < 0) {
    lost = srt_getsockstate (sock) >= SRTS_BROKEN;
    goto done;
  }
  if (ret == 0)
    goto done;                  /* nothing within the tick: flags again */

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
    gint len, flags = 0, flen = sizeof (flags);
    GstBuffer *buf;

    /* read only what libsrt has (see above) */
    if (i > 0 && (srt_getsockflag (sock, SRTO_EVENT, &flags, &flen) != 0 ||
            !(flags & (SRT_EPOLL_IN | SRT_EPOLL_ERR))))
      break;
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
      GST_SRT_INGEST_SRC_LOCK (self);
      c->discont++;
      GST_SRT_INGEST_SRC_UNLOCK (self);
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
    GST_SRT_INGEST_SRC_LOCK (self);
    c->dropped_not_playing += n;
    self->bytes_received += bytes;
    c->non_ts_messages += non_ts;
    GST_SRT_INGEST_SRC_UNLOCK (self);
    gst_buffer_list_unref (list);
    list = NULL;
    c->discont_next = TRUE;
  } else if (list != NULL) {
    GST_SRT_INGEST_SRC_LOCK (self);
    c->buffers_pushed += n;
    c->bytes_pushed += bytes;
    c->non_ts_messages += non_ts;
    self->buffers_pushed += n;
    self->bytes_received += bytes;
    GST_SRT_INGEST_SRC_UNLOCK (self);

    if (n == 1) {
      GstBuffer *buf = gst_buffer_ref (gst_buffer_list_get (list, 0));

      gst_buffer_list_unref (list);
      flow = gst_pad_push (c->pad, buf);
    } else {
      flow = gst_pad_push_list (c->pad, list);
    }
    list = NULL;

    if (flow == GST_FLOW_NOT_LINKED) {
      GST_SRT_INGEST_SRC_LOCK (self);
      c->not_linked += n;
      GST_SRT_INGEST_SRC_UNLOCK (self);
    } else if (flow == GST_FLOW_FLUSHING) {
      GST_DEBUG_OBJECT (c->pad, "flushing");
      gst_pad_pause_task (c->pad);
      return;
    } else if (flow < GST_FLOW_EOS) {
      /* the branch cannot take it: end this stream, not the others */
      GST_ELEMENT_FLOW_ERROR (self, flow);
      GST_SRT_INGEST_SRC_LOCK (self);
      caller_table_end (self->table, c->name);
      c->eos_pending = TRUE;
      c->end_reason = "error";
      c->remove_reason = "error";
      GST_SRT_INGEST_SRC_UNLOCK (self);
    }
  }

done:
  if (!lost)
    caller_refresh_stats (c, sock, g_get_monotonic_time ());
  if (lost) {
    gboolean replaced;

    GST_SRT_INGEST_SRC_LOCK (self);
    replaced = c->next_sock != SRT_INVALID_SOCK;
    GST_SRT_INGEST_SRC_UNLOCK (self);
    /* a replaced caller is closed at the hand-over */
    if (!replaced)
      caller_lost (c, sock, c->remove_reason ? c->remove_reason :
          "disconnected");
  }
  return;

flushing:
  {
    GST_SRT_INGEST_SRC_UNLOCK (self);
    GST_DEBUG_OBJECT (c->pad, "flushing, pausing");
    gst_pad_pause_task (c->pad);
    return;
  }
eos:
  {
    SRTSOCKET s = c->sock;

    c->eos_pending = FALSE;
    GST_SRT_INGEST_SRC_UNLOCK (self);
    if (s != SRT_INVALID_SOCK)
      caller_lost (c, s, c->remove_reason ? c->remove_reason : "removed");
    GST_DEBUG_OBJECT (c->pad, "pushing EOS");
    gst_pad_push_event (c->pad, gst_event_new_eos ());
    /* paused before the listener thread may stop it */
    gst_pad_pause_task (c->pad);
    GST_SRT_INGEST_SRC_LOCK (self);
    c->ended = TRUE;
    g_queue_push_tail (&self->ended, c);
    GST_SRT_INGEST_SRC_UNLOCK (self);
    /* the listener thread removes the pad at its next tick */
    return;
  }
}
