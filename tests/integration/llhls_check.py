#!/usr/bin/python3
# LL-HLS validator: every rule of RFC 8216bis that dashlivesink's served
# playlists must keep, checked on every version a client sees, across
# updates, against the parts' bytes.
#
# A live pipeline (an ABR ladder of two H.264 rungs from one tee + AAC,
# 1 s segments in 200 ms chunks, 10 s DVR window) with the embedded server.
# One client thread per media playlist follows it as a low-latency player
# does: a blocking reload for the next part (_HLS_msn/_HLS_part), every
# third one as a delta update (_HLS_skip=YES), then the part itself.
# Checked:
#  - each version: header (EXT-X-VERSION 7, 9 with EXT-X-SKIP;
#    TARGETDURATION; SERVER-CONTROL with CAN-BLOCK-RELOAD=YES, PART-HOLD-BACK
#    >= 3 x PART-TARGET, CAN-SKIP-UNTIL >= 6 x TARGETDURATION, the same in
#    every playlist; PART-INF), EXTINF rounded <= TARGETDURATION, parts
#    listed before their parent's EXTINF and named after it (MSN and part
#    index continuous from 0: a player that follows them sees each segment's
#    parts, MediaMTX #997), no part longer than PART-TARGET, none shorter
#    than 85 % of it unless INDEPENDENT or the last of its segment, parts only
#    within three target durations of the end, the sum of a segment's parts
#    equal to its EXTINF, exactly one PRELOAD-HINT naming the next part;
#  - across versions of a playlist: MEDIA-SEQUENCE and DISCONTINUITY-SEQUENCE
#    never decrease, an MSN never changes its URI or EXTINF, a part never
#    changes its DURATION or INDEPENDENT, parts only appended, the answer to
#    _HLS_msn=M&_HLS_part=N lists that part (or a later one) and only the next
#    one more than the previous answer at a segment boundary (hls.js #5028);
#  - delta updates: EXT-X-SKIP with the same MEDIA-SEQUENCE, the rest equal
#    to the full playlist of the same moment;
#  - rendition reports: one for every other playlist of the same kind, for a
#    part that playlist lists (asked for at once: answered at once) and at
#    most two parts behind it;
#  - bytes: every part's moof (tfdt, trun durations) matches its DURATION and
#    follows the previous part; a complete segment equals its parts joined;
#    video and audio have the same number of parts per segment, part k of the
#    audio starting within one audio frame of part k of the video;
#  - the server: 400 for _HLS_part alone and too far ahead, the hinted part
#    held until it is written;
#  - the files: the playlists on disk are classic (no EXT-X-PART, hint or
#    server control) and name only files that exist;
#  - GStreamer's hlsdemux2 (playbin3, real time) plays the served
#    master.m3u8 for 10 s without an error;
#  - without chunk-duration (classic HLS) the server answers the files,
#    byte for byte, and ignores delivery directives.
#
# --reconnect: instead, a sender that comes back after 3 s (the running
# time jumps 3 s ahead after 8 s, a gap), followed through it by the same
# followers and checks: no part URI ever names other media (a part never
# changes), MSNs continue, the playlists show the EXT-X-DISCONTINUITY.
# Prints a summary; exit 1 on any failure.

import http.client
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

SECONDS = float(os.environ.get("LLHLS_CHECK_SECONDS", "24"))
failures = []
flock = threading.Lock()


def check(cond, what):
    if not cond:
        with flock:
            if what not in failures:
                print("FAIL " + what, flush=True)
            failures.append(what)
    return cond


def ok(what):
    print("ok   " + what, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path, timeout=10):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                           timeout=timeout)
                t0 = time.monotonic()
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                return r.status, body, time.monotonic() - t0, r
            except (http.client.HTTPException, OSError):
                self.conn = None
                if attempt:
                    raise
        return None


# --- playlists ---------------------------------------------------------

ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def attrs(s):
    return {k: v.strip('"') for k, v in ATTR.findall(s)}


class Playlist:
    """A parsed media playlist."""

    def __init__(self, text):
        self.text = text
        self.lines = text.split("\n")
        self.version = None
        self.td = None
        self.msn0 = 0
        self.dseq = 0
        self.server_control = None
        self.part_target = None
        self.skipped = 0
        self.segments = []      # dicts: msn, uri, extinf, parts, pdt, disc, map
        self.open = None        # the segment in progress: dict with parts
        self.hint = None
        self.reports = []
        self.ended = False
        self.errors = []
        cur = {"parts": [], "disc": False, "pdt": None}
        msn = None
        for ln in self.lines:
            if ln.startswith("#EXT-X-VERSION:"):
                self.version = int(ln.split(":")[1])
            elif ln.startswith("#EXT-X-TARGETDURATION:"):
                self.td = int(ln.split(":")[1])
            elif ln.startswith("#EXT-X-MEDIA-SEQUENCE:"):
                self.msn0 = int(ln.split(":")[1])
                msn = self.msn0
            elif ln.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
                self.dseq = int(ln.split(":")[1])
            elif ln.startswith("#EXT-X-SERVER-CONTROL:"):
                self.server_control = ln.split(":", 1)[1]
            elif ln.startswith("#EXT-X-PART-INF:"):
                self.part_target = float(attrs(ln.split(":", 1)[1])["PART-TARGET"])
            elif ln.startswith("#EXT-X-SKIP:"):
                self.skipped = int(attrs(ln.split(":", 1)[1])["SKIPPED-SEGMENTS"])
                msn += self.skipped
            elif ln.startswith("#EXT-X-DISCONTINUITY") and ln == "#EXT-X-DISCONTINUITY":
                cur["disc"] = True
            elif ln.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                cur["pdt"] = ln.split(":", 1)[1]
            elif ln.startswith("#EXT-X-PART:"):
                a = attrs(ln.split(":", 1)[1])
                cur["parts"].append({"uri": a["URI"], "dur": float(a["DURATION"]),
                                     "ind": a.get("INDEPENDENT") == "YES",
                                     "line": ln})
            elif ln.startswith("#EXTINF:"):
                cur["extinf"] = float(ln.split(":")[1].rstrip(","))
            elif ln.startswith("#EXT-X-PRELOAD-HINT:"):
                if self.hint is not None:
                    self.errors.append("two EXT-X-PRELOAD-HINT")
                self.hint = attrs(ln.split(":", 1)[1])
            elif ln.startswith("#EXT-X-RENDITION-REPORT:"):
                self.reports.append(attrs(ln.split(":", 1)[1]))
            elif ln == "#EXT-X-ENDLIST":
                self.ended = True
            elif ln and not ln.startswith("#"):
                if msn is None:
                    self.errors.append("segment before EXT-X-MEDIA-SEQUENCE")
                    msn = 0
                cur["msn"] = msn
                cur["uri"] = ln
                if "extinf" not in cur:
                    self.errors.append("URI without EXTINF: " + ln)
                self.segments.append(cur)
                msn += 1
                cur = {"parts": [], "disc": False, "pdt": None}
        if cur["parts"]:
            cur["msn"] = msn
            self.open = cur
        self.next_msn = msn

    def last_part(self):
        """(msn, index) of the last part listed, or None"""
        if self.open:
            return (self.open["msn"], len(self.open["parts"]) - 1)
        for s in reversed(self.segments):
            if s["parts"]:
                return (s["msn"], len(s["parts"]) - 1)
            return None
        return None

    def parts(self):
        """every part listed: (msn, index) -> part"""
        out = {}
        for s in self.segments + ([self.open] if self.open else []):
            for k, p in enumerate(s["parts"]):
                out[(s["msn"], k)] = p
        return out


PART_URI = re.compile(r"^(\w+)-(\d+)\.(\d+)\.m4s$")
SEGMENT_URI = re.compile(r"^(\w+)-(\d+)\.m4s$")


def validate_version(rep, pl, first_map):
    """The rules that hold for one version on its own."""
    w = "%s v(msn %d): " % (rep, pl.msn0)
    for e in pl.errors:
        check(False, w + e)
    check(pl.text.startswith("#EXTM3U\n"), w + "starts with #EXTM3U")
    check(pl.version == (9 if pl.skipped else 7), w + "EXT-X-VERSION %s (skip %d)"
          % (pl.version, pl.skipped))
    check(pl.td is not None, w + "EXT-X-TARGETDURATION")
    sc = attrs(pl.server_control or "")
    pt = pl.part_target
    check(sc.get("CAN-BLOCK-RELOAD") == "YES", w + "CAN-BLOCK-RELOAD=YES")
    check(pt is not None, w + "EXT-X-PART-INF")
    if pt is None or pl.td is None:
        return
    phb = float(sc.get("PART-HOLD-BACK", "0"))
    check(phb >= 3 * pt - 1e-6, w + "PART-HOLD-BACK %.3f >= 3 x PART-TARGET %.6f"
          % (phb, pt))
    check(float(sc.get("CAN-SKIP-UNTIL", "0")) >= 6 * pl.td,
          w + "CAN-SKIP-UNTIL >= 6 target durations")
    end = 0.0
    all_segs = pl.segments + ([pl.open] if pl.open else [])
    # durations from the first listed segment
    t = 0.0
    ends = []
    for s in all_segs:
        d = s.get("extinf") if "extinf" in s else sum(p["dur"] for p in s["parts"])
        t += d
        ends.append(t)
    end = t
    for i, s in enumerate(all_segs):
        complete = "extinf" in s
        if complete:
            check(round(s["extinf"]) <= pl.td, w + "EXTINF %.3f rounds within "
                  "the target duration" % s["extinf"])
        n = len(s["parts"])
        # parts are named after their segment's address (its $Time$, the
        # number in its name: unique across restarts), not its MSN
        keys = {PART_URI.match(p["uri"]).group(2) if PART_URI.match(p["uri"])
                else None for p in s["parts"]}
        seg_m = SEGMENT_URI.match(s.get("uri", ""))
        for k, p in enumerate(s["parts"]):
            m = PART_URI.match(p["uri"])
            check(m is not None and m.group(1) == rep and len(keys) == 1 and
                  (not complete or (seg_m is not None and
                                    m.group(2) == seg_m.group(2)))
                  and int(m.group(3)) == k, w + "part %s named after its parent "
                  "segment %d (%s), index %d" % (p["uri"], s["msn"],
                                                 s.get("uri"), k))
            check(p["dur"] <= pt + 1e-9, w + "%s DURATION %.6f <= PART-TARGET %.6f"
                  % (p["uri"], p["dur"], pt))
            last = complete and k == n - 1
            check(last or p["ind"] or p["dur"] >= 0.85 * pt - 1e-9,
                  w + "%s DURATION %.6f >= 85 %% of PART-TARGET (not last, not "
                  "independent)" % (p["uri"], p["dur"]))
        if complete and n:
            check(abs(sum(p["dur"] for p in s["parts"]) - s["extinf"]) <= n * 1e-6 + 1e-6,
                  w + "segment %d: its parts add up to its EXTINF" % s["msn"])
        if n:
            # a segment's parts are listed while it ends within 3 target
            # durations of the end (RFC 8216bis 6.2.2)
            check(end - ends[i] <= 3 * pl.td + 1e-6, w + "segment %d: parts "
                  "listed %.2f s from the end" % (s["msn"], end - ends[i]))
    # the hint: the next part
    check(pl.hint is not None and pl.hint.get("TYPE") == "PART", w + "one "
          "EXT-X-PRELOAD-HINT TYPE=PART")
    if pl.hint and pl.open:
        key = PART_URI.match(pl.open["parts"][0]["uri"]).group(2)
        want = "%s-%s.%d.m4s" % (rep, key, len(pl.open["parts"]))
        check(pl.hint.get("URI") == want, w + "hint %s is the next part %s"
              % (pl.hint.get("URI"), want))
    elif pl.hint:
        # part 0 of the next segment, named after where it will start
        m = PART_URI.match(pl.hint.get("URI", ""))
        last = SEGMENT_URI.match(pl.segments[-1]["uri"]) if pl.segments else None
        check(m is not None and m.group(1) == rep and m.group(3) == "0" and
              last is not None and int(m.group(2)) > int(last.group(2)),
              w + "hint %s is part 0 of a segment after %s"
              % (pl.hint.get("URI"), pl.segments[-1]["uri"] if pl.segments
                 else None))


# --- MP4 -----------------------------------------------------------------

def boxes(data, off=0, end=None):
    end = len(data) if end is None else end
    while off + 8 <= end:
        size, typ = struct.unpack(">I4s", data[off:off + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
            hdr = 16
        if size < hdr or off + size > end:
            return
        yield typ.decode("latin1"), off + hdr, off + size
        off += size


def init_timescale(data):
    for t, a, b in boxes(data):
        if t == "moov":
            for t2, a2, b2 in boxes(data, a, b):
                if t2 == "trak":
                    for t3, a3, b3 in boxes(data, a2, b2):
                        if t3 == "mdia":
                            for t4, a4, b4 in boxes(data, a3, b3):
                                if t4 == "mdhd":
                                    v = data[a4]
                                    o = a4 + 4 + (16 if v == 1 else 8)
                                    return struct.unpack(">I", data[o:o + 4])[0]
    return None


def chunk_times(data):
    """[(tfdt, duration in ticks)] of the moofs in @data"""
    out = []
    for t, a, b in boxes(data):
        if t != "moof":
            continue
        tfdt = dur = None
        default = 0
        for t2, a2, b2 in boxes(data, a, b):
            if t2 != "traf":
                continue
            for t3, a3, b3 in boxes(data, a2, b2):
                v = data[a3]
                flags = struct.unpack(">I", data[a3:a3 + 4])[0] & 0xffffff
                if t3 == "tfhd":
                    o = a3 + 8
                    if flags & 0x1:
                        o += 8
                    if flags & 0x2:
                        o += 4
                    if flags & 0x8:
                        default = struct.unpack(">I", data[o:o + 4])[0]
                elif t3 == "tfdt":
                    tfdt = (struct.unpack(">Q", data[a3 + 4:a3 + 12])[0] if v == 1
                            else struct.unpack(">I", data[a3 + 4:a3 + 8])[0])
                elif t3 == "trun":
                    n = struct.unpack(">I", data[a3 + 4:a3 + 8])[0]
                    o = a3 + 8
                    if flags & 0x1:
                        o += 4
                    if flags & 0x4:
                        o += 4
                    dur = 0
                    for _ in range(n):
                        d = default
                        if flags & 0x100:
                            d = struct.unpack(">I", data[o:o + 4])[0]
                            o += 4
                        if flags & 0x200:
                            o += 4
                        if flags & 0x400:
                            o += 4
                        if flags & 0x800:
                            o += 4
                        dur += d
        out.append((tfdt, dur))
    return out


# --- the followers ------------------------------------------------------

class Follower(threading.Thread):
    """Follows one media playlist as a low-latency player."""

    def __init__(self, port, rep, deadline, shared):
        super().__init__(daemon=True)
        self.c = Client(port)
        self.pc = Client(port)
        self.rep = rep
        self.deadline = deadline
        self.shared = shared
        self.versions = 0
        self.blocked = []          # seconds a blocking reload was held
        self.parts = {}            # (msn, k) -> (dur, ind)
        self.uris = {}             # msn -> (uri, extinf)
        self.part_bytes = {}       # (msn, k) -> bytes
        self.part_times = {}       # (msn, k) -> (tfdt s, dur s)
        self.deltas = 0
        self.skipped_max = 0
        self.multi = 0             # answers with more than one new part
        self.timescale = None

    def run(self):
        try:
            self.follow()
        except Exception as e:   # noqa: BLE001 - reported as a failure
            check(False, "%s: follower died: %r" % (self.rep, e))

    def follow(self):
        rep = self.rep
        st, body, _, _ = self.c.get("/%s.m3u8" % rep)
        check(st == 200, rep + ": playlist 200")
        pl = Playlist(body.decode())
        prev = None
        n = 0
        while time.monotonic() < self.deadline:
            self.check_version(pl, prev)
            prev = pl
            # the next part, as hls.js asks for it
            lp = pl.last_part()
            if lp is None:
                msn, k = pl.next_msn, 0
            else:
                msn, k = lp[0], lp[1] + 1
            n += 1
            skip = n % 3 == 0
            q = "/%s.m3u8?_HLS_msn=%d&_HLS_part=%d%s" % (rep, msn, k,
                                                         "&_HLS_skip=YES" if skip else "")
            st, body, held, resp = self.c.get(q)
            check(st == 200, "%s: blocking reload %s answered 200 (%s)" % (rep, q, st))
            if st != 200:
                time.sleep(0.1)
                continue
            check(resp.getheader("Cache-Control", "").startswith("public, max-age="),
                  rep + ": a directive's answer may be cached")
            self.blocked.append(held)
            new = Playlist(body.decode())
            if skip:
                self.check_delta(new)
                # the full playlist of the same moment, for the checks below
                st, body, _, _ = self.c.get("/%s.m3u8?_HLS_msn=%d&_HLS_part=%d" % (rep, msn, k))
                full = Playlist(body.decode())
                if full.last_part() == new.last_part() and new.skipped:
                    tail = new.text.split("#EXT-X-SKIP:", 1)[1].split("\n", 1)[1]
                    check(full.text.endswith(tail), rep + ": a delta update is "
                          "the full playlist without the skipped segments")
                new = full
            lp_new = new.last_part()
            # the answer lists what was asked for: part k of msn, or (past the
            # segment's last part) part 0 of the next
            parts = new.parts()
            asked_ok = (msn, k) in parts or any(m > msn for (m, _) in parts)
            check(asked_ok, "%s: the answer to _HLS_msn=%d&_HLS_part=%d lists it"
                  % (rep, msn, k))
            # load the new parts (a player loads each part once)
            for key in sorted(parts):
                if key not in self.part_bytes and (lp is None or key > lp):
                    self.load_part(key, parts[key])
            pl = new
        self.last = pl

    def load_part(self, key, p):
        st, body, _, _ = self.pc.get("/" + p["uri"])
        if not check(st == 200, "%s: part %s 200" % (self.rep, p["uri"])):
            return
        self.part_bytes[key] = body
        if self.timescale is None:
            return
        ct = chunk_times(body)
        if not check(len(ct) == 1 and ct[0][0] is not None,
                     "%s: part %s is one moof" % (self.rep, p["uri"])):
            return
        tfdt, dur = ct[0]
        ts = self.timescale
        check(abs(dur / ts - p["dur"]) <= 1e-6 + 0.5 / ts,
              "%s: part %s DURATION %.6f matches its samples (%.6f)"
              % (self.rep, p["uri"], p["dur"], dur / ts))
        prevkey = (key[0], key[1] - 1)
        if prevkey in self.part_times:
            pt, pd = self.part_times[prevkey]
            check(abs(pt + pd - tfdt / ts) < 1e-6, "%s: part %s follows the "
                  "previous one" % (self.rep, p["uri"]))
        self.part_times[key] = (tfdt / ts, dur / ts)

    def check_version(self, pl, prev):
        rep = self.rep
        self.versions += 1
        validate_version(rep, pl, None)
        with self.shared["lock"]:
            sc = self.shared.setdefault("server_control", pl.server_control)
            pt = self.shared.setdefault("part_target", pl.part_target)
        check(pl.server_control == sc, rep + ": EXT-X-SERVER-CONTROL the same in "
              "every playlist")
        check(pl.part_target == pt, rep + ": PART-TARGET the same in every playlist")
        for s in pl.segments:
            old = self.uris.get(s["msn"])
            if old:
                check(old == (s["uri"], s["extinf"]), "%s: MSN %d keeps its URI "
                      "and EXTINF" % (rep, s["msn"]))
            self.uris[s["msn"]] = (s["uri"], s["extinf"])
        for key, p in pl.parts().items():
            old = self.parts.get(key)
            if old:
                check(old == (p["dur"], p["ind"]), "%s: part %d.%d never changes"
                      % (rep, key[0], key[1]))
            self.parts[key] = (p["dur"], p["ind"])
        if prev is not None:
            check(pl.msn0 >= prev.msn0, rep + ": MEDIA-SEQUENCE never decreases")
            check(pl.dseq >= prev.dseq, rep + ": DISCONTINUITY-SEQUENCE never "
                  "decreases")
            a, b = prev.last_part(), pl.last_part()
            if a and b:
                check(b >= a, rep + ": parts only appended")
                parts = pl.parts()
                if b[0] == a[0] + 1 and b[1] == 0:
                    # across a segment boundary, the answer that brings part 0
                    # of the next segment came after the last part of the
                    # previous one: a player that asks for the next part sees
                    # every part (hls.js #5028)
                    last_a = max((k for (m, k) in parts if m == a[0]), default=None)
                    with self.shared["lock"]:
                        self.shared["boundaries"][rep] = self.shared["boundaries"].get(rep, 0) + 1
                    check(last_a is None or a[1] == last_a, "%s: the answer after "
                          "%d.%d skips no part of segment %d" % (rep, a[0], a[1], a[0]))
                new_parts = sum(1 for key in parts if key > a)
                if new_parts > 1:
                    self.multi += 1
        # rendition reports: every other playlist of the kind
        kind = rep.split("_")[0]
        others = [r for r in self.shared["reps"] if r != rep and r.split("_")[0] == kind]
        got = sorted(r.get("URI") for r in pl.reports)
        check(got == sorted(o + ".m3u8" for o in others), "%s: rendition reports "
              "for %s (got %s)" % (rep, others, got))
        self.shared["reports"].append((rep, pl.reports, time.monotonic()))

    def check_delta(self, pl):
        if pl.skipped:
            self.deltas += 1
            self.skipped_max = max(self.skipped_max, pl.skipped)
            check("#EXT-X-SKIP:SKIPPED-SEGMENTS=" in pl.text, self.rep + ": EXT-X-SKIP")


def hlsdemux2_plays(url, seconds):
    """playbin3 (hlsdemux2) plays @url in real time: frames counted"""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    counts = {"video": 0, "audio": 0}
    pb = Gst.ElementFactory.make("playbin3")
    pb.set_property("uri", url)
    for kind in counts:
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", True)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", lambda s, b, p, k=kind: counts.__setitem__(k, counts[k] + 1))
        pb.set_property(kind + "-sink", sink)
    bus = pb.get_bus()
    pb.set_state(Gst.State.PLAYING)
    end = time.monotonic() + seconds
    err = None
    while time.monotonic() < end:
        msg = bus.timed_pop_filtered(200 * Gst.MSECOND,
                                     Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg is not None:
            err = msg.parse_error() if msg.type == Gst.MessageType.ERROR else "EOS"
            break
    demux = None
    it = pb.iterate_recurse()
    while True:
        res, el = it.next()
        if res != Gst.IteratorResult.OK:
            break
        if el.get_factory() and el.get_factory().get_name() == "hlsdemux2":
            demux = el
    pb.set_state(Gst.State.NULL)
    return counts, err, demux is not None


def classic_unchanged():
    """chunk-duration=0: the server answers the playlist files, ignores
    directives"""
    port = free_port()
    out = tempfile.mkdtemp(prefix="llhls-classic-")
    gst = os.environ.get("GST_LAUNCH", "gst-launch-1.0")
    proc = subprocess.Popen([
        gst, "-e", "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=160,height=90,framerate=30/1,format=I420", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30", "!",
        "h264parse", "!", "dashlivesink", "name=s", "location=" + out,
        "segment-duration=1000000000", "http-port=%d" % port,
        "audiotestsrc", "is-live=true", "!", "avenc_aac", "!", "aacparse", "!", "s.audio_0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        c = Client(port)
        end = time.monotonic() + 15
        while time.monotonic() < end and len([
                n for n in os.listdir(out) if n.startswith("video_0-") and
                n.endswith(".m4s")]) < 4:
            time.sleep(0.1)
        same = 0
        for _ in range(5):
            st, body, held, _ = c.get("/video_0.m3u8?_HLS_msn=999&_HLS_part=0")
            with open(os.path.join(out, "video_0.m3u8"), "rb") as f:
                disk = f.read()
            check(st == 200 and held < 0.5, "classic: directives ignored (%s, %.3f s)"
                  % (st, held))
            check(b"#EXT-X-PART" not in body and b"SERVER-CONTROL" not in body,
                  "classic: no LL-HLS tags served")
            same += body == disk
            time.sleep(0.3)
        # (a rewrite between the two reads may differ once)
        check(same >= 4, "classic: the server answers the file (%d of 5 equal)" % same)
        ok("classic HLS (chunk-duration=0) unchanged on the server")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(out, ignore_errors=True)


def init_name(c, rep):
    """The init segment @rep's playlist names (named after its content)"""
    _, body, _, _ = c.get("/%s.m3u8" % rep)
    m = re.search(r'#EXT-X-MAP:URI="([^"]+)"', body.decode())
    return m.group(1) if m else rep + "-init.mp4"


def follow_all(port, reps, seconds):
    """The followers of every playlist for @seconds, reports checked"""
    c = Client(port)
    shared = {"lock": threading.Lock(), "reps": reps, "reports": [],
              "boundaries": {}}
    fol = {}
    end = time.monotonic() + seconds
    for r in reps:
        fol[r] = Follower(port, r, end, shared)
        st, body, _, _ = c.get("/" + init_name(c, r))
        fol[r].timescale = init_timescale(body)
        check(fol[r].timescale, r + ": init segment timescale")
    for f in fol.values():
        f.start()
    for f in fol.values():
        f.join(seconds + 15)
        check(not f.is_alive(), f.rep + ": follower ended")
    return fol, shared


def reconnect():
    """A sender that comes back after a gap: followed through it"""
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    port = free_port()
    out = tempfile.mkdtemp(prefix="llhls-reconnect-")
    pipe = Gst.parse_launch(
        "videotestsrc is-live=true ! video/x-raw,width=160,height=90,framerate=30/1,"
        "format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
        "h264parse name=vp ! dashlivesink name=s location=%s segment-duration=1000000000 "
        "chunk-duration=200000000 dvr-window=20000000000 http-port=%d "
        "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! "
        "aacparse name=ap ! s.audio_0" % (out, port))
    state = {"jumped": None}

    def jump():
        # the running time of everything from now on is 3 s later: what a
        # sender that reconnects after 3 s looks like to the sink
        for name in ("vp", "ap"):
            pipe.get_by_name(name).get_static_pad("src").set_offset(3 * Gst.SECOND)
        state["jumped"] = time.monotonic()

    timer = threading.Timer(8.0, jump)
    pipe.set_state(Gst.State.PLAYING)
    timer.start()
    try:
        c = Client(port)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                st, body, _, _ = c.get("/audio_0.m3u8")
                if st == 200 and b"#EXT-X-PART:" in body:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        fol, shared = follow_all(port, ["video_0", "audio_0"], 14)
        check(state["jumped"] is not None, "the sender's timestamps jumped")
        for r, f in fol.items():
            last = f.last
            check("#EXT-X-DISCONTINUITY\n" in last.text, r + ": the gap is an "
                  "EXT-X-DISCONTINUITY")
            msns = sorted(f.uris)
            check(msns == list(range(msns[0], msns[-1] + 1)), r + ": MSNs "
                  "continuous through the gap")
            print("     %s: %d versions, %d parts loaded through the gap, MSN %d..%d"
                  % (r, f.versions, len(f.part_bytes), msns[0], msns[-1]))
        ok("a sender reconnecting after a gap: no stale part")
    finally:
        timer.cancel()
        pipe.set_state(Gst.State.NULL)
        shutil.rmtree(out, ignore_errors=True)


def main():
    if "--reconnect" in sys.argv:
        reconnect()
        return
    classic_unchanged()
    port = free_port()
    out = tempfile.mkdtemp(prefix="llhls-check-")
    gst = os.environ.get("GST_LAUNCH", "gst-launch-1.0")
    pipeline = [
        gst, "-e", "videotestsrc", "is-live=true", "pattern=ball", "!",
        "video/x-raw,width=320,height=180,framerate=30/1,format=I420", "!",
        "tee", "name=t",
        "t.", "!", "queue", "!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast",
        "key-int-max=30", "bitrate=500", "!", "h264parse", "!",
        "dashlivesink", "name=s", "location=" + out, "dvr-window=10000000000",
        "segment-duration=1000000000", "chunk-duration=200000000",
        "http-port=%d" % port,
        "t.", "!", "queue", "!", "videoscale", "!", "video/x-raw,width=160,height=90", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30",
        "bitrate=200", "!", "h264parse", "!", "s.video_1",
        "audiotestsrc", "is-live=true", "wave=ticks", "!", "audio/x-raw,rate=48000,channels=2",
        "!", "avenc_aac", "!", "aacparse", "!", "s.audio_0",
    ]
    proc = subprocess.Popen(pipeline, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    reps = ["video_0", "video_1", "audio_0"]
    try:
        c = Client(port)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                print(proc.stdout.read().decode()[-3000:])
                check(False, "the pipeline runs")
                return
            try:
                st, body, _, _ = c.get("/audio_0.m3u8")
                if st == 200 and b"#EXT-X-PART:" in body:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        check(time.monotonic() < deadline, "LL-HLS playlists within 20 s")

        # the server's answers to bad directives
        st, _, _, _ = c.get("/video_0.m3u8?_HLS_part=1")
        check(st == 400, "_HLS_part without _HLS_msn: 400 (%s)" % st)
        pl = Playlist(c.get("/video_0.m3u8")[1].decode())
        st, _, _, _ = c.get("/video_0.m3u8?_HLS_msn=%d" % (pl.next_msn + 3))
        check(st == 400, "_HLS_msn 3 segments ahead: 400 (%s)" % st)
        lp = pl.last_part()
        st, _, _, _ = c.get("/video_0.m3u8?_HLS_msn=%d&_HLS_part=%d" % (lp[0], lp[1] + 20))
        check(st == 400, "_HLS_part 20 parts ahead (Advance Part Limit 15): 400 "
              "(%s)" % st)
        # the hinted part is held until written, then answered whole
        pl = Playlist(c.get("/video_0.m3u8")[1].decode())
        t0 = time.monotonic()
        st, body, held, _ = c.get("/" + pl.hint["URI"])
        check(st == 200 and len(chunk_times(body)) == 1, "the hinted part %s: 200, one "
              "moof, after %.0f ms" % (pl.hint["URI"], held * 1000))
        check(held < 1.0, "the hinted part within a second (%.3f s)" % held)
        ok("server directives and preload hint")

        shared = {"lock": threading.Lock(), "reps": reps, "reports": [],
                  "boundaries": {}}
        fol = {}
        end = time.monotonic() + SECONDS
        for r in reps:
            fol[r] = Follower(port, r, end, shared)
            st, body, _, _ = c.get("/" + init_name(c, r))
            fol[r].timescale = init_timescale(body)
            check(fol[r].timescale, r + ": init segment timescale")
        for f in fol.values():
            f.start()
        # meanwhile: every report names a part the other playlist lists
        rc = Client(port)
        checked_reports = 0
        while time.monotonic() < end:
            time.sleep(0.7)
            with shared["lock"]:
                batch = list(shared["reports"][-3:])
            for rep, reports, t in batch:
                for r in reports:
                    other = r["URI"][:-len(".m3u8")]
                    q = "/%s?_HLS_msn=%s&_HLS_part=%s" % (r["URI"], r["LAST-MSN"],
                                                          r["LAST-PART"])
                    st, body, held, _ = rc.get(q)
                    opl = Playlist(body.decode())
                    check(st == 200 and held < 0.15, "%s's report for %s (%s.%s) "
                          "is listed there (answered in %.0f ms)" % (
                              rep, other, r["LAST-MSN"], r["LAST-PART"], held * 1000))
                    lp = opl.last_part()
                    if lp:
                        behind = (lp[0] - int(r["LAST-MSN"])) * 5 + lp[1] - int(r["LAST-PART"])
                        check(behind <= 2 + 5 * 0.7 / 0.2,
                              "%s's report for %s at most a few parts behind" % (rep, other))
                    checked_reports += 1
        for f in fol.values():
            f.join(15)
            check(not f.is_alive(), f.rep + ": follower ended")
        check(checked_reports > 10, "rendition reports checked (%d)" % checked_reports)
        print("     %d rendition reports checked against the other playlists" % checked_reports)

        # bytes: a complete segment is its parts joined
        joined = 0
        for r, f in fol.items():
            msns = sorted({m for (m, _) in f.part_bytes})
            for m in msns[1:-1]:
                ks = sorted(k for (mm, k) in f.part_bytes if mm == m)
                if ks != list(range(len(ks))):
                    continue
                if m not in f.uris:
                    continue
                st, body, _, _ = c.get("/" + f.uris[m][0])
                if st != 200:
                    continue
                data = b"".join(f.part_bytes[(m, k)] for k in ks)
                if check(body == data, "%s (MSN %d) equals its %d parts joined"
                         % (f.uris[m][0], m, len(ks))):
                    joined += 1
        check(joined >= 3 * 5, "segments compared with their parts (%d)" % joined)
        print("     %d segments equal to their parts joined" % joined)

        # the same schedule: parts per segment, part starts
        v, a = fol["video_0"], fol["audio_0"]
        same = 0
        for m in sorted({m for (m, _) in v.part_times}):
            kv = sorted(k for (mm, k) in v.parts if mm == m)
            ka = sorted(k for (mm, k) in a.parts if mm == m)
            if not kv or not ka or (m + 1, 0) not in v.parts or (m + 1, 0) not in a.parts:
                continue
            check(len(kv) == len(ka), "segment %d: video and audio have the same "
                  "number of parts (%d, %d)" % (m, len(kv), len(ka)))
            for k in kv:
                if (m, k) in v.part_times and (m, k) in a.part_times:
                    dv = a.part_times[(m, k)][0] - v.part_times[(m, k)][0]
                    check(-0.0002 <= dv < 1024 / 48000 + 0.001, "part %d.%d: audio starts "
                          "%.1f ms after video" % (m, k, dv * 1000))
                    same += 1
        check(same >= 20, "parts compared across video and audio (%d)" % same)
        print("     %d parts: the audio's starts within one frame of the video's" % same)

        for r, f in fol.items():
            held = sorted(f.blocked)
            p50 = held[len(held) // 2] if held else 0
            print("     %s: %d versions, %d parts loaded, %d delta updates (up to %d "
                  "skipped), blocking reload held p50 %.0f ms, %d answers with more "
                  "than one new part" % (r, f.versions, len(f.part_bytes), f.deltas,
                                         f.skipped_max, p50 * 1000, f.multi))
            check(f.versions > SECONDS * 3, r + ": the playlist advanced part by part")
            check(f.deltas > 0, r + ": delta updates skipped segments")
        check(all(shared["boundaries"].get(r, 0) >= SECONDS / 2 for r in reps),
              "segment boundaries crossed part by part (%s)" % shared["boundaries"])
        print("     segment boundaries crossed part by part: %s" % shared["boundaries"])
        if not failures:
            ok("every version of every playlist, across updates, against the bytes")

        # the files: classic, listing only files that exist
        for r in reps + ["master"]:
            text = open(os.path.join(out, r + ".m3u8")).read()
            check("#EXT-X-PART" not in text and "PRELOAD-HINT" not in text and
                  "SERVER-CONTROL" not in text, r + ".m3u8 on disk is classic")
            for ln in text.split("\n"):
                if ln and not ln.startswith("#"):
                    check(os.path.exists(os.path.join(out, ln)), "%s.m3u8 on disk "
                          "names %s, which exists" % (r, ln))
                m = re.search(r'URI="([^"]+)"', ln)
                if m:
                    check(os.path.exists(os.path.join(out, m.group(1))),
                          "%s.m3u8 on disk names %s, which exists" % (r, m.group(1)))
        ok("the files on disk are classic")

        counts, err, used = hlsdemux2_plays("http://127.0.0.1:%d/master.m3u8" % port, 10)
        print("     hlsdemux2: %d video frames, %d audio frames in 10 s" % (
            counts["video"], counts["audio"]))
        check(used, "playbin3 plays master.m3u8 with hlsdemux2")
        check(err is None, "hlsdemux2 plays without an error (%s)" % (err,))
        check(counts["video"] >= 30 * 6 and counts["audio"] >= 6 * 48000 // 1024,
              "hlsdemux2 plays in real time (%s)" % counts)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    print("%d failure(s) in %.1f s" % (len(failures), time.monotonic() - t0))
    sys.exit(1 if failures else 0)
