"""Pixel losses."""
from __future__ import annotations

import torch


def charbonnier(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """mean(sqrt((pred - target)^2 + eps^2)), a differentiable L1."""
    return torch.sqrt((pred.float() - target.float()) ** 2 + eps * eps).mean()
