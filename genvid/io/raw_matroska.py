"""Raw RGB frames with a timestamp each, as a Matroska stream that ffmpeg reads on a pipe.

ffmpeg's rawvideo input has no per-frame timestamps: it numbers frames at one rate.  To give each
enhanced frame exactly its source frame's time (variable-frame-rate sources), the encoder is fed a
minimal Matroska stream instead: an EBML header, a Segment of unknown size (it is being streamed),
Info with a timestamp scale of 1 microsecond, one `V_UNCOMPRESSED` track, then one Cluster per frame
holding a BlockGroup (its BlockDuration, then the Block with the pixels).  The track's ColourSpace is
ffmpeg's raw pixel-format tag: `RGB\\x18` is rgb24 and `RGB0` is rgb48le (checked against the bundled
ffmpeg by tests/test_io_raw_matroska.py).  Every element size is written in 8 bytes, so a frame's
header does not depend on anything but its timestamp, duration and byte count.
"""
from __future__ import annotations

import struct

TIMESTAMP_SCALE_NS = 1000  # one Matroska tick is one microsecond
PIXEL_FORMAT_TAG = {"rgb24": b"RGB\x18", "rgb48le": b"RGB0"}
_UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def _size(n: int) -> bytes:
    return b"\x01" + n.to_bytes(7, "big")


def _element(element_id: str, payload: bytes) -> bytes:
    return bytes.fromhex(element_id) + _size(len(payload)) + payload


def _uint(element_id: str, value: int) -> bytes:
    return _element(element_id, value.to_bytes(8, "big"))


def _text(element_id: str, value: str) -> bytes:
    return _element(element_id, value.encode("ascii"))


def stream_header(width: int, height: int, pix_fmt: str) -> bytes:
    """Everything before the first frame: EBML header, Segment start, Info and the one video track."""
    ebml = _element("1A45DFA3", _uint("4286", 1) + _uint("42F7", 1) + _uint("42F2", 4) + _uint("42F3", 8)
                    + _text("4282", "matroska") + _uint("4287", 4) + _uint("4285", 2))
    info = _element("1549A966", _uint("2AD7B1", TIMESTAMP_SCALE_NS) + _text("4D80", "genvid") + _text("5741", "genvid"))
    video = _element("E0", _uint("B0", width) + _uint("BA", height) + _element("2EB524", PIXEL_FORMAT_TAG[pix_fmt]))
    track = _element("AE", _uint("D7", 1) + _uint("73C5", 1) + _uint("83", 1) + _text("86", "V_UNCOMPRESSED") + video)
    return ebml + bytes.fromhex("18538067") + _UNKNOWN_SIZE + info + _element("1654AE6B", track)


def frame_header(timestamp_us: int, duration_us: int, frame_bytes: int) -> bytes:
    """The bytes that go just before a frame's `frame_bytes` pixel bytes: its Cluster, BlockGroup and Block."""
    if timestamp_us < 0 or duration_us < 0:
        raise ValueError("Matroska cluster timestamps and durations cannot be negative")
    block_head = b"\x81" + struct.pack(">h", 0) + b"\x00"  # track 1, at the cluster's time, no lacing
    block = bytes.fromhex("A1") + _size(len(block_head) + frame_bytes) + block_head
    group_payload = _uint("9B", duration_us) + block
    group = bytes.fromhex("A0") + _size(len(group_payload) + frame_bytes) + group_payload
    cluster_payload = _uint("E7", timestamp_us) + group
    return bytes.fromhex("1F43B675") + _size(len(cluster_payload) + frame_bytes) + cluster_payload
