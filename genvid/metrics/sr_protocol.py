"""The x4 "BI" validation protocol of `../shared/README.md`, on clip folders such as vimeo7/val.

Ground truth is downscaled with PIL's antialiased bicubic, the model upscales whole clips, outputs are
rounded to 8 bits, and PSNR/SSIM on Y are averaged over frames, then over clips, `scale` pixels cropped
at each border.  tOF (temporal flow distance, lower is steadier) is added when OpenCV is installed,
LPIPS and tLP (`perceptual.py`: AlexNet by default, whole frames) when the LPIPS backbone file is found
(otherwise the result's "notes" say why), and VMAF (libvmaf, whole frames) on request.  Bicubic
upscaling of the same input is scored alongside.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from PIL import Image

from ..data.clips import find_clips, load_clip
from ..data.degrade import bicubic_downscale
from ..io.image_folder import write_image
from .fidelity import frame_scores, mean_scores
from .perceptual import PerceptualScores, open_scorer, scorer_notes
from .share import Share
from .temporal import tof, tof_unavailable
from .vmaf import vmaf


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) float in [0, 1] -> (T, H, W, 3) uint8, rounded."""
    return rearrange((frames.clamp(0, 1) * 255.0).round().byte(), "t c h w -> t h w c").cpu().numpy()


def crop_to_multiple(clip: np.ndarray, scale: int) -> np.ndarray:
    h, w = clip.shape[1:3]
    return clip[:, :h - h % scale, :w - w % scale]


def score_clip(pred: np.ndarray, hr: np.ndarray, scale: int, with_vmaf: bool = False,
               perceptual: PerceptualScores | None = None) -> dict[str, float]:
    """Frame-mean PSNR/SSIM (Y, RGB; `scale` border pixels cropped), tOF when it can be scored, VMAF on
    request, and LPIPS and tLP (whole frames) with a `perceptual` scorer (`perceptual.open_scorer`)."""
    row = mean_scores([frame_scores(p, r, crop=scale) for p, r in zip(pred, hr)])
    if tof_unavailable(*hr.shape[1:3]) is None:
        row["tof"] = tof(pred, hr)
    if perceptual is not None:
        row.update(perceptual.clip(pred, hr))
    if with_vmaf:  # libvmaf reads files: the frames go to lossless PNG folders for the call
        with tempfile.TemporaryDirectory(prefix="genvid-sr-vmaf-") as tmp:
            folders = [Path(tmp) / "pred", Path(tmp) / "ref"]
            for folder, frames in zip(folders, (pred, hr)):
                folder.mkdir()
                for i, f in enumerate(frames):
                    write_image(folder / f"{i:04d}.png", f)
            row["vmaf"] = vmaf(*folders)["mean"]
    return row


def bicubic_upscale(lr: np.ndarray, scale: int) -> np.ndarray:
    """(T, h, w, 3) uint8 -> (T, scale*h, scale*w, 3) with PIL's bicubic."""
    h, w = lr.shape[1] * scale, lr.shape[2] * scale
    return np.stack([np.asarray(Image.fromarray(f).resize((w, h), Image.BICUBIC)) for f in lr])


def sr_pairs(root: str | Path, scale: int = 4, max_frames: int = 100, degradation=None, seed: int = 0):
    """(ground truth, input) (T, H, W, 3) uint8 of every clip under `root`: the BI downscale, or `degradation`
    with clip k's generator seeded by (seed, k)."""
    for k, path in enumerate(find_clips(root)):
        yield sr_pair(path, k, scale, max_frames, degradation, seed)


def sr_pair(path: Path, k: int, scale: int = 4, max_frames: int = 100, degradation=None, seed: int = 0):
    """Clip k of a set (at `path`): its ground truth and input, as `sr_pairs` gives them."""
    hr = crop_to_multiple(load_clip(path, max_frames), scale)
    if degradation is None:
        return hr, np.stack([bicubic_downscale(f, scale) for f in hr])
    return hr, np.stack(degradation(list(hr), np.random.default_rng([seed, k])))


def run_clip(model, lr: np.ndarray, device="cpu") -> np.ndarray:
    """(T, h, w, 3) uint8 through the model's `forward` on the whole clip -> (T, H, W, 3) uint8."""
    x = rearrange(torch.from_numpy(lr), "t h w c -> 1 t c h w").float().div(255.0).to(device)
    return to_uint8(model(x)[0])


@torch.no_grad()
def evaluate_sr(model, root: str | Path, scale: int = 4, device="cpu", max_frames: int = 100,
                with_bicubic: bool = True, with_vmaf: bool = False, degradation=None, seed: int = 0,
                lpips_net: str | None = "alex", lpips_backbone: str | Path | None = None,
                share: Share | None = None) -> dict:
    """{'model': means, 'bicubic': means, 'clips': n} over every clip under `root`; `model=None`: bicubic only.
    LPIPS and tLP join them when `lpips_net`'s backbone file is found (`lpips_backbone`, else where
    `genvid.losses.perceptual.find_backbone` looks); otherwise "notes" says why ("notes": only when any).

    `degradation` (from `genvid.data.degrade.build_degradation`) replaces the BI downscale: clip k is
    degraded with the generator seeded by (seed, k), so every run and every model sees the same inputs.
    `share`: this process scores its share of the clips, and every process gets the means over all."""
    share = share or Share()
    if model is not None:
        was_training = model.training
        model.eval()
    perceptual, notes = open_scorer(lpips_net, lpips_backbone, device)
    rows = []  # (k, model scores, bicubic scores)
    for k, path in share.mine(find_clips(root)):
        hr, lr = sr_pair(path, k, scale, max_frames, degradation, seed)
        row = [k, None, None]
        if model is not None:
            row[1] = score_clip(run_clip(model, lr, device), hr, scale, with_vmaf, perceptual)
        if with_bicubic:
            row[2] = score_clip(bicubic_upscale(lr, scale), hr, scale, with_vmaf, perceptual)
        rows.append(tuple(row))
    rows = share.join(rows)
    out = {"clips": len(rows)}
    if model is not None:
        model.train(was_training)
        out["model"] = mean_scores([r[1] for r in rows])
    if with_bicubic:
        out["bicubic"] = mean_scores([r[2] for r in rows])
    return {**out, **scorer_notes(perceptual, notes)}
