/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* CMAF / fragmented MP4 box writer, see cmafwriter.h.  Box layouts follow
 * ISO/IEC 14496-12 (ISOBMFF), 14496-14 (esds), 14496-15 (avcC/hvcC) and
 * ISO/IEC 23000-19 (CMAF). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "cmafwriter.h"

/* ---- byte helpers ---- */

static inline guint16
read_u16_le (const guint8 * p)
{
  return p[0] | (p[1] << 8);
}

static inline guint32
read_u32_le (const guint8 * p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

static inline guint32
read_u32_be (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static inline void
put_u8 (GByteArray * b, guint8 v)
{
  g_byte_array_append (b, &v, 1);
}

static inline void
put_u16 (GByteArray * b, guint16 v)
{
  guint8 d[2] = { v >> 8, v };
  g_byte_array_append (b, d, 2);
}

static inline void
put_u24 (GByteArray * b, guint32 v)
{
  guint8 d[3] = { v >> 16, v >> 8, v };
  g_byte_array_append (b, d, 3);
}

static inline void
put_u32 (GByteArray * b, guint32 v)
{
  guint8 d[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (b, d, 4);
}

static inline void
put_u64 (GByteArray * b, guint64 v)
{
  put_u32 (b, v >> 32);
  put_u32 (b, (guint32) v);
}

static inline void
put_fourcc (GByteArray * b, const gchar * f)
{
  g_byte_array_append (b, (const guint8 *) f, 4);
}

static inline void
put_zeros (GByteArray * b, guint n)
{
  static const guint8 z[64] = { 0, };
  while (n > 0) {
    guint c = MIN (n, sizeof (z));
    g_byte_array_append (b, z, c);
    n -= c;
  }
}

static inline void
set_u32 (GByteArray * b, guint off, guint32 v)
{
  b->data[off] = v >> 24;
  b->data[off + 1] = v >> 16;
  b->data[off + 2] = v >> 8;
  b->data[off + 3] = v;
}

/* Opens a box: returns the offset of its size field, patched by box_end */
static guint
box_start (GByteArray * b, const gchar * fourcc)
{
  guint off = b->len;
  put_u32 (b, 0);
  put_fourcc (b, fourcc);
  return off;
}

static guint
full_box_start (GByteArray * b, const gchar * fourcc, guint8 version,
    guint32 flags)
{
  guint off = box_start (b, fourcc);
  put_u8 (b, version);
  put_u24 (b, flags);
  return off;
}

static void
box_end (GByteArray * b, guint off)
{
  set_u32 (b, off, b->len - off);
}

static void
put_matrix (GByteArray * b)
{
  /* unity matrix, 16.16 and 2.30 fixed point */
  put_u32 (b, 0x00010000);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_u32 (b, 0x00010000);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_u32 (b, 0x40000000);
}

/* ---- init segment ---- */

static void
write_ftyp (GByteArray * b)
{
  guint o = box_start (b, "ftyp");
  put_fourcc (b, "iso6");
  put_u32 (b, 0);
  put_fourcc (b, "iso6");
  put_fourcc (b, "cmfc");
  put_fourcc (b, "mp41");
  put_fourcc (b, "dash");
  box_end (b, o);
}

static void
write_mvhd (GByteArray * b, const CmafTrackConfig * cfg)
{
  guint o = full_box_start (b, "mvhd", 0, 0);
  put_u32 (b, 0);               /* creation_time */
  put_u32 (b, 0);               /* modification_time */
  put_u32 (b, 1000);            /* timescale */
  put_u32 (b, 0);               /* duration: fragmented */
  put_u32 (b, 0x00010000);      /* rate 1.0 */
  put_u16 (b, 0x0100);          /* volume 1.0 */
  put_zeros (b, 10);
  put_matrix (b);
  put_zeros (b, 24);            /* pre_defined */
  put_u32 (b, cfg->track_id + 1);       /* next_track_ID */
  box_end (b, o);
}

static void
write_tkhd (GByteArray * b, const CmafTrackConfig * cfg)
{
  guint o = full_box_start (b, "tkhd", 0, 0x000003);    /* enabled, in movie */
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_u32 (b, cfg->track_id);
  put_u32 (b, 0);               /* reserved */
  put_u32 (b, 0);               /* duration */
  put_zeros (b, 8);
  put_u16 (b, 0);               /* layer */
  put_u16 (b, 0);               /* alternate_group */
  put_u16 (b, cfg->type == CMAF_TRACK_AUDIO ? 0x0100 : 0);
  put_u16 (b, 0);
  put_matrix (b);
  if (cfg->type == CMAF_TRACK_VIDEO) {
    guint64 w = cfg->width;
    /* display width honours the pixel aspect ratio */
    if (cfg->par_n > 0 && cfg->par_d > 0 && cfg->par_n != cfg->par_d)
      w = w * cfg->par_n / cfg->par_d;
    put_u32 (b, (guint32) (w << 16));
    put_u32 (b, cfg->height << 16);
  } else {
    put_u32 (b, 0);
    put_u32 (b, 0);
  }
  box_end (b, o);
}

static guint16
pack_language (const gchar * lang)
{
  guint16 v = 0;
  gint i;

  if (lang == NULL || strlen (lang) != 3)
    lang = "und";
  for (i = 0; i < 3; i++) {
    gchar c = g_ascii_tolower (lang[i]);
    if (c < 'a' || c > 'z')
      return pack_language ("und");
    v = (v << 5) | ((c - 0x60) & 0x1f);
  }
  return v;
}

static void
write_mdhd (GByteArray * b, const CmafTrackConfig * cfg)
{
  guint o = full_box_start (b, "mdhd", 0, 0);
  put_u32 (b, 0);
  put_u32 (b, 0);
  put_u32 (b, cfg->timescale);
  put_u32 (b, 0);
  put_u16 (b, pack_language (cfg->language));
  put_u16 (b, 0);
  box_end (b, o);
}

static void
write_hdlr (GByteArray * b, const CmafTrackConfig * cfg)
{
  gboolean video = cfg->type == CMAF_TRACK_VIDEO;
  const gchar *name = video ? "VideoHandler" : "SoundHandler";
  guint o = full_box_start (b, "hdlr", 0, 0);
  put_u32 (b, 0);
  put_fourcc (b, video ? "vide" : "soun");
  put_zeros (b, 12);
  g_byte_array_append (b, (const guint8 *) name, strlen (name) + 1);
  box_end (b, o);
}

static void
write_dinf (GByteArray * b)
{
  guint o = box_start (b, "dinf");
  guint d = full_box_start (b, "dref", 0, 0);
  guint u;
  put_u32 (b, 1);
  u = full_box_start (b, "url ", 0, 0x000001);  /* self-contained */
  box_end (b, u);
  box_end (b, d);
  box_end (b, o);
}

static void
write_visual_entry (GByteArray * b, const CmafTrackConfig * cfg)
{
  const gchar *entry = cfg->codec == CMAF_CODEC_H265 ? "hvc1" : "avc1";
  const gchar *cfgbox = cfg->codec == CMAF_CODEC_H265 ? "hvcC" : "avcC";
  guint o = box_start (b, entry);
  guint c;

  put_zeros (b, 6);
  put_u16 (b, 1);               /* data_reference_index */
  put_u16 (b, 0);
  put_u16 (b, 0);
  put_zeros (b, 12);
  put_u16 (b, cfg->width);
  put_u16 (b, cfg->height);
  put_u32 (b, 0x00480000);      /* 72 dpi */
  put_u32 (b, 0x00480000);
  put_u32 (b, 0);
  put_u16 (b, 1);               /* frame_count */
  put_zeros (b, 32);            /* compressorname */
  put_u16 (b, 0x0018);          /* depth */
  put_u16 (b, 0xffff);          /* pre_defined = -1 */

  c = box_start (b, cfgbox);
  g_byte_array_append (b, cfg->codec_data, cfg->codec_data_size);
  box_end (b, c);

  if (cfg->par_n > 0 && cfg->par_d > 0 && cfg->par_n != cfg->par_d) {
    c = box_start (b, "pasp");
    put_u32 (b, cfg->par_n);
    put_u32 (b, cfg->par_d);
    box_end (b, c);
  }
  box_end (b, o);
}

/* MPEG-4 descriptor header with a minimal-length size field */
static void
put_descr_header (GByteArray * b, guint8 tag, guint32 len)
{
  guint8 tmp[4];
  gint n = 0, i;

  put_u8 (b, tag);
  do {
    tmp[n++] = len & 0x7f;
    len >>= 7;
  } while (len > 0 && n < 4);
  for (i = n - 1; i >= 0; i--)
    put_u8 (b, tmp[i] | (i > 0 ? 0x80 : 0));
}

static guint
descr_header_size (guint32 len)
{
  guint n = 1;
  while (len >= 0x80 && n < 4) {
    len >>= 7;
    n++;
  }
  return 1 + n;
}

static void
write_esds (GByteArray * b, const CmafTrackConfig * cfg)
{
  guint o = full_box_start (b, "esds", 0, 0);
  guint32 dsi_len = cfg->codec_data_size;
  guint32 dcd_len = 13 + descr_header_size (dsi_len) + dsi_len;
  guint32 es_len = 3 + descr_header_size (dcd_len) + dcd_len +
      descr_header_size (1) + 1;

  put_descr_header (b, 0x03, es_len);   /* ES_Descriptor */
  put_u16 (b, cfg->track_id);   /* ES_ID */
  put_u8 (b, 0);                /* no dependsOn / URL / OCR */
  put_descr_header (b, 0x04, dcd_len);  /* DecoderConfigDescriptor */
  put_u8 (b, 0x40);             /* Audio ISO/IEC 14496-3 */
  put_u8 (b, (0x05 << 2) | 1);  /* AudioStream, upStream 0, reserved 1 */
  put_u24 (b, 0);               /* bufferSizeDB */
  put_u32 (b, cfg->max_bitrate);
  put_u32 (b, cfg->avg_bitrate);
  put_descr_header (b, 0x05, dsi_len);  /* DecoderSpecificInfo */
  g_byte_array_append (b, cfg->codec_data, dsi_len);
  put_descr_header (b, 0x06, 1);        /* SLConfigDescriptor */
  put_u8 (b, 0x02);             /* predefined: MP4 */
  box_end (b, o);
}

static gboolean
write_dops (GByteArray * b, const CmafTrackConfig * cfg)
{
  const guint8 *h = cfg->codec_data;
  guint o;

  /* OpusHead (RFC 7845, little endian) to dOps (big endian) */
  if (cfg->codec_data_size < 19 || memcmp (h, "OpusHead", 8) != 0)
    return FALSE;
  o = box_start (b, "dOps");
  put_u8 (b, 0);                /* Version */
  put_u8 (b, h[9]);             /* OutputChannelCount */
  put_u16 (b, read_u16_le (h + 10));
  put_u32 (b, read_u32_le (h + 12));
  put_u16 (b, read_u16_le (h + 16));
  put_u8 (b, h[18]);            /* ChannelMappingFamily */
  if (h[18] != 0) {
    if (cfg->codec_data_size < 21u + h[9]) {
      g_byte_array_set_size (b, o);
      return FALSE;
    }
    g_byte_array_append (b, h + 19, 2 + h[9]);
  }
  box_end (b, o);
  return TRUE;
}

static gboolean
write_audio_entry (GByteArray * b, const CmafTrackConfig * cfg)
{
  gboolean opus = cfg->codec == CMAF_CODEC_OPUS;
  guint o = box_start (b, opus ? "Opus" : "mp4a");

  put_zeros (b, 6);
  put_u16 (b, 1);               /* data_reference_index */
  put_zeros (b, 8);
  put_u16 (b, cfg->channels);
  put_u16 (b, 16);              /* samplesize */
  put_u16 (b, 0);
  put_u16 (b, 0);
  /* 16.16 sample rate; Opus always declares 48 kHz */
  put_u32 (b, (opus ? 48000u : MIN (cfg->sample_rate, 0xffffu)) << 16);
  if (opus) {
    if (!write_dops (b, cfg))
      return FALSE;
  } else {
    write_esds (b, cfg);
  }
  box_end (b, o);
  return TRUE;
}

static gboolean
write_stbl (GByteArray * b, const CmafTrackConfig * cfg)
{
  guint o = box_start (b, "stbl");
  guint s = full_box_start (b, "stsd", 0, 0);

  put_u32 (b, 1);
  if (cfg->type == CMAF_TRACK_VIDEO) {
    write_visual_entry (b, cfg);
  } else if (!write_audio_entry (b, cfg)) {
    return FALSE;
  }
  box_end (b, s);

  s = full_box_start (b, "stts", 0, 0);
  put_u32 (b, 0);
  box_end (b, s);
  s = full_box_start (b, "stsc", 0, 0);
  put_u32 (b, 0);
  box_end (b, s);
  s = full_box_start (b, "stsz", 0, 0);
  put_u32 (b, 0);
  put_u32 (b, 0);
  box_end (b, s);
  s = full_box_start (b, "stco", 0, 0);
  put_u32 (b, 0);
  box_end (b, s);
  box_end (b, o);
  return TRUE;
}

gboolean
cmaf_write_init_segment (GByteArray * out, const CmafTrackConfig * cfg)
{
  guint start = out->len;
  guint moov, trak, mdia, minf, mvex, x;

  g_return_val_if_fail (cfg != NULL, FALSE);
  if (cfg->track_id == 0 || cfg->timescale == 0 || cfg->codec_data == NULL
      || cfg->codec_data_size == 0)
    return FALSE;
  if (cfg->type == CMAF_TRACK_VIDEO && (cfg->width == 0 || cfg->height == 0
          || cfg->width > 0xffff || cfg->height > 0xffff))
    return FALSE;
  if (cfg->type == CMAF_TRACK_AUDIO && (cfg->channels == 0
          || cfg->sample_rate == 0))
    return FALSE;

  write_ftyp (out);
  moov = box_start (out, "moov");
  write_mvhd (out, cfg);
  trak = box_start (out, "trak");
  write_tkhd (out, cfg);
  mdia = box_start (out, "mdia");
  write_mdhd (out, cfg);
  write_hdlr (out, cfg);
  minf = box_start (out, "minf");
  if (cfg->type == CMAF_TRACK_VIDEO) {
    x = full_box_start (out, "vmhd", 0, 0x000001);
    put_u16 (out, 0);
    put_zeros (out, 6);
  } else {
    x = full_box_start (out, "smhd", 0, 0);
    put_u16 (out, 0);
    put_u16 (out, 0);
  }
  box_end (out, x);
  write_dinf (out);
  if (!write_stbl (out, cfg)) {
    g_byte_array_set_size (out, start);
    return FALSE;
  }
  box_end (out, minf);
  box_end (out, mdia);
  box_end (out, trak);

  mvex = box_start (out, "mvex");
  x = full_box_start (out, "trex", 0, 0);
  put_u32 (out, cfg->track_id);
  put_u32 (out, 1);             /* default_sample_description_index */
  put_u32 (out, 0);
  put_u32 (out, 0);
  put_u32 (out, 0);
  box_end (out, x);
  box_end (out, mvex);
  box_end (out, moov);
  return TRUE;
}

/* ---- media segments ---- */

void
cmaf_write_styp (GByteArray * out)
{
  guint o = box_start (out, "styp");
  put_fourcc (out, "msdh");
  put_u32 (out, 0);
  put_fourcc (out, "msdh");
  put_fourcc (out, "msix");
  put_fourcc (out, "cmfs");
  box_end (out, o);
}

void
cmaf_write_prft (GByteArray * out, guint32 track_id, gint64 unix_us,
    guint64 media_time, guint32 flags)
{
  guint o = box_start (out, "prft");
  guint64 secs = (guint64) (unix_us / 1000000) + G_GUINT64_CONSTANT (2208988800);
  guint64 frac = ((guint64) (unix_us % 1000000) << 32) / 1000000;

  put_u32 (out, (1u << 24) | (flags & 0xffffff));       /* version 1 */
  put_u32 (out, track_id);
  put_u64 (out, (secs << 32) | frac);
  put_u64 (out, media_time);
  box_end (out, o);
}

#define TRUN_DATA_OFFSET   0x000001
#define TRUN_DURATION      0x000100
#define TRUN_SIZE          0x000200
#define TRUN_FLAGS         0x000400
#define TRUN_CTS           0x000800
#define TFHD_DEFAULT_FLAGS 0x000020
#define TFHD_BASE_IS_MOOF  0x020000

guint64
cmaf_write_chunk_header (GByteArray * out, guint32 sequence_number,
    guint32 track_id, guint64 base_decode_time,
    const CmafSample * samples, guint n_samples)
{
  guint moof, traf, x, trun, data_offset_pos = 0, i;
  guint32 trun_flags = TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE;
  guint32 tfhd_flags = TFHD_BASE_IS_MOOF;
  guint32 default_flags = 0;
  gboolean all_same_flags = n_samples > 0;
  guint64 payload = 0;

  for (i = 0; i < n_samples; i++) {
    payload += samples[i].size;
    if (samples[i].cts_offset != 0)
      trun_flags |= TRUN_CTS;
    if (samples[i].flags != samples[0].flags)
      all_same_flags = FALSE;
  }
  /* one flags value for all samples (audio): a tfhd default instead of a
   * field per sample */
  if (all_same_flags) {
    tfhd_flags |= TFHD_DEFAULT_FLAGS;
    default_flags = samples[0].flags;
  } else {
    trun_flags |= TRUN_FLAGS;
  }

  moof = box_start (out, "moof");
  x = full_box_start (out, "mfhd", 0, 0);
  put_u32 (out, sequence_number);
  box_end (out, x);

  traf = box_start (out, "traf");
  x = full_box_start (out, "tfhd", 0, tfhd_flags);
  put_u32 (out, track_id);
  if (tfhd_flags & TFHD_DEFAULT_FLAGS)
    put_u32 (out, default_flags);
  box_end (out, x);

  x = full_box_start (out, "tfdt", 1, 0);
  put_u64 (out, base_decode_time);
  box_end (out, x);

  /* version 1: signed composition offsets (CMAF) */
  trun = full_box_start (out, "trun", 1, trun_flags);
  put_u32 (out, n_samples);
  data_offset_pos = out->len;
  put_u32 (out, 0);
  for (i = 0; i < n_samples; i++) {
    put_u32 (out, samples[i].duration);
    put_u32 (out, samples[i].size);
    if (trun_flags & TRUN_FLAGS)
      put_u32 (out, samples[i].flags);
    if (trun_flags & TRUN_CTS)
      put_u32 (out, (guint32) samples[i].cts_offset);
  }
  box_end (out, trun);
  box_end (out, traf);
  box_end (out, moof);

  /* mdat header; a 64-bit size only when the payload needs it */
  if (payload + 8 > G_MAXUINT32) {
    set_u32 (out, data_offset_pos, out->len - moof + 16);
    put_u32 (out, 1);
    put_fourcc (out, "mdat");
    put_u64 (out, payload + 16);
  } else {
    set_u32 (out, data_offset_pos, out->len - moof + 8);
    put_u32 (out, (guint32) (payload + 8));
    put_fourcc (out, "mdat");
  }
  return payload;
}

void
cmaf_write_chunk (GByteArray * out, guint32 sequence_number,
    guint32 track_id, guint64 base_decode_time,
    const CmafSample * samples, guint n_samples, const guint8 * payload)
{
  guint64 n = cmaf_write_chunk_header (out, sequence_number, track_id,
      base_decode_time, samples, n_samples);
  if (n > 0)
    g_byte_array_append (out, payload, (guint) n);
}

const guint8 *
cmaf_find_box (const guint8 * data, gsize size, const gchar * fourcc,
    gsize * box_size)
{
  gsize pos = 0;

  while (pos + 8 <= size) {
    guint64 bs = read_u32_be (data + pos);
    gsize hdr = 8;

    if (bs == 1) {
      if (pos + 16 > size)
        return NULL;
      bs = ((guint64) read_u32_be (data + pos + 8) << 32) |
          read_u32_be (data + pos + 12);
      hdr = 16;
    } else if (bs == 0) {
      bs = size - pos;
    }
    if (bs < hdr || bs > size - pos)
      return NULL;
    if (memcmp (data + pos + 4, fourcc, 4) == 0) {
      if (box_size)
        *box_size = bs;
      return data + pos;
    }
    pos += bs;
  }
  return NULL;
}
