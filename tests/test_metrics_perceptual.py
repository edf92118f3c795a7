"""tLP follows TecoGAN's definition, |LPIPS(ref_t, ref_t-1) - LPIPS(pred_t, pred_t-1)|, checked term by term.

The backbone is a random AlexNet (plumbing only): the check is that the right pairs are compared and
combined, which holds for any weights; no value here is an LPIPS score of anything.
"""
import numpy as np
import pytest
import torch

from genvid.losses.perceptual import LPIPSLoss
from genvid.metrics.perceptual import PerceptualScores, open_scorer


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


def test_tlp_of_a_flickering_output_against_a_static_truth(random_lpips_backbone):
    """Truth: one frame held.  Output: two frames in turn.  The truth never changes, so tLP is the mean
    LPIPS between consecutive outputs, > 0; a static output of that truth has tLP 0 (and LPIPS 0)."""
    a, b = frames(5, 2)
    truth, flicker = np.stack([a] * 4), np.stack([a, b, a, b])
    scores = PerceptualScores("alex")
    r = scores.clip(flicker, truth)
    d = LPIPSLoss("alex", reduction="none")
    with torch.no_grad():
        change = float(d(unit(b), unit(a))[0])
    assert change > 0 and r["tlp"] == pytest.approx(change, rel=1e-5)
    assert r["lpips"] == pytest.approx(change / 2, rel=1e-5)  # frames 1 and 3 differ from the truth, 0 and 2 do not
    still = scores.clip(truth, truth)
    assert still["lpips"] == 0.0 and still["tlp"] == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_chunked_clip_scores_equal_frame_by_frame_ones(random_lpips_backbone, chunk):
    pred, ref = np.stack(frames(6, 5)), np.stack(frames(7, 5))
    streamed = PerceptualScores("alex")
    rows = [streamed.add(p, r) for p, r in zip(pred, ref)]
    r = PerceptualScores("alex", chunk=chunk).clip(pred, ref)
    assert r["lpips"] == pytest.approx(np.mean([x["lpips"] for x in rows]), rel=1e-5)
    assert r["tlp"] == pytest.approx(np.mean([x["tlp"] for x in rows[1:]]), rel=1e-4)


def test_each_clip_starts_afresh_and_tiny_frames_are_noted(random_lpips_backbone):
    scores = PerceptualScores("alex")
    pred, ref = np.stack(frames(8, 3)), np.stack(frames(9, 3))
    assert scores.clip(pred, ref) == scores.clip(pred, ref), "no tLP pair across two clips"
    assert scores.clip(np.stack(frames(8, 2, size=24)), np.stack(frames(9, 2, size=24))) == {}
    assert scores.skipped == ["frames of 24x24 are too small for LPIPS (alex)"]


def test_open_scorer_says_why_not(no_lpips_backbone, random_lpips_backbone):
    scorer, notes = open_scorer("alex", no_lpips_backbone / "missing.pth")
    assert scorer is None and len(notes) == 1 and notes[0].startswith("LPIPS and tLP skipped: ") \
        and "missing.pth" in notes[0]
    assert open_scorer(None) == (None, [])
    scorer, notes = open_scorer("alex", random_lpips_backbone[0])
    assert isinstance(scorer, PerceptualScores) and notes == []
