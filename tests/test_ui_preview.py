"""genvid.ui.preview: before/after of chosen frames from a small region, equal to a full run inside it."""
from __future__ import annotations

import numpy as np
import pytest

from genvid.enhance.api import enhance
from genvid.errors import GenvidError
from genvid.io.decode import FrameReader
from genvid.io.image_folder import read_image
from genvid.io.probe import probe
from genvid.ui.preview import parse_region, preview
from genvid.viz.layout import Box


def test_preview_writes_split_and_side_images(clip_maker, tiny_model_dir, tmp_path):
    clip = clip_maker(size="64x48", frames=8)
    result = preview(clip, "tiny-x4", [0, 7], tmp_path / "p", region=Box(8, 8, 24, 16), device="cpu", zoom=2)
    assert result["scale"] == 4 and result["seconds"] < 30
    names = [p.split("/")[-1] for p, _ in result["images"]]
    assert names == ["frame000000_split.png", "frame000000_side.png", "frame000007_split.png",
                     "frame000007_side.png"]
    split = read_image(result["images"][0][0])
    side = read_image(result["images"][1][0])
    assert split.shape == (64, 96, 3)  # the region x4
    assert side.shape == (64, 2 * 96 + 2, 3)  # two panels, 2-pixel gap
    assert result["images"][0][1] == "frame 0: split screen"


def test_preview_pixels_are_those_of_a_full_run_inside_the_region(clip_maker, tiny_model_dir, tmp_path):
    clip = clip_maker(size="64x48", frames=6)
    full = tmp_path / "full"
    enhance(clip, full, "tiny-x4", device="cpu", quiet=True, scene_cuts=False)
    expected = read_image(sorted(full.iterdir())[3])[4 * 10:4 * 30, 4 * 20:4 * 44]
    result = preview(clip, "tiny-x4", [3], tmp_path / "p", region=Box(20, 10, 24, 20), device="cpu")
    side = read_image(result["images"][1][0])
    after = side[:, 96 + 2:]
    # the label covers the top left of each panel: compare below it
    assert np.array_equal(after[30:], expected[30:])
    with FrameReader(probe(clip), high_bit_depth=False) as r:
        source = list(r)[3][10:30, 20:44]
    before = np.repeat(np.repeat(source, 4, 0), 4, 1)  # nearest: each input pixel as a 4x4 block
    assert np.array_equal(side[30:, :96], before[30:])


def test_preview_of_a_chain(clip_maker, tiny_denoise_dir, tmp_path):
    clip = clip_maker(size="48x32", frames=5)
    result = preview(clip, "tiny-dn,tiny-x4", [2], tmp_path / "p", device="cpu")
    assert result["region"] == Box(0, 0, 48, 32) and read_image(result["images"][0][0]).shape == (128, 192, 3)


def test_regions_and_errors(clip_maker, tiny_model_dir, tmp_path):
    info = probe(clip_maker(size="320x240", frames=2))
    assert parse_region("", info) == Box(64, 66, 192, 108)
    assert parse_region("full", info) == Box(0, 0, 320, 240)
    assert parse_region("0,0,10,10", info) == Box(0, 0, 10, 10)
    with pytest.raises(GenvidError, match="reaches outside the 320x240 frame"):
        parse_region("300,0,40,10", info)
    with pytest.raises(GenvidError, match="preview frames must lie in 0..1"):
        preview(info.path, "tiny-x4", [2], tmp_path / "p", device="cpu")
    with pytest.raises(GenvidError, match="unknown model 'nope'"):
        preview(info.path, "nope", [0], tmp_path / "p", device="cpu")
