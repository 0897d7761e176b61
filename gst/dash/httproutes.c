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
#include "dashtime.h"

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
  if (g_str_equal (path, "/hls.min.js")) {
    route->kind = DASH_ROUTE_PLAYER_HLS_LIB;
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
  else if (http_routes_parse_part_name (name, NULL, NULL, NULL))
    route->file_kind = DASH_FILE_PART;
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
    case DASH_FILE_PART:
      return "video/iso.segment";
  }
  return "application/octet-stream";
}

#define NS_PER_S G_GUINT64_CONSTANT (1000000000)
#define DEFAULT_CACHE_SEGMENT (2 * NS_PER_S)
#define DEFAULT_CACHE_WINDOW (120 * NS_PER_S)
/* max-age of what stays when the window keeps everything (VOD, dvr-window
 * 0): a day */
#define CACHE_KEEP_ALL_S 86400

gchar *
http_routes_cache_control_for (DashFileKind kind,
    const DashCachePolicy * policy)
{
  guint64 seg = DEFAULT_CACHE_SEGMENT, window = DEFAULT_CACHE_WINDOW, age;

  if (policy) {
    seg = policy->segment_duration ? policy->segment_duration : seg;
    window = policy->dvr_window;
  }
  switch (kind) {
    case DASH_FILE_MPD:
    case DASH_FILE_PLAYLIST:
      /* half a segment, in the whole seconds Cache-Control has */
      age = MAX (seg / 2 / NS_PER_S, 1);
      return g_strdup_printf ("public, max-age=%" G_GUINT64_FORMAT, age);
    case DASH_FILE_INIT:
    case DASH_FILE_SEGMENT:
    case DASH_FILE_PART:
      /* as long as the origin keeps it: the window and the segment that
       * is deleted one segment late, plus one for the segment in progress */
      age = window ? (window + 2 * seg + NS_PER_S - 1) / NS_PER_S :
          CACHE_KEEP_ALL_S;
      age = MIN (age, CACHE_KEEP_ALL_S);
      return g_strdup_printf ("public, max-age=%" G_GUINT64_FORMAT
          ", immutable", age);
  }
  return g_strdup ("no-cache");
}

DashClientState
http_routes_client_state (gint64 now, gint64 last_progress, guint64 queued,
    gboolean live_open, guint64 stall_timeout)
{
  guint64 idle_ns;

  if (now <= last_progress)
    return DASH_CLIENT_OK;
  idle_ns = (guint64) (now - last_progress) * 1000;
  if (queued > 0 && idle_ns > stall_timeout)
    return DASH_CLIENT_STALLED;
  if (queued == 0 && live_open && idle_ns / 2 > stall_timeout)
    return DASH_CLIENT_SOURCE_SILENT;
  return DASH_CLIENT_OK;
}

/* the default policy's values, spelled out (a logic test checks that they
 * equal http_routes_cache_control_for (kind, NULL)) */
const gchar *
http_routes_cache_control (DashFileKind kind)
{
  switch (kind) {
    case DASH_FILE_MPD:
    case DASH_FILE_PLAYLIST:
      return "public, max-age=1";
    case DASH_FILE_INIT:
    case DASH_FILE_SEGMENT:
    case DASH_FILE_PART:
      return "public, max-age=124, immutable";
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

gboolean
http_routes_parse_part_name (const gchar * name, gchar ** rep,
    guint64 * number, guint * index)
{
  const gchar *dash, *dot, *end;
  guint64 n, k;

  if (!g_str_has_suffix (name, ".m4s"))
    return FALSE;
  end = name + strlen (name) - 4;
  dot = g_strrstr_len (name, end - name, ".");
  /* numbers as the server writes them: no leading zero, so that one part
   * has one URL (caches key by it) */
  if (dot == NULL || (dot[1] == '0' && dot + 2 != end) ||
      !parse_u64 (dot + 1, end, &k) || k > G_MAXUINT16)
    return FALSE;
  dash = g_strrstr_len (name, dot - name, "-");
  if (dash == NULL || dash == name || (dash[1] == '0' && dash + 2 != dot) ||
      !parse_u64 (dash + 1, dot, &n))
    return FALSE;
  if (rep)
    *rep = g_strndup (name, dash - name);
  if (number)
    *number = n;
  if (index)
    *index = (guint) k;
  return TRUE;
}

/* --- LL-HLS delivery directives -------------------------------------- */

static gboolean
parse_decimal (const gchar * s, guint64 * out)
{
  return s != NULL && parse_u64 (s, s + strlen (s), out);
}

gboolean
http_routes_parse_hls_directives (const gchar * msn, const gchar * part,
    const gchar * skip, DashHlsDirectives * d)
{
  memset (d, 0, sizeof (*d));
  if (msn) {
    if (!parse_decimal (msn, &d->msn))
      return FALSE;
    d->has_msn = TRUE;
  }
  if (part) {
    if (!parse_decimal (part, &d->part))
      return FALSE;
    d->has_part = TRUE;
  }
  if (skip) {
    if (!g_str_equal (skip, "YES") && !g_str_equal (skip, "v2"))
      return FALSE;
    d->skip = TRUE;
  }
  return TRUE;
}

DashHlsDecision
http_routes_hls_decide (const HlsPlaylistState * st,
    const DashHlsDirectives * d)
{
  guint64 last_msn, pt = MAX (st->part_target, 1), limit, per_segment;
  gint64 ahead;

  /* directives mean nothing to a playlist without blocking reload, and
   * are ignored once it has ended (6.2.5.2) */
  if (!st->low_latency || st->ended)
    return DASH_HLS_ANSWER;
  if (!d->has_msn)
    return d->has_part ? DASH_HLS_BAD_REQUEST : DASH_HLS_ANSWER;

  last_msn = st->has_part ? MAX (st->part_msn, st->last_msn) : st->last_msn;
  if (!st->has_segment && !st->has_part)
    return DASH_HLS_HOLD;
  /* more than two segments ahead */
  if (d->msn > last_msn + 2)
    return DASH_HLS_BAD_REQUEST;

  if (!d->has_part) {
    /* segment M complete */
    return st->has_segment && d->msn <= st->last_msn ? DASH_HLS_ANSWER :
        DASH_HLS_HOLD;
  }
  if (!st->has_part) {
    /* no parts listed yet: a complete segment holds all of its parts */
    return st->has_segment && d->msn < st->last_msn ? DASH_HLS_ANSWER :
        DASH_HLS_HOLD;
  }
  /* the Advance Part Limit: 3 s of parts (at least 3 parts), counted
   * with the parts a segment has (target duration / part target) */
  /* part N of segment M, or any later one (an N past the segment's last
   * part is part 0 of the next: later than every part of M) */
  if (d->msn < st->part_msn || (d->msn == st->part_msn &&
          d->part <= st->part_index))
    return DASH_HLS_ANSWER;
  limit = st->part_target < DASH_NS_PER_SECOND ?
      (3 * DASH_NS_PER_SECOND + pt - 1) / pt : 3;
  per_segment = MAX (((guint64) st->target_duration * DASH_NS_PER_SECOND +
          pt / 2) / pt, 1);
  /* d->msn >= part_msn here; a distance that would overflow the count
   * is far beyond any limit (a playlist state with last_msn far past
   * part_msn) */
  if (d->msn - st->part_msn > (guint64) (G_MAXINT64 / 4) / per_segment)
    return DASH_HLS_BAD_REQUEST;
  ahead = (gint64) ((d->msn - st->part_msn) * per_segment) +
      (gint64) MIN (d->part, G_MAXINT32) - (gint64) st->part_index;
  if (ahead > (gint64) limit)
    return DASH_HLS_BAD_REQUEST;
  return DASH_HLS_HOLD;
}

guint
http_routes_hls_pick (const HlsPlaylistState * states, guint n,
    const DashHlsDirectives * d)
{
  guint i;

  g_return_val_if_fail (n > 0, 0);
  if (d == NULL || !d->has_msn)
    return n - 1;
  for (i = 0; i + 1 < n; i++)
    if (http_routes_hls_decide (&states[i], d) == DASH_HLS_ANSWER)
      return i;
  return n - 1;
}

guint64
http_routes_hls_hold (const HlsPlaylistState * st)
{
  return 3 * (guint64) MAX (st->target_duration, 1) * DASH_NS_PER_SECOND;
}

gchar *
http_routes_hls_cache_control (const HlsPlaylistState * st,
    const DashHlsDirectives * d)
{
  if (d == NULL || !d->has_msn || !st->low_latency)
    return g_strdup ("no-cache");
  return g_strdup_printf ("public, max-age=%u", MAX (st->target_duration, 1));
}

/* ------------------------------------------------------------------ */

typedef struct
{
  guint64 key;                  /* of the last started segment */
  guint64 ahead;                /* keys announced after it */
} StartedSegment;

/* The chunks of a recent segment: its LL-HLS parts */
typedef struct
{
  guint64 key;                  /* of the segment (its name's number) */
  gchar *name, *tmp_name;
  GArray *chunks;               /* guint64 pairs: offset, size */
  gboolean published;
} PartSegment;

struct _DashServeState
{
  GHashTable *live;             /* name -> DashLiveSegment */
  GHashTable *started;          /* rep -> StartedSegment */
  GHashTable *parts;            /* rep -> GQueue of PartSegment, oldest
                                 * first, at most DASH_PARTS_KEPT */
  guint64 generation;
};

static void
part_segment_free (PartSegment * p)
{
  g_free (p->name);
  g_free (p->tmp_name);
  g_array_free (p->chunks, TRUE);
  g_free (p);
}

static void
part_queue_free (GQueue * q)
{
  g_queue_free_full (q, (GDestroyNotify) part_segment_free);
}

static PartSegment *
find_part_segment (DashServeState * st, const gchar * rep, guint64 key)
{
  GQueue *q = g_hash_table_lookup (st->parts, rep);
  GList *l;

  for (l = q ? q->tail : NULL; l; l = l->prev) {
    PartSegment *p = l->data;
    if (p->key == key)
      return p;
  }
  return NULL;
}

void
dash_part_range_clear (DashPartRange * range)
{
  g_clear_pointer (&range->name, g_free);
  g_clear_pointer (&range->tmp_name, g_free);
}

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
  st->parts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) part_queue_free);
  return st;
}

void
http_routes_state_free (DashServeState * st)
{
  if (st == NULL)
    return;
  g_hash_table_unref (st->live);
  g_hash_table_unref (st->started);
  g_hash_table_unref (st->parts);
  g_free (st);
}

void
http_routes_state_segment_started (DashServeState * st, const gchar * rep,
    guint64 key, guint64 ahead, const gchar * tmp_name, const gchar * name)
{
  DashLiveSegment *l = g_new0 (DashLiveSegment, 1);
  StartedSegment *last;
  PartSegment *p;
  GQueue *q;

  /* its parts: none yet (a key started again forgets the old ones) */
  q = g_hash_table_lookup (st->parts, rep);
  if (q == NULL) {
    q = g_queue_new ();
    g_hash_table_insert (st->parts, g_strdup (rep), q);
  }
  p = find_part_segment (st, rep, key);
  if (p) {
    g_queue_remove (q, p);
    part_segment_free (p);
  }
  p = g_new0 (PartSegment, 1);
  p->key = key;
  p->name = g_strdup (name);
  p->tmp_name = g_strdup (tmp_name);
  p->chunks = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_queue_push_tail (q, p);
  while (q->length > DASH_PARTS_KEPT)
    part_segment_free (g_queue_pop_head (q));

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
    guint64 key, guint64 offset, guint64 size)
{
  gchar *name = g_strdup_printf ("%s-%" G_GUINT64_FORMAT ".m4s", rep, key);
  DashLiveSegment *l = g_hash_table_lookup (st->live, name);
  PartSegment *p = find_part_segment (st, rep, key);

  if (l && offset + size > l->complete) {
    l->complete = offset + size;
    l->generation = ++st->generation;
  }
  if (p && !p->published && size > 0) {
    g_array_append_val (p->chunks, offset);
    g_array_append_val (p->chunks, size);
    st->generation++;
  }
  g_free (name);
}

void
http_routes_state_published (DashServeState * st, const gchar * name)
{
  gchar *rep = NULL;
  guint64 number;

  if (g_hash_table_remove (st->live, name))
    st->generation++;
  if (http_routes_parse_segment_name (name, &rep, &number)) {
    PartSegment *p = find_part_segment (st, rep, number);
    if (p && !p->published) {
      p->published = TRUE;
      st->generation++;
    }
    g_free (rep);
  }
}

void
http_routes_state_reset (DashServeState * st)
{
  g_hash_table_remove_all (st->live);
  g_hash_table_remove_all (st->started);
  g_hash_table_remove_all (st->parts);
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

gchar *
http_routes_state_alias (DashServeState * st, const gchar * name)
{
  PartSegment *before = NULL, *after = NULL;
  gchar *rep = NULL, *res = NULL;
  guint64 key;
  GQueue *q;
  GList *l;

  if (g_hash_table_lookup (st->live, name)
      || !http_routes_parse_segment_name (name, &rep, &key))
    return NULL;
  q = g_hash_table_lookup (st->parts, rep);
  /* oldest first: the last one starting before @key, and the next */
  for (l = q ? q->head : NULL; l; l = l->next) {
    PartSegment *p = l->data;
    if (p->key == key)
      break;
    if (p->key < key)
      before = p;
    else if (before && after == NULL)
      after = p;
  }
  if (l == NULL && before && after)
    res = g_strdup (after->name);
  g_free (rep);
  return res;
}

guint64
http_routes_state_generation (DashServeState * st)
{
  return st->generation;
}

/* how many parts past the last complete one a request may wait for: the
 * preload hint names the next one; a player may ask for one more */
#define PARTS_AHEAD 2

DashPartAvailability
http_routes_state_lookup_part (DashServeState * st, const gchar * rep,
    guint64 key, guint index, DashPartRange * range)
{
  PartSegment *p = find_part_segment (st, rep, key);
  StartedSegment *last;
  guint n;

  memset (range, 0, sizeof (*range));
  if (p == NULL) {
    /* the first parts of the segment after the one being written */
    last = g_hash_table_lookup (st->started, rep);
    if (last && key > last->key && key - last->key <= last->ahead &&
        index < PARTS_AHEAD)
      return DASH_PART_WAIT;
    return DASH_PART_NOT_FOUND;
  }
  n = p->chunks->len / 2;
  if (index < n) {
    range->name = g_strdup (p->name);
    range->tmp_name = p->published ? NULL : g_strdup (p->tmp_name);
    range->offset = g_array_index (p->chunks, guint64, 2 * index);
    range->size = g_array_index (p->chunks, guint64, 2 * index + 1);
    return DASH_PART_READY;
  }
  /* a complete segment has all of its parts */
  if (p->published || index >= n + PARTS_AHEAD)
    return DASH_PART_NOT_FOUND;
  return DASH_PART_WAIT;
}
