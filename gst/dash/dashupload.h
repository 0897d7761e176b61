/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's push to an origin (DASH-IF Live Media Ingest,
 * interface 2): HTTP PUT of every published file and DELETE of files
 * that left the DVR window, over persistent connections of a libsoup-3.0
 * SoupSession on its own thread and GMainContext.  The policy (bounded
 * queue, manifest barrier, retries with exponential backoff, overflow) is
 * gst/uploadqueue.c.
 *
 * Low latency: a media segment whose chunks are announced with
 * dash_upload_chunk_written() is PUT with Transfer-Encoding: chunked while
 * it is being written, each chunk sent as soon as it is written (the
 * request body reads the segment's temporary file up to what is complete;
 * nothing is copied on the streaming thread).  A chunked PUT that fails,
 * falls more than max_lag bytes behind, or does not start before the
 * segment is complete turns into a whole-file PUT after publication.
 *
 * The notify functions are thread-safe and never block on the network:
 * they queue a job under the uploader's mutex and wake its thread. */

#ifndef __DASH_UPLOAD_H__
#define __DASH_UPLOAD_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DashUpload DashUpload;

/* Jobs were dropped for room: called from the uploader thread with no
 * lock held, at most once per DASH_UPLOAD_WARN_INTERVAL. */
typedef void (*DashUploadDroppedFunc) (guint64 dropped_total,
    guint64 dropped_since_last, gpointer user_data);

#define DASH_UPLOAD_WARN_INTERVAL (5 * G_USEC_PER_SEC)

typedef struct {
  const gchar *dir;             /* local output directory */
  const gchar *location;        /* http(s)://host[:port]/path */
  guint queue_size;             /* jobs, >= 1 */
  guint max_in_flight;          /* concurrent requests, >= 1 */
  guint max_streaming;          /* concurrent chunked PUTs (0 = never) */
  guint64 max_lag;              /* bytes written but not yet taken by a
                                 * chunked PUT before it falls back */
  guint max_attempts;           /* per job, >= 1 */
  gint64 base_delay;            /* us, first retry */
  gint64 max_delay;             /* us, retry cap */
  guint timeout;                /* s, per request (connect + I/O) */
  gint64 expect_timeout;        /* us: an expected segment that has not
                                 * started by then no longer holds back
                                 * the manifests */
  DashUploadDroppedFunc dropped;
  gpointer dropped_data;
} DashUploadConfig;

typedef struct {
  guint64 uploads;              /* successful PUTs */
  guint64 upload_bytes;         /* body bytes of successful PUTs */
  guint64 deletes;              /* successful DELETEs */
  guint64 failures;             /* jobs given up (after retries or 4xx) */
  guint64 retries;              /* attempts after a failed one */
  guint64 failed_attempts;      /* every failed request */
  guint64 dropped;              /* jobs dropped for room / file gone */
  guint64 chunked;              /* segments PUT while being written */
  guint64 chunked_fallbacks;    /* ... that went whole instead */
  guint pending;                /* jobs queued + in flight */
} DashUploadStats;

gboolean dash_upload_check_location (const gchar * location,
    GError ** error);
DashUpload *dash_upload_start (const DashUploadConfig * config,
    GError ** error);
/* Streaming has stopped: abandons the segments in progress and waits up
 * to @timeout (us) for the queue to empty.  Returns the jobs left. */
guint dash_upload_drain (DashUpload * up, gint64 timeout);
/* Cancels what is left, stops the thread and frees. */
void dash_upload_stop (DashUpload * up);
void dash_upload_file_published (DashUpload * up, const gchar * name);
/* The PUTs of @name send @bytes (its newest version) instead of the file
 * of that name (NULL: the file again): the low-latency manifests, which
 * exist only in memory.  Call before dash_upload_file_published(). */
void dash_upload_set_document (DashUpload * up, const gchar * name,
    GBytes * bytes);
void dash_upload_file_removed (DashUpload * up, const gchar * name);
/* Bytes [0, @size) of segment @name, being written as @tmp_name, are
 * complete: the first call starts its chunked PUT. */
void dash_upload_chunk_written (DashUpload * up, const gchar * name,
    const gchar * tmp_name, guint64 size);
/* Low latency: @name is the next segment of its representation, which
 * the manifests written next announce while it is in progress: they are
 * not PUT before its chunked PUT has started (or expect_timeout). */
void dash_upload_segment_expected (DashUpload * up, const gchar * name);
/* Segment @name (in progress or expected) will not be published (flush,
 * EOS, error, stop): its chunked PUT is aborted. */
void dash_upload_segment_abandoned (DashUpload * up, const gchar * name);
void dash_upload_get_stats (DashUpload * up, DashUploadStats * stats);

G_END_DECLS

#endif /* __DASH_UPLOAD_H__ */
