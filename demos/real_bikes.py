"""Demo: real-world footage through sr-x4-real, before and after, beside sr-x4.

    python demos/real_bikes.py [--input ../shared/data/clips/bikes.mp4] [--seconds 1] [--out demos/out]

bikes.mp4 is a compressed 640x272 H.264 clip: the kind of input sr-x4-real is trained for (blur, noise,
codec artefacts).  Writes OUT/bikes-input.mp4 (the cut), OUT/bikes-sr-x4.mp4 and OUT/bikes-sr-x4-real.mp4
(x4), OUT/bikes-before-after.png (a zoomed, labelled crop of the first frame: input, sr-x4, sr-x4-real),
and OUT/bikes-side-by-side.mp4.  Without ../shared a synthetic clip stands in.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import genvid
from genvid.io.decode import read_frames
from genvid.io.ffmpeg import last_error_line, run_ffmpeg
from genvid.io.testclip import make_test_clip
from genvid.viz.compare import compare
from genvid.viz.layout import Box

sys.path.insert(0, str(Path(__file__).resolve().parent))
from enhance_bikes import busiest_crop  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MODELS = ["sr-x4", "sr-x4-real"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", default=str(REPO.parent / "shared" / "data" / "clips" / "bikes.mp4"))
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--out", default=str(REPO / "demos" / "out"))
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    src = out / "bikes-input.mp4"
    if Path(a.input).exists():  # a lossless cut, so the input's own compression is what the models see
        r = run_ffmpeg(["-v", "error", "-y", "-i", a.input, "-t", str(a.seconds), "-c:v", "libx264", "-qp", "0",
                        "-an", str(src)])
        if r.returncode != 0:
            print(f"demo: error: cannot cut {a.input}: {last_error_line(r.stderr)}", file=sys.stderr)
            return 2
    else:
        print(f"demo: {a.input} not found; using a synthetic clip", file=sys.stderr)
        make_test_clip(src, size="320x176", frames=int(25 * a.seconds), audio=False)

    outputs = []
    for name in MODELS:
        result = genvid.enhance(src, out / f"bikes-{name}.mp4", name, overwrite=True, quiet=True)
        print(f"{name}: {result['frames']} frames in {result['seconds']:.1f} s -> {result['output']}")
        outputs.append(result["output"])

    cy, cx, size = busiest_crop(read_frames(src, max_frames=1)[0], 48)
    crop = Box(x=cx * 4, y=cy * 4, w=size * 4, h=size * 4)
    labels = ["input (nearest x4)", *MODELS]
    png = compare([src, *outputs], out / "bikes-before-after.png", labels=labels, crop=crop, zoom=2, overwrite=True)
    video = compare([src, *outputs], out / "bikes-side-by-side.mp4", labels=labels, crop=crop, overwrite=True)
    print(f"before/after crop -> {png['output']}\nside by side ({video['frames']} frames) -> {video['output']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
