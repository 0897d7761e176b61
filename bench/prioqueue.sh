#!/usr/bin/env bash
# prioqueue against queue, in the same run (docs/prioqueue.md#performance):
#   bench/prioqueue.sh cpu [buffers] [rounds]   CPU per buffer (default 100000 5)
#   bench/prioqueue.sh congestion [seconds]     congestion trace (default 20)
#   bench/prioqueue.sh                          both
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || meson setup build >/dev/null
ninja -C build -j2 bench/bench-prioqueue gst/libgstlivestream.so >/dev/null
export GST_PLUGIN_PATH_1_0="$PWD/build/gst${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
export GST_REGISTRY="$PWD/build/bench/registry.bin"
case "${1:-all}" in
  cpu|congestion) exec build/bench/bench-prioqueue "$@" ;;
  all)
    build/bench/bench-prioqueue cpu
    echo
    exec build/bench/bench-prioqueue congestion ;;
  *) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
