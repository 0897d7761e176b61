/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* MPD model, see mpdmodel.h.  ISO/IEC 23009-1, isoff-live profile,
 * SegmentTemplate with $Number$ and a SegmentTimeline. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <libxml/xmlwriter.h>

#include "mpdmodel.h"
#include "dashtime.h"

#define DEFAULT_UTC_SCHEME_DIRECT "urn:mpeg:dash:utc:direct:2014"

#define ticks_to_ns dash_ticks_to_ns
#define ns_to_ticks dash_ns_to_ticks

static void
representation_free (MpdRepresentation * rep)
{
  g_free (rep->id);
  g_free (rep->codecs);
  g_free (rep->init_url);
  g_free (rep->media_template);
  g_free (rep->lang);
  g_array_free (rep->segments, TRUE);
  g_free (rep);
}

static void
period_free (MpdPeriod * period)
{
  g_free (period->id);
  g_ptr_array_free (period->reps, TRUE);
  g_free (period);
}

MpdModel *
mpd_model_new (void)
{
  MpdModel *m = g_new0 (MpdModel, 1);

  m->render_ll = TRUE;
  m->min_buffer_time = 2 * MPD_NS_PER_SECOND;
  m->minimum_update_period = 2 * MPD_NS_PER_SECOND;
  m->periods = g_ptr_array_new_with_free_func ((GDestroyNotify) period_free);
  return m;
}

void
mpd_model_free (MpdModel * model)
{
  if (model == NULL)
    return;
  g_ptr_array_free (model->periods, TRUE);
  g_free (model->utc_timing_scheme);
  g_free (model->utc_timing_value);
  g_free (model->base_url);
  g_free (model);
}

gboolean
mpd_model_set_availability_start_time (MpdModel * model, gint64 unix_us)
{
  if (model->ast_set)
    return model->availability_start_time == unix_us;
  model->availability_start_time = unix_us;
  model->ast_set = TRUE;
  return TRUE;
}

MpdPeriod *
mpd_model_add_period (MpdModel * model, guint64 start_ns)
{
  MpdPeriod *p = g_new0 (MpdPeriod, 1);

  p->id = g_strdup_printf ("p%u", model->next_period_id++);
  p->start = start_ns;
  p->reps =
      g_ptr_array_new_with_free_func ((GDestroyNotify) representation_free);
  g_ptr_array_add (model->periods, p);
  return p;
}

MpdPeriod *
mpd_model_last_period (MpdModel * model)
{
  if (model->periods->len == 0)
    return NULL;
  return g_ptr_array_index (model->periods, model->periods->len - 1);
}

MpdRepresentation *
mpd_period_add_representation (MpdPeriod * period,
    const MpdRepresentationInfo * info)
{
  MpdRepresentation *r = g_new0 (MpdRepresentation, 1);

  g_return_val_if_fail (info->timescale > 0, NULL);
  r->id = g_strdup (info->id);
  r->kind = info->kind;
  r->codecs = g_strdup (info->codecs);
  r->timescale = info->timescale;
  r->init_url = g_strdup (info->init_url);
  r->media_template = g_strdup (info->media_template);
  r->presentation_time_offset = info->presentation_time_offset;
  r->width = info->width;
  r->height = info->height;
  r->fps_n = info->fps_n;
  r->fps_d = info->fps_d;
  r->par_n = info->par_n;
  r->par_d = info->par_d;
  r->sample_rate = info->sample_rate;
  r->channels = info->channels;
  r->lang = g_strdup (info->lang);
  r->next_number = info->start_number;
  r->bandwidth_hint = info->bandwidth_hint;
  r->segments = g_array_new (FALSE, FALSE, sizeof (MpdSegment));
  g_ptr_array_add (period->reps, r);
  return r;
}

guint64
mpd_segment_bitrate (guint64 size, guint64 d, guint32 timescale)
{
  if (d == 0)
    return 0;
  /* size * 8 * timescale / d: bits per tick scaled to seconds, integer
   * maths in ticks so that 0.2 s segments are as exact as 10 s ones */
  if (size > G_MAXUINT64 / 8 / MAX (timescale, 1))
    return (size / d) * 8 * timescale;
  return (size * 8 * timescale + d / 2) / d;
}

guint64
mpd_representation_add_segment (MpdRepresentation * rep, guint64 t,
    guint64 d, guint64 size)
{
  MpdSegment s;
  guint64 br = mpd_segment_bitrate (size, d, rep->timescale);

  s.number = rep->next_number++;
  s.t = t;
  s.d = d;
  s.size = size;
  g_array_append_val (rep->segments, s);
  if (br > rep->peak_bitrate)
    rep->peak_bitrate = br;
  rep->total_bytes += size;
  rep->total_ticks += d;
  return s.number;
}

guint64
mpd_representation_end (const MpdRepresentation * rep)
{
  const MpdSegment *s;

  if (rep->segments->len == 0)
    return 0;
  s = &g_array_index (rep->segments, MpdSegment, rep->segments->len - 1);
  return ticks_to_ns (s->t + s->d, rep->timescale);
}

guint
mpd_model_trim (MpdModel * model, guint64 now, MpdRemovedFunc func,
    gpointer user_data)
{
  guint64 limit;
  guint removed = 0, pi, ri;

  if (model->time_shift_buffer_depth == 0 ||
      now <= model->time_shift_buffer_depth)
    return 0;
  limit = now - model->time_shift_buffer_depth;

  for (pi = 0; pi < model->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (model->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      guint n = 0;
      while (n < r->segments->len) {
        MpdSegment *s = &g_array_index (r->segments, MpdSegment, n);
        if (ticks_to_ns (s->t + s->d, r->timescale) > limit)
          break;
        if (func)
          func (p, r, s, user_data);
        n++;
      }
      if (n > 0)
        g_array_remove_range (r->segments, 0, n);
      removed += n;
    }
  }

  /* drop emptied periods, never the last one */
  while (model->periods->len > 1) {
    MpdPeriod *p = g_ptr_array_index (model->periods, 0);
    gboolean empty = TRUE;
    for (ri = 0; ri < p->reps->len; ri++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      if (r->segments->len > 0)
        empty = FALSE;
    }
    if (!empty)
      break;
    g_ptr_array_remove_index (model->periods, 0);
  }
  return removed;
}

/* Earliest segment start in ns over all representations, or the first
 * period's start when nothing is listed. */
static guint64
model_origin (MpdModel * model)
{
  guint64 origin = G_MAXUINT64;
  guint pi, ri;

  for (pi = 0; pi < model->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (model->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      if (r->segments->len > 0) {
        MpdSegment *s = &g_array_index (r->segments, MpdSegment, 0);
        origin = MIN (origin, ticks_to_ns (s->t, r->timescale));
      }
    }
    if (origin != G_MAXUINT64)
      return origin;
  }
  if (model->periods->len > 0)
    return ((MpdPeriod *) g_ptr_array_index (model->periods, 0))->start;
  return 0;
}

void
mpd_model_finalize (MpdModel * model, guint64 end_ns)
{
  guint64 origin = model_origin (model);

  guint pi, ri;

  model->is_static = TRUE;
  model->static_duration = end_ns > origin ? end_ns - origin : 0;
  /* nothing is announced ahead in a finished presentation */
  for (pi = 0; pi < model->periods->len; pi++) {
    MpdPeriod *p = g_ptr_array_index (model->periods, pi);
    for (ri = 0; ri < p->reps->len; ri++)
      ((MpdRepresentation *) g_ptr_array_index (p->reps, ri))->n_ahead = 0;
  }
}

gchar *
mpd_format_duration (guint64 ns)
{
  guint64 ms = (ns + 500000) / 1000000;

  if (ms % 1000 == 0)
    return g_strdup_printf ("PT%" G_GUINT64_FORMAT "S", ms / 1000);
  return g_strdup_printf ("PT%" G_GUINT64_FORMAT ".%03uS", ms / 1000,
      (guint) (ms % 1000));
}

gchar *
mpd_format_date_time (gint64 unix_us)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  gchar *base, *res;

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  res = g_strdup_printf ("%s.%03uZ", base,
      (guint) ((unix_us % G_USEC_PER_SEC) / 1000));
  g_free (base);
  g_date_time_unref (dt);
  return res;
}

/* ---- rendering ---- */

#define W(call) G_STMT_START { if ((call) < 0) goto fail; } G_STMT_END

static int
attr (xmlTextWriterPtr w, const gchar * name, const gchar * value)
{
  return xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST value);
}

static int
attr_u64 (xmlTextWriterPtr w, const gchar * name, guint64 v)
{
  return xmlTextWriterWriteFormatAttribute (w, BAD_CAST name,
      "%" G_GUINT64_FORMAT, v);
}

static int
attr_dur (xmlTextWriterPtr w, const gchar * name, guint64 ns)
{
  gchar *s = mpd_format_duration (ns);
  int r = attr (w, name, s);
  g_free (s);
  return r;
}

static int
write_timeline (xmlTextWriterPtr w, MpdRepresentation * r, gboolean ahead)
{
  guint i = 0;
  guint64 prev_end = G_MAXUINT64;

  if (xmlTextWriterStartElement (w, BAD_CAST "SegmentTimeline") < 0)
    return -1;
  while (i < r->segments->len) {
    MpdSegment *s = &g_array_index (r->segments, MpdSegment, i);
    guint run = 0;
    guint64 end = s->t + s->d;

    /* @r counts further segments with the same @d that follow without a
     * gap */
    while (i + run + 1 < r->segments->len) {
      MpdSegment *n = &g_array_index (r->segments, MpdSegment, i + run + 1);
      if (n->t != end || n->d != s->d)
        break;
      end += n->d;
      run++;
    }
    if (xmlTextWriterStartElement (w, BAD_CAST "S") < 0)
      return -1;
    if (s->t != prev_end && attr_u64 (w, "t", s->t) < 0)
      return -1;
    if (attr_u64 (w, "d", s->d) < 0)
      return -1;
    if (run > 0 && attr_u64 (w, "r", run) < 0)
      return -1;
    if (xmlTextWriterEndElement (w) < 0)
      return -1;
    prev_end = end;
    i += run + 1;
  }
  for (i = 0; ahead && i < r->n_ahead && prev_end != G_MAXUINT64; i++) {
    if (xmlTextWriterStartElement (w, BAD_CAST "S") < 0 ||
        attr_u64 (w, "d", r->ahead_d[i]) < 0 ||
        xmlTextWriterEndElement (w) < 0)
      return -1;
  }
  return xmlTextWriterEndElement (w);
}

void
mpd_representation_set_ahead (MpdRepresentation * rep, const guint64 * d,
    guint n)
{
  guint i;

  rep->n_ahead = 0;
  for (i = 0; i < MIN (n, DASH_MAX_ANNOUNCED); i++) {
    if (d[i] == 0)
      break;
    rep->ahead_d[rep->n_ahead++] = d[i];
  }
}

static guint64
rep_bandwidth (MpdRepresentation * r)
{
  if (r->peak_bitrate > 0)
    return r->peak_bitrate;
  return MAX (r->bandwidth_hint, 1);
}

/* @live_edge: @p is the last Period, the one whose segments are being
 * written; only there are segments announced ahead (low latency) */
static gboolean
write_adaptation_set (xmlTextWriterPtr w, MpdModel * model, MpdPeriod * p,
    MpdKind kind, guint id, guint64 origin, gboolean live_edge)
{
  gboolean video = kind == MPD_KIND_VIDEO;
  guint ri, max_w = 0, max_h = 0, n = 0;
  MpdRepresentation *first = NULL;
  guint64 shift = 0;

  for (ri = 0; ri < p->reps->len; ri++) {
    MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
    if (r->kind != kind)
      continue;
    if (first == NULL)
      first = r;
    max_w = MAX (max_w, r->width);
    max_h = MAX (max_h, r->height);
    n++;
  }
  if (n == 0)
    return TRUE;

  if (model->is_static && origin > p->start)
    shift = origin - p->start;

  W (xmlTextWriterStartElement (w, BAD_CAST "AdaptationSet"));
  W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "id", "%u", id));
  W (attr (w, "contentType", video ? "video" : "audio"));
  W (attr (w, "mimeType", video ? "video/mp4" : "audio/mp4"));
  W (attr (w, "segmentAlignment", "true"));
  W (attr (w, "startWithSAP", "1"));
  if (video) {
    W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "maxWidth", "%u", max_w));
    W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "maxHeight", "%u",
            max_h));
    if (first->fps_n > 0 && first->fps_d > 0)
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "maxFrameRate",
              first->fps_d == 1 ? "%u" : "%u/%u", first->fps_n, first->fps_d));
  } else if (first->lang) {
    W (attr (w, "lang", first->lang));
  }

  for (ri = 0; ri < p->reps->len; ri++) {
    MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
    guint64 start_number;

    if (r->kind != kind)
      continue;
    W (xmlTextWriterStartElement (w, BAD_CAST "Representation"));
    W (attr (w, "id", r->id));
    W (attr_u64 (w, "bandwidth", rep_bandwidth (r)));
    if (r->codecs)
      W (attr (w, "codecs", r->codecs));
    if (video) {
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "width", "%u",
              r->width));
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "height", "%u",
              r->height));
      if (r->fps_n > 0 && r->fps_d > 0)
        W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "frameRate",
                r->fps_d == 1 ? "%u" : "%u/%u", r->fps_n, r->fps_d));
      if (r->par_n > 0 && r->par_d > 0)
        W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "sar", "%u:%u",
                r->par_n, r->par_d));
    } else {
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "audioSamplingRate",
              "%u", r->sample_rate));
      W (xmlTextWriterStartElement (w, BAD_CAST "AudioChannelConfiguration"));
      W (attr (w, "schemeIdUri",
              "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"));
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "value", "%u",
              r->channels));
      W (xmlTextWriterEndElement (w));
    }

    if (!model->is_static && r->prt_wallclock_us > 0) {
      gchar *wc = mpd_format_date_time (r->prt_wallclock_us);
      W (xmlTextWriterStartElement (w, BAD_CAST "ProducerReferenceTime"));
      W (attr (w, "id", "0"));
      W (attr (w, "type", "encoder"));
      W (attr (w, "wallClockTime", wc));
      W (attr_u64 (w, "presentationTime", r->prt_presentation_time));
      g_free (wc);
      if (model->utc_timing_value) {
        W (xmlTextWriterStartElement (w, BAD_CAST "UTCTiming"));
        W (attr (w, "schemeIdUri", model->utc_timing_scheme ?
                model->utc_timing_scheme :
                "urn:mpeg:dash:utc:http-xsdate:2014"));
        W (attr (w, "value", model->utc_timing_value));
        W (xmlTextWriterEndElement (w));
      }
      W (xmlTextWriterEndElement (w));
    }
    if (!model->is_static && model->resync_dt > 0) {
      /* every CMAF chunk (moof) is a resync point; chunks other than the
       * first of a segment do not start with a SAP */
      W (xmlTextWriterStartElement (w, BAD_CAST "Resync"));
      W (attr (w, "type", "0"));
      W (attr_u64 (w, "dT", ns_to_ticks (model->resync_dt, r->timescale)));
      W (attr (w, "marker", "false"));
      W (xmlTextWriterEndElement (w));
    }

    W (xmlTextWriterStartElement (w, BAD_CAST "SegmentTemplate"));
    W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "timescale", "%u",
            r->timescale));
    W (attr (w, "initialization", r->init_url));
    W (attr (w, "media", r->media_template));
    start_number = r->segments->len > 0 ?
        g_array_index (r->segments, MpdSegment, 0).number : r->next_number;
    /* $Time$ addresses need no number; FFmpeg's DASH demuxer (5.1) counts
     * the timeline's segments from startNumber to find the first one */
    if (r->media_template && strstr (r->media_template, "$Time$"))
      start_number = 0;
    W (attr_u64 (w, "startNumber", start_number));
    if (r->presentation_time_offset > 0 || shift > 0)
      W (attr_u64 (w, "presentationTimeOffset",
              r->presentation_time_offset + ns_to_ticks (shift, r->timescale)));
    if (!model->is_static && model->render_ll &&
        model->availability_time_offset > 0) {
      W (xmlTextWriterWriteFormatAttribute (w,
              BAD_CAST "availabilityTimeOffset", "%.3f",
              model->availability_time_offset));
      W (attr (w, "availabilityTimeComplete",
              model->availability_time_complete ? "true" : "false"));
    }
    if (write_timeline (w, r, model->render_ll && live_edge) < 0)
      goto fail;
    W (xmlTextWriterEndElement (w));    /* SegmentTemplate */
    W (xmlTextWriterEndElement (w));    /* Representation */
  }
  W (xmlTextWriterEndElement (w));      /* AdaptationSet */
  return TRUE;

fail:
  return FALSE;
}

/* Whether the last Period @p is held (MpdPeriod.hold_segments) in a
 * render without low latency: until every representation holds that many
 * segments, or one holds one more (a track that stopped) */
static gboolean
period_held (MpdModel * model, MpdPeriod * p)
{
  guint ri, least = G_MAXUINT, most = 0;

  if (p->hold_segments == 0 || model->render_ll || model->is_static)
    return FALSE;
  for (ri = 0; ri < p->reps->len; ri++) {
    MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
    least = MIN (least, r->segments->len);
    most = MAX (most, r->segments->len);
  }
  if (p->reps->len > 0 && (least >= p->hold_segments ||
          most > p->hold_segments)) {
    p->hold_segments = 0;
    return FALSE;
  }
  return TRUE;
}

/* The Periods a live MPD lists: a new Period once every representation
 * of the one before has entered it (a player that loads it with video
 * only prepares it without audio and cannot add the audio later: dash.js
 * stopped at the boundary), or once one of its representations holds two
 * segments (a track that ended never enters), and not while it is held
 * (period_held); a static MPD lists all. */
static guint
periods_shown (MpdModel * model)
{
  guint shown = model->periods->len;

  if (shown > 1 && period_held (model, g_ptr_array_index (model->periods,
              shown - 1)))
    return shown - 1;

  while (!model->is_static && shown > 1) {
    MpdPeriod *p = g_ptr_array_index (model->periods, shown - 1);
    MpdPeriod *before = g_ptr_array_index (model->periods, shown - 2);
    gboolean ready = p->reps->len >= before->reps->len;
    guint ri;

    for (ri = 0; !ready && ri < p->reps->len; ri++) {
      MpdRepresentation *r = g_ptr_array_index (p->reps, ri);
      ready = r->segments->len >= 2;
    }
    if (ready)
      break;
    shown--;
  }
  return shown;
}

static gchar *
render (MpdModel * model, gint64 publish_time_us, gsize * len)
{
  xmlBufferPtr buf = xmlBufferCreate ();
  xmlTextWriterPtr w = xmlNewTextWriterMemory (buf, 0);
  gchar *s, *res = NULL;
  guint pi, shown = periods_shown (model);
  guint64 origin = model->is_static ? model_origin (model) : 0;

  if (w == NULL) {
    xmlBufferFree (buf);
    return NULL;
  }
  W (xmlTextWriterSetIndent (w, 1));
  W (xmlTextWriterSetIndentString (w, BAD_CAST "  "));
  W (xmlTextWriterStartDocument (w, "1.0", "UTF-8", NULL));
  W (xmlTextWriterStartElement (w, BAD_CAST "MPD"));
  W (attr (w, "xmlns", "urn:mpeg:dash:schema:mpd:2011"));
  W (attr (w, "profiles", "urn:mpeg:dash:profile:isoff-live:2011"));
  W (attr (w, "type", model->is_static ? "static" : "dynamic"));
  if (model->ast_set && !model->is_static) {
    s = mpd_format_date_time (model->availability_start_time);
    W (attr (w, "availabilityStartTime", s));
    g_free (s);
  }
  s = mpd_format_date_time (publish_time_us);
  W (attr (w, "publishTime", s));
  g_free (s);
  if (model->is_static) {
    W (attr_dur (w, "mediaPresentationDuration", model->static_duration));
  } else {
    W (attr_dur (w, "minimumUpdatePeriod", model->minimum_update_period));
    if (model->time_shift_buffer_depth > 0)
      W (attr_dur (w, "timeShiftBufferDepth", model->time_shift_buffer_depth));
    if (model->suggested_presentation_delay > 0)
      W (attr_dur (w, "suggestedPresentationDelay",
              model->suggested_presentation_delay));
  }
  if (model->max_segment_duration > 0)
    W (attr_dur (w, "maxSegmentDuration", model->max_segment_duration));
  W (attr_dur (w, "minBufferTime", model->min_buffer_time));

  if (model->base_url)
    W (xmlTextWriterWriteElement (w, BAD_CAST "BaseURL",
            BAD_CAST model->base_url));

  if (!model->is_static && model->render_ll && (model->latency_target > 0
          || model->playback_rate_max > 0)) {
    W (xmlTextWriterStartElement (w, BAD_CAST "ServiceDescription"));
    W (attr (w, "id", "0"));
    if (model->latency_target > 0) {
      W (xmlTextWriterStartElement (w, BAD_CAST "Latency"));
      W (attr_u64 (w, "target", model->latency_target));
      if (model->latency_min > 0)
        W (attr_u64 (w, "min", model->latency_min));
      if (model->latency_max > 0)
        W (attr_u64 (w, "max", model->latency_max));
      W (xmlTextWriterEndElement (w));
    }
    if (model->playback_rate_max > 0) {
      W (xmlTextWriterStartElement (w, BAD_CAST "PlaybackRate"));
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "min", "%.2f",
              model->playback_rate_min));
      W (xmlTextWriterWriteFormatAttribute (w, BAD_CAST "max", "%.2f",
              model->playback_rate_max));
      W (xmlTextWriterEndElement (w));
    }
    W (xmlTextWriterEndElement (w));
  }

  for (pi = 0; pi < shown; pi++) {
    MpdPeriod *p = g_ptr_array_index (model->periods, pi);
    guint64 start = p->start;
    gboolean live_edge = pi + 1 == model->periods->len;

    if (model->is_static)
      start = MAX (start, origin) - origin;
    W (xmlTextWriterStartElement (w, BAD_CAST "Period"));
    W (attr (w, "id", p->id));
    W (attr_dur (w, "start", start));
    if (!write_adaptation_set (w, model, p, MPD_KIND_VIDEO, 0, origin,
            live_edge))
      goto fail;
    if (!write_adaptation_set (w, model, p, MPD_KIND_AUDIO, 1, origin,
            live_edge))
      goto fail;
    W (xmlTextWriterEndElement (w));
  }

  if (!model->is_static) {
    W (xmlTextWriterStartElement (w, BAD_CAST "UTCTiming"));
    if (model->utc_timing_value) {
      W (attr (w, "schemeIdUri", model->utc_timing_scheme ?
              model->utc_timing_scheme : "urn:mpeg:dash:utc:http-xsdate:2014"));
      W (attr (w, "value", model->utc_timing_value));
    } else {
      s = mpd_format_date_time (publish_time_us);
      W (attr (w, "schemeIdUri", DEFAULT_UTC_SCHEME_DIRECT));
      W (attr (w, "value", s));
      g_free (s);
    }
    W (xmlTextWriterEndElement (w));
  }

  W (xmlTextWriterEndElement (w));      /* MPD */
  W (xmlTextWriterEndDocument (w));
  xmlFreeTextWriter (w);
  w = NULL;

  res = g_strndup ((const gchar *) xmlBufferContent (buf),
      xmlBufferLength (buf));
  if (len)
    *len = xmlBufferLength (buf);
  xmlBufferFree (buf);
  return res;

fail:
  if (w)
    xmlFreeTextWriter (w);
  xmlBufferFree (buf);
  return NULL;
}

gchar *
mpd_model_render_full (MpdModel * model, gint64 publish_time_us,
    gboolean low_latency, gsize * len)
{
  gchar *res;

  model->render_ll = low_latency;
  res = render (model, publish_time_us, len);
  model->render_ll = TRUE;
  return res;
}

gchar *
mpd_model_render (MpdModel * model, gint64 publish_time_us, gsize * len)
{
  return mpd_model_render_full (model, publish_time_us, TRUE, len);
}
