"""Motion statistics on clips whose motion is known: still clips, textures translated k pixels per frame."""
import numpy as np
import pytest
from clip_patterns import moving_clips

from genvid.errors import GenvidError
from genvid.metrics.motion_stats import clip_motion, motion_stats, summarise, wasserstein1


def test_static_clips_have_no_frame_difference_and_no_flow():
    m = clip_motion(moving_clips(4, frames=5, size=32, speed=0))
    assert np.all(m["frame_diff"] == 0) and np.all(np.abs(m["flow"]) < 1e-6)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_pattern_moving_k_pixels_per_frame_has_flow_k(k):
    m = clip_motion(moving_clips(4, frames=4, size=48, speed=k, seed=k))  # along +x, +y, -x, -y
    assert m["flow"] == pytest.approx(np.full(4, float(k)), abs=0.1 * k)
    assert np.all(m["frame_diff"] > 0.02)


def test_wasserstein1_closed_forms():
    a = np.array([0.0, 1.0, 2.0, 3.0])
    assert wasserstein1(a, a) == 0.0
    assert wasserstein1(a, a + 0.5) == pytest.approx(0.5)  # a shift moves every quantile by the shift
    assert wasserstein1([0.0], [0.0, 1.0]) == pytest.approx(0.5)  # half the mass moves by 1
    assert wasserstein1([0.0, 0.0, 3.0], [1.0]) == pytest.approx((1 + 1 + 2) / 3)


def test_distance_is_zero_for_the_same_set_and_grows_with_the_speed_gap():
    real = moving_clips(8, frames=4, size=32, speed=1, seed=0)
    same = motion_stats(real, real)
    assert same["w1"] == {"frame_diff": 0.0, "flow": 0.0}
    gaps = [motion_stats(moving_clips(8, frames=4, size=32, speed=s, seed=1), real)["w1"]["flow"] for s in (1, 2, 3)]
    assert gaps[0] < 0.15 and gaps[0] < gaps[1] < gaps[2]
    assert gaps[2] == pytest.approx(2.0, abs=0.3)  # speed 3 against speed 1
    assert set(same["real"]["flow"]) == {"mean", "std", "p5", "p25", "p50", "p75", "p95"}


def test_iterables_of_batches_give_the_same_values_and_sizes_must_match():
    real = moving_clips(6, frames=4, size=32, speed=2, seed=2)
    whole = motion_stats(real, real)
    batched = motion_stats(iter([real[:4], real[4:]]), real)
    assert batched["generated"]["flow"] == pytest.approx(whole["generated"]["flow"], rel=1e-5)
    with pytest.raises(GenvidError, match="32x32.*48x48"):
        motion_stats(real, moving_clips(2, frames=4, size=48))


def test_summary_is_plain_floats():
    s = summarise(np.arange(101.0))
    assert s["p50"] == 50.0 and s["p5"] == 5.0 and all(type(v) is float for v in s.values())
