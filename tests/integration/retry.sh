#!/usr/bin/env bash
# retry.sh ATTEMPTS PAUSE_S COMMAND...: runs a live-player test up to
# ATTEMPTS times, PAUSE_S seconds apart, and says so loudly when one fails;
# every run's RESULT line stays in the log.
#
# Used only for shaka-player's low-latency run.  dash.js's no longer needs
# it: its "5 stalls, p50 ~1.9 s" had two causes, both fixed (the test's
# audio fell behind the clock under meson's MALLOC_PERTURB_; the MPD
# announced audio one segment short): docs/notes-ll-stalls.md.
attempts=$1 pause=$2
shift 2
for i in $(seq 1 "$attempts"); do
  "$@" && exit 0
  rc=$?
  [ "$i" -lt "$attempts" ] || exit $rc
  echo "retry.sh: RUN $i OF $attempts FAILED, running again in ${pause} s (see docs/notes-ll-stalls.md)"
  sleep "$pause"
done
