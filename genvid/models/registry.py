"""Architectures by name, `build_model`, `load_model` and `export_model` (the shipped layout: weights and
their card with parameters, GFLOPs and sha256); which models exist and where is `catalog`, how a model is
saved and loaded is `pretrained`."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from ..errors import GenvidError
from .basicvsr import BasicVSR
from .catalog import DEFAULT_MODEL, list_models, read_card, resolve, sha256_of, weights_dirs  # noqa: F401 (re-exported)
from .pretrained import from_pretrained, load_state, write_safetensors  # noqa: F401 (re-exported)
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


def load_model(name_or_path: str = DEFAULT_MODEL, device: str | torch.device = "cpu",
               dtype: torch.dtype | str | None = None) -> nn.Module:
    """A shipped model by name, a folder written by `save_pretrained`, a `.safetensors` file with its JSON card
    or a third-party `.pth`, ready for inference (`genvid.models.from_pretrained`).

    The module's forward takes (B, T, C, H, W) float RGB in [0, 1] and returns (B, T, C, sH, sW)
    (a denoiser's also takes `noise_level`, see SlidingWindowRestore).  Its card is attached as `model.card`.
    """
    return from_pretrained(name_or_path, device, dtype)


def export_model(module: nn.Module, path: str | Path, card: dict) -> dict:
    """Saves the weights as `<path>.safetensors` (atomically) and `card` beside them as `<path>.json`, with
    the module's config (arch, args), parameters, GFLOPs and sha256 filled in; returns the card."""
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(module, path)
    card = dict(card)
    config = getattr(module, "config", None)
    if isinstance(config, dict):  # a PretrainedModel: its recorded arguments are what rebuilds it
        card.update(config)
    card["parameters"] = count_parameters(module)
    if getattr(module, "task", None) == "synthesis":  # one generated frame at the model's own resolution
        card["gflops_per_frame"] = round(gflops_per_frame(module), 4)
    else:
        card["gflops_640x360"] = round(gflops_per_frame(module), 2)
    card["sha256"] = sha256_of(path)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


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
