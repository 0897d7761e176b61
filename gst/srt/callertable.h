/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* srtingestsrc's admission policy and caller bookkeeping: GLib-only.
 *
 * Stream ids.  An SRT caller names what it publishes in its stream id
 * (at most 512 bytes).  Two forms are read:
 *  - the SRT access control syntax "#!::key=value,key=value,...": the
 *    resource "r" is the name; "m" (mode) must be "publish" when given
 *    ("request" and "bidirectional" are refused: this is an ingest);
 *    "t" (type) must be "stream" when given; "u", "h", "s" and custom
 *    keys are allowed and not interpreted.  Any other "#!" form, an item
 *    without '=', an empty or repeated key, or no "r" is malformed;
 *  - anything else: the whole id is the name.
 * The id must be valid UTF-8 without control characters.  An empty id
 * takes the configured default name (none: refused).
 * The name is then sanitised into the pad-name charset [A-Za-z0-9_-]:
 * every run of other bytes becomes one '_', a run at either end is
 * dropped ("live/cam 1" -> "live_cam_1", "/a/" -> "a").  A name with no
 * character left or longer than STREAM_NAME_MAX is malformed.  The
 * sanitised name is the stream's identity: its pad is "src_<name>", and
 * two ids that sanitise alike are the same stream.
 *
 * Admission, in this order (the first that applies decides):
 *  1. rate limit: a token bucket per caller address (IP, no port) and one
 *     for all addresses, each holding two seconds' worth of handshakes;
 *     a handshake that finds its address's bucket empty takes nothing
 *     from the global one (one flooding address cannot starve others);
 *  2. the stream id: malformed, unsupported mode;
 *  3. the list of allowed names (empty: all);
 *  4. the name's stream: a handshake already in progress for it ->
 *     duplicate; a connected caller -> duplicate, or (policy replace) the
 *     new caller takes over its pad; in its grace period -> the new
 *     caller resumes its pad; being ended -> duplicate;
 *  5. max_callers: streams (pads, those in grace included, and first
 *     handshakes in progress) at most; resuming or replacing adds none.
 * An accepted handshake is reserved (pending) until libsrt completes it
 * (caller_table_connected) or it fails (caller_table_handshake_failed,
 * e.g. a wrong passphrase, which libsrt checks after the admission) or
 * times out (caller_table_expire_handshakes).
 *
 * A stream lives from its first connected caller until its pad is
 * removed: LIVE while a caller is connected; when the caller leaves,
 * GRACE until grace_deadline (if the grace period is not 0), then ENDING
 * (the pad gets EOS) until caller_table_remove.
 *
 * Every verdict is counted (caller_table_count).  Memory is bounded: at
 * most max_callers streams, one pending handshake per stream, and
 * RATE_ADDRESSES_MAX per-address buckets (least recently used evicted).
 *
 * No locks: the caller serialises calls.  Times are in microseconds of
 * the caller's monotonic clock.  Handles (socket ids) are opaque. */

#ifndef __CALLER_TABLE_H__
#define __CALLER_TABLE_H__

#include <glib.h>

G_BEGIN_DECLS

#define STREAM_ID_MAX 512       /* SRT's limit, bytes */
#define STREAM_NAME_MAX 64      /* sanitised name, bytes */
#define RATE_ADDRESSES_MAX 256  /* per-address buckets kept */
#define CALLER_HANDLE_NONE (-1)

typedef enum {
  STREAM_ID_OK,
  STREAM_ID_EMPTY,              /* no id and no default name */
  STREAM_ID_MALFORMED,
  STREAM_ID_BAD_MODE            /* m=request or m=bidirectional */
} StreamIdResult;

typedef struct {
  gchar name[STREAM_NAME_MAX + 1];      /* sanitised; "" unless OK */
  gboolean access_control;      /* written in the "#!::" syntax */
  const gchar *problem;         /* static text when not OK */
} StreamId;

/* Parses @raw (NUL-terminated, NULL = empty); @default_name (NULL or ""
 * = none) names a caller without stream id. */
StreamIdResult stream_id_parse (const gchar * raw, const gchar * default_name,
    StreamId * out);

/* Sanitises @len bytes of @in into @out (STREAM_NAME_MAX + 1 bytes).
 * Returns FALSE (and @out = "") when nothing is left or it is too long. */
gboolean stream_name_sanitise (const gchar * in, gsize len, gchar * out);

typedef enum {
  CALLER_ACCEPT_NEW,            /* a new stream and pad */
  CALLER_ACCEPT_RESUME,         /* continues a stream in its grace period */
  CALLER_ACCEPT_REPLACE,        /* takes over a connected caller's stream */
  CALLER_REFUSE_RATE_LIMITED,
  CALLER_REFUSE_MALFORMED,      /* malformed or empty stream id */
  CALLER_REFUSE_UNSUPPORTED_MODE,
  CALLER_REFUSE_NOT_ALLOWED,    /* not in the allowed list */
  CALLER_REFUSE_DUPLICATE,
  CALLER_REFUSE_MAX_CALLERS,
  CALLER_REFUSE_APPLICATION,    /* the element's accept-caller signal */
  CALLER_REFUSE_WRONG_PASSPHRASE,       /* libsrt: bad or missing secret */
  CALLER_REFUSE_HANDSHAKE_FAILED,       /* libsrt: other, or timed out */
  CALLER_VERDICT_COUNT
} CallerVerdict;

#define CALLER_VERDICT_IS_ACCEPT(v) ((v) <= CALLER_ACCEPT_REPLACE)

/* "accepted", "resumed", "replaced", "rate-limited", "malformed-id",
 * "unsupported-mode", "not-allowed", "duplicate-id", "max-callers",
 * "refused-by-application", "wrong-passphrase", "handshake-failed" */
const gchar *caller_verdict_nick (CallerVerdict v);

typedef enum {
  CALLER_DUPLICATE_REFUSE,      /* the new caller is refused */
  CALLER_DUPLICATE_REPLACE      /* the new caller takes over the pad */
} CallerDuplicatePolicy;

typedef struct {
  guint max_callers;            /* streams at most, >= 1 */
  gchar **allowed;              /* names; NULL or empty = all */
  gchar *default_name;          /* for callers without id; NULL = refuse */
  gint64 grace;                 /* us; 0 = a leaving caller ends its pad */
  CallerDuplicatePolicy duplicate;
  guint rate;                   /* handshakes/s, all addresses; 0 = no limit */
  guint rate_per_address;       /* handshakes/s per address; 0 = no limit */
  gint64 handshake_timeout;     /* us a reserved handshake may take */
} CallerTableConfig;

typedef enum {
  CALLER_STREAM_PENDING,        /* first handshake in progress, no pad */
  CALLER_STREAM_LIVE,           /* pad, caller connected */
  CALLER_STREAM_GRACE,          /* pad, caller gone until grace_deadline */
  CALLER_STREAM_ENDING          /* pad ends (EOS) until removed */
} CallerStreamState;

/* Read-only for the caller of this API, except user_data. */
typedef struct {
  gchar name[STREAM_NAME_MAX + 1];
  CallerStreamState state;
  gint64 handle;                /* connected caller, or CALLER_HANDLE_NONE */
  gint64 pending_handle;        /* handshake in progress, or NONE */
  CallerVerdict pending_verdict;        /* what the pending one will do */
  gint64 pending_since;
  gchar pending_address[64];    /* as given to caller_table_admit */
  gchar *pending_stream_id;     /* the raw id of the pending handshake */
  gint64 grace_deadline;        /* GRACE: the pad ends at */
  guint connections;            /* callers connected to it so far */
  gpointer user_data;           /* the element's pad record */
} CallerStream;

typedef struct _CallerTable CallerTable;

CallerTable *caller_table_new (const CallerTableConfig * config);
void caller_table_free (CallerTable * t);

/* Copies @config (deep).  Lowering max_callers or the allowed list does
 * not end streams that exist. */
void caller_table_set_config (CallerTable * t,
    const CallerTableConfig * config);

/* Admission of a handshake from @address (IP text, the rate-limit key)
 * with stream id @raw_id, libsrt socket @handle.  Fills @sid (may be
 * NULL).  An accepting verdict reserves the stream for @handle. */
CallerVerdict caller_table_admit (CallerTable * t, gint64 handle,
    const gchar * address, const gchar * raw_id, gint64 now, StreamId * sid);

/* A reserved handshake is refused after all (@why: application, wrong
 * passphrase, handshake failed): the reservation is dropped and @why
 * counted.  Returns FALSE if @handle was not pending. */
gboolean caller_table_handshake_failed (CallerTable * t, gint64 handle,
    CallerVerdict why);

/* Drops reservations older than the handshake timeout (counted as
 * handshake-failed).  Returns how many. */
guint caller_table_expire_handshakes (CallerTable * t, gint64 now);

/* The stream a pending handshake @handle is for, or NULL. */
CallerStream *caller_table_lookup_pending (CallerTable * t, gint64 handle);

/* Appends the handles of every pending handshake to @handles (gint64). */
void caller_table_pending_handles (CallerTable * t, GArray * handles);

/* libsrt accepted @handle.  Returns its stream, now LIVE with @handle
 * (*verdict: NEW, RESUME or REPLACE; *replaced: the handle it replaces
 * or NONE), or NULL if @handle is not pending (expired, or refused). */
CallerStream *caller_table_connected (CallerTable * t, gint64 handle,
    gint64 now, CallerVerdict * verdict, gint64 * replaced);

/* The caller @handle of stream @name left.  Returns the new state: GRACE
 * (grace_deadline set) or ENDING.  Without a grace period, a stream whose
 * replacement handshake is in progress waits for it (GRACE until that
 * handshake may time out).  A handle that is not the stream's connected
 * caller (it was replaced) changes nothing. */
CallerStreamState caller_table_disconnected (CallerTable * t,
    const gchar * name, gint64 handle, gint64 now);

/* GRACE stream @name whose deadline passed becomes ENDING: TRUE. */
gboolean caller_table_grace_expired (CallerTable * t, const gchar * name,
    gint64 now);

/* Ends stream @name now (no grace); returns its connected handle (the
 * caller disconnects it) or NONE.  A pending handshake for it is
 * dropped. */
gint64 caller_table_end (CallerTable * t, const gchar * name);

/* The pad of stream @name is gone: forget it. */
void caller_table_remove (CallerTable * t, const gchar * name);

CallerStream *caller_table_lookup (CallerTable * t, const gchar * name);

/* Streams in name order: free the list with g_list_free (the streams
 * belong to @t). */
GList *caller_table_streams (CallerTable * t);

guint caller_table_n_streams (CallerTable * t, CallerStreamState state);
guint caller_table_n_pending (CallerTable * t);
guint caller_table_n_rate_addresses (CallerTable * t);
guint64 caller_table_count (CallerTable * t, CallerVerdict v);

/* libsrt's log line about a handshake it refused after the listener
 * callback, "@<socket>:newConnection: connection rejected due to: <why>
 * - ERROR:<REASON>" (1.5; the log handler gets it after ": "): BADSECRET
 * and UNSECURE (wrong or missing passphrase) are
 * SRT_REJECTION_PASSPHRASE, others OTHER. */
typedef enum {
  SRT_REJECTION_UNKNOWN,        /* not such a line */
  SRT_REJECTION_PASSPHRASE,
  SRT_REJECTION_OTHER
} SrtRejection;

SrtRejection srt_log_parse_rejection (const gchar * message, gint * socket_id);

G_END_DECLS

#endif /* __CALLER_TABLE_H__ */
