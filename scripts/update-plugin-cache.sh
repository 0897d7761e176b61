#!/usr/bin/env bash
# Regenerate docs/gst_plugins_cache.json from the built plug-ins (the core
# plug-in, the DASH plug-in and the SRT plug-in).
# `scripts/update-plugin-cache.sh --check` only compares (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || scripts/build.sh
ninja -C build >/dev/null
exec env GST_PLUGIN_SYSTEM_PATH_1_0= GST_REGISTRY=build/plugin-cache.registry \
  /usr/bin/python3 scripts/plugin-cache.py docs/gst_plugins_cache.json \
  build/gst/libgstlivestream.so build/gst/dash/libgstlivestreamdash.so \
  build/gst/srt/libgstlivestreamsrt.so "$@"
