# livestream-server: many SRT publishers on one port, each becoming a live
# DASH/HLS stream /live/{id}/ on one HTTP port, with the REST API of
# streamapi.py on the same port.
#
# One pipeline:
#
#   srtingestsrc (one SRT port) ─ src_cam1 ─ bin stream-cam1 ─┐
#                               └ src_cam2 ─ bin stream-cam2 ─┤ dashlivesink
#   livestreamapi (/api)                                       │ http-mount
#                                                              │ /live/{id}
#   each stream-{id}: valve ! tsdemux ─ parsers ─ prioqueue ─ gopbuffer ─
#     avsync ─ the ladder (or passthrough) ─ dashlivesink; outputs (SRT,
#     RTMP) on gopbuffer's request pads
#
# Threads: everything here runs on the GLib main loop, except three
# callbacks that GStreamer calls on its own threads, none of them per
# buffer: srtingestsrc's accept-caller (libsrt's thread, a table lookup),
# its pad-added (blocks the new pad; the stream is built on the main
# loop), and tsdemux's pad-added (links a parser, once per elementary
# stream). Counters come from the elements' `stats`; API requests come as
# livestreamapi bus messages and are answered with its `respond` action.
"""The livestream-server program."""

import collections
import os
import signal
import threading
import time
import warnings

from .quality import Governor
from .runner import (EXIT_ERROR, EXIT_EOS_TIMEOUT, EXIT_OK, emit,
                     send_eos_async, stop_pipeline)

CHECK_MS = 1000             # the load check of every stream
SWAP_DRAIN_S = 2.0          # an encoder swap waits this long for the queues
STREAM_BIN = "stream-"


def _now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _cpu():
    t = os.times()
    return t.user + t.system


def _rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class EventLog:
    """The API's events: a bounded log with sequence numbers, and long
    polls that wait for the next matching event."""

    def __init__(self, GLib, maxlen=2000):
        self.GLib = GLib
        self.events = collections.deque(maxlen=maxlen)
        self.seq = 0
        self.waiters = []      # [stream or None, after, reply, source id]

    def add(self, stream, kind, **data):
        self.seq += 1
        ev = {"seq": self.seq, "time": _now_iso(), "stream": stream,
              "type": kind}
        ev.update(data)
        self.events.append(ev)
        for w in list(self.waiters):
            if w[0] is None or w[0] == stream:
                self._answer(w)
        return ev

    def select(self, stream, after):
        return [e for e in self.events if e["seq"] > after and
                (stream is None or e["stream"] == stream)]

    def _answer(self, w):
        from .routes import json_response
        if w not in self.waiters:
            return False
        self.waiters.remove(w)
        if w[3]:
            self.GLib.source_remove(w[3])
        w[2](*json_response(200, {"events": self.select(w[0], w[1]),
                                  "last": self.seq}))
        return False

    def wait(self, stream, after, wait, reply):
        """Answers at once when something is there or @wait is 0, else at
        the next event or after @wait seconds."""
        w = [stream, after, reply, 0]
        self.waiters.append(w)
        if self.select(stream, after) or wait <= 0:
            self._answer(w)
            return
        w[3] = self.GLib.timeout_add(int(wait * 1000), self._timeout, w)

    def _timeout(self, w):
        w[3] = 0
        self._answer(w)
        return False

    def close(self):
        for w in list(self.waiters):
            self._answer(w)


class Stream:
    """One publisher's stream: its bin, outputs, pause, quality."""

    def __init__(self, server, name):
        self.server = server
        self.Gst, self.GLib = server.Gst, server.GLib
        self.id = name
        self.args = server.args
        self.bin = None
        self.plan = None
        self.pad = None
        self.state = "starting"
        self.paused = False
        self.paused_at = None
        self.started = _now_iso()
        self.t0 = time.monotonic()
        self.publisher = None       # address of the current caller
        self.stream_id = None       # the id as the caller sent it
        self.outputs = None
        self.location = os.path.join(self.args.output, name)
        self.mount = f"/live/{name}"
        self.lock = threading.Lock()     # the demux slots
        self.end_reason = None
        self.end_replies = []            # DELETE requests waiting
        self.end_deadline = 0
        self.errors = 0
        self.limits = {}
        # quality
        self.quality = Governor(self.args.x264_preset,
                                self.args.degrade_recover,
                                now=time.monotonic())
        self.quality_changes = 0
        self.swap_dropped = 0            # frames never encoded at swaps
        self.last_drops = 0
        self.swap = None                 # an encoder swap in progress

    # build ---------------------------------------------------------------
    def build(self, pad):
        """The stream's bin, linked to @pad (main loop). Raises
        graph.BuildError."""
        Gst = self.Gst
        from . import graph
        plan = graph.stream_plan(self.args, self.server.env, self.location,
                                 self.mount)
        self.plan = plan
        if os.path.isdir(self.location) and os.listdir(self.location):
            # a stream of that name ran before: keep its recording
            old = f"{self.location}.{time.strftime('%Y%m%d-%H%M%S')}"
            try:
                os.rename(self.location, old)
                self.server.log(f"stream {self.id}: the previous recording "
                                f"is now {old}")
            except OSError as e:
                self.server.warn(f"stream {self.id}: cannot move the "
                                 f"previous recording away: {e}")
        try:
            b = Gst.parse_bin_from_description(plan.description(), False)
        except self.GLib.Error as e:
            raise graph.BuildError(f"cannot build stream {self.id}: "
                                   f"{e.message}")
        b.set_name(STREAM_BIN + self.id)
        # the decodebins of the ladder change state asynchronously: a bin
        # that does not handle that itself makes the whole pipeline lose
        # its state (PAUSED, pending PAUSED) when the stream is added, and a
        # stream added while another one's ASYNC_DONE is still to come
        # stayed PAUSED for good (an output's srtsink then waited in
        # preroll and sent nothing)
        b.set_property("async-handling", True)
        b.add_pad(Gst.GhostPad.new(
            "sink", b.get_by_name("valve").get_static_pad("sink")))
        self.bin = b
        self._apply_limits()
        demux = b.get_by_name("demux")
        demux.connect("pad-added", self._on_demux_pad)
        demux.connect("no-more-pads", self._on_no_more_pads)
        from .outputs import OutputSet
        self.outputs = OutputSet(
            b, b.get_by_name("gop"), plan.audio, self.server.log,
            self.server.warn, retry=self.args.output_retry,
            prefix=f"stream {self.id}: ", on_event=self._output_event,
            log_first_frame=False)
        self.server.pipeline.add(b)
        if not b.sync_state_with_parent():
            raise graph.BuildError(f"stream {self.id}: its elements did not "
                                   "start")
        if pad.link(b.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            raise graph.BuildError(f"stream {self.id}: cannot link "
                                   f"{pad.get_name()}")
        self.pad = pad

    def _apply_limits(self):
        """Per-stream memory bounds through the elements' max-size-bytes:
        the encoded queues, the GOP cache (and each output's queue), the
        raw frames waiting for each encoder."""
        total = self.args.max_stream_bytes
        b = self.bin
        parts = {"vqueue": total // 8, "aqueue": total // 32,
                 "gop": total // 4}
        rungs = self.plan.rungs
        for r in rungs:
            parts[f"q_{r.name}"] = (total * 3 // 8) // len(rungs)
        for name in ("dashvq", "dashaq"):
            parts[name] = total // 32
        for name, n in parts.items():
            el = b.get_by_name(name)
            if el is None or el.find_property("max-size-bytes") is None:
                continue
            spec = el.find_property("max-size-bytes")
            el.set_property("max-size-bytes", min(n, spec.maximum))
            self.limits[name] = min(n, spec.maximum)

    def memory(self):
        """Bytes held now in the stream's bounded places."""
        used = 0
        b = self.bin
        if b is None:
            return 0
        for name in self.limits:
            el = b.get_by_name(name)
            if el is None:
                continue
            if name == "gop":
                st = _stats(el) or {}
                used += int(st.get("cached-bytes", 0))
                for p in st.get("pads", []) or []:
                    used += int(p.get("queued-bytes", 0))
            elif el.find_property("current-level-bytes") is not None:
                used += int(el.get_property("current-level-bytes"))
        c = self.server.caller_stats(self.id)
        used += int(c.get("receive-buffer-bytes", 0) or 0)
        return used

    # tsdemux (its streaming thread, once per elementary stream) -----------
    def _on_demux_pad(self, demux, pad):
        try:
            with self.lock:
                self._link_demux_pad(pad)
        except Exception as e:       # never raise into GStreamer
            self.GLib.idle_add(self.server.warn, f"stream {self.id}: "
                               f"cannot link {pad.get_name()}: {e}")

    def _link_demux_pad(self, pad):
        Gst = self.Gst
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = name.split("/")[0]
        slot = self.plan.slots.get(kind)
        if slot is None or (slot.linked_pad is not None and
                            slot.linked_pad.is_linked() and
                            slot.linked_pad is not pad):
            self._to_fakesink(pad)
            return
        choice = slot.parser_for(caps)
        if choice is None:
            self.GLib.idle_add(self.server.warn, f"stream {self.id}: {kind} "
                               f"{name} cannot be used: ignored")
            self._to_fakesink(pad)
            return
        _prefix, factory, props = choice
        target = self.bin.get_by_name(slot.target)
        if slot.parser is not None and \
                slot.parser.get_factory().get_name() != factory:
            parser = slot.parser
            parser.get_static_pad("src").unlink(target.get_static_pad("sink"))
            parser.set_locked_state(True)
            parser.set_state(Gst.State.NULL)
            self.bin.remove(parser)
            slot.parser = None
        if slot.parser is None:
            parser = Gst.ElementFactory.make(factory, f"{kind}parse")
            for k, v in props.items():
                parser.set_property(k, v)
            self.bin.add(parser)
            parser.sync_state_with_parent()
            parser.get_static_pad("src").link(target.get_static_pad("sink"))
            slot.parser = parser
        sink = slot.parser.get_static_pad("sink")
        old = sink.get_peer()
        if old is not None:
            old.unlink(sink)
        pad.link(sink)
        slot.linked_pad = pad
        self.GLib.idle_add(self.server.log, f"stream {self.id}: {kind} {name}"
                           f" -> {factory}")

    def _to_fakesink(self, pad):
        sink = self.Gst.ElementFactory.make("fakesink", None)
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.bin.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def _on_no_more_pads(self, demux):
        audio = self.plan.slots.get("audio")
        if audio is not None and audio.linked_pad is None and not audio.ended:
            audio.ended = True
            self.GLib.idle_add(self._end_audio)

    def _end_audio(self):
        """No audio in this publisher's stream: EOS into the audio branch
        past any decoder, so that dashlivesink does not wait for it."""
        name = "aconv" if self.plan.rungs else "aqueue"
        el = self.bin.get_by_name(name) if self.bin else None
        if el is not None:
            self.server.warn(f"stream {self.id}: no usable audio; the DASH "
                             "output goes on with video only")
            el.get_static_pad("sink").send_event(self.Gst.Event.new_eos())
        return False

    # pause ----------------------------------------------------------------
    def pause(self):
        if self.paused or self.bin is None:
            return
        self.bin.get_by_name("valve").set_property("drop", True)
        self.paused = True
        self.paused_at = _now_iso()
        self.server.log(f"stream {self.id}: paused (input dropped, the "
                        "publisher stays connected)")
        self.server.event(self.id, "paused")

    def resume(self):
        if not self.paused or self.bin is None:
            return
        self.bin.get_by_name("valve").set_property("drop", False)
        self.paused = False
        self.paused_at = None
        self.server.log(f"stream {self.id}: resumed (from the next "
                        "keyframe)")
        self.server.event(self.id, "resumed")

    # sync -----------------------------------------------------------------
    def _avsync(self):
        return self.bin.get_by_name("avs") if self.bin else None

    def sync_status(self):
        avs = self._avsync()
        if avs is None:
            return {"stream": self.id, "avsync": False}
        st = _stats(avs) or {}
        return {"stream": self.id, "avsync": True,
                "av_offset_ms": avs.get_property("av-offset") / 1e6,
                "measured_offset_ms": st.get("offset", 0) / 1e6,
                "correction_ms": st.get("correction", 0) / 1e6,
                "residual_ms": st.get("residual", 0) / 1e6,
                "valid": st.get("valid"), "engaged": st.get("engaged"),
                "drift_ppm": st.get("drift-ppm"), "stats": st}

    def sync_adjust(self, offset_ms):
        avs = self._avsync()
        if avs is None:
            return False
        avs.set_property("av-offset", int(round(offset_ms * 1e6)))
        self.server.log(f"stream {self.id}: av-offset {offset_ms:g} ms")
        self.server.event(self.id, "sync-adjusted", offset_ms=offset_ms)
        return True

    # preview and buffer ----------------------------------------------------
    def buffer_state(self):
        gop = self.bin.get_by_name("gop") if self.bin else None
        st = _stats(gop) or {}
        out = {"stream": self.id, "stats": st}
        for k in ("cached-gops", "cached-buffers", "cached-bytes",
                  "cached-duration", "gops-completed", "dropped-gops"):
            if k in st:
                out[k.replace("-", "_")] = st[k]
        sample = gop.get_property("last-keyframe") if gop else None
        if sample is not None and sample.get_buffer() is not None:
            out["last_keyframe_pts"] = sample.get_buffer().pts
            out["last_keyframe_bytes"] = sample.get_buffer().get_size()
        return out

    def preview(self, width=None):
        from .routes import Later, error
        gop = self.bin.get_by_name("gop") if self.bin else None
        sample = gop.get_property("last-keyframe") if gop else None
        if sample is None or sample.get_caps() is None:
            return error(503, "no_keyframe", f"stream {self.id} has no "
                         "keyframe yet", {"Retry-After": "1"})
        s = sample.get_caps().get_structure(0)
        caps = "video/x-raw"
        ok_w, w = s.get_int("width")
        ok_h, h = s.get_int("height")
        if width and ok_w and ok_h and w > 0:
            caps += (f",width={width},height={max(2, round(width * h / w))}"
                     ",pixel-aspect-ratio=1/1")
        pts = sample.get_buffer().pts

        def start(reply):
            def done(data, why):
                if data is None:
                    reply(*error(500, "preview_failed", why))
                else:
                    reply(200, {"Content-Type": "image/jpeg",
                                "Cache-Control": "no-store",
                                "X-Keyframe-PTS": str(pts)}, data)
            if not self.server.previews.start(sample, caps, done):
                reply(*error(503, "busy", "too many previews at once",
                             {"Retry-After": "1"}))
        return Later(start)

    # outputs --------------------------------------------------------------
    def add_output(self, url):
        o = self.outputs.add(url)
        self.server.event(self.id, "output-added", output=str(o.index),
                          url=url)
        return o

    def list_outputs(self):
        return [o.info() for o in self.outputs.outputs.values()]

    def get_output(self, oid):
        try:
            return self.outputs.outputs.get(int(oid))
        except (TypeError, ValueError):
            return None

    def remove_output(self, o):
        self.outputs.remove(index=o.index)

    def _output_event(self, o, what):
        self.server.event(self.id, f"output-{what}", output=str(o.index),
                          url=o.uri, error=o.last_error)

    # quality ---------------------------------------------------------------
    def check_load(self, now):
        """Main loop, every second: how full the encoder queues are and
        whether prioqueue shed video, for the Governor (quality.py) to
        decide whether the encoders step to a faster preset or back."""
        if not self.plan or not self.plan.rungs or self.swap is not None or \
                self.state not in ("live", "grace"):
            return
        b = self.bin
        fill = 0.0
        for r in self.plan.rungs:
            q = b.get_by_name(f"q_{r.name}")
            if q is None:
                continue
            mx = q.get_property("max-size-time") or 1
            fill = max(fill, q.get_property("current-level-time") / mx)
        vq = _stats(b.get_by_name("vqueue")) or {}
        drops = sum(int(vq.get(k, 0)) for k in
                    ("dropped-high", "dropped-normal", "dropped-low"))
        shed = drops > self.last_drops
        self.last_drops = drops
        old = self.quality.preset
        step = self.quality.update(now, fill, shed)
        if step is not None:
            self.set_level(old, step[0], step[1])

    def set_level(self, old, level, reason):
        """The Governor moved to @level: say so, and swap the encoders."""
        new = self.quality.levels[level]
        self.quality_changes += 1
        self.server.log(f"stream {self.id}: quality {old} -> {new}: {reason}")
        Gst = self.Gst
        st = Gst.Structure.new_empty("quality-changed")
        for k, v in (("stream", self.id), ("preset", new),
                     ("previous", old), ("reason", reason)):
            st.set_value(k, v)
        st.set_value("level", level)
        self.server.pipeline.post_message(
            Gst.Message.new_application(self.bin, st))
        self.server.event(self.id, "quality-changed", preset=new,
                          previous=old, level=level, reason=reason)
        self._swap_encoders(new)

    def _swap_encoders(self, preset):
        """x264enc cannot change speed-preset while PLAYING: the tee in
        front of the rungs is blocked, the old encoders encode what the
        rung queues hold for up to SWAP_DRAIN_S, what is still queued then
        is dropped (never encoded, counted in `swap_frames_dropped`), each
        encoder is replaced once nothing is being pushed into it, and the
        tee goes on. All rungs restart on the same frame, so their fixed
        GOPs stay aligned.

        An encoder must not go to NULL while its queue is pushing a frame
        into it: that push returns FLUSHING, the queue, the tee and every
        task up to srtingestsrc pause quietly, and the stream stops for
        good (what happened under overload, when the old code swapped after
        a 3 s wait with frames still queued)."""
        Gst = self.Gst
        tee = self.bin.get_by_name("vtee")
        if tee is None:
            return
        pad = tee.get_static_pad("sink")
        self.swap = {"preset": preset, "pad": pad, "probe": 0, "drops": [],
                     "idle": set(), "t0": time.monotonic(), "warned": False}

        def blocked(p, info):
            # the tee's streaming thread, once: the rest on the main loop
            self.GLib.idle_add(self._swap_drain)
            return Gst.PadProbeReturn.OK
        self.swap["probe"] = pad.add_probe(
            Gst.PadProbeType.BLOCK_DOWNSTREAM, blocked)

    def _swap_drain(self):
        """Main loop until the swap is done: the queued frames are encoded
        by the old encoders (or dropped after SWAP_DRAIN_S), then each rung
        queue's src pad is waited for to be idle."""
        sw = self.swap
        if sw is None or self.bin is None:
            return False
        Gst = self.Gst
        busy = any(self.bin.get_by_name(f"q_{r.name}").get_property(
            "current-level-buffers") > 0 for r in self.plan.rungs)
        if busy and not sw["drops"] and \
                time.monotonic() - sw["t0"] < SWAP_DRAIN_S:
            # the old encoders encode what is queued for them first
            self.GLib.timeout_add(10, self._swap_drain)
            return False
        if not sw["drops"]:
            sw["drained_ms"] = (time.monotonic() - sw["t0"]) * 1000
            sw["dropped"] = sum(self.bin.get_by_name(f"q_{r.name}")
                                .get_property("current-level-buffers")
                                for r in self.plan.rungs)

            def drop(p, info):
                return Gst.PadProbeReturn.DROP
            for r in self.plan.rungs:
                qpad = self.bin.get_by_name(f"q_{r.name}").get_static_pad(
                    "src")
                sw["drops"].append((qpad, qpad.add_probe(
                    Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                    drop)))
        busy = any(self.bin.get_by_name(f"q_{r.name}").get_property(
            "current-level-buffers") > 0 for r in self.plan.rungs)
        if not busy:
            for qpad, _pid in sw["drops"]:
                name = qpad.get_parent_element().get_name()
                if name in sw["idle"]:
                    continue

                def idle(p, info, name=name):
                    # at once on this thread if nothing is being pushed,
                    # else on the queue's thread when that push returns
                    sw["idle"].add(name)
                    return Gst.PadProbeReturn.REMOVE
                qpad.add_probe(Gst.PadProbeType.IDLE, idle)
        if busy or len(sw["idle"]) < len(sw["drops"]):
            if not sw["warned"] and time.monotonic() - sw["t0"] > 5:
                sw["warned"] = True
                self.server.warn(f"stream {self.id}: the encoders are still "
                                 "busy 5 s into the preset change")
            self.GLib.timeout_add(10, self._swap_drain)
            return False
        from . import ladder
        kfi = self.args.keyframe_interval or self.args.segment_duration
        for r in self.plan.rungs:
            old = self.bin.get_by_name(f"enc_{r.name}")
            up = old.get_static_pad("sink").get_peer()
            down = old.get_static_pad("src").get_peer()
            props = ladder.x264_properties(
                r, sw["preset"], kfi, fps_hint=self.args.fps, fixed_gop=True,
                parameter_sets_of=self.quality.levels[0])
            up.unlink(old.get_static_pad("sink"))
            old.get_static_pad("src").unlink(down)
            old.set_locked_state(True)
            old.set_state(Gst.State.NULL)
            self.bin.remove(old)
            new = Gst.ElementFactory.make("x264enc", f"enc_{r.name}")
            for k, v in props.items():
                if k in ("tune", "speed-preset"):
                    Gst.util_set_object_arg(new, k, v)
                else:
                    new.set_property(k, v)
            self.bin.add(new)
            up.link(new.get_static_pad("sink"))
            new.get_static_pad("src").link(down)
            new.sync_state_with_parent()
        for qpad, pid in sw["drops"]:
            qpad.remove_probe(pid)
        sw["pad"].remove_probe(sw["probe"])
        self.swap_dropped += sw["dropped"]
        self.server.log(f"stream {self.id}: encoders now {sw['preset']} "
                        f"({(time.monotonic() - sw['t0']) * 1000:.0f} ms, "
                        f"{sw['drained_ms']:.0f} ms draining the queues, "
                        f"{sw['dropped']} frames dropped)")
        self.swap = None
        return False

    # info -----------------------------------------------------------------
    def urls(self):
        a = self.args
        host = a.public_host or a.http_address
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        base = f"http://{host}:{a.http_port}{self.mount}/"
        return {"player": base, "mpd": base + a.mpd_name,
                "hls": base + "master.m3u8",
                "preview": f"http://{host}:{a.http_port}/api/v1/video/"
                           f"preview/{self.id}"}

    def summary(self):
        c = self.server.caller_stats(self.id)
        dash = _stats(self.bin.get_by_name("dash")) if self.bin else None
        return {
            "id": self.id,
            "state": "paused" if self.paused and self.state == "live"
            else self.state,
            "paused": self.paused,
            "started": self.started,
            "uptime_s": round(time.monotonic() - self.t0, 3),
            "publisher": c.get("address") or self.publisher,
            "bitrate": c.get("bitrate"),
            "segments": (dash or {}).get("segments-written", 0),
            "outputs": len(self.outputs.outputs) if self.outputs else 0,
            "quality": self.quality.preset if self.plan and
            self.plan.rungs else "passthrough",
            "urls": self.urls(),
        }

    def info(self):
        c = self.server.caller_stats(self.id)
        out = self.summary()
        out.update({
            "stream_id": c.get("stream-id") or self.stream_id,
            "connections": c.get("connections"),
            "connected_for_s": (c.get("connected-for") or 0) / 1e9,
            "srt": {k: c.get(k) for k in (
                "rtt-ms", "bandwidth-mbps", "receive-buffer-ms",
                "packets-received", "packets-lost", "packets-retransmitted",
                "packets-dropped", "latency-ms") if k in c},
            "location": self.location,
            "ladder": [str(r) for r in self.plan.rungs] if self.plan else [],
            "quality_level": self.quality.level,
            "quality_changes": self.quality_changes,
            "swap_frames_dropped": self.swap_dropped,
            "paused_since": self.paused_at,
            "memory": {"limit": self.args.max_stream_bytes,
                       "used": self.memory(), "bounds": dict(self.limits)},
            "outputs": self.list_outputs() if self.outputs else [],
            "errors": self.errors,
        })
        return out

    def stats(self):
        out = {"stream": self.id, "elements": {},
               "srt": self.server.caller_stats(self.id)}
        if self.bin is None:
            return out
        it = self.bin.iterate_recurse()
        while True:
            res, el = it.next()
            if res == self.Gst.IteratorResult.RESYNC:
                it.resync()
                out["elements"] = {}
                continue
            if res != self.Gst.IteratorResult.OK:
                break
            st = _stats(el)
            if st is not None and el.get_factory() is not None and \
                    el.get_factory().get_name() in (
                        "prioqueue", "gopbuffer", "avsync", "dashlivesink",
                        "chunkreorder"):
                out["elements"][el.get_name()] = st
        out["memory"] = {"limit": self.args.max_stream_bytes,
                         "used": self.memory()}
        return out


class Previews:
    """JPEGs of keyframes, encoded by small pipelines of their own
    (appsrc ! decodebin ! videoconvert ! videoscale ! jpegenc ! appsink)
    driven by the main loop: never more than MAX at once, each bounded by
    TIMEOUT. (GstVideo's convert_sample cannot decode H.264 in 1.22.)"""

    MAX = 4
    TIMEOUT_MS = 5000

    def __init__(self, Gst, GLib):
        self.Gst, self.GLib = Gst, GLib
        self.running = 0

    def start(self, sample, caps, done):
        """done(bytes or None, why) is called once, on the main loop.
        False if too many run already."""
        Gst, GLib = self.Gst, self.GLib
        if self.running >= self.MAX:
            return False
        p = Gst.parse_launch(
            "appsrc name=src format=time ! decodebin ! videoconvert ! "
            f"videoscale ! {caps} ! jpegenc ! appsink name=sink sync=false "
            "wait-on-eos=false")
        src = p.get_by_name("src")
        src.set_property("caps", sample.get_caps())
        # copy_deep: PyGObject's Buffer.copy() hands back the same
        # GstBuffer, and this one is still in the pipeline (and the cache)
        buf = sample.get_buffer().copy_deep()
        buf.pts = 0
        buf.dts = 0
        state = {"done": False, "timer": 0, "watch": 0}
        self.running += 1

        def finish(data, why):
            if state["done"]:
                return False
            state["done"] = True
            if state["timer"]:
                GLib.source_remove(state["timer"])
            bus = p.get_bus()
            bus.remove_signal_watch()
            p.set_state(Gst.State.NULL)
            self.running -= 1
            done(data, why)
            return False

        def on_msg(bus, msg):
            if msg.type == Gst.MessageType.EOS:
                out = p.get_by_name("sink").emit("try-pull-sample", 0)
                if out is None:
                    finish(None, "the keyframe did not decode")
                    return True
                b = out.get_buffer()
                ok, m = b.map(Gst.MapFlags.READ)
                data = bytes(m.data) if ok else None
                if ok:
                    b.unmap(m)
                finish(data, "cannot read the JPEG")
            elif msg.type == Gst.MessageType.ERROR:
                finish(None, msg.parse_error()[0].message)
            return True
        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_msg)
        state["timer"] = GLib.timeout_add(self.TIMEOUT_MS, finish, None,
                                          "timeout")
        p.set_state(Gst.State.PLAYING)
        src.emit("push-buffer", buf)
        src.emit("end-of-stream")
        return True


def _stats(el):
    from .status import element_stats
    return element_stats(el) if el is not None else None


class Server:
    def __init__(self, args):
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("GstVideo", "1.0")
        gi.require_version("Gio", "2.0")
        from gi.repository import GLib, Gst
        from . import graph, streamapi
        self.Gst, self.GLib, self.graph = Gst, GLib, graph
        self.args = args
        self.env = graph.Env(args.without)
        self.loop = GLib.MainLoop()
        self.exit_code = EXIT_OK
        self.stopping = False
        self.stop_reason = None
        self.error = None
        self.streams = {}
        self.events_log = EventLog(GLib)
        self.mounts = [(streamapi.ROUTES, self)]
        self.previews = Previews(Gst, GLib)
        self.refused_budget = 0
        self.refused_outputs = 0    # API: one output more than --max-outputs
        self._warned = {}
        self._callers = {}          # id -> caller stats, per main-loop turn
        self._callers_at = 0
        self.t0 = time.monotonic()
        self.cpu0 = _cpu()
        self._last = (self.t0, 0, self.cpu0)
        self.budget = args.max_total_bytes or \
            args.max_streams * args.max_stream_bytes

    # logging --------------------------------------------------------------
    def log(self, text, always=False):
        if always or not self.args.quiet:
            emit(f"livestream-server: {text}")
        return False

    def warn(self, text):
        now = time.monotonic()
        if now - self._warned.get(text, -1e9) < 10:
            return False
        self._warned[text] = now
        emit(f"livestream-server: warning: {text}", err=True)
        return False

    def event(self, stream, kind, **data):
        return self.events_log.add(stream, kind, **data)

    # build -------------------------------------------------------------------
    def build(self):
        Gst, args = self.Gst, self.args
        env = self.env
        env.require("srtingestsrc", "livestreamapi", "dashlivesink")
        # the graph of a stream can be built (raises BuildError otherwise)
        plan = self.graph.stream_plan(args, env, os.path.join(
            args.output, "ID"), "/live/ID")
        for f in plan.fallbacks:
            self.warn(f)
        if args.print_pipeline:
            emit("# each publisher's stream, a bin stream-ID fed by "
                 "srtingestsrc's src_ID pad:\n" + plan.pretty())
            for el, why in plan.why:
                emit(f"# {el}: {why}")
        p = Gst.Pipeline.new("livestream-server")
        # EOS of a stream bin (all its sinks done) reaches the bus wrapped
        p.set_property("message-forward", True)
        src = Gst.ElementFactory.make("srtingestsrc", "ingest")
        src.set_property("address", args.srt_address)
        src.set_property("port", args.srt_port)
        src.set_property("latency", args.srt_latency)
        src.set_property("max-callers", args.max_streams)
        src.set_property("grace-period", int(args.grace_period * Gst.SECOND))
        Gst.util_set_object_arg(src, "duplicate-policy", "replace")
        if args.passphrase:
            src.set_property("passphrase", args.passphrase)
        if args.allowed_ids:
            Gst.util_set_object_arg(src, "allowed-stream-ids",
                                    "<" + ",".join(args.allowed_ids) + ">")
        api = Gst.ElementFactory.make("livestreamapi", "api")
        api.set_property("http-port", args.http_port)
        api.set_property("http-address", args.http_address)
        p.add(src)
        p.add(api)
        src.connect("accept-caller", self._on_accept_caller)
        src.connect("pad-added", self._on_pad_added)
        src.connect("pad-removed", self._on_pad_removed)
        self.pipeline, self.ingest, self.api = p, src, api

    # srtingestsrc: libsrt's thread -------------------------------------------
    def _on_accept_caller(self, src, address, name, stream_id):
        """A new stream needs its share of the memory budget. A resumed or
        replacing caller continues a stream that has one."""
        if name in self.streams:
            return True
        st = src.get_property("stats")
        # this caller's handshake is one of the pending ones
        n = st.get_value("streams") + st.get_value("handshakes-pending")
        if max(n, 1) * self.args.max_stream_bytes > self.budget:
            self.refused_budget += 1
            self.GLib.idle_add(self.warn, f"refusing stream '{name}': the "
                               f"memory budget ({self.budget >> 20} MiB) is "
                               "taken")
            return False
        return True

    # srtingestsrc: its listener thread ---------------------------------------
    def _on_pad_added(self, src, pad):
        Gst = self.Gst
        if not pad.get_name().startswith("src_"):
            return

        def hold(p, info):
            return Gst.PadProbeReturn.OK
        # held until the stream's bin is built on the main loop
        probe = pad.add_probe(Gst.PadProbeType.BLOCK_DOWNSTREAM, hold)
        self.GLib.idle_add(self._new_stream, pad, probe)

    def _on_pad_removed(self, src, pad):
        self.GLib.idle_add(self._pad_gone, pad.get_name()[len("src_"):])

    # main loop --------------------------------------------------------------
    def _new_stream(self, pad, probe):
        name = pad.get_name()[len("src_"):]
        if self.stopping:
            pad.remove_probe(probe)
            return False
        s = Stream(self, name)
        self.streams[name] = s
        try:
            s.build(pad)
        except self.graph.BuildError as e:
            self.warn(f"{e}; refusing it")
            s.errors += 1
            s.end_reason = f"error: {e}"
            self.event(name, "stream-error", message=str(e))
            self._drop_stream(s)
            self.ingest.emit("remove-caller", name)
            pad.remove_probe(probe)
            return False
        pad.remove_probe(probe)
        urls = s.urls()
        self.log(f"stream {name}: started; {urls['mpd']}  (player "
                 f"{urls['player']})")
        self.event(name, "stream-started", urls=urls)
        return False

    def _pad_gone(self, name):
        s = self.streams.get(name)
        if s is not None and s.state != "ended":
            s.state = "ending"
            self._finish_later(s)
        return False

    def stream(self, name):
        s = self.streams.get(name)
        return s if s is not None and s.bin is not None else None

    def list_streams(self):
        return [s.summary() for s in self.streams.values()
                if s.bin is not None]

    def caller_stats(self, name):
        """srtingestsrc's `stream` structure of @name as a dict (read at
        most once per main-loop turn for all streams)."""
        now = time.monotonic()
        if now - self._callers_at > 0.05:
            self._callers = {}
            st = self.ingest.get_property("stats")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ok, arr = st.get_array("callers")
                for i in range(arr.n_values if ok else 0):
                    from .status import structure_to_dict
                    c = structure_to_dict(arr.get_nth(i))
                    self._callers[c.get("id")] = c
            self._callers_at = now
        return self._callers.get(name, {})

    # ending -------------------------------------------------------------------
    def stop_stream(self, s, reason):
        """DELETE: the publisher is disconnected, EOS ends the stream, the
        answer comes once its MPD is final (static) or after
        --eos-timeout."""
        from .routes import Later, json_response

        def start(reply):
            s.end_replies.append(lambda: reply(*json_response(
                200, {"stream": s.id, "stopped": True,
                      "mpd_final": self._mpd_final(s), "reason": reason})))
            self._end(s, reason)
        return Later(start)

    def _end(self, s, reason):
        if s.state in ("ending", "ended"):
            return
        s.end_reason = reason
        s.state = "ending"
        if s.outputs is not None:
            s.outputs.stop()
        if s.paused and s.bin is not None:
            # EOS passes the valve either way (sticky)
            pass
        if not self.ingest.emit("remove-caller", s.id):
            # no pad any more: EOS straight into the bin
            if s.bin is not None:
                s.bin.get_static_pad("sink").send_event(
                    self.Gst.Event.new_eos())
        self._eos_mixers(s)
        self._finish_later(s)

    def _eos_mixers(self, s):
        """The live compositor and audiomixer (continuous output) are
        sources: they end on an EOS of their own, not when their input
        ends (as the runner's pipeline-wide EOS gives them)."""
        if s.bin is None:
            return
        for name in ("vmix", "amix"):
            el = s.bin.get_by_name(name)
            if el is not None:
                el.send_event(self.Gst.Event.new_eos())

    def _finish_later(self, s):
        if s.end_deadline:
            return
        s.end_deadline = time.monotonic() + self.args.eos_timeout
        self.GLib.timeout_add(100, self._poll_finish, s)

    def _mpd_final(self, s):
        path = os.path.join(s.location, self.args.mpd_name)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return 'type="static"' in f.read(4096)
        except OSError:
            return False

    def _poll_finish(self, s):
        if s.state == "ended":
            return False
        if self._mpd_final(s) or time.monotonic() > s.end_deadline:
            self._drop_stream(s)
            return False
        return True

    def _on_stream_eos(self, s):
        """Every sink of the stream's bin has EOS: the MPD is final."""
        if s.state != "ended":
            self._drop_stream(s)

    def _drop_stream(self, s):
        Gst = self.Gst
        if s.state == "ended":
            return
        s.state = "ended"
        if s.outputs is not None:
            s.outputs.close()
        if s.bin is not None:
            s.bin.set_locked_state(True)
            # waits for the streaming threads: dashlivesink posts EOS just
            # before it writes the final manifests
            s.bin.set_state(Gst.State.NULL)
            if s.bin.get_parent() is not None:
                self.pipeline.remove(s.bin)
        s.bin = None
        final = self._mpd_final(s)
        self.streams.pop(s.id, None)
        self.log(f"stream {s.id}: ended ({s.end_reason or 'publisher gone'})"
                 f"; MPD {'final (static)' if final else 'not final'}")
        self.event(s.id, "stream-ended", reason=s.end_reason or "publisher",
                   mpd_final=final)
        for r in s.end_replies:
            r()
        s.end_replies = []
        if self.stopping and not self.streams:
            self.loop.quit()

    # API --------------------------------------------------------------------
    def _on_request(self, st):
        from . import routes
        rid = st.get_value("id")
        body = st.get_value("body")
        body = body.get_data() if body is not None else b""
        hs = st.get_value("headers")
        headers = {}
        if hs is not None:
            for i in range(hs.n_fields()):
                n = hs.nth_field_name(i)
                headers[n] = hs.get_string(n) or ""
        path = st.get_string("path")
        for table, app in self.mounts:
            if routes.matches(table, path):
                break
        else:
            table, app = self.mounts[0]
        req = routes.make_request(st.get_string("method"), path,
                                  st.get_string("query"), headers, body, app)
        try:
            res = routes.dispatch(table, req)
        except Exception as e:       # a handler bug is a 500, not a hang
            import traceback
            emit(traceback.format_exc().rstrip(), err=True)
            res = routes.error(500, "internal_error", str(e))
        if isinstance(res, routes.Later):
            done = []

            def reply(status, headers, body):
                if done:
                    return
                done.append(True)
                self._respond(rid, status, dict(routes.CORS, **headers),
                              body if req.method.upper() != "HEAD" else b"")
            try:
                res.start(reply)
            except Exception as e:
                reply(*routes.error(500, "internal_error", str(e)))
            return
        self._respond(rid, *res)

    def _respond(self, rid, status, headers, body):
        Gst, GLib = self.Gst, self.GLib
        h = Gst.Structure.new_empty("headers")
        for k, v in headers.items():
            h.set_value(k, str(v))
        self.api.emit("respond", rid, status, h, GLib.Bytes.new(body))

    def events(self, stream, after, wait):
        from .routes import Later
        return Later(lambda reply: self.events_log.wait(stream, after, wait,
                                                        reply))

    def mount(self, routes, app):
        """Serves another route table (same shape as streamapi.ROUTES)
        below /api on the same port, e.g. the VOD content API."""
        self.mounts.append((routes, app))

    def global_stats(self):
        st = _stats(self.ingest) or {}
        now = time.monotonic()
        streams = [s for s in self.streams.values() if s.bin is not None]
        used = sum(s.memory() for s in streams)
        cpu = _cpu() - self.cpu0
        return {
            "uptime_s": round(now - self.t0, 3),
            "streams": len(streams),
            "max_streams": self.args.max_streams,
            "paused": sum(1 for s in streams if s.paused),
            "callers_connected": st.get("callers-connected"),
            "callers_accepted": st.get("callers-accepted"),
            "refused": st.get("refused"),
            "refused_by_reason": {k[len("refused-"):]: v for k, v in
                                  st.items() if k.startswith("refused-")},
            "refused_memory_budget": self.refused_budget,
            "max_outputs": self.args.max_outputs,
            "refused_outputs": self.refused_outputs,
            "bytes_received": st.get("bytes-received"),
            "memory": {"budget": self.budget,
                       "per_stream_limit": self.args.max_stream_bytes,
                       "reserved": len(streams) * self.args.max_stream_bytes,
                       "used": used, "rss": _rss_bytes()},
            "cpu_s": round(cpu, 3),
            "cpu_percent_avg": round(100 * cpu / max(now - self.t0, 1e-3), 1),
            "quality_degraded": sum(1 for s in streams if s.quality.level > 0),
            "api": _stats(self.api),
        }

    # metrics (Python's own series, appended to /metrics) --------------------
    def _extra_metrics(self):
        lines = []

        def metric(name, kind, samples):
            lines.append(f"# TYPE livestream_server_{name} {kind}")
            for labels, v in samples:
                lines.append(f"livestream_server_{name}{labels} {v}")
        streams = [s for s in self.streams.values() if s.bin is not None]
        lab = [(f'{{stream="{s.id}"}}', s) for s in streams]
        metric("streams", "gauge", [("", len(streams))])
        metric("refused_memory_budget_total", "counter",
               [("", self.refused_budget)])
        metric("refused_outputs_total", "counter",
               [("", self.refused_outputs)])
        if lab:
            metric("stream_paused", "gauge",
                   [(l, int(s.paused)) for l, s in lab])
            metric("stream_quality_level", "gauge",
                   [(l, s.quality.level) for l, s in lab])
            metric("stream_quality_changes_total", "counter",
                   [(l, s.quality_changes) for l, s in lab])
            metric("stream_memory_bytes", "gauge",
                   [(l, s.memory()) for l, s in lab])
            metric("stream_outputs_active", "gauge",
                   [(l, sum(1 for o in s.outputs.outputs.values()
                            if o.state == "active")) for l, s in lab])
        return "\n".join(lines) + "\n"

    # timers -----------------------------------------------------------------
    def _on_check(self):
        now = time.monotonic()
        for s in list(self.streams.values()):
            if s.bin is None:
                continue
            c = self.caller_stats(s.id)
            if s.state in ("starting", "live", "grace") and c:
                s.state = {"connected": "live", "grace": "grace",
                           "ending": "ending"}.get(c.get("state"), s.state)
            if self.args.degrade:
                try:
                    s.check_load(now)
                except Exception as e:       # keep the service running
                    self.warn(f"stream {s.id}: load check failed: {e}")
        self.api.set_property("extra-metrics", self._extra_metrics())
        return True

    def snapshot(self):
        from .status import element_stats
        now = time.monotonic()
        st = element_stats(self.ingest) or {}
        rx = int(st.get("bytes-received", 0))
        cpu = _cpu()
        t0, b0, c0 = self._last
        dt = max(now - t0, 1e-3)
        self._last = (now, rx, cpu)
        streams = {s.id: s.summary() for s in self.streams.values()
                   if s.bin is not None}
        return {"uptime": now - self.t0, "streams": len(streams),
                "ingest_bps": (rx - b0) * 8 / dt, "ingest_bytes": rx,
                "segments": sum(v["segments"] for v in streams.values()),
                "cpu_percent": 100.0 * (cpu - c0) / dt,
                "cpu_total_s": cpu - self.cpu0, "rss": _rss_bytes(),
                "refused": st.get("refused", 0),
                "degraded": sum(1 for s in self.streams.values()
                                if s.quality.level > 0),
                "per_stream": streams}

    def _on_status(self):
        import json
        snap = self.snapshot()
        if self.args.status_format == "json":
            emit(json.dumps(snap, default=str, sort_keys=True))
        elif not self.args.quiet:
            from .status import fmt_clock, fmt_rate
            emit(f"{fmt_clock(snap['uptime'])} | streams {snap['streams']}"
                 f"/{self.args.max_streams} | in "
                 f"{fmt_rate(snap['ingest_bps'])} | segs {snap['segments']} "
                 f"| refused {snap['refused']} | degraded "
                 f"{snap['degraded']} | rss {snap['rss'] >> 20} MiB | cpu "
                 f"{snap['cpu_percent']:.0f}%")
        return True

    # bus ----------------------------------------------------------------------
    def _stream_of(self, obj):
        """(stream, stale): the stream whose bin @obj is in; stale is True
        for an element of a stream or an output already taken down (its
        messages may still be on the bus)."""
        top = None
        while obj is not None:
            name = obj.get_name() if hasattr(obj, "get_name") else ""
            parent = obj.get_parent()
            if name.startswith(STREAM_BIN) and parent is self.pipeline:
                return self.streams.get(name[len(STREAM_BIN):]), False
            if parent is None:
                top = obj
            obj = parent
        stale = top is not None and top is not self.pipeline and \
            top.get_name().startswith((STREAM_BIN, "output"))
        return None, stale

    def _on_bus(self, bus, msg):
        try:
            self._handle(msg)
        except Exception:
            import traceback
            emit(traceback.format_exc().rstrip(), err=True)
        return True

    def _handle(self, msg):
        Gst = self.Gst
        t = msg.type
        st = msg.get_structure()
        name = st.get_name() if st is not None else ""
        if t == Gst.MessageType.ELEMENT:
            if name == "livestreamapi-request":
                self._on_request(st)
            elif name == "GstBinForwarded":
                inner = st.get_value("message")
                if inner is not None and inner.type == Gst.MessageType.EOS:
                    s, _stale = self._stream_of(inner.src)
                    if s is not None:
                        self._on_stream_eos(s)
            elif name.startswith("srtingestsrc-"):
                self._on_ingest_message(name, st)
        elif t == Gst.MessageType.APPLICATION and name == "quality-changed":
            pass     # logged where it was posted
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            s, stale = self._stream_of(msg.src)
            if s is not None:
                self._stream_error(s, msg.src, err, dbg)
                return
            if stale:
                return
            self.error = f"{msg.src.get_name() if msg.src else '?'}: " \
                         f"{err.message}"
            emit(f"livestream-server: error: {self.error}\n  ({dbg})",
                 err=True)
            self.exit_code = EXIT_ERROR
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            s, _stale = self._stream_of(msg.src)
            where = f"stream {s.id}: " if s else ""
            self.warn(f"{where}{msg.src.get_name() if msg.src else '?'}: "
                      f"{err.message}")
        elif t == Gst.MessageType.LATENCY:
            self.pipeline.recalculate_latency()

    def _stream_error(self, s, src, err, dbg):
        if s.outputs is not None and s.outputs.owns(src):
            s.outputs.failed(src, err.message)
            return
        s.errors += 1
        self.warn(f"stream {s.id}: error in {src.get_name()}: {err.message}; "
                  "ending this stream (the others go on)")
        self.event(s.id, "stream-error", element=src.get_name(),
                   message=err.message)
        self._end(s, f"error: {err.message}")
        # EOS may not get through an element that failed
        s.end_deadline = min(s.end_deadline, time.monotonic() + 3)

    def _on_ingest_message(self, name, st):
        sid = st.get_string("name") or ""
        s = self.streams.get(sid)
        if name == "srtingestsrc-caller-added":
            addr = st.get_string("address")
            if s is not None:
                s.publisher = addr
                s.stream_id = st.get_string("stream-id")
                if s.state in ("starting", "grace"):
                    s.state = "live"
            ok, resumed = st.get_boolean("resumed")
            ok2, replaced = st.get_boolean("replaced")
            how = " (resumed)" if resumed else \
                " (replaced the previous caller)" if replaced else ""
            self.log(f"stream {sid}: publisher {addr} connected{how}")
            self.event(sid, "publisher-connected", address=addr,
                       resumed=bool(resumed), replaced=bool(replaced))
        elif name == "srtingestsrc-caller-removed":
            reason = st.get_string("reason")
            ok, grace = st.get_uint64("grace")
            if s is not None and grace and s.state == "live":
                s.state = "grace"
            self.log(f"stream {sid}: publisher "
                     f"{st.get_string('address')} gone ({reason})" +
                     (f"; waiting {grace / 1e9:g} s for it" if grace else ""))
            self.event(sid, "publisher-disconnected", reason=reason,
                       grace_s=(grace or 0) / 1e9)
        elif name == "srtingestsrc-stream-ended":
            if s is not None:
                if s.end_reason is None:
                    s.end_reason = st.get_string("reason")
                if s.state != "ended":
                    s.state = "ending"
                    self._eos_mixers(s)
                    self._finish_later(s)
        elif name == "srtingestsrc-caller-refused":
            self.log(f"caller {st.get_string('address')} refused "
                     f"({st.get_string('reason')}), stream id "
                     f"'{st.get_string('stream-id')}'")
            self.event(sid or None, "caller-refused",
                       reason=st.get_string("reason"),
                       address=st.get_string("address"))

    # stop ---------------------------------------------------------------------
    def request_stop(self, reason):
        if self.stopping:
            self.log(f"{reason} again: stopping now", always=True)
            if self.exit_code == EXIT_OK:
                self.exit_code = EXIT_EOS_TIMEOUT
            self.loop.quit()
            return
        self.stopping = True
        self.stop_reason = reason
        live = [s for s in self.streams.values() if s.bin is not None]
        if not live:
            self.log(f"{reason}: no stream to finalise", always=True)
            self.loop.quit()
            return
        self.log(f"{reason}: ending {len(live)} stream(s), waiting at most "
                 f"{self.args.eos_timeout:g} s for their MPDs", always=True)
        for s in live:
            if s.outputs is not None:
                s.outputs.stop()
            s.end_reason = s.end_reason or reason
        # EOS to every source: srtingestsrc's pads end, and so do the
        # live mixers.  Not from the main loop: a stream whose encoders are
        # being replaced has its tee blocked in a probe that this loop
        # completes, and the EOS waits for that thread (it hung the server
        # under overload)
        send_eos_async(self.pipeline, self.Gst)
        for s in live:
            if s.state != "ended":
                s.state = "ending"
                self._finish_later(s)
        self.GLib.timeout_add(int((self.args.eos_timeout + 1) * 1000),
                              self._stop_timeout)

    def _stop_timeout(self):
        if self.streams:
            self.warn("streams did not end in time: stopping anyway")
            if self.exit_code == EXIT_OK:
                self.exit_code = EXIT_EOS_TIMEOUT
        self.loop.quit()
        return False

    def _on_signal(self, what):
        self.request_stop(what)
        return True

    # run ----------------------------------------------------------------------
    def run(self):
        Gst, GLib = self.Gst, self.GLib
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_bus)
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT,
                             self._on_signal, "interrupted")
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM,
                             self._on_signal, "terminated")
        if self.args.status_interval > 0:
            GLib.timeout_add(int(self.args.status_interval * 1000),
                             self._on_status)
        GLib.timeout_add(CHECK_MS, self._on_check)
        if self.args.duration > 0:
            GLib.timeout_add(int(self.args.duration * 1000),
                             lambda: self.request_stop(
                                 f"--duration {self.args.duration:g} s "
                                 "reached") and False)
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            msg = bus.timed_pop_filtered(0, Gst.MessageType.ERROR)
            why = msg.parse_error()[0].message if msg else "unknown"
            emit(f"livestream-server: error: cannot start: {why}", err=True)
            self.pipeline.set_state(Gst.State.NULL)
            return EXIT_ERROR
        a = self.args
        self.log(f"listening for SRT on srt://{a.srt_address}:"
                 f"{self.ingest.get_property('bound-port')} (stream id = "
                 f"stream name, at most {a.max_streams} streams)",
                 always=True)
        host = a.http_address
        self.log(f"HTTP on http://{host}:{a.http_port}/: streams at "
                 f"/live/ID/{a.mpd_name} and /live/ID/master.m3u8, API at "
                 "/api/v1/, /metrics", always=True)
        ladder = ", ".join(str(r) for r in a.ladder) if a.ladder else \
            "passthrough (no transcoding)"
        self.log(f"ladder: {ladder}; per-stream memory "
                 f"{a.max_stream_bytes >> 20} MiB, budget "
                 f"{self.budget >> 20} MiB", always=True)
        self.loop.run()
        self.events_log.close()
        stop_pipeline(self.pipeline, Gst, "livestream-server")
        snap = self.snapshot()
        self.log(f"summary: {self.stop_reason or self.error or 'stopped'}; "
                 f"{snap['uptime']:.1f} s, ingest "
                 f"{snap['ingest_bytes'] / 1e6:.1f} MB, CPU "
                 f"{snap['cpu_total_s']:.1f} s", always=True)
        if self.args.status_format == "json":
            import json
            snap["final"] = True
            snap["exit_code"] = self.exit_code
            emit(json.dumps(snap, default=str, sort_keys=True))
        return self.exit_code


def main(argv=None):
    import faulthandler
    from . import options
    from .runner import launch
    # kill -USR1 PID prints every Python thread's stack (a stuck call)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    return launch(argv, options.build_server_parser, options.check_server,
                  Server, "livestream-server")
