"""Running a model over a stream of frames: a sliding window over cached per-frame features.

Frame t's output needs frames t-r .. t+r; frames past either end of its scene are the scene's end
frame, as in the models' own `forward` at the ends of a clip.  A scene is the whole video, or, with a
`scene_threshold`, the frames between two cuts that `SceneCuts` detects: nothing leaks across a cut,
and each side of it comes out exactly as if it were a clip of its own.  Cuts are found as frames
arrive; frame t is produced once frame t+r has arrived, so every cut its window could cross is known.

Only the last 2r+1 frames' features are held, so memory is independent of the video's length, and
every input frame gives exactly one output frame, in order.  `run(frames, start=k)` produces only frames
k onwards (resuming): earlier frames still pass through the cut detector, and only the r frames before k
go through the model, as context.  In a chain (`chain.py`) a later model reads the cuts its first
model found on the source, which are known far enough ahead since that model is r frames ahead of it.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

import numpy as np
import torch
from einops import rearrange

from .scenes import SceneCuts
from .tiling import Blender, feather_width, plan_tiles, tile_geometry
from .window import WindowModel


def frame_to_tensor(frame: np.ndarray, device, dtype=torch.float32) -> torch.Tensor:
    """(H, W, 3) uint8/uint16 -> (1, 3, H, W) in [0, 1] on `device` (converted there, not on the host)."""
    peak = 65535.0 if frame.dtype == np.uint16 else 255.0
    t = torch.from_numpy(frame.astype(np.int32) if frame.dtype == np.uint16 else frame)
    t = t.to(device, non_blocking=True)
    return rearrange(t, "h w c -> 1 c h w").to(dtype) / peak


def tensor_to_frame(x: torch.Tensor, high_bit_depth: bool = False) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8, or uint16 when `high_bit_depth`, rounded."""
    if high_bit_depth:  # torch has no uint16 arithmetic on every device: go through int32
        x = (x.float().clamp(0, 1) * 65535.0).round().to(torch.int32)
        return rearrange(x, "c h w -> h w c").cpu().numpy().astype(np.uint16)
    x = (x.float().clamp(0, 1) * 255.0).round().to(torch.uint8)  # on the device: 4x less to copy back
    return np.ascontiguousarray(rearrange(x, "c h w -> h w c").cpu().numpy())


class Streamer:
    """Turns an iterable of LR frames into an iterator of HR frames (numpy, same order, same count)."""

    def __init__(self, model: WindowModel, device, autocast_dtype: torch.dtype | None = None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool = False, scene_threshold: float | None = None,
                 cuts_from: Streamer | None = None):
        self.m, self.device, self.autocast_dtype = model, torch.device(device), autocast_dtype
        self.tile, self.overlap = tile_geometry(model, tile, overlap)  # on the model's input grid
        self.high_bit_depth = high_bit_depth
        self.scene_threshold = scene_threshold  # None: the whole video is one scene
        self.cuts: list[int] = []  # frames that start a new scene, ascending (filled by run)
        self.cuts_from = cuts_from  # an earlier streamer of a chain, which finds the cuts on the source

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None)

    @torch.inference_mode()
    def _encode(self, frame: np.ndarray):
        x = frame_to_tensor(frame, self.device)
        tiles = plan_tiles(x.shape[-2], x.shape[-1], self.tile, self.overlap)
        level = self.m.noise_level(x)  # of the whole frame, in fp32: the same for every tile
        with self._autocast():
            feats = [self.m.encode(x[..., t.y0:t.y1, t.x0:t.x1], level) for t in tiles]
        return x, tiles, feats

    @torch.inference_mode()
    def _decode(self, window: list) -> np.ndarray:
        x, tiles, _ = window[len(window) // 2]
        if len(tiles) == 1:
            with self._autocast():
                out = self.m.decode([w[2][0] for w in window], x)[0]
            return tensor_to_frame(out, self.high_bit_depth)
        blend = Blender(3, x.shape[-2], x.shape[-1], self.m.scale, self.device,
                        feather_width(self.overlap, self.m.receptive_radius))
        for i, t in enumerate(tiles):
            with self._autocast():
                out = self.m.decode([w[2][i] for w in window], x[..., t.y0:t.y1, t.x0:t.x1])[0]
            blend.add(t, out)
        return tensor_to_frame(blend.result(), self.high_bit_depth)

    def _window(self, cache: dict, t: int, last: int) -> list:
        """Frames t-r .. t+r, clamped to the scene holding t (which ends at `last` if no cut is known after t)."""
        r = self.m.radius
        cuts = self.cuts_from.cuts if self.cuts_from is not None else self.cuts
        first = cuts[bisect_right(cuts, t) - 1] if cuts and cuts[0] <= t else 0
        after = bisect_left(cuts, t + 1)
        if after < len(cuts):
            last = min(last, cuts[after] - 1)
        return [cache[min(max(j, first), last)] for j in range(t - r, t + r + 1)]

    def run(self, frames: Iterable[np.ndarray], start: int = 0, first: int = 0) -> Iterator[np.ndarray]:
        """Frames `start` onwards of the output; `frames` begins with frame `first` (a chain's later model
        is given its predecessor's frames from where that one started)."""
        r = self.m.radius
        cache: dict[int, tuple] = {}
        self.cuts = []
        scenes = SceneCuts(self.scene_threshold) if self.scene_threshold is not None else None
        n, t = first, start  # the next frame read; the next frame to produce
        for frame in frames:
            if scenes is not None and scenes.is_cut(frame):
                self.cuts.append(n)
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
