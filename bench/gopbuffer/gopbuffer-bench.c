/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* gopbuffer benchmark.
 *
 * join: one live H.264 stream (x264enc, 30 fps, keyframe every 60 frames =
 * 2 s GOP) feeds a tee and two gopbuffers (catch-up and latest-keyframe).
 * At random moments a queue ! avdec_h264 ! fakesink branch is linked to each
 * of the three at once; the time from linking to the branch's first clean
 * decoded frame (at or after the first keyframe its decoder got) is
 * measured. Median, 90th percentile and max over all joins.
 *
 * cpu: CPU time per buffer (getrusage, all threads) of pushing synthetic
 * H.264 access units as fast as possible through gopbuffer vs tee, with a
 * passthrough only and with two extra branches (tee: queue per branch;
 * gopbuffer: request pads, which have their own queue and thread).
 *
 *   gopbuffer-bench [joins] [cpu-buffers]
 */

#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define GOP_FRAMES 60
#define FPS 30

typedef struct
{
  const gchar *name;
  GstElement *joiner;           /* tee or gopbuffer */
  const gchar *templ;
  GArray *latencies;            /* gdouble ms */
  /* current branch */
  GstElement *bin;
  GstPad *reqpad;
  GMutex lock;
  gint64 link_us;
  gint64 first_us;              /* first clean frame */
  GstClockTime key_pts;         /* first keyframe the decoder got */
  gint64 key_us;                /* when */
  GArray *input_latencies;      /* gdouble ms: link -> keyframe at decoder */
  guint garbage;                /* frames shown before it */
  GArray *garbage_counts;       /* gdouble */
} Target;

/* A frame is clean when the decoder got a keyframe before it and it is
 * shown at or after that keyframe. avdec_h264 also outputs frames decoded
 * from delta units with missing references (concealment): counted as
 * garbage, not as the first frame. */
static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, Target * t)
{
  g_mutex_lock (&t->lock);
  if (t->first_us == 0) {
    if (GST_CLOCK_TIME_IS_VALID (t->key_pts)
        && GST_BUFFER_PTS (buf) >= t->key_pts)
      t->first_us = g_get_monotonic_time ();
    else
      t->garbage++;
  }
  g_mutex_unlock (&t->lock);
}

static GstPadProbeReturn
on_decoder_input (GstPad * pad, GstPadProbeInfo * info, Target * t)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&t->lock);
  if (!GST_CLOCK_TIME_IS_VALID (t->key_pts)
      && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT)) {
    t->key_pts = GST_BUFFER_PTS (buf);
    t->key_us = g_get_monotonic_time ();
  }
  g_mutex_unlock (&t->lock);
  return GST_PAD_PROBE_OK;
}

static void
link_branch (GstElement * pipeline, Target * t)
{
  GstElement *sink;
  GstPad *sinkpad;

  t->bin = gst_parse_bin_from_description ("queue ! avdec_h264 name=d ! "
      "fakesink name=s sync=false async=false signal-handoffs=true", TRUE,
      NULL);
  sink = gst_bin_get_by_name (GST_BIN (t->bin), "s");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), t);
  gst_object_unref (sink);
  sink = gst_bin_get_by_name (GST_BIN (t->bin), "d");
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) on_decoder_input, t, NULL);
  gst_object_unref (sinkpad);
  gst_object_unref (sink);
  gst_bin_add (GST_BIN (pipeline), t->bin);
  gst_element_sync_state_with_parent (t->bin);
  t->reqpad = gst_element_request_pad_simple (t->joiner, t->templ);
  sinkpad = gst_element_get_static_pad (t->bin, "sink");
  g_mutex_lock (&t->lock);
  t->first_us = 0;
  t->garbage = 0;
  t->key_pts = GST_CLOCK_TIME_NONE;
  t->link_us = g_get_monotonic_time ();
  g_mutex_unlock (&t->lock);
  gst_pad_link (t->reqpad, sinkpad);
  gst_object_unref (sinkpad);
}

static void
unlink_branch (GstElement * pipeline, Target * t)
{
  GstPad *sinkpad = gst_element_get_static_pad (t->bin, "sink");

  gst_pad_unlink (t->reqpad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_release_request_pad (t->joiner, t->reqpad);
  gst_object_unref (t->reqpad);
  t->reqpad = NULL;
  gst_element_set_state (t->bin, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (pipeline), t->bin);
  t->bin = NULL;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static gdouble
percentile (GArray * a, gdouble p)
{
  guint i;

  if (a->len == 0)
    return -1;
  g_array_sort (a, cmp_double);
  i = (guint) (p * (a->len - 1) + 0.5);
  return g_array_index (a, gdouble, i);
}

static void
bench_join (guint joins)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,format=I420,width=320,height=180,"
      "framerate=30/1 ! x264enc key-int-max=60 tune=zerolatency "
      "speed-preset=ultrafast bitrate=600 ! h264parse ! tee name=t "
      "t. ! queue ! fakesink sync=false "
      "t. ! queue ! gopbuffer name=g1 join-mode=catch-up ! fakesink sync=false "
      "t. ! queue ! gopbuffer name=g2 join-mode=latest-keyframe ! "
      "fakesink sync=false", NULL);
  Target targets[3] = {
    {"tee", NULL, "src_%u"},
    {"gopbuffer catch-up", NULL, "src_%u"},
    {"gopbuffer latest-keyframe", NULL, "src_%u"},
  };
  GRand *rand = g_rand_new_with_seed (4);
  guint i, k;

  targets[0].joiner = gst_bin_get_by_name (GST_BIN (pipeline), "t");
  targets[1].joiner = gst_bin_get_by_name (GST_BIN (pipeline), "g1");
  targets[2].joiner = gst_bin_get_by_name (GST_BIN (pipeline), "g2");
  for (k = 0; k < 3; k++) {
    g_mutex_init (&targets[k].lock);
    targets[k].latencies = g_array_new (FALSE, FALSE, sizeof (gdouble));
    targets[k].garbage_counts = g_array_new (FALSE, FALSE, sizeof (gdouble));
    targets[k].input_latencies = g_array_new (FALSE, FALSE, sizeof (gdouble));
  }

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* let the first GOP complete */
  g_usleep (2500 * 1000);

  for (i = 0; i < joins; i++) {
    gint64 deadline;
    gboolean all;

    /* a random moment within a GOP */
    g_usleep ((gulong) g_rand_double_range (rand, 0,
            GOP_FRAMES * G_USEC_PER_SEC / FPS));
    for (k = 0; k < 3; k++)
      link_branch (pipeline, &targets[k]);
    deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
    do {
      g_usleep (2000);
      all = TRUE;
      for (k = 0; k < 3; k++) {
        g_mutex_lock (&targets[k].lock);
        all = all && targets[k].first_us != 0;
        g_mutex_unlock (&targets[k].lock);
      }
    } while (!all && g_get_monotonic_time () < deadline);
    g_print ("join %2u:", i + 1);
    for (k = 0; k < 3; k++) {
      gdouble ms = targets[k].first_us ?
          (targets[k].first_us - targets[k].link_us) / 1000.0 : -1;
      gdouble garbage = targets[k].garbage;
      gdouble in_ms = (targets[k].key_us - targets[k].link_us) / 1000.0;

      if (ms >= 0)
        g_array_append_val (targets[k].latencies, ms);
      g_array_append_val (targets[k].garbage_counts, garbage);
      if (GST_CLOCK_TIME_IS_VALID (targets[k].key_pts))
        g_array_append_val (targets[k].input_latencies, in_ms);
      g_print ("  %s %8.2f ms (%u garbage)", targets[k].name, ms,
          targets[k].garbage);
      unlink_branch (pipeline, &targets[k]);
    }
    g_print ("\n");
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  g_print ("\nTime from linking a branch to its first clean decoded frame "
      "(%u joins at random moments, 2 s GOP, 30 fps):\n", joins);
  g_print ("| joiner | median ms | p90 ms | max ms | median garbage frames "
      "before | median ms to keyframe at decoder input |\n"
      "|---|---|---|---|---|---|\n");
  for (k = 0; k < 3; k++) {
    g_print ("| %s | %.2f | %.2f | %.2f | %.0f | %.2f |\n", targets[k].name,
        percentile (targets[k].latencies, 0.5),
        percentile (targets[k].latencies, 0.9),
        percentile (targets[k].latencies, 1.0),
        percentile (targets[k].garbage_counts, 0.5),
        percentile (targets[k].input_latencies, 0.5));
  }
  g_print ("tee median / gopbuffer catch-up median: %.0fx\n",
      percentile (targets[0].latencies, 0.5) /
      MAX (0.001, percentile (targets[1].latencies, 0.5)));

  for (k = 0; k < 3; k++) {
    gst_object_unref (targets[k].joiner);
    g_array_free (targets[k].latencies, TRUE);
    g_array_free (targets[k].garbage_counts, TRUE);
    g_array_free (targets[k].input_latencies, TRUE);
    g_mutex_clear (&targets[k].lock);
  }
  g_rand_free (rand);
  gst_object_unref (pipeline);
}

/* ---- CPU per buffer ---- */

static gdouble
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* An access unit: AUD then an IDR slice (keyframe) or a non-IDR slice.
 * Each buffer has its own memory, as with a real encoder. */
static GstBuffer *
make_au (gboolean key, gsize size)
{
  static const guint8 aud[] = { 0, 0, 0, 1, 0x09, 0xf0 };
  guint8 slice[] = { 0, 0, 0, 1, 0x41, 0x88 };
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);

  if (key)
    slice[4] = 0x65;
  gst_buffer_memset (buf, sizeof (aud) + sizeof (slice), 0xaa,
      size - sizeof (aud) - sizeof (slice));
  gst_buffer_fill (buf, 0, aud, sizeof (aud));
  gst_buffer_fill (buf, sizeof (aud), slice, sizeof (slice));
  return buf;
}

static gdouble
bench_cpu_one (const gchar * desc, const gchar * join_name, guint branches,
    guint n, guint64 * dropped)
{
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *j = gst_bin_get_by_name (GST_BIN (pipeline), "j");
  GstPad *src = gst_pad_new ("benchsrc", GST_PAD_SRC);
  GstPad *sink = gst_element_get_static_pad (j, "sink");
  GstSegment seg;
  GstCaps *caps;
  gdouble t0, t1;
  guint i, b;

  for (b = 0; b < branches; b++) {
    GstElement *q = gst_element_factory_make (g_str_equal (join_name, "tee") ?
        "queue" : "identity", NULL);
    GstElement *fs = gst_element_factory_make ("fakesink", NULL);
    GstPad *rp = gst_element_request_pad_simple (j, "src_%u");
    GstPad *qs = gst_element_get_static_pad (q, "sink");

    g_object_set (fs, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add_many (GST_BIN (pipeline), q, fs, NULL);
    gst_element_link (q, fs);
    gst_pad_link (rp, qs);
    gst_object_unref (qs);
    gst_object_unref (rp);
  }

  gst_pad_link (src, sink);
  gst_pad_set_active (src, TRUE);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_pad_push_event (src, gst_event_new_stream_start ("bench"));
  caps = gst_caps_from_string ("video/x-h264, stream-format=byte-stream, "
      "alignment=au, width=320, height=180, framerate=30/1");
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&seg));

  t0 = cpu_seconds ();
  for (i = 0; i < n; i++) {
    gboolean k = i % GOP_FRAMES == 0;
    GstBuffer *buf = make_au (k, k ? 2000 : 600);

    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) =
        gst_util_uint64_scale (i, GST_SECOND, FPS);
    GST_BUFFER_DURATION (buf) = GST_SECOND / FPS;
    if (!k)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
    gst_pad_push (src, buf);
  }
  gst_pad_push_event (src, gst_event_new_eos ());
  /* wait for the branches to drain */
  {
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (m)
      gst_message_unref (m);
    gst_object_unref (bus);
  }
  t1 = cpu_seconds ();

  *dropped = 0;
  if (!g_str_equal (join_name, "tee")) {
    GstStructure *s = NULL;
    g_object_get (j, "stats", &s, NULL);
    gst_structure_get_uint64 (s, "dropped-gops", dropped);
    gst_structure_free (s);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_pad_set_active (src, FALSE);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (j);
  gst_object_unref (pipeline);
  return (t1 - t0) * 1e9 / n;
}

static void
bench_cpu (guint n)
{
  const gchar *tee = "tee name=j ! fakesink sync=false async=false";
  const gchar *gop = "gopbuffer name=j max-lag=0 max-size-bytes=4000000000 "
      "! fakesink sync=false async=false";
  guint branches[] = { 0, 2 };
  guint r, i;

  g_print ("\nCPU per buffer (%u synthetic H.264 AUs, all threads, best of "
      "3):\n", n);
  g_print ("| branches | tee ns/buffer | gopbuffer ns/buffer | ratio |\n"
      "|---|---|---|---|\n");
  for (i = 0; i < G_N_ELEMENTS (branches); i++) {
    gdouble best_tee = 1e12, best_gop = 1e12;
    guint64 dropped = 0, d;

    for (r = 0; r < 3; r++) {
      best_tee = MIN (best_tee, bench_cpu_one (tee, "tee", branches[i], n, &d));
      best_gop = MIN (best_gop, bench_cpu_one (gop, "gopbuffer", branches[i],
              n, &d));
      dropped += d;
    }
    g_print ("| src + %u | %.0f | %.0f | %.2f |%s\n", branches[i], best_tee,
        best_gop, best_gop / best_tee,
        dropped ? " (gopbuffer dropped GOPs!)" : "");
  }
}

int
main (int argc, char **argv)
{
  guint joins = argc > 1 ? atoi (argv[1]) : 20;
  guint cpu_n = argc > 2 ? atoi (argv[2]) : 200000;

  gst_init (&argc, &argv);
  if (!gst_element_factory_find ("gopbuffer")) {
    g_printerr ("gopbuffer not found: set GST_PLUGIN_PATH to build/gst\n");
    return 1;
  }
  if (cpu_n > 0)
    bench_cpu (cpu_n);
  if (joins > 0)
    bench_join (joins);
  return 0;
}
