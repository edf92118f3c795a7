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
                 cuts_from: Stage | None = None, keep: int = 1, noise: NoiseLevel | None = None):
        super().__init__(model, device, autocast_dtype, tile, overlap, high_bit_depth, scene_threshold, cuts_from)
        self.noise = noise or NoiseLevel(model)  # a denoiser's noise-map level, per whole frame
        self.history: deque = deque(maxlen=keep)  # (next frame, previous frame, hidden per tile), newest last

    def needed_from(self, start: int, state: dict | None = None) -> int:
        at = state_frame(state)
        return at if at is not None and at <= start else 0

    def state_at(self, frame: int) -> dict[str, torch.Tensor] | None:
        """The state that resumes the stream at `frame` (on the CPU), if it is one of the kept ones."""
        for at, prev, hidden in self.history:
            if at == frame:
                state = {"frame": torch.tensor([at]), "prev": prev.cpu()}
                return state | {f"hidden.{i}": h.cpu() for i, h in enumerate(hidden)}
        return None

    @torch.inference_mode()
    def _encode(self, frame) -> tuple:
        x = self._input(frame)
        tiles, level = self._tiles(x), self.noise(x)
        with self._autocast():
            feats = [self.noise.encode(x[..., t.y0:t.y1, t.x0:t.x1], level) for t in tiles]
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
            return self._output(out[0], like), [h]
        blend, new = self._blender(x, exact=False), []
        for i, t in enumerate(tiles):
            crop = (..., slice(t.y0, t.y1), slice(t.x0, t.x1))
            with self._autocast():
                out, h = self.m.cell(x[crop], feats[i], ahead[i], None if prev is None else prev[crop],
                                     None if hidden is None else hidden[i])
            blend.add(t, out[0])
            new.append(h)
        return self._output(blend.result(), like), new

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


def state_frame(state: dict | None) -> int | None:
    """The frame a recurrent model's state resumes at."""
    return None if not state or "frame" not in state else int(state["frame"][0])
