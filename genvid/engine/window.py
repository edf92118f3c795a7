"""The sliding-window kind's adapter: declared radius and sizes, per-frame encode, windowed decode, noise level.

The model declares what the engine needs (`contract.py`); nothing is guessed.  Models with a noise-level
input (`noise_map`, the denoiser) get, for each whole frame, `sigma` when it is given, else their own blind
estimate, times `strength`; the level is worked out once per frame, before tiling, so every tile of a
frame gets the same one.
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import GenvidError
from .contract import check_model, default_overlap


class WindowModel:
    def __init__(self, model: nn.Module, sigma: float | None = None, strength: float = 1.0, name: str | None = None):
        if check_model(model, name) != "window":
            raise GenvidError(f"model {name or type(model).__name__} is of kind {model.kind}, not a sliding window")
        self.model = model
        self.radius = model.window_radius
        self.scale, self.input_multiple = model.scale, model.input_multiple
        self.receptive_radius = model.receptive_radius
        # models with a very large receptive field (RRDBNet) name a smaller, inexact default tile overlap
        self.default_tile_overlap = default_overlap(model)
        self.noise_map = bool(getattr(model, "noise_map", False))
        if sigma is not None and not sigma >= 0:
            raise GenvidError(f"--sigma must be a noise std of 0 or more (8-bit units), got {sigma}")
        if not strength > 0:
            raise GenvidError(f"--strength must be more than 0, got {strength}")
        self.sigma, self.strength = sigma, float(strength)

    def noise_level(self, frame: torch.Tensor) -> torch.Tensor | None:
        """(N,) noise level in 8-bit units for whole frames (N, 3, H, W); None for models without a noise map."""
        if not self.noise_map:
            return None
        if self.sigma is None:
            level = self.model.estimate_noise_level(frame.float())
        else:
            level = torch.full((frame.shape[0],), float(self.sigma), device=frame.device)
        return level * self.strength

    def encode(self, frame: torch.Tensor, noise_level: torch.Tensor | None = None) -> torch.Tensor:
        return self.model.encode(frame, noise_level) if self.noise_map else self.model.encode(frame)

    def decode(self, feats: list[torch.Tensor], centre: torch.Tensor) -> torch.Tensor:
        return self.model.decode(feats, centre)
