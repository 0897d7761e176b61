/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The core of prioqueue: a FIFO of opaque items per stream, with a shared
 * budget, that decides what to drop when it is full. GLib only: no pads,
 * no locks, no clock. Times are plain nanoseconds supplied by the caller.
 *
 * Policy, in one place:
 *  - buffers carry a class (HIGH, NORMAL, LOW) and dependency flags;
 *  - over a capacity limit (buffers, bytes) the lowest class present is
 *    shed, oldest first, in the lowest-priority stream first;
 *  - a stream whose queued span (running time of the newest buffer's end
 *    minus the oldest buffer's start) exceeds max_time sheds its own
 *    buffers in the same order until it fits: no buffer leaves later than
 *    max_time (plus the one frame that arrives in between) after it
 *    entered;
 *  - when the measured service time of a stream's consumer predicts that
 *    the newest buffer would leave later than max_time, that stream's LOW
 *    buffers are shed early, oldest first (NORMAL and HIGH wait for the
 *    hard limits);
 *  - dropping a NORMAL buffer (a reference) or a keyframe drops every
 *    later delta unit of that stream, queued or still to come, until the
 *    next keyframe ("keyframe wait");
 *  - HIGH is dropped only when nothing lower is queued in the stream and a
 *    hard limit is reached; it is counted on its own.
 */

#ifndef __SHED_QUEUE_H__
#define __SHED_QUEUE_H__

#include <glib.h>

G_BEGIN_DECLS

#define SHED_TIME_NONE G_MAXUINT64
#define SHED_MAX_STREAMS 64

typedef struct _ShedQueue ShedQueue;

typedef enum {
  SHED_CLASS_HIGH = 0,
  SHED_CLASS_NORMAL = 1,
  SHED_CLASS_LOW = 2,
} ShedClass;
#define SHED_N_CLASSES 3

typedef enum {
  /* depends on earlier data of its stream (a video delta unit) */
  SHED_FLAG_DELTA = (1 << 0),
  /* a random access point: ends a keyframe wait */
  SHED_FLAG_KEYFRAME = (1 << 1),
} ShedFlags;

typedef enum {
  SHED_REASON_BUFFERS = 0,      /* max_buffers reached */
  SHED_REASON_BYTES,            /* max_bytes reached */
  SHED_REASON_TIME,             /* the stream's span exceeded max_time */
  SHED_REASON_LATENCY,          /* predicted to leave later than max_time */
  SHED_REASON_KEYFRAME_WAIT,    /* its reference was dropped */
} ShedReason;
#define SHED_N_REASONS 5

typedef enum {
  SHED_MODE_SHED = 0,           /* never wait: shed by class when full */
  SHED_MODE_BLOCK = 1,          /* the caller waits while full; no drops */
} ShedMode;

typedef struct {
  guint max_buffers;            /* 0 = no limit */
  guint64 max_bytes;            /* 0 = no limit */
  guint64 max_time;             /* ns, 0 = no limit */
  ShedMode mode;
} ShedConfig;

typedef struct {
  gsize size;
  guint64 time;                 /* running time of the start, or NONE */
  guint64 duration;             /* or NONE */
  guint64 pts;                  /* presentation time, or NONE */
  ShedClass klass;
  guint flags;                  /* ShedFlags */
} ShedBufferInfo;

/* An item the queue gave up: the caller frees it and reports it */
typedef struct {
  gpointer item;
  guint stream;
  ShedClass klass;
  ShedReason reason;
  gsize size;
  /* number of buffers of a lower class queued in the same stream when a
   * HIGH buffer was dropped; always 0 by design, kept as a checkable
   * promise */
  guint lower_queued;
} ShedDrop;

typedef struct {
  gboolean is_buffer;
  ShedClass klass;
  /* data was lost right before this buffer (a reference, a keyframe or a
   * HIGH buffer was dropped): mark it DISCONT */
  gboolean discont;
  guint64 sojourn;              /* ns the buffer spent queued */
} ShedPopInfo;

typedef struct {
  guint64 in[SHED_N_CLASSES];
  guint64 out[SHED_N_CLASSES];
  guint64 dropped[SHED_N_CLASSES];
  guint64 dropped_reason[SHED_N_REASONS];
  guint64 keyframe_waits;       /* times a stream started waiting */
  guint64 high_dropped_lower_queued;    /* see ShedDrop.lower_queued */
  guint64 flushed;              /* items discarded by flushes */
  guint level_buffers;
  guint64 level_bytes;
  guint64 level_time;           /* max over streams */
  guint level_class[SHED_N_CLASSES];
  guint64 sojourn_p50;          /* ns, 0 when nothing left yet */
  guint64 sojourn_p99;
  guint64 sojourn_max;
} ShedStats;

ShedQueue *shed_queue_new (const ShedConfig * config);
void shed_queue_free (ShedQueue * q, GDestroyNotify free_item);

/* Receives the items a flush or a stream removal discards, in order */
typedef void (*ShedItemFunc) (gpointer item, gboolean is_buffer,
    gpointer user_data);

/* Changing limits in shed mode sheds what no longer fits (drop list). */
void shed_queue_configure (ShedQueue * q, const ShedConfig * config);
void shed_queue_get_config (const ShedQueue * q, ShedConfig * config);

/* Streams share the budget. Higher @priority is shed later. Returns the
 * stream id, or -1 when SHED_MAX_STREAMS are in use. */
gint shed_queue_add_stream (ShedQueue * q, gint priority);
void shed_queue_remove_stream (ShedQueue * q, guint stream,
    ShedItemFunc func, gpointer user_data);
void shed_queue_set_stream_priority (ShedQueue * q, guint stream,
    gint priority);

/* Queue a buffer. Returns FALSE when it was dropped on arrival (it is then
 * in the drop list). In shed mode this may drop other items too. @now is
 * the caller's clock, for the time spent queued. */
gboolean shed_queue_push_buffer (ShedQueue * q, guint stream, gpointer item,
    const ShedBufferInfo * info, guint64 now);

/* Queue a non-buffer item (event, query): kept in order, never dropped,
 * not counted in the levels. */
void shed_queue_push_other (ShedQueue * q, guint stream, gpointer item);
gboolean shed_queue_remove_other (ShedQueue * q, guint stream, gpointer item);

/* The next item of @stream, or NULL. */
gpointer shed_queue_pop (ShedQueue * q, guint stream, guint64 now,
    ShedPopInfo * info);

/* How long the consumer of @stream took for one buffer: feeds the
 * latency prediction. */
void shed_queue_report_service (ShedQueue * q, guint stream,
    guint64 duration);
/* @n buffers took @total together: as @n reports of their average */
void shed_queue_report_service_n (ShedQueue * q, guint stream,
    guint64 total, guint n);
guint64 shed_queue_get_service_time (const ShedQueue * q, guint stream);

/* Discard every item of @stream (flush): not counted as drops. Resets the
 * stream's keyframe wait. */
void shed_queue_flush_stream (ShedQueue * q, guint stream,
    ShedItemFunc func, gpointer user_data);

/* queue's notion of full: a limit is reached (>=). Block mode waits on it. */
gboolean shed_queue_is_full (const ShedQueue * q);
gboolean shed_queue_stream_is_empty (const ShedQueue * q, guint stream);
/* the next item of @stream is a buffer */
gboolean shed_queue_stream_head_is_buffer (const ShedQueue * q,
    guint stream);
guint shed_queue_stream_n_items (const ShedQueue * q, guint stream);
guint shed_queue_stream_n_buffers (const ShedQueue * q, guint stream);
gboolean shed_queue_stream_is_waiting (const ShedQueue * q, guint stream);

/* Levels without building the stats */
void shed_queue_get_level (const ShedQueue * q, guint * buffers,
    guint64 * bytes, guint64 * time);

/* Drops produced by the calls above. The caller frees the items and calls
 * shed_queue_clear_drops(). */
const ShedDrop *shed_queue_get_drops (const ShedQueue * q, guint * n_drops);
void shed_queue_clear_drops (ShedQueue * q);

void shed_queue_get_stats (const ShedQueue * q, ShedStats * stats);
/* p in [0, 1]: time spent queued by buffers that left, bucket midpoint
 * (within 1/16 of the true value) */
guint64 shed_queue_sojourn_percentile (const ShedQueue * q, gdouble p);

const gchar *shed_class_get_name (ShedClass klass);
const gchar *shed_reason_get_name (ShedReason reason);

G_END_DECLS

#endif /* __SHED_QUEUE_H__ */
