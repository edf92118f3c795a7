"""LPIPS per frame and tLP (TecoGAN's temporal LPIPS) of a predicted video against its reference.

LPIPS_t = LPIPS(pred_t, ref_t).  tLP_t = |LPIPS(ref_t, ref_t-1) - LPIPS(pred_t, pred_t-1)| for t >= 1
(Chu et al. 2020): how far the prediction's frame-to-frame perceptual change departs from the
reference's; lower is steadier, 0 when both change alike.  A clip's scores are the means over frames
(LPIPS) and over frame pairs (tLP).  The network is LPIPS v0.1 (`genvid.losses.perceptual.load_lpips`,
AlexNet by default, as TecoGAN uses), frames mapped to [-1, 1], whole frames (no border crop); its
backbone weights must be on this machine (see that module for where they are looked for).

Each frame goes through the backbone once: its normalised features serve the three distances it takes
part in (against its reference, its predecessor and its successor), which is what LPIPS computes for
each pair.  Frames are scored in chunks of `chunk`, without gradients, so large frames (DAVIS 854x480)
stay in bounded memory.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..engine.frames import frame_to_tensor
from ..losses.perceptual import load_lpips, lpips_available
from .fidelity import mean_scores

SURELY_BIG_ENOUGH = 64  # every LPIPS backbone runs on frames this large; smaller ones are tried once


class PerceptualScores:
    """Feed (pred, ref) frames in order; `add` returns {"lpips": ...} and, from the second frame, "tlp".

    `clip(pred, ref)` scores a whole clip (chunked) from a fresh start and returns its means."""

    def __init__(self, net: str = "alex", backbone_path: str | Path | None = None, device="cpu",
                 chunk: int = 4):
        self.net, self.device, self.chunk = net, torch.device(device), max(1, int(chunk))
        self.model = load_lpips(net, backbone_path).to(self.device)
        self.prev: tuple[list[torch.Tensor], list[torch.Tensor]] | None = None  # features of (pred, ref) t-1
        self._fits: dict[tuple[int, int], str | None] = {}
        self.skipped: list[str] = []  # why clips went unscored (frames too small), once each

    def reset(self) -> None:
        """Forget the previous frame: the next one starts a new clip (no tLP for it)."""
        self.prev = None

    @torch.no_grad()
    def too_small(self, height: int, width: int) -> str | None:
        """Why frames of this size cannot be scored (the backbone's pooling runs out of pixels), or None."""
        if min(height, width) >= SURELY_BIG_ENOUGH:
            return None
        if (height, width) not in self._fits:
            try:
                self.model.net(self.model.scaling_layer(torch.zeros(1, 3, height, width, device=self.device)))
                self._fits[height, width] = None
            except RuntimeError:
                self._fits[height, width] = f"frames of {width}x{height} are too small for LPIPS ({self.net})"
        return self._fits[height, width]

    def _features(self, frames) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Unit-normalised backbone features of the pred and ref frames, layer by layer, one batch."""
        x = torch.cat([frame_to_tensor(f, self.device) for f in frames]) * 2 - 1  # LPIPS takes [-1, 1]
        feats = [f / (f.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)  # lpips.normalize_tensor
                 for f in self.model.net(self.model.scaling_layer(x))]
        n = len(frames) // 2
        return [f[:n] for f in feats], [f[n:] for f in feats]

    def _distance(self, a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
        """LPIPS between two batches of normalised features: (N,)."""
        return sum(lin((fa - fb) ** 2).mean(dim=(2, 3)) for lin, fa, fb in zip(self.model.lins, a, b))[:, 0]

    @torch.no_grad()
    def add_many(self, preds, refs) -> list[dict[str, float]]:
        """Scores of consecutive frames (one batch through the backbone), continuing from the last call."""
        fp, fr = self._features([*preds, *refs])
        lp = self._distance(fp, fr).tolist()
        if self.prev is not None:  # prepend frame t-1, so that every frame here has its predecessor
            fp, fr = ([torch.cat([p, c]) for p, c in zip(prev, cur)] for prev, cur in zip(self.prev, (fp, fr)))
        changes = None
        if len(fp[0]) > 1:
            changes = (self._distance([f[1:] for f in fp], [f[:-1] for f in fp]) -
                       self._distance([f[1:] for f in fr], [f[:-1] for f in fr])).abs().tolist()
        first = self.prev is None
        self.prev = ([f[-1:] for f in fp], [f[-1:] for f in fr])
        rows = [{"lpips": v} for v in lp]
        for row, change in zip(rows[1:] if first else rows, changes or []):
            row["tlp"] = change
        return rows

    def add(self, pred: np.ndarray, ref: np.ndarray) -> dict[str, float]:
        return self.add_many([pred], [ref])[0]

    def clip(self, pred, ref) -> dict[str, float]:
        """{"lpips": mean over frames, "tlp": mean over frame pairs} of a whole clip ((T, H, W, 3) arrays or
        lists of frames), scored in chunks of `chunk` frames; {} when its frames are too small (noted in
        `skipped`)."""
        why = self.too_small(*pred[0].shape[:2])
        if why:
            if why not in self.skipped:
                self.skipped.append(why)
            return {}
        self.reset()
        rows = []
        for i in range(0, len(pred), self.chunk):
            rows += self.add_many(pred[i:i + self.chunk], ref[i:i + self.chunk])
        self.reset()
        return mean_scores(rows)


def open_scorer(net: str | None = "alex", backbone_path: str | Path | None = None,
                device="cpu") -> tuple[PerceptualScores | None, list[str]]:
    """(scorer, []) when the LPIPS backbone is found; (None, [one-line note why not]) otherwise;
    (None, []) when `net` is None (LPIPS not asked for)."""
    if not net:
        return None, []
    why_not = lpips_available(net, backbone_path)
    if why_not:
        return None, [f"LPIPS and tLP skipped: {why_not}"]
    return PerceptualScores(net, backbone_path, device), []


def scorer_notes(scorer: PerceptualScores | None, notes: list[str]) -> dict:
    """{"notes": [...]} for a protocol's result when anything was left unscored, else {}."""
    notes = notes + [f"LPIPS and tLP skipped on some clips: {why}" for why in (scorer.skipped if scorer else [])]
    return {"notes": notes} if notes else {}
