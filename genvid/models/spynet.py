"""SpyNet optical flow (Ranjan and Black, 2017) in the tensor layout BasicSR and BasicVSR use, and warping.

A coarse-to-fine flow estimator: both frames are normalised with ImageNet statistics and reduced 5 times
by 2x2 average pooling; at each of the 6 levels, from the coarsest, a small network of five 7x7
convolutions sees the reference frame, the other frame warped by the flow so far (upsampled x2) and that
flow, and adds a correction.  Frames are resized to a multiple of 32 first and the flow back after.

No weights are downloaded: BasicVSR's official checkpoint (`../shared/weights/basicvsr`) holds a
pretrained SpyNet under `spynet.*`, which `load_spynet_weights` reads (`torch.load(weights_only=True)`).
SpyNet's original release is for non-commercial research: a model card that uses these weights says so.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GenvidError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LEVELS = 6


def flow_warp(x: torch.Tensor, flow: torch.Tensor, padding: str = "zeros") -> torch.Tensor:
    """Backward warp: out[y, x] = x[y + flow_y, x + flow_x], bilinear; x (N, C, H, W), flow (N, 2, H, W)
    in pixels, x first.  `padding` is grid_sample's padding mode for samples outside the frame."""
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=x.device, dtype=flow.dtype),
                            torch.arange(w, device=x.device, dtype=flow.dtype), indexing="ij")
    gx = 2.0 * (xs + flow[:, 0]) / max(w - 1, 1) - 1.0
    gy = 2.0 * (ys + flow[:, 1]) / max(h - 1, 1) - 1.0
    grid = torch.stack([gx, gy], dim=-1)
    return F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode=padding, align_corners=True)


class _Level(nn.Module):
    """One pyramid level's network: (reference 3, warped other 3, flow 2) -> flow correction 2."""

    def __init__(self):
        super().__init__()
        widths = [8, 32, 64, 32, 16, 2]
        layers: list[nn.Module] = []
        for i, (cin, cout) in enumerate(zip(widths, widths[1:])):
            layers.append(nn.Conv2d(cin, cout, 7, padding=3))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        self.basic_module = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.basic_module(x)


class SpyNet(nn.Module):
    """forward(ref, other) (N, 3, H, W) in [0, 1] -> flow (N, 2, H, W) in pixels such that
    `flow_warp(other, flow)` aligns `other` to `ref`."""

    def __init__(self):
        super().__init__()
        self.basic_module = nn.ModuleList([_Level() for _ in range(LEVELS)])
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def _pyramid_flow(self, ref: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        refs, others = [(ref - self.mean) / self.std], [(other - self.mean) / self.std]
        for _ in range(LEVELS - 1):
            refs.insert(0, F.avg_pool2d(refs[0], 2, 2, count_include_pad=False))
            others.insert(0, F.avg_pool2d(others[0], 2, 2, count_include_pad=False))
        flow = None
        for level, (r, o) in enumerate(zip(refs, others)):
            if flow is None:  # the coarsest level starts from no motion
                up = r.new_zeros(r.shape[0], 2, *r.shape[-2:])
            else:
                up = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=True) * 2.0
            if up.shape[-2:] != r.shape[-2:]:  # odd sizes: replicate the last row / column
                up = F.pad(up, (0, r.shape[-1] - up.shape[-1], 0, r.shape[-2] - up.shape[-2]), mode="replicate")
            warped = flow_warp(o, up, padding="border")
            flow = up + self.basic_module[level](torch.cat([r, warped, up], dim=1))
        return flow

    def forward(self, ref: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        h, w = ref.shape[-2:]
        h32, w32 = math.ceil(h / 32) * 32, math.ceil(w / 32) * 32
        if (h32, w32) != (h, w):
            ref = F.interpolate(ref, size=(h32, w32), mode="bilinear", align_corners=False)
            other = F.interpolate(other, size=(h32, w32), mode="bilinear", align_corners=False)
        flow = self._pyramid_flow(ref, other)
        if (h32, w32) != (h, w):
            flow = F.interpolate(flow, size=(h, w), mode="bilinear", align_corners=False)
            flow = torch.stack([flow[:, 0] * (w / w32), flow[:, 1] * (h / h32)], dim=1)
        return flow


def spynet_state(state: dict, prefix: str = "spynet.") -> dict:
    """The SpyNet tensors of a checkpoint's state dict, with `prefix` taken off their names."""
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def load_spynet_weights(net: SpyNet, path: str | Path) -> SpyNet:
    """Fill `net` from a checkpoint holding SpyNet under `spynet.*` (BasicVSR's, key `params`) or a bare one."""
    path = Path(path)
    if not path.is_file():
        raise GenvidError(f"SpyNet weights not found: {path}; give BasicVSR's checkpoint "
                          "(../shared/weights/basicvsr/BasicVSR_Vimeo90K_BIx4.pth) or a SpyNet state dict")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # junk, or a pickle that holds code (never run): torch's own advice would be unsafe
        raise GenvidError(f"cannot read SpyNet weights {path}: not a checkpoint of plain tensors "
                          "(torch.load with weights_only=True refused it); give BasicVSR's .pth") from None
    state = state.get("params", state)
    sub = spynet_state(state) or state
    missing, unexpected = net.load_state_dict(sub, strict=False)
    if missing or unexpected:
        raise GenvidError(f"{path} is not a SpyNet checkpoint: missing {', '.join(missing[:3]) or 'none'}, "
                          f"unexpected {', '.join(unexpected[:3]) or 'none'}")
    return net
