/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's embedded HTTP server (gst/dash/httpserver.c) on its own:
 * a server on port 0 over a temporary directory, fed by the calls the sink
 * makes (segment started, chunk written, file published), asked by
 * libsoup-3 clients and a raw socket.  What players rely on: the files
 * and their headers, byte ranges, 404s, a segment streamed chunk by chunk
 * while it is written, requests for announced segments that wait, a slow
 * client dropped without holding back the others; LL-HLS parts (served
 * while their segment is written, the hinted one held until complete),
 * blocking playlist reloads, delta updates and their 400 / 503. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define _GNU_SOURCE             /* POLLRDHUP */

#include <poll.h>
#include <sys/socket.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include "httpserver.h"

/* every wait of these tests is bounded by this (longer under valgrind,
 * scripts/test-valgrind.sh) */
#define WAIT_US ((g_getenv ("LS_UNDER_VALGRIND") ? 10 : 1) * 5 * G_USEC_PER_SEC)

typedef struct
{
  gchar *dir;
  HttpServer *srv;
  guint port;
  SoupSession *session;
} Fixture;

static void
write_file (const gchar * dir, const gchar * name, const guint8 * data,
    gsize size)
{
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, (const gchar *) data, size, NULL));
  g_free (path);
}

static void
append_file (const gchar * dir, const gchar * name, const guint8 * data,
    gsize size)
{
  gchar *path = g_build_filename (dir, name, NULL);
  FILE *f = fopen (path, "ab");

  fail_unless (f != NULL);
  fail_unless_equals_int (fwrite (data, 1, size, f), size);
  fclose (f);
  g_free (path);
}

static void
rename_file (const gchar * dir, const gchar * from, const gchar * to)
{
  gchar *a = g_build_filename (dir, from, NULL);
  gchar *b = g_build_filename (dir, to, NULL);

  fail_unless_equals_int (g_rename (a, b), 0);
  g_free (a);
  g_free (b);
}

static guint8 *
pattern (gsize size, guint seed)
{
  guint8 *d = g_malloc (size);
  gsize i;

  for (i = 0; i < size; i++)
    d[i] = (guint8) (i * 7 + seed + (i >> 8));
  return d;
}

static void
metrics_text (LivestreamMetrics * m, gpointer data)
{
  gchar *labels = g_strdup_printf ("element=\"%s\"", (const gchar *) data);

  livestream_metrics_add (m, "test_metric", "gauge", labels, 42);
  g_free (labels);
}

static void
fixture_start (Fixture * f, HttpServerConfig * cfg)
{
  GError *err = NULL;

  f->dir = g_dir_make_tmp ("httpserver-XXXXXX", NULL);
  fail_unless (f->dir != NULL);
  cfg->dir = f->dir;
  cfg->address = "127.0.0.1";
  cfg->port = 0;
  if (cfg->mpd_name == NULL)
    cfg->mpd_name = "live.mpd";
  if (cfg->segment_duration == 0)
    cfg->segment_duration = GST_SECOND;
  f->srv = http_server_start (cfg, &err);
  fail_unless (f->srv != NULL, "%s", err ? err->message : "?");
  f->port = http_server_get_port (f->srv);
  fail_unless (f->port > 0);
  f->session = soup_session_new_with_options ("timeout", 10, NULL);
}

static void
fixture_stop (Fixture * f)
{
  GDir *d;
  const gchar *n;

  g_object_unref (f->session);
  http_server_stop (f->srv);
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

static gchar *
url (Fixture * f, const gchar * path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", f->port, path);
}

/* A request; the body in *body (may be NULL), the message returned. */
static SoupMessage *
request (Fixture * f, const gchar * method, const gchar * path,
    const gchar * hname, const gchar * hvalue, GBytes ** body)
{
  gchar *u = url (f, path);
  SoupMessage *msg = soup_message_new (method, u);
  GError *err = NULL;
  GBytes *b;

  g_free (u);
  if (hname)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        hname, hvalue);
  b = soup_session_send_and_read (f->session, msg, NULL, &err);
  fail_unless (b != NULL, "%s %s: %s", method, path, err ? err->message : "?");
  if (body)
    *body = b;
  else
    g_bytes_unref (b);
  return msg;
}

static const gchar *
resp_header (SoupMessage * msg, const gchar * name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers
      (msg), name);
}

static void
assert_bytes (GBytes * b, const guint8 * data, gsize size)
{
  fail_unless_equals_int (g_bytes_get_size (b), size);
  fail_unless (memcmp (g_bytes_get_data (b, NULL), data, size) == 0);
}

static void
get_stats (Fixture * f, HttpServerStats * st)
{
  http_server_get_stats (f->srv, st);
}

/* The server has no event for these: its counters are polled (1 ms) until
 * @cond holds, at most WAIT_US. */
#define WAIT_STATS(f, st, cond) G_STMT_START {                          \
    gint64 _end = g_get_monotonic_time () + WAIT_US;                    \
    for (;;) {                                                          \
      get_stats ((f), &(st));                                           \
      if ((cond) || g_get_monotonic_time () > _end)                     \
        break;                                                          \
      g_usleep (1000);                                                  \
    }                                                                   \
    fail_unless ((cond), "timed out waiting for " #cond);               \
  } G_STMT_END

/* --- a client streaming one response on its own thread ------------- */

typedef struct
{
  gchar *url;
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean got_headers, done;
  guint status;
  SoupEncoding encoding;
  gchar *cache_control;
  GByteArray *data;
  gchar *error;
} Stream;

static gpointer
stream_thread (gpointer user_data)
{
  Stream *st = user_data;
  SoupSession *session = soup_session_new_with_options ("timeout", 10, NULL);
  SoupMessage *msg = soup_message_new ("GET", st->url);
  GError *err = NULL;
  GInputStream *in = soup_session_send (session, msg, NULL, &err);
  guint8 buf[16384];
  gssize n = 0;

  g_mutex_lock (&st->lock);
  st->got_headers = TRUE;
  st->status = soup_message_get_status (msg);
  st->encoding = soup_message_headers_get_encoding
      (soup_message_get_response_headers (msg));
  st->cache_control = g_strdup (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Cache-Control"));
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);

  while (in && (n = g_input_stream_read (in, buf, sizeof (buf), NULL,
              &err)) > 0) {
    g_mutex_lock (&st->lock);
    g_byte_array_append (st->data, buf, n);
    g_cond_broadcast (&st->cond);
    g_mutex_unlock (&st->lock);
  }

  g_mutex_lock (&st->lock);
  if (err)
    st->error = g_strdup (err->message);
  st->done = TRUE;
  g_cond_broadcast (&st->cond);
  g_mutex_unlock (&st->lock);
  g_clear_error (&err);
  g_clear_object (&in);
  g_object_unref (msg);
  g_object_unref (session);
  return NULL;
}

static Stream *
stream_start (Fixture * f, const gchar * path)
{
  Stream *st = g_new0 (Stream, 1);

  st->url = url (f, path);
  st->data = g_byte_array_new ();
  g_mutex_init (&st->lock);
  g_cond_init (&st->cond);
  st->thread = g_thread_new ("client", stream_thread, st);
  return st;
}

/* Waits until @n body bytes arrived (or the response ended); returns how
 * many there are. */
static guint
stream_wait_bytes (Stream * st, guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  guint len;

  g_mutex_lock (&st->lock);
  while (st->data->len < n && !st->done &&
      g_cond_wait_until (&st->cond, &st->lock, end));
  len = st->data->len;
  g_mutex_unlock (&st->lock);
  return len;
}

static gboolean
stream_wait_done (Stream * st)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  gboolean done;

  g_mutex_lock (&st->lock);
  while (!st->done && g_cond_wait_until (&st->cond, &st->lock, end));
  done = st->done;
  g_mutex_unlock (&st->lock);
  return done;
}

static gboolean
stream_has_headers (Stream * st)
{
  gboolean h;

  g_mutex_lock (&st->lock);
  h = st->got_headers;
  g_mutex_unlock (&st->lock);
  return h;
}

static void
stream_free (Stream * st)
{
  g_thread_join (st->thread);
  g_byte_array_unref (st->data);
  g_mutex_clear (&st->lock);
  g_cond_clear (&st->cond);
  g_free (st->error);
  g_free (st->cache_control);
  g_free (st->url);
  g_free (st);
}

/* the most a TCP send buffer grows to */
static gsize
tcp_wmem_max (void)
{
  gchar *text = NULL;
  gchar **v;
  gsize max = 4 * 1024 * 1024;

  if (g_file_get_contents ("/proc/sys/net/ipv4/tcp_wmem", &text, NULL, NULL)) {
    v = g_strsplit_set (g_strstrip (text), " \t", -1);
    if (g_strv_length (v) >= 3)
      max = g_ascii_strtoull (v[g_strv_length (v) - 1], NULL, 10);
    g_strfreev (v);
  }
  g_free (text);
  return max;
}

/* ------------------------------------------------------------------ */

GST_START_TEST (test_files)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  const gchar mpd[] = "<?xml version=\"1.0\"?><MPD/>\n";
  gsize seg_size = 100000;
  guint8 *seg = pattern (seg_size, 1);
  guint8 init[] = { 0, 0, 0, 8, 'f', 't', 'y', 'p' };
  SoupMessage *msg;
  GBytes *body;
  HttpServerStats st;
  gchar *cr;

  cfg.metrics = metrics_text;
  cfg.metrics_data = (gpointer) "sink0";
  fixture_start (&f, &cfg);
  write_file (f.dir, "live.mpd", (const guint8 *) mpd, strlen (mpd));
  write_file (f.dir, "v-init.mp4", init, sizeof (init));
  write_file (f.dir, "v-1.m4s", seg, seg_size);
  write_file (f.dir, "v-2.m4s.tmp", seg, 10);

  /* the MPD: edges may keep it for half a segment (2 s by default), CORS */
  msg = request (&f, "GET", "/live.mpd", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, (const guint8 *) mpd, strlen (mpd));
  fail_unless_equals_string (resp_header (msg, "Content-Type"),
      "application/dash+xml");
  fail_unless_equals_string (resp_header (msg, "Cache-Control"),
      "public, max-age=1");
  fail_unless_equals_string (resp_header (msg,
          "Access-Control-Allow-Origin"), "*");
  g_bytes_unref (body);
  g_object_unref (msg);

  /* init and media segments: immutable by name, long max-age */
  msg = request (&f, "GET", "/v-init.mp4", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, init, sizeof (init));
  fail_unless_equals_string (resp_header (msg, "Content-Type"), "video/mp4");
  g_bytes_unref (body);
  g_object_unref (msg);

  msg = request (&f, "GET", "/v-1.m4s", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, seg, seg_size);
  /* no DVR window configured: kept for ever, a day at the edge */
  fail_unless_equals_string (resp_header (msg, "Cache-Control"),
      "public, max-age=86400, immutable");
  fail_unless_equals_string (resp_header (msg, "Accept-Ranges"), "bytes");
  /* no validators: names never change content, so there is nothing to
   * revalidate; a conditional request gets the whole file */
  fail_unless (resp_header (msg, "ETag") == NULL);
  fail_unless (resp_header (msg, "Last-Modified") == NULL);
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/v-1.m4s", "If-None-Match", "*", &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_int (g_bytes_get_size (body), seg_size);
  g_bytes_unref (body);
  g_object_unref (msg);

  /* HEAD: the length, no body */
  msg = request (&f, "HEAD", "/v-1.m4s", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_int (g_bytes_get_size (body), 0);
  fail_unless_equals_int64 (soup_message_headers_get_content_length
      (soup_message_get_response_headers (msg)), seg_size);
  g_bytes_unref (body);
  g_object_unref (msg);

  /* ranges */
  msg = request (&f, "GET", "/v-1.m4s", "Range", "bytes=1000-1999", &body);
  fail_unless_equals_int (soup_message_get_status (msg), 206);
  assert_bytes (body, seg + 1000, 1000);
  cr = g_strdup_printf ("bytes 1000-1999/%" G_GSIZE_FORMAT, seg_size);
  fail_unless_equals_string (resp_header (msg, "Content-Range"), cr);
  g_free (cr);
  g_bytes_unref (body);
  g_object_unref (msg);

  msg = request (&f, "GET", "/v-1.m4s", "Range", "bytes=-10", &body);
  fail_unless_equals_int (soup_message_get_status (msg), 206);
  assert_bytes (body, seg + seg_size - 10, 10);
  g_bytes_unref (body);
  g_object_unref (msg);

  msg = request (&f, "GET", "/v-1.m4s", "Range", "bytes=999999-", &body);
  fail_unless_equals_int (soup_message_get_status (msg), 416);
  cr = g_strdup_printf ("bytes */%" G_GSIZE_FORMAT, seg_size);
  fail_unless_equals_string (resp_header (msg, "Content-Range"), cr);
  g_free (cr);
  g_bytes_unref (body);
  g_object_unref (msg);

  /* 404: missing, outside the directory, temporary files, unknown types */
  {
    const gchar *paths[] = { "/nope.m4s", "/../etc/passwd",
      "/%2e%2e/etc/passwd", "/v-2.m4s.tmp", "/x.txt", "/sub/v-1.m4s"
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (paths); i++) {
      msg = request (&f, "GET", paths[i], NULL, NULL, NULL);
      fail_unless_equals_int (soup_message_get_status (msg), 404);
      g_object_unref (msg);
    }
  }

  /* methods */
  msg = request (&f, "POST", "/live.mpd", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 405);
  fail_unless_equals_string (resp_header (msg, "Allow"), "GET, HEAD, OPTIONS");
  g_object_unref (msg);
  msg = request (&f, "OPTIONS", "/v-1.m4s", "Origin", "http://player", NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 204);
  fail_unless (strstr (resp_header (msg, "Access-Control-Allow-Headers"),
          "Range") != NULL);
  g_object_unref (msg);

  /* /time and /metrics */
  msg = request (&f, "GET", "/time", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (g_str_has_suffix (g_bytes_get_data (body, NULL), "Z") ||
      g_bytes_get_size (body) > 20);
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/metrics", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_int (g_bytes_get_size (body),
      strlen ("# TYPE test_metric gauge\ntest_metric{element=\"sink0\"} 42\n"));
  g_bytes_unref (body);
  g_object_unref (msg);

  get_stats (&f, &st);
  fail_unless_equals_int (st.not_found, 6);
  fail_unless (st.bytes_sent >= 2 * seg_size);
  fail_unless_equals_int (st.live_responses, 0);

  fixture_stop (&f);
  g_free (seg);
}

GST_END_TEST;

/* The player page plays the configured MPD name, escaped; dash.js from
 * $GST_LIVESTREAM_DASHJS (the first place looked), a hint when missing. */
GST_START_TEST (test_player_page)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  SoupMessage *msg;
  GBytes *body;
  gchar *page, *js_path, *hls_path, *tmp;
  const gchar js[] = "var dashjs = {};\n";
  const gchar hls_js[] = "var Hls = {};\n";

  tmp = g_dir_make_tmp ("dashjs-XXXXXX", NULL);
  js_path = g_build_filename (tmp, "dash.all.min.js", NULL);
  fail_unless (g_file_set_contents (js_path, js, -1, NULL));
  g_setenv ("GST_LIVESTREAM_DASHJS", js_path, TRUE);
  hls_path = g_build_filename (tmp, "hls.min.js", NULL);
  fail_unless (g_file_set_contents (hls_path, hls_js, -1, NULL));
  g_setenv ("GST_LIVESTREAM_HLSJS", hls_path, TRUE);

  cfg.mpd_name = "a&b<live>.mpd";
  fixture_start (&f, &cfg);
  msg = request (&f, "GET", "/", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (g_str_has_prefix (resp_header (msg, "Content-Type"),
          "text/html"));
  page = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  /* relative: the page works at the root and under a mount */
  fail_unless (strstr (page, "href=\"a%26b%3Clive%3E.mpd\"") != NULL, "%s",
      page);
  fail_unless (strstr (page, ">a&amp;b&lt;live&gt;.mpd</a>") != NULL);
  fail_unless (strstr (page, "manifest.mpd") == NULL);
  fail_unless (strstr (page, "@MPD") == NULL);
  /* the two players, loaded from the server (relative URLs: the page
   * works under a mount too) */
  fail_unless (strstr (page, "load('dash.all.min.js', playDash)") != NULL);
  fail_unless (strstr (page, "load('hls.min.js', playHls)") != NULL);
  fail_unless (strstr (page, "href=\"master.m3u8\"") != NULL);
  fail_unless (strstr (page, "href=\"?mode=hls\"") != NULL);
  g_free (page);
  g_bytes_unref (body);
  g_object_unref (msg);

  msg = request (&f, "GET", "/dash.all.min.js", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, (const guint8 *) js, strlen (js));
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/hls.min.js", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, (const guint8 *) hls_js, strlen (hls_js));
  g_bytes_unref (body);
  g_object_unref (msg);
  fixture_stop (&f);

  /* missing: 404 with a hint, the page says how to get it */
  g_unlink (js_path);
  g_unlink (hls_path);
  memset (&f, 0, sizeof (f));
  memset (&cfg, 0, sizeof (cfg));
  fixture_start (&f, &cfg);
  msg = request (&f, "GET", "/dash.all.min.js", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  fail_unless (g_strstr_len (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), "install-npm-tools.sh") != NULL);
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/hls.min.js", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  fail_unless (g_strstr_len (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), "hls.js not installed") != NULL);
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/index.html", NULL, NULL, &body);
  fail_unless (g_strstr_len (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), "dash.js is not installed") != NULL);
  fail_unless (g_strstr_len (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), "href=\"live.mpd\"") != NULL);
  g_bytes_unref (body);
  g_object_unref (msg);
  fixture_stop (&f);

  g_unsetenv ("GST_LIVESTREAM_DASHJS");
  g_unsetenv ("GST_LIVESTREAM_HLSJS");
  g_rmdir (tmp);
  g_free (tmp);
  g_free (js_path);
  g_free (hls_path);
}

GST_END_TEST;

/* A segment being written is sent with chunked transfer encoding, each
 * chunk as soon as the sink reports it: the client has the first chunk
 * while the second one is not written yet. */
GST_START_TEST (test_live_chunked)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  const gsize chunk = 30000;
  guint8 *data = pattern (3 * chunk, 2);
  HttpServerStats st;
  Stream *s;
  guint i;

  fixture_start (&f, &cfg);
  write_file (f.dir, "v-7.m4s.tmp", NULL, 0);
  http_server_segment_started (f.srv, "v", 7, 2, "v-7.m4s.tmp", "v-7.m4s");

  /* asked for before its first chunk: it waits */
  s = stream_start (&f, "/v-7.m4s");
  WAIT_STATS (&f, st, st.waited == 1);
  fail_if (stream_has_headers (s));

  for (i = 0; i < 3; i++) {
    append_file (f.dir, "v-7.m4s.tmp", data + i * chunk, chunk);
    http_server_chunk_written (f.srv, "v", 7, i * chunk, chunk);
    /* this chunk arrives before the next one is written */
    fail_unless_equals_int (stream_wait_bytes (s, (i + 1) * chunk),
        (i + 1) * chunk);
    fail_if (s->done);
  }
  fail_unless_equals_int (s->status, 200);
  fail_unless_equals_int (s->encoding, SOUP_ENCODING_CHUNKED);

  /* published: the response ends with the file */
  rename_file (f.dir, "v-7.m4s.tmp", "v-7.m4s");
  http_server_file_published (f.srv, "v-7.m4s");
  fail_unless (stream_wait_done (s));
  fail_unless (s->error == NULL, "%s", s->error);
  fail_unless_equals_int (s->data->len, 3 * chunk);
  fail_unless (memcmp (s->data->data, data, 3 * chunk) == 0);
  stream_free (s);

  get_stats (&f, &st);
  fail_unless_equals_int (st.live_responses, 1);
  fail_unless_equals_int (st.waited, 1);
  fail_unless_equals_int (st.wait_timeouts, 0);
  /* every byte once: chunk framing is not counted */
  fail_unless_equals_int (st.bytes_sent, 3 * chunk);

  /* afterwards it is a plain file */
  {
    GBytes *body;
    SoupMessage *msg = request (&f, "GET", "/v-7.m4s", NULL, NULL, &body);
    fail_unless_equals_int (soup_message_get_status (msg), 200);
    fail_unless_equals_int (soup_message_headers_get_encoding
        (soup_message_get_response_headers (msg)),
        SOUP_ENCODING_CONTENT_LENGTH);
    assert_bytes (body, data, 3 * chunk);
    g_bytes_unref (body);
    g_object_unref (msg);
  }

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* A segment abandoned while it is streamed (flush, error, stop): the
 * response is cut without its terminating chunk, so neither the client
 * nor a cache on the way can take the truncated body for the segment.
 * Cache-Control of the live response equals that of the complete file. */
static gint raw_http_minor = 1;

/* Everything a raw HTTP/1.1 client receives for GET @path until the
 * server closes the connection (at most 5 s): what a proxy sees on the
 * wire. */
static GString *
raw_get_until_close (Fixture * f, const gchar * path, void (*midway) (Fixture
        *), gsize midway_after)
{
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GSocket *sock;
  GString *got = g_string_new (NULL);
  gchar *req, buf[8192];
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gboolean called = FALSE;
  gssize n;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1",
      http_server_get_port (f->srv), NULL, NULL);
  fail_unless (conn != NULL);
  sock = g_socket_connection_get_socket (conn);
  g_socket_set_timeout (sock, 1);
  req = g_strdup_printf ("GET %s HTTP/1.%d\r\nHost: 127.0.0.1\r\n\r\n", path,
      raw_http_minor);
  fail_unless (g_socket_send (sock, req, strlen (req), NULL, NULL) > 0);
  g_free (req);
  while (g_get_monotonic_time () < end) {
    if (!called && got->len >= midway_after) {
      midway (f);
      called = TRUE;
    }
    n = g_socket_receive (sock, buf, sizeof (buf), NULL, NULL);
    if (n == 0)
      break;
    if (n > 0)
      g_string_append_len (got, buf, n);
  }
  g_object_unref (conn);
  g_object_unref (client);
  return got;
}

static void
abandon_v8 (Fixture * f)
{
  /* what dash_segment_file_abandon () does */
  gchar *path = g_build_filename (f->dir, "v-8.m4s.tmp", NULL);

  g_unlink (path);
  g_free (path);
  http_server_file_published (f->srv, "v-8.m4s");
}

GST_START_TEST (test_live_abandoned_cut)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  const gsize chunk = 20000;
  guint8 *data = pattern (2 * chunk, 5);
  GString *got;
  Stream *s;

  cfg.segment_duration = 2 * GST_SECOND;
  cfg.dvr_window = 30 * GST_SECOND;
  fixture_start (&f, &cfg);
  write_file (f.dir, "v-8.m4s.tmp", NULL, 0);
  http_server_segment_started (f.srv, "v", 8, 2, "v-8.m4s.tmp", "v-8.m4s");
  append_file (f.dir, "v-8.m4s.tmp", data, chunk);
  http_server_chunk_written (f.srv, "v", 8, 0, chunk);

  /* a live response has the Cache-Control of the complete file */
  s = stream_start (&f, "/v-8.m4s");
  fail_unless_equals_int (stream_wait_bytes (s, chunk), chunk);
  fail_unless_equals_int (s->encoding, SOUP_ENCODING_CHUNKED);
  fail_unless_equals_string (s->cache_control, "public, max-age=34, immutable");

  /* on the wire: the first chunk, then the connection ends without the
   * terminating "0" chunk */
  got = raw_get_until_close (&f, "/v-8.m4s", abandon_v8, chunk);
  fail_unless (strstr (got->str, "Transfer-Encoding: chunked") != NULL,
      "%s", got->str);
  fail_unless (got->len > chunk);
  fail_if (g_str_has_suffix (got->str, "\r\n0\r\n\r\n"),
      "a truncated segment ended as complete");
  g_string_free (got, TRUE);
  fail_unless (stream_wait_done (s));
  fail_unless_equals_int (s->data->len, chunk);
  stream_free (s);

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* A segment abandoned and started again under the same name (a flush)
 * before the server heard of the abandon: a response of the old one is
 * cut; it never gets bytes of the new file. */
static void
restart_v9 (Fixture * f)
{
  guint8 *other = pattern (30000, 9);
  gchar *path = g_build_filename (f->dir, "v-9.m4s.tmp", NULL);

  g_unlink (path);
  g_free (path);
  write_file (f->dir, "v-9.m4s.tmp", other, 30000);
  http_server_segment_started (f->srv, "v", 9, 2, "v-9.m4s.tmp", "v-9.m4s");
  http_server_chunk_written (f->srv, "v", 9, 0, 30000);
  g_free (other);
}

GST_START_TEST (test_live_restarted_cut)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  const gsize chunk = 20000;
  guint8 *data = pattern (chunk, 6);
  GString *got;
  gchar *end;

  fixture_start (&f, &cfg);
  write_file (f.dir, "v-9.m4s.tmp", data, chunk);
  http_server_segment_started (f.srv, "v", 9, 2, "v-9.m4s.tmp", "v-9.m4s");
  http_server_chunk_written (f.srv, "v", 9, 0, chunk);

  got = raw_get_until_close (&f, "/v-9.m4s", restart_v9, chunk);
  fail_if (g_str_has_suffix (got->str, "\r\n0\r\n\r\n"),
      "a truncated segment ended as complete");
  /* headers, then one chunk of the first file, nothing of the second */
  end = strstr (got->str, "\r\n\r\n");
  fail_unless (end != NULL);
  fail_unless (got->len - (end + 4 - got->str) < chunk + 64,
      "%" G_GSIZE_FORMAT " body bytes", got->len - (end + 4 - got->str));
  g_string_free (got, TRUE);

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* An HTTP/1.0 client (or proxy) cannot tell a streamed body that was cut
 * from a complete one: it gets a segment in progress once it is complete,
 * with Content-Length. */
static void
publish_v10 (Fixture * f)
{
  guint8 *data = pattern (40000, 10);

  g_usleep (200 * 1000);
  append_file (f->dir, "v-10.m4s.tmp", data + 20000, 20000);
  http_server_chunk_written (f->srv, "v", 10, 20000, 20000);
  g_usleep (200 * 1000);
  rename_file (f->dir, "v-10.m4s.tmp", "v-10.m4s");
  http_server_file_published (f->srv, "v-10.m4s");
  g_free (data);
}

GST_START_TEST (test_live_http10_whole)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  guint8 *data = pattern (40000, 10);
  GString *got;
  gchar *end;

  fixture_start (&f, &cfg);
  write_file (f.dir, "v-10.m4s.tmp", data, 20000);
  http_server_segment_started (f.srv, "v", 10, 2, "v-10.m4s.tmp", "v-10.m4s");
  http_server_chunk_written (f.srv, "v", 10, 0, 20000);

  raw_http_minor = 0;
  got = raw_get_until_close (&f, "/v-10.m4s", publish_v10, 0);
  raw_http_minor = 1;
  fail_unless (strstr (got->str, "Content-Length: 40000") != NULL, "%s",
      got->str);
  fail_if (strstr (got->str, "chunked") != NULL);
  end = strstr (got->str, "\r\n\r\n");
  fail_unless (end != NULL);
  fail_unless_equals_int (got->len - (end + 4 - got->str), 40000);
  fail_unless (memcmp (end + 4, data, 40000) == 0);
  g_string_free (got, TRUE);

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* Announced segments (up to two past the last started one) make requests
 * wait; the wait ends with the segment, or with a 404 after twice the
 * segment duration (at least 1 s); others are 404 at once. */
GST_START_TEST (test_wait_announced)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  guint8 *data = pattern (5000, 3);
  HttpServerStats st;
  SoupMessage *msg;
  Stream *s;
  gint64 t0;

  cfg.segment_duration = 200 * GST_MSECOND;
  fixture_start (&f, &cfg);
  http_server_segment_started (f.srv, "v", 3, 2, "v-3.m4s.tmp", "v-3.m4s");

  /* far ahead: not announced */
  msg = request (&f, "GET", "/v-9.m4s", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  g_object_unref (msg);
  get_stats (&f, &st);
  fail_unless_equals_int (st.waited, 0);

  /* the next one: waits until it starts */
  s = stream_start (&f, "/v-4.m4s");
  WAIT_STATS (&f, st, st.waited == 1);
  fail_if (stream_has_headers (s));
  write_file (f.dir, "v-4.m4s.tmp", data, 5000);
  http_server_segment_started (f.srv, "v", 4, 2, "v-4.m4s.tmp", "v-4.m4s");
  http_server_chunk_written (f.srv, "v", 4, 0, 5000);
  fail_unless_equals_int (stream_wait_bytes (s, 5000), 5000);
  fail_unless_equals_int (s->status, 200);
  rename_file (f.dir, "v-4.m4s.tmp", "v-4.m4s");
  http_server_file_published (f.srv, "v-4.m4s");
  fail_unless (stream_wait_done (s));
  fail_unless (memcmp (s->data->data, data, 5000) == 0);
  stream_free (s);

  /* one that never comes: 404 after the wait (1 s here) */
  t0 = g_get_monotonic_time ();
  msg = request (&f, "GET", "/v-6.m4s", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  fail_unless (g_get_monotonic_time () - t0 >= 900 * 1000);
  g_object_unref (msg);
  get_stats (&f, &st);
  fail_unless_equals_int (st.waited, 2);
  fail_unless_equals_int (st.wait_timeouts, 1);

  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

/* A client that stops reading a live segment is disconnected once more
 * than max-client-buffer bytes wait for it; another client of the same
 * segment keeps getting every chunk at once. */
GST_START_TEST (test_slow_client)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  const gsize chunk = 128 * 1024;
  const guint max_chunks = 48;
  guint8 *data = pattern (chunk * max_chunks, 4);
  HttpServerStats st;
  GSocket *slow;
  GSocketAddress *addr;
  GString *reqs = g_string_new (NULL);
  struct pollfd pfd;
  Stream *fast;
  guint i, dropped_at = 0;
  gint rcvbuf = 4096;

  /* more than one chunk: what is appended at once never counts as slow */
  cfg.max_client_buffer = 256 * 1024;
  fixture_start (&f, &cfg);
  write_file (f.dir, "v-5.m4s.tmp", data, 1000);
  http_server_segment_started (f.srv, "v", 5, 2, "v-5.m4s.tmp", "v-5.m4s");
  http_server_chunk_written (f.srv, "v", 5, 0, 1000);

  fast = stream_start (&f, "/v-5.m4s");
  fail_unless_equals_int (stream_wait_bytes (fast, 1000), 1000);

  /* the slow one: a small receive buffer, never reads; more requests
   * pipelined behind the first one stay unread in the server's socket, so
   * that dropping the connection resets it (visible here at once) */
  slow = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  fail_unless (g_socket_set_option (slow, SOL_SOCKET, SO_RCVBUF, rcvbuf, NULL));
  addr = g_inet_socket_address_new_from_string ("127.0.0.1", f.port);
  fail_unless (g_socket_connect (slow, addr, NULL, NULL));
  g_object_unref (addr);
  while (reqs->len < 64 * 1024)
    g_string_append (reqs, "GET /v-5.m4s HTTP/1.1\r\nHost: x\r\n\r\n");
  fail_unless_equals_int (g_socket_send (slow, reqs->str, reqs->len, NULL,
          NULL), reqs->len);
  WAIT_STATS (&f, st, st.live_responses == 2);

  for (i = 1; i < max_chunks; i++) {
    append_file (f.dir, "v-5.m4s.tmp", data + 1000 + (i - 1) * chunk, chunk);
    http_server_chunk_written (f.srv, "v", 5, 1000 + (i - 1) * chunk, chunk);
    /* the fast client has it: the server has handled this chunk for both */
    fail_unless_equals_int (stream_wait_bytes (fast, 1000 + i * chunk),
        1000 + i * chunk);
    get_stats (&f, &st);
    if (st.disconnected_slow > 0) {
      dropped_at = i;
      break;
    }
  }
  fail_unless (dropped_at > 0, "slow client not dropped");
  /* once the kernel's buffers are full (the server's send buffer grows up
   * to tcp_wmem's maximum), the next max-client-buffer bytes drop it */
  fail_unless ((dropped_at - 1) * chunk <= tcp_wmem_max () +
      cfg.max_client_buffer + 64 * 1024, "dropped after %u chunks", dropped_at);
  fail_unless_equals_int (st.disconnected_slow, 1);

  /* its connection is gone */
  pfd.fd = g_socket_get_fd (slow);
  pfd.events = POLLRDHUP;
  pfd.revents = 0;
  fail_unless_equals_int (poll (&pfd, 1, WAIT_US / 1000), 1);
  fail_unless (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
  g_object_unref (slow);

  /* the fast one gets the rest and the end */
  append_file (f.dir, "v-5.m4s.tmp", data + 1000 + dropped_at * chunk, 500);
  http_server_chunk_written (f.srv, "v", 5, 1000 + dropped_at * chunk, 500);
  rename_file (f.dir, "v-5.m4s.tmp", "v-5.m4s");
  http_server_file_published (f.srv, "v-5.m4s");
  fail_unless (stream_wait_done (fast));
  fail_unless (fast->error == NULL, "%s", fast->error);
  fail_unless_equals_int (fast->data->len, 1000 + dropped_at * chunk + 500);
  fail_unless (memcmp (fast->data->data, data, fast->data->len) == 0);
  stream_free (fast);
  WAIT_STATS (&f, st, st.active == 0);

  g_string_free (reqs, TRUE);
  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;


/* --- LL-HLS ---------------------------------------------------------- */

/* Parts are the chunks the sink reported, served from the segment being
 * written and from the published one; the hinted next part is held until
 * it is complete and then answered whole (never a byte of a part before
 * all of it); a part the segment did not get is 404 */
GST_START_TEST (test_parts)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  guint8 *data = pattern (3000, 5);
  SoupMessage *msg;
  GBytes *body;
  Stream *hint, *next;
  HttpServerStats st;

  fixture_start (&f, &cfg);
  http_server_segment_started (f.srv, "v", 7, 2, "v-7.m4s.tmp", "v-7.m4s");
  append_file (f.dir, "v-7.m4s.tmp", data, 1200);
  http_server_chunk_written (f.srv, "v", 7, 0, 1200);

  msg = request (&f, "GET", "/v-7.0.m4s", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, data, 1200);
  fail_unless_equals_string (resp_header (msg, "Content-Type"),
      "video/iso.segment");
  fail_unless (g_str_has_prefix (resp_header (msg, "Cache-Control"),
          "public, max-age="));
  g_bytes_unref (body);
  g_object_unref (msg);

  /* the hint: held, no headers before the part is complete */
  hint = stream_start (&f, "/v-7.1.m4s");
  WAIT_STATS (&f, st, st.parts_waited == 1);
  g_usleep (100000);
  fail_if (stream_has_headers (hint));
  /* half of it written (the sink never reports that): still held */
  append_file (f.dir, "v-7.m4s.tmp", data + 1200, 400);
  g_usleep (100000);
  fail_if (stream_has_headers (hint));
  append_file (f.dir, "v-7.m4s.tmp", data + 1600, 400);
  http_server_chunk_written (f.srv, "v", 7, 1200, 800);
  fail_unless (stream_wait_done (hint));
  fail_unless_equals_int (hint->status, 200);
  fail_unless (hint->encoding != SOUP_ENCODING_CHUNKED);
  fail_unless_equals_int (hint->data->len, 800);
  fail_unless (memcmp (hint->data->data, data + 1200, 800) == 0);
  stream_free (hint);

  /* published with 3 parts: parts read from the segment now; the hinted
   * part 3 never comes (404 at once), part 0 of segment 8 waits */
  next = stream_start (&f, "/v-7.3.m4s");
  WAIT_STATS (&f, st, st.parts_waited == 2);
  append_file (f.dir, "v-7.m4s.tmp", data + 2000, 1000);
  http_server_chunk_written (f.srv, "v", 7, 2000, 1000);
  rename_file (f.dir, "v-7.m4s.tmp", "v-7.m4s");
  http_server_file_published (f.srv, "v-7.m4s");
  fail_unless (stream_wait_done (next));
  fail_unless_equals_int (next->status, 404);
  stream_free (next);
  msg = request (&f, "GET", "/v-7.2.m4s", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, data + 2000, 1000);
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/v-9.0.m4s", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  g_object_unref (msg);

  next = stream_start (&f, "/v-8.0.m4s");
  WAIT_STATS (&f, st, st.parts_waited == 3);
  http_server_segment_started (f.srv, "v", 8, 2, "v-8.m4s.tmp", "v-8.m4s");
  append_file (f.dir, "v-8.m4s.tmp", data, 500);
  http_server_chunk_written (f.srv, "v", 8, 0, 500);
  fail_unless (stream_wait_done (next));
  fail_unless_equals_int (next->status, 200);
  fail_unless_equals_int (next->data->len, 500);
  stream_free (next);

  get_stats (&f, &st);
  fail_unless_equals_int (st.parts_served, 4);
  fixture_stop (&f);
  g_free (data);
}

GST_END_TEST;

static void
set_playlist (Fixture * f, guint64 version, guint64 msn, guint part,
    gboolean complete)
{
  HlsPlaylistState st = { 0, };
  gchar *text = g_strdup_printf ("#EXTM3U\n# v%" G_GUINT64_FORMAT
      " %" G_GUINT64_FORMAT ".%u\n", version, msn, part);
  gchar *delta = g_strdup_printf ("%s# delta\n", text);

  st.low_latency = TRUE;
  st.has_segment = TRUE;
  st.last_msn = complete ? msn : msn - 1;
  st.has_part = TRUE;
  st.part_msn = msn;
  st.part_index = part;
  st.part_target = 200000000;
  st.target_duration = 1;
  http_server_set_playlist (f->srv, "v.m3u8", version, text, delta, &st);
  g_free (text);
  g_free (delta);
}

/* Blocking playlist reload: held until the playlist lists the part asked
 * for, answered with the version that added it; _HLS_skip gets the delta
 * update;
 * 400 for _HLS_part alone and too far ahead; 503 after three target
 * durations; an older version never replaces a newer one */
GST_START_TEST (test_blocking_reload)
{
  Fixture f = { 0, };
  HttpServerConfig cfg = { 0, };
  SoupMessage *msg;
  GBytes *body;
  Stream *held, *skip, *late;
  HttpServerStats st;
  gint64 t0;

  fixture_start (&f, &cfg);
  /* a playlist file on disk (the classic one) is not what is answered */
  write_file (f.dir, "v.m3u8", (const guint8 *) "#EXTM3U\n# file\n", 16);
  set_playlist (&f, 5, 10, 2, FALSE);

  msg = request (&f, "GET", "/v.m3u8", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless (strstr (g_bytes_get_data (body, NULL), "# v5 10.2") != NULL);
  fail_unless_equals_string (resp_header (msg, "Cache-Control"), "no-cache");
  fail_unless_equals_string (resp_header (msg, "Content-Type"),
      "application/vnd.apple.mpegurl");
  g_bytes_unref (body);
  g_object_unref (msg);

  /* there already: at once, cacheable for a target duration */
  msg = request (&f, "GET", "/v.m3u8?_HLS_msn=10&_HLS_part=1", NULL, NULL,
      &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_string (resp_header (msg, "Cache-Control"),
      "public, max-age=1");
  g_bytes_unref (body);
  g_object_unref (msg);

  held = stream_start (&f, "/v.m3u8?_HLS_msn=10&_HLS_part=4");
  skip = stream_start (&f, "/v.m3u8?_HLS_msn=10&_HLS_part=3&_HLS_skip=YES");
  WAIT_STATS (&f, st, st.playlists_blocked == 2);
  set_playlist (&f, 6, 10, 3, FALSE);
  /* the skip request is answered, the other one still held */
  fail_unless (stream_wait_done (skip));
  fail_unless_equals_int (skip->status, 200);
  fail_unless (g_strstr_len ((gchar *) skip->data->data, skip->data->len,
          "# v6 10.3\n# delta") != NULL);
  g_usleep (50000);
  fail_if (stream_has_headers (held));
  /* an older version arriving late changes nothing */
  set_playlist (&f, 4, 10, 9, FALSE);
  g_usleep (50000);
  fail_if (stream_has_headers (held));
  set_playlist (&f, 7, 10, 4, FALSE);
  fail_unless (stream_wait_done (held));
  fail_unless_equals_int (held->status, 200);
  fail_unless (g_strstr_len ((gchar *) held->data->data, held->data->len,
          "# v7 10.4") != NULL);
  stream_free (held);
  stream_free (skip);

  /* a burst (a late encoder catching up): a player asking for a part
   * gets the version that added it, not several parts at once */
  set_playlist (&f, 8, 10, 5, FALSE);
  set_playlist (&f, 9, 10, 6, FALSE);
  set_playlist (&f, 10, 10, 7, FALSE);
  msg = request (&f, "GET", "/v.m3u8?_HLS_msn=10&_HLS_part=5", NULL, NULL,
      &body);
  fail_unless (g_strstr_len (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), "# v8 10.5") != NULL);
  g_bytes_unref (body);
  g_object_unref (msg);
  msg = request (&f, "GET", "/v.m3u8", NULL, NULL, &body);
  fail_unless (g_strstr_len (g_bytes_get_data (body, NULL),
          g_bytes_get_size (body), "# v10 10.7") != NULL);
  g_bytes_unref (body);
  g_object_unref (msg);

  /* bad requests */
  msg = request (&f, "GET", "/v.m3u8?_HLS_part=1", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 400);
  g_object_unref (msg);
  msg = request (&f, "GET", "/v.m3u8?_HLS_msn=13", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 400);
  g_object_unref (msg);
  msg = request (&f, "GET", "/v.m3u8?_HLS_msn=x", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 400);
  g_object_unref (msg);

  /* nothing comes: 503 after three target durations (3 s) */
  t0 = g_get_monotonic_time ();
  late = stream_start (&f, "/v.m3u8?_HLS_msn=11&_HLS_part=0");
  fail_unless (stream_wait_done (late));
  fail_unless_equals_int (late->status, 503);
  fail_unless (g_get_monotonic_time () - t0 >= 2900000);
  stream_free (late);
  get_stats (&f, &st);
  fail_unless_equals_int (st.bad_requests, 3);
  fail_unless_equals_int (st.playlist_timeouts, 1);
  fail_unless_equals_int (st.delta_updates, 1);
  fixture_stop (&f);
}

GST_END_TEST;

GST_START_TEST (test_start_errors)
{
  HttpServerConfig cfg = { 0, };
  HttpServer *srv, *srv2;
  GError *err = NULL;

  cfg.dir = ".";
  cfg.mpd_name = "live.mpd";
  cfg.address = "not an address";
  cfg.port = 0;
  srv = http_server_start (&cfg, &err);
  fail_unless (srv == NULL);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&err);

  /* no MPD name: nothing to put on the player page */
  cfg.address = "127.0.0.1";
  cfg.mpd_name = NULL;
  srv = http_server_start (&cfg, &err);
  fail_unless (srv == NULL);
  fail_unless (err != NULL);
  g_clear_error (&err);

  /* the port is taken */
  cfg.mpd_name = "live.mpd";
  srv = http_server_start (&cfg, &err);
  fail_unless (srv != NULL);
  cfg.port = http_server_get_port (srv);
  srv2 = http_server_start (&cfg, &err);
  fail_unless (srv2 == NULL);
  fail_unless (err != NULL);
  g_clear_error (&err);
  http_server_stop (srv);
}

GST_END_TEST;

/* A free TCP port on 127.0.0.1 (bound and closed again) */
static guint
free_tcp_port (void)
{
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *any = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *local;
  guint port;

  fail_unless (g_socket_bind (sock, any, TRUE, NULL));
  local = g_socket_get_local_address (sock, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  g_object_unref (any);
  g_object_unref (sock);
  return port;
}

static HttpServer *
start_site (const gchar * dir, guint port, const gchar * mount,
    const gchar * name, GError ** err)
{
  HttpServerConfig cfg = { 0, };

  cfg.dir = dir;
  cfg.address = "127.0.0.1";
  cfg.port = port;
  cfg.mount = mount;
  cfg.mpd_name = "live.mpd";
  cfg.segment_duration = 200 * GST_MSECOND;
  cfg.metrics = metrics_text;
  cfg.metrics_data = (gpointer) name;
  return http_server_start (&cfg, err);
}

static gchar *
get_text (Fixture * f, const gchar * path, guint * status)
{
  SoupMessage *msg;
  GBytes *body;
  gchar *text;

  msg = request (f, "GET", path, NULL, NULL, &body);
  *status = soup_message_get_status (msg);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);
  g_object_unref (msg);
  return text;
}

static guint
count_substrings (const gchar * text, const gchar * what)
{
  guint n = 0;

  for (const gchar * p = text; (p = strstr (p, what)); p++)
    n++;
  return n;
}

/* Sinks with the same address and port share one server, each under its
 * own mount (livestream-server: /live/<id>/): every mount serves its own
 * directory, /metrics is one exposition of all, a sink that stops takes
 * only its mount away (a request it held gets its answer at once), and
 * the port is free again when the last one stops. */
GST_START_TEST (test_mounts)
{
  Fixture f = { 0, };
  gchar *dir_a = g_dir_make_tmp ("httpserver-a-XXXXXX", NULL);
  gchar *dir_b = g_dir_make_tmp ("httpserver-b-XXXXXX", NULL);
  const gchar mpd_a[] = "<MPD id=\"a\"/>", mpd_b[] = "<MPD id=\"b\"/>";
  HttpServer *a, *b, *c;
  GError *err = NULL;
  SoupMessage *msg;
  guint status;
  gchar *text;
  Stream *waiting;
  gint64 t0;

  write_file (dir_a, "live.mpd", (const guint8 *) mpd_a, strlen (mpd_a));
  write_file (dir_b, "live.mpd", (const guint8 *) mpd_b, strlen (mpd_b));
  f.port = free_tcp_port ();
  f.session = soup_session_new_with_options ("timeout", 10, NULL);
  a = start_site (dir_a, f.port, "/live/a", "a", &err);
  fail_unless (a != NULL, "%s", err ? err->message : "?");
  b = start_site (dir_b, f.port, "/live/b/", "b", &err);
  fail_unless (b != NULL, "%s", err ? err->message : "?");
  fail_unless_equals_int (http_server_get_port (b), f.port);

  /* the same mount twice: refused; a bad one too */
  c = start_site (dir_b, f.port, "/live/a", "c", &err);
  fail_unless (c == NULL);
  fail_unless (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_EXISTS), "%s",
      err->message);
  g_clear_error (&err);
  c = start_site (dir_b, f.port, "/live/../x", "c", &err);
  fail_unless (c == NULL);
  g_clear_error (&err);

  text = get_text (&f, "/live/a/live.mpd", &status);
  fail_unless_equals_int (status, 200);
  fail_unless_equals_string (text, mpd_a);
  g_free (text);
  text = get_text (&f, "/live/b/live.mpd", &status);
  fail_unless_equals_int (status, 200);
  fail_unless_equals_string (text, mpd_b);
  g_free (text);
  g_free (get_text (&f, "/live/c/live.mpd", &status));
  fail_unless_equals_int (status, 404);
  g_free (get_text (&f, "/live.mpd", &status));
  fail_unless_equals_int (status, 404);
  g_free (get_text (&f, "/live/ab/live.mpd", &status));
  fail_unless_equals_int (status, 404);

  /* the player page under its mount; "/live/a" is redirected there */
  text = get_text (&f, "/live/a", &status);
  fail_unless_equals_int (status, 200);
  fail_unless (strstr (text, "href=\"live.mpd\"") != NULL);
  g_free (text);

  /* one exposition: one TYPE line, a sample per site */
  text = get_text (&f, "/metrics", &status);
  fail_unless_equals_int (status, 200);
  fail_unless_equals_int (count_substrings (text, "# TYPE test_metric "), 1);
  fail_unless (strstr (text, "test_metric{element=\"a\"} 42") != NULL);
  fail_unless (strstr (text, "test_metric{element=\"b\"} 42") != NULL);
  g_free (text);
  g_free (get_text (&f, "/time", &status));
  fail_unless_equals_int (status, 200);

  /* a stops while a request for its announced segment waits: answered
   * at once (not after the wait), b goes on */
  http_server_segment_started (a, "v", 3, 2, "v-3.m4s.tmp", "v-3.m4s");
  waiting = stream_start (&f, "/live/a/v-4.m4s");
  {
    HttpServerStats st;
    gint64 end = g_get_monotonic_time () + WAIT_US;
    do {
      http_server_get_stats (a, &st);
      if (st.waited == 1)
        break;
      g_usleep (1000);
    } while (g_get_monotonic_time () < end);
    fail_unless_equals_int (st.waited, 1);
  }
  t0 = g_get_monotonic_time ();
  http_server_stop (a);
  fail_unless (stream_wait_done (waiting));
  fail_unless_equals_int (waiting->status, 404);
  fail_unless (g_get_monotonic_time () - t0 < 300 * 1000);
  stream_free (waiting);
  g_free (get_text (&f, "/live/a/live.mpd", &status));
  fail_unless_equals_int (status, 404);
  text = get_text (&f, "/live/b/live.mpd", &status);
  fail_unless_equals_int (status, 200);
  g_free (text);

  /* the last one stops: the port is free again (a new server binds it) */
  http_server_stop (b);
  a = start_site (dir_a, f.port, "", "a", &err);
  fail_unless (a != NULL, "%s", err ? err->message : "?");
  msg = request (&f, "GET", "/live.mpd", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  g_object_unref (msg);
  http_server_stop (a);

  g_object_unref (f.session);
  for (const gchar ** d = (const gchar *[]) {
        dir_a, dir_b, NULL
      }; *d; d++) {
    gchar *p = g_build_filename (*d, "live.mpd", NULL);
    g_unlink (p);
    g_free (p);
    g_rmdir (*d);
  }
  g_free (dir_a);
  g_free (dir_b);
}

GST_END_TEST;

static void
remove_dir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;

  while (d && (n = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, n, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

static HttpServer *
start_policy_site (const gchar * dir, guint port, const gchar * mount,
    guint64 segment_duration, guint64 dvr_window)
{
  HttpServerConfig cfg = { 0, };
  GError *err = NULL;
  HttpServer *srv;

  cfg.dir = dir;
  cfg.address = "127.0.0.1";
  cfg.port = port;
  cfg.mount = mount;
  cfg.mpd_name = "live.mpd";
  cfg.segment_duration = segment_duration;
  cfg.dvr_window = dvr_window;
  srv = http_server_start (&cfg, &err);
  fail_unless (srv != NULL, "%s", err ? err->message : "?");
  return srv;
}

static void
assert_cache_control (Fixture * f, const gchar * path, const gchar * want)
{
  SoupMessage *msg = request (f, "GET", path, NULL, NULL, NULL);

  fail_unless_equals_int (soup_message_get_status (msg), 200);
  fail_unless_equals_string (resp_header (msg, "Cache-Control"), want);
  g_object_unref (msg);
}

/* A mounted site (livestream-server's /live/<id>/) has all that a site
 * at the root has: the Cache-Control policy of its own segment duration
 * and DVR window, LL-HLS (blocking playlist reloads, whose query reaches
 * it through the listener; parts; the preload hint held), the player's
 * hls.js at a relative URL; and a held playlist request is answered at
 * once when its mount goes away. */
GST_START_TEST (test_mount_llhls_cdn)
{
  Fixture f = { 0, };
  gchar *dir_a = g_dir_make_tmp ("httpserver-a-XXXXXX", NULL);
  gchar *dir_b = g_dir_make_tmp ("httpserver-b-XXXXXX", NULL);
  guint8 *data = pattern (2000, 3);
  HttpServer *a, *b;
  HttpServerStats st;
  SoupMessage *msg;
  GBytes *body;
  Stream *held, *hint;
  gint64 t0;

  f.port = free_tcp_port ();
  f.session = soup_session_new_with_options ("timeout", 10, NULL);
  a = start_policy_site (dir_a, f.port, "/live/a", 4 * GST_SECOND,
      10 * GST_SECOND);
  b = start_policy_site (dir_b, f.port, "/live/b", 2 * GST_SECOND, 0);
  for (const gchar ** d = (const gchar *[]) {
        dir_a, dir_b, NULL
      }; *d; d++) {
    write_file (*d, "live.mpd", (const guint8 *) "<MPD/>", 6);
    write_file (*d, "v-1.m4s", data, 2000);
  }

  /* each mount its own policy: a keeps 10 s of 4 s segments, b all */
  assert_cache_control (&f, "/live/a/live.mpd", "public, max-age=2");
  assert_cache_control (&f, "/live/a/v-1.m4s", "public, max-age=18, immutable");
  assert_cache_control (&f, "/live/b/live.mpd", "public, max-age=1");
  assert_cache_control (&f, "/live/b/v-1.m4s",
      "public, max-age=86400, immutable");

  /* the page's hls.js, relative to the mount: the site answers it (the
   * file, or its own JavaScript 404), not the listener */
  msg = request (&f, "GET", "/live/a/hls.min.js", NULL, NULL, NULL);
  fail_unless_equals_string (resp_header (msg, "Content-Type"),
      "text/javascript");
  g_object_unref (msg);

  /* a blocking playlist reload under the mount */
  f.srv = a;
  set_playlist (&f, 5, 10, 2, FALSE);
  held = stream_start (&f, "/live/a/v.m3u8?_HLS_msn=10&_HLS_part=3");
  WAIT_STATS (&f, st, st.playlists_blocked == 1);
  g_usleep (50000);
  fail_if (stream_has_headers (held));
  set_playlist (&f, 6, 10, 3, FALSE);
  fail_unless (stream_wait_done (held));
  fail_unless_equals_int (held->status, 200);
  fail_unless (g_strstr_len ((gchar *) held->data->data, held->data->len,
          "# v6 10.3") != NULL);
  /* cacheable for a target duration (1 s in this playlist) */
  fail_unless_equals_string (held->cache_control, "public, max-age=1");
  stream_free (held);
  /* b has no playlist of a */
  msg = request (&f, "GET", "/live/b/v.m3u8?_HLS_msn=10", NULL, NULL, NULL);
  fail_unless_equals_int (soup_message_get_status (msg), 404);
  g_object_unref (msg);

  /* a part, and the hint held until the next part is complete */
  http_server_segment_started (a, "v", 7, 2, "v-7.m4s.tmp", "v-7.m4s");
  append_file (dir_a, "v-7.m4s.tmp", data, 1200);
  http_server_chunk_written (a, "v", 7, 0, 1200);
  msg = request (&f, "GET", "/live/a/v-7.0.m4s", NULL, NULL, &body);
  fail_unless_equals_int (soup_message_get_status (msg), 200);
  assert_bytes (body, data, 1200);
  fail_unless_equals_string (resp_header (msg, "Cache-Control"),
      "public, max-age=18, immutable");
  g_bytes_unref (body);
  g_object_unref (msg);
  hint = stream_start (&f, "/live/a/v-7.1.m4s");
  WAIT_STATS (&f, st, st.parts_waited == 1);
  append_file (dir_a, "v-7.m4s.tmp", data + 1200, 800);
  http_server_chunk_written (a, "v", 7, 1200, 800);
  fail_unless (stream_wait_done (hint));
  fail_unless_equals_int (hint->status, 200);
  fail_unless_equals_int (hint->data->len, 800);
  fail_unless (memcmp (hint->data->data, data + 1200, 800) == 0);
  stream_free (hint);

  /* a held playlist request when the mount goes away: answered at once */
  held = stream_start (&f, "/live/a/v.m3u8?_HLS_msn=10&_HLS_part=5");
  WAIT_STATS (&f, st, st.playlists_blocked == 2);
  t0 = g_get_monotonic_time ();
  f.srv = NULL;
  http_server_stop (a);
  fail_unless (stream_wait_done (held));
  fail_unless_equals_int (held->status, 404);
  fail_unless (g_get_monotonic_time () - t0 < 300 * 1000);
  stream_free (held);
  assert_cache_control (&f, "/live/b/live.mpd", "public, max-age=1");

  http_server_stop (b);
  g_object_unref (f.session);
  remove_dir (dir_a);
  remove_dir (dir_b);
  g_free (data);
}

GST_END_TEST;

static Suite *
httpserver_suite (void)
{
  Suite *s = suite_create ("httpserver");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_files);
  tcase_add_test (tc, test_player_page);
  tcase_add_test (tc, test_live_chunked);
  tcase_add_test (tc, test_live_abandoned_cut);
  tcase_add_test (tc, test_live_restarted_cut);
  tcase_add_test (tc, test_live_http10_whole);
  tcase_add_test (tc, test_wait_announced);
  tcase_add_test (tc, test_slow_client);
  tcase_add_test (tc, test_parts);
  tcase_add_test (tc, test_blocking_reload);
  tcase_add_test (tc, test_start_errors);
  tcase_add_test (tc, test_mounts);
  tcase_add_test (tc, test_mount_llhls_cdn);
  return s;
}

GST_CHECK_MAIN (httpserver);
