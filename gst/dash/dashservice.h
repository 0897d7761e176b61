/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's network side for one run: the embedded HTTP server
 * (http-port) with its /metrics page, and the uploader to an origin
 * (upload-location), started at READY->PAUSED and stopped at
 * PAUSED->READY.  Thread-safe: the stats may be read from any thread
 * while it starts and stops. */

#ifndef __DASH_SERVICE_H__
#define __DASH_SERVICE_H__

#include <gst/gst.h>

#include "dashsettings.h"
#include "httpserver.h"
#include "dashupload.h"

G_BEGIN_DECLS

typedef struct _DashService DashService;

/* @element: whose pipeline /metrics shows, and who warns when the origin
 * is too slow */
DashService *dash_service_new (GstElement * element);
void dash_service_free (DashService * svc);

/* Starts what @run asks for.  On failure nothing runs and @error says what
 * could not be started and why: DASH_SOUP_ERROR when libsoup-3 cannot be
 * loaded in this process, else GST_RESOURCE_ERROR. */
gboolean dash_service_start (DashService * svc, const DashSettings * run,
    GError ** error);
/* Drains the uploader (bounded), stops both.  The upload stats are kept. */
void dash_service_stop (DashService * svc);

/* NULL when not running */
HttpServer *dash_service_get_server (DashService * svc);
DashUpload *dash_service_get_upload (DashService * svc);

/* The server's clock for players (UTCTiming), NULL without a server */
gchar *dash_service_time_url (DashService * svc);

/* Of the running uploader, else of the last one */
void dash_service_get_upload_stats (DashService * svc,
    DashUploadStats * stats);

G_END_DECLS

#endif /* __DASH_SERVICE_H__ */
