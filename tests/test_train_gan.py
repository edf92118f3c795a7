"""GAN training: every loss and both critics in a short run, resume continuity after SIGKILL,
bf16 autocast, gradient accumulation, LPIPS plumbing, and a 2-process run."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import REPO, launch_two, make_clip
from test_metrics_sr_protocol import make_val
from test_train import run_genvid



@pytest.fixture
def gan_recipe(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(2):
        make_clip(data / f"clip{i}.mp4", size="64x64", frames=6)
    recipe = {
        "model": {"name": "tiny-gan", "args": {"channels": 8, "blocks": 1, "radius": 1, "scale": 4}},
        "data": {"train": [str(data)], "val": None, "patch": 32, "batch_size": 2, "clip_frames": 3,
                 "num_workers": 0},
        "loss": {"charbonnier": 1.0, "l1": 0.5, "gan": "ragan", "adversarial": 0.1, "feature_matching": 0.1,
                 "r1": 1.0, "r1_every": 2, "pingpong": 0.5, "warp": 0.5},
        "discriminator": {"kinds": ["spatiotemporal", "unet"], "spatiotemporal": {"channels": 8, "stages": 2},
                          "unet": {"channels": 8, "depth": 2}},
        "optim": {"max_steps": 12, "warmup_steps": 1},
        "train": {"log_every": 1, "val_every": 1000, "save_every": 2, "threads": 1, "select": "last"},
    }
    path = tmp_path / "gan.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def step_lines(text: str) -> dict[int, str]:
    """step number -> the logged loss terms of that step (without the timing)."""
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^step (\d+)/\d+ (.*) lr ", text, re.M)}


@pytest.mark.slow
def test_gan_run_logs_every_term_and_exports(gan_recipe, tmp_path):
    out = tmp_path / "run"
    r = run_genvid("train", gan_recipe, "--output-dir", out, "--max-steps", "4")
    assert r.returncode == 0, r.stderr[-3000:]
    line = step_lines(r.stdout)[4]
    for term in ("charbonnier", "l1", "pingpong", "warp", "adv_spatiotemporal", "adv_unet", "fm_unet",
                 "d_spatiotemporal", "d_unet", "photometric"):
        assert f"{term} " in line, term
    assert "r1_unet" in step_lines(r.stdout)[3], "lazy R1 runs on every r1_every-th step"
    card = json.loads((out / "last.json").read_text())
    assert card["discriminators"] == ["spatiotemporal", "unet"] and card["lpips"] == "off"
    assert card["losses"]["adversarial"] == 0.1 and card["steps"] == 4


@pytest.mark.slow
def test_sigkill_then_resume_continues_the_same_run(gan_recipe, tmp_path):
    full = run_genvid("train", gan_recipe, "--output-dir", tmp_path / "full")
    assert full.returncode == 0, full.stderr[-3000:]
    reference = step_lines(full.stdout)
    assert sorted(reference) == list(range(1, 13))

    out = tmp_path / "killed"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "genvid", "train", str(gan_recipe), "--output-dir", str(out)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (out / "checkpoints" / "last").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the run was killed before it finished"

    resumed = run_genvid("train", gan_recipe, "--output-dir", out, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    at = int(re.search(r"at step (\d+)", resumed.stdout + resumed.stderr).group(1))
    assert 2 <= at < 12
    after = step_lines(resumed.stdout)
    assert sorted(after) == list(range(at + 1, 13)), "the resumed run continues at the saved step"
    for step, terms in after.items():
        assert terms == reference[step], f"step {step}: same data, same losses as the uninterrupted run"


@pytest.mark.slow
def test_bf16_autocast_and_gradient_accumulation(gan_recipe, tmp_path):
    r = run_genvid("train", gan_recipe, "--output-dir", tmp_path / "bf16", "--max-steps", "2",
                   "--set", "train.mixed_precision=bf16", "--set", "train.grad_accum=2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(step_lines(r.stdout)) == [1, 2], "two optimizer steps of two micro-batches each"
    assert json.loads((tmp_path / "bf16" / "result.json").read_text())["step"] == 2


def test_lpips_without_backbone_fails_clearly_or_is_skipped(gan_recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    monkeypatch.delenv("GENVID_LPIPS_BACKBONE", raising=False)
    r = run_genvid("train", gan_recipe, "--output-dir", tmp_path / "a", "--max-steps", "1", "--set", "loss.lpips=1")
    assert r.returncode == 2 and "alexnet" in r.stderr and "GENVID_LPIPS_BACKBONE" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_genvid("train", gan_recipe, "--output-dir", tmp_path / "b", "--max-steps", "1", "--set", "loss.lpips=1",
                   "--set", "loss.lpips_missing=skip")
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((tmp_path / "b" / "last.json").read_text())["lpips"].startswith("skipped")


@pytest.mark.slow
def test_lpips_loss_trains_with_a_backbone_file(gan_recipe, tmp_path, monkeypatch):
    """Plumbing only: a randomly initialised AlexNet saved where torchvision's weights go is loaded and
    trained through. It is not LPIPS (a random backbone never is); real runs need the real file."""
    import torch
    import torchvision

    hub = tmp_path / "torch-home" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.save(torchvision.models.alexnet().state_dict(), hub / "alexnet-owt-7be5be79.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    val = make_val(tmp_path / "val", clips=1)
    r = run_genvid("train", gan_recipe, "--output-dir", tmp_path / "run", "--max-steps", "1", "--set", "loss.lpips=1",
                   "--set", f"data.val={val}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "lpips " in step_lines(r.stdout)[1]
    assert json.loads((tmp_path / "run" / "last.json").read_text())["lpips"] == "on"
    scores = json.loads((tmp_path / "run" / "best.json").read_text())["validation"]["model"]
    assert {"lpips", "tlp"} <= set(scores), "validation adds LPIPS and tLP where the backbone exists"


@pytest.mark.slow
def test_two_process_gan_run(gan_recipe, tmp_path):
    out = tmp_path / "ddp"
    r = run_genvid("train", gan_recipe, "--output-dir", out, "--max-steps", "2", launcher=launch_two())
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert result["step"] == 2 and result["processes"] == 2
