# Helpers of the pipelines integration tests: start livestream-run and real
# peers (ffmpeg, srt-live-transmit), impair UDP, read MPDs, play the output
# back with GStreamer. Every wait is bounded.
"""Test helpers for pipelines/livestream-run."""

import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "pipelines"))
from livestream import mpdfiles  # noqa: E402
RUN = os.path.join(REPO, "pipelines", "livestream-run")
SERVER = os.path.join(REPO, "pipelines", "livestream-server")
NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}

_children = []


def log(*a):
    print(*a, flush=True)


def fail(msg):
    log(f"FAIL: {msg}")
    cleanup()
    sys.exit(1)


def skip(msg):
    log(f"SKIP: {msg}")
    cleanup()
    sys.exit(SKIP)


def check(cond, msg):
    if not cond:
        fail(msg)
    log(f"ok: {msg}")


def cleanup():
    for p in _children:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


def spawn(cmd, **kw):
    """A child in its own process group (so that it and its children can be
    stopped), registered for cleanup."""
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    _children.append(p)
    return p


def have_element(name):
    r = subprocess.run(["gst-inspect-1.0", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


def require_elements(*names):
    missing = [n for n in names if not have_element(n)]
    if missing:
        skip(f"element(s) not available yet: {', '.join(missing)}")


def require_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        skip(f"tool(s) not installed: {', '.join(missing)}")


def free_udp_port(avoid=()):
    """A UDP port (and the next one) free on 127.0.0.1."""
    for _ in range(200):
        port = random.randrange(20000, 60000, 2)
        if port in avoid or port + 1 in avoid:
            continue
        socks = []
        try:
            for p in (port, port + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free UDP port")


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tmpdir(name):
    d = tempfile.mkdtemp(prefix=f"livestream-{name}-")
    return d


class Runner:
    """pipelines/livestream-run with --status-format json: the JSON lines
    are collected, the log lines kept."""

    def __init__(self, pipeline, args, status_interval=1.0, program=None):
        self.cmd = ([program] if program else [RUN, pipeline]) + [
            "--status-format", "json",
            "--status-interval", str(status_interval)] + list(args)
        log("$ " + " ".join(self.cmd))
        self.proc = spawn(self.cmd, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1)
        self.status = []
        self.final = None
        self.lines = []
        self.line_times = []    # monotonic time each line arrived
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    self.lines.append(line)
                    continue
                if obj.get("final"):
                    self.final = obj
                else:
                    self.status.append(obj)
            else:
                self.lines.append(line)
                self.line_times.append(time.monotonic())
                log(f"  | {line}")
            self.q.put(line)

    def line_time(self, text):
        """When the first line containing @text arrived (monotonic), or
        None"""
        for ln, t in zip(self.lines, self.line_times):
            if text in ln:
                return t
        return None

    def wait_for_line(self, text, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(text in ln for ln in self.lines):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def wait_until(self, pred, timeout):
        """Wait until pred(latest status) is true."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.status and pred(self.status[-1]):
                return self.status[-1]
            if self.proc.poll() is not None:
                return None
            time.sleep(0.2)
        return None

    def send(self, line):
        """A line on the runner's stdin (restream --control)."""
        log(f"> {line}")
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def latest(self):
        return self.status[-1] if self.status else None

    def interrupt(self, timeout=20):
        """SIGINT, then wait (bounded) for the exit; returns the code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            return None
        self.t.join(5)
        return rc

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            return None
        self.t.join(5)
        return rc


def server(args, status_interval=1.0):
    """pipelines/livestream-server with --status-format json (a Runner)"""
    return Runner(None, args, status_interval, program=SERVER)


def http(method, url, body=None, timeout=20, headers=None):
    """(status, headers, body) of one request; HTTP errors are answers."""
    import urllib.error
    import urllib.request
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def http_json(method, url, body=None, timeout=20):
    status, headers, data = http(method, url, body, timeout)
    try:
        doc = json.loads(data.decode() or "null")
    except ValueError:
        doc = None
    return status, headers, doc


def jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or None."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, seglen = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + seglen
    return None


def ffmpeg_srt_sender(port, seconds, stream_id="test", size="640x360",
                      fps=30, gop=None, extra_video=()):
    """Debian's ffmpeg sending testsrc2 + a tone as H.264/AAC in MPEG-TS over
    SRT (caller) for @seconds."""
    gop = gop or fps
    url = (f"srt://127.0.0.1:{port}?mode=caller&streamid={stream_id}"
           "&latency=120000")
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
           "-t", str(seconds), "-f", "lavfi", "-i",
           f"testsrc2=size={size}:rate={fps}", "-re", "-t", str(seconds),
           "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
           "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
           "-g", str(gop), "-b:v", "1500k", "-pix_fmt", "yuv420p",
           *extra_video, "-c:a", "aac", "-b:a", "96k", "-f", "mpegts", url]
    log("$ " + " ".join(cmd))
    return spawn(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                 text=True)


# --- MPD ----------------------------------------------------------------------

class Mpd:
    def __init__(self, path):
        self.path = path
        self.tree = ET.parse(path)
        self.root = self.tree.getroot()

    @property
    def type(self):
        return self.root.get("type")

    def periods(self):
        return self.root.findall("d:Period", NS)

    def representations(self, content=None):
        """[(period index, adaptation set, representation)]"""
        out = []
        for pi, p in enumerate(self.periods()):
            for a in p.findall("d:AdaptationSet", NS):
                ct = a.get("contentType") or (a.get("mimeType") or "").split(
                    "/")[0]
                if not ct:
                    r0 = a.find("d:Representation", NS)
                    ct = (r0.get("mimeType") or "").split("/")[0] if r0 is \
                        not None else ""
                if content and ct != content:
                    continue
                for r in a.findall("d:Representation", NS):
                    out.append((pi, a, r))
        return out

    @staticmethod
    def template(a, r):
        return mpdfiles.template(a, r)

    def timeline(self, a, r):
        """[(t, d)] of a representation, @r expanded, in its timescale."""
        return [(t, d) for _, t, d in mpdfiles.timeline(self.template(a, r))]

    def timescale(self, a, r):
        t = self.template(a, r)
        return int(t.get("timescale", "1")) if t is not None else 1

    def segment_files(self, a, r):
        """Paths of the init and media segments of a representation."""
        base = os.path.dirname(self.path)
        init, media = mpdfiles.files(r, a)
        return (os.path.join(base, init),
                [os.path.join(base, name) for name, _, _, _ in media])


# --- playback with GStreamer ----------------------------------------------

PLAY_SCRIPT = r'''
import sys, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib
Gst.init(None)
uri, limit, bin_ = sys.argv[1], float(sys.argv[2]), sys.argv[3]
p = Gst.ElementFactory.make(bin_)
p.set_property("uri", uri)
counts = {"video": 0, "audio": 0}
def mk(kind):
    s = Gst.ElementFactory.make("fakesink")
    s.set_property("sync", False)
    s.set_property("signal-handoffs", True)
    def h(sink, buf, pad):
        counts[kind] += 1
    s.connect("handoff", h)
    return s
p.set_property("video-sink", mk("video"))
p.set_property("audio-sink", mk("audio"))
demux = []
def setup(pb, el):
    f = el.get_factory()
    if f and "dashdemux" in f.get_name():
        demux.append(f.get_name())
p.connect("element-setup", setup)
errors, warnings = [], []
loop = GLib.MainLoop()
def on(bus, m):
    if m.type == Gst.MessageType.BUFFERING:
        pct = m.parse_buffering()
        p.set_state(Gst.State.PLAYING if pct >= 100 else Gst.State.PAUSED)
    elif m.type == Gst.MessageType.ERROR:
        errors.append(f"{m.src.get_name()}: {m.parse_error()[0].message}")
        loop.quit()
    elif m.type == Gst.MessageType.WARNING:
        warnings.append(f"{m.src.get_name()}: {m.parse_warning()[0].message}")
    elif m.type == Gst.MessageType.EOS:
        loop.quit()
bus = p.get_bus(); bus.add_signal_watch(); bus.connect("message", on)
GLib.timeout_add(int(limit * 1000), loop.quit)
p.set_state(Gst.State.PLAYING)
loop.run()
p.set_state(Gst.State.NULL)
import json
print(json.dumps({"video": counts["video"], "audio": counts["audio"],
                  "errors": errors, "warnings": warnings, "demux": demux}))
'''


class StaticServer:
    """Serves a directory on 127.0.0.1 (a thread), like any web server."""

    def __init__(self, directory):
        import functools
        import http.server

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass
        handler = functools.partial(Quiet, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     handler)
        self.port = self.httpd.server_address[1]
        self.t = threading.Thread(target=self.httpd.serve_forever,
                                  daemon=True)
        self.t.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def play_with_gstreamer(mpd_path, limit=60, legacy=False):
    """Plays a (static) MPD, served over HTTP on 127.0.0.1, into fakesinks:
    playbin3 with dashdemux2, or with legacy=True playbin with the older
    dashdemux (dashdemux2's rank lowered); returns {video, audio, errors, warnings,
    demux}. The older dashdemux is not streams-aware: playbin, not
    playbin3, for it."""
    env = dict(os.environ)
    player = "playbin3"
    if legacy:
        env["GST_PLUGIN_FEATURE_RANK"] = "dashdemux2:NONE"
        player = "playbin"
    srv = StaticServer(os.path.dirname(os.path.abspath(mpd_path)))
    uri = f"http://127.0.0.1:{srv.port}/{os.path.basename(mpd_path)}"
    try:
        r = subprocess.run(["/usr/bin/python3", "-c", PLAY_SCRIPT, uri,
                            str(limit), player], capture_output=True, text=True,
                           timeout=limit + 30, env=env)
    finally:
        srv.stop()
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"video": 0, "audio": 0, "errors": [r.stderr[-2000:]],
                "warnings": [], "demux": []}


def decode_segments(init, media, limit=120):
    """Decodes init + media segments of one representation (concatenated,
    as a player does) with qtdemux and avdec_h264/avdec_aac; returns
    (frames, errors, warnings)."""
    with tempfile.NamedTemporaryFile(suffix=".mp4", delete=False) as f:
        for p in [init] + list(media):
            with open(p, "rb") as s:
                f.write(s.read())
        path = f.name
    script = r'''
import sys, json, gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
p = Gst.parse_launch("filesrc location=%s ! qtdemux ! decodebin ! fakesink name=s sync=false signal-handoffs=true")
n = [0]
p.get_by_name("s").connect("handoff", lambda s, b, pad: n.__setitem__(0, n[0] + 1))
p.set_state(Gst.State.PLAYING)
errors, warnings = [], []
bus = p.get_bus()
while True:
    m = bus.timed_pop_filtered(%d * Gst.SECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS | Gst.MessageType.WARNING)
    if m is None:
        errors.append("timeout"); break
    if m.type == Gst.MessageType.ERROR:
        errors.append(m.parse_error()[0].message); break
    if m.type == Gst.MessageType.WARNING:
        warnings.append(m.parse_warning()[0].message); continue
    break
p.set_state(Gst.State.NULL)
print(json.dumps([n[0], errors, warnings]))
''' % (repr(path)[1:-1], limit)
    try:
        r = subprocess.run(["/usr/bin/python3", "-c", script],
                           capture_output=True, text=True, timeout=limit + 30)
        frames, errors, warnings = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError, subprocess.TimeoutExpired) as e:
        frames, errors, warnings = 0, [f"decode failed: {e}"], []
    finally:
        os.unlink(path)
    return frames, errors, warnings


class UdpDelayLink:
    """A UDP link with @delay_ms of one-way delay in both directions: a
    client sending to listen_port reaches 127.0.0.1:dest_port, the replies
    come back to the client, every datagram @delay_ms late (in order). For
    connection-oriented protocols over UDP (SRT): a handshake takes its
    round trips."""

    def __init__(self, listen_port, dest_port, delay_ms):
        import heapq
        self.heapq = heapq
        self.delay = delay_ms / 1000.0
        self.stop_ev = threading.Event()
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", listen_port))
        self.front.settimeout(0.1)
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.back.settimeout(0.1)
        self.dest = ("127.0.0.1", dest_port)
        self.client = None
        self.heap = []          # (due, seq, socket, data, address)
        self.seq = 0
        self.cond = threading.Condition()
        self.stats = {"forward": 0, "backward": 0}
        self.threads = [threading.Thread(target=f, daemon=True) for f in
                        (self._from_client, self._from_dest, self._send)]
        for t in self.threads:
            t.start()

    def _queue(self, sock, data, addr, what):
        with self.cond:
            self.seq += 1
            self.heapq.heappush(self.heap, (time.monotonic() + self.delay,
                                            self.seq, sock, data, addr))
            self.stats[what] += 1
            self.cond.notify()

    def _from_client(self):
        while not self.stop_ev.is_set():
            try:
                data, addr = self.front.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.client = addr
            self._queue(self.back, data, self.dest, "forward")

    def _from_dest(self):
        while not self.stop_ev.is_set():
            try:
                data, _ = self.back.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.client is not None:
                self._queue(self.front, data, self.client, "backward")

    def _send(self):
        while not self.stop_ev.is_set():
            with self.cond:
                now = time.monotonic()
                if not self.heap or self.heap[0][0] > now:
                    wait = self.heap[0][0] - now if self.heap else 0.1
                    self.cond.wait(min(wait, 0.1))
                    continue
                _, _, sock, data, addr = self.heapq.heappop(self.heap)
            try:
                sock.sendto(data, addr)
            except OSError:
                pass

    def stop(self):
        self.stop_ev.set()
        with self.cond:
            self.cond.notify()
        for t in self.threads:
            t.join(2)
        self.front.close()
        self.back.close()


# --- a UDP impairment proxy -------------------------------------------------

class UdpImpair:
    """Forwards UDP datagrams from listen_port to 127.0.0.1:dest_port,
    delaying some (reordering them) and dropping some, with a fixed seed.
    RTCP (listen_port + 1) is forwarded untouched."""

    def __init__(self, listen_port, dest_port, delay_prob=0.05,
                 delay_ms=(5, 40), drop_prob=0.01, seed=1, rtcp=True):
        self.rng = random.Random(seed)
        self.delay_prob, self.delay_ms, self.drop_prob = \
            delay_prob, delay_ms, drop_prob
        self.stats = {"in": 0, "sent": 0, "delayed": 0, "dropped": 0}
        self.stop_ev = threading.Event()
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.pending = []  # (due, data)
        self.lock = threading.Lock()
        self.dest = ("127.0.0.1", dest_port)
        self.threads = []
        self._listen(listen_port, impair=True, dest=self.dest)
        if rtcp:
            self._listen(listen_port + 1, impair=False,
                         dest=("127.0.0.1", dest_port + 1))
        t = threading.Thread(target=self._flush, daemon=True)
        t.start()
        self.threads.append(t)

    def _listen(self, port, impair, dest):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.settimeout(0.2)
        t = threading.Thread(target=self._loop, args=(s, impair, dest),
                             daemon=True)
        t.start()
        self.threads.append(t)

    def _loop(self, s, impair, dest):
        while not self.stop_ev.is_set():
            try:
                data, _ = s.recvfrom(65536)
            except socket.timeout:
                continue
            if not impair:
                self.out.sendto(data, dest)
                continue
            self.stats["in"] += 1
            r = self.rng.random()
            if r < self.drop_prob:
                self.stats["dropped"] += 1
                continue
            if r < self.drop_prob + self.delay_prob:
                d = self.rng.uniform(*self.delay_ms) / 1000.0
                with self.lock:
                    self.pending.append((time.monotonic() + d, data))
                self.stats["delayed"] += 1
                continue
            self.out.sendto(data, dest)
            self.stats["sent"] += 1
        s.close()

    def _flush(self):
        while not self.stop_ev.is_set():
            now = time.monotonic()
            with self.lock:
                due = [p for p in self.pending if p[0] <= now]
                self.pending = [p for p in self.pending if p[0] > now]
            for _, data in sorted(due, key=lambda p: p[0]):
                self.out.sendto(data, self.dest)
                self.stats["sent"] += 1
            time.sleep(0.001)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(2)


# --- restarts and redundant producers -----------------------------------------

NODE_MODULES = os.path.join(REPO, "tests", "integration", "node_modules")
LIBS = {
    "/lib/dash.all.min.js": os.path.join(NODE_MODULES, "dashjs", "dist",
                                         "modern", "umd", "dash.all.min.js"),
    "/lib/hls.min.js": os.path.join(NODE_MODULES, "hls.js", "dist",
                                    "hls.min.js"),
}
TYPES = {".mpd": "application/dash+xml", ".m3u8": "application/vnd.apple.mpegurl",
         ".m4s": "video/iso.segment", ".mp4": "video/mp4",
         ".js": "text/javascript", ".html": "text/html"}


class MediaServer:
    """A plain HTTP server on 127.0.0.1 (a thread) like any origin or edge:
    /page.html (live-page.html), /lib/* (dash.js, hls.js) and /live/<file>
    from the directory that @root() names at the time of the request (an
    edge that fails over between origins switches it). CORS, no caching
    of manifests."""

    def __init__(self, root):
        import http.server
        self.root = root
        self.requests = 0
        self.not_found = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                server.requests += 1
                if path == "/page.html":
                    f = os.path.join(HERE, "live-page.html")
                elif path in LIBS:
                    f = LIBS[path]
                elif path.startswith("/live/") and "/" not in path[6:] and \
                        not path[6:].startswith("."):
                    f = os.path.join(server.root(), path[6:])
                else:
                    f = None
                try:
                    with open(f, "rb") as fh:
                        body = fh.read()
                except (OSError, TypeError):
                    server.not_found.append(path)
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.send_header("Access-Control-Allow-Origin", "*")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", TYPES.get(
                    os.path.splitext(f)[1], "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.t = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.t.start()

    def page(self, player, src):
        return f"http://127.0.0.1:{self.port}/page.html?p={player}&src={src}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def have_players():
    return all(os.path.exists(f) for f in LIBS.values())


class FileWatch:
    """Reads every segment and init segment (*.m4s, *.mp4) of a directory
    as it appears (every 0.2 s) and again every @recheck seconds: a name
    whose bytes ever differ from what was first read is a violation (a URL
    that names two contents)."""

    def __init__(self, directory, recheck=2.0):
        import hashlib
        self.hashlib = hashlib
        self.dir = directory
        self.recheck = recheck
        self.digests = {}       # name -> sha256 of its first contents
        self.first_seen = {}    # name -> monotonic time
        self.changed = []       # (name, when)
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _digest(self, name):
        try:
            with open(os.path.join(self.dir, name), "rb") as f:
                return self.hashlib.sha256(f.read()).hexdigest()
        except OSError:
            return None         # deleted (DVR window) or not there yet

    def _run(self):
        last_recheck = time.monotonic()
        while not self.stop_ev.wait(0.2):
            try:
                names = os.listdir(self.dir)
            except OSError:
                continue
            now = time.monotonic()
            for n in names:
                if not (n.endswith(".m4s") or n.endswith(".mp4")) or \
                        n in self.digests:
                    continue
                d = self._digest(n)
                if d:
                    self.digests[n] = d
                    self.first_seen[n] = now
            if now - last_recheck >= self.recheck:
                last_recheck = now
                for n, d in list(self.digests.items()):
                    d2 = self._digest(n)
                    if d2 and d2 != d:
                        self.changed.append((n, now))

    def new_since(self, t):
        return sorted(n for n, s in self.first_seen.items() if s >= t)

    def stop(self):
        self.stop_ev.set()
        self.t.join(5)


class SenderLoop:
    """A contribution encoder that reconnects: Debian's ffmpeg encodes
    testsrc2 + a tone (H.264/AAC, MPEG-TS) to UDP on 127.0.0.1, and one
    srt-live-transmit per listener port carries it over SRT (caller) with a
    1 s peer idle timeout, so that a listener that went away is noticed
    within a second and called again (every process restarted 0.5 s after
    it exits, until stop()). Several ports: ffmpeg's tee muxer feeds one
    srt-live-transmit per port (redundant producers fed the same source)."""

    def __init__(self, ports, size="640x360", fps=30, gop=30):
        self.ports = list(ports)
        self.udp = [free_udp_port() for _ in self.ports]
        self.size, self.fps, self.gop = size, fps, gop
        self.stop_ev = threading.Event()
        self.starts = {}
        self.threads = [threading.Thread(target=self._loop, args=(name, cmd),
                                         daemon=True)
                        for name, cmd in self._cmds()]
        for t in self.threads:
            t.start()

    def _cmds(self):
        udp = [f"udp://127.0.0.1:{u}?pkt_size=1316" for u in self.udp]
        out = (["-f", "mpegts", udp[0]] if len(udp) == 1 else
               ["-map", "0:v", "-map", "1:a", "-f", "tee",
                "|".join(f"[f=mpegts]{u}" for u in udp)])
        yield "ffmpeg", [
            "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
            "-re", "-f", "lavfi", "-i",
            f"testsrc2=size={self.size}:rate={self.fps}", "-re", "-f",
            "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-g", str(self.gop), "-b:v", "800k", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k", *out]
        for u, p in zip(self.udp, self.ports):
            yield f"slt{p}", [
                "srt-live-transmit", "-q", "-a:yes", f"udp://127.0.0.1:{u}",
                f"srt://127.0.0.1:{p}?mode=caller&latency=120"
                "&peeridletimeo=1000&conntimeo=1000"]

    def _loop(self, name, cmd):
        while not self.stop_ev.is_set():
            self.starts[name] = self.starts.get(name, 0) + 1
            proc = spawn(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
            while proc.poll() is None and not self.stop_ev.is_set():
                time.sleep(0.1)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            self.stop_ev.wait(0.5)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(10)


class Viewers:
    """view-live.mjs watching @watch ({name: url}) for @seconds; samples
    collected per name as they come."""

    def __init__(self, watch, seconds, interval=1.0):
        cmd = ["node", os.path.join(HERE, "view-live.mjs"), "--seconds",
               str(seconds), "--interval", str(interval)]
        for name, url in watch.items():
            cmd += ["--watch", f"{name}={url}"]
        log("$ " + " ".join(cmd))
        self.samples = {name: [] for name in watch}
        self.other = []
        self.done = False
        self.proc = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1)
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line == "DONE":
                self.done = True
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                self.other.append(line)
                log(f"  viewer: {line}")
                continue
            if "t" in obj and obj.get("name") in self.samples:
                self.samples[obj["name"]].append(obj)
            else:
                self.other.append(line)
                log(f"  viewer: {line}")

    def latest(self, name):
        s = self.samples.get(name)
        return s[-1] if s else None

    def wait_playing(self, played, timeout):
        """Every viewer playing and @played s of media past its start"""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ok = True
            for name, s in self.samples.items():
                first = next((x for x in s if x.get("playing")), None)
                if not s or first is None or \
                        (s[-1].get("t") or 0) - (first.get("t") or 0) < played:
                    ok = False
            if ok:
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.25)
        log("not playing %s s yet: %s" % (played, self.where()))
        for name, s in self.samples.items():
            first = next((x for x in s if x.get("playing")), None)
            if first is None:
                events = [f"{w - s[0]['wall']:+7.2f} t={t:.2f} {what}"
                          for x in s for w, t, what in x.get("log", [])]
                if len(events) > 80:
                    events = events[:50] + ["..."] + events[-30:]
                log(f"{name}'s events from its first sample:\n  " +
                    "\n  ".join(events))
        return False

    def where(self):
        """Each viewer's last sample, in a line"""
        out = []
        for name, s in self.samples.items():
            x = s[-1] if s else {}
            out.append(f"{name}: {len(s)} samples, playing "
                       f"{x.get('playing')}, t={x.get('t')}, stalls "
                       f"{x.get('stalls')}, errors {x.get('errors', [])[:2]}")
        return "; ".join(out)

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            rc = None
        self.t.join(5)
        return rc

    def timeline(self, name, since, before=5, after=30):
        """One line per sample around wall time @since: seconds from it,
        currentTime, buffer ahead, stalls, errors; between them, the
        page's player events (indented: wall, currentTime, event)"""
        rows = []
        for x in self.samples[name]:
            dt = x["wall"] - since
            for w, t, what in x.get("log", []):
                if -before <= w - since <= after:
                    rows.append(f"    {w - since:+7.2f} t={t:.2f} {what}")
            if -before <= dt <= after:
                rows.append(f"{dt:+6.1f} t={x['t'] or 0:.1f} "
                            f"buf={x.get('buffer', 0):.1f} "
                            f"stalls={x['stalls']} errors={len(x['errors'])}")
        return rows

    def judge(self, name, since):
        """What the viewer @name went through from wall time @since on:
        stalls, new errors, reloads, media played, and whether playback
        was still advancing at the end."""
        s = self.samples[name]
        before = [x for x in s if x["wall"] < since]
        after = [x for x in s if x["wall"] >= since]
        b = before[-1] if before else s[0]
        e = after[-1] if after else s[-1]
        tail = [x for x in after if x["wall"] >= e["wall"] - 8]
        return {
            "stalls": e["stalls"] - b["stalls"],
            "errors": e["errors"][len(b["errors"]):],
            "fatal": e["fatal"] - b["fatal"],
            "reloads": max(x["loads"] for x in s) - 1,
            "played": (e["t"] or 0) - (b["t"] or 0),
            "wall": e["wall"] - b["wall"],
            "advancing": len(tail) >= 2 and
            (tail[-1]["t"] or 0) - (tail[0]["t"] or 0) > 2,
            "longest_freeze": longest_freeze(after),
        }


def longest_freeze(samples):
    """The longest wall time (s) over which currentTime did not advance"""
    longest, start = 0.0, None
    for x, y in zip(samples, samples[1:]):
        if (y["t"] or 0) - (x["t"] or 0) < 0.05:
            start = x["wall"] if start is None else start
            longest = max(longest, y["wall"] - start)
        else:
            start = None
    return round(longest, 1)
