"""Critics by name, each with its typed options: what a recipe's critic sections may set.

`CRITICS[kind]` is the critic's class, the dataclass of its options (the recipe's `discriminator.<kind>`
section for enhancement, `synthesis.<kind>_critic` for synthesis; unknown keys are errors) and the task
family it judges.  The arguments that come from the rest of the recipe (resolution, frames, classes) are
not options.  `build_critic(kind, options, **context)` makes one.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from torch import nn

from ..models.discriminators import SpatioTemporalDiscriminator, UNetDiscriminator
from ..models.synth_discriminators import ImageDiscriminator, VideoDiscriminator


@dataclass
class SpatioTemporalOptions:
    channels: int = 32
    stages: int = 4  # stride-2 (2+1)D stages
    spectral: bool = True  # spectral norm on every convolution
    condition: bool = True  # each frame joined by its upsampled input


@dataclass
class UNetOptions:
    channels: int = 32
    depth: int = 3  # encoder stages; patches must be multiples of 2^depth
    spectral: bool = True


@dataclass
class ImageCriticOptions:
    channels: int = 32
    max_channels: int = 256


@dataclass
class VideoCriticOptions:
    channels: int = 32
    max_channels: int = 256
    fourier: int = 8  # Fourier features of each time gap


@dataclass(frozen=True)
class Critic:
    module: type[nn.Module]
    options: type
    task: str  # enhance (judges outputs against inputs) | synthesis (judges generated clips)


CRITICS = {
    "spatiotemporal": Critic(SpatioTemporalDiscriminator, SpatioTemporalOptions, "enhance"),
    "unet": Critic(UNetDiscriminator, UNetOptions, "enhance"),
    "image": Critic(ImageDiscriminator, ImageCriticOptions, "synthesis"),
    "video": Critic(VideoDiscriminator, VideoCriticOptions, "synthesis"),
}


def kinds_for(task: str) -> tuple[str, ...]:
    return tuple(k for k, c in CRITICS.items() if c.task == task)


def build_critic(kind: str, options, **context) -> nn.Module:
    """The critic `kind` with its options (a dataclass of CRITICS[kind].options) and the recipe's context."""
    critic = CRITICS[kind]
    if not isinstance(options, critic.options):
        raise TypeError(f"{kind} critic options must be {critic.options.__name__}, got {type(options).__name__}")
    return critic.module(**context, **dataclasses.asdict(options))
