"""Diversity of a set of clips: how different the clips are from each other, and whether each one moves.

Clips (N, T, 3, H, W) in [0, 1] (tensors or iterables of batches) are reduced to at most `frames` frames
(evenly spaced) and `size` pixels on the short side (area averaging); sets larger than `max_clips` are
subsampled at random (seed `seed`).  Distances are per-pixel root-mean-square differences, in [0, 1]:
d(a, b) = sqrt(mean((a - b)^2)) over all frames, channels and pixels.

  * `pairwise_mean`: the mean of d over all pairs of distinct clips (0 when all clips are equal).
  * `nearest_mean`: the mean over clips of d to the nearest other clip.
  * `duplicate_fraction`: the share of clips whose nearest other clip is within `tol` (mode collapse
    shows as a fraction near 1).
  * `frame_spread`: the mean over clips of the mean d between each later frame and the clip's first
    frame (0 for still clips).
  * `static_fraction`: the share of clips whose `frame_spread` is below `tol` (still outputs).

Pixel distances see colour and layout, not meaning; compare a generated set's numbers with those of real
clips of the same size (`evaluate_synthesis` reports both).
"""
from __future__ import annotations

import torch
from einops import rearrange

from ..errors import GenvidError
from .clips import collect

SIZE = 32
FRAMES = 16
MAX_CLIPS = 512
TOL = 0.01


def diversity(clips, *, size: int = SIZE, frames: int = FRAMES, max_clips: int = MAX_CLIPS, tol: float = TOL,
              seed: int = 0, name: str = "clips") -> dict[str, float]:
    """{"pairwise_mean", "nearest_mean", "duplicate_fraction", "frame_spread", "static_fraction", "clips"}."""
    x = collect(clips, name, size, frames).double()
    if len(x) > max_clips:
        x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:max_clips]]
    n = len(x)
    if n < 2:
        raise GenvidError(f"{name}: diversity needs at least 2 clips, got {n}")
    flat = rearrange(x, "n t c h w -> n (t c h w)")
    d = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    off = ~torch.eye(n, dtype=torch.bool)
    nearest = d.masked_fill(~off, float("inf")).min(dim=1).values
    spread = ((x[:, 1:] - x[:, :1]) ** 2).mean(dim=(2, 3, 4)).sqrt().mean(dim=1) if x.shape[1] > 1 \
        else torch.zeros(n, dtype=x.dtype)
    return {"pairwise_mean": float(d[off].mean()), "nearest_mean": float(nearest.mean()),
            "duplicate_fraction": float((nearest < tol).double().mean()), "frame_spread": float(spread.mean()),
            "static_fraction": float((spread < tol).double().mean()), "clips": float(n)}
