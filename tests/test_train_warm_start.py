"""Warm starts: matching tensors are copied, the rest reported; a model without a flow net refuses init_flow."""
from types import SimpleNamespace

import pytest
import torch

from genvid.errors import GenvidError
from genvid.models.recurrent_sr import RecurrentFlowSR
from genvid.models.registry import export_model
from genvid.models.sr_window import SlidingWindowSR
from genvid.train.warm_start import copy_matching, warm_start


def test_copy_matching_takes_the_sliding_window_layers():
    torch.manual_seed(0)
    window = SlidingWindowSR(channels=8, blocks=2)
    rnn = RecurrentFlowSR(channels=8, blocks=2, identity_blocks=1)
    copied, left = copy_matching(rnn, window.state_dict())
    assert "fuse.0.weight" in copied and "upsample.0.weight" in copied and "body.1.conv2.weight" in copied
    assert "body.2.conv1.weight" in left and any(k.startswith("spynet.") for k in left)
    assert torch.equal(rnn.state_dict()["fuse.0.weight"], window.state_dict()["fuse.0.weight"])


def test_warm_start_from_a_model_file(tmp_path, capsys):
    window = SlidingWindowSR(channels=8, blocks=1)
    path = export_model(window, tmp_path / "w.safetensors", {"name": "w", "arch": "SlidingWindowSR",
                                                            "args": {"channels": 8, "blocks": 1}, "scale": 4})
    assert path["parameters"] > 0
    rnn = RecurrentFlowSR(channels=8, blocks=1)
    warm_start(rnn, SimpleNamespace(init_partial=str(tmp_path / "w.safetensors"), init_flow=None))
    assert "copied" in capsys.readouterr().out
    with pytest.raises(GenvidError, match="shares no tensor"):
        warm_start(RecurrentFlowSR(channels=4, blocks=1, scale=2),
                   SimpleNamespace(init_partial=str(tmp_path / "w.safetensors"), init_flow=None))


def test_init_flow_needs_a_flow_network(tmp_path):
    with pytest.raises(GenvidError, match="no `spynet`"):
        warm_start(SlidingWindowSR(channels=8, blocks=1), SimpleNamespace(init_partial=None, init_flow="x.pth"))
