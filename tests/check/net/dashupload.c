/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's uploader (gst/dash/dashupload.c) on its own, against an
 * origin in the test (a libsoup-3 SoupServer on its own thread that
 * records every request, the arrival of its body, and answers as told):
 * PUT and DELETE, manifests after the segments they list, a segment PUT
 * with chunked transfer encoding while it is being written, retries with
 * exponential backoff on 5xx, giving up on 4xx, and whole-file PUTs once
 * the origin refuses chunked requests (411, 501). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "dashupload.h"

/* every wait of these tests is bounded by this (longer under valgrind,
 * scripts/test-valgrind.sh) */
#define WAIT_US ((g_getenv ("LS_UNDER_VALGRIND") ? 10 : 1) * 5 * G_USEC_PER_SEC)
#define BASE_DELAY (100 * G_TIME_SPAN_MILLISECOND)

/* --- the origin ----------------------------------------------------- */

typedef struct
{
  gchar *method;
  gchar *path;
  gchar *content_type;
  gboolean chunked;             /* Transfer-Encoding: chunked */
  GByteArray *body;             /* as it arrives */
  gboolean complete;            /* body complete, answered */
  guint status;
  gint64 t_start, t_end;        /* monotonic us: headers in, answered */
  guint seq_start, seq_end;     /* order of the origin's events */
} OriginReq;

typedef struct
{
  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  SoupServer *server;
  guint port;

  GMutex lock;
  GCond cond;
  GPtrArray *reqs;              /* OriginReq, in arrival order */
  guint seq;
  GHashTable *plan;             /* path -> GQueue of statuses to answer */
  guint refuse_chunked;         /* status for chunked PUTs, 0 = accept */
} Origin;

static void
origin_req_free (OriginReq * r)
{
  g_free (r->method);
  g_free (r->path);
  g_free (r->content_type);
  g_byte_array_unref (r->body);
  g_free (r);
}

static void
on_got_chunk (SoupServerMessage * msg, GBytes * chunk, Origin * o)
{
  OriginReq *r = g_object_get_data (G_OBJECT (msg), "origin-req");

  g_mutex_lock (&o->lock);
  g_byte_array_append (r->body, g_bytes_get_data (chunk, NULL),
      g_bytes_get_size (chunk));
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

/* headers in: record the request, follow its body */
static void
origin_early (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer data)
{
  Origin *o = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  OriginReq *r = g_new0 (OriginReq, 1);

  r->method = g_strdup (soup_server_message_get_method (msg));
  r->path = g_strdup (path);
  r->content_type = g_strdup (soup_message_headers_get_one (h, "Content-Type"));
  r->chunked = soup_message_headers_get_encoding (h) == SOUP_ENCODING_CHUNKED;
  r->body = g_byte_array_new ();
  r->t_start = g_get_monotonic_time ();
  g_object_set_data (G_OBJECT (msg), "origin-req", r);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), o);
  g_mutex_lock (&o->lock);
  r->seq_start = o->seq++;
  g_ptr_array_add (o->reqs, r);
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
}

/* body complete: answer as planned */
static void
origin_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer data)
{
  Origin *o = data;
  OriginReq *r = g_object_get_data (G_OBJECT (msg), "origin-req");
  GQueue *plan;
  guint status;

  g_mutex_lock (&o->lock);
  plan = g_hash_table_lookup (o->plan, path);
  if (r->chunked && o->refuse_chunked)
    status = o->refuse_chunked;
  else if (plan && !g_queue_is_empty (plan))
    status = GPOINTER_TO_UINT (g_queue_pop_head (plan));
  else if (g_str_equal (r->method, "PUT"))
    status = SOUP_STATUS_CREATED;
  else
    status = SOUP_STATUS_NO_CONTENT;
  r->status = status;
  r->complete = TRUE;
  r->t_end = g_get_monotonic_time ();
  r->seq_end = o->seq++;
  g_cond_broadcast (&o->cond);
  g_mutex_unlock (&o->lock);
  soup_server_message_set_status (msg, status, NULL);
}

static gpointer
origin_thread (gpointer data)
{
  Origin *o = data;

  g_main_context_push_thread_default (o->ctx);
  g_main_loop_run (o->loop);
  g_main_context_pop_thread_default (o->ctx);
  return NULL;
}

static Origin *
origin_start (void)
{
  Origin *o = g_new0 (Origin, 1);
  GSList *listeners;
  GSocketAddress *local;
  GError *err = NULL;

  g_mutex_init (&o->lock);
  g_cond_init (&o->cond);
  o->reqs = g_ptr_array_new_with_free_func ((GDestroyNotify) origin_req_free);
  o->plan = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_queue_free);
  o->ctx = g_main_context_new ();
  o->loop = g_main_loop_new (o->ctx, FALSE);

  /* created and listening on the origin thread's context */
  g_main_context_push_thread_default (o->ctx);
  o->server = soup_server_new (NULL, NULL);
  soup_server_add_early_handler (o->server, NULL, origin_early, o, NULL);
  soup_server_add_handler (o->server, NULL, origin_handler, o, NULL);
  /* (libsoup 3.2's soup_server_listen_local() leaks an address) */
  local = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  fail_unless (soup_server_listen (o->server, local, 0, &err), "%s",
      err ? err->message : "?");
  g_object_unref (local);
  g_main_context_pop_thread_default (o->ctx);
  /* (libsoup 3.2's soup_server_get_uris() leaks) */
  listeners = soup_server_get_listeners (o->server);
  local = g_socket_get_local_address (listeners->data, NULL);
  o->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  g_slist_free (listeners);
  o->thread = g_thread_new ("origin", origin_thread, o);
  return o;
}

static gboolean
quit_idle (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
origin_stop (Origin * o)
{
  GSource *s = g_idle_source_new ();

  g_source_set_callback (s, quit_idle, o->loop, NULL);
  g_source_attach (s, o->ctx);
  g_source_unref (s);
  g_thread_join (o->thread);
  g_main_context_push_thread_default (o->ctx);
  soup_server_disconnect (o->server);
  g_object_unref (o->server);
  while (g_main_context_iteration (o->ctx, FALSE));
  g_main_context_pop_thread_default (o->ctx);
  g_main_loop_unref (o->loop);
  g_main_context_unref (o->ctx);
  g_ptr_array_unref (o->reqs);
  g_hash_table_unref (o->plan);
  g_mutex_clear (&o->lock);
  g_cond_clear (&o->cond);
  g_free (o);
}

/* the next answers for @path, then the usual ones */
static void
origin_plan (Origin * o, const gchar * path, guint n, const guint * statuses)
{
  GQueue *q = g_queue_new ();
  guint i;

  for (i = 0; i < n; i++)
    g_queue_push_tail (q, GUINT_TO_POINTER (statuses[i]));
  g_mutex_lock (&o->lock);
  g_hash_table_replace (o->plan, g_strdup (path), q);
  g_mutex_unlock (&o->lock);
}

/* with the lock: the @nth (0-based) request of @method @path, or NULL */
static OriginReq *
find_locked (Origin * o, const gchar * method, const gchar * path, guint nth)
{
  guint i;

  for (i = 0; i < o->reqs->len; i++) {
    OriginReq *r = g_ptr_array_index (o->reqs, i);
    if (g_str_equal (r->method, method) && g_str_equal (r->path, path) &&
        nth-- == 0)
      return r;
  }
  return NULL;
}

static guint
count_locked (Origin * o, const gchar * method, const gchar * path)
{
  guint i, n = 0;

  for (i = 0; i < o->reqs->len; i++) {
    OriginReq *r = g_ptr_array_index (o->reqs, i);
    if (g_str_equal (r->method, method) && g_str_equal (r->path, path))
      n++;
  }
  return n;
}

/* Waits for the @nth request of @method @path to have @min_body bytes
 * (G_MAXSIZE: to be complete).  Returns it (owned by the origin). */
static OriginReq *
origin_wait (Origin * o, const gchar * method, const gchar * path, guint nth,
    gsize min_body)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  OriginReq *r;

  g_mutex_lock (&o->lock);
  for (;;) {
    r = find_locked (o, method, path, nth);
    if (r && (r->complete || (min_body != G_MAXSIZE &&
                r->body->len >= min_body)))
      break;
    if (!g_cond_wait_until (&o->cond, &o->lock, end)) {
      r = NULL;
      break;
    }
  }
  g_mutex_unlock (&o->lock);
  fail_unless (r != NULL, "no %s %s #%u with %" G_GSIZE_FORMAT " bytes",
      method, path, nth, min_body);
  return r;
}

/* the first successful PUT of @path */
static OriginReq *
origin_wait_stored (Origin * o, const gchar * path)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  OriginReq *found = NULL;
  guint i;

  g_mutex_lock (&o->lock);
  while (found == NULL) {
    for (i = 0; i < o->reqs->len && !found; i++) {
      OriginReq *r = g_ptr_array_index (o->reqs, i);
      if (g_str_equal (r->method, "PUT") && g_str_equal (r->path, path) &&
          r->complete && SOUP_STATUS_IS_SUCCESSFUL (r->status))
        found = r;
    }
    if (!found && !g_cond_wait_until (&o->cond, &o->lock, end))
      break;
  }
  g_mutex_unlock (&o->lock);
  fail_unless (found != NULL, "%s never stored", path);
  return found;
}

/* --- the uploader --------------------------------------------------- */

typedef struct
{
  Origin *origin;
  DashUpload *up;
  gchar *dir;
} Fixture;

static void
fixture_start (Fixture * f, guint max_attempts)
{
  DashUploadConfig cfg = { 0, };
  GError *err = NULL;
  gchar *location;

  f->origin = origin_start ();
  f->dir = g_dir_make_tmp ("dashupload-XXXXXX", NULL);
  fail_unless (f->dir != NULL);
  location = g_strdup_printf ("http://127.0.0.1:%u/live/", f->origin->port);
  cfg.dir = f->dir;
  cfg.location = location;
  cfg.queue_size = 32;
  cfg.max_in_flight = 2;
  cfg.max_streaming = 2;
  cfg.max_attempts = max_attempts;
  cfg.base_delay = BASE_DELAY;
  cfg.max_delay = 8 * BASE_DELAY;
  cfg.timeout = 5;
  cfg.expect_timeout = G_USEC_PER_SEC;
  f->up = dash_upload_start (&cfg, &err);
  fail_unless (f->up != NULL, "%s", err ? err->message : "?");
  g_free (location);
}

static void
fixture_stop (Fixture * f)
{
  GDir *d;
  const gchar *n;

  dash_upload_stop (f->up);
  origin_stop (f->origin);
  d = g_dir_open (f->dir, 0, NULL);
  while (d && (n = g_dir_read_name (d))) {
    gchar *p = g_build_filename (f->dir, n, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static guint8 *
pattern (gsize size, guint seed)
{
  guint8 *d = g_malloc (size);
  gsize i;

  for (i = 0; i < size; i++)
    d[i] = (guint8) (i * 13 + seed + (i >> 9));
  return d;
}

static void
write_file (Fixture * f, const gchar * name, const guint8 * data, gsize size)
{
  gchar *path = g_build_filename (f->dir, name, NULL);

  fail_unless (g_file_set_contents (path, (const gchar *) data, size, NULL));
  g_free (path);
}

static void
append_file (Fixture * f, const gchar * name, const guint8 * data, gsize size)
{
  gchar *path = g_build_filename (f->dir, name, NULL);
  FILE *fp = fopen (path, "ab");

  fail_unless (fp != NULL);
  fail_unless_equals_int (fwrite (data, 1, size, fp), size);
  fclose (fp);
  g_free (path);
}

static void
publish (Fixture * f, const gchar * tmp, const gchar * name)
{
  gchar *a = g_build_filename (f->dir, tmp, NULL);
  gchar *b = g_build_filename (f->dir, name, NULL);

  fail_unless_equals_int (g_rename (a, b), 0);
  g_free (a);
  g_free (b);
  dash_upload_file_published (f->up, name);
}

static void
assert_body (OriginReq * r, const guint8 * data, gsize size)
{
  fail_unless_equals_int (r->body->len, size);
  fail_unless (memcmp (r->body->data, data, size) == 0);
}

/* ------------------------------------------------------------------ */

GST_START_TEST (test_put_delete)
{
  Fixture f = { 0, };
  guint8 *init = pattern (700, 1), *seg = pattern (200000, 2);
  const gchar mpd[] = "<?xml version=\"1.0\"?><MPD/>\n";
  OriginReq *ri, *rs, *rm, *rd;
  DashUploadStats st;

  fixture_start (&f, 3);
  write_file (&f, "v-init.mp4", init, 700);
  write_file (&f, "v-1.m4s", seg, 200000);
  write_file (&f, "live.mpd", (const guint8 *) mpd, strlen (mpd));
  dash_upload_file_published (f.up, "v-init.mp4");
  dash_upload_file_published (f.up, "v-1.m4s");
  dash_upload_file_published (f.up, "live.mpd");

  ri = origin_wait_stored (f.origin, "/live/v-init.mp4");
  rs = origin_wait_stored (f.origin, "/live/v-1.m4s");
  rm = origin_wait_stored (f.origin, "/live/live.mpd");
  assert_body (ri, init, 700);
  assert_body (rs, seg, 200000);
  assert_body (rm, (const guint8 *) mpd, strlen (mpd));
  fail_unless_equals_string (ri->content_type, "video/mp4");
  fail_unless_equals_string (rs->content_type, "video/iso.segment");
  fail_unless_equals_string (rm->content_type, "application/dash+xml");
  fail_if (rs->chunked);
  /* the MPD goes once what it lists is stored */
  fail_unless (rm->seq_start > ri->seq_end);
  fail_unless (rm->seq_start > rs->seq_end);

  dash_upload_file_removed (f.up, "v-1.m4s");
  rd = origin_wait (f.origin, "DELETE", "/live/v-1.m4s", 0, G_MAXSIZE);
  fail_unless_equals_int (rd->status, SOUP_STATUS_NO_CONTENT);

  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  dash_upload_get_stats (f.up, &st);
  fail_unless_equals_int (st.uploads, 3);
  fail_unless_equals_int (st.upload_bytes, 700 + 200000 + strlen (mpd));
  fail_unless_equals_int (st.deletes, 1);
  fail_unless_equals_int (st.failures, 0);
  fail_unless_equals_int (st.retries, 0);
  fail_unless_equals_int (st.pending, 0);

  fixture_stop (&f);
  g_free (init);
  g_free (seg);
}

GST_END_TEST;

/* A segment announced chunk by chunk goes out with one chunked PUT: the
 * origin has each chunk before the next one is written. */
/* upload-ll-manifests: a document given for a manifest (the low-latency
 * MPD, in memory only) is PUT instead of the file of that name, its newest
 * version; NULL goes back to the file. */
GST_START_TEST (test_put_document)
{
  Fixture f = { 0, };
  const gchar file[] = "<MPD>complete segments</MPD>\n";
  const gchar ll1[] = "<MPD>announced 1</MPD>\n";
  const gchar ll2[] = "<MPD>announced 2, newer</MPD>\n";
  GBytes *b;
  OriginReq *r;

  fixture_start (&f, 3);
  write_file (&f, "live.mpd", (const guint8 *) file, strlen (file));
  b = g_bytes_new_static (ll1, strlen (ll1));
  dash_upload_set_document (f.up, "live.mpd", b);
  g_bytes_unref (b);
  dash_upload_file_published (f.up, "live.mpd");
  r = origin_wait (f.origin, "PUT", "/live/live.mpd", 0, G_MAXSIZE);
  assert_body (r, (const guint8 *) ll1, strlen (ll1));

  b = g_bytes_new_static (ll2, strlen (ll2));
  dash_upload_set_document (f.up, "live.mpd", b);
  g_bytes_unref (b);
  dash_upload_file_published (f.up, "live.mpd");
  r = origin_wait (f.origin, "PUT", "/live/live.mpd", 1, G_MAXSIZE);
  assert_body (r, (const guint8 *) ll2, strlen (ll2));

  dash_upload_set_document (f.up, "live.mpd", NULL);
  dash_upload_file_published (f.up, "live.mpd");
  r = origin_wait (f.origin, "PUT", "/live/live.mpd", 2, G_MAXSIZE);
  assert_body (r, (const guint8 *) file, strlen (file));

  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_chunked_put)
{
  Fixture f = { 0, };
  const gsize chunk = 40000;
  guint8 *data = pattern (4 * chunk, 3);
  OriginReq *r;
  DashUploadStats st;
  guint i;

  fixture_start (&f, 3);
  write_file (&f, "v-2.m4s.tmp", NULL, 0);
  for (i = 0; i < 4; i++) {
    append_file (&f, "v-2.m4s.tmp", data + i * chunk, chunk);
    dash_upload_chunk_written (f.up, "v-2.m4s", "v-2.m4s.tmp", (i + 1) * chunk);
    r = origin_wait (f.origin, "PUT", "/live/v-2.m4s", 0, (i + 1) * chunk);
    fail_unless (r->chunked);
    g_mutex_lock (&f.origin->lock);
    fail_if (r->complete);
    fail_unless_equals_int (r->body->len, (i + 1) * chunk);
    g_mutex_unlock (&f.origin->lock);
  }
  publish (&f, "v-2.m4s.tmp", "v-2.m4s");
  r = origin_wait (f.origin, "PUT", "/live/v-2.m4s", 0, G_MAXSIZE);
  fail_unless_equals_int (r->status, SOUP_STATUS_CREATED);
  assert_body (r, data, 4 * chunk);
  fail_unless_equals_string (r->content_type, "video/iso.segment");

  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  g_mutex_lock (&f.origin->lock);
  fail_unless_equals_int (count_locked (f.origin, "PUT", "/live/v-2.m4s"), 1);
  g_mutex_unlock (&f.origin->lock);
  dash_upload_get_stats (f.up, &st);
  fail_unless_equals_int (st.chunked, 1);
  fail_unless_equals_int (st.chunked_fallbacks, 0);
  fail_unless_equals_int (st.uploads, 1);
  fail_unless_equals_int (st.upload_bytes, 4 * chunk);

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* 5xx: retried after 100 ms, then 200 ms (base delay doubling); 4xx:
 * given up at once; at most max-attempts attempts. */
GST_START_TEST (test_retry_backoff)
{
  Fixture f = { 0, };
  guint8 *data = pattern (5000, 4);
  const guint twice_503[] = { 503, 503 };
  const guint forbidden[] = { 403 };
  const guint always_500[] = { 500, 500, 500, 500 };
  OriginReq *a[3];
  DashUploadStats st;
  guint i;

  fixture_start (&f, 4);
  origin_plan (f.origin, "/live/v-3.m4s", 2, twice_503);
  write_file (&f, "v-3.m4s", data, 5000);
  dash_upload_file_published (f.up, "v-3.m4s");
  for (i = 0; i < 3; i++)
    a[i] = origin_wait (f.origin, "PUT", "/live/v-3.m4s", i, G_MAXSIZE);
  fail_unless_equals_int (a[0]->status, 503);
  fail_unless_equals_int (a[1]->status, 503);
  fail_unless_equals_int (a[2]->status, SOUP_STATUS_CREATED);
  assert_body (a[2], data, 5000);
  /* measured at the origin: answered -> next attempt in */
  fail_unless (a[1]->t_start - a[0]->t_end >= BASE_DELAY,
      "%" G_GINT64_FORMAT " us", a[1]->t_start - a[0]->t_end);
  fail_unless (a[2]->t_start - a[1]->t_end >= 2 * BASE_DELAY,
      "%" G_GINT64_FORMAT " us", a[2]->t_start - a[1]->t_end);
  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  dash_upload_get_stats (f.up, &st);
  fail_unless_equals_int (st.uploads, 1);
  fail_unless_equals_int (st.retries, 2);
  fail_unless_equals_int (st.failed_attempts, 2);
  fail_unless_equals_int (st.failures, 0);

  /* a client error is not retried */
  origin_plan (f.origin, "/live/v-4.m4s", 1, forbidden);
  write_file (&f, "v-4.m4s", data, 5000);
  dash_upload_file_published (f.up, "v-4.m4s");
  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  g_mutex_lock (&f.origin->lock);
  fail_unless_equals_int (count_locked (f.origin, "PUT", "/live/v-4.m4s"), 1);
  g_mutex_unlock (&f.origin->lock);
  dash_upload_get_stats (f.up, &st);
  fail_unless_equals_int (st.failures, 1);
  fail_unless_equals_int (st.retries, 2);

  /* 4 attempts (100 + 200 + 400 ms apart), then given up */
  origin_plan (f.origin, "/live/v-5.m4s", 4, always_500);
  write_file (&f, "v-5.m4s", data, 5000);
  dash_upload_file_published (f.up, "v-5.m4s");
  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  g_mutex_lock (&f.origin->lock);
  fail_unless_equals_int (count_locked (f.origin, "PUT", "/live/v-5.m4s"), 4);
  g_mutex_unlock (&f.origin->lock);
  dash_upload_get_stats (f.up, &st);
  fail_unless_equals_int (st.failures, 2);
  fail_unless_equals_int (st.retries, 5);
  fail_unless_equals_int (st.failed_attempts, 7);
  fail_unless_equals_int (st.uploads, 1);

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* An origin that answers a chunked PUT with 411 Length Required or 501 Not
 * Implemented gets that segment again as a whole file, and every later
 * segment whole. */
static void
check_chunked_refused (guint refusal)
{
  Fixture f = { 0, };
  const gsize chunk = 20000;
  guint8 *data = pattern (2 * chunk, 5);
  OriginReq *r;
  DashUploadStats st;

  fixture_start (&f, 3);
  f.origin->refuse_chunked = refusal;

  /* first segment: chunked PUT, refused once complete */
  write_file (&f, "v-1.m4s.tmp", data, chunk);
  dash_upload_chunk_written (f.up, "v-1.m4s", "v-1.m4s.tmp", chunk);
  r = origin_wait (f.origin, "PUT", "/live/v-1.m4s", 0, chunk);
  fail_unless (r->chunked);
  append_file (&f, "v-1.m4s.tmp", data + chunk, chunk);
  dash_upload_chunk_written (f.up, "v-1.m4s", "v-1.m4s.tmp", 2 * chunk);
  publish (&f, "v-1.m4s.tmp", "v-1.m4s");
  r = origin_wait (f.origin, "PUT", "/live/v-1.m4s", 0, G_MAXSIZE);
  fail_unless_equals_int (r->status, refusal);
  /* ... and sent again whole */
  r = origin_wait_stored (f.origin, "/live/v-1.m4s");
  fail_if (r->chunked);
  assert_body (r, data, 2 * chunk);

  /* the next segment: no chunked attempt */
  write_file (&f, "v-2.m4s.tmp", data, chunk);
  dash_upload_chunk_written (f.up, "v-2.m4s", "v-2.m4s.tmp", chunk);
  append_file (&f, "v-2.m4s.tmp", data + chunk, chunk);
  dash_upload_chunk_written (f.up, "v-2.m4s", "v-2.m4s.tmp", 2 * chunk);
  publish (&f, "v-2.m4s.tmp", "v-2.m4s");
  r = origin_wait_stored (f.origin, "/live/v-2.m4s");
  fail_if (r->chunked);
  assert_body (r, data, 2 * chunk);

  fail_unless_equals_int (dash_upload_drain (f.up, WAIT_US), 0);
  g_mutex_lock (&f.origin->lock);
  fail_unless_equals_int (count_locked (f.origin, "PUT", "/live/v-2.m4s"), 1);
  g_mutex_unlock (&f.origin->lock);
  dash_upload_get_stats (f.up, &st);
  fail_unless_equals_int (st.uploads, 2);
  fail_unless_equals_int (st.chunked, 0);
  fail_unless_equals_int (st.chunked_fallbacks, 2);
  fail_unless_equals_int (st.failures, 0);

  fixture_stop (&f);
  g_free (data);
}

GST_START_TEST (test_chunked_refused_411)
{
  check_chunked_refused (SOUP_STATUS_LENGTH_REQUIRED);
}

GST_END_TEST;

GST_START_TEST (test_chunked_refused_501)
{
  check_chunked_refused (SOUP_STATUS_NOT_IMPLEMENTED);
}

GST_END_TEST;

GST_START_TEST (test_bad_location)
{
  DashUploadConfig cfg = { 0, };
  GError *err = NULL;

  cfg.dir = ".";
  cfg.location = "ftp://example/live";
  cfg.queue_size = 4;
  cfg.max_attempts = 1;
  fail_unless (dash_upload_start (&cfg, &err) == NULL);
  fail_unless (err != NULL);
  g_clear_error (&err);
  cfg.location = "http://127.0.0.1/live?x=1";
  fail_unless (dash_upload_start (&cfg, &err) == NULL);
  g_clear_error (&err);
}

GST_END_TEST;

static Suite *
dashupload_suite (void)
{
  Suite *s = suite_create ("dashupload");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_put_delete);
  tcase_add_test (tc, test_put_document);
  tcase_add_test (tc, test_chunked_put);
  tcase_add_test (tc, test_retry_backoff);
  tcase_add_test (tc, test_chunked_refused_411);
  tcase_add_test (tc, test_chunked_refused_501);
  tcase_add_test (tc, test_bad_location);
  return s;
}

GST_CHECK_MAIN (dashupload);
