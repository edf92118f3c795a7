"""The blind noise-level estimator: accurate on Gaussian noise of any level, colour or grey, per frame."""
import numpy as np
import pytest
import torch

from conftest import smooth_clip, to_clip_tensor
from genvid.models.noise_level import diagonal_band, estimate_noise_level


def test_diagonal_band_is_orthonormal_on_white_noise():
    n = torch.randn(1, 3, 512, 512, generator=torch.Generator().manual_seed(0)) * 7
    hh = diagonal_band(n)
    assert hh.shape == (1, 3, 256, 256)
    assert hh.std().item() == pytest.approx(7, rel=0.02)
    assert diagonal_band(torch.ones(1, 1, 5, 7)).abs().max() == 0, "flat frames have no diagonal detail"


@pytest.mark.parametrize("sigma", [0, 5, 15, 25, 50])
@pytest.mark.parametrize("grey", [False, True])
def test_estimate_within_tolerance(sigma, grey):
    clean = smooth_clip(t=3, h=128, w=160).astype(np.float64)
    rng = np.random.default_rng(sigma)
    noise = rng.standard_normal(clean.shape[:-1] + ((1,) if grey else (3,))) * sigma
    noisy = np.clip(np.round(clean + noise), 0, 255).astype(np.uint8)
    est = estimate_noise_level(to_clip_tensor(noisy)[0])
    assert est.shape == (3,)
    # a smooth clip and rounding to 8 bits: about 0.3 at sigma 0; within 4% (or 0.6) above
    assert torch.all((est - sigma).abs() <= max(0.6, 0.04 * sigma)), (sigma, grey, est)


def test_tiny_frames_give_zero():
    assert estimate_noise_level(torch.rand(2, 3, 1, 9)).tolist() == [0.0, 0.0]
