#!/usr/bin/python3
# dashlivesink's embedded HTTP server under load: a live low-latency
# pipeline (videotestsrc is-live -> x264enc zerolatency -> dashlivesink,
# 1 s segments in 200 ms chunks) is hit on 127.0.0.1 by CLIENTS (default
# 200) concurrent keep-alive clients for SECONDS (default 15) that behave
# like low-latency players: GET the MPD, read the timeline, GET every
# complete segment since the last one fetched (the newest at first) and the
# segment being written (chunked, as it is produced), sometimes the init
# segment.
#
# Passes when: no request failed (every answer 200 with a complete body; no
# connection error), the pipeline stayed real-time (segment files appear on
# schedule: their appearance times drift < 0.75 s from segment-duration
# spacing, the number published matches the wall time, publish-latency
# small), no segment is missing (the final MPD timeline is gap-free, every
# segment it lists is served, and the segments the clients fetched form an
# unbroken run), no client was dropped as slow.  Records requests/s, bytes/s
# and the pipeline process's CPU (one line "RESULT {json}").
#
#   /usr/bin/python3 dashlivesink_load.py [--clients 200] [--seconds 15]

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

SEG_S = 1.0
CHUNK_S = 0.2

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_cpu_s(pid):
    """utime + stime of a process in seconds (from /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timeline(mpd):
    """[(index, t, d)] of video_0 from the MPD's SegmentTimeline (its
    segments are named after t: video_0-$Time$.m4s)."""
    rep = mpd.split('id="video_0"', 1)[1].split("</Representation>", 1)[0]
    out = []
    t = None
    n = 0
    for m in re.finditer(r"<S( [^/]*)/>", rep):
        a = dict(re.findall(r'(\w+)="(\d+)"', m.group(1)))
        if "t" in a:
            t = int(a["t"])
        d = int(a["d"])
        for _ in range(int(a.get("r", "0")) + 1):
            out.append((n, t, d))
            n += 1
            t += d
    return out


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self.errors = []
        self.fetched = set()
        self.live = 0

    def ok(self, nbytes, number=None, live=False):
        with self.lock:
            self.requests += 1
            self.bytes += nbytes
            if number is not None:
                self.fetched.add(number)
            if live:
                self.live += 1

    def error(self, what):
        with self.lock:
            self.errors.append(what)


def client(port, stats, stop_at, idx):
    conn = None
    it = 0
    last = None
    while time.time() < stop_at:
        it += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

            def fetch(path):
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read()
                if r.status != 200:
                    raise RuntimeError("%s -> %d" % (path, r.status))
                clen = r.getheader("Content-Length")
                if clen is not None and int(clen) != len(body):
                    raise RuntimeError("%s: short body" % path)
                return r, body

            _, mpd = fetch("/manifest.mpd")
            stats.ok(len(mpd))
            text = mpd.decode()
            tl = timeline(text)
            init = re.search(r'initialization="(video_0-init[^"]*)"', text).group(1)
            if it == 1 or idx % 10 == it % 10:
                _, b = fetch("/" + init)
                stats.ok(len(b))
            # like a player that keeps playing: every segment after the
            # last one it has (at most 3 behind), then the one being written
            todo = [t for _, t, _ in tl[-4:] if last is None or t > last]
            if last is None:
                todo = todo[-1:]
            for t in todo:
                _, b = fetch("/video_0-%d.m4s" % t)
                if len(b) < 100 or b[4:8] not in (b"styp", b"moof"):
                    raise RuntimeError("segment %d: not a CMAF segment" % t)
                stats.ok(len(b), t)
                last = t
            if time.time() >= stop_at:
                break
            # the segment being written: arrives chunk by chunk
            nxt = tl[-1][1] + tl[-1][2]
            r, b = fetch("/video_0-%d.m4s" % nxt)
            stats.ok(len(b), nxt,
                     r.getheader("Transfer-Encoding") == "chunked")
            last = nxt
        except Exception as e:  # noqa: BLE001 - every failure is counted
            stats.error("client %d: %s: %s" % (idx, type(e).__name__, e))
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.2)
    if conn is not None:
        conn.close()


def metrics(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r"^livestream_dashlivesink_(\w+)\{element=\"s\"\} (\S+)$", body, re.M)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=15)
    opt = ap.parse_args()

    port = free_port()
    out = tempfile.mkdtemp(prefix="dashload-")
    gst = os.environ.get("GST_LAUNCH", "gst-launch-1.0")
    pipeline = [
        gst, "-e", "videotestsrc", "is-live=true", "pattern=ball", "!",
        "video/x-raw,width=320,height=180,framerate=30/1,format=I420", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30",
        "bitrate=400", "!", "h264parse", "!",
        "dashlivesink", "name=s", "location=" + out, "dvr-window=60000000000",
        "segment-duration=%d" % int(SEG_S * 1e9),
        "chunk-duration=%d" % int(CHUNK_S * 1e9), "http-port=%d" % port,
    ]
    proc = subprocess.Popen(pipeline, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    appeared = {}
    try:
        deadline = time.time() + 20
        while len([n for n in os.listdir(out)
                   if re.fullmatch(r"video_0-\d+\.m4s", n)]) < 2:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("pipeline did not start: " +
                                   proc.stdout.read().decode(errors="replace")[-2000:])
            time.sleep(0.05)

        stats = Stats()
        m0 = metrics(port)
        cpu0 = proc_cpu_s(proc.pid)
        own0 = time.process_time()
        t0 = time.time()
        stop_at = t0 + opt.seconds
        threads = [threading.Thread(target=client, args=(port, stats, stop_at, i), daemon=True)
                   for i in range(opt.clients)]
        for th in threads:
            th.start()
        # meanwhile: when does each segment file appear (real-time check)
        while time.time() < stop_at:
            for name in os.listdir(out):
                m = re.fullmatch(r"video_0-(\d+)\.m4s", name)
                if m and int(m.group(1)) not in appeared:
                    appeared[int(m.group(1))] = time.time()
            time.sleep(0.02)
        for th in threads:
            th.join(timeout=15)
        wall = time.time() - t0
        cpu = proc_cpu_s(proc.pid) - cpu0
        own = time.process_time() - own0
        m1 = metrics(port)
        check(not any(th.is_alive() for th in threads), "all clients finished")
        check(proc.poll() is None, "pipeline still running")

        published = m1["segments_written"] - m0["segments_written"]
        nums = sorted(n for n in appeared if n > min(appeared))  # first may predate t0
        drift = [(appeared[n] - appeared[nums[0]]) - (n - nums[0]) / 90000 for n in nums]
        max_drift = max(abs(d) for d in drift) if drift else float("inf")
        result = {
            "clients": opt.clients, "seconds": round(wall, 2),
            "requests": stats.requests, "requests_per_s": round(stats.requests / wall, 1),
            "mbit_per_s": round(stats.bytes * 8 / wall / 1e6, 1),
            "live_responses": stats.live, "errors": len(stats.errors),
            "segments_published": int(published),
            "segments_expected": round(wall / SEG_S, 1),
            "max_appearance_drift_s": round(max_drift, 3),
            "max_publish_latency_ms": round(m1["max_publish_latency"] / 1e6, 1),
            "pipeline_cpu_percent": round(100 * cpu / wall, 1),
            "load_client_cpu_percent": round(100 * own / wall, 1),
            "slow_clients_dropped": int(m1["http_slow_clients_dropped_total"]),
            "server_requests": int(m1["http_requests_total"] - m0["http_requests_total"]),
        }
        print("RESULT " + json.dumps(result), flush=True)

        check(stats.requests > opt.clients * opt.seconds / SEG_S,
              "%d requests (%.0f/s)" % (stats.requests, stats.requests / wall))
        check(not stats.errors, "no request failed (%d: %s)" % (len(stats.errors), stats.errors[:5]))
        check(stats.live > opt.clients,
              "%d segments were streamed while being written" % stats.live)
        # real time: segment count vs wall time, spacing, publication delay
        check(abs(published - wall / SEG_S) <= 2,
              "%d segments published in %.1f s (expected %.0f)" % (published, wall, wall / SEG_S))
        check(max_drift < 0.75, "segment files appeared on schedule (max drift %.3f s)" % max_drift)
        check(m1["max_publish_latency"] < 0.5e9,
              "max publish latency %.1f ms" % (m1["max_publish_latency"] / 1e6))
        check(int(m1["http_slow_clients_dropped_total"]) == 0, "no client dropped as slow")
        check(int(m1["http_wait_timeouts_total"]) == 0, "no wait for an announced segment timed out")
        check(int(m1["mispredicted_segments"]) == 0, "no mispredicted segment")

        # nothing missing: timeline gap-free, everything listed is served,
        # the clients' fetches form an unbroken run of numbers
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/manifest.mpd")
        tl = timeline(c.getresponse().read().decode())
        gaps = [a[1] for a, b in zip(tl, tl[1:]) if a[1] + a[2] != b[1]]
        check(not gaps and len(tl) >= opt.seconds / SEG_S, "MPD timeline of %d segments has no gap %s" % (len(tl), gaps))
        bad = []
        for _, t, _ in tl:
            c.request("HEAD", "/video_0-%d.m4s" % t)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                bad.append((t, r.status))
        c.close()
        check(not bad, "every segment of the timeline is served %s" % bad)
        f = sorted(stats.fetched)
        listed = [t for _, t, _ in tl]
        holes = (sorted(t for t in listed if f[0] <= t <= f[-1] and t not in stats.fetched)
                 if f else ["none fetched"])
        check(not holes, "clients fetched segments %s..%s without a hole %s" % (f[:1], f[-1:], holes))
    except Exception as e:  # noqa: BLE001
        check(False, "exception: %s" % e)
    finally:
        if proc.poll() is None:
            proc.send_signal(2)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(out, ignore_errors=True)
    print("FAIL: %d checks" % len(failures) if failures else "PASS", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
