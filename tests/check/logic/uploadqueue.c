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
  return s;
}

GST_CHECK_MAIN (uploadqueue);
