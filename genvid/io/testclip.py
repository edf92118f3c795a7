"""Synthetic test clips (moving, textured `testsrc2`, optional sine audio) made with the bundled ffmpeg.

For tests, benchmarks and demos that must run on a machine with no video files of its own.
"""
from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

from ..errors import GenvidError
from .ffmpeg import ffmpeg_exe, last_error_line


def make_test_clip(path: str | Path, *, size: str = "64x48", rate: str = "25", frames: int = 10,
                   audio: bool = False, pix_fmt: str = "yuv420p", codec: str = "libx264", crf: int = 12,
                   extra: list[str] = ()) -> Path:
    """Writes exactly `frames` frames of `size` at `rate` (e.g. '30000/1001'); returns the path."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
           "-i", f"testsrc2=size={size}:rate={rate}"]
    if audio:
        seconds = float(frames / Fraction(rate))  # a bounded source: -shortest alone never ends an audio-only file
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds:.4f}"]
    cmd += ["-frames:v", str(frames), "-c:v", codec, "-pix_fmt", pix_fmt]
    if codec == "libx264":
        cmd += ["-crf", str(crf)]
    if audio:
        cmd += ["-c:a", "aac", "-shortest"]
    cmd += [*extra, str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=300)
    if done.returncode != 0:
        raise GenvidError(f"making the test clip {path} failed: {last_error_line(done.stderr)}")
    return Path(path)
