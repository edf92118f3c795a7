"""Sub-commands of `genvid`: each `add_*` registers its arguments and the function that runs it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import GenvidError


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model from a YAML recipe (use `accelerate launch -m genvid train` for many)")
    p.add_argument("recipe")
    p.add_argument("--output-dir", help="run folder: checkpoints, logs, exported weights (default runs/<name>)")
    p.add_argument("--max-steps", type=int, help="stop after this many steps (overrides optim.max_steps)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --output-dir")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop cleanly after this much wall time (checkpoint and export; continue with --resume)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe value, e.g. --set optim.lr=1e-4 (repeatable)")

    def run(a):
        from ..train.loop import train

        print(json.dumps(train(a.recipe, a.output_dir, a.max_steps, a.resume, a.overrides, a.max_minutes)))
    p.set_defaults(run=run)


def add_enhance(sub) -> None:
    p = sub.add_parser("enhance", help="enhance a video file or frame folder with a model (default sr-x4)")
    p.add_argument("input", help="a video file ffmpeg reads, or a folder of image frames")
    p.add_argument("output", help="a video file (.mp4, .mkv, .mov, ...) or a folder for PNG frames")
    p.add_argument("--model", default=None,
                   help="shipped model name or .safetensors path, or a chain run in order in one pass, e.g. "
                        "denoise,sr-x4 (default sr-x4)")
    p.add_argument("--sigma", type=float, default=None,
                   help="noise std for a denoiser, 8-bit units (default: estimated from each frame)")
    p.add_argument("--strength", type=float, default=1.0,
                   help="multiplies a denoiser's noise level, given or estimated: below 1 keeps more grain (default 1)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"],
                   help="auto: bf16 on a GPU that has it (else fp16, or fp32 for sources deeper than 8 bits), fp32 "
                        "on CPU; fp16 is refused on CPU")
    p.add_argument("--batch", default="auto",
                   help="frames per model call (sliding-window models; others batch their tiles); auto: 1 on CPU, "
                        "up to 8 on a GPU from its free memory (default auto)")
    p.add_argument("--compile", action="store_true",
                   help="run the models through torch.compile (fixed frame size; the first frames wait for it)")
    p.add_argument("--tile", type=int, default=0, help="tile size in input pixels for large frames (0: whole frame); "
                                                       "halved while the GPU runs out of memory")
    p.add_argument("--tile-overlap", type=int, default=None,
                   help="context around each tile in input pixels (default: the model's receptive radius)")
    p.add_argument("--codec", default=None, help="video encoder: libx264 (default), libx265, prores_ks, ffv1, ...; "
                                                 "h264_nvenc, hevc_nvenc, av1_nvenc on NVIDIA GPUs that have NVENC")
    p.add_argument("--crf", type=int, default=None,
                   help="constant rate factor (default 18); for NVENC its constant quality (-cq), 1 to 51 (63 for AV1)")
    p.add_argument("--preset", default=None,
                   help="encoder speed preset: libx264/libx265 ultrafast .. veryslow (default medium), NVENC p1 "
                        "(fastest) .. p7 (default p4)")
    p.add_argument("--pix-fmt", default=None,
                   help="output pixel format (default yuv420p; yuv420p10le, yuv444p12le, ... keep the depth)")
    p.add_argument("--fps", default=None,
                   help="frame rate for a frame-folder input, e.g. 24 or 30000/1001 (default 25); retimes a video")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output (and discard unfinished work)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last finished segment")
    p.add_argument("--segment-frames", type=int, default=None,
                   help="frames per resumable segment (default: fixed by the frame size and rate, about a minute "
                        "of sr-x4 on two CPU cores)")
    p.add_argument("--accept-damaged", action="store_true",
                   help="for a source the decoder cannot wholly decode: enhance the frames it gives, at their own "
                        "times, and report the missing ones (default: stop at the first missing frame)")
    p.add_argument("--no-subtitles", action="store_true",
                   help="drop the source's subtitles (for a container that cannot hold them, e.g. .avi)")
    p.add_argument("--scene-threshold", type=float, default=None,
                   help="scene-cut score above which temporal windows restart, in (0, 1) (default 0.17)")
    p.add_argument("--no-scene-cuts", action="store_true", help="let temporal windows run across scene cuts")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(a):
        from ..models.catalog import DEFAULT_MODEL, resolve

        # the user's commonest mistakes answered before torch is imported (a second or more)
        if not Path(a.input).exists():
            raise GenvidError(f"input not found: {a.input}; check the path")
        model = a.model or DEFAULT_MODEL
        for name in [model] if Path(model).exists() else [m.strip() for m in model.split(",")]:
            if name:  # an empty name is the chain's own error, below
                resolve(name)
        from ..engine.device import check_batch
        from ..enhance.api import enhance
        from ..engine.scenes import DEFAULT_THRESHOLD

        check_batch(a.batch)
        result = enhance(a.input, a.output, a.model or DEFAULT_MODEL, device=a.device, precision=a.precision,
                         batch=a.batch, compile=a.compile, tile=a.tile, tile_overlap=a.tile_overlap, codec=a.codec,
                         crf=a.crf, pix_fmt=a.pix_fmt, fps=a.fps, sigma=a.sigma, strength=a.strength,
                         overwrite=a.overwrite, resume=a.resume,
                         segment_frames=a.segment_frames, scene_cuts=not a.no_scene_cuts,
                         scene_threshold=DEFAULT_THRESHOLD if a.scene_threshold is None else a.scene_threshold,
                         accept_damaged=a.accept_damaged, subtitles=not a.no_subtitles, quiet=a.quiet,
                         preset=a.preset)
        missing = result["missing_frames"]
        if missing:  # said even with --quiet: the output lacks them
            shown = ", ".join(map(str, missing[:20])) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            print(f"genvid enhance: {result['output']} lacks {len(missing)} frame{'s' if len(missing) > 1 else ''} "
                  f"of the damaged source that the decoder could not give (numbered from 0: {shown})", file=sys.stderr)
        if not a.quiet:
            resumed = f", {result['resumed_from']} kept from the earlier run" if result["resumed_from"] else ""
            rate = f" ({result['fps']:.2f} frames/s)" if result["fps"] else ""
            tiles = f", with --tile {result['tile']}" if result["tile"] != a.tile else ""  # out of GPU memory
            print(f"wrote {result['output']}: {result['frames']} frames{resumed} in {result['seconds']:.1f} s{rate}"
                  f"{tiles}")
    p.set_defaults(run=run)


def add_eval(sub) -> None:
    p = sub.add_parser("eval", help="PSNR, SSIM (Y and RGB), VMAF, tOF, LPIPS and tLP of a video or frame folder "
                                    "against a reference")
    p.add_argument("pred", help="the video or frame folder to score")
    p.add_argument("ref", help="the reference: same size and frame count")
    p.add_argument("--crop", type=int, default=0, help="pixels cropped at each border before PSNR/SSIM")
    p.add_argument("--json", action="store_true", help="print the means as one JSON object (infinite PSNR: null)")
    p.add_argument("--csv", metavar="FILE", help="write per-frame scores to a CSV file")
    p.add_argument("--plot", metavar="FILE.png", help="write a per-frame plot (PNG; needs matplotlib)")
    p.add_argument("--no-vmaf", action="store_true", help="skip VMAF (ffmpeg libvmaf, whole frames)")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS and tLP")
    p.add_argument("--lpips-net", default="alex", choices=["alex", "vgg", "squeeze"],
                   help="LPIPS backbone (default alex, as TecoGAN)")
    p.add_argument("--lpips-backbone", metavar="FILE",
                   help="torchvision ImageNet weights of that backbone (default: $GENVID_LPIPS_BACKBONE, then "
                        "torch hub's checkpoints folder); never downloaded")
    p.add_argument("--device", default="auto", help="device for LPIPS: auto, cpu or cuda[:N] (default auto)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")

    def run(a):
        from ..enhance.api import pick_device
        from ..metrics.evaluate import evaluate_videos, json_safe, write_csv

        if a.crop < 0:
            raise GenvidError(f"--crop must be 0 or more, got {a.crop}")
        if a.plot:  # a bad plot path fails before the scoring, not after
            from ..metrics.plot import check_plot_path, pyplot

            check_plot_path(a.plot)
            pyplot()
        result = evaluate_videos(a.pred, a.ref, crop=a.crop, with_vmaf=not a.no_vmaf, with_lpips=not a.no_lpips,
                                 lpips_net=a.lpips_net, lpips_backbone=a.lpips_backbone,
                                 device=str(pick_device(a.device)), quiet=a.quiet)
        if a.csv:
            write_csv(result["per_frame"], a.csv)
        if a.plot:
            from ..metrics.plot import plot_per_frame

            plot_per_frame(result["per_frame"], a.plot, f"{Path(a.pred).name} against {Path(a.ref).name}")
        for note in result["notes"]:
            print(f"genvid eval: note: {note}", file=sys.stderr)
        if a.json:
            print(json.dumps(json_safe(result["mean"])))
        else:
            print(f"{result['frames']} frames")
            for k, v in result["mean"].items():
                print(f"{k:>9}: {v:.4f}")
    p.set_defaults(run=run)


def add_models(sub) -> None:
    p = sub.add_parser("models", help="list the installed models and their measured scores; convert checkpoints")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    actions = p.add_subparsers(dest="models_action", metavar="convert|info")
    c = actions.add_parser("convert", help="write a Real-ESRGAN (SRVGGNetCompact, RRDBNet) or BasicVSR .pth as genvid "
                                           ".safetensors + .json card")
    c.add_argument("checkpoint", help="the checkpoint (.pth, .pt, .ckpt or .safetensors, read as plain tensors; "
                                      "SRVGGNetCompact and RRDBNet recognised by spandrel)")
    c.add_argument("output", help="OUT.safetensors (its card goes beside it as OUT.json), or an existing folder")
    c.add_argument("--name", help="the model's name in its card (default: the output file's stem)")
    i = actions.add_parser("info", help="architecture, scale, parameters, GFLOPs, purpose and licence of a model file "
                                        "(genvid's own, or a checkpoint genvid or spandrel recognises)")
    i.add_argument("model", help="a shipped name, a .safetensors file, or a .pth/.pt/.ckpt/.safetensors checkpoint")
    i.add_argument("--json", action="store_true", help="print one JSON object")

    def info(a):
        from ..models.catalog import resolve

        resolve(a.model)  # a missing file or unknown name is said before torch is imported
        from ..models.info import format_info, model_info

        result = model_info(a.model)
        print(json.dumps(result, indent=2) if a.json else format_info(result))

    def convert(a):
        from ..models.third_party import convert_checkpoint

        path, card = convert_checkpoint(a.checkpoint, a.output, a.name)
        print(f"wrote {path} and {path.with_suffix('.json').name}: {card['arch']} x{card['scale']}, "
              f"{card['parameters']:,} parameters; use it with --model {path}")

    def run(a):
        from ..models.catalog import list_models

        if a.models_action == "convert":
            return convert(a)
        if a.models_action == "info":
            return info(a)
        rows = [{"name": c.get("name"), "task": c.get("task"), "scale": c.get("scale"),
                 "parameters": c.get("parameters"), "gflops_640x360": c.get("gflops_640x360"),
                 **({"resolution": c.get("resolution"), "frames": c.get("frames"),
                     "gflops_per_frame": c.get("gflops_per_frame")} if c.get("task") == "synthesis" else {}),
                 "scores": (c.get("validation") or {}).get("model"), "path": c.get("path")} for c in list_models()]
        if a.json:
            print(json.dumps(rows, indent=2))
            return
        print(f"{'name':<12} {'task':<18} {'scale':>5} {'params':>9} {'GFLOPs':>7}  scores (validation)")
        for r in rows:
            s = r["scores"] or {}
            score = ", ".join(f"{k} {v:.3f}" for k, v in s.items() if k in ("psnr_y", "ssim_y")) or "-"
            if r["task"] == "synthesis":  # makes clips at its own size: no scale, no 640x360 cost
                print(f"{r['name']:<12} {r['task']:<18} {'-':>5} {r['parameters']:>9} {'-':>7}  "
                      f"{r['resolution']}x{r['resolution']}, {r['gflops_per_frame']} GFLOPs per frame (genvid synth)")
                continue
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
        if not a.json_progress:  # a process of several that did not finish last knows only its own jobs
            print(("" if report["complete"] else "this process: ") + ", ".join(f"{n} {s}" for s, n in counts.items()))
        return 1 if counts["failed"] else 0
    p.set_defaults(run=run)


def add_compare(sub) -> None:
    p = sub.add_parser("compare", help="side-by-side or split-screen comparison video or image, zoomed labelled crops")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="two or more videos or frame folders")
    p.add_argument("--out", required=True, help="a video file (.mp4, .mkv, ...) for all frames, or .png for one frame")
    p.add_argument("--mode", default="side-by-side", choices=["side-by-side", "split"],
                   help="panels next to each other, or one frame cut in vertical strips (default side-by-side)")
    p.add_argument("--label", action="append", metavar="TEXT", help="label of each input, in order (default: file names)")
    p.add_argument("--size", metavar="WxH", help="common size (default: the largest input's)")
    p.add_argument("--resize", default="nearest", choices=["nearest", "bicubic"],
                   help="how smaller inputs reach the common size (default nearest: every shown pixel is an input pixel)")
    p.add_argument("--crop", metavar="X,Y,W,H", help="show only this region of the common-size frame")
    p.add_argument("--zoom", type=int, default=1, help="enlarge each panel K times, nearest-neighbour (default 1)")
    p.add_argument("--columns", type=int, help="side-by-side panels per row (default all in one row)")
    p.add_argument("--split", type=float, help="split mode with two inputs: where the line is, 0..1 of the width")
    p.add_argument("--frame", type=int, default=0, help="for a .png output: which frame, from 0 (default 0)")
    p.add_argument("--crf", type=int, default=18, help="x264 quality of a video output (default 18)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")

    def run(a):
        from ..viz.compare import compare, parse_size
        from ..viz.layout import Box

        if a.columns is not None and a.columns < 1:
            raise GenvidError(f"--columns must be 1 or more, got {a.columns}")
        result = compare(a.inputs, a.out, labels=a.label, mode=a.mode, size=parse_size(a.size), method=a.resize,
                         crop=Box.parse(a.crop) if a.crop else None, zoom=a.zoom, columns=a.columns,
                         split=a.split, frame=a.frame, overwrite=a.overwrite, crf=a.crf)
        for note in result["notes"]:
            print(f"genvid compare: note: {note}", file=sys.stderr)
        print(f"wrote {result['output']}: {result['frames']} frame{'s' if result['frames'] != 1 else ''} "
              f"of {result['width']}x{result['height']}")
    p.set_defaults(run=run)


def add_synth(sub) -> None:
    p = sub.add_parser("synth", help="generate clips with a synthesis model (OUTDIR/clip_000.mp4, ...)")
    p.add_argument("outdir", help="folder for clip_000.mp4, clip_001.mp4, ... (and grid.mp4)")
    p.add_argument("--model", required=True, help="synthesis model name (see `genvid models`) or .safetensors path")
    p.add_argument("--num", type=int, default=4, help="clips to write (default 4)")
    p.add_argument("--frames", type=int, default=16, help="frames per clip (default 16; any length works)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same clips (default 0)")
    p.add_argument("--class", dest="class_label", metavar="C",
                   help="class index or name for a class-conditional model (default: clip i gets class i mod classes)")
    p.add_argument("--first-frame", metavar="IMG", help="image to animate, for an image-conditioned model")
    p.add_argument("--grid", action="store_true", help="also write grid.mp4 with all clips tiled")
    p.add_argument("--fps", type=float, default=8, help="frame rate of the written clips (default 8)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu; clips do not depend on it)")

    def run(a):
        from ..synthesize import synthesize_to_folder

        synthesize_to_folder(a.model, a.outdir, a.num, a.frames, a.seed, a.class_label, a.first_frame,
                             a.grid, a.fps, a.device)
        print(f"wrote {a.num} clip{'s' if a.num != 1 else ''} of {a.frames} frames"
              + (" and grid.mp4" if a.grid else "") + f" to {a.outdir}")
    p.set_defaults(run=run)


def add_ui(sub) -> None:
    p = sub.add_parser("ui", help="a local web page to open, preview, enhance and queue videos (needs genvid[ui])")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=None, help="port (default: 7860, or the next free one)")
    p.add_argument("--root", action="append", metavar="DIR",
                   help="a folder the page may read and write (repeatable; default: the current folder)")
    p.add_argument("--state", metavar="DIR", help="the page's own folder: queue, uploads, previews "
                                                  "(default $GENVID_UI_STATE, else ~/.local/state/genvid/ui)")
    p.add_argument("--device", default="auto", help="device for previews and jobs: auto, cpu or cuda[:N]")

    def run(a):
        try:
            import gradio  # noqa: F401
        except ImportError:
            raise GenvidError("genvid ui needs gradio: pip install 'genvid[ui]'") from None
        from ..ui.app import serve

        serve(a.root or ["."], a.host, a.port, a.state, a.device)
    p.set_defaults(run=run)


def add_export(sub) -> None:
    p = sub.add_parser("export", help="write a model as ONNX (dynamic height and width) with a JSON sidecar OUT.json")
    p.add_argument("model", help="shipped model name (see `genvid models`), .safetensors or Real-ESRGAN .pth path")
    p.add_argument("output", help="OUT.onnx; split and recurrent forms write OUT.encoder/.decoder or "
                                  "OUT.start/.step .onnx")
    p.add_argument("--form", choices=["window", "split"], default=None,
                   help="sliding-window models: one graph per window (default) or a per-frame encoder and a decoder")
    p.add_argument("--fp16", action="store_true", help="half-precision weights, inputs and outputs")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: the exporter's, 20 with torch 2.14)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")

    def run(a):
        from ..deploy.onnx_export import export_onnx
        from ..models.registry import load_model

        info = export_onnx(load_model(a.model), a.output, form=a.form, fp16=a.fp16, opset=a.opset,
                           overwrite=a.overwrite)
        files = ", ".join(f["file"] for f in info["files"].values())
        print(f"wrote {files} and {Path(a.output).with_suffix('.json').name}: {info['arch']} x{info['scale']}, "
              f"form {info['form']}, {info['precision']}, opset {info['opset']}")
    p.set_defaults(run=run)


REGISTER = [add_enhance, add_train, add_eval, add_compare, add_models, add_batch, add_synth, add_ui, add_export]
