# A small threaded HTTP/1.1 server that mounts a route table (api.py).
# One thread per connection (keep-alive); the handlers are plain functions,
# so the same table can be mounted by another server later.
"""Standalone HTTP server for a route table."""

import http.server
import socketserver
import sys
import threading

from . import api


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gst-livestream-content/1"
    routes = ()
    app = None
    quiet = True

    def _serve(self):
        length = self.headers.get("Content-Length")
        body = b""
        if length:
            try:
                n = int(length)
            except ValueError:
                return self._send(*api.error(400, "bad_request",
                                             "bad Content-Length"))
            if n > api.MAX_BODY:
                self.close_connection = True
                return self._send(*api.error(413, "too_large",
                                             "request body too large"))
            body = self.rfile.read(n)
        req = api.make_request(self.command, self.path, dict(self.headers),
                               body, self.app)
        try:
            status, headers, payload = api.dispatch(self.routes, req)
        except Exception as e:          # a handler bug is a 500, not a hang
            import traceback
            traceback.print_exc()
            status, headers, payload = api.error(500, "internal_error",
                                                 str(e))
        self._send(status, headers, payload,
                   head=self.command.upper() == "HEAD")

    def _send(self, status, headers, body, head=False):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    do_GET = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PUT = \
        do_PATCH = _serve

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("content-server: %s - %s\n" % (
                self.address_string(), fmt % args))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # a client that went away mid-request is not an error of ours
        import sys as _sys
        if isinstance(_sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def serve(app, routes=api.ROUTES, address="127.0.0.1", port=8090,
          quiet=True):
    """A started server (in a thread of its own); .shutdown() stops it."""
    handler = type("Handler", (_Handler,), {"routes": tuple(routes),
                                            "app": app, "quiet": quiet})
    server = Server((address, port), handler)
    t = threading.Thread(target=server.serve_forever, name="httpd",
                         daemon=True)
    t.start()
    return server
