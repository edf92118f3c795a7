"""Training clips for video synthesis: procedural moving shapes, and windows of real clips.

`ShapesDataset` draws clips in code, without end and deterministically per (seed, index): one textured
shape (square, circle or triangle; stripes or checker) moves in a straight line bouncing off the borders,
spins and changes colour over a background gradient.  Sample i is (clip (T, 3, S, S) in [0, 1], label),
the label being the shape kind (0 square, 1 circle, 2 triangle).  About 8 ms per 16-frame 64x64 clip on
one thread of the 2-core development CPU (mean of 200 clips, with other trainings running).

`SynthClipDataset` takes real clips (video files, frame folders, folders of frame folders, as
`clips.find_clips`), shrinks each once at load so that its short side is `size`, and returns random
`frames`-frame windows (clips that are too short are extended by playing them back, 1 2 3 2 1) cropped
to size x size, flipped left-right at random, as uint8 (the trainer makes them float on its device); label -1
(no classes).  Each process keeps its own copy of the shrunk clips (small: 64 pixels on the short side).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from ..errors import GenvidError
from .clips import find_clips, load_clip, to_tensor

SHAPE_KINDS = ("square", "circle", "triangle")


def _bounce(start: np.ndarray, velocity: np.ndarray, t: np.ndarray, low: float, high: float) -> np.ndarray:
    """Positions start + velocity * t folded into [low, high] (a ball bouncing off two walls)."""
    span = high - low
    x = np.mod(start[None] - low + velocity[None] * t[:, None], 2 * span)
    return low + np.where(x > span, 2 * span - x, x)


def _hsv_to_rgb(h: np.ndarray, s: float, v: float) -> np.ndarray:
    k = np.mod(np.array([5.0, 3.0, 1.0]) + h[..., None] * 6, 6)
    return v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)


class ShapesDataset(Dataset):
    def __init__(self, frames: int = 16, size: int = 64, seed: int = 0):
        self.frames, self.size, self.seed = frames, size, seed
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
        self.grid = np.stack([xx, yy])  # (2, S, S)

    def __len__(self) -> int:
        return 2**62  # drawn by index forever, see clips.StepSampler

    def __getitem__(self, index: int):
        clip, kind, _ = self.render(index)
        return clip, kind

    def render(self, index: int):
        """(clip (T, 3, S, S) float32 tensor in [0, 1], kind, shape coverage (T, S, S) in [0, 1] as numpy)."""
        rng = np.random.default_rng([self.seed, index])
        s, t = self.size, np.arange(self.frames, dtype=np.float32)
        kind = int(rng.integers(len(SHAPE_KINDS)))
        radius = s * rng.uniform(0.14, 0.24)
        centre = _bounce(rng.uniform(radius, s - radius, 2), rng.uniform(-0.06, 0.06, 2) * s, t,
                         radius, s - radius)  # (T, 2)
        angle = rng.uniform(0, 2 * math.pi) + rng.choice([-1, 1]) * rng.uniform(0.05, 0.25) * t
        hue = rng.uniform() + rng.uniform(-0.02, 0.02) * t
        colour = _hsv_to_rgb(hue, 0.8, 0.95)  # (T, 3)

        # shape-local coordinates (rotating with the shape) for every frame
        d = self.grid[None] - centre[:, :, None, None]  # (T, 2, S, S)
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        u, v = cos * d[:, 0] + sin * d[:, 1], -sin * d[:, 0] + cos * d[:, 1]
        if kind == 0:
            dist = np.maximum(np.abs(u), np.abs(v)) - radius * 0.8
        elif kind == 1:
            dist = np.sqrt(u * u + v * v) - radius
        else:  # equilateral: three half-planes at 0.65 r from the centre
            normals = [(math.cos(a), math.sin(a)) for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
            dist = np.max([nx * u + ny * v for nx, ny in normals], axis=0) - radius * 0.65
        mask = np.clip(0.5 - dist, 0, 1)[:, None]  # one pixel of anti-aliased edge

        period = radius * rng.uniform(0.4, 0.8)
        if rng.random() < 0.5:
            texture = np.sin(2 * math.pi * u / period) > 0
        else:
            texture = (np.sin(2 * math.pi * u / period) > 0) ^ (np.sin(2 * math.pi * v / period) > 0)
        shade = (0.55 + 0.45 * texture)[:, None]
        fg = colour[:, :, None, None] * shade

        a, b = rng.uniform(0.05, 0.5, 3), rng.uniform(0.05, 0.5, 3)
        ramp = self.grid[1] / s
        bg = a[:, None, None] * (1 - ramp) + b[:, None, None] * ramp  # (3, S, S), fixed over the clip
        clip = mask * fg + (1 - mask) * bg[None]
        return torch.from_numpy(clip.astype(np.float32)), kind, mask[:, 0]


class SynthClipDataset(Dataset):
    def __init__(self, sources: list[str], frames: int = 16, size: int = 64, seed: int = 0, max_frames: int = 300):
        self.frames, self.size, self.seed = frames, size, seed
        self.clips = []
        for source in sources:
            for path in find_clips(source):
                clip = to_tensor(load_clip(path, max_frames))  # (T, 3, H, W) in [0, 1]
                h, w = clip.shape[-2:]
                scale = size / min(h, w)
                if scale < 1:
                    clip = F.interpolate(clip, size=(max(size, round(h * scale)), max(size, round(w * scale))),
                                         mode="bilinear", antialias=True, align_corners=False)
                elif min(h, w) < size:
                    raise GenvidError(f"clip {path} is {w}x{h}, smaller than the training size {size}; "
                                      "remove it or lower synthesis.resolution")
                self.clips.append((clip.clamp(0, 1) * 255).round().to(torch.uint8))
        if not self.clips:
            raise GenvidError(f"no clips in {', '.join(sources)}; set data.train in the recipe")

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.seed, index])
        clip = self.clips[int(rng.integers(len(self.clips)))]
        n = len(clip)
        order = list(range(n)) + list(range(n - 2, 0, -1)) if n > 1 else [0]
        while len(order) < self.frames:
            order += order
        limit = len(order) if n < self.frames else n
        start = int(rng.integers(0, limit - self.frames + 1))
        h, w = clip.shape[-2:]
        y, x = int(rng.integers(0, h - self.size + 1)), int(rng.integers(0, w - self.size + 1))
        window = clip[order[start:start + self.frames], :, y:y + self.size, x:x + self.size]
        if rng.random() < 0.5:
            window = window.flip(-1)
        return window.contiguous(), -1
