/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_PRIO_QUEUE_H__
#define __GST_PRIO_QUEUE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstPrioQueueMode:
 * @GST_PRIO_QUEUE_MODE_SHED: never block upstream; when full, drop the
 *     least important buffers first
 * @GST_PRIO_QUEUE_MODE_BLOCK: block upstream when full, as queue does
 *
 * What prioqueue does when a limit is reached.
 */
typedef enum {
  GST_PRIO_QUEUE_MODE_SHED = 0,
  GST_PRIO_QUEUE_MODE_BLOCK = 1,
} GstPrioQueueMode;

#define GST_TYPE_PRIO_QUEUE_MODE (gst_prio_queue_mode_get_type ())
GType gst_prio_queue_mode_get_type (void);

#define GST_TYPE_PRIO_QUEUE (gst_prio_queue_get_type ())
G_DECLARE_FINAL_TYPE (GstPrioQueue, gst_prio_queue, GST, PRIO_QUEUE,
    GstElement);

#define GST_TYPE_PRIO_QUEUE_PAD (gst_prio_queue_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstPrioQueuePad, gst_prio_queue_pad, GST,
    PRIO_QUEUE_PAD, GstPad);

GST_ELEMENT_REGISTER_DECLARE (prioqueue);

G_END_DECLS

#endif /* __GST_PRIO_QUEUE_H__ */
