#!/usr/bin/python3
# On-demand packaging against FFmpeg, in one run, interleaved.
#
#   bench/vod/vod-bench.py [--minutes 10] [--rounds 2] [--work DIR]
#                          [--variants auto,ffmpeg,encode-all,ffmpeg-copy]
#                          [--playable-trials 5] [--repeat-trials 20]
#
# The source (made once with ffmpeg, not timed, kept in --work): 1920x1080
# 30 fps H.264 at 4 Mbit/s with a fixed 2 s GOP and AAC 128 kbps in MP4,
# i.e. a file that already fits the design ladder's top rung. Each round
# runs, one after the other on the same machine:
#   auto        pipelines/file-to-dash, default ladder (1080p copied,
#               720p and 480p encoded with x264 veryfast, AAC copied)
#   ffmpeg      FFmpeg producing the same ladder the usual way: one
#               decode, split, scale, three libx264 -preset veryfast
#               encodes (same bitrates, VBV, GOP, no scenecut), AAC 128k,
#               -f dash with HLS playlists
#   encode-all  file-to-dash --no-copy: every rung and the audio encoded
#               (like for like with 'ffmpeg')
#   ffmpeg-copy FFmpeg copying the 1080p and the audio, encoding 720p and
#               480p (like for like with 'auto')
# and prints wall time, x real time, CPU (user+sys of the children), the
# load average before each run, and the ratios of each round.
# Then: time from request to a playable manifest (content server, fresh
# store per trial, hashing included; and the CLI), and the time of a
# repeated request for a packaged file (API and CLI).
import argparse
import http.client
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
F2D = os.path.join(REPO, "pipelines", "file-to-dash")
SERVER = os.path.join(REPO, "pipelines", "content-server")
RUNGS = [("1080p", 1920, 1080, 4000), ("720p", 1280, 720, 2500),
         ("480p", 854, 480, 1200)]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load():
    return os.getloadavg()[0]


def make_source(path, minutes):
    if os.path.exists(path):
        return
    log(f"making {path} ({minutes} min 1080p30, not timed)...")
    t = time.monotonic()
    tmp = path + ".part.mp4"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", str(minutes * 60), "-c:v", "libx264", "-preset", "superfast",
         "-b:v", "4000k", "-maxrate", "4400k", "-bufsize", "8000k",
         "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
         "-movflags", "+faststart", tmp], check=True)
    os.rename(tmp, path)
    log(f"  made in {time.monotonic() - t:.0f} s")


def ffmpeg_cmd(src, out, copy_top):
    v = []
    if copy_top:
        fc = "[0:v]split=2[b][c];[b]scale=1280:720[b2];[c]scale=854:480[c2]"
        maps = [("0:v", None)] + [(f"[{n}]", r) for n, r in
                                   (("b2", RUNGS[1]), ("c2", RUNGS[2]))]
    else:
        fc = ("[0:v]split=3[a][b][c];[b]scale=1280:720[b2];"
              "[c]scale=854:480[c2]")
        maps = [("[a]", RUNGS[0]), ("[b2]", RUNGS[1]), ("[c2]", RUNGS[2])]
    for i, (m, r) in enumerate(maps):
        v += ["-map", m]
        if r is None:
            v += [f"-c:v:{i}", "copy"]
        else:
            k = r[3]
            v += [f"-c:v:{i}", "libx264", f"-b:v:{i}", f"{k}k",
                  f"-maxrate:v:{i}", f"{k}k", f"-bufsize:v:{i}", f"{2 * k}k"]
    a = ["-map", "0:a", "-c:a", "copy"] if copy_top else \
        ["-map", "0:a", "-c:a", "aac", "-b:a", "128k"]
    return (["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", src,
             "-filter_complex", fc] + v + a +
            ["-preset", "veryfast", "-g", "60", "-keyint_min", "60",
             "-sc_threshold", "0", "-f", "dash", "-seg_duration", "2",
             "-use_template", "1", "-use_timeline", "1", "-hls_playlist", "1",
             "-adaptation_sets", "id=0,streams=v id=1,streams=a",
             os.path.join(out, "manifest.mpd")])


def timed(cmd):
    """(wall s, cpu s of the child, exit code)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    wall = time.monotonic() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if p.returncode != 0:
        log(f"  FAILED ({p.returncode}): {p.stderr[-500:]}")
    return wall, cpu, p.returncode


def run_variant(name, src, work, media_s):
    out = os.path.join(work, f"out-{name}")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    if name == "auto":
        cmd = [F2D, src, "-o", out, "--progress", "none"]
    elif name == "encode-all":
        cmd = [F2D, src, "-o", out, "--progress", "none", "--no-copy"]
    elif name == "ffmpeg":
        cmd = ffmpeg_cmd(src, out, False)
    elif name == "ffmpeg-copy":
        cmd = ffmpeg_cmd(src, out, True)
    else:
        raise SystemExit(f"unknown variant {name}")
    la = load()
    wall, cpu, rc = timed(cmd)
    res = {"variant": name, "wall": round(wall, 2), "cpu": round(cpu, 1),
           "speed": round(media_s / wall, 3), "load": round(la, 2),
           "ok": rc == 0}
    log(f"  {name:12s} {wall:7.1f} s  {media_s / wall:5.2f}x real time  "
        f"cpu {cpu:7.1f} s  load {la:.1f}{'' if rc == 0 else '  FAILED'}")
    if name != "auto":      # its store serves the repeated requests
        shutil.rmtree(out, ignore_errors=True)
    return res


class Server:
    def __init__(self, store):
        self.p = subprocess.Popen([SERVER, "-o", store, "--port", "0"],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.port = None
        for line in self.p.stdout:
            m = re.search(r"listening on http://[^:]+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        threading.Thread(target=lambda: [None for _ in self.p.stdout],
                         daemon=True).start()

    def req(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=body)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()


def time_to_playable_api(src, work, trials):
    out = []
    for i in range(trials):
        store = os.path.join(work, f"playable-{i}")
        shutil.rmtree(store, ignore_errors=True)
        srv = Server(store)
        time.sleep(2.0)        # a server that runs already (warm worker up)
        la = load()
        t = time.monotonic()
        st, body = srv.req("POST", "/api/v1/content",
                           json.dumps({"path": src}))
        post = time.monotonic() - t
        digest = json.loads(body)["hash"]
        while True:
            st, _b = srv.req("GET", f"/api/v1/content/{digest}/manifest.mpd")
            if st == 200:
                break
            if time.monotonic() - t > 60:
                break
            time.sleep(0.01)
        dt = time.monotonic() - t
        log(f"  API trial {i}: POST answered in {post * 1000:.0f} ms "
            f"(hashing included), manifest after {dt:.2f} s (load {la:.1f})")
        out.append({"seconds": round(dt, 3), "post": round(post, 3),
                    "load": round(la, 2)})
        srv.stop()
        shutil.rmtree(store, ignore_errors=True)
    return out


def time_to_playable_cli(src, work, trials):
    out = []
    for i in range(trials):
        store = os.path.join(work, f"playable-cli-{i}")
        shutil.rmtree(store, ignore_errors=True)
        la = load()
        t = time.monotonic()
        p = subprocess.Popen([F2D, src, "-o", store, "--progress", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
        dt = None
        for line in p.stdout:
            if '"ManifestUpdated"' in line:
                dt = time.monotonic() - t
                break
        p.terminate()
        p.wait(30)
        log(f"  CLI trial {i}: playable manifest after {dt:.2f} s "
            f"(load {la:.1f})")
        out.append({"seconds": round(dt, 3), "load": round(la, 2)})
        shutil.rmtree(store, ignore_errors=True)
    return out


def repeat_times(src, work, trials):
    # the store of the 'auto' run when there is one (else packaged now)
    store = os.path.join(work, "out-auto")
    subprocess.run([F2D, src, "-o", store, "--progress", "none"], check=True)
    srv = Server(store)
    api = []
    for _ in range(trials):
        t = time.monotonic()
        st, body = srv.req("POST", "/api/v1/content",
                           json.dumps({"path": src}))
        api.append(time.monotonic() - t)
        assert st == 200, (st, body[:200])
    srv.stop()
    cli = []
    for _ in range(max(5, trials // 2)):
        t = time.monotonic()
        subprocess.run([F2D, src, "-o", store, "--progress", "none"],
                       check=True)
        cli.append(time.monotonic() - t)
    shutil.rmtree(store, ignore_errors=True)
    return api, cli


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--work", default="/tmp/vod-bench")
    ap.add_argument("--variants", default="auto,ffmpeg,encode-all,ffmpeg-copy")
    ap.add_argument("--playable-trials", type=int, default=5)
    ap.add_argument("--repeat-trials", type=int, default=20)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-latency", action="store_true",
                    help="no time-to-playable / repeat measurements")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    src = os.path.join(args.work, f"src-1080p-{args.minutes:g}min.mp4")
    make_source(src, args.minutes)
    media_s = args.minutes * 60
    report = {"source": src, "cores": os.cpu_count(), "rounds": []}
    variants = args.variants.split(",")
    if not args.skip_speed:
        for r in range(args.rounds):
            log(f"round {r + 1}/{args.rounds}")
            order = variants if r % 2 == 0 else variants[::-1]
            res = {v: run_variant(v, src, args.work, media_s) for v in order}
            report["rounds"].append(res)
            ratios = {}
            for a, b in (("auto", "ffmpeg"), ("encode-all", "ffmpeg"),
                         ("auto", "ffmpeg-copy")):
                if a in res and b in res:
                    ratios[f"{a}/{b}"] = round(res[a]["speed"] /
                                               res[b]["speed"], 3)
            res["ratios"] = ratios
            log(f"  ratios (speed): {ratios}")
    if args.skip_latency:
        print(json.dumps(report, indent=1))
        return
    log("time from request to a playable manifest")
    report["playable_api"] = time_to_playable_api(src, args.work,
                                                  args.playable_trials)
    report["playable_cli"] = time_to_playable_cli(src, args.work,
                                                  args.playable_trials)
    log("repeated request of a packaged file")
    api, cli = repeat_times(src, args.work, args.repeat_trials)
    report["repeat_api_ms"] = [round(x * 1000, 2) for x in api]
    report["repeat_cli_ms"] = [round(x * 1000, 1) for x in cli]
    log(f"  API: median {statistics.median(api) * 1000:.1f} ms, max "
        f"{max(api) * 1000:.1f} ms; CLI (process start included): median "
        f"{statistics.median(cli) * 1000:.0f} ms")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
