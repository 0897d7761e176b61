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

#include "gopnalinspect.h"
#include "gopstore.h"

void
gop_nal_inspector_init (GopNalInspector * insp)
{
  memset (insp, 0, sizeof (*insp));
  insp->nal_length_size = 4;
}

void
gop_nal_inspector_clear (GopNalInspector * insp)
{
  if (insp->h264)
    gst_h264_nal_parser_free (insp->h264);
  if (insp->h265)
    gst_h265_parser_free (insp->h265);
  insp->h264 = NULL;
  insp->h265 = NULL;
  insp->codec = GOP_CODEC_OTHER;
}

gboolean
gop_nal_inspector_set_caps (GopNalInspector * insp, GstCaps * caps)
{
  GstStructure *s;
  const gchar *name, *format;
  const GValue *v;
  gboolean ok = TRUE;

  gop_nal_inspector_clear (insp);
  insp->packetized = FALSE;
  insp->nal_length_size = 4;
  if (!caps || gst_caps_get_size (caps) < 1)
    return TRUE;

  s = gst_caps_get_structure (caps, 0);
  name = gst_structure_get_name (s);
  format = gst_structure_get_string (s, "stream-format");
  v = gst_structure_get_value (s, "codec_data");

  if (g_str_equal (name, "video/x-h264")) {
    insp->codec = GOP_CODEC_H264;
    insp->h264 = gst_h264_nal_parser_new ();
    insp->packetized = format && g_str_has_prefix (format, "avc");
  } else if (g_str_equal (name, "video/x-h265")) {
    insp->codec = GOP_CODEC_H265;
    insp->h265 = gst_h265_parser_new ();
    insp->packetized = format && (g_str_equal (format, "hvc1")
        || g_str_equal (format, "hev1"));
  } else {
    return TRUE;
  }

  if (insp->packetized) {
    GstBuffer *cd = v && G_VALUE_HOLDS (v, GST_TYPE_BUFFER) ?
        gst_value_get_buffer (v) : NULL;
    GstMapInfo map;

    ok = FALSE;
    if (cd && gst_buffer_map (cd, &map, GST_MAP_READ)) {
      /* avcC: lengthSizeMinusOne in byte 4; hvcC: in byte 21 */
      if (insp->codec == GOP_CODEC_H264 && map.size >= 7) {
        insp->nal_length_size = (map.data[4] & 0x03) + 1;
        ok = TRUE;
      } else if (insp->codec == GOP_CODEC_H265 && map.size >= 23) {
        insp->nal_length_size = (map.data[21] & 0x03) + 1;
        ok = TRUE;
      }
      gst_buffer_unmap (cd, &map);
    }
    /* length size 3 is not allowed by the specs: treat as unusable */
    if (insp->nal_length_size == 3)
      ok = FALSE;
  }
  return ok;
}

static guint
inspect_h264 (GopNalInspector * insp, const guint8 * data, gsize size,
    gboolean keyframe)
{
  GstH264NalUnit nalu;
  GstH264ParserResult res;
  gboolean idr = FALSE, recovery = FALSE, slice = FALSE;
  guint offset = 0;

  /* only random access points need a look: deltas carry nothing we need */
  if (!keyframe)
    return 0;

  while (offset < size) {
    if (insp->packetized)
      res = gst_h264_parser_identify_nalu_avc (insp->h264, data, offset, size,
          insp->nal_length_size, &nalu);
    else
      res = gst_h264_parser_identify_nalu (insp->h264, data, offset, size,
          &nalu);
    if (res != GST_H264_PARSER_OK && res != GST_H264_PARSER_NO_NAL_END) {
      if (res != GST_H264_PARSER_NO_NAL)
        insp->parse_errors++;
      break;
    }
    switch (nalu.type) {
      case GST_H264_NAL_SLICE_IDR:
        idr = TRUE;
        slice = TRUE;
        break;
      case GST_H264_NAL_SLICE:
        slice = TRUE;
        break;
      case GST_H264_NAL_SPS:
      case GST_H264_NAL_PPS:
        /* keep the parameter sets so that SEI parsing works */
        gst_h264_parser_parse_nal (insp->h264, &nalu);
        break;
      case GST_H264_NAL_SEI:{
        GArray *msgs = NULL;
        guint i;

        if (gst_h264_parser_parse_sei (insp->h264, &nalu, &msgs) ==
            GST_H264_PARSER_OK || msgs) {
          for (i = 0; msgs && i < msgs->len; i++) {
            GstH264SEIMessage *m = &g_array_index (msgs, GstH264SEIMessage, i);
            if (m->payloadType == GST_H264_SEI_RECOVERY_POINT)
              recovery = TRUE;
          }
        }
        if (msgs)
          g_array_free (msgs, TRUE);
        break;
      }
      default:
        break;
    }
    if (slice)
      break;                    /* the RAP type is known at the first slice */
    offset = nalu.offset + nalu.size;
    if (res == GST_H264_PARSER_NO_NAL_END)
      break;
  }

  if (idr) {
    insp->idr++;
    return GOP_FLAG_KEYFRAME;
  }
  /* a keyframe without IDR: an I picture (with or without a recovery point
   * SEI) that later pictures may use together with older ones */
  if (recovery)
    insp->recovery_points++;
  return GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN;
}

static guint
inspect_h265 (GopNalInspector * insp, const guint8 * data, gsize size,
    gboolean keyframe)
{
  GstH265NalUnit nalu;
  GstH265ParserResult res;
  guint offset = 0;

  while (offset < size) {
    if (insp->packetized)
      res = gst_h265_parser_identify_nalu_hevc (insp->h265, data, offset,
          size, insp->nal_length_size, &nalu);
    else
      res = gst_h265_parser_identify_nalu (insp->h265, data, offset, size,
          &nalu);
    if (res != GST_H265_PARSER_OK && res != GST_H265_PARSER_NO_NAL_END) {
      if (res != GST_H265_PARSER_NO_NAL)
        insp->parse_errors++;
      break;
    }
    /* the first VCL NAL tells the picture type */
    if (nalu.type <= GST_H265_NAL_SLICE_CRA_NUT) {
      switch (nalu.type) {
        case GST_H265_NAL_SLICE_IDR_W_RADL:
        case GST_H265_NAL_SLICE_IDR_N_LP:
          insp->idr++;
          return GOP_FLAG_KEYFRAME;
        case GST_H265_NAL_SLICE_CRA_NUT:
          insp->cra++;
          return GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN;
        case GST_H265_NAL_SLICE_BLA_W_LP:
        case GST_H265_NAL_SLICE_BLA_W_RADL:
        case GST_H265_NAL_SLICE_BLA_N_LP:
          insp->bla++;
          return GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN;
        case GST_H265_NAL_SLICE_RASL_N:
        case GST_H265_NAL_SLICE_RASL_R:
          insp->rasl++;
          return GOP_FLAG_LEADING_SKIP;
        case GST_H265_NAL_SLICE_RADL_N:
        case GST_H265_NAL_SLICE_RADL_R:
          insp->radl++;
          return GOP_FLAG_LEADING_KEEP;
        default:
          /* trailing pictures, reserved IRAP types 22/23 */
          if (nalu.type >= 16)
            return GOP_FLAG_KEYFRAME;
          /* an intra trailing picture flagged as keyframe upstream: later
           * pictures may still reference older ones */
          return keyframe ? GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN : 0;
      }
    }
    offset = nalu.offset + nalu.size;
    if (res == GST_H265_PARSER_NO_NAL_END)
      break;
  }
  return keyframe ? GOP_FLAG_KEYFRAME : 0;
}

guint
gop_nal_inspect (GopNalInspector * insp, GstBuffer * buf, gboolean keyframe)
{
  GstMapInfo map;
  guint flags;

  if (insp->codec == GOP_CODEC_OTHER)
    return keyframe ? GOP_FLAG_KEYFRAME : 0;
  if (insp->codec == GOP_CODEC_H264 && !keyframe)
    return 0;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return keyframe ? GOP_FLAG_KEYFRAME : 0;

  if (insp->codec == GOP_CODEC_H264)
    flags = inspect_h264 (insp, map.data, map.size, keyframe);
  else
    flags = inspect_h265 (insp, map.data, map.size, keyframe);
  gst_buffer_unmap (buf, &map);
  return flags;
}
