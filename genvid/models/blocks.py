"""Shared building blocks for genvid networks."""
from __future__ import annotations

import torch
from torch import nn


def conv3x3(cin: int, cout: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, bias=bias)


class ResidualBlock(nn.Module):
    """conv-act-conv with an identity skip, scaled (EDSR style, no batch norm)."""

    def __init__(self, channels: int, res_scale: float = 1.0):
        super().__init__()
        self.conv1 = conv3x3(channels, channels)
        self.act = nn.LeakyReLU(0.1, inplace=True)
        self.conv2 = conv3x3(channels, channels)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.conv2(self.act(self.conv1(x)))


def clamped_window(t: int, length: int, radius: int) -> list[int]:
    """Indices of the frames t - radius .. t + radius of a clip of `length` frames, those past either end
    replaced by the end frame (as the streaming enhancer does)."""
    return [min(max(j, 0), length - 1) for j in range(t - radius, t + radius + 1)]


class SingleFrameWindow:
    """For the engine, a single-frame network (with `forward_frames`) is a sliding window of radius 0:
    `encode` keeps the frame, `decode` runs the network on it (genvid/engine/contract.py)."""

    kind = "window"
    window_radius = 0

    def encode(self, frame: torch.Tensor) -> torch.Tensor:
        return frame

    def decode(self, feats: list[torch.Tensor], centre: torch.Tensor) -> torch.Tensor:
        return self.forward_frames(centre)
