"""Shipped weights: each has a complete card whose sha256 matches, loads, runs; sr-x4's scores reproduce;
denoise and restore cards carry their protocol's validation against the degraded input; synthesis cards
carry benchmarks/synthesis.py's two-sample test, yardsticks and motion statistics."""
import json
from pathlib import Path

import pytest
import torch

from conftest import REPO, shared_path
from genvid.models import DEFAULT_MODEL, load_model
from genvid.models.registry import count_parameters, sha256_of

WEIGHTS = sorted((REPO / "weights").glob("*.safetensors"))
CARD_KEYS = {"name", "task", "scale", "arch", "args", "description", "recipe", "training_data", "validation",
             "parameters", "gflops_640x360", "sha256", "steps"}
RESTORATION_KEYS = {"window_radius", "noise_map"}  # scale-1 models: how many frames, whether sigma is an input
SYNTHESIS_KEYS = (CARD_KEYS - {"scale", "gflops_640x360"}) | {"resolution", "frames", "num_classes", "class_names",
                                                              "gflops_per_frame", "training"}


def test_every_weights_file_has_its_card_and_every_card_its_weights():
    cards = sorted((REPO / "weights").glob("*.json"))
    assert [p.stem for p in WEIGHTS] == [p.stem for p in cards]


def test_the_default_model_is_shipped():
    assert (REPO / "weights" / f"{DEFAULT_MODEL}.safetensors").exists()
    assert (REPO / "weights" / f"{DEFAULT_MODEL}.json").exists()


@pytest.mark.parametrize("path", WEIGHTS, ids=[p.stem for p in WEIGHTS])
def test_card_is_complete_and_true(path: Path):
    card = json.loads(path.with_suffix(".json").read_text())
    keys = SYNTHESIS_KEYS if card["task"] == "synthesis" else CARD_KEYS
    assert keys <= set(card), keys - set(card)
    assert card["name"] == path.stem
    assert card["sha256"] == sha256_of(path)
    assert (REPO / card["recipe"]).exists(), "the recipe that trained it is in the repository"
    model = load_model(path.stem)
    assert count_parameters(model) == card["parameters"]
    if card["task"] == "synthesis":
        size, classes = card["resolution"], card["num_classes"]
        clips = model.sample(2, 3, seed=0, labels=torch.tensor([0, classes - 1]) if classes else None)
        assert clips.shape == (2, 3, 3, size, size) and 0 <= clips.min() and clips.max() <= 1
        v = card["validation"]
        assert {"protocol", "command", "two_sample", "yardsticks", "motion", "diversity", "meets_target"} <= set(v)
        assert v["meets_target"] == (v["two_sample"]["accuracy"] <= v["target"]["two_sample_accuracy_at_most"])
        return
    s = card["scale"]
    with torch.no_grad():
        assert model(torch.rand(1, 3, 3, 10, 12)).shape == (1, 3, 3, 10 * s, 12 * s)
    if card["task"] in ("denoise", "restore"):
        assert RESTORATION_KEYS <= set(card) and s == 1
        # a recurrent model has no window: its card says 0 (it sees every earlier frame of the scene and one ahead)
        assert card["window_radius"] == getattr(model, "window_radius", 0) and card["noise_map"] == model.noise_map
        v = card["validation"]
        assert {"protocol", "command", "model", "input", "datasets"} <= set(v), "filled by quality.py --write-card"
        assert (card["task"] == "restore") == ("pair" in v)


@pytest.mark.slow  # full-size shipped or official weights on real frames (../shared)
def test_sr_x4_scores_reproduce_on_vimeo7_val():
    """The card's PSNR-Y is what the BI protocol measures now, and beats bicubic by at least 1.5 dB."""
    from genvid.metrics.sr_protocol import evaluate_sr

    val = shared_path("data", "vimeo7", "val")
    card = json.loads((REPO / "weights" / "sr-x4.json").read_text())
    scores = evaluate_sr(load_model("sr-x4"), val, 4)
    assert scores["model"]["psnr_y"] == pytest.approx(card["validation"]["model"]["psnr_y"], abs=0.02)
    assert scores["bicubic"]["psnr_y"] == pytest.approx(29.01, abs=0.01)
    assert scores["model"]["psnr_y"] >= scores["bicubic"]["psnr_y"] + 1.5
