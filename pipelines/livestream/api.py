# The content API as a route table of plain functions: a route is a method
# and a path pattern, a handler takes a Request and returns (status,
# headers, body). No sockets here: httpd.py mounts the table on a small
# HTTP server, and the service of issue 16 (pipelines/livestream-server)
# can mount the same table under its own server.
#
#   POST   /api/v1/content                   {"path": "/media/film.mkv"}
#   GET    /api/v1/content                   every entry
#   GET    /api/v1/content/{hash}            info, state, progress, URLs
#   DELETE /api/v1/content/{hash}
#   GET    /api/v1/content/{hash}/events     ?after=SEQ&wait=S (long poll)
#   GET    /api/v1/events                    every job's start/end events
#   GET    /api/v1/content/{hash}/{file}     manifest.mpd, master.m3u8,
#                                            *.m3u8, *-init.mp4, *.m4s
#
# Errors: a JSON body {"error": {"code": ..., "message": ...}}: unknown
# path or hash 404, bad JSON 400, wrong method 405 (with Allow).
"""Route table and handlers of /api/v1/content."""

import email.utils
import hashlib
import json
import os
import re
from . import routes
from .content import HASH_RE, ContentError
# the route-table machinery is livestream-server's (routes.py): one
# Request, Route, dispatcher and error body for both services
from .routes import (API_PREFIX, MAX_BODY, Route, dispatch,
                     error, json_response)

__all__ = ["API_PREFIX", "MAX_BODY", "ROUTES", "dispatch", "error",
           "json_response", "make_request"]

CONTENT_TYPES = {
    ".mpd": "application/dash+xml",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}
FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# media segments and init segments never change once they exist (a new
# name is used for new content); manifests change while packaging
IMMUTABLE = "public, max-age=31536000, immutable"
FINAL_MANIFEST = "public, max-age=86400"
GROWING_MANIFEST = "no-cache"

# --- handlers -------------------------------------------------------------------

def _known(req):
    digest = req.params.get("hash", "")
    if not HASH_RE.match(digest):
        return None, error(404, "not_found",
                           "unknown content (a hash is 64 hex digits)")
    info = req.app.info(digest)
    if info is None:
        return None, error(404, "not_found", f"unknown content: {digest}")
    return info, None


def create_content(req):
    # any Content-Type: `curl -d '{...}'` sends a form type by default
    try:
        doc = json.loads(req.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError) as e:
        return error(400, "bad_json", f"the body is not valid JSON: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("path"), str):
        return error(400, "bad_request",
                     'the body must be an object with "path": a file path')
    try:
        created, info = req.app.submit(doc["path"])
    except ContentError as e:
        return error(e.status, e.code, e.message)
    status = 202 if info.get("state") in ("queued", "processing") else 200
    return json_response(status, info, {"Location": info["urls"]["self"]})


def list_content(req):
    return json_response(200, {"content": req.app.list()})


def get_content(req):
    info, err = _known(req)
    return err or json_response(200, info)


def delete_content(req):
    digest = req.params.get("hash", "")
    if not HASH_RE.match(digest):
        return error(404, "not_found", "unknown content")
    try:
        if not req.app.delete(digest):
            return error(404, "not_found", f"unknown content: {digest}")
    except ContentError as e:
        return error(e.status, e.code, e.message)
    return 204, {"Cache-Control": "no-store"}, b""


def _int_query(req, name, default, lo, hi):
    text = req.query.get(name)
    if text is None:
        return default, None
    try:
        v = float(text)
    except ValueError:
        return None, error(400, "bad_request", f"{name} must be a number")
    return max(lo, min(hi, v)), None


def get_events(req):
    digest = req.params.get("hash", "*")
    if digest != "*":
        _info, err = _known(req)
        if err:
            return err
    after, err = _int_query(req, "after", 0, 0, 1e18)
    if err:
        return err
    wait, err = _int_query(req, "wait", 0, 0, 30)
    if err:
        return err
    res = req.app.events(digest, int(after), wait)
    if res is None:
        return error(404, "not_found", f"unknown content: {digest}")
    events, last = res
    return json_response(200, {"events": events, "last": last})


def get_global_events(req):
    req.params["hash"] = "*"
    return get_events(req)


def _range(spec, size):
    """(start, end) inclusive of one 'bytes=' range, 'all' when the header
    should be ignored, or None when unsatisfiable."""
    if not spec or not spec.startswith("bytes=") or "," in spec:
        return "all"
    a, _, b = spec[6:].strip().partition("-")
    try:
        if a == "":
            n = int(b)
            if n <= 0:
                return None
            return max(0, size - n), size - 1
        start = int(a)
        end = int(b) if b else size - 1
    except ValueError:
        return "all"
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


def get_file(req):
    """A manifest or a segment of an entry, with Range, validators and
    caching headers fit for a CDN: segments are immutable, manifests are
    revalidated while the entry grows and cached once it is complete."""
    info, err = _known(req)
    if err:
        return err
    name = req.params.get("file", "")
    ext = os.path.splitext(name)[1]
    if not FILE_RE.match(name) or ext not in CONTENT_TYPES or \
            name.endswith(".tmp"):
        return error(404, "not_found", f"no such file: {name}")
    path = req.app.file_path(info["hash"], name)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
    except FileNotFoundError:
        return error(404, "not_found", f"not (yet) available: {name}")
    except OSError as e:
        return error(500, "io_error", e.strerror or str(e))
    manifest = ext in (".mpd", ".m3u8")
    if manifest:
        cache = FINAL_MANIFEST if req.app.is_final(info["hash"]) else \
            GROWING_MANIFEST
        etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
    else:
        cache = IMMUTABLE
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
    headers = {"Content-Type": CONTENT_TYPES[ext], "Cache-Control": cache,
               "ETag": etag, "Accept-Ranges": "bytes"}
    # a growing manifest is rewritten several times a second: a date (1 s
    # resolution) would let a cache revalidate a stale one (304), so it is
    # validated by its ETag only
    dated = cache != GROWING_MANIFEST
    if dated:
        headers["Last-Modified"] = email.utils.formatdate(st.st_mtime,
                                                          usegmt=True)
    inm = req.header("if-none-match")
    if inm is not None:
        if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
            return 304, headers, b""
    elif dated:
        ims = req.header("if-modified-since")
        if ims:
            try:
                t = email.utils.parsedate_to_datetime(ims).timestamp()
                if int(st.st_mtime) <= t:
                    return 304, headers, b""
            except (TypeError, ValueError):
                pass
    rng = req.header("range")
    if rng is not None:
        if_range = req.header("if-range")
        if if_range is not None and if_range.strip() != etag:
            rng = None
    if rng is not None:
        r = _range(rng, len(data))
        if r is None:
            headers["Content-Range"] = f"bytes */{len(data)}"
            return 416, headers, b""
        if r != "all":
            start, end = r
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return 206, headers, data[start:end + 1]
    return 200, headers, data


ROUTES = (
    Route.make("POST", API_PREFIX + "/content", create_content),
    Route.make("GET", API_PREFIX + "/content", list_content),
    Route.make("GET", API_PREFIX + "/content/{hash}", get_content),
    Route.make("DELETE", API_PREFIX + "/content/{hash}", delete_content),
    Route.make("GET", API_PREFIX + "/content/{hash}/events", get_events),
    Route.make("GET", API_PREFIX + "/events", get_global_events),
    Route.make("GET", API_PREFIX + "/content/{hash}/{file}", get_file),
)


def make_request(method, target, headers, body, app):
    """A Request from the parts of an HTTP request (target: path and
    query string)."""
    path, _, qs = target.partition("?")
    return routes.make_request(method, path, qs, headers, body, app)

