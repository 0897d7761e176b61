# The GStreamer side of pipelines/file-to-dash: what a source file holds
# (probe), the packaging pipeline (describe), and running it with progress
# and events (Packager).
#
#   filesrc ─ parsebin ─┬─ video: tee ─┬─ queue ──────────────────────────────────────── dash.video_0  (copy)
#                       │              └─ queue ─ decodebin ─ videoconvert ─ tee ─ queue ─ videoscale ─ tee ─┬─ queue ─ x264enc ─ h264parse ─ dash.video_1
#                       │                                                                                    └─ queue ─ videoscale ─ tee ─ ... dash.video_N
#                       └─ audio: queue ─ aacparse ─ dash.audio_0  (copy)
#                                 or queue ─ decodebin ─ audioconvert ─ audioresample ─ avenc_aac ─ aacparse ─ dash.audio_0
#
# The file is read once and decoded once; each rung is scaled from the
# next larger one and encodes in its own queue thread (x264 adds its own). Every encoder places a keyframe every
# plan.keyint frames of the one decoded stream, so all rungs (and a copied
# source whose GOP is plan.keyint frames) have keyframes on the same frames
# and dashlivesink cuts every representation at the same times. No Python
# runs per buffer: pads are linked once (pad-added), progress comes from
# dashlivesink's segment messages and its `stats`.
"""Probe a source, build and run the on-demand packaging pipeline."""

import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GLib, Gst, GstPbutils  # noqa: E402

from . import graph, ladder, mp4index, mpdfiles, vodplan  # noqa: E402
from .graph import el, quote  # noqa: E402

NS = Gst.SECOND
MPD_NS = mpdfiles.MPD_NS


class ProbeError(Exception):
    """The source cannot be packaged; the message says why."""


@dataclass
class SourceInfo:
    path: str
    size: int
    container: str = ""
    duration_ns: int = 0
    video: vodplan.VideoSource = None
    audio: vodplan.AudioSource = None
    video_caps: str = ""
    audio_caps: str = ""
    streams: list = field(default_factory=list)   # (kind, description)
    notes: list = field(default_factory=list)

    def as_dict(self):
        d = {"path": self.path, "size": self.size,
             "container": self.container,
             "duration": round(self.duration_ns / NS, 3),
             "streams": [{"type": k, "codec": c} for k, c in self.streams]}
        if self.video:
            v = self.video
            d["video"] = {"codec": self.video_caps.split(",")[0],
                          "description": _codec_name(self.video_caps),
                          "profile": v.profile, "width": v.width,
                          "height": v.height,
                          "par": f"{v.par[0]}:{v.par[1]}",
                          "fps": (round(v.fps[0] / v.fps[1], 3)
                                  if v.fps and v.fps[1] and v.fps[0] else None),
                          "interlaced": v.interlaced,
                          "kbps": round(v.kbps) if v.kbps else None,
                          "gop": v.gop}
        if self.audio:
            a = self.audio
            d["audio"] = {"codec": self.audio_caps.split(",")[0],
                          "description": _codec_name(self.audio_caps),
                          "rate": a.rate, "channels": a.channels,
                          "kbps": round(a.kbps) if a.kbps else None}
        return d


def _codec_name(caps_str):
    if not caps_str:
        return None
    try:
        return GstPbutils.pb_utils_get_codec_description(
            Gst.Caps.from_string(caps_str))
    except (TypeError, GLib.Error):
        return caps_str.split(",")[0]


def _has_decoder(caps):
    factories = Gst.ElementFactory.list_get_elements(
        Gst.ELEMENT_FACTORY_TYPE_DECODER, Gst.Rank.MARGINAL)
    return bool(Gst.ElementFactory.list_filter(
        factories, caps, Gst.PadDirection.SINK, False))


def _fraction(s, name):
    ok, n, d = s.get_fraction(name)
    return (n, d) if ok else None


def _int(s, name, default=0):
    ok, v = s.get_int(name)
    return v if ok else default


def probe(path, timeout=15.0):
    """What @path holds: container, duration, the first video and audio
    streams with their caps, average bitrates and (MP4/MOV) the keyframe
    grid. ProbeError with a reason a user understands otherwise."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ProbeError(f"source not found: {path}")
    except OSError as e:
        raise ProbeError(f"cannot read the source: {e.strerror}")
    if not os.path.isfile(path):
        raise ProbeError(f"not a regular file: {path}")
    if not os.access(path, os.R_OK):
        raise ProbeError(f"source not readable: {path}")
    if st.st_size == 0:
        raise ProbeError("the source file is empty")
    info = SourceInfo(path=path, size=st.st_size)

    pipeline = Gst.parse_launch(
        f"filesrc location={quote(path)} ! parsebin name=pb")
    pb = pipeline.get_by_name("pb")
    pads = []
    # parsebin (1.22) signals no no-more-pads: it posts a stream
    # collection once it knows every stream, and exposes one pad each
    state = {"no_more": False, "streams": None, "since": None}

    def on_pad(_el, pad):
        # a fakesink prerolls the pad (one buffer): caps are fixed by then
        sink = Gst.ElementFactory.make("fakesink", None)
        sink.set_property("sync", False)
        sink.set_property("async", False)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        pads.append(pad)

    def on_no_more(_el):
        state["no_more"] = True

    pb.connect("pad-added", on_pad)
    pb.connect("no-more-pads", on_no_more)
    bus = pipeline.get_bus()
    error = None
    container = None
    try:
        pipeline.set_state(Gst.State.PAUSED)
        deadline = time.monotonic() + timeout
        while not state["no_more"]:
            left = deadline - time.monotonic()
            if left <= 0:
                error = f"no streams found within {timeout:g} s"
                break
            if state["streams"] is not None:
                if len(pads) >= state["streams"] or \
                        time.monotonic() - state["since"] > 2.0:
                    break
            msg = bus.timed_pop_filtered(
                int(min(left, 0.02) * NS),
                Gst.MessageType.ERROR | Gst.MessageType.STREAM_COLLECTION |
                Gst.MessageType.EOS)
            if msg is None:
                continue
            if msg.type == Gst.MessageType.STREAM_COLLECTION:
                state["streams"] = msg.parse_stream_collection().get_size()
                state["since"] = time.monotonic()
                continue
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                error = _explain_error(err, dbg)
                break
            if msg.type == Gst.MessageType.EOS:
                break
        if error is None:
            tf = pb.get_by_name("typefind")
            tcaps = tf.get_property("caps") if tf is not None else None
            if tcaps is not None and not tcaps.is_empty():
                container = _codec_name(tcaps.to_string())
            ok, dur = pipeline.query_duration(Gst.Format.TIME)
            if ok and dur > 0:
                info.duration_ns = dur
            caps_list = []
            for pad in pads:
                caps = pad.get_current_caps() or pad.query_caps(None)
                caps_list.append(caps)
    finally:
        pipeline.set_state(Gst.State.NULL)
    if error:
        try:
            mp4index.read(path)
        except mp4index.Mp4Error as e:
            if "no moov" in str(e) or "truncated" in str(e):
                error = ("truncated MP4/MOV: its index ('moov') is missing "
                         "or cut (the file ends early)")
        except OSError:
            pass
        raise ProbeError(error)
    info.container = container or ""
    for caps in caps_list:
        _add_stream(info, caps)
    if info.video is None and info.audio is None:
        kinds = ", ".join(c for _k, c in info.streams) or "nothing"
        raise ProbeError(f"no audio or video stream in the source "
                         f"(found: {kinds})")
    if info.duration_ns <= 0:
        raise ProbeError("the source's duration is unknown (not a seekable "
                         "media file?)")
    _bitrates(info)
    return info


def _explain_error(err, dbg):
    text = err.message
    if err.matches(Gst.StreamError.quark(), Gst.StreamError.TYPE_NOT_FOUND) \
            or "Could not determine type" in text:
        return ("not a media file GStreamer can read, or corrupt "
                "(the container type could not be determined)")
    if "incomplete" in text or "no moov" in (dbg or "").lower() or \
            "moov" in (dbg or ""):
        return f"truncated or corrupt file: {text}"
    if err.matches(Gst.StreamError.quark(), Gst.StreamError.DEMUX) or \
            err.matches(Gst.StreamError.quark(), Gst.StreamError.DECODE):
        return f"corrupt file: {text}"
    return text


def _add_stream(info, caps):
    s = caps.get_structure(0)
    name = s.get_name()
    kind = name.split("/")[0]
    desc = _codec_name(caps.to_string())
    info.streams.append((kind if kind in ("video", "audio") else "other",
                         desc or name))
    if kind == "video" and info.video is None:
        if not _has_decoder(caps):
            raise ProbeError(f"unsupported video codec: {desc} ({name}): no "
                             "decoder for it in this GStreamer installation")
        fps = _fraction(s, "framerate")
        info.video = vodplan.VideoSource(
            codec=name, width=_int(s, "width"), height=_int(s, "height"),
            par=_fraction(s, "pixel-aspect-ratio") or (1, 1),
            fps=fps if fps and fps[0] > 0 else None,
            profile=s.get_string("profile"),
            interlaced=(s.get_string("interlace-mode") or "progressive")
            not in ("progressive",))
        info.video_caps = caps.to_string()
        if info.video.width <= 0 or info.video.height <= 0:
            raise ProbeError(f"video stream without a picture size ({name})")
    elif kind == "audio" and info.audio is None:
        if not _has_decoder(caps) and name != "audio/mpeg":
            info.notes.append(f"audio {desc} ({name}) has no decoder here: "
                              "packaged without audio")
            return
        info.audio = vodplan.AudioSource(
            codec=name, mpegversion=_int(s, "mpegversion"),
            profile=s.get_string("profile"), rate=_int(s, "rate"),
            channels=_int(s, "channels"))
        info.audio_caps = caps.to_string()


def _bitrates(info):
    """Average bitrates: from the MP4/MOV sample tables when there are
    some (also the keyframe grid), else estimated from the file size."""
    movie = None
    try:
        movie = mp4index.read(info.path)
    except (mp4index.Mp4Error, OSError, ValueError) as e:
        if info.video is not None:
            info.video.gop_note = ("keyframe positions are read from "
                                   "MP4/MOV indexes only" if
                                   "not an MP4" in str(e) else
                                   f"MP4 index not usable: {e}")
    if movie is not None and movie.fragmented and info.video is not None:
        info.video.gop_note = "fragmented MP4: no keyframe index"
    if movie is not None:
        vt, at = movie.first("vide"), movie.first("soun")
        if vt is not None and info.video is not None:
            info.video.kbps = vt.kbps
            if not movie.fragmented:
                try:
                    keys = vt.keyframe_positions()
                    if keys is None:
                        info.video.gop = 1
                    else:
                        gop, why = vodplan.regular_gop(keys, vt.sample_count)
                        info.video.gop = gop
                        info.video.gop_note = why
                    if vt.constant_delta() is None:
                        info.video.fps = None
                        info.video.gop = None
                        info.video.gop_note = "variable frame rate"
                except mp4index.Mp4Error as e:
                    info.video.gop_note = str(e)
        if at is not None and info.audio is not None:
            info.audio.kbps = at.kbps
    dur_s = info.duration_ns / NS
    if info.audio is not None and info.audio.kbps is None:
        info.audio.kbps = None
    if info.video is not None and info.video.kbps is None and dur_s > 0:
        audio = (info.audio.kbps or 128) if info.audio else 0
        info.video.kbps = max(1.0, info.size * 8 / dur_s / 1000 - audio)


# --- the pipeline ---------------------------------------------------------

@dataclass
class Options:
    segment_s: float = 2.0
    preset: str = "veryfast"
    audio_kbps: int = 128
    copy: bool = True
    threads: int = 0
    manifest_interval_s: float = 1.0


def describe(plan, info, out_dir, opts):
    """gst-launch description of the packaging pipeline. The parsebin pads
    are linked at run time to 'vin' (video) and 'ain' (audio)."""
    env = graph.Env()
    env.require("parsebin", "dashlivesink", "tee", "queue")
    parts = [el("filesrc", "src", location=info.path) + " ! " +
             el("parsebin", "demux")]
    dash_props = {"location": out_dir, "mpd-name": "manifest.mpd",
                  "segment-duration": plan.segment_ns, "chunk-duration": 0,
                  "dvr-window": 0, "hls": True,
                  "manifest-min-interval": int(opts.manifest_interval_s * NS),
                  "min-buffer-time": 2 * NS,
                  # a retried job starts the presentation over: a file is
                  # packaged whole, not continued after a crash
                  "resume": False}
    probe = Gst.ElementFactory.make("dashlivesink", None)
    text = ["dashlivesink name=dash"]
    for k, v in dash_props.items():
        if probe.find_property(k) is not None:
            text.append(f"{k}={quote(v)}")
    parts.append(" ".join(text))
    if plan.video:
        parts.append(el("tee", "vin"))
        for v in plan.copies:
            parts.append("vin. ! " + el("queue", f"q_{v.id}",
                                        max_size_buffers=0, max_size_bytes=0,
                                        max_size_time=4 * NS) +
                         f" ! dash.{v.id}")
        if plan.encodes:
            env.require("decodebin", "videoconvert", "videoscale", "x264enc",
                        "h264parse")
            chain = ["vin.", el("queue", "q_vdec", max_size_buffers=0,
                                max_size_bytes=0, max_size_time=2 * NS),
                     el("decodebin", "vdec", caps="video/x-raw")]
            if info.video.interlaced and env.exists("deinterlace"):
                chain.append(el("deinterlace", "deint"))
            chain += [el("videoconvert", "vconv"),
                      "video/x-raw,format=I420", el("tee", "vtee")]
            parts.append(" ! ".join(chain))
            # scaled in a cascade: each rung from the next larger one
            # (1080p -> 720p -> 480p), cheaper than every rung from the
            # source, each scaler in its own queue thread
            prev = "vtee"
            for v in plan.encodes:
                rung = ladder.Rung(v.name, v.width, v.height, v.kbps)
                props = ladder.x264_vod_properties(rung, opts.preset,
                                                   plan.keyint, opts.threads)
                parts.append(" ! ".join([
                    f"{prev}.",
                    el("queue", f"q_scale_{v.id}", max_size_buffers=3,
                       max_size_bytes=0, max_size_time=0),
                    el("videoscale", f"scale_{v.id}"),
                    f"video/x-raw,width={v.width},height={v.height},"
                    "pixel-aspect-ratio=1/1",
                    el("tee", f"t_{v.id}")]))
                parts.append(" ! ".join([
                    f"t_{v.id}.",
                    el("queue", f"q_{v.id}", max_size_buffers=3,
                       max_size_bytes=0, max_size_time=0),
                    el("x264enc", f"enc_{v.id}", **{k.replace("-", "_"): x
                                                    for k, x in props.items()}),
                    el("h264parse", f"parse_{v.id}"),
                    f"dash.{v.id}"]))
                prev = f"t_{v.id}"
    if plan.audio:
        env.require("aacparse")
        aq = el("queue", "ain", max_size_buffers=0, max_size_bytes=0,
                max_size_time=4 * NS)
        if plan.audio.mode == "copy":
            parts.append(aq + " ! aacparse ! audio/mpeg,stream-format=raw ! "
                         "dash.audio_0")
        else:
            aac = "avenc_aac" if env.exists("avenc_aac") else "voaacenc"
            env.require(aac, "decodebin", "audioconvert", "audioresample")
            parts.append(" ! ".join([
                aq, el("decodebin", "adec", caps="audio/x-raw"),
                "audioconvert", "audioresample",
                f"audio/x-raw,rate={plan.audio.rate},"
                f"channels={plan.audio.channels}",
                el(aac, "aenc", bitrate=plan.audio.kbps * 1000),
                "aacparse", "dash.audio_0"]))
    return "  ".join(parts)


# --- running it -----------------------------------------------------------

class Packager:
    """Runs the packaging pipeline to the end in a GLib main loop of its
    own. on_event(type, fields) is called on that loop's thread:
    SegmentReady, ManifestUpdated, ProgressUpdate. run() returns None when
    the presentation is complete and verified, else the reason it failed."""

    def __init__(self, info, plan, out_dir, opts, on_event,
                 progress_interval=1.0):
        self.info, self.plan, self.out_dir = info, plan, out_dir
        self.opts = opts
        self.on_event = on_event
        self.progress_interval = progress_interval
        self.reps = [v.id for v in plan.video] + \
            ([plan.audio.id] if plan.audio else [])
        self.ends = {}               # representation -> published end (ns)
        self.start_ns = None         # first segment start
        self.segments = 0
        self.manifests = 0
        self.error = None
        self.warnings = []
        self.pipeline = None
        self.loop = None
        self.t0 = None
        self.speed_hist = []         # (wall, media) for the recent speed
        self.last_progress = 0.0
        self.stopped_by = None
        self.loop_done = False
        self.description = describe(plan, info, out_dir, opts)

    # --- events ---------------------------------------------------------
    def published_ns(self):
        if not self.reps or any(r not in self.ends for r in self.reps):
            return 0
        return max(0, min(self.ends.values()) - (self.start_ns or 0))

    def progress(self):
        now = time.monotonic()
        media = self.published_ns() / NS
        wall = max(now - (self.t0 or now), 1e-6)
        duration = self.info.duration_ns / NS
        self.speed_hist.append((now, media))
        while len(self.speed_hist) > 2 and now - self.speed_hist[0][0] > 10:
            self.speed_hist.pop(0)
        w0, m0 = self.speed_hist[0]
        recent = (media - m0) / (now - w0) if now - w0 > 0.5 else None
        speed = media / wall
        rate = recent if recent else speed
        eta = (duration - media) / rate if rate and rate > 0 else None
        return {"percent": round(min(100.0, 100.0 * media / duration), 2)
                if duration > 0 else 0.0,
                "packaged_seconds": round(media, 3),
                "duration": round(duration, 3),
                "speed": round(speed, 3),
                "elapsed": round(wall, 3),
                "eta": round(max(0.0, eta), 1) if eta is not None else None,
                "segments": self.segments}

    def _emit(self, kind, **fields):
        try:
            self.on_event(kind, fields)
        except Exception as e:   # a broken consumer must not stop the job
            self.warnings.append(f"event consumer failed: {e}")

    # --- bus --------------------------------------------------------------
    def _on_bus(self, _bus, msg):
        t = msg.type
        if t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            src = msg.src.get_name() if msg.src else "?"
            self.error = _runtime_error(src, err, dbg)
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            err, _dbg = msg.parse_warning()
            src = msg.src.get_name() if msg.src else "?"
            if len(self.warnings) < 20:
                self.warnings.append(f"{src}: {err.message}")
        elif t == Gst.MessageType.EOS:
            self.loop.quit()
        elif t == Gst.MessageType.ELEMENT:
            st = msg.get_structure()
            if st is not None and st.get_name() == "dashlivesink-segment":
                self._on_segment(st)
        return True

    def _on_segment(self, st):
        rep = st.get_string("representation")
        _, number = st.get_uint64("number")
        _, start = st.get_uint64("start")
        _, duration = st.get_uint64("duration")
        _, size = st.get_uint64("size")
        if self.start_ns is None or start < self.start_ns:
            self.start_ns = start
        self.ends[rep] = max(self.ends.get(rep, 0), start + duration)
        self.segments += 1
        # start: from the beginning of the source (media time is UTC)
        self._emit("SegmentReady", representation=rep, number=number,
                   start=round(max(0, start - self.start_ns) / NS, 3),
                   duration=round(duration / NS, 3), size=size)
        if self.manifests == 0 and all(r in self.ends for r in self.reps):
            # the first manifests follow the last first segment: report
            # them as soon as they are written, not at the next tick
            GLib.timeout_add(5, self._check_manifests)

    def _check_manifests(self):
        self._manifest_event()
        return self.manifests == 0 and not self.loop_done

    def _manifest_event(self):
        dash = self.pipeline.get_by_name("dash")
        st = dash.get_property("stats") if dash is not None else None
        if st is not None:
            ok, written = st.get_uint64("manifests-written")
            if ok and written > self.manifests:
                first = self.manifests == 0
                self.manifests = written
                self._emit("ManifestUpdated", version=written,
                           playable=True, first=first,
                           packaged_seconds=round(self.published_ns() / NS, 3))

    def _tick(self):
        self._manifest_event()
        now = time.monotonic()
        if now - self.last_progress >= self.progress_interval:
            self.last_progress = now
            self._emit("ProgressUpdate", **self.progress())
        return True

    # --- run --------------------------------------------------------------
    def stop(self, reason):
        """From a signal handler on the loop's thread: abandon the job."""
        self.stopped_by = reason
        if self.loop is not None:
            self.loop.quit()

    def run(self):
        try:
            pipeline = Gst.parse_launch(self.description)
        except GLib.Error as e:
            return f"cannot build the pipeline: {e.message}"
        pipeline.set_name("file-to-dash")
        self.pipeline = pipeline
        demux = pipeline.get_by_name("demux")
        linked = {"video": False, "audio": False}

        def on_pad(_el, pad):
            caps = pad.get_current_caps() or pad.query_caps(None)
            kind = caps.get_structure(0).get_name().split("/")[0]
            target = {"video": "vin", "audio": "ain"}.get(kind)
            entry = pipeline.get_by_name(target) if target else None
            if entry is not None and not linked[kind]:
                if pad.link(entry.get_static_pad("sink")) == \
                        Gst.PadLinkReturn.OK:
                    linked[kind] = True
                    return
            sink = Gst.ElementFactory.make("fakesink", None)
            sink.set_property("sync", False)
            sink.set_property("async", False)
            pipeline.add(sink)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad("sink"))

        demux.connect("pad-added", on_pad)
        self.loop = GLib.MainLoop()
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_bus)
        timer = GLib.timeout_add(250, self._tick)
        self.t0 = time.monotonic()
        ret = pipeline.set_state(Gst.State.PLAYING)
        if ret == Gst.StateChangeReturn.FAILURE:
            msg = bus.timed_pop_filtered(0, Gst.MessageType.ERROR)
            if msg is not None:
                self._on_bus(bus, msg)
            self.error = self.error or "the pipeline failed to start"
        else:
            self.loop.run()
        self.loop_done = True
        GLib.source_remove(timer)
        bus.remove_signal_watch()
        pipeline.set_state(Gst.State.NULL)
        if self.stopped_by:
            return self.stopped_by
        if self.error:
            return self.error
        self._tick()
        return self.verify()

    def verify(self):
        """After EOS: the final presentation is static, lists every
        representation, the video ones cut at the same times, every file
        it names exists, and it is as long as the source."""
        mpd_path = os.path.join(self.out_dir, "manifest.mpd")
        try:
            root = ET.parse(mpd_path).getroot()
        except (OSError, ET.ParseError) as e:
            return f"no final MPD: {e}"
        if root.get("type") != "static":
            return "the MPD was not finalised (static)"
        timelines = {}
        for rep in root.iter(MPD_NS + "Representation"):
            tmpl = rep.find(MPD_NS + "SegmentTemplate")
            if tmpl is None:
                continue
            init, media = mpdfiles.files(rep)
            timelines[rep.get("id")] = (int(tmpl.get("timescale", "1")),
                                        [(t, d) for _, _, t, d in media])
            for f in [init] * bool(init) + [name for name, _, _, _ in media]:
                if not os.path.exists(os.path.join(self.out_dir, f)):
                    return f"the MPD names a missing file: {f}"
        missing = [r for r in self.reps if r not in timelines]
        if missing:
            return f"representations without segments: {', '.join(missing)}"
        video = [timelines[v.id] for v in self.plan.video]
        if len(video) > 1 and any(v != video[0] for v in video[1:]):
            return ("segments not aligned across the video renditions "
                    "(different keyframe positions)")
        # media time is UTC (dashlivesink names segments after it), so the
        # length is measured from the earliest first segment
        firsts = [entries[0][0] / scale
                  for scale, entries in timelines.values() if entries]
        origin = min(firsts) if firsts else 0.0
        end = 0.0
        for scale, entries in timelines.values():
            if entries:
                end = max(end, (entries[-1][0] + entries[-1][1]) / scale -
                          origin)
        duration = self.info.duration_ns / NS
        if end < duration - max(1.0, 0.02 * duration):
            return (f"truncated source: the media ends at {end:.1f} s, the "
                    f"container says {duration:.1f} s")
        self.final_end = end
        return None


def _runtime_error(src, err, dbg):
    text = err.message
    dbg = dbg or ""
    if err.matches(Gst.ResourceError.quark(), Gst.ResourceError.NO_SPACE_LEFT) \
            or "No space left" in dbg or "No space left" in text:
        return f"disk full: {text}"
    if "File too large" in dbg or "File too large" in text:
        return f"disk full (file size limit): {text}"
    if err.matches(Gst.ResourceError.quark(), Gst.ResourceError.WRITE) or \
            err.matches(Gst.ResourceError.quark(),
                        Gst.ResourceError.OPEN_WRITE):
        return f"cannot write the output: {text}"
    if err.matches(Gst.StreamError.quark(), Gst.StreamError.DECODE):
        return f"corrupt media ({src}): {text}"
    if err.matches(Gst.CoreError.quark(), Gst.CoreError.MISSING_PLUGIN):
        return f"unsupported codec ({src}): {text}"
    if err.matches(Gst.StreamError.quark(), Gst.StreamError.DEMUX) or \
            err.matches(Gst.StreamError.quark(), Gst.StreamError.FAILED):
        return f"corrupt or truncated file ({src}): {text}"
    return f"{src}: {text}"
