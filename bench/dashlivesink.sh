#!/usr/bin/env bash
# dashlivesink benchmark: remux a pre-encoded 10-minute 720p H.264 + AAC
# MP4 into DASH as fast as possible and compare CPU time (user + sys) with
#   - ffmpeg -i f.mp4 -c copy -f dash   (the baseline)
#   - GStreamer's floor: filesrc ! qtdemux ! h264parse/aacparse ! fakesink
# in the same run, interleaved, best of N runs each.  Also output bytes vs
# input bytes.
#
#   bench/dashlivesink.sh [--minutes 10] [--runs 3] [--out DIR]
# Needs a built tree (scripts/build.sh).  The source file is generated once
# and cached in build/bench/.  Outputs go to --out (default: a directory in
# /dev/shm, so that ext4's inode allocator after the previous run's
# deletions, which dominates on disk for both programs, does not drown the
# muxers' own cost; pass --out build/bench/out to measure on disk).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10
runs=3
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
done

export GST_PLUGIN_PATH="$PWD/build/gst"
PY=/usr/bin/python3
cache="$PWD/build/bench"
mkdir -p "$cache"
src="$cache/dashlivesink-src-${minutes}min-720p.mp4"
frames=$((minutes * 60 * 30))
abufs=$((minutes * 60 * 48000 / 1024))

if [ ! -s "$src" ]; then
  echo "generating $src (${minutes} min 1280x720 30 fps H.264 3 Mbit/s + AAC, once)"
  gst-launch-1.0 -q -e videotestsrc num-buffers=$frames pattern=smpte horizontal-speed=4 ! \
    video/x-raw,width=1280,height=720,framerate=30/1,format=I420 ! \
    x264enc speed-preset=ultrafast bitrate=3000 key-int-max=60 ! h264parse ! \
    mp4mux name=m faststart=true ! filesink location="$src.part" \
    audiotestsrc num-buffers=$abufs samplesperbuffer=1024 ! \
    audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=128000 ! aacparse ! m.
  mv "$src.part" "$src"
fi
in_bytes=$(stat -c %s "$src")

# CPU seconds (user + sys) of a command and its children
cpu() {
  "$PY" -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if r.returncode != 0:
    sys.stderr.write(r.stderr.decode()[-2000:])
    sys.exit(1)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (u.ru_utime + u.ru_stime))' "$@"
}

if [ -z "$out" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    out=$(mktemp -d /dev/shm/dashlivesink-bench.XXXXXX)
    trap 'rm -rf "$out"' EXIT
  else
    out="$cache/out"
  fi
fi
echo "outputs in $out"
run_ffmpeg() {
  rm -rf "$out/ff"; mkdir -p "$out/ff"
  cpu ffmpeg -nostdin -v error -i "$src" -c copy -f dash -seg_duration 2 \
    -use_timeline 1 -use_template 1 "$out/ff/manifest.mpd"
}
run_floor() {
  cpu gst-launch-1.0 -q filesrc location="$src" ! qtdemux name=d \
    d.video_0 ! h264parse ! fakesink sync=false async=false \
    d.audio_0 ! aacparse ! fakesink sync=false async=false
}
run_dls() {
  rm -rf "$out/dls"
  cpu gst-launch-1.0 -q filesrc location="$src" ! qtdemux name=d \
    d.video_0 ! h264parse ! dashlivesink name=s location="$out/dls" dvr-window=0 \
    d.audio_0 ! aacparse ! s.audio_0
}

best() { printf '%s\n' "$@" | sort -g | head -1; }
ff=(); fl=(); dl=()
for i in $(seq "$runs"); do
  ff+=("$(run_ffmpeg)")
  fl+=("$(run_floor)")
  dl+=("$(run_dls)")
  echo "run $i: ffmpeg ${ff[-1]} s, gst floor ${fl[-1]} s, dashlivesink ${dl[-1]} s"
done
b_ff=$(best "${ff[@]}"); b_fl=$(best "${fl[@]}"); b_dl=$(best "${dl[@]}")
dls_bytes=$(du -sb "$out/dls" | cut -f1)
ff_bytes=$(du -sb "$out/ff" | cut -f1)
nseg=$(ls "$out/dls" | grep -c '\.m4s$')

"$PY" - "$b_ff" "$b_fl" "$b_dl" "$in_bytes" "$dls_bytes" "$ff_bytes" "$nseg" "$minutes" <<'PYEOF'
import sys
ff, fl, dl = map(float, sys.argv[1:4])
inb, dlb, ffb, nseg, minutes = map(int, sys.argv[4:9])
print()
print("| %d min 720p H.264 3 Mbit/s + AAC, best of runs | CPU s | x ffmpeg |" % minutes)
print("|---|---:|---:|")
print("| ffmpeg -c copy -f dash (baseline) | %.2f | 1.00 |" % ff)
print("| GStreamer floor: qtdemux + parsers -> fakesink | %.2f | %.2f |" % (fl, fl / ff))
print("| qtdemux + parsers -> dashlivesink | %.2f | %.2f |" % (dl, dl / ff))
print("| dashlivesink's own share (minus floor) | %.2f | %.2f |" % (dl - fl, (dl - fl) / ff))
print()
print("output bytes: dashlivesink %d (%.4f x input %d, %d segments), ffmpeg %d (%.4f x input)" %
      (dlb, dlb / inb, inb, nseg, ffb, ffb / inb))
print("target: dashlivesink <= 0.80 x ffmpeg: %s" % ("met" if dl <= 0.8 * ff else "NOT met"))
PYEOF
