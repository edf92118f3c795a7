"""genvid.engine.scenes: cuts between two different sources are found, motion inside one is not; on the
shared clips (skipped where missing) the default threshold finds the real cuts of bikes.mp4 and none in
the DAVIS clips (fast motion included)."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch

from conftest import shared_path
from genvid.engine.scenes import DEFAULT_THRESHOLD, SceneCuts, cut_score, thumbnail
from genvid.io.decode import FrameReader
from genvid.io.ffmpeg import ffmpeg_exe


def lavfi_frames(source: str, n: int, size=(64, 48)) -> list[np.ndarray]:
    r = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"{source}=size={size[0]}x{size[1]}:rate=25",
                        "-frames:v", str(n), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True)
    assert r.returncode == 0, r.stderr
    return list(np.frombuffer(r.stdout, np.uint8).reshape(n, size[1], size[0], 3).copy())


def cuts_of(frames, threshold=DEFAULT_THRESHOLD) -> list[int]:
    detector = SceneCuts(threshold)
    return [i for i, f in enumerate(frames) if detector.is_cut(f)]


def test_a_cut_between_two_sources_and_none_inside():
    frames = lavfi_frames("testsrc2", 8) + lavfi_frames("mandelbrot", 8)
    assert cuts_of(frames) == [8]
    assert cuts_of(lavfi_frames("testsrc2", 30)) == []


def test_thumbnail_is_small_and_depth_independent():
    frame = lavfi_frames("testsrc2", 1, size=(1280, 720))[0]
    thumb = thumbnail(frame)
    assert thumb.shape == (72, 128) and 0 <= thumb.min() and thumb.max() <= 1
    deep = thumbnail(frame.astype(np.uint16) * 257)
    assert np.allclose(thumb, deep, atol=1e-6)
    assert cut_score(thumb, thumb) == 0.0
    tensor = thumbnail(torch.from_numpy(frame).permute(2, 0, 1).float() / 255)  # the engine's tensor frames
    assert np.allclose(thumb, tensor, atol=1e-6)


def test_threshold_must_be_a_fraction():
    for bad in (0, 1, -0.5, 2):
        with pytest.raises(ValueError):
            SceneCuts(bad)


def test_shared_clips_real_cuts_found_and_motion_ignored():
    bikes = shared_path("data", "clips", "bikes.mp4")
    with FrameReader(bikes, high_bit_depth=False) as reader:
        assert cuts_of(reader) == [30, 76, 137, 187, 242]  # checked by eye: each is a change of shot
    for clip in ("blackswan", "car-shadow", "kite-surf", "motocross-jump"):
        with FrameReader(shared_path("data", "davis", clip), high_bit_depth=False) as reader:
            assert cuts_of(reader) == [], clip
