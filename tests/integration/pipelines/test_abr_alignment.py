#!/usr/bin/python3
# The ABR ladder: every rung in the MPD, segment boundaries identical.
#
# srt-to-dash with the default ladder (720p, 480p, 240p) and low-latency
# chunks (2 s segments of 0.5 s chunks), fed 720p30 by Debian's ffmpeg over
# SRT for 14 s. Checked, on the live (dynamic) MPD while running and on the
# final one:
#  - every rung is a Representation with its size, codec and a bandwidth
#    near its nominal bitrate; the audio is AAC (mp4a.40.2);
#  - S@t and S@d of every segment are identical across the video
#    representations, and every segment but the last lasts the segment
#    duration (the keyframes were forced at the same running times);
#  - each segment of each rung decodes on its own (init + that segment):
#    it starts with a keyframe.
import os
import shutil
import time

import lslib
from lslib import check, log

SEND = 14
FPS = 30
SEG = 2.0


def main():
    lslib.require_elements("dashlivesink", "srtsrc", "x264enc")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("abr")
    port = lslib.free_udp_port()
    r = lslib.Runner("srt-to-dash", [
        "--srt-port", str(port), "--http-port", "0", "--output", out,
        "--segment-duration", str(SEG), "--chunk-duration", "0.5",
        "--dvr-window", "0"])
    check(r.wait_for_line("listening for SRT", 15), "srt-to-dash listens")
    ladder = [(1280, 720, 2500), (854, 480, 1200), (426, 240, 400)]
    s = lslib.ffmpeg_srt_sender(port, SEND, "abr", size="1280x720", fps=FPS,
                                gop=FPS)
    # the live MPD, while running
    live = None
    end = time.monotonic() + SEND + 5
    mpd_path = os.path.join(out, "manifest.mpd")
    while time.monotonic() < end:
        time.sleep(1)
        if os.path.exists(mpd_path):
            m = lslib.Mpd(mpd_path)
            vids = m.representations("video")
            if vids and len(m.timeline(vids[0][1], vids[0][2])) >= 4:
                live = m
                break
    check(live is not None and live.type == "dynamic",
          "a dynamic MPD with 4 segments while live")
    tls = [live.timeline(a, rep) for _, a, rep in live.representations("video")]
    check(len(tls) == 3 and all(t[:4] == tls[0][:4] for t in tls),
          "live MPD: S@t identical across the three video representations")
    rc = s.wait(SEND + 20)
    check(rc == 0, "ffmpeg sent the stream")
    time.sleep(1)
    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit ({rc})")

    mpd = lslib.Mpd(mpd_path)
    check(mpd.type == "static", "final MPD is static")
    video = mpd.representations("video")
    got = sorted(((int(rep.get("width")), int(rep.get("height")),
                   int(rep.get("bandwidth")), rep.get("codecs"))
                  for _, _, rep in video), reverse=True)
    log(f"representations: {got}")
    check([(w, h) for w, h, _, _ in got] == [(w, h) for w, h, _ in ladder],
          "every rung of the ladder is a representation (720p, 480p, 240p)")
    for (w, h, bw, codecs), (_, _, kbps) in zip(got, ladder):
        check(codecs.startswith("avc1.64") and
              kbps * 1000 * 0.5 <= bw <= kbps * 1000 * 1.6,
              f"{h}p: codecs {codecs}, bandwidth {bw} for {kbps} kbps")
    audio = mpd.representations("audio")
    check(len(audio) == 1 and audio[0][2].get("codecs") == "mp4a.40.2",
          "one AAC audio representation")
    tls = [mpd.timeline(a, rep) for _, a, rep in video]
    check(all(t == tls[0] for t in tls),
          f"final MPD: S@t and S@d of all {len(tls[0])} segments identical "
          "across the video representations")
    ts = mpd.timescale(video[0][1], video[0][2])
    durs = [d / ts for _, d in tls[0][:-1]]
    check(all(abs(d - SEG) <= 1.01 / FPS for d in durs),
          f"every segment but the last lasts {SEG} s (+-1 frame): "
          f"{['%.3f' % d for d in durs]}")
    for pi, a, rep in video:
        init, media = mpd.segment_files(a, rep)
        for i, seg in enumerate(media):
            frames, errs, _ = lslib.decode_segments(init, [seg], limit=30)
            d = tls[0][i][1] / ts
            if errs or frames < round(d * FPS) - 1:
                lslib.fail(f"{rep.get('id')} segment {i + 1} does not decode "
                           f"on its own: {frames} frames for {d:.2f} s, "
                           f"errors {errs}")
        log(f"ok: {rep.get('id')}: each of {len(media)} segments decodes on "
            "its own (starts with a keyframe)")
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
