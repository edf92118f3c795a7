"""tOF on constructed motion: zero for identical motion, positive when the motion differs."""
import numpy as np
import pytest

pytest.importorskip("cv2", reason="tOF needs OpenCV (the `metrics` extra)")

from genvid.metrics.temporal import central_crop_box, tof  # noqa: E402


def moving(shift_per_frame: int, frames: int = 4, size: int = 96) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    texture = (rng.random((size, size * 2)) * 255).astype(np.uint8)
    texture = np.repeat(np.repeat(texture[::4, ::4], 4, 0), 4, 1)  # blobs Farneback can track
    out = []
    for t in range(frames):
        crop = texture[:size, t * shift_per_frame:t * shift_per_frame + size]
        out.append(np.repeat(crop[..., None], 3, axis=2))
    return out


def test_identical_frames_score_zero_and_same_motion_scores_near_zero():
    a = moving(2)
    assert tof(a, a) == 0.0
    brighter = [(f.astype(int) * 200 // 255 + 30).astype(np.uint8) for f in a]  # other values, same motion
    assert tof(brighter, a) < 0.2


def test_static_prediction_of_moving_reference_scores_the_motion():
    ref = moving(3)
    static = [ref[0]] * len(ref)
    value = tof(static, ref)
    assert 1.5 < value < 4.5  # about the 3-pixel motion the prediction failed to show


def test_crop_box_matches_the_definition():
    assert central_crop_box(144, 176) == (8, 8, 128, 160)  # 176 -> 160 leaves exactly 8 each side
    assert central_crop_box(256, 448) == (16, 16, 224, 416)  # 256 -> 224: 256 would leave no border
