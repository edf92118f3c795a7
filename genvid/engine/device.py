"""Device and precision names ("auto", "cpu", "cuda[:N]"; "auto", "fp32", "fp16", "bf16") -> torch objects;
frames per model call (--batch); a model prepared for the run (weights in its precision, channels-last, compiled)."""
from __future__ import annotations

import torch
from torch import nn

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


# --batch auto on a GPU: frames per model call, bounded; memory per frame guessed from the output size
# (a heuristic, not yet checked on a GPU: about 64 float32 values of activations per output pixel)
MAX_AUTO_BATCH = 8
BYTES_PER_OUTPUT_PIXEL = 256
FREE_SHARE = 0.25  # of the GPU's free memory, when the run starts
KIND_METHODS = {"window": ("encode", "decode"), "recurrent": ("encode", "cell"), "bidirectional": ("forward",)}


def check_batch(batch) -> int | None:
    """--batch: "auto" (or None) -> None, else the number of frames per model call (1 or more)."""
    if batch is None or batch == "auto":
        return None
    try:
        n = int(batch)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or (isinstance(batch, float) and batch != n):
        raise GenvidError(f"--batch must be auto or a number of frames of 1 or more, got '{batch}'")
    return n


def auto_batch(device: torch.device, height: int, width: int, scale: int) -> int:
    """Frames (or tiles) per model call when --batch is auto: 1 on the CPU (batching gains nothing there and
    delays the first frame); on a GPU as many frames of `height` x `width` input pixels (a tile's, when
    tiled) as FREE_SHARE of its free memory holds at BYTES_PER_OUTPUT_PIXEL, from 1 to MAX_AUTO_BATCH."""
    if device.type != "cuda":
        return 1
    free, _ = torch.cuda.mem_get_info(device)
    per_frame = height * width * scale * scale * BYTES_PER_OUTPUT_PIXEL
    return max(1, min(MAX_AUTO_BATCH, int(free * FREE_SHARE // max(per_frame, 1))))


def _compiled(fn, label: str):
    """`fn` through torch.compile for fixed shapes; a compiler that fails says so in one line."""
    compiled = torch.compile(fn, dynamic=False)

    def call(*args, **kwargs):
        try:
            return compiled(*args, **kwargs)
        except Exception as e:  # torch._dynamo's BackendCompilerFailed and the like; not the model's own errors
            if type(e).__module__.startswith(("torch._dynamo", "torch._inductor")):
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise GenvidError(f"--compile: torch.compile failed on {label} ({first}); "
                                  "run without --compile") from None
            raise
    return call


def check_compile() -> None:
    """One line when torch.compile cannot run here (an old torch, or a Python dynamo does not support)."""
    if not hasattr(torch, "compile"):
        raise GenvidError(f"--compile needs torch.compile (torch 2.0 or later); this is torch {torch.__version__}")
    from torch import _dynamo

    if not _dynamo.is_dynamo_supported():
        raise GenvidError("--compile: torch.compile is not supported on this Python; run without --compile")


def prepare_model(net, name: str, device: torch.device, dtype: torch.dtype | None, *, compile: bool = False,
                  channels_last: bool | None = None, copy: bool = False):
    """The model as the run uses it: the weights of its convolution and linear layers cast once to the
    run's precision `dtype` (autocast still runs the ops, so the output is that of autocast over fp32
    weights, without re-casting them at every call), channels-last on CUDA (`channels_last` None), and with
    `compile` its kind's per-frame methods through torch.compile.  `copy`: a caller's module, left as given."""
    from copy import deepcopy

    channels_last = device.type == "cuda" if channels_last is None else channels_last
    if copy and (dtype is not None or channels_last or compile):
        net = deepcopy(net)
    if dtype is not None:
        for m in net.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.Linear)):
                m.to(dtype)
    if channels_last:
        net.to(memory_format=torch.channels_last)
    if compile:
        check_compile()
        for method in KIND_METHODS[net.kind]:
            setattr(net, method, _compiled(getattr(net, method), f"{name}.{method}"))
    return net
