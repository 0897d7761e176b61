/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: the parts of dashlivesink's embedded HTTP server that read
 * what a client sends (httproutes.c): the request path, the Range header and
 * segment names. Checked besides memory safety:
 *  - a path routed to a file names one component of the output directory:
 *    not empty, no '/', '\\', NUL-terminated, never "." or ".." (no way out
 *    of the output directory)
 *  - a usable range lies inside the file: start <= end < size
 *  - a parsed segment name is "<rep>-<number>.m4s" with that rep and a
 *    non-empty rep; a parsed LL-HLS part name "<rep>-<number>.<index>.m4s"
 *    likewise, and never also a segment name
 *  - LL-HLS delivery directives (the same bytes as _HLS_msn, _HLS_part,
 *    _HLS_skip values) either fail to parse or give a decision */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"
#include "httproutes.h"

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzReader r;
  guint8 mode;
  guint64 fsize;
  size_t len;
  const guint8 *p;
  gchar *str;

  fuzz_reader_init (&r, data, size);
  mode = fuzz_u8 (&r);
  fsize = (mode & 0x80) ? fuzz_u64 (&r) : fuzz_u16 (&r);
  p = fuzz_bytes (&r, fuzz_reader_left (&r), &len);
  str = g_strndup ((const gchar *) p, len);     /* stops at a NUL, as C does */

  switch (mode % 3) {
    case 0:{
      DashRoute route;

      memset (&route, 0x5a, sizeof (route));
      http_routes_route (str, &route);
      if (route.kind == DASH_ROUTE_FILE) {
        gsize n = strnlen (route.name, sizeof (route.name));

        FUZZ_CHECK (n < sizeof (route.name), "file name not terminated");
        FUZZ_CHECK (n > 0, "empty file name for '%s'", str);
        FUZZ_CHECK (strchr (route.name, '/') == NULL &&
            strchr (route.name, '\\') == NULL, "'%s' -> '%s' has a separator",
            str, route.name);
        FUZZ_CHECK (strcmp (route.name, ".") != 0 &&
            strcmp (route.name, "..") != 0, "'%s' -> '%s'", str, route.name);
        FUZZ_CHECK (route.file_kind <= DASH_FILE_PART, "file kind %d",
            route.file_kind);
      } else {
        FUZZ_CHECK (route.kind <= DASH_ROUTE_FILE, "route kind %d", route.kind);
      }
      break;
    }
    case 1:{
      guint64 start = G_MAXUINT64, end = 0;
      DashRangeResult res = http_routes_parse_range (str, fsize, &start, &end);

      if (res == DASH_RANGE_OK)
        FUZZ_CHECK (start <= end && end < fsize, "'%s' on %" G_GUINT64_FORMAT
            " bytes -> %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, str, fsize,
            start, end);
      else
        FUZZ_CHECK (res == DASH_RANGE_NONE || res == DASH_RANGE_UNSATISFIABLE,
            "range result %d", res);
      break;
    }
    default:{
      gchar *rep = NULL;
      guint64 number = 0;
      guint index = 0;
      DashHlsDirectives d;
      HlsPlaylistState st = { 0, };

      if (http_routes_parse_part_name (str, &rep, &number, &index)) {
        gchar *prefix;

        FUZZ_CHECK (rep != NULL && rep[0] != '\0', "no rep in '%s'", str);
        FUZZ_CHECK (!http_routes_parse_segment_name (str, NULL, NULL),
            "'%s' is a part and a segment", str);
        prefix = g_strdup_printf ("%s-%" G_GUINT64_FORMAT ".", rep, number);
        FUZZ_CHECK (g_str_has_prefix (str, prefix), "'%s' -> '%s'", str,
            prefix);
        g_free (prefix);
        g_clear_pointer (&rep, g_free);
      }
      st.low_latency = TRUE;
      st.has_segment = st.has_part = TRUE;
      st.last_msn = st.part_msn = fsize;
      st.part_target = 200000000;
      st.target_duration = 2;
      if (http_routes_parse_hls_directives (str, str, NULL, &d)) {
        DashHlsDecision dec = http_routes_hls_decide (&st, &d);
        FUZZ_CHECK (dec <= DASH_HLS_BAD_REQUEST, "decision %d", dec);
      }

      if (http_routes_parse_segment_name (str, &rep, &number)) {
        gchar *prefix;

        FUZZ_CHECK (rep != NULL && rep[0] != '\0', "no rep in '%s'", str);
        prefix = g_strdup_printf ("%s-", rep);
        FUZZ_CHECK (g_str_has_prefix (str, prefix) &&
            g_str_has_suffix (str, ".m4s"), "'%s' -> rep '%s' %"
            G_GUINT64_FORMAT, str, rep, number);
        g_free (prefix);
      }
      g_free (rep);
      break;
    }
  }
  g_free (str);
  return 0;
}
