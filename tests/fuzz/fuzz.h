/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Shared by the fuzz targets: a byte reader over the fuzzer's input and an
 * invariant check that aborts (libFuzzer records the input as a crash). */

#ifndef __LIVESTREAM_FUZZ_H__
#define __LIVESTREAM_FUZZ_H__

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* An invariant of the code under test does not hold: print it and abort,
 * whatever the build type (g_assert may be compiled out). */
#define FUZZ_CHECK(cond, ...)                                           \
  G_STMT_START {                                                        \
    if (G_UNLIKELY (!(cond))) {                                         \
      fprintf (stderr, "%s:%d: invariant failed: %s: ", __FILE__,       \
          __LINE__, #cond);                                             \
      fprintf (stderr, __VA_ARGS__);                                    \
      fputc ('\n', stderr);                                             \
      abort ();                                                         \
    }                                                                   \
  } G_STMT_END

typedef struct {
  const guint8 *data;
  size_t size;
  size_t pos;
} FuzzReader;

static inline void
fuzz_reader_init (FuzzReader * r, const guint8 * data, size_t size)
{
  r->data = data;
  r->size = size;
  r->pos = 0;
}

static inline gboolean
fuzz_reader_done (const FuzzReader * r)
{
  return r->pos >= r->size;
}

static inline size_t
fuzz_reader_left (const FuzzReader * r)
{
  return r->pos < r->size ? r->size - r->pos : 0;
}

/* Past the end of the input every read returns 0 */
static inline guint8
fuzz_u8 (FuzzReader * r)
{
  return r->pos < r->size ? r->data[r->pos++] : 0;
}

static inline guint16
fuzz_u16 (FuzzReader * r)
{
  guint16 v = fuzz_u8 (r);

  return (guint16) ((v << 8) | fuzz_u8 (r));
}

static inline guint32
fuzz_u32 (FuzzReader * r)
{
  guint32 v = fuzz_u16 (r);

  return (v << 16) | fuzz_u16 (r);
}

static inline guint64
fuzz_u64 (FuzzReader * r)
{
  guint64 v = fuzz_u32 (r);

  return (v << 32) | fuzz_u32 (r);
}

/* Up to @max bytes of the input, in place */
static inline const guint8 *
fuzz_bytes (FuzzReader * r, size_t max, size_t * len)
{
  const guint8 *p = r->data + MIN (r->pos, r->size);

  *len = MIN (max, fuzz_reader_left (r));
  r->pos += *len;
  return p;
}

#endif /* __LIVESTREAM_FUZZ_H__ */
