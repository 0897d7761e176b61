# Restream outputs: SRT and RTMP senders hanging off gopbuffer's request
# pads, added and removed while the pipeline plays.
#
# An output's life (all on the GLib main loop; nothing here runs on a
# streaming thread):
#
#   add ──> connecting ──(the sink reports its connection)──> active
#              │  the bin (mux + sink) is PLAYING but not linked:      │
#              │  nothing can be dropped while the connection is       │
#              │  being set up                                         │
#              │                                                       │
#              └─(no connection within connect_timeout, or an error)───┤
#                                                                      v
#                                   waiting ──(backoff)──> connecting again
#
# Linking the gopbuffer request pads only once the connection is up is what
# makes an output start on a keyframe every time: gopbuffer sends a newly
# linked pad the cached GOP from its keyframe at once, and srtsink
# (wait-for-connection=false) drops whatever it is given before its
# connection is up. Linked at the add, the cached GOP was lost whenever the
# SRT handshake took longer than the cached GOP took to pass, and the
# receiver waited for the next keyframe.
"""Outputs of the restream pipeline and of livestream-server's streams."""

import os
import sys
import time
import urllib.parse

from .runner import emit

# An output's states
CONNECTING, ACTIVE, WAITING = "connecting", "active", "waiting"

POLL_MS = 20            # how often a connecting output's sink is asked
CONNECT_TIMEOUT = 5.0   # s; SRT gives up a handshake after 3 s, rtmp2sink 5
BACKOFF_MAX = 60.0      # s, the longest wait between two attempts
STABLE = 10.0           # s connected: the next failure starts the backoff
                        # from the beginning again


class OutputError(ValueError):
    """A URL that cannot be an output."""


def parse_url(url):
    """(kind, mode) of an output URL: ('srt', 'caller'|'listener'|
    'rendezvous') or ('rtmp', None); OutputError otherwise."""
    try:
        u = urllib.parse.urlsplit(url)
    except ValueError as e:
        raise OutputError(f"not a URL: {e}")
    scheme = u.scheme.lower()
    if scheme == "srt":
        if not u.hostname and not u.port:
            raise OutputError("srt:// URL without host or port")
        q = urllib.parse.parse_qs(u.query)
        mode = (q.get("mode") or ["caller"])[0].lower()
        if mode not in ("caller", "listener", "rendezvous"):
            raise OutputError(f"SRT mode '{mode}' is not caller, listener "
                              "or rendezvous")
        if mode == "caller" and not u.hostname:
            raise OutputError("an SRT caller needs a host")
        return "srt", mode
    if scheme in ("rtmp", "rtmps"):
        if not u.hostname:
            raise OutputError("rtmp:// URL without host")
        parts = [p for p in u.path.split("/") if p]
        if len(parts) < 2:
            raise OutputError("rtmp:// URL needs an application and a stream "
                              "key: rtmp://host/app/key")
        return "rtmp", None
    raise OutputError(f"unsupported scheme '{u.scheme}' (srt://, rtmp://, "
                      "rtmps://)")


def backoff(base, failures):
    """Seconds before attempt @failures + 1: base, 2 base, 4 base, ...
    at most BACKOFF_MAX (but never less than base)."""
    if failures <= 0:
        return 0.0
    return min(base * 2 ** (failures - 1), max(BACKOFF_MAX, base))


def sink_connected(kind, mode, sink):
    """Whether the output's sink has its connection. srtsink answers its
    `stats` from libsrt only for a connected socket (srt_bstats fails while
    the handshake is in progress); rtmp2sink has a connection object, whose
    byte counters it reports, only once the server accepted the publish. An
    SRT listener output serves callers as they come: ready at once."""
    if kind == "srt" and mode == "listener":
        return True
    st = sink.get_property("stats")
    if st is None:
        return False
    if kind == "srt":
        return st.has_field("rtt-ms")
    v = st.get_value("in-bytes-total") if st.has_field("in-bytes-total") \
        else 0
    return bool(v)


class Output:
    def __init__(self, index, uri, kind, mode):
        self.index = index
        self.uri = uri
        self.kind = kind
        self.mode = mode
        self.state = CONNECTING
        self.bin = None
        self.pads = []         # request pads of gopbuffer/tee
        self.retry_id = 0
        self.poll_id = 0
        self.t_add = None      # monotonic time of the add (first muxed log)
        self.t_attempt = None  # monotonic start of the current attempt
        self.t_active = None   # monotonic time the pads were linked
        self.video_pid = None
        self.attempts = 0      # connection attempts so far
        self.failures = 0      # consecutive failures (the backoff)
        self.connections = 0   # times it was connected
        self.last_error = None
        self.retry_at = None   # monotonic time of the next attempt
        self.bytes_before = 0  # bytes sent by earlier connections

    def sink(self):
        return self.bin.get_by_name(f"out{self.index}_sink") \
            if self.bin is not None else None

    def bytes_sent(self):
        n = self.bytes_before
        s = self.sink()
        if s is not None:
            n += _sent(self.kind, s)
        return n

    def info(self):
        """A dict for the API and the `list` command."""
        now = time.monotonic()
        return {
            "id": str(self.index),
            "url": self.uri,
            "state": self.state,
            "attempts": self.attempts,
            "connections": self.connections,
            "connected_for_s": (round(now - self.t_active, 3)
                                if self.state == ACTIVE else None),
            "retry_in_s": (round(max(0.0, self.retry_at - now), 3)
                           if self.state == WAITING and self.retry_at
                           else None),
            "last_error": self.last_error,
            "bytes_sent": self.bytes_sent(),
        }


def _sent(kind, sink):
    st = sink.get_property("stats")
    if st is None:
        return 0
    field = "bytes-sent-total" if kind == "srt" else "out-bytes-total"
    if not st.has_field(field):
        return 0
    try:
        return int(st.get_value(field))
    except (TypeError, ValueError):
        return 0


class OutputSet:
    """The outputs of one stream: each a bin (queue ! h264parse ! mpegtsmux
    ! srtsink, or ... flvmux ! rtmp2sink, and the audio) in @container,
    linked to a new gopbuffer `src_%u` pad (and the matching
    `audio_src_%u`, or a pad of @atee) once its connection is up. gopbuffer
    then sends it the sticky events and the cached GOP from its keyframe: a
    receiver decodes its first frame at once. An output that fails, or does
    not connect within @connect_timeout, is taken down (the rest keeps
    running) and tried again after @retry s, then 2, 4, ... times that, at
    most a minute.

    @log, @warn: callables taking a line; @on_event(output, what) is called
    on 'active', 'failed', 'removed' (may be None)."""

    def __init__(self, container, gop, audio, log, warn, retry=5.0,
                 connect_timeout=CONNECT_TIMEOUT, atee=None,
                 audio_src_template="audio_src_%u", on_event=None,
                 prefix="restream: ", log_first_frame=True):
        from gi.repository import GLib, Gst
        self.Gst, self.GLib = Gst, GLib
        self.container = container
        self.gop = gop
        self.audio = audio
        self.atee = atee
        self.audio_src_template = audio_src_template
        self.log = log
        self.warn = warn
        self.retry = retry
        self.connect_timeout = connect_timeout
        self.on_event = on_event
        self.prefix = prefix
        self.log_first_frame = log_first_frame
        self.outputs = {}
        self.next_index = 0
        self.retrying = True
        # when the latest video keyframe reached gopbuffer (monotonic): an
        # output's log line says where in the GOP it was linked
        self.last_keyframe = None

    # keyframes -------------------------------------------------------------
    def keyframe_seen(self, when=None):
        self.last_keyframe = time.monotonic() if when is None else when

    # the first muxed frame (a log line; the probe removes itself) ----------
    @staticmethod
    def _has_pes_start(buf, pid):
        """Whether MPEG-TS data starts a PES packet of @pid"""
        from gi.repository import Gst
        ok, m = buf.map(Gst.MapFlags.READ)
        if not ok:
            return False
        try:
            data = m.data
            for off in range(0, len(data) - 187, 188):
                b1 = data[off + 1]
                if (data[off] == 0x47 and b1 & 0x40 and
                        ((b1 & 0x1f) << 8 | data[off + 2]) == pid):
                    return True
            return False
        finally:
            buf.unmap(m)

    def _on_muxed(self, pad, info, output):
        """The first muxed video frame of an output (the start of the first
        PES packet of its video PID): how long after the add. Runs on the
        output's streaming thread until it has seen it, then removes
        itself."""
        Gst = self.Gst
        if output.t_add is None or output.video_pid is None:
            return Gst.PadProbeReturn.REMOVE
        if info.type & Gst.PadProbeType.BUFFER_LIST:
            lst = info.get_buffer_list()
            bufs = [lst.get(k) for k in range(lst.length())]
        else:
            bufs = [info.get_buffer()]
        if not any(self._has_pes_start(b, output.video_pid) for b in bufs):
            return Gst.PadProbeReturn.OK
        dt = (time.monotonic() - output.t_add) * 1000
        output.t_add = None
        # printed by the main loop, after the "added" line
        self.GLib.idle_add(self.log, f"{self.prefix}output "
                           f"{output.index}: first muxed video frame "
                           f"{dt:.0f} ms after the add")
        return Gst.PadProbeReturn.REMOVE

    # add / remove ----------------------------------------------------------
    def find_uri(self, uri):
        for o in self.outputs.values():
            if o.uri == uri:
                return o
        return None

    def add(self, uri):
        """A new output; returns it, or raises OutputError."""
        kind, mode = parse_url(uri)
        if self.find_uri(uri) is not None:
            raise OutputError(f"{uri} is already an output")
        output = Output(self.next_index, uri, kind, mode)
        self.next_index += 1
        self.outputs[output.index] = output
        output.t_add = time.monotonic()
        self._attempt(output)
        return output

    def _attempt(self, output):
        """Build the output's bin, set it PLAYING unlinked, and wait for its
        connection."""
        Gst = self.Gst
        from . import graph
        i = output.index
        output.retry_id = 0
        output.retry_at = None
        output.state = CONNECTING
        output.attempts += 1
        output.t_attempt = time.monotonic()
        desc = graph.output_branch_description(output.uri, i, self.audio,
                                               output.kind)
        try:
            b = Gst.parse_bin_from_description(desc, False)
        except self.GLib.Error as e:
            self._failed(output, f"cannot build it: {e.message}")
            return
        b.set_name(f"output{i}")
        b.add_pad(Gst.GhostPad.new(
            "video", b.get_by_name(f"out{i}_vq").get_static_pad("sink")))
        if self.audio:
            b.add_pad(Gst.GhostPad.new(
                "audio", b.get_by_name(f"out{i}_aq").get_static_pad("sink")))
        self.container.add(b)
        output.bin = b
        if b.sync_state_with_parent() is False or \
                b.get_state(0)[0] == Gst.StateChangeReturn.FAILURE:
            self._failed(output, "its sink did not start")
            return
        if self._poll(output):
            output.poll_id = self.GLib.timeout_add(POLL_MS, self._poll,
                                                   output)

    def _poll(self, output):
        """Main loop, every POLL_MS while connecting: link once connected,
        give up after connect_timeout. Returns whether to poll again."""
        if output.state != CONNECTING or output.bin is None:
            output.poll_id = 0
            return False
        sink = output.sink()
        if sink is not None and sink_connected(output.kind, output.mode,
                                               sink):
            output.poll_id = 0
            self._link(output)
            return False
        if time.monotonic() - output.t_attempt > self.connect_timeout:
            output.poll_id = 0
            self._failed(output, "not connected within "
                         f"{self.connect_timeout:g} s")
            return False
        return True

    def _link(self, output):
        """The connection is up: request the gopbuffer pads and link them;
        the cached GOP flows at once."""
        Gst = self.Gst
        i, b = output.index, output.bin
        now = time.monotonic()
        phase = ""
        if self.last_keyframe is not None:
            phase = f" ({(now - self.last_keyframe) * 1000:.0f} ms after " \
                    "a keyframe)"
        connect_ms = (now - output.t_attempt) * 1000
        if output.kind == "srt":
            # mpegtsmux names its sink pads after their PID
            vpeer = b.get_by_name(f"out{i}_vparse").get_static_pad(
                "src").get_peer()
            try:
                output.video_pid = int(vpeer.get_name().split("_")[-1])
            except (AttributeError, ValueError):
                output.video_pid = None
            if output.t_add is not None and self.log_first_frame:
                b.get_by_name(f"out{i}_mux").get_static_pad("src").add_probe(
                    Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                    self._on_muxed, output)
        vpad = self.gop.request_pad_simple("src_%u")
        if vpad is None:
            self._failed(output, "no more request pads")
            return
        output.pads.append(vpad)
        apad = None
        if self.audio:
            if self.atee is not None:
                apad = self.atee.request_pad_simple("src_%u")
            else:
                n = vpad.get_name().split("_")[-1]
                tmpl = self.gop.get_pad_template(self.audio_src_template)
                if tmpl is not None:
                    apad = self.gop.request_pad(tmpl, f"audio_src_{n}", None)
            if apad is not None:
                output.pads.append(apad)
        if apad is not None:
            apad.link(b.get_static_pad("audio"))
        if vpad.link(b.get_static_pad("video")) != Gst.PadLinkReturn.OK:
            self._failed(output, f"cannot link {vpad.get_name()}")
            return
        output.state = ACTIVE
        output.t_active = now
        output.connections += 1
        output.last_error = None
        how = "" if output.mode == "listener" else \
            f", connected in {connect_ms:.0f} ms"
        self.log(f"{self.prefix}output {i} {output.uri} added on "
                 f"{vpad.get_name()}" +
                 (f" + {apad.get_name()}" if apad else "") + phase + how)
        if self.on_event:
            self.on_event(output, "active")

    def remove(self, uri=None, index=None):
        """Takes an output down for good; returns it or None."""
        o = self.find_uri(uri) if uri is not None else \
            self.outputs.get(index)
        if o is None:
            return None
        self._cancel_timers(o)
        self._drop(o)
        del self.outputs[o.index]
        o.state = "removed"
        self.log(f"{self.prefix}output {o.index} {o.uri} removed")
        if self.on_event:
            self.on_event(o, "removed")
        return o

    def _cancel_timers(self, o):
        for attr in ("retry_id", "poll_id"):
            sid = getattr(o, attr)
            if sid:
                self.GLib.source_remove(sid)
                setattr(o, attr, 0)

    def _drop(self, output):
        """The bin goes to NULL first: its pads flush, so a gopbuffer pad
        thread blocked pushing into a full queue returns and the request
        pad can be released (releasing first waited for that push for
        ever)."""
        Gst = self.Gst
        sink = output.sink()
        if sink is not None:
            output.bytes_before += _sent(output.kind, sink)
        if output.bin is not None:
            output.bin.set_locked_state(True)
            output.bin.set_state(Gst.State.NULL)
        for pad in output.pads:
            peer = pad.get_peer()
            if peer is not None:
                pad.unlink(peer)
            owner = pad.get_parent_element()
            if owner is not None:
                owner.release_request_pad(pad)
        output.pads = []
        if output.bin is not None:
            self.container.remove(output.bin)
            output.bin = None

    # errors ----------------------------------------------------------------
    def _find(self, obj):
        while obj is not None:
            for o in self.outputs.values():
                if o.bin is not None and obj == o.bin:
                    return o
            obj = obj.get_parent()
        return None

    def owns(self, obj):
        """Whether a message's source is in an output: one of ours, or one
        already taken down (its error or warning may still be queued on the
        bus after the bin left the pipeline)."""
        if self._find(obj) is not None:
            return True
        root = obj
        while root is not None and root.get_parent() is not None:
            root = root.get_parent()
        return root is not None and root is not obj and \
            root.get_name().startswith("output") and \
            isinstance(root, self.Gst.Bin) and root.get_parent() is None

    def failed(self, src, message):
        """An error message from inside an output's bin."""
        o = self._find(src)
        if o is not None:
            self._failed(o, message)

    def _failed(self, o, why):
        self._cancel_timers(o)
        was_active = o.state == ACTIVE
        if was_active and time.monotonic() - o.t_active >= STABLE:
            o.failures = 0
        self._drop(o)
        o.failures += 1
        o.last_error = why
        if self.on_event:
            self.on_event(o, "failed")
        if self.retry <= 0 or not self.retrying:
            self.warn(f"{self.prefix}output {o.index} {o.uri} failed: {why}; "
                      "removed")
            del self.outputs[o.index]
            o.state = "removed"
            return
        delay = backoff(self.retry, o.failures)
        o.state = WAITING
        o.retry_at = time.monotonic() + delay
        self.warn(f"{self.prefix}output {o.index} {o.uri} failed: {why}; "
                  f"retrying in {delay:g} s")
        o.retry_id = self.GLib.timeout_add(int(delay * 1000), self._retry, o)

    def _retry(self, o):
        o.retry_id = 0
        if self.retrying and self.outputs.get(o.index) is o:
            self._attempt(o)
        return False

    def stop(self):
        """Before EOS: no more attempts, and every output that is not
        linked is taken down (its sink would never get the EOS the pipeline
        waits for)."""
        self.retrying = False
        for o in list(self.outputs.values()):
            self._cancel_timers(o)
            if o.state != ACTIVE:
                self._drop(o)
                del self.outputs[o.index]

    def close(self):
        """Takes every output down (the stream is going away)."""
        self.retrying = False
        for o in list(self.outputs.values()):
            self._cancel_timers(o)
            self._drop(o)
        self.outputs = {}


class Outputs(OutputSet):
    """restream's outputs: --srt-output (at start or after
    --add-outputs-after) and the stdin control."""

    def __init__(self, runner, pipeline, plan, args):
        self.runner = runner
        self.args = args
        self._pending = b""
        gop = pipeline.get_by_name(plan.restream.gop)
        atee = None
        if getattr(plan.restream, "audio_tee", None):
            atee = pipeline.get_by_name(plan.restream.audio_tee)
        super().__init__(pipeline, gop, plan.audio, runner.log, runner.warn,
                         retry=args.output_retry, atee=atee,
                         audio_src_template=(plan.restream.audio_src_template
                                             or "audio_src_%u"))
        if gop is not None and gop.get_static_pad("sink"):
            gop.get_static_pad("sink").add_probe(
                self.Gst.PadProbeType.BUFFER, self._on_video)

    def _on_video(self, pad, info):
        buf = info.get_buffer()
        if buf is not None and not buf.has_flags(
                self.Gst.BufferFlags.DELTA_UNIT):
            self.keyframe_seen()
        return self.Gst.PadProbeReturn.OK

    def start(self):
        delay = self.args.add_outputs_after
        uris = list(self.args.srt_output)
        if not uris:
            pass
        elif delay > 0:
            self.runner.log(f"restream: adding {len(uris)} output(s) in "
                            f"{delay:g} s")
            self.GLib.timeout_add(int(delay * 1000), self._add_all, uris)
        else:
            self._add_all(uris)
        if self.args.control:
            self.GLib.io_add_watch(sys.stdin.fileno(),
                                   self.GLib.IO_IN | self.GLib.IO_HUP,
                                   self._on_stdin)
            self.runner.log("restream: control on stdin: add URI | remove "
                            "URI | list")

    def _add_all(self, uris):
        for u in uris:
            self._add(u)
        return False

    def _add(self, uri):
        try:
            o = self.add(uri)
        except OutputError as e:
            self.runner.warn(f"restream: {uri}: {e}")
            return
        if o.state == CONNECTING:
            self.runner.log(f"restream: output {o.index} {uri}: connecting")

    # stdin control -------------------------------------------------------
    def _on_stdin(self, fd, cond):
        # os.read, not sys.stdin.readline(): two commands that arrive
        # together would both sit in Python's buffer after the first
        # readline, and the watch would not fire again for the second
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            return False
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        for raw in lines:
            self._command(raw.decode("utf-8", "replace"))
        return True

    def _command(self, line):
        words = line.split()
        if not words:
            return
        cmd, rest = words[0], words[1:]
        if cmd == "add" and rest:
            self._add(rest[0])
        elif cmd == "remove" and rest:
            if self.remove(rest[0]) is None:
                self.runner.warn(f"restream: {rest[0]} is not an output")
        elif cmd == "list":
            for o in self.outputs.values():
                emit(f"output {o.index}: {o.uri} ({o.state})")
        else:
            self.runner.warn(f"restream: unknown command '{line.strip()}' "
                             "(add URI | remove URI | list)")

    def stop_retrying(self):
        self.stop()
