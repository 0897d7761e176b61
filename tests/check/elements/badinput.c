/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The bad-input matrix: every kind of bad input against every element of the
 * plug-in (found in the registry). Each case is one function that pushes
 * into a GstHarness on the element's first sink pad that accepts one of the
 * test streams (lstest.c) and is run for every element as a loop test.
 *
 * What every case demands of every element:
 *  - no crash (GstCheck forks; under ASan/UBSan any memory error aborts)
 *  - no hang: pushing ends, and EOS comes out (or the sink posts EOS, or an
 *    error is posted) within 30 s
 *  - a GST_FLOW_ERROR returned upstream comes with an ERROR message
 *    that says what was wrong (not a silent stop)
 *  - no silent loss: when fewer buffers come out than went in and no error
 *    was posted, the element's "stats" count drops (a field named drop,
 *    invalid, late, lost, ...)
 *  - bounded memory: the flood case may not grow resident memory by more
 *    than 48 MiB while pushing 80 MiB
 *
 * Adding a case: write `static void case_xxx (Bad * b)` that pushes through
 * bad_push() / bad_push_event(), and add it to the cases[] table. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <string.h>

#include "lstest.h"
#include "gstchunkmeta.h"

#define DEADLINE_US (30 * G_USEC_PER_SEC)
#define FLOOD_RSS_LIMIT (48 * 1024 * 1024)

static GList *factories;

typedef struct _Bad Bad;
typedef void (*BadCaseFunc) (Bad * b);

struct _Bad {
  GstElementFactory *factory;
  GstElement *element;
  GstHarness *h;                /* target sink pad (+ its src pad) */
  GPtrArray *others;            /* harnesses on the other always sink pads */
  GstBus *bus;
  const LsStream *stream;
  gchar *tmpdir;
  gboolean is_sink;             /* no src pad to pull from */
  GRand *rand;

  /* written by the pushing thread */
  guint pushed;
  GstFlowReturn last_flow;
  gboolean pushing_done;

  /* main thread */
  guint out_buffers;
  gboolean out_eos;
  GstMessage *error;
  gboolean sink_eos;
  guint64 rss_peak_growth;
  gboolean measure_rss;
  BadCaseFunc func;
};

/* ---- pushing helpers used by the cases (pushing thread) ---- */

static GstFlowReturn
bad_push (Bad * b, GstBuffer * buf)
{
  GstFlowReturn ret;

  if (b->last_flow != GST_FLOW_OK && b->last_flow != GST_FLOW_FLUSHING) {
    gst_buffer_unref (buf);
    return b->last_flow;
  }
  ret = gst_harness_push (b->h, buf);
  g_atomic_int_inc (&b->pushed);
  /* a dropped buffer may come back as OK; anything else stops the stream */
  if (ret != GST_FLOW_OK)
    b->last_flow = ret;
  return ret;
}

static void
bad_push_event (Bad * b, GstEvent * ev)
{
  gst_harness_push_event (b->h, ev);
}

static GstBuffer *
garbage_buffer (Bad * b, gsize size, guint64 i)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  gsize k;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (k = 0; k + 4 <= size; k += 4) {
    guint32 r = g_rand_int (b->rand);
    memcpy (map.data + k, &r, 4);
  }
  for (; k < size; k++)
    map.data[k] = g_rand_int (b->rand);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = i * 20 * GST_MSECOND;
  GST_BUFFER_DURATION (buf) = 20 * GST_MSECOND;
  if (i % 10)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

/* ---- the cases ---- */

/* random bytes under the stream's caps */
static void
case_garbage (Bad * b)
{
  guint i;

  for (i = 0; i < 2000; i++)
    bad_push (b, garbage_buffer (b, g_rand_int_range (b->rand, 1, 4096), i));
}

/* 80 MiB of random bytes, as fast as the element takes them */
static void
case_flood (Bad * b)
{
  guint i;

  /* under valgrind (no RSS bound there) a tenth is enough */
  guint n = g_getenv ("LS_UNDER_VALGRIND") ? 2000 : 20000;

  b->measure_rss = TRUE;
  for (i = 0; i < n; i++)
    bad_push (b, garbage_buffer (b, 4096, i));
}

/* real frames cut short (truncated H.264 access units, ADTS/raw AAC, RTP,
 * TS packets) */
static void
case_truncated (Bad * b)
{
  guint i;

  for (i = 0; i < 300; i++) {
    GstBuffer *buf = ls_stream_get (b->stream, i);
    gsize size = gst_buffer_get_size (buf);

    if (size > 1 && i % 3 != 0)
      gst_buffer_resize (buf, 0, g_rand_int_range (b->rand, 1, size));
    bad_push (b, buf);
  }
}

/* a valid stream whose timestamps jump back by a second every 20 buffers */
static void
case_timestamps_backwards (Bad * b)
{
  guint i;

  for (i = 0; i < 300; i++) {
    GstBuffer *buf = ls_stream_get (b->stream, i);
    GstClockTime back = (i / 20) * GST_SECOND;

    if (GST_BUFFER_PTS_IS_VALID (buf))
      GST_BUFFER_PTS (buf) = GST_BUFFER_PTS (buf) > back ?
          GST_BUFFER_PTS (buf) - back : 0;
    if (GST_BUFFER_DTS_IS_VALID (buf))
      GST_BUFFER_DTS (buf) = GST_BUFFER_DTS (buf) > back ?
          GST_BUFFER_DTS (buf) - back : 0;
    bad_push (b, buf);
  }
}

/* a valid stream without any timestamp or duration */
static void
case_no_timestamps (Bad * b)
{
  guint i;

  for (i = 0; i < 300; i++) {
    GstBuffer *buf = ls_stream_get (b->stream, i);

    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
    bad_push (b, buf);
  }
}

/* caps and segment, then EOS right away */
static void
case_eos_without_data (Bad * b)
{
}

/* empty buffers between real ones */
static void
case_zero_byte (Bad * b)
{
  guint i;

  for (i = 0; i < 600; i++) {
    GstBuffer *buf;

    if (i % 2) {
      buf = gst_buffer_new ();
      GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) =
          (i / 2) * 20 * GST_MSECOND;
    } else {
      buf = ls_stream_get (b->stream, i / 2);
    }
    bad_push (b, buf);
  }
}

/* new caps mid-stream: another stream the pad also accepts, or the same
 * caps with changed fields */
static void
case_caps_change (Bad * b)
{
  GstCaps *templ = gst_pad_get_pad_template_caps (GST_PAD_PEER (b->h->srcpad));
  const gchar *names[] = { "h264-au", "h264-avc", "aac", "raw-video",
    "raw-audio", "rtp-h264", "mpegts"
  };
  const LsStream *other = NULL;
  GstCaps *caps;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names) && !other; i++) {
    const LsStream *s = ls_stream_by_name (names[i]);

    if (s != b->stream && gst_caps_can_intersect (s->caps, templ))
      other = s;
  }
  gst_caps_unref (templ);

  for (i = 0; i < 100; i++)
    bad_push (b, ls_stream_get (b->stream, i));
  if (other) {
    caps = gst_caps_ref (other->caps);
  } else {
    caps = gst_caps_copy (b->stream->caps);
    gst_caps_set_simple (caps, "width", G_TYPE_INT, 320, "height", G_TYPE_INT,
        240, "rate", G_TYPE_INT, 44100, NULL);
  }
  bad_push_event (b, gst_event_new_caps (caps));
  for (i = 0; i < 100; i++) {
    GstBuffer *buf = ls_stream_get (other ? other : b->stream, i);

    /* continue the timeline */
    if (GST_BUFFER_PTS_IS_VALID (buf))
      GST_BUFFER_PTS (buf) += 10 * GST_SECOND;
    if (GST_BUFFER_DTS_IS_VALID (buf))
      GST_BUFFER_DTS (buf) += 10 * GST_SECOND;
    bad_push (b, buf);
  }
  gst_caps_unref (caps);
}

/* 10,000 chunks (chunk meta seqnum, offset) in random order */
static void
case_random_order (Bad * b)
{
  guint n = 10000, i;
  guint *order = g_new (guint, n);

  for (i = 0; i < n; i++)
    order[i] = i;
  for (i = n - 1; i > 0; i--) {
    guint j = g_rand_int_range (b->rand, 0, i + 1);
    guint t = order[i];

    order[i] = order[j];
    order[j] = t;
  }
  for (i = 0; i < n; i++)
    bad_push (b, ls_stream_get (b->stream, order[i]));
  g_free (order);
}

/* The output directory on a 256 KiB tmpfs: the disk fills up (elements with
 * an output directory; others just see a valid stream) */
static void
case_disk_full (Bad * b)
{
  guint i;

  for (i = 0; i < 3000; i++)
    bad_push (b, ls_stream_get (b->stream, i));
}

/* The output directory removed while running */
static void
case_dir_removed (Bad * b)
{
  guint i;

  for (i = 0; i < 600; i++) {
    if (i == 200)
      ls_rm_rf (b->tmpdir);
    bad_push (b, ls_stream_get (b->stream, i));
  }
}

/* HTTP clients that go away mid-response: for an element with an
 * "http-port" (dashlivesink's embedded server), 60 connections asking for
 * the MPD, live, announced and missing segments, each closed after reading
 * at most a few bytes, while the stream goes on. Other elements just get a
 * valid stream. */
static void
http_hit_and_run (guint port, const gchar * path, guint read_bytes)
{
  struct sockaddr_in addr = { 0, };
  gchar *req;
  gint fd = socket (AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    return;
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0) {
    req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        path);
    if (write (fd, req, strlen (req)) > 0 && read_bytes > 0) {
      gchar buf[64];
      struct timeval tv = { 0, 200000 };

      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
      if (read (fd, buf, MIN (read_bytes, sizeof (buf))) < 0)
        GST_DEBUG ("no answer within 200 ms");
    }
    g_free (req);
  }
  close (fd);
}

/* The whole answer to GET @path (Connection: close), or NULL */
static gchar *
http_get (guint port, const gchar * path)
{
  struct sockaddr_in addr = { 0, };
  struct timeval tv = { 2, 0 };
  GString *out = g_string_new (NULL);
  gchar *req, buf[4096];
  gint fd = socket (AF_INET, SOCK_STREAM, 0);
  gssize n;

  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof (addr)) != 0) {
    if (fd >= 0)
      close (fd);
    return g_string_free (out, TRUE);
  }
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof (tv));
  req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Connection: close\r\n\r\n", path);
  if (write (fd, req, strlen (req)) > 0) {
    while ((n = read (fd, buf, sizeof (buf))) > 0)
      g_string_append_len (out, buf, n);
  }
  g_free (req);
  close (fd);
  return g_string_free (out, FALSE);
}

/* Value of a /metrics counter, or -1 */
static gint64
metric (const gchar * body, const gchar * name)
{
  const gchar *p = body;

  while (p && (p = strstr (p, name))) {
    const gchar *v = strchr (p, '}');

    if (p > body && p[-1] == '\n' && v)
      return g_ascii_strtoll (v + 1, NULL, 10);
    p += strlen (name);
  }
  return -1;
}

static void
case_http_disconnect (Bad * b)
{
  guint port = 0, i, hits = 0;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (b->element),
          "http-port"))
    g_object_get (b->element, "http-port", &port, NULL);
  for (i = 0; i < 600; i++) {
    bad_push (b, ls_stream_get (b->stream, i));
    if (port && i >= 100 && i % 8 == 0) {
      gchar *path = g_strdup_printf ("/video_0-%u.m4s", (i / 8) % 12);

      http_hit_and_run (port, (i / 8) % 5 ? path : "/manifest.mpd",
          (i / 8) % 3 * 20);
      hits++;
      g_free (path);
    }
  }
  if (port) {
    gchar *body = http_get (port, "/metrics");
    gint64 requests = metric (body,
        "livestream_dashlivesink_http_requests_total");

    /* the server saw the clients that ran away, and still answers */
    g_print ("badinput: %-12s %-22s %u clients gone mid-answer, server: "
        "%" G_GINT64_FORMAT " requests, %" G_GINT64_FORMAT " live answers, "
        "%" G_GINT64_FORMAT " waited\n", GST_OBJECT_NAME (b->factory),
        "http-disconnect", hits, requests, metric (body,
            "livestream_dashlivesink_http_live_responses_total"), metric (body,
            "livestream_dashlivesink_http_waited_total"));
    fail_unless (requests >= hits, "the server answered /metrics with %s",
        body ? body : "nothing");
    g_free (body);
  }
}

typedef struct {
  const gchar *name;
  BadCaseFunc func;
} BadCase;

static const BadCase cases[] = {
  {"garbage", case_garbage},
  {"flood", case_flood},
  {"truncated", case_truncated},
  {"timestamps-backwards", case_timestamps_backwards},
  {"no-timestamps", case_no_timestamps},
  {"eos-without-data", case_eos_without_data},
  {"zero-byte", case_zero_byte},
  {"caps-change", case_caps_change},
  {"random-order-10000", case_random_order},
  {"disk-full", case_disk_full},
  {"dir-removed", case_dir_removed},
  {"http-disconnect", case_http_disconnect},
};

G_STATIC_ASSERT (G_N_ELEMENTS (cases) == 12);

/* ---- the runner ---- */

static gpointer
push_thread (gpointer data)
{
  Bad *b = data;

  b->func (b);
  gst_harness_push_event (b->h, gst_event_new_eos ());
  g_atomic_int_set (&b->pushing_done, TRUE);
  return NULL;
}

static const gchar *
src_name_for (GstElement * element, GstPadTemplate * sink_templ)
{
  GstPadTemplate *t = ls_src_template_for (element, sink_templ);

  if (t == NULL || GST_PAD_TEMPLATE_PRESENCE (t) == GST_PAD_SOMETIMES)
    return NULL;
  return GST_PAD_TEMPLATE_NAME_TEMPLATE (t);
}

static void
bad_setup (Bad * b, GstElementFactory * factory, BadCaseFunc func)
{
  GstElementClass *klass;
  GstPadTemplate *target = NULL;
  GList *l;

  memset (b, 0, sizeof (*b));
  b->factory = factory;
  b->func = func;
  b->rand = g_rand_new_with_seed (0xbad1);
  b->tmpdir = g_dir_make_tmp ("ls-badinput-XXXXXX", NULL);
  fail_unless (b->tmpdir != NULL);
  b->others = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_harness_teardown);
  b->element = gst_element_factory_create (factory, NULL);
  fail_unless (b->element != NULL);

  /* the disk-full case: a 256 KiB tmpfs for the output (root only) */
  if (func == case_disk_full && mount ("tmpfs", b->tmpdir, "tmpfs", 0,
          "size=256k") != 0)
    GST_INFO ("cannot mount a tmpfs (not root?): a normal directory");
  ls_configure_element (b->element, b->tmpdir);

  klass = GST_ELEMENT_GET_CLASS (b->element);
  /* target: the first always sink pad with a stream, else a request one */
  for (l = gst_element_class_get_pad_template_list (klass); l; l = l->next) {
    GstPadTemplate *t = l->data;

    if (GST_PAD_TEMPLATE_DIRECTION (t) != GST_PAD_SINK ||
        GST_PAD_TEMPLATE_PRESENCE (t) == GST_PAD_SOMETIMES ||
        ls_stream_for_template (t) == NULL)
      continue;
    if (target == NULL || (GST_PAD_TEMPLATE_PRESENCE (target) ==
            GST_PAD_REQUEST && GST_PAD_TEMPLATE_PRESENCE (t) == GST_PAD_ALWAYS))
      target = t;
  }
  fail_unless (target != NULL, "%s: no sink pad takes a test stream",
      GST_OBJECT_NAME (factory));
  b->stream = ls_stream_for_template (target);
  b->is_sink = src_name_for (b->element, target) == NULL;

  b->bus = gst_bus_new ();
  gst_element_set_bus (b->element, b->bus);
  b->h = gst_harness_new_with_element (b->element,
      GST_PAD_TEMPLATE_NAME_TEMPLATE (target), src_name_for (b->element,
          target));
  gst_harness_set_src_caps (b->h, gst_caps_ref (b->stream->caps));

  /* the other always sink pads: a stream that ends at once */
  for (l = gst_element_class_get_pad_template_list (klass); l; l = l->next) {
    GstPadTemplate *t = l->data;
    const LsStream *s;
    GstHarness *oh;

    if (t == target || GST_PAD_TEMPLATE_DIRECTION (t) != GST_PAD_SINK ||
        GST_PAD_TEMPLATE_PRESENCE (t) != GST_PAD_ALWAYS)
      continue;
    s = ls_stream_for_template (t);
    oh = gst_harness_new_with_element (b->element,
        GST_PAD_TEMPLATE_NAME_TEMPLATE (t), src_name_for (b->element, t));
    if (s)
      gst_harness_set_src_caps (oh, gst_caps_ref (s->caps));
    gst_harness_push_event (oh, gst_event_new_eos ());
    g_ptr_array_add (b->others, oh);
  }
}

static void
bad_teardown (Bad * b)
{
  g_ptr_array_unref (b->others);
  gst_harness_teardown (b->h);
  gst_element_set_bus (b->element, NULL);
  gst_object_unref (b->element);
  gst_object_unref (b->bus);
  if (b->error)
    gst_message_unref (b->error);
  umount2 (b->tmpdir, MNT_DETACH);
  ls_rm_rf (b->tmpdir);
  g_free (b->tmpdir);
  g_rand_free (b->rand);
}

static void
drain_bus (Bad * b)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop (b->bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR && b->error == NULL) {
      b->error = msg;
      continue;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      b->sink_eos = TRUE;
    gst_message_unref (msg);
  }
}

/* The pushing thread is done, and EOS came out (or an error was posted) */
static gboolean
bad_finished (Bad * b)
{
  if (!g_atomic_int_get (&b->pushing_done))
    return FALSE;
  if (b->error)
    return TRUE;
  return b->is_sink ? b->sink_eos : b->out_eos;
}

static void
bad_run (Bad * b, const gchar * case_name)
{
  const gchar *el = GST_OBJECT_NAME (b->factory);
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;
  guint64 rss0 = ls_rss_bytes ();
  GThread *thread;
  guint64 drops;
  gchar *stats = NULL;

  thread = g_thread_new ("bad-push", push_thread, b);
  while (!bad_finished (b) && g_get_monotonic_time () < deadline) {
    GstBuffer *buf;
    GstEvent *ev;
    gboolean idle = TRUE;

    if (!b->is_sink) {
      while ((buf = gst_harness_try_pull (b->h))) {
        b->out_buffers++;
        gst_buffer_unref (buf);
        idle = FALSE;
      }
      while ((ev = gst_harness_try_pull_event (b->h))) {
        if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
          b->out_eos = TRUE;
        gst_event_unref (ev);
      }
    }
    drain_bus (b);
    if (b->measure_rss) {
      guint64 rss = ls_rss_bytes ();

      if (rss > rss0)
        b->rss_peak_growth = MAX (b->rss_peak_growth, rss - rss0);
    }
    if (idle)
      g_usleep (1000);
  }

  fail_unless (g_atomic_int_get (&b->pushing_done),
      "%s/%s: pushing hangs after %u buffers (30 s)", el, case_name,
      g_atomic_int_get (&b->pushed));
  g_thread_join (thread);
  drain_bus (b);

  drops = ls_stats_drop_count (b->element, &stats);
  if (b->error) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (b->error, &err, &dbg);
    GST_INFO ("%s/%s: error: %s (%s)", el, case_name, err->message,
        GST_STR_NULL (dbg));
    g_print ("badinput: %-12s %-22s error: %s\n", el, case_name,
        err->message);
    fail_unless (err->message && *err->message, "%s/%s: empty error", el,
        case_name);
    g_clear_error (&err);
    g_free (dbg);
  } else {
    fail_unless (b->last_flow == GST_FLOW_OK ||
        b->last_flow == GST_FLOW_EOS || b->last_flow == GST_FLOW_FLUSHING,
        "%s/%s: returned %s upstream without an error message", el,
        case_name, gst_flow_get_name (b->last_flow));
    fail_unless (bad_finished (b), "%s/%s: no EOS %s within 30 s", el,
        case_name, b->is_sink ? "message from the sink" : "downstream");
    if (!b->is_sink && b->out_buffers < b->pushed)
      fail_unless (drops > 0, "%s/%s: %u buffers in, %u out, no error and "
          "no drop counted (stats: %s)", el, case_name, b->pushed,
          b->out_buffers, GST_STR_NULL (stats));
    g_print ("badinput: %-12s %-22s %u in, %u out, %" G_GUINT64_FORMAT
        " counted as dropped%s\n", el, case_name, b->pushed, b->out_buffers,
        drops, b->is_sink ? " (sink)" : "");
  }
#if !defined (LS_SANITIZED)
  if (b->measure_rss && g_getenv ("LS_UNDER_VALGRIND") == NULL)
    fail_unless (b->rss_peak_growth < FLOOD_RSS_LIMIT,
        "%s/%s: resident memory grew by %" G_GUINT64_FORMAT " KiB",
        el, case_name, b->rss_peak_growth / 1024);
#endif
  g_free (stats);
}

static void
run_case (guint case_idx, guint element_idx)
{
  GstElementFactory *factory = g_list_nth_data (factories, element_idx);
  Bad b;

  bad_setup (&b, factory, cases[case_idx].func);
  bad_run (&b, cases[case_idx].name);
  bad_teardown (&b);
}

#define DEFINE_CASE_TEST(idx, tname)                                    \
  GST_START_TEST (tname)                                                \
  {                                                                     \
    run_case (idx, __i__);                                              \
  }                                                                     \
  GST_END_TEST;

DEFINE_CASE_TEST (0, test_garbage);
DEFINE_CASE_TEST (1, test_flood);
DEFINE_CASE_TEST (2, test_truncated);
DEFINE_CASE_TEST (3, test_timestamps_backwards);
DEFINE_CASE_TEST (4, test_no_timestamps);
DEFINE_CASE_TEST (5, test_eos_without_data);
DEFINE_CASE_TEST (6, test_zero_byte);
DEFINE_CASE_TEST (7, test_caps_change);
DEFINE_CASE_TEST (8, test_random_order);
DEFINE_CASE_TEST (9, test_disk_full);
DEFINE_CASE_TEST (10, test_dir_removed);
DEFINE_CASE_TEST (11, test_http_disconnect);

/* Garbage into a TS ingest: appsrc (video/mpegts) ! tsdemux ! h264parse,
 * then every element of the plug-in with an always "sink" and "src" pad
 * that takes H.264, in a chain. The input is the real TS stream with random
 * bytes flipped in one packet of four, and pure garbage in between. The
 * pipeline must end (EOS or an error) within 30 s. */
GST_START_TEST (test_ts_ingest_garbage)
{
  const LsStream *ts = ls_stream_by_name ("mpegts");
  const LsStream *h264 = ls_stream_by_name ("h264-au");
  GString *desc = g_string_new ("appsrc name=src format=time ! tsdemux ! "
      "h264parse");
  GRand *rand = g_rand_new_with_seed (0x75);
  GstElement *pipe, *src;
  GstBus *bus;
  GstMessage *msg;
  GList *l;
  guint i, n_el = 0;

  for (l = factories; l; l = l->next) {
    GstElementFactory *f = l->data;
    GstElement *e = gst_element_factory_create (f, NULL);
    GstPadTemplate *st = gst_element_get_pad_template (e, "sink");
    GstPadTemplate *srct = gst_element_get_pad_template (e, "src");

    if (st && srct && GST_PAD_TEMPLATE_PRESENCE (st) == GST_PAD_ALWAYS &&
        GST_PAD_TEMPLATE_PRESENCE (srct) == GST_PAD_ALWAYS &&
        ls_stream_for_template (st) == h264) {
      g_string_append_printf (desc, " ! %s", GST_OBJECT_NAME (f));
      n_el++;
    }
    gst_object_unref (e);
  }
  g_string_append (desc, " ! fakesink sync=false async=false");
  g_print ("badinput: ts-ingest: %s\n", desc->str);

  pipe = gst_parse_launch (desc->str, NULL);
  fail_unless (pipe != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  g_object_set (src, "caps", ts->caps, NULL);
  fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 2000; i++) {
    GstBuffer *buf;

    if (i % 5 == 4) {
      gsize size = g_rand_int_range (rand, 1, 2048);
      guint8 *junk = g_malloc (size);
      gsize k;

      for (k = 0; k < size; k++)
        junk[k] = g_rand_int (rand);
      buf = gst_buffer_new_wrapped (junk, size);
    } else {
      buf = ls_stream_get (ts, i);
      if (i % 4 == 0) {
        gsize size = gst_buffer_get_size (buf);
        guint8 b = g_rand_int (rand);

        buf = gst_buffer_make_writable (buf);
        gst_buffer_fill (buf, g_rand_int_range (rand, 0, size), &b, 1);
      }
    }
    if (gst_app_src_push_buffer (GST_APP_SRC (src), buf) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipe);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "TS ingest with garbage: no EOS nor error in 30 s");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_print ("badinput: ts-ingest (%u elements): error from %s: %s\n", n_el,
        GST_MESSAGE_SRC_NAME (msg), err->message);
    g_clear_error (&err);
  } else {
    g_print ("badinput: ts-ingest (%u elements): EOS\n", n_el);
  }
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (src);
  gst_object_unref (pipe);
  g_string_free (desc, TRUE);
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
badinput_suite (void)
{
  Suite *s = suite_create ("badinput");
  guint n;
  TCase *tc;

  factories = ls_plugin_factories ();
  n = g_list_length (factories);

#define ADD(tname, cname)                                               \
  tc = tcase_create (cname);                                            \
  tcase_set_timeout (tc, 120);                                          \
  suite_add_tcase (s, tc);                                              \
  tcase_add_loop_test (tc, tname, 0, n)

  ADD (test_garbage, "garbage");
  ADD (test_flood, "flood");
  ADD (test_truncated, "truncated");
  ADD (test_timestamps_backwards, "timestamps-backwards");
  ADD (test_no_timestamps, "no-timestamps");
  ADD (test_eos_without_data, "eos-without-data");
  ADD (test_zero_byte, "zero-byte");
  ADD (test_caps_change, "caps-change");
  ADD (test_random_order, "random-order-10000");
  ADD (test_disk_full, "disk-full");
  ADD (test_dir_removed, "dir-removed");
  ADD (test_http_disconnect, "http-disconnect");
#undef ADD
  tc = tcase_create ("ts-ingest");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ts_ingest_garbage);
  return s;
}

GST_CHECK_MAIN (badinput);
