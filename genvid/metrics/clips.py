"""Sets of clips for the synthesis metrics: validation, batching and the shared downsampling.

A set of clips is a float tensor (N, T, 3, H, W) with values in [0, 1], or an iterable of such batches
(all of one T, H and W) for sets too large to hold at once.  Every synthesis metric takes this form.
"""
from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from einops import rearrange

from ..errors import GenvidError


def check_batch(x: torch.Tensor, name: str = "clips") -> torch.Tensor:
    """`x` as float32 after checking it is (N, T, 3, H, W) with values in [0, 1]."""
    if not isinstance(x, torch.Tensor) or x.ndim != 5 or x.shape[2] != 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise GenvidError(f"{name} must be float tensors (N, T, 3, H, W) in [0, 1]; got {shape}")
    if not x.is_floating_point():
        raise GenvidError(f"{name} must be floating point in [0, 1], got {x.dtype}")
    x = x.float()
    if x.numel() and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        raise GenvidError(f"{name} must hold values in [0, 1]; got {x.min():.3g}..{x.max():.3g}")
    return x


def iter_batches(clips, name: str = "clips", batch_size: int = 32) -> Iterator[torch.Tensor]:
    """Checked batches of at most `batch_size` clips from a tensor or an iterable of tensors."""
    batches = [clips] if isinstance(clips, torch.Tensor) else clips
    shape = None
    for batch in batches:
        batch = check_batch(batch, name)
        if shape is None:
            shape = batch.shape[1:]
        elif batch.shape[1:] != shape:
            raise GenvidError(f"{name}: batches differ in (T, 3, H, W): {tuple(shape)} and {tuple(batch.shape[1:])}")
        yield from batch.split(batch_size)


def collect(clips, name: str = "clips", size: int | None = None, frames: int | None = None) -> torch.Tensor:
    """The whole set as one tensor, each batch passed through `shrink(size, frames)` first."""
    parts = [shrink(b, size, frames) for b in iter_batches(clips, name)]
    if not parts:
        raise GenvidError(f"{name}: no clips")
    return torch.cat(parts)


def shrink(x: torch.Tensor, size: int | None = None, frames: int | None = None) -> torch.Tensor:
    """Clips reduced to at most `frames` frames (evenly spaced, first and last kept) and at most `size`
    pixels on the short side (area averaging, aspect kept).  Already small enough: returned unchanged."""
    n, t, _, h, w = x.shape
    if frames is not None and t > frames:
        idx = torch.linspace(0, t - 1, frames).round().long()
        x = x[:, idx]
    if size is not None and min(h, w) > size:
        scale = size / min(h, w)
        hw = (max(1, round(h * scale)), max(1, round(w * scale)))
        y = F.interpolate(rearrange(x, "n t c h w -> (n t) c h w"), size=hw, mode="area")
        x = rearrange(y, "(n t) c h w -> n t c h w", n=n)
    return x


def luma(x: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) RGB in [0, 1] -> (..., 1, H, W) BT.601 luma in [0, 1]."""
    w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device).view(3, 1, 1)
    return (x * w).sum(-3, keepdim=True)
