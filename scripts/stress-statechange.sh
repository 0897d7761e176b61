#!/usr/bin/env bash
# The state-change stress test (tests/check/elements/statechange.c) run again
# and again, each run with another random sequence of transitions and
# G_DEBUG=fatal-criticals: a race that shows once in many runs (a refcount
# underflow, a use after free) ends the run with a stack. With build-asan
# (scripts/test-sanitizers.sh) it runs there with GLib's slice allocator
# off, so that a mini object used after it was freed is reported by ASan
# with where it was freed, instead of being reused silently.
#
#   scripts/stress-statechange.sh                 prioqueue, 50 runs
#   scripts/stress-statechange.sh --runs 10 gopbuffer,chunkreorder
#
# Fails on the first failing run; its log is kept in
# <build>/meson-logs/stress-statechange-<n>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=50
elements=prioqueue
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "stress-statechange.sh: unknown option $1" >&2; exit 2 ;;
    *) elements="$1" ;;
  esac
  shift
done

B=build
if [ -x build-asan/tests/check/element-statechange ]; then
  B=build-asan
  export G_SLICE=always-malloc
fi
# the test and the plug-ins it loads (not a link dependency of the test)
ninja -C "$B" -j2 >/dev/null

# the test's environment as meson sets it (plug-in path, registry, ASan)
eval "$(meson introspect "$B" --tests | /usr/bin/python3 -c '
import json, shlex, sys
for t in json.load(sys.stdin):
    if t["name"] == "elements/statechange":
        for k, v in t["env"].items():
            print("export %s=%s" % (k, shlex.quote(v)))
')"
if [ "$B" = build-asan ]; then
  # a fatal critical (SIGTRAP) prints a stack too
  export ASAN_OPTIONS="$ASAN_OPTIONS:handle_sigtrap=1"
fi
export G_DEBUG=fatal-criticals LS_STRESS_ONLY="$elements"

start=$SECONDS
for i in $(seq 1 "$runs"); do
  log="$B/meson-logs/stress-statechange-$i.log"
  if LS_STRESS_SEED=$((0x5eed + 101 * i)) timeout 600 \
      "$B/tests/check/element-statechange" >"$log" 2>&1; then
    rm -f "$log"
  else
    echo "stress-statechange: run $i of $runs FAILED ($elements, $B): $log"
    grep -E "ERROR|CRITICAL|Failure|#[0-9]+ " "$log" | head -40 || true
    exit 1
  fi
done
echo "stress-statechange: $runs of $runs runs passed ($elements, $B," \
  "G_DEBUG=fatal-criticals$([ "$B" = build-asan ] && echo ", G_SLICE=always-malloc"))" \
  "in $((SECONDS - start)) s"
