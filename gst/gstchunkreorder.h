/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_CHUNK_REORDER_H__
#define __GST_CHUNK_REORDER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstChunkReorderSeqnumSource:
 * @GST_CHUNK_REORDER_SEQNUM_SOURCE_AUTO: the #GstChunkMeta sequence number
 *     when the buffer has one, else the RTP sequence number with
 *     application/x-rtp caps, else the buffer offset when it is valid
 * @GST_CHUNK_REORDER_SEQNUM_SOURCE_META: the #GstChunkMeta sequence number
 * @GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP: the RTP sequence number (16 bits,
 *     extended to 64 bits across wraparound); needs application/x-rtp caps
 * @GST_CHUNK_REORDER_SEQNUM_SOURCE_OFFSET: GST_BUFFER_OFFSET
 *
 * Where chunkreorder reads the sequence number of a buffer.
 */
typedef enum {
  GST_CHUNK_REORDER_SEQNUM_SOURCE_AUTO,
  GST_CHUNK_REORDER_SEQNUM_SOURCE_META,
  GST_CHUNK_REORDER_SEQNUM_SOURCE_RTP,
  GST_CHUNK_REORDER_SEQNUM_SOURCE_OFFSET,
} GstChunkReorderSeqnumSource;

#define GST_TYPE_CHUNK_REORDER_SEQNUM_SOURCE \
  (gst_chunk_reorder_seqnum_source_get_type ())
GType gst_chunk_reorder_seqnum_source_get_type (void);

#define GST_TYPE_CHUNK_REORDER (gst_chunk_reorder_get_type ())
G_DECLARE_FINAL_TYPE (GstChunkReorder, gst_chunk_reorder, GST, CHUNK_REORDER,
    GstElement);

GST_ELEMENT_REGISTER_DECLARE (chunkreorder);

G_END_DECLS

#endif /* __GST_CHUNK_REORDER_H__ */
