"""The sliding-window kind's adapter: declared radius and sizes, per-frame encode, windowed decode, noise level.

The model declares what the engine needs (`contract.py`); nothing is guessed.  Models with a noise-level
input (`noise_map`, the denoiser) get their level from `noise.NoiseLevel`, once per whole frame.
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import GenvidError
from .contract import check_model, default_overlap
from .noise import NoiseLevel


class WindowModel:
    def __init__(self, model: nn.Module, sigma: float | None = None, strength: float = 1.0, name: str | None = None,
                 noise: NoiseLevel | None = None):
        if check_model(model, name) != "window":
            raise GenvidError(f"model {name or type(model).__name__} is of kind {model.kind}, not a sliding window")
        self.model = model
        self.radius = model.window_radius
        self.scale, self.input_multiple = model.scale, model.input_multiple
        self.receptive_radius = model.receptive_radius
        # models with a very large receptive field (RRDBNet) name a smaller, inexact default tile overlap
        self.default_tile_overlap = default_overlap(model)
        self.noise = noise or NoiseLevel(model, sigma, strength)  # a chain builds it for every model once
        self.noise_map = self.noise.noise_map

    def noise_level(self, frame: torch.Tensor) -> torch.Tensor | None:
        """(N,) noise level in 8-bit units for whole frames (N, 3, H, W); None for models without a noise map."""
        return self.noise(frame)

    def encode(self, frame: torch.Tensor, noise_level: torch.Tensor | None = None) -> torch.Tensor:
        return self.noise.encode(frame, noise_level)

    def decode(self, feats: list[torch.Tensor], centre: torch.Tensor) -> torch.Tensor:
        return self.model.decode(feats, centre)
