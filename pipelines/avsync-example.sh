#!/usr/bin/env bash
# avsync example pipelines (docs/avsync.md). Each one ends by itself
# (num-buffers). Uses the plug-in from ./build unless GST_PLUGIN_PATH is set.
#
#   pipelines/avsync-example.sh            run all examples
#   pipelines/avsync-example.sh live       only one: live | offset | dropdup | flv
#   pipelines/avsync-example.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
  all|live|offset|dropdup|flv) ;;
  *) usage >&2; exit 2 ;;
esac

if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  if [ ! -f build/gst/libgstlivestream.so ]; then
    echo "build first: scripts/build.sh (or meson setup build && ninja -C build)" >&2
    exit 1
  fi
  export GST_PLUGIN_PATH="$PWD/build/gst"
fi

# Show only what the examples are about: avsync's messages, warnings, errors
run() {
  echo "+ gst-launch-1.0 $*"
  gst-launch-1.0 -m "$@" 2>&1 \
    | grep -E "avsync-|WARNING|ERROR|Execution ended" \
    | sed -E 's/^Got message #[0-9]+ from element "([^"]+)" \(element\): /\1: /' || true
  echo
}

want() {
  [ "${1}" = all ] || [ "${1}" = "$2" ]
}

if want "${1:-all}" live; then
  echo "== 1. Live capture, offset reported every second (4 s) =="
  # Upstream is live: avsync measures against the pipeline clock. Both test
  # sources follow the same clock, so the offset stays at zero.
  run avsync name=s \
    audiotestsrc is-live=true num-buffers=200 samplesperbuffer=960 \
      ! audio/x-raw,rate=48000,channels=2 ! s.audio_sink \
    videotestsrc is-live=true num-buffers=120 \
      ! video/x-raw,width=320,height=240,framerate=30/1 ! s.video_sink \
    s.audio_src ! fakesink  s.video_src ! fakesink
fi

if want "${1:-all}" offset; then
  echo "== 2. A source known to stamp its video 250 ms late (non-live, 60 s of media) =="
  # av-offset declares it; the video is moved 250 ms earlier, 1 ms per frame
  # (residual shrinks to 0 within ~8 s), the audio passes untouched. Non-live:
  # measured on sample and frame counts. A status message every 5 s of media.
  run avsync name=s av-offset=250000000 message-interval=5000000000 \
    audiotestsrc num-buffers=3000 samplesperbuffer=960 \
      ! audio/x-raw,rate=48000,channels=2 ! s.audio_sink \
    videotestsrc num-buffers=1800 pattern=ball \
      ! video/x-raw,width=160,height=120,framerate=30/1 ! s.video_sink \
    s.audio_src ! queue ! mux.  s.video_src ! queue ! mux. \
    matroskamux name=mux ! fakesink
fi

if want "${1:-all}" dropdup; then
  echo "== 3. drop-dup: whole frames instead of slewed timestamps (60 s of media) =="
  # The same 250 ms late video, corrected by dropping 7-8 raw frames, one
  # every 34 frames at most; frames-dropped in the final stats.
  run avsync name=s mode=drop-dup av-offset=250000000 message-interval=10000000000 \
    audiotestsrc num-buffers=3000 samplesperbuffer=960 \
      ! audio/x-raw,rate=48000,channels=2 ! s.audio_sink \
    videotestsrc num-buffers=1800 pattern=ball \
      ! video/x-raw,width=160,height=120,framerate=30/1 ! s.video_sink \
    s.audio_src ! queue ! mux.  s.video_src ! queue ! mux. \
    matroskamux name=mux ! fakesink
fi

if want "${1:-all}" flv; then
  out=$(mktemp --suffix=.flv)
  echo "== 4. Ingest-style: encoded streams through avsync into FLV, BT.1359 thresholds (10 s) =="
  # avsync works on encoded streams too (slewing only): here between the
  # encoders/parsers and flvmux, as in a restream to RTMP. Thresholds inside
  # ITU-R BT.1359 detectability (+45 ms lead / -125 ms lag).
  run avsync name=s lead-threshold=40000000 lag-threshold=100000000 \
    audiotestsrc is-live=true num-buffers=470 samplesperbuffer=1024 \
      ! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! s.audio_sink \
    videotestsrc is-live=true num-buffers=300 \
      ! video/x-raw,width=320,height=240,framerate=30/1 \
      ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 \
      ! h264parse ! s.video_sink \
    s.audio_src ! queue ! mux.  s.video_src ! queue ! mux. \
    flvmux name=mux streamable=true ! filesink location="$out"
  echo "wrote $(stat -c %s "$out") bytes to $out"
  rm -f "$out"
fi
