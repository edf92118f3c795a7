"""Running a model over a stream of frames: a sliding window over cached per-frame features.

Frame t's output needs frames t-r .. t+r; frames past either end of the video are the end frame, as in
the models' own `forward`.  Only the last 2r+1 frames' features are held, so memory is independent of
the video's length, and every input frame gives exactly one output frame, in order.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch
from einops import rearrange

from .tiling import Blender, feather_width, plan_tiles
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
                 overlap: int | None = None, high_bit_depth: bool = False):
        self.m, self.device, self.autocast_dtype = model, torch.device(device), autocast_dtype
        m = model.input_multiple  # e.g. 2 for a model that pixel-unshuffles by 2: tiles start on that grid
        self.tile = -(-tile // m) * m if tile > 0 else tile
        self.overlap = -(-(model.default_overlap if overlap is None else overlap) // m) * m
        self.high_bit_depth = high_bit_depth

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

    def run(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        r = self.m.radius
        cache: dict[int, tuple] = {}
        n = emitted = 0

        def window(t: int, last: int) -> list:
            return [cache[min(max(j, 0), last)] for j in range(t - r, t + r + 1)]

        for frame in frames:
            cache[n] = self._encode(frame)
            n += 1
            while emitted + r < n:
                yield self._decode(window(emitted, n - 1))
                cache.pop(emitted - r, None)
                emitted += 1
        while emitted < n:
            yield self._decode(window(emitted, n - 1))
            emitted += 1
