"""The bidirectional kind (BasicVSR and the like) in bounded memory: chunks of N frames, M frames of context.

A bidirectional model propagates backward from the end of its clip, so run on a whole video it holds
features of every frame at once and runs out of memory on long ones.  Here each scene is cut into chunks
of `chunk` (N) frames from its first frame; a chunk is run through the model's `forward` with up to
`context` (M) frames of the same scene on each side, and only the chunk's own frames are kept.  So at
most N + 2M frames are held whatever the length, and a frame's propagation reaches at least M frames past
its chunk each way, where on the whole clip it would reach the scene's ends.  Chunks are aligned to the
scene's first frame, so a resumed run (`start`) runs the chunk holding `start` again and gives exactly
the frames of an uninterrupted one.  Scene cuts end chunks (nothing crosses a cut).

The defaults come from measuring chunked against whole-clip output (`benchmarks/chunking.py`; README,
"Recurrent and bidirectional models"): with N=DEFAULT_CHUNK and M=DEFAULT_CONTEXT chunked output stays
within 0.05 dB PSNR-Y of whole-clip output on vimeo7/val and davis, even where every chunk is short.
Tiling runs each tile through the model on its own (its own flow), blended over half the overlap: the
output then differs from untiled output.  Tiles of the same shape go through the model together, up to
`batch` at a time.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from ..errors import GenvidError
from .stage import Stage

DEFAULT_CHUNK = 32  # N: frames per chunk (memory and the share of context frames, 2M / N, depend on it)
DEFAULT_CONTEXT = 8  # M: frames of context on each side


class ChunkedStreamer(Stage):
    def __init__(self, model, device, autocast_dtype: torch.dtype | None = None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool | None = None, scene_threshold: float | None = None,
                 cuts_from: Stage | None = None, chunk: int | None = None, context: int | None = None,
                 batch: int | None = 1, on_device: bool = False):
        super().__init__(model, device, autocast_dtype, tile, overlap, high_bit_depth, scene_threshold, cuts_from,
                         batch, on_device)
        self.chunk = DEFAULT_CHUNK if chunk is None else int(chunk)
        self.context = DEFAULT_CONTEXT if context is None else int(context)
        if self.chunk < 1 or self.context < 0:
            raise GenvidError(f"chunks need at least 1 frame and 0 or more frames of context, got "
                              f"{self.chunk} and {self.context}")

    def needed_from(self, start: int, state: dict | None = None) -> int:
        return max(start - self.chunk - self.context + 1, 0)  # the chunk holding `start` and its context

    def span(self, t: int, seen: int, ended: bool) -> tuple[int, int, int, int] | None:
        """(first context frame, chunk start, chunk end, end of context) of the chunk holding frame t, or None
        while frames up to `seen` (exclusive) are not enough to know it; `ended`: no frame after `seen`."""
        s0 = self.scene_start(t)
        c = s0 + (t - s0) // self.chunk * self.chunk
        cut = self.next_cut(c)
        end = seen if ended else None  # the end of the frames, once known
        limit = min(x for x in (cut, end) if x is not None) if cut is not None or end is not None else None
        e = c + self.chunk if limit is None else min(c + self.chunk, limit)
        hi = e + self.context if limit is None else min(e + self.context, limit)
        if hi > seen:  # the context after the chunk (or the chunk itself) has not all arrived
            return None
        return max(s0, c - self.context), c, e, hi

    @torch.inference_mode()
    def _forward(self, clip: torch.Tensor) -> torch.Tensor:
        """(T, 3, H, W) -> (T, 3, sH, sW), whole frames or tile by tile."""
        tiles = self._tiles(clip)
        if len(tiles) == 1:
            with self._autocast():
                return self.m(clip[None])[0].float()
        outs: list = [None] * len(tiles)
        for group in self._groups(tiles, self.batch_size(*clip.shape[-2:])):  # tiles of one shape, in one call
            crops = [clip[None, :, :, tiles[i].y0:tiles[i].y1, tiles[i].x0:tiles[i].x1] for i in group]
            with self._autocast():
                out = self.m(crops[0] if len(crops) == 1 else torch.cat(crops)).float()
            for k, i in enumerate(group):
                outs[i] = out[k]
        result = []
        for i in range(clip.shape[0]):
            blend = self._blender(clip[i], exact=False)
            for t, out in zip(tiles, outs):
                blend.add(t, out[i])
            result.append(blend.result())
        return torch.stack(result)

    def run(self, frames: Iterable, start: int = 0, first: int = 0, state: dict | None = None) -> Iterator:
        """Frames `start` onwards; `frames` begins with frame `first`."""
        detector = self._detector()
        keep_from = self.needed_from(start)
        buf: dict[int, tuple] = {}  # frame -> (tensor (3, H, W), the frame as given)
        t, n = start, first  # the next frame to produce; the next frame read
        for frame in frames:
            self._see(detector, frame, n)
            if n >= keep_from:
                buf[n] = (self._inputs([frame])[0], frame)
            n += 1
            t = yield from self._ready(buf, t, n, ended=False)
        yield from self._ready(buf, t, n, ended=True)

    def _ready(self, buf: dict, t: int, seen: int, ended: bool):
        """Runs every chunk whose frames have all arrived and yields its frames from t; returns the next t."""
        while t < seen and (span := self.span(t, seen, ended)) is not None:
            lo, c, e, hi = span
            out = self._forward(torch.stack([buf[j][0] for j in range(lo, hi)]))
            yield from self._outputs(out[max(t, c) - lo:e - lo], [buf[j][1] for j in range(max(t, c), e)])
            t = e
            for j in [j for j in buf if j < e - self.context]:
                del buf[j]
        return t
