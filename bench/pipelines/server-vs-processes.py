#!/usr/bin/python3
"""livestream-server against one process per stream: CPU, memory, segments.

  bench/pipelines/server-vs-processes.py [--streams 1,4,8]
      [--ladder passthrough,240p] [--seconds 30] [--warmup 10] [--rounds 2]
      [--segment-duration 2] [--search 4,8,12,16]
      [--search-passthrough 8,16,25] [--search-seconds 30]
      [--sender file|live] [--keep DIR]

For every N of --streams and every ladder, each round runs both variants,
one after the other (the order alternates from round to round, the machine
is shared):

  server     one pipelines/livestream-server (--no-degrade) and N ffmpeg
             publishers on its one SRT port, streamid=cam1..camN;
  processes  N processes, each on its own SRT port, -o directory and HTTP
             port: pipelines/srt-to-dash --ladder L for a ladder,
             pipelines/livestream-run passthrough --input srt for
             passthrough (srt-to-dash always transcodes).

Same segment duration, chunk duration (0.2 s) and x264 preset (veryfast) in
both. The publishers send the integration tests' test signal (testsrc2
640x360 30 fps, H.264 ultrafast 1.5 Mbit/s, GOP 2 s, + AAC 96 kbit/s in
MPEG-TS), encoded once into a file and copied (-re -c copy), so that
their CPU does not compete with what is measured (--sender live encodes it
in every publisher, as the tests do).

After every stream has written a segment and --warmup seconds more, over
--seconds: CPU (user+sys from /proc/PID/stat, all threads and children) of
the producer processes only, not of the publishers, as a share of one
core, per stream; memory at the end of the window, summed over the
producers: VmRSS and Pss (smaps_rollup; Pss splits the shared libraries
among the N processes, so it is the fairer sum); video segments (first
rung) added to each stream's MPD timeline against --seconds / segment
duration; gaps in the timeline (lost segments); whether the live edge
(availabilityStartTime + end of the timeline, against the wall clock) fell
further behind during the window; the elements' drop counters (the
server's /api/v1/stats/streams/{id}, the processes' summary lines).
Median of --rounds; the ratio server / processes is of the same run.

Streams per machine (--search, a ladder; --search-passthrough): the server
alone with N publishers for increasing N until a run does not keep real
time (a lost or missing segment, a drop, the edge falling behind);
prints each N.

The load average is printed before and after every run. Only processes
this script started are stopped (by their process group); the temporary
directory is removed unless --keep.
"""
import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverbench as sb  # noqa: E402

sys.path.insert(0, os.path.join(sb.REPO, "pipelines"))
from livestream.status import drops_in  # noqa: E402

FACTORY = {"vqueue": "prioqueue", "aqueue": "prioqueue", "gop": "gopbuffer",
           "avs": "avsync", "dash": "dashlivesink"}


def edge_lag(mpd_path):
    """seconds between now and the end of the MPD's video timeline"""
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(mpd_path).getroot()
        ast = datetime.fromisoformat(
            root.get("availabilityStartTime").replace("Z", "+00:00"))
    except (OSError, ET.ParseError, AttributeError, ValueError):
        return None
    r = sb.video_timeline(mpd_path)
    if not r or not r[0]:
        return None
    tl, ts, _ = r
    end = (tl[-1][0] + tl[-1][1]) / ts
    return time.time() - ast.timestamp() - end


class Variant:
    """The producers of one run and where their MPDs are."""

    def __init__(self, kind, n, ladder, args, tmp, source):
        self.kind, self.n, self.ladder = kind, n, ladder
        self.args, self.tmp, self.source = args, tmp, source
        self.producers = []
        self.senders = []
        self.mpds = {}
        self.ports = {}
        self.api = None
        self.rcs = []

    def common(self):
        a = self.args
        return ["--segment-duration", str(a.segment_duration),
                "--chunk-duration", "0.2",
                "--status-interval", "2", "--status-format", "json"]

    def start(self):
        ids = [f"cam{k + 1}" for k in range(self.n)]
        out = os.path.join(self.tmp, "out")
        if self.kind == "server":
            srt, http = sb.free_udp_port(), sb.free_tcp_port()
            cmd = [sb.SERVER, "--srt-port", str(srt), "--http-port",
                   str(http), "-o", out, "--ladder", self.ladder,
                   "--max-streams", str(max(25, self.n)), "--no-degrade"] + \
                self.common()
            self.producers.append(sb.Proc(cmd, os.path.join(
                self.tmp, "server.log")))
            self.api = f"http://127.0.0.1:{http}/api/v1"
            for i in ids:
                self.ports[i] = srt
                self.mpds[i] = os.path.join(out, i, "manifest.mpd")
        else:
            for i in ids:
                srt, http = sb.free_udp_port(), sb.free_tcp_port()
                if self.ladder == "passthrough":
                    cmd = [sb.RUN, "passthrough", "--input", "srt"]
                else:
                    cmd = [sb.RUN, "srt-to-dash", "--ladder", self.ladder]
                cmd += ["--srt-port", str(srt), "--http-port", str(http),
                        "-o", os.path.join(out, i)] + self.common()
                self.producers.append(sb.Proc(cmd, os.path.join(
                    self.tmp, f"{i}.log")))
                self.ports[i] = srt
                self.mpds[i] = os.path.join(out, i, "manifest.mpd")
        for p in self.producers:
            if not p.wait_for("listening for SRT", 30):
                return f"{p.cmd[0]} did not listen: {p.log_text()[-500:]}"
        for k, i in enumerate(ids):
            if k:
                # srtingestsrc's default accept-rate-per-address is 10/s:
                # 25 callers from 127.0.0.1 at once would be rate-limited
                time.sleep(sb.SENDER_SPACING)
            self.senders.append(sb.Proc(
                sb.sender_cmd(self.ports[i], i, self.source,
                              seconds=self.args.seconds + 120),
                os.path.join(self.tmp, f"send-{i}.log")))
        # every stream has written a video segment (bounded)
        end = time.monotonic() + 30 + self.n
        while time.monotonic() < end:
            ready = [i for i in ids
                     if (sb.video_timeline(self.mpds[i]) or [[]])[0]]
            if len(ready) == len(ids):
                return None
            if not all(p.alive() for p in self.producers):
                break
            time.sleep(0.5)
        missing = [i for i in ids if i not in ready]
        return f"no segment from {', '.join(missing)}"

    def pids(self):
        return sb.tree([p.pid for p in self.producers])

    def sender_pids(self):
        return sb.tree([p.pid for p in self.senders])

    def drops(self):
        """{id: {element: drops so far}}: the server's API, or the last
        JSON status line of each process (every 2 s)"""
        out = {}
        if self.kind == "server":
            for i in self.mpds:
                st = sb.http_json(f"{self.api}/stats/streams/{i}") or {}
                out[i] = {k: drops_in(FACTORY.get(k, ""), v)
                          for k, v in (st.get("elements") or {}).items()}
        else:
            for i, p in zip(self.mpds, self.producers):
                out[i] = dict((p.last_json() or {}).get("drops") or {})
        return out

    def stop(self):
        for s in self.senders:
            s.stop(signal.SIGTERM, 5)
        # all at once; a producer bounds its own stop (--eos-timeout 10 s,
        # then 20 s for the teardown, exit 3): 45 s before SIGKILL
        for p in self.producers:
            p.send(signal.SIGINT)
        end = time.monotonic() + 45
        self.rcs = [p.stop(None, max(1, end - time.monotonic()))
                    for p in self.producers]


def measure(kind, n, ladder, args, source):
    tmp = tempfile.mkdtemp(prefix=f"server-bench-{kind}-{n}-")
    v = Variant(kind, n, ladder, args, tmp, source)
    res = {"kind": kind, "n": n, "ladder": ladder, "load0": sb.loadavg()}
    try:
        err = v.start()
        if err:
            res["error"] = err
            return res
        time.sleep(args.warmup)
        seg = args.segment_duration
        t0 = time.monotonic()
        c0 = sb.cpu_seconds(v.pids())
        s0 = sb.cpu_seconds(v.sender_pids())
        tl0 = {i: sb.video_timeline(p) for i, p in v.mpds.items()}
        lag0 = {i: edge_lag(p) for i, p in v.mpds.items()}
        api0 = sb.http_json(v.api + "/stats") if v.api else None
        d0 = v.drops()
        time.sleep(args.seconds)
        t1 = time.monotonic()
        c1 = sb.cpu_seconds(v.pids())
        s1 = sb.cpu_seconds(v.sender_pids())
        api1 = sb.http_json(v.api + "/stats") if v.api else None
        rss, pss = sb.memory(v.pids())
        tl1 = {i: sb.video_timeline(p) for i, p in v.mpds.items()}
        lag1 = {i: edge_lag(p) for i, p in v.mpds.items()}
        d1 = v.drops()
        drops = {i: {k: d - d0.get(i, {}).get(k, 0) for k, d in
                     d1.get(i, {}).items() if d - d0.get(i, {}).get(k, 0)}
                 for i in v.mpds}
        dt = t1 - t0
        produced, gaps, behind = {}, {}, {}
        for i in v.mpds:
            a, b = tl0[i], tl1[i]
            last0 = a[0][-1][0] if a and a[0] else -1
            produced[i] = sum(1 for t, _ in (b[0] if b else []) if t > last0)
            gaps[i] = sb.timeline_gaps(b[0], b[1]) if b else ["no MPD"]
            behind[i] = (lag1[i] - lag0[i]) if lag0[i] is not None and \
                lag1[i] is not None else None
        res.update({
            "cores": (c1 - c0) / dt, "sender_cores": (s1 - s0) / dt,
            "rss": rss, "pss": pss, "produced": produced,
            "expected": dt / seg, "gaps": gaps, "lag_growth": behind,
            "api_cores": ((api1["cpu_s"] - api0["cpu_s"]) / dt
                          if api0 and api1 else None),
            "drops": drops, "procs": len(v.producers)})
    finally:
        v.stop()
        res["rcs"] = v.rcs
        res["load1"] = sb.loadavg()
        if args.keep:
            dst = os.path.join(args.keep, os.path.basename(tmp))
            shutil.move(tmp, dst)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return res


def verdict(res, seg):
    """(ok, why): real time kept, nothing lost"""
    if "error" in res:
        return False, res["error"]
    why = []
    short = [i for i, c in res["produced"].items()
             if c < res["expected"] - 1.5]
    if short:
        why.append("short: " + ", ".join(
            f"{i} {res['produced'][i]}/{res['expected']:.1f}"
            for i in short))
    gaps = {i: g for i, g in res["gaps"].items() if g}
    if gaps:
        why.append(f"gaps: {gaps}")
    late = {i: round(x, 1) for i, x in res["lag_growth"].items()
            if x is None or x > 1.5 * seg}
    if late:
        why.append(f"edge fell behind (s): {late}")
    dr = {i: d for i, d in res["drops"].items() if d}
    if dr:
        why.append(f"drops: {dr}")
    bad = [rc for rc in res["rcs"] if rc != 0]
    if bad:
        why.append(f"exit codes {res['rcs']}")
    return not why, "; ".join(why) or "ok"


def line(res, seg):
    ok, why = verdict(res, seg)
    if "error" in res:
        return (f"  {res['kind']:9} N={res['n']:<2} {res['ladder']:11} "
                f"FAILED: {why} (load {res['load0']} -> {res['load1']})")
    n = res["n"]
    prod = list(res["produced"].values())
    api = f" (API {100 * res['api_cores']:.0f} %)" \
        if res.get("api_cores") is not None else ""
    return (f"  {res['kind']:9} N={n:<2} {res['ladder']:11} "
            f"cpu {100 * res['cores']:6.1f} %{api} = "
            f"{100 * res['cores'] / n:5.1f} %/stream | rss "
            f"{sb.fmt_mib(res['rss'])} MiB pss {sb.fmt_mib(res['pss'])} MiB"
            f" | segs {min(prod)}..{max(prod)}/{res['expected']:.1f} | "
            f"senders {100 * res['sender_cores']:.0f} % | load "
            f"{res['load0']} -> {res['load1']} | {why}")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__[__doc__.index("\n"):])
    ap.add_argument("--streams", default="1,4,8")
    ap.add_argument("--ladder", default="passthrough,240p")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--segment-duration", type=float, default=2.0)
    ap.add_argument("--search", default="4,8,12,16",
                    help="N for streams per machine with the first "
                         "transcoding ladder of --ladder ('' = skip)")
    ap.add_argument("--search-passthrough", default="8,16,25",
                    help="the same for passthrough ('' = skip)")
    ap.add_argument("--search-seconds", type=float, default=30)
    ap.add_argument("--sender", choices=("file", "live"), default="file")
    ap.add_argument("--keep", default=None, metavar="DIR",
                    help="keep each run's directory (logs, segments) here")
    args = ap.parse_args()
    for tool in ("ffmpeg",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    seg = args.segment_duration
    streams = [int(x) for x in args.streams.split(",") if x]
    ladders = [x for x in args.ladder.split(",") if x]
    search = [int(x) for x in args.search.split(",") if x]
    search_pt = [int(x) for x in args.search_passthrough.split(",") if x]
    longest = max([args.seconds] + ([args.search_seconds]
                                    if search or search_pt else []))
    srcdir = tempfile.mkdtemp(prefix="server-bench-src-")
    try:
        source = None
        if args.sender == "file":
            source = sb.make_source(os.path.join(srcdir, "src.ts"),
                                    longest + args.warmup + 90)
        sb.log(f"server-vs-processes: {os.cpu_count()} cores, "
               f"{os.uname().release}; {args.seconds:g} s measured "
               f"({args.search_seconds:g} s in the search) after "
               f"{args.warmup:g} s warm-up, {seg:g} s segments, publishers: "
               f"{args.sender}; load average {sb.loadavg()}")
        table = {}
        for n in streams:
            for lad in ladders:
                for r in range(args.rounds):
                    order = ("server", "processes") if r % 2 == 0 else \
                        ("processes", "server")
                    for kind in order:
                        res = measure(kind, n, lad, args, source)
                        sb.log(line(res, seg))
                        table.setdefault((n, lad), {}).setdefault(
                            kind, []).append(res)
        if table:
            print_table(table, seg, args)
        for lad, ns in ((next((x for x in ladders if x != "passthrough"),
                              "240p"), search),
                        ("passthrough", search_pt)):
            if not ns:
                continue
            sb.log(f"\nstreams per machine, {lad}: one livestream-server, "
                   f"{args.search_seconds:g} s measured per N")
            a = argparse.Namespace(**vars(args))
            a.seconds = args.search_seconds
            best = 0
            for n in ns:
                res = measure("server", n, lad, a, source)
                sb.log(line(res, seg))
                ok, why = verdict(res, seg)
                if not ok:
                    break
                best = n
            sb.log(f"  -> {lad}: real time kept up to N={best} "
                   f"(tried {','.join(map(str, ns))})")
        sb.log(f"\nload average after: {sb.loadavg()}")
    finally:
        shutil.rmtree(srcdir, ignore_errors=True)


def print_table(table, seg, args):
    sb.log(f"\nmedian of {args.rounds} rounds; CPU in % of one core per "
           "stream, memory in MiB per stream (sum over the producers / N)")
    sb.log("| N | ladder | CPU/stream server | processes | ratio | "
           "RSS/stream server | processes | ratio | Pss/stream server | "
           "processes | ratio | segments (min/expected) server, processes "
           "| lost | load |")
    sb.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (n, lad), kinds in table.items():
        def med(kind, key):
            vals = [r[key] for r in kinds.get(kind, []) if key in r]
            return statistics.median(vals) / n if vals else float("nan")
        cs, cp = med("server", "cores"), med("processes", "cores")
        rs, rp = med("server", "rss"), med("processes", "rss")
        ps, pp = med("server", "pss"), med("processes", "pss")

        def segs(kind):
            rs_ = [r for r in kinds.get(kind, []) if "produced" in r]
            if not rs_:
                return "-"
            return "/".join(str(min(r["produced"].values())) for r in rs_) \
                + f" of {rs_[0]['expected']:.0f}"
        bad = sum(0 if verdict(r, seg)[0] else 1
                  for k in kinds.values() for r in k)
        loads = [r["load0"].split()[0] for k in kinds.values() for r in k] + \
            [r["load1"].split()[0] for k in kinds.values() for r in k]
        sb.log(f"| {n} | {lad} | {100 * cs:.1f} | {100 * cp:.1f} | "
               f"{cs / cp if cp else float('nan'):.2f} | "
               f"{rs / 2**20:.0f} | {rp / 2**20:.0f} | "
               f"{rs / rp if rp else float('nan'):.2f} | "
               f"{ps / 2**20:.0f} | {pp / 2**20:.0f} | "
               f"{ps / pp if pp else float('nan'):.2f} | "
               f"{segs('server')}, {segs('processes')} | "
               f"{bad} run(s) not clean | "
               f"{min(loads)}-{max(loads)} |")


if __name__ == "__main__":
    main()
