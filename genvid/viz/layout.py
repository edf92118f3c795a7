"""Composing frames for judging by eye: a common size, labels, zoomed crops, side by side or split screen.

Every function takes and returns (H, W, 3) uint8 frames.  Resizing is nearest-neighbour by default, so
each pixel shown is a pixel of the input (an LR frame shows as blocks, not as a smoothed guess); bicubic
(PIL) on request.  Labels are drawn with Pillow's built-in font on a dark box, top left.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import GenvidError

RESAMPLE = {"nearest": Image.NEAREST, "bicubic": Image.BICUBIC}
LINE = (255, 255, 255)  # split lines and panel borders
GAP = 2  # pixels between side-by-side panels


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @classmethod
    def parse(cls, text: str) -> Box:
        """'X,Y,W,H' in pixels of the common size."""
        try:
            x, y, w, h = (int(v) for v in text.split(","))
        except ValueError:
            raise GenvidError(f"--crop takes X,Y,W,H in pixels, e.g. 100,50,64,64; got '{text}'") from None
        if x < 0 or y < 0 or w <= 0 or h <= 0:
            raise GenvidError(f"--crop needs X, Y >= 0 and W, H > 0; got '{text}'")
        return cls(x, y, w, h)


def resize(frame: np.ndarray, width: int, height: int, method: str = "nearest") -> np.ndarray:
    if frame.shape[:2] == (height, width):
        return frame
    if method not in RESAMPLE:
        raise GenvidError(f"unknown resize method '{method}'; use {' or '.join(RESAMPLE)}")
    return np.asarray(Image.fromarray(frame).resize((width, height), RESAMPLE[method]))


def crop_zoom(frame: np.ndarray, box: Box, zoom: int) -> np.ndarray:
    """The `box` region, each pixel repeated `zoom` times in both directions (nearest-neighbour)."""
    h, w = frame.shape[:2]
    if box.x + box.w > w or box.y + box.h > h:
        raise GenvidError(f"--crop {box.x},{box.y},{box.w},{box.h} reaches outside the {w}x{h} frame")
    region = frame[box.y:box.y + box.h, box.x:box.x + box.w]
    return np.repeat(np.repeat(region, zoom, axis=0), zoom, axis=1)


def font_for(height: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=max(12, min(48, height // 18)))


def draw_label(frame: np.ndarray, text: str, left: int = 0) -> np.ndarray:
    """A copy of `frame` with `text` in white on a dark box at the top left (of the region starting at `left`)."""
    if not text:
        return frame
    im = Image.fromarray(frame)
    draw = ImageDraw.Draw(im)
    font = font_for(frame.shape[0])
    pad = max(2, font.size // 4)
    _, _, x1, y1 = draw.textbbox((left + pad, pad), text, font=font)
    draw.rectangle((left, 0, x1 + pad, y1 + pad), fill=(0, 0, 0))
    draw.text((left + pad, pad), text, fill=(255, 255, 255), font=font)
    return np.asarray(im)


def side_by_side(panels: list[np.ndarray], labels: list[str], columns: int | None = None) -> np.ndarray:
    """Labelled panels of one size in a grid (`columns` per row, default all in one row), 2-pixel white gaps."""
    n, (h, w) = len(panels), panels[0].shape[:2]
    columns = min(columns or n, n)
    rows = -(-n // columns)
    canvas = np.full((rows * h + (rows - 1) * GAP, columns * w + (columns - 1) * GAP, 3), LINE, np.uint8)
    for i, (panel, label) in enumerate(zip(panels, labels)):
        r, c = divmod(i, columns)
        y, x = r * (h + GAP), c * (w + GAP)
        canvas[y:y + h, x:x + w] = draw_label(panel, label)
    if n < rows * columns:  # empty cells of the last row are black, not white
        for c in range(n - (rows - 1) * columns, columns):
            canvas[(rows - 1) * (h + GAP):, c * (w + GAP):c * (w + GAP) + w] = 0
    return canvas


def split_screen(panels: list[np.ndarray], labels: list[str], split: float | None = None) -> np.ndarray:
    """One frame made of vertical strips, strip i taken from panel i at the same place, white lines between.

    With two panels `split` (0..1) places the line; otherwise the strips are equal.
    """
    n, w = len(panels), panels[0].shape[1]
    if split is not None and n != 2:
        raise GenvidError("--split places the line between exactly two inputs; give two, or leave --split out")
    cuts = [0, round(w * split), w] if split is not None else [round(w * i / n) for i in range(n + 1)]
    out = np.empty_like(panels[0])
    for i, panel in enumerate(panels):
        out[:, cuts[i]:cuts[i + 1]] = panel[:, cuts[i]:cuts[i + 1]]
    for x in cuts[1:-1]:
        out[:, max(0, x - 1):x + 1] = LINE  # a 2-pixel line on the cut
    for i, label in enumerate(labels):
        out = draw_label(out, label, left=cuts[i] + (1 if i else 0))
    return out


def even(frame: np.ndarray) -> np.ndarray:
    """Padded with black to even width and height (4:2:0 video needs them)."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)))

