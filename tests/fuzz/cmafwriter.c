/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: dashlivesink's CMAF writer fed with arbitrary track
 * configurations (codec_data comes from upstream caps: avcC, hvcC,
 * AudioSpecificConfig, OpusHead), arbitrary samples and arbitrary bytes for
 * its box walker. Checked:
 *  - an init segment that cannot be written leaves the output untouched;
 *    one that is written is a tree of boxes whose sizes tile their parent
 *    exactly (ftyp, moov, and every container below), and avcC/hvcC/esds
 *    carry codec_data byte for byte
 *  - a chunk header is moof + mdat header: the returned payload size is the
 *    sum of the sample sizes, the mdat size field says header + payload
 *    (64-bit when needed), tfdt is the base decode time, trun has one entry
 *    per sample and its data offset points right after the mdat header
 *  - cmaf_find_box never returns a box outside the data it was given */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"
#include "cmafwriter.h"

static guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static guint64
rd64 (const guint8 * p)
{
  return ((guint64) rd32 (p) << 32) | rd32 (p + 4);
}

static gboolean
is_container (const guint8 * type)
{
  static const gchar *const containers[] = { "moov", "trak", "mdia", "minf",
    "stbl", "mvex", "dinf", "moof", "traf", NULL
  };
  const gchar *const *c;

  for (c = containers; *c; c++) {
    if (memcmp (type, *c, 4) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The boxes in [p, p + size) tile it exactly; recurse into containers */
static void
check_boxes (const guint8 * p, gsize size, guint depth)
{
  gsize pos = 0;

  FUZZ_CHECK (depth < 16, "boxes nested too deep");
  while (pos < size) {
    guint64 bsize;
    guint hdr = 8;

    FUZZ_CHECK (size - pos >= 8, "%" G_GSIZE_FORMAT " stray bytes at depth %u",
        size - pos, depth);
    bsize = rd32 (p + pos);
    if (bsize == 1) {
      FUZZ_CHECK (size - pos >= 16, "truncated large box");
      bsize = rd64 (p + pos + 8);
      hdr = 16;
    }
    FUZZ_CHECK (bsize >= hdr && bsize <= size - pos,
        "box %.4s of %" G_GUINT64_FORMAT " bytes in %" G_GSIZE_FORMAT,
        p + pos + 4, bsize, size - pos);
    if (is_container (p + pos + 4))
      check_boxes (p + pos + hdr, bsize - hdr, depth + 1);
    pos += bsize;
  }
}

static gboolean
contains (const guint8 * hay, gsize hay_len, const guint8 * needle,
    gsize len)
{
  gsize i;

  if (len == 0)
    return TRUE;
  for (i = 0; i + len <= hay_len; i++) {
    if (hay[i] == needle[0] && memcmp (hay + i, needle, len) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
fuzz_init_segment (FuzzReader * r, GByteArray * out)
{
  CmafTrackConfig cfg = { 0, };
  guint8 b = fuzz_u8 (r);
  gchar lang[4] = { 0, };
  size_t cd_len;
  guint prefix = out->len;
  gboolean ok;

  cfg.type = (b & 1) ? CMAF_TRACK_AUDIO : CMAF_TRACK_VIDEO;
  cfg.codec = (b >> 1) & 3;
  cfg.track_id = (b & 0x08) ? fuzz_u32 (r) : fuzz_u8 (r);
  cfg.timescale = (b & 0x10) ? fuzz_u32 (r) : 90000;
  cfg.width = fuzz_u16 (r);
  cfg.height = fuzz_u16 (r);
  cfg.par_n = fuzz_u8 (r);
  cfg.par_d = fuzz_u8 (r);
  cfg.channels = fuzz_u8 (r);
  cfg.sample_rate = fuzz_u32 (r);
  cfg.max_bitrate = fuzz_u32 (r);
  cfg.avg_bitrate = fuzz_u32 (r);
  if (b & 0x20) {
    lang[0] = fuzz_u8 (r);
    lang[1] = fuzz_u8 (r);
    lang[2] = fuzz_u8 (r);
    cfg.language = lang;
  }
  cfg.codec_data = fuzz_bytes (r, fuzz_u16 (r), &cd_len);
  cfg.codec_data_size = cd_len;
  if (b & 0x40)
    cfg.codec_data = NULL;

  ok = cmaf_write_init_segment (out, &cfg);
  if (!ok) {
    FUZZ_CHECK (out->len == prefix, "failed init segment wrote %u bytes",
        out->len - prefix);
    return;
  }
  FUZZ_CHECK (out->len > prefix, "init segment is empty");
  check_boxes (out->data + prefix, out->len - prefix, 0);
  FUZZ_CHECK (cmaf_find_box (out->data + prefix, out->len - prefix, "ftyp",
          NULL) != NULL, "no ftyp");
  FUZZ_CHECK (cmaf_find_box (out->data + prefix, out->len - prefix, "moov",
          NULL) != NULL, "no moov");
  if (cfg.codec != CMAF_CODEC_OPUS || cfg.type == CMAF_TRACK_VIDEO)
    FUZZ_CHECK (contains (out->data + prefix, out->len - prefix,
            cfg.codec_data, cfg.codec_data_size),
        "codec_data (%" G_GSIZE_FORMAT " bytes) not in the init segment",
        cfg.codec_data_size);
}

static void
fuzz_chunk (FuzzReader * r, GByteArray * out)
{
  guint n = fuzz_u8 (r) % 65, i;
  CmafSample *samples = g_new0 (CmafSample, MAX (n, 1));
  guint64 sum = 0, payload, base, mdat_size;
  guint32 seq = fuzz_u32 (r), track = fuzz_u32 (r);
  guint prefix = out->len;
  const guint8 *moof, *mdat, *traf, *tfdt, *trun;
  gsize moof_size, mdat_hdr, traf_size, tfdt_size, trun_size;
  guint8 big = fuzz_u8 (r);

  base = fuzz_u64 (r);
  for (i = 0; i < n; i++) {
    samples[i].duration = fuzz_u32 (r);
    /* mostly small, sometimes huge: mdat sizes above 4 GiB */
    samples[i].size = (big & 1) ? fuzz_u32 (r) : fuzz_u16 (r);
    samples[i].flags = fuzz_u32 (r);
    samples[i].cts_offset = (gint32) fuzz_u32 (r);
    sum += samples[i].size;
  }

  payload = cmaf_write_chunk_header (out, seq, track, base, samples, n);
  FUZZ_CHECK (payload == sum, "payload %" G_GUINT64_FORMAT " != sum of "
      "sizes %" G_GUINT64_FORMAT, payload, sum);

  moof = cmaf_find_box (out->data + prefix, out->len - prefix, "moof",
      &moof_size);
  FUZZ_CHECK (moof == out->data + prefix, "chunk does not start with moof");
  check_boxes (moof, moof_size, 0);
  mdat = moof + moof_size;
  FUZZ_CHECK (out->data + out->len - mdat >= 8 &&
      memcmp (mdat + 4, "mdat", 4) == 0, "no mdat header after moof");
  mdat_size = rd32 (mdat);
  mdat_hdr = 8;
  if (mdat_size == 1) {
    FUZZ_CHECK (out->data + out->len - mdat == 16, "bad large mdat header");
    mdat_size = rd64 (mdat + 8);
    mdat_hdr = 16;
  } else {
    FUZZ_CHECK (out->data + out->len - mdat == 8, "mdat header not 8 bytes");
  }
  FUZZ_CHECK (mdat_size == mdat_hdr + payload, "mdat size %" G_GUINT64_FORMAT
      " for %" G_GUINT64_FORMAT " payload bytes", mdat_size, payload);

  traf = cmaf_find_box (moof + 8, moof_size - 8, "traf", &traf_size);
  FUZZ_CHECK (traf != NULL, "no traf");
  tfdt = cmaf_find_box (traf + 8, traf_size - 8, "tfdt", &tfdt_size);
  FUZZ_CHECK (tfdt != NULL && tfdt_size >= 16, "no tfdt");
  FUZZ_CHECK ((tfdt[8] == 1 ? rd64 (tfdt + 12) : rd32 (tfdt + 12)) == base,
      "tfdt is not the base decode time");
  trun = cmaf_find_box (traf + 8, traf_size - 8, "trun", &trun_size);
  FUZZ_CHECK (trun != NULL && trun_size >= 16, "no trun");
  FUZZ_CHECK (rd32 (trun + 12) == n, "trun counts %u samples, wrote %u",
      rd32 (trun + 12), n);
  /* data-offset-present: offset from the moof start to the first sample */
  if (rd32 (trun + 8) & 0x000001)
    FUZZ_CHECK ((gint64) (gint32) rd32 (trun + 16) ==
        (gint64) (moof_size + mdat_hdr), "trun data offset %d, payload at %"
        G_GSIZE_FORMAT, (gint32) rd32 (trun + 16), moof_size + mdat_hdr);
  g_free (samples);
}

static void
fuzz_find_box (FuzzReader * r)
{
  static const gchar *const types[] = { "moov", "moof", "mdat", "trak",
    "ftyp", "tfdt", "\xff\xff\xff\xff", NULL
  };
  size_t len;
  const guint8 *data = fuzz_bytes (r, fuzz_reader_left (r), &len);
  guint8 *copy = g_memdup2 (data, len);   /* exact size for ASan */
  const gchar *const *t;

  for (t = types; *t; t++) {
    gsize bsize = 0;
    const guint8 *box = cmaf_find_box (copy, len, *t, &bsize);

    if (box == NULL)
      continue;
    FUZZ_CHECK (box >= copy && box + 8 <= copy + len, "box outside data");
    FUZZ_CHECK (bsize >= 8 && bsize <= (gsize) (copy + len - box),
        "box of %" G_GSIZE_FORMAT " bytes at %" G_GSIZE_FORMAT " in %"
        G_GSIZE_FORMAT, bsize, (gsize) (box - copy), (gsize) len);
    FUZZ_CHECK (memcmp (box + 4, *t, 4) == 0, "wrong box type");
  }
  g_free (copy);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzReader r;
  GByteArray *out = g_byte_array_new ();
  guint8 mode;

  fuzz_reader_init (&r, data, size);
  mode = fuzz_u8 (&r);
  /* something already in the buffer: offsets must be relative */
  g_byte_array_set_size (out, mode >> 4);
  if (out->len > 0)
    memset (out->data, 0xaa, out->len);
  switch (mode & 3) {
    case 0:
      fuzz_init_segment (&r, out);
      break;
    case 1:
      fuzz_chunk (&r, out);
      break;
    case 2:
      fuzz_init_segment (&r, out);
      fuzz_chunk (&r, out);
      break;
    default:
      fuzz_find_box (&r);
      break;
  }
  g_byte_array_unref (out);
  return 0;
}
