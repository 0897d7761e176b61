#!/usr/bin/env bash
# The README's main job: install what is missing, build, run the live demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
[ -x scripts/install-npm-tools.sh ] && scripts/install-npm-tools.sh
exec pipelines/demo.sh "$@"
