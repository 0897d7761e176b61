/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* srtingestsrc's admission policy and caller bookkeeping: see
 * callertable.h for the contract. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "callertable.h"

/* a bucket holds this many seconds' worth of handshakes */
#define BURST_SECONDS 2

typedef struct
{
  gdouble tokens;
  gint64 last;                  /* us */
} TokenBucket;

typedef struct
{
  gchar *address;
  TokenBucket bucket;
  GList link;                   /* in lru, data = this */
} AddressBucket;

struct _CallerTable
{
  CallerTableConfig config;
  GHashTable *streams;          /* name -> CallerStream */
  GHashTable *pending;          /* handle (gint64 *) -> CallerStream */
  TokenBucket global;
  GHashTable *addresses;        /* address -> AddressBucket */
  GQueue lru;                   /* AddressBucket, most recent at head */
  guint64 counts[CALLER_VERDICT_COUNT];
};

/* ---------------------------------------------------------------------- */
/* Stream ids */

static inline gboolean
name_char_ok (guchar c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

gboolean
stream_name_sanitise (const gchar * in, gsize len, gchar * out)
{
  gsize i, n = 0;
  gboolean in_run = FALSE;

  out[0] = '\0';
  for (i = 0; i < len; i++) {
    guchar c = (guchar) in[i];

    if (name_char_ok (c)) {
      /* a run of replaced bytes becomes one '_', unless at the start */
      if (in_run && n > 0) {
        if (n >= STREAM_NAME_MAX)
          goto too_long;
        out[n++] = '_';
      }
      in_run = FALSE;
      if (n >= STREAM_NAME_MAX)
        goto too_long;
      out[n++] = (gchar) c;
    } else {
      in_run = TRUE;
    }
  }
  /* a trailing run is dropped */
  out[n] = '\0';
  return n > 0;

too_long:
  out[0] = '\0';
  return FALSE;
}

/* The value of key @key in the access-control items of @body, or NULL;
 * *count is how many times @key occurs. */
static const gchar *
ac_find (gchar ** items, const gchar * key, guint * count)
{
  const gchar *found = NULL;
  gsize klen = strlen (key);
  guint i;

  *count = 0;
  for (i = 0; items[i] != NULL; i++) {
    if (strncmp (items[i], key, klen) == 0 && items[i][klen] == '=') {
      if (found == NULL)
        found = items[i] + klen + 1;
      (*count)++;
    }
  }
  return found;
}

static StreamIdResult
malformed (StreamId * out, const gchar * problem)
{
  out->name[0] = '\0';
  out->problem = problem;
  return STREAM_ID_MALFORMED;
}

/* "#!::k=v,k=v": the body after the prefix */
static StreamIdResult
parse_access_control (const gchar * body, StreamId * out)
{
  gchar **items;
  const gchar *r, *m, *t;
  guint i, j, nr, nm, nt;
  StreamIdResult res = STREAM_ID_OK;

  out->access_control = TRUE;
  if (*body == '\0')
    return malformed (out, "access control id without items");

  items = g_strsplit (body, ",", -1);
  for (i = 0; items[i] != NULL; i++) {
    const gchar *eq = strchr (items[i], '=');

    if (eq == NULL) {
      res = malformed (out, "access control item without '='");
      goto done;
    }
    if (eq == items[i]) {
      res = malformed (out, "access control item with an empty key");
      goto done;
    }
    /* a repeated key is ambiguous */
    for (j = 0; j < i; j++) {
      gsize klen = (gsize) (eq - items[i]);

      if (strncmp (items[j], items[i], klen) == 0 && items[j][klen] == '=') {
        res = malformed (out, "access control key repeated");
        goto done;
      }
    }
  }

  r = ac_find (items, "r", &nr);
  m = ac_find (items, "m", &nm);
  t = ac_find (items, "t", &nt);
  if (t != NULL && strcmp (t, "stream") != 0) {
    res = malformed (out, "access control type (t) other than stream");
    goto done;
  }
  if (m != NULL && strcmp (m, "publish") != 0) {
    if (strcmp (m, "request") == 0 || strcmp (m, "bidirectional") == 0) {
      out->name[0] = '\0';
      out->problem = "mode (m) is not publish";
      res = STREAM_ID_BAD_MODE;
    } else {
      res = malformed (out, "unknown access control mode (m)");
    }
    goto done;
  }
  if (r == NULL || *r == '\0') {
    res = malformed (out, "access control id without resource (r)");
    goto done;
  }
  if (!stream_name_sanitise (r, strlen (r), out->name)) {
    res = malformed (out, "resource name empty after sanitising or too long");
    goto done;
  }

done:
  g_strfreev (items);
  return res;
}

StreamIdResult
stream_id_parse (const gchar * raw, const gchar * default_name, StreamId * out)
{
  const gchar *p;
  gsize len;

  out->name[0] = '\0';
  out->access_control = FALSE;
  out->problem = NULL;

  len = raw ? strlen (raw) : 0;
  if (len == 0) {
    if (default_name == NULL || *default_name == '\0') {
      out->problem = "no stream id";
      return STREAM_ID_EMPTY;
    }
    raw = default_name;
    len = strlen (raw);
  }
  if (len > STREAM_ID_MAX)
    return malformed (out, "stream id longer than 512 bytes");
  if (!g_utf8_validate (raw, len, NULL))
    return malformed (out, "stream id is not UTF-8");
  for (p = raw; *p; p++) {
    if ((guchar) * p < 0x20 || *p == 0x7f)
      return malformed (out, "control character in stream id");
  }

  if (g_str_has_prefix (raw, "#!::"))
    return parse_access_control (raw + 4, out);
  if (g_str_has_prefix (raw, "#!"))
    return malformed (out, "unknown \"#!\" stream id format");

  if (!stream_name_sanitise (raw, len, out->name))
    return malformed (out, "stream name empty after sanitising or too long");
  return STREAM_ID_OK;
}

/* ---------------------------------------------------------------------- */
/* Rate limit */

/* Takes one token if there is one.  @rate tokens per second, the bucket
 * holds BURST_SECONDS * @rate (at least 1).  A new bucket is full. */
static gboolean
bucket_take (TokenBucket * b, guint rate, gint64 now)
{
  gdouble burst = MAX (1.0, (gdouble) rate * BURST_SECONDS);

  if (b->last == 0 || now < b->last) {
    b->tokens = burst;
  } else {
    b->tokens += (gdouble) (now - b->last) * rate / G_USEC_PER_SEC;
    if (b->tokens > burst)
      b->tokens = burst;
  }
  b->last = now;
  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}

static void
address_bucket_free (AddressBucket * ab)
{
  g_free (ab->address);
  g_free (ab);
}

static AddressBucket *
address_bucket_get (CallerTable * t, const gchar * address)
{
  AddressBucket *ab = g_hash_table_lookup (t->addresses, address);

  if (ab != NULL) {
    g_queue_unlink (&t->lru, &ab->link);
    g_queue_push_head_link (&t->lru, &ab->link);
    return ab;
  }
  if (g_hash_table_size (t->addresses) >= RATE_ADDRESSES_MAX) {
    GList *oldest = g_queue_pop_tail_link (&t->lru);
    AddressBucket *old = oldest->data;

    g_hash_table_remove (t->addresses, old->address);
  }
  ab = g_new0 (AddressBucket, 1);
  ab->address = g_strdup (address);
  ab->link.data = ab;
  g_hash_table_insert (t->addresses, ab->address, ab);
  g_queue_push_head_link (&t->lru, &ab->link);
  return ab;
}

static gboolean
rate_allows (CallerTable * t, const gchar * address, gint64 now)
{
  if (t->config.rate_per_address > 0) {
    AddressBucket *ab = address_bucket_get (t, address ? address : "");

    if (!bucket_take (&ab->bucket, t->config.rate_per_address, now))
      return FALSE;
  }
  if (t->config.rate == 0)
    return TRUE;
  return bucket_take (&t->global, t->config.rate, now);
}

/* ---------------------------------------------------------------------- */
/* The table */

const gchar *
caller_verdict_nick (CallerVerdict v)
{
  static const gchar *nicks[CALLER_VERDICT_COUNT] = {
    "accepted", "resumed", "replaced", "rate-limited", "malformed-id",
    "unsupported-mode", "not-allowed", "duplicate-id", "max-callers",
    "refused-by-application", "wrong-passphrase", "handshake-failed",
  };

  if ((guint) v >= CALLER_VERDICT_COUNT)
    return "unknown";
  return nicks[v];
}

static void
config_clear (CallerTableConfig * c)
{
  g_clear_pointer (&c->allowed, g_strfreev);
  g_clear_pointer (&c->default_name, g_free);
}

void
caller_table_set_config (CallerTable * t, const CallerTableConfig * config)
{
  config_clear (&t->config);
  t->config = *config;
  t->config.max_callers = MAX (1, config->max_callers);
  t->config.allowed = g_strdupv (config->allowed);
  t->config.default_name = g_strdup (config->default_name);
  if (t->config.grace < 0)
    t->config.grace = 0;
}

static void
caller_stream_free (CallerStream * s)
{
  g_free (s->pending_stream_id);
  g_free (s);
}

CallerTable *
caller_table_new (const CallerTableConfig * config)
{
  CallerTable *t = g_new0 (CallerTable, 1);

  t->streams = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) caller_stream_free);
  t->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      NULL);
  t->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) address_bucket_free);
  g_queue_init (&t->lru);
  caller_table_set_config (t, config);
  return t;
}

void
caller_table_free (CallerTable * t)
{
  if (t == NULL)
    return;
  g_hash_table_destroy (t->pending);
  g_hash_table_destroy (t->streams);
  /* the buckets are owned by the hash table, the links are inside them */
  g_queue_init (&t->lru);
  g_hash_table_destroy (t->addresses);
  config_clear (&t->config);
  g_free (t);
}

static gboolean
name_allowed (CallerTable * t, const gchar * name)
{
  if (t->config.allowed == NULL || t->config.allowed[0] == NULL)
    return TRUE;
  return g_strv_contains ((const gchar * const *) t->config.allowed, name);
}

static void
pending_add (CallerTable * t, CallerStream * s, gint64 handle,
    CallerVerdict v, gint64 now, const gchar * address, const gchar * raw_id)
{
  s->pending_handle = handle;
  s->pending_verdict = v;
  s->pending_since = now;
  g_strlcpy (s->pending_address, address ? address : "",
      sizeof (s->pending_address));
  g_free (s->pending_stream_id);
  s->pending_stream_id = g_strdup (raw_id ? raw_id : "");
  g_hash_table_insert (t->pending, g_memdup2 (&handle, sizeof (handle)), s);
}

CallerVerdict
caller_table_admit (CallerTable * t, gint64 handle, const gchar * address,
    const gchar * raw_id, gint64 now, StreamId * sid)
{
  StreamId local;
  CallerStream *s;
  CallerVerdict v;

  if (sid == NULL)
    sid = &local;
  memset (sid, 0, sizeof (*sid));

  if (!rate_allows (t, address, now)) {
    sid->problem = "rate limited";
    v = CALLER_REFUSE_RATE_LIMITED;
    goto out;
  }

  switch (stream_id_parse (raw_id, t->config.default_name, sid)) {
    case STREAM_ID_OK:
      break;
    case STREAM_ID_BAD_MODE:
      v = CALLER_REFUSE_UNSUPPORTED_MODE;
      goto out;
    default:
      v = CALLER_REFUSE_MALFORMED;
      goto out;
  }

  if (!name_allowed (t, sid->name)) {
    v = CALLER_REFUSE_NOT_ALLOWED;
    goto out;
  }
  /* the same handle twice would be a libsrt bug; never reserve twice */
  if (g_hash_table_contains (t->pending, &handle)) {
    v = CALLER_REFUSE_DUPLICATE;
    goto out;
  }

  s = g_hash_table_lookup (t->streams, sid->name);
  if (s != NULL) {
    if (s->pending_handle != CALLER_HANDLE_NONE) {
      v = CALLER_REFUSE_DUPLICATE;
      goto out;
    }
    switch (s->state) {
      case CALLER_STREAM_GRACE:
        v = CALLER_ACCEPT_RESUME;
        break;
      case CALLER_STREAM_LIVE:
        v = t->config.duplicate == CALLER_DUPLICATE_REPLACE ?
            CALLER_ACCEPT_REPLACE : CALLER_REFUSE_DUPLICATE;
        break;
      default:
        v = CALLER_REFUSE_DUPLICATE;
        break;
    }
    if (CALLER_VERDICT_IS_ACCEPT (v))
      pending_add (t, s, handle, v, now, address, raw_id);
    goto out;
  }

  if (g_hash_table_size (t->streams) >= t->config.max_callers) {
    v = CALLER_REFUSE_MAX_CALLERS;
    goto out;
  }

  s = g_new0 (CallerStream, 1);
  g_strlcpy (s->name, sid->name, sizeof (s->name));
  s->state = CALLER_STREAM_PENDING;
  s->handle = CALLER_HANDLE_NONE;
  g_hash_table_insert (t->streams, s->name, s);
  v = CALLER_ACCEPT_NEW;
  pending_add (t, s, handle, v, now, address, raw_id);

out:
  /* accepts are counted when libsrt completes them */
  if (!CALLER_VERDICT_IS_ACCEPT (v))
    t->counts[v]++;
  return v;
}

/* Drops the reservation of @s; a stream that never had a pad goes too */
static void
pending_drop (CallerTable * t, CallerStream * s)
{
  gint64 handle = s->pending_handle;

  s->pending_handle = CALLER_HANDLE_NONE;
  g_clear_pointer (&s->pending_stream_id, g_free);
  g_hash_table_remove (t->pending, &handle);
  if (s->state == CALLER_STREAM_PENDING)
    g_hash_table_remove (t->streams, s->name);
}

gboolean
caller_table_handshake_failed (CallerTable * t, gint64 handle,
    CallerVerdict why)
{
  CallerStream *s = g_hash_table_lookup (t->pending, &handle);

  if (s == NULL)
    return FALSE;
  pending_drop (t, s);
  if ((guint) why < CALLER_VERDICT_COUNT)
    t->counts[why]++;
  return TRUE;
}

guint
caller_table_expire_handshakes (CallerTable * t, gint64 now)
{
  GHashTableIter it;
  gpointer value;
  GPtrArray *expired = g_ptr_array_new ();
  guint i, n;

  g_hash_table_iter_init (&it, t->pending);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    CallerStream *s = value;

    if (now - s->pending_since >= t->config.handshake_timeout)
      g_ptr_array_add (expired, s);
  }
  for (i = 0; i < expired->len; i++) {
    pending_drop (t, g_ptr_array_index (expired, i));
    t->counts[CALLER_REFUSE_HANDSHAKE_FAILED]++;
  }
  n = expired->len;
  g_ptr_array_free (expired, TRUE);
  return n;
}

CallerStream *
caller_table_lookup_pending (CallerTable * t, gint64 handle)
{
  return g_hash_table_lookup (t->pending, &handle);
}

void
caller_table_pending_handles (CallerTable * t, GArray * handles)
{
  GHashTableIter it;
  gpointer key;

  g_hash_table_iter_init (&it, t->pending);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_array_append_val (handles, *(gint64 *) key);
}

CallerStream *
caller_table_connected (CallerTable * t, gint64 handle, gint64 now,
    CallerVerdict * verdict, gint64 * replaced)
{
  CallerStream *s = g_hash_table_lookup (t->pending, &handle);
  CallerVerdict v;

  if (replaced)
    *replaced = CALLER_HANDLE_NONE;
  if (s == NULL)
    return NULL;

  v = s->pending_verdict;
  g_hash_table_remove (t->pending, &handle);
  s->pending_handle = CALLER_HANDLE_NONE;
  g_clear_pointer (&s->pending_stream_id, g_free);

  if (replaced && s->state == CALLER_STREAM_LIVE)
    *replaced = s->handle;
  /* a replaced caller that left meanwhile: the stream went to GRACE or
   * ENDING; from GRACE this is a resume, from ENDING too late */
  if (s->state == CALLER_STREAM_GRACE)
    v = CALLER_ACCEPT_RESUME;
  else if (s->state == CALLER_STREAM_ENDING) {
    t->counts[CALLER_REFUSE_DUPLICATE]++;
    return NULL;
  }

  s->state = CALLER_STREAM_LIVE;
  s->handle = handle;
  s->grace_deadline = 0;
  s->connections++;
  t->counts[v]++;
  if (verdict)
    *verdict = v;
  return s;
}

CallerStreamState
caller_table_disconnected (CallerTable * t, const gchar * name,
    gint64 handle, gint64 now)
{
  CallerStream *s = g_hash_table_lookup (t->streams, name);

  if (s == NULL)
    return CALLER_STREAM_ENDING;
  if (s->state != CALLER_STREAM_LIVE || s->handle != handle)
    return s->state;

  s->handle = CALLER_HANDLE_NONE;
  if (t->config.grace > 0) {
    s->state = CALLER_STREAM_GRACE;
    s->grace_deadline = now + t->config.grace;
  } else if (s->pending_handle != CALLER_HANDLE_NONE) {
    /* its replacement is on the way: wait for it as long as a handshake
     * may take */
    s->state = CALLER_STREAM_GRACE;
    s->grace_deadline = s->pending_since + t->config.handshake_timeout;
  } else {
    s->state = CALLER_STREAM_ENDING;
  }
  return s->state;
}

gboolean
caller_table_grace_expired (CallerTable * t, const gchar * name, gint64 now)
{
  CallerStream *s = g_hash_table_lookup (t->streams, name);

  if (s == NULL || s->state != CALLER_STREAM_GRACE || now < s->grace_deadline)
    return FALSE;
  /* a resume in progress at the deadline is too late */
  if (s->pending_handle != CALLER_HANDLE_NONE)
    pending_drop (t, s);
  s->state = CALLER_STREAM_ENDING;
  return TRUE;
}

gint64
caller_table_end (CallerTable * t, const gchar * name)
{
  CallerStream *s = g_hash_table_lookup (t->streams, name);
  gint64 handle;

  if (s == NULL)
    return CALLER_HANDLE_NONE;
  if (s->state == CALLER_STREAM_PENDING) {
    /* no pad yet: the stream simply never starts */
    pending_drop (t, s);
    return CALLER_HANDLE_NONE;
  }
  if (s->pending_handle != CALLER_HANDLE_NONE)
    pending_drop (t, s);
  handle = s->handle;
  s->handle = CALLER_HANDLE_NONE;
  s->state = CALLER_STREAM_ENDING;
  return handle;
}

void
caller_table_remove (CallerTable * t, const gchar * name)
{
  CallerStream *s = g_hash_table_lookup (t->streams, name);

  if (s == NULL)
    return;
  if (s->pending_handle != CALLER_HANDLE_NONE)
    g_hash_table_remove (t->pending, &s->pending_handle);
  g_hash_table_remove (t->streams, name);
}

CallerStream *
caller_table_lookup (CallerTable * t, const gchar * name)
{
  return g_hash_table_lookup (t->streams, name);
}

static gint
compare_stream_names (gconstpointer a, gconstpointer b)
{
  return strcmp (((const CallerStream *) a)->name,
      ((const CallerStream *) b)->name);
}

GList *
caller_table_streams (CallerTable * t)
{
  return g_list_sort (g_hash_table_get_values (t->streams),
      compare_stream_names);
}

guint
caller_table_n_streams (CallerTable * t, CallerStreamState state)
{
  GHashTableIter it;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&it, t->streams);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (((CallerStream *) value)->state == state)
      n++;
  return n;
}

guint
caller_table_n_pending (CallerTable * t)
{
  return g_hash_table_size (t->pending);
}

guint
caller_table_n_rate_addresses (CallerTable * t)
{
  return g_hash_table_size (t->addresses);
}

guint64
caller_table_count (CallerTable * t, CallerVerdict v)
{
  if ((guint) v >= CALLER_VERDICT_COUNT)
    return 0;
  return t->counts[v];
}

/* ---------------------------------------------------------------------- */
/* libsrt's log */

SrtRejection
srt_log_parse_rejection (const gchar * message, gint * socket_id)
{
  const gchar *p, *err;
  gchar *end = NULL;
  gint64 id;

  if (message == NULL)
    return SRT_REJECTION_UNKNOWN;
  /* the handler gets ": @123:..." (the area's separator comes first) */
  while (*message == ' ' || *message == ':')
    message++;
  if (message[0] != '@')
    return SRT_REJECTION_UNKNOWN;
  p = message + 1;
  if (!g_ascii_isdigit (*p))
    return SRT_REJECTION_UNKNOWN;
  id = g_ascii_strtoll (p, &end, 10);
  if (end == NULL || id < 0 || id > G_MAXINT32)
    return SRT_REJECTION_UNKNOWN;
  if (!g_str_has_prefix (end, ":newConnection: connection rejected due to:"))
    return SRT_REJECTION_UNKNOWN;
  *socket_id = (gint) id;

  err = g_strrstr (end, "ERROR:");
  if (err == NULL)
    return SRT_REJECTION_OTHER;
  err += strlen ("ERROR:");
  if (g_str_has_prefix (err, "BADSECRET") || g_str_has_prefix (err, "UNSECURE"))
    return SRT_REJECTION_PASSPHRASE;
  return SRT_REJECTION_OTHER;
}
