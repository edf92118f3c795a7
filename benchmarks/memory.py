"""Peak memory of `genvid enhance` against video length: long-clip peak RSS / short-clip peak RSS.

Each size runs `python -m genvid enhance IN OUT --quiet` as a child of its own small wrapper process;
the wrapper waits for the child and prints resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, the peak
RSS of the largest process it waited for (the genvid process; its ffmpeg helpers are counted too but
are far smaller).  A fresh wrapper per size keeps the two maxima apart.  Streaming holds only a few
frames, so the ratio should stay near 1.  Target: RSS(--long frames) / RSS(--short frames) <= 1.1.

    .venv/bin/python benchmarks/memory.py [--model sr-x4] [--size 64x36] [--short 300] [--long 3000] [--json]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, add_common_options, check_model, figure, make_clip, run_benchmark  # noqa: E402

PROG = "memory.py"
TARGET = 1.1

# run as `python -c WRAPPER cmd...`: runs cmd, then reports its own children's peak RSS (KiB on Linux)
WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
print(json.dumps({"rc": p.returncode, "seconds": time.perf_counter() - t, "stderr": p.stderr[-4000:],
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def peak_rss(clip: Path, out: Path, a) -> dict:
    """Runs one `genvid enhance` under a fresh wrapper; returns {"maxrss_kib", "seconds"} or raises."""
    from genvid.errors import GenvidError

    child = [sys.executable, "-m", "genvid", "enhance", str(clip), str(out), "--model", a.model,
             "--device", a.device, "--overwrite", "--quiet"]
    done = subprocess.run([sys.executable, "-c", WRAPPER, *child], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise GenvidError(f"the measuring wrapper failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    if r["rc"] != 0:
        lines = [ln for ln in r["stderr"].splitlines() if ln.strip()]
        raise GenvidError(f"genvid enhance exited {r['rc']} on {clip.name}: {lines[-1] if lines else 'no message'}")
    if sys.platform == "darwin":  # ru_maxrss is in bytes there, KiB on Linux
        r["maxrss_kib"] //= 1024
    return r


def measure(a) -> dict:
    width, height = a.size
    check_model(a.model)
    if Path(a.model).exists():  # a .safetensors path: the child runs in the repository root
        a.model = str(Path(a.model).resolve())
    runs = {}
    with tempfile.TemporaryDirectory(prefix="genvid-memory-") as tmp:
        tmp = Path(tmp)
        clips = {n: make_clip(tmp / f"in-{n}.mp4", width, height, n) for n in (a.short, a.long)}
        for n in (a.short, a.long):
            runs[n] = peak_rss(clips[n], tmp / f"out-{n}.mp4", a)
            (tmp / f"out-{n}.mp4").unlink(missing_ok=True)
    short_mib, long_mib = runs[a.short]["maxrss_kib"] / 1024, runs[a.long]["maxrss_kib"] / 1024
    ratio = long_mib / short_mib
    return {
        "model": a.model, "device": a.device, "size": f"{width}x{height}",
        "short_frames": a.short, "long_frames": a.long,
        "short_peak_rss_mib": figure(short_mib), "long_peak_rss_mib": figure(long_mib),
        "ratio": figure(ratio), "target": TARGET, "meets_target": ratio <= TARGET,
        "short_seconds": figure(runs[a.short]["seconds"]), "long_seconds": figure(runs[a.long]["seconds"]),
    }


def report(r: dict) -> str:
    return "\n".join([
        f"genvid enhance --model {r['model']} --device {r['device']} on {r['size']} testsrc2 clips",
        f"peak RSS, {r['short_frames']:>5} frames: {r['short_peak_rss_mib']:8.1f} MiB  ({r['short_seconds']:.1f} s)",
        f"peak RSS, {r['long_frames']:>5} frames: {r['long_peak_rss_mib']:8.1f} MiB  ({r['long_seconds']:.1f} s)",
        f"ratio long/short: {r['ratio']:.3f}   (target <= {r['target']}: {'met' if r['meets_target'] else 'NOT met'})",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description="peak RSS of `genvid enhance`: long clip / short clip")
    add_common_options(p, "64x36")
    p.add_argument("--short", type=int, default=300, help="frames in the short clip (default 300)")
    p.add_argument("--long", type=int, default=3000, help="frames in the long clip (default 3000)")
    a = p.parse_args(argv)
    if not 1 <= a.short < a.long:
        p.error("need 1 <= --short < --long")
    return run_benchmark(PROG, p, a, measure, report)

if __name__ == "__main__":
    sys.exit(main())
