#!/usr/bin/python3
"""srtingestsrc benchmark: accept rate and CPU per caller.

  bench/srtingestsrc.py [--callers 1,8,25] [--mbps 2] [--seconds 14]
                        [--accept 200] [--rounds 3]

Accept rate: --accept callers connect at once (bench/srtingestsrc/
srt-sender, its own process, non-blocking connects) to srtingestsrc with
the rate limits off; callers per second from the first to the last
pad-added.  Baseline in the same run: a bare libsrt listener accepting
the same callers (srt-sender listen).

CPU per caller: N callers (srt-sender send, its own process) each send
1316-byte messages at --mbps to one srtingestsrc (each pad to a fakesink),
then to N `srtsrc mode=listener` on N ports (the one-port-per-publisher
setup it replaces), each to a fakesink.  This process's CPU time (all
threads, getrusage) over the steady part of the run, per caller.

Prints a table with the load average; median of --rounds.
"""
import argparse
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
BUILD = os.path.join(ROOT, 'build')
SENDER = os.path.join(BUILD, 'bench', 'srt-sender')
os.environ['GST_PLUGIN_PATH'] = os.path.join(BUILD, 'gst', 'srt')
os.environ.setdefault('GST_REGISTRY', os.path.join(BUILD, 'bench',
                                                   'srtingestsrc.registry'))

import gi  # noqa: E402
gi.require_version('Gst', '1.0')
from gi.repository import Gst  # noqa: E402


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def free_udp_ports(n):
    """n consecutive free UDP ports on 127.0.0.1"""
    for _ in range(200):
        base = random.randrange(20000, 60000 - n)
        socks = []
        try:
            for i in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(('127.0.0.1', base + i))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    sys.exit('no free ports')


class Ingest:
    """srtingestsrc, every pad to a fakesink"""

    def __init__(self):
        self.pipeline = Gst.Pipeline()
        self.src = Gst.ElementFactory.make('srtingestsrc')
        self.src.set_property('port', 0)
        self.src.set_property('accept-rate', 0)
        self.src.set_property('accept-rate-per-address', 0)
        self.src.set_property('max-callers', 1024)
        self.pipeline.add(self.src)
        self.lock = threading.Lock()
        self.added = []
        self.src.connect('pad-added', self.on_pad)

    def on_pad(self, src, pad):
        t = time.monotonic()
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        sink.set_property('async', False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad('sink'))
        with self.lock:
            self.added.append(t)

    def start(self):
        self.pipeline.set_state(Gst.State.PLAYING)
        self.pipeline.get_state(Gst.CLOCK_TIME_NONE)
        return self.src.get_property('bound-port')

    def pads(self):
        with self.lock:
            return len(self.added)

    def bytes(self):
        return self.src.get_property('stats').get_value('bytes-received')

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


class SrtSrcs:
    """N srtsrc in listener mode on N ports, each to a fakesink"""

    def __init__(self, n):
        self.base = free_udp_ports(n)
        desc = ' '.join(
            'srtsrc name=s%d uri="srt://127.0.0.1:%d?mode=listener" '
            'latency=125 ! fakesink sync=false async=false' % (i, self.base + i)
            for i in range(n))
        self.pipeline = Gst.parse_launch(desc)
        self.n = n

    def start(self):
        self.pipeline.set_state(Gst.State.PLAYING)
        return self.base

    def bytes(self):
        total = 0
        for i in range(self.n):
            s = self.pipeline.get_by_name('s%d' % i).get_property('stats')
            ok, v = s.get_uint64('bytes-received-total')
            total += v if ok else 0
        return total

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def accept_round(n):
    ing = Ingest()
    port = ing.start()
    p = subprocess.Popen([SENDER, 'connect', '--port', str(port),
                          '--callers', str(n), '--hold', '3'],
                         stdout=subprocess.PIPE, text=True)
    wait(lambda: ing.pads() >= n, 30)
    with ing.lock:
        t = list(ing.added)
    p.wait(40)
    ing.stop()
    got = len(t)
    rate = (got - 1) / (t[-1] - t[0]) if got > 1 and t[-1] > t[0] else 0
    # the baseline: a bare libsrt listener
    port2 = free_udp_ports(1)
    lst = subprocess.Popen([SENDER, 'listen', '--port', str(port2),
                            '--callers', str(n)], stdout=subprocess.PIPE,
                           text=True)
    lst.stdout.readline()       # "listening"
    conn = subprocess.Popen([SENDER, 'connect', '--port', str(port2),
                             '--callers', str(n), '--hold', '1'],
                            stdout=subprocess.PIPE, text=True)
    out = lst.communicate(timeout=60)[0]
    conn.wait(40)
    kv = dict(x.split('=') for x in out.split())
    raw = ((int(kv['accepted']) - 1) / float(kv['seconds'])
           if float(kv['seconds']) > 0 else 0)
    return got, rate, int(kv['accepted']), raw


def cpu_round(make, n, mbps, seconds):
    recv = make(n)
    port = recv.start()
    args = [SENDER, 'send', '--port', str(port), '--callers', str(n),
            '--mbps', str(mbps), '--seconds', str(seconds)]
    if isinstance(recv, SrtSrcs):
        args.append('--ports')
    time.sleep(0.3)
    p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    # steady part: after 3 s, until 1.5 s before the end
    time.sleep(3)
    c0, t0, b0 = cpu_seconds(), time.monotonic(), recv.bytes()
    time.sleep(seconds - 4.5)
    c1, t1, b1 = cpu_seconds(), time.monotonic(), recv.bytes()
    out = p.communicate(timeout=seconds + 30)[0]
    recv.stop()
    cores = (c1 - c0) / (t1 - t0)
    mbit = (b1 - b0) * 8 / (t1 - t0) / 1e6
    return cores / n, mbit, out.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--callers', default='1,8,25')
    ap.add_argument('--mbps', type=float, default=2)
    ap.add_argument('--seconds', type=float, default=14)
    ap.add_argument('--accept', type=int, default=200)
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    if not os.path.exists(SENDER):
        sys.exit('%s missing: ninja -C build' % SENDER)
    Gst.init(None)
    print('load average before: %s' % ' '.join(
        '%.2f' % x for x in os.getloadavg()))

    rounds = [accept_round(args.accept) for _ in range(args.rounds)]
    med = statistics.median([r[1] for r in rounds])
    raw = statistics.median([r[3] for r in rounds])
    print('\naccept: %d callers at once, median of %d rounds' %
          (args.accept, args.rounds))
    print('| receiver | accepted | callers/s |')
    print('|---|---|---|')
    print('| bare libsrt listener | %s | %.0f |' % (
        '/'.join(str(r[2]) for r in rounds), raw))
    print('| srtingestsrc | %s | %.0f (%.2f of bare libsrt) |' % (
        '/'.join(str(r[0]) for r in rounds), med, med / raw if raw else 0))

    print('\nCPU per caller, %.1f Mbit/s each, %.0f s runs, median of %d' %
          (args.mbps, args.seconds, args.rounds))
    print('| callers | srtsrc, a port each: % of a core per caller | '
          'srtingestsrc | ratio | received Mbit/s (srtsrc / ingest) |')
    print('|---|---|---|---|---|')
    for n in [int(x) for x in args.callers.split(',')]:
        base, ing, mb_b, mb_i = [], [], [], []
        for _ in range(args.rounds):
            c, m, _ = cpu_round(SrtSrcs, n, args.mbps, args.seconds)
            base.append(c)
            mb_b.append(m)
            c, m, _ = cpu_round(lambda n: Ingest(), n, args.mbps,
                                args.seconds)
            ing.append(c)
            mb_i.append(m)
        b, i = statistics.median(base), statistics.median(ing)
        print('| %d | %.2f | %.2f | %.2f | %.1f / %.1f |' % (
            n, b * 100, i * 100, i / b if b else 0,
            statistics.median(mb_b), statistics.median(mb_i)), flush=True)
    print('\nload average after: %s' % ' '.join(
        '%.2f' % x for x in os.getloadavg()))


if __name__ == '__main__':
    main()
