"""PSNR and SSIM follow their definitions on hand-computed cases."""
import math

import numpy as np
import pytest

from genvid.metrics.fidelity import frame_scores, rgb_to_y, to_float255


def test_identical_frames():
    f = (np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8)
    s = frame_scores(f, f)
    assert math.isinf(s["psnr_y"]) and math.isinf(s["psnr_rgb"])
    assert s["ssim_y"] == pytest.approx(1.0) and s["ssim_rgb"] == pytest.approx(1.0)


def test_constant_offset_psnr():
    a = np.full((16, 16, 3), 100, np.uint8)
    b = a + 10
    # RGB: mse 100 -> 10 log10(255^2 / 100); Y: offset scaled by the sum of the luma weights / 255
    assert frame_scores(a, b)["psnr_rgb"] == pytest.approx(10 * math.log10(255**2 / 100))
    dy = 10 * (65.481 + 128.553 + 24.966) / 255
    assert frame_scores(a, b)["psnr_y"] == pytest.approx(10 * math.log10(255**2 / dy**2))


def test_luma_of_white_and_black():
    white = to_float255(np.full((2, 2, 3), 255, np.uint8))
    black = to_float255(np.zeros((2, 2, 3), np.uint8))
    assert rgb_to_y(white).mean().item() == pytest.approx(235.0)
    assert rgb_to_y(black).mean().item() == pytest.approx(16.0)


def test_crop_and_size_mismatch():
    a = np.zeros((20, 20, 3), np.uint8)
    b = a.copy()
    b[0, :] = 255  # only the border differs
    assert math.isinf(frame_scores(a, b, crop=4)["psnr_rgb"])
    with pytest.raises(ValueError):
        frame_scores(a, np.zeros((10, 10, 3), np.uint8))


def test_ssim_drops_with_noise():
    rng = np.random.default_rng(0)
    a = np.full((48, 48, 3), 120, np.uint8)
    noisy = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    s = frame_scores(noisy, a)
    assert 0 < s["ssim_rgb"] < 0.5 and 15 < s["psnr_rgb"] < 25


def test_known_noise_psnr():
    """A checkerboard of +-5 on every channel: MSE 25 on RGB; on Y the error is +-5 * 219 / 255."""
    a = np.full((32, 32, 3), 120, np.uint8)
    sign = np.where((np.add.outer(np.arange(32), np.arange(32)) % 2) == 0, 5, -5)[..., None]
    b = (a.astype(int) + sign).astype(np.uint8)
    s = frame_scores(b, a)
    assert s["psnr_rgb"] == pytest.approx(10 * math.log10(255**2 / 25))  # 34.15 dB
    dy = 5 * (65.481 + 128.553 + 24.966) / 255
    assert s["psnr_y"] == pytest.approx(10 * math.log10(255**2 / dy**2))


def test_gaussian_noise_psnr_matches_its_sigma():
    """Rounded Gaussian noise of sigma 8 on mid-grey (no clipping): MSE = 8^2 + 1/12 in expectation."""
    rng = np.random.default_rng(1)
    a = np.full((256, 256, 3), 128, np.uint8)
    b = np.round(a + rng.normal(0, 8, a.shape)).astype(np.uint8)
    assert frame_scores(b, a)["psnr_rgb"] == pytest.approx(10 * math.log10(255**2 / (64 + 1 / 12)), abs=0.05)


def test_ssim_of_flat_frames_is_the_luminance_term():
    """Flat frames have no variance, so SSIM = (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1), C1 = (0.01 * 255)^2."""
    a, b = np.full((24, 24, 3), 100, np.uint8), np.full((24, 24, 3), 110, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert frame_scores(a, b)["ssim_rgb"] == pytest.approx((2 * 100 * 110 + c1) / (100**2 + 110**2 + c1), abs=1e-6)
