# The live streams API of livestream-server, as a route table of plain
# functions (routes.py): a handler takes a Request whose `app` is the
# Server (server.py) and returns (status, headers, body) or a Later.
#
#   GET    /api/v1/streams                      every stream
#   GET    /api/v1/streams/{id}                 one stream: state, publisher,
#                                               URLs, outputs, quality, memory
#   DELETE /api/v1/streams/{id}                 stop it; answered once its MPD
#                                               is final (static)
#   POST   /api/v1/streams/{id}/pause           drop its input (the publisher
#   POST   /api/v1/streams/{id}/resume          stays connected) / take it again
#   GET    /api/v1/stats                        the service: streams, callers,
#                                               refusals, memory, CPU
#   GET    /api/v1/stats/streams/{id}           every element's stats
#   GET    /api/v1/video/preview/{id}           JPEG of the latest keyframe
#   GET    /api/v1/video/buffer/{id}            gopbuffer's cache
#   GET    /api/v1/sync/status/{id}             avsync: measured offset,
#                                               correction, av-offset
#   POST   /api/v1/sync/adjust/{id}             {"offset_ms": N}: av-offset
#   POST   /api/v1/streams/{id}/outputs         {"url": "rtmp://..."|"srt://..."}
#   GET    /api/v1/streams/{id}/outputs         its outputs
#   GET    /api/v1/streams/{id}/outputs/{oid}
#   DELETE /api/v1/streams/{id}/outputs/{oid}
#   GET    /api/v1/streams/{id}/events          ?after=SEQ&wait=S (long poll)
#   GET    /api/v1/live-events                  every stream's events
#
# Unknown stream or output: 404; bad JSON or values: 400; another method on
# a known path: 405 (with Allow); an output URL the stream has already, or
# one output more than --max-outputs: 409; each with
# {"error": {"code", "message"}}.
"""Route table and handlers of /api/v1/streams and friends."""

import math

from .outputs import OutputError, parse_url
from .routes import API_PREFIX, Later, Route, error, json_response

MAX_OFFSET_MS = 10000


def _stream(req):
    s = req.app.stream(req.params.get("id", ""))
    if s is None:
        return None, error(404, "not_found",
                           f"unknown stream: {req.params.get('id', '')}")
    return s, None


def list_streams(req):
    return json_response(200, {"streams": req.app.list_streams()})


def get_stream(req):
    s, err = _stream(req)
    return err or json_response(200, s.info())


def delete_stream(req):
    s, err = _stream(req)
    if err:
        return err
    return req.app.stop_stream(s, "deleted through the API")


def pause_stream(req):
    s, err = _stream(req)
    if err:
        return err
    s.pause()
    return json_response(200, s.info())


def resume_stream(req):
    s, err = _stream(req)
    if err:
        return err
    s.resume()
    return json_response(200, s.info())


def get_stats(req):
    return json_response(200, req.app.global_stats())


def get_stream_stats(req):
    s, err = _stream(req)
    return err or json_response(200, s.stats())


def get_preview(req):
    s, err = _stream(req)
    if err:
        return err
    width = req.query.get("width")
    if width is not None:
        try:
            width = int(width)
        except ValueError:
            return error(400, "bad_request", "width must be an integer")
        if not 16 <= width <= 3840:
            return error(400, "bad_request", "width must be 16..3840")
    return s.preview(width)


def get_buffer(req):
    s, err = _stream(req)
    return err or json_response(200, s.buffer_state())


def get_sync(req):
    s, err = _stream(req)
    return err or json_response(200, s.sync_status())


def adjust_sync(req):
    s, err = _stream(req)
    if err:
        return err
    try:
        doc = req.json()
    except ValueError as e:
        return error(400, "bad_json", str(e))
    v = doc.get("offset_ms")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or \
            not math.isfinite(v):
        return error(400, "bad_request",
                     'the body must be {"offset_ms": N} (a finite number)')
    if abs(v) > MAX_OFFSET_MS:
        return error(400, "bad_request",
                     f"offset_ms must be within ±{MAX_OFFSET_MS}")
    if not s.sync_adjust(v):
        return error(409, "no_avsync", "this stream has no avsync")
    return json_response(200, s.sync_status())


def add_output(req):
    s, err = _stream(req)
    if err:
        return err
    try:
        doc = req.json()
    except ValueError as e:
        return error(400, "bad_json", str(e))
    url = doc.get("url")
    if not isinstance(url, str) or not url:
        return error(400, "bad_request",
                     'the body must be {"url": "rtmp://..." or "srt://..."}')
    try:
        parse_url(url)
    except OutputError as e:
        return error(400, "bad_url", str(e))
    if s.outputs.find_uri(url) is not None:
        return error(409, "output_exists", f"{url} is already an output of "
                     f"stream {s.id}")
    if len(s.outputs.outputs) >= req.app.args.max_outputs:
        req.app.refused_outputs += 1
        return error(409, "too_many_outputs", f"stream {s.id} has "
                     f"{len(s.outputs.outputs)} outputs, the most "
                     f"--max-outputs allows")
    try:
        o = s.add_output(url)
    except OutputError as e:
        return error(400, "bad_url", str(e))
    info = o.info()
    loc = f"{API_PREFIX}/streams/{s.id}/outputs/{info['id']}"
    return json_response(201, info, {"Location": loc})


def list_outputs(req):
    s, err = _stream(req)
    if err:
        return err
    return json_response(200, {"outputs": s.list_outputs()})


def _output(req):
    s, err = _stream(req)
    if err:
        return None, None, err
    o = s.get_output(req.params.get("oid", ""))
    if o is None:
        return s, None, error(404, "not_found",
                              f"unknown output: {req.params.get('oid')}")
    return s, o, None


def get_output(req):
    _s, o, err = _output(req)
    return err or json_response(200, o.info())


def delete_output(req):
    s, o, err = _output(req)
    if err:
        return err
    s.remove_output(o)
    return 204, {"Cache-Control": "no-store"}, b""


def _number(req, name, default, lo, hi):
    text = req.query.get(name)
    if text is None:
        return default, None
    try:
        v = float(text)
    except ValueError:
        return None, error(400, "bad_request", f"{name} must be a number")
    return max(lo, min(hi, v)), None


def _events(req, stream_id):
    after, err = _number(req, "after", 0, 0, 1e18)
    if err:
        return err
    wait, err = _number(req, "wait", 0, 0, 30)
    if err:
        return err
    return req.app.events(stream_id, int(after), wait)


def get_stream_events(req):
    s, err = _stream(req)
    return err or _events(req, s.id)


def get_live_events(req):
    return _events(req, None)


ROUTES = (
    Route.make("GET", API_PREFIX + "/streams", list_streams),
    Route.make("GET", API_PREFIX + "/streams/{id}", get_stream),
    Route.make("DELETE", API_PREFIX + "/streams/{id}", delete_stream),
    Route.make("POST", API_PREFIX + "/streams/{id}/pause", pause_stream),
    Route.make("POST", API_PREFIX + "/streams/{id}/resume", resume_stream),
    Route.make("GET", API_PREFIX + "/stats", get_stats),
    Route.make("GET", API_PREFIX + "/stats/streams/{id}", get_stream_stats),
    Route.make("GET", API_PREFIX + "/video/preview/{id}", get_preview),
    Route.make("GET", API_PREFIX + "/video/buffer/{id}", get_buffer),
    Route.make("GET", API_PREFIX + "/sync/status/{id}", get_sync),
    Route.make("POST", API_PREFIX + "/sync/adjust/{id}", adjust_sync),
    Route.make("POST", API_PREFIX + "/streams/{id}/outputs", add_output),
    Route.make("GET", API_PREFIX + "/streams/{id}/outputs", list_outputs),
    Route.make("GET", API_PREFIX + "/streams/{id}/outputs/{oid}", get_output),
    Route.make("DELETE", API_PREFIX + "/streams/{id}/outputs/{oid}",
               delete_output),
    Route.make("GET", API_PREFIX + "/streams/{id}/events", get_stream_events),
    Route.make("GET", API_PREFIX + "/live-events", get_live_events),
)

# Later is re-exported for the server's handlers
__all__ = ["ROUTES", "Later"]
