#!/usr/bin/python3
# restream: an SRT output added mid-stream starts on a keyframe.
#
# Debian's ffmpeg sends H.264 (2 s GOPs) + AAC over SRT into `restream`,
# which writes DASH (passthrough) and fans the stream out through gopbuffer
# request pads. In the middle of a GOP an SRT output to a listening receiver
# (srtsrc ! tsdemux ! h264parse ! avdec_h264) is added through restream's
# stdin control; then a second one, to a receiver behind a link with 75 ms
# of delay each way (its SRT handshake takes about 300 ms), 0.8 s into a
# GOP. Checked, for both:
#  - the first video access unit the receiver gets is a keyframe, and it
#    decodes its first frame within 1 s of the output being added (with a
#    plain tee it would wait for the next keyframe, up to 2 s, and get delta
#    frames first; with the output linked before its SRT connection was up,
#    srtsink dropped the cached GOP whenever the handshake took longer than
#    the GOP took to pass: the second receiver then waited for the next
#    keyframe, 1.2 s after the add, every time);
#  - the receiver decodes every frame after that with no decoder error, and
#    gets audio;
#  - the outputs are removed again ("remove URI") while the DASH output
#    goes on; SIGINT: exit 0 and a final MPD that GStreamer plays.
import json
import os
import re
import shutil
import subprocess
import time

import lslib
from lslib import check, log

SEND = 20
LINK_DELAY_MS = 75
FPS = 30

RECEIVER = r'''
import sys, json, time, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib
Gst.init(None)
port, limit = int(sys.argv[1]), float(sys.argv[2])
p = Gst.parse_launch(
    f'srtsrc uri="srt://127.0.0.1:{port}?mode=listener" ! tsdemux name=d '
    'd. ! queue ! h264parse name=parse ! avdec_h264 name=dec ! fakesink name=v sync=false '
    'd. ! queue ! aacparse ! fakesink name=a sync=false')
st = {"buffers": 0, "frames": 0, "audio": 0, "first_key": None,
      "first_buffer_t": None, "first_frame_t": None, "errors": [], "warnings": []}
def emit(**kw):
    print(json.dumps(kw), flush=True)
def on_au(pad, info):
    b = info.get_buffer()
    if st["buffers"] == 0:
        st["first_key"] = not b.has_flags(Gst.BufferFlags.DELTA_UNIT)
        st["first_buffer_t"] = time.time()
        emit(event="first-au", key=st["first_key"], t=st["first_buffer_t"])
    st["buffers"] += 1
    return Gst.PadProbeReturn.OK
def on_frame(pad, info):
    if st["frames"] == 0:
        st["first_frame_t"] = time.time()
        emit(event="first-frame", t=st["first_frame_t"])
    st["frames"] += 1
    return Gst.PadProbeReturn.OK
def on_audio(pad, info):
    st["audio"] += 1
    return Gst.PadProbeReturn.OK
p.get_by_name("parse").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_au)
p.get_by_name("v").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_frame)
p.get_by_name("a").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_audio)
loop = GLib.MainLoop()
def on(bus, m):
    if m.type == Gst.MessageType.ERROR:
        st["errors"].append(m.parse_error()[0].message); loop.quit()
    elif m.type == Gst.MessageType.WARNING:
        st["warnings"].append(f"{m.src.get_name()}: {m.parse_warning()[0].message}")
    elif m.type == Gst.MessageType.EOS:
        loop.quit()
    return True
bus = p.get_bus(); bus.add_signal_watch(); bus.connect("message", on)
GLib.timeout_add(int(limit * 1000), loop.quit)
GLib.unix_signal_add(GLib.PRIORITY_HIGH, 15, lambda: loop.quit() or False)
p.set_state(Gst.State.PLAYING)
emit(event="listening")
loop.run()
p.set_state(Gst.State.NULL)
emit(event="done", **st)
'''


def start_receiver(port, limit):
    recv = lslib.spawn(["/usr/bin/python3", "-c", RECEIVER, str(port),
                        str(limit)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(json.loads(recv.stdout.readline()).get("event") == "listening",
          f"a receiver listens on {port}")
    return recv


def first_frame(recv, t_add, what):
    """Reads the receiver's events until its first decoded frame (at most
    8 s); checks the first access unit and the time from the add."""
    events = {}
    end = time.time() + 8
    while time.time() < end and "first-frame" not in events:
        line = recv.stdout.readline()
        if not line:
            break
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        events[ev["event"]] = ev
    check("first-au" in events and events["first-au"]["key"],
          f"{what}: the first access unit the receiver gets is a keyframe")
    dt = events.get("first-frame", {}).get("t", 1e9) - t_add
    log("%s: receiver: first access unit %.0f ms, first frame %.0f ms after "
        "the add" % (what, (events.get("first-au", {}).get("t", 1e9) - t_add)
                     * 1000, dt * 1000))
    check(dt < 1.0, f"{what}: the receiver decoded its first frame "
          f"{dt * 1000:.0f} ms after the output was added")


def receiver_done(recv, what, min_frames):
    recv.send_signal(15)
    line = ""
    for line in recv.stdout:
        if '"done"' in line:
            break
    done = json.loads(line)
    log(f"{what}: receiver: "
        f"{ {k: v for k, v in done.items() if k != 'event'} }")
    check(done["frames"] >= min_frames and not done["errors"] and
          not [w for w in done["warnings"] if "dec" in w],
          f"{what}: the receiver decoded {done['frames']} frames with no "
          "decoder error or warning")
    check(done["audio"] > 0, f"{what}: the receiver got audio "
          f"({done['audio']} buffers)")


def main():
    lslib.require_elements("gopbuffer", "dashlivesink", "srtsrc", "srtsink",
                           "mpegtsmux", "avdec_h264")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("restream")
    port = lslib.free_udp_port()
    rport = lslib.free_udp_port((port,))
    rport2 = lslib.free_udp_port((port, rport))
    lport = lslib.free_udp_port((port, rport, rport2))
    recv = start_receiver(rport, 40)
    recv2 = start_receiver(rport2, 40)
    link = lslib.UdpDelayLink(lport, rport2, LINK_DELAY_MS)
    r = lslib.Runner("restream", [
        "--input", "srt", "--srt-port", str(port), "--http-port", "0",
        "--output", out, "--segment-duration", "2", "--chunk-duration", "0",
        "--dvr-window", "0", "--control"], status_interval=0.1)
    check(r.wait_for_line("listening for SRT", 15), "restream listens")
    s = lslib.ffmpeg_srt_sender(port, SEND, "restream", fps=FPS, gop=2 * FPS)
    check(r.wait_until(lambda st: st["segments"] >= 2, 10) is not None,
          "DASH segments are published")
    # a segment is published when the keyframe after it arrives: seen
    # within 0.1 s, 0.9 s later is the middle of the 2 s GOP. (With a 1 s
    # status interval and 1.3 s the add could land at the next keyframe,
    # a different case: see docs/pipelines.md, restream.)
    time.sleep(0.9)
    uri = f"srt://127.0.0.1:{rport}?mode=caller"
    t_add = time.time()
    t_add_mono = time.monotonic()
    r.send(f"add {uri}")
    check(r.wait_for_line("output 0 srt", 5), "the output is added (stdin "
          "control)")
    first_frame(recv, t_add, "output 0")
    # where the keyframes are: output 0 was linked N ms after one
    phase = None
    for ln in r.lines:
        m = re.search(r"output 0 \S+ added on .*\((\d+) ms after a "
                      r"keyframe\), connected in (\d+) ms", ln)
        if m:
            phase = (int(m.group(1)) - int(m.group(2))) / 1000.0
    check(phase is not None, "restream logs where in the GOP output 0 was "
          "added and how long its connection took")
    # output 1: 0.8 s into a GOP, through the delaying link
    t = t_add_mono - phase + 0.8
    while t < time.monotonic() + 0.05:
        t += 2.0
    time.sleep(t - time.monotonic())
    uri2 = f"srt://127.0.0.1:{lport}?mode=caller"
    t_add2 = time.time()
    r.send(f"add {uri2}")
    check(r.wait_for_line("output 1 srt", 5), "the second output is added")
    first_frame(recv2, t_add2, f"output 1 ({LINK_DELAY_MS} ms away)")
    for ln in r.lines:
        if "output 1 srt" in ln and "added on" in ln:
            log(f"output 1: {ln.split('added on')[1].strip()}")
    time.sleep(3)
    r.send(f"remove {uri}")
    r.send(f"remove {uri2}")
    check(r.wait_for_line(f"output 0 {uri} removed", 5) and
          r.wait_for_line(f"output 1 {uri2} removed", 5),
          "the outputs are removed")
    n = r.latest()["segments"]
    check(r.wait_until(lambda st: st["segments"] > n, 5) is not None,
          "DASH goes on after the outputs left")
    receiver_done(recv, "output 0", 2 * FPS)
    receiver_done(recv2, "output 1", 2 * FPS)
    link.stop()
    log(f"link: {link.stats}")
    s.wait(SEND + 20)
    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit ({rc})")
    check(r.final is not None and r.final.get("mpd_static") is True,
          "the MPD was finalised")
    res = lslib.play_with_gstreamer(os.path.join(out, "manifest.mpd"))
    check(not res["errors"] and res["video"] > (SEND - 4) * FPS,
          f"playbin3 plays the DASH output ({res['video']} frames)")
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
