"""Recurrent models' state at segment boundaries, kept in the work folder so that `--resume` stays exact.

A recurrent model's output at frame k depends on everything since its scene began, through its hidden
state.  When a segment is about to end at frame k (the writer decides it as frame k-1 is handed over),
the engine's state for frame k (`Enhancer.state_at`: the previous frame and the hidden state of each
tile) is written next to the segments as `state-<k>.safetensors`: to a temporary file, flushed, renamed
into place and the folder flushed, all before the segment is recorded in the manifest.  A resumed run
loads the state of the latest boundary at or before the frame it resumes from and runs the model from
there, so its frames are those of the uninterrupted run.  If none can be read, it gets no state and the
engine recomputes the state from the frames before (exact too, only slower) instead of failing.
"""
from __future__ import annotations

import os
import re

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .workdir import WorkFolder, fsync_file, fsync_folder, state_file

STATE_NAME = re.compile(r"state-(\d+)\.safetensors")


def save_state(work: WorkFolder, frame: int, state: dict[str, torch.Tensor] | None) -> None:
    """Writes the state that resumes at `frame` atomically into the work folder (nothing if None)."""
    if not state:
        return
    path = work.path / state_file(frame)
    tmp = path.with_name(path.name + ".tmp")
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp), metadata={"frame": str(frame)})
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_folder(work.path)


def load_state(work: WorkFolder, frame: int) -> dict[str, torch.Tensor] | None:
    """The kept state of the latest boundary at or before `frame` that can be read, or None."""
    if frame <= 0 or not work.path.is_dir():
        return None
    kept = sorted((int(m.group(1)), p) for p in work.path.iterdir() if (m := STATE_NAME.fullmatch(p.name)))
    for at, path in reversed(kept):
        if at <= frame:
            try:
                return load_file(str(path))
            except (OSError, SafetensorError):  # damaged: an earlier one will do
                continue
    return None


def state_keeper(work: WorkFolder, enhancer):
    """The writer's `on_boundary(frame)` for an enhancer with recurrent models (None for the others)."""
    if not enhancer.stateful:
        return None
    return lambda frame: save_state(work, frame, enhancer.state_at(frame))
