#!/usr/bin/env bash
# prioqueue against queue, in the same run (docs/prioqueue.md#performance):
#   bench/prioqueue.sh cpu [buffers] [rounds]   CPU per buffer (default 100000 5;
#                                               BENCH_SCENARIO=batch: one scenario;
#                                               BENCH_QUIET_SINK=1: the sink wakes
#                                               the bench only when it waits)
#   bench/prioqueue.sh congestion [seconds]     congestion trace (default 20)
#   bench/prioqueue.sh instructions [buffers]   instructions per buffer under
#                                               callgrind (default 5000)
#   bench/prioqueue.sh                          cpu and congestion
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || meson setup build >/dev/null
ninja -C build -j2 bench/bench-prioqueue gst/libgstlivestream.so >/dev/null
export GST_PLUGIN_PATH_1_0="$PWD/build/gst${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
export GST_REGISTRY="$PWD/build/bench/registry.bin"
BENCH=build/bench/bench-prioqueue

instructions() {
  local n="${1:-5000}" out
  command -v valgrind >/dev/null || { echo "needs valgrind (scripts/install-deps.sh)" >&2; exit 1; }
  out=$(mktemp -d)
  echo "instructions per buffer, all threads (callgrind, $n buffers per run)"
  echo
  echo "| scenario | queue | prioqueue | ratio |"
  echo "|---|---|---|---|"
  for scen in lockstep batch blocking; do
    local q p
    for el in queue prioqueue; do
      BENCH_QUIET_SINK=1 valgrind --tool=callgrind --instr-atstart=no \
        --callgrind-out-file="$out/$el.$scen" "$BENCH" instructions "$el" "$scen" "$n" \
        >/dev/null 2>&1
      # the events counted between START and STOP_INSTRUMENTATION
      local ir
      ir=$(grep -E '^totals:' "$out/$el.$scen" | awk '{print $2}')
      if [ "$el" = queue ]; then q=$ir; else p=$ir; fi
    done
    awk -v s="$scen" -v q="$q" -v p="$p" -v n="$n" \
      'BEGIN { printf "| %s | %.0f | %.0f | %.3f |\n", s, q / n, p / n, p / q }'
  done
  rm -rf "$out"
}

case "${1:-all}" in
  cpu|congestion) exec "$BENCH" "$@" ;;
  instructions) shift; instructions "$@" ;;
  all)
    "$BENCH" cpu
    echo
    exec "$BENCH" congestion ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
