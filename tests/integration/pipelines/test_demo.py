#!/usr/bin/python3
# The README's main job: pipelines/demo.sh.
#
# Runs the demo (srt-to-dash fed by Debian's ffmpeg over SRT on 127.0.0.1)
# on free ports, opens the player URL it prints in headless Chromium and
# watches the live stream for 20 s: playback starts, currentTime advances,
# no player error; the live latency dash.js reports is recorded. Then
# SIGTERM (what Ctrl-C does): the demo stops the sender, srt-to-dash sends
# EOS and the MPD is final (static). Needs dashlivesink's embedded server
# (http-port) and dash.js (scripts/install-npm-tools.sh), else skipped.
import json
import os
import re
import shutil
import signal
import subprocess
import time

import lslib
from lslib import check, log

WATCH = 20


def main():
    lslib.require_elements("dashlivesink", "srtsrc", "x264enc")
    lslib.require_tools("ffmpeg", "node")
    r = subprocess.run(["gst-inspect-1.0", "dashlivesink"],
                       capture_output=True, text=True)
    if "http-port" not in r.stdout:
        lslib.skip("dashlivesink has no embedded HTTP server in this build")
    out = lslib.tmpdir("demo")
    http = lslib.free_tcp_port()
    srt = lslib.free_udp_port()
    cmd = [os.path.join(lslib.REPO, "pipelines", "demo.sh"), "--output", out,
           "--http-port", str(http), "--srt-port", str(srt), "--",
           "--status-interval", "5"]
    log("$ " + " ".join(cmd))
    demo = lslib.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    lines = []
    url = None
    end = time.monotonic() + 20
    while time.monotonic() < end and url is None:
        line = demo.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        log("  | " + line.rstrip())
        m = re.search(r"player: (http://\S+/)", line)
        if m:
            url = m.group(1)
    check(url == f"http://127.0.0.1:{http}/", f"the demo prints the player "
          f"URL ({url})")
    # first segments
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and \
            len([n for n in os.listdir(out) if n.startswith("video_0-")
                 and n.endswith(".m4s")]) < 3:
        time.sleep(0.5)
    p = subprocess.run(["node", os.path.join(lslib.HERE, "watch-player.mjs"),
                        "--url", url, "--seconds", str(WATCH)],
                       capture_output=True, text=True, timeout=WATCH + 60)
    log(p.stdout.strip())
    if p.returncode == 77:
        demo.send_signal(signal.SIGTERM)
        demo.wait(30)
        lslib.skip(p.stdout.strip())
    res = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 \
        else None
    check(res is not None, "the player page plays the live stream")
    check(not res["errors"], f"no player error ({res['errors'][:2]})")
    check(res["played"] >= WATCH * 0.8, f"currentTime advanced "
          f"{res['played']:.1f} s in {WATCH} s (started after "
          f"{res['started_after']:.1f} s)")
    lat = res["latency"]
    log(f"dash.js live latency p50 {lat['p50']} s, p95 {lat['p95']} s, "
        f"stalls {res['stalls']}, representation {res['representation']}")
    check(lat["p50"] is not None and lat["p50"] < 6,
          f"live latency measured (p50 {lat['p50']} s)")

    demo.send_signal(signal.SIGTERM)
    rest, _ = demo.communicate(timeout=40)
    for line in rest.splitlines():
        log("  | " + line)
    check("final (static, plays as VOD)" in rest, "SIGTERM: the demo stops "
          "cleanly and the MPD is final")
    check(demo.returncode == 0, f"demo exit status {demo.returncode} (srt-to-dash's)")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
