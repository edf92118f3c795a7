"""Resuming with a longer run (`--resume --max-steps N`, as the shipped sr-x4 and sr-x4-real runs did) takes the
learning rate of the new schedule at the step it resumes from, not the rate the old run's optimizer had saved."""
import pytest

from test_train import run_genvid, tiny_recipe  # noqa: F401 (a fixture)
from test_train_gan import step_lines

pytestmark = pytest.mark.slow  # three training runs a test


def test_a_run_extended_on_resume_equals_one_planned_that_long(tiny_recipe, tmp_path):
    """Warm-up 1 step: the first two rates are the same under a 2- and a 4-step cosine schedule, so 2 steps
    and a resume to 4 must make the 4 steps of one run (before the fix, step 3 ran at the 2-step run's end rate)."""
    args = ["--set", "data.val=null"]
    whole = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "whole", "--max-steps", "4", *args)
    assert whole.returncode == 0, whole.stderr[-3000:]
    first = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "parts", "--max-steps", "2", *args)
    assert first.returncode == 0, first.stderr[-3000:]
    rest = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "parts", "--max-steps", "4", "--resume", *args)
    assert rest.returncode == 0, rest.stderr[-3000:]
    reference, resumed = step_lines(whole.stdout), step_lines(rest.stdout)
    assert sorted(resumed) == [3, 4] and all(resumed[s] == reference[s] for s in (3, 4))


def test_max_minutes_stops_cleanly_and_the_run_resumes(tiny_recipe, tmp_path):
    """A time bound already spent after one step: the run stops there with a checkpoint and exported weights,
    and --resume finishes the planned steps, giving the losses of one uninterrupted run."""
    args = ["--set", "data.val=null"]
    whole = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "whole", *args)
    assert whole.returncode == 0, whole.stderr[-3000:]
    cut = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "cut", "--max-minutes", "1e-6", *args)
    assert cut.returncode == 0, cut.stderr[-3000:]
    assert sorted(step_lines(cut.stdout)) == [1]
    assert (tmp_path / "cut" / "last.safetensors").is_file() and (tmp_path / "cut" / "checkpoints" / "last").is_dir()
    rest = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "cut", "--resume", *args)
    assert rest.returncode == 0, rest.stderr[-3000:]
    reference, resumed = step_lines(whole.stdout), step_lines(rest.stdout)
    assert sorted(resumed) == [2, 3, 4] and all(resumed[s] == reference[s] for s in (2, 3, 4))
