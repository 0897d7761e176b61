/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Classification, first rule that applies:
 *
 *  1. GstChunkMeta on the buffer: its priority. Delta = DELTA_UNIT flag or
 *     type video-p/video-b; keyframe = type video-i, or a video stream
 *     buffer without DELTA_UNIT.
 *  2. caps that are not video (audio, text, metadata, ...): HIGH.
 *  3. H.264 / H.265 (byte-stream, avc/avc3, hvc1/hev1): the first slice
 *     NAL unit decides. No slice in the buffer (parameter sets, SEI):
 *     HIGH. Keyframe: no DELTA_UNIT flag once the stream has shown it sets
 *     the flag, otherwise an IDR (H.264) / IRAP (H.265) slice: HIGH.
 *     Other pictures: DROPPABLE flag or non-reference (H.264
 *     nal_ref_idc 0; H.265 *_N types in the highest temporal sub-layer):
 *     LOW, else NORMAL.
 *  4. HEADER flag: HIGH, no dependency.
 *  5. other video: no DELTA_UNIT: HIGH keyframe; DROPPABLE: LOW; other
 *     delta units: NORMAL.
 *
 * Only the NAL headers are read, up to the first slice: the slice data
 * itself is never scanned.
 *
 * Reading a NAL unit header is reading one or two bytes at a known place
 * (H.264 7.3.1: forbidden_zero_bit, nal_ref_idc, nal_unit_type; H.265
 * 7.3.1.2: forbidden_zero_bit, nal_unit_type, nuh_layer_id,
 * nuh_temporal_id_plus1), not parsing a bitstream, so the common cases do it
 * in place: avc/hvc input walks the length prefixes, byte-stream input
 * checks for a start code where the first slice was in the previous access
 * unit. That is a few instructions against a few hundred for a call into
 * codecparsers, per delta frame. Whenever the bytes do not show a plain
 * case (no start code at the remembered place, a length that overruns the
 * buffer, a forbidden bit, data partitions, SVC/MVC extensions, an H.265
 * SPS to parse, ...) the codecparsers path below decides exactly as
 * before: gstreamer-codecparsers-1.0 remains the parser wherever there is
 * something to parse. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

/* the codecparsers API is stable enough for reading NAL headers */
#define GST_USE_UNSTABLE_API

#include "gstprioclassify.h"
#include "gstchunkmeta.h"

#include <string.h>
#include <gst/codecparsers/gsth264parser.h>
#include <gst/codecparsers/gsth265parser.h>

typedef enum
{
  KIND_UNKNOWN,                 /* no caps yet: judge by flags */
  KIND_NON_VIDEO,
  KIND_VIDEO,
  KIND_H264,
  KIND_H265,
} StreamKind;

struct _GstPrioClassifier
{
  StreamKind kind;
  gboolean packetized;          /* avc / hvc: length-prefixed NAL units */
  guint8 nal_length_size;

  /* the stream sets DELTA_UNIT: trust it for keyframes */
  gboolean flags_seen;
  /* H.265: highest temporal id (sps_max_sub_layers_minus1) */
  gint max_tid;
  /* byte-stream: where the first slice's start code was last time */
  guint slice_hint;
  gboolean have_hint;
  /* read plain NAL headers in place (tests compare with FALSE) */
  gboolean in_place;
  GType meta_api;               /* GstChunkMeta's, looked up once */
  guint64 n_in_place;

  GstH264NalParser *h264;
  GstH265Parser *h265;
  GstH265SPS *h265_sps;
};

typedef struct
{
  gboolean has_slice;
  gboolean irap;                /* IDR / IRAP picture */
  gboolean reference;
} NalInfo;

GstPrioClassifier *
gst_prio_classifier_new (void)
{
  GstPrioClassifier *c = g_new0 (GstPrioClassifier, 1);

  c->kind = KIND_UNKNOWN;
  c->nal_length_size = 4;
  c->in_place = TRUE;
  c->meta_api = GST_CHUNK_META_API_TYPE;
  return c;
}

void
gst_prio_classifier_free (GstPrioClassifier * c)
{
  if (c == NULL)
    return;
  if (c->h264)
    gst_h264_nal_parser_free (c->h264);
  if (c->h265)
    gst_h265_parser_free (c->h265);
  g_free (c->h265_sps);
  g_free (c);
}

void
gst_prio_classifier_reset (GstPrioClassifier * c)
{
  c->flags_seen = FALSE;
}

gboolean
gst_prio_classifier_is_video (GstPrioClassifier * c)
{
  return c->kind != KIND_NON_VIDEO;
}

void
gst_prio_classifier_set_in_place (GstPrioClassifier * c, gboolean in_place)
{
  c->in_place = in_place;
}

guint64
gst_prio_classifier_n_in_place (GstPrioClassifier * c)
{
  return c->n_in_place;
}

static guint8
codec_data_byte (const GstStructure * s, guint idx, gboolean * ok)
{
  const GValue *v = gst_structure_get_value (s, "codec_data");
  GstBuffer *buf;
  guint8 b = 0;

  *ok = FALSE;
  if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v))
    return 0;
  buf = gst_value_get_buffer (v);
  if (gst_buffer_extract (buf, idx, &b, 1) == 1)
    *ok = TRUE;
  return b;
}

void
gst_prio_classifier_set_caps (GstPrioClassifier * c, GstCaps * caps)
{
  const GstStructure *s;
  const gchar *name, *format;
  gboolean ok;
  guint8 b;

  c->packetized = FALSE;
  c->nal_length_size = 4;
  c->slice_hint = 0;
  c->have_hint = FALSE;

  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps)) {
    c->kind = KIND_UNKNOWN;
    return;
  }

  s = gst_caps_get_structure (caps, 0);
  name = gst_structure_get_name (s);

  if (g_str_equal (name, "video/x-h264")) {
    c->kind = KIND_H264;
    if (c->h264 == NULL)
      c->h264 = gst_h264_nal_parser_new ();
    format = gst_structure_get_string (s, "stream-format");
    if (format && g_str_has_prefix (format, "avc")) {
      c->packetized = TRUE;
      /* AVCDecoderConfigurationRecord: lengthSizeMinusOne in byte 4 */
      b = codec_data_byte (s, 4, &ok);
      if (ok)
        c->nal_length_size = (b & 0x03) + 1;
    }
  } else if (g_str_equal (name, "video/x-h265")) {
    c->kind = KIND_H265;
    if (c->h265 == NULL) {
      c->h265 = gst_h265_parser_new ();
      c->h265_sps = g_new0 (GstH265SPS, 1);
    }
    format = gst_structure_get_string (s, "stream-format");
    if (format && g_str_has_prefix (format, "hvc")) {
      c->packetized = TRUE;
      /* HEVCDecoderConfigurationRecord byte 21: constantFrameRate(2)
       * numTemporalLayers(3) temporalIdNested(1) lengthSizeMinusOne(2) */
      b = codec_data_byte (s, 21, &ok);
      if (ok) {
        guint layers = (b >> 3) & 0x07;
        c->nal_length_size = (b & 0x03) + 1;
        if (layers > 0)
          c->max_tid = layers - 1;
      }
    }
  } else if (g_str_has_prefix (name, "video/") ||
      g_str_has_prefix (name, "image/")) {
    c->kind = KIND_VIDEO;
  } else if (g_str_equal (name, "application/x-rtp")) {
    const gchar *media = gst_structure_get_string (s, "media");
    c->kind = (media && g_str_equal (media, "video")) ?
        KIND_VIDEO : KIND_NON_VIDEO;
  } else {
    c->kind = KIND_NON_VIDEO;
  }
}

static gboolean
h264_is_slice (guint type)
{
  return (type >= GST_H264_NAL_SLICE && type <= GST_H264_NAL_SLICE_IDR) ||
      type == GST_H264_NAL_SLICE_EXT;
}

/* Outcome of reading NAL headers in place */
typedef enum
{
  FAST_UNSURE,                  /* not a plain case: let codecparsers decide */
  FAST_SLICE,                   /* the first slice found, info filled in */
  FAST_NO_SLICE,                /* well-formed units, none a slice */
} FastResult;

/* the most NAL units looked at per buffer, as in the codecparsers loops */
#define MAX_NALS 64

/* The header after a start code exactly at @pos (00 00 01 or 00 00 00 01),
 * with at least @header_bytes + 1 bytes of the unit in the buffer. */
static const guint8 *
header_after_start_code (const guint8 * data, gsize size, guint pos,
    guint header_bytes)
{
  const guint8 *p;

  if (pos > size || size - pos < 4 + header_bytes + 1)
    return NULL;
  p = data + pos;
  if (p[0] != 0 || p[1] != 0)
    return NULL;
  if (p[2] == 1)
    return p + 3;
  if (p[2] == 0 && p[3] == 1)
    return p + 4;
  return NULL;
}

static guint
read_length (const guint8 * p, guint n)
{
  guint v = 0;

  while (n--)
    v = (v << 8) | *p++;
  return v;
}

/* H.264 NAL header byte of a non-partitioned slice: fills @info */
static gboolean
h264_header_is_slice (guint8 b, NalInfo * info)
{
  guint type = b & 0x1f;

  if (type != GST_H264_NAL_SLICE && type != GST_H264_NAL_SLICE_IDR)
    return FALSE;
  info->has_slice = TRUE;
  info->irap = type == GST_H264_NAL_SLICE_IDR;
  info->reference = (b & 0x60) != 0;    /* nal_ref_idc */
  return TRUE;
}

/* H.264 units that are skipped in place: everything else but the plain
 * slices (data partitions, prefix / extension units, reserved types) goes
 * to codecparsers */
static gboolean
h264_type_skippable (guint type)
{
  return type >= GST_H264_NAL_SEI && type <= GST_H264_NAL_FILLER_DATA;
}

static FastResult
h264_at_hint (GstPrioClassifier * c, const guint8 * data, gsize size,
    NalInfo * info)
{
  const guint8 *h;

  if (!c->have_hint)
    return FAST_UNSURE;
  h = header_after_start_code (data, size, c->slice_hint, 1);
  if (h == NULL || (h[0] & 0x80) || !h264_header_is_slice (h[0], info))
    return FAST_UNSURE;
  return FAST_SLICE;
}

static FastResult
h264_walk_avc (GstPrioClassifier * c, const guint8 * data, gsize size,
    NalInfo * info)
{
  guint ls = c->nal_length_size;
  gsize offset = 0;
  guint n;

  for (n = 0; n < MAX_NALS && offset < size; n++) {
    guint len;
    guint8 b;

    if (size - offset < ls + 1)
      return FAST_UNSURE;
    len = read_length (data + offset, ls);
    if (len == 0 || len > size - offset - ls)
      return FAST_UNSURE;
    b = data[offset + ls];
    if (b & 0x80)
      return FAST_UNSURE;
    if (h264_header_is_slice (b, info))
      return FAST_SLICE;
    if (!h264_type_skippable (b & 0x1f))
      return FAST_UNSURE;
    offset += ls + len;
  }
  return offset == size && n > 0 ? FAST_NO_SLICE : FAST_UNSURE;
}

static void
h265_vcl_info (GstPrioClassifier * c, guint type, guint tid_plus1,
    NalInfo * info)
{
  gint tid = (gint) tid_plus1 - 1;

  info->has_slice = TRUE;
  info->irap = GST_H265_IS_NAL_TYPE_IRAP (type);
  /* sub-layer non-reference pictures are even types below 16; they are
   * referenced by nothing only in the highest sub-layer */
  info->reference = !(type < 16 && (type % 2) == 0 && tid >= c->max_tid);
}

/* H.265 two-byte NAL header: a VCL unit fills @info and gives FAST_SLICE;
 * a unit to skip gives FAST_NO_SLICE; anything else FAST_UNSURE (an SPS is
 * parsed by codecparsers for the number of sub-layers) */
static FastResult
h265_header (GstPrioClassifier * c, const guint8 * h, NalInfo * info)
{
  guint type = (h[0] >> 1) & 0x3f;
  guint tid_plus1 = h[1] & 0x07;

  if ((h[0] & 0x80) || tid_plus1 == 0)
    return FAST_UNSURE;
  if (type < 32) {
    h265_vcl_info (c, type, tid_plus1, info);
    return FAST_SLICE;
  }
  if (type == GST_H265_NAL_SPS || type > GST_H265_NAL_SUFFIX_SEI)
    return FAST_UNSURE;
  return FAST_NO_SLICE;
}

static FastResult
h265_at_hint (GstPrioClassifier * c, const guint8 * data, gsize size,
    NalInfo * info)
{
  const guint8 *h;

  if (!c->have_hint)
    return FAST_UNSURE;
  h = header_after_start_code (data, size, c->slice_hint, 2);
  if (h == NULL || h265_header (c, h, info) != FAST_SLICE) {
    memset (info, 0, sizeof (NalInfo));
    return FAST_UNSURE;
  }
  return FAST_SLICE;
}

static FastResult
h265_walk_hvc (GstPrioClassifier * c, const guint8 * data, gsize size,
    NalInfo * info)
{
  guint ls = c->nal_length_size;
  gsize offset = 0;
  guint n;

  for (n = 0; n < MAX_NALS && offset < size; n++) {
    guint len;
    FastResult r;

    if (size - offset < ls + 2)
      return FAST_UNSURE;
    len = read_length (data + offset, ls);
    if (len < 2 || len > size - offset - ls)
      return FAST_UNSURE;
    r = h265_header (c, data + offset + ls, info);
    if (r != FAST_NO_SLICE)
      return r;
    offset += ls + len;
  }
  return offset == size && n > 0 ? FAST_NO_SLICE : FAST_UNSURE;
}

static gboolean
parse_h264 (GstPrioClassifier * c, const guint8 * data, gsize size,
    NalInfo * info)
{
  GstH264NalUnit nalu;
  GstH264ParserResult res;
  guint offset = 0;
  guint n = 0;

  if (c->in_place && (c->packetized ? h264_walk_avc (c, data, size, info) :
          h264_at_hint (c, data, size, info)) != FAST_UNSURE) {
    c->n_in_place++;
    return TRUE;
  }

  /* Byte-stream: the unchecked variant reads the header after the next
   * start code without looking for the end of the unit; the next call
   * scans on from just after that header (start codes cannot occur inside
   * a unit). The slice data itself is never scanned. */
  while (offset < size && n < 64) {
    if (c->packetized)
      res = gst_h264_parser_identify_nalu_avc (c->h264, data, offset, size,
          c->nal_length_size, &nalu);
    else
      res = gst_h264_parser_identify_nalu_unchecked (c->h264, data, offset,
          size, &nalu);
    if (res != GST_H264_PARSER_OK && res != GST_H264_PARSER_NO_NAL_END)
      break;
    n++;

    if (h264_is_slice (nalu.type)) {
      info->has_slice = TRUE;
      info->irap = nalu.type == GST_H264_NAL_SLICE_IDR;
      info->reference = nalu.ref_idc != 0;
      if (!c->packetized) {
        c->slice_hint = nalu.sc_offset;
        c->have_hint = TRUE;
      }
      return TRUE;
    }
    /* a non-slice unit: AUD, SEI, SPS, PPS */
    if (c->packetized)
      offset = nalu.offset + nalu.size;
    else
      offset = nalu.offset + MAX (nalu.header_bytes, 1);
  }
  /* some units and no slice: a header buffer */
  return n > 0;
}

static gboolean
parse_h265 (GstPrioClassifier * c, const guint8 * data, gsize size,
    NalInfo * info)
{
  GstH265NalUnit nalu;
  GstH265ParserResult res;
  guint offset = 0;
  guint n = 0;

  if (c->in_place && (c->packetized ? h265_walk_hvc (c, data, size, info) :
          h265_at_hint (c, data, size, info)) != FAST_UNSURE) {
    c->n_in_place++;
    return TRUE;
  }

  while (offset < size && n < 64) {
    if (c->packetized)
      res = gst_h265_parser_identify_nalu_hevc (c->h265, data, offset, size,
          c->nal_length_size, &nalu);
    else
      res = gst_h265_parser_identify_nalu_unchecked (c->h265, data, offset,
          size, &nalu);
    if (res != GST_H265_PARSER_OK && res != GST_H265_PARSER_NO_NAL_END)
      break;
    n++;

    if (nalu.type < 32) {
      /* VCL: types 0..31 */
      h265_vcl_info (c, nalu.type, nalu.temporal_id_plus1, info);
      if (!c->packetized) {
        c->slice_hint = nalu.sc_offset;
        c->have_hint = TRUE;
      }
      return TRUE;
    }

    if (nalu.type == GST_H265_NAL_SPS) {
      /* rare: worth finding the end of the unit to parse it */
      if (!c->packetized)
        res = gst_h265_parser_identify_nalu (c->h265, data, nalu.sc_offset,
            size, &nalu);
      if ((res == GST_H265_PARSER_OK || res == GST_H265_PARSER_NO_NAL_END) &&
          gst_h265_parser_parse_sps (c->h265, &nalu, c->h265_sps,
              FALSE) == GST_H265_PARSER_OK)
        c->max_tid = c->h265_sps->max_sub_layers_minus1;
    }
    if (c->packetized)
      offset = nalu.offset + nalu.size;
    else
      offset = nalu.offset + MAX (nalu.header_bytes, 1);
  }
  return n > 0;
}

static gboolean
parse_nal (GstPrioClassifier * c, GstBuffer * buffer, NalInfo * info)
{
  GstMapInfo map;
  GstMemory *mem = NULL;
  gboolean ok;

  memset (info, 0, sizeof (NalInfo));
  /* the usual case, one memory: map just that (cheaper than the buffer) */
  if (gst_buffer_n_memory (buffer) == 1) {
    mem = gst_buffer_peek_memory (buffer, 0);
    if (!gst_memory_map (mem, &map, GST_MAP_READ))
      return FALSE;
  } else if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    return FALSE;
  }
  if (c->kind == KIND_H264)
    ok = parse_h264 (c, map.data, map.size, info);
  else
    ok = parse_h265 (c, map.data, map.size, info);
  if (mem)
    gst_memory_unmap (mem, &map);
  else
    gst_buffer_unmap (buffer, &map);
  return ok;
}

ShedClass
gst_prio_classifier_classify (GstPrioClassifier * c, GstBuffer * buffer,
    guint * flags, GstPrioRule * rule)
{
  return gst_prio_classifier_classify_full (c, buffer, flags, rule, NULL);
}

ShedClass
gst_prio_classifier_classify_full (GstPrioClassifier * c, GstBuffer * buffer,
    guint * flags, GstPrioRule * rule, gsize * size)
{
  GstChunkMeta *meta;
  gboolean delta = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  GstPrioRule r;
  ShedClass klass;

  *flags = 0;
  if (size)
    *size = G_MAXSIZE;
  if (delta)
    c->flags_seen = TRUE;

  meta = (GstChunkMeta *) gst_buffer_get_meta (buffer, c->meta_api);
  if (G_UNLIKELY (meta != NULL)) {
    r = GST_PRIO_RULE_META;
    switch (meta->priority) {
      case GST_CHUNK_PRIORITY_HIGH:
        klass = SHED_CLASS_HIGH;
        break;
      case GST_CHUNK_PRIORITY_LOW:
        klass = SHED_CLASS_LOW;
        break;
      case GST_CHUNK_PRIORITY_NORMAL:
      default:
        klass = SHED_CLASS_NORMAL;
        break;
    }
    switch (meta->type) {
      case GST_CHUNK_TYPE_VIDEO_I:
        *flags = SHED_FLAG_KEYFRAME;
        break;
      case GST_CHUNK_TYPE_VIDEO_P:
      case GST_CHUNK_TYPE_VIDEO_B:
        *flags = SHED_FLAG_DELTA;
        break;
      case GST_CHUNK_TYPE_AUDIO:
      case GST_CHUNK_TYPE_METADATA:
      case GST_CHUNK_TYPE_THUMBNAIL:
        break;
      case GST_CHUNK_TYPE_UNKNOWN:
      default:
        if (delta)
          *flags = SHED_FLAG_DELTA;
        else if (c->kind != KIND_NON_VIDEO)
          *flags = SHED_FLAG_KEYFRAME;
        break;
    }
    goto done;
  }

  if (c->kind == KIND_NON_VIDEO) {
    r = GST_PRIO_RULE_NON_VIDEO;
    klass = SHED_CLASS_HIGH;
    goto done;
  }

  if (c->kind == KIND_H264 || c->kind == KIND_H265) {
    NalInfo info;

    /* a keyframe the stream flags as such needs no parsing */
    if (c->flags_seen && !delta) {
      r = GST_PRIO_RULE_FLAGS;
      klass = SHED_CLASS_HIGH;
      *flags = SHED_FLAG_KEYFRAME;
      goto done;
    }

    /* the common case, per frame: an H.264 byte-stream delta unit in one
     * memory whose first slice starts where it did last time. One header
     * byte read in place, without the general path's calls; whatever is
     * not exactly that goes the general way below. */
    if (delta && c->kind == KIND_H264 && !c->packetized && c->have_hint &&
        c->in_place && gst_buffer_n_memory (buffer) == 1) {
      GstMemory *mem = gst_buffer_peek_memory (buffer, 0);
      GstMapInfo map;
      gint b = -1;

      if (gst_memory_map (mem, &map, GST_MAP_READ)) {
        const guint8 *h = header_after_start_code (map.data, map.size,
            c->slice_hint, 1);

        if (h && !(h[0] & 0x80))
          b = h[0];
        if (size)
          *size = mem->size;
        gst_memory_unmap (mem, &map);
      }
      if (b >= 0 && (b & 0x1f) == GST_H264_NAL_SLICE) {
        c->n_in_place++;
        r = GST_PRIO_RULE_NAL;
        *flags = SHED_FLAG_DELTA;
        klass = !(b & 0x60) || GST_BUFFER_FLAG_IS_SET (buffer,
            GST_BUFFER_FLAG_DROPPABLE) ? SHED_CLASS_LOW : SHED_CLASS_NORMAL;
        goto done;
      }
    }

    if (parse_nal (c, buffer, &info)) {
      r = GST_PRIO_RULE_NAL;
      if (!info.has_slice) {
        klass = SHED_CLASS_HIGH;
      } else if (c->flags_seen ? !delta : info.irap) {
        klass = SHED_CLASS_HIGH;
        *flags = SHED_FLAG_KEYFRAME;
      } else {
        *flags = SHED_FLAG_DELTA;
        if (!info.reference ||
            GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DROPPABLE))
          klass = SHED_CLASS_LOW;
        else
          klass = SHED_CLASS_NORMAL;
      }
      goto done;
    }
  }

  /* after the NAL rule: h264parse flags keyframes that carry SPS/PPS as
   * HEADER, and those must still end a keyframe wait */
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER)) {
    r = GST_PRIO_RULE_HEADER;
    klass = SHED_CLASS_HIGH;
    goto done;
  }

  r = GST_PRIO_RULE_FLAGS;
  if (!delta) {
    klass = SHED_CLASS_HIGH;
    *flags = SHED_FLAG_KEYFRAME;
  } else {
    *flags = SHED_FLAG_DELTA;
    klass = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DROPPABLE) ?
        SHED_CLASS_LOW : SHED_CLASS_NORMAL;
  }

done:
  if (rule)
    *rule = r;
  return klass;
}
