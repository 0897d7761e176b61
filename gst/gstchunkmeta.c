/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:gstchunkmeta
 * @title: GstChunkMeta
 * @short_description: describes a media chunk: stream, sequence, type,
 *     priority, checksum
 *
 * Applications that produce chunks themselves (appsrc, parallel encoders,
 * network receivers) attach a #GstChunkMeta so that the elements of this
 * plug-in set can order (chunkreorder), verify (chunkreorder validate=true)
 * and prioritise (prioqueue) them. The meta survives buffer copies.
 *
 * The shared library comes with GObject-introspection data (namespace
 * `GstLivestream`, version 1.0), so that applications in Python and other
 * languages tag buffers too:
 *
 * |[<!-- language="Python" -->
 * gi.require_version('GstLivestream', '1.0')
 * from gi.repository import GstLivestream
 * meta = GstLivestream.buffer_add_chunk_meta(buf, 7, seqnum,
 *     GstLivestream.ChunkType.VIDEO_P, GstLivestream.ChunkPriority.NORMAL)
 * meta.set_checksum(buf)
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstchunkmeta.h"

#include <zlib.h>

static gboolean
gst_chunk_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstChunkMeta *cmeta = (GstChunkMeta *) meta;

  cmeta->stream_id = 0;
  cmeta->seqnum = 0;
  cmeta->type = GST_CHUNK_TYPE_UNKNOWN;
  cmeta->priority = GST_CHUNK_PRIORITY_NORMAL;
  cmeta->flags = GST_CHUNK_META_FLAG_NONE;
  cmeta->checksum = 0;

  return TRUE;
}

static gboolean
gst_chunk_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstChunkMeta *src = (GstChunkMeta *) meta;
  GstChunkMeta *dmeta;

  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;

  /* a partial copy no longer matches the checksum: drop the meta */
  if (!((GstMetaTransformCopy *) data)->region) {
    dmeta = gst_buffer_add_chunk_meta (dest, src->stream_id, src->seqnum,
        src->type, src->priority);
    if (dmeta == NULL)
      return FALSE;
    dmeta->flags = src->flags;
    dmeta->checksum = src->checksum;
  }

  return TRUE;
}

/**
 * gst_chunk_meta_api_get_type:
 *
 * Returns: the #GType of the #GstChunkMeta API, for gst_buffer_get_meta()
 */
GType
gst_chunk_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType _type = gst_meta_api_type_register ("GstChunkMetaAPI", tags);
    g_once_init_leave (&type, _type);
  }
  return type;
}

/**
 * gst_chunk_meta_get_info:
 *
 * Returns: (transfer none): the #GstMetaInfo of #GstChunkMeta
 */
const GstMetaInfo *
gst_chunk_meta_get_info (void)
{
  static const GstMetaInfo *meta_info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & meta_info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_CHUNK_META_API_TYPE,
        "GstChunkMeta", sizeof (GstChunkMeta), gst_chunk_meta_init,
        (GstMetaFreeFunction) NULL, gst_chunk_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & meta_info, (GstMetaInfo *) mi);
  }
  return meta_info;
}

/**
 * gst_buffer_add_chunk_meta:
 * @buffer: a writable #GstBuffer
 * @stream_id: stream the chunk belongs to
 * @seqnum: sequence number of the chunk within its stream
 * @type: what the chunk carries
 * @priority: how important it is
 *
 * Attaches a #GstChunkMeta. No checksum is set: call
 * gst_chunk_meta_set_checksum() once the buffer's content is final.
 *
 * Returns: (transfer none) (nullable): the meta, owned by @buffer
 */
GstChunkMeta *
gst_buffer_add_chunk_meta (GstBuffer * buffer, guint32 stream_id,
    guint64 seqnum, GstChunkType type, GstChunkPriority priority)
{
  GstChunkMeta *meta;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);

  meta = (GstChunkMeta *) gst_buffer_add_meta (buffer, GST_CHUNK_META_INFO,
      NULL);
  meta->stream_id = stream_id;
  meta->seqnum = seqnum;
  meta->type = type;
  meta->priority = priority;

  return meta;
}

/**
 * gst_buffer_get_chunk_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the #GstChunkMeta of @buffer, or
 *     %NULL when it has none
 */
GstChunkMeta *
gst_buffer_get_chunk_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  return (GstChunkMeta *) gst_buffer_get_meta (buffer, GST_CHUNK_META_API_TYPE);
}

/**
 * gst_chunk_meta_compute_checksum:
 * @buffer: a #GstBuffer
 *
 * Returns: the CRC-32 of all memory of @buffer, in order.
 */
guint32
gst_chunk_meta_compute_checksum (GstBuffer * buffer)
{
  guint i, n;
  uLong crc = crc32 (0L, Z_NULL, 0);

  g_return_val_if_fail (GST_IS_BUFFER (buffer), 0);

  n = gst_buffer_n_memory (buffer);
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);
    GstMapInfo map;

    if (!gst_memory_map (mem, &map, GST_MAP_READ))
      continue;
    crc = crc32 (crc, map.data, map.size);
    gst_memory_unmap (mem, &map);
  }

  return (guint32) crc;
}

/**
 * gst_chunk_meta_set_checksum:
 * @meta: a #GstChunkMeta
 * @buffer: the buffer @meta is attached to
 *
 * Computes the checksum of @buffer and stores it in @meta.
 */
void
gst_chunk_meta_set_checksum (GstChunkMeta * meta, GstBuffer * buffer)
{
  g_return_if_fail (meta != NULL);

  meta->checksum = gst_chunk_meta_compute_checksum (buffer);
  meta->flags |= GST_CHUNK_META_FLAG_HAS_CHECKSUM;
}

/**
 * gst_chunk_meta_verify_checksum:
 * @meta: a #GstChunkMeta
 * @buffer: the buffer @meta is attached to
 *
 * Returns: %TRUE when @meta carries no checksum or the checksum matches
 *     the content of @buffer.
 */
gboolean
gst_chunk_meta_verify_checksum (const GstChunkMeta * meta, GstBuffer * buffer)
{
  g_return_val_if_fail (meta != NULL, FALSE);

  if (!(meta->flags & GST_CHUNK_META_FLAG_HAS_CHECKSUM))
    return TRUE;

  return gst_chunk_meta_compute_checksum (buffer) == meta->checksum;
}

/**
 * gst_chunk_type_get_name:
 * @type: a #GstChunkType
 *
 * Returns: (transfer none): the name of @type, as chunkreorder and
 *     prioqueue print it
 */
const gchar *
gst_chunk_type_get_name (GstChunkType type)
{
  switch (type) {
    case GST_CHUNK_TYPE_VIDEO_I:
      return "video-i";
    case GST_CHUNK_TYPE_VIDEO_P:
      return "video-p";
    case GST_CHUNK_TYPE_VIDEO_B:
      return "video-b";
    case GST_CHUNK_TYPE_AUDIO:
      return "audio";
    case GST_CHUNK_TYPE_METADATA:
      return "metadata";
    case GST_CHUNK_TYPE_THUMBNAIL:
      return "thumbnail";
    case GST_CHUNK_TYPE_UNKNOWN:
    default:
      return "unknown";
  }
}

/**
 * gst_chunk_priority_get_name:
 * @priority: a #GstChunkPriority
 *
 * Returns: (transfer none): the name of @priority
 */
const gchar *
gst_chunk_priority_get_name (GstChunkPriority priority)
{
  switch (priority) {
    case GST_CHUNK_PRIORITY_HIGH:
      return "high";
    case GST_CHUNK_PRIORITY_NORMAL:
      return "normal";
    case GST_CHUNK_PRIORITY_LOW:
      return "low";
    default:
      return "unknown";
  }
}
