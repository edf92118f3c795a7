"""What the streamers of every model kind share: device and precision, tiles, scenes, frames in and out.

A stage turns an iterable of frames into an iterator of enhanced frames, one for one and in order.
`run(frames, start, first, state)` is given frames from index `first` and yields outputs from `start`;
`needed_from(start, state)` says from which input frame it needs its input to do so (a chain starts the
model before it there).  Scenes: a stage either finds cuts on its own input (`scene_threshold`) or reads
those that the first stage of its chain found on the source (`cuts_from`), which is always far enough
ahead.  A frame that starts a new scene is a cut; each scene is enhanced as a clip of its own.

Batches: `batch` frames (None: `auto_batch`, from the frame size) go through the model in one call where
the kind allows it (sliding windows); recurrent and bidirectional models run in time order but send up to
`batch` tiles of the same shape together.  An intermediate model of a chain (`on_device`) hands its
frames to the next one on the device (`frames.DeviceFrame`).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

import torch

from .device import auto_batch
from .frames import to_inputs, to_outputs
from .scenes import SceneCuts
from .tiling import Blender, Tile, feather_width, plan_tiles, tile_geometry


class Stage:
    def __init__(self, model, device, autocast_dtype: torch.dtype | None = None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool | None = None, scene_threshold: float | None = None,
                 cuts_from: Stage | None = None, batch: int | None = 1, on_device: bool = False):
        self.m, self.device, self.autocast_dtype = model, torch.device(device), autocast_dtype
        self.tile, self.overlap = tile_geometry(model, tile, overlap)  # on the model's input grid
        self.high_bit_depth = high_bit_depth  # None: 16-bit out for 16-bit frames in, else 8-bit
        self.scene_threshold = scene_threshold  # None: the whole video is one scene
        self.cuts: list[int] = []  # frames that start a new scene, ascending (filled by run)
        self.cuts_from = cuts_from  # an earlier stage of a chain, which finds the cuts on the source
        self.batch = batch  # frames (or tiles) per model call; None: chosen from the first frame's size
        self.on_device = on_device  # a chain's intermediate model: numpy frames stay on the device
        self.channels_last = self.device.type == "cuda"

    @property
    def scale(self) -> int:
        return self.m.scale

    def needed_from(self, start: int, state: dict | None = None) -> int:
        return start

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None)

    def _detector(self) -> SceneCuts | None:
        self.cuts = []
        return SceneCuts(self.scene_threshold) if self.scene_threshold is not None and self.cuts_from is None else None

    def _see(self, detector: SceneCuts | None, frame, n: int) -> None:
        if detector is not None and detector.is_cut(frame):
            self.cuts.append(n)

    def _known_cuts(self) -> list[int]:
        return self.cuts_from.cuts if self.cuts_from is not None else self.cuts

    def scene_start(self, t: int) -> int:
        """The first frame of the scene holding frame t (0 without cuts)."""
        cuts = self._known_cuts()
        i = bisect_right(cuts, t)
        return cuts[i - 1] if i else 0

    def next_cut(self, t: int) -> int | None:
        """The first cut after frame t among those known so far."""
        cuts = self._known_cuts()
        i = bisect_left(cuts, t + 1)
        return cuts[i] if i < len(cuts) else None

    def is_cut(self, t: int) -> bool:
        cuts = self._known_cuts()
        i = bisect_left(cuts, t)
        return i < len(cuts) and cuts[i] == t

    def _inputs(self, frames: list) -> torch.Tensor:
        x = to_inputs(frames, self.device)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def _outputs(self, y: torch.Tensor, likes: list) -> list:
        return to_outputs(y, likes, self.high_bit_depth, self.on_device)

    def batch_size(self, h: int, w: int) -> int:
        """Frames (or tiles) per model call, for frames of h x w pixels (the first one decides when auto)."""
        if self.batch is None:
            if self.tile > 0:
                h, w = min(h, self.tile + 2 * self.overlap), min(w, self.tile + 2 * self.overlap)
            self.batch = auto_batch(self.device, h, w, self.m.scale)
        return self.batch

    def _groups(self, tiles: list[Tile], size: int) -> list[list[int]]:
        """Indices of tiles of the same shape, at most `size` to a group: each group is one model call."""
        shapes: dict[tuple[int, int], list[int]] = {}
        for i, t in enumerate(tiles):
            shapes.setdefault((t.y1 - t.y0, t.x1 - t.x0), []).append(i)
        return [index[k:k + size] for index in shapes.values() for k in range(0, len(index), size)]

    def _tiles(self, x: torch.Tensor) -> list[Tile]:
        return plan_tiles(x.shape[-2], x.shape[-1], self.tile, self.overlap)

    def _blender(self, x: torch.Tensor, exact: bool) -> Blender:
        """A blender for tiles of frame `x`: feathered over the exact band (`exact`: a model whose output
        depends only on pixels within its receptive radius), else over half the context."""
        band = feather_width(self.overlap, self.m.receptive_radius) if exact else self.overlap // 2
        return Blender(3, x.shape[-2], x.shape[-1], self.m.scale, self.device, band)
