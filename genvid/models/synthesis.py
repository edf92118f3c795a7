"""`VideoGenerator`: a video GAN generator with a content code per clip and continuous-time motion codes.

Motion (StyleGAN-V style, not MoCoGAN's GRU): each clip draws random motion anchors, one every
`motion_spacing` frames; a small MLP maps them, and the motion code at time t (in frames, any real
number >= 0) is the linear interpolation of the two anchors around t, joined with Fourier features of t
whose phases come from the clip's first anchor (with fixed phases every clip would share one
time-dependent pattern: a first sanity run showed the same blob appearing at the same frame in all
clips).  Why continuous time: a GRU must be unrolled frame after frame, so a clip of T frames costs T
steps and frame 40 needs frames 0..39; continuous codes give any frame at any time on its own, so
training renders only a sparse handful of frames per clip (the video critic judges 3 frames and their
time gaps), which is what makes training fit a 2-core CPU, and sampling can ask for any length or frame rate.

Where time enters (`motion_input`): by default the motion code and time features join the content in the
style w of every frame, so colours and textures may change through a clip as freely as positions do.
With `motion_input` (StyleGAN-V's choice) the style comes from the content alone, fixed for the clip, and
time enters only as a learned change of the 4x4 input, so a clip keeps its look while its layout moves.
`shortest_period` is the period, in frames, of the fastest time feature (2 is the frame-rate limit).

Each frame is decoded by a 2D network from a learned 4x4 input, doubled in size per block up to
`resolution`, each block a 3x3 convolution, a per-frame noise input (learned strength, zero at the start)
and AdaIN from the frame's style w = mapping(content, motion(t)).  The content is z_content, joined with
a class embedding when `num_classes` > 0 and with the features of a small encoder of the first frame
when `image_cond` is set.

Image conditioning guarantees frame 0: an image-conditioned generator outputs
x(t) = clamp(first_frame + r(t) - r(0)), with r the decoded residual, so the frame at t = 0 is the given
image exactly and later frames move away from it as the motion code changes.

Range: `forward` returns (B, T, 3, H, W) in [-1, 1] (what the critics see); `first_frame` is given in
[0, 1] like every genvid model input; `sample` returns clips in [0, 1].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn
from .pretrained import PretrainedModel


def fourier_time(times: torch.Tensor, count: int, shortest: float = 2.0, longest: float = 64.0,
                 phases: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T) times in frames -> (B, T, 2 * count) sines and cosines, periods `shortest` .. `longest`
    frames, shifted by `phases` (B, count) in radians when given."""
    periods = torch.logspace(math.log10(shortest), math.log10(longest), count, device=times.device)
    angles = 2 * math.pi * times[..., None] / periods
    if phases is not None:
        angles = angles + phases[:, None]
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


def interpolate_anchors(anchors: torch.Tensor, times: torch.Tensor, spacing: float) -> torch.Tensor:
    """(B, K, D) codes at times 0, spacing, 2 spacing, ... and (B, T) times -> (B, T, D), linear between."""
    pos = (times / spacing).clamp(0, anchors.shape[1] - 1)
    left = pos.floor().long().clamp(max=anchors.shape[1] - 2)
    frac = (pos - left)[..., None]
    pick = lambda idx: torch.gather(anchors, 1, repeat(idx, "b t -> b t d", d=anchors.shape[-1]))
    return pick(left) * (1 - frac) + pick(left + 1) * frac


class AdaIN(nn.Module):
    def __init__(self, channels: int, w_dim: int):
        super().__init__()
        self.affine = nn.Linear(w_dim, 2 * channels)
        with torch.no_grad():  # scale about 1, shift about 0, varying with the style from the start
            self.affine.bias.copy_(torch.cat([torch.ones(channels), torch.zeros(channels)]))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale, shift = rearrange(self.affine(w), "n (two c) -> two n c 1 1", two=2)
        return F.instance_norm(x) * scale + shift


class SynthesisBlock(nn.Module):
    """(optional 2x upsample), 3x3 conv, per-frame noise, leaky ReLU, AdaIN."""

    def __init__(self, cin: int, cout: int, w_dim: int, upsample: bool):
        super().__init__()
        self.upsample = upsample
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.noise_strength = nn.Parameter(torch.zeros(1, cout, 1, 1))
        self.norm = AdaIN(cout, w_dim)

    def forward(self, x, w, noise):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.conv(x) + self.noise_strength * noise
        return self.norm(F.leaky_relu(x, 0.2), w)


class FirstFrameEncoder(nn.Module):
    """A frame in [-1, 1] -> a feature vector joined to the content code."""

    def __init__(self, channels: int, out_dim: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, channels, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, channels * 2, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels * 2, channels * 2, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels * 2, out_dim))

    def forward(self, x):
        return self.net(x)


class VideoGenerator(PretrainedModel):
    task = "synthesis"

    def __init__(self, z_dim: int = 64, motion_dim: int = 32, w_dim: int = 128, channels: int = 128,
                 resolution: int = 64, motion_spacing: float = 4.0, fourier: int = 8, num_classes: int = 0,
                 image_cond: bool = False, motion_input: bool = False, shortest_period: float = 2.0):
        super().__init__()
        levels = int(math.log2(resolution // 4))
        if 4 * 2**levels != resolution:
            raise ValueError(f"resolution must be 4 times a power of 2, got {resolution}")
        self.z_dim, self.motion_dim, self.resolution = z_dim, motion_dim, resolution
        self.motion_spacing, self.fourier = float(motion_spacing), fourier
        self.num_classes, self.image_cond = num_classes, image_cond
        self.motion_input, self.shortest_period = motion_input, float(shortest_period)
        content_dim = z_dim
        if num_classes:
            self.class_embed = nn.Embedding(num_classes, z_dim)
            content_dim += z_dim
        if image_cond:
            self.encoder = FirstFrameEncoder(max(8, channels // 8), z_dim)
            content_dim += z_dim
        self.phase = nn.Linear(motion_dim, fourier)  # per-clip phases of the time features
        self.motion_mlp = nn.Sequential(nn.Linear(motion_dim, motion_dim), nn.LeakyReLU(0.2),
                                        nn.Linear(motion_dim, motion_dim))
        widths = [max(channels // 4, channels >> max(0, i - 1)) for i in range(levels + 1)]
        time_dim = motion_dim + 2 * fourier
        self.mapping = nn.Sequential(nn.Linear(content_dim + (0 if motion_input else time_dim), w_dim),
                                     nn.LeakyReLU(0.2), nn.Linear(w_dim, w_dim), nn.LeakyReLU(0.2))
        if motion_input:  # time enters as a change of the 4x4 input, so styles stay fixed for the clip
            self.motion_to_input = nn.Linear(time_dim, widths[0] * 16)
        self.const = nn.Parameter(torch.randn(1, widths[0], 4, 4))
        self.blocks = nn.ModuleList([SynthesisBlock(widths[0], widths[0], w_dim, upsample=False)] +
                                    [SynthesisBlock(widths[i - 1], widths[i], w_dim, upsample=True)
                                     for i in range(1, levels + 1)])
        self.to_rgb = nn.Conv2d(widths[-1], 3, 1)

    # ---- codes -----------------------------------------------------------------------------------
    def anchors_needed(self, last_time: float) -> int:
        """Motion anchors that cover times 0 .. last_time (at least 2)."""
        return max(2, math.floor(last_time / self.motion_spacing) + 2)

    def noise_shapes(self) -> list[tuple[int, int, int]]:
        return [(1, 4 * 2**i, 4 * 2**i) for i in range(len(self.blocks))]

    def content(self, z_content, labels=None, first_frame=None):
        parts = [z_content]
        if self.num_classes:
            if labels is None:
                raise ValueError("this generator is class-conditional: give labels")
            parts.append(self.class_embed(labels))
        if self.image_cond:
            if first_frame is None:
                raise ValueError("this generator animates a first frame: give first_frame")
            parts.append(self.encoder(first_frame * 2 - 1))
        return torch.cat(parts, dim=1)

    def decode(self, content, anchors, times, noise=None):
        """Residual frames r(t): (B, T, 3, H, W), unbounded."""
        b, t = times.shape
        motion = interpolate_anchors(self.motion_mlp(anchors), times, self.motion_spacing)
        phases = math.pi * self.phase(anchors[:, 0])
        timed = torch.cat([motion, fourier_time(times, self.fourier, self.shortest_period, phases=phases)], dim=-1)
        if self.motion_input:
            w = repeat(self.mapping(content), "b d -> (b t) d", t=t)
            x = self.const + rearrange(self.motion_to_input(timed), "b t (c h w) -> (b t) c h w", h=4, w=4)
        else:
            w = self.mapping(torch.cat([repeat(content, "b d -> b t d", t=t), timed], dim=-1))
            w = rearrange(w, "b t d -> (b t) d")
            x = self.const.expand(b * t, -1, -1, -1)
        for i, block in enumerate(self.blocks):
            n = None if noise is None else rearrange(noise[i], "b t c h w -> (b t) c h w")
            if n is None:
                n = torch.randn(b * t, 1, x.shape[-2] * (2 if block.upsample else 1),
                                x.shape[-1] * (2 if block.upsample else 1), device=x.device, dtype=x.dtype)
            x = block(x, w, n)
        return rearrange(self.to_rgb(x), "(b t) c h w -> b t c h w", b=b)

    def forward(self, z_content, motion_anchors, times, labels=None, first_frame=None, noise=None):
        """z_content (B, z_dim), motion_anchors (B, K, motion_dim) at times 0, spacing, ..., times (B, T)
        in frames, labels (B,) long, first_frame (B, 3, H, W) in [0, 1], noise: optional list, one
        (B, T, 1, h, w) tensor per block (fresh Gaussian noise when None) -> (B, T, 3, H, W) in [-1, 1]."""
        content = self.content(z_content, labels, first_frame)
        if not self.image_cond:
            return torch.tanh(self.decode(content, motion_anchors, times, noise))
        zero = torch.zeros_like(times[:, :1])
        zero_noise = None if noise is None else [n[:, :1] for n in noise]
        r0 = self.decode(content, motion_anchors, zero, zero_noise)
        r = self.decode(content, motion_anchors, times, noise)
        return (first_frame[:, None] * 2 - 1 + r - r0).clamp(-1, 1)

    # ---- sampling --------------------------------------------------------------------------------
    def draw(self, n: int, times: torch.Tensor, generator: torch.Generator | None = None, device=None):
        """Random z_content, motion anchors and per-frame noise for `n` clips at `times` (T,) or (n, T), on
        `device`, drawn where `generator` lives: a CPU generator gives the same clips on every device (sampling);
        one on the device draws there, uploading nothing (training)."""
        home = generator.device if generator is not None else torch.device("cpu")
        times = times.float().to(home)
        times = times.expand(n, -1) if times.dim() == 1 else times
        z = torch.randn(n, self.z_dim, generator=generator, device=home)
        anchors = torch.randn(n, self.anchors_needed(float(times.max())), self.motion_dim, generator=generator,
                              device=home)
        noise = [torch.randn(n, times.shape[1], *s, generator=generator, device=home) for s in self.noise_shapes()]
        move = lambda x: x.to(device) if device is not None else x
        return move(z), move(anchors), move(times), [move(x) for x in noise]

    @torch.no_grad()
    def sample(self, n: int, frames: int = 16, seed: int = 0, labels=None, first_frame=None,
               times: torch.Tensor | None = None) -> torch.Tensor:
        """`n` clips of `frames` frames (or at `times`, in frames) as (n, T, 3, H, W) in [0, 1]; the same
        seed gives the same clips.  labels: an int or (n,) longs; first_frame: (3, H, W) or (n, 3, H, W)."""
        device = next(self.parameters()).device
        if times is None:
            times = torch.arange(frames, dtype=torch.float32)
        generator = torch.Generator().manual_seed(int(seed))
        z, anchors, times, noise = self.draw(n, times, generator, device)
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long, device=device).expand(n)
        if first_frame is not None:
            first_frame = first_frame.to(device).float()
            first_frame = first_frame.expand(n, -1, -1, -1) if first_frame.dim() == 3 else first_frame
        out = self(z, anchors, times, labels, first_frame, noise)
        return (out.float() + 1) / 2

    def flops_inputs(self, device) -> dict:
        """Arguments of `forward` for one 1-frame clip (for counting FLOPs per generated frame)."""
        kw = {"z_content": torch.zeros(1, self.z_dim, device=device),
              "motion_anchors": torch.zeros(1, 2, self.motion_dim, device=device),
              "times": torch.zeros(1, 1, device=device),
              "noise": [torch.zeros(1, 1, *s, device=device) for s in self.noise_shapes()]}
        if self.num_classes:
            kw["labels"] = torch.zeros(1, dtype=torch.long, device=device)
        if self.image_cond:
            kw["first_frame"] = torch.zeros(1, 3, self.resolution, self.resolution, device=device)
        return kw
