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

from .frames import frame_size
from .stage import Stage
from .window import WindowModel


class Streamer(Stage):
    """Turns an iterable of LR frames into an iterator of HR frames (same order, same count)."""

    def __init__(self, model: WindowModel, device, autocast_dtype: torch.dtype | None = None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool | None = None, scene_threshold: float | None = None,
                 cuts_from: Stage | None = None, batch: int | None = 1, on_device: bool = False):
        super().__init__(model, device, autocast_dtype, tile, overlap, high_bit_depth, scene_threshold, cuts_from,
                         batch, on_device)

    def needed_from(self, start: int, state: dict | None = None) -> int:
        return max(start - self.m.radius, 0)

    @torch.inference_mode()
    def _encode(self, todo: list, cache: dict) -> None:
        """Encodes frames [(index, frame), ...] of one size in one call per tile, into `cache`."""
        x = self._inputs([frame for _, frame in todo])
        tiles = self._tiles(x)
        level = self.m.noise_level(x)  # of each whole frame, in fp32: the same for every tile
        with self._autocast():
            feats = [self.m.encode(x[..., t.y0:t.y1, t.x0:t.x1], level) for t in tiles]
        for i, (n, frame) in enumerate(todo):
            cache[n] = (x[i:i + 1], tiles, [f[i:i + 1] for f in feats], frame)

    @torch.inference_mode()
    def _decode(self, windows: list[list]) -> list:
        """The outputs of windows of frames of one size, decoded together."""
        def cat(parts: list[torch.Tensor]) -> torch.Tensor:
            return parts[0] if len(parts) == 1 else torch.cat(parts)

        centres = [w[len(w) // 2] for w in windows]
        x, tiles, likes = cat([c[0] for c in centres]), centres[0][1], [c[3] for c in centres]
        span = range(len(windows[0]))
        if len(tiles) == 1:
            with self._autocast():
                out = self.m.decode([cat([w[j][2][0] for w in windows]) for j in span], x)
            return self._outputs(out, likes)
        blends = [self._blender(x, exact=True) for _ in windows]
        for i, t in enumerate(tiles):
            with self._autocast():
                out = self.m.decode([cat([w[j][2][i] for w in windows]) for j in span], x[..., t.y0:t.y1, t.x0:t.x1])
            for blend, o in zip(blends, out):
                blend.add(t, o)
        return self._outputs(torch.stack([b.result() for b in blends]), likes)

    def _window(self, cache: dict, t: int, last: int) -> list:
        """Frames t-r .. t+r, clamped to the scene holding t (which ends at `last` if no cut is known after t)."""
        r = self.m.radius
        first = self.scene_start(t)
        after = self.next_cut(t)
        if after is not None:
            last = min(last, after - 1)
        return [cache[min(max(j, first), last)] for j in range(t - r, t + r + 1)]

    def _ready(self, cache: dict, t: int, end: int, size: int, final: bool):
        """Decodes frames t.. whose windows are in `cache` (frames before `end`), `size` at a time (fewer only
        at the end, or where the frame size changes); yields them and returns the next frame to produce."""
        r = self.m.radius
        while (ready := end - t if final else end - r - t) >= (1 if final else size):
            windows = [self._window(cache, t, end - 1)]
            while len(windows) < min(ready, size) and cache[t + len(windows)][0].shape == windows[0][r][0].shape:
                windows.append(self._window(cache, t + len(windows), end - 1))
            yield from self._decode(windows)
            for j in range(t, t + len(windows)):
                cache.pop(j - r, None)
            t += len(windows)
        return t

    def run(self, frames: Iterable, start: int = 0, first: int = 0, state: dict | None = None) -> Iterator:
        """Frames `start` onwards of the output; `frames` begins with frame `first` (a chain's later model
        is given its predecessor's frames from where that one started).  Frames are encoded `batch` at a time
        and decoded `batch` windows at a time."""
        r = self.m.radius
        cache: dict[int, tuple] = {}
        todo: list = []  # (index, frame) read, to encode together
        detector = self._detector()
        n, t, size = first, start, 1  # the next frame read; the next frame to produce; frames per call
        for frame in frames:
            self._see(detector, frame, n)
            if n >= start - r:
                if todo and frame_size(todo[-1][1]) != frame_size(frame):
                    self._encode(todo, cache)
                    todo = []
                todo.append((n, frame))
                size = self.batch_size(*frame_size(frame))
            n += 1
            if len(todo) >= size:
                self._encode(todo, cache)
                todo = []
            if not todo:
                t = yield from self._ready(cache, t, n, size, final=False)
        if todo:
            self._encode(todo, cache)
        yield from self._ready(cache, t, n, size, final=True)
