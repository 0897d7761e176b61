#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
#   scripts/test.sh                 all suites
#   scripts/test.sh --suite logic   only some (any meson test arguments)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# dash.js first: the build copies it for dashlivesink's player page
scripts/install-npm-tools.sh
scripts/build.sh

rc=0
meson test -C build --print-errorlogs --num-processes 1 "$@" || rc=$?

# GstCheck's per-suite summaries, then one closing line for whoever reads
# the end of the log.
log=build/meson-logs/testlog.txt
echo
echo "GstCheck suites:"
grep -E "^[0-9]+%: Checks: [0-9]+" "$log" | sed 's/^/  /' || true
/usr/bin/python3 - <<'PY'
import json
passed = failed = skipped = 0
with open('build/meson-logs/testlog.json') as f:
    for line in f:
        r = json.loads(line).get('result')
        if r in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif r == 'SKIP':
            skipped += 1
        else:
            failed += 1
print('tests: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
PY
exit $rc
