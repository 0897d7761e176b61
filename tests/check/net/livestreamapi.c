/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* livestreamapi: HTTP requests below its mount reach the application as
 * bus messages and are answered with `respond`, on the port that
 * dashlivesink's server shares.  libsoup-3 clients on their own threads;
 * the test thread plays the application (pops the bus, responds). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#define WAIT (5 * GST_SECOND)

typedef struct
{
  gchar *url;
  gchar *method;
  GBytes *body;                 /* request body or NULL */
  GThread *thread;
  guint status;
  gchar *location;              /* a response header */
  gchar *content_type;
  GBytes *response;
} Call;

static gpointer
call_thread (gpointer data)
{
  Call *c = data;
  SoupSession *session = soup_session_new_with_options ("timeout", 20, NULL);
  SoupMessage *msg = soup_message_new (c->method, c->url);
  SoupMessageHeaders *h;

  if (c->body)
    soup_message_set_request_body_from_bytes (msg, "application/json", c->body);
  c->response = soup_session_send_and_read (session, msg, NULL, NULL);
  c->status = soup_message_get_status (msg);
  h = soup_message_get_response_headers (msg);
  c->location = g_strdup (soup_message_headers_get_one (h, "Location"));
  c->content_type = g_strdup (soup_message_headers_get_one (h, "Content-Type"));
  g_object_unref (msg);
  g_object_unref (session);
  return NULL;
}

static Call *
call_start (guint port, const gchar * method, const gchar * path,
    const gchar * body)
{
  Call *c = g_new0 (Call, 1);

  c->url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  c->method = g_strdup (method);
  if (body)
    c->body = g_bytes_new (body, strlen (body));
  c->thread = g_thread_new ("client", call_thread, c);
  return c;
}

/* joins the client; the body as a string */
static gchar *
call_finish (Call * c)
{
  gchar *text = NULL;

  g_thread_join (c->thread);
  if (c->response)
    text = g_strndup (g_bytes_get_data (c->response, NULL),
        g_bytes_get_size (c->response));
  return text;
}

static void
call_free (Call * c)
{
  g_free (c->url);
  g_free (c->method);
  g_free (c->location);
  g_free (c->content_type);
  if (c->body)
    g_bytes_unref (c->body);
  if (c->response)
    g_bytes_unref (c->response);
  g_free (c);
}

/* the next livestreamapi-request on @bus (bounded) */
static GstMessage *
next_request (GstBus * bus)
{
  GstClockTime end = gst_util_get_timestamp () + WAIT;

  while (gst_util_get_timestamp () < end) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (m == NULL)
      continue;
    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR, "error on the bus");
    if (gst_message_has_name (m, "livestreamapi-request"))
      return m;
    gst_message_unref (m);
  }
  fail ("no request within %" GST_TIME_FORMAT, GST_TIME_ARGS (WAIT));
  return NULL;
}

static GstElement *
start_api (guint port, const gchar * extra)
{
  GstElement *api = gst_element_factory_make ("livestreamapi", "api");

  fail_unless (api != NULL);
  g_object_set (api, "http-port", port, NULL);
  if (extra)
    gst_util_set_object_arg (G_OBJECT (api), extra, "1");
  return api;
}

static guint64
stat_u64 (GstElement * api, const gchar * field)
{
  GstStructure *st;
  guint64 v = 0;

  g_object_get (api, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, field, &v), "%s", field);
  gst_structure_free (st);
  return v;
}

/* A request and its answer: method, path below the mount, query, headers
 * (lower case), body; the answer's status, headers and body.  A second
 * answer, or one for an unknown id, is refused. */
GST_START_TEST (test_request_respond)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *api = start_api (0, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *m;
  const GstStructure *st;
  const GstStructure *headers;
  GstStructure *rh;
  GBytes *body, *answer;
  guint64 id;
  guint port;
  gboolean ok;
  gchar *text;
  Call *c;

  gst_bin_add (GST_BIN (pipe), api);
  fail_unless (gst_element_set_state (pipe, GST_STATE_READY) ==
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (api, "bound-port", &port, NULL);
  fail_unless (port > 0);

  c = call_start (port, "POST", "/api/v1/streams/cam1/outputs?x=1&y=%20",
      "{\"url\": \"srt://h:1\"}");
  m = next_request (bus);
  st = gst_message_get_structure (m);
  fail_unless (gst_structure_get_uint64 (st, "id", &id));
  fail_unless_equals_string (gst_structure_get_string (st, "method"), "POST");
  fail_unless_equals_string (gst_structure_get_string (st, "path"),
      "/api/v1/streams/cam1/outputs");
  fail_unless_equals_string (gst_structure_get_string (st, "query"),
      "x=1&y=%20");
  fail_unless (gst_structure_get (st, "body", G_TYPE_BYTES, &body, NULL));
  fail_unless_equals_int (g_bytes_get_size (body), 20);
  fail_unless (memcmp (g_bytes_get_data (body, NULL), "{\"url\"", 6) == 0);
  g_bytes_unref (body);
  headers = gst_value_get_structure (gst_structure_get_value (st, "headers"));
  fail_unless_equals_string (gst_structure_get_string (headers,
          "content-type"), "application/json");
  gst_message_unref (m);

  rh = gst_structure_new ("headers", "Content-Type", G_TYPE_STRING,
      "application/json", "Location", G_TYPE_STRING,
      "/api/v1/streams/cam1/outputs/0", NULL);
  answer = g_bytes_new_static ("{\"id\": \"0\"}\n", 12);
  g_signal_emit_by_name (api, "respond", id, 201, rh, answer, &ok);
  fail_unless (ok);
  text = call_finish (c);
  fail_unless_equals_int (c->status, 201);
  fail_unless_equals_string (text, "{\"id\": \"0\"}\n");
  fail_unless_equals_string (c->location, "/api/v1/streams/cam1/outputs/0");
  fail_unless_equals_string (c->content_type, "application/json");
  g_free (text);
  call_free (c);

  /* answered already; unknown */
  g_signal_emit_by_name (api, "respond", id, 200, NULL, NULL, &ok);
  fail_if (ok);
  g_signal_emit_by_name (api, "respond", id + 100, 200, NULL, NULL, &ok);
  fail_if (ok);

  /* the mount itself, and nothing outside it */
  c = call_start (port, "GET", "/api", NULL);
  m = next_request (bus);
  st = gst_message_get_structure (m);
  fail_unless_equals_string (gst_structure_get_string (st, "path"), "/api/");
  fail_unless (gst_structure_get_uint64 (st, "id", &id));
  gst_message_unref (m);
  g_signal_emit_by_name (api, "respond", id, 204, NULL, NULL, &ok);
  g_free (call_finish (c));
  fail_unless_equals_int (c->status, 204);
  call_free (c);
  c = call_start (port, "GET", "/apix/v1", NULL);
  g_free (call_finish (c));
  fail_unless_equals_int (c->status, 404);
  call_free (c);

  fail_unless_equals_int (stat_u64 (api, "requests"), 2);
  fail_unless_equals_int (stat_u64 (api, "answered"), 2);
  g_bytes_unref (answer);
  gst_structure_free (rh);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* Bounds: an unanswered request gets 504 after `timeout`, more than
 * `max-pending` waiting get 503, a body over `max-body` 413, and stopping
 * answers what still waits with 503 at once. */
GST_START_TEST (test_bounds)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *api = start_api (0, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  Call *c[3];
  gchar *text, *big;
  guint port;
  gint64 t0;

  g_object_set (api, "timeout", 300 * GST_MSECOND, "max-pending", 2,
      "max-body", 100, NULL);
  gst_bin_add (GST_BIN (pipe), api);
  gst_element_set_state (pipe, GST_STATE_READY);
  g_object_get (api, "bound-port", &port, NULL);

  t0 = g_get_monotonic_time ();
  c[0] = call_start (port, "GET", "/api/slow", NULL);
  gst_message_unref (next_request (bus));
  text = call_finish (c[0]);
  fail_unless_equals_int (c[0]->status, 504);
  fail_unless (strstr (text, "\"timeout\"") != NULL, "%s", text);
  fail_unless (g_get_monotonic_time () - t0 >= 250 * 1000);
  g_free (text);
  call_free (c[0]);
  fail_unless_equals_int (stat_u64 (api, "timeouts"), 1);

  big = g_strnfill (200, 'x');
  c[0] = call_start (port, "POST", "/api/big", big);
  text = call_finish (c[0]);
  fail_unless_equals_int (c[0]->status, 413);
  g_free (text);
  g_free (big);
  call_free (c[0]);

  g_object_set (api, "timeout", 60 * GST_SECOND, NULL);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_element_set_state (pipe, GST_STATE_READY);
  g_object_get (api, "bound-port", &port, NULL);
  c[0] = call_start (port, "GET", "/api/a", NULL);
  gst_message_unref (next_request (bus));
  c[1] = call_start (port, "GET", "/api/b", NULL);
  gst_message_unref (next_request (bus));
  c[2] = call_start (port, "GET", "/api/c", NULL);
  g_free (call_finish (c[2]));
  fail_unless_equals_int (c[2]->status, 503);
  fail_unless_equals_int (stat_u64 (api, "rejected-busy"), 1);
  call_free (c[2]);
  /* stopping: both waiting ones are answered at once */
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_NULL);
  for (guint i = 0; i < 2; i++) {
    text = call_finish (c[i]);
    fail_unless_equals_int (c[i]->status, 503);
    fail_unless (strstr (text, "\"stopped\"") != NULL, "%s", text);
    g_free (text);
    call_free (c[i]);
  }
  fail_unless (g_get_monotonic_time () - t0 < 2 * G_USEC_PER_SEC);

  gst_object_unref (bus);
  gst_object_unref (pipe);
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

/* The API, and two dashlivesinks under /live/a and /live/b, on one port:
 * each serves its files, /metrics has every element once per stream
 * (the sinks inside stream-<id> bins get a stream label) and the
 * application's extra series. */
GST_START_TEST (test_shared_port)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *api = start_api (free_tcp_port (), NULL);
  gchar *dirs[2];
  GstBus *bus = gst_element_get_bus (pipe);
  guint port;
  gchar *text;
  Call *c;
  GstMessage *m;

  g_object_get (api, "http-port", &port, NULL);
  g_object_set (api, "extra-metrics", "# TYPE app_streams gauge\n"
      "app_streams 2\n", NULL);
  gst_bin_add (GST_BIN (pipe), api);
  for (guint i = 0; i < 2; i++) {
    gchar *desc, *mount, *name;
    GstElement *bin;
    GError *err = NULL;

    dirs[i] = g_dir_make_tmp ("livestreamapi-XXXXXX", NULL);
    mount = g_strdup_printf ("/live/%c", 'a' + i);
    desc = g_strdup_printf ("videotestsrc is-live=true ! "
        "video/x-raw,width=160,height=90,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! "
        "h264parse ! dashlivesink location=%s segment-duration=500000000 "
        "http-port=%u http-mount=%s", dirs[i], port, mount);
    bin = gst_parse_bin_from_description (desc, FALSE, &err);
    fail_unless (bin != NULL, "%s", err ? err->message : "?");
    name = g_strdup_printf ("stream-%c", 'a' + i);
    gst_object_set_name (GST_OBJECT (bin), name);
    gst_bin_add (GST_BIN (pipe), bin);
    g_free (name);
    g_free (desc);
    g_free (mount);
  }
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  /* the MPDs appear (bounded) */
  for (guint i = 0; i < 2; i++) {
    gchar *path = g_strdup_printf ("/live/%c/manifest.mpd", 'a' + i);
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    do {
      c = call_start (port, "GET", path, NULL);
      text = call_finish (c);
      if (c->status == 200)
        break;
      g_free (text);
      call_free (c);
      c = NULL;
      g_usleep (100 * 1000);
    } while (g_get_monotonic_time () < end);
    fail_unless (c != NULL, "no %s", path);
    fail_unless (strstr (text, "<MPD") != NULL);
    g_free (text);
    call_free (c);
    g_free (path);
  }

  c = call_start (port, "GET", "/metrics", NULL);
  text = call_finish (c);
  fail_unless_equals_int (c->status, 200);
  /* every stream's sink, labelled by its stream-<id> bin */
  fail_unless (strstr (text, "livestream_dashlivesink_http_requests_total"
          "{element=\"dashlivesink0\",stream=\"a\"}") != NULL, "%s", text);
  fail_unless (strstr (text, "livestream_dashlivesink_http_requests_total"
          "{element=\"dashlivesink1\",stream=\"b\"}") != NULL, "%s", text);
  fail_unless (strstr (text, "livestream_livestreamapi_requests"
          "{element=\"api\"}") != NULL);
  fail_unless (strstr (text, "\napp_streams 2\n") != NULL);
  /* one TYPE line per name */
  {
    gchar **lines = g_strsplit (text, "\n", -1);
    GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
    for (gchar ** l = lines; *l; l++) {
      if (!g_str_has_prefix (*l, "# TYPE "))
        continue;
      fail_if (g_hash_table_contains (seen, *l), "twice: %s", *l);
      g_hash_table_add (seen, *l);
    }
    g_hash_table_unref (seen);
    g_strfreev (lines);
  }
  g_free (text);
  call_free (c);

  /* the API still answers on the same port */
  c = call_start (port, "GET", "/api/v1/streams", NULL);
  m = next_request (bus);
  {
    guint64 id;
    gboolean ok;
    fail_unless (gst_structure_get_uint64 (gst_message_get_structure (m),
            "id", &id));
    g_signal_emit_by_name (api, "respond", id, 200, NULL, NULL, &ok);
    fail_unless (ok);
  }
  gst_message_unref (m);
  g_free (call_finish (c));
  fail_unless_equals_int (c->status, 200);
  call_free (c);

  gst_element_set_state (pipe, GST_STATE_NULL);
  for (guint i = 0; i < 2; i++) {
    GDir *d = g_dir_open (dirs[i], 0, NULL);
    const gchar *n;
    while (d && (n = g_dir_read_name (d))) {
      gchar *p = g_build_filename (dirs[i], n, NULL);
      g_unlink (p);
      g_free (p);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (dirs[i]);
    g_free (dirs[i]);
  }
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_END_TEST;

static Suite *
livestreamapi_suite (void)
{
  Suite *s = suite_create ("livestreamapi");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_request_respond);
  tcase_add_test (tc, test_bounds);
  tcase_add_test (tc, test_shared_port);
  return s;
}

GST_CHECK_MAIN (livestreamapi);
