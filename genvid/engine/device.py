"""Device and precision names ("auto", "cpu", "cuda[:N]"; "auto", "fp32", "fp16", "bf16") -> torch objects."""
from __future__ import annotations

import torch

from ..errors import GenvidError

PRECISIONS = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}


def pick_device(device: str | torch.device) -> torch.device:
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GenvidError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError:
        raise GenvidError(f"unknown device '{device}'; use auto, cpu or cuda") from None


def pick_precision(precision: str, device: torch.device, deep_source: bool = False) -> torch.dtype | None:
    """The autocast dtype of a precision name (None: fp32, no autocast).

    "auto": fp32 on the CPU; on a GPU bf16 where it has bf16 arithmetic (Ampere and later: fp32's range, so
    no overflow, and the same speed as fp16 there), else fp16, except for sources deeper than 8 bits
    (`deep_source`), which fp16's 11-bit significand would round: those get fp32."""
    if precision == "auto":
        if device.type != "cuda":
            return None
        if torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return None if deep_source else torch.float16
    if precision not in PRECISIONS:
        raise GenvidError(f"unknown precision '{precision}'; use auto, fp32, fp16 or bf16")
    if precision == "fp16" and device.type == "cpu":
        raise GenvidError("fp16 is not supported on the CPU; use --precision bf16 or fp32 there (fp16 is for GPUs)")
    return PRECISIONS[precision]


def model_precision(model, dtype: torch.dtype | None) -> torch.dtype | None:
    """`dtype` for `model`, or None (fp32) where the model says it cannot run in it: `supports_half` or
    `supports_bfloat16` False, as spandrel declares for some architectures (genvid's own models run in all)."""
    if dtype == torch.float16 and not getattr(model, "supports_half", True):
        return None
    if dtype == torch.bfloat16 and not getattr(model, "supports_bfloat16", True):
        return None
    return dtype
