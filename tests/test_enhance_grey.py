"""genvid.enhance.grey: grey source frames give grey output frames, colour ones are left alone."""
import numpy as np

from genvid.enhance.grey import GreyFrames, is_grey, to_grey


def test_is_grey_and_to_grey_round_the_mean_in_the_frames_dtype():
    grey = np.repeat(np.arange(12, dtype=np.uint8).reshape(3, 4, 1), 3, axis=2)
    assert is_grey(grey)
    tinted = grey.copy()
    tinted[2, 3, 1] += 1
    assert not is_grey(tinted)
    frame = np.array([[[10, 11, 11], [255, 255, 254], [0, 0, 1]]], np.uint8)
    assert to_grey(frame).tolist() == [[[11] * 3, [255] * 3, [0] * 3]]
    deep = np.array([[[65535, 65535, 65534], [1000, 2000, 3001]]], np.uint16)
    out = to_grey(deep)
    assert out.dtype == np.uint16 and out.tolist() == [[[65535] * 3, [2000] * 3]]


def test_grey_frames_notes_from_first_and_forgets_what_it_used():
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    grey = np.repeat(colour[..., :1], 3, axis=2)
    source = GreyFrames([grey, colour, grey, colour], first=1)
    assert len(list(source)) == 4 and sorted(source._grey) == [1, 2, 3]
    out = rng.integers(0, 256, (8, 10, 3), dtype=np.uint8)
    assert np.array_equal(source.output(1, out), out)
    assert is_grey(source.output(2, out)) and 2 not in source._grey
