/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's push to an origin: the GLib-only upload policy.
 *
 * A bounded FIFO of jobs (PUT or DELETE of a file name).  The queue
 * decides which job goes out next, how failures are retried and what is
 * dropped on overflow; the caller (gst/dashupload.c) does the HTTP.
 *
 * - Manifests (MPD, playlists) are coalesced: a new PUT of a manifest
 *   replaces a queued (not yet sent) PUT of the same name.  A manifest is
 *   a barrier: it is only sent once every job queued before it is done,
 *   so an origin never lists a segment it does not have yet.
 * - A DELETE of a file whose PUT has not been sent yet cancels that PUT
 *   and needs no request.
 * - Overflow (more than @capacity jobs): the oldest media segment PUT not
 *   in flight is dropped first, then the oldest DELETE, then the oldest
 *   manifest PUT; init segments are never dropped for room.
 * - A failed attempt is retried after base * 2^(attempt-1), at most
 *   max_delay, until max_attempts attempts; a permanent failure (e.g. an
 *   HTTP 4xx) gives up at once.
 *
 * - A chunked PUT (push_chunked) streams a media segment while it is
 *   being written.  It runs beside the other requests (max_streaming of
 *   them, not counted in max_in_flight) and, once its request headers are
 *   sent and while the segment is not complete, is no barrier for a
 *   manifest: a low-latency MPD announces a segment in progress once its
 *   upload is under way.  Once the
 *   segment is published (upload_queue_push of its PUT) the request ends
 *   with its last bytes and is a barrier again.  A chunked PUT that fails
 *   (or that did not start before the segment was complete) becomes a
 *   whole-file PUT of the published segment with the usual retries
 *   (counted in chunked_fallbacks); an abandoned segment (flush, error)
 *   is forgotten.
 *
 * No locks: the caller serialises calls.  Times are in microseconds of
 * the caller's monotonic clock. */

#ifndef __UPLOAD_QUEUE_H__
#define __UPLOAD_QUEUE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  UPLOAD_PUT,
  UPLOAD_DELETE
} UploadMethod;

typedef enum {
  UPLOAD_KIND_SEGMENT,          /* media segment: dropped first */
  UPLOAD_KIND_INIT,             /* init segment: never dropped for room */
  UPLOAD_KIND_MANIFEST          /* MPD, playlist: coalesced, barrier */
} UploadKind;

typedef struct {
  UploadMethod method;
  UploadKind kind;
  gchar *name;
  guint attempts;               /* attempts made so far */
  gint64 not_before;            /* us: next attempt allowed at */
  gboolean in_flight;
  guint64 id;                   /* unique, for completion */
  gboolean chunked;             /* PUT streamed while being written */
  gboolean published;           /* chunked: the file is complete */
  gboolean abandoned;           /* chunked: the segment was given up */
  gboolean wait_published;      /* whole PUT that waits for the file */
  gboolean wait_data;           /* chunked: expected, nothing written yet */
  gboolean on_wire;             /* chunked: its request headers are sent */
  gint64 expires;               /* us: a wait_data job is forgotten then */
} UploadJob;

typedef struct {
  guint capacity;               /* jobs queued + in flight, >= 1 */
  guint max_in_flight;          /* concurrent requests, >= 1 */
  guint max_streaming;          /* concurrent chunked PUTs (0 = none) */
  guint max_attempts;           /* >= 1 */
  gint64 base_delay;            /* us, first retry delay */
  gint64 max_delay;             /* us, retry delay cap */
} UploadQueueConfig;

typedef struct {
  guint64 queued;               /* jobs accepted */
  guint64 coalesced;            /* manifest PUTs replaced by a newer one */
  guint64 cancelled;            /* PUTs cancelled by a DELETE */
  guint64 dropped;              /* jobs dropped for room */
  guint64 dropped_segments;     /* ... of which media segment PUTs */
  guint64 succeeded;            /* jobs done */
  guint64 failed;               /* jobs given up after retries */
  guint64 retries;              /* attempts after the first */
  guint64 chunked;              /* segments done with a chunked PUT */
  guint64 chunked_fallbacks;    /* chunked segments sent whole instead */
} UploadQueueStats;

typedef struct _UploadQueue UploadQueue;

/* Classifies a file name by its extension. */
UploadKind upload_kind_for_name (const gchar * name);

/* Delay before attempt @attempts + 1 after @attempts failed attempts. */
gint64 upload_backoff_delay (const UploadQueueConfig * config,
    guint attempts);

UploadQueue *upload_queue_new (const UploadQueueConfig * config);
void upload_queue_free (UploadQueue * q);

/* Queues a job.  Returns how many jobs were dropped for room.  The PUT of
 * a published segment that has a chunked job queues nothing: it marks a
 * chunked PUT on the wire as complete (its stream ends), or turns one that
 * has not started, or that failed, into a whole-file PUT. */
guint upload_queue_push (UploadQueue * q, UploadMethod method,
    const gchar * name, gint64 now);

/* Queues a chunked PUT of media segment @name, whose first bytes were
 * just written.  Returns FALSE (and counts a fallback) when it is not
 * queued: no room, or streaming is off; the segment then goes whole when
 * it is published. */
gboolean upload_queue_push_chunked (UploadQueue * q, const gchar * name,
    gint64 now);

/* The request headers of chunked PUT @id were sent: from now on it holds
 * back no manifest until its segment is published. */
void upload_queue_chunked_on_wire (UploadQueue * q, guint64 id);

/* Low latency: segment @name is the next one of its representation, and
 * the manifest queued next announces it while it is in progress.  A
 * placeholder chunked PUT that holds back later manifests until the
 * segment's first bytes are written (upload_queue_push_chunked) and its
 * PUT is on the wire; forgotten at @expires if that never happens. */
void upload_queue_expect (UploadQueue * q, const gchar * name, gint64 now,
    gint64 expires);

/* Segment @name will not be published (flush, error, stop).  Returns TRUE
 * when its chunked PUT is on the wire: the caller aborts that request,
 * whose completion then forgets the job, and queues a DELETE (an aborted
 * chunked body may still end like a complete one).  A PUT waits for the
 * older requests of the same name. */
gboolean upload_queue_abandon (UploadQueue * q, const gchar * name);

/* The next job to send now (marked in flight), or NULL.  When NULL and
 * @wake_at is not NULL, *wake_at is the earliest time a retry becomes due
 * (G_MAXINT64 when nothing waits for time). */
UploadJob *upload_queue_next (UploadQueue * q, gint64 now, gint64 * wake_at);

/* Completion of an in-flight job.  @ok: done; otherwise @permanent says
 * whether retrying can help.  Returns TRUE if the job will be retried. */
gboolean upload_queue_complete (UploadQueue * q, guint64 id, gboolean ok,
    gboolean permanent, gint64 now);

guint upload_queue_length (UploadQueue * q);    /* queued + in flight */
guint upload_queue_in_flight (UploadQueue * q);   /* incl. streaming */
guint upload_queue_streaming (UploadQueue * q);
void upload_queue_get_stats (UploadQueue * q, UploadQueueStats * stats);

G_END_DECLS

#endif /* __UPLOAD_QUEUE_H__ */
