/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* NAL inspection for gopbuffer: tells an H.264 IDR from a recovery point
 * (open GOP), H.265 IDR from CRA/BLA, and labels H.265 RASL/RADL leading
 * pictures. Returns GOP_FLAG_* bits for the GLib-only GOP store. */

#ifndef __GOP_NAL_INSPECT_H__
#define __GOP_NAL_INSPECT_H__

#include <gst/gst.h>
#ifndef GST_USE_UNSTABLE_API
#define GST_USE_UNSTABLE_API
#endif
#include <gst/codecparsers/gsth264parser.h>
#include <gst/codecparsers/gsth265parser.h>

G_BEGIN_DECLS

typedef enum {
  GOP_CODEC_OTHER,              /* only DELTA_UNIT flags are used */
  GOP_CODEC_H264,
  GOP_CODEC_H265,
} GopCodec;

typedef struct {
  GopCodec codec;
  gboolean packetized;          /* avc/avc3/hvc1/hev1: length-prefixed NALs */
  guint nal_length_size;
  GstH264NalParser *h264;
  GstH265Parser *h265;
  /* counters */
  guint64 idr;
  guint64 recovery_points;      /* H.264 RAPs with a recovery point SEI */
  guint64 cra;
  guint64 bla;
  guint64 rasl;
  guint64 radl;
  guint64 parse_errors;
} GopNalInspector;

void gop_nal_inspector_init (GopNalInspector * insp);
void gop_nal_inspector_clear (GopNalInspector * insp);
/* Returns FALSE if the caps are not usable (bad codec_data) */
gboolean gop_nal_inspector_set_caps (GopNalInspector * insp, GstCaps * caps);
/* GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN | GOP_FLAG_LEADING_SKIP |
 * GOP_FLAG_LEADING_KEEP bits for one access unit. @keyframe: the buffer has
 * no DELTA_UNIT flag. */
guint gop_nal_inspect (GopNalInspector * insp, GstBuffer * buf,
    gboolean keyframe);

G_END_DECLS

#endif /* __GOP_NAL_INSPECT_H__ */
