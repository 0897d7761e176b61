/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: gopbuffer's NAL inspection (gopnalinspect.c) on arbitrary
 * H.264/H.265 access units, byte-stream or length-prefixed with any
 * avcC/hvcC, keyframe or not, with caps changes between buffers. Checked
 * besides memory safety: only the four documented GOP_FLAG_* bits come
 * back; OPEN and the LEADING_* labels never come without their premise
 * (OPEN only on a keyframe, SKIP and KEEP never together). Built when
 * gopbuffer's sources are in the tree (tests/fuzz/meson.build). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "fuzz.h"
#include "gopnalinspect.h"
#include "gopstore.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  gst_init (NULL, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static GstBuffer *
buffer_from (const guint8 * p, size_t len)
{
  return len > 0 ? gst_buffer_new_memdup (p, len) : gst_buffer_new ();
}

static GstCaps *
make_caps (FuzzReader * r, guint8 op)
{
  static const gchar *const formats[] = { "byte-stream", "avc", "avc3",
    "byte-stream", "hvc1", "hev1"
  };
  guint k = (op >> 1) % 6;
  const gchar *media = k < 3 ? "video/x-h264" : "video/x-h265";
  GstCaps *caps;

  if (op & 0x01)
    return gst_caps_from_string ("video/x-vp8");
  caps = gst_caps_new_simple (media, "stream-format", G_TYPE_STRING,
      formats[k], "alignment", G_TYPE_STRING, "au", NULL);
  if (!g_str_equal (formats[k], "byte-stream") || (op & 0x10)) {
    size_t len;
    const guint8 *cd = fuzz_bytes (r, fuzz_u8 (r), &len);
    GstBuffer *cdbuf = buffer_from (cd, len);

    gst_caps_set_simple (caps, "codec_data", GST_TYPE_BUFFER, cdbuf, NULL);
    gst_buffer_unref (cdbuf);
  }
  return caps;
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const guint known = GOP_FLAG_KEYFRAME | GOP_FLAG_OPEN |
      GOP_FLAG_LEADING_SKIP | GOP_FLAG_LEADING_KEEP;
  GopNalInspector insp;
  FuzzReader r;
  guint n = 0;

  fuzz_reader_init (&r, data, size);
  gop_nal_inspector_init (&insp);
  while (!fuzz_reader_done (&r) && n++ < 256) {
    guint8 op = fuzz_u8 (&r);

    if ((op & 0xc0) == 0xc0) {
      GstCaps *caps = make_caps (&r, op);

      gop_nal_inspector_set_caps (&insp, caps);
      gst_caps_unref (caps);
    } else {
      size_t len;
      const guint8 *p = fuzz_bytes (&r, fuzz_u16 (&r) % 4096, &len);
      GstBuffer *buf = buffer_from (p, len);
      gboolean key = (op & 1) != 0;
      guint flags = gop_nal_inspect (&insp, buf, key);

      FUZZ_CHECK ((flags & ~known) == 0, "unknown flags 0x%x", flags);
      FUZZ_CHECK (!(flags & GOP_FLAG_OPEN) || (flags & GOP_FLAG_KEYFRAME),
          "OPEN without KEYFRAME: 0x%x", flags);
      FUZZ_CHECK ((flags & (GOP_FLAG_LEADING_SKIP | GOP_FLAG_LEADING_KEEP)) !=
          (GOP_FLAG_LEADING_SKIP | GOP_FLAG_LEADING_KEEP),
          "leading picture both skipped and kept: 0x%x", flags);
      gst_buffer_unref (buf);
    }
  }
  gop_nal_inspector_clear (&insp);
  return 0;
}
