"""`genvid train`: the Accelerate training loop, top to bottom, for plain and GAN recipes.

One process: `genvid train RECIPE.yaml`.  Many: `accelerate launch --num_processes N -m genvid train ...`
(data-parallel; each process draws its own samples, see `StepSampler`).

Each optimizer step (over `train.grad_accum` micro-batches):
1. generator step: pixel (Charbonnier, L1), perceptual (LPIPS), ping-pong and warp-consistency terms,
   and, when the recipe names discriminators, adversarial and feature-matching terms from critics whose
   parameters are frozen for this step;
2. critic step (GAN recipes): each discriminator's loss on real and generated clips in one forward,
   a lazy R1 penalty on real inputs every `loss.r1_every` steps (correct under fp16's GradScaler), and
   the photometric loss that trains the flow estimator used by the warp term.
Every term is weighted in the recipe and logged to TensorBoard with sample frames.  State (networks,
both optimizers, scheduler, EMA of the generator, step, RNG) is saved with `save_state` to
OUTPUT/checkpoints/last; `--resume` continues the same run with the same data order.  EMA weights are
exported to OUTPUT/best.safetensors (by the validation score `train.select`, or the last when
`train.select: last`) and OUTPUT/last.safetensors, each with a card.

Recipes with `model.task: synthesis` (video GANs from noise) go to `synth_loop.train_synthesis`.

Scale-1 models (denoise, restore) train the same way; validation follows the recipe's `model.task`
(super-resolution: `sr_protocol`; denoise, restore: `restore_protocol`), with `data.val_options` as the
protocol's arguments.  A model with a noise-level input (`noise_map`) gets, per frame, the blind estimate
(`models/noise_level.py`), or for a clip with exactly known Gaussian noise, with chance
`data.known_sigma_prob`, its true sigma: so it learns what the estimate means, as it will meet it blind.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader

from ..data.clips import ClipDataset, StepSampler
from ..data.degrade import build_degradation
from ..errors import GenvidError
from ..losses.adversarial import (
    GAN_KINDS,
    discriminator_loss,
    feature_matching,
    generator_loss,
    r1_penalty,
)
from ..losses.perceptual import lpips_available
from ..losses.pixel import charbonnier
from ..losses.temporal import photometric_loss, pingpong_loss, warp_consistency
from ..metrics.restore_protocol import evaluate_denoise, evaluate_restore
from ..metrics.sr_protocol import evaluate_sr
from ..models.discriminators import CriticSet
from ..models.flow import FlowEstimator
from ..models.noise_level import estimate_noise_level
from ..models.registry import build_model, load_model
from .config import load_recipe
from .export import export_model
from .warm_start import warm_start
from .state import TrainState, log_step, save_checkpoint, start_run, warmup_cosine


def build_perceptual(loss, device):
    """The LPIPS loss module, None when its weight is 0 or (lpips_missing: skip) its backbone is absent."""
    if loss.lpips <= 0:
        return None, "off"
    from ..losses.perceptual import LPIPSLoss

    try:
        return LPIPSLoss(net=loss.lpips_net, backbone_path=loss.lpips_backbone).to(device), "on"
    except GenvidError as e:
        if loss.lpips_missing != "skip":
            raise
        return None, f"skipped: {e}"


def train(recipe_path: str, output_dir: str | None = None, max_steps: int | None = None,
          resume: bool = False, overrides: list[str] = ()) -> dict:
    recipe, _ = load_recipe(recipe_path, overrides)
    if max_steps is not None:
        recipe.optim.max_steps = max_steps
    if recipe.model.task == "synthesis":
        from .synth_loop import train_synthesis

        return train_synthesis(recipe, recipe_path, output_dir, resume)
    d, lw, dc = recipe.data, recipe.loss, recipe.discriminator
    if lw.gan not in GAN_KINDS:
        raise GenvidError(f"unknown loss.gan '{lw.gan}' in {recipe_path}; known: {', '.join(GAN_KINDS)}")
    if "spatiotemporal" in dc.kinds and d.clip_frames < dc.window:
        raise GenvidError(f"data.clip_frames {d.clip_frames} is shorter than discriminator.window {dc.window}")
    out, ckpt, accelerator = start_run(recipe, output_dir, resume,
                                       gradient_accumulation_steps=recipe.train.grad_accum)

    # generator, its optimizer, schedule and EMA
    model = build_model(recipe.model.arch, recipe.model.args)
    if recipe.model.init_from:
        model.load_state_dict(load_model(recipe.model.init_from).state_dict())
    warm_start(model, recipe.model, accelerator.print)
    noise_map = bool(getattr(model, "noise_map", False))  # a denoiser's noise-level input
    window_radius = int(getattr(model, "window_radius", 0))
    select_key = "psnr_y" if recipe.train.select == "last" else recipe.train.select
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.train.ema_decay), use_buffers=True)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.optim.lr, betas=recipe.optim.betas,
                           weight_decay=recipe.optim.weight_decay)
    # stepped once per optimizer step by us (Accelerate would step a prepared scheduler once per process)
    sched = LambdaLR(opt, warmup_cosine(recipe.optim.warmup_steps, recipe.optim.max_steps,
                                        recipe.optim.min_lr / recipe.optim.lr))

    # critics and the flow estimator, with their own optimizer
    critics = CriticSet(dc.kinds, {"spatiotemporal": dc.spatiotemporal, "unet": dc.unet}, dc.window) \
        if dc.kinds else None
    flow_net = FlowEstimator(dc.flow_channels) if lw.warp > 0 else None
    groups = ([{"params": critics.parameters(), "lr": dc.lr}] if critics else []) + \
             ([{"params": flow_net.parameters(), "lr": dc.flow_lr}] if flow_net else [])
    opt_d = torch.optim.Adam(groups, betas=dc.betas) if groups else None
    perceptual, perceptual_status = build_perceptual(lw, accelerator.device)
    if perceptual_status.startswith("skipped"):
        accelerator.print(f"warning: LPIPS loss {perceptual_status}")

    model, opt = accelerator.prepare(model, opt)
    if critics:
        critics = accelerator.prepare(critics)
    if flow_net:
        flow_net = accelerator.prepare(flow_net)
    if opt_d:
        opt_d = accelerator.prepare(opt_d)
    ema.to(accelerator.device)
    state = TrainState()
    for obj in (ema, sched, state):
        accelerator.register_for_checkpointing(obj)
    if resume and ckpt.exists():
        accelerator.load_state(str(ckpt))
        accelerator.print(f"resumed {ckpt} at step {state.step}")
    elif resume:
        accelerator.print(f"no checkpoint in {out}; starting a new run there")

    # data: micro-batch i is a function of (seed, i); the sampler starts where the run stands
    accum = recipe.train.grad_accum
    dataset = ClipDataset(d.train, build_degradation(d.degradation, d.scale), d.scale, d.clip_frames,
                          d.patch, seed=recipe.train.seed, max_frames=d.max_frames,
                          known_sigma_prob=d.known_sigma_prob if noise_map else None,
                          video_downscale=d.video_downscale)
    sampler = StepSampler(d.batch_size, state.step * accum, accelerator.process_index,
                          accelerator.num_processes, recipe.optim.max_steps * accum)
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=d.num_workers,
                        persistent_workers=d.num_workers > 0)

    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.yaml").write_text(Path(recipe_path).read_text())
    accelerator.init_trackers("train", config={"recipe": str(recipe_path), "max_steps": recipe.optim.max_steps})

    def card(scores: dict | None) -> dict:
        return {"name": recipe.model.name, "task": recipe.model.task, "scale": d.scale,
                "window_radius": window_radius, "noise_map": noise_map,
                "arch": recipe.model.arch, "args": recipe.model.args,
                "description": recipe.model.description, "init_from": recipe.model.init_from,
                "recipe": str(recipe_path), "training_data": d.train, "degradation": d.degradation,
                "losses": dict(vars(lw)), "discriminators": dc.kinds,
                "lpips": perceptual_status, "steps": state.step, "validation": scores}

    def log_samples(lr_clip, sr, hr):
        tracker = accelerator.get_tracker("tensorboard", unwrap=True)
        up = F.interpolate(lr_clip[:1, 0].float(), size=hr.shape[-2:], mode="nearest")
        grid = torch.cat([up, sr[:1, 0].float(), hr[:1, 0].float()], dim=-1).clamp(0, 1)
        tracker.add_images("samples/input_output_truth", grid.cpu(), state.step)

    def validate():
        scores = None
        if d.val and recipe.model.task in ("denoise", "restore"):
            protocol = evaluate_denoise if recipe.model.task == "denoise" else evaluate_restore
            scores = protocol(ema.module, d.val, device=accelerator.device, **d.val_options)
        elif d.val:
            # LPIPS and tLP join PSNR, SSIM and tOF where the LPIPS backbone file is on this machine
            lpips_net = lw.lpips_net if lpips_available(lw.lpips_net, lw.lpips_backbone) is None else None
            scores = {"protocol": f"BI x{d.scale}", **evaluate_sr(ema.module, d.val, d.scale, accelerator.device,
                                                                  lpips_net=lpips_net, **d.val_options)}
        score = scores["model"][select_key] if scores else -math.inf
        accelerator.print(f"step {state.step} val {json.dumps(scores)}")
        if scores:
            accelerator.log({f"val/{k}": v for k, v in scores["model"].items()}, step=state.step)
        best_file = out / "best.safetensors"
        if recipe.train.select == "last" or score > state.best or not best_file.exists():
            state.best = max(state.best, score)
            export_model(ema.module, best_file, card({"data": d.val, **(scores or {})}))

    def upsample(lr_clip):
        return F.interpolate(lr_clip.flatten(0, 1), scale_factor=d.scale, mode="bicubic",
                             align_corners=False).unflatten(0, lr_clip.shape[:2])

    weights = {"charbonnier": lw.charbonnier, "l1": lw.l1, "lpips": lw.lpips, "pingpong": lw.pingpong,
               "warp": lw.warp}

    def weight(term: str) -> float:
        return weights.get(term, lw.adversarial if term.startswith("adv_") else lw.feature_matching)

    model.train()
    t0, seen = time.time(), 0
    for batch in loader:
        lr_clip, hr_clip = batch[0].to(accelerator.device), batch[1].to(accelerator.device)
        inputs = {}
        if noise_map:  # each frame's blind estimate, or the clip's true sigma where the batch gives one
            known = batch[2].to(accelerator.device)[:, None]
            blind = estimate_noise_level(lr_clip.flatten(0, 1)).view(lr_clip.shape[:2])
            inputs["noise_level"] = torch.where(torch.isnan(known), blind, known)
        models = [m for m in (model, critics, flow_net) if m is not None]
        with accelerator.accumulate(*models):
            # 1. generator step
            terms = {}
            with accelerator.autocast():
                sr = model(lr_clip, **inputs)
                flow = flow_net(lr_clip, d.scale) if flow_net else None
                if lw.charbonnier:
                    terms["charbonnier"] = charbonnier(sr, hr_clip, lw.charbonnier_eps)
                if lw.l1:
                    terms["l1"] = F.l1_loss(sr.float(), hr_clip)
                if perceptual is not None:
                    terms["lpips"] = perceptual(sr, hr_clip)
                if lw.pingpong:
                    backward = {k: v.flip(1) for k, v in inputs.items()}
                    terms["pingpong"] = pingpong_loss(sr, model(lr_clip.flip(1), **backward))
                if flow is not None:
                    terms["warp"] = warp_consistency(sr, hr_clip, flow.detach().float())
                adversarial = critics is not None and state.step >= lw.adversarial_start
                if adversarial:
                    lr_up = upsample(lr_clip)
                    judge = accelerator.unwrap_model(critics)  # frozen here; synced in the critic step
                    judge.requires_grad_(False)
                    fake_out = judge(sr, lr_up)
                    with torch.no_grad():
                        real_out = judge(hr_clip, lr_up) if lw.gan == "ragan" or lw.feature_matching else None
                    judge.requires_grad_(True)
                    for kind, (logits, feats) in fake_out.items():
                        real_logits, real_feats = real_out[kind] if real_out else (None, None)
                        terms[f"adv_{kind}"] = generator_loss(lw.gan, logits, real_logits)
                        if lw.feature_matching:
                            terms[f"fm_{kind}"] = feature_matching(feats, real_feats)
            g_loss = sum(weight(k) * v for k, v in terms.items())
            accelerator.backward(g_loss)
            if recipe.optim.grad_clip and accelerator.sync_gradients:
                accelerator.clip_grad_norm_(model.parameters(), recipe.optim.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)

            # 2. critic step (and the flow estimator)
            if opt_d is not None:
                d_terms = {}
                with accelerator.autocast():
                    if critics is not None:
                        r1_now = lw.r1 > 0 and state.step % lw.r1_every == 0
                        real = hr_clip.detach().requires_grad_(r1_now)
                        lr_up = upsample(lr_clip)
                        both = critics(torch.cat([real, sr.detach()]), torch.cat([lr_up, lr_up]))
                        for kind, (logits, _) in both.items():
                            real_logits, fake_logits = logits.chunk(2)
                            d_terms[f"d_{kind}"] = discriminator_loss(lw.gan, real_logits, fake_logits)
                            if r1_now:
                                scale = accelerator.scaler.get_scale() if accelerator.scaler else 1.0
                                d_terms[f"r1_{kind}"] = (lw.r1 / 2 * lw.r1_every) * r1_penalty(real_logits, real, scale)
                    if flow is not None:
                        d_terms["photometric"] = photometric_loss(hr_clip, flow.float(), lw.flow_smooth)
                accelerator.backward(sum(d_terms.values()))
                opt_d.step()
                opt_d.zero_grad(set_to_none=True)
                terms.update(d_terms)

        if not accelerator.sync_gradients:
            continue
        sched.step()
        ema.update_parameters(accelerator.unwrap_model(model))
        state.step += 1
        seen += 1

        last = state.step >= recipe.optim.max_steps
        if state.step % recipe.train.log_every == 0 or last:
            log_step(accelerator, state.step, recipe.optim.max_steps, g_loss, terms, sched.get_last_lr()[0],
                     seen / (time.time() - t0))
        if (state.step % recipe.train.val_every == 0 or last) and accelerator.is_main_process:
            log_samples(lr_clip, sr.detach(), hr_clip)
            validate()
        if state.step % recipe.train.save_every == 0 or last:
            save_checkpoint(accelerator, ckpt)
        if last:
            break

    accelerator.wait_for_everyone()
    result = {"step": state.step, f"best_{select_key}": state.best, "processes": accelerator.num_processes}
    if accelerator.is_main_process:
        export_model(ema.module, out / "last.safetensors", card(None))
        (out / "result.json").write_text(json.dumps(result) + "\n")
    accelerator.end_training()
    return result
