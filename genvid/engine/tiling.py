"""Tiles with overlap, blended back together.

A frame is cut into tiles of `tile` x `tile` low-resolution pixels, each read with `overlap` extra pixels
of context on every side that has a neighbour.  A tile's output is exact wherever the model's receptive
field stays inside the tile: over its own area when the overlap is at least the receptive radius R,
and up to `overlap - R` pixels into the context.  Outputs are accumulated with weights that are 1 over a
tile's own area and fall linearly to 0 across that exact band (the feather), then normalised, so when
the overlap is at least R tiled and untiled outputs agree to float rounding, and a wider overlap only
widens the feather.  With less context than R, the feather spans the inner half of the context and
hides the seams it cannot remove.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import GenvidError

# below this many pixels a tile's fixed cost dominates, whatever the overlap
MIN_TILE = 16

@dataclass(frozen=True)
class Tile:
    y0: int  # input region with context, in LR pixels
    y1: int
    x0: int
    x1: int
    top: int  # context on each side actually taken (0 at the frame border)
    bottom: int
    left: int
    right: int


def tile_geometry(model, tile: int, overlap: int | None) -> tuple[int, int]:
    """(tile, overlap) as `model` (a model that meets its kind's contract) runs them: rounded up to its input multiple, so that tiles
    start on its grid; the overlap defaults to the model's own."""
    from .contract import default_overlap

    m = model.input_multiple
    overlap = default_overlap(model) if overlap is None else overlap
    return (-(-tile // m) * m if tile > 0 else tile), -(-overlap // m) * m


def check_tiles(models: list, names: list[str], tile: int, overlap: int | None) -> None:
    """Refuses a negative --tile or --tile-overlap, and tiles too small to be worth their context: a tile
    must be more than twice its overlap (else most of the work is on context) and at least MIN_TILE."""
    if tile < 0:
        raise GenvidError(f"--tile must be 0 (whole frames) or a tile size in pixels, got {tile}")
    if overlap is not None and overlap < 0:
        raise GenvidError(f"--tile-overlap must be 0 or more pixels, got {overlap}")
    if tile == 0:
        return
    for name, model in zip(names, models):
        size, context = tile_geometry(model, tile, overlap)
        least = least_tile(model, overlap)
        if size < least:
            raise GenvidError(f"--tile {tile} is too small for model {name}: with {context} pixels of overlap it must "
                              f"be at least {least} (more than twice the overlap, and at least {MIN_TILE}); pass a "
                              f"larger --tile, a smaller --tile-overlap, or --tile 0 for whole frames")


def least_tile(model, overlap: int | None) -> int:
    """The smallest tile `model` takes with this overlap: more than twice its context, and at least MIN_TILE."""
    return max(2 * tile_geometry(model, 0, overlap)[1] + 1, MIN_TILE)


def plan_tiles(height: int, width: int, tile: int, overlap: int) -> list[Tile]:
    """Tiles covering the frame; `tile` <= 0 means one tile for the whole frame."""
    if tile <= 0 or (tile >= height and tile >= width):
        return [Tile(0, height, 0, width, 0, 0, 0, 0)]
    tiles = []
    for cy in range(0, height, tile):
        for cx in range(0, width, tile):
            cy1, cx1 = min(cy + tile, height), min(cx + tile, width)
            y0, y1 = max(0, cy - overlap), min(height, cy1 + overlap)
            x0, x1 = max(0, cx - overlap), min(width, cx1 + overlap)
            tiles.append(Tile(y0, y1, x0, x1, cy - y0, y1 - cy1, cx - x0, x1 - cx1))
    return tiles


def feather_width(overlap: int, receptive_radius: int) -> int:
    """Context pixels (LR) that take part in blending: the exact band, or half the context if none is exact."""
    return overlap - receptive_radius if overlap >= receptive_radius else overlap // 2


def _ramp(n: int, lead: int, trail: int, band: int, device, dtype) -> torch.Tensor:
    """1 over the tile's own span; in the `lead`/`trail` context, 1 - d / (band + 1) at distance d, floored at 0."""
    w = torch.ones(n, device=device, dtype=dtype)
    if lead:
        d = torch.arange(lead, 0, -1, device=device, dtype=dtype)
        w[:lead] = (1 - d / (band + 1)).clamp(min=0)
    if trail:
        d = torch.arange(1, trail + 1, device=device, dtype=dtype)
        w[n - trail:] = (1 - d / (band + 1)).clamp(min=0)
    return w


class Blender:
    """Accumulates scaled tile outputs into a (C, sH, sW) frame; `feather` is in LR pixels."""

    def __init__(self, channels: int, height: int, width: int, scale: int, device, feather: int = 0,
                 dtype=torch.float32):
        self.scale, self.band = scale, feather * scale
        self.acc = torch.zeros(channels, height * scale, width * scale, device=device, dtype=dtype)
        self.weight = torch.zeros(1, height * scale, width * scale, device=device, dtype=dtype)

    def add(self, t: Tile, out: torch.Tensor) -> None:
        s = self.scale
        wy = _ramp(out.shape[-2], t.top * s, t.bottom * s, self.band, out.device, self.acc.dtype)
        wx = _ramp(out.shape[-1], t.left * s, t.right * s, self.band, out.device, self.acc.dtype)
        w = wy[:, None] * wx[None, :]
        region = (slice(None), slice(t.y0 * s, t.y1 * s), slice(t.x0 * s, t.x1 * s))
        self.acc[region] += out.to(self.acc.dtype) * w
        self.weight[region] += w

    def result(self) -> torch.Tensor:
        return self.acc / self.weight
