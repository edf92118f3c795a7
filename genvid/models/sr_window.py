"""Sliding-window spatio-temporal x4 super-resolution generator (the `sr-x4` design).

Why this design: on a CPU a recurrent network with learned alignment must run its flow estimator and
warping on every frame and cannot start a frame before the previous one has finished.  A short
sliding window keeps every frame independent given its neighbours, so frames can be batched, tiled
and resumed anywhere, while a per-frame encoder whose features are cached means each input frame is
encoded once however many windows it belongs to.  The (2+1)D split puts the spatial work in 2D
convolutions per frame and the temporal work in one fusion convolution across the window.

    frames t-r..t+r --encode (2D, per frame, cached)--> features
        --fuse (3x3 conv over the concatenated window)--> body (residual blocks, LR)
        --conv, pixel shuffle x scale--> residual added to bilinear upsampling of frame t
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .blocks import ResidualBlock, clamped_window, conv3x3
from .pretrained import PretrainedModel


class SlidingWindowSR(PretrainedModel):
    """Video SR over a window of ``2 * radius + 1`` frames.

    forward: (B, T, C, H, W) in [0, 1] -> (B, T, C, scale*H, scale*W). Frames beyond either end of
    the clip are replaced by the nearest end frame, exactly as the streaming enhancer does.
    """

    kind = "window"  # the engine's contract (genvid/engine/contract.py)
    input_multiple = 1

    def __init__(self, channels: int = 32, blocks: int = 6, radius: int = 1, scale: int = 4,
                 encoder_blocks: int = 1):
        super().__init__()
        self.channels, self.scale = channels, scale
        self.window_radius = radius  # output t uses frames t - radius .. t + radius
        self.encoder = nn.Sequential(conv3x3(3, channels), nn.LeakyReLU(0.1, inplace=True),
                                     *[ResidualBlock(channels) for _ in range(encoder_blocks)])
        self.fuse = nn.Sequential(conv3x3(channels * (2 * radius + 1), channels),
                                  nn.LeakyReLU(0.1, inplace=True))
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.upsample = nn.Sequential(conv3x3(channels, 3 * scale * scale), nn.PixelShuffle(scale))
        # each 3x3 conv widens the receptive field by one LR pixel on each side, bilinear by one more
        self.receptive_radius = 1 + sum(1 for m in self.modules() if isinstance(m, nn.Conv2d))

    def encode(self, frame: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, C, H, W) per-frame features, cacheable across windows."""
        return self.encoder(frame)

    def decode(self, feats: list[torch.Tensor], center: torch.Tensor) -> torch.Tensor:
        """Features of the 2r+1 window frames and the centre LR frame -> the centre HR frame."""
        x = self.fuse(torch.cat(feats, dim=1))
        x = self.body(x) + x
        base = F.interpolate(center, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return base + self.upsample(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        feats = rearrange(self.encode(rearrange(x, "b t c h w -> (b t) c h w")),
                          "(b t) c h w -> b t c h w", b=b)
        out = []
        for i in range(t):
            out.append(self.decode([feats[:, j] for j in clamped_window(i, t, self.window_radius)], x[:, i]))
        return torch.stack(out, dim=1)
