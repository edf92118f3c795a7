"""Real-ESRGAN's compact single-frame network (SRVGGNetCompact), so community checkpoints run here.

A plain stack of 3x3 convolutions with PReLU at low resolution, a last convolution to 3 * scale^2
channels, pixel shuffle, plus the nearest-neighbour upsampled input.  Parameter names follow the
published checkpoints (`body.<i>.weight`), so their state dicts load unchanged (spandrel recognises them:
models/spandrel_models.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .blocks import SingleFrameWindow
from .pretrained import PretrainedModel


class SRVGGNetCompact(SingleFrameWindow, PretrainedModel):
    """forward: (B, T, 3, H, W) -> (B, T, 3, sH, sW), frame by frame."""

    input_multiple = 1

    def __init__(self, num_feat: int = 64, num_conv: int = 16, scale: int = 4):
        super().__init__()
        self.scale, self.window_radius = scale, 0
        layers: list[nn.Module] = [nn.Conv2d(3, num_feat, 3, padding=1), nn.PReLU(num_feat)]
        for _ in range(num_conv):
            layers += [nn.Conv2d(num_feat, num_feat, 3, padding=1), nn.PReLU(num_feat)]
        layers.append(nn.Conv2d(num_feat, 3 * scale * scale, 3, padding=1))
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(scale)
        self.receptive_radius = num_conv + 2

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.body(x)) + F.interpolate(x, scale_factor=self.scale, mode="nearest")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        y = self.forward_frames(rearrange(x, "b t c h w -> (b t) c h w"))
        return rearrange(y, "(b t) c h w -> b t c h w", b=b)

