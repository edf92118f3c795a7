"""Training recipes: YAML files mapped onto dataclasses, with `--set a.b=value` overrides."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import GenvidError
from ..yaml_file import read_yaml

SHARED_DATA = "../shared/data"


@dataclass
class ModelConfig:
    name: str = "sr-x4"
    task: str = "super-resolution"  # super-resolution | denoise | restore: the validation protocol; synthesis:
    # the video GAN loop (train/synth_loop.py)
    arch: str = "SlidingWindowSR"
    args: dict = field(default_factory=dict)
    init_from: str | None = None  # a model name or .safetensors to fine-tune from
    # a warm start from another model: its tensors whose names and shapes match are copied (listed in the log)
    init_partial: str | None = None
    init_flow: str | None = None  # a checkpoint holding SpyNet under `spynet.*` (BasicVSR's) for `model.spynet`
    description: str = ""  # why this design; copied to the model card


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
    lpips_net: str = "alex"
    lpips_backbone: str | None = None  # explicit backbone file; else torchvision's cache under TORCH_HOME
    lpips_missing: str = "error"  # error | skip: what to do when lpips > 0 and the backbone is absent
    gan: str = "nonsat"  # nonsat | hinge | ragan
    adversarial: float = 0.0  # weight of each discriminator's generator loss
    adversarial_start: int = 0  # steps of generator-only training before the critics judge it
    feature_matching: float = 0.0
    r1: float = 0.0  # gamma of the R1 penalty on real inputs
    r1_every: int = 16  # lazy R1: every N steps, scaled by N
    pingpong: float = 0.0
    warp: float = 0.0  # flow-warped temporal consistency; trains a flow estimator alongside
    flow_smooth: float = 0.1


@dataclass
class DiscriminatorConfig:
    kinds: list[str] = field(default_factory=list)  # spatiotemporal and/or unet; empty: no GAN
    spatiotemporal: dict = field(default_factory=dict)  # constructor arguments
    unet: dict = field(default_factory=dict)
    window: int = 3  # frames per clip the spatio-temporal critic judges
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.99)
    flow_channels: int = 32  # the flow estimator trained with the critics when loss.warp > 0
    flow_lr: float = 1e-4


@dataclass
class SynthesisConfig:
    """Video synthesis recipes (model.task: synthesis): data, critics and augmentation; see train/synth_loop.py."""
    dataset: str = "shapes"  # shapes (procedural, data/shapes.py) | clips (data.train folders, 16-frame windows)
    frames: int = 16  # frames per training clip
    resolution: int = 64
    critic_frames: int = 3  # sparse frames per clip that the generator renders and the video critic judges
    image_critic: dict = field(default_factory=dict)  # ImageDiscriminator arguments
    video_critic: dict = field(default_factory=dict)  # VideoDiscriminator arguments
    image_weight: float = 1.0  # weights of the generator's adversarial terms
    video_weight: float = 1.0
    augment: str = "color,translation,cutout"  # DiffAugment policies, the same parameters for every frame
    sample_every: int = 250  # a grid of EMA samples to TensorBoard


@dataclass
class OptimConfig:
    lr: float = 4e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.0
    max_steps: int = 10000
    warmup_steps: int = 200
    min_lr: float = 1e-6
    grad_clip: float = 1.0


@dataclass
class TrainConfig:
    seed: int = 0
    ema_decay: float = 0.999
    mixed_precision: str = "no"  # no | fp16 | bf16
    log_every: int = 50
    val_every: int = 500
    save_every: int = 250
    threads: int = 0  # torch CPU threads per process; 0 leaves torch's default
    grad_accum: int = 1  # micro-batches per optimizer step
    select: str = "psnr_y"  # best.safetensors by this validation score (psnr_y, psnr_rgb, ...), or "last"
    # (GANs: PSNR favours blur)


@dataclass
class Recipe:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    synthesis: SynthesisConfig = field(default_factory=SynthesisConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def _build(cls, values: dict, where: str):
    if not isinstance(values, dict):
        raise GenvidError(f"recipe section '{where}' must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise GenvidError(f"unknown recipe key(s) {', '.join(sorted(unknown))} in '{where}'; "
                          f"known: {', '.join(fields)}")
    kwargs = {}
    for name, value in values.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            value = _build(type(default), value, f"{where}.{name}".strip("."))
        elif isinstance(default, tuple):
            value = tuple(value)
        elif isinstance(default, (int, float)) and not isinstance(default, bool) and isinstance(value, str):
            try:  # YAML reads 1e-4 (no dot) as a string
                value = type(default)(float(value)) if isinstance(default, float) else int(value)
            except ValueError:
                raise GenvidError(f"recipe value {where}.{name} must be a number, got '{value}'") from None
        kwargs[name] = value
    return cls(**kwargs)


def set_override(tree: dict, assignment: str) -> None:
    """'optim.lr=1e-4' sets tree['optim']['lr'] to the YAML value 1e-4."""
    if "=" not in assignment:
        raise GenvidError(f"--set expects key=value, got '{assignment}'")
    key, raw = assignment.split("=", 1)
    *parents, leaf = key.strip().split(".")
    node = tree
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = yaml.safe_load(raw)


def load_recipe(path: str | Path, overrides: list[str] = ()) -> tuple[Recipe, dict]:
    """The recipe dataclass and the plain dict it came from (overrides applied)."""
    tree = read_yaml(path, "recipe")
    for o in overrides:
        set_override(tree, o)
    return _build(Recipe, tree, ""), tree
