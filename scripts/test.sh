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

# Reliability (docs/reliability.md), with the full run only: the suite again
# under ASan+UBSan, prioqueue's state-change stress 50 times with fatal
# criticals (in the ASan build), a short libFuzzer run of every target, a
# 1-hour soak of dashlivesink, the harness tests under valgrind.
# LIVESTREAM_QUICK=1 skips.
reliability=()
if [ $# -eq 0 ] && [ "${LIVESTREAM_QUICK:-0}" != 1 ]; then
  # each step with a time limit (s): a hang fails its step instead of
  # eating the whole run's time (about 3x the durations seen on a loaded
  # 2-core machine)
  for entry in "1200 scripts/test-sanitizers.sh" \
      "900 scripts/stress-statechange.sh" "900 scripts/fuzz.sh --ci" \
      "300 scripts/soak.sh --ci" "1500 scripts/test-valgrind.sh --ci"; do
    limit=${entry%% *}
    step=${entry#* }
    echo
    echo "== $step (at most $limit s)"
    start=$SECONDS
    # shellcheck disable=SC2086
    if timeout --kill-after=30 "$limit" $step; then
      reliability+=("ok     $step ($((SECONDS - start)) s)")
    else
      rc=1
      reliability+=("FAILED $step ($((SECONDS - start)) s)")
    fi
  done
fi

# GstCheck's per-suite summaries, then one closing line for whoever reads
# the end of the log.
log=build/meson-logs/testlog.txt
echo
echo "GstCheck suites:"
grep -E "^[0-9]+%: Checks: [0-9]+" "$log" | sed 's/^/  /' || true
if [ ${#reliability[@]} -gt 0 ]; then
  echo "Reliability runs:"
  printf '  %s\n' "${reliability[@]}"
fi
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
