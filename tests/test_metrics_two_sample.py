"""Classifier two-sample test: chance for one distribution, near 1 for clearly different ones, seeded."""
import math

import pytest
from clip_patterns import moving_clips

from genvid.errors import GenvidError
from genvid.metrics.two_sample import binomial_p_value, two_sample_test, wilson_interval


def test_two_draws_of_one_distribution_score_chance():
    a = moving_clips(96, frames=8, size=32, speed=1, seed=10)
    b = moving_clips(96, frames=8, size=32, speed=1, seed=11)
    r = two_sample_test(a, b, seed=0)
    assert r["n_test"] == 96 and r["per_side"] == 96 and r["n_train"] == 96
    # held-out correct count ~ Binomial(96, 1/2) under the null: sd 0.051, so 0.2 is about 4 sd
    assert abs(r["accuracy"] - 0.5) < 0.2
    assert r["ci_low"] < 0.5 < r["ci_high"] and r["p_value"] > 0.001


@pytest.mark.parametrize("other", [{"speed": 2}, {"speed": 0, "colour": (1.0, 0.8, 0.8)}], ids=["moving", "tinted"])
def test_clearly_different_sets_are_told_apart(other):
    still = moving_clips(64, frames=8, size=32, speed=0, seed=20)
    r = two_sample_test(still, moving_clips(64, frames=8, size=32, seed=21, **other), seed=0)
    assert r["accuracy"] > 0.9 and r["p_value"] < 1e-6 and r["ci_low"] > 0.75


def test_results_follow_the_seed_and_sets_are_balanced():
    a = moving_clips(40, frames=8, size=32, speed=1, seed=30)
    b = moving_clips(24, frames=8, size=32, speed=1, seed=31)  # unequal sizes: both cut to 24
    r0 = two_sample_test(a, b, seed=0, epochs=2)
    assert r0 == two_sample_test(a, b, seed=0, epochs=2)
    assert r0["per_side"] == 24 and r0["n_test"] == 24
    assert two_sample_test(a, b, seed=1, epochs=2) != r0
    with pytest.raises(GenvidError, match="at least 4 clips"):
        two_sample_test(a[:3], b)


def test_large_clips_are_reduced_and_iterables_accepted():
    a = moving_clips(16, frames=20, size=48, speed=1, seed=40)
    r = two_sample_test(iter([a[:8], a[8:]]), moving_clips(16, frames=20, size=48, speed=1, seed=41), epochs=1)
    assert r["n_test"] == 16


def test_interval_and_p_value_formulas():
    assert binomial_p_value(10, 10) == pytest.approx(2 ** -10)
    assert binomial_p_value(0, 10) == 1.0
    assert binomial_p_value(5, 10) == pytest.approx((252 + 210 + 120 + 45 + 10 + 1) / 1024)
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert math.isclose(sum(wilson_interval(50, 100)) / 2, 0.5)
