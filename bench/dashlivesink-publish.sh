#!/bin/bash
# dashlivesink publish latency (chunk complete in the sink -> first byte of
# it sent by the embedded server), 3 representations, 100 streaming
# clients: see bench/dashlivesink-publish.py for the method.  Results go to
# docs/performance.md ("dashlivesink publish latency").
#
#   bench/dashlivesink-publish.sh [--runs 3] [--seconds 20] [--clients 100]
#
# Needs a built tree (meson setup build && ninja -C build).  Not run by
# meson test.
set -eu
cd "$(dirname "$0")/.."
[ -e build/gst/dash/libgstlivestreamdash.so ] || { echo "build first: meson setup build && ninja -C build"; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
exec /usr/bin/python3 bench/dashlivesink-publish.py "$@"
