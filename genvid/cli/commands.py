"""Sub-commands of `genvid`: each `add_*` registers its arguments and the function that runs it."""
from __future__ import annotations

import json
import sys


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model from a YAML recipe (use `accelerate launch -m genvid train` for many)")
    p.add_argument("recipe")
    p.add_argument("--output-dir", help="run folder: checkpoints, logs, exported weights (default runs/<name>)")
    p.add_argument("--max-steps", type=int, help="stop after this many steps (overrides optim.max_steps)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --output-dir")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe value, e.g. --set optim.lr=1e-4 (repeatable)")

    def run(a):
        from ..train.loop import train

        print(json.dumps(train(a.recipe, a.output_dir, a.max_steps, a.resume, a.overrides)))
    p.set_defaults(run=run)


def add_enhance(sub) -> None:
    p = sub.add_parser("enhance", help="enhance a video file or frame folder with a model (default sr-x4)")
    p.add_argument("input", help="a video file ffmpeg reads, or a folder of image frames")
    p.add_argument("output", help="a video file (.mp4, .mkv, .mov, ...) or a folder for PNG frames")
    p.add_argument("--model", default=None, help="shipped model name or .safetensors path (default sr-x4)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"],
                   help="auto: fp16 on GPU, fp32 on CPU; fp16 is refused on CPU")
    p.add_argument("--tile", type=int, default=0, help="tile size in input pixels for large frames (0: whole frame)")
    p.add_argument("--tile-overlap", type=int, default=None,
                   help="context around each tile in input pixels (default: the model's receptive radius)")
    p.add_argument("--codec", default=None, help="video encoder: libx264 (default), libx265, prores_ks, ffv1, ...")
    p.add_argument("--crf", type=int, default=None, help="constant rate factor (default 18)")
    p.add_argument("--pix-fmt", default=None,
                   help="output pixel format (default yuv420p; yuv420p10le, yuv444p12le, ... keep the depth)")
    p.add_argument("--fps", default=None,
                   help="frame rate for a frame-folder input, e.g. 24 or 30000/1001 (default 25); retimes a video")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output (and discard unfinished work)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last finished segment")
    p.add_argument("--segment-frames", type=int, default=None,
                   help="frames per resumable segment (default: a segment ends after about a minute of work)")
    p.add_argument("--scene-threshold", type=float, default=None,
                   help="scene-cut score above which temporal windows restart, in (0, 1) (default 0.17)")
    p.add_argument("--no-scene-cuts", action="store_true", help="let temporal windows run across scene cuts")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(a):
        from ..enhance.api import enhance
        from ..enhance.scenes import DEFAULT_THRESHOLD
        from ..models.registry import DEFAULT_MODEL

        result = enhance(a.input, a.output, a.model or DEFAULT_MODEL, device=a.device, precision=a.precision,
                         tile=a.tile, tile_overlap=a.tile_overlap, codec=a.codec, crf=a.crf, pix_fmt=a.pix_fmt,
                         fps=a.fps, overwrite=a.overwrite, resume=a.resume, segment_frames=a.segment_frames,
                         scene_cuts=not a.no_scene_cuts,
                         scene_threshold=DEFAULT_THRESHOLD if a.scene_threshold is None else a.scene_threshold,
                         quiet=a.quiet)
        if not a.quiet:
            resumed = f", {result['resumed_from']} kept from the earlier run" if result["resumed_from"] else ""
            rate = f" ({result['fps']:.2f} frames/s)" if result["fps"] else ""
            print(f"wrote {result['output']}: {result['frames']} frames{resumed} in {result['seconds']:.1f} s{rate}")
    p.set_defaults(run=run)


def add_eval(sub) -> None:
    p = sub.add_parser("eval", help="PSNR, SSIM (Y and RGB), VMAF and tOF of a video or frame folder against a reference")
    p.add_argument("pred")
    p.add_argument("ref")
    p.add_argument("--crop", type=int, default=0, help="pixels cropped at each border before PSNR/SSIM")
    p.add_argument("--json", action="store_true", help="print the means as one JSON object")
    p.add_argument("--csv", metavar="FILE", help="write per-frame scores to a CSV file")
    p.add_argument("--no-vmaf", action="store_true", help="skip VMAF (ffmpeg libvmaf, whole frames)")

    def run(a):
        from ..metrics.compare import evaluate_videos, write_csv

        result = evaluate_videos(a.pred, a.ref, crop=a.crop, with_vmaf=not a.no_vmaf)
        if a.csv:
            write_csv(result["per_frame"], a.csv)
        for note in result["notes"]:
            print(f"genvid eval: note: {note}", file=sys.stderr)
        if a.json:
            print(json.dumps(result["mean"]))
        else:
            print(f"{result['frames']} frames")
            for k, v in result["mean"].items():
                print(f"{k:>9}: {v:.4f}")
    p.set_defaults(run=run)


def add_models(sub) -> None:
    p = sub.add_parser("models", help="list the installed models and their measured scores")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    def run(a):
        from ..models.registry import list_models

        rows = [{"name": c.get("name"), "task": c.get("task"), "scale": c.get("scale"),
                 "parameters": c.get("parameters"), "gflops_640x360": c.get("gflops_640x360"),
                 "scores": (c.get("validation") or {}).get("model"), "path": c.get("path")} for c in list_models()]
        if a.json:
            print(json.dumps(rows, indent=2))
            return
        print(f"{'name':<12} {'task':<18} {'scale':>5} {'params':>9} {'GFLOPs':>7}  scores (validation)")
        for r in rows:
            s = r["scores"] or {}
            score = ", ".join(f"{k} {v:.3f}" for k, v in s.items() if k in ("psnr_y", "ssim_y")) or "-"
            print(f"{r['name']:<12} {r['task']:<18} {r['scale']:>5} {r['parameters']:>9} {r['gflops_640x360']:>7}  {score}")
    p.set_defaults(run=run)


def add_batch(sub) -> None:
    p = sub.add_parser("batch", help="run many enhance jobs from a YAML file; failures never stop the others")
    p.add_argument("jobs", help="YAML with `defaults:` (enhance options) and `jobs:` ({input, output, ...})")
    p.add_argument("--report", help="write a JSON report of every job")
    p.add_argument("--workers", type=int, default=1, help="jobs at a time in this process (default 1)")
    p.add_argument("--json-progress", action="store_true", help="progress as JSON lines on stdout")

    def run(a):
        from ..enhance.batch import run_batch

        report = run_batch(a.jobs, a.report, a.workers, a.json_progress)
        counts = {s: sum(j["status"] == s for j in report["jobs"]) for s in ("done", "skipped", "failed")}
        if not a.json_progress:
            print(", ".join(f"{n} {s}" for s, n in counts.items()))
        return 1 if counts["failed"] else 0
    p.set_defaults(run=run)


REGISTER = [add_enhance, add_train, add_eval, add_models, add_batch]
