"""Decoding frames in a background thread into a bounded queue: memory does not grow with length.

Video files go through ffmpeg as raw RGB (rgb24, or rgb48le for sources deeper than 8 bits, so no
8-bit step), with `-fps_mode passthrough` so that no frame is dropped or duplicated.  The same ffmpeg
writes each frame's presentation time to a second pipe, and every frame's time is checked before the
frame is handed on (`damage.FrameCheck`): a frame the decoder skips (a corrupt packet) raises
`DamagedSource` as soon as the frame after it arrives, and a decode that ends early raises at its end.
Folders of frames are read with Pillow in natural order.
"""
from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from ..errors import GenvidError
from .damage import TIMES_OUTPUT, FrameCheck, Timeline, decoded_times
from .ffmpeg import ffmpeg_exe, last_error_line
from .image_folder import read_image
from .probe import VideoInfo, probe

_END = object()
# each frame's time comes through a second pipe that ffmpeg inherits; Windows passes no such pipe, and
# there only the frame count is checked (at the end)
TIMES_PIPE = os.name != "nt"


class FrameReader:
    """Iterates (H, W, 3) uint8 frames (uint16 when `high_bit_depth` and the source is deeper than 8 bits).

    Use as a context manager or call `close()`; iteration raises GenvidError if the source is damaged.
    `timeline` says which frame each decoded time belongs to (default: the source's own, from `info`).
    """

    def __init__(self, source: str | Path | VideoInfo, queue_size: int = 8, high_bit_depth: bool = True,
                 max_frames: int | None = None, timeline: Timeline | None | str = "source"):
        self.info = source if isinstance(source, VideoInfo) else probe(source)
        self.check = FrameCheck(self.info, Timeline.of(self.info) if timeline == "source" else timeline)
        self.dtype = np.uint16 if high_bit_depth and self.info.bit_depth > 8 else np.uint8
        self.max_frames = max_frames
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._proc: subprocess.Popen | None = None
        self.frames_read = 0
        self._thread = threading.Thread(target=self._run, name="genvid-decode", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            if self.info.is_image_folder:
                self._read_folder()
            else:
                self._read_video()
        except GenvidError as e:
            self._put(e)
        except Exception as e:  # surfaced to the consumer, never lost in the thread
            self._put(GenvidError(f"decoding {self.info.path} failed: {e}"))
        self._put(_END)

    def _read_folder(self) -> None:
        folder = Path(self.info.path)
        for name in self.info.frame_names[:self.max_frames]:
            frame = read_image(folder / name)
            if frame.shape[:2] != (self.info.height, self.info.width):
                raise GenvidError(f"frame {folder / name} is {frame.shape[1]}x{frame.shape[0]}, the first frame is "
                                  f"{self.info.width}x{self.info.height}; all frames of a folder must have one size")
            if frame.dtype != self.dtype:
                frame = (frame >> 8).astype(np.uint8) if self.dtype == np.uint8 else frame.astype(np.uint16) * 257
            if not self._put(frame):
                return

    def _read_video(self) -> None:
        w, h = self.info.width, self.info.height
        pix = "rgb48le" if self.dtype == np.uint16 else "rgb24"
        frame_bytes = w * h * 3 * np.dtype(self.dtype).itemsize
        times_fd, times_out = os.pipe() if TIMES_PIPE else (None, None)
        with tempfile.TemporaryFile() as err, \
                (os.fdopen(times_fd) if TIMES_PIPE else contextlib.nullcontext(())) as times:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", self.info.path, "-map", "0:V:0",
                   "-fps_mode", "passthrough", "-sws_flags", "bicubic+accurate_rnd+full_chroma_int",
                   "-f", "rawvideo", "-pix_fmt", pix, "pipe:1"]
            cmd += [*TIMES_OUTPUT, f"pipe:{times_out}"] if TIMES_PIPE else []
            try:
                self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, bufsize=frame_bytes,
                                              pass_fds=(times_out,) if TIMES_PIPE else ())
            finally:
                if TIMES_PIPE:
                    os.close(times_out)
            try:
                tb = self.check.timeline.time_base if self.check.timeline else self.info.time_base
                stopped_early = self._frames(frame_bytes, pix, decoded_times(times, tb))
            except BaseException:
                self._proc.kill()
                raise
            finally:
                self._proc.stdout.close()
            if stopped_early:
                self._proc.kill()
            code = self._proc.wait()
            if stopped_early:
                return
            err.seek(0)
            message = err.read().decode("utf-8", "replace")
        if code != 0:
            raise GenvidError(f"cannot decode {self.info.path}: {last_error_line(message)}")
        self.check.end()

    def _frames(self, frame_bytes: int, pix: str, times) -> bool:
        """Reads, checks and queues frames; True when stopped before the end (max_frames, close)."""
        h, w = self.info.height, self.info.width
        limit = self.max_frames if self.max_frames is not None else -1
        while limit < 0 or self.frames_read < limit:
            buf = bytearray(frame_bytes)  # a fresh, writable buffer per frame: no copy after the read
            if _read_into(self._proc.stdout, buf) < frame_bytes:
                break
            self.check.frame(next(times, None))
            frame = np.frombuffer(buf, dtype="<u2" if pix == "rgb48le" else np.uint8).reshape(h, w, 3)
            if not self._put(frame.astype(self.dtype, copy=False)):
                break
            self.frames_read += 1
        return self._stop.is_set() or (self.max_frames is not None and self.frames_read >= self.max_frames)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
        self._thread.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_into(stream, buf: bytearray) -> int:
    view, got = memoryview(buf), 0
    while got < len(buf):
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def read_frames(path: str | Path, max_frames: int | None = None) -> list[np.ndarray]:
    """All frames (or the first `max_frames`) of a short clip, as a list."""
    with FrameReader(path, high_bit_depth=False, max_frames=max_frames) as reader:
        return list(reader)
