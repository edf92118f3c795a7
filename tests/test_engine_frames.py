"""genvid.engine.frames: frames stacked, converted and rounded a batch at a time give the values of one
frame at a time, 16-bit frames keep every level, and a chain's intermediate frames stay on the device."""
import numpy as np
import pytest
import torch

from genvid.engine.frames import DeviceFrame, frame_size, to_input, to_inputs, to_outputs
from genvid.errors import GenvidError


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_batch_converts_as_frames_one_by_one(dtype):
    rng = np.random.default_rng(0)
    top = np.iinfo(dtype).max
    frames = [rng.integers(0, top + 1, (5, 7, 3), dtype=dtype) for _ in range(3)]
    frames[0][0, 0] = (0, top, top // 2 + 1)  # both ends and the sign bit of the int16 carriage
    x = to_inputs(frames, "cpu")
    assert x.shape == (3, 3, 5, 7) and x.dtype == torch.float32
    for i, f in enumerate(frames):
        expected = torch.from_numpy(f.astype(np.float64) / top).permute(2, 0, 1).float()
        assert torch.equal(x[i], to_input(f, "cpu")[0]) and torch.allclose(x[i], expected)
    back = to_outputs(x, frames, None)
    assert all(b.dtype == dtype and np.array_equal(b, f) for b, f in zip(back, frames))


def test_outputs_are_rounded_and_clamped_as_asked():
    values = [-0.1, 0.4 / 255, 1.4 / 255, 1.6 / 255, 0.69, 1.2]
    y = torch.tensor(values).reshape(1, 1, 1, 6).expand(2, 3, 1, 6)
    like = np.zeros((1, 6, 3), np.uint8)
    low = to_outputs(y, [like, like], None)
    assert low[0].dtype == np.uint8 and low[0][0, :, 0].tolist() == [0, 0, 1, 2, 176, 255]
    high = to_outputs(y, [like, like], True)
    expected = np.round(np.clip(np.float32(values), 0, 1) * np.float32(65535)).astype(int).tolist()
    assert high[1].dtype == np.uint16 and high[1][0, :, 2].tolist() == expected and expected[-1] == 65535
    tensors = to_outputs(y, [torch.zeros(3, 1, 6)] * 2, None)  # tensors come back as the model gave them
    assert all(torch.equal(t, y[0]) for t in tensors)


def test_a_device_frame_holds_what_the_rounded_frame_would_give_the_next_model():
    y = torch.rand(2, 3, 4, 6) * 1.2 - 0.1
    like = np.zeros((4, 6, 3), np.uint16)
    kept = to_outputs(y, [like, like], None, on_device=True)
    assert all(isinstance(k, DeviceFrame) and k.high for k in kept)
    read_back = to_inputs(to_outputs(y, [like, like], None), "cpu")
    assert torch.equal(to_inputs(kept, "cpu"), read_back)
    assert frame_size(kept[0]) == (4, 6) and frame_size(like) == (4, 6)
    following = to_outputs(y, kept, None)  # the next model's numpy output follows the source's depth
    assert following[0].dtype == np.uint16


def test_bad_frames_are_refused_in_one_line():
    with pytest.raises(GenvidError, match="uint8 or uint16"):
        to_inputs([np.zeros((4, 4, 3), np.float32)] * 2, "cpu")
    with pytest.raises(GenvidError, match="numpy arrays or torch tensors"):
        to_input([1, 2, 3], "cpu")
