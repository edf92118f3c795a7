"""Checkpoints without genvid's card: what genvid's own loaders or spandrel recognise, run as per-frame stages.

spandrel (chaiNNer's model loader, MIT) recognises several dozen single-image architectures (ESRGAN and
Real-ESRGAN, SwinIR, HAT, SPAN, Real-CUGAN, SCUNet, DAT, ...) from their parameter names and shapes, and
builds the network with its weights.  genvid reads the file itself and gives spandrel only the tensors:
`.pth`, `.pt` and `.ckpt` through `torch.load(weights_only=True)` (tensors and plain containers, never
pickled code: a file that holds other objects is refused in one line), `.safetensors` through safetensors.
A TorchScript archive (it holds code) is refused.  spandrel's own file loader is not used (it opens `.pt`
files with `torch.jit.load`).

The network runs as a sliding window of radius 0 (engine/contract.py): `encode` keeps the frame, `decode`
calls spandrel's descriptor, which pads the frame to the model's size requirements, runs it, clamps the
output to [0, 1] and crops it.  Tiles start on the size requirements' `multiple_of`.  The receptive field
of an arbitrary architecture is not known (attention layers see far), so `receptive_radius` is
UNKNOWN_RADIUS (no tile overlap counts as exact) and tiles overlap by DEFAULT_TILE_OVERLAP input pixels
by default, feathered: seams are hidden, but a tiled output is not exactly the untiled one.

Licences: spandrel reports none per model.  Its core package holds only permissively licensed
architectures (MIT, Apache-2.0, public domain); `spandrel-extra-arches` adds some under restrictive ones
(non-commercial, copyleft), and genvid uses them only when GENVID_EXTRA_ARCHES=1 is set, on a copy of
spandrel's registry (spandrel's global registry is left as it is).  The weights are their publisher's.
"""
from __future__ import annotations

import os
import zipfile
from functools import lru_cache
from pathlib import Path

import torch
from einops import rearrange
from torch import nn

from ..errors import GenvidError
from .blocks import SingleFrameWindow

EXTRA_ARCHES_ENV = "GENVID_EXTRA_ARCHES"
SUFFIXES = (".pth", ".pt", ".ckpt", ".safetensors")
DEFAULT_TILE_OVERLAP = 32  # input pixels of tile context by default (inexact: the receptive field is unknown)
BASICVSR_KEY = "backward_trunk.main.0.weight"  # what third_party.detect recognises BasicVSR by
UNKNOWN_RADIUS = 1 << 20  # a receptive radius larger than any tile overlap: none is taken as exact
CORE_CODE = ("its architecture's code is in spandrel's core package, which holds only permissively licensed "
             "architectures (MIT, Apache-2.0 or public domain)")
EXTRA_CODE = ("its architecture's code is from spandrel-extra-arches, whose architectures have restrictive "
              "licences (non-commercial or copyleft): check this one's before any use that is not private "
              "or non-commercial")
WEIGHTS = "the weights' own licence is their publisher's: check it where you got the file"


def extra_arches_asked() -> bool:
    """Whether GENVID_EXTRA_ARCHES asks for spandrel-extra-arches' architectures (set, and not 0/no/false)."""
    return os.environ.get(EXTRA_ARCHES_ENV, "").strip().lower() not in ("", "0", "no", "false")


def arch_registry():
    """spandrel's registry of architectures, with the extra ones when GENVID_EXTRA_ARCHES asks for them."""
    import spandrel

    return _with_extras() if extra_arches_asked() else spandrel.MAIN_REGISTRY


@lru_cache(maxsize=1)
def _with_extras():
    import spandrel

    try:
        from spandrel_extra_arches import EXTRA_REGISTRY
    except ImportError:
        raise GenvidError(f"{EXTRA_ARCHES_ENV} is set but spandrel-extra-arches is not installed: "
                          f"pip install 'genvid[extra-arches]', or unset {EXTRA_ARCHES_ENV}") from None
    registry = spandrel.MAIN_REGISTRY.copy()
    registry.add(*EXTRA_REGISTRY, ignore_duplicates=True)
    return registry


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return any("/code/" in name or name.endswith("/constants.pkl") for name in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def read_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a checkpoint, read as plain tensors and unwrapped as spandrel does (`params_ema`,
    `params`, `state_dict`, `model`, `net`, ... or the top level; `module.` and `netG.` prefixes dropped)."""
    import spandrel

    from .third_party import load_plain

    path = Path(path)
    if not path.is_file():
        raise GenvidError(f"checkpoint not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            obj = load_file(str(path))
        except Exception as e:  # safetensors raises several kinds for bad files
            raise GenvidError(f"cannot load {path}: {str(e).splitlines()[0]}; the file is damaged or not a "
                              ".safetensors file") from None
    elif path.suffix in SUFFIXES:
        if _is_torchscript(path):
            raise GenvidError(f"cannot load {path}: it is a TorchScript archive, which holds code, and genvid "
                              "never runs a file's code to load it; give the model's state dict (.pth or .safetensors)")
        obj = load_plain(path, "a state dict of tensors (.pth, .pt, .ckpt) or a .safetensors file")
    else:
        raise GenvidError(f"cannot load {path}: give a checkpoint ({', '.join(SUFFIXES)})")
    state = spandrel.canonicalize_state_dict(obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict) or not any(isinstance(v, torch.Tensor) for v in state.values()):
        raise GenvidError(f"{path} holds no state dict of tensors (looked in params_ema, params, state_dict, "
                          "model, net and the top level)")
    return state


def _first_line(e: Exception) -> str:
    lines = [s.strip() for s in str(e).splitlines() if s.strip()]
    return (" ".join(lines[:2]) or type(e).__name__)[:300]


def _not_recognised(state: dict, path: Path) -> str:
    import spandrel

    names = ", ".join(list(state)[:3])
    hint = ""
    if not extra_arches_asked():
        try:
            from spandrel_extra_arches import EXTRA_REGISTRY
        except ImportError:
            EXTRA_REGISTRY = []
        found = [s.architecture.name for s in EXTRA_REGISTRY if s.detect(state)]
        if found:
            hint = (f"; it looks like {found[0]}, from spandrel-extra-arches (restrictive licences: check it): "
                    f"set {EXTRA_ARCHES_ENV}=1 to run it")
    card = f" (and it has no genvid card {path.with_suffix('.json').name} beside it)" if path.suffix == ".safetensors" else ""
    return (f"{path}: not a checkpoint genvid knows{card}: neither genvid's own loaders nor spandrel "
            f"{spandrel.__version__} recognise its parameter names ({names}, ...){hint}")


def describe(state: dict[str, torch.Tensor], path: str | Path):
    """spandrel's descriptor (architecture, network with its weights, scale, purpose, sizes) of a state dict."""
    path = Path(path)
    for support in arch_registry().architectures("detection"):
        if support.detect(state):
            try:
                return support.architecture.load(state)
            except Exception as e:  # the names are the architecture's, the shapes or values are not
                raise GenvidError(f"cannot load {path} as spandrel's {support.architecture.name}: "
                                  f"{_first_line(e)}") from None
    raise GenvidError(_not_recognised(state, path))


def why_not_runnable(descriptor) -> str | None:
    """Why genvid cannot enhance frames with this model, or None."""
    import spandrel

    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        return f"is an {descriptor.purpose.lower()} model (it takes a mask with the image); genvid runs image-to-image models"
    if descriptor.purpose == "FaceSR":
        return "is a face restoration model, made for aligned face crops, not whole frames"
    if (descriptor.input_channels, descriptor.output_channels) != (3, 3):
        return (f"takes {descriptor.input_channels} and gives {descriptor.output_channels} channels; "
                "genvid runs RGB models (3 in, 3 out)")
    return None


def from_extra_arches(descriptor) -> bool:
    return type(descriptor.model).__module__.startswith("spandrel_extra_arches")


def licence_note(descriptor) -> str:
    code = EXTRA_CODE if from_extra_arches(descriptor) else CORE_CODE
    return f"unknown: spandrel reports no licence for a model; {code}; {WEIGHTS}"


class SpandrelModel(SingleFrameWindow, nn.Module):
    """A spandrel image model as a per-frame stage; forward: (B, T, 3, H, W) -> (B, T, 3, sH, sW)."""

    def __init__(self, descriptor):
        super().__init__()
        self.net = descriptor.model  # a submodule: .to(), .eval() and parameters() reach it
        self.descriptor = descriptor
        self.architecture = descriptor.architecture.id
        self.scale = int(descriptor.scale)
        self.input_multiple = int(descriptor.size_requirements.multiple_of)
        self.receptive_radius = UNKNOWN_RADIUS
        m = self.input_multiple
        self.default_tile_overlap = -(-DEFAULT_TILE_OVERLAP // m) * m
        self.supports_half = bool(descriptor.supports_half)
        self.supports_bfloat16 = bool(descriptor.supports_bfloat16)

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 3, sH, sW) in [0, 1], padded to the model's size requirements and cropped back."""
        return self.descriptor(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        y = self.forward_frames(rearrange(x, "b t c h w -> (b t) c h w"))
        return rearrange(y, "(b t) c h w -> b t c h w", b=b)


def spandrel_card(path: Path, descriptor) -> dict:
    import spandrel

    arch = descriptor.architecture
    return {"name": path.stem, "task": "super-resolution" if descriptor.scale > 1 else "restoration",
            "scale": int(descriptor.scale), "arch": f"spandrel:{arch.id}", "kind": "window",
            "source": f"third-party checkpoint ({arch.name}, recognised by spandrel {spandrel.__version__})",
            "licence": licence_note(descriptor)}


def native(descriptor) -> tuple[str, dict, dict[str, torch.Tensor]] | None:
    """genvid's own class for what spandrel recognised as Real-ESRGAN's Compact or ESRGAN: (arch, args, the
    weights under genvid's names, taken in order and checked shape for shape), or None for other networks
    (ESRGAN+, x3, not RGB, ...).  genvid's classes declare their exact receptive radius and export to ONNX."""
    from .registry import build_model
    from .rrdbnet import UNSHUFFLE

    net, scale = descriptor.model, int(descriptor.scale)
    if (descriptor.input_channels, descriptor.output_channels) != (3, 3):
        return None
    if descriptor.architecture.id == "Compact" and getattr(net, "act_type", None) == "prelu":
        arch, args = "SRVGGNetCompact", {"num_feat": net.num_feat, "num_conv": net.num_conv, "scale": scale}
    elif (descriptor.architecture.id == "ESRGAN" and "ESRGAN+" not in descriptor.tags and scale in UNSHUFFLE
          and (net.shuffle_factor or 1) == UNSHUFFLE[scale]):
        theirs = net.state_dict()
        args = {"num_feat": int(theirs["model.0.weight"].shape[0]), "num_block": len(net.model[1].sub) - 1,
                "num_grow_ch": int(theirs["model.1.sub.0.RDB1.conv1.0.weight"].shape[0]), "scale": scale}
        arch = "RRDBNet"
    else:
        return None
    ours, theirs = build_model(arch, args).state_dict(), net.state_dict()
    if len(ours) != len(theirs) or any(a.shape != b.shape for a, b in zip(ours.values(), theirs.values())):
        return None
    return arch, args, dict(zip(ours, theirs.values()))


def spandrel_descriptor(state: dict[str, torch.Tensor], path: Path):
    """spandrel's descriptor, or None for a checkpoint genvid recognises without spandrel (BasicVSR)."""
    return None if BASICVSR_KEY in state else describe(state, path)


def genvid_checkpoint(state: dict[str, torch.Tensor], path: Path, descriptor=None) -> tuple[str, dict, dict] | None:
    """(arch, args, state) of a checkpoint in one of genvid's own third-party architectures: BasicVSR
    (third_party.py), or SRVGGNetCompact and RRDBNet as spandrel recognises them; None for others."""
    from .third_party import detect

    descriptor = descriptor or spandrel_descriptor(state, path)
    if descriptor is None:
        try:
            return *detect(state), state
        except GenvidError as e:  # a BasicVSR checkpoint that does not fit
            raise GenvidError(f"{path}: {e}") from None
    return native(descriptor)


def genvid_model(state: dict[str, torch.Tensor], path: Path, descriptor=None) -> nn.Module | None:
    """The checkpoint as one of genvid's own third-party architectures (card attached), or None."""
    from .registry import build_model, load_state
    from .third_party import SOURCES

    found = genvid_checkpoint(state, path, descriptor)
    if found is None:
        return None
    arch, args, state = found
    model = build_model(arch, args)
    load_state(model, state, path)
    model.card = {"name": path.stem, "task": "super-resolution", "scale": args.get("scale", 4), "arch": arch,
                  "args": args, "source": f"third-party checkpoint ({SOURCES[arch]})"}
    return model


def load_checkpoint(path: str | Path) -> nn.Module:
    """A checkpoint without genvid's card as a model the engine runs, its card (`model.card`) attached:
    genvid's own loaders first, then spandrel's architectures."""
    path = Path(path)
    state = read_tensors(path)
    descriptor = spandrel_descriptor(state, path)
    model = genvid_model(state, path, descriptor)
    if model is not None:
        return model
    problem = why_not_runnable(descriptor)
    if problem:
        raise GenvidError(f"cannot enhance with {path}: spandrel's {descriptor.architecture.name} {problem}")
    model = SpandrelModel(descriptor)
    model.card = spandrel_card(path, descriptor)
    return model
