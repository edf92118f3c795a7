"""Scoring a predicted video or frame folder against a reference, frame by frame, streamed.

Scores: psnr_y, ssim_y, psnr_rgb, ssim_rgb (fidelity.py), vmaf (vmaf.py), tof (temporal.py), lpips and
tlp (perceptual.py).  Each is averaged over the frames (tof and tlp over frame pairs) that have it.
PSNR of identical frames is infinite; means keep that (an infinite frame makes an infinite mean), the
CSV writes `inf`, and JSON, which has no infinity, gets `null` (see `json_safe`).
"""
from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

from ..errors import GenvidError
from ..io.decode import FrameReader
from ..io.probe import probe
from .fidelity import frame_scores, mean_scores
from .perceptual import open_scorer
from .temporal import FlowDistance, tof_unavailable
from .vmaf import vmaf

KEYS = ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vmaf", "tof", "lpips", "tlp")  # the order of columns and keys


def ordered(keys) -> list[str]:
    """`keys` in the order of KEYS, any others after them."""
    keys = list(dict.fromkeys(keys))
    return [k for k in KEYS if k in keys] + [k for k in keys if k not in KEYS]


def evaluate_videos(pred: str, ref: str, crop: int = 0, with_vmaf: bool = True, with_lpips: bool = True,
                    lpips_net: str = "alex", lpips_backbone: str | None = None, device: str = "cpu",
                    quiet: bool = False) -> dict:
    """{"frames": n, "mean": {score: mean}, "per_frame": [{score: value}], "notes": [one-line notes]}.

    A progress bar over the frames goes to stderr when it is a terminal, unless `quiet`."""
    from tqdm import tqdm

    pi, ri = probe(pred), probe(ref)
    if (pi.width, pi.height) != (ri.width, ri.height):
        raise GenvidError(f"{pred} is {pi.width}x{pi.height} but {ref} is {ri.width}x{ri.height}; "
                          "compare videos of one size")
    if pi.frame_count != ri.frame_count:
        raise GenvidError(f"{pred} has {pi.frame_count} frames but {ref} has {ri.frame_count}")
    rows, notes = [], []
    why_not = tof_unavailable(pi.height, pi.width)  # OpenCV is optional; tiny frames have no region to compare
    flow = None if why_not else FlowDistance()
    if why_not:
        notes.append(f"tOF skipped: {why_not}")
    perceptual, lpips_notes = open_scorer(lpips_net if with_lpips else None, lpips_backbone, device)
    notes += lpips_notes
    if perceptual is not None and perceptual.too_small(pi.height, pi.width):
        notes.append(f"LPIPS and tLP skipped: {perceptual.too_small(pi.height, pi.width)}")
        perceptual = None
    with FrameReader(pi) as a, FrameReader(ri) as b, \
            tqdm(total=pi.frame_count, unit="frame", disable=True if quiet else None, file=sys.stderr,
                 dynamic_ncols=True, desc=Path(pred).name[:30]) as bar:
        for fa, fb in zip(a, b):
            rows.append(frame_scores(fa, fb, crop=crop))
            value = flow.add(fa, fb) if flow is not None else None
            if value is not None:  # the first frame has no predecessor, so no tOF
                rows[-1]["tof"] = value
            if perceptual is not None:
                rows[-1].update(perceptual.add(fa, fb))  # lpips; tlp from the second frame
            bar.update(1)
        if with_vmaf:
            bar.set_postfix_str("VMAF")  # one more pass over both videos, in ffmpeg
            per_frame = vmaf(pred, ref)["per_frame"]
    if with_vmaf:
        if len(per_frame) != len(rows):
            raise GenvidError(f"VMAF scored {len(per_frame)} frames of {len(rows)}")
        for row, v in zip(rows, per_frame):
            row["vmaf"] = v
    means = mean_scores(rows)
    return {"frames": len(rows), "mean": {k: means[k] for k in ordered(means)}, "per_frame": rows, "notes": notes}


def json_safe(scores: dict) -> dict:
    """The scores with every non-finite number (infinite PSNR of identical frames) as None (JSON null)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in scores.items()}


def write_csv(rows: list[dict], path: str | Path) -> None:
    """One row per frame: frame index (from 0) and every score; a score a frame lacks is left blank."""
    with open(path, "w", newline="") as f:
        keys = ordered(k for row in rows for k in row)
        writer = csv.DictWriter(f, fieldnames=["frame", *keys], restval="")
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({"frame": i, **row})
