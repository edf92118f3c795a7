"""Blur kernels and the blur stage of a degradation.

Shapes (kernels are odd-sized, centred and sum to 1; d2 below is the squared distance from the centre
measured in units of the two standard deviations along axes rotated by theta):

- `iso`: a Gaussian with one sigma (kornia's kernel); `aniso`: sigma_x, sigma_y and a rotation.
- `generalized_iso`/`generalized_aniso`: exp(-d2**beta / 2), beta > 1 flatter and sharper-edged than a
  Gaussian, beta < 1 peakier with heavier tails.
- `plateau_iso`/`plateau_aniso`: 1 / (1 + d2**beta), a flat top with slowly falling tails.
- `sinc`: an ideal circular low-pass with angular cutoff w (radians per pixel; pi passes everything a
  pixel grid holds), k(r) = w * J1(w r) / (2 pi r), which gives ringing like an over-sharpened or
  band-limited source.

A clip gets one kernel, applied to all its frames at once with kornia's `filter2d` (frames as the batch),
reflecting at the border (replicating where the frame is too small to reflect the kernel's radius).
"""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
from kornia.filters import filter2d, get_gaussian_kernel2d

from ..errors import GenvidError
from .degrade_options import (
    happens,
    log_uniform,
    pick,
    read_options,
    read_prob,
    read_range,
    read_weights,
    uniform,
    uniform_int,
)

SHAPES = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
MAX_KERNEL = 41


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    return torch.meshgrid(r, r, indexing="ij")  # y, x


def _check_size(size: int) -> None:
    if size % 2 == 0 or not 3 <= size <= MAX_KERNEL:
        raise GenvidError(f"blur kernel size must be odd and in [3, {MAX_KERNEL}], got {size}")


def gaussian_kernel(size: int, sigma_x: float, sigma_y: float | None = None, theta: float = 0.0,
                    beta: float = 1.0, shape: str = "gaussian") -> torch.Tensor:
    """A (size, size) float32 kernel summing to 1: Gaussian (beta 1), generalized Gaussian or plateau.

    sigma_x lies along the direction at angle theta (radians, counter-clockwise from the x axis)."""
    _check_size(size)
    sigma_y = sigma_x if sigma_y is None else sigma_y
    if shape == "gaussian" and beta == 1.0 and sigma_x == sigma_y:
        return get_gaussian_kernel2d(size, (sigma_x, sigma_x), dtype=torch.float64)[0].float()
    y, x = _grid(size)
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * x - s * y, s * x + c * y  # coordinates along the kernel's own axes (y points down)
    d2 = (u / sigma_x) ** 2 + (v / sigma_y) ** 2
    if shape == "gaussian":
        k = torch.exp(-0.5 * d2 ** beta)
    elif shape == "plateau":
        k = 1.0 / (1.0 + d2 ** beta)
    else:
        raise GenvidError(f"unknown kernel shape '{shape}'; known: gaussian, plateau")
    return (k / k.sum()).float()


def sinc_kernel(size: int, cutoff: float) -> torch.Tensor:
    """A (size, size) circular low-pass (jinc) kernel with angular cutoff in (0, pi], summing to 1."""
    _check_size(size)
    if not 0 < cutoff <= math.pi:
        raise GenvidError(f"sinc cutoff must be in (0, pi], got {cutoff}")
    y, x = _grid(size)
    r = torch.sqrt(x ** 2 + y ** 2)
    safe = torch.where(r > 0, r, torch.ones_like(r))
    k = torch.where(r > 0, cutoff * torch.special.bessel_j1(cutoff * safe) / (2 * math.pi * safe),
                    torch.full_like(r, cutoff ** 2 / (4 * math.pi)))  # the limit at r = 0
    return (k / k.sum()).float()


def kernel_from_params(p: dict) -> torch.Tensor:
    if p["shape"] == "sinc":
        return sinc_kernel(p["size"], p["cutoff"])
    family = "plateau" if p["shape"].startswith("plateau") else "gaussian"
    return gaussian_kernel(p["size"], p["sigma_x"], p["sigma_y"], p["theta"], p.get("beta", 1.0), family)


def blur(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """(T, C, H, W) float blurred by one (k, k) kernel."""
    border = "reflect" if kernel.shape[-1] // 2 < min(x.shape[-2:]) else "replicate"
    return filter2d(x, kernel[None].to(x), border_type=border)


class Blur:
    """One random kernel per clip.  Options (defaults in DEFAULTS):

    prob: chance the stage runs; size: odd kernel sizes [low, high]; shapes: weights of SHAPES;
    sigma: standard deviations in pixels (each axis drawn on its own for aniso shapes);
    beta_generalized, beta_plateau: shape exponents (drawn log-uniformly);
    sinc_prob: chance of a sinc kernel instead; cutoff: its angular cutoff in radians per pixel.
    """

    TYPE = "blur"
    DEFAULTS: ClassVar[dict] = {
        "prob": 1.0, "size": [7, 21], "sigma": [0.2, 3.0], "beta_generalized": [0.5, 4.0], "beta_plateau": [1.0, 2.0],
        "shapes": {"iso": 0.45, "aniso": 0.25, "generalized_iso": 0.12, "generalized_aniso": 0.03, "plateau_iso": 0.12,
                   "plateau_aniso": 0.03},
        "sinc_prob": 0.1, "cutoff": [math.pi / 3, math.pi]}

    def __init__(self, spec: dict | None = None, where: str = "blur"):
        o = read_options(spec, Blur.DEFAULTS, where)  # also under Sinc, whose DEFAULTS are what a recipe sets
        self.prob = read_prob(o["prob"], f"{where}.prob")
        self.size = read_range(o["size"], f"{where}.size", 3, MAX_KERNEL)
        if int(self.size[0]) != self.size[0] or int(self.size[1]) != self.size[1]:
            raise GenvidError(f"degradation option '{where}.size' must be whole numbers, got {o['size']!r}")
        if not any(s % 2 for s in range(int(self.size[0]), int(self.size[1]) + 1)):
            raise GenvidError(f"degradation option '{where}.size' holds no odd size: {o['size']!r}")
        self.shapes = read_weights(o["shapes"], f"{where}.shapes", SHAPES)
        self.sigma = read_range(o["sigma"], f"{where}.sigma", 0.05, 20)
        self.beta_generalized = read_range(o["beta_generalized"], f"{where}.beta_generalized", 0.1, 10)
        self.beta_plateau = read_range(o["beta_plateau"], f"{where}.beta_plateau", 0.1, 10)
        self.sinc_prob = read_prob(o["sinc_prob"], f"{where}.sinc_prob")
        self.cutoff = read_range(o["cutoff"], f"{where}.cutoff", 0.05, math.pi)

    def sample(self, rng: np.random.Generator) -> dict | None:
        if not happens(rng, self.prob):
            return None
        lo, hi = int(self.size[0]) // 2, (int(self.size[1]) - 1) // 2  # the odd sizes 2n+1 in range
        size = 2 * uniform_int(rng, (lo, hi)) + 1
        if happens(rng, self.sinc_prob):
            return {"shape": "sinc", "size": size, "cutoff": uniform(rng, self.cutoff)}
        shape = pick(rng, self.shapes)
        sigma_x = uniform(rng, self.sigma)
        p = {"shape": shape, "size": size, "sigma_x": sigma_x, "sigma_y": sigma_x, "theta": 0.0}
        if shape.endswith("aniso"):
            p["sigma_y"] = uniform(rng, self.sigma)
            p["theta"] = uniform(rng, (-math.pi / 2, math.pi / 2))
        if shape.startswith("generalized"):
            p["beta"] = log_uniform(rng, self.beta_generalized)
        elif shape.startswith("plateau"):
            p["beta"] = log_uniform(rng, self.beta_plateau)
        return p

    def apply(self, x: torch.Tensor, p: dict, sizes=None) -> torch.Tensor:
        return blur(x, kernel_from_params(p))


class Sinc(Blur):
    """A sinc (circular low-pass) kernel, the last filter of the second-order model.  Options: prob, size,
    cutoff, as for Blur."""

    TYPE = "sinc"
    DEFAULTS: ClassVar[dict] = {"prob": 0.8, "size": [7, 21], "cutoff": Blur.DEFAULTS["cutoff"]}

    def __init__(self, spec: dict | None = None, where: str = "sinc"):
        super().__init__({**read_options(spec, self.DEFAULTS, where), "sinc_prob": 1.0}, where)
