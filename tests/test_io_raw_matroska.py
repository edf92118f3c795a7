"""genvid.io.raw_matroska and the timed Encoder: the bundled ffmpeg reads our Matroska pipe with the
right pixel format, every pixel and every timestamp, and an encoder keeps those timestamps."""
from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest

from genvid.io.encode import Encoder
from genvid.io.ffmpeg import ffmpeg_exe, run_ffmpeg
from genvid.io.raw_matroska import frame_header, stream_header

TIMES_US = [0, 40_000, 93_000, 120_000, 173_000]  # irregular on purpose
DURATIONS_US = [40_000, 53_000, 27_000, 53_000, 40_000]


def stream(frames: list[np.ndarray], pix_fmt: str) -> bytes:
    h, w = frames[0].shape[:2]
    data = [stream_header(w, h, pix_fmt)]
    for t, d, f in zip(TIMES_US, DURATIONS_US, frames):
        raw = f.astype("<u2").tobytes() if pix_fmt == "rgb48le" else f.tobytes()
        data += [frame_header(t, d, len(raw)), raw]
    return b"".join(data)


def packet_times(path_or_pipe: list[str], data: bytes | None = None) -> tuple[Fraction, list[int], list[int]]:
    """(time base, pts, durations) of the video packets, via framecrc."""
    r = subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", *path_or_pipe, "-map", "0:v:0", "-c", "copy",
                        "-f", "framecrc", "-"], input=data, capture_output=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    tb = Fraction(next(ln for ln in lines if ln.startswith("#tb 0:")).split(":", 1)[1].strip())
    rows = [[int(x) for x in ln.split(",")[1:4]] for ln in lines if ln.startswith("0,")]
    return tb, sorted(r[1] for r in rows), [r[2] for r in sorted(rows, key=lambda r: r[1])]


@pytest.mark.parametrize("pix_fmt,dtype", [("rgb24", np.uint8), ("rgb48le", np.uint16)])
def test_ffmpeg_reads_every_pixel_in_the_right_format(pix_fmt, dtype):
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, np.iinfo(dtype).max + 1, size=(6, 10, 3), dtype=dtype) for _ in TIMES_US]
    data = stream(frames, pix_fmt)
    head = subprocess.run([ffmpeg_exe(), "-hide_banner", "-f", "matroska", "-i", "pipe:0"], input=data,
                          capture_output=True).stderr.decode()
    assert "rawvideo (RGB" in head and f", {pix_fmt}, 10x6" in head
    r = subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", "-f", "matroska", "-i", "pipe:0",
                        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "pipe:1"],
                       input=data, capture_output=True)
    assert r.returncode == 0, r.stderr
    back = np.frombuffer(r.stdout, dtype="<u2" if dtype == np.uint16 else np.uint8).reshape(-1, 6, 10, 3)
    assert len(back) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(back, frames))


def test_timestamps_and_durations_are_read_to_the_microsecond():
    frames = [np.full((4, 4, 3), i * 40, np.uint8) for i in range(len(TIMES_US))]
    tb, pts, durations = packet_times(["-f", "matroska", "-i", "pipe:0"], stream(frames, "rgb24"))
    assert tb == Fraction(1, 1_000_000)
    assert pts == TIMES_US and durations == DURATIONS_US


def test_negative_times_are_refused():
    with pytest.raises(ValueError):
        frame_header(-1, 10, 12)


@pytest.mark.parametrize("suffix,time_base", [(".mkv", Fraction(1, 1000)), (".mp4", Fraction(1, 90000)),
                                              (".mov", Fraction(1, 16000))])
def test_timed_encoder_keeps_each_frame_time(tmp_path, suffix, time_base):
    out = tmp_path / f"vfr{suffix}"
    enc = Encoder(out, 32, 16, Fraction(25), codec="libx264", crf=30, time_base=time_base)
    for t, d in zip(TIMES_US, DURATIONS_US):
        enc.write(np.full((16, 32, 3), t % 251, np.uint8), t, d)
    enc.close()
    tb, pts, _ = packet_times(["-i", str(out)])
    seconds = [p * tb for p in pts]
    assert len(seconds) == len(TIMES_US)
    assert max(abs(float(s) - t / 1e6) for s, t in zip(seconds, TIMES_US)) <= 0.0005
    if suffix != ".mkv":  # MP4/MOV store the encoder's time base: the exact ticks of the source
        assert tb == time_base
    total = run_ffmpeg(["-i", str(out)]).stderr
    assert "Duration: 00:00:00.21" in total  # the last frame keeps its 40 ms
