/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* srtingestsrc's listening socket: set-up, the listen callback (the
 * admission), the listener thread (accepting, refusal messages, failed
 * handshakes, removing ended pads), tear-down.
 *
 * Implementation notes
 *
 *   libsrt RcvQ thread          listener thread (srtingestsrc-listen)
 *   listen_hook, per handshake  srt_epoll_uwait (listener), every 0.1 s
 *     CallerTable admission ─┐  srt_accept ─> handle_accepted: a new pad and
 *     accept-caller signal   │     task, or the socket handed to a pad
 *     refusal queued ────────┴─> post_refusals (at most 10 per second)
 *                               resolve_failed_handshakes: libsrt refused
 *                                  (wrong passphrase) or timed out
 *                               remove_ended_pads: pads that pushed EOS
 *
 * The callback runs while libsrt holds its listener lock: it takes
 * self->lock briefly and calls nothing that could wait for libsrt.
 * Closing the listening socket (ingest_listener_stop) waits for a running
 * callback, so it is never done with self->lock held. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <srt/access_control.h>

#include "srtingestprivate.h"
#include "srtlib.h"

/* connections libsrt completed that the listener thread has not taken
 * yet.  libsrt refuses a handshake beyond it before the listen callback
 * (uncounted), so it is not the bound: every queued connection passed the
 * admission and is reserved in the CallerTable, whose max-callers bounds
 * them.  A burst of callers (a restart: every encoder at once) fits. */
#define LISTEN_BACKLOG MAX_MAX_CALLERS
/* accepted per wake-up of the listener thread at most (then the tick's
 * other work, then more) */
#define ACCEPT_BATCH 64
/* the listener thread looks at pending handshakes this often */
#define LISTENER_TICK_MS 100
/* refusal messages: queued at most, posted per second at most */
#define REFUSALS_QUEUED_MAX 32
#define REFUSAL_MESSAGES_PER_SECOND 10
/* the refused stream id as shown in a message, bytes */
#define REFUSED_ID_SHOWN_MAX 128

/* A refusal from the hook, posted by the listener thread */
typedef struct
{
  CallerVerdict verdict;
  gchar *stream_id;             /* escaped, shortened */
  gchar *name;
  gchar *address;
} Refusal;

/* set while the hook emits accept-caller: stats then leave libsrt alone */
static GPrivate in_hook;


gboolean
ingest_in_hook (void)
{
  return g_private_get (&in_hook) != NULL;
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

void
ingest_refusal_free (gpointer data)
{
  Refusal *r = data;

  g_free (r->stream_id);
  g_free (r->name);
  g_free (r->address);
  g_free (r);
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

/* What became of the handshakes the element accepted and libsrt has not
 * completed: libsrt refused some after the callback (a wrong passphrase),
 * which frees their stream names.  The listener thread, every tick, and
 * the listen callback before each admission (a caller retries a refused
 * handshake within milliseconds: its name must not still look taken).
 * Called without self->lock. */
static void
resolve_failed_handshakes (GstSrtIngestSrc * self)
{
  GArray *handles = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  GST_SRT_INGEST_SRC_LOCK (self);
  caller_table_pending_handles (self->table, handles);
  GST_SRT_INGEST_SRC_UNLOCK (self);
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
    GST_SRT_INGEST_SRC_LOCK (self);
    cs = caller_table_lookup_pending (self->table, h);
    if (cs != NULL) {
      GST_INFO_OBJECT (self, "handshake @%d from %s for '%s' failed: %s",
          (gint) h, cs->pending_address, cs->name, caller_verdict_nick (why));
      queue_refusal_locked (self, why, cs->pending_stream_id, cs->name,
          cs->pending_address);
      caller_table_handshake_failed (self->table, h, why);
    }
    GST_SRT_INGEST_SRC_UNLOCK (self);
  }
  g_array_free (handles, TRUE);
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
  /* a retry of a handshake libsrt just refused finds its name free */
  resolve_failed_handshakes (self);

  ip = sockaddr_to_text (peer, FALSE);
  address = sockaddr_to_text (peer, TRUE);

  GST_SRT_INGEST_SRC_LOCK (self);
  v = caller_table_admit (self->table, ns, ip, stream_id, now, &sid);
  if (!CALLER_VERDICT_IS_ACCEPT (v))
    queue_refusal_locked (self, v, stream_id, sid.name, address);
  GST_SRT_INGEST_SRC_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "handshake @%d from %s, stream id '%s': %s%s%s",
      ns, address, stream_id ? stream_id : "", caller_verdict_nick (v),
      sid.problem ? ": " : "", sid.problem ? sid.problem : "");

  ask_app = CALLER_VERDICT_IS_ACCEPT (v) &&
      g_signal_has_handler_pending (self,
      srt_ingest_src_signals[SRT_INGEST_SIGNAL_ACCEPT_CALLER], 0, FALSE);
  if (ask_app) {
    GSocketAddress *sa = g_socket_address_new_from_native ((gpointer) peer,
        sockaddr_len (peer));
    gboolean accept = TRUE;

    g_private_set (&in_hook, GINT_TO_POINTER (1));
    g_signal_emit (self,
        srt_ingest_src_signals[SRT_INGEST_SIGNAL_ACCEPT_CALLER], 0, sa,
        sid.name, stream_id ? stream_id : "", &accept);
    g_private_set (&in_hook, NULL);
    g_clear_object (&sa);

    if (!accept) {
      v = CALLER_REFUSE_APPLICATION;
      GST_SRT_INGEST_SRC_LOCK (self);
      caller_table_handshake_failed (self->table, ns, v);
      queue_refusal_locked (self, v, stream_id, sid.name, address);
      GST_SRT_INGEST_SRC_UNLOCK (self);
    }
  }

  g_free (ip);
  g_free (address);

  /* refused, or reserved: the listener thread posts the message or keeps
   * an eye on the handshake at its next tick */
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

  GST_SRT_INGEST_SRC_LOCK (self);
  while ((r = g_queue_pop_head (&self->refusals)) != NULL) {
    if (now - self->refusal_window >= G_USEC_PER_SEC) {
      self->refusal_window = now;
      self->refusals_in_window = 0;
    }
    if (self->refusals_in_window >= REFUSAL_MESSAGES_PER_SECOND) {
      self->messages_suppressed++;
      self->suppressed_since_post++;
      ingest_refusal_free (r);
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
    ingest_refusal_free (r);
  }
  GST_SRT_INGEST_SRC_UNLOCK (self);

  while ((msg = g_queue_pop_head (&posts)) != NULL)
    gst_element_post_message (GST_ELEMENT (self), msg);
}

/* ---------------------------------------------------------------------- */
/* Pads */

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
  SRTSOCKET stale = SRT_INVALID_SOCK;

  if (srt_getsockflag (sock, SRTO_STREAMID, raw_id, &len) == 0 && len >= 0 &&
      len <= STREAM_ID_MAX)
    raw_id[len] = '\0';
  else
    raw_id[0] = '\0';
  srt_getsockflag (sock, SRTO_RCVLATENCY, &latency, &optlen);
  sockaddr = g_socket_address_new_from_native ((gpointer) sa,
      sockaddr_len (sa));

  GST_SRT_INGEST_SRC_LOCK (self);
  cs = caller_table_connected (self->table, sock, g_get_monotonic_time (), &v,
      &replaced);
  if (cs == NULL || self->flushing) {
    GST_SRT_INGEST_SRC_UNLOCK (self);
    GST_INFO_OBJECT (self, "@%d completed a handshake the element gave up",
        sock);
    srt_close (sock);
    g_clear_object (&sockaddr);
    return;
  }
  is_new = cs->user_data == NULL;
  if (is_new) {
    c = ingest_caller_new (self, cs->name);
    cs->user_data = c;
    g_hash_table_insert (self->callers, c->name, c);
    c->sock = sock;
    c->discont_next = TRUE;
  } else {
    c = cs->user_data;
    /* a second caller before the task took the first: the first goes */
    stale = c->next_sock;
    c->next_sock = sock;
    g_cond_signal (&c->cond);
  }
  if (v == CALLER_ACCEPT_REPLACE) {
    /* for the replaced caller's caller-removed */
    g_free (c->prev_address);
    c->prev_address = g_steal_pointer (&c->address);
    g_clear_object (&c->prev_sockaddr);
    c->prev_sockaddr = g_steal_pointer (&c->sockaddr);
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
  GST_SRT_INGEST_SRC_UNLOCK (self);

  if (stale != SRT_INVALID_SOCK)
    srt_close (stale);

  GST_INFO_OBJECT (self, "caller @%d %s from %s: stream '%s' (%s), "
      "latency %d ms", sock, caller_verdict_nick (v), c->address, c->name,
      raw_id, latency);

  if (is_new) {
    if (c->eid >= 0)
      srt_epoll_add_usock (c->eid, sock, &events);
    gst_pad_set_active (c->pad, TRUE);
    gst_element_add_pad (GST_ELEMENT (self), c->pad);
    gst_pad_start_task (c->pad, (GstTaskFunction) ingest_caller_loop, c, NULL);
  }

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), added));
  g_signal_emit (self, srt_ingest_src_signals[SRT_INGEST_SIGNAL_CALLER_ADDED],
      0, c->name, sockaddr);
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

    GST_SRT_INGEST_SRC_LOCK (self);
    c = g_queue_pop_head (&self->ended);
    if (c != NULL) {
      g_hash_table_remove (self->callers, c->name);
      caller_table_remove (self->table, c->name);
      self->streams_ended++;
    }
    GST_SRT_INGEST_SRC_UNLOCK (self);
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
    ingest_caller_free (c);
  }
}

static gpointer
listener_thread (gpointer data)
{
  GstSrtIngestSrc *self = data;

  GST_DEBUG_OBJECT (self, "listening on %s", self->bind_text);
  while (!g_atomic_int_get (&self->closing)) {
    SRT_EPOLL_EVENT ev;
    gint ret, i;

    /* srt_epoll_uwait returns 0 on a timeout; srt_epoll_wait, and an
     * srt_accept with nothing to accept, throw a C++ exception inside
     * libsrt (costly): accept only while SRTO_EVENT says there is more */
    ret = srt_epoll_uwait (self->listen_eid, &ev, 1, LISTENER_TICK_MS);
    if (g_atomic_int_get (&self->closing))
      break;

    for (i = 0; ret > 0 && i < ACCEPT_BATCH; i++) {
      struct sockaddr_storage ss;
      gint sslen = sizeof (ss), flags = 0, flen = sizeof (flags);
      SRTSOCKET s;

      if (i > 0 && (srt_getsockflag (self->listen_sock, SRTO_EVENT, &flags,
                  &flen) != 0 || !(flags & SRT_EPOLL_IN)))
        break;
      s = srt_accept (self->listen_sock, (struct sockaddr *) &ss, &sslen);
      if (s == SRT_INVALID_SOCK) {
        GST_DEBUG_OBJECT (self, "srt_accept: %s", srt_getlasterror_str ());
        break;
      }
      handle_accepted (self, s, (struct sockaddr *) &ss);
    }

    if (srt_getsockstate (self->listen_sock) >= SRTS_BROKEN) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("The SRT listening socket on %s failed", self->bind_text),
          ("state %d", srt_getsockstate (self->listen_sock)));
      break;
    }

    remove_ended_pads (self);
    resolve_failed_handshakes (self);
    GST_SRT_INGEST_SRC_LOCK (self);
    if (caller_table_expire_handshakes (self->table, g_get_monotonic_time ()))
      GST_INFO_OBJECT (self, "handshakes timed out");
    GST_SRT_INGEST_SRC_UNLOCK (self);
    post_refusals (self);
  }
  GST_DEBUG_OBJECT (self, "listener thread ends");
  return NULL;
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

gboolean
ingest_listener_start (GstSrtIngestSrc * self)
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

  /* the listening socket only: the listener thread looks at the rest
   * every LISTENER_TICK_MS */
  self->listen_eid = srt_epoll_create ();
  if (self->listen_eid < 0)
    goto poll_failed;
  srt_epoll_add_usock (self->listen_eid, sock, &events);

  GST_SRT_INGEST_SRC_LOCK (self);
  self->listen_sock = sock;
  self->bound_port = port;
  self->flushing = FALSE;
  GST_SRT_INGEST_SRC_UNLOCK (self);
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
    GST_SRT_INGEST_SRC_LOCK (self);
    self->listen_sock = SRT_INVALID_SOCK;
    self->bound_port = 0;
    GST_SRT_INGEST_SRC_UNLOCK (self);
    goto fail;
  }
fail:
  {
    if (sock != SRT_INVALID_SOCK)
      srt_close (sock);
    if (self->listen_eid >= 0)
      srt_epoll_release (self->listen_eid);
    self->listen_eid = -1;
    g_clear_error (&error);
    g_free (address);
    g_free (passphrase);
    g_clear_object (&inet);
    g_clear_object (&bind_addr);
    return FALSE;
  }
}

void
ingest_listener_stop (GstSrtIngestSrc * self)
{
  GList *callers, *l;
  SrtCaller *c;

  g_atomic_int_set (&self->closing, 1);
  GST_SRT_INGEST_SRC_LOCK (self);
  self->flushing = TRUE;
  callers = g_hash_table_get_values (self->callers);
  for (l = callers; l; l = l->next)
    g_cond_signal (&((SrtCaller *) l->data)->cond);
  g_list_free (callers);
  GST_SRT_INGEST_SRC_UNLOCK (self);

  /* the listener thread and the pad tasks notice within 0.1 s */
  if (self->listener) {
    g_thread_join (self->listener);
    self->listener = NULL;
  }
  /* waits for a running listen_hook (libsrt's listener lock) */
  if (self->listen_sock != SRT_INVALID_SOCK)
    srt_close (self->listen_sock);

  /* no new pads from here on: stop and remove every pad */
  for (;;) {
    GST_SRT_INGEST_SRC_LOCK (self);
    callers = g_hash_table_get_values (self->callers);
    c = callers ? callers->data : NULL;
    g_list_free (callers);
    if (c != NULL) {
      g_hash_table_remove (self->callers, c->name);
      g_queue_remove (&self->ended, c);
    }
    GST_SRT_INGEST_SRC_UNLOCK (self);
    if (c == NULL)
      break;
    gst_pad_stop_task (c->pad);
    gst_pad_set_active (c->pad, FALSE);
    gst_element_remove_pad (GST_ELEMENT (self), c->pad);
    ingest_caller_free (c);
  }

  GST_SRT_INGEST_SRC_LOCK (self);
  self->listen_sock = SRT_INVALID_SOCK;
  self->bound_port = 0;
  caller_table_free (self->table);
  self->table = caller_table_new (&self->config);
  g_queue_clear_full (&self->refusals, ingest_refusal_free);
  GST_SRT_INGEST_SRC_UNLOCK (self);

  if (self->listen_eid >= 0)
    srt_epoll_release (self->listen_eid);
  self->listen_eid = -1;
}
