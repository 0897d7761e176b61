# The files an MPD's SegmentTemplate names, for the VOD packager's check of
# its output (vodgraph.py) and the tests that read MPDs (lslib.Mpd,
# vodlib.media_names, dashlivesink_check.py). No GStreamer.
"""The files an MPD's SegmentTemplate names.

dashlivesink names media segments after their start on the UTC media
timeline ($Time$) and init segments after their content; other packagers
use $Number$, $Bandwidth$ and widths ($Number%05d$)."""

import re

MPD_NS = "{urn:mpeg:dash:schema:mpd:2011}"

_VARIABLE = re.compile(r"\$(RepresentationID|Bandwidth|Number|Time)"
                       r"(?:%0(\d+)d)?\$")


def expand(template, rep_id, bandwidth=None, number=None, time=None):
    """@template with its identifiers replaced ($$ is a dollar sign)"""
    values = {"RepresentationID": rep_id, "Bandwidth": bandwidth,
              "Number": number, "Time": time}

    def sub(m):
        v = values[m.group(1)]
        if v is None:
            return m.group(0)
        return str(v).zfill(int(m.group(2))) if m.group(2) else str(v)

    return _VARIABLE.sub(sub, template).replace("$$", "$")


def template(adaptation_set, representation):
    """The SegmentTemplate element that applies to @representation (its
    own, else its AdaptationSet's), or None"""
    t = representation.find(MPD_NS + "SegmentTemplate")
    if t is None and adaptation_set is not None:
        t = adaptation_set.find(MPD_NS + "SegmentTemplate")
    return t


def timeline(tmpl):
    """[(number, t, d)] of a SegmentTemplate's SegmentTimeline, repeats
    expanded (the first S without @t starts at 0)"""
    out = []
    if tmpl is None:
        return out
    number = int(tmpl.get("startNumber", "1"))
    t = 0
    for s in tmpl.iter(MPD_NS + "S"):
        if s.get("t") is not None:
            t = int(s.get("t"))
        d = int(s.get("d"))
        for _ in range(int(s.get("r", "0")) + 1):
            out.append((number, t, d))
            number += 1
            t += d
    return out


def files(representation, adaptation_set=None):
    """(init segment name, [(media segment name, number, t, d)]) of a
    Representation element with a SegmentTimeline"""
    tmpl = template(adaptation_set, representation)
    if tmpl is None:
        return None, []
    rid = representation.get("id")
    bw = representation.get("bandwidth")
    init = tmpl.get("initialization")
    media = tmpl.get("media")
    return (expand(init, rid, bw) if init else None,
            [(expand(media, rid, bw, n, t), n, t, d)
             for n, t, d in timeline(tmpl)])
