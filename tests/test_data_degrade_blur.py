import math

import numpy as np
import pytest
import torch

from genvid.data.degrade_blur import SHAPES, Blur, blur, gaussian_kernel, kernel_from_params, sinc_kernel
from genvid.errors import GenvidError


def test_every_sampled_kernel_is_odd_centred_and_sums_to_one():
    stage = Blur({"sinc_prob": 0.2})
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        p = stage.sample(rng)
        k = kernel_from_params(p)
        seen.add(p["shape"])
        assert p["size"] % 2 == 1 and 7 <= p["size"] <= 21
        assert k.shape == (p["size"], p["size"]) and k.dtype == torch.float32
        assert float(k.sum()) == pytest.approx(1.0, abs=1e-5)
        assert torch.allclose(k, torch.rot90(k, 2), atol=1e-7)  # every kernel is point-symmetric
    assert seen == set(SHAPES) | {"sinc"}


def test_isotropic_kernels_are_symmetric_under_flips_and_transpose():
    for k in (gaussian_kernel(11, 1.7), gaussian_kernel(11, 1.7, 1.7, 0.4, 2.0),
              gaussian_kernel(11, 1.7, 1.7, 0.0, 1.5, "plateau"), sinc_kernel(13, 1.2)):
        assert torch.allclose(k, k.flip(0), atol=1e-7) and torch.allclose(k, k.flip(1), atol=1e-7)
        assert torch.allclose(k, k.T, atol=1e-7)


def test_kornias_isotropic_gaussian_matches_the_general_formula():
    general = gaussian_kernel(9, 1.3, 1.3 + 1e-9)  # not equal sigmas: the formula path
    assert torch.allclose(gaussian_kernel(9, 1.3), general, atol=1e-6)


def test_anisotropic_kernel_follows_its_rotation():
    flat = gaussian_kernel(15, 4.0, 0.5, 0.0)  # long along x
    assert torch.allclose(flat, flat.flip(0)) and torch.allclose(flat, flat.flip(1))
    assert flat[7, 11] > 10 * flat[11, 7]
    turned = gaussian_kernel(15, 4.0, 0.5, math.pi / 2)
    assert torch.allclose(turned, flat.T, atol=1e-6)
    diagonal = gaussian_kernel(15, 4.0, 0.5, math.pi / 4)
    assert not torch.allclose(diagonal, diagonal.flip(1), atol=1e-4)
    assert torch.allclose(diagonal, torch.rot90(diagonal, 2), atol=1e-7)


def test_generalized_beta_changes_the_tails():
    peaky, gauss, flat = (gaussian_kernel(21, 2.0, 2.0, 0.0, b) for b in (0.5, 1.0, 4.0))
    tail, shoulder = (lambda k: float(k[10, 16] / k[10, 10])), (lambda k: float(k[10, 11] / k[10, 10]))
    assert tail(peaky) > tail(gauss) > tail(flat)  # heavier tails below beta 1, lighter above
    assert shoulder(flat) > shoulder(gauss) > shoulder(peaky)  # a flatter top above beta 1


def test_sinc_cutoff_controls_its_width():
    wide, narrow = sinc_kernel(21, math.pi / 4), sinc_kernel(21, math.pi * 0.9)
    assert wide[10, 10] < narrow[10, 10]
    assert float(wide.min()) < 0  # ringing lobes
    with pytest.raises(GenvidError, match="cutoff"):
        sinc_kernel(21, 4.0)


def test_blur_keeps_flat_frames_flat_on_any_size():
    for size in (64, 5, 1):
        x = torch.full((3, 3, size, size), 0.3)
        y = blur(x, gaussian_kernel(21, 3.0, 1.0, 0.5))
        assert y.shape == x.shape and torch.allclose(y, x, atol=1e-6)


def test_blur_gives_every_frame_the_same_kernel():
    frame = torch.rand(1, 3, 32, 32)
    out = blur(frame.expand(4, -1, -1, -1), sinc_kernel(9, 1.0))
    assert all(torch.equal(out[0], out[i]) for i in range(4))
    assert not torch.allclose(out[0], frame[0], atol=1e-2)


def test_stage_options():
    assert Blur({"prob": 0.0}).sample(np.random.default_rng(0)) is None
    assert {Blur({"size": [7, 7]}).sample(np.random.default_rng(s))["size"] for s in range(5)} == {7}
    for bad in ({"size": [8, 8]}, {"size": [7, 99]}, {"shapes": ["box"]}, {"sigma": [0, 1]}, {"blur": 1}):
        with pytest.raises(GenvidError):
            Blur(bad)
