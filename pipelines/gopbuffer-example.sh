#!/usr/bin/env bash
# gopbuffer example launch lines, each bounded by num-buffers so that it
# ends by itself.
#   pipelines/gopbuffer-example.sh [--help] [passthrough|branch|latest|audio|all]
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
gopbuffer examples (the plug-in is taken from ./build/gst):
  passthrough  clean start: the src pad starts at the first keyframe
  branch       a decoding branch on src_0 from the cached GOP (catch-up)
  latest       the same in join-mode=latest-keyframe, posting a message per GOP
  audio        video and AAC audio cached together, aligned joins, muxed to TS
  all          every example (default)
USAGE
}

case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
esac

export GST_PLUGIN_PATH="$PWD/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
N=150

passthrough() {
  gst-launch-1.0 -e videotestsrc is-live=true num-buffers=$N ! \
    video/x-raw,width=320,height=180,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 ! h264parse ! \
    gopbuffer start-on-keyframe=true ! avdec_h264 ! fakesink
}

branch() {
  gst-launch-1.0 -e videotestsrc is-live=true num-buffers=$N ! \
    video/x-raw,width=320,height=180,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 ! h264parse ! \
    gopbuffer name=g max-gops=1 ! fakesink \
    g.src_0 ! queue ! avdec_h264 ! fakesink
}

latest() {
  gst-launch-1.0 -e -m videotestsrc is-live=true num-buffers=$N ! \
    video/x-raw,width=320,height=180,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! h264parse ! \
    gopbuffer name=g join-mode=latest-keyframe post-messages=true ! fakesink \
    g.src_0 ! queue ! avdec_h264 ! fakesink | grep -E "gopbuffer-gop|EOS" || true
}

audio() {
  gst-launch-1.0 -e videotestsrc is-live=true num-buffers=$N ! \
    video/x-raw,width=320,height=180,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 ! h264parse ! \
    gopbuffer name=g ! queue ! mux. \
    audiotestsrc is-live=true num-buffers=$((N * 47 / 30)) ! avenc_aac ! aacparse ! g.audio_sink \
    g.audio_src ! queue ! mux. \
    mpegtsmux name=mux ! fakesink
}

case "${1:-all}" in
  passthrough) passthrough ;;
  branch) branch ;;
  latest) latest ;;
  audio) audio ;;
  all) passthrough; branch; latest; audio ;;
  *) usage; exit 1 ;;
esac
