# The x264enc ABR ladder: named rungs, parsing, encoder settings.
#
# Pure Python, no GStreamer import: tested by tests/integration/test_ladder.py.
"""ABR ladder rungs and the x264enc settings that keep them aligned."""

import math
import re
from dataclasses import dataclass

# CPU cost per rung, share of one core at 30 fps, x264enc speed-preset=veryfast
# tune=zerolatency, measured by bench/pipelines/ladder-cost.sh on the 2-core
# development machine (videoscale from 1080p included). "easy" is ffmpeg's
# testsrc2 (the demo signal), "hard" the same with temporal noise (camera
# grain). See docs/pipelines.md for the full table.
RUNG_COST = {
    "1080p": (0.40, 0.55),
    "720p": (0.24, 0.41),
    "480p": (0.19, 0.23),
    "240p": (0.07, 0.08),
}


@dataclass(frozen=True)
class Rung:
    """One representation of the ladder."""

    name: str
    width: int
    height: int
    kbps: int

    def __str__(self):
        return f"{self.name}={self.width}x{self.height}@{self.kbps}k"


# The named quality levels (16:9, even sizes as x264 needs for 4:2:0).
NAMED_RUNGS = {
    "1080p": Rung("1080p", 1920, 1080, 4000),
    "720p": Rung("720p", 1280, 720, 2500),
    "480p": Rung("480p", 854, 480, 1200),
    "360p": Rung("360p", 640, 360, 800),
    "240p": Rung("240p", 426, 240, 400),
}

# Default ladder: three rungs, measured at 0.50 (testsrc2) to 0.72 (noisy
# camera-like input) of one core plus decoding: real time on 2 cores with
# room for the sender, demux, audio and the DASH writer.
DEFAULT_LADDER = "720p,480p,240p"

_CUSTOM = re.compile(
    r"^(?P<name>[A-Za-z0-9_-]+)=(?P<w>\d+)x(?P<h>\d+)@(?P<kbps>\d+)k?$")
_OVERRIDE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)@(?P<kbps>\d+)k?$")


class LadderError(ValueError):
    """A ladder description that cannot be used."""


def parse_rung(text):
    """Parse one rung: a name ("720p"), a name with another bitrate
    ("720p@3000k") or a custom rung ("540p=960x540@1800k")."""
    text = text.strip()
    if text in NAMED_RUNGS:
        return NAMED_RUNGS[text]
    m = _OVERRIDE.match(text)
    if m and m.group("name") in NAMED_RUNGS:
        base = NAMED_RUNGS[m.group("name")]
        return Rung(base.name, base.width, base.height,
                    _check_kbps(int(m.group("kbps")), text))
    m = _CUSTOM.match(text)
    if m:
        w, h = int(m.group("w")), int(m.group("h"))
        if w < 16 or h < 16 or w > 7680 or h > 4320:
            raise LadderError(f"rung '{text}': size {w}x{h} out of range "
                              "16x16..7680x4320")
        if w % 2 or h % 2:
            raise LadderError(f"rung '{text}': width and height must be even "
                              "(4:2:0 video)")
        return Rung(m.group("name"), w, h,
                    _check_kbps(int(m.group("kbps")), text))
    raise LadderError(
        f"unknown rung '{text}': use one of {', '.join(NAMED_RUNGS)}, "
        "NAME@KBPSk or NAME=WxH@KBPSk")


def _check_kbps(kbps, text):
    if not 16 <= kbps <= 100000:
        raise LadderError(f"rung '{text}': bitrate {kbps} kbps out of range "
                          "16..100000")
    return kbps


def parse_ladder(text):
    """Parse a comma-separated ladder; rungs sorted from the highest bitrate
    down, duplicates refused."""
    if not text or not text.strip():
        raise LadderError("empty ladder")
    rungs = [parse_rung(t) for t in text.split(",") if t.strip()]
    names = [r.name for r in rungs]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise LadderError(f"rung named twice: {', '.join(sorted(dup))}")
    if len(rungs) > 8:
        raise LadderError("at most 8 rungs")
    return sorted(rungs, key=lambda r: (-r.kbps, -r.height))


def estimated_cost(rungs):
    """(easy, hard) share of one core for the rungs with a measured cost;
    rungs without a measurement are scaled by pixel count from 720p."""
    easy = hard = 0.0
    for r in rungs:
        if r.name in RUNG_COST and NAMED_RUNGS.get(r.name, r).width == r.width:
            e, h = RUNG_COST[r.name]
        else:
            scale = (r.width * r.height) / (1280 * 720)
            e, h = RUNG_COST["720p"][0] * scale, RUNG_COST["720p"][1] * scale
        easy += e
        hard += h
    return easy, hard


def keyframe_frames(fps, interval_s):
    """Frames between keyframes for a frame rate and interval (>= 1)."""
    return max(1, int(math.ceil(fps * interval_s - 1e-9)))


def x264_properties(rung, preset="veryfast", keyframe_interval_s=2.0,
                    fps_hint=30, fixed_gop=False, parameter_sets_of=None):
    """x264enc properties of a rung.

    Keyframes are forced by the runner at identical running times in every
    rung (a downstream GstForceKeyUnit event before the tee); scenecut is
    off so that x264 never inserts a keyframe of its own in one rung only,
    and key-int-max is a safety net twice the interval at the hinted frame
    rate, reset by every forced keyframe. tune=zerolatency: no B-frames, no
    lookahead, sliced threads: a frame leaves the encoder as soon as it is
    encoded. vbv-buf-capacity = one second keeps the peak bitrate near the
    nominal one, which the ABR players rely on.

    fixed_gop: no keyframe requests; a keyframe every interval's worth of
    frames at exactly fps_hint (the live compositor's constant rate), in
    every rung from the same first frame, so the rungs stay aligned.

    parameter_sets_of: another preset whose SPS/PPS this encoder must write
    (parameter_set_options), for an encoder that replaces one at that
    preset in a running stream."""
    frames = keyframe_frames(fps_hint, keyframe_interval_s)
    pin = parameter_set_options(preset, parameter_sets_of) \
        if parameter_sets_of else ""
    return {
        "speed-preset": preset,
        "tune": "zerolatency",
        "bitrate": rung.kbps,
        "vbv-buf-capacity": 1000,
        "key-int-max": frames if fixed_gop else frames * 2,
        "option-string": "scenecut=0" + (":" + pin if pin else ""),
    }


# What each x264 preset sets that ends up in the SPS/PPS (x264's
# preset table): reference frames, weighted P prediction, CABAC, the 8x8
# transform, and the sub-pixel refinement, which decides whether psy-rd is
# on, and psy-rd lowers the chroma QP offset by 2.
_PRESET_PARAMS = {
    #            ref weightp cabac 8x8dct subme
    "ultrafast": (1, 0, 0, 0, 0),
    "superfast": (1, 1, 1, 1, 1),
    "veryfast": (1, 1, 1, 1, 2),
    "faster": (2, 1, 1, 1, 4),
    "fast": (2, 1, 1, 1, 6),
    "medium": (3, 2, 1, 1, 7),
    "slow": (5, 2, 1, 1, 8),
    "slower": (8, 2, 1, 1, 9),
    "veryslow": (16, 2, 1, 1, 10),
    "placebo": (16, 2, 1, 1, 11),
}


def parameter_set_options(preset, like):
    """x264 options that make an encoder at @preset write the same SPS and
    PPS as one at @like (tune=zerolatency), so that its output continues
    the same track: same codec_data, no new init segment, no new DASH
    Period or HLS discontinuity. The faster preset keeps its cheaper
    analysis (sub-pixel refinement, motion search, partitions, trellis);
    only what the parameter sets carry is taken from @like."""
    if preset not in _PRESET_PARAMS or like not in _PRESET_PARAMS or \
            preset == like:
        return ""
    ref, wp, cabac, dct8, subme = _PRESET_PARAMS[like]
    psy = (subme >= 6) - (_PRESET_PARAMS[preset][4] >= 6)
    opts = [f"ref={ref}", f"weightp={wp}", f"cabac={cabac}",
            f"8x8dct={dct8}"]
    if psy:
        opts.append(f"chroma-qp-offset={-2 * psy}")
    return ":".join(opts)


def keyframe_index(running_time_ns, interval_ns):
    """Index of the keyframe slot a running time falls in."""
    if interval_ns <= 0:
        raise ValueError("interval must be positive")
    return running_time_ns // interval_ns


# --- on demand (pipelines/file-to-dash) ------------------------------------

# The ladder of the design for files: only the rungs at or below the
# source's resolution are produced (see vodplan.py).
DEFAULT_VOD_LADDER = "1080p,720p,480p"


def x264_vod_properties(rung, preset="veryfast", keyint=60, threads=0):
    """x264enc properties of a rung encoded from a file.

    Not tune=zerolatency: nothing waits for the encoder here, so x264 keeps
    its preset's B-frames and lookahead (better pictures per bit, and the
    same settings as `ffmpeg -c:v libx264 -preset P`). Keyframes come from
    x264 itself, every @keyint frames exactly (scenecut=0, min-keyint =
    keyint): every rung gets the same decoded frames from one tee, so all
    rungs have their keyframes on the same frames without any keyframe
    request (no pad probe), and a copied source rung with a GOP of @keyint
    frames lines up with them. CBR-like rate control: bitrate = the rung's,
    VBV of two seconds (x264enc sets vbv-maxrate = bitrate)."""
    return {
        "speed-preset": preset,
        "bitrate": rung.kbps,
        "vbv-buf-capacity": 2000,
        "key-int-max": keyint,
        "threads": threads,
        "option-string": f"scenecut=0:min-keyint={keyint}",
    }
