# Builds the GStreamer pipelines of pipelines/livestream-run.
#
# Every pipeline is written as a gst-launch-1.0 description (printed by
# --print-pipeline) and parsed with Gst.parse_launch; only what gst-launch
# cannot express is done in code: linking the pads that tsdemux and rtpbin
# create at run time (with a parser chosen from the caps, and relinked when a
# sender reconnects with new streams or a new SSRC), forcing keyframes at the
# same running time in every rung, and the restream outputs added and removed
# while PLAYING.
"""Pipeline descriptions and the run-time linking they need."""

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GObject, Gst, GstVideo  # noqa: E402

from . import ladder  # noqa: E402

OUR_ELEMENTS = ("chunkreorder", "prioqueue", "gopbuffer", "avsync",
                "dashlivesink")

# Debian packages that provide the elements a pipeline needs.
PACKAGE_OF = {
    "srtsrc": "gstreamer1.0-plugins-bad", "srtsink": "gstreamer1.0-plugins-bad",
    "tsdemux": "gstreamer1.0-plugins-bad", "mpegtsmux": "gstreamer1.0-plugins-bad",
    "h264parse": "gstreamer1.0-plugins-bad", "h265parse": "gstreamer1.0-plugins-bad",
    "x264enc": "gstreamer1.0-plugins-ugly", "avdec_h264": "gstreamer1.0-libav",
    "avenc_aac": "gstreamer1.0-libav", "aacparse": "gstreamer1.0-plugins-good",
    "rtpbin": "gstreamer1.0-plugins-good", "udpsrc": "gstreamer1.0-plugins-good",
    "rtph264depay": "gstreamer1.0-plugins-good",
    "opusdec": "gstreamer1.0-plugins-base", "videoscale": "gstreamer1.0-plugins-base",
}


class BuildError(Exception):
    """The pipeline cannot be built (missing element, bad option)."""


def quote(value):
    """A property value as gst-launch-1.0 syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    s = str(value)
    if s and all(c.isalnum() or c in "._-+/:," for c in s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def el(factory, name=None, **props):
    """'factory name=n prop=value ...' with Python names turned into
    property names (max_size_time -> max-size-time)."""
    parts = [factory]
    if name:
        parts.append(f"name={name}")
    for k, v in props.items():
        if v is None:
            continue
        parts.append(f"{k.replace('_', '-')}={quote(v)}")
    return " ".join(parts)


def caps(text):
    """A capsfilter in gst-launch syntax (quoted when needed)."""
    return quote(text) if any(c in text for c in " ()") else text


class Env:
    """Which elements exist, which of ours are used."""

    def __init__(self, without=()):
        self.without = set(without)
        self.missing_ours = [n for n in OUR_ELEMENTS
                             if Gst.ElementFactory.find(n) is None]

    @staticmethod
    def exists(factory):
        return Gst.ElementFactory.find(factory) is not None

    def use(self, factory):
        """Our element: present and not left out with --without."""
        return factory not in self.without and self.exists(factory)

    def require(self, *factories):
        for f in factories:
            if not self.exists(f):
                pkg = PACKAGE_OF.get(f)
                if f in OUR_ELEMENTS:
                    hint = ("build the plug-in (scripts/build.sh) and set "
                            "GST_PLUGIN_PATH or --plugin-path")
                elif pkg:
                    hint = f"install {pkg} (scripts/install-deps.sh)"
                else:
                    hint = "install the GStreamer plug-in that provides it"
                raise BuildError(f"element '{f}' not found: {hint}")


class Plan:
    """What the runner needs besides the description."""

    def __init__(self, kind):
        self.kind = kind
        self.parts = []            # description fragments
        self.why = []              # (element, reason) for --print-pipeline
        self.demux = None          # name of tsdemux, if any
        self.slots = {}            # 'video'/'audio' -> Slot
        self.rtp = None            # RtpInfo for rtp ingest
        self.ingest = []           # names of the network sources
        self.keyframe_interval = 0 # ns, 0 = no forcing
        self.keyframe_tee = None   # name of the tee before the ladder
        self.keyframe_epoch = False  # keyframe slots counted from 0 (UTC)
        self.keyframe_lead = 0       # ns the slots begin early
        self.sink_pads = []        # (element, pad) into the DASH sink
        self.rungs = []
        self.audio = False
        self.restream = None       # RestreamInfo
        self.live = True           # False: --input-file, as fast as possible
        self.dash = None           # name of dashlivesink or None (fake)
        self.elements = {}         # role -> element name (status)
        self.fallbacks = []        # messages about elements not used
        self.eos_targets = {}      # kind -> element to send EOS to when the
                                   # stream never appeared

    def add(self, text):
        self.parts.append(text)

    def explain(self, element, reason):
        self.why.append((element, reason))

    def description(self):
        return "  ".join(self.parts)

    def pretty(self):
        return " \\\n  ".join(self.parts)


class Slot:
    """A dynamic input (a tsdemux or rtpbin pad) linked, through a parser
    chosen from its caps, to a static element of the description."""

    def __init__(self, kind, target, parsers, required_caps=None):
        self.kind = kind              # 'video' or 'audio'
        self.target = target          # name of the element to feed
        self.parsers = parsers        # list of (caps prefix, factory, props)
        self.required_caps = required_caps
        self.parser = None            # current parser element
        self.parser_caps = None
        self.linked_pad = None        # current upstream pad
        self.ended = False

    def parser_for(self, caps_):
        s = caps_.get_structure(0)
        name = s.get_name()
        for prefix, factory, props in self.parsers:
            if prefix.startswith("audio/mpeg"):
                want = int(prefix.split("=")[1])
                ok, ver = s.get_int("mpegversion")
                if name == "audio/mpeg" and ok and (
                        ver == want or (want == 4 and ver == 2)):
                    return prefix, factory, props
            elif name == prefix:
                return prefix, factory, props
        return None


class RtpInfo:
    def __init__(self):
        self.sessions = {}   # session id -> 'video'/'audio'
        self.depay = {}      # session id -> name of the depayloader
        self.linked = {}     # session id -> rtpbin src pad linked
        self.ssrcs = {}      # session id -> set of SSRCs seen


class RestreamInfo:
    def __init__(self, gop, audio_src_template):
        self.gop = gop
        self.audio_src_template = audio_src_template


# --- building blocks ------------------------------------------------------

def _video_parsers():
    return [("video/x-h264", "h264parse", {"config-interval": -1}),
            ("video/x-h265", "h265parse", {"config-interval": -1})]


def _audio_parsers(aac_only):
    """aac_only: without transcoding, what dashlivesink takes (AAC, Opus)."""
    aac = [("audio/mpeg=4", "aacparse", {}), ("audio/x-opus", "opusparse", {})]
    if aac_only:
        return aac
    return aac + [("audio/mpeg=1", "mpegaudioparse", {}),
                  ("audio/x-ac3", "ac3parse", {}),
                  ("audio/x-eac3", "ac3parse", {}),
                  ("audio/x-opus", "opusparse", {})]


def _queue(plan, env, args, name, kind):
    """The thread boundary between ingest and the rest: prioqueue in shed
    mode, or a leaky queue when prioqueue is absent or left out."""
    t = int(args.queue_time * Gst.SECOND)
    if not plan.live:
        # non-live: nothing to protect, everything must arrive
        plan.elements[f"{kind} queue"] = name
        if env.use("prioqueue"):
            return el("prioqueue", name, mode="block", max_size_time=t,
                      max_size_buffers=0, max_size_bytes=0)
        return el("queue", name, max_size_time=t, max_size_buffers=0,
                  max_size_bytes=0)
    if env.use("prioqueue"):
        plan.elements[f"{kind} queue"] = name
        if kind == "video":
            plan.explain(name, "prioqueue mode=shed: the network thread never "
                         "blocks; when decoding/encoding falls behind it sheds "
                         "non-reference then reference frames up to the next "
                         "keyframe, never a frame whose reference was dropped, "
                         "and counts it")
        return el("prioqueue", name, mode="shed", max_size_time=t,
                  max_size_buffers=0, max_size_bytes=0)
    if "prioqueue" not in env.without:
        plan.fallbacks.append("prioqueue not found: using queue "
                              "leaky=downstream (drops blindly)")
    plan.elements[f"{kind} queue"] = name
    return el("queue", name, leaky="downstream", max_size_time=t,
              max_size_buffers=0, max_size_bytes=0)


def _sink_ref(plan, args, kind, index):
    """Where a stream enters the DASH sink."""
    pad = f"{kind}_{index}"
    if args.sink == "fake":
        name = f"fake_{pad}"
        plan.sink_pads.append((name, "sink"))
        return el("fakesink", name, sync=False, **{"async": False})
    plan.sink_pads.append((plan.dash, pad))
    return f"{plan.dash}.{pad}"


def _dash(plan, env, args):
    if args.sink == "fake":
        plan.dash = None
        return
    env.require("dashlivesink")
    plan.dash = "dash"
    plan.elements["dash"] = "dash"
    # (property, value, is a duration in seconds)
    props = [("location", args.output, False),
             ("mpd-name", args.mpd_name, False),
             ("segment-duration", args.segment_duration, True),
             ("chunk-duration", args.chunk_duration, True),
             ("dvr-window", args.dvr_window, True),
             ("target-latency", args.target_latency, True),
             ("http-port", args.http_port, False),
             ("http-address", args.http_address, False),
             ("resume", "true" if args.resume else "false", False)]
    if getattr(args, "epoch_lock", False):
        props.append(("timeline", "clock", False))
    if getattr(args, "http_mount", None):
        props.append(("http-mount", args.http_mount, False))
    probe = Gst.ElementFactory.make("dashlivesink", None)
    text = ["dashlivesink name=dash"]
    for pname, v, is_time in props:
        spec = probe.find_property(pname)
        if spec is None:
            if pname.startswith("http") and args.http_port == 0:
                continue
            plan.fallbacks.append(f"dashlivesink has no '{pname}' property: "
                                  "option ignored")
            continue
        if is_time:
            v = _time_value(spec, v)
        text.append(f"{pname}={quote(v)}")
    plan.add(" ".join(text))
    plan.explain("dash", "dashlivesink: CMAF segments, a dynamic MPD and HLS "
                 "playlists, DVR window, embedded HTTP server and player")


def _ns(seconds):
    return int(round(seconds * Gst.SECOND))


def _time_value(spec, seconds):
    """A duration for a property: nanoseconds for 64-bit integers, seconds
    for 32-bit integers and doubles."""
    t = spec.value_type
    if t in (GObject.TYPE_UINT64, GObject.TYPE_INT64):
        return int(round(seconds * Gst.SECOND))
    if t in (GObject.TYPE_DOUBLE, GObject.TYPE_FLOAT):
        return seconds
    return int(round(seconds))


# --- the back half: decode, avsync, ladder ---------------------------------

def _transcode(plan, env, args, vsrc, asrc):
    """Decoded video -> avsync -> tee -> one scaler + x264enc per rung ->
    dashlivesink; decoded audio -> avsync -> avenc_aac -> dashlivesink.

    vsrc / asrc: gst-launch references of the encoded video/audio."""
    env.require("x264enc", "videoscale", "videoconvert", "decodebin", "tee")
    aac = "avenc_aac" if env.exists("avenc_aac") else "voaacenc"
    if plan.audio:
        env.require(aac, "aacparse", "audioconvert", "audioresample")
    rungs = args.ladder
    plan.rungs = rungs
    kfi = args.keyframe_interval or args.segment_duration
    plan.keyframe_interval = _ns(kfi)
    plan.eos_targets = {"video": "vconv", "audio": "aconv"}
    top = max(rungs, key=lambda r: r.width * r.height)
    continuous = plan.live and args.continuous
    epoch = getattr(args, "epoch_lock", False)
    if continuous:
        env.require("compositor")
        if plan.audio:
            env.require("audiomixer")
    canvas = (f"video/x-raw,format=I420,width={top.width},height={top.height},"
              "pixel-aspect-ratio=1/1")
    # video: decode once, convert once, then the tee
    if continuous:
        # compositor in live mode produces a frame every 1/fps on the clock
        # whether or not the ingest delivers one: while a sender is away
        # the output keeps the last picture, the timeline stays continuous
        # and in step with the wall clock (what live DASH players expect);
        # it also fixes the frame rate and the picture size of the ladder's
        # input (letterboxed when the ingest has another aspect ratio)
        plan.add(" ! ".join([
            vsrc, el("decodebin", "vdec", caps="video/x-raw"),
            el("videoconvert", "vconv"), el("videoscale", "vscale"),
            caps(canvas), "vmix.sink_0"]))
        plan.add(" ! ".join([
            el("compositor", "vmix", background="black", force_live=True,
               start_time_selection="first", latency=_ns(args.mix_latency)),
            caps(canvas + f",framerate={args.fps}/1"), el("tee", "vtee")]))
        plan.elements["video mixer"] = "vmix"
        plan.explain("vmix", "compositor force-live=true: a frame every "
                     f"1/{args.fps} s of clock time whether the sender is "
                     "there or not, so a disconnect leaves the DASH timeline "
                     "continuous (the last picture, then the new sender)")
    else:
        plan.add(" ! ".join([vsrc, el("decodebin", "vdec", caps="video/x-raw"),
                             el("videoconvert", "vconv"),
                             "video/x-raw,format=I420", el("tee", "vtee")]))
    if getattr(args, "fixed_gop", False):
        plan.explain("vtee", "every rung gets every frame of the tee and "
                     f"x264enc puts a keyframe every {kfi:g} s of frames "
                     "(a fixed GOP, scenecut off): keyframes, and so "
                     "segment boundaries, align without a keyframe request")
    else:
        plan.keyframe_tee = "vtee"
        plan.keyframe_epoch = epoch
        plan.keyframe_lead = _ns(0.5 / args.fps) if epoch else 0
        plan.explain("vtee", f"keyframes forced before the tee every {kfi:g} "
                     "s of running time (GstForceKeyUnit): every rung gets "
                     "the same frames and the same requests, so segment "
                     "boundaries align"
                     + ("; counted from the Unix epoch, on the frame nearest "
                        "to each grid point (--epoch-lock: the running time "
                        "is UTC; dashlivesink timeline=clock moves each "
                        "stream by less than half a frame onto the epoch's "
                        "frame grid)" if epoch else ""))
    props_common = None
    fixed = getattr(args, "fixed_gop", False)
    for i, r in enumerate(rungs):
        props = ladder.x264_properties(r, args.x264_preset, kfi,
                                       fps_hint=args.fps, fixed_gop=fixed)
        props_common = props
        plan.add("vtee. ! " + " ! ".join([
            el("queue", f"q_{r.name}", max_size_buffers=0, max_size_bytes=0,
               max_size_time=Gst.SECOND),
            el("videoscale", f"scale_{r.name}"),
            caps(f"video/x-raw,width={r.width},height={r.height},"
                 "pixel-aspect-ratio=1/1"),
            el("x264enc", f"enc_{r.name}", **props),
            caps("video/x-h264,profile=high"),
            el("h264parse", f"parse_{r.name}"),
            _sink_ref(plan, args, "video", i)]))
    if props_common:
        plan.explain("enc_*", "x264enc tune=zerolatency (no B-frames, no "
                     "lookahead), scenecut off so no rung adds a keyframe of "
                     "its own, CBR with a 1 s VBV")

    if plan.audio:
        araw = f"audio/x-raw,rate={args.aac_rate},channels={args.aac_channels}"
        achain = [asrc, el("decodebin", "adec", caps="audio/x-raw"),
                  el("audioconvert", "aconv"), el("audioresample", "ares"),
                  araw]
        if continuous:
            # audiomixer, live: silence while the sender is away
            plan.add(" ! ".join(achain + ["amix.sink_0"]))
            achain = [el("audiomixer", "amix", force_live=True,
                         start_time_selection="first",
                         latency=_ns(args.mix_latency)),
                      araw, el("audioconvert", "aconv2")]
        enc = (el("avenc_aac", "aenc", bitrate=args.audio_bitrate * 1000)
               if aac == "avenc_aac" else
               el("voaacenc", "aenc", bitrate=args.audio_bitrate * 1000))
        plan.add(" ! ".join(achain + [enc, el("aacparse", "aencparse"),
                                      _sink_ref(plan, args, "audio", 0)]))


def _avsync(plan, env, vref, aref):
    """avsync between the encoded streams and the decoders: it measures
    both timelines (arrival on the clock when live, sample/frame counts when
    not) and slews the video timestamps towards audio by at most 1 ms per
    frame; the decoders and then the encoders carry the corrected times.
    Returns the references downstream of it."""
    if not env.use("avsync"):
        if "avsync" not in env.without:
            plan.fallbacks.append("avsync not found: no A/V drift correction")
        return vref, aref
    if not plan.audio:
        return vref, aref
    plan.add(el("avsync", "avs"))
    plan.add(f"{vref} ! avs.video_sink")
    plan.add(f"{aref} ! avs.audio_sink")
    plan.elements["avsync"] = "avs"
    plan.explain("avs", "avsync after the queues, before decoding: audio "
                 "is the master and is never modified; video timestamps are "
                 "slewed at most 1 ms per frame once the offset passes 100 "
                 "ms, and a sender restart (timestamp jump) resets the "
                 "measurement instead of being 'corrected'")
    return "avs.video_src", "avs.audio_src"


def _gop(plan, env, args, name="gop"):
    if env.use("gopbuffer"):
        plan.elements["gopbuffer"] = name
        return el("gopbuffer", name, max_gops=args.gop_cache,
                  start_on_keyframe=(None if args.on_loss == "freeze"
                                     else False))
    if "gopbuffer" not in env.without:
        plan.fallbacks.append("gopbuffer not found: a decoder or segmenter "
                              "may start on a delta frame after a reconnect")
    return None


# --- ingest fronts -----------------------------------------------------------

def _srt_front(plan, env, args, aac_only):
    """srtsrc (listener, keep-listening) -> tsdemux; the demuxer's pads are
    linked at run time to a parser chosen from their caps."""
    env.require("tsdemux", "h264parse")
    plan.slots["video"] = Slot("video", "vqueue", _video_parsers())
    if plan.audio:
        plan.slots["audio"] = Slot("audio", "aqueue", _audio_parsers(aac_only))
    plan.demux = "demux"
    plan.ingest = ["ingest"]
    if getattr(args, "input_file", None):
        plan.live = False
        plan.add(el("filesrc", "ingest", location=args.input_file) + " ! " +
                 el("tsdemux", "demux"))
        plan.explain("ingest", "non-live variant: the file is read as fast "
                     "as the pipeline goes; queues block instead of shedding")
        return
    env.require("srtsrc")
    uri = f"srt://{args.srt_address}:{args.srt_port}?mode=listener"
    props = dict(uri=uri, keep_listening=True, authentication=True,
                 latency=args.srt_latency, wait_for_connection=True)
    if args.passphrase:
        props["passphrase"] = args.passphrase
    plan.add(el("srtsrc", "ingest", **props) + " ! " +
             el("tsdemux", "demux", latency=max(100, args.srt_latency)))
    plan.explain("ingest", "srtsrc mode=listener keep-listening=true: a "
                 "sender may disconnect and reconnect, the pipeline keeps "
                 "running; authentication=true makes srtsrc emit "
                 "caller-connecting with the stream id (logged, and checked "
                 "against --stream-id)")


def _rtp_caps(args, kind, sdp_media=None):
    if sdp_media is not None:
        return sdp_media
    if kind == "video":
        return ("application/x-rtp,media=video,clock-rate=90000,"
                f"encoding-name=H264,payload={args.video_pt}")
    enc = args.audio_encoding
    rate = args.audio_rate or (8000 if enc in ("PCMU", "PCMA") else 48000)
    c = (f"application/x-rtp,media=audio,clock-rate={rate},"
         f"encoding-name={enc},payload={args.audio_pt}")
    if enc == "MPEG4-GENERIC":
        c += (",mode=AAC-hbr,sizelength=13,indexlength=3,indexdeltalength=3,"
              f"streamtype=5,config={args.audio_config}")
    if enc in ("L16", "MPEG4-GENERIC"):
        c += f",encoding-params={args.audio_channels},channels={args.audio_channels}"
    if enc == "OPUS":
        c += ",encoding-params=2"
    return c


DEPAY = {"H264": "rtph264depay", "H265": "rtph265depay",
         "OPUS": "rtpopusdepay", "MPEG4-GENERIC": "rtpmp4gdepay",
         "L16": "rtpL16depay", "PCMU": "rtppcmudepay", "PCMA": "rtppcmadepay"}


def _rtp_front(plan, env, args, aac_only):
    """udpsrc RTP -> chunkreorder -> rtpbin (jitterbuffer, RTCP sync)
    -> depayloader (linked at run time, relinked on a new SSRC)."""
    env.require("udpsrc", "rtpbin", "rtph264depay", "h264parse")
    info = RtpInfo()
    plan.rtp = info
    media = {"video": (args.video_port, _rtp_caps(args, "video"))}
    if plan.audio:
        media["audio"] = (args.audio_port, _rtp_caps(args, "audio"))
    if args.sdp:
        media = _media_from_sdp(args.sdp, plan.audio)
        if "video" not in media:
            raise BuildError(f"{args.sdp}: no H.264 video media")
        if plan.audio and "audio" not in media:
            plan.fallbacks.append(f"{args.sdp}: no audio media, video only")
            plan.audio = False
    reorder = env.use("chunkreorder")
    if not reorder and "chunkreorder" not in env.without:
        plan.fallbacks.append("chunkreorder not found: reordering left to "
                              "rtpbin's jitterbuffer")
    plan.add(el("rtpbin", "rtpbin", latency=args.rtp_latency, do_lost=True,
                drop_on_latency=True))
    plan.explain("rtpbin", f"rtpbin latency={args.rtp_latency} ms: the "
                 "jitterbuffer turns RTP time into running time and RTCP "
                 "sender reports line audio up with video; reordering is "
                 "already done in front of it, so its latency stays low")
    for sid, kind in enumerate(("video", "audio")):
        if kind not in media:
            continue
        port, capstr = media[kind]
        info.sessions[sid] = kind
        enc = Gst.Caps.from_string(capstr).get_structure(0).get_string(
            "encoding-name")
        if enc not in DEPAY:
            raise BuildError(f"RTP {kind}: encoding {enc} not supported "
                             f"(supported: {', '.join(DEPAY)})")
        if kind == "video" and enc != "H264":
            raise BuildError("RTP video must be H264")
        if kind == "audio" and aac_only and enc not in ("MPEG4-GENERIC",
                                                        "OPUS"):
            raise BuildError(f"{plan.kind} does not transcode: RTP audio must "
                             f"be MPEG4-GENERIC (AAC) or OPUS, not {enc} "
                             "(use rtp-to-dash, or --no-audio)")
        env.require(DEPAY[enc])
        src = el("udpsrc", f"{kind}_rtp", address=args.rtp_address, port=port,
                 caps=capstr, buffer_size=4 * 1024 * 1024)
        plan.ingest.append(f"{kind}_rtp")
        if reorder:
            name = f"{kind}_reorder"
            plan.add(src + " ! " + el(
                "chunkreorder", name, seqnum_source="rtp",
                window=args.reorder_window,
                timeout=args.reorder_timeout * Gst.MSECOND) +
                f" ! rtpbin.recv_rtp_sink_{sid}")
            plan.elements[f"{kind} reorder"] = name
            if kind == "video":
                plan.explain(name, "chunkreorder in front of rtpbin: puts "
                             "reordered packets back in order with no added "
                             "latency for in-order ones and at most "
                             f"{args.reorder_timeout} ms for a hole, counts "
                             "what was reordered and lost, and tells the "
                             "depayloader about losses (GstRTPPacketLost). "
                             "Behind rtpbin it would see nothing: the "
                             "jitterbuffer drops packets later than its "
                             "latency")
        else:
            plan.add(src + f" ! rtpbin.recv_rtp_sink_{sid}")
        plan.add(el("udpsrc", f"{kind}_rtcp", address=args.rtp_address,
                    port=port + 1) + f" ! rtpbin.recv_rtcp_sink_{sid}")
        depay = f"{kind}_depay"
        info.depay[sid] = depay
        if kind == "video":
            plan.add(el(DEPAY[enc], depay) + " ! " +
                     el("h264parse", "vparse", config_interval=-1) +
                     " ! vqueue.")
        else:
            parse = {"MPEG4-GENERIC": "aacparse", "OPUS": "opusparse"}.get(enc)
            chain = [el(DEPAY[enc], depay)]
            if parse:
                chain.append(el(parse, "aparse"))
            plan.add(" ! ".join(chain) + " ! aqueue.")


def _media_from_sdp(path, want_audio):
    """{'video': (port, caps), 'audio': (port, caps)} from an SDP file."""
    gi.require_version("GstSdp", "1.0")
    from gi.repository import GstSdp
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BuildError(f"cannot read SDP file {path}: {e.strerror}")
    res, msg = GstSdp.SDPMessage.new()
    if GstSdp.sdp_message_parse_buffer(data, msg) != GstSdp.SDPResult.OK:
        raise BuildError(f"{path}: not a valid SDP")
    out = {}
    for i in range(msg.medias_len()):
        m = msg.get_media(i)
        kind = m.get_media()
        if kind not in ("video", "audio") or kind in out:
            continue
        if kind == "audio" and not want_audio:
            continue
        pt = int(m.get_format(0))
        c = GstSdp.SDPMedia.get_caps_from_media(m, pt)
        if c is None:
            raise BuildError(f"{path}: no caps for {kind} payload {pt}")
        c = c.copy()
        GstSdp.SDPMedia.attributes_to_caps(m, c)
        text = c.to_string()
        # get_caps_from_media names the structure application/x-unknown
        text = "application/x-rtp" + text[text.index(","):]
        out[kind] = (m.get_port(), text)
    return out


# --- the pipelines ------------------------------------------------------------

def _front(plan, env, args, input_, aac_only):
    if input_ == "srt":
        _srt_front(plan, env, args, aac_only)
    else:
        _rtp_front(plan, env, args, aac_only)


def stream_plan(args, env, location, mount):
    """One stream of livestream-server, as a bin description: its input
    (a ghost pad to the valve) is an srtingestsrc pad's MPEG-TS.

      valve (pause) ! tsdemux -> parsers (linked at run time) ->
      prioqueue -> gopbuffer (outputs: request pads, with the audio) ->
      avsync -> the ladder (or passthrough) -> dashlivesink under @mount

    The ladder's keyframes come from a fixed GOP (no Python pad probe on
    every frame, the runner's keyframe requests)."""
    import copy
    a = copy.copy(args)
    a.output = location
    a.http_mount = mount
    a.fixed_gop = True
    a.pipeline = "stream"
    plan = Plan("stream")
    plan.audio = not a.no_audio
    if a.on_loss is None:
        a.on_loss = "freeze"
    transcode = bool(a.ladder)
    _dash(plan, env, a)
    env.require("tsdemux", "h264parse", "valve")
    plan.slots["video"] = Slot("video", "vqueue", _video_parsers())
    if plan.audio:
        plan.slots["audio"] = Slot("audio", "aqueue",
                                   _audio_parsers(not transcode))
    plan.demux = "demux"
    plan.add(el("valve", "valve", drop_mode="forward-sticky-events") + " ! " +
             el("tsdemux", "demux", latency=max(100, a.srt_latency)))
    plan.explain("valve", "valve drop-mode=forward-sticky-events: pause "
                 "drops the publisher's data (the publisher stays "
                 "connected); resume starts again at a keyframe (the first "
                 "buffer after it is DISCONT)")
    vq = _queue(plan, env, a, "vqueue", "video")
    gop = _gop(plan, env, a)
    if not gop:
        raise BuildError("livestream-server needs gopbuffer (previews, "
                         "outputs)")
    _restream(plan, env, a, vq, gop, transcode)
    return plan


def build_plan(args, env):
    kind = args.pipeline
    plan = Plan(kind)
    plan.audio = not args.no_audio
    input_ = getattr(args, "input", "srt" if kind == "srt-to-dash" else "rtp")
    if args.on_loss is None:
        args.on_loss = "conceal" if input_ == "rtp" else "freeze"
    transcode = kind in ("srt-to-dash", "rtp-to-dash") or \
        getattr(args, "transcode", False)
    _dash(plan, env, args)
    _front(plan, env, args, input_, aac_only=not transcode)

    vq = _queue(plan, env, args, "vqueue", "video")
    gop = _gop(plan, env, args)
    if kind == "restream":
        _restream(plan, env, args, vq, gop, transcode)
        return plan
    plan.eos_targets = {"video": "vqueue", "audio": "aqueue"}
    video = [vq] + ([gop] if gop else [])
    if gop and args.on_loss == "freeze":
        plan.explain("gop", "gopbuffer after the queue: after a reconnect, a "
                     "DISCONT or a shed GOP it lets nothing through before a "
                     "keyframe, so the decoder (or the segmenter) always "
                     "starts clean; its cache gives instant previews "
                     "(last-keyframe) and joins")
    elif gop:
        plan.explain("gop", "gopbuffer start-on-keyframe=false (--on-loss "
                     "conceal): a lost packet does not freeze the rest of "
                     "the GOP, the decoder conceals it; the cache still "
                     "gives previews (last-keyframe) and joins")
    plan.add(" ! ".join(video))
    vref = video[-1].split()[1].split("=")[1] + "."
    aref = None
    if plan.audio:
        plan.add(_queue(plan, env, args, "aqueue", "audio"))
        aref = "aqueue."
    if transcode:
        vref, aref = _avsync(plan, env, vref, aref)
        _transcode(plan, env, args, vref, aref)
    else:
        plan.add(vref + " ! " + _sink_ref(plan, args, "video", 0))
        if plan.audio:
            plan.add(aref + " ! " + _sink_ref(plan, args, "audio", 0))
    return plan


def _restream(plan, env, args, vq, gop, transcode):
    """One ingest fanned out: DASH from gopbuffer's always src pad, SRT
    outputs from its request pads (src_%u, with audio_src_%u)."""
    env.require("mpegtsmux", "srtsink")
    plan.eos_targets = {"video": "vqueue", "audio": "aqueue"}
    if not gop:
        env.require("tee")
        plan.fallbacks.append("gopbuffer not found: outputs hang off a tee "
                              "and start on whatever frame comes next")
        plan.add(vq + " ! " + el("tee", "gop", allow_not_linked=True))
        plan.restream = RestreamInfo("gop", None)
        dash_v = "gop."
        if plan.audio:
            plan.add(_queue(plan, env, args, "aqueue", "audio") + " ! " +
                     el("tee", "atee", allow_not_linked=True))
            plan.restream.audio_tee = "atee"
            dash_a = "atee."
    else:
        plan.add(vq + " ! " + gop)
        plan.explain("gop", "gopbuffer: each SRT output is a request pad; one "
                     "added while PLAYING gets the cached GOP from its "
                     "keyframe (catch-up) and decodes at once; a lagging "
                     "output drops whole GOPs without holding back DASH")
        plan.restream = RestreamInfo("gop", "audio_src_%u")
        dash_v = "gop.src"
        if plan.audio:
            plan.add(_queue(plan, env, args, "aqueue", "audio") +
                     " ! gop.audio_sink")
            dash_a = "gop.audio_src"
    if transcode:
        plan.add(dash_v + " ! " + el("queue", "dashvq"))
        aref = None
        if plan.audio:
            plan.add(dash_a + " ! " + el("queue", "dashaq"))
            aref = "dashaq."
        vref, aref = _avsync(plan, env, "dashvq.", aref)
        _transcode(plan, env, args, vref, aref)
    else:
        plan.add(dash_v + " ! " + el("queue", "dashvq") + " ! " +
                 _sink_ref(plan, args, "video", 0))
        if plan.audio:
            plan.add(dash_a + " ! " + el("queue", "dashaq") + " ! " +
                     _sink_ref(plan, args, "audio", 0))


def output_branch_description(uri, index, audio, kind="srt"):
    """A restream output: MPEG-TS over SRT (srtsink) or FLV over RTMP
    (rtmp2sink). Ghost pads 'video' (and 'audio'). The sink neither blocks
    nor reconnects by itself: the output is linked once its connection is
    up, and a broken connection is an error after which the output is
    rebuilt and starts again at the cached keyframe (outputs.py)."""
    vq = el("queue", f"out{index}_vq", max_size_time=2 * Gst.SECOND,
            max_size_buffers=0, max_size_bytes=0)
    aq = el("queue", f"out{index}_aq", max_size_time=2 * Gst.SECOND,
            max_size_buffers=0, max_size_bytes=0)
    if kind == "rtmp":
        parts = [vq + " ! " + el("h264parse", f"out{index}_vparse") +
                 " ! video/x-h264,stream-format=avc,alignment=au ! "
                 f"out{index}_mux.",
                 el("flvmux", f"out{index}_mux", streamable=True) + " ! " +
                 el("rtmp2sink", f"out{index}_sink", location=uri,
                    async_connect=True, sync=False, **{"async": False})]
        if audio:
            parts.append(aq + " ! " + el("aacparse", f"out{index}_aparse") +
                         f" ! out{index}_mux.")
        return "  ".join(parts)
    parts = [vq + " ! " +
             el("h264parse", f"out{index}_vparse", config_interval=-1) +
             f" ! out{index}_mux.",
             el("mpegtsmux", f"out{index}_mux", alignment=7) + " ! " +
             el("srtsink", f"out{index}_sink", uri=uri,
                wait_for_connection=False, auto_reconnect=False, sync=False,
                **{"async": False})]
    if audio:
        parts.append(aq + f" ! out{index}_mux.")
    return "  ".join(parts)


def force_keyframes(pad, interval_ns, origin=None, lead=0):
    """Before the first buffer of every interval of running time (counted
    from the first buffer, or from @origin: 0 when the running time is UTC,
    --epoch-lock; the intervals begin @lead ns early), push a
    downstream force-key-unit event ahead of it on @pad (a src pad feeding
    the ladder's tee). The event carries no running time: GstVideoEncoder
    in 1.22 ignores timed requests from upstream once x264enc's 1000 h
    minimum PTS offset is applied, while an untimed request applies to the
    very next frame, which is the same frame in every rung."""
    state = {"slot": None, "count": 0, "origin": origin}

    def probe(p, info):
        buf = info.get_buffer()
        if buf is None or buf.pts == Gst.CLOCK_TIME_NONE:
            return Gst.PadProbeReturn.OK
        ev = p.get_sticky_event(Gst.EventType.SEGMENT, 0)
        if ev is None:
            return Gst.PadProbeReturn.OK
        seg = ev.parse_segment()
        rt = seg.to_running_time(Gst.Format.TIME, buf.pts)
        if rt == Gst.CLOCK_TIME_NONE or rt < 0:
            return Gst.PadProbeReturn.OK
        if state["origin"] is None:
            # slots counted from the first frame: the first segment is as
            # long as the others
            state["origin"] = rt
        if rt < state["origin"]:
            return Gst.PadProbeReturn.OK
        slot = ladder.keyframe_index(rt - state["origin"] + lead, interval_ns)
        if slot != state["slot"]:
            state["slot"] = slot
            state["count"] += 1
            st = seg.to_stream_time(Gst.Format.TIME, buf.pts)
            p.push_event(GstVideo.video_event_new_downstream_force_key_unit(
                buf.pts, st, Gst.CLOCK_TIME_NONE, True, state["count"]))
        return Gst.PadProbeReturn.OK

    pad.add_probe(Gst.PadProbeType.BUFFER, probe)
    return state
