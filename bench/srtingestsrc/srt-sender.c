/* GStreamer livestream plug-ins
 * Copyright (C) 2026 gst-livestream authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The other end of bench/srtingestsrc.py, in its own process (libsrt, no
 * GStreamer):
 *
 *   srt-sender send --port P --callers N --mbps R --seconds T [--ports]
 *       N callers (stream ids bench0..), each sending 1316-byte MPEG-TS-like
 *       messages at R Mbit/s for T s, paced; --ports: caller i goes to
 *       port P + i (one srtsrc per port), without stream id
 *   srt-sender connect --port P --callers N [--hold S]
 *       N callers connecting at once (non-blocking), prints how long until
 *       all were connected, holds them S s
 *   srt-sender listen --port P --callers N
 *       a bare libsrt listener: accepts N callers, prints the time from the
 *       first to the last accept (the baseline of the accept rate)
 *
 * Prints one line of key=value. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srt/srt.h>

static long long
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
addr_init (struct sockaddr_in *sa, int port)
{
  memset (sa, 0, sizeof (*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons (port);
  sa->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
}

static SRTSOCKET
caller_new (int i, int with_id, int blocking)
{
  SRTSOCKET s = srt_create_socket ();
  int yes = 1, latency = 125;
  char id[32];

  srt_setsockflag (s, SRTO_SENDER, &yes, sizeof (yes));
  srt_setsockflag (s, SRTO_LATENCY, &latency, sizeof (latency));
  if (!blocking) {
    int no = 0;

    srt_setsockflag (s, SRTO_RCVSYN, &no, sizeof (no));
  }
  if (with_id) {
    snprintf (id, sizeof (id), "bench%d", i);
    srt_setsockflag (s, SRTO_STREAMID, id, strlen (id));
  }
  return s;
}

static int
do_send (int port, int n, double mbps, double seconds, int ports)
{
  SRTSOCKET *s = calloc (n, sizeof (SRTSOCKET));
  long long *next = calloc (n, sizeof (long long));
  long long *sent = calloc (n, sizeof (long long));
  long long interval = (long long) (1316 * 8 / (mbps * 1e6) * 1e6);
  long long start, end, errors = 0, total = 0;
  unsigned char msg[1316];
  int i, connected = 0;

  for (i = 0; i < n; i++) {
    struct sockaddr_in sa;

    addr_init (&sa, ports ? port + i : port);
    s[i] = caller_new (i, !ports, 1);
    if (srt_connect (s[i], (struct sockaddr *) &sa, sizeof (sa)) == SRT_ERROR)
      fprintf (stderr, "caller %d: %s\n", i, srt_getlasterror_str ());
    else
      connected++;
  }
  start = now_us ();
  end = start + (long long) (seconds * 1e6);
  for (i = 0; i < n; i++)
    next[i] = start + interval * i / n;
  while (now_us () < end) {
    long long t = now_us (), wake = end;

    for (i = 0; i < n; i++) {
      while (next[i] <= t) {
        int k;

        for (k = 0; k < 7; k++) {
          msg[k * 188] = 0x47;
          memcpy (msg + k * 188 + 1, &sent[i], sizeof (sent[i]));
        }
        if (srt_sendmsg2 (s[i], (char *) msg, sizeof (msg), NULL) < 0)
          errors++;
        else
          total += sizeof (msg);
        sent[i]++;
        next[i] += interval;
      }
      if (next[i] < wake)
        wake = next[i];
    }
    if (wake > t)
      usleep (wake - t < 2000 ? wake - t : 2000);
  }
  for (i = 0; i < n; i++)
    srt_close (s[i]);
  printf ("connected=%d bytes=%lld errors=%lld\n", connected, total, errors);
  free (s);
  free (next);
  free (sent);
  return connected == n ? 0 : 1;
}

static int
do_connect (int port, int n, double hold)
{
  SRTSOCKET *s = calloc (n, sizeof (SRTSOCKET));
  struct sockaddr_in sa, local;
  int locallen = sizeof (local);
  long long start, done_at = 0;
  int i, connected = 0, failed = 0;

  addr_init (&sa, port);
  addr_init (&local, 0);
  start = now_us ();
  for (i = 0; i < n; i++) {
    s[i] = caller_new (i, 1, 0);
    /* one local port (one libsrt multiplexer and its two threads) for
     * all, as one busy host would */
    if (srt_bind (s[i], (struct sockaddr *) &local, sizeof (local)) == 0
        && i == 0)
      srt_getsockname (s[0], (struct sockaddr *) &local, &locallen);
    srt_connect (s[i], (struct sockaddr *) &sa, sizeof (sa));
  }
  while (now_us () - start < 20000000) {
    connected = failed = 0;
    for (i = 0; i < n; i++) {
      SRT_SOCKSTATUS st = srt_getsockstate (s[i]);

      if (st == SRTS_CONNECTED)
        connected++;
      else if (st >= SRTS_BROKEN)
        failed++;
    }
    if (connected + failed == n) {
      done_at = now_us ();
      break;
    }
    usleep (1000);
  }
  printf ("connected=%d failed=%d seconds=%.3f\n", connected, failed,
      done_at ? (done_at - start) / 1e6 : -1.0);
  fflush (stdout);
  usleep ((useconds_t) (hold * 1e6));
  for (i = 0; i < n; i++)
    srt_close (s[i]);
  free (s);
  return 0;
}

static int
do_listen (int port, int n)
{
  SRTSOCKET l = srt_create_socket (), c;
  struct sockaddr_in sa;
  long long first = 0, last = 0, deadline;
  int accepted = 0, no = 0;
  SRTSOCKET *s = calloc (n, sizeof (SRTSOCKET));

  addr_init (&sa, port);
  srt_setsockflag (l, SRTO_RCVSYN, &no, sizeof (no));
  if (srt_bind (l, (struct sockaddr *) &sa, sizeof (sa)) == SRT_ERROR ||
      srt_listen (l, 1024) == SRT_ERROR) {
    fprintf (stderr, "listen: %s\n", srt_getlasterror_str ());
    return 1;
  }
  printf ("listening\n");
  fflush (stdout);
  deadline = now_us () + 30000000;
  while (accepted < n && now_us () < deadline) {
    c = srt_accept (l, NULL, NULL);
    if (c == SRT_INVALID_SOCK) {
      usleep (200);
      continue;
    }
    last = now_us ();
    if (accepted == 0)
      first = last;
    s[accepted++] = c;
  }
  printf ("accepted=%d seconds=%.3f\n", accepted, (last - first) / 1e6);
  for (c = 0; c < accepted; c++)
    srt_close (s[c]);
  srt_close (l);
  free (s);
  return 0;
}

int
main (int argc, char **argv)
{
  int port = 9000, n = 1, ports = 0, i, ret = 2;
  double mbps = 2, seconds = 10, hold = 0;
  const char *mode = argc > 1 ? argv[1] : "";

  for (i = 2; i < argc; i++) {
    if (!strcmp (argv[i], "--port") && i + 1 < argc)
      port = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--callers") && i + 1 < argc)
      n = atoi (argv[++i]);
    else if (!strcmp (argv[i], "--mbps") && i + 1 < argc)
      mbps = atof (argv[++i]);
    else if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
      seconds = atof (argv[++i]);
    else if (!strcmp (argv[i], "--hold") && i + 1 < argc)
      hold = atof (argv[++i]);
    else if (!strcmp (argv[i], "--ports"))
      ports = 1;
  }
  srt_startup ();
  srt_setloglevel (LOG_CRIT);
  if (!strcmp (mode, "send"))
    ret = do_send (port, n, mbps, seconds, ports);
  else if (!strcmp (mode, "connect"))
    ret = do_connect (port, n, hold);
  else if (!strcmp (mode, "listen"))
    ret = do_listen (port, n);
  else
    fprintf (stderr, "usage: srt-sender send|connect|listen [options]\n");
  srt_cleanup ();
  return ret;
}
