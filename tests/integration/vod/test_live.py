#!/usr/bin/python3
# Playable while packaging: a 2-minute MKV (854x480 H.264 at 3 Mbit/s, MP3
# audio) is requested from the content server with the design's default
# ladder (only 480p is at or below the source; the source is above the
# rung's bitrate, so it is encoded, and MP3 becomes AAC). As soon as the
# first manifest is served, dash.js, shaka-player and hls.js start playing
# it from the content server, while it is still being packaged: each must
# start playing before the job completes, keep currentTime advancing, and
# report 0 errors; the growing manifests are a dynamic MPD and EVENT
# playlists, then a static MPD and VOD playlists. The events of the job
# arrive through the API in order.
import calendar
import os
import shutil
import time

from vodlib import (ContentServer, check, cleanup, log, make_media, players,
                    require_tools, tmpdir)

require_tools("ffmpeg")
work = tmpdir("vod-live")
src = make_media(os.path.join(work, "film.mkv"), 120, size="854x480",
                 kbps=3000, gop=0, audio="mp3")
store = os.path.join(work, "store")
srv = ContentServer(store)

t0 = time.monotonic()
status, _h, doc = srv.post(src)
check(status == 202, f"POST -> 202 ({status})")
digest = doc["hash"]
base = f"/api/v1/content/{digest}"

# the first manifest: request -> playable
mpd = None
not_yet = None
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    status, h, body = srv.request("GET", base + "/manifest.mpd")
    if status == 200:
        mpd = body.decode()
        break
    not_yet = not_yet or (status, h.get("cache-control"))
    time.sleep(0.05)
playable = time.monotonic() - t0
check(mpd is not None, f"a playable manifest {playable:.2f} s after the "
      "request")
check('type="dynamic"' in mpd, "the growing MPD is dynamic")
if not_yet:
    check(not_yet == (404, "no-store"), f"before it: 404, not cacheable "
          f"{not_yet}")
check(h.get("cache-control") == "no-cache",
      f"a growing manifest is revalidated ({h.get('cache-control')})")
status, _h, pl = srv.request("GET", base + "/video_0.m3u8")
check(status == 200 and b"#EXT-X-PLAYLIST-TYPE:EVENT" in pl and
      b"ENDLIST" not in pl, "the growing playlist is an EVENT playlist")
status, _h, info = srv.json("GET", base)
check(info["state"] == "processing", "still packaging")
check([r["mode"] for r in info["ladder"]] == ["encode"] and
      info["ladder"][0]["name"] == "480p",
      f"default ladder at or below 854x480: 480p, encoded "
      f"({[(r['name'], r['mode']) for r in info['ladder']]})")
check(info["audio"]["mode"] == "encode", "MP3 encoded to AAC")

results = players(srv.base + base, "live", ["--seconds", "15"])
done = srv.wait_state(digest, timeout=300)
check(done["state"] == "complete", f"packaged: {done['state']} "
      f"{done.get('error') or ''}")
events = srv.events(digest, 0)
completed = [e for e in events if e["type"] == "TranscodeCompleted"]
check(len(completed) == 1, "one TranscodeCompleted event")
# the completion's wall-clock time, from the event's ISO time
stamp = completed[0]["time"]
t_done = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + \
    int(stamp[20:23]) / 1000.0
for p in results:
    name = p["player"]
    check(not p["errors"], f"{name}: 0 errors {p['errors'] or ''}")
    check(p["startMs"] is not None, f"{name}: started after {p['startMs']} ms")
    started_at = p["startEpoch"] / 1000.0
    check(started_at < t_done, f"{name}: playing {t_done - started_at:.1f} s "
          "before the packaging completed")
    check(p["advancing"], f"{name}: currentTime advancing ({p['played']:.1f} "
          "s played in 15 s)")
types = [e["type"] for e in events]
check(types[0] == "TranscodeStarted", f"first event TranscodeStarted "
      f"({types[0]})")
for t in ("SegmentReady", "ManifestUpdated", "ProgressUpdate"):
    check(t in types, f"{t} events ({types.count(t)})")
check(types.index("ManifestUpdated") < types.index("TranscodeCompleted"),
      "manifest updates before completion")
seqs = [e["seq"] for e in events]
check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
      "events numbered in order")
pct = [e["percent"] for e in events if e["type"] == "ProgressUpdate"]
check(pct == sorted(pct), f"progress never goes back ({len(pct)} updates)")

status, h, body = srv.request("GET", base + "/manifest.mpd")
check(b'type="static"' in body, "the final MPD is static")
check(h.get("cache-control") == "public, max-age=86400",
      f"the final manifest is cacheable ({h.get('cache-control')})")
status, _h, pl = srv.request("GET", base + "/video_0.m3u8")
check(b"#EXT-X-PLAYLIST-TYPE:VOD" in pl and pl.endswith(b"#EXT-X-ENDLIST\n"),
      "the final playlist is VOD with ENDLIST")
log(f"request -> playable manifest: {playable:.2f} s; packaging "
    f"{done['elapsed']:.1f} s ({done['speed']:.1f}x real time)")
srv.stop()
cleanup()
shutil.rmtree(work, ignore_errors=True)
log("PASS")
