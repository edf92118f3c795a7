"""`genvid train`: the Accelerate training loop, top to bottom.

One process: `genvid train RECIPE.yaml`.  Many: `accelerate launch --num_processes N -m genvid train ...`
(data-parallel; each process draws its own samples, see `StepSampler`).  State (model, optimizer,
scheduler, EMA, step, RNG) is saved with `save_state` to OUTPUT/checkpoints/last and `--resume` continues
the same run.  The best EMA weights by validation PSNR-Y are exported to OUTPUT/best.safetensors
with a card; the last EMA weights to OUTPUT/last.safetensors.
"""
from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader

from ..data.clips import ClipDataset, StepSampler
from ..data.degrade import build_degradation
from ..errors import GenvidError
from ..losses.pixel import charbonnier
from ..metrics.sr_protocol import evaluate_sr
from ..models.registry import build_model, load_model
from .config import load_recipe
from .export import export_model


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


def train(recipe_path: str, output_dir: str | None = None, max_steps: int | None = None,
          resume: bool = False, overrides: list[str] = ()) -> dict:
    recipe, tree = load_recipe(recipe_path, overrides)
    if max_steps is not None:
        recipe.optim.max_steps = max_steps
    out = Path(output_dir or f"runs/{recipe.model.name}")
    ckpt = out / "checkpoints" / "last"
    if not ckpt.exists() and ckpt.with_name("last.old").exists():  # killed between the two renames below
        ckpt.with_name("last.old").rename(ckpt)
    if not resume and ckpt.exists():
        raise GenvidError(f"{out} already holds a run; pass --resume to continue it or choose another --output-dir")

    # cpu=True without CUDA, so that processes started by torchrun / `accelerate launch --multi_gpu` on a
    # CPU-only machine join one gloo group instead of each training alone
    accelerator = Accelerator(mixed_precision=recipe.train.mixed_precision, log_with="tensorboard",
                              project_dir=str(out), cpu=not torch.cuda.is_available())
    if recipe.train.threads:
        torch.set_num_threads(recipe.train.threads)
    set_seed(recipe.train.seed)

    # networks, optimizer, schedule, EMA
    model = build_model(recipe.model.arch, recipe.model.args)
    if recipe.model.init_from:
        model.load_state_dict(load_model(recipe.model.init_from).state_dict())
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.train.ema_decay), use_buffers=True)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.optim.lr, betas=recipe.optim.betas,
                           weight_decay=recipe.optim.weight_decay)
    # stepped once per optimizer step by us (Accelerate would step a prepared scheduler once per process)
    sched = LambdaLR(opt, warmup_cosine(recipe.optim.warmup_steps, recipe.optim.max_steps,
                                        recipe.optim.min_lr / recipe.optim.lr))
    model, opt = accelerator.prepare(model, opt)
    ema.to(accelerator.device)
    state = TrainState()
    for obj in (ema, sched, state):
        accelerator.register_for_checkpointing(obj)
    if resume and ckpt.exists():
        accelerator.load_state(str(ckpt))
        accelerator.print(f"resumed {ckpt} at step {state.step}")
    elif resume:
        accelerator.print(f"no checkpoint in {out}; starting a new run there")

    # data: sample i is a function of (seed, i); the sampler starts where the run stands
    d = recipe.data
    dataset = ClipDataset(d.train, build_degradation(d.degradation, d.scale), d.scale, d.clip_frames,
                          d.patch, seed=recipe.train.seed, max_frames=d.max_frames)
    sampler = StepSampler(d.batch_size, state.step, accelerator.process_index, accelerator.num_processes,
                          recipe.optim.max_steps)
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=d.num_workers,
                        persistent_workers=d.num_workers > 0)

    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.yaml").write_text(Path(recipe_path).read_text())
    accelerator.init_trackers("train", config={"recipe": str(recipe_path), "max_steps": recipe.optim.max_steps})

    def save_checkpoint():
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

    def card(scores: dict | None) -> dict:
        return {"name": recipe.model.name, "task": recipe.model.task, "scale": d.scale,
                "arch": recipe.model.arch, "args": recipe.model.args,
                "description": recipe.model.description,
                "recipe": str(recipe_path), "training_data": d.train, "degradation": d.degradation,
                "steps": state.step, "validation": scores}

    def validate():
        scores = evaluate_sr(ema.module, d.val, d.scale, accelerator.device) if d.val else None
        psnr = scores["model"]["psnr_y"] if scores else -math.inf
        accelerator.print(f"step {state.step} val {json.dumps(scores)}")
        if scores:
            accelerator.log({f"val/{k}": v for k, v in scores["model"].items()}, step=state.step)
        if psnr > state.best or not (out / "best.safetensors").exists():
            state.best = max(state.best, psnr)
            export_model(ema.module, out / "best.safetensors", card({"data": d.val, "protocol": "BI x4",
                                                                    **(scores or {})}))

    model.train()
    t0, seen = time.time(), 0
    for lr_clip, hr_clip in loader:
        lr_clip, hr_clip = lr_clip.to(accelerator.device), hr_clip.to(accelerator.device)
        with accelerator.autocast():
            loss = recipe.loss.charbonnier * charbonnier(model(lr_clip), hr_clip, recipe.loss.charbonnier_eps)
        accelerator.backward(loss)
        if recipe.optim.grad_clip:
            accelerator.clip_grad_norm_(model.parameters(), recipe.optim.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sched.step()
        ema.update_parameters(accelerator.unwrap_model(model))
        state.step += 1
        seen += 1

        last = state.step >= recipe.optim.max_steps
        if state.step % recipe.train.log_every == 0 or last:
            rate = seen / (time.time() - t0)
            accelerator.log({"train/loss": loss.item(), "train/lr": sched.get_last_lr()[0]}, step=state.step)
            accelerator.print(f"step {state.step}/{recipe.optim.max_steps} loss {loss.item():.5f} "
                              f"lr {sched.get_last_lr()[0]:.2e} {rate:.2f} steps/s")
        if (state.step % recipe.train.val_every == 0 or last) and accelerator.is_main_process:
            validate()
        if state.step % recipe.train.save_every == 0 or last:
            save_checkpoint()
        if last:
            break

    accelerator.wait_for_everyone()
    result = {"step": state.step, "best_psnr_y": state.best, "processes": accelerator.num_processes}
    if accelerator.is_main_process:
        export_model(ema.module, out / "last.safetensors", card(None))
        (out / "result.json").write_text(json.dumps(result) + "\n")
    accelerator.end_training()
    return result
