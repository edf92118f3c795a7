"""Real-ESRGAN SRVGGNetCompact checkpoints load as plain tensors (never unpickled code) and stream."""
import collections

import pytest
import torch

from conftest import shared_path
from genvid.errors import GenvidError
from genvid.models import load_model
from genvid.models.srvgg import SRVGGNetCompact


class NotATensor:  # pickling an instance of this makes a checkpoint that needs code to load
    pass


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    ref = SRVGGNetCompact(num_feat=4, num_conv=2, scale=2).eval()
    path = tmp_path / "tiny-compact.pth"
    torch.save({"params": ref.state_dict()}, path)
    m = load_model(str(path))
    assert m.card["args"] == {"num_feat": 4, "num_conv": 2, "scale": 2}
    x = torch.rand(1, 2, 3, 6, 5)
    with torch.no_grad():
        assert torch.allclose(m(x), ref(x))
        assert m(x).shape == (1, 2, 3, 12, 10)


def test_code_in_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"params": collections.OrderedDict(x=NotATensor())}, path)
    with pytest.raises(GenvidError, match="as plain tensors"):
        load_model(str(path))
    other = tmp_path / "other.pth"
    torch.save({"a": torch.zeros(1)}, other)
    with pytest.raises(GenvidError, match="not a checkpoint genvid knows"):
        load_model(str(other))


def test_anchor_runs_in_the_streaming_enhancer(clip_maker, tmp_path):
    import genvid
    from genvid.io.probe import probe

    anchor = shared_path("anchors", "realesr-animevideov3.pth")
    src = clip_maker("in.mp4", size="32x24", frames=4)
    out = tmp_path / "out.mp4"
    genvid.enhance(src, out, str(anchor), quiet=True)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (128, 96, 4)
