import subprocess

import numpy as np
import pytest
import torch

from genvid.data import degrade_codec
from genvid.data.degrade_codec import (
    VIDEO_CODECS,
    Compress,
    codec_round_trip,
    crf_to_qscale,
    jpeg_round_trip,
    quantize,
)
from genvid.errors import GenvidError


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    """5 frames of a smooth moving pattern with some texture, (5, 48, 64, 3) uint8."""
    t, y, x = np.meshgrid(np.arange(5), np.arange(48), np.arange(64), indexing="ij")
    rng = np.random.default_rng(0)
    texture = rng.normal(0, 12, (1, 48, 64, 1))
    base = np.stack([np.sin((x + 2 * t) / 5), np.cos((y - t) / 7), np.sin((x + y + 3 * t) / 9)], -1)
    return np.clip(128 + 90 * base + texture, 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b) ** 2)))


@pytest.mark.parametrize("codec", list(VIDEO_CODECS))
def test_round_trip_keeps_frames_and_loses_more_as_crf_rises(frames, codec):
    out = [codec_round_trip(frames, codec, crf) for crf in (18, 30, 42)]
    assert all(o.shape == frames.shape and o.dtype == np.uint8 for o in out)
    scores = [psnr(o, frames) for o in out]
    assert scores[0] > scores[1] > scores[2] and scores[0] > 28


@pytest.mark.parametrize("codec", ["libx264", "libx265"])
def test_round_trip_is_deterministic_on_odd_and_tiny_sizes(frames, codec):
    odd = np.ascontiguousarray(frames[:3, :33, :47])
    assert np.array_equal(codec_round_trip(odd, codec, 30), codec_round_trip(odd, codec, 30))
    assert codec_round_trip(np.ascontiguousarray(frames[:2, :5, :7]), codec, 30).shape == (2, 5, 7, 3)


def test_round_trip_writes_no_files(frames, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    codec_round_trip(frames, "libx264", 30)
    codec_round_trip(frames, "mpeg2video", 30)
    assert list(tmp_path.iterdir()) == []


def test_a_lost_frame_is_an_error(frames, monkeypatch):
    real = subprocess.run

    def drop_last_frame(*args, **kw):
        done = real(*args, **kw)
        done.stdout = done.stdout[: -64 * 48 * 3]
        return done

    monkeypatch.setattr(degrade_codec.subprocess, "run", drop_last_frame)
    with pytest.raises(GenvidError, match="gave back 4 frames of 64x48 for 5"):
        codec_round_trip(frames, "libx264", 30)
    monkeypatch.undo()
    with pytest.raises(GenvidError, match="unknown video codec"):
        codec_round_trip(frames, "vp9", 30)


def test_jpeg_quality_is_monotone(frames):
    scores = [psnr(jpeg_round_trip(frames, q), frames) for q in (10, 30, 60, 90)]
    assert scores == sorted(scores) and scores[0] + 6 < scores[-1]


def test_crf_maps_to_mpeg_quantiser_by_step_size():
    assert [crf_to_qscale(c) for c in (0, 18, 23, 30, 36, 45, 51)] == [2, 2, 4, 8, 16, 31, 31]


def test_stage_draws_within_its_options_and_applies_to_float_clips(frames):
    stage = Compress({"jpeg_prob": 0.5, "codecs": ["mpeg4"], "crf": [20, 40], "quality": [40, 60]})
    rng = np.random.default_rng(0)
    drawn = [stage.sample(rng) for _ in range(40)]
    assert {p["format"] for p in drawn} == {"jpeg", "video"}
    assert all(40 <= p["quality"] <= 60 for p in drawn if p["format"] == "jpeg")
    assert all(p["codec"] == "mpeg4" and p["qscale"] == crf_to_qscale(p["crf"]) for p in drawn if "codec" in p)
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    for p in drawn[:4]:
        y = stage.apply(x, p)
        assert y.shape == x.shape and y.dtype == torch.float32
        assert quantize(y).shape == frames.shape
    assert Compress({"prob": 0}).sample(rng) is None
    with pytest.raises(GenvidError, match="known: libx264"):
        Compress({"codecs": ["libvpx"]})


def test_ffmpeg_without_loopback_decoder_gives_the_same_frames(monkeypatch):
    """ffmpeg before 7.0 (imageio-ffmpeg 0.5.x) has no `-dec`: two runs joined by a NUT stream instead."""
    rng = np.random.default_rng(3)
    frames = (rng.random((3, 32, 48, 3)) * 255).astype(np.uint8)
    one_run = degrade_codec.codec_round_trip(frames, "libx264", 30)
    real_run = subprocess.run

    def old_ffmpeg(cmd, *args, **kwargs):
        if "-dec" in cmd:
            return subprocess.CompletedProcess(cmd, 8, b"", b"Unrecognized option 'dec'.\n")
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(degrade_codec.subprocess, "run", old_ffmpeg)
    assert np.array_equal(degrade_codec.codec_round_trip(frames, "libx264", 30), one_run)
