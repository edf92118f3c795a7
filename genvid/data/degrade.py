"""Degradations that turn high-resolution clips into training inputs.

Each degradation maps a list of HR frames ((H, W, 3) uint8) to LR frames ((H/scale, W/scale, 3) uint8)
with the same parameters for every frame of a clip, deterministically for a given numpy Generator; it
runs in data-loader workers.  `sample(rng)` draws a clip's parameters (a JSON-able dict), `apply(clip,
params)` is a pure function of both, and `degradation(clip, rng)` does the two in turn; a model that
needs to know its input's degradation (a denoiser's noise level: `degrade_noise.gaussian_sigma`) calls
them apart.  Bicubic is the "BI" protocol of `../shared/README.md`.

Kinds (the recipe's `data.degradation`, given to `build_degradation(spec, scale)`):

- `bicubic`: PIL's antialiased bicubic, nothing else.
- `second_order`: two rounds of blur -> resize -> noise -> compression, the second ending in a sinc
  filter and the final resize to LR in a random order with its compression (the model of Real-ESRGAN,
  here with real video codecs beside JPEG).  Options: `first` and `second`, each a mapping of its stages
  (`blur`, `resize`, `noise`, `compress`) to their options; `compress`, options given to both
  compression stages (a stage's own win); `sinc`; `final_modes`.  SECOND_ORDER holds the defaults.
- `chain`: `stages`, a list of `{type: blur|sinc|resize|lr_resize|noise|compress, ...options}` run in
  order; one that does not resize to LR gets a final bicubic `lr_resize`.
- `one_of`: `choices`, a list of degradation specs, each with an optional `weight` (default 1); a clip
  draws one of them (its parameters are that choice's plus `choice`, its index).
- Single stages after a bicubic resize to LR: `gaussian_noise` (`sigma`, `grey_prob`, `prob`), `noise`
  (the noise stage's options), `jpeg` (`quality`, `prob`), and `codec` (`codecs`, `crf`, `presets`,
  `prob`, and `blur`: blur options for an optional blur at HR first).

Stage options are documented on their classes: `degrade_blur.Blur`, `degrade_resize.RandomResize`,
`degrade_noise.Noise`, `degrade_codec.Compress` (which says how CRF maps to MPEG-2/4's quantiser).

The second-order defaults (SECOND_ORDER), per clip: first round at HR: blur (kernels 7..21, sigma
0.2..3, Gaussian 70%, generalized 15%, plateau 15%, a sinc instead 10%), resize (shrink 70% by 0.15..1,
enlarge 20% by 1..1.5, bicubic, bilinear or area), noise (Gaussian sigma 1..30 or Poisson with 30..3000
photons at white, half each, grey 40%), compression (JPEG quality 30..95 or, as often, H.264, H.265,
MPEG-4 or MPEG-2 at CRF 18..35).  Second round: blur 80% (sigma 0.2..1.5), resize to 0.3..1.2 of the LR
size, noise (sigma 1..25, 40..3000 photons), then either resize to LR, sinc (80%), compression, or
compression, resize to LR, sinc.

Recipes.  A real-world x4 model whose second compression is always a video codec:

    data:
      scale: 4
      degradation:
        kind: second_order
        compress: {codecs: [libx264, libx265, mpeg4, mpeg2video]}
        second: {compress: {jpeg_prob: 0.0, crf: [20, 38]}}

A denoiser (scale 1) on Gaussian noise; one on camera-like noise, sometimes compressed and noised again:

    degradation: {kind: gaussian_noise, sigma: [0, 55]}

    degradation:
      kind: chain
      stages:
        - {type: noise, kinds: {poisson_gaussian: 1}, sigma: [0, 20], peak: [20, 2000], chroma_prob: 0.5}
        - {type: compress, prob: 0.5, jpeg_prob: 0.2, crf: [18, 30]}
        - {type: noise, prob: 0.3, kinds: [gaussian], sigma: [0, 5]}

`recipes/denoise.yaml` draws from both with `kind: one_of` (`choices: [{kind: gaussian_noise, ...},
{kind: chain, ...}]`).

A restorer (scale 1) for compressed footage, mildly blurred half the time:

    degradation:
      kind: codec
      codecs: [libx264, libx265, mpeg4, mpeg2video]
      crf: [23, 45]
      blur: {prob: 0.5, size: [7, 11], sigma: [0.2, 1.2], shapes: [iso, aniso], sinc_prob: 0}
"""
from __future__ import annotations

import copy
import inspect

import numpy as np
from PIL import Image

from ..errors import GenvidError
from .clips import to_tensor
from .degrade_blur import Blur, Sinc
from .degrade_codec import Compress, quantize
from .degrade_noise import Noise
from .degrade_options import read_options
from .degrade_resize import MODES, RandomResize, ResizeToLR, Sizes


def bicubic_downscale(frame: np.ndarray, scale: int) -> np.ndarray:
    """PIL's antialiased bicubic, the protocol's downscaler; H and W must be multiples of scale."""
    h, w = frame.shape[:2]
    return np.asarray(Image.fromarray(frame).resize((w // scale, h // scale), Image.BICUBIC))


class Degradation:
    """`sample(rng)` draws a clip's parameters, `apply(clip, params)` degrades it; calling does both."""

    def sample(self, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def apply(self, clip: list[np.ndarray], params: dict) -> list[np.ndarray]:
        raise NotImplementedError

    def __call__(self, clip: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
        return self.apply(clip, self.sample(rng))


class Bicubic(Degradation):
    def __init__(self, scale: int):
        self.scale = scale

    def sample(self, rng: np.random.Generator) -> dict:
        return {"stages": []}

    def apply(self, clip: list[np.ndarray], params: dict) -> list[np.ndarray]:
        return [bicubic_downscale(f, self.scale) for f in clip]


STAGE_TYPES = {cls.TYPE: cls for cls in (Blur, Sinc, RandomResize, ResizeToLR, Noise, Compress)}


class StagedDegradation(Degradation):
    """Named stages; a clip's parameters list the stages that run, in order, each with its draw."""

    def __init__(self, scale: int, stages: dict):
        self.scale, self.stages = scale, stages

    def draw(self, rng: np.random.Generator, names: list[str]) -> dict:
        drawn = ((n, self.stages[n].sample(rng)) for n in names)
        return {"stages": [{"stage": n, "type": self.stages[n].TYPE, **p} for n, p in drawn if p is not None]}

    def sample(self, rng: np.random.Generator) -> dict:
        return self.draw(rng, list(self.stages))

    def apply(self, clip: list[np.ndarray], params: dict) -> list[np.ndarray]:
        x = to_tensor(np.stack(clip))
        h, w = x.shape[-2:]
        if h % self.scale or w % self.scale:
            raise GenvidError(f"frames of {w}x{h} are not a multiple of the scale {self.scale}")
        sizes = Sizes(hr=(h, w), lr=(h // self.scale, w // self.scale))
        for p in params["stages"]:
            x = self.stages[p["stage"]].apply(x, p, sizes)
        if tuple(x.shape[-2:]) != sizes.lr:
            raise GenvidError(f"degradation stages ended at {x.shape[-1]}x{x.shape[-2]}, not the LR size "
                              f"{sizes.lr[1]}x{sizes.lr[0]}; end the chain with an lr_resize stage")
        return list(quantize(x))


# Defaults of the second-order model: stage options over the stages' own defaults (see their classes).
# The first round works at HR and may leave the clip anywhere from 0.15x to 1.5x; the second round is
# milder and its resize is relative to the LR size.
SECOND_ORDER = {
    "first": {"blur": {}, "resize": {}, "noise": {}, "compress": {}},
    "second": {"blur": {"prob": 0.8, "sigma": [0.2, 1.5]},
               "resize": {"range": [0.3, 1.2], "up": 0.3, "down": 0.4, "relative_to": "lr"},
               "noise": {"sigma": [1.0, 25.0], "peak": [40.0, 3000.0]},
               "compress": {}},
    "compress": {},
    "sinc": {},
    "final_modes": list(MODES),
}


class SecondOrder(StagedDegradation):
    ROUND = ("blur", "resize", "noise", "compress")

    def __init__(self, scale: int, **spec):
        o = read_options(spec, SECOND_ORDER, "second_order")
        shared = spec.get("compress") or {}
        Compress(shared, "second_order.compress")  # checked here, so that a mistake is named where it was made
        stages = {}
        for rnd in ("first", "second"):
            given = spec.get(rnd) or {}
            read_options(given, SECOND_ORDER[rnd], f"second_order.{rnd}")
            for name in self.ROUND:
                where, own = f"second_order.{rnd}.{name}", given.get(name) or {}
                if not isinstance(own, dict):
                    raise GenvidError(f"degradation option '{where}' must be a mapping, got {own!r}")
                merged = {**SECOND_ORDER[rnd][name], **(shared if name == "compress" else {}), **own}
                stages[f"{rnd}.{name}"] = STAGE_TYPES[name](merged, where)
        stages["sinc"] = Sinc(o["sinc"], "second_order.sinc")
        stages["lr_resize"] = ResizeToLR({"modes": o["final_modes"]}, "second_order.final")
        super().__init__(scale, stages)

    def sample(self, rng: np.random.Generator) -> dict:
        rounds = [f"{r}.{n}" for r in ("first", "second") for n in self.ROUND if (r, n) != ("second", "compress")]
        if rng.random() < 0.5:
            tail = ["lr_resize", "sinc", "second.compress"]  # compressed at the delivered size
        else:
            tail = ["second.compress", "lr_resize", "sinc"]  # compressed, then scaled and sharpened
        return self.draw(rng, rounds + tail)


class Chain(StagedDegradation):
    def __init__(self, scale: int, stages: list | None = None):
        if not isinstance(stages, list) or not stages:
            raise GenvidError("a chain degradation needs 'stages': a list of {type: ..., options}")
        built = {}
        for i, spec in enumerate(copy.deepcopy(stages)):
            kind = spec.pop("type", None) if isinstance(spec, dict) else None
            if kind not in STAGE_TYPES:
                raise GenvidError(f"chain stage {i} needs a type, one of {', '.join(STAGE_TYPES)}; got {kind!r}")
            built[f"{i}.{kind}"] = STAGE_TYPES[kind](spec, f"chain.stages[{i}]")
        kinds = [name.split(".")[1] for name in built]
        if "lr_resize" not in kinds:
            built[f"{len(built)}.lr_resize"] = ResizeToLR({"modes": ["bicubic"]})
        elif "resize" in kinds[len(kinds) - kinds[::-1].index("lr_resize"):]:
            raise GenvidError("a chain's random 'resize' stages must come before its last 'lr_resize'")
        super().__init__(scale, built)


def _single(scale: int, stage: dict, before: list[dict] = ()) -> Chain:
    return Chain(scale, [*before, {"type": "lr_resize", "modes": ["bicubic"]}, stage])


def gaussian_noise(scale: int, sigma=(0, 55), grey_prob=0.0, prob=1.0) -> Chain:
    return _single(scale, {"type": "noise", "kinds": ["gaussian"], "sigma": sigma, "grey_prob": grey_prob,
                           "prob": prob})


def jpeg(scale: int, quality=(30, 95), prob=1.0) -> Chain:
    return _single(scale, {"type": "compress", "jpeg_prob": 1.0, "quality": quality, "prob": prob})


def codec(scale: int, codecs=tuple(Compress.DEFAULTS["codecs"]), crf=(23, 45), presets=("medium",), prob=1.0,
          blur: dict | None = None) -> Chain:
    before = [] if blur is None else [{"type": "blur", **blur}]
    return _single(scale, {"type": "compress", "jpeg_prob": 0.0, "codecs": list(codecs), "crf": crf,
                           "presets": list(presets), "prob": prob}, before)


class OneOf(Degradation):
    """One of several degradations per clip, drawn by weight."""

    def __init__(self, scale: int, choices: list | None = None):
        if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
            raise GenvidError("a one_of degradation needs 'choices': a list of degradation specs "
                              "({kind: ..., options, weight: ...})")
        weights = [c.get("weight", 1) for c in choices]
        if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights) \
                or sum(weights) <= 0:
            raise GenvidError(f"one_of weights must be numbers >= 0 with a positive sum, got {weights}")
        self.weights = np.array(weights, dtype=float) / sum(weights)
        self.choices = [build_degradation({k: v for k, v in c.items() if k != "weight"}, scale) for c in choices]

    def sample(self, rng: np.random.Generator) -> dict:
        i = int(rng.choice(len(self.choices), p=self.weights))
        return {"choice": i, **self.choices[i].sample(rng)}

    def apply(self, clip: list[np.ndarray], params: dict) -> list[np.ndarray]:
        return self.choices[params["choice"]].apply(clip, params)


DEGRADATIONS = {"bicubic": Bicubic, "second_order": SecondOrder, "chain": Chain, "gaussian_noise": gaussian_noise,
                "noise": lambda scale, **o: _single(scale, {"type": "noise", **o}), "jpeg": jpeg, "codec": codec,
                "one_of": OneOf}


def build_degradation(spec: dict, scale: int) -> Degradation:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise GenvidError(f"data.scale must be a whole number >= 1, got {scale!r}")
    if not isinstance(spec, dict):
        raise GenvidError(f"data.degradation must be a mapping with a 'kind', got {spec!r}")
    kind = spec.get("kind", "bicubic")
    if kind not in DEGRADATIONS:
        raise GenvidError(f"unknown degradation '{kind}'; known: {', '.join(DEGRADATIONS)}")
    options = {k: v for k, v in spec.items() if k != "kind"}
    if "scale" in options:
        raise GenvidError("the degradation's scale is data.scale; remove 'scale' from data.degradation")
    accepted = inspect.signature(DEGRADATIONS[kind]).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            known = [k for k in accepted if k != "scale"]
            raise GenvidError(f"unknown option(s) {', '.join(unknown)} for degradation '{kind}'; "
                              f"known: {', '.join(known) or 'none'}")
    return DEGRADATIONS[kind](scale=scale, **options)
