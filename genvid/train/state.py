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


def start_run(recipe, output_dir, resume: bool, **accelerator_options):
    """The run folder, its checkpoint folder and the Accelerator of a training run, for both loops.

    Refuses to start over an existing run without `resume`; the Accelerator logs to TensorBoard in the
    run folder and runs on the CPU where torch sees no CUDA, so that processes started by torchrun /
    `accelerate launch --multi_gpu` on a CPU-only machine join one gloo group instead of each training
    alone.  Sets the recipe's torch threads and seed."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    from ..errors import GenvidError

    out = Path(output_dir or f"runs/{recipe.model.name}")
    ckpt = out / "checkpoints" / "last"
    recover_checkpoint(ckpt)
    if not resume and ckpt.exists():
        raise GenvidError(f"{out} already holds a run; pass --resume to continue it or choose another --output-dir")
    accelerator = Accelerator(mixed_precision=recipe.train.mixed_precision, log_with="tensorboard",
                              project_dir=str(out), cpu=not torch.cuda.is_available(), **accelerator_options)
    if recipe.train.threads:
        torch.set_num_threads(recipe.train.threads)
    set_seed(recipe.train.seed)
    return out, ckpt, accelerator


def log_step(accelerator, step: int, max_steps: int, loss, terms: dict, lr: float, rate: float) -> None:
    """Every loss term, the total and the learning rate to the trackers, and one progress line."""
    values = {k: v.item() for k, v in terms.items()}
    accelerator.log({**{f"train/{k}": v for k, v in values.items()}, "train/loss": loss.item(), "train/lr": lr},
                    step=step)
    accelerator.print(f"step {step}/{max_steps} loss {loss.item():.5f} "
                      + " ".join(f"{k} {v:.5f}" for k, v in values.items()) + f" lr {lr:.2e} {rate:.2f} steps/s")
