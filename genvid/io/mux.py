"""Joining the encoded video with the source's audio and subtitle streams, copied, never re-timed.

What the output's container can hold is decided before any work (`plan_streams`), by a trial mux of
the source's first second of audio and subtitles into that container: each audio stream is copied when
the container takes its codec; one the container refuses is re-encoded (AAC 320 kb/s, or Opus where AAC
does not fit), announced in one warning line naming both codecs, and only then.  Text subtitles become
mov_text in MP4/MOV (and MP4's mov_text becomes SubRip elsewhere).  Subtitles the container cannot hold
(any in .avi, bitmap ones in .mp4; in .ts, where ffmpeg would keep them only as an unnamed data stream)
are refused with one line offering .mkv or `subtitles=False` (`--no-subtitles`), which drops them
knowingly.  So the final mux never changes a stream on its own, and when it fails (a full disk, say),
its error names ffmpeg's cause.

ffmpeg moves each input's start to 0 when it muxes.  The enhanced video starts at 0, the source at its
earliest stream; when the source's first video frame comes later than that (its audio starts first),
the video is offset by the difference, so every stream keeps its time relative to the others.  The mux
is bit-exact (no random identifiers), so the same input and options give the same bytes.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GenvidError
from .ffmpeg import ffmpeg_error, run_ffmpeg
from .probe import VideoInfo

MP4_LIKE = {".mp4", ".m4v", ".mov"}
TEXT_SUBTITLES = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
# what an audio stream the container refuses becomes, in order of preference: (encoder, bitrate, name)
AUDIO_FALLBACKS = [("aac", "320k", "AAC 320 kb/s"), ("libopus", "256k", "Opus 256 kb/s")]
_KINDS = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Audio|Subtitle|Data)")


@dataclass
class StreamPlan:
    """How each of the source's audio streams (an encoder and bitrate, or copy) and subtitle streams
    (a codec, or copy) are written; no subtitles when `subtitles` is None."""
    audio: list[tuple[str, str | None]] = field(default_factory=list)
    subtitles: list[str] | None = None

    def args(self, source_input: int) -> list[str]:
        """ffmpeg output options mapping and coding the streams of input number `source_input`."""
        out = ["-map", f"{source_input}:a"] if self.audio else []
        out += ["-map", f"{source_input}:s"] if self.subtitles else []
        for k, (codec, rate) in enumerate(self.audio):
            out += [f"-c:a:{k}", codec] + ([f"-b:a:{k}", rate] if rate else [])
        for k, codec in enumerate(self.subtitles or []):
            out += [f"-c:s:{k}", codec]
        return out


def check_streams_fit(source: VideoInfo, output: Path) -> None:
    """Refuses up front bitmap subtitles in MP4/MOV, which hold text subtitles only."""
    if output.suffix.lower() in MP4_LIKE:
        bitmap = [s for s in source.subtitles if s not in TEXT_SUBTITLES]
        if bitmap:
            raise GenvidError(f"{source.path} has bitmap subtitles ({', '.join(bitmap)}) that {output.suffix} cannot "
                              f"hold; write a .mkv output to keep them, or pass --no-subtitles to drop them")


def subtitle_codecs(source: VideoInfo, output: Path) -> list[str]:
    """Text subtitles become mov_text in MP4/MOV; mov_text, which only MP4/MOV hold, becomes SubRip elsewhere."""
    if output.suffix.lower() in MP4_LIKE:
        return ["mov_text" if s in TEXT_SUBTITLES else "copy" for s in source.subtitles]
    return ["srt" if s == "mov_text" else "copy" for s in source.subtitles]


def plan_streams(source: VideoInfo, output: Path, subtitles: bool = True) -> StreamPlan:
    """Decides, before any work, how the source's audio and subtitles go into `output`'s container: copied
    where it holds them; audio it refuses re-encoded with a warning; subtitles it refuses, an error."""
    if source.is_image_folder or not (source.audio or (subtitles and source.subtitles)):
        return StreamPlan()
    if subtitles:
        check_streams_fit(source, output)
    plan = StreamPlan([("copy", None)] * len(source.audio), subtitle_codecs(source, output) if subtitles else None)
    with tempfile.TemporaryDirectory(prefix="genvid-trial-") as tmp:
        trial = Path(tmp) / f"trial{output.suffix}"
        if _trial(source, plan.args(0), trial, len(plan.audio), len(plan.subtitles or [])) is None:
            return plan
        for k, codec in enumerate(source.audio):
            for encoder, rate, name in [("copy", None, None), *AUDIO_FALLBACKS]:
                one = ["-map", f"0:a:{k}", "-c:a", encoder] + (["-b:a", rate] if rate else [])
                if _trial(source, one, trial, 1, 0) is None:
                    break
            else:
                raise GenvidError(f"{output.suffix} cannot hold the audio ({codec}) of {source.path}, nor any audio "
                                  f"it could be re-encoded to; write a .mkv output")
            if name is not None:
                plan.audio[k] = (encoder, rate)
                print(f"genvid: warning: {output.suffix} cannot hold the audio codec {codec}: audio stream {k} is "
                      f"re-encoded to {name}; write .mkv to copy it unchanged", file=sys.stderr, flush=True)
        if plan.subtitles and _trial(source, StreamPlan(subtitles=plan.subtitles).args(0), trial, 0,
                                     len(plan.subtitles)) is not None:
            raise GenvidError(f"{output.suffix} cannot hold the subtitles ({', '.join(source.subtitles)}) of "
                              f"{source.path}; write a .mkv output to keep them, or pass --no-subtitles to drop them")
        error = _trial(source, plan.args(0), trial, len(plan.audio), len(plan.subtitles or []))
        if error is not None:  # each fits alone, not all together
            raise GenvidError(f"cannot write the audio and subtitles of {source.path} into {output.suffix}: {error}; "
                              f"write a .mkv output")
    return plan


def _trial(source: VideoInfo, args: list[str], trial: Path, audio: int, subtitles: int) -> str | None:
    """Muxes the first second of the streams `args` map into `trial`: None when the container took them
    all, each as what it is (`audio` audio and `subtitles` subtitle streams, not a data stream), else why not."""
    head, tail = ["-v", "error", "-y", "-i", source.path, *args], ["-fflags", "+bitexact", str(trial)]
    r = run_ffmpeg(head + ["-t", "1"] + tail)
    if r.returncode != 0 and "received no packets" in r.stderr:  # nothing in the first second: try it all
        r = run_ffmpeg(head + tail)
    if r.returncode != 0:
        return ffmpeg_error(r.stderr)
    kinds = _KINDS.findall(run_ffmpeg(["-i", str(trial)]).stderr)
    if kinds.count("Audio") != audio or kinds.count("Subtitle") != subtitles:
        return f"it keeps {', '.join(kinds) or 'none'} of them"
    return None


def mux(video: Path, source: VideoInfo, output: Path, plan: StreamPlan | None = None) -> None:
    """Writes `output` from the video stream of the file `video` plus the audio and subtitle streams of
    `source` (see `remux`), then deletes `video`; with nothing to add, `video` is just renamed."""
    if not source.audio and not source.subtitles and video.suffix.lower() == output.suffix.lower():
        os.replace(video, output)
        return
    remux(["-i", str(video)], source, output, plan=plan)
    video.unlink(missing_ok=True)


def remux(video_input: list[str], source: VideoInfo, output: Path, video_options: list[str] = (),
          plan: StreamPlan | None = None) -> None:
    """Writes `output` from the video stream of `video_input` (ffmpeg input options, e.g. ["-i", path] or a
    concat script) plus the source's audio and subtitle streams as `plan` says (default: `plan_streams`);
    `video_options` apply to the video.  A failure raises with ffmpeg's cause and removes `output`."""
    plan = plan_streams(source, output) if plan is None else plan
    others = bool(plan.audio or plan.subtitles)
    offset = source.video_start - source.start_time if others else 0.0
    cmd = ["-v", "error", "-y", *(["-itsoffset", f"{offset:.6f}"] if offset > 1e-6 else []), *video_input]
    if others:
        cmd += ["-i", source.path, "-map", "0:v:0", *plan.args(1), "-map_metadata", "1"]
    else:
        cmd += ["-map", "0:v:0"]
    cmd += ["-c:v", "copy", *video_options, "-fflags", "+bitexact"]
    cmd += (["-movflags", "+faststart"] if output.suffix.lower() in MP4_LIKE else []) + [str(output)]
    r = run_ffmpeg(cmd)
    if r.returncode != 0:
        output.unlink(missing_ok=True)
        raise GenvidError(f"cannot write {output}: {ffmpeg_error(r.stderr)}")
