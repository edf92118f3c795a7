"""The sr-x4 architecture: shapes, streaming equals forward, loading by name and path."""
import numpy as np
import pytest
import torch

from genvid.engine.frames import tensor_to_frame
from genvid.engine.stream import Streamer
from genvid.engine.window import WindowModel
from genvid.errors import GenvidError
from genvid.models import SlidingWindowSR, load_model
from genvid.models.registry import gflops_per_frame


def test_forward_shape_and_range_of_scale():
    m = SlidingWindowSR(channels=8, blocks=1).eval()
    x = torch.rand(2, 4, 3, 11, 13)
    with torch.no_grad():
        y = m(x)
    assert y.shape == (2, 4, 3, 44, 52)


def test_single_frame_clip_works():
    m = SlidingWindowSR(channels=8, blocks=1).eval()
    with torch.no_grad():
        assert m(torch.rand(1, 1, 3, 8, 8)).shape == (1, 1, 3, 32, 32)


def test_streaming_equals_forward_on_the_whole_clip():
    torch.manual_seed(1)
    m = SlidingWindowSR(channels=8, blocks=1, radius=2).eval()
    clip = (np.random.default_rng(0).random((7, 12, 10, 3)) * 255).astype(np.uint8)
    x = torch.from_numpy(clip).permute(0, 3, 1, 2).float().div(255)[None]
    with torch.no_grad():
        ref = [tensor_to_frame(f) for f in m(x)[0]]
    out = list(Streamer(WindowModel(m), "cpu").run(iter(clip)))
    assert len(out) == 7
    for a, b in zip(out, ref):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_load_model_by_name_and_by_path(tiny_model_dir):
    m = load_model("tiny-x4")
    assert m.card["scale"] == 4 and not m.training
    m2 = load_model(str(tiny_model_dir / "tiny-x4.safetensors"))
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(a, b), k
    with torch.no_grad():
        assert m(torch.rand(1, 3, 3, 8, 8)).shape == (1, 3, 3, 32, 32)


def test_unknown_model_and_bad_files_are_refused(tiny_model_dir, tmp_path):
    with pytest.raises(GenvidError, match="unknown model 'nope'"):
        load_model("nope")
    other = tmp_path / "x.bin"
    other.write_bytes(b"\0" * 16)
    with pytest.raises(GenvidError, match="give .safetensors"):
        load_model(str(other))
    bad = tiny_model_dir / "broken.safetensors"
    bad.write_bytes(b"not safetensors")
    (tiny_model_dir / "broken.json").write_text((tiny_model_dir / "tiny-x4.json").read_text())
    with pytest.raises(GenvidError, match="cannot load weights"):
        load_model(str(bad))


def test_gflops_count_matches_hand_count():
    m = SlidingWindowSR(channels=8, blocks=1, radius=1, encoder_blocks=1)
    macs = 0
    for conv in [m.encoder[0], m.encoder[2].conv1, m.encoder[2].conv2, m.fuse[0], m.body[0].conv1,
                 m.body[0].conv2, m.upsample[0]]:
        macs += conv.in_channels * conv.out_channels * 9
    # bilinear upsampling and additions are not matmul work; the counter counts convolutions
    assert gflops_per_frame(m, 10, 10) == pytest.approx(2 * macs * 100 / 1e9, rel=0.02)
