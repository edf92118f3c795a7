"""A uniform streaming view of any model: window radius, per-frame encode, windowed decode.

Temporal genvid models expose `encode(frame)` (cacheable per-frame features) and `decode(feats, centre)`.
Models without them are run on the stacked window by their `forward` and the centre output is kept;
single-frame models have radius 0.  Models with a noise-level input (`noise_map`, the denoiser) get,
for each whole frame, `sigma` when it is given, else their own blind estimate, times `strength`; the
level is worked out once per frame, before tiling, so every tile of a frame gets the same one.
"""
from __future__ import annotations

import torch
from torch import nn

from ..errors import GenvidError


class WindowModel:
    def __init__(self, model: nn.Module, sigma: float | None = None, strength: float = 1.0):
        self.model = model
        self.radius = int(getattr(model, "window_radius", 0))
        self.receptive_radius = int(getattr(model, "receptive_radius", 16))
        # models with a very large receptive field (RRDBNet) name a smaller, inexact default tile overlap
        self.default_overlap = int(getattr(model, "default_tile_overlap", self.receptive_radius))
        self.input_multiple = int(getattr(model, "input_multiple", 1))  # tile offsets keep this alignment
        self.cached = hasattr(model, "encode") and hasattr(model, "decode")
        card = getattr(model, "card", {}) or {}
        self.scale = int(card.get("scale", getattr(model, "scale", 1)))
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
        if not self.cached:
            return frame
        return self.model.encode(frame, noise_level) if self.noise_map else self.model.encode(frame)

    def decode(self, feats: list[torch.Tensor], centre: torch.Tensor) -> torch.Tensor:
        if self.cached:
            return self.model.decode(feats, centre)
        return self.model(torch.stack(feats, dim=1))[:, len(feats) // 2]
