/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* libsrt's process-wide state: see srtlib.h */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <srt/srt.h>

#include "srtlib.h"

GST_DEBUG_CATEGORY_STATIC (srtlib_debug);
#define GST_CAT_DEFAULT srtlib_debug

typedef struct
{
  gint socket_id;
  SrtRejection why;
} Rejection;

/* the last rejections libsrt logged, a ring; under rejections_lock */
static GMutex rejections_lock;
static Rejection rejections[SRTLIB_REJECTIONS_MAX];
static guint rejections_next;

/* Called by libsrt from any of its threads, with its own locks held:
 * only a short lock of ours and the debug log. */
static void
srtlib_log_handler (void *opaque, int level, const char *file, int line,
    const char *area, const char *message)
{
  GstDebugLevel gst_level;
  SrtRejection why;
  gint socket_id = -1;

  why = srt_log_parse_rejection (message, &socket_id);
  if (why != SRT_REJECTION_UNKNOWN) {
    g_mutex_lock (&rejections_lock);
    rejections[rejections_next].socket_id = socket_id;
    rejections[rejections_next].why = why;
    rejections_next = (rejections_next + 1) % SRTLIB_REJECTIONS_MAX;
    g_mutex_unlock (&rejections_lock);
  }

  /* libsrt logs a refused or lost caller as an error: that is the
   * element's business, which reports it in its own terms */
  if (level <= LOG_ERR)
    gst_level = GST_LEVEL_WARNING;
  else if (level <= LOG_WARNING)
    gst_level = GST_LEVEL_INFO;
  else if (level <= LOG_NOTICE)
    gst_level = GST_LEVEL_DEBUG;
  else
    gst_level = GST_LEVEL_LOG;
#ifndef GST_DISABLE_GST_DEBUG
  if (gst_level <= gst_debug_category_get_threshold (srtlib_debug))
    gst_debug_log (srtlib_debug, gst_level, file ? file : "libsrt", area ?
        area : "", line, NULL, "%s", message ? message : "");
#endif
}

static gpointer
srtlib_init_once (gpointer data)
{
  GST_DEBUG_CATEGORY_INIT (srtlib_debug, "srtlib", 0,
      "libsrt's log (srtingestsrc)");
  srt_setloghandler (NULL, srtlib_log_handler);
  srt_setlogflags (SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME |
      SRT_LOGF_DISABLE_SEVERITY | SRT_LOGF_DISABLE_EOL);
  /* the rejection reasons are warnings */
  srt_setloglevel (LOG_WARNING);
  return NULL;
}

void
srtlib_ref (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, srtlib_init_once, NULL);
  if (srt_startup () < 0)
    GST_WARNING ("srt_startup: %s", srt_getlasterror_str ());
}

void
srtlib_unref (void)
{
  srt_cleanup ();
}

SrtRejection
srtlib_rejection (gint socket_id)
{
  SrtRejection why = SRT_REJECTION_UNKNOWN;
  guint i;

  g_mutex_lock (&rejections_lock);
  for (i = 0; i < SRTLIB_REJECTIONS_MAX; i++) {
    if (rejections[i].why != SRT_REJECTION_UNKNOWN &&
        rejections[i].socket_id == socket_id) {
      why = rejections[i].why;
      break;
    }
  }
  g_mutex_unlock (&rejections_lock);
  return why;
}
