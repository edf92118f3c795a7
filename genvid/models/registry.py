"""Architectures by name, shipped weights with their cards, and `load_model`."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from ..errors import GenvidError
from .basicvsr import BasicVSR
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
    "SRVGGNetCompact": SRVGGNetCompact,
    "RRDBNet": RRDBNet,
    "BasicVSR": BasicVSR,
    "VideoGenerator": VideoGenerator,  # synthesis: not an enhancer (card task "synthesis")
}

DEFAULT_MODEL = "sr-x4"


def weights_dirs() -> list[Path]:
    """Folders searched for `<name>.safetensors` + `<name>.json`: $GENVID_WEIGHTS, then the shipped ones."""
    dirs = [Path(p) for p in os.environ.get("GENVID_WEIGHTS", "").split(os.pathsep) if p]
    return dirs + [Path(__file__).resolve().parents[2] / "weights"]


def build_model(arch: str, args: dict) -> nn.Module:
    if arch not in ARCHITECTURES:
        raise GenvidError(f"unknown architecture '{arch}'; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[arch](**args)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_card(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise GenvidError(f"cannot read model card {path}: {e}; each .safetensors needs its .json card beside it")


def list_models() -> list[dict]:
    """Cards of every model found in the weights folders (first folder wins on a name clash)."""
    seen: dict[str, dict] = {}
    for d in weights_dirs():
        for card_path in sorted(d.glob("*.json")):
            if card_path.with_suffix(".safetensors").exists() and card_path.stem not in seen:
                seen[card_path.stem] = read_card(card_path) | {"path": str(card_path.with_suffix(".safetensors"))}
    return list(seen.values())


def resolve(name_or_path: str) -> tuple[Path, dict]:
    """A model name or a .safetensors path -> (weights path, card)."""
    p = Path(name_or_path)
    if p.suffix == ".safetensors" or p.exists():
        if not p.is_file():
            raise GenvidError(f"model file not found: {p}; give a shipped model name (see `genvid models`) "
                              "or a path to a .safetensors file")
        if p.suffix == ".pth":
            return p, {}
        if p.suffix != ".safetensors":
            raise GenvidError(f"cannot load model {p}: give .safetensors weights with a .json card, "
                              "or a Real-ESRGAN .pth (SRVGGNetCompact or RRDBNet)")
        return p, read_card(p.with_suffix(".json"))
    for d in weights_dirs():
        w = d / f"{name_or_path}.safetensors"
        if w.is_file():
            return w, read_card(w.with_suffix(".json"))
    known = ", ".join(m["name"] for m in list_models()) or "none installed"
    raise GenvidError(f"unknown model '{name_or_path}'; known models: {known}; or give a path to a .safetensors file")


def load_model(name_or_path: str = DEFAULT_MODEL, device: str | torch.device = "cpu") -> nn.Module:
    """A shipped model by name, or a `.safetensors` file with its JSON card, ready for inference.

    The module's forward takes (B, T, C, H, W) float RGB in [0, 1] and returns (B, T, C, sH, sW)
    (a denoiser's also takes `noise_level`, see SlidingWindowRestore).  Its card is attached as `model.card`.
    """
    path, card = resolve(str(name_or_path))
    if path.suffix == ".pth":
        from .third_party import read_third_party

        state, card = read_third_party(path)
    model = build_model(card["arch"], card.get("args", {}))
    try:
        if path.suffix != ".pth":
            state = load_file(str(path))
        model.load_state_dict(state)
    except Exception as e:  # safetensors and torch raise several kinds for bad files
        raise GenvidError(f"cannot load weights {path}: {str(e).splitlines()[0]}") from None
    model.card = card
    return model.eval().to(device)


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
