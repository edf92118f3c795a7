"""Tiles with overlap at least the receptive radius give the untiled output (within 1/255)."""
import numpy as np
import pytest
import torch

from genvid.engine.stream import Streamer
from genvid.engine.tiling import plan_tiles
from genvid.engine.window import WindowModel
from genvid.models import SlidingWindowSR


@pytest.mark.parametrize("h,w,tile,overlap", [(37, 53, 16, 4), (20, 20, 8, 0), (9, 30, 0, 3)])
def test_tiles_cover_each_pixel_once(h, w, tile, overlap):
    cover = np.zeros((h, w), int)
    for t in plan_tiles(h, w, tile, overlap):
        cover[t.y0 + t.top:t.y1 - t.bottom, t.x0 + t.left:t.x1 - t.right] += 1
        assert 0 <= t.y0 < t.y1 <= h and 0 <= t.x0 < t.x1 <= w
    assert (cover == 1).all()


def test_tiled_equals_untiled():
    torch.manual_seed(0)
    model = SlidingWindowSR(channels=8, blocks=2, radius=1).eval()
    wm = WindowModel(model)
    rng = np.random.default_rng(0)
    base = rng.random((1, 45, 61, 3))
    frames = [np.clip((base[0] + 0.05 * rng.standard_normal(base[0].shape)) * 255, 0, 255).astype(np.uint8)
              for _ in range(4)]
    whole = list(Streamer(wm, "cpu").run(frames))
    tiled = list(Streamer(wm, "cpu", tile=16, overlap=wm.receptive_radius).run(frames))
    assert len(tiled) == len(whole) == 4
    for a, b in zip(whole, tiled):
        assert a.shape == b.shape == (180, 244, 3)
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_small_overlap_is_blended_not_seamed():
    """With too little context tiles differ a little, but blending keeps every pixel finite and close."""
    torch.manual_seed(0)
    wm = WindowModel(SlidingWindowSR(channels=8, blocks=2, radius=0).eval())
    frame = (np.random.default_rng(1).random((40, 40, 3)) * 255).astype(np.uint8)
    whole = next(Streamer(wm, "cpu").run([frame])).astype(int)
    tiled = next(Streamer(wm, "cpu", tile=16, overlap=2).run([frame])).astype(int)
    assert np.abs(whole - tiled).mean() < 8


@pytest.mark.parametrize("tile,overlap,pattern", [
    (-5, None, "--tile must be 0"),
    (32, -1, "--tile-overlap must be 0 or more"),
    (3, None, "--tile 3 is too small for model m: with 10 pixels of overlap it must be at least 21"),
    (20, None, "at least 21"),
    (8, 0, "at least 16"),
])
def test_bad_tiles_are_refused_saying_the_least(tile, overlap, pattern):
    from genvid.engine.contract import default_overlap
    from genvid.engine.tiling import check_tiles
    from genvid.errors import GenvidError

    net = SlidingWindowSR(channels=8, blocks=2, radius=1)
    assert default_overlap(net) == 10
    with pytest.raises(GenvidError, match=pattern):
        check_tiles([net], ["m"], tile, overlap)
    for fine in ((0, None), (21, None), (16, 0), (0, 50)):
        check_tiles([net], ["m"], *fine)
