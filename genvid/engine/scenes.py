"""Scene cuts between consecutive decoded frames, found cheaply, so that temporal windows stop at them.

Each frame is reduced to a small grey thumbnail (a strided sample about 72 pixels on the short side,
averaged 2x2, so it costs the same for any frame size).  Two numbers compare it with the previous
frame's: the mean absolute difference of the thumbnails (in [0, 1]; large when the picture changes
everywhere) and the distance of their 32-bin histograms (half the L1 distance, in [0, 1]; large when
the tones change, small under motion that only moves things around).  The cut score is the smaller
of the two, so both must be high for a cut: fast motion raises the difference but not the histogram
distance, a lighting change the other way.  A frame whose score exceeds the threshold starts a new scene.
The default, 0.17, lies between the real cuts and the hardest motion of the shared clips
(`python benchmarks/scene_cuts.py`; README, "Scene cuts").
"""
from __future__ import annotations

import numpy as np
import torch
from einops import rearrange

DEFAULT_THRESHOLD = 0.17
_BINS = 32
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def thumbnail(frame) -> np.ndarray:
    """(H, W, 3) uint8/uint16, or a (3, H, W) float tensor in [0, 1] -> small (h, w) float32 grey in [0, 1]."""
    if isinstance(frame, torch.Tensor):  # sampled on its device: only the thumbnail is copied
        frame = frame.reshape(-1, *frame.shape[-2:])
        step = max(1, min(frame.shape[-2], frame.shape[-1]) // 144)
        sample = rearrange(frame[:, ::step, ::step].float().clamp(0, 1), "c h w -> h w c").cpu().numpy() @ _LUMA
    else:
        peak = 65535.0 if frame.dtype == np.uint16 else 255.0
        step = max(1, min(frame.shape[0], frame.shape[1]) // 144)
        sample = frame[::step, ::step].astype(np.float32) @ _LUMA / peak
    h, w = sample.shape[0] // 2 * 2, sample.shape[1] // 2 * 2
    if h == 0 or w == 0:
        return sample
    return sample[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _histogram(grey: np.ndarray) -> np.ndarray:
    counts = np.bincount(np.minimum((grey * _BINS).astype(np.int64), _BINS - 1).ravel(), minlength=_BINS)
    return counts / max(1, grey.size)


def cut_score(previous: np.ndarray, current: np.ndarray) -> float:
    """How different two thumbnails are, in [0, 1]: the smaller of their pixel and histogram distances."""
    difference = float(np.abs(current - previous).mean())
    histogram = 0.5 * float(np.abs(_histogram(current) - _histogram(previous)).sum())
    return min(difference, histogram)


class SceneCuts:
    """Fed every frame in order; `is_cut(frame)` says whether that frame starts a new scene."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD):
        if not 0 < threshold < 1:
            raise ValueError("the scene-cut threshold must lie between 0 and 1")
        self.threshold = threshold
        self._previous: np.ndarray | None = None

    def is_cut(self, frame) -> bool:
        thumb = thumbnail(frame)
        previous, self._previous = self._previous, thumb
        return previous is not None and cut_score(previous, thumb) > self.threshold
