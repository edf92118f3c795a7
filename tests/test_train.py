"""Training: recipes, a short run with export, resume, and a 2-process `accelerate launch` smoke run."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from conftest import REPO, launch_two, make_clip
from genvid.errors import GenvidError
from genvid.io.image_folder import write_image
from genvid.models import load_model
from genvid.train.config import load_recipe


@pytest.fixture
def tiny_recipe(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        make_clip(data / f"clip{i}.mp4", size="64x64", frames=6)
    val = tmp_path / "val" / "clip0"
    val.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        write_image(val / f"im{i + 1}.png", (rng.random((32, 48, 3)) * 255).astype(np.uint8))
    recipe = {
        "model": {"name": "tiny", "args": {"channels": 8, "blocks": 1, "radius": 1, "scale": 4}},
        "data": {"train": [str(data)], "val": str(tmp_path / "val"), "patch": 32, "batch_size": 2,
                 "clip_frames": 3, "num_workers": 0},
        "optim": {"max_steps": 4, "warmup_steps": 1},
        "train": {"log_every": 1, "val_every": 2, "save_every": 2, "threads": 1},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def run_genvid(*args, launcher=None):
    cmd = (launcher or [sys.executable, "-m", "genvid"]) + [str(a) for a in args]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)


def test_recipe_overrides_and_unknown_keys(tiny_recipe, tmp_path):
    recipe, _ = load_recipe(tiny_recipe, ["optim.lr=1e-4", "data.batch_size=3"])
    assert recipe.optim.lr == 1e-4 and recipe.data.batch_size == 3 and recipe.model.args["channels"] == 8
    bad = tmp_path / "bad.yaml"
    bad.write_text("optim: {learning_rate: 1}\n")
    with pytest.raises(GenvidError, match="unknown recipe key.*learning_rate"):
        load_recipe(bad)


@pytest.mark.slow
def test_train_exports_and_resumes(tiny_recipe, tmp_path):
    out = tmp_path / "run"
    r = run_genvid("train", tiny_recipe, "--output-dir", out)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["step"] == 4
    card = json.loads((out / "best.json").read_text())
    assert card["validation"]["clips"] == 1 and card["parameters"] > 0 and len(card["sha256"]) == 64
    model = load_model(str(out / "best.safetensors"))
    assert model.card["name"] == "tiny"
    # a second plain start refuses to clobber the run; --resume continues at the saved step
    again = run_genvid("train", tiny_recipe, "--output-dir", out)
    assert again.returncode == 2 and "--resume" in again.stderr
    r = run_genvid("train", tiny_recipe, "--output-dir", out, "--resume", "--max-steps", "6")
    assert r.returncode == 0, r.stderr
    assert "at step 4" in r.stdout + r.stderr
    assert json.loads((out / "result.json").read_text())["step"] == 6
    assert list((out / "train").glob("events.out.tfevents.*")), "TensorBoard logs are written"


@pytest.mark.slow
def test_two_process_accelerate_launch(tiny_recipe, tmp_path):
    out = tmp_path / "ddp"
    r = run_genvid("train", tiny_recipe, "--output-dir", out, "--max-steps", "2", launcher=launch_two())
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads((out / "result.json").read_text())
    assert result["step"] == 2 and result["processes"] == 2, "two processes trained as one group"
    assert (out / "last.safetensors").exists()


@pytest.mark.slow
@pytest.mark.parametrize("task", ["denoise", "restore"])
def test_scale_one_recipe_validates_by_its_task_and_exports_its_card(task, tmp_path):
    """Scale 1 with the task's protocol; the denoiser with its noise-level input and a GAN critic and
    ping-pong term (the optional fine-tuning parts work at scale 1)."""
    data = tmp_path / "data"
    data.mkdir()
    make_clip(data / "clip.mp4", size="64x64", frames=6)
    val = tmp_path / "val" / "clip0"
    val.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        write_image(val / f"im{i + 1}.png", (rng.random((48, 64, 3)) * 255).astype(np.uint8))
    denoise = task == "denoise"
    recipe = {
        "model": {"name": f"tiny-{task}", "task": task, "arch": "SlidingWindowRestore",
                  "args": {"channels": 8, "blocks": 1, "radius": 1, "noise_map": denoise}},
        "data": {"train": [str(data)], "val": str(tmp_path / "val"), "scale": 1, "patch": 32, "batch_size": 2,
                 "clip_frames": 3, **({"known_sigma_prob": 0.5} if denoise else {}),
                 "val_options": {"sigmas": [10, 30]} if denoise else {"crf": 37},
                 "degradation": {"kind": "one_of", "choices": [{"kind": "gaussian_noise"}, {"kind": "noise"}]}
                 if denoise else {"kind": "codec", "codecs": ["mpeg4"], "crf": [30, 40]}},
        "loss": {"adversarial": 0.1, "pingpong": 0.5} if denoise else {},
        "discriminator": {"kinds": ["unet"], "unet": {"channels": 4, "depth": 2}} if denoise else {},
        "optim": {"max_steps": 2, "warmup_steps": 1},
        "train": {"log_every": 1, "val_every": 2, "save_every": 2, "threads": 1,
                  "select": "psnr_rgb" if denoise else "psnr_y"},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "run"
    r = run_genvid("train", path, "--output-dir", out)
    assert r.returncode == 0, r.stderr[-12000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["step"] == 2 and f"best_{recipe['train']['select']}" in result
    card = json.loads((out / "best.json").read_text())
    assert (card["task"], card["scale"], card["window_radius"], card["noise_map"]) == (task, 1, 1, denoise)
    v = card["validation"]
    assert v["clips"] == 1 and {"model", "input", "protocol"} <= set(v)
    if denoise:
        assert "AWGN" in v["protocol"] and set(v["by_sigma"]) == {"10", "30"}
    else:
        assert "libx264 CRF 37" in v["protocol"]
    model = load_model(str(out / "best.safetensors"))
    assert getattr(model, "noise_map") is denoise and model.scale == 1


@pytest.mark.parametrize("name", ["denoise", "restore", "denoise-flow", "restore-flow"])
def test_shipped_scale_one_recipes_build(name):
    from test_data_degrade import textured_clip

    from genvid.data.degrade import build_degradation
    from genvid.models.registry import build_model

    recipe, _ = load_recipe(REPO / "recipes" / f"{name}.yaml")
    task = name.split("-")[0]
    assert recipe.model.name == name and recipe.model.task == task and recipe.data.scale == 1
    assert recipe.train.threads == 1 and recipe.data.val.endswith("vimeo7/val")
    model = build_model(recipe.model.arch, recipe.model.args)
    assert model.scale == 1 and model.noise_map is (task == "denoise")
    assert model.kind == ("recurrent" if name.endswith("-flow") else "window")
    assert getattr(model, "window_radius", 2) == 2
    degradation = build_degradation(recipe.data.degradation, 1)
    for seed in range(4):
        out = degradation(textured_clip(t=3, h=32, w=32), np.random.default_rng(seed))
        assert [f.shape for f in out] == [(32, 32, 3)] * 3
