# The content-addressed store of pipelines/file-to-dash and the content
# service behind the /api/v1/content routes (api.py).
#
#   STORE/<sha256 of the source>/  manifest.mpd, master.m3u8, video_N.m3u8,
#                                  *-init.mp4, *.m4s, metadata.json
#   STORE/.index/<key>.json        source path + inode + size + mtime +
#                                  ctime -> sha256: a second request for an
#                                  unchanged file needs no hashing
#   STORE/.locks/<sha256>.lock     flock held by the process packaging it
#
# Store: hashing, the index, entries, metadata.json, locks (no GStreamer).
# ContentService: jobs (one `file-to-dash` process per source, shared by
# concurrent requests), progress, and the events each job reports
# (SegmentReady, ManifestUpdated, ProgressUpdate, TranscodeCompleted,
# TranscodeFailed). Thread-safe; used by the HTTP server's threads.
"""Content store, jobs and events of the on-demand packager."""

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HASH_RE = re.compile(r"^[0-9a-f]{64}$")
EVENT_TYPES = ("SegmentReady", "ManifestUpdated", "ProgressUpdate",
               "TranscodeCompleted", "TranscodeFailed", "TranscodeStarted")
STATES = ("queued", "processing", "complete", "failed")
# files of an entry that are media (removed when a job fails); .state is
# dashlivesink's resume state (.manifest.mpd.state)
MEDIA_EXT = (".mpd", ".m3u8", ".m4s", ".mp4", ".tmp", ".state")
HERE = os.path.dirname(os.path.abspath(__file__))
FILE_TO_DASH = os.path.join(os.path.dirname(HERE), "file-to-dash")


class ContentError(Exception):
    """A request the service refuses: HTTP status, code, message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now_iso(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        f".{int(t * 1000) % 1000:03d}Z"


def sha256_file(path, chunk=4 << 20, progress=None):
    """SHA-256 of a file (hashlib releases the GIL on large blocks)."""
    h = hashlib.sha256()
    done = 0
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(chunk)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            done += n
            if progress:
                progress(done)
    return h.hexdigest()


def write_json_atomic(path, obj):
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


class Store:
    """The directory of packaged sources."""

    def __init__(self, root):
        self.root = os.path.abspath(root)

    # --- sources -> hashes ------------------------------------------------
    @staticmethod
    def source_key(path):
        """(key, stat) of a source: what identifies an unchanged file
        without reading it. ctime changes with every write or rename, and
        cannot be set back, so a file rewritten in place gets a new key."""
        real = os.path.realpath(path)
        st = os.stat(real)
        ident = (f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:"
                 f"{st.st_ctime_ns}:{real}")
        return hashlib.sha1(ident.encode()).hexdigest(), st

    def _index_path(self, key):
        return os.path.join(self.root, ".index", key + ".json")

    def cached_hash(self, key):
        try:
            with open(self._index_path(key), encoding="utf-8") as f:
                h = json.load(f).get("sha256", "")
        except (OSError, ValueError):
            return None
        return h if HASH_RE.match(h) else None

    def remember_hash(self, key, path, size, digest):
        os.makedirs(os.path.join(self.root, ".index"), exist_ok=True)
        write_json_atomic(self._index_path(key), {
            "sha256": digest, "path": os.path.realpath(path), "size": size,
            "hashed": now_iso()})

    def hash_of(self, path, progress=None):
        """(sha256, key, cached) of a source, from the index when the file
        is unchanged."""
        key, st = self.source_key(path)
        cached = self.cached_hash(key)
        if cached:
            return cached, key, True
        digest = sha256_file(path, progress=progress)
        try:
            self.remember_hash(key, path, st.st_size, digest)
        except OSError:
            pass                  # a read-only or full store: hash again
        return digest, key, False

    # --- entries ----------------------------------------------------------
    def entry_dir(self, digest):
        return os.path.join(self.root, digest)

    def metadata_path(self, digest):
        return os.path.join(self.entry_dir(digest), "metadata.json")

    def read_metadata(self, digest):
        try:
            with open(self.metadata_path(digest), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def write_metadata(self, digest, md):
        os.makedirs(self.entry_dir(digest), exist_ok=True)
        write_json_atomic(self.metadata_path(digest), md)

    def is_complete(self, digest):
        md = self.read_metadata(digest)
        return md is not None and md.get("state") == "complete" and \
            os.path.exists(os.path.join(self.entry_dir(digest),
                                        "manifest.mpd"))

    def entries(self):
        try:
            names = os.listdir(self.root)
        except OSError:
            return []
        return sorted(n for n in names if HASH_RE.match(n))

    def clear_media(self, digest):
        """Removes the manifests first (so nothing lists a segment that is
        about to go), then segments and temporary files; metadata.json
        stays."""
        d = self.entry_dir(digest)
        try:
            names = os.listdir(d)
        except OSError:
            return
        first = [n for n in names if n.endswith((".mpd", ".m3u8"))]
        rest = [n for n in names if n.endswith(MEDIA_EXT) and n not in first]
        for n in first + rest:
            try:
                os.unlink(os.path.join(d, n))
            except OSError:
                pass

    def remove(self, digest):
        shutil.rmtree(self.entry_dir(digest), ignore_errors=True)

    # --- locks --------------------------------------------------------------
    def lock(self, digest, blocking=False):
        """An exclusive lock on packaging @digest (a file descriptor), or
        None if another process holds it. Released when the process ends,
        however it ends."""
        d = os.path.join(self.root, ".locks")
        os.makedirs(d, exist_ok=True)
        fd = os.open(os.path.join(d, digest + ".lock"),
                     os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    def lock_owner(self, digest):
        try:
            with open(os.path.join(self.root, ".locks", digest + ".lock")) as f:
                return int(f.read().strip() or 0) or None
        except (OSError, ValueError):
            return None

    @staticmethod
    def unlock(fd):
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


# --- the service ------------------------------------------------------------

class Job:
    """One source being packaged (or waiting to be), shared by every
    request for it."""

    MAX_EVENTS = 2000

    def __init__(self, digest, path, key):
        self.hash = digest
        self.path = path
        self.key = key
        self.state = "queued"
        self.error = None
        self.progress = None
        self.events = []             # dicts with "seq"
        self.seq = 0
        self.cond = threading.Condition()
        self.proc = None
        self.exit_code = None
        self.created = time.time()
        self.playable_at = None      # first manifest (monotonic)
        self.hash_sent = False       # the worker was told the hash
        self.started = time.monotonic()
        self.requests = 1

    def add_event(self, event):
        with self.cond:
            self.seq += 1
            event = dict(event, seq=self.seq)
            self.events.append(event)
            if len(self.events) > self.MAX_EVENTS:
                # ProgressUpdate and SegmentReady go first; the terminal
                # events and manifest updates stay
                for i, e in enumerate(self.events):
                    if e.get("type") in ("ProgressUpdate", "SegmentReady"):
                        del self.events[i]
                        break
                else:
                    del self.events[0]
            self.cond.notify_all()
        return event

    def events_after(self, after, wait=0.0):
        deadline = time.monotonic() + max(0.0, min(wait, 30.0))
        with self.cond:
            while True:
                out = [e for e in self.events if e["seq"] > after]
                left = deadline - time.monotonic()
                if out or left <= 0 or self.state in ("complete", "failed"):
                    return out, self.seq
                self.cond.wait(left)


class ContentService:
    """Packages sources on request, one job per source: concurrent
    requests for one file (or two paths with the same content) share it.
    Jobs run `pipelines/file-to-dash --progress json` processes, at most
    @max_jobs at a time, the others wait in order (state "queued")."""

    def __init__(self, store_dir, worker_args=(), max_jobs=1,
                 media_roots=(), worker=None, log=None, warm=True):
        self.store = Store(store_dir)
        os.makedirs(self.store.root, exist_ok=True)
        self.worker = list(worker or [sys.executable, FILE_TO_DASH])
        self.worker_args = list(worker_args)
        self.max_jobs = max(1, max_jobs)
        self.media_roots = [os.path.realpath(r) for r in media_roots]
        self.lock = threading.Lock()
        self.jobs = {}               # sha256 -> Job (running, queued, ended)
        self.by_key = {}             # source key -> Job or threading.Event
        self.queue = []              # Jobs waiting for a slot
        self.running = 0             # jobs with a worker, speculative ones too
        self.warm = None             # a worker with GStreamer loaded, idle
        self.warm_enabled = warm
        self.log = log or (lambda text: None)
        self.global_events = Job("*", None, None)  # every job's terminal events
        if self.warm_enabled:
            with self.lock:
                self._refill_locked()

    # --- workers --------------------------------------------------------------
    def _spawn(self):
        return subprocess.Popen(self.worker + ["--worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, bufsize=1,
                                start_new_session=True)

    def _refill_locked(self):
        """Keeps one worker started ahead (Python, GStreamer and the
        registry loaded: a job starts ~0.2 s sooner, more under load)."""
        if self.warm_enabled and (self.warm is None or
                                  self.warm.poll() is not None):
            try:
                self.warm = self._spawn()
            except OSError as e:
                self.log(f"cannot start a worker: {e}")
                self.warm = None

    def _take_worker_locked(self):
        w = self.warm if self.warm is not None and \
            self.warm.poll() is None else None
        self.warm = None
        if w is None:
            w = self._spawn()
        self._refill_locked()
        return w

    def _dispatch(self, proc, path):
        """Gives a worker its job's command line (it probes the source
        while the hash is computed)."""
        argv = [path, "-o", self.store.root, "--progress", "json"] + \
            self.worker_args
        try:
            proc.stdin.write(json.dumps({"argv": argv}) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def _discard(self, proc):
        """Withdraws a worker's job and reaps it in the background."""
        self._send(proc, {"cancel": "not needed"})

        def reap():
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        threading.Thread(target=reap, daemon=True).start()

    @staticmethod
    def _send(proc, msg):
        """The last message of a worker's stdin (closed after it)."""
        if proc.stdin is None:
            return
        try:
            proc.stdin.write(json.dumps(msg) + "\n")
            proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass
        proc.stdin = None

    # --- requests -----------------------------------------------------------
    def _check_path(self, path):
        if not isinstance(path, str) or not path:
            raise ContentError(400, "bad_request",
                               'the body needs "path": a file path')
        path = os.path.abspath(path)
        if self.media_roots:
            real = os.path.realpath(path)
            if not any(real == r or real.startswith(r + os.sep)
                       for r in self.media_roots):
                raise ContentError(403, "forbidden",
                                   "the path is outside the media roots")
        if not os.path.exists(path):
            self._failed_request(path, "source not found")
            raise ContentError(422, "source_missing",
                               f"source not found: {path}")
        if not os.path.isfile(path):
            self._failed_request(path, "not a regular file")
            raise ContentError(422, "source_invalid",
                               f"not a regular file: {path}")
        if not os.access(path, os.R_OK):
            self._failed_request(path, "source not readable")
            raise ContentError(422, "source_unreadable",
                               f"source not readable: {path}")
        return path

    def _failed_request(self, path, reason):
        self.global_events.add_event({"type": "TranscodeFailed",
                                      "time": now_iso(), "hash": None,
                                      "path": path, "reason": reason})

    def submit(self, path):
        """(created, info): the entry of @path's content, packaged or being
        packaged. created is False when it was complete already."""
        path = self._check_path(path)
        try:
            key, st = Store.source_key(path)
        except OSError as e:
            raise ContentError(422, "source_unreadable", e.strerror)
        # one hashing per unchanged source, however many ask at once
        while True:
            with self.lock:
                pending = self.by_key.get(key)
                if pending is None:
                    hashing = threading.Event()
                    self.by_key[key] = hashing
                    break
            if isinstance(pending, Job):
                # a job that ended (complete, failed, deleted) may be
                # listed until its thread has reaped the packager: that
                # one is not shared, the request starts over
                with self.lock:
                    live = pending.state in ("queued", "processing") and \
                        self.jobs.get(pending.hash) is pending
                    if live:
                        pending.requests += 1
                    elif self.by_key.get(key) is pending:
                        del self.by_key[key]
                if live:
                    return True, self.info(pending.hash)
                continue
            pending.wait(600)
        # a source not hashed yet: a worker starts probing it while the
        # hash is computed (if a slot is free)
        worker = None
        digest = self.store.cached_hash(key)
        with self.lock:
            if digest is None and self.running < self.max_jobs and \
                    not self.queue:
                worker = self._take_worker_locked()
                self.running += 1
        if worker is not None:
            self._dispatch(worker, path)
        try:
            if digest is None:
                digest = sha256_file(path)
                try:
                    self.store.remember_hash(key, path, st.st_size, digest)
                except OSError:
                    pass
        except OSError as e:
            with self.lock:
                self.by_key.pop(key, None)
                if worker is not None:
                    self.running -= 1
                    self._start_locked()
            hashing.set()
            if worker is not None:
                self._discard(worker)
            raise ContentError(422, "source_unreadable",
                               f"cannot read the source: {e.strerror}")
        with self.lock:
            job = self.jobs.get(digest)
            if self.store.is_complete(digest) and (
                    job is None or job.state == "complete"):
                self.by_key.pop(key, None)
                created = False
            elif job is not None and job.state in ("queued", "processing"):
                job.requests += 1
                self.by_key[key] = job
                created = True
                # the same bytes under another path were hashed first and
                # queued while this request's worker held the slot: the
                # worker (probing these bytes already) is theirs
                if worker is not None and job.proc is None and \
                        job in self.queue:
                    self.queue.remove(job)
                    job.proc, worker = worker, None
                    self._run_locked(job)
            else:
                job = Job(digest, path, key)
                self.jobs[digest] = job
                self.by_key[key] = job
                created = True
                if worker is not None:
                    job.proc, worker = worker, None
                    self._run_locked(job)
                else:
                    self.queue.append(job)
                    self._start_locked()
            if worker is not None:
                self.running -= 1      # the speculative worker is not needed
                self._start_locked()   # its slot goes to a queued job
            tell = job is not None and job.proc is not None and \
                not job.hash_sent
            if tell:
                job.hash_sent = True
            hashing.set()
        if worker is not None:
            self._discard(worker)
        if tell:
            self._send(job.proc, {"sha256": digest})
        return created, self.info(digest)

    def _start_locked(self):
        while self.queue and self.running < self.max_jobs:
            job = self.queue.pop(0)
            self.running += 1
            try:
                job.proc = self._take_worker_locked()
            except OSError as e:
                job.proc = None
                job.error = f"cannot start the packager: {e}"
            if job.proc is not None:
                self._dispatch(job.proc, job.path)
                job.hash_sent = True
                self._send(job.proc, {"sha256": job.hash})
            self._run_locked(job)

    def _run_locked(self, job):
        """@job has its worker (running counted): follow it in a thread."""
        job.state = "processing"
        t = threading.Thread(target=self._run, args=(job,),
                             name=f"job-{job.hash[:8]}", daemon=True)
        t.start()

    def _run(self, job):
        self.log(f"job {job.hash[:12]}: file-to-dash (worker "
                 f"{job.proc.pid if job.proc else '-'}) {job.path}")
        job.started = time.monotonic()
        terminal = None
        try:
            if job.proc is None:
                raise OSError(job.error or "no packager")
            errors = []
            t = threading.Thread(target=lambda: errors.extend(
                job.proc.stderr.read().splitlines()[-20:]), daemon=True)
            t.start()
            for line in job.proc.stdout:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(ev, dict) or ev.get("type") not in \
                        EVENT_TYPES:
                    continue
                self._on_event(job, ev)
                if ev["type"] in ("TranscodeCompleted", "TranscodeFailed"):
                    terminal = ev
            job.exit_code = job.proc.wait()
            t.join(5)
            job.proc.stdout.close()
            job.proc.stderr.close()
        except OSError as e:
            errors = [str(e)]
            job.exit_code = -1
        if terminal is None:
            reason = (errors[-1] if errors else
                      f"packager exited with status {job.exit_code}")
            terminal = {"type": "TranscodeFailed", "hash": job.hash,
                        "time": now_iso(), "reason": reason}
            self._on_event(job, terminal)
        with self.lock:
            job.state = "complete" if terminal["type"] == \
                "TranscodeCompleted" else "failed"
            if job.state == "failed":
                job.error = job.error or terminal.get("reason")
            if self.by_key.get(job.key) is job:
                del self.by_key[job.key]
            self.running -= 1
            self._start_locked()
        with job.cond:
            job.cond.notify_all()
        self.log(f"job {job.hash[:12]}: {job.state}"
                 + (f" ({job.error})" if job.error else ""))

    def _on_event(self, job, ev):
        ev.setdefault("hash", job.hash)
        kind = ev["type"]
        if kind == "ProgressUpdate":
            job.progress = {k: ev.get(k) for k in (
                "percent", "packaged_seconds", "duration", "speed",
                "elapsed", "eta", "segments")}
        elif kind == "ManifestUpdated" and job.playable_at is None:
            job.playable_at = time.monotonic()
        elif kind == "TranscodeCompleted":
            # metadata.json says complete before the worker reports it
            with self.lock:
                job.state = "complete"
            job.progress = dict(job.progress or {}, percent=100.0, eta=0.0)
        elif kind == "TranscodeFailed":
            with self.lock:
                job.state = "failed"
                job.error = ev.get("reason")
        job.add_event(ev)
        if kind in ("TranscodeCompleted", "TranscodeFailed",
                    "TranscodeStarted"):
            self.global_events.add_event(ev)

    # --- reading ------------------------------------------------------------
    def info(self, digest):
        """The entry as the API shows it, or None when unknown."""
        md = self.store.read_metadata(digest)
        with self.lock:
            job = self.jobs.get(digest)
        if md is None and job is None:
            return None
        out = dict(md or {})
        out["hash"] = digest
        if job is not None and job.state in ("queued", "processing"):
            out["state"] = job.state
            if job.progress:
                out["progress"] = job.progress
        elif job is not None and job.state == "failed":
            out["state"] = "failed"
            out["error"] = out.get("error") or job.error
        elif job is None and out.get("state") == "processing":
            # packaged by another process, or left by one that died
            fd = self.store.lock(digest)
            if fd is not None:
                Store.unlock(fd)
                out["state"] = "failed"
                out["error"] = "interrupted: no process is packaging it " \
                    "(a new request packages it again)"
        out.setdefault("state", "failed" if out.get("error") else "queued")
        base = f"/api/v1/content/{digest}"
        out["urls"] = {"self": base, "dash": base + "/manifest.mpd",
                       "hls": base + "/master.m3u8",
                       "events": base + "/events"}
        if out["state"] == "complete":
            out.setdefault("progress", {"percent": 100.0})
        return out

    def list(self):
        out = []
        for digest in sorted(set(self.store.entries()) | set(self.jobs)):
            i = self.info(digest)
            if i is not None:
                out.append({k: i.get(k) for k in (
                    "hash", "state", "duration", "created", "completed",
                    "error", "urls")} | {"source": (i.get("source") or {})
                                         .get("path")})
        return out

    def events(self, digest, after=0, wait=0.0):
        """(events, last seq) of a job; None when there is no job for
        @digest in this process (a complete entry from an earlier run has
        its TranscodeCompleted rebuilt from metadata.json)."""
        if digest == "*":
            return self.global_events.events_after(after, wait)
        with self.lock:
            job = self.jobs.get(digest)
        if job is None:
            md = self.store.read_metadata(digest)
            if md is None:
                return None
            ev = {"seq": 1, "hash": digest, "time": md.get("completed") or
                  md.get("updated"), "type": "TranscodeCompleted"
                  if md.get("state") == "complete" else "TranscodeFailed"}
            if md.get("state") != "complete":
                ev["reason"] = md.get("error")
            return ([ev] if after < 1 else []), 1
        return job.events_after(after, wait)

    def delete(self, digest):
        with self.lock:
            job = self.jobs.get(digest)
            if job is not None and job.state in ("queued", "processing"):
                raise ContentError(409, "busy", "the content is being "
                                   "packaged; delete it when it is done")
            if not os.path.isdir(self.store.entry_dir(digest)):
                if job is None:
                    return False
            self.jobs.pop(digest, None)
        fd = self.store.lock(digest)
        if fd is None:
            raise ContentError(409, "busy", "another process is packaging it")
        try:
            self.store.remove(digest)
        finally:
            Store.unlock(fd)
        return True

    def file_path(self, digest, name):
        return os.path.join(self.store.entry_dir(digest), name)

    def is_final(self, digest):
        """True when the entry will not change any more (complete)."""
        with self.lock:
            job = self.jobs.get(digest)
        if job is not None and job.state in ("queued", "processing"):
            return False
        return self.store.is_complete(digest)

    def shutdown(self):
        with self.lock:
            jobs = [j for j in self.jobs.values() if j.proc is not None and
                    j.proc.poll() is None]
            self.queue.clear()
            self.warm_enabled = False
            warm, self.warm = self.warm, None
        if warm is not None:
            self._send(warm, {"cancel": "shutdown"})
            try:
                warm.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                warm.kill()
                warm.communicate()
        for j in jobs:
            try:
                j.proc.terminate()
            except OSError:
                pass
        for j in jobs:
            try:
                j.proc.wait(15)
            except subprocess.TimeoutExpired:
                j.proc.kill()
