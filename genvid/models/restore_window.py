"""Sliding-window video restoration at scale 1: the `denoise` and `restore` designs.

The sr-x4 design (`sr_window.py`: a per-frame encoder whose features are cached, one fusion convolution
over a window of 2r+1 frames, residual blocks) carried to scale 1, with two changes for cost and one
input for control:

- Half resolution inside.  Each frame is pixel-unshuffled by 2 (a lossless, reversible rearrangement of
  every 2x2 block into 12 channels, as FFDNet does) and all convolutions run on the H/2 x W/2 grid, then
  the output is shuffled back.  Every 3x3 convolution then costs a quarter of a full-resolution one and
  widens the receptive field by 2 full-resolution pixels instead of 1; a denoiser or deblocker needs that
  reach (H.264's transform blocks are up to 16 pixels) more than it needs per-pixel capacity.
- Identity base.  The network predicts a correction added to the centre frame, from a last convolution
  initialised to zero, so an untrained network passes the input through and training (and the EMA of
  its weights) starts from the input's quality rather than from random noise added to it.
- An optional noise-level map (`noise_map=True`, the denoiser): a constant channel of sigma / 50 (sigma
  in 8-bit units) joins each frame's 12 channels before the encoder, as FFDNet's and FastDVDnet's map
  does.  It is the frame's own blind estimate (`noise_level.estimate_noise_level`) unless a level is
  given, which is how `--sigma` sets it and `--strength` scales it.  Because it enters the per-frame
  encoder, cached features stay valid: each frame is encoded once with its own level.

Why not FastDVDnet's two-stage U-Net: its first stage denoises three overlapping triplets and its second
fuses them, so every output frame runs three first-stage U-Nets at full resolution; with cached per-frame
features, one fusion over 5 frames costs about the same as one of them, which is what a single CPU
thread can afford at training and at inference.  Motion is handled implicitly, as in FastDVDnet (no flow
network): the fusion and the blocks after it see +-2 full-resolution pixels per convolution.

    frames t-r..t+r --unshuffle 2 (+ noise map) --encode (2D, per frame, cached)--> features
        --fuse (3x3 conv over the concatenated window)--> body (residual blocks, H/2)
        --conv to 12 channels, shuffle 2--> correction added to frame t

Odd frame sizes are padded by one replicated row or column and cropped back; `input_multiple = 2` keeps
tiles on the unshuffle grid, so tiled output equals untiled output.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .blocks import ResidualBlock, clamped_window, conv3x3
from .noise_level import NOISE_UNIT, clip_levels, estimate_noise_level, unshuffled_input  # noqa: F401 (NOISE_UNIT re-exported)
from .pretrained import PretrainedModel


class SlidingWindowRestore(PretrainedModel):
    """Scale-1 restoration over a window of ``2 * radius + 1`` frames.

    forward((B, T, C, H, W) in [0, 1], noise_level=None) -> (B, T, C, H, W).  `noise_level` (models with
    `noise_map`): None for the blind estimate of each frame, or the std in 8-bit units as a number, a
    (B,) tensor (one per clip) or a (B, T) tensor (one per frame).  Frames beyond either end of the clip
    are replaced by the nearest end frame, exactly as the streaming enhancer does.
    """

    kind = "window"  # the engine's contract (genvid/engine/contract.py)

    def __init__(self, channels: int = 32, blocks: int = 4, radius: int = 2, encoder_blocks: int = 1,
                 noise_map: bool = False):
        super().__init__()
        self.channels, self.scale, self.noise_map = channels, 1, noise_map
        self.window_radius = radius  # output t uses frames t - radius .. t + radius
        self.input_multiple = 2  # tiles start on the pixel-unshuffle grid
        self.encoder = nn.Sequential(conv3x3(12 + int(noise_map), channels), nn.LeakyReLU(0.1, inplace=True),
                                     *[ResidualBlock(channels) for _ in range(encoder_blocks)])
        self.fuse = nn.Sequential(conv3x3(channels * (2 * radius + 1), channels), nn.LeakyReLU(0.1, inplace=True))
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.tail = conv3x3(channels, 12)
        nn.init.zeros_(self.tail.weight)  # the correction starts at 0: an untrained network is the identity,
        nn.init.zeros_(self.tail.bias)  # so training (and its weight average) starts from the input's quality
        # each 3x3 conv on the half-resolution grid reaches 2 full-resolution pixels further; the 2x2
        # cell of the unshuffle adds at most 1
        self.receptive_radius = 1 + 2 * sum(1 for m in self.modules() if isinstance(m, nn.Conv2d))

    def estimate_noise_level(self, frame: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N,) blind noise std in 8-bit units (see noise_level.py)."""
        return estimate_noise_level(frame)

    def encode(self, frame: torch.Tensor, noise_level=None) -> torch.Tensor:
        """(N, 3, H, W) -> (N, C, ceil(H/2), ceil(W/2)) per-frame features, cacheable across windows.

        `noise_level` (noise-map models): a number or (N,) tensor in 8-bit units; None estimates it from
        `frame` itself (give it explicitly when `frame` is a tile, so that every tile gets the frame's)."""
        if self.noise_map and noise_level is None:
            noise_level = self.estimate_noise_level(frame)
        x = unshuffled_input(frame, self.noise_map, noise_level)
        return self.encoder(x)

    def decode(self, feats: list[torch.Tensor], center: torch.Tensor) -> torch.Tensor:
        """Features of the 2r+1 window frames and the centre frame -> the restored centre frame."""
        x = self.fuse(torch.cat(feats, dim=1))
        x = self.body(x) + x
        correction = F.pixel_shuffle(self.tail(x), 2)[..., : center.shape[-2], : center.shape[-1]]
        return center + correction

    def forward(self, x: torch.Tensor, noise_level=None) -> torch.Tensor:
        b, t = x.shape[:2]
        frames = rearrange(x, "b t c h w -> (b t) c h w")
        if self.noise_map:
            noise_level = clip_levels(noise_level, x)
        feats = rearrange(self.encode(frames, noise_level), "(b t) c h w -> b t c h w", b=b)
        out = []
        for i in range(t):
            out.append(self.decode([feats[:, j] for j in clamped_window(i, t, self.window_radius)], x[:, i]))
        return torch.stack(out, dim=1)
