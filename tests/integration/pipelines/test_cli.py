#!/usr/bin/python3
# livestream-run's command line: --help of every pipeline, bad options (exit
# 2), a missing element (exit 1, names the element), pipeline errors (the
# SRT port taken, an unwritable output directory: exit 1 with the reason), SIGINT and --duration with no
# sender (clean exit 0), --print-pipeline, JSON status lines.
import os
import signal
import socket
import subprocess
import tempfile

import lslib
from lslib import RUN, check, log

PIPES = ("srt-to-dash", "rtp-to-dash", "passthrough", "restream")


def run(args, env=None, timeout=30):
    r = subprocess.run([RUN] + args, capture_output=True, text=True,
                       env=env, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def main():
    rc, out = run(["--help"])
    check(rc == 0 and all(p in out for p in PIPES), "top-level --help lists "
          "the four pipelines")
    for p in PIPES:
        rc, out = run([p, "--help"])
        check(rc == 0 and "--segment-duration" in out and "default" in out,
              f"{p} --help documents the options and defaults")
        script = os.path.join(lslib.REPO, "pipelines", p)
        r = subprocess.run([script, "--help"], capture_output=True, text=True,
                           timeout=30)
        check(r.returncode == 0 and p in r.stdout,
              f"pipelines/{p} --help works")
    rc, out = run(["srt-to-dash", "--ladder", "999p"])
    check(rc == 2 and "unknown rung '999p'" in out, "a bad rung: exit 2 and "
          "the reason")
    rc, out = run(["srt-to-dash", "--chunk-duration", "5"])
    check(rc == 2 and "--chunk-duration" in out, "chunk >= segment: exit 2")

    # a missing element: only the system plug-ins
    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = "/usr/lib/x86_64-linux-gnu/gstreamer-1.0"
    env["GST_PLUGIN_PATH"] = ""
    env["GST_REGISTRY"] = os.path.join(tempfile.mkdtemp(), "reg.bin")
    rc, out = run(["srt-to-dash", "--duration", "1"], env=env, timeout=60)
    check(rc == 1 and "element 'dashlivesink' not found" in out,
          "without the plug-in: exit 1 naming dashlivesink")

    # a pipeline error: the SRT port is taken by another UDP socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    rc, out = run(["srt-to-dash", "--sink", "fake", "--srt-port", str(port),
                   "--duration", "5", "--status-interval", "0"])
    s.close()
    log(out)
    check(rc == 1 and "error:" in out and "ingest" in out,
          "SRT port in use: exit 1 with the element and the reason")

    # an output directory that cannot be written: dashlivesink's error
    if lslib.have_element("dashlivesink"):
        rc, out = run(["srt-to-dash", "--output", "/proc/livestream-nope",
                       "--http-port", "0", "--srt-port",
                       str(lslib.free_udp_port()), "--duration", "5",
                       "--status-interval", "0"])
        check(rc == 1 and "error: dash:" in out and
              "/proc/livestream-nope" in out,
              "unwritable output directory: exit 1 naming the path")

    # no sender: --duration ends it cleanly, so does SIGINT
    port = lslib.free_udp_port()
    rc, out = run(["srt-to-dash", "--sink", "fake", "--srt-port", str(port),
                   "--duration", "1.5", "--status-interval", "0.5",
                   "--print-pipeline"])
    check(rc == 0 and "srtsrc name=ingest" in out and "x264enc" in out and
          "waiting for an SRT sender" in out,
          "--duration with no sender: exit 0; pipeline printed; status says "
          "it waits")
    p = lslib.spawn([RUN, "rtp-to-dash", "--sink", "fake", "--video-port",
                     str(port), "--audio-port", str(lslib.free_udp_port(
                         (port,))), "--status-format", "json",
                     "--status-interval", "0.5"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    import json
    import time
    # three status lines (the first start may rescan the registry), then
    # SIGINT
    seen = []
    end = time.monotonic() + 30
    while time.monotonic() < end and len(seen) < 3:
        line = p.stdout.readline()
        if not line:
            break
        if line.startswith("{"):
            seen.append(line)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=20)
    js = [json.loads(ln) for ln in seen + out.splitlines()
          if ln.startswith("{")]
    check(p.returncode == 0, "rtp-to-dash SIGINT with no sender: exit 0")
    check(len(js) >= 3 and js[-1].get("final") and
          all("ingest_bps" in j and "drops" in j for j in js),
          f"JSON status lines ({len(js)}) and a final summary object")


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
