# Runs one of the pipelines: bus handling, run-time linking, the status
# line, clean shutdown on SIGINT/SIGTERM, exit codes.
"""The livestream-run program."""

import faulthandler
import os
import signal
import sys
import threading
import time

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_EOS_TIMEOUT = 0, 1, 2, 3

HERE = os.path.dirname(os.path.abspath(__file__))


def emit(text, err=False):
    """print() that survives a reader going away (`| head`, a closed
    terminal): output is dropped from then on, the pipeline keeps running
    and still shuts down cleanly."""
    try:
        print(text, file=sys.stderr if err else sys.stdout, flush=True)
    except (BrokenPipeError, OSError):
        devnull = open(os.devnull, "w")
        if err:
            sys.stderr = devnull
        else:
            sys.stdout = devnull


# set_state(NULL) at the end of a run: long enough for any pipeline that
# can stop (about 0.1-1 s here), short against a supervisor's patience
TEARDOWN_LIMIT_S = 20


def send_eos_async(pipeline, Gst, then=None):
    """EOS to every source of @pipeline, from a thread of its own.  A live
    source whose streaming thread is blocked downstream (in a blocking pad
    probe that the main loop completes, a queue that an overloaded encoder
    does not drain) makes send_event wait for that thread (GstBaseSrc takes
    its pad's stream lock; gst_element_send_event the state lock): sent
    from the main loop, the loop that would unblock it, time the wait out
    or hear a second signal stops for good.  @then runs on the main loop
    once the event is delivered."""
    from gi.repository import GLib

    def run():
        pipeline.send_event(Gst.Event.new_eos())
        if then is not None:
            GLib.idle_add(lambda: then() and False)

    t = threading.Thread(target=run, name="send-eos", daemon=True)
    t.start()
    return t


def stop_pipeline(pipeline, Gst, prog, limit_s=TEARDOWN_LIMIT_S):
    """set_state(NULL), bounded: a pipeline whose streaming thread never
    returns (blocked in an element) would hang the process on exit.  After
    @limit_s the stacks of every Python thread are printed and the process
    exits with EXIT_EOS_TIMEOUT (what was published stays published)."""
    done = threading.Event()

    def watchdog():
        if done.wait(limit_s):
            return
        emit(f"{prog}: error: the pipeline did not stop in {limit_s:g} s "
             "(a streaming thread is blocked): exiting without it", err=True)
        faulthandler.dump_traceback(all_threads=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_EOS_TIMEOUT)

    threading.Thread(target=watchdog, name="teardown-watchdog",
                     daemon=True).start()
    pipeline.set_state(Gst.State.NULL)
    done.set()


def guarded(func):
    """For GLib and GStreamer callbacks: an exception is reported and stops
    the run with exit 1 instead of leaving the main loop waiting forever."""
    import functools
    import traceback

    @functools.wraps(func)
    def wrapper(self, *a, **kw):
        try:
            return func(self, *a, **kw)
        except Exception:
            emit(traceback.format_exc().rstrip(), err=True)
            self.exit_code = EXIT_ERROR
            self.error = f"internal error in {func.__name__}"
            self.GLib.idle_add(self.loop.quit)
            return False
    return wrapper
REPO = os.path.dirname(os.path.dirname(HERE))


def _setup_environment(args):
    """Where the plug-in is, before GStreamer is initialised."""
    if args.plugin_path:
        path = os.path.abspath(args.plugin_path)
        old = os.environ.get("GST_PLUGIN_PATH")
        os.environ["GST_PLUGIN_PATH"] = path + (":" + old if old else "")
    elif not os.environ.get("GST_PLUGIN_PATH") and \
            not os.environ.get("GST_PLUGIN_PATH_1_0"):
        build = os.path.join(REPO, "build", "gst")
        if os.path.exists(os.path.join(build, "libgstlivestream.so")):
            os.environ["GST_PLUGIN_PATH"] = build
    if getattr(args, "dot_dir", None):
        os.makedirs(args.dot_dir, exist_ok=True)
        os.environ["GST_DEBUG_DUMP_DOT_DIR"] = os.path.abspath(args.dot_dir)


class Runner:
    def __init__(self, args):
        import gi
        gi.require_version("Gst", "1.0")
        gi.require_version("Gio", "2.0")
        # Gio: srtsrc's signals hand over GInetSocketAddress objects
        from gi.repository import Gio, GLib, Gst
        self.Gio = Gio
        from . import graph, status
        self.Gst, self.GLib, self.graph, self.status = Gst, GLib, graph, status
        self.args = args
        self.exit_code = EXIT_OK
        self.stopping = False
        self.stop_reason = None
        self.error = None
        self.loop = GLib.MainLoop()
        self.pipeline = None
        self.outputs = None
        self._warned = {}
        self.srt_callers = 0

    # logging -------------------------------------------------------------
    def log(self, text, always=False):
        if always or not self.args.quiet:
            emit(f"livestream-run: {text}")

    def warn(self, text):
        now = time.monotonic()
        if now - self._warned.get(text, -1e9) < 10:
            return
        self._warned[text] = now
        emit(f"livestream-run: warning: {text}", err=True)

    # build ---------------------------------------------------------------
    def build(self):
        Gst, graph = self.Gst, self.graph
        env = graph.Env(self.args.without)
        plan = graph.build_plan(self.args, env)
        self.plan = plan
        for f in plan.fallbacks:
            self.warn(f)
        if self.args.print_pipeline:
            emit("gst-launch-1.0 -e \\\n  " + plan.pretty())
            if plan.slots:
                emit("# tsdemux pads are linked when they appear: video -> "
                      "h264parse/h265parse -> vqueue, audio -> parser -> "
                      "aqueue")
            if plan.rtp:
                emit("# rtpbin recv_rtp_src_N pads are linked to the "
                      "depayloaders when a sender (SSRC) appears")
            for el, why in plan.why:
                emit(f"# {el}: {why}")
        try:
            pipeline = Gst.parse_launch(plan.description())
        except self.GLib.Error as e:
            raise graph.BuildError(f"cannot build the pipeline: {e.message}")
        pipeline.set_name(plan.kind)
        self.pipeline = pipeline
        self._connect_dynamic()
        if plan.keyframe_interval and plan.keyframe_tee:
            tee = pipeline.get_by_name(plan.keyframe_tee)
            peer = tee.get_static_pad("sink").get_peer()
            self.keyframes = graph.force_keyframes(
                peer, plan.keyframe_interval,
                0 if plan.keyframe_epoch else None, plan.keyframe_lead)
        self.collector = self.status.Collector(pipeline, plan)
        self.collector.chunk = self.args.chunk_duration
        self.collector.segment = self.args.segment_duration
        self.collector.target = self.args.target_latency
        if plan.restream is not None:
            from .outputs import Outputs
            self.outputs = Outputs(self, pipeline, plan, self.args)

    def _connect_dynamic(self):
        plan, p = self.plan, self.pipeline
        if plan.demux:
            demux = p.get_by_name(plan.demux)
            demux.connect("pad-added", self._on_demux_pad)
            demux.connect("pad-removed", self._on_demux_pad_removed)
            demux.connect("no-more-pads", self._on_no_more_pads)
        if plan.rtp:
            rtpbin = p.get_by_name("rtpbin")
            rtpbin.connect("pad-added", self._on_rtpbin_pad)
            rtpbin.connect("on-new-ssrc", self._on_new_ssrc)
            rtpbin.connect("on-bye-ssrc", self._on_ssrc_gone, "BYE")
            rtpbin.connect("on-timeout", self._on_ssrc_gone, "timeout")
        src = p.get_by_name("ingest")
        if src is not None and src.get_factory().get_name() == "srtsrc":
            src.connect("caller-connecting", self._on_srt_connecting)
            src.connect("caller-added", self._on_srt_added)
            src.connect("caller-removed", self._on_srt_removed)
            src.connect("caller-rejected", self._on_srt_rejected)

    # tsdemux -------------------------------------------------------------
    @guarded
    def _on_demux_pad(self, demux, pad):
        Gst = self.Gst
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = name.split("/")[0]
        slot = self.plan.slots.get(kind)
        if slot is None or (slot.linked_pad is not None and
                            slot.linked_pad.is_linked() and
                            slot.linked_pad is not pad):
            self.log(f"ingest: ignoring stream {pad.get_name()} ({name})")
            self._to_fakesink(pad)
            return
        choice = slot.parser_for(caps)
        if choice is None:
            self.warn(f"ingest: {kind} stream {pad.get_name()} has caps "
                      f"{name}, which this pipeline cannot use: ignored")
            self._to_fakesink(pad)
            return
        prefix, factory, props = choice
        target = self.pipeline.get_by_name(slot.target)
        if slot.parser is not None and \
                slot.parser.get_factory().get_name() != factory:
            self._drop_parser(slot, target)
        if slot.parser is None:
            parser = Gst.ElementFactory.make(factory, f"{kind}parse")
            for k, v in props.items():
                parser.set_property(k, v)
            self.pipeline.add(parser)
            parser.sync_state_with_parent()
            if parser.get_static_pad("src").link(
                    target.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
                self.fail(f"cannot link {factory} to {slot.target}")
                return
            slot.parser = parser
        sink = slot.parser.get_static_pad("sink")
        old = sink.get_peer()
        if old is not None:
            old.unlink(sink)
        if pad.link(sink) != Gst.PadLinkReturn.OK:
            self.fail(f"cannot link {pad.get_name()} ({name}) to {factory}")
            return
        slot.linked_pad = pad
        self.log(f"ingest: {kind} {name} on {pad.get_name()} -> {factory}")

    def _drop_parser(self, slot, target):
        parser = slot.parser
        parser.get_static_pad("src").unlink(target.get_static_pad("sink"))
        parser.set_locked_state(True)
        parser.set_state(self.Gst.State.NULL)
        self.pipeline.remove(parser)
        slot.parser = None

    def _to_fakesink(self, pad):
        Gst = self.Gst
        sink = Gst.ElementFactory.make("fakesink", None)
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def _on_demux_pad_removed(self, demux, pad):
        for slot in self.plan.slots.values():
            if slot.linked_pad is pad:
                slot.linked_pad = None

    @guarded
    def _on_no_more_pads(self, demux):
        audio = self.plan.slots.get("audio")
        if audio is not None and audio.linked_pad is None and not audio.ended:
            # dashlivesink would otherwise wait for audio that never comes
            audio.ended = True
            self.warn("ingest has no usable audio stream: ending the audio "
                      "output (use --no-audio to avoid this)")
            self._end_branch("audio")

    # rtpbin --------------------------------------------------------------
    @guarded
    def _on_rtpbin_pad(self, rtpbin, pad):
        Gst = self.Gst
        name = pad.get_name()
        if not name.startswith("recv_rtp_src_"):
            return
        parts = name.split("_")
        sid, ssrc, pt = int(parts[3]), int(parts[4]), parts[5]
        info = self.plan.rtp
        kind = info.sessions.get(sid, "?")
        depay = self.pipeline.get_by_name(info.depay.get(sid, ""))
        if depay is None:
            self._to_fakesink(pad)
            return
        sink = depay.get_static_pad("sink")
        old = sink.get_peer()
        if old is not None:
            self.log(f"rtp: {kind}: switching from {old.get_name()} to the "
                     f"new sender SSRC {ssrc:#010x}")
            old.unlink(sink)
        if pad.link(sink) != Gst.PadLinkReturn.OK:
            self.fail(f"cannot link {name} to {depay.get_name()}")
            return
        self.log(f"rtp: {kind} stream SSRC {ssrc:#010x} payload {pt} -> "
                 f"{depay.get_factory().get_name()}")

    def _on_new_ssrc(self, rtpbin, session, ssrc):
        kind = self.plan.rtp.sessions.get(session, f"session {session}")
        self.plan.rtp.ssrcs.setdefault(session, set()).add(ssrc)
        self.log(f"rtp: {kind}: new SSRC {ssrc:#010x}")

    def _on_ssrc_gone(self, rtpbin, session, ssrc, why):
        kind = self.plan.rtp.sessions.get(session, f"session {session}")
        self.log(f"rtp: {kind}: SSRC {ssrc:#010x} gone ({why})")

    # srtsrc --------------------------------------------------------------
    @staticmethod
    def _addr(addr):
        try:
            return f"{addr.get_address().to_string()}:{addr.get_port()}"
        except AttributeError:
            return str(addr)

    @guarded
    def _on_srt_connecting(self, src, addr, stream_id):
        want = self.args.stream_id
        sid = stream_id or ""
        if want is not None and sid != want:
            self.log(f"srt: rejecting caller {self._addr(addr)}: stream id "
                     f"'{sid}' is not '{want}'")
            return False
        self.log(f"srt: caller {self._addr(addr)} connecting, stream id "
                 f"'{sid}'")
        return True

    def _on_srt_added(self, src, fd, addr):
        self.srt_callers += 1
        self.log(f"srt: sender {self._addr(addr)} connected")

    def _on_srt_removed(self, src, fd, addr):
        self.srt_callers = max(0, self.srt_callers - 1)
        self.log(f"srt: sender {self._addr(addr)} disconnected; listening for "
                 "a new one (the output continues when it comes)")

    def _on_srt_rejected(self, src, addr, stream_id):
        self.log(f"srt: caller {self._addr(addr)} rejected (stream id "
                 f"'{stream_id or ''}')")

    # bus -----------------------------------------------------------------
    @guarded
    def _on_bus(self, bus, msg):
        Gst = self.Gst
        t = msg.type
        if t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            if self.outputs is not None and self.outputs.owns(msg.src):
                self.outputs.failed(msg.src, err.message)
                return True
            src = msg.src.get_path_string() if msg.src else "?"
            self.error = f"{msg.src.get_name() if msg.src else '?'}: {err.message}"
            emit(f"livestream-run: error: {self.error}\n  ({src}: {dbg})",
                 err=True)
            self._dump("error")
            self.exit_code = EXIT_ERROR
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, dbg = msg.parse_warning()
            if self.outputs is not None and self.outputs.owns(msg.src):
                pass
            self.warn(f"{msg.src.get_name() if msg.src else '?'}: "
                      f"{err.message}")
        elif t == Gst.MessageType.EOS:
            if self.stopping:
                self.log("EOS reached: output finalised")
            else:
                self.log("end of stream")
                self.stop_reason = self.stop_reason or "end of stream"
            self.loop.quit()
        elif t == Gst.MessageType.ELEMENT and \
                msg.get_structure().get_name() == "dashlivesink-resumed":
            st = msg.get_structure()
            self.log(f"resumed the presentation in {self.args.output}: "
                     f"{st.get_value('segments')} segments of "
                     f"{st.get_value('periods')} period(s) kept, "
                     f"{st.get_value('removed-temporary')} temporary "
                     "file(s) of the previous run removed", always=True)
        elif t == Gst.MessageType.ELEMENT:
            line = self.collector.on_element_message(msg)
            if line:
                self.log(line)
        elif t == Gst.MessageType.LATENCY:
            self.pipeline.recalculate_latency()
        elif t == Gst.MessageType.CLOCK_LOST:
            self.pipeline.set_state(Gst.State.PAUSED)
            self.pipeline.set_state(Gst.State.PLAYING)
        elif t == Gst.MessageType.STATE_CHANGED and msg.src == self.pipeline:
            old, new, _ = msg.parse_state_changed()
            if new == Gst.State.PLAYING and old == Gst.State.PAUSED:
                self._dump("playing")
        return True

    def _dump(self, what):
        if self.args.dot_dir and self.pipeline is not None:
            self.Gst.debug_bin_to_dot_file(
                self.pipeline, self.Gst.DebugGraphDetails.ALL,
                f"livestream-{self.plan.kind}-{what}")

    def fail(self, text):
        emit(f"livestream-run: error: {text}", err=True)
        self.error = text
        self.exit_code = EXIT_ERROR
        self.GLib.idle_add(self.loop.quit)

    # stop ----------------------------------------------------------------
    @guarded
    def request_stop(self, reason):
        """First call: EOS and a bounded wait. Second call: stop at once."""
        if self.stopping:
            self.log(f"{reason} again: stopping now without waiting for EOS",
                     always=True)
            if self.exit_code == EXIT_OK:
                self.exit_code = EXIT_EOS_TIMEOUT
            self.loop.quit()
            return
        self.stopping = True
        self.stop_reason = reason
        if self.collector.ingest_bytes == 0:
            self.log(f"{reason}: no data was received, nothing to finalise",
                     always=True)
            self.loop.quit()
            return
        self.log(f"{reason}: sending EOS, waiting at most "
                 f"{self.args.eos_timeout:g} s for the output to be "
                 "finalised", always=True)
        if self.outputs is not None:
            self.outputs.stop_retrying()
        send_eos_async(self.pipeline, self.Gst, then=self._eos_unlinked_inputs)
        self.GLib.timeout_add(int(self.args.eos_timeout * 1000),
                              self._eos_timeout)

    def _eos_unlinked_inputs(self):
        """EOS sent to the sources stops at a demuxer or rtpbin that never
        created the pad of a stream (no sender yet): send it to the branch
        behind that pad directly, so that the sinks all get EOS."""
        for slot in self.plan.slots.values():
            if slot.linked_pad is None and not slot.ended:
                slot.ended = True
                self._end_branch(slot.kind)
        if self.plan.rtp:
            for sid, name in self.plan.rtp.depay.items():
                depay = self.pipeline.get_by_name(name)
                if not depay.get_static_pad("sink").is_linked():
                    self._end_branch(self.plan.rtp.sessions[sid])

    def _end_branch(self, kind):
        """EOS into the video or audio branch that never got data, past any
        decodebin (which would fail on EOS without data)."""
        name = self.plan.eos_targets.get(kind)
        el = self.pipeline.get_by_name(name) if name else None
        if el is not None:
            el.get_static_pad("sink").send_event(self.Gst.Event.new_eos())

    @guarded
    def _eos_timeout(self):
        self.warn(f"EOS did not arrive within {self.args.eos_timeout:g} s: "
                  "stopping anyway, the MPD may not be final")
        if self.exit_code == EXIT_OK:
            self.exit_code = EXIT_EOS_TIMEOUT
        self.loop.quit()
        return False

    def _on_signal(self, signame):
        self.request_stop(signame)
        return True

    # timers --------------------------------------------------------------
    @guarded
    def _on_status(self):
        snap = self.collector.snapshot()
        self.last_snapshot = snap
        if self.args.status_format == "json":
            emit(self.status.to_json(snap))
        elif not self.args.quiet:
            if self.plan.slots and self.srt_callers == 0 and \
                    snap["ingest_bytes"] == 0 and self.plan.live:
                snap["note"] = "waiting for an SRT sender on " \
                    f"srt://{self.args.srt_address}:{self.args.srt_port}"
            emit(self.status.status_line(snap))
        return True

    @guarded
    def _on_watchdog(self):
        idle = self.collector.idle_for()
        lim = self.args.idle_timeout
        if lim and idle is not None and idle > lim and not self.stopping:
            self.request_stop(f"no ingest data for {lim:g} s")
        return True

    # run -----------------------------------------------------------------
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
        if self.args.duration > 0:
            GLib.timeout_add(int(self.args.duration * 1000),
                             lambda: self.request_stop(
                                 f"--duration {self.args.duration:g} s "
                                 "reached") and False)
        GLib.timeout_add(500, self._on_watchdog)
        self._announce()
        if getattr(self.args, "epoch_lock", False):
            self._epoch_lock()
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        if ret == Gst.StateChangeReturn.FAILURE:
            # the bus has the reason; give it a chance to be printed
            msg = bus.timed_pop_filtered(
                0, Gst.MessageType.ERROR)
            if msg is not None:
                self._on_bus(bus, msg)
            else:
                self.fail("the pipeline failed to start")
            self._teardown()
            return self.exit_code or EXIT_ERROR
        if self.outputs is not None:
            self.outputs.start()
        self.loop.run()
        self._teardown()
        self._summary()
        return self.exit_code

    def _epoch_lock(self):
        """--epoch-lock: the pipeline's running time is UTC (a realtime
        system clock, base time 0). Keyframes are forced on the segment grid
        counted from the Unix epoch and dashlivesink (timeline=clock) puts
        each stream on the epoch's frame grid: producers on synchronised
        clocks cut and name their segments alike, whenever they start."""
        Gst = self.Gst
        clock = Gst.SystemClock(clock_type=Gst.ClockType.REALTIME)
        self.pipeline.use_clock(clock)
        self.pipeline.set_start_time(Gst.CLOCK_TIME_NONE)
        self.pipeline.set_base_time(0)
        self.log("epoch lock: the pipeline runs on the UTC clock")

    def _announce(self):
        a = self.args
        if getattr(a, "input_file", None):
            self.log(f"reading {a.input_file} (non-live: as fast as the "
                     "pipeline goes)")
        elif self.plan.slots:
            self.log(f"listening for SRT on srt://{a.srt_address}:"
                     f"{a.srt_port} (mode=listener, latency {a.srt_latency} "
                     "ms)")
        if self.plan.rtp:
            ports = ", ".join(
                f"{k} RTP {p}/RTCP {p + 1}" for k, p in
                (("video", a.video_port), ("audio", a.audio_port))
                if k in self.plan.rtp.sessions.values())
            self.log(f"listening for RTP on {a.rtp_address}: {ports}")
        if self.plan.rungs:
            self.log("ladder: " + ", ".join(str(r) for r in self.plan.rungs) +
                     (f"; AAC {a.audio_bitrate} kbps" if self.plan.audio
                      else ""))
        if self.plan.dash:
            dash = self.pipeline.get_by_name("dash")
            mpd = os.path.join(a.output, a.mpd_name)
            if a.http_port and dash.find_property("http-port") is not None:
                self.log(f"player: http://{a.http_address}:{a.http_port}/  "
                         f"(MPD: http://{a.http_address}:{a.http_port}/"
                         f"{a.mpd_name})", always=True)
            self.log(f"DASH output: {mpd}", always=True)

    def _teardown(self):
        Gst = self.Gst
        if self.pipeline is not None:
            stop_pipeline(self.pipeline, Gst, "livestream-run")

    def _summary(self):
        snap = self.collector.snapshot()
        mpd = os.path.join(self.args.output, self.args.mpd_name)
        final = None
        if self.plan.dash and os.path.exists(mpd):
            with open(mpd, encoding="utf-8", errors="replace") as f:
                head = f.read(4096)
            final = 'type="static"' in head
        drops = ", ".join(f"{k} {v}" for k, v in snap["drops"].items()) or "-"
        self.log(f"summary: {self.stop_reason or self.error or 'stopped'}; "
                 f"{snap['uptime']:.1f} s, ingest "
                 f"{snap['ingest_bytes'] / 1e6:.1f} MB, segments "
                 f"{snap['segments']}, drops {drops}, CPU "
                 f"{snap['cpu_total_s']:.1f} s", always=True)
        if self.plan.dash:
            if final is None:
                self.log(f"no MPD at {mpd}", always=True)
            else:
                self.log(f"MPD {mpd}: " + (
                    "final (static, plays as VOD)" if final
                    else "dynamic (not finalised)"), always=True)
        if self.args.status_format == "json":
            snap["final"] = True
            snap["exit_code"] = self.exit_code
            snap["mpd_static"] = final
            emit(self.status.to_json(snap))


def launch(argv, build_parser, check, make, prog):
    """Parse and check the options, set up GStreamer, build what make(args)
    returns (a Runner or a livestream-server Server) and run it."""
    parser = build_parser()
    args = parser.parse_args(argv)
    err = check(args)
    if err:
        parser.error(err)
    _setup_environment(args)
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    from . import graph
    app = make(args)
    try:
        app.build()
    except graph.BuildError as e:
        emit(f"{prog}: error: {e}", err=True)
        return EXIT_ERROR
    return app.run()


def main(argv=None):
    from . import options
    return launch(argv, options.build_parser, options.check, Runner,
                  "livestream-run")
