/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's MPD and HLS models: the MPD is parsed back
 * with libxml2 and its expanded SegmentTimeline compared with what was
 * added. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <gst/check/gstcheck.h>

#include "mpdmodel.h"
#include "hlsplaylist.h"

#define SEC MPD_NS_PER_SECOND

typedef struct
{
  guint64 t, d, number;
} Seg;

static xmlNodePtr
child (xmlNodePtr n, const gchar * name)
{
  for (n = n ? n->children : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE && g_str_equal ((const gchar *) n->name,
            name))
      return n;
  return NULL;
}

static gchar *
prop (xmlNodePtr n, const gchar * name)
{
  xmlChar *v = xmlGetProp (n, BAD_CAST name);
  gchar *r = v ? g_strdup ((const gchar *) v) : NULL;
  xmlFree (v);
  return r;
}

static guint64
prop_u64 (xmlNodePtr n, const gchar * name, guint64 def)
{
  gchar *v = prop (n, name);
  guint64 r = v ? g_ascii_strtoull (v, NULL, 10) : def;
  g_free (v);
  return r;
}

/* Expands the SegmentTimeline of representation @id in period @pidx */
static GArray *
expand_timeline (const gchar * xml, guint pidx, const gchar * id)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "mpd.xml", NULL, 0);
  xmlNodePtr root, p, as, rep, st, tl, s;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (Seg));
  guint i = 0;
  guint64 t = 0, number;

  fail_unless (doc != NULL);
  root = xmlDocGetRootElement (doc);
  for (p = root->children; p; p = p->next) {
    if (p->type == XML_ELEMENT_NODE && g_str_equal ((gchar *) p->name,
            "Period") && i++ == pidx)
      break;
  }
  fail_unless (p != NULL);
  for (as = p->children; as; as = as->next) {
    if (as->type != XML_ELEMENT_NODE)
      continue;
    for (rep = as->children; rep; rep = rep->next) {
      gchar *rid;
      if (rep->type != XML_ELEMENT_NODE)
        continue;
      rid = prop (rep, "id");
      if (g_strcmp0 (rid, id) == 0) {
        g_free (rid);
        goto found;
      }
      g_free (rid);
    }
  }
  fail ("representation %s not found", id);
found:
  st = child (rep, "SegmentTemplate");
  fail_unless (st != NULL);
  number = prop_u64 (st, "startNumber", 1);
  tl = child (st, "SegmentTimeline");
  fail_unless (tl != NULL);
  for (s = tl->children; s; s = s->next) {
    guint64 d, r, k;
    gchar *tv;
    if (s->type != XML_ELEMENT_NODE)
      continue;
    tv = prop (s, "t");
    if (tv)
      t = g_ascii_strtoull (tv, NULL, 10);
    g_free (tv);
    d = prop_u64 (s, "d", 0);
    r = prop_u64 (s, "r", 0);
    for (k = 0; k <= r; k++) {
      Seg x = { t, d, number++ };
      g_array_append_val (out, x);
      t += d;
    }
  }
  xmlFreeDoc (doc);
  return out;
}

static gchar *
root_attr (const gchar * xml, const gchar * name)
{
  xmlDocPtr doc = xmlReadMemory (xml, strlen (xml), "mpd.xml", NULL, 0);
  gchar *v = prop (xmlDocGetRootElement (doc), name);
  xmlFreeDoc (doc);
  return v;
}

static MpdRepresentation *
add_video (MpdPeriod * p, const gchar * id, guint64 start_number)
{
  MpdRepresentationInfo info = { 0, };
  info.id = id;
  info.kind = MPD_KIND_VIDEO;
  info.codecs = "avc1.64001f";
  info.timescale = 90000;
  info.init_url = "v-init.mp4";
  info.media_template = "v-$Number$.m4s";
  info.start_number = start_number;
  info.width = 1280;
  info.height = 720;
  info.fps_n = 30;
  info.fps_d = 1;
  return mpd_period_add_representation (p, &info);
}

static MpdRepresentation *
add_audio (MpdPeriod * p, const gchar * id)
{
  MpdRepresentationInfo info = { 0, };
  info.id = id;
  info.kind = MPD_KIND_AUDIO;
  info.codecs = "mp4a.40.2";
  info.timescale = 48000;
  info.init_url = "a-init.mp4";
  info.media_template = "a-$Number$.m4s";
  info.start_number = 1;
  info.sample_rate = 48000;
  info.channels = 2;
  return mpd_period_add_representation (p, &info);
}

GST_START_TEST (test_timeline_exact)
{
  MpdModel *m = mpd_model_new ();
  MpdPeriod *p = mpd_model_add_period (m, 0);
  MpdRepresentation *v = add_video (p, "video_0", 1);
  MpdRepresentation *a = add_audio (p, "audio_0");
  GArray *added = g_array_new (FALSE, FALSE, sizeof (Seg));
  GArray *got;
  gchar *xml, *s;
  guint64 t = 597;              /* first keyframe at 6.6 ms */
  guint i;

  mpd_model_set_availability_start_time (m, G_GINT64_CONSTANT (1700000000)
      * G_USEC_PER_SEC + 123456);
  /* irregular GOPs, equal runs, a gap of 1 s after segment 6 */
  for (i = 0; i < 12; i++) {
    guint64 d = (i % 4 == 3) ? 183003 : 180000;
    Seg x;
    if (i == 7)
      t += 90000;
    x.t = t;
    x.d = d;
    x.number = mpd_representation_add_segment (v, t, d, 500000 + i);
    fail_unless_equals_uint64 (x.number, i + 1);
    g_array_append_val (added, x);
    t += d;
  }
  mpd_representation_add_segment (a, 137, 96256, 32000);

  xml = mpd_model_render (m, g_get_real_time (), NULL);
  fail_unless (xml != NULL);
  got = expand_timeline (xml, 0, "video_0");
  fail_unless_equals_int (got->len, added->len);
  for (i = 0; i < got->len; i++) {
    Seg *g = &g_array_index (got, Seg, i), *e = &g_array_index (added, Seg, i);
    fail_unless_equals_uint64 (g->t, e->t);
    fail_unless_equals_uint64 (g->d, e->d);
    fail_unless_equals_uint64 (g->number, e->number);
  }
  g_array_free (got, TRUE);

  /* the gap gets an explicit S@t */
  fail_unless (strstr (xml, "<S t=\"1353600\" d=\"183003\"") != NULL);
  s = root_attr (xml, "type");
  fail_unless_equals_string (s, "dynamic");
  g_free (s);
  s = root_attr (xml, "availabilityStartTime");
  fail_unless_equals_string (s, "2023-11-14T22:13:20.123Z");
  g_free (s);
  fail_unless (strstr (xml,
          "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\""));
  fail_unless (strstr (xml, "codecs=\"avc1.64001f\""));
  fail_unless (strstr (xml, "codecs=\"mp4a.40.2\""));
  fail_unless (strstr (xml, "audioSamplingRate=\"48000\""));
  fail_unless (strstr (xml, "AudioChannelConfiguration"));
  fail_unless (strstr (xml, "segmentAlignment=\"true\""));
  fail_unless (strstr (xml, "UTCTiming"));
  fail_unless (strstr (xml, "contentType=\"video\""));
  fail_unless (strstr (xml, "contentType=\"audio\""));
  g_free (xml);
  g_array_free (added, TRUE);
  mpd_model_free (m);
}

GST_END_TEST;

static void
count_removed (MpdPeriod * p, MpdRepresentation * r, const MpdSegment * s,
    gpointer user_data)
{
  GArray *removed = user_data;
  g_array_append_val (removed, s->number);
}

GST_START_TEST (test_window_trim_and_ast_stable)
{
  MpdModel *m = mpd_model_new ();
  MpdPeriod *p = mpd_model_add_period (m, 0);
  MpdRepresentation *v = add_video (p, "video_0", 1);
  GArray *removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  gchar *ast0 = NULL;
  guint i;

  m->time_shift_buffer_depth = 10 * SEC;
  fail_unless (mpd_model_set_availability_start_time (m, 1000000));
  /* refused: the origin never moves */
  fail_if (mpd_model_set_availability_start_time (m, 2000000));
  fail_unless (mpd_model_set_availability_start_time (m, 1000000));

  for (i = 0; i < 100; i++) {
    gchar *xml, *ast;
    GArray *got;
    guint64 end;

    mpd_representation_add_segment (v, (guint64) i * 180000, 180000, 1000);
    end = (guint64) (i + 1) * 2 * SEC;
    mpd_model_trim (m, end, count_removed, removed);
    xml = mpd_model_render (m, 1000000 + (gint64) i * 2 * G_USEC_PER_SEC, NULL);
    ast = root_attr (xml, "availabilityStartTime");
    if (ast0 == NULL)
      ast0 = g_strdup (ast);
    fail_unless_equals_string (ast, ast0);
    g_free (ast);

    got = expand_timeline (xml, 0, "video_0");
    /* the window holds the segments ending after end - 10 s */
    fail_unless_equals_int (got->len, MIN (i + 1, 5));
    fail_unless_equals_uint64 (g_array_index (got, Seg, got->len - 1).number,
        i + 1);
    fail_unless_equals_uint64 (g_array_index (got, Seg, 0).t,
        (g_array_index (got, Seg, 0).number - 1) * 180000);
    g_array_free (got, TRUE);
    g_free (xml);
  }
  fail_unless_equals_int (removed->len, 95);
  for (i = 0; i < removed->len; i++)
    fail_unless_equals_uint64 (g_array_index (removed, guint64, i), i + 1);
  g_free (ast0);
  g_array_free (removed, TRUE);
  mpd_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_bandwidth_sub_second)
{
  MpdModel *m = mpd_model_new ();
  MpdPeriod *p = mpd_model_add_period (m, 0);
  MpdRepresentation *v = add_video (p, "video_0", 1);
  gchar *xml;

  /* 0.2 s segments of 25000 bytes: 1 Mbit/s */
  fail_unless_equals_uint64 (mpd_segment_bitrate (25000, 18000, 90000),
      1000000);
  /* 0 duration never divides */
  fail_unless_equals_uint64 (mpd_segment_bitrate (25000, 0, 90000), 0);
  /* 1 tick */
  fail_unless_equals_uint64 (mpd_segment_bitrate (1, 1, 90000), 720000);
  /* huge sizes do not overflow */
  fail_unless (mpd_segment_bitrate (G_GUINT64_CONSTANT (1) << 60, 90000,
          90000) > 0);

  mpd_representation_add_segment (v, 0, 18000, 25000);
  mpd_representation_add_segment (v, 18000, 9000, 25000);       /* 2 Mbit/s */
  mpd_representation_add_segment (v, 27000, 0, 100);
  fail_unless_equals_uint64 (v->peak_bitrate, 2000000);
  xml = mpd_model_render (m, 0, NULL);
  fail_unless (strstr (xml, "bandwidth=\"2000000\"") != NULL);
  g_free (xml);
  mpd_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_periods_and_static)
{
  MpdModel *m = mpd_model_new ();
  MpdPeriod *p0 = mpd_model_add_period (m, 0), *p1;
  MpdRepresentation *v0 = add_video (p0, "video_0", 1), *v1;
  GArray *got;
  gchar *xml, *s;

  mpd_model_set_availability_start_time (m, 0);
  mpd_representation_add_segment (v0, 90000, 180000, 10);
  mpd_representation_add_segment (v0, 270000, 180000, 10);
  p1 = mpd_model_add_period (m, 5 * SEC);
  v1 = add_video (p1, "video_0", 3);
  v1->presentation_time_offset = 450000;
  mpd_representation_add_segment (v1, 450000, 180000, 10);

  xml = mpd_model_render (m, 0, NULL);
  fail_unless (strstr (xml, "<Period id=\"p0\" start=\"PT0S\"") != NULL);
  fail_unless (strstr (xml, "<Period id=\"p1\" start=\"PT5S\"") != NULL);
  fail_unless (strstr (xml, "presentationTimeOffset=\"450000\"") != NULL);
  got = expand_timeline (xml, 1, "video_0");
  fail_unless_equals_int (got->len, 1);
  fail_unless_equals_uint64 (g_array_index (got, Seg, 0).number, 3);
  g_array_free (got, TRUE);
  g_free (xml);

  /* VOD: presentation time 0 is the first segment (1 s) */
  mpd_model_finalize (m, 7 * SEC);
  xml = mpd_model_render (m, 0, NULL);
  s = root_attr (xml, "type");
  fail_unless_equals_string (s, "static");
  g_free (s);
  s = root_attr (xml, "mediaPresentationDuration");
  fail_unless_equals_string (s, "PT6S");
  g_free (s);
  fail_if (strstr (xml, "minimumUpdatePeriod"));
  fail_unless (strstr (xml, "<Period id=\"p1\" start=\"PT4S\"") != NULL);
  fail_unless (strstr (xml, "presentationTimeOffset=\"90000\"") != NULL);
  g_free (xml);

  /* trimming drops the emptied first period */
  m->is_static = FALSE;
  m->time_shift_buffer_depth = 1 * SEC;
  mpd_model_trim (m, 7 * SEC, NULL, NULL);
  fail_unless_equals_int (m->periods->len, 1);
  mpd_model_free (m);
}

GST_END_TEST;

/* A held Period (a restarted producer's): a render without low latency
 * lists it once every representation holds hold_segments segments (or one
 * holds more), a low-latency render at once */
GST_START_TEST (test_period_hold)
{
  MpdModel *m = mpd_model_new ();
  MpdPeriod *p0 = mpd_model_add_period (m, 0), *p1;
  MpdRepresentation *v0 = add_video (p0, "video_0", 1), *v1, *a1;
  gchar *xml;

  mpd_model_set_availability_start_time (m, 0);
  mpd_representation_add_segment (v0, 0, 180000, 10);
  p1 = mpd_model_add_period (m, 2 * SEC);
  p1->hold_segments = 2;
  v1 = add_video (p1, "video_0", 3);
  a1 = add_audio (p1, "audio_0");
  mpd_representation_add_segment (v1, 540000, 180000, 10);
  mpd_representation_add_segment (a1, 288000, 96000, 10);
  mpd_representation_add_segment (v1, 720000, 180000, 10);

  xml = mpd_model_render_full (m, 0, FALSE, NULL);
  fail_if (strstr (xml, "<Period id=\"p1\""), "%s", xml);
  g_free (xml);
  xml = mpd_model_render_full (m, 0, TRUE, NULL);
  fail_unless (strstr (xml, "<Period id=\"p1\"") != NULL, "%s", xml);
  g_free (xml);
  fail_unless_equals_int (p1->hold_segments, 2);

  mpd_representation_add_segment (a1, 384000, 96000, 10);
  xml = mpd_model_render_full (m, 0, FALSE, NULL);
  fail_unless (strstr (xml, "<Period id=\"p1\"") != NULL, "%s", xml);
  g_free (xml);
  fail_unless_equals_int (p1->hold_segments, 0);
  mpd_model_free (m);
}

GST_END_TEST;

/* the low-latency fields the serving side sets */
GST_START_TEST (test_low_latency_fields)
{
  MpdModel *m = mpd_model_new ();
  MpdPeriod *p = mpd_model_add_period (m, 0);
  MpdRepresentation *v = add_video (p, "video_0", 1);
  gchar *xml;

  mpd_representation_add_segment (v, 0, 180000, 1000);
  xml = mpd_model_render (m, 0, NULL);
  fail_if (strstr (xml, "availabilityTimeOffset"));
  fail_if (strstr (xml, "ServiceDescription"));
  g_free (xml);

  m->availability_time_offset = 1.8;
  m->availability_time_complete = FALSE;
  m->latency_target = 1500;
  m->latency_min = 1000;
  m->latency_max = 3000;
  m->playback_rate_min = 0.96;
  m->playback_rate_max = 1.04;
  xml = mpd_model_render (m, 0, NULL);
  fail_unless (strstr (xml, "availabilityTimeOffset=\"1.800\" "
          "availabilityTimeComplete=\"false\"") != NULL, xml);
  fail_unless (strstr (xml, "<Latency target=\"1500\" min=\"1000\" "
          "max=\"3000\"/>") != NULL, xml);
  fail_unless (strstr (xml, "<PlaybackRate min=\"0.96\" max=\"1.04\"/>")
      != NULL, xml);
  g_free (xml);

  /* announced segments, ProducerReferenceTime, Resync */
  {
    guint64 ahead[2] = { 180000, 183000 };
    m->resync_dt = 200 * 1000000;
    m->utc_timing_value = g_strdup ("http://127.0.0.1:1/time");
    v->prt_wallclock_us = G_GINT64_CONSTANT (1700000000123000);
    v->prt_presentation_time = 3000;
    mpd_representation_set_ahead (v, ahead, 2);
    xml = mpd_model_render (m, 0, NULL);
    fail_unless (strstr (xml, "<S t=\"0\" d=\"180000\"/>\n"
            "            <S d=\"180000\"/>\n"
            "            <S d=\"183000\"/>\n") != NULL, xml);
    fail_unless (strstr (xml, "<ProducerReferenceTime id=\"0\" "
            "type=\"encoder\" wallClockTime=\"2023-11-14T22:13:20.123Z\" "
            "presentationTime=\"3000\">") != NULL, xml);
    fail_unless (strstr (xml, "<Resync type=\"0\" dT=\"18000\" "
            "marker=\"false\"/>") != NULL, xml);
    g_free (xml);
    /* the first announced one completes: one left */
    mpd_representation_add_segment (v, 180000, 180000, 1000);
    mpd_representation_set_ahead (v, ahead + 1, 1);
    xml = mpd_model_render (m, 0, NULL);
    fail_unless (strstr (xml, "<S t=\"0\" d=\"180000\" r=\"1\"/>\n"
            "            <S d=\"183000\"/>\n          </SegmentTimeline>")
        != NULL, xml);
    g_free (xml);
  }

  /* VOD drops them */
  mpd_model_finalize (m, 2 * SEC);
  xml = mpd_model_render (m, 0, NULL);
  fail_if (strstr (xml, "availabilityTimeOffset"));
  fail_if (strstr (xml, "183000"));
  fail_if (strstr (xml, "ProducerReferenceTime"));
  fail_if (strstr (xml, "Resync"));
  fail_if (strstr (xml, "ServiceDescription"));
  g_free (xml);
  mpd_model_free (m);
}

GST_END_TEST;

GST_START_TEST (test_formats)
{
  gchar *s = mpd_format_duration (2 * SEC);
  fail_unless_equals_string (s, "PT2S");
  g_free (s);
  s = mpd_format_duration (2 * SEC + 5 * 1000000);
  fail_unless_equals_string (s, "PT2.005S");
  g_free (s);
  s = mpd_format_duration (0);
  fail_unless_equals_string (s, "PT0S");
  g_free (s);
  s = mpd_format_date_time (G_GINT64_CONSTANT (1700000000123456));
  fail_unless_equals_string (s, "2023-11-14T22:13:20.123Z");
  g_free (s);
}

GST_END_TEST;

GST_START_TEST (test_hls_window)
{
  HlsMediaPlaylist *pl = hls_media_playlist_new (2);
  gchar *txt;
  guint i;

  for (i = 1; i <= 6; i++) {
    gchar *uri = g_strdup_printf ("video_0-%u.m4s", i);
    hls_media_playlist_add_segment (pl, i, uri, 2 * SEC + (i == 4 ?
            600 * 1000000 : 0),
        G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC + i * 2000000, i == 5,
        "video_0-init.mp4");
    g_free (uri);
  }
  fail_unless_equals_int (hls_media_playlist_remove_through (pl,
          "video_0-2.m4s"), 2);
  fail_unless_equals_int (hls_media_playlist_remove_through (pl, "nope"), 0);
  txt = hls_media_playlist_render (pl);
  fail_unless (g_str_has_prefix (txt, "#EXTM3U\n#EXT-X-VERSION:7\n"));
  /* 2.6 s rounds to 3: the target duration grows to cover it */
  fail_unless (strstr (txt, "#EXT-X-TARGETDURATION:3\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-MEDIA-SEQUENCE:3\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-MAP:URI=\"video_0-init.mp4\"") != NULL);
  fail_unless (strstr (txt, "#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:26.000Z")
      != NULL);
  fail_unless (strstr (txt, "#EXT-X-DISCONTINUITY\n") != NULL);
  fail_if (strstr (txt, "video_0-2.m4s"));
  fail_unless (strstr (txt, "#EXTINF:2.600000,\nvideo_0-4.m4s") != NULL);
  fail_if (strstr (txt, "ENDLIST"));
  g_free (txt);

  /* removing the discontinuity counts it */
  hls_media_playlist_remove_through (pl, "video_0-5.m4s");
  pl->ended = TRUE;
  txt = hls_media_playlist_render (pl);
  fail_unless (strstr (txt, "#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != NULL);
  fail_unless (strstr (txt, "#EXT-X-ENDLIST\n") != NULL);
  g_free (txt);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

/* No window (dvr-window=0): the playlist only grows, EVENT while it does,
 * VOD with ENDLIST once ended; a windowed playlist has no type */
GST_START_TEST (test_hls_event_then_vod)
{
  HlsMediaPlaylist *pl = hls_media_playlist_new (2);
  gchar *txt;

  hls_media_playlist_add_segment (pl, 1, "video_0-1.m4s", 2 * SEC,
      G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC, FALSE,
      "video_0-init.mp4");
  txt = hls_media_playlist_render (pl);
  fail_if (strstr (txt, "PLAYLIST-TYPE"));
  g_free (txt);

  pl->event = TRUE;
  txt = hls_media_playlist_render (pl);
  fail_unless (strstr (txt, "#EXT-X-PLAYLIST-TYPE:EVENT\n") != NULL);
  fail_if (strstr (txt, "VOD"));
  fail_if (strstr (txt, "ENDLIST"));
  g_free (txt);

  pl->ended = TRUE;
  txt = hls_media_playlist_render (pl);
  fail_unless (strstr (txt, "#EXT-X-PLAYLIST-TYPE:VOD\n") != NULL);
  fail_if (strstr (txt, "EVENT"));
  fail_unless (g_str_has_suffix (txt, "video_0-1.m4s\n#EXT-X-ENDLIST\n"));
  g_free (txt);
  hls_media_playlist_free (pl);
}

GST_END_TEST;

GST_START_TEST (test_hls_master)
{
  HlsVariant v[2] = { {0,}, {0,}
  };
  HlsAudioRendition a = { 0, };
  gchar *txt;

  v[0].uri = "video_0.m3u8";
  v[0].bandwidth = 3000000;
  v[0].codecs = "avc1.64001f,mp4a.40.2";
  v[0].width = 1280;
  v[0].height = 720;
  v[0].fps_n = 30;
  v[0].fps_d = 1;
  v[1] = v[0];
  v[1].uri = "video_1.m3u8";
  v[1].bandwidth = 0;           /* never 0 in the output */
  a.uri = "audio_0.m3u8";
  a.name = "audio_0";
  a.channels = 2;
  txt = hls_master_playlist_render (v, 2, &a, 1);
  fail_unless (strstr (txt, "#EXT-X-STREAM-INF:BANDWIDTH=3000000,CODECS="
          "\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=30.000,"
          "AUDIO=\"audio\"\nvideo_0.m3u8\n") != NULL);
  fail_unless (strstr (txt, "BANDWIDTH=1,") != NULL);
  fail_unless (strstr (txt, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\"")
      != NULL);
  fail_unless (strstr (txt, "URI=\"audio_0.m3u8\"") != NULL);
  g_free (txt);
}

GST_END_TEST;

static Suite *
mpdmodel_suite (void)
{
  Suite *s = suite_create ("mpdmodel");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_timeline_exact);
  tcase_add_test (tc, test_window_trim_and_ast_stable);
  tcase_add_test (tc, test_bandwidth_sub_second);
  tcase_add_test (tc, test_periods_and_static);
  tcase_add_test (tc, test_low_latency_fields);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_hls_window);
  tcase_add_test (tc, test_hls_event_then_vod);
  tcase_add_test (tc, test_hls_master);
  tcase_add_test (tc, test_period_hold);
  return s;
}

GST_CHECK_MAIN (mpdmodel);
