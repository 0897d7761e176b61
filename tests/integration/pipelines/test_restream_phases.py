#!/usr/bin/python3
# restream: an SRT output added at any point of the GOP muxes its first video
# frame at once.
#
# Debian's ffmpeg sends H.264 (2 s GOPs) + AAC over SRT into `restream`.
# Twenty times, an SRT output (mode=listener: no receiver needed, what is
# measured is restream's own mpegtsmux) is added through the stdin control
# at a chosen point of the GOP — 30, 130, ..., 1930 ms after a keyframe
# reached gopbuffer — and removed 1.5 s later. restream logs where in the
# GOP each add landed and when the output's mpegtsmux muxed its first video
# frame (the first PES packet of the video PID). Checked: every add is
# followed by a muxed video frame within 300 ms, and the adds cover the
# whole GOP, the first 150 ms after a keyframe included (an output added
# there used to mux nothing for 2.2 s: its audio pad waited for the next
# keyframe and mpegtsmux waited for its audio).
import re
import shutil
import time

import lslib
from lslib import check, log

FPS = 30
GOP = 2.0
PHASES = 20
STEP = GOP / PHASES
KEEP = 1.5            # an output lives this long, then it is removed
LIMIT_MS = 300

ADDED = re.compile(r"output (\d+) \S+ added on .*\((\d+) ms after a keyframe\)")
MUXED = re.compile(r"output (\d+): first muxed video frame (\d+) ms after "
                   r"the add")


def wait_for(r, regex, index, timeout):
    """The first log line of output @index matching @regex, or None"""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for ln in r.lines:
            m = regex.search(ln)
            if m and int(m.group(1)) == index:
                return m
        time.sleep(0.01)
    return None


def main():
    lslib.require_elements("gopbuffer", "dashlivesink", "srtsrc", "srtsink",
                           "mpegtsmux")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("restream-phases")
    port = lslib.free_udp_port()
    r = lslib.Runner("restream", [
        "--input", "srt", "--srt-port", str(port), "--http-port", "0",
        "--output", out, "--segment-duration", "2", "--chunk-duration", "0",
        "--dvr-window", "0", "--control"], status_interval=1)
    check(r.wait_for_line("listening for SRT", 15), "restream listens")
    # (the sender is stopped by lslib.cleanup ())
    send = int((PHASES + 1) * (GOP + KEEP) + 15)
    lslib.ffmpeg_srt_sender(port, send, "phases", fps=FPS,
                                gop=int(GOP * FPS))
    check(r.wait_until(lambda st: st["segments"] >= 2, 15) is not None,
          "DASH segments are published")

    results = []          # (target ms, phase ms, first muxed ms)
    ports = [port]
    keyframe_at = None    # monotonic time of a keyframe (from an add's log)
    # output 0 only finds out where the keyframes are; outputs 1..20 are
    # added 30, 130, ..., 1930 ms after one
    for k in range(PHASES + 1):
        target = (k - 1) * STEP + 0.030
        p = lslib.free_udp_port(tuple(ports))
        ports.append(p)
        uri = f"srt://127.0.0.1:{p}?mode=listener"
        if keyframe_at is not None:
            # keyframes come every GOP: the next one after now, plus the
            # phase wanted
            t = keyframe_at + target
            while t < time.monotonic() + 0.05:
                t += GOP
            time.sleep(t - time.monotonic())
        t_add = time.monotonic()
        r.send(f"add {uri}")
        added = wait_for(r, ADDED, k, 5)
        check(added is not None, f"output {k} is added")
        phase = int(added.group(2))
        if keyframe_at is None:
            keyframe_at = t_add - phase / 1000.0
        else:
            # where the add landed against the target (the command takes a
            # few ms to reach restream): aim that much earlier next time
            miss = (phase / 1000.0 - target + GOP / 2) % GOP - GOP / 2
            keyframe_at -= miss
        muxed = wait_for(r, MUXED, k, KEEP)
        first = int(muxed.group(2)) if muxed else None
        log(f"output {k}: added {phase} ms after a keyframe (target "
            f"{target * 1000:.0f}), first muxed video frame "
            f"{'%d ms' % first if first is not None else 'none'} after the "
            "add")
        if k > 0:
            results.append((target * 1000, phase, first))
        rest = KEEP - (time.monotonic() - t_add)
        if rest > 0:
            time.sleep(rest)
        r.send(f"remove {uri}")
        check(wait_for(r, re.compile(r"output (\d+) \S+ removed"), k, 5)
              is not None, f"output {k} is removed")

    firsts = [f for _, _, f in results]
    log("phases (ms after a keyframe): " +
        ", ".join(str(ph) for _, ph, _ in results))
    log("first muxed video frame (ms after the add): " +
        ", ".join(str(f) if f is not None else "none" for f in firsts))
    bins = {min(ph // int(STEP * 1000), PHASES - 1) for _, ph, _ in results}
    check(len(bins) >= PHASES - 2, f"the adds cover the GOP: {len(bins)} of "
          f"{PHASES} bins of {STEP * 1000:.0f} ms")
    early = [f for _, ph, f in results if ph < 150]
    check(len(early) >= 1, f"{len(early)} add(s) within 150 ms after a "
          "keyframe")
    worst = ("none within %.1f s" % KEEP if None in firsts else
             "%d ms" % max(firsts))
    check(all(f is not None and f < LIMIT_MS for f in firsts),
          f"every output muxed its first video frame within {LIMIT_MS} ms "
          f"of the add (worst: {worst})")
    check(r.proc.poll() is None, "restream still runs")
    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit ({rc})")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
