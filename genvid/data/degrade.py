"""Degradations that turn high-resolution clips into training inputs.

Each degradation maps a list of HR frames ((H, W, 3) uint8) to LR frames with the same parameters for
every frame of a clip, deterministically for a given numpy Generator.  Bicubic is the "BI" protocol of
`../shared/README.md`; richer real-world chains plug in through `build_degradation`.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from ..errors import GenvidError


def bicubic_downscale(frame: np.ndarray, scale: int) -> np.ndarray:
    """PIL's antialiased bicubic, the protocol's downscaler; H and W must be multiples of scale."""
    h, w = frame.shape[:2]
    return np.asarray(Image.fromarray(frame).resize((w // scale, h // scale), Image.BICUBIC))


class Bicubic:
    def __init__(self, scale: int):
        self.scale = scale

    def __call__(self, clip: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
        return [bicubic_downscale(f, self.scale) for f in clip]


DEGRADATIONS = {"bicubic": Bicubic}


def build_degradation(spec: dict, scale: int):
    kind = spec.get("kind", "bicubic")
    if kind not in DEGRADATIONS:
        raise GenvidError(f"unknown degradation '{kind}'; known: {', '.join(DEGRADATIONS)}")
    return DEGRADATIONS[kind](scale=scale, **{k: v for k, v in spec.items() if k != "kind"})
