# A route table of plain functions, as the VOD service's api.py has it: a
# route is a method and a path pattern; a handler takes a Request and
# returns (status, headers, body), or a Later when its answer comes later
# (a JPEG to encode): no sockets here. livestream-server mounts its tables
# on the livestreamapi element (requests arrive as bus messages on the
# main loop, answers go back with its `respond` action); another table
# with the same shape (the VOD content API, /api/v1/content) mounts the
# same way: Server.mount(routes, app).
#
# Errors: a JSON body {"error": {"code": ..., "message": ...}}: unknown path
# or id 404, bad JSON 400, wrong method 405 (with Allow).
"""Route tables for livestream-server's HTTP API."""

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

API_PREFIX = "/api/v1"
MAX_BODY = 64 * 1024
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers":
        "Content-Length, Content-Range, ETag, Location"}


@dataclass
class Request:
    method: str
    path: str
    query: dict = field(default_factory=dict)    # name -> first value
    headers: dict = field(default_factory=dict)  # lower-case name -> value
    body: bytes = b""
    params: dict = field(default_factory=dict)   # from the route pattern
    app: object = None                           # what the table serves

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The body as a JSON object; ValueError with a reason if it is
        not one."""
        try:
            doc = json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as e:
            raise ValueError(f"the body is not valid JSON: {e}")
        if not isinstance(doc, dict):
            raise ValueError("the body must be a JSON object")
        return doc


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str           # "/api/v1/streams/{id}/outputs/{oid}"
    handler: object
    regex: re.Pattern = None

    @staticmethod
    def make(method, pattern, handler):
        rx = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)",
                          re.escape(pattern).replace(r"\{", "{")
                          .replace(r"\}", "}")) + "$"
        return Route(method, pattern, handler, re.compile(rx))


class Later:
    """A handler's answer that comes later: start(reply) is called once
    with a function reply(status, headers, body) to call exactly once, from
    the main loop."""

    def __init__(self, start):
        self.start = start


def json_response(status, obj, headers=None):
    body = (json.dumps(obj, indent=1, sort_keys=True, default=str) +
            "\n").encode()
    h = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    h.update(headers or {})
    return status, h, body


def error(status, code, message, headers=None):
    return json_response(status, {"error": {"code": code,
                                            "message": message}}, headers)


def matches(routes, path):
    """Whether any route of @routes has a pattern matching @path."""
    return any(r.regex.match(path) for r in routes)


def dispatch(routes, req):
    """The response of the first route whose method and pattern match (or
    a Later). HEAD is GET without a body; OPTIONS answers CORS preflights;
    a path that matches with another method is 405, no match 404."""
    method = req.method.upper()
    want = "GET" if method == "HEAD" else method
    allowed = []
    for r in routes:
        m = r.regex.match(req.path)
        if m is None:
            continue
        allowed.append(r.method)
        if r.method == want:
            req.params = dict(m.groupdict())
            res = r.handler(req)
            if isinstance(res, Later):
                return res
            status, headers, body = res
            headers = dict(CORS, **headers)
            if method == "HEAD":
                headers.setdefault("Content-Length", str(len(body)))
                body = b""
            return status, headers, body
    if not allowed:
        return with_cors(error(404, "not_found",
                               f"no such resource: {req.path}"))
    allow = sorted(set(allowed) | ({"HEAD"} if "GET" in allowed else set())
                   | {"OPTIONS"})
    if method == "OPTIONS":
        return 204, dict(CORS, **{
            "Allow": ", ".join(allow),
            "Access-Control-Allow-Methods": ", ".join(allow),
            "Access-Control-Allow-Headers": "Content-Type, Range, "
            "If-None-Match, If-Modified-Since, If-Range",
            "Access-Control-Max-Age": "86400"}), b""
    return with_cors(error(405, "method_not_allowed",
                           f"{method} is not allowed on {req.path}",
                           {"Allow": ", ".join(allow)}))


def with_cors(resp):
    status, headers, body = resp
    return status, dict(CORS, **headers), body


def make_request(method, path, query, headers, body, app=None):
    """A Request from the parts of an HTTP request (query: the raw query
    string)."""
    q = {k: v[0] for k, v in parse_qs(query or "",
                                      keep_blank_values=True).items()}
    return Request(method=method, path=path, query=q,
                   headers={k.lower(): v for k, v in headers.items()},
                   body=body, app=app)
