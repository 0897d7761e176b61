/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's CMAF writer: the boxes are parsed back. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>

#include "cmafwriter.h"

static const guint8 avcc[] = {
  0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f,
  0x01, 0x00, 0x02, 0x68, 0xee
};

static const guint8 asc[] = { 0x11, 0x90 };     /* AAC LC 48 kHz stereo */

static guint32
rd32 (const guint8 * p)
{
  return GST_READ_UINT32_BE (p);
}

/* Walks a box list and checks that the sizes tile it exactly */
static guint
check_tiling (const guint8 * data, gsize size)
{
  gsize pos = 0;
  guint n = 0;

  while (pos < size) {
    guint32 bs = rd32 (data + pos);
    fail_unless (bs >= 8, "box at %" G_GSIZE_FORMAT " too small", pos);
    fail_unless (pos + bs <= size, "box at %" G_GSIZE_FORMAT " overflows", pos);
    pos += bs;
    n++;
  }
  fail_unless_equals_uint64 (pos, size);
  return n;
}

/* Finds a box by path "moov/trak/mdia" from a list of boxes; @skip is
 * the number of bytes after the header of each container before children
 * (0 for plain containers). */
static const guint8 *
find_path (const guint8 * data, gsize size, const gchar * path, gsize * bsize)
{
  gchar **parts = g_strsplit (path, "/", -1);
  const guint8 *cur = data;
  gsize cur_size = size, bs = 0;
  guint i;

  for (i = 0; parts[i]; i++) {
    const guint8 *b = cmaf_find_box (cur, cur_size, parts[i], &bs);
    if (b == NULL) {
      g_strfreev (parts);
      return NULL;
    }
    if (parts[i + 1]) {
      gsize hdr = 8;
      if (g_str_equal (parts[i], "stsd"))
        hdr = 16;
      else if (g_str_equal (parts[i], "avc1") || g_str_equal (parts[i], "hvc1"))
        hdr = 8 + 78;
      else if (g_str_equal (parts[i], "mp4a"))
        hdr = 8 + 28;
      else if (g_str_equal (parts[i], "dref"))
        hdr = 16;
      cur = b + hdr;
      cur_size = bs - hdr;
    } else {
      cur = b;
    }
  }
  g_strfreev (parts);
  if (bsize)
    *bsize = bs;
  return cur;
}

GST_START_TEST (test_init_video)
{
  CmafTrackConfig cfg = { 0, };
  GByteArray *b = g_byte_array_new ();
  const guint8 *box;
  gsize bs;

  cfg.type = CMAF_TRACK_VIDEO;
  cfg.codec = CMAF_CODEC_H264;
  cfg.track_id = 1;
  cfg.timescale = 90000;
  cfg.codec_data = avcc;
  cfg.codec_data_size = sizeof (avcc);
  cfg.width = 1280;
  cfg.height = 720;
  cfg.par_n = 1;
  cfg.par_d = 1;

  fail_unless (cmaf_write_init_segment (b, &cfg));
  fail_unless_equals_int (check_tiling (b->data, b->len), 2);
  fail_unless (memcmp (b->data + 4, "ftyp", 4) == 0);
  fail_unless (memcmp (b->data + 8, "iso6", 4) == 0);

  box = find_path (b->data, b->len, "moov/mvhd", &bs);
  fail_unless (box != NULL);
  fail_unless_equals_int (bs, 108);

  box = find_path (b->data, b->len, "moov/trak/tkhd", &bs);
  fail_unless (box != NULL);
  fail_unless_equals_int (bs, 92);
  fail_unless_equals_int (rd32 (box + 8 + 4 + 8), 1);   /* track_ID */
  fail_unless_equals_int (rd32 (box + bs - 8) >> 16, 1280);
  fail_unless_equals_int (rd32 (box + bs - 4) >> 16, 720);

  box = find_path (b->data, b->len, "moov/trak/mdia/mdhd", &bs);
  fail_unless (box != NULL);
  fail_unless_equals_int (rd32 (box + 8 + 4 + 8), 90000);

  box = find_path (b->data, b->len, "moov/trak/mdia/hdlr", &bs);
  fail_unless (box != NULL);
  fail_unless (memcmp (box + 16, "vide", 4) == 0);

  fail_unless (find_path (b->data, b->len, "moov/trak/mdia/minf/vmhd",
          NULL) != NULL);
  fail_unless (find_path (b->data, b->len,
          "moov/trak/mdia/minf/dinf/dref/url ", NULL) != NULL);
  box = find_path (b->data, b->len,
      "moov/trak/mdia/minf/stbl/stsd/avc1/avcC", &bs);
  fail_unless (box != NULL);
  fail_unless_equals_int (bs, 8 + sizeof (avcc));
  fail_unless (memcmp (box + 8, avcc, sizeof (avcc)) == 0);
  box = find_path (b->data, b->len, "moov/trak/mdia/minf/stbl/stsd/avc1", &bs);
  fail_unless_equals_int (GST_READ_UINT16_BE (box + 8 + 24), 1280);
  fail_unless_equals_int (GST_READ_UINT16_BE (box + 8 + 26), 720);
  /* no pasp for square pixels */
  fail_unless (find_path (b->data, b->len,
          "moov/trak/mdia/minf/stbl/stsd/avc1/pasp", NULL) == NULL);
  fail_unless (find_path (b->data, b->len, "moov/trak/mdia/minf/stbl/stts",
          NULL) != NULL);
  fail_unless (find_path (b->data, b->len, "moov/trak/mdia/minf/stbl/stco",
          NULL) != NULL);

  box = find_path (b->data, b->len, "moov/mvex/trex", &bs);
  fail_unless (box != NULL);
  fail_unless_equals_int (bs, 32);
  fail_unless_equals_int (rd32 (box + 12), 1);

  g_byte_array_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_init_audio)
{
  CmafTrackConfig cfg = { 0, };
  GByteArray *b = g_byte_array_new ();
  const guint8 *box;
  gsize bs;

  cfg.type = CMAF_TRACK_AUDIO;
  cfg.codec = CMAF_CODEC_AAC;
  cfg.track_id = 1;
  cfg.timescale = 48000;
  cfg.codec_data = asc;
  cfg.codec_data_size = sizeof (asc);
  cfg.channels = 2;
  cfg.sample_rate = 48000;

  fail_unless (cmaf_write_init_segment (b, &cfg));
  fail_unless_equals_int (check_tiling (b->data, b->len), 2);
  fail_unless (find_path (b->data, b->len, "moov/trak/mdia/minf/smhd",
          NULL) != NULL);
  box = find_path (b->data, b->len, "moov/trak/mdia/hdlr", &bs);
  fail_unless (memcmp (box + 16, "soun", 4) == 0);
  box = find_path (b->data, b->len, "moov/trak/mdia/minf/stbl/stsd/mp4a", &bs);
  fail_unless (box != NULL);
  fail_unless_equals_int (GST_READ_UINT16_BE (box + 8 + 16), 2);
  fail_unless_equals_int (rd32 (box + 8 + 24) >> 16, 48000);
  box = find_path (b->data, b->len,
      "moov/trak/mdia/minf/stbl/stsd/mp4a/esds", &bs);
  fail_unless (box != NULL);
  /* ES_Descriptor > DecoderConfigDescriptor(0x40 audio) > DSI == ASC */
  fail_unless_equals_int (box[12], 0x03);
  fail_unless_equals_int (box[12 + 5], 0x04);
  fail_unless_equals_int (box[12 + 7], 0x40);
  fail_unless_equals_int (box[12 + 20], 0x05);
  fail_unless_equals_int (box[12 + 21], 2);
  fail_unless (memcmp (box + 12 + 22, asc, 2) == 0);
  fail_unless_equals_int (box[12 + 24], 0x06);
  fail_unless_equals_int (bs, 12 + 27);

  g_byte_array_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_init_rejects_bad_config)
{
  CmafTrackConfig cfg = { 0, };
  GByteArray *b = g_byte_array_new ();

  cfg.type = CMAF_TRACK_VIDEO;
  cfg.codec = CMAF_CODEC_H264;
  cfg.track_id = 1;
  cfg.timescale = 90000;
  cfg.width = 640;
  cfg.height = 360;
  fail_if (cmaf_write_init_segment (b, &cfg));  /* no codec data */
  cfg.codec_data = avcc;
  cfg.codec_data_size = sizeof (avcc);
  cfg.timescale = 0;
  fail_if (cmaf_write_init_segment (b, &cfg));
  cfg.timescale = 90000;
  cfg.width = 0;
  fail_if (cmaf_write_init_segment (b, &cfg));
  fail_unless_equals_int (b->len, 0);

  cfg.type = CMAF_TRACK_AUDIO;
  cfg.codec = CMAF_CODEC_OPUS;
  cfg.channels = 2;
  cfg.sample_rate = 48000;
  fail_if (cmaf_write_init_segment (b, &cfg));  /* avcC is no OpusHead */
  fail_unless_equals_int (b->len, 0);
  g_byte_array_unref (b);
}

GST_END_TEST;

typedef struct
{
  guint32 seq;
  guint64 tfdt;
  guint n;
  guint32 durations[64];
  guint32 sizes[64];
  guint32 flags[64];
  gint32 cts[64];
  guint32 data_offset;
  guint64 mdat_payload;
} ParsedChunk;

/* Parses moof+mdat at @data; returns the number of bytes consumed */
static gsize
parse_chunk (const guint8 * data, gsize size, ParsedChunk * c)
{
  gsize moof_size, traf_size, bs, mdat_size;
  const guint8 *moof = cmaf_find_box (data, size, "moof", &moof_size);
  const guint8 *traf, *b, *mdat;
  guint32 tfhd_flags, trun_flags, default_flags = 0;
  guint i, pos;

  fail_unless (moof == data, "chunk does not start with moof");
  b = cmaf_find_box (moof + 8, moof_size - 8, "mfhd", &bs);
  fail_unless (b != NULL);
  c->seq = rd32 (b + 12);
  traf = cmaf_find_box (moof + 8, moof_size - 8, "traf", &traf_size);
  fail_unless (traf != NULL);
  b = cmaf_find_box (traf + 8, traf_size - 8, "tfhd", &bs);
  fail_unless (b != NULL);
  tfhd_flags = rd32 (b + 8) & 0xffffff;
  fail_unless (tfhd_flags & 0x020000, "default-base-is-moof expected");
  if (tfhd_flags & 0x20)
    default_flags = rd32 (b + 16);
  b = cmaf_find_box (traf + 8, traf_size - 8, "tfdt", &bs);
  fail_unless (b != NULL);
  fail_unless_equals_int (b[8], 1);
  c->tfdt = ((guint64) rd32 (b + 12) << 32) | rd32 (b + 16);
  b = cmaf_find_box (traf + 8, traf_size - 8, "trun", &bs);
  fail_unless (b != NULL);
  trun_flags = rd32 (b + 8) & 0xffffff;
  c->n = rd32 (b + 12);
  fail_unless (c->n <= 64);
  pos = 16;
  fail_unless (trun_flags & 1);
  c->data_offset = rd32 (b + pos);
  pos += 4;
  for (i = 0; i < c->n; i++) {
    c->durations[i] = (trun_flags & 0x100) ? rd32 (b + pos) : 0;
    pos += (trun_flags & 0x100) ? 4 : 0;
    c->sizes[i] = rd32 (b + pos);
    pos += 4;
    if (trun_flags & 0x400) {
      c->flags[i] = rd32 (b + pos);
      pos += 4;
    } else {
      c->flags[i] = default_flags;
    }
    if (trun_flags & 0x800) {
      c->cts[i] = (gint32) rd32 (b + pos);
      pos += 4;
    } else {
      c->cts[i] = 0;
    }
  }
  fail_unless_equals_int (pos, bs);
  mdat = data + moof_size;
  mdat_size = rd32 (mdat);
  fail_unless (memcmp (mdat + 4, "mdat", 4) == 0);
  fail_unless_equals_int (c->data_offset, moof_size + 8);
  c->mdat_payload = mdat_size - 8;
  return moof_size + mdat_size;
}

GST_START_TEST (test_segment_chunks)
{
  GByteArray *b = g_byte_array_new ();
  CmafSample s[30];
  guint8 payload[30 * 100];
  guint i, chunk;
  gsize pos;
  guint64 tfdt = 123456789, expect_tfdt = tfdt;
  guint total = 0;

  for (i = 0; i < G_N_ELEMENTS (s); i++) {
    s[i].duration = 3000 + (i % 3);     /* 29.97-ish jitter */
    s[i].size = 10 + i;
    s[i].flags = i == 0 ? CMAF_SAMPLE_FLAGS_SYNC : CMAF_SAMPLE_FLAGS_NON_SYNC;
    s[i].cts_offset = (i % 3 == 1) ? 6000 : (i % 3 == 2 ? -3000 : 0);
  }
  memset (payload, 0xab, sizeof (payload));

  /* a segment of three chunks of ten samples */
  cmaf_write_styp (b);
  for (chunk = 0; chunk < 3; chunk++) {
    guint64 d = 0;
    cmaf_write_chunk (b, chunk + 1, 1, tfdt, &s[chunk * 10], 10, payload);
    for (i = 0; i < 10; i++)
      d += s[chunk * 10 + i].duration;
    tfdt += d;
  }
  fail_unless_equals_int (check_tiling (b->data, b->len), 1 + 3 * 2);
  fail_unless (memcmp (b->data + 4, "styp", 4) == 0);

  pos = rd32 (b->data);
  for (chunk = 0; chunk < 3; chunk++) {
    ParsedChunk c;
    guint64 sum = 0, sizes = 0;
    pos += parse_chunk (b->data + pos, b->len - pos, &c);
    fail_unless_equals_int (c.seq, chunk + 1);
    fail_unless_equals_uint64 (c.tfdt, expect_tfdt);
    fail_unless_equals_int (c.n, 10);
    for (i = 0; i < c.n; i++) {
      const CmafSample *o = &s[chunk * 10 + i];
      fail_unless_equals_int (c.durations[i], o->duration);
      fail_unless_equals_int (c.sizes[i], o->size);
      fail_unless_equals_int (c.flags[i], o->flags);
      fail_unless_equals_int (c.cts[i], o->cts_offset);
      sum += c.durations[i];
      sizes += c.sizes[i];
    }
    fail_unless_equals_uint64 (c.mdat_payload, sizes);
    /* tfdt continuity: the next chunk starts where this one ends */
    expect_tfdt += sum;
    total += c.n;
  }
  fail_unless_equals_int (pos, b->len);
  fail_unless_equals_int (total, 30);
  g_byte_array_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_audio_chunk_default_flags)
{
  GByteArray *b = g_byte_array_new ();
  CmafSample s[4];
  guint8 payload[4 * 7] = { 0, };
  ParsedChunk c;
  guint i;

  for (i = 0; i < 4; i++) {
    s[i].duration = 1024;
    s[i].size = 7;
    s[i].flags = CMAF_SAMPLE_FLAGS_SYNC;
    s[i].cts_offset = 0;
  }
  cmaf_write_chunk (b, 9, 1, 0, s, 4, payload);
  /* same flags for all: one tfhd default, no per-sample flags or cts */
  fail_unless_equals_int (parse_chunk (b->data, b->len, &c), b->len);
  fail_unless_equals_int (c.n, 4);
  for (i = 0; i < 4; i++) {
    fail_unless_equals_int (c.flags[i], CMAF_SAMPLE_FLAGS_SYNC);
    fail_unless_equals_int (c.durations[i], 1024);
  }
  /* moof(8) mfhd(16) traf(8) tfhd(20) tfdt(20) trun(20 + 4 * 8) */
  fail_unless_equals_int (rd32 (b->data), 8 + 16 + 8 + 20 + 20 + 20 + 32);
  g_byte_array_unref (b);
}

GST_END_TEST;

/* prft: version 1, flags, track, NTP time, media time */
GST_START_TEST (test_prft)
{
  GByteArray *b = g_byte_array_new ();
  const guint8 *d;
  guint64 ntp;

  cmaf_write_prft (b, 1, G_GINT64_CONSTANT (1700000000250000), 123456,
      CMAF_PRFT_ENCODER_OUTPUT);
  fail_unless_equals_int (b->len, 32);
  d = b->data;
  fail_unless_equals_int (GST_READ_UINT32_BE (d), 32);
  fail_unless (memcmp (d + 4, "prft", 4) == 0);
  fail_unless_equals_int (d[8], 1);     /* version */
  fail_unless_equals_int (GST_READ_UINT24_BE (d + 9), 1);       /* flags */
  fail_unless_equals_int (GST_READ_UINT32_BE (d + 12), 1);
  ntp = GST_READ_UINT64_BE (d + 16);
  fail_unless_equals_uint64 (ntp >> 32, 1700000000 + 2208988800u);
  /* 0.25 s as a 32-bit fraction */
  fail_unless_equals_uint64 (ntp & 0xffffffff, 0x40000000);
  fail_unless_equals_uint64 (GST_READ_UINT64_BE (d + 24), 123456);
  g_byte_array_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_find_box_bounds)
{
  guint8 bad[16] = { 0, 0, 0, 40, 'f', 'r', 'e', 'e', };
  fail_unless (cmaf_find_box (bad, sizeof (bad), "free", NULL) == NULL);
  bad[3] = 4;                   /* smaller than a header */
  fail_unless (cmaf_find_box (bad, sizeof (bad), "free", NULL) == NULL);
  bad[3] = 16;
  fail_unless (cmaf_find_box (bad, sizeof (bad), "free", NULL) == bad);
}

GST_END_TEST;

static Suite *
cmafwriter_suite (void)
{
  Suite *s = suite_create ("cmafwriter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_init_video);
  tcase_add_test (tc, test_init_audio);
  tcase_add_test (tc, test_init_rejects_bad_config);
  tcase_add_test (tc, test_segment_chunks);
  tcase_add_test (tc, test_audio_chunk_default_flags);
  tcase_add_test (tc, test_find_box_bounds);
  tcase_add_test (tc, test_prft);
  return s;
}

GST_CHECK_MAIN (cmafwriter);
