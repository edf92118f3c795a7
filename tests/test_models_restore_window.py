"""The scale-1 restoration network: shapes, noise-level inputs, blind against given sigma, streaming and
tiling equal to forward, the receptive radius, and the shipped denoiser's blind output (when shipped)."""
import numpy as np
import pytest
import torch

from conftest import REPO, smooth_clip, to_clip_tensor
from genvid.engine.frames import tensor_to_frame
from genvid.engine.stream import Streamer
from genvid.engine.window import WindowModel
from genvid.errors import GenvidError
from genvid.metrics.restore_protocol import add_gaussian_noise
from genvid.models import SlidingWindowRestore
from genvid.models.noise_level import estimate_noise_level
from genvid.models.registry import gflops_per_frame


def tiny(noise_map=True, radius=2, seed=0):
    torch.manual_seed(seed)
    m = SlidingWindowRestore(channels=8, blocks=1, radius=radius, noise_map=noise_map).eval()
    m.tail.reset_parameters()  # built at zero (the identity); random, and large enough to be visible, so
    with torch.no_grad():  # that the equalities below are not trivially of the input
        m.tail.weight.mul_(20)
    return m


@pytest.mark.parametrize("h,w", [(16, 24), (11, 13), (1, 1)])
def test_shape_is_kept_for_even_and_odd_sizes(h, w):
    m = tiny()
    x = torch.rand(2, 4, 3, h, w)
    with torch.no_grad():
        for level in (None, 25.0, torch.tensor([5.0, 40.0]), torch.rand(2, 4) * 50):
            assert m(x, noise_level=level).shape == x.shape
    assert m.scale == 1 and m.window_radius == 2 and m.input_multiple == 2


def test_single_frame_clip_and_radius_one():
    m = tiny(noise_map=False, radius=1)
    with torch.no_grad():
        assert m(torch.rand(1, 1, 3, 8, 8)).shape == (1, 1, 3, 8, 8)


def test_an_untrained_network_is_the_identity():
    m = SlidingWindowRestore(channels=8, blocks=1, radius=2, noise_map=True)
    x = torch.rand(1, 3, 3, 10, 14)
    with torch.no_grad():
        assert torch.equal(m(x), x) and torch.equal(m(x, noise_level=30.0), x)


def test_noise_level_changes_the_output_only_with_a_noise_map():
    x = torch.rand(1, 3, 3, 16, 16)
    with torch.no_grad():
        m = tiny()
        assert not torch.allclose(m(x, noise_level=5.0), m(x, noise_level=45.0))
        plain = tiny(noise_map=False)
        assert torch.equal(plain(x, noise_level=5.0), plain(x, noise_level=45.0))


def test_blind_estimate_is_close_to_the_true_sigma_and_blind_output_is_the_estimate_output():
    """Blind against given sigma: on a clip with Gaussian noise of sigma 25 the estimate is within 1.5 of
    25, and the blind output is exactly the output given that estimate, so close to the one given 25."""
    clean = smooth_clip()
    noisy = add_gaussian_noise(clean, 25, np.random.default_rng(1))
    x = to_clip_tensor(noisy)
    estimate = estimate_noise_level(x[0])
    assert estimate.shape == (5,) and torch.all((estimate - 25).abs() < 1.5), estimate
    m = tiny()
    with torch.no_grad():
        blind, given_estimate, given_25 = m(x), m(x, noise_level=estimate[None]), m(x, noise_level=25.0)
        far = m(x, noise_level=2.0)
    assert torch.equal(blind, given_estimate)
    assert (blind - given_25).abs().max() < 0.5 * (far - given_25).abs().max()


def test_streaming_equals_forward_blind_given_and_with_strength():
    m = tiny()
    clip = add_gaussian_noise(smooth_clip(t=6, h=18, w=22), 20, np.random.default_rng(2))
    x = to_clip_tensor(clip)
    with torch.no_grad():
        estimate = estimate_noise_level(x[0])
        cases = [(WindowModel(m), m(x)), (WindowModel(m, sigma=12.0), m(x, noise_level=12.0)),
                 (WindowModel(m, strength=0.5), m(x, noise_level=0.5 * estimate[None]))]
    for wm, ref in cases:
        out = list(Streamer(wm, "cpu").run(iter(clip)))
        assert len(out) == 6
        for a, b in zip(out, ref[0]):
            assert np.abs(a.astype(int) - tensor_to_frame(b).astype(int)).max() <= 1


def test_tiled_equals_untiled_with_one_noise_level_per_frame():
    """Tiles start on the unshuffle grid and share the whole frame's estimate: the same output as untiled."""
    m = tiny()
    wm = WindowModel(m)
    clip = add_gaussian_noise(smooth_clip(t=4, h=45, w=61), 30, np.random.default_rng(3))
    whole = list(Streamer(wm, "cpu").run(clip))
    tiled = list(Streamer(wm, "cpu", tile=15).run(clip))
    assert Streamer(wm, "cpu", tile=15).tile == 16 and Streamer(wm, "cpu", tile=15).overlap % 2 == 0
    for a, b in zip(whole, tiled):
        assert a.shape == b.shape == (45, 61, 3)
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_receptive_radius_bounds_the_influence_of_a_pixel():
    m = tiny(noise_map=False, radius=0)
    r = m.receptive_radius
    assert r == 1 + 2 * 7  # 7 convs on the half grid: encoder 1 + 2, fuse 1, body 2, tail 1
    x = torch.rand(1, 1, 3, 2 * r + 12, 2 * r + 12)
    y = x.clone()
    y[..., r + 6, r + 6] += 0.5
    with torch.no_grad():
        diff = (m(x) - m(y)).abs().amax(dim=(0, 1, 2))
    rows, cols = torch.nonzero(diff > 0, as_tuple=True)
    assert rows.min() >= 6 and rows.max() <= 2 * r + 6 and cols.min() >= 6 and cols.max() <= 2 * r + 6


def test_bad_sigma_and_strength_are_refused():
    m = tiny()
    with pytest.raises(GenvidError, match="--sigma"):
        WindowModel(m, sigma=-1.0)
    with pytest.raises(GenvidError, match="--strength"):
        WindowModel(m, strength=0.0)


def test_gflops_count_matches_hand_count():
    m = SlidingWindowRestore(channels=8, blocks=1, radius=2, noise_map=True)
    convs = [m.encoder[0], m.encoder[2].conv1, m.encoder[2].conv2, m.fuse[0], m.body[0].conv1, m.body[0].conv2,
             m.tail]
    macs = sum(c.in_channels * c.out_channels * 9 for c in convs)
    assert gflops_per_frame(m, 20, 20) == pytest.approx(2 * macs * 100 / 1e9, rel=0.02)  # on the 10x10 grid


def test_shipped_denoiser_blind_output_is_close_to_given_sigma():
    """With the trained `denoise` weights: blind on sigma-25 noise is within 0.5 dB of being told sigma 25."""
    if not (REPO / "weights" / "denoise.safetensors").exists():
        pytest.skip("weights/denoise.safetensors is not shipped yet (train it with recipes/denoise.yaml)")
    from genvid.metrics.fidelity import frame_scores
    from genvid.models import load_model

    m = load_model("denoise")
    clean = smooth_clip(t=5, h=64, w=96)
    x = to_clip_tensor(add_gaussian_noise(clean, 25, np.random.default_rng(4)))
    with torch.no_grad():
        outs = [m(x, noise_level=level)[0] for level in (None, 25.0)]
    psnr = [np.mean([frame_scores(tensor_to_frame(f), c)["psnr_rgb"] for f, c in zip(o, clean)]) for o in outs]
    assert abs(psnr[0] - psnr[1]) < 0.5, psnr
