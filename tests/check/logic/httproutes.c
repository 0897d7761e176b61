/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* httproutes: routing, Range parsing, live / announced segment decisions,
 * LL-HLS parts and delivery directives (blocking reload, 400s) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include "httproutes.h"
#include "dashtime.h"

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
  http_routes_route ("/hls.min.js", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_PLAYER_HLS_LIB);

  http_routes_route ("/manifest.mpd", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_FILE);
  fail_unless_equals_int (r.file_kind, DASH_FILE_MPD);
  fail_unless_equals_string (r.name, "manifest.mpd");
  fail_unless_equals_string (http_routes_content_type (r.file_kind),
      "application/dash+xml");
  fail_unless_equals_string (http_routes_cache_control (r.file_kind),
      "public, max-age=1");
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

/* What an edge may cache, and for how long (httproutes.h) */
GST_START_TEST (test_cache_control)
{
  DashCachePolicy p = { 0, };
  gchar *v;
  guint k;

  /* the default policy's static strings equal the computed ones */
  for (k = DASH_FILE_MPD; k <= DASH_FILE_SEGMENT; k++) {
    v = http_routes_cache_control_for (k, NULL);
    fail_unless_equals_string (http_routes_cache_control (k), v);
    g_free (v);
  }

  /* manifests: half a segment, at least the 1 s that max-age can say */
  p.segment_duration = 2 * GST_SECOND;
  p.dvr_window = 120 * GST_SECOND;
  v = http_routes_cache_control_for (DASH_FILE_MPD, &p);
  fail_unless_equals_string (v, "public, max-age=1");
  g_free (v);
  p.segment_duration = 6 * GST_SECOND;
  v = http_routes_cache_control_for (DASH_FILE_PLAYLIST, &p);
  fail_unless_equals_string (v, "public, max-age=3");
  g_free (v);
  p.segment_duration = GST_SECOND / 2;
  v = http_routes_cache_control_for (DASH_FILE_MPD, &p);
  fail_unless_equals_string (v, "public, max-age=1");
  g_free (v);

  /* segments and init: immutable, as long as the origin keeps them
   * (window + 2 segments, rounded up) */
  p.segment_duration = 2 * GST_SECOND;
  p.dvr_window = 30 * GST_SECOND;
  v = http_routes_cache_control_for (DASH_FILE_SEGMENT, &p);
  fail_unless_equals_string (v, "public, max-age=34, immutable");
  g_free (v);
  p.segment_duration = 1500 * GST_MSECOND;
  p.dvr_window = 10 * GST_SECOND;
  v = http_routes_cache_control_for (DASH_FILE_INIT, &p);
  fail_unless_equals_string (v, "public, max-age=13, immutable");
  g_free (v);
  /* everything kept (VOD): a day; a very long window too */
  p.dvr_window = 0;
  v = http_routes_cache_control_for (DASH_FILE_SEGMENT, &p);
  fail_unless_equals_string (v, "public, max-age=86400, immutable");
  g_free (v);
  p.dvr_window = 7 * 24 * 3600 * GST_SECOND;
  v = http_routes_cache_control_for (DASH_FILE_SEGMENT, &p);
  fail_unless_equals_string (v, "public, max-age=86400, immutable");
  g_free (v);
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


/* LL-HLS part names: <rep>-<number>.<index>.m4s, apart from segments */
/* An announced name never written (the keyframe came late: the segment
 * started at 2700 instead of 2000) is answered with the segment that
 * started instead; a segment's own name, a name past the last start, one
 * before the recent segments or of another representation is not
 * aliased. */
GST_START_TEST (test_alias)
{
  DashServeState *st = http_routes_state_new ();
  const DashLiveSegment *l = NULL;
  gchar *a;

  http_routes_state_segment_started (st, "v", 700, 9000, "v-700.m4s.tmp",
      "v-700.m4s");
  /* announced after 700: 2000 (predicted); nothing started there yet */
  fail_unless (http_routes_state_alias (st, "v-2000.m4s") == NULL);
  fail_unless_equals_int (http_routes_state_lookup (st, "v-2000.m4s", NULL),
      DASH_AVAIL_WAIT);
  http_routes_state_published (st, "v-700.m4s");
  http_routes_state_segment_started (st, "v", 2700, 9000, "v-2700.m4s.tmp",
      "v-2700.m4s");
  /* 2000 is not a segment: it lies inside 700's, the next started at 2700 */
  fail_unless_equals_int (http_routes_state_lookup (st, "v-2000.m4s", NULL),
      DASH_AVAIL_FILE);
  a = http_routes_state_alias (st, "v-2000.m4s");
  fail_unless_equals_string (a, "v-2700.m4s");
  fail_unless_equals_int (http_routes_state_lookup (st, a, &l),
      DASH_AVAIL_LIVE);
  fail_unless_equals_string (l->tmp_name, "v-2700.m4s.tmp");
  g_free (a);
  /* the same answer once it is published (served from disk) */
  http_routes_state_published (st, "v-2700.m4s");
  http_routes_state_segment_started (st, "v", 4700, 9000, "v-4700.m4s.tmp",
      "v-4700.m4s");
  a = http_routes_state_alias (st, "v-2000.m4s");
  fail_unless_equals_string (a, "v-2700.m4s");
  g_free (a);
  /* not aliased: a segment's own name, past the last start (announced:
   * wait), before the first known, another representation, not a
   * segment name */
  fail_unless (http_routes_state_alias (st, "v-2700.m4s") == NULL);
  fail_unless (http_routes_state_alias (st, "v-4700.m4s") == NULL);
  fail_unless (http_routes_state_alias (st, "v-6000.m4s") == NULL);
  fail_unless (http_routes_state_alias (st, "v-500.m4s") == NULL);
  fail_unless (http_routes_state_alias (st, "a-2000.m4s") == NULL);
  fail_unless (http_routes_state_alias (st, "v-init.mp4") == NULL);
  http_routes_state_reset (st);
  fail_unless (http_routes_state_alias (st, "v-2000.m4s") == NULL);
  http_routes_state_free (st);
}

GST_END_TEST;

GST_START_TEST (test_part_route)
{
  DashRoute r;
  gchar *rep = NULL;
  guint64 n = 0;
  guint k = 0;

  http_routes_route ("/video_0-17.3.m4s", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_FILE);
  fail_unless_equals_int (r.file_kind, DASH_FILE_PART);
  fail_unless_equals_string (http_routes_content_type (r.file_kind),
      "video/iso.segment");
  fail_unless (g_str_has_prefix (http_routes_cache_control (r.file_kind),
          "public, max-age="));
  fail_unless (http_routes_parse_part_name ("video_0-17.3.m4s", &rep, &n, &k));
  fail_unless_equals_string (rep, "video_0");
  fail_unless_equals_uint64 (n, 17);
  fail_unless_equals_int (k, 3);
  g_free (rep);
  fail_if (http_routes_parse_part_name ("video_0-17.m4s", NULL, NULL, NULL));
  fail_if (http_routes_parse_part_name ("video_0-17.x.m4s", NULL, NULL, NULL));
  fail_if (http_routes_parse_part_name ("video_0-.3.m4s", NULL, NULL, NULL));
  fail_if (http_routes_parse_part_name ("-17.3.m4s", NULL, NULL, NULL));
  fail_if (http_routes_parse_part_name ("v-1.99999999.m4s", NULL, NULL, NULL));
  fail_if (http_routes_parse_segment_name ("video_0-17.3.m4s", NULL, NULL));
  http_routes_route ("/video_0-17.m4s", &r);
  fail_unless_equals_int (r.file_kind, DASH_FILE_SEGMENT);
  http_routes_route ("/video_0-17.3.m4s.tmp", &r);
  fail_unless_equals_int (r.kind, DASH_ROUTE_NOT_FOUND);
}

GST_END_TEST;

/* Every chunk the sink reports is a part: complete ones are ranges of the
 * segment (of its temporary file while written), the next ones wait,
 * further ones and the parts of a published segment past its last are
 * not found */
GST_START_TEST (test_part_state)
{
  DashServeState *st = http_routes_state_new ();
  DashPartRange r;
  guint i;

  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 1, 0, &r),
      DASH_PART_NOT_FOUND);
  http_routes_state_segment_started (st, "v", 5, 1, "v-5.m4s.tmp",
      "v-5.m4s");
  /* announced (the hint): part 0 of the segment started, and of the next
   * (keys up to 1 after it announced) */
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 0, &r),
      DASH_PART_WAIT);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 6, 0, &r),
      DASH_PART_WAIT);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 6, 3, &r),
      DASH_PART_NOT_FOUND);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 7, 0, &r),
      DASH_PART_NOT_FOUND);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "a", 5, 0, &r),
      DASH_PART_NOT_FOUND);

  http_routes_state_chunk_written (st, "v", 5, 0, 1200);
  http_routes_state_chunk_written (st, "v", 5, 1200, 800);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 1, &r),
      DASH_PART_READY);
  fail_unless_equals_string (r.name, "v-5.m4s");
  fail_unless_equals_string (r.tmp_name, "v-5.m4s.tmp");
  fail_unless_equals_uint64 (r.offset, 1200);
  fail_unless_equals_uint64 (r.size, 800);
  dash_part_range_clear (&r);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 2, &r),
      DASH_PART_WAIT);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 4, &r),
      DASH_PART_NOT_FOUND);

  /* published with 3 parts: the file, no part 3 */
  http_routes_state_chunk_written (st, "v", 5, 2000, 700);
  http_routes_state_published (st, "v-5.m4s");
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 2, &r),
      DASH_PART_READY);
  fail_unless (r.tmp_name == NULL);
  fail_unless_equals_uint64 (r.offset, 2000);
  dash_part_range_clear (&r);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 3, &r),
      DASH_PART_NOT_FOUND);

  /* a key started again forgets its parts */
  http_routes_state_segment_started (st, "v", 5, 1, "v-5.m4s.tmp",
      "v-5.m4s");
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 5, 0, &r),
      DASH_PART_WAIT);

  /* bounded: the parts of the last DASH_PARTS_KEPT segments are known */
  for (i = 10; i < 10 + DASH_PARTS_KEPT + 5; i++) {
    gchar *name = g_strdup_printf ("v-%u.m4s", i);
    gchar *tmp = g_strdup_printf ("v-%u.m4s.tmp", i);
    http_routes_state_segment_started (st, "v", i, 1, tmp, name);
    http_routes_state_chunk_written (st, "v", i, 0, 100);
    http_routes_state_published (st, name);
    g_free (name);
    g_free (tmp);
  }
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 10, 0, &r),
      DASH_PART_NOT_FOUND);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 14, 0, &r),
      DASH_PART_NOT_FOUND);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 15, 0, &r),
      DASH_PART_READY);
  dash_part_range_clear (&r);
  http_routes_state_reset (st);
  fail_unless_equals_int (http_routes_state_lookup_part (st, "v", 20, 0, &r),
      DASH_PART_NOT_FOUND);
  http_routes_state_free (st);
}

GST_END_TEST;

static DashHlsDecision
decide (const HlsPlaylistState * st, const gchar * msn, const gchar * part)
{
  DashHlsDirectives d;

  fail_unless (http_routes_parse_hls_directives (msn, part, NULL, &d));
  return http_routes_hls_decide (st, &d);
}

/* Blocking playlist reload (RFC 8216bis 6.2.5.2) */
GST_START_TEST (test_hls_directives)
{
  HlsPlaylistState st = { 0, };
  DashHlsDirectives d;
  gchar *cc;

  /* parsing */
  fail_unless (http_routes_parse_hls_directives ("12", "3", "YES", &d));
  fail_unless (d.has_msn && d.has_part && d.skip);
  fail_unless_equals_uint64 (d.msn, 12);
  fail_unless_equals_uint64 (d.part, 3);
  fail_unless (http_routes_parse_hls_directives (NULL, NULL, "v2", &d));
  fail_unless (d.skip && !d.has_msn);
  fail_if (http_routes_parse_hls_directives ("-1", NULL, NULL, &d));
  fail_if (http_routes_parse_hls_directives ("1.5", NULL, NULL, &d));
  fail_if (http_routes_parse_hls_directives ("", NULL, NULL, &d));
  fail_if (http_routes_parse_hls_directives ("1", "x", NULL, &d));
  fail_if (http_routes_parse_hls_directives (NULL, NULL, "NO", &d));

  /* segments 1..10 complete, 10 parts each, parts 0..3 of 11 */
  st.low_latency = TRUE;
  st.has_segment = TRUE;
  st.last_msn = 10;
  st.has_part = TRUE;
  st.part_msn = 11;
  st.part_index = 3;
  st.part_target = 215333334;
  st.target_duration = 2;

  fail_unless_equals_int (decide (&st, NULL, NULL), DASH_HLS_ANSWER);
  /* _HLS_part without _HLS_msn */
  fail_unless_equals_int (decide (&st, NULL, "2"), DASH_HLS_BAD_REQUEST);
  /* there already, or no longer listed: at once */
  fail_unless_equals_int (decide (&st, "11", "3"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "11", "0"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "10", "9"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "10", "15"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "2", "0"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "10", NULL), DASH_HLS_ANSWER);
  /* the next part, the next segment: held */
  fail_unless_equals_int (decide (&st, "11", "4"), DASH_HLS_HOLD);
  fail_unless_equals_int (decide (&st, "11", NULL), DASH_HLS_HOLD);
  fail_unless_equals_int (decide (&st, "12", "0"), DASH_HLS_HOLD);
  fail_unless_equals_int (decide (&st, "13", NULL), DASH_HLS_HOLD);
  /* too far ahead: more than 2 segments, or past the Advance Part Limit
   * (3 s / 0.215 s = 14 parts) */
  fail_unless_equals_int (decide (&st, "14", NULL), DASH_HLS_BAD_REQUEST);
  fail_unless_equals_int (decide (&st, "11", "17"), DASH_HLS_HOLD);
  fail_unless_equals_int (decide (&st, "11", "18"), DASH_HLS_BAD_REQUEST);
  fail_unless_equals_int (decide (&st, "12", "8"), DASH_HLS_HOLD);
  fail_unless_equals_int (decide (&st, "13", "2"), DASH_HLS_BAD_REQUEST);
  fail_unless_equals_uint64 (http_routes_hls_hold (&st),
      6 * DASH_NS_PER_SECOND);

  /* segment 11 complete with its 10 parts, none of 12 yet: an index past
   * the last part of 11 is part 0 of 12 */
  st.last_msn = 11;
  st.part_index = 9;
  fail_unless_equals_int (decide (&st, "11", "9"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "11", "10"), DASH_HLS_HOLD);
  fail_unless_equals_int (decide (&st, "11", NULL), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, "12", "0"), DASH_HLS_HOLD);

  /* Cache-Control: directives make the answer stable for a while */
  fail_unless (http_routes_parse_hls_directives ("12", "0", NULL, &d));
  cc = http_routes_hls_cache_control (&st, &d);
  fail_unless_equals_string (cc, "public, max-age=2");
  g_free (cc);
  cc = http_routes_hls_cache_control (&st, NULL);
  fail_unless_equals_string (cc, "no-cache");
  g_free (cc);

  /* a burst: versions adding parts 11.5, 11.6, 11.7, 11.8 (a late encoder
   * caught up); a player asking for 11.6 gets the version that added it */
  {
    HlsPlaylistState v[4];
    guint i;
    for (i = 0; i < 4; i++) {
      v[i] = st;
      v[i].last_msn = 10;
      v[i].part_msn = 11;
      v[i].part_index = 5 + i;
    }
    fail_unless (http_routes_parse_hls_directives ("11", "6", NULL, &d));
    fail_unless_equals_int (http_routes_hls_pick (v, 4, &d), 1);
    fail_unless (http_routes_parse_hls_directives ("11", "2", NULL, &d));
    fail_unless_equals_int (http_routes_hls_pick (v, 4, &d), 0);
    fail_unless (http_routes_parse_hls_directives ("11", "9", NULL, &d));
    fail_unless_equals_int (http_routes_hls_pick (v, 4, &d), 3);
    fail_unless_equals_int (http_routes_hls_pick (v, 4, NULL), 3);
    fail_unless (http_routes_parse_hls_directives (NULL, NULL, "YES", &d));
    fail_unless_equals_int (http_routes_hls_pick (v, 4, &d), 3);
  }

  /* ended, or not low latency: directives are ignored */
  st.ended = TRUE;
  fail_unless_equals_int (decide (&st, "40", "3"), DASH_HLS_ANSWER);
  fail_unless_equals_int (decide (&st, NULL, "3"), DASH_HLS_ANSWER);
  st.ended = FALSE;
  st.low_latency = FALSE;
  fail_unless_equals_int (decide (&st, "40", "3"), DASH_HLS_ANSWER);
}

GST_END_TEST;

/* the server's rule for responses in progress; a response started after
 * the tick read the clock is not stalled (the load test dropped every
 * client waiting for the next segment: the negative age, cast to unsigned,
 * looked like an endless stall) */
GST_START_TEST (test_client_state)
{
  const guint64 timeout = 10 * GST_SECOND;
  const gint64 s = G_USEC_PER_SEC;
  /* now, last progress, queued, live body open -> what the server does */
  const struct
  {
    gint64 now, last;
    guint64 queued;
    gboolean live_open;
    DashClientState expect;
  } cases[] = {
    /* progress after now: never a stall, whatever is queued */
    {100 * s, 100 * s + 1, 4691, TRUE, DASH_CLIENT_OK},
    {100 * s, 100 * s + 5000, 4691, FALSE, DASH_CLIENT_OK},
    {100 * s, 100 * s, 1, FALSE, DASH_CLIENT_OK},
    /* data waiting: stalled only past the timeout */
    {110 * s, 100 * s, 1, FALSE, DASH_CLIENT_OK},
    {110 * s + 1, 100 * s, 1, FALSE, DASH_CLIENT_STALLED},
    {110 * s + 1, 100 * s, 1, TRUE, DASH_CLIENT_STALLED},
    /* nothing waiting: a complete body is never a stall; an open live
     * body whose writer is silent for twice the timeout is cut */
    {1000 * s, 100 * s, 0, FALSE, DASH_CLIENT_OK},
    {115 * s, 100 * s, 0, TRUE, DASH_CLIENT_OK},
    {120 * s + 1, 100 * s, 0, TRUE, DASH_CLIENT_SOURCE_SILENT},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    fail_unless_equals_int (http_routes_client_state (cases[i].now,
            cases[i].last, cases[i].queued, cases[i].live_open, timeout),
        cases[i].expect);
}

GST_END_TEST;

static Suite *
httproutes_suite (void)
{
  Suite *s = suite_create ("httproutes");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_route);
  tcase_add_test (tc, test_cache_control);
  tcase_add_test (tc, test_route_mpd_name);
  tcase_add_test (tc, test_range);
  tcase_add_test (tc, test_segment_name);
  tcase_add_test (tc, test_live_state);
  tcase_add_test (tc, test_alias);
  tcase_add_test (tc, test_part_route);
  tcase_add_test (tc, test_part_state);
  tcase_add_test (tc, test_hls_directives);
  tcase_add_test (tc, test_client_state);
  return s;
}

GST_CHECK_MAIN (httproutes);
