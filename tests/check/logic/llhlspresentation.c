/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's presentation with an embedded server at
 * low latency: the LL-HLS playlists it renders for the server beside the
 * classic files, fed by the segmenter as the element feeds it (START:
 * period and segment start, CHUNK: a part, FINISH: the last part and the
 * segment).  Every version of every served playlist is kept and checked:
 * a part URI never names two different parts (no stale parts after a
 * flush or a new period), parts of every rendition on one schedule,
 * rendition reports that match the other playlist, files without parts. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>
#include <gst/check/gstcheck.h>

#include "dashpresentation.h"
#include "segmenter.h"
#include "dashtime.h"

#define MS G_GUINT64_CONSTANT (1000000)
#define SEC (1000 * MS)
#define FRAME_NS (SEC / 30)
#define AAC_NS(i) (gst_util_uint64_scale ((i), 1024 * SEC, 48000))

typedef struct
{
  Segmenter *seg;
  DashPresentation *pres;
  SegTrack *track[3];
  DashPresRep *rep[3];
  guint n;
  guint config[3];              /* init segment version */
  GPtrArray *versions[3];       /* every served text of each playlist */
  GPtrArray *files;             /* every playlist file text */
  guint renders;                /* batches with manifests */
  guint64 next_audio;
} Mini;

static Mini *
mini_new (gboolean two_videos)
{
  Mini *m = g_new0 (Mini, 1);
  SegmenterConfig cfg = { 0, };
  DashPresentationConfig pcfg = { 0, };
  const gchar *ids[3] = { "video_0", "video_1", "audio_0" };
  guint i;

  cfg.segment_duration = 2 * SEC;
  cfg.chunk_duration = 200 * MS;
  m->seg = segmenter_new (&cfg);
  m->pres = dash_presentation_new (m->seg);
  m->n = two_videos ? 3 : 2;
  for (i = 0; i < 3; i++) {
    gboolean video = i < 2;
    guint slot = video ? i : m->n - 1;
    if (video && i == 1 && !two_videos)
      continue;
    m->track[slot] = segmenter_add_track (m->seg, video ? SEG_TRACK_VIDEO :
        SEG_TRACK_AUDIO, video ? i : 0, ids[i], NULL);
    segmenter_track_set_format (m->track[slot], video ? 90000 : 48000,
        video ? 30 : 0, 1, video ? 0 : 1024);
  }
  pcfg.segment_duration = 2 * SEC;
  pcfg.chunk_duration = 200 * MS;
  pcfg.dvr_window = 30 * SEC;
  pcfg.min_buffer_time = 2 * SEC;
  pcfg.mpd_name = "manifest.mpd";
  pcfg.hls = TRUE;
  pcfg.min_playback_rate = 0.96;
  pcfg.max_playback_rate = 1.04;
  for (i = 0; i < m->n; i++) {
    SegTrack *t = m->track[i];
    DashPresRep *r = dash_presentation_add_rep (m->pres, t->id,
        t->kind == SEG_TRACK_VIDEO ? MPD_KIND_VIDEO : MPD_KIND_AUDIO, t);
    m->rep[i] = r;
    m->versions[i] = g_ptr_array_new_with_free_func (g_free);
  }
  dash_presentation_start (m->pres, &pcfg, NULL, NULL);
  for (i = 0; i < m->n; i++) {
    DashPresRep *r = m->rep[i];
    r->codecs = g_strdup (r->kind == MPD_KIND_VIDEO ? "avc1.64001f" :
        "mp4a.40.2");
    r->timescale = m->track[i]->timescale;
    r->width = 640;
    r->height = 360;
    r->fps_n = 30;
    r->fps_d = 1;
    r->rate = 48000;
    r->channels = 2;
  }
  dash_presentation_set_served (m->pres, "http://127.0.0.1/time");
  m->files = g_ptr_array_new_with_free_func (g_free);
  return m;
}

static void
mini_free (Mini * m)
{
  guint i;

  for (i = 0; i < m->n; i++)
    g_ptr_array_free (m->versions[i], TRUE);
  g_ptr_array_free (m->files, TRUE);
  dash_presentation_free (m->pres);
  segmenter_free (m->seg);
  g_free (m);
}

static guint
slot_of (Mini * m, SegTrack * t)
{
  guint i;

  for (i = 0; i < m->n; i++)
    if (m->track[i] == t)
      return i;
  g_assert_not_reached ();
  return 0;
}

static guint
slot_of_name (Mini * m, const gchar * name)
{
  guint i;

  for (i = 0; i < m->n; i++)
    if (g_str_has_prefix (name, m->track[i]->id) &&
        name[strlen (m->track[i]->id)] == '.')
      return i;
  g_assert_not_reached ();
  return 0;
}

static void
add_part (Mini * m, DashPresRep * r, SegOp * op, DashManifests * out)
{
  DashPresPart p = { 0, };
  const SegSample *x = &g_array_index (op->samples, SegSample, 0);

  p.number = op->number;
  p.key = op->start_ticks;
  p.index = op->part;
  p.duration_ticks = op->end_ticks - x->ticks;
  p.independent = x->key;
  dash_presentation_add_part (m->pres, r, &p, out);
}

/* What the element does with the segmenter's ops, files aside */
static void
carry_out (Mini * m, GArray * ops)
{
  DashManifests out;
  guint i;

  dash_manifests_init (&out);
  for (i = 0; i < ops->len; i++) {
    SegOp *op = &g_array_index (ops, SegOp, i);
    guint slot = slot_of (m, op->track);
    DashPresRep *r = m->rep[slot];

    switch (op->kind) {
      case SEG_OP_START:
        if (r->init_name == NULL || op->new_config) {
          g_free (r->init_name);
          r->init_name = m->config[slot] == 0 ?
              g_strdup_printf ("%s-init.mp4", r->id) :
              g_strdup_printf ("%s-init-%u.mp4", r->id, m->config[slot]);
        }
        dash_presentation_enter_period (m->pres, r, op->period, op->number);
        dash_presentation_start_segment (m->pres, r, op->number, op->start_ns,
            op->discont);
        break;
      case SEG_OP_CHUNK:
        add_part (m, r, op, &out);
        break;
      case SEG_OP_FINISH:{
        DashPresSegment s = { 0, };
        if (op->samples->len > 0)
          add_part (m, r, op, &out);
        s.number = op->number;
        s.start_ns = op->start_ns;
        s.start_ticks = op->start_ticks;
        s.end_ticks = op->end_ticks;
        s.size = 1000;
        s.discont = op->discont;
        dash_presentation_add_segment (m->pres, r, &s, &out, NULL);
        break;
      }
      default:
        break;
    }
    seg_op_clear (m->seg, op);
  }
  g_array_set_size (ops, 0);
  for (i = 0; i < out.playlists->len; i++) {
    DashServedPlaylist *p = g_ptr_array_index (out.playlists, i);
    g_ptr_array_add (m->versions[slot_of_name (m, p->name)],
        g_strdup (p->text));
  }
  for (i = 0; i < out.names->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (out.names, i), ".m3u8"))
      g_ptr_array_add (m->files, g_strdup (g_ptr_array_index (out.texts, i)));
  if (out.names->len > 0)
    m->renders++;
  dash_manifests_clear (&out);
}

static void
push (Mini * m, guint slot, guint64 dec_ns, gboolean key)
{
  GArray *ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
  SegTrack *t = m->track[slot];
  SegSample x = { 0, };

  x.dec_ns = dec_ns;
  x.ticks = dash_ns_to_ticks (dec_ns, t->timescale);
  x.key = key;
  segmenter_push (m->seg, t, &x, ops);
  carry_out (m, ops);
  g_array_free (ops, TRUE);
}

/* video frames [@from, @to) (a keyframe every 2 s), the audio with them */
static void
push_av (Mini * m, guint from, guint to, guint64 offset)
{
  guint i, v;

  for (i = from; i < to; i++) {
    for (v = 0; v + 1 < m->n; v++)
      push (m, v, offset + i * FRAME_NS, i % 60 == 0);
    while (AAC_NS (m->next_audio) < (i + 1) * FRAME_NS)
      push (m, m->n - 1, offset + AAC_NS (m->next_audio++), TRUE);
  }
}

static gchar *
last_version (Mini * m, guint slot)
{
  GPtrArray *v = m->versions[slot];
  fail_unless (v->len > 0, "no served playlist for %s", m->track[slot]->id);
  return g_ptr_array_index (v, v->len - 1);
}

/* Every part URI of every served version: never two different durations
 * or independence for one URI */
static void
check_no_stale_parts (Mini * m, guint slot)
{
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  guint i;

  for (i = 0; i < m->versions[slot]->len; i++) {
    gchar **lines = g_strsplit (g_ptr_array_index (m->versions[slot], i),
        "\n", -1);
    gchar **l;
    for (l = lines; *l; l++) {
      const gchar *uri;
      gchar *key, *before;
      if (!g_str_has_prefix (*l, "#EXT-X-PART:"))
        continue;
      uri = strstr (*l, "URI=\"");
      fail_unless (uri != NULL);
      key = g_strndup (uri + 5, strchr (uri + 5, '"') - uri - 5);
      before = g_hash_table_lookup (seen, key);
      fail_unless (before == NULL || g_str_equal (before, *l),
          "%s listed as '%s' and as '%s'", key, before, *l);
      g_hash_table_replace (seen, key, g_strdup (*l));
    }
    g_strfreev (lines);
  }
  g_hash_table_unref (seen);
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

/* The last part listed in @text: "LAST-MSN=n,LAST-PART=k" (parts are
 * named after their segment's start, not its number: its number is the
 * media sequence plus the complete segments listed before it) */
static gchar *
last_part_of (const gchar * text)
{
  const gchar *p = text, *last = NULL, *q;
  guint64 msn;
  guint k;

  while ((p = strstr (p, "#EXT-X-PART:")))
    last = p++;
  fail_unless (last != NULL);
  q = strstr (text, "#EXT-X-MEDIA-SEQUENCE:");
  fail_unless (q != NULL);
  msn = g_ascii_strtoull (q + strlen ("#EXT-X-MEDIA-SEQUENCE:"), NULL, 10);
  for (q = strstr (text, "#EXTINF:"); q && q < last; q = strstr (q + 1,
          "#EXTINF:"))
    msn++;
  last = strstr (last, "URI=\"");
  q = strchr (last + 5, '"');
  /* ...-<key>.<k>.m4s */
  while (q > last && q[-1] != '.')
    q--;
  q--;
  while (q > last && q[-1] != '.')
    q--;
  k = (guint) g_ascii_strtoull (q, NULL, 10);
  return g_strdup_printf ("LAST-MSN=%" G_GUINT64_FORMAT ",LAST-PART=%u", msn,
      k);
}

/* Low latency with a server: every playlist has an LL-HLS variant for
 * the server (parts, hint, server control, reports), the files stay
 * classic; video and audio list the same parts per segment */
GST_START_TEST (test_served_playlists)
{
  Mini *m = mini_new (TRUE);
  DashPresentationStats st;
  gchar *v0, *v1, *a0, *report;
  guint i, n;

  /* nothing served before the manifests were rendered once */
  push_av (m, 0, 30, 0);
  for (i = 0; i < m->n; i++)
    fail_unless_equals_int (m->versions[i]->len, 0);
  push_av (m, 30, 30 * 13, 0);
  fail_unless (m->renders >= 5);
  v0 = last_version (m, 0);
  v1 = last_version (m, 1);
  a0 = last_version (m, 2);
  for (i = 0; i < m->n; i++) {
    const gchar *t = last_version (m, i);
    fail_unless (strstr (t, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
            "CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=1.000000\n") != NULL, "%s", t);
    /* 10 AAC frames + 2 ms */
    fail_unless (strstr (t, "#EXT-X-PART-INF:PART-TARGET=0.215334\n") != NULL);
    fail_unless (strstr (t, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"") != NULL);
    check_no_stale_parts (m, i);
  }
  /* 10 parts per segment in every playlist (the segments from 6 and 8 s;
   * parts named after their segment's start: its first frame) */
  for (n = 3; n <= 4; n++) {
    gchar *v = g_strdup_printf ("URI=\"video_0-%u.", n * 2 * 90000);
    gchar *a = g_strdup_printf ("URI=\"audio_0-%u.",
        (n * 2 * 48000 + 1023) / 1024 * 1024);
    fail_unless_equals_int (count (v0, v), 10);
    fail_unless_equals_int (count (a0, a), 10);
    g_free (v);
    g_free (a);
  }
  /* video_0's report in video_1's playlist is video_0's last part (it was
   * rendered after video_0's, in the same decode step) */
  report = last_part_of (v0);
  fail_unless (strstr (v1, report) != NULL, "%s not in %s", report, v1);
  g_free (report);
  fail_unless (strstr (v0, "#EXT-X-RENDITION-REPORT:URI=\"video_1.m3u8\"")
      != NULL);
  fail_if (strstr (v0, "audio_0.m3u8"));
  fail_if (strstr (a0, "RENDITION-REPORT"));
  /* the files: classic */
  for (i = 0; i < m->files->len; i++) {
    const gchar *f = g_ptr_array_index (m->files, i);
    fail_if (strstr (f, "PART"));
    fail_if (strstr (f, "SERVER-CONTROL"));
  }
  dash_presentation_get_stats (m->pres, &st);
  fail_unless_equals_uint64 (st.hls_part_target, AAC_NS (10) + 2 * MS);
  fail_unless_equals_uint64 (st.hls_part_hold_back, SEC);
  fail_unless (st.hls_parts >= 3 * 60);
  mini_free (m);
}

GST_END_TEST;

/* A flush (a sender reconnecting) after parts of a segment were listed
 * ends that segment with them; the next one starts after a discontinuity
 * and its parts have other names: no part URI ever names other media */
GST_START_TEST (test_no_stale_parts_after_flush)
{
  Mini *m = mini_new (FALSE);
  GArray *ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
  const gchar *v;
  guint i;

  push_av (m, 0, 30 * 7, 0);
  /* the segment from 6 s (540000) has its first parts listed: 6.0..6.x s */
  for (i = 0; i < m->n; i++) {
    segmenter_flush (m->seg, m->track[i], ops);
    carry_out (m, ops);
  }
  v = last_version (m, 0);
  /* that segment complete with the parts it had, the hint now for the
   * next one's first (named after where it would start) */
  fail_unless (strstr (v, "video_0-540000.m4s\n") != NULL, "%s", v);
  fail_unless (strstr (v, "PRELOAD-HINT:TYPE=PART,URI=\"video_0-") != NULL);
  fail_if (strstr (v, "PRELOAD-HINT:TYPE=PART,URI=\"video_0-540000."));
  /* the sender comes back 3 s later */
  m->next_audio = 0;
  push_av (m, 0, 30 * 7, 10 * SEC);
  v = last_version (m, 0);
  fail_unless (strstr (v, "#EXT-X-DISCONTINUITY\n") != NULL);
  /* the next segment starts at 10 s */
  fail_unless (strstr (v, "video_0-900000.m4s\n") != NULL, "%s", v);
  for (i = 0; i < m->n; i++)
    check_no_stale_parts (m, i);
  g_array_free (ops, TRUE);
  mini_free (m);
}

GST_END_TEST;

/* A new period (format change): the first part of its first segment
 * follows an EXT-X-DISCONTINUITY and the new EXT-X-MAP, in every
 * version that lists it */
GST_START_TEST (test_new_period_parts)
{
  Mini *m = mini_new (FALSE);
  guint i, seen = 0;

  push_av (m, 0, 30 * 7, 0);
  m->config[0] = 1;
  segmenter_track_format_changed (m->seg, m->track[0]);
  push_av (m, 30 * 7, 30 * 12, 0);
  for (i = 0; i < m->versions[0]->len; i++) {
    const gchar *t = g_ptr_array_index (m->versions[0], i);
    /* the new period's first segment: from 8 s */
    const gchar *p = strstr (t, "URI=\"video_0-720000.0.m4s\",INDEPENDENT");
    if (p == NULL)
      continue;
    seen++;
    fail_unless (strstr (t, "#EXT-X-DISCONTINUITY\n"
            "#EXT-X-MAP:URI=\"video_0-init-1.mp4\"\n"
            "#EXT-X-PROGRAM-DATE-TIME:") != NULL, "%s", t);
    fail_unless (strstr (t, "#EXT-X-MAP:URI=\"video_0-init-1.mp4\"") < p);
  }
  fail_unless (seen > 5);
  for (i = 0; i < m->n; i++)
    check_no_stale_parts (m, i);
  mini_free (m);
}

GST_END_TEST;

static Suite *
llhlspresentation_suite (void)
{
  Suite *s = suite_create ("llhlspresentation");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_served_playlists);
  tcase_add_test (tc, test_no_stale_parts_after_flush);
  tcase_add_test (tc, test_new_period_parts);
  return s;
}

GST_CHECK_MAIN (llhlspresentation);
