#!/usr/bin/env bash
# Build into build-asan with AddressSanitizer + UndefinedBehaviorSanitizer
# (-Db_sanitize=address,undefined, UBSan non-recovering) and run the test
# suite there. GStreamer itself is not instrumented: the sanitizer runtime
# is preloaded for the programs that load the plug-in (see tests/meson.build)
# and leak checking is left to scripts/test-valgrind.sh.
#
#   scripts/test-sanitizers.sh                  every suite but integration
#   scripts/test-sanitizers.sh --suite logic    any meson test arguments
set -euo pipefail
cd "$(dirname "$0")/.."
B=build-asan
if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$B" -j2 >/dev/null
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  # integration tests drive browsers and servers that cannot run with the
  # ASan runtime preloaded; docs/plugin-cache only reads properties
  args=(--no-suite integration --no-suite docs)
fi
exec meson test -C "$B" --print-errorlogs --num-processes 1 "${args[@]}"
