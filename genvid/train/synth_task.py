"""The video synthesis task (`model.task: synthesis`, video GANs from noise): its recipe schema and objective.

For each batch of real clips (procedural shapes or windows of real clips, `synthesis.dataset`):
1. pick `synthesis.critic_frames` sorted frame times per clip (the same for the real and generated clip)
   and render only those frames with the generator (its motion codes are continuous in time), from fresh
   content and motion codes, the clip's class label and, for an image-conditioned generator, the real
   clip's first frame; every draw is made on the device from a generator seeded by (seed, micro-batch,
   process), so a resumed run makes the draws an uninterrupted one would;
2. generator step: both critics (frozen) judge DiffAugment-ed clips (the same parameters for every frame of
   a clip): the image critic one random frame of each, the video critic the frame set with its time gaps;
   non-saturating or hinge loss (`loss.gan`), terms `adv_image` and `adv_video` weighted by
   `synthesis.image_weight` / `video_weight`;
3. critic step: both critics on augmented real and generated clips (`d_image`, `d_video`), plus a lazy R1
   penalty on the real inputs every `loss.r1_every` steps (`r1_image`, `r1_video`: gamma `loss.r1` / 2,
   scaled by r1_every).
There is no validation score: the EMA generator goes to OUTPUT/last.safetensors at every checkpoint with
its card (task synthesis, arch, args, resolution, frames, classes), and a grid of EMA samples to
TensorBoard every `synthesis.sample_every` steps.  The learning rate is constant.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from einops import rearrange

from ..data.augment import augment_clips
from ..data.shapes import SHAPE_KINDS, ShapesDataset, SynthClipDataset
from ..errors import GenvidError
from ..losses.adversarial import discriminator_loss, generator_loss, r1_penalty
from ..models.registry import build_model
from ..models.synth_discriminators import SynthCritics
from .config import SHARED_DATA, ModelConfig, OptimConfig, TrainConfig, choice, refuse_ignored
from .critics import ImageCriticOptions, VideoCriticOptions, build_critic
from .warm_start import initialise


@dataclass
class SynthModelConfig(ModelConfig):
    name: str = "synth"
    task: str = choice("synthesis", ("synthesis",))
    arch: str = "VideoGenerator"


@dataclass
class SynthDataConfig:
    train: list[str] = field(default_factory=lambda: [f"{SHARED_DATA}/vimeo7/train"])  # synthesis.dataset: clips
    batch_size: int = 8
    num_workers: int = 0
    max_frames: int = 300  # per clip


@dataclass
class SynthesisConfig:
    """Data, critics and augmentation of a synthesis recipe."""
    dataset: str = choice("shapes", ("shapes", "clips"))  # procedural (data/shapes.py) | data.train, windows
    frames: int = 16  # frames per training clip
    resolution: int = 64
    critic_frames: int = 3  # sparse frames per clip that the generator renders and the video critic judges
    image_critic: ImageCriticOptions = field(default_factory=ImageCriticOptions)
    video_critic: VideoCriticOptions = field(default_factory=VideoCriticOptions)
    image_weight: float = 1.0  # weights of the generator's adversarial terms
    video_weight: float = 1.0
    augment: str = "color,translation,cutout"  # DiffAugment policies, the same parameters for every frame
    sample_every: int = 250  # a grid of EMA samples to TensorBoard


@dataclass
class SynthLossConfig:
    gan: str = choice("nonsat", ("nonsat", "hinge"))
    r1: float = 0.0  # gamma of the R1 penalty on real inputs
    r1_every: int = 16  # lazy R1: every N steps, scaled by N


@dataclass
class CriticOptimConfig:
    """The critics' Adam."""
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.99)


@dataclass
class SynthesisRecipe:
    model: SynthModelConfig = field(default_factory=SynthModelConfig)
    data: SynthDataConfig = field(default_factory=SynthDataConfig)
    synthesis: SynthesisConfig = field(default_factory=SynthesisConfig)
    loss: SynthLossConfig = field(default_factory=SynthLossConfig)
    discriminator: CriticOptimConfig = field(default_factory=CriticOptimConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def check(self, tree: dict) -> None:
        sc = self.synthesis
        if not 2 <= sc.critic_frames <= sc.frames:
            raise GenvidError(f"synthesis.critic_frames must be 2 .. synthesis.frames ({sc.frames}), "
                              f"got {sc.critic_frames}")
        if self.model.args.get("resolution", sc.resolution) != sc.resolution:
            raise GenvidError(f"model.args.resolution {self.model.args['resolution']} differs from "
                              f"synthesis.resolution {sc.resolution}")
        shapes = "synthesis.dataset is shapes (procedural)"
        refuse_ignored(tree, [("data.train", sc.dataset == "clips", shapes),
                              ("data.max_frames", sc.dataset == "clips", shapes),
                              ("loss.r1_every", self.loss.r1 > 0, "loss.r1 is 0")])


def pick_times(batch: int, frames: int, k: int, generator: torch.Generator) -> torch.Tensor:
    """(batch, k) sorted distinct frame indices in 0 .. frames - 1, as longs, where `generator` lives."""
    return torch.rand(batch, frames, generator=generator, device=generator.device).argsort(1)[:, :k].sort(1).values


class SynthesisTask:
    Recipe = SynthesisRecipe

    def __init__(self, recipe: SynthesisRecipe, recipe_path: str, accelerator):
        self.recipe, self.recipe_path, self.accelerator = recipe, str(recipe_path), accelerator
        sc, lw = recipe.synthesis, recipe.loss
        self.args = {"resolution": sc.resolution, **recipe.model.args}
        generator = build_model(recipe.model.arch, self.args)
        if getattr(generator, "task", None) != "synthesis":
            raise GenvidError(f"model.arch {recipe.model.arch} in {recipe_path} is not a synthesis generator; "
                              "use VideoGenerator")
        initialise(generator, recipe.model, accelerator.print)
        self.num_classes, self.image_cond = generator.num_classes, generator.image_cond
        if self.num_classes and sc.dataset != "shapes":
            raise GenvidError(f"a class-conditional generator needs labelled data; synthesis.dataset "
                              f"'{sc.dataset}' has none (set model.args.num_classes: 0 in {recipe_path})")
        if self.num_classes and self.num_classes != len(SHAPE_KINDS):
            raise GenvidError(f"the shapes dataset has {len(SHAPE_KINDS)} classes; set model.args.num_classes: "
                              f"{len(SHAPE_KINDS)} or 0 in {recipe_path}")
        context = {"resolution": sc.resolution, "num_classes": self.num_classes}
        critics = SynthCritics(build_critic("image", sc.image_critic, **context),
                               build_critic("video", sc.video_critic, frames=sc.critic_frames, **context))
        self.nets = {"generator": generator, "critics": critics}
        r1 = lw.r1 / 2 * lw.r1_every
        self.weights = {"adv_image": sc.image_weight, "adv_video": sc.video_weight, "d_image": 1.0, "d_video": 1.0,
                        "r1_image": r1, "r1_video": r1}
        self.sample_every, self.val_every, self.select, self.select_key = sc.sample_every, 0, "last", None

    def critic_groups(self) -> list[dict]:
        return [{"params": list(self.nets["critics"].parameters()), "lr": self.recipe.discriminator.lr}]

    def dataset(self):
        sc, d, seed = self.recipe.synthesis, self.recipe.data, self.recipe.train.seed
        if sc.dataset == "shapes":
            return ShapesDataset(sc.frames, sc.resolution, seed=seed)
        return SynthClipDataset(d.train, sc.frames, sc.resolution, seed=seed, max_frames=d.max_frames)

    def judge(self, critics, clips, times, labels, draws):
        """Augments (B, k, 3, S, S) clips and has both critics judge them (the image critic one frame each)."""
        clips = augment_clips(clips, self.recipe.synthesis.augment, draws)
        pick = torch.randint(clips.shape[1], (len(clips),), generator=draws, device=draws.device).to(clips.device)
        frames = clips[torch.arange(len(clips), device=clips.device), pick]
        return critics(frames, clips, times, labels)

    def generator_step(self, batch, step: int, micro: int):
        sc, lw, acc = self.recipe.synthesis, self.recipe.loss, self.accelerator
        generator, critics = self.nets["generator"], self.nets["critics"]
        draws = torch.Generator(acc.device).manual_seed(
            (self.recipe.train.seed * 1_000_003 + micro) * 1009 + acc.process_index)
        clips, labels = batch
        labels = labels if self.num_classes else None
        b = len(clips)
        idx = pick_times(b, sc.frames, sc.critic_frames, draws).to(clips.device)
        times = idx.float()
        real = clips[torch.arange(b, device=clips.device)[:, None], idx] * 2 - 1  # (B, k, 3, S, S)
        first = clips[:, 0] if self.image_cond else None
        z, anchors, _, noise = acc.unwrap_model(generator).draw(b, times, draws, clips.device)
        fake = generator(z, anchors, times, labels, first, noise)
        judge = acc.unwrap_model(critics)  # frozen here; synced in the critic step
        judge.requires_grad_(False)
        terms = {f"adv_{kind}": generator_loss(lw.gan, logits)
                 for kind, logits in self.judge(judge, fake, times, labels, draws).items()}
        judge.requires_grad_(True)
        return terms, {"real": real, "fake": fake, "times": times, "labels": labels, "draws": draws}

    def critic_step(self, batch, carry: dict, step: int) -> dict:
        lw, times, labels = self.recipe.loss, carry["times"], carry["labels"]
        r1_now = lw.r1 > 0 and step % lw.r1_every == 0
        real = carry["real"].detach().requires_grad_(r1_now)
        both = self.judge(self.nets["critics"], torch.cat([real, carry["fake"].detach()]), torch.cat([times, times]),
                          None if labels is None else torch.cat([labels, labels]), carry["draws"])
        terms = {}
        for kind, logits in both.items():
            real_logits, fake_logits = logits.chunk(2)
            terms[f"d_{kind}"] = discriminator_loss(lw.gan, real_logits, fake_logits)
            if r1_now:
                terms[f"r1_{kind}"] = r1_penalty(real_logits, real)
        return terms

    def validate(self, module) -> None:
        return None

    def log_samples(self, tracker, module, batch, carry: dict, step: int) -> None:
        first_frames = batch[0][:, 0]
        n = min(4, len(first_frames))
        labels = torch.arange(n) % self.num_classes if self.num_classes else None
        clips = module.sample(n, min(8, self.recipe.synthesis.frames), seed=0, labels=labels,
                              first_frame=first_frames[:n] if self.image_cond else None)
        grid = rearrange(clips.cpu(), "n t c h w -> 1 c (n h) (t w)")
        tracker.add_images("samples/ema_clips_rows_frames_cols", grid, step)

    def card(self, step: int, scores: dict | None) -> dict:
        r, sc, lw = self.recipe, self.recipe.synthesis, self.recipe.loss
        return {"name": r.model.name, "task": "synthesis", "arch": r.model.arch, "args": self.args,
                "resolution": sc.resolution, "frames": sc.frames, "num_classes": self.num_classes,
                "class_names": list(SHAPE_KINDS) if self.num_classes else None, "image_cond": self.image_cond,
                "output_range": "sample(): [0, 1]; forward(): [-1, 1]",
                "description": r.model.description, "init_from": r.model.init_from,
                "recipe": self.recipe_path, "dataset": sc.dataset,
                "training_data": r.data.train if sc.dataset == "clips" else "procedural shapes (genvid/data/shapes.py)",
                "losses": {"gan": lw.gan, "r1": lw.r1, "r1_every": lw.r1_every, "image_weight": sc.image_weight,
                           "video_weight": sc.video_weight},
                "augment": sc.augment, "critic_frames": sc.critic_frames, "steps": step}
