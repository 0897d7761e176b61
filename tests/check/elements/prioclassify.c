/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* prioqueue's classifier reads plain NAL headers in place and leaves the
 * rest to codecparsers: on real x264 / x265 streams (byte-stream with and
 * without AUD, avc, hvc1, several slices per picture) and on damaged
 * copies of them, both ways must give the same class, flags and rule for
 * every buffer, and the in-place reading must actually be taken. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>

#include "gstprioclassify.h"

#define FRAMES 45

typedef struct
{
  GstCaps *caps;
  GPtrArray *buffers;
} Encoded;

static gboolean
encode (const gchar * enc, const gchar * caps, Encoded * e)
{
  gchar *desc;
  GstElement *p, *sink;
  GstSample *sample;
  GError *err = NULL;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball "
      "! video/x-raw,width=176,height=144,framerate=30/1 ! %s ! %s "
      "! appsink name=s sync=false", FRAMES, enc, caps);
  p = gst_parse_launch (desc, &err);
  g_free (desc);
  if (p == NULL) {
    GST_INFO ("cannot build %s: %s", enc, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  sink = gst_bin_get_by_name (GST_BIN (p), "s");
  e->caps = NULL;
  e->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    if (e->caps == NULL)
      e->caps = gst_caps_ref (gst_sample_get_caps (sample));
    g_ptr_array_add (e->buffers,
        gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (p);
  fail_unless_equals_int (e->buffers->len, FRAMES);
  return TRUE;
}

static void
encoded_clear (Encoded * e)
{
  gst_caps_unref (e->caps);
  g_ptr_array_free (e->buffers, TRUE);
}

/* a damaged copy: a few bytes of the first 48 changed, sometimes cut */
static GstBuffer *
damage (GstBuffer * in, GRand * rand)
{
  GstMapInfo map;
  GstBuffer *out;
  gsize size;
  guint k, n;

  fail_unless (gst_buffer_map (in, &map, GST_MAP_READ));
  size = map.size;
  if (g_rand_int_range (rand, 0, 4) == 0)
    size = g_rand_int_range (rand, 0, MIN (map.size, 48) + 1);
  out = size ? gst_buffer_new_memdup (map.data, size) : gst_buffer_new ();
  gst_buffer_unmap (in, &map);
  gst_buffer_copy_into (out, in, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);

  if (size == 0)
    return out;
  fail_unless (gst_buffer_map (out, &map, GST_MAP_WRITE));
  n = g_rand_int_range (rand, 0, 3);
  for (k = 0; k < n && map.size > 0; k++) {
    guint at = g_rand_int_range (rand, 0, MIN (map.size, 48));
    const guint8 choice[] = { 0x00, 0x01, 0x80, 0xff, 0x06, 0x41, 0x01 };

    map.data[at] = g_rand_boolean (rand) ?
        choice[g_rand_int_range (rand, 0, G_N_ELEMENTS (choice))] :
        (guint8) g_rand_int (rand);
  }
  gst_buffer_unmap (out, &map);
  return out;
}

/* Classifies every buffer of @e with both classifiers (in place and
 * codecparsers only), with the stream's flags and with DELTA_UNIT cleared
 * (the NAL headers alone decide keyframes then). Returns the in-place
 * count of the first pass. */
static guint64
compare (Encoded * e, gboolean damaged, guint * n_low)
{
  GRand *rand = g_rand_new_with_seed (7);
  guint64 in_place = 0;
  guint pass;

  for (pass = 0; pass < 2; pass++) {
    GstPrioClassifier *fast = gst_prio_classifier_new ();
    GstPrioClassifier *slow = gst_prio_classifier_new ();
    guint i;

    gst_prio_classifier_set_in_place (slow, FALSE);
    gst_prio_classifier_set_caps (fast, e->caps);
    gst_prio_classifier_set_caps (slow, e->caps);
    for (i = 0; i < e->buffers->len; i++) {
      GstBuffer *b = g_ptr_array_index (e->buffers, i);
      guint ff, sf;
      GstPrioRule fr, sr;
      ShedClass fc, sc;

      b = damaged ? damage (b, rand) : gst_buffer_copy (b);
      if (pass == 1)
        GST_BUFFER_FLAG_UNSET (b, GST_BUFFER_FLAG_DELTA_UNIT |
            GST_BUFFER_FLAG_HEADER);
      fc = gst_prio_classifier_classify (fast, b, &ff, &fr);
      sc = gst_prio_classifier_classify (slow, b, &sf, &sr);
      if (fc != sc || ff != sf || fr != sr)
        fail ("buffer %u (pass %u%s): in place %d/%u/%d, codecparsers "
            "%d/%u/%d", i, pass, damaged ? ", damaged" : "", fc, ff, fr, sc,
            sf, sr);
      if (pass == 0 && fc == SHED_CLASS_LOW && n_low)
        (*n_low)++;
      gst_buffer_unref (b);
    }
    fail_unless_equals_uint64 (gst_prio_classifier_n_in_place (slow), 0);
    if (pass == 0)
      in_place = gst_prio_classifier_n_in_place (fast);
    gst_prio_classifier_free (fast);
    gst_prio_classifier_free (slow);
  }
  g_rand_free (rand);
  return in_place;
}

static void
check_stream (const gchar * enc, const gchar * caps, gboolean expect_low)
{
  Encoded e;
  guint n_low = 0;
  guint64 in_place;

  if (!encode (enc, caps, &e)) {
    GST_WARNING ("%s not available, skipped", enc);
    return;
  }
  in_place = compare (&e, FALSE, &n_low);
  GST_INFO ("%s ! %s: %" G_GUINT64_FORMAT " of %u in place, %u low", enc,
      caps, in_place, e.buffers->len, n_low);
  /* every delta frame but the first one (which finds the slice for the
   * byte-stream hint); keyframes (every 10th) need no NAL header */
  fail_unless (in_place >= FRAMES - (FRAMES + 9) / 10 - 1,
      "only %" G_GUINT64_FORMAT " of %d read in place", in_place, FRAMES);
  if (expect_low)
    fail_unless (n_low > 0);
  compare (&e, TRUE, NULL);
  encoded_clear (&e);
}

#define X264 "x264enc speed-preset=ultrafast bframes=2 key-int-max=10 " \
  "b-adapt=false"
#define X265 "x265enc speed-preset=ultrafast key-int-max=10 " \
  "option-string=\"bframes=2:b-adapt=0\""

GST_START_TEST (test_h264_bytestream_aud)
{
  check_stream (X264 " ! h264parse",
      "video/x-h264,stream-format=byte-stream,alignment=au", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_h264_bytestream_no_aud_slices)
{
  check_stream (X264 " aud=false sliced-threads=true threads=2 "
      "! h264parse", "video/x-h264,stream-format=byte-stream,alignment=au",
      TRUE);
}

GST_END_TEST;

GST_START_TEST (test_h264_avc)
{
  check_stream (X264 " ! h264parse",
      "video/x-h264,stream-format=avc,alignment=au", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_h265_bytestream)
{
  check_stream (X265 " ! h265parse",
      "video/x-h265,stream-format=byte-stream,alignment=au", TRUE);
}

GST_END_TEST;

GST_START_TEST (test_h265_hvc1)
{
  check_stream (X265 " ! h265parse",
      "video/x-h265,stream-format=hvc1,alignment=au", TRUE);
}

GST_END_TEST;

static Suite *
prioclassify_suite (void)
{
  Suite *s = suite_create ("prioclassify");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_h264_bytestream_aud);
  tcase_add_test (tc, test_h264_bytestream_no_aud_slices);
  tcase_add_test (tc, test_h264_avc);
  tcase_add_test (tc, test_h265_bytestream);
  tcase_add_test (tc, test_h265_hvc1);
  return s;
}

GST_CHECK_MAIN (prioclassify);
