"""Blind noise-level estimation: the robust median estimator of Donoho and Johnstone on Haar wavelets.

The finest diagonal Haar band of a frame, HH = (a - b - c + d) / 2 over each 2x2 block, is orthonormal,
so white noise of std sigma gives HH coefficients of std sigma, while a natural image puts little energy
there (only diagonal edges and fine texture).  The median of |HH| over a channel, divided by 0.6745 (the
median of |N(0, 1)|), is then an estimate of sigma that the few large, image-made coefficients barely
move.  It needs no training and works for any noise, which is what a blind denoiser wants: the network
is trained with this estimate as its noise-level input (and with the true sigma part of the time), so
at inference it sees the same kind of number.

Each RGB channel is estimated apart and the three estimates averaged: colour noise and grey noise (the
same in all three channels) of std sigma both give sigma, as the protocol's sigma means.  Levels are in
8-bit units (0-255).  Known limits: texture at the finest scale biases the estimate up a little (about
1-3 levels on clean natural frames), clipping at black and white biases it down, and noise that a codec
has smoothed (compressed noisy video) reads low; the network learns the mapping from this number to how
much to remove rather than trusting it as exact.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange

MAD_TO_SIGMA = 1.0 / 0.6745  # median |N(0, 1)| = 0.6745
NOISE_UNIT = 50.0  # a denoiser's noise-level map holds sigma / NOISE_UNIT: about 0..1 over the trained range


def diagonal_band(x: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H//2, W//2): the orthonormal Haar HH coefficients (an odd last row or column dropped)."""
    x = x[..., : x.shape[-2] // 2 * 2, : x.shape[-1] // 2 * 2]
    a, b, c, d = rearrange(x, "n c (h i) (w j) -> (i j) n c h w", i=2, j=2)
    return (a - b - c + d) / 2


@torch.no_grad()
def estimate_noise_level(frames: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) frames in [0, 1] -> (N,) noise std per frame in 8-bit units; frames under 2x2 give 0."""
    if frames.shape[-1] < 2 or frames.shape[-2] < 2:
        return torch.zeros(frames.shape[0], device=frames.device)
    hh = diagonal_band(frames.float() * 255.0)
    mad = hh.abs().flatten(2).median(dim=-1).values  # (N, C)
    return (mad * MAD_TO_SIGMA).mean(dim=1)


def pad_to_even(frame: torch.Tensor) -> torch.Tensor:
    """(..., H, W) -> (..., H + H % 2, W + W % 2): an odd last row or column replicated."""
    h, w = frame.shape[-2:]
    return F.pad(frame, (0, w % 2, 0, h % 2), mode="replicate")


def unshuffled_input(frame: torch.Tensor, noise_map: bool, noise_level=None) -> torch.Tensor:
    """(N, 3, H, W) -> (N, 12, ceil(H/2), ceil(W/2)): pixel-unshuffled by 2 (an odd last row or column
    replicated), plus the noise-level map channel (sigma / NOISE_UNIT) when `noise_map`.  `noise_level`: a
    number or (N,) tensor in 8-bit units; None estimates it from `frame` itself (give it explicitly when
    `frame` is a tile, so that every tile gets its whole frame's)."""
    x = F.pixel_unshuffle(pad_to_even(frame), 2)
    if not noise_map:
        return x
    if noise_level is None:
        noise_level = estimate_noise_level(frame)
    level = torch.as_tensor(noise_level, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
    return torch.cat([x, (level / NOISE_UNIT).expand(x.shape[0], 1, *x.shape[-2:])], dim=1)


def clip_levels(noise_level, clip: torch.Tensor) -> torch.Tensor | None:
    """A clip's noise level (None, a number, a (B,) tensor: one per clip, or (B, T): one per frame) for
    `clip` (B, T, C, H, W) -> None or (B*T,), one per frame in (b t) order."""
    if noise_level is None:
        return None
    b, t = clip.shape[:2]
    level = torch.as_tensor(noise_level, dtype=clip.dtype, device=clip.device)
    level = level[:, None] if level.dim() == 1 else level  # one per clip -> one per frame
    return level.expand(b, t).reshape(-1)
