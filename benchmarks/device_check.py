"""The prepared check for a lent GPU: one command, one JSON file, every figure the GPU issue asks for.

    python benchmarks/device_check.py --out $OUT/device_check.json        # on the GPU, within 8 minutes
    python benchmarks/device_check.py --dry-run --out /tmp/check.json     # the same code on the CPU, tiny

In order, each part timed and its failure recorded rather than fatal (the JSON says what failed and why):
1. the machine: torch, the GPU's name, capability, memory, bf16 support, whether ffmpeg has NVENC;
2. the dense matmul peak in bf16 (8192^3; --dry-run: fp32 256^3 on the CPU);
3. `pytest -m gpu` (precision against fp32, batched against batch 1, compiled against eager, NVENC, fp16
   training): passed, failed, skipped;
4. for each model (sr-x4, and sr-x4-flow where shipped): model-only fps of the Enhancer on in-memory
   frames and end-to-end fps of `genvid.enhance` on a clip, 480x270 in -> 1920x1080 out, in the chosen
   precision, with peak GPU memory, at `--batch` frames per call (auto: chosen from free memory; the JSON
   gives the number) and with `--compile` through torch.compile; the worst difference of fp16/bf16 from
   fp32 in 8-bit levels;
5. training steps per second of recipes/sr-x4-flow.yaml on generated clips (the real data comes with
   the training kit, benchmarks/device_kit.py).
Targets (the GPU issue): sr-x4 at 60 fps or more end to end at 1920x1080 out, end to end at least 0.9 of
model-only, precision within 2/255 of fp32.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, make_clip  # noqa: E402

PROG = "device_check.py"


def timed(results: dict, name: str, fn, *args):
    """results[name] = fn(*args), or {"error": one line} when it fails; with its seconds."""
    start = time.perf_counter()
    try:
        results[name] = fn(*args)
    except Exception as e:  # recorded, not fatal: the other parts still run within the lease
        results[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
    results.setdefault("seconds", {})[name] = round(time.perf_counter() - start, 2)


def machine(dev) -> dict:
    import torch

    from genvid.io.ffmpeg import ffmpeg_exe

    encoders = subprocess.run([ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    info = {"torch": torch.__version__, "device": str(dev), "nvenc_compiled_in": sorted(
        e for e in ("h264_nvenc", "hevc_nvenc", "av1_nvenc") if f" {e} " in encoders)}
    if dev.type == "cuda":
        p = torch.cuda.get_device_properties(dev)
        info |= {"gpu": p.name, "capability": f"{p.major}.{p.minor}", "memory_gib": round(p.total_memory / 2**30, 1),
                 "bf16": torch.cuda.is_bf16_supported()}
    return info


def matmul_peak(dev, dry: bool) -> dict:
    import torch

    n, dtype = (256, torch.float32) if dry else (8192, torch.bfloat16)
    a, b = torch.rand(n, n, device=dev, dtype=dtype), torch.rand(n, n, device=dev, dtype=dtype)
    best = 0.0
    for _ in range(3 if dry else 10):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if dev.type == "cuda":
            torch.cuda.synchronize()
        best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e12)
    return {"n": n, "dtype": str(dtype).replace("torch.", ""), "tflops": round(best, 3)}


def gpu_tests(dry: bool) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider", "tests"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=240)
    tail = [line for line in r.stdout.splitlines() if line.strip()][-1:] or [""]
    return {"returncode": r.returncode, "summary": tail[0], "failures": [
        line for line in r.stdout.splitlines() if line.startswith("FAILED")][:10]}


def frames_of(clip: Path):
    from genvid.io.decode import read_frames

    return read_frames(clip)


def model_speed(model: str, dev, dtype, clip: Path, frames: list, tmp: Path, batch: str = "auto",
                compile: bool = False) -> dict:
    import numpy as np
    import torch

    import genvid
    from genvid.engine import Enhancer

    fp32 = [f for f in Enhancer(model, dev, None, scene_threshold=None).run(frames[:4])]
    enhancer = Enhancer(model, dev, dtype, scene_threshold=None, batch=batch, compile=compile)
    diff = max(int(np.abs(a.astype(int) - b.astype(int)).max())
               for a, b in zip(fp32, enhancer.run(frames[:4])))
    list(enhancer.run(frames[:4]))  # warm-up: kernels, allocator
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(dev)
    start = time.perf_counter()
    count = sum(1 for _ in enhancer.run(frames))
    model_s = time.perf_counter() - start
    precision = {None: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[dtype]
    options = dict(device=str(dev), precision=precision, batch=batch, compile=compile, overwrite=True, quiet=True)
    genvid.enhance(clip, tmp / "warm.mp4", model, **options)
    start = time.perf_counter()
    genvid.enhance(clip, tmp / "out.mp4", model, **options)
    e2e_s = time.perf_counter() - start
    return {"precision": precision, "batch": enhancer.chain.streamers[0].batch, "compile": compile, "frames": count,
            "model_only_fps": round(count / model_s, 2),
            "end_to_end_fps": round(count / e2e_s, 2), "ratio": round(model_s / e2e_s, 3),
            "max_diff_from_fp32_levels": diff,
            "peak_gpu_mib": round(torch.cuda.max_memory_allocated(dev) / 2**20, 1) if dev.type == "cuda" else None}


def train_speed(dev, dry: bool, tmp: Path) -> dict:
    import yaml

    from genvid.train.loop import train

    data = tmp / "train"
    data.mkdir()
    for i in range(2):
        make_clip(data / f"c{i}.mp4", 128 if dry else 512, 128 if dry else 288, 12)
    sets = [f"data.train=[{data}]", "data.val=null", "data.video_downscale=1", "train.log_every=1000",
            "train.save_every=100000", "model.init_partial=null", "model.init_flow=null", "train.threads=0"]
    steps = 2 if dry else 40
    if dry:
        sets += ["data.batch_size=1", "data.patch=64", "data.clip_frames=3", "data.num_workers=0"]
    recipe = yaml.safe_load((REPO / "recipes" / "sr-x4-flow.yaml").read_text())
    start = time.perf_counter()
    result = train(str(REPO / "recipes" / "sr-x4-flow.yaml"), str(tmp / "run"), max_steps=steps, overrides=sets)
    seconds = time.perf_counter() - start
    return {"recipe": "recipes/sr-x4-flow.yaml", "steps": result["step"], "steps_per_s": round(steps / seconds, 3),
            "batch": recipe["data"]["batch_size"] if not dry else 1, "note": "includes start-up and the first "
            "step's kernel selection; the kit's log gives the steady rate"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="the JSON file to write (e.g. $OUT/device_check.json)")
    p.add_argument("--dry-run", action="store_true", help="the same code on the CPU at tiny sizes")
    p.add_argument("--models", default="sr-x4,sr-x4-flow", help="models to time, those shipped (default sr-x4,sr-x4-flow)")
    p.add_argument("--frames", type=int, default=None, help="frames per timing (default 120; dry run 3)")
    p.add_argument("--batch", default="auto", help="frames per model call, as genvid enhance --batch (default auto)")
    p.add_argument("--compile", action="store_true", help="time the models through torch.compile (genvid enhance "
                                                             "--compile); the warm-up run compiles them")
    a = p.parse_args(argv)
    import torch

    from genvid.engine import pick_device, pick_precision
    from genvid.models.catalog import list_models

    dev = pick_device("cpu" if a.dry_run else "auto")
    dtype = pick_precision("auto", dev)
    frames_n = a.frames or (3 if a.dry_run else 120)
    w, h = (32, 18) if a.dry_run else (480, 270)  # x4: 1920x1080 out
    shipped = {m["name"] for m in list_models()}
    results: dict = {"dry_run": a.dry_run, "input": f"{w}x{h}", "output": f"{4 * w}x{4 * h}"}
    timed(results, "machine", machine, dev)
    timed(results, "matmul", matmul_peak, dev, a.dry_run)
    timed(results, "gpu_tests", gpu_tests, a.dry_run)
    with tempfile.TemporaryDirectory(prefix="genvid-check-") as tmp:
        tmp = Path(tmp)
        clip = make_clip(tmp / "in.mp4", w, h, frames_n)
        frames = frames_of(clip)
        for model in [m for m in a.models.split(",") if m in shipped]:
            timed(results, f"speed_{model}", model_speed, model, dev, dtype, clip, frames, tmp, a.batch, a.compile)
        timed(results, "training", train_speed, dev, a.dry_run, tmp)
    results["targets"] = {"sr-x4_end_to_end_fps": 60, "end_to_end_over_model_only": 0.9, "precision_levels": 2}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
