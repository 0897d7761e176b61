/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_LIVESTREAM_API_H__
#define __GST_LIVESTREAM_API_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LIVESTREAM_API (gst_livestream_api_get_type ())
G_DECLARE_FINAL_TYPE (GstLivestreamApi, gst_livestream_api, GST,
    LIVESTREAM_API, GstElement)

GST_ELEMENT_REGISTER_DECLARE (livestreamapi);

G_END_DECLS

#endif /* __GST_LIVESTREAM_API_H__ */
