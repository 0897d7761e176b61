# What pipelines/file-to-dash makes of a source: the rungs at or below its
# resolution, which of them is copied instead of encoded, the GOP every
# encoder uses so that all rungs cut their segments on the same frames, and
# whether the audio is copied.
#
# Pure Python, no GStreamer import: tested by tests/integration/vod/test_units.py.
"""The on-demand ladder plan."""

import math
from dataclasses import dataclass, field

from . import ladder

NS = 1_000_000_000

# H.264 profiles every browser decodes (8-bit 4:2:0) and that may share an
# AdaptationSet with the x264 rungs
COPY_PROFILES = ("constrained-baseline", "baseline", "main", "high",
                 "progressive-high", "constrained-high")
# a source above the rung's bitrate by more than this is encoded, not copied
COPY_MAX_RATIO = 1.25
# rungs below a copied one stay under this share of its real bitrate, so
# the ladder's bandwidths keep the order of its resolutions
BELOW_COPY_RATIO = 0.75
# longest GOP of a copied source (its GOP becomes the segment duration)
COPY_MAX_GOP_S = 10.0
AAC_COPY_RATES = (44100, 48000)
AAC_COPY_MAX_KBPS = 320


@dataclass
class VideoSource:
    codec: str                   # caps name: video/x-h264, video/x-h265, ...
    width: int
    height: int
    par: tuple = (1, 1)
    fps: tuple = None            # (n, d); None or (0, 1): variable
    profile: str = None
    interlaced: bool = False
    kbps: float = None           # average over the file, None = unknown
    gop: int = None              # frames between keyframes when regular
    gop_note: str = None         # why the GOP is not known/regular


@dataclass
class AudioSource:
    codec: str                   # caps name
    mpegversion: int = 0
    profile: str = None          # AAC: "lc", "he-aac", ...
    rate: int = 0
    channels: int = 0
    kbps: float = None


@dataclass
class VideoOutput:
    id: str                      # dashlivesink pad / Representation id
    name: str                    # rung name: 1080p
    width: int
    height: int
    kbps: int
    mode: str                    # "copy" or "encode"

    def as_dict(self):
        return {"id": self.id, "name": self.name, "width": self.width,
                "height": self.height, "kbps": self.kbps, "mode": self.mode}


@dataclass
class AudioOutput:
    id: str
    mode: str                    # "copy" or "encode"
    kbps: int
    rate: int
    channels: int

    def as_dict(self):
        return {"id": self.id, "mode": self.mode, "kbps": self.kbps,
                "rate": self.rate, "channels": self.channels}


@dataclass
class Plan:
    video: list = field(default_factory=list)     # VideoOutput, top first
    audio: AudioOutput = None
    keyint: int = 0              # frames between keyframes of every rung
    segment_ns: int = 0          # dashlivesink segment-duration
    fps: tuple = None
    notes: list = field(default_factory=list)     # decisions, for the log

    @property
    def copies(self):
        return [v for v in self.video if v.mode == "copy"]

    @property
    def encodes(self):
        return [v for v in self.video if v.mode == "encode"]


def _even(x):
    return max(2, int(round(x / 2.0)) * 2)


def display_aspect(src):
    pn, pd = src.par if src.par and src.par[1] else (1, 1)
    return (src.width * pn) / float(src.height * pd)


def fit(box_w, box_h, aspect):
    """The largest even size with @aspect inside box_w x box_h."""
    if aspect >= box_w / float(box_h):
        return box_w - box_w % 2, _even(box_w / aspect)
    return _even(box_h * aspect), box_h - box_h % 2


def source_square_size(src):
    """The source's picture in square pixels (its display size)."""
    return _even(src.height * display_aspect(src)), src.height


def select_rungs(rungs, src):
    """[(rung, width, height)] for the rungs at or below the source: each
    rung's box fitted to the source's display aspect ratio, kept when it
    is not larger than the source. None at or below it: one rung at the
    source's own size with the lowest rung's bitrate scaled by area."""
    aspect = display_aspect(src)
    sw, sh = source_square_size(src)
    out = []
    for r in rungs:
        w, h = fit(r.width, r.height, aspect)
        if w <= sw + 2 and h <= sh:
            out.append((r, min(w, sw), h))
    if out:
        return out
    low = min(rungs, key=lambda r: r.width * r.height)
    kbps = max(100, int(low.kbps * (sw * sh) / float(low.width * low.height)))
    return [(ladder.Rung(f"{sh}p", sw, sh, min(kbps, low.kbps)), sw, sh)]


def frame_ns(fps):
    if not fps or not fps[0] or not fps[1]:
        return None
    return NS * fps[1] / float(fps[0])


def copy_refusal(src, rung, w, h):
    """Why the source's video cannot be this rung unchanged, or None."""
    if src.codec != "video/x-h264":
        return f"{src.codec.split('/')[-1]} is not H.264"
    if src.profile and src.profile not in COPY_PROFILES:
        return f"H.264 profile {src.profile} is not one every player decodes"
    if src.interlaced:
        return "interlaced"
    if tuple(src.par or (1, 1)) not in ((1, 1), (0, 1)):
        return "non-square pixels"
    if (src.width, src.height) != (w, h):
        return f"{src.width}x{src.height} is not the rung's {w}x{h}"
    if src.kbps is None:
        return "bitrate unknown"
    if src.kbps > COPY_MAX_RATIO * rung.kbps:
        return (f"{src.kbps:.0f} kbps is above {COPY_MAX_RATIO:g} x the "
                f"rung's {rung.kbps} kbps")
    fns = frame_ns(src.fps)
    if fns is None:
        return "variable frame rate"
    if not src.gop:
        return src.gop_note or "keyframe positions unknown"
    if src.gop * fns > COPY_MAX_GOP_S * NS:
        return f"GOP of {src.gop * fns / NS:.1f} s is longer than " \
               f"{COPY_MAX_GOP_S:g} s"
    return None


def audio_copy_refusal(a):
    if a.codec != "audio/mpeg" or a.mpegversion not in (2, 4):
        return f"{a.codec} is not AAC"
    if a.profile and a.profile != "lc":
        return f"AAC profile {a.profile} is not LC"
    if a.channels > 2:
        return f"{a.channels} channels"
    if a.rate not in AAC_COPY_RATES:
        return f"{a.rate} Hz"
    if a.kbps is not None and a.kbps > AAC_COPY_MAX_KBPS:
        return f"{a.kbps:.0f} kbps"
    return None


def make_plan(video, audio, rungs, segment_s=2.0, copy=True, audio_kbps=128,
              aac_rate=48000):
    """The plan for a source with @video (VideoSource or None) and @audio
    (AudioSource or None), from the ladder @rungs (sorted, top first)."""
    plan = Plan()
    if video is None and audio is None:
        raise ValueError("no audio or video stream")
    if video is not None:
        chosen = select_rungs(rungs, video)
        fns = frame_ns(video.fps)
        plan.fps = video.fps if fns else None
        top_rung, tw, th = chosen[0]
        refusal = copy_refusal(video, top_rung, tw, th) if copy else \
            "copying disabled (--no-copy)"
        if refusal is None:
            gop_ns = video.gop * fns
            n = max(1, int(round(segment_s * NS / gop_ns)))
            plan.keyint = video.gop
            plan.segment_ns = int(round(n * gop_ns))
            plan.notes.append(
                f"{top_rung.name}: the source ({video.width}x{video.height}, "
                f"{video.kbps:.0f} kbps, a keyframe every {video.gop} frames) "
                f"is copied; the other rungs are encoded with the same GOP; "
                f"segments of {plan.segment_ns / NS:.3f} s")
        else:
            plan.notes.append(f"{top_rung.name}: encoded ({refusal})")
            fps = (fns and NS / fns) or 30.0
            plan.keyint = ladder.keyframe_frames(fps, segment_s)
            plan.segment_ns = int(round(plan.keyint * fns)) if fns else \
                int(segment_s * NS)
        cap = None
        for i, (r, w, h) in enumerate(chosen):
            mode = "copy" if i == 0 and refusal is None else "encode"
            kbps = r.kbps
            if mode == "copy":
                kbps = int(math.ceil(video.kbps))
                cap = int(kbps * BELOW_COPY_RATIO)
            elif cap is not None and kbps > cap:
                plan.notes.append(f"{r.name}: {cap} kbps instead of {kbps} "
                                  "(below the copied rung)")
                kbps = max(cap, 64)
            plan.video.append(VideoOutput(f"video_{i}", r.name, w, h, kbps,
                                          mode))
    else:
        plan.segment_ns = int(segment_s * NS)
    if audio is not None:
        refusal = audio_copy_refusal(audio) if copy else "copying disabled"
        if refusal is None:
            plan.audio = AudioOutput("audio_0", "copy",
                                     int(audio.kbps or audio_kbps),
                                     audio.rate, audio.channels)
            plan.notes.append("audio: AAC copied")
        else:
            plan.audio = AudioOutput("audio_0", "encode", audio_kbps,
                                     aac_rate, min(max(audio.channels, 1), 2))
            plan.notes.append(f"audio: encoded to AAC {audio_kbps} kbps "
                              f"({refusal})")
    return plan


def regular_gop(keyframes, n_frames):
    """Frames between keyframes when the keyframes (presentation indices,
    sorted) are regular: the first frame is one and they follow every G
    frames up to the end. (G, None) or (None, reason)."""
    if not keyframes or keyframes[0] != 0:
        return None, "the first frame is not a keyframe"
    if len(keyframes) == 1:
        return (n_frames if n_frames > 0 else None), None
    g = keyframes[1] - keyframes[0]
    for a, b in zip(keyframes, keyframes[1:]):
        if b - a != g:
            return None, (f"irregular keyframes (a GOP of {b - a} frames "
                          f"after frame {a}, {g} before)")
    return g, None
