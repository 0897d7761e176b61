#!/usr/bin/python3
"""srtingestsrc example: one SRT port, a branch per publisher.

Each caller's pad (src_<stream id>) gets its own branch: `queue ! tsdemux`
with every elementary stream to a fakesink (the caps are printed), or with
--record DIR `queue ! filesink location=DIR/<name>.ts`. A branch is built
on pad-added and torn down on pad-removed (after the pad's EOS). The
element's messages and, every 5 s, the stats of every caller are printed.
Ctrl-C (or --seconds) sends EOS: every stream ends, then the pipeline stops.

  pipelines/srtingestsrc-example.py --port 9000 --grace 5
  # publishers, each with its own stream id:
  ffmpeg -re -i in.mp4 -c copy -f mpegts "srt://127.0.0.1:9000?streamid=cam1"
  srt-live-transmit file://con "srt://127.0.0.1:9000?streamid=#!::r=cam2,m=publish" < in.ts

The plug-in is taken from ./build/gst/srt.
"""
import argparse
import os
import signal
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ['GST_PLUGIN_PATH'] = os.pathsep.join(
    filter(None, [os.path.join(HERE, '..', 'build', 'gst', 'srt'),
                  os.environ.get('GST_PLUGIN_PATH')]))

import gi  # noqa: E402
gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402


class Example:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipeline = Gst.Pipeline.new('ingest')
        self.src = Gst.ElementFactory.make('srtingestsrc', 'ingest')
        if self.src is None:
            sys.exit('srtingestsrc not found: build first (scripts/build.sh)')
        self.src.set_property('port', args.port)
        self.src.set_property('max-callers', args.max_callers)
        self.src.set_property('grace-period', int(args.grace * Gst.SECOND))
        if args.passphrase:
            self.src.set_property('passphrase', args.passphrase)
        self.pipeline.add(self.src)
        self.branches = {}      # pad name -> [elements]
        self.ending = False
        # pad-added / pad-removed come from the element's threads: the
        # branch is built there (linking must happen before data flows)
        self.src.connect('pad-added', self.on_pad_added)
        self.src.connect('pad-removed', self.on_pad_removed)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect('message', self.on_message)

    def on_pad_added(self, src, pad):
        name = pad.get_name()
        queue = Gst.ElementFactory.make('queue')
        if self.args.record:
            sink = Gst.ElementFactory.make('filesink')
            stream = name[len('src_'):]
            sink.set_property('location',
                              os.path.join(self.args.record, stream + '.ts'))
            elements = [queue, sink]
        else:
            sink = Gst.ElementFactory.make('tsdemux')
            sink.connect('pad-added', self.on_demux_pad, name)
            elements = [queue, sink]
        for e in elements:
            self.pipeline.add(e)
        queue.link(elements[1])
        for e in elements:
            e.sync_state_with_parent()
        pad.link(queue.get_static_pad('sink'))
        self.branches[name] = elements
        print('%s: new branch' % name, flush=True)

    def on_demux_pad(self, demux, pad, owner):
        caps = pad.get_current_caps() or pad.query_caps(None)
        print('%s: %s %s' % (owner, pad.get_name(),
                             caps.get_structure(0).get_name()), flush=True)
        q = Gst.ElementFactory.make('queue')
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        for e in (q, sink):
            self.pipeline.add(e)
        q.link(sink)
        for e in (q, sink):
            e.sync_state_with_parent()
        pad.link(q.get_static_pad('sink'))
        self.branches[owner] += [q, sink]

    def on_pad_removed(self, src, pad):
        # the pad pushed EOS before it went: take its branch down from the
        # main loop (not from the element's thread)
        GLib.idle_add(self.remove_branch, pad.get_name())

    def remove_branch(self, name):
        for e in self.branches.pop(name, []):
            e.set_state(Gst.State.NULL)
            self.pipeline.remove(e)
        print('%s: branch removed' % name, flush=True)
        if self.ending and not self.branches:
            self.loop.quit()
        return GLib.SOURCE_REMOVE

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ELEMENT and msg.src == self.src:
            s = msg.get_structure()
            print('message %s' % s.to_string(), flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print('error: %s (%s)' % (err.message, dbg), file=sys.stderr)
            self.loop.quit()

    def print_stats(self):
        stats = self.src.get_property('stats')
        print('stats: %u callers, %u streams, %u accepted, %u refused' % (
            stats.get_value('callers-connected'), stats.get_value('streams'),
            stats.get_value('callers-accepted'), stats.get_value('refused')))
        # an array of "stream" structures keyed by "id" (a GValueArray)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            ok, callers = stats.get_array('callers')
        for i in range(callers.n_values if ok else 0):
            c = callers.get_nth(i)
            print('  %s: %s from %s, %.1f Mbit/s, rtt %.1f ms, lost %u, '
                  'dropped %u, buffer %d ms' % (
                      c.get_value('id'), c.get_value('state'),
                      c.get_value('address'),
                      c.get_value('bitrate') / 1e6, c.get_value('rtt-ms'),
                      c.get_value('packets-lost'),
                      c.get_value('packets-dropped'),
                      c.get_value('receive-buffer-ms')), flush=True)
        return GLib.SOURCE_CONTINUE

    def stop(self, *unused):
        if self.ending:
            self.loop.quit()
            return GLib.SOURCE_REMOVE
        print('stopping: EOS on every stream', flush=True)
        self.ending = True
        self.src.send_event(Gst.Event.new_eos())
        if not self.branches:
            self.loop.quit()
        # at most 3 s for the branches to end
        GLib.timeout_add_seconds(3, self.loop.quit)
        return GLib.SOURCE_REMOVE

    def run(self):
        if self.pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            sys.exit('could not start (see the error above)')
        print('listening on SRT port %u' % self.src.get_property('bound-port'),
              flush=True)
        GLib.timeout_add_seconds(5, self.print_stats)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.stop)
        if self.args.seconds > 0:
            GLib.timeout_add_seconds(self.args.seconds, self.stop)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--port', type=int, default=9000,
                   help='SRT port (0: any free one)')
    p.add_argument('--passphrase', help='callers must encrypt with it')
    p.add_argument('--grace', type=float, default=0,
                   help='seconds a pad waits for its caller to come back')
    p.add_argument('--max-callers', type=int, default=25)
    p.add_argument('--record', metavar='DIR',
                   help='write each stream to DIR/<stream id>.ts')
    p.add_argument('--seconds', type=int, default=0,
                   help='stop after this long (0: at Ctrl-C)')
    args = p.parse_args()
    if args.record:
        os.makedirs(args.record, exist_ok=True)
    Gst.init(None)
    Example(args).run()


if __name__ == '__main__':
    main()
