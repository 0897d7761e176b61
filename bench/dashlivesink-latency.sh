#!/bin/bash
# dashlivesink low-latency benchmark: dash.js live latency of dashlivesink's
# embedded server (LL mode) against FFmpeg's low-latency DASH muxer, in one
# run, with the same source and encoder settings: GStreamer videotestsrc
# is-live 640x360 30 fps -> x264enc tune=zerolatency speed-preset=ultrafast
# key-int-max=60 bitrate=800, audiotestsrc -> avenc_aac; 2 s segments in
# 200 ms chunks.
#   (a) ... -> dashlivesink segment-duration=2 s chunk-duration=200 ms
#       http-port=<free>: the server's own player page
#   (b) ... -> mpegtsmux -> pipe -> ffmpeg -c copy -f dash -ldash 1
#       -streaming 1 -seg_duration 2 -frag_duration 0.2 -window_size 5
#       -use_template 1 -use_timeline 0 -target_latency 1 (same
#       ServiceDescription as (a)) -utc_timing_url http://127.0.0.1:P/time,
#       served by a node HTTP server on 127.0.0.1 that sends segments FFmpeg
#       is still writing (.tmp) with chunked transfer as they grow
# Each is played by dash.js (low-latency mode, liveCatchup on) in headless
# Debian Chromium (playwright-core) for --seconds (default 60), by
# tests/integration/ll-test.mjs --source dashlivesink|ffmpeg.  Prints live
# latency p50/p95/max after a warm-up, stalls after start, player errors,
# and the ratio ffmpeg / dashlivesink.  Not run by meson test.
#
#   bench/dashlivesink-latency.sh [--seconds 60] [--runs 1]
#
# Needs a built tree (meson setup build && ninja -C build) and
# scripts/install-npm-tools.sh (dash.js, playwright-core).
set -eu
cd "$(dirname "$0")/.."
seconds=60
runs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
done
[ -e build/gst/dash/libgstlivestreamdash.so ] || { echo "build first: meson setup build && ninja -C build"; exit 1; }
[ -d tests/integration/node_modules/playwright-core ] || { echo "run scripts/install-npm-tools.sh"; exit 1; }

export GST_PLUGIN_SYSTEM_PATH_1_0=""
export GST_PLUGIN_PATH_1_0="$PWD/build/gst:$PWD/build/gst/dash:/usr/lib/x86_64-linux-gnu/gstreamer-1.0"
export GST_REGISTRY="$PWD/build/bench/latency.registry"
export GST_DEBUG='*:1'
mkdir -p build/bench
results=$(mktemp)
trap 'rm -f "$results"' EXIT

for run in $(seq 1 "$runs"); do
  for src in dashlivesink ffmpeg; do
    echo "run $run/$runs: $src, ${seconds} s ..." >&2
    node tests/integration/ll-test.mjs --player dashjs --source "$src" \
      --seconds "$seconds" --max-p50 1.5 > "$results.log" 2>&1 || true
    line=$(grep '^RESULT ' "$results.log" | tail -n 1 | cut -c8-)
    [ -n "$line" ] || line="{\"source\":\"$src\",\"failure\":\"no result: $(tail -n 3 "$results.log" | tr -d '"\\' | tr '\n' ' ')\"}"
    echo "$run $line" >> "$results"
  done
done

/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = []
for l in open(sys.argv[1]):
    run, js = l.split(" ", 1)
    rows.append((int(run), json.loads(js)))
def f(v, unit=" s"):
    return "-" if v is None else "%.2f%s" % (v, unit)
print("| run | server | live latency p50 | p95 | max | stalls after start | player errors | segments sent while written | note |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|")
by = {}
for run, r in rows:
    by.setdefault(run, {})[r.get("source")] = r
    print("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        run, r.get("source"), f(r.get("latencyP50")), f(r.get("latencyP95")),
        f(r.get("latencyMax")), r.get("stalls", "-"), r.get("errors", "-"),
        r.get("liveResponses", "-"), (r.get("failure") or "").replace("\n", " ")[:120]))
for run, d in sorted(by.items()):
    a, b = d.get("dashlivesink", {}), d.get("ffmpeg", {})
    if a.get("latencyP50") and b.get("latencyP50"):
        print("run %d: ffmpeg / dashlivesink live latency p50 %.2fx, p95 %.2fx" % (
            run, b["latencyP50"] / a["latencyP50"], b["latencyP95"] / a["latencyP95"]))
    ok = a.get("latencyP50") is not None and a["latencyP50"] <= 1.5 and a.get("stalls") == 0
    print("run %d: target (dashlivesink p50 <= 1.5 s, 0 stalls): %s" % (run, "met" if ok else "NOT met"))
PY
