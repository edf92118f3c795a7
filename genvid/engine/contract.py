"""What the engine needs from a model, declared by the model, checked when it is loaded.

Every model names its `kind` and declares, as integers, its `scale` (output pixels per input pixel),
its `receptive_radius` (input pixels on each side of a pixel, within one frame, that can change its
output: the tile overlap that makes tiling exact for sliding windows, and the default overlap for the
others) and its `input_multiple` (tiles start on this grid, e.g. 2 for a model that pixel-unshuffles by
2).  Each kind adds what its streamer calls:

- "window" (`SlidingWindowModel`): `window_radius` r; `encode(frame)` gives per-frame features, cached,
  and `decode(feats, centre)` the centre frame's output from the 2r+1 features of frames t-r .. t+r.
  A single-frame model is a window of radius 0 (encode returns the frame, decode runs the network).
  A model with a noise-level input (`noise_map = True`) also has `estimate_noise_level(frame)`, and its
  `encode(frame, noise_level)` takes the level.
- "recurrent" (`RecurrentModel`): `lookahead` (1: frame t's output needs frame t+1);
  `encode(frame)`, once per frame, and `cell(frame, feat, feat_ahead, prev_frame, hidden)` ->
  (output, hidden), `prev_frame` and `hidden` None at a scene's first frame.
- "bidirectional" (`BidirectionalModel`): `forward(clip)` on (B, T, 3, H, W) -> (B, T, 3, sH, sW),
  the whole clip at once (it propagates both ways); the engine runs it over chunks.

A model that lacks any of these is refused with one line naming what is missing; nothing is guessed.
A model may also declare `default_tile_overlap` (a smaller, inexact overlap for a very large radius).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn

from ..errors import GenvidError

COMMON = ("scale", "receptive_radius", "input_multiple")
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (integer attributes, methods)
    "window": (COMMON + ("window_radius",), ("encode", "decode")),
    "recurrent": (COMMON + ("lookahead",), ("encode", "cell")),
    "bidirectional": (COMMON, ("forward",)),
}


@runtime_checkable
class SlidingWindowModel(Protocol):
    kind: str  # "window"
    scale: int
    receptive_radius: int
    input_multiple: int
    window_radius: int

    def encode(self, frame: torch.Tensor) -> torch.Tensor: ...

    def decode(self, feats: list[torch.Tensor], centre: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class RecurrentModel(Protocol):
    kind: str  # "recurrent"
    scale: int
    receptive_radius: int
    input_multiple: int
    lookahead: int

    def encode(self, frame: torch.Tensor) -> torch.Tensor: ...

    def cell(self, frame: torch.Tensor, feat: torch.Tensor, feat_ahead: torch.Tensor, prev: torch.Tensor | None,
             hidden: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]: ...


@runtime_checkable
class BidirectionalModel(Protocol):
    kind: str  # "bidirectional"
    scale: int
    receptive_radius: int
    input_multiple: int

    def forward(self, clip: torch.Tensor) -> torch.Tensor: ...


def _has_method(model, name: str) -> bool:
    method = getattr(type(model), name, None)
    if name == "forward" and isinstance(model, nn.Module):  # nn.Module's own forward only raises
        return method is not None and method is not nn.Module.forward
    return callable(getattr(model, name, None))


def check_model(model, name: str | None = None) -> str:
    """The model's kind, or a one-line GenvidError naming what the model lacks for it."""
    label = f"'{name}' ({type(model).__name__})" if name else type(model).__name__
    kind = getattr(model, "kind", None)
    if kind not in KINDS:
        said = "declares no kind" if kind is None else f"declares kind {kind!r}"
        raise GenvidError(f"model {label} {said}; the engine runs kind window, recurrent or bidirectional")
    attributes, methods = KINDS[kind]
    missing = [a for a in attributes if not isinstance(getattr(model, a, None), int)]
    missing += [f"{m}()" for m in methods if not _has_method(model, m)]
    if getattr(model, "noise_map", False) and not _has_method(model, "estimate_noise_level"):
        missing.append("estimate_noise_level()")
    if missing:
        raise GenvidError(f"model {label} (kind {kind}) lacks {', '.join(missing)}; declare them on the model")
    bad = [a for a in ("scale", "input_multiple") if getattr(model, a) < 1]
    bad += [a for a in ("receptive_radius", "window_radius") if getattr(model, a, 0) < 0]
    if kind == "recurrent" and model.lookahead != 1:
        bad.append("lookahead (the engine runs recurrent models with a look-ahead of 1 frame)")
    if bad:
        raise GenvidError(f"model {label} (kind {kind}) declares an invalid {', '.join(bad)}")
    card_kind = (getattr(model, "card", None) or {}).get("kind")
    if card_kind is not None and card_kind != kind:
        raise GenvidError(f"model {label} is of kind {kind} but its card says {card_kind}")
    return kind


def default_overlap(model) -> int:
    """Tile context in input pixels when none is given: `default_tile_overlap`, else the receptive radius."""
    return int(getattr(model, "default_tile_overlap", model.receptive_radius))
