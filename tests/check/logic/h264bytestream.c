/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's H.264 byte-stream to AVC conversion. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "h264bytestream.h"

/* AUD, SPS, PPS, IDR slice (3 and 4 byte start codes, a trailing zero) */
static const guint8 au_idr[] = {
  0, 0, 0, 1, 0x09, 0xf0,
  0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9,
  0, 0, 1, 0x68, 0xeb, 0xe3,
  0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33, 0x00
};

static const guint8 au_p[] = {
  0, 0, 1, 0x41, 0x9a, 0x02, 0x00, 0x01,
  0, 0, 1, 0x41, 0x9b
};

GST_START_TEST (test_convert)
{
  H264ParamSets ps = { NULL, NULL };
  GByteArray *out = g_byte_array_new ();
  static const guint8 want_idr[] = { 0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00,
    0x33
  };
  static const guint8 want_p[] = { 0, 0, 0, 5, 0x41, 0x9a, 0x02, 0x00, 0x01,
    0, 0, 0, 2, 0x41, 0x9b
  };
  static const guint8 want_avcc[] = { 1, 0x64, 0x00, 0x1f, 0xff, 0xe1,
    0, 6, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 1, 0, 3, 0x68, 0xeb, 0xe3
  };
  GBytes *avcc;
  gsize n;

  fail_unless (h264_build_avcc (&ps) == NULL);
  fail_unless_equals_int (h264_annexb_to_avc (au_idr, sizeof (au_idr), out,
          &ps), 1);
  fail_unless_equals_int (out->len, sizeof (want_idr));
  fail_unless (memcmp (out->data, want_idr, out->len) == 0);

  avcc = h264_build_avcc (&ps);
  fail_unless (avcc != NULL);
  fail_unless (memcmp (g_bytes_get_data (avcc, &n), want_avcc,
          sizeof (want_avcc)) == 0);
  fail_unless_equals_int (n, sizeof (want_avcc));
  g_bytes_unref (avcc);

  g_byte_array_set_size (out, 0);
  fail_unless_equals_int (h264_annexb_to_avc (au_p, sizeof (au_p), out, &ps),
      2);
  fail_unless_equals_int (out->len, sizeof (want_p));
  fail_unless (memcmp (out->data, want_p, out->len) == 0);

  /* no start code at all */
  fail_unless_equals_int (h264_annexb_to_avc (want_p + 4, 5, out, &ps), -1);
  g_byte_array_unref (out);
  h264_param_sets_clear (&ps);
}

GST_END_TEST;

static Suite *
h264bytestream_suite (void)
{
  Suite *s = suite_create ("h264bytestream");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_convert);
  return s;
}

GST_CHECK_MAIN (h264bytestream);
