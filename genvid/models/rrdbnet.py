"""ESRGAN's generator (RRDBNet), in the layout of Real-ESRGAN's published checkpoints, so they load unchanged.

    input --(x2: pixel-unshuffle by 2, x1: by 4)--> conv_first --> body: num_block RRDBs --> conv_body
          (+ skip from conv_first) --> [nearest x2, conv_upK, LeakyReLU] x 2 --> conv_hr, LeakyReLU --> conv_last

An RRDB is three residual dense blocks in a row whose sum is scaled by 0.2 and added to its input; a
dense block's five 3x3 convolutions each see the block input concatenated with every earlier
convolution's output (num_grow_ch channels each), and the fifth, back to num_feat channels, is scaled
by 0.2 and added to the block input.  LeakyReLU slope 0.2 throughout.  x2 and x1 models unshuffle the
input into 4 or 16 times the channels so the trunk always runs at a quarter of the output resolution.

Parameter names follow the checkpoints (`conv_first`, `body.<i>.rdb<k>.conv<n>`, `conv_body`, `conv_up1`,
`conv_up2`, `conv_hr`, `conv_last`); spandrel recognises such checkpoints and their shape arguments
(models/spandrel_models.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ..errors import GenvidError
from .blocks import SingleFrameWindow
from .pretrained import PretrainedModel

UNSHUFFLE = {1: 4, 2: 2, 4: 1, 8: 1}  # input pixel-unshuffle factor by scale
DEFAULT_TILE_OVERLAP = 32  # input pixels; exact tiling would need the (large) receptive radius


class DenseBlock(nn.Module):
    """Five 3x3 convolutions with dense connections; the result, scaled by 0.2, is added to the input."""

    def __init__(self, num_feat: int, num_grow_ch: int):
        super().__init__()
        for n in range(1, 5):
            setattr(self, f"conv{n}", nn.Conv2d(num_feat + (n - 1) * num_grow_ch, num_grow_ch, 3, padding=1))
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for n in range(1, 5):
            feats.append(F.leaky_relu(getattr(self, f"conv{n}")(torch.cat(feats, dim=1)), 0.2))
        return x + 0.2 * self.conv5(torch.cat(feats, dim=1))


class RRDB(nn.Module):
    """Residual in residual: three dense blocks, their output scaled by 0.2 and added to the input."""

    def __init__(self, num_feat: int, num_grow_ch: int):
        super().__init__()
        self.rdb1 = DenseBlock(num_feat, num_grow_ch)
        self.rdb2 = DenseBlock(num_feat, num_grow_ch)
        self.rdb3 = DenseBlock(num_feat, num_grow_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


def rrdb_receptive_radius(scale: int, num_block: int) -> int:
    """Input pixels on each side of an output pixel's own input pixel that can change it (worst phase).

    Intervals of input indices are walked back from each output pixel of one period through the layers:
    a 3x3 convolution widens by 1 at its resolution, nearest upsampling halves (floor), the unshuffle
    widens a trunk pixel to its u input pixels.
    """
    u, ups = UNSHUFFLE[scale], 3 if scale == 8 else 2
    convs_trunk = 1 + 15 * num_block + 1  # conv_first, 3 x 5 per RRDB, conv_body
    worst = 0
    for j in range(scale * u * 2 ** ups):  # one period of output phases
        lo = hi = j
        lo, hi = lo - 2, hi + 2  # conv_last, conv_hr at the output resolution
        for _ in range(ups):  # conv_upK after each nearest x2, last one first
            lo, hi = lo - 1, hi + 1
            lo, hi = lo // 2, hi // 2
        lo, hi = lo - convs_trunk, hi + convs_trunk
        lo, hi = lo * u, hi * u + u - 1  # trunk pixel -> its input pixels
        i = j // scale
        worst = max(worst, i - lo, hi - i)
    return worst


class RRDBNet(SingleFrameWindow, PretrainedModel):
    """forward: (B, T, 3, H, W) in [0, 1] -> (B, T, 3, sH, sW), frame by frame (no temporal context)."""

    def __init__(self, num_feat: int = 64, num_block: int = 23, num_grow_ch: int = 32, scale: int = 4):
        super().__init__()
        if scale not in UNSHUFFLE:
            raise GenvidError(f"RRDBNet scale must be one of {sorted(UNSHUFFLE)}, got {scale}")
        self.scale, self.window_radius = scale, 0
        self.unshuffle = UNSHUFFLE[scale]
        self.input_multiple = self.unshuffle  # tiles aligned to this keep the unshuffle phase of the whole frame
        self.receptive_radius = rrdb_receptive_radius(scale, num_block)
        self.default_tile_overlap = DEFAULT_TILE_OVERLAP
        self.conv_first = nn.Conv2d(3 * self.unshuffle ** 2, num_feat, 3, padding=1)
        self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, padding=1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, padding=1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, padding=1)
        if scale == 8:
            self.conv_up3 = nn.Conv2d(num_feat, num_feat, 3, padding=1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, padding=1)
        self.conv_last = nn.Conv2d(num_feat, 3, 3, padding=1)

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 3, sH, sW).  Sizes not divisible by the unshuffle factor are reflect-padded."""
        h, w = x.shape[-2:]
        u = self.unshuffle
        pad_h, pad_w = -h % u, -w % u
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect" if min(h, w) > max(pad_h, pad_w) else "replicate")
        if u > 1:
            x = rearrange(x, "n c (h u1) (w u2) -> n (c u1 u2) h w", u1=u, u2=u)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        ups = [self.conv_up1, self.conv_up2] + ([self.conv_up3] if self.scale == 8 else [])
        for conv in ups:
            feat = F.leaky_relu(conv(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        out = self.conv_last(F.leaky_relu(self.conv_hr(feat), 0.2))
        return out[..., :h * self.scale, :w * self.scale]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        y = self.forward_frames(rearrange(x, "b t c h w -> (b t) c h w"))
        return rearrange(y, "(b t) c h w -> b t c h w", b=b)

