"""Critics of the video synthesis GAN: one on single frames, one on sparse frame sets with their time gaps.

`ImageDiscriminator` judges one frame (appearance).  `VideoDiscriminator` (StyleGAN-V style) judges k
frames of a clip, stacked along channels and seen by a 2D network, together with the time differences
between them (Fourier features of the gaps, projected onto the pooled features): it learns which changes
are plausible over which time span, while costing about as much as k frames of an image critic, so the
generator only has to render those k frames.  Both take inputs in [-1, 1] and return one logit per
sample; with `num_classes` > 0 they are projection discriminators (logit + <embed(y), features>).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .synthesis import fourier_time


def _downsampling_trunk(cin: int, channels: int, resolution: int, max_channels: int) -> tuple[nn.Sequential, int]:
    """Strided 3x3 convolutions from `resolution` down to 4x4, widths doubling up to `max_channels`."""
    layers, width = [nn.Conv2d(cin, channels, 3, padding=1), nn.LeakyReLU(0.2)], channels
    for _ in range(int(math.log2(resolution // 4))):
        nxt = min(max_channels, width * 2)
        layers += [nn.Conv2d(width, nxt, 3, 2, 1), nn.LeakyReLU(0.2)]
        width = nxt
    return nn.Sequential(*layers), width


class _ProjectionHead(nn.Module):
    def __init__(self, width: int, num_classes: int):
        super().__init__()
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(width * 16, width), nn.LeakyReLU(0.2))
        self.out = nn.Linear(width, 1)
        self.embed = nn.Embedding(num_classes, width) if num_classes else None

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None, extra: torch.Tensor | None = None):
        h = self.fc(h)
        if extra is not None:
            h = h + extra
        logit = self.out(h)[:, 0]
        if self.embed is not None:
            if labels is None:
                raise ValueError("this critic is class-conditional: give labels")
            logit = logit + (self.embed(labels) * h).sum(1)
        return logit


class ImageDiscriminator(nn.Module):
    """(N, 3, H, W) in [-1, 1] (+ labels (N,)) -> (N,) logits."""

    def __init__(self, channels: int = 32, resolution: int = 64, num_classes: int = 0, max_channels: int = 256):
        super().__init__()
        self.trunk, width = _downsampling_trunk(3, channels, resolution, max_channels)
        self.head = _ProjectionHead(width, num_classes)

    def forward(self, frames: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.trunk(frames), labels)


class VideoDiscriminator(nn.Module):
    """k frames of each clip (B, k, 3, H, W) in [-1, 1] and their times (B, k) in frames -> (B,) logits."""

    def __init__(self, frames: int = 3, channels: int = 32, resolution: int = 64, num_classes: int = 0,
                 max_channels: int = 256, fourier: int = 8):
        super().__init__()
        self.frames, self.fourier = frames, fourier
        self.trunk, width = _downsampling_trunk(3 * frames, channels, resolution, max_channels)
        self.time_proj = nn.Linear((frames - 1) * 2 * fourier, width)
        self.head = _ProjectionHead(width, num_classes)

    def forward(self, clips: torch.Tensor, times: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if clips.shape[1] != self.frames:
            raise ValueError(f"this critic judges {self.frames} frames per clip, got {clips.shape[1]}")
        gaps = times[:, 1:] - times[:, :-1]
        extra = self.time_proj(rearrange(fourier_time(gaps, self.fourier), "b k f -> b (k f)"))
        return self.head(self.trunk(rearrange(clips, "b k c h w -> b (k c) h w")), labels, F.leaky_relu(extra, 0.2))


class SynthCritics(nn.Module):
    """Both critics as one module (one `accelerator.prepare`, one DDP wrapper): forward(frames, clips, times,
    labels) -> {"image": logits of the single frames (B,), "video": logits of the frame sets (B,)}."""

    def __init__(self, image: ImageDiscriminator, video: VideoDiscriminator):
        super().__init__()
        self.image, self.video = image, video

    def forward(self, frames, clips, times, labels=None) -> dict[str, torch.Tensor]:
        return {"image": self.image(frames, labels), "video": self.video(clips, times, labels)}
