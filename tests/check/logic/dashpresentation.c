/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's presentation: what the manifests list,
 * driven by the segmenter as the element drives it (START enters a
 * period, FINISH records a segment), without files. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "dashpresentation.h"
#include "dashresume.h"
#include "dashtime.h"

#define MS G_GUINT64_CONSTANT (1000000)
#define SEC (1000 * MS)
#define FRAME_NS (SEC / 30)
#define AAC_NS(i) (gst_util_uint64_scale ((i), 1024 * SEC, 48000))

typedef struct
{
  Segmenter *seg;
  DashPresentation *pres;
  SegTrack *vt, *at;
  DashPresRep *v, *a;
  DashManifests out;
  /* every served / file MPD rendered, in order */
  GPtrArray *served, *files;
  guint deleted;                /* segments deleted */
  GArray *ops;
  gchar *state;                 /* the latest resume state rendered */
} Pres;

static Pres *
pres_new (guint64 seg_dur, guint64 chunk_dur, guint64 dvr, gboolean served)
{
  Pres *p = g_new0 (Pres, 1);
  SegmenterConfig sc = { 0, };
  DashPresentationConfig pc = { 0, };

  sc.segment_duration = seg_dur;
  sc.chunk_duration = chunk_dur;
  p->seg = segmenter_new (&sc);
  p->pres = dash_presentation_new (p->seg);
  p->vt = segmenter_add_track (p->seg, SEG_TRACK_VIDEO, 0, "video_0", NULL);
  p->at = segmenter_add_track (p->seg, SEG_TRACK_AUDIO, 0, "audio_0", NULL);
  segmenter_track_set_format (p->vt, 90000, 30, 1, 0);
  segmenter_track_set_format (p->at, 48000, 0, 1, 1024);
  p->v = dash_presentation_add_rep (p->pres, "video_0", MPD_KIND_VIDEO, p->vt);
  p->a = dash_presentation_add_rep (p->pres, "audio_0", MPD_KIND_AUDIO, p->at);
  p->vt->user_data = p->v;
  p->at->user_data = p->a;
  pc.segment_duration = seg_dur;
  pc.chunk_duration = chunk_dur;
  pc.dvr_window = dvr;
  pc.min_buffer_time = 2 * SEC;
  pc.mpd_name = "manifest.mpd";
  pc.hls = TRUE;
  pc.min_playback_rate = 0.96;
  pc.max_playback_rate = 1.04;
  dash_presentation_start (p->pres, &pc, NULL, NULL);
  if (served)
    dash_presentation_set_served (p->pres, "http://127.0.0.1:1/time");
  p->v->codecs = g_strdup ("avc1.64001f");
  p->v->timescale = 90000;
  p->v->width = 640;
  p->v->height = 360;
  p->v->fps_n = 30;
  p->v->fps_d = 1;
  p->a->codecs = g_strdup ("mp4a.40.2");
  p->a->timescale = 48000;
  p->a->rate = 48000;
  p->a->channels = 2;
  p->v->init_name = g_strdup ("video_0-init.mp4");
  p->a->init_name = g_strdup ("audio_0-init.mp4");
  p->served = g_ptr_array_new_with_free_func (g_free);
  p->files = g_ptr_array_new_with_free_func (g_free);
  p->ops = g_array_new (FALSE, TRUE, sizeof (SegOp));
  dash_manifests_init (&p->out);
  return p;
}

static void
pres_free (Pres * p)
{
  dash_manifests_clear (&p->out);
  g_free (p->state);
  g_array_free (p->ops, TRUE);
  g_ptr_array_free (p->served, TRUE);
  g_ptr_array_free (p->files, TRUE);
  dash_presentation_free (p->pres);
  segmenter_free (p->seg);
  g_free (p);
}

/* The first S@t of the last Period's Representation @id in @mpd */
static guint64
first_t (const gchar * mpd, const gchar * id)
{
  gchar *key = g_strdup_printf ("<Representation id=\"%s\"", id);
  const gchar *p = mpd, *q;

  while ((q = strstr (p, key)))
    p = q + 1;
  g_free (key);
  fail_unless (p != mpd);
  p = strstr (p, "<S t=\"");
  fail_unless (p != NULL);
  return g_ascii_strtoull (p + strlen ("<S t=\""), NULL, 10);
}

/* Records the segmenter's ops as the element does (after its writes) */
static void
record (Pres * p)
{
  guint i;

  for (i = 0; i < p->ops->len; i++) {
    SegOp *op = &g_array_index (p->ops, SegOp, i);
    DashPresRep *r = op->track->user_data;
    DashPresSegment s = { 0, };
    GError *err = NULL;

    if (op->kind == SEG_OP_START) {
      dash_presentation_enter_period (p->pres, r, op->period, op->number);
    } else if (op->kind == SEG_OP_FINISH) {
      s.number = op->number;
      s.start_ns = op->start_ns;
      s.start_ticks = op->start_ticks;
      s.end_ticks = op->end_ticks;
      s.size = 1000;
      s.discont = op->discont;
      dash_presentation_add_segment (p->pres, r, &s, &p->out, &err);
      g_assert_no_error (err);
    }
    seg_op_clear (p->seg, op);
  }
  g_array_set_size (p->ops, 0);
  /* a segment is deleted only with (or after) an MPD that no longer
   * lists it: the first S@t of its representation is later than its
   * name's */
  for (i = 0; i < p->out.deletes->len; i++) {
    const gchar *name = g_ptr_array_index (p->out.deletes, i);
    const gchar *mpd;
    gchar *rep = g_strndup (name, strrchr (name, '-') - name);
    guint64 t = g_ascii_strtoull (strrchr (name, '-') + 1, NULL, 10);

    fail_unless (p->files->len > 0 || p->out.names->len > 0);
    mpd = p->out.names->len > 0 ? g_ptr_array_index (p->out.texts, 0) :
        g_ptr_array_index (p->files, p->files->len - 1);
    fail_unless (first_t (mpd, rep) > t, "%s deleted while listed", name);
    g_free (rep);
    p->deleted++;
  }
  /* what would be written now */
  if (p->out.state) {
    g_free (p->state);
    p->state = g_steal_pointer (&p->out.state);
  }
  for (i = 0; i < p->out.names->len; i++) {
    if (!g_str_equal (g_ptr_array_index (p->out.names, i), "manifest.mpd"))
      continue;
    g_ptr_array_add (p->files, g_strdup (g_ptr_array_index (p->out.texts, i)));
    if (g_ptr_array_index (p->out.served, i))
      g_ptr_array_add (p->served,
          g_strdup (g_ptr_array_index (p->out.served, i)));
  }
  dash_manifests_clear (&p->out);
  dash_manifests_init (&p->out);
}

static void
push (Pres * p, SegTrack * t, guint64 dec_ns, gboolean key)
{
  SegSample x = { 0, };

  x.dec_ns = dec_ns;
  x.ticks = dash_ns_to_ticks (dec_ns, t->timescale);
  x.key = key;
  segmenter_push (p->seg, t, &x, p->ops);
  record (p);
}

/* @secs of A/V in decode order; video shifted by @video_off ns (so that
 * an AAC frame may start just before a keyframe) */
static void
push_av_range (Pres * p, guint from, guint to, guint64 video_off)
{
  guint i, aidx = 0;

  while (AAC_NS (aidx) < from * FRAME_NS + video_off)
    aidx++;
  for (i = from; i < to; i++) {
    push (p, p->vt, i * FRAME_NS + video_off, i % 30 == 0);
    while (AAC_NS (aidx) < (i + 1) * FRAME_NS + video_off)
      push (p, p->at, AAC_NS (aidx++), TRUE);
  }
}

static void
push_av (Pres * p, guint frames, guint64 video_off)
{
  push_av_range (p, 0, frames, video_off);
}

/* How many segments the SegmentTimeline of @id lists (and announces) in
 * @mpd, and where the last one ends (ns) */
static guint64
timeline_end (const gchar * mpd, const gchar * id, guint * count)
{
  gchar *key = g_strdup_printf ("<Representation id=\"%s\"", id);
  const gchar *p = strstr (mpd, key), *stop;
  guint64 ts, t = 0;
  guint n = 0;

  g_free (key);
  fail_unless (p != NULL);
  p = strstr (p, "timescale=\"");
  ts = g_ascii_strtoull (p + strlen ("timescale=\""), NULL, 10);
  stop = strstr (p, "</SegmentTimeline>");
  fail_unless (p != NULL && stop != NULL);
  while ((p = strstr (p, "<S ")) && p < stop) {
    const gchar *e = strstr (p, "/>"), *r = strstr (p, " r=\""),
        *ta = strstr (p, " t=\""), *da = strstr (p, " d=\"");
    guint64 reps = 1 + ((r && r < e) ? g_ascii_strtoull (r + 4, NULL, 10) : 0);
    if (ta && ta < e)
      t = g_ascii_strtoull (ta + 4, NULL, 10);
    t += reps * g_ascii_strtoull (da + 4, NULL, 10);
    n += reps;
    p = e;
  }
  if (count)
    *count = n;
  return dash_ticks_to_ns (t, ts);
}

/* Low latency: every served MPD announces video and audio up to the same
 * segment, also when it is rendered between the video segment that ends a
 * round and the audio one: with a DVR window the audio segment that
 * leaves it forces a render at the video's publication whenever an AAC
 * frame starts just before a keyframe (it ends the audio segment before
 * the video one).  A player holding an MPD that lists audio one segment
 * short stalls until its next reload (docs/notes-ll-stalls.md). */
GST_START_TEST (test_ll_announced_together)
{
  Pres *p = pres_new (SEC, 200 * MS, 9 * SEC, TRUE);
  guint i, compared = 0;

  /* video 50 us late: every 8th keyframe an AAC frame starts 50 us
   * before it (1024/48000 s and 1/30 s meet every 8 s) */
  push_av (p, 30 * 26, 50 * G_GUINT64_CONSTANT (1000));
  fail_unless (p->served->len > 20);
  for (i = 0; i < p->served->len; i++) {
    const gchar *mpd = g_ptr_array_index (p->served, i);
    if (strstr (mpd, "<Representation id=\"audio_0\"") == NULL ||
        strstr (mpd, "<Representation id=\"video_0\"") == NULL)
      continue;
    /* (within an AAC frame) */
    fail_unless (ABS ((gint64) timeline_end (mpd, "audio_0", NULL) -
            (gint64) timeline_end (mpd, "video_0", NULL)) < (gint64) (22 * MS));
    compared++;
  }
  fail_unless (compared > 20);
  pres_free (p);
}

GST_END_TEST;

/* The file MPD lists complete segments only and no low-latency
 * signalling; the served one announces what is being written. */
GST_START_TEST (test_file_and_served)
{
  Pres *p = pres_new (SEC, 200 * MS, 0, TRUE);
  guint i;

  push_av (p, 30 * 6, 0);
  fail_unless (p->files->len > 3);
  fail_unless_equals_int (p->files->len, p->served->len);
  for (i = 0; i < p->files->len; i++) {
    const gchar *file = g_ptr_array_index (p->files, i);
    const gchar *served = g_ptr_array_index (p->served, i);
    fail_if (strstr (file, "availabilityTimeOffset"));
    fail_if (strstr (file, "ServiceDescription"));
    fail_if (strstr (file, "127.0.0.1:1/time"));
    fail_unless (strstr (served, "availabilityTimeOffset"));
    fail_unless (strstr (served, "127.0.0.1:1/time"));
    /* the served MPD announces DASH_MAX_AHEAD segments the file does not */
    {
      guint ns, nf;
      timeline_end (served, "video_0", &ns);
      timeline_end (file, "video_0", &nf);
      fail_unless_equals_int (ns, nf + DASH_MAX_AHEAD);
    }
  }
  pres_free (p);
}

GST_END_TEST;

/* Without a server there is one MPD: the file, complete segments only */
GST_START_TEST (test_not_served)
{
  Pres *p = pres_new (SEC, 200 * MS, 0, FALSE);

  push_av (p, 30 * 4, 0);
  fail_unless (p->files->len > 1);
  fail_unless_equals_int (p->served->len, 0);
  pres_free (p);
}

GST_END_TEST;

/* Segments that leave the DVR window are deleted one segment later, and
 * only with a render that no longer lists them */
GST_START_TEST (test_dvr_deletes)
{
  Pres *p = pres_new (SEC, 0, 3 * SEC, FALSE);
  const gchar *mpd;

  push_av (p, 30 * 10, 0);
  /* 10 s, 3 s window, deleted one segment late: 4-5 of each track */
  fail_unless (p->deleted >= 2 * 4, "%u deleted", p->deleted);
  mpd = g_ptr_array_index (p->files, p->files->len - 1);
  fail_unless (strstr (mpd, "timeShiftBufferDepth=\"PT3S\""));
  fail_unless (first_t (mpd, "video_0") >= 4 * 90000);
  pres_free (p);
}

GST_END_TEST;

/* The SegmentTimelines of Period @id in @mpd, concatenated (a new
 * string; NULL if the MPD has no such Period) */
static gchar *
period_timelines (const gchar * mpd, const gchar * id)
{
  gchar *key = g_strdup_printf ("<Period id=\"%s\"", id);
  const gchar *p = strstr (mpd, key), *end;
  GString *out;

  g_free (key);
  if (p == NULL)
    return NULL;
  end = strstr (p + 1, "<Period ");
  if (end == NULL)
    end = p + strlen (p);
  out = g_string_new (NULL);
  while ((p = strstr (p, "<SegmentTimeline>")) && p < end) {
    const gchar *e = strstr (p, "</SegmentTimeline>");
    g_string_append_len (out, p, e - p);
    p = e;
  }
  return g_string_free (out, FALSE);
}

/* Low latency across a format change: the segments announced ahead (in
 * progress, next) belong to the live edge, the last Period. An earlier
 * Period lists what it holds, as the file MPD does: announcing there
 * too made the old Period run past the new one's start (segment numbers
 * listed in both with different durations), and dash.js stopped at the
 * Period boundary for good. */
GST_START_TEST (test_ll_ahead_in_last_period_only)
{
  Pres *p = pres_new (SEC, 200 * MS, 0, TRUE);
  guint i, compared = 0;

  push_av_range (p, 0, 30 * 3 + 15, 0);
  segmenter_track_format_changed (p->seg, p->vt);
  push_av_range (p, 30 * 3 + 15, 30 * 8, 0);
  fail_unless_equals_int (segmenter_n_periods (p->seg), 2);
  for (i = 0; i < p->served->len; i++) {
    gchar *served = period_timelines (g_ptr_array_index (p->served, i), "p0");
    gchar *file = period_timelines (g_ptr_array_index (p->files, i), "p0");
    gchar *live = period_timelines (g_ptr_array_index (p->served, i), "p1");

    if (live != NULL) {
      fail_unless_equals_string (served, file);
      compared++;
    }
    g_free (served);
    g_free (file);
    g_free (live);
  }
  fail_unless (compared >= 3, "%u MPDs with two Periods", compared);
  pres_free (p);
}

GST_END_TEST;

/* A new Period reaches the MPDs with every representation of the one
 * before: the video enters it at its keyframe, the audio at its next cut
 * a little later; an MPD rendered in between listed a video-only Period,
 * and dash.js, which prepares the next Period as soon as it sees it,
 * played it without audio sources and stalled for good. */
GST_START_TEST (test_new_period_listed_complete)
{
  Pres *p = pres_new (SEC, 200 * MS, 0, TRUE);
  guint i, k, listed = 0, hidden = 0;

  /* video 50 us late: audio cuts after it */
  push_av_range (p, 0, 30 * 3 + 15, 50 * G_GUINT64_CONSTANT (1000));
  segmenter_track_format_changed (p->seg, p->vt);
  push_av_range (p, 30 * 3 + 15, 30 * 8, 50 * G_GUINT64_CONSTANT (1000));
  fail_unless_equals_int (segmenter_n_periods (p->seg), 2);
  for (k = 0; k < 2; k++) {
    GPtrArray *mpds = k ? p->files : p->served;
    for (i = 0; i < mpds->len; i++) {
      const gchar *mpd = g_ptr_array_index (mpds, i);
      const gchar *p1 = strstr (mpd, "<Period id=\"p1\"");

      if (p1 == NULL) {
        hidden++;
        continue;
      }
      fail_unless (strstr (p1, "<Representation id=\"video_0\""), "%s",
          mpd);
      fail_unless (strstr (p1, "<Representation id=\"audio_0\""), "%s",
          mpd);
      listed++;
    }
  }
  fail_unless (listed >= 6, "%u MPDs list Period p1", listed);
  fail_unless (hidden >= 6, "%u MPDs before it", hidden);
  pres_free (p);
}

GST_END_TEST;

/* The text of file @name in @m, NULL if @m has none */
static const gchar *
manifest_text (DashManifests * m, const gchar * name)
{
  guint i;

  for (i = 0; i < m->names->len; i++)
    if (g_str_equal (g_ptr_array_index (m->names, i), name))
      return g_ptr_array_index (m->texts, i);
  return NULL;
}

/* A restarted run renders what the killed run left, with the segment
 * adopted from it (the complete chunks of the one it was writing), before
 * its own first segment: players play on up to where the killed run
 * stopped instead of stalling there until the new run's first segment
 * (issue 19: the restart test's viewers stalled twice, once at the end of
 * the last manifest's segments and once after the adopted one). */
GST_START_TEST (test_resumed_renders_adopted)
{
  Pres *p = pres_new (SEC, 0, 0, FALSE);
  DashPresentationConfig pc = { 0, };
  DashManifests m;
  DashResumeState *st, *again;
  MpdRepresentation *r = NULL;
  const MpdSegment *last;
  const gchar *mpd, *pl;
  GError *err = NULL;
  guint i, before;
  guint64 end;
  MpdPeriod *period;

  push_av (p, 30 * 4 + 10, 0);
  fail_unless (p->state != NULL);
  st = dash_resume_parse (p->state, &err);
  g_assert_no_error (err);
  before = dash_resume_n_segments (st);
  period = mpd_model_last_period (st->mpd);
  for (i = 0; i < period->reps->len; i++)
    if (g_str_equal (((MpdRepresentation *) g_ptr_array_index (period->reps,
                    i))->id, "video_0"))
      r = g_ptr_array_index (period->reps, i);
  fail_unless (r != NULL && r->segments->len > 0);
  last = &g_array_index (r->segments, MpdSegment, r->segments->len - 1);
  end = last->t + last->d + 45000;
  fail_unless (dash_resume_adopt (st, "video_0", "video_0-x.m4s",
          last->t + last->d, 45000, 5000));

  /* the run that follows, before any segment of its own */
  pc.segment_duration = SEC;
  pc.min_buffer_time = 2 * SEC;
  pc.mpd_name = "manifest.mpd";
  pc.hls = TRUE;
  dash_presentation_start (p->pres, &pc, st, NULL);
  dash_manifests_init (&m);
  dash_presentation_render_restored (p->pres, &m);
  mpd = manifest_text (&m, "manifest.mpd");
  fail_unless (mpd != NULL);
  fail_unless_equals_uint64 (timeline_end (mpd, "video_0", NULL),
      dash_ticks_to_ns (end, 90000));
  fail_unless (strstr (mpd, "type=\"dynamic\""), "%s", mpd);
  pl = manifest_text (&m, "video_0.m3u8");
  fail_unless (pl != NULL && strstr (pl, "video_0-x.m4s"), "%s", pl);
  fail_if (strstr (pl, "#EXT-X-ENDLIST"), "%s", pl);
  fail_unless (manifest_text (&m, "audio_0.m3u8") != NULL);
  /* the state lists at least what the MPD lists */
  fail_unless (m.state != NULL);
  again = dash_resume_parse (m.state, &err);
  g_assert_no_error (err);
  fail_unless_equals_int (dash_resume_n_segments (again), before + 1);
  fail_unless (dash_resume_next_number (again, "audio_0") > 0);
  dash_resume_state_free (again);
  dash_manifests_clear (&m);
  dash_resume_state_free (st);

  /* the same before any representation of the run exists (pads requested
   * later): the playlists and the state keep what the previous run left */
  st = dash_resume_parse (p->state, &err);
  g_assert_no_error (err);
  {
    DashPresentation *q = dash_presentation_new (p->seg);

    dash_presentation_start (q, &pc, st, NULL);
    dash_manifests_init (&m);
    dash_presentation_render_restored (q, &m);
    fail_unless (manifest_text (&m, "video_0.m3u8") != NULL);
    fail_unless (manifest_text (&m, "audio_0.m3u8") != NULL);
    again = dash_resume_parse (m.state, &err);
    g_assert_no_error (err);
    fail_unless_equals_int (dash_resume_n_segments (again), before);
    fail_unless (dash_resume_next_number (again, "video_0") > 0);
    fail_unless (dash_resume_next_number (again, "audio_0") > 0);
    dash_resume_state_free (again);
    dash_manifests_clear (&m);
    dash_presentation_free (q);
  }
  dash_resume_state_free (st);
  pres_free (p);
}

GST_END_TEST;

static Suite *
dashpresentation_suite (void)
{
  Suite *s = suite_create ("dashpresentation");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ll_announced_together);
  tcase_add_test (tc, test_file_and_served);
  tcase_add_test (tc, test_not_served);
  tcase_add_test (tc, test_dvr_deletes);
  tcase_add_test (tc, test_ll_ahead_in_last_period_only);
  tcase_add_test (tc, test_new_period_listed_complete);
  tcase_add_test (tc, test_resumed_renders_adopted);
  return s;
}

GST_CHECK_MAIN (dashpresentation);
