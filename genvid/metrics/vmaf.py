"""VMAF through the libvmaf filter of the bundled ffmpeg, paired frame by frame (not by timestamp)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..errors import GenvidError
from ..io.ffmpeg import last_error_line, run_ffmpeg
from ..io.image_folder import list_frames


def _input_args(path: Path, tmp: Path, tag: str) -> list[str]:
    """ffmpeg input options for a video file, or for a frame folder through a concat list."""
    if not path.is_dir():
        return ["-i", str(path)]
    listing = tmp / f"{tag}.txt"
    quoted = (str(p.resolve()).replace("'", "'\\''") for p in list_frames(path))  # concat-list quoting
    listing.write_text("".join(f"file '{q}'\n" for q in quoted))
    return ["-f", "concat", "-safe", "0", "-i", str(listing)]


def vmaf(pred: str | Path, ref: str | Path, threads: int | None = None) -> dict:
    """{"mean": pooled VMAF, "per_frame": [...]} of `pred` against `ref` (the default VMAF model, v0.6.1)."""
    threads = threads or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="genvid-vmaf-") as tmp:
        tmp = Path(tmp)
        log = tmp / "vmaf.json"
        # pts = frame index, so frames pair by order whatever each input's timing
        graph = (f"[0:v]setpts=N/(25*TB)[d];[1:v]setpts=N/(25*TB)[r];"
                 f"[d][r]libvmaf=log_fmt=json:log_path={log}:n_threads={threads}")
        r = run_ffmpeg(["-v", "error", *_input_args(Path(pred), tmp, "pred"), *_input_args(Path(ref), tmp, "ref"),
                        "-lavfi", graph, "-f", "null", "-"])
        if r.returncode != 0 or not log.exists():
            raise GenvidError(f"VMAF of {pred} against {ref} failed: {last_error_line(r.stderr)}")
        data = json.loads(log.read_text())
    return {"mean": data["pooled_metrics"]["vmaf"]["mean"], "per_frame": [f["metrics"]["vmaf"] for f in data["frames"]]}
