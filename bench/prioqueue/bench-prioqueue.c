/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* prioqueue benchmarks, each against `queue` in the same run:
 *
 *  cpu         process CPU time per buffer of queue and prioqueue on the
 *              same pre-encoded H.264 stream (x264 bframes=2), in three
 *              scenarios: lockstep (every buffer handed over on its own, the
 *              live case), batch (no limits; downstream is held until all
 *              buffers are queued, then drains them: the element's own
 *              work, without thread wake-ups) and blocking (full queue,
 *              upstream waits; prioqueue mode=block).
 *  congestion  the same 20 s live H.264 stream and the same consumer
 *              slow-down trace through `queue leaky=downstream` and through
 *              prioqueue, both max-size-time=300 ms: frames dropped,
 *              keyframes lost, frames given to the decoder whose reference
 *              was missing (by frame_num), libav errors, latency.
 *
 *  instructions  one cpu run under callgrind (see bench/prioqueue.sh):
 *              instructions per buffer, all threads; unlike CPU time this
 *              does not depend on what else the machine is doing.
 *
 *   bench-prioqueue cpu [buffers] [rounds]
 *   bench-prioqueue congestion [seconds]
 *   bench-prioqueue instructions queue|prioqueue lockstep|batch|blocking [n]
 */

#include <gst/gst.h>
#include <gst/app/app.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "../../tests/check/h264refcheck.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#define FPS 30

/* ------------------------------------------------------------------ */
/* the stream */

typedef struct
{
  GPtrArray *buffers;           /* GstBuffer, decode order */
  GstCaps *caps;
} Stream;

static void
encode_stream (Stream * s, guint frames, gint width, gint height)
{
  gchar *desc;
  GstElement *p, *sink;
  GstSample *sample;
  GError *err = NULL;

  desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=ball "
      "! video/x-raw,width=%d,height=%d,framerate=%d/1 "
      "! x264enc speed-preset=ultrafast bframes=2 key-int-max=30 "
      "! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au "
      "! appsink name=s sync=false", frames, width, height, FPS);
  p = gst_parse_launch (desc, &err);
  g_free (desc);
  if (p == NULL) {
    g_printerr ("cannot encode: %s\n", err->message);
    exit (1);
  }
  sink = gst_bin_get_by_name (GST_BIN (p), "s");
  s->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  gst_element_set_state (p, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (s->caps == NULL)
      s->caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (s->buffers, gst_buffer_ref (gst_sample_get_buffer
            (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
}

static guint64
context_switches (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

static guint64
cpu_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (guint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static GstElement *
make_element (const gchar * factory, const gchar * props)
{
  GstElement *e = gst_element_factory_make (factory, NULL);
  gchar **kv, **p;

  if (e == NULL) {
    g_printerr ("no element %s (GST_PLUGIN_PATH?)\n", factory);
    exit (1);
  }
  kv = g_strsplit (props ? props : "", " ", -1);
  for (p = kv; *p; p++) {
    gchar **pair = g_strsplit (*p, "=", 2);
    if (pair[0] && pair[1])
      gst_util_set_object_arg (G_OBJECT (e), pair[0], pair[1]);
    g_strfreev (pair);
  }
  g_strfreev (kv);
  return e;
}

/* ------------------------------------------------------------------ */
/* cpu */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint64 received;
  guint64 wait_for;             /* the waiter wants this many */
  gboolean quiet;               /* signal only then (BENCH_QUIET_SINK=1),
                                 * else after every buffer */
  gboolean hold;                /* batch: wait until released */
} Counter;

static GstFlowReturn
counter_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Counter *c = gst_pad_get_element_private (pad);

  gst_buffer_unref (buf);
  g_mutex_lock (&c->lock);
  while (c->hold)
    g_cond_wait (&c->cond, &c->lock);
  c->received++;
  if (!c->quiet || c->received == c->wait_for)
    g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);
  return GST_FLOW_OK;
}

static gboolean
counter_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

typedef enum
{
  MODE_LOCKSTEP,
  MODE_BATCH,
  MODE_BLOCKING,
} CpuMode;

/* CPU ns per buffer, all threads */
static gdouble
run_cpu (const gchar * factory, const gchar * props, Stream * s, guint n,
    CpuMode mode, guint64 * dropped, gdouble * switches)
{
  GstElement *e = make_element (factory, props);
  GstPad *src = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new ("sink", GST_PAD_SINK);
  GstPad *esink = gst_element_get_static_pad (e, "sink");
  GstPad *esrc = gst_element_get_static_pad (e, "src");
  Counter c;
  GstSegment seg;
  guint64 t0, t1, cs0;
  guint i;

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  c.received = 0;
  c.wait_for = 0;
  /* A GCond signal is a futex syscall even with nobody waiting: by default
   * the sink pays it per buffer, as it always did (the figures in
   * docs/performance.md are comparable over time). BENCH_QUIET_SINK=1 (and
   * the callgrind runs) signal only the buffer the bench thread waits for:
   * the ratio then shows the elements' own cost more sharply, and the
   * bench thread's wake-ups no longer vary with the scheduling. */
  c.quiet = g_getenv ("BENCH_QUIET_SINK") != NULL;
  c.hold = mode == MODE_BATCH;
  gst_pad_set_element_private (sink, &c);
  gst_pad_set_chain_function (sink, counter_chain);
  gst_pad_set_event_function (sink, counter_event);
  gst_pad_link (src, esink);
  gst_pad_link (esrc, sink);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink, TRUE);
  gst_element_set_state (e, GST_STATE_PLAYING);

  gst_pad_push_event (src, gst_event_new_stream_start ("bench"));
  gst_pad_push_event (src, gst_event_new_caps (s->caps));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&seg));

  cs0 = context_switches ();
  CALLGRIND_START_INSTRUMENTATION;
  t0 = cpu_ns ();
  for (i = 0; i < n; i++) {
    GstBuffer *orig = g_ptr_array_index (s->buffers, i % s->buffers->len);
    GstBuffer *b = gst_buffer_copy (orig);
    GstClockTime ts = (GstClockTime) i * GST_SECOND / FPS;

    /* a continuous stream: keyframes where the source has them */
    GST_BUFFER_DTS (b) = ts;
    GST_BUFFER_PTS (b) = ts + 2 * GST_SECOND / FPS;
    GST_BUFFER_DURATION (b) = GST_SECOND / FPS;
    gst_pad_push (src, b);
    if (mode == MODE_LOCKSTEP) {
      g_mutex_lock (&c.lock);
      c.wait_for = i + 1;
      while (c.received < i + 1)
        g_cond_wait (&c.cond, &c.lock);
      g_mutex_unlock (&c.lock);
    }
  }
  g_mutex_lock (&c.lock);
  c.hold = FALSE;
  c.wait_for = n;
  g_cond_broadcast (&c.cond);
  while (c.received < n) {
    gint64 end = g_get_monotonic_time () + G_TIME_SPAN_SECOND;
    if (!g_cond_wait_until (&c.cond, &c.lock, end))
      break;
  }
  g_mutex_unlock (&c.lock);
  t1 = cpu_ns ();
  CALLGRIND_STOP_INSTRUMENTATION;
  *switches = (gdouble) (context_switches () - cs0) / n;

  *dropped = n - c.received;
  gst_element_set_state (e, GST_STATE_NULL);
  gst_pad_set_active (src, FALSE);
  gst_pad_set_active (sink, FALSE);
  gst_object_unref (esink);
  gst_object_unref (esrc);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (e);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
  return (gdouble) (t1 - t0) / n;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, guint n)
{
  qsort (v, n, sizeof (gdouble), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
bench_cpu (guint n, guint rounds)
{
  Stream s = { NULL, NULL };
  struct
  {
    const gchar *name;
    CpuMode mode;
    const gchar *queue_props;
    const gchar *prio_props;
    guint n;
  } scen[] = {
    {"lockstep", MODE_LOCKSTEP, "", "", n / 4},
    {"batch", MODE_BATCH,
          "max-size-buffers=0 max-size-bytes=0 max-size-time=0",
        "max-size-buffers=0 max-size-bytes=0 max-size-time=0", n},
    {"blocking", MODE_BLOCKING, "", "mode=block", n},
  };
  guint i, r;

  encode_stream (&s, 300, 320, 240);
  printf ("cpu: %u-frame x264 stream (bframes=2, key-int-max=30), %u "
      "buffers per run (lockstep %u), median of %u rounds\n\n",
      s.buffers->len, n, n / 4, rounds);
  printf ("| scenario | queue µs/buffer | prioqueue µs/buffer | ratio | "
      "spread of ratios | target | context switches per buffer (queue / "
      "prioqueue) |\n|---|---|---|---|---|---|---|\n");

  for (i = 0; i < G_N_ELEMENTS (scen); i++) {
    const gchar *only = g_getenv ("BENCH_SCENARIO");
    gdouble q[64], p[64], ratio[64], rmin = 1e9, rmax = 0;
    gdouble sq[64], sp[64];
    guint64 dq, dp;

    if (only && *only && !g_str_equal (only, scen[i].name))
      continue;
    rounds = MIN (rounds, 64);
    for (r = 0; r < rounds; r++) {
      /* alternate the order: no element always runs on a warm cache */
      if (r % 2 == 0) {
        q[r] = run_cpu ("queue", scen[i].queue_props, &s, scen[i].n,
            scen[i].mode, &dq, &sq[r]);
        p[r] = run_cpu ("prioqueue", scen[i].prio_props, &s, scen[i].n,
            scen[i].mode, &dp, &sp[r]);
      } else {
        p[r] = run_cpu ("prioqueue", scen[i].prio_props, &s, scen[i].n,
            scen[i].mode, &dp, &sp[r]);
        q[r] = run_cpu ("queue", scen[i].queue_props, &s, scen[i].n,
            scen[i].mode, &dq, &sq[r]);
      }
      if (dq || dp) {
        g_printerr ("%s: buffers lost (queue %" G_GUINT64_FORMAT
            ", prioqueue %" G_GUINT64_FORMAT "): not comparable\n",
            scen[i].name, dq, dp);
        return 1;
      }
      ratio[r] = p[r] / q[r];
      rmin = MIN (rmin, ratio[r]);
      rmax = MAX (rmax, ratio[r]);
    }
    {
      gdouble mq = median (q, rounds), mp = median (p, rounds);
      gdouble mr = median (ratio, rounds);
      printf ("| %s | %.3f | %.3f | %.3f | %.3f–%.3f | ≤ 1.1 %s | %.2f / "
          "%.2f |\n", scen[i].name, mq / 1000, mp / 1000, mr, rmin, rmax,
          mr <= 1.1 ? "met" : "missed", median (sq, rounds),
          median (sp, rounds));
    }
  }
  g_ptr_array_free (s.buffers, TRUE);
  gst_caps_unref (s.caps);
  return 0;
}

/* ------------------------------------------------------------------ */
/* congestion */

/* the consumer's time per frame, by seconds since the start */
static guint64
trace_delay_us (gdouble t, gboolean * stall_done)
{
  if (t < 4.0)
    return 10000;               /* keeps up */
  if (t < 9.0)
    return 45000;               /* 22 fps of 30: a quarter must go */
  if (t < 12.0)
    return 80000;               /* 12.5 fps: more than half must go */
  if (t < 13.0) {
    if (!*stall_done) {
      *stall_done = TRUE;
      return 800000;            /* a stall: an upload hiccup */
    }
    return 15000;
  }
  return 15000;                 /* recovered */
}

typedef struct
{
  GMutex lock;
  gint64 start;                 /* µs */
  gboolean stall_done;
  GHashTable *entered;          /* pts -> µs */
  GArray *latency;              /* gint64 µs */
  guint in, out, key_in, key_out;
  H264RefCheck check;
  guint decoded;
  guint libav_errors;
} Congestion;

static Congestion *log_target;

static void
libav_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (level <= GST_LEVEL_WARNING && log_target &&
      g_str_equal (gst_debug_category_get_name (category), "libav"))
    g_atomic_int_inc (&log_target->libav_errors);
}

static GstPadProbeReturn
in_probe (GstPad * pad, GstPadProbeInfo * info, Congestion * c)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&c->lock);
  c->in++;
  if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT))
    c->key_in++;
  g_hash_table_insert (c->entered,
      GSIZE_TO_POINTER ((gsize) GST_BUFFER_PTS (b)),
      GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

/* in the queue's streaming thread: the congested consumer */
static GstPadProbeReturn
out_probe (GstPad * pad, GstPadProbeInfo * info, Congestion * c)
{
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer entered;
  gint64 now = g_get_monotonic_time ();
  guint64 delay;

  g_mutex_lock (&c->lock);
  c->out++;
  if (!GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_DELTA_UNIT))
    c->key_out++;
  if (g_hash_table_lookup_extended (c->entered,
          GSIZE_TO_POINTER ((gsize) GST_BUFFER_PTS (b)), NULL, &entered)) {
    gint64 l = now - (gint64) GPOINTER_TO_SIZE (entered);
    g_array_append_val (c->latency, l);
  }
  delay = trace_delay_us ((now - c->start) / 1e6, &c->stall_done);
  g_mutex_unlock (&c->lock);

  h264_ref_check_push (&c->check, b, 0);
  g_usleep (delay);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
decoded_probe (GstPad * pad, GstPadProbeInfo * info, Congestion * c)
{
  g_atomic_int_inc (&c->decoded);
  return GST_PAD_PROBE_OK;
}

static int
cmp_i64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
run_congestion (const gchar * label, const gchar * element, Stream * s,
    guint frames)
{
  Congestion c;
  gchar *desc;
  GstElement *p, *src, *q, *dec;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GstClockTime base;
  guint i;
  gint64 p99 = 0, pmax = 0;

  memset (&c, 0, sizeof (c));
  g_mutex_init (&c.lock);
  c.entered = g_hash_table_new (NULL, NULL);
  c.latency = g_array_new (FALSE, FALSE, sizeof (gint64));
  h264_ref_check_init (&c.check);
  log_target = &c;

  desc = g_strdup_printf ("appsrc name=src is-live=true format=time "
      "max-bytes=0 block=false ! %s name=q ! avdec_h264 name=dec "
      "! fakesink sync=false async=false", element);
  p = gst_parse_launch (desc, NULL);
  g_free (desc);
  src = gst_bin_get_by_name (GST_BIN (p), "src");
  q = gst_bin_get_by_name (GST_BIN (p), "q");
  dec = gst_bin_get_by_name (GST_BIN (p), "dec");
  gst_app_src_set_caps (GST_APP_SRC (src), s->caps);

  pad = gst_element_get_static_pad (q, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) in_probe, &c, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (q, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) out_probe, &c, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) decoded_probe, &c, NULL);
  gst_object_unref (pad);

  gst_element_set_state (p, GST_STATE_PLAYING);
  base = GST_BUFFER_DTS (g_ptr_array_index (s->buffers, 0));
  c.start = g_get_monotonic_time ();

  /* live: each frame at its time */
  for (i = 0; i < frames; i++) {
    GstBuffer *b = gst_buffer_copy (g_ptr_array_index (s->buffers,
            i % s->buffers->len));
    GstClockTime loop = (GstClockTime) (i / s->buffers->len) *
        s->buffers->len * GST_SECOND / FPS;
    gint64 due;

    GST_BUFFER_DTS (b) = GST_BUFFER_DTS (b) - base + loop;
    GST_BUFFER_PTS (b) = GST_BUFFER_PTS (b) - base + loop;
    due = c.start + (gint64) (GST_BUFFER_DTS (b) / 1000);
    while (g_get_monotonic_time () < due)
      g_usleep (MIN (due - g_get_monotonic_time (), 5000));
    gst_app_src_push_buffer (GST_APP_SRC (src), b);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (p);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    g_printerr ("%s: %s\n", label, msg ? "error" : "no EOS");
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);

  if (c.latency->len) {
    g_array_sort (c.latency, cmp_i64);
    p99 = g_array_index (c.latency, gint64, (c.latency->len * 99) / 100);
    pmax = g_array_index (c.latency, gint64, c.latency->len - 1);
  }
  printf ("| %s | %u | %u | %u | %u | %u | %u | %u | %.0f | %.0f |\n",
      label, c.in, c.in - c.out, c.key_in - c.key_out, c.check.undecodable,
      c.out - c.check.undecodable, c.libav_errors, c.decoded, p99 / 1000.0,
      pmax / 1000.0);

  log_target = NULL;
  h264_ref_check_clear (&c.check);
  g_hash_table_unref (c.entered);
  g_array_free (c.latency, TRUE);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (q);
  gst_object_unref (dec);
  gst_object_unref (p);
}

static int
bench_congestion (guint seconds)
{
  Stream s = { NULL, NULL };
  guint frames = seconds * FPS;

  gst_debug_set_threshold_for_name ("libav", GST_LEVEL_WARNING);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (libav_log, NULL, NULL);

  encode_stream (&s, MIN (frames, 600), 320, 240);
  printf ("congestion: %u frames (%u s live, 30 fps, x264 bframes=2 "
      "key-int-max=30); consumer 10 ms/frame for 4 s, 45 ms for 5 s, "
      "80 ms for 3 s, one 800 ms stall, then 15 ms\n\n", frames, seconds);
  printf ("| element | frames in | dropped | keyframes lost | undecodable "
      "given to the decoder | decodable frames out | libav errors | "
      "decoded | latency p99 ms | latency max ms |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n");
  run_congestion ("queue leaky=downstream",
      "queue leaky=downstream max-size-time=300000000 max-size-buffers=0 "
      "max-size-bytes=0", &s, frames);
  run_congestion ("prioqueue",
      "prioqueue max-size-time=300000000 max-size-buffers=0 "
      "max-size-bytes=0", &s, frames);
  g_ptr_array_free (s.buffers, TRUE);
  gst_caps_unref (s.caps);
  return 0;
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);

  if (argc >= 2 && g_str_equal (argv[1], "cpu"))
    return bench_cpu (argc >= 3 ? atoi (argv[2]) : 100000,
        argc >= 4 ? atoi (argv[3]) : 5);
  if (argc >= 2 && g_str_equal (argv[1], "congestion"))
    return bench_congestion (argc >= 3 ? atoi (argv[2]) : 20);
  if (argc >= 4 && g_str_equal (argv[1], "instructions")) {
    Stream s = { NULL, NULL };
    guint n = argc >= 5 ? atoi (argv[4]) : 5000;
    gboolean prio = g_str_equal (argv[2], "prioqueue");
    CpuMode mode = g_str_equal (argv[3], "lockstep") ? MODE_LOCKSTEP :
        g_str_equal (argv[3], "batch") ? MODE_BATCH : MODE_BLOCKING;
    const gchar *props = "";
    guint64 dropped;
    gdouble sw;

    if (mode == MODE_BATCH)
      props = "max-size-buffers=0 max-size-bytes=0 max-size-time=0";
    else if (mode == MODE_BLOCKING && prio)
      props = "mode=block";
    encode_stream (&s, 300, 320, 240);
    run_cpu (prio ? "prioqueue" : "queue", props, &s, n, mode, &dropped, &sw);
    printf ("%u buffers, %" G_GUINT64_FORMAT " lost\n", n, dropped);
    return dropped ? 1 : 0;
  }

  g_printerr ("usage: %s cpu [buffers] [rounds]\n"
      "       %s congestion [seconds]\n"
      "       %s instructions queue|prioqueue lockstep|batch|blocking [n]\n",
      argv[0], argv[0], argv[0]);
  return 2;
}
