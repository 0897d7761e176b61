/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <stdlib.h>

#include "httproutes.h"

void
http_routes_route (const gchar * path, DashRoute * route)
{
  http_routes_route_full (path, NULL, route);
}

void
http_routes_route_full (const gchar * path, const gchar * mpd_name,
    DashRoute * route)
{
  const gchar *name;
  gsize len;

  memset (route, 0, sizeof (*route));
  route->kind = DASH_ROUTE_NOT_FOUND;
  if (path == NULL || path[0] != '/')
    return;
  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html")) {
    route->kind = DASH_ROUTE_PLAYER;
    return;
  }
  if (g_str_equal (path, "/dash.all.min.js")) {
    route->kind = DASH_ROUTE_PLAYER_LIB;
    return;
  }
  if (g_str_equal (path, "/time")) {
    route->kind = DASH_ROUTE_TIME;
    return;
  }
  if (g_str_equal (path, "/metrics")) {
    route->kind = DASH_ROUTE_METRICS;
    return;
  }

  name = path + 1;
  len = strlen (name);
  /* one plain component: no directories, no dot files, no control chars */
  if (len == 0 || len >= sizeof (route->name) || name[0] == '.' ||
      strchr (name, '/') || strchr (name, '\\'))
    return;
  for (const gchar * c = name; *c; c++)
    if ((guchar) * c < 0x20 || *c == 0x7f)
      return;

  if (g_str_has_suffix (name, ".mpd") || g_strcmp0 (name, mpd_name) == 0)
    route->file_kind = DASH_FILE_MPD;
  else if (g_str_has_suffix (name, ".m3u8"))
    route->file_kind = DASH_FILE_PLAYLIST;
  else if (g_str_has_suffix (name, ".mp4"))
    route->file_kind = DASH_FILE_INIT;
  else if (g_str_has_suffix (name, ".m4s"))
    route->file_kind = DASH_FILE_SEGMENT;
  else
    return;
  route->kind = DASH_ROUTE_FILE;
  memcpy (route->name, name, len + 1);
}

const gchar *
http_routes_content_type (DashFileKind kind)
{
  switch (kind) {
    case DASH_FILE_MPD:
      return "application/dash+xml";
    case DASH_FILE_PLAYLIST:
      return "application/vnd.apple.mpegurl";
    case DASH_FILE_INIT:
      return "video/mp4";
    case DASH_FILE_SEGMENT:
      return "video/iso.segment";
  }
  return "application/octet-stream";
}

const gchar *
http_routes_cache_control (DashFileKind kind)
{
  switch (kind) {
    case DASH_FILE_MPD:
    case DASH_FILE_PLAYLIST:
      return "no-cache";
    case DASH_FILE_INIT:
    case DASH_FILE_SEGMENT:
      return "public, max-age=86400";
  }
  return "no-cache";
}

static gboolean
parse_u64 (const gchar * s, const gchar * end, guint64 * out)
{
  guint64 v = 0;

  if (s == end)
    return FALSE;
  for (; s < end; s++) {
    if (!g_ascii_isdigit (*s))
      return FALSE;
    if (v > (G_MAXUINT64 - 9) / 10)
      return FALSE;
    v = v * 10 + (*s - '0');
  }
  *out = v;
  return TRUE;
}

DashRangeResult
http_routes_parse_range (const gchar * header, guint64 size, guint64 * start,
    guint64 * end)
{
  const gchar *p, *dash, *stop;
  guint64 a = 0, b = 0;

  if (header == NULL)
    return DASH_RANGE_NONE;
  while (*header == ' ')
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return DASH_RANGE_NONE;
  p = header + 6;
  while (*p == ' ')
    p++;
  if (strchr (p, ','))
    return DASH_RANGE_NONE;     /* multipart ranges: send everything */
  stop = p + strlen (p);
  while (stop > p && stop[-1] == ' ')
    stop--;
  dash = memchr (p, '-', stop - p);
  if (dash == NULL)
    return DASH_RANGE_NONE;

  if (dash == p) {
    /* suffix: the last b bytes */
    if (!parse_u64 (dash + 1, stop, &b))
      return DASH_RANGE_NONE;
    if (b == 0 || size == 0)
      return DASH_RANGE_UNSATISFIABLE;
    *start = size > b ? size - b : 0;
    *end = size - 1;
    return DASH_RANGE_OK;
  }
  if (!parse_u64 (p, dash, &a))
    return DASH_RANGE_NONE;
  if (dash + 1 == stop) {
    b = G_MAXUINT64;
  } else if (!parse_u64 (dash + 1, stop, &b)) {
    return DASH_RANGE_NONE;
  } else if (b < a) {
    return DASH_RANGE_NONE;     /* invalid: ignored per RFC 9110 */
  }
  if (a >= size)
    return DASH_RANGE_UNSATISFIABLE;
  *start = a;
  *end = MIN (b, size - 1);
  return DASH_RANGE_OK;
}

gboolean
http_routes_parse_segment_name (const gchar * name, gchar ** rep,
    guint64 * number)
{
  const gchar *dash, *dot;
  guint64 n;

  if (!g_str_has_suffix (name, ".m4s"))
    return FALSE;
  dot = name + strlen (name) - 4;
  dash = g_strrstr_len (name, dot - name, "-");
  if (dash == NULL || dash == name || !parse_u64 (dash + 1, dot, &n))
    return FALSE;
  if (rep)
    *rep = g_strndup (name, dash - name);
  if (number)
    *number = n;
  return TRUE;
}

/* ------------------------------------------------------------------ */

typedef struct
{
  guint64 key;                  /* of the last started segment */
  guint64 ahead;                /* keys announced after it */
} StartedSegment;

struct _DashServeState
{
  GHashTable *live;             /* name -> DashLiveSegment */
  GHashTable *started;          /* rep -> StartedSegment */
  guint64 generation;
};

static void
live_segment_free (DashLiveSegment * l)
{
  g_free (l->name);
  g_free (l->tmp_name);
  g_free (l);
}

DashServeState *
http_routes_state_new (void)
{
  DashServeState *st = g_new0 (DashServeState, 1);

  st->live = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) live_segment_free);
  st->started = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return st;
}

void
http_routes_state_free (DashServeState * st)
{
  if (st == NULL)
    return;
  g_hash_table_unref (st->live);
  g_hash_table_unref (st->started);
  g_free (st);
}

void
http_routes_state_segment_started (DashServeState * st, const gchar * rep,
    guint64 key, guint64 ahead, const gchar * tmp_name, const gchar * name)
{
  DashLiveSegment *l = g_new0 (DashLiveSegment, 1);
  StartedSegment *last;

  l->name = g_strdup (name);
  l->tmp_name = g_strdup (tmp_name);
  l->generation = ++st->generation;
  g_hash_table_replace (st->live, l->name, l);
  last = g_hash_table_lookup (st->started, rep);
  if (last == NULL) {
    last = g_new (StartedSegment, 1);
    g_hash_table_insert (st->started, g_strdup (rep), last);
  }
  last->key = key;
  last->ahead = ahead;
}

void
http_routes_state_chunk_written (DashServeState * st, const gchar * rep,
    guint64 number, guint64 offset, guint64 size)
{
  gchar *name = g_strdup_printf ("%s-%" G_GUINT64_FORMAT ".m4s", rep, number);
  DashLiveSegment *l = g_hash_table_lookup (st->live, name);

  if (l && offset + size > l->complete) {
    l->complete = offset + size;
    l->generation = ++st->generation;
  }
  g_free (name);
}

void
http_routes_state_published (DashServeState * st, const gchar * name)
{
  if (g_hash_table_remove (st->live, name))
    st->generation++;
}

void
http_routes_state_reset (DashServeState * st)
{
  g_hash_table_remove_all (st->live);
  g_hash_table_remove_all (st->started);
  st->generation++;
}

DashAvailability
http_routes_state_lookup (DashServeState * st, const gchar * name,
    const DashLiveSegment ** live)
{
  DashLiveSegment *l = g_hash_table_lookup (st->live, name);
  gchar *rep = NULL;
  guint64 number = 0;
  StartedSegment *last;
  DashAvailability res = DASH_AVAIL_FILE;

  if (l) {
    if (live)
      *live = l;
    return DASH_AVAIL_LIVE;
  }
  if (!http_routes_parse_segment_name (name, &rep, &number))
    return DASH_AVAIL_FILE;
  last = g_hash_table_lookup (st->started, rep);
  if (last && number > last->key && number - last->key <= last->ahead)
    res = DASH_AVAIL_WAIT;
  g_free (rep);
  return res;
}

guint64
http_routes_state_generation (DashServeState * st)
{
  return st->generation;
}
