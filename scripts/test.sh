#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
#   scripts/test.sh                 all suites
#   scripts/test.sh --suite logic   only some (any meson test arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [ -x scripts/install-npm-tools.sh ]; then
  scripts/install-npm-tools.sh
fi
meson test -C build --print-errorlogs --num-processes 1 "$@"
