#!/usr/bin/env bash
# chunkreorder example pipelines (docs/chunkreorder.md). Each one ends by
# itself (num-buffers). Uses the plug-in from ./build unless GST_PLUGIN_PATH
# is set.
#
#   pipelines/chunkreorder-example.sh            run all examples
#   pipelines/chunkreorder-example.sh rtp        only one: rtp | udp | chunks
#   pipelines/chunkreorder-example.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
  all|rtp|udp|chunks) ;;
  *) usage >&2; exit 2 ;;
esac

if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  if [ ! -f build/gst/libgstlivestream.so ]; then
    echo "build first: scripts/build.sh (or meson setup build && ninja -C build)" >&2
    exit 1
  fi
  export GST_PLUGIN_PATH="$PWD/build/gst"
fi

# Show only what the examples are about: chunkreorder's loss messages,
# warnings, errors and the final statistics.
run() {
  echo "+ gst-launch-1.0 $*"
  gst-launch-1.0 -m "$@" 2>&1 | grep -E "chunkreorder-lost|WARNING|ERROR|Execution ended" || true
  echo
}

if [ "${1:-all}" = all ] || [ "$1" = rtp ]; then
  echo "== 1. H.264 over a simulated lossy, reordering network (3 s) =="
  # netsim delays 5 % of the packets by 2-40 ms (they arrive after later
  # ones) and loses 1 %; chunkreorder restores the order and tells the
  # depayloader what never came (GstRTPPacketLost).
  run videotestsrc is-live=true num-buffers=90 \
    ! video/x-raw,width=320,height=240,framerate=30/1 \
    ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 \
    ! rtph264pay mtu=600 \
    ! netsim delay-probability=0.05 min-delay=2 max-delay=40 drop-probability=0.01 \
    ! chunkreorder window=64 timeout=50000000 \
    ! rtph264depay ! avdec_h264 ! videoconvert ! fakesink
fi

if [ "${1:-all}" = all ] || [ "$1" = udp ]; then
  echo "== 2. RTP over UDP on 127.0.0.1, receiver with chunkreorder (3 s) =="
  port=$((20000 + RANDOM % 20000))
  log=$(mktemp)
  # the receiver: -e turns our interrupt into EOS, so chunkreorder releases
  # what it holds and the pipeline ends cleanly
  gst-launch-1.0 -e -m udpsrc address=127.0.0.1 port=$port \
      caps="application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96" \
    ! chunkreorder timeout=40000000 ! rtph264depay ! avdec_h264 ! fakesink \
    > "$log" 2>&1 &
  receiver=$!
  sleep 0.5
  run videotestsrc is-live=true num-buffers=60 \
    ! video/x-raw,width=320,height=240,framerate=30/1 \
    ! x264enc tune=zerolatency speed-preset=ultrafast ! rtph264pay \
    ! netsim delay-probability=0.05 min-delay=2 max-delay=30 drop-probability=0.01 \
    ! udpsink host=127.0.0.1 port=$port
  sleep 0.5
  kill -INT "$receiver" 2>/dev/null || true
  wait "$receiver" 2>/dev/null || true
  echo "receiver:"
  grep -E "chunkreorder-lost|WARNING|ERROR|Execution ended" "$log" || true
  rm -f "$log"
  echo
fi

if [ "${1:-all}" = all ] || [ "$1" = chunks ]; then
  echo "== 3. Numbered chunks (buffer offsets), reordered and thinned (3 s) =="
  # videotestsrc numbers its frames in GST_BUFFER_OFFSET (0, 1, 2, ...);
  # netsim reorders and drops; a non-RTP stream gets GstChunkLost events
  # and DISCONT buffers.
  run videotestsrc is-live=true num-buffers=150 \
    ! video/x-raw,width=64,height=48,framerate=50/1 \
    ! netsim delay-probability=0.1 min-delay=1 max-delay=60 drop-probability=0.02 \
    ! chunkreorder seqnum-source=offset window=8 ! fakesink
fi
