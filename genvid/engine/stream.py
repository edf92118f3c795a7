"""The sliding-window kind, streamed: a window over cached per-frame features.

Frame t's output needs frames t-r .. t+r; frames past either end of its scene are the scene's end
frame, as in the models' own `forward` at the ends of a clip.  A scene is the whole video, or, with a
`scene_threshold`, the frames between two cuts that `SceneCuts` detects: nothing leaks across a cut,
and each side of it comes out exactly as if it were a clip of its own.  Cuts are found as frames
arrive; frame t is produced once frame t+r has arrived, so every cut its window could cross is known.

Only the last 2r+1 frames' features are held, so memory is independent of the video's length, and
every input frame gives exactly one output frame, in order.  `run(frames, start=k)` produces only frames
k onwards (resuming): earlier frames still pass through the cut detector, and only the r frames before k
go through the model, as context.  Tiles are exact when their overlap is at least the receptive radius.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from .stage import Stage
from .window import WindowModel


class Streamer(Stage):
    """Turns an iterable of LR frames into an iterator of HR frames (same order, same count)."""

    def __init__(self, model: WindowModel, device, autocast_dtype: torch.dtype | None = None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool | None = None, scene_threshold: float | None = None,
                 cuts_from: Stage | None = None):
        super().__init__(model, device, autocast_dtype, tile, overlap, high_bit_depth, scene_threshold, cuts_from)

    def needed_from(self, start: int, state: dict | None = None) -> int:
        return max(start - self.m.radius, 0)

    @torch.inference_mode()
    def _encode(self, frame):
        x = self._input(frame)
        tiles = self._tiles(x)
        level = self.m.noise_level(x)  # of the whole frame, in fp32: the same for every tile
        with self._autocast():
            feats = [self.m.encode(x[..., t.y0:t.y1, t.x0:t.x1], level) for t in tiles]
        return x, tiles, feats, frame

    @torch.inference_mode()
    def _decode(self, window: list):
        x, tiles, _, like = window[len(window) // 2]
        if len(tiles) == 1:
            with self._autocast():
                out = self.m.decode([w[2][0] for w in window], x)[0]
            return self._output(out, like)
        blend = self._blender(x, exact=True)
        for i, t in enumerate(tiles):
            with self._autocast():
                out = self.m.decode([w[2][i] for w in window], x[..., t.y0:t.y1, t.x0:t.x1])[0]
            blend.add(t, out)
        return self._output(blend.result(), like)

    def _window(self, cache: dict, t: int, last: int) -> list:
        """Frames t-r .. t+r, clamped to the scene holding t (which ends at `last` if no cut is known after t)."""
        r = self.m.radius
        first = self.scene_start(t)
        after = self.next_cut(t)
        if after is not None:
            last = min(last, after - 1)
        return [cache[min(max(j, first), last)] for j in range(t - r, t + r + 1)]

    def run(self, frames: Iterable, start: int = 0, first: int = 0, state: dict | None = None) -> Iterator:
        """Frames `start` onwards of the output; `frames` begins with frame `first` (a chain's later model
        is given its predecessor's frames from where that one started)."""
        r = self.m.radius
        cache: dict[int, tuple] = {}
        detector = self._detector()
        n, t = first, start  # the next frame read; the next frame to produce
        for frame in frames:
            self._see(detector, frame, n)
            if n >= start - r:
                cache[n] = self._encode(frame)
            n += 1
            while t + r < n:
                yield self._decode(self._window(cache, t, n - 1))
                cache.pop(t - r, None)
                t += 1
        while t < n:
            yield self._decode(self._window(cache, t, n - 1))
            t += 1
