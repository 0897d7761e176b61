#!/usr/bin/python3
# Bad input never leaves a half-published entry: a missing path, random
# bytes, an MP4 cut before its index, an MP4 cut in the middle of its
# media (it was playable while packaging: its manifests must go), a
# corrupt index, a codec GStreamer cannot decode, a full disk (a 1 MB
# tmpfs, or RLIMIT_FSIZE where mounting is not allowed) and an
# interruption: each gives a TranscodeFailed event with a clear reason, a
# non-zero exit, no manifest or segment in the entry (metadata.json says
# "failed"). After the failure the same source can be packaged. The same
# through the API: a corrupt file's entry becomes "failed" with its reason.
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import time

from vodlib import (FILE_TO_DASH, ContentServer, check, cleanup, file_to_dash,
                    log, make_media, require_tools, tmpdir)

require_tools("ffmpeg")
work = tmpdir("vod-bad")
good = make_media(os.path.join(work, "good.mp4"), 20, size="320x240",
                  kbps=300, gop=60, extra=["-movflags", "+faststart"])
with open(good, "rb") as f:
    data = f.read()
store = os.path.join(work, "store")


def write(name, content):
    p = os.path.join(work, name)
    with open(p, "wb") as f:
        f.write(content)
    return p


def media_files(digest, root=store):
    d = os.path.join(root, digest)
    if not os.path.isdir(d):
        return []
    return sorted(n for n in os.listdir(d) if n != "metadata.json")


def expect_failure(path, reason, args=(), root=store, what=None):
    what = what or os.path.basename(path)
    code, events, _err = file_to_dash([path, "-o", root, "--ladder", "240p"]
                                      + list(args))
    fails = [e for e in events if e["type"] == "TranscodeFailed"]
    check(code == 1, f"{what}: exit 1 ({code})")
    check(len(fails) == 1 and reason in fails[0]["reason"],
          f"{what}: TranscodeFailed \"{fails[0]['reason'] if fails else '-'}\"")
    check(not any(e["type"] == "TranscodeCompleted" for e in events),
          f"{what}: no TranscodeCompleted")
    digest = fails[0].get("hash")
    if digest:
        left = media_files(digest, root)
        check(left == [], f"{what}: nothing published in the entry {left}")
        md_path = os.path.join(root, digest, "metadata.json")
        if os.path.exists(md_path):
            with open(md_path) as f:
                md = json.load(f)
            check(md["state"] == "failed" and reason in md["error"],
                  f"{what}: metadata.json state failed, with the reason")
    return events


# missing path: nothing is created
events = expect_failure(os.path.join(work, "missing.mp4"), "source not found")
check(not os.path.exists(store) or os.listdir(store) in ([], [".index"]),
      "missing path: no entry")

# random bytes (seeded: typefinders match some random data as a subtitle
# format now and then, which the next case covers)
expect_failure(write("random.mp4", random.Random(18).randbytes(300000)),
               "not a media file GStreamer can read")

# an MP4 GStreamer reads, without audio or video (subtitles only)
srt = write("subtitles.srt", b"1\n00:00:01,000 --> 00:00:02,000\nhello\n\n"
            b"2\n00:00:03,000 --> 00:00:04,000\nworld\n")
subs = os.path.join(work, "subtitles.mp4")
r = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-i", srt, "-c:s", "mov_text", subs], timeout=60)
check(r.returncode == 0, "made subtitles.mp4")
expect_failure(subs, "no audio or video stream in the source")

# an MP4 cut before its index (moov at the end, as most encoders write)
tail_moov = make_media(os.path.join(work, "tail-moov.mp4"), 20,
                       size="320x240", kbps=300, gop=60)
with open(tail_moov, "rb") as f:
    cut = f.read()
expect_failure(write("cut-before-index.mp4", cut[:len(cut) // 2]),
               "truncated MP4/MOV")

# an MP4 cut in the middle of its media: the index says 20 s; packaging
# starts, publishes manifests, then the media ends early -> all removed
events = expect_failure(write("cut-media.mp4", data[:len(data) // 2]),
                        "truncated source")
check(any(e["type"] == "ManifestUpdated" for e in events),
      "cut-media.mp4: it was playable while packaging (and withdrawn)")

# a corrupt index (the sample size table overwritten)
bad = bytearray(data)
i = bad.find(b"stsz")
bad[i + 12:i + 400] = b"\xff" * 388
expect_failure(write("corrupt-index.mp4", bytes(bad)), "corrupt")

# a codec GStreamer cannot decode here (zlib video in AVI)
zlib = os.path.join(work, "zlib.avi")
r = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10",
                    "-t", "2", "-c:v", "zlib", zlib], timeout=60)
check(r.returncode == 0, "made zlib.avi")
expect_failure(zlib, "unsupported video codec")

# a full disk
tiny = os.path.join(work, "tiny")
os.makedirs(tiny)
mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                          tiny], stderr=subprocess.DEVNULL).returncode == 0
try:
    if mounted:
        log("full disk: a 1 MB tmpfs")
        expect_failure(good, "disk full", root=os.path.join(tiny, "store"),
                       what="1 MB tmpfs")
    else:
        log("full disk: mount not allowed here, RLIMIT_FSIZE of 30 kB "
            "(smaller than a segment)")
        code = subprocess.run(
            [FILE_TO_DASH, good, "-o", os.path.join(tiny, "store"),
             "--ladder", "240p", "--progress", "json"],
            stdout=subprocess.PIPE, text=True, timeout=120,
            preexec_fn=lambda: resource.setrlimit(
                resource.RLIMIT_FSIZE, (30000, 30000)))
        fails = [json.loads(x) for x in code.stdout.splitlines()
                 if '"TranscodeFailed"' in x]
        check(code.returncode == 1 and fails and "disk full" in
              fails[0]["reason"], f"RLIMIT_FSIZE: TranscodeFailed "
              f"({fails[0]['reason'] if fails else code.returncode})")
        check(media_files(fails[0]["hash"], os.path.join(tiny, "store")) == [],
              "RLIMIT_FSIZE: nothing published")
finally:
    if mounted:
        subprocess.run(["umount", tiny])

# interrupted while packaging (SIGINT): exit 130, nothing left
slow = make_media(os.path.join(work, "slow.mp4"), 60, size="640x360",
                  kbps=800, gop=60)
p = subprocess.Popen([FILE_TO_DASH, slow, "-o", store, "--ladder",
                      "360p,240p", "--no-copy", "--progress", "json"],
                     stdout=subprocess.PIPE, text=True)
digest = None
deadline = time.monotonic() + 60
for line in p.stdout:
    ev = json.loads(line)
    digest = ev.get("hash") or digest
    if ev["type"] == "ManifestUpdated" or time.monotonic() > deadline:
        break
p.send_signal(signal.SIGINT)
rest = p.stdout.read()
code = p.wait(60)
fails = [json.loads(x) for x in rest.splitlines() if "TranscodeFailed" in x]
check(code == 130 and fails and "interrupted" in fails[0]["reason"],
      f"SIGINT while packaging: exit 130, TranscodeFailed ({code})")
check(media_files(digest) == [], "interrupted: nothing left published")

# after a failure the same source packages normally
code, events, _e = file_to_dash([good, "-o", os.path.join(work, "store2"),
                                 "--ladder", "240p"])
check(code == 0 and events[-1]["type"] == "TranscodeCompleted",
      "a good file packages (exit 0, TranscodeCompleted)")

# the API: a corrupt file's entry is failed, with its reason
srv = ContentServer(os.path.join(work, "api-store"), ["--ladder", "240p"])
status, _h, doc = srv.post(os.path.join(work, "corrupt-index.mp4"))
check(status == 202, f"POST corrupt file -> 202 ({status})")
digest = doc["hash"]
doc = srv.wait_state(digest, timeout=60)
check(doc["state"] == "failed" and "corrupt" in doc["error"],
      f"GET: state failed, \"{doc.get('error')}\"")
status, _h, _b = srv.request("GET", f"/api/v1/content/{digest}/manifest.mpd")
check(status == 404, "no manifest served")
ev = srv.events(digest)
check([e["type"] for e in ev][-1] == "TranscodeFailed" and
      "corrupt" in ev[-1]["reason"], "events end with TranscodeFailed")
status, _h, doc = srv.post(os.path.join(work, "corrupt-index.mp4"))
check(status == 202, "a new request for a failed source tries again")
doc = srv.wait_state(digest, timeout=60)
check(doc["state"] == "failed", "... and fails the same way")
srv.stop()

cleanup()
shutil.rmtree(work, ignore_errors=True)
log("PASS")
