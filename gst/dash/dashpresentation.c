/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* What dashlivesink's manifests list.  See dashpresentation.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "dashpresentation.h"
#include "dashtime.h"

#define MSECOND G_GUINT64_CONSTANT (1000000)
#define HLS_MASTER_NAME "master.m3u8"

typedef struct
{
  gchar *name;
  guint64 removed_at;           /* ns of media time */
  gboolean listed;              /* still in the manifests on disk */
} PendingDelete;

struct _DashPresentation
{
  Segmenter *seg;
  DashPresentationConfig cfg;
  gchar *mpd_name;
  gchar *user_time_url;         /* utc-timing-url, NULL = direct scheme */
  gchar *served_time_url;       /* the embedded server's clock, or NULL */
  gboolean served;              /* an embedded server gets its own MPD */
  MpdModel *mpd;
  guint model_periods;          /* segmenter periods created in mpd */
  GList *reps;                  /* DashPresRep, in track order */
  gchar *last_master;
  guint64 version;
  gint64 last_render_us;        /* monotonic */
  gboolean stale;               /* a due render was skipped */
  gboolean ended;
  GHashTable *restored;         /* id -> HlsMediaPlaylist of a resumed run */
  GPtrArray *orphans;           /* gchar *: delete with the first render */
  guint64 trim_now;             /* media time of the trim under way */
  guint64 resume_end;           /* where a resumed presentation's segments
                                 * end (ns), 0 = not resumed */
  DashPresentationStats stats;
  /* LL-HLS (the served playlists) */
  gboolean served_ready;        /* the manifests were rendered once */
  guint64 part_target, part_hold_back;  /* ns, 0 = no parts yet */
};

gchar *
dash_segment_name (const gchar * rep_id, guint64 t)
{
  return g_strdup_printf ("%s-%" G_GUINT64_FORMAT ".m4s", rep_id, t);
}

static void
served_playlist_free (DashServedPlaylist * p)
{
  g_free (p->name);
  g_free (p->text);
  g_free (p->delta);
  g_free (p);
}

void
dash_manifests_init (DashManifests * m)
{
  memset (m, 0, sizeof (*m));
  m->names = g_ptr_array_new_with_free_func (g_free);
  m->texts = g_ptr_array_new_with_free_func (g_free);
  m->served = g_ptr_array_new_with_free_func (g_free);
  m->playlists = g_ptr_array_new_with_free_func ((GDestroyNotify)
      served_playlist_free);
  m->deletes = g_ptr_array_new_with_free_func (g_free);
}

void
dash_manifests_clear (DashManifests * m)
{
  g_ptr_array_free (m->names, TRUE);
  g_ptr_array_free (m->texts, TRUE);
  g_ptr_array_free (m->served, TRUE);
  g_ptr_array_free (m->playlists, TRUE);
  g_ptr_array_free (m->deletes, TRUE);
  g_free (m->state);
}

/* @p (taken) replaces what @m holds for its name */
static void
manifests_add_playlist (DashManifests * m, DashServedPlaylist * p)
{
  guint i;

  for (i = 0; i < m->playlists->len; i++) {
    DashServedPlaylist *o = g_ptr_array_index (m->playlists, i);
    if (g_str_equal (o->name, p->name)) {
      served_playlist_free (o);
      g_ptr_array_index (m->playlists, i) = p;
      return;
    }
  }
  g_ptr_array_add (m->playlists, p);
}

/* @text (taken) replaces what @m holds for @name; @served (taken, may be
 * NULL: the same as the file) is what the embedded server answers */
static void
manifests_add (DashManifests * m, const gchar * name, gchar * text,
    gchar * served)
{
  guint i;

  for (i = 0; i < m->names->len; i++) {
    if (g_str_equal (g_ptr_array_index (m->names, i), name)) {
      g_free (g_ptr_array_index (m->texts, i));
      g_ptr_array_index (m->texts, i) = text;
      g_free (g_ptr_array_index (m->served, i));
      g_ptr_array_index (m->served, i) = served;
      return;
    }
  }
  g_ptr_array_add (m->names, g_strdup (name));
  g_ptr_array_add (m->texts, text);
  g_ptr_array_add (m->served, served);
}

static void
pending_delete_free (PendingDelete * d)
{
  g_free (d->name);
  g_free (d);
}

DashPresentation *
dash_presentation_new (Segmenter * seg)
{
  DashPresentation *pres = g_new0 (DashPresentation, 1);

  pres->seg = seg;
  return pres;
}

/* How many segments a resumed run's first ones are held back from the
 * manifests without low latency (MpdPeriod.hold_segments,
 * hls_media_playlist_hold()): players seek over the gap the producer left
 * to the first of them; held until they span the suggested presentation
 * delay (hls.js: three target durations), a player lands as far from the
 * live edge as it plays normally instead of at it, where each next segment
 * comes just in time or late (issue 19: dash.js and hls.js then stalled
 * 3-4 times more).  One less was not enough: dash.js's clock comes from
 * the MPD file's UTCTiming (direct), as old as the file, up to a segment,
 * and it fetches only the segments that clock says are complete, so it
 * landed with one segment and stalled at each of the next three. */
static guint
resume_hold (DashPresentation * pres)
{
  guint64 k = pres->cfg.segment_duration ?
      pres->mpd->suggested_presentation_delay / pres->cfg.segment_duration : 0;

  return k > 1 ? (guint) MIN (k, 10) : 0;
}

static void
rep_reset (DashPresentation * pres, DashPresRep * r)
{
  HlsMediaPlaylist *restored = NULL;
  gchar *restored_id = NULL;

  r->rep = NULL;
  r->rep_period = 0;
  r->predicted_d = 0;
  r->open_number = r->open_start_ns = r->part_end_ns = 0;
  r->open_discont = FALSE;
  r->segments = r->bytes = r->last_duration = 0;
  g_clear_pointer (&r->init_name, g_free);
  hls_media_playlist_free (r->hls);
  /* a resumed run's playlist goes on */
  if (pres->restored && g_hash_table_steal_extended (pres->restored, r->id,
          (gpointer *) & restored_id, (gpointer *) & restored)) {
    g_free (restored_id);
    r->hls = restored;
    hls_media_playlist_hold (r->hls, resume_hold (pres));
  } else
    r->hls = pres->cfg.hls ?
        hls_media_playlist_new ((guint) ((pres->cfg.segment_duration +
                DASH_NS_PER_SECOND - 1) / DASH_NS_PER_SECOND)) : NULL;
  /* no DVR window: the playlists only grow (EVENT, then VOD at EOS) */
  if (r->hls)
    r->hls->event = pres->cfg.dvr_window == 0;
  r->hls_dirty = FALSE;
  g_queue_clear_full (&r->pending_deletes,
      (GDestroyNotify) pending_delete_free);
}

static void
rep_free (DashPresRep * r)
{
  g_free (r->id);
  g_free (r->codecs);
  g_free (r->init_name);
  hls_media_playlist_free (r->hls);
  g_queue_clear_full (&r->pending_deletes,
      (GDestroyNotify) pending_delete_free);
  g_free (r);
}

void
dash_presentation_free (DashPresentation * pres)
{
  if (pres == NULL)
    return;
  g_list_free_full (pres->reps, (GDestroyNotify) rep_free);
  mpd_model_free (pres->mpd);
  g_free (pres->mpd_name);
  g_free (pres->user_time_url);
  g_free (pres->served_time_url);
  g_free (pres->last_master);
  if (pres->restored)
    g_hash_table_unref (pres->restored);
  if (pres->orphans)
    g_ptr_array_free (pres->orphans, TRUE);
  g_free (pres);
}

/* The MPD's settings for this run */
static void
model_settings (MpdModel * mpd, const DashPresentationConfig * cfg)
{
  mpd->min_buffer_time = cfg->min_buffer_time;
  mpd->suggested_presentation_delay = cfg->suggested_presentation_delay ?
      cfg->suggested_presentation_delay : 3 * cfg->segment_duration;
  mpd->minimum_update_period = cfg->segment_duration;
  mpd->time_shift_buffer_depth = cfg->dvr_window;
  g_free (mpd->base_url);
  mpd->base_url = g_strdup (cfg->base_url);
  if (cfg->chunk_duration > 0) {
    /* low latency: a segment is available once its first chunk is */
    guint64 target = cfg->target_latency ? cfg->target_latency :
        MAX (DASH_NS_PER_SECOND, 4 * cfg->chunk_duration);
    mpd->availability_time_offset =
        (gdouble) (cfg->segment_duration - cfg->chunk_duration) /
        DASH_NS_PER_SECOND;
    mpd->availability_time_complete = FALSE;
    mpd->latency_target = target / MSECOND;
    mpd->latency_min = (cfg->min_latency ? cfg->min_latency :
        target * 3 / 4) / MSECOND;
    mpd->latency_max = (cfg->max_latency ? cfg->max_latency :
        target + cfg->segment_duration) / MSECOND;
    mpd->playback_rate_min = cfg->min_playback_rate;
    mpd->playback_rate_max = cfg->max_playback_rate;
    mpd->resync_dt = cfg->chunk_duration;
  }
  /* media time is UTC: a segment is available when the wall clock reaches
   * its end */
  mpd_model_set_availability_start_time (mpd, 0);
}

void
dash_presentation_start (DashPresentation * pres,
    const DashPresentationConfig * config, DashResumeState * resume,
    GPtrArray * orphans)
{
  guint i;
  GList *l;

  pres->cfg = *config;
  g_free (pres->mpd_name);
  pres->mpd_name = g_strdup (config->mpd_name);
  pres->cfg.mpd_name = pres->mpd_name;
  g_free (pres->user_time_url);
  pres->user_time_url = g_strdup (config->utc_timing_url);
  g_clear_pointer (&pres->served_time_url, g_free);
  pres->served = FALSE;
  pres->cfg.utc_timing_url = pres->cfg.base_url = NULL;
  mpd_model_free (pres->mpd);
  if (pres->restored)
    g_clear_pointer (&pres->restored, g_hash_table_unref);
  pres->resume_end = resume ? dash_resume_end (resume) : 0;
  if (resume) {
    /* the segmenter's periods of this run follow the restored ones */
    pres->mpd = g_steal_pointer (&resume->mpd);
    pres->model_periods = 0;
    pres->restored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) hls_media_playlist_free);
    while (resume->playlists->len > 0) {
      guint last = resume->playlists->len - 1;
      g_hash_table_insert (pres->restored,
          g_ptr_array_steal_index (resume->playlist_ids, last),
          g_ptr_array_steal_index (resume->playlists, last));
    }
  } else {
    pres->mpd = mpd_model_new ();
    mpd_model_add_period (pres->mpd, 0);
    pres->model_periods = 1;
  }
  model_settings (pres->mpd, config);
  if (pres->orphans)
    g_ptr_array_free (pres->orphans, TRUE);
  pres->orphans = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; orphans && i < orphans->len; i++)
    g_ptr_array_add (pres->orphans, g_strdup (g_ptr_array_index (orphans, i)));
  pres->ended = FALSE;
  g_clear_pointer (&pres->last_master, g_free);
  pres->version = 0;
  pres->last_render_us = 0;
  pres->stale = FALSE;
  pres->served_ready = FALSE;
  pres->part_target = pres->part_hold_back = 0;
  memset (&pres->stats, 0, sizeof (pres->stats));
  for (l = pres->reps; l; l = l->next)
    rep_reset (pres, l->data);
}

static gint
rep_compare (gconstpointer pa, gconstpointer pb)
{
  const SegTrack *a = ((const DashPresRep *) pa)->track;
  const SegTrack *b = ((const DashPresRep *) pb)->track;

  if (a->kind != b->kind)
    return a->kind == SEG_TRACK_VIDEO ? -1 : 1;
  return a->index < b->index ? -1 : (a->index > b->index ? 1 : 0);
}

DashPresRep *
dash_presentation_add_rep (DashPresentation * pres, const gchar * id,
    MpdKind kind, SegTrack * track)
{
  DashPresRep *r = g_new0 (DashPresRep, 1);

  r->id = g_strdup (id);
  r->kind = kind;
  r->track = track;
  g_queue_init (&r->pending_deletes);
  rep_reset (pres, r);
  pres->reps = g_list_insert_sorted (pres->reps, r, rep_compare);
  return r;
}

void
dash_presentation_remove_rep (DashPresentation * pres, DashPresRep * rep)
{
  pres->reps = g_list_remove (pres->reps, rep);
  rep_free (rep);
}

guint64
dash_presentation_continued_number (DashPresentation * pres, DashPresRep * r)
{
  guint64 next = 0;
  guint pi, ri;

  for (pi = 0; pres->mpd && pi < pres->mpd->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (pres->mpd->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++) {
      MpdRepresentation *m = g_ptr_array_index (p->reps, ri);
      if (g_str_equal (m->id, r->id))
        next = MAX (next, m->next_number);
    }
  }
  if (r->hls && r->hls->segments->len > 0)
    next = MAX (next, ((HlsSegment *) g_ptr_array_index (r->hls->segments,
                r->hls->segments->len - 1))->number + 1);
  return next;
}

void
dash_presentation_set_served (DashPresentation * pres, const gchar * time_url)
{
  pres->served = TRUE;
  g_free (pres->served_time_url);
  pres->served_time_url = g_strdup (time_url);
}

/* The players' clock in the MPD: the configured one, else the server's in
 * the served MPD, else the direct scheme (the publish time) */
static void
set_time_source (DashPresentation * pres, gboolean served)
{
  const gchar *url = pres->user_time_url;

  if (url == NULL && served)
    url = pres->served_time_url;
  g_free (pres->mpd->utc_timing_value);
  pres->mpd->utc_timing_value = g_strdup (url);
  g_free (pres->mpd->utc_timing_scheme);
  pres->mpd->utc_timing_scheme = url ?
      g_strdup ("urn:mpeg:dash:utc:http-xsdate:2014") : NULL;
}

void
dash_presentation_enter_period (DashPresentation * pres, DashPresRep * r,
    guint period, guint64 number)
{
  MpdRepresentationInfo info = { 0, };
  MpdPeriod *p;
  gchar *media;

  /* periods reach the model when their first representation enters; a
   * resumed run's first one starts where the previous run's segments end
   * (a Period ends where the next begins: the previous one is complete
   * and the time the producer was away is a gap at the start of this
   * one, before its first segment) */
  while (pres->model_periods <= period) {
    guint64 start = segmenter_period_start (pres->seg, pres->model_periods);
    gboolean resumed = pres->model_periods++ == 0 && pres->resume_end > 0;
    if (resumed)
      start = MIN (start, pres->resume_end);
    p = mpd_model_add_period (pres->mpd, start);
    if (resumed)
      p->hold_segments = resume_hold (pres);
  }
  if (r->rep && r->rep_period == period)
    return;
  p = mpd_model_last_period (pres->mpd);
  media = g_strdup_printf ("%s-$Time$.m4s", r->id);
  info.id = r->id;
  info.kind = r->kind;
  info.codecs = r->codecs;
  info.timescale = r->timescale;
  info.init_url = r->init_name;
  info.media_template = media;
  info.start_number = number;
  info.presentation_time_offset = dash_ns_to_ticks (p->start, r->timescale);
  info.width = r->width;
  info.height = r->height;
  info.fps_n = r->fps_n;
  info.fps_d = r->fps_d;
  info.par_n = r->par_n;
  info.par_d = r->par_d;
  info.sample_rate = r->rate;
  info.channels = r->channels;
  info.bandwidth_hint = r->bandwidth_hint;
  r->rep = mpd_period_add_representation (p, &info);
  r->rep_period = period;
  g_free (media);
}

/* ---------------------------------------------------------------- */
/* rendering */

static gchar *
playlist_name (const gchar * rep_id)
{
  return g_strdup_printf ("%s.m3u8", rep_id);
}

static void
render_hls (DashPresentation * pres, DashManifests * out)
{
  GArray *variants = g_array_new (FALSE, TRUE, sizeof (HlsVariant));
  GArray *audio = g_array_new (FALSE, TRUE, sizeof (HlsAudioRendition));
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  guint64 audio_bw = 0;
  const gchar *audio_codecs = NULL;
  gchar *master;
  GList *l;

  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    gchar *name;

    if (r->hls == NULL || r->segments == 0)
      continue;
    name = playlist_name (r->id);
    g_ptr_array_add (strings, name);
    if (r->hls_dirty) {
      manifests_add (out, name, hls_media_playlist_render (r->hls), NULL);
      r->hls_dirty = FALSE;
    }
    if (r->kind == MPD_KIND_AUDIO) {
      HlsAudioRendition a = { 0, };
      a.uri = name;
      a.name = r->id;
      a.channels = r->channels;
      g_array_append_val (audio, a);
      if (audio_codecs == NULL) {
        audio_codecs = r->codecs;
        audio_bw = r->rep ? r->rep->peak_bitrate : 0;
      }
    }
  }

  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    HlsVariant v = { 0, };
    gchar *codecs;

    if (r->hls == NULL || r->segments == 0 || r->kind != MPD_KIND_VIDEO)
      continue;
    v.uri = playlist_name (r->id);
    g_ptr_array_add (strings, (gpointer) v.uri);
    v.bandwidth = (r->rep ? r->rep->peak_bitrate : 0) + audio_bw;
    codecs = audio_codecs ? g_strdup_printf ("%s,%s", r->codecs,
        audio_codecs) : g_strdup (r->codecs);
    g_ptr_array_add (strings, codecs);
    v.codecs = codecs;
    v.width = r->width;
    v.height = r->height;
    v.fps_n = r->fps_n;
    v.fps_d = r->fps_d;
    g_array_append_val (variants, v);
  }
  if (variants->len == 0) {
    /* audio only: the renditions are the variants */
    guint i;
    for (i = 0; i < audio->len; i++) {
      HlsAudioRendition *a = &g_array_index (audio, HlsAudioRendition, i);
      HlsVariant v = { 0, };
      v.uri = a->uri;
      v.bandwidth = audio_bw;
      v.codecs = audio_codecs;
      g_array_append_val (variants, v);
    }
    g_array_set_size (audio, 0);
  }

  master = hls_master_playlist_render ((HlsVariant *) variants->data,
      variants->len, (HlsAudioRendition *) audio->data, audio->len);
  if (g_strcmp0 (master, pres->last_master) != 0) {
    g_free (pres->last_master);
    pres->last_master = master;
    manifests_add (out, HLS_MASTER_NAME, g_strdup (master), NULL);
  } else {
    g_free (master);
  }
  g_array_free (variants, TRUE);
  g_array_free (audio, TRUE);
  g_ptr_array_free (strings, TRUE);
}

/* LL-HLS: @r's playlist as the embedded server answers it, with a
 * rendition report for each other playlist of its kind */
static void
render_served (DashPresentation * pres, DashPresRep * r, DashManifests * out)
{
  GArray *reports = g_array_new (FALSE, TRUE, sizeof (HlsRenditionReport));
  GPtrArray *uris = g_ptr_array_new_with_free_func (g_free);
  DashServedPlaylist *p;
  GList *l;

  if (r->hls == NULL || r->hls->part_target == 0 || r->segments == 0)
    goto done;
  for (l = pres->reps; l; l = l->next) {
    DashPresRep *o = l->data;
    HlsRenditionReport rr = { 0, };
    guint idx;

    if (o == r || o->hls == NULL || o->segments == 0 || o->kind != r->kind)
      continue;
    rr.uri = playlist_name (o->id);
    g_ptr_array_add (uris, (gpointer) rr.uri);
    if (hls_media_playlist_last_part (o->hls, &rr.last_msn, &idx)) {
      rr.last_part = idx;
    } else {
      hls_media_playlist_last_segment (o->hls, &rr.last_msn);
      rr.last_part = -1;
    }
    g_array_append_val (reports, rr);
  }
  p = g_new0 (DashServedPlaylist, 1);
  p->name = playlist_name (r->id);
  p->text = hls_media_playlist_render_ll (r->hls, FALSE,
      (HlsRenditionReport *) reports->data, reports->len);
  p->delta = hls_media_playlist_render_ll (r->hls, TRUE,
      (HlsRenditionReport *) reports->data, reports->len);
  if (g_str_equal (p->delta, p->text))
    g_clear_pointer (&p->delta, g_free);
  hls_media_playlist_get_state (r->hls, &p->state);
  manifests_add_playlist (out, p);

done:
  g_array_free (reports, TRUE);
  g_ptr_array_free (uris, TRUE);
}

/* Every media playlist of the presentation has the same target duration
 * (RFC 8216bis 6.2.4) */
static void
sync_target_durations (DashPresentation * pres)
{
  guint td = 0;
  GList *l;

  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    if (r->hls)
      td = MAX (td, r->hls->target_duration);
  }
  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    if (r->hls)
      r->hls->target_duration = td;
  }
}

void
dash_presentation_start_segment (DashPresentation * pres, DashPresRep * r,
    guint64 number, guint64 start_ns, gboolean discont)
{
  r->open_number = number;
  r->open_start_ns = start_ns;
  r->open_discont = discont;
}

/* The first part fixes the part target: every playlist gets parts, with
 * the same EXT-X-PART-INF and EXT-X-SERVER-CONTROL (6.2.4) */
static void
enable_parts (DashPresentation * pres)
{
  guint64 target = pres->cfg.target_latency ? pres->cfg.target_latency :
      MAX (DASH_NS_PER_SECOND, 4 * pres->cfg.chunk_duration);
  GList *l;

  pres->part_target = segmenter_part_target (pres->seg);
  if (pres->part_target == 0)
    return;
  /* PART-HOLD-BACK: the latency target, at least 3 part targets (the
   * SHOULD of RFC 8216bis 4.4.3.8).  (The target less half a part, what
   * would make an LL-HLS player's wall-clock latency equal an LL-DASH
   * player's, made hls.js 1.7.4 start with the audio a part after the
   * video and stall in 4 of 10 starts on a loaded machine; 0 of 8 with
   * the full target: docs/dashlivesink.md.) */
  pres->part_hold_back = MAX (target, 3 * pres->part_target);
  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    /* parts are <rep>-<segment's $Time$>.<index>.m4s */
    gchar *prefix = g_strdup_printf ("%s-", r->id);
    if (r->hls)
      hls_media_playlist_set_parts (r->hls, prefix, pres->part_target,
          pres->part_hold_back);
    g_free (prefix);
  }
  pres->stats.hls_part_target = pres->part_target;
  pres->stats.hls_part_hold_back = pres->part_hold_back;
}

void
dash_presentation_add_part (DashPresentation * pres, DashPresRep * r,
    const DashPresPart * part, DashManifests * out)
{
  guint64 dur;

  /* parts need the server (blocking reload, hints) and a date */
  if (!pres->served || r->hls == NULL || !pres->mpd->ast_set ||
      part->number != r->open_number)
    return;
  if (pres->part_target == 0)
    enable_parts (pres);
  if (pres->part_target == 0)
    return;
  dur = dash_ticks_to_ns (part->duration_ticks, r->timescale);
  hls_media_playlist_add_part_keyed (r->hls, part->number, part->key,
      part->index, dur,
      part->independent, pres->mpd->availability_start_time +
      (gint64) (r->open_start_ns / 1000), r->open_discont, r->init_name);
  pres->stats.hls_parts++;
  if (part->index == 0)
    r->part_end_ns = r->open_start_ns;
  r->part_end_ns += dur;
  if (pres->served_ready) {
    /* newer than any batch rendered before */
    out->version = ++pres->version;
    render_served (pres, r, out);
  }
}

/* The resume state: what the manifests list, for a later run, with the
 * representations' playlists and (@restored) those of the previous run
 * that no representation of this run took yet */
static void
render_state_full (DashPresentation * pres, DashManifests * out,
    gboolean restored)
{
  GPtrArray *ids = g_ptr_array_new (), *pls = g_ptr_array_new ();
  GHashTableIter it;
  gpointer id, pl;
  GList *l;

  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    if (r->hls) {
      g_ptr_array_add (ids, r->id);
      g_ptr_array_add (pls, r->hls);
    }
  }
  if (restored && pres->restored) {
    g_hash_table_iter_init (&it, pres->restored);
    while (g_hash_table_iter_next (&it, &id, &pl)) {
      g_ptr_array_add (ids, id);
      g_ptr_array_add (pls, pl);
    }
  }
  g_free (out->state);
  out->state = dash_resume_render (pres->cfg.segment_duration, pres->cfg.hls,
      pres->ended, pres->mpd, (const gchar * const *) ids->pdata,
      (HlsMediaPlaylist * const *) pls->pdata, pls->len);
  g_ptr_array_free (ids, TRUE);
  g_ptr_array_free (pls, TRUE);
}

static void
render_state (DashPresentation * pres, DashManifests * out)
{
  render_state_full (pres, out, FALSE);
}

/* A resumed run, before its first segment: the manifests as the previous
 * run left them plus the segments adopted from it (published after its
 * last manifest, or the complete chunks of the ones it was writing), so
 * that players get them at once rather than with the run's first segment:
 * they play on up to where the previous run stopped. */
void
dash_presentation_render_restored (DashPresentation * pres,
    DashManifests * out)
{
  gsize len = 0;
  gchar *xml;
  GList *l;

  if (pres->restored == NULL || pres->mpd->periods->len == 0)
    return;
  set_time_source (pres, FALSE);
  xml = mpd_model_render_full (pres->mpd, g_get_real_time (), FALSE, &len);
  if (xml == NULL)
    return;
  out->version = ++pres->version;
  manifests_add (out, pres->mpd_name, xml, NULL);
  /* the playlists the run's representations took over (rep_reset), and
   * those of representations that join later */
  for (l = pres->reps; pres->cfg.hls && l; l = l->next) {
    DashPresRep *r = l->data;
    if (r->hls && r->hls->segments->len > 0) {
      gchar *name = playlist_name (r->id);
      manifests_add (out, name, hls_media_playlist_render (r->hls), NULL);
      g_free (name);
    }
  }
  if (pres->cfg.hls) {
    GHashTableIter it;
    gpointer id, pl;
    g_hash_table_iter_init (&it, pres->restored);
    while (g_hash_table_iter_next (&it, &id, &pl)) {
      if (((HlsMediaPlaylist *) pl)->segments->len > 0) {
        gchar *name = playlist_name (id);
        manifests_add (out, name, hls_media_playlist_render (pl), NULL);
        g_free (name);
      }
    }
  }
  render_state_full (pres, out, TRUE);
}

/* Low latency: the MPD announces the segment in progress and the next
 * one, with durations the segmenter predicts; a wrong prediction is
 * corrected by the next MPD and counted. */
static void
predict_ahead (DashPresentation * pres)
{
  GList *l;

  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    guint64 ahead[DASH_MAX_ANNOUNCED] = { 0, };
    guint n = 0;

    if (r->rep == NULL)
      continue;
    if (r->rep->segments->len > 0) {
      const MpdSegment *last = &g_array_index (r->rep->segments, MpdSegment,
          r->rep->segments->len - 1);
      n = segmenter_predict (pres->seg, r->track, last->t + last->d, ahead);
    }
    if (n > 0)
      r->predicted_d = ahead[0];
    mpd_representation_set_ahead (r->rep, ahead, n);
  }
}

/* Renders the MPD and the playlists into @out if due (@published: the
 * representation that just published a segment; NULL forces it).
 * Returns TRUE if the manifests written with @out are up to date. */
static gboolean
render (DashPresentation * pres, DashPresRep * published,
    DashManifests * out, GError ** error)
{
  SegTrack *track = published ? published->track : NULL;
  gchar *xml, *served = NULL;
  gint64 now;
  gsize len = 0;
  GList *l, *q;

  if (!segmenter_all_listed (pres->seg))
    return FALSE;
  if (!segmenter_manifests_due (pres->seg, track))
    return !pres->stale;
  if (segmenter_manifests_skip (pres->seg, track,
          pres->mpd->ast_set ? pres->mpd->availability_start_time : 0,
          g_get_real_time (), pres->last_render_us, g_get_monotonic_time ())) {
    pres->stale = TRUE;
    pres->stats.manifests_skipped++;
    return FALSE;
  }
  if (pres->cfg.chunk_duration > 0 && !segmenter_is_finished (pres->seg))
    predict_ahead (pres);
  /* the files list complete segments only, for any HTTP server; the
   * embedded server, which streams segments while they are written, gets
   * the low-latency MPD (announced segments, availabilityTimeOffset,
   * ServiceDescription, its own clock) */
  now = g_get_real_time ();
  set_time_source (pres, FALSE);
  xml = mpd_model_render_full (pres->mpd, now, FALSE, &len);
  if (xml && pres->served) {
    set_time_source (pres, TRUE);
    served = mpd_model_render_full (pres->mpd, now,
        pres->cfg.chunk_duration > 0, &len);
    if (served == NULL)
      g_clear_pointer (&xml, g_free);
  }
  if (xml == NULL) {
    g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "Could not render the MPD");
    return FALSE;
  }
  out->version = ++pres->version;
  manifests_add (out, pres->mpd_name, xml, served);
  pres->stats.manifests++;
  if (pres->cfg.hls) {
    render_hls (pres, out);
    /* the served LL-HLS playlists list what the files do, and more */
    for (l = pres->reps; l; l = l->next)
      render_served (pres, l->data, out);
    pres->served_ready = TRUE;
  }
  render_state (pres, out);
  pres->last_render_us = g_get_monotonic_time ();
  pres->stale = FALSE;
  /* what a previous run left and no manifest lists any more */
  while (pres->orphans->len > 0)
    g_ptr_array_add (out->deletes, g_ptr_array_steal_index (pres->orphans,
            pres->orphans->len - 1));
  /* the manifests written with @out list none of the segments waiting
   * for deletion */
  for (l = pres->reps; l; l = l->next)
    for (q = ((DashPresRep *) l->data)->pending_deletes.head; q; q = q->next)
      ((PendingDelete *) q->data)->listed = FALSE;
  return TRUE;
}

static void
on_segment_removed (MpdPeriod * period, MpdRepresentation * rep,
    const MpdSegment * seg, gpointer user_data)
{
  DashPresentation *pres = user_data;
  DashPresRep *r = NULL;
  PendingDelete *d;
  GList *l;

  for (l = pres->reps; l && r == NULL; l = l->next)
    if (g_str_equal (((DashPresRep *) l->data)->id, rep->id))
      r = l->data;
  if (r == NULL)
    return;
  d = g_new0 (PendingDelete, 1);
  d->name = dash_segment_name (rep->id, seg->t);
  /* (a representation that has not entered this run's period yet, after
   * a restart: the media time of the trim) */
  d->removed_at = r->rep && r->rep->segments->len > 0 ?
      mpd_representation_end (r->rep) : pres->trim_now;
  d->listed = TRUE;
  if (r->hls && hls_media_playlist_remove_through (r->hls, d->name) > 0)
    r->hls_dirty = TRUE;
  g_queue_push_tail (&r->pending_deletes, d);
}

/* Segments that left the window are deleted one segment later, so a
 * player that fetched the previous manifest can still get them; never
 * before a manifest that no longer lists them is written. */
static void
trim_window (DashPresentation * pres, guint64 now, DashManifests * out,
    GError ** error)
{
  GList *l;

  if (pres->cfg.dvr_window == 0)
    return;
  pres->trim_now = now;
  mpd_model_trim (pres->mpd, now, on_segment_removed, pres);
  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    PendingDelete *d;

    while ((d = g_queue_peek_head (&r->pending_deletes)) &&
        now >= d->removed_at + pres->cfg.segment_duration) {
      /* a coalesced (skipped) render may have left the segment listed:
       * the manifests go first, and if they cannot the segment stays */
      if (d->listed && !render (pres, NULL, out, error))
        break;
      g_queue_pop_head (&r->pending_deletes);
      g_ptr_array_add (out->deletes, g_steal_pointer (&d->name));
      pending_delete_free (d);
    }
  }
}

guint64
dash_presentation_add_segment (DashPresentation * pres, DashPresRep * r,
    const DashPresSegment * seg, DashManifests * out, GError ** error)
{
  guint64 d = seg->end_ticks - seg->start_ticks, number, dur_ns, end_ns;
  gchar *name;

  g_return_val_if_fail (r->rep != NULL, 0);
  dur_ns = dash_ticks_to_ns (d, r->timescale);
  end_ns = seg->start_ns + dur_ns;
  if (r->predicted_d > 0 && r->predicted_d != d)
    pres->stats.mispredicted++;
  r->predicted_d = 0;
  if (r->rep->n_ahead > 0) {
    /* the announced segments move up by one */
    guint64 rest[DASH_MAX_ANNOUNCED] = { 0, };
    memcpy (rest, r->rep->ahead_d + 1,
        (r->rep->n_ahead - 1) * sizeof (guint64));
    mpd_representation_set_ahead (r->rep, rest, r->rep->n_ahead - 1);
    r->predicted_d = rest[0];
  }
  /* numbers (HLS media sequence) are the segmenter's */
  r->rep->next_number = seg->number;
  number = mpd_representation_add_segment (r->rep, seg->start_ticks, d,
      seg->size);
  if (seg->prt_wallclock_us > 0) {
    /* the MPD's ProducerReferenceTime repeats the latest segment's prft */
    r->rep->prt_wallclock_us = seg->prt_wallclock_us;
    r->rep->prt_presentation_time = seg->prt_ticks;
  }
  if (r->hls) {
    name = dash_segment_name (r->id, seg->start_ticks);
    hls_media_playlist_add_segment (r->hls, number, name, dur_ns,
        pres->mpd->availability_start_time + (gint64) (seg->start_ns / 1000),
        seg->discont, r->init_name);
    /* the next segment's parts: named after where it starts */
    hls_media_playlist_set_next_part_key (r->hls, seg->end_ticks);
    r->hls_dirty = TRUE;
    g_free (name);
    sync_target_durations (pres);
  }
  pres->mpd->max_segment_duration =
      MAX (pres->mpd->max_segment_duration, dur_ns);
  r->segments++;
  r->bytes += seg->size;
  r->last_duration = dur_ns;

  segmenter_published (pres->seg, r->track, end_ns, seg->end_ticks);
  trim_window (pres, end_ns, out, error);
  render (pres, r, out, error);
  if (pres->served_ready && r->hls && r->hls->part_target > 0) {
    /* the served playlist lists the segment at once */
    out->version = ++pres->version;
    render_served (pres, r, out);
  }
  return dur_ns;
}

void
dash_presentation_finalize (DashPresentation * pres, DashManifests * out,
    GError ** error)
{
  GList *l;
  guint64 end = 0;

  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    if (r->rep)
      end = MAX (end, mpd_representation_end (r->rep));
    if (r->hls) {
      r->hls->ended = TRUE;
      r->hls_dirty = TRUE;
    }
  }
  mpd_model_finalize (pres->mpd, end);
  pres->ended = TRUE;
  render (pres, NULL, out, error);
}

void
dash_presentation_get_stats (DashPresentation * pres,
    DashPresentationStats * stats)
{
  guint64 edge = G_MAXUINT64;
  GList *l;

  *stats = pres->stats;
  if (pres->part_target == 0 || !pres->mpd->ast_set)
    return;
  /* the edge every LL-HLS playlist has reached */
  for (l = pres->reps; l; l = l->next) {
    DashPresRep *r = l->data;
    if (r->hls && r->segments > 0)
      edge = MIN (edge, r->part_end_ns);
  }
  if (edge != G_MAXUINT64) {
    gint64 age = g_get_real_time () - (pres->mpd->availability_start_time +
        (gint64) (edge / 1000));
    stats->hls_edge_age = (guint64) MAX (age, 0) * 1000;
  }
}
