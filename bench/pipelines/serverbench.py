# Helpers of bench/pipelines/server-vs-processes.py and server-soak.py:
# start livestream-server, srt-to-dash / passthrough processes and ffmpeg
# publishers (each in a process group of its own, stopped by its pgid),
# read CPU and memory of process trees from /proc, read MPD timelines.
# Every wait is bounded.
"""Helpers of the livestream-server benchmarks."""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SERVER = os.path.join(REPO, "pipelines", "livestream-server")
RUN = os.path.join(REPO, "pipelines", "livestream-run")
NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
TICK = os.sysconf("SC_CLK_TCK")
# between two publishers' starts: srtingestsrc admits 10 callers a second
# from one address by default (a burst of 20), the rest are rate-limited
SENDER_SPACING = 0.15


def log(*a):
    print(*a, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_udp_port():
    for _ in range(200):
        port = random.randrange(20000, 60000)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    sys.exit("no free UDP port")


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- processes --------------------------------------------------------------

class Proc:
    """A child in a process group of its own, its output to a file."""

    def __init__(self, cmd, logpath):
        self.cmd = cmd
        self.logpath = logpath
        self.logf = open(logpath, "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                  stdout=self.logf, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def log_text(self):
        if not self.logf.closed:
            self.logf.flush()
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def last_json(self):
        """the last complete JSON line of the output (status lines of
        --status-format json), or None"""
        for ln in reversed(self.log_text().splitlines()):
            if ln.startswith("{"):
                try:
                    return json.loads(ln)
                except ValueError:
                    continue
        return None

    def wait_for(self, text, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.log_text():
                return True
            if not self.alive():
                return False
            time.sleep(0.1)
        return False

    def send(self, sig):
        """@sig to the process itself (not its group)"""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass

    def stop(self, sig=signal.SIGINT, timeout=25):
        """@sig to the process (None: sent already), wait at most
        @timeout, then SIGKILL to its group; the exit code, or None if it
        had to be killed."""
        rc = self.p.poll()
        if rc is None:
            if sig is not None:
                self.send(sig)
            try:
                rc = self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                rc = None
        # whatever is left of the group (none of ours should be)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.p.poll() is None:
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.logf.close()
        return rc


def make_source(path, seconds, size="640x360", fps=30, gop=60):
    """The integration tests' test signal (testsrc2 + a 1 kHz tone, H.264
    ultrafast zerolatency 1.5 Mbit/s + AAC 96 kbit/s in MPEG-TS), encoded
    once so that the publishers only copy it (-c copy) and their CPU does
    not compete with what is measured."""
    if os.path.exists(path):
        return path
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}",
           "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
           "-t", str(int(seconds)), "-c:v", "libx264", "-preset", "ultrafast",
           "-tune", "zerolatency", "-g", str(gop), "-b:v", "1500k",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k",
           "-f", "mpegts", path + ".part"]
    subprocess.run(cmd, check=True, timeout=max(120, seconds))
    os.rename(path + ".part", path)
    return path


def sender_cmd(port, stream_id, source=None, seconds=3600, size="640x360",
               fps=30, gop=60):
    """ffmpeg publishing to srt://127.0.0.1:@port with @stream_id: the file
    @source copied at its own rate (-re), or (source None) the test signal
    encoded live as lslib.ffmpeg_srt_sender does."""
    url = (f"srt://127.0.0.1:{port}?mode=caller&streamid={stream_id}"
           "&latency=120000")
    head = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    if source:
        return head + ["-re", "-i", source, "-c", "copy", "-f", "mpegts",
                       url]
    return head + [
        "-re", "-t", str(seconds), "-f", "lavfi", "-i",
        f"testsrc2=size={size}:rate={fps}", "-re", "-t", str(seconds),
        "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-g", str(gop), "-b:v", "1500k", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-f", "mpegts", url]


# --- /proc ---------------------------------------------------------------------

def _children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pids):
    """@pids and all their descendants"""
    kids = _children_map()
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids):
    """user+sys of @pids (all threads) and of their reaped children"""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
        except OSError:
            continue
        v = s[s.rindex(")") + 2:].split()
        # fields 14-17: utime stime cutime cstime
        total += sum(int(x) for x in v[11:15])
    return total / TICK


def memory(pids):
    """(VmRSS, Pss) bytes summed over @pids"""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
                rss += int(m.group(1)) * 1024 if m else 0
            with open(f"/proc/{p}/smaps_rollup") as f:
                m = re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M)
                pss += int(m.group(1)) * 1024 if m else 0
        except OSError:
            continue
    return rss, pss


# --- HTTP ----------------------------------------------------------------------

def http_json(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.loads(r.read().decode())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def metrics(url, timeout=10):
    """{'name{labels}': value} of a Prometheus text page"""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            text = r.read().decode()
    except (OSError, urllib.error.URLError):
        return {}
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


# --- MPD -------------------------------------------------------------------------

def video_timeline(mpd_path):
    """(timeline [(t, d)], timescale, MPD type) of the first video
    representation of @mpd_path (the first rung), or None if it cannot be
    read (yet)."""
    try:
        root = ET.parse(mpd_path).getroot()
    except (OSError, ET.ParseError):
        return None
    for a in root.iter("{%s}AdaptationSet" % NS["d"]):
        if a.get("contentType") != "video" and \
                not (a.get("mimeType") or "").startswith("video"):
            continue
        r = a.find("d:Representation", NS)
        t = r.find("d:SegmentTemplate", NS) if r is not None else None
        if t is None:
            t = a.find("d:SegmentTemplate", NS)
        tl = t.find("d:SegmentTimeline", NS) if t is not None else None
        if tl is None:
            return [], 1, root.get("type")
        out, cur = [], 0
        for s in tl.findall("d:S", NS):
            start = int(s.get("t")) if s.get("t") is not None else cur
            d = int(s.get("d"))
            for _ in range(int(s.get("r", "0")) + 1):
                out.append((start, d))
                start += d
            cur = start
        return out, int(t.get("timescale", "1")), root.get("type")
    return None


def timeline_gaps(tl, timescale, tolerance=0.05):
    """[(at_s, gap_s)] where a segment does not start where the one before
    it ended (more than @tolerance seconds apart)"""
    gaps = []
    for (t0, d0), (t1, _d1) in zip(tl, tl[1:]):
        if abs(t1 - (t0 + d0)) > tolerance * timescale:
            gaps.append((t1 / timescale, (t1 - t0 - d0) / timescale))
    return gaps


def fmt_mib(b):
    return f"{b / (1 << 20):.0f}"
