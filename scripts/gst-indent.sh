#!/usr/bin/env bash
# Format C files the way GStreamer does (its tools/gst-indent options, GNU
# indent from Debian's package `indent`; scripts/install-deps.sh installs it).
#   scripts/gst-indent.sh gst/gstchunkreorder.c gst/dash/*.c
set -euo pipefail
if ! command -v indent >/dev/null 2>&1; then
  echo "gst-indent.sh: GNU indent is missing: scripts/install-deps.sh installs it" >&2
  exit 1
fi
for f in "$@"; do
  indent \
    --braces-on-if-line \
    --case-brace-indentation0 \
    --case-indentation2 \
    --braces-after-struct-decl-line \
    --line-length80 \
    --no-tabs \
    --cuddle-else \
    --dont-line-up-parentheses \
    --continuation-indentation4 \
    --honour-newlines \
    --tab-size8 \
    --indent-level2 \
    --leave-preprocessor-space \
    "$f"
  rm -f "$f~"
done
