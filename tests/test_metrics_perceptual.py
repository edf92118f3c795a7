"""tLP follows TecoGAN's definition, |LPIPS(ref_t, ref_t-1) - LPIPS(pred_t, pred_t-1)|, checked term by term.

The backbone is a random AlexNet (plumbing only): the check is that the right pairs are compared and
combined, which holds for any weights; no value here is an LPIPS score of anything.
"""
import numpy as np
import pytest
import torch

from genvid.losses.perceptual import LPIPSLoss
from genvid.metrics.perceptual import PerceptualScores


def frames(seed: int, n: int = 3, size: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.random((size, size, 3)) * 255).astype(np.uint8) for _ in range(n)]


def unit(f: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255.0


def test_lpips_and_tlp_pair_the_right_frames(random_lpips_backbone):
    pred, ref = frames(1), frames(2)
    scores = PerceptualScores("alex")
    rows = [scores.add(p, r) for p, r in zip(pred, ref)]
    assert set(rows[0]) == {"lpips"} and all(set(r) == {"lpips", "tlp"} for r in rows[1:])
    d = LPIPSLoss("alex", reduction="none")
    with torch.no_grad():
        for t in range(3):
            assert rows[t]["lpips"] == pytest.approx(float(d(unit(pred[t]), unit(ref[t]))[0]), rel=1e-5)
        for t in range(1, 3):
            ref_change = float(d(unit(ref[t]), unit(ref[t - 1]))[0])
            pred_change = float(d(unit(pred[t]), unit(pred[t - 1]))[0])
            assert rows[t]["tlp"] == pytest.approx(abs(ref_change - pred_change), rel=1e-5, abs=1e-7)


def test_identical_videos_and_identical_changes_score_zero(random_lpips_backbone):
    ref = frames(3)
    scores = PerceptualScores("alex")
    rows = [scores.add(r, r) for r in ref]
    assert all(r["lpips"] == 0.0 for r in rows)
    assert all(r["tlp"] == pytest.approx(0.0, abs=1e-6) for r in rows[1:])  # equal up to batched-conv rounding
    static = PerceptualScores("alex")  # a still prediction of a still reference: no change on either side
    rows = [static.add(frames(4, 1)[0], ref[0]) for _ in range(3)]
    assert rows[0]["lpips"] > 0 and all(r["tlp"] == pytest.approx(0.0, abs=1e-6) for r in rows[1:])
