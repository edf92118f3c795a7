"""The shipped and user models on this machine, by name: weights folders, cards, `resolve`, `list_models`.

Plain files and JSON only (no torch), so that `genvid models` and the first checks of every command answer
at once; `registry` builds and loads the networks.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import GenvidError

DEFAULT_MODEL = "sr-x4"
CHECKPOINTS = (".safetensors", ".pth", ".pt", ".ckpt")  # genvid's format first; the others are third-party


def weights_dirs() -> list[Path]:
    """Folders searched for `<name>.safetensors` + `<name>.json`: $GENVID_WEIGHTS, then the shipped ones:
    `genvid/weights` of an installed package (setup.py maps the repository's `weights/` there), else
    `weights/` of a source checkout."""
    dirs = [Path(p) for p in os.environ.get("GENVID_WEIGHTS", "").split(os.pathsep) if p]
    package = Path(__file__).resolve().parents[1]
    shipped = [d for d in (package / "weights", package.parent / "weights") if d.is_dir()]
    return dirs + (shipped[:1] or [package.parent / "weights"])


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
    """A model name or a file -> (weights path, card); the card is {} for a checkpoint without genvid's card."""
    p = Path(name_or_path)
    if p.suffix in CHECKPOINTS or p.exists():
        if not p.is_file():
            raise GenvidError(f"model file not found: {p}; give a shipped model name (see `genvid models`) "
                              "or a path to a model file (.safetensors, .pth, .pt, .ckpt)")
        if p.suffix not in CHECKPOINTS:
            raise GenvidError(f"cannot load model {p}: give .safetensors weights with a .json card, or a checkpoint "
                              "(.pth, .pt, .ckpt, .safetensors) of an architecture genvid or spandrel recognises")
        if p.suffix != ".safetensors" or not p.with_suffix(".json").exists():
            return p, {}  # a checkpoint without genvid's card: models/spandrel_models.py
        return p, read_card(p.with_suffix(".json"))
    for d in weights_dirs():
        w = d / f"{name_or_path}.safetensors"
        if w.is_file():
            return w, read_card(w.with_suffix(".json"))
    known = ", ".join(m["name"] for m in list_models()) or "none installed"
    raise GenvidError(f"unknown model '{name_or_path}'; known models: {known}; or give a path to a .safetensors file")
