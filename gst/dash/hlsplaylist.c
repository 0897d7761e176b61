/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* HLS playlist model, see hlsplaylist.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "hlsplaylist.h"

static void
segment_free (HlsSegment * s)
{
  g_free (s->uri);
  g_free (s->map_uri);
  g_free (s->text);
  g_free (s);
}

/* The lines of a segment that never change, rendered once: a playlist is
 * rewritten after every segment and may hold hours of them */
static gchar *
render_segment (const HlsSegment * seg)
{
  GString *s = g_string_sized_new (128);
  GDateTime *dt = g_date_time_new_from_unix_utc (seg->program_date_time /
      G_USEC_PER_SEC);

  if (dt) {
    gchar *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
    g_string_append_printf (s, "#EXT-X-PROGRAM-DATE-TIME:%s.%03uZ\n", base,
        (guint) ((seg->program_date_time % G_USEC_PER_SEC) / 1000));
    g_free (base);
    g_date_time_unref (dt);
  }
  g_string_append_printf (s, "#EXTINF:%" G_GUINT64_FORMAT ".%06u,\n%s\n",
      seg->duration / 1000000000,
      (guint) ((seg->duration % 1000000000) / 1000), seg->uri);
  return g_string_free (s, FALSE);
}

HlsMediaPlaylist *
hls_media_playlist_new (guint target_duration_s)
{
  HlsMediaPlaylist *pl = g_new0 (HlsMediaPlaylist, 1);

  pl->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) segment_free);
  pl->target_duration = MAX (target_duration_s, 1);
  return pl;
}

void
hls_media_playlist_free (HlsMediaPlaylist * pl)
{
  if (pl == NULL)
    return;
  g_ptr_array_free (pl->segments, TRUE);
  g_free (pl);
}

void
hls_media_playlist_add_segment (HlsMediaPlaylist * pl, guint64 number,
    const gchar * uri, guint64 duration_ns, gint64 program_date_time_us,
    gboolean discontinuity, const gchar * map_uri)
{
  HlsSegment *s = g_new0 (HlsSegment, 1);
  /* EXTINF rounded to the nearest integer must not exceed the target
   * duration (RFC 8216 4.3.3.1) */
  guint rounded = (guint) ((duration_ns + 500000000) / 1000000000);

  s->number = number;
  s->uri = g_strdup (uri);
  s->duration = duration_ns;
  s->program_date_time = program_date_time_us;
  s->discontinuity = discontinuity;
  s->map_uri = g_strdup (map_uri);
  s->text = render_segment (s);
  if (!pl->has_sequence) {
    pl->media_sequence = number;
    pl->has_sequence = TRUE;
  }
  pl->target_duration = MAX (pl->target_duration, rounded);
  g_ptr_array_add (pl->segments, s);
}

guint
hls_media_playlist_remove_through (HlsMediaPlaylist * pl, const gchar * uri)
{
  guint i, n = 0;

  for (i = 0; i < pl->segments->len; i++) {
    HlsSegment *s = g_ptr_array_index (pl->segments, i);
    if (g_strcmp0 (s->uri, uri) == 0) {
      n = i + 1;
      break;
    }
  }
  for (i = 0; i < n; i++) {
    HlsSegment *s = g_ptr_array_index (pl->segments, i);
    /* a removed EXT-X-DISCONTINUITY is counted (RFC 8216 6.2.1) */
    if (s->discontinuity)
      pl->discontinuity_sequence++;
  }
  if (n > 0) {
    g_ptr_array_remove_range (pl->segments, 0, n);
    pl->media_sequence += n;
  }
  return n;
}

gchar *
hls_media_playlist_render (HlsMediaPlaylist * pl)
{
  GString *s = g_string_sized_new (256 + pl->segments->len * 120);
  const gchar *map = NULL;
  guint i;

  g_string_append (s, "#EXTM3U\n#EXT-X-VERSION:7\n");
  g_string_append_printf (s, "#EXT-X-TARGETDURATION:%u\n", pl->target_duration);
  g_string_append_printf (s, "#EXT-X-MEDIA-SEQUENCE:%" G_GUINT64_FORMAT "\n",
      pl->media_sequence);
  if (pl->discontinuity_sequence > 0)
    g_string_append_printf (s,
        "#EXT-X-DISCONTINUITY-SEQUENCE:%" G_GUINT64_FORMAT "\n",
        pl->discontinuity_sequence);
  if (pl->event)
    g_string_append (s, pl->ended ? "#EXT-X-PLAYLIST-TYPE:VOD\n" :
        "#EXT-X-PLAYLIST-TYPE:EVENT\n");
  g_string_append (s, "#EXT-X-INDEPENDENT-SEGMENTS\n");

  for (i = 0; i < pl->segments->len; i++) {
    HlsSegment *seg = g_ptr_array_index (pl->segments, i);

    if (seg->discontinuity && i > 0)
      g_string_append (s, "#EXT-X-DISCONTINUITY\n");
    if (g_strcmp0 (map, seg->map_uri) != 0) {
      map = seg->map_uri;
      g_string_append_printf (s, "#EXT-X-MAP:URI=\"%s\"\n", map);
    }
    g_string_append (s, seg->text);
  }
  if (pl->ended)
    g_string_append (s, "#EXT-X-ENDLIST\n");
  return g_string_free (s, FALSE);
}

gchar *
hls_master_playlist_render (const HlsVariant * variants, guint n_variants,
    const HlsAudioRendition * audio, guint n_audio)
{
  GString *s = g_string_new ("#EXTM3U\n#EXT-X-VERSION:7\n"
      "#EXT-X-INDEPENDENT-SEGMENTS\n");
  guint i;

  for (i = 0; i < n_audio; i++) {
    g_string_append_printf (s,
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"%s\",%s%s%s"
        "DEFAULT=%s,AUTOSELECT=YES,CHANNELS=\"%u\",URI=\"%s\"\n",
        audio[i].name, audio[i].lang ? "LANGUAGE=\"" : "",
        audio[i].lang ? audio[i].lang : "", audio[i].lang ? "\"," : "",
        i == 0 ? "YES" : "NO", audio[i].channels, audio[i].uri);
  }
  for (i = 0; i < n_variants; i++) {
    const HlsVariant *v = &variants[i];
    g_string_append_printf (s, "#EXT-X-STREAM-INF:BANDWIDTH=%"
        G_GUINT64_FORMAT, MAX (v->bandwidth, 1));
    if (v->average_bandwidth > 0)
      g_string_append_printf (s, ",AVERAGE-BANDWIDTH=%" G_GUINT64_FORMAT,
          v->average_bandwidth);
    if (v->codecs)
      g_string_append_printf (s, ",CODECS=\"%s\"", v->codecs);
    if (v->width > 0 && v->height > 0)
      g_string_append_printf (s, ",RESOLUTION=%ux%u", v->width, v->height);
    if (v->fps_n > 0 && v->fps_d > 0)
      g_string_append_printf (s, ",FRAME-RATE=%.3f",
          (gdouble) v->fps_n / v->fps_d);
    if (n_audio > 0 && v->width > 0)
      g_string_append (s, ",AUDIO=\"audio\"");
    g_string_append_printf (s, "\n%s\n", v->uri);
  }
  return g_string_free (s, FALSE);
}
