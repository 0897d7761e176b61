#!/usr/bin/python3
# Redundant producers (issue 19): two srt-to-dash runs with --epoch-lock,
# fed the same source (one ffmpeg encoder, its MPEG-TS carried to each
# listener by its own srt-live-transmit), started 6 s apart, write the same
# segment names and timeline, so that an edge can switch between them at
# any segment boundary.
#
# Checks: every segment B lists (its first included) has the same start,
# duration and sample count in A's (DASH S@t/S@d, HLS URI and media
# sequence number), the init segments have the same names (their content:
# same codec configuration); an edge on 127.0.0.1 that serves producer A's
# directory and B's in turn, switching every 10 s, is played by dash.js and
# hls.js (default settings, headless Chromium) for 60 s: no error, no
# reload, playback advancing. Prints the stalls seen and how many segments
# are byte-identical in both (not required: each producer encodes the
# frames it received).

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lslib  # noqa: E402
from lslib import check, log  # noqa: E402

SWITCH = 10             # s between edge switches
WATCH = 60              # s of playback through the edge


def timeline(mpd_path):
    """{(rep, t): (d, name)} of every segment the MPD lists"""
    out = {}
    mpd = lslib.Mpd(mpd_path)
    for _, a, r in mpd.representations():
        files = mpd.segment_files(a, r)[1]
        for (t, d), f in zip(mpd.timeline(a, r), files):
            out[(r.get("id"), t)] = (d, os.path.basename(f))
    return out


def inits(mpd_path):
    with open(mpd_path) as f:
        return sorted(set(re.findall(r'initialization="([^"]+)"', f.read())))


def playlist(path):
    """{uri: media sequence number}"""
    with open(path) as f:
        text = f.read()
    seq = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
    uris = [ln for ln in text.splitlines() if ln.endswith(".m4s")]
    return {u: seq + i for i, u in enumerate(uris)}


def samples(path):
    """Samples and duration of a segment (its trun boxes)"""
    sys.path.insert(0, os.path.join(lslib.HERE, ".."))
    import dashlivesink_check
    chunks = dashlivesink_check.parse_segment(path)
    return sum(len(d) for _, d, _ in chunks), sum(sum(d) for _, d, _ in chunks)


def main():
    lslib.require_tools("ffmpeg", "srt-live-transmit", "node")
    lslib.require_elements("dashlivesink", "srtsrc", "x264enc", "compositor")
    if not lslib.have_players():
        lslib.skip("dash.js / hls.js not installed (scripts/install-npm-tools.sh)")
    dirs = {"A": lslib.tmpdir("redundant-a"), "B": lslib.tmpdir("redundant-b")}
    ports = {k: lslib.free_udp_port() for k in dirs}
    load0 = os.getloadavg()[0]

    def run(k):
        return lslib.Runner("srt-to-dash", [
            "--srt-port", str(ports[k]), "--http-port", "0", "-o", dirs[k],
            "--ladder", "240p", "--epoch-lock", "--chunk-duration", "0"])

    runs = {"A": run("A")}
    sender = lslib.SenderLoop([ports["A"], ports["B"]])
    t0 = time.monotonic()
    edge = lslib.MediaServer(
        lambda: dirs["AB"[int((time.monotonic() - t0) // SWITCH) % 2]])
    try:
        time.sleep(6)
        runs["B"] = run("B")
        end = time.monotonic() + 40
        while time.monotonic() < end:
            if all(len([n for n in os.listdir(d) if n.startswith("video_0-")
                        and n.endswith(".m4s")]) >= 4 for d in dirs.values()):
                break
            time.sleep(0.2)
        # the edge switches every SWITCH s from t0 on: B has its segments
        # by the time the edge first serves it
        viewers = lslib.Viewers({
            "dashjs": edge.page("dashjs", "/live/manifest.mpd"),
            "hlsjs": edge.page("hlsjs", "/live/master.m3u8"),
        }, seconds=WATCH + 15)
        check(viewers.wait_playing(1, 40), "both players play through the edge")
        started = time.time()
        time.sleep(WATCH)
        viewers.wait(30)
        judged = {n: viewers.judge(n, started) for n in viewers.samples}
        rcs = {k: r.interrupt(30) for k, r in runs.items()}
        load1 = os.getloadavg()[0]
    finally:
        sender.stop()
        edge.stop()
        lslib.cleanup()
    check(all(rc == 0 for rc in rcs.values()), f"both producers stop cleanly {rcs}")

    # --- the same names, timeline and init segments ----------------------
    mpds = {k: os.path.join(d, "manifest.mpd") for k, d in dirs.items()}
    tl = {k: timeline(p) for k, p in mpds.items()}
    check(inits(mpds["A"]) == inits(mpds["B"]),
          f"the same init segments {inits(mpds['A'])}")
    last = {}
    for k in tl:
        for (rep, t) in tl[k]:
            last[(k, rep)] = max(last.get((k, rep), t), t)
    common = identical = 0
    for (rep, t), (d, name) in sorted(tl["B"].items()):
        # the last ones (cut at each one's EOS); B's first is one of A's
        # (a producer on a clock grid starts at a keyframe on the grid)
        if t >= min(last[("A", rep)], last[("B", rep)]):
            continue
        if (rep, t) not in tl["A"]:
            near = sorted(ta for (ra, ta) in tl["A"] if ra == rep and
                          abs(ta - t) < 10 * d)
            first_b = min(tb for (rb, tb) in tl["B"] if rb == rep)
            log(f"{name}: B's {rep} segments start at {first_b}; A's near "
                f"it: {near}")
        check((rep, t) in tl["A"], f"{name} of B is one of A's")
        da, na = tl["A"][(rep, t)]
        check(da == d and na == name, f"{name}: same name and duration "
              f"({da} / {d})")
        sa = samples(os.path.join(dirs["A"], name))
        sb = samples(os.path.join(dirs["B"], name))
        check(sa == sb, f"{name}: same samples and duration {sa} / {sb}")
        with open(os.path.join(dirs["A"], name), "rb") as fa, \
                open(os.path.join(dirs["B"], name), "rb") as fb:
            identical += fa.read() == fb.read()
        common += 1
    check(common >= 2 * 10, f"{common} segments in both")
    for pl in ("video_0.m3u8", "audio_0.m3u8"):
        pa = playlist(os.path.join(dirs["A"], pl))
        pb = playlist(os.path.join(dirs["B"], pl))
        both = set(pa) & set(pb)
        check(len(both) >= 10 and all(pa[u] == pb[u] for u in both),
              f"{pl}: {len(both)} URIs in both, with the same media "
              "sequence numbers")

    # --- players through the switching edge ------------------------------
    result = {"common_segments": common, "byte_identical": identical,
              "edge_requests": edge.requests,
              "edge_404": edge.not_found[:5], "viewers": judged,
              "load": [round(load0, 1), round(load1, 1)]}
    log("RESULT " + json.dumps(result))
    for name, j in judged.items():
        check(j["reloads"] == 0, f"{name}: no reload")
        check(not j["errors"] and j["fatal"] == 0,
              f"{name}: no error across {WATCH // SWITCH} switches "
              f"{j['errors'][:3]}")
        check(j["advancing"] and j["played"] > WATCH * 0.8,
              f"{name}: played {j['played']:.1f} s of {j['wall']:.1f} s "
              f"({j['stalls']} stalls, longest freeze "
              f"{j['longest_freeze']} s)")
    log("PASS")


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
