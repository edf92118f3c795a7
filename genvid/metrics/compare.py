"""Scoring a predicted video or frame folder against a reference, frame by frame, streamed."""
from __future__ import annotations

import csv
from pathlib import Path

from ..errors import GenvidError
from ..io.decode import FrameReader
from ..io.probe import probe
from .fidelity import frame_scores, mean_scores
from .temporal import FlowDistance, tof_unavailable
from .vmaf import vmaf


def evaluate_videos(pred: str, ref: str, crop: int = 0, with_vmaf: bool = True) -> dict:
    """{"frames": n, "mean": {psnr_y, ssim_y, psnr_rgb, ssim_rgb[, vmaf][, tof]}, "per_frame": [...], "notes": [...]}."""
    pi, ri = probe(pred), probe(ref)
    if (pi.width, pi.height) != (ri.width, ri.height):
        raise GenvidError(f"{pred} is {pi.width}x{pi.height} but {ref} is {ri.width}x{ri.height}; "
                          "compare videos of one size")
    if pi.frame_count != ri.frame_count:
        raise GenvidError(f"{pred} has {pi.frame_count} frames but {ref} has {ri.frame_count}")
    rows = []
    why_not = tof_unavailable(pi.height, pi.width)  # OpenCV is optional; tiny frames have no region to compare
    flow = None if why_not else FlowDistance()
    notes = [f"tOF skipped: {why_not}"] if why_not else []
    with FrameReader(pi) as a, FrameReader(ri) as b:
        for fa, fb in zip(a, b):
            rows.append(frame_scores(fa, fb, crop=crop))
            value = flow.add(fa, fb) if flow is not None else None
            if value is not None:  # the first frame has no predecessor, so no tOF
                rows[-1]["tof"] = value
    if with_vmaf:
        per_frame = vmaf(pred, ref)["per_frame"]
        if len(per_frame) != len(rows):
            raise GenvidError(f"VMAF scored {len(per_frame)} frames of {len(rows)}")
        for row, v in zip(rows, per_frame):
            row["vmaf"] = v
    # mean_scores averages each score over the rows that have it: tOF over frame pairs
    return {"frames": len(rows), "mean": mean_scores(rows), "per_frame": rows, "notes": notes}


def write_csv(rows: list[dict], path: str | Path) -> None:
    """One row per frame: frame index (from 0) and every score."""
    with open(path, "w", newline="") as f:
        keys = dict.fromkeys(k for row in rows for k in row)  # the first frame has no tOF
        writer = csv.DictWriter(f, fieldnames=["frame", *keys], restval="")
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({"frame": i, **row})
