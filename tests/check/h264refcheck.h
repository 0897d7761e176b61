/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Test and benchmark helper: is every H.264 access unit given to a decoder
 * decodable, judged by the codec itself rather than by prioqueue's
 * classification? Without gaps_in_frame_num, the frame_num of a picture is
 * PrevRefFrameNum + 1 (or PrevRefFrameNum): a jump means a reference
 * picture went missing, and that picture and everything after it up to the
 * next IDR are counted undecodable. Header-only, used by
 * tests/check/elements/prioqueue-pipeline.c and bench/prioqueue. */

#ifndef __H264_REF_CHECK_H__
#define __H264_REF_CHECK_H__

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/codecparsers/gsth264parser.h>

typedef struct
{
  GstH264NalParser *parser;
  gboolean have_idr;
  gboolean broken;
  guint prev_ref_frame_num;
  guint frames;                 /* pictures seen */
  guint keyframes;              /* IDR pictures */
  guint undecodable;            /* pictures whose references are missing */
  guint gaps;                   /* frame_num jumps */
  guint unparsable;
} H264RefCheck;

static inline void
h264_ref_check_init (H264RefCheck * c)
{
  memset (c, 0, sizeof (H264RefCheck));
  c->parser = gst_h264_nal_parser_new ();
}

static inline void
h264_ref_check_clear (H264RefCheck * c)
{
  gst_h264_nal_parser_free (c->parser);
  c->parser = NULL;
}

static inline void
h264_ref_check_picture (H264RefCheck * c, GstH264NalUnit * nalu,
    GstH264SliceHdr * slice)
{
  guint max;

  c->frames++;
  if (nalu->idr_pic_flag) {
    c->keyframes++;
    c->have_idr = TRUE;
    c->broken = FALSE;
    c->prev_ref_frame_num = slice->frame_num;
    return;
  }
  if (!c->have_idr) {
    c->undecodable++;
    return;
  }
  max = slice->pps->sequence->max_frame_num;
  if (slice->frame_num != (c->prev_ref_frame_num + 1) % max &&
      slice->frame_num != c->prev_ref_frame_num) {
    c->gaps++;
    c->broken = TRUE;
  }
  if (c->broken)
    c->undecodable++;
  if (nalu->ref_idc != 0)
    c->prev_ref_frame_num = slice->frame_num;
}

/* one access unit, byte-stream (@nal_length_size 0) or length-prefixed */
static inline void
h264_ref_check_push (H264RefCheck * c, GstBuffer * buf, guint nal_length_size)
{
  GstMapInfo map;
  GstH264NalUnit nalu;
  GstH264ParserResult res;
  guint offset = 0;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return;
  while (offset < map.size) {
    if (nal_length_size)
      res = gst_h264_parser_identify_nalu_avc (c->parser, map.data, offset,
          map.size, nal_length_size, &nalu);
    else
      res = gst_h264_parser_identify_nalu (c->parser, map.data, offset,
          map.size, &nalu);
    if (res != GST_H264_PARSER_OK && res != GST_H264_PARSER_NO_NAL_END)
      break;
    if (nalu.type == GST_H264_NAL_SPS || nalu.type == GST_H264_NAL_PPS) {
      gst_h264_parser_parse_nal (c->parser, &nalu);
    } else if (nalu.type == GST_H264_NAL_SLICE ||
        nalu.type == GST_H264_NAL_SLICE_IDR) {
      GstH264SliceHdr slice;

      if (gst_h264_parser_parse_slice_hdr (c->parser, &nalu, &slice, FALSE,
              FALSE) == GST_H264_PARSER_OK)
        h264_ref_check_picture (c, &nalu, &slice);
      else
        c->unparsable++;
      break;                    /* one picture per access unit */
    }
    offset = nalu.offset + nalu.size;
  }
  gst_buffer_unmap (buf, &map);
}

#endif /* __H264_REF_CHECK_H__ */
