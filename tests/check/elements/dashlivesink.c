/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink with GstHarness: synthetic H.264/AAC access units (the
 * sink never decodes them), files checked on disk. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "cmafwriter.h"

static const guint8 avcc[] = {
  0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f,
  0x01, 0x00, 0x02, 0x68, 0xee
};

static const guint8 avcc2[] = {
  0x01, 0x4d, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x4d, 0x00, 0x28,
  0x01, 0x00, 0x02, 0x68, 0xef
};

static const guint8 asc[] = { 0x11, 0x90 };

#define FRAME (GST_SECOND / 30)
#define AAC_FRAME (gst_util_uint64_scale (1024, GST_SECOND, 48000))

typedef struct
{
  GstElement *sink;
  GstHarness *v, *a;
  GstBus *bus;
  gchar *dir;
} Fixture;

static GstCaps *
video_caps (const guint8 * cd, gsize cd_size, gint width)
{
  GstBuffer *b = gst_buffer_new_memdup (cd, cd_size);
  GstCaps *caps = gst_caps_new_simple ("video/x-h264",
      "stream-format", G_TYPE_STRING, "avc",
      "alignment", G_TYPE_STRING, "au",
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, 360,
      "framerate", GST_TYPE_FRACTION, 30, 1,
      "codec_data", GST_TYPE_BUFFER, b, NULL);
  gst_buffer_unref (b);
  return caps;
}

static GstCaps *
audio_caps (void)
{
  GstBuffer *b = gst_buffer_new_memdup (asc, sizeof (asc));
  GstCaps *caps = gst_caps_new_simple ("audio/mpeg",
      "mpegversion", G_TYPE_INT, 4, "stream-format", G_TYPE_STRING, "raw",
      "rate", G_TYPE_INT, 48000, "channels", G_TYPE_INT, 2,
      "codec_data", GST_TYPE_BUFFER, b, NULL);
  gst_buffer_unref (b);
  return caps;
}

/* In @dir (NULL: a new temporary one).  The media timeline is the
 * buffers' clock time (the harness' base time is 0): segment names are
 * the test's timestamps, unless @props says timeline=wall-clock. */
static void
fixture_setup_in (Fixture * f, const gchar * dir, gboolean audio,
    const gchar * props)
{
  /* (a restart in the same directory: the stopped run's copy goes) */
  gchar *old = f->dir;

  f->dir = dir ? g_strdup (dir) : g_dir_make_tmp ("dashlivesink-XXXXXX", NULL);
  g_free (old);
  fail_unless (f->dir != NULL);
  f->sink = gst_element_factory_make ("dashlivesink", NULL);
  fail_unless (f->sink != NULL);
  /* the harness pushes much faster than real time: one manifest write per
   * segment round unless a test asks for coalescing */
  g_object_set (f->sink, "location", f->dir, "segment-duration", GST_SECOND,
      "manifest-min-interval", (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (f->sink), "timeline", "clock");
  if (props) {
    gchar **kv = g_strsplit (props, " ", -1);
    guint i;
    for (i = 0; kv[i]; i++) {
      gchar **p = g_strsplit (kv[i], "=", 2);
      gst_util_set_object_arg (G_OBJECT (f->sink), p[0], p[1]);
      g_strfreev (p);
    }
    g_strfreev (kv);
  }
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->sink, f->bus);
  /* every pad before the harness starts the sink (a resumed run checks
   * them against the previous one's) */
  if (audio)
    gst_object_unref (gst_element_request_pad_simple (f->sink, "audio_0"));
  f->v = gst_harness_new_with_element (f->sink, "video_0", NULL);
  gst_harness_set_src_caps (f->v, video_caps (avcc, sizeof (avcc), 640));
  if (audio) {
    f->a = gst_harness_new_with_element (f->sink, "audio_0", NULL);
    gst_harness_set_src_caps (f->a, audio_caps ());
  }
}

static void
fixture_setup (Fixture * f, gboolean audio, const gchar * props)
{
  fixture_setup_in (f, NULL, audio, props);
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;

  if (d == NULL)
    return;
  while ((n = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, n, NULL);
    g_unlink (p);
    g_free (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

/* Stops the sink (as a kill would: no EOS), the directory stays */
static void
fixture_stop (Fixture * f)
{
  if (f->a)
    gst_harness_teardown (f->a);
  gst_harness_teardown (f->v);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
  gst_object_unref (f->sink);
  f->a = f->v = NULL;
}

static void
fixture_teardown (Fixture * f)
{
  fixture_stop (f);
  remove_dir (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

/* The file of the @k-th segment (from 1, the one starting at k - 1
 * seconds of the test's media time) of video_0 / audio_0 on a clock
 * timeline with 1 s segments */
static gchar *
vname (guint k)
{
  return g_strdup_printf ("video_0-%" G_GUINT64_FORMAT ".m4s",
      (guint64) (k - 1) * 90000);
}

static gchar *
aname (guint k)
{
  /* the first AAC frame at or after the boundary */
  guint64 frames = ((guint64) (k - 1) * 48000 + 1023) / 1024;
  return g_strdup_printf ("audio_0-%" G_GUINT64_FORMAT ".m4s", frames * 1024);
}

static GstFlowReturn
push_video (Fixture * f, guint i, gboolean key, GstClockTime offset)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, key ? 3000 : 500, NULL);
  gst_buffer_memset (b, 0, i & 0xff, gst_buffer_get_size (b));
  GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = offset + i * FRAME;
  GST_BUFFER_DURATION (b) = FRAME;
  if (!key)
    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
  return gst_harness_push (f->v, b);
}

static GstFlowReturn
push_audio (Fixture * f, guint i, GstClockTime offset)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, 300, NULL);
  gst_buffer_memset (b, 0, 0x21, 300);
  GST_BUFFER_PTS (b) = offset + gst_util_uint64_scale (i, 1024 * GST_SECOND,
      48000);
  GST_BUFFER_DURATION (b) = AAC_FRAME;
  return gst_harness_push (f->a, b);
}

/* pushes @secs of interleaved media starting at frame/sample index 0 */
static void
push_media (Fixture * f, guint first_frame, guint frames, GstClockTime off)
{
  guint i;
  guint aidx = (guint) gst_util_uint64_scale (first_frame * FRAME, 48000,
      1024 * GST_SECOND);

  for (i = first_frame; i < first_frame + frames; i++) {
    fail_unless_equals_int (push_video (f, i, i % 30 == 0, off), GST_FLOW_OK);
    while (f->a && gst_util_uint64_scale (aidx, 1024 * GST_SECOND, 48000) <
        (i + 1) * FRAME) {
      fail_unless_equals_int (push_audio (f, aidx, off), GST_FLOW_OK);
      aidx++;
    }
  }
}

static void
push_eos (Fixture * f)
{
  fail_unless (gst_harness_push_event (f->v, gst_event_new_eos ()));
  if (f->a)
    fail_unless (gst_harness_push_event (f->a, gst_event_new_eos ()));
}

static gchar *
read_file (Fixture * f, const gchar * name)
{
  gchar *p = g_build_filename (f->dir, name, NULL), *c = NULL;
  g_file_get_contents (p, &c, NULL, NULL);
  g_free (p);
  return c;
}

static gboolean
exists (Fixture * f, const gchar * name)
{
  gchar *p = g_build_filename (f->dir, name, NULL);
  gboolean r = g_file_test (p, G_FILE_TEST_EXISTS);
  g_free (p);
  return r;
}

/* Whether the @k-th segment of video (@video) or audio exists */
static gboolean
seg_exists (Fixture * f, gboolean video, guint k)
{
  gchar *n = video ? vname (k) : aname (k);
  gboolean r = exists (f, n);

  g_free (n);
  return r;
}

/* Files whose names start with @prefix and end with @suffix */
static guint
count_named (Fixture * f, const gchar * prefix, const gchar * suffix)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const gchar *n;
  guint c = 0;

  while ((n = g_dir_read_name (d)))
    if (g_str_has_prefix (n, prefix) && g_str_has_suffix (n, suffix))
      c++;
  g_dir_close (d);
  return c;
}

/* Every segment name the MPD text @mpd lists (all periods and
 * representations: $Time$ of the SegmentTimeline), in order */
static GPtrArray *
listed_segments (const gchar * mpd)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *p = mpd;

  while ((p = strstr (p, "<Representation id=\""))) {
    const gchar *media = strstr (p, "media=\""), *end;
    gchar *tmpl, **parts;
    guint64 t = 0;

    end = strstr (p, "</Representation>");
    fail_unless (media != NULL && end != NULL && media < end);
    media += strlen ("media=\"");
    tmpl = g_strndup (media, strchr (media, '"') - media);
    parts = g_strsplit (tmpl, "$Time$", 2);
    fail_unless (parts[1] != NULL, tmpl);
    while ((p = strstr (p, "<S ")) && p < end) {
      const gchar *close = strchr (p, '>');
      const gchar *ta = g_strstr_len (p, close - p, " t=\"");
      const gchar *da = g_strstr_len (p, close - p, " d=\"");
      const gchar *ra = g_strstr_len (p, close - p, " r=\"");
      guint64 d, r, i;

      if (ta)
        t = g_ascii_strtoull (ta + 4, NULL, 10);
      d = g_ascii_strtoull (da + 4, NULL, 10);
      r = ra ? g_ascii_strtoull (ra + 4, NULL, 10) : 0;
      for (i = 0; i <= r; i++) {
        g_ptr_array_add (names, g_strdup_printf ("%s%" G_GUINT64_FORMAT "%s",
                parts[0], t, parts[1]));
        t += d;
      }
      p = close;
    }
    g_strfreev (parts);
    g_free (tmpl);
    p = end;
  }
  return names;
}

static guint
count_files (Fixture * f, const gchar * suffix)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const gchar *n;
  guint c = 0;

  while ((n = g_dir_read_name (d)))
    if (g_str_has_suffix (n, suffix))
      c++;
  g_dir_close (d);
  return c;
}

static guint
count_substr (const gchar * hay, const gchar * needle)
{
  guint n = 0;
  while ((hay = strstr (hay, needle))) {
    n++;
    hay++;
  }
  return n;
}

GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("dashlivesink", NULL);
  gchar *loc, *mpd;
  guint64 seg, chunk;
  guint64 dvr;
  gboolean hls;
  GstStructure *st;

  g_object_get (sink, "location", &loc, "mpd-name", &mpd, "segment-duration",
      &seg, "chunk-duration", &chunk, "dvr-window", &dvr, "hls", &hls,
      "stats", &st, NULL);
  fail_unless_equals_string (loc, "dash");
  fail_unless_equals_string (mpd, "manifest.mpd");
  fail_unless_equals_uint64 (seg, 2 * GST_SECOND);
  fail_unless_equals_uint64 (chunk, 0);
  fail_unless_equals_uint64 (dvr, 120 * GST_SECOND);
  fail_unless (hls);
  fail_unless (gst_structure_has_name (st, "application/x-dashlivesink-stats"));
  fail_unless (gst_structure_has_field (st, "segments-written"));
  fail_unless (gst_structure_has_field (st, "publish-latency"));
  gst_structure_free (st);
  g_free (loc);
  g_free (mpd);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_live_av)
{
  Fixture f = { 0, };
  gchar *mpd, *pl;
  GstMessage *m;
  guint msgs = 0;
  GstStructure *st;
  guint64 written;

  fixture_setup (&f, TRUE, "dvr-window=0");
  push_media (&f, 0, 150, 0);   /* 5 s */

  /* 4 complete video segments and their audio; the MPD exists; init
   * segments are named after their content */
  fail_unless_equals_int (count_named (&f, "video_0-init-", ".mp4"), 1);
  fail_unless_equals_int (count_named (&f, "audio_0-init-", ".mp4"), 1);
  fail_unless (seg_exists (&f, TRUE, 4));
  fail_unless (seg_exists (&f, FALSE, 4));
  fail_if (seg_exists (&f, TRUE, 5));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (mpd != NULL);
  fail_unless (strstr (mpd, "type=\"dynamic\"") != NULL);
  fail_unless (strstr (mpd, "codecs=\"avc1.64001f\"") != NULL);
  fail_unless (strstr (mpd, "codecs=\"mp4a.40.2\"") != NULL);
  fail_unless (strstr (mpd, "<S t=\"0\" d=\"90000\" r=\"3\"/>") != NULL);
  fail_unless (strstr (mpd, "media=\"video_0-$Time$.m4s\"") != NULL);
  fail_unless (strstr (mpd,
          "availabilityStartTime=\"1970-01-01T00:00:00.000Z\"") != NULL);
  g_free (mpd);

  while ((m = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (m);
    if (gst_structure_has_name (s, "dashlivesink-segment")) {
      const gchar *rep = gst_structure_get_string (s, "representation");
      guint64 number, start, duration;
      fail_unless (gst_structure_get_uint64 (s, "number", &number));
      fail_unless (gst_structure_get_uint64 (s, "start", &start));
      fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
      fail_unless (g_file_test (gst_structure_get_string (s, "path"),
              G_FILE_TEST_EXISTS));
      if (g_str_equal (rep, "video_0")) {
        /* numbered by grid slot */
        /* on the frame grid counted from the epoch (timeline=clock) */
        fail_unless_equals_uint64 (start, number * GST_SECOND);
        fail_unless (duration + 1000 > GST_SECOND
            && duration < GST_SECOND + 1000);
      }
      msgs++;
    }
    gst_message_unref (m);
  }
  fail_unless_equals_int (msgs, 8);

  push_eos (&f);
  m = gst_bus_pop_filtered (f.bus, GST_MESSAGE_EOS);
  fail_unless (m != NULL);
  gst_message_unref (m);
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "type=\"static\"") != NULL);
  fail_unless (strstr (mpd, "<S t=\"0\" d=\"90000\" r=\"4\"/>") != NULL);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (strstr (pl, "#EXT-X-ENDLIST") != NULL);
  fail_unless_equals_int (count_substr (pl, "#EXTINF:1.000000,"), 5);
  g_free (pl);
  pl = read_file (&f, "master.m3u8");
  fail_unless (strstr (pl, "CODECS=\"avc1.64001f,mp4a.40.2\"") != NULL);
  g_free (pl);
  fail_unless_equals_int (count_files (&f, ".tmp"), 0);

  g_object_get (f.sink, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "segments-written", &written));
  fail_unless_equals_uint64 (written, 10);
  gst_structure_free (st);
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_chunks)
{
  Fixture f = { 0, };
  gchar *p, *data;
  gsize len, pos = 0, bs;
  guint moofs = 0;
  const guint8 *box;

  fixture_setup (&f, FALSE, "chunk-duration=200000000");
  push_media (&f, 0, 40, 0);
  /* the open segment grows chunk by chunk under its temporary name */
  fail_unless (exists (&f, "video_0-90000.m4s.tmp"));
  push_eos (&f);

  p = g_build_filename (f.dir, "video_0-0.m4s", NULL);
  fail_unless (g_file_get_contents (p, &data, &len, NULL));
  while ((box = cmaf_find_box ((guint8 *) data + pos, len - pos, "moof", &bs))) {
    pos = box - (guint8 *) data + bs;
    moofs++;
  }
  fail_unless_equals_int (moofs, 5);
  g_free (data);
  g_free (p);
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_dvr_window)
{
  Fixture f = { 0, };
  gchar *mpd, *pl;
  GstStructure *st;
  guint64 deleted;

  fixture_setup (&f, TRUE, "dvr-window=3000000000");
  push_media (&f, 0, 30 * 20, 0);       /* 20 s */
  /* 3 in the window + 1 of grace + the open one (not .m4s yet) */
  fail_unless (count_files (&f, ".m4s") <= 2 * 4);
  fail_if (seg_exists (&f, TRUE, 1));
  fail_unless (seg_exists (&f, TRUE, 19));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "timeShiftBufferDepth=\"PT3S\"") != NULL);
  /* the segment from 16 s */
  fail_unless (strstr (mpd, "<S t=\"1440000\"") != NULL, mpd);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (strstr (pl, "#EXT-X-MEDIA-SEQUENCE:16") != NULL, pl);
  fail_unless (strstr (pl, "video_0-1440000.m4s"));
  fail_if (strstr (pl, "video_0-1350000.m4s"));
  g_free (pl);
  g_object_get (f.sink, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, "segments-deleted", &deleted));
  fail_unless (deleted >= 2 * 14);
  gst_structure_free (st);
  fixture_teardown (&f);
}

GST_END_TEST;

/* every segment the manifests on disk list exists, complete */
static void
check_listed_segments_exist (Fixture * f)
{
  const gchar *reps[] = { "video_0", "audio_0" };
  guint r;

  for (r = 0; r < G_N_ELEMENTS (reps); r++) {
    gchar *name = g_strdup_printf ("%s.m3u8", reps[r]);
    gchar *pl = read_file (f, name);
    gchar **lines, **l;

    fail_unless (pl != NULL, name);
    lines = g_strsplit (pl, "\n", -1);
    for (l = lines; *l; l++)
      if (g_str_has_suffix (*l, ".m4s"))
        fail_unless (exists (f, *l), "%s lists missing %s", name, *l);
    g_strfreev (lines);
    g_free (pl);
    g_free (name);
  }
  {
    gchar *mpd = read_file (f, "manifest.mpd");
    GPtrArray *names = listed_segments (mpd);
    guint i;

    for (i = 0; i < names->len; i++)
      fail_unless (exists (f, g_ptr_array_index (names, i)),
          "MPD lists missing %s", (gchar *) g_ptr_array_index (names, i));
    fail_unless (names->len > 0);
    g_ptr_array_free (names, TRUE);
    g_free (mpd);
  }
}

static guint64
stat_u64 (Fixture * f, const gchar * field)
{
  GstStructure *st;
  guint64 v = 0;

  g_object_get (f->sink, "stats", &st, NULL);
  fail_unless (gst_structure_get_uint64 (st, field, &v), field);
  gst_structure_free (st);
  return v;
}

/* Faster than real time the manifest writes are coalesced: the manifests
 * on disk lag behind but only list complete segments, the final ones at
 * EOS list everything. */
GST_START_TEST (test_manifest_coalescing)
{
  Fixture f = { 0, };
  gchar *mpd;
  guint64 interval;

  /* media time is the wall clock's at the first buffer: 20 s pushed at
   * once run ahead of it */
  fixture_setup (&f, TRUE, "dvr-window=0 manifest-min-interval=60000000000 "
      "timeline=wall-clock");
  g_object_get (f.sink, "manifest-min-interval", &interval, NULL);
  fail_unless_equals_uint64 (interval, 60 * GST_SECOND);
  push_media (&f, 0, 30 * 20, 0);       /* 20 s in well under a second */
  fail_unless (count_named (&f, "video_0-", ".m4s") >= 19);
  /* the first round was written, the rounds far ahead of the clock not */
  fail_unless (stat_u64 (&f, "manifests-written") >= 1);
  fail_unless (stat_u64 (&f, "manifests-written") <= 3);
  fail_unless (stat_u64 (&f, "manifests-skipped") >= 15);
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "type=\"dynamic\"") != NULL);
  fail_if (strstr (mpd, "r=\"18\"") != NULL, mpd);
  g_free (mpd);
  check_listed_segments_exist (&f);

  push_eos (&f);
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "type=\"static\"") != NULL);
  /* all 20 video segments of 1 s: d=90000, 19 repeats */
  fail_unless (strstr (mpd, " d=\"90000\" r=\"19\"/>") != NULL, mpd);
  g_free (mpd);
  fixture_teardown (&f);

  /* 0: one write per segment round */
  fixture_setup (&f, TRUE, "dvr-window=0");
  push_media (&f, 0, 30 * 20, 0);
  fail_unless_equals_uint64 (stat_u64 (&f, "manifests-skipped"), 0);
  fail_unless (stat_u64 (&f, "manifests-written") >= 18);
  fixture_teardown (&f);
}

GST_END_TEST;

/* Coalesced writes with a DVR window: a segment leaves the disk only
 * after manifests without it were written. */
GST_START_TEST (test_manifest_coalescing_dvr)
{
  Fixture f = { 0, };
  guint sec;

  fixture_setup (&f, TRUE, "dvr-window=3000000000 "
      "manifest-min-interval=60000000000 timeline=wall-clock");
  for (sec = 0; sec < 20; sec++) {
    push_media (&f, sec * 30, 30, 0);
    if (sec >= 1)
      check_listed_segments_exist (&f);
  }
  fail_unless (stat_u64 (&f, "segments-deleted") >= 2 * 14);
  fail_unless (count_files (&f, ".m4s") <= 2 * 4);
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_gap_new_s)
{
  Fixture f = { 0, };
  gchar *mpd, *pl;

  fixture_setup (&f, FALSE, "dvr-window=0");
  push_media (&f, 0, 60, 0);
  /* 3 s without data, then the stream goes on */
  push_media (&f, 60, 61, 3 * GST_SECOND);
  push_eos (&f);
  mpd = read_file (&f, "manifest.mpd");
  /* 0-1, 1-2 then a new S@t at 5 s */
  fail_unless (strstr (mpd, "<S t=\"0\" d=\"90000\" r=\"1\"/>") != NULL, mpd);
  fail_unless (strstr (mpd, "<S t=\"450000\" d=\"90000\"") != NULL, mpd);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (strstr (pl, "#EXT-X-DISCONTINUITY") != NULL);
  g_free (pl);
  fixture_teardown (&f);
}

GST_END_TEST;

/* Live keyframes jitter around the segment grid: one a few ms early still
 * ends the segment (half a frame of tolerance) instead of doubling it */
GST_START_TEST (test_jittered_keyframes_cut)
{
  Fixture f = { 0, };
  guint i;

  fixture_setup (&f, FALSE, "dvr-window=0");
  for (i = 0; i <= 150; i++) {
    gboolean key = i % 30 == 0;
    GstBuffer *b = gst_buffer_new_allocate (NULL, key ? 3000 : 500, NULL);
    GstClockTime ts = i * FRAME;

    /* keyframes alternately 4 ms early and 4 ms late */
    if (key && i > 0)
      ts = (i / 30) % 2 ? ts - 4 * GST_MSECOND : ts + 4 * GST_MSECOND;
    gst_buffer_memset (b, 0, i & 0xff, gst_buffer_get_size (b));
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = ts;
    GST_BUFFER_DURATION (b) = FRAME;
    if (!key)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless_equals_int (gst_harness_push (f.v, b), GST_FLOW_OK);
  }
  push_eos (&f);
  /* cut at every keyframe (the last segment holds the last frame); without
   * the tolerance every early keyframe was skipped: 3 segments of 2 s */
  fail_unless_equals_int (count_files (&f, ".m4s"), 6);
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_stream_change_new_period)
{
  Fixture f = { 0, };
  gchar *mpd;

  fixture_setup (&f, TRUE, "dvr-window=0");
  push_media (&f, 0, 75, 0);    /* 2.5 s */
  gst_harness_set_src_caps (f.v, video_caps (avcc2, sizeof (avcc2), 1280));
  push_media (&f, 75, 105, 0);  /* keyframe at 3 s */
  push_eos (&f);
  /* a new init segment: another content, another name */
  fail_unless_equals_int (count_named (&f, "video_0-init-", ".mp4"), 2);
  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 2);
  fail_unless (strstr (mpd, "codecs=\"avc1.4d0028\"") != NULL, mpd);
  fail_unless_equals_int (count_substr (mpd, "initialization=\"video_0-init-"),
      2);
  fail_unless (strstr (mpd, "width=\"1280\"") != NULL);
  g_free (mpd);
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_no_keyframe_bounded)
{
  Fixture f = { 0, };
  GstMessage *m;
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;
  GError *err = NULL;

  fixture_setup (&f, FALSE, NULL);
  /* 10 s is the minimum wait, 10 x 1 s segments here: 30 s at most */
  for (i = 0; i < 30 * 40 && ret == GST_FLOW_OK; i++)
    ret = push_video (&f, i, FALSE, 0);
  fail_unless_equals_int (ret, GST_FLOW_ERROR);
  fail_unless (i < 30 * 35);
  m = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, "video_0: no keyframe") != NULL,
      err->message);
  g_error_free (err);
  gst_message_unref (m);
  fixture_teardown (&f);
}

GST_END_TEST;

/* byte-stream access units: SPS/PPS in band, converted to avc */
GST_START_TEST (test_bytestream_input)
{
  Fixture f = { 0, };
  static const guint8 sps_pps[] = {
    0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9,
    0, 0, 0, 1, 0x68, 0xeb, 0xe3
  };
  gchar *mpd;
  gsize len;
  guint i;

  f.dir = g_dir_make_tmp ("dashlivesink-XXXXXX", NULL);
  f.sink = gst_element_factory_make ("dashlivesink", NULL);
  g_object_set (f.sink, "location", f.dir, "segment-duration", GST_SECOND,
      "dvr-window", (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (f.sink), "timeline", "clock");
  f.bus = gst_bus_new ();
  gst_element_set_bus (f.sink, f.bus);
  f.v = gst_harness_new_with_element (f.sink, "video_0", NULL);
  gst_harness_set_src_caps_str (f.v, "video/x-h264,stream-format=byte-stream,"
      "alignment=au,width=640,height=360,framerate=30/1");
  for (i = 0; i < 61; i++) {
    gboolean key = i % 30 == 0;
    GstBuffer *b = gst_buffer_new_allocate (NULL, (key ? sizeof (sps_pps) :
            0) + 4 + 100, NULL);
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_WRITE);
    memset (map.data, 0x55, map.size);
    if (key)
      memcpy (map.data, sps_pps, sizeof (sps_pps));
    memcpy (map.data + (key ? sizeof (sps_pps) : 0), "\0\0\1", 3);
    map.data[(key ? sizeof (sps_pps) : 0) + 3] = key ? 0x65 : 0x41;
    gst_buffer_unmap (b, &map);
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * FRAME;
    if (!key)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless_equals_int (gst_harness_push (f.v, b), GST_FLOW_OK);
  }
  push_eos (&f);
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "codecs=\"avc1.64001f\"") != NULL, mpd);
  fail_unless (strstr (mpd, "<S t=\"0\" d=\"90000\" r=\"1\"/>") != NULL, mpd);
  g_free (mpd);
  fail_unless_equals_int (count_named (&f, "video_0-init-", ".mp4"), 1);
  {
    gchar *p = g_build_filename (f.dir, "video_0-0.m4s", NULL);
    gchar *data;
    const guint8 *mdat;
    gsize bs;
    fail_unless (g_file_get_contents (p, &data, &len, NULL));
    /* 30 samples of a 4-byte length + 101 bytes of NAL: start codes and
     * parameter sets are gone */
    mdat = cmaf_find_box ((guint8 *) data, len, "mdat", &bs);
    fail_unless (mdat != NULL);
    fail_unless_equals_int (bs, 8 + 30 * 105);
    fail_unless_equals_int (GST_READ_UINT32_BE (mdat + 8), 101);
    fail_unless_equals_int (mdat[12], 0x65);
    g_free (data);
    g_free (p);
  }
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_bad_caps)
{
  GstElement *sink = gst_element_factory_make ("dashlivesink", NULL);
  GstHarness *h;
  GstCaps *caps;
  GstPad *pad;
  gchar *dir = g_dir_make_tmp ("dashlivesink-XXXXXX", NULL);

  g_object_set (sink, "location", dir, NULL);
  h = gst_harness_new_with_element (sink, "video_0", NULL);
  pad = gst_element_get_static_pad (sink, "video_0");
  /* NAL-aligned H.264 and raw video are refused by the template */
  caps = gst_caps_from_string ("video/x-h264,stream-format=byte-stream,"
      "alignment=nal,width=640,height=360");
  fail_if (gst_pad_query_accept_caps (pad, caps));
  gst_caps_unref (caps);
  caps = gst_caps_from_string ("video/x-raw,format=I420,width=64,height=64");
  fail_if (gst_pad_query_accept_caps (pad, caps));
  gst_caps_unref (caps);
  /* avc without codec_data: refused with a message, not-negotiated */
  gst_harness_set_src_caps_str (h, "video/x-h264,stream-format=avc,"
      "alignment=au,width=640,height=360");
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              10, NULL)), GST_FLOW_NOT_NEGOTIATED);
  gst_object_unref (pad);
  gst_harness_teardown (h);
  gst_object_unref (sink);
  remove_dir (dir);
  g_free (dir);
}

GST_END_TEST;

/* A full disk (simulated with RLIMIT_FSIZE): an error naming the file,
 * the unfinished segment removed, what was published left intact. */
GST_START_TEST (test_disk_full)
{
  Fixture f = { 0, };
  struct rlimit old, lim;
  GstMessage *m;
  GError *err = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  gchar *mpd;
  guint i;

  fixture_setup (&f, FALSE, "dvr-window=0");
  push_media (&f, 0, 61, 0);    /* segments 1 and 2, about 18 kB each */
  fail_unless (seg_exists (&f, TRUE, 2));

  getrlimit (RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 40000;
  signal (SIGXFSZ, SIG_IGN);
  fail_unless (setrlimit (RLIMIT_FSIZE, &lim) == 0);
  for (i = 61; i < 200 && ret == GST_FLOW_OK; i++) {
    GstBuffer *b = gst_buffer_new_allocate (NULL, 5000, NULL);
    gst_buffer_memset (b, 0, 0x42, 5000);
    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * FRAME;
    GST_BUFFER_DURATION (b) = FRAME;
    if (i % 30)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
    ret = gst_harness_push (f.v, b);
  }
  setrlimit (RLIMIT_FSIZE, &old);
  fail_unless_equals_int (ret, GST_FLOW_ERROR);

  m = gst_bus_pop_filtered (f.bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT), err->message);
  fail_unless (strstr (err->message, "video_0-180000.m4s.tmp") != NULL,
      err->message);
  g_error_free (err);
  gst_message_unref (m);

  fail_unless_equals_int (count_files (&f, ".tmp"), 0);
  fail_unless (seg_exists (&f, TRUE, 1));
  fail_unless (seg_exists (&f, TRUE, 2));
  fail_if (seg_exists (&f, TRUE, 3));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "<S t=\"0\" d=\"90000\" r=\"1\"/>") != NULL, mpd);
  g_free (mpd);
  fixture_teardown (&f);
}

GST_END_TEST;

GST_START_TEST (test_unwritable_dir)
{
  GstElement *sink = gst_element_factory_make ("dashlivesink", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;

  gst_element_set_bus (sink, bus);
  g_object_set (sink, "location", "/proc/dashlivesink-cannot-exist", NULL);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, "/proc/dashlivesink-cannot-exist") !=
      NULL, err->message);
  g_error_free (err);
  gst_message_unref (m);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (sink);
}

GST_END_TEST;

/* The last segment the MPD text @mpd lists for @rep_id (g_free) */
static gchar *
last_listed (const gchar * mpd, const gchar * rep_id)
{
  GPtrArray *names = listed_segments (mpd);
  gchar *prefix = g_strdup_printf ("%s-", rep_id), *last = NULL;
  guint i;

  for (i = 0; i < names->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (names, i), prefix))
      last = g_ptr_array_index (names, i);
  fail_unless (last != NULL, "%s not in the MPD", rep_id);
  last = g_strdup (last);
  g_ptr_array_free (names, TRUE);
  g_free (prefix);
  return last;
}

/* Low latency: the files under location are a valid presentation for any
 * HTTP server: the MPD there never lists (nor announces) a segment that is
 * not complete on disk and carries no low-latency signalling that would
 * make a player ask for one early (the embedded server serves its own MPD
 * with those: tests/integration/dashserver_http.py). */
GST_START_TEST (test_ll_files_complete)
{
  Fixture f = { 0, };
  const gchar *reps[] = { "video_0", "audio_0" };
  guint i, r, checked = 0;

  fixture_setup (&f, TRUE, "chunk-duration=200000000 dvr-window=0");
  for (i = 0; i < 30 * 8; i += 5) {
    gchar *mpd;

    push_media (&f, i, 5, 0);
    mpd = read_file (&f, "manifest.mpd");
    if (mpd == NULL)
      continue;
    fail_if (strstr (mpd, "availabilityTimeOffset"), mpd);
    fail_if (strstr (mpd, "ServiceDescription"), mpd);
    for (r = 0; r < G_N_ELEMENTS (reps); r++) {
      gchar *last = last_listed (mpd, reps[r]);
      fail_unless (exists (&f, last), "%s listed but not complete", last);
      g_free (last);
    }
    g_free (mpd);
    check_listed_segments_exist (&f);
    checked++;
  }
  fail_unless (checked > 20);
  fixture_teardown (&f);
}

GST_END_TEST;


/* --- restarts ------------------------------------------------------ */

/* Writes @text into @name in @f's directory */
static void
write_into (Fixture * f, const gchar * name, const gchar * text)
{
  gchar *p = g_build_filename (f->dir, name, NULL);
  fail_unless (g_file_set_contents (p, text, -1, NULL));
  g_free (p);
}

/* The contents of every .m4s / .mp4 file: name -> GBytes */
static GHashTable *
snapshot (Fixture * f)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_bytes_unref);
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const gchar *n;

  while ((n = g_dir_read_name (d))) {
    gchar *c;
    gsize len;
    if (!g_str_has_suffix (n, ".m4s") && !g_str_has_suffix (n, ".mp4"))
      continue;
    c = read_file (f, n);
    fail_unless (c != NULL);
    len = 0;
    {
      gchar *p = g_build_filename (f->dir, n, NULL);
      g_free (c);
      fail_unless (g_file_get_contents (p, &c, &len, NULL));
      g_free (p);
    }
    g_hash_table_insert (h, g_strdup (n), g_bytes_new_take (c, len));
  }
  g_dir_close (d);
  return h;
}

/* Every name in @before that is still on disk has the same bytes;
 * returns how many were compared */
static guint
same_bytes (Fixture * f, GHashTable * before)
{
  GHashTable *now = snapshot (f);
  GHashTableIter it;
  gpointer k, v;
  guint n = 0;

  g_hash_table_iter_init (&it, before);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    GBytes *b = g_hash_table_lookup (now, k);
    if (b == NULL)
      continue;
    fail_unless (g_bytes_equal (b, v), "%s changed", (gchar *) k);
    n++;
  }
  g_hash_table_unref (now);
  return n;
}

/* pushes video frames [@first, @first + @n) (and their audio), frame i at
 * i / 30 s */
static void
push_range (Fixture * f, guint first, guint n)
{
  push_media (f, first, n, 0);
}

static GstMessage *
pop_element (Fixture * f, const gchar * name)
{
  GstMessage *m;

  while ((m = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (m, name))
      return m;
    gst_message_unref (m);
  }
  return NULL;
}

/* A run started on the directory of a killed one continues its
 * presentation: the same MPD with a new Period from its first keyframe,
 * the old segments still listed and untouched, the HLS playlist continued
 * after a discontinuity with the next media sequence numbers, the
 * temporary files of the killed run removed, no name used twice. */
GST_START_TEST (test_resume_continues)
{
  Fixture f = { 0, };
  GHashTable *before;
  GstMessage *m;
  const GstStructure *st;
  guint segments = 0, i;
  guint64 number = 0;
  gchar *mpd, *pl, *dir;
  GPtrArray *names;

  fixture_setup (&f, TRUE, "dvr-window=60000000000");
  push_range (&f, 0, 150);      /* 0-5 s: 4 segments complete */
  fixture_stop (&f);
  /* what a kill -9 leaves: the segment and a manifest being written */
  write_into (&f, "video_0-450000.m4s.tmp", "partial");
  write_into (&f, "manifest.mpd.9.tmp", "partial");
  before = snapshot (&f);
  fail_unless_equals_int (g_hash_table_size (before), 2 * 4 + 2);

  dir = g_strdup (f.dir);
  fixture_setup_in (&f, dir, TRUE, "dvr-window=60000000000");
  g_free (dir);
  push_range (&f, 240, 121);    /* from 8 s to 12 s */
  m = pop_element (&f, "dashlivesink-resumed");
  fail_unless (m != NULL);
  st = gst_message_get_structure (m);
  fail_unless (gst_structure_get_uint (st, "segments", &segments));
  fail_unless_equals_int (segments, 2 * 4);
  gst_message_unref (m);
  fail_unless_equals_int (count_files (&f, ".tmp"), 0);
  /* the next number after the previous run's last (segment 3, 3-4 s) */
  m = pop_element (&f, "dashlivesink-segment");
  fail_unless (m != NULL);
  fail_unless (gst_structure_get_uint64 (gst_message_get_structure (m),
          "number", &number));
  fail_unless_equals_uint64 (number, 4);
  gst_message_unref (m);

  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 2);
  /* where the previous run's segments end: its Period is complete, the
   * gap is before this one's first segment */
  fail_unless (strstr (mpd, "<Period id=\"p1\" start=\"PT4.011S\"") != NULL,
      mpd);
  fail_unless (strstr (mpd, "<S t=\"0\" d=\"90000\" r=\"3\"/>") != NULL, mpd);
  fail_unless (strstr (mpd, "<S t=\"720000\" d=\"90000\" r=\"3\"/>") != NULL,
      mpd);
  fail_unless (strstr (mpd, "presentationTimeOffset=\"360960\"") != NULL,
      mpd);
  names = listed_segments (mpd);
  for (i = 0; i < names->len; i++)
    fail_unless (exists (&f, g_ptr_array_index (names, i)));
  fail_unless_equals_int (names->len, 2 * 4 + 2 * 4);
  g_ptr_array_free (names, TRUE);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (strstr (pl, "#EXT-X-MEDIA-SEQUENCE:0\n") != NULL, pl);
  fail_unless (strstr (pl, "video_0-270000.m4s\n#EXT-X-DISCONTINUITY\n")
      != NULL, pl);
  fail_unless (strstr (pl, "video_0-720000.m4s") != NULL, pl);
  fail_unless_equals_int (count_substr (pl, "#EXTINF:"), 4 + 4);
  g_free (pl);
  /* what was published before is untouched */
  /* (the init segments were written again, the same bytes) */
  fail_unless_equals_int (same_bytes (&f, before), 2 * 4 + 2);
  g_hash_table_unref (before);
  fixture_teardown (&f);
}

GST_END_TEST;

/* After a restart the DVR window that reaches back before it is kept and
 * trimmed on schedule: the old segments go as media time passes, never
 * while a manifest on disk lists them. */
GST_START_TEST (test_resume_dvr_window)
{
  Fixture f = { 0, };
  guint sec;
  gchar *dir, *mpd;

  fixture_setup (&f, TRUE, "dvr-window=4000000000");
  push_range (&f, 0, 30 * 6);
  fixture_stop (&f);
  dir = g_strdup (f.dir);
  fixture_setup_in (&f, dir, TRUE, "dvr-window=4000000000");
  g_free (dir);
  for (sec = 8; sec < 18; sec++) {
    push_range (&f, sec * 30, 30);
    if (sec >= 9)
      check_listed_segments_exist (&f);
  }
  /* the old period is gone with its last segment */
  fail_if (seg_exists (&f, TRUE, 5));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 1);
  g_free (mpd);
  /* 4 in the window, 1 of grace, 1 more for audio trimmed by video's
   * segment ends */
  fail_unless (count_files (&f, ".m4s") <= 2 * 6);
  fixture_teardown (&f);
}

GST_END_TEST;

static gchar *
start_error (Fixture * f, const gchar * props, gboolean audio)
{
  GstMessage *m;
  GError *err = NULL;
  gchar *dir = g_strdup (f->dir), *msg;

  f->sink = gst_element_factory_make ("dashlivesink", NULL);
  g_object_set (f->sink, "location", dir, "segment-duration", GST_SECOND, NULL);
  if (props) {
    gchar **kv = g_strsplit (props, "=", 2);
    gst_util_set_object_arg (G_OBJECT (f->sink), kv[0], kv[1]);
    g_strfreev (kv);
  }
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->sink, f->bus);
  gst_object_unref (gst_element_request_pad_simple (f->sink, "video_0"));
  if (audio)
    gst_object_unref (gst_element_request_pad_simple (f->sink, "audio_0"));
  fail_unless_equals_int (gst_element_set_state (f->sink, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS), err->message);
  msg = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (m);
  gst_element_set_state (f->sink, GST_STATE_NULL);
  gst_bus_set_flushing (f->bus, TRUE);
  gst_object_unref (f->bus);
  gst_object_unref (f->sink);
  f->bus = NULL;
  f->sink = NULL;
  g_free (dir);
  return msg;
}

/* A directory that holds another configuration's presentation, or an MPD
 * without a state, is refused with a clear error and left as it is;
 * resume=false replaces it. */
GST_START_TEST (test_resume_refused)
{
  Fixture f = { 0, };
  GHashTable *before;
  gchar *msg, *dir, *mpd;

  fixture_setup (&f, TRUE, "dvr-window=0");
  push_range (&f, 0, 90);
  fixture_stop (&f);
  before = snapshot (&f);

  msg = start_error (&f, "segment-duration=2000000000", TRUE);
  fail_unless (strstr (msg, "segment-duration 1000000000") != NULL, msg);
  g_free (msg);
  msg = start_error (&f, NULL, FALSE);
  fail_unless (strstr (msg, "(no audio_0)") != NULL, msg);
  g_free (msg);
  msg = start_error (&f, "hls=false", TRUE);
  fail_unless (strstr (msg, "hls=true") != NULL, msg);
  g_free (msg);
  fail_unless_equals_int (same_bytes (&f, before), 2 * 2 + 2);
  g_hash_table_unref (before);

  /* resume=false: a new presentation; the old segments go with its first
   * manifest (their names are never used again) */
  dir = g_strdup (f.dir);
  fixture_setup_in (&f, dir, TRUE, "dvr-window=0 resume=false");
  push_range (&f, 120, 61);
  fail_if (seg_exists (&f, TRUE, 1));
  fail_if (seg_exists (&f, FALSE, 2));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 1);
  fail_unless (strstr (mpd, "<S t=\"360000\" d=\"90000\" r=\"1\"/>") != NULL,
      mpd);
  g_free (mpd);
  fixture_stop (&f);

  /* an MPD dashlivesink cannot continue (no state) */
  {
    gchar *state = g_build_filename (dir, ".manifest.mpd.state", NULL);
    fail_unless (g_unlink (state) == 0);
    g_free (state);
  }
  msg = start_error (&f, NULL, TRUE);
  fail_unless (strstr (msg, "no state file") != NULL, msg);
  g_free (msg);
  g_free (dir);
  remove_dir (f.dir);
  g_free (f.dir);
}

GST_END_TEST;

/* A presentation that ended (EOS) is replaced, not continued */
GST_START_TEST (test_resume_after_eos)
{
  Fixture f = { 0, };
  gchar *dir, *mpd;

  fixture_setup (&f, TRUE, "dvr-window=0");
  push_range (&f, 0, 90);
  push_eos (&f);
  fixture_stop (&f);
  dir = g_strdup (f.dir);
  fixture_setup_in (&f, dir, TRUE, "dvr-window=0");
  g_free (dir);
  push_range (&f, 150, 61);
  fail_if (pop_element (&f, "dashlivesink-resumed"));
  fail_if (seg_exists (&f, TRUE, 1));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless (strstr (mpd, "type=\"dynamic\"") != NULL);
  fail_unless_equals_int (count_substr (mpd, "<Period "), 1);
  g_free (mpd);
  fixture_teardown (&f);
}

GST_END_TEST;

/* A clock that went back (or a run faster than real time before the
 * crash): what comes before the end of the previous run's segments is
 * dropped, so that no segment name is used twice. */
GST_START_TEST (test_resume_clock_back)
{
  Fixture f = { 0, };
  GHashTable *before;
  GstMessage *m;
  gchar *dir;
  guint64 start = 0;

  fixture_setup (&f, FALSE, "dvr-window=0");
  push_range (&f, 0, 30 * 6);
  fixture_stop (&f);
  before = snapshot (&f);
  dir = g_strdup (f.dir);
  fixture_setup_in (&f, dir, FALSE, "dvr-window=0");
  g_free (dir);
  push_range (&f, 60, 30 * 6);  /* from 2 s */
  m = pop_element (&f, "dashlivesink-segment");
  fail_unless (m != NULL);
  gst_structure_get_uint64 (gst_message_get_structure (m), "start", &start);
  gst_message_unref (m);
  fail_unless (start >= 5 * GST_SECOND, "%" G_GUINT64_FORMAT, start);
  fail_unless_equals_int (same_bytes (&f, before), 5 + 1);
  g_hash_table_unref (before);
  fixture_teardown (&f);
}

GST_END_TEST;


/* The segment a killed run was writing: its complete chunks are
 * published and listed (low-latency players may hold parts of it), the
 * cut chunk dropped */
GST_START_TEST (test_resume_adopts_partial)
{
  Fixture f = { 0, };
  GByteArray *b = g_byte_array_new ();
  CmafSample cs[6];
  guint8 payload[100] = { 0, };
  gchar *dir, *mpd, *pl, *p, *data;
  gsize len, complete = 0;
  guint i, k;

  fixture_setup (&f, FALSE, "dvr-window=0 chunk-duration=200000000");
  push_range (&f, 0, 30 * 4 + 15);      /* segments 0-4 s, 4 s open */
  fixture_stop (&f);
  /* what it had written of the segment from 4 s: 2 chunks and a half */
  cmaf_write_styp (b);
  for (i = 0; i < 3; i++) {
    for (k = 0; k < 6; k++) {
      cs[k].duration = 3000;
      cs[k].size = 100;
      cs[k].flags = i == 0 && k == 0 ? CMAF_SAMPLE_FLAGS_SYNC :
          CMAF_SAMPLE_FLAGS_NON_SYNC;
      cs[k].cts_offset = 0;
    }
    cmaf_write_chunk_header (b, 100 + i, 1, 360000 + i * 18000, cs, 6);
    for (k = 0; k < 6; k++)
      g_byte_array_append (b, payload, sizeof (payload));
    if (i == 1)
      complete = b->len;
  }
  p = g_build_filename (f.dir, "video_0-360000.m4s.tmp", NULL);
  fail_unless (g_file_set_contents (p, (gchar *) b->data, b->len - 50, NULL));
  g_free (p);
  g_byte_array_unref (b);

  dir = g_strdup (f.dir);
  fixture_setup_in (&f, dir, FALSE, "dvr-window=0 chunk-duration=200000000");
  g_free (dir);
  /* listed at once, before the new run's first segment: players play on
   * up to where the killed run stopped */
  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 1);
  fail_unless (strstr (mpd, "<S d=\"36000\"/>") != NULL, mpd);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (g_str_has_suffix (pl, "#EXTINF:0.400000,\nvideo_0-360000.m4s\n"),
      pl);
  g_free (pl);
  /* the new run's first segments are held back from the files until there
   * are three (suggested presentation delay 3 s, 1 s segments): players
   * that seek over the gap to the first land 3 s from the live edge */
  push_range (&f, 30 * 6, 2 * 30 + 1);
  fail_unless (exists (&f, "video_0-630000.m4s"));
  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 1);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (g_str_has_suffix (pl, "video_0-360000.m4s\n"), pl);
  g_free (pl);
  push_range (&f, 30 * 8 + 1, 30);
  p = g_build_filename (f.dir, "video_0-360000.m4s", NULL);
  fail_unless (g_file_get_contents (p, &data, &len, NULL));
  fail_unless_equals_int (len, complete);
  g_free (data);
  g_free (p);
  fail_unless_equals_int (count_files (&f, ".tmp"), 0);
  mpd = read_file (&f, "manifest.mpd");
  fail_unless_equals_int (count_substr (mpd, "<Period "), 2);
  fail_unless (strstr (mpd, "<S d=\"36000\"/>") != NULL, mpd);
  fail_unless (strstr (mpd, "<S t=\"540000\" d=\"90000\"") != NULL, mpd);
  g_free (mpd);
  pl = read_file (&f, "video_0.m3u8");
  fail_unless (strstr (pl, "#EXTINF:0.400000,\nvideo_0-360000.m4s\n"
          "#EXT-X-DISCONTINUITY\n") != NULL, pl);
  g_free (pl);
  fixture_teardown (&f);
}

GST_END_TEST;

static Suite *
dashlivesink_suite (void)
{
  Suite *s = suite_create ("dashlivesink");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_live_av);
  tcase_add_test (tc, test_chunks);
  tcase_add_test (tc, test_ll_files_complete);
  tcase_add_test (tc, test_dvr_window);
  tcase_add_test (tc, test_gap_new_s);
  tcase_add_test (tc, test_jittered_keyframes_cut);
  tcase_add_test (tc, test_stream_change_new_period);
  tcase_add_test (tc, test_no_keyframe_bounded);
  tcase_add_test (tc, test_bytestream_input);
  tcase_add_test (tc, test_bad_caps);
  tcase_add_test (tc, test_disk_full);
  tcase_add_test (tc, test_unwritable_dir);
  tcase_add_test (tc, test_manifest_coalescing);
  tcase_add_test (tc, test_manifest_coalescing_dvr);
  tcase_add_test (tc, test_resume_continues);
  tcase_add_test (tc, test_resume_dvr_window);
  tcase_add_test (tc, test_resume_refused);
  tcase_add_test (tc, test_resume_after_eos);
  tcase_add_test (tc, test_resume_clock_back);
  tcase_add_test (tc, test_resume_adopts_partial);
  return s;
}

GST_CHECK_MAIN (dashlivesink);
