"""The denoising and restoration protocols: fixed-seed noise, real H.264, the input scored as the
baseline, the model run through the streamer; and the numbers on the shared data when it is here."""
import numpy as np
import pytest

from conftest import shared_path, smooth_clip
from genvid.errors import GenvidError
from genvid.io.image_folder import write_image
from genvid.metrics.restore_protocol import (
    add_gaussian_noise,
    evaluate_denoise,
    evaluate_pair,
    evaluate_restore,
    run_model,
)
from genvid.models import SlidingWindowRestore


def identity_model(noise_map=True):
    """An untrained restoration network: its correction starts at zero, so its output is its input."""
    return SlidingWindowRestore(channels=8, blocks=1, radius=1, noise_map=noise_map)


@pytest.fixture
def val_root(tmp_path):
    root = tmp_path / "val"
    for k in range(2):
        folder = root / f"clip{k}"
        folder.mkdir(parents=True)
        for i, frame in enumerate(smooth_clip(t=3, h=64, w=80, seed=k)):
            write_image(folder / f"im{i + 1}.png", frame)
    return root


def test_gaussian_noise_is_clipped_rounded_and_fixed_by_the_seed():
    clean = np.full((2, 64, 64, 3), 128, np.uint8)
    a = add_gaussian_noise(clean, 30, np.random.default_rng(7))
    b = add_gaussian_noise(clean, 30, np.random.default_rng(7))
    assert a.dtype == np.uint8 and np.array_equal(a, b)
    assert (a.astype(float) - 128).std() == pytest.approx(30, rel=0.03)
    assert add_gaussian_noise(np.zeros((1, 8, 8, 3), np.uint8), 50, np.random.default_rng(0)).min() == 0


def test_denoise_protocol_scores_the_input_as_baseline(val_root):
    r = evaluate_denoise(identity_model(), val_root, sigmas=(10, 30))
    assert r["clips"] == 2 and r["sigma"] == 30 and set(r["by_sigma"]) == {"10", "30"}
    for s in ("10", "30"):
        assert r["by_sigma"][s]["model"] == pytest.approx(r["by_sigma"][s]["input"]), "identity scores as its input"
    assert r["model"] == r["by_sigma"]["30"]["model"] and {"psnr_rgb", "psnr_y", "ssim_rgb", "tof"} <= set(r["model"])
    # AWGN of sigma 10 on a field inside 50..200 (no clipping): 20 log10(255 / 10) = 28.13 dB RGB
    assert r["by_sigma"]["10"]["input"]["psnr_rgb"] == pytest.approx(28.13, abs=0.1)
    assert r["by_sigma"]["10"]["input"]["psnr_y"] > r["by_sigma"]["10"]["input"]["psnr_rgb"], "Y averages noise"
    again = evaluate_denoise(None, val_root, sigmas=(30,))
    assert "model" not in again and again["input"] == r["by_sigma"]["30"]["input"]
    with pytest.raises(GenvidError, match="sigmas"):
        evaluate_denoise(None, val_root, sigmas=())


def test_restore_protocol_uses_h264_and_scores_the_input(val_root):
    r = evaluate_restore(identity_model(noise_map=False), val_root, crf=37)
    assert r["clips"] == 2 and r["crf"] == 37 and r["codec"] == "libx264"
    assert r["model"] == pytest.approx(r["input"])
    better = evaluate_restore(None, val_root, crf=23)["input"]["psnr_y"]
    assert better > r["input"]["psnr_y"] + 1, "CRF 23 keeps more than CRF 37"


def test_lpips_and_tlp_for_model_and_input_when_the_backbone_is_found(val_root, tmp_path, random_lpips_backbone):
    """Plumbing (a random backbone): both protocols give the keys to the model and its input, at every sigma;
    a missing backbone file leaves them out with one note."""
    backbone = random_lpips_backbone[0]
    d = evaluate_denoise(identity_model(), val_root, sigmas=(10, 30), lpips_backbone=backbone)
    assert "notes" not in d
    for rows in (d, *d["by_sigma"].values()):
        for key in ("model", "input"):
            assert {"psnr_rgb", "tof", "lpips", "tlp"} <= set(rows[key])
    r = evaluate_restore(identity_model(noise_map=False), val_root, crf=37, lpips_backbone=backbone)
    assert {"lpips", "tlp"} <= set(r["model"]) & set(r["input"]) and r["model"] == pytest.approx(r["input"])
    none = evaluate_restore(None, val_root, crf=37, lpips_backbone=tmp_path / "missing.pth")
    assert "lpips" not in none["input"] and len(none["notes"]) == 1 and "missing.pth" in none["notes"][0]


def test_pair_protocol_and_run_model_keep_frames(clip_maker):
    pristine = clip_maker("good.mkv", size="64x48", frames=4, codec="ffv1", pix_fmt="yuv444p")
    distorted = clip_maker("bad.mp4", size="64x48", frames=4, crf=40)
    r = evaluate_pair(identity_model(), distorted, pristine, with_vmaf=False)
    assert r["frames"] == 4 and r["model"] == pytest.approx(r["input"])
    short = clip_maker("short.mp4", size="64x48", frames=3)
    with pytest.raises(GenvidError, match="matching pair"):
        evaluate_pair(None, short, pristine)
    frames = smooth_clip(t=4, h=20, w=30)
    m = identity_model()
    m.train()
    assert np.array_equal(run_model(m, frames), frames) and m.training, "the training flag is restored"


@pytest.mark.slow  # one of the slowest tests of the suite (see the README, Tests)
def test_denoise_and_restore_inputs_on_the_shared_validation_set():
    """The baselines the targets are set against: noisy input near 18.6 dB RGB at sigma 30 (less where
    clipping at black and white removes noise), compressed input at CRF 37."""
    val = shared_path("data", "vimeo7", "val")
    d = evaluate_denoise(None, val, sigmas=(30,), max_frames=2)
    assert 18.4 < d["input"]["psnr_rgb"] < 20.0
    r = evaluate_restore(None, val, crf=37, max_frames=3)
    assert 25 < r["input"]["psnr_y"] < 36
