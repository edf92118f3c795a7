"""Encoding RGB frames with the bundled ffmpeg: one encoder process per file, and a threaded writer.

`Encoder` pipes raw RGB (rgb24, or rgb48le for 16-bit frames, so no 8-bit step) to one ffmpeg.  Frames
are numbered at the exact rational rate (so a 30000/1001 source stays 30000/1001), or, for variable
frame rates, each frame carries its own time: the pipe is then a minimal Matroska stream
(`raw_matroska`) and the encoder keeps every timestamp (`-fps_mode passthrough`, in the source's time
base).  The encoder converts to YUV with the colour matrix that decoded the source and marks the
frames with the source's colour tags (`setparams`: this ffmpeg takes a frame's own tags over the
`-color_*` encoder options), and keeps the pixel aspect.  `FrameWriter` runs an encoder (or writes
PNG files) from a bounded queue in a background thread.

NVIDIA's hardware encoders (`NVENC_CODECS`) take `crf` as their constant quality (`-rc vbr -cq N -b:v 0`:
no bitrate cap; 1 is the best, 51 the worst, 63 for AV1); where the encoder or a GPU with NVENC is missing,
the trial encode before any work fails with `nvenc_error`'s line.
"""
from __future__ import annotations

import queue
import re
import subprocess
import tempfile
import threading
from abc import ABC, abstractmethod
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import GenvidError
from .ffmpeg import ffmpeg_exe, last_error_line
from .image_folder import write_image
from .probe import VideoInfo
from .raw_matroska import frame_header, stream_header

DEFAULT_CODEC = "libx264"
DEFAULT_CRF = 18
CRF_CODECS = ("libx264", "libx264rgb", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1")
NVENC_CODECS = {"h264_nvenc": 51, "hevc_nvenc": 51, "av1_nvenc": 63}  # -> the worst -cq (constant quality)
# what each encoder writes when no --pix-fmt is given (ProRes is 10-bit by definition); others: ffmpeg's pick
DEFAULT_PIX_FMT = {"libx264": "yuv420p", "libx265": "yuv420p", "libvpx-vp9": "yuv420p",
                   "prores_ks": "yuv422p10le", "prores": "yuv422p10le", "prores_aw": "yuv422p10le",
                   "h264_nvenc": "yuv420p", "hevc_nvenc": "yuv420p", "av1_nvenc": "yuv420p"}
# the colour-matrix tag of a source -> the name the scale filter takes for converting with it
MATRIX_FOR_SCALE = {"bt709": "bt709", "bt470bg": "bt601", "smpte170m": "bt601", "bt2020nc": "bt2020",
                    "bt2020c": "bt2020", "smpte240m": "smpte240m", "fcc": "fcc"}
HIGH_DEPTH_PIX_FMTS = ("9le", "10le", "12le", "14le", "16le", "10be", "12be", "16be", "p010", "p016", "rgb48",
                       "rgba64", "bgr48", "bgra64")
_UNSET = ("", "unknown", "reserved", "unspecified")
_END = object()


def output_pix_fmt(codec: str, pix_fmt: str | None) -> str | None:
    """The pixel format the encoder will write: the one asked for, or the codec's default (None: ffmpeg picks)."""
    return pix_fmt or DEFAULT_PIX_FMT.get(codec)


def is_high_depth(pix_fmt: str | None) -> bool:
    return bool(pix_fmt) and any(tag in pix_fmt for tag in HIGH_DEPTH_PIX_FMTS)


def is_rgb(pix_fmt: str | None) -> bool:
    return bool(pix_fmt) and pix_fmt.startswith(("rgb", "bgr", "gbr"))


def colour_tags(source: VideoInfo | None, pix_fmt: str | None) -> dict[str, str]:
    """The source's colour tags for an output in `pix_fmt` (None: RGB chosen by ffmpeg), as setparams names.

    YUV outputs get the matrix they are converted with (BT.601 for an untagged source, as ffmpeg decodes
    it) and the source's range; primaries and transfer are copied whenever the source states them."""
    if source is None:
        return {}
    tags = {}
    if pix_fmt and not is_rgb(pix_fmt):
        space = source.color_space
        tags["colorspace"] = space if space in MATRIX_FOR_SCALE else "smpte170m"
        tags["range"] = source.color_range or "tv"
    if (source.color_primaries or "") not in _UNSET:
        tags["color_primaries"] = source.color_primaries
    if (source.color_transfer or "") not in _UNSET:
        tags["color_trc"] = source.color_transfer
    return tags


def colour_tag_args(tags: dict[str, str], stream: str = "") -> list[str]:
    """The same tags as ffmpeg output options (container level, also for stream copies)."""
    names = {"colorspace": "-colorspace", "range": "-color_range", "color_primaries": "-color_primaries",
             "color_trc": "-color_trc"}
    return [a for key, value in tags.items() for a in (names[key] + stream, value)]


def check_quality(codec: str, crf: int | None) -> None:
    """Refuses a --crf outside an NVENC encoder's constant-quality range (its 0 would mean 'automatic')."""
    worst = NVENC_CODECS.get(codec)
    if worst is not None and crf is not None and not 1 <= crf <= worst:
        raise GenvidError(f"--crf {crf} is out of range for {codec}: its constant quality (-cq) runs from 1 (best) "
                          f"to {worst}")


def nvenc_error(codec: str, reason: str) -> str:
    """The line for an NVENC encoder that cannot run: ffmpeg's cause and what to use instead."""
    reason = re.sub(r"^\[[^]]*@ 0x[0-9a-f]+\] ", "", reason.strip())  # ffmpeg's "[h264_nvenc @ 0x...] " prefix
    return (f"{codec} cannot encode here: {reason} (NVENC needs an NVIDIA GPU that has a video encoder, and its "
            f"driver; H100 and H200 have none); use --codec libx264 or libx265")


def encoder_args(codec: str, crf: int | None, pix_fmt: str | None, source: VideoInfo | None,
                 extra: list[str] | tuple = ()) -> list[str]:
    """ffmpeg output options: codec, quality, pixel format, colour conversion and tags, pixel aspect."""
    pix_fmt = output_pix_fmt(codec, pix_fmt)
    args = ["-c:v", codec]
    if crf is not None and codec in CRF_CODECS:
        args += ["-crf", str(crf)] + (["-b:v", "0"] if codec == "libvpx-vp9" else [])
    elif crf is not None and codec in NVENC_CODECS:  # constant quality: variable rate, no bitrate target
        args += ["-rc", "vbr", "-cq", str(crf), "-b:v", "0"]
    tags = colour_tags(source, pix_fmt)
    filters = []
    if pix_fmt and not is_rgb(pix_fmt) and source is not None:
        filters.append(f"scale=out_color_matrix={MATRIX_FOR_SCALE.get(tags['colorspace'], 'bt601')}"
                       f":out_range={tags['range']}:flags=bicubic+accurate_rnd")
    if tags:
        filters.append("setparams=" + ":".join(f"{k}={v}" for k, v in tags.items()))
    if source and source.sample_aspect:  # upscaling keeps the pixel shape, so the display shape stays
        filters.append(f"setsar={source.sample_aspect.numerator}/{source.sample_aspect.denominator}")
    if filters:
        args += ["-vf", ",".join(filters)]
    if pix_fmt:
        args += ["-pix_fmt", pix_fmt]
    return args + colour_tag_args(tags) + list(extra)


class Encoder:
    """One ffmpeg process writing `path` from RGB frames given to `write`; `close()` finishes it.

    Without `time_base`, frame i is at i / `fps` exactly.  With it, every `write` gives the frame's time
    and duration in microseconds (from 0), and the output keeps them in that time base.  MP4/MOV files
    get their index first (`faststart`) unless told otherwise (files that are only read by a later join)."""

    def __init__(self, path: str | Path, width: int, height: int, fps: Fraction, *, codec: str = DEFAULT_CODEC,
                 crf: int | None = DEFAULT_CRF, pix_fmt: str | None = None, source: VideoInfo | None = None,
                 high_bit_depth: bool = False, time_base: Fraction | None = None, extra: list[str] | tuple = (),
                 faststart: bool = True):
        self.path, self.width, self.height = Path(path), width, height
        self.high_bit_depth, self.timed = high_bit_depth, time_base is not None
        self.pix_in = "rgb48le" if high_bit_depth else "rgb24"
        self.frame_bytes = width * height * 3 * (2 if high_bit_depth else 1)
        self._err = tempfile.TemporaryFile()
        if self.timed:
            tb = time_base if time_base.denominator <= 1_000_000 else Fraction(1, 1_000_000)
            source_args = ["-f", "matroska", "-i", "pipe:0", "-fps_mode", "passthrough",
                           "-enc_time_base", f"{tb.numerator}:{tb.denominator}"]
        else:
            fps = Fraction(fps)
            source_args = ["-f", "rawvideo", "-pix_fmt", self.pix_in, "-s", f"{width}x{height}",
                           "-framerate", f"{fps.numerator}/{fps.denominator}", "-i", "pipe:0"]
        mp4 = faststart and self.path.suffix.lower() in (".mp4", ".m4v", ".mov")  # the index first, for players
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *source_args,
               *encoder_args(codec, crf, pix_fmt, source, extra), "-an", "-sn",
               *(["-movflags", "+faststart"] if mp4 else []), str(self.path)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._err)
        if self.timed:
            self._send(stream_header(width, height, self.pix_in))

    def _send(self, data) -> None:
        try:
            self._proc.stdin.write(data)
        except (BrokenPipeError, ValueError):
            raise GenvidError(f"the encoder stopped writing {self.path}: {self.stderr()}") from None

    def stderr(self) -> str:
        """ffmpeg's first error line: the cause (e.g. 'width not divisible by 2'); the later lines follow from it."""
        self._err.seek(0)
        lines = [ln.strip() for ln in self._err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[0] if lines else last_error_line("")

    def write(self, frame: np.ndarray, time_us: int | None = None, duration_us: int | None = None) -> None:
        if frame.shape != (self.height, self.width, 3):
            raise GenvidError(f"frame of shape {frame.shape} does not match the output {self.width}x{self.height}")
        data = frame.astype("<u2") if self.high_bit_depth else frame.astype(np.uint8, copy=False)
        if self.timed:
            self._send(frame_header(time_us, duration_us, self.frame_bytes))
        self._send(np.ascontiguousarray(data).data)

    def close(self) -> None:
        """Flushes and waits for ffmpeg; raises GenvidError if it failed."""
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        code = self._proc.wait()
        message = self.stderr() if code != 0 else ""
        self._err.close()
        if code != 0:
            raise GenvidError(f"encoding {self.path} failed: {message}")

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._err.close()


def convert_depth(frame: np.ndarray, high_bit_depth: bool) -> np.ndarray:
    """uint8 <-> uint16 (x 257, or the high byte) to match what the output stores."""
    if frame.dtype == np.uint16 and not high_bit_depth:
        return (frame >> 8).astype(np.uint8)
    if frame.dtype == np.uint8 and high_bit_depth:
        return frame.astype(np.uint16) * 257
    return frame


class QueuedWriter(ABC):
    """Frames given to `write` are handled by `_write` in a background thread, from a bounded queue.

    After the last frame the thread calls `_end_of_frames()`.  An error in the thread is kept, the queue is still
    drained (so the producer never blocks), and the error is raised by the next `write` or by `_join`."""

    def __init__(self, high_bit_depth: bool, queue_size: int = 8, name: str = "genvid-encode"):
        self.high_bit_depth = high_bit_depth
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @abstractmethod
    def _write(self, frame: np.ndarray) -> None:
        """Handles one frame, in the thread."""

    def _end_of_frames(self) -> None:
        """Runs in the thread after the last frame, unless something failed."""

    def _run(self) -> None:
        try:
            while True:
                frame = self._queue.get()
                if frame is _END:
                    break
                if self._error is None:
                    self._write(frame)
            if self._error is None:
                self._end_of_frames()
        except BaseException as e:  # surfaced to the producer by write() or _join()
            self._error = e
            while self._queue.get() is not _END:  # keep draining so the producer never blocks
                pass

    def write(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(convert_depth(frame, self.high_bit_depth))

    def _join(self, timeout: float | None = None) -> None:
        """Ends the queue and waits for the thread."""
        self._queue.put(_END)
        self._thread.join(timeout)


class FrameWriter(QueuedWriter):
    """write(frame) queues an (H, W, 3) uint8/uint16 frame; finish() waits and returns the written path.

    Video: one `Encoder` at the exact rate `fps`.  Folders: PNG files, 16-bit when `high_bit_depth`."""

    def __init__(self, path: str | Path, width: int, height: int, fps: Fraction, *, folder: bool = False,
                 names: list[str] | None = None, codec: str = DEFAULT_CODEC, crf: int | None = DEFAULT_CRF,
                 pix_fmt: str | None = None, source: VideoInfo | None = None, high_bit_depth: bool = False,
                 queue_size: int = 8):
        super().__init__(high_bit_depth or is_high_depth(output_pix_fmt(codec, pix_fmt)), queue_size)
        self.path, self.width, self.height, self.fps = Path(path), width, height, Fraction(fps)
        self.folder, self.names = folder, names
        self.frames_written = 0
        self._encoder = None
        if folder:
            self.path.mkdir(parents=True, exist_ok=True)
        else:
            self._encoder = Encoder(self.path, width, height, self.fps, codec=codec, crf=crf, pix_fmt=pix_fmt,
                                    source=source, high_bit_depth=self.high_bit_depth)
        self._thread.start()

    def _write(self, frame: np.ndarray) -> None:
        if self.folder:
            if frame.shape != (self.height, self.width, 3):
                raise GenvidError(f"frame of shape {frame.shape} does not match the output {self.width}x{self.height}")
            name = self.names[self.frames_written] if self.names else f"{self.frames_written + 1:08d}.png"
            write_image(self.path / (Path(name).stem + ".png"), frame)
        else:
            self._encoder.write(frame)
        self.frames_written += 1

    def finish(self) -> Path:
        """Flushes, closes the encoder and returns the path; raises if anything failed."""
        self._join()
        if self._encoder is not None:
            if self._error is None:
                try:
                    self._encoder.close()
                except GenvidError as e:
                    self._error = e
            else:
                self._encoder.kill()
        if self._error is not None:
            raise self._error
        return self.path

    def abort(self) -> None:
        """Stops without finishing; the caller removes the partial output."""
        self._error = self._error or GenvidError("aborted")
        if self._encoder is not None:
            self._encoder.kill()
        self._join(timeout=10)
