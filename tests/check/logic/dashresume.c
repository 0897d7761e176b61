/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's resume state: the state file read back
 * exactly, what a run does with the directory it starts on (continue,
 * replace, refuse), which files go and where the new media time starts. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "dashresume.h"
#include "dashtime.h"
#include "cmafwriter.h"

#define SEC G_GUINT64_CONSTANT (1000000000)

static const gchar *reps_av[] = { "video_0", "audio_0", NULL };

/* A model as a run leaves it: two periods (a restart), a video and an
 * audio representation, 2 s segments from 1000 s of media time */
static MpdModel *
make_model (void)
{
  MpdModel *mpd = mpd_model_new ();
  MpdRepresentationInfo v = { 0, }, a = { 0, };
  MpdPeriod *p;
  MpdRepresentation *r;
  guint i;

  mpd_model_set_availability_start_time (mpd, 0);
  v.id = "video_0";
  v.kind = MPD_KIND_VIDEO;
  v.codecs = "avc1.64001f";
  v.timescale = 90000;
  v.init_url = "video_0-init-0123456789ab.mp4";
  v.media_template = "video_0-$Time$.m4s";
  v.width = 640;
  v.height = 360;
  v.fps_n = 30;
  v.fps_d = 1;
  v.par_n = v.par_d = 1;
  v.bandwidth_hint = 800000;
  a.id = "audio_0";
  a.kind = MPD_KIND_AUDIO;
  a.codecs = "mp4a.40.2";
  a.timescale = 48000;
  a.init_url = "audio_0-init-ba9876543210.mp4";
  a.media_template = "audio_0-$Time$.m4s";
  a.sample_rate = 48000;
  a.channels = 2;

  mpd_model_add_period (mpd, 0);
  p = mpd_model_last_period (mpd);
  v.start_number = a.start_number = 500;
  r = mpd_period_add_representation (p, &v);
  for (i = 0; i < 3; i++)
    mpd_representation_add_segment (r, (1000 + 2 * i) * 90000, 180000,
        40000 + i);
  r = mpd_period_add_representation (p, &a);
  for (i = 0; i < 3; i++)
    mpd_representation_add_segment (r, (1000 + 2 * i) * 48000, 96256, 3000);

  mpd_model_add_period (mpd, 1010 * SEC);
  p = mpd_model_last_period (mpd);
  v.start_number = a.start_number = 505;
  v.presentation_time_offset = 1010 * 90000;
  a.presentation_time_offset = 1010 * 48000;
  r = mpd_period_add_representation (p, &v);
  mpd_representation_add_segment (r, 1010 * 90000, 180000, 50000);
  r = mpd_period_add_representation (p, &a);
  mpd_representation_add_segment (r, 1010 * 48000 + 1024, 96256, 3000);
  mpd->max_segment_duration = 2 * SEC + SEC / 100;
  return mpd;
}

static HlsMediaPlaylist *
make_playlist (void)
{
  HlsMediaPlaylist *pl = hls_media_playlist_new (2);
  guint i;

  for (i = 0; i < 3; i++) {
    gchar *uri = g_strdup_printf ("video_0-%u.m4s", (1000 + 2 * i) * 90000);
    hls_media_playlist_add_segment (pl, 500 + i, uri, 2 * SEC,
        (1000 + 2 * i) * G_USEC_PER_SEC, FALSE,
        "video_0-init-0123456789ab.mp4");
    g_free (uri);
  }
  hls_media_playlist_add_segment (pl, 503, "video_0-90900000.m4s", 2 * SEC,
      1010 * G_USEC_PER_SEC, TRUE, "video_0-init-0123456789ab.mp4");
  pl->discontinuity_sequence = 3;
  return pl;
}

static gchar *
render_state (gboolean ended)
{
  MpdModel *mpd = make_model ();
  HlsMediaPlaylist *pl = make_playlist ();
  const gchar *ids[] = { "video_0" };
  gchar *text;

  text = dash_resume_render (2 * SEC, TRUE, ended, mpd, ids, &pl, 1);
  mpd_model_free (mpd);
  hls_media_playlist_free (pl);
  return text;
}

/* The state read back renders the same MPD and playlist as the model it
 * was written from */
GST_START_TEST (test_round_trip)
{
  MpdModel *mpd = make_model ();
  HlsMediaPlaylist *pl = make_playlist ();
  gchar *text = render_state (FALSE), *again;
  DashResumeState *st;
  GError *err = NULL;
  gchar *a, *b;
  const gchar *ids[] = { "video_0" };

  st = dash_resume_parse (text, &err);
  g_assert_no_error (err);
  fail_unless (st != NULL);
  fail_unless_equals_uint64 (st->segment_duration, 2 * SEC);
  fail_unless (st->hls);
  fail_if (st->ended);
  fail_unless_equals_int (st->mpd->periods->len, 2);
  fail_unless_equals_int (st->mpd->next_period_id, 2);
  fail_unless_equals_int (dash_resume_n_segments (st), 8);
  /* the audio segment of the second period ends last */
  fail_unless_equals_uint64 (dash_resume_end (st),
      dash_ticks_to_ns (1010 * 48000 + 1024 + 96256, 48000));
  /* the playlist's last number is 503, the model's video 505 */
  fail_unless_equals_uint64 (dash_resume_next_number (st, "video_0"), 506);
  fail_unless_equals_uint64 (dash_resume_next_number (st, "audio_0"), 506);
  fail_unless_equals_uint64 (dash_resume_next_number (st, "video_9"), 0);

  a = mpd_model_render (mpd, 0, NULL);
  b = mpd_model_render (st->mpd, 0, NULL);
  fail_unless_equals_string (a, b);
  g_free (a);
  g_free (b);
  fail_unless_equals_int (st->playlists->len, 1);
  fail_unless_equals_string (g_ptr_array_index (st->playlist_ids, 0),
      "video_0");
  a = hls_media_playlist_render (pl);
  b = hls_media_playlist_render (g_ptr_array_index (st->playlists, 0));
  fail_unless_equals_string (a, b);
  fail_unless (strstr (b, "#EXT-X-DISCONTINUITY-SEQUENCE:3") != NULL);
  g_free (a);
  g_free (b);
  /* and written again, the same text */
  again = dash_resume_render (2 * SEC, TRUE, FALSE, st->mpd, ids,
      (HlsMediaPlaylist * const *) st->playlists->pdata, 1);
  fail_unless_equals_string (again, text);
  g_free (again);
  dash_resume_state_free (st);
  mpd_model_free (mpd);
  hls_media_playlist_free (pl);
  g_free (text);
}

GST_END_TEST;

/* Damaged or foreign states are refused, never half read */
GST_START_TEST (test_corrupt)
{
  gchar *text = render_state (FALSE);
  const gchar *bad[] = {
    "",
    "not a key file",
    "[presentation]\nformat=2\n",
  };
  GError *err = NULL;
  gchar *cut;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (dash_resume_parse (bad[i], &err));
    fail_unless (g_error_matches (err, DASH_RESUME_ERROR,
            DASH_RESUME_ERROR_CORRUPT));
    g_clear_error (&err);
  }
  /* a segment list cut in the middle */
  cut = g_strdup (text);
  *strstr (cut, "segments=") = '\0';
  strcat (cut, "segments=500,90000000,x;");
  fail_if (dash_resume_parse (cut, &err));
  fail_unless (err != NULL);
  g_clear_error (&err);
  g_free (cut);
  g_free (text);
}

GST_END_TEST;

static gboolean
has (GPtrArray * a, const gchar * name)
{
  guint i;

  for (i = 0; i < a->len; i++)
    if (g_str_equal (g_ptr_array_index (a, i), name))
      return TRUE;
  return FALSE;
}

/* What a run does with a directory: continue a live presentation of the
 * same configuration; refuse another configuration or an MPD without a
 * state; replace an ended one or with resume off */
GST_START_TEST (test_plan)
{
  gchar *live = render_state (FALSE), *ended = render_state (TRUE);
  const gchar *names[] = { "manifest.mpd", ".manifest.mpd.state", NULL };
  const gchar *reps_v[] = { "video_0", NULL };
  const gchar *reps_more[] = { "video_0", "audio_0", "video_1", NULL };
  DashResumePlan plan;
  GError *err = NULL;

  /* an empty directory: a new presentation */
  fail_unless (dash_resume_plan (NULL, "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_av, NULL, &plan, &err));
  fail_if (plan.state || plan.replaced);
  dash_resume_plan_clear (&plan);

  /* continued */
  fail_unless (dash_resume_plan (live, "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_av, names, &plan, &err));
  fail_unless (plan.state != NULL);
  fail_unless_equals_uint64 (plan.scan.floor_ns,
      dash_ticks_to_ns (1010 * 48000 + 1024 + 96256, 48000));
  dash_resume_plan_clear (&plan);
  /* a new representation may join */
  fail_unless (dash_resume_plan (live, "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_more, names, &plan, &err));
  fail_unless (plan.state != NULL);
  dash_resume_plan_clear (&plan);

  /* refused: another segment duration, HLS off, a representation gone */
  fail_if (dash_resume_plan (live, "manifest.mpd", TRUE, SEC, TRUE, reps_av,
          names, &plan, &err));
  fail_unless (g_error_matches (err, DASH_RESUME_ERROR,
          DASH_RESUME_ERROR_INCOMPATIBLE));
  fail_unless (strstr (err->message, "segment-duration 2000000000") != NULL);
  g_clear_error (&err);
  fail_if (dash_resume_plan (live, "manifest.mpd", TRUE, 2 * SEC, FALSE,
          reps_av, names, &plan, &err));
  fail_unless (strstr (err->message, "hls=true") != NULL);
  g_clear_error (&err);
  fail_if (dash_resume_plan (live, "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_v, names, &plan, &err));
  fail_unless (strstr (err->message, "(no audio_0)") != NULL, err->message);
  g_clear_error (&err);
  /* an MPD without a state; an unreadable state */
  fail_if (dash_resume_plan (NULL, "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_av, names, &plan, &err));
  fail_unless (g_error_matches (err, DASH_RESUME_ERROR,
          DASH_RESUME_ERROR_UNKNOWN));
  g_clear_error (&err);
  fail_if (dash_resume_plan ("garbage", "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_av, names, &plan, &err));
  fail_unless (g_error_matches (err, DASH_RESUME_ERROR,
          DASH_RESUME_ERROR_CORRUPT));
  g_clear_error (&err);

  /* replaced: ended, resume off (any configuration), no state */
  fail_unless (dash_resume_plan (ended, "manifest.mpd", TRUE, 2 * SEC, TRUE,
          reps_av, names, &plan, &err));
  fail_if (plan.state);
  fail_unless (plan.replaced != NULL);
  /* its segments are not reused: the new run starts after them */
  fail_unless_equals_uint64 (plan.scan.floor_ns,
      dash_ticks_to_ns (1010 * 48000 + 1024 + 96256, 48000));
  dash_resume_plan_clear (&plan);
  fail_unless (dash_resume_plan (live, "manifest.mpd", FALSE, SEC, FALSE,
          reps_v, names, &plan, &err));
  fail_if (plan.state);
  fail_unless (plan.replaced != NULL);
  dash_resume_plan_clear (&plan);
  fail_unless (dash_resume_plan (NULL, "manifest.mpd", FALSE, SEC, FALSE,
          reps_v, names, &plan, &err));
  fail_unless (plan.replaced != NULL);
  dash_resume_plan_clear (&plan);
  g_free (live);
  g_free (ended);
}

GST_END_TEST;

/* The directory's files: temporary ones go now, segment files no
 * manifest will list go after the first one, and the new run's media
 * time starts after every segment name on disk */
GST_START_TEST (test_scan)
{
  gchar *text = render_state (FALSE);
  DashResumeState *st = dash_resume_parse (text, NULL);
  const gchar *names[] = {
    "manifest.mpd", "master.m3u8", "video_0.m3u8", ".manifest.mpd.state",
    "video_0-init-0123456789ab.mp4",
    "video_0-90000000.m4s",     /* listed */
    "video_0-90900000.m4s",     /* listed (period 2) */
    "video_0-89820000.m4s",     /* left the window before the kill */
    "video_0-91080000.m4s",     /* published after the last manifest */
    "video_0-91260000.m4s.tmp", /* being written */
    "manifest.mpd.41.tmp", ".manifest.mpd.state.41.tmp",
    "audio_0-48481024.m4s",     /* listed (1010 s + 1024) */
    "audio_0-48000000.m4s",     /* listed */
    "video_1-5.m4s",            /* not a representation of either run */
    "other.m4s", "video_0-x.m4s",
    NULL
  };
  DashResumeScan scan;

  fail_unless (st != NULL);
  dash_resume_scan (st, TRUE, reps_av, names, &scan);
  fail_unless_equals_int (scan.temporary->len, 3);
  fail_unless (has (scan.temporary, "video_0-91260000.m4s.tmp"));
  fail_unless (has (scan.temporary, ".manifest.mpd.state.41.tmp"));
  fail_unless_equals_int (scan.orphans->len, 2);
  fail_unless (has (scan.orphans, "video_0-89820000.m4s"));
  fail_unless (has (scan.orphans, "video_0-91080000.m4s"));
  /* past the segment that was being written */
  fail_unless_equals_uint64 (scan.floor_ns,
      dash_ticks_to_ns (91260000 + 1, 90000));
  dash_resume_scan_clear (&scan);

  /* not continued: every segment of its representations goes */
  dash_resume_scan (st, FALSE, reps_av, names, &scan);
  fail_unless_equals_int (scan.orphans->len, 6);
  fail_if (has (scan.orphans, "video_1-5.m4s"));
  dash_resume_scan_clear (&scan);
  dash_resume_state_free (st);
  g_free (text);
}

GST_END_TEST;


/* A segment's bytes as the sink writes them: styp, prft, @n chunks of 10
 * video samples (3000 ticks each, 100 bytes) */
static GByteArray *
segment_bytes (guint n)
{
  GByteArray *b = g_byte_array_new ();
  CmafSample cs[10];
  guint i, k;
  guint8 payload[100] = { 0, };

  cmaf_write_styp (b);
  cmaf_write_prft (b, 1, 1000, 0, CMAF_PRFT_ENCODER_OUTPUT);
  for (i = 0; i < n; i++) {
    for (k = 0; k < 10; k++) {
      cs[k].duration = 3000;
      cs[k].size = 100;
      cs[k].flags = k == 0 && i == 0 ? CMAF_SAMPLE_FLAGS_SYNC :
          CMAF_SAMPLE_FLAGS_NON_SYNC;
      cs[k].cts_offset = 0;
    }
    cmaf_write_chunk_header (b, i + 1, 1, 90000000 + i * 30000, cs, 10);
    for (k = 0; k < 10; k++)
      g_byte_array_append (b, payload, sizeof (payload));
  }
  return b;
}

/* The complete chunks of a segment cut anywhere: their length and
 * duration; the segment continues the timeline it belongs to */
GST_START_TEST (test_complete_chunks)
{
  GByteArray *whole = segment_bytes (3), *one = segment_bytes (1),
      *two = segment_bytes (2);
  gchar *text = render_state (FALSE);
  DashResumeState *st = dash_resume_parse (text, NULL);
  guint64 d = 0;
  gsize cut;

  fail_unless_equals_int (dash_resume_complete_chunks (whole->data,
          whole->len, &d), whole->len);
  fail_unless_equals_uint64 (d, 3 * 30000);
  /* cut anywhere in the third chunk: two complete ones */
  for (cut = two->len; cut < whole->len; cut += 97) {
    fail_unless_equals_int (dash_resume_complete_chunks (whole->data, cut,
            &d), two->len);
    fail_unless_equals_uint64 (d, 2 * 30000);
  }
  /* in the first: nothing */
  fail_unless_equals_int (dash_resume_complete_chunks (whole->data,
          one->len - 1, &d), 0);
  fail_unless_equals_uint64 (d, 0);
  fail_unless_equals_int (dash_resume_complete_chunks (whole->data, 20, &d), 0);

  /* video_0's timeline ends at 1012 s: a segment from there continues
   * it, one from elsewhere does not */
  fail_if (dash_resume_adopt (st, "video_0", "video_0-91000000.m4s",
          91000000, 60000, two->len));
  fail_unless (dash_resume_adopt (st, "video_0", "video_0-91080000.m4s",
          91080000, 60000, two->len));
  fail_unless_equals_uint64 (dash_resume_next_number (st, "video_0"), 507);
  {
    HlsMediaPlaylist *pl = g_ptr_array_index (st->playlists, 0);
    gchar *r = hls_media_playlist_render (pl);
    fail_unless (g_str_has_suffix (r, "#EXTINF:0.666666,\n"
            "video_0-91080000.m4s\n"), r);
    g_free (r);
  }
  g_byte_array_unref (whole);
  g_byte_array_unref (one);
  g_byte_array_unref (two);
  dash_resume_state_free (st);
  g_free (text);
}

GST_END_TEST;

static Suite *
dashresume_suite (void)
{
  Suite *s = suite_create ("dashresume");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_corrupt);
  tcase_add_test (tc, test_plan);
  tcase_add_test (tc, test_scan);
  tcase_add_test (tc, test_complete_chunks);
  return s;
}

GST_CHECK_MAIN (dashresume);
