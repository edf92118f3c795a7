"""Shared fixtures: small clips made with the bundled ffmpeg (no ../shared needed), a tiny trained-shape model."""
from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import torch

from genvid.io.ffmpeg import ffmpeg_exe

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def make_clip(path: Path, *, size: str = "64x48", rate: str = "25", frames: int = 10, audio: bool = False,
              pix_fmt: str = "yuv420p", codec: str = "libx264", extra: list[str] = ()) -> Path:
    """A testsrc2 clip (moving, textured) of exactly `frames` frames, optionally with a sine audio track."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", "-f", "lavfi",
           "-i", f"testsrc2=size={size}:rate={rate}"]
    if audio:
        seconds = float(frames / Fraction(rate))  # a bounded source: -shortest alone never ends an audio-only file
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds:.4f}"]
    cmd += ["-frames:v", str(frames), "-c:v", codec, "-pix_fmt", pix_fmt]
    if codec == "libx264":
        cmd += ["-crf", "12"]
    if audio:
        cmd += ["-c:a", "aac", "-shortest"]
    cmd += [*extra, str(path)]
    subprocess.run(cmd, check=True, timeout=120)
    return path


@pytest.fixture
def clip_maker(tmp_path):
    def make(name: str = "in.mp4", **kw) -> Path:
        return make_clip(tmp_path / name, **kw)
    return make


@pytest.fixture
def tiny_model_dir(tmp_path, monkeypatch):
    """A folder holding `tiny-x4` (random weights, tiny shape) with its card, on GENVID_WEIGHTS.

    For plumbing tests only: it is never shipped and never a default."""
    from genvid.models.sr_window import SlidingWindowSR
    from genvid.train.export import export_model

    torch.manual_seed(0)
    args = {"channels": 8, "blocks": 1, "radius": 1, "scale": 4, "encoder_blocks": 1}
    folder = tmp_path / "weights"
    export_model(SlidingWindowSR(**args), folder / "tiny-x4.safetensors",
                 {"name": "tiny-x4", "task": "super-resolution", "scale": 4, "arch": "SlidingWindowSR",
                  "args": args})
    monkeypatch.setenv("GENVID_WEIGHTS", str(folder))
    return folder


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip saying why the test cannot run here."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (the project's shared data, present in CI); not found on this machine")
    return p
