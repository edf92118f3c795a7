"""The noise stage of a degradation: Gaussian, Poisson, Poisson-Gaussian, and chroma noise.

Levels are on the 0-255 scale.  A clip draws one set of parameters (kind, level, grey or colour) and a
seed; every frame then gets its own independent noise from that seed, so `apply` is a pure function of
the clip and the parameters.

- gaussian: N(0, sigma) added to each channel (colour) or the same to all three (grey).
- poisson: shot noise of a sensor whose white collects `peak` photons: Poisson(x * peak) / peak, so the
  noise std at level x (0..1) is sqrt(x / peak); on the luma only (added to all channels) when grey.
- poisson_gaussian: Poisson, then Gaussian read noise: the usual model of a raw camera signal.
- chroma (on top of any kind, with `chroma_prob`): Gaussian noise on Cb and Cr only, low-passed by a
  Gaussian of std `chroma_blur` pixels (the blotches demosaicing and chroma subsampling leave) and
  rescaled so that its std stays `chroma_sigma`.
Results are clipped to [0, 1], like a real signal.
"""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
from kornia.color import rgb_to_grayscale, rgb_to_ycbcr, ycbcr_to_rgb

from .degrade_blur import blur, gaussian_kernel
from .degrade_options import (
    happens,
    log_uniform,
    new_seed,
    pick,
    read_options,
    read_prob,
    read_range,
    read_weights,
    uniform,
)

KINDS = ("gaussian", "poisson", "poisson_gaussian")


def add_gaussian(x: torch.Tensor, sigma: float, grey: bool, rng: np.random.Generator) -> torch.Tensor:
    t, c, h, w = x.shape
    n = rng.standard_normal((t, 1 if grey else c, h, w), dtype=np.float32)
    return x + torch.from_numpy(n) * (sigma / 255.0)


def add_poisson(x: torch.Tensor, peak: float, grey: bool, rng: np.random.Generator) -> torch.Tensor:
    signal = rgb_to_grayscale(x) if grey else x
    lam = signal.clamp(0, 1).double().numpy() * peak
    noise = torch.from_numpy(rng.poisson(lam) / peak).float() - signal
    return x + noise


def add_chroma(x: torch.Tensor, sigma: float, blur_sigma: float, rng: np.random.Generator) -> torch.Tensor:
    t, _, h, w = x.shape
    n = torch.from_numpy(rng.standard_normal((t, 2, h, w), dtype=np.float32))
    if blur_sigma > 0:
        k = gaussian_kernel(2 * math.ceil(3 * blur_sigma) + 1, blur_sigma)
        n = blur(n, k) / float(k.square().sum().sqrt())  # white noise through k has std sqrt(sum k^2)
    ycc = rgb_to_ycbcr(x)
    return ycbcr_to_rgb(torch.cat([ycc[:, :1], ycc[:, 1:] + n * (sigma / 255.0)], dim=1))


class Noise:
    """Options: prob; kinds: weights of KINDS; sigma: Gaussian std range (0-255 scale, uniform);
    peak: photons at white for Poisson (log-uniform; smaller is noisier); grey_prob: chance the noise is
    the same in all channels; chroma_prob, chroma_sigma, chroma_blur: the optional chroma noise."""

    TYPE = "noise"
    DEFAULTS: ClassVar[dict] = {
        "prob": 1.0, "kinds": {"gaussian": 0.5, "poisson": 0.5}, "sigma": [1.0, 30.0], "peak": [30.0, 3000.0],
        "grey_prob": 0.4, "chroma_prob": 0.0, "chroma_sigma": [2.0, 12.0], "chroma_blur": [0.5, 2.0]}

    def __init__(self, spec: dict | None = None, where: str = "noise"):
        o = read_options(spec, self.DEFAULTS, where)
        self.prob = read_prob(o["prob"], f"{where}.prob")
        self.kinds = read_weights(o["kinds"], f"{where}.kinds", KINDS)
        self.sigma = read_range(o["sigma"], f"{where}.sigma", 0, 255)
        self.peak = read_range(o["peak"], f"{where}.peak", 1, 1e7)
        self.grey_prob = read_prob(o["grey_prob"], f"{where}.grey_prob")
        self.chroma_prob = read_prob(o["chroma_prob"], f"{where}.chroma_prob")
        self.chroma_sigma = read_range(o["chroma_sigma"], f"{where}.chroma_sigma", 0, 255)
        self.chroma_blur = read_range(o["chroma_blur"], f"{where}.chroma_blur", 0, 5)

    def sample(self, rng: np.random.Generator) -> dict | None:
        if not happens(rng, self.prob):
            return None
        p = {"kind": pick(rng, self.kinds)}
        if p["kind"] != "gaussian":
            p["peak"] = log_uniform(rng, self.peak)
        if p["kind"] != "poisson":
            p["sigma"] = uniform(rng, self.sigma)
        p["grey"] = happens(rng, self.grey_prob)
        if happens(rng, self.chroma_prob):
            p["chroma"] = {"sigma": uniform(rng, self.chroma_sigma), "blur": uniform(rng, self.chroma_blur)}
        p["seed"] = new_seed(rng)
        return p

    def apply(self, x: torch.Tensor, p: dict, sizes=None) -> torch.Tensor:
        rng = np.random.default_rng(p["seed"])
        x = x.clamp(0, 1)
        if "peak" in p:
            x = add_poisson(x, p["peak"], p["grey"], rng)
        if "sigma" in p:
            x = add_gaussian(x, p["sigma"], p["grey"], rng)
        if "chroma" in p:
            x = add_chroma(x, p["chroma"]["sigma"], p["chroma"]["blur"], rng)
        return x.clamp(0, 1)


def gaussian_sigma(params: dict) -> float:
    """The std (0-255 scale) of the Gaussian noise that a clip's degradation parameters added, summed in
    quadrature over noise stages: the noise-level input of a denoiser trained on Gaussian noise.

    Exact for Gaussian-only chains; Poisson and chroma parts (signal- or channel-dependent) are not in it,
    and a later blur, resize or compression changes what is left of it."""
    return math.sqrt(sum(p.get("sigma", 0.0) ** 2 for p in params.get("stages", []) if p.get("type") == "noise"))


def exact_gaussian_sigma(params: dict) -> float | None:
    """`gaussian_sigma` when it describes the clip exactly: every stage is Gaussian noise without chroma
    noise, or the resize to LR (a no-op at scale 1, the only scale this is asked for); else None."""
    for p in params.get("stages", []):
        if p.get("type") == "noise":
            if p.get("kind") != "gaussian" or "chroma" in p:
                return None
        elif p.get("type") != "lr_resize":
            return None
    return gaussian_sigma(params)
