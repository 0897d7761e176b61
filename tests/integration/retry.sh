#!/usr/bin/env bash
# retry.sh ATTEMPTS PAUSE_S COMMAND...: runs a live-player test up to
# ATTEMPTS times, PAUSE_S seconds apart, and says so loudly when one fails;
# every run's RESULT line stays in the log.
#
# Used only for dash.js low-latency playback (60 s, 0 stalls required).
# On this shared 2-core VM it sometimes stalls (5 stalls, p50 ~1.9 s) for
# minutes at a time: two back-to-back runs failed alike in one CI run while
# the machine had no other job. The same signature is reproduced by
# starving the encoding pipeline of CPU (docs/dashlivesink.md, "Low-latency
# stalls"); ll-test.mjs prints the player trace, CPU steal and load with a
# failed run so that the next failure says more.
attempts=$1 pause=$2
shift 2
for i in $(seq 1 "$attempts"); do
  "$@" && exit 0
  rc=$?
  [ "$i" -lt "$attempts" ] || exit $rc
  echo "retry.sh: RUN $i OF $attempts FAILED, running again in ${pause} s (known flake, see docs/dashlivesink.md)"
  sleep "$pause"
done
