"""Constructed clip sets for the synthesis-metric tests: smooth random textures translated by whole pixels.

Also a stand-in for the I3D file (`save_standin_i3d`), for plumbing tests only.

Clip i shows a texture of its own (from `seed` and i) moving `speed` pixels per frame along x, y or a
diagonal, so its true motion is known exactly; speed 0 gives static clips.  Values lie in [0.1, 0.9].
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

DIRECTIONS = ((1, 0), (0, 1), (-1, 0), (0, -1))


def texture(gen: torch.Generator, h: int, w: int, cell: int = 4, colour: tuple = (1.0, 1.0, 1.0)) -> torch.Tensor:
    """(3, h, w): noise on a grid of `cell` pixels, bicubically smoothed, tinted by `colour`."""
    coarse = torch.rand(3, h // cell + 3, w // cell + 3, generator=gen)
    fine = F.interpolate(coarse[None], scale_factor=cell, mode="bicubic", align_corners=False)[0]
    fine = fine[:, cell:cell + h, cell:cell + w].clamp(0, 1)
    return 0.1 + 0.8 * fine * torch.tensor(colour).view(3, 1, 1)


def moving_clips(n: int, frames: int = 8, size: int = 32, speed: int = 0, seed: int = 0,
                 colour: tuple = (1.0, 1.0, 1.0)) -> torch.Tensor:
    """(n, frames, 3, size, size) clips: clip i's texture moves `speed` px/frame in DIRECTIONS[i % 4]."""
    gen = torch.Generator().manual_seed(seed)
    span = size + speed * (frames - 1)
    out = torch.empty(n, frames, 3, size, size)
    for i in range(n):
        tex = texture(gen, span, span, colour=colour)
        dx, dy = DIRECTIONS[i % 4]
        for t in range(frames):
            x0 = (t if dx > 0 else frames - 1 - t) * speed if dx else 0
            y0 = (t if dy > 0 else frames - 1 - t) * speed if dy else 0
            out[i, t] = tex[:, y0:y0 + size, x0:x0 + size]
    return out


class StandInI3D(torch.nn.Module):
    """The call signature of StyleGAN-V's I3D, forward(x, rescale, resize, return_features) -> (N, 400), with
    400 random projections of per-channel means and mean absolute frame differences.  It asserts that it is
    called as StyleGAN-V calls the real one (uint8 (N, 3, T, H, W), all three flags set).  Not I3D: nothing
    it gives is an FVD of anything."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(6, 400)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        assert x.dtype == torch.uint8 and x.shape[1] == 3, "expects uint8 (N, 3, T, H, W)"
        assert rescale and resize and return_features, "expects StyleGAN-V's flags"
        y = x.float() / 127.5 - 1
        stats = torch.cat([y.mean(dim=(2, 3, 4)), (y[:, :, 1:] - y[:, :, :-1]).abs().mean(dim=(2, 3, 4))], 1)
        return self.proj(stats)


def save_standin_i3d(path: Path, seed: int = 0) -> Path:
    """StandInI3D with weights from `seed`, saved as TorchScript at `path`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.jit.script(StandInI3D()).save(str(path))
    return path
