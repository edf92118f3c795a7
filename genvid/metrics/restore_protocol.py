"""The denoising and restoration validation protocols of `../shared/README.md`, on clip folders.

- Denoising: additive white Gaussian noise of std `sigma` (8-bit units, independent per RGB channel) on
  the 8-bit ground truth, clipped to 0..255 and rounded; clip k at sigma s is noised by the generator
  seeded with (seed, k, round(100 s)), so every run and every model sees the same noisy frames.  The
  model is blind (it estimates the level) unless `given_sigma`, which hands it the true sigma.
- Restoration: the ground truth through H.264 (libx264, preset medium, yuv420p, BT.601) at a CRF, decoded
  back (`degrade_codec.codec_round_trip`: no files, one encoder thread, so the same frames every run).
- A distorted/pristine pair of videos (e.g. `carphone_distorted.mp4` against `carphone_pristine.mp4`).

The model runs through the engine (`genvid.Enhancer`, what `genvid enhance` runs, with no scene cuts;
outputs rounded to 8 bits).  Scores (`sr_protocol.score_clip`, no border crop): PSNR and SSIM on RGB and
BT.601 Y, tOF when the frames allow it, LPIPS and tLP when the LPIPS backbone file is found (`lpips_net`,
`lpips_backbone`; otherwise the result's "notes" say why), VMAF on request; averaged over frames, then
clips.  The degraded
input is scored the same way beside the model ("input"), so every result carries its own baseline.
Results: {"protocol", "clips", "model", "input"} at the headline setting (sigma 30, or the first sigma;
the CRF), and for denoising "by_sigma": {sigma: {"model", "input"}}.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.clips import find_clips, load_clip
from ..data.degrade_codec import codec_round_trip
from ..engine import Enhancer
from ..errors import GenvidError
from .fidelity import mean_scores
from .perceptual import open_scorer, scorer_notes
from .share import Share
from .sr_protocol import score_clip

HEADLINE_SIGMA = 30


def add_gaussian_noise(clip: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """(T, H, W, 3) uint8 plus N(0, sigma) per pixel and channel, clipped and rounded to uint8."""
    noisy = clip.astype(np.float64) + rng.standard_normal(clip.shape) * sigma
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def run_model(model, frames: np.ndarray, device="cpu", sigma: float | None = None) -> np.ndarray:
    """(T, H, W, 3) uint8 through the streaming enhancer -> (T, H, W, 3) uint8; `sigma` sets a noise-map
    model's level (None: blind)."""
    was_training = model.training
    model.eval()
    try:
        enhancer = Enhancer(model, device, "fp32", sigma=sigma, scene_threshold=None)
        return np.stack(list(enhancer(iter(frames))))
    finally:
        model.train(was_training)


def _clips(root: str | Path, max_frames: int, share: Share | None) -> list[tuple[int, np.ndarray]]:
    """(k, clip) for this process's share of the clips under `root`."""
    return [(k, load_clip(path, max_frames)) for k, path in (share or Share()).mine(find_clips(root))]


def evaluate_denoise(model, root: str | Path, sigmas=(10, 30, 50), device="cpu", max_frames: int = 100,
                     seed: int = 0, given_sigma: bool = False, with_vmaf: bool = False,
                     lpips_net: str | None = "alex", lpips_backbone=None, share: Share | None = None) -> dict:
    """The denoising protocol over every clip under `root`; `model=None` scores the noisy input alone.
    `share`: this process scores its share of the clips, and every process gets the means over all."""
    sigmas = [float(s) for s in sigmas]
    if not sigmas or min(sigmas) < 0:
        raise GenvidError(f"denoising sigmas must be a non-empty list of numbers >= 0, got {sigmas}")
    perceptual, notes = open_scorer(lpips_net, lpips_backbone, device)
    scored = []  # (k, {sigma: {"input": scores, "model": scores}})
    for k, clean in _clips(root, max_frames, share):
        by_sigma = {}
        for s in sigmas:
            noisy = add_gaussian_noise(clean, s, np.random.default_rng([seed, k, round(100 * s)]))
            by_sigma[s] = {"input": score_clip(noisy, clean, 0, with_vmaf, perceptual)}
            if model is not None:
                pred = run_model(model, noisy, device, s if given_sigma else None)
                by_sigma[s]["model"] = score_clip(pred, clean, 0, with_vmaf, perceptual)
        scored.append((k, by_sigma))
    scored = (share or Share()).join(scored)
    by_sigma = {f"{s:g}": {key: mean_scores([r[s][key] for _, r in scored])
                           for key in ("model", "input") if scored and key in scored[0][1][s]}
                for s in sigmas}
    headline = f"{HEADLINE_SIGMA:g}" if HEADLINE_SIGMA in sigmas else f"{sigmas[0]:g}"
    protocol = (f"AWGN sigma {', '.join(by_sigma)} (8-bit RGB, per channel, clipped, rounded; seed {seed}), "
                f"{'sigma given' if given_sigma else 'blind'}; PSNR/SSIM on RGB and BT.601 Y, no crop; "
                f"headline sigma {headline}")
    return {"protocol": protocol, "clips": len(scored), "sigma": float(headline), **by_sigma[headline],
            "by_sigma": by_sigma, **scorer_notes(perceptual, notes)}


def evaluate_restore(model, root: str | Path, crf: int = 37, codec: str = "libx264", device="cpu",
                     max_frames: int = 100, with_vmaf: bool = False, lpips_net: str | None = "alex",
                     lpips_backbone=None, share: Share | None = None) -> dict:
    """The restoration protocol over every clip under `root`; `model=None` scores the compressed input alone.
    `share`: this process scores its share of the clips, and every process gets the means over all."""
    perceptual, notes = open_scorer(lpips_net, lpips_backbone, device)
    scored = []  # (k, {"input": scores, "model": scores})
    for k, clean in _clips(root, max_frames, share):
        compressed = codec_round_trip(clean, codec, crf)
        row = {"input": score_clip(compressed, clean, 0, with_vmaf, perceptual)}
        if model is not None:
            row["model"] = score_clip(run_model(model, compressed, device), clean, 0, with_vmaf, perceptual)
        scored.append((k, row))
    scored = (share or Share()).join(scored)
    protocol = f"{codec} CRF {crf}, preset medium, yuv420p; PSNR/SSIM on BT.601 Y and RGB, no crop"
    return {"protocol": protocol, "clips": len(scored), "crf": crf, "codec": codec,
            **{key: mean_scores([r[key] for _, r in scored]) for key in ("model", "input")
               if scored and key in scored[0][1]}, **scorer_notes(perceptual, notes)}


def evaluate_pair(model, distorted: str | Path, pristine: str | Path, device="cpu", with_vmaf: bool = True,
                  sigma: float | None = None, lpips_net: str | None = "alex", lpips_backbone=None) -> dict:
    """A distorted video restored by the model, and as it is, against its pristine version."""
    from ..io.decode import read_frames

    bad, good = np.stack(read_frames(distorted)), np.stack(read_frames(pristine))
    if bad.shape != good.shape:
        raise GenvidError(f"{distorted} has {len(bad)} frames of {bad.shape[2]}x{bad.shape[1]} but {pristine} has "
                          f"{len(good)} of {good.shape[2]}x{good.shape[1]}; give a matching pair")
    perceptual, notes = open_scorer(lpips_net, lpips_backbone, device)
    out = {"distorted": str(distorted), "pristine": str(pristine), "frames": len(bad),
           "input": score_clip(bad, good, 0, with_vmaf, perceptual)}
    if model is not None:
        out["model"] = score_clip(run_model(model, bad, device, sigma), good, 0, with_vmaf, perceptual)
    return {**out, **scorer_notes(perceptual, notes)}
