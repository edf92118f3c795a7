import numpy as np
import pytest
import torch

from genvid.data.degrade_resize import MODES, RandomResize, ResizeToLR, Sizes, resize
from genvid.errors import GenvidError

SIZES = Sizes(hr=(64, 96), lr=(16, 24))


def test_resize_gives_the_exact_size_in_every_mode():
    x = torch.rand(2, 3, 64, 96)
    for mode in MODES:
        assert resize(x, (16, 24), mode).shape == (2, 3, 16, 24)
        assert resize(x, (81, 7), mode).shape == (2, 3, 81, 7)
    assert resize(x, (64, 96), "bicubic") is x


def test_shrinking_is_antialiased():
    checker = torch.from_numpy(np.indices((64, 64)).sum(0) % 2).float()[None, None].expand(1, 3, -1, -1)
    for mode in MODES:
        small = resize(checker, (16, 16), mode)
        assert float((small - 0.5).abs().max()) < 0.02, mode  # the pixel-level pattern averages out


def test_random_factors_stay_in_range_and_follow_the_reference():
    stage = RandomResize({"range": [0.5, 1.25], "up": 0.5, "down": 0.5})
    rng = np.random.default_rng(0)
    factors = [stage.sample(rng)["factor"] for _ in range(200)]
    assert min(factors) >= 0.5 and max(factors) <= 1.25 and min(factors) < 0.6 and max(factors) > 1.15
    x = torch.rand(1, 3, 64, 96)
    assert stage.apply(x, {"factor": 0.5, "mode": "area"}, SIZES).shape[-2:] == (32, 48)
    lr_stage = RandomResize({"relative_to": "lr"})
    assert lr_stage.apply(x, {"factor": 0.5, "mode": "bilinear"}, SIZES).shape[-2:] == (8, 12)
    assert lr_stage.apply(x, {"factor": 0.01, "mode": "bilinear"}, SIZES).shape[-2:] == (2, 2)


def test_keep_means_the_reference_size():
    stage = RandomResize({"up": 0.0, "down": 0.0})
    p = stage.sample(np.random.default_rng(3))
    assert p["factor"] == 1.0
    assert stage.apply(torch.rand(1, 3, 64, 96), p, SIZES).shape[-2:] == (64, 96)


def test_resize_to_lr():
    stage = ResizeToLR({"modes": ["area"]})
    p = stage.sample(np.random.default_rng(0))
    assert p == {"mode": "area"}
    assert stage.apply(torch.rand(1, 3, 40, 40), p, SIZES).shape[-2:] == (16, 24)


def test_bad_options():
    for bad in ({"up": 0.6, "down": 0.6}, {"range": [1.2, 2]}, {"modes": ["lanczos"]}, {"relative_to": "x"}):
        with pytest.raises(GenvidError):
            RandomResize(bad)
