"""Discriminators for GAN training: a spatio-temporal one for clips and a per-frame U-Net for texture.

Both return ``(logits, features)``: patch (or pixel) logits, and the activations of every stage, which
the feature-matching loss compares between real and generated inputs.  Every convolution carries
spectral normalisation (optional for the spatio-temporal one), which keeps the discriminators
1-Lipschitz per layer and the adversarial game stable without batch statistics.

SpatioTemporalDiscriminator (TecoGAN's idea of judging motion, in our own (2+1)D form): a window of
consecutive HR frames, each concatenated with its upsampled LR input as the condition, so the critic
asks "is this a plausible *and consistent* upscaling of these inputs over time?".  Each stage is a
spatial 1x4x4 stride-2 convolution followed by a temporal 3x1x1 convolution, so time is mixed at
every scale while the cost stays close to a 2D network's.

UNetDiscriminator (Real-ESRGAN's kind, our own layout): per-frame, an encoder of stride-2 stages and
a decoder with skip connections that gives one logit per pixel, so texture is judged locally while
the decoder still sees global context.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def _sn(module: nn.Module, enabled: bool = True) -> nn.Module:
    return spectral_norm(module) if enabled else module


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=True)


class SpatioTemporalDiscriminator(nn.Module):
    """Judges a window of frames conditioned on their LR inputs.

    forward(hr (B, T, 3, H, W), lr_up (B, T, 3, H, W)) -> logits (B, 1, T, H/2^s, W/2^s), features.
    T is the window length (3 by default; any T >= 1 works, the temporal convolutions pad by one).
    """

    def __init__(self, channels: int = 32, stages: int = 4, spectral: bool = True, condition: bool = True):
        super().__init__()
        self.condition = condition
        cin = 6 if condition else 3
        self.stem = nn.Sequential(_sn(nn.Conv3d(cin, channels, (1, 3, 3), padding=(0, 1, 1)), spectral), _act())
        widths = [channels * min(2 ** i, 4) for i in range(stages + 1)]
        self.stages = nn.ModuleList(
            nn.Sequential(
                _sn(nn.Conv3d(widths[i], widths[i + 1], (1, 4, 4), stride=(1, 2, 2), padding=(0, 1, 1)), spectral),
                _act(),
                _sn(nn.Conv3d(widths[i + 1], widths[i + 1], (3, 1, 1), padding=(1, 0, 0)), spectral),
                _act())
            for i in range(stages))
        self.head = nn.Conv3d(widths[-1], 1, (1, 3, 3), padding=(0, 1, 1))
        self.downscale = 2 ** stages

    def forward(self, hr: torch.Tensor, lr_up: torch.Tensor | None = None):
        x = torch.cat([hr, lr_up], dim=2) if self.condition else hr
        x = self.stem(rearrange(x, "b t c h w -> b c t h w"))
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return self.head(x), feats


class UNetDiscriminator(nn.Module):
    """Per-frame U-Net critic with spectral norm: (N, 3, H, W) -> logits (N, 1, H, W), features.

    H and W must be multiples of 2^depth (8 by default)."""

    def __init__(self, channels: int = 32, depth: int = 3, spectral: bool = True):
        super().__init__()
        widths = [channels * 2 ** i for i in range(depth + 1)]
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), _act())
        self.down = nn.ModuleList(
            nn.Sequential(_sn(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1, bias=False), spectral),
                          _act())
            for i in range(depth))
        self.up = nn.ModuleList(
            nn.Sequential(_sn(nn.Conv2d(widths[i + 1], widths[i], 3, padding=1, bias=False), spectral), _act())
            for i in reversed(range(depth)))
        self.tail = nn.Sequential(
            _sn(nn.Conv2d(channels, channels, 3, padding=1, bias=False), spectral), _act(),
            nn.Conv2d(channels, 1, 3, padding=1))
        self.multiple = 2 ** depth

    def forward(self, x: torch.Tensor):
        skips, feats = [], []
        x = self.stem(x)
        for stage in self.down:
            skips.append(x)
            x = stage(x)
            feats.append(x)
        for stage in self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = stage(x) + skips.pop()
            feats.append(x)
        return self.tail(x), feats


def clip_windows(clip: torch.Tensor, frames: int) -> torch.Tensor:
    """(B, T, C, H, W) -> (B * (T - frames + 1), frames, C, H, W): every window of consecutive frames."""
    if clip.shape[1] < frames:
        raise ValueError(f"a clip of {clip.shape[1]} frames has no window of {frames}")
    return rearrange(clip.unfold(1, frames, 1), "b n c h w k -> (b n) k c h w")


class CriticSet(nn.Module):
    """A recipe's discriminators behind one forward, so training wraps (and syncs) them as one module.

    critics: {kind: module} (see genvid/train/critics.py).  forward(hr (B, T, 3, H, W), lr_up (B, T, 3, H, W))
    -> {kind: (logits, features)}; the spatio-temporal critic sees every window of `window` consecutive
    frames, the U-Net every frame.
    """

    def __init__(self, critics: dict[str, nn.Module], window: int = 3):
        super().__init__()
        self.critics = nn.ModuleDict(critics)
        self.window = window

    def forward(self, hr: torch.Tensor, lr_up: torch.Tensor) -> dict:
        out = {}
        for kind, critic in self.critics.items():
            if isinstance(critic, SpatioTemporalDiscriminator):
                out[kind] = critic(clip_windows(hr, self.window), clip_windows(lr_up, self.window))
            else:
                out[kind] = critic(rearrange(hr, "b t c h w -> (b t) c h w"))
        return out
