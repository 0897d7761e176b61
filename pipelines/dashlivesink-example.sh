#!/usr/bin/env bash
# dashlivesink example launch lines, each bounded by num-buffers so that it
# ends by itself.  Output goes to ${OUT:-/tmp/dashlivesink-example}/<name>/.
#
#   pipelines/dashlivesink-example.sh            run all examples
#   pipelines/dashlivesink-example.sh NAME       run one: av, abr, ll, audio
#   pipelines/dashlivesink-example.sh --help
#
# Serve the directory with any static HTTP server, e.g.
#   cd /tmp/dashlivesink-example/av && python3 -m http.server 8080 --bind 127.0.0.1
# and open http://127.0.0.1:8080/manifest.mpd (DASH) or master.m3u8 (HLS).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,12p' "$0"; exit 0
fi
[ -d build/gst ] && export GST_PLUGIN_PATH="$PWD/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
OUT=${OUT:-/tmp/dashlivesink-example}
which=${1:-all}

run() { echo "== $1"; shift; gst-launch-1.0 -q "$@"; }

# live video + audio, 2 s segments, 120 s DVR window, DASH and HLS
if [ "$which" = all ] || [ "$which" = av ]; then
run av videotestsrc is-live=true num-buffers=300 ! \
  video/x-raw,width=1280,height=720,framerate=30/1,format=I420 ! \
  x264enc tune=zerolatency key-int-max=60 bitrate=3000 ! h264parse ! \
  dashlivesink name=s location="$OUT/av" \
  audiotestsrc is-live=true num-buffers=470 ! audio/x-raw,rate=48000,channels=2 ! \
  avenc_aac ! aacparse ! s.audio_0
fi

# ABR ladder: 720p / 480p / 360p with aligned keyframes, one audio
if [ "$which" = all ] || [ "$which" = abr ]; then
run abr videotestsrc is-live=true num-buffers=300 ! \
  video/x-raw,width=1280,height=720,framerate=30/1,format=I420 ! tee name=t \
  t. ! queue ! x264enc tune=zerolatency key-int-max=60 bitrate=3000 ! h264parse ! \
    dashlivesink name=s location="$OUT/abr" dvr-window=600000000000 \
  t. ! queue ! videoscale ! video/x-raw,width=854,height=480 ! \
    x264enc tune=zerolatency key-int-max=60 bitrate=1200 ! h264parse ! s.video_1 \
  t. ! queue ! videoscale ! video/x-raw,width=640,height=360 ! \
    x264enc tune=zerolatency key-int-max=60 bitrate=600 ! h264parse ! s.video_2 \
  audiotestsrc is-live=true num-buffers=470 ! audio/x-raw,rate=48000,channels=2 ! \
  avenc_aac ! aacparse ! s.audio_0
fi

# low latency: 1 s segments of 200 ms CMAF chunks
if [ "$which" = all ] || [ "$which" = ll ]; then
run ll videotestsrc is-live=true num-buffers=300 ! \
  video/x-raw,width=640,height=360,framerate=30/1,format=I420 ! \
  x264enc tune=zerolatency key-int-max=30 bitrate=1000 ! h264parse ! \
  dashlivesink location="$OUT/ll" segment-duration=1000000000 \
    chunk-duration=200000000 dvr-window=30000000000
fi

# audio only
if [ "$which" = all ] || [ "$which" = audio ]; then
run audio audiotestsrc is-live=true num-buffers=470 ! audio/x-raw,rate=48000,channels=2 ! \
  avenc_aac ! aacparse ! dashlivesink location="$OUT/audio"
fi
echo "output in $OUT"
