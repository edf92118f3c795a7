"""Validation in a data-parallel run: every process scores its share of the clips (so none waits in a collective
for rank 0's whole pass), and the scores of the best checkpoint cover every clip."""
import json

import pytest
import yaml

from test_metrics_sr_protocol import make_val
from conftest import launch_two
from test_train import run_genvid, tiny_recipe  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow  # a two-process training run


def test_two_processes_validate_their_shares(tiny_recipe, tmp_path):
    tree = yaml.safe_load(tiny_recipe.read_text())
    tree["data"]["val"] = str(make_val(tmp_path / "val3", clips=3, frames=3))
    tiny_recipe.write_text(yaml.safe_dump(tree))
    out = tmp_path / "ddp"
    r = run_genvid("train", tiny_recipe, "--output-dir", out, "--max-steps", "2", launcher=launch_two())
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((out / "result.json").read_text())["processes"] == 2
    validation = json.loads((out / "best.json").read_text())["validation"]
    assert validation["clips"] == 3, "process 0 scored clips 0 and 2, process 1 clip 1: joined, all three"
    assert r.stdout.count("step 2 val ") == 1, "printed once, by the main process"
