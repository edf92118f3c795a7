"""Scene-cut scores on the shared clips: where the default threshold of genvid.engine.scenes comes from.

For every consecutive pair of frames of each clip, the cut score (the smaller of the thumbnail difference
and the histogram distance, see genvid/engine/scenes.py).  Prints, per clip, the frames whose score
exceeds the threshold (detected cuts) and the highest score of the other frames, so the margin on both
sides of the threshold can be read off.  bikes.mp4 is a montage (its cuts were checked by eye); the
DAVIS clips are single shots, motocross-jump with very fast motion.

    .venv/bin/python benchmarks/scene_cuts.py [--threshold 0.17] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, fail  # noqa: E402

PROG = "scene_cuts.py"
CLIPS = ["clips/bikes.mp4", "clips/bigbuckbunny.mp4", "clips/carphone_pristine.mp4", "davis/blackswan",
         "davis/car-shadow", "davis/kite-surf", "davis/motocross-jump"]


def scores(path: Path) -> list[float]:
    """Score of frame i against frame i-1, for i = 1 .. n-1."""
    from genvid.engine.scenes import cut_score, thumbnail
    from genvid.io.decode import FrameReader

    out, previous = [], None
    with FrameReader(path, high_bit_depth=False) as reader:
        for frame in reader:
            thumb = thumbnail(frame)
            if previous is not None:
                out.append(cut_score(previous, thumb))
            previous = thumb
    return out


def main(argv: list[str] | None = None) -> int:
    from genvid.engine.scenes import DEFAULT_THRESHOLD
    from genvid.errors import GenvidError

    p = argparse.ArgumentParser(prog=PROG, description="scene-cut scores on ../shared clips")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    data = REPO.parent / "shared" / "data"
    rows = []
    try:
        for clip in CLIPS:
            if not (data / clip).exists():
                fail(PROG, f"needs {data / clip} (the project's shared data); not found")
            s = scores(data / clip)
            cuts = [i + 1 for i, v in enumerate(s) if v > a.threshold]
            rest = [(v, i + 1) for i, v in enumerate(s) if v <= a.threshold]
            top, at = max(rest) if rest else (0.0, None)
            rows.append({"clip": clip, "frames": len(s) + 1, "cuts": cuts,
                         "cut_scores": [round(s[i - 1], 3) for i in cuts],
                         "highest_other_score": round(top, 3), "at_frame": at})
    except GenvidError as e:
        fail(PROG, e)
    if a.json:
        print(json.dumps({"threshold": a.threshold, "clips": rows}))
    else:
        print(f"threshold {a.threshold}")
        for r in rows:
            print(f"{r['clip']:<28} {r['frames']:>4} frames  cuts {r['cuts']} (scores {r['cut_scores']})  "
                  f"highest other {r['highest_other_score']} at frame {r['at_frame']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
