#!/usr/bin/env bash
# The live demo (README's main job). Until the full SRT -> ABR -> DASH demo
# lands, it runs the elements that exist: a live H.264 stream sent over a
# simulated lossy network, put back in order by chunkreorder, and shown in a
# window when a display is available (fakesink otherwise). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$PWD/build/gst}"
sink=fakesink
[ -n "${DISPLAY:-}" ] && sink=autovideosink
exec gst-launch-1.0 -e -m videotestsrc is-live=true pattern=ball \
  ! video/x-raw,width=640,height=360,framerate=30/1 \
  ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=60 \
  ! rtph264pay mtu=1200 \
  ! netsim delay-probability=0.05 min-delay=2 max-delay=40 drop-probability=0.01 \
  ! chunkreorder \
  ! rtph264depay ! avdec_h264 ! videoconvert ! $sink
