"""Quality of an x4 model against bicubic on the validation clips, in one run.

    .venv/bin/python benchmarks/quality.py [--model sr-x4] [--data ../shared/data/vimeo7/val] [--vmaf]
        [--degradation recipes/sr-x4-real.yaml --seed 0] [--json] [--write-card]

Default input: the BI protocol of ../shared/README.md (ground truth downscaled with PIL's antialiased
bicubic).  `--degradation RECIPE.yaml` uses that recipe's `data.degradation` instead (for example the
second-order real-world model), clip k degraded with the generator seeded by (--seed, k), so the model
and bicubic upscaling see the same inputs in every run.  Outputs are rounded to 8 bits; PSNR/SSIM on
BT.601 Y with `scale` border pixels cropped, averaged over frames then clips; tOF; VMAF with --vmaf.
`--write-card` stores the result in the model's JSON card (weights/<name>.json) under "validation"
(BI) or "validation_degraded" (with --degradation).
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
    p.add_argument("--vmaf", action="store_true", help="also VMAF (libvmaf) for the model and bicubic")
    p.add_argument("--degradation", help="a recipe YAML whose data.degradation makes the inputs (default: BI)")
    p.add_argument("--seed", type=int, default=0, help="seed of the degradation (with --degradation)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--write-card", action="store_true", help="write the scores into the model's card")
    a = p.parse_args()

    from genvid.data.degrade import build_degradation
    from genvid.errors import GenvidError
    from genvid.metrics.sr_protocol import evaluate_sr
    from genvid.models.registry import load_model
    from genvid.train.config import load_recipe

    try:
        path = check_model(a.model)
        if not Path(a.data).exists():
            raise GenvidError(f"validation data not found: {a.data}; pass --data")
        model = load_model(a.model, a.device)
        scale = int(model.card.get("scale", 4))
        spec = load_recipe(a.degradation)[0].data.degradation if a.degradation else None
        degradation = build_degradation(spec, scale) if spec else None
        scores = evaluate_sr(model, a.data, scale, a.device, with_vmaf=a.vmaf, degradation=degradation,
                             seed=a.seed)
    except GenvidError as e:
        fail(PROG, str(e))
    protocol = (f"{a.degradation} data.degradation, seed {a.seed}" if a.degradation
                else f"BI x{scale}: PIL bicubic down") + f", Y BT.601, {scale}-pixel border crop"
    command = f"python benchmarks/quality.py --model {a.model}" + (" --vmaf" if a.vmaf else "") + \
        (f" --degradation {a.degradation} --seed {a.seed}" if a.degradation else "")
    result = {"data": os.path.relpath(Path(a.data).resolve(), REPO), "protocol": protocol, "command": command,
              **scores}
    if a.write_card:
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text())
        card["validation_degraded" if a.degradation else "validation"] = result
        card_path.write_text(json.dumps(card, indent=2) + "\n")
    if a.json:
        print(json.dumps(result))
        return
    m, b = scores["model"], scores["bicubic"]
    print(f"{a.model} on {a.data} ({scores['clips']} clips; {protocol})")
    for label, r in (("model  ", m), ("bicubic", b)):
        extra = (f"  tOF {r['tof']:.3f}" if "tof" in r else "") + (f"  VMAF {r['vmaf']:.2f}" if "vmaf" in r else "")
        print(f"  {label}: PSNR-Y {r['psnr_y']:.2f} dB  SSIM-Y {r['ssim_y']:.4f}{extra}")
    print(f"  gain   : {m['psnr_y'] - b['psnr_y']:+.2f} dB PSNR-Y")


if __name__ == "__main__":
    main()
