#!/usr/bin/python3
# GStreamer livestream plug-ins
# Copyright (C) 2026 gst-livestream authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Soak test of dashlivesink: a live stream of many hours, simulated faster
than real time.

A real H.264 GOP (x264enc) and real AAC frames (avenc_aac) are made once,
then pushed in a loop with ever increasing timestamps, in timestamp order,
through appsrc into dashlivesink (sync=false: as fast as the machine goes).
At every checkpoint (each simulated `--check-every` seconds) the script
reads the live MPD and every segment on disk and checks:

  - the MPD is dynamic and its availabilityStartTime never changes
  - for every segment on disk, S@t of its number in the SegmentTimeline
    equals the baseMediaDecodeTime (tfdt) of its first moof
  - the number of segments on disk and their bytes stay within the DVR
    window (flat disk)
  - resident memory of the process stays flat after the warm-up

Prints one line per checkpoint and a summary; exits 1 on any violation,
77 when dashlivesink is not available.
"""

import argparse
import os
import shutil
import struct
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

NS = {"m": "urn:mpeg:dash:schema:mpd:2011"}


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def make_frames(desc):
    """Run a pipeline ending in appsink, return (caps, [buffers])"""
    pipe = Gst.parse_launch(desc + " ! appsink name=sink sync=false")
    sink = pipe.get_by_name("sink")
    pipe.set_state(Gst.State.PLAYING)
    caps, bufs = None, []
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        if caps is None:
            caps = sample.get_caps()
        bufs.append(sample.get_buffer())
    pipe.set_state(Gst.State.NULL)
    return caps, bufs


def size_of(path):
    """Size of a file the sink may delete at any moment (DVR window)"""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def fresh(buf):
    """A new buffer sharing @buf's memory (Buffer.copy() in Python only
    takes a reference: setting its timestamps would change the original)"""
    flags = (Gst.BufferCopyFlags.FLAGS | Gst.BufferCopyFlags.TIMESTAMPS |
             Gst.BufferCopyFlags.META | Gst.BufferCopyFlags.MEMORY)
    return buf.copy_region(flags, 0, buf.get_size())


def find_box(data, path):
    """First box along path (list of fourccs) -> payload bytes, or None"""
    pos, end = 0, len(data)
    for i, fourcc in enumerate(path):
        found = None
        while pos + 8 <= end:
            size, typ = struct.unpack(">I4s", data[pos:pos + 8])
            hdr = 8
            if size == 1:
                size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
                hdr = 16
            if size < hdr or pos + size > end:
                return None
            if typ.decode("latin1") == fourcc:
                found = (pos + hdr, pos + size)
                break
            pos += size
        if found is None:
            return None
        pos, end = found
    return data[pos:end]


def tfdt_of(path):
    with open(path, "rb") as f:
        data = f.read()
    tfdt = find_box(data, ["moof", "traf", "tfdt"])
    if tfdt is None:
        return None
    version = tfdt[0]
    if version == 1:
        return struct.unpack(">Q", tfdt[4:12])[0]
    return struct.unpack(">I", tfdt[4:8])[0]


def timeline(seg_template):
    """Segment number -> S@t from a SegmentTemplate with SegmentTimeline"""
    start = int(seg_template.get("startNumber", "1"))
    out, t, n = {}, 0, start
    tl = seg_template.find("m:SegmentTimeline", NS)
    if tl is None:
        return out
    for s in tl.findall("m:S", NS):
        if s.get("t") is not None:
            t = int(s.get("t"))
        d = int(s.get("d"))
        for _ in range(int(s.get("r", "0")) + 1):
            out[n] = t
            t += d
            n += 1
    return out


class Soak:
    def __init__(self, args):
        self.args = args
        self.errors = []
        self.ast = None
        self.checked = 0
        self.checkpoints = 0
        self.rss_base = None
        self.rss_max_growth = 0
        self.disk_max = 0
        self.files_max = 0

    def fail(self, msg):
        self.errors.append(msg)
        print("soak: FAIL: " + msg, flush=True)

    def check(self, sim_s):
        out = self.args.dir
        mpd_path = os.path.join(out, self.args.mpd_name)
        try:
            root = ET.parse(mpd_path).getroot()
        except (OSError, ET.ParseError) as e:
            self.fail("MPD unreadable at %.0f s: %s" % (sim_s, e))
            return
        self.checkpoints += 1
        if root.get("type") != "dynamic":
            self.fail("MPD type %s while live" % root.get("type"))
        ast = root.get("availabilityStartTime")
        if self.ast is None:
            self.ast = ast
        elif ast != self.ast:
            self.fail("availabilityStartTime changed: %s -> %s" % (self.ast, ast))
        files = set(os.listdir(out))
        checked = 0
        for rep in root.iter("{%s}Representation" % NS["m"]):
            st = rep.find("m:SegmentTemplate", NS)
            if st is None:
                st = rep.find("../m:SegmentTemplate", NS)
            if st is None:
                continue
            media = st.get("media")
            tl = timeline(st)
            for number, t in tl.items():
                name = media.replace("$RepresentationID$", rep.get("id")) \
                    .replace("$Number$", str(number)).replace("$Time$", str(t))
                if name not in files:
                    continue
                try:
                    tfdt = tfdt_of(os.path.join(out, name))
                except OSError:
                    continue  # deleted by the DVR window meanwhile
                checked += 1
                if tfdt != t:
                    self.fail("%s: S@t %d != tfdt %s" % (name, t, tfdt))
        self.checked += checked
        disk = sum(size_of(os.path.join(out, f)) for f in files)
        rss = rss_kib()
        warm = sim_s >= self.args.warmup
        if warm and self.rss_base is None:
            self.rss_base = rss
        if self.rss_base is not None:
            self.rss_max_growth = max(self.rss_max_growth, rss - self.rss_base)
        if warm:
            self.disk_max = max(self.disk_max, disk)
            self.files_max = max(self.files_max, len(files))
        print("soak: %7.2f h simulated  %6.1f s wall  segments checked %5d  "
              "files %4d  disk %7d KiB  RSS %7d KiB"
              % (sim_s / 3600, time.monotonic() - self.t0, checked,
                 len(files), disk // 1024, rss), flush=True)

    def run(self):
        a = self.args
        Gst.init(None)
        if Gst.ElementFactory.find("dashlivesink") is None:
            print("soak: dashlivesink not found (GST_PLUGIN_PATH?)")
            return 77
        gop = a.gop
        vcaps, vbufs = make_frames(
            "videotestsrc num-buffers=%d pattern=ball ! "
            "video/x-raw,width=160,height=120,framerate=30/1 ! "
            "x264enc key-int-max=%d speed-preset=ultrafast tune=zerolatency "
            "bitrate=200 ! h264parse ! video/x-h264,stream-format=avc,alignment=au"
            % (gop * 30, gop * 30))
        acaps, abufs = make_frames(
            "audiotestsrc num-buffers=%d samplesperbuffer=1024 ! "
            "audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=64000 ! "
            "aacparse ! audio/mpeg,mpegversion=4,stream-format=raw"
            % (gop * 48000 // 1024 + 2))
        # timestamps from 0 (x264enc starts at 1000 h, DTS before PTS)
        base = min(min(b.pts for b in vbufs),
                   min(b.dts for b in vbufs if b.dts != Gst.CLOCK_TIME_NONE))
        vts0 = []
        for b in vbufs:
            dts = b.dts if b.dts != Gst.CLOCK_TIME_NONE else b.pts
            vts0.append((b.pts - base, dts - base))
        vdur = gop * Gst.SECOND
        # whole AAC frames covering the GOP: 1024 samples at 48 kHz
        aframe = Gst.util_uint64_scale(1024, Gst.SECOND, 48000)
        n_afr = (vdur + aframe - 1) // aframe
        abufs = abufs[:n_afr]
        adur = n_afr * aframe

        pipe = Gst.Pipeline.new("soak")
        vsrc = Gst.ElementFactory.make("appsrc", "v")
        asrc = Gst.ElementFactory.make("appsrc", "a")
        sink = Gst.ElementFactory.make("dashlivesink", "dash")
        for src, caps in ((vsrc, vcaps), (asrc, acaps)):
            src.set_property("caps", caps)
            src.set_property("format", Gst.Format.TIME)
            # pushed in timestamp order from one thread: each queue must
            # hold what the sink waits for on the other pad (a segment)
            src.set_property("max-buffers", 0)
            src.set_property("max-bytes", 0)
            src.set_property("max-time", 4 * gop * Gst.SECOND)
            src.set_property("block", True)
        sink.set_property("location", a.dir)
        sink.set_property("segment-duration", gop * Gst.SECOND)
        sink.set_property("dvr-window", a.dvr_window * Gst.SECOND)
        if sink.find_property("sync") is not None:
            sink.set_property("sync", False)
        for e in (vsrc, asrc, sink):
            pipe.add(e)
        vsrc.get_static_pad("src").link(sink.request_pad_simple("video_%u"))
        asrc.get_static_pad("src").link(sink.request_pad_simple("audio_%u"))
        bus = pipe.get_bus()
        pipe.set_state(Gst.State.PLAYING)

        self.t0 = time.monotonic()
        try:
            self.feed(vsrc, asrc, bus, vbufs, vts0, vdur, abufs, aframe, adur)
        finally:
            vsrc.emit("end-of-stream")
            asrc.emit("end-of-stream")
            bus.timed_pop_filtered(60 * Gst.SECOND,
                                   Gst.MessageType.EOS | Gst.MessageType.ERROR)
            pipe.set_state(Gst.State.NULL)
        return self.report()

    def feed(self, vsrc, asrc, bus, vbufs, vts0, vdur, abufs, aframe, adur):
        a = self.args
        end = a.hours * 3600 * Gst.SECOND
        vi = ai = 0
        next_check = a.check_every * Gst.SECOND
        while True:
            vts = (vi // len(vbufs)) * vdur + vts0[vi % len(vbufs)][1]
            ats = (ai // len(abufs)) * adur + (ai % len(abufs)) * aframe
            ts = min(vts, ats)
            if ts >= end:
                break
            if vts <= ats:
                b = fresh(vbufs[vi % len(vbufs)])
                off = (vi // len(vbufs)) * vdur
                b.pts = vts0[vi % len(vbufs)][0] + off
                b.dts = vts0[vi % len(vbufs)][1] + off
                ret = vsrc.emit("push-buffer", b)
                vi += 1
            else:
                b = fresh(abufs[ai % len(abufs)])
                b.pts = b.dts = ats
                b.duration = aframe
                ret = asrc.emit("push-buffer", b)
                ai += 1
            if ret != Gst.FlowReturn.OK:
                msg = bus.pop_filtered(Gst.MessageType.ERROR)
                err = msg.parse_error()[0].message if msg else str(ret)
                self.fail("push returned %s at %.0f s: %s"
                          % (ret, ts / Gst.SECOND, err))
                break
            if ts >= next_check:
                next_check += a.check_every * Gst.SECOND
                msg = bus.pop_filtered(Gst.MessageType.ERROR)
                if msg:
                    self.fail("error at %.0f s: %s" % (ts / Gst.SECOND,
                                                       msg.parse_error()[0].message))
                    break
                self.check(ts / Gst.SECOND)

    def report(self):
        a = self.args
        wall = time.monotonic() - self.t0

        # bounds: memory and disk flat once the DVR window is full
        if self.rss_max_growth > a.max_rss_growth_kib:
            self.fail("RSS grew by %d KiB after the warm-up (limit %d)"
                      % (self.rss_max_growth, a.max_rss_growth_kib))
        if a.dvr_window > 0 and self.files_max > 0:
            # DVR window + 2 segments per representation, init, playlists
            max_files = 2 * (a.dvr_window // a.gop + 3) + 8
            if self.files_max > max_files:
                self.fail("%d files on disk, DVR window allows %d"
                          % (self.files_max, max_files))
        print("soak: %.2f h of live stream simulated in %.1f s (x%.0f), "
              "%d checkpoints, %d segments checked (S@t == tfdt), "
              "availabilityStartTime %s, RSS growth after warm-up %d KiB, "
              "max %d files / %d KiB on disk, %d violations"
              % (a.hours, wall, a.hours * 3600 / max(wall, 1e-3),
                 self.checkpoints, self.checked,
                 "unchanged" if not any("availabilityStartTime" in e
                                        for e in self.errors) else "CHANGED",
                 self.rss_max_growth, self.files_max, self.disk_max // 1024,
                 len(self.errors)), flush=True)
        return 1 if self.errors or self.checkpoints == 0 else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hours", type=float, default=24.0,
                   help="simulated duration (default 24)")
    p.add_argument("--check-every", type=float, default=600.0,
                   help="simulated seconds between checkpoints (default 600)")
    p.add_argument("--gop", type=int, default=2,
                   help="GOP and segment duration in seconds (default 2)")
    p.add_argument("--dvr-window", type=int, default=60,
                   help="dashlivesink dvr-window in seconds (default 60)")
    p.add_argument("--warmup", type=float, default=None,
                   help="simulated seconds before memory/disk must be flat "
                        "(default: 10%% of the run, at least 2 DVR windows)")
    p.add_argument("--max-rss-growth-kib", type=int, default=16384)
    p.add_argument("--dir", default=None, help="output directory (default: temporary)")
    p.add_argument("--mpd-name", default="manifest.mpd")
    a = p.parse_args()
    if a.warmup is None:
        a.warmup = max(0.1 * a.hours * 3600, 2 * a.dvr_window)
    tmp = None
    if a.dir is None:
        tmp = a.dir = tempfile.mkdtemp(prefix="ls-soak-")
    try:
        return Soak(a).run()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
