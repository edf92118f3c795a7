"""The ffmpeg executable bundled with imageio-ffmpeg, and a helper to run it."""
from __future__ import annotations

import functools
import re
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


# causes that ffmpeg reports on some line of its log, not always the last: (pattern, what to say)
CAUSES = [
    (r"No space left on device", "the disk is full (No space left on device); free some space"),
    (r"Disk quota exceeded", "the disk quota is used up (Disk quota exceeded); free some space"),
    (r"File too large", "the file system cannot hold a file this large (File too large)"),
    (r"Permission denied", "permission denied"),
    (r"Read-only file system", "the file system is read-only"),
    (r"Could not find tag for codec (\w+) in stream #\d+, codec not currently supported in container",
     "the container cannot hold {0}"),
    (r"codec not currently supported in container", "the container cannot hold one of the streams"),
]


def ffmpeg_error(stderr: str) -> str:
    """The cause of an ffmpeg failure: a known one (a full disk, a stream its container cannot hold) named
    wherever in the log it is, else the last line."""
    for pattern, say in CAUSES:
        m = re.search(pattern, stderr)
        if m:
            return say.format(*m.groups())
    return last_error_line(stderr)
