/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Time helpers shared by dashlivesink's modules, GLib only.
 *
 * One rounding rule for every conversion between nanoseconds and a
 * timescale (to the nearest tick or nanosecond, halves up), computed
 * without overflow for streams of any length: a segment's tfdt, its S@t
 * in the MPD and its EXT-X-PROGRAM-DATE-TIME all come from the same
 * numbers. */

#ifndef __DASH_TIME_H__
#define __DASH_TIME_H__

#include <glib.h>

G_BEGIN_DECLS

#define DASH_NS_PER_SECOND G_GUINT64_CONSTANT (1000000000)

/* How far the manifests run ahead at low latency: the MPD announces the
 * reference's segments up to this many after its last complete one (the
 * one in progress and the next), and every other representation up to
 * the same media time — one more segment for a representation whose
 * segment of the round is not published yet when the MPD is written
 * (DASH_MAX_ANNOUNCED).  The HTTP server makes requests for segments up to
 * DASH_MAX_AHEAD numbers past the one being written wait. */
#define DASH_MAX_AHEAD 2
#define DASH_MAX_ANNOUNCED (DASH_MAX_AHEAD + 1)

/* @ns nanoseconds in ticks of @timescale (per second), rounded */
static inline guint64
dash_ns_to_ticks (guint64 ns, guint32 timescale)
{
  return (ns / DASH_NS_PER_SECOND) * timescale +
      ((ns % DASH_NS_PER_SECOND) * timescale + DASH_NS_PER_SECOND / 2) /
      DASH_NS_PER_SECOND;
}

/* @ticks of @timescale in nanoseconds, rounded */
static inline guint64
dash_ticks_to_ns (guint64 ticks, guint32 timescale)
{
  return (ticks / timescale) * DASH_NS_PER_SECOND +
      ((ticks % timescale) * DASH_NS_PER_SECOND + timescale / 2) / timescale;
}

G_END_DECLS

#endif /* __DASH_TIME_H__ */
