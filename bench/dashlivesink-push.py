#!/usr/bin/python3
# GStreamer livestream plug-ins
# Copyright (C) 2026 gst-livestream authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cost of dashlivesink's push to an origin: chunked PUTs of low-latency
segments against whole-file PUTs after publication, same run, same nginx.

Starts its own nginx (WebDAV) on 127.0.0.1 like the integration test, then
for each mode runs a live 640x360 30 fps H.264 pipeline into dashlivesink
with upload-location for --seconds and reports the CPU time of the
uploader thread ("dashupload") and of the whole process, the PUTs sent and
how many went chunked.  Modes, alternated over --runs:
  whole    segment-duration 1 s, no chunk-duration: PUT after publication
  chunked  segment-duration 1 s, chunk-duration 200 ms: chunked PUT while
           the segment is written (5 CMAF chunks per segment)
  ll-local the same low-latency stream without upload-location (baseline)

Usage: bench/dashlivesink-push.py [--seconds 20] [--runs 2]
Needs the built plug-in: GST_PLUGIN_PATH=build/gst (set by this script).
"""

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("GST_PLUGIN_PATH",
                      os.path.join(HERE, "..", "build", "gst"))

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

from dashlivesink_push import Nginx, free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(name):
    """CPU seconds of this process's threads called @name."""
    total = 0.0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/comm" % tid) as f:
                if f.read().strip() != name:
                    continue
            with open("/proc/self/task/%s/stat" % tid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except OSError:
            pass
    return total


def run(mode, tmp, port, seconds):
    local = os.path.join(tmp, "local-" + mode)
    ll = "chunk-duration=200000000 " if mode != "whole" else ""
    up = (f"upload-location=http://127.0.0.1:{port}/live/{mode} "
          if mode != "ll-local" else "")
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true pattern=ball ! "
        "video/x-raw,width=640,height=360,framerate=30/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
        "bitrate=1500 ! h264parse ! "
        f"dashlivesink name=s location={local} segment-duration=1000000000 "
        f"{ll}dvr-window=10000000000 {up}")
    sink = pipeline.get_by_name("s")
    loop = GLib.MainLoop()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    pipeline.set_state(Gst.State.PLAYING)
    GLib.timeout_add(int(seconds * 1000), loop.quit)
    loop.run()
    up_cpu = thread_cpu("dashupload")
    st = sink.get_property("stats")
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    pipeline.set_state(Gst.State.NULL)
    shutil.rmtree(local, ignore_errors=True)
    return {
        "proc": (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime),
        "up": up_cpu,
        "uploads": st.get_value("uploads"),
        "chunked": st.get_value("upload-chunked"),
        "fallbacks": st.get_value("upload-chunked-fallbacks"),
        "segments": st.get_value("segments-written"),
        "bytes": st.get_value("upload-bytes"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    Gst.init(None)
    tmp = tempfile.mkdtemp(prefix="pushbench-")
    port = free_port()
    nginx = Nginx(tmp, port)
    res = {"whole": [], "chunked": [], "ll-local": []}
    try:
        nginx.start()
        for _ in range(args.runs):
            for mode in res:
                res[mode].append(run(mode, tmp, port, args.seconds))
    finally:
        nginx.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    base = statistics.median(r["proc"] for r in res["ll-local"])
    print("%d s live 640x360 30 fps, 1 s segments, %d runs (median)" %
          (args.seconds, args.runs))
    print("| mode | uploader thread CPU | process CPU | vs ll-local | "
          "PUTs | chunked | fallbacks |")
    print("|---|---|---|---|---|---|---|")
    for mode, rs in res.items():
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        print("| %s | %.3f s (%.2f %% of a core) | %.2f s | %.3f | %d | %d "
              "| %d |" % (mode, med("up"), 100 * med("up") / args.seconds,
                          med("proc"), med("proc") / base, med("uploads"),
                          med("chunked"), med("fallbacks")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
