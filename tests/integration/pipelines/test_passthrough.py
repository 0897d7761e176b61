#!/usr/bin/python3
# passthrough: the sender's H.264 + AAC repackaged into DASH untouched.
#
# Debian's ffmpeg sends 8 s over SRT (1 s GOPs, baseline profile); checked:
# one video representation with the sender's size and codec string (no
# transcoding), the AAC audio, segments on the sender's keyframes that
# decode on their own, the runner's CPU far below the transcoding
# pipelines', SIGINT: exit 0 and a static MPD that playbin3 plays.
import os
import shutil

import lslib
from lslib import check, log

SEND = 8
FPS = 30


def main():
    lslib.require_elements("dashlivesink", "srtsrc", "tsdemux")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("pass")
    port = lslib.free_udp_port()
    r = lslib.Runner("passthrough", [
        "--input", "srt", "--srt-port", str(port), "--http-port", "0",
        "--output", out, "--segment-duration", "1", "--chunk-duration", "0",
        "--dvr-window", "0"])
    check(r.wait_for_line("listening for SRT", 15), "passthrough listens")
    s = lslib.ffmpeg_srt_sender(port, SEND, "pass", size="640x360", fps=FPS,
                                gop=FPS, extra_video=("-profile:v",
                                                      "baseline"))
    check(s.wait(SEND + 20) == 0, "ffmpeg sent the stream")
    r.wait_until(lambda st: False, 1.5)
    rc = r.interrupt(30)
    check(rc == 0 and r.final and r.final.get("mpd_static"),
          f"SIGINT: exit {rc}, static MPD")
    cpu = r.final["cpu_total_s"]
    check(cpu < 0.25 * SEND, f"no transcoding: {cpu:.2f} s CPU for {SEND} s")
    mpd = lslib.Mpd(os.path.join(out, "manifest.mpd"))
    video = mpd.representations("video")
    check(len(video) == 1, "one video representation")
    _, a, rep = video[0]
    check((rep.get("width"), rep.get("height")) == ("640", "360") and
          rep.get("codecs", "").lower().startswith("avc1.42"),
          f"the sender's size and profile: {rep.get('width')}x"
          f"{rep.get('height')} {rep.get('codecs')}")
    check(mpd.representations("audio")[0][2].get("codecs") == "mp4a.40.2",
          "AAC audio passed through")
    init, media = mpd.segment_files(a, rep)
    for i, seg in enumerate(media):
        frames, errs, _ = lslib.decode_segments(init, [seg], limit=30)
        if errs or frames == 0:
            lslib.fail(f"segment {i + 1} does not decode on its own: {errs}")
    log(f"ok: each of {len(media)} segments starts on a keyframe and decodes")
    res = lslib.play_with_gstreamer(os.path.join(out, "manifest.mpd"))
    check(not res["errors"] and res["video"] >= (SEND - 2) * FPS,
          f"playbin3 plays it ({res['video']} frames)")
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
