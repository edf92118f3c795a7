"""The training kit for a lent GPU: pack a recipe's data small enough to carry, train for N minutes there,
bring the weights and the resumable checkpoint back.

A device call carries the working tree and at most 64 MiB in all, and returns at most 8 files of 16 MiB
through $OUT.  So:

1. here, once:  python benchmarks/device_kit.py pack recipes/sr-x4-flow.yaml --out .kit/data --budget-mb 40
   writes the recipe's training clips (its `data.train`, `data.video_downscale`, `data.max_frames`) as
   frame folders of JPEG (quality 95: about 45 dB from the source, far below what x4 SR can recover)
   under .kit/data, each clip's frames consecutive, as many per clip as the budget allows (large frames
   centre-cropped to at most --max-side pixels); ClipDataset reads such folders as it reads DAVIS;
2. there, each call (`carry: [".kit"]`):
   python benchmarks/device_kit.py train recipes/sr-x4-flow.yaml --data .kit/data --minutes 6 --out $OUT \
       2>&1 | tee $OUT/train.log
   trains with the recipe, on the packed data, without validation (`data.val: null`, `train.select:
   last`), stopping cleanly after --minutes; a checkpoint carried back as .kit/checkpoint.tar is resumed;
   $OUT gets last.safetensors and its card and checkpoint.tar (the whole resumable state), the tee the log;
3. here: copy $OUT/checkpoint.tar to .kit/ for the next call, and score last.safetensors on the val data
   (`python benchmarks/quality.py --model .../last.safetensors`).
"""
from __future__ import annotations

import argparse
import io
import shutil
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fail  # noqa: E402

PROG = "device_kit.py"


def jpeg_bytes(frame, quality: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def centre_crop(clip, max_side: int):
    """(T, H, W, 3) cut to at most max_side on each side, around the centre (even sizes kept)."""
    h, w = clip.shape[1:3]
    ch, cw = min(h, max_side), min(w, max_side)
    y, x = (h - ch) // 2, (w - cw) // 2
    return clip[:, y:y + ch, x:x + cw]


def pack(recipe_path: str, out: Path, budget_mb: float, quality: int = 95, max_side: int = 640,
         min_frames: int | None = None) -> dict:
    """Writes the recipe's training clips into `out` as JPEG frame folders within `budget_mb`; returns a summary."""
    from genvid.data.clips import find_clips, load_clip
    from genvid.errors import GenvidError
    from genvid.train.config import load_recipe

    recipe, _ = load_recipe(recipe_path)
    d = recipe.data
    if out.exists() and any(out.iterdir()):
        raise GenvidError(f"{out} is not empty; give a new folder for the packed data")
    paths = [p for source in d.train for p in find_clips(source)]
    clips = [centre_crop(load_clip(p, d.max_frames, d.video_downscale), max_side) for p in paths]
    need = min_frames or d.clip_frames
    # one measured frame per clip gives its bytes per frame.  First every clip gets `need` frames (fewer
    # if it is shorter) while the budget lasts, taking clips evenly across the list; what is left
    # lengthens the kept clips one frame at a time, in turn, up to their length
    per_frame = [len(jpeg_bytes(c[0], quality)) for c in clips]
    budget = 0.93 * budget_mb * 2**20  # the first frame of a clip stands for all: keep a margin
    frames = [0] * len(clips)
    for k in spread_order(len(clips)):
        first = min(need, len(clips[k])) * per_frame[k]
        if first <= budget:
            frames[k], budget = min(need, len(clips[k])), budget - first
    growing = [k for k in range(len(clips)) if frames[k]]
    while growing:
        growing = [k for k in growing if frames[k] < len(clips[k]) and per_frame[k] <= budget]
        for k in growing:
            frames[k], budget = frames[k] + 1, budget - per_frame[k]
    total, kept = 0, []
    for path, clip, n in zip(paths, clips, frames):
        if not n:
            continue
        folder = out / f"{len(kept):03d}_{path.stem}"
        folder.mkdir(parents=True)
        for i, frame in enumerate(clip[:n]):
            data = jpeg_bytes(frame, quality)
            (folder / f"{i:04d}.jpg").write_bytes(data)
            total += len(data)
        kept.append(n)
    return {"clips": len(kept), "of_clips": len(clips), "frames": sum(kept), "mib": round(total / 2**20, 2),
            "folder": str(out)}


def spread_order(n: int) -> list[int]:
    """0..n-1 in an order that covers the range evenly early on (bit-reversal of the indices)."""
    bits = max(1, (n - 1).bit_length())
    keys = sorted(range(1 << bits), key=lambda i: int(f"{i:0{bits}b}"[::-1], 2))
    return [k for k in keys if k < n]


def train(recipe_path: str, data: Path, minutes: float, out: Path, run: Path, checkpoint: Path | None,
          overrides: list[str]) -> dict:
    """Trains the recipe on packed data for `minutes`, resuming `checkpoint` when given; fills `out`."""
    from genvid.train.loop import train as train_recipe

    if run.exists():
        shutil.rmtree(run)
    run.mkdir(parents=True)
    if checkpoint is not None and checkpoint.is_file():
        with tarfile.open(checkpoint) as tar:
            tar.extractall(run, filter="data")
    sets = [f"data.train=[{data}]", "data.val=null", "train.select=last", "data.video_downscale=1",
            "data.num_workers=4", *overrides]
    result = train_recipe(recipe_path, str(run), resume=(run / "checkpoints" / "last").exists(), overrides=sets,
                          max_minutes=minutes)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("last.safetensors", "last.json"):
        shutil.copy2(run / name, out / name)
    with tarfile.open(out / "checkpoint.tar", "w") as tar:
        tar.add(run / "checkpoints" / "last", arcname="checkpoints/last")
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="verb", required=True)
    pk = sub.add_parser("pack", help="write the recipe's training clips as JPEG frame folders within a budget")
    pk.add_argument("recipe")
    pk.add_argument("--out", default=".kit/data", help="a new folder (default .kit/data)")
    pk.add_argument("--budget-mb", type=float, default=40.0, help="MiB of JPEG in all (default 40)")
    pk.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
    pk.add_argument("--max-side", type=int, default=640, help="larger frames are centre-cropped (default 640)")
    tr = sub.add_parser("train", help="train for --minutes on packed data; weights and checkpoint to --out")
    tr.add_argument("recipe")
    tr.add_argument("--data", default=".kit/data", help="the packed data (default .kit/data)")
    tr.add_argument("--minutes", type=float, required=True, help="stop cleanly after this many minutes")
    tr.add_argument("--out", required=True, help="where the weights, card, checkpoint.tar and log go ($OUT)")
    tr.add_argument("--run", default="/tmp/genvid-kit-run", help="the run folder on the device")
    tr.add_argument("--checkpoint", default=".kit/checkpoint.tar", help="a checkpoint.tar to resume, if present")
    tr.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    a = p.parse_args(argv)
    from genvid.errors import GenvidError

    try:
        if a.verb == "pack":
            print(pack(a.recipe, Path(a.out), a.budget_mb, a.quality, a.max_side))
        else:
            print(train(a.recipe, Path(a.data), a.minutes, Path(a.out), Path(a.run), Path(a.checkpoint),
                        a.overrides))
    except GenvidError as e:
        fail(PROG, e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
