/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* callertable: srtingestsrc's stream ids, admission, rate limit, pad and
 * grace bookkeeping, libsrt log lines */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <gst/check/gstcheck.h>
#include "callertable.h"

#define SEC G_USEC_PER_SEC

static StreamIdResult
parse (const gchar * raw, const gchar * def, gchar ** name)
{
  static StreamId sid;
  StreamIdResult r = stream_id_parse (raw, def, &sid);

  *name = sid.name;
  if (r != STREAM_ID_OK)
    fail_unless (sid.problem != NULL);
  return r;
}

GST_START_TEST (test_stream_id_plain)
{
  gchar *name;

  fail_unless_equals_int (parse ("cam1", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "cam1");
  fail_unless_equals_int (parse ("Cam_1-a", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "Cam_1-a");
  /* runs of other bytes become one '_', none at the ends */
  fail_unless_equals_int (parse ("live/cam 1", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "live_cam_1");
  fail_unless_equals_int (parse ("/live//cam1/", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "live_cam1");
  fail_unless_equals_int (parse ("a.b.c", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "a_b_c");
  /* an underscore of the id itself stays, also at the ends */
  fail_unless_equals_int (parse ("_x_", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "_x_");
  /* UTF-8 letters are not in the charset: no path tricks either */
  fail_unless_equals_int (parse ("caméra", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "cam_ra");
  fail_unless_equals_int (parse ("../../etc", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "etc");

  /* nothing usable */
  fail_unless_equals_int (parse ("!!!", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_string (name, "");
  fail_unless_equals_int (parse ("..", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("é", NULL, &name), STREAM_ID_MALFORMED);
  /* not UTF-8, control characters */
  fail_unless_equals_int (parse ("cam\xff", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("cam\n1", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("cam\x7f", NULL, &name), STREAM_ID_MALFORMED);
  /* an unknown "#!" format */
  fail_unless_equals_int (parse ("#!:{r=x}", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!x", NULL, &name), STREAM_ID_MALFORMED);
  /* a '#' alone is an ordinary character */
  fail_unless_equals_int (parse ("#cam", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "cam");
}

GST_END_TEST;

GST_START_TEST (test_stream_id_empty)
{
  gchar *name;

  fail_unless_equals_int (parse (NULL, NULL, &name), STREAM_ID_EMPTY);
  fail_unless_equals_int (parse ("", "", &name), STREAM_ID_EMPTY);
  fail_unless_equals_int (parse ("", "default", &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "default");
  fail_unless_equals_int (parse (NULL, "live/main", &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "live_main");
}

GST_END_TEST;

GST_START_TEST (test_stream_id_access_control)
{
  gchar *name;
  StreamId sid;

  fail_unless_equals_int (stream_id_parse ("#!::r=cam1,m=publish", NULL,
          &sid), STREAM_ID_OK);
  fail_unless_equals_string (sid.name, "cam1");
  fail_unless (sid.access_control);
  fail_unless_equals_int (parse ("#!::m=publish,r=live/cam2", NULL, &name),
      STREAM_ID_OK);
  fail_unless_equals_string (name, "live_cam2");
  /* mode and type may be absent; user, host, session and custom keys
   * are allowed */
  fail_unless_equals_int (parse ("#!::r=a", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "a");
  fail_unless_equals_int (parse ("#!::u=bob,r=a,h=example.com,s=123,t=stream,"
          "m=publish,x-custom=1", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "a");
  /* a value may hold '=' */
  fail_unless_equals_int (parse ("#!::r=a=b", NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "a_b");

  /* an ingest takes publishers only */
  fail_unless_equals_int (parse ("#!::r=a,m=request", NULL, &name),
      STREAM_ID_BAD_MODE);
  fail_unless_equals_int (parse ("#!::r=a,m=bidirectional", NULL, &name),
      STREAM_ID_BAD_MODE);
  fail_unless_equals_int (parse ("#!::r=a,m=push", NULL, &name),
      STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=a,t=file", NULL, &name),
      STREAM_ID_MALFORMED);

  /* syntax */
  fail_unless_equals_int (parse ("#!::", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::m=publish", NULL, &name),
      STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=a,,m=publish", NULL, &name),
      STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=a,publish", NULL, &name),
      STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::=a", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=a,r=b", NULL, &name),
      STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=a,", NULL, &name), STREAM_ID_MALFORMED);
  fail_unless_equals_int (parse ("#!::r=///", NULL, &name),
      STREAM_ID_MALFORMED);
}

GST_END_TEST;

GST_START_TEST (test_stream_id_lengths)
{
  gchar raw[STREAM_ID_MAX + 2];
  gchar out[STREAM_NAME_MAX + 1];
  gchar *name;

  /* names of STREAM_NAME_MAX bytes fit, longer ones are refused (never
   * cut: two long ids would become the same stream) */
  memset (raw, 'a', sizeof (raw));
  raw[STREAM_NAME_MAX] = '\0';
  fail_unless_equals_int (parse (raw, NULL, &name), STREAM_ID_OK);
  fail_unless_equals_int (strlen (name), STREAM_NAME_MAX);
  raw[STREAM_NAME_MAX] = 'a';
  raw[STREAM_NAME_MAX + 1] = '\0';
  fail_unless_equals_int (parse (raw, NULL, &name), STREAM_ID_MALFORMED);

  /* a long id whose sanitised name is short is fine, up to SRT's 512 */
  memset (raw, '/', sizeof (raw));
  raw[0] = 'x';
  raw[STREAM_ID_MAX] = '\0';
  fail_unless_equals_int (parse (raw, NULL, &name), STREAM_ID_OK);
  fail_unless_equals_string (name, "x");
  raw[STREAM_ID_MAX] = '/';
  raw[STREAM_ID_MAX + 1] = '\0';
  fail_unless_equals_int (parse (raw, NULL, &name), STREAM_ID_MALFORMED);

  /* the separator that would make the name too long counts too */
  memset (raw, 'b', sizeof (raw));
  raw[STREAM_NAME_MAX - 1] = '/';
  raw[STREAM_NAME_MAX] = 'c';
  raw[STREAM_NAME_MAX + 1] = '\0';
  fail_if (stream_name_sanitise (raw, strlen (raw), out));
  fail_unless_equals_string (out, "");
  /* a trailing run costs nothing */
  fail_unless (stream_name_sanitise (raw, STREAM_NAME_MAX, out));
  fail_unless_equals_int (strlen (out), STREAM_NAME_MAX - 1);
  /* "b...b_c" of exactly STREAM_NAME_MAX */
  raw[STREAM_NAME_MAX - 2] = '/';
  raw[STREAM_NAME_MAX - 1] = 'c';
  fail_unless (stream_name_sanitise (raw, STREAM_NAME_MAX, out));
  fail_unless_equals_int (strlen (out), STREAM_NAME_MAX);
  fail_unless (g_str_has_suffix (out, "b_c"));
}

GST_END_TEST;

static CallerTableConfig
config_default (void)
{
  CallerTableConfig c = { 0, };

  c.max_callers = 3;
  c.grace = 0;
  c.duplicate = CALLER_DUPLICATE_REFUSE;
  c.rate = 0;
  c.rate_per_address = 0;
  c.handshake_timeout = 5 * SEC;
  return c;
}

/* admit + connect in one step */
static CallerStream *
join (CallerTable * t, gint64 handle, const gchar * id, gint64 now,
    CallerVerdict expect)
{
  CallerVerdict v;
  CallerStream *s;

  v = caller_table_admit (t, handle, "10.0.0.1", id, now, NULL);
  fail_unless_equals_int (v, expect);
  if (!CALLER_VERDICT_IS_ACCEPT (v))
    return NULL;
  s = caller_table_connected (t, handle, now, &v, NULL);
  fail_unless (s != NULL);
  fail_unless_equals_int (v, expect);
  fail_unless_equals_int (s->state, CALLER_STREAM_LIVE);
  fail_unless_equals_int (s->handle, handle);
  return s;
}

GST_START_TEST (test_admit_basic)
{
  CallerTableConfig cfg = config_default ();
  CallerTable *t = caller_table_new (&cfg);
  CallerStream *s;
  StreamId sid;
  CallerVerdict v;
  GList *l;

  v = caller_table_admit (t, 100, "10.0.0.1", "#!::r=cam1,m=publish", 0, &sid);
  fail_unless_equals_int (v, CALLER_ACCEPT_NEW);
  fail_unless_equals_string (sid.name, "cam1");
  s = caller_table_lookup (t, "cam1");
  fail_unless_equals_int (s->state, CALLER_STREAM_PENDING);
  fail_unless_equals_int (s->pending_handle, 100);
  fail_unless_equals_string (s->pending_address, "10.0.0.1");
  fail_unless_equals_string (s->pending_stream_id, "#!::r=cam1,m=publish");
  fail_unless (caller_table_lookup_pending (t, 100) == s);
  fail_unless_equals_int (caller_table_n_pending (t), 1);
  /* accepts count once connected */
  fail_unless_equals_int (caller_table_count (t, CALLER_ACCEPT_NEW), 0);

  /* a second handshake for the same stream while the first is pending */
  v = caller_table_admit (t, 101, "10.0.0.2", "cam1", 0, NULL);
  fail_unless_equals_int (v, CALLER_REFUSE_DUPLICATE);

  s = caller_table_connected (t, 100, 10, &v, NULL);
  fail_unless (s != NULL);
  fail_unless_equals_int (v, CALLER_ACCEPT_NEW);
  fail_unless_equals_int (s->connections, 1);
  fail_unless_equals_int (caller_table_count (t, CALLER_ACCEPT_NEW), 1);
  fail_unless_equals_int (caller_table_n_pending (t), 0);
  fail_unless (caller_table_connected (t, 100, 10, &v, NULL) == NULL);

  /* connected: duplicate again */
  v = caller_table_admit (t, 102, "10.0.0.2", "cam1", 0, NULL);
  fail_unless_equals_int (v, CALLER_REFUSE_DUPLICATE);
  /* ids that sanitise alike are the same stream */
  v = caller_table_admit (t, 103, "10.0.0.2", "/cam1/", 0, NULL);
  fail_unless_equals_int (v, CALLER_REFUSE_DUPLICATE);
  fail_unless_equals_int (caller_table_count (t, CALLER_REFUSE_DUPLICATE), 3);

  /* malformed, bad mode, allowed */
  fail_unless_equals_int (caller_table_admit (t, 104, "a", "#!::m=publish", 0,
          NULL), CALLER_REFUSE_MALFORMED);
  fail_unless_equals_int (caller_table_admit (t, 105, "a", "#!::r=x,m=request",
          0, NULL), CALLER_REFUSE_UNSUPPORTED_MODE);
  fail_unless_equals_int (caller_table_admit (t, 106, "a", "", 0, NULL),
      CALLER_REFUSE_MALFORMED);

  join (t, 107, "cam2", 0, CALLER_ACCEPT_NEW);
  join (t, 108, "cam3", 0, CALLER_ACCEPT_NEW);
  fail_unless_equals_int (caller_table_admit (t, 109, "a", "cam4", 0, NULL),
      CALLER_REFUSE_MAX_CALLERS);
  fail_unless_equals_int (caller_table_n_streams (t, CALLER_STREAM_LIVE), 3);

  l = caller_table_streams (t);
  fail_unless_equals_int (g_list_length (l), 3);
  fail_unless_equals_string (((CallerStream *) l->data)->name, "cam1");
  fail_unless_equals_string (((CallerStream *) l->next->next->data)->name,
      "cam3");
  g_list_free (l);

  fail_unless_equals_int (caller_table_count (t, CALLER_REFUSE_MALFORMED), 2);
  fail_unless_equals_int (caller_table_count (t,
          CALLER_REFUSE_UNSUPPORTED_MODE), 1);
  fail_unless_equals_int (caller_table_count (t, CALLER_REFUSE_MAX_CALLERS), 1);
  fail_unless_equals_int (caller_table_count (t, CALLER_ACCEPT_NEW), 3);
  caller_table_free (t);
}

GST_END_TEST;

GST_START_TEST (test_admit_allowed_default)
{
  CallerTableConfig cfg = config_default ();
  const gchar *allowed[] = { "cam1", "default", NULL };
  CallerTable *t;

  cfg.allowed = (gchar **) allowed;
  cfg.default_name = (gchar *) "default";
  t = caller_table_new (&cfg);
  /* the table keeps its own copy */
  cfg.allowed = NULL;
  cfg.default_name = NULL;

  fail_unless_equals_int (caller_table_admit (t, 1, "a", "cam2", 0, NULL),
      CALLER_REFUSE_NOT_ALLOWED);
  /* the list holds sanitised names */
  fail_unless_equals_int (caller_table_admit (t, 2, "a", "#!::r=cam1", 0,
          NULL), CALLER_ACCEPT_NEW);
  fail_unless_equals_int (caller_table_admit (t, 3, "a", NULL, 0, NULL),
      CALLER_ACCEPT_NEW);
  fail_unless (caller_table_lookup (t, "default") != NULL);
  fail_unless_equals_int (caller_table_count (t, CALLER_REFUSE_NOT_ALLOWED), 1);

  /* an empty list allows all; a lower max ends nothing that exists */
  cfg = config_default ();
  cfg.max_callers = 1;
  caller_table_set_config (t, &cfg);
  fail_unless_equals_int (caller_table_n_pending (t), 2);
  fail_unless_equals_int (caller_table_admit (t, 4, "a", "cam2", 0, NULL),
      CALLER_REFUSE_MAX_CALLERS);
  fail_unless (caller_table_connected (t, 2, 0, NULL, NULL) != NULL);
  caller_table_free (t);
}

GST_END_TEST;

GST_START_TEST (test_handshake_failures)
{
  CallerTableConfig cfg = config_default ();
  CallerTable *t = caller_table_new (&cfg);
  CallerStream *s;

  fail_unless_equals_int (caller_table_admit (t, 1, "a", "cam1", 0, NULL),
      CALLER_ACCEPT_NEW);
  /* libsrt refused it after the admission (a wrong passphrase): the
   * stream never existed, the name is free again */
  fail_unless (caller_table_handshake_failed (t, 1,
          CALLER_REFUSE_WRONG_PASSPHRASE));
  fail_if (caller_table_handshake_failed (t, 1,
          CALLER_REFUSE_WRONG_PASSPHRASE));
  fail_unless (caller_table_lookup (t, "cam1") == NULL);
  fail_unless (caller_table_connected (t, 1, 0, NULL, NULL) == NULL);
  fail_unless_equals_int (caller_table_count (t,
          CALLER_REFUSE_WRONG_PASSPHRASE), 1);

  /* the application refused it */
  fail_unless_equals_int (caller_table_admit (t, 2, "a", "cam1", 0, NULL),
      CALLER_ACCEPT_NEW);
  fail_unless (caller_table_handshake_failed (t, 2, CALLER_REFUSE_APPLICATION));
  fail_unless_equals_int (caller_table_count (t, CALLER_REFUSE_APPLICATION), 1);

  /* it never completes: expired after the timeout */
  fail_unless_equals_int (caller_table_admit (t, 3, "a", "cam1", 0, NULL),
      CALLER_ACCEPT_NEW);
  fail_unless_equals_int (caller_table_admit (t, 4, "a", "cam2", 2 * SEC,
          NULL), CALLER_ACCEPT_NEW);
  fail_unless_equals_int (caller_table_expire_handshakes (t, 5 * SEC - 1), 0);
  fail_unless_equals_int (caller_table_expire_handshakes (t, 5 * SEC), 1);
  fail_unless (caller_table_lookup (t, "cam1") == NULL);
  fail_unless (caller_table_lookup (t, "cam2") != NULL);
  fail_unless_equals_int (caller_table_count (t,
          CALLER_REFUSE_HANDSHAKE_FAILED), 1);
  /* completed too late */
  fail_unless (caller_table_connected (t, 3, 6 * SEC, NULL, NULL) == NULL);

  /* a failed resume leaves the stream in grace */
  s = caller_table_connected (t, 4, 2 * SEC, NULL, NULL);
  fail_unless (s != NULL);
  cfg.grace = 10 * SEC;
  caller_table_set_config (t, &cfg);
  fail_unless_equals_int (caller_table_disconnected (t, "cam2", 4, 3 * SEC),
      CALLER_STREAM_GRACE);
  fail_unless_equals_int (caller_table_admit (t, 5, "a", "cam2", 4 * SEC,
          NULL), CALLER_ACCEPT_RESUME);
  fail_unless (caller_table_handshake_failed (t, 5,
          CALLER_REFUSE_HANDSHAKE_FAILED));
  s = caller_table_lookup (t, "cam2");
  fail_unless_equals_int (s->state, CALLER_STREAM_GRACE);
  fail_unless_equals_int (s->pending_handle, CALLER_HANDLE_NONE);
  caller_table_free (t);
}

GST_END_TEST;

GST_START_TEST (test_grace)
{
  CallerTableConfig cfg = config_default ();
  CallerTable *t;
  CallerStream *s;
  CallerVerdict v;
  gint64 replaced;

  cfg.grace = 3 * SEC;
  cfg.max_callers = 2;
  t = caller_table_new (&cfg);

  s = join (t, 1, "cam1", 0, CALLER_ACCEPT_NEW);
  s->user_data = GINT_TO_POINTER (42);
  join (t, 2, "cam2", 0, CALLER_ACCEPT_NEW);

  /* a handle that is not the connected caller changes nothing */
  fail_unless_equals_int (caller_table_disconnected (t, "cam1", 99, SEC),
      CALLER_STREAM_LIVE);
  fail_unless_equals_int (caller_table_disconnected (t, "cam1", 1, SEC),
      CALLER_STREAM_GRACE);
  fail_unless_equals_int (s->grace_deadline, 4 * SEC);
  fail_unless_equals_int (s->handle, CALLER_HANDLE_NONE);
  fail_unless_equals_int (caller_table_n_streams (t, CALLER_STREAM_GRACE), 1);

  /* a stream in grace holds its place */
  fail_unless_equals_int (caller_table_admit (t, 3, "a", "cam3", 2 * SEC,
          NULL), CALLER_REFUSE_MAX_CALLERS);
  fail_if (caller_table_grace_expired (t, "cam1", 4 * SEC - 1));

  /* the same id within the grace: the same stream and pad */
  s = join (t, 4, "cam1", 2 * SEC, CALLER_ACCEPT_RESUME);
  fail_unless_equals_int (GPOINTER_TO_INT (s->user_data), 42);
  fail_unless_equals_int (s->connections, 2);
  fail_unless_equals_int (caller_table_count (t, CALLER_ACCEPT_RESUME), 1);

  /* gone again, not back in time */
  fail_unless_equals_int (caller_table_disconnected (t, "cam1", 4, 5 * SEC),
      CALLER_STREAM_GRACE);
  fail_unless (caller_table_grace_expired (t, "cam1", 8 * SEC));
  fail_unless_equals_int (s->state, CALLER_STREAM_ENDING);
  fail_if (caller_table_grace_expired (t, "cam1", 9 * SEC));
  /* until the pad is gone the name is taken */
  fail_unless_equals_int (caller_table_admit (t, 5, "a", "cam1", 8 * SEC,
          NULL), CALLER_REFUSE_DUPLICATE);
  caller_table_remove (t, "cam1");
  fail_unless (caller_table_lookup (t, "cam1") == NULL);
  s = join (t, 6, "cam1", 9 * SEC, CALLER_ACCEPT_NEW);
  fail_unless (s->user_data == NULL);

  /* a resume in progress when the grace ends is too late */
  fail_unless_equals_int (caller_table_disconnected (t, "cam1", 6, 10 * SEC),
      CALLER_STREAM_GRACE);
  fail_unless_equals_int (caller_table_admit (t, 7, "a", "cam1", 12 * SEC,
          NULL), CALLER_ACCEPT_RESUME);
  fail_unless (caller_table_grace_expired (t, "cam1", 13 * SEC));
  fail_unless (caller_table_connected (t, 7, 13 * SEC, &v, &replaced) == NULL);
  fail_unless_equals_int (caller_table_n_pending (t), 0);

  /* without grace a leaving caller ends its stream */
  cfg.grace = 0;
  caller_table_set_config (t, &cfg);
  fail_unless_equals_int (caller_table_disconnected (t, "cam2", 2, 14 * SEC),
      CALLER_STREAM_ENDING);
  caller_table_free (t);
}

GST_END_TEST;

GST_START_TEST (test_replace_and_end)
{
  CallerTableConfig cfg = config_default ();
  CallerTable *t;
  CallerStream *s;
  CallerVerdict v;
  gint64 replaced;

  cfg.duplicate = CALLER_DUPLICATE_REPLACE;
  t = caller_table_new (&cfg);

  s = join (t, 1, "cam1", 0, CALLER_ACCEPT_NEW);
  fail_unless_equals_int (caller_table_admit (t, 2, "a", "cam1", SEC, NULL),
      CALLER_ACCEPT_REPLACE);
  /* only one takeover at a time */
  fail_unless_equals_int (caller_table_admit (t, 3, "a", "cam1", SEC, NULL),
      CALLER_REFUSE_DUPLICATE);
  s = caller_table_connected (t, 2, SEC, &v, &replaced);
  fail_unless (s != NULL);
  fail_unless_equals_int (v, CALLER_ACCEPT_REPLACE);
  fail_unless_equals_int (replaced, 1);
  fail_unless_equals_int (s->handle, 2);
  /* the replaced caller's goodbye changes nothing */
  fail_unless_equals_int (caller_table_disconnected (t, "cam1", 1, SEC),
      CALLER_STREAM_LIVE);

  /* the old caller leaves while its replacement is on the way: without
   * grace the stream waits for the handshake */
  fail_unless_equals_int (caller_table_admit (t, 4, "a", "cam1", 2 * SEC,
          NULL), CALLER_ACCEPT_REPLACE);
  fail_unless_equals_int (caller_table_disconnected (t, "cam1", 2, 2 * SEC),
      CALLER_STREAM_GRACE);
  fail_unless_equals_int (s->grace_deadline, 2 * SEC + cfg.handshake_timeout);
  s = caller_table_connected (t, 4, 3 * SEC, &v, &replaced);
  fail_unless (s != NULL);
  fail_unless_equals_int (v, CALLER_ACCEPT_RESUME);
  fail_unless_equals_int (replaced, CALLER_HANDLE_NONE);

  /* ended by the application, with a handshake pending */
  fail_unless_equals_int (caller_table_admit (t, 5, "a", "cam1", 4 * SEC,
          NULL), CALLER_ACCEPT_REPLACE);
  fail_unless_equals_int (caller_table_end (t, "cam1"), 4);
  fail_unless_equals_int (s->state, CALLER_STREAM_ENDING);
  fail_unless_equals_int (caller_table_n_pending (t), 0);
  fail_unless (caller_table_connected (t, 5, 4 * SEC, NULL, NULL) == NULL);
  fail_unless_equals_int (caller_table_end (t, "nope"), CALLER_HANDLE_NONE);

  /* ending a stream that has no pad yet */
  fail_unless_equals_int (caller_table_admit (t, 6, "a", "cam2", 5 * SEC,
          NULL), CALLER_ACCEPT_NEW);
  fail_unless_equals_int (caller_table_end (t, "cam2"), CALLER_HANDLE_NONE);
  fail_unless (caller_table_lookup (t, "cam2") == NULL);
  caller_table_free (t);
}

GST_END_TEST;

GST_START_TEST (test_rate_limit)
{
  CallerTableConfig cfg = config_default ();
  CallerTable *t;
  gint64 now = 1000;
  guint i, accepted;
  gchar addr[32];

  cfg.max_callers = 1000;
  cfg.rate = 10;                /* bursts of 20 */
  cfg.rate_per_address = 2;     /* bursts of 4 */
  t = caller_table_new (&cfg);

  /* one address floods: 4 at once, then 2 per second */
  for (i = 0, accepted = 0; i < 100; i++) {
    gchar *id = g_strdup_printf ("f%u", i);

    if (CALLER_VERDICT_IS_ACCEPT (caller_table_admit (t, i, "10.0.0.66", id,
                now, NULL)))
      accepted++;
    g_free (id);
  }
  fail_unless_equals_int (accepted, 4);
  fail_unless_equals_int (caller_table_count (t, CALLER_REFUSE_RATE_LIMITED),
      96);
  /* the flood took only its own tokens: others get the global burst */
  for (i = 0, accepted = 0; i < 16; i++) {
    gchar *id = g_strdup_printf ("o%u", i);

    g_snprintf (addr, sizeof (addr), "10.1.0.%u", i);
    if (CALLER_VERDICT_IS_ACCEPT (caller_table_admit (t, 1000 + i, addr, id,
                now, NULL)))
      accepted++;
    g_free (id);
  }
  fail_unless_equals_int (accepted, 16);
  /* the global bucket: 20 - 4 - 16 = 0 left */
  fail_unless_equals_int (caller_table_admit (t, 2000, "10.2.0.1", "x", now,
          NULL), CALLER_REFUSE_RATE_LIMITED);
  /* refills: 10 per second overall, 2 per second per address */
  now += SEC / 2;
  fail_unless (CALLER_VERDICT_IS_ACCEPT (caller_table_admit (t, 2001,
              "10.0.0.66", "g1", now, NULL)));
  fail_unless_equals_int (caller_table_admit (t, 2002, "10.0.0.66", "g2", now,
          NULL), CALLER_REFUSE_RATE_LIMITED);
  for (i = 0, accepted = 0; i < 10; i++) {
    gchar *id = g_strdup_printf ("h%u", i);

    g_snprintf (addr, sizeof (addr), "10.3.0.%u", i);
    if (CALLER_VERDICT_IS_ACCEPT (caller_table_admit (t, 3000 + i, addr, id,
                now, NULL)))
      accepted++;
    g_free (id);
  }
  fail_unless_equals_int (accepted, 4); /* 5 refilled, 1 taken above */

  /* a rate-limited handshake is not parsed: malformed ids count as
   * rate-limited during a flood */
  fail_unless_equals_int (caller_table_admit (t, 4000, "10.0.0.66", "!!!",
          now, NULL), CALLER_REFUSE_RATE_LIMITED);

  /* the per-address buckets are bounded */
  for (i = 0; i < 3 * RATE_ADDRESSES_MAX; i++) {
    g_snprintf (addr, sizeof (addr), "192.168.%u.%u", i / 256, i % 256);
    caller_table_admit (t, 5000 + i, addr, "!!!", now, NULL);
    fail_unless (caller_table_n_rate_addresses (t) <= RATE_ADDRESSES_MAX);
  }
  fail_unless_equals_int (caller_table_n_rate_addresses (t),
      RATE_ADDRESSES_MAX);

  /* 0: no limit */
  cfg.rate = cfg.rate_per_address = 0;
  caller_table_set_config (t, &cfg);
  for (i = 0; i < 50; i++)
    fail_unless_equals_int (caller_table_admit (t, 9000 + i, "10.0.0.66",
            "!!!", now, NULL), CALLER_REFUSE_MALFORMED);
  caller_table_free (t);
}

GST_END_TEST;

GST_START_TEST (test_verdict_nicks)
{
  CallerVerdict v;

  fail_unless_equals_string (caller_verdict_nick (CALLER_ACCEPT_NEW),
      "accepted");
  fail_unless_equals_string (caller_verdict_nick (CALLER_REFUSE_APPLICATION),
      "refused-by-application");
  fail_unless_equals_string (caller_verdict_nick (CALLER_VERDICT_COUNT),
      "unknown");
  for (v = 0; v < CALLER_VERDICT_COUNT; v++)
    fail_if (g_strcmp0 (caller_verdict_nick (v), "unknown") == 0);
}

GST_END_TEST;

GST_START_TEST (test_log_rejection)
{
  gint id = -1;

  /* as libsrt 1.5.1 logs a wrong passphrase */
  fail_unless_equals_int (srt_log_parse_rejection
      ("@361706996:newConnection: connection rejected due to: INTERNAL "
          "REJECTION - ERROR:BADSECRET", &id), SRT_REJECTION_PASSPHRASE);
  fail_unless_equals_int (id, 361706996);
  /* as the log handler gets it */
  fail_unless_equals_int (srt_log_parse_rejection
      (": @78716293:newConnection: connection rejected due to: INTERNAL "
          "REJECTION - ERROR:BADSECRET", &id), SRT_REJECTION_PASSPHRASE);
  fail_unless_equals_int (id, 78716293);
  fail_unless_equals_int (srt_log_parse_rejection
      ("@12:newConnection: connection rejected due to: INTERNAL REJECTION - "
          "ERROR:UNSECURE", &id), SRT_REJECTION_PASSPHRASE);
  fail_unless_equals_int (id, 12);
  fail_unless_equals_int (srt_log_parse_rejection
      ("@13:newConnection: connection rejected due to: INTERNAL REJECTION - "
          "ERROR:CONGESTION", &id), SRT_REJECTION_OTHER);
  fail_unless_equals_int (id, 13);
  fail_unless_equals_int (srt_log_parse_rejection
      ("@14:newConnection: connection rejected due to: IPE", &id),
      SRT_REJECTION_OTHER);
  id = -1;
  fail_unless_equals_int (srt_log_parse_rejection
      ("KMREQ/rcv: (snd) Rx process failure - BADSECRET", &id),
      SRT_REJECTION_UNKNOWN);
  fail_unless_equals_int (srt_log_parse_rejection
      ("@x:newConnection: connection rejected due to: ERROR:BADSECRET", &id),
      SRT_REJECTION_UNKNOWN);
  fail_unless_equals_int (srt_log_parse_rejection
      ("@99999999999:newConnection: connection rejected due to: a", &id),
      SRT_REJECTION_UNKNOWN);
  fail_unless_equals_int (srt_log_parse_rejection (NULL, &id),
      SRT_REJECTION_UNKNOWN);
  fail_unless_equals_int (id, -1);
}

GST_END_TEST;

static Suite *
callertable_suite (void)
{
  Suite *s = suite_create ("callertable");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stream_id_plain);
  tcase_add_test (tc, test_stream_id_empty);
  tcase_add_test (tc, test_stream_id_access_control);
  tcase_add_test (tc, test_stream_id_lengths);
  tcase_add_test (tc, test_admit_basic);
  tcase_add_test (tc, test_admit_allowed_default);
  tcase_add_test (tc, test_handshake_failures);
  tcase_add_test (tc, test_grace);
  tcase_add_test (tc, test_replace_and_end);
  tcase_add_test (tc, test_rate_limit);
  tcase_add_test (tc, test_verdict_nicks);
  tcase_add_test (tc, test_log_rejection);
  return s;
}

GST_CHECK_MAIN (callertable);
