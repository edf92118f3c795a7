"""Training recipes: YAML mapped onto typed dataclasses, one schema per task, with `--set a.b=value` overrides.

`model.task` picks the schema (`TASKS` in train/tasks.py): `super-resolution`, `denoise` and `restore` take
`enhance_task.EnhanceRecipe`, `synthesis` takes `synth_task.SynthesisRecipe`.  The sections every task shares
are here (`ModelConfig`, `OptimConfig`, `TrainConfig`).  Each key must be a field of its section, its value
of the field's type (and one of its `choices`, where the field lists them); a schema's `ignored(tree)` names
keys the recipe sets but its other settings switch off (`loss.r1` without critics, say).  Any of these is
one line of GenvidError: no key passes silently.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import GenvidError
from ..yaml_file import read_yaml

SHARED_DATA = "../shared/data"
PRECISIONS = ("no", "fp16", "bf16")


def choice(default, choices: tuple):
    """A dataclass field whose value (or, for a list, each item) must be one of `choices`."""
    factory = {"default_factory": lambda: list(default)} if isinstance(default, list) else {"default": default}
    return field(metadata={"choices": tuple(choices)}, **factory)


@dataclass
class ModelConfig:
    name: str = "sr-x4"
    task: str = "super-resolution"  # picks the recipe schema and the objective (train/tasks.py)
    arch: str = "SlidingWindowSR"
    args: dict = field(default_factory=dict)
    init_from: str | None = None  # a model name or .safetensors to fine-tune from
    # a warm start from another model: its tensors whose names and shapes match are copied (listed in the log)
    init_partial: str | None = None
    init_flow: str | None = None  # a checkpoint holding SpyNet under `spynet.*` (BasicVSR's) for `model.spynet`
    description: str = ""  # why this design; copied to the model card


@dataclass
class OptimConfig:
    """The generator's Adam, at a constant learning rate."""
    lr: float = 4e-4
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 0.0
    max_steps: int = 10000
    grad_clip: float = 1.0  # the generator's gradient norm; 0: no clipping

    def lr_factor(self):
        """step -> multiplier of `lr`; None: constant (no scheduler)."""
        return None


@dataclass
class ScheduledOptimConfig(OptimConfig):
    """The generator's Adam with a linear warm-up and a cosine decay to `min_lr`."""
    warmup_steps: int = 200
    min_lr: float = 1e-6

    def lr_factor(self):
        from .state import warmup_cosine

        return warmup_cosine(self.warmup_steps, self.max_steps, self.min_lr / self.lr)


@dataclass
class TrainConfig:
    seed: int = 0
    ema_decay: float = 0.999
    # None: what the launcher says (`accelerate launch --mixed_precision`, ACCELERATE_MIXED_PRECISION), else no.
    # fp16 (CUDA only) is refused for recipes with critics: use bf16, which needs no loss scaler
    mixed_precision: str | None = choice(None, PRECISIONS)
    log_every: int = 50
    save_every: int = 250  # a checkpoint, and the EMA generator exported to last.safetensors
    threads: int = 0  # torch CPU threads per process; 0 leaves torch's default
    grad_accum: int = 1  # micro-batches per optimizer step


# ---- building dataclasses from YAML trees ------------------------------------------------------------------

def _fail(where: str, wanted: str, value) -> typing.NoReturn:
    raise GenvidError(f"recipe value {where} must be {wanted}, got {value!r}")


def _coerce(value, tp, where: str, choices: tuple = (), task: str = ""):
    """`value` checked against (and converted to) the annotation `tp`; `task` names the schema in errors."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (tp,) = [a for a in args if a is not type(None)]
        return _coerce(value, tp, where, choices, task)
    if dataclasses.is_dataclass(tp):
        return build(tp, {} if value is None else value, where, task)
    if origin is list:
        if not isinstance(value, list):
            _fail(where, "a list", value)
        return [_coerce(v, args[0], f"{where}[{i}]", choices, task) for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            _fail(where, f"a list of {len(args)}", value)
        return tuple(_coerce(v, a, where) for v, a in zip(value, args))
    if tp in (int, float) and isinstance(value, str):  # YAML reads 1e-4 (no dot) as a string
        try:
            value = float(value)
        except ValueError:
            _fail(where, "a number", value)
    if tp is str and value is False and "no" in choices:  # YAML 1.1 reads a bare `no` as false
        value = "no"
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)
    elif tp is int and isinstance(value, float) and value.is_integer():
        value = int(value)
    wanted = {bool: "true or false", int: "an integer", float: "a number", str: "a string", dict: "a mapping"}
    if tp in wanted and (not isinstance(value, tp) or (tp is not bool and isinstance(value, bool))):
        _fail(where, wanted[tp], value)
    if choices and value not in choices:
        raise GenvidError(f"recipe value {where} {value!r} is not supported for {task or 'these'} recipes; "
                          f"use one of {', '.join(map(str, choices))}")
    return value


def build(cls, values: dict, where: str = "", task: str = ""):
    """The dataclass `cls` from a mapping: unknown keys, wrong types and values outside `choices` are errors."""
    if not isinstance(values, dict):
        raise GenvidError(f"recipe section '{where}' must be a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise GenvidError(f"unknown recipe key(s) {', '.join(sorted(unknown))} in '{where or 'the recipe'}' "
                          f"({cls.__name__}); known: {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    return cls(**{name: _coerce(value, hints[name], f"{where}.{name}".strip("."),
                                fields[name].metadata.get("choices", ()), task)
                  for name, value in values.items()})


def given(tree: dict, key: str) -> bool:
    """Whether the recipe tree sets the dotted `key`."""
    node = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def refuse_ignored(tree: dict, rules: list[tuple[str, bool, str]]) -> None:
    """One GenvidError naming the keys that `tree` sets although their rule (key, used, why not) says unused."""
    ignored = [(key, why) for key, used, why in rules if not used and given(tree, key)]
    if ignored:
        raise GenvidError(f"recipe key(s) {', '.join(k for k, _ in ignored)} would be ignored "
                          f"({'; '.join(f'{k}: {why}' for k, why in ignored)}); remove them")


# ---- loading -----------------------------------------------------------------------------------------------

def set_override(tree: dict, assignment: str) -> None:
    """'optim.lr=1e-4' sets tree['optim']['lr'] to the YAML value 1e-4."""
    if "=" not in assignment:
        raise GenvidError(f"--set expects key=value, got '{assignment}'")
    key, raw = assignment.split("=", 1)
    *parents, leaf = key.strip().split(".")
    node = tree
    for p in parents:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise GenvidError(f"--set {key}: '{p}' is not a section")
    node[leaf] = yaml.safe_load(raw)


def load_recipe(path: str | Path, overrides: list[str] = ()):
    """The recipe (the dataclass of its task's schema) and the plain dict it came from (overrides applied)."""
    from .tasks import TASKS

    tree = read_yaml(path, "recipe")
    for o in overrides:
        set_override(tree, o)
    model = tree.get("model") or {}
    task = model.get("task", ModelConfig.task) if isinstance(model, dict) else ModelConfig.task
    if task not in TASKS:
        raise GenvidError(f"recipe value model.task must be one of {', '.join(TASKS)}, got {task!r}")
    recipe = build(TASKS[task].Recipe, tree, task=task)
    recipe.check(tree)
    return recipe, tree
