#!/bin/bash
# LL-HLS (hls.js) against LL-DASH (dash.js) live latency on the same
# dashlivesink stream at the same time: bench/dashlivesink-llhls.mjs plays
# one live pipeline (640x360 30 fps x264 zerolatency + AAC, 2 s segments in
# 200 ms chunks, the embedded server) in two tabs of headless Debian
# Chromium — the server's player page in DASH mode and in HLS mode — for
# --seconds, --runs times (a fresh pipeline each run).  Prints one table row
# per run and player (live latency p50/p95/max after a 10 s warm-up, stalls,
# errors, whole segments / parts loaded after the warm-up, load average of
# the run) and the ratio hls.js / dash.js.  Not run by meson test.
#
#   bench/dashlivesink-llhls.sh [--seconds 60] [--runs 3] [--target-latency-ms N]
#
# Needs a built tree (meson setup build && ninja -C build) and
# scripts/install-npm-tools.sh (dash.js, hls.js, playwright-core).
set -eu
cd "$(dirname "$0")/.."
seconds=60
runs=3
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --target-latency-ms) extra+=(--target-latency-ms "$2"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
done
[ -e build/gst/dash/libgstlivestreamdash.so ] || { echo "build first: meson setup build && ninja -C build"; exit 1; }
[ -d tests/integration/node_modules/hls.js ] || { echo "run scripts/install-npm-tools.sh"; exit 1; }

export GST_PLUGIN_SYSTEM_PATH_1_0=""
export GST_PLUGIN_PATH_1_0="$PWD/build/gst:$PWD/build/gst/dash:$(pkg-config --variable=pluginsdir gstreamer-1.0)"
export GST_REGISTRY="$PWD/build/bench/llhls.registry"
export GST_DEBUG='*:1'
mkdir -p build/bench
results=$(mktemp)
trap 'rm -f "$results" "$results.log"' EXIT

for run in $(seq 1 "$runs"); do
  echo "run $run/$runs: ${seconds} s, dash.js and hls.js on one stream ..." >&2
  node bench/dashlivesink-llhls.mjs --seconds "$seconds" "${extra[@]}" > "$results.log" 2>&1 || true
  line=$(grep '^RESULT ' "$results.log" | tail -n 1 | cut -c8-)
  [ -n "$line" ] || line="{\"failure\":\"no result: $(tail -n 3 "$results.log" | tr -d '"\\' | tr '\n' ' ')\"}"
  echo "$run $line" >> "$results"
done

/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [(int(l.split(" ", 1)[0]), json.loads(l.split(" ", 1)[1])) for l in open(sys.argv[1])]
def f(v):
    return "-" if v is None else "%.2f s" % v
print("| run | player | live latency p50 | p95 | max | stalls | errors | whole segments / parts loaded | load avg (mean, max) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|")
for run, r in rows:
    if r.get("failure"):
        print("| %d | - | failed: %s |" % (run, r["failure"][:150].replace("\n", " ")))
        continue
    for mode, name in (("dash", "dash.js 5.2.1 (LL-DASH)"), ("hls", "hls.js 1.7.4 (LL-HLS)")):
        p = r[mode]
        print("| %d | %s | %s | %s | %s | %d | %d | %d / %d | %.1f, %.1f |" % (
            run, name, f(p["p50"]), f(p["p95"]), f(p["max"]), p["stalls"], p["errors"],
            p["segments"], p["parts"], r["load1Mean"], r["load1Max"]))
for run, r in rows:
    if r.get("failure"):
        continue
    d, h = r["dash"], r["hls"]
    print("run %d: hls.js / dash.js live latency p50 %.2fx, p95 %.2fx; hls.js's own "
          "latency figure %.2f s; PART-HOLD-BACK %.2f s, PART-TARGET %.3f s" % (
              run, h["p50"] / d["p50"], h["p95"] / d["p95"], h["hlsjsLatency"],
              r["partHoldBack"], r["partTarget"]))
    ok = h["p50"] <= 2.0 and h["stalls"] == 0 and h["errors"] == 0
    if not ok or d["stalls"] or h.get("warnings"):
        # what happened: position:latency/buffer/rate/stalls every 2 s
        for mode in ("dash", "hls"):
            print("run %d %s every 2 s: %s" % (run, mode, " ".join(r["trace"][mode])))
        print("run %d: hls.js recovered errors %s, jumps back to live %d, HTTP "
              "errors %s" % (run, h.get("warnDetails"), h.get("liveJumps", 0),
                             (r.get("httpErrors") or [])[:10]))
    print("run %d: LL-HLS target (p50 <= 2.0 s, goal 1.5 s; 0 stalls, 0 errors): %s%s" % (
        run, "met" if ok else "NOT met", " (goal met)" if ok and h["p50"] <= 1.5 else ""))
PY
