#!/usr/bin/python3
# livestream-server: two publishers on one SRT port, the REST API, /metrics,
# outputs, pause, sync, previews, the memory budget, a failing stream that
# ends alone, and shutdown.
#
# Debian's ffmpeg publishes two streams (cam1, cam2: 320x180 H.264 + AAC)
# to one SRT port; the server transcodes each to a 240p rung and serves
# /live/{id}/ and /api/v1/ on one HTTP port. Checked, through the API and
# HTTP as an operator sees them:
#  - both streams are listed and served (MPD, HLS), with LL-HLS under
#    their mount (parts, the preload hint held, a blocking playlist
#    reload) and the CDN Cache-Control policy; a third publisher is
#    refused at SRT accept because the memory budget holds two streams
#    (counted as refused by the application);
#  - the stream, stats, buffer and sync resources; a JPEG preview of the
#    latest keyframe at the asked width; av-offset adjusted through the
#    API shows in the sync status; 404, 400 and 405 with JSON bodies;
#  - pause stops the stream's input (gopbuffer gets nothing), resume takes
#    it again, the publisher stays connected;
#  - an SRT output added through the API reaches a receiver that gets a
#    keyframe first and decodes; the output is listed, then deleted;
#  - /metrics: every series once, a stream label on each stream's, the
#    service's own;
#  - DELETE ends cam1 (its MPD static) while cam2 goes on;
#  - a publisher whose output directory cannot be created (a file is in
#    the way) fails alone: its stream ends, cam2 goes on;
#  - the events of all this; SIGINT: exit 0, cam2's MPD static and
#    played back by GStreamer.
import json
import os
import re
import shutil
import subprocess
import time

import lslib
from lslib import check, log
from test_restream import RECEIVER

SEND = 60
FPS = 30


def llhls(site):
    """LL-HLS and the CDN policy under a stream's mount: parts and a
    preload hint in the media playlist, the hinted part held until it is
    complete, a blocking playlist reload, cacheable segments."""
    st, _h, master = lslib.http("GET", site + "master.m3u8")
    uri = [ln for ln in master.decode().splitlines()
           if ln and not ln.startswith("#")][0]
    st, _h, text = lslib.http("GET", site + uri)
    text = text.decode()
    hint = re.search(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"', text)
    check(st == 200 and "#EXT-X-PART:" in text and hint and
          "CAN-BLOCK-RELOAD=YES" in text, f"{uri}: parts, a preload hint")
    # parts are named <rep>-<segment's $Time$>.<index>.m4s: the hinted
    # part's MSN is the media sequence plus the segments listed before it
    m = re.search(r"\.(\d+)\.m4s$", hint.group(1))
    msn = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1)) + \
        text.count("#EXTINF:")
    t0 = time.monotonic()
    st, h, part = lslib.http("GET", site + hint.group(1))
    check(st == 200 and len(part) > 0 and h.get("Cache-Control", "")
          .startswith("public, max-age="), f"the hinted part {hint.group(1)}"
          f": {len(part)} bytes after {time.monotonic() - t0:.2f} s")
    st, _h, text = lslib.http("GET", f"{site}{uri}?_HLS_msn={msn}"
                              f"&_HLS_part={int(m.group(1)) + 1}")
    # answered once the part after the hinted one is listed (the next
    # of its segment, or the first of the next segment)
    parts = re.findall(r'^#EXT-X-PART:.*URI="([^"]+)"', text.decode(), re.M)
    later = parts[parts.index(hint.group(1)) + 1:] \
        if hint.group(1) in parts else []
    check(st == 200 and later, "a blocking playlist reload for the part "
          f"after {hint.group(1)} (MSN {msn}): answered when it lists "
          f"{later[:1]}")
    seg = re.findall(r"^(\S+\.m4s)$", text.decode(), re.M)[-1]
    st, h, _b = lslib.http("GET", site + seg)
    check(st == 200 and h.get("Cache-Control", "").endswith("immutable"),
          f"segment {seg}: Cache-Control {h.get('Cache-Control')}")


def main():
    lslib.require_elements("srtingestsrc", "livestreamapi", "dashlivesink",
                           "gopbuffer", "srtsrc", "srtsink", "x264enc",
                           "avdec_h264", "jpegenc")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("server")
    srt = lslib.free_udp_port()
    http = lslib.free_tcp_port()
    base = f"http://127.0.0.1:{http}"
    api = base + "/api/v1"
    r = lslib.server([
        "--srt-port", str(srt), "--http-port", str(http), "--output", out,
        "--ladder", "240p", "--segment-duration", "1",
        "--chunk-duration", "0.2", "--max-streams", "4",
        "--max-stream-bytes", "24M", "--max-total-bytes", "50M",
        "--no-degrade", "--output-retry", "0.5"], status_interval=1)
    check(r.wait_for_line("listening for SRT", 15), "the server listens")
    senders = {n: lslib.ffmpeg_srt_sender(srt, SEND, n, size="320x180",
                                          fps=FPS, gop=FPS)
               for n in ("cam1", "cam2")}

    def streams():
        st, _h, doc = lslib.http_json("GET", api + "/streams")
        return {s["id"]: s for s in (doc or {}).get("streams", [])} \
            if st == 200 else {}

    end = time.monotonic() + 20
    while time.monotonic() < end:
        ss = streams()
        if len(ss) == 2 and all(s["segments"] >= 4 for s in ss.values()):
            break
        time.sleep(0.5)
    ss = streams()
    check(set(ss) == {"cam1", "cam2"} and
          all(s["segments"] >= 4 for s in ss.values()),
          f"both publishers are streams with segments: "
          f"{ {k: v['segments'] for k, v in ss.items()} }")
    for n in ("cam1", "cam2"):
        st, h, body = lslib.http("GET", f"{base}/live/{n}/manifest.mpd")
        check(st == 200 and b"<MPD" in body and
              h.get("Content-Type") == "application/dash+xml",
              f"/live/{n}/manifest.mpd is served")
        st, h, body = lslib.http("GET", f"{base}/live/{n}/master.m3u8")
        check(st == 200 and body.startswith(b"#EXTM3U"),
              f"/live/{n}/master.m3u8 is served")
    check(ss["cam1"]["urls"]["mpd"] == f"{base}/live/cam1/manifest.mpd",
          "the API gives the stream's URLs")
    llhls(base + "/live/cam1/")

    # a third publisher: the budget (50M) holds two streams of 24M
    cam3 = lslib.ffmpeg_srt_sender(srt, 5, "cam3", size="320x180", fps=FPS)
    cam3.wait(20)
    st, _h, stats = lslib.http_json("GET", api + "/stats")
    check(st == 200 and stats["refused_memory_budget"] >= 1 and
          stats["refused_by_reason"].get("by-application", 0) >= 1 and
          "cam3" not in streams(),
          f"cam3 is refused at SRT accept by the memory budget "
          f"(refused: {stats['refused_by_reason']})")
    check(stats["memory"]["budget"] == 50 << 20 and
          stats["memory"]["reserved"] == 2 * (24 << 20) and
          0 < stats["memory"]["used"], f"memory in the stats: "
          f"{stats['memory']}")

    # one stream's resources
    st, _h, info = lslib.http_json("GET", api + "/streams/cam1")
    check(st == 200 and info["state"] == "live" and
          info["publisher"].startswith("127.0.0.1:") and
          info["stream_id"] == "cam1" and info["memory"]["limit"] == 24 << 20,
          "GET /streams/cam1: live, its publisher, its memory bound")
    st, _h, est = lslib.http_json("GET", api + "/stats/streams/cam1")
    check(st == 200 and {"gop", "vqueue", "dash", "avs"} <=
          set(est["elements"]) and est["srt"].get("packets-received", 0) > 0,
          "GET /stats/streams/cam1: every element's stats and SRT's")
    st, _h, buf = lslib.http_json("GET", api + "/video/buffer/cam1")
    check(st == 200 and buf["cached_gops"] >= 1 and buf["cached_bytes"] > 0,
          f"GET /video/buffer/cam1: {buf['cached_gops']} GOP, "
          f"{buf['cached_bytes']} bytes cached")
    st, h, jpeg = lslib.http("GET", api + "/video/preview/cam1?width=160")
    size = lslib.jpeg_size(jpeg) if st == 200 else None
    check(st == 200 and h.get("Content-Type") == "image/jpeg" and
          size == (160, 90), f"GET /video/preview/cam1?width=160: a JPEG "
          f"{size}")

    # sync
    st, _h, sync = lslib.http_json("POST", api + "/sync/adjust/cam1",
                                   {"offset_ms": 40})
    check(st == 200 and abs(sync["av_offset_ms"] - 40) < 0.01,
          "POST /sync/adjust/cam1 {offset_ms: 40}: the status shows it")
    st, _h, sync = lslib.http_json("GET", api + "/sync/status/cam1")
    check(st == 200 and abs(sync["av_offset_ms"] - 40) < 0.01 and
          "measured_offset_ms" in sync, "GET /sync/status/cam1")

    # errors
    for method, path, body, want in (
            ("GET", "/streams/nope", None, 404),
            ("GET", "/video/preview/nope", None, 404),
            ("POST", "/sync/adjust/cam1", b"{not json", 400),
            ("POST", "/sync/adjust/cam1", {"offset_ms": "x"}, 400),
            ("POST", "/sync/adjust/cam1", {"offset_ms": 1e9}, 400),
            ("GET", "/sync/adjust/cam1", None, 405),
            ("PUT", "/streams", b"", 405),
            ("POST", "/streams/cam1/outputs", {"url": "http://x/y"}, 400),
            ("GET", "/nothing/here", None, 404)):
        st, h, doc = lslib.http_json(method, api + path, body)
        ok = st == want and isinstance(doc, dict) and "error" in doc and \
            h.get("Content-Type") == "application/json"
        if want == 405:
            ok = ok and "Allow" in h
        check(ok, f"{method} {path}: {st} with a JSON error "
              f"({(doc or {}).get('error', {}).get('code')})")

    # pause: the input is dropped, the publisher stays
    def video_in():
        return lslib.http_json("GET", api + "/video/buffer/cam2")[2][
            "stats"]["video-in"]
    st, _h, info = lslib.http_json("POST", api + "/streams/cam2/pause")
    check(st == 200 and info["paused"] and info["state"] == "paused",
          "POST /streams/cam2/pause")
    time.sleep(0.5)
    v0 = video_in()
    time.sleep(2)
    v1 = video_in()
    st, _h, info = lslib.http_json("GET", api + "/streams/cam2")
    check(v1 == v0 and info["publisher"], f"paused: gopbuffer got no video "
          f"({v0} -> {v1}), the publisher stays connected")
    lslib.http_json("POST", api + "/streams/cam2/resume")
    time.sleep(2)
    v2 = video_in()
    check(v2 > v1, f"resumed: video flows again ({v1} -> {v2})")

    # an SRT output
    rport = lslib.free_udp_port((srt,))
    recv = lslib.spawn(["/usr/bin/python3", "-c", RECEIVER, str(rport), "12"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    check(json.loads(recv.stdout.readline()).get("event") == "listening",
          "a receiver listens")
    url = f"srt://127.0.0.1:{rport}?mode=caller"
    st, h, o = lslib.http_json("POST", api + "/streams/cam1/outputs",
                               {"url": url})
    check(st == 201 and o["url"] == url and h.get("Location") ==
          f"/api/v1/streams/cam1/outputs/{o['id']}",
          f"POST /streams/cam1/outputs: 201, output {o.get('id')}")
    oid = o["id"]
    events = {}
    end = time.time() + 10
    while time.time() < end and "first-frame" not in events:
        line = recv.stdout.readline()
        if not line:
            break
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        events[ev["event"]] = ev
    log(f"receiver: {events}")
    check(events.get("first-au", {}).get("key") and "first-frame" in events,
          "the receiver's first access unit is a keyframe, and it decodes")
    st, _h, o = lslib.http_json("GET", f"{api}/streams/cam1/outputs/{oid}")
    check(st == 200 and o["state"] == "active" and o["bytes_sent"] > 0,
          f"GET the output: active, {o.get('bytes_sent')} bytes sent")
    st, _h, lst = lslib.http_json("GET", f"{api}/streams/cam1/outputs")
    check(st == 200 and [x["id"] for x in lst["outputs"]] == [oid],
          "GET /streams/cam1/outputs lists it")
    st, _h, _b = lslib.http("DELETE", f"{api}/streams/cam1/outputs/{oid}")
    st2, _h, _b = lslib.http("GET", f"{api}/streams/cam1/outputs/{oid}")
    check(st == 204 and st2 == 404, "DELETE the output: 204, then 404")
    recv.send_signal(15)

    # /metrics
    st, h, body = lslib.http("GET", base + "/metrics")
    text = body.decode()
    types = re.findall(r"^# TYPE (\S+) ", text, re.M)
    check(st == 200 and len(types) == len(set(types)),
          f"/metrics: {len(types)} metric names, each with one TYPE line")
    for want in ('livestream_prioqueue_current_level_bytes'
                 '{element="vqueue",stream="cam1"}',
                 'livestream_gopbuffer_cached_bytes{element="gop",'
                 'stream="cam2"}',
                 'livestream_srtingestsrc_callers_rtt_ms{element="ingest",'
                 'stream="cam1"}',
                 'livestream_server_stream_paused{stream="cam2"} 0',
                 'livestream_dashlivesink_http_requests_total{element="dash",'
                 'stream="cam1"}'):
        check(want in text, f"/metrics has {want}")

    # DELETE cam1: its MPD is final, cam2 goes on
    n2 = streams()["cam2"]["segments"]
    t0 = time.monotonic()
    st, _h, res = lslib.http_json("DELETE", api + "/streams/cam1")
    dt = time.monotonic() - t0
    mpd = os.path.join(out, "cam1", "manifest.mpd")
    check(st == 200 and res["mpd_final"] and
          'type="static"' in open(mpd).read(2000),
          f"DELETE /streams/cam1: answered in {dt:.1f} s with its MPD static")
    check(lslib.http("GET", api + "/streams/cam1")[0] == 404 and
          lslib.http("GET", base + "/live/cam1/manifest.mpd")[0] == 404,
          "cam1 is gone from the API and the server")
    time.sleep(2.5)
    ss = streams()
    check("cam2" in ss and ss["cam2"]["segments"] > n2,
          f"cam2 goes on ({n2} -> {ss['cam2']['segments']} segments)")

    # a stream that fails (its directory is a file) ends alone
    with open(os.path.join(out, "bad"), "w") as f:
        f.write("in the way")
    bad = lslib.ffmpeg_srt_sender(srt, 8, "bad", size="320x180", fps=FPS)
    check(r.wait_for_line("stream bad: ended", 15), "the failing stream "
          "ends")
    n2 = streams()["cam2"]["segments"]
    time.sleep(2.5)
    ss = streams()
    check("bad" not in ss and ss["cam2"]["segments"] > n2,
          "cam2 goes on after the other stream failed")
    bad.wait(20)

    st, _h, ev = lslib.http_json("GET", api + "/live-events?after=0")
    kinds = {(e["stream"], e["type"]) for e in ev["events"]}
    for want in (("cam1", "stream-started"), ("cam2", "paused"),
                 ("cam2", "resumed"), ("cam1", "sync-adjusted"),
                 ("cam1", "output-added"), ("cam1", "output-active"),
                 ("cam1", "output-removed"), ("cam1", "stream-ended"),
                 ("bad", "stream-error"), ("cam3", "caller-refused")):
        check(want in kinds, f"event {want[1]} of {want[0]}")
    st, _h, ev2 = lslib.http_json("GET", api + "/streams/cam2/events?after="
                                  f"{ev['last']}&wait=0.2")
    check(st == 200 and ev2["events"] == [], "a long poll with nothing new "
          "answers after its wait")

    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit ({rc})")
    mpd2 = os.path.join(out, "cam2", "manifest.mpd")
    check('type="static"' in open(mpd2).read(2000), "cam2's MPD is final")
    res = lslib.play_with_gstreamer(mpd2)
    check(not res["errors"] and res["video"] > 5 * FPS and res["audio"] > 0,
          f"playbin3 plays cam2 ({res['video']} frames, {res['audio']} "
          "audio buffers)")
    for s in senders.values():
        s.kill()
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
