"""A small optical-flow estimator trained jointly with a GAN (no pretrained flow weights exist here),
and backward warping.

FlowEstimator predicts, from LR frames t and t-1, where each pixel of frame t was in frame t-1, at LR
resolution over a two-level encoder/decoder, then upsamples the field to HR (values scaled with it).
Its head starts at zero, so an untrained estimator warps by the identity and the warp-consistency
loss starts as a plain temporal-difference match.  It is trained by the photometric loss on real HR
frames (`genvid.losses.temporal.photometric_loss`) and used, detached, by the generator's loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from kornia.geometry.transform import remap
from kornia.geometry import create_meshgrid
from torch import nn


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward warp: out[y, x] = image[y + flow_y, x + flow_x]; image (N, C, H, W), flow (N, 2, H, W)
    in pixels (x first); borders replicate."""
    h, w = image.shape[-2:]
    grid = create_meshgrid(h, w, normalized_coordinates=False, device=image.device, dtype=flow.dtype)
    map_x = grid[..., 0] + flow[:, 0]
    map_y = grid[..., 1] + flow[:, 1]
    return remap(image, map_x, map_y, mode="bilinear", padding_mode="border", align_corners=True)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.LeakyReLU(0.1, inplace=True))


class FlowEstimator(nn.Module):
    """forward(lr (B, T, 3, h, w), scale) -> flows from each frame t >= 1 to frame t-1:
    (B, T-1, 2, scale*h, scale*w) in HR pixels.  `pair(cur, prev, scale)` does one pair of frames."""

    def __init__(self, channels: int = 32):
        super().__init__()
        c = channels
        self.enc0 = nn.Sequential(_block(6, c), _block(c, c))
        self.enc1 = nn.Sequential(_block(c, 2 * c, 2), _block(2 * c, 2 * c))
        self.enc2 = nn.Sequential(_block(2 * c, 2 * c, 2), _block(2 * c, 2 * c), _block(2 * c, 2 * c))
        self.dec1 = _block(4 * c, c)
        self.dec0 = _block(2 * c, c)
        self.head = nn.Conv2d(c, 2, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def pair(self, cur: torch.Tensor, prev: torch.Tensor, scale: int = 1) -> torch.Tensor:
        x0 = self.enc0(torch.cat([cur, prev], dim=1))
        x1 = self.enc1(x0)
        x2 = self.enc2(x1)
        up = F.interpolate(x2, size=x1.shape[-2:], mode="bilinear", align_corners=False)
        y = self.dec1(torch.cat([up, x1], dim=1))
        y = F.interpolate(y, size=x0.shape[-2:], mode="bilinear", align_corners=False)
        flow = self.head(self.dec0(torch.cat([y, x0], dim=1)))
        if scale != 1:
            flow = F.interpolate(flow, scale_factor=scale, mode="bilinear", align_corners=False) * scale
        return flow

    def forward(self, lr: torch.Tensor, scale: int = 1) -> torch.Tensor:
        b = lr.shape[0]
        cur, prev = lr[:, 1:].flatten(0, 1), lr[:, :-1].flatten(0, 1)
        return self.pair(cur, prev, scale).unflatten(0, (b, -1))
