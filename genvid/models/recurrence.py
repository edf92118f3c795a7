"""What the flow-aligned recurrent models (`recurrent_sr.py`, `recurrent_restore.py`) share: one step of
forward propagation, and a clip run as one scene through their `cell`."""
from __future__ import annotations

import torch

from .spynet import flow_warp


def propagate(model, frame: torch.Tensor, feat: torch.Tensor, feat_ahead: torch.Tensor, prev: torch.Tensor | None,
              hidden: torch.Tensor | None) -> torch.Tensor:
    """The new hidden state: the previous one warped to `frame` by `model.flow` (at a scene's first frame,
    `hidden` None: the frame's own features), fused with the features of the frame and the next one by
    `model.fuse`, refined by `model.body` (residual)."""
    carried = feat if hidden is None else flow_warp(hidden, model.flow(frame, prev).to(hidden.dtype))
    x = model.fuse(torch.cat([carried, feat, feat_ahead], dim=1))
    return model.body(x) + x


def run_clip(model, x: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
    """(B, T, 3, H, W) frames and their (B, T, C, h, w) features -> `model.cell`'s outputs, the clip as one
    scene (frame t+1 is frame t's look-ahead; the last frame is its own)."""
    t = x.shape[1]
    hidden, out = None, []
    for i in range(t):
        j = min(i + 1, t - 1)
        y, hidden = model.cell(x[:, i], feats[:, i], feats[:, j], x[:, i - 1] if i else None, hidden)
        out.append(y)
    return torch.stack(out, dim=1)
