"""Chains of models ("denoise,sr-x4") in one decode and one encode.

Each model's streamer pulls the frames the one before it yields, as they are produced, so memory stays
a few frames per model whatever the length.  Between models frames are rounded to the source's depth
(8 bits, or 16 for deeper sources), exactly as if each model had written a lossless file for the next
to read.

Scene cuts are found once, on the decoded source, by the first model's streamer; the later ones clamp
their windows at the same frames.  Resuming at output frame S, model i produces frames from
S minus the radii of the models after it: exactly the context those need, so the resumed frames are
those the uninterrupted run makes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from ..errors import GenvidError
from ..models.registry import load_model
from .stream import Streamer
from .window import WindowModel


def model_chain(model) -> list[str]:
    """'denoise,sr-x4' or ['denoise', 'sr-x4'] -> the model names (or paths) in order; an existing file
    whose name has a comma is one model."""
    if isinstance(model, (list, tuple)):
        names = [str(m).strip() for m in model]
    else:
        model = str(model)
        names = [model] if Path(model).exists() else [m.strip() for m in model.split(",")]
    if not names or not all(names):
        raise GenvidError(f"--model '{model}' names an empty model; give names separated by commas, e.g. denoise,sr-x4")
    return names


def load_chain(names: list[str], device: torch.device, sigma: float | None, strength: float) -> list[WindowModel]:
    """The models of a chain as streaming views; `sigma` and `strength` go to those with a noise-level input."""
    models = [load_model(name, device) for name in names]
    for name, model in zip(names, models):
        if model.card.get("task") == "synthesis":
            raise GenvidError(f"model '{name}' makes videos from noise (task synthesis) and cannot enhance one; "
                              f"use `genvid synth --model {name} OUTDIR`")
    nets = [WindowModel(model, sigma=sigma, strength=strength) for model in models]
    if (sigma is not None or strength != 1.0) and not any(n.noise_map for n in nets):
        raise GenvidError(f"--sigma and --strength set the noise level of a denoiser; {', '.join(names)} "
                          "has no noise-level input (use e.g. --model denoise)")
    return nets


class ChainStreamer:
    """Streamers of the models in order; `run(frames, start)` yields the last model's frames from `start`."""

    def __init__(self, nets: list[WindowModel], device, autocast_dtype: torch.dtype | None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool = False, source_high_depth: bool = False,
                 scene_threshold: float | None = None):
        self.streamers = []
        for i, net in enumerate(nets):
            last = i == len(nets) - 1
            self.streamers.append(Streamer(net, device, autocast_dtype, tile=tile, overlap=overlap,
                                           high_bit_depth=high_bit_depth if last else source_high_depth,
                                           scene_threshold=scene_threshold if i == 0 else None,
                                           cuts_from=self.streamers[0] if i else None))

    @property
    def cuts(self) -> list[int]:
        return self.streamers[0].cuts

    def run(self, frames: Iterable[np.ndarray], start: int = 0) -> Iterator[np.ndarray]:
        radii = [s.m.radius for s in self.streamers]
        first = 0  # index of the first frame the next streamer is given
        for i, s in enumerate(self.streamers):
            begin = max(start - sum(radii[i + 1:]), 0)
            frames = s.run(frames, start=begin, first=first)
            first = begin
        return frames
