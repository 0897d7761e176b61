/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* What dashlivesink needs to know of a stream, read from its caps:
 * codec, codec configuration (avcC, hvcC, AudioSpecificConfig, an Opus
 * header built from the caps), the RFC 6381 codec string, picture size
 * and rate, audio rate and channels.  No state: caps in, a value out. */

#ifndef __DASH_FORMAT_H__
#define __DASH_FORMAT_H__

#include <gst/gst.h>

#include "cmafwriter.h"
#include "h264bytestream.h"

G_BEGIN_DECLS

typedef struct {
  CmafCodec codec;
  GBytes *codec_data;
  gchar *codecs;                /* RFC 6381, e.g. avc1.64001f */
  guint width, height, fps_n, fps_d, par_n, par_d;      /* video */
  guint rate, channels;         /* audio */
} DashFormat;

/* Fills @fmt from @caps, or says in @error (a user-facing sentence) what
 * is missing or not supported. */
gboolean dash_format_from_caps (GstCaps * caps, DashFormat * fmt,
    GError ** error);
void dash_format_clear (DashFormat * fmt);

/* Whether @a and @b are the same stream configuration (a difference needs
 * a new init segment) */
gboolean dash_format_same_stream (const DashFormat * a, const DashFormat * b);

/* Samples of one audio frame (1024 for AAC, 960 for Opus), 0 for video */
guint dash_format_audio_frame (const DashFormat * fmt);

/* H.264 byte-stream input: @buf's access unit in avc framing (4-byte NAL
 * lengths), with @buf's timestamps and flags (@buf is not consumed); its
 * SPS/PPS are kept in @ps.  *@caps: avc caps with the new avcC (from
 * @bs_caps) when it differs from @current, else NULL.  NULL when nothing
 * is left (parameter sets only: *@n_nals 0) or @buf has no start code
 * (*@n_nals < 0). */
GstBuffer *dash_format_bytestream_to_avc (GstBuffer * buf,
    H264ParamSets * ps, GstCaps * bs_caps, GBytes * current, GstCaps ** caps,
    gint * n_nals);

G_END_DECLS

#endif /* __DASH_FORMAT_H__ */
