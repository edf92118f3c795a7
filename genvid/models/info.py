"""`genvid models info FILE`: what a model file holds, before it is run.

A model of genvid's own format (a shipped name, or `.safetensors` with its `.json` card) is described from
its card.  A checkpoint without a card is read as the engine would read it (`spandrel_models`: plain
tensors only), and its architecture, scale, purpose and sizes are those genvid's loader or spandrel gives;
parameters are counted and GFLOPs measured for one 640x360 input frame, as for genvid's cards.
"""
from __future__ import annotations

import copy

from .catalog import resolve


def count_gflops(model) -> float:
    """GFLOPs of one 640x360 input frame: counted on the meta device (shapes only), else, for a network that
    cannot run there (e.g. SPAN re-fuses its convolutions in every forward), by running it on the CPU."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from .registry import gflops_per_frame

    try:
        return gflops_per_frame(model)
    except Exception:  # noqa: BLE001 (any failure on the meta device)
        pass
    model = copy.deepcopy(model).to("cpu").float()
    x = torch.rand(1, 3, 360, 640)
    with torch.inference_mode(), FlopCounterMode(display=False) as fc:
        model.decode([model.encode(x)], x)
    return fc.get_total_flops() / 1e9


def _own(path, card: dict) -> dict:
    return {"file": str(path), "genvid_format": True, "format": "genvid: .safetensors with its .json card",
            "architecture": card.get("arch"), "loader": "genvid", "purpose": card.get("task"),
            "scale": card.get("scale"), "parameters": card.get("parameters"),
            "gflops_640x360": card.get("gflops_640x360", card.get("gflops_per_frame")),
            "runs": "no: it makes videos from noise (genvid synth)" if card.get("task") == "synthesis"
            else "yes (genvid's own model)",
            "licence": card.get("licence") or "not stated in its card (genvid's shipped models: see the README, "
                                               "Data and licences)"}


def model_info(name_or_path: str) -> dict:
    """What `genvid models info` prints, as a dict."""
    import spandrel

    from .registry import count_parameters
    from .spandrel_models import (SpandrelModel, genvid_model, read_tensors, spandrel_card, spandrel_descriptor,
                                  why_not_runnable)
    from .third_party import LICENCE_NOTE, LICENCES

    path, card = resolve(str(name_or_path))
    if card:
        return _own(path, card)
    state = read_tensors(path)
    kind = "a .safetensors file without a genvid card" if path.suffix == ".safetensors" else \
        f"a {path.suffix} checkpoint, read as plain tensors (torch.load weights_only=True)"
    info = {"file": str(path), "genvid_format": False,
            "format": f"third-party: {kind}; `genvid models convert` writes genvid's format for genvid's own architectures"}
    descriptor = spandrel_descriptor(state, path)
    model = genvid_model(state, path, descriptor)
    if model is not None:
        return info | {"architecture": model.card["arch"], "loader": "genvid", "purpose": model.card["task"],
                       "scale": model.scale, "parameters": count_parameters(model),
                       "gflops_640x360": round(count_gflops(model), 3), "runs": "yes (a per-frame stage)",
                       "licence": LICENCES.get(model.card["arch"], LICENCE_NOTE)}
    problem = why_not_runnable(descriptor)
    arch = descriptor.architecture
    req = descriptor.size_requirements
    sizes = [f"a multiple of {req.multiple_of}"] * (req.multiple_of > 1) + [f"at least {req.minimum}"] * (req.minimum > 0)
    info |= {"architecture": arch.name if arch.name == arch.id else f"{arch.name} ({arch.id})",
             "loader": f"spandrel {spandrel.__version__}", "tags": list(descriptor.tags),
             "purpose": descriptor.purpose, "scale": int(descriptor.scale),
             "parameters": sum(p.numel() for p in descriptor.model.parameters()),
             "precision": "fp32" + ", bf16" * descriptor.supports_bfloat16 + ", fp16" * descriptor.supports_half,
             "input_size": ("width and height " + " and ".join(sizes) if sizes else "any")
             + (", square" if req.square else "") + " (frames are padded to it)",
             "tiling": descriptor.tiling.name.lower(), "licence": spandrel_card(path, descriptor)["licence"]}
    if problem:
        return info | {"gflops_640x360": None, "runs": f"no: it {problem}"}
    model = SpandrelModel(descriptor)
    return info | {"gflops_640x360": round(count_gflops(model), 3),
                   "runs": f"yes (a per-frame stage; tiles overlap by {model.default_tile_overlap} px by default, "
                           "inexact: its receptive field is not known)"}


FIELDS = [("format", "format"), ("architecture", "architecture"), ("loader", "recognised by"), ("tags", "tags"),
          ("purpose", "purpose"), ("scale", "scale"), ("parameters", "parameters"),
          ("gflops_640x360", "GFLOPs per 640x360 input frame"), ("precision", "precision"),
          ("input_size", "input size"), ("tiling", "tiling (spandrel's advice)"), ("runs", "runs in genvid"),
          ("licence", "licence")]


def format_info(info: dict) -> str:
    lines = [info["file"]]
    for key, label in FIELDS:
        value = info.get(key)
        if key in info:
            if isinstance(value, list):
                value = ", ".join(value) or "-"
            elif isinstance(value, int) and not isinstance(value, bool):
                value = f"{value:,}"
            lines.append(f"  {label}: {'-' if value is None else value}")
    return "\n".join(lines)

