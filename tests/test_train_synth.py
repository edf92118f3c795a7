"""Synthesis training: a short CPU run exports the EMA generator with its card; --resume continues the count."""
import json

import pytest
import torch
import yaml

from conftest import launch_two, make_clip
from test_train import run_genvid
from test_train_gan import step_lines


def synth_recipe(tmp_path, **synthesis):
    recipe = {
        "model": {"name": "tiny-synth", "task": "synthesis", "arch": "VideoGenerator",
                  "args": {"z_dim": 8, "motion_dim": 8, "w_dim": 16, "channels": 16, "fourier": 2,
                           "num_classes": 3}},
        "data": {"batch_size": 2, "num_workers": 0},
        "synthesis": {"dataset": "shapes", "frames": 4, "resolution": 16, "critic_frames": 2,
                      "image_critic": {"channels": 8}, "video_critic": {"channels": 8}, "sample_every": 2,
                      **synthesis},
        "loss": {"gan": "nonsat", "r1": 1.0, "r1_every": 2},
        "optim": {"max_steps": 10},
        "train": {"log_every": 1, "save_every": 2, "threads": 1},
    }
    path = tmp_path / "synth.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.mark.slow
def test_short_run_exports_card_and_resumes(tmp_path):
    recipe, out = synth_recipe(tmp_path), tmp_path / "run"
    r = run_genvid("train", recipe, "--output-dir", out, "--max-steps", "3")
    assert r.returncode == 0, r.stderr[-3000:]
    lines = step_lines(r.stdout)
    for term in ("adv_image", "adv_video", "d_image", "d_video"):
        assert f"{term} " in lines[3], term
    assert "r1_image " in lines[1] and "r1_video " in lines[1], "lazy R1 on steps 0, 2, ... (logged as 1, 3)"
    card = json.loads((out / "last.json").read_text())
    assert (out / "last.safetensors").is_file() and card["task"] == "synthesis" and card["steps"] == 3
    assert card["arch"] == "VideoGenerator" and card["resolution"] == 16 and card["frames"] == 4
    assert card["class_names"] == ["square", "circle", "triangle"] and card["gflops_per_frame"] > 0
    assert list((out / "train").rglob("events.out.tfevents.*")), "TensorBoard log"

    again = run_genvid("train", recipe, "--output-dir", out, "--max-steps", "5", "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "at step 3" in again.stdout and min(step_lines(again.stdout)) == 4
    assert json.loads((out / "last.json").read_text())["steps"] == 5

    taken = run_genvid("train", recipe, "--output-dir", out, "--max-steps", "5")
    assert taken.returncode == 2 and "--resume" in taken.stderr


@pytest.mark.slow
def test_resumed_run_equals_the_uninterrupted_one(tmp_path):
    """Step i's data and draws depend only on (seed, i) and the state (both optimizers, EMA, RNG) is saved,
    so 2 steps, a stop and --resume to 4 export the weights of 4 steps in one go; each save exports."""
    from safetensors.torch import load_file

    recipe = synth_recipe(tmp_path)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert run_genvid("train", recipe, "--output-dir", whole, "--max-steps", "4").returncode == 0
    assert run_genvid("train", recipe, "--output-dir", parts, "--max-steps", "2").returncode == 0
    assert json.loads((parts / "last.json").read_text())["steps"] == 2
    r = run_genvid("train", recipe, "--output-dir", parts, "--max-steps", "4", "--resume")
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = load_file(whole / "last.safetensors"), load_file(parts / "last.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_two_processes(tmp_path):
    """Data-parallel on CPU (gloo): both critics in one DDP module, the generator in another."""
    out = tmp_path / "run"
    r = run_genvid("train", synth_recipe(tmp_path), "--output-dir", out, "--max-steps", "2", launcher=launch_two())
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert {k: result[k] for k in ("step", "processes")} == {"step": 2, "processes": 2} and result["seconds"] >= 0
    assert json.loads((out / "last.json").read_text())["steps"] == 2


@pytest.mark.slow
def test_image_conditioned_clip_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    make_clip(data / "a.mp4", size="32x24", frames=3)
    recipe = synth_recipe(tmp_path, dataset="clips")
    tree = yaml.safe_load(recipe.read_text())
    tree["model"]["args"].update(num_classes=0, image_cond=True)
    tree["data"]["train"] = [str(data)]
    recipe.write_text(yaml.safe_dump(tree))
    r = run_genvid("train", recipe, "--output-dir", tmp_path / "run", "--max-steps", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "last.json").read_text())["image_cond"] is True


@pytest.mark.parametrize("change, needle", [
    ({"loss": {"gan": "ragan"}}, "not supported for synthesis"),
    ({"synthesis": {"critic_frames": 9}}, "critic_frames"),
    ({"model": {"args": {"num_classes": 5}}}, "has 3 classes"),
])
def test_recipe_errors_are_one_line(tmp_path, change, needle):
    recipe = synth_recipe(tmp_path)
    tree = yaml.safe_load(recipe.read_text())
    for section, values in change.items():
        for k, v in values.items():
            if isinstance(v, dict):
                tree[section][k].update(v)
            else:
                tree[section][k] = v
    recipe.write_text(yaml.safe_dump(tree))
    r = run_genvid("train", recipe, "--output-dir", tmp_path / "run", "--max-steps", "1")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr
