"""Architectures by name and `load_model`; which models exist and where is `catalog`."""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from ..errors import GenvidError
from .basicvsr import BasicVSR
from .catalog import DEFAULT_MODEL, list_models, read_card, resolve, sha256_of, weights_dirs  # noqa: F401 (re-exported)
from .recurrent_restore import RecurrentFlowRestore
from .recurrent_sr import RecurrentFlowSR
from .restore_window import SlidingWindowRestore
from .rrdbnet import RRDBNet
from .sr_window import SlidingWindowSR
from .srvgg import SRVGGNetCompact
from .synthesis import VideoGenerator

ARCHITECTURES: dict[str, type[nn.Module]] = {
    "SlidingWindowSR": SlidingWindowSR,
    "SlidingWindowRestore": SlidingWindowRestore,
    "RecurrentFlowSR": RecurrentFlowSR,
    "RecurrentFlowRestore": RecurrentFlowRestore,
    "SRVGGNetCompact": SRVGGNetCompact,
    "RRDBNet": RRDBNet,
    "BasicVSR": BasicVSR,
    "VideoGenerator": VideoGenerator,  # synthesis: not an enhancer (card task "synthesis")
}

def build_model(arch: str, args: dict) -> nn.Module:
    if arch not in ARCHITECTURES:
        raise GenvidError(f"unknown architecture '{arch}'; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[arch](**args)


def load_model(name_or_path: str = DEFAULT_MODEL, device: str | torch.device = "cpu") -> nn.Module:
    """A shipped model by name, or a `.safetensors` file with its JSON card, ready for inference.

    The module's forward takes (B, T, C, H, W) float RGB in [0, 1] and returns (B, T, C, sH, sW)
    (a denoiser's also takes `noise_level`, see SlidingWindowRestore).  Its card is attached as `model.card`.
    """
    path, card = resolve(str(name_or_path))
    if not card:  # a checkpoint without genvid's card: genvid's third-party loaders, else spandrel's
        from .spandrel_models import load_checkpoint

        return load_checkpoint(path).eval().to(device)
    model = build_model(card["arch"], card.get("args", {}))
    try:
        state = load_file(str(path))
    except Exception as e:  # safetensors raises several kinds for bad files
        raise GenvidError(f"cannot load weights {path}: {str(e).splitlines()[0]}; the file is damaged or "
                          f"not a .safetensors file") from None
    load_state(model, state, path)
    model.card = card
    return model.eval().to(device)


def _shape(t) -> str:
    shape = getattr(t, "shape", None)
    return type(t).__name__ if shape is None else ("x".join(map(str, shape)) or "scalar")


def _some(items: list[str], shown: int = 3) -> str:
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def load_state(model: nn.Module, state: dict, path: Path) -> None:
    """Loads `state` into `model`, or says which tensors do not fit: a few names, expected and found shapes.

    For a `.safetensors` file the model is built from its card, so a mismatch means a card of other weights;
    for a `.pth` it is built from the tensors' own names and shapes, so a layout genvid does not know."""
    expected = model.state_dict()
    wrong = [f"{k} (expected {_shape(v)}, got {_shape(state[k])})" for k, v in expected.items()
             if k in state and tuple(getattr(state[k], "shape", ())) != tuple(v.shape)]
    missing = [f"{k} ({_shape(v)})" for k, v in expected.items() if k not in state]
    unexpected = [f"{k} ({_shape(v)})" for k, v in state.items() if k not in expected]
    problems = [f"{label} {_some(items)}" for label, items in
                (("wrong shapes:", wrong), ("missing:", missing), ("unexpected:", unexpected)) if items]
    if problems:
        fix = ("the checkpoint is damaged, or not in the Real-ESRGAN layout genvid reads" if Path(path).suffix == ".pth"
               else f"check that {Path(path).with_suffix('.json').name} is the card of these weights")
        raise GenvidError(f"the tensors in {path} do not fit {type(model).__name__} ({'; '.join(problems)}); {fix}")
    try:
        model.load_state_dict(state)
    except Exception as e:  # e.g. a value that is no tensor
        raise GenvidError(f"cannot load weights {path}: {str(e).splitlines()[0]}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def gflops_per_frame(model: nn.Module, height: int = 360, width: int = 640) -> float:
    """Multiply-adds x 2 of one output frame in steady state (neighbour features cached), in GFLOPs.

    A synthesis generator (with `flops_inputs`) is counted for one frame at its own resolution."""
    import copy

    from torch.utils.flop_counter import FlopCounterMode

    # counted on the meta device: shapes only, no arithmetic, so large models count in a moment
    model = copy.deepcopy(model).to("meta").requires_grad_(False)
    if hasattr(model, "flops_inputs"):
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            model(**model.flops_inputs("meta"))
        return fc.get_total_flops() / 1e9
    x = torch.zeros(1, 3, height, width, device="meta")
    r = getattr(model, "window_radius", 0)
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        if getattr(model, "kind", None) == "bidirectional":  # what one more frame of a clip costs: flows
            model(torch.zeros(1, 2, 3, height, width, device="meta"))  # and trunks both ways, the upsampler
            two = fc.get_total_flops()
            model(torch.zeros(1, 3, 3, height, width, device="meta"))
            return (fc.get_total_flops() - 2 * two) / 1e9
        elif getattr(model, "kind", None) == "recurrent":  # steady state: flow, warp, cell (the look-ahead's
            # encoding is reused as the next frame's, so one frame is encoded once)
            feat = model.encode(x)
            model.cell(x, feat, feat, x, feat)
        elif hasattr(model, "encode"):
            feat = model.encode(x)
            model.decode([feat] * (2 * r + 1), x)
        else:
            model(x[:, None])
    return fc.get_total_flops() / 1e9
