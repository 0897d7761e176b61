/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* H.264 Annex B (byte-stream) access units to the AVC format of MP4
 * samples: 4-byte NAL lengths, parameter sets moved into an avcC record.
 * GLib only. */

#ifndef __H264_BYTESTREAM_H__
#define __H264_BYTESTREAM_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  GBytes *sps;                  /* last SPS seen (without start code) */
  GBytes *pps;                  /* last PPS seen */
} H264ParamSets;

void h264_param_sets_clear (H264ParamSets * ps);

/* Appends the AU @in (start-code delimited NAL units) to @out with 4-byte
 * big-endian lengths, leaving out SPS, PPS and access unit delimiters,
 * which update @ps.  Returns the number of NAL units written, -1 when @in
 * has no start code. */
gint h264_annexb_to_avc (const guint8 * in, gsize size, GByteArray * out,
    H264ParamSets * ps);

/* avcC (AVCDecoderConfigurationRecord) for @ps, NULL without SPS/PPS. */
GBytes *h264_build_avcc (const H264ParamSets * ps);

G_END_DECLS

#endif /* __H264_BYTESTREAM_H__ */
