/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* H.264 byte-stream to AVC, see h264bytestream.h (ISO/IEC 14496-10 Annex B,
 * ISO/IEC 14496-15 5.3.3.1). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "h264bytestream.h"

void
h264_param_sets_clear (H264ParamSets * ps)
{
  g_clear_pointer (&ps->sps, g_bytes_unref);
  g_clear_pointer (&ps->pps, g_bytes_unref);
}

/* Offset of the next 00 00 01 at or after @pos, or @size */
static gsize
next_start_code (const guint8 * d, gsize size, gsize pos)
{
  while (pos + 3 <= size) {
    if (d[pos + 2] > 1)
      pos += 3;
    else if (d[pos] == 0 && d[pos + 1] == 0 && d[pos + 2] == 1)
      return pos;
    else
      pos++;
  }
  return size;
}

static void
set_bytes (GBytes ** dst, const guint8 * d, gsize n)
{
  if (*dst && g_bytes_get_size (*dst) == n &&
      memcmp (g_bytes_get_data (*dst, NULL), d, n) == 0)
    return;
  if (*dst)
    g_bytes_unref (*dst);
  *dst = g_bytes_new (d, n);
}

gint
h264_annexb_to_avc (const guint8 * in, gsize size, GByteArray * out,
    H264ParamSets * ps)
{
  gsize pos = next_start_code (in, size, 0);
  gint n = 0;

  if (pos == size)
    return -1;
  while (pos < size) {
    gsize start = pos + 3, end = next_start_code (in, size, start), nal_end;
    guint8 type;

    /* trailing zero bytes belong to the next start code (00 00 00 01) */
    nal_end = end;
    while (nal_end > start && in[nal_end - 1] == 0)
      nal_end--;
    if (nal_end > start) {
      type = in[start] & 0x1f;
      if (type == 7) {
        set_bytes (&ps->sps, in + start, nal_end - start);
      } else if (type == 8) {
        set_bytes (&ps->pps, in + start, nal_end - start);
      } else if (type != 9) {
        guint32 len = nal_end - start;
        guint8 hdr[4] = { len >> 24, len >> 16, len >> 8, len };
        g_byte_array_append (out, hdr, 4);
        g_byte_array_append (out, in + start, len);
        n++;
      }
    }
    pos = end;
  }
  return n;
}

GBytes *
h264_build_avcc (const H264ParamSets * ps)
{
  GByteArray *b;
  const guint8 *sps;
  gsize sps_n, pps_n;
  guint8 hdr[6];

  if (ps->sps == NULL || ps->pps == NULL)
    return NULL;
  sps = g_bytes_get_data (ps->sps, &sps_n);
  pps_n = g_bytes_get_size (ps->pps);
  if (sps_n < 4 || sps_n > 0xffff || pps_n > 0xffff)
    return NULL;
  b = g_byte_array_sized_new (11 + sps_n + pps_n);
  hdr[0] = 1;                   /* configurationVersion */
  hdr[1] = sps[1];              /* AVCProfileIndication */
  hdr[2] = sps[2];              /* profile_compatibility */
  hdr[3] = sps[3];              /* AVCLevelIndication */
  hdr[4] = 0xff;                /* lengthSizeMinusOne = 3 */
  hdr[5] = 0xe1;                /* one SPS */
  g_byte_array_append (b, hdr, 6);
  hdr[0] = sps_n >> 8;
  hdr[1] = sps_n;
  g_byte_array_append (b, hdr, 2);
  g_byte_array_append (b, sps, sps_n);
  hdr[0] = 1;                   /* one PPS */
  hdr[1] = pps_n >> 8;
  hdr[2] = pps_n;
  g_byte_array_append (b, hdr, 3);
  g_byte_array_append (b, g_bytes_get_data (ps->pps, NULL), pps_n);
  return g_byte_array_free_to_bytes (b);
}
