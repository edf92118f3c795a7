"""BasicVSR (Chan et al., CVPR 2021): bidirectional recurrent x4 video super-resolution, in the tensor layout
of its official checkpoint, so `genvid models convert` carries its weights over unchanged.

    flows:    backward_i = SpyNet(x_i, x_i+1),  forward_i = SpyNet(x_i, x_i-1)      (pixels, x first)
    backward: b_T = 0;  b_i = trunk_b(cat[x_i, warp(b_i+1, backward_i)])          from the clip's end
    forward:  f_0 = 0;  f_i = trunk_f(cat[x_i, warp(f_i-1, forward_i)])           from the clip's start
    output:   y_i = bilinear_x4(x_i) + conv_last(lrelu(conv_hr(up2(up1(lrelu(fusion(cat[b_i, f_i])))))))

Each trunk is a 3x3 convolution from 3 + F to F channels, LeakyReLU(0.1), then `num_block` residual blocks
(conv, ReLU, conv, identity skip; no normalisation); `up` is a 3x3 convolution to 4F channels (256 for
the second, as the checkpoint has it), pixel shuffle x2 and LeakyReLU(0.1); conv_hr maps 64 to 64
channels at the output size and conv_last to RGB.  Features are warped with zeros outside the frame.

Because the backward pass starts at the clip's last frame, the whole clip is needed at once, and memory
grows with its length: the engine runs it over chunks with context (`genvid/engine/chunked.py`).
Weights: SpyNet's original release (Ranjan and Black) is for non-commercial research; BasicVSR's
weights are Apache-2.0 as BasicSR distributes them (`../shared/weights/basicvsr`, see `LICENCE_NOTE`).
"""
from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ..errors import GenvidError
from .pretrained import PretrainedModel
from .spynet import SpyNet, flow_warp

LICENCE_NOTE = ("BasicVSR weights: Apache-2.0, as BasicSR (XPixelGroup) distributes them. They include a SpyNet "
                "optical-flow network (spynet.*) fine-tuned from Ranjan and Black's release, which is for "
                "non-commercial research use only: check those terms before any other use.")


class PlainResidualBlock(nn.Module):
    """conv3x3, ReLU, conv3x3, plus the input (BasicSR's ResidualBlockNoBN at scale 1)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class PropagationTrunk(nn.Module):
    """cat[frame, warped feature] (3 + F channels) -> F channels: conv, LeakyReLU, residual blocks."""

    def __init__(self, num_feat: int, num_block: int):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(3 + num_feat, num_feat, 3, padding=1), nn.LeakyReLU(0.1, inplace=True),
                                  nn.Sequential(*[PlainResidualBlock(num_feat) for _ in range(num_block)]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class BasicVSR(PretrainedModel):
    """forward: (B, T, 3, H, W) in [0, 1] -> (B, T, 3, 4H, 4W), the clip as one scene."""

    kind = "bidirectional"  # the engine's contract (genvid/engine/contract.py)
    scale = 4
    input_multiple = 1

    def __init__(self, num_feat: int = 64, num_block: int = 30):
        super().__init__()
        self.num_feat = num_feat
        self.spynet = SpyNet()
        self.backward_trunk = PropagationTrunk(num_feat, num_block)
        self.forward_trunk = PropagationTrunk(num_feat, num_block)
        self.fusion = nn.Conv2d(2 * num_feat, num_feat, 1)
        self.upconv1 = nn.Conv2d(num_feat, 4 * num_feat, 3, padding=1)
        self.upconv2 = nn.Conv2d(num_feat, 4 * 64, 3, padding=1)
        self.conv_hr = nn.Conv2d(64, 64, 3, padding=1)
        self.conv_last = nn.Conv2d(64, 3, 3, padding=1)
        # within one frame: each trunk's convolutions, the upsampler's (at LR pixels) and the bilinear
        # base; propagation carries information further, along the flow (tiling is not exact)
        self.receptive_radius = 1 + 2 * num_block + 1 + 1 + 1 + 1

    def flows(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 3, H, W) -> backward flows (i to i+1) and forward flows (i+1 to i), (B, T-1, 2, H, W) each."""
        b, t = x.shape[:2]
        if t < 2:
            empty = x.new_zeros(b, 0, 2, *x.shape[-2:])
            return empty, empty
        a = rearrange(x[:, :-1], "b t c h w -> (b t) c h w")
        z = rearrange(x[:, 1:], "b t c h w -> (b t) c h w")
        backward = rearrange(self.spynet(a, z), "(b t) c h w -> b t c h w", b=b)
        forward = rearrange(self.spynet(z, a), "(b t) c h w -> b t c h w", b=b)
        return backward, forward

    def upsample(self, x: torch.Tensor, back: torch.Tensor, fwd: torch.Tensor) -> torch.Tensor:
        """One frame (B, 3, H, W) and its two propagated features -> (B, 3, 4H, 4W)."""
        y = F.leaky_relu(self.fusion(torch.cat([back, fwd], dim=1)), 0.1)
        y = F.leaky_relu(F.pixel_shuffle(self.upconv1(y), 2), 0.1)
        y = F.leaky_relu(F.pixel_shuffle(self.upconv2(y), 2), 0.1)
        y = self.conv_last(F.leaky_relu(self.conv_hr(y), 0.1))
        return y + F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _, h, w = x.shape
        flows_backward, flows_forward = self.flows(x)
        feat = x.new_zeros(b, self.num_feat, h, w)
        backward = [None] * t
        for i in reversed(range(t)):
            if i < t - 1:
                feat = flow_warp(feat, flows_backward[:, i])
            feat = self.backward_trunk(torch.cat([x[:, i], feat], dim=1))
            backward[i] = feat
        feat = x.new_zeros(b, self.num_feat, h, w)
        out = []
        for i in range(t):
            if i > 0:
                feat = flow_warp(feat, flows_forward[:, i - 1])
            feat = self.forward_trunk(torch.cat([x[:, i], feat], dim=1))
            out.append(self.upsample(x[:, i], backward[i], feat))
            backward[i] = None  # no longer needed: frees it as the pass goes
        return torch.stack(out, dim=1)


def basicvsr_args_from_state(state: dict[str, torch.Tensor]) -> dict:
    """num_feat and num_block read off a BasicVSR checkpoint's tensor shapes."""
    need = ("backward_trunk.main.0.weight", "forward_trunk.main.0.weight", "fusion.weight", "upconv1.weight",
            "conv_last.weight", "spynet.basic_module.0.basic_module.0.weight")
    missing = [k for k in need if k not in state]
    if missing:
        raise GenvidError(f"not a BasicVSR checkpoint: no {', '.join(missing)}")
    feat, inputs = state["backward_trunk.main.0.weight"].shape[:2]
    if inputs != feat + 3:
        raise GenvidError(f"BasicVSR trunk takes {inputs} channels; expected 3 + {feat} (frame and feature)")
    pattern = re.compile(r"backward_trunk\.main\.2\.(\d+)\.conv1\.weight")
    blocks = {int(m.group(1)) for k in state if (m := pattern.fullmatch(k))}
    if blocks != set(range(len(blocks))):
        raise GenvidError("BasicVSR residual blocks are not numbered 0, 1, 2, ...")
    return {"num_feat": int(feat), "num_block": len(blocks)}
