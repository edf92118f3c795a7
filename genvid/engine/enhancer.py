"""`genvid.Enhancer`: the in-memory API of the engine.  Frames in, enhanced frames out, any length.

    from genvid import Enhancer
    enhancer = Enhancer("sr-x4", device="auto", precision="auto")
    for out in enhancer(frames):          # frames: any iterable of (H, W, 3) uint8/uint16 arrays
        ...                               # or of (3, H, W) float tensors in [0, 1]

`model` is a shipped name, a .safetensors path, an `nn.Module` that declares its kind (`contract.py`),
or a chain of them ("denoise,sr-x4", or a list), run in order in one pass.  Each model is streamed by
the streamer of its kind: sliding windows over cached features (`stream.py`), recurrent models frame by
frame with their state carried (`recurrent.py`), bidirectional ones over chunks with context
(`chunked.py`); memory is bounded whatever the length.  Scene cuts (`scene_threshold`, None for none)
reset every model's temporal context.  Numpy frames come back as numpy frames (rounded to 8 bits, or
16 for 16-bit input or with `high_bit_depth`), tensors as float tensors on the device.

On a device: `batch` frames go through a sliding-window model in one call (recurrent and bidirectional
models batch their tiles), "auto" choosing 1 on the CPU and up to 8 on a GPU from its free memory;
weights are cast once to the run's precision, channels-last and cudnn's autotuning on CUDA, and with
`compile` the models' per-frame methods go through torch.compile (fixed shapes).  Frames travel in
pinned memory and are converted and rounded on the device (`frames.py`).

Resuming: `run(frames, start=k, state=s)` gives frames k onwards of what `run(frames)` gives, given all
the frames from the first (they pass the cut detector; only the context goes through the models).
`state_at(k)`, asked while frame k-1 is the last one taken from `run`, holds what recurrent models need to
resume at k (named tensors, for safetensors); without it they recompute their state, exactly, from the
frames before k.  File jobs (`genvid.enhance`) keep it beside their segments.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import torch

from .chain import ChainStreamer, build_stages, load_models
from .device import check_batch, check_compile, pick_device, pick_precision
from .scenes import DEFAULT_THRESHOLD


class Enhancer:
    def __init__(self, model, device: str | torch.device = "auto", precision: str | torch.dtype | None = "auto", *,
                 tile: int = 0, tile_overlap: int | None = None, scene_threshold: float | None = DEFAULT_THRESHOLD,
                 sigma: float | None = None, strength: float = 1.0, chunk_frames: int | None = None,
                 chunk_context: int | None = None, batch: int | str | None = "auto", compile: bool = False):
        self.device = pick_device(device)
        self.dtype = pick_precision(precision, self.device) if isinstance(precision, str) else precision
        self.batch = check_batch(batch)  # None: auto
        if compile:
            check_compile()
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed frame sizes: each layer's fastest kernel, found once
        self.models = load_models(model, self.device, self.dtype, compile)
        self._stages = dict(overlap=tile_overlap, scene_threshold=scene_threshold, sigma=sigma, strength=strength,
                            chunk=chunk_frames, context=chunk_context, batch=self.batch)
        self.retile(tile)
        self._next = 0  # the next output frame of the current run

    @property
    def scale(self) -> int:
        return math.prod(s.scale for s in self.chain.streamers)

    @property
    def kinds(self) -> list[str]:
        return [net.kind for _, net in self.models]

    @property
    def stateful(self) -> bool:
        """Whether `state_at` can hold anything (a recurrent model is in the chain)."""
        return "recurrent" in self.kinds

    @property
    def tile_overlaps(self) -> list[int]:
        """Each model's tile context in its input pixels, as used (rounded up to its input multiple)."""
        return [s.overlap for s in self.chain.streamers]

    def retile(self, tile: int) -> None:
        """Tiles of `tile` input pixels (0: whole frames) from the next `run` on; the models stay loaded."""
        self.tile = tile
        self.chain = ChainStreamer(build_stages(self.models, self.device, self.dtype, tile=tile, **self._stages))

    @property
    def cuts(self) -> list[int]:
        """The frames that started a new scene in the last run, so far."""
        return self.chain.cuts

    def run(self, frames: Iterable, start: int = 0, state: dict | None = None,
            high_bit_depth: bool | None = None) -> Iterator:
        """The enhanced frames from `start` (`frames` from the first); `high_bit_depth` forces 16-bit (True)
        or 8-bit (False) numpy output, else it follows the input."""
        self.chain.streamers[-1].high_bit_depth = high_bit_depth
        self._next = start
        for out in self.chain.run(frames, start=start, state=state):
            self._next += 1
            yield out

    __call__ = run

    def state_at(self, frame: int | None = None) -> dict[str, torch.Tensor] | None:
        """What resumes the recurrent models at output `frame` (default: the next one `run` yields)."""
        return self.chain.state_at(self._next if frame is None else frame)
