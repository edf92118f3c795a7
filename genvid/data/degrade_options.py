"""Reading degradation options from a recipe, and drawing from them.

A stage's options are a mapping merged over its defaults; an unknown key, a range that is not
`[low, high]` inside its limits, or weights that do not add up is a `GenvidError` naming the key.
Draws take a numpy Generator and return plain Python numbers, so a clip's parameters are JSON-able.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import GenvidError


def read_options(spec: dict | None, defaults: dict, where: str) -> dict:
    """`spec` merged over `defaults`; None means the defaults."""
    spec = {} if spec is None else spec
    if not isinstance(spec, dict):
        raise GenvidError(f"degradation option '{where}' must be a mapping, got {spec!r}")
    unknown = sorted(set(spec) - set(defaults))
    if unknown:
        raise GenvidError(f"unknown degradation option(s) {', '.join(unknown)} in '{where}'; "
                          f"known: {', '.join(defaults)}")
    return {**defaults, **spec}


def read_range(value, where: str, low: float, high: float) -> tuple[float, float]:
    """A `[low, high]` pair (or one number, a fixed value) inside the limits."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value, value]
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise GenvidError(f"degradation option '{where}' must be [low, high], got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if not low <= lo <= hi <= high:
        raise GenvidError(f"degradation option '{where}' = [{lo:g}, {hi:g}] must satisfy "
                          f"{low:g} <= low <= high <= {high:g}")
    return lo, hi


def read_prob(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise GenvidError(f"degradation option '{where}' must be a probability in [0, 1], got {value!r}")
    return float(value)


def read_weights(value, where: str, known: tuple[str, ...]) -> dict[str, float]:
    """Choices with weights: a mapping name -> weight, or a list of names (equal weights)."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, (list, tuple)):
        value = {name: 1.0 for name in value}
    if not isinstance(value, dict) or not value:
        raise GenvidError(f"degradation option '{where}' must be a list of names or a mapping name: weight")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise GenvidError(f"unknown choice(s) {', '.join(map(str, unknown))} in '{where}'; known: {', '.join(known)}")
    if any(isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in value.values()) \
            or sum(value.values()) <= 0:
        raise GenvidError(f"degradation option '{where}' needs weights >= 0 with a positive sum, got {value!r}")
    total = float(sum(value.values()))
    return {name: float(w) / total for name, w in value.items() if w > 0}


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    return names[int(rng.choice(len(names), p=np.array([weights[n] for n in names])))] if len(names) > 1 else names[0]


def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds)) if bounds[0] < bounds[1] else bounds[0]


def log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """Uniform in log space: as likely to land in [1, 10] as in [10, 100]; bounds must be > 0."""
    if bounds[0] == bounds[1]:
        return bounds[0]
    return float(math.exp(uniform(rng, (math.log(bounds[0]), math.log(bounds[1])))))


def uniform_int(rng: np.random.Generator, bounds: tuple[float, float]) -> int:
    return int(rng.integers(int(bounds[0]), int(bounds[1]) + 1))


def happens(rng: np.random.Generator, prob: float) -> bool:
    """True with probability `prob`; draws nothing when the answer is certain."""
    return prob >= 1 or (prob > 0 and bool(rng.random() < prob))


def new_seed(rng: np.random.Generator) -> int:
    """A seed for per-frame randomness (noise), stored in the parameters so that `apply` is pure."""
    return int(rng.integers(2**63))
