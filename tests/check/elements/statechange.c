/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* State-change stress for every element of the plug-in (found in the
 * registry, so a new element is covered without touching this file).
 *
 * Each element sits in a pipeline with an appsrc on each of its sink pads
 * (always pads and one pad of each request template), fed a real stream it
 * accepts, and a fakesink on each of its src pads. Then, with data flowing,
 * 1000 random transitions among NULL, READY, PAUSED and PLAYING (every
 * transition up and down, skipping states too), with flushing seeks in
 * PAUSED and PLAYING. It fails on a state change that fails or does not
 * complete within 10 s (deadlock), an error message (see check_bus() for
 * the stop-time errors that are counted instead), a buffer not freed at
 * the end, the element not finalized, or resident memory growing by more
 * than 64 MiB over the cycles.
 *
 * LS_STRESS_CYCLES overrides the number of cycles (the valgrind set-up uses
 * fewer), LS_STRESS_SEED the random sequence, LS_STRESS_ONLY=a,b limits the
 * run to these elements. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>

#include "lstest.h"

#define STATE_TIMEOUT (10 * GST_SECOND)
#define RSS_GROWTH_LIMIT (64 * 1024 * 1024)
/* a call that blocks (set_state, a flushing seek) this long is a deadlock:
 * the watchdog prints where and aborts (s; valgrind: x6) */
#define STEP_LIMIT_S 30
/* a step slower than this is printed (s; valgrind: x6) */
#define STEP_SLOW_S 2

/* What the test thread is doing, for the watchdog */
static struct
{
  GMutex lock;
  const gchar *what;            /* NULL: between steps */
  gchar element[64];
  guint cycle;
  gint64 since;                 /* monotonic µs */
  GstElement *pipeline;
} step;

static gboolean watchdog_started;

static gint64
step_scale (void)
{
  return g_getenv ("LS_UNDER_VALGRIND") ? 6 : 1;
}

static void
step_begin (const gchar * what, guint cycle)
{
  g_mutex_lock (&step.lock);
  step.what = what;
  step.cycle = cycle;
  step.since = g_get_monotonic_time ();
  g_mutex_unlock (&step.lock);
}

static void
step_end (void)
{
  gint64 took;
  const gchar *what;

  g_mutex_lock (&step.lock);
  took = g_get_monotonic_time () - step.since;
  what = step.what;
  step.what = NULL;
  g_mutex_unlock (&step.lock);
  if (took > STEP_SLOW_S * step_scale () * G_USEC_PER_SEC)
    g_printerr ("statechange: %s: cycle %u: %s took %.1f s\n", step.element,
        step.cycle, what, took / 1e6);
}

/* Prints each element's state and aborts when one step blocks for longer
 * than STEP_LIMIT_S: a hang becomes a failure that names the step, instead
 * of a test that runs until the suite's time limit. */
static gpointer
watchdog (gpointer data)
{
  gint64 limit = STEP_LIMIT_S * step_scale () * G_USEC_PER_SEC;

  for (;;) {
    gboolean stuck;

    g_usleep (G_USEC_PER_SEC);
    g_mutex_lock (&step.lock);
    stuck = step.what != NULL &&
        g_get_monotonic_time () - step.since > limit;
    if (stuck) {
      GstIterator *it = step.pipeline ?
          gst_bin_iterate_elements (GST_BIN (step.pipeline)) : NULL;
      GValue v = G_VALUE_INIT;

      g_printerr ("statechange: %s: cycle %u: %s blocked for more than "
          "%" G_GINT64_FORMAT " s: deadlock\n", step.element, step.cycle,
          step.what, limit / G_USEC_PER_SEC);
      while (it && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
        GstElement *e = g_value_get_object (&v);

        g_printerr ("  %s: %s, pending %s\n", GST_ELEMENT_NAME (e),
            gst_element_state_get_name (GST_STATE (e)),
            gst_element_state_get_name (GST_STATE_PENDING (e)));
        g_value_reset (&v);
      }
      g_value_unset (&v);
      if (it)
        gst_iterator_free (it);
      /* every thread's stack (gdb), not under valgrind */
      if (!g_getenv ("LS_UNDER_VALGRIND")) {
        gchar *exe = g_file_read_link ("/proc/self/exe", NULL);

        g_on_error_stack_trace (exe);
        g_free (exe);
      }
      abort ();
    }
    g_mutex_unlock (&step.lock);
  }
  return NULL;
}

static GList *factories;

typedef struct _Rig Rig;

typedef struct {
  Rig *rig;
  const LsStream *stream;
  guint64 next;
  gint64 last_ts;               /* of the last buffer pushed, or -1 */
} Feed;

struct _Rig {
  GstElement *pipeline;
  GstElement *element;
  GPtrArray *request_pads;
  GPtrArray *feeds;
  gint in_count;
  guint stop_time_errors;
  gchar *tmpdir;
};

/* Media time of the feed that is furthest behind */
static gint64
slowest_feed_ts (Rig * rig)
{
  gint64 min = G_MAXINT64;
  guint i;

  for (i = 0; i < rig->feeds->len; i++) {
    Feed *f = g_ptr_array_index (rig->feeds, i);
    /* read without a lock: a stale value only shifts the pace a little */
    min = MIN (min, f->last_ts);
  }
  return min;
}

static void
need_data (GstAppSrc * src, guint length, gpointer user_data)
{
  Feed *feed = user_data;
  GstBuffer *buf = ls_stream_get (feed->stream, feed->next++);
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buf);
  guint waited = 0;

  /* Streams of a multi-input element (audio + video) go at the same media
   * pace, as live inputs do: wait (bounded, never blocking a state change
   * for long) while this one is 300 ms ahead of the slowest. */
  if (GST_CLOCK_TIME_IS_VALID (ts)) {
    while ((gint64) ts > slowest_feed_ts (feed->rig) + 300 * GST_MSECOND &&
        waited++ < 50)
      g_usleep (1000);
    feed->last_ts = ts;
  }
  gst_app_src_push_buffer (src, buf);
}

static gboolean
seek_data (GstAppSrc * src, guint64 offset, gpointer user_data)
{
  Feed *feed = user_data;

  /* only seeks to 0 are made: start the stream again at a keyframe */
  feed->next = 0;
  feed->last_ts = -1;
  return TRUE;
}

static GstPadProbeReturn
count_in (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Rig *rig = user_data;

  g_atomic_int_inc (&rig->in_count);
  return GST_PAD_PROBE_OK;
}

static void
add_fakesink (Rig * rig, GstPad * srcpad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (rig->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  fail_unless_equals_int (gst_pad_link (srcpad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

static void
pad_added (GstElement * element, GstPad * pad, gpointer user_data)
{
  /* also emitted for the request pads rig_init() asks for */
  if (GST_PAD_IS_SRC (pad) && !gst_pad_is_linked (pad))
    add_fakesink (user_data, pad);
}

static void
add_feed (Rig * rig, GstPad * sinkpad, GstPadTemplate * templ)
{
  const LsStream *stream = ls_stream_for_template (templ);
  GstAppSrcCallbacks cb = { need_data, NULL, seek_data, };
  GstElement *src;
  GstPad *srcpad;
  Feed *feed;

  if (stream == NULL) {
    GST_INFO ("no test stream for %s:%s", GST_ELEMENT_NAME (rig->element),
        GST_PAD_NAME (sinkpad));
    return;
  }
  feed = g_new0 (Feed, 1);
  feed->rig = rig;
  feed->stream = stream;
  feed->last_ts = -1;
  g_ptr_array_add (rig->feeds, feed);
  src = gst_element_factory_make ("appsrc", NULL);
  g_object_set (src, "caps", stream->caps, "format", GST_FORMAT_TIME,
      "stream-type", GST_APP_STREAM_TYPE_SEEKABLE, "max-buffers",
      (guint64) 8, NULL);
  gst_app_src_set_callbacks (GST_APP_SRC (src), &cb, feed, NULL);
  gst_bin_add (GST_BIN (rig->pipeline), src);
  srcpad = gst_element_get_static_pad (src, "src");
  fail_unless_equals_int (gst_pad_link (srcpad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (srcpad);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_in, rig, NULL);
}

static GstPad *
get_pad (Rig * rig, GstPadTemplate * templ)
{
  GstPad *pad;

  if (GST_PAD_TEMPLATE_PRESENCE (templ) == GST_PAD_ALWAYS)
    return gst_element_get_static_pad (rig->element,
        GST_PAD_TEMPLATE_NAME_TEMPLATE (templ));
  if (GST_PAD_TEMPLATE_PRESENCE (templ) != GST_PAD_REQUEST)
    return NULL;
  pad = gst_element_request_pad (rig->element, templ, NULL, NULL);
  if (pad)
    g_ptr_array_add (rig->request_pads, gst_object_ref (pad));
  return pad;
}

static void
rig_init (Rig * rig, GstElementFactory * factory)
{
  GList *l;
  GstElementClass *klass;

  memset (rig, 0, sizeof (*rig));
  rig->tmpdir = g_dir_make_tmp ("ls-statechange-XXXXXX", NULL);
  fail_unless (rig->tmpdir != NULL);
  rig->request_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  rig->feeds = g_ptr_array_new_with_free_func (g_free);
  rig->pipeline = gst_pipeline_new (NULL);
  rig->element = gst_element_factory_create (factory, NULL);
  fail_unless (rig->element != NULL);
  ls_configure_element (rig->element, rig->tmpdir);
  gst_bin_add (GST_BIN (rig->pipeline), rig->element);
  g_signal_connect (rig->element, "pad-added", G_CALLBACK (pad_added), rig);

  klass = GST_ELEMENT_GET_CLASS (rig->element);
  /* src side first: a request sink pad may add a sometimes src pad */
  for (l = gst_element_class_get_pad_template_list (klass); l; l = l->next) {
    GstPadTemplate *t = l->data;
    GstPad *pad;

    if (GST_PAD_TEMPLATE_DIRECTION (t) != GST_PAD_SRC)
      continue;
    pad = get_pad (rig, t);
    if (pad && !gst_pad_is_linked (pad))
      add_fakesink (rig, pad);
    if (pad)
      gst_object_unref (pad);
  }
  for (l = gst_element_class_get_pad_template_list (klass); l; l = l->next) {
    GstPadTemplate *t = l->data;
    GstPad *pad;

    if (GST_PAD_TEMPLATE_DIRECTION (t) != GST_PAD_SINK)
      continue;
    pad = get_pad (rig, t);
    if (pad && !gst_pad_is_linked (pad))
      add_feed (rig, pad, t);
    if (pad)
      gst_object_unref (pad);
  }
  fail_unless (rig->feeds->len > 0, "%s: no sink pad accepts a test stream",
      GST_OBJECT_NAME (factory));
}

static void
rig_clear (Rig * rig)
{
  guint i;
  gboolean finalized = FALSE;

  fail_unless_equals_int (gst_element_set_state (rig->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  g_object_add_weak_pointer (G_OBJECT (rig->element),
      (gpointer *) & rig->element);
  for (i = 0; i < rig->request_pads->len; i++)
    gst_element_release_request_pad (rig->element,
        g_ptr_array_index (rig->request_pads, i));
  g_ptr_array_unref (rig->request_pads);
  gst_object_unref (rig->pipeline);
  finalized = rig->element == NULL;
  fail_unless (finalized, "element not finalized: a reference leaked");
  g_ptr_array_unref (rig->feeds);
  ls_rm_rf (rig->tmpdir);
  g_free (rig->tmpdir);
}

/* An ERROR posted by the element fails the test. One posted by the test's
 * own appsrc ("Internal data stream error": the element answered a sticky
 * event with FALSE, which GStreamer turns into GST_FLOW_ERROR) while the
 * pipeline went down to READY/NULL is a stop-time error: the element's src
 * pad was already deactivated while its sink pad still took data. Core
 * elements differ here (queue, rtpjitterbuffer never do it, tee does), so
 * these are counted and printed, and fail only with LS_STRESS_STRICT=1. */
static void
check_bus (Rig * rig, GstState cur)
{
  GstBus *bus = gst_element_get_bus (rig->pipeline);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    GError *err = NULL;
    gchar *dbg = NULL;
    gboolean stop_time;

    gst_message_parse_error (msg, &err, &dbg);
    stop_time = cur <= GST_STATE_READY && GST_IS_APP_SRC (GST_MESSAGE_SRC (msg))
        && g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED);
    if (stop_time && g_getenv ("LS_STRESS_STRICT") == NULL) {
      rig->stop_time_errors++;
    } else {
      fail ("%s: error from %s going to %s: %s (%s)",
          GST_ELEMENT_NAME (rig->element), GST_MESSAGE_SRC_NAME (msg),
          gst_element_state_get_name (cur), err->message, GST_STR_NULL (dbg));
    }
    g_clear_error (&err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

static void
go_to (Rig * rig, GstState target)
{
  GstStateChangeReturn ret;
  GstState cur = GST_STATE_VOID_PENDING, pending;

  step_begin (gst_element_state_get_name (target), step.cycle);
  ret = gst_element_set_state (rig->pipeline, target);
  step_end ();
  fail_if (ret == GST_STATE_CHANGE_FAILURE, "%s: change to %s failed",
      GST_ELEMENT_NAME (rig->element), gst_element_state_get_name (target));
  ret = gst_element_get_state (rig->pipeline, &cur, &pending, STATE_TIMEOUT);
  fail_if (ret == GST_STATE_CHANGE_ASYNC,
      "%s: change to %s not done after 10 s (in %s): deadlock",
      GST_ELEMENT_NAME (rig->element), gst_element_state_get_name (target),
      gst_element_state_get_name (cur));
  fail_if (ret == GST_STATE_CHANGE_FAILURE, "%s: change to %s failed",
      GST_ELEMENT_NAME (rig->element), gst_element_state_get_name (target));
  fail_unless_equals_int (cur, target);
}

/* Let data flow: up to 100 ms or 10 buffers into the element */
static void
let_flow (Rig * rig)
{
  gint start = g_atomic_int_get (&rig->in_count);
  gint64 end = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;

  while (g_atomic_int_get (&rig->in_count) - start < 10 &&
      g_get_monotonic_time () < end)
    g_usleep (500);
}

GST_START_TEST (test_state_cycles)
{
  GstElementFactory *factory = g_list_nth_data (factories, __i__);
  const gchar *env = g_getenv ("LS_STRESS_CYCLES");
  guint cycles = env ? atoi (env) : 1000;
  /* LS_STRESS_SEED: another sequence of transitions (repeated runs) */
  guint32 seed = g_getenv ("LS_STRESS_SEED") ?
      (guint32) g_ascii_strtoull (g_getenv ("LS_STRESS_SEED"), NULL, 0) :
      0x5eed;
  GRand *rand = g_rand_new_with_seed (seed + __i__);
  GstState cur = GST_STATE_NULL;
  guint i, seeks = 0, seeks_done = 0, changes = 0;
  guint64 rss_start, rss_end;
  gint64 t0;
  gint live0;
  Rig rig;

  /* started here, in the process that runs the test (a thread started
   * before check forks would not exist in the child) */
  if (!watchdog_started) {
    watchdog_started = TRUE;
    g_thread_unref (g_thread_new ("watchdog", watchdog, NULL));
  }

  /* with CK_FORK=no a failed test before may have left its buffers */
  live0 = ls_live_buffers ();
  rig_init (&rig, factory);
  g_mutex_lock (&step.lock);
  g_strlcpy (step.element, GST_OBJECT_NAME (factory), sizeof (step.element));
  step.pipeline = rig.pipeline;
  step.cycle = 0;
  g_mutex_unlock (&step.lock);

  /* warm-up: caches, pools, first allocations */
  go_to (&rig, GST_STATE_PLAYING);
  let_flow (&rig);
  go_to (&rig, GST_STATE_NULL);
  rss_start = ls_rss_bytes ();
  t0 = g_get_monotonic_time ();

  for (i = 0; i < cycles; i++) {
    GstState next;

    do {
      next = g_rand_int_range (rand, GST_STATE_NULL, GST_STATE_PLAYING + 1);
    } while (next == cur);
    step.cycle = i;
    go_to (&rig, next);
    changes++;
    cur = next;
    if (cur == GST_STATE_PLAYING)
      let_flow (&rig);
    if (cur >= GST_STATE_PAUSED && g_rand_int_range (rand, 0, 4) == 0) {
      gboolean done;

      seeks++;
      step_begin ("flushing seek", i);
      done = gst_element_seek_simple (rig.pipeline, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, 0);
      step_end ();
      if (done)
        seeks_done++;
      /* a flushing seek in PAUSED prerolls again */
      go_to (&rig, cur);
      if (cur == GST_STATE_PLAYING)
        let_flow (&rig);
    }
    check_bus (&rig, cur);
  }
  go_to (&rig, GST_STATE_NULL);
  rss_end = ls_rss_bytes ();
  GST_INFO ("%s: %u state changes, %u flushing seeks (%u accepted), "
      "%d buffers in, %.1f s, RSS %+" G_GINT64_FORMAT " KiB",
      GST_OBJECT_NAME (factory), changes, seeks, seeks_done, rig.in_count,
      (g_get_monotonic_time () - t0) / 1e6,
      ((gint64) rss_end - (gint64) rss_start) / 1024);
  g_print ("statechange: %s: %u state changes, %u flushing seeks "
      "(%u accepted), %d buffers in, %.1f s, RSS %+" G_GINT64_FORMAT " KiB, "
      "%u stop-time errors\n",
      GST_OBJECT_NAME (factory), changes, seeks, seeks_done, rig.in_count,
      (g_get_monotonic_time () - t0) / 1e6,
      ((gint64) rss_end - (gint64) rss_start) / 1024, rig.stop_time_errors);
  fail_unless (rig.in_count > 0, "%s: no data reached the element",
      GST_OBJECT_NAME (factory));
  /* the watchdog no longer looks at the pipeline being freed */
  g_mutex_lock (&step.lock);
  step.pipeline = NULL;
  g_mutex_unlock (&step.lock);
  step_begin ("clean-up", cycles);
  rig_clear (&rig);
  step_end ();
  fail_unless_equals_int (ls_live_buffers () - live0, 0);
#if !defined (LS_SANITIZED)
  /* ASan's quarantine and valgrind hold freed memory */
  if (g_getenv ("LS_UNDER_VALGRIND") == NULL)
    fail_unless (rss_end < rss_start + RSS_GROWTH_LIMIT,
        "%s: RSS grew by %" G_GUINT64_FORMAT " KiB over the cycles",
        GST_OBJECT_NAME (factory), (rss_end - rss_start) / 1024);
#endif
  g_rand_free (rand);
}

GST_END_TEST;

GST_START_TEST (test_plugin_loads)
{
  GstPlugin *plugin = gst_registry_find_plugin (gst_registry_get (),
      "livestream");
  GList *l;

  fail_unless (plugin != NULL, "the livestream plug-in is not in the registry");
  gst_object_unref (plugin);
  for (l = factories; l; l = l->next)
    g_print ("statechange: covering %s\n", GST_OBJECT_NAME (l->data));
}

GST_END_TEST;

static Suite *
statechange_suite (void)
{
  Suite *s = suite_create ("statechange");
  TCase *tc = tcase_create ("general");

  /* the test streams are made inside each (forked) test: a pipeline run
   * before fork() leaves GStreamer's thread pools pointing at threads the
   * child does not have */
  factories = ls_plugin_factories ();
  /* LS_STRESS_ONLY=prioqueue,...: only these elements of the plug-in (the
   * reliability suite repeats one element's run many times) */
  if (g_getenv ("LS_STRESS_ONLY")) {
    gchar **names = g_strsplit (g_getenv ("LS_STRESS_ONLY"), ",", -1);
    GList *l = factories;

    while (l) {
      GList *next = l->next;

      if (!g_strv_contains ((const gchar * const *) names,
              GST_OBJECT_NAME (l->data))) {
        gst_object_unref (l->data);
        factories = g_list_delete_link (factories, l);
      }
      l = next;
    }
    g_strfreev (names);
  }
  /* LS_STRESS_CONTROL=identity,queue,...: run the same rig on elements of
   * GStreamer itself, to tell a rig problem from an element problem */
  if (g_getenv ("LS_STRESS_CONTROL")) {
    gchar **names = g_strsplit (g_getenv ("LS_STRESS_CONTROL"), ",", -1);
    gchar **n;

    for (n = names; *n; n++) {
      GstElementFactory *f = gst_element_factory_find (*n);

      if (f)
        factories = g_list_append (factories, f);
    }
    g_strfreev (names);
  }
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_plugin_loads);
  tcase_add_loop_test (tc, test_state_cycles, 0, g_list_length (factories));
  return s;
}

GST_CHECK_MAIN (statechange);
