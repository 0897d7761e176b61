#!/usr/bin/env bash
# Run the logic, element (harness) and fuzz-replay tests under valgrind
# memcheck (meson test --setup valgrind, see tests/meson.build): any memory
# error or definitely lost block not covered by GLib's glib.supp or
# tests/valgrind.supp (GStreamer/GLib internals only) fails the test.
#
#   scripts/test-valgrind.sh                   logic + elements + fuzz suites
#   scripts/test-valgrind.sh elements/chunkreorder   any meson test arguments
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
  echo "test-valgrind.sh: valgrind is missing: scripts/install-deps.sh installs it" >&2
  exit 1
fi
[ -f build/build.ninja ] || scripts/build.sh
ninja -C build -j2 >/dev/null
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(--suite logic --suite elements --suite fuzz)
fi
# first without valgrind: builds every test's registry (see tests/meson.build);
# its failures are reported by the normal run, not here
meson test -C build --num-processes 1 --logbase valgrind-warmup "${args[@]}" \
  >/dev/null 2>&1 || true
exec meson test -C build --setup valgrind --print-errorlogs --num-processes 1 \
  "${args[@]}"
