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
            noise = lr2.float() - hr2.float()
            assert 0 <= sigmas[-1] <= 55 and float(noise.std()) < sigmas[-1] + 3
    given = [s for s in sigmas if not math.isnan(s)]
    assert 5 <= len(given) <= 15, "about half of the Gaussian half of the clips"
    always = ClipDataset([folder], build_degradation({"kind": "gaussian_noise"}, 1), 1, 3, 32, known_sigma_prob=1.0)
    assert all(not math.isnan(float(always[i][2])) for i in range(5))


def test_samples_are_uint8_and_a_cache_folder_memory_maps_the_same_clips(tmp_path):
    """With data.cache_dir every clip is decoded once into an .npy file that all processes memory-map (one copy
    in the page cache); the samples are the very ones of clips decoded into each process's memory."""
    from conftest import make_clip

    sources = [str(make_folder(tmp_path / "clip")), str(make_clip(tmp_path / "v.mp4", size="48x32", frames=4))]
    spec = build_degradation({"kind": "gaussian_noise"}, 1)
    plain = ClipDataset(sources, spec, 1, 3, 32, seed=2)
    cache = tmp_path / "cache"
    cached = ClipDataset(sources, spec, 1, 3, 32, seed=2, cache_dir=cache, part=(1, 2))  # starts at the 2nd clip
    files = sorted(cache.glob("*.npy"))
    assert len(files) == 2 and not list(cache.glob("*.tmp"))
    assert all(isinstance(c, np.memmap) and not c.flags.writeable for c in cached.clips)
    for i in range(6):
        (lr, hr), (lr2, hr2) = plain[i], cached[i]
        assert lr.dtype == hr.dtype == torch.uint8 and torch.equal(lr, lr2) and torch.equal(hr, hr2)
    stamps = [f.stat().st_mtime_ns for f in files]
    ClipDataset(sources, spec, 1, 3, 32, cache_dir=cache)
    assert [f.stat().st_mtime_ns for f in files] == stamps, "a filled cache is read, not decoded again"
