"""DiffAugment-style differentiable augmentation of clips, with one set of random parameters per clip.

Applied to real and generated clips alike before both critics, so a critic trained on few samples
cannot memorise them, while the generator still gets gradients through the augmentation.  Every frame
of a clip gets the same brightness, saturation and contrast change, the same shift and the same cut-out
square, so the augmentation adds no motion of its own that the video critic could learn to look for.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def augment_clips(clips: torch.Tensor, policy: str = "color,translation,cutout",
                  generator: torch.Generator | None = None, translation: float = 0.125,
                  cutout: float = 0.5) -> torch.Tensor:
    """(B, T, C, H, W) in [-1, 1] -> the same shape; parameters drawn per clip from `generator`, where it lives
    (the clips' device without one)."""
    names = [p for p in policy.split(",") if p]
    unknown = set(names) - set(POLICIES)
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(sorted(unknown))}; known: {', '.join(POLICIES)}")
    b, _, _, h, w = clips.shape
    home = generator.device if generator is not None else clips.device
    draw = lambda *shape: torch.rand(*shape, generator=generator, device=home).to(clips.device, clips.dtype)
    x = clips
    if "color" in names:
        x = x + (draw(b, 1, 1, 1, 1) - 0.5)  # brightness
        mean = x.mean(dim=2, keepdim=True)
        x = (x - mean) * (draw(b, 1, 1, 1, 1) * 2) + mean  # saturation
        mean = x.mean(dim=(2, 3, 4), keepdim=True)
        x = (x - mean) * (draw(b, 1, 1, 1, 1) + 0.5) + mean  # contrast
    if "translation" in names:
        sy, sx = int(h * translation + 0.5), int(w * translation + 0.5)
        dy = (draw(b) * (2 * sy + 1)).long().clamp(max=2 * sy) - sy
        dx = (draw(b) * (2 * sx + 1)).long().clamp(max=2 * sx) - sx
        padded = F.pad(x, (sx, sx, sy, sy))  # zeros outside, as DiffAugment
        iy = torch.arange(h, device=x.device)[None, :] + sy - dy.to(x.device)[:, None]  # (B, H)
        ix = torch.arange(w, device=x.device)[None, :] + sx - dx.to(x.device)[:, None]
        padded = torch.gather(padded, 3, iy[:, None, None, :, None].expand(-1, *padded.shape[1:3], h, padded.shape[4]))
        x = torch.gather(padded, 4, ix[:, None, None, None, :].expand(-1, *padded.shape[1:3], h, w))
    if "cutout" in names:
        ch, cw = int(h * cutout + 0.5), int(w * cutout + 0.5)  # 0.5: half the side, a quarter of the area
        cy = (draw(b) * (h + 1 - ch)).long()
        cx = (draw(b) * (w + 1 - cw)).long()
        ys, xs = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
        inside_y = (ys[None] >= cy.to(x.device)[:, None]) & (ys[None] < (cy + ch).to(x.device)[:, None])
        inside_x = (xs[None] >= cx.to(x.device)[:, None]) & (xs[None] < (cx + cw).to(x.device)[:, None])
        keep = ~(inside_y[:, :, None] & inside_x[:, None, :])
        x = x * keep[:, None, None].to(x.dtype)
    return x
