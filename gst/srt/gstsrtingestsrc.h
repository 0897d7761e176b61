/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_SRT_INGEST_SRC_H__
#define __GST_SRT_INGEST_SRC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SRT_INGEST_SRC (gst_srt_ingest_src_get_type ())
G_DECLARE_FINAL_TYPE (GstSrtIngestSrc, gst_srt_ingest_src, GST,
    SRT_INGEST_SRC, GstElement);

/**
 * GstSrtIngestSrcKeyLength:
 * @GST_SRT_INGEST_SRC_KEY_LENGTH_AUTO: the caller's choice
 * @GST_SRT_INGEST_SRC_KEY_LENGTH_16: AES-128
 * @GST_SRT_INGEST_SRC_KEY_LENGTH_24: AES-192
 * @GST_SRT_INGEST_SRC_KEY_LENGTH_32: AES-256
 *
 * Crypto key length in bytes (SRTO_PBKEYLEN).
 */
typedef enum {
  GST_SRT_INGEST_SRC_KEY_LENGTH_AUTO = 0,
  GST_SRT_INGEST_SRC_KEY_LENGTH_16 = 16,
  GST_SRT_INGEST_SRC_KEY_LENGTH_24 = 24,
  GST_SRT_INGEST_SRC_KEY_LENGTH_32 = 32,
} GstSrtIngestSrcKeyLength;

/**
 * GstSrtIngestSrcDuplicatePolicy:
 * @GST_SRT_INGEST_SRC_DUPLICATE_REFUSE: a caller whose stream id is
 *   connected already is refused
 * @GST_SRT_INGEST_SRC_DUPLICATE_REPLACE: it takes over the stream's pad;
 *   the connected caller is disconnected
 *
 * What a caller gets whose stream id is connected already.
 */
typedef enum {
  GST_SRT_INGEST_SRC_DUPLICATE_REFUSE,
  GST_SRT_INGEST_SRC_DUPLICATE_REPLACE,
} GstSrtIngestSrcDuplicatePolicy;

GST_ELEMENT_REGISTER_DECLARE (srtingestsrc);

G_END_DECLS

#endif /* __GST_SRT_INGEST_SRC_H__ */
