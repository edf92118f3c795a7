"""Joining the encoded video with the source's audio and subtitle streams, copied, never re-timed.

ffmpeg moves each input's start to 0 when it muxes.  The enhanced video starts at 0, the source at its
earliest stream; when the source's first video frame comes later than that (its audio starts first),
the video is offset by the difference, so every stream keeps its time relative to the others.
"""
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
    """Writes `output` from the video stream of the file `video` plus every audio and subtitle stream of
    `source` (see `remux`), then deletes `video`; with nothing to add, `video` is just renamed."""
    if not source.audio and not source.subtitles and video.suffix.lower() == output.suffix.lower():
        os.replace(video, output)
        return
    remux(["-i", str(video)], source, output)
    video.unlink(missing_ok=True)


def remux(video_input: list[str], source: VideoInfo, output: Path, video_options: list[str] = ()) -> None:
    """Writes `output` from the video stream of `video_input` (ffmpeg input options, e.g. ["-i", path] or a
    concat script) plus every audio and subtitle stream of `source`; `video_options` apply to the video.

    Audio is stream-copied; only if the container refuses the codec is it re-encoded to AAC 320 kb/s,
    with a warning.  Text subtitles become mov_text in MP4/MOV and are copied otherwise (mov_text, which only
    MP4/MOV hold, becomes SubRip).
    """
    mp4 = output.suffix.lower() in MP4_LIKE
    others = bool(source.audio or source.subtitles)
    offset = source.video_start - source.start_time if others else 0.0
    base = ["-v", "error", "-y", *(["-itsoffset", f"{offset:.6f}"] if offset > 1e-6 else []), *video_input]
    if others:
        base += ["-i", source.path, "-map", "0:v:0", "-map", "1:a?", "-map", "1:s?", "-map_metadata", "1",
                 "-c:s", "mov_text" if mp4 else "copy"]
    else:
        base += ["-map", "0:v:0"]
    base += ["-c:v", "copy", *video_options]
    if others and not mp4:  # MP4's mov_text cannot be copied into other containers (Matroska refuses it): SubRip
        base += [a for i, s in enumerate(source.subtitles) if s == "mov_text" for a in (f"-c:s:{i}", "srt")]
    tail = (["-movflags", "+faststart"] if mp4 else []) + [str(output)]
    r = run_ffmpeg(base + (["-c:a", "copy"] if others else []) + tail)
    if r.returncode != 0 and source.audio:
        print(f"genvid: warning: {output.suffix} cannot hold the audio as is ({last_error_line(r.stderr)}); "
              f"re-encoding it to AAC 320 kb/s; use .mkv to copy it unchanged", file=sys.stderr)
        r = run_ffmpeg(base + ["-c:a", "aac", "-b:a", "320k"] + tail)
    if r.returncode != 0:
        output.unlink(missing_ok=True)
        raise GenvidError(f"cannot write {output}: {last_error_line(r.stderr)}")
