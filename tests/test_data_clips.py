"""ClipDataset's optional third item: the true sigma of exactly Gaussian clips, with the recipe's chance."""
import math

import numpy as np
import torch
from PIL import Image

from genvid.data.clips import ClipDataset
from genvid.data.degrade import build_degradation


def make_folder(root, t=5, h=40, w=48):
    rng = np.random.default_rng(0)
    root.mkdir()
    for i in range(t):
        Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).save(root / f"im{i + 1}.png")
    return root


def test_known_sigma_is_reported_with_its_chance_and_never_for_other_noise(tmp_path):
    folder = str(make_folder(tmp_path / "clip"))
    spec = {"kind": "one_of", "choices": [{"kind": "gaussian_noise", "sigma": [0, 55]},
                                          {"kind": "noise", "kinds": ["poisson"]}]}
    plain = ClipDataset([folder], build_degradation(spec, 1), 1, 3, 32, seed=1)
    known = ClipDataset([folder], build_degradation(spec, 1), 1, 3, 32, seed=1, known_sigma_prob=0.5)
    sigmas = []
    for i in range(40):
        lr, hr = plain[i]
        lr2, hr2, sigma = known[i]
        assert torch.equal(lr, lr2) and torch.equal(hr, hr2), "the third item draws after the clip"
        assert sigma.shape == () and sigma.dtype == torch.float32
        sigmas.append(float(sigma))
        if not math.isnan(sigmas[-1]):
            noise = (lr2 - hr2) * 255
            assert 0 <= sigmas[-1] <= 55 and float(noise.std()) < sigmas[-1] + 3
    given = [s for s in sigmas if not math.isnan(s)]
    assert 5 <= len(given) <= 15, "about half of the Gaussian half of the clips"
    always = ClipDataset([folder], build_degradation({"kind": "gaussian_noise"}, 1), 1, 3, 32, known_sigma_prob=1.0)
    assert all(not math.isnan(float(always[i][2])) for i in range(5))
