#!/usr/bin/python3
# A flash crowd at dashlivesink's embedded server: N viewers (default
# 2,000) open a connection and fetch the MPD within one second, as when a
# link goes out.  Every viewer must be served, the slowest 1 % within
# --max-p99 (default 250 ms) from its connect() to the last byte: the
# listen backlog (http-listen-backlog, default 4096) must hold the burst
# instead of making viewers wait for SYN retransmits (1 s, then 3 s).
#
# Prints RESULT with p50/p95/p99/max and the errors.  asyncio, one
# process; the live pipeline (a gst-launch-1.0 process) is started and
# stopped by the test.

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

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


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, want))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


async def viewer(port, results, start_at):
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), 10)
        writer.write(b"GET /manifest.mpd HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Connection: close\r\n\r\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        if not data.startswith(b"HTTP/1.1 200") or b"</MPD>" not in data:
            raise RuntimeError("bad response: %r" % data[:60])
        results.append(time.monotonic() - t0)
    except Exception as e:  # noqa: BLE001 - every failure is counted
        results.append(e)


async def crowd(port, n, spread):
    results = []
    t0 = time.monotonic() + 0.05
    await asyncio.gather(*(viewer(port, results, t0 + spread * i / n)
                           for i in range(n)))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--spread", type=float, default=1.0,
                    help="seconds over which the viewers arrive")
    ap.add_argument("--max-p99", type=float, default=0.25)
    args = ap.parse_args()

    nofile = raise_nofile(args.clients * 2 + 256)
    check(nofile >= args.clients + 64,
          "open files allowed: %d for %d clients" % (nofile, args.clients))
    out = tempfile.mkdtemp(prefix="flashcrowd-")
    port = free_port()
    pipeline = [
        "gst-launch-1.0", "-q",
        "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=320,height=180,framerate=30/1", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast",
        "key-int-max=30", "bitrate=300", "!", "h264parse", "!",
        "dashlivesink", "location=" + out, "segment-duration=1000000000",
        "http-port=%d" % port, "dvr-window=10000000000"]
    # the server needs a descriptor per viewer too: the limit raised above
    # is inherited
    proc = subprocess.Popen(pipeline, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        ready = False
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(os.path.join(out, "manifest.mpd")):
                ready = True
                break
            time.sleep(0.1)
        check(ready, "the live MPD is there")
        if not ready:
            return 1
        results = asyncio.run(crowd(port, args.clients, args.spread))
        times = sorted(r for r in results if isinstance(r, float))
        errors = [repr(r) for r in results if not isinstance(r, float)]
        q = statistics.quantiles(times, n=100) if len(times) > 1 else [0] * 99
        res = {"clients": args.clients, "spread_s": args.spread,
               "served": len(times), "errors": len(errors),
               "p50_ms": round(statistics.median(times) * 1000, 1) if times else None,
               "p95_ms": round(q[94] * 1000, 1),
               "p99_ms": round(q[98] * 1000, 1),
               "max_ms": round(times[-1] * 1000, 1) if times else None,
               "load": os.getloadavg()[0]}
        print("RESULT " + json.dumps(res), flush=True)
        check(not errors, "every viewer served (%d errors%s)" %
              (len(errors), (": " + ", ".join(sorted(set(errors))[:3]))
               if errors else ""))
        check(res["p99_ms"] is not None and res["p99_ms"] < args.max_p99 * 1000,
              "p99 %.1f ms < %.0f ms" % (res["p99_ms"], args.max_p99 * 1000))
        check(proc.poll() is None, "the pipeline is still running")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(out, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
