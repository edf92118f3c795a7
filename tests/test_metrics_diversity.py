"""Diversity: zero for identical clips, larger for random ones, mode collapse and still outputs detected."""
import pytest
import torch
from clip_patterns import moving_clips

from genvid.errors import GenvidError
from genvid.metrics.diversity import diversity


def test_identical_clips_are_a_collapsed_set():
    one = moving_clips(1, frames=6, size=32, speed=1, seed=0)
    r = diversity(one.expand(10, -1, -1, -1, -1))
    assert r["pairwise_mean"] == pytest.approx(0.0, abs=1e-6) and r["nearest_mean"] == pytest.approx(0.0, abs=1e-6)
    assert r["duplicate_fraction"] == 1.0 and r["frame_spread"] > 0.05 and r["static_fraction"] == 0.0


def test_distinct_clips_are_diverse_and_random_ones_more_so():
    textures = diversity(moving_clips(10, frames=6, size=32, speed=1, seed=1))
    noise = diversity(torch.rand(10, 6, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    assert textures["duplicate_fraction"] == 0.0 and textures["pairwise_mean"] > 0.1
    assert noise["pairwise_mean"] > textures["pairwise_mean"]
    assert noise["pairwise_mean"] == pytest.approx(6 ** -0.5, rel=0.02)  # E(u - v)^2 = 1/6 for uniforms


def test_partial_collapse_and_still_clips():
    distinct = moving_clips(6, frames=6, size=32, speed=2, seed=2)
    half = torch.cat([distinct[:3], distinct[:1].expand(3, -1, -1, -1, -1)])  # 4 copies of clip 0, 2 others
    assert diversity(half)["duplicate_fraction"] == pytest.approx(4 / 6)
    still = diversity(moving_clips(6, frames=6, size=32, speed=0, seed=3))
    assert still["frame_spread"] == 0.0 and still["static_fraction"] == 1.0 and still["duplicate_fraction"] == 0.0


def test_subsampling_is_seeded_and_small_sets_refused():
    x = moving_clips(12, frames=4, size=32, speed=1, seed=4)
    a = diversity(x, max_clips=5, seed=0)
    assert a == diversity(iter([x[:7], x[7:]]), max_clips=5, seed=0) and a["clips"] == 5.0
    with pytest.raises(GenvidError, match="at least 2 clips"):
        diversity(x[:1])
