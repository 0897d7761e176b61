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
  guint max_attempts;           /* per job, >= 1 */
  gint64 base_delay;            /* us, first retry */
  gint64 max_delay;             /* us, retry cap */
  guint timeout;                /* s, per request (connect + I/O) */
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
  guint pending;                /* jobs queued + in flight */
} DashUploadStats;

gboolean dash_upload_check_location (const gchar * location,
    GError ** error);
DashUpload *dash_upload_start (const DashUploadConfig * config,
    GError ** error);
/* Waits up to @timeout (us) for the queue to empty (when nothing is
 * being added).  Returns the jobs left. */
guint dash_upload_drain (DashUpload * up, gint64 timeout);
/* Cancels what is left, stops the thread and frees. */
void dash_upload_stop (DashUpload * up);
void dash_upload_file_published (DashUpload * up, const gchar * name);
void dash_upload_file_removed (DashUpload * up, const gchar * name);
void dash_upload_get_stats (DashUpload * up, DashUploadStats * stats);

G_END_DECLS

#endif /* __DASH_UPLOAD_H__ */
