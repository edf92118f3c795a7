"""Frames in and out of the engine: numpy arrays (H, W, 3) uint8/uint16, or float tensors (3, H, W) in [0, 1].

Numpy frames come back as numpy frames, rounded to 8 bits, or to 16 bits for deep ones (`high_bit_depth`);
tensors come back as float tensors on the engine's device, unrounded and unclamped (the model's output).

Pixels are converted on the device, a batch at a time: numpy frames are stacked as they are (uint8, or
uint16 carried as int16 bits) into one host buffer, pinned on a CUDA device so that the copy is
asynchronous, and become floats there; outputs are rounded there and come back in one copy per batch, into
pinned memory, with one wait for the whole batch.  Between two models of a chain a numpy frame stays on
the device as a `DeviceFrame`, rounded to the source's depth exactly as the numpy frame would have been.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import GenvidError


@dataclass
class DeviceFrame:
    """A numpy frame's output kept on the device for the next model of a chain: `x` (1, 3, H, W) float32
    holding k / 255 (k / 65535 when `high`), the values the rounded numpy frame would give that model."""
    x: torch.Tensor
    high: bool


def _pinned(device: torch.device) -> bool:
    return device.type == "cuda"


def _check_array(frame: np.ndarray) -> None:
    if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype not in (np.uint8, np.uint16):
        raise GenvidError(f"frames must be (H, W, 3) uint8 or uint16 arrays, got {frame.dtype} {frame.shape}")


def arrays_to_tensor(frames: list[np.ndarray], device) -> torch.Tensor:
    """Same-shape, same-dtype (H, W, 3) uint8/uint16 frames -> (N, 3, H, W) float32 in [0, 1] on `device`,
    converted there (a channels-last view of the stacked pixels)."""
    device = torch.device(device)
    deep = frames[0].dtype == np.uint16
    if _pinned(device) or len(frames) > 1:
        host = torch.empty((len(frames), *frames[0].shape), dtype=torch.int16 if deep else torch.uint8,
                           pin_memory=_pinned(device))
        view = host.numpy()
        for i, f in enumerate(frames):
            view[i] = f.view(np.int16) if deep else f
    else:  # one frame on the CPU: no copy
        host = torch.from_numpy(frames[0].view(np.int16) if deep else frames[0])[None]
    t = host.to(device, non_blocking=True)
    x = (t.to(torch.int32) & 0xFFFF).to(torch.float32) / 65535.0 if deep else t.to(torch.float32) / 255.0
    return x.permute(0, 3, 1, 2)


def frame_to_tensor(frame: np.ndarray, device, dtype=torch.float32) -> torch.Tensor:
    """(H, W, 3) uint8/uint16 -> (1, 3, H, W) in [0, 1] on `device` (converted there, not on the host)."""
    _check_array(frame)
    return arrays_to_tensor([frame], device).to(dtype)


def _one(frame, device) -> torch.Tensor:
    if isinstance(frame, DeviceFrame):
        return frame.x.to(device)
    if isinstance(frame, np.ndarray):
        _check_array(frame)
        return arrays_to_tensor([frame], device)
    if isinstance(frame, torch.Tensor):
        if frame.dim() == 3:
            frame = frame[None]
        if frame.dim() != 4 or frame.shape[:2] != (1, 3):
            raise GenvidError(f"frame tensors must be (3, H, W) floats in [0, 1], got shape {tuple(frame.shape)}")
        return frame.to(device, torch.float32)
    raise GenvidError(f"frames must be numpy arrays or torch tensors, got {type(frame).__name__}")


def to_input(frame, device) -> torch.Tensor:
    """A frame as the engine's (1, 3, H, W) float32 tensor on `device`."""
    return _one(frame, device)


def to_inputs(frames: list, device) -> torch.Tensor:
    """Frames of one size as the engine's (N, 3, H, W) float32 tensor on `device`; numpy frames of one
    dtype travel together, in one (pinned, on CUDA) host buffer."""
    if len(frames) > 1 and all(isinstance(f, np.ndarray) for f in frames):
        for f in frames:
            _check_array(f)
        if len({(f.shape, f.dtype) for f in frames}) == 1:
            return arrays_to_tensor(frames, device)
    if len(frames) == 1:
        return _one(frames[0], device)
    return torch.cat([_one(f, device) for f in frames])


def frame_size(frame) -> tuple[int, int]:
    """(height, width) of a frame as given: an array (H, W, 3), a tensor (3, H, W) or a `DeviceFrame`."""
    if isinstance(frame, DeviceFrame):
        frame = frame.x
    shape = tuple(frame.shape)
    return (shape[0], shape[1]) if isinstance(frame, np.ndarray) else (shape[-2], shape[-1])


def quantise(y: torch.Tensor, high: bool) -> torch.Tensor:
    """Rounded to 16 bits (`high`) or 8, as floats k / peak: what a rounded frame read back gives."""
    peak = 65535.0 if high else 255.0
    return (y.float().clamp(0, 1) * peak).round() / peak


def _download(y: torch.Tensor, high: bool) -> list[np.ndarray]:
    """(N, 3, H, W) -> N (H, W, 3) uint8 (uint16 when `high`) frames, rounded on the device and copied to
    the host in one copy (into pinned memory on CUDA) and one wait."""
    peak = 65535.0 if high else 255.0
    q = (y.float().clamp(0, 1) * peak).round()
    # uint16 as int16 bits (v - 32768): half the bytes of int32, and arithmetic every device has
    q = (q.to(torch.int32) - 32768).to(torch.int16) if high else q.to(torch.uint8)
    q = q.permute(0, 2, 3, 1).contiguous()
    if _pinned(q.device):
        host = torch.empty(q.shape, dtype=q.dtype, pin_memory=True)
        host.copy_(q, non_blocking=True)
        torch.cuda.current_stream(q.device).synchronize()  # one wait per batch
    else:
        host = q
    arrays = host.numpy()
    if high:
        return list(arrays.view(np.uint16) ^ np.uint16(0x8000))
    return list(arrays)


def to_outputs(y: torch.Tensor, likes: list, high_bit_depth: bool | None, on_device: bool = False) -> list:
    """The (N, 3, sH, sW) outputs for input frames `likes`: numpy (16-bit when `high_bit_depth`, or when
    None and the input was 16-bit) for numpy frames, or a `DeviceFrame` rounded alike when `on_device` (a
    chain's next model takes it); the float tensor itself for tensor frames."""
    out: list = [None] * len(likes)
    groups: dict[bool, list[int]] = {}
    for i, like in enumerate(likes):
        if isinstance(like, DeviceFrame):
            high = like.high if high_bit_depth is None else high_bit_depth
        elif isinstance(like, np.ndarray):
            high = like.dtype == np.uint16 if high_bit_depth is None else high_bit_depth
        else:
            out[i] = y[i]
            continue
        if on_device:
            out[i] = DeviceFrame(quantise(y[i:i + 1], high), high)
        else:
            groups.setdefault(high, []).append(i)
    for high, index in groups.items():
        rows = y if len(index) == len(likes) else y[index]
        for i, frame in zip(index, _download(rows, high)):
            out[i] = frame
    return out


def to_output(y: torch.Tensor, like, high_bit_depth: bool | None):
    """The (3, sH, sW) output for one input frame `like` (see `to_outputs`)."""
    return to_outputs(y[None], [like], high_bit_depth)[0]


def tensor_to_frame(x: torch.Tensor, high_bit_depth: bool = False) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8, or uint16 when `high_bit_depth`, rounded."""
    return _download(x[None], high_bit_depth)[0]
