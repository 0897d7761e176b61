#!/usr/bin/python3
# The content API on the wire (pipelines/content-server): error answers
# (unknown hash or path 404, bad JSON 400, wrong method 405, a missing
# source 422, each with a JSON error body), concurrent requests for one
# source sharing one job (also under another path with the same bytes),
# the events long poll, serving (Range 206/416, HEAD, OPTIONS preflight,
# ETag 304, caching headers of segments and manifests), a repeated request
# under 50 ms, DELETE; and two file-to-dash processes started at once on
# one source: one packages, the other follows it.
import os
import shutil
import subprocess
import threading
import time

from vodlib import (FILE_TO_DASH, ContentServer, check, cleanup, log,
                    make_media, media_names, require_tools, tmpdir)

require_tools("ffmpeg")
work = tmpdir("vod-api")
src = make_media(os.path.join(work, "clip.mp4"), 12, size="320x240",
                 kbps=300, gop=60)
twin = os.path.join(work, "same-bytes.mp4")
shutil.copyfile(src, twin)
store = os.path.join(work, "store")
srv = ContentServer(store, ["--ladder", "240p"])
ZERO = "0" * 64


def is_error(doc, code):
    return isinstance(doc, dict) and doc.get("error", {}).get("code") == code \
        and doc["error"].get("message")


# --- errors ------------------------------------------------------------------
status, h, doc = srv.json("GET", f"/api/v1/content/{ZERO}")
check(status == 404 and is_error(doc, "not_found") and
      h["content-type"] == "application/json", "unknown hash -> 404 JSON")
status, _h, doc = srv.json("GET", "/api/v1/content/not-a-hash/manifest.mpd")
check(status == 404 and is_error(doc, "not_found"), "malformed hash -> 404")
status, _h, doc = srv.json("GET", "/api/v1/nothing-here")
check(status == 404 and is_error(doc, "not_found"), "unknown path -> 404")
status, _h, doc = srv.json("POST", "/api/v1/content", "{not json",
                           {"Content-Type": "application/json"})
check(status == 400 and is_error(doc, "bad_json"), "bad JSON -> 400")
status, _h, doc = srv.json("POST", "/api/v1/content", {"file": src})
check(status == 400 and is_error(doc, "bad_request"),
      "JSON without \"path\" -> 400")
status, h, doc = srv.json("PUT", "/api/v1/content")
check(status == 405 and is_error(doc, "method_not_allowed") and
      "POST" in h.get("allow", ""), f"PUT -> 405 with Allow ({h.get('allow')})")
status, h, doc = srv.json("POST", f"/api/v1/content/{ZERO}")
check(status == 405 and "GET" in h.get("allow", "") and
      "DELETE" in h.get("allow", ""), "POST on an entry -> 405")
missing = os.path.join(work, "no-such-file.mp4")
status, _h, doc = srv.post(missing)
check(status == 422 and is_error(doc, "source_missing") and
      missing in doc["error"]["message"], f"missing source -> 422 ({status})")
status, _h, doc = srv.json("GET", "/api/v1/events")
fails = [e for e in doc["events"] if e["type"] == "TranscodeFailed"]
check(fails and fails[-1]["path"] == missing and
      "not found" in fails[-1]["reason"],
      "the refused request is a TranscodeFailed event in /api/v1/events")

# --- concurrent requests share one job ----------------------------------------
answers = []


def ask(path):
    answers.append(srv.post(path))


threads = [threading.Thread(target=ask, args=(src if i % 2 else twin,))
           for i in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
digests = {doc["hash"] for _s, _h, doc in answers}
check(len(answers) == 6 and len(digests) == 1,
      f"6 concurrent requests (2 paths, same bytes): one hash {digests}")
digest = digests.pop()
check(all(s == 202 for s, _h, _d in answers), "all 202 (processing)")
base = f"/api/v1/content/{digest}"
events, last = [], 0
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    status, _h, doc = srv.json("GET", f"{base}/events?after={last}&wait=5")
    if status != 200:
        check(False, f"events long poll: {status}")
    events += doc["events"]
    last = doc["last"]
    if any(e["type"] in ("TranscodeCompleted", "TranscodeFailed")
           for e in doc["events"]):
        break
types = [e["type"] for e in events]
check(types.count("TranscodeStarted") == 1 and
      types.count("TranscodeCompleted") == 1,
      f"one job: one TranscodeStarted, one TranscodeCompleted "
      f"({types.count('TranscodeStarted')}, "
      f"{types.count('TranscodeCompleted')})")
jobs = [line for line in srv.lines if "job " in line and
        "file-to-dash" in line]
check(len(jobs) == 1, f"one file-to-dash process ran ({len(jobs)})")
status, _h, info = srv.json("GET", base)
check(status == 200 and info["state"] == "complete" and
      info["progress"]["percent"] == 100.0, "GET entry: complete, 100 %")
check(info["source"]["video"]["width"] == 320 and
      info["ladder"][0]["mode"] == "copy",
      "source info and ladder (240p: the 320x240 source copied)")
status, _h, lst = srv.json("GET", "/api/v1/content")
check(status == 200 and [e["hash"] for e in lst["content"]] == [digest],
      "GET /api/v1/content lists it")

# --- a repeated request ------------------------------------------------------
best = None
for _ in range(10):
    t = time.monotonic()
    status, _h, doc = srv.post(src)
    dt = time.monotonic() - t
    best = dt if best is None else min(best, dt)
check(status == 200 and doc["state"] == "complete", "repeat -> 200 complete")
log(f"repeated POST: best {best * 1000:.1f} ms of 10")
check(best < 0.050, f"repeated request under 50 ms ({best * 1000:.1f} ms)")

# --- serving -------------------------------------------------------------------
status, _h, mpd_text = srv.request("GET", f"{base}/manifest.mpd")
seg_name = media_names(mpd_text.decode())["video_0"][1][1]
seg = f"{base}/{seg_name}"
status, h, full = srv.request("GET", seg)
check(status == 200 and h["content-type"] == "video/iso.segment" and
      "immutable" in h["cache-control"] and h.get("etag") and
      h.get("accept-ranges") == "bytes" and
      h.get("access-control-allow-origin") == "*",
      f"segment: 200, immutable, ETag, CORS ({h.get('cache-control')})")
status, h2, part = srv.request("GET", seg, headers={"Range": "bytes=10-109"})
check(status == 206 and part == full[10:110] and
      h2["content-range"] == f"bytes 10-109/{len(full)}", "Range -> 206")
status, h2, part = srv.request("GET", seg, headers={"Range": "bytes=-50"})
check(status == 206 and part == full[-50:], "suffix Range -> 206")
status, h2, part = srv.request("GET", seg,
                               headers={"Range": f"bytes={len(full)}-"})
check(status == 416 and h2["content-range"] == f"bytes */{len(full)}",
      "unsatisfiable Range -> 416")
status, h2, part = srv.request("GET", seg,
                               headers={"If-None-Match": h["etag"]})
check(status == 304 and part == b"", "If-None-Match -> 304")
status, h2, part = srv.request("HEAD", seg)
check(status == 200 and part == b"" and
      int(h2["content-length"]) == len(full), "HEAD: length, no body")
status, h2, _ = srv.request("OPTIONS", seg, headers={
    "Origin": "http://player.example", "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "Range"})
check(status == 204 and "GET" in h2["access-control-allow-methods"] and
      "Range" in h2["access-control-allow-headers"], "CORS preflight")
status, h2, mpd = srv.request("GET", f"{base}/manifest.mpd")
check(status == 200 and h2["content-type"] == "application/dash+xml" and
      h2["cache-control"] == "public, max-age=86400",
      "final manifest: cacheable for a day")
status, h2, _ = srv.request("GET", f"{base}/master.m3u8")
check(status == 200 and
      h2["content-type"] == "application/vnd.apple.mpegurl", "HLS master")
for bad in ("metadata.json", "..%2Fmetadata.json", seg_name + ".tmp",
            ".hidden.mp4", "video_0-999.m4s"):
    status, h2, doc = srv.json("GET", f"{base}/{bad}")
    check(status == 404 and is_error(doc, "not_found") and
          h2["cache-control"] == "no-store", f"{bad} -> 404, not cached")

# --- two CLI processes at once on a new source: one packages ---------------------
clip2 = make_media(os.path.join(work, "clip2.mp4"), 12, size="320x240",
                   kbps=300, gop=60)
cli_store = os.path.join(work, "cli-store")
procs = [subprocess.Popen([FILE_TO_DASH, clip2, "-o", cli_store, "--ladder",
                           "240p", "--no-copy", "--progress", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) for _ in range(2)]
outs = [p.communicate(timeout=180) for p in procs]
started = sum(o.count('"TranscodeStarted"') for o, _e in outs)
check(all(p.returncode == 0 for p in procs) and started == 1,
      f"two file-to-dash at once: both exit 0, one packaged "
      f"({[p.returncode for p in procs]}, {started} started)")
check(any("following it" in e for _o, e in outs),
      "the other followed its progress")
t = time.monotonic()
r = subprocess.run([FILE_TO_DASH, clip2, "-o", cli_store, "--progress",
                    "none"], timeout=30)
log(f"file-to-dash on a packaged source: {(time.monotonic() - t) * 1000:.0f} "
    "ms (process start included)")
check(r.returncode == 0, "file-to-dash again: exit 0 (existing entry)")

# --- DELETE ------------------------------------------------------------------------
status, _h, _b = srv.request("DELETE", base)
check(status == 204, "DELETE -> 204")
status, _h, doc = srv.json("GET", base)
check(status == 404, "deleted -> 404")
status, _h, doc = srv.json("DELETE", base)
check(status == 404, "DELETE again -> 404")

srv.stop()
cleanup()
shutil.rmtree(work, ignore_errors=True)
log("PASS")
