"""One call that scores a set of generated clips against real clips: `evaluate_synthesis`.

Both sets are clips (N, T, 3, H, W) in [0, 1] of one size, as tensors or iterables of batches; each is
read once (a generator of batches is fine), keeping per clip its motion values, a copy reduced to at most
16 frames of 32 pixels (for the two-sample test and diversity) and, with an I3D file, its I3D logits.

The result (plain JSON-ready values):
  counts       {"generated", "real"}: clips read from each set
  two_sample   the classifier two-sample test (two_sample.py): held-out accuracy, 0.5 is best
  motion       per-set summaries of frame differences and flow, and their W1 distances (motion_stats.py)
  diversity    {"generated", "real"}: diversity.py's numbers for each set, real clips as the yardstick
  fvd          only with an I3D file (the `i3d` argument or $GENVID_I3D): fvd.py's FVD and file hash; a
               named file that is missing is an error, no file at all is a note
  notes        one-line notes, e.g. why FVD is absent

Without FVD, 300 clips a side of 16 frames at 64x64 took about a minute on one CPU thread.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import GenvidError
from . import diversity as div
from .clips import iter_batches, shrink
from .fvd import ENV_VAR, MIN_FRAMES, file_sha256, find_i3d, fvd_from_features, i3d_available, i3d_features, load_i3d
from .motion_stats import KEYS, check_same_size, clip_motion, compare_motion
from .two_sample import two_sample_test


def _read(clips, name: str, detector, batch_size: int, device) -> dict:
    """One pass over a set: per-clip motion values, reduced copies, I3D logits (with a detector)."""
    motion, small, feats, size, frames = [], [], [], None, None
    for batch in iter_batches(clips, name, batch_size):
        size, frames = tuple(batch.shape[-2:]), batch.shape[1]
        if detector is not None and frames < MIN_FRAMES:
            raise GenvidError(f"{name} have {frames} frames; FVD needs at least {MIN_FRAMES} (leave out the I3D file "
                              "to score without FVD)")
        motion.append(clip_motion(batch))
        small.append(shrink(batch, div.SIZE, div.FRAMES))
        if detector is not None:
            feats.append(i3d_features(batch, detector, batch_size, device, name))
    if not small:
        raise GenvidError(f"{name}: no clips")
    return {"motion": {**{k: np.concatenate([m[k] for m in motion]) for k in KEYS}, "size": size},
            "small": torch.cat(small), "features": np.concatenate(feats) if feats else None}


def evaluate_synthesis(generated, real, *, i3d: str | Path | None = None, seed: int = 0, device="cpu",
                       batch_size: int = 16) -> dict:
    """Two-sample accuracy, motion statistics, diversity and (with an I3D file) FVD of `generated`
    against `real`; see the module docstring for the keys."""
    notes, path = [], None
    if i3d or os.environ.get(ENV_VAR):  # asked for: a missing file is an error, not a note
        path = find_i3d(i3d)
    else:
        notes.append(f"FVD not computed: {i3d_available()}")
    detector = load_i3d(path, device) if path else None
    g = _read(generated, "generated clips", detector, batch_size, device)
    r = _read(real, "real clips", detector, batch_size, device)
    check_same_size(g["motion"], r["motion"])
    out = {"counts": {"generated": float(len(g["small"])), "real": float(len(r["small"]))},
           "two_sample": two_sample_test(g["small"], r["small"], seed=seed, device=device),
           "motion": compare_motion(g["motion"], r["motion"]),
           "diversity": {"generated": div.diversity(g["small"], seed=seed, name="generated clips"),
                         "real": div.diversity(r["small"], seed=seed, name="real clips")}}
    if detector is not None:
        out["fvd"] = {"fvd": fvd_from_features(g["features"], r["features"]), "i3d_sha256": file_sha256(path)}
    out["notes"] = notes
    return out
