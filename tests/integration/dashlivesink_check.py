#!/usr/bin/python3
# dashlivesink integration checks (Debian's python3 with gi).
#
#   dashlivesink_check.py timeline DIR [--exact-bandwidth]
#       every S@t/@d of the MPD equals the tfdt / summed trun durations of
#       the segment file; tfdt continuity between chunks; files exist;
#       @bandwidth against the measured peak; HLS playlists list the same
#       files.
#   dashlivesink_check.py play URL MIN_VIDEO MIN_AUDIO
#       playbin3 with counting fakesinks, no error, EOS within 60 s.
#   dashlivesink_check.py hour DIR
#       one hour of media, faster than real time, 60 s DVR window: the
#       directory stays flat, the final MPD timeline is exact, messages
#       and stats agree.

import os
import struct
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'pipelines'))
from livestream import mpdfiles  # noqa: E402

NS = {'d': 'urn:mpeg:dash:schema:mpd:2011'}


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def boxes(data, pos=0, end=None):
    end = len(data) if end is None else end
    while pos + 8 <= end:
        size, typ = struct.unpack_from('>I4s', data, pos)
        hdr = 8
        if size == 1:
            size = struct.unpack_from('>Q', data, pos + 8)[0]
            hdr = 16
        if size < hdr or pos + size > end:
            fail('bad box size %d at %d' % (size, pos))
        yield typ.decode('latin1'), pos, size, hdr
        pos += size


def parse_segment(path):
    """Returns [(tfdt, [durations], [sizes], payload)] per chunk"""
    data = open(path, 'rb').read()
    chunks = []
    top = list(boxes(data))
    if not top or top[0][0] != 'styp':
        fail('%s does not start with styp' % path)
    for i, (typ, pos, size, hdr) in enumerate(top):
        if typ != 'moof':
            continue
        tfdt = None
        durs, sizes = [], []
        data_offset = None
        for t2, p2, s2, h2 in boxes(data, pos + 8, pos + size):
            if t2 != 'traf':
                continue
            for t3, p3, s3, h3 in boxes(data, p2 + 8, p2 + s2):
                if t3 == 'tfdt':
                    ver = data[p3 + 8]
                    tfdt = struct.unpack_from('>Q' if ver else '>I', data, p3 + 12)[0]
                elif t3 == 'trun':
                    flags = struct.unpack_from('>I', data, p3 + 8)[0] & 0xffffff
                    n = struct.unpack_from('>I', data, p3 + 12)[0]
                    q = p3 + 16
                    if flags & 1:
                        data_offset = struct.unpack_from('>i', data, q)[0]
                        q += 4
                    if flags & 4:
                        q += 4
                    for _ in range(n):
                        if flags & 0x100:
                            durs.append(struct.unpack_from('>I', data, q)[0])
                            q += 4
                        if flags & 0x200:
                            sizes.append(struct.unpack_from('>I', data, q)[0])
                            q += 4
                        if flags & 0x400:
                            q += 4
                        if flags & 0x800:
                            q += 4
        if i + 1 >= len(top) or top[i + 1][0] != 'mdat':
            fail('%s: moof without mdat' % path)
        mdat = top[i + 1]
        if data_offset != size + mdat[3]:
            fail('%s: trun data offset %s != %d' % (path, data_offset, size + mdat[3]))
        if sum(sizes) != mdat[2] - mdat[3]:
            fail('%s: sample sizes %d != mdat payload %d' % (path, sum(sizes), mdat[2] - mdat[3]))
        chunks.append((tfdt, durs, sizes))
    if not chunks:
        fail('%s has no moof' % path)
    return chunks


def expand(st):
    """[(number, t, d)] of a SegmentTemplate's timeline"""
    return mpdfiles.timeline(st)


def segment_name(media, number, t):
    """The SegmentTemplate @media pattern for one segment"""
    return mpdfiles.expand(media, None, None, number, t)


def check_timeline(outdir, exact_bandwidth=False, quiet=False):
    mpd = ET.parse(os.path.join(outdir, 'manifest.mpd')).getroot()
    checked = 0
    listed = set()
    for period in mpd.findall('d:Period', NS):
        for aset in period.findall('d:AdaptationSet', NS):
            for rep in aset.findall('d:Representation', NS):
                st = rep.find('d:SegmentTemplate', NS)
                ts = int(st.get('timescale'))
                init = os.path.join(outdir, st.get('initialization'))
                if not os.path.exists(init):
                    fail('missing init segment ' + init)
                listed.add(st.get('initialization'))
                if not rep.get('codecs') or ('.' not in rep.get('codecs') and rep.get('codecs') != 'opus'):
                    fail('codecs without profile: %s' % rep.get('codecs'))
                peak = 0
                for number, t, d in expand(st):
                    name = segment_name(st.get('media'), number, t)
                    listed.add(name)
                    path = os.path.join(outdir, name)
                    if not os.path.exists(path):
                        fail('MPD lists missing segment ' + path)
                    chunks = parse_segment(path)
                    if chunks[0][0] != t:
                        fail('%s: S@t %d != tfdt %d' % (name, t, chunks[0][0]))
                    tt = t
                    for tfdt, durs, _ in chunks:
                        if tfdt != tt:
                            fail('%s: chunk tfdt %d, expected %d' % (name, tfdt, tt))
                        tt += sum(durs)
                    if tt - t != d:
                        fail('%s: S@d %d != sum of sample durations %d' % (name, d, tt - t))
                    if d > 0:
                        peak = max(peak, os.path.getsize(path) * 8 * ts / d)
                    checked += 1
                bw = int(rep.get('bandwidth'))
                if exact_bandwidth and peak > 0 and abs(bw - peak) > 0.1 * peak:
                    fail('%s: bandwidth %d vs measured peak %.0f' % (rep.get('id'), bw, peak))
                if bw < peak * 0.999:
                    fail('%s: bandwidth %d below a listed segment\'s %.0f' % (rep.get('id'), bw, peak))
    # HLS playlists list the same media files
    master = os.path.join(outdir, 'master.m3u8')
    if os.path.exists(master):
        for line in open(master):
            line = line.strip()
            uri = None
            if line.endswith('.m3u8') and not line.startswith('#'):
                uri = line
            elif 'URI="' in line:
                uri = line.split('URI="')[1].split('"')[0]
            if not uri:
                continue
            for l2 in open(os.path.join(outdir, uri)):
                l2 = l2.strip()
                if l2.startswith('#EXT-X-MAP:URI="'):
                    l2 = l2.split('"')[1]
                elif l2.startswith('#') or not l2:
                    continue
                if l2 not in listed:
                    fail('%s lists %s which the MPD does not' % (uri, l2))
    if checked == 0:
        fail('no segment checked')
    if not quiet:
        print('timeline: %d segments exact (S@t = tfdt, S@d = sum of durations)' % checked)
    return mpd, listed


def play(url, min_video, min_audio):
    import gi
    gi.require_version('Gst', '1.0')
    from gi.repository import Gst
    Gst.init(None)
    counts = {'video': 0, 'audio': 0}
    pb = Gst.ElementFactory.make('playbin3')
    pb.set_property('uri', url)
    for kind in counts:
        sink = Gst.ElementFactory.make('fakesink')
        sink.set_property('sync', False)
        sink.set_property('signal-handoffs', True)
        sink.connect('handoff', lambda s, b, p, k=kind: counts.__setitem__(k, counts[k] + 1))
        pb.set_property(kind + '-sink', sink)
    bus = pb.get_bus()
    pb.set_state(Gst.State.PLAYING)
    deadline = time.time() + 60
    err = None
    while time.time() < deadline:
        msg = bus.timed_pop_filtered(500 * Gst.MSECOND,
                                     Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg is None:
            continue
        if msg.type == Gst.MessageType.ERROR:
            err = msg.parse_error()
        break
    else:
        err = 'timeout'
    pb.set_state(Gst.State.NULL)
    print('play %s: %d video frames, %d audio frames' % (url, counts['video'], counts['audio']))
    if err:
        fail('playback error: %s' % (err,))
    if counts['video'] < min_video or counts['audio'] < min_audio:
        fail('expected at least %d video / %d audio frames' % (min_video, min_audio))


def dir_stats(outdir):
    n = 0
    size = 0
    for e in os.scandir(outdir):
        try:
            size += e.stat().st_size
            n += 1
        except FileNotFoundError:
            pass  # renamed or deleted meanwhile
    return n, size


def hour(outdir):
    import gi
    gi.require_version('Gst', '1.0')
    from gi.repository import Gst
    Gst.init(None)
    window = 60
    desc = (
        'videotestsrc num-buffers=36000 pattern=ball ! '
        'video/x-raw,width=160,height=90,framerate=10/1,format=I420 ! '
        'x264enc speed-preset=ultrafast key-int-max=20 bitrate=64 ! h264parse ! '
        'dashlivesink name=s location=%s dvr-window=%d '
        'audiotestsrc num-buffers=28125 samplesperbuffer=1024 ! '
        'audio/x-raw,rate=8000,channels=1 ! avenc_aac ! aacparse ! s.audio_0' % (outdir, window * 1000000000))
    pipe = Gst.parse_launch(desc)
    sink = pipe.get_by_name('s')
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)
    t0 = time.time()
    msgs = {}
    counts_by_rep = {}
    samples = []
    last_end = {}
    first_start = None
    err = None
    while True:
        if time.time() - t0 > 180:
            err = 'timeout'
            break
        msg = bus.timed_pop_filtered(
            1 * Gst.SECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS | Gst.MessageType.ELEMENT)
        if msg is None:
            continue
        if msg.type == Gst.MessageType.ERROR:
            err = msg.parse_error()
            break
        if msg.type == Gst.MessageType.EOS:
            break
        st = msg.get_structure()
        if st.get_name() != 'dashlivesink-segment':
            continue
        rep = st.get_value('representation')
        num = st.get_value('number')
        start = st.get_value('start')
        dur = st.get_value('duration')
        # (the file itself may already have left the window: the bus is
        # read later than the sink publishes); named after its start
        ts = 90000 if rep.startswith('video') else 8000
        t = (start * ts + 500000000) // 1000000000
        if st.get_value('path') != os.path.join(outdir, '%s-%d.m4s' % (rep, t)):
            err = 'message names %s, start %d' % (st.get_value('path'), t)
            break
        if rep in msgs and num != msgs[rep] + 1:
            err = '%s: number %d after %d' % (rep, num, msgs[rep])
            break
        if rep in last_end and abs(start - last_end[rep]) > 1000000:
            err = '%s: segment %d starts at %d, previous ended at %d' % (rep, num, start, last_end[rep])
            break
        msgs[rep] = num
        counts_by_rep[rep] = counts_by_rep.get(rep, 0) + 1
        last_end[rep] = start + dur
        if first_start is None:
            first_start = start
        if rep == 'video_0' and start - first_start > 5 * 60 * Gst.SECOND:
            samples.append(dir_stats(outdir))
    stats = sink.get_property('stats')
    pipe.set_state(Gst.State.NULL)
    elapsed = time.time() - t0
    if err:
        fail('hour run: %s' % (err,))
    if counts_by_rep.get('video_0', 0) < 1700:
        fail('only %s video segments for one hour' % counts_by_rep.get('video_0'))
    counts = [c for c, _ in samples]
    sizes = [s for _, s in samples]
    print('hour: %.1f s wall for 3600 s of media, %d video segments, %d audio segments' %
          (elapsed, counts_by_rep['video_0'], counts_by_rep['audio_0']))
    print('hour: directory %d..%d files, %d..%d bytes after the window filled' %
          (min(counts), max(counts), min(sizes), max(sizes)))
    # 30 segments in the window + 1 of grace + the one being written, per
    # representation, plus init segments, MPD, playlists and resume state
    if max(counts) > 2 * (window // 2 + 3) + 7:
        fail('directory grows: %d files' % max(counts))
    if max(sizes) > 1.5 * min(sizes):
        fail('directory size not flat: %d..%d' % (min(sizes), max(sizes)))
    deleted = stats.get_value('segments-deleted')
    written = stats.get_value('segments-written')
    print('hour: stats segments-written %d, segments-deleted %d' % (written, deleted))
    if written != counts_by_rep['video_0'] + counts_by_rep['audio_0']:
        fail('stats segments-written %d != messages %d' %
             (written, counts_by_rep['video_0'] + counts_by_rep['audio_0']))
    if deleted < written - 2 * (window // 2 + 3):
        fail('too few deletions: %d of %d' % (deleted, written))
    _, listed = check_timeline(outdir)
    on_disk = set(e.name for e in os.scandir(outdir) if e.name.endswith('.m4s'))
    extra = on_disk - listed
    # a segment that left the window stays one segment duration longer for
    # players holding the previous manifest: after the last (short)
    # segment, up to two per representation, all older than the window
    for rep in set(n.rsplit('-', 1)[0] for n in on_disk):
        mine = sorted(int(n.rsplit('-', 1)[1][:-4]) for n in extra
                      if n.rsplit('-', 1)[0] == rep)
        kept = sorted(int(n.rsplit('-', 1)[1][:-4]) for n in on_disk & listed
                      if n.rsplit('-', 1)[0] == rep)
        if len(mine) > 2 or (mine and kept and mine[-1] >= kept[0]):
            fail('segments on disk that no manifest lists: %s (listed from '
                 '%s)' % (mine, kept[:1]))
    print('hour: %d segments kept past the window at the end (%s)' %
          (len(extra), ', '.join(sorted(extra))))
    if any(e.name.endswith('.tmp') for e in os.scandir(outdir)):
        fail('temporary files left behind')


def rep_files(outdir, rep_id):
    """The init segment and the media segments of @rep_id that the MPD
    lists, in order (one period)"""
    mpd = ET.parse(os.path.join(outdir, 'manifest.mpd')).getroot()
    for rep in mpd.iter('{urn:mpeg:dash:schema:mpd:2011}Representation'):
        if rep.get('id') != rep_id:
            continue
        st = rep.find('d:SegmentTemplate', NS)
        return [os.path.join(outdir, st.get('initialization'))] + [
            os.path.join(outdir, segment_name(st.get('media'), n, t))
            for n, t, _ in expand(st)]
    fail('no representation ' + rep_id)


def main():
    cmd = sys.argv[1]
    if cmd == 'files':
        print('\n'.join(rep_files(sys.argv[2], sys.argv[3])))
        return
    if cmd == 'timeline':
        check_timeline(sys.argv[2], '--exact-bandwidth' in sys.argv)
    elif cmd == 'play':
        play(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == 'hour':
        hour(sys.argv[2])
    else:
        fail('unknown command ' + cmd)
    print('PASS ' + cmd)


if __name__ == '__main__':
    main()
