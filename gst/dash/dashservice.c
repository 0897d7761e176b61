/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's HTTP server and uploader.  See dashservice.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "dashservice.h"
#include "livestreammetrics.h"
#include "souploader.h"

GST_DEBUG_CATEGORY_EXTERN (dash_live_sink_debug);
#define GST_CAT_DEFAULT dash_live_sink_debug

/* push to an origin: retries after 0.2, 0.4, ... 3.2 s (about 15 s) */
#define UPLOAD_MAX_IN_FLIGHT 4
#define UPLOAD_MAX_ATTEMPTS 8
#define UPLOAD_BASE_DELAY (200 * G_TIME_SPAN_MILLISECOND)
#define UPLOAD_MAX_DELAY (3200 * G_TIME_SPAN_MILLISECOND)
#define UPLOAD_TIMEOUT 10       /* s per request */
/* low latency: segments streamed with chunked PUTs at once (one per
 * representation being written), and how far (bytes written but not yet
 * taken by the connection) one may fall behind before the segment goes
 * whole after publication instead */
#define UPLOAD_MAX_STREAMING 8
#define UPLOAD_CHUNKED_MAX_LAG (4 * 1024 * 1024)
/* at PAUSED->READY the queue gets this long to empty */
#define UPLOAD_DRAIN_TIMEOUT (5 * G_TIME_SPAN_SECOND)

struct _DashService
{
  GstElement *element;          /* not a reference: it owns us */
  GMutex lock;                  /* the pointers and the stats below */
  HttpServer *server;
  DashUpload *upload;
  gchar *address;
  DashUploadStats last_upload;  /* of the last uploader, once stopped */
};

DashService *
dash_service_new (GstElement * element)
{
  DashService *svc = g_new0 (DashService, 1);

  svc->element = element;
  g_mutex_init (&svc->lock);
  return svc;
}

void
dash_service_free (DashService * svc)
{
  if (svc == NULL)
    return;
  dash_service_stop (svc);
  g_mutex_clear (&svc->lock);
  g_free (svc->address);
  g_free (svc);
}

/* The site's own series on /metrics (the pipeline's elements are added
 * by the server).  On the server's thread, which dash_service_stop()
 * leaves first. */
static void
add_metrics (LivestreamMetrics * m, gpointer user_data)
{
  DashService *svc = user_data;
  HttpServerStats ss = { 0, };
  GString *labels = g_string_new (NULL);

  g_mutex_lock (&svc->lock);
  if (svc->server)
    http_server_get_stats (svc->server, &ss);
  g_mutex_unlock (&svc->lock);

  livestream_metrics_element_labels (labels, svc->element);
#define SRV_METRIC(n, type, v) livestream_metrics_add (m, \
    "livestream_dashlivesink_http_" n, type, labels->str, (gdouble) (v))
  SRV_METRIC ("requests_total", "counter", ss.requests);
  SRV_METRIC ("not_found_total", "counter", ss.not_found);
  SRV_METRIC ("live_responses_total", "counter", ss.live_responses);
  SRV_METRIC ("waited_total", "counter", ss.waited);
  SRV_METRIC ("wait_timeouts_total", "counter", ss.wait_timeouts);
  SRV_METRIC ("aliased_total", "counter", ss.aliased);
  SRV_METRIC ("sent_bytes_total", "counter", ss.bytes_sent);
  SRV_METRIC ("slow_clients_dropped_total", "counter", ss.disconnected_slow);
  SRV_METRIC ("active_responses", "gauge", ss.active);
  SRV_METRIC ("hls_parts_served_total", "counter", ss.parts_served);
  SRV_METRIC ("hls_parts_waited_total", "counter", ss.parts_waited);
  SRV_METRIC ("hls_playlists_blocked_total", "counter", ss.playlists_blocked);
  SRV_METRIC ("hls_playlist_timeouts_total", "counter", ss.playlist_timeouts);
  SRV_METRIC ("hls_bad_requests_total", "counter", ss.bad_requests);
  SRV_METRIC ("hls_delta_updates_total", "counter", ss.delta_updates);
#undef SRV_METRIC
  g_string_free (labels, TRUE);
}

static void
upload_dropped (guint64 total, guint64 since_last, gpointer user_data)
{
  DashService *svc = user_data;

  GST_ELEMENT_WARNING (svc->element, RESOURCE, WRITE,
      ("The origin is slower than the stream: %" G_GUINT64_FORMAT
          " upload requests dropped (%" G_GUINT64_FORMAT " in all)",
          since_last, total),
      ("upload queue full (upload-queue-size); oldest segments dropped"));
}

static HttpServer *
start_server (DashService * svc, const DashSettings * run, GError ** error)
{
  HttpServerConfig cfg = { 0, };
  HttpServer *srv;
  GError *err = NULL;

  cfg.dir = run->location;
  cfg.address = run->http_address;
  cfg.port = run->http_port;
  cfg.mount = run->http_mount;
  cfg.listen_backlog = run->http_listen_backlog;
  cfg.mpd_name = run->mpd_name;
  cfg.segment_duration = run->segment_duration;
  cfg.dvr_window = run->dvr_window;
  cfg.metrics = add_metrics;
  cfg.metrics_data = svc;
  cfg.scope = svc->element;
  srv = http_server_start (&cfg, &err);
  if (srv == NULL && err && err->domain == DASH_SOUP_ERROR) {
    /* libsoup-3 cannot be loaded here: said as it is */
    g_propagate_error (error, err);
    return NULL;
  } else if (srv == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ_WRITE,
        "Cannot serve HTTP on %s:%u: %s", run->http_address, run->http_port,
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return NULL;
  }
  GST_INFO_OBJECT (svc->element, "serving http://%s:%u%s/",
      run->http_address, http_server_get_port (srv), run->http_mount);
  return srv;
}

static DashUpload *
start_upload (DashService * svc, const DashSettings * run, GError ** error)
{
  DashUploadConfig cfg = { 0, };
  DashUpload *up;
  GError *err = NULL;

  cfg.dir = run->location;
  cfg.location = run->upload_location;
  cfg.queue_size = run->upload_queue_size;
  cfg.max_in_flight = UPLOAD_MAX_IN_FLIGHT;
  cfg.max_streaming = UPLOAD_MAX_STREAMING;
  cfg.max_lag = UPLOAD_CHUNKED_MAX_LAG;
  cfg.max_attempts = UPLOAD_MAX_ATTEMPTS;
  cfg.base_delay = UPLOAD_BASE_DELAY;
  cfg.max_delay = UPLOAD_MAX_DELAY;
  cfg.timeout = UPLOAD_TIMEOUT;
  /* the segment after a published one starts within a chunk duration */
  cfg.expect_timeout = (gint64) (run->segment_duration / 1000);
  cfg.dropped = upload_dropped;
  cfg.dropped_data = svc;
  up = dash_upload_start (&cfg, &err);
  if (up == NULL && err && err->domain == DASH_SOUP_ERROR) {
    g_propagate_error (error, err);
    return NULL;
  } else if (up == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Invalid upload-location '%s': %s", run->upload_location,
        err ? err->message : "unknown error");
    g_clear_error (&err);
    return NULL;
  }
  GST_INFO_OBJECT (svc->element, "pushing to %s", run->upload_location);
  return up;
}

gboolean
dash_service_start (DashService * svc, const DashSettings * run,
    GError ** error)
{
  HttpServer *srv = NULL;
  DashUpload *up = NULL;

  if (run->http_port > 0 && !(srv = start_server (svc, run, error)))
    return FALSE;
  if (run->upload_location && *run->upload_location &&
      !(up = start_upload (svc, run, error))) {
    http_server_stop (srv);
    return FALSE;
  }
  g_mutex_lock (&svc->lock);
  svc->server = srv;
  svc->upload = up;
  g_free (svc->address);
  svc->address = g_strdup (run->http_address);
  if (up)
    memset (&svc->last_upload, 0, sizeof (svc->last_upload));
  g_mutex_unlock (&svc->lock);
  return TRUE;
}

void
dash_service_stop (DashService * svc)
{
  HttpServer *srv;
  DashUpload *up;
  DashUploadStats us;

  g_mutex_lock (&svc->lock);
  srv = svc->server;
  svc->server = NULL;
  up = svc->upload;
  g_mutex_unlock (&svc->lock);
  /* joins the server thread: no /metrics request is running after it */
  http_server_stop (srv);
  if (up == NULL)
    return;
  /* streaming has stopped: the queue only shrinks now */
  dash_upload_drain (up, UPLOAD_DRAIN_TIMEOUT);
  dash_upload_get_stats (up, &us);
  g_mutex_lock (&svc->lock);
  svc->upload = NULL;
  svc->last_upload = us;
  g_mutex_unlock (&svc->lock);
  if (us.pending > 0)
    GST_WARNING_OBJECT (svc->element, "%u uploads still pending after %d s: "
        "cancelled", us.pending,
        (gint) (UPLOAD_DRAIN_TIMEOUT / G_TIME_SPAN_SECOND));
  dash_upload_stop (up);
}

HttpServer *
dash_service_get_server (DashService * svc)
{
  return svc->server;
}

DashUpload *
dash_service_get_upload (DashService * svc)
{
  return svc->upload;
}

gchar *
dash_service_time_url (DashService * svc)
{
  const gchar *a = svc->address;

  if (svc->server == NULL)
    return NULL;
  /* our own clock, millisecond precision */
  if (g_str_equal (a, "0.0.0.0") || g_str_equal (a, "::"))
    return g_strdup ("/time");
  return g_strdup_printf ("http://%s%s%s:%u/time", strchr (a, ':') ? "[" : "",
      a, strchr (a, ':') ? "]" : "", http_server_get_port (svc->server));
}

void
dash_service_get_upload_stats (DashService * svc, DashUploadStats * stats)
{
  g_mutex_lock (&svc->lock);
  if (svc->upload)
    dash_upload_get_stats (svc->upload, stats);
  else
    *stats = svc->last_upload;
  g_mutex_unlock (&svc->lock);
}
