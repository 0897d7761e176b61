# Restream outputs: SRT senders hanging off gopbuffer's request pads, added
# and removed while the pipeline plays.
"""Outputs of the restream pipeline."""

import sys
import time

from .runner import emit


class Output:
    def __init__(self, index, uri):
        self.index = index
        self.uri = uri
        self.bin = None
        self.pads = []       # request pads of gopbuffer/tee
        self.retry_id = 0
        self.t_add = None    # monotonic time of the add
        self.video_pid = None


class Outputs:
    """Adds an output: a bin (queue ! h264parse ! mpegtsmux ! srtsink, and
    the audio) linked to a new gopbuffer `src_%u` pad (and the matching
    `audio_src_%u`). gopbuffer sends it the sticky events and the cached GOP
    from its keyframe, so a receiver decodes its first frame at once. An
    output whose srtsink fails is removed (the rest keeps running) and
    re-added after --output-retry seconds."""

    def __init__(self, runner, pipeline, plan, args):
        from gi.repository import GLib, Gst
        self.Gst, self.GLib = Gst, GLib
        self.runner = runner
        self.pipeline = pipeline
        self.plan = plan
        self.args = args
        self.gop = pipeline.get_by_name(plan.restream.gop)
        self.atee = None
        if getattr(plan.restream, "audio_tee", None):
            self.atee = pipeline.get_by_name(plan.restream.audio_tee)
        self.outputs = {}
        self.next_index = 0
        self.retrying = True
        # when the latest video keyframe reached gopbuffer (monotonic): an
        # output's log line says where in the GOP it was added
        self.last_keyframe = None
        if self.gop is not None and self.gop.get_static_pad("sink"):
            self.gop.get_static_pad("sink").add_probe(
                Gst.PadProbeType.BUFFER, self._on_video)

    def _on_video(self, pad, info):
        buf = info.get_buffer()
        if buf is not None and not buf.has_flags(
                self.Gst.BufferFlags.DELTA_UNIT):
            self.last_keyframe = time.monotonic()
        return self.Gst.PadProbeReturn.OK

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
        PES packet of its video PID): how long after the add"""
        Gst = self.Gst
        if output.t_add is None or output.video_pid is None:
            return Gst.PadProbeReturn.OK
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
        self.GLib.idle_add(self.runner.log, f"restream: output "
                           f"{output.index}: first muxed video frame "
                           f"{dt:.0f} ms after the add")
        return Gst.PadProbeReturn.REMOVE

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
            self.add(u)
        return False

    # stdin control -------------------------------------------------------
    def _on_stdin(self, fd, cond):
        if cond & self.GLib.IO_HUP:
            line = sys.stdin.readline()
            if not line:
                return False
        else:
            line = sys.stdin.readline()
            if not line:
                return False
        words = line.split()
        if not words:
            return True
        cmd, rest = words[0], words[1:]
        if cmd == "add" and rest:
            self.add(rest[0])
        elif cmd == "remove" and rest:
            self.remove(rest[0])
        elif cmd == "list":
            for o in self.outputs.values():
                state = "active" if o.bin is not None else "waiting to retry"
                emit(f"output {o.index}: {o.uri} ({state})")
        else:
            self.runner.warn(f"restream: unknown command '{line.strip()}' "
                             "(add URI | remove URI | list)")
        return True

    # add / remove --------------------------------------------------------
    def add(self, uri, output=None):
        Gst = self.Gst
        from . import graph
        if output is None:
            if uri in (o.uri for o in self.outputs.values()):
                self.runner.warn(f"restream: {uri} is already an output")
                return
            output = Output(self.next_index, uri)
            self.next_index += 1
            self.outputs[output.index] = output
        i = output.index
        audio = self.plan.audio
        desc = graph.output_branch_description(uri, i, audio)
        try:
            b = Gst.parse_bin_from_description(desc, False)
        except self.GLib.Error as e:
            self.runner.warn(f"restream: cannot build output {uri}: "
                             f"{e.message}")
            del self.outputs[i]
            return
        b.set_name(f"output{i}")
        b.add_pad(Gst.GhostPad.new(
            "video", b.get_by_name(f"out{i}_vq").get_static_pad("sink")))
        if audio:
            b.add_pad(Gst.GhostPad.new(
                "audio", b.get_by_name(f"out{i}_aq").get_static_pad("sink")))
        self.pipeline.add(b)
        b.sync_state_with_parent()
        output.bin = b
        now = time.monotonic()
        phase = ""
        if self.last_keyframe is not None:
            phase = f" ({(now - self.last_keyframe) * 1000:.0f} ms after a keyframe)"
        output.t_add = now
        # mpegtsmux names its sink pads after their PID
        vpeer = b.get_by_name(f"out{i}_vparse").get_static_pad("src").get_peer()
        try:
            output.video_pid = int(vpeer.get_name().split("_")[-1])
        except (AttributeError, ValueError):
            output.video_pid = None
        b.get_by_name(f"out{i}_mux").get_static_pad("src").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
            self._on_muxed, output)
        # request the gopbuffer pads last: the cached GOP flows at once
        vpad = self.gop.request_pad_simple("src_%u")
        if vpad is None:
            self.runner.warn("restream: no more request pads")
            self._drop(output)
            return
        output.pads.append(vpad)
        apad = None
        if audio:
            if self.atee is not None:
                apad = self.atee.request_pad_simple("src_%u")
            else:
                n = vpad.get_name().split("_")[-1]
                tmpl = self.gop.get_pad_template(
                    self.plan.restream.audio_src_template)
                if tmpl is not None:
                    apad = self.gop.request_pad(tmpl, f"audio_src_{n}", None)
            if apad is not None:
                output.pads.append(apad)
        if apad is not None:
            apad.link(b.get_static_pad("audio"))
        if vpad.link(b.get_static_pad("video")) != Gst.PadLinkReturn.OK:
            self.runner.warn(f"restream: cannot link {vpad.get_name()}")
            self._drop(output)
            return
        self.runner.log(f"restream: output {i} {uri} added on "
                        f"{vpad.get_name()}" +
                        (f" + {apad.get_name()}" if apad else "") + phase)

    def remove(self, uri):
        for o in list(self.outputs.values()):
            if o.uri == uri:
                if o.retry_id:
                    self.GLib.source_remove(o.retry_id)
                    o.retry_id = 0
                self._drop(o)
                del self.outputs[o.index]
                self.runner.log(f"restream: output {o.index} {uri} removed")
                return
        self.runner.warn(f"restream: {uri} is not an output")

    def _drop(self, output):
        Gst = self.Gst
        for pad in output.pads:
            peer = pad.get_peer()
            if peer is not None:
                pad.unlink(peer)
            owner = pad.get_parent_element()
            if owner is not None:
                owner.release_request_pad(pad)
        output.pads = []
        if output.bin is not None:
            output.bin.set_locked_state(True)
            output.bin.set_state(Gst.State.NULL)
            self.pipeline.remove(output.bin)
            output.bin = None

    # errors --------------------------------------------------------------
    def owns(self, obj):
        while obj is not None:
            for o in self.outputs.values():
                if o.bin is not None and obj == o.bin:
                    return True
            obj = obj.get_parent()
        return False

    def _find(self, obj):
        while obj is not None:
            for o in self.outputs.values():
                if o.bin is not None and obj == o.bin:
                    return o
            obj = obj.get_parent()
        return None

    def failed(self, src, message):
        o = self._find(src)
        if o is None:
            return
        self.runner.warn(f"restream: output {o.index} {o.uri} failed: "
                         f"{message}; removed")
        self._drop(o)
        delay = self.args.output_retry
        if delay > 0 and self.retrying:
            self.runner.log(f"restream: retrying {o.uri} in {delay:g} s")
            o.retry_id = self.GLib.timeout_add(int(delay * 1000),
                                               self._retry, o)
        else:
            del self.outputs[o.index]

    def _retry(self, o):
        o.retry_id = 0
        if self.retrying and o.index in self.outputs:
            self.add(o.uri, o)
        return False

    def stop_retrying(self):
        self.retrying = False
        for o in self.outputs.values():
            if o.retry_id:
                self.GLib.source_remove(o.retry_id)
                o.retry_id = 0
