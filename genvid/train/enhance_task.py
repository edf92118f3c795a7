"""The enhancement task (`model.task`: super-resolution, denoise, restore): its recipe schema and objective.

Generator step: pixel (Charbonnier, L1), perceptual (LPIPS), ping-pong and warp-consistency terms, and,
when the recipe names critics (`discriminator.kinds`), each critic's adversarial and feature-matching
terms (`adv_<kind>`, `fm_<kind>`), the critics frozen.  Critic step: each critic's loss on real and
generated clips in one forward (`d_<kind>`), a lazy R1 penalty on real inputs every `loss.r1_every` steps
(`r1_<kind>`), and the photometric loss that trains the flow estimator behind the warp term.  Every term
has its recipe weight in `weights`, by name.

Validation follows `model.task` (super-resolution: `sr_protocol`; denoise, restore: `restore_protocol`),
with `data.val_options` as the protocol's arguments; each process scores its share of the clips.  A
model with a noise-level input (`noise_map`) gets, per frame, the blind estimate
(`models/noise_level.py`), or for a clip with exactly known Gaussian noise, with chance
`data.known_sigma_prob`, its true sigma: so it learns what the estimate means, as it will meet it blind.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from accelerate.utils import gather_object

from ..data.clips import ClipDataset
from ..data.degrade import build_degradation
from ..errors import GenvidError
from ..losses.adversarial import GAN_KINDS, discriminator_loss, feature_matching, generator_loss, r1_penalty
from ..losses.perceptual import NETS
from ..losses.pixel import charbonnier
from ..losses.temporal import photometric_loss, pingpong_loss, warp_consistency
from ..metrics.restore_protocol import evaluate_denoise, evaluate_restore
from ..metrics.share import Share
from ..metrics.sr_protocol import evaluate_sr
from ..models.discriminators import CriticSet
from ..models.flow import FlowEstimator
from ..models.noise_level import estimate_noise_level
from ..models.registry import build_model
from .config import SHARED_DATA, ModelConfig, ScheduledOptimConfig, TrainConfig, choice, refuse_ignored
from .critics import SpatioTemporalOptions, UNetOptions, build_critic, kinds_for
from .warm_start import initialise

TASKS = ("super-resolution", "denoise", "restore")


@dataclass
class EnhanceModelConfig(ModelConfig):
    task: str = choice("super-resolution", TASKS)  # the validation protocol


@dataclass
class DataConfig:
    train: list[str] = field(default_factory=lambda: [f"{SHARED_DATA}/vimeo7/train"])
    val: str | None = f"{SHARED_DATA}/vimeo7/val"
    scale: int = 4
    clip_frames: int = 5
    patch: int = 128  # HR pixels
    batch_size: int = 8
    num_workers: int = 0
    max_frames: int = 300  # per training clip
    video_downscale: int = 1  # video-file sources are shrunk by this factor at load (antialiased), e.g. 2 for
    # compressed clips whose artifacts should not be learnt as detail; frame folders are kept as they are
    # a folder for decoded clips, memory-mapped and shared by every process and worker (data/clips.py);
    # None: each process decodes and holds every clip
    cache_dir: str | None = None
    degradation: dict = field(default_factory=lambda: {"kind": "bicubic"})
    # denoisers (models with a noise-level input): the chance that a clip with exactly known Gaussian
    # noise gives the network its true sigma; otherwise (and for all other noise) the blind estimate
    known_sigma_prob: float = 0.5
    val_options: dict = field(default_factory=dict)  # arguments of the task's validation protocol


@dataclass
class LossConfig:
    """Weights of the generator's loss terms (0 switches a term off) and the critics' settings."""
    charbonnier: float = 1.0
    charbonnier_eps: float = 1e-3
    l1: float = 0.0
    lpips: float = 0.0  # perceptual; needs an ImageNet backbone file (see genvid/losses/perceptual.py)
    lpips_net: str = choice("alex", NETS)
    lpips_backbone: str | None = None  # explicit backbone file; else torchvision's cache under TORCH_HOME
    lpips_missing: str = choice("error", ("error", "skip"))  # when lpips > 0 and the backbone is absent
    gan: str = choice("nonsat", GAN_KINDS)
    adversarial: float = 0.0  # weight of each critic's generator loss
    adversarial_start: int = 0  # steps of generator-only training before the critics judge it
    feature_matching: float = 0.0
    r1: float = 0.0  # gamma of the R1 penalty on real inputs
    r1_every: int = 16  # lazy R1: every N steps, scaled by N
    pingpong: float = 0.0
    warp: float = 0.0  # flow-warped temporal consistency; trains a flow estimator alongside
    flow_smooth: float = 0.1


@dataclass
class DiscriminatorConfig:
    kinds: list[str] = choice([], kinds_for("enhance"))  # critics (train/critics.py); empty: no GAN
    spatiotemporal: SpatioTemporalOptions = field(default_factory=SpatioTemporalOptions)
    unet: UNetOptions = field(default_factory=UNetOptions)
    window: int = 3  # frames per clip the spatio-temporal critic judges
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.99)  # the critic side's Adam (critics and flow estimator)
    flow_channels: int = 32  # the flow estimator trained with the critics when loss.warp > 0
    flow_lr: float = 1e-4


@dataclass
class EnhanceTrainConfig(TrainConfig):
    val_every: int = 500  # validation (and a sample to TensorBoard)
    select: str = "psnr_y"  # best.safetensors by this validation score (psnr_y, psnr_rgb, ...), or "last"
    # (GANs: PSNR favours blur)


@dataclass
class EnhanceRecipe:
    model: EnhanceModelConfig = field(default_factory=EnhanceModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    optim: ScheduledOptimConfig = field(default_factory=ScheduledOptimConfig)
    train: EnhanceTrainConfig = field(default_factory=EnhanceTrainConfig)

    def check(self, tree: dict) -> None:
        d, lw, dc = self.data, self.loss, self.discriminator
        if "spatiotemporal" in dc.kinds and d.clip_frames < dc.window:
            raise GenvidError(f"data.clip_frames {d.clip_frames} is shorter than discriminator.window {dc.window}")
        gan, warp, st = bool(dc.kinds), lw.warp > 0, "spatiotemporal" in dc.kinds
        no_gan, no_warp, no_lpips = "discriminator.kinds names no critic", "loss.warp is 0", "loss.lpips is 0"
        refuse_ignored(tree, [  # (key, whether it is used, why not)
            *[(f"loss.{k}", gan, no_gan) for k in ("gan", "adversarial", "adversarial_start", "feature_matching",
                                                   "r1")],
            ("loss.r1_every", gan and lw.r1 > 0, "there is no R1 penalty"),
            ("discriminator.lr", gan, no_gan), ("discriminator.betas", gan or warp, f"{no_gan} and {no_warp}"),
            ("discriminator.window", st, "no spatiotemporal critic"),
            ("discriminator.spatiotemporal", st, "not in discriminator.kinds"),
            ("discriminator.unet", "unet" in dc.kinds, "not in discriminator.kinds"),
            *[(k, warp, no_warp) for k in ("discriminator.flow_channels", "discriminator.flow_lr", "loss.flow_smooth")],
            ("loss.charbonnier_eps", lw.charbonnier > 0, "loss.charbonnier is 0"),
            *[(f"loss.lpips_{k}", lw.lpips > 0, no_lpips) for k in ("net", "backbone", "missing")],
            ("data.val_options", d.val is not None, "data.val is null"),
            ("data.known_sigma_prob", bool(self.model.args.get("noise_map", False)),
             "the model has no noise-level input (model.args.noise_map)")])


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


class EnhanceTask:
    Recipe = EnhanceRecipe

    def __init__(self, recipe: EnhanceRecipe, recipe_path: str, accelerator):
        self.recipe, self.recipe_path, self.accelerator = recipe, str(recipe_path), accelerator
        lw, dc = recipe.loss, recipe.discriminator
        generator = build_model(recipe.model.arch, recipe.model.args)
        initialise(generator, recipe.model, accelerator.print)
        self.noise_map = bool(getattr(generator, "noise_map", False))  # a denoiser's noise-level input
        self.window_radius = int(getattr(generator, "window_radius", 0))
        self.nets = {"generator": generator}
        if dc.kinds:
            self.nets["critics"] = CriticSet({k: build_critic(k, getattr(dc, k)) for k in dc.kinds}, dc.window)
        if lw.warp > 0:
            self.nets["flow"] = FlowEstimator(dc.flow_channels)
        self.perceptual, self.perceptual_status = build_perceptual(lw, accelerator.device)
        if self.perceptual_status.startswith("skipped"):
            accelerator.print(f"warning: LPIPS loss {self.perceptual_status}")
        self.weights = {"charbonnier": lw.charbonnier, "l1": lw.l1, "lpips": lw.lpips, "pingpong": lw.pingpong,
                        "warp": lw.warp, "photometric": 1.0}
        for kind in dc.kinds:
            self.weights |= {f"adv_{kind}": lw.adversarial, f"fm_{kind}": lw.feature_matching,
                             f"d_{kind}": 1.0, f"r1_{kind}": lw.r1 / 2 * lw.r1_every}
        self.sample_every = self.val_every = recipe.train.val_every
        self.select = recipe.train.select
        self.select_key = "psnr_y" if self.select == "last" else self.select  # the score tracked as the best

    def critic_groups(self) -> list[dict]:
        dc = self.recipe.discriminator
        lrs = {"critics": dc.lr, "flow": dc.flow_lr}
        return [{"params": list(net.parameters()), "lr": lrs[name]} for name, net in self.nets.items()
                if name != "generator"]

    def dataset(self) -> ClipDataset:
        d, acc = self.recipe.data, self.accelerator
        return ClipDataset(d.train, build_degradation(d.degradation, d.scale), d.scale, d.clip_frames, d.patch,
                           seed=self.recipe.train.seed, max_frames=d.max_frames,
                           known_sigma_prob=d.known_sigma_prob if self.noise_map else None,
                           video_downscale=d.video_downscale, cache_dir=d.cache_dir,
                           part=(acc.process_index, acc.num_processes))

    def upsample(self, lr_clip):
        return F.interpolate(lr_clip.flatten(0, 1), scale_factor=self.recipe.data.scale, mode="bicubic",
                             align_corners=False).unflatten(0, lr_clip.shape[:2])

    def generator_step(self, batch, step: int, micro: int):
        lw, scale = self.recipe.loss, self.recipe.data.scale
        generator, critics, flow_net = self.nets["generator"], self.nets.get("critics"), self.nets.get("flow")
        lr_clip, hr_clip = batch[0], batch[1]
        inputs = {}
        if self.noise_map:  # each frame's blind estimate, or the clip's true sigma where the batch gives one
            known = batch[2][:, None]
            blind = estimate_noise_level(lr_clip.flatten(0, 1)).view(lr_clip.shape[:2])
            inputs["noise_level"] = torch.where(torch.isnan(known), blind, known)
        terms = {}
        sr = generator(lr_clip, **inputs)
        flow = flow_net(lr_clip, scale) if flow_net else None
        if lw.charbonnier:
            terms["charbonnier"] = charbonnier(sr, hr_clip, lw.charbonnier_eps)
        if lw.l1:
            terms["l1"] = F.l1_loss(sr.float(), hr_clip)
        if self.perceptual is not None:
            terms["lpips"] = self.perceptual(sr, hr_clip)
        if lw.pingpong:
            backward = {k: v.flip(1) for k, v in inputs.items()}
            terms["pingpong"] = pingpong_loss(sr, generator(lr_clip.flip(1), **backward))
        if flow is not None:
            terms["warp"] = warp_consistency(sr, hr_clip, flow.detach().float())
        if critics is not None and step >= lw.adversarial_start:
            lr_up = self.upsample(lr_clip)
            judge = self.accelerator.unwrap_model(critics)  # frozen here; synced in the critic step
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
        return terms, {"lr": lr_clip, "sr": sr, "hr": hr_clip, "flow": flow}

    def critic_step(self, batch, carry: dict, step: int) -> dict:
        lw, critics = self.recipe.loss, self.nets.get("critics")
        terms = {}
        if critics is not None:
            r1_now = lw.r1 > 0 and step % lw.r1_every == 0
            real = carry["hr"].detach().requires_grad_(r1_now)
            lr_up = self.upsample(carry["lr"])
            both = critics(torch.cat([real, carry["sr"].detach()]), torch.cat([lr_up, lr_up]))
            for kind, (logits, _) in both.items():
                real_logits, fake_logits = logits.chunk(2)
                terms[f"d_{kind}"] = discriminator_loss(lw.gan, real_logits, fake_logits)
                if r1_now:
                    terms[f"r1_{kind}"] = r1_penalty(real_logits, real)
        if carry["flow"] is not None:
            terms["photometric"] = photometric_loss(carry["hr"], carry["flow"].float(), lw.flow_smooth)
        return terms

    def validate(self, module) -> dict | None:
        d, lw, acc = self.recipe.data, self.recipe.loss, self.accelerator
        if not d.val:
            return None
        share = Share(acc.process_index, acc.num_processes, gather_object if acc.num_processes > 1 else None)
        # LPIPS and tLP join the scores where the backbone file is found (the loss's file, if it names one)
        options = {"lpips_net": lw.lpips_net, "lpips_backbone": lw.lpips_backbone, **d.val_options}
        if self.recipe.model.task in ("denoise", "restore"):
            protocol = evaluate_denoise if self.recipe.model.task == "denoise" else evaluate_restore
            return protocol(module, d.val, device=acc.device, share=share, **options)
        return {"protocol": f"BI x{d.scale}", **evaluate_sr(module, d.val, d.scale, acc.device, share=share,
                                                            **options)}

    def log_samples(self, tracker, module, batch, carry: dict, step: int) -> None:
        lr_clip, sr, hr = carry["lr"], carry["sr"].detach(), carry["hr"]
        up = F.interpolate(lr_clip[:1, 0].float(), size=hr.shape[-2:], mode="nearest")
        grid = torch.cat([up, sr[:1, 0].float(), hr[:1, 0].float()], dim=-1).clamp(0, 1)
        tracker.add_images("samples/input_output_truth", grid.cpu(), step)

    def card(self, step: int, scores: dict | None) -> dict:
        """The card of the EMA weights; `scores`: the validation behind best.safetensors (None for last)."""
        r, d = self.recipe, self.recipe.data
        return {"name": r.model.name, "task": r.model.task, "scale": d.scale,
                "window_radius": self.window_radius, "noise_map": self.noise_map,
                "arch": r.model.arch, "args": r.model.args,
                "description": r.model.description, "init_from": r.model.init_from,
                "recipe": self.recipe_path, "training_data": d.train, "degradation": d.degradation,
                "losses": dict(vars(r.loss)), "discriminators": r.discriminator.kinds,
                "lpips": self.perceptual_status, "steps": step,
                "validation": None if scores is None else {"data": d.val, **scores}}
