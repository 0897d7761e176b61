#!/usr/bin/env bash
# gopbuffer benchmark: time from linking a new branch to its first decoded
# frame (gopbuffer catch-up / latest-keyframe vs tee, same live stream, same
# random moments) and CPU per buffer against tee.
#   bench/gopbuffer.sh [joins=20] [cpu-buffers=200000]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build bench/gopbuffer-bench gst/libgstlivestream.so
export GST_PLUGIN_PATH="$PWD/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_DEBUG="${GST_DEBUG:-*:1,libav:0}"
exec build/bench/gopbuffer-bench "${1:-20}" "${2:-200000}"
