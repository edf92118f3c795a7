"""genvid.ui.info: what the page shows about a video and the models."""
from __future__ import annotations

import pytest

from genvid.errors import GenvidError
from genvid.io.probe import probe
from genvid.ui.info import chain_text, info_markdown, info_rows, model_label, model_rows, models_markdown, parse_frames


def test_info_rows_show_exact_rate_streams_depth_and_colour(clip_maker):
    clip = clip_maker("ntsc.mkv", size="48x32", rate="30000/1001", frames=6, audio=True, pix_fmt="yuv420p10le",
                      codec="ffv1", extra=["-color_primaries", "bt709", "-color_trc", "bt709",
                                              "-colorspace", "bt709", "-color_range", "tv"])
    rows = dict(info_rows(probe(clip)))
    assert rows["size"] == "48x32"
    assert rows["rate"] == "30000/1001 (29.970) fps"
    assert rows["frames"] == "6"
    assert rows["bit depth"] == "10 bits"
    assert rows["audio"] == "aac" and rows["subtitles"] == "none"
    assert "matrix bt709" in rows["colour"] and "range tv" in rows["colour"]
    assert "| rate | 30000/1001" in info_markdown(probe(clip), "ntsc.mkv")


def test_models_from_the_cards_without_synthesis():
    rows = {r["name"]: r for r in model_rows()}
    assert "sr-x4" in rows and "synth-shapes" not in rows
    sr = rows["sr-x4"]
    assert sr["scale"] == 4 and sr["scores"].startswith("PSNR-Y 31.86")
    assert sr["speed"].startswith("4.5 fps at 320x180")
    label = model_label(sr)
    assert label.startswith("sr-x4 · super-resolution x4 · PSNR-Y") and "fps" in label
    assert "GFLOPs" in model_label(rows["denoise"])  # no measured speed in its card: its cost instead
    assert "| sr-x4 | super-resolution | x4 |" in models_markdown(list(rows.values()))


def test_chain_text():
    assert chain_text(["denoise", "sr-x4"]) == "denoise,sr-x4"
    assert chain_text("sr-x4") == "sr-x4"
    with pytest.raises(GenvidError, match="pick a model"):
        chain_text([])


def test_parse_frames():
    assert parse_frames("", 100) == [25, 50, 74]
    assert parse_frames(None, 1) == [0]
    assert parse_frames("40, 3;3 9", 100) == [3, 9, 40]
    with pytest.raises(GenvidError, match="outside the video: it has 10 frames"):
        parse_frames("10", 10)
    with pytest.raises(GenvidError, match="numbers separated by commas"):
        parse_frames("first", 10)
    with pytest.raises(GenvidError, match="at most 8"):
        parse_frames(",".join(map(str, range(9))), 10)
