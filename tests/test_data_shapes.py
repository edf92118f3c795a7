"""Procedural shapes (determinism, motion, range, labels) and windows of real clips for synthesis."""
import numpy as np
import pytest
import torch

from conftest import make_clip, shared_path
from genvid.data.shapes import SHAPE_KINDS, ShapesDataset, SynthClipDataset
from genvid.errors import GenvidError


def fill_ratio(mask: np.ndarray) -> float:
    """Shape area over the area of the circle around its centroid through its farthest pixel:
    about 1 for a circle, 0.64 for a square, 0.41 for a triangle."""
    ys, xs = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    area = mask.sum()
    cy, cx = (mask * ys).sum() / area, (mask * xs).sum() / area
    reach = np.sqrt((ys - cy) ** 2 + (xs - cx) ** 2)[mask > 0.5].max()
    return area / (np.pi * reach**2)


def test_deterministic_per_index_and_seed():
    ds = ShapesDataset(frames=6, size=32)
    a, b = ds[5], ds[5]
    assert torch.equal(a[0], b[0]) and a[1] == b[1]
    assert not torch.equal(ds[6][0], a[0])
    assert not torch.equal(ShapesDataset(frames=6, size=32, seed=1)[5][0], a[0])


def test_clips_move_and_stay_in_range():
    ds = ShapesDataset()
    for i in range(8):
        clip, kind = ds[i]
        assert clip.shape == (16, 3, 64, 64) and clip.dtype == torch.float32
        assert clip.min() >= 0 and clip.max() <= 1 and kind in range(len(SHAPE_KINDS))
        steps = (clip[1:] - clip[:-1]).abs().flatten(1).amax(1)
        assert (steps > 0.05).all(), f"clip {i}: every frame differs from the one before"


def test_label_matches_the_drawn_shape():
    ds = ShapesDataset(frames=4)
    seen = set()
    for i in range(30):
        _, kind, mask = ds.render(i)
        ratio = float(np.median([fill_ratio(m) for m in mask]))
        guess = 1 if ratio > 0.9 else 0 if ratio > 0.57 else 2
        assert guess == kind, (i, SHAPE_KINDS[kind], ratio)
        seen.add(kind)
    assert seen == {0, 1, 2}


def test_clip_windows_are_cropped_and_padded(tmp_path):
    make_clip(tmp_path / "a.mp4", size="96x64", frames=5)
    ds = SynthClipDataset([str(tmp_path)], frames=8, size=32, seed=0)
    assert ds.clips[0].shape[-2:] == (32, 48)  # short side brought to the training size once, at load
    clip, label = ds[3]
    assert clip.shape == (8, 3, 32, 32) and clip.dtype == torch.uint8 and label == -1
    assert torch.equal(ds[3][0], clip)
    with pytest.raises(GenvidError, match="smaller than the training size"):
        SynthClipDataset([str(tmp_path)], frames=4, size=128)


def test_shared_clips_load():
    folder = shared_path("data", "vimeo7", "train")
    ds = SynthClipDataset([str(folder)], frames=16, size=64, max_frames=16)
    assert ds[0][0].shape == (16, 3, 64, 64)
