/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's output directory: every file it writes, and telling the
 * embedded HTTP server and the uploader that a file is ready.
 *
 * - Whole files (init segments) are written under a temporary name and
 *   renamed into place: readers never see a partial file.
 * - Manifests (MPD, playlists) likewise, each with a version: several
 *   streaming threads may render them, the newest version on disk wins and
 *   an older one that finishes later is discarded.  Only the rename is
 *   serialised (a mutex of this module held for one rename), never the
 *   write.
 * - A media segment is appended chunk by chunk to "<name>.tmp" (the server
 *   streams the chunks to clients, the uploader PUTs them) and renamed when
 *   complete, or removed when abandoned.  One thread at a time per segment
 *   file (the caller's rule).
 * - Failures are GErrors of DASH_OUTPUT_ERROR naming the file, with one
 *   errno mapping (dash_output_error_from_errno()).
 *
 * No GStreamer: GLib, the server and the uploader only.  Never called with
 * a lock of the element held. */

#ifndef __DASH_OUTPUT_H__
#define __DASH_OUTPUT_H__

#include <glib.h>
#include <sys/uio.h>

#include "httpserver.h"
#include "dashupload.h"
#include "dashresume.h"

G_BEGIN_DECLS

#define DASH_OUTPUT_ERROR (dash_output_error_quark ())
GQuark dash_output_error_quark (void);

typedef enum {
  DASH_OUTPUT_ERROR_OPEN,       /* the file or directory cannot be created */
  DASH_OUTPUT_ERROR_WRITE,      /* writing, closing or renaming failed */
  DASH_OUTPUT_ERROR_NO_SPACE,   /* ENOSPC, EFBIG, EDQUOT */
} DashOutputError;

/* Sets @error from @errsv for @path: NO_SPACE for a full disk or quota,
 * else @code.  The message names the path and says why. */
void dash_output_error_from_errno (GError ** error, gint errsv,
    DashOutputError code, const gchar * what, const gchar * path);

typedef struct _DashOutput DashOutput;

DashOutput *dash_output_new (const gchar * dir);
void dash_output_free (DashOutput * out);

/* Creates the directory if needed and checks that files can be created
 * in it. */
gboolean dash_output_prepare (DashOutput * out, GError ** error);

/* What a run does with the presentation in the directory
 * (dash_resume_plan() on its state file and its files): temporary files
 * a previous run left are removed here.  FALSE with DASH_RESUME_ERROR
 * when the presentation cannot be continued, DASH_OUTPUT_ERROR when the
 * directory cannot be read. */
gboolean dash_output_open_presentation (DashOutput * out,
    const gchar * mpd_name, gboolean resume, guint64 segment_duration,
    gboolean hls, const gchar * const *rep_ids, DashResumePlan * plan,
    GError ** error);

/* Who hears about ready files (each may be NULL).  Set before the first
 * file is written and cleared after the last. */
void dash_output_set_consumers (DashOutput * out, HttpServer * server,
    DashUpload * upload);
/* The uploader pushes the manifests the embedded server answers (the
 * low-latency MPD: dash_output_write_manifest's @served) instead of the
 * files: upload-ll-manifests. */
void dash_output_set_upload_served (DashOutput * out, gboolean served);

/* Writes @name atomically and announces it. */
gboolean dash_output_write_file (DashOutput * out, const gchar * name,
    const guint8 * data, gsize len, GError ** error);

/* Writes version @version of manifest @name (@text) atomically and
 * announces it, unless a newer version is already in place (then it is
 * discarded and TRUE returned: what is on disk is newer).  The embedded
 * server answers @served for @name instead of the file, or the file when
 * @served is NULL. */
gboolean dash_output_write_manifest (DashOutput * out, const gchar * name,
    guint64 version, const gchar * text, const gchar * served,
    GError ** error);

/* Writes version @version of @name (@text) atomically, like a manifest,
 * without announcing it: a file of the sink's own (the resume state). */
gboolean dash_output_write_private (DashOutput * out, const gchar * name,
    guint64 version, const gchar * text, GError ** error);

/* The names of the directory's files (NULL-terminated, g_strfreev) */
gchar **dash_output_list (DashOutput * out, GError ** error);

/* The contents of @name, NULL when it does not exist (or @error) */
gchar *dash_output_read (DashOutput * out, const gchar * name,
    GError ** error);

/* Removes @name (a temporary file a previous run left) without telling
 * anyone; a missing file is no error. */
gboolean dash_output_discard (DashOutput * out, const gchar * name,
    GError ** error);

/* LL-HLS: the embedded server answers playlist @name with @text (@delta
 * for _HLS_skip, may be NULL), which lists @state — from memory, no file
 * is written.  A version older than the one the server has is ignored. */
void dash_output_serve_playlist (DashOutput * out, const gchar * name,
    guint64 version, const gchar * text, const gchar * delta,
    const HlsPlaylistState * state);

/* Removes @name (a segment that left the DVR window); a missing file is
 * no error.  The uploader deletes it from the origin too. */
gboolean dash_output_remove (DashOutput * out, const gchar * name,
    GError ** error);

/* Low latency push: segment @name, which the manifests about to be
 * written announce, will come (@expected) or will not. */
void dash_output_segment_expected (DashOutput * out, const gchar * name,
    gboolean expected);

/* --- media segments ---------------------------------------------- */

typedef struct _DashSegmentFile DashSegmentFile;

/* A media segment @name of representation @rep_id begins (the server
 * makes requests for it follow its chunks); @key is the number in its
 * name, and names of @rep_id up to @ahead after it are announced (the
 * server makes requests for them wait).  @chunked: its chunks are pushed
 * to the origin as they are written. */
DashSegmentFile *dash_output_segment_begin (DashOutput * out,
    const gchar * rep_id, guint64 key, guint64 ahead, const gchar * name,
    gboolean chunked);

/* Appends one chunk (@iov, @n_iov) to the segment's temporary file
 * (created by the first one).  On failure the temporary file is removed. */
gboolean dash_segment_file_append (DashSegmentFile * file,
    const struct iovec *iov, guint n_iov, GError ** error);

/* Bytes appended so far */
guint64 dash_segment_file_get_size (DashSegmentFile * file);
/* Whether nothing was appended yet */
gboolean dash_segment_file_is_empty (DashSegmentFile * file);

/* The segment is complete: renamed into place, announced.  Frees @file. */
gboolean dash_segment_file_publish (DashSegmentFile * file, GError ** error);

/* The segment will not be completed (flush, error, stop): its temporary
 * file is removed and its chunked upload ended.  Frees @file. */
void dash_segment_file_abandon (DashSegmentFile * file);

G_END_DECLS

#endif /* __DASH_OUTPUT_H__ */
