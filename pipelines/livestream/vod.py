# pipelines/file-to-dash: one media file -> ABR DASH + HLS in a
# content-addressed store, playable while it is packaged.
#
#   file-to-dash INPUT -o STORE [--ladder 1080p,720p,480p] [--progress ...]
#
# Flow: hash the source (or find it in the store's index) -> the entry
# STORE/<sha256>/ is complete: print it, done (no GStreamer is even loaded)
# -> another process is packaging it: follow its progress -> else take the
# entry's lock, probe the source, plan the ladder, run the pipeline
# (vodgraph.py) while reporting progress and events, verify the result,
# write metadata.json. A failure of any kind removes the manifests and
# segments and leaves metadata.json with state "failed" and the reason.
"""The file-to-dash program."""

import argparse
import json
import os
import signal
import sys
import time

from . import content, ladder, options

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
VERSION = 1


def build_parser():
    p = argparse.ArgumentParser(
        prog="file-to-dash",
        formatter_class=options._Formatter,
        description="Package a media file (any container GStreamer reads: "
                    "mp4, mkv, webm, ts, ...) into ABR DASH and HLS, in "
                    "STORE/<sha256 of the file>/. Playable while it is "
                    "packaged (dynamic MPD, EVENT playlists); the same file "
                    "again returns the existing entry at once.",
        epilog="Exit status: 0 packaged (or already there), 1 failed (the "
               "reason is printed and in metadata.json), 2 bad options, "
               "130 interrupted.")
    p.add_argument("input", metavar="INPUT", help="the source file")
    p.add_argument("-o", "--output", required=True, metavar="STORE",
                   help="the content store directory")
    p.add_argument("--ladder", type=options._ladder,
                   default=ladder.DEFAULT_VOD_LADDER, metavar="RUNGS",
                   help="rungs (named, NAME@KBPSk or NAME=WxH@KBPSk); only "
                        "those at or below the source's resolution are made")
    p.add_argument("--segment-duration", type=options._seconds, default=2.0,
                   metavar="S", help="target segment duration (a copied "
                   "source's GOP may make it longer)")
    p.add_argument("--x264-preset", default="veryfast",
                   choices=("ultrafast", "superfast", "veryfast", "faster",
                            "fast", "medium", "slow"),
                   help="x264 speed preset of the encoded rungs")
    p.add_argument("--audio-bitrate", type=int, default=128, metavar="KBPS",
                   help="AAC bitrate when the audio is encoded")
    p.add_argument("--no-copy", dest="copy", action="store_false",
                   help="encode every rung and the audio, even when the "
                        "source already fits one")
    p.add_argument("--threads", type=int, default=0, metavar="N",
                   help="x264 threads per rung (0 = x264's choice)")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "json",
                                          "none"), default="auto",
                   help="bar: a progress bar on stderr (the default on a "
                        "terminal); lines: a line every 10 %%; json: every "
                        "event as a JSON line on stdout; none")
    p.add_argument("--force", action="store_true",
                   help="package again even when the entry is complete")
    p.add_argument("--plugin-path", default=None, metavar="DIR",
                   help="where the livestream plug-ins are (default: "
                        "$GST_PLUGIN_PATH, else build/gst of this checkout)")
    p.add_argument("--print-pipeline", action="store_true",
                   help="print the pipeline description")
    return p


# --- output -------------------------------------------------------------------

def fmt_time(s):
    if s is None:
        return "--:--"
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 \
        else f"{s // 60:02d}:{s % 60:02d}"


def progress_bar(p, width=30):
    """'[#########.........]  31.0 %  4.2x  ETA 00:41' from a ProgressUpdate."""
    pct = max(0.0, min(100.0, p.get("percent") or 0.0))
    n = int(width * pct / 100)
    speed = p.get("speed")
    return (f"[{'#' * n}{'.' * (width - n)}] {pct:5.1f} %  "
            f"{(speed or 0):.1f}x real time  ETA {fmt_time(p.get('eta'))}")


class Reporter:
    def __init__(self, mode, digest):
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "lines"
        self.mode = mode
        self.hash = digest
        self.last_decile = -1
        self.bar_shown = False

    def text(self, line, always=False):
        if self.mode == "none" and not always:
            return
        if self.bar_shown:
            sys.stderr.write("\n")
            self.bar_shown = False
        print(f"file-to-dash: {line}", file=sys.stderr, flush=True)

    def event(self, kind, fields):
        ev = {"type": kind, "hash": self.hash, "time": content.now_iso()}
        ev.update(fields)
        if self.mode == "json":
            try:
                print(json.dumps(ev, sort_keys=True), flush=True)
            except (BrokenPipeError, OSError):
                self.mode = "none"
            return
        if kind == "ProgressUpdate":
            if self.mode == "bar":
                sys.stderr.write("\r" + progress_bar(fields))
                sys.stderr.flush()
                self.bar_shown = True
            elif self.mode == "lines":
                decile = int((fields.get("percent") or 0) // 10)
                if decile != self.last_decile:
                    self.last_decile = decile
                    self.text(progress_bar(fields))
        elif kind == "ManifestUpdated" and fields.get("first"):
            self.text("playable now (manifests written)")
        elif kind in ("TranscodeCompleted", "TranscodeFailed",
                      "TranscodeStarted"):
            pass        # the caller prints its own summary


# --- the job ----------------------------------------------------------------

def _setup_gst(args):
    from .runner import _setup_environment
    _setup_environment(argparse.Namespace(plugin_path=args.plugin_path,
                                          dot_dir=None))


def _entry_summary(store, digest):
    d = store.entry_dir(digest)
    return (f"{d}/manifest.mpd (DASH), {d}/master.m3u8 (HLS)")


def _follow(store, digest, rep, args):
    """Another process packages @digest: report its progress from
    metadata.json until it ends (or dies: then package it here)."""
    owner = store.lock_owner(digest)
    rep.text(f"already being packaged by process {owner}: following it")
    last = None
    deadline = None
    while True:
        md = store.read_metadata(digest) or {}
        state = md.get("state")
        if state == "complete":
            rep.event("TranscodeCompleted", {"path": store.entry_dir(digest),
                                             "shared": True})
            rep.text("done: " + _entry_summary(store, digest))
            return EXIT_OK
        if state == "failed":
            rep.event("TranscodeFailed", {"reason": md.get("error"),
                                          "shared": True})
            rep.text(f"failed: {md.get('error')}", always=True)
            return EXIT_FAILED
        p = md.get("progress")
        if p and p != last:
            last = p
            rep.event("ProgressUpdate", p)
        fd = store.lock(digest)
        if fd is not None:
            # the other process is gone without finishing
            content.Store.unlock(fd)
            if deadline is None:
                deadline = time.monotonic() + 1.0
            elif time.monotonic() > deadline:
                return None
        time.sleep(0.25)


class Cancelled(Exception):
    """The content server withdrew the job (another job or the entry
    already has this content)."""


class _Hash:
    """The source's SHA-256, computed in a thread (hashlib releases the
    GIL) while GStreamer loads and probes the source; or, in a warm worker
    of the content server, read from stdin (the server hashes the file
    while the worker probes it)."""

    def __init__(self, path, from_stdin):
        import threading
        self.value = self.error = None
        self.cancelled = False
        self.t0 = time.monotonic()
        target = self._read_stdin if from_stdin else self._compute
        self.thread = threading.Thread(target=target, args=(path,),
                                       daemon=True)
        self.thread.start()

    def _compute(self, path):
        try:
            self.value = content.sha256_file(path)
        except OSError as e:
            self.error = f"cannot read the source: {e.strerror}"
        self.seconds = time.monotonic() - self.t0

    def _read_stdin(self, _path):
        try:
            msg = json.loads(sys.stdin.readline() or '{"cancel": "eof"}')
        except ValueError:
            msg = {"cancel": "bad message"}
        h = msg.get("sha256", "")
        if content.HASH_RE.match(h or ""):
            self.value = h
        else:
            self.cancelled = True

    def result(self):
        self.thread.join()
        if self.cancelled:
            raise Cancelled()
        return self.value, self.error


class _Prepared:
    def __init__(self):
        self.info = self.plan = self.opts = None
        self.failure = None           # (reason, stage)


def _prepare(args, path):
    """GStreamer loaded, the source probed, the ladder planned and the
    pipeline checked: nothing is written to the store yet."""
    _setup_gst(args)
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    from . import graph, vodgraph, vodplan
    p = _Prepared()
    try:
        p.info = vodgraph.probe(path)
    except vodgraph.ProbeError as e:
        p.failure = (str(e), "probe")
        return p
    try:
        p.plan = vodplan.make_plan(p.info.video, p.info.audio, args.ladder,
                                   args.segment_duration, copy=args.copy,
                                   audio_kbps=args.audio_bitrate)
    except ValueError as e:
        p.failure = (str(e), "plan")
        return p
    p.opts = vodgraph.Options(segment_s=args.segment_duration,
                              preset=args.x264_preset,
                              audio_kbps=args.audio_bitrate, copy=args.copy,
                              threads=args.threads)
    try:
        vodgraph.describe(p.plan, p.info, "/nonexistent", p.opts)
    except graph.BuildError as e:
        p.failure = (str(e), "build")
    return p


def package(args):
    store = content.Store(args.output)
    path = os.path.abspath(args.input)
    rep = Reporter(args.progress, None)

    def fail_early(reason):
        rep.event("TranscodeFailed", {"path": path, "reason": reason,
                                      "stage": "request"})
        rep.text(f"failed: {reason}", always=True)
        return EXIT_FAILED

    if not os.path.exists(path):
        return fail_early(f"source not found: {path}")
    if not os.path.isfile(path):
        return fail_early(f"not a regular file: {path}")
    if not os.access(path, os.R_OK):
        return fail_early(f"source not readable: {path}")
    try:
        os.makedirs(store.root, exist_ok=True)
        key, st = content.Store.source_key(path)
    except OSError as e:
        return fail_early(f"cannot use the store {store.root}: "
                          f"{e.strerror}")
    digest = store.cached_hash(key)
    prepared = None
    if digest is None:
        hasher = _Hash(path, getattr(args, "hash_stdin", False))
        prepared = _prepare(args, path)
        digest, error = hasher.result()
        if error:
            return fail_early(error)
        if not getattr(args, "hash_stdin", False):
            rep.text(f"sha256 {digest} ({hasher.seconds:.2f} s, while "
                     "GStreamer loads and probes the source)")
            try:
                store.remember_hash(key, path, st.st_size, digest)
            except OSError:
                pass
    rep.hash = digest
    if store.is_complete(digest) and not args.force:
        rep.event("TranscodeCompleted", {"path": store.entry_dir(digest),
                                         "existing": True})
        rep.text("already packaged: " + _entry_summary(store, digest))
        return EXIT_OK
    while True:
        fd = store.lock(digest)
        if fd is not None:
            break
        r = _follow(store, digest, rep, args)
        if r is not None:
            return r
    try:
        if store.is_complete(digest) and not args.force:
            rep.event("TranscodeCompleted", {"path": store.entry_dir(digest),
                                             "existing": True})
            rep.text("already packaged: " + _entry_summary(store, digest))
            return EXIT_OK
        if prepared is None:
            prepared = _prepare(args, path)
        return _package_locked(args, store, path, digest, rep, prepared)
    finally:
        content.Store.unlock(fd)


def _package_locked(args, store, path, digest, rep, prepared):
    out_dir = store.entry_dir(digest)
    created = content.now_iso()
    md = {"sha256": digest, "state": "processing", "version": VERSION,
          "created": created, "updated": created,
          "source": {"path": path, "size": os.path.getsize(path)},
          "pid": os.getpid()}

    def save(**changes):
        md.update(changes)
        md["updated"] = content.now_iso()
        try:
            store.write_metadata(digest, md)
            return True
        except OSError:
            return False

    # an earlier failed or interrupted run leaves nothing behind
    store.clear_media(digest)
    if not save(stage="probing"):
        reason = "cannot write to the store (disk full or read-only?)"
        rep.event("TranscodeFailed", {"reason": reason, "stage": "store"})
        rep.text(f"failed: {reason}", always=True)
        store.remove(digest)
        return EXIT_FAILED

    def failed(reason, stage):
        store.clear_media(digest)
        md.pop("progress", None)
        if not save(state="failed", error=reason, stage=stage,
                    failed=content.now_iso()):
            store.remove(digest)      # not even metadata fits: no entry
        rep.event("TranscodeFailed", {"reason": reason, "stage": stage,
                                      "path": path})
        rep.text(f"failed: {reason}", always=True)
        return EXIT_FAILED

    from gi.repository import GLib, Gst
    from . import graph, vodgraph
    if prepared.failure:
        return failed(*prepared.failure)
    info, plan, opts = prepared.info, prepared.plan, prepared.opts
    for n in info.notes + plan.notes:
        rep.text(n)
    try:
        packager = vodgraph.Packager(info, plan, out_dir, opts, None)
    except graph.BuildError as e:
        return failed(str(e), "build")
    if args.print_pipeline:
        rep.text("pipeline: " + packager.description)
    ladder_md = [v.as_dict() for v in plan.video]
    save(stage="packaging", source=info.as_dict(), ladder=ladder_md,
         audio=plan.audio.as_dict() if plan.audio else None,
         duration=round(info.duration_ns / Gst.SECOND, 3),
         segment_duration=round(plan.segment_ns / Gst.SECOND, 6),
         keyint=plan.keyint, notes=info.notes + plan.notes,
         settings={"x264_preset": args.x264_preset,
                   "audio_bitrate": args.audio_bitrate, "copy": args.copy})
    rep.event("TranscodeStarted", {"path": path, "output": out_dir,
                                   "ladder": ladder_md,
                                   "audio": md.get("audio"),
                                   "duration": md["duration"]})
    last_save = [0.0]

    def on_event(kind, fields):
        rep.event(kind, fields)
        now = time.monotonic()
        if kind == "ProgressUpdate" and now - last_save[0] >= 1.0:
            last_save[0] = now
            save(progress=fields)
        elif kind == "ManifestUpdated" and fields.get("first"):
            save(playable=content.now_iso(), progress=packager.progress())

    packager.on_event = on_event
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda s=sig:
                             packager.stop(f"interrupted by signal {s}") or
                             True)
    t0 = time.monotonic()
    reason = packager.run()
    if reason is not None:
        code = failed(reason, "packaging")
        return EXIT_INTERRUPTED if packager.stopped_by else code
    elapsed = time.monotonic() - t0
    final = packager.progress()
    final.update(percent=100.0, eta=0.0,
                 packaged_seconds=round(packager.final_end, 3))
    speed = packager.final_end / elapsed if elapsed > 0 else None
    if not save(state="complete", stage="done", progress=final,
                completed=content.now_iso(), elapsed=round(elapsed, 3),
                speed=round(speed, 3) if speed else None,
                warnings=packager.warnings, pid=None):
        return failed("cannot write metadata.json (disk full?)", "store")
    rep.event("TranscodeCompleted", {
        "path": out_dir, "duration": round(packager.final_end, 3),
        "elapsed": round(elapsed, 3), "speed": md["speed"],
        "segments": packager.segments, "warnings": len(packager.warnings)})
    rep.text(f"done in {elapsed:.1f} s ({md['speed']:.1f}x real time): " +
             _entry_summary(store, digest))
    return EXIT_OK


def _worker():
    """A warm worker of the content server: GStreamer is loaded before the
    job comes. stdin: one line {"argv": [...]} (the command line of the
    job), then {"sha256": H} once the server has hashed the source
    (meanwhile the worker probes it), or {"cancel": ...}."""
    _setup_gst(argparse.Namespace(plugin_path=None))
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    import importlib
    importlib.import_module(".vodgraph", __package__)   # loaded while idle
    line = sys.stdin.readline()
    if not line:
        return EXIT_OK
    try:
        job = json.loads(line)
        argv = list(job["argv"])
    except (ValueError, KeyError, TypeError):
        print("file-to-dash: worker: bad job line", file=sys.stderr)
        return EXIT_USAGE
    return main(argv, hash_stdin=True)


def main(argv=None, hash_stdin=False):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--worker"]:
        return _worker()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.hash_stdin = hash_stdin
    if args.segment_duration < 0.5:
        parser.error("--segment-duration must be at least 0.5 s")
    if not 16 <= args.audio_bitrate <= 512:
        parser.error("--audio-bitrate must be 16..512 kbps")
    try:
        return package(args)
    except Cancelled:
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
