"""The GPU training kit, on the CPU at tiny sizes: packing within a budget, a time-bounded run, resume from
the checkpoint it returns."""
import json
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, make_clip

KIT = REPO / "benchmarks" / "device_kit.py"


def kit(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(KIT), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})


def tiny_recipe(tmp_path):
    data = tmp_path / "clips"
    data.mkdir()
    for i in range(4):
        make_clip(data / f"clip{i}.mp4", size="96x64", frames=12)
    recipe = {"model": {"name": "tiny", "args": {"channels": 8, "blocks": 1, "radius": 1, "scale": 4}},
              "data": {"train": [str(data)], "val": None, "patch": 32, "batch_size": 2, "clip_frames": 3,
                       "num_workers": 0},
              "optim": {"max_steps": 6, "warmup_steps": 1}, "train": {"log_every": 1, "save_every": 2, "threads": 1}}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_pack_stays_within_its_budget_and_keeps_clips_whole(tmp_path):
    recipe = tiny_recipe(tmp_path)
    r = kit("pack", recipe, "--out", tmp_path / "kit", "--budget-mb", "0.05")
    assert r.returncode == 0, r.stderr
    folders = sorted((tmp_path / "kit").iterdir())
    size = sum(f.stat().st_size for d in folders for f in d.iterdir())
    assert 0 < size <= 0.05 * 2**20
    assert all(len(list(d.glob("*.jpg"))) >= 3 for d in folders)  # clip_frames at least, consecutive
    again = kit("pack", recipe, "--out", tmp_path / "kit")
    assert again.returncode == 2 and "not empty" in again.stderr


@pytest.mark.slow
def test_train_for_minutes_returns_weights_and_a_checkpoint_that_resumes(tmp_path):
    recipe = tiny_recipe(tmp_path)
    assert kit("pack", recipe, "--out", tmp_path / "kit", "--budget-mb", "1").returncode == 0
    out = tmp_path / "out"
    common = ["--data", tmp_path / "kit", "--out", out, "--run", tmp_path / "run", "--set", "data.num_workers=0"]
    r = kit("train", recipe, "--minutes", "1e-6", "--checkpoint", tmp_path / "none.tar", *common)
    assert r.returncode == 0, r.stderr[-3000:]
    assert {p.name for p in out.iterdir()} >= {"last.safetensors", "last.json", "checkpoint.tar"}
    assert json.loads((out / "last.json").read_text())["steps"] == 1
    (out / "checkpoint.tar").rename(tmp_path / "checkpoint.tar")
    r = kit("train", recipe, "--minutes", "10", "--checkpoint", tmp_path / "checkpoint.tar", *common)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((out / "last.json").read_text())["steps"] == 6
