/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* CPU per RTP packet of chunkreorder, identity (baseline) and
 * rtpjitterbuffer on the same input, in one run.
 *
 * The input is a simulated 500 packets/s RTP stream (H.264-like: 30 frames
 * per second, payload 1000 bytes). "in order" is the stream as sent;
 * "impaired" loses 1 % of the packets and delays 5 % by 2-40 ms (uniform),
 * so that they arrive after later packets. Each packet carries its arrival
 * time as PTS and DTS (as udpsrc do-timestamp would set).
 *
 * Simulated time (default): every element runs on a GstTestClock that the
 * driver moves to each packet's arrival time, releasing the clock waits
 * that are due, so timeouts fire as they would in real time while the
 * packets are pushed as fast as the elements take them. Threads that hand
 * packets over (rtpjitterbuffer's output thread) then work in batches.
 *
 * Paced (--paced): the system clock, and each packet pushed at its arrival
 * time, as a network would deliver it: every hand-over to another thread
 * costs a wake-up. Slower (the stream's duration per run), closer to life.
 *
 * CPU time is the process CPU time (all threads: the elements' timer and
 * output threads included) from the first push until EOS has come out,
 * divided by the packets pushed. The driver's own work (clock, sleeping,
 * touching each packet header as if a socket had just written it) is the
 * same for all three, so "added" (element minus identity) is what the
 * element costs.
 *
 * Usage: bench-chunkreorder [--paced] [packets] [repetitions]
 */

#include <gst/gst.h>
#include <gst/check/gsttestclock.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <malloc.h>

#define RATE 500                /* packets per second */
#define PAYLOAD 1000
#define RTP_CAPS "application/x-rtp,media=video,clock-rate=90000," \
    "encoding-name=H264,payload=96"

typedef struct
{
  GstBuffer *buf;
  const volatile guint8 *data;
} Packet;

typedef struct
{
  guint64 *seq;                 /* sequence index in arrival order */
  GstClockTime *arrival;
  guint n;
} Schedule;

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean eos;
  guint received;
  guint lost_events;
} Sink;

static void
make_schedule (Schedule * sch, guint total, gboolean impaired, guint seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint i, n = 0;

  sch->seq = g_new (guint64, total);
  sch->arrival = g_new (GstClockTime, total);
  for (i = 0; i < total; i++) {
    GstClockTime sent = (GstClockTime) i * GST_SECOND / RATE;

    if (impaired && g_rand_double (rand) < 0.01)
      continue;                 /* lost */
    if (impaired && g_rand_double (rand) < 0.05)
      sent += g_rand_int_range (rand, 2, 41) * GST_MSECOND;
    sch->seq[n] = i;
    sch->arrival[n] = sent;
    n++;
  }
  sch->n = n;

  /* arrival order (insertion sort: nearly sorted already) */
  for (i = 1; i < n; i++) {
    guint64 s = sch->seq[i];
    GstClockTime a = sch->arrival[i];
    guint j = i;

    while (j > 0 && sch->arrival[j - 1] > a) {
      sch->seq[j] = sch->seq[j - 1];
      sch->arrival[j] = sch->arrival[j - 1];
      j--;
    }
    sch->seq[j] = s;
    sch->arrival[j] = a;
  }
  g_rand_free (rand);
}

static Packet *
make_packets (const Schedule * sch)
{
  Packet *p = g_new (Packet, sch->n);
  guint i;

  for (i = 0; i < sch->n; i++) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    guint64 s = sch->seq[i];
    GstClockTime sent = s * GST_SECOND / RATE;
    guint64 frame = sent * 30 / GST_SECOND;
    GstBuffer *buf = gst_rtp_buffer_new_allocate (PAYLOAD, 0, 0);
    GstMapInfo map;

    gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_payload_type (&rtp, 96);
    gst_rtp_buffer_set_seq (&rtp, (guint16) (s + 60000));       /* wraps */
    gst_rtp_buffer_set_ssrc (&rtp, 0x11223344);
    gst_rtp_buffer_set_timestamp (&rtp, (guint32) (frame * 3000));
    gst_rtp_buffer_set_marker (&rtp,
        ((s + 1) * GST_SECOND / RATE) * 30 / GST_SECOND != frame);
    gst_rtp_buffer_unmap (&rtp);
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = sch->arrival[i];

    gst_buffer_map (buf, &map, GST_MAP_READ);
    p[i].data = map.data;
    gst_buffer_unmap (buf, &map);
    p[i].buf = buf;
  }
  return p;
}

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  Sink *sink = g_object_get_data (G_OBJECT (pad), "sink");

  sink->received++;             /* one streaming thread at a time */
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  Sink *sink = g_object_get_data (G_OBJECT (pad), "sink");

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    g_mutex_lock (&sink->lock);
    sink->eos = TRUE;
    g_cond_signal (&sink->cond);
    g_mutex_unlock (&sink->lock);
  } else if (gst_event_has_name (event, "GstRTPPacketLost")) {
    sink->lost_events++;
  }
  gst_event_unref (event);
  return TRUE;
}

static glong
ctx_switches (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_nvcsw + ru.ru_nivcsw;
}

static gdouble
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
release_due (GstTestClock * tc)
{
  GstClockID id;

  while ((id = gst_test_clock_process_next_clock_id (tc)))
    gst_clock_id_unref (id);
}

static gboolean paced = FALSE;

static void
sleep_until (GstClockTime mono)
{
  struct timespec ts;

  ts.tv_sec = mono / GST_SECOND;
  ts.tv_nsec = mono % GST_SECOND;
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0);
}

/* Returns CPU us per packet; fills *out with the packets that came out,
 * *lost with the lost events, *csw with the context switches */
static gdouble
run_one (const gchar * desc, const Schedule * sch, guint * out, guint * lost,
    glong * csw)
{
  GstElement *el;
  GstPad *src, *sink_pad, *esink, *esrc;
  GstClock *clock;
  GstSegment segment;
  Sink sink = { 0 };
  Packet *packets;
  GstCaps *caps;
  gdouble t0, t1;
  glong c0;
  guint i;
  volatile guint touch = 0;
  GError *err = NULL;
  GstClockTime t, base_time = 0;

  el = gst_parse_bin_from_description (desc, TRUE, &err);
  g_assert_no_error (err);
  g_mutex_init (&sink.lock);
  g_cond_init (&sink.cond);

  src = gst_pad_new ("src", GST_PAD_SRC);
  sink_pad = gst_pad_new ("sink", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (sink_pad), "sink", &sink);
  gst_pad_set_chain_function (sink_pad, sink_chain);
  gst_pad_set_event_function (sink_pad, sink_event);
  esink = gst_element_get_static_pad (el, "sink");
  esrc = gst_element_get_static_pad (el, "src");
  g_assert (gst_pad_link (src, esink) == GST_PAD_LINK_OK);
  g_assert (gst_pad_link (esrc, sink_pad) == GST_PAD_LINK_OK);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink_pad, TRUE);

  if (paced) {
    /* GstSystemClock is CLOCK_MONOTONIC by default */
    clock = gst_system_clock_obtain ();
    base_time = gst_clock_get_time (clock) + 20 * GST_MSECOND;
  } else {
    clock = gst_test_clock_new_with_start_time (0);
  }
  gst_element_set_clock (el, clock);
  gst_element_set_base_time (el, base_time);
  gst_element_set_start_time (el, GST_CLOCK_TIME_NONE);
  gst_element_set_state (el, GST_STATE_PLAYING);

  gst_pad_push_event (src, gst_event_new_stream_start ("bench"));
  caps = gst_caps_from_string (RTP_CAPS);
  gst_pad_push_event (src, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));

  packets = make_packets (sch);

  c0 = ctx_switches ();
  t0 = cpu_now ();
  t = 0;
  for (i = 0; i < sch->n; i++) {
    if (paced) {
      sleep_until (base_time + sch->arrival[i]);
    } else if (sch->arrival[i] > t) {
      t = sch->arrival[i];
      gst_test_clock_set_time (GST_TEST_CLOCK (clock), t);
      release_due (GST_TEST_CLOCK (clock));
    }
    /* as if the socket had just written the packet */
    touch += packets[i].data[2] + packets[i].data[11];
    gst_pad_push (src, packets[i].buf);
  }
  gst_pad_push_event (src, gst_event_new_eos ());
  /* let whatever still waits on the clock finish */
  g_mutex_lock (&sink.lock);
  while (!sink.eos) {
    if (paced) {
      g_cond_wait (&sink.cond, &sink.lock);
      continue;
    }
    g_mutex_unlock (&sink.lock);
    t += 10 * GST_MSECOND;
    gst_test_clock_set_time (GST_TEST_CLOCK (clock), t);
    release_due (GST_TEST_CLOCK (clock));
    g_usleep (100);
    g_mutex_lock (&sink.lock);
  }
  g_mutex_unlock (&sink.lock);
  t1 = cpu_now ();
  *csw = ctx_switches () - c0;

  gst_element_set_state (el, GST_STATE_NULL);
  gst_pad_set_active (src, FALSE);
  gst_pad_set_active (sink_pad, FALSE);
  gst_object_unref (esink);
  gst_object_unref (esrc);
  gst_object_unref (src);
  gst_object_unref (sink_pad);
  gst_object_unref (el);
  gst_object_unref (clock);
  g_free (packets);
  g_mutex_clear (&sink.lock);
  g_cond_clear (&sink.cond);

  *out = sink.received;
  *lost = sink.lost_events;
  return (t1 - t0) * 1e6 / sch->n;
}

static int
cmp_double (const void *a, const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  const gchar *names[] = { "identity", "chunkreorder", "rtpjitterbuffer" };
  const gchar *descs[] = {
    "identity silent=true",
    "chunkreorder",
    "rtpjitterbuffer latency=50 do-lost=true",
  };
  guint total, reps, scen, e, r;

  /* keep freed packet memory in the process: returning it to the kernel
   * and faulting it in again would add noise unrelated to the elements */
  mallopt (M_TRIM_THRESHOLD, 1 << 30);
  mallopt (M_MMAP_THRESHOLD, 1 << 30);

  gst_init (&argc, &argv);
  /* e.g. BENCH_CHUNKREORDER="chunkreorder timeout=0" to compare settings */
  if (g_getenv ("BENCH_CHUNKREORDER"))
    descs[1] = g_getenv ("BENCH_CHUNKREORDER");
  if (argc > 1 && strcmp (argv[1], "--paced") == 0) {
    paced = TRUE;
    argv++;
    argc--;
  }
  total = argc > 1 ? atoi (argv[1]) : (paced ? 5000 : 50000);
  reps = argc > 2 ? atoi (argv[2]) : (paced ? 1 : 5);
  reps = CLAMP (reps, 1, 64);
  for (e = 0; e < G_N_ELEMENTS (names); e++) {
    GstElementFactory *f = gst_element_factory_find (names[e]);
    if (f == NULL) {
      g_printerr ("element %s not found (GST_PLUGIN_PATH?)\n", names[e]);
      return 1;
    }
    gst_object_unref (f);
  }

  g_print ("chunkreorder benchmark (%s time): %u packets at %u/s, median of "
      "%u runs, CPU us per packet (all threads)\n\n",
      paced ? "real, paced" : "simulated", total, RATE, reps);
  g_print ("%-9s %-16s %8s %8s %8s %6s %8s  %s\n", "input", "element",
      "us/pkt", "added", "out", "lost", "csw/1k",
      "vs rtpjitterbuffer (added)");

  for (scen = 0; scen < 2; scen++) {
    Schedule sch;
    gdouble med[3];
    guint outs[3], losts[3];
    glong csws[3];

    make_schedule (&sch, total, scen == 1, 1234);
    /* warm up once */
    if (!paced)
      run_one (descs[0], &sch, &outs[0], &losts[0], &csws[0]);

    {
      gdouble samples[3][64];

      /* interleave the elements so that machine noise hits all alike */
      for (r = 0; r < reps; r++)
        for (e = 0; e < 3; e++) {
          /* BENCH_ONLY=<index> runs one element (for profiling) */
          if (g_getenv ("BENCH_ONLY") && (guint) atoi (g_getenv ("BENCH_ONLY")) != e) {
            samples[e][r] = 0;
            outs[e] = losts[e] = csws[e] = 0;
            continue;
          }
          samples[e][r] = run_one (descs[e], &sch, &outs[e], &losts[e],
              &csws[e]);
        }
      for (e = 0; e < 3; e++) {
        qsort (samples[e], reps, sizeof (gdouble), cmp_double);
        med[e] = samples[e][reps / 2];
      }
    }

    for (e = 0; e < 3; e++) {
      gdouble added = med[e] - med[0];

      g_print ("%-9s %-16s %8.3f %8.3f %8u %6u %8.1f",
          scen ? "impaired" : "in-order", names[e], med[e], added, outs[e],
          losts[e], csws[e] * 1000.0 / sch.n);
      if (e == 1 && added > 0.01)
        g_print ("  %.1fx cheaper", (med[2] - med[0]) / added);
      else if (e == 1)
        g_print ("  (added cost below the noise)");
      g_print ("\n");
    }
    g_print ("\n");
    g_free (sch.seq);
    g_free (sch.arrival);
  }

  return 0;
}
