#!/usr/bin/env bash
# Soak test: a live DASH stream of many hours through dashlivesink, simulated
# faster than real time (tests/soak/soak.py): S@t == tfdt for every segment,
# availabilityStartTime constant, memory and disk flat.
#
#   scripts/soak.sh              24 simulated hours (about 2 minutes here)
#   scripts/soak.sh --ci         1 simulated hour (scripts/test.sh)
#   scripts/soak.sh --hours 72   any tests/soak/soak.py option
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
if [ "${1:-}" = "--ci" ]; then
  args=(--hours 1 --check-every 300)
fi
[ -f build/build.ninja ] || scripts/build.sh
ninja -C build -j2 >/dev/null
export GST_PLUGIN_PATH_1_0="$PWD/build/gst" GST_PLUGIN_PATH="$PWD/build/gst"
set +e
/usr/bin/python3 tests/soak/soak.py "${args[@]}"
rc=$?
set -e
if [ $rc -eq 77 ]; then
  echo "soak.sh: skipped: this build has no dashlivesink"
  exit 0
fi
exit $rc
