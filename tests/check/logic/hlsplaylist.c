/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of the HLS playlist model's low-latency variant: parts,
 * preload hint, server control, rendition reports, delta updates, and the
 * discontinuity rules both variants share.  (The classic variant's window
 * and the master playlist are tested in mpdmodel.c.) */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "hlsplaylist.h"

#define MS G_GUINT64_CONSTANT (1000000)
#define SEC (1000 * MS)
#define T0 (G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC)
#define PART_TARGET (215333334)
#define HOLD_BACK (SEC)

static gchar *
seg_uri (guint64 n)
{
  return g_strdup_printf ("video_0-%" G_GUINT64_FORMAT ".m4s", n);
}

/* segment @n (2 s, from 1) with @parts parts of 200 ms (0 = none) */
static void
add_segment (HlsMediaPlaylist * pl, guint64 n, guint parts, gboolean disc,
    const gchar * map)
{
  gint64 pdt = T0 + (gint64) (n - 1) * 2 * G_USEC_PER_SEC;
  gchar *uri = seg_uri (n);
  guint k;

  for (k = 0; k < parts; k++)
    hls_media_playlist_add_part (pl, n, k, 200 * MS, k == 0, pdt, disc, map);
  hls_media_playlist_add_segment (pl, n, uri, 2 * SEC, pdt, disc, map);
  g_free (uri);
}

static HlsMediaPlaylist *
ll_playlist (void)
{
  HlsMediaPlaylist *pl = hls_media_playlist_new (2);

  hls_media_playlist_set_parts (pl, "video_0-", PART_TARGET, HOLD_BACK);
  return pl;
}

static guint
count (const gchar * hay, const gchar * needle)
{
  guint n = 0;
  const gchar *p = hay;

  while ((p = strstr (p, needle))) {
    n++;
    p += strlen (needle);
  }
  return n;
}

/* Parts near the end, before their segment's EXTINF (a player must see
 * them as parts of that segment, not of the next: MediaMTX #997), the
 * parts of the segment in progress and the hint for its next part */
GST_START_TEST (test_ll_parts)
{
  HlsMediaPlaylist *pl = ll_playlist ();
  HlsRenditionReport rr = { "audio_0.m3u8", 9, 2 };
  gchar *txt, *classic;
  const gchar *p, *inf;
  guint64 msn;
  guint idx, n;

  for (n = 1; n <= 8; n++)
    add_segment (pl, n, 10, FALSE, "video_0-init.mp4");
  hls_media_playlist_add_part (pl, 9, 0, 200 * MS, TRUE,
      T0 + 16 * G_USEC_PER_SEC, FALSE, "video_0-init.mp4");
  hls_media_playlist_add_part (pl, 9, 1, 200 * MS, FALSE,
      T0 + 16 * G_USEC_PER_SEC, FALSE, "video_0-init.mp4");
  hls_media_playlist_add_part (pl, 9, 2, 193 * MS, FALSE,
      T0 + 16 * G_USEC_PER_SEC, FALSE, "video_0-init.mp4");
  fail_unless (hls_media_playlist_last_part (pl, &msn, &idx));
  fail_unless_equals_uint64 (msn, 9);
  fail_unless_equals_int (idx, 2);
  fail_unless (hls_media_playlist_last_segment (pl, &msn));
  fail_unless_equals_uint64 (msn, 8);

  txt = hls_media_playlist_render_ll (pl, FALSE, &rr, 1);
  fail_unless (g_str_has_prefix (txt, "#EXTM3U\n#EXT-X-VERSION:7\n"));
  fail_unless (strstr (txt, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
          "CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=1.000000\n") != NULL);
  /* rounded up to the µs: no part is longer */
  fail_unless (strstr (txt, "#EXT-X-PART-INF:PART-TARGET=0.215334\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-MEDIA-SEQUENCE:1\n") != NULL);
  /* parts of the segments ending within 3 target durations (6 s) of the
   * end (16.593 s): segments 6, 7, 8 and the one in progress */
  fail_if (strstr (txt, "video_0-5.9.m4s"));
  fail_unless_equals_int (count (txt, "#EXT-X-PART:"), 3 * 10 + 3);
  fail_unless (strstr (txt, "#EXT-X-PART:DURATION=0.200000,"
          "URI=\"video_0-6.0.m4s\",INDEPENDENT=YES\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-PART:DURATION=0.200000,"
          "URI=\"video_0-6.1.m4s\"\n") != NULL);
  fail_unless (strstr (txt, "DURATION=0.193000,URI=\"video_0-9.2.m4s\"\n"));
  /* segment 8's parts come before its EXTINF, right after segment 7 */
  p = strstr (txt, "URI=\"video_0-8.9.m4s\"");
  inf = strstr (txt, "video_0-8.m4s\n");
  fail_unless (p && inf && p < inf);
  fail_unless (strstr (txt, "video_0-7.m4s\n#EXT-X-PROGRAM-DATE-TIME:"
          "2023-11-14T22:13:34.000Z\n#EXT-X-PART:DURATION=0.200000,"
          "URI=\"video_0-8.0.m4s\",INDEPENDENT=YES\n") != NULL);
  /* the segment in progress: its date, its parts, the hint */
  fail_unless (g_str_has_suffix (txt, "video_0-8.m4s\n"
          "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:36.000Z\n"
          "#EXT-X-PART:DURATION=0.200000,URI=\"video_0-9.0.m4s\","
          "INDEPENDENT=YES\n"
          "#EXT-X-PART:DURATION=0.200000,URI=\"video_0-9.1.m4s\"\n"
          "#EXT-X-PART:DURATION=0.193000,URI=\"video_0-9.2.m4s\"\n"
          "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"video_0-9.3.m4s\"\n"
          "#EXT-X-RENDITION-REPORT:URI=\"audio_0.m3u8\",LAST-MSN=9,"
          "LAST-PART=2\n"));
  fail_if (strstr (txt, "ENDLIST"));
  g_free (txt);

  /* the classic variant of the same playlist lists complete segments */
  classic = hls_media_playlist_render (pl);
  fail_if (strstr (classic, "PART"));
  fail_if (strstr (classic, "SERVER-CONTROL"));
  fail_if (strstr (classic, "video_0-9"));
  fail_unless (g_str_has_suffix (classic, "#EXTINF:2.000000,\n"
          "video_0-8.m4s\n"));
  g_free (classic);

  /* segment 9 completes: its parts stay with it, the hint moves on */
  add_segment (pl, 9, 0, FALSE, "video_0-init.mp4");
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  fail_unless (g_str_has_suffix (txt,
          "#EXT-X-PART:DURATION=0.193000,URI=\"video_0-9.2.m4s\"\n"
          "#EXTINF:2.000000,\nvideo_0-9.m4s\n"
          "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"video_0-10.0.m4s\"\n"));
  fail_unless (hls_media_playlist_last_part (pl, &msn, &idx));
  fail_unless_equals_uint64 (msn, 9);
  fail_unless_equals_int (idx, 2);
  g_free (txt);

  /* at the end: the classic playlist with EXT-X-ENDLIST */
  pl->ended = TRUE;
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  classic = hls_media_playlist_render (pl);
  fail_unless_equals_string (txt, classic);
  fail_unless (g_str_has_suffix (txt, "#EXT-X-ENDLIST\n"));
  g_free (txt);
  g_free (classic);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* _HLS_skip=YES: segments that ended more than CAN-SKIP-UNTIL (6 target
 * durations) before the last one are replaced by EXT-X-SKIP (version 9);
 * the media sequence and the init segment stay */
GST_START_TEST (test_ll_delta)
{
  HlsMediaPlaylist *pl = ll_playlist ();
  gchar *full, *delta;
  const gchar *body;
  guint n;

  for (n = 1; n <= 20; n++)
    add_segment (pl, n, n > 17 ? 10 : 0, FALSE, "video_0-init.mp4");
  full = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  delta = hls_media_playlist_render_ll (pl, TRUE, NULL, 0);
  fail_if (strstr (full, "EXT-X-SKIP"));
  fail_unless (g_str_has_prefix (delta, "#EXTM3U\n#EXT-X-VERSION:9\n"));
  fail_unless (strstr (delta, "#EXT-X-MEDIA-SEQUENCE:1\n") != NULL);
  /* the last one ends at 40 s: those ending at or before 28 s go */
  fail_unless (strstr (delta, "#EXT-X-INDEPENDENT-SEGMENTS\n"
          "#EXT-X-MAP:URI=\"video_0-init.mp4\"\n"
          "#EXT-X-SKIP:SKIPPED-SEGMENTS=14\n"
          "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:48.000Z\n"
          "#EXTINF:2.000000,\nvideo_0-15.m4s\n") != NULL);
  fail_if (strstr (delta, "video_0-14.m4s"));
  fail_unless_equals_int (count (delta, "#EXT-X-MAP"), 1);
  /* everything after the skipped segments is as in the full playlist */
  body = strstr (full, "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:48.000Z");
  fail_unless (body && g_str_has_suffix (delta, body));
  g_free (full);
  g_free (delta);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* A delta update never skips past a discontinuity or a new init segment:
 * their tags stay, and so do the discontinuity sequence numbers */
GST_START_TEST (test_ll_delta_discontinuity)
{
  HlsMediaPlaylist *pl = ll_playlist ();
  gchar *delta;
  guint n;

  for (n = 1; n <= 20; n++)
    add_segment (pl, n, 0, n == 5, n < 9 ? "video_0-init.mp4" :
        "video_0-init-1.mp4");
  delta = hls_media_playlist_render_ll (pl, TRUE, NULL, 0);
  fail_unless (strstr (delta, "#EXT-X-MAP:URI=\"video_0-init.mp4\"\n"
          "#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n" "#EXT-X-DISCONTINUITY\n") != NULL);
  fail_unless (strstr (delta, "#EXT-X-DISCONTINUITY\n"
          "#EXT-X-MAP:URI=\"video_0-init-1.mp4\"\n") != NULL);
  g_free (delta);

  /* only the new init segment left ahead: skipped up to it */
  hls_media_playlist_remove_through (pl, "video_0-5.m4s");
  delta = hls_media_playlist_render_ll (pl, TRUE, NULL, 0);
  fail_unless (strstr (delta, "#EXT-X-MAP:URI=\"video_0-init.mp4\"\n"
          "#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n#EXT-X-DISCONTINUITY\n"
          "#EXT-X-MAP:URI=\"video_0-init-1.mp4\"\n") != NULL);
  fail_unless (strstr (delta, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != NULL);
  g_free (delta);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* A new init segment follows an EXT-X-DISCONTINUITY (a format change,
 * RFC 8216bis 6.2.1) in both variants; a discontinuity that becomes the
 * first listed segment's is counted then (its tag is no longer shown) */
GST_START_TEST (test_discontinuity_rules)
{
  HlsMediaPlaylist *pl = hls_media_playlist_new (2);
  gchar *txt;
  guint n;

  for (n = 1; n <= 4; n++)
    add_segment (pl, n, 0, FALSE, n < 3 ? "video_0-init.mp4" :
        "video_0-init-1.mp4");
  txt = hls_media_playlist_render (pl);
  fail_unless (strstr (txt, "video_0-2.m4s\n#EXT-X-DISCONTINUITY\n"
          "#EXT-X-MAP:URI=\"video_0-init-1.mp4\"\n") != NULL);
  fail_unless_equals_int (count (txt, "#EXT-X-DISCONTINUITY\n"), 1);
  g_free (txt);

  hls_media_playlist_remove_through (pl, "video_0-1.m4s");
  txt = hls_media_playlist_render (pl);
  fail_if (strstr (txt, "DISCONTINUITY-SEQUENCE"));
  g_free (txt);
  hls_media_playlist_remove_through (pl, "video_0-2.m4s");
  txt = hls_media_playlist_render (pl);
  /* segment 3 is first: its tag is gone, its number stays 1 */
  fail_unless (strstr (txt, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != NULL);
  fail_if (strstr (txt, "#EXT-X-DISCONTINUITY\n"));
  g_free (txt);
  hls_media_playlist_remove_through (pl, "video_0-3.m4s");
  txt = hls_media_playlist_render (pl);
  fail_unless (strstr (txt, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != NULL);
  g_free (txt);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* A restarted producer's first segments: the file lists them once there
 * are as many as the hold, the low-latency playlist at once */
GST_START_TEST (test_hold)
{
  HlsMediaPlaylist *pl = hls_media_playlist_new (2);
  gchar *txt;
  guint n;

  hls_media_playlist_set_parts (pl, "video_0-", 200 * MS, SEC);
  for (n = 1; n <= 3; n++)
    add_segment (pl, n, 0, FALSE, "video_0-init.mp4");
  hls_media_playlist_hold (pl, 2);
  txt = hls_media_playlist_render (pl);
  fail_unless (g_str_has_suffix (txt, "video_0-3.m4s\n"), "%s", txt);
  g_free (txt);

  add_segment (pl, 5, 10, TRUE, "video_0-init.mp4");
  txt = hls_media_playlist_render (pl);
  fail_unless (g_str_has_suffix (txt, "video_0-3.m4s\n"), "%s", txt);
  fail_if (strstr (txt, "#EXT-X-DISCONTINUITY"), "%s", txt);
  g_free (txt);
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  fail_unless (strstr (txt, "#EXT-X-DISCONTINUITY\n") != NULL, "%s", txt);
  fail_unless (strstr (txt, "video_0-5.m4s\n") != NULL, "%s", txt);
  g_free (txt);

  add_segment (pl, 6, 10, FALSE, "video_0-init.mp4");
  txt = hls_media_playlist_render (pl);
  fail_unless (strstr (txt, "video_0-3.m4s\n#EXT-X-DISCONTINUITY\n") !=
      NULL, "%s", txt);
  fail_unless (g_str_has_suffix (txt, "video_0-6.m4s\n"), "%s", txt);
  g_free (txt);
  /* released for good: a later segment is listed at once */
  add_segment (pl, 7, 10, FALSE, "video_0-init.mp4");
  txt = hls_media_playlist_render (pl);
  fail_unless (g_str_has_suffix (txt, "video_0-7.m4s\n"), "%s", txt);
  g_free (txt);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* Parts of a segment that never completed (the next one came) are
 * dropped, not attached to the next; a segment without parts (a
 * rendition that started late) is listed without */
GST_START_TEST (test_ll_open_replaced)
{
  HlsMediaPlaylist *pl = ll_playlist ();
  gchar *txt;

  add_segment (pl, 1, 10, FALSE, "video_0-init.mp4");
  hls_media_playlist_add_part (pl, 2, 0, 200 * MS, TRUE,
      T0 + 2 * G_USEC_PER_SEC, FALSE, "video_0-init.mp4");
  hls_media_playlist_add_part (pl, 3, 0, 200 * MS, TRUE,
      T0 + 4 * G_USEC_PER_SEC, TRUE, "video_0-init.mp4");
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  fail_if (strstr (txt, "video_0-2.0.m4s"));
  fail_unless (strstr (txt, "video_0-3.0.m4s") != NULL);
  fail_unless (strstr (txt, "PRELOAD-HINT:TYPE=PART,URI=\"video_0-3.1.m4s\"")
      != NULL);
  g_free (txt);
  /* a part missed (out of order): the segment goes on without parts */
  hls_media_playlist_add_part (pl, 3, 2, 200 * MS, FALSE,
      T0 + 4 * G_USEC_PER_SEC, TRUE, "video_0-init.mp4");
  hls_media_playlist_add_part (pl, 4, 1, 200 * MS, FALSE,
      T0 + 6 * G_USEC_PER_SEC, FALSE, "video_0-init.mp4");
  add_segment (pl, 3, 0, TRUE, "video_0-init.mp4");
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  fail_if (strstr (txt, "video_0-3.0.m4s"));
  fail_unless (g_str_has_suffix (txt, "video_0-3.m4s\n"
          "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"video_0-4.0.m4s\"\n"));
  g_free (txt);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* An LL-HLS playlist without a window (dvr-window=0) is an EVENT one
 * like the classic variant, delta updates included; ended, it is the
 * classic VOD playlist with ENDLIST and no parts */
GST_START_TEST (test_ll_event_then_vod)
{
  HlsMediaPlaylist *pl = ll_playlist ();
  gchar *txt;
  guint64 n;

  pl->event = TRUE;
  for (n = 1; n <= 20; n++)
    add_segment (pl, n, n > 17 ? 10 : 0, FALSE, "video_0-init.mp4");
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  fail_unless (strstr (txt, "#EXT-X-PLAYLIST-TYPE:EVENT\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-PART:") != NULL);
  fail_if (strstr (txt, "ENDLIST"));
  g_free (txt);
  txt = hls_media_playlist_render_ll (pl, TRUE, NULL, 0);
  fail_unless (strstr (txt, "#EXT-X-PLAYLIST-TYPE:EVENT\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-SKIP:") != NULL);
  g_free (txt);

  pl->ended = TRUE;
  txt = hls_media_playlist_render_ll (pl, FALSE, NULL, 0);
  fail_unless (strstr (txt, "#EXT-X-PLAYLIST-TYPE:VOD\n") != NULL);
  fail_if (strstr (txt, "EVENT"));
  fail_if (strstr (txt, "#EXT-X-PART:"));
  fail_if (strstr (txt, "PRELOAD-HINT"));
  fail_unless (strstr (txt, "#EXT-X-MEDIA-SEQUENCE:1\n") != NULL);
  fail_unless (g_str_has_suffix (txt, "video_0-20.m4s\n#EXT-X-ENDLIST\n"));
  g_free (txt);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

static Suite *
hlsplaylist_suite (void)
{
  Suite *s = suite_create ("hlsplaylist");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ll_parts);
  tcase_add_test (tc, test_ll_delta);
  tcase_add_test (tc, test_ll_delta_discontinuity);
  tcase_add_test (tc, test_discontinuity_rules);
  tcase_add_test (tc, test_hold);
  tcase_add_test (tc, test_ll_open_replaced);
  tcase_add_test (tc, test_ll_event_then_vod);
  return s;
}

GST_CHECK_MAIN (hlsplaylist);
