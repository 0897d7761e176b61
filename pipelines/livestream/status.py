# Status of a running pipeline: counters from the elements' `stats`
# properties and element messages, formatted as one concise line.
"""Status collection and the status line."""

import json
import os
import time
import warnings

# --- pure helpers (tested without GStreamer) ---------------------------------

DROP_FIELDS = {
    # element factory -> stats fields that count frames/packets lost there
    "chunkreorder": ("lost", "late", "duplicates", "invalid", "dropped"),
    "prioqueue": ("dropped-high", "dropped-normal", "dropped-low"),
    "gopbuffer": ("src-dropped", "dropped-buffers"),   # + per request pad
    "avsync": ("frames-dropped", "dropped"),
    "dashlivesink": ("dropped",),
}


def drops_in(factory, stats):
    """Frames/packets an element dropped, from its stats dict."""
    if not stats:
        return 0
    fields = DROP_FIELDS.get(factory)
    total = 0
    for k, v in stats.items():
        if not isinstance(v, int) or isinstance(v, bool):
            continue
        if k.endswith("bytes") or "in-queue" in k:
            continue
        if fields is None:
            if "dropped" in k or k in ("lost", "discarded"):
                total += v
        elif k in fields:
            total += v
    # per-representation or per-pad entries
    for k, v in stats.items():
        if isinstance(v, list):
            for entry in v:
                if isinstance(entry, dict):
                    total += drops_in(factory, entry)
    return total


def fmt_rate(bits_per_s):
    if bits_per_s is None:
        return "-"
    if bits_per_s >= 1e6:
        return f"{bits_per_s / 1e6:.2f} Mb/s"
    return f"{bits_per_s / 1e3:.0f} kb/s"


def fmt_clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def fmt_ms(ns):
    return "-" if ns is None else f"{ns / 1e6:+.0f} ms"


def status_line(s):
    """One line from a status dict (see Collector.snapshot)."""
    drops = ", ".join(f"{k} {v}" for k, v in s["drops"].items() if v) or "-"
    live = "-" if s["live_latency"] is None else f"~{s['live_latency']:.1f} s"
    if s.get("edge_age") is not None:
        live += f" (edge {s['edge_age']:.1f} s)"
    parts = [fmt_clock(s["uptime"]),
             f"in {fmt_rate(s['ingest_bps'])}",
             f"segs {s['segments']}",
             f"drops {drops}",
             f"A/V {fmt_ms(s['av_offset_ns'])}",
             f"live {live}",
             f"cpu {s['cpu_percent']:.0f}%"]
    if s.get("hls_edge") is not None:
        # LL-HLS from the embedded server: a player holds PART-HOLD-BACK
        # behind the newest part, which is hls_edge behind the wall clock
        parts.insert(6, f"hls ~{s['hls_latency']:.1f} s "
                        f"(edge {s['hls_edge']:.1f} s)")
    if s.get("reordered"):
        parts.insert(4, f"reordered {s['reordered']}")
    if s.get("note"):
        parts.append(s["note"])
    return " | ".join(parts)


# --- GStreamer side -----------------------------------------------------------

def structure_to_dict(st):
    """A GstStructure as a dict (nested structures and arrays included)."""
    from gi.repository import Gst
    out = {}
    for i in range(st.n_fields()):
        name = st.nth_field_name(i)
        try:
            out[name] = st.get_value(name)
        except TypeError:
            ok, arr = st.get_array(name)
            if not ok:
                ok, arr = st.get_list(name)
            if ok and arr is not None:
                vals = []
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    for j in range(arr.n_values):
                        v = arr.get_nth(j)
                        vals.append(structure_to_dict(v)
                                    if isinstance(v, Gst.Structure) else v)
                out[name] = vals
        if isinstance(out.get(name), Gst.Structure):
            out[name] = structure_to_dict(out[name])
    return out


def element_stats(element):
    if element is None or element.find_property("stats") is None:
        return None
    try:
        st = element.get_property("stats")
    except TypeError:
        return None
    return structure_to_dict(st) if st is not None else None


class Collector:
    """Counts what the status line shows. Probes count ingest bytes; the
    bus handler feeds element messages in; snapshot() reads the stats."""

    def __init__(self, pipeline, plan):
        from gi.repository import Gst
        self.Gst = Gst
        self.pipeline = pipeline
        self.plan = plan
        self.start = time.monotonic()
        self.cpu_start = _cpu()
        self.ingest_bytes = 0
        self.last_ingest_time = None
        self.first_ingest_time = None
        self._last = (self.start, 0, self.cpu_start)
        self.segments = 0
        self.segment_msgs = {}
        self.last_segment = None
        self.media_start_ns = None   # UTC media time of the run's first segment
        self.sink_rt = None          # running time of the newest sample in
        self.msg_counts = {}         # element name -> messages of interest
        self.av_offset_ns = None
        self.warnings = 0
        for name in plan.ingest:
            el = pipeline.get_by_name(name)
            if el is not None:
                el.get_static_pad("src").add_probe(
                    Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                    self._count_ingest)
        for elname, padname in plan.sink_pads:
            el = pipeline.get_by_name(elname) if elname else None
            if el is None:
                continue
            # get_static_pad finds request pads already made; never request
            # one here (the sink would wait for data on it)
            pad = el.get_static_pad(padname)
            if pad is not None:
                pad.add_probe(Gst.PadProbeType.BUFFER, self._sink_buffer)

    def _count_ingest(self, pad, info):
        Gst = self.Gst
        if info.type & Gst.PadProbeType.BUFFER_LIST:
            blist = info.get_buffer_list()
            n = sum(blist.get(i).get_size() for i in range(blist.length()))
        else:
            n = info.get_buffer().get_size()
        self.ingest_bytes += n
        now = time.monotonic()
        if self.first_ingest_time is None:
            self.first_ingest_time = now
        self.last_ingest_time = now
        return Gst.PadProbeReturn.OK

    def _sink_buffer(self, pad, info):
        Gst = self.Gst
        buf = info.get_buffer()
        if buf.pts == Gst.CLOCK_TIME_NONE:
            return Gst.PadProbeReturn.OK
        ev = pad.get_sticky_event(Gst.EventType.SEGMENT, 0)
        if ev is not None:
            rt = ev.parse_segment().to_running_time(Gst.Format.TIME, buf.pts)
            if rt != Gst.CLOCK_TIME_NONE and (self.sink_rt is None or
                                              rt > self.sink_rt):
                self.sink_rt = rt
        return Gst.PadProbeReturn.OK

    # element messages -----------------------------------------------------
    def on_element_message(self, msg):
        """Returns a line to log for messages worth one, else None."""
        st = msg.get_structure()
        if st is None:
            return None
        name = st.get_name()
        src = msg.src.get_name() if msg.src else "?"
        if name == "dashlivesink-segment":
            self.segments += 1
            rep = st.get_string("representation") or "?"
            self.segment_msgs[rep] = self.segment_msgs.get(rep, 0) + 1
            self.last_segment = structure_to_dict(st)
            ok, start = st.get_uint64("start")
            if ok and (self.media_start_ns is None or
                       start < self.media_start_ns):
                self.media_start_ns = start
            return None
        if name.startswith("avsync"):
            for f in ("offset", "current-offset", "av-offset"):
                ok, v = st.get_int64(f)
                if ok:
                    self.av_offset_ns = v
                    break
            return None
        if name in ("chunkreorder-lost", "prioqueue-drop", "prioqueue-dropped",
                    "gopbuffer-drop", "gopbuffer-dropped"):
            self.msg_counts[src] = self.msg_counts.get(src, 0) + 1
            return None
        return None

    def idle_for(self):
        """Seconds since the last ingest data (None before the first)."""
        if self.last_ingest_time is None:
            return None
        return time.monotonic() - self.last_ingest_time

    def snapshot(self):
        Gst = self.Gst
        now = time.monotonic()
        cpu = _cpu()
        t0, b0, c0 = self._last
        dt = max(now - t0, 1e-3)
        bps = (self.ingest_bytes - b0) * 8 / dt
        cpu_pct = 100.0 * (cpu - c0) / dt
        self._last = (now, self.ingest_bytes, cpu)

        drops = {}
        stats = {}
        reordered = 0
        hls_edge = hls_latency = None
        for el in _our_elements(self.pipeline):
            f = el.get_factory().get_name()
            s = element_stats(el)
            stats[el.get_name()] = s
            d = drops_in(f, s)
            drops[el.get_name()] = d
            if f == "chunkreorder" and s:
                reordered += int(s.get("reordered", 0))
            if f == "avsync" and s:
                for k in ("current-offset", "offset", "av-offset"):
                    if isinstance(s.get(k), int):
                        self.av_offset_ns = s[k]
                        break
            if f == "dashlivesink" and s:
                self.segments = max(self.segments,
                                    int(s.get("segments-written", 0)))
                if int(s.get("hls-parts", 0)) > 0:
                    hls_edge = int(s.get("hls-edge-age", 0)) / 1e9
                    hls_latency = (int(s.get("hls-part-hold-back", 0)) / 1e9
                                   + hls_edge)

        # The newest media a player can fetch is as old as the time since
        # it entered the sink plus one chunk (or segment) to complete it;
        # a player aiming at the target latency plays no closer than that.
        live = edge = None
        clock = self.pipeline.get_clock()
        if clock is not None and self.sink_rt is not None and self.plan.live:
            now_rt = clock.get_time() - self.pipeline.get_base_time()
            behind = (now_rt - self.sink_rt) / Gst.SECOND
            edge = max(0.0, behind) + (self.chunk or self.segment)
            live = max(self.target, edge)
        return {
            "uptime": now - self.start,
            "ingest_bps": bps,
            "ingest_bytes": self.ingest_bytes,
            "segments": self.segments,
            "segments_by_representation": dict(self.segment_msgs),
            # where this run's media starts on the UTC media timeline the
            # segments are named after (s since the epoch)
            "media_start": (self.media_start_ns / Gst.SECOND
                            if self.media_start_ns is not None else None),
            "drops": drops,
            "reordered": reordered,
            "av_offset_ns": self.av_offset_ns,
            "live_latency": live,
            "edge_age": edge,
            "hls_latency": hls_latency,
            "hls_edge": hls_edge,
            "cpu_percent": cpu_pct,
            "cpu_total_s": cpu - self.cpu_start,
            "stats": stats,
        }

    # timing of the output (seconds), set by the runner
    chunk = 0.0
    segment = 2.0
    target = 0.0


def _our_elements(pipeline):
    from gi.repository import Gst
    out = []
    it = pipeline.iterate_recurse()
    while True:
        res, el = it.next()
        if res == Gst.IteratorResult.RESYNC:
            it.resync()
            out = []
            continue
        if res != Gst.IteratorResult.OK:
            break
        f = el.get_factory()
        if f is not None and f.get_name() in DROP_FIELDS:
            out.append(el)
    out.sort(key=lambda e: e.get_name())
    return out


def _cpu():
    t = os.times()
    return t.user + t.system


def to_json(snapshot):
    """A JSON line; GStreamer-only values turned into strings."""
    return json.dumps(snapshot, default=str, sort_keys=True)
