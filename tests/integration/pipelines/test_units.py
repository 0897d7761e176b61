#!/usr/bin/python3
# Unit tests of the runner's pure parts: ladder parsing and x264 settings,
# keyframe slots, option checks, gst-launch quoting, drop counting and the
# status line. No pipeline runs.
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "pipelines"))

from livestream import ladder, options, status  # noqa: E402
from livestream import graph  # noqa: E402
from gi.repository import Gst  # noqa: E402

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
