#!/usr/bin/python3
# Both plug-ins in a process that already has libsoup-2.4 loaded (older
# WebKitGTK, many GNOME applications): libsoup-3 aborts any process that
# loads it beside libsoup-2, so neither plug-in links it.  The DASH plug-in
# loads libsoup-3 at run time, only when its HTTP server or uploader is
# asked for, and refuses with an error in such a process.
#
# The test runs itself again with libsoup-2.4 preloaded and a fresh
# registry (so that the plug-in scanner loads both plug-ins beside
# libsoup-2), then checks in that process that
# - libsoup-2.4 is really mapped and libsoup-3.0 is not;
# - chunkreorder, prioqueue, gopbuffer, avsync and dashlivesink are in the
#   registry;
# - a pipeline through the four core elements carries every buffer to the
#   end (EOS);
# - dashlivesink without http-port and upload-location writes its DASH and
#   HLS files (EOS, MPD, playlists, segments);
# - with http-port (or upload-location) it fails to start (READY->PAUSED)
#   with an error message that says libsoup-3.0 cannot be loaded beside
#   libsoup-2.4, and the process is still alive, without libsoup-3.0.
# A second run opens libsoup-2.4 with local symbols (ctypes, RTLD_LOCAL),
# invisible to a global symbol lookup: the server is refused there too.

import ctypes.util
import glob
import os
import socket
import subprocess
import sys
import tempfile

CHILD = "LS_SOUP2_CHILD"
SOUP2_LIB = "LS_SOUP2_LIB"
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
        if r.returncode != 0:
            return r.returncode
        # libsoup-2.4 opened with RTLD_LOCAL (as a plug-in or ctypes opens
        # it): its symbols are not in the global scope, it is there all the
        # same
        env = dict(os.environ)
        env[CHILD] = "local"
        env[SOUP2_LIB] = lib
        env["GST_REGISTRY"] = os.path.join(tmp, "registry-local.bin")
        r = subprocess.run(["/usr/bin/python3", __file__], env=env, timeout=120)
        return r.returncode


def child_local():
    ctypes.CDLL(os.environ[SOUP2_LIB])   # RTLD_LOCAL
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            failures.append(what)

    Gst.init(None)
    check("libsoup-2.4" in open("/proc/self/maps").read() and
          not hasattr(ctypes.CDLL(None), "soup_uri_new"),
          "libsoup-2.4 is loaded with local symbols")
    dash_refusal_checks(Gst, check)
    check("libsoup-3.0" not in open("/proc/self/maps").read(),
          "libsoup-3.0 was not loaded")
    return 1 if failures else 0


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

    for name in ("chunkreorder", "prioqueue", "gopbuffer", "avsync",
                 "dashlivesink"):
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

    dash_files_check(Gst, check)
    dash_refusal_checks(Gst, check)
    check("libsoup-3.0" not in open("/proc/self/maps").read(),
          "libsoup-3.0 was still not loaded at the end")
    return 1 if failures else 0


def dash_pipeline(Gst, out, extra):
    return Gst.parse_launch(
        "videotestsrc num-buffers=%d ! video/x-raw,width=320,height=240,"
        "framerate=30/1 ! x264enc key-int-max=30 speed-preset=ultrafast "
        "tune=zerolatency ! h264parse ! dashlivesink name=d location=%s "
        "segment-duration=1000000000 hls=true %s"
        % (VIDEO_FRAMES, out, extra))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def dash_files_check(Gst, check):
    # files only: no libsoup needed
    with tempfile.TemporaryDirectory(prefix="soup2-dash-") as out:
        pipeline = dash_pipeline(Gst, out, "")
        pipeline.set_state(Gst.State.PLAYING)
        msg = pipeline.get_bus().timed_pop_filtered(
            60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipeline.set_state(Gst.State.NULL)
        check(msg is not None and msg.type == Gst.MessageType.EOS,
              "dashlivesink without server or upload reaches EOS (%s)"
              % (msg.parse_error()[0].message
                 if msg is not None and msg.type == Gst.MessageType.ERROR
                 else "timeout" if msg is None else "eos"))
        files = sorted(os.listdir(out))
        check("manifest.mpd" in files and "master.m3u8" in files,
              "it wrote the MPD and the HLS master playlist (%s)"
              % " ".join(files[:8]))
        segments = [f for f in files if f.endswith(".m4s")]
        # 60 frames at 30 fps in 1 s segments
        check(len(segments) >= 2 and any(f.endswith(".mp4") for f in files),
              "it wrote the init segment and %d media segments"
              % len(segments))
        mpd = open(os.path.join(out, "manifest.mpd")).read() \
            if "manifest.mpd" in files else ""
        check('type="static"' in mpd, "the MPD is complete (static at EOS)")


def dash_refusal_checks(Gst, check):
    # the embedded HTTP server, then the uploader: a clear error at
    # READY->PAUSED, no abort
    for extra, what in (("http-port=%d" % free_port(),
                         "embedded HTTP server"),
                        ("upload-location=http://127.0.0.1:%d/live"
                         % free_port(), "uploader")):
        with tempfile.TemporaryDirectory(prefix="soup2-dash-") as out:
            pipeline = dash_pipeline(Gst, out, extra)
            ret = pipeline.set_state(Gst.State.PAUSED)
            msg = pipeline.get_bus().timed_pop_filtered(
                10 * Gst.SECOND, Gst.MessageType.ERROR)
            pipeline.set_state(Gst.State.NULL)
            check(ret == Gst.StateChangeReturn.FAILURE,
                  "%s: the state change fails (%s)" % (extra, ret.value_nick))
            text = ""
            if msg is not None:
                err, dbg = msg.parse_error()
                text = err.message
                check(msg.src.get_name() == "d" and
                      err.matches(Gst.LibraryError.quark(),
                                  Gst.LibraryError.INIT),
                      "%s: error from dashlivesink, library/init (%s)"
                      % (extra, err))
            check(msg is not None and what in text and
                  "libsoup-3.0" in text and "libsoup-2.4" in text,
                  "%s: the error says the %s needs libsoup-3.0, which "
                  "cannot be loaded beside libsoup-2.4: %r"
                  % (extra, what, text))


if __name__ == "__main__":
    mode = os.environ.get(CHILD)
    sys.exit(child_local() if mode == "local" else child() if mode
             else parent())
