"""The ffmpeg executable bundled with imageio-ffmpeg, and a helper to run it."""
from __future__ import annotations

import functools
import subprocess

from ..errors import GenvidError


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as e:
        raise GenvidError(f"no ffmpeg found ({e}); reinstall imageio-ffmpeg") from None


def run_ffmpeg(args: list[str], timeout: float | None = None) -> subprocess.CompletedProcess:
    """Runs ffmpeg with `args` (without the executable), capturing text output; never raises on exit code."""
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], capture_output=True,
                          text=True, errors="replace", timeout=timeout)


def last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "ffmpeg failed without a message"
