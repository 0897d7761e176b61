/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The core of gopbuffer. GLib only: no pads, no locks, no clock.
 *
 * GopStore: an ordered cache of opaque refcounted items (the element stores
 * GstBuffer references) grouped into GOPs. A GOP starts at a video random
 * access point (keyframe) and holds every video and audio entry up to the
 * next one. Whole old GOPs are evicted to respect max-gops, max-bytes and
 * max-time; the newest GOP is kept from its keyframe as long as it fits in
 * max-bytes and max-time alone. A GOP that outgrows them (a stream that stops
 * sending keyframes) is discarded whole and so is everything until the next
 * keyframe, counted. Entries are addressed by a monotonic sequence number
 * that stays valid across eviction.
 *
 * LagQueue: the per-output FIFO in front of a slow consumer. When the time
 * span it holds exceeds max-lag (or its bytes exceed max-bytes) it drops whole
 * GOPs: it resumes at the newest keyframe it holds, or drops everything and
 * waits for the next keyframe. Serialized events are never dropped. */

#ifndef __GOP_STORE_H__
#define __GOP_STORE_H__

#include <glib.h>

G_BEGIN_DECLS

#define GOP_TIME_NONE G_MAXUINT64
#define GOP_SEQ_NONE G_MAXUINT64

typedef enum {
  /* video random access point: starts a GOP */
  GOP_FLAG_KEYFRAME = 1 << 0,
  /* with KEYFRAME: open-GOP RAP (H.265 CRA/BLA, H.264 recovery point SEI
   * without IDR): leading pictures may reference the previous GOP */
  GOP_FLAG_OPEN = 1 << 1,
  /* input: the parser knows this picture is a leading picture that cannot
   * be decoded without the previous GOP (H.265 RASL) */
  GOP_FLAG_LEADING_SKIP = 1 << 2,
  /* input: the parser knows this picture is a decodable leading picture
   * (H.265 RADL) */
  GOP_FLAG_LEADING_KEEP = 1 << 3,
  /* an audio entry (not part of GOP frame counts, never a keyframe) */
  GOP_FLAG_AUDIO = 1 << 4,
  /* output (set by the store): a leading picture to drop when decoding
   * starts at this entry's GOP */
  GOP_FLAG_SKIP_ON_JOIN = 1 << 5,
  /* data discontinuity at this entry */
  GOP_FLAG_DISCONT = 1 << 6,
  /* a sticky event entry in the store (with AUDIO: of the audio stream);
   * LagQueue: a serialized event, never dropped */
  GOP_FLAG_EVENT = 1 << 7,
} GopFlags;

/* sticky slots per stream (video, audio), in the order they are sent */
#define GOP_STICKY_SLOTS 4

typedef gpointer (*GopRefFunc) (gpointer item);

typedef struct {
  gpointer item;
  guint64 seq;
  guint64 gop_id;
  guint64 pts;
  guint64 dts;
  guint64 duration;
  guint64 size;
  guint flags;
} GopEntry;

typedef struct {
  guint max_gops;               /* GOPs kept, counting the one in progress, >= 1 */
  guint64 max_bytes;            /* >= 1 */
  guint64 max_time;             /* ns, 0 = unlimited */
} GopStoreConfig;

/* A GOP: complete once the next keyframe arrived */
typedef struct {
  guint64 id;
  guint64 start_pts;            /* keyframe PTS */
  guint64 start_dts;            /* keyframe DTS (or PTS) */
  guint64 duration;             /* next keyframe time - this keyframe time */
  guint64 bytes;                /* video and audio */
  guint frames;                 /* video entries */
  guint audio;                  /* audio entries */
  guint leading;                /* pictures to skip when joining here */
  gboolean open;
} GopInfo;

typedef enum {
  GOP_PUSH_STORED,
  /* not stored (before any keyframe, or in an overflowed GOP): the store did
   * not take a reference */
  GOP_PUSH_DISCARDED,
} GopPushResult;

typedef struct {
  guint flags;                  /* entry flags as stored (SKIP_ON_JOIN added) */
  guint64 seq;                  /* GOP_SEQ_NONE if discarded */
  gboolean new_gop;             /* the entry started a GOP */
  gboolean gop_completed;       /* ... and completed the previous one: */
  GopInfo completed;
  guint evicted_gops;
  gboolean overflow;            /* the newest GOP was discarded by this push */
} GopPushInfo;

typedef struct {
  guint64 gops_seen;
  guint64 gops_completed;
  guint64 open_gops;
  guint64 closed_gops;
  guint cached_gops;
  guint cached_entries;          /* buffers and events */
  guint cached_events;          /* sticky event entries */
  guint64 cached_bytes;
  guint64 cached_time;
  guint64 gop_duration_min, gop_duration_avg, gop_duration_max;
  guint64 gop_bytes_min, gop_bytes_avg, gop_bytes_max;
  guint gop_frames_min, gop_frames_avg, gop_frames_max;
  guint64 evicted_gops;
  guint64 overflows;            /* GOPs discarded for outgrowing the bounds */
  guint64 discarded_entries;    /* not cached: no keyframe yet or overflowed */
  guint64 discarded_bytes;
  guint64 leading_pictures;     /* SKIP_ON_JOIN entries seen */
} GopStats;

typedef struct _GopStore GopStore;

GopStore * gop_store_new (const GopStoreConfig * config, GopRefFunc ref,
    GDestroyNotify unref);
void gop_store_free (GopStore * store);

/* New bounds; evicts what no longer fits. Returns GOPs evicted. */
guint gop_store_configure (GopStore * store, const GopStoreConfig * config);

/* Forget every entry (flush, discont): the next entry must be a keyframe.
 * Statistics are kept. */
void gop_store_clear (GopStore * store);

/* Add an entry. Times are ns or GOP_TIME_NONE. On GOP_PUSH_STORED the store
 * took a reference with the ref function. @info may be NULL. */
GopPushResult gop_store_push (GopStore * store, gpointer item, guint flags,
    guint64 pts, guint64 dts, guint64 duration, guint64 size,
    GopPushInfo * info);

/* A sticky event of the video (@audio FALSE) or audio stream for @slot
 * (< GOP_STICKY_SLOTS). It becomes the current item of the slot (the store
 * keeps a reference) and, while a GOP is cached, an entry at its position
 * with GOP_FLAG_EVENT (and GOP_FLAG_AUDIO), of @size bytes. Returns
 * GOP_PUSH_STORED when it was stored as an entry. @info may be NULL. */
GopPushResult gop_store_push_sticky (GopStore * store, gpointer item,
    gboolean audio, guint slot, guint64 size, GopPushInfo * info);
/* Forget the current item of a slot (tags at a new stream-start, the
 * segment at a flush); no entry is stored. */
void gop_store_unset_sticky (GopStore * store, gboolean audio, guint slot);
/* Forget the current item of every slot (READY) */
void gop_store_reset_sticky (GopStore * store);
/* The current item of a slot, NULL if unset */
gpointer gop_store_get_sticky (const GopStore * store, gboolean audio,
    guint slot);
/* The items of every slot of a stream as they were when the keyframe of
 * @gop_id arrived, in slot order, NULL for unset slots (no references are
 * added). Returns FALSE when the GOP is not cached. */
gboolean gop_store_sticky_at (const GopStore * store, guint64 gop_id,
    gboolean audio, gpointer items[GOP_STICKY_SLOTS]);

/* Entry by sequence number, NULL if evicted or not yet pushed */
const GopEntry * gop_store_get (const GopStore * store, guint64 seq);
/* Sequence number the next pushed entry will get */
guint64 gop_store_next_seq (const GopStore * store);
/* Oldest cached sequence number (== next_seq when empty) */
guint64 gop_store_first_seq (const GopStore * store);

guint gop_store_n_gops (const GopStore * store);
/* Latest cached keyframe, NULL if none */
const GopEntry * gop_store_latest_keyframe (const GopStore * store);

/* Where a joiner starts: the keyframe of the oldest cached GOP (@latest
 * FALSE) or of the newest (@latest TRUE). Returns FALSE when nothing is
 * cached. @first_seq is the first entry of that GOP, which can be an audio
 * entry slightly before the keyframe that overlaps it in time. */
gboolean gop_store_join_point (const GopStore * store, gboolean latest,
    guint64 * gop_id, guint64 * first_seq);

/* Iterate the entries a joiner of @gop_id gets, in order, leaving out the
 * leading pictures of that first GOP (SKIP_ON_JOIN). @audio selects
 * GOP_FLAG_AUDIO entries (TRUE) or video entries (FALSE), sticky event
 * entries of that stream (GOP_FLAG_EVENT) included: send
 * gop_store_sticky_at() first. The callback returns FALSE to stop. Returns
 * the number of entries visited. */
typedef gboolean (*GopJoinFunc) (const GopEntry * entry, gpointer user_data);
guint gop_store_foreach_join (const GopStore * store, guint64 gop_id,
    gboolean audio, GopJoinFunc func, gpointer user_data);

const GopStats * gop_store_get_stats (GopStore * store);

/* ---------------------------------------------------------------------- */

typedef struct {
  gpointer item;
  guint64 time;                 /* DTS or PTS, GOP_TIME_NONE if unknown */
  guint64 size;
  guint flags;                  /* GOP_FLAG_* (EVENT, KEYFRAME, SKIP_ON_JOIN) */
} LagItem;

typedef struct _LagQueue LagQueue;

typedef struct {
  guint64 dropped_buffers;
  guint64 dropped_bytes;
  guint64 dropped_gops;         /* keyframes dropped, plus partial GOPs */
  guint64 lag_events;           /* times max-lag / max-bytes was exceeded */
  guint64 max_seen_lag;
} LagStats;

LagQueue * lag_queue_new (GDestroyNotify free_item);
void lag_queue_free (LagQueue * q);
/* max_lag ns (0 = no time bound), max_bytes (0 = no byte bound) */
void lag_queue_set_limits (LagQueue * q, guint64 max_lag, guint64 max_bytes);
/* Free every item; with @wait_keyframe the next buffer must be a keyframe */
void lag_queue_clear (LagQueue * q, gboolean wait_keyframe);
/* Takes ownership of @item. Returns the number of buffers dropped by this
 * push (the item itself when it was dropped, and older ones). */
guint lag_queue_push (LagQueue * q, gpointer item, guint flags, guint64 time,
    guint64 size);
gboolean lag_queue_pop (LagQueue * q, LagItem * out);
gboolean lag_queue_is_empty (const LagQueue * q);
guint lag_queue_length (const LagQueue * q);
guint64 lag_queue_bytes (const LagQueue * q);
guint64 lag_queue_lag (const LagQueue * q);
const LagStats * lag_queue_get_stats (const LagQueue * q);

G_END_DECLS

#endif /* __GOP_STORE_H__ */
