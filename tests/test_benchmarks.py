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


def test_speed_json(tiny_model_dir, capsys):
    assert load("speed").main(["--model", "tiny-x4", "--size", "32x18", "--frames", "4", "--rounds", "1", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["frames"] == 4 and r["model_only_fps"] > 0 and r["end_to_end_fps"] > 0 and r["gflops_per_frame"] > 0
    assert r["ratio"] == pytest.approx(r["end_to_end_fps"] / r["model_only_fps"], rel=1e-2)


def test_memory_json(tiny_model_dir, capsys):
    assert load("memory").main(["--model", "tiny-x4", "--size", "32x18", "--short", "3", "--long", "6", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["short_peak_rss_mib"] > 0 and r["long_peak_rss_mib"] > 0 and r["ratio"] > 0
