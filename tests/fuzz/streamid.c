/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Fuzz target: what an SRT caller sends srtingestsrc before it is
 * accepted (callertable.c): the stream id (up to 512 bytes, any bytes), and
 * the admission of a sequence of such ids; plus the libsrt log line
 * parser.  Checked besides memory safety:
 *  - a parsed name is 1..STREAM_NAME_MAX bytes of [A-Za-z0-9_-] (a safe
 *    pad name, file name and URL path component: never "." or "..")
 *  - a refused id has an empty name and a reason
 *  - the same id parses to the same name twice (the name is the stream's
 *    identity)
 *  - admission: never more streams than max_callers, at most one pending
 *    handshake per stream, pending handles are unique, the rate-limit
 *    table stays bounded */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"
#include "callertable.h"

static void
check_name (const gchar * raw, const StreamId * sid, StreamIdResult res)
{
  gsize n = strnlen (sid->name, sizeof (sid->name));
  gsize i;

  FUZZ_CHECK (n < sizeof (sid->name), "name not terminated");
  if (res != STREAM_ID_OK) {
    FUZZ_CHECK (n == 0, "refused id with name '%s'", sid->name);
    FUZZ_CHECK (sid->problem != NULL, "refused id without reason");
    return;
  }
  FUZZ_CHECK (n > 0 && n <= STREAM_NAME_MAX, "name length %" G_GSIZE_FORMAT, n);
  for (i = 0; i < n; i++) {
    guchar c = (guchar) sid->name[i];

    FUZZ_CHECK (g_ascii_isalnum (c) || c == '_' || c == '-',
        "byte 0x%02x in name '%s'", c, sid->name);
  }
  /* the name is made of what the id holds */
  FUZZ_CHECK (raw == NULL || raw[0] == '\0' || sid->name[0] == '_' ||
      strchr (raw, sid->name[0]) != NULL, "'%s' not from '%s'", sid->name, raw);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  FuzzReader r;
  guint8 mode;
  size_t len;
  const guint8 *p;
  gchar *raw;

  fuzz_reader_init (&r, data, size);
  mode = fuzz_u8 (&r);

  switch (mode % 3) {
    case 0:{
      /* one stream id, as libsrt hands it to the listen callback: a C
       * string of at most 512 bytes (the fuzzer may exceed it) */
      StreamId a, b;
      StreamIdResult ra, rb;
      const gchar *def = (mode & 0x80) ? "default" : NULL;
      gchar out[STREAM_NAME_MAX + 1];

      p = fuzz_bytes (&r, fuzz_reader_left (&r), &len);
      raw = g_strndup ((const gchar *) p, len);
      ra = stream_id_parse (raw, def, &a);
      check_name (def && raw[0] == '\0' ? def : raw, &a, ra);
      rb = stream_id_parse (raw, def, &b);
      FUZZ_CHECK (ra == rb && strcmp (a.name, b.name) == 0,
          "two parses differ");
      /* the sanitiser on its own, on raw bytes with NULs */
      if (stream_name_sanitise ((const gchar *) p, len, out)) {
        gsize i, n = strlen (out);

        FUZZ_CHECK (n > 0 && n <= STREAM_NAME_MAX, "sanitised length");
        for (i = 0; i < n; i++)
          FUZZ_CHECK (g_ascii_isalnum (out[i]) || out[i] == '_' ||
              out[i] == '-', "sanitised byte 0x%02x", (guchar) out[i]);
      } else {
        FUZZ_CHECK (out[0] == '\0', "failed sanitise left '%s'", out);
      }
      g_free (raw);
      break;
    }
    case 1:{
      /* a sequence of handshakes and events against one table */
      CallerTableConfig cfg = { 0, };
      CallerTable *t;
      gint64 now = 1;
      gint64 handle = 1;
      guint steps = 0;

      cfg.max_callers = 1 + fuzz_u8 (&r) % 8;
      cfg.grace = (fuzz_u8 (&r) % 4) * G_USEC_PER_SEC;
      cfg.duplicate = fuzz_u8 (&r) & 1 ? CALLER_DUPLICATE_REPLACE :
          CALLER_DUPLICATE_REFUSE;
      cfg.rate = fuzz_u8 (&r) % 20;
      cfg.rate_per_address = fuzz_u8 (&r) % 5;
      cfg.handshake_timeout = 2 * G_USEC_PER_SEC;
      cfg.default_name = (gchar *) ((mode & 0x40) ? "default" : NULL);
      t = caller_table_new (&cfg);

      while (!fuzz_reader_done (&r) && steps++ < 256) {
        guint8 op = fuzz_u8 (&r);
        gchar addr[16];
        GList *streams, *l;
        GArray *pending;
        guint i, j, n_streams;

        g_snprintf (addr, sizeof (addr), "10.0.0.%u", fuzz_u8 (&r) % 4);
        now += (gint64) fuzz_u16 (&r) * 1000;
        switch (op % 8) {
          case 0:
          case 1:{
            StreamId sid;
            CallerVerdict v;

            p = fuzz_bytes (&r, fuzz_u8 (&r) % 24, &len);
            raw = g_strndup ((const gchar *) p, len);
            v = caller_table_admit (t, handle++, addr, raw, now, &sid);
            if (CALLER_VERDICT_IS_ACCEPT (v))
              FUZZ_CHECK (caller_table_lookup_pending (t, handle - 1) != NULL,
                  "accepted but not pending");
            g_free (raw);
            break;
          }
          case 2:{
            CallerVerdict v;
            gint64 replaced;

            caller_table_connected (t, handle - 1 - fuzz_u8 (&r) % 4, now, &v,
                &replaced);
            break;
          }
          case 3:
            caller_table_handshake_failed (t, handle - 1 - fuzz_u8 (&r) % 4,
                CALLER_REFUSE_WRONG_PASSPHRASE);
            break;
          case 4:
            caller_table_expire_handshakes (t, now);
            break;
          default:{
            /* something happens to an existing stream */
            CallerStream *s;

            streams = caller_table_streams (t);
            n_streams = g_list_length (streams);
            s = n_streams ? g_list_nth_data (streams,
                fuzz_u8 (&r) % n_streams) : NULL;
            if (s != NULL) {
              gchar name[STREAM_NAME_MAX + 1];

              g_strlcpy (name, s->name, sizeof (name));
              switch (op % 8) {
                case 5:
                  caller_table_disconnected (t, name, s->handle, now);
                  break;
                case 6:
                  if (!caller_table_grace_expired (t, name, now) &&
                      fuzz_u8 (&r) & 1)
                    caller_table_end (t, name);
                  break;
                default:
                  if (s->state == CALLER_STREAM_ENDING)
                    caller_table_remove (t, name);
                  break;
              }
            }
            g_list_free (streams);
            break;
          }
        }

        /* invariants */
        streams = caller_table_streams (t);
        n_streams = g_list_length (streams);
        FUZZ_CHECK (n_streams <= cfg.max_callers, "%u streams > max %u",
            n_streams, cfg.max_callers);
        pending = g_array_new (FALSE, FALSE, sizeof (gint64));
        caller_table_pending_handles (t, pending);
        for (i = 0; i < pending->len; i++) {
          gint64 h = g_array_index (pending, gint64, i);
          CallerStream *s = caller_table_lookup_pending (t, h);

          FUZZ_CHECK (s != NULL && s->pending_handle == h, "pending %"
              G_GINT64_FORMAT " lost", h);
          for (j = i + 1; j < pending->len; j++)
            FUZZ_CHECK (g_array_index (pending, gint64, j) != h,
                "handle twice");
        }
        for (l = streams; l; l = l->next) {
          CallerStream *s = l->data;

          FUZZ_CHECK (s->state != CALLER_STREAM_PENDING ||
              s->pending_handle != CALLER_HANDLE_NONE,
              "pending stream without handshake");
          FUZZ_CHECK ((s->state == CALLER_STREAM_LIVE) ==
              (s->handle != CALLER_HANDLE_NONE), "state %d handle %"
              G_GINT64_FORMAT, s->state, s->handle);
        }
        FUZZ_CHECK (pending->len <= n_streams, "more pending than streams");
        FUZZ_CHECK (caller_table_n_rate_addresses (t) <= RATE_ADDRESSES_MAX,
            "rate table");
        g_array_free (pending, TRUE);
        g_list_free (streams);
      }
      caller_table_free (t);
      break;
    }
    default:{
      gint id = -1;
      SrtRejection why;

      p = fuzz_bytes (&r, fuzz_reader_left (&r), &len);
      raw = g_strndup ((const gchar *) p, len);
      why = srt_log_parse_rejection (raw, &id);
      FUZZ_CHECK (why == SRT_REJECTION_UNKNOWN || id >= 0, "id %d", id);
      FUZZ_CHECK (why <= SRT_REJECTION_OTHER, "why %d", why);
      g_free (raw);
      break;
    }
  }
  return 0;
}
