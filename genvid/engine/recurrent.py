"""The recurrent kind, streamed: frame by frame, the hidden state carried forward, memory flat in length.

Each frame is encoded once (`model.encode`), when it arrives; frame t is produced once frame t+1 has
arrived (the look-ahead, whose features are cached and become frame t+1's own), by
`model.cell(x_t, feat_t, feat_t+1, x_t-1, hidden_t-1)`.  At a scene's first frame the previous frame and
the hidden state are None (the state resets), and at a scene's last frame the look-ahead is the frame
itself, so each scene comes out exactly as the model's `forward` gives it as a clip of its own.

State for resuming: after frame t, `(x_t, hidden_t)` (one hidden state per tile) is all that frame t+1
needs, so `state_at(t + 1)` gives it as named tensors and `run(frames, start, state=...)` takes it up
again: the model then runs from the state's frame (any frame at or before `start`), and the frames
before it only pass the cut detector.  Without a state, the model runs from the first frame it is given,
resetting at every cut on the way, which is exact too, only slower.

Tiles of the same shape go through `encode` and `cell` together, up to `batch` at a time (frames stay
in time order: frame t+1 needs frame t's state).

Tiling: each tile carries its own hidden state and its own optical flow, estimated on the tile alone,
so motion that crosses a tile's border is seen differently from the whole frame and the output differs
from untiled output (the tiles are blended over half their overlap to hide the seams); see the README,
"Recurrent and bidirectional models", for the measured difference.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import torch

from ..errors import GenvidError
from .noise import NoiseLevel
from .stage import Stage


class RecurrentStreamer(Stage):
    """`keep`: how many of the latest states stay available to `state_at` (a chain asks for one a few
    frames back, when later models hold frames of context)."""

    def __init__(self, model, device, autocast_dtype: torch.dtype | None = None, tile: int = 0,
                 overlap: int | None = None, high_bit_depth: bool | None = None, scene_threshold: float | None = None,
                 cuts_from: Stage | None = None, keep: int = 1, noise: NoiseLevel | None = None,
                 batch: int | None = 1, on_device: bool = False):
        super().__init__(model, device, autocast_dtype, tile, overlap, high_bit_depth, scene_threshold, cuts_from,
                         batch, on_device)
        self.noise = noise or NoiseLevel(model)  # a denoiser's noise-map level, per whole frame
        self.history: deque = deque(maxlen=keep)  # (next frame, previous frame, hidden per tile), newest last

    def needed_from(self, start: int, state: dict | None = None) -> int:
        at = state_frame(state)
        return at if at is not None and at <= start else 0

    def state_at(self, frame: int) -> dict[str, torch.Tensor] | None:
        """The state that resumes the stream at `frame` (on the CPU), if it is one of the kept ones."""
        for at, prev, hidden in self.history:
            if at == frame:
                state = {"frame": torch.tensor([at]), "prev": prev.to("cpu", copy=True)}
                # copies: a tile's state may be a view of its batch's (safetensors keeps no shared memory)
                return state | {f"hidden.{i}": h.to("cpu", copy=True) for i, h in enumerate(hidden)}
        return None

    @torch.inference_mode()
    def _encode(self, frame) -> tuple:
        x = self._inputs([frame])
        tiles, level = self._tiles(x), self.noise(x)
        feats: list = [None] * len(tiles)
        for group in self._groups(tiles, self.batch_size(*x.shape[-2:])):
            with self._autocast():
                out = self.noise.encode(_cat([_crop(x, tiles[i]) for i in group]), level)
            for k, i in enumerate(group):
                feats[i] = out[k:k + 1]
        return x, tiles, feats, frame

    @torch.inference_mode()
    def _step(self, cur: tuple, ahead: list, prev: torch.Tensor | None, hidden: list | None):
        x, tiles, feats, like = cur
        if hidden is not None and len(hidden) != len(tiles):
            raise GenvidError(f"the resume state holds {len(hidden)} tiles' hidden states; the frames make "
                              f"{len(tiles)} tiles")
        if len(tiles) == 1:
            with self._autocast():
                out, h = self.m.cell(x, feats[0], ahead[0], prev, None if hidden is None else hidden[0])
            return self._outputs(out, [like])[0], [h]
        outs: list = [None] * len(tiles)
        new: list = [None] * len(tiles)
        for group in self._groups(tiles, self.batch_size(*x.shape[-2:])):  # tiles of one shape, in one call
            with self._autocast():
                out, h = self.m.cell(_cat([_crop(x, tiles[i]) for i in group]), _cat([feats[i] for i in group]),
                                     _cat([ahead[i] for i in group]),
                                     None if prev is None else _cat([_crop(prev, tiles[i]) for i in group]),
                                     None if hidden is None else _cat([hidden[i] for i in group]))
            for k, i in enumerate(group):
                outs[i], new[i] = out[k], h[k:k + 1]
        blend = self._blender(x, exact=False)
        for t, out in zip(tiles, outs):
            blend.add(t, out)
        return self._outputs(blend.result()[None], [like])[0], new

    def _restore(self, state: dict) -> tuple[torch.Tensor, list]:
        count = sum(k.startswith("hidden.") for k in state)
        try:
            return state["prev"].to(self.device), [state[f"hidden.{i}"].to(self.device) for i in range(count)]
        except KeyError as e:
            raise GenvidError(f"the resume state of a recurrent model lacks {e.args[0]}") from None

    def run(self, frames: Iterable, start: int = 0, first: int = 0, state: dict | None = None) -> Iterator:
        """Frames `start` onwards; `frames` begins with frame `first`; `state` (from `state_at`) resumes."""
        at = state_frame(state)
        begin = at if at is not None and first <= at <= start else first  # where the model starts
        prev, hidden = self._restore(state) if begin == at else (None, None)
        detector = self._detector()
        self.history.clear()
        pending = None  # frame t, encoded, waiting for frame t+1
        n = first
        for frame in frames:
            self._see(detector, frame, n)
            cur = self._encode(frame) if n >= begin else None
            if pending is not None:
                out, prev, hidden = self._produce(n - 1, pending, cur, prev, hidden)
                if n - 1 >= start:
                    yield out
            pending, n = cur, n + 1
        if pending is not None:
            out, _, _ = self._produce(n - 1, pending, None, prev, hidden)
            if n - 1 >= start:
                yield out

    def _produce(self, t: int, cur: tuple, ahead: tuple | None, prev, hidden):
        """Output t and the state after it; `ahead` is frame t+1 (None at the end of the frames)."""
        if self.is_cut(t):
            prev = hidden = None
        if ahead is None or self.is_cut(t + 1):  # the scene ends at t: it is its own look-ahead
            ahead = cur
        out, hidden = self._step(cur, ahead[2], prev, hidden)
        self.history.append((t + 1, cur[0], hidden))
        return out, cur[0], hidden


def _crop(x: torch.Tensor, t) -> torch.Tensor:
    return x[..., t.y0:t.y1, t.x0:t.x1]


def _cat(parts: list[torch.Tensor]) -> torch.Tensor:
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def state_frame(state: dict | None) -> int | None:
    """The frame a recurrent model's state resumes at."""
    return None if not state or "frame" not in state else int(state["frame"][0])
