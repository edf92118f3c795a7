"""tOF, the temporal optical-flow distance of TecoGAN (Chu et al. 2020): lower is steadier.

For each pair of consecutive frames, dense Farneback flow (OpenCV; pyramid scale 0.5, 3 levels, window
15, 3 iterations, poly_n 5, poly_sigma 1.2, no flags) is computed on grey frames of the prediction and
of the reference, both flows are cut to a centred region whose sides are multiples of 32 with at
least 8 pixels of border, and the per-pixel Euclidean length of their difference is averaged.  The
video's tOF is the mean over frame pairs.  OpenCV is optional: `pip install "genvid[metrics]"`.
"""
from __future__ import annotations

import numpy as np

from ..errors import GenvidError

FARNEBACK = (0.5, 3, 15, 3, 5, 1.2, 0)


def _cv2():
    try:
        import cv2
    except ImportError:
        raise GenvidError('tOF needs OpenCV: pip install "genvid[metrics]" (opencv-python-headless)') from None
    return cv2


def central_crop_box(height: int, width: int) -> tuple[int, int, int, int]:
    """(y, x, h, w): the largest centred multiple-of-32 region leaving at least 8 pixels on each side."""
    def side(n: int) -> int:
        s = (n // 32) * 32
        while s > n - 16:
            s -= 32
        return max(s, 0)
    h, w = side(height), side(width)
    if h == 0 or w == 0:
        raise GenvidError(f"frames of {width}x{height} are too small for tOF (need at least 48x48)")
    return (height - h) // 2, (width - w) // 2, h, w


def tof_unavailable(height: int, width: int) -> str | None:
    """Why tOF cannot be scored on frames of this size here (no OpenCV, frames too small), or None."""
    try:
        _cv2()
        central_crop_box(height, width)
    except GenvidError as e:
        return str(e)
    return None


class FlowDistance:
    """Feed (pred, ref) frame pairs in order; `per_pair` holds one tOF value per consecutive pair."""

    def __init__(self):
        self.cv2 = _cv2()
        self.prev: tuple[np.ndarray, np.ndarray] | None = None
        self.per_pair: list[float] = []

    def _grey(self, frame: np.ndarray) -> np.ndarray:
        if frame.dtype != np.uint8:
            frame = (frame >> 8).astype(np.uint8)
        return self.cv2.cvtColor(np.ascontiguousarray(frame), self.cv2.COLOR_RGB2GRAY)

    def add(self, pred: np.ndarray, ref: np.ndarray) -> float | None:
        cur = (self._grey(pred), self._grey(ref))
        value = None
        if self.prev is not None:
            y, x, h, w = central_crop_box(*cur[0].shape)
            flow_p = self.cv2.calcOpticalFlowFarneback(self.prev[0], cur[0], None, *FARNEBACK)[y:y + h, x:x + w]
            flow_r = self.cv2.calcOpticalFlowFarneback(self.prev[1], cur[1], None, *FARNEBACK)[y:y + h, x:x + w]
            value = float(np.linalg.norm(flow_p - flow_r, axis=-1).mean())
            self.per_pair.append(value)
        self.prev = cur
        return value

    def mean(self) -> float:
        return float(np.mean(self.per_pair)) if self.per_pair else 0.0


def tof(pred_frames, ref_frames) -> float:
    """tOF of two equally long frame sequences."""
    d = FlowDistance()
    for p, r in zip(pred_frames, ref_frames):
        d.add(p, r)
    return d.mean()
