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
