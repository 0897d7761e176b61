/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* httproutes: routing, Range parsing, live / announced segment decisions */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "httproutes.h"

GST_START_TEST (test_route)
{
  DashRoute r;

  http_routes_route ("/", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_PLAYER);
  http_routes_route ("/index.html", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_PLAYER);
  http_routes_route ("/time", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_TIME);
  http_routes_route ("/metrics", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_METRICS);
  http_routes_route ("/dash.all.min.js", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_PLAYER_LIB);

  http_routes_route ("/manifest.mpd", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_FILE);
  fail_unless_equals_int (r.file_kind, DASH_FILE_MPD);
  fail_unless_equals_string (r.name, "manifest.mpd");
  fail_unless_equals_string (http_routes_content_type (r.file_kind),
      "application/dash+xml");
  fail_unless_equals_string (http_routes_cache_control (r.file_kind),
      "no-cache");
  http_routes_route ("/v0.m3u8", &r);
  fail_unless_equals_int (r.file_kind, DASH_FILE_PLAYLIST);
  http_routes_route ("/v0-init.mp4", &r);
  fail_unless_equals_int (r.file_kind, DASH_FILE_INIT);
  http_routes_route ("/v0-17.m4s", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_FILE);
  fail_unless_equals_int (r.file_kind, DASH_FILE_SEGMENT);
  fail_unless (g_str_has_prefix (http_routes_cache_control (r.file_kind),
          "public, max-age="));

  /* nothing outside the directory, no temporary or hidden files */
  http_routes_route ("/../etc/passwd", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("/a/b.m4s", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("/v0-3.m4s.tmp", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("/.dashlivesink-probe", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("/..m4s", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("/a\\b.mpd", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("/x\n.mpd", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route ("relative.mpd", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route (NULL, &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
}

GST_END_TEST;

/* the configured mpd-name is the MPD, whatever its extension */
GST_START_TEST (test_route_mpd_name)
{
  DashRoute r;

  http_routes_route_full ("/live", "live", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_FILE);
  fail_unless_equals_int (r.file_kind, DASH_FILE_MPD);
  fail_unless_equals_string (r.name, "live");
  http_routes_route ("/live", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route_full ("/other", "live", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route_full ("/stream.mpd", "live", &r);
  fail_unless_equals_int (r.file_kind, DASH_FILE_MPD);
  /* still one plain component */
  http_routes_route_full ("/a/live", "a/live", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  http_routes_route_full ("/.live", ".live", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
  /* the player page stays the player page */
  http_routes_route_full ("/", "live", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_PLAYER);
}

GST_END_TEST;

GST_START_TEST (test_range)
{
  guint64 a = 0, b = 0;

  fail_unless_equals_int (http_routes_parse_range (NULL, 100, &a, &b),
      DASH_RANGE_NONE);
  fail_unless_equals_int (http_routes_parse_range ("bytes=0-9", 100, &a, &b),
      DASH_RANGE_OK);
  fail_unless (a == 0 && b == 9);
  fail_unless_equals_int (http_routes_parse_range ("bytes=90-", 100, &a, &b),
      DASH_RANGE_OK);
  fail_unless (a == 90 && b == 99);
  fail_unless_equals_int (http_routes_parse_range ("bytes=50-1000", 100, &a,
          &b), DASH_RANGE_OK);
  fail_unless (a == 50 && b == 99);
  fail_unless_equals_int (http_routes_parse_range ("bytes=-10", 100, &a, &b),
      DASH_RANGE_OK);
  fail_unless (a == 90 && b == 99);
  fail_unless_equals_int (http_routes_parse_range ("bytes=-500", 100, &a, &b),
      DASH_RANGE_OK);
  fail_unless (a == 0 && b == 99);
  fail_unless_equals_int (http_routes_parse_range ("Bytes=1-2 ", 100, &a,
          &b), DASH_RANGE_OK);
  fail_unless (a == 1 && b == 2);
  /* unsatisfiable */
  fail_unless_equals_int (http_routes_parse_range ("bytes=100-", 100, &a, &b),
      DASH_RANGE_UNSATISFIABLE);
  fail_unless_equals_int (http_routes_parse_range ("bytes=-0", 100, &a, &b),
      DASH_RANGE_UNSATISFIABLE);
  fail_unless_equals_int (http_routes_parse_range ("bytes=0-0", 0, &a, &b),
      DASH_RANGE_UNSATISFIABLE);
  /* ignored: whole file */
  fail_unless_equals_int (http_routes_parse_range ("bytes=0-1,5-6", 100, &a,
          &b), DASH_RANGE_NONE);
  fail_unless_equals_int (http_routes_parse_range ("bytes=9-2", 100, &a, &b),
      DASH_RANGE_NONE);
  fail_unless_equals_int (http_routes_parse_range ("items=0-1", 100, &a, &b),
      DASH_RANGE_NONE);
  fail_unless_equals_int (http_routes_parse_range ("bytes=x-1", 100, &a, &b),
      DASH_RANGE_NONE);
  fail_unless_equals_int (http_routes_parse_range ("bytes=", 100, &a, &b),
      DASH_RANGE_NONE);
  fail_unless_equals_int (http_routes_parse_range
      ("bytes=99999999999999999999999-", 100, &a, &b), DASH_RANGE_NONE);
}

GST_END_TEST;

GST_START_TEST (test_segment_name)
{
  gchar *rep = NULL;
  guint64 n = 0;

  fail_unless (http_routes_parse_segment_name ("video_0-12.m4s", &rep, &n));
  fail_unless_equals_string (rep, "video_0");
  fail_unless_equals_uint64 (n, 12);
  g_free (rep);
  fail_unless (http_routes_parse_segment_name ("a-b-7.m4s", &rep, &n));
  fail_unless_equals_string (rep, "a-b");
  fail_unless_equals_uint64 (n, 7);
  g_free (rep);
  fail_if (http_routes_parse_segment_name ("video_0-init.mp4", NULL, NULL));
  fail_if (http_routes_parse_segment_name ("video_0-.m4s", NULL, NULL));
  fail_if (http_routes_parse_segment_name ("-3.m4s", NULL, NULL));
  fail_if (http_routes_parse_segment_name ("v-3x.m4s", NULL, NULL));
}

GST_END_TEST;

GST_START_TEST (test_live_state)
{
  DashServeState *st = http_routes_state_new ();
  const DashLiveSegment *l = NULL;
  guint64 g;

  /* nothing started: every segment comes from disk */
  fail_unless_equals_int (http_routes_state_lookup (st, "v-1.m4s", NULL),
      DASH_AVAIL_FILE);

  http_routes_state_segment_started (st, "v", 5, 2, "v-5.m4s.tmp", "v-5.m4s");
  fail_unless_equals_int (http_routes_state_lookup (st, "v-5.m4s", &l),
      DASH_AVAIL_LIVE);
  fail_unless_equals_string (l->tmp_name, "v-5.m4s.tmp");
  fail_unless_equals_uint64 (l->complete, 0);
  /* the next two are announced: wait; further ones and older ones: disk */
  fail_unless_equals_int (http_routes_state_lookup (st, "v-6.m4s", NULL),
      DASH_AVAIL_WAIT);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-7.m4s", NULL),
      DASH_AVAIL_WAIT);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-8.m4s", NULL),
      DASH_AVAIL_FILE);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-4.m4s", NULL),
      DASH_AVAIL_FILE);
  /* another representation is independent */
  fail_unless_equals_int (http_routes_state_lookup (st, "a-6.m4s", NULL),
      DASH_AVAIL_FILE);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-init.mp4", NULL),
      DASH_AVAIL_FILE);

  g = http_routes_state_generation (st);
  http_routes_state_chunk_written (st, "v", 5, 0, 1000);
  http_routes_state_chunk_written (st, "v", 5, 1000, 500);
  fail_unless (http_routes_state_generation (st) > g);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-5.m4s", &l),
      DASH_AVAIL_LIVE);
  fail_unless_equals_uint64 (l->complete, 1500);
  /* a chunk of another segment does not touch this one */
  http_routes_state_chunk_written (st, "v", 9, 0, 99999);
  fail_unless_equals_uint64 (l->complete, 1500);

  http_routes_state_published (st, "v-5.m4s");
  fail_unless_equals_int (http_routes_state_lookup (st, "v-5.m4s", NULL),
      DASH_AVAIL_FILE);
  /* still announced after publication until the next one starts */
  fail_unless_equals_int (http_routes_state_lookup (st, "v-6.m4s", NULL),
      DASH_AVAIL_WAIT);
  http_routes_state_segment_started (st, "v", 6, 2, "v-6.m4s.tmp", "v-6.m4s");
  fail_unless_equals_int (http_routes_state_lookup (st, "v-6.m4s", NULL),
      DASH_AVAIL_LIVE);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-8.m4s", NULL),
      DASH_AVAIL_WAIT);

  http_routes_state_reset (st);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-6.m4s", NULL),
      DASH_AVAIL_FILE);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-7.m4s", NULL),
      DASH_AVAIL_FILE);
  http_routes_state_free (st);
}

GST_END_TEST;

static Suite *
httproutes_suite (void)
{
  Suite *s = suite_create ("httproutes");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_route);
  tcase_add_test (tc, test_route_mpd_name);
  tcase_add_test (tc, test_range);
  tcase_add_test (tc, test_segment_name);
  tcase_add_test (tc, test_live_state);
  return s;
}

GST_CHECK_MAIN (httproutes);
