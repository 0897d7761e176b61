#!/usr/bin/python3
# The core plug-in in a process that already has libsoup-2.4 loaded (older
# WebKitGTK, many GNOME applications): libsoup-3 aborts any process that
# loads it beside libsoup-2, so the core elements must not link it.
#
# The test runs itself again with libsoup-2.4 preloaded and a fresh
# registry (so that the plug-in scanner loads both plug-ins beside
# libsoup-2), then checks in that process that
# - libsoup-2.4 is really mapped and libsoup-3.0 is not;
# - chunkreorder, prioqueue, gopbuffer and avsync are in the registry;
# - a pipeline through all four carries every buffer to the end (EOS).

import ctypes.util
import glob
import os
import subprocess
import sys
import tempfile

CHILD = "LS_SOUP2_CHILD"
VIDEO_FRAMES = 60
AUDIO_BUFFERS = 50


def soup2_library():
    for pattern in ("/usr/lib/*/libsoup-2.4.so.1", "/lib/*/libsoup-2.4.so.1"):
        found = glob.glob(pattern)
        if found:
            return found[0]
    return ctypes.util.find_library("soup-2.4")


def parent():
    lib = soup2_library()
    if not lib:
        print("FAIL libsoup-2.4 is not installed (scripts/install-deps.sh "
              "installs libsoup2.4-1)")
        return 1
    with tempfile.TemporaryDirectory(prefix="soup2-") as tmp:
        env = dict(os.environ)
        env[CHILD] = "1"
        # after a sanitizer runtime, which must come first
        env["LD_PRELOAD"] = ((env["LD_PRELOAD"] + ":")
                             if env.get("LD_PRELOAD") else "") + lib
        env["GST_REGISTRY"] = os.path.join(tmp, "registry.bin")
        r = subprocess.run(["/usr/bin/python3", __file__], env=env, timeout=120)
        return r.returncode


def child():
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            failures.append(what)

    Gst.init(None)
    maps = open("/proc/self/maps").read()
    check("libsoup-2.4" in maps, "libsoup-2.4 is loaded in this process")

    for name in ("chunkreorder", "prioqueue", "gopbuffer", "avsync"):
        check(Gst.ElementFactory.find(name) is not None,
              "%s is in the registry beside libsoup-2.4" % name)
    check("libsoup-3.0" not in open("/proc/self/maps").read(),
          "libsoup-3.0 was not loaded into the process")
    if failures:
        return 1

    desc = (
        "videotestsrc num-buffers=%d ! video/x-raw,width=320,height=240,"
        "framerate=30/1 ! chunkreorder seqnum-source=offset ! "
        "x264enc key-int-max=30 speed-preset=ultrafast tune=zerolatency ! "
        "h264parse ! prioqueue ! gopbuffer ! s.video_sink "
        "audiotestsrc num-buffers=%d samplesperbuffer=960 ! "
        "audio/x-raw,rate=48000 ! s.audio_sink "
        "avsync name=s s.video_src ! fakesink name=v sync=false "
        "s.audio_src ! fakesink name=a sync=false"
        % (VIDEO_FRAMES, AUDIO_BUFFERS))
    pipeline = Gst.parse_launch(desc)
    counts = {"v": 0, "a": 0}

    def count(_pad, _info, which):
        counts[which] += 1
        return Gst.PadProbeReturn.OK

    for which in counts:
        sink = pipeline.get_by_name(which)
        sink.get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, count, which)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    check(msg is not None and msg.type == Gst.MessageType.EOS,
          "the pipeline through the four core elements reaches EOS (%s)"
          % (msg.parse_error()[0].message
             if msg is not None and msg.type == Gst.MessageType.ERROR
             else "timeout" if msg is None else "eos"))
    check(counts["v"] == VIDEO_FRAMES,
          "every video frame came out (%d of %d)" % (counts["v"], VIDEO_FRAMES))
    check(counts["a"] == AUDIO_BUFFERS,
          "every audio buffer came out (%d of %d)"
          % (counts["a"], AUDIO_BUFFERS))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(child() if os.environ.get(CHILD) else parent())
