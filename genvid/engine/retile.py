"""Changing the tile size of a run: the next smaller tile after the GPU runs out of memory, and whether
another tile can change the output.

Out of memory: the tile is halved, starting from the largest frame side any model of the chain gets
(whole frames) or from the tile in use, down to the least tile every model takes (`tiling.least_tile`:
more than twice its overlap, at least MIN_TILE); below that there is no smaller tile to try.

A tile change leaves the frames as they are (to float rounding) only where tiling is exact for every
model: whole frames (no tile, or one tile that covers the frame), or a sliding window whose overlap, as
run, covers its receptive radius.  A recurrent model's tiles carry hidden states of their own and
estimate their flow on the tile alone, and a bidirectional model runs each tile on its own: their
output depends on the tiles, as it does for a window with less overlap than its receptive radius.
"""
from __future__ import annotations

import gc

import torch

from .tiling import least_tile, tile_geometry

OUT_OF_MEMORY = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)  # the same class in torch >= 2.5


def input_sizes(models: list, height: int, width: int) -> list[tuple[int, int]]:
    """(height, width) of the frames each model of a chain gets from a source of height x width."""
    sizes = []
    for _, net in models:
        sizes.append((height, width))
        height, width = height * net.scale, width * net.scale
    return sizes


def smaller_tile(models: list, tile: int, overlap: int | None, height: int, width: int) -> int | None:
    """The tile to try after running out of memory with `tile` (0: whole frames) on a height x width source:
    half of it (or of the largest side a model gets), at least the least tile every model takes; None when
    that is no smaller than what ran out of memory."""
    largest = max(max(h, w) for h, w in input_sizes(models, height, width))
    current = min(tile, largest) if tile > 0 else largest
    least = max(least_tile(net, overlap) for _, net in models)
    half = max(-(-current // 2), least)
    return half if half < current else None


def whole_frames(net, tile: int, overlap: int | None, height: int, width: int) -> bool:
    """Whether `net` runs frames of height x width untiled with this tile (none, or one covering the frame)."""
    size = tile_geometry(net, tile, overlap)[0]
    return size <= 0 or (size >= height and size >= width)


def inexact(name: str, net, tile: int, overlap: int | None, height: int, width: int) -> str | None:
    """Why tiles of `tile` (with `overlap`) make `net`'s output differ from its untiled output, or None."""
    if whole_frames(net, tile, overlap, height, width):
        return None
    if net.kind == "recurrent":
        return f"{name} is recurrent (each tile carries its own hidden state)"
    if net.kind == "bidirectional":
        return f"{name} is bidirectional (each tile is run on its own)"
    context = tile_geometry(net, tile, overlap)[1]
    if context < net.receptive_radius:
        return f"with {context} pixels of overlap the tiles of {name} are inexact (its receptive radius is " \
               f"{net.receptive_radius})"
    return None


def tiles_differ(models: list, height: int, width: int, *tilings: tuple[int, int | None]) -> str | None:
    """Why changing between these (tile, overlap) pairs could change a chain's output, or None if it cannot."""
    for (name, net), (h, w) in zip(models, input_sizes(models, height, width)):
        for tile, overlap in tilings:
            reason = inexact(name, net, tile, overlap, h, w)
            if reason is not None:
                return reason
    return None


def free_memory(device: torch.device) -> None:
    """Returns what the dropped tensors of a failed attempt held to the GPU (after their last reference goes)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
