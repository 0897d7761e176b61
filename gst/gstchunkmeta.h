/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_CHUNK_META_H__
#define __GST_CHUNK_META_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#ifndef GST_LIVESTREAM_API
#define GST_LIVESTREAM_API extern __attribute__ ((visibility ("default")))
#endif

/**
 * GstChunkType:
 * @GST_CHUNK_TYPE_UNKNOWN: not specified
 * @GST_CHUNK_TYPE_VIDEO_I: a video keyframe (I/IDR picture)
 * @GST_CHUNK_TYPE_VIDEO_P: a video predicted (reference) frame
 * @GST_CHUNK_TYPE_VIDEO_B: a video bidirectional / non-reference frame
 * @GST_CHUNK_TYPE_AUDIO: audio
 * @GST_CHUNK_TYPE_METADATA: metadata, subtitles, codec headers
 * @GST_CHUNK_TYPE_THUMBNAIL: a thumbnail / preview picture
 *
 * What a media chunk carries.
 */
typedef enum {
  GST_CHUNK_TYPE_UNKNOWN = 0,
  GST_CHUNK_TYPE_VIDEO_I,
  GST_CHUNK_TYPE_VIDEO_P,
  GST_CHUNK_TYPE_VIDEO_B,
  GST_CHUNK_TYPE_AUDIO,
  GST_CHUNK_TYPE_METADATA,
  GST_CHUNK_TYPE_THUMBNAIL,
} GstChunkType;

/**
 * GstChunkPriority:
 * @GST_CHUNK_PRIORITY_HIGH: must not be dropped (keyframes, audio, headers)
 * @GST_CHUNK_PRIORITY_NORMAL: droppable, but later chunks depend on it
 * @GST_CHUNK_PRIORITY_LOW: droppable, nothing depends on it
 *
 * How important a chunk is when a queue has to shed load.
 */
typedef enum {
  GST_CHUNK_PRIORITY_HIGH = 0,
  GST_CHUNK_PRIORITY_NORMAL = 1,
  GST_CHUNK_PRIORITY_LOW = 2,
} GstChunkPriority;

/**
 * GstChunkMetaFlags:
 * @GST_CHUNK_META_FLAG_NONE: no flag
 * @GST_CHUNK_META_FLAG_HAS_CHECKSUM: the @checksum field is valid
 * @GST_CHUNK_META_FLAG_FINAL: the last chunk of its stream
 */
typedef enum {
  GST_CHUNK_META_FLAG_NONE = 0,
  GST_CHUNK_META_FLAG_HAS_CHECKSUM = (1 << 0),
  GST_CHUNK_META_FLAG_FINAL = (1 << 1),
} GstChunkMetaFlags;

typedef struct _GstChunkMeta GstChunkMeta;

/**
 * GstChunkMeta:
 * @meta: parent #GstMeta
 * @stream_id: which stream the chunk belongs to (application defined)
 * @seqnum: 64-bit sequence number, increasing by one per chunk of a stream
 * @type: a #GstChunkType
 * @priority: a #GstChunkPriority
 * @flags: #GstChunkMetaFlags
 * @checksum: CRC-32 (IEEE 802.3, as zlib's crc32()) of all the buffer's
 *     memory, valid when %GST_CHUNK_META_FLAG_HAS_CHECKSUM is set
 *
 * Describes one media chunk. Applications attach it (for example on
 * appsrc buffers) with gst_buffer_add_chunk_meta(); chunkreorder orders by
 * @seqnum and verifies @checksum, prioqueue sheds by @priority.
 */
struct _GstChunkMeta {
  GstMeta meta;

  guint32 stream_id;
  guint64 seqnum;
  GstChunkType type;
  GstChunkPriority priority;
  GstChunkMetaFlags flags;
  guint32 checksum;
};

GST_LIVESTREAM_API GType gst_chunk_meta_api_get_type (void);
#define GST_CHUNK_META_API_TYPE (gst_chunk_meta_api_get_type())

GST_LIVESTREAM_API const GstMetaInfo * gst_chunk_meta_get_info (void);
#define GST_CHUNK_META_INFO (gst_chunk_meta_get_info())

GST_LIVESTREAM_API
GstChunkMeta * gst_buffer_get_chunk_meta (GstBuffer * buffer);

GST_LIVESTREAM_API
GstChunkMeta * gst_buffer_add_chunk_meta (GstBuffer * buffer,
    guint32 stream_id, guint64 seqnum, GstChunkType type,
    GstChunkPriority priority);

GST_LIVESTREAM_API
guint32 gst_chunk_meta_compute_checksum (GstBuffer * buffer);

GST_LIVESTREAM_API
void gst_chunk_meta_set_checksum (GstChunkMeta * meta, GstBuffer * buffer);

GST_LIVESTREAM_API
gboolean gst_chunk_meta_verify_checksum (const GstChunkMeta * meta,
    GstBuffer * buffer);

GST_LIVESTREAM_API
const gchar * gst_chunk_type_get_name (GstChunkType type);

GST_LIVESTREAM_API
const gchar * gst_chunk_priority_get_name (GstChunkPriority priority);

G_END_DECLS

#endif /* __GST_CHUNK_META_H__ */
