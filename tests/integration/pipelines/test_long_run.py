#!/usr/bin/python3
# One hour of media through the non-live variant of srt-to-dash, faster
# than real time, with memory and disk bounded.
#
# ffmpeg writes an hour of small testsrc2 + tone as H.264/AAC MPEG-TS (about
# 60 MB, ~15 s); srt-to-dash --input-file reads it as fast as it can through
# the same elements as live (prioqueue in block mode, gopbuffer, avsync on
# the media reference, decode, a two-rung ladder, AAC, dashlivesink with a
# 60 s DVR window). Sampled every second: the runner's resident memory and
# the output directory's size. Checked:
#  - it finishes (EOS) with exit 0 in less than the media duration;
#  - memory flat: the peak RSS of the last half-hour within 10 % (+8 MB) of
#    the first half-hour's peak;
#  - disk flat: the output directory never outgrows the DVR window's share
#    of the bitrate by more than 3x, and ends small;
#  - segments written for the whole hour; the final MPD's timeline is
#    continuous, identical across rungs, and audio ends within 100 ms of
#    the video; avsync saw no drift to correct.
import os
import shutil
import subprocess
import time

import lslib
from lslib import check, log

HOUR = 3600
SEG = 2.0
DVR = 60


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def main():
    lslib.require_elements("dashlivesink", "x264enc", "tsdemux")
    lslib.require_tools("ffmpeg")
    work = lslib.tmpdir("long")
    src = os.path.join(work, "hour.ts")
    out = os.path.join(work, "out")
    t0 = time.monotonic()
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel",
                    "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=192x108:rate=10", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=16000", "-t", str(HOUR),
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "20",
                    "-b:v", "60k", "-c:a", "aac", "-b:a", "24k", "-ac", "1",
                    src], check=True, timeout=200)
    log(f"generated {os.path.getsize(src) / 1e6:.0f} MB of MPEG-TS in "
        f"{time.monotonic() - t0:.1f} s")

    r = lslib.Runner("srt-to-dash", [
        "--input-file", src, "--http-port", "0", "--output", out,
        "--ladder", "a=192x108@80k,b=128x72@40k", "--aac-rate", "16000",
        "--aac-channels", "1", "--audio-bitrate", "24",
        "--segment-duration", str(SEG), "--chunk-duration", "0",
        "--dvr-window", str(DVR)], status_interval=5)
    samples = []
    start = time.monotonic()
    while r.proc.poll() is None and time.monotonic() - start < 250:
        samples.append((time.monotonic() - start, rss_kb(r.proc.pid),
                        du(out)))
        time.sleep(1)
    rc = r.wait(30)
    wall = time.monotonic() - start
    check(rc == 0, f"EOS and exit 0 after {wall:.0f} s for {HOUR} s of media "
          f"({HOUR / wall:.0f}x real time)")
    check(r.final is not None and r.final.get("mpd_static"),
          "the MPD was finalised")
    samples = [s for s in samples if s[1] is not None]
    half = len(samples) // 2
    first = max(s[1] for s in samples[:half]) / 1024
    last = max(s[1] for s in samples[half:]) / 1024
    check(last <= first * 1.10 + 8,
          f"memory flat: peak RSS {first:.0f} MB in the first half, "
          f"{last:.0f} MB in the second")
    peak_disk = max(s[2] for s in samples) / 1e6
    # (80 + 40 + 24) kbit/s for the DVR window plus a segment of grace
    window = (80 + 40 + 24) * 1000 / 8 * (DVR + 3 * SEG) / 1e6
    final_disk = du(out) / 1e6
    check(peak_disk <= window * 3 + 1,
          f"disk flat: at most {peak_disk:.1f} MB on disk (the {DVR} s "
          f"window is ~{window:.1f} MB); {final_disk:.1f} MB at the end")
    dash = r.final["stats"].get("dash") or {}
    written = dash.get("segments-written", r.final["segments"])
    check(written >= 3 * (HOUR / SEG) * 0.98,
          f"{written} segments written for the hour (3 representations)")
    mpd = lslib.Mpd(os.path.join(out, "manifest.mpd"))
    video = mpd.representations("video")
    tls = [mpd.timeline(a, rep) for _, a, rep in video]
    check(len(tls) == 2 and tls[0] == tls[1], "final MPD: identical "
          "timelines across the two rungs")
    tl = tls[0]
    ts = mpd.timescale(video[0][1], video[0][2])
    check(all(tl[i + 1][0] == tl[i][0] + tl[i][1] for i in range(len(tl) - 1)),
          f"final MPD: continuous timeline of {len(tl)} segments in the "
          "window")
    # media time is UTC: the hour is counted from the run's first segment
    origin = r.final.get("media_start")
    check(origin is not None and origin > 1e9,
          f"the run's media starts at {origin} s on the UTC timeline")
    vend = (tl[-1][0] + tl[-1][1]) / ts - origin
    check(abs(vend - HOUR) < 2 * SEG, f"video ends at {vend:.1f} s")
    (_, aa, arep), = mpd.representations("audio")
    atl = mpd.timeline(aa, arep)
    aend = (atl[-1][0] + atl[-1][1]) / mpd.timescale(aa, arep) - origin
    check(abs(aend - vend) < 0.1, f"audio ends {abs(aend - vend) * 1000:.0f} "
          "ms from the video")
    avs = r.final["stats"].get("avs") or {}
    if avs:
        check(abs(avs.get("offset", 0)) < 20_000_000 and
              avs.get("resets", 0) == 0,
              f"avsync (media reference) offset {avs.get('offset', 0) / 1e6:.1f}"
              f" ms, drift {avs.get('drift-ppm', 0):.1f} ppm, no reset")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
