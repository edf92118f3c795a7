"""genvid.io.probe: sizes, exact frame counts and rational rates, bit depth, audio/subtitle streams, errors.

Every clip is made here with the bundled ffmpeg (tiny, a few frames), nothing from ../shared.
"""
from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import make_clip
from genvid.errors import GenvidError
from genvid.io.ffmpeg import ffmpeg_exe
from genvid.io.probe import probe

SRT = "1\n00:00:00,000 --> 00:00:00,200\nhello\n\n2\n00:00:00,200 --> 00:00:00,400\nworld\n\n"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", *args], check=True)


def make_subtitled_mkv(folder: Path, *, audio: bool = False, rate: str = "25", frames: int = 10) -> Path:
    """An .mkv holding a testsrc2 video (plus AAC audio if asked) and a SubRip subtitle stream."""
    base = make_clip(folder / "sub_base.mp4", frames=frames, rate=rate, audio=audio)
    srt = folder / "sub.srt"
    srt.write_text(SRT)
    out = folder / "subtitled.mkv"
    ffmpeg("-i", str(base), "-i", str(srt), "-map", "0", "-map", "1:s", "-c", "copy", "-c:s", "srt", str(out))
    return out


@pytest.mark.parametrize("rate, frames, expected", [
    ("30000/1001", 12, Fraction(30000, 1001)),
    ("24000/1001", 7, Fraction(24000, 1001)),
    ("25", 10, Fraction(25)),
])
def test_probe_size_count_and_exact_rate(tmp_path, rate, frames, expected):
    info = probe(make_clip(tmp_path / "in.mp4", size="64x48", rate=rate, frames=frames))
    assert (info.width, info.height) == (64, 48)
    assert info.frame_count == frames
    assert isinstance(info.fps, Fraction)
    assert info.fps == expected  # exact: 30000/1001, never 29.97 or 2997/100
    assert (info.fps.numerator, info.fps.denominator) == (expected.numerator, expected.denominator)
    assert not info.variable_frame_rate
    assert info.as_dict()["fps"] == f"{expected.numerator}/{expected.denominator}"
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.bit_depth == 8
    assert info.audio == [] and info.subtitles == []
    assert not info.is_image_folder


def test_probe_odd_frame_size(tmp_path):
    # testsrc2 rounds to even sizes: crop a 4:4:4 picture down to an odd size
    clip = make_clip(tmp_path / "odd.mp4", size="176x144", frames=3, pix_fmt="yuv444p",
                     extra=["-vf", "format=yuv444p,crop=175:143:0:0"])
    info = probe(clip)
    assert (info.width, info.height, info.frame_count) == (175, 143, 3)


@pytest.mark.parametrize("size,codec,suffix", [("8x8", "libx264", ".mp4"), ("2x2", "ffv1", ".mkv"),
                                               ("8x100", "libx264", ".mov"), ("100x8", "ffv1", ".mkv")])
def test_probe_frame_sizes_under_ten_pixels(tmp_path, size, codec, suffix):
    """A one-digit side is a size too (the codec tag, e.g. 0x31637661, is not)."""
    info = probe(make_clip(tmp_path / f"tiny{suffix}", size=size, frames=3, codec=codec, pix_fmt="yuv444p"))
    assert f"{info.width}x{info.height}" == size and info.frame_count == 3


def test_probe_lists_audio_when_present(tmp_path):
    info = probe(make_clip(tmp_path / "a.mp4", frames=10, audio=True))
    assert info.audio == ["aac"]
    assert info.frame_count == 10 and info.fps == 25
    assert info.subtitles == []


def test_probe_bit_depth_8_and_10(tmp_path):
    eight = probe(make_clip(tmp_path / "8.mp4", frames=3))
    assert eight.pix_fmt == "yuv420p" and eight.bit_depth == 8
    ten = probe(make_clip(tmp_path / "10.mp4", frames=3, codec="libx265", pix_fmt="yuv420p10le",
                          extra=["-x265-params", "log-level=error"]))
    assert ten.codec == "hevc"
    assert ten.pix_fmt == "yuv420p10le"
    assert ten.bit_depth == 10
    assert ten.frame_count == 3 and ten.fps == 25


def test_probe_lists_subtitle_stream(tmp_path):
    info = probe(make_subtitled_mkv(tmp_path, audio=True))
    assert info.subtitles == ["subrip"]
    assert info.audio == ["aac"]
    assert info.frame_count == 10 and info.fps == 25 and (info.width, info.height) == (64, 48)


def test_probe_rotation_swaps_size(tmp_path):
    src = make_clip(tmp_path / "r0.mp4", frames=2)
    rotated = tmp_path / "r90.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(src), "-c", "copy", str(rotated))
    info = probe(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (48, 64)  # frames come out upright, so the size is swapped


def _error_of(path) -> str:
    with pytest.raises(GenvidError) as e:
        probe(path)
    assert str(path) in str(e.value), "the message must name the file"
    return str(e.value).replace(str(path), "<path>")  # what is left is what the message says about it


def test_probe_missing_file(tmp_path):
    msg = _error_of(tmp_path / "nope.mp4")
    assert "not found" in msg


def test_probe_text_file_renamed_mp4(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is a text file, not a video\n" * 20)
    msg = _error_of(fake)
    assert "not a video" in msg


def test_probe_audio_only_file(tmp_path):
    audio = tmp_path / "tone.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5", "-c:a", "aac", str(audio))
    msg = _error_of(audio)
    assert "no video stream" in msg


def test_probe_empty_folder(tmp_path):
    empty = tmp_path / "frames"
    empty.mkdir()
    (empty / "readme.txt").write_text("not a frame")
    msg = _error_of(empty)
    assert re.search(r"no image frames", msg)


# ---- timestamps ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,time_base", [("vfr.mkv", "1:1000"), ("vfr.mp4", "1:90000")])
def test_probe_variable_frame_rate_keeps_every_timestamp(tmp_path, name, time_base):
    from conftest import make_vfr_clip, vfr_time

    info = probe(make_vfr_clip(tmp_path / name, 20, time_base=time_base))
    assert info.variable_frame_rate and info.frame_count == 20
    seconds = [float(t * info.time_base) for t in info.frame_times]
    assert max(abs(s - vfr_time(n)) for n, s in enumerate(seconds)) < 1e-6
    assert info.end_time > info.frame_times[-1]


@pytest.mark.parametrize("rate,expected", [("30000/1001", Fraction(30000, 1001)), ("24000/1001", Fraction(24000, 1001)),
                                           ("25", Fraction(25))])
def test_probe_millisecond_timestamps_are_still_constant_rate(tmp_path, rate, expected):
    """Matroska rounds times to 1 ms (33, 67, 100, ...): still the exact rational rate, not VFR."""
    info = probe(make_clip(tmp_path / "ms.mkv", rate=rate, frames=40))
    assert info.fps == expected and not info.variable_frame_rate and info.frame_times is None


def test_probe_start_times_of_a_late_video(tmp_path):
    from conftest import make_vfr_clip

    info = probe(make_vfr_clip(tmp_path / "late.mkv", 10, audio=True, video_delay=0.5))
    assert info.start_time == 0.0 and info.video_start == pytest.approx(0.5)


def test_probe_hdr_transfer(tmp_path):
    pq = make_clip(tmp_path / "pq.mkv", frames=2, codec="libx265", pix_fmt="yuv420p10le",
                   extra=["-vf", "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
                          "-x265-params", "log-level=error"])
    info = probe(pq)
    assert (info.color_transfer, info.color_primaries, info.color_space) == ("smpte2084", "bt2020", "bt2020nc")
    assert info.hdr == "PQ"
    assert probe(make_clip(tmp_path / "sdr.mp4", frames=2)).hdr is None


@pytest.mark.parametrize("name,codec,pix_fmt,alpha", [("argb.mov", "qtrle", "argb", True),
                                                      ("yuva.mkv", "ffv1", "yuva420p", True),
                                                      ("alpha.webm", "libvpx-vp9", "yuva420p", True),
                                                      ("gray.mkv", "ffv1", "gray", False),
                                                      ("plain.mp4", "libx264", "yuv420p", False)])
def test_probe_notes_an_alpha_channel(tmp_path, name, codec, pix_fmt, alpha):
    assert probe(make_clip(tmp_path / name, size="32x24", frames=2, codec=codec, pix_fmt=pix_fmt)).alpha is alpha
