/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* srtingestsrc with real callers on 127.0.0.1: srt-live-transmit (fed
 * known bytes on its stdin), ffmpeg (H.264 in MPEG-TS), and libsrt
 * handshakes made here (an accept flood).  The element listens on a free
 * port (port=0), so that tests running at the same time do not collide.
 * Every wait is bounded (WAIT_US); every process a test starts is stopped
 * by its pid. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <srt/srt.h>

#include "lstest.h"

/* 15 s for what takes milliseconds, scaled under valgrind (where a loaded
 * machine once needed more than 15 s for an SRT handshake) */
#define WAIT_US (15 * G_USEC_PER_SEC * ls_time_scale ())
#define TS 188
#define CHUNK (7 * TS)

/* ---------------------------------------------------------------------- */
/* The pipeline: srtingestsrc, each new pad linked to a fakesink (or a
 * tsdemux) and watched by a probe */

typedef struct
{
  gchar *name;
  GstPad *pad;
  GByteArray *bytes;
  guint buffers;
  guint discont;
  guint added;
  gboolean eos;
  gboolean removed;
  gboolean pts_invalid;
  GstClockTime first_pts, last_pts;
  gint64 eos_at;
  GstCaps *caps;
} PadRec;

typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GMutex lock;
  GCond cond;
  GHashTable *pads;             /* pad name -> PadRec */
  GPtrArray *msgs;              /* GstStructure: element messages, errors */
  guint port;
  gboolean demux;               /* pads go to tsdemux ! fakesink */
  gulong pad_added_delay_us;    /* an application slow to build a branch */
  guint video_buffers;
  GstCaps *video_caps;
} Fx;

static Fx *fx;
/* the thread that holds fx->lock: a check that fails while the test
 * thread holds it must not leave it locked for the teardown */
static GThread *fx_lock_owner;

#define FX_LOCK() G_STMT_START {                                          \
    g_mutex_lock (&fx->lock);                                             \
    fx_lock_owner = g_thread_self ();                                     \
  } G_STMT_END
#define FX_UNLOCK() G_STMT_START {                                        \
    fx_lock_owner = NULL;                                                 \
    g_mutex_unlock (&fx->lock);                                           \
  } G_STMT_END

/* g_cond_wait_until on fx->cond, fx->lock held */
static gboolean
fx_cond_wait_until (gint64 end)
{
  gboolean ret;

  fx_lock_owner = NULL;
  ret = g_cond_wait_until (&fx->cond, &fx->lock, end);
  fx_lock_owner = g_thread_self ();
  return ret;
}

/* every caller process a test started, stopped by the teardown whatever
 * happened (a failed check skips the rest of the test) */
static GPtrArray *spawned;
static GPid ffmpeg_pid;

static void
pad_rec_free (PadRec * r)
{
  g_free (r->name);
  g_byte_array_unref (r->bytes);
  gst_clear_caps (&r->caps);
  gst_clear_object (&r->pad);
  g_free (r);
}

static void
record_buffer (PadRec * r, GstBuffer * buf)
{
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_byte_array_append (r->bytes, map.data, map.size);
  gst_buffer_unmap (buf, &map);
  r->buffers++;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
    r->discont++;
  if (!GST_BUFFER_PTS_IS_VALID (buf)) {
    r->pts_invalid = TRUE;
  } else {
    if (!GST_CLOCK_TIME_IS_VALID (r->first_pts))
      r->first_pts = GST_BUFFER_PTS (buf);
    r->last_pts = GST_BUFFER_PTS (buf);
  }
}

static GstPadProbeReturn
src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  PadRec *r;

  FX_LOCK ();
  r = g_hash_table_lookup (fx->pads, GST_PAD_NAME (pad));
  if (r == NULL)
    goto out;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    record_buffer (r, GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *l = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    guint i;

    for (i = 0; i < gst_buffer_list_length (l); i++)
      record_buffer (r, gst_buffer_list_get (l, i));
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      r->eos = TRUE;
      r->eos_at = g_get_monotonic_time ();
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;

      gst_event_parse_caps (ev, &caps);
      gst_caps_replace (&r->caps, caps);
    }
  }
  g_cond_broadcast (&fx->cond);
out:
  FX_UNLOCK ();
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
video_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  FX_LOCK ();
  fx->video_buffers++;
  g_cond_broadcast (&fx->cond);
  FX_UNLOCK ();
  return GST_PAD_PROBE_OK;
}

static void
demux_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstElement *sink;
  GstPad *sinkpad;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (!g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps,
                  0)), "video/")) {
    gst_caps_unref (caps);
    return;
  }
  FX_LOCK ();
  gst_caps_replace (&fx->video_caps, caps);
  FX_UNLOCK ();
  gst_caps_unref (caps);

  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (fx->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, video_probe, NULL,
      NULL);
  gst_object_unref (sinkpad);
}

static void
src_pad_added (GstElement * src, GstPad * pad, gpointer user_data)
{
  GstElement *sink;
  GstPad *sinkpad;
  PadRec *r;

  if (fx->pad_added_delay_us)
    g_usleep (fx->pad_added_delay_us);
  FX_LOCK ();
  r = g_hash_table_lookup (fx->pads, GST_PAD_NAME (pad));
  if (r == NULL) {
    r = g_new0 (PadRec, 1);
    r->name = g_strdup (GST_PAD_NAME (pad));
    r->bytes = g_byte_array_new ();
    r->first_pts = r->last_pts = GST_CLOCK_TIME_NONE;
    g_hash_table_insert (fx->pads, r->name, r);
  } else {
    /* a new pad of the same name: a new stream */
    g_byte_array_set_size (r->bytes, 0);
    r->eos = r->removed = FALSE;
    r->buffers = r->discont = 0;
  }
  r->added++;
  gst_object_replace ((GstObject **) & r->pad, GST_OBJECT (pad));
  g_cond_broadcast (&fx->cond);
  FX_UNLOCK ();

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      src_probe, NULL, NULL);

  if (fx->demux) {
    GstElement *q = gst_element_factory_make ("queue", NULL);
    GstElement *demux = gst_element_factory_make ("tsdemux", NULL);

    g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad_added), NULL);
    gst_bin_add_many (GST_BIN (fx->pipeline), q, demux, NULL);
    fail_unless (gst_element_link (q, demux));
    gst_element_sync_state_with_parent (demux);
    gst_element_sync_state_with_parent (q);
    sinkpad = gst_element_get_static_pad (q, "sink");
  } else {
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (fx->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    sinkpad = gst_element_get_static_pad (sink, "sink");
  }
  fail_unless_equals_int (gst_pad_link (pad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (sinkpad);
}

static void
src_pad_removed (GstElement * src, GstPad * pad, gpointer user_data)
{
  PadRec *r;

  FX_LOCK ();
  r = g_hash_table_lookup (fx->pads, GST_PAD_NAME (pad));
  if (r != NULL)
    r->removed = TRUE;
  g_cond_broadcast (&fx->cond);
  FX_UNLOCK ();
}

static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  const GstStructure *s = NULL;
  GstStructure *copy = NULL;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
      GST_MESSAGE_SRC (msg) == GST_OBJECT (fx->src)) {
    s = gst_message_get_structure (msg);
    copy = gst_structure_copy (s);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    copy = gst_structure_new ("error", "message", G_TYPE_STRING, err->message,
        "debug", G_TYPE_STRING, dbg ? dbg : "", NULL);
    GST_INFO ("error: %s (%s)", err->message, dbg);
    g_clear_error (&err);
    g_free (dbg);
  }
  if (copy) {
    FX_LOCK ();
    g_ptr_array_add (fx->msgs, copy);
    g_cond_broadcast (&fx->cond);
    FX_UNLOCK ();
  }
  /* a sync handler that drops a message unrefs it */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

static void
fx_setup (void)
{
  GstBus *bus;

  fx = g_new0 (Fx, 1);
  g_mutex_init (&fx->lock);
  g_cond_init (&fx->cond);
  fx->pads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) pad_rec_free);
  fx->msgs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  fx->pipeline = gst_pipeline_new (NULL);
  fx->src = gst_element_factory_make ("srtingestsrc", "src");
  fail_unless (fx->src != NULL);
  g_object_set (fx->src, "port", 0, NULL);
  gst_bin_add (GST_BIN (fx->pipeline), fx->src);
  g_signal_connect (fx->src, "pad-added", G_CALLBACK (src_pad_added), NULL);
  g_signal_connect (fx->src, "pad-removed", G_CALLBACK (src_pad_removed), NULL);
  bus = gst_element_get_bus (fx->pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, NULL, NULL);
  gst_object_unref (bus);
}

static void
fx_play (void)
{
  fail_unless (gst_element_set_state (fx->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (fx->src, "bound-port", &fx->port, NULL);
  fail_unless (fx->port > 0);
}

static void
fx_teardown (void)
{
  GstBus *bus;

  gst_element_set_state (fx->pipeline, GST_STATE_NULL);
  bus = gst_element_get_bus (fx->pipeline);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (fx->pipeline);
  g_hash_table_destroy (fx->pads);
  g_ptr_array_unref (fx->msgs);
  gst_clear_caps (&fx->video_caps);
  g_mutex_clear (&fx->lock);
  g_cond_clear (&fx->cond);
  g_free (fx);
  fx = NULL;
}

/* ---------------------------------------------------------------------- */
/* Waiting, bounded */

typedef gboolean (*FxPredicate) (gconstpointer a, gconstpointer b);

/* Waits (fx->lock held by the caller) until @pred or @timeout_us */
static gboolean
fx_wait_locked (FxPredicate pred, gconstpointer a, gconstpointer b,
    gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;

  while (!pred (a, b)) {
    if (!fx_cond_wait_until (end))
      return pred (a, b);
  }
  return TRUE;
}

static gboolean
fx_wait (FxPredicate pred, gconstpointer a, gconstpointer b, gint64 timeout)
{
  gboolean ok;

  FX_LOCK ();
  ok = fx_wait_locked (pred, a, b, timeout);
  FX_UNLOCK ();
  return ok;
}

static gboolean
pred_pad (gconstpointer name, gconstpointer unused)
{
  return g_hash_table_lookup (fx->pads, name) != NULL;
}

static gboolean
pred_eos (gconstpointer name, gconstpointer unused)
{
  PadRec *r = g_hash_table_lookup (fx->pads, name);

  return r != NULL && r->eos;
}

static gboolean
pred_removed (gconstpointer name, gconstpointer unused)
{
  PadRec *r = g_hash_table_lookup (fx->pads, name);

  return r != NULL && r->removed;
}

static gboolean
pred_bytes (gconstpointer name, gconstpointer n)
{
  PadRec *r = g_hash_table_lookup (fx->pads, name);

  return r != NULL && r->bytes->len >= *(const guint *) n;
}

static gboolean
pred_video (gconstpointer n, gconstpointer unused)
{
  return fx->video_buffers >= *(const guint *) n;
}

/* The first element message named @name (whose "name" field is @stream,
 * if not NULL) after the first @skip such */
static const GstStructure *
find_msg_locked (const gchar * name, const gchar * stream, guint skip)
{
  guint i;

  for (i = 0; i < fx->msgs->len; i++) {
    const GstStructure *s = g_ptr_array_index (fx->msgs, i);

    if (!gst_structure_has_name (s, name))
      continue;
    if (stream && g_strcmp0 (gst_structure_get_string (s, "name"), stream))
      continue;
    if (skip-- == 0)
      return s;
  }
  return NULL;
}

static gboolean
pred_msg (gconstpointer name, gconstpointer stream)
{
  return find_msg_locked (name, stream, 0) != NULL;
}

/* A copy of the message, NULL if none came in time */
static GstStructure *
wait_msg (const gchar * name, const gchar * stream)
{
  GstStructure *s = NULL;

  FX_LOCK ();
  if (fx_wait_locked (pred_msg, name, stream, WAIT_US))
    s = gst_structure_copy (find_msg_locked (name, stream, 0));
  FX_UNLOCK ();
  return s;
}

static guint
count_msgs (const gchar * name, const gchar * field, const gchar * value)
{
  guint i, n = 0;

  FX_LOCK ();
  for (i = 0; i < fx->msgs->len; i++) {
    const GstStructure *s = g_ptr_array_index (fx->msgs, i);

    if (gst_structure_has_name (s, name) && (field == NULL ||
            !g_strcmp0 (gst_structure_get_string (s, field), value)))
      n++;
  }
  FX_UNLOCK ();
  return n;
}

/* Waits until @n messages named @name (with @field = @value) came */
static guint
wait_msgs (const gchar * name, const gchar * field, const gchar * value,
    guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_US;
  guint got;

  while ((got = count_msgs (name, field, value)) < n &&
      g_get_monotonic_time () < end)
    g_usleep (10 * 1000);
  return got;
}

static guint64
stat_u64 (const gchar * field)
{
  GstStructure *s;
  guint64 v = 0;

  g_object_get (fx->src, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

static guint
stat_uint (const gchar * field)
{
  GstStructure *s;
  guint v = 0;

  g_object_get (fx->src, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

/* Polls stats until @field >= @min or @timeout_us */
static guint64
wait_stat (const gchar * field, guint64 min, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  guint64 v;

  while ((v = stat_u64 (field)) < min && g_get_monotonic_time () < end)
    g_usleep (20 * 1000);
  return v;
}

/* The stats of one stream (a copy), or NULL */
static GstStructure *
caller_stats (const gchar * name)
{
  GstStructure *s, *c = NULL;
  const GValue *v;

  guint i;

  g_object_get (fx->src, "stats", &s, NULL);
  v = gst_structure_get_value (s, "callers");
  fail_unless (v != NULL && GST_VALUE_HOLDS_ARRAY (v));
  for (i = 0; i < gst_value_array_get_size (v); i++) {
    const GstStructure *e =
        gst_value_get_structure (gst_value_array_get_value (v, i));

    fail_unless (gst_structure_has_name (e, "stream"));
    if (!g_strcmp0 (gst_structure_get_string (e, "id"), name))
      c = gst_structure_copy (e);
  }
  gst_structure_free (s);
  return c;
}

/* ---------------------------------------------------------------------- */
/* Callers: srt-live-transmit fed on stdin */

typedef struct
{
  GPid pid;
  gint in_fd;
  guint32 id;                   /* stamped in every packet */
  guint32 next;                 /* next packet number */
  guint64 sent;
} Slt;

/* Packet @n of caller @id: sync byte, id, number, a pattern */
static void
make_packet (guint8 * p, guint32 id, guint32 n)
{
  guint i;

  p[0] = 0x47;
  GST_WRITE_UINT32_BE (p + 1, id);
  GST_WRITE_UINT32_BE (p + 5, n);
  for (i = 9; i < TS; i++)
    p[i] = (guint8) (id * 31 + n * 7 + i);
}

static GByteArray *
expected_bytes (guint32 id, guint32 from, guint32 count)
{
  GByteArray *a = g_byte_array_sized_new (count * TS);
  guint8 p[TS];
  guint32 n;

  for (n = from; n < from + count; n++) {
    make_packet (p, id, n);
    g_byte_array_append (a, p, TS);
  }
  return a;
}

static Slt *
slt_start (guint port, const gchar * stream_id, const gchar * passphrase,
    guint32 id)
{
  Slt *c = g_new0 (Slt, 1);
  GString *uri = g_string_new (NULL);
  GError *err = NULL;
  gchar *argv[9];

  g_string_printf (uri, "srt://127.0.0.1:%u?latency=120", port);
  if (stream_id)
    g_string_append_printf (uri, "&streamid=%s", stream_id);
  if (passphrase)
    g_string_append_printf (uri, "&passphrase=%s", passphrase);
  argv[0] = (gchar *) "srt-live-transmit";
  argv[1] = (gchar *) "-q";
  argv[2] = (gchar *) "-a:no";
  argv[3] = (gchar *) "-chunk:1316";
  /* it ends itself after 90 s, should all else fail */
  argv[4] = (gchar *) "-t:90";
  argv[5] = (gchar *) "file://con";
  argv[6] = uri->str;
  argv[7] = NULL;
  fail_unless (g_spawn_async_with_pipes (NULL, argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
          &c->pid, &c->in_fd, NULL, NULL, &err), "%s", err ? err->message : "");
  g_string_free (uri, TRUE);
  c->id = id;
  if (spawned == NULL)
    spawned = g_ptr_array_new ();
  g_ptr_array_add (spawned, c);
  return c;
}

/* @writes chunks of 7 packets from each caller, one chunk every 2 ms
 * (about 5 Mbit/s per caller) */
static void
slt_send (Slt ** callers, guint n_callers, guint writes)
{
  guint8 chunk[CHUNK];
  guint w, i, k;

  for (w = 0; w < writes; w++) {
    for (i = 0; i < n_callers; i++) {
      Slt *c = callers[i];

      for (k = 0; k < 7; k++)
        make_packet (chunk + k * TS, c->id, c->next++);
      /* one write of less than PIPE_BUF: srt-live-transmit reads it whole
       * as one SRT message */
      fail_unless_equals_int (write (c->in_fd, chunk, CHUNK), CHUNK);
      c->sent += CHUNK;
    }
    g_usleep (2000);
  }
}

/* Ends a caller: EOF on its input, then SIGINT (srt-live-transmit closes
 * its SRT socket cleanly), SIGKILL after 5 s.  Only this pid. */
static void
slt_stop (Slt * c)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gint status;

  if (c->pid == 0)
    return;
  if (c->in_fd >= 0)
    close (c->in_fd);
  c->in_fd = -1;
  kill (c->pid, SIGINT);
  while (waitpid (c->pid, &status, WNOHANG) == 0) {
    if (g_get_monotonic_time () > end) {
      kill (c->pid, SIGKILL);
      waitpid (c->pid, &status, 0);
      break;
    }
    g_usleep (10 * 1000);
  }
  g_spawn_close_pid (c->pid);
  c->pid = 0;
}

static void
slt_free (Slt * c)
{
  slt_stop (c);
  if (spawned)
    g_ptr_array_remove (spawned, c);
  g_free (c);
}

/* Waits for @pid at most @timeout_us, then kills it: only this pid */
static void
reap (GPid pid, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  gint status;

  while (waitpid (pid, &status, WNOHANG) == 0) {
    if (g_get_monotonic_time () > end) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      break;
    }
    g_usleep (20 * 1000);
  }
  g_spawn_close_pid (pid);
}

/* The checked teardown: the pipeline stops (libsrt must never be left
 * with a listening socket at exit: its destructor can deadlock on one),
 * every process a test started ends. */
static void
cleanup (void)
{
  if (fx && fx_lock_owner == g_thread_self ())
    FX_UNLOCK ();
  if (fx)
    fx_teardown ();
  while (spawned && spawned->len > 0)
    slt_free (g_ptr_array_index (spawned, spawned->len - 1));
  if (ffmpeg_pid) {
    kill (ffmpeg_pid, SIGINT);
    reap (ffmpeg_pid, 5 * G_USEC_PER_SEC);
    ffmpeg_pid = 0;
  }
}

static void
check_bytes (const gchar * pad, guint32 id, guint32 from, guint32 count)
{
  GByteArray *want = expected_bytes (id, from, count);
  PadRec *r;

  FX_LOCK ();
  r = g_hash_table_lookup (fx->pads, pad);
  fail_unless (r != NULL, "no pad %s", pad);
  fail_unless_equals_int (r->bytes->len, want->len);
  fail_unless (memcmp (r->bytes->data, want->data, want->len) == 0,
      "%s: bytes differ", pad);
  FX_UNLOCK ();
  g_byte_array_unref (want);
}

/* Waits for the pad to have @bytes bytes */
static void
wait_bytes (const gchar * pad, guint bytes)
{
  fail_unless (fx_wait (pred_bytes, pad, &bytes, WAIT_US),
      "%s: fewer than %u bytes", pad, bytes);
}

/* ---------------------------------------------------------------------- */
/* Tests */

GST_START_TEST (test_settings_and_errors)
{
  GstElement *src = gst_element_factory_make ("srtingestsrc", NULL);
  GstElement *other;
  GSocket *udp;
  GSocketAddress *addr;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *s, *dbg = NULL;
  guint port, latency, max;
  GstStructure *stats;

  /* the URI sets the listening address, port and parameters */
  g_object_set (src, "uri",
      "srt://127.0.0.1:7001?latency=300&max-callers=7&mode=listener", NULL);
  g_object_get (src, "address", &s, "port", &port, "latency", &latency,
      "max-callers", &max, NULL);
  fail_unless_equals_string (s, "127.0.0.1");
  fail_unless_equals_int (port, 7001);
  fail_unless_equals_int (latency, 300);
  fail_unless_equals_int (max, 7);
  g_free (s);
  g_object_get (src, "uri", &s, NULL);
  fail_unless_equals_string (s, "srt://127.0.0.1:7001?latency=300");
  g_free (s);
  /* a caller-mode URI is refused, nothing changes */
  g_object_set (src, "uri", "srt://10.0.0.1:9?mode=caller", NULL);
  g_object_get (src, "port", &port, NULL);
  fail_unless_equals_int (port, 7001);
  /* the passphrase is never read back */
  g_object_set (src, "uri", "srt://:7002?passphrase=0123456789", NULL);
  g_object_get (src, "uri", &s, "address", &dbg, NULL);
  fail_unless (strstr (s, "0123456789") == NULL);
  fail_unless_equals_string (dbg, "0.0.0.0");
  g_free (s);
  g_free (dbg);
  dbg = NULL;

  /* stats before start */
  g_object_get (src, "stats", &stats, NULL);
  fail_unless (gst_structure_has_name (stats,
          "application/x-srtingestsrc-stats"));
  fail_unless (gst_structure_has_field_typed (stats, "callers",
          GST_TYPE_ARRAY));
  gst_structure_free (stats);

  /* a passphrase too short: an error naming it */
  bus = gst_bus_new ();
  gst_element_set_bus (src, bus);
  g_object_set (src, "address", "127.0.0.1", "port", 0, "passphrase", "short",
      NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "passphrase") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);

  /* a port in use (a UDP socket of ours): an error naming it */
  udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  addr = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  fail_unless (g_socket_bind (udp, addr, FALSE, NULL));
  g_object_unref (addr);
  addr = g_socket_get_local_address (udp, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
  g_object_unref (addr);
  g_object_set (src, "passphrase", "", "port", port, NULL);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, &dbg);
  s = g_strdup_printf ("127.0.0.1:%u: the port is in use", port);
  fail_unless (strstr (err->message, s) != NULL, "%s", err->message);
  g_free (s);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);
  g_object_unref (udp);

  /* two elements on one port in one process */
  g_object_set (src, "port", 0, NULL);
  fail_unless (gst_element_set_state (src, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_NO_PREROLL);
  g_object_get (src, "bound-port", &port, NULL);
  fail_unless (port > 0);
  other = gst_element_factory_make ("srtingestsrc", NULL);
  gst_element_set_bus (other, bus);
  g_object_set (other, "address", "127.0.0.1", "port", port, NULL);
  fail_unless_equals_int (gst_element_set_state (other, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "in use") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (other, GST_STATE_NULL);

  gst_element_set_state (src, GST_STATE_NULL);
  g_object_get (src, "bound-port", &port, NULL);
  fail_unless_equals_int (port, 0);
  /* queued messages hold the elements, the elements the bus */
  gst_bus_set_flushing (bus, TRUE);
  gst_element_set_bus (src, NULL);
  gst_element_set_bus (other, NULL);
  gst_object_unref (other);
  gst_object_unref (src);
  gst_object_unref (bus);
}

GST_END_TEST;

/* Three callers at once, each on its own pad with its own bytes */
GST_START_TEST (test_callers_bytes)
{
  Slt *c[3];
  const gchar *pads[3] = { "src_cam1", "src_cam2", "src_live_cam_3" };
  GstStructure *s, *cs;
  GstQuery *q;
  gboolean live;
  GstClockTime min, max;
  guint i, packets;
  gint latency;
  GstCaps *ts_caps;

  fx_setup ();
  fx_play ();
  c[0] = slt_start (fx->port, "cam1", NULL, 1);
  c[1] = slt_start (fx->port, "#!::r=cam2,m=publish", NULL, 2);
  c[2] = slt_start (fx->port, "live/cam 3", NULL, 3);
  for (i = 0; i < 3; i++)
    fail_unless (fx_wait (pred_pad, pads[i], NULL, WAIT_US), "no %s", pads[i]);

  s = wait_msg ("srtingestsrc-caller-added", "cam2");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "pad"), "src_cam2");
  fail_unless_equals_string (gst_structure_get_string (s, "stream-id"),
      "#!::r=cam2,m=publish");
  fail_unless (g_str_has_prefix (gst_structure_get_string (s, "address"),
          "127.0.0.1:"));
  fail_unless (gst_structure_get_int (s, "latency-ms", &latency));
  fail_unless (latency >= 120);
  gst_structure_free (s);

  slt_send (c, 3, 300);
  packets = 300 * 7;
  for (i = 0; i < 3; i++)
    wait_bytes (pads[i], packets * TS);
  for (i = 0; i < 3; i++)
    check_bytes (pads[i], i + 1, 0, packets);

  ts_caps = gst_caps_from_string ("video/mpegts, systemstream=(boolean)true, "
      "packetsize=(int)188");
  FX_LOCK ();
  for (i = 0; i < 3; i++) {
    PadRec *r = g_hash_table_lookup (fx->pads, pads[i]);

    fail_unless (r->caps != NULL);
    fail_unless (gst_caps_is_equal (r->caps, ts_caps));
    /* running times on the pipeline clock, moving on */
    fail_if (r->pts_invalid);
    fail_unless (r->last_pts > r->first_pts);
    /* the first buffer starts a stream */
    fail_unless (r->discont >= 1);
    fail_unless_equals_int (r->added, 1);
    fail_if (r->eos);
  }
  FX_UNLOCK ();
  gst_caps_unref (ts_caps);

  /* a pad's latency is its caller's SRT latency */
  q = gst_query_new_latency ();
  {
    GstPad *pad = gst_element_get_static_pad (fx->src, "src_cam1");

    fail_unless (gst_pad_query (pad, q));
    gst_object_unref (pad);
  }
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless (min >= 120 * GST_MSECOND && min <= 125 * GST_MSECOND, "%"
      GST_TIME_FORMAT, GST_TIME_ARGS (min));
  gst_query_unref (q);

  /* stats: counters and one structure per stream, keyed by name */
  fail_unless_equals_int (stat_u64 ("callers-accepted"), 3);
  fail_unless_equals_int (stat_u64 ("refused"), 0);
  cs = caller_stats ("live_cam_3");
  fail_unless (cs != NULL);
  fail_unless_equals_string (gst_structure_get_string (cs, "pad"),
      "src_live_cam_3");
  fail_unless_equals_string (gst_structure_get_string (cs, "stream-id"),
      "live/cam 3");
  fail_unless_equals_string (gst_structure_get_string (cs, "state"),
      "connected");
  {
    guint64 v;
    gdouble d;
    gint ms;

    fail_unless (gst_structure_get_uint64 (cs, "bytes-pushed", &v));
    fail_unless_equals_int (v, packets * TS);
    fail_unless (gst_structure_get_uint64 (cs, "packets-received", &v));
    fail_unless (v >= 300, "%" G_GUINT64_FORMAT, v);
    fail_unless (gst_structure_get_uint64 (cs, "packets-lost", &v));
    fail_unless (gst_structure_get_uint64 (cs, "packets-retransmitted", &v));
    fail_unless (gst_structure_get_uint64 (cs, "packets-dropped", &v));
    fail_unless_equals_int (v, 0);
    fail_unless (gst_structure_get_uint64 (cs, "non-ts-messages", &v));
    fail_unless_equals_int (v, 0);
    fail_unless (gst_structure_get_double (cs, "rtt-ms", &d));
    fail_unless (d >= 0.0);
    fail_unless (gst_structure_get_int (cs, "receive-buffer-ms", &ms));
    fail_unless (gst_structure_get_uint64 (cs, "bitrate", &v));
    fail_unless (gst_structure_get_uint64 (cs, "connected-for", &v));
    fail_unless (v > 0);
  }
  gst_structure_free (cs);

  for (i = 0; i < 3; i++)
    slt_free (c[i]);
  for (i = 0; i < 3; i++)
    fail_unless (fx_wait (pred_eos, pads[i], NULL, WAIT_US), "%s: no EOS",
        pads[i]);
  fx_teardown ();
}

GST_END_TEST;

/* A caller that leaves ends its own pad; the others go on */
GST_START_TEST (test_caller_leaves)
{
  Slt *c[2];
  GstStructure *s;
  guint64 grace = 1;
  guint n;

  fx_setup ();
  fx_play ();
  c[0] = slt_start (fx->port, "a", NULL, 10);
  c[1] = slt_start (fx->port, "b", NULL, 11);
  fail_unless (fx_wait (pred_pad, "src_a", NULL, WAIT_US));
  fail_unless (fx_wait (pred_pad, "src_b", NULL, WAIT_US));
  slt_send (c, 2, 100);
  wait_bytes ("src_a", 700 * TS);
  wait_bytes ("src_b", 700 * TS);

  slt_stop (c[0]);
  fail_unless (fx_wait (pred_eos, "src_a", NULL, WAIT_US));
  fail_unless (fx_wait (pred_removed, "src_a", NULL, WAIT_US));
  check_bytes ("src_a", 10, 0, 700);

  s = wait_msg ("srtingestsrc-caller-removed", "a");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "disconnected");
  fail_unless (gst_structure_get_uint64 (s, "grace", &grace));
  fail_unless_equals_int (grace, 0);
  fail_unless (gst_structure_has_field_typed (s, "stats", GST_TYPE_STRUCTURE));
  gst_structure_free (s);
  s = wait_msg ("srtingestsrc-stream-ended", "a");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "disconnected");
  gst_structure_free (s);

  /* b goes on */
  slt_send (&c[1], 1, 100);
  wait_bytes ("src_b", 1400 * TS);
  check_bytes ("src_b", 11, 0, 1400);
  FX_LOCK ();
  fail_if (((PadRec *) g_hash_table_lookup (fx->pads, "src_b"))->eos);
  FX_UNLOCK ();
  fail_unless_equals_int (stat_u64 ("callers-disconnected"), 1);
  fail_unless_equals_int (stat_u64 ("streams-ended"), 1);
  fail_unless (caller_stats ("a") == NULL);

  /* the name is free again: a new caller gets a new pad */
  slt_free (c[0]);
  c[0] = slt_start (fx->port, "a", NULL, 12);
  fail_unless (fx_wait (pred_pad, "src_a", NULL, WAIT_US));
  FX_LOCK ();
  n = ((PadRec *) g_hash_table_lookup (fx->pads, "src_a"))->added;
  FX_UNLOCK ();
  {
    gint64 end = g_get_monotonic_time () + WAIT_US;

    while (n < 2 && g_get_monotonic_time () < end) {
      g_usleep (10000);
      FX_LOCK ();
      n = ((PadRec *) g_hash_table_lookup (fx->pads, "src_a"))->added;
      FX_UNLOCK ();
    }
  }
  fail_unless_equals_int (n, 2);
  slt_send (&c[0], 1, 20);
  wait_bytes ("src_a", 140 * TS);
  check_bytes ("src_a", 12, 0, 140);

  slt_free (c[0]);
  slt_free (c[1]);
  fx_teardown ();
}

GST_END_TEST;

/* A caller that comes back within the grace period continues its pad */
GST_START_TEST (test_grace_reconnect)
{
  Slt *c;
  GstStructure *s;
  guint64 grace = 0;
  gboolean resumed = FALSE;
  PadRec *r;
  guint discont;

  fx_setup ();
  g_object_set (fx->src, "grace-period", 5 * GST_SECOND, NULL);
  fx_play ();

  c = slt_start (fx->port, "g1", NULL, 20);
  fail_unless (fx_wait (pred_pad, "src_g1", NULL, WAIT_US));
  slt_send (&c, 1, 50);
  wait_bytes ("src_g1", 350 * TS);
  slt_free (c);

  s = wait_msg ("srtingestsrc-caller-removed", "g1");
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, "grace", &grace));
  fail_unless (grace > 4 * GST_SECOND && grace <= 5 * GST_SECOND);
  gst_structure_free (s);
  s = caller_stats ("g1");
  fail_unless_equals_string (gst_structure_get_string (s, "state"), "grace");
  gst_structure_free (s);

  /* the same stream id again: the same pad, no EOS in between */
  c = slt_start (fx->port, "#!::r=g1,m=publish", NULL, 20);
  c->next = 350;
  FX_LOCK ();
  fail_unless (fx_wait_locked (pred_msg, "srtingestsrc-caller-added", "g1",
          WAIT_US));
  FX_UNLOCK ();
  {
    gint64 end = g_get_monotonic_time () + WAIT_US;
    const GstStructure *m = NULL;

    FX_LOCK ();
    while ((m = find_msg_locked ("srtingestsrc-caller-added", "g1", 1)) ==
        NULL && g_get_monotonic_time () < end) {
      fx_cond_wait_until (end);
    }
    fail_unless (m != NULL);
    fail_unless (gst_structure_get_boolean (m, "resumed", &resumed));
    FX_UNLOCK ();
  }
  fail_unless (resumed);
  slt_send (&c, 1, 50);
  wait_bytes ("src_g1", 700 * TS);
  check_bytes ("src_g1", 20, 0, 700);

  FX_LOCK ();
  r = g_hash_table_lookup (fx->pads, "src_g1");
  fail_unless_equals_int (r->added, 1);
  fail_if (r->eos);
  fail_if (r->removed);
  discont = r->discont;
  FX_UNLOCK ();
  /* the start and the resume are marked */
  fail_unless (discont >= 2, "%u", discont);
  fail_unless_equals_int (stat_u64 ("callers-resumed"), 1);
  s = caller_stats ("g1");
  {
    guint connections;
    guint64 pushed;

    fail_unless (gst_structure_get_uint (s, "connections", &connections));
    fail_unless_equals_int (connections, 2);
    fail_unless (gst_structure_get_uint64 (s, "bytes-pushed", &pushed));
    fail_unless_equals_int (pushed, 700 * TS);
  }
  gst_structure_free (s);

  /* gone for good: EOS once the grace period is over, not before */
  g_object_set (fx->src, "grace-period", GST_SECOND, NULL);
  slt_free (c);
  s = wait_msg ("srtingestsrc-stream-ended", "g1");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "grace-expired");
  gst_structure_free (s);
  FX_LOCK ();
  {
    const GstStructure *m =
        find_msg_locked ("srtingestsrc-caller-removed", "g1", 1);
    guint64 g = 0;

    fail_unless (m != NULL);
    fail_unless (gst_structure_get_uint64 (m, "grace", &g));
    fail_unless (g > GST_SECOND / 2 && g <= GST_SECOND);
  }
  r = g_hash_table_lookup (fx->pads, "src_g1");
  fail_unless (r->eos);
  FX_UNLOCK ();
  fail_unless (fx_wait (pred_removed, "src_g1", NULL, WAIT_US));
  fx_teardown ();
}

GST_END_TEST;

/* remove-caller ends one stream now; an EOS event ends all */
GST_START_TEST (test_remove_and_eos)
{
  Slt *c[3];
  gboolean ret = FALSE;
  GstStructure *s;

  fx_setup ();
  g_object_set (fx->src, "grace-period", 30 * GST_SECOND, NULL);
  fx_play ();
  c[0] = slt_start (fx->port, "r1", NULL, 30);
  c[1] = slt_start (fx->port, "r2", NULL, 31);
  c[2] = slt_start (fx->port, "r3", NULL, 32);
  fail_unless (fx_wait (pred_pad, "src_r1", NULL, WAIT_US));
  fail_unless (fx_wait (pred_pad, "src_r2", NULL, WAIT_US));
  fail_unless (fx_wait (pred_pad, "src_r3", NULL, WAIT_US));
  slt_send (c, 3, 20);
  wait_bytes ("src_r1", 140 * TS);

  g_signal_emit_by_name (fx->src, "remove-caller", "r1", &ret);
  fail_unless (ret);
  g_signal_emit_by_name (fx->src, "remove-caller", "nope", &ret);
  fail_if (ret);
  /* despite the grace period */
  fail_unless (fx_wait (pred_eos, "src_r1", NULL, WAIT_US));
  s = wait_msg ("srtingestsrc-caller-removed", "r1");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"), "removed");
  gst_structure_free (s);
  s = wait_msg ("srtingestsrc-stream-ended", "r1");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"), "removed");
  gst_structure_free (s);
  /* its caller was disconnected */
  s = caller_stats ("r1");
  fail_unless (s == NULL || g_strcmp0 (gst_structure_get_string (s, "state"),
          "connected") != 0);
  if (s)
    gst_structure_free (s);

  /* the others are untouched; EOS on the element ends them all */
  wait_bytes ("src_r2", 140 * TS);
  fail_unless (gst_element_send_event (fx->src, gst_event_new_eos ()));
  fail_unless (fx_wait (pred_eos, "src_r2", NULL, WAIT_US));
  fail_unless (fx_wait (pred_eos, "src_r3", NULL, WAIT_US));
  s = wait_msg ("srtingestsrc-stream-ended", "r3");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"), "eos");
  gst_structure_free (s);
  check_bytes ("src_r3", 32, 0, 140);

  slt_free (c[0]);
  slt_free (c[1]);
  slt_free (c[2]);
  fx_teardown ();
}

GST_END_TEST;

/* duplicate-policy=replace: a second caller with a connected stream id
 * takes over its pad */
GST_START_TEST (test_replace)
{
  Slt *a, *b;
  GstStructure *s;
  gboolean replaced = FALSE;
  PadRec *r;
  guint discont;

  fx_setup ();
  g_object_set (fx->src, "duplicate-policy", 1, NULL);
  fx_play ();
  a = slt_start (fx->port, "rep", NULL, 90);
  fail_unless (fx_wait (pred_pad, "src_rep", NULL, WAIT_US));
  slt_send (&a, 1, 30);
  wait_bytes ("src_rep", 210 * TS);

  /* the encoder restarted: its old connection is still up */
  b = slt_start (fx->port, "rep", NULL, 90);
  b->next = 210;
  {
    gint64 end = g_get_monotonic_time () + WAIT_US;
    const GstStructure *m = NULL;

    FX_LOCK ();
    while ((m = find_msg_locked ("srtingestsrc-caller-added", "rep", 1)) ==
        NULL && g_get_monotonic_time () < end)
      fx_cond_wait_until (end);
    fail_unless (m != NULL);
    fail_unless (gst_structure_get_boolean (m, "replaced", &replaced));
    FX_UNLOCK ();
  }
  fail_unless (replaced);
  s = wait_msg ("srtingestsrc-caller-removed", "rep");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "replaced");
  /* the address of the caller that went */
  fail_unless (g_str_has_prefix (gst_structure_get_string (s, "address"),
          "127.0.0.1:"));
  gst_structure_free (s);

  /* the new caller's bytes follow on the same pad */
  slt_send (&b, 1, 30);
  wait_bytes ("src_rep", 420 * TS);
  check_bytes ("src_rep", 90, 0, 420);
  FX_LOCK ();
  r = g_hash_table_lookup (fx->pads, "src_rep");
  fail_unless_equals_int (r->added, 1);
  fail_if (r->eos);
  discont = r->discont;
  FX_UNLOCK ();
  fail_unless (discont >= 2, "%u", discont);
  fail_unless_equals_int (stat_u64 ("callers-replaced"), 1);
  fail_unless_equals_int (stat_u64 ("callers-accepted"), 1);
  fail_unless_equals_int (stat_uint ("callers-connected"), 1);

  slt_free (a);
  slt_free (b);
  fail_unless (fx_wait (pred_eos, "src_rep", NULL, WAIT_US));
  fx_teardown ();
}

GST_END_TEST;

/* Stopping while a caller streams and another pad waits in its grace
 * period, again and again: quick, and it listens again each time */
GST_START_TEST (test_stop_while_busy)
{
  guint cycle;

  fx_setup ();
  g_object_set (fx->src, "grace-period", 60 * GST_SECOND, NULL);
  for (cycle = 0; cycle < 4; cycle++) {
    Slt *c[2];
    gint64 t0;
    gchar *pad;

    fx_play ();
    c[0] = slt_start (fx->port, "busy", NULL, 100 + cycle);
    c[1] = slt_start (fx->port, "gone", NULL, 110 + cycle);
    fail_unless (fx_wait (pred_pad, "src_busy", NULL, WAIT_US));
    fail_unless (fx_wait (pred_pad, "src_gone", NULL, WAIT_US));
    slt_send (c, 2, 20);
    pad = g_strdup ("src_gone");
    wait_bytes (pad, 140 * TS);
    slt_stop (c[1]);
    fail_unless (wait_stat ("callers-disconnected", 1, WAIT_US) >= 1);
    fail_unless_equals_int (stat_uint ("streams-in-grace"), 1);
    slt_send (c, 1, 10);

    /* the pads go with the state change, no EOS, in well under a second
     * (the tasks notice within 0.1 s) */
    t0 = g_get_monotonic_time ();
    fail_unless_equals_int (gst_element_set_state (fx->pipeline,
            GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
    fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC, "%"
        G_GINT64_FORMAT " us", g_get_monotonic_time () - t0);
    fail_unless (fx_wait (pred_removed, "src_busy", NULL, WAIT_US));
    fail_unless (fx_wait (pred_removed, "src_gone", NULL, WAIT_US));
    g_object_get (fx->src, "bound-port", &fx->port, NULL);
    fail_unless_equals_int (fx->port, 0);
    g_free (pad);
    slt_free (c[0]);
    slt_free (c[1]);
    FX_LOCK ();
    g_hash_table_remove_all (fx->pads);
    FX_UNLOCK ();
  }
  fx_teardown ();
}

GST_END_TEST;

/* Start and stop again and again (LS_STRESS_CYCLES, 20 by default): it
 * listens each time and stops within a second */
GST_START_TEST (test_state_cycles)
{
  const gchar *env = g_getenv ("LS_STRESS_CYCLES");
  guint cycles = env ? MIN (atoi (env), 200) : 20, i;

  fx_setup ();
  for (i = 0; i < cycles; i++) {
    gint64 t0;
    GstStateChangeReturn ret;

    fx_play ();
    fail_unless (fx->port > 0);
    t0 = g_get_monotonic_time ();
    ret = gst_element_set_state (fx->pipeline, i % 2 ? GST_STATE_NULL :
        GST_STATE_READY);
    fail_unless_equals_int (ret, GST_STATE_CHANGE_SUCCESS);
    fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC);
  }
  fx_teardown ();
}

GST_END_TEST;

/* Beyond max-callers: refused and counted */
GST_START_TEST (test_max_callers)
{
  Slt *c[3];
  GstStructure *s;

  fx_setup ();
  g_object_set (fx->src, "max-callers", 2, NULL);
  fx_play ();
  c[0] = slt_start (fx->port, "m1", NULL, 40);
  c[1] = slt_start (fx->port, "m2", NULL, 41);
  fail_unless (fx_wait (pred_pad, "src_m1", NULL, WAIT_US));
  fail_unless (fx_wait (pred_pad, "src_m2", NULL, WAIT_US));
  c[2] = slt_start (fx->port, "m3", NULL, 42);
  fail_unless (wait_stat ("refused-max-callers", 1, WAIT_US) >= 1);
  s = wait_msg ("srtingestsrc-caller-refused", NULL);
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "max-callers");
  fail_unless_equals_string (gst_structure_get_string (s, "stream-id"), "m3");
  fail_unless_equals_string (gst_structure_get_string (s, "name"), "m3");
  gst_structure_free (s);
  /* (srt-live-transmit does not always notice the refusal while it
   * waits for input: it is stopped like the others) */
  FX_LOCK ();
  fail_unless (g_hash_table_lookup (fx->pads, "src_m3") == NULL);
  FX_UNLOCK ();
  fail_unless (stat_u64 ("refused") >= 1);

  /* a place is free again once a stream ended */
  slt_free (c[0]);
  fail_unless (fx_wait (pred_removed, "src_m1", NULL, WAIT_US));
  c[0] = slt_start (fx->port, "m3", NULL, 43);
  fail_unless (fx_wait (pred_pad, "src_m3", NULL, WAIT_US));
  slt_send (c, 1, 10);
  wait_bytes ("src_m3", 70 * TS);

  slt_free (c[0]);
  slt_free (c[1]);
  slt_free (c[2]);
  fx_teardown ();
}

GST_END_TEST;

static gboolean
accept_caller_cb (GstElement * src, GSocketAddress * addr, const gchar * name,
    const gchar * stream_id, gpointer user_data)
{
  GInetAddress *ia;
  gchar *ip;

  fail_unless (G_IS_INET_SOCKET_ADDRESS (addr));
  ia = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  ip = g_inet_address_to_string (ia);
  fail_unless_equals_string (ip, "127.0.0.1");
  g_free (ip);
  /* asking for stats from here is allowed (no libsrt call) */
  {
    GstStructure *s;

    g_object_get (src, "stats", &s, NULL);
    gst_structure_free (s);
  }
  g_atomic_int_inc ((gint *) user_data);
  if (!strcmp (name, "blocked")) {
    fail_unless_equals_string (stream_id, "#!::r=blocked,u=eve");
    return FALSE;
  }
  return TRUE;
}

/* The application refuses a caller */
GST_START_TEST (test_accept_caller_signal)
{
  Slt *c[2];
  GstStructure *s;
  gint calls = 0;

  fx_setup ();
  g_signal_connect (fx->src, "accept-caller", G_CALLBACK (accept_caller_cb),
      &calls);
  fx_play ();
  c[0] = slt_start (fx->port, "#!::r=blocked,u=eve", NULL, 50);
  fail_unless (wait_stat ("refused-by-application", 1, WAIT_US) >= 1);
  s = wait_msg ("srtingestsrc-caller-refused", NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "refused-by-application");
  fail_unless_equals_string (gst_structure_get_string (s, "name"), "blocked");
  gst_structure_free (s);

  c[1] = slt_start (fx->port, "ok", NULL, 51);
  fail_unless (fx_wait (pred_pad, "src_ok", NULL, WAIT_US));
  slt_send (&c[1], 1, 10);
  wait_bytes ("src_ok", 70 * TS);
  FX_LOCK ();
  fail_unless (g_hash_table_lookup (fx->pads, "src_blocked") == NULL);
  FX_UNLOCK ();
  fail_unless (g_atomic_int_get (&calls) >= 2);
  fail_unless_equals_int (stat_u64 ("callers-accepted"), 1);

  slt_free (c[0]);
  slt_free (c[1]);
  fx_teardown ();
}

GST_END_TEST;

/* A wrong or missing passphrase is refused and counted as such */
GST_START_TEST (test_wrong_passphrase)
{
  Slt *c[3];
  GstStructure *s;
  guint64 n;

  fx_setup ();
  g_object_set (fx->src, "passphrase", "correct-horse-1", NULL);
  fx_play ();
  c[0] = slt_start (fx->port, "p1", "wrong-password-9", 60);
  n = wait_stat ("refused-wrong-passphrase", 1, WAIT_US);
  fail_unless (n >= 1);
  s = wait_msg ("srtingestsrc-caller-refused", "p1");
  fail_unless (s != NULL);
  fail_unless_equals_string (gst_structure_get_string (s, "reason"),
      "wrong-passphrase");
  fail_unless_equals_string (gst_structure_get_string (s, "stream-id"), "p1");
  gst_structure_free (s);
  slt_stop (c[0]);
  n = stat_u64 ("refused-wrong-passphrase");

  /* no passphrase at all */
  c[1] = slt_start (fx->port, "p2", NULL, 61);
  fail_unless (wait_stat ("refused-wrong-passphrase", n + 1, WAIT_US) > n);
  slt_stop (c[1]);

  /* the right one */
  c[2] = slt_start (fx->port, "p3", "correct-horse-1", 62);
  fail_unless (fx_wait (pred_pad, "src_p3", NULL, WAIT_US));
  slt_send (&c[2], 1, 30);
  wait_bytes ("src_p3", 210 * TS);
  check_bytes ("src_p3", 62, 0, 210);
  FX_LOCK ();
  fail_unless (g_hash_table_lookup (fx->pads, "src_p1") == NULL);
  fail_unless (g_hash_table_lookup (fx->pads, "src_p2") == NULL);
  FX_UNLOCK ();
  fail_unless_equals_int (stat_u64 ("callers-accepted"), 1);
  fail_unless_equals_int (stat_uint ("handshakes-pending"), 0);

  slt_free (c[0]);
  slt_free (c[1]);
  slt_free (c[2]);
  fx_teardown ();
}

GST_END_TEST;

/* Malformed, unsupported, duplicate and not allowed stream ids */
GST_START_TEST (test_bad_stream_ids)
{
  Slt *c[6];
  GValue list = G_VALUE_INIT, v = G_VALUE_INIT;
  const gchar *names[] = { "dup", "x", "default" };
  guint i;

  fx_setup ();
  gst_value_array_init (&list, 3);
  for (i = 0; i < 3; i++) {
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, names[i]);
    gst_value_array_append_and_take_value (&list, &v);
  }
  g_object_set_property (G_OBJECT (fx->src), "allowed-stream-ids", &list);
  g_value_unset (&list);
  fx_play ();

  c[0] = slt_start (fx->port, "dup", NULL, 70);
  fail_unless (fx_wait (pred_pad, "src_dup", NULL, WAIT_US));
  c[1] = slt_start (fx->port, "dup", NULL, 71);
  c[2] = slt_start (fx->port, "#!::m=publish", NULL, 72);
  c[3] = slt_start (fx->port, "#!::r=x,m=request", NULL, 73);
  c[4] = slt_start (fx->port, "other", NULL, 74);
  /* no stream id: the default name, "default" */
  c[5] = slt_start (fx->port, NULL, NULL, 75);
  fail_unless (wait_stat ("refused-duplicate-id", 1, WAIT_US) >= 1);
  fail_unless (wait_stat ("refused-malformed-id", 1, WAIT_US) >= 1);
  fail_unless (wait_stat ("refused-unsupported-mode", 1, WAIT_US) >= 1);
  fail_unless (wait_stat ("refused-not-allowed", 1, WAIT_US) >= 1);
  fail_unless (fx_wait (pred_pad, "src_default", NULL, WAIT_US));
  /* the counters move in the handshake, the messages come after */
  fail_unless (wait_msgs ("srtingestsrc-caller-refused", "reason",
          "malformed-id", 1) >= 1);
  fail_unless (wait_msgs ("srtingestsrc-caller-refused", "reason",
          "duplicate-id", 1) >= 1);

  /* the first "dup" is undisturbed */
  slt_send (c, 1, 20);
  wait_bytes ("src_dup", 140 * TS);
  check_bytes ("src_dup", 70, 0, 140);
  fail_unless_equals_int (stat_u64 ("callers-accepted"), 2);
  fail_unless_equals_int (stat_uint ("streams"), 2);

  /* the list can change while PLAYING */
  gst_value_array_init (&list, 0);
  g_object_set_property (G_OBJECT (fx->src), "allowed-stream-ids", &list);
  g_value_unset (&list);
  slt_free (c[4]);
  c[4] = slt_start (fx->port, "other", NULL, 76);
  fail_unless (fx_wait (pred_pad, "src_other", NULL, WAIT_US));

  for (i = 0; i < 6; i++)
    slt_free (c[i]);
  fx_teardown ();
}

GST_END_TEST;

/* Handshakes made here as fast as possible from 127.0.0.1: the rate
 * limit refuses most and counts them, memory stays bounded, messages are
 * rate-limited, and a real caller gets in afterwards */
static guint
flood (guint port, guint n, gint64 hold_us, gint64 * elapsed_us)
{
  struct sockaddr_in sa;
  SRTSOCKET *socks = g_new0 (SRTSOCKET, n);
  const gboolean no = FALSE;
  gint64 start = g_get_monotonic_time ();
  guint i, started = 0;

  struct sockaddr_in local;
  gint locallen = sizeof (local);

  memset (&sa, 0, sizeof (sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons (port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  memset (&local, 0, sizeof (local));
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  srt_startup ();
  for (i = 0; i < n; i++) {
    gchar *id = g_strdup_printf ("flood%u", i);

    socks[i] = srt_create_socket ();
    srt_setsockflag (socks[i], SRTO_RCVSYN, &no, sizeof (no));
    srt_setsockflag (socks[i], SRTO_STREAMID, id, strlen (id));
    g_free (id);
    /* one local port for all, as one host would: one libsrt multiplexer
     * (a UDP socket and two threads) instead of one per handshake */
    if (srt_bind (socks[i], (struct sockaddr *) &local, sizeof (local)) == 0
        && i == 0)
      srt_getsockname (socks[0], (struct sockaddr *) &local, &locallen);
    if (srt_connect (socks[i], (struct sockaddr *) &sa, sizeof (sa)) !=
        SRT_ERROR)
      started++;
  }
  /* let the handshakes run their course */
  g_usleep (hold_us);
  *elapsed_us = g_get_monotonic_time () - start;
  for (i = 0; i < n; i++)
    srt_close (socks[i]);
  srt_cleanup ();
  g_free (socks);
  return started;
}

GST_START_TEST (test_accept_flood)
{
  Slt *c;
  guint64 refused, accepted, limited;
  gint64 elapsed, t0;
  guint started, msgs;
  GstStructure *s;
  guint64 suppressed = 0;

  fx_setup ();
  g_object_set (fx->src, "max-callers", 1024, "accept-rate", 50,
      "accept-rate-per-address", 10, NULL);
  fx_play ();

  t0 = g_get_monotonic_time ();
  started = flood (fx->port, 300, 2 * G_USEC_PER_SEC, &elapsed);
  fail_unless (started > 250, "%u handshakes started", started);
  /* until every handshake that reached the element is counted */
  {
    gint64 end = g_get_monotonic_time () + WAIT_US, stable_since = 0;
    guint64 last = G_MAXUINT64;

    while (g_get_monotonic_time () < end) {
      guint64 seen = stat_u64 ("callers-accepted") + stat_u64 ("refused");

      if (seen != last) {
        last = seen;
        stable_since = g_get_monotonic_time ();
      } else if (g_get_monotonic_time () - stable_since > G_USEC_PER_SEC) {
        break;
      }
      g_usleep (50 * 1000);
    }
  }
  limited = stat_u64 ("refused-rate-limited");
  accepted = stat_u64 ("callers-accepted");
  refused = stat_u64 ("refused");
  /* every handshake was admitted between t0 and now */
  elapsed = g_get_monotonic_time () - t0;
  GST_INFO ("flood of %u, %" G_GINT64_FORMAT " ms: %" G_GUINT64_FORMAT
      " accepted, %" G_GUINT64_FORMAT " rate-limited, %" G_GUINT64_FORMAT
      " refused", started, elapsed / 1000, accepted, limited, refused);
  /* one address: a burst of 20, then 10 per second */
  fail_unless (accepted <= 20 + 10 * (guint64) (elapsed / G_USEC_PER_SEC + 1),
      "%" G_GUINT64_FORMAT " accepted in %" G_GINT64_FORMAT " ms", accepted,
      elapsed / 1000);
  /* nothing but the rate limit refused them (and, much slowed down, a
   * handshake may time out) */
  fail_unless_equals_uint64 (refused, limited +
      stat_u64 ("refused-handshake-failed"));
  /* unhindered, the 300 handshakes come within about a second (valgrind
   * spreads them out) */
  if (g_getenv ("LS_UNDER_VALGRIND") == NULL)
    fail_unless (limited >= 200, "%" G_GUINT64_FORMAT, limited);
  /* bounded: streams, handshakes, rate-limit table */
  fail_unless (stat_uint ("streams") <= accepted);
  {
    GstStructure *st;
    guint pending, addrs;

    g_object_get (fx->src, "stats", &st, NULL);
    fail_unless (gst_structure_get_uint (st, "handshakes-pending", &pending));
    fail_unless (gst_structure_get_uint (st, "rate-limit-addresses", &addrs));
    fail_unless (pending <= 32);
    fail_unless_equals_int (addrs, 1);
    gst_structure_free (st);
  }

  /* the bus got at most 10 refusals per second, with the rest counted */
  g_usleep (300 * 1000);
  msgs = count_msgs ("srtingestsrc-caller-refused", NULL, NULL);
  fail_unless (msgs <= 10 * (elapsed / G_USEC_PER_SEC + 2), "%u messages",
      msgs);
  if (g_getenv ("LS_UNDER_VALGRIND") == NULL)
    fail_unless (stat_u64 ("messages-suppressed") > 0);
  FX_LOCK ();
  {
    guint i;

    for (i = 0; i < fx->msgs->len; i++) {
      const GstStructure *m = g_ptr_array_index (fx->msgs, i);
      guint64 sup;

      if (gst_structure_has_name (m, "srtingestsrc-caller-refused") &&
          gst_structure_get_uint64 (m, "suppressed", &sup))
        suppressed += sup;
    }
  }
  FX_UNLOCK ();
  GST_INFO ("%u refusal messages, %" G_GUINT64_FORMAT " suppressed", msgs,
      suppressed);

  /* the flood is over: the bucket refills, a real caller gets in */
  g_usleep (G_USEC_PER_SEC);
  c = slt_start (fx->port, "real", NULL, 80);
  fail_unless (fx_wait (pred_pad, "src_real", NULL, WAIT_US));
  slt_send (&c, 1, 10);
  wait_bytes ("src_real", 70 * TS);
  s = caller_stats ("real");
  fail_unless (s != NULL);
  gst_structure_free (s);
  slt_free (c);
  fx_teardown ();
}

GST_END_TEST;

/* A burst of callers at once (a restart: every encoder reconnects), the
 * rate limits off: every handshake is accepted or refused and counted,
 * none is lost to libsrt's accept queue */
GST_START_TEST (test_accept_burst)
{
  gint64 elapsed;
  guint started;
  guint64 accepted, refused;

  fx_setup ();
  g_object_set (fx->src, "max-callers", 1024, "accept-rate", 0,
      "accept-rate-per-address", 0, NULL);
  /* the application takes 10 ms per new pad: the burst (within tens of
   * ms) waits in libsrt's accept queue meanwhile */
  fx->pad_added_delay_us = 10 * 1000;
  fx_play ();
  started = flood (fx->port, 150, 4 * G_USEC_PER_SEC, &elapsed);
  accepted = stat_u64 ("callers-accepted");
  refused = stat_u64 ("refused");
  GST_INFO ("burst of %u: %" G_GUINT64_FORMAT " accepted, %" G_GUINT64_FORMAT
      " refused", started, accepted, refused);
  if (g_getenv ("LS_UNDER_VALGRIND") == NULL) {
    fail_unless_equals_int (started, 150);
    fail_unless_equals_uint64 (accepted, 150);
    fail_unless_equals_uint64 (refused, 0);
  }
  fail_unless (accepted > 0);
  fx_teardown ();
}

GST_END_TEST;

/* ffmpeg as the caller: H.264 in MPEG-TS demuxes on the pad */
GST_START_TEST (test_ffmpeg_caller)
{
  gchar *uri, *argv[32];
  GError *err = NULL;
  guint want = 40, argc = 0;
  GstQuery *q;
  GstPad *pad;
  gboolean live;
  GstClockTime min;

  fx_setup ();
  fx->demux = TRUE;
  fx_play ();
  uri = g_strdup_printf ("srt://127.0.0.1:%u?mode=caller&streamid=ffmpeg1"
      "&latency=300000", fx->port);
  argv[argc++] = (gchar *) "ffmpeg";
  argv[argc++] = (gchar *) "-hide_banner";
  argv[argc++] = (gchar *) "-nostdin";
  argv[argc++] = (gchar *) "-loglevel";
  argv[argc++] = (gchar *) "error";
  argv[argc++] = (gchar *) "-re";
  argv[argc++] = (gchar *) "-f";
  argv[argc++] = (gchar *) "lavfi";
  argv[argc++] = (gchar *) "-i";
  argv[argc++] = (gchar *) "testsrc2=size=320x180:rate=25";
  argv[argc++] = (gchar *) "-t";
  argv[argc++] = (gchar *) "4";
  argv[argc++] = (gchar *) "-c:v";
  argv[argc++] = (gchar *) "libx264";
  argv[argc++] = (gchar *) "-preset";
  argv[argc++] = (gchar *) "ultrafast";
  argv[argc++] = (gchar *) "-tune";
  argv[argc++] = (gchar *) "zerolatency";
  argv[argc++] = (gchar *) "-g";
  argv[argc++] = (gchar *) "25";
  argv[argc++] = (gchar *) "-f";
  argv[argc++] = (gchar *) "mpegts";
  argv[argc++] = uri;
  argv[argc] = NULL;
  fail_unless (g_spawn_async (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
          &ffmpeg_pid, &err), "%s", err ? err->message : "");

  fail_unless (fx_wait (pred_pad, "src_ffmpeg1", NULL, WAIT_US));
  /* ffmpeg asked for 300 ms: the pad answers what was negotiated */
  pad = gst_element_get_static_pad (fx->src, "src_ffmpeg1");
  q = gst_query_new_latency ();
  fail_unless (gst_pad_query (pad, q));
  gst_query_parse_latency (q, &live, &min, NULL);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 300 * GST_MSECOND);
  gst_query_unref (q);
  gst_object_unref (pad);

  fail_unless (fx_wait (pred_video, &want, NULL, WAIT_US),
      "%u video buffers", fx->video_buffers);
  FX_LOCK ();
  fail_unless (fx->video_caps != NULL);
  fail_unless (gst_structure_has_name (gst_caps_get_structure (fx->video_caps,
              0), "video/x-h264"));
  FX_UNLOCK ();
  /* ffmpeg ends after 4 s: the pad ends */
  fail_unless (fx_wait (pred_eos, "src_ffmpeg1", NULL, WAIT_US));

  /* it has finished sending: it ends within 5 s */
  reap (ffmpeg_pid, 5 * G_USEC_PER_SEC);
  ffmpeg_pid = 0;
  g_free (uri);
  {
    GstStructure *s = wait_msg ("srtingestsrc-stream-ended", "ffmpeg1");

    fail_unless (s != NULL);
    gst_structure_free (s);
  }
  fx_teardown ();
}

GST_END_TEST;

static Suite *
srtingestsrc_suite (void)
{
  Suite *s = suite_create ("srtingestsrc");
  TCase *tc = tcase_create ("general");

  /* callers need a few seconds each; CK_DEFAULT_TIMEOUT is per test */
  tcase_set_timeout (tc, 60);
  tcase_add_checked_fixture (tc, NULL, cleanup);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_settings_and_errors);
  tcase_add_test (tc, test_callers_bytes);
  tcase_add_test (tc, test_caller_leaves);
  tcase_add_test (tc, test_grace_reconnect);
  tcase_add_test (tc, test_remove_and_eos);
  tcase_add_test (tc, test_replace);
  tcase_add_test (tc, test_stop_while_busy);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_max_callers);
  tcase_add_test (tc, test_accept_caller_signal);
  tcase_add_test (tc, test_wrong_passphrase);
  tcase_add_test (tc, test_bad_stream_ids);
  tcase_add_test (tc, test_accept_flood);
  tcase_add_test (tc, test_accept_burst);
  tcase_add_test (tc, test_ffmpeg_caller);
  return s;
}

GST_CHECK_MAIN (srtingestsrc);
