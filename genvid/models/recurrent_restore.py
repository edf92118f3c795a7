"""Flow-aligned recurrent restoration at scale 1: the aligned designs of `denoise` and `restore`.

The sliding-window restorer (`restore_window.py`) sees 5 frames; noise and coding artifacts are
independent from frame to frame while the scene is not, so a network that carries what it has restored
so far forward through the whole scene, aligned by optical flow, averages over many more frames.  This
is `recurrent_sr.py`'s design carried to scale 1, with the window restorer's half-resolution inside:

    x_t --pad to even, pixel-unshuffle 2 (+ noise map)--> encode (2D, per frame) --> feat_t   (H/2 x W/2)
    flow_t = SpyNet(pool2(x_t), pool2(x_{t-1}))        (on 2x2-averaged frames: at the state's grid, with
                                                        half the noise std, a quarter of the cost)
    h~ = warp(h_{t-1}, flow_t)                          (at a scene's first frame: feat_t, unwarped)
    f = fuse([h~, feat_t, feat_{t+1}])                  (x_{t+1} = x_t at a scene's last frame)
    h_t = body(f) + f;   y_t = x_t + pixel_shuffle(tail(h_t))   (tail starts at 0: the identity)

Forward propagation only, with one frame of look-ahead, so it streams in constant memory and resumes from
a kept state (engine kind "recurrent").  The encoder, body and tail have the names and shapes of the
window restorer's, so a recipe can start from `denoise` or `restore` (`model.init_partial`); SpyNet starts
from BasicVSR's pretrained one (`model.init_flow`) and stays frozen unless `freeze_flow` is false.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .blocks import ResidualBlock, conv3x3
from .noise_level import clip_levels, estimate_noise_level, pad_to_even, unshuffled_input
from .pretrained import PretrainedModel
from .recurrence import propagate, run_clip
from .spynet import SpyNet


class RecurrentFlowRestore(PretrainedModel):
    """forward((B, T, 3, H, W) in [0, 1], noise_level=None) -> (B, T, 3, H, W), the clip as one scene.

    `noise_level` (models with `noise_map`): None for each frame's blind estimate, or the std in 8-bit
    units as a number, a (B,) tensor or a (B, T) tensor, as `SlidingWindowRestore` takes it."""

    kind = "recurrent"
    lookahead = 1

    def __init__(self, channels: int = 32, blocks: int = 8, encoder_blocks: int = 1, noise_map: bool = False,
                 freeze_flow: bool = True):
        super().__init__()
        self.channels, self.scale, self.noise_map, self.freeze_flow = channels, 1, noise_map, freeze_flow
        self.input_multiple = 2  # tiles start on the pixel-unshuffle grid
        self.spynet = SpyNet()
        if freeze_flow:
            self.spynet.requires_grad_(False)
        self.encoder = nn.Sequential(conv3x3(12 + int(noise_map), channels), nn.LeakyReLU(0.1, inplace=True),
                                     *[ResidualBlock(channels) for _ in range(encoder_blocks)])
        self.fuse = nn.Sequential(conv3x3(channels * 3, channels), nn.LeakyReLU(0.1, inplace=True))
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.tail = conv3x3(channels, 12)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)
        convs = sum(1 for m in self.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))
        self.receptive_radius = 1 + 2 * convs  # each half-resolution 3x3 conv reaches 2 pixels

    def estimate_noise_level(self, frame: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N,) blind noise std in 8-bit units (see noise_level.py)."""
        return estimate_noise_level(frame)

    def encode(self, frame: torch.Tensor, noise_level=None) -> torch.Tensor:
        """(N, 3, H, W) -> (N, C, ceil(H/2), ceil(W/2)); `noise_level` as `SlidingWindowRestore.encode`."""
        if self.noise_map and noise_level is None:
            noise_level = self.estimate_noise_level(frame)
        x = unshuffled_input(frame, self.noise_map, noise_level)
        return self.encoder(x)

    def flow(self, frame: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Flow from `frame` to `prev` on the half-resolution grid (N, 2, H/2, W/2), in its pixels."""
        a, b = F.avg_pool2d(pad_to_even(frame).float(), 2), F.avg_pool2d(pad_to_even(prev).float(), 2)
        if self.freeze_flow:
            with torch.no_grad():
                return self.spynet(a, b)
        return self.spynet(a, b)

    def cell(self, frame: torch.Tensor, feat: torch.Tensor, feat_ahead: torch.Tensor,
             prev: torch.Tensor | None, hidden: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame from its features, those of the next frame, and the previous frame and hidden state
        (None at a scene's first frame) -> (output, new hidden state)."""
        hidden = propagate(self, frame, feat, feat_ahead, prev, hidden)
        correction = F.pixel_shuffle(self.tail(hidden), 2)[..., : frame.shape[-2], : frame.shape[-1]]
        return frame + correction, hidden

    def forward(self, x: torch.Tensor, noise_level=None) -> torch.Tensor:
        b = x.shape[0]
        if self.noise_map:
            noise_level = clip_levels(noise_level, x)
        feats = rearrange(self.encode(rearrange(x, "b t c h w -> (b t) c h w"), noise_level),
                          "(b t) c h w -> b t c h w", b=b)
        return run_clip(self, x, feats)
