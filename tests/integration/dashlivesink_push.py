#!/usr/bin/python3
# GStreamer livestream plug-ins
# Copyright (C) 2026 gst-livestream authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dashlivesink push to an origin against a real nginx (WebDAV PUT/DELETE).

Starts Debian's nginx as this test's own instance on 127.0.0.1 (a free
port, everything in a temporary directory), runs a live H.264 + AAC
low-latency pipeline (1 s segments in 200 ms CMAF chunks: media segments
go with chunked PUTs while being written) into dashlivesink with
upload-location pointing at it, stops nginx for a few seconds mid-stream
and starts it again, and at the end (after EOS and a bounded catch-up)
checks that nginx's document root holds exactly the files of the local
output directory, byte for byte: segments that left the DVR window were
deleted on both sides, the ones missed during the outage were retried
(whole, after their chunked PUT failed).

nginx buffers a request body before it writes the file, so the streaming
itself is checked against a small recording origin (Python http.server on
127.0.0.1) that notes per PUT the Transfer-Encoding and the arrival time
of every chunk: a segment's first bytes must arrive well before its last
(streamed as written, not one burst), the assembled body must equal the
local file, and a PUT the origin breaks off midway must be followed by a
whole-file PUT of the complete segment.

Then a run without chunk-duration against a port nobody listens on checks
the bounded queue (drops, warning, real time, bounded stop).

Usage: dashlivesink_push.py [--seconds N] [--outage-at S] [--outage S]
"""

import argparse
import http.server
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(tmp, port):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log {tmp}/access.log;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {tmp}/www;
    location /live/ {{
      dav_methods PUT DELETE;
      create_full_put_path on;
      client_max_body_size 0;
      dav_access user:rw group:r all:r;
      add_header Access-Control-Allow-Origin * always;
    }}
  }}
}}
"""


class Nginx:
    def __init__(self, tmp, port):
        self.tmp = tmp
        self.port = port
        self.proc = None
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(nginx_conf(tmp, port))
        os.makedirs(os.path.join(tmp, "www", "live"), exist_ok=True)

    def start(self):
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.tmp, "-c", os.path.join(self.tmp, "nginx.conf"),
             "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: %s" %
                                   self.proc.stderr.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen on %d" % self.port)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def files_of(d):
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            # (the resume state is the sink's own: it stays local)
            if n.endswith(".tmp") or n.startswith("."):
                continue
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def run_for(loop, seconds):
    GLib.timeout_add(int(seconds * 1000), loop.quit)
    loop.run()


class RecordingOrigin(http.server.ThreadingHTTPServer):
    """An origin that notes, per PUT, the Transfer-Encoding and the arrival
    time of every chunk of the body; keeps the last complete body of every
    path (DELETE removes it). It breaks off the PUT of the @break_nth video segment after
    its first chunk (closes the connection), once."""

    daemon_threads = True

    def __init__(self, break_nth=None):
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.lock = threading.Lock()
        self.puts = []
        self.files = {}
        self.deletes = []
        # the @break_nth video segment (counted from 1 in the order their
        # PUTs begin): segments are named after their start time
        self.break_nth = break_nth
        self.seen_video = []
        self.break_path = None

    def video_segment_seen(self, path):
        """Called with the lock held for every PUT"""
        if (self.break_nth and path.startswith("/live/video_0-") and
                path.endswith(".m4s") and path not in self.seen_video):
            self.seen_video.append(path)
            if len(self.seen_video) == self.break_nth:
                self.break_path = path

    def handle_error(self, request, client_address):
        # a client that aborts its request (on purpose here) is no error
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self):
        srv = self.server
        te = self.headers.get("Transfer-Encoding", "")
        rec = {"path": self.path, "te": te, "chunks": [], "complete": False,
               "start": time.monotonic()}
        with srv.lock:
            srv.puts.append(rec)
            srv.video_segment_seen(self.path)
        body = bytearray()
        if "chunked" in te.lower():
            while True:
                line = self.rfile.readline(100)
                if not line:
                    self.close_connection = True
                    return
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n",
                                                            b""):
                        pass
                    break
                data = self.rfile.read(size)
                self.rfile.readline()
                rec["chunks"].append((time.monotonic(), len(data)))
                body += data
                if srv.break_path and self.path == srv.break_path:
                    rec["broken"] = True
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
        else:
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            rec["chunks"].append((time.monotonic(), len(body)))
        rec["complete"] = True
        rec["size"] = len(body)
        if self.path.endswith(".mpd"):
            rec["body"] = bytes(body)
        with srv.lock:
            srv.files[self.path] = bytes(body)
        self.reply(201)

    def do_DELETE(self):
        with self.server.lock:
            self.server.files.pop(self.path, None)
            self.server.deletes.append(self.path)
        self.reply(204)


def mpd_times(mpd):
    """{representation id: the S@t of every segment its timeline lists}
    (segments are named after them, $Time$)"""
    out = {}
    for rep in re.finditer(r'<Representation id="([^"]+)"(.*?)</Representation>', mpd, re.S):
        times, t = [], 0
        for s_ in re.finditer(r"<S( [^/]*)/>", rep.group(2)):
            a = dict(re.findall(r'(\w+)="(\d+)"', s_.group(1)))
            t = int(a.get("t", t))
            for _ in range(1 + int(a.get("r", 0))):
                times.append(t)
                t += int(a["d"])
        if times:
            out[rep.group(1)] = times
    return out


def recording_run(tmp, seconds=8, seg_s=1.0, chunk_s=0.2, ll_manifests=True,
                  break_nth=3):
    """Chunked PUTs on the wire: streamed while the segment is written,
    bodies equal the local files, a PUT broken off midway is made good.
    @ll_manifests (upload-ll-manifests): the MPDs pushed are the
    low-latency ones, each after the chunked PUT of the segment it
    announces in progress started; without it, each MPD lists only
    segments the origin already holds."""
    failures = []
    local = os.path.join(tmp, "rec-ll" if ll_manifests else "rec")
    origin = RecordingOrigin(break_nth=break_nth)
    thread = threading.Thread(target=origin.serve_forever, daemon=True)
    thread.start()
    port = origin.server_address[1]
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true pattern=ball ! "
        "video/x-raw,width=320,height=240,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
        "bitrate=600 ! h264parse ! "
        f"dashlivesink name=s location={local} "
        f"segment-duration={int(seg_s * 1e9)} "
        f"chunk-duration={int(chunk_s * 1e9)} dvr-window=0 "
        f"upload-ll-manifests={'true' if ll_manifests else 'false'} "
        f"upload-location=http://127.0.0.1:{port}/live")
    sink = pipeline.get_by_name("s")
    loop = GLib.MainLoop()
    errors = []

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            errors.append(msg.parse_error()[0].message)
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    run_for(loop, seconds)
    pipeline.send_event(Gst.Event.new_eos())
    pipeline.get_bus().timed_pop_filtered(5 * Gst.SECOND,
                                          Gst.MessageType.EOS)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sink.get_property("stats").get_value("upload-pending") == 0:
            break
        time.sleep(0.05)
    st = sink.get_property("stats")
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    origin.shutdown()
    origin.server_close()

    spreads = []
    nchunks = []
    with origin.lock:
        puts = list(origin.puts)
        files = dict(origin.files)
    for p in puts:
        if not p["path"].endswith(".m4s") or not p["complete"] or \
                "chunked" not in p["te"]:
            continue
        spreads.append(p["chunks"][-1][0] - p["chunks"][0][0])
        nchunks.append(len(p["chunks"]))
    seg_puts = [p for p in puts if p["path"].endswith(".m4s")]
    chunked = [p for p in seg_puts if "chunked" in p["te"]]
    broken = [p for p in puts if p.get("broken")]
    print("recording origin: %d segment PUTs, %d chunked, %d broken off; "
          "stats: upload-chunked %d, upload-chunked-fallbacks %d" %
          (len(seg_puts), len(chunked), len(broken),
           st.get_value("upload-chunked"),
           st.get_value("upload-chunked-fallbacks")))
    if spreads:
        print("first to last chunk of a segment at the origin: median "
              "%.3f s, min %.3f s, max %.3f s; %.1f HTTP chunks per PUT" %
              (statistics.median(spreads), min(spreads), max(spreads),
               statistics.mean(nchunks)))
    # order: the MPD written after segment n-1 announces segment n in
    # progress; it must not reach the origin before n's PUT has started
    # (both are sent on their own connections: arrival order within a few
    # ms is the network's)
    seg_start = {}
    seg_done = {}
    for p in puts:
        name = p["path"].rsplit("/", 1)[-1]
        if name.startswith("video_0-") and name.endswith(".m4s"):
            n = int(name[len("video_0-"):-4])
            seg_start.setdefault(n, p["start"])
            if p["complete"]:
                seg_done.setdefault(n, p["chunks"][-1][0])
    mpds = [p["start"] for p in puts if p["path"].endswith(".mpd")]
    waits = []
    order = sorted(seg_start)       # by start time: the names
    for prev, n in zip(order, order[1:]):
        if prev not in seg_done:
            continue
        early = [t for t in mpds
                 if seg_done[prev] + 0.05 < t < seg_start[n] - 0.05]
        if early:
            failures.append("recording: an MPD reached the origin %.3f s "
                            "before segment %d's PUT started" %
                            (seg_start[n] - early[0], n))
        after = [t for t in mpds if t > seg_done[prev]]
        if after:
            waits.append(after[0] - seg_done[prev])
    if waits:
        print("MPD after a segment's last chunk: median %.3f s, max %.3f s" %
              (statistics.median(waits), max(waits)))
    # what each MPD lists against what the origin had when it arrived
    # (the final, static MPD after EOS lists complete segments only)
    seg_start_by = {}
    seg_done_by = {}
    for p in puts:
        m = re.match(r".*/(\w+)-(\d+)\.m4s$", p["path"])
        if m:
            key = (m.group(1), int(m.group(2)))
            seg_start_by.setdefault(key, p["start"])
            if p["complete"]:
                seg_done_by.setdefault(key, p["chunks"][-1][0])
    live_mpds = 0
    announcing = 0
    for p in puts:
        if not p["path"].endswith(".mpd") or not p.get("body"):
            continue
        text = p["body"].decode()
        if 'type="static"' in text:
            continue
        live_mpds += 1
        ll = "availabilityTimeOffset" in text
        if ll != ll_manifests:
            failures.append("recording: a pushed MPD %s low-latency "
                            "signalling" % ("lacks" if ll_manifests else "has"))
            break
        t = p["chunks"][-1][0]          # its body is complete at the origin
        for rep_id, times in mpd_times(text).items():
            if ll_manifests:
                # the last one predicted, the one before in progress: its
                # PUT is under way
                if len(times) < 2:
                    continue
                key = (rep_id, times[-2])
                start = seg_start_by.get(key)
                if start is None or start > t + 0.05:
                    failures.append("recording: an MPD announcing %s-%d in "
                                    "progress arrived before its PUT started"
                                    % key)
                elif seg_done_by.get(key, t + 1) > t:
                    announcing += 1
            else:
                key = (rep_id, times[-1])
                done = seg_done_by.get(key)
                if done is None or done > t + 0.05:
                    failures.append("recording: an MPD listing %s-%d arrived "
                                    "before that segment was stored" % key)
    print("recording origin: %d live MPDs pushed (%s), %d announced a segment "
          "whose PUT was still under way" % (
              live_mpds, "low-latency" if ll_manifests else "complete segments",
              announcing))
    if live_mpds < seconds / seg_s - 3:
        failures.append("recording: only %d live MPDs pushed" % live_mpds)
    if ll_manifests and announcing < live_mpds // 2:
        failures.append("recording: only %d of %d MPDs announced a segment "
                        "in progress" % (announcing, live_mpds))
    loc = files_of(local)
    for name, data in sorted(loc.items()):
        got = files.get("/live/" + name)
        if got is None:
            failures.append("recording: %s not on the origin" % name)
        elif got != data:
            failures.append("recording: %s differs (%d vs %d bytes)" %
                            (name, len(got), len(data)))
    if errors:
        failures.append("recording: pipeline error %s" % errors)
    if len(spreads) < seconds / seg_s - 3:
        failures.append("recording: only %d complete chunked segment PUTs" %
                        len(spreads))
    elif statistics.median(spreads) < 2 * chunk_s:
        failures.append("recording: segments arrive in a burst (median "
                        "first-to-last chunk %.3f s)" %
                        statistics.median(spreads))
    if any("chunked" in p["te"] for p in puts
           if not p["path"].endswith(".m4s")):
        failures.append("recording: a manifest or init segment went chunked")
    if not break_nth:
        pass
    elif not broken:
        failures.append("recording: the PUT to break was never seen")
    else:
        # libsoup resends a request that failed on a reused connection
        # (the body starts again from the file); a second failure falls
        # back to the whole file after publication
        later = [p for p in puts if p["path"] == broken[0]["path"] and
                 p["start"] > broken[0]["start"] and p["complete"]]
        print("broken off: %d chunked PUTs of %s, then %s" % (
            len(broken), broken[0]["path"],
            ", ".join("%s PUT of %d bytes" % (
                "chunked" if "chunked" in p["te"] else "whole", p["size"])
                for p in later) or "nothing"))
        if not later or "chunked" in later[-1]["te"]:
            failures.append("recording: no whole-file PUT after the "
                            "broken chunked one")
        if st.get_value("upload-chunked-fallbacks") < 1:
            failures.append("recording: no chunked fallback counted")
    if st.get_value("upload-chunked") < len(spreads) - 1:
        failures.append("recording: upload-chunked %d < %d" %
                        (st.get_value("upload-chunked"), len(spreads)))
    return failures


def abandon_run(tmp, seconds=3.5):
    """Stopping a low-latency stream without EOS: the chunked PUT of the
    segment in progress is aborted at once (no drain wait for it), the
    origin never gets it complete, everything published is there."""
    failures = []
    local = os.path.join(tmp, "abandon")
    origin = RecordingOrigin()
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    port = origin.server_address[1]
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=160,height=120,"
        "framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
        "key-int-max=30 ! h264parse ! "
        f"dashlivesink name=s location={local} segment-duration=1000000000 "
        "chunk-duration=200000000 dvr-window=0 "
        f"upload-location=http://127.0.0.1:{port}/live")
    pipeline.set_state(Gst.State.PLAYING)
    run_for(GLib.MainLoop(), seconds)
    published = files_of(local)
    t = time.monotonic()
    pipeline.set_state(Gst.State.NULL)
    stop_time = time.monotonic() - t
    time.sleep(0.2)
    origin.shutdown()
    origin.server_close()
    with origin.lock:
        puts = list(origin.puts)
        files = dict(origin.files)
    # the segment in progress at stop: its chunked PUT is aborted, and as
    # libsoup may still end an aborted chunked body like a complete one,
    # it is DELETEd after
    cut = sorted(set(p["path"] for p in puts if "chunked" in p["te"] and
                     p["path"].rsplit("/", 1)[-1] not in published))
    print("abandon: stop took %.2f s; chunked PUT(s) of unpublished "
          "segments: %s; DELETEs: %s" % (stop_time, cut, origin.deletes))
    if stop_time > 2:
        failures.append("abandon: stopping took %.1f s" % stop_time)
    if not cut:
        failures.append("abandon: no chunked PUT was in progress at stop")
    for p in cut:
        if p in files:
            failures.append("abandon: %s left on the origin" % p)
    for name, data in published.items():
        if name.endswith(".m4s") and files.get("/live/" + name) != data:
            failures.append("abandon: published %s not on the origin" % name)
    return failures


def overflow_run(tmp, seconds=5):
    """An origin that refuses connections, a small queue: segments are
    dropped (counted, warned about), the pipeline stays real-time and
    stopping is bounded."""
    failures = []
    port = free_port()          # nothing listens there
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=160,height=120,"
        "framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
        "key-int-max=15 ! h264parse ! "
        f"dashlivesink name=s location={tmp}/overflow "
        "segment-duration=500000000 dvr-window=4000000000 upload-queue-size=4 "
        f"upload-location=http://127.0.0.1:{port}/live")
    sink = pipeline.get_by_name("s")
    warnings = []
    errors = []
    loop = GLib.MainLoop()

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.WARNING and msg.src == sink:
            warnings.append(msg.parse_warning()[0].message)
        elif msg.type == Gst.MessageType.ERROR:
            errors.append(msg.parse_error()[0].message)

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    run_for(loop, seconds)
    st = sink.get_property("stats")
    t = time.monotonic()
    pipeline.set_state(Gst.State.NULL)
    stop_time = time.monotonic() - t
    bus.remove_signal_watch()
    print("overflow: stats:", st.to_string().split(", representations")[0])
    print("overflow: %d warnings, stop took %.2f s" % (len(warnings),
                                                      stop_time))
    segs = st.get_value("segments-written")
    if errors:
        failures.append("overflow: pipeline error %s" % errors)
    if segs < seconds * 2 * 0.7:
        failures.append("overflow: pipeline not real-time (%d segments)" %
                        segs)
    if st.get_value("upload-dropped") == 0:
        failures.append("overflow: nothing dropped")
    if st.get_value("upload-pending") > 4 + 4:
        failures.append("overflow: queue above its bound")
    if not any("slower than the stream" in w for w in warnings):
        failures.append("overflow: no element warning")
    if len(warnings) > seconds / 5 + 2:
        failures.append("overflow: warnings not rate-limited (%d)" %
                        len(warnings))
    if stop_time > 7:
        failures.append("overflow: stopping took %.1f s" % stop_time)
    return failures


def play_from_origin(port):
    """dash.js (headless Chromium) plays the final MPD and its segments
    from nginx, as a CDN edge would fetch them from the origin"""
    node = shutil.which("node")
    script = os.path.join(HERE, "pipelines", "play-dashjs.mjs")
    if node is None:
        print("note: node not installed, dash.js from nginx not checked")
        return []
    p = subprocess.run([node, script, "--url",
                        f"http://127.0.0.1:{port}/live/manifest.mpd",
                        "--rate", "2", "--timeout", "40"],
                       capture_output=True, text=True, timeout=90)
    out = p.stdout.strip()
    print("dash.js from nginx:", out.splitlines()[-1] if out else p.stderr)
    if p.returncode == 77:
        print("note: dash.js check not run:", out)
        return []
    try:
        res = json.loads(out.splitlines()[-1])
    except (ValueError, IndexError):
        return ["dash.js from nginx: no result (%s)" % (out or p.stderr)[-300:]]
    if p.returncode != 0 or res["errors"] or not res["ended"] or \
            res["played"] < res["duration"] - 1.0 or res["duration"] < 2:
        return ["dash.js did not play the presentation from nginx: %s" % res]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--outage-at", type=float, default=7)
    ap.add_argument("--outage", type=float, default=4)
    ap.add_argument("--only", choices=["recording", "recording-complete", "abandon", "overflow"])
    args = ap.parse_args()

    Gst.init(None)
    tmp = tempfile.mkdtemp(prefix="dashpush-")
    if args.only:
        failures = {"recording": recording_run, "abandon": abandon_run,
                    "overflow": overflow_run,
                    "recording-complete": lambda t: recording_run(
                        t, seconds=5, ll_manifests=False, break_nth=None)}[args.only](tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        for f in failures:
            print("FAIL:", f)
        return 1 if failures else 0
    port = free_port()
    nginx = Nginx(tmp, port)
    local = os.path.join(tmp, "local")
    remote = os.path.join(tmp, "www", "live")
    failures = []
    pipeline = None
    try:
        nginx.start()
        pipeline = Gst.parse_launch(
            "videotestsrc is-live=true pattern=ball ! "
            "video/x-raw,width=320,height=240,framerate=30/1 ! "
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
            "bitrate=600 ! h264parse ! "
            f"dashlivesink name=s location={local} segment-duration=1000000000 "
            "chunk-duration=200000000 "
            f"dvr-window=4000000000 upload-location=http://127.0.0.1:{port}/live "
            "upload-queue-size=256 "
            "audiotestsrc is-live=true ! audioconvert ! "
            "avenc_aac ! aacparse ! s.audio_0")
        sink = pipeline.get_by_name("s")
        loop = GLib.MainLoop()
        errors = []
        eos = []

        def on_message(bus, msg):
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                errors.append("%s: %s (%s)" % (msg.src.get_name(), err.message,
                                               dbg))
                loop.quit()
            elif msg.type == Gst.MessageType.WARNING:
                err, dbg = msg.parse_warning()
                print("warning: %s (%s)" % (err.message, dbg))
            elif msg.type == Gst.MessageType.EOS:
                eos.append(True)
                loop.quit()

        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_message)
        t0 = time.monotonic()
        pipeline.set_state(Gst.State.PLAYING)

        run_for(loop, args.outage_at)
        nginx.stop()
        t_down = time.monotonic() - t0
        run_for(loop, args.outage)
        st = sink.get_property("stats")
        down_failed = st.get_value("upload-retries")
        nginx.start()
        print("nginx down from %.1f s to %.1f s" % (t_down,
                                                    time.monotonic() - t0))
        run_for(loop, max(1.0, args.seconds - (time.monotonic() - t0)))
        if errors:
            raise RuntimeError("pipeline error: %s" % errors)

        pipeline.send_event(Gst.Event.new_eos())
        deadline = time.monotonic() + 10
        while not eos and not errors and time.monotonic() < deadline:
            GLib.MainContext.default().iteration(False)
            time.sleep(0.02)
        if not eos:
            failures.append("no EOS within 10 s")
        # the uploader catches up: bounded
        t_eos = time.monotonic()
        pending = None
        while time.monotonic() - t_eos < 20:
            st = sink.get_property("stats")
            pending = st.get_value("upload-pending")
            if pending == 0:
                break
            time.sleep(0.1)
        catchup = time.monotonic() - t_eos
        pipeline.set_state(Gst.State.NULL)
        st = sink.get_property("stats")
        print("stats:", st.to_string())
        print("catch-up after EOS: %.2f s" % catchup)
        if pending != 0:
            failures.append("%s uploads pending 20 s after EOS" % pending)

        loc = files_of(local)
        rem = files_of(remote)
        only_local = sorted(set(loc) - set(rem))
        only_remote = sorted(set(rem) - set(loc))
        differ = sorted(n for n in set(loc) & set(rem) if loc[n] != rem[n])
        print("local files: %d, on nginx: %d" % (len(loc), len(rem)))
        if only_local:
            failures.append("missing on nginx: %s" % only_local)
        if only_remote:
            failures.append("left on nginx (not deleted): %s" % only_remote)
        if differ:
            failures.append("different bytes: %s" % differ)
        if not any(n.endswith(".m4s") for n in loc):
            failures.append("no media segments written")
        for n in ("manifest.mpd", "master.m3u8"):
            if n not in rem:
                failures.append("%s not on nginx" % n)

        def val(k):
            return st.get_value(k)

        if val("segments-deleted") == 0:
            failures.append("no segment left the DVR window: nothing deleted")
        if val("upload-deletes") < val("segments-deleted"):
            # a DELETE is skipped only when the PUT was never sent
            print("note: %d deletes for %d segments deleted" %
                  (val("upload-deletes"), val("segments-deleted")))
        if down_failed == 0 and val("upload-retries") == 0:
            failures.append("no retry while nginx was down")
        if val("upload-dropped") != 0 or val("upload-failures") != 0:
            failures.append("uploads dropped %d / failed %d" %
                            (val("upload-dropped"), val("upload-failures")))
        if val("uploads") == 0 or val("upload-bytes") == 0:
            failures.append("nothing uploaded")
        with open(os.path.join(tmp, "access.log")) as f:
            methods = [line.split('"')[1].split()[0] for line in f
                       if '"' in line]
        print("nginx saw %d PUT, %d DELETE" % (methods.count("PUT"),
                                               methods.count("DELETE")))
        if methods.count("DELETE") == 0:
            failures.append("nginx saw no DELETE")
        # media segments went chunked while nginx was up, whole after the
        # chunked PUTs that the outage broke
        print("chunked segment PUTs: %d, fallbacks to whole: %d" %
              (val("upload-chunked"), val("upload-chunked-fallbacks")))
        if val("upload-chunked") < (args.seconds - args.outage) * 0.5:
            failures.append("only %d segments went chunked" %
                            val("upload-chunked"))
        if val("upload-chunked-fallbacks") == 0:
            failures.append("no chunked PUT fell back during the outage")
        failures += play_from_origin(port)
        failures += recording_run(tmp)
        failures += recording_run(tmp, seconds=5, ll_manifests=False, break_nth=None)
        failures += abandon_run(tmp)
        failures += overflow_run(tmp)
    finally:
        if pipeline is not None:
            pipeline.set_state(Gst.State.NULL)
        nginx.stop()
        if failures:
            err = os.path.join(tmp, "error.log")
            if os.path.exists(err):
                print(open(err).read()[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)

    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
