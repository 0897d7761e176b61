/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's resume state.  See dashresume.h.
 *
 * The file, GKeyFile syntax (every time in ns, every tick count in the
 * representation's timescale):
 *
 *   [presentation]
 *   format=1
 *   segment-duration=2000000000
 *   hls=true
 *   ended=false
 *   next-period-id=2
 *   max-segment-duration=2000000000
 *   periods=p0;p1;
 *
 *   [period p1]
 *   start=1780000000000000000
 *   representations=video_0;audio_0;
 *
 *   [representation p1 video_0]
 *   kind=video
 *   codecs=avc1.64001f
 *   timescale=90000
 *   init=video_0-init-0123456789ab.mp4
 *   media=video_0-$Time$.m4s
 *   presentation-time-offset=160200000000000
 *   width=... height=... fps-n=... (video) rate=... channels=... (audio)
 *   peak-bitrate=1234567
 *   segments=number,t,d,size;...
 *
 *   [playlist video_0]
 *   media-sequence=890000000
 *   discontinuity-sequence=0
 *   target-duration=2
 *   segments=number,duration,program-date-time-us,discontinuity,map,uri;...
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "dashresume.h"
#include "dashtime.h"
#include "cmafwriter.h"

#define FORMAT 1
#define G_PRES "presentation"

G_DEFINE_QUARK (dash - resume - error - quark, dash_resume_error);

void
dash_resume_state_free (DashResumeState * st)
{
  if (st == NULL)
    return;
  mpd_model_free (st->mpd);
  if (st->playlist_ids)
    g_ptr_array_free (st->playlist_ids, TRUE);
  if (st->playlists)
    g_ptr_array_free (st->playlists, TRUE);
  g_free (st);
}

gchar *
dash_resume_state_name (const gchar * mpd_name)
{
  return g_strdup_printf (".%s.state", mpd_name);
}

/* ---------------------------------------------------------------- */
/* writing */

static void
set_u64 (GKeyFile * kf, const gchar * group, const gchar * key, guint64 v)
{
  gchar buf[24];

  g_snprintf (buf, sizeof (buf), "%" G_GUINT64_FORMAT, v);
  g_key_file_set_value (kf, group, key, buf);
}

static void
set_uint_if (GKeyFile * kf, const gchar * group, const gchar * key, guint v)
{
  if (v > 0)
    set_u64 (kf, group, key, v);
}

static void
render_rep (GKeyFile * kf, const MpdPeriod * p, const MpdRepresentation * r)
{
  gchar *g = g_strdup_printf ("representation %s %s", p->id, r->id);
  GString *segs = g_string_new (NULL);
  guint i;

  g_key_file_set_string (kf, g, "kind",
      r->kind == MPD_KIND_VIDEO ? "video" : "audio");
  if (r->codecs)
    g_key_file_set_string (kf, g, "codecs", r->codecs);
  set_u64 (kf, g, "timescale", r->timescale);
  if (r->init_url)
    g_key_file_set_string (kf, g, "init", r->init_url);
  if (r->media_template)
    g_key_file_set_string (kf, g, "media", r->media_template);
  set_u64 (kf, g, "presentation-time-offset", r->presentation_time_offset);
  set_uint_if (kf, g, "width", r->width);
  set_uint_if (kf, g, "height", r->height);
  set_uint_if (kf, g, "fps-n", r->fps_n);
  set_uint_if (kf, g, "fps-d", r->fps_d);
  set_uint_if (kf, g, "par-n", r->par_n);
  set_uint_if (kf, g, "par-d", r->par_d);
  set_uint_if (kf, g, "rate", r->sample_rate);
  set_uint_if (kf, g, "channels", r->channels);
  if (r->lang)
    g_key_file_set_string (kf, g, "lang", r->lang);
  set_u64 (kf, g, "bandwidth-hint", r->bandwidth_hint);
  set_u64 (kf, g, "peak-bitrate", r->peak_bitrate);
  set_u64 (kf, g, "next-number", r->next_number);
  for (i = 0; i < r->segments->len; i++) {
    const MpdSegment *s = &g_array_index (r->segments, MpdSegment, i);
    g_string_append_printf (segs, "%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
        ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ";", s->number, s->t,
        s->d, s->size);
  }
  g_key_file_set_value (kf, g, "segments", segs->str);
  g_string_free (segs, TRUE);
  g_free (g);
}

static void
render_playlist (GKeyFile * kf, const gchar * id, HlsMediaPlaylist * pl)
{
  gchar *g = g_strdup_printf ("playlist %s", id);
  GString *segs = g_string_new (NULL);
  guint i;

  set_u64 (kf, g, "media-sequence", pl->media_sequence);
  set_u64 (kf, g, "discontinuity-sequence", pl->discontinuity_sequence);
  set_u64 (kf, g, "target-duration", pl->target_duration);
  for (i = 0; i < pl->segments->len; i++) {
    const HlsSegment *s = g_ptr_array_index (pl->segments, i);
    g_string_append_printf (segs, "%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
        ",%" G_GINT64_FORMAT ",%d,%s,%s;", s->number, s->duration,
        s->program_date_time, s->discontinuity ? 1 : 0,
        s->map_uri ? s->map_uri : "", s->uri);
  }
  g_key_file_set_value (kf, g, "segments", segs->str);
  g_string_free (segs, TRUE);
  g_free (g);
}

gchar *
dash_resume_render (guint64 segment_duration, gboolean hls, gboolean ended,
    const MpdModel * mpd, const gchar * const *playlist_ids,
    HlsMediaPlaylist * const *playlists, guint n_playlists)
{
  GKeyFile *kf = g_key_file_new ();
  GPtrArray *ids = g_ptr_array_new ();
  gchar *text;
  guint pi, ri;

  set_u64 (kf, G_PRES, "format", FORMAT);
  set_u64 (kf, G_PRES, "segment-duration", segment_duration);
  g_key_file_set_boolean (kf, G_PRES, "hls", hls);
  g_key_file_set_boolean (kf, G_PRES, "ended", ended);
  set_u64 (kf, G_PRES, "next-period-id", mpd->next_period_id);
  set_u64 (kf, G_PRES, "max-segment-duration", mpd->max_segment_duration);
  for (pi = 0; pi < mpd->periods->len; pi++) {
    const MpdPeriod *p = g_ptr_array_index (mpd->periods, pi);
    gchar *g = g_strdup_printf ("period %s", p->id);
    GPtrArray *reps = g_ptr_array_new ();

    g_ptr_array_add (ids, p->id);
    set_u64 (kf, g, "start", p->start);
    for (ri = 0; ri < p->reps->len; ri++) {
      const MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      g_ptr_array_add (reps, r->id);
      render_rep (kf, p, r);
    }
    g_key_file_set_string_list (kf, g, "representations",
        (const gchar * const *) reps->pdata, reps->len);
    g_ptr_array_free (reps, TRUE);
    g_free (g);
  }
  g_key_file_set_string_list (kf, G_PRES, "periods",
      (const gchar * const *) ids->pdata, ids->len);
  g_ptr_array_free (ids, TRUE);
  for (pi = 0; playlists && pi < n_playlists; pi++)
    if (playlists[pi])
      render_playlist (kf, playlist_ids[pi], playlists[pi]);
  text = g_key_file_to_data (kf, NULL, NULL);
  g_key_file_free (kf);
  return text;
}

/* ---------------------------------------------------------------- */
/* reading */

static gboolean
parse_u64 (const gchar * s, guint64 * v)
{
  return s && *s && g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT64, v, NULL);
}

/* A required unsigned value */
static gboolean
get_u64 (GKeyFile * kf, const gchar * group, const gchar * key, guint64 * v,
    GError ** error)
{
  gchar *s = g_key_file_get_value (kf, group, key, NULL);
  gboolean ok = parse_u64 (s, v);

  if (!ok)
    g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_CORRUPT,
        "[%s] %s: not a number (\"%s\")", group, key, s ? s : "");
  g_free (s);
  return ok;
}

/* An optional unsigned value, 0 when absent */
static guint
get_uint_opt (GKeyFile * kf, const gchar * group, const gchar * key)
{
  gchar *s = g_key_file_get_value (kf, group, key, NULL);
  guint64 v = 0;

  if (s && !parse_u64 (s, &v))
    v = 0;
  g_free (s);
  return (guint) MIN (v, G_MAXUINT);
}

static gboolean
corrupt (GError ** error, const gchar * what, const gchar * where)
{
  g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_CORRUPT,
      "%s in [%s]", what, where);
  return FALSE;
}

static gboolean
parse_rep (GKeyFile * kf, MpdPeriod * p, const gchar * id, GError ** error)
{
  gchar *g = g_strdup_printf ("representation %s %s", p->id, id);
  MpdRepresentationInfo info = { 0, };
  MpdRepresentation *r;
  gchar *kind = NULL, *codecs = NULL, *init = NULL, *media = NULL,
      *lang = NULL, *segs = NULL, **items = NULL;
  guint64 ts = 0, pto = 0, peak = 0, hint = 0, next = 0;
  gboolean ok = FALSE;
  guint i;

  kind = g_key_file_get_string (kf, g, "kind", NULL);
  if (g_strcmp0 (kind, "video") != 0 && g_strcmp0 (kind, "audio") != 0) {
    corrupt (error, "no kind", g);
    goto done;
  }
  if (!get_u64 (kf, g, "timescale", &ts, error) ||
      !get_u64 (kf, g, "presentation-time-offset", &pto, error) ||
      !get_u64 (kf, g, "peak-bitrate", &peak, error) ||
      !get_u64 (kf, g, "bandwidth-hint", &hint, error) ||
      !get_u64 (kf, g, "next-number", &next, error))
    goto done;
  if (ts == 0 || ts > G_MAXUINT32) {
    corrupt (error, "bad timescale", g);
    goto done;
  }
  codecs = g_key_file_get_string (kf, g, "codecs", NULL);
  init = g_key_file_get_string (kf, g, "init", NULL);
  media = g_key_file_get_string (kf, g, "media", NULL);
  lang = g_key_file_get_string (kf, g, "lang", NULL);
  info.id = id;
  info.kind = g_str_equal (kind, "video") ? MPD_KIND_VIDEO : MPD_KIND_AUDIO;
  info.codecs = codecs;
  info.timescale = (guint32) ts;
  info.init_url = init;
  info.media_template = media;
  info.presentation_time_offset = pto;
  info.width = get_uint_opt (kf, g, "width");
  info.height = get_uint_opt (kf, g, "height");
  info.fps_n = get_uint_opt (kf, g, "fps-n");
  info.fps_d = get_uint_opt (kf, g, "fps-d");
  info.par_n = get_uint_opt (kf, g, "par-n");
  info.par_d = get_uint_opt (kf, g, "par-d");
  info.sample_rate = get_uint_opt (kf, g, "rate");
  info.channels = get_uint_opt (kf, g, "channels");
  info.lang = lang;
  info.bandwidth_hint = hint;
  info.start_number = next;
  r = mpd_period_add_representation (p, &info);

  segs = g_key_file_get_value (kf, g, "segments", NULL);
  items = g_strsplit (segs ? segs : "", ";", -1);
  for (i = 0; items[i]; i++) {
    gchar **f;
    guint64 v[4];
    guint k;

    if (*items[i] == '\0')
      continue;
    f = g_strsplit (items[i], ",", -1);
    for (k = 0; k < 4 && f[k] && parse_u64 (f[k], &v[k]); k++);
    if (k < 4 || f[4] != NULL || (r->segments->len > 0 &&
            v[1] < g_array_index (r->segments, MpdSegment,
                r->segments->len - 1).t)) {
      g_strfreev (f);
      corrupt (error, "bad segment", g);
      goto done;
    }
    g_strfreev (f);
    r->next_number = v[0];
    mpd_representation_add_segment (r, v[1], v[2], v[3]);
  }
  r->next_number = next;
  r->peak_bitrate = MAX (r->peak_bitrate, peak);
  ok = TRUE;

done:
  g_strfreev (items);
  g_free (segs);
  g_free (kind);
  g_free (codecs);
  g_free (init);
  g_free (media);
  g_free (lang);
  g_free (g);
  return ok;
}

static HlsMediaPlaylist *
parse_playlist (GKeyFile * kf, const gchar * id, GError ** error)
{
  gchar *g = g_strdup_printf ("playlist %s", id);
  HlsMediaPlaylist *pl = NULL;
  guint64 seq = 0, dseq = 0, target = 0;
  gchar *segs = NULL, **items = NULL;
  guint i;

  if (!get_u64 (kf, g, "media-sequence", &seq, error) ||
      !get_u64 (kf, g, "discontinuity-sequence", &dseq, error) ||
      !get_u64 (kf, g, "target-duration", &target, error))
    goto done;
  pl = hls_media_playlist_new ((guint) MIN (target, 3600));
  segs = g_key_file_get_value (kf, g, "segments", NULL);
  items = g_strsplit (segs ? segs : "", ";", -1);
  for (i = 0; items[i]; i++) {
    gchar **f;
    guint64 number, dur, disc;
    gint64 pdt;

    if (*items[i] == '\0')
      continue;
    f = g_strsplit (items[i], ",", 6);
    if (g_strv_length (f) != 6 || !parse_u64 (f[0], &number) ||
        !parse_u64 (f[1], &dur) || !parse_u64 (f[3], &disc) ||
        !g_ascii_string_to_signed (f[2], 10, G_MININT64, G_MAXINT64, &pdt,
            NULL) || *f[5] == '\0') {
      g_strfreev (f);
      corrupt (error, "bad segment", g);
      g_clear_pointer (&pl, hls_media_playlist_free);
      goto done;
    }
    hls_media_playlist_add_segment (pl, number, f[5], dur, pdt, disc != 0,
        *f[4] ? f[4] : NULL);
    g_strfreev (f);
  }
  if (!pl->has_sequence) {
    pl->media_sequence = seq;
    pl->has_sequence = seq > 0;
  }
  pl->discontinuity_sequence = dseq;

done:
  g_strfreev (items);
  g_free (segs);
  g_free (g);
  return pl;
}

DashResumeState *
dash_resume_parse (const gchar * text, GError ** error)
{
  GKeyFile *kf = g_key_file_new ();
  DashResumeState *st = g_new0 (DashResumeState, 1);
  gchar **periods = NULL, **groups = NULL;
  guint64 format = 0, next_id = 0;
  GError *err = NULL;
  guint i;

  st->mpd = mpd_model_new ();
  st->playlist_ids = g_ptr_array_new_with_free_func (g_free);
  st->playlists = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hls_media_playlist_free);
  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &err)) {
    g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_CORRUPT,
        "%s", err->message);
    g_clear_error (&err);
    goto fail;
  }
  if (!get_u64 (kf, G_PRES, "format", &format, error))
    goto fail;
  if (format != FORMAT) {
    g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_CORRUPT,
        "state format %" G_GUINT64_FORMAT " (this version reads %d)", format,
        FORMAT);
    goto fail;
  }
  if (!get_u64 (kf, G_PRES, "segment-duration", &st->segment_duration, error)
      || !get_u64 (kf, G_PRES, "next-period-id", &next_id, error) ||
      !get_u64 (kf, G_PRES, "max-segment-duration",
          &st->mpd->max_segment_duration, error))
    goto fail;
  st->hls = g_key_file_get_boolean (kf, G_PRES, "hls", NULL);
  st->ended = g_key_file_get_boolean (kf, G_PRES, "ended", NULL);
  mpd_model_set_availability_start_time (st->mpd, 0);

  periods = g_key_file_get_string_list (kf, G_PRES, "periods", NULL, NULL);
  for (i = 0; periods && periods[i]; i++) {
    gchar *g = g_strdup_printf ("period %s", periods[i]);
    gchar **reps;
    guint64 start = 0;
    MpdPeriod *p;
    guint k;

    if (!get_u64 (kf, g, "start", &start, error)) {
      g_free (g);
      goto fail;
    }
    p = mpd_model_add_period (st->mpd, start);
    g_free (p->id);
    p->id = g_strdup (periods[i]);
    reps = g_key_file_get_string_list (kf, g, "representations", NULL, NULL);
    for (k = 0; reps && reps[k]; k++) {
      if (!parse_rep (kf, p, reps[k], error)) {
        g_strfreev (reps);
        g_free (g);
        goto fail;
      }
    }
    g_strfreev (reps);
    g_free (g);
  }
  st->mpd->next_period_id = (guint) MIN (next_id, G_MAXUINT);

  groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups[i]; i++) {
    HlsMediaPlaylist *pl;

    if (!g_str_has_prefix (groups[i], "playlist "))
      continue;
    pl = parse_playlist (kf, groups[i] + strlen ("playlist "), error);
    if (pl == NULL)
      goto fail;
    g_ptr_array_add (st->playlist_ids,
        g_strdup (groups[i] + strlen ("playlist ")));
    g_ptr_array_add (st->playlists, pl);
  }
  g_strfreev (groups);
  g_strfreev (periods);
  g_key_file_free (kf);
  return st;

fail:
  g_strfreev (groups);
  g_strfreev (periods);
  g_key_file_free (kf);
  dash_resume_state_free (st);
  return NULL;
}

/* ---------------------------------------------------------------- */
/* decisions */

static gint
compare_str (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* The representations of the last period (the configuration of the run
 * that wrote the state), sorted, joined with ", " */
static gchar *
last_rep_ids (const DashResumeState * st)
{
  GPtrArray *ids = g_ptr_array_new ();
  MpdPeriod *p = mpd_model_last_period (st->mpd);
  gchar *res;
  guint i;

  for (i = 0; p && i < p->reps->len; i++)
    g_ptr_array_add (ids, ((MpdRepresentation *) g_ptr_array_index (p->reps,
                i))->id);
  g_ptr_array_sort (ids, compare_str);
  g_ptr_array_add (ids, NULL);
  res = g_strjoinv (", ", (gchar **) ids->pdata);
  g_ptr_array_free (ids, TRUE);
  return res;
}

gboolean
dash_resume_check (const DashResumeState * st, guint64 segment_duration,
    gboolean hls, const gchar * const *rep_ids, GError ** error)
{
  gchar *was, *now;
  GPtrArray *ids;
  guint i;

  if (st->segment_duration != segment_duration) {
    g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_INCOMPATIBLE,
        "it was written with segment-duration %" G_GUINT64_FORMAT
        " ns, this sink has %" G_GUINT64_FORMAT " ns", st->segment_duration,
        segment_duration);
    return FALSE;
  }
  if (st->hls != hls) {
    g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_INCOMPATIBLE,
        "it was written with hls=%s, this sink has hls=%s",
        st->hls ? "true" : "false", hls ? "true" : "false");
    return FALSE;
  }
  if (rep_ids == NULL || rep_ids[0] == NULL)
    return TRUE;
  ids = g_ptr_array_new ();
  for (i = 0; rep_ids[i]; i++)
    g_ptr_array_add (ids, (gpointer) rep_ids[i]);
  g_ptr_array_sort (ids, compare_str);
  g_ptr_array_add (ids, NULL);
  now = g_strjoinv (", ", (gchar **) ids->pdata);
  g_ptr_array_free (ids, TRUE);
  was = last_rep_ids (st);
  /* a representation the previous run had must go on (its HLS playlist
   * would stop); new ones may join */
  {
    MpdPeriod *p = mpd_model_last_period (st->mpd);
    for (i = 0; p && i < p->reps->len; i++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, i);
      if (!g_strv_contains (rep_ids, r->id)) {
        g_set_error (error, DASH_RESUME_ERROR,
            DASH_RESUME_ERROR_INCOMPATIBLE, "it has the representations %s, "
            "this sink has %s (no %s)", was, now, r->id);
        g_free (was);
        g_free (now);
        return FALSE;
      }
    }
  }
  g_free (was);
  g_free (now);
  return TRUE;
}

guint
dash_resume_n_segments (const DashResumeState * st)
{
  guint n = 0, pi, ri;

  for (pi = 0; pi < st->mpd->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (st->mpd->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++)
      n += ((MpdRepresentation *) g_ptr_array_index (p->reps,
              ri))->segments->len;
  }
  return n;
}

guint64
dash_resume_end (const DashResumeState * st)
{
  guint64 end = 0;
  guint pi, ri;

  for (pi = 0; pi < st->mpd->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (st->mpd->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++)
      end = MAX (end, mpd_representation_end (g_ptr_array_index (p->reps, ri)));
  }
  return end;
}

guint64
dash_resume_next_number (const DashResumeState * st, const gchar * id)
{
  guint64 next = 0;
  guint pi, ri;

  for (pi = 0; pi < st->mpd->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (st->mpd->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      if (g_str_equal (r->id, id))
        next = MAX (next, r->next_number);
    }
  }
  for (pi = 0; pi < st->playlists->len; pi++) {
    HlsMediaPlaylist *pl = g_ptr_array_index (st->playlists, pi);
    if (g_str_equal (g_ptr_array_index (st->playlist_ids, pi), id) &&
        pl->segments->len > 0)
      next = MAX (next, ((HlsSegment *) g_ptr_array_index (pl->segments,
                  pl->segments->len - 1))->number + 1);
  }
  return next;
}

void
dash_resume_scan_clear (DashResumeScan * scan)
{
  if (scan->temporary)
    g_ptr_array_free (scan->temporary, TRUE);
  if (scan->orphans)
    g_ptr_array_free (scan->orphans, TRUE);
  if (scan->adoptable)
    g_ptr_array_free (scan->adoptable, TRUE);
  memset (scan, 0, sizeof (*scan));
}

/* "<id>-<digits>.m4s" (+ ".tmp" when @tmp) of a representation in @reps
 * (id -> timescale, 0 = unknown): its id's timescale and the number */
static gboolean
segment_file (GHashTable * reps, const gchar * name, gboolean tmp,
    guint32 * timescale, guint64 * t)
{
  gsize len = strlen (name), end;
  const gchar *dash;
  gchar *id, *digits;
  gpointer ts;
  gboolean ok;

  end = len - (tmp ? strlen (".m4s.tmp") : strlen (".m4s"));
  if (len <= (tmp ? 8 : 4) || !g_str_has_suffix (name, tmp ? ".m4s.tmp" :
          ".m4s"))
    return FALSE;
  dash = g_strrstr_len (name, end, "-");
  if (dash == NULL || dash == name)
    return FALSE;
  id = g_strndup (name, dash - name);
  digits = g_strndup (dash + 1, name + end - (dash + 1));
  ok = g_hash_table_lookup_extended (reps, id, NULL, &ts) &&
      parse_u64 (digits, t);
  *timescale = GPOINTER_TO_UINT (ts);
  g_free (id);
  g_free (digits);
  return ok;
}

static guint32
read_u32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

#define GST_READ_UINT32_BE_(p) read_u32 (p)

/* By representation, then by start */
static gint
compare_segment_files (gconstpointer pa, gconstpointer pb, gpointer reps)
{
  const gchar *a = *(const gchar * const *) pa, *b =
      *(const gchar * const *) pb;
  guint32 ta, tb;
  guint64 xa = 0, xb = 0;
  gsize la = strrchr (a, '-') - a, lb = strrchr (b, '-') - b;
  gint c = strncmp (a, b, MIN (la, lb));

  if (c != 0 || la != lb)
    return c != 0 ? c : (la < lb ? -1 : 1);
  segment_file (reps, a, g_str_has_suffix (a, ".tmp"), &ta, &xa);
  segment_file (reps, b, g_str_has_suffix (b, ".tmp"), &tb, &xb);
  return xa < xb ? -1 : (xa > xb ? 1 : 0);
}

static gchar *
expand (const MpdRepresentation * r, const MpdSegment * s)
{
  gchar *t = g_strdup_printf ("%" G_GUINT64_FORMAT, s->t);
  gchar **parts = g_strsplit (r->media_template ? r->media_template : "",
      "$Time$", -1);
  gchar *res = g_strjoinv (t, parts);

  g_strfreev (parts);
  g_free (t);
  return res;
}

void
dash_resume_scan (const DashResumeState * st, gboolean resume,
    const gchar * const *rep_ids, const gchar * const *names,
    DashResumeScan * scan)
{
  GHashTable *reps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  GHashTable *listed = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  guint i, pi, ri;

  memset (scan, 0, sizeof (*scan));
  scan->temporary = g_ptr_array_new_with_free_func (g_free);
  scan->orphans = g_ptr_array_new_with_free_func (g_free);
  scan->adoptable = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; rep_ids && rep_ids[i]; i++)
    g_hash_table_insert (reps, g_strdup (rep_ids[i]), NULL);
  for (pi = 0; st && pi < st->mpd->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (st->mpd->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      guint k;

      g_hash_table_insert (reps, g_strdup (r->id),
          GUINT_TO_POINTER (r->timescale));
      for (k = 0; k < r->segments->len; k++) {
        const MpdSegment *s = &g_array_index (r->segments, MpdSegment, k);
        if (resume)
          g_hash_table_add (listed, expand (r, s));
        scan->floor_ns = MAX (scan->floor_ns, dash_ticks_to_ns (s->t + s->d,
                r->timescale));
      }
    }
  }

  for (i = 0; names && names[i]; i++) {
    const gchar *n = names[i];
    guint32 ts = 0;
    guint64 t = 0;

    if (g_str_has_suffix (n, ".tmp")) {
      g_ptr_array_add (scan->temporary, g_strdup (n));
      if (segment_file (reps, n, TRUE, &ts, &t) && ts > 0) {
        scan->floor_ns = MAX (scan->floor_ns, dash_ticks_to_ns (t + 1, ts));
        if (resume)
          g_ptr_array_add (scan->adoptable, g_strdup (n));
      }
    } else if (segment_file (reps, n, FALSE, &ts, &t) &&
        !g_hash_table_contains (listed, n)) {
      g_ptr_array_add (scan->orphans, g_strdup (n));
      if (ts > 0) {
        scan->floor_ns = MAX (scan->floor_ns, dash_ticks_to_ns (t + 1, ts));
        if (resume)
          g_ptr_array_add (scan->adoptable, g_strdup (n));
      }
    }
  }
  /* in time order: a representation's next one first */
  g_ptr_array_sort_with_data (scan->adoptable, compare_segment_files, reps);
  g_hash_table_unref (listed);
  g_hash_table_unref (reps);
}

/* ---------------------------------------------------------------- */
/* segments a crashed run published after its last manifest, or was
 * writing */

gsize
dash_resume_complete_chunks (const guint8 * data, gsize size,
    guint64 * duration)
{
  gsize pos = 0, complete = 0;
  guint64 d = 0, chunk_d = 0;
  gboolean have_moof = FALSE;

  while (pos + 8 <= size) {
    guint64 bs = GST_READ_UINT32_BE_ (data + pos);
    gsize hdr = 8;
    const guint8 *type = data + pos + 4;

    if (bs == 1 && pos + 16 <= size) {
      bs = ((guint64) GST_READ_UINT32_BE_ (data + pos + 8) << 32) |
          GST_READ_UINT32_BE_ (data + pos + 12);
      hdr = 16;
    }
    if (bs < hdr || bs > size - pos)
      break;                    /* cut short: the end of what is complete */
    if (memcmp (type, "moof", 4) == 0) {
      const guint8 *traf, *trun;
      gsize ts, rs, n, i, off;
      guint32 flags;

      chunk_d = 0;
      traf = cmaf_find_box (data + pos + 8, bs - 8, "traf", &ts);
      trun = traf ? cmaf_find_box (traf + 8, ts - 8, "trun", &rs) : NULL;
      if (trun == NULL || rs < 16)
        break;
      flags = GST_READ_UINT32_BE_ (trun + 8) & 0xffffff;
      n = GST_READ_UINT32_BE_ (trun + 12);
      off = 16 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
      if (!(flags & 0x100))
        break;                  /* not ours: durations elsewhere */
      for (i = 0; i < n; i++) {
        if (off + 4 > rs)
          break;
        chunk_d += GST_READ_UINT32_BE_ (trun + off);
        off += 4 * (1 + !!(flags & 0x200) + !!(flags & 0x400) +
            !!(flags & 0x800));
      }
      if (i < n)
        break;
      have_moof = TRUE;
    } else if (memcmp (type, "mdat", 4) == 0) {
      if (!have_moof)
        break;
      d += chunk_d;
      have_moof = FALSE;
      complete = pos + bs;
    } else if (complete == 0 && (memcmp (type, "styp", 4) == 0 ||
            memcmp (type, "prft", 4) == 0)) {
      /* the segment's header, before its first chunk */
    } else if (memcmp (type, "prft", 4) != 0) {
      break;
    }
    pos += bs;
  }
  if (duration)
    *duration = complete ? d : 0;
  return complete;
}

gboolean
dash_resume_adopt (DashResumeState * st, const gchar * rep_id,
    const gchar * name, guint64 t, guint64 d, guint64 size)
{
  MpdPeriod *p = mpd_model_last_period (st->mpd);
  MpdRepresentation *r = NULL;
  const MpdSegment *last;
  HlsMediaPlaylist *pl = NULL;
  HlsSegment *hl = NULL;
  guint i;

  for (i = 0; p && i < p->reps->len; i++)
    if (g_str_equal (((MpdRepresentation *) g_ptr_array_index (p->reps,
                    i))->id, rep_id))
      r = g_ptr_array_index (p->reps, i);
  if (r == NULL || r->segments->len == 0 || d == 0)
    return FALSE;
  last = &g_array_index (r->segments, MpdSegment, r->segments->len - 1);
  if (last->t + last->d != t)
    return FALSE;
  for (i = 0; i < st->playlists->len; i++)
    if (g_str_equal (g_ptr_array_index (st->playlist_ids, i), rep_id))
      pl = g_ptr_array_index (st->playlists, i);
  if (pl && pl->segments->len > 0)
    hl = g_ptr_array_index (pl->segments, pl->segments->len - 1);
  mpd_representation_add_segment (r, t, d, size);
  st->mpd->max_segment_duration = MAX (st->mpd->max_segment_duration,
      dash_ticks_to_ns (d, r->timescale));
  if (hl)
    hls_media_playlist_add_segment (pl, hl->number + 1, name,
        dash_ticks_to_ns (d, r->timescale),
        (gint64) (dash_ticks_to_ns (t, r->timescale) / 1000), FALSE,
        hl->map_uri);
  return TRUE;
}

void
dash_resume_plan_clear (DashResumePlan * plan)
{
  dash_resume_state_free (plan->state);
  dash_resume_scan_clear (&plan->scan);
  g_free (plan->replaced);
  memset (plan, 0, sizeof (*plan));
}

gboolean
dash_resume_plan (const gchar * state_text, const gchar * mpd_name,
    gboolean resume, guint64 segment_duration, gboolean hls,
    const gchar * const *rep_ids, const gchar * const *names,
    DashResumePlan * plan, GError ** error)
{
  DashResumeState *st = NULL;
  gboolean have_mpd = names && g_strv_contains (names, mpd_name);
  GError *err = NULL;

  memset (plan, 0, sizeof (*plan));
  if (state_text == NULL) {
    if (resume && have_mpd) {
      gchar *name = dash_resume_state_name (mpd_name);
      g_set_error (error, DASH_RESUME_ERROR, DASH_RESUME_ERROR_UNKNOWN,
          "it holds %s but no state file (%s): not written by a "
          "dashlivesink that can resume", mpd_name, name);
      g_free (name);
      return FALSE;
    }
    if (have_mpd)
      plan->replaced = g_strdup ("no state file, resume=false");
  } else if ((st = dash_resume_parse (state_text, &err)) == NULL) {
    if (resume) {
      g_propagate_prefixed_error (error, err, "its state file is "
          "unreadable: ");
      return FALSE;
    }
    plan->replaced = g_strdup_printf ("state unreadable (%s), resume=false",
        err->message);
    g_clear_error (&err);
  } else if (st->ended) {
    plan->replaced = g_strdup ("the presentation ended (static MPD)");
  } else if (!resume) {
    plan->replaced = g_strdup ("resume=false");
  } else if (!dash_resume_check (st, segment_duration, hls, rep_ids, error)) {
    dash_resume_state_free (st);
    return FALSE;
  } else {
    plan->state = st;
  }
  dash_resume_scan (st, plan->state != NULL, rep_ids, names, &plan->scan);
  if (plan->state == NULL)
    dash_resume_state_free (st);
  return TRUE;
}
