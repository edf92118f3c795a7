"""Smoke tests of benchmarks/speed.py and benchmarks/memory.py on a tiny random model (plumbing, not speed)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_size():
    common = load("_common")
    assert common.parse_size("320x180") == (320, 180)
    for bad in ("320", "33x18", "0x18", "axb"):
        with pytest.raises(ValueError):
            common.parse_size(bad)


@pytest.mark.parametrize("script", ["speed", "memory"])
def test_missing_model_exits_nonzero_with_one_line(script, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GENVID_WEIGHTS", str(tmp_path))
    with pytest.raises(SystemExit) as e:
        load(script).main(["--model", "no-such-model"])
    assert e.value.code != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no-such-model" in err


@pytest.mark.parametrize("machine", [pytest.param("as it is", marks=pytest.mark.slow), "loaded"])  # fast tier: "loaded"
def test_speed_json(tiny_model_dir, capsys, machine):
    """The JSON's figures agree with each other to 1e-4 however slow the machine (figures are given to 6
    significant digits, so a ratio of 0.1 to 300 frames/s is not rounded away).  "loaded": each end-to-end
    run is said to take 40 s more, as on a busy machine, without the wait."""
    speed = load("speed")
    if machine == "loaded":
        real = speed.end_to_end_seconds
        speed.end_to_end_seconds = lambda *args: real(*args) + 40.0
    assert speed.main(["--model", "tiny-x4", "--size", "32x18", "--frames", "4", "--rounds", "2", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["frames"], r["rounds"], r["size"], r["target"], r["peak_gpu_mib"]) == (4, 2, "32x18", 0.95, None)
    assert len(r["model_only_seconds"]) == len(r["end_to_end_seconds"]) == len(r["matmul_gflops_per_s_rounds"]) == 2
    close = {"rel": 1e-4}
    assert r["model_only_fps"] == pytest.approx(4 / min(r["model_only_seconds"]), **close)
    assert r["end_to_end_fps"] == pytest.approx(4 / min(r["end_to_end_seconds"]), **close)
    assert r["ratio"] == pytest.approx(r["end_to_end_fps"] / r["model_only_fps"], **close)
    assert r["meets_target"] == (r["ratio"] >= r["target"])
    assert r["gflops_per_frame"] > 0 and r["matmul_gflops_per_s"] == max(r["matmul_gflops_per_s_rounds"]) > 0
    assert r["model_only_gflops_per_s"] == pytest.approx(r["gflops_per_frame"] * r["model_only_fps"], **close)
    assert r["end_to_end_gflops_per_s"] == pytest.approx(r["gflops_per_frame"] * r["end_to_end_fps"], **close)
    assert r["flops_ratio"] == pytest.approx(r["model_only_gflops_per_s"] / r["matmul_gflops_per_s"], **close)
    assert r["meets_flops_target"] == (r["flops_ratio"] >= r["flops_target"])
    assert r["peak_rss_mib"] > 100  # this process, with torch loaded


@pytest.mark.slow  # one of the slowest tests of the suite (see the README, Tests)
def test_memory_json(tiny_model_dir, capsys):
    """Each length's peak is that of its own `genvid enhance` process (torch loaded: far above the ~10 MiB
    wrapper that measures it), the ratio is theirs, and a longer clip needs no more memory: streaming holds
    a few frames whatever the length.  Memory does not depend on how busy the machine is."""
    assert load("memory").main(["--model", "tiny-x4", "--size", "32x18", "--short", "3", "--long", "6", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["short_frames"], r["long_frames"], r["size"], r["target"]) == (3, 6, "32x18", 1.1)
    assert r["short_peak_rss_mib"] > 100 and r["long_peak_rss_mib"] > 100
    assert r["ratio"] == pytest.approx(r["long_peak_rss_mib"] / r["short_peak_rss_mib"], rel=1e-4)
    assert r["meets_target"] == (r["ratio"] <= r["target"]) and r["meets_target"]
    assert r["short_seconds"] > 0 and r["long_seconds"] > 0


@pytest.mark.slow  # one of the slowest tests of the suite (see the README, Tests)
def test_report_tables_json_and_readme(tiny_denoise_dir, tmp_path, clip_maker, capsys):
    """Every model found is measured, a denoiser under its protocol; other tasks get a note; the README part
    between the markers is replaced."""
    from genvid.models.sr_window import SlidingWindowSR
    from genvid.models.registry import export_model

    args = {"channels": 8, "blocks": 1, "radius": 0, "scale": 1, "encoder_blocks": 1}
    export_model(SlidingWindowSR(**args), tiny_denoise_dir / "tiny-other.safetensors",
                 {"name": "tiny-other", "task": "colourise", "scale": 1, "arch": "SlidingWindowSR", "args": args})
    val = tmp_path / "val"
    val.mkdir()
    for i in range(2):
        clip_maker(f"val/c{i}.mkv", size="64x48", frames=2, codec="ffv1", pix_fmt="yuv444p")
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- benchmarks:begin -->\nold table\n<!-- benchmarks:end -->\nrest\n")
    out, js = tmp_path / "RESULTS.md", tmp_path / "r.json"
    assert load("report").main(["--data", str(val), "--anchor", "", "--models", "tiny-x4,tiny-dn,tiny-other",
                                "--speed-size", "32x18", "--speed-frames", "2",
                                "--rounds", "1", "--memory-size", "32x18", "--lengths", "2,4", "--out", str(out),
                                "--readme", str(readme), "--json", str(js)]) == 0
    r = json.loads(js.read_text())
    assert set(r["quality"]) == {"tiny-x4", "bicubic x4", "tiny-dn"}
    assert set(r["quality"]["tiny-x4"]) >= {"psnr_y", "ssim_y", "vmaf", "tof"}
    assert set(r["quality"]["tiny-dn"]["by_sigma"]) == {"10", "30", "50"}
    assert set(r["quality"]["tiny-dn"]["input"]) >= {"psnr_rgb", "psnr_y", "vmaf"}
    assert set(r["speed"]) == set(r["memory"]) == {"tiny-x4", "tiny-dn", "tiny-other"}
    assert set(r["memory"]["tiny-x4"]) == {"2", "4"}
    assert r["speed"]["tiny-x4"]["cpu"]["frames"] == 2
    assert any("tiny-other" in n and "task 'colourise'" in n for n in r["notes"])
    results = out.read_text()
    assert results.startswith("# Benchmark results\n\nMeasured by `python benchmarks/report.py --data")
    assert "| tiny-x4 | x4 |" in results and "| bicubic x4 | x4 |" in results and "| tiny-other | cpu |" in results
    assert "| tiny-dn | 30 |" in results and results.index("| bicubic x4 |") < results.index("Denoising on")
    text = readme.read_text()
    assert text.startswith("intro\n<!-- benchmarks:begin -->\nMeasured by") and text.endswith("<!-- benchmarks:end -->\nrest\n")
    assert "old table" not in text and "| tiny-x4 | cpu |" in text


def test_quality_of_denoise_and_restore_models_writes_their_cards(tiny_denoise_dir, tmp_path, clip_maker, capsys):
    """quality.py dispatches on the card's task: the protocol on each --data folder, the pair for restore."""
    import shutil

    from genvid.models.restore_window import SlidingWindowRestore
    from genvid.models.registry import export_model

    args = {"channels": 8, "blocks": 1, "radius": 1, "noise_map": False}
    export_model(SlidingWindowRestore(**args), tiny_denoise_dir / "tiny-re.safetensors",
                 {"name": "tiny-re", "task": "restore", "scale": 1, "arch": "SlidingWindowRestore", "args": args})
    val = tmp_path / "val"
    val.mkdir()
    clip_maker("val/c0.mkv", size="64x48", frames=3, codec="ffv1", pix_fmt="yuv444p")
    other = tmp_path / "other"
    shutil.copytree(val, other)
    good = clip_maker("good.mkv", size="64x48", frames=3, codec="ffv1", pix_fmt="yuv444p")
    bad = clip_maker("bad.mp4", size="64x48", frames=3, crf=40)
    quality = load("quality")
    quality.main(["--model", "tiny-dn", "--data", str(val), "--data", str(other), "--sigmas", "10,30",
                  "--write-card", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert len(r["datasets"]) == 2 and set(next(iter(r["datasets"].values()))["by_sigma"]) == {"10", "30"}
    assert r["model"] == next(iter(r["datasets"].values()))["by_sigma"]["30"]["model"]
    card = json.loads((tiny_denoise_dir / "tiny-dn.json").read_text())
    assert card["validation"] == r and r["command"].startswith("python benchmarks/quality.py --model tiny-dn")
    quality.main(["--model", "tiny-re", "--data", str(val), "--pair", str(bad), str(good)])
    text = capsys.readouterr().out
    assert "CRF 37:" in text and "VMAF" in text and "bad.mp4 against" in text and "gain" in text
    with pytest.raises(SystemExit) as e:
        quality.main(["--model", "tiny-re", "--data", str(tmp_path / "missing")])
    assert e.value.code == 2 and "validation data not found" in capsys.readouterr().err


def test_synthesis_benchmark_scores_and_writes_the_card(tiny_model_dir, capsys):
    """A tiny random generator (plumbing only) against held-out shapes: the result's keys, both yardsticks
    and the card; an untrained generator is told apart from real clips."""
    import torch

    from genvid.models.synthesis import VideoGenerator
    from genvid.models.registry import export_model

    torch.manual_seed(0)
    args = {"z_dim": 8, "motion_dim": 4, "w_dim": 16, "channels": 8, "resolution": 16, "motion_spacing": 4}
    export_model(VideoGenerator(**args), tiny_model_dir / "tiny-synth.safetensors",
                 {"name": "tiny-synth", "task": "synthesis", "arch": "VideoGenerator", "args": args,
                  "resolution": 16, "frames": 4})
    assert load("synthesis").main(["--model", "tiny-synth", "--num", "48", "--json", "--write-card"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["counts"] == {"generated": 48.0, "real": 48.0}
    assert r["two_sample"]["accuracy"] > 0.75 and not r["meets_target"]
    assert set(r["yardsticks"]) == {"real_vs_real", "still_vs_real"}
    full = r["two_sample_full_size"]
    assert full["size"] == 16 and full["generated_vs_real"]["accuracy"] > 0.75
    assert r["motion"]["w1"]["frame_diff"] > 0 and "FVD not computed" in r["notes"][0]
    card = json.loads((tiny_model_dir / "tiny-synth.json").read_text())
    assert card["validation"]["two_sample"] == r["two_sample"]


def test_quality_writes_lpips_and_tlp_into_the_card(tiny_model_dir, tmp_path, clip_maker, capsys,
                                                     random_lpips_backbone):
    """SR: LPIPS and tLP for the model and bicubic on every --data folder, merged into the card beside
    PSNR/SSIM/tOF (keys the run does not produce stay); without the backbone they are absent and a note says
    why.  Plumbing only: the backbone is random."""
    card_path = tiny_model_dir / "tiny-x4.json"
    card = json.loads(card_path.read_text())
    card["validation"] = {"targets": {"issue": "kept"}, "model": {"vmaf": 1.0}}
    card_path.write_text(json.dumps(card))
    val = tmp_path / "val"
    val.mkdir()
    clip_maker("val/c0.mkv", size="64x48", frames=3, codec="ffv1", pix_fmt="yuv444p")
    quality = load("quality")
    backbone = str(random_lpips_backbone[0])
    quality.main(["--model", "tiny-x4", "--data", str(val), "--lpips-backbone", backbone, "--write-card", "--json"])
    r = json.loads(capsys.readouterr().out)
    for scores in (r, r["datasets"][str(val)]):
        assert {"psnr_y", "ssim_y", "tof", "lpips", "tlp"} <= set(scores["model"]) & set(scores["bicubic"])
    assert r["lpips_backbone"] == backbone and r["notes"] == []
    assert r["command"].endswith(f"--lpips-backbone {backbone}")
    v = json.loads(card_path.read_text())["validation"]
    assert v["targets"] == {"issue": "kept"} and v["model"] == r["model"], "scores replaced whole, other keys kept"
    quality.main(["--model", "tiny-x4", "--data", str(val), "--lpips-backbone", str(tmp_path / "no.pth"), "--json"])
    out = capsys.readouterr()
    r = json.loads(out.out)
    assert "lpips" not in r["model"] and "lpips_backbone" not in r
    assert len(r["notes"]) == 1 and "no.pth" in r["notes"][0]
    assert "quality.py: note: LPIPS and tLP skipped" in out.err
    quality.main(["--model", "tiny-x4", "--data", str(val), "--no-lpips"])
    text = capsys.readouterr().out
    assert "PSNR-Y" in text and "LPIPS" not in text


def test_report_shows_lpips_and_tlp(tiny_model_dir, tmp_path, clip_maker, random_lpips_backbone):
    val = tmp_path / "val"
    val.mkdir()
    clip_maker("val/c0.mkv", size="64x48", frames=2, codec="ffv1", pix_fmt="yuv444p")
    out, js = tmp_path / "RESULTS.md", tmp_path / "r.json"
    assert load("report").main(["--data", str(val), "--anchor", "", "--models", "tiny-x4", "--skip", "speed,memory",
                                "--lpips-backbone", str(random_lpips_backbone[0]), "--out", str(out),
                                "--no-readme", "--json", str(js)]) == 0
    q = json.loads(js.read_text())["quality"]
    assert {"lpips", "tlp"} <= set(q["tiny-x4"]) & set(q["bicubic x4"])
    assert "| tOF | LPIPS | tLP |" in out.read_text()
