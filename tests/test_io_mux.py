"""genvid.io.mux: the enhance flow (frames -> temporary video -> mux with the source's audio/subtitles)."""
from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import make_clip
from genvid.errors import GenvidError
from genvid.io.decode import FrameReader
from genvid.io.encode import FrameWriter
from genvid.io.ffmpeg import ffmpeg_exe, run_ffmpeg
from genvid.io.mux import check_streams_fit, mux, plan_streams
from genvid.io.probe import VideoInfo, probe

SRT = "1\n00:00:00,000 --> 00:00:00,150\nhello\n\n2\n00:00:00,150 --> 00:00:00,300\nworld\n\n"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", *args], check=True)


def read_all(source) -> list[np.ndarray]:
    with FrameReader(source) as reader:
        return list(reader)


def enhance_like(source: Path, output: Path) -> tuple[VideoInfo, list[np.ndarray]]:
    """What the enhancer does: decode, change the frames, encode to a temporary file, mux into `output`.

    Returns the source's info and the frames decoded from the temporary video before muxing."""
    info = probe(source)
    plan = plan_streams(info, output)  # before any work
    tmp = output.with_name(output.stem + ".video-only" + output.suffix)
    writer = FrameWriter(tmp, info.width, info.height, info.fps, source=info)
    with FrameReader(info) as reader:
        for frame in reader:
            writer.write(255 - frame)
    assert writer.finish() == tmp
    written = read_all(tmp)
    assert probe(tmp).audio == [] and probe(tmp).subtitles == []  # the writer drops audio and subtitles
    mux(tmp, info, output, plan)
    assert not tmp.exists(), "the temporary video is consumed"
    return info, written


def subtitle_text(path: Path) -> str:
    r = run_ffmpeg(["-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"])
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def with_audio(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("a") / "talk.mp4", rate="30000/1001", frames=10, audio=True)


@pytest.fixture(scope="module")
def with_subtitles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s")
    base = make_clip(folder / "base.mp4", rate="30000/1001", frames=10, audio=True)
    srt = folder / "subs.srt"
    srt.write_text(SRT)
    out = folder / "film.mkv"
    ffmpeg("-i", str(base), "-i", str(srt), "-map", "0", "-map", "1:s", "-c", "copy", "-c:s", "srt", str(out))
    return out


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_mux_keeps_audio_and_frames(with_audio, tmp_path, suffix):
    out = tmp_path / ("enhanced" + suffix)
    info, written = enhance_like(with_audio, out)
    assert info.audio == ["aac"]
    got = probe(out)
    assert got.audio == ["aac"]
    assert got.frame_count == info.frame_count == 10
    assert got.fps == Fraction(30000, 1001)
    back = read_all(got)
    assert len(back) == 10
    # the video is stream-copied: exactly the frames that were encoded, not the source's
    assert all(np.array_equal(a, b) for a, b in zip(back, written))


def test_mux_without_audio_or_subtitles_renames(tmp_path):
    src = make_clip(tmp_path / "silent.mp4", frames=6)
    info = probe(src)
    assert info.audio == [] and info.subtitles == []
    tmp = tmp_path / "video-only.mp4"
    writer = FrameWriter(tmp, info.width, info.height, info.fps, source=info)
    for frame in read_all(info):
        writer.write(frame)
    writer.finish()
    data = tmp.read_bytes()
    out = tmp_path / "out.mp4"
    mux(tmp, info, out)
    assert not tmp.exists()
    assert out.read_bytes() == data
    assert probe(out).frame_count == 6


def test_mux_copies_subtitles_into_mkv(with_subtitles, tmp_path):
    out = tmp_path / "enhanced.mkv"
    info, _ = enhance_like(with_subtitles, out)
    assert info.subtitles == ["subrip"]
    got = probe(out)
    assert got.subtitles == ["subrip"]
    assert got.audio == ["aac"]
    assert got.frame_count == 10
    text = subtitle_text(out)
    assert "hello" in text and "world" in text


def test_mux_converts_text_subtitles_to_mov_text_for_mp4(with_subtitles, tmp_path):
    out = tmp_path / "enhanced.mp4"
    enhance_like(with_subtitles, out)
    got = probe(out)
    assert got.subtitles == ["mov_text"]
    assert got.audio == ["aac"]
    assert got.frame_count == 10 and got.fps == Fraction(30000, 1001)
    text = subtitle_text(out)
    assert "hello" in text and "world" in text


def test_mux_mp4_mov_text_subtitles_into_mkv(tmp_path, capsys):
    """mov_text exists only in MP4/MOV: an .mkv output gets it as SubRip, with the audio still copied."""
    base = make_clip(tmp_path / "base.mp4", frames=10, audio=True)
    srt = tmp_path / "subs.srt"
    srt.write_text(SRT)
    src = tmp_path / "phone.mp4"
    ffmpeg("-i", str(base), "-i", str(srt), "-map", "0", "-map", "1:s", "-c", "copy", "-c:s", "mov_text", str(src))
    assert probe(src).subtitles == ["mov_text"]
    out = tmp_path / "enhanced.mkv"
    enhance_like(src, out)
    got = probe(out)
    assert got.subtitles == ["subrip"]
    assert got.audio == ["aac"]
    assert got.frame_count == 10
    text = subtitle_text(out)
    assert "hello" in text and "world" in text
    assert "warning" not in capsys.readouterr().err  # nothing was re-encoded


def test_mux_reencodes_audio_mp4_cannot_hold(tmp_path, capsys):
    src = make_clip(tmp_path / "alaw.mkv", frames=8, audio=True, extra=["-c:a", "pcm_alaw"])
    assert probe(src).audio == ["pcm_alaw"]
    out = tmp_path / "out.mp4"
    enhance_like(src, out)
    got = probe(out)
    assert got.audio == ["aac"]
    assert got.frame_count == 8
    err = capsys.readouterr().err.splitlines()
    assert err == ["genvid: warning: .mp4 cannot hold the audio codec pcm_alaw: audio stream 0 is re-encoded to "
                   "AAC 320 kb/s; write .mkv to copy it unchanged"]


def _hand_made_info(subtitles: list[str]) -> VideoInfo:
    return VideoInfo("/videos/film.mkv", 1920, 1080, 100, Fraction(24000, 1001), subtitles=subtitles)


@pytest.mark.parametrize("name", ["out.mp4", "out.MOV", "out.m4v"])
def test_check_streams_fit_refuses_bitmap_subtitles_in_mp4(name):
    with pytest.raises(GenvidError) as e:
        check_streams_fit(_hand_made_info(["hdmv_pgs_subtitle"]), Path(name))
    msg = str(e.value)
    assert "hdmv_pgs_subtitle" in msg and "/videos/film.mkv" in msg and ".mkv" in msg


def test_check_streams_fit_accepts_what_fits():
    check_streams_fit(_hand_made_info(["hdmv_pgs_subtitle", "dvd_subtitle"]), Path("out.mkv"))
    check_streams_fit(_hand_made_info(["subrip", "ass"]), Path("out.mp4"))
    check_streams_fit(_hand_made_info([]), Path("out.mp4"))


def test_mux_failure_raises_and_removes_output(with_audio, tmp_path):
    info = probe(with_audio)
    missing = tmp_path / "never-written.mp4"
    out = tmp_path / "out.mp4"
    with pytest.raises(GenvidError, match="cannot write"):
        mux(missing, info, out)
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".avi", ".ts"])
def test_subtitles_the_container_cannot_hold_are_refused_before_any_work(with_subtitles, tmp_path, suffix):
    """.avi refuses SubRip; .ts would keep it only as an unnamed data stream: both refused, with the way out."""
    info = probe(with_subtitles)
    with pytest.raises(GenvidError, match=rf"{suffix} cannot hold the subtitles \(subrip\) of .*film.mkv; write a "
                                          r"\.mkv output to keep them, or pass --no-subtitles to drop them"):
        plan_streams(info, tmp_path / f"out{suffix}")
    plan = plan_streams(info, tmp_path / f"out{suffix}", subtitles=False)
    assert plan.subtitles is None and plan.audio == [("copy", None)]
    out = tmp_path / f"enhanced{suffix}"
    tmp = tmp_path / f"video{suffix}"
    writer = FrameWriter(tmp, info.width, info.height, info.fps, source=info)
    for frame in read_all(info):
        writer.write(frame)
    writer.finish()
    mux(tmp, info, out, plan)
    got = probe(out)
    assert got.audio == ["aac"] and got.subtitles == [] and got.frame_count == 10


def test_a_failing_mux_names_its_cause_and_never_reencodes_the_audio(with_audio, tmp_path, capsys):
    """A full disk (writes to /dev/full fail with ENOSPC) is said as such: no warning, no AAC retry."""
    info = probe(with_audio)
    video = tmp_path / "video.mp4"
    writer = FrameWriter(video, info.width, info.height, info.fps, source=info)
    for frame in read_all(info):
        writer.write(frame)
    writer.finish()
    full = tmp_path / "out.mkv"
    full.symlink_to("/dev/full")
    with pytest.raises(GenvidError, match=r"cannot write .*out.mkv: the disk is full \(No space left on device\)"):
        mux(video, info, full)
    assert capsys.readouterr().err == ""
    assert not full.is_symlink(), "the failed output is removed"
