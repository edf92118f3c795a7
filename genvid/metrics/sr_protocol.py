"""The x4 "BI" validation protocol of `../shared/README.md`, on clip folders such as vimeo7/val.

Ground truth is downscaled with PIL's antialiased bicubic, the model upscales whole clips, outputs are
rounded to 8 bits, and PSNR/SSIM on Y are averaged over frames, then over clips, `scale` pixels cropped
at each border.  tOF (temporal flow distance, lower is steadier) is added when OpenCV is installed.
Bicubic upscaling of the same input is scored alongside.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from PIL import Image

from ..data.clips import find_clips, load_clip
from ..data.degrade import bicubic_downscale
from .fidelity import frame_scores, mean_scores
from .temporal import tof, tof_unavailable


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) float in [0, 1] -> (T, H, W, 3) uint8, rounded."""
    return rearrange((frames.clamp(0, 1) * 255.0).round().byte(), "t c h w -> t h w c").cpu().numpy()


def crop_to_multiple(clip: np.ndarray, scale: int) -> np.ndarray:
    h, w = clip.shape[1:3]
    return clip[:, :h - h % scale, :w - w % scale]


@torch.no_grad()
def evaluate_sr(model, root: str | Path, scale: int = 4, device="cpu", max_frames: int = 100,
                with_bicubic: bool = True) -> dict:
    """{'model': means, 'bicubic': means, 'clips': n} over every clip under `root`."""
    was_training = model.training
    model.eval()
    rows, base_rows = [], []
    for path in find_clips(root):
        hr = crop_to_multiple(load_clip(path, max_frames), scale)
        lr = np.stack([bicubic_downscale(f, scale) for f in hr])
        x = rearrange(torch.from_numpy(lr), "t h w c -> 1 t c h w").float().div(255.0).to(device)
        sr = to_uint8(model(x)[0])
        rows.append(mean_scores([frame_scores(p, r, crop=scale) for p, r in zip(sr, hr)]))
        flow_ok = tof_unavailable(*hr.shape[1:3]) is None
        if flow_ok:
            rows[-1]["tof"] = tof(sr, hr)
        if with_bicubic:
            h, w = hr.shape[1:3]
            up = [np.asarray(Image.fromarray(f).resize((w, h), Image.BICUBIC)) for f in lr]
            base_rows.append(mean_scores([frame_scores(p, r, crop=scale) for p, r in zip(up, hr)]))
            if flow_ok:
                base_rows[-1]["tof"] = tof(up, hr)
    model.train(was_training)
    out = {"model": mean_scores(rows), "clips": len(rows)}
    if with_bicubic:
        out["bicubic"] = mean_scores(base_rows)
    return out
