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
 * Streams: an element inside a bin named "stream-<id>" (at any depth
 * below the top level, as livestream-server builds one bin per
 * publisher) gets the label stream="<id>" on every series, so that the
 * same element names in several streams are distinct series.
 *
 * Several pipelines and sites go into one exposition through a
 * collector: samples of one metric name are grouped under one TYPE line,
 * as the text format requires, whichever source added them.
 *
 * Safe from any thread: the elements' stats getters take their own locks,
 * no lock is held while they run. */

#ifndef __LIVESTREAM_METRICS_H__
#define __LIVESTREAM_METRICS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _LivestreamMetrics LivestreamMetrics;

LivestreamMetrics *livestream_metrics_new (void);
/* Adds the samples of every livestream element in the top-level bin of
 * @element (or of @element alone); a top-level bin already added is
 * skipped. */
void livestream_metrics_add_pipeline (LivestreamMetrics * m,
    GstElement * element);
/* One sample: @name{@labels} @value, @type "gauge" or "counter" (the
 * first one given for a name wins).  @labels: label="value" pairs
 * separated by commas (values escaped with
 * livestream_metrics_escape_label()), or NULL. */
void livestream_metrics_add (LivestreamMetrics * m, const gchar * name,
    const gchar * type, const gchar * labels, gdouble value);
/* Text appended as it is after the collected metrics (an application's
 * own complete series, with their TYPE lines). */
void livestream_metrics_add_text (LivestreamMetrics * m, const gchar * text);
/* The exposition text (names sorted); frees @m. */
gchar *livestream_metrics_finish (LivestreamMetrics * m);

/* Appends the samples of every livestream element in the top-level bin
 * of @element (or of @element alone) to @out. */
void livestream_metrics_render (GstElement * element, GString * out);

/* Appends one sample with its TYPE line: @name{@labels} @value. */
void livestream_metrics_append (GString * out, const gchar * name,
    const gchar * type, const gchar * labels, gdouble value);

/* Appends @value escaped for a label value (\\, \" and \n) */
void livestream_metrics_escape_label (GString * out, const gchar * value);

/* Appends element="<name>" and, inside a "stream-<id>" bin,
 * ,stream="<id>" to @out. */
void livestream_metrics_element_labels (GString * out, GstElement * element);

G_END_DECLS

#endif /* __LIVESTREAM_METRICS_H__ */
