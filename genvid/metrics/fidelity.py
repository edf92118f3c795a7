"""PSNR and SSIM on Y (BT.601) and RGB, as the SR literature computes them.

Frames are (H, W, 3) uint8 or uint16 arrays (or torch tensors of the same layout).  Y is
16 + (65.481 R + 128.553 G + 24.966 B) / 255 with R, G, B in 0..255, kept as float; SSIM uses an
11x11 Gaussian window with sigma 1.5 over valid pixels (kornia), constants for a 255 peak.
"""
from __future__ import annotations

import numpy as np
import torch
from kornia.metrics import ssim as kornia_ssim

Y_WEIGHTS = (65.481, 128.553, 24.966)


def to_float255(frame) -> torch.Tensor:
    """(H, W, 3) integer frame -> (3, H, W) float64 in [0, 255]."""
    t = torch.tensor(np.asarray(frame))  # a copy: frames from Pillow are read-only
    peak = 65535.0 if t.dtype == torch.uint16 or (t.dtype == torch.int32 and t.max() > 255) else 255.0
    return t.permute(2, 0, 1).double() * (255.0 / peak)


def rgb_to_y(rgb255: torch.Tensor) -> torch.Tensor:
    """(3, H, W) in [0, 255] -> (1, H, W) BT.601 luma in [16, 235]."""
    w = torch.tensor(Y_WEIGHTS, dtype=rgb255.dtype).view(3, 1, 1)
    return 16.0 + (rgb255 * w).sum(0, keepdim=True) / 255.0


def crop_border(x: torch.Tensor, crop: int) -> torch.Tensor:
    return x[..., crop:x.shape[-2] - crop, crop:x.shape[-1] - crop] if crop else x


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = torch.mean((a - b) ** 2).item()
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    return kornia_ssim(a[None], b[None], window_size=11, max_val=255.0, padding="valid").mean().item()


def frame_scores(pred, ref, crop: int = 0) -> dict[str, float]:
    """psnr_y, ssim_y, psnr_rgb, ssim_rgb of one frame against its reference."""
    p, r = to_float255(pred), to_float255(ref)
    if p.shape != r.shape:
        raise ValueError(f"frame sizes differ: {tuple(p.shape[1:])} against {tuple(r.shape[1:])}")
    p, r = crop_border(p, crop), crop_border(r, crop)
    py, ry = rgb_to_y(p), rgb_to_y(r)
    return {"psnr_y": psnr(py, ry), "ssim_y": ssim(py, ry), "psnr_rgb": psnr(p, r), "ssim_rgb": ssim(p, r)}


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each score over the rows that have it."""
    keys = dict.fromkeys(k for r in rows for k in r)
    return {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
