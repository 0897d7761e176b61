#!/usr/bin/python3
# A 2-minute file packaged through the content API and read back by every
# reader: dash.js, shaka-player and hls.js play it from the content server
# and seek to the middle and to the end with 0 errors; ffprobe reads the
# MPD and the HLS master; GStreamer's dashdemux2 (playbin3) plays it to
# the end. The source (640x360, a fixed 2 s GOP) fits the 360p rung: it is
# copied, 240p is encoded with the same GOP, the AAC is copied; segments
# align across rungs. A repeated request answers at once.
import json
import os
import shutil
import subprocess
import time

from vodlib import (ContentServer, check, cleanup, fail, log, make_media,
                    players, require_tools, media_names, timelines,
                    tmpdir)
from lslib import PLAY_SCRIPT  # noqa: E402 (on the path set by vodlib)

require_tools("ffmpeg", "ffprobe", "gst-launch-1.0")
work = tmpdir("vod-package")
src = make_media(os.path.join(work, "film.mp4"), 120, size="640x360",
                 kbps=700, gop=60)
store = os.path.join(work, "store")
srv = ContentServer(store, ["--ladder", "360p,240p"])

t0 = time.monotonic()
status, h, doc = srv.post(src)
check(status == 202 and doc["state"] in ("queued", "processing"),
      f"POST /api/v1/content -> 202 processing ({status} {doc.get('state')})")
digest = doc["hash"]
check(h.get("location") == f"/api/v1/content/{digest}", "Location header")
doc = srv.wait_state(digest, timeout=300)
elapsed = time.monotonic() - t0
check(doc["state"] == "complete", f"packaged: {doc.get('state')} "
      f"{doc.get('error') or ''} in {elapsed:.1f} s "
      f"({120 / elapsed:.1f}x real time)")

# the entry on disk
entry = os.path.join(store, digest)
modes = {r["name"]: r["mode"] for r in doc["ladder"]}
check(modes == {"360p": "copy", "240p": "encode"},
      f"360p copied, 240p encoded: {modes}")
check(doc["audio"]["mode"] == "copy", "AAC copied")
check(abs(doc["duration"] - 120) < 0.5, f"duration {doc['duration']}")
for name in ("manifest.mpd", "master.m3u8", "video_0.m3u8", "video_1.m3u8",
             "audio_0.m3u8", "metadata.json"):
    check(os.path.exists(os.path.join(entry, name)), f"{name} in the entry")
with open(os.path.join(entry, "manifest.mpd")) as f:
    names = media_names(f.read())
missing = [n for init, media in names.values() for n in [init] + media
           if not os.path.exists(os.path.join(entry, n))]
check(sorted(names) == ["audio_0", "video_0", "video_1"] and not missing,
      f"every init and media segment the MPD names is in the entry "
      f"({sum(len(m) for _i, m in names.values())} segments; missing "
      f"{missing[:3]})")
check(not [n for n in os.listdir(entry) if n.endswith(".tmp")],
      "no temporary files left")
with open(os.path.join(entry, "manifest.mpd")) as f:
    root, tl = timelines(f.read())
check(root.get("type") == "static", "static MPD")
v0, v1 = tl["video_0"], tl["video_1"]
check(v0[1] == v1[1], f"video segments aligned: {len(v0[1])} identical "
      "(t, d) in both rungs")
durs = {d / v0[0] for _t, d in v0[1][:-1]}
check(durs == {2.0}, f"2 s segments: {sorted(durs)}")
# media time is UTC: the presentation is as long as the source from its
# first segment, which presentationTimeOffset puts at the Period start
end = (v0[1][-1][0] + v0[1][-1][1] - v0[1][0][0]) / v0[0]
check(abs(end - 120) < 0.1, f"the video timeline is {end:.3f} s long")
for rep in ("video_0", "video_1", "audio_0"):
    with open(os.path.join(entry, f"{rep}.m3u8")) as f:
        pl = f.read()
    check("#EXT-X-PLAYLIST-TYPE:VOD" in pl and
          pl.endswith("#EXT-X-ENDLIST\n"), f"{rep}.m3u8: VOD with ENDLIST")

base = f"{srv.base}/api/v1/content/{digest}"

# ffprobe: the MPD and the HLS master over HTTP
for url, what in ((base + "/manifest.mpd", "DASH"),
                  (base + "/master.m3u8", "HLS")):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_name,width,height:format=duration",
                        "-of", "json", url], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    check(r.returncode == 0 and '"h264"' in r.stdout and '"aac"' in r.stdout,
          f"ffprobe reads the {what} presentation ({r.stderr.strip()[-200:]})")

# GStreamer's dashdemux2: playbin3 plays the MPD to the end
r = subprocess.run(["/usr/bin/python3", "-c", PLAY_SCRIPT,
                    f"{base}/manifest.mpd", "150", "playbin3"],
                   capture_output=True, text=True, timeout=200)
try:
    res = json.loads(r.stdout.strip().splitlines()[-1])
except (ValueError, IndexError):
    fail(f"playbin3 run failed: {r.stderr[-1000:]}")
log(f"playbin3: {res}")
check(res["demux"] == ["dashdemux2"] and not res["errors"],
      f"dashdemux2 reads the MPD, no error {res['errors']}")
check(res["video"] == 3600, f"every video frame played ({res['video']})")
check(res["audio"] > 5000, f"audio played ({res['audio']} buffers)")

# a repeated request: the existing entry, at once
best = None
for _ in range(5):
    t = time.monotonic()
    status, _h, again = srv.post(src)
    dt = time.monotonic() - t
    best = dt if best is None else min(best, dt)
check(status == 200 and again["state"] == "complete" and
      again["hash"] == digest, "repeated POST: 200, the complete entry")
log(f"repeated POST: {best * 1000:.1f} ms (best of 5)")
check(best < 0.050, f"repeated request under 50 ms ({best * 1000:.1f} ms)")

# the players: dash.js, shaka, hls.js from the content server, seeking
results = players(base, "seek", ["--timeout", "60"])
check(len(results) == 3, "three players ran")
for p in results:
    name = p["player"]
    check(not p["errors"], f"{name}: 0 errors {p['errors'] or ''}")
    check(p.get("startMs") is not None, f"{name}: playback started in "
          f"{p.get('startMs')} ms")
    check(abs((p.get("duration") or 0) - 120) < 1,
          f"{name}: duration {p.get('duration')}")
    check(p.get("mid", {}).get("ok"), f"{name}: seek to the middle plays "
          f"on ({p.get('mid')})")
    check(p.get("end", {}).get("ended"), f"{name}: seek to the end plays to "
          f"the end ({p.get('end')})")

srv.stop()
cleanup()
shutil.rmtree(work, ignore_errors=True)
log("PASS")
