"""Flow-aligned recurrent x4 video super-resolution with one frame of look-ahead (the `sr-x4` v2 design).

Why this design: a sliding window sees only its few frames, while a recurrent network carries what it
has reconstructed so far forward through the whole scene; aligning that hidden state with optical flow
before reusing it is what lifts BasicVSR-style models 2 to 3 dB above windowed ones.  Propagation runs
forward only, so the model streams: frame t's output needs the hidden state of frame t-1 and frames t and
t+1 (one frame of look-ahead), so memory is flat in the video's length and a run can stop and resume
wherever its state was kept.

    flow_t = SpyNet(x_t, x_{t-1})                       (pretrained: BasicVSR's SpyNet, frozen by default)
    h~ = warp(h_{t-1}, flow_t)                          (at a scene's first frame: encode(x_t), unwarped)
    f = fuse([h~, encode(x_t), encode(x_{t+1})])        (x_{t+1} = x_t at a scene's last frame)
    h_t = body(f) + f;   y_t = bilinear_x4(x_t) + pixel_shuffle(conv(h_t))

Its encoder, fusion, body and upsampler have the names and shapes of `SlidingWindowSR`'s, whose window
slots (t-1, t, t+1) become (hidden state, t, t+1): a recipe can start from sr-x4's trained weights
(`model.init_partial`), with extra residual blocks starting as the identity (their last convolution is
zero), so training begins at sr-x4's quality rather than from noise.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .blocks import ResidualBlock, conv3x3
from .pretrained import PretrainedModel
from .recurrence import propagate, run_clip
from .spynet import SpyNet


class RecurrentFlowSR(PretrainedModel):
    """forward: (B, T, 3, H, W) in [0, 1] -> (B, T, 3, scale*H, scale*W), the clip as one scene.

    Streaming: `step(frame, ahead, prev, state)` gives frame t's output and the state for frame t+1;
    `state` is None at a scene's first frame."""

    kind = "recurrent"
    lookahead = 1  # frames after t that output t needs

    def __init__(self, channels: int = 32, blocks: int = 8, scale: int = 4, encoder_blocks: int = 1,
                 identity_blocks: int = 0, freeze_flow: bool = True):
        super().__init__()
        self.channels, self.scale, self.freeze_flow = channels, scale, freeze_flow
        self.spynet = SpyNet()
        if freeze_flow:
            self.spynet.requires_grad_(False)
        self.encoder = nn.Sequential(conv3x3(3, channels), nn.LeakyReLU(0.1, inplace=True),
                                     *[ResidualBlock(channels) for _ in range(encoder_blocks)])
        self.fuse = nn.Sequential(conv3x3(channels * 3, channels), nn.LeakyReLU(0.1, inplace=True))
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks + identity_blocks)])
        for block in list(self.body)[blocks:]:  # start as the identity, so a warm start keeps its quality
            nn.init.zeros_(block.conv2.weight)
            nn.init.zeros_(block.conv2.bias)
        self.upsample = nn.Sequential(conv3x3(channels, 3 * scale * scale), nn.PixelShuffle(scale))
        convs = sum(1 for m in self.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))
        # spatial reach of one output pixel within a frame: every 3x3 conv, bilinear, and the flow's
        # warp of a state that itself reaches as far (tiles see only their own flow: see the engine)
        self.receptive_radius = 1 + convs
        self.input_multiple = 1

    def flow(self, frame: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Flow from `frame` to `prev` (N, 2, H, W), in LR pixels."""
        if self.freeze_flow:
            with torch.no_grad():
                return self.spynet(frame.float(), prev.float()).to(frame.dtype)
        return self.spynet(frame, prev)

    def encode(self, frame: torch.Tensor) -> torch.Tensor:
        return self.encoder(frame)

    def cell(self, frame: torch.Tensor, feat: torch.Tensor, feat_ahead: torch.Tensor,
             prev: torch.Tensor | None, hidden: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame from its encoded features, those of the next frame, and the previous frame and
        hidden state (None at a scene's first frame) -> (output, new hidden state)."""
        hidden = propagate(self, frame, feat, feat_ahead, prev, hidden)
        base = F.interpolate(frame, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return base + self.upsample(hidden), hidden

    def step(self, frame: torch.Tensor, ahead: torch.Tensor, prev: torch.Tensor | None,
             state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Frame t (N, 3, H, W), frame t+1 (frame t itself at a scene's end), frame t-1 and the state
        after frame t-1 (both None at a scene's first frame) -> (output t, state after t)."""
        return self.cell(frame, self.encode(frame), self.encode(ahead), prev, state)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t = x.shape[:2]
        feats = rearrange(self.encode(rearrange(x, "b t c h w -> (b t) c h w")), "(b t) c h w -> b t c h w", b=b)
        return run_clip(self, x, feats)
