/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* CMAF / fragmented MP4 box writer: plain value structs in, bytes out.
 * GLib only: no pads, no locks, no GStreamer types.
 *
 * An init segment is `ftyp` + `moov` (mvhd, trak/tkhd/mdia/mdhd/hdlr/minf/
 * vmhd|smhd/dinf/stbl with one sample entry, mvex/trex).  A media segment
 * is `styp` followed by one or more chunks, each a `moof` (mfhd,
 * traf/tfhd/tfdt/trun) and an `mdat`.  The writer produces the `moof` and
 * the `mdat` header; the caller writes the sample payload itself (e.g. with
 * writev from the buffers' memory) so that media data is never copied. */

#ifndef __CMAF_WRITER_H__
#define __CMAF_WRITER_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CMAF_TRACK_VIDEO,
  CMAF_TRACK_AUDIO,
} CmafTrackType;

typedef enum {
  CMAF_CODEC_H264,              /* avc1 + avcC */
  CMAF_CODEC_H265,              /* hvc1 + hvcC */
  CMAF_CODEC_AAC,               /* mp4a + esds */
  CMAF_CODEC_OPUS,              /* Opus + dOps */
} CmafCodec;

typedef struct {
  CmafTrackType type;
  CmafCodec codec;
  guint32 track_id;             /* >= 1 */
  guint32 timescale;            /* ticks per second of the track */
  /* avcC / hvcC payload, AudioSpecificConfig, or OpusHead */
  const guint8 *codec_data;
  gsize codec_data_size;
  /* video */
  guint width, height;
  guint par_n, par_d;           /* 0/0 or 1/1: no pasp box */
  /* audio */
  guint channels, sample_rate;
  guint32 max_bitrate, avg_bitrate;     /* for esds, 0 = unknown */
  const gchar *language;        /* ISO 639-2/T, NULL = "und" */
} CmafTrackConfig;

/* sample_flags values of ISO/IEC 14496-12 8.8.3.1 */
#define CMAF_SAMPLE_FLAGS_SYNC      0x02000000u /* depends on no other */
#define CMAF_SAMPLE_FLAGS_NON_SYNC  0x01010000u /* depends on others, non-sync */

typedef struct {
  guint32 duration;             /* in the track's timescale */
  guint32 size;                 /* bytes in mdat */
  guint32 flags;                /* CMAF_SAMPLE_FLAGS_* */
  gint32 cts_offset;            /* composition - decode time, may be < 0 */
} CmafSample;

/* Returns FALSE (and writes nothing) when the config cannot be written,
 * e.g. missing codec data. */
gboolean cmaf_write_init_segment (GByteArray * out,
    const CmafTrackConfig * cfg);

/* `styp` opening a media segment. */
void cmaf_write_styp (GByteArray * out);

/* ProducerReferenceTime box (version 1): @unix_us (wall clock, written as
 * an NTP timestamp) corresponds to @media_time of track @track_id.
 * @flags: 0 encoder input, 1 encoder output, 8 arbitrary consistent,
 * 24 capture (ISO/IEC 14496-12). */
#define CMAF_PRFT_ENCODER_OUTPUT 1
void cmaf_write_prft (GByteArray * out, guint32 track_id, gint64 unix_us,
    guint64 media_time, guint32 flags);

/* One chunk header: `moof` for @n_samples samples whose data follows in
 * one `mdat`, plus that `mdat`'s header.  @base_decode_time is the tfdt.
 * The trun data offset points right after the mdat header, so the caller
 * appends exactly sum(size) bytes of sample data after the returned
 * bytes.  Returns the size of the mdat payload. */
guint64 cmaf_write_chunk_header (GByteArray * out, guint32 sequence_number,
    guint32 track_id, guint64 base_decode_time,
    const CmafSample * samples, guint n_samples);

/* Convenience for tests and small users: a whole chunk with payload. */
void cmaf_write_chunk (GByteArray * out, guint32 sequence_number,
    guint32 track_id, guint64 base_decode_time,
    const CmafSample * samples, guint n_samples, const guint8 * payload);

/* Box walking, used by tests and sanity checks: finds the first box of
 * @fourcc in [data, data+size) at this level.  Returns a pointer to the
 * box header and its total size, or NULL. */
const guint8 *cmaf_find_box (const guint8 * data, gsize size,
    const gchar * fourcc, gsize * box_size);

G_END_DECLS

#endif /* __CMAF_WRITER_H__ */
