"""genvid.enhance.segments: outputs written in segments and joined keep every frame at its time, the
exact rational rate, the audio in sync, and (lossless) the very frames of a run in one piece."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import genvid
from conftest import make_clip, make_vfr_clip, vfr_time
from genvid.enhance.segments import MIN_TAIL_FRAMES, to_microseconds
from genvid.errors import GenvidError
from genvid.io.decode import read_frames
from genvid.io.ffmpeg import run_ffmpeg
from genvid.io.probe import probe


def packet_times(path, stream: str) -> list[tuple[float, float]]:
    """(start, end) in seconds of every packet of the first `stream` ('v' or 'a'), in presentation order,
    on the file's own clock (ffmpeg's framecrc keeps the timestamps as stored)."""
    r = run_ffmpeg(["-v", "error", "-i", str(path), "-map", f"0:{stream}:0", "-c", "copy", "-f", "framecrc", "-"])
    assert r.returncode == 0, r.stderr
    tb = Fraction(next(ln for ln in r.stdout.splitlines() if ln.startswith("#tb 0:")).split(":", 1)[1].strip())
    lines = [ln.split(",") for ln in r.stdout.splitlines() if ln.startswith("0,")]
    rows = sorted((int(f[2]), int(f[3])) for f in lines)
    return [(float(p * tb), float((p + d) * tb)) for p, d in rows]


def relative(times: list[tuple[float, float]], origin: float) -> list[float]:
    return [start - origin for start, _ in times]


# 40 frames: segments of 4 end at 4, 8, .. 24, then one of 16 (MIN_TAIL_FRAMES); of 6 at 6, .. 24, then 16
@pytest.mark.parametrize("suffix,segment_frames,segments", [(".mkv", None, 1), (".mkv", 4, 7), (".mp4", 4, 7),
                                                            (".mov", 6, 5)])
def test_variable_frame_rate_keeps_every_frame_time_and_the_audio(tmp_path, tiny_model_dir, suffix, segment_frames,
                                                                  segments):
    src = make_vfr_clip(tmp_path / "vfr.mp4", 40, audio=True, time_base="1:90000")
    out = tmp_path / f"out{suffix}"
    result = genvid.enhance(src, out, "tiny-x4", quiet=True, segment_frames=segment_frames)
    assert result["frames"] == 40 and result["segments"] == segments
    got = probe(out)
    assert got.frame_count == 40 and got.variable_frame_rate
    video = packet_times(out, "v")
    assert max(abs(t - vfr_time(n)) for n, t in enumerate(relative(video, got.start_time))) <= 0.001
    src_audio, out_audio = packet_times(src, "a"), packet_times(out, "a")
    assert len(out_audio) == len(src_audio)
    assert abs((out_audio[0][0] - got.start_time) - (src_audio[0][0] - probe(src).start_time)) <= 0.001
    assert abs((out_audio[-1][1] - out_audio[0][0]) - (src_audio[-1][1] - src_audio[0][0])) <= 0.001


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_video_that_starts_after_its_audio_stays_in_sync(tmp_path, tiny_model_dir, suffix):
    src = make_vfr_clip(tmp_path / "late.mkv", 20, audio=True, video_delay=0.5)
    info = probe(src)
    assert info.video_start == pytest.approx(0.5) and info.start_time == 0.0
    out = tmp_path / f"out{suffix}"
    genvid.enhance(src, out, "tiny-x4", quiet=True, segment_frames=5)
    got = probe(out)
    video, audio = packet_times(out, "v"), packet_times(out, "a")
    offsets = [t - a for t, a in zip(relative(video, 0), relative(packet_times(src, "v"), 0))]
    audio_shift = audio[0][0] - packet_times(src, "a")[0][0]
    assert max(abs(o - audio_shift) for o in offsets) <= 0.001, "video moved against the audio"
    assert got.frame_count == 20


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_segments_keep_the_exact_rational_rate(tmp_path, tiny_model_dir, suffix):
    src = make_clip(tmp_path / "ntsc.mp4", size="48x32", rate="30000/1001", frames=37, audio=True)
    frames = probe(src).frame_count
    out = tmp_path / f"out{suffix}"
    result = genvid.enhance(src, out, "tiny-x4", quiet=True, segment_frames=10)
    got = probe(out)
    assert result["segments"] == 3  # 10, 10, then the last 16 or 17 (so no tail under MIN_TAIL_FRAMES)
    assert got.frame_count == frames and got.fps == Fraction(30000, 1001) and not got.variable_frame_rate
    assert got.audio == ["aac"]
    starts = relative(packet_times(out, "v"), got.start_time)
    assert max(abs(t - n * 1001 / 30000) for n, t in enumerate(starts)) <= 0.0006


def test_a_short_tail_joins_the_segment_before_it(tmp_path, tiny_model_dir):
    frames = 2 * MIN_TAIL_FRAMES + 1
    src = make_clip(tmp_path / "in.mkv", size="32x32", frames=frames, codec="ffv1")
    seen = []
    result = genvid.enhance(src, tmp_path / "out.mkv", "tiny-x4", quiet=True, segment_frames=MIN_TAIL_FRAMES,
                            progress=lambda done, total: seen.append((done, total)))
    assert result["segments"] == 2  # 16, then 17: a segment of 1 would have been the tail
    assert probe(tmp_path / "out.mkv").frame_count == frames
    assert seen == [(n, frames) for n in range(1, frames + 1)]


@pytest.mark.parametrize("codec", ["ffv1", "libx264rgb"])
def test_lossless_segments_join_to_the_frames_of_one_piece(tmp_path, tiny_model_dir, codec):
    src = make_clip(tmp_path / "in.mp4", size="40x24", frames=30, audio=True)
    one, many = tmp_path / "one.mkv", tmp_path / "many.mkv"
    genvid.enhance(src, one, "tiny-x4", quiet=True, codec=codec, crf=0)
    genvid.enhance(src, many, "tiny-x4", quiet=True, codec=codec, crf=0, segment_frames=3)
    a, b = read_frames(one), read_frames(many)
    assert len(a) == len(b) == 30
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_microseconds_are_rounded_exactly():
    assert to_microseconds(1001, Fraction(1, 30000)) == 33367
    assert to_microseconds(3, Fraction(1, 90000)) == 33
    assert to_microseconds(2, Fraction(1, 4000000)) == 1  # half a microsecond rounds up


def test_a_container_that_cannot_hold_the_codec_is_refused_before_any_work(tmp_path, tiny_model_dir):
    src = make_clip(tmp_path / "in.mp4", size="32x32", frames=3)
    out = tmp_path / "out.mp4"
    with pytest.raises(GenvidError, match=r"cannot write .*out.mp4 with prores_ks: .*prores"):
        genvid.enhance(src, out, "tiny-x4", quiet=True, codec="prores_ks")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "weights"]


@pytest.mark.parametrize("width,height,rate,frames", [(320, 180, 30, 330), (640, 360, Fraction(30000, 1001), 60),
                                                      (1920, 1080, 24, 16), (64, 36, 25, 8675)])
def test_default_segments_follow_the_frame_size_and_rate(width, height, rate, frames):
    from genvid.enhance.segments import default_segment_frames
    from genvid.io.probe import VideoInfo

    assert default_segment_frames(VideoInfo("x.mp4", width, height, 100000, Fraction(rate))) == frames


def test_segment_boundaries_and_bytes_do_not_depend_on_timing(tmp_path, tiny_model_dir, monkeypatch):
    """The same lossy command on an idle machine and on one so busy that every look at the clock finds ten
    more minutes gone: the same segments and the same output bytes."""
    import time

    from genvid.enhance import segments
    from genvid.enhance.workdir import WorkFolder

    src = make_clip(tmp_path / "in.mp4", size="32x24", frames=50, audio=True)
    monkeypatch.setattr(segments, "SEGMENT_PIXELS", 32 * 24 * 20, raising=False)  # 20 frames a segment
    bounds, record = [], WorkFolder.add_segment

    def add_segment(self, file, start, frames):
        bounds.append((start, frames))
        record(self, file, start, frames)
    monkeypatch.setattr(WorkFolder, "add_segment", add_segment)
    runs = {}
    for machine in ("idle", "busy"):
        if machine == "busy":
            now = [time.monotonic()]

            def busy_clock():
                now[0] += 600.0
                return now[0]
            for name in ("monotonic", "time", "perf_counter"):
                monkeypatch.setattr(time, name, busy_clock)
        for suffix in (".mp4", ".mkv"):
            bounds.clear()
            out = tmp_path / f"{machine}{suffix}"
            genvid.enhance(src, out, "tiny-x4", quiet=True)
            runs[machine, suffix] = (list(bounds), out.read_bytes())
    assert runs["idle", ".mp4"][0] == [(0, 20), (20, 30)]  # the tail of 10 stays in the segment before it
    for suffix in (".mp4", ".mkv"):
        assert runs["idle", suffix][0] == runs["busy", suffix][0]
        assert runs["idle", suffix][1] == runs["busy", suffix][1], f"{suffix}: other bytes"
