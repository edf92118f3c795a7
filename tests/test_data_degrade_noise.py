import numpy as np
import pytest
import torch
from kornia.color import rgb_to_ycbcr

from genvid.data.degrade_noise import Noise, gaussian_sigma
from genvid.errors import GenvidError


def flat(level: float, t: int = 4, size: int = 64) -> torch.Tensor:
    return torch.full((t, 3, size, size), level)


def params(spec: dict, seed: int = 0) -> dict:
    return Noise(spec).sample(np.random.default_rng(seed))


def test_gaussian_noise_has_the_drawn_sigma_on_a_flat_grey_frame():
    stage = Noise({"kinds": ["gaussian"], "sigma": [10, 40], "grey_prob": 0})
    for seed in range(3):
        p = stage.sample(np.random.default_rng(seed))
        noise = (stage.apply(flat(0.5), p) - 0.5) * 255
        assert float(noise.std()) == pytest.approx(p["sigma"], rel=0.03)
        assert abs(float(noise.mean())) < 0.5
        per_channel = noise.permute(1, 0, 2, 3).reshape(3, -1)
        assert abs(float(torch.corrcoef(per_channel)[0, 1])) < 0.05  # colour noise: channels independent


def test_grey_noise_is_the_same_in_every_channel():
    p = params({"kinds": ["gaussian"], "sigma": [20, 20], "grey_prob": 1.0})
    assert p["grey"]
    out = Noise().apply(flat(0.5), p)
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 1], out[:, 2])


def test_every_frame_gets_its_own_noise_from_the_clips_seed():
    stage = Noise({"kinds": ["gaussian"], "sigma": [20, 20]})
    p = stage.sample(np.random.default_rng(5))
    out = stage.apply(flat(0.5), p)
    assert abs(float(torch.corrcoef(out.reshape(4, -1))[0, 1])) < 0.05
    assert torch.equal(out, stage.apply(flat(0.5), p))  # a pure function of the parameters
    assert not torch.equal(out, stage.apply(flat(0.5), stage.sample(np.random.default_rng(6))))


def test_poisson_noise_follows_the_photon_count():
    stage = Noise({"kinds": ["poisson"], "peak": [400, 400], "grey_prob": 0})
    p = stage.sample(np.random.default_rng(0))
    assert p["peak"] == 400 and "sigma" not in p
    for level in (0.25, 0.64):
        out = stage.apply(flat(level), p)
        assert float(out.mean()) == pytest.approx(level, abs=0.003)
        assert float(out.std()) == pytest.approx(np.sqrt(level / 400), rel=0.05)


def test_poisson_gaussian_adds_the_two_variances():
    stage = Noise({"kinds": ["poisson_gaussian"], "peak": [400, 400], "sigma": [10, 10], "grey_prob": 0})
    out = stage.apply(flat(0.25), stage.sample(np.random.default_rng(1)))
    assert float(out.std()) == pytest.approx(np.sqrt(0.25 / 400 + (10 / 255) ** 2), rel=0.05)


def test_chroma_noise_leaves_luma_alone_and_is_low_passed():
    stage = Noise({"kinds": ["gaussian"], "sigma": [0, 0], "chroma_prob": 1.0, "chroma_sigma": [12, 12],
                   "chroma_blur": [1.5, 1.5]})
    ycc = rgb_to_ycbcr(stage.apply(flat(0.5), stage.sample(np.random.default_rng(2)))) * 255
    assert float(ycc[:, 0].std()) < 0.01
    cb = ycc[:, 1] - ycc[:, 1].mean()
    assert float(cb.std()) == pytest.approx(12, rel=0.1)
    neighbour = float((cb[:, :, 1:] * cb[:, :, :-1]).mean() / cb.var())
    assert neighbour > 0.7  # blotches, not pixel-level noise


def test_noise_stays_in_range_and_prob_zero_skips():
    out = Noise({"kinds": ["gaussian"], "sigma": [50, 50]}).apply(flat(0.98), params({"sigma": [50, 50]}))
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert params({"prob": 0.0}) is None
    with pytest.raises(GenvidError):
        Noise({"kinds": ["speckle"]})


def test_gaussian_sigma_sums_noise_stages_in_quadrature():
    p = {"stages": [{"type": "noise", "kind": "gaussian", "sigma": 3.0}, {"type": "blur", "sigma_x": 2.0},
                    {"type": "noise", "kind": "poisson", "peak": 100.0}, {"type": "noise", "sigma": 4.0}]}
    assert gaussian_sigma(p) == pytest.approx(5.0)
    assert gaussian_sigma({"stages": []}) == 0.0


def test_exact_gaussian_sigma_only_for_pure_gaussian_chains():
    from genvid.data.degrade import build_degradation
    from genvid.data.degrade_noise import exact_gaussian_sigma

    rng = np.random.default_rng(0)
    p = build_degradation({"kind": "gaussian_noise", "sigma": [20, 20]}, 1).sample(rng)
    assert exact_gaussian_sigma(p) == pytest.approx(20)
    two = build_degradation({"kind": "chain", "stages": [{"type": "noise", "kinds": ["gaussian"], "sigma": [3, 3]},
                                                         {"type": "noise", "kinds": ["gaussian"], "sigma": [4, 4]}]}, 1)
    assert exact_gaussian_sigma(two.sample(rng)) == pytest.approx(5), "independent noises add in quadrature"
    for stages in ([{"type": "noise", "kinds": ["poisson_gaussian"]}],
                   [{"type": "noise", "kinds": ["gaussian"], "chroma_prob": 1.0}],
                   [{"type": "noise", "kinds": ["gaussian"]}, {"type": "compress", "jpeg_prob": 1.0}],
                   [{"type": "blur"}, {"type": "noise", "kinds": ["gaussian"]}]):
        p = build_degradation({"kind": "chain", "stages": stages}, 1).sample(rng)
        assert exact_gaussian_sigma(p) is None, stages
