"""Demo: sample the shipped synthesis model as a grid video, and a latent interpolation.

    python demos/synth_shapes.py [--model synth-shapes] [--num 16] [--frames 32] [--steps 8] [--out demos/out]

Writes OUT/synth-grid.mp4 (--num clips of --frames frames, classes in turn, one grid; the model was
trained on 16 frames, longer clips show that its continuous-time motion codes run on), OUT/synth-clips/
(each clip as its own mp4, as `genvid synth` writes them), and OUT/synth-interpolation.mp4: --steps
clips in a row whose content codes move linearly from one seed's to another's while the motion codes
and frame noise stay those of the first, so the picture morphs and the motion stays.
"""
from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path

import torch

from genvid.synthesize import grid_clip, load_synthesis_model, synthesize_to_folder, write_clip

REPO = Path(__file__).resolve().parents[1]


@torch.no_grad()
def interpolation(net, frames: int, steps: int, seed_a: int = 1, seed_b: int = 2) -> torch.Tensor:
    """(steps, T, 3, S, S) in [0, 1]: content code from seed_a's to seed_b's, motion and noise of seed_a."""
    times = torch.arange(frames, dtype=torch.float32)
    z_a, anchors, times, noise = net.draw(1, times, torch.Generator().manual_seed(seed_a))
    z_b = net.draw(1, times[0], torch.Generator().manual_seed(seed_b))[0]
    w = torch.linspace(0, 1, steps)[:, None]
    z = (1 - w) * z_a + w * z_b
    labels = torch.zeros(steps, dtype=torch.long) if net.num_classes else None
    out = net(z, anchors.expand(steps, -1, -1), times.expand(steps, -1), labels, None,
              [n.expand(steps, *n.shape[1:]) for n in noise])
    return (out.float() + 1) / 2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="synth-shapes")
    p.add_argument("--num", type=int, default=16)
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--out", default=str(REPO / "demos" / "out"))
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    net = load_synthesis_model(a.model)
    paths = synthesize_to_folder(net, out / "synth-clips", num=a.num, frames=a.frames, seed=0, grid=True)
    grid = out / "synth-grid.mp4"
    paths[-1].replace(grid)
    clips = interpolation(net, a.frames, a.steps)
    write_clip(grid_clip(clips), out / "synth-interpolation.mp4", Fraction(8))
    print(f"wrote {grid}, {len(paths) - 1} clips in {out / 'synth-clips'} and {out / 'synth-interpolation.mp4'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
