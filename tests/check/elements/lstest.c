/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "lstest.h"

#include <gst/app/gstappsink.h>
#include <gst/base/gstbasesink.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gstchunkmeta.h"

#define H264_SRC "videotestsrc num-buffers=30 pattern=ball ! " \
  "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! " \
  "x264enc key-int-max=10 speed-preset=ultrafast tune=zerolatency " \
  "bitrate=300 ! h264parse config-interval=-1 ! "

/* Preference order: the first stream a template accepts is used */
static const struct {
  const gchar *name;
  const gchar *desc;
} stream_defs[] = {
  {"h264-au", H264_SRC
        "video/x-h264,stream-format=byte-stream,alignment=au"},
  {"h264-avc", H264_SRC "video/x-h264,stream-format=avc,alignment=au"},
  {"aac", "audiotestsrc num-buffers=40 samplesperbuffer=1024 ! "
        "audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=64000 ! "
        "aacparse ! audio/mpeg,mpegversion=4,stream-format=raw"},
  {"raw-video", "videotestsrc num-buffers=10 ! "
        "video/x-raw,format=I420,width=64,height=48,framerate=30/1"},
  {"raw-audio", "audiotestsrc num-buffers=10 samplesperbuffer=480 ! "
        "audio/x-raw,format=S16LE,rate=48000,channels=2,layout=interleaved"},
  {"rtp-h264", H264_SRC "rtph264pay mtu=1200 config-interval=-1 pt=96"},
  {"mpegts", H264_SRC "mpegtsmux alignment=7"},
};

#define N_STREAMS G_N_ELEMENTS (stream_defs)
static LsStream streams[N_STREAMS];

/* buffers made by ls_stream_get() not yet freed */
static gint live_buffers;

static void
buffer_gone (gpointer data, GstMiniObject * obj)
{
  g_atomic_int_add (&live_buffers, -1);
}

/* The pipeline of a test stream.  Under valgrind (LS_UNDER_VALGRIND) AAC
 * comes from voaacenc (gst-plugins-bad) instead of avenc_aac: gst-libav
 * loads libavcodec, which loads libhwy, whose initialiser runs RDTSCP;
 * valgrind 3.19 does not run RDTSCP on a CPU that does not announce it
 * (a VM's AMD EPYC): SIGILL while the plug-in loads */
static gchar *
stream_pipeline (const gchar * desc)
{
  GString *full = g_string_new (desc);

  if (g_getenv ("LS_UNDER_VALGRIND") != NULL)
    g_string_replace (full, "avenc_aac", "voaacenc", 0);
  g_string_append (full, " ! appsink name=sink sync=false");
  return g_string_free (full, FALSE);
}

static void
make_stream (LsStream * s, const gchar * name, const gchar * desc)
{
  GError *err = NULL;
  gchar *full = stream_pipeline (desc);
  GstElement *pipe = gst_parse_launch (full, &err);
  GstElement *sink;
  GstSample *sample;
  GstClockTime first = GST_CLOCK_TIME_NONE, end = 0;

  if (pipe == NULL)
    g_error ("test stream %s: %s", name, err ? err->message : "?");
  s->name = name;
  s->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    g_error ("test stream %s: cannot start %s", name, full);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink)))) {
    GstBuffer *buf = gst_buffer_copy (gst_sample_get_buffer (sample));
    GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buf);

    if (s->caps == NULL)
      s->caps = gst_caps_copy (gst_sample_get_caps (sample));
    if (GST_CLOCK_TIME_IS_VALID (ts)) {
      if (!GST_CLOCK_TIME_IS_VALID (first))
        first = ts;
      end = MAX (end, ts + (GST_BUFFER_DURATION_IS_VALID (buf) ?
              GST_BUFFER_DURATION (buf) : 0));
    }
    g_ptr_array_add (s->buffers, buf);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (full);
  if (s->buffers->len == 0 || s->caps == NULL)
    g_error ("test stream %s: no data from %s", name, desc);

  /* timestamps from 0 */
  if (!GST_CLOCK_TIME_IS_VALID (first))
    first = 0;
  {
    guint i;

    for (i = 0; i < s->buffers->len; i++) {
      GstBuffer *b = g_ptr_array_index (s->buffers, i);

      if (GST_BUFFER_PTS_IS_VALID (b))
        GST_BUFFER_PTS (b) -= MIN (first, GST_BUFFER_PTS (b));
      if (GST_BUFFER_DTS_IS_VALID (b))
        GST_BUFFER_DTS (b) -= MIN (first, GST_BUFFER_DTS (b));
    }
  }
  s->duration = end > first ? end - first : s->buffers->len * 33 * GST_MSECOND;
  /* round up to a frame so that the loop does not overlap */
  s->duration += 40 * GST_MSECOND;
}

void
ls_init (void)
{
  guint i;

  if (streams[0].caps != NULL)
    return;
  for (i = 0; i < N_STREAMS; i++)
    make_stream (&streams[i], stream_defs[i].name, stream_defs[i].desc);
}

static gint
compare_features (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (gst_plugin_feature_get_name ((GstPluginFeature *) a),
      gst_plugin_feature_get_name ((GstPluginFeature *) b));
}

GList *
ls_plugin_factories (void)
{
  GList *features, *l, *out = NULL;

  features = gst_registry_get_feature_list_by_plugin (gst_registry_get (),
      "livestream");
  for (l = features; l; l = l->next) {
    if (GST_IS_ELEMENT_FACTORY (l->data))
      out = g_list_prepend (out, gst_object_ref (l->data));
  }
  gst_plugin_feature_list_free (features);
  return g_list_sort (out, compare_features);
}

const LsStream *
ls_stream_by_name (const gchar * name)
{
  guint i;

  ls_init ();
  for (i = 0; i < N_STREAMS; i++) {
    if (g_str_equal (streams[i].name, name))
      return &streams[i];
  }
  return NULL;
}

const LsStream *
ls_stream_for_caps (GstCaps * templ_caps)
{
  guint i;

  ls_init ();
  if (gst_caps_is_any (templ_caps))
    return &streams[0];
  for (i = 0; i < N_STREAMS; i++) {
    if (gst_caps_can_intersect (streams[i].caps, templ_caps))
      return &streams[i];
  }
  return NULL;
}

const LsStream *
ls_stream_for_template (GstPadTemplate * templ)
{
  GstCaps *caps = gst_pad_template_get_caps (templ);
  const gchar *name = GST_PAD_TEMPLATE_NAME_TEMPLATE (templ);
  const LsStream *s;

  if (gst_caps_is_any (caps) && strstr (name, "audio"))
    s = ls_stream_by_name ("aac");
  else
    s = ls_stream_for_caps (caps);
  gst_caps_unref (caps);
  return s;
}

GstBuffer *
ls_stream_get (const LsStream * stream, guint64 i)
{
  GstBuffer *src = g_ptr_array_index (stream->buffers,
      i % stream->buffers->len);
  GstBuffer *buf = gst_buffer_copy (src);
  GstClockTime off = (i / stream->buffers->len) * stream->duration;
  GstChunkType type;
  GstChunkMeta *meta;

  if (GST_BUFFER_PTS_IS_VALID (buf))
    GST_BUFFER_PTS (buf) += off;
  if (GST_BUFFER_DTS_IS_VALID (buf))
    GST_BUFFER_DTS (buf) += off;
  GST_BUFFER_OFFSET (buf) = i;
  if (g_str_has_prefix (stream->name, "aac") ||
      g_str_has_prefix (stream->name, "raw-audio"))
    type = GST_CHUNK_TYPE_AUDIO;
  else if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    type = GST_CHUNK_TYPE_VIDEO_P;
  else
    type = GST_CHUNK_TYPE_VIDEO_I;
  gst_mini_object_weak_ref (GST_MINI_OBJECT (buf), buffer_gone, NULL);
  g_atomic_int_inc (&live_buffers);
  meta = gst_buffer_add_chunk_meta (buf, 1, i, type,
      type == GST_CHUNK_TYPE_VIDEO_P ? GST_CHUNK_PRIORITY_NORMAL :
      GST_CHUNK_PRIORITY_HIGH);
  gst_chunk_meta_set_checksum (meta, buf);

  return buf;
}

gint
ls_live_buffers (void)
{
  return g_atomic_int_get (&live_buffers);
}

static gboolean
name_is_any (const gchar * name, const gchar * const *names)
{
  for (; *names; names++) {
    if (g_str_equal (name, *names))
      return TRUE;
  }
  return FALSE;
}

static guint
free_tcp_port (void)
{
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound = NULL;
  guint port = 0;

  if (sock && g_socket_bind (sock, addr, TRUE, NULL))
    bound = g_socket_get_local_address (sock, NULL);
  if (bound) {
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_object_unref (bound);
  }
  g_object_unref (addr);
  g_object_unref (lo);
  if (sock)
    g_object_unref (sock);
  return port;
}

void
ls_configure_element (GstElement * element, const gchar * tmpdir)
{
  static const gchar *const dir_props[] = { "location", "output-directory",
    "output-dir", "directory", "dir", "path", NULL
  };
  GParamSpec **props;
  guint i, n;

  props = g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n);
  for (i = 0; i < n; i++) {
    GParamSpec *p = props[i];
    GType t = G_PARAM_SPEC_VALUE_TYPE (p);

    if (!(p->flags & G_PARAM_WRITABLE) || (p->flags & G_PARAM_CONSTRUCT_ONLY))
      continue;
    if (t == G_TYPE_STRING && name_is_any (p->name, dir_props)) {
      g_object_set (element, p->name, tmpdir, NULL);
    } else if ((t == G_TYPE_INT || t == G_TYPE_UINT) &&
        (g_str_equal (p->name, "port") || g_str_has_suffix (p->name, "-port"))) {
      /* a port of our own: tests run one after another, elements of
       * other tests may still be in TIME_WAIT */
      guint port = free_tcp_port ();

      if (port > 0)
        g_object_set (element, p->name, port, NULL);
    }
  }
  g_free (props);

  /* sinks render as fast as the test pushes */
  if (GST_IS_BASE_SINK (element))
    g_object_set (element, "sync", FALSE, NULL);
}

GstPadTemplate *
ls_src_template_for (GstElement * element, GstPadTemplate * sink_templ)
{
  const gchar *name = GST_PAD_TEMPLATE_NAME_TEMPLATE (sink_templ);
  GstElementClass *klass = GST_ELEMENT_GET_CLASS (element);
  GstPadTemplate *src = NULL;
  gchar **parts;
  gchar *src_name;

  if (!strstr (name, "sink"))
    return NULL;
  parts = g_strsplit (name, "sink", 2);
  src_name = g_strjoinv ("src", parts);
  src = gst_element_class_get_pad_template (klass, src_name);
  g_strfreev (parts);
  g_free (src_name);
  if (src && GST_PAD_TEMPLATE_DIRECTION (src) != GST_PAD_SRC)
    src = NULL;
  return src;
}

guint64
ls_rss_bytes (void)
{
  gchar *contents = NULL;
  guint64 rss = 0;

  if (g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL)) {
    gchar **f = g_strsplit (contents, " ", 3);

    if (f[0] && f[1])
      rss = g_ascii_strtoull (f[1], NULL, 10) * sysconf (_SC_PAGESIZE);
    g_strfreev (f);
  }
  g_free (contents);
  return rss;
}

guint64
ls_stats_drop_count (GstElement * element, gchar ** stats_str)
{
  static const gchar *const words[] = { "drop", "discard", "invalid", "late",
    "lost", "dup", "shed", "skip", "reject", "corrupt", "error", "gap",
    "overflow", "bad", "truncat", NULL
  };
  GstStructure *st = NULL;
  guint64 sum = 0;
  gint i, n;

  if (stats_str)
    *stats_str = NULL;
  if (!g_object_class_find_property (G_OBJECT_GET_CLASS (element), "stats"))
    return 0;
  g_object_get (element, "stats", &st, NULL);
  if (st == NULL)
    return 0;
  n = gst_structure_n_fields (st);
  for (i = 0; i < n; i++) {
    const gchar *f = gst_structure_nth_field_name (st, i);
    const GValue *v = gst_structure_get_value (st, f);
    const gchar *const *w;
    gboolean match = FALSE;

    for (w = words; *w; w++)
      match |= strstr (f, *w) != NULL;
    if (!match)
      continue;
    if (G_VALUE_HOLDS_UINT64 (v))
      sum += g_value_get_uint64 (v);
    else if (G_VALUE_HOLDS_UINT (v))
      sum += g_value_get_uint (v);
    else if (G_VALUE_HOLDS_INT (v))
      sum += MAX (g_value_get_int (v), 0);
    else if (G_VALUE_HOLDS_INT64 (v))
      sum += MAX (g_value_get_int64 (v), 0);
  }
  if (stats_str)
    *stats_str = gst_structure_to_string (st);
  gst_structure_free (st);
  return sum;
}

void
ls_rm_rf (const gchar * path)
{
  GDir *dir;
  const gchar *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) ||
      g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    g_unlink (path);
    return;
  }
  dir = g_dir_open (path, 0, NULL);
  if (dir) {
    while ((name = g_dir_read_name (dir))) {
      gchar *child = g_build_filename (path, name, NULL);

      ls_rm_rf (child);
      g_free (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}
