#!/usr/bin/python3
# livestream-server's limits and its API's answers to bad input, on one
# passthrough stream (no transcoding: cheap on this machine):
#  - --max-streams 1: a second publisher is refused at SRT accept, and the
#    refusal is counted (/api/v1/stats refused_by_reason, the element's
#    series on /metrics, a caller-refused event); the first goes on;
#  - --max-outputs 1: a second output is 409 (counted in the stats and on
#    /metrics), the same URL twice is 409, a deleted output frees its
#    place;
#  - bad input is a 4xx with a JSON error body, never a 500 or a hang:
#    NaN / Infinity / strings as offset_ms, JSON that is not an object, no
#    url, an unsupported scheme, unknown ids, wrong methods, a body over
#    the API's max-body (413);
#  - SIGINT: a clean exit.
import os
import re
import shutil
import time

import lslib
from lslib import check

FPS = 30


def main():
    lslib.require_elements("srtingestsrc", "livestreamapi", "dashlivesink",
                           "gopbuffer", "srtsink")
    lslib.require_tools("ffmpeg")
    out = lslib.tmpdir("server-limits")
    srt = lslib.free_udp_port()
    http = lslib.free_tcp_port()
    base = f"http://127.0.0.1:{http}"
    api = base + "/api/v1"
    r = lslib.server([
        "--srt-port", str(srt), "--http-port", str(http), "--output", out,
        "--ladder", "passthrough", "--segment-duration", "1",
        "--max-streams", "1", "--max-outputs", "1", "--no-degrade"],
        status_interval=1)
    check(r.wait_for_line("listening for SRT", 15), "the server listens")
    cam = lslib.ffmpeg_srt_sender(srt, 40, "cam", size="320x180", fps=FPS)

    def streams():
        st, _h, doc = lslib.http_json("GET", api + "/streams")
        return {s["id"]: s for s in (doc or {}).get("streams", [])} \
            if st == 200 else {}

    def stats():
        return lslib.http_json("GET", api + "/stats")[2]

    end = time.monotonic() + 20
    while time.monotonic() < end and \
            streams().get("cam", {}).get("segments", 0) < 1:
        time.sleep(0.3)
    check(streams().get("cam", {}).get("segments", 0) >= 1,
          "the first publisher is a stream")

    # --max-streams 1: the second publisher is refused at SRT accept
    t0 = time.monotonic()
    other = lslib.ffmpeg_srt_sender(srt, 4, "other", size="320x180", fps=FPS)
    end = time.monotonic() + 15
    while time.monotonic() < end and \
            stats()["refused_by_reason"].get("max-callers", 0) < 1:
        time.sleep(0.2)
    st = stats()
    check(st["refused_by_reason"].get("max-callers", 0) >= 1 and
          st["refused"] >= 1 and st["max_streams"] == 1 and
          set(streams()) == {"cam"},
          f"a second publisher is refused at SRT accept after "
          f"{time.monotonic() - t0:.1f} s and counted (refused: "
          f"{ {k: v for k, v in st['refused_by_reason'].items() if v} })")
    other.wait(20)

    def refused_events():
        ev = lslib.http_json("GET", api + "/live-events?after=0")[2]
        return [e for e in ev["events"] if e["type"] == "caller-refused"]
    # the element's message may reach the bus after its counter moved
    end = time.monotonic() + 5
    while time.monotonic() < end and not refused_events():
        time.sleep(0.1)
    refused = refused_events()
    check(any(e["stream"] == "other" and e["reason"] == "max-callers"
              for e in refused), f"a caller-refused event names it: "
          f"{refused}")
    text = lslib.http("GET", base + "/metrics")[2].decode()
    m = re.search(r'^livestream_srtingestsrc_refused_max_callers\S* (\d+)',
                  text, re.M)
    check(m is not None and int(m.group(1)) >= 1,
          f"/metrics counts it: {m.group(0) if m else None}")

    # --max-outputs 1 (an SRT caller output to a port where nobody
    # listens: it stays 'connecting', and it counts)
    o1 = f"srt://127.0.0.1:{lslib.free_udp_port((srt,))}?mode=caller"
    o2 = f"srt://127.0.0.1:{lslib.free_udp_port((srt,))}?mode=listener"
    st1, _h, o = lslib.http_json("POST", api + "/streams/cam/outputs",
                                 {"url": o1})
    check(st1 == 201, f"the first output: 201 ({o.get('state')})")
    for body, want, code in (({"url": o1}, 409, "output_exists"),
                             ({"url": o2}, 409, "too_many_outputs")):
        s, h, doc = lslib.http_json("POST", api + "/streams/cam/outputs",
                                    body)
        check(s == want and doc["error"]["code"] == code and
              h.get("Content-Type") == "application/json",
              f"POST outputs {body['url'][:30]}...: {s} {code}")
    st = stats()
    check(st["refused_outputs"] == 1 and st["max_outputs"] == 1,
          "the refused output is counted in the stats")
    # the service's own series are refreshed once a second
    end = time.monotonic() + 5
    while time.monotonic() < end and \
            "livestream_server_refused_outputs_total 1" not in \
            lslib.http("GET", base + "/metrics")[2].decode():
        time.sleep(0.2)
    check("livestream_server_refused_outputs_total 1" in
          lslib.http("GET", base + "/metrics")[2].decode(), "and on /metrics")
    s, _h, _b = lslib.http("DELETE", f"{api}/streams/cam/outputs/{o['id']}")
    s2, _h, o = lslib.http_json("POST", api + "/streams/cam/outputs",
                                {"url": o2})
    check(s == 204 and s2 == 201, "a deleted output frees its place")

    # bad input: 4xx with a JSON error body
    big = b'{"offset_ms": 1, "pad": "' + b"x" * (70 * 1024) + b'"}'
    cases = (
        ("POST", "/sync/adjust/cam", b'{"offset_ms": NaN}', 400),
        ("POST", "/sync/adjust/cam", b'{"offset_ms": Infinity}', 400),
        ("POST", "/sync/adjust/cam", b'{"offset_ms": "10"}', 400),
        ("POST", "/sync/adjust/cam", b'{"offset_ms": true}', 400),
        ("POST", "/sync/adjust/cam", b"[40]", 400),
        ("POST", "/sync/adjust/cam", b"", 400),
        ("POST", "/sync/adjust/cam", b"\xff\xfe", 400),
        ("POST", "/sync/adjust/nope", b'{"offset_ms": 1}', 404),
        ("POST", "/streams/cam/outputs", b"{}", 400),
        ("POST", "/streams/cam/outputs", b'{"url": 5}', 400),
        ("POST", "/streams/cam/outputs", b'{"url": "ftp://x/y"}', 400),
        ("POST", "/streams/cam/outputs", b'{"url": "rtmp://host"}', 400),
        ("POST", "/streams/nope/outputs", b'{"url": "srt://a:1"}', 404),
        ("GET", "/streams/cam/outputs/99", None, 404),
        ("GET", "/streams/cam/outputs/x", None, 404),
        ("DELETE", "/streams/nope", None, 404),
        ("GET", "/streams/cam/pause", None, 405),
        ("PUT", "/streams/cam", b"{}", 405),
        ("GET", "/video/preview/cam?width=abc", None, 400),
        ("GET", "/video/preview/cam?width=5", None, 400),
        ("GET", "/live-events?after=x", None, 400),
        ("POST", "/sync/adjust/cam", big, 413),
    )
    for method, path, body, want in cases:
        s, h, doc = lslib.http_json(method, api + path, body)
        ok = s == want and isinstance(doc, dict) and \
            isinstance(doc.get("error"), dict) and \
            h.get("Content-Type", "").startswith("application/json")
        check(ok, f"{method} {path} {(body or b'')[:24]!r}: {s} "
              f"({(doc or {}).get('error', {}).get('code')})")
    check(stats()["api"]["requests"] > len(cases) and
          "cam" in streams(), "the stream is still there")

    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit ({rc})")
    cam.kill()
    if not os.environ.get("KEEP"):
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
