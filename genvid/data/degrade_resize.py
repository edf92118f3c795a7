"""Resizing stages of a degradation: by a random factor, and to the exact low-resolution size.

Interpolation is torch's: bicubic and bilinear antialiased when shrinking (so a downscale low-passes
like a camera or a scaler would), `area` as it is (an average over the footprint when shrinking, nearest
neighbour when enlarging).  The size a random factor applies to is the clip's HR size (`relative_to: hr`,
the first stage of a chain) or its LR size (`relative_to: lr`, later stages, so that the final resize to
LR stays a modest change).
"""
from __future__ import annotations

from typing import ClassVar, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import GenvidError
from .degrade_options import (
    happens,
    pick,
    read_options,
    read_prob,
    read_range,
    read_weights,
    uniform,
)

MODES = ("bicubic", "bilinear", "area")


class Sizes(NamedTuple):
    """(H, W) of the clip as it came in and of the LR frames a degradation must return."""
    hr: tuple[int, int]
    lr: tuple[int, int]


def resize(x: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    """(T, C, H, W) float to (T, C, *size)."""
    size = (int(size[0]), int(size[1]))
    if tuple(x.shape[-2:]) == size:
        return x
    if mode == "area":
        return F.interpolate(x, size=size, mode="area")
    shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=shrink)


class RandomResize:
    """Options: prob; up, down: chances of enlarging and shrinking (the rest keeps the reference size);
    range: [smallest, largest] factor (shrink factors are drawn in [low, 1], enlarge in [1, high]);
    modes: interpolation choices; relative_to: hr or lr."""

    TYPE = "resize"
    DEFAULTS: ClassVar[dict] = {"prob": 1.0, "up": 0.2, "down": 0.7, "range": [0.15, 1.5], "modes": list(MODES),
                                "relative_to": "hr"}

    def __init__(self, spec: dict | None = None, where: str = "resize"):
        o = read_options(spec, self.DEFAULTS, where)
        self.prob = read_prob(o["prob"], f"{where}.prob")
        self.up, self.down = read_prob(o["up"], f"{where}.up"), read_prob(o["down"], f"{where}.down")
        if self.up + self.down > 1:
            raise GenvidError(f"degradation options '{where}.up' + '{where}.down' must not exceed 1")
        self.range = read_range(o["range"], f"{where}.range", 0.05, 8)
        if not self.range[0] <= 1 <= self.range[1]:
            raise GenvidError(f"degradation option '{where}.range' must contain 1, got {o['range']!r}")
        self.modes = read_weights(o["modes"], f"{where}.modes", MODES)
        if o["relative_to"] not in ("hr", "lr"):
            raise GenvidError(f"degradation option '{where}.relative_to' must be hr or lr, got {o['relative_to']!r}")
        self.relative_to = o["relative_to"]

    def sample(self, rng: np.random.Generator) -> dict | None:
        if not happens(rng, self.prob):
            return None
        way = rng.random()
        if way < self.up:
            factor = uniform(rng, (1.0, self.range[1]))
        elif way < self.up + self.down:
            factor = uniform(rng, (self.range[0], 1.0))
        else:
            factor = 1.0
        return {"factor": factor, "mode": pick(rng, self.modes)}

    def apply(self, x: torch.Tensor, p: dict, sizes: Sizes) -> torch.Tensor:
        ref = sizes.hr if self.relative_to == "hr" else sizes.lr
        return resize(x, tuple(max(2, round(s * p["factor"])) for s in ref), p["mode"])


class ResizeToLR:
    """To exactly the LR size.  Options: modes (interpolation choices)."""

    TYPE = "lr_resize"
    DEFAULTS: ClassVar[dict] = {"modes": list(MODES)}

    def __init__(self, spec: dict | None = None, where: str = "lr_resize"):
        self.modes = read_weights(read_options(spec, self.DEFAULTS, where)["modes"], f"{where}.modes", MODES)

    def sample(self, rng: np.random.Generator) -> dict:
        return {"mode": pick(rng, self.modes)}

    def apply(self, x: torch.Tensor, p: dict, sizes: Sizes) -> torch.Tensor:
        return resize(x, sizes.lr, p["mode"])
