/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: GstChunkMeta and its CRC-32 checksum on arbitrary chunks.
 *
 * The input is split into a buffer of up to 16 memories (zero-byte ones
 * included) and meta fields that may hold any value (an application or a
 * payloader fills them from the network). Checked:
 *  - the checksum equals zlib's crc32 of the concatenated payload, however
 *    the payload is split into memories
 *  - a freshly set checksum verifies; after changing one byte (or any span
 *    of up to 4 bytes: CRC-32 detects every burst of up to 32 bits) it
 *    does not; a meta without the checksum flag always verifies
 *  - a full copy keeps the meta and its checksum, a region copy drops it
 *  - the name helpers accept any enum value */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <zlib.h>

#include "fuzz.h"
#include "gstchunkmeta.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  /* a g_return_if_fail() hit in our code is a finding too */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static GstBuffer *
build_buffer (FuzzReader * r, GByteArray * flat)
{
  GstBuffer *buf = gst_buffer_new ();
  guint n_mem = fuzz_u8 (r) % 17, i;

  for (i = 0; i < n_mem; i++) {
    size_t len;
    const guint8 *p = fuzz_bytes (r, fuzz_u8 (r), &len);
    GstMemory *mem = gst_allocator_alloc (NULL, len, NULL);

    GstMapInfo map;

    if (len > 0 && gst_memory_map (mem, &map, GST_MAP_WRITE)) {
      memcpy (map.data, p, len);
      gst_memory_unmap (mem, &map);
    }
    gst_buffer_append_memory (buf, mem);
    g_byte_array_append (flat, p, len);
  }
  return buf;
}

static void
check_one_buffer (FuzzReader * r)
{
  GByteArray *flat = g_byte_array_new ();
  GstBuffer *buf, *copy;
  GstChunkMeta *meta, *cmeta;
  guint32 stream_id, expect;
  guint64 seqnum;
  gint type, prio;
  gsize total;

  stream_id = fuzz_u32 (r);
  seqnum = fuzz_u64 (r);
  type = (gint8) fuzz_u8 (r);
  prio = (gint8) fuzz_u8 (r);
  buf = build_buffer (r, flat);
  total = gst_buffer_get_size (buf);
  FUZZ_CHECK (total == flat->len, "size %" G_GSIZE_FORMAT " != %u", total,
      flat->len);

  meta = gst_buffer_add_chunk_meta (buf, stream_id, seqnum, type, prio);
  FUZZ_CHECK (meta != NULL, "no meta");
  FUZZ_CHECK (gst_buffer_get_chunk_meta (buf) == meta, "meta not found");
  FUZZ_CHECK (meta->seqnum == seqnum && meta->stream_id == stream_id,
      "fields not stored");
  FUZZ_CHECK (gst_chunk_meta_verify_checksum (meta, buf),
      "no checksum flag must verify");
  FUZZ_CHECK (gst_chunk_type_get_name (type) != NULL, "type name");
  FUZZ_CHECK (gst_chunk_priority_get_name (prio) != NULL, "priority name");

  expect = crc32 (crc32 (0L, Z_NULL, 0), flat->data, flat->len);
  FUZZ_CHECK (gst_chunk_meta_compute_checksum (buf) == expect,
      "checksum %08x, zlib %08x", gst_chunk_meta_compute_checksum (buf),
      expect);
  gst_chunk_meta_set_checksum (meta, buf);
  FUZZ_CHECK (meta->flags & GST_CHUNK_META_FLAG_HAS_CHECKSUM, "flag not set");
  FUZZ_CHECK (meta->checksum == expect, "stored checksum wrong");
  FUZZ_CHECK (gst_chunk_meta_verify_checksum (meta, buf), "fresh checksum");

  /* a full copy carries the meta; a deep copy may merge memories */
  copy = gst_buffer_copy_deep (buf);
  cmeta = gst_buffer_get_chunk_meta (copy);
  FUZZ_CHECK (cmeta != NULL, "copy lost the meta");
  FUZZ_CHECK (cmeta->checksum == meta->checksum && cmeta->seqnum == seqnum
      && cmeta->flags == meta->flags, "copy changed the meta");
  FUZZ_CHECK (gst_chunk_meta_verify_checksum (cmeta, copy), "copy verifies");
  gst_buffer_unref (copy);

  if (total > 0) {
    guint offset = fuzz_u16 (r) % total;
    guint span = 1 + fuzz_u8 (r) % MIN (4, total - offset);
    guint8 change = fuzz_u8 (r) | 1;    /* never 0: the bytes do change */
    guint i;

    /* a region copy cannot keep a whole-buffer checksum */
    copy = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, offset,
        total - offset);
    FUZZ_CHECK (offset == 0 || gst_buffer_get_chunk_meta (copy) == NULL,
        "region copy kept the meta");
    gst_buffer_unref (copy);

    buf = gst_buffer_make_writable (buf);
    meta = gst_buffer_get_chunk_meta (buf);
    for (i = 0; i < span; i++) {
      guint8 b;

      gst_buffer_extract (buf, offset + i, &b, 1);
      b ^= (i == 0) ? change : (guint8) fuzz_u8 (r);
      gst_buffer_fill (buf, offset + i, &b, 1);
    }
    FUZZ_CHECK (!gst_chunk_meta_verify_checksum (meta, buf),
        "%u-byte change at %u of %" G_GSIZE_FORMAT " not detected", span,
        offset, total);
    meta->flags &= ~GST_CHUNK_META_FLAG_HAS_CHECKSUM;
    FUZZ_CHECK (gst_chunk_meta_verify_checksum (meta, buf),
        "flag cleared must verify");
  }

  gst_buffer_unref (buf);
  g_byte_array_unref (flat);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzReader r;
  guint n = 0;

  fuzz_reader_init (&r, data, size);
  do {
    check_one_buffer (&r);
  } while (!fuzz_reader_done (&r) && ++n < 64);

  return 0;
}
