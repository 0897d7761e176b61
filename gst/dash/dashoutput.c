/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's output directory.  See dashoutput.h. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "dashoutput.h"

struct _DashOutput
{
  gchar *dir;
  HttpServer *server;
  DashUpload *upload;
  gboolean upload_served;       /* the uploader gets the served manifests */

  /* manifest renames: name -> newest version in place */
  GMutex lock;
  GHashTable *versions;
};

struct _DashSegmentFile
{
  DashOutput *out;
  gchar *rep_id, *name, *tmp_name;
  guint64 key;
  gboolean chunked;
  gint fd;
  guint64 size;
};

G_DEFINE_QUARK (dash - output - error - quark, dash_output_error);

void
dash_output_error_from_errno (GError ** error, gint errsv,
    DashOutputError code, const gchar * what, const gchar * path)
{
  if (errsv == ENOSPC || errsv == EFBIG || errsv == EDQUOT)
    code = DASH_OUTPUT_ERROR_NO_SPACE;
  g_set_error (error, DASH_OUTPUT_ERROR, code, "Could not %s \"%s\": %s",
      what, path, g_strerror (errsv));
}

DashOutput *
dash_output_new (const gchar * dir)
{
  DashOutput *out = g_new0 (DashOutput, 1);

  out->dir = g_strdup (dir);
  g_mutex_init (&out->lock);
  out->versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return out;
}

void
dash_output_free (DashOutput * out)
{
  if (out == NULL)
    return;
  g_hash_table_unref (out->versions);
  g_mutex_clear (&out->lock);
  g_free (out->dir);
  g_free (out);
}

gboolean
dash_output_prepare (DashOutput * out, GError ** error)
{
  gchar *probe;
  gint fd;

  if (g_mkdir_with_parents (out->dir, 0755) != 0) {
    dash_output_error_from_errno (error, errno, DASH_OUTPUT_ERROR_OPEN,
        "create the directory", out->dir);
    return FALSE;
  }
  /* find out now rather than at the first segment */
  probe = g_build_filename (out->dir, ".dashlivesink-probe", NULL);
  fd = g_open (probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    dash_output_error_from_errno (error, errno, DASH_OUTPUT_ERROR_OPEN,
        "write to the directory", out->dir);
    g_free (probe);
    return FALSE;
  }
  close (fd);
  g_unlink (probe);
  g_free (probe);
  return TRUE;
}

void
dash_output_set_consumers (DashOutput * out, HttpServer * server,
    DashUpload * upload)
{
  out->server = server;
  out->upload = upload;
}

void
dash_output_set_upload_served (DashOutput * out, gboolean served)
{
  out->upload_served = served;
}

static void
announce (DashOutput * out, const gchar * name)
{
  if (out->server)
    http_server_file_published (out->server, name);
  if (out->upload)
    dash_upload_file_published (out->upload, name);
}

/* Writes @data to @path, complete or not at all */
static gboolean
write_whole (const gchar * path, const guint8 * data, gsize len,
    GError ** error)
{
  gint fd, err = 0;
  gsize done = 0;

  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    dash_output_error_from_errno (error, errno, DASH_OUTPUT_ERROR_OPEN,
        "create", path);
    return FALSE;
  }
  while (err == 0 && done < len) {
    gssize w = write (fd, data + done, len - done);
    if (w < 0 && errno != EINTR)
      err = errno;
    else if (w > 0)
      done += w;
  }
  if (close (fd) != 0 && err == 0)
    err = errno;
  if (err != 0) {
    g_unlink (path);
    dash_output_error_from_errno (error, err, DASH_OUTPUT_ERROR_WRITE,
        "write", path);
    return FALSE;
  }
  return TRUE;
}

static gboolean
rename_into_place (const gchar * tmp, const gchar * path, GError ** error)
{
  if (g_rename (tmp, path) != 0) {
    gint err = errno;
    g_unlink (tmp);
    dash_output_error_from_errno (error, err, DASH_OUTPUT_ERROR_WRITE,
        "publish", path);
    return FALSE;
  }
  return TRUE;
}

gboolean
dash_output_write_file (DashOutput * out, const gchar * name,
    const guint8 * data, gsize len, GError ** error)
{
  gchar *path = g_build_filename (out->dir, name, NULL);
  gchar *tmp = g_strconcat (path, ".tmp", NULL);
  gboolean ok;

  ok = write_whole (tmp, data, len, error) &&
      rename_into_place (tmp, path, error);
  if (ok)
    announce (out, name);
  g_free (tmp);
  g_free (path);
  return ok;
}

typedef void (*PlacedFunc) (DashOutput * out, const gchar * name,
    gpointer user_data);

/* Writes @text as @name, newest version wins: one temporary name per
 * version (two writers never share one), renamed into place unless a newer
 * version is there already; @placed is called under the output's lock once
 * this version is in place. */
static gboolean
write_newest (DashOutput * out, const gchar * name, guint64 version,
    const gchar * text, PlacedFunc placed, gpointer user_data, GError ** error)
{
  gchar *path = g_build_filename (out->dir, name, NULL);
  gchar *tmp = g_strdup_printf ("%s.%" G_GUINT64_FORMAT ".tmp", path,
      version);
  gboolean ok;

  ok = write_whole (tmp, (const guint8 *) text, strlen (text), error);
  if (ok) {
    gpointer newest;

    g_mutex_lock (&out->lock);
    if (g_hash_table_lookup_extended (out->versions, name, NULL, &newest) &&
        GPOINTER_TO_SIZE (newest) > version) {
      /* a newer version is in place */
      g_unlink (tmp);
    } else {
      ok = rename_into_place (tmp, path, error);
      if (ok) {
        g_hash_table_insert (out->versions, g_strdup (name),
            GSIZE_TO_POINTER ((gsize) version));
        if (placed)
          placed (out, name, user_data);
      }
    }
    g_mutex_unlock (&out->lock);
  }
  g_free (tmp);
  g_free (path);
  return ok;
}

/* (LOCK) a manifest in place: the server and the uploader get it */
static void
manifest_placed (DashOutput * out, const gchar * name, gpointer user_data)
{
  const gchar *served = user_data;
  GBytes *doc = served ? g_bytes_new (served, strlen (served)) : NULL;

  if (out->server)
    http_server_set_document (out->server, name, doc);
  /* an origin that serves growing uploads gets what the embedded
   * server would answer (upload-ll-manifests) */
  if (out->upload && out->upload_served)
    dash_upload_set_document (out->upload, name, doc);
  if (doc)
    g_bytes_unref (doc);
  announce (out, name);
}

gboolean
dash_output_write_manifest (DashOutput * out, const gchar * name,
    guint64 version, const gchar * text, const gchar * served, GError ** error)
{
  return write_newest (out, name, version, text, manifest_placed,
      (gpointer) served, error);
}

void
dash_output_serve_playlist (DashOutput * out, const gchar * name,
    guint64 version, const gchar * text, const gchar * delta,
    const HlsPlaylistState * state)
{
  if (out->server)
    http_server_set_playlist (out->server, name, version, text, delta, state);
}

gboolean
dash_output_write_private (DashOutput * out, const gchar * name,
    guint64 version, const gchar * text, GError ** error)
{
  return write_newest (out, name, version, text, NULL, NULL, error);
}

static void
remove_name (GPtrArray * names, const gchar * name)
{
  guint i;

  for (i = 0; i < names->len; i++)
    if (g_str_equal (g_ptr_array_index (names, i), name)) {
      g_ptr_array_remove_index (names, i);
      return;
    }
}

/* The segments a crashed run published after its last manifest, and the
 * complete chunks of the ones it was writing, continue the timelines of
 * the presentation it left: players may have them, or parts of them
 * (low latency).  The rest stays an orphan. */
static void
adopt_segments (DashOutput * out, DashResumePlan * plan)
{
  guint i;

  for (i = 0; i < plan->scan.adoptable->len; i++) {
    const gchar *name = g_ptr_array_index (plan->scan.adoptable, i);
    gboolean tmp = g_str_has_suffix (name, ".tmp");
    gchar *final = g_strndup (name, strlen (name) - (tmp ? 4 : 0));
    gchar *path = g_build_filename (out->dir, name, NULL);
    gchar *dash = strrchr (final, '-'), *rep, *data = NULL;
    gsize len = 0, complete;
    guint64 t, d = 0;

    rep = g_strndup (final, dash - final);
    t = g_ascii_strtoull (dash + 1, NULL, 10);
    if (g_file_get_contents (path, &data, &len, NULL) &&
        (complete = dash_resume_complete_chunks ((const guint8 *) data, len,
                &d)) > 0) {
      gchar *to = g_build_filename (out->dir, final, NULL);
      /* a partial one: its complete chunks, published */
      if (tmp && (truncate (path, complete) != 0 || g_rename (path, to) != 0))
        d = 0;
      else if (tmp)
        remove_name (plan->scan.temporary, name);
      if (d > 0 && dash_resume_adopt (plan->state, rep, final, t, d, complete)) {
        remove_name (plan->scan.orphans, final);
        plan->scan.floor_ns = MAX (plan->scan.floor_ns,
            dash_resume_end (plan->state));
      } else if (d > 0 && tmp) {
        g_ptr_array_add (plan->scan.orphans, g_strdup (final));
      }
      g_free (to);
    }
    g_free (data);
    g_free (rep);
    g_free (path);
    g_free (final);
  }
}

gboolean
dash_output_open_presentation (DashOutput * out, const gchar * mpd_name,
    gboolean resume, guint64 segment_duration, gboolean hls,
    const gchar * const *rep_ids, DashResumePlan * plan, GError ** error)
{
  gchar *state_name = dash_resume_state_name (mpd_name), *text = NULL;
  gchar **names = NULL;
  gboolean ok = FALSE;
  guint i;

  names = dash_output_list (out, error);
  if (names == NULL)
    goto done;
  text = dash_output_read (out, state_name, error);
  if (text == NULL && error && *error)
    goto done;
  if (!dash_resume_plan (text, mpd_name, resume, segment_duration, hls,
          rep_ids, (const gchar * const *) names, plan, error))
    goto done;
  if (plan->state)
    adopt_segments (out, plan);
  /* what a crashed run was writing */
  for (i = 0; i < plan->scan.temporary->len; i++)
    dash_output_discard (out, g_ptr_array_index (plan->scan.temporary, i),
        NULL);
  ok = TRUE;

done:
  g_strfreev (names);
  g_free (text);
  g_free (state_name);
  return ok;
}

gchar **
dash_output_list (DashOutput * out, GError ** error)
{
  GPtrArray *names = g_ptr_array_new ();
  GDir *d = g_dir_open (out->dir, 0, error);
  const gchar *n;

  if (d == NULL) {
    g_ptr_array_free (names, TRUE);
    return NULL;
  }
  while ((n = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}

gchar *
dash_output_read (DashOutput * out, const gchar * name, GError ** error)
{
  gchar *path = g_build_filename (out->dir, name, NULL);
  gchar *text = NULL;
  GError *err = NULL;

  if (!g_file_get_contents (path, &text, NULL, &err)) {
    if (!g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_set_error (error, DASH_OUTPUT_ERROR, DASH_OUTPUT_ERROR_OPEN,
          "Could not read \"%s\": %s", path, err->message);
    g_clear_error (&err);
  }
  g_free (path);
  return text;
}

gboolean
dash_output_discard (DashOutput * out, const gchar * name, GError ** error)
{
  gchar *path = g_build_filename (out->dir, name, NULL);
  gboolean ok = TRUE;

  if (g_unlink (path) != 0 && errno != ENOENT) {
    dash_output_error_from_errno (error, errno, DASH_OUTPUT_ERROR_WRITE,
        "delete", path);
    ok = FALSE;
  }
  g_free (path);
  return ok;
}

gboolean
dash_output_remove (DashOutput * out, const gchar * name, GError ** error)
{
  gchar *path = g_build_filename (out->dir, name, NULL);
  gboolean ok = TRUE;

  if (g_unlink (path) != 0 && errno != ENOENT) {
    dash_output_error_from_errno (error, errno, DASH_OUTPUT_ERROR_WRITE,
        "delete", path);
    ok = FALSE;
  } else if (out->upload) {
    dash_upload_file_removed (out->upload, name);
  }
  g_free (path);
  return ok;
}

void
dash_output_segment_expected (DashOutput * out, const gchar * name,
    gboolean expected)
{
  if (out->upload == NULL)
    return;
  if (expected)
    dash_upload_segment_expected (out->upload, name);
  else
    dash_upload_segment_abandoned (out->upload, name);
}

/* ---------------------------------------------------------------- */

DashSegmentFile *
dash_output_segment_begin (DashOutput * out, const gchar * rep_id,
    guint64 key, guint64 ahead, const gchar * name, gboolean chunked)
{
  DashSegmentFile *f = g_new0 (DashSegmentFile, 1);

  f->out = out;
  f->rep_id = g_strdup (rep_id);
  f->name = g_strdup (name);
  f->tmp_name = g_strconcat (name, ".tmp", NULL);
  f->key = key;
  f->chunked = chunked;
  f->fd = -1;
  if (out->server)
    http_server_segment_started (out->server, rep_id, key, ahead, f->tmp_name,
        f->name);
  return f;
}

static void
segment_file_free (DashSegmentFile * f)
{
  g_free (f->rep_id);
  g_free (f->name);
  g_free (f->tmp_name);
  g_free (f);
}

static gboolean
writev_all (gint fd, struct iovec *iov, guint n)
{
  while (n > 0) {
    guint batch = MIN (n, 512);
    gssize w = writev (fd, iov, batch);

    if (w < 0) {
      if (errno == EINTR)
        continue;
      return FALSE;
    }
    while (n > 0 && (gsize) w >= iov->iov_len) {
      w -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0 && w > 0) {
      iov->iov_base = (guint8 *) iov->iov_base + w;
      iov->iov_len -= w;
    }
  }
  return TRUE;
}

gboolean
dash_segment_file_append (DashSegmentFile * f, const struct iovec *iov,
    guint n_iov, GError ** error)
{
  DashOutput *out = f->out;
  gchar *path = g_build_filename (out->dir, f->tmp_name, NULL);
  struct iovec *v;
  guint64 offset = f->size, total = 0;
  guint i;

  if (f->fd < 0) {
    f->fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
      dash_output_error_from_errno (error, errno, DASH_OUTPUT_ERROR_OPEN,
          "open for writing", path);
      g_free (path);
      return FALSE;
    }
  }
  /* writev_all moves through its own copy */
  v = g_newa (struct iovec, MAX (n_iov, 1));
  memcpy (v, iov, n_iov * sizeof (struct iovec));
  for (i = 0; i < n_iov; i++)
    total += iov[i].iov_len;
  if (!writev_all (f->fd, v, n_iov)) {
    gint err = errno;
    /* the unfinished segment goes; everything published stays */
    close (f->fd);
    f->fd = -1;
    g_unlink (path);
    dash_output_error_from_errno (error, err, DASH_OUTPUT_ERROR_WRITE,
        "write", path);
    g_free (path);
    return FALSE;
  }
  g_free (path);
  f->size += total;
  /* low latency: the origin and the server's clients get it now */
  if (f->chunked && out->upload)
    dash_upload_chunk_written (out->upload, f->name, f->tmp_name, f->size);
  if (out->server)
    http_server_chunk_written (out->server, f->rep_id, f->key, offset, total);
  return TRUE;
}

guint64
dash_segment_file_get_size (DashSegmentFile * f)
{
  return f->size;
}

gboolean
dash_segment_file_is_empty (DashSegmentFile * f)
{
  return f->fd < 0;
}

gboolean
dash_segment_file_publish (DashSegmentFile * f, GError ** error)
{
  DashOutput *out = f->out;
  gchar *path = g_build_filename (out->dir, f->name, NULL);
  gchar *tmp = g_build_filename (out->dir, f->tmp_name, NULL);
  gboolean ok = TRUE;

  if (f->fd < 0 || close (f->fd) != 0) {
    dash_output_error_from_errno (error, f->fd < 0 ? ENOENT : errno,
        DASH_OUTPUT_ERROR_WRITE, "publish", path);
    g_unlink (tmp);
    ok = FALSE;
  } else {
    ok = rename_into_place (tmp, path, error);
  }
  f->fd = -1;
  if (ok)
    announce (out, f->name);
  g_free (tmp);
  g_free (path);
  segment_file_free (f);
  return ok;
}

void
dash_segment_file_abandon (DashSegmentFile * f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0) {
    gchar *path = g_build_filename (f->out->dir, f->tmp_name, NULL);
    close (f->fd);
    g_unlink (path);
    g_free (path);
  }
  /* responses streaming it are cut (the server sees its file unlinked):
   * no client or cache takes the truncated body for the segment */
  if (f->out->server)
    http_server_file_published (f->out->server, f->name);
  /* its chunked PUT to the origin is ended */
  if (f->out->upload)
    dash_upload_segment_abandoned (f->out->upload, f->name);
  segment_file_free (f);
}
