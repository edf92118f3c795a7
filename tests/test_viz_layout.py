"""Comparison layouts: honest nearest-neighbour pixels, crops, labels, split lines, sizes."""
import numpy as np
import pytest

from genvid.errors import GenvidError
from genvid.viz.layout import GAP, Box, crop_zoom, draw_label, even, resize, side_by_side, split_screen


def flat(value, h=20, w=30):
    return np.full((h, w, 3), value, np.uint8)


def test_nearest_resize_repeats_input_pixels():
    lr = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    up = resize(lr, 12, 8)
    assert up.shape == (8, 12, 3)
    assert np.array_equal(up, np.repeat(np.repeat(lr, 4, 0), 4, 1))
    assert set(np.unique(resize(lr, 12, 8, "bicubic"))) - set(np.unique(lr)), "bicubic makes new values"


def test_crop_zoom():
    frame = np.arange(10 * 10 * 3, dtype=np.uint8).reshape(10, 10, 3)
    z = crop_zoom(frame, Box(2, 3, 4, 2), 3)
    assert z.shape == (6, 12, 3)
    assert np.array_equal(z[::3, ::3], frame[3:5, 2:6])
    with pytest.raises(GenvidError, match="outside"):
        crop_zoom(frame, Box(8, 0, 4, 2), 2)
    with pytest.raises(GenvidError, match="X,Y,W,H"):
        Box.parse("1,2,3")
    assert Box.parse("1,2,3,4") == Box(1, 2, 3, 4)


def test_label_is_drawn_top_left_only():
    f = flat(128, 60, 200)
    labelled = draw_label(f, "sr-x4")
    changed = np.argwhere((labelled != f).any(-1))
    assert len(changed) > 0 and changed[:, 0].max() < 30 and changed[:, 1].max() < 100
    assert np.array_equal(draw_label(f, ""), f)


def test_side_by_side_sizes_and_placement():
    out = side_by_side([flat(10), flat(20), flat(30)], ["", "", ""])
    assert out.shape == (20, 3 * 30 + 2 * GAP, 3)
    assert (out[:, :30] == 10).all() and (out[:, 30 + GAP:60 + GAP] == 20).all() and (out[:, -30:] == 30).all()
    assert (out[:, 30:30 + GAP] == 255).all()
    grid = side_by_side([flat(10), flat(20), flat(30)], ["", "", ""], columns=2)
    assert grid.shape == (2 * 20 + GAP, 2 * 30 + GAP, 3)
    assert (grid[-20:, -30:] == 0).all(), "the empty cell is black"


def test_split_screen_takes_each_strip_from_its_input():
    out = split_screen([flat(10, w=40), flat(200, w=40)], ["", ""], split=0.25)
    assert out.shape == (20, 40, 3)
    assert (out[:, :9] == 10).all() and (out[:, 11:] == 200).all()
    assert (out[:, 9:11] == 255).all(), "a white line at the cut"
    three = split_screen([flat(1, w=30), flat(2, w=30), flat(3, w=30)], ["", "", ""])
    assert (three[:, 0:9] == 1).all() and (three[:, 11:19] == 2).all() and (three[:, 21:] == 3).all()
    with pytest.raises(GenvidError, match="exactly two"):
        split_screen([flat(1), flat(2), flat(3)], ["", "", ""], split=0.5)


def test_even_pads_odd_sizes():
    assert even(flat(5, 21, 31)).shape == (22, 32, 3)
    assert even(flat(5, 20, 30)).shape == (20, 30, 3)
