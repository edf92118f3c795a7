"""Fréchet Video Distance (Unterthiner et al. 2018) with the Kinetics-400 I3D that StyleGAN-V and DIGAN use.

The network is the TorchScript export of the tf.hub I3D (`i3d_torchscript.pt`, published with
StyleGAN-V at https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1).  genvid never
downloads it: the file comes from the `i3d` argument (`--i3d PATH` on the command line), else
`$GENVID_I3D`; without one, a one-line GenvidError says where to get it.  It is read with
`torch.jit.load`, so the file is trusted code: use the published file.

Protocol (StyleGAN-V, `src/metrics/frechet_video_distance.py` and `metric_utils.py`): clips in [0, 1]
are rounded to 8-bit values 0..255, laid out (N, 3, T, H, W) as uint8, and the detector is called with
`rescale=True, resize=True, return_features=True`: it maps 0..255 to [-1, 1] and resizes frames to
224x224 itself, and returns the 400 Kinetics logits before the softmax (the `RGB/inception_i3d/Mean`
tensor that the original TensorFlow FVD uses).  Clips need at least 9 frames (the I3D halves time three
times before a temporal pooling of 2); StyleGAN-V reports 16-frame clips.  Each set's features are fitted
by a Gaussian (mean and covariance with 1/N, as StyleGAN-V's FeatureStats) and

    FVD = |mu_r - mu_g|^2 + tr(S_r) + tr(S_g) - 2 tr((S_r S_g)^(1/2)).

The trace of the square root uses scipy.linalg.sqrtm when scipy is installed, else the exact identity
tr((S_r S_g)^(1/2)) = sum of the square roots of the eigenvalues of S_r^(1/2) S_g S_r^(1/2).
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from einops import rearrange

from ..errors import GenvidError
from .clips import iter_batches

ENV_VAR = "GENVID_I3D"
I3D_URL = "https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1"
I3D_KWARGS = {"rescale": True, "resize": True, "return_features": True}  # StyleGAN-V's call
MIN_FRAMES = 9
FEATURES = 400


def find_i3d(path: str | Path | None = None) -> Path:
    """The I3D file to use (`path`, else $GENVID_I3D), or a one-line GenvidError saying how to get one."""
    explicit = path or os.environ.get(ENV_VAR) or None
    if not explicit:
        raise GenvidError(f"FVD needs the Kinetics-400 I3D file i3d_torchscript.pt (StyleGAN-V's): download "
                          f"{I3D_URL} and pass it with --i3d PATH or set {ENV_VAR} (genvid never downloads)")
    p = Path(explicit)
    if not p.is_file():
        source = "--i3d / the i3d argument" if path else f"${ENV_VAR}"
        raise GenvidError(f"I3D file not found: {p} (from {source}); get i3d_torchscript.pt from {I3D_URL}")
    return p


def i3d_available(path: str | Path | None = None) -> str | None:
    """None when an I3D file is given (argument or $GENVID_I3D) and exists, else the one-line reason."""
    try:
        find_i3d(path)
    except GenvidError as e:
        return str(e)
    return None


def load_i3d(path: str | Path | None = None, device="cpu") -> torch.jit.ScriptModule:
    """The TorchScript I3D from `path` (or $GENVID_I3D), in eval mode on `device`."""
    p = find_i3d(path)
    try:
        with warnings.catch_warnings():  # torch 2.x marks torch.jit as deprecated; the file is TorchScript
            warnings.simplefilter("ignore", FutureWarning)
            model = torch.jit.load(str(p), map_location=torch.device(device))
    except Exception as e:  # not a TorchScript archive, or damaged
        raise GenvidError(f"cannot load {p} as TorchScript: {str(e).splitlines()[0]}") from None
    return model.eval()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def to_detector_input(x: torch.Tensor) -> torch.Tensor:
    """(N, T, 3, H, W) in [0, 1] -> (N, 3, T, H, W) uint8 0..255, the input of StyleGAN-V's detector call."""
    if x.shape[1] < MIN_FRAMES:
        raise GenvidError(f"FVD needs clips of at least {MIN_FRAMES} frames (the I3D pools time down 8x and "
                          f"then by 2); got {x.shape[1]}")
    return rearrange((x * 255).round().clamp(0, 255).to(torch.uint8), "n t c h w -> n c t h w")


@torch.no_grad()
def i3d_features(clips, detector, batch_size: int = 16, device="cpu", name: str = "clips") -> np.ndarray:
    """(N, 400) float64 I3D logits of a set of clips (a tensor or an iterable of batches)."""
    out = []
    for batch in iter_batches(clips, name, batch_size):
        f = detector(to_detector_input(batch).to(device), **I3D_KWARGS)
        if not isinstance(f, torch.Tensor) or f.shape != (batch.shape[0], FEATURES):
            shape = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise GenvidError(f"the I3D returned {shape} for {batch.shape[0]} clips, not ({batch.shape[0]}, "
                              f"{FEATURES}) Kinetics logits: is it i3d_torchscript.pt from {I3D_URL}?")
        out.append(f.double().cpu().numpy())
    if not out:
        raise GenvidError(f"{name}: no clips")
    return np.concatenate(out)


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (normalised by N, as StyleGAN-V) of (N, D) features."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise GenvidError(f"a Gaussian fit needs at least 2 feature rows, got shape {x.shape}")
    mu = x.mean(0)
    d = x - mu
    return mu, d.T @ d / x.shape[0]


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray, use_scipy: bool | None = None) -> float:
    """tr((S1 S2)^(1/2)) of two covariance matrices: scipy.linalg.sqrtm when available (or asked for),
    else the eigenvalues of S1^(1/2) S2 S1^(1/2), whose square roots sum to the same trace."""
    if use_scipy is None or use_scipy:
        try:
            from scipy.linalg import sqrtm
        except ImportError:
            if use_scipy:
                raise
        else:
            return float(np.real(np.trace(sqrtm(s1 @ s2))))
    r = _psd_sqrt(s1)
    w = np.linalg.eigvalsh((r @ s2 @ r + (r @ s2 @ r).T) / 2)
    return float(np.sqrt(np.clip(w, 0, None)).sum())


def frechet_distance(mu1, s1, mu2, s2, use_scipy: bool | None = None) -> float:
    """|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)) between two Gaussians."""
    mu1, mu2, s1, s2 = (np.asarray(a, dtype=np.float64) for a in (mu1, mu2, s1, s2))
    value = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2, use_scipy)
    return float(max(value, 0.0))


def fvd_from_features(gen: np.ndarray, real: np.ndarray) -> float:
    return frechet_distance(*gaussian_fit(real), *gaussian_fit(gen))


def fvd(generated, real, i3d: str | Path | None = None, *, batch_size: int = 16, device="cpu") -> dict:
    """{"fvd", "generated", "real" (clip counts), "i3d_sha256"}: FVD of two sets of clips (N, T, 3, H, W) in
    [0, 1] (tensors or iterables of batches), with the I3D file `i3d` (else $GENVID_I3D)."""
    path = find_i3d(i3d)
    detector = load_i3d(path, device)
    g = i3d_features(generated, detector, batch_size, device, "generated clips")
    r = i3d_features(real, detector, batch_size, device, "real clips")
    return {"fvd": fvd_from_features(g, r), "generated": float(len(g)), "real": float(len(r)),
            "i3d_sha256": file_sha256(path)}
