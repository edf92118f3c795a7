"""Motion statistics of sets of clips, and how far generated motion is from real motion.

Per clip, two numbers:
  * `frame_diff`: the mean absolute difference between consecutive frames (RGB in [0, 1], averaged over
    pixels, channels and frame pairs); 0 for a still clip.
  * `flow`: the mean optical-flow magnitude in pixels per frame, at the clips' own size, averaged over
    the interior pixels (a border of `FLOW_BORDER` of the short side is left out, where content enters
    or leaves) and over frame pairs.
Each set is summarised by the mean, standard deviation and the 5/25/50/75/95 % quantiles of each number
over its clips, and a generated set is compared with a real one by the 1-D Wasserstein-1 distance between
the two sets of per-clip values (the area between their empirical distribution functions; 0 for equal
sets, in the value's own unit).  Clips are (N, T, 3, H, W) in [0, 1], tensors or iterables of batches.

The flow is a dense pyramidal Lucas-Kanade estimate written here in torch (OpenCV, which tOF uses, is
optional in genvid): on BT.601 luma, coarse to fine over a pyramid of halvings down to about 16 pixels,
`FLOW_ITERS` warped Gauss-Newton steps per level, each solving the 2x2 normal equations of the
brightness-constancy residual summed over a Gaussian window (sigma `FLOW_WINDOW`), with a small
Tikhonov term so flat regions get no motion rather than noise.  It is accurate to a fraction of a pixel
on textured content moving a few pixels per frame; it is a statistic of motion, not a flow benchmark.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange
from kornia.filters import gaussian_blur2d, spatial_gradient

from ..errors import GenvidError
from ..models.flow import warp
from .clips import iter_batches, luma

FLOW_ITERS = 4
FLOW_WINDOW = 2.0
FLOW_MIN_SIDE = 16
FLOW_BORDER = 1 / 8
TIKHONOV = 1e-4
QUANTILES = (5, 25, 50, 75, 95)
KEYS = ("frame_diff", "flow")


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    k = 2 * round(2.5 * sigma) + 1
    return gaussian_blur2d(x, (k, k), (sigma, sigma), border_type="replicate")


def _lk_step(a: torch.Tensor, b: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """One Gauss-Newton update of `flow` so that b warped by it matches a (both (M, 1, H, W))."""
    bw = warp(b, flow)
    g = spatial_gradient((a + bw) / 2, mode="diff", order=1)  # (M, 1, 2, H, W): d/dx, d/dy
    gx, gy = g[:, :, 0], g[:, :, 1]
    r = a - bw
    sxx, sxy, syy = (_blur(v, FLOW_WINDOW) + TIKHONOV * (i != 1) for i, v in enumerate((gx * gx, gx * gy, gy * gy)))
    bx, by = _blur(gx * r, FLOW_WINDOW), _blur(gy * r, FLOW_WINDOW)
    det = sxx * syy - sxy * sxy
    du = (syy * bx - sxy * by) / det
    dv = (sxx * by - sxy * bx) / det
    return flow + torch.cat([du, dv], dim=1)


@torch.no_grad()
def lucas_kanade(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Dense flow (M, 2, H, W) in pixels, x first, from grey frames a to b (M, 1, H, W) in [0, 1]: the
    content at (x, y) of a is at (x, y) + flow in b."""
    pyramid = [(a, b)]
    while min(pyramid[-1][0].shape[-2:]) >= 2 * FLOW_MIN_SIDE:
        pa, pb = pyramid[-1]
        pyramid.append((F.avg_pool2d(pa, 2), F.avg_pool2d(pb, 2)))
    flow = torch.zeros(a.shape[0], 2, *pyramid[-1][0].shape[-2:], dtype=a.dtype, device=a.device)
    for level, (pa, pb) in enumerate(reversed(pyramid)):
        if level:
            h, w = pa.shape[-2:]
            sy, sx = h / flow.shape[-2], w / flow.shape[-1]
            flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
            flow = flow * torch.tensor([sx, sy], dtype=flow.dtype, device=flow.device).view(1, 2, 1, 1)
        for _ in range(FLOW_ITERS):
            flow = _lk_step(pa, pb, flow)
    return flow


def clip_motion(x: torch.Tensor) -> dict[str, np.ndarray]:
    """{"frame_diff": (N,), "flow": (N,)} of a batch of clips (N, T, 3, H, W) in [0, 1], T >= 2."""
    n, t, _, h, w = x.shape
    if t < 2:
        raise GenvidError(f"motion statistics need clips of at least 2 frames, got {t}")
    diff = (x[:, 1:] - x[:, :-1]).abs().mean(dim=(1, 2, 3, 4))
    grey = luma(x)
    a = rearrange(grey[:, :-1], "n t c h w -> (n t) c h w")
    b = rearrange(grey[:, 1:], "n t c h w -> (n t) c h w")
    mag = lucas_kanade(a, b).norm(dim=1)
    m = max(1, round(min(h, w) * FLOW_BORDER))
    mag = mag[:, m:h - m, m:w - m] if min(h, w) > 2 * m + 2 else mag
    flow = rearrange(mag.mean(dim=(1, 2)), "(n t) -> n t", n=n).mean(dim=1)
    return {"frame_diff": diff.double().numpy(), "flow": flow.double().numpy()}


def motion_values(clips, name: str = "clips", batch_size: int = 16) -> dict[str, np.ndarray]:
    """Per-clip `frame_diff` and `flow` of a whole set (a tensor or an iterable of batches), and "size":
    the (H, W) the flow was measured at."""
    parts, size = [], None
    for b in iter_batches(clips, name, batch_size):
        parts.append(clip_motion(b))
        size = tuple(b.shape[-2:])
    if not parts:
        raise GenvidError(f"{name}: no clips")
    return {**{k: np.concatenate([p[k] for p in parts]) for k in KEYS}, "size": size}


def summarise(values: np.ndarray) -> dict[str, float]:
    """mean, std and the QUANTILES (as "p5", "p25", ...) of 1-D values."""
    v = np.asarray(values, dtype=np.float64)
    out = {"mean": float(v.mean()), "std": float(v.std())}
    out.update({f"p{q}": float(x) for q, x in zip(QUANTILES, np.percentile(v, QUANTILES))})
    return out


def wasserstein1(a, b) -> float:
    """W1 between the empirical distributions of 1-D samples a and b: the integral of |F_a - F_b|."""
    a, b = np.sort(np.asarray(a, np.float64)), np.sort(np.asarray(b, np.float64))
    grid = np.concatenate([a, b])
    grid.sort()
    fa = np.searchsorted(a, grid[:-1], side="right") / len(a)
    fb = np.searchsorted(b, grid[:-1], side="right") / len(b)
    return float(np.sum(np.abs(fa - fb) * np.diff(grid)))


def compare_motion(gen: dict[str, np.ndarray], real: dict[str, np.ndarray]) -> dict:
    """{"generated": {key: summary}, "real": {key: summary}, "w1": {key: distance}} from per-clip values."""
    return {"generated": {k: summarise(gen[k]) for k in KEYS}, "real": {k: summarise(real[k]) for k in KEYS},
            "w1": {k: wasserstein1(gen[k], real[k]) for k in KEYS}}


def motion_stats(generated, real, batch_size: int = 16) -> dict:
    """Motion summaries of both sets and their W1 distances (see the module docstring); frame sizes must match,
    since flow is measured in pixels."""
    g = motion_values(generated, "generated clips", batch_size)
    r = motion_values(real, "real clips", batch_size)
    check_same_size(g, r)
    return compare_motion(g, r)


def check_same_size(gen: dict, real: dict) -> None:
    if gen["size"] != real["size"]:
        (gh, gw), (rh, rw) = gen["size"], real["size"]
        raise GenvidError(f"generated clips are {gw}x{gh} but real clips {rw}x{rh}; flow is measured in pixels, "
                          "so compare clips of one size")
