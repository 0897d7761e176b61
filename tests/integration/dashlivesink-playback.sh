#!/usr/bin/env bash
# dashlivesink integration: what the sink writes is read back by ffprobe,
# by GStreamer's dashdemux2 / hlsdemux2 / qtdemux through playbin3 (served
# over HTTP on 127.0.0.1), and by our own timeline checker; then one hour
# of media runs faster than real time through a 60 s DVR window.
set -euo pipefail
# (no `cmd | grep -q` under pipefail: an early grep exit is a SIGPIPE)
here="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3
check="$here/dashlivesink_check.py"
work="$(mktemp -d /tmp/dashlivesink-it.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for tool in gst-launch-1.0 ffprobe; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

serve() {
  # static HTTP server on an ephemeral 127.0.0.1 port, port written to a file
  "$PY" - "$1" "$work/port" <<'PYEOF' &
import functools, http.server, sys
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
h = functools.partial(Quiet, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
open(sys.argv[2], 'w').write(str(s.server_address[1]))
s.serve_forever()
PYEOF
  server_pid=$!
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  port=$(cat "$work/port")
}

echo "== ABR ladder (2 video representations + audio), B-frames, whole segments"
out="$work/abr"
gst-launch-1.0 -q videotestsrc num-buffers=360 pattern=ball ! \
  video/x-raw,width=640,height=360,framerate=30/1,format=I420 ! tee name=t \
  t. ! queue ! x264enc speed-preset=veryfast key-int-max=60 bitrate=800 ! h264parse ! \
    dashlivesink name=s location="$out" dvr-window=0 \
  t. ! queue ! videoscale ! video/x-raw,width=320,height=180 ! \
    x264enc speed-preset=veryfast key-int-max=60 bitrate=300 ! h264parse ! s.video_1 \
  audiotestsrc num-buffers=517 samplesperbuffer=1024 ! audio/x-raw,rate=44100,channels=2 ! \
    avenc_aac ! aacparse ! s.audio_0
"$PY" "$check" timeline "$out" --exact-bandwidth
grep -q 'type="static"' "$out/manifest.mpd"
grep -q 'codecs="avc1.64' "$out/manifest.mpd"
grep -q 'codecs="mp4a.40.2"' "$out/manifest.mpd"
# identical segment boundaries across the video representations
v0=$(sed -n '/id="video_0"/,/<\/Representation>/p' "$out/manifest.mpd" | grep -o '<S [^>]*>' | tr '\n' ' ')
v1=$(sed -n '/id="video_1"/,/<\/Representation>/p' "$out/manifest.mpd" | grep -o '<S [^>]*>' | tr '\n' ' ')
[ -n "$v0" ] && [ "$v0" = "$v1" ] || { echo "FAIL: video timelines differ: $v0 / $v1"; exit 1; }

frames=$(ffprobe -v error -count_frames -show_entries stream=codec_type,nb_read_frames -of csv=p=0 "$out/manifest.mpd")
echo "ffprobe: $(echo $frames)"
# FFmpeg's dash demuxer may lose the last frame of the second
# representation (it reads all 360 from the same files concatenated, below)
[ "$(grep -c '^video,3\(59\|60\)$' <<< "$frames")" -ge 2 ] || { echo "FAIL: ffprobe video frames"; exit 1; }
for r in video_0 video_1; do
  mapfile -t files < <("$PY" "$check" files "$out" "$r")
  [ "${#files[@]}" = 7 ] || { echo "FAIL: $r: ${#files[@]} files listed"; exit 1; }
  cat "${files[@]}" > "$work/$r.mp4"
  n=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/$r.mp4")
  [ "$n" = 360 ] || { echo "FAIL: $r has $n frames of 360"; exit 1; }
done
grep -q '^audio,51[0-9]$' <<< "$frames" || { echo "FAIL: ffprobe audio frames"; exit 1; }
# one representation as a plain MP4 (init + segments) for qtdemux
# qtdemux reads init + media segments as one fragmented MP4
"$PY" "$check" play "file://$work/video_0.mp4" 360 0

serve "$out"
"$PY" "$check" play "http://127.0.0.1:$port/manifest.mpd" 355 500
"$PY" "$check" play "http://127.0.0.1:$port/master.m3u8" 355 500
kill "$server_pid"; server_pid=""; rm -f "$work/port"

echo "== low-latency chunks (1 s segments, 200 ms chunks), live sources"
out="$work/ll"
gst-launch-1.0 -q videotestsrc is-live=true num-buffers=150 ! \
  video/x-raw,width=320,height=180,framerate=30/1,format=I420 ! \
  x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! h264parse ! \
  dashlivesink name=s location="$out" segment-duration=1000000000 chunk-duration=200000000 \
  audiotestsrc is-live=true num-buffers=235 samplesperbuffer=1024 ! audio/x-raw,rate=48000 ! \
  avenc_aac ! aacparse ! s.audio_0
"$PY" "$check" timeline "$out"
n=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$out/manifest.mpd")
n=$(grep -m1 '[0-9]' <<< "$n")
[ "$n" = 150 ] || { echo "FAIL: ffprobe read $n video frames of 150"; exit 1; }

echo "== H.264 byte-stream input, Opus audio"
out="$work/bs"
gst-launch-1.0 -q videotestsrc num-buffers=150 ! \
  video/x-raw,width=320,height=180,framerate=30/1,format=I420 ! \
  x264enc speed-preset=ultrafast key-int-max=30 ! h264parse ! \
  video/x-h264,stream-format=byte-stream,alignment=au ! \
  dashlivesink name=s location="$out" dvr-window=0 segment-duration=1000000000 \
  audiotestsrc num-buffers=240 samplesperbuffer=1000 ! audio/x-raw,rate=48000,channels=2 ! \
  opusenc ! s.audio_0
"$PY" "$check" timeline "$out"
grep -q 'codecs="opus"' "$out/manifest.mpd"
frames=$(ffprobe -v error -count_frames -show_entries stream=codec_name,nb_read_frames -of csv=p=0 "$out/manifest.mpd" | sort -u)
echo "ffprobe: $(echo $frames)"
grep -q '^h264,150$' <<< "$frames" || { echo "FAIL: byte-stream video frames"; exit 1; }
grep -q '^opus,2[45][0-9]$' <<< "$frames" || { echo "FAIL: opus frames"; exit 1; }

echo "== one hour of media, 60 s DVR window"
"$PY" "$check" hour "$work/hour"
echo "PASS"
