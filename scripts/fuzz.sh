#!/usr/bin/env bash
# Run the libFuzzer targets of tests/fuzz/ (clang, ASan + UBSan).
#
#   scripts/fuzz.sh                     every target, 5 minutes each
#   scripts/fuzz.sh --ci                every target, 20 s each (scripts/test.sh)
#   scripts/fuzz.sh --time 3600 reorderring   one target for an hour
#   scripts/fuzz.sh --merge             fold what was found into the committed
#                                       seed corpus (minimised), then commit it
#
# Inputs found are kept in build-fuzz/fuzz-corpus/<target>/ between runs.
# A crash or a broken invariant stops with the input saved under
# build-fuzz/fuzz-artifacts/<target>/: copy it to
# tests/fuzz/regressions/<target>/ (meson test --suite fuzz replays it in
# every build from then on), fix the bug, commit both.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=300
merge=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) secs=20 ;;
    --time) secs="$2"; shift ;;
    --merge) merge=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz.sh: clang is missing: scripts/install-deps.sh installs it" >&2
  exit 1
fi

B=build-fuzz
if [ ! -f "$B/build.ninja" ]; then
  CC=clang meson setup "$B" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized -Dintegration-tests=disabled \
    >/dev/null
fi
ninja -C "$B" -j2 >/dev/null

if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$B"/tests/fuzz/fuzz-*; do
    case "$exe" in *-replay|*.p) continue ;; esac
    [ -x "$exe" ] && targets+=("$(basename "$exe" | sed 's/^fuzz-//')")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz target was built" >&2
  exit 1
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
# no plug-in scan: the targets call the code directly
export GST_PLUGIN_SYSTEM_PATH_1_0="" GST_PLUGIN_PATH_1_0="" \
  GST_REGISTRY="$PWD/$B/fuzz.registry" GST_DEBUG="*:0"

status=0
total_runs=0
for t in "${targets[@]}"; do
  exe="$B/tests/fuzz/fuzz-$t"
  seeds="tests/fuzz/corpus/$t"
  work="$B/fuzz-corpus/$t"
  art="$B/fuzz-artifacts/$t"
  log="$B/fuzz-$t.log"
  mkdir -p "$work" "$art" "$seeds"
  if [ "$merge" = 1 ]; then
    # a merge runs every input again: anything that crashes now is written
    # under $art, never into the working directory, and fails the run
    before=$(ls "$art" | wc -l)
    if ! "$exe" -merge=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$art/" "$seeds" "$work" >"$log" 2>&1 ||
        [ "$(ls "$art" | wc -l)" -ne "$before" ]; then
      status=1
      echo "fuzz.sh: $t: FINDING during merge, log $log, input(s):" >&2
      ls -1 "$art" | sed "s|^|  $art/|" >&2
      continue
    fi
    echo "fuzz.sh: $t: $(ls "$seeds" | wc -l) seed inputs after merge"
    continue
  fi
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: unbounded
  # memory is a finding too
  if "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$art/" "$work" "$seeds" \
      >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    total_runs=$((total_runs + ${runs:-0}))
    echo "fuzz.sh: $t: ${runs:-?} inputs in ${secs} s, no finding" \
      "($(ls "$work" | wc -l) in the work corpus)"
  else
    status=1
    echo "fuzz.sh: $t: FINDING, log $log, input(s):" >&2
    ls -1 "$art" | sed "s|^|  $art/|" >&2
    grep -m1 -E 'invariant failed|ERROR: (Address|Leak|libFuzzer)|runtime error' \
      "$log" | sed 's/^/  /' >&2 || true
  fi
done
if [ "$merge" = 0 ]; then
  echo "fuzz.sh: ${#targets[@]} targets, $total_runs inputs, $([ $status = 0 ] && echo 'no finding' || echo 'FINDINGS')"
fi
exit $status
