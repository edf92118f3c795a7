"""Third-party checkpoints (Real-ESRGAN's SRVGGNetCompact and RRDBNet, BasicVSR) in genvid's own classes, and
their conversion to genvid's format.

A checkpoint is read as plain tensors (`load_plain`: `torch.load(weights_only=True)`, never pickled code).
BasicVSR is recognised here from its parameter names; SRVGGNetCompact and RRDBNet are recognised, with their
shape arguments, by spandrel (`spandrel_models.native`).  `convert_checkpoint` writes the weights as genvid's
`.safetensors` plus a JSON card, loadable by name or path.
"""
from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch

from ..errors import GenvidError
from .basicvsr import LICENCE_NOTE as BASICVSR_LICENCE
from .basicvsr import basicvsr_args_from_state

SOURCES = {
    "SRVGGNetCompact": "Real-ESRGAN SRVGGNetCompact (Wang et al., xinntao/Real-ESRGAN)",
    "RRDBNet": "ESRGAN/Real-ESRGAN RRDBNet (Wang et al., xinntao/Real-ESRGAN)",
    "BasicVSR": "BasicVSR (Chan et al., CVPR 2021; BasicSR's layout)",
}
LICENCE_NOTE = ("third-party weights: their licence is their publisher's, not genvid's; Real-ESRGAN publishes its "
                "models under BSD-3-Clause. Check the terms of the file you converted before redistributing it.")
LICENCES = {"BasicVSR": BASICVSR_LICENCE}


def load_plain(path: Path, expected: str):
    """`torch.load(path, weights_only=True)`, with one-line errors that name the file and never relay torch's
    advice to load it with `weights_only=False` (which could run the file's code); `expected` says what
    the file should be."""
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise GenvidError(f"checkpoint not found: {path}") from None
    except Exception as e:  # torch's messages name no file, and for a refused one advise weights_only=False
        text = str(e)
        # refused: the file names objects other than tensors (junk reads as an "Unsupported operand")
        if isinstance(e, pickle.UnpicklingError) and "Weights only load failed" in text \
                and "Unsupported operand" not in text:
            found = re.search(r"GLOBAL ([\w.]+)", text)
            what = f" ({found.group(1)})" if found else ""
            why = f" as plain tensors: it holds Python objects{what}, which genvid never unpickles (that could run code)"
        else:
            why = ": not a PyTorch checkpoint, or a damaged one"
        raise GenvidError(f"cannot load {path}{why}; give {expected}") from None


def read_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a `.pth` checkpoint: `params_ema`, else `params`, else the top-level dict."""
    path = Path(path)
    obj = load_plain(path, "a Real-ESRGAN .pth (a state dict of tensors)")
    state = None
    if isinstance(obj, dict):
        state = obj.get("params_ema", obj.get("params", obj))
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise GenvidError(f"{path} holds no state dict of tensors (looked in params_ema, params, the top level)")
    return state


def detect(state: dict[str, torch.Tensor]) -> tuple[str, dict]:
    """(architecture name, constructor arguments) of a BasicVSR state dict (spandrel has no video models;
    Real-ESRGAN's SRVGGNetCompact and RRDBNet are recognised by spandrel: `spandrel_models.native`)."""
    if "backward_trunk.main.0.weight" in state:
        return "BasicVSR", basicvsr_args_from_state(state)
    raise GenvidError("not a BasicVSR checkpoint (spynet, backward_trunk, forward_trunk, fusion, upconv1/2, "
                      "conv_hr, conv_last parameter names)")


def read_third_party(path: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(state dict, card) of a third-party checkpoint in one of genvid's own architectures, ready for
    `build_model(card["arch"], card["args"])`: BasicVSR, or SRVGGNetCompact and RRDBNet through spandrel."""
    from .spandrel_models import genvid_checkpoint, read_tensors, spandrel_descriptor

    path = Path(path)
    state = read_tensors(path)
    descriptor = spandrel_descriptor(state, path)
    found = genvid_checkpoint(state, path, descriptor)
    if found is None:
        raise GenvidError(f"{path} is spandrel's {descriptor.architecture.name}, which genvid runs as it is "
                          f"(--model {path}) but converts only to its own SRVGGNetCompact, RRDBNet and BasicVSR")
    arch, args, state = found
    scale = args.get("scale", 4)  # BasicVSR is x4 by design
    card = {"name": path.stem, "task": "super-resolution", "scale": scale, "arch": arch, "args": args,
            "source": f"third-party checkpoint ({SOURCES[arch]})"}
    return state, card


def convert_checkpoint(src: str | Path, out: str | Path, name: str | None = None) -> tuple[Path, dict]:
    """Writes `src` (.pth) as `<out>.safetensors` + `<out>.json`; returns (weights path, card).

    `out` may be a folder (existing), then the file is `<folder>/<name or src stem>.safetensors`.
    """
    from .registry import build_model, export_model, load_state, sha256_of

    src, out = Path(src), Path(out)
    state, card = read_third_party(src)
    if out.is_dir():
        out = out / f"{name or src.stem}.safetensors"
    elif out.suffix not in (".safetensors", ""):
        raise GenvidError(f"output {out} should end in .safetensors (its card is written beside it as .json)")
    out = out.with_suffix(".safetensors")
    if not out.parent.is_dir():
        raise GenvidError(f"cannot write {out}: folder {out.parent} does not exist")
    model = build_model(card["arch"], card["args"])
    load_state(model, state, src)
    card.update({
        "name": name or out.stem,
        "kind": model.kind,
        "description": f"{SOURCES[card['arch']]}, converted from {src.name} by `genvid models convert`; "
                       "weights unchanged (tensor for tensor).",
        "source": {"file": src.name, "sha256": sha256_of(src)},
        "trained_by": f"third party: {SOURCES[card['arch']]}; not trained by genvid",
        "licence": LICENCES.get(card["arch"], LICENCE_NOTE),
    })
    return out, export_model(model, out, card)
