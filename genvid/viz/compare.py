"""`genvid compare A B [C ...] --out cmp.mp4|cmp.png`: inputs streamed together into one comparison.

All inputs are read in step (FrameReader, a few frames each in memory), brought to a common size
(default: the largest input's, nearest-neighbour), optionally cropped and zoomed, labelled, and laid out
side by side or as a split screen.  A video output has one frame per frame index and stops with the
shortest input; a `.png` output is the one frame `frame`.  No audio is written.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import GenvidError
from ..io.decode import FrameReader
from ..io.encode import FrameWriter
from ..io.image_folder import write_image
from ..io.probe import probe
from .layout import Box, crop_zoom, even, resize, side_by_side, split_screen

MODES = ("side-by-side", "split")


def common_size(infos, size: tuple[int, int] | None) -> tuple[int, int]:
    """(width, height): `size` if given, else the largest input by area (first wins a tie)."""
    if size is not None:
        return size
    biggest = max(infos, key=lambda i: i.width * i.height)
    return biggest.width, biggest.height


def parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise GenvidError(f"--size takes WxH, e.g. 1280x720; got '{text}'") from None
    if w <= 0 or h <= 0:
        raise GenvidError(f"--size must be positive, got '{text}'")
    return w, h


class Composer:
    """Turns one frame of each input into the comparison frame."""

    def __init__(self, size: tuple[int, int], labels: list[str], mode: str = "side-by-side", method: str = "nearest",
                 crop: Box | None = None, zoom: int = 1, columns: int | None = None, split: float | None = None):
        if mode not in MODES:
            raise GenvidError(f"unknown --mode '{mode}'; use {' or '.join(MODES)}")
        if zoom < 1:
            raise GenvidError(f"--zoom must be 1 or more, got {zoom}")
        if split is not None and not 0 < split < 1:
            raise GenvidError(f"--split is a fraction of the width between 0 and 1, got {split}")
        if crop is not None and (crop.x + crop.w > size[0] or crop.y + crop.h > size[1]):
            raise GenvidError(f"--crop {crop.x},{crop.y},{crop.w},{crop.h} reaches outside the common "
                              f"{size[0]}x{size[1]} frame")
        self.size, self.labels, self.mode, self.method = size, labels, mode, method
        self.crop, self.zoom, self.columns, self.split = crop, zoom, columns, split

    def __call__(self, frames: list[np.ndarray]) -> np.ndarray:
        panels = [resize(f, *self.size, self.method) for f in frames]
        if self.crop is not None:
            panels = [crop_zoom(p, self.crop, self.zoom) for p in panels]
        elif self.zoom > 1:
            panels = [np.repeat(np.repeat(p, self.zoom, 0), self.zoom, 1) for p in panels]
        if self.mode == "split":
            return even(split_screen(panels, self.labels, self.split))
        return even(side_by_side(panels, self.labels, self.columns))


def compare(inputs: list[str | Path], out: str | Path, *, labels: list[str] | None = None, mode: str = "side-by-side",
            size: tuple[int, int] | None = None, method: str = "nearest", crop: Box | None = None, zoom: int = 1,
            columns: int | None = None, split: float | None = None, frame: int = 0, overwrite: bool = False,
            crf: int = 18) -> dict:
    """Writes the comparison; returns {"output", "frames", "width", "height", "notes"}."""
    if len(inputs) < 2:
        raise GenvidError("compare needs at least two inputs")
    out = Path(out)
    labels = list(labels) if labels else [Path(p).name for p in inputs]
    if len(labels) != len(inputs):
        raise GenvidError(f"{len(labels)} labels for {len(inputs)} inputs; give one --label per input, in order")
    if out.exists() and not overwrite:
        raise GenvidError(f"output {out} exists; pass --overwrite to replace it")
    if not out.resolve().parent.is_dir():
        raise GenvidError(f"cannot write {out}: folder {out.resolve().parent} does not exist")
    if any(out.resolve() == Path(p).resolve() for p in inputs):
        raise GenvidError(f"output {out} is one of the inputs; choose another output path")
    infos = [probe(p) for p in inputs]
    compose = Composer(common_size(infos, size), labels, mode, method, crop, zoom, columns, split)
    if out.suffix.lower() == ".png":
        return _one_frame(infos, out, compose, frame)
    return _video(infos, out, compose, crf)


def _open(infos, max_frames=None) -> list[FrameReader]:
    return [FrameReader(i, high_bit_depth=False, max_frames=max_frames) for i in infos]


def _close(readers) -> None:
    for r in readers:
        r.close()


def _last(reader: FrameReader) -> np.ndarray:
    """The last frame a reader gives, holding one at a time."""
    frame = None
    for frame in reader:
        pass
    return frame


def _one_frame(infos, out: Path, compose: Composer, index: int) -> dict:
    shortest = min(i.frame_count for i in infos)
    if not 0 <= index < shortest:
        raise GenvidError(f"--frame {index} is outside the inputs: the shortest has {shortest} frames (0..{shortest - 1})")
    readers = _open(infos, max_frames=index + 1)
    try:
        frames = [_last(r) for r in readers]
    finally:
        _close(readers)
    image = compose(frames)
    tmp = out.with_name(f".{out.name}.genvid-partial.png")
    write_image(tmp, image)
    os.replace(tmp, out)
    return {"output": str(out), "frames": 1, "width": image.shape[1], "height": image.shape[0], "notes": []}


def _video(infos, out: Path, compose: Composer, crf: int) -> dict:
    counts = [i.frame_count for i in infos]
    n = min(counts)
    notes = []
    if len(set(counts)) > 1:
        longer = ", ".join(f"{Path(i.path).name} has {c}" for i, c in zip(infos, counts) if c > n)
        notes.append(f"stopped at the shortest input: {n} frames ({longer})")
    rate = infos[0].fps if infos[0].fps else Fraction(25)
    tmp = out.with_name(f".{out.name}.genvid-partial{out.suffix}")
    readers = _open(infos, max_frames=n)
    writer = None
    try:
        for frames in zip(*readers):
            image = compose(list(frames))
            if writer is None:
                writer = FrameWriter(tmp, image.shape[1], image.shape[0], rate, crf=crf)
            writer.write(image)
        if writer is None:
            raise GenvidError("no frames to compare")
        writer.finish()
        if writer.frames_written != n:
            raise GenvidError(f"wrote {writer.frames_written} frames of {n}; output discarded")
        os.replace(tmp, out)
    except BaseException:
        if writer is not None:
            writer.abort()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _close(readers)
    return {"output": str(out), "frames": n, "width": writer.width, "height": writer.height, "notes": notes}
