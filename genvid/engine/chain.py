"""Chains of models ("denoise,sr-x4") in one pass, each model streamed by the streamer of its kind.

Each model's streamer pulls the frames the one before it yields, as they are produced, so memory stays
bounded per model whatever the length.  Between models numpy frames are rounded to the source's depth
(8 bits, or 16 for deeper sources), exactly as if each model had written a lossless file for the next
to read, but on the device (`frames.DeviceFrame`: no copy to the host and back); tensor frames go on as
floats.

Scene cuts are found once, on the source, by the first model's streamer; the later ones stop at the
same frames.  Resuming at output frame S, each model is asked from which of its input frames it needs
input (`needed_from`: a window's radius before, the chunk holding the frame with its context, a recurrent
model's kept state or else the start), going back from the last model, and the model before it produces
from there: so the resumed frames are those the uninterrupted run makes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import torch
from torch import nn

from ..errors import GenvidError
from .chunked import ChunkedStreamer
from .contract import check_model
from .device import MAX_AUTO_BATCH, model_precision, prepare_model
from .noise import NoiseLevel
from .recurrent import RecurrentStreamer, state_frame
from .stream import Streamer
from .window import WindowModel


def model_chain(model) -> list[str]:
    """'denoise,sr-x4' or ['denoise', 'sr-x4'] -> the model names (or paths) in order; an existing file
    whose name has a comma is one model."""
    if isinstance(model, (list, tuple)):
        names = [str(m).strip() for m in model]
    else:
        model = str(model)
        names = [model] if Path(model).exists() else [m.strip() for m in model.split(",")]
    if not names or not all(names):
        raise GenvidError(f"--model '{model}' names an empty model; give names separated by commas, e.g. denoise,sr-x4")
    return names


def load_models(model, device: torch.device, dtype: torch.dtype | None = None,
                compile: bool = False) -> list[tuple[str, nn.Module]]:
    """(name, module) of each model of a chain: names or paths ("denoise,sr-x4", a list) are loaded, modules
    are taken as they are (a copy when the run changes them); each is checked against the contract of its
    kind and prepared for the run (`device.prepare_model`: weights in `dtype`, channels-last on CUDA,
    `compile`)."""
    from ..models.registry import load_model

    items = list(model) if isinstance(model, (list, tuple)) else [model]
    if not any(isinstance(m, nn.Module) for m in items):
        items = model_chain(model)
    loaded = []
    for item in items:
        if isinstance(item, nn.Module):
            name, net = type(item).__name__, item.eval().to(device)
        else:
            name, net = str(item), load_model(str(item), device)
        if (getattr(net, "card", None) or {}).get("task") == "synthesis":
            raise GenvidError(f"model '{name}' makes videos from noise (task synthesis) and cannot enhance one; "
                              f"use `genvid synth --model {name} OUTDIR`")
        check_model(net, name)
        loaded.append((name, prepare_model(net, name, device, model_precision(net, dtype), compile=compile,
                                           copy=isinstance(item, nn.Module))))
    return loaded


def build_stages(models: list[tuple[str, nn.Module]], device, autocast_dtype, *, tile: int = 0,
                 overlap: int | None = None, scene_threshold: float | None = None, sigma: float | None = None,
                 strength: float = 1.0, chunk: int | None = None, context: int | None = None,
                 batch: int | None = 1) -> list:
    """One streamer per model; the first finds the scene cuts, the later ones read them; every model but
    the last hands its frames on on the device.  `batch`: frames (tiles) per call, None for auto.  Each
    runs in `autocast_dtype`, or in fp32 if the model says it cannot run in it (`device.model_precision`)."""
    noises = {name: NoiseLevel(net, sigma, strength) for name, net in models}
    windows = {name: WindowModel(net, name=name, noise=noises[name]) for name, net in models if net.kind == "window"}
    if (sigma is not None or strength != 1.0) and not any(n.noise_map for n in noises.values()):
        names = ", ".join(name for name, _ in models)
        raise GenvidError(f"--sigma and --strength set the noise level of a denoiser; {names} has no noise-level "
                          "input (use e.g. --model denoise)")
    stages: list = []
    for i, (name, net) in enumerate(models):
        common = dict(device=device, autocast_dtype=model_precision(net, autocast_dtype), tile=tile, overlap=overlap,
                      scene_threshold=scene_threshold if i == 0 else None, cuts_from=stages[0] if i else None,
                      batch=batch, on_device=i < len(models) - 1)
        if net.kind == "window":
            stages.append(Streamer(windows[name], **common))
        elif net.kind == "recurrent":
            keep = _keep(models[i + 1:], batch, device)
            stages.append(RecurrentStreamer(net, keep=keep, noise=noises[name], **common))
        else:
            stages.append(ChunkedStreamer(net, chunk=chunk, context=context, **common))
    return stages


def _keep(later: list[tuple[str, nn.Module]], batch: int | None = 1, device="cpu") -> int:
    """States a recurrent model keeps: later models hold it ahead of the output, and resume it further back
    (a window model batching B frames reads up to 2 (B - 1) frames further ahead)."""
    if any(net.kind == "bidirectional" for _, net in later):
        return 1  # resumed from the start (a chunk's context reaches too far back to keep states for)
    if batch is None:  # auto: 1 on the CPU, at most MAX_AUTO_BATCH on a GPU
        batch = MAX_AUTO_BATCH if torch.device(device).type == "cuda" else 1
    ahead = 2 * (batch - 1)
    return 1 + sum(2 * net.window_radius + ahead if net.kind == "window" else net.lookahead for _, net in later)


class ChainStreamer:
    """Streamers of the models in order; `run(frames, start, state)` yields the last model's frames from
    `start`; `state_at(frame)` gives what resumes recurrent models at output frame `frame`."""

    def __init__(self, stages: list):
        self.streamers = stages

    @property
    def cuts(self) -> list[int]:
        return self.streamers[0].cuts

    def _begins(self, start: int, state: dict | None) -> list[int]:
        """The first output frame each model produces to resume the chain at `start`."""
        begins, b = [0] * len(self.streamers), start
        for i in reversed(range(len(self.streamers))):
            begins[i] = b
            b = self.streamers[i].needed_from(b, stage_state(state, i))
        return begins

    def run(self, frames: Iterable, start: int = 0, state: dict | None = None) -> Iterator:
        begins = self._begins(start, state)
        first = 0  # index of the first frame the next streamer is given
        for i, s in enumerate(self.streamers):
            frames = s.run(frames, start=begins[i], first=first, state=stage_state(state, i))
            first = begins[i]
        return frames

    def state_at(self, frame: int) -> dict[str, torch.Tensor] | None:
        """Named tensors that resume every recurrent model of the chain at output `frame`; None if there is
        none, or if one of them no longer holds the state it needs (the resumed run then recomputes it)."""
        state, b = {}, frame
        for i in reversed(range(len(self.streamers))):
            s = self.streamers[i]
            if isinstance(s, RecurrentStreamer):
                own = s.state_at(b)
                if own is None:
                    return None
                state |= {f"{i}.{k}": v for k, v in own.items()}
                b = s.needed_from(b, own)
            else:
                b = s.needed_from(b)
        return state or None


def stage_state(state: dict | None, i: int) -> dict | None:
    """Model i's part of a chain's state (names without the "i." prefix)."""
    if not state:
        return None
    own = {k.split(".", 1)[1]: v for k, v in state.items() if k.split(".", 1)[0] == str(i)}
    return own if state_frame(own) is not None else None
