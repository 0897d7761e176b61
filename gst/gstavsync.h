/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_AV_SYNC_H__
#define __GST_AV_SYNC_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstAvSyncMode:
 * @GST_AV_SYNC_MODE_SLEW: move the video timestamps gradually
 * @GST_AV_SYNC_MODE_DROP_DUP: drop or duplicate whole raw video frames
 * @GST_AV_SYNC_MODE_NONE: measure and report only
 *
 * How #avsync corrects the drift it measures.
 */
typedef enum {
  GST_AV_SYNC_MODE_SLEW,
  GST_AV_SYNC_MODE_DROP_DUP,
  GST_AV_SYNC_MODE_NONE,
} GstAvSyncMode;

/**
 * GstAvSyncReference:
 * @GST_AV_SYNC_REFERENCE_AUTO: the clock when upstream is live, else media
 * @GST_AV_SYNC_REFERENCE_CLOCK: arrival time on the pipeline clock
 * @GST_AV_SYNC_REFERENCE_MEDIA: audio sample counts and video frame counts
 *
 * What #avsync measures the timestamps against.
 */
typedef enum {
  GST_AV_SYNC_REFERENCE_AUTO,
  GST_AV_SYNC_REFERENCE_CLOCK,
  GST_AV_SYNC_REFERENCE_MEDIA,
} GstAvSyncReference;

#define GST_TYPE_AV_SYNC_MODE (gst_av_sync_mode_get_type ())
GType gst_av_sync_mode_get_type (void);
#define GST_TYPE_AV_SYNC_REFERENCE (gst_av_sync_reference_get_type ())
GType gst_av_sync_reference_get_type (void);

#define GST_TYPE_AV_SYNC (gst_av_sync_get_type ())
G_DECLARE_FINAL_TYPE (GstAvSync, gst_av_sync, GST, AV_SYNC, GstElement);

GST_ELEMENT_REGISTER_DECLARE (avsync);

G_END_DECLS

#endif /* __GST_AV_SYNC_H__ */
