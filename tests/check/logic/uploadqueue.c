/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Logic tests of dashlivesink's upload policy: no network, no clock. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include "uploadqueue.h"

#define MS 1000

static UploadQueueConfig
default_config (void)
{
  UploadQueueConfig c = { 0, };
  c.capacity = 8;
  c.max_in_flight = 1;
  c.max_attempts = 4;
  c.base_delay = 100 * MS;
  c.max_delay = 1000 * MS;
  return c;
}

/* sends the next job and completes it ok; returns its name (owned) */
static gchar *
send_ok (UploadQueue * q, gint64 now, UploadMethod * method)
{
  UploadJob *j = upload_queue_next (q, now, NULL);
  gchar *name;

  if (j == NULL)
    return NULL;
  name = g_strdup (j->name);
  if (method)
    *method = j->method;
  fail_if (upload_queue_complete (q, j->id, TRUE, FALSE, now));
  return name;
}

GST_START_TEST (test_kind)
{
  fail_unless_equals_int (upload_kind_for_name ("manifest.mpd"),
      UPLOAD_KIND_MANIFEST);
  fail_unless_equals_int (upload_kind_for_name ("v0.m3u8"),
      UPLOAD_KIND_MANIFEST);
  fail_unless_equals_int (upload_kind_for_name ("v0-init.mp4"),
      UPLOAD_KIND_INIT);
  fail_unless_equals_int (upload_kind_for_name ("v0-12.m4s"),
      UPLOAD_KIND_SEGMENT);
}

GST_END_TEST;

GST_START_TEST (test_backoff)
{
  UploadQueueConfig c = default_config ();

  fail_unless_equals_int64 (upload_backoff_delay (&c, 0), 0);
  fail_unless_equals_int64 (upload_backoff_delay (&c, 1), 100 * MS);
  fail_unless_equals_int64 (upload_backoff_delay (&c, 2), 200 * MS);
  fail_unless_equals_int64 (upload_backoff_delay (&c, 3), 400 * MS);
  fail_unless_equals_int64 (upload_backoff_delay (&c, 4), 800 * MS);
  fail_unless_equals_int64 (upload_backoff_delay (&c, 5), 1000 * MS);
  fail_unless_equals_int64 (upload_backoff_delay (&c, 60), 1000 * MS);
}

GST_END_TEST;

GST_START_TEST (test_fifo)
{
  UploadQueueConfig c = default_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  gchar *n;

  upload_queue_push (q, UPLOAD_PUT, "v-init.mp4", 0);
  upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", 0);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  fail_unless_equals_int (upload_queue_length (q), 3);

  n = send_ok (q, 0, NULL);
  fail_unless_equals_string (n, "v-init.mp4");
  g_free (n);
  n = send_ok (q, 0, NULL);
  fail_unless_equals_string (n, "v-1.m4s");
  g_free (n);
  n = send_ok (q, 0, NULL);
  fail_unless_equals_string (n, "manifest.mpd");
  g_free (n);
  fail_unless (send_ok (q, 0, NULL) == NULL);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.queued, 3);
  fail_unless_equals_int (st.succeeded, 3);
  fail_unless_equals_int (st.dropped, 0);
  upload_queue_free (q);
}

GST_END_TEST;

/* a manifest waits for every job queued before it */
GST_START_TEST (test_manifest_barrier)
{
  UploadQueueConfig c = default_config ();
  UploadQueue *q;
  UploadJob *a, *b, *m;

  c.max_in_flight = 4;
  q = upload_queue_new (&c);
  upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", 0);
  upload_queue_push (q, UPLOAD_PUT, "a-1.m4s", 0);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  upload_queue_push (q, UPLOAD_PUT, "v-2.m4s", 0);

  a = upload_queue_next (q, 0, NULL);
  b = upload_queue_next (q, 0, NULL);
  fail_unless_equals_string (a->name, "v-1.m4s");
  fail_unless_equals_string (b->name, "a-1.m4s");
  /* the manifest is skipped, the segment after it may go */
  m = upload_queue_next (q, 0, NULL);
  fail_unless_equals_string (m->name, "v-2.m4s");
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  fail_if (upload_queue_complete (q, a->id, TRUE, FALSE, 0));
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  /* a failing segment keeps the manifest back through its retries */
  fail_unless (upload_queue_complete (q, b->id, FALSE, FALSE, 0));
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  b = upload_queue_next (q, 100 * MS, NULL);
  fail_unless_equals_string (b->name, "a-1.m4s");
  fail_if (upload_queue_complete (q, b->id, TRUE, FALSE, 100 * MS));
  m = upload_queue_next (q, 100 * MS, NULL);
  fail_unless_equals_string (m->name, "manifest.mpd");
  upload_queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_manifest_coalesced)
{
  UploadQueueConfig c = default_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  gchar *n;

  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  upload_queue_push (q, UPLOAD_PUT, "v.m3u8", 0);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  fail_unless_equals_int (upload_queue_length (q), 2);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.coalesced, 2);
  /* the one in flight is not replaced */
  {
    UploadJob *j = upload_queue_next (q, 0, NULL);
    fail_unless_equals_string (j->name, "manifest.mpd");
    upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
    fail_unless_equals_int (upload_queue_length (q), 3);
    upload_queue_complete (q, j->id, TRUE, FALSE, 0);
  }
  n = send_ok (q, 0, NULL);
  fail_unless_equals_string (n, "v.m3u8");
  g_free (n);
  n = send_ok (q, 0, NULL);
  fail_unless_equals_string (n, "manifest.mpd");
  g_free (n);
  upload_queue_free (q);
}

GST_END_TEST;

/* a DELETE of an unsent segment cancels its PUT and sends nothing */
GST_START_TEST (test_delete_cancels_put)
{
  UploadQueueConfig c = default_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadMethod m;
  UploadJob *j;
  gchar *n;

  upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", 0);
  upload_queue_push (q, UPLOAD_DELETE, "v-1.m4s", 0);
  fail_unless_equals_int (upload_queue_length (q), 0);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.cancelled, 1);

  /* once sent (and failed), the DELETE still goes */
  upload_queue_push (q, UPLOAD_PUT, "v-2.m4s", 0);
  j = upload_queue_next (q, 0, NULL);
  fail_unless (upload_queue_complete (q, j->id, FALSE, FALSE, 0));
  upload_queue_push (q, UPLOAD_DELETE, "v-2.m4s", 0);
  fail_unless_equals_int (upload_queue_length (q), 1);
  n = send_ok (q, 0, &m);
  fail_unless_equals_string (n, "v-2.m4s");
  fail_unless_equals_int (m, UPLOAD_DELETE);
  g_free (n);

  /* a DELETE waits for the PUT of the same file on the wire */
  c.max_in_flight = 2;
  upload_queue_free (q);
  q = upload_queue_new (&c);
  upload_queue_push (q, UPLOAD_PUT, "v-3.m4s", 0);
  j = upload_queue_next (q, 0, NULL);
  upload_queue_push (q, UPLOAD_DELETE, "v-3.m4s", 0);
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);
  j = upload_queue_next (q, 0, NULL);
  fail_unless_equals_int (j->method, UPLOAD_DELETE);
  upload_queue_free (q);
}

GST_END_TEST;

/* retries: exponential, bounded in attempts; permanent errors give up */
GST_START_TEST (test_retries)
{
  UploadQueueConfig c = default_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadJob *j;
  gint64 now = 0, wake;
  guint i;

  upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", now);
  for (i = 1; i <= c.max_attempts; i++) {
    j = upload_queue_next (q, now, &wake);
    fail_unless (j != NULL);
    fail_unless_equals_int (j->attempts, i);
    if (i < c.max_attempts) {
      fail_unless (upload_queue_complete (q, j->id, FALSE, FALSE, now));
      fail_unless (upload_queue_next (q, now, &wake) == NULL);
      fail_unless_equals_int64 (wake, now + upload_backoff_delay (&c, i));
      fail_unless (upload_queue_next (q, wake - 1, NULL) == NULL);
      now = wake;
    } else {
      fail_if (upload_queue_complete (q, j->id, FALSE, FALSE, now));
    }
  }
  fail_unless_equals_int (upload_queue_length (q), 0);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.failed, 1);
  fail_unless_equals_int (st.retries, c.max_attempts - 1);

  upload_queue_push (q, UPLOAD_PUT, "v-2.m4s", now);
  j = upload_queue_next (q, now, NULL);
  fail_if (upload_queue_complete (q, j->id, FALSE, TRUE, now));
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.failed, 2);
  fail_unless (upload_queue_next (q, now, &wake) == NULL);
  fail_unless_equals_int64 (wake, G_MAXINT64);
  upload_queue_free (q);
}

GST_END_TEST;

/* overflow drops the oldest segments first, never init segments, keeps
 * the length bounded */
GST_START_TEST (test_overflow)
{
  UploadQueueConfig c = default_config ();
  UploadQueue *q;
  UploadQueueStats st;
  UploadJob *j;
  gchar *name;
  guint i, dropped = 0;

  c.capacity = 4;
  q = upload_queue_new (&c);
  upload_queue_push (q, UPLOAD_PUT, "v-init.mp4", 0);
  j = upload_queue_next (q, 0, NULL);   /* in flight: stays */
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  for (i = 1; i <= 10; i++) {
    name = g_strdup_printf ("v-%u.m4s", i);
    dropped += upload_queue_push (q, UPLOAD_PUT, name, 0);
    g_free (name);
    fail_unless (upload_queue_length (q) <= c.capacity);
  }
  fail_unless_equals_int (dropped, 8);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.dropped, 8);
  fail_unless_equals_int (st.dropped_segments, 8);
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);
  /* left: manifest, v-9, v-10 */
  fail_unless_equals_int (upload_queue_length (q), 3);
  j = upload_queue_next (q, 0, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);
  j = upload_queue_next (q, 0, NULL);
  fail_unless_equals_string (j->name, "v-9.m4s");
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);

  /* only manifests and deletes queued: deletes go before manifests */
  upload_queue_free (q);
  c.capacity = 2;
  q = upload_queue_new (&c);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  upload_queue_push (q, UPLOAD_DELETE, "v-1.m4s", 0);
  fail_unless_equals_int (upload_queue_push (q, UPLOAD_DELETE, "v-2.m4s",
          0), 1);
  j = upload_queue_next (q, 0, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);
  j = upload_queue_next (q, 0, NULL);
  fail_unless_equals_string (j->name, "v-2.m4s");
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);

  /* init segments are taken even when full of in-flight jobs */
  upload_queue_push (q, UPLOAD_PUT, "a-1.m4s", 0);
  upload_queue_push (q, UPLOAD_PUT, "a-2.m4s", 0);
  c.max_in_flight = 1;
  j = upload_queue_next (q, 0, NULL);
  fail_unless_equals_int (upload_queue_push (q, UPLOAD_PUT, "v-init.mp4",
          0), 1);
  fail_unless_equals_int (upload_queue_length (q), 2);
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);
  upload_queue_free (q);
}

GST_END_TEST;

static UploadQueueConfig
chunked_config (void)
{
  UploadQueueConfig c = default_config ();
  c.max_streaming = 2;
  return c;
}

/* a chunked PUT streams beside the others and ends at publication */
GST_START_TEST (test_chunked_success)
{
  UploadQueueConfig c = chunked_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadJob *seg, *j;

  fail_unless (upload_queue_push_chunked (q, "v-1.m4s", 0));
  seg = upload_queue_next (q, 0, NULL);
  fail_unless (seg != NULL && seg->chunked);
  fail_unless_equals_string (seg->name, "v-1.m4s");
  fail_unless_equals_int (upload_queue_streaming (q), 1);
  fail_unless_equals_int (upload_queue_in_flight (q), 1);

  /* not counted in max_in_flight (1): another PUT goes beside it */
  upload_queue_push (q, UPLOAD_PUT, "a-init.mp4", 0);
  j = upload_queue_next (q, 0, NULL);
  fail_unless (j != NULL);
  fail_unless_equals_string (j->name, "a-init.mp4");
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);

  /* the MPD announcing the segment in progress is held back until the
   * segment's request headers are out, then no longer */
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  upload_queue_chunked_on_wire (q, seg->id);
  j = upload_queue_next (q, 0, NULL);
  fail_unless (j != NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 0);

  /* publication queues nothing: the stream ends */
  fail_unless_equals_int (upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", 10), 0);
  fail_unless (seg->published);
  fail_unless_equals_int (upload_queue_length (q), 1);
  /* ... and from now on it is a barrier again */
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 10);
  fail_unless (upload_queue_next (q, 10, NULL) == NULL);
  fail_if (upload_queue_complete (q, seg->id, TRUE, FALSE, 10));
  fail_unless_equals_int (upload_queue_streaming (q), 0);
  j = upload_queue_next (q, 10, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 10);

  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.chunked, 1);
  fail_unless_equals_int (st.chunked_fallbacks, 0);
  fail_unless_equals_int (st.succeeded, 4);
  fail_unless_equals_int (upload_queue_length (q), 0);
  upload_queue_free (q);
}

GST_END_TEST;

/* a chunked PUT that fails midway: the whole file after publication, with
 * the retries of an ordinary PUT; the MPD waits for it */
GST_START_TEST (test_chunked_failure)
{
  UploadQueueConfig c = chunked_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadJob *j;
  guint64 id;
  gint64 wake = 0;

  fail_unless (upload_queue_push_chunked (q, "v-1.m4s", 0));
  j = upload_queue_next (q, 0, NULL);
  id = j->id;
  /* permanent or not: the whole file is tried */
  fail_unless (upload_queue_complete (q, id, FALSE, TRUE, 5));
  fail_unless_equals_int (upload_queue_streaming (q), 0);
  fail_unless_equals_int (upload_queue_length (q), 1);
  /* not published yet: nothing to send, and manifests wait */
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 5);
  fail_unless (upload_queue_next (q, 1000 * MS, &wake) == NULL);
  fail_unless_equals_int64 (wake, G_MAXINT64);

  /* published: the same job, whole, after the first backoff step */
  fail_unless_equals_int (upload_queue_push (q, UPLOAD_PUT, "v-1.m4s",
          1000 * MS), 0);
  fail_unless_equals_int (upload_queue_length (q), 2);
  j = upload_queue_next (q, 1000 * MS, NULL);
  fail_unless (j != NULL);
  fail_unless_equals_string (j->name, "v-1.m4s");
  fail_if (j->chunked);
  fail_unless_equals_int (j->attempts, 1);
  fail_unless (upload_queue_complete (q, j->id, FALSE, FALSE, 1000 * MS));
  fail_unless (upload_queue_next (q, 1000 * MS, &wake) == NULL);
  fail_unless_equals_int64 (wake, 1100 * MS);
  j = upload_queue_next (q, 1100 * MS, NULL);
  fail_unless_equals_string (j->name, "v-1.m4s");
  fail_unless_equals_int (j->attempts, 2);
  upload_queue_complete (q, j->id, TRUE, FALSE, 1100 * MS);
  j = upload_queue_next (q, 1100 * MS, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 1100 * MS);

  /* failing after publication (the last bytes on the wire): a whole PUT
   * right away, after base_delay */
  fail_unless (upload_queue_push_chunked (q, "v-2.m4s", 2000 * MS));
  j = upload_queue_next (q, 2000 * MS, NULL);
  upload_queue_push (q, UPLOAD_PUT, "v-2.m4s", 2000 * MS);
  fail_unless (upload_queue_complete (q, j->id, FALSE, FALSE, 2000 * MS));
  fail_unless (upload_queue_next (q, 2050 * MS, &wake) == NULL);
  fail_unless_equals_int64 (wake, 2100 * MS);
  j = upload_queue_next (q, 2100 * MS, NULL);
  fail_unless_equals_string (j->name, "v-2.m4s");
  fail_if (j->chunked);
  upload_queue_complete (q, j->id, TRUE, FALSE, 2100 * MS);

  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.chunked, 0);
  fail_unless_equals_int (st.chunked_fallbacks, 2);
  fail_unless_equals_int (st.succeeded, 3);
  fail_unless_equals_int (st.failed, 0);
  fail_unless_equals_int (upload_queue_length (q), 0);
  upload_queue_free (q);
}

GST_END_TEST;

/* more segments in progress than max_streaming, or no room: those go
 * whole at publication; streaming off: every segment does */
GST_START_TEST (test_chunked_not_started)
{
  UploadQueueConfig c = chunked_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadJob *a, *b, *j;

  fail_unless (upload_queue_push_chunked (q, "a-1.m4s", 0));
  fail_unless (upload_queue_push_chunked (q, "b-1.m4s", 0));
  fail_unless (upload_queue_push_chunked (q, "c-1.m4s", 0));
  a = upload_queue_next (q, 0, NULL);
  b = upload_queue_next (q, 0, NULL);
  fail_unless (a->chunked && b->chunked);
  upload_queue_chunked_on_wire (q, a->id);
  upload_queue_chunked_on_wire (q, b->id);
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  /* the MPD waits for c, which has not started */
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  fail_unless (upload_queue_next (q, 0, NULL) == NULL);
  /* c is published before a slot frees: sent whole */
  upload_queue_push (q, UPLOAD_PUT, "c-1.m4s", 10);
  j = upload_queue_next (q, 10, NULL);
  fail_unless_equals_string (j->name, "c-1.m4s");
  fail_if (j->chunked);
  upload_queue_complete (q, j->id, TRUE, FALSE, 10);
  j = upload_queue_next (q, 10, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 10);
  upload_queue_push (q, UPLOAD_PUT, "a-1.m4s", 20);
  upload_queue_push (q, UPLOAD_PUT, "b-1.m4s", 20);
  upload_queue_complete (q, a->id, TRUE, FALSE, 20);
  upload_queue_complete (q, b->id, TRUE, FALSE, 20);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.chunked, 2);
  fail_unless_equals_int (st.chunked_fallbacks, 1);
  upload_queue_free (q);

  /* no room */
  c.capacity = 2;
  q = upload_queue_new (&c);
  upload_queue_push (q, UPLOAD_PUT, "v-init.mp4", 0);
  upload_queue_push (q, UPLOAD_PUT, "a-init.mp4", 0);
  fail_if (upload_queue_push_chunked (q, "v-1.m4s", 0));
  fail_unless_equals_int (upload_queue_length (q), 2);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.chunked_fallbacks, 1);
  /* nor do chunked jobs make room by dropping */
  upload_queue_free (q);
  q = upload_queue_new (&c);
  fail_unless (upload_queue_push_chunked (q, "a-1.m4s", 0));
  fail_unless (upload_queue_push_chunked (q, "b-1.m4s", 0));
  fail_unless_equals_int (upload_queue_push (q, UPLOAD_PUT, "c-0.m4s", 0), 1);
  fail_unless_equals_int (upload_queue_length (q), 2);
  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.dropped_segments, 1);
  fail_unless_equals_int (st.chunked_fallbacks, 0);
  upload_queue_free (q);

  /* streaming off */
  c = default_config ();
  q = upload_queue_new (&c);
  fail_if (upload_queue_push_chunked (q, "v-1.m4s", 0));
  fail_unless_equals_int (upload_queue_length (q), 0);
  upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", 0);
  j = upload_queue_next (q, 0, NULL);
  fail_if (j->chunked);
  upload_queue_free (q);
}

GST_END_TEST;

/* an abandoned segment (flush, error, stop) is forgotten, on the wire or
 * not; a new segment of the same name starts afresh */
GST_START_TEST (test_chunked_abandoned)
{
  UploadQueueConfig c = chunked_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadJob *j, *k;

  /* queued, not started: gone */
  fail_unless (upload_queue_push_chunked (q, "v-1.m4s", 0));
  fail_if (upload_queue_abandon (q, "v-1.m4s"));
  fail_unless_equals_int (upload_queue_length (q), 0);
  /* nothing of that name */
  fail_if (upload_queue_abandon (q, "v-9.m4s"));

  /* on the wire: the caller aborts it, the failure is not retried */
  fail_unless (upload_queue_push_chunked (q, "v-1.m4s", 0));
  j = upload_queue_next (q, 0, NULL);
  fail_unless (upload_queue_abandon (q, "v-1.m4s"));
  /* the caller DELETEs what the aborted body may have left */
  upload_queue_push (q, UPLOAD_DELETE, "v-1.m4s", 0);
  /* the same number again after a flush: after the old request and the
   * DELETE */
  fail_unless (upload_queue_push_chunked (q, "v-1.m4s", 5));
  fail_unless (upload_queue_next (q, 5, NULL) == NULL);
  fail_if (upload_queue_complete (q, j->id, FALSE, FALSE, 10));
  fail_unless_equals_int (upload_queue_streaming (q), 0);
  j = upload_queue_next (q, 10, NULL);
  fail_unless (j != NULL && j->method == UPLOAD_DELETE);
  fail_unless (upload_queue_next (q, 10, NULL) == NULL);
  upload_queue_complete (q, j->id, TRUE, FALSE, 10);
  k = upload_queue_next (q, 10, NULL);
  fail_unless (k != NULL && k->chunked);
  fail_unless_equals_string (k->name, "v-1.m4s");
  fail_unless_equals_int (upload_queue_length (q), 1);
  fail_unless_equals_int (upload_queue_streaming (q), 1);
  /* the new one's publication ends the new one */
  upload_queue_push (q, UPLOAD_PUT, "v-1.m4s", 20);
  fail_unless (k->published);
  fail_if (upload_queue_complete (q, k->id, TRUE, FALSE, 20));

  /* a job superseded while on the wire (no abandon call) is forgotten;
   * the new one waits for it */
  fail_unless (upload_queue_push_chunked (q, "v-2.m4s", 30));
  j = upload_queue_next (q, 30, NULL);
  fail_unless (upload_queue_push_chunked (q, "v-2.m4s", 31));
  fail_unless (j->abandoned);
  fail_unless (upload_queue_next (q, 31, NULL) == NULL);
  fail_if (upload_queue_complete (q, j->id, FALSE, FALSE, 32));
  fail_unless_equals_int (upload_queue_length (q), 1);
  k = upload_queue_next (q, 32, NULL);
  fail_unless (k != NULL && k->chunked);

  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.chunked, 1);
  fail_unless_equals_int (st.chunked_fallbacks, 0);
  fail_unless_equals_int (st.cancelled, 3);
  fail_unless_equals_int (st.failed, 0);
  upload_queue_free (q);
}

GST_END_TEST;

/* low latency: the MPD written after segment 1 announces segment 2 in
 * progress; it waits until segment 2's chunked PUT is on the wire, or
 * until the expectation expires */
GST_START_TEST (test_chunked_expected)
{
  UploadQueueConfig c = chunked_config ();
  UploadQueue *q = upload_queue_new (&c);
  UploadQueueStats st;
  UploadJob *j, *seg;
  gint64 wake = 0;

  upload_queue_expect (q, "v-2.m4s", 0, 1000 * MS);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 0);
  fail_unless (upload_queue_next (q, 100 * MS, &wake) == NULL);
  fail_unless_equals_int64 (wake, 1000 * MS);
  /* its first chunk: the PUT starts, then the MPD */
  fail_unless (upload_queue_push_chunked (q, "v-2.m4s", 200 * MS));
  seg = upload_queue_next (q, 200 * MS, NULL);
  fail_unless (seg != NULL && seg->chunked);
  fail_unless_equals_string (seg->name, "v-2.m4s");
  fail_unless (upload_queue_next (q, 200 * MS, NULL) == NULL);
  upload_queue_chunked_on_wire (q, seg->id);
  j = upload_queue_next (q, 200 * MS, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 200 * MS);
  upload_queue_push (q, UPLOAD_PUT, "v-2.m4s", 1000 * MS);
  upload_queue_complete (q, seg->id, TRUE, FALSE, 1000 * MS);

  /* the segment never comes (a new period, EOS without abandon): the MPD
   * goes at expiry */
  upload_queue_expect (q, "v-3.m4s", 1000 * MS, 2000 * MS);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 1000 * MS);
  fail_unless (upload_queue_next (q, 1999 * MS, NULL) == NULL);
  j = upload_queue_next (q, 2000 * MS, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 2000 * MS);
  fail_unless_equals_int (upload_queue_length (q), 0);

  /* EOS: abandoned at once */
  upload_queue_expect (q, "v-3.m4s", 2000 * MS, 3000 * MS);
  upload_queue_push (q, UPLOAD_PUT, "manifest.mpd", 2000 * MS);
  fail_if (upload_queue_abandon (q, "v-3.m4s"));
  j = upload_queue_next (q, 2000 * MS, NULL);
  fail_unless_equals_string (j->name, "manifest.mpd");
  upload_queue_complete (q, j->id, TRUE, FALSE, 2000 * MS);

  /* published before any chunk was announced: whole */
  upload_queue_expect (q, "v-4.m4s", 3000 * MS, 4000 * MS);
  upload_queue_push (q, UPLOAD_PUT, "v-4.m4s", 3000 * MS);
  j = upload_queue_next (q, 3000 * MS, NULL);
  fail_unless_equals_string (j->name, "v-4.m4s");
  fail_if (j->chunked);
  upload_queue_complete (q, j->id, TRUE, FALSE, 3000 * MS);

  upload_queue_get_stats (q, &st);
  fail_unless_equals_int (st.chunked, 1);
  fail_unless_equals_int (st.chunked_fallbacks, 1);
  fail_unless_equals_int (st.cancelled, 0);
  fail_unless_equals_int (st.queued, 5);
  fail_unless_equals_int (st.succeeded, 5);
  upload_queue_free (q);
}

GST_END_TEST;

static Suite *
uploadqueue_suite (void)
{
  Suite *s = suite_create ("uploadqueue");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_kind);
  tcase_add_test (tc, test_backoff);
  tcase_add_test (tc, test_fifo);
  tcase_add_test (tc, test_manifest_barrier);
  tcase_add_test (tc, test_manifest_coalesced);
  tcase_add_test (tc, test_delete_cancels_put);
  tcase_add_test (tc, test_retries);
  tcase_add_test (tc, test_overflow);
  tcase_add_test (tc, test_chunked_success);
  tcase_add_test (tc, test_chunked_failure);
  tcase_add_test (tc, test_chunked_not_started);
  tcase_add_test (tc, test_chunked_abandoned);
  tcase_add_test (tc, test_chunked_expected);
  return s;
}

GST_CHECK_MAIN (uploadqueue);
