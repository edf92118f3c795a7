"""Joining the encoded video with the source's audio and subtitle streams, copied, never re-timed."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import GenvidError
from .ffmpeg import last_error_line, run_ffmpeg
from .probe import VideoInfo

MP4_LIKE = {".mp4", ".m4v", ".mov"}
TEXT_SUBTITLES = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}


def check_streams_fit(source: VideoInfo, output: Path) -> None:
    """Refuses up front a container that cannot hold the source's subtitles, before any work is done."""
    if output.suffix.lower() in MP4_LIKE:
        bitmap = [s for s in source.subtitles if s not in TEXT_SUBTITLES]
        if bitmap:
            raise GenvidError(f"{source.path} has bitmap subtitles ({', '.join(bitmap)}) that {output.suffix} cannot "
                              f"hold; write a .mkv output to keep them")


def mux(video: Path, source: VideoInfo, output: Path) -> None:
    """Writes `output` from the video stream of `video` plus every audio and subtitle stream of `source`.

    Audio is stream-copied; only if the container refuses the codec is it re-encoded to AAC 320 kb/s,
    with a warning.  Text subtitles become mov_text in MP4/MOV and are copied otherwise (mov_text, which only
    MP4/MOV hold, becomes SubRip).
    """
    if not source.audio and not source.subtitles:
        os.replace(video, output)
        return
    mp4 = output.suffix.lower() in MP4_LIKE
    base = ["-v", "error", "-y", "-i", str(video), "-i", source.path, "-map", "0:v:0", "-map", "1:a?", "-map", "1:s?",
            "-map_metadata", "1", "-c:v", "copy", "-c:s", "mov_text" if mp4 else "copy"]
    if not mp4:  # MP4's mov_text cannot be copied into other containers (Matroska refuses it): SubRip instead
        base += [a for i, s in enumerate(source.subtitles) if s == "mov_text" for a in (f"-c:s:{i}", "srt")]
    tail = (["-movflags", "+faststart"] if mp4 else []) + [str(output)]
    r = run_ffmpeg(base + ["-c:a", "copy"] + tail)
    if r.returncode != 0 and source.audio:
        print(f"genvid: warning: {output.suffix} cannot hold the audio as is ({last_error_line(r.stderr)}); "
              f"re-encoding it to AAC 320 kb/s; use .mkv to copy it unchanged", file=sys.stderr)
        r = run_ffmpeg(base + ["-c:a", "aac", "-b:a", "320k"] + tail)
    if r.returncode != 0:
        output.unlink(missing_ok=True)
        raise GenvidError(f"cannot write {output}: {last_error_line(r.stderr)}")
    video.unlink(missing_ok=True)
