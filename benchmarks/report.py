"""One report for every model genvid can find: quality, speed and memory, as markdown tables.

    python benchmarks/report.py [--data ../shared/data/vimeo7/val] [--anchor ../shared/anchors/realesr-animevideov3.pth]
                                [--models a,b] [--speed-size 160x90] [--speed-frames 30] [--rounds 2]
                                [--memory-size 64x36] [--lengths 30,300] [--skip quality,speed,memory]
                                [--lpips-backbone FILE | --no-lpips]
                                [--out benchmarks/RESULTS.md] [--readme README.md | --no-readme] [--json FILE]

Models: every card in the weights folders (`registry.list_models`: weights/ and $GENVID_WEIGHTS, so models
added later appear by themselves), plus the anchor checkpoint when it exists, plus bicubic for quality.
- Quality (super-resolution models): the BI protocol of `genvid/metrics/sr_protocol.py`, the one
  `benchmarks/quality.py` runs, with VMAF added: PSNR-Y, SSIM-Y, VMAF, tOF, LPIPS and tLP (AlexNet; the
  backbone file found as quality.py finds it, else a note), and the PSNR-Y gain over bicubic of the
  same scale and over the anchor.  Denoise and restore models: the protocols of
  `genvid/metrics/restore_protocol.py` (AWGN at sigma 10, 30, 50, blind; libx264 CRF 37), VMAF added,
  beside the scores of the noisy or compressed input.  Models of other tasks are listed with a note.
- Speed: `benchmarks/speed.py`'s measurement (model-only and end-to-end fps, best of --rounds) on the
  CPU, and on the GPU too when torch sees one.
- Memory: `benchmarks/memory.py`'s peak-RSS measurement of `genvid enhance` at each of --lengths.
Writes --out (markdown, the command and machine at the top) and replaces the part of README.md between
`<!-- benchmarks:begin -->` and `<!-- benchmarks:end -->` with the same tables.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, add_lpips_options, fail, lpips_options, make_clip, parse_size  # noqa: E402

PROG = "report.py"
BEGIN, END = "<!-- benchmarks:begin -->", "<!-- benchmarks:end -->"
SR = "super-resolution"
SIGMAS, CRF = (10, 30, 50), 37  # the denoising and restoration settings of the README's targets


def machine() -> str:
    """'<CPU model>, N cores' and the GPU's name or 'no GPU', from the machine itself."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {gpu}; torch {torch.__version__}, {torch.get_num_threads()} threads"


def entries(a) -> tuple[list[dict], list[str]]:
    """[{label, model (name or path), task, scale}] for every model to measure, and notes."""
    from genvid.models.registry import list_models

    wanted = set(a.models.split(",")) if a.models else None
    rows, notes = [], []
    for card in list_models():
        if card.get("task") == "synthesis" and (wanted is None or card["name"] in wanted):
            notes.append(f"{card['name']}: a synthesis model (makes clips with `genvid synth`), not measured here")
        elif wanted is None or card["name"] in wanted:
            rows.append({"label": card["name"], "model": card["name"], "task": card.get("task", "?"),
                         "scale": int(card.get("scale", 1))})
    anchor = Path(a.anchor)
    if a.anchor and anchor.is_file():
        rows.append({"label": f"{anchor.stem} (anchor)", "model": str(anchor.resolve()), "task": SR, "scale": 4,
                     "anchor": True})
    elif a.anchor:
        notes.append(f"anchor {a.anchor} not found: no anchor column")
    return rows, notes


def measure_quality(a, rows: list[dict], notes: list[str]) -> dict:
    """{label: scores}: each SR model and 'bicubic xS' on --data under the BI protocol, VMAF included;
    denoise and restore models under theirs, with their input's scores."""
    from genvid.metrics.restore_protocol import evaluate_denoise, evaluate_restore
    from genvid.metrics.sr_protocol import evaluate_sr
    from genvid.models.registry import load_model

    if not Path(a.data).exists():
        notes.append(f"quality skipped: validation data {a.data} not found (pass --data)")
        return {}
    out, opts = {}, lpips_options(a)

    def noted(scores: dict) -> dict:  # the protocol's notes (LPIPS left out, and why) join the report's, once
        notes.extend(n for n in scores.pop("notes", []) if n not in notes)
        return scores
    for r in rows:
        if r["task"] in ("denoise", "restore"):
            model = load_model(r["model"], "cpu")
            if r["task"] == "denoise":
                scores = evaluate_denoise(model, a.data, SIGMAS, "cpu", a.max_frames, with_vmaf=True, **opts)
            else:
                scores = evaluate_restore(model, a.data, CRF, device="cpu", max_frames=a.max_frames, with_vmaf=True,
                                          **opts)
            out[r["label"]] = {"task": r["task"], **noted(scores)}
            print(f"{PROG}: quality of {r['label']} done", file=sys.stderr)
            continue
        if r["task"] != SR:
            notes.append(f"{r['label']}: quality not measured, task '{r['task']}' (this report scores "
                         "super-resolution under the BI protocol; speed and memory are measured)")
            continue
        model = load_model(r["model"], "cpu")
        scores = noted(evaluate_sr(model, a.data, r["scale"], "cpu", a.max_frames, with_bicubic=False, with_vmaf=True,
                                   **opts))
        out[r["label"]] = {"scale": r["scale"], "anchor": r.get("anchor", False), **scores["model"]}
        print(f"{PROG}: quality of {r['label']} done", file=sys.stderr)
    for s in sorted({r["scale"] for r in rows if r["task"] == SR}):
        scores = noted(evaluate_sr(None, a.data, s, "cpu", a.max_frames, with_vmaf=True, **opts))["bicubic"]
        out[f"bicubic x{s}"] = {"scale": s, "bicubic": True, **scores}
    return out


def measure_speed(a, rows: list[dict], devices: list[str]) -> dict:
    """{label: {device: speed.py's result}}."""
    from speed import measure

    out = {}
    for r in rows:
        for dev in devices:
            ns = SimpleNamespace(model=r["model"], device=dev, size=a.speed_size, precision="auto",
                                 frames=a.speed_frames, rounds=a.rounds)
            out.setdefault(r["label"], {})[dev] = measure(ns)
            print(f"{PROG}: speed of {r['label']} on {dev} done", file=sys.stderr)
    return out


def measure_memory(a, rows: list[dict]) -> dict:
    """{label: {frames: peak RSS MiB}}, one `genvid enhance` per length under memory.py's wrapper."""
    from memory import peak_rss

    out = {}
    with tempfile.TemporaryDirectory(prefix="genvid-report-") as tmp:
        tmp = Path(tmp)
        clips = {n: make_clip(tmp / f"in-{n}.mp4", *a.memory_size, n) for n in a.lengths}
        for r in rows:
            ns = SimpleNamespace(model=r["model"], device="cpu")
            for n in a.lengths:
                rss = peak_rss(clips[n], tmp / "out.mp4", ns)
                out.setdefault(r["label"], {})[n] = round(rss["maxrss_kib"] / 1024, 1)
                (tmp / "out.mp4").unlink(missing_ok=True)
            print(f"{PROG}: memory of {r['label']} done", file=sys.stderr)
    return out


def _f(v, digits: int) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _signed(v) -> str:
    return "-" if v is None else f"{v:+.2f}"


def restoration_tables(a, quality: dict) -> list[str]:
    """Markdown lines for the denoise and restore models (empty when there are none)."""
    lines = []
    denoise = {k: q for k, q in quality.items() if q.get("task") == "denoise"}
    restore = {k: q for k, q in quality.items() if q.get("task") == "restore"}
    if denoise:
        lines += [(f"Denoising on `{a.data_label}` (AWGN of each sigma on 8-bit RGB, clipped, rounded, fixed seed; "
                   f"blind; PSNR/SSIM on RGB and BT.601 Y, no crop, VMAF on whole frames; first {a.max_frames} "
                   "frames per clip), beside the noisy input:"), "",
                  "| model | sigma | PSNR-RGB (dB) | PSNR-Y (dB) | SSIM-Y | VMAF | tOF | LPIPS | tLP | noisy PSNR-RGB "
                  "| noisy PSNR-Y | noisy tOF | noisy LPIPS | noisy tLP |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for label, q in denoise.items():
            for sigma, r in q["by_sigma"].items():
                m, i = r["model"], r["input"]
                lines.append(f"| {label} | {sigma} | {_f(m['psnr_rgb'], 2)} | {_f(m['psnr_y'], 2)} | "
                             f"{_f(m['ssim_y'], 4)} | {_f(m.get('vmaf'), 2)} | {_f(m.get('tof'), 3)} | "
                             f"{_f(m.get('lpips'), 4)} | {_f(m.get('tlp'), 4)} | "
                             f"{_f(i['psnr_rgb'], 2)} | {_f(i['psnr_y'], 2)} | {_f(i.get('tof'), 3)} | "
                             f"{_f(i.get('lpips'), 4)} | {_f(i.get('tlp'), 4)} |")
        lines.append("")
    if restore:
        lines += [(f"Restoration on `{a.data_label}` (libx264 CRF {CRF}, preset medium, yuv420p; PSNR/SSIM on BT.601 "
                   f"Y, no crop, VMAF on whole frames; first {a.max_frames} frames per clip), beside the compressed "
                   "input:"), "",
                  "| model | PSNR-Y (dB) | SSIM-Y | VMAF | tOF | LPIPS | tLP | input PSNR-Y | input VMAF | input tOF "
                  "| input LPIPS | input tLP | PSNR-Y gain |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for label, q in restore.items():
            m, i = q["model"], q["input"]
            lines.append(f"| {label} | {_f(m['psnr_y'], 2)} | {_f(m['ssim_y'], 4)} | {_f(m.get('vmaf'), 2)} | "
                         f"{_f(m.get('tof'), 3)} | {_f(m.get('lpips'), 4)} | {_f(m.get('tlp'), 4)} | "
                         f"{_f(i['psnr_y'], 2)} | {_f(i.get('vmaf'), 2)} | {_f(i.get('tof'), 3)} | "
                         f"{_f(i.get('lpips'), 4)} | {_f(i.get('tlp'), 4)} | {_signed(m['psnr_y'] - i['psnr_y'])} |")
        lines.append("")
    return lines


def tables(a, rows: list[dict], quality: dict, speed: dict, memory: dict, notes: list[str]) -> str:
    lines, restoration = [], restoration_tables(a, quality)
    quality = {k: q for k, q in quality.items() if q.get("task", SR) == SR}
    if quality:
        anchor = next((q for q in quality.values() if q.get("anchor")), None)
        lines += [(f"Quality on `{a.data_label}` (BI protocol: PIL bicubic down, PSNR/SSIM on BT.601 Y with a "
                   f"`scale`-pixel border crop, VMAF, LPIPS and tLP (AlexNet) on whole RGB frames, frames then "
                   f"clips averaged; first {a.max_frames} frames per clip):"), "",
                  "| model | scale | PSNR-Y (dB) | SSIM-Y | VMAF | tOF | LPIPS | tLP | PSNR-Y vs bicubic "
                  "| PSNR-Y vs anchor |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for label, q in quality.items():
            base = quality.get(f"bicubic x{q['scale']}")
            gain = None if q.get("bicubic") or base is None else q["psnr_y"] - base["psnr_y"]
            vs_anchor = None if anchor is None or q is anchor or q["scale"] != anchor["scale"] \
                else q["psnr_y"] - anchor["psnr_y"]
            lines.append(f"| {label} | x{q['scale']} | {_f(q['psnr_y'], 2)} | {_f(q['ssim_y'], 4)} | "
                         f"{_f(q.get('vmaf'), 2)} | {_f(q.get('tof'), 3)} | {_f(q.get('lpips'), 4)} | "
                         f"{_f(q.get('tlp'), 4)} | {_signed(gain)} | {_signed(vs_anchor)} |")
        lines.append("")
    lines += restoration
    if speed:
        w, h = a.speed_size
        lines += [(f"Speed ({w}x{h} input, {a.speed_frames}-frame testsrc2 clip, best of {a.rounds}; "
                   "precision auto: fp32 on CPU, fp16 on GPU):"), "",
                  "| model | device | model-only fps | end-to-end fps | ratio | GFLOPs / frame | GFLOP/s "
                  "| of matmul peak |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for label, by_dev in speed.items():
            for s in by_dev.values():
                lines.append(f"| {label} | {s['device']} | {s['model_only_fps']:.2f} | {s['end_to_end_fps']:.2f} | "
                             f"{s['ratio']:.3f} | {s['gflops_per_frame']:.2f} | {s['model_only_gflops_per_s']:.1f} | "
                             f"{s['flops_ratio']:.2f} of {s['matmul_gflops_per_s']:.1f} |")
        lines.append("")
    if memory:
        w, h = a.memory_size
        heads = " | ".join(f"{n} frames" for n in a.lengths)
        lines += [f"Peak RSS of `genvid enhance` (MiB, CPU, {w}x{h} input) against length:", "",
                  f"| model | {heads} | ratio longest/shortest |",
                  "| --- | " + " | ".join("---" for _ in a.lengths) + " | --- |"]
        for label, by_n in memory.items():
            cells = " | ".join(f"{by_n[n]:.1f}" for n in a.lengths)
            lines.append(f"| {label} | {cells} | {by_n[a.lengths[-1]] / by_n[a.lengths[0]]:.3f} |")
        lines.append("")
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(readme: Path, body: str, header: str) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{PROG}: error: {readme} has no {BEGIN} ... {END} markers; add them where the tables go")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    readme.write_text(f"{head}{BEGIN}\n{header}\n\n{body}{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "vimeo7" / "val"))
    p.add_argument("--anchor", default=str(REPO.parent / "shared" / "anchors" / "realesr-animevideov3.pth"),
                   help="a third-party checkpoint to compare against ('' for none)")
    p.add_argument("--models", help="only these model names, comma-separated (default: all found)")
    p.add_argument("--max-frames", type=int, default=7, help="frames per validation clip (default 7)")
    p.add_argument("--speed-size", default="160x90", help="speed input size WxH (default 160x90)")
    p.add_argument("--speed-frames", type=int, default=30, help="frames in the speed clip (default 30)")
    p.add_argument("--rounds", type=int, default=2, help="timed rounds per speed path, best kept (default 2)")
    p.add_argument("--memory-size", default="64x36", help="memory input size WxH (default 64x36)")
    p.add_argument("--lengths", default="30,300", help="clip lengths for memory, comma-separated (default 30,300)")
    p.add_argument("--skip", default="", help="parts to leave out: quality, speed, memory (comma-separated)")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "RESULTS.md"))
    p.add_argument("--readme", default=str(REPO / "README.md"))
    p.add_argument("--no-readme", action="store_true", help="do not touch the README")
    p.add_argument("--json", metavar="FILE", help="also write every measurement as JSON")
    add_lpips_options(p)
    a = p.parse_args(argv)
    try:
        a.speed_size, a.memory_size = parse_size(a.speed_size), parse_size(a.memory_size)
        a.lengths = sorted({int(n) for n in a.lengths.split(",")})
    except ValueError as e:
        p.error(str(e))
    skip = {s for s in a.skip.split(",") if s}
    if skip - {"quality", "speed", "memory"} or a.speed_frames < 1 or a.rounds < 1 or a.lengths[0] < 1:
        p.error("--skip takes quality, speed, memory; --speed-frames, --rounds and --lengths must be positive")
    data = Path(a.data).resolve()
    a.data_label = os.path.relpath(data, REPO) if data.is_relative_to(REPO.parent) else str(data)

    import torch

    from genvid.errors import GenvidError

    started, load_start = time.time(), os.getloadavg()[0]
    rows, notes = entries(a)
    if not rows:
        fail(PROG, "no models found: put <name>.safetensors + <name>.json in weights/ or on $GENVID_WEIGHTS")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    try:
        quality = {} if "quality" in skip else measure_quality(a, rows, notes)
        speed = {} if "speed" in skip else measure_speed(a, rows, devices)
        memory = {} if "memory" in skip else measure_memory(a, rows)
    except GenvidError as e:
        fail(PROG, e)
    command = "python benchmarks/report.py " + " ".join(argv if argv is not None else sys.argv[1:])
    header = (f"Measured by `{command.strip()}` on {machine()}, in {(time.time() - started) / 60:.1f} minutes; "
              f"1-minute load average {load_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end "
              "(other work on the machine lowers the speed figures; the quality figures do not depend on it).")
    body = tables(a, rows, quality, speed, memory, notes)
    Path(a.out).write_text(f"# Benchmark results\n\n{header}\n\n{body}")
    if not a.no_readme:
        update_readme(Path(a.readme), body, header)
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": machine(), "command": command.strip(), "quality": quality,
                                            "speed": speed, "memory": memory, "notes": notes}, indent=2) + "\n")
    print(f"wrote {a.out}" + ("" if a.no_readme else f" and the tables in {a.readme}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
