/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A stream's format from its caps.  See dashformat.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/pbutils/pbutils.h>

#include "dashformat.h"

static GBytes *
buffer_to_bytes (GstBuffer * buf)
{
  gpointer data = NULL;
  gsize size = 0;

  gst_buffer_extract_dup (buf, 0, gst_buffer_get_size (buf), &data, &size);
  return g_bytes_new_take (data, size);
}

static gboolean
read_opus (GstCaps * caps, DashFormat * fmt)
{
  guint32 r;
  guint8 ch, family, streams, coupled, mapping[256];
  GstBuffer *head;

  if (!gst_codec_utils_opus_parse_caps (caps, &r, &ch, &family, &streams,
          &coupled, mapping))
    return FALSE;
  head = gst_codec_utils_opus_create_header (r, ch, family, streams,
      coupled, mapping, 0, 0);
  if (head == NULL)
    return FALSE;
  fmt->codec_data = buffer_to_bytes (head);
  gst_buffer_unref (head);
  fmt->rate = r;
  fmt->channels = ch;
  return TRUE;
}

gboolean
dash_format_from_caps (GstCaps * caps, DashFormat * fmt, GError ** error)
{
  GstStructure *st = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (st);
  const GValue *v;
  gint width = 0, height = 0, fps_n = 0, fps_d = 1, par_n = 1, par_d = 1;
  gint rate = 0, channels = 0;

  memset (fmt, 0, sizeof (*fmt));
  if (g_str_equal (name, "video/x-h264") || g_str_equal (name, "video/x-h265")) {
    fmt->codec = g_str_equal (name, "video/x-h264") ? CMAF_CODEC_H264 :
        CMAF_CODEC_H265;
    if (!gst_structure_get_int (st, "width", &width) ||
        !gst_structure_get_int (st, "height", &height))
      goto missing_field;
    gst_structure_get_fraction (st, "framerate", &fps_n, &fps_d);
    gst_structure_get_fraction (st, "pixel-aspect-ratio", &par_n, &par_d);
  } else if (g_str_equal (name, "audio/mpeg")) {
    fmt->codec = CMAF_CODEC_AAC;
  } else if (g_str_equal (name, "audio/x-opus")) {
    fmt->codec = CMAF_CODEC_OPUS;
  } else {
    goto not_supported;
  }

  if (fmt->codec == CMAF_CODEC_OPUS) {
    if (!read_opus (caps, fmt))
      goto missing_field;
  } else {
    v = gst_structure_get_value (st, "codec_data");
    if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v))
      goto missing_codec_data;
    fmt->codec_data = buffer_to_bytes (gst_value_get_buffer (v));
    if (g_bytes_get_size (fmt->codec_data) < 2)
      goto missing_codec_data;
    if (fmt->codec == CMAF_CODEC_AAC) {
      if (!gst_structure_get_int (st, "rate", &rate) ||
          !gst_structure_get_int (st, "channels", &channels))
        goto missing_field;
      fmt->rate = rate;
      fmt->channels = channels;
    }
  }
  fmt->width = width;
  fmt->height = height;
  fmt->fps_n = fps_n;
  fmt->fps_d = fps_d;
  fmt->par_n = par_n;
  fmt->par_d = par_d;

  fmt->codecs = gst_codec_utils_caps_get_mime_codec (caps);
  if (fmt->codecs == NULL)
    goto no_codec_string;
  /* avc1.64001F -> avc1.64001f, the customary spelling */
  if (g_str_has_prefix (fmt->codecs, "avc")) {
    gchar *lower = g_ascii_strdown (fmt->codecs, -1);
    g_free (fmt->codecs);
    fmt->codecs = lower;
  }
  return TRUE;

  /* ERRORS */
not_supported:
  g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "unsupported caps %s", name);
  goto fail;
missing_field:
  g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "caps lack width/height or rate/channels");
  goto fail;
missing_codec_data:
  g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "no codec_data in the caps: put h264parse/h265parse or aacparse in "
      "front so that stream-format=avc/hvc1/raw with codec_data is "
      "negotiated");
  goto fail;
no_codec_string:
  g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
      "cannot derive an RFC 6381 codec string from the caps");
  goto fail;
fail:
  dash_format_clear (fmt);
  return FALSE;
}

void
dash_format_clear (DashFormat * fmt)
{
  g_clear_pointer (&fmt->codec_data, g_bytes_unref);
  g_clear_pointer (&fmt->codecs, g_free);
}

gboolean
dash_format_same_stream (const DashFormat * a, const DashFormat * b)
{
  return a->codec == b->codec && a->width == b->width &&
      a->height == b->height && a->rate == b->rate &&
      a->channels == b->channels && a->codec_data && b->codec_data &&
      g_bytes_equal (a->codec_data, b->codec_data);
}

guint
dash_format_audio_frame (const DashFormat * fmt)
{
  switch (fmt->codec) {
    case CMAF_CODEC_AAC:
      return 1024;
    case CMAF_CODEC_OPUS:
      return 960;               /* 20 ms at 48 kHz */
    default:
      return 0;
  }
}

GstBuffer *
dash_format_bytestream_to_avc (GstBuffer * buf, H264ParamSets * ps,
    GstCaps * bs_caps, GBytes * current, GstCaps ** caps, gint * n_nals)
{
  GstMapInfo map;
  GByteArray *out;
  GstBuffer *res;
  GBytes *avcc;
  gsize len;

  *caps = NULL;
  *n_nals = -1;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return NULL;
  out = g_byte_array_sized_new (map.size + 16);
  *n_nals = h264_annexb_to_avc (map.data, map.size, out, ps);
  gst_buffer_unmap (buf, &map);

  avcc = *n_nals >= 0 ? h264_build_avcc (ps) : NULL;
  if (avcc && (current == NULL || !g_bytes_equal (avcc, current))) {
    /* the buffer takes its own reference on the bytes */
    GstBuffer *cd = gst_buffer_new_wrapped_bytes (avcc);
    *caps = gst_caps_copy (bs_caps);
    gst_caps_set_simple (*caps, "stream-format", G_TYPE_STRING, "avc",
        "codec_data", GST_TYPE_BUFFER, cd, NULL);
    gst_buffer_unref (cd);
  }
  if (avcc)
    g_bytes_unref (avcc);
  if (*n_nals <= 0) {
    g_byte_array_unref (out);
    return NULL;
  }
  len = out->len;
  res = gst_buffer_new_wrapped (g_byte_array_free (out, FALSE), len);
  gst_buffer_copy_into (res, buf, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  return res;
}
