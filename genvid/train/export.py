"""Writes a trained network as `<name>.safetensors` plus its JSON model card."""
from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors.torch import save_file
from torch import nn

from ..models.registry import count_parameters, gflops_per_frame, sha256_of


def export_model(module: nn.Module, path: str | Path, card: dict) -> dict:
    """Saves the weights atomically and a card with parameters, GFLOPs and sha256 filled in."""
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, path)
    card = dict(card)
    card["parameters"] = count_parameters(module)
    if getattr(module, "task", None) == "synthesis":  # one generated frame at the model's own resolution
        card["gflops_per_frame"] = round(gflops_per_frame(module), 4)
    else:
        card["gflops_640x360"] = round(gflops_per_frame(module), 2)
    card["sha256"] = sha256_of(path)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card
