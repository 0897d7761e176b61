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

#include <gst/gst.h>

#include "gstchunkreorder.h"
#include "gstavsync.h"
#include "gstgopbuffer.h"
#include "gstprioqueue.h"


static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (chunkreorder, plugin);
  ret |= GST_ELEMENT_REGISTER (avsync, plugin);
  ret |= GST_ELEMENT_REGISTER (gopbuffer, plugin);
  ret |= GST_ELEMENT_REGISTER (prioqueue, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, livestream,
    "Elements for live streaming services: reorder, shed, cache, sync",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
