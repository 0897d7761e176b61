#!/usr/bin/python3
# Does an HTTP origin serve a file to readers while its chunked PUT is
# still arriving?  (issue 15, item 3: a low-latency push needs an origin
# that does; nginx's WebDAV stores a body only once it is complete.)
#
# Sends one PUT with Transfer-Encoding: chunked to URL, CHUNKS chunks of
# SIZE bytes, INTERVAL s apart (a CMAF segment being written), and before
# each next chunk GETs the same URL: prints what a player would get then
# (status, bytes, whether the body was still arriving), and the same once
# the PUT is complete.  A server that serves growing uploads answers 200
# with the bytes sent so far and keeps the response open until the last.
#
#   bench/origin-growing-put.py http://127.0.0.1:PORT/path/seg.m4s
#       [--chunks 5] [--size 20000] [--interval 0.4]

import argparse
import http.client
import socket
import time
import urllib.parse


def get(u, timeout):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    t0 = time.monotonic()
    try:
        c.request("GET", u.path)
        r = c.getresponse()
        try:
            body = r.read()
            streaming = False
        except socket.timeout:
            body = b""
            streaming = True
        return "%d %s, %d bytes%s, %.2f s" % (
            r.status, r.reason, len(body), " (still open: growing)" if streaming else "",
            time.monotonic() - t0)
    except (OSError, http.client.HTTPException) as e:
        return "error %s" % e
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--chunks", type=int, default=5)
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--interval", type=float, default=0.4)
    opt = ap.parse_args()
    u = urllib.parse.urlparse(opt.url)

    s = socket.create_connection((u.hostname, u.port), timeout=10)
    s.sendall(("PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Type: video/iso.segment\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" % (u.path, u.netloc)).encode())
    for i in range(opt.chunks):
        data = bytes([65 + i]) * opt.size
        s.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
        time.sleep(opt.interval / 2)
        print("after chunk %d of %d (%d bytes sent): GET -> %s" % (
            i + 1, opt.chunks, (i + 1) * opt.size, get(u, opt.interval / 2)), flush=True)
    s.sendall(b"0\r\n\r\n")
    s.settimeout(10)
    resp = s.recv(4096).decode(errors="replace").split("\r\n", 1)[0]
    s.close()
    print("PUT complete: %s" % resp)
    print("after the PUT: GET -> %s" % get(u, 5))


if __name__ == "__main__":
    main()
