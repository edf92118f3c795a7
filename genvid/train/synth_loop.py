"""`genvid train` for recipes with `model.task: synthesis`: the video GAN loop, top to bottom.

One process: `genvid train recipes/synth-shapes.yaml`.  Many: `accelerate launch --num_processes N -m genvid
train ...` (data-parallel; each process draws its own clips, see `clips.StepSampler`).

Each step, for a batch of real clips (procedural shapes or windows of real clips, `synthesis.dataset`):
1. pick `synthesis.critic_frames` sorted frame times per clip (the same for the real and generated clip)
   and render only those frames with the generator (its motion codes are continuous in time), from fresh
   content and motion codes, the clip's class label and, for an image-conditioned generator, the real
   clip's first frame;
2. generator step: both critics (frozen) judge DiffAugment-ed clips (the same parameters for every frame of
   a clip): the image critic one random frame of each, the video critic the frame set with its time gaps;
   non-saturating or hinge loss (`loss.gan`), weighted by `synthesis.image_weight` / `video_weight`;
3. critic step: both critics on augmented real and generated clips, plus a lazy R1 penalty on the real
   inputs every `loss.r1_every` steps (gamma `loss.r1`, scaled by r1_every).
Every term goes to TensorBoard, with a grid of EMA samples every `synthesis.sample_every` steps.  State
(generator, critics, both optimizers, the EMA generator, step, RNG) is saved with `save_state` to
OUTPUT/checkpoints/last; `--resume` continues it.  At every save the EMA generator is exported to
OUTPUT/last.safetensors with its card (task synthesis, arch, args, resolution, frames, classes).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from einops import rearrange
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader

from ..data.augment import augment_clips
from ..data.clips import StepSampler
from ..data.shapes import SHAPE_KINDS, ShapesDataset, SynthClipDataset
from ..errors import GenvidError
from ..losses.adversarial import discriminator_loss, generator_loss, r1_penalty
from ..models.registry import build_model, load_model
from ..models.synth_discriminators import SynthCritics
from .export import export_model
from .state import TrainState, log_step, save_checkpoint, start_run

SYNTH_GAN_KINDS = ("nonsat", "hinge")


def pick_times(batch: int, frames: int, k: int, generator: torch.Generator) -> torch.Tensor:
    """(batch, k) sorted distinct frame indices in 0 .. frames - 1, as longs."""
    return torch.rand(batch, frames, generator=generator).argsort(1)[:, :k].sort(1).values


def train_synthesis(recipe, recipe_path: str, output_dir: str | None = None, resume: bool = False) -> dict:
    sc, d, lw = recipe.synthesis, recipe.data, recipe.loss
    if lw.gan not in SYNTH_GAN_KINDS:
        raise GenvidError(f"loss.gan '{lw.gan}' in {recipe_path} is not supported for synthesis; "
                          f"use one of {', '.join(SYNTH_GAN_KINDS)}")
    if not 2 <= sc.critic_frames <= sc.frames:
        raise GenvidError(f"synthesis.critic_frames must be 2 .. synthesis.frames ({sc.frames}) in {recipe_path}, "
                          f"got {sc.critic_frames}")
    if recipe.train.grad_accum != 1:
        raise GenvidError(f"train.grad_accum must be 1 for synthesis recipes ({recipe_path}); raise data.batch_size")
    out, ckpt, accelerator = start_run(recipe, output_dir, resume)

    # generator, its EMA, the critics and their optimizers
    args = {"resolution": sc.resolution, **recipe.model.args}
    if args["resolution"] != sc.resolution:
        raise GenvidError(f"model.args.resolution {args['resolution']} differs from synthesis.resolution "
                          f"{sc.resolution} in {recipe_path}")
    model = build_model(recipe.model.arch, args)
    if getattr(model, "task", None) != "synthesis":
        raise GenvidError(f"model.arch {recipe.model.arch} in {recipe_path} is not a synthesis generator; "
                          "use VideoGenerator")
    if recipe.model.init_from:
        model.load_state_dict(load_model(recipe.model.init_from).state_dict())
    num_classes, image_cond = model.num_classes, model.image_cond
    if num_classes and sc.dataset != "shapes":
        raise GenvidError(f"a class-conditional generator needs labelled data; synthesis.dataset "
                          f"'{sc.dataset}' has none (set model.args.num_classes: 0 in {recipe_path})")
    if num_classes and sc.dataset == "shapes" and num_classes != len(SHAPE_KINDS):
        raise GenvidError(f"the shapes dataset has {len(SHAPE_KINDS)} classes; set model.args.num_classes: "
                          f"{len(SHAPE_KINDS)} or 0 in {recipe_path}")
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.train.ema_decay), use_buffers=True)
    critics = SynthCritics(sc.critic_frames, sc.resolution, num_classes, sc.image_critic, sc.video_critic)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.optim.lr, betas=recipe.optim.betas)
    opt_d = torch.optim.Adam(critics.parameters(), lr=recipe.discriminator.lr, betas=recipe.discriminator.betas)
    model, critics, opt, opt_d = accelerator.prepare(model, critics, opt, opt_d)
    ema.to(accelerator.device)
    state = TrainState()
    for obj in (ema, state):
        accelerator.register_for_checkpointing(obj)
    if resume and ckpt.exists():
        accelerator.load_state(str(ckpt))
        accelerator.print(f"resumed {ckpt} at step {state.step}")
    elif resume:
        accelerator.print(f"no checkpoint in {out}; starting a new run there")

    # data: batch i is a function of (seed, i); the sampler starts where the run stands
    if sc.dataset == "shapes":
        dataset = ShapesDataset(sc.frames, sc.resolution, seed=recipe.train.seed)
    elif sc.dataset == "clips":
        dataset = SynthClipDataset(d.train, sc.frames, sc.resolution, seed=recipe.train.seed, max_frames=d.max_frames)
    else:
        raise GenvidError(f"unknown synthesis.dataset '{sc.dataset}' in {recipe_path}; known: shapes, clips")
    sampler = StepSampler(d.batch_size, state.step, accelerator.process_index, accelerator.num_processes,
                          recipe.optim.max_steps)
    loader = DataLoader(dataset, batch_sampler=sampler, num_workers=d.num_workers,
                        persistent_workers=d.num_workers > 0)

    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "recipe.yaml").write_text(Path(recipe_path).read_text())
    accelerator.init_trackers("train", config={"recipe": str(recipe_path), "max_steps": recipe.optim.max_steps})

    def card() -> dict:
        return {"name": recipe.model.name, "task": "synthesis", "arch": recipe.model.arch, "args": args,
                "resolution": sc.resolution, "frames": sc.frames, "num_classes": num_classes,
                "class_names": list(SHAPE_KINDS) if num_classes else None, "image_cond": image_cond,
                "output_range": "sample(): [0, 1]; forward(): [-1, 1]",
                "description": recipe.model.description, "init_from": recipe.model.init_from,
                "recipe": str(recipe_path), "dataset": sc.dataset,
                "training_data": d.train if sc.dataset == "clips" else "procedural shapes (genvid/data/shapes.py)",
                "losses": {"gan": lw.gan, "r1": lw.r1, "r1_every": lw.r1_every, "image_weight": sc.image_weight,
                           "video_weight": sc.video_weight},
                "augment": sc.augment, "critic_frames": sc.critic_frames, "steps": state.step}

    def log_samples(first_frames):
        tracker = accelerator.get_tracker("tensorboard", unwrap=True)
        n = min(4, len(first_frames))
        labels = torch.arange(n) % num_classes if num_classes else None
        clips = ema.module.sample(n, min(8, sc.frames), seed=0, labels=labels,
                                  first_frame=first_frames[:n] if image_cond else None)
        grid = rearrange(clips.cpu(), "n t c h w -> 1 c (n h) (t w)")
        tracker.add_images("samples/ema_clips_rows_frames_cols", grid, state.step)

    def critics_judge(judge, clips, times, labels, generator):
        """Augments (B, k, 3, S, S) clips and has both critics judge them (the image critic one frame each)."""
        clips = augment_clips(clips, sc.augment, generator)
        pick = torch.randint(clips.shape[1], (len(clips),), generator=generator).to(clips.device)
        frames = clips[torch.arange(len(clips), device=clips.device), pick]
        return judge(frames, clips, times, labels)

    weights = {"image": sc.image_weight, "video": sc.video_weight}
    model.train()
    t0, seen = time.time(), 0
    for clips, labels in loader:
        # draws of this step: a function of (seed, step, process), so a resumed run makes the same ones
        draws = torch.Generator().manual_seed(
            (recipe.train.seed * 1_000_003 + state.step) * 1009 + accelerator.process_index)
        clips = clips.to(accelerator.device)
        labels = labels.to(accelerator.device) if num_classes else None
        b = len(clips)
        idx = pick_times(b, sc.frames, sc.critic_frames, draws).to(accelerator.device)
        times = idx.float()
        real = clips[torch.arange(b, device=clips.device)[:, None], idx] * 2 - 1  # (B, k, 3, S, S)
        first = clips[:, 0] if image_cond else None
        unwrapped = accelerator.unwrap_model(model)
        z, anchors, _, noise = unwrapped.draw(b, times, draws, accelerator.device)

        # 1. generator step, critics frozen (their gradients are synced in the critic step)
        terms = {}
        with accelerator.autocast():
            fake = model(z, anchors, times, labels, first, noise)
            judge = accelerator.unwrap_model(critics)
            judge.requires_grad_(False)
            for kind, logits in critics_judge(judge, fake, times, labels, draws).items():
                terms[f"adv_{kind}"] = generator_loss(lw.gan, logits)
            judge.requires_grad_(True)
        g_loss = sum(weights[k[4:]] * v for k, v in terms.items())
        accelerator.backward(g_loss)
        if recipe.optim.grad_clip:
            accelerator.clip_grad_norm_(model.parameters(), recipe.optim.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)

        # 2. critic step with lazy R1 on the real inputs; real and fake in one forward (one DDP pass)
        r1_now = lw.r1 > 0 and state.step % lw.r1_every == 0
        with accelerator.autocast():
            real_in = real.detach().requires_grad_(r1_now)
            both = critics_judge(critics, torch.cat([real_in, fake.detach()]), torch.cat([times, times]),
                                 None if labels is None else torch.cat([labels, labels]), draws)
            for kind, logits in both.items():
                real_logits, fake_logits = logits.chunk(2)
                terms[f"d_{kind}"] = discriminator_loss(lw.gan, real_logits, fake_logits)
                if r1_now:
                    scale = accelerator.scaler.get_scale() if accelerator.scaler else 1.0
                    terms[f"r1_{kind}"] = (lw.r1 / 2 * lw.r1_every) * r1_penalty(real_logits, real_in, scale)
        accelerator.backward(sum(v for k, v in terms.items() if not k.startswith("adv_")))
        opt_d.step()
        opt_d.zero_grad(set_to_none=True)

        ema.update_parameters(accelerator.unwrap_model(model))
        state.step += 1
        seen += 1
        last = state.step >= recipe.optim.max_steps
        if state.step % recipe.train.log_every == 0 or last:
            log_step(accelerator, state.step, recipe.optim.max_steps, g_loss, terms, recipe.optim.lr,
                     seen / (time.time() - t0))
        if (state.step % sc.sample_every == 0 or last) and accelerator.is_main_process:
            log_samples(clips[:, 0])
        if state.step % recipe.train.save_every == 0 or last:
            save_checkpoint(accelerator, ckpt)
            if accelerator.is_main_process:  # the EMA generator so far, ready to sample or measure
                export_model(ema.module, out / "last.safetensors", card())
        if last:
            break

    accelerator.wait_for_everyone()
    result = {"step": state.step, "processes": accelerator.num_processes}
    if accelerator.is_main_process:
        (out / "result.json").write_text(json.dumps(result) + "\n")
    accelerator.end_training()
    return result
