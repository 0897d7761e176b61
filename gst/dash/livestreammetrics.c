/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* /metrics of the livestream plug-ins.  See livestreammetrics.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "livestreammetrics.h"

/* plug-ins of this project: "livestream", "livestreamdash", ... */
#define PLUGIN_PREFIX "livestream"

static void
metric_name (GString * out, const gchar * prefix, const gchar * field)
{
  const gchar *c;

  g_string_append (out, prefix);
  g_string_append_c (out, '_');
  for (c = field; *c; c++)
    g_string_append_c (out, g_ascii_isalnum (*c) ? g_ascii_tolower (*c) : '_');
}

void
livestream_metrics_escape_label (GString * out, const gchar * v)
{
  for (; *v; v++) {
    if (*v == '\\' || *v == '"')
      g_string_append_c (out, '\\');
    if (*v == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *v);
  }
}

static gboolean
value_as_double (const GValue * v, gdouble * d)
{
  switch (G_VALUE_TYPE (v)) {
    case G_TYPE_UINT64:
      *d = (gdouble) g_value_get_uint64 (v);
      return TRUE;
    case G_TYPE_INT64:
      *d = (gdouble) g_value_get_int64 (v);
      return TRUE;
    case G_TYPE_UINT:
      *d = g_value_get_uint (v);
      return TRUE;
    case G_TYPE_INT:
      *d = g_value_get_int (v);
      return TRUE;
    case G_TYPE_DOUBLE:
      *d = g_value_get_double (v);
      return TRUE;
    case G_TYPE_FLOAT:
      *d = g_value_get_float (v);
      return TRUE;
    case G_TYPE_BOOLEAN:
      *d = g_value_get_boolean (v) ? 1 : 0;
      return TRUE;
    default:
      return FALSE;
  }
}

struct _LivestreamMetrics
{
  GHashTable *metrics;          /* name -> Metric */
  GHashTable *pipelines;        /* top-level objects added */
  GString *text;                /* livestream_metrics_add_text () */
};

typedef struct
{
  gchar *type;
  GString *lines;
} Metric;

static void
metric_free (Metric * m)
{
  g_free (m->type);
  g_string_free (m->lines, TRUE);
  g_free (m);
}

static GString *
metric_lines (LivestreamMetrics * m, const gchar * name, const gchar * type)
{
  Metric *metric = g_hash_table_lookup (m->metrics, name);

  if (metric == NULL) {
    metric = g_new0 (Metric, 1);
    metric->type = g_strdup (type);
    metric->lines = g_string_new (NULL);
    g_hash_table_insert (m->metrics, g_strdup (name), metric);
  }
  return metric->lines;
}

LivestreamMetrics *
livestream_metrics_new (void)
{
  LivestreamMetrics *m = g_new0 (LivestreamMetrics, 1);

  m->metrics = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) metric_free);
  m->pipelines = g_hash_table_new_full (NULL, NULL, gst_object_unref, NULL);
  m->text = g_string_new (NULL);
  return m;
}

void
livestream_metrics_add (LivestreamMetrics * m, const gchar * name,
    const gchar * type, const gchar * labels, gdouble value)
{
  g_string_append_printf (metric_lines (m, name, type), "%s{%s} %.17g\n",
      name, labels ? labels : "", value);
}

void
livestream_metrics_add_text (LivestreamMetrics * m, const gchar * text)
{
  if (text == NULL || *text == '\0')
    return;
  g_string_append (m->text, text);
  if (text[strlen (text) - 1] != '\n')
    g_string_append_c (m->text, '\n');
}

gchar *
livestream_metrics_finish (LivestreamMetrics * m)
{
  GString *out = g_string_new (NULL);
  GList *names, *l;

  names = g_list_sort (g_hash_table_get_keys (m->metrics),
      (GCompareFunc) g_strcmp0);
  for (l = names; l; l = l->next) {
    Metric *metric = g_hash_table_lookup (m->metrics, l->data);
    g_string_append_printf (out, "# TYPE %s %s\n%s", (gchar *) l->data,
        metric->type, metric->lines->str);
  }
  g_list_free (names);
  g_string_append (out, m->text->str);
  g_hash_table_unref (m->metrics);
  g_hash_table_unref (m->pipelines);
  g_string_free (m->text, TRUE);
  g_free (m);
  return g_string_free (out, FALSE);
}

/* Adds the numeric fields of @st as samples.  Arrays of structures become
 * samples with an extra label (their "id" field, or their index). */
static void
metrics_add_structure (LivestreamMetrics * m, const gchar * prefix,
    const GstStructure * st, const gchar * labels)
{
  guint i, n = gst_structure_n_fields (st);

  for (i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (st, i);
    const GValue *v = gst_structure_get_value (st, field);
    GString *name = g_string_new (NULL);
    gdouble d;

    metric_name (name, prefix, field);
    if (value_as_double (v, &d)) {
      livestream_metrics_add (m, name->str, "gauge", labels, d);
    } else if (GST_VALUE_HOLDS_ARRAY (v) || GST_VALUE_HOLDS_LIST (v)) {
      guint j, k = GST_VALUE_HOLDS_ARRAY (v) ? gst_value_array_get_size (v) :
          gst_value_list_get_size (v);
      for (j = 0; j < k; j++) {
        const GValue *e = GST_VALUE_HOLDS_ARRAY (v) ?
            gst_value_array_get_value (v, j) : gst_value_list_get_value (v, j);
        const GstStructure *sub;
        const gchar *id;
        GString *l;

        if (!GST_VALUE_HOLDS_STRUCTURE (e))
          continue;
        sub = gst_value_get_structure (e);
        id = gst_structure_get_string (sub, "id");
        l = g_string_new (labels);
        g_string_append_printf (l, ",%s=\"", gst_structure_get_name (sub));
        if (id)
          livestream_metrics_escape_label (l, id);
        else
          g_string_append_printf (l, "%u", j);
        g_string_append_c (l, '"');
        metrics_add_structure (m, name->str, sub, l->str);
        g_string_free (l, TRUE);
      }
    }
    g_string_free (name, TRUE);
  }
}

#define STREAM_BIN_PREFIX "stream-"

void
livestream_metrics_element_labels (GString * out, GstElement * element)
{
  gchar *ename = gst_object_get_name (GST_OBJECT (element));
  GstObject *p = gst_object_get_parent (GST_OBJECT (element));

  g_string_append (out, "element=\"");
  livestream_metrics_escape_label (out, ename);
  g_string_append_c (out, '"');
  g_free (ename);
  /* the innermost "stream-<id>" bin, below the top level */
  while (p) {
    GstObject *pp = gst_object_get_parent (p);
    gchar *pname = gst_object_get_name (p);

    if (pp && g_str_has_prefix (pname, STREAM_BIN_PREFIX) &&
        pname[strlen (STREAM_BIN_PREFIX)] != '\0') {
      g_string_append (out, ",stream=\"");
      livestream_metrics_escape_label (out, pname + strlen (STREAM_BIN_PREFIX));
      g_string_append_c (out, '"');
      g_free (pname);
      gst_object_unref (p);
      if (pp)
        gst_object_unref (pp);
      return;
    }
    g_free (pname);
    gst_object_unref (p);
    p = pp;
  }
}

/* The top-level object of @element (a reference) */
static GstObject *
top_level (GstElement * element)
{
  GstObject *top = gst_object_ref (GST_OBJECT (element)), *parent;

  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  return top;
}

/* Every element of @top (a reference each), collected outside the
 * iteration so that no bin lock is held while the stats getters run */
static GList *
collect_elements (GstObject * top)
{
  GList *elems = NULL;
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  gboolean done = FALSE;

  if (!GST_IS_BIN (top))
    return g_list_prepend (NULL, gst_object_ref (top));

  it = gst_bin_iterate_recurse (GST_BIN (top));
  while (!done) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK:
        elems = g_list_prepend (elems, g_value_dup_object (&item));
        g_value_reset (&item);
        break;
      case GST_ITERATOR_RESYNC:
        g_list_free_full (elems, gst_object_unref);
        elems = NULL;
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return elems;
}

void
livestream_metrics_add_pipeline (LivestreamMetrics * m, GstElement * element)
{
  GstObject *top = top_level (element);
  GList *elems, *l;

  if (g_hash_table_contains (m->pipelines, top)) {
    gst_object_unref (top);
    return;
  }
  g_hash_table_add (m->pipelines, top);
  elems = collect_elements (top);
  for (l = elems; l; l = l->next) {
    GstElement *e = l->data;
    GstElementFactory *f = gst_element_get_factory (e);
    const gchar *plugin = f ? gst_plugin_feature_get_plugin_name
        (GST_PLUGIN_FEATURE (f)) : NULL;
    GParamSpec *ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e),
        "stats");
    GstStructure *st = NULL;
    GString *labels, *prefix;

    if (plugin == NULL || !g_str_has_prefix (plugin, PLUGIN_PREFIX) ||
        ps == NULL || ps->value_type != GST_TYPE_STRUCTURE)
      continue;
    g_object_get (e, "stats", &st, NULL);
    if (st == NULL)
      continue;
    labels = g_string_new (NULL);
    livestream_metrics_element_labels (labels, e);
    prefix = g_string_new (NULL);
    metric_name (prefix, "livestream", gst_plugin_feature_get_name
        (GST_PLUGIN_FEATURE (f)));
    metrics_add_structure (m, prefix->str, st, labels->str);
    g_string_free (prefix, TRUE);
    g_string_free (labels, TRUE);
    gst_structure_free (st);
  }
  g_list_free_full (elems, gst_object_unref);
}

void
livestream_metrics_render (GstElement * element, GString * out)
{
  LivestreamMetrics *m = livestream_metrics_new ();
  gchar *text;

  livestream_metrics_add_pipeline (m, element);
  text = livestream_metrics_finish (m);
  g_string_append (out, text);
  g_free (text);
}

void
livestream_metrics_append (GString * out, const gchar * name,
    const gchar * type, const gchar * labels, gdouble value)
{
  g_string_append_printf (out, "# TYPE %s %s\n%s{%s} %.17g\n", name, type,
      name, labels ? labels : "", value);
}
