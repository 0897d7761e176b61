#!/usr/bin/env bash
# prioqueue example pipelines (docs/prioqueue.md). Each one ends by itself
# (num-buffers). Uses the plug-in from ./build unless GST_PLUGIN_PATH is set.
#
#   pipelines/prioqueue-example.sh            run all examples
#   pipelines/prioqueue-example.sh shed       only one: shed | streams | block
#   pipelines/prioqueue-example.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
  all|shed|streams|block) ;;
  *) usage >&2; exit 2 ;;
esac

if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  if [ ! -f build/gst/libgstlivestream.so ]; then
    echo "build first: scripts/build.sh (or meson setup build && ninja -C build)" >&2
    exit 1
  fi
  export GST_PLUGIN_PATH="$PWD/build/gst"
fi

# Show only what the examples are about: prioqueue's drop reports,
# warnings, errors and the end.
run() {
  echo "+ gst-launch-1.0 $*"
  gst-launch-1.0 -m "$@" 2>&1 |
    grep -E "prioqueue-dropped|WARNING|ERROR|Execution ended" |
    sed -E 's/^Got message #[0-9]+ from element "([^"]+)" \(element\): /\1: /' || true
  echo
}

if [ "${1:-all}" = all ] || [ "$1" = shed ]; then
  echo "== 1. A decoder that cannot keep up (5 s) =="
  # 30 fps H.264 with B-frames; the consumer needs 50 ms per frame (20 fps).
  # prioqueue drops the non-reference B-frames first, then P-frames up to
  # the next keyframe; nothing undecodable reaches avdec_h264, and no frame
  # waits longer than 300 ms.
  run videotestsrc is-live=true num-buffers=150 pattern=ball \
    ! video/x-raw,width=320,height=240,framerate=30/1 \
    ! x264enc speed-preset=ultrafast bframes=2 key-int-max=30 ! h264parse \
    ! prioqueue max-size-time=300000000 max-size-buffers=0 max-size-bytes=0 \
    ! identity sleep-time=50000 ! avdec_h264 ! fakesink sync=false async=false
fi

if [ "${1:-all}" = all ] || [ "$1" = streams ]; then
  echo "== 2. Audio and video sharing one budget (5 s) =="
  # Two streams through one prioqueue: the video on the always pads, the
  # audio on a request pad. Every audio buffer is HIGH; when the shared
  # 30-buffer budget overflows because the video consumer is slow, the
  # video's B- and P-frames go, the audio stays.
  run videotestsrc is-live=true num-buffers=150 pattern=ball \
    ! video/x-raw,width=320,height=240,framerate=30/1 \
    ! x264enc speed-preset=ultrafast bframes=2 key-int-max=30 ! h264parse \
    ! prioqueue name=q max-size-buffers=30 max-size-bytes=0 max-size-time=0 \
    ! identity sleep-time=50000 ! avdec_h264 ! fakesink sync=false async=false \
    audiotestsrc is-live=true num-buffers=250 samplesperbuffer=960 \
    ! audio/x-raw,rate=48000,channels=1 ! q.sink_1 \
    q.src_1 ! fakesink sync=false async=false
fi

if [ "${1:-all}" = all ] || [ "$1" = block ]; then
  echo "== 3. mode=block: a non-live pipeline, nothing dropped =="
  # Behaves like queue: upstream waits when the queue is full.
  run videotestsrc num-buffers=100 ! video/x-raw,width=320,height=240 \
    ! x264enc speed-preset=ultrafast bframes=2 ! h264parse \
    ! prioqueue mode=block max-size-buffers=10 \
    ! avdec_h264 ! fakesink sync=false
fi
