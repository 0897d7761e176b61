/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_DASH_LIVE_SINK_H__
#define __GST_DASH_LIVE_SINK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_DASH_LIVE_SINK (gst_dash_live_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstDashLiveSink, gst_dash_live_sink, GST, DASH_LIVE_SINK,
    GstElement)

GST_ELEMENT_REGISTER_DECLARE (dashlivesink);

/* Publication hooks for in-process consumers (an HTTP server, an uploader).
 * Every callback is called from a streaming thread with the element's
 * data lock held: it must return quickly and must not call back into the
 * element.  Names are relative to the element's location directory.
 *
 * - segment_started: a media segment file @tmp_name was opened; the
 *   segment will be published as @name.
 * - chunk_written: bytes [@offset, @offset + @size) of @tmp_name are
 *   complete (styp/moof/mdat of one CMAF chunk).
 * - file_published: @name (init segment, media segment, MPD or playlist)
 *   was renamed into place and is complete.
 * - file_removed: @name left the DVR window and was deleted. */
typedef struct {
  void (*segment_started) (GstDashLiveSink * sink, const gchar * rep_id,
      guint64 number, const gchar * tmp_name, const gchar * name,
      gpointer user_data);
  void (*chunk_written) (GstDashLiveSink * sink, const gchar * rep_id,
      guint64 number, const gchar * tmp_name, guint64 offset, guint64 size,
      gpointer user_data);
  void (*file_published) (GstDashLiveSink * sink, const gchar * name,
      gpointer user_data);
  void (*file_removed) (GstDashLiveSink * sink, const gchar * name,
      gpointer user_data);
} GstDashLiveSinkHooks;

void gst_dash_live_sink_set_hooks (GstDashLiveSink * sink,
    const GstDashLiveSinkHooks * hooks, gpointer user_data,
    GDestroyNotify notify);

G_END_DECLS

#endif /* __GST_DASH_LIVE_SINK_H__ */
