#!/usr/bin/env bash
# Run the logic, element (harness) and fuzz-replay tests under valgrind
# memcheck (meson test --setup valgrind, see tests/meson.build): any memory
# error or definitely lost block not covered by GLib's glib.supp or
# tests/valgrind.supp (GStreamer/GLib internals only) fails the test.
#
#   scripts/test-valgrind.sh                   logic + elements + net + fuzz
#   scripts/test-valgrind.sh --ci              the same without the element
#                                              tests that take 3.5 s or more
#                                              (and, on a CPU that does not
#                                              announce rdtscp, those that
#                                              load gst-libav)
#   scripts/test-valgrind.sh elements/chunkreorder   any meson test arguments
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null 2>&1; then
  echo "test-valgrind.sh: valgrind is missing: scripts/install-deps.sh installs it" >&2
  exit 1
fi
[ -f build/build.ninja ] || scripts/build.sh
ninja -C build -j2 >/dev/null
ci=0
if [ "${1:-}" = "--ci" ]; then
  ci=1
  shift
fi
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(--suite logic --suite elements --suite net --suite fuzz)
fi
# first without valgrind: builds every test's registry (see tests/meson.build);
# its failures are reported by the normal run, not here
meson test -C build --num-processes 1 --logbase valgrind-warmup "${args[@]}" \
  >/dev/null 2>&1 || true
if [ $ci = 1 ]; then
  # CI: memcheck runs encoders (x264enc) some 40 times slower; keep the
  # logic, net, fuzz and reliability suites and the element tests that took
  # under 3.5 s in the run above (the others: scripts/test-valgrind.sh)
  mapfile -t args < <(/usr/bin/python3 - <<'PY'
import json, os, re, sys
# valgrind 3.19 cannot run RDTSCP on a CPU that does not announce it (some
# VMs); gst-libav's libavcodec loads libhwy, whose initialiser runs it:
# there, tests that load gst-libav die of SIGILL under valgrind
rdtscp = any('rdtscp' in l.split() for l in open('/proc/cpuinfo')
             if l.startswith('flags'))
for line in open('build/meson-logs/valgrind-warmup.json'):
    t = json.loads(line)
    # "project:suite+suite / name"
    head, name = t['name'].split(' / ', 1)
    suites = head.split(':', 1)[-1].split('+')
    src = os.path.join('tests', 'check', name + '.c')
    if not rdtscp and os.path.exists(src) and \
            re.search(r'\bav(dec|enc)_', open(src).read()):
        print('test-valgrind.sh: --ci leaves out %s (loads gst-libav; this '
              'CPU does not announce rdtscp)' % name, file=sys.stderr)
    elif set(suites) & {'logic', 'net', 'fuzz', 'reliability'} \
            or t.get('duration', 1e9) < 3.5:
        print(name)
    else:
        print('test-valgrind.sh: --ci leaves out %s (%.1f s without valgrind)'
              % (name, t.get('duration', 0)), file=sys.stderr)
PY
)
fi
exec meson test -C build --setup valgrind --print-errorlogs --num-processes 1 \
  "${args[@]}"
