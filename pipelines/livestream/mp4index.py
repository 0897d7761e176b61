# Reads the sample tables of an MP4/MOV file (ISO BMFF 'moov'): per track
# the handler, codec, timescale, sample count and bytes, and for video the
# presentation positions of the sync samples (keyframes). file-to-dash uses
# it to decide whether a source's H.264 can be copied: its keyframes must
# fall every G frames so that the encoded rungs, with a GOP of G, cut on
# the same frames.
#
# Pure Python (struct), no GStreamer: the index is read before the pipeline
# starts, never in a streaming thread.
"""MP4 sample-table reader (keyframes, sizes, durations)."""

import struct
from dataclasses import dataclass, field

# a moov larger than this is not read (a 10 h 60 fps file has ~2 M
# samples: ~20 MB of tables)
MAX_MOOV = 64 * 1024 * 1024


class Mp4Error(Exception):
    pass


@dataclass
class Track:
    track_id: int = 0
    handler: str = ""            # 'vide', 'soun', ...
    codec: str = ""              # sample entry fourcc: avc1, hvc1, mp4a...
    timescale: int = 0
    duration: int = 0            # in timescale units (mdhd)
    width: int = 0
    height: int = 0
    sample_count: int = 0
    total_bytes: int = 0
    stts: list = field(default_factory=list)    # [(count, delta)]
    ctts: list = field(default_factory=list)    # [(count, offset)]
    stss: list = None            # 1-based sync sample numbers; None = all
    elst: list = field(default_factory=list)    # [(duration, media_time, rate)]

    @property
    def seconds(self):
        return self.duration / self.timescale if self.timescale else 0.0

    @property
    def kbps(self):
        s = self.seconds
        return self.total_bytes * 8 / s / 1000.0 if s > 0 else None

    def constant_delta(self):
        """The sample duration when every sample (but possibly the last)
        has the same, else None."""
        deltas = set()
        n = 0
        for count, delta in self.stts:
            n += count
            deltas.add(delta)
        if len(deltas) == 1:
            return deltas.pop()
        if len(deltas) == 2 and self.stts and self.stts[-1][0] == 1:
            return self.stts[0][1]
        return None

    def keyframe_positions(self):
        """Presentation-order indices (0-based) of the sync samples, or None
        when every sample is one (stss absent)."""
        if self.stss is None:
            return None
        n = self.sample_count
        dts = []
        t = 0
        for count, delta in self.stts:
            for _ in range(count):
                dts.append(t)
                t += delta
        if len(dts) != n:
            raise Mp4Error("stts does not cover every sample")
        cts = dts
        if self.ctts:
            offs = []
            for count, off in self.ctts:
                offs.extend([off] * count)
            if len(offs) != n:
                raise Mp4Error("ctts does not cover every sample")
            cts = [d + o for d, o in zip(dts, offs)]
        order = sorted(range(n), key=lambda i: (cts[i], i))
        rank = [0] * n
        for pos, i in enumerate(order):
            rank[i] = pos
        # frames an edit list cuts off at the start are not decoded
        first = min(cts) if cts else 0
        for dur, media_time, _rate in self.elst:
            if media_time >= 0:
                if media_time > first:
                    raise Mp4Error("the edit list skips the first frames")
                break
        return sorted(rank[s - 1] for s in self.stss if 0 < s <= n)


@dataclass
class Movie:
    timescale: int = 0
    duration: int = 0
    fragmented: bool = False
    brand: str = ""
    tracks: list = field(default_factory=list)

    def first(self, handler):
        for t in self.tracks:
            if t.handler == handler:
                return t
        return None


def _boxes(data, start=0, end=None):
    """(type, payload start, payload end) of the boxes in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, typ = struct.unpack_from(">I4s", data, pos)
        hdr = 8
        if size == 1:
            if pos + 16 > end:
                raise Mp4Error("truncated box header")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            hdr = 16
        elif size == 0:
            size = end - pos
        if size < hdr or pos + size > end:
            raise Mp4Error(f"box '{typ.decode('latin-1')}' overruns its parent")
        yield typ.decode("latin-1"), pos + hdr, pos + size
        pos += size


def _child(data, start, end, name):
    for typ, s, e in _boxes(data, start, end):
        if typ == name:
            return s, e
    return None


def _full(data, s):
    """(version, flags) of a full box, and where its fields start."""
    v = data[s]
    return v, s + 4


def _table(data, s, e, fmt):
    """Entries of a table box: u32 count then entries of struct @fmt."""
    _, p = _full(data, s)
    count = struct.unpack_from(">I", data, p)[0]
    p += 4
    size = struct.calcsize(fmt)
    if p + count * size > e:
        raise Mp4Error("table overruns its box")
    return list(struct.iter_unpack(fmt, data[p:p + count * size]))


def _parse_trak(data, s, e):
    t = Track()
    tkhd = _child(data, s, e, "tkhd")
    if tkhd:
        v, p = _full(data, tkhd[0])
        t.track_id = struct.unpack_from(">I", data, p + (16 if v == 1 else 8))[0]
        w, h = struct.unpack_from(">II", data, tkhd[1] - 8)
        t.width, t.height = w >> 16, h >> 16
    edts = _child(data, s, e, "edts")
    if edts:
        elst = _child(data, edts[0], edts[1], "elst")
        if elst:
            v, p = _full(data, elst[0])
            fmt = ">QqI" if v == 1 else ">IiI"
            t.elst = _table(data, elst[0], elst[1], fmt)
    mdia = _child(data, s, e, "mdia")
    if not mdia:
        raise Mp4Error("track without mdia")
    mdhd = _child(data, mdia[0], mdia[1], "mdhd")
    if mdhd:
        v, p = _full(data, mdhd[0])
        if v == 1:
            t.timescale, t.duration = struct.unpack_from(">IQ", data, p + 16)
        else:
            t.timescale, t.duration = struct.unpack_from(">II", data, p + 8)
    hdlr = _child(data, mdia[0], mdia[1], "hdlr")
    if hdlr:
        t.handler = data[hdlr[0] + 8:hdlr[0] + 12].decode("latin-1")
    minf = _child(data, mdia[0], mdia[1], "minf")
    stbl = minf and _child(data, minf[0], minf[1], "stbl")
    if not stbl:
        return t
    ss, se = stbl
    stsd = _child(data, ss, se, "stsd")
    if stsd and stsd[0] + 16 <= stsd[1]:
        t.codec = data[stsd[0] + 12:stsd[0] + 16].decode("latin-1")
    stts = _child(data, ss, se, "stts")
    if stts:
        t.stts = _table(data, stts[0], stts[1], ">II")
    ctts = _child(data, ss, se, "ctts")
    if ctts:
        v, _ = _full(data, ctts[0])
        t.ctts = _table(data, ctts[0], ctts[1], ">Ii" if v == 1 else ">II")
    stss = _child(data, ss, se, "stss")
    if stss:
        t.stss = [x[0] for x in _table(data, stss[0], stss[1], ">I")]
    stsz = _child(data, ss, se, "stsz")
    if stsz:
        _, p = _full(data, stsz[0])
        size, count = struct.unpack_from(">II", data, p)
        t.sample_count = count
        if size:
            t.total_bytes = size * count
        else:
            if p + 8 + 4 * count > stsz[1]:
                raise Mp4Error("stsz overruns its box")
            t.total_bytes = sum(x[0] for x in struct.iter_unpack(
                ">I", data[p + 8:p + 8 + 4 * count]))
    else:
        stz2 = _child(data, ss, se, "stz2")
        if stz2:
            raise Mp4Error("compact sample sizes (stz2) not read")
    return t


def parse_moov(data, brand=""):
    movie = Movie(brand=brand)
    for typ, s, e in _boxes(data):
        if typ == "mvhd":
            v, p = _full(data, s)
            if v == 1:
                movie.timescale, movie.duration = struct.unpack_from(
                    ">IQ", data, p + 16)
            else:
                movie.timescale, movie.duration = struct.unpack_from(
                    ">II", data, p + 8)
        elif typ == "mvex":
            movie.fragmented = True
        elif typ == "trak":
            movie.tracks.append(_parse_trak(data, s, e))
    return movie


def read(path):
    """The Movie of an MP4/MOV file. Mp4Error when it is not one or its
    index cannot be read."""
    brand = ""
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        pos = 0
        while pos + 8 <= size:
            f.seek(pos)
            hdr = f.read(16)
            if len(hdr) < 8:
                break
            box, typ = struct.unpack_from(">I4s", hdr)
            hlen = 8
            if box == 1:
                if len(hdr) < 16:
                    raise Mp4Error("truncated box header")
                box = struct.unpack_from(">Q", hdr, 8)[0]
                hlen = 16
            elif box == 0:
                box = size - pos
            if box < hlen:
                raise Mp4Error("invalid box size")
            typ = typ.decode("latin-1")
            if pos == 0 and typ not in ("ftyp", "moov", "mdat", "free",
                                        "wide", "skip", "pnot", "uuid"):
                raise Mp4Error("not an MP4/MOV file")
            if typ == "ftyp":
                brand = hdr[hlen:hlen + 4].decode("latin-1")
            if typ == "moov":
                if box > MAX_MOOV:
                    raise Mp4Error("moov too large to read")
                if pos + box > size:
                    raise Mp4Error("moov truncated")
                f.seek(pos + hlen)
                return parse_moov(f.read(box - hlen), brand)
            pos += box
    raise Mp4Error("no moov box (truncated file?)")
