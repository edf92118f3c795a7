"""Scoring a predicted video or frame folder against a reference, frame by frame, streamed."""
from __future__ import annotations

from ..errors import GenvidError
from ..io.decode import FrameReader
from ..io.probe import probe
from .fidelity import frame_scores, mean_scores


def evaluate_videos(pred: str, ref: str, crop: int = 0) -> dict:
    """{"frames": n, "mean": {psnr_y, ssim_y, psnr_rgb, ssim_rgb}, "per_frame": [...]}."""
    pi, ri = probe(pred), probe(ref)
    if (pi.width, pi.height) != (ri.width, ri.height):
        raise GenvidError(f"{pred} is {pi.width}x{pi.height} but {ref} is {ri.width}x{ri.height}; "
                          "compare videos of one size")
    if pi.frame_count != ri.frame_count:
        raise GenvidError(f"{pred} has {pi.frame_count} frames but {ref} has {ri.frame_count}")
    rows = []
    with FrameReader(pi) as a, FrameReader(ri) as b:
        for fa, fb in zip(a, b):
            rows.append(frame_scores(fa, fb, crop=crop))
    return {"frames": len(rows), "mean": mean_scores(rows), "per_frame": rows}
