"""Frames in and out of the engine: numpy arrays (H, W, 3) uint8/uint16, or float tensors (3, H, W) in [0, 1].

Numpy frames come back as numpy frames, rounded to 8 bits, or to 16 bits for deep ones (`high_bit_depth`);
tensors come back as float tensors on the engine's device, unrounded and unclamped (the model's output).
"""
from __future__ import annotations

import numpy as np
import torch
from einops import rearrange

from ..errors import GenvidError


def frame_to_tensor(frame: np.ndarray, device, dtype=torch.float32) -> torch.Tensor:
    """(H, W, 3) uint8/uint16 -> (1, 3, H, W) in [0, 1] on `device` (converted there, not on the host)."""
    peak = 65535.0 if frame.dtype == np.uint16 else 255.0
    t = torch.from_numpy(frame.astype(np.int32) if frame.dtype == np.uint16 else frame)
    t = t.to(device, non_blocking=True)
    return rearrange(t, "h w c -> 1 c h w").to(dtype) / peak


def tensor_to_frame(x: torch.Tensor, high_bit_depth: bool = False) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8, or uint16 when `high_bit_depth`, rounded."""
    if high_bit_depth:  # torch has no uint16 arithmetic on every device: go through int32
        x = (x.float().clamp(0, 1) * 65535.0).round().to(torch.int32)
        return rearrange(x, "c h w -> h w c").cpu().numpy().astype(np.uint16)
    x = (x.float().clamp(0, 1) * 255.0).round().to(torch.uint8)  # on the device: 4x less to copy back
    return np.ascontiguousarray(rearrange(x, "c h w -> h w c").cpu().numpy())


def to_input(frame, device) -> torch.Tensor:
    """A frame as the engine's (1, 3, H, W) float32 tensor on `device`."""
    if isinstance(frame, np.ndarray):
        if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype not in (np.uint8, np.uint16):
            raise GenvidError(f"frames must be (H, W, 3) uint8 or uint16 arrays, got {frame.dtype} {frame.shape}")
        return frame_to_tensor(frame, device)
    if isinstance(frame, torch.Tensor):
        if frame.dim() == 3:
            frame = frame[None]
        if frame.dim() != 4 or frame.shape[:2] != (1, 3):
            raise GenvidError(f"frame tensors must be (3, H, W) floats in [0, 1], got shape {tuple(frame.shape)}")
        return frame.to(device, torch.float32)
    raise GenvidError(f"frames must be numpy arrays or torch tensors, got {type(frame).__name__}")


def to_output(y: torch.Tensor, like, high_bit_depth: bool | None):
    """The (3, sH, sW) output for an input frame `like`: numpy (16-bit when `high_bit_depth`, or when None
    and `like` is 16-bit) for numpy frames, else the float tensor itself."""
    if not isinstance(like, np.ndarray):
        return y
    high = like.dtype == np.uint16 if high_bit_depth is None else high_bit_depth
    return tensor_to_frame(y, high)
