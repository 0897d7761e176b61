# The command line of pipelines/livestream-run: one sub-command per pipeline.
"""Command-line options of every sub-command, with their defaults."""

import argparse
import textwrap

from . import ladder

PIPELINES = {
    "srt-to-dash": "SRT (MPEG-TS) listener -> x264enc ABR ladder -> live DASH/HLS",
    "rtp-to-dash": "RTP (H.264 + audio) via rtpbin -> x264enc ABR ladder -> live DASH/HLS",
    "passthrough": "SRT or RTP H.264 repackaged into live DASH/HLS, no transcoding",
    "restream": "SRT or RTP ingest fanned out to DASH and to SRT outputs via gopbuffer",
}

EPILOG = textwrap.dedent("""\
    While running, a status line every --status-interval seconds:
      in      ingest bitrate (bytes leaving the network source)
      segs    media segments published by dashlivesink (all representations)
      drops   frames/packets dropped, by element (prioqueue shed, chunkreorder
              lost/late, gopbuffer lag drops, dashlivesink); '-' when none
      A/V     audio/video offset measured by avsync (positive: video late)
      live    estimated live latency: the player's target, or more when the
              newest published media is older than that ("edge": time since
              the newest sample entered dashlivesink plus one chunk); the
              player page shows what the player really gets
      cpu     CPU used by this process, in % of one core

    Ctrl-C (SIGINT) or SIGTERM: EOS is sent, the run waits for it at most
    --eos-timeout seconds, dashlivesink finalises the MPD (static, VOD), and
    the program exits. A second Ctrl-C stops at once.

    Exit status: 0 finished cleanly (EOS), 1 pipeline error, 2 bad options,
    3 EOS not reached within --eos-timeout after an interrupt.""")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Shows '(default: X)' unless the default is None/False or the help
    already tells it."""

    def _get_help_string(self, action):
        h = action.help or ""
        d = action.default
        if "default" in h or d in (None, False, argparse.SUPPRESS) or \
                action.option_strings == [] or d == set():
            return h
        if isinstance(d, list):
            if not d:
                return h
            d = ",".join(str(x) for x in d)
        return h + f" (default: {d})"


def _seconds(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text}")
    if v < 0:
        raise argparse.ArgumentTypeError(f"negative duration: {text}")
    return v


def _port(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0..65535: {text}")
    return v


def _ladder(text):
    try:
        return ladder.parse_ladder(text)
    except ladder.LadderError as e:
        raise argparse.ArgumentTypeError(str(e))


def _elements(text):
    allowed = {"prioqueue", "gopbuffer", "avsync", "chunkreorder"}
    names = {t.strip() for t in text.split(",") if t.strip()}
    bad = names - allowed
    if bad:
        raise argparse.ArgumentTypeError(
            f"--without takes {', '.join(sorted(allowed))}; not {', '.join(sorted(bad))}")
    return names


def _add_output(p):
    g = p.add_argument_group("DASH output (dashlivesink)")
    g.add_argument("-o", "--output", default="out/live", metavar="DIR",
                   help="directory of the MPD, HLS playlists and segments")
    g.add_argument("--mpd-name", default="manifest.mpd",
                   help="file name of the MPD")
    g.add_argument("--segment-duration", type=_seconds, default=2.0, metavar="S",
                   help="target segment duration; also the keyframe interval "
                        "of the ladder")
    g.add_argument("--chunk-duration", type=_seconds, default=0.2, metavar="S",
                   help="CMAF chunk duration for low-latency DASH (0 = whole "
                        "segments)")
    g.add_argument("--dvr-window", type=_seconds, default=120.0, metavar="S",
                   help="time-shift window kept on disk and in the manifests "
                        "(0 = keep everything)")
    g.add_argument("--target-latency", type=_seconds, default=1.5, metavar="S",
                   help="live latency the player aims for (MPD "
                        "ServiceDescription)")
    g.add_argument("--http-port", type=_port, default=8080,
                   help="port of dashlivesink's embedded HTTP server and "
                        "player page (0 = off)")
    g.add_argument("--http-address", default="127.0.0.1",
                   help="address the HTTP server listens on")
    g.add_argument("--sink", choices=("dash", "fake"), default="dash",
                   help="'fake' replaces dashlivesink with fakesinks (CPU and "
                        "ingest measurements without output)")
    g.add_argument("--no-resume", dest="resume", action="store_false",
                   default=True,
                   help="start a new presentation even when --output holds "
                        "a live one of the same configuration (by default a "
                        "restarted run continues it: same MPD, a new Period, "
                        "the DVR window kept)")


def _add_ladder(p):
    g = p.add_argument_group("transcoding (x264enc ladder, AAC audio)")
    g.add_argument("--ladder", type=_ladder, default=ladder.DEFAULT_LADDER,
                   metavar="RUNGS",
                   help="comma-separated rungs: named (" +
                        ", ".join(str(r) for r in ladder.NAMED_RUNGS.values()) +
                        "), NAME@KBPSk to change a bitrate, or NAME=WxH@KBPSk")
    g.add_argument("--x264-preset", default="veryfast",
                   choices=("ultrafast", "superfast", "veryfast", "faster",
                            "fast", "medium"),
                   help="x264enc speed-preset (tune is always zerolatency)")
    g.add_argument("--fps", type=int, default=30, metavar="N",
                   help="frame rate of the ladder (live: the compositor "
                        "produces exactly this many frames a second)")
    g.add_argument("--no-continuous", dest="continuous",
                   action="store_false", default=True,
                   help="do not keep the output going while the sender is "
                        "away (by default a live compositor/audiomixer repeat "
                        "the last picture and play silence, so the DASH "
                        "timeline stays continuous across reconnects)")
    g.add_argument("--mix-latency", type=_seconds, default=0.2, metavar="S",
                   help="extra time the compositor/audiomixer wait for late "
                        "ingest data before producing a frame without it")
    g.add_argument("--keyframe-interval", type=_seconds, default=None,
                   metavar="S",
                   help="forced keyframe interval, identical in every rung "
                        "(default: --segment-duration)")
    g.add_argument("--epoch-lock", action="store_true",
                   help="redundant producers: the pipeline runs on the "
                        "system's UTC clock, frames, AAC frames and "
                        "keyframes fall on a grid counted from the Unix "
                        "epoch, and dashlivesink names segments by that "
                        "clock (timeline=clock): two runs fed the same "
                        "source on NTP-synchronised machines write the same "
                        "segment names and timeline (live, continuous only)")


def _add_audio(p, transcode):
    g = p.add_argument_group("audio")
    if transcode:
        g.add_argument("--audio-bitrate", type=int, default=128, metavar="KBPS",
                       help="AAC bitrate")
        g.add_argument("--aac-rate", type=int, default=48000, metavar="HZ",
                       help="sample rate of the AAC output")
        g.add_argument("--aac-channels", type=int, default=2, choices=(1, 2),
                       help="channels of the AAC output")
    g.add_argument("--no-audio", action="store_true",
                   help="ignore the audio of the ingest")


def _add_srt(p, prefix=""):
    g = p.add_argument_group("SRT ingest (srtsrc, listener)")
    g.add_argument("--srt-port", type=_port, default=9000,
                   help="UDP port srtsrc listens on")
    g.add_argument("--srt-address", default="127.0.0.1",
                   help="address srtsrc listens on (0.0.0.0: every interface)")
    g.add_argument("--srt-latency", type=int, default=125, metavar="MS",
                   help="SRT receiver latency (retransmission window)")
    g.add_argument("--stream-id", default=None,
                   help="accept only callers with this SRT stream id "
                        "(default: any; the id is logged)")
    g.add_argument("--passphrase", default=None,
                   help="SRT encryption passphrase (10..79 characters)")
    g.add_argument("--input-file", default=None, metavar="TS",
                   help="read MPEG-TS from this file instead of SRT, as fast "
                        "as possible (the non-live variant, for tests and "
                        "benchmarks): queues block instead of shedding")


def _add_rtp(p):
    g = p.add_argument_group("RTP ingest (udpsrc, rtpbin)")
    g.add_argument("--rtp-address", default="127.0.0.1",
                   help="address (or multicast group) the RTP ports listen on")
    g.add_argument("--video-port", type=_port, default=5004,
                   help="RTP port of the H.264 video; RTCP on the next port")
    g.add_argument("--audio-port", type=_port, default=5006,
                   help="RTP port of the audio; RTCP on the next port")
    g.add_argument("--video-pt", type=int, default=96,
                   help="RTP payload type of the H.264 video")
    g.add_argument("--audio-pt", type=int, default=97,
                   help="RTP payload type of the audio")
    g.add_argument("--audio-encoding", default="OPUS",
                   choices=("OPUS", "MPEG4-GENERIC", "L16", "PCMU", "PCMA"),
                   help="RTP audio encoding (MPEG4-GENERIC is AAC, needs "
                        "--audio-config or --sdp)")
    g.add_argument("--audio-rate", type=int, default=None,
                   help="audio clock rate (default: 48000, 8000 for PCMU/PCMA)")
    g.add_argument("--audio-channels", type=int, default=2,
                   help="audio channels (L16, MPEG4-GENERIC)")
    g.add_argument("--audio-config", default=None, metavar="HEX",
                   help="MPEG4-GENERIC AudioSpecificConfig (SDP fmtp config)")
    g.add_argument("--sdp", default=None, metavar="FILE",
                   help="take payload types, encodings and ports from an "
                        "SDP file (e.g. the one ffmpeg -f rtp prints)")
    g.add_argument("--rtp-latency", type=int, default=100, metavar="MS",
                   help="rtpbin jitterbuffer latency; chunkreorder in front "
                        "already restores the order")
    g.add_argument("--reorder-window", type=int, default=64, metavar="PKTS",
                   help="chunkreorder window (out-of-order distance held)")
    g.add_argument("--reorder-timeout", type=int, default=50, metavar="MS",
                   help="chunkreorder timeout: longest time a hole holds "
                        "packets back")


def _add_common(p):
    g = p.add_argument_group("pipeline")
    g.add_argument("--queue-time", type=_seconds, default=1.0, metavar="S",
                   help="prioqueue max-size-time: beyond this much backlog "
                        "between ingest and transcoding it sheds frames, "
                        "least important first")
    g.add_argument("--on-loss", choices=("freeze", "conceal"), default=None,
                   help="after lost data (a DISCONT delta frame): 'freeze' "
                        "drops everything up to the next keyframe in "
                        "gopbuffer (the output holds the last good picture), "
                        "'conceal' lets the decoder conceal the damage "
                        "(default: freeze for SRT, whose losses are rare "
                        "since it retransmits; conceal for RTP, where a "
                        "1%% loss would freeze most of every GOP)")
    g.add_argument("--gop-cache", type=int, default=1, metavar="N",
                   help="gopbuffer max-gops (GOPs cached for joins and clean "
                        "starts)")
    g.add_argument("--without", type=_elements, default=set(),
                   metavar="ELEMENTS",
                   help="leave out some of this project's elements "
                        "(prioqueue,gopbuffer,avsync,chunkreorder) for "
                        "comparison; prioqueue becomes a leaky queue")
    g.add_argument("--duration", type=_seconds, default=0, metavar="S",
                   help="stop cleanly (EOS) after this many seconds (0 = "
                        "run until interrupted)")
    g.add_argument("--eos-timeout", type=_seconds, default=10.0, metavar="S",
                   help="longest wait for EOS to reach the sinks on shutdown")
    g.add_argument("--idle-timeout", type=_seconds, default=0, metavar="S",
                   help="stop (EOS) when no ingest data arrived for this long "
                        "after the first data (0 = wait forever)")
    g.add_argument("--status-interval", type=_seconds, default=5.0,
                   metavar="S", help="seconds between status lines (0 = off)")
    g.add_argument("--status-format", choices=("text", "json"), default="text",
                   help="status lines as text or one JSON object per line")
    g.add_argument("--print-pipeline", action="store_true",
                   help="print the pipeline description before starting")
    g.add_argument("--dot-dir", default=None, metavar="DIR",
                   help="write pipeline graphs (.dot) there on start and on "
                        "errors")
    g.add_argument("-q", "--quiet", action="store_true",
                   help="only errors and the final summary")


def _input_choice(p):
    p.add_argument("--input", choices=("srt", "rtp"), default="srt",
                   help="ingest protocol")


def _add_restream(p):
    g = p.add_argument_group("restream outputs (srtsink via gopbuffer request pads)")
    g.add_argument("--srt-output", action="append", default=[], metavar="URI",
                   help="SRT output, e.g. srt://127.0.0.1:9100?mode=caller "
                        "(repeatable)")
    g.add_argument("--add-outputs-after", type=_seconds, default=0,
                   metavar="S",
                   help="add the --srt-output outputs this long after start "
                        "(mid-stream joins start on the cached keyframe)")
    g.add_argument("--output-retry", type=_seconds, default=5.0, metavar="S",
                   help="an output that fails or does not connect within "
                        "5 s is taken down and tried again after this long, "
                        "then 2, 4, ... times that, at most 60 s (0 = never)")
    g.add_argument("--control", action="store_true",
                   help="read commands from stdin: 'add URI', 'remove URI', "
                        "'list'")
    g.add_argument("--transcode", action="store_true",
                   help="the DASH branch goes through the x264enc ladder "
                        "instead of passthrough")


def build_parser():
    top = argparse.ArgumentParser(
        prog="livestream-run",
        description="Live ingest to DASH with the gst-livestream elements.",
        formatter_class=_Formatter, epilog=EPILOG)
    top.add_argument("--plugin-path", default=None, metavar="DIR",
                     help="where libgstlivestream.so is (default: "
                          "$GST_PLUGIN_PATH, else the build/gst directory of "
                          "this checkout)")
    sub = top.add_subparsers(dest="pipeline", metavar="PIPELINE")
    sub.required = True
    for name, desc in PIPELINES.items():
        p = sub.add_parser(name, help=desc, description=desc,
                           formatter_class=_Formatter, epilog=EPILOG)
        if name == "srt-to-dash":
            _add_srt(p)
            _add_ladder(p)
            _add_audio(p, True)
        elif name == "rtp-to-dash":
            _add_rtp(p)
            _add_ladder(p)
            _add_audio(p, True)
        elif name == "passthrough":
            _input_choice(p)
            _add_srt(p)
            _add_rtp(p)
            _add_audio(p, False)
        elif name == "restream":
            _input_choice(p)
            _add_srt(p)
            _add_rtp(p)
            _add_restream(p)
            _add_ladder(p)
            _add_audio(p, True)
        _add_output(p)
        _add_common(p)
    return top


def check(args):
    """Cross-option checks argparse cannot do; returns an error or None."""
    if args.segment_duration < 0.2:
        return "--segment-duration must be at least 0.2 s"
    if args.chunk_duration and args.chunk_duration >= args.segment_duration:
        return "--chunk-duration must be shorter than --segment-duration"
    kfi = getattr(args, "keyframe_interval", None)
    if kfi is not None and kfi < 0.1:
        return "--keyframe-interval must be at least 0.1 s"
    if getattr(args, "passphrase", None) is not None and \
            not 10 <= len(args.passphrase) <= 79:
        return "--passphrase must be 10..79 characters"
    if getattr(args, "audio_bitrate", 128) not in range(16, 513):
        return "--audio-bitrate must be 16..512 kbps"
    if getattr(args, "audio_encoding", None) == "MPEG4-GENERIC" and \
            not args.audio_config and not args.sdp and not args.no_audio:
        return "--audio-encoding MPEG4-GENERIC needs --audio-config or --sdp"
    if getattr(args, "aac_rate", 48000) not in (8000, 11025, 12000, 16000,
                                                22050, 24000, 32000, 44100,
                                                48000, 88200, 96000):
        return "--aac-rate must be an AAC sample rate (8000..96000)"
    if not 1 <= getattr(args, "fps", 30) <= 120:
        return "--fps must be 1..120"
    if getattr(args, "reorder_window", 1) < 1:
        return "--reorder-window must be at least 1"
    if getattr(args, "epoch_lock", False):
        if not getattr(args, "continuous", True) or \
                getattr(args, "input_file", None):
            return ("--epoch-lock needs the live compositor (not with "
                    "--no-continuous or --input-file)")
        if getattr(args, "pipeline", "") == "restream" and \
                not getattr(args, "transcode", False):
            return "--epoch-lock needs --transcode with restream"
        kfi = args.keyframe_interval or args.segment_duration
        if round(kfi * 1e9) % round(args.segment_duration * 1e9):
            return "--epoch-lock needs keyframes on the segment grid"
    return None


# --- livestream-server ---------------------------------------------------------

def _server_ladder(text):
    if text.strip().lower() in ("passthrough", "none", "copy"):
        return []
    return _ladder(text)


def _bytes(text):
    """1048576, 64M, 64MiB, 2G ..."""
    t = text.strip().upper().rstrip("B").rstrip("I")
    mult = 1
    if t and t[-1] in "KMG":
        mult = 1 << {"K": 10, "M": 20, "G": 30}[t[-1]]
        t = t[:-1]
    try:
        v = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text} (e.g. 64M)")
    if v < 0:
        raise argparse.ArgumentTypeError(f"negative size: {text}")
    return v


SERVER_EPILOG = textwrap.dedent("""\
    Each publisher calls srt://HOST:SRT_PORT with its SRT stream id (plain
    `cam1`, or `#!::r=cam1,m=publish`); it becomes stream `cam1`:
      DIR/cam1/                         MPD, HLS playlists, segments
      http://HOST:HTTP_PORT/live/cam1/  player page (manifest.mpd, master.m3u8)
      http://HOST:HTTP_PORT/api/v1/     the REST API (docs/server.md)
      http://HOST:HTTP_PORT/metrics     Prometheus text, stream="cam1" labels

    Ctrl-C (SIGINT) or SIGTERM: every stream ends (EOS, static MPD), at most
    --eos-timeout seconds. Exit status: 0 clean, 1 error, 2 bad options,
    3 streams not finalised in time.""")


def build_server_parser():
    p = argparse.ArgumentParser(
        prog="livestream-server",
        description="Many SRT publishers on one port -> live DASH/HLS on one "
                    "HTTP port, with a REST API, previews, sync control, "
                    "restream outputs and per-stream limits.",
        formatter_class=_Formatter, epilog=SERVER_EPILOG)
    p.add_argument("--plugin-path", default=None, metavar="DIR",
                   help="where the plug-ins are (default: $GST_PLUGIN_PATH, "
                        "else build/gst of this checkout)")
    g = p.add_argument_group("SRT ingest (srtingestsrc)")
    g.add_argument("--srt-port", type=_port, default=9000,
                   help="UDP port for every publisher (0: a free one)")
    g.add_argument("--srt-address", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every interface)")
    g.add_argument("--srt-latency", type=int, default=125, metavar="MS",
                   help="SRT receiver latency")
    g.add_argument("--passphrase", default=None,
                   help="publishers must encrypt with it (10..79 characters)")
    g.add_argument("--allowed-ids", default=None, metavar="ID,...",
                   type=lambda t: [x.strip() for x in t.split(",")
                                   if x.strip()],
                   help="accept only these stream names (default: any)")
    g.add_argument("--max-streams", type=int, default=25, metavar="N",
                   help="streams at most; more callers are refused at SRT "
                        "accept (counted)")
    g.add_argument("--grace-period", type=_seconds, default=10.0,
                   metavar="S",
                   help="a publisher that reconnects within this long "
                        "continues its stream")
    g = p.add_argument_group("limits and degradation")
    g.add_argument("--max-stream-bytes", type=_bytes, default=64 << 20,
                   metavar="SIZE",
                   help="memory bound of one stream's queues and GOP cache "
                        "(64M)")
    g.add_argument("--max-total-bytes", type=_bytes, default=0,
                   metavar="SIZE",
                   help="memory budget of all streams: a new stream is "
                        "refused at SRT accept when its bound does not fit "
                        "(default: max-streams x max-stream-bytes)")
    g.add_argument("--no-degrade", dest="degrade", action="store_false",
                   default=True,
                   help="never switch a stream's encoders to a faster preset "
                        "when they fall behind real time")
    g.add_argument("--degrade-recover", type=_seconds, default=30.0,
                   metavar="S",
                   help="seconds without backlog before a degraded stream "
                        "steps back up (doubled after each relapse)")
    g.add_argument("--max-outputs", type=int, default=4, metavar="N",
                   help="restream outputs of one stream at most: one more "
                        "through the API is refused (409, counted)")
    g.add_argument("--output-retry", type=_seconds, default=1.0, metavar="S",
                   help="an output that fails is tried again after this "
                        "long, then 2, 4, ... times that (at most 60 s)")
    g.add_argument("--public-host", default=None, metavar="HOST",
                   help="host name in the URLs the API gives (default: "
                        "--http-address)")
    _add_output(p)
    p.set_defaults(output="out/server")
    _add_ladder(p)
    for a in p._actions:
        if a.dest == "ladder":
            a.type = _server_ladder
            a.help += "; 'passthrough' for no transcoding"
    _add_audio(p, True)
    _add_common(p)
    return p


def check_server(args):
    err = check(args)
    if err:
        return err
    if not 1 <= args.max_streams <= 1024:
        return "--max-streams must be 1..1024"
    if args.http_port == 0:
        return "--http-port must be set (the streams and the API are served " \
               "there)"
    if not 0 <= args.max_outputs <= 64:
        return "--max-outputs must be 0..64"
    if args.max_stream_bytes < (4 << 20):
        return "--max-stream-bytes must be at least 4M"
    if args.max_total_bytes and args.max_total_bytes < args.max_stream_bytes:
        return "--max-total-bytes must be at least --max-stream-bytes"
    args.pipeline = "server"
    args.stream_id = None
    args.input_file = None
    return None
