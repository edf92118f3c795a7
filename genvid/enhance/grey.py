"""Grey in, grey out.

The models were trained on colour video: given a grey frame (R = G = B, as a `gray` source or a grey PNG
decodes) they tint it by a few levels.  `GreyFrames` notes which source frames are grey as they are
read, and the output frame of each grey one becomes grey, the mean of its three channels.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def is_grey(frame: np.ndarray) -> bool:
    """True when every pixel of the (H, W, 3) frame has R = G = B."""
    return bool(np.array_equal(frame[..., 0], frame[..., 1]) and np.array_equal(frame[..., 1], frame[..., 2]))


def to_grey(frame: np.ndarray) -> np.ndarray:
    """The (H, W, 3) frame with each pixel's three channels set to their rounded mean (same dtype)."""
    total = frame.sum(axis=2, dtype=np.uint32)
    mean = ((total + 1) // 3).astype(frame.dtype)
    return np.repeat(mean[..., None], 3, axis=2)


class GreyFrames:
    """Wraps the source frames; `output(index, frame)` makes output frame `index` grey if its source frame was.

    Only frames from `first` on are noted (a resumed run reads the source from its first frame), and each
    note is dropped once used, so memory stays a few entries."""

    def __init__(self, frames: Iterable[np.ndarray], first: int = 0):
        self.frames, self.first = frames, first
        self._grey: dict[int, bool] = {}

    def __iter__(self) -> Iterator[np.ndarray]:
        for index, frame in enumerate(self.frames):
            if index >= self.first:
                self._grey[index] = is_grey(frame)
            yield frame

    def output(self, index: int, frame: np.ndarray) -> np.ndarray:
        return to_grey(frame) if self._grey.pop(index) else frame
