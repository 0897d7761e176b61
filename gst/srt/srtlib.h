/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The plug-in's use of libsrt's process-wide state.
 *
 * - srtlib_ref()/srtlib_unref(): srt_startup()/srt_cleanup() (libsrt
 *   counts them itself).  The first ref routes libsrt's log to the
 *   GStreamer debug category "srtlib" instead of stderr, at warning level
 *   and above (libsrt's log is process-wide: an application that also
 *   sets a libsrt log handler in the same process takes it over).
 * - Why did libsrt refuse a handshake after the listener callback had
 *   accepted it?  libsrt checks the passphrase after the callback and
 *   only says why in its log ("@<socket>:newConnection: connection
 *   rejected due to: ... - ERROR:BADSECRET").  The log handler keeps the
 *   last SRTLIB_REJECTIONS_MAX such reasons by socket id (the line is
 *   parsed by srt_log_parse_rejection() in callertable.c);
 *   srtlib_rejection() looks one up. */

#ifndef __SRT_LIB_H__
#define __SRT_LIB_H__

#include <glib.h>

#include "callertable.h"

G_BEGIN_DECLS

#define SRTLIB_REJECTIONS_MAX 64

void srtlib_ref (void);
void srtlib_unref (void);

/* SRT_REJECTION_UNKNOWN when libsrt has not logged a reason for it */
SrtRejection srtlib_rejection (gint socket_id);

G_END_DECLS

#endif /* __SRT_LIB_H__ */
