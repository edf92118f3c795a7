"""The shipped and user models on this machine, by name: weights folders, cards, `locate`, `list_models`.

Two layouts: the shipped one, `<name>.safetensors` with its `<name>.json` card beside it (the card's `arch`
and `args` are the model's config), and a folder that `save_pretrained` writes: `config.json` (the
architecture and its constructor arguments), `model.safetensors` and, when the model has one, `card.json`
(measurements, training, licence notes; no architecture).  Plain files and JSON only (no torch), so that
`genvid models` and the first checks of every command answer at once; `pretrained` builds and loads.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import GenvidError

DEFAULT_MODEL = "sr-x4"
CONFIG_FILE, WEIGHTS_FILE, CARD_FILE = "config.json", "model.safetensors", "card.json"
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


def read_card(path: Path, hint: str = "each .safetensors needs its .json card beside it") -> dict:
    try:
        card = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise GenvidError(f"cannot read model card {path}: {e}; {hint}") from None
    if not isinstance(card, dict):
        raise GenvidError(f"model card {path} is not a JSON object; {hint}")
    return card


def config_of(card: dict, where: Path) -> dict:
    """{"arch", "args"} of a card or config.json: what rebuilds the network."""
    arch, args = card.get("arch"), card.get("args", {})
    if not isinstance(arch, str) or not isinstance(args, dict):
        raise GenvidError(f"{where} names no architecture: it needs \"arch\" (a class name, e.g. SlidingWindowSR) "
                          "and \"args\" (an object of its constructor arguments)")
    return {"arch": arch, "args": args}


def list_models() -> list[dict]:
    """Cards of every model found in the weights folders (first folder wins on a name clash)."""
    seen: dict[str, dict] = {}
    for d in weights_dirs():
        for card_path in sorted(d.glob("*.json")):
            if card_path.with_suffix(".safetensors").exists() and card_path.stem not in seen:
                seen[card_path.stem] = read_card(card_path) | {"path": str(card_path.with_suffix(".safetensors"))}
    return list(seen.values())


def locate(name_or_path: str) -> tuple[Path, dict, dict]:
    """A shipped model name, a folder written by `save_pretrained` or a weights file -> (weights path,
    config, card).  A third-party `.pth` has neither config nor card here ({}, {}): both are read off its
    tensors when it is loaded."""
    p = Path(name_or_path)
    if p.name == WEIGHTS_FILE and (p.parent / CONFIG_FILE).is_file():
        p = p.parent
    if p.is_dir():
        weights, config_path, card_path = p / WEIGHTS_FILE, p / CONFIG_FILE, p / CARD_FILE
        if not config_path.is_file() or not weights.is_file():
            raise GenvidError(f"{p} is not a saved model: a model folder holds {CONFIG_FILE} and {WEIGHTS_FILE}, "
                              "as save_pretrained writes them")
        config = config_of(read_card(config_path, "save_pretrained writes it"), config_path)
        card = read_card(card_path, "remove it or write it again with save_pretrained") if card_path.exists() else {}
        return weights, config, card
    weights, card = _weights_file(p, name_or_path)
    if not card:  # a checkpoint without genvid's card: config and card come from its tensors when loaded
        return weights, {}, {}
    return weights, config_of(card, weights.with_suffix(".json")), card


def resolve(name_or_path: str) -> tuple[Path, dict]:
    """A model name, folder or weights path -> (weights path, card with the config's arch and args); the card
    is {} for a checkpoint without genvid's card (models/spandrel_models.py reads it)."""
    weights, config, card = locate(name_or_path)
    return weights, card | config


def _weights_file(p: Path, name_or_path: str) -> tuple[Path, dict]:
    if p.suffix in CHECKPOINTS or p.exists():
        if not p.is_file():
            raise GenvidError(f"model file not found: {p}; give a shipped model name (see `genvid models`), "
                              "a folder written by save_pretrained or a path to a model file (.safetensors, .pth, "
                              ".pt, .ckpt)")
        if p.suffix not in CHECKPOINTS:
            raise GenvidError(f"cannot load model {p}: give .safetensors weights with a .json card, a folder "
                              "written by save_pretrained, or a checkpoint (.pth, .pt, .ckpt, .safetensors) of an "
                              "architecture genvid or spandrel recognises")
        if p.suffix != ".safetensors" or not p.with_suffix(".json").exists():
            return p, {}  # a checkpoint without genvid's card: models/spandrel_models.py
        return p, read_card(p.with_suffix(".json"))
    for d in weights_dirs():
        w = d / f"{name_or_path}.safetensors"
        if w.is_file():
            return w, read_card(w.with_suffix(".json"))
    known = ", ".join(m["name"] for m in list_models()) or "none installed"
    raise GenvidError(f"unknown model '{name_or_path}'; known models: {known}; or give a path to a .safetensors "
                      "file or a saved model folder")
