/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_GOP_BUFFER_H__
#define __GST_GOP_BUFFER_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstGopBufferJoinMode:
 * @GST_GOP_BUFFER_JOIN_CATCH_UP: a new branch gets the cached GOPs from the
 *   oldest cached keyframe on, timestamps intact, as fast as it takes them
 * @GST_GOP_BUFFER_JOIN_LATEST_KEYFRAME: a new branch gets only the newest
 *   keyframe, retimed to the live edge, then live data (the rest of the
 *   cached GOP is sent as decode-only so that references are complete)
 */
typedef enum {
  GST_GOP_BUFFER_JOIN_CATCH_UP,
  GST_GOP_BUFFER_JOIN_LATEST_KEYFRAME,
} GstGopBufferJoinMode;

#define GST_TYPE_GOP_BUFFER_JOIN_MODE (gst_gop_buffer_join_mode_get_type ())
GType gst_gop_buffer_join_mode_get_type (void);

#define GST_TYPE_GOP_BUFFER (gst_gop_buffer_get_type ())
G_DECLARE_FINAL_TYPE (GstGopBuffer, gst_gop_buffer, GST, GOP_BUFFER,
    GstElement)

GST_ELEMENT_REGISTER_DECLARE (gopbuffer);

G_END_DECLS

#endif /* __GST_GOP_BUFFER_H__ */
