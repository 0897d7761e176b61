#!/usr/bin/env bash
# The README's main job: install what is missing, build, run the live demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# dash.js first: the build copies it for dashlivesink's player page
scripts/install-npm-tools.sh
scripts/build.sh
exec pipelines/demo.sh "$@"
