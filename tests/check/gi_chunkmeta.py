#!/usr/bin/python3
# GstChunkMeta from Python, through the GObject-introspection data of
# libgstlivestream-1.0 (namespace GstLivestream 1.0), uninstalled: the test
# environment points GI_TYPELIB_PATH and LD_LIBRARY_PATH at the build.
# Checked:
# - the meta is attached with the field values given and read back, with
#   its enums; its checksum is set and verified, a changed byte detected;
# - a buffer without the meta reads back None;
# - appsrc -> chunkreorder seqnum-source=meta validate=true -> appsink:
#   200 buffers tagged from Python, numbered from 1000 and shuffled within
#   blocks of 8 from the very first one, come out complete and in order
#   (each with its meta), nothing counted lost, late or invalid.
import random
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstLivestream", "1.0")
from gi.repository import GLib, Gst, GstLivestream  # noqa: E402

N = 200
FIRST = 1000


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"ok: {msg}", flush=True)


def make_buffer(seqnum):
    buf = Gst.Buffer.new_wrapped(bytes([seqnum & 0xff]) * 100)
    buf.pts = (seqnum - FIRST) * Gst.SECOND // 50
    buf.duration = Gst.SECOND // 50
    meta = GstLivestream.buffer_add_chunk_meta(
        buf, 7, seqnum, GstLivestream.ChunkType.VIDEO_P,
        GstLivestream.ChunkPriority.NORMAL)
    meta.set_checksum(buf)
    return buf


def main():
    Gst.init(None)

    # the meta on its own
    buf = Gst.Buffer.new_wrapped(b"\x00" * 64)
    meta = GstLivestream.buffer_add_chunk_meta(
        buf, 7, 42, GstLivestream.ChunkType.VIDEO_P,
        GstLivestream.ChunkPriority.NORMAL)
    check(meta is not None, "buffer_add_chunk_meta() returns the meta")
    got = GstLivestream.buffer_get_chunk_meta(buf)
    check(got is not None and got.stream_id == 7 and got.seqnum == 42,
          "the meta reads back (stream 7, seqnum 42)")
    check(got.type == GstLivestream.ChunkType.VIDEO_P and
          got.priority == GstLivestream.ChunkPriority.NORMAL,
          "type VIDEO_P and priority NORMAL read back")
    check(GstLivestream.chunk_type_get_name(got.type) == "video-p",
          "the type's name is video-p")
    check(not (got.flags & GstLivestream.ChunkMetaFlags.HAS_CHECKSUM),
          "no checksum yet")
    got.set_checksum(buf)
    check(got.flags & GstLivestream.ChunkMetaFlags.HAS_CHECKSUM and
          got.verify_checksum(buf), "the checksum is set and verifies")
    other = Gst.Buffer.new_wrapped(b"\x00" * 63 + b"\x01")
    check(not got.verify_checksum(other), "a changed byte is detected")
    check(GstLivestream.buffer_get_chunk_meta(other) is None,
          "a buffer without the meta reads back None")
    copy = buf.copy()
    cm = GstLivestream.buffer_get_chunk_meta(copy)
    check(cm is not None and cm.seqnum == 42, "a copy keeps the meta")

    # ordering buffers tagged from Python
    pipe = Gst.parse_launch(
        "appsrc name=src format=time caps=application/octet-stream "
        "! chunkreorder name=r seqnum-source=meta validate=true window=32 "
        "! appsink name=sink sync=false")
    src = pipe.get_by_name("src")
    sink = pipe.get_by_name("sink")
    order = list(range(FIRST, FIRST + N))
    rnd = random.Random(17)
    for b in range(0, N, 8):
        block = order[b:b + 8]
        rnd.shuffle(block)
        order[b:b + 8] = block
    check(order[0] != FIRST, f"the first buffer pushed is #{order[0]}, not "
          f"#{FIRST}")
    pipe.set_state(Gst.State.PLAYING)
    for s in order:
        check_ret = src.emit("push-buffer", make_buffer(s))
        if check_ret != Gst.FlowReturn.OK:
            fail(f"push-buffer returned {check_ret}")
    src.emit("end-of-stream")

    out = []
    while True:
        sample = sink.emit("try-pull-sample", 5 * Gst.SECOND)
        if sample is None:
            break
        m = GstLivestream.buffer_get_chunk_meta(sample.get_buffer())
        out.append(m.seqnum if m is not None else None)
    bus = pipe.get_bus()
    msg = bus.timed_pop_filtered(5 * Gst.SECOND,
                                 Gst.MessageType.EOS | Gst.MessageType.ERROR)
    check(msg is not None and msg.type == Gst.MessageType.EOS,
          "the pipeline reaches EOS")
    stats = pipe.get_by_name("r").get_property("stats")
    pipe.set_state(Gst.State.NULL)

    check(out == list(range(FIRST, FIRST + N)),
          f"all {N} buffers come out in order, each with its meta "
          f"(first {out[:5]})")
    for field in ("lost", "late", "invalid"):
        ok, v = stats.get_uint64(field)
        check(ok and v == 0, f"chunkreorder counted {v} {field}")


if __name__ == "__main__":
    try:
        main()
    except GLib.Error as e:
        fail(str(e))
