"""Quality of an x4 model under the BI protocol of ../shared/README.md, against bicubic, in one run.

    .venv/bin/python benchmarks/quality.py [--model sr-x4] [--data ../shared/data/vimeo7/val] [--json] [--write-card]

Ground truth downscaled with PIL's antialiased bicubic, upscaled by the model over whole clips, rounded
to 8 bits; PSNR/SSIM on BT.601 Y with 4 border pixels cropped, averaged over frames then clips.
`--write-card` stores the result under "validation" in the model's JSON card (weights/<name>.json).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, check_model, fail  # noqa: E402

PROG = "quality.py"


def main() -> None:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--model", default="sr-x4")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "vimeo7" / "val"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true")
    p.add_argument("--write-card", action="store_true", help="write the scores into the model's card")
    a = p.parse_args()

    from genvid.errors import GenvidError
    from genvid.metrics.sr_protocol import evaluate_sr
    from genvid.models.registry import load_model

    try:
        path = check_model(a.model)
        if not Path(a.data).exists():
            raise GenvidError(f"validation data not found: {a.data}; pass --data")
        model = load_model(a.model, a.device)
        scale = int(model.card.get("scale", 4))
        scores = evaluate_sr(model, a.data, scale, a.device)
    except GenvidError as e:
        fail(PROG, str(e))
    result = {"data": os.path.relpath(Path(a.data).resolve(), REPO),
              "protocol": f"BI x{scale}: PIL bicubic down, Y BT.601, {scale}-pixel border crop",
              "command": f"python benchmarks/quality.py --model {a.model}", **scores}
    if a.write_card:
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text())
        card["validation"] = result
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    if a.json:
        print(json.dumps(result))
        return
    m, b = scores["model"], scores["bicubic"]
    print(f"{a.model} on {a.data} ({scores['clips']} clips)")
    for label, r in (("model  ", m), ("bicubic", b)):
        t = f"  tOF {r['tof']:.3f}" if "tof" in r else ""
        print(f"  {label}: PSNR-Y {r['psnr_y']:.2f} dB  SSIM-Y {r['ssim_y']:.4f}{t}")
    print(f"  gain   : {m['psnr_y'] - b['psnr_y']:+.2f} dB PSNR-Y (target >= +1.5)")


if __name__ == "__main__":
    main()
