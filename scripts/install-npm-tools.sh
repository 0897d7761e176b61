#!/usr/bin/env bash
# Install the browser-test tools (dash.js, hls.js, shaka-player, playwright-core)
# into tests/integration/node_modules from the committed package.json and
# package-lock.json (pinned versions).  Quick no-op when already installed.
# Chromium itself comes from Debian (scripts/install-deps.sh): playwright's
# own browser downloads are never used.
set -euo pipefail
cd "$(dirname "$0")/../tests/integration"

if ! command -v npm >/dev/null 2>&1; then
  echo "install-npm-tools: npm not found, skipping (browser tests will be skipped)"
  exit 0
fi

up_to_date=1
for pkg in dashjs hls.js shaka-player playwright-core; do
  want=$(node -e "console.log(require('./package.json').dependencies['$pkg'])")
  have=$(node -e "try{console.log(require('./node_modules/$pkg/package.json').version)}catch(e){console.log('')}")
  if [ "$want" != "$have" ]; then
    up_to_date=0
  fi
done
if [ "$up_to_date" = 1 ]; then
  echo "install-npm-tools: dashjs, hls.js, shaka-player, playwright-core present"
  exit 0
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
echo "install-npm-tools: installed into tests/integration/node_modules"
