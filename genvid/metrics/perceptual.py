"""LPIPS per frame and tLP (TecoGAN's temporal LPIPS) of a predicted video against its reference, streamed.

LPIPS_t = LPIPS(pred_t, ref_t).  tLP_t = |LPIPS(ref_t, ref_t-1) - LPIPS(pred_t, pred_t-1)| for t >= 1
(Chu et al. 2020): how far the prediction's frame-to-frame perceptual change departs from the
reference's; lower is steadier, 0 when both change alike.  A clip's scores are the means over frames
(LPIPS) and over frame pairs (tLP).  The network is `genvid.losses.perceptual.LPIPSLoss` (AlexNet by
default, as TecoGAN uses), whose backbone weights must be on this machine (see that module).
"""
from __future__ import annotations

import numpy as np
import torch

from ..engine.frames import frame_to_tensor
from ..losses.perceptual import LPIPSLoss


class PerceptualScores:
    """Feed (pred, ref) frames in order; `add` returns {"lpips": ...} and, from the second frame, "tlp"."""

    def __init__(self, net: str = "alex", backbone_path=None, device="cpu"):
        self.device = torch.device(device)
        self.loss = LPIPSLoss(net, backbone_path, reduction="none").to(self.device)
        self.prev: tuple[torch.Tensor, torch.Tensor] | None = None

    @torch.no_grad()
    def add(self, pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
        p, r = frame_to_tensor(pred, self.device), frame_to_tensor(ref, self.device)
        if self.prev is None:
            out = {"lpips": float(self.loss(p, r)[0])}
        else:  # one batch: (pred_t, ref_t), (pred_t, pred_t-1), (ref_t, ref_t-1)
            d = self.loss(torch.cat([p, p, r]), torch.cat([r, self.prev[0], self.prev[1]]))
            out = {"lpips": float(d[0]), "tlp": abs(float(d[2]) - float(d[1]))}
        self.prev = (p, r)
        return out
