"""Tiled against untiled output of one model on real clips: what tiling costs a recurrent (or bidirectional) model.

A sliding-window model tiled with an overlap of at least its receptive radius gives its untiled output to
float rounding.  A recurrent model cannot: each tile carries its own hidden state and estimates its own
optical flow on the tile alone, so motion across a tile's border is seen differently, and the error is
carried forward.  Each clip under --data goes through the BI x4 protocol (`genvid/metrics/sr_protocol.py`),
then through the engine (`genvid.Enhancer`, no scene cuts) untiled and with --tile / --tile-overlap.
Printed: PSNR-Y and SSIM-Y of both against the ground truth (frames, then clips), and the tiled output
against the untiled one (PSNR-Y from the squared error of all a clip's frames, mean over clips, and the
mean absolute 8-bit difference).

    .venv/bin/python benchmarks/tiling.py --model sr-x4-flow --data ../shared/data/davis --tile 96 \
        [--tile-overlap N] [--max-frames 30] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, check_model, fail  # noqa: E402
from chunking import psnr_y_between  # noqa: E402

PROG = "tiling.py"


def measure(a) -> dict:
    import numpy as np

    from genvid.engine import Enhancer
    from genvid.metrics.fidelity import mean_scores
    from genvid.metrics.sr_protocol import score_clip, sr_pairs
    from genvid.models.registry import load_model

    check_model(a.model)
    model = load_model(a.model, "cpu")
    untiled = Enhancer(model, "cpu", "fp32", scene_threshold=None)
    tiled = Enhancer(model, "cpu", "fp32", scene_threshold=None, tile=a.tile, tile_overlap=a.tile_overlap)
    overlap = tiled.tile_overlaps[0]
    rows: dict[str, list] = {"untiled": [], "tiled": []}
    between, mad = [], []
    for k, (hr, lr) in enumerate(sr_pairs(a.data, model.scale, a.max_frames)):
        whole = np.stack(list(untiled(list(lr))))
        cut = np.stack(list(tiled(list(lr))))
        rows["untiled"].append(score_clip(whole, hr, model.scale))
        rows["tiled"].append(score_clip(cut, hr, model.scale))
        between.append(psnr_y_between(cut, whole, model.scale))
        mad.append(float(np.abs(cut.astype(np.int16) - whole.astype(np.int16)).mean()))
        print(f"{PROG}: clip {k + 1} ({len(lr)} frames of {lr.shape[2]}x{lr.shape[1]}) done", file=sys.stderr)
    return {"model": a.model, "kind": model.kind, "data": a.data, "clips": len(between), "max_frames": a.max_frames,
            "tile": a.tile, "tile_overlap": overlap, **{k: mean_scores(v) for k, v in rows.items()},
            "tiled_vs_untiled_psnr_y": float(np.mean(between)), "tiled_vs_untiled_mean_abs_diff": float(np.mean(mad))}


def report(r: dict) -> str:
    u, t = r["untiled"], r["tiled"]
    return "\n".join([
        f"{r['model']} ({r['kind']}) on {r['data']} ({r['clips']} clips, at most {r['max_frames']} frames; BI x4), "
        f"tiles of {r['tile']} px with {r['tile_overlap']} px of overlap",
        f"  untiled: PSNR-Y {u['psnr_y']:.3f} dB  SSIM-Y {u['ssim_y']:.4f}",
        f"  tiled  : PSNR-Y {t['psnr_y']:.3f} dB  SSIM-Y {t['ssim_y']:.4f}  ({t['psnr_y'] - u['psnr_y']:+.3f} dB)",
        f"  tiled against untiled output: PSNR-Y {r['tiled_vs_untiled_psnr_y']:.2f} dB, "
        f"mean |difference| {r['tiled_vs_untiled_mean_abs_diff']:.3f} (8-bit)",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="name or .safetensors path")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "davis"), help="clip folder")
    p.add_argument("--tile", type=int, default=96, help="tile size in input pixels (default 96)")
    p.add_argument("--tile-overlap", type=int, default=None, help="context around each tile (default: the model's)")
    p.add_argument("--max-frames", type=int, default=30, help="frames per clip (default 30)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    from genvid.errors import GenvidError

    try:
        if not Path(a.data).exists():
            raise GenvidError(f"data not found: {a.data}; pass --data")
        if a.tile < 1:
            raise GenvidError(f"--tile must be at least 1, got {a.tile}")
        result = measure(a)
    except GenvidError as e:
        fail(PROG, str(e))
    print(json.dumps(result) if a.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
