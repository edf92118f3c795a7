"""The noise level a denoiser's noise-map input gets, worked out once per whole frame, before tiling.

Models with a noise-level input (`noise_map = True`: the window and recurrent denoisers) get, for each
whole frame, `sigma` when it is given, else their own blind estimate (`model.estimate_noise_level`), times
`strength`; every tile of a frame then gets the same level.
"""
from __future__ import annotations

import torch

from ..errors import GenvidError


class NoiseLevel:
    def __init__(self, model, sigma: float | None = None, strength: float = 1.0):
        if sigma is not None and not sigma >= 0:
            raise GenvidError(f"--sigma must be a noise std of 0 or more (8-bit units), got {sigma}")
        if not strength > 0:
            raise GenvidError(f"--strength must be more than 0, got {strength}")
        self.model, self.sigma, self.strength = model, sigma, float(strength)
        self.noise_map = bool(getattr(model, "noise_map", False))

    def __call__(self, frame: torch.Tensor) -> torch.Tensor | None:
        """(N,) noise level in 8-bit units for whole frames (N, 3, H, W); None for models without a noise map."""
        if not self.noise_map:
            return None
        if self.sigma is None:
            level = self.model.estimate_noise_level(frame.float())
        else:
            level = torch.full((frame.shape[0],), float(self.sigma), device=frame.device)
        return level * self.strength

    def encode(self, frame: torch.Tensor, level: torch.Tensor | None) -> torch.Tensor:
        """The model's per-frame encoding of `frame` (a whole frame or a tile) at its whole frame's level."""
        return self.model.encode(frame, level) if self.noise_map else self.model.encode(frame)
