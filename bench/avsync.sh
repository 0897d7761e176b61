#!/usr/bin/env bash
# avsync benchmark: CPU per buffer against identity (measured in the same
# run) and the simulated-hour A/V error table. Builds first if needed.
#   bench/avsync.sh [--buffers N] [--rounds R] [--seconds S] [--skip-cpu] [--skip-hour]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build
ninja -C build bench/avsync-bench gst/libgstlivestream.so >/dev/null
export GST_PLUGIN_PATH_1_0="$PWD/build/gst${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
export GST_REGISTRY="${GST_REGISTRY:-$PWD/build/bench/avsync-bench.registry}"
exec build/bench/avsync-bench "$@"
