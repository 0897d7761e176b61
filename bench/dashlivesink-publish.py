#!/usr/bin/python3
# dashlivesink publish latency: how long after a CMAF chunk is complete in
# the sink does the embedded HTTP server send its first byte to each client
# streaming the segment in progress.
#
# Pipeline (gst-launch-1.0, its own process): three pre-encoded H.264 rungs
# (1280x720 3 Mbit/s, 854x480 1.5 Mbit/s, 426x240 0.5 Mbit/s, x264
# ultrafast zerolatency, a keyframe every 2 s in all three, made once from
# videotestsrc pattern=snow and cached in build/bench/publish-media)
#   filesrc ! qtdemux ! h264parse ! clocksync ! dashlivesink.video_N
# with segment-duration 2 s, chunk-duration 200 ms, http-port.  clocksync
# paces each rung in real time, so the sink sees a live stream while no
# encoder competes with the sink and the server for the 2 cores.
#
# Clients (this process, asyncio): CLIENTS (100) keep-alive HTTP/1.1
# connections on 127.0.0.1, client i on representation i % 3, each
# streaming the segment in progress chunk by chunk (chunked transfer) and
# asking for the next one as soon as it has the last byte (the server
# holds the request until the segment starts).
#
# Timestamps, all from the pipeline process's GST_DEBUG log (one monotonic
# clock, parsed afterwards):
#   arrival  GST_SCHEDULING "<d:video_N> calling chainfunction": the buffer
#            that completes a chunk enters the sink (the sink writes a chunk
#            when the first buffer past it arrives, or the keyframe that
#            ends the segment); the last such line on that pad before ...
#   notify   dashlivesink-http "chunk video_N-S [a, b) written": the sink
#            tells the server (after its disk write, under its lock)
#   sent     dashlivesink-http "video_N-S.m4s: sent [x, y) to R": the bytes
#            libsoup wrote to client R's socket; the first write that
#            covers offset a is the chunk's first byte sent to R.
# If the sink logs where it cuts a chunk (category dashlivesink, LOG:
# "chunk video_N-S #K complete", K = 0, 1, ... within segment S), that line
# is the arrival instead: it stays right if chunks are written on another
# thread than the one that cut them.
# Counted for every (client, chunk) whose request was in before the chunk
# was complete (a client that joins late does not count its backlog).
#
# Prints p50/p99 of arrival -> first byte sent (the publish latency), of
# its sink part (arrival -> notify, one value per chunk) and server part
# (notify -> first byte sent; and of that, notify -> the chunk appended to
# the client's response: "appended [x, y) for R", the server thread's
# wake-up and its walk over the responses), the number of samples, client
# errors, the
# pipeline's and the clients' CPU and the load average, per run, and one
# "RESULT {json}" line per run.  Not run by meson test.
#
#   bench/dashlivesink-publish.py [--runs 3] [--seconds 20] [--warmup 6]
#                                 [--clients 100] [--build build]
#
# The log lines at LOG level cost the server thread a few microseconds
# each (some 2,000 a second here): included in the numbers, equal before
# and after a change.

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPS = 3
# video segments of 2 s in 90 kHz ticks: the next one's name
SEGMENT_TICKS = 2 * 90000
SEG_NS = 2000000000
CHUNK_NS = 200000000
RUNGS = [(1280, 720, 3000), (854, 480, 1500), (426, 240, 500)]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gst_env(build, log):
    env = dict(os.environ)
    system = subprocess.run(
        ["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
        capture_output=True, text=True).stdout.strip()
    env["GST_PLUGIN_SYSTEM_PATH_1_0"] = ""
    env["GST_PLUGIN_PATH_1_0"] = ":".join(
        [os.path.join(build, "gst", "dash"), system])
    env["GST_REGISTRY"] = os.path.join(build, "bench", "publish.registry")
    env["GST_DEBUG_NO_COLOR"] = "1"
    if log:
        env["GST_DEBUG"] = ("*:1,GST_SCHEDULING:5,dashlivesink:6,"
                            "dashlivesink-http:6")
        env["GST_DEBUG_FILE"] = log
    else:
        env["GST_DEBUG"] = "*:1"
    return env


def media(build, seconds):
    """Three aligned H.264 rungs of @seconds, made once."""
    d = os.path.join(build, "bench", "publish-media")
    stamp = os.path.join(d, "seconds")
    files = [os.path.join(d, "v%d.mp4" % i) for i in range(REPS)]
    try:
        if int(open(stamp).read()) >= seconds and \
                all(os.path.getsize(f) > 0 for f in files):
            return files
    except (OSError, ValueError):
        pass
    os.makedirs(d, exist_ok=True)
    print("encoding %d s of three rungs into %s (once) ..." % (seconds, d),
          file=sys.stderr, flush=True)
    desc = ("videotestsrc num-buffers=%d pattern=snow ! "
            "video/x-raw,width=1280,height=720,framerate=30/1 ! tee name=t "
            % (seconds * 30))
    for i, (w, h, kbps) in enumerate(RUNGS):
        desc += ("t. ! queue ! videoscale ! video/x-raw,width=%d,height=%d ! "
                 "x264enc bitrate=%d speed-preset=ultrafast tune=zerolatency "
                 "key-int-max=60 option-string=scenecut=0 ! h264parse ! "
                 "mp4mux ! filesink location=%s " % (w, h, kbps, files[i]))
    subprocess.run(["gst-launch-1.0", "-q"] + desc.split(), check=True,
                   env=gst_env(build, None))
    with open(stamp, "w") as f:
        f.write(str(seconds))
    return files


# --- clients ------------------------------------------------------------

class Clients:
    def __init__(self):
        self.errors = []
        self.segments = 0
        self.bytes = 0
        self.reconnects = 0


async def read_headers(reader):
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, v = line.decode("latin-1").split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers


async def read_body(reader, headers, stats):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return
            data = await reader.readexactly(size)
            stats.bytes += len(data)
            await reader.readexactly(2)
    n = int(headers.get("content-length", "0"))
    if n:
        await reader.readexactly(n)
        stats.bytes += n


async def live_number(port, rep):
    """The start (S@t, its name) of the segment being written: the first
    one the served MPD announces (HEAD answers chunked)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /manifest.mpd HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers = await read_headers(reader)
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        block = body.decode().split('id="%s"' % rep, 1)[1]
        block = block.split("</Representation>", 1)[0]
        times, t = [], 0
        for m in re.finditer(r"<S( [^/]*)/>", block):
            a = dict(re.findall(r'(\w+)="(\d+)"', m.group(1)))
            t = int(a.get("t", t))
            for _ in range(int(a.get("r", "0")) + 1):
                times.append(t)
                t += int(a["d"])
        for n in times:
            writer.write(b"HEAD /%s-%d.m4s HTTP/1.1\r\nHost: x\r\n\r\n"
                         % (rep.encode(), n))
            status, headers = await read_headers(reader)
            if status == 200 and \
                    headers.get("transfer-encoding", "").lower() == "chunked":
                return n
    finally:
        writer.close()
    return None


async def client(port, idx, stop_at, stats):
    rep = "video_%d" % (idx % REPS)
    n = None
    reader = writer = None
    while time.monotonic() < stop_at:
        try:
            if n is None:
                n = await live_number(port, rep)
                if n is None:
                    await asyncio.sleep(0.05)
                    continue
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1",
                                                               port)
            writer.write(b"GET /%s-%d.m4s HTTP/1.1\r\nHost: x\r\n\r\n"
                         % (rep.encode(), n))
            status, headers = await asyncio.wait_for(
                read_headers(reader), max(0.1, stop_at - time.monotonic()))
            await asyncio.wait_for(read_body(reader, headers, stats),
                                   max(0.1, stop_at - time.monotonic()))
            if status == 200:
                stats.segments += 1
                n += SEGMENT_TICKS  # named after their start: 2 s later
            else:
                n = None        # lost the live edge: find it again
        except asyncio.TimeoutError:
            break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError,
                IndexError) as e:
            if time.monotonic() < stop_at:
                stats.errors.append("%s %s-%s: %r" % (idx, rep, n, e))
            if writer:
                writer.close()
            reader = writer = None
            stats.reconnects += 1
    if writer:
        writer.close()


async def run_clients(port, count, seconds):
    stats = Clients()
    stop_at = time.monotonic() + seconds
    await asyncio.gather(*(client(port, i, stop_at, stats)
                           for i in range(count)))
    return stats


# --- log ---------------------------------------------------------------

TS = re.compile(r"^(\d+):(\d\d):(\d\d)\.(\d{9}) ")
CHAIN = re.compile(r"<d:(video_\d+)> calling chainfunction")
# the sink's own line where it cuts a chunk, if it has one (preferred:
# stays right when chunks are written on another thread)
CUT = re.compile(r"chunk (\S+)-(\d+) #(\d+) complete")
NOTIFY = re.compile(r"chunk (\S+)-(\d+) \[(\d+), (\d+)\) written")
REQUEST = re.compile(r"(\S+\.m4s): request (0x[0-9a-f]+)$")
APPENDED = re.compile(r"(\S+\.m4s): appended \[(\d+), (\d+)\) for "
                      r"(0x[0-9a-f]+)")
SENT = re.compile(r"(\S+\.m4s): sent \[(\d+), (\d+)\) to (0x[0-9a-f]+)")


def parse_log(path, warmup_s, tail_s):
    events = []
    with open(path, errors="replace") as f:
        for line in f:
            m = TS.match(line)
            if not m:
                continue
            t = (int(m.group(1)) * 3600 + int(m.group(2)) * 60 +
                 int(m.group(3))) * 1e9 + int(m.group(4))
            if "GST_SCHEDULING" in line:
                c = CHAIN.search(line)
                if c:
                    events.append((t, "chain", c.group(1)))
                continue
            if " dashlivesink " in line:
                c = CUT.search(line)
                if c:
                    events.append((t, "cut", "%s-%s.m4s" % (c.group(1),
                                   c.group(2)), int(c.group(3))))
                continue
            if "dashlivesink-http" not in line:
                continue
            c = NOTIFY.search(line)
            if c:
                events.append((t, "notify", "%s-%s.m4s" % (c.group(1),
                               c.group(2)), c.group(1), int(c.group(3))))
                continue
            c = SENT.search(line)
            if c:
                events.append((t, "sent", c.group(1), int(c.group(2)),
                               int(c.group(3)), c.group(4)))
                continue
            c = APPENDED.search(line)
            if c:
                events.append((t, "appended", c.group(1), int(c.group(2)),
                               int(c.group(3)), c.group(4)))
                continue
            c = REQUEST.search(line)
            if c:
                events.append((t, "request", c.group(1), c.group(2)))
    # threads log in their own order: put them in time order
    events.sort(key=lambda e: e[0])

    notifies = [e[0] for e in events if e[1] == "notify"]
    if not notifies:
        return None
    start = notifies[0] + warmup_s * 1e9
    end = notifies[-1] - tail_s * 1e9

    cuts = {}               # (name, index) -> t
    for e in events:
        if e[1] == "cut":
            cuts.setdefault((e[2], e[3]), e[0])
    last_chain = {}
    chunks = {}             # name -> [(offset, t_arrival, t_notify)]
    reqs = {}               # ptr -> (name, t_start, offsets done, appends)
    total, server, sink, wake = [], [], [], []
    for e in events:
        t, kind = e[0], e[1]
        if kind == "chain":
            last_chain[e[2]] = t
        elif kind == "notify":
            _, _, name, rep, off = e
            index = len(chunks.get(name, ()))
            arrival = cuts.get((name, index), last_chain.get(rep, t)) \
                if cuts else last_chain.get(rep, t)
            chunks.setdefault(name, []).append((off, arrival, t))
            if start <= t <= end:
                sink.append(t - arrival)
        elif kind == "request":
            reqs[e[3]] = (e[2], t, set(), [])
        elif kind == "appended":
            r = reqs.get(e[5])
            if r is not None and r[0] == e[2]:
                r[3].append((e[3], e[4], t))
        elif kind == "sent":
            _, _, name, a, b, ptr = e
            r = reqs.get(ptr)
            if r is None or r[0] != name:
                continue
            for off, arrival, notified in chunks.get(name, ()):
                if a <= off < b and off not in r[2]:
                    r[2].add(off)
                    if notified >= r[1] and start <= notified <= end:
                        total.append(t - arrival)
                        server.append(t - notified)
                        for x, y, appended in r[3]:
                            if x <= off < y:
                                wake.append(appended - notified)
                                break
    return {"total": total, "server": server, "sink": sink, "wake": wake,
            "arrival_from": "sink cut line" if cuts else "chain",
            "window_s": (end - start) / 1e9}


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] / 1e6


# --- one run -------------------------------------------------------------

def run_once(args, files, run):
    build = args.build
    port = free_port()
    out = tempfile.mkdtemp(prefix="publish-bench-")
    log = os.path.join(out, "gst.log")
    desc = ("dashlivesink name=d location=%s http-port=%d "
            "segment-duration=%d chunk-duration=%d "
            % (os.path.join(out, "dash"), port, SEG_NS, CHUNK_NS))
    for i, f in enumerate(files):
        desc += ("filesrc location=%s ! qtdemux ! h264parse ! clocksync ! "
                 "d.video_%d " % (f, i))
    load0 = os.getloadavg()
    proc = subprocess.Popen(["gst-launch-1.0", "-q"] + desc.split(),
                            env=gst_env(build, log),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/time" % port,
                                       timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the pipeline did not start: %s" %
                                       proc.stderr.read().decode()[-500:])
                time.sleep(0.05)
        cpu0 = proc_cpu_s(proc.pid)
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        stats = asyncio.run(run_clients(port, args.clients,
                                        args.warmup + args.seconds))
        wall = time.monotonic() - t0
        cpu = proc_cpu_s(proc.pid) - cpu0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        ccpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        alive = proc.poll() is None
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    load1 = os.getloadavg()
    res = parse_log(log, args.warmup, 1.0)
    if args.keep_log:
        kept = os.path.join(build, "bench", "publish-run%d.log" % run)
        shutil.copy(log, kept)
        print("log kept in %s" % kept, file=sys.stderr)
    shutil.rmtree(out, ignore_errors=True)
    if res is None:
        raise RuntimeError("no chunk in the log")
    r = {
        "run": run,
        "samples": len(res["total"]),
        "chunks": len(res["sink"]),
        "window_s": round(res["window_s"], 1),
        "arrival_from": res["arrival_from"],
        "p50_ms": pct(res["total"], 50), "p99_ms": pct(res["total"], 99),
        "max_ms": pct(res["total"], 100),
        "sink_p50_ms": pct(res["sink"], 50),
        "sink_p99_ms": pct(res["sink"], 99),
        "server_p50_ms": pct(res["server"], 50),
        "server_p99_ms": pct(res["server"], 99),
        "append_p50_ms": pct(res["wake"], 50),
        "append_p99_ms": pct(res["wake"], 99),
        "client_segments": stats.segments,
        "client_mbit_s": round(stats.bytes * 8 / wall / 1e6, 1),
        "client_errors": len(stats.errors),
        "pipeline_cpu_pct": round(100 * cpu / wall, 1),
        "clients_cpu_pct": round(100 * ccpu / wall, 1),
        "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in load1],
        "pipeline_alive": alive,
    }
    for e in stats.errors[:5]:
        print("client error: %s" % e, file=sys.stderr)
    return r


def main():
    p = argparse.ArgumentParser(
        description="dashlivesink publish latency (see the head of this file)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=int, default=20,
                   help="measured seconds per run (after the warm-up)")
    p.add_argument("--warmup", type=int, default=6)
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--keep-log", action="store_true")
    args = p.parse_args()
    if not os.path.exists(os.path.join(args.build, "gst", "dash",
                                       "libgstlivestreamdash.so")):
        sys.exit("build first: meson setup build && ninja -C build")
    os.makedirs(os.path.join(args.build, "bench"), exist_ok=True)
    files = media(args.build, args.warmup + args.seconds + 6)

    rows = []
    for run in range(1, args.runs + 1):
        print("run %d/%d: %d clients, %d + %d s ..." % (
            run, args.runs, args.clients, args.warmup, args.seconds),
            file=sys.stderr, flush=True)
        r = run_once(args, files, run)
        rows.append(r)
        print("RESULT " + json.dumps(r), flush=True)

    def f(v):
        return "-" if v is None else "%.1f" % v
    print()
    print("| run | p50 ms | p99 ms | max ms | sink p50 / p99 ms | "
          "server p50 / p99 ms | of which to append p50 / p99 ms | "
          "samples | client errors | pipeline CPU | clients CPU | "
          "load (1 min) before / after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print("| %d | %s | %s | %s | %s / %s | %s / %s | %s / %s | %d | %d | "
              "%s %% | %s %% | %.2f / %.2f |" % (
                  r["run"], f(r["p50_ms"]), f(r["p99_ms"]), f(r["max_ms"]),
                  f(r["sink_p50_ms"]), f(r["sink_p99_ms"]),
                  f(r["server_p50_ms"]), f(r["server_p99_ms"]),
                  f(r["append_p50_ms"]), f(r["append_p99_ms"]),
                  r["samples"], r["client_errors"], r["pipeline_cpu_pct"],
                  r["clients_cpu_pct"], r["load_before"][0],
                  r["load_after"][0]))
    p50s = [r["p50_ms"] for r in rows if r["p50_ms"] is not None]
    p99s = [r["p99_ms"] for r in rows if r["p99_ms"] is not None]
    if p50s:
        print("\nmedian of runs: p50 %.1f ms, p99 %.1f ms" % (
            statistics.median(p50s), statistics.median(p99s)))
    bad = [r for r in rows if r["client_errors"] or not r["pipeline_alive"]
           or r["samples"] == 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
