/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* dashlivesink's resume state, GLib only: no pads, no locks, no files.
 *
 * A run writes, before every MPD, a state file beside it
 * (".<mpd-name>.state", GKeyFile text) that holds what the manifests list
 * — the MPD model's periods, representations and segment timelines, and
 * every HLS media playlist's segments, media sequence and discontinuity
 * sequence — plus what a later run must agree with (segment duration,
 * HLS on or off).  The state is written first, so it lists at least what
 * the MPD on disk lists.
 *
 * A run started on the same directory reads it back
 * (dash_resume_parse()), checks that it continues the same configuration
 * (dash_resume_check()), and sorts the directory's files
 * (dash_resume_scan()): temporary files of the crashed run go at once,
 * segment files that no manifest will list (published after the last
 * manifest, or left the DVR window before the crash) go with the new
 * run's first manifest, and the new run's media time must start after
 * every segment name already used, so that no name ever comes back with
 * other content.
 *
 * A presentation that ended (EOS: its MPD is static) is not resumed: a
 * new presentation replaces it, and its segment files go with the new
 * one's first manifest. */

#ifndef __DASH_RESUME_H__
#define __DASH_RESUME_H__

#include <glib.h>

#include "mpdmodel.h"
#include "hlsplaylist.h"

G_BEGIN_DECLS

#define DASH_RESUME_ERROR (dash_resume_error_quark ())
GQuark dash_resume_error_quark (void);

typedef enum {
  DASH_RESUME_ERROR_CORRUPT,    /* the state cannot be read */
  DASH_RESUME_ERROR_INCOMPATIBLE,       /* another configuration */
  DASH_RESUME_ERROR_UNKNOWN,    /* an MPD without a state file */
} DashResumeError;

/* What a presentation's state holds (and a run must agree with) */
typedef struct {
  guint64 segment_duration;     /* ns */
  gboolean hls;
  gboolean ended;               /* EOS: the MPD is static */
  MpdModel *mpd;                /* periods, representations, timelines */
  GPtrArray *playlist_ids;      /* gchar *: representation ids */
  GPtrArray *playlists;         /* HlsMediaPlaylist, same index */
} DashResumeState;

void dash_resume_state_free (DashResumeState * st);

/* The state file's name for @mpd_name (g_free) */
gchar *dash_resume_state_name (const gchar * mpd_name);

/* The state as text.  @playlists may be NULL (no HLS). */
gchar *dash_resume_render (guint64 segment_duration, gboolean hls,
    gboolean ended, const MpdModel * mpd, const gchar * const *playlist_ids,
    HlsMediaPlaylist * const *playlists, guint n_playlists);

/* Reads @text back; NULL with DASH_RESUME_ERROR_CORRUPT. */
DashResumeState *dash_resume_parse (const gchar * text, GError ** error);

/* Whether a run with @segment_duration, @hls and the representations
 * @rep_ids (NULL-terminated; NULL or empty = not known yet) continues
 * @st: the same segment duration and HLS setting, and every
 * representation of @st's last period among @rep_ids (new ones may
 * join); DASH_RESUME_ERROR_INCOMPATIBLE says what differs. */
gboolean dash_resume_check (const DashResumeState * st,
    guint64 segment_duration, gboolean hls, const gchar * const *rep_ids,
    GError ** error);

/* Segments listed in @st (every period and representation) */
guint dash_resume_n_segments (const DashResumeState * st);

/* Media time (ns) at which the listed segments end: 0 when none */
guint64 dash_resume_end (const DashResumeState * st);

/* The next segment number of representation @id (its HLS playlist goes
 * on), 0 when @st does not know it */
guint64 dash_resume_next_number (const DashResumeState * st,
    const gchar * id);

/* The directory's files, sorted */
typedef struct {
  GPtrArray *temporary;         /* gchar *: "*.tmp", remove now */
  GPtrArray *orphans;           /* gchar *: segment files no manifest will
                                 * list, remove after the first manifest */
  GPtrArray *adoptable;         /* gchar *: segment files (published after
                                 * the last manifest, or being written:
                                 * ".tmp") that may continue a
                                 * representation's timeline, in time order
                                 * (also in orphans / temporary) */
  guint64 floor_ns;             /* media time the new run starts at or
                                 * after: past every segment name in use */
} DashResumeScan;

void dash_resume_scan_clear (DashResumeScan * scan);

/* Sorts @names (the directory's file names, NULL-terminated).  @st: the
 * state read (NULL: none); @resume: whether the run continues it (else
 * its listed segments are orphans too); @rep_ids: the run's
 * representations (their segment files are orphans when not listed). */
void dash_resume_scan (const DashResumeState * st, gboolean resume,
    const gchar * const *rep_ids, const gchar * const *names,
    DashResumeScan * scan);

/* The complete CMAF chunks of a media segment's bytes (a segment file, or
 * the temporary file of one a crashed run was writing): their length
 * (styp and prft included, every moof with its whole mdat) and their
 * duration in ticks (the sum of their trun sample durations).  0 when no
 * chunk is complete. */
gsize dash_resume_complete_chunks (const guint8 * data, gsize size,
    guint64 * duration);

/* Lists segment @t (@d ticks, @size bytes) of @rep_id in @st, in the last
 * period's representation and in the HLS playlist, numbered after the
 * last one, when it starts where they end (@name: its file).  FALSE when
 * it does not continue them. */
gboolean dash_resume_adopt (DashResumeState * st, const gchar * rep_id,
    const gchar * name, guint64 t, guint64 d, guint64 size);

/* What a run starting on a directory does */
typedef struct {
  DashResumeState *state;       /* the presentation it continues, NULL = a
                                 * new one */
  DashResumeScan scan;
  gchar *replaced;              /* why a presentation in the directory is
                                 * not continued (it ended, resume off, its
                                 * state unreadable), NULL = none was */
} DashResumePlan;

void dash_resume_plan_clear (DashResumePlan * plan);

/* Decides for a run with @resume, @segment_duration, @hls and @rep_ids:
 * @state_text is the state file (NULL: none), @names the directory's
 * files, @mpd_name the MPD's.  A live presentation is continued when
 * @resume; FALSE (and nothing decided) when it cannot be: its state is
 * unreadable, another configuration wrote it, or an MPD is there without
 * a state (another packager's, or an older dashlivesink's).  Without
 * @resume, or when the presentation ended, a new one replaces it. */
gboolean dash_resume_plan (const gchar * state_text, const gchar * mpd_name,
    gboolean resume, guint64 segment_duration, gboolean hls,
    const gchar * const *rep_ids, const gchar * const *names,
    DashResumePlan * plan, GError ** error);

G_END_DECLS

#endif /* __DASH_RESUME_H__ */
