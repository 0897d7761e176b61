#!/usr/bin/python3
# srt-to-dash survives a sender that disconnects and reconnects.
#
# Debian's ffmpeg (libsrt) sends 8 s of testsrc2 + a tone as H.264/AAC in
# MPEG-TS over SRT (stream id "first"), stops, and 2 s later a new ffmpeg
# connects (stream id "second") for 8 s more. Checked:
#  - both stream ids are logged, the disconnect is logged, the pipeline keeps
#    running and segments keep being published after the reconnect;
#  - Ctrl-C (SIGINT): exit 0, the MPD is final (static);
#  - the MPD: every rung and the audio, S@t identical across the video
#    representations, a continuous timeline (no gap, no overlap: while the
#    sender is away the live compositor repeats the last picture and the
#    audiomixer plays silence) covering both sessions;
#  - every video representation's segments decode (qtdemux + avdec_h264)
#    without errors; GStreamer's playbin3 plays the MPD with dashdemux2 and
#    with the older dashdemux; dash.js
#    in headless Chromium plays it to the end without errors.
import os
import shutil
import subprocess
import time

import lslib
from lslib import check, log

SEND = 8
FPS = 30


def main():
    lslib.require_elements("dashlivesink", "srtsrc", "x264enc", "tsdemux")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("srt")
    port = lslib.free_udp_port()
    r = lslib.Runner("srt-to-dash", [
        "--srt-port", str(port), "--http-port", "0", "--output", out,
        "--ladder", "480p,240p", "--segment-duration", "1",
        "--chunk-duration", "0", "--dvr-window", "0"])
    check(r.wait_for_line("listening for SRT", 15), "srt-to-dash listens")

    s1 = lslib.ffmpeg_srt_sender(port, SEND, "first", fps=FPS)
    rc1 = s1.wait(SEND + 20)
    check(rc1 == 0, f"first ffmpeg sender ran {SEND} s (exit {rc1}: "
          f"{s1.stderr.read().strip()[-300:]})")
    check(r.wait_for_line("stream id 'first'", 5), "stream id 'first' logged")
    check(r.wait_for_line("disconnected", 10), "the disconnect is logged")
    st = r.wait_until(lambda s: s["segments"] > 0, 10)
    check(st is not None, "segments published during the first session")
    n1 = r.latest()["segments"]
    time.sleep(2)
    check(r.proc.poll() is None, "srt-to-dash still running after the "
          "sender left")

    s2 = lslib.ffmpeg_srt_sender(port, SEND, "second", fps=FPS)
    rc2 = s2.wait(SEND + 20)
    check(rc2 == 0, f"second ffmpeg sender ran {SEND} s")
    check(r.wait_for_line("stream id 'second'", 5), "stream id 'second' "
          "logged")
    st = r.wait_until(lambda s: s["segments"] >= n1 + 3 * 4, 10)
    check(st is not None, f"segments continue after the reconnect ({n1} -> "
          f"{r.latest()['segments']}; 3 representations)")

    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit (exit code {rc})")
    check(r.final is not None and r.final.get("mpd_static") is True,
          "the MPD was finalised (static)")

    mpd = lslib.Mpd(os.path.join(out, "manifest.mpd"))
    check(mpd.type == "static", "MPD type=static")
    video = mpd.representations("video")
    audio = mpd.representations("audio")
    heights = sorted({int(rep.get("height")) for _, _, rep in video})
    check(heights == [240, 480], f"video representations 480p and 240p "
          f"({heights})")
    check(len(audio) >= 1, "an audio representation")
    total = 0.0
    for pi, period in enumerate(mpd.periods()):
        vreps = [(a, rep) for p_, a, rep in video if p_ == pi]
        tls = [mpd.timeline(a, rep) for a, rep in vreps]
        check(all(t == tls[0] for t in tls), f"period {pi}: S@t and S@d "
              "identical across the video representations")
        tl = tls[0]
        ts = mpd.timescale(*vreps[0])
        ok = all(tl[i + 1][0] >= tl[i][0] + tl[i][1] for i in range(len(tl) - 1))
        gaps = [(tl[i + 1][0] - tl[i][0] - tl[i][1]) / ts
                for i in range(len(tl) - 1)
                if tl[i + 1][0] != tl[i][0] + tl[i][1]]
        check(ok, f"period {pi}: the timeline never overlaps "
              f"({len(tl)} segments, gaps {['%.2f' % g for g in gaps]})")
        check(not gaps, "continuous timeline: no gap at the reconnect (the "
              "live compositor/audiomixer kept the output going)")
        total += sum(d for _, d in tl) / ts
    check(total >= 2 * SEND - 4, f"the media covers both sessions "
          f"({total:.1f} s of {2 * SEND} s sent)")

    for pi, a, rep in video:
        init, media = mpd.segment_files(a, rep)
        frames, errors, warns = lslib.decode_segments(init, media)
        dur = sum(d for _, d in mpd.timeline(a, rep)) / mpd.timescale(a, rep)
        check(not errors and frames >= (dur - 1) * FPS * 0.9,
              f"{rep.get('id')}: {len(media)} segments decode, {frames} "
              f"frames for {dur:.1f} s, errors {errors}")

    res = lslib.play_with_gstreamer(os.path.join(out, "manifest.mpd"))
    log(f"playbin3: {res}")
    check(not res["errors"] and res["video"] >= (total - 2) * FPS * 0.8 and
          res["audio"] > 0, f"GStreamer ({', '.join(res['demux'])}) plays "
          f"the MPD: {res['video']} video frames, {res['audio']} audio "
          "buffers, no error")

    res = lslib.play_with_gstreamer(os.path.join(out, "manifest.mpd"),
                                    legacy=True)
    log(f"playbin with dashdemux: {res}")
    check(not res["errors"] and res["video"] >= (total - 2) * FPS * 0.8 and
          "dashdemux" in res["demux"], f"GStreamer's older dashdemux plays "
          f"it too: {res['video']} video frames, no error")

    node = shutil.which("node")
    if node is None:
        lslib.skip("node not installed: the dash.js check was not run "
                   "(everything else passed)")
    p = subprocess.run([node, os.path.join(lslib.HERE, "play-dashjs.mjs"),
                        "--dir", out, "--rate", "4", "--timeout", "60"],
                       capture_output=True, text=True, timeout=120)
    log(p.stdout.strip())
    if p.returncode == 77:
        lslib.skip("dash.js check not run: " + p.stdout.strip() +
                   " (everything else passed)")
    import json
    res = json.loads(p.stdout.strip().splitlines()[-1])
    check(p.returncode == 0 and not res["errors"] and res["ended"] and
          res["played"] >= total - 1.0,
          f"dash.js plays the recording to the end, across the reconnect "
          f"({res['played']:.1f} s played, {total:.1f} s of media, player "
          f"duration {res['duration']:.1f} s, errors {res['errors']}, "
          f"representations {res['representations']})")
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
