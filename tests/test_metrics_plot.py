"""The per-frame plot: a PNG with one panel per kind of score; infinite PSNR and gaps do not break it."""
import math

import numpy as np
import pytest

from genvid.errors import GenvidError
from genvid.metrics.plot import plot_per_frame

pytest.importorskip("matplotlib", reason="the per-frame plot needs matplotlib (the `metrics` extra)")


def test_plot_writes_a_png(tmp_path):
    from PIL import Image

    rows = [{"psnr_y": math.inf, "ssim_y": 1.0, "psnr_rgb": math.inf, "ssim_rgb": 1.0, "vmaf": 97.0}]
    rows += [{"psnr_y": 30 + i, "ssim_y": 0.9, "psnr_rgb": 29 + i, "ssim_rgb": 0.88, "vmaf": 80.0, "tof": 0.5}
             for i in range(4)]
    out = plot_per_frame(rows, tmp_path / "frames.png", "a against b")
    with Image.open(out) as im:
        assert im.format == "PNG" and im.width == 800
        assert im.height == 880  # 2.2 inches x 100 dpi x four panels: PSNR, SSIM, VMAF, tOF (no LPIPS rows, no LPIPS panel)
        assert np.asarray(im.convert("L")).std() > 10  # something drawn, not a blank canvas


def test_plot_path_errors(tmp_path):
    with pytest.raises(GenvidError, match=r"\.png"):
        plot_per_frame([{"psnr_y": 1.0}], tmp_path / "frames.pdf")
    with pytest.raises(GenvidError, match="does not exist"):
        plot_per_frame([{"psnr_y": 1.0}], tmp_path / "no" / "frames.png")
