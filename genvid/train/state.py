"""Pieces of the training loop's bookkeeping: step counter, LR schedule, atomic checkpoints."""
from __future__ import annotations

import math
import shutil
from pathlib import Path


class TrainState:
    """Step and best score, saved and restored with the Accelerate state."""

    def __init__(self):
        self.step, self.best = 0, -math.inf

    def state_dict(self) -> dict:
        return {"step": self.step, "best": self.best}

    def load_state_dict(self, d: dict) -> None:
        self.step, self.best = int(d["step"]), float(d["best"])


def warmup_cosine(warmup: int, total: int, min_ratio: float):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


def recover_checkpoint(ckpt: Path) -> None:
    """A run killed between the two renames of `save_checkpoint` left only last.old: use it."""
    if not ckpt.exists() and ckpt.with_name("last.old").exists():
        ckpt.with_name("last.old").rename(ckpt)


def save_checkpoint(accelerator, ckpt: Path) -> None:
    """save_state into last.tmp, then swap it in for `ckpt`: a crash never leaves a half checkpoint."""
    tmp = ckpt.with_name("last.tmp")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)  # a save cut short by a crash
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    if accelerator.is_main_process:
        old = ckpt.with_name("last.old")
        if ckpt.exists():
            ckpt.rename(old)
        tmp.rename(ckpt)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
