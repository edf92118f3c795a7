"""The x4 validation protocol: BI by default, or a recipe's degradation at a fixed seed."""
import numpy as np

from genvid.data.degrade import build_degradation
from genvid.io.image_folder import write_image
from genvid.metrics.sr_protocol import evaluate_sr


def make_val(root, clips=2, frames=3, size=(48, 64)):
    rng = np.random.default_rng(0)
    base = (rng.random((size[0] // 8, size[1] // 8, 3)) * 255).astype(np.uint8)
    for c in range(clips):
        folder = root / f"clip{c}"
        folder.mkdir(parents=True)
        for t in range(frames):  # smooth content, so bicubic upscaling is meaningful
            frame = np.kron(np.roll(base, t + c, axis=1), np.ones((8, 8, 1), np.uint8))
            write_image(folder / f"im{t + 1}.png", frame)
    return root


def test_degraded_inputs_are_fixed_by_the_seed(tmp_path):
    val = make_val(tmp_path / "val")
    noisy = build_degradation({"kind": "gaussian_noise", "sigma": [20, 20]}, 4)
    a = evaluate_sr(None, val, 4, degradation=noisy, seed=5)["bicubic"]
    b = evaluate_sr(None, val, 4, degradation=noisy, seed=5)["bicubic"]
    c = evaluate_sr(None, val, 4, degradation=noisy, seed=6)["bicubic"]
    bi = evaluate_sr(None, val, 4)["bicubic"]
    assert a == b, "same seed, same inputs, same scores"
    assert a["psnr_y"] != c["psnr_y"]
    assert a["psnr_y"] < bi["psnr_y"] - 1, "noise on the input costs bicubic upscaling PSNR"


def test_lpips_and_tlp_join_the_scores_when_the_backbone_is_found(tmp_path, random_lpips_backbone):
    """Plumbing (a random backbone): the keys for the model and bicubic, the note when the file is missing."""
    import torch

    from genvid.models.sr_window import SlidingWindowSR

    val = make_val(tmp_path / "val", clips=1, frames=3)
    torch.manual_seed(0)
    model = SlidingWindowSR(channels=8, blocks=1, radius=1, scale=4, encoder_blocks=1)
    found = evaluate_sr(model, val, 4, lpips_backbone=random_lpips_backbone[0])
    assert "notes" not in found
    for key in ("model", "bicubic"):
        assert {"psnr_y", "tof", "lpips", "tlp"} <= set(found[key]) and found[key]["lpips"] > 0
    missing = evaluate_sr(model, val, 4, lpips_backbone=tmp_path / "missing.pth")
    assert missing["model"] == {k: v for k, v in found["model"].items() if k not in ("lpips", "tlp")}
    assert len(missing["notes"]) == 1 and "LPIPS and tLP skipped" in missing["notes"][0] \
        and "missing.pth" in missing["notes"][0]
    off = evaluate_sr(None, val, 4, lpips_net=None)
    assert "notes" not in off and "lpips" not in off["bicubic"]
