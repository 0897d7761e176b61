#!/usr/bin/python3
# rtp-to-dash behind an impaired network.
#
# Debian's ffmpeg sends H.264 (RTP payload 96) and Opus (97) with RTCP; the
# video goes through a small UDP proxy on loopback that delays 5 % of the
# packets by 5-40 ms (so they arrive out of order) and drops 1 %. Checked:
#  - rtpbin's SSRCs are logged;
#  - chunkreorder's stats show the reordering it handled and the losses it
#    signalled, matching what the proxy did;
#  - SIGINT: exit 0, final MPD; every rung's segments decode without errors
#    (the losses are concealed by the decoder before the encoders, the
#    rtp default --on-loss conceal: the output has every frame);
#    GStreamer's playbin3 plays the MPD.
import os
import shutil
import subprocess

import lslib
from lslib import check, log

SEND = 10
FPS = 30


def main():
    lslib.require_elements("dashlivesink", "chunkreorder", "rtpbin",
                           "x264enc", "rtpopusdepay", "opusdec")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("rtp")
    vport = lslib.free_udp_port()
    aport = lslib.free_udp_port((vport,))
    proxy_port = lslib.free_udp_port((vport, aport))
    r = lslib.Runner("rtp-to-dash", [
        "--video-port", str(vport), "--audio-port", str(aport),
        "--http-port", "0", "--output", out, "--ladder", "480p,240p",
        "--segment-duration", "1", "--chunk-duration", "0",
        "--dvr-window", "0"])
    check(r.wait_for_line("listening for RTP", 15), "rtp-to-dash listens")
    proxy = lslib.UdpImpair(proxy_port, vport, delay_prob=0.05,
                            delay_ms=(5, 40), drop_prob=0.01, seed=7)
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
           "-re", "-t", str(SEND), "-f", "lavfi", "-i",
           f"testsrc2=size=640x360:rate={FPS}",
           "-re", "-t", str(SEND), "-f", "lavfi", "-i",
           "sine=frequency=1000:sample_rate=48000",
           "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast",
           "-tune", "zerolatency", "-g", str(FPS), "-b:v", "1500k",
           "-pix_fmt", "yuv420p", "-payload_type", "96", "-f", "rtp",
           f"rtp://127.0.0.1:{proxy_port}?pkt_size=1200",
           "-map", "1:a", "-c:a", "libopus", "-b:a", "64k",
           "-payload_type", "97", "-f", "rtp", f"rtp://127.0.0.1:{aport}"]
    log("$ " + " ".join(cmd))
    sender = lslib.spawn(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    rc = sender.wait(SEND + 20)
    check(rc == 0, f"ffmpeg sent {SEND} s of RTP (exit {rc}: "
          f"{sender.stderr.read().strip()[-300:]})")
    check(r.wait_for_line("video stream SSRC", 2) and
          r.wait_for_line("audio stream SSRC", 2),
          "the video and audio SSRCs are logged")
    # let the last reordered packets and segments through
    r.wait_until(lambda s: False, 2.5)
    proxy.stop()
    log(f"proxy: {proxy.stats}")
    st = r.latest()["stats"].get("video_reorder") or {}
    log(f"chunkreorder (video): {st}")
    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit (exit code {rc})")
    check(r.final is not None and r.final.get("mpd_static") is True,
          "the MPD was finalised (static)")
    st = r.final["stats"].get("video_reorder") or st
    check(st.get("reordered", 0) >= proxy.stats["delayed"] * 0.5,
          f"chunkreorder reordered {st.get('reordered')} packets "
          f"(the proxy delayed {proxy.stats['delayed']})")
    check(st.get("max-reorder-distance", 0) >= 2,
          f"max reorder distance {st.get('max-reorder-distance')}")
    lost = st.get("lost", 0)
    dropped = proxy.stats["dropped"]
    check(dropped * 0.7 <= lost <= dropped * 1.5 + 3,
          f"chunkreorder signalled {lost} lost packets (the proxy dropped "
          f"{dropped})")
    check(st.get("late", 0) <= proxy.stats["delayed"] * 0.25,
          f"few packets came too late for the 50 ms timeout "
          f"({st.get('late')})")
    gop = r.final["stats"].get("gop") or {}
    check(gop.get("src-dropped", 0) == 0, "--on-loss conceal (the RTP "
          "default): gopbuffer froze nothing, the decoder concealed the "
          "losses")
    errors = [ln for ln in r.lines if "error:" in ln]
    check(not errors, f"no pipeline error ({errors[:3]})")

    mpd = lslib.Mpd(os.path.join(out, "manifest.mpd"))
    video = mpd.representations("video")
    check(len(video) == 2 and mpd.representations("audio"),
          "MPD lists both rungs and the audio")
    for pi, a, rep in video:
        init, media = mpd.segment_files(a, rep)
        frames, errs, warns = lslib.decode_segments(init, media)
        dur = sum(d for _, d in mpd.timeline(a, rep)) / mpd.timescale(a, rep)
        check(not errs and frames >= (dur - 0.5) * FPS * 0.95,
              f"{rep.get('id')}: {len(media)} segments decode: {frames} "
              f"frames for {dur:.1f} s, errors {errs}, warnings {warns[:2]}")
    res = lslib.play_with_gstreamer(os.path.join(out, "manifest.mpd"))
    check(not res["errors"] and res["video"] > (SEND - 3) * FPS and
          res["audio"] > 0, f"playbin3 ({', '.join(res['demux'])}) plays it: "
          f"{res['video']} video frames, {res['audio']} audio buffers")
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
