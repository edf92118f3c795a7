"""Throughput of `genvid.enhance()` against the model alone, on the same frames, in one run.

(a) model-only fps: the clip's frames, already decoded into a list of numpy arrays, run through the
    engine that enhance() uses (`genvid.Enhancer`: per-frame tensor conversion, the model's streamer,
    conversion back to numpy), with no decoding, encoding or muxing;
(b) end-to-end fps: the whole `genvid.enhance(clip, out.mp4, quiet=True)` call, probe and model
    load included, on a testsrc2/libx264 clip of those same frames.

(c) the machine's dense matmul peak: square fp32 matrix products on the CPU (the model's precision
    there), or products in the run's precision on a GPU, with the same torch threads, measured in the
    same rounds, so that the model's achieved FLOP/s (its counted FLOPs per frame times model-only fps)
    is a fraction of what this machine did at that moment.

All three are warmed up once, then timed in --rounds rounds in alternating order; the best of each is
kept so that background load affects them alike.  Targets: end-to-end / model-only >= 0.95 on a CPU and
>= 0.9 on a GPU; model-only FLOP/s >= 0.6 of the matmul peak.  Also reported: the process's peak RSS and,
on a GPU, the peak GPU memory allocated.

    .venv/bin/python benchmarks/speed.py [--model sr-x4] [--device auto] [--size 320x180] [--frames 120] [--json]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_common_options, check_model, figure, make_clip, run_benchmark  # noqa: E402

PROG = "speed.py"
TARGETS = {"cpu": 0.95, "cuda": 0.9}  # end-to-end / model-only fps
FLOPS_TARGET = 0.6  # model-only FLOP/s / dense matmul FLOP/s


def matmul_gflops(dev, dtype) -> float:
    """GFLOP/s of one dense square matmul on `dev` (fp32 on a CPU, else `dtype`), after one warm-up."""
    import torch

    n = 2048 if dev.type == "cpu" else 8192
    dt = dtype if (dtype is not None and dev.type != "cpu") else torch.float32
    a, b = torch.rand(n, n, device=dev, dtype=dt), torch.rand(n, n, device=dev, dtype=dt)
    reps = 2 if dev.type == "cpu" else 20
    for timed in (False, True):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps if timed else 1):
            a @ b
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return 2 * n**3 * reps / seconds / 1e9


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def model_only_seconds(enhancer, frames) -> float:
    """Wall time of Enhancer.run over in-memory frames, every output frame materialised as numpy."""
    start = time.perf_counter()
    count = sum(1 for _ in enhancer.run(frames))
    seconds = time.perf_counter() - start
    if count != len(frames):
        raise RuntimeError(f"the engine gave {count} frames for {len(frames)}")
    return seconds


def end_to_end_seconds(clip: Path, out: Path, model: str, device: str, precision: str) -> float:
    """Wall time of the whole enhance() call."""
    import genvid

    start = time.perf_counter()
    genvid.enhance(clip, out, model, device=device, precision=precision, overwrite=True, quiet=True)
    return time.perf_counter() - start


def measure(a) -> dict:
    import torch

    from genvid.engine import Enhancer, pick_device, pick_precision
    from genvid.io.decode import read_frames
    from genvid.models.registry import gflops_per_frame, load_model

    width, height = a.size
    check_model(a.model)
    dev = pick_device(a.device)
    dtype = pick_precision(a.precision, dev)
    with tempfile.TemporaryDirectory(prefix="genvid-speed-") as tmp:
        tmp = Path(tmp)
        clip = make_clip(tmp / "in.mp4", width, height, a.frames)
        warm_clip = make_clip(tmp / "warm.mp4", width, height, min(a.frames, 5))
        frames = read_frames(clip)  # exactly the frames enhance() decodes from the clip (8-bit source)
        if len(frames) != a.frames:
            raise RuntimeError(f"the test clip decoded to {len(frames)} frames, expected {a.frames}")
        net = Enhancer(a.model, dev, dtype, scene_threshold=None)

        # warm-up: allocator, kernels, ffmpeg start-up, the weights file in the page cache
        model_only_seconds(net, frames[:min(a.frames, 5)])
        end_to_end_seconds(warm_clip, tmp / "warm-out.mp4", a.model, a.device, a.precision)

        model_s, e2e_s, peak = [], [], []
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        for r in range(a.rounds):  # alternate the order so a drifting background load hits all three
            for kind in ("model", "e2e", "matmul") if r % 2 == 0 else ("matmul", "e2e", "model"):
                if kind == "model":
                    model_s.append(model_only_seconds(net, frames))
                elif kind == "e2e":
                    e2e_s.append(end_to_end_seconds(clip, tmp / "out.mp4", a.model, a.device, a.precision))
                else:
                    peak.append(matmul_gflops(dev, dtype))
        gpu_mib = torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == "cuda" else None
        del net
        if dev.type == "cuda":
            torch.cuda.empty_cache()

    gflops = gflops_per_frame(load_model(a.model, "cpu"), height, width)
    model_fps, e2e_fps = a.frames / min(model_s), a.frames / min(e2e_s)
    target = TARGETS.get(dev.type, TARGETS["cpu"])
    flops_ratio = gflops * model_fps / max(peak)
    return {  # every figure to 6 significant digits, derived ones from the unrounded values
        "model": a.model, "device": str(dev), "precision": str(dtype).replace("torch.", "") if dtype else "fp32",
        "size": f"{width}x{height}", "frames": a.frames, "rounds": a.rounds, "torch_threads": torch.get_num_threads(),
        "model_only_fps": figure(model_fps), "end_to_end_fps": figure(e2e_fps),
        "ratio": figure(e2e_fps / model_fps), "target": target, "meets_target": e2e_fps / model_fps >= target,
        "gflops_per_frame": figure(gflops),
        "model_only_gflops_per_s": figure(gflops * model_fps), "end_to_end_gflops_per_s": figure(gflops * e2e_fps),
        "matmul_gflops_per_s": figure(max(peak)), "flops_ratio": figure(flops_ratio),
        "flops_target": FLOPS_TARGET, "meets_flops_target": flops_ratio >= FLOPS_TARGET,
        "peak_rss_mib": round(peak_rss_mib(), 1), "peak_gpu_mib": None if gpu_mib is None else round(gpu_mib, 1),
        "model_only_seconds": [figure(s) for s in model_s], "end_to_end_seconds": [figure(s) for s in e2e_s],
        "matmul_gflops_per_s_rounds": [figure(g) for g in peak],
    }


def report(r: dict) -> str:
    return "\n".join([
        f"model {r['model']} on {r['device']} ({r['precision']}, {r['torch_threads']} threads), "
        f"{r['frames']} frames of {r['size']}, best of {r['rounds']} rounds",
        f"model-only fps : {r['model_only_fps']:.3f}   (rounds, s: {r['model_only_seconds']})",
        f"end-to-end fps : {r['end_to_end_fps']:.3f}   (rounds, s: {r['end_to_end_seconds']})",
        f"ratio e2e/model: {r['ratio']:.3f}   (target >= {r['target']}: {'met' if r['meets_target'] else 'NOT met'})",
        f"GFLOPs / input frame at {r['size']}: {r['gflops_per_frame']:.3f}",
        f"achieved GFLOP/s: model-only {r['model_only_gflops_per_s']:.2f}, end-to-end {r['end_to_end_gflops_per_s']:.2f}",
        f"dense matmul GFLOP/s on this machine, same run: {r['matmul_gflops_per_s']:.2f} "
        f"(rounds: {r['matmul_gflops_per_s_rounds']})",
        f"model-only / matmul FLOP/s: {r['flops_ratio']:.3f}   "
        f"(target >= {r['flops_target']}: {'met' if r['meets_flops_target'] else 'NOT met'})",
        f"peak RSS {r['peak_rss_mib']:.1f} MiB" + ("" if r["peak_gpu_mib"] is None else
                                                  f", peak GPU memory allocated {r['peak_gpu_mib']:.1f} MiB"),
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description="end-to-end enhance() fps vs model-only fps (the engine on in-memory frames)")
    add_common_options(p, "320x180")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16", "bf16"],
                   help="as `genvid enhance --precision` (default auto: fp16 on GPU, fp32 on CPU)")
    p.add_argument("--frames", type=int, default=120,
                   help="frames in the clip (default 120: long enough that start-up costs do not dominate)")
    p.add_argument("--rounds", type=int, default=2, help="timed rounds per path, best kept (default 2)")
    a = p.parse_args(argv)
    if a.frames < 1 or a.rounds < 1:
        p.error("--frames and --rounds must be at least 1")
    return run_benchmark(PROG, p, a, measure, report)

if __name__ == "__main__":
    sys.exit(main())
