#!/usr/bin/env bash
# CPU cost of each x264enc ladder rung (speed-preset=veryfast tune=zerolatency),
# measured in one run against a decode-only baseline on the same input.
#
#   bench/pipelines/ladder-cost.sh [--seconds N] [--fps F] [--keep DIR]
#
# Inputs are generated with ffmpeg (not timed): 1080p testsrc2 (the demo's
# test signal, easy to encode) and the same with temporal noise (camera-like
# grain, hard to encode). For every input it measures user+sys CPU seconds of
#   base:  filesrc ! tsdemux ! h264parse ! avdec_h264 ! fakesink
#   rung:  base ... ! videoscale ! WxH ! x264enc bitrate=B ! fakesink
#   ladder: base ... ! tee ! (videoscale ! x264enc) per rung of a ladder
# and prints cores = (cpu - cpu_base) / media seconds, i.e. the share of one
# core the rung needs in real time at the input frame rate.
set -euo pipefail
SECONDS_MEDIA=10
FPS=30
KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_MEDIA="$2"; shift 2 ;;
    --fps) FPS="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
DIR=${KEEP:-$(mktemp -d)}
mkdir -p "$DIR"
[ -z "$KEEP" ] && trap 'rm -rf "$DIR"' EXIT

# name width height kbps
RUNGS=("1080p 1920 1080 4000" "720p 1280 720 2500" "480p 854 480 1200" "240p 426 240 400")
LADDERS=("720p,480p,240p" "720p,240p" "480p,240p" "1080p,720p,480p,240p")

gen() { # name filter
  [ -f "$DIR/$1.ts" ] && return
  ffmpeg -hide_banner -loglevel error -y -f lavfi \
    -i "testsrc2=size=1920x1080:rate=$FPS" ${2:+-vf "$2"} -t "$SECONDS_MEDIA" \
    -c:v libx264 -preset veryfast -crf 20 -g $((FPS * 2)) -pix_fmt yuv420p \
    "$DIR/$1.ts"
}
gen testsrc2 ""
gen noise "noise=alls=12:allf=t+u"

cpu() { # pipeline description -> user+sys seconds
  # shellcheck disable=SC2086
  /usr/bin/time -o "$DIR/time.txt" -f "%U %S" gst-launch-1.0 -q $1 >/dev/null 2>"$DIR/err.txt" || {
    echo "ladder-cost: pipeline failed: $1" >&2; cat "$DIR/err.txt" >&2; exit 1; }
  awk '{ printf "%.3f", $1 + $2 }' "$DIR/time.txt"
}
rung_desc() { # name -> "queue ! videoscale ! caps ! x264enc ! fakesink"
  local r want="$1"
  for r in "${RUNGS[@]}"; do
    set -- $r
    if [ "$1" = "$want" ]; then
      echo "queue ! videoscale ! video/x-raw,width=$2,height=$3 ! x264enc speed-preset=veryfast tune=zerolatency bitrate=$4 key-int-max=$((FPS * 2)) ! fakesink"
      return
    fi
  done
}

echo "ladder-cost: ${SECONDS_MEDIA}s of 1080p${FPS} per input, $(nproc) cores, x264enc veryfast zerolatency"
printf "%-10s %-30s %8s %6s\n" input what cpu_s cores
for input in testsrc2 noise; do
  SRC="filesrc location=$DIR/$input.ts ! tsdemux ! h264parse ! avdec_h264"
  base=$(cpu "$SRC ! fakesink")
  printf "%-10s %-30s %8s %6s\n" "$input" "decode 1080p (base)" "$base" \
    "$(awk -v c="$base" -v s="$SECONDS_MEDIA" 'BEGIN { printf "%.2f", c / s }')"
  for r in "${RUNGS[@]}"; do
    set -- $r
    c=$(cpu "$SRC ! $(rung_desc "$1")")
    printf "%-10s %-30s %8s %6s\n" "$input" "+ $1 $4k" "$c" \
      "$(awk -v c="$c" -v b="$base" -v s="$SECONDS_MEDIA" 'BEGIN { printf "%.2f", (c - b) / s }')"
  done
  for l in "${LADDERS[@]}"; do
    desc="$SRC ! tee name=t"
    for n in ${l//,/ }; do
      desc="$desc t. ! $(rung_desc "$n")"
    done
    c=$(cpu "$desc")
    printf "%-10s %-30s %8s %6s\n" "$input" "+ ladder $l" "$c" \
      "$(awk -v c="$c" -v b="$base" -v s="$SECONDS_MEDIA" 'BEGIN { printf "%.2f", (c - b) / s }')"
  done
done
# the whole back half of srt-to-dash (tsdemux, prioqueue, gopbuffer, avsync,
# decode, the default ladder, AAC) in its non-live variant with fakesinks
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
if [ -x "$REPO/pipelines/livestream-run" ]; then
  [ -f "$DIR/av.ts" ] || ffmpeg -hide_banner -loglevel error -y -f lavfi \
    -i "testsrc2=size=1920x1080:rate=$FPS" -f lavfi -i "sine=frequency=1000:sample_rate=48000" \
    -vf "noise=alls=12:allf=t+u" -t "$SECONDS_MEDIA" -c:v libx264 -preset veryfast -crf 20 \
    -g $((FPS * 2)) -pix_fmt yuv420p -c:a aac -b:a 128k "$DIR/av.ts"
  base=$(cpu "filesrc location=$DIR/av.ts ! tsdemux ! h264parse ! avdec_h264 ! fakesink")
  /usr/bin/time -o "$DIR/time.txt" -f "%U %S" "$REPO/pipelines/livestream-run" srt-to-dash \
    --input-file "$DIR/av.ts" --sink fake --status-interval 0 -q >/dev/null 2>&1
  c=$(awk '{ printf "%.3f", $1 + $2 }' "$DIR/time.txt")
  printf "%-10s %-30s %8s %6s\n" noise "srt-to-dash default (all)" "$c" \
    "$(awk -v c="$c" -v s="$SECONDS_MEDIA" 'BEGIN { printf "%.2f", c / s }')"
  printf "%-10s %-30s %8s %6s\n" noise "  of which decode 1080p" "$base" \
    "$(awk -v c="$base" -v s="$SECONDS_MEDIA" 'BEGIN { printf "%.2f", c / s }')"
fi
# audio: AAC 128 kbps from 48 kHz stereo
a=$(cpu "audiotestsrc num-buffers=$((SECONDS_MEDIA * 48000 / 1024)) samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=128000 ! fakesink")
ab=$(cpu "audiotestsrc num-buffers=$((SECONDS_MEDIA * 48000 / 1024)) samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! fakesink")
printf "%-10s %-30s %8s %6s\n" sine "+ avenc_aac 128k" "$a" \
  "$(awk -v c="$a" -v b="$ab" -v s="$SECONDS_MEDIA" 'BEGIN { printf "%.3f", (c - b) / s }')"
