#!/usr/bin/python3
# dashlivesink's embedded HTTP server on the wire: headers, HEAD, Range,
# chunked transfer of a segment being written (bytes arrive before the
# segment is complete), waiting for an announced segment, 404s, /time,
# /metrics, and a client that stops reading (dropped; the pipeline and the
# other clients are not held up).  Plain sockets and http.client only.

import http.client
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
from datetime import datetime, timezone

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


def get(port, path, method="GET", headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def metric(port, name):
    _, body = get(port, "/metrics")
    m = re.search(r"^%s\{[^}]*\} (\S+)$" % re.escape(name), body.decode(), re.M)
    return float(m.group(1)) if m else None


def segment_times(mpd, rep="video_0"):
    """The S@t of every segment the MPD text lists or announces for @rep
    (its segments are named <rep>-<t>.m4s)"""
    block = mpd.split('id="%s"' % rep, 1)[1].split("</Representation>", 1)[0]
    out, t = [], 0
    for m in re.finditer(r"<S( [^/]*)/>", block):
        a = dict(re.findall(r'(\w+)="(\d+)"', m.group(1)))
        t = int(a.get("t", t))
        for _ in range(int(a.get("r", "0")) + 1):
            out.append(t)
            t += int(a["d"])
    return out


def live_segment(port, rep="video_0"):
    """The start of the segment being written (HEAD answers chunked) and of
    the one announced after it, from the served MPD"""
    _, mpd = get(port, "/manifest.mpd")
    times = segment_times(mpd.decode(), rep)
    for i, t in enumerate(times[:-1]):
        r, _ = get(port, "/%s-%d.m4s" % (rep, t), "HEAD")
        if r.status == 200 and r.getheader("Transfer-Encoding") == "chunked":
            return t, times[i + 1]
    return None, None


def main():
    port = free_port()
    out = tempfile.mkdtemp(prefix="dashserver-")
    gst = os.environ.get("GST_LAUNCH", "gst-launch-1.0")
    pipeline = [
        gst, "-e", "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=320,height=180,framerate=30/1,format=I420", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=60",
        "bitrate=600", "!", "h264parse", "!",
        "dashlivesink", "name=s", "location=" + out, "dvr-window=20000000000",
        "chunk-duration=200000000", "http-port=%d" % port,
        "audiotestsrc", "is-live=true", "!", "avenc_aac", "!", "aacparse", "!",
        "s.audio_0",
    ]
    proc = subprocess.Popen(pipeline, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        while len([n for n in os.listdir(out) if re.fullmatch(r"video_0-\d+\.m4s", n)]) < 2:
            if proc.poll() is not None or time.time() > deadline:
                print(proc.stdout.read().decode(errors="replace"))
                check(False, "pipeline publishes segments")
                return
            time.sleep(0.1)

        # --- manifests and complete files --------------------------------
        r, mpd = get(port, "/manifest.mpd")
        check(r.status == 200, "MPD 200")
        check(r.getheader("Content-Type") == "application/dash+xml", "MPD Content-Type")
        check(r.getheader("Cache-Control") == "public, max-age=1",
              "MPD Cache-Control: edges keep it half a segment")
        check(r.getheader("Access-Control-Allow-Origin") == "*", "CORS header")
        mpd = mpd.decode()
        check('availabilityTimeComplete="false"' in mpd and
              'availabilityTimeOffset="1.800"' in mpd, "MPD low-latency SegmentTemplate")
        check("<ServiceDescription" in mpd and "<Latency " in mpd and "<PlaybackRate " in mpd,
              "MPD ServiceDescription")
        check('value="http://127.0.0.1:%d/time"' % port in mpd, "UTCTiming points at /time")
        check("<ProducerReferenceTime" in mpd, "MPD ProducerReferenceTime")
        check("<Resync" in mpd, "MPD Resync")
        # the file on disk is for any HTTP server: complete segments only,
        # no early availability, no clock that only this server has
        disk = open(os.path.join(out, "manifest.mpd")).read()
        check("availabilityTimeOffset" not in disk and
              "<ServiceDescription" not in disk and "/time" not in disk,
              "the MPD file has no low-latency signalling and no /time")
        check(disk.count("<S ") < mpd.count("<S "),
              "the served MPD announces segments the file does not list")
        # the MPD's ProducerReferenceTime repeats the prft box of a segment
        m = re.search(r'<ProducerReferenceTime[^>]*wallClockTime="([^"]+)"[^>]*presentationTime="(\d+)"', mpd)
        matched = False
        if m:
            wall = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
            pt = int(m.group(2))
            for name in sorted(os.listdir(out)):
                if not re.fullmatch(r"video_0-\d+\.m4s", name):
                    continue
                b = open(os.path.join(out, name), "rb").read()
                i = b.find(b"prft")
                if i < 4:
                    continue
                ntp = int.from_bytes(b[i + 12:i + 20], "big")
                media = int.from_bytes(b[i + 20:i + 28], "big")
                unix = (ntp >> 32) - 2208988800 + (ntp & 0xffffffff) / 2**32
                if media == pt and abs(unix - wall) < 0.0011:
                    matched = True
        check(matched, "MPD ProducerReferenceTime equals a segment's prft box")

        r, pl = get(port, "/master.m3u8")
        check(r.status == 200 and r.getheader("Content-Type") == "application/vnd.apple.mpegurl",
              "HLS master playlist")
        init_name = re.search(r'initialization="(video_0-init-[0-9a-f]{12}\.mp4)"', mpd)
        check(init_name is not None, "init segment named after its content")
        r, init = get(port, "/" + init_name.group(1))
        check(r.status == 200 and r.getheader("Content-Type") == "video/mp4", "init segment")
        check("max-age" in (r.getheader("Cache-Control") or ""), "init long max-age")
        # the first segment listed: named after its start (S@t)
        first_seg = "/video_0-%d.m4s" % segment_times(disk)[0]
        r, seg = get(port, first_seg)
        size = len(seg)
        check(r.status == 200 and r.getheader("Content-Type") == "video/iso.segment",
              "media segment Content-Type")
        check(r.getheader("Cache-Control") == "public, max-age=24, immutable",
              "segment Cache-Control: immutable, as long as the origin keeps it (20 s window + 2 segments)")
        check(seg == open(out + first_seg, "rb").read(), "segment bytes equal the file")
        r, body = get(port, first_seg, "HEAD")
        check(r.status == 200 and body == b"" and r.getheader("Content-Length") == str(size),
              "HEAD: Content-Length, no body")
        r, body = get(port, first_seg, headers={"Range": "bytes=100-199"})
        check(r.status == 206 and body == seg[100:200] and
              r.getheader("Content-Range") == "bytes 100-199/%d" % size, "Range 206")
        r, body = get(port, first_seg, headers={"Range": "bytes=-10"})
        check(r.status == 206 and body == seg[-10:], "suffix Range")
        r, body = get(port, first_seg, headers={"Range": "bytes=%d-" % size})
        check(r.status == 416 and r.getheader("Content-Range") == "bytes */%d" % size, "Range 416")
        r, _ = get(port, first_seg, "OPTIONS")
        check(r.status == 204 and "Range" in (r.getheader("Access-Control-Allow-Headers") or ""),
              "CORS preflight")
        for bad in ["/nope.m4s", "/../etc/passwd", "/%2e%2e/etc/passwd", "/video_0-2.m4s.tmp", "/x.txt"]:
            r, _ = get(port, bad)
            check(r.status == 404, "404 for " + bad)
        r, _ = get(port, "/manifest.mpd", "POST")
        check(r.status == 405, "POST refused")

        r, body = get(port, "/time")
        t = body.decode().strip()
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", t) is not None, "/time ms precision: " + t)
        dt = datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f%z")
        check(abs((datetime.now(timezone.utc) - dt).total_seconds()) < 1, "/time is now")

        # --- ffprobe reads the live stream from the server ---------------
        if shutil.which("ffprobe"):
            try:
                pr = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
                                     "-of", "csv=p=0", "http://127.0.0.1:%d/manifest.mpd" % port],
                                    capture_output=True, timeout=30)
                codecs = pr.stdout.decode().split()
            except subprocess.TimeoutExpired:
                codecs = ["timeout"]
            check("h264" in codecs and "aac" in codecs, "ffprobe reads the live MPD: %s" % codecs)

        # --- chunked transfer of the segment being written ---------------
        n, nxt = live_segment(port)
        check(n is not None, "a segment is being written")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t0 = time.time()
        c.request("GET", "/video_0-%d.m4s" % nxt)
        r = c.getresponse()
        t_head = time.time() - t0
        check(r.status == 200, "announced segment answered 200 (waited %.2f s)" % t_head)
        check(r.getheader("Transfer-Encoding") == "chunked", "in-progress segment sent chunked")
        arrivals = []
        data = b""
        while True:
            b = r.read1(65536)
            if not b:
                break
            arrivals.append((time.time() - t0, len(b)))
            data += b
        c.close()
        t_end = arrivals[-1][0]
        first = arrivals[0][0]
        print("  first bytes after %.3f s, last after %.3f s, %d reads, %d bytes"
              % (first, t_end, len(arrivals), len(data)))
        check(t_end - first > 1.2, "bytes arrive over the segment's duration, before it is complete")
        check(len(set(round(a[0], 1) for a in arrivals)) >= 5, "at least 5 separate deliveries (chunks)")
        time.sleep(0.3)
        final = open(os.path.join(out, "video_0-%d.m4s" % nxt), "rb").read()
        check(data == final, "chunked body equals the published segment")
        check(metric(port, "livestream_dashlivesink_http_waited_total") >= 1, "wait counted")

        # --- a client that stops reading ---------------------------------
        before = metric(port, "livestream_dashlivesink_segments_written")
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", port))
        req = b"".join(b"GET " + first_seg.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
                       for _ in range(60))
        slow.sendall(req)
        t0 = time.time()
        dropped = 0
        served_ok = True
        while time.time() - t0 < 16:
            time.sleep(1)
            r0 = time.time()
            r, _ = get(port, "/manifest.mpd", timeout=5)
            if r.status != 200 or time.time() - r0 > 0.5:
                served_ok = False
            dropped = metric(port, "livestream_dashlivesink_http_slow_clients_dropped_total")
            if dropped >= 1:
                break
        after = metric(port, "livestream_dashlivesink_segments_written")
        elapsed = time.time() - t0
        check(served_ok, "other clients served promptly while one client stalls")
        check(dropped >= 1, "stalled client dropped after %.1f s" % elapsed)
        # 2 representations x 1 segment / 2 s, real time
        check(after - before >= 2 * int(elapsed / 2) - 2,
              "pipeline kept publishing in real time (%d segments in %.1f s)" % (after - before, elapsed))
        slow.close()
        check(proc.poll() is None, "pipeline still running")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(out, ignore_errors=True)


main()
print("FAIL: %d" % len(failures) if failures else "PASS")
sys.exit(1 if failures else 0)
