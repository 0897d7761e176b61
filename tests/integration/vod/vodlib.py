# Helpers of the on-demand (file-to-dash, content-server) integration tests:
# test media made with ffmpeg, the content server on a free port, HTTP
# requests, MPD reading. Every wait is bounded.
"""Test helpers for pipelines/file-to-dash and pipelines/content-server."""

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pipelines"))

from lslib import (REPO, SKIP, check, cleanup, fail, log, require_tools,  # noqa: E402,F401
                   skip, spawn, tmpdir)
from livestream import mpdfiles  # noqa: E402

__all__ = ["REPO", "SKIP", "check", "cleanup", "fail", "log", "require_tools",
           "skip", "spawn", "tmpdir", "FILE_TO_DASH", "CONTENT_SERVER",
           "make_media", "file_to_dash", "ContentServer", "timelines",
           "players"]

FILE_TO_DASH = os.path.join(REPO, "pipelines", "file-to-dash")
CONTENT_SERVER = os.path.join(REPO, "pipelines", "content-server")
PLAYERS = os.path.join(HERE, "vod-players.mjs")
MPD = mpdfiles.MPD_NS


def make_media(path, seconds, size="640x360", fps=30, gop=60, kbps=800,
               preset="ultrafast", bframes=2, audio="aac", extra=()):
    """A test file: testsrc2 + a 440 Hz tone, H.264 with a fixed GOP of
    @gop frames (0: x264's own keyframe decisions) and B-frames."""
    vopts = ["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p",
             "-b:v", f"{kbps}k", "-maxrate", f"{int(kbps * 1.2)}k",
             "-bufsize", f"{kbps * 2}k",
             "-x264-params", f"bframes={bframes}"]
    if gop:
        vopts += ["-g", str(gop), "-keyint_min", str(gop),
                  "-sc_threshold", "0"]
    aopts = {"aac": ["-c:a", "aac", "-b:a", "128k", "-ac", "2"],
             "mp3": ["-c:a", "libmp3lame", "-b:a", "128k", "-ac", "2"],
             None: ["-an"]}[audio]
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    cmd += ["-t", str(seconds)] + vopts + aopts + list(extra) + [path]
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    if r.returncode != 0:
        fail(f"ffmpeg could not make {path}: {r.stdout[-500:]}")
    log(f"made {os.path.basename(path)} ({seconds} s {size}) in "
        f"{time.monotonic() - t0:.1f} s")
    return path


def file_to_dash(args, timeout=600):
    """Runs file-to-dash with --progress json: (exit code, events, stderr)."""
    cmd = [FILE_TO_DASH, "--progress", "json"] + list(args)
    log("$ " + " ".join(cmd))
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    events = []
    for line in r.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    log(f"  exit {r.returncode} in {time.monotonic() - t0:.1f} s; "
        + " | ".join(r.stderr.strip().splitlines()[-3:]))
    return r.returncode, events, r.stderr


class ContentServer:
    """pipelines/content-server on a free port."""

    def __init__(self, store, args=()):
        cmd = [CONTENT_SERVER, "-o", store, "--port", "0"] + list(args)
        log("$ " + " ".join(cmd))
        self.proc = spawn(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = []
        self.port = None
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"listening on http://[^:]+:(\d+)/", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()
        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(15) or self.port is None:
            fail("content-server did not start: " + " | ".join(self.lines))
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, headers=None, timeout=30):
        """(status, headers dict (lower-case), body bytes)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        h = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, h, data

    def json(self, method, path, body=None, headers=None):
        status, h, data = self.request(method, path, body, headers)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            fail(f"{method} {path}: not JSON: {data[:200]!r}")
        return status, h, doc

    def post(self, path):
        return self.json("POST", "/api/v1/content", {"path": path})

    def wait_state(self, digest, states=("complete", "failed"), timeout=600):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            status, _h, doc = self.json("GET", f"/api/v1/content/{digest}")
            if status == 200 and doc.get("state") in states:
                return doc
            time.sleep(0.25)
        fail(f"{digest[:12]} did not reach {states} within {timeout} s")

    def events(self, digest, after=0, wait=0):
        status, _h, doc = self.json(
            "GET", f"/api/v1/content/{digest}/events?after={after}&wait={wait}")
        return doc["events"] if status == 200 else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def timelines(mpd_text):
    """{representation id: (timescale, [(t, d)...], attrs)} of an MPD."""
    root = ET.fromstring(mpd_text)
    out = {}
    for rep in root.iter(MPD + "Representation"):
        tmpl = rep.find(MPD + "SegmentTemplate")
        entries = [(t, d) for _, t, d in mpdfiles.timeline(tmpl)]
        out[rep.get("id")] = (int(tmpl.get("timescale")), entries,
                              dict(rep.attrib))
    return root, out


def media_names(mpd_text):
    """{representation id: (initialization, [media file...])} of an MPD:
    dashlivesink names segments after their start on the UTC media
    timeline ($Time$) and init segments after their content."""
    root = ET.fromstring(mpd_text)
    out = {}
    for rep in root.iter(MPD + "Representation"):
        init, media = mpdfiles.files(rep)
        out[rep.get("id")] = (init, [name for name, _, _, _ in media])
    return out


def players(base, mode, extra=(), timeout=240):
    """vod-players.mjs: one dict per player, or skip when a tool is
    missing."""
    require_tools("node")
    if not os.path.exists(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
        skip("chromium not installed")
    cmd = ["node", PLAYERS, "--base", base, "--mode", mode] + list(extra)
    log("$ " + " ".join(cmd))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if r.returncode == SKIP:
        skip(r.stdout.strip())
    out = []
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
            log("  " + line)
        elif line.strip():
            log("  node: " + line)
    if r.returncode != 0:
        fail(f"vod-players.mjs exited {r.returncode}")
    return out
