"""Video-against-video scoring: the JSON convention for infinite PSNR, the CSV's shape, the order of keys."""
import csv
import json
import math

import pytest

from genvid.errors import GenvidError
from genvid.metrics.evaluate import KEYS, evaluate_videos, json_safe, ordered, write_csv


def test_json_safe_turns_infinity_into_null():
    scores = {"psnr_y": math.inf, "ssim_y": 1.0, "vmaf": 99.5}
    assert json.dumps(json_safe(scores), allow_nan=False) == '{"psnr_y": null, "ssim_y": 1.0, "vmaf": 99.5}'


def test_key_order():
    assert ordered(["tlp", "extra", "tof", "psnr_y"]) == ["psnr_y", "tof", "tlp", "extra"]
    assert KEYS[:4] == ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb")


def test_csv_has_a_row_per_frame_and_blanks_for_missing(tmp_path):
    rows = [{"psnr_y": math.inf, "lpips": 0.1}, {"psnr_y": 30.0, "tof": 0.2, "lpips": 0.2, "tlp": 0.05}]
    write_csv(rows, tmp_path / "f.csv")
    with open(tmp_path / "f.csv") as f:
        table = list(csv.reader(f))
    assert table == [["frame", "psnr_y", "tof", "lpips", "tlp"], ["0", "inf", "", "0.1", ""],
                     ["1", "30.0", "0.2", "0.2", "0.05"]]


def test_noisy_video_scores_and_means(clip_maker, tmp_path, no_lpips_backbone):
    import numpy as np

    from genvid.io.decode import read_frames
    from genvid.io.image_folder import write_image

    ref = clip_maker("ref.mkv", size="64x64", frames=3, codec="ffv1", pix_fmt="yuv444p")
    folder = tmp_path / "shifted"
    folder.mkdir()
    for i, f in enumerate(read_frames(ref)):
        write_image(folder / f"{i}.png", np.clip(f.astype(int) + 4, 0, 255).astype(np.uint8))
    r = evaluate_videos(str(folder), str(ref), with_vmaf=False)
    assert r["frames"] == 3 and len(r["per_frame"]) == 3
    assert list(r["mean"]) == ["psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "tof"]
    assert r["mean"]["psnr_rgb"] == pytest.approx(np.mean([row["psnr_rgb"] for row in r["per_frame"]]))
    # +4 everywhere (MSE 16, 36.09 dB) except where 255 clips it: a little less error
    assert 10 * math.log10(255**2 / 16) - 1e-9 <= r["mean"]["psnr_rgb"] < 40
    assert any("LPIPS" in n for n in r["notes"])


def test_size_and_length_mismatch(clip_maker):
    a = clip_maker("a.mkv", size="64x64", frames=3, codec="ffv1", pix_fmt="yuv444p")
    b = clip_maker("b.mkv", size="64x48", frames=3, codec="ffv1", pix_fmt="yuv444p")
    c = clip_maker("c.mkv", size="64x64", frames=2, codec="ffv1", pix_fmt="yuv444p")
    with pytest.raises(GenvidError, match="one size"):
        evaluate_videos(str(a), str(b))
    with pytest.raises(GenvidError, match="3 frames but"):
        evaluate_videos(str(a), str(c))


def test_a_progress_bar_over_frames_on_a_terminal_unless_quiet(clip_maker, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    src = clip_maker("a.mkv", size="32x32", frames=3, codec="ffv1", pix_fmt="yuv444p")
    for stream, quiet, shown in ((Terminal(), False, True), (Terminal(), True, False), (io.StringIO(), False, False)):
        monkeypatch.setattr(sys, "stderr", stream)
        result = evaluate_videos(str(src), str(src), with_vmaf=False, with_lpips=False, quiet=quiet)
        assert result["frames"] == 3
        assert ("3/3" in stream.getvalue() and "frame" in stream.getvalue()) == shown, stream.getvalue()
