"""Encoding frames in a background thread from a bounded queue, to a video file or a folder of PNGs.

Video: raw RGB frames are piped to ffmpeg at the exact rational frame rate (so the output has one frame
per input frame with the same timing), converted to YUV with the colour matrix that decoded the source
and tagged with it.  Folders: PNG files, 16-bit when the frames are.  Either way the writer fills a
temporary path; `finish()` returns it and the caller renames it into place.
"""
from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import GenvidError
from .ffmpeg import ffmpeg_exe, last_error_line
from .image_folder import write_image
from .probe import VideoInfo

DEFAULT_CODEC = "libx264"
DEFAULT_CRF = 18
# the colour-matrix tag of a source -> the name the scale filter takes for converting with it
MATRIX_FOR_SCALE = {"bt709": "bt709", "bt470bg": "bt601", "smpte170m": "bt601", "bt2020nc": "bt2020",
                    "bt2020c": "bt2020", "smpte240m": "smpte240m", "fcc": "fcc"}
HIGH_DEPTH_PIX_FMTS = ("10le", "12le", "16le", "10be", "12be", "16be", "p010", "p016")
_END = object()


def encoder_args(codec: str, crf: int | None, pix_fmt: str | None, source: VideoInfo | None) -> list[str]:
    """ffmpeg output options: codec, quality, pixel format, colour conversion and tags, pixel aspect."""
    pix_fmt = pix_fmt or ("yuv420p" if codec in ("libx264", "libx265", "libvpx-vp9") else None)
    args = ["-c:v", codec]
    if crf is not None and codec in ("libx264", "libx265", "libvpx-vp9", "libaom-av1", "libsvtav1"):
        args += ["-crf", str(crf)] + (["-b:v", "0"] if codec == "libvpx-vp9" else [])
    space = source.color_space if source else None
    rng = (source.color_range if source else None) or "tv"
    filters = []
    if pix_fmt and not pix_fmt.startswith(("rgb", "bgr", "gbr")):
        matrix = MATRIX_FOR_SCALE.get(space or "", "bt601")
        filters.append(f"scale=out_color_matrix={matrix}:out_range={rng}:flags=bicubic+accurate_rnd")
        args += ["-colorspace", space if space in MATRIX_FOR_SCALE else "smpte170m", "-color_range", rng]
    if source and source.sample_aspect:  # upscaling keeps the pixel shape, so the display shape stays
        filters.append(f"setsar={source.sample_aspect.numerator}/{source.sample_aspect.denominator}")
    if filters:
        args += ["-vf", ",".join(filters)]
    if pix_fmt:
        args += ["-pix_fmt", pix_fmt]
    if source and source.color_primaries and source.color_primaries != "unknown":
        args += ["-color_primaries", source.color_primaries]
    if source and source.color_transfer and source.color_transfer != "unknown":
        args += ["-color_trc", source.color_transfer]
    return args


class FrameWriter:
    """write(frame) queues an (H, W, 3) uint8/uint16 frame; finish() waits and returns the written path."""

    def __init__(self, path: str | Path, width: int, height: int, fps: Fraction, *, folder: bool = False,
                 names: list[str] | None = None, codec: str = DEFAULT_CODEC, crf: int | None = DEFAULT_CRF,
                 pix_fmt: str | None = None, source: VideoInfo | None = None, high_bit_depth: bool = False,
                 queue_size: int = 8):
        self.path, self.width, self.height, self.fps = Path(path), width, height, Fraction(fps)
        self.folder, self.names = folder, names
        self.frames_written = 0
        self.high_bit_depth = high_bit_depth or bool(pix_fmt and pix_fmt.endswith(HIGH_DEPTH_PIX_FMTS))
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._error: Exception | None = None
        self._err_file = tempfile.TemporaryFile()
        self._proc = None
        if folder:
            self.path.mkdir(parents=True, exist_ok=True)
        else:
            pix_in = "rgb48le" if self.high_bit_depth else "rgb24"
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "rawvideo",
                   "-pix_fmt", pix_in, "-s", f"{width}x{height}", "-framerate", f"{self.fps.numerator}/{self.fps.denominator}",
                   "-i", "pipe:0", *encoder_args(codec, crf, pix_fmt, source), "-an", "-sn",
                   *(["-movflags", "+faststart"] if self.path.suffix.lower() in (".mp4", ".m4v", ".mov") else []),
                   str(self.path)]
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._err_file)
        self._thread = threading.Thread(target=self._run, name="genvid-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                frame = self._queue.get()
                if frame is _END:
                    break
                if self._error is None:
                    self._write(frame)
        except Exception as e:
            self._error = e
            while self._queue.get() is not _END:  # keep draining so the producer never blocks
                pass

    def _write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3):
            raise GenvidError(f"frame of shape {frame.shape} does not match the output {self.width}x{self.height}")
        if self.folder:
            name = self.names[self.frames_written] if self.names else f"{self.frames_written + 1:08d}.png"
            write_image(self.path / (Path(name).stem + ".png"), frame)
        else:
            data = frame.astype("<u2") if self.high_bit_depth else frame.astype(np.uint8, copy=False)
            try:
                self._proc.stdin.write(np.ascontiguousarray(data).tobytes())
            except BrokenPipeError:
                raise GenvidError(f"the encoder stopped writing {self.path}: {self._stderr()}") from None
        self.frames_written += 1

    def _stderr(self) -> str:
        """ffmpeg's first error line: the cause (e.g. 'width not divisible by 2'); the later lines follow from it."""
        self._err_file.seek(0)
        lines = [ln.strip() for ln in self._err_file.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[0] if lines else last_error_line("")

    def write(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        if frame.dtype == np.uint16 and not self.high_bit_depth:
            frame = (frame >> 8).astype(np.uint8)
        elif frame.dtype == np.uint8 and self.high_bit_depth:
            frame = frame.astype(np.uint16) * 257
        self._queue.put(frame)

    def finish(self) -> Path:
        """Flushes, closes the encoder and returns the path; raises if anything failed."""
        self._queue.put(_END)
        self._thread.join()
        if self._proc:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
            code = self._proc.wait()
            if code != 0 and self._error is None:
                self._error = GenvidError(f"encoding {self.path} failed: {self._stderr()}")
        self._err_file.close()
        if self._error is not None:
            raise self._error
        return self.path

    def abort(self) -> None:
        """Stops without finishing; the caller removes the partial output."""
        self._error = self._error or GenvidError("aborted")
        self._queue.put(_END)
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
        self._thread.join(timeout=10)
        self._err_file.close()
