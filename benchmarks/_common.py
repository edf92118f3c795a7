"""Helpers shared by the benchmark scripts: size parsing, test clips, the model check, one-line failures."""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO))


def fail(prog: str, message: str, code: int = 2) -> None:
    """Prints `prog: error: message` as one line on stderr and exits non-zero."""
    print(f"{prog}: error: {' '.join(str(message).split())}", file=sys.stderr)
    raise SystemExit(code)


def figure(value: float, digits: int = 6) -> float:
    """`value` to `digits` significant digits: a figure derived from others (a ratio of two rates, say)
    then agrees with them to about 1e-6 whatever their size, which fixed decimals do not (0.2 / 300
    rounded to 4 decimals is 5% off)."""
    return float(f"{value:.{digits}g}")


def parse_size(text: str) -> tuple[int, int]:
    """'WxH' -> (W, H); both positive and even (libx264 with yuv420p needs even sizes)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 320x180, got '{text}'") from None
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise ValueError(f"size must be positive and even in both directions, got '{text}'")
    return w, h


def check_model(name: str) -> Path:
    """The weights path of `name`, or a GenvidError saying it is missing and where it was looked for."""
    from genvid.errors import GenvidError
    from genvid.models.registry import resolve, weights_dirs

    try:
        return resolve(name)[0]
    except GenvidError as e:
        where = ", ".join(str(d) for d in weights_dirs())
        raise GenvidError(f"model '{name}' is not available ({e}); looked in: {where}; "
                          "put <name>.safetensors and <name>.json in weights/ or a folder on $GENVID_WEIGHTS") from None


def make_clip(path: Path, width: int, height: int, frames: int, rate: int = 30) -> Path:
    """A moving, textured testsrc2 clip of exactly `frames` frames, libx264 yuv420p, with the bundled ffmpeg."""
    from genvid.io.testclip import make_test_clip

    return make_test_clip(path, size=f"{width}x{height}", rate=str(rate), frames=frames)


def add_common_options(p, default_size: str) -> None:
    """--model, --device, --size, --json: the options every benchmark takes."""
    p.add_argument("--model", default="sr-x4", help="model name or .safetensors path (default sr-x4)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    p.add_argument("--size", default=default_size, help=f"input size WxH, even (default {default_size})")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run_benchmark(prog: str, p, a, measure, report) -> int:
    """Checks --size, runs measure(a), prints report or JSON; user errors become one line and exit 2."""
    import json

    from genvid.errors import GenvidError

    try:
        a.size = parse_size(a.size)
    except ValueError as e:
        p.error(str(e))
    try:
        result = measure(a)
    except GenvidError as e:
        fail(prog, e)
    except RuntimeError as e:  # e.g. CUDA out of memory
        fail(prog, str(e).splitlines()[0] if str(e) else type(e).__name__, 1)
    print(json.dumps(result) if a.json else report(result))
    return 0


SHARED_LPIPS = REPO.parent / "shared" / "weights" / "lpips" / "alexnet-features.pth"


def add_lpips_options(p) -> None:
    """--lpips-backbone FILE and --no-lpips: LPIPS (alex) and tLP beside the other scores."""
    p.add_argument("--lpips-backbone", metavar="FILE",
                   help="torchvision AlexNet ImageNet weights for LPIPS and tLP (default: $GENVID_LPIPS_BACKBONE, else "
                        "../shared/weights/lpips/alexnet-features.pth when it exists, else torch hub's checkpoints "
                        "folder); never downloaded")
    p.add_argument("--no-lpips", action="store_true", help="leave LPIPS and tLP out")


def lpips_options(a) -> dict:
    """The protocols' lpips_net and lpips_backbone for these options: the explicit file, else the shared file
    when $GENVID_LPIPS_BACKBONE is unset and it exists, else None (genvid's own lookup: the variable, then
    torch hub's folder).  Where none is found the protocols leave LPIPS out and say why in "notes"."""
    from genvid.losses.perceptual import ENV_VAR

    if a.no_lpips:
        return {"lpips_net": None, "lpips_backbone": None}
    backbone = a.lpips_backbone
    if backbone is None and not os.environ.get(ENV_VAR) and SHARED_LPIPS.is_file():
        backbone = str(SHARED_LPIPS)
    return {"lpips_net": "alex", "lpips_backbone": backbone}


def merge_into(old, new):
    """`new` written over `old`, dictionaries that hold dictionaries merged key by key: a card keeps what the
    run does not produce (notes, targets, other datasets) and gets what it measured; a dictionary of scores
    (numbers only) is replaced whole, so no score of an earlier run stays beside this run's."""
    if isinstance(old, dict) and isinstance(new, dict) and any(isinstance(v, dict) for v in new.values()):
        return {**old, **{k: merge_into(old.get(k), v) for k, v in new.items()}}
    return new


def write_card_entry(card_path: Path, key: str, result: dict) -> None:
    """`result` merged into the card's `key` (see `merge_into`), the card rewritten."""
    import json

    card = json.loads(card_path.read_text())
    card[key] = merge_into(card.get(key), result)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
