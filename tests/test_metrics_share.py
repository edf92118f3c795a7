"""Validation split among processes: process i of n scores clips i, i + n, ...; joined, the scores are those of
one process scoring every clip (so training processes validate their shares instead of waiting for rank 0)."""
import pytest

from genvid.metrics.restore_protocol import evaluate_denoise, evaluate_restore
from genvid.metrics.share import Share
from genvid.metrics.sr_protocol import evaluate_sr
from genvid.models import load_model
from test_metrics_sr_protocol import make_val


def in_two_shares(evaluate):
    """What process 0 of 2 gets, the other process's rows arriving through `gather` (here, in sequence)."""
    theirs = []
    evaluate(Share(1, 2, gather=lambda rows: theirs.extend(rows) or rows))
    return evaluate(Share(0, 2, gather=lambda rows: rows + theirs))


def test_share_takes_every_nth_item_and_joins_in_order():
    assert Share(1, 3).mine("abcdefg") == [(1, "b"), (4, "e")]
    assert Share().mine("ab") == [(0, "a"), (1, "b")]
    joined = Share(0, 2, gather=lambda rows: rows + [(1, "y")]).join([(2, "z"), (0, "x")])
    assert joined == [(0, "x"), (1, "y"), (2, "z")]


@pytest.mark.parametrize("protocol", ["sr", "denoise", "restore"])
def test_shared_validation_equals_the_whole(protocol, tmp_path, tiny_denoise_dir):
    val = make_val(tmp_path / "val", clips=3, frames=3, size=(32, 48))
    if protocol == "sr":
        model = load_model("tiny-x4")
        run = lambda share: evaluate_sr(model, val, 4, share=share)
    elif protocol == "denoise":
        model = load_model("tiny-dn")
        run = lambda share: evaluate_denoise(model, val, sigmas=[10, 30], share=share)
    else:
        model = load_model("tiny-dn")
        run = lambda share: evaluate_restore(model, val, crf=40, share=share)
    whole = run(None)
    assert whole["clips"] == 3 and whole["model"]
    assert in_two_shares(run) == whole
