"""Chunked against whole-clip output of a bidirectional model (BasicVSR): where the engine's chunk defaults
come from.

Each clip under --data goes through the BI x4 protocol (`genvid/metrics/sr_protocol.py`): the model's
`forward` on the whole clip, then the engine (`genvid.Enhancer`, no scene cuts) over chunks of N frames
with M frames of context on each side, for each N:M of --configs.  Printed per configuration: PSNR-Y and
SSIM-Y against the ground truth (frames, then clips), its difference from the whole-clip score, the
largest per-clip difference, and the PSNR-Y of the chunked output against the whole-clip output itself
(from the squared error over all frames of a clip, then the mean over clips that are not identical).
Short chunks put more frames near a chunk's edge, so a small N is the hard case; a chunk of N >= the
clip's length gives the whole-clip frames exactly.

    .venv/bin/python benchmarks/chunking.py --model BASICVSR.safetensors --data ../shared/data/davis \
        --configs 32:8,8:8,8:4 [--max-frames 100] [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, check_model, fail  # noqa: E402

PROG = "chunking.py"


def parse_configs(text: str) -> list[tuple[int, int]]:
    try:
        configs = [tuple(int(v) for v in item.split(":")) for item in text.split(",")]
    except ValueError:
        raise ValueError(f"--configs must look like 32:8,8:4 (frames:context), got '{text}'") from None
    if not configs or any(len(c) != 2 or c[0] < 1 or c[1] < 0 for c in configs):
        raise ValueError(f"--configs must look like 32:8,8:4 with N >= 1 and M >= 0, got '{text}'")
    return configs


def psnr_y_between(a, b, crop: int) -> float:
    """PSNR-Y of `a` against `b` (uint8 stacks) from the squared error of all their frames; inf if identical."""
    from genvid.metrics.fidelity import crop_border, rgb_to_y, to_float255

    mse = sum(float(((crop_border(rgb_to_y(to_float255(x)), crop) - crop_border(rgb_to_y(to_float255(y)), crop))
                     ** 2).mean()) for x, y in zip(a, b)) / len(a)
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def measure(a) -> dict:
    import numpy as np
    import torch

    from genvid.engine import Enhancer
    from genvid.metrics.fidelity import mean_scores
    from genvid.metrics.sr_protocol import run_clip, score_clip, sr_pairs
    from genvid.models.registry import load_model

    check_model(a.model)
    model = load_model(a.model, "cpu")
    scale = model.scale
    rows: dict[str, list] = {"whole": []}
    between: dict[str, list] = {}
    start = time.time()
    for k, (hr, lr) in enumerate(sr_pairs(a.data, scale, a.max_frames)):
        with torch.inference_mode():
            whole = run_clip(model, lr)
        rows["whole"].append(score_clip(whole, hr, scale))
        for n, m in a.configs:
            enhancer = Enhancer(model, "cpu", "fp32", scene_threshold=None, chunk_frames=n, chunk_context=m)
            out = np.stack(list(enhancer(list(lr))))
            rows.setdefault(f"{n}:{m}", []).append(score_clip(out, hr, scale))
            between.setdefault(f"{n}:{m}", []).append(psnr_y_between(out, whole, scale))
        print(f"{PROG}: clip {k + 1} ({len(lr)} frames) done after {time.time() - start:.0f} s", file=sys.stderr)
    whole_mean = mean_scores(rows["whole"])
    result = {"model": a.model, "data": str(Path(a.data).resolve().relative_to(REPO.parent))
              if Path(a.data).resolve().is_relative_to(REPO.parent) else a.data,
              "clips": len(rows["whole"]), "max_frames": a.max_frames, "whole": whole_mean, "configs": {}}
    for name, clip_rows in rows.items():
        if name == "whole":
            continue
        mean = mean_scores(clip_rows)
        deltas = [r["psnr_y"] - w["psnr_y"] for r, w in zip(clip_rows, rows["whole"])]
        finite = [v for v in between[name] if not math.isinf(v)]
        result["configs"][name] = {
            "psnr_y": mean["psnr_y"], "ssim_y": mean["ssim_y"], "delta_psnr_y": mean["psnr_y"] - whole_mean["psnr_y"],
            "largest_clip_delta": max(deltas, key=abs),
            "psnr_y_vs_whole": sum(finite) / len(finite) if finite else math.inf,
            "clips_identical_to_whole": len(between[name]) - len(finite)}
    return result


def report(r: dict) -> str:
    w = r["whole"]
    lines = [f"{r['model']} on {r['data']} ({r['clips']} clips, at most {r['max_frames']} frames each; BI x4)",
             f"  whole clip : PSNR-Y {w['psnr_y']:.3f} dB  SSIM-Y {w['ssim_y']:.4f}"]
    for name, c in r["configs"].items():
        vs = "identical" if math.isinf(c["psnr_y_vs_whole"]) else f"{c['psnr_y_vs_whole']:.2f} dB"
        lines.append(f"  N:M {name:>6}: PSNR-Y {c['psnr_y']:.3f} dB  SSIM-Y {c['ssim_y']:.4f}  "
                     f"delta {c['delta_psnr_y']:+.4f} dB (largest clip {c['largest_clip_delta']:+.4f})  "
                     f"vs whole-clip output {vs} ({c['clips_identical_to_whole']} clips identical)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a bidirectional model: name or .safetensors path")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "vimeo7" / "val"), help="clip folder")
    p.add_argument("--configs", default="32:8,8:8,8:4", help="chunk frames:context frames, comma-separated")
    p.add_argument("--max-frames", type=int, default=100, help="frames per clip (default 100)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    from genvid.errors import GenvidError

    try:
        a.configs = parse_configs(a.configs)
        if not Path(a.data).exists():
            raise GenvidError(f"validation data not found: {a.data}; pass --data")
        result = measure(a)
    except (GenvidError, ValueError) as e:
        fail(PROG, str(e))
    print(json.dumps(result) if a.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
