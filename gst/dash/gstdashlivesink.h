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

G_END_DECLS

#endif /* __GST_DASH_LIVE_SINK_H__ */
