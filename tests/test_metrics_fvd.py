"""FVD: the Fréchet distance against closed forms, and the I3D plumbing with a stand-in TorchScript file.

The stand-in (clip_patterns.save_standin_i3d) has the real detector's call signature and returns 400
numbers per clip; it checks what it is given.  It is not I3D and no FVD of it means anything.
"""
import numpy as np
import pytest
import torch
from clip_patterns import save_standin_i3d

from genvid.errors import GenvidError
from genvid.metrics import fvd as fvd_mod
from genvid.metrics.fvd import (
    ENV_VAR,
    I3D_URL,
    frechet_distance,
    fvd,
    gaussian_fit,
    i3d_features,
    load_i3d,
    trace_sqrt_product,
)

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")  # torch 2.x on TorchScript
BOTH = [True, False]  # scipy.linalg.sqrtm, and the eigenvalue route used without scipy


def scipy_or_skip(use_scipy):
    if use_scipy:
        pytest.importorskip("scipy")


@pytest.mark.parametrize("use_scipy", BOTH)
def test_identical_gaussians_are_zero_apart(use_scipy):
    scipy_or_skip(use_scipy)
    x = np.random.default_rng(0).normal(size=(500, 6)) @ np.random.default_rng(1).normal(size=(6, 6))
    mu, s = gaussian_fit(x)
    assert frechet_distance(mu, s, mu, s, use_scipy) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("use_scipy", BOTH)
def test_shifted_means_give_the_squared_shift(use_scipy):
    scipy_or_skip(use_scipy)
    x = np.random.default_rng(2).normal(size=(300, 5))
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    mu1, s1 = gaussian_fit(x)
    mu2, s2 = gaussian_fit(x + shift)
    assert frechet_distance(mu1, s1, mu2, s2, use_scipy) == pytest.approx(np.sum(shift ** 2), rel=1e-9)


@pytest.mark.parametrize("use_scipy", BOTH)
def test_diagonal_and_general_covariances_match_the_closed_form(use_scipy):
    scipy_or_skip(use_scipy)
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, 2.0])
    expected = 5.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)  # |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b), use_scipy) == pytest.approx(expected, rel=1e-9)
    # a general pair: S2 = Q S1 Q^T with Q orthogonal commutes only by chance; check tr sqrt against an
    # independent route, the eigenvalues of S1 S2 (real, non-negative for covariances)
    rng = np.random.default_rng(3)
    m1, m2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    s1, s2 = m1 @ m1.T + np.eye(4), m2 @ m2.T + np.eye(4)
    expected_trace = np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    assert trace_sqrt_product(s1, s2, use_scipy) == pytest.approx(expected_trace, rel=1e-8)


def test_fit_uses_one_over_n_and_needs_two_rows():
    mu, s = gaussian_fit(np.array([[0.0], [2.0]]))
    assert mu[0] == 1.0 and s[0, 0] == 1.0  # ((0-1)^2 + (2-1)^2) / 2
    with pytest.raises(GenvidError):
        gaussian_fit(np.zeros((1, 3)))


@pytest.fixture
def standin_file(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    return save_standin_i3d(tmp_path / "standin_torchscript.pt")


def clips(seed, n=6, t=9, size=16):
    return torch.rand(n, t, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_the_stand_in_is_loaded_through_the_real_code_and_fed_as_stylegan_v(standin_file):
    detector = load_i3d(standin_file)
    a = i3d_features(clips(0), detector, batch_size=4)
    assert a.shape == (6, 400) and a.dtype == np.float64
    np.testing.assert_allclose(a, i3d_features(clips(0), detector, batch_size=6), rtol=1e-5, atol=1e-6)
    batches = [clips(0)[:2], clips(0)[2:]]  # an iterable of batches gives the same rows
    np.testing.assert_allclose(a, i3d_features(iter(batches), detector),
                               rtol=1e-5, atol=1e-6)
    assert np.array_equal(a, i3d_features(clips(0), detector, batch_size=4))  # deterministic
    x = clips(0)
    u8 = (x * 255).round().to(torch.uint8).permute(0, 2, 1, 3, 4)
    with torch.no_grad():
        direct = detector(u8, rescale=True, resize=True, return_features=True).double().numpy()
    np.testing.assert_allclose(a, direct, rtol=1e-5, atol=1e-6)  # a batch of 6, not 4 and 2


@pytest.mark.slow  # one of the slowest tests of the suite (see the README, Tests)
def test_fvd_through_the_env_var_is_deterministic_and_zero_for_the_same_set(standin_file, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(standin_file))
    r1 = fvd(clips(1, n=12), clips(2, n=12))
    r2 = fvd(clips(1, n=12), clips(2, n=12))
    assert r1 == r2 and r1["generated"] == 12.0 and len(r1["i3d_sha256"]) == 64
    assert fvd(clips(1, n=12), clips(1, n=12))["fvd"] == pytest.approx(0.0, abs=1e-6)
    brighter = (clips(1, n=12) * 0.5 + 0.5)
    assert fvd(brighter, clips(2, n=12))["fvd"] > r1["fvd"]


def test_missing_file_and_short_clips_are_one_line_errors(tmp_path, monkeypatch, standin_file):
    with pytest.raises(GenvidError) as e:
        fvd(clips(0), clips(1))
    msg = str(e.value)
    assert "\n" not in msg and I3D_URL in msg and "--i3d" in msg and ENV_VAR in msg
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere.pt"))
    with pytest.raises(GenvidError, match="not found.*nowhere.pt"):
        fvd(clips(0), clips(1))
    with pytest.raises(GenvidError, match="at least 9 frames"):
        fvd(clips(0, t=8), clips(1, t=8), i3d=standin_file)
    not_script = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(1)}, not_script)
    with pytest.raises(GenvidError, match="TorchScript"):
        load_i3d(not_script)


def test_a_detector_of_the_wrong_shape_is_refused(tmp_path):
    class Wrong(torch.nn.Module):
        def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                    return_features: bool = False) -> torch.Tensor:
            return x.float().mean(dim=(2, 3, 4))  # (N, 3), not 400 logits

    path = tmp_path / "wrong.pt"
    torch.jit.script(Wrong()).save(str(path))
    with pytest.raises(GenvidError, match="not \\(6, 400\\)"):
        i3d_features(clips(0), fvd_mod.load_i3d(path))
