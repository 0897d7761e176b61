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

#define NS_PER_US G_GUINT64_CONSTANT (1000)
#define NS_PER_S G_GUINT64_CONSTANT (1000000000)

/* parts are listed for the segments that end within this many target
 * durations of the end of the playlist (RFC 8216bis 6.2.2: SHOULD be
 * removed after three); they are kept a little longer, then freed */
#define PART_WINDOW_TDS 3
#define PART_KEEP_TDS 4

static void
part_free (HlsPart * p)
{
  g_free (p->line);
  g_free (p);
}

static void
segment_free (HlsSegment * s)
{
  if (s == NULL)
    return;
  g_free (s->uri);
  g_free (s->map_uri);
  g_free (s->head);
  g_free (s->tail);
  if (s->parts)
    g_ptr_array_free (s->parts, TRUE);
  g_free (s);
}

/* @ns as seconds with 6 decimals, rounded to the nearest µs (@up: up) */
static void
append_seconds (GString * s, guint64 ns, gboolean up)
{
  guint64 us = (ns + (up ? NS_PER_US - 1 : NS_PER_US / 2)) / NS_PER_US;

  g_string_append_printf (s, "%" G_GUINT64_FORMAT ".%06u", us / 1000000,
      (guint) (us % 1000000));
}

/* The lines of a segment that never change, rendered once: a playlist is
 * rewritten after every segment (at low latency after every part) and may
 * hold hours of them */
static gchar *
render_date (gint64 program_date_time)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (program_date_time /
      G_USEC_PER_SEC);
  gchar *base, *line;

  if (dt == NULL)
    return g_strdup ("");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  line = g_strdup_printf ("#EXT-X-PROGRAM-DATE-TIME:%s.%03uZ\n", base,
      (guint) ((program_date_time % G_USEC_PER_SEC) / 1000));
  g_free (base);
  g_date_time_unref (dt);
  return line;
}

static gchar *
render_inf (const HlsSegment * seg)
{
  return g_strdup_printf ("#EXTINF:%" G_GUINT64_FORMAT ".%06u,\n%s\n",
      seg->duration / 1000000000,
      (guint) ((seg->duration % 1000000000) / 1000), seg->uri);
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
  segment_free (pl->open);
  g_free (pl->last_map);
  g_free (pl->part_prefix);
  g_free (pl);
}

/* A new segment's common fields; a new init segment is a discontinuity */
static HlsSegment *
segment_new (HlsMediaPlaylist * pl, guint64 number, gint64 pdt,
    gboolean discontinuity, const gchar * map_uri)
{
  HlsSegment *s = g_new0 (HlsSegment, 1);

  s->number = number;
  s->program_date_time = pdt;
  s->discontinuity = discontinuity ||
      (pl->last_map != NULL && g_strcmp0 (pl->last_map, map_uri) != 0);
  s->map_uri = g_strdup (map_uri);
  s->head = render_date (pdt);
  return s;
}

/* Parts of segments far from the end are no longer listed: free them */
static void
drop_old_parts (HlsMediaPlaylist * pl)
{
  guint64 end, keep = (guint64) PART_KEEP_TDS * pl->target_duration * NS_PER_S;
  HlsSegment *last;
  guint i;

  if (pl->segments->len == 0)
    return;
  last = g_ptr_array_index (pl->segments, pl->segments->len - 1);
  end = (guint64) last->program_date_time * NS_PER_US + last->duration;
  for (i = 0; i < pl->segments->len; i++) {
    HlsSegment *s = g_ptr_array_index (pl->segments, i);
    guint64 s_end = (guint64) s->program_date_time * NS_PER_US + s->duration;
    if (s_end + keep >= end)
      break;
    g_clear_pointer (&s->parts, g_ptr_array_unref);
  }
}

void
hls_media_playlist_add_segment (HlsMediaPlaylist * pl, guint64 number,
    const gchar * uri, guint64 duration_ns, gint64 program_date_time_us,
    gboolean discontinuity, const gchar * map_uri)
{
  HlsSegment *s;
  /* EXTINF rounded to the nearest integer must not exceed the target
   * duration (RFC 8216 4.3.3.1) */
  guint rounded = (guint) ((duration_ns + 500000000) / 1000000000);

  if (pl->open && pl->open->number == number) {
    /* it was in progress: its parts stay with it */
    s = g_steal_pointer (&pl->open);
  } else {
    g_clear_pointer (&pl->open, segment_free);
    s = segment_new (pl, number, program_date_time_us, discontinuity, map_uri);
  }
  s->uri = g_strdup (uri);
  s->duration = duration_ns;
  s->tail = render_inf (s);
  g_free (pl->last_map);
  pl->last_map = g_strdup (map_uri);
  if (!pl->has_sequence) {
    pl->media_sequence = number;
    pl->has_sequence = TRUE;
  }
  pl->target_duration = MAX (pl->target_duration, rounded);
  g_ptr_array_add (pl->segments, s);
  drop_old_parts (pl);
  if (pl->hold_armed) {
    pl->hold_armed = FALSE;
    pl->holding = TRUE;
    pl->hold_from = number;
  }
}

void
hls_media_playlist_hold (HlsMediaPlaylist * pl, guint count)
{
  pl->hold_count = count;
  pl->hold_armed = count > 1;
  pl->holding = FALSE;
}

/* How many segments the file lists: all but the held ones */
static guint
listed_segments (HlsMediaPlaylist * pl)
{
  guint i, first = pl->segments->len;

  if (!pl->holding)
    return pl->segments->len;
  for (i = pl->segments->len; i > 0; i--) {
    HlsSegment *s = g_ptr_array_index (pl->segments, i - 1);
    if (s->number < pl->hold_from)
      break;
    first = i - 1;
  }
  if (pl->ended || pl->segments->len - first >= pl->hold_count) {
    pl->holding = FALSE;
    return pl->segments->len;
  }
  return first;
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
    /* a removed EXT-X-DISCONTINUITY is counted (RFC 8216 6.2.1); the
     * first listed segment's is not rendered, so it counted already */
    if (s->discontinuity && i > 0)
      pl->discontinuity_sequence++;
  }
  /* the new first segment's EXT-X-DISCONTINUITY is no longer rendered */
  if (n > 0 && n < pl->segments->len &&
      ((HlsSegment *) g_ptr_array_index (pl->segments, n))->discontinuity)
    pl->discontinuity_sequence++;
  if (n > 0) {
    g_ptr_array_remove_range (pl->segments, 0, n);
    pl->media_sequence += n;
  }
  return n;
}

/* The segment list, from @from on, up to @to (G_MAXUINT: all, and the one
 * in progress if it lists parts); @parts_from: segments that end at or
 * after this (µs) list their parts (G_MAXINT64: none); @map: the init
 * segment announced already */
static void
render_segments (HlsMediaPlaylist * pl, GString * s, guint from, guint to,
    gint64 parts_from, const gchar * map)
{
  guint i, n = pl->segments->len + (pl->open && parts_from < G_MAXINT64);

  n = MIN (n, to);

  for (i = from; i < n; i++) {
    HlsSegment *seg = i < pl->segments->len ?
        g_ptr_array_index (pl->segments, i) : pl->open;
    gint64 end = seg->program_date_time + (gint64) (seg->duration / NS_PER_US);

    if (seg->discontinuity && i > 0)
      g_string_append (s, "#EXT-X-DISCONTINUITY\n");
    if (g_strcmp0 (map, seg->map_uri) != 0) {
      map = seg->map_uri;
      g_string_append_printf (s, "#EXT-X-MAP:URI=\"%s\"\n", map);
    }
    g_string_append (s, seg->head);
    if (seg->parts && end >= parts_from) {
      guint k;
      for (k = 0; k < seg->parts->len; k++)
        g_string_append (s, ((HlsPart *) g_ptr_array_index (seg->parts,
                    k))->line);
    }
    if (seg->tail)
      g_string_append (s, seg->tail);
  }
}

static void
render_header (HlsMediaPlaylist * pl, GString * s, guint version)
{
  g_string_append_printf (s, "#EXTM3U\n#EXT-X-VERSION:%u\n", version);
  g_string_append_printf (s, "#EXT-X-TARGETDURATION:%u\n", pl->target_duration);
}

static void
render_sequences (HlsMediaPlaylist * pl, GString * s)
{
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
}

gchar *
hls_media_playlist_render (HlsMediaPlaylist * pl)
{
  GString *s = g_string_sized_new (256 + pl->segments->len * 120);

  render_header (pl, s, 7);
  render_sequences (pl, s);
  render_segments (pl, s, 0, listed_segments (pl), G_MAXINT64, NULL);
  if (pl->ended)
    g_string_append (s, "#EXT-X-ENDLIST\n");
  return g_string_free (s, FALSE);
}

/* --- LL-HLS ------------------------------------------------------------ */

void
hls_media_playlist_set_parts (HlsMediaPlaylist * pl, const gchar * prefix,
    guint64 part_target, guint64 part_hold_back)
{
  g_free (pl->part_prefix);
  pl->part_prefix = g_strdup (prefix);
  pl->part_target = part_target;
  pl->part_hold_back = part_hold_back;
}

gchar *
hls_media_playlist_part_uri (HlsMediaPlaylist * pl, guint64 key, guint index)
{
  return g_strdup_printf ("%s%" G_GUINT64_FORMAT ".%u.m4s",
      pl->part_prefix ? pl->part_prefix : "", key, index);
}

void
hls_media_playlist_add_part_keyed (HlsMediaPlaylist * pl, guint64 number,
    guint64 key, guint index, guint64 duration_ns, gboolean independent,
    gint64 program_date_time_us, gboolean discontinuity, const gchar * map_uri)
{
  HlsPart *p;
  GString *line;
  gchar *uri;

  if (pl->open && (pl->open->number != number || index != pl->open->parts->len))
    g_clear_pointer (&pl->open, segment_free);
  /* parts come in order from 0; a segment that missed its first ones
   * (recorded before the stream had a date) is listed without parts */
  if (pl->open == NULL && index != 0)
    return;
  if (pl->open == NULL) {
    pl->open = segment_new (pl, number, program_date_time_us, discontinuity,
        map_uri);
    pl->open->part_key = key;
    pl->open->parts = g_ptr_array_new_with_free_func ((GDestroyNotify)
        part_free);
  }

  p = g_new0 (HlsPart, 1);
  p->duration = duration_ns;
  p->independent = independent;
  uri = hls_media_playlist_part_uri (pl, key, index);
  line = g_string_new ("#EXT-X-PART:DURATION=");
  append_seconds (line, duration_ns, FALSE);
  g_string_append_printf (line, ",URI=\"%s\"%s\n", uri,
      independent ? ",INDEPENDENT=YES" : "");
  p->line = g_string_free (line, FALSE);
  g_free (uri);
  g_ptr_array_add (pl->open->parts, p);
  pl->open->duration += duration_ns;
}

void
hls_media_playlist_add_part (HlsMediaPlaylist * pl, guint64 number,
    guint index, guint64 duration_ns, gboolean independent,
    gint64 program_date_time_us, gboolean discontinuity, const gchar * map_uri)
{
  hls_media_playlist_add_part_keyed (pl, number, number, index, duration_ns,
      independent, program_date_time_us, discontinuity, map_uri);
}

void
hls_media_playlist_set_next_part_key (HlsMediaPlaylist * pl, guint64 key)
{
  pl->next_part_key = key;
  pl->has_next_part_key = TRUE;
}

gboolean
hls_media_playlist_last_segment (HlsMediaPlaylist * pl, guint64 * msn)
{
  if (pl->segments->len == 0)
    return FALSE;
  *msn = ((HlsSegment *) g_ptr_array_index (pl->segments,
          pl->segments->len - 1))->number;
  return TRUE;
}

gboolean
hls_media_playlist_last_part (HlsMediaPlaylist * pl, guint64 * msn,
    guint * index)
{
  HlsSegment *last;

  if (pl->open && pl->open->parts->len > 0) {
    *msn = pl->open->number;
    *index = pl->open->parts->len - 1;
    return TRUE;
  }
  if (pl->segments->len == 0)
    return FALSE;
  last = g_ptr_array_index (pl->segments, pl->segments->len - 1);
  if (last->parts == NULL || last->parts->len == 0)
    return FALSE;
  *msn = last->number;
  *index = last->parts->len - 1;
  return TRUE;
}

void
hls_media_playlist_get_state (HlsMediaPlaylist * pl, HlsPlaylistState * st)
{
  memset (st, 0, sizeof (*st));
  st->low_latency = pl->part_target > 0 && !pl->ended;
  st->ended = pl->ended;
  st->has_segment = hls_media_playlist_last_segment (pl, &st->last_msn);
  st->has_part = hls_media_playlist_last_part (pl, &st->part_msn,
      &st->part_index);
  st->part_target = pl->part_target;
  st->target_duration = pl->target_duration;
}

/* The date (µs) at which the playlist ends: the end of its last part or
 * segment */
static gint64
playlist_end (HlsMediaPlaylist * pl)
{
  HlsSegment *last = pl->open;

  if (last == NULL && pl->segments->len > 0)
    last = g_ptr_array_index (pl->segments, pl->segments->len - 1);
  if (last == NULL)
    return 0;
  return last->program_date_time + (gint64) (last->duration / NS_PER_US);
}

/* How many of the first segments a Playlist Delta Update skips: those
 * that ended more than @boundary_us before the last complete segment did
 * (RFC 8216bis 6.2.5.1), never a discontinuity or a new init segment
 * (their tags stay), and not the last one */
static guint
skippable (HlsMediaPlaylist * pl, gint64 boundary_us)
{
  HlsSegment *last;
  gint64 last_end;
  guint i;

  if (pl->segments->len < 2)
    return 0;
  last = g_ptr_array_index (pl->segments, pl->segments->len - 1);
  last_end = last->program_date_time + (gint64) (last->duration / NS_PER_US);
  for (i = 0; i + 1 < pl->segments->len; i++) {
    HlsSegment *s = g_ptr_array_index (pl->segments, i);
    gint64 end = s->program_date_time + (gint64) (s->duration / NS_PER_US);
    if (i > 0 && (s->discontinuity || g_strcmp0 (s->map_uri, ((HlsSegment *)
                    g_ptr_array_index (pl->segments, i - 1))->map_uri) != 0))
      break;
    if (end + boundary_us > last_end)
      break;
  }
  return i;
}

gchar *
hls_media_playlist_render_ll (HlsMediaPlaylist * pl, gboolean delta,
    const HlsRenditionReport * reports, guint n_reports)
{
  GString *s;
  guint64 skip_until = 6 * (guint64) pl->target_duration, next_msn = 0;
  guint i, skip = 0, next_part = 0;
  gint64 parts_from;
  const gchar *skip_map = NULL;

  if (pl->part_target == 0 || pl->ended)
    return hls_media_playlist_render (pl);

  s = g_string_sized_new (512 + pl->segments->len * 120);
  if (delta)
    skip = skippable (pl, (gint64) skip_until * G_USEC_PER_SEC);
  /* EXT-X-SKIP needs version 9 */
  render_header (pl, s, skip > 0 ? 9 : 7);
  /* every playlist of the presentation says the same (6.2.4) */
  g_string_append_printf (s, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
      "CAN-SKIP-UNTIL=%" G_GUINT64_FORMAT ".0,PART-HOLD-BACK=", skip_until);
  append_seconds (s, pl->part_hold_back, TRUE);
  g_string_append (s, "\n#EXT-X-PART-INF:PART-TARGET=");
  append_seconds (s, pl->part_target, TRUE);
  g_string_append_c (s, '\n');
  render_sequences (pl, s);
  if (skip > 0) {
    /* the EXT-X-MAP in effect where the skipped segments end stays (a
     * new one after them follows as in the full playlist) */
    skip_map = ((HlsSegment *) g_ptr_array_index (pl->segments,
            skip - 1))->map_uri;
    g_string_append_printf (s, "#EXT-X-MAP:URI=\"%s\"\n", skip_map);
    g_string_append_printf (s, "#EXT-X-SKIP:SKIPPED-SEGMENTS=%u\n", skip);
  }
  parts_from = playlist_end (pl) -
      (gint64) PART_WINDOW_TDS *pl->target_duration * G_USEC_PER_SEC;
  render_segments (pl, s, skip, G_MAXUINT, parts_from, skip_map);

  /* the next part: of the segment in progress, or the first of the next
   * (named by the key the caller gave, else by the next number) */
  if (pl->open) {
    next_msn = pl->open->part_key;
    next_part = pl->open->parts->len;
  } else if (pl->has_next_part_key) {
    next_msn = pl->next_part_key;
  } else if (hls_media_playlist_last_segment (pl, &next_msn)) {
    next_msn++;
  }
  if (pl->open || pl->segments->len > 0) {
    gchar *uri = hls_media_playlist_part_uri (pl, next_msn, next_part);
    g_string_append_printf (s, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s\"\n",
        uri);
    g_free (uri);
  }
  for (i = 0; i < n_reports; i++) {
    g_string_append_printf (s, "#EXT-X-RENDITION-REPORT:URI=\"%s\",LAST-MSN=%"
        G_GUINT64_FORMAT, reports[i].uri, reports[i].last_msn);
    if (reports[i].last_part >= 0)
      g_string_append_printf (s, ",LAST-PART=%d", reports[i].last_part);
    g_string_append_c (s, '\n');
  }
  return g_string_free (s, FALSE);
}

/* --- master playlist --------------------------------------------------- */

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
