/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* prioqueue's buffer classification: chunk meta, buffer flags, caps and,
 * for H.264/H.265, the NAL unit headers (via gstreamer-codecparsers). The
 * table it implements is documented in docs/prioqueue.md. */

#ifndef __GST_PRIO_CLASSIFY_H__
#define __GST_PRIO_CLASSIFY_H__

#include <gst/gst.h>

#include "shedqueue.h"

G_BEGIN_DECLS

typedef struct _GstPrioClassifier GstPrioClassifier;

/* which rule decided, for debugging and the tests */
typedef enum {
  GST_PRIO_RULE_META,           /* GstChunkMeta priority */
  GST_PRIO_RULE_HEADER,         /* GST_BUFFER_FLAG_HEADER */
  GST_PRIO_RULE_NON_VIDEO,      /* audio, text, metadata caps */
  GST_PRIO_RULE_NAL,            /* H.264/H.265 NAL unit headers */
  GST_PRIO_RULE_FLAGS,          /* DELTA_UNIT / DROPPABLE */
} GstPrioRule;

GstPrioClassifier *gst_prio_classifier_new (void);
void gst_prio_classifier_free (GstPrioClassifier * c);

/* Call on every CAPS event. */
void gst_prio_classifier_set_caps (GstPrioClassifier * c, GstCaps * caps);

/* Forget what was learned from the data (not the caps): after a flush. */
void gst_prio_classifier_reset (GstPrioClassifier * c);

/* Returns the class of @buffer; @flags receives ShedFlags (DELTA,
 * KEYFRAME), @rule (optional) what decided. */
ShedClass gst_prio_classifier_classify (GstPrioClassifier * c,
    GstBuffer * buffer, guint * flags, GstPrioRule * rule);
/* The same; @size (optional) receives the size of @buffer when the
 * classifier learned it on the way (it read the memory), else G_MAXSIZE */
ShedClass gst_prio_classifier_classify_full (GstPrioClassifier * c,
    GstBuffer * buffer, guint * flags, GstPrioRule * rule, gsize * size);

/* the caps are video (or unknown): frames may depend on each other */
gboolean gst_prio_classifier_is_video (GstPrioClassifier * c);

/* For the tests: @in_place FALSE reads every NAL header through
 * codecparsers (default TRUE: plain cases in place). Returns how many
 * buffers the in-place reading decided so far. */
void gst_prio_classifier_set_in_place (GstPrioClassifier * c,
    gboolean in_place);
guint64 gst_prio_classifier_n_in_place (GstPrioClassifier * c);

G_END_DECLS

#endif /* __GST_PRIO_CLASSIFY_H__ */
