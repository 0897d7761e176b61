/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Runs a fuzz target over files without libFuzzer: the seed corpus and every
 * input that once crashed (tests/fuzz/regressions/<target>/) are replayed by
 * `meson test --suite fuzz` with any compiler, and under the sanitizer and
 * valgrind set-ups.
 *
 *   fuzz-<target>-replay FILE|DIR...
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"

/* targets that need no set-up do not define it */
__attribute__ ((weak))
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static gboolean
run_file (const gchar * path, guint * n_run)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *err = NULL;

  if (!g_file_get_contents (path, &contents, &len, &err)) {
    g_printerr ("%s: %s\n", path, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  /* an exact-size copy so that ASan sees a read past the input */
  {
    guint8 *copy = g_memdup2 (contents, len);

    LLVMFuzzerTestOneInput (copy, len);
    g_free (copy);
  }
  g_free (contents);
  (*n_run)++;
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar * const *) a, *(const gchar * const *) b);
}

static gboolean
run_path (const gchar * path, guint * n_run)
{
  GDir *dir;
  GPtrArray *names;
  const gchar *name;
  gboolean ok = TRUE;
  guint i;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return run_file (path, n_run);

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (name[0] == '.' || g_str_has_suffix (name, ".md"))
      continue;
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  }
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  for (i = 0; i < names->len; i++)
    ok &= run_path (g_ptr_array_index (names, i), n_run);
  g_ptr_array_unref (names);
  return ok;
}

int
main (int argc, char **argv)
{
  guint n_run = 0;
  gboolean ok = TRUE;
  gchar *base;
  gint i;

  LLVMFuzzerInitialize (&argc, &argv);
  for (i = 1; i < argc; i++)
    ok &= run_path (argv[i], &n_run);

  /* reaching here means no input crashed or broke an invariant */
  base = g_path_get_basename (argv[0]);
  g_print ("%s: %u inputs replayed%s\n", base, n_run,
      ok ? "" : ", some could not be read");
  g_free (base);
  return ok && n_run > 0 ? 0 : 1;
}
