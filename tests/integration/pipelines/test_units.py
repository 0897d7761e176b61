#!/usr/bin/python3
# Unit tests of the runner's pure parts: ladder parsing and x264 settings,
# keyframe slots, option checks, gst-launch quoting, drop counting and the
# status line, the quality governor's rules, the files an MPD names; and the
# shutdown helpers on a small pipeline.
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "pipelines"))

from livestream import ladder, options, status  # noqa: E402
from livestream import graph, mpdfiles, quality, runner  # noqa: E402
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)


class LadderTest(unittest.TestCase):
    def test_named(self):
        r = ladder.parse_ladder("240p,720p,480p")
        self.assertEqual([x.name for x in r], ["720p", "480p", "240p"])
        self.assertEqual((r[0].width, r[0].height, r[0].kbps), (1280, 720, 2500))
        self.assertEqual(ladder.parse_rung("1080p").kbps, 4000)

    def test_default_is_valid(self):
        r = ladder.parse_ladder(ladder.DEFAULT_LADDER)
        self.assertGreaterEqual(len(r), 2)
        easy, hard = ladder.estimated_cost(r)
        # real time on 2 cores with room for decoding and the sender
        self.assertLess(hard, 1.0)

    def test_override_and_custom(self):
        self.assertEqual(ladder.parse_rung("720p@3000k").kbps, 3000)
        self.assertEqual(ladder.parse_rung("720p@3000").kbps, 3000)
        c = ladder.parse_rung("540p=960x540@1800k")
        self.assertEqual((c.name, c.width, c.height, c.kbps),
                         ("540p", 960, 540, 1800))

    def test_errors(self):
        for bad in ("", "999p", "x=961x540@100k", "x=960x540@1k",
                    "720p,720p", "x=8x8@100k", "x=100000x540@100k"):
            with self.assertRaises(ladder.LadderError, msg=bad):
                ladder.parse_ladder(bad)

    def test_x264(self):
        p = ladder.x264_properties(ladder.NAMED_RUNGS["480p"], "veryfast", 2.0)
        self.assertEqual(p["tune"], "zerolatency")
        self.assertEqual(p["bitrate"], 1200)
        self.assertIn("scenecut=0", p["option-string"])
        self.assertEqual(p["key-int-max"], 120)

    def test_keyframe_slots(self):
        s = 2_000_000_000
        self.assertEqual(ladder.keyframe_index(0, s), 0)
        self.assertEqual(ladder.keyframe_index(s - 1, s), 0)
        self.assertEqual(ladder.keyframe_index(s, s), 1)
        self.assertEqual(ladder.keyframe_frames(29.97, 2.0), 60)
        self.assertEqual(ladder.keyframe_frames(30, 2.0), 60)
        with self.assertRaises(ValueError):
            ladder.keyframe_index(5, 0)


class OptionsTest(unittest.TestCase):
    def parse(self, *argv):
        return options.build_parser().parse_args(list(argv))

    def test_defaults(self):
        a = self.parse("srt-to-dash")
        self.assertEqual(a.srt_port, 9000)
        self.assertEqual(a.http_port, 8080)
        self.assertEqual(a.segment_duration, 2.0)
        self.assertEqual([r.name for r in a.ladder], ["720p", "480p", "240p"])
        self.assertIsNone(options.check(a))
        a = self.parse("rtp-to-dash")
        self.assertEqual((a.video_port, a.audio_port), (5004, 5006))
        self.assertIsNone(options.check(a))

    def test_checks(self):
        self.assertIsNotNone(options.check(self.parse(
            "srt-to-dash", "--chunk-duration", "3")))
        self.assertIsNotNone(options.check(self.parse(
            "srt-to-dash", "--segment-duration", "0.1")))
        self.assertIsNotNone(options.check(self.parse(
            "srt-to-dash", "--passphrase", "short")))
        self.assertIsNotNone(options.check(self.parse(
            "rtp-to-dash", "--audio-encoding", "MPEG4-GENERIC")))
        self.assertIsNotNone(options.check(self.parse(
            "srt-to-dash", "--aac-rate", "12345")))

    def test_bad_values_exit_2(self):
        for argv in (["srt-to-dash", "--srt-port", "70000"],
                     ["srt-to-dash", "--ladder", "999p"],
                     ["srt-to-dash", "--without", "queue"],
                     ["srt-to-dash", "--segment-duration", "-1"],
                     ["nosuch"]):
            with self.assertRaises(SystemExit) as cm:
                with open(os.devnull, "w") as null:
                    old, sys.stderr = sys.stderr, null
                    try:
                        self.parse(*argv)
                    finally:
                        sys.stderr = old
            self.assertEqual(cm.exception.code, 2, argv)


class GraphTextTest(unittest.TestCase):
    def test_quote(self):
        self.assertEqual(graph.quote("abc"), "abc")
        self.assertEqual(graph.quote(True), "true")
        self.assertEqual(graph.quote("srt://a:1?mode=listener"),
                         '"srt://a:1?mode=listener"')
        self.assertEqual(graph.quote('a "b"'), '"a \\"b\\""')

    def test_el(self):
        self.assertEqual(graph.el("queue", "q", max_size_time=5),
                         "queue name=q max-size-time=5")
        self.assertEqual(graph.el("fakesink", None, sync=False,
                                  **{"async": False}),
                         "fakesink sync=false async=false")


class SdpTest(unittest.TestCase):
    SDP = """SDP:
v=0
o=- 0 0 IN IP4 127.0.0.1
s=No Name
t=0 0
a=tool:libavformat 59.27.100
m=video 5004 RTP/AVP 96
c=IN IP4 127.0.0.1
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1
m=audio 5008 RTP/AVP 97
c=IN IP4 127.0.0.1
a=rtpmap:97 MPEG4-GENERIC/44100/2
a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=1210
"""

    def test_ffmpeg_sdp(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".sdp") as f:
            f.write(self.SDP)
            f.flush()
            media = graph._media_from_sdp(f.name, True)
        vport, vcaps = media["video"]
        aport, acaps = media["audio"]
        self.assertEqual((vport, aport), (5004, 5008))
        self.assertTrue(vcaps.startswith("application/x-rtp,"))
        self.assertIn("encoding-name=(string)H264", vcaps)
        self.assertIn("encoding-name=(string)MPEG4-GENERIC", acaps)
        self.assertIn("config=(string)1210", acaps)
        self.assertIn("clock-rate=(int)44100", acaps)

    def test_bad_sdp(self):
        with self.assertRaises(graph.BuildError):
            graph._media_from_sdp("/nonexistent.sdp", True)


class StatusTest(unittest.TestCase):
    def test_drops(self):
        self.assertEqual(status.drops_in("chunkreorder", {
            "lost": 3, "late": 1, "duplicates": 2, "reordered": 50,
            "pushed": 1000, "held-bytes": 10}), 6)
        self.assertEqual(status.drops_in("prioqueue", {
            "dropped-low": 4, "dropped-normal": 1, "in-high": 5,
            "dropped-max-size-time": 5, "high-dropped-lower-queued": 0}), 5)
        self.assertEqual(status.drops_in("gopbuffer", {
            "src-dropped": 3, "dropped-gops": 2, "discarded-buffers": 7,
            "pads": [{"name": "src_0", "dropped-buffers": 10,
                      "dropped-gops": 1}]}), 13)
        self.assertEqual(status.drops_in("dashlivesink", {
            "segments-written": 5, "representations": [
                {"id": "v0", "dropped": 2}, {"id": "a0", "dropped": 1}]}), 3)
        self.assertEqual(status.drops_in("avsync", None), 0)
        self.assertEqual(status.drops_in("avsync", {"frames-dropped": 2,
                                                    "frames-duplicated": 7}), 2)

    def test_line(self):
        line = status.status_line({
            "uptime": 3725, "ingest_bps": 2_400_000, "segments": 12,
            "drops": {"vqueue": 0, "video_reorder": 3},
            "av_offset_ns": 12_000_000, "live_latency": 1.54,
            "edge_age": 0.62, "cpu_percent": 63.2, "reordered": 40})
        self.assertEqual(
            line, "01:02:05 | in 2.40 Mb/s | segs 12 | drops video_reorder 3 "
            "| reordered 40 | A/V +12 ms | live ~1.5 s (edge 0.6 s) | cpu 63%")
        line = status.status_line({
            "uptime": 1, "ingest_bps": 0, "segments": 0, "drops": {},
            "av_offset_ns": None, "live_latency": None, "cpu_percent": 0})
        self.assertIn("drops - | A/V - | live -", line)
        # LL-HLS served: its edge too
        line = status.status_line({
            "uptime": 5, "ingest_bps": 0, "segments": 4, "drops": {},
            "av_offset_ns": None, "live_latency": 1.0, "edge_age": 0.4,
            "hls_latency": 1.21, "hls_edge": 0.21, "cpu_percent": 20})
        self.assertIn("| live ~1.0 s (edge 0.4 s) | hls ~1.2 s (edge 0.2 s) "
                      "| cpu 20%", line)


def codec_data(props, width=426, height=240):
    """The avcC x264enc with @props writes for a few frames, as bytes."""
    enc = Gst.ElementFactory.make("x264enc")
    for k, v in props.items():
        if k in ("tune", "speed-preset"):
            Gst.util_set_object_arg(enc, k, v)
        else:
            enc.set_property(k, v)
    p = Gst.Pipeline()
    src = Gst.ElementFactory.make("videotestsrc")
    src.set_property("num-buffers", 2)
    f1 = Gst.ElementFactory.make("capsfilter")
    f1.set_property("caps", Gst.Caps.from_string(
        f"video/x-raw,format=I420,width={width},height={height},"
        "framerate=30/1"))
    f2 = Gst.ElementFactory.make("capsfilter")
    f2.set_property("caps", Gst.Caps.from_string("video/x-h264,profile=high"))
    sink = Gst.ElementFactory.make("fakesink")
    for e in (src, f1, enc, f2, sink):
        p.add(e)
    src.link(f1)
    f1.link(enc)
    enc.link(f2)
    f2.link(sink)
    p.set_state(Gst.State.PLAYING)
    p.get_bus().timed_pop_filtered(10 * Gst.SECOND, Gst.MessageType.EOS |
                                   Gst.MessageType.ERROR)
    caps = sink.get_static_pad("sink").get_current_caps()
    p.set_state(Gst.State.NULL)
    cd = caps.get_structure(0).get_value("codec_data")
    ok, info = cd.map(Gst.MapFlags.READ)
    data = bytes(info.data)
    cd.unmap(info)
    return data


class ParameterSetTest(unittest.TestCase):
    """An encoder swapped in at a faster preset writes the SPS/PPS of the
    one it replaces: same codec_data, so the track goes on (no new init
    segment, DASH Period or HLS discontinuity)."""

    def test_pinned_presets_write_the_same_parameter_sets(self):
        if Gst.ElementFactory.find("x264enc") is None:
            self.skipTest("x264enc not installed")
        rung = ladder.parse_ladder("240p")[0]
        for like in ("medium", "veryfast", "fast"):
            want = codec_data(ladder.x264_properties(rung, like))
            for preset in quality.degrade_levels(like)[1:]:
                plain = codec_data(ladder.x264_properties(rung, preset))
                pinned = codec_data(ladder.x264_properties(
                    rung, preset, parameter_sets_of=like))
                self.assertEqual(pinned.hex(), want.hex(),
                                 f"{preset} pinned to {like}")
                if preset == "ultrafast":
                    # the check can fail: unpinned, they differ
                    self.assertNotEqual(plain, want, f"{preset} vs {like}")

    def test_options(self):
        self.assertEqual(ladder.parameter_set_options("medium", "medium"), "")
        self.assertEqual(ladder.parameter_set_options("faster", "medium"),
                         "ref=3:weightp=2:cabac=1:8x8dct=1:"
                         "chroma-qp-offset=-2")
        self.assertEqual(ladder.parameter_set_options("ultrafast",
                                                      "veryfast"),
                         "ref=1:weightp=1:cabac=1:8x8dct=1")
        props = ladder.x264_properties(ladder.parse_ladder("240p")[0],
                                       "fast", parameter_sets_of="medium")
        self.assertEqual(props["option-string"], "scenecut=0:ref=3:"
                         "weightp=2:cabac=1:8x8dct=1")


class QualityTest(unittest.TestCase):
    """livestream-server's degradation decision, fed one check a second."""

    def run_checks(self, g, t, n, fill, shed=False):
        """@n checks from second @t; returns [(t, level, reason)] of the
        steps taken and the next second."""
        steps = []
        for i in range(n):
            r = g.update(t + i, fill, shed)
            if r is not None:
                steps.append((t + i, r[0], r[1]))
        return steps, t + n

    def test_levels(self):
        self.assertEqual(quality.degrade_levels("medium"),
                         ["medium", "fast", "faster", "veryfast",
                          "superfast", "ultrafast"])
        self.assertEqual(quality.degrade_levels("ultrafast"), ["ultrafast"])
        self.assertEqual(quality.degrade_levels("nonsense")[0], "veryfast")

    def test_steps_down_every_min_interval_then_recovers_at_pace(self):
        g = quality.Governor("medium", recover_after=5, min_interval=5)
        steps, t = self.run_checks(g, 100, 3, 0.2)
        self.assertEqual(steps, [], "no backlog: no step")
        # an overload that needs every step: one each 5 s, the first after
        # two checks behind
        steps, t = self.run_checks(g, t, 40, 1.0)
        self.assertEqual([s[1] for s in steps], [1, 2, 3, 4, 5])
        self.assertEqual(steps[0][0], 104)
        self.assertEqual([b[0] - a[0] for a, b in zip(steps, steps[1:])],
                         [5, 5, 5, 5])
        self.assertIn("encoder queue 100% full", steps[0][2])
        self.assertEqual(g.preset, "ultrafast")
        # consecutive steps down are not relapses: recovery at the
        # configured pace, one level per 5 s of calm
        self.assertEqual(g.relapses, 0)
        steps, t = self.run_checks(g, t, 40, 0.0)
        self.assertEqual([s[1] for s in steps], [4, 3, 2, 1, 0])
        self.assertEqual(steps[0][0], 142 + 5, "5 s after the last backlog")
        self.assertIn("headroom: no backlog for 5 s", steps[0][2])
        self.assertEqual(g.preset, "medium")

    def test_one_check_behind_is_noise(self):
        g = quality.Governor("veryfast", recover_after=5)
        for t in range(100, 130):
            self.assertIsNone(g.update(t, 0.9 if t % 2 else 0.1, False))

    def test_shed_frames_count_as_behind(self):
        g = quality.Governor("veryfast", recover_after=5)
        self.assertIsNone(g.update(10, 0.0, True))
        self.assertEqual(g.update(11, 0.0, True),
                         (1, "behind real time (prioqueue shed frames)"))

    def test_relapse_after_a_step_up_doubles_the_wait(self):
        g = quality.Governor("fast", recover_after=10, min_interval=5)
        steps, t = self.run_checks(g, 0, 2, 1.0)
        self.assertEqual([s[1] for s in steps], [1])
        steps, t = self.run_checks(g, t, 10, 0.0)
        self.assertEqual([s[1] for s in steps], [0], "calm: back up")
        up = steps[0][0]
        # behind again 6 s after the step up: a relapse
        steps, t = self.run_checks(g, up + 5, 2, 1.0)
        self.assertEqual([s[1] for s in steps], [1])
        self.assertEqual((g.relapses, g.recover_after), (1, 20))
        down = steps[0][0]
        steps, t = self.run_checks(g, t, 30, 0.0)
        self.assertEqual([s[0] - down for s in steps], [20])
        # the bound
        g.recover_after = 500
        g.last_step, g.last_change = -1, t - 1
        g.update(t, 1.0, False)
        g.update(t + 5, 1.0, False)
        self.assertEqual(g.recover_after, 600)

    def test_any_backlog_restarts_the_calm(self):
        g = quality.Governor("fast", recover_after=10, min_interval=5)
        self.run_checks(g, 0, 2, 1.0)
        self.assertEqual(g.level, 1)
        steps, _t = self.run_checks(g, 2, 9, 0.0)
        self.assertEqual(steps, [])
        self.assertIsNone(g.update(11, 0.6, False), "one check: no step down")
        steps, _t = self.run_checks(g, 12, 9, 0.0)
        self.assertEqual(steps, [], "calm restarted at 11")
        self.assertIsNotNone(g.update(21, 0.0, False))


class MpdFilesTest(unittest.TestCase):
    MPD = """<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period>
<AdaptationSet><SegmentTemplate timescale="90000" startNumber="7"
 initialization="$RepresentationID$-init.mp4"
 media="$RepresentationID$-$Number%05d$-$Time$-$Bandwidth$.m4s">
<SegmentTimeline><S d="180000" r="1"/><S t="540000" d="90000"/>
</SegmentTimeline></SegmentTemplate>
<Representation id="v0" bandwidth="800000"/></AdaptationSet>
<AdaptationSet><Representation id="video_0"><SegmentTemplate
 timescale="90000" initialization="video_0-init-0123456789ab.mp4"
 media="video_0-$Time$.m4s"><SegmentTimeline>
<S t="161693920435318" d="180000" r="2"/></SegmentTimeline>
</SegmentTemplate></Representation></AdaptationSet></Period></MPD>"""

    def reps(self):
        import xml.etree.ElementTree as ET
        root = ET.fromstring(self.MPD)
        ns = mpdfiles.MPD_NS
        return [(a, r) for a in root.iter(ns + "AdaptationSet")
                for r in a.iter(ns + "Representation")]

    def test_number_template_on_the_adaptation_set(self):
        a, r = self.reps()[0]
        init, media = mpdfiles.files(r, a)
        self.assertEqual(init, "v0-init.mp4")
        # the first S without @t starts at 0; @r repeats; a later @t jumps
        self.assertEqual(media, [
            ("v0-00007-0-800000.m4s", 7, 0, 180000),
            ("v0-00008-180000-800000.m4s", 8, 180000, 180000),
            ("v0-00009-540000-800000.m4s", 9, 540000, 90000)])
        self.assertEqual(mpdfiles.files(r), (None, []))

    def test_time_template(self):
        a, r = self.reps()[1]
        init, media = mpdfiles.files(r)
        self.assertEqual(init, "video_0-init-0123456789ab.mp4")
        self.assertEqual([m[0] for m in media], [
            "video_0-161693920435318.m4s", "video_0-161693920615318.m4s",
            "video_0-161693920795318.m4s"])

    def test_expand(self):
        self.assertEqual(mpdfiles.expand("a$$b-$Time$", "r", time=5), "a$b-5")
        # identifiers without a value stay as they are
        self.assertEqual(mpdfiles.expand("$RepresentationID$-$Number$", None,
                                         number=3), "$RepresentationID$-3")


class ShutdownTest(unittest.TestCase):
    """A live source whose streaming thread is held in a blocking probe that
    only the main loop releases (livestream-server's encoder swap, a new
    stream being linked): the EOS of a shutdown must neither stop the main
    loop nor be lost, and the teardown is bounded."""

    def test_eos_while_main_loop_must_release_a_probe(self):
        pipeline = Gst.parse_launch(
            "videotestsrc is-live=true name=src ! "
            "video/x-raw,width=64,height=48,framerate=30/1 ! fakesink sync=false")
        loop = GLib.MainLoop()
        seen = {"eos": False, "released": False}
        pad = pipeline.get_by_name("src").get_static_pad("src")

        def release(probe_id):
            seen["released"] = True
            pad.remove_probe(probe_id)
            return False

        def block(p, info):
            # held until the main loop removes the probe, 300 ms after the
            # EOS was sent
            return Gst.PadProbeReturn.OK

        def on_msg(bus, msg):
            if msg.type == Gst.MessageType.EOS:
                seen["eos"] = True
                loop.quit()

        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_msg)
        pipeline.set_state(Gst.State.PLAYING)
        self.assertNotEqual(pipeline.get_state(5 * Gst.SECOND)[0],
                            Gst.StateChangeReturn.FAILURE)

        def shutdown():
            probe_id = pad.add_probe(Gst.PadProbeType.BLOCK_DOWNSTREAM, block)
            # wait until the streaming thread sits in the probe, then stop
            # the way the runner and the server do
            GLib.timeout_add(100, lambda: (
                runner.send_eos_async(pipeline, Gst),
                GLib.timeout_add(300, release, probe_id)) and False)
            return False

        GLib.timeout_add(200, shutdown)
        # bound: the EOS arrives well within this, or the loop stops anyway
        bound = GLib.timeout_add(10000, loop.quit)
        loop.run()
        GLib.source_remove(bound)
        self.assertTrue(seen["released"], "the main loop stopped while the EOS was sent")
        self.assertTrue(seen["eos"], "EOS never reached the bus")
        runner.stop_pipeline(pipeline, Gst, "test", limit_s=10)
        bus.remove_signal_watch()
        self.assertEqual(pipeline.get_state(0)[1], Gst.State.NULL)


if __name__ == "__main__":
    unittest.main(verbosity=2)
