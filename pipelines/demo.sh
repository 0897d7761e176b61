#!/usr/bin/env bash
# The README's main job: a live SRT -> ABR ladder -> DASH/HLS service on this
# machine, fed with a live test signal by a sender this project did not write.
#
#   pipelines/demo.sh [--srt-port 9000] [--http-port 8080] [--output DIR]
#                     [--size 1280x720] [--fps 30] [--duration S]
#                     [--sender ffmpeg|srt-live-transmit] [-- srt-to-dash options]
#
# 1. starts pipelines/srt-to-dash (srtsrc listener -> tsdemux -> prioqueue ->
#    gopbuffer -> avsync -> decode -> x264enc ladder -> dashlivesink with its
#    embedded HTTP server and player page);
# 2. starts Debian's ffmpeg sending testsrc2 video (moving pattern, frame
#    counter) and a 1 kHz tone as H.264 + AAC in MPEG-TS over SRT to
#    127.0.0.1 (caller mode, stream id "demo"); if the sender dies it is
#    restarted, which also shows srt-to-dash surviving a reconnect;
#    with --sender srt-live-transmit, ffmpeg writes UDP and srt-live-transmit
#    (srt-tools) carries it over SRT;
# 3. prints the player URL (http://127.0.0.1:8080/ by default) and the status
#    line of the pipeline every 5 s;
# 4. Ctrl-C: the sender stops, srt-to-dash gets SIGINT, sends EOS, finalises
#    the MPD (static: the recording then plays as VOD) and exits.
#
# Options after "--" go to srt-to-dash (see pipelines/srt-to-dash --help),
# e.g. -- --ladder 1080p,720p,240p --chunk-duration 0.2
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"

SRT_PORT=9000
HTTP_PORT=8080
OUTPUT="$REPO/out/live"
SIZE=1280x720
FPS=30
DURATION=0
SENDER=ffmpeg
EXTRA=()
usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --srt-port) SRT_PORT="$2"; shift 2 ;;
    --http-port) HTTP_PORT="$2"; shift 2 ;;
    --output) OUTPUT="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    --fps) FPS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --sender) SENDER="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$SENDER" in ffmpeg|srt-live-transmit) ;; *)
  echo "demo: --sender is ffmpeg or srt-live-transmit" >&2; exit 2 ;; esac

need() { command -v "$1" >/dev/null 2>&1 || {
  echo "demo: $1 not found: run scripts/install-deps.sh" >&2; exit 1; }; }
need ffmpeg
need /usr/bin/python3
[ "$SENDER" = srt-live-transmit ] && need srt-live-transmit
PROTOCOLS="$(ffmpeg -hide_banner -protocols 2>/dev/null || true)"
if ! printf '%s\n' "$PROTOCOLS" | grep -qx '  srt'; then
  echo "demo: this ffmpeg has no SRT support (Debian's ffmpeg has)" >&2; exit 1
fi

export GST_PLUGIN_PATH="$REPO/build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
if ! gst-inspect-1.0 dashlivesink >/dev/null 2>&1; then
  echo "demo: dashlivesink not found in $REPO/build/gst: run scripts/build.sh" >&2
  exit 1
fi
SERVE_STATIC=0
# (not "gst-inspect | grep -q": with pipefail, grep leaving early makes the
# pipeline fail at random)
INSPECT="$(gst-inspect-1.0 dashlivesink 2>/dev/null || true)"
case "$INSPECT" in
  *http-port*) ;;
  *) SERVE_STATIC=1 ;;   # a dashlivesink without the embedded server
esac

LOGDIR="$(mktemp -d /tmp/livestream-demo.XXXXXX)"
PIPE_PID=""; SENDER_PID=""; RELAY_PID=""; STATIC_PID=""; STOPPING=0; RC=0
cleanup() {
  STOPPING=1
  [ -n "$SENDER_PID" ] && kill "$SENDER_PID" 2>/dev/null || true
  [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null || true
  if [ -n "$PIPE_PID" ] && kill -0 "$PIPE_PID" 2>/dev/null; then
    kill -INT "$PIPE_PID" 2>/dev/null || true
    # srt-to-dash waits at most --eos-timeout (10 s) for EOS
    for _ in $(seq 1 150); do kill -0 "$PIPE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PIPE_PID" 2>/dev/null || true
  fi
  if [ -n "$PIPE_PID" ]; then
    wait "$PIPE_PID" 2>/dev/null && RC=0 || RC=$?
    PIPE_PID=""
  fi
  [ -n "$STATIC_PID" ] && kill "$STATIC_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "demo: stopped (logs in $LOGDIR)"
}
# Ctrl-C / SIGTERM end the loop below; the exit status is srt-to-dash's
trap 'STOPPING=1' INT TERM
trap 'cleanup; exit $RC' EXIT

mkdir -p "$OUTPUT"
HTTP_ARGS=(--http-port "$HTTP_PORT")
[ "$SERVE_STATIC" = 1 ] && HTTP_ARGS=(--http-port 0)
# srt-to-dash runs in the foreground process group's output; its own
# SIGINT comes from cleanup (setsid keeps the terminal's Ctrl-C away from it
# so that the sender stops first)
setsid "$HERE/srt-to-dash" --srt-port "$SRT_PORT" --output "$OUTPUT" \
  "${HTTP_ARGS[@]}" --stream-id demo "${EXTRA[@]}" &
PIPE_PID=$!

if [ "$SERVE_STATIC" = 1 ]; then
  /usr/bin/python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 \
    --directory "$OUTPUT" >"$LOGDIR/http.log" 2>&1 &
  STATIC_PID=$!
  echo "demo: dashlivesink has no embedded server here: serving $OUTPUT as"
  echo "demo: static files; MPD: http://127.0.0.1:$HTTP_PORT/manifest.mpd"
fi

send() {
  local dest="srt://127.0.0.1:$SRT_PORT?mode=caller&streamid=demo&latency=125000"
  local out=(-f mpegts "$dest")
  if [ "$SENDER" = srt-live-transmit ]; then
    local udp=$((SRT_PORT + 1000))
    srt-live-transmit -q "udp://127.0.0.1:$udp" "srt://127.0.0.1:$SRT_PORT?streamid=demo" \
      >"$LOGDIR/relay.log" 2>&1 &
    RELAY_PID=$!
    out=(-f mpegts "udp://127.0.0.1:$udp?pkt_size=1316")
  fi
  ffmpeg -hide_banner -nostdin -loglevel error -re \
    -f lavfi -i "testsrc2=size=$SIZE:rate=$FPS" \
    -re -f lavfi -i "sine=frequency=1000:sample_rate=48000:beep_factor=4" \
    -c:v libx264 -preset veryfast -tune zerolatency -g $((FPS * 2)) \
    -b:v 4000k -maxrate 4000k -bufsize 2000k -pix_fmt yuv420p \
    -c:a aac -b:a 128k -ac 2 "${out[@]}" >>"$LOGDIR/sender.log" 2>&1 &
  SENDER_PID=$!
}

echo "demo: sender: Debian's ffmpeg (testsrc2 ${SIZE}@${FPS} + 1 kHz tone) -> srt://127.0.0.1:$SRT_PORT"
if [ "$SERVE_STATIC" = 0 ]; then
  echo "demo: open the player: http://127.0.0.1:$HTTP_PORT/"
fi
echo "demo: Ctrl-C stops it cleanly"
START=$(date +%s)
sleep 1
send
while [ "$STOPPING" = 0 ] && kill -0 "$PIPE_PID" 2>/dev/null; do
  if [ "$DURATION" != 0 ] && [ $(( $(date +%s) - START )) -ge "${DURATION%.*}" ]; then
    break
  fi
  if ! kill -0 "$SENDER_PID" 2>/dev/null && [ "$STOPPING" = 0 ]; then
    echo "demo: sender exited ($(tail -n1 "$LOGDIR/sender.log" 2>/dev/null)); restarting it"
    [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null || true
    sleep 1
    send
  fi
  sleep 1
done
if [ "$STOPPING" = 0 ] && ! kill -0 "$PIPE_PID" 2>/dev/null; then
  wait "$PIPE_PID" && RC=0 || RC=$?
  PIPE_PID=""
  [ "$RC" != 0 ] && echo "demo: srt-to-dash exited with $RC" >&2
fi
