"""Models that save and load themselves: `PretrainedModel.from_pretrained` and `.save_pretrained`.

Every genvid architecture is a `PretrainedModel`: it records the arguments it was constructed with, so
that `save_pretrained(folder)` writes `config.json` (the architecture's name and those arguments: what
rebuilds the network), `model.safetensors` and, when the model has a card, `card.json` (what was
measured, how it was trained, licence notes; never the architecture).  `Cls.from_pretrained(x)` takes a
shipped model name, such a folder or a `.safetensors` file with its card beside it; the shipped layout
loads through the same code, its card's `arch` and `args` being its config.  A class loads only its own
architecture; `genvid.models.from_pretrained` builds whichever the config names (and reads third-party
`.pth` checkpoints).  Tensors are read with safetensors, a `.pth` with `torch.load(weights_only=True)`:
no code is ever unpickled.
"""
from __future__ import annotations

import functools
import inspect
import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..errors import GenvidError
from .catalog import CARD_FILE, CONFIG_FILE, WEIGHTS_FILE, locate, sha256_of

CONFIG_KEYS = ("arch", "args")  # a card's keys that are the config, not measurements


class PretrainedModel(nn.Module):
    """Base of genvid's architectures: `config`, `from_pretrained`, `save_pretrained`.

    A subclass's constructor takes named arguments only, JSON values (numbers, strings, booleans, lists),
    so that its config rebuilds it.  A loaded model carries its card as `model.card` ({} if it has none)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:  # the parent's constructor, which records its own arguments
            return
        signature = inspect.signature(init)
        params = list(signature.parameters.values())[1:]
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            raise TypeError(f"{cls.__name__}.__init__ takes *args: a PretrainedModel's constructor takes named "
                            "arguments only, so that its config can rebuild it")

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            bound = signature.bind(self, *args, **kw)
            bound.apply_defaults()
            init(self, *args, **kw)
            recorded = {}
            for p in params:  # a subclass's constructor runs last, so its arguments are the ones kept
                if p.kind is p.VAR_KEYWORD:
                    recorded.update(bound.arguments[p.name])
                else:
                    recorded[p.name] = bound.arguments[p.name]
            self.__dict__["_config_args"] = recorded

        cls.__init__ = recording_init

    @property
    def config(self) -> dict:
        """{"arch": class name, "args": constructor arguments}: what `from_pretrained` rebuilds it from."""
        return {"arch": type(self).__name__, "args": dict(self.__dict__.get("_config_args", {}))}

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu",
                        dtype: torch.dtype | str | None = None) -> nn.Module:
        """A shipped model name (e.g. "sr-x4"), a folder written by `save_pretrained`, or a `.safetensors`
        file with its `.json` card beside it -> the model in eval mode on `device`, in `dtype` (None keeps
        float32, whatever the file holds).  Refuses weights of another architecture; called on
        `PretrainedModel` itself, builds the one the config names."""
        return load_pretrained(name_or_path, device, dtype, None if cls is PretrainedModel else cls)

    def save_pretrained(self, folder: str | Path) -> Path:
        """Writes `config.json`, `model.safetensors` and, if the model has a card, `card.json` (its sha256 that
        of the new weights) into `folder` (made if missing); returns the folder."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise GenvidError(f"cannot save the model into {folder}: it is a file; give a folder")
        config = self.config
        try:
            config_text = json.dumps(config, indent=2) + "\n"
        except (TypeError, ValueError) as e:
            raise GenvidError(f"cannot save {config['arch']}: its constructor arguments are not all JSON values "
                              f"({e})") from None
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / WEIGHTS_FILE
        write_safetensors(self, weights)
        _write_text(folder / CONFIG_FILE, config_text)
        card = {k: v for k, v in (getattr(self, "card", None) or {}).items() if k not in CONFIG_KEYS + ("path",)}
        if card:
            card["sha256"] = sha256_of(weights)
            _write_text(folder / CARD_FILE, json.dumps(card, indent=2) + "\n")
        else:  # a card left from other weights would describe the wrong model
            (folder / CARD_FILE).unlink(missing_ok=True)
        return folder


def from_pretrained(name_or_path: str | Path, device: str | torch.device = "cpu",
                    dtype: torch.dtype | str | None = None) -> nn.Module:
    """Any model genvid loads, of the class its config names: a shipped name, a folder written by
    `save_pretrained`, a `.safetensors` file with its card, or a Real-ESRGAN/BasicVSR `.pth`."""
    return load_pretrained(name_or_path, device, dtype, None)


def load_pretrained(name_or_path, device, dtype, expected: type | None) -> nn.Module:
    from .registry import ARCHITECTURES  # every architecture's module imports this one

    dtype = as_dtype(dtype)
    weights, config, card = locate(str(name_or_path))
    if not config:  # a checkpoint without genvid's card: genvid's third-party loaders, else spandrel's
        from .spandrel_models import load_checkpoint

        model = load_checkpoint(weights)
        if expected is not None and not isinstance(model, expected):
            raise GenvidError(f"{name_or_path} holds a {type(model).__name__}, not a {expected.__name__}; load it "
                              "with genvid.models.from_pretrained")
        model.eval()
        return model.to(device=device, dtype=dtype) if dtype is not None else model.to(device)
    state = None
    arch = config["arch"]
    if expected is not None and arch != expected.__name__:
        raise GenvidError(f"{name_or_path} holds a {arch}, not a {expected.__name__}; load it with "
                          "genvid.models.from_pretrained, which builds the architecture its config names")
    cls = expected or ARCHITECTURES.get(arch)
    if cls is None:
        raise GenvidError(f"{name_or_path}: unknown architecture '{arch}'; known: {', '.join(sorted(ARCHITECTURES))}")
    try:
        model = cls(**config["args"])
    except TypeError as e:
        raise GenvidError(f"the config of {name_or_path} does not fit {arch}: {e}") from None
    if state is None:
        try:
            state = load_file(str(weights))
        except Exception as e:  # safetensors raises several kinds for bad files
            raise GenvidError(f"cannot load weights {weights}: {str(e).splitlines()[0]}; the file is damaged or "
                              "not a .safetensors file") from None
    load_state(model, state, weights)
    model.card = card
    model.eval()
    return model.to(device=device, dtype=dtype) if dtype is not None else model.to(device)


def as_dtype(dtype: torch.dtype | str | None) -> torch.dtype | None:
    """None, a torch dtype or its name ("float16", "torch.bfloat16") -> a floating-point torch dtype or None."""
    if dtype is None:
        return None
    found = getattr(torch, dtype.removeprefix("torch."), None) if isinstance(dtype, str) else dtype
    if not isinstance(found, torch.dtype) or not found.is_floating_point:
        raise GenvidError(f"dtype {dtype!r} is not a floating-point torch dtype; give e.g. torch.float16 or 'bfloat16'")
    return found


def _shape(t) -> str:
    shape = getattr(t, "shape", None)
    return type(t).__name__ if shape is None else ("x".join(map(str, shape)) or "scalar")


def _some(items: list[str], shown: int = 3) -> str:
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def load_state(model: nn.Module, state: dict, path: Path) -> None:
    """Loads `state` into `model`, or says which tensors do not fit: a few names, expected and found shapes.

    For a `.safetensors` file the model is built from its config, so a mismatch means the config of other
    weights; for a `.pth` it is built from the tensors' own names and shapes, so a layout genvid does not know."""
    expected = model.state_dict()
    wrong = [f"{k} (expected {_shape(v)}, got {_shape(state[k])})" for k, v in expected.items()
             if k in state and tuple(getattr(state[k], "shape", ())) != tuple(v.shape)]
    missing = [f"{k} ({_shape(v)})" for k, v in expected.items() if k not in state]
    unexpected = [f"{k} ({_shape(v)})" for k, v in state.items() if k not in expected]
    problems = [f"{label} {_some(items)}" for label, items in
                (("wrong shapes:", wrong), ("missing:", missing), ("unexpected:", unexpected)) if items]
    if problems:
        path = Path(path)
        if path.suffix == ".pth":
            fix = "the checkpoint is damaged, or not in the Real-ESRGAN layout genvid reads"
        elif path.name == WEIGHTS_FILE and (path.parent / CONFIG_FILE).is_file():
            fix = f"check that {CONFIG_FILE} beside it is the config of these weights"
        else:
            fix = f"check that {path.with_suffix('.json').name} is the card of these weights"
        raise GenvidError(f"the tensors in {path} do not fit {type(model).__name__} ({'; '.join(problems)}); {fix}")
    try:
        model.load_state_dict(state)
    except Exception as e:  # e.g. a value that is no tensor
        raise GenvidError(f"cannot load weights {path}: {str(e).splitlines()[0]}") from None


def write_safetensors(module: nn.Module, path: Path) -> None:
    """The module's tensors (on the CPU, as they are: dtype kept) into `path`, atomically."""
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, path)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
