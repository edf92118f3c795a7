"""Quality of a model on the validation clips under its task's protocol, against its baseline, in one run.

    .venv/bin/python benchmarks/quality.py [--model sr-x4] [--data ../shared/data/vimeo7/val ...] [--vmaf]
        [--degradation recipes/sr-x4-real.yaml --seed 0] [--lpips-backbone FILE | --no-lpips] [--json] [--write-card]
    .venv/bin/python benchmarks/quality.py --model denoise [--data DIR ...] [--sigmas 10,30,50] [--given-sigma]
    .venv/bin/python benchmarks/quality.py --model restore [--data DIR ...] [--crf 37] [--pair BAD GOOD]

Super-resolution models:

Default input: the BI protocol of ../shared/README.md (ground truth downscaled with PIL's antialiased
bicubic).  `--degradation RECIPE.yaml` uses that recipe's `data.degradation` instead (for example the
second-order real-world model), clip k degraded with the generator seeded by (--seed, k), so the model
and bicubic upscaling see the same inputs in every run.  Outputs are rounded to 8 bits; PSNR/SSIM on
BT.601 Y with `scale` border pixels cropped, averaged over frames then clips; tOF; LPIPS and tLP; VMAF
with --vmaf.  Every --data folder (default vimeo7/val) is scored; the first is the headline.
`--write-card` stores the result in the model's JSON card (weights/<name>.json) under "validation"
(BI) or "validation_degraded" (with --degradation), merged into what is there: keys the run does not
produce (notes, targets) stay, every score it measured is replaced.

LPIPS (AlexNet, v0.1 heads of the `lpips` package) and tLP (TecoGAN's temporal LPIPS), for the model and
its baseline, whole frames: the backbone file is --lpips-backbone, else $GENVID_LPIPS_BACKBONE, else
../shared/weights/lpips/alexnet-features.pth when it exists, else torch hub's checkpoints folder (as
`genvid eval`).  Where none is found they are left out and a note says why; --no-lpips leaves them out.

Denoise and restore models (card task `denoise` / `restore`): `genvid/metrics/restore_protocol.py` on
each --data folder (default: vimeo7/val and davis), the degraded input scored beside the model.
Denoise: AWGN at each of --sigmas (8-bit RGB, clipped, rounded, fixed seed), blind unless --given-sigma;
PSNR/SSIM on RGB and Y, tOF (VMAF with --vmaf).  Restore: libx264 yuv420p at --crf (37), PSNR-Y, VMAF,
tOF, and the --pair (default carphone_distorted.mp4 against carphone_pristine.mp4) before and after.
`--write-card` stores it under "validation": the first --data folder at sigma 30 (or the first sigma) /
the CRF as "model" and "input", every folder under "datasets", the pair under "pair".
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, add_lpips_options, check_model, fail, lpips_options, write_card_entry  # noqa: E402

PROG = "quality.py"
SHARED = REPO.parent / "shared" / "data"


def _label(path) -> str:
    """A path as the cards give it: relative to the repository when beside it (../shared/...), else absolute."""
    path = Path(path).resolve()
    return os.path.relpath(path, REPO) if path.is_relative_to(REPO.parent) else str(path)


def lpips_setting(a) -> tuple[dict, dict]:
    """(the protocols' LPIPS arguments, what the result records: the backbone file used, if any)."""
    from genvid.losses.perceptual import find_backbone, lpips_available

    opts = lpips_options(a)
    if opts["lpips_net"] and lpips_available(opts["lpips_net"], opts["lpips_backbone"]) is None:
        return opts, {"lpips_backbone": _label(find_backbone(opts["lpips_net"], opts["lpips_backbone"]))}
    return opts, {}


def lpips_flags(a) -> str:
    """The LPIPS options of this run as they go into the recorded command."""
    return (" --no-lpips" if a.no_lpips else "") + (f" --lpips-backbone {a.lpips_backbone}" if a.lpips_backbone else "")


def collect_notes(*results) -> list[str]:
    """The protocols' notes, each once (taken out of the results), also printed on stderr."""
    notes = list(dict.fromkeys(n for r in results if r for n in r.pop("notes", [])))
    for n in notes:
        print(f"{PROG}: note: {n}", file=sys.stderr)
    return notes


def extras(r: dict) -> str:
    """The optional scores of one row, as text."""
    return "".join(f"  {name} {r[k]:.{d}f}" for k, name, d in
                   (("vmaf", "VMAF", 2), ("tof", "tOF", 3), ("lpips", "LPIPS", 4), ("tlp", "tLP", 4)) if k in r)


def restoration(a, task: str) -> None:
    """The denoise or restore protocol on every --data folder (and the pair for restore); prints, writes the card."""
    from genvid.errors import GenvidError
    from genvid.metrics.restore_protocol import evaluate_denoise, evaluate_pair, evaluate_restore
    from genvid.models.registry import load_model

    folders = a.data or [str(SHARED / "vimeo7" / "val"), str(SHARED / "davis")]
    pair = a.pair or [str(SHARED / "clips" / "carphone_distorted.mp4"), str(SHARED / "clips" / "carphone_pristine.mp4")]
    try:
        path = check_model(a.model)
        sigmas = [float(s) for s in a.sigmas.split(",")]
        for folder in folders + (pair if task == "restore" else []):
            if not Path(folder).exists():
                raise GenvidError(f"validation data not found: {folder}; pass --data (or --pair)")
        model = load_model(a.model, a.device)
        opts, used = lpips_setting(a)
        datasets = {}
        for folder in folders:
            if task == "denoise":
                r = evaluate_denoise(model, folder, sigmas, a.device, a.max_frames, given_sigma=a.given_sigma,
                                     with_vmaf=a.vmaf, **opts)
            else:
                r = evaluate_restore(model, folder, a.crf, device=a.device, max_frames=a.max_frames, with_vmaf=True,
                                     **opts)
            datasets[_label(folder)] = r
            print(f"{PROG}: {folder} done", file=sys.stderr)
        scored_pair = evaluate_pair(model, *pair, device=a.device, **opts) if task == "restore" else None
    except (GenvidError, ValueError) as e:
        fail(PROG, str(e))
    notes = collect_notes(*datasets.values(), scored_pair)
    command = f"python benchmarks/quality.py --model {a.model}" + "".join(f" --data {d}" for d in a.data or []) + \
        ((f" --sigmas {a.sigmas}" + (" --given-sigma" if a.given_sigma else "") + (" --vmaf" if a.vmaf else ""))
         if task == "denoise" else f" --crf {a.crf}" + (f" --pair {' '.join(a.pair)}" if a.pair else "")) + \
        (f" --max-frames {a.max_frames}" if a.max_frames != 100 else "") + lpips_flags(a)
    first = next(iter(datasets.values()))
    result = {"data": next(iter(datasets)), "protocol": first["protocol"], "command": command, **used,
              "clips": first["clips"], "model": first["model"], "input": first["input"], "datasets": datasets,
              "notes": notes}
    if scored_pair:
        scored_pair.update(distorted=_label(pair[0]), pristine=_label(pair[1]))
        result["pair"] = scored_pair
    if a.write_card:
        write_card_entry(path.with_suffix(".json"), "validation", result)
    if a.json:
        print(json.dumps(result))
        return

    def line(label: str, r: dict) -> str:
        return (f"    {label}: PSNR-RGB {r['psnr_rgb']:.2f} dB  PSNR-Y {r['psnr_y']:.2f} dB  "
                f"SSIM-Y {r['ssim_y']:.4f}{extras(r)}")
    print(f"{a.model} ({task})")
    for folder, r in datasets.items():
        print(f"  {folder} ({r['clips']} clips; {r['protocol']})")
        for setting, rows in (r["by_sigma"].items() if task == "denoise" else [(f"CRF {a.crf}", r)]):
            print(f"   {'sigma ' + setting if task == 'denoise' else setting}:")
            print(line("model", rows["model"]) + f"\n{line('input', rows['input'])}")
            print(f"    gain : {rows['model']['psnr_rgb'] - rows['input']['psnr_rgb']:+.2f} dB RGB, "
                  f"{rows['model']['psnr_y'] - rows['input']['psnr_y']:+.2f} dB Y")
    if scored_pair:
        print(f"  {scored_pair['distorted']} against {scored_pair['pristine']} ({scored_pair['frames']} frames):")
        print(line("model", scored_pair["model"]) + f"\n{line('input', scored_pair['input'])}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--model", default="sr-x4")
    p.add_argument("--data", action="append",
                   help="validation folder (repeatable; default vimeo7/val, and davis for denoise/restore)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--vmaf", action="store_true", help="also VMAF (libvmaf) for the model and bicubic")
    p.add_argument("--degradation", help="a recipe YAML whose data.degradation makes the inputs (default: BI)")
    p.add_argument("--seed", type=int, default=0, help="seed of the degradation (with --degradation)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--write-card", action="store_true", help="write the scores into the model's card")
    p.add_argument("--sigmas", default="10,30,50", help="denoise: noise levels, comma-separated (default 10,30,50)")
    p.add_argument("--given-sigma", action="store_true", help="denoise: tell the model sigma (default blind)")
    p.add_argument("--crf", type=int, default=37, help="restore: libx264 CRF (default 37)")
    p.add_argument("--pair", nargs=2, metavar=("DISTORTED", "PRISTINE"), help="restore: a video pair scored "
                   "before and after (default ../shared/data/clips/carphone_distorted.mp4 carphone_pristine.mp4)")
    p.add_argument("--max-frames", type=int, default=100, help="frames per clip (default 100)")
    add_lpips_options(p)
    a = p.parse_args(argv)

    from genvid.data.degrade import build_degradation
    from genvid.errors import GenvidError
    from genvid.metrics.sr_protocol import evaluate_sr
    from genvid.models.registry import load_model, read_card
    from genvid.train.config import load_recipe

    try:
        path = check_model(a.model)
        card = read_card(path.with_suffix(".json")) if path.suffix == ".safetensors" else {}
    except GenvidError as e:
        fail(PROG, str(e))
    if card.get("task") in ("denoise", "restore"):
        return restoration(a, card["task"])
    folders = a.data or [str(SHARED / "vimeo7" / "val")]
    try:
        for folder in folders:
            if not Path(folder).exists():
                raise GenvidError(f"validation data not found: {folder}; pass --data")
        model = load_model(a.model, a.device)
        scale = int(model.card.get("scale", 4))
        spec = load_recipe(a.degradation)[0].data.degradation if a.degradation else None
        degradation = build_degradation(spec, scale) if spec else None
        opts, used = lpips_setting(a)
        datasets = {}
        for folder in folders:
            datasets[_label(folder)] = evaluate_sr(model, folder, scale, a.device, a.max_frames, with_vmaf=a.vmaf,
                                                   degradation=degradation, seed=a.seed, **opts)
            print(f"{PROG}: {folder} done", file=sys.stderr)
    except GenvidError as e:
        fail(PROG, str(e))
    notes = collect_notes(*datasets.values())
    protocol = (f"{a.degradation} data.degradation, seed {a.seed}" if a.degradation
                else f"BI x{scale}: PIL bicubic down") + f", Y BT.601, {scale}-pixel border crop" + \
        (", LPIPS (alex) and tLP on whole frames" if used else "")
    command = f"python benchmarks/quality.py --model {a.model}" + "".join(f" --data {d}" for d in a.data or []) + \
        (" --vmaf" if a.vmaf else "") + (f" --degradation {a.degradation} --seed {a.seed}" if a.degradation else "") + \
        (f" --max-frames {a.max_frames}" if a.max_frames != 100 else "") + lpips_flags(a)
    first = next(iter(datasets.values()))
    result = {"data": next(iter(datasets)), "protocol": protocol, "command": command, **used, **first,
              "datasets": datasets, "notes": notes}
    if a.write_card:
        write_card_entry(path.with_suffix(".json"), "validation_degraded" if a.degradation else "validation", result)
    if a.json:
        print(json.dumps(result))
        return
    for folder, scores in datasets.items():
        m, b = scores["model"], scores["bicubic"]
        print(f"{a.model} on {folder} ({scores['clips']} clips; {protocol})")
        for label, r in (("model  ", m), ("bicubic", b)):
            print(f"  {label}: PSNR-Y {r['psnr_y']:.2f} dB  SSIM-Y {r['ssim_y']:.4f}{extras(r)}")
        print(f"  gain   : {m['psnr_y'] - b['psnr_y']:+.2f} dB PSNR-Y")


if __name__ == "__main__":
    main()
