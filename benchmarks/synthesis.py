"""Quality of a synthesis model against held-out real clips, beside two yardsticks, in one run.

    .venv/bin/python benchmarks/synthesis.py [--model synth-shapes] [--num 256] [--seed 1000]
        [--real-seed 777] [--i3d i3d_torchscript.pt] [--json] [--write-card]

Generated: `genvid.synthesize(model, num, frames, seed)` (clip i of class i mod the model's classes).
Real: `num` clips of the procedural shapes dataset (`genvid/data/shapes.py`) drawn with --real-seed, a
seed the recipe's training never used, so they are held out.  Scored by `evaluate_synthesis`
(`genvid/metrics/synthesis.py`): the classifier two-sample test (held-out accuracy; 0.5 is best, the
issue's target is at most 0.75), motion statistics (frame differences and flow magnitudes, with their
W1 distances to the real clips), diversity, and FVD only when an I3D file is given.

Two yardsticks measured in the same run with the same test and sizes:
- real against real: two independent draws of real clips (seeds --real-seed and --real-seed + 1): what the
  test gives for indistinguishable sets;
- still against real: each real clip of the second draw replaced by its first frame repeated: what the
  test gives for clips with the right pictures and no motion at all.
The issue's target is read at the test's default size (32 pixels, `genvid/metrics/two_sample.py`), which
judges layout, colour and motion more than fine texture; the same test is also run at the model's own
resolution, on the model and on real against real, and reported beside it ("two_sample_full_size").
`--write-card` stores the result in the model's card (weights/<name>.json) under "validation".
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import check_model, fail  # noqa: E402

PROG = "synthesis.py"
TARGET = 0.75  # the two-sample test's held-out accuracy, at most


def real_clips(num: int, frames: int, size: int, seed: int):
    import torch

    from genvid.data.shapes import ShapesDataset

    data = ShapesDataset(frames=frames, size=size, seed=seed)
    return torch.stack([data[i][0] for i in range(num)])


def measure(a) -> dict:
    import torch

    from genvid.metrics.synthesis import evaluate_synthesis
    from genvid.metrics.two_sample import two_sample_test
    from genvid.synthesize import load_synthesis_model, synthesize

    path = check_model(a.model)
    net = load_synthesis_model(a.model)
    frames, size = int(net.card.get("frames", 16)), int(net.resolution)
    start = time.time()
    generated = synthesize(net, a.num, frames, seed=a.seed)
    real = real_clips(a.num, frames, size, a.real_seed)
    other = real_clips(a.num, frames, size, a.real_seed + 1)
    still = other[:, :1].expand_as(other).contiguous()
    model = evaluate_synthesis(generated, real, i3d=a.i3d, seed=0)
    yard = {"real_vs_real": evaluate_synthesis(other, real, seed=0)["two_sample"],
            "still_vs_real": evaluate_synthesis(still, real, seed=0)["two_sample"]}
    # the same test at the model's own resolution (a stricter look at shapes and textures; not the target)
    full = {"generated_vs_real": two_sample_test(generated, real, seed=0, size=size),
            "real_vs_real": two_sample_test(other, real, seed=0, size=size), "size": size}
    acc = model["two_sample"]["accuracy"]
    result = {"protocol": (f"{a.num} clips of {frames} frames at {size}x{size} a side: genvid.synthesize(seed "
                           f"{a.seed}) against shapes drawn with seed {a.real_seed} (held out); "
                           "evaluate_synthesis with seed 0"),
              "command": (f"python benchmarks/synthesis.py --model {a.model} --num {a.num} --seed {a.seed} "
                          f"--real-seed {a.real_seed}"),
              **model, "yardsticks": yard, "two_sample_full_size": full,
              "target": {"two_sample_accuracy_at_most": TARGET},
              "meets_target": acc <= TARGET, "seconds": round(time.time() - start, 1),
              "torch_threads": torch.get_num_threads()}
    if a.write_card:
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text())
        card["validation"] = result
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    return result


def report(r: dict) -> str:
    t, m = r["two_sample"], r["motion"]
    lines = [r["protocol"],
             f"two-sample accuracy: {t['accuracy']:.3f} (95% interval {t['ci_low']:.3f}..{t['ci_high']:.3f}; "
             f"target <= {TARGET}: {'met' if r['meets_target'] else 'NOT met'})",
             f"  yardsticks: real vs real {r['yardsticks']['real_vs_real']['accuracy']:.3f}, "
             f"still vs real {r['yardsticks']['still_vs_real']['accuracy']:.3f}"]
    f = r["two_sample_full_size"]
    lines.append(f"two-sample accuracy at {f['size']} px (not the target): {f['generated_vs_real']['accuracy']:.3f}, "
                 f"real vs real {f['real_vs_real']['accuracy']:.3f}")
    for key in ("frame_diff", "flow"):
        g, rl = m["generated"][key], m["real"][key]
        lines.append(f"{key}: generated mean {g['mean']:.4f} (p50 {g['p50']:.4f}), real mean {rl['mean']:.4f} "
                     f"(p50 {rl['p50']:.4f}), W1 {m['w1'][key]:.4f}")
    d = r["diversity"]
    lines.append("diversity: " + ", ".join(f"{k} generated {d['generated'][k]:.4f} / real {d['real'][k]:.4f}"
                                           for k in ("pairwise_mean", "frame_spread", "static_fraction")))
    lines += [f"note: {n}" for n in r["notes"]]
    return "\n".join(lines + [f"{r['seconds']} s"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description="two-sample test, motion statistics and diversity of a "
                                                       "synthesis model against held-out procedural shapes")
    p.add_argument("--model", default="synth-shapes")
    p.add_argument("--num", type=int, default=256, help="clips a side (default 256)")
    p.add_argument("--seed", type=int, default=1000, help="seed of the generated clips (default 1000)")
    p.add_argument("--real-seed", type=int, default=777, help="dataset seed of the held-out real clips (default 777)")
    p.add_argument("--i3d", default=None, help="I3D TorchScript file for FVD (see genvid/metrics/fvd.py)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--write-card", action="store_true", help="store the result in the model's card")
    a = p.parse_args(argv)
    if a.num < 8:
        p.error("--num must be at least 8")
    from genvid.errors import GenvidError

    try:
        result = measure(a)
    except GenvidError as e:
        fail(PROG, e)
    print(json.dumps(result) if a.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
