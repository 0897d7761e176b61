#!/usr/bin/python3
"""livestream-server soak: N publishers for M minutes, each reconnecting.

  bench/pipelines/server-soak.py [--publishers 8] [--minutes 10]
      [--ladder 240p] [--segment-duration 2] [--grace-period 10]
      [--first-restart 30] [--restart-every 30] [--rounds 2] [--down 2]
      [--dvr-window 120] [--sender file|live] [--max-rss-growth 0.10]
      [--keep DIR]

One pipelines/livestream-server (its defaults: a 120 s DVR window, quality
degradation on) and --publishers ffmpeg publishers cam1..camN on its SRT
port (the integration tests' test signal, 640x360 30 fps H.264 + AAC,
encoded once and copied; --sender live encodes it in every publisher).
In round r (0-based, --rounds of them) publisher k (0-based) is stopped at
--first-restart + (r x N + k) x --restart-every seconds (even k with SIGTERM: ffmpeg closes its SRT connection; odd k with
SIGKILL: the connection just stops) and started again with the same stream
id --down seconds later, within the server's --grace-period, so the same
stream (same pad, same MPD) goes on.

Every 10 s: the server's RSS and Pss (its process tree, /proc), its CPU,
the load average, and each stream's MPD timeline (video, first rung),
merged into one timeline per stream (the DVR window is longer than 10 s,
so no segment goes unseen). At the end (with the publishers still sending)
the server's counters: /api/v1/stats (refused), /api/v1/stats/streams/{id}
(each element's drops), /api/v1/streams/{id} (connections), /metrics
(callers resumed / replaced / disconnected); then SIGINT and the exit
status. Then each stream's final MPD, merged too: video segments against
the wall time from its first segment to the SIGINT (segment duration
each), gaps in the timeline (lost segments), whether the MPD is static.

Exits 1 on a lost or missing segment, a gap, a crash, an exit status
other than 0, a stream that did not continue after its reconnect (a new
stream, or one connection only), an MPD that is not final, or RSS growing
by more than --max-rss-growth between the first sample after the first
round of reconnects and a full DVR window, and the last (a stream's first
reconnect costs it about 4 MiB once; later ones about nothing: measured
with one stream reconnecting 16 times, +4.4 MiB at the first, +1.4 MiB
over the 15 others while its DVR window filled).
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverbench as sb  # noqa: E402

sys.path.insert(0, os.path.join(sb.REPO, "pipelines"))
from livestream.status import drops_in  # noqa: E402

FACTORY = {"vqueue": "prioqueue", "aqueue": "prioqueue", "gop": "gopbuffer",
           "avs": "avsync", "dash": "dashlivesink"}


def first_segment_wall(mpd_path):
    """wall-clock time (s since the epoch) of the start of the first video
    segment: availabilityStartTime + its presentation time"""
    try:
        root = ET.parse(mpd_path).getroot()
        ast = datetime.fromisoformat(
            root.get("availabilityStartTime").replace("Z", "+00:00"))
    except (OSError, ET.ParseError, AttributeError, ValueError):
        return None
    r = sb.video_timeline(mpd_path)
    if not r or not r[0]:
        return None
    return ast.timestamp() + r[0][0][0] / r[1]


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__[__doc__.index("\n"):])
    ap.add_argument("--publishers", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--ladder", default="240p")
    ap.add_argument("--segment-duration", type=float, default=2.0)
    ap.add_argument("--grace-period", type=float, default=10.0)
    ap.add_argument("--dvr-window", type=float, default=120.0)
    ap.add_argument("--first-restart", type=float, default=30)
    ap.add_argument("--restart-every", type=float, default=30)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--down", type=float, default=2.0)
    ap.add_argument("--sender", choices=("file", "live"), default="file")
    ap.add_argument("--max-rss-growth", type=float, default=0.10)
    ap.add_argument("--keep", default=None, metavar="DIR",
                    help="keep the server's log, the MPDs and segments here")
    args = ap.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed")
    if args.down >= args.grace_period:
        sys.exit("--down must be shorter than --grace-period")
    total = args.minutes * 60
    n = args.publishers
    # round r, publisher k: (time, k); a dict would keep one per publisher
    restarts = [(args.first_restart + (r * n + k) * args.restart_every, k)
                for r in range(args.rounds) for k in range(n)]
    restarts = [(t, k) for t, k in restarts if t + args.down < total - 10]
    if len(restarts) < n * args.rounds:
        sb.log(f"warning: only {len(restarts)} of {n * args.rounds} "
               f"restarts fit in {args.minutes:g} min")
    # memory is compared from the end of the first round (each stream's
    # first reconnect costs it about 4 MiB once) and a full DVR window on
    first_round_end = max((t for t, k in restarts[:n]), default=0)
    baseline_at = max(first_round_end + args.down + 10, args.dvr_window + 10)
    tmp = args.keep or tempfile.mkdtemp(prefix="server-soak-")
    os.makedirs(tmp, exist_ok=True)
    seg = args.segment_duration
    source = None
    if args.sender == "file":
        source = sb.make_source(os.path.join(tmp, "src.ts"), total + 90)
    srt, http = sb.free_udp_port(), sb.free_tcp_port()
    base = f"http://127.0.0.1:{http}"
    api = base + "/api/v1"
    out = os.path.join(tmp, "out")
    ids = [f"cam{k + 1}" for k in range(n)]
    mpds = {i: os.path.join(out, i, "manifest.mpd") for i in ids}
    sb.log(f"server-soak: {os.cpu_count()} cores, {n} publishers, "
           f"{args.minutes:g} min, ladder {args.ladder}, {seg:g} s segments, "
           f"grace {args.grace_period:g} s, publishers: {args.sender}; "
           f"load average {sb.loadavg()}")
    server = sb.Proc([sb.SERVER, "--srt-port", str(srt), "--http-port",
                      str(http), "-o", out, "--ladder", args.ladder,
                      "--segment-duration", str(seg),
                      "--dvr-window", str(args.dvr_window),
                      "--grace-period", str(args.grace_period),
                      "--status-interval", "10"],
                     os.path.join(tmp, "server.log"))
    senders = {}
    failures = []
    rc = "not stopped"
    samples = []
    first = {}
    seen = {i: {} for i in ids}         # stream -> {t: d} (its timescale)
    scale = {}

    def merge():
        for i in ids:
            r = sb.video_timeline(mpds[i])
            if r:
                seen[i].update(r[0])
                scale[i] = r[1]
                typ[i] = r[2]
    typ = {}
    stats, per, ing, stop_s = {}, {}, {}, 0.0

    def start_sender(i, gen):
        senders[i] = sb.Proc(sb.sender_cmd(srt, i, source, seconds=total + 60),
                             os.path.join(tmp, f"send-{i}.{gen}.log"))
    try:
        if not server.wait_for("listening for SRT", 30):
            sys.exit("the server did not start:\n" + server.log_text())
        for k, i in enumerate(ids):
            if k:
                time.sleep(sb.SENDER_SPACING)     # the per-address rate
            start_sender(i, 0)
        end = time.monotonic() + 60
        while time.monotonic() < end and not all(
                (sb.video_timeline(mpds[i]) or [[]])[0] for i in ids):
            time.sleep(0.5)
        t_start = time.monotonic()
        # (the final MPD is static: no availabilityStartTime)
        first.update({i: first_segment_wall(mpds[i]) for i in ids})
        sb.log(f"  {len(ids)} streams started; restarts at "
               + ", ".join(f"cam{k + 1} {t:.0f} s ({'TERM' if k % 2 == 0 else 'KILL'})"
                           for t, k in restarts))
        pending = list(restarts)
        down = {}
        next_sample = 0.0
        next_report = 60.0
        while True:
            now = time.monotonic() - t_start
            if now >= total:
                break
            if not server.alive():
                failures.append(f"the server exited at {now:.0f} s "
                                f"(code {server.p.returncode})")
                break
            for t, k in list(pending):
                if now >= t and ids[k] not in down:
                    i = ids[k]
                    sig = signal.SIGTERM if k % 2 == 0 else signal.SIGKILL
                    senders[i].stop(sig, 5)
                    down[i] = (now + args.down, k)
                    pending.remove((t, k))
                    sb.log(f"  {now:5.0f} s: {i} publisher stopped "
                           f"({signal.Signals(sig).name})")
            for i, (t, k) in list(down.items()):
                if now >= t:
                    start_sender(i, 1)
                    del down[i]
                    sb.log(f"  {now:5.0f} s: {i} publisher started again")
            if now >= next_sample:
                merge()
                pids = sb.tree([server.pid])
                rss, pss = sb.memory(pids)
                st = sb.http_json(api + "/stats") or {}
                samples.append((now, rss, pss, sb.cpu_seconds(pids),
                                st.get("streams"), sb.loadavg()))
                next_sample += 10
            if now >= next_report:
                t, rss, pss, cpu, streams, load = samples[-1]
                prev = samples[-7] if len(samples) >= 7 else samples[0]
                c = (cpu - prev[3]) / max(t - prev[0], 1)
                sb.log(f"  {t:5.0f} s: streams {streams}, rss "
                       f"{sb.fmt_mib(rss)} MiB, pss {sb.fmt_mib(pss)} MiB, "
                       f"cpu {100 * c:.0f} % of a core, load {load}")
                next_report += 60
            time.sleep(0.2)
        # the counters, publishers still sending
        stats = sb.http_json(api + "/stats") or {}
        per = {}
        for i in ids:
            info = sb.http_json(f"{api}/streams/{i}") or {}
            st = sb.http_json(f"{api}/stats/streams/{i}") or {}
            per[i] = {
                "state": info.get("state"),
                "connections": info.get("connections"),
                "srt": info.get("srt") or {},
                "quality_changes": info.get("quality_changes"),
                "drops": {k: d for k, d in (
                    (k, drops_in(FACTORY.get(k, ""), v))
                    for k, v in (st.get("elements") or {}).items()) if d}}
        met = sb.metrics(base + "/metrics")
        ing = {k.split("{")[0][len("livestream_srtingestsrc_"):]: v
               for k, v in met.items()
               if k.startswith("livestream_srtingestsrc_callers_") and
               "stream=" not in k}
        t_stop_wall = time.time()
        t0 = time.monotonic()
        rc = server.stop(signal.SIGINT, 45)
        stop_s = time.monotonic() - t0
    finally:
        for s in senders.values():
            s.stop(signal.SIGTERM, 5)
        if server.alive():
            server.stop(signal.SIGKILL, 5)

    # --- results --------------------------------------------------------------
    sb.log(f"\nload average at the end: {sb.loadavg()}")
    if rc != 0:
        failures.append(f"exit status after SIGINT: {rc}")
    sb.log(f"SIGINT: exit status {rc}, {stop_s:.1f} s to stop")
    sb.log(f"/api/v1/stats: streams {stats.get('streams')}, callers accepted "
           f"{stats.get('callers_accepted')}, refused {stats.get('refused')} "
           f"{ {k: v for k, v in (stats.get('refused_by_reason') or {}).items() if v} }, "
           f"refused_memory_budget {stats.get('refused_memory_budget')}, "
           f"quality_degraded {stats.get('quality_degraded')}, cpu "
           f"{stats.get('cpu_percent_avg')} % average")
    sb.log("srtingestsrc: " + ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(ing.items())))
    sb.log("| stream | segments | expected (wall) | gaps | MPD | "
           "connections | SRT lost/dropped pkts | drops | quality changes |")
    sb.log("|---|---|---|---|---|---|---|---|---|")
    merge()
    for i in ids:
        tl, ts = sorted(seen[i].items()), scale.get(i, 1)
        expected = (t_stop_wall - first.get(i)) / seg if first.get(i) else 0
        gaps = sb.timeline_gaps(tl, ts)
        old = [d for d in os.listdir(out) if d.startswith(i + ".")] \
            if os.path.isdir(out) else []
        p = per.get(i, {})
        srtc = p.get("srt", {})
        sb.log(f"| {i} | {len(tl)} | {expected:.1f} | "
               f"{len(gaps)}{' ' + str(gaps) if gaps else ''} | "
               f"{typ.get(i)} | "
               f"{p.get('connections')} | {srtc.get('packets-lost')}/"
               f"{srtc.get('packets-dropped')} | {p.get('drops') or 0} | "
               f"{p.get('quality_changes')} |")
        if gaps:
            failures.append(f"{i}: gaps in the timeline {gaps}")
        if not first.get(i) or len(tl) < expected - 1.5:
            failures.append(f"{i}: {len(tl)} segments, {expected:.1f} "
                            "expected")
        if typ.get(i) != "static":
            failures.append(f"{i}: the MPD is {typ.get(i)}, not static")
        k = ids.index(i)
        if any(k == r for _t, r in restarts) and \
                (p.get("connections") or 0) < 2:
            failures.append(f"{i}: {p.get('connections')} connection(s) "
                            "after a reconnect")
        if old:
            failures.append(f"{i}: a new stream after the reconnect "
                            f"({', '.join(old)})")
    steady = [s for s in samples if s[0] >= baseline_at] or samples
    if steady:
        a, b = steady[0], steady[-1]
        peak = max(s[1] for s in steady)
        grow = (b[1] - a[1]) / a[1] if a[1] else 0
        sb.log(f"memory: RSS {sb.fmt_mib(a[1])} MiB at {a[0]:.0f} s, "
               f"{sb.fmt_mib(b[1])} MiB at {b[0]:.0f} s ({100 * grow:+.1f} "
               f"%), peak {sb.fmt_mib(peak)} MiB; Pss {sb.fmt_mib(a[2])} -> "
               f"{sb.fmt_mib(b[2])} MiB")
        sb.log("RSS every minute (MiB): " + " ".join(
            sb.fmt_mib(s[1]) for s in samples[::6]))
        cpu = (b[3] - a[3]) / max(b[0] - a[0], 1)
        sb.log(f"server CPU {100 * cpu:.0f} % of one core "
               f"({100 * cpu / n:.1f} % per stream)")
        if grow > args.max_rss_growth:
            failures.append(f"RSS grew by {100 * grow:.0f} %")
    if failures:
        sb.log("FAIL:\n  " + "\n  ".join(failures))
    else:
        sb.log("PASS: no lost segment, every publisher continued its "
               f"stream, RSS within +{100 * args.max_rss_growth:.0f} %, "
               "clean stop")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
