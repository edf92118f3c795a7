"""`genvid train`: one Accelerate training loop for every recipe, top to bottom.

One process: `genvid train RECIPE.yaml`.  Many: `accelerate launch --num_processes N -m genvid train ...`
(data-parallel; each process draws its own samples, see `StepSampler`).

The recipe's `model.task` picks its task (train/tasks.py): its typed recipe schema, networks, data and
objective (enhance_task.py: super-resolution, denoise, restore; synth_task.py: synthesis).  This loop
is the rest, the same for all.  Each optimizer step (over `train.grad_accum` micro-batches):
1. generator step: the task's generator loss terms, each weighted by name (`task.weights`), against
   critics frozen for it; its gradient norm clipped to `optim.grad_clip`;
2. critic step (recipes with critics): the task's critic terms, weighted the same way;
then the EMA of the generator, the log line, samples and validation (every process scores its share of
the clips), and checkpoints.  State (networks, both optimizers, scheduler, EMA, step, RNG) is saved with
`save_state` to OUTPUT/checkpoints/last; `--resume` continues the same run with the same data order.
The EMA generator is exported to OUTPUT/last.safetensors at every checkpoint, and to best.safetensors
by the validation score `train.select` (or the last, `select: last`), each with its card.

Mixed precision is `train.mixed_precision`, else the launcher's.  bf16 needs no loss scaler.  fp16 (CUDA)
is for recipes without critics: there its one GradScaler unscales the generator's gradients once, before
clipping, and updates once a step; with critics it would serve two optimizers, so it is refused.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader

from ..data.clips import StepSampler
from ..models.registry import export_model
from .config import load_recipe
from .state import (
    TrainState,
    check_precision,
    log_step,
    optimizer_step,
    out_of_time,
    save_checkpoint,
    start_run,
    to_device,
    weighted,
)
from .tasks import TASKS


def train(recipe_path: str, output_dir: str | None = None, max_steps: int | None = None,
          resume: bool = False, overrides: list[str] = (), max_minutes: float | None = None) -> dict:
    """Trains a recipe; `max_minutes` stops it cleanly (checkpoint and export, resumable) after that much wall
    time, whatever step it stands at: a time-bounded session on a lent GPU, say."""
    recipe, _ = load_recipe(recipe_path, overrides)
    if max_steps is not None:
        recipe.optim.max_steps = max_steps
    o, t = recipe.optim, recipe.train
    out, ckpt, accelerator = start_run(recipe, output_dir, resume)
    task = TASKS[recipe.model.task](recipe, recipe_path, accelerator)
    nets = task.nets  # "generator", then the critic side's networks
    check_precision(accelerator, with_critics=len(nets) > 1)
    accelerator.print(f"genvid train: {recipe.model.task}, {accelerator.num_processes} process(es) on "
                      f"{accelerator.device.type}, mixed precision {accelerator.mixed_precision}")

    # the generator's EMA, optimizer and schedule (stepped once per optimizer step by us: Accelerate would
    # step a prepared scheduler once per process); the critic side's optimizer
    ema = AveragedModel(nets["generator"], multi_avg_fn=get_ema_multi_avg_fn(t.ema_decay), use_buffers=True)
    opt = torch.optim.Adam(nets["generator"].parameters(), lr=o.lr, betas=o.betas, weight_decay=o.weight_decay)
    factor = o.lr_factor()  # step -> multiple of optim.lr; None: a constant rate
    sched = LambdaLR(opt, factor) if factor else None
    groups = task.critic_groups()
    opt_d = torch.optim.Adam(groups, betas=recipe.discriminator.betas) if groups else None

    # onto the device (DDP with many processes), in the checkpoint's order; then resume
    nets["generator"], opt = accelerator.prepare(nets["generator"], opt)
    for name in list(nets)[1:]:
        nets[name] = accelerator.prepare(nets[name])
    if opt_d is not None:
        opt_d = accelerator.prepare(opt_d)
    generator = nets["generator"]
    ema.to(accelerator.device)
    state = TrainState()
    accelerator.register_for_checkpointing(*[x for x in (ema, sched, state) if x is not None])
    if resume and ckpt.exists():
        accelerator.load_state(str(ckpt))
        accelerator.print(f"resumed {ckpt} at step {state.step}")
        # the saved optimizers hold the old run's rates: take this recipe's for the step the run stands at
        # (a resumed run may change optim.lr or optim.max_steps, and with it the schedule)
        opt.param_groups[0]["lr"] = o.lr * (factor(state.step) if factor else 1.0)
        if sched is not None:
            sched.base_lrs = [o.lr]
        for group, fresh in zip(opt_d.param_groups if opt_d else [], groups):
            group["lr"] = fresh["lr"]
    elif resume:
        accelerator.print(f"no checkpoint in {out}; starting a new run there")

    # data: micro-batch i is a function of (seed, i); the sampler starts where the run stands
    accum = t.grad_accum
    sampler = StepSampler(recipe.data.batch_size, state.step * accum, accelerator.process_index,
                          accelerator.num_processes, o.max_steps * accum)
    workers = recipe.data.num_workers
    loader = DataLoader(task.dataset(), batch_sampler=sampler, num_workers=workers, persistent_workers=workers > 0,
                        pin_memory=accelerator.device.type == "cuda")

    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.yaml").write_text(Path(recipe_path).read_text())
    accelerator.init_trackers("train", config={"recipe": str(recipe_path), "max_steps": o.max_steps})

    generator.train()
    t0, seen = time.time(), 0
    for micro, batch in enumerate(loader, start=state.step * accum):
        batch = to_device(batch, accelerator.device)
        with accelerator.accumulate(*nets.values()):
            # 1. generator step
            with accelerator.autocast():
                terms, carry = task.generator_step(batch, state.step, micro)
            loss = weighted(terms, task.weights)
            accelerator.backward(loss)
            optimizer_step(accelerator, opt, generator.parameters(), o.grad_clip)

            # 2. critic step
            if opt_d is not None:
                with accelerator.autocast():
                    critic_terms = task.critic_step(batch, carry, state.step)
                accelerator.backward(weighted(critic_terms, task.weights))
                optimizer_step(accelerator, opt_d)
                terms |= critic_terms

        if not accelerator.sync_gradients:
            continue
        if sched is not None:
            sched.step()
        ema.update_parameters(accelerator.unwrap_model(generator))
        state.step += 1
        seen += 1

        last = state.step >= o.max_steps or out_of_time(accelerator, t0, max_minutes)
        if state.step % t.log_every == 0 or last:
            log_step(accelerator, state.step, o.max_steps, loss, terms, opt.param_groups[0]["lr"],
                     seen / (time.time() - t0))
        if (state.step % task.sample_every == 0 or last) and accelerator.is_main_process:
            tracker = accelerator.get_tracker("tensorboard", unwrap=True)
            task.log_samples(tracker, ema.module, batch, carry, state.step)
        if task.val_every and (state.step % task.val_every == 0 or last):
            scores = task.validate(ema.module)  # every process scores its share, all get the means
            score = scores["model"][task.select_key] if scores else -math.inf
            accelerator.print(f"step {state.step} val {json.dumps(scores)}")
            if scores:
                accelerator.log({f"val/{k}": v for k, v in scores["model"].items()}, step=state.step)
            best = out / "best.safetensors"
            if accelerator.is_main_process and (task.select == "last" or score > state.best or not best.exists()):
                export_model(ema.module, best, task.card(state.step, scores or {}))
            state.best = max(state.best, score)
        if state.step % t.save_every == 0 or last:
            save_checkpoint(accelerator, ckpt)
            if accelerator.is_main_process:  # the EMA generator so far, ready to sample or measure
                export_model(ema.module, out / "last.safetensors", task.card(state.step, None))
        if last:
            break

    accelerator.wait_for_everyone()
    result = {"step": state.step, "processes": accelerator.num_processes, "seconds": round(time.time() - t0, 1)}
    if task.val_every:
        result[f"best_{task.select_key}"] = state.best
    if accelerator.is_main_process:
        (out / "result.json").write_text(json.dumps(result) + "\n")
    accelerator.end_training()
    return result
