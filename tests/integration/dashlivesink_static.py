#!/usr/bin/python3
# GStreamer livestream plug-ins
# Copyright (C) 2026 gst-livestream authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What dashlivesink writes under `location` is valid for any HTTP server,
also in low-latency mode.

A live H.264 + AAC pipeline with chunk-duration (2 s segments in 200 ms
CMAF chunks, no embedded server) writes into a directory that Debian's
nginx (this test's own instance on a free 127.0.0.1 port) serves as plain
static files while the stream runs.  dash.js (manifest.mpd), shaka-player
(manifest.mpd) and hls.js (master.m3u8) in headless Chromium each play it
for --seconds (tests/integration/ll-test.mjs --url --static 1).

Passes when every player starts, plays, reports no error and no stall, and
nginx's access log has no 404 (before this was fixed, the MPD on disk
announced the segment in progress and the next one: 317 answers 404 in
about 70 s).

Usage: dashlivesink_static.py [--seconds 60] [--players dashjs,shaka,hlsjs]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def nginx_conf(tmp, root, port):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  types {{
    application/dash+xml mpd;
    application/vnd.apple.mpegurl m3u8;
    video/mp4 mp4;
    video/iso.segment m4s;
  }}
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{
      add_header Access-Control-Allow-Origin * always;
      add_header Cache-Control no-cache always;
    }}
  }}
}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--players", default="dashjs,shaka,hlsjs")
    opt = ap.parse_args()
    if not os.path.exists(NGINX):
        print("SKIP: nginx not found")
        return 77

    tmp = tempfile.mkdtemp(prefix="dashstatic-")
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    port = free_port()
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(nginx_conf(tmp, out, port))
    gst = os.environ.get("GST_LAUNCH", "gst-launch-1.0")
    pipeline = [
        gst, "-e", "videotestsrc", "is-live=true", "pattern=ball", "!",
        "video/x-raw,width=640,height=360,framerate=30/1,format=I420", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=60",
        "bitrate=800", "!", "h264parse", "!",
        "dashlivesink", "name=s", "location=" + out, "dvr-window=30000000000",
        "segment-duration=2000000000", "chunk-duration=200000000",
        "audiotestsrc", "is-live=true", "wave=sine", "!",
        "audio/x-raw,rate=48000,channels=2", "!", "avenc_aac", "!", "aacparse", "!",
        "s.audio_0",
    ]
    if os.geteuid() == 0:
        pipeline = ["nice", "-n", "-10"] + pipeline
    failures = []
    nginx = proc = None
    try:
        nginx = subprocess.Popen([NGINX, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"),
                                  "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        proc = subprocess.Popen(pipeline, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        # segments are named after their start ($Time$): wait for the third
        while len([f for f in (os.listdir(out) if os.path.isdir(out) else [])
                   if re.match(r"video_0-\d+\.m4s$", f)]) < 3:
            if proc.poll() is not None or nginx.poll() is not None or time.time() > deadline:
                raise RuntimeError("pipeline or nginx did not start: " +
                                   (proc.stdout.read().decode(errors="replace")[-2000:]
                                    if proc.poll() is not None else ""))
            time.sleep(0.05)
        node = os.environ.get("NODE", "node")
        for player in [p for p in opt.players.split(",") if p]:
            p = subprocess.run([node, os.path.join(HERE, "ll-test.mjs"), "--player", player,
                                "--seconds", str(opt.seconds), "--url",
                                "http://127.0.0.1:%d" % port, "--static", "1",
                                "--max-p50", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=opt.seconds + 90)
            text = p.stdout.decode(errors="replace")
            if p.returncode == 77:
                print("skip %s: %s" % (player, text.strip().splitlines()[-1]))
                continue
            res = {}
            for line in text.splitlines():
                if line.startswith("RESULT "):
                    res = json.loads(line[7:])
            print("RESULT " + json.dumps(res), flush=True)
            ok = (p.returncode == 0 and res.get("errors") == 0 and res.get("stalls") == 0
                  and res.get("played", 0) >= opt.seconds * 0.8 - 2)
            print(("ok   " if ok else "FAIL ") + "%s from nginx: %s s played, %s errors, %s stalls, "
                  "latency p50 %s s" % (player, res.get("played"), res.get("errors"),
                                        res.get("stalls"), res.get("latencyP50")), flush=True)
            if not ok:
                failures.append(player)
                print(text[-3000:])
        if proc.poll() is not None:
            failures.append("pipeline exited")
    except Exception as e:  # noqa: BLE001
        failures.append("exception: %s" % e)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGTERM)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
    log = open(os.path.join(tmp, "access.log")).read() if os.path.exists(
        os.path.join(tmp, "access.log")) else ""
    lines = log.splitlines()
    nf = [l for l in lines if re.search(r'" 404 ', l)]
    print("nginx: %d requests, %d answered 404%s" % (
        len(lines), len(nf), (": " + " | ".join(nf[:5])) if nf else ""))
    print(("ok   " if not nf else "FAIL ") + "nginx logged 0 x 404")
    if nf:
        failures.append("%d x 404" % len(nf))
    if len(lines) < 20:
        failures.append("nginx saw only %d requests" % len(lines))
    shutil.rmtree(tmp, ignore_errors=True)
    print("FAIL: %s" % failures if failures else "PASS", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
