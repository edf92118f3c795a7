"""One trainer, typed recipes: every shipped recipe trains a step on tiny data; unknown and ignored keys are
one-line errors; loss terms are weighted by name; critic options are typed and match the critics."""
import dataclasses
import inspect
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

from conftest import REPO, make_clip
from genvid.errors import GenvidError
from genvid.train.config import load_recipe
from genvid.train.critics import CRITICS
from genvid.train.state import weighted
from test_metrics_sr_protocol import make_val
from test_train import run_genvid

RECIPES = sorted(p.name for p in (REPO / "recipes").glob("*.yaml"))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    (root / "train").mkdir()
    make_clip(root / "train" / "clip.mp4", size="64x64", frames=6)
    return root / "train", make_val(root / "val", clips=1, frames=3, size=(64, 64))


def test_the_shipped_recipes_are_all_here():
    assert {"sr-x4.yaml", "sr-x4-gan.yaml", "sr-x4-real.yaml", "sr-x4-flow.yaml", "denoise.yaml", "restore.yaml",
            "synth-shapes.yaml", "synth-clips.yaml"} <= set(RECIPES)


@pytest.mark.slow
@pytest.mark.parametrize("name", RECIPES)
def test_every_shipped_recipe_trains_one_step(name, tiny_data, tmp_path):
    """The shipped recipe as it is (networks, losses, critics, degradations, warm starts), on a tiny clip:
    one step, a validation where the recipe has one, a checkpoint and the exported EMA weights."""
    train, val = tiny_data
    recipe, tree = load_recipe(REPO / "recipes" / name)
    synthesis = recipe.model.task == "synthesis"
    sets = ["data.batch_size=2", "data.num_workers=0", "train.threads=1"]
    if not synthesis or recipe.synthesis.dataset == "clips":
        sets.append(f"data.train=[{train}]")
    if not synthesis:
        sets += ["data.patch=32", f"data.val={val}"]
    init_flow = tree["model"].get("init_flow")
    if init_flow and not (REPO / init_flow).exists():
        sets.append("model.init_flow=null")  # the shared BasicVSR checkpoint is not on this machine
    out = tmp_path / "run"
    r = run_genvid("train", REPO / "recipes" / name, "--output-dir", out, "--max-steps", "1",
                   *[a for s in sets for a in ("--set", s)])
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((out / "result.json").read_text())["step"] == 1
    card = json.loads((out / "last.json").read_text())
    assert card["name"] == recipe.model.name and card["arch"] == recipe.model.arch and card["steps"] == 1
    assert (out / "checkpoints" / "last").is_dir()
    if not synthesis:
        assert json.loads((out / "best.json").read_text())["validation"]["clips"] == 1


def write(tmp_path, tree: dict) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(tree))
    return path


SYNTH = {"model": {"task": "synthesis", "arch": "VideoGenerator"}, "loss": {"r1": 1.0}}


@pytest.mark.parametrize("tree, needle", [
    ({"optim": {"learning_rate": 1}}, "unknown recipe key(s) learning_rate in 'optim'"),
    ({"synthesis": {"frames": 8}}, "unknown recipe key(s) synthesis in 'the recipe'"),  # another task's section
    ({**SYNTH, "data": {"patch": 64}}, "unknown recipe key(s) patch in 'data'"),
    ({**SYNTH, "loss": {"charbonnier": 1.0}}, "unknown recipe key(s) charbonnier in 'loss'"),
    ({**SYNTH, "train": {"val_every": 10}}, "unknown recipe key(s) val_every in 'train'"),
    ({"discriminator": {"kinds": ["unet"], "unet": {"chanels": 8}}}, "chanels in 'discriminator.unet'"),
    ({"discriminator": {"kinds": ["patchgan"]}}, "discriminator.kinds[0] 'patchgan' is not supported"),
    ({"loss": {"r1": 1.0, "adversarial": 0.1}}, "loss.adversarial, loss.r1 would be ignored"),
    ({"discriminator": {"kinds": ["unet"], "spatiotemporal": {"channels": 8}}}, "discriminator.spatiotemporal"),
    ({"loss": {"flow_smooth": 0.2}}, "loss.flow_smooth would be ignored (loss.flow_smooth: loss.warp is 0)"),
    ({"loss": {"lpips_missing": "skip"}}, "loss.lpips is 0"),
    ({"data": {"known_sigma_prob": 0.3}}, "no noise-level input"),
    ({**SYNTH, "data": {"train": ["x"]}}, "data.train would be ignored"),
    ({"optim": {"lr": "fast"}}, "optim.lr must be a number, got 'fast'"),
    ({"data": {"train": "../shared/data/vimeo7/train"}}, "data.train must be a list"),
    ({"train": {"mixed_precision": "fp8"}}, "train.mixed_precision 'fp8' is not supported"),
    ({"model": {"task": "colourise"}}, "model.task must be one of"),
])
def test_unknown_and_ignored_keys_are_one_line_errors(tmp_path, tree, needle):
    with pytest.raises(GenvidError) as e:
        load_recipe(write(tmp_path, tree))
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_each_task_has_its_own_schema_and_overrides_are_typed(tmp_path):
    sr, _ = load_recipe(write(tmp_path, {"optim": {"lr": "1e-4"}}), ["train.grad_accum=2"])
    assert sr.optim.lr == 1e-4 and sr.train.grad_accum == 2 and sr.train.mixed_precision is None
    assert sr.optim.lr_factor() is not None, "enhancement: warm-up and cosine decay"
    synth, _ = load_recipe(write(tmp_path, SYNTH), ["synthesis.image_critic.channels=8"])
    assert synth.synthesis.image_critic.channels == 8 and synth.optim.lr_factor() is None
    assert not hasattr(synth.optim, "warmup_steps") and not hasattr(synth.data, "patch")


def test_critic_options_are_the_critics_keyword_arguments():
    """Each registered critic's options dataclass lists its constructor's own arguments with their defaults
    (the rest, resolution, frames and classes, come from the recipe's context)."""
    context = {"resolution", "frames", "num_classes"}
    for kind, critic in CRITICS.items():
        params = {n: p.default for n, p in inspect.signature(critic.module).parameters.items() if n not in context}
        options = {f.name: f.default for f in dataclasses.fields(critic.options)}
        assert options == params, kind


def test_loss_terms_are_weighted_by_name(tmp_path):
    from genvid.train.enhance_task import EnhanceTask

    tree = {"model": {"args": {"channels": 4, "blocks": 1, "radius": 1, "scale": 4}},
            "loss": {"adversarial": 0.05, "feature_matching": 0.1, "r1": 0.5, "r1_every": 4, "pingpong": 0.3},
            "discriminator": {"kinds": ["unet"], "unet": {"channels": 4, "depth": 2}}}
    recipe, _ = load_recipe(write(tmp_path, tree))
    task = EnhanceTask(recipe, "recipe.yaml", SimpleNamespace(print=print, device=torch.device("cpu")))
    w = task.weights
    assert (w["adv_unet"], w["fm_unet"], w["pingpong"], w["charbonnier"]) == (0.05, 0.1, 0.3, 1.0)
    assert w["d_unet"] == 1.0 and w["r1_unet"] == 0.5 / 2 * 4, "R1: gamma / 2, times the lazy interval"
    one = torch.tensor(1.0)
    assert float(weighted({"adv_unet": one, "fm_unet": one}, w)) == pytest.approx(0.15)
    with pytest.raises(KeyError):  # a term the task gave no weight is a bug, not a silent 1.0 or 0.0
        weighted({"fm_spatiotemporal": one}, w)
