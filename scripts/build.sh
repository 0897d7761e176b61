#!/usr/bin/env bash
# Configure (once) and build into ./build. Extra arguments go to meson setup.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
elif [ -f tests/integration/node_modules/dashjs/package.json ] && [ ! -f build/gst/dash/dash.all.min.js ]; then
  # dash.js arrived after the first configure: pick it up for the player page
  meson setup --reconfigure build "$@"
fi
ninja -C build
