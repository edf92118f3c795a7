"""Pieces of the training loop's bookkeeping: step counter, LR schedule, atomic checkpoints, optimizer steps."""
from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import torch

from ..errors import GenvidError


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


def start_run(recipe, output_dir, resume: bool):
    """The run folder, its checkpoint folder and the Accelerator of a training run.

    Refuses to start over an existing run without `resume`; the Accelerator logs to TensorBoard in the
    run folder and runs on the CPU where torch sees no CUDA, so that processes started by torchrun /
    `accelerate launch --multi_gpu` on a CPU-only machine join one gloo group instead of each training
    alone.  Mixed precision is the recipe's `train.mixed_precision`, or where that is unset the launcher's
    (`accelerate launch --mixed_precision`, ACCELERATE_MIXED_PRECISION).  Sets the recipe's torch threads and seed."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    out = Path(output_dir or f"runs/{recipe.model.name}")
    ckpt = out / "checkpoints" / "last"
    recover_checkpoint(ckpt)
    if not resume and ckpt.exists():
        raise GenvidError(f"{out} already holds a run; pass --resume to continue it or choose another --output-dir")
    accelerator = Accelerator(mixed_precision=recipe.train.mixed_precision, log_with="tensorboard",
                              project_dir=str(out), cpu=not torch.cuda.is_available(),
                              gradient_accumulation_steps=recipe.train.grad_accum)
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


def check_precision(accelerator, with_critics: bool) -> None:
    """fp16 only on CUDA, and only without critics: Accelerate keeps one GradScaler for all optimizers, so a
    generator step would unscale the critics' half-accumulated gradients and update the scale twice a step."""
    if accelerator.mixed_precision != "fp16":
        return
    if with_critics:
        raise GenvidError("fp16 is refused for recipes with critics (GANs, the warp term's flow estimator): one loss "
                          "scaler cannot serve two optimizers; set train.mixed_precision: bf16 (it needs no scaler)")
    if accelerator.device.type != "cuda":
        raise GenvidError("fp16 training needs CUDA; set train.mixed_precision: bf16 (or no) on the CPU")


def to_device(batch, device: torch.device) -> list:
    """Every tensor of a batch on `device` (non-blocking: on CUDA the loader pins host memory); uint8 pictures
    become float in [0, 1] there, so a quarter of the bytes cross."""
    moved = [t.to(device, non_blocking=True) for t in batch]
    return [t.float() / 255.0 if t.dtype == torch.uint8 else t for t in moved]


def weighted(terms: dict, weights: dict[str, float]):
    """The sum of each loss term times its weight, looked up by its name (a term without one is a KeyError)."""
    return sum(weights[name] * value for name, value in terms.items())


def optimizer_step(accelerator, optimizer, parameters=None, max_norm: float = 0.0) -> None:
    """Clips `parameters`' gradients to `max_norm` once they are whole (the last micro-batch) and steps.

    Under fp16 only this optimizer's gradients are unscaled first (`accelerator.clip_grad_norm_` would
    unscale every prepared optimizer's); its step then updates the scale, once per step (one optimizer:
    `check_precision` refuses fp16 where there are two)."""
    if max_norm and accelerator.sync_gradients:
        if accelerator.scaler is not None:
            accelerator.scaler.unscale_(getattr(optimizer, "optimizer", optimizer))
        torch.nn.utils.clip_grad_norm_(list(parameters), max_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def out_of_time(accelerator, start: float, max_minutes: float | None) -> bool:
    """Whether `max_minutes` of wall time have passed since `start`, as every process agrees (the first
    process's clock decides, so that all stop at the same step)."""
    if not max_minutes:
        return False
    flag = torch.tensor([float(time.time() - start >= 60 * max_minutes)], device=accelerator.device)
    if accelerator.num_processes > 1:
        from accelerate.utils import broadcast

        flag = broadcast(flag, 0)
    return bool(flag.item())
