"""A uniform streaming view of any model: window radius, per-frame encode, windowed decode.

Temporal genvid models expose `encode(frame)` (cacheable per-frame features) and `decode(feats, centre)`.
Models without them are run on the stacked window by their `forward` and the centre output is kept;
single-frame models have radius 0.
"""
from __future__ import annotations

import torch
from torch import nn


class WindowModel:
    def __init__(self, model: nn.Module):
        self.model = model
        self.radius = int(getattr(model, "window_radius", 0))
        self.receptive_radius = int(getattr(model, "receptive_radius", 16))
        # models with a very large receptive field (RRDBNet) name a smaller, inexact default tile overlap
        self.default_overlap = int(getattr(model, "default_tile_overlap", self.receptive_radius))
        self.input_multiple = int(getattr(model, "input_multiple", 1))  # tile offsets keep this alignment
        self.cached = hasattr(model, "encode") and hasattr(model, "decode")
        card = getattr(model, "card", {}) or {}
        self.scale = int(card.get("scale", getattr(model, "scale", 1)))

    def encode(self, frame: torch.Tensor) -> torch.Tensor:
        return self.model.encode(frame) if self.cached else frame

    def decode(self, feats: list[torch.Tensor], centre: torch.Tensor) -> torch.Tensor:
        if self.cached:
            return self.model.decode(feats, centre)
        return self.model(torch.stack(feats, dim=1))[:, len(feats) // 2]
