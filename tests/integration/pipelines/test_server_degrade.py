#!/usr/bin/python3
# livestream-server under overload: the stream's encoders step down to
# faster x264 presets while the segments go on, and step back up once there
# is headroom.
#
# The overload is made, not hoped for: the server process is put in a CPU
# cgroup of its own (cgroup v1 `cpu` or v2 `cpu.max`) whose quota is about
# half of what the stream needs at `--x264-preset medium` (measured first, in
# this run), so on any machine its encoders fall behind real time; the
# quota is then lifted. Checked, as an operator sees it through the API:
#  - under the quota a `quality-changed` event steps the stream to a faster
#    preset (reason "behind real time"), more follow at most one per 5 s,
#    and the API, /api/v1/stats and /metrics show the level;
#  - the stream stays live and its segments go on: video covers the run
#    (a swap lets the old encoders finish their queues; what is left after
#    2 s is dropped and counted, so no hole can be longer than a queue's
#    1 s), and GStreamer plays the whole stopped stream back;
#  - without the quota, "headroom" events step it back up to `medium`;
#  - the swapped-in encoders write the SPS/PPS of `medium`: the MPD keeps
#    one Period (each swap started a new one before);
#  - dash.js and hls.js on the stream's player page keep playing through
#    it all (no player error, currentTime advancing; stalls are reported:
#    under the quota the producer itself falls behind real time);
#  - SIGINT: exit 0.
# Exits 77 (skipped) when no CPU cgroup can be created here (not root, or
# no cpu controller).
import json
import os
import re
import subprocess
import time

import lslib
from lslib import check, log

RECOVER = 4             # --degrade-recover (s)
SEG = 2                 # --segment-duration (s)
SEND = 150              # the publisher's seconds, longer than the test
WATCH = 60              # seconds the viewers watch


class CpuLimit:
    """A CPU cgroup holding one process: quota in cores, or None."""

    def __init__(self, name):
        self.path = None
        self.v2 = False
        v1 = "/sys/fs/cgroup/cpu"
        for root, v2 in ((v1, False), ("/sys/fs/cgroup/unified", True),
                         ("/sys/fs/cgroup", True)):
            ctl = os.path.join(root, "cpu.cfs_quota_us" if not v2 else
                               "cgroup.controllers")
            if not os.path.exists(ctl):
                continue
            if v2:
                with open(ctl) as f:
                    if "cpu" not in f.read().split():
                        continue
            path = os.path.join(root, f"{name}-{os.getpid()}")
            try:
                os.mkdir(path)
            except OSError:
                continue
            if v2 and not os.path.exists(os.path.join(path, "cpu.max")):
                os.rmdir(path)
                continue
            self.path, self.v2 = path, v2
            return

    def _write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(value)

    def add(self, pid):
        self._write("cgroup.procs", str(pid))

    def limit(self, cores):
        period = 20000
        if self.v2:
            self._write("cpu.max", "max %d" % period if cores is None else
                        "%d %d" % (max(1000, int(cores * period)), period))
        else:
            self._write("cpu.cfs_period_us", str(period))
            self._write("cpu.cfs_quota_us", "-1" if cores is None else
                        str(max(1000, int(cores * period))))

    def remove(self):
        if self.path:
            try:
                os.rmdir(self.path)      # empty once the server is gone
            except OSError as e:
                log(f"cgroup {self.path} not removed: {e}")
            self.path = None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Events:
    """The stream's events through the API's long poll."""

    def __init__(self, api, stream):
        self.url = f"{api}/streams/{stream}/events"
        self.after = 0
        self.seen = []

    def poll(self, wait):
        st, _h, doc = lslib.http_json(
            "GET", f"{self.url}?after={self.after}&wait={wait}",
            timeout=wait + 10)
        if st != 200 or not doc:
            return []
        self.after = doc["last"]
        self.seen += doc["events"]
        return doc["events"]

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for ev in self.poll(min(5, max(1, int(end - time.monotonic())))):
                if pred(ev):
                    return ev
        return None


def video_holes(path):
    """The video's media time in a multi-Period MPD: [(start, end)] of
    every segment in seconds of the presentation, in order, and the holes
    between consecutive segments (in Periods or across them) longer than
    two frames."""
    import xml.etree.ElementTree as ET
    ns = lslib.NS
    root = ET.parse(path).getroot()
    segs = []
    for period in root.findall("d:Period", ns):
        pstart = _iso_s(period.get("start", "PT0S"))
        for aset in period.findall("d:AdaptationSet", ns):
            if aset.get("contentType") != "video":
                continue
            tmpl = aset.find("d:Representation/d:SegmentTemplate", ns)
            if tmpl is None:
                tmpl = aset.find("d:SegmentTemplate", ns)
            ts = int(tmpl.get("timescale"))
            pto = int(tmpl.get("presentationTimeOffset", 0))
            t = None
            for s in tmpl.findall("d:SegmentTimeline/d:S", ns):
                t = int(s.get("t")) if s.get("t") is not None else t
                for _ in range(int(s.get("r", 0)) + 1):
                    d = int(s.get("d"))
                    segs.append((pstart + (t - pto) / ts,
                                 pstart + (t + d - pto) / ts))
                    t += d
            break
    holes = [(a[1], b[0]) for a, b in zip(segs, segs[1:])
             if b[0] - a[1] > 2 / 30]
    return segs, holes


def _iso_s(text):
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", text)
    h, mi, sec = (float(x or 0) for x in m.groups())
    return h * 3600 + mi * 60 + sec


def main():
    lslib.require_elements("srtingestsrc", "livestreamapi", "dashlivesink",
                           "x264enc", "avdec_h264")
    lslib.require_tools("ffmpeg")
    cg = CpuLimit("livestream-degrade")
    if cg.path is None:
        lslib.skip("no CPU cgroup can be created here (root and the cpu "
                   "controller are needed)")
    try:
        run(cg)
    finally:
        lslib.cleanup()
        cg.remove()


def run(cg):
    out = lslib.tmpdir("degrade")
    srt = lslib.free_udp_port()
    http = lslib.free_tcp_port()
    api = f"http://127.0.0.1:{http}/api/v1"
    srv = lslib.server(["--srt-port", str(srt), "--http-port", str(http),
                        "-o", out, "--ladder", "240p",
                        "--x264-preset", "medium",
                        "--segment-duration", str(SEG),
                        "--degrade-recover", str(RECOVER)])
    pid = srv.proc.pid
    try:
        cg.add(pid)
        cg.limit(None)
    except OSError as e:
        lslib.skip(f"cannot use the CPU cgroup {cg.path}: {e}")
    lslib.ffmpeg_srt_sender(srt, SEND, stream_id="cam1")
    ev = Events(api, "cam1")

    def stream():
        try:
            st, _h, doc = lslib.http_json("GET", f"{api}/streams/cam1")
        except OSError:                  # not listening yet
            return None
        return doc if st == 200 else None

    end = time.monotonic() + 30
    s = None
    while time.monotonic() < end:
        s = stream()
        if s and s.get("state") == "live" and s.get("segments", 0) >= 4:
            break
        time.sleep(0.5)
    check(s and s.get("state") == "live" and s.get("quality") == "medium",
          f"cam1 live at medium: {s and s.get('segments')} segments")

    # viewers: the stream's player page, dash.js and hls.js, for the rest
    site = f"http://127.0.0.1:{http}/live/cam1/"
    viewers = {}
    if WATCH:
        for mode in ("dash", "hls"):
            viewers[mode] = lslib.spawn(
                ["node", os.path.join(lslib.HERE, "watch-player.mjs"),
                 "--url", site + ("?mode=hls" if mode == "hls" else ""),
                 "--seconds", str(WATCH)], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True)
        time.sleep(8)

    # what the stream needs at medium, measured here
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(6)
    need = (cpu_seconds(pid) - c0) / (time.monotonic() - t0)
    quota = min(0.5, max(0.04, need * 0.5))
    log(f"the server needs {need:.3f} cores at medium; quota {quota:.3f}")
    cg.limit(quota)
    t_limit = time.monotonic()

    first = ev.wait_for(lambda e: e["type"] == "quality-changed" and
                        e["level"] >= 1, 45)
    check(first and first["previous"] == "medium" and
          first["preset"] == "fast" and "behind real time" in first["reason"],
          f"under the quota: {first and first['previous']} -> "
          f"{first and first['preset']} after "
          f"{time.monotonic() - t_limit:.1f} s ({first and first['reason']})")

    # let it settle under the quota; the segments must go on
    seg0 = stream()["segments"]
    t_seg = time.monotonic()
    ev.wait_for(lambda e: False, 20)
    s = stream()
    rate = (s["segments"] - seg0) / (time.monotonic() - t_seg)
    steps = [e for e in ev.seen if e["type"] == "quality-changed"]
    check(s["state"] == "live" and rate > 0.5 / SEG,
          f"under the quota the stream stays live at {s['quality']} "
          f"(level {s['quality_level']}) and its segments go on: "
          f"{rate * SEG:.2f} per segment duration (2 tracks)")
    # a level with headroom under the quota may step back up and relapse
    check(all(b["level"] == a["level"] +
              (1 if "behind" in b["reason"] else -1)
              for a, b in zip([{"level": 0}] + steps, steps)),
          "one level per step: " + " -> ".join(
              ["medium"] + [e["preset"] for e in steps]))
    downs = [time.mktime(time.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ"))
             for e in steps if "behind" in e["reason"]]
    check(all(b - a >= 4 for a, b in zip(downs, downs[1:])),
          f"steps down at least 5 s apart (event times {downs}, whole "
          "seconds)")
    st, _h, stats = lslib.http_json("GET", f"{api}/stats")
    check(st == 200 and stats.get("quality_degraded") == 1,
          f"/api/v1/stats: quality_degraded {stats.get('quality_degraded')}")
    st, _h, metrics = lslib.http("GET", f"http://127.0.0.1:{http}/metrics")
    m = re.search(r'stream_quality_level\{[^}]*stream="cam1"[^}]*\} (\d+)',
                  metrics.decode())
    now_level = stream()["quality_level"]     # a step may fall between
    check(m and int(m.group(1)) in (s["quality_level"], now_level),
          f"/metrics: stream_quality_level {m and m.group(1)}")

    # headroom: back up one level per RECOVER s of calm
    level = stream()["quality_level"]
    cg.limit(None)
    t_free = time.monotonic()
    back = ev.wait_for(lambda e: e["type"] == "quality-changed" and
                       e["level"] == 0, level * (RECOVER + 6) + 20)
    ups = [e for e in ev.seen if e["type"] == "quality-changed" and
           "headroom" in e["reason"]]
    check(back and back["preset"] == "medium" and len(ups) >= level,
          f"without the quota: back to medium in "
          f"{time.monotonic() - t_free:.1f} s through {len(ups)} step(s) up")
    time.sleep(SEG * 2)

    watched = {}
    for mode, p in viewers.items():
        try:
            text, _e = p.communicate(timeout=WATCH + 60)
        except subprocess.TimeoutExpired:
            p.kill()
            text, _e = p.communicate()
        log(f"{mode}: {text.strip()}")
        res = json.loads(text.strip().splitlines()[-1]) \
            if p.returncode == 0 else None
        if p.returncode == 77:
            log(f"SKIP (viewer {mode}): {text.strip()}")
            continue
        watched[mode] = res
    for mode, res in watched.items():
        check(res is not None and not res["errors"] and
              res["played"] >= 0.8 * WATCH,
              f"{mode} viewer across the steps: played "
              f"{res and res['played']:.1f} s of {WATCH}, stalls "
              f"{res and res['stalls']}, errors {res and res['errors'][:2]}")

    # the whole run, from the MPD
    mpd = os.path.join(out, "cam1", "manifest.mpd")
    with open(mpd) as f:
        periods = f.read().count("<Period ")
    segs, holes = video_holes(mpd)
    span = segs[-1][1] - segs[0][0]
    covered = sum(e - b for b, e in segs)
    log(f"video: {len(segs)} segments in {periods} Periods, {span:.1f} s "
        f"spanned, {covered:.1f} s covered, holes " +
        ", ".join(f"{b:.2f}+{e - b:.2f}" for b, e in holes))
    check(periods == 1, f"one Period: the swapped-in encoders write the "
          f"SPS/PPS of the configured preset ({periods} Periods)")
    check(holes == [] or max(e - b for b, e in holes) <= 1.1,
          "no hole in the video longer than the frames an encoder queue "
          "holds (1 s), the frames dropped at an encoder swap")
    check(covered >= 0.95 * span, f"video covers {covered / span * 100:.0f} %"
          " of the run")
    s = stream()
    check(s["state"] == "live" and s["quality"] == "medium",
          f"cam1 live at medium again, {s['segments']} segments, "
          f"{s['quality_changes']} quality changes, "
          f"{s['swap_frames_dropped']} frames dropped at swaps")
    rc = srv.interrupt()
    check(rc == 0, f"SIGINT: exit {rc}")
    res = lslib.play_with_gstreamer(mpd, limit=90)
    check(not res["errors"] and res["video"] >= 0.8 * covered * 30 and
          res["audio"] > 0, f"playbin3 plays the stopped stream: "
          f"{res['video']} video frames, {res['audio']} audio buffers, "
          f"errors {res['errors']}")


if __name__ == "__main__":
    main()
