#!/usr/bin/python3
# livestream-server's RTMP output against a real RTMP server: Debian's
# nginx with libnginx-mod-rtmp (scripts/install-deps.sh), this test's own
# instance on a free port.
#  - POST /api/v1/streams/cam/outputs {"url": "rtmp://.../live/cam"}: 201;
#    the output becomes active and ffprobe reads H.264 + AAC back from
#    nginx;
#  - nginx stops: the output fails and waits (backoff); nginx starts
#    again: the output reconnects by itself (a second connection) and
#    ffprobe reads H.264 + AAC again;
#  - DELETE the output: 204; SIGINT: a clean exit.
import json
import os
import shutil
import socket
import subprocess
import time

import lslib
from lslib import check

FPS = 30
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


def nginx_conf(tmp, port):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""load_module {MODULE};
{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    application live {{
      live on;
      wait_key on;
    }}
  }}
}}
"""


def start_nginx(tmp, port):
    p = lslib.spawn([NGINX, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"),
                     "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if p.poll() is not None:
            raise RuntimeError("nginx exited: " + p.stderr.read().decode())
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return p
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}")


def ffprobe(url):
    """The codecs ffprobe reads from @url (bounded)."""
    try:
        r = subprocess.run(
            ["ffprobe", "-v", "error", "-rw_timeout", "8000000",
             "-analyzeduration", "3000000", "-show_entries",
             "stream=codec_name,codec_type", "-of", "json", url],
            capture_output=True, text=True, timeout=25)
    except subprocess.TimeoutExpired:
        return set()
    try:
        return {s["codec_name"] for s in
                json.loads(r.stdout or "{}").get("streams", [])}
    except ValueError:
        return set()


def main():
    lslib.require_elements("srtingestsrc", "livestreamapi", "dashlivesink",
                           "gopbuffer", "rtmp2sink", "flvmux")
    lslib.require_tools("ffmpeg", "ffprobe")
    if not os.path.exists(NGINX) or not os.path.exists(MODULE):
        lslib.skip("nginx with libnginx-mod-rtmp is not installed")
    tmp = lslib.tmpdir("server-rtmp")
    out = os.path.join(tmp, "out")
    rtmp_port = lslib.free_tcp_port()
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write(nginx_conf(tmp, rtmp_port))
    nginx = start_nginx(tmp, rtmp_port)
    srt = lslib.free_udp_port()
    http = lslib.free_tcp_port()
    api = f"http://127.0.0.1:{http}/api/v1"
    r = lslib.server([
        "--srt-port", str(srt), "--http-port", str(http), "--output", out,
        "--ladder", "passthrough", "--segment-duration", "1",
        "--no-degrade", "--output-retry", "0.5"], status_interval=1)
    check(r.wait_for_line("listening for SRT", 15), "the server listens")
    cam = lslib.ffmpeg_srt_sender(srt, 60, "cam", size="320x180", fps=FPS)
    check(r.wait_for_line("stream cam: started", 15), "the stream starts")

    url = f"rtmp://127.0.0.1:{rtmp_port}/live/cam"
    t0 = time.monotonic()
    st, _h, o = lslib.http_json("POST", api + "/streams/cam/outputs",
                                {"url": url})
    check(st == 201, f"POST outputs {url}: 201")
    oid = o["id"]

    def output():
        return lslib.http_json("GET", f"{api}/streams/cam/outputs/{oid}")[2]

    def wait_state(state, connections, timeout):
        end = time.monotonic() + timeout
        o = output()
        while time.monotonic() < end and not (
                o["state"] == state and o["connections"] >= connections):
            time.sleep(0.1)
            o = output()
        return o

    o = wait_state("active", 1, 15)
    check(o["state"] == "active", f"the output is active after "
          f"{time.monotonic() - t0:.1f} s")
    codecs = ffprobe(url)
    check({"h264", "aac"} <= codecs, f"ffprobe reads {sorted(codecs)} from "
          "nginx")

    # nginx goes away and comes back: the output reconnects by itself
    nginx.terminate()
    nginx.wait(10)
    end = time.monotonic() + 15
    o = output()
    while time.monotonic() < end and o["state"] == "active":
        time.sleep(0.1)
        o = output()
    check(o["state"] in ("waiting", "connecting") and o["last_error"],
          f"nginx stopped: the output is {o['state']} ({o['last_error']})")
    t1 = time.monotonic()
    nginx = start_nginx(tmp, rtmp_port)
    o = wait_state("active", 2, 30)
    check(o["state"] == "active" and o["connections"] == 2,
          f"nginx back: reconnected {time.monotonic() - t1:.1f} s later "
          f"after {o['attempts']} attempts")
    codecs = ffprobe(url)
    check({"h264", "aac"} <= codecs, f"ffprobe reads {sorted(codecs)} "
          "again")

    st, _h, _b = lslib.http("DELETE", f"{api}/streams/cam/outputs/{oid}")
    check(st == 204, "DELETE the output: 204")
    rc = r.interrupt(30)
    check(rc == 0, f"SIGINT: clean exit ({rc})")
    cam.kill()
    nginx.terminate()
    nginx.wait(10)
    if not os.environ.get("KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        lslib.cleanup()
