#!/usr/bin/env bash
# CPU per RTP packet of chunkreorder against identity (baseline) and
# rtpjitterbuffer, in order and impaired (5 % delayed 2-40 ms, 1 % lost).
#   bench/chunkreorder.sh [packets] [repetitions]     (default 50000 5)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || meson setup build >/dev/null
ninja -C build -j2 bench/bench-chunkreorder gst/libgstlivestream.so >/dev/null
export GST_PLUGIN_PATH_1_0="$PWD/build/gst${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}"
export GST_REGISTRY="$PWD/build/bench/registry.bin"
exec build/bench/bench-chunkreorder "$@"
