/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: prioqueue's NAL classification (gstprioclassify.c) on
 * arbitrary H.264/H.265 byte-stream and length-prefixed buffers, arbitrary
 * codec_data (avcC / hvcC: the NAL length size comes from it), buffer flags
 * and chunk meta, with caps changes and resets between buffers. Checked
 * besides memory safety:
 *  - the class is HIGH, NORMAL or LOW; the rule is one of the five;
 *    the flags are only DELTA / KEYFRAME, never both
 *  - a buffer with GstChunkMeta is classified by it (rule META) with its
 *    priority when that is a valid one
 *  - with non-video caps and no meta: HIGH by rule NON_VIDEO
 *  - a keyframe is HIGH whatever rule found it */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "fuzz.h"
#include "gstprioclassify.h"
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
buffer_from (const guint8 * p, size_t len)
{
  return len > 0 ? gst_buffer_new_memdup (p, len) : gst_buffer_new ();
}

/* caps for @mode; *video says whether they are video caps */
static GstCaps *
make_caps (FuzzReader * r, guint mode, gboolean * video)
{
  size_t len;
  const guint8 *cd;
  GstBuffer *cdbuf;
  GstCaps *caps;

  *video = TRUE;
  switch (mode % 8) {
    case 0:
      return gst_caps_from_string ("video/x-h264, stream-format=byte-stream, "
          "alignment=au");
    case 1:
    case 2:
      cd = fuzz_bytes (r, fuzz_u8 (r), &len);
      cdbuf = buffer_from (cd, len);
      caps = gst_caps_new_simple ("video/x-h264", "stream-format",
          G_TYPE_STRING, mode % 8 == 1 ? "avc" : "avc3", "alignment",
          G_TYPE_STRING, "au", "codec_data", GST_TYPE_BUFFER, cdbuf, NULL);
      gst_buffer_unref (cdbuf);
      return caps;
    case 3:
      return gst_caps_from_string ("video/x-h265, stream-format=byte-stream, "
          "alignment=au");
    case 4:
      cd = fuzz_bytes (r, fuzz_u8 (r), &len);
      cdbuf = buffer_from (cd, len);
      caps = gst_caps_new_simple ("video/x-h265", "stream-format",
          G_TYPE_STRING, (mode & 8) ? "hev1" : "hvc1", "alignment",
          G_TYPE_STRING, "au", "codec_data", GST_TYPE_BUFFER, cdbuf, NULL);
      gst_buffer_unref (cdbuf);
      return caps;
    case 5:
      *video = FALSE;
      return gst_caps_from_string ("audio/mpeg, mpegversion=4");
    case 6:
      *video = FALSE;           /* unknown: judged by flags */
      return gst_caps_new_any ();
    default:
      *video = FALSE;
      return NULL;
  }
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzReader r;
  GstPrioClassifier *c = gst_prio_classifier_new ();
  gboolean video = FALSE, non_video_caps = FALSE;
  guint n = 0;

  fuzz_reader_init (&r, data, size);
  while (!fuzz_reader_done (&r) && n++ < 256) {
    guint8 op = fuzz_u8 (&r);

    if ((op & 0xc0) == 0xc0) {
      /* new caps (or a reset) between buffers */
      GstCaps *caps = make_caps (&r, op, &video);

      non_video_caps = caps && !gst_caps_is_any (caps) && !video;
      if (op & 0x20)
        gst_prio_classifier_reset (c);
      gst_prio_classifier_set_caps (c, caps);
      if (caps)
        gst_caps_unref (caps);
    } else {
      size_t len;
      const guint8 *p = fuzz_bytes (&r, fuzz_u16 (&r) % 4096, &len);
      GstBuffer *buf = buffer_from (p, len);
      GstChunkMeta *meta = NULL;
      GstPrioRule rule = 99;
      guint flags = 0xdead;
      ShedClass cls;

      if (op & 0x01)
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
      if (op & 0x02)
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER);
      if (op & 0x04)
        GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DROPPABLE);
      if (op & 0x08) {
        guint8 m = fuzz_u8 (&r);

        meta = gst_buffer_add_chunk_meta (buf, 0, n, m & 0x0f, m >> 4);
      }

      cls = gst_prio_classifier_classify (c, buf, &flags, &rule);
      FUZZ_CHECK (cls <= SHED_CLASS_LOW, "class %d", cls);
      FUZZ_CHECK (rule <= GST_PRIO_RULE_FLAGS, "rule %d", rule);
      FUZZ_CHECK ((flags & ~(SHED_FLAG_DELTA | SHED_FLAG_KEYFRAME)) == 0,
          "flags 0x%x", flags);
      FUZZ_CHECK (flags != (SHED_FLAG_DELTA | SHED_FLAG_KEYFRAME),
          "delta and keyframe at once");
      if (meta) {
        FUZZ_CHECK (rule == GST_PRIO_RULE_META, "meta present, rule %d", rule);
        if (meta->priority <= GST_CHUNK_PRIORITY_LOW)
          FUZZ_CHECK ((guint) cls == (guint) meta->priority,
              "meta priority %d, class %d", meta->priority, cls);
      } else if (non_video_caps) {
        FUZZ_CHECK (rule == GST_PRIO_RULE_NON_VIDEO && cls == SHED_CLASS_HIGH,
            "non-video caps: rule %d class %d", rule, cls);
      }
      if (flags & SHED_FLAG_KEYFRAME)
        FUZZ_CHECK (cls == SHED_CLASS_HIGH || rule == GST_PRIO_RULE_META,
            "keyframe classified %d by rule %d", cls, rule);
      FUZZ_CHECK (gst_prio_classifier_is_video (c) ||
          !(rule == GST_PRIO_RULE_NAL), "NAL rule on a non-video stream");
      gst_buffer_unref (buf);
    }
  }
  gst_prio_classifier_free (c);
  return 0;
}
