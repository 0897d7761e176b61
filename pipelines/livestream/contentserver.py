# pipelines/content-server: the content API on a small HTTP server.
"""The content-server program."""

import argparse
import os
import signal
import sys
import threading

from . import api, content, httpd, ladder, options


def build_parser():
    p = argparse.ArgumentParser(
        prog="content-server", formatter_class=options._Formatter,
        description="Serve the on-demand content API: POST /api/v1/content "
                    "with {\"path\": FILE} packages FILE into ABR DASH + "
                    "HLS in STORE/<sha256>/ (pipelines/file-to-dash), "
                    "playable while it is packaged; GET "
                    "/api/v1/content/{hash}[/manifest.mpd|/master.m3u8|/...]"
                    " serves it.")
    p.add_argument("-o", "--output", required=True, metavar="STORE",
                   help="the content store directory")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=options._port, default=8090)
    p.add_argument("--max-jobs", type=int, default=1, metavar="N",
                   help="sources packaged at the same time (others queue)")
    p.add_argument("--media-root", action="append", default=[],
                   metavar="DIR", help="only package files under DIR "
                   "(repeatable; default: any file this process can read)")
    p.add_argument("--ladder", default=ladder.DEFAULT_VOD_LADDER,
                   metavar="RUNGS", help="passed to file-to-dash")
    p.add_argument("--segment-duration", default="2", metavar="S",
                   help="passed to file-to-dash")
    p.add_argument("--x264-preset", default="veryfast",
                   help="passed to file-to-dash")
    p.add_argument("--no-copy", action="store_true",
                   help="passed to file-to-dash: encode every rung")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log every request")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        ladder.parse_ladder(args.ladder)
    except ladder.LadderError as e:
        print(f"content-server: --ladder: {e}", file=sys.stderr)
        return 2
    worker_args = ["--ladder", args.ladder, "--segment-duration",
                   args.segment_duration, "--x264-preset", args.x264_preset]
    if args.no_copy:
        worker_args.append("--no-copy")

    def log(text):
        print(f"content-server: {text}", file=sys.stderr, flush=True)

    service = content.ContentService(args.output, worker_args,
                                     max_jobs=args.max_jobs,
                                     media_roots=args.media_root, log=log)
    try:
        server = httpd.serve(service, api.ROUTES, args.address, args.port,
                             quiet=not args.verbose)
    except OSError as e:
        log(f"cannot listen on {args.address}:{args.port}: {e.strerror}")
        return 1
    port = server.server_address[1]
    log(f"listening on http://{args.address}:{port}/api/v1/content "
        f"(store {os.path.abspath(args.output)})")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    log("stopping")
    server.shutdown()
    service.shutdown()
    return 0
