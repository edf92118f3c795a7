"""Temporal losses for video generators: ping-pong symmetry and flow-warped consistency.

- ping-pong (TecoGAN's idea): the generator run on a clip and on the same clip played backwards must
  give the same frame at each time; drift that accumulates in one direction cannot satisfy both.
- warp consistency: the change between consecutive generated frames, after motion compensation with a
  flow estimated from the inputs, must equal the same change between consecutive ground-truth frames:
  | (G_t - warp(G_{t-1})) - (Y_t - warp(Y_{t-1})) |.  Comparing residuals, not frames, means
  occlusions and lighting changes that the ground truth has are not penalised; only flicker is.
- photometric loss: trains the flow estimator (jointly, no pretrained flow) to warp real frame t-1
  onto frame t, with an edge-free smoothness term.
"""
from __future__ import annotations

import torch

from ..models.flow import warp
from .pixel import charbonnier


def pingpong_loss(forward_out: torch.Tensor, reversed_out: torch.Tensor) -> torch.Tensor:
    """forward_out = G(clip), reversed_out = G(clip reversed in time), both (B, T, C, H, W)."""
    return charbonnier(forward_out, reversed_out.flip(1))


def warp_consistency(pred: torch.Tensor, target: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """pred, target (B, T, C, H, W); flow (B, T-1, 2, H, W) from frame t to t-1 in HR pixels."""
    prev_p, cur_p = pred[:, :-1].flatten(0, 1), pred[:, 1:].flatten(0, 1)
    prev_t, cur_t = target[:, :-1].flatten(0, 1), target[:, 1:].flatten(0, 1)
    f = flow.flatten(0, 1)
    return charbonnier(cur_p - warp(prev_p, f), cur_t - warp(prev_t, f))


def smoothness(flow: torch.Tensor) -> torch.Tensor:
    """Mean absolute first difference of a flow field (..., 2, H, W), in pixels."""
    dx = (flow[..., :, 1:] - flow[..., :, :-1]).abs().mean()
    dy = (flow[..., 1:, :] - flow[..., :-1, :]).abs().mean()
    return dx + dy


def photometric_loss(target: torch.Tensor, flow: torch.Tensor, smooth_weight: float = 0.1) -> torch.Tensor:
    """How well `flow` (B, T-1, 2, H, W) warps each real frame t-1 onto frame t of `target`."""
    prev_t, cur_t = target[:, :-1].flatten(0, 1), target[:, 1:].flatten(0, 1)
    return charbonnier(warp(prev_t, flow.flatten(0, 1)), cur_t) + smooth_weight * smoothness(flow)
