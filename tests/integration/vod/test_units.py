#!/usr/bin/python3
# Unit tests of the on-demand packager's pure parts: the ladder plan (rungs
# at or below the source, copy decisions, GOPs, bitrates), the MP4 sample
# table reader (on MP4s built here box by box), the API route table and
# handlers (errors, Range, validators, caching headers) on a store in a
# temporary directory, the content service's job sharing (with a fake
# packager), and the progress bar. No GStreamer, no pipeline.
import email.utils
import json
import os
import shutil
import struct
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "pipelines"))

from livestream import api, content, ladder, mp4index, vod, vodplan  # noqa: E402

NS = 1_000_000_000
LADDER = ladder.parse_ladder(ladder.DEFAULT_VOD_LADDER)


def video(w=1920, h=1080, kbps=3800, gop=60, fps=(30, 1), codec="video/x-h264",
          profile="high", par=(1, 1), interlaced=False):
    return vodplan.VideoSource(codec=codec, width=w, height=h, par=par,
                               fps=fps, profile=profile, kbps=kbps, gop=gop,
                               interlaced=interlaced)


AAC = vodplan.AudioSource("audio/mpeg", 4, "lc", 48000, 2, 128)


class PlanTest(unittest.TestCase):
    def test_default_ladder_1080p_copy(self):
        p = vodplan.make_plan(video(), AAC, LADDER)
        self.assertEqual([(v.name, v.width, v.height, v.mode) for v in p.video],
                         [("1080p", 1920, 1080, "copy"),
                          ("720p", 1280, 720, "encode"),
                          ("480p", 854, 480, "encode")])
        self.assertEqual(p.keyint, 60)
        self.assertEqual(p.segment_ns, 2 * NS)
        self.assertEqual(p.audio.mode, "copy")
        # the copied rung's real bitrate; the lower ones stay below it
        self.assertEqual(p.video[0].kbps, 3800)
        self.assertEqual(p.video[1].kbps, 2500)

    def test_only_rungs_at_or_below_the_source(self):
        p = vodplan.make_plan(video(1280, 720, kbps=9000), AAC, LADDER)
        self.assertEqual([v.name for v in p.video], ["720p", "480p"])
        self.assertEqual([v.mode for v in p.video], ["encode", "encode"])
        p = vodplan.make_plan(video(854, 480, kbps=9000), None, LADDER)
        self.assertEqual([v.name for v in p.video], ["480p"])
        self.assertIsNone(p.audio)

    def test_smaller_than_every_rung(self):
        p = vodplan.make_plan(video(320, 240, kbps=300), AAC, LADDER)
        self.assertEqual(len(p.video), 1)
        v = p.video[0]
        self.assertEqual((v.width, v.height), (320, 240))
        self.assertLessEqual(v.kbps, 1200)

    def test_aspect_ratio_kept(self):
        # cinemascope: 1920x800 is the 1080p rung, scaled down by width
        p = vodplan.make_plan(video(1920, 800, kbps=3000), None, LADDER)
        self.assertEqual([(v.width, v.height) for v in p.video],
                         [(1920, 800), (1280, 534), (854, 356)])
        self.assertEqual(p.video[0].mode, "copy")
        # 4:3 with anamorphic pixels: 720x576 PAR 16:15 is 768x576 shown
        p = vodplan.make_plan(video(720, 576, kbps=2000, par=(16, 15)), None,
                              LADDER)
        self.assertEqual([(v.name, v.width, v.height, v.mode)
                          for v in p.video], [("480p", 640, 480, "encode")])

    def test_copy_refusals(self):
        cases = [
            (dict(codec="video/x-h265"), "not H.264"),
            (dict(profile="high-10"), "profile"),
            (dict(interlaced=True), "interlaced"),
            (dict(kbps=6000), "above"),
            (dict(gop=None), "keyframe"),
            (dict(gop=600), "longer than"),
            (dict(fps=None), "variable frame rate"),
        ]
        for kw, why in cases:
            p = vodplan.make_plan(video(**kw), AAC, LADDER)
            self.assertEqual(p.video[0].mode, "encode", kw)
            self.assertIn(why, p.notes[0], kw)
        p = vodplan.make_plan(video(), AAC, LADDER, copy=False)
        self.assertEqual({v.mode for v in p.video}, {"encode"})
        self.assertEqual(p.audio.mode, "encode")

    def test_gop_and_segments(self):
        # a copied 1 s GOP: encoders use it, segments are two GOPs
        p = vodplan.make_plan(video(gop=30), None, LADDER)
        self.assertEqual((p.keyint, p.segment_ns), (30, 2 * NS))
        # 25 fps, a 4 s GOP of the source: 4 s segments
        p = vodplan.make_plan(video(gop=100, fps=(25, 1)), None, LADDER, 2.0)
        self.assertEqual((p.keyint, p.segment_ns), (100, 4 * NS))
        # encoded only: keyint from the frame rate; 29.97 fps -> 60 frames
        p = vodplan.make_plan(video(kbps=9000, fps=(30000, 1001)), None,
                              LADDER)
        self.assertEqual(p.keyint, 60)
        self.assertEqual(p.segment_ns, round(60 * 1001 / 30000 * NS))

    def test_audio(self):
        for a, mode in [(AAC, "copy"),
                        (vodplan.AudioSource("audio/mpeg", 1, None, 44100, 2,
                                             128), "encode"),
                        (vodplan.AudioSource("audio/mpeg", 4, "lc", 48000, 6,
                                             384), "encode"),
                        (vodplan.AudioSource("audio/x-opus", 0, None, 48000,
                                             2, 96), "encode")]:
            p = vodplan.make_plan(None, a, LADDER)
            self.assertEqual(p.audio.mode, mode, a)
            self.assertLessEqual(p.audio.channels, 2)
        with self.assertRaises(ValueError):
            vodplan.make_plan(None, None, LADDER)

    def test_regular_gop(self):
        self.assertEqual(vodplan.regular_gop([0, 60, 120, 180], 200),
                         (60, None))
        g, why = vodplan.regular_gop([0, 60, 100, 160], 200)
        self.assertIsNone(g)
        self.assertIn("irregular", why)
        self.assertIsNone(vodplan.regular_gop([3, 63], 100)[0])
        self.assertEqual(vodplan.regular_gop([0], 90), (90, None))


# --- MP4 boxes -------------------------------------------------------------

def box(typ, payload):
    return struct.pack(">I4s", 8 + len(payload), typ.encode()) + payload


def full(typ, version, payload):
    return box(typ, struct.pack(">I", version << 24) + payload)


def table(typ, fmt, rows, version=0):
    return full(typ, version, struct.pack(">I", len(rows)) +
                b"".join(struct.pack(fmt, *r) for r in rows))


def mp4(samples=180, delta=512, timescale=15360, keys=(1, 61, 121),
        ctts=None, elst=None, fragmented=False, sizes=1000, moov_last=False):
    tkhd = full("tkhd", 0, b"\0" * 8 + struct.pack(">I", 1) + b"\0" * 60 +
                struct.pack(">II", 640 << 16, 360 << 16))
    stbl = [full("stsd", 0, struct.pack(">I", 1) +
                 box("avc1", b"\0" * 78))]
    stbl.append(table("stts", ">II", [(samples, delta)]))
    if ctts:
        stbl.append(table("ctts", ">II", ctts))
    if keys is not None:
        stbl.append(table("stss", ">I", [(k,) for k in keys]))
    stbl.append(full("stsz", 0, struct.pack(">II", sizes, samples)))
    mdia = box("mdia", full("mdhd", 0, b"\0" * 8 + struct.pack(
        ">II", timescale, samples * delta) + b"\0" * 4) +
        full("hdlr", 0, b"\0" * 4 + b"vide" + b"\0" * 13) +
        box("minf", box("stbl", b"".join(stbl))))
    trak = [tkhd]
    if elst:
        trak.append(box("edts", table("elst", ">IiI", elst)))
    trak.append(mdia)
    moov = box("moov", full("mvhd", 0, b"\0" * 8 + struct.pack(
        ">II", 1000, samples * delta * 1000 // timescale) + b"\0" * 80) +
        box("trak", b"".join(trak)) + (box("mvex", b"") if fragmented
                                       else b""))
    ftyp = box("ftyp", b"isom\0\0\0\1isom")
    mdat = box("mdat", b"\0" * 64)
    return ftyp + (mdat + moov if moov_last else moov + mdat)


class Mp4Test(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def read(self, data):
        p = os.path.join(self.dir, "x.mp4")
        with open(p, "wb") as f:
            f.write(data)
        return mp4index.read(p)

    def test_regular(self):
        for last in (False, True):
            m = self.read(mp4(moov_last=last))
            t = m.first("vide")
            self.assertEqual((t.codec, t.width, t.height), ("avc1", 640, 360))
            self.assertEqual(t.sample_count, 180)
            self.assertEqual(t.constant_delta(), 512)
            self.assertAlmostEqual(t.seconds, 6.0)
            self.assertAlmostEqual(t.kbps, 180 * 1000 * 8 / 6.0 / 1000)
            self.assertEqual(t.keyframe_positions(), [0, 60, 120])

    def test_b_frames_reorder(self):
        # decode order I P B B ... with composition offsets: the sync
        # samples keep their presentation positions
        n = 120
        offs = []
        for i in range(n):
            offs.append((1, [1024, 1536, 512, 512][i % 4] if i % 60 else 1024))
        m = self.read(mp4(samples=n, keys=(1, 61), ctts=offs,
                          elst=[(4000, 1024, 65536)]))
        self.assertEqual(m.first("vide").keyframe_positions(), [0, 60])

    def test_edit_list_cutting_frames(self):
        m = self.read(mp4(elst=[(4000, 5120, 65536)]))
        with self.assertRaises(mp4index.Mp4Error):
            m.first("vide").keyframe_positions()

    def test_all_sync_and_fragmented(self):
        self.assertIsNone(self.read(mp4(keys=None)).first("vide")
                          .keyframe_positions())
        self.assertTrue(self.read(mp4(fragmented=True)).fragmented)

    def test_not_mp4(self):
        for data in (b"\x47" * 1000, os.urandom(4096),
                     mp4()[:len(mp4()) - 40][:60]):
            with self.assertRaises(mp4index.Mp4Error):
                self.read(data)
        # cut before the moov (moov at the end)
        data = mp4(moov_last=True)
        with self.assertRaises(mp4index.Mp4Error):
            self.read(data[:len(data) - 100])


# --- the API -------------------------------------------------------------------

class FakeService(content.ContentService):
    """A service whose jobs are a fake packager: a Python one-liner that
    writes an entry and prints the events file-to-dash would."""

    FAKE = r'''
import json, os, sys, time
# the worker protocol: the job's command line, then the hash or a cancel
job = json.loads(sys.stdin.readline() or "null")
if job is None:
    sys.exit(0)
src, store = job["argv"][0], job["argv"][2]
msg = json.loads(sys.stdin.readline() or "{}")
if "sha256" not in msg:
    sys.exit(0)
sys.path.insert(0, os.environ["PIPELINES"])
from livestream import content
s = content.Store(store)
h = msg["sha256"]
d = s.entry_dir(h)
os.makedirs(d, exist_ok=True)
def ev(t, **kw):
    kw.update(type=t, hash=h, time=content.now_iso())
    print(json.dumps(kw), flush=True)
ev("TranscodeStarted")
time.sleep(float(os.environ.get("FAKE_DELAY", "0.3")))
for n in ("manifest.mpd", "master.m3u8", "video_0-1.m4s"):
    with open(os.path.join(d, n), "wb") as f:
        f.write(b"0123456789" * 10)
ev("ManifestUpdated", first=True)
ev("ProgressUpdate", percent=100.0)
s.write_metadata(h, {"state": "complete", "sha256": h})
ev("TranscodeCompleted")
'''

    def __init__(self, store):
        super().__init__(store, worker=[sys.executable, "-c", self.FAKE])


def call(app, method, path, body=b"", headers=None):
    req = api.make_request(method, path, headers or {}, body, app)
    return api.dispatch(api.ROUTES, req)


def body_json(resp):
    return json.loads(resp[2])


class ApiTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.environ["PIPELINES"] = os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "..", "..", "..", "pipelines")
        self.app = FakeService(os.path.join(self.dir, "store"))
        self.src = os.path.join(self.dir, "a.mp4")
        with open(self.src, "wb") as f:
            f.write(b"some bytes")

    def tearDown(self):
        self.app.shutdown()
        shutil.rmtree(self.dir)

    def post(self, path):
        return call(self.app, "POST", "/api/v1/content",
                    json.dumps({"path": path}).encode())

    def wait(self, digest):
        for _ in range(200):
            if self.app.info(digest)["state"] in ("complete", "failed"):
                return self.app.info(digest)
            time.sleep(0.05)
        self.fail("job did not end")

    def test_errors(self):
        for method, path, body, status, code in [
                ("GET", "/api/v1/content/" + "0" * 64, b"", 404, "not_found"),
                ("GET", "/api/v1/content/xyz", b"", 404, "not_found"),
                ("GET", "/nope", b"", 404, "not_found"),
                ("POST", "/api/v1/content", b"{", 400, "bad_json"),
                ("POST", "/api/v1/content", b"[1]", 400, "bad_request"),
                ("POST", "/api/v1/content", b"\xff", 400, "bad_json"),
                ("PUT", "/api/v1/content", b"", 405, "method_not_allowed"),
                ("PATCH", "/api/v1/content/" + "0" * 64, b"", 405,
                 "method_not_allowed")]:
            st, h, b = call(self.app, method, path, body)
            self.assertEqual(st, status, (method, path))
            self.assertEqual(json.loads(b)["error"]["code"], code)
            self.assertEqual(h["Content-Type"], "application/json")
            self.assertEqual(h["Access-Control-Allow-Origin"], "*")
        st, h, _b = call(self.app, "PUT", "/api/v1/content")
        self.assertEqual(h["Allow"], "GET, HEAD, OPTIONS, POST")
        st, _h, b = self.post(os.path.join(self.dir, "missing"))
        self.assertEqual((st, json.loads(b)["error"]["code"]),
                         (422, "source_missing"))
        st, _h, b = self.post(self.dir)
        self.assertEqual(st, 422)

    def test_media_roots(self):
        app = FakeService(os.path.join(self.dir, "s2"))
        app.media_roots = [os.path.join(self.dir, "media")]
        st, _h, b = call(app, "POST", "/api/v1/content",
                         json.dumps({"path": self.src}).encode())
        self.assertEqual(st, 403)
        app.shutdown()

    def test_job_shared_and_served(self):
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(
            self.post(self.src))) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        digests = {body_json(a)["hash"] for a in answers}
        self.assertEqual(len(digests), 1)
        digest = digests.pop()
        info = self.wait(digest)
        self.assertEqual(info["state"], "complete")
        self.assertEqual(len(self.app.jobs), 1)
        evs, last = self.app.events(digest)
        self.assertEqual([e["type"] for e in evs].count("TranscodeStarted"), 1)
        st, _h, b = self.post(self.src)
        self.assertEqual(st, 200)
        base = f"/api/v1/content/{digest}"
        # Range and validators
        st, h, b = call(self.app, "GET", base + "/video_0-1.m4s")
        self.assertEqual((st, len(b)), (200, 100))
        self.assertEqual(h["Cache-Control"], api.IMMUTABLE)
        st, h2, b = call(self.app, "GET", base + "/video_0-1.m4s", b"",
                         {"Range": "bytes=5-14"})
        self.assertEqual((st, b, h2["Content-Range"]),
                         (206, b"5678901234", "bytes 5-14/100"))
        for rng, want in [("bytes=90-", (206, 10)), ("bytes=-3", (206, 3)),
                          ("bytes=0-1000", (206, 100)),
                          ("bytes=100-", (416, 0)), ("bytes=5-2", (416, 0)),
                          ("bytes=0-1,5-6", (200, 100)),
                          ("items=0-1", (200, 100))]:
            st, _h, b = call(self.app, "GET", base + "/video_0-1.m4s", b"",
                             {"Range": rng})
            self.assertEqual((st, len(b)), want, rng)
        st, _h, b = call(self.app, "GET", base + "/video_0-1.m4s", b"",
                         {"If-None-Match": h["ETag"]})
        self.assertEqual((st, b), (304, b""))
        st, _h, b = call(self.app, "GET", base + "/video_0-1.m4s", b"",
                         {"Range": "bytes=0-1", "If-Range": '"other"'})
        self.assertEqual((st, len(b)), (200, 100))
        st, h, b = call(self.app, "HEAD", base + "/manifest.mpd")
        self.assertEqual((st, b, h["Content-Length"]), (200, b"", "100"))
        self.assertEqual(h["Content-Type"], "application/dash+xml")
        self.assertEqual(h["Cache-Control"], api.FINAL_MANIFEST)
        future = email.utils.formatdate(time.time() + 3600, usegmt=True)
        st, h, b = call(self.app, "GET", base + "/manifest.mpd", b"",
                        {"If-Modified-Since": future})
        self.assertEqual((st, b), (304, b""))
        self.assertIn("Last-Modified", h)
        # while it grows: revalidated by its ETag only (a date of 1 s
        # resolution would call a manifest rewritten within the second
        # unchanged)
        final = self.app.is_final
        self.app.is_final = lambda d: False
        st, h, b = call(self.app, "GET", base + "/manifest.mpd", b"",
                        {"If-Modified-Since": future})
        self.assertEqual((st, len(b), h["Cache-Control"]),
                         (200, 100, api.GROWING_MANIFEST))
        self.assertNotIn("Last-Modified", h)
        st, _h, b = call(self.app, "GET", base + "/manifest.mpd", b"",
                         {"If-None-Match": h["ETag"]})
        self.assertEqual((st, b), (304, b""))
        self.app.is_final = final
        st, h, _b = call(self.app, "OPTIONS", base + "/manifest.mpd")
        self.assertEqual(st, 204)
        self.assertIn("Range", h["Access-Control-Allow-Headers"])
        for name in ("metadata.json", "x.tmp", ".x.mp4", "a/b.m4s",
                     "video_0-9.m4s"):
            st, h, _b = call(self.app, "GET", base + "/" + name)
            self.assertEqual((st, h["Cache-Control"]), (404, "no-store"), name)
        st, _h, b = call(self.app, "GET", "/api/v1/content")
        self.assertEqual([e["hash"] for e in body_json((st, _h, b))["content"]],
                         [digest])
        st, _h, b = call(self.app, "DELETE", base)
        self.assertEqual(st, 204)
        self.assertEqual(call(self.app, "GET", base)[0], 404)
        # again: the hash comes from the index, the job from the queue path
        st, _h, b = self.post(self.src)
        self.assertEqual(st, 202)
        self.assertEqual(self.wait(digest)["state"], "complete")

    def test_same_bytes_hashed_first_under_another_path(self):
        # request A takes the only slot's worker and hashes slowly; B (the
        # same bytes under another path) hashes first and is queued; A's
        # worker must become the job's (it used to stay queued forever)
        twin = os.path.join(self.dir, "b.mp4")
        shutil.copy(self.src, twin)
        a_hashing, b_done = threading.Event(), threading.Event()
        real = content.sha256_file

        def slow_for_a(path, *args, **kw):
            if path == self.src:
                a_hashing.set()
                b_done.wait(30)
            return real(path, *args, **kw)

        content.sha256_file = slow_for_a
        try:
            answers = []
            a = threading.Thread(target=lambda: answers.append(
                self.post(self.src)))
            a.start()
            self.assertTrue(a_hashing.wait(30))
            st, _h, b = self.post(twin)
            self.assertEqual(st, 202)
            self.assertEqual(body_json((st, _h, b))["state"], "queued")
            b_done.set()
            a.join(30)
        finally:
            content.sha256_file = real
        digest = body_json(answers[0])["hash"]
        self.assertEqual(body_json((st, _h, b))["hash"], digest)
        self.assertEqual(self.wait(digest)["state"], "complete")
        self.assertEqual(len(self.app.jobs), 1)
        # the slot is free again once the job's thread has reaped it
        job = self.app.jobs[digest]
        with job.cond:
            self.assertTrue(job.cond.wait_for(lambda: self.app.running == 0,
                                              timeout=10))

    def test_stale_processing_entry(self):
        # left "processing" by a process that died: nobody holds its lock
        h = "b" * 64
        self.app.store.write_metadata(h, {"state": "processing"})
        info = body_json(call(self.app, "GET", f"/api/v1/content/{h}"))
        self.assertEqual(info["state"], "failed")
        self.assertIn("interrupted", info["error"])
        # ... but while another process holds it, it is processing
        fd = self.app.store.lock(h)
        try:
            info = body_json(call(self.app, "GET", f"/api/v1/content/{h}"))
            self.assertEqual(info["state"], "processing")
        finally:
            content.Store.unlock(fd)

    def test_events_long_poll(self):
        os.environ["FAKE_DELAY"] = "1.0"
        try:
            st, _h, b = self.post(self.src)
            digest = body_json((st, _h, b))["hash"]
            t = time.monotonic()
            st, _h, b = call(self.app, "GET",
                             f"/api/v1/content/{digest}/events?after=1&wait=10")
            evs = body_json((st, _h, b))["events"]
            self.assertEqual(st, 200)
            self.assertTrue(evs and evs[0]["seq"] == 2, evs)
            self.assertLess(time.monotonic() - t, 5)
            st, _h, b = call(self.app, "GET",
                             f"/api/v1/content/{digest}/events?wait=x")
            self.assertEqual(st, 400)
            self.wait(digest)
        finally:
            os.environ.pop("FAKE_DELAY", None)


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.store = content.Store(os.path.join(self.dir, "store"))
        self.src = os.path.join(self.dir, "a.bin")
        with open(self.src, "wb") as f:
            f.write(b"x" * 100000)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_hash_cached_until_the_file_changes(self):
        h, _k, cached = self.store.hash_of(self.src)
        self.assertFalse(cached)
        self.assertEqual(h, content.sha256_file(self.src))
        self.assertEqual(self.store.hash_of(self.src)[2], True)
        time.sleep(0.01)
        with open(self.src, "r+b") as f:
            f.write(b"y")
        h2, _k, cached = self.store.hash_of(self.src)
        self.assertFalse(cached)
        self.assertNotEqual(h, h2)

    def test_lock_and_clear(self):
        h = "a" * 64
        fd = self.store.lock(h)
        self.assertIsNotNone(fd)
        self.assertIsNone(self.store.lock(h))
        self.assertEqual(self.store.lock_owner(h), os.getpid())
        content.Store.unlock(fd)
        fd = self.store.lock(h)
        self.assertIsNotNone(fd)
        content.Store.unlock(fd)
        self.store.write_metadata(h, {"state": "processing"})
        d = self.store.entry_dir(h)
        for n in ("manifest.mpd", "a.m3u8", "v-1.m4s", "v-init.mp4",
                  "v-2.m4s.tmp"):
            open(os.path.join(d, n), "w").close()
        self.store.clear_media(h)
        self.assertEqual(os.listdir(d), ["metadata.json"])
        self.assertFalse(self.store.is_complete(h))


class ProgressTest(unittest.TestCase):
    def test_bar(self):
        line = vod.progress_bar({"percent": 50.0, "speed": 4.25, "eta": 75})
        self.assertIn("[###############...............]", line)
        self.assertIn(" 50.0 %", line)
        self.assertIn("4.2x real time", line)
        self.assertIn("ETA 01:15", line)
        self.assertIn("ETA --:--", vod.progress_bar({"percent": 0}))
        self.assertEqual(vod.fmt_time(3725), "1:02:05")


if __name__ == "__main__":
    unittest.main(verbosity=2)
