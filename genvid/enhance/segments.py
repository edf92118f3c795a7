"""Writing an output as numbered segments, each recorded only once whole on disk, and joining them.

A segment is a run of consecutive frames encoded by its own encoder into its own file, so it starts
with a keyframe and needs nothing from its neighbours; it ends after `segment_frames` frames (by
default `default_segment_frames`: a number fixed by the frame size and rate, never by how fast the
machine runs, so the same command on the same input gives the same segments and the same bytes on a
busy machine and an idle one), unless fewer than MIN_TAIL_FRAMES frames would be left for the last
one.  Boundaries fall between frames, never at a time in seconds, so no frame is dropped or repeated,
and the manifest records where each segment starts.  The encoder runs with the output's codec and
options; the segment files are QuickTime (`.mov`: it keeps the encoder's exact time base, e.g.
1001/30000, where Matroska would round to milliseconds before the join), or MP4 for VP9 and AV1 and
NUT for VP8, which QuickTime cannot hold.

Timing: at a constant rate each segment numbers its frames at the exact rate from 0; for
variable-frame-rate sources each frame gets its source time, measured from the segment's first frame.
The join (ffmpeg's concat demuxer, stream copy, so lossless) places segment k at the exact time of its
first frame, given to the microsecond, and the mux copies the audio and subtitles beside it.

Frame-folder outputs are written as PNG files straight into `frames/` of the work folder; a segment
of them is recorded once its files are flushed to disk.

All writing happens in a background thread fed by a bounded queue, closing a segment included, so the
model never waits for an encoder to finish.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import GenvidError
from ..io.encode import NVENC_CODECS, Encoder, QueuedWriter, nvenc_error
from ..io.image_folder import write_image
from ..io.probe import VideoInfo
from .outputs import frame_file_name
from .workdir import WorkFolder, fsync_file, fsync_folder

# input pixels per segment by default: about a minute of sr-x4 on two CPU cores at 320x180 (330 frames at
# 30 fps), a minute and a quarter at 640x360 (60 frames), three at 1920x1080 (16 frames); far less on a GPU
SEGMENT_PIXELS = 20_000_000
# A segment shorter than its encoder's B-frame delay is coded without reordering while the others are
# not, so in MP4 its decoding times jump at the join (the sample table then shows an uneven rate, though
# every frame keeps its presentation time).  A tail shorter than 16 frames, the most B-frames x264 and
# x265 use, stays in the segment before it.
MIN_TAIL_FRAMES = 16
_CLOSE = object()  # queued after the frame that ends a segment


def default_segment_frames(info: VideoInfo) -> int:
    """Frames per segment unless --segment-frames says: SEGMENT_PIXELS input pixels, in whole seconds of
    video once that is more than one, and never under MIN_TAIL_FRAMES."""
    frames = SEGMENT_PIXELS // (info.width * info.height)
    second = max(1, math.ceil(info.fps))
    if frames >= second:
        frames -= frames % second
    return max(frames, MIN_TAIL_FRAMES)


def segment_suffix(codec: str) -> str:
    if codec in ("libvpx-vp9", "libaom-av1", "libsvtav1", "librav1e", "av1_nvenc"):
        return ".mp4"
    return ".nut" if codec == "libvpx" else ".mov"


def to_microseconds(ticks: int, time_base: Fraction) -> int:
    """`ticks` of `time_base`, rounded to the nearest microsecond (exact integer arithmetic)."""
    num = ticks * time_base.numerator * 1_000_000
    return (2 * num + time_base.denominator) // (2 * time_base.denominator)


@dataclass
class OutputSpec:
    """What every segment is written with."""
    info: VideoInfo
    width: int
    height: int
    folder: bool
    high_bit_depth: bool
    codec: str = ""
    crf: int | None = None
    pix_fmt: str | None = None
    extra: tuple = ()

    def frame_time_us(self, frame: int) -> int:
        """When `frame` starts, in microseconds from the first frame (its source time for VFR sources)."""
        info = self.info
        if info.frame_times is None:
            return round(Fraction(frame * 1_000_000) / info.fps)
        ticks = info.end_time if frame >= len(info.frame_times) else info.frame_times[frame]
        return to_microseconds(ticks - info.frame_times[0], info.time_base)


class _VideoSegment:
    def __init__(self, spec: OutputSpec, work: WorkFolder, index: int, start: int):
        self.spec, self.start = spec, start
        suffix = segment_suffix(spec.codec)
        self.file = work.path / f"{index:05d}{suffix}"
        self.partial = work.path / f"{index:05d}.partial{suffix}"
        timed = spec.info.frame_times is not None
        self.encoder = Encoder(self.partial, spec.width, spec.height, spec.info.fps, codec=spec.codec, crf=spec.crf,
                               pix_fmt=spec.pix_fmt, source=spec.info, high_bit_depth=spec.high_bit_depth,
                               time_base=spec.info.time_base if timed else None, extra=spec.extra, faststart=False)
        self.origin = spec.frame_time_us(start) if timed else 0

    def write(self, frame: np.ndarray, index: int) -> None:
        if self.encoder.timed:
            at, end = self.spec.frame_time_us(index), self.spec.frame_time_us(index + 1)
            self.encoder.write(frame, at - self.origin, end - at)
        else:
            self.encoder.write(frame)

    def close(self) -> str:
        self.encoder.close()
        fsync_file(self.partial)
        self.partial.replace(self.file)
        fsync_folder(self.file.parent)
        return self.file.name

    def kill(self) -> None:
        self.encoder.kill()


class _FrameFiles:
    def __init__(self, spec: OutputSpec, work: WorkFolder, index: int, start: int):
        self.folder = work.path / "frames"
        self.folder.mkdir(exist_ok=True)
        self.info = spec.info
        self.written: list[Path] = []

    def write(self, frame: np.ndarray, index: int) -> None:
        path = self.folder / frame_file_name(self.info, index)
        write_image(path, frame)
        self.written.append(path)

    def close(self) -> None:
        for path in self.written:
            fsync_file(path)
        fsync_folder(self.folder)
        return None

    def kill(self) -> None:
        pass


class SegmentWriter(QueuedWriter):
    """write(frame) queues output frames `first`, `first`+1, ...; finish() closes the last segment.

    `on_boundary(k)`, if given, runs in the producer when a segment is to end before frame k, before
    frame k-1 is queued (so before that segment can be recorded): resume state is saved there."""

    def __init__(self, spec: OutputSpec, work: WorkFolder, first: int, segment_frames: int, queue_size: int = 8,
                 on_boundary=None):
        super().__init__(spec.high_bit_depth, queue_size, name="genvid-segments")
        self.spec, self.work = spec, work
        self.next_frame = first
        self.segment_frames = segment_frames
        self.segments_written = 0
        self._segment = None
        self._start = self._count = 0
        self.on_boundary = on_boundary
        self._handed, self._handed_count = first, 0  # the producer's side
        self._thread.start()

    @property
    def frames_written(self) -> int:
        return self.next_frame

    def write(self, frame: np.ndarray) -> None:
        """Queues the next frame; whether it ends its segment is decided here, as it is handed over."""
        self._handed += 1
        self._handed_count += 1
        ends = (self._handed_count >= self.segment_frames
                and self.spec.info.frame_count - self._handed >= MIN_TAIL_FRAMES)
        if ends:
            self._handed_count = 0
            if self.on_boundary is not None:
                self.on_boundary(self._handed)
        super().write(frame)
        if ends:
            self._queue.put(_CLOSE)

    def _write(self, frame: np.ndarray) -> None:
        if frame is _CLOSE:
            self._close_segment()
            return
        if self._segment is None:
            kind = _FrameFiles if self.spec.folder else _VideoSegment
            self._segment = kind(self.spec, self.work, len(self.work.segments), self.next_frame)
            self._start, self._count = self.next_frame, 0
        self._segment.write(frame, self.next_frame)
        self.next_frame += 1
        self._count += 1

    def _end_of_frames(self) -> None:
        self._close_segment()

    def _close_segment(self) -> None:
        """Closes the open segment: its file complete and in place, then recorded in the manifest."""
        segment, self._segment = self._segment, None
        if segment is not None:
            file = segment.close()
            self.work.add_segment(file, self._start, self._count)
            self.segments_written += 1

    def finish(self) -> None:
        self._join()
        if self._error is not None:
            raise self._error

    def abort(self, timeout: float | None = 10) -> None:
        """Stops at once: the segment being written is dropped, the recorded ones stay (a segment being
        closed is recorded; with `timeout` None this returns only once the writer has stopped)."""
        self._error = self._error or GenvidError("aborted")
        if self._segment is not None:
            self._segment.kill()
        self._join(timeout=timeout)


def check_output(spec: OutputSpec, output: Path) -> None:
    """Encodes one black frame into `output`'s container with the run's encoder options, before any work.

    Segments are QuickTime files: whether the output's container takes this codec (ProRes into .mp4,
    an unknown extension) would otherwise only show at the join, after all the work."""
    trial = output.with_name(f".{output.name}.genvid-trial{output.suffix}")
    try:
        encoder = Encoder(trial, spec.width, spec.height, spec.info.fps, codec=spec.codec, crf=spec.crf,
                          pix_fmt=spec.pix_fmt, source=spec.info, high_bit_depth=spec.high_bit_depth,
                          extra=spec.extra)
        encoder.write(np.zeros((spec.height, spec.width, 3), np.uint16 if spec.high_bit_depth else np.uint8))
        encoder.close()
    except GenvidError as e:
        reason = str(e).replace(f"encoding {trial} failed: ", "").replace(f"the encoder stopped writing {trial}: ", "")
        if spec.codec in NVENC_CODECS:
            raise GenvidError(nvenc_error(spec.codec, reason)) from None
        raise GenvidError(f"cannot write {output} with {spec.codec}: {reason}") from None
    finally:
        trial.unlink(missing_ok=True)


def concat_list(work: WorkFolder, spec: OutputSpec) -> Path:
    """An ffconcat script of the recorded segments, each with its exact duration (microseconds)."""
    lines = ["ffconcat version 1.0"]
    for seg in work.segments:
        span = spec.frame_time_us(seg["start"] + seg["frames"]) - spec.frame_time_us(seg["start"])
        lines += [f"file '{seg['file']}'", f"duration {span // 1_000_000}.{span % 1_000_000:06d}"]
    path = work.path / "segments.ffconcat"
    path.write_text("\n".join(lines) + "\n")
    return path
