/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The Prometheus text exposition (/metrics) of the livestream plug-ins:
 * the numeric fields of the `stats` structure of every element of this
 * project's plug-ins (chunkreorder, prioqueue, gopbuffer, avsync,
 * dashlivesink, ...) found in the same top-level pipeline, labelled by
 * element name.  An array of structures in a stats field becomes samples
 * with one more label (the structure's name, valued by its "id" field or
 * its index).  Names: livestream_<factory>_<field>, non-alphanumerics
 * replaced by '_'.
 *
 * Safe from any thread: the elements' stats getters take their own locks,
 * no lock is held while they run. */

#ifndef __LIVESTREAM_METRICS_H__
#define __LIVESTREAM_METRICS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Appends the samples of every livestream element in the top-level bin
 * of @element (or of @element alone) to @out. */
void livestream_metrics_render (GstElement * element, GString * out);

/* Appends one sample with its TYPE line: @name{@labels} @value.  @labels
 * is a comma-separated list of label="value" pairs (escaped with
 * livestream_metrics_escape_label()) or NULL. */
void livestream_metrics_append (GString * out, const gchar * name,
    const gchar * type, const gchar * labels, gdouble value);

/* Appends @value escaped for a label value (\\, \" and \n) */
void livestream_metrics_escape_label (GString * out, const gchar * value);

G_END_DECLS

#endif /* __LIVESTREAM_METRICS_H__ */
