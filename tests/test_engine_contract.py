"""genvid.engine.contract: every model kind declares what the engine needs; a model that lacks any of it is
refused with one line naming what is missing, when it is loaded (nothing is guessed)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import genvid
from genvid.engine import BidirectionalModel, RecurrentModel, SlidingWindowModel, check_model
from genvid.errors import GenvidError
from genvid.models import SlidingWindowRestore, SlidingWindowSR
from genvid.models.basicvsr import BasicVSR
from genvid.models.recurrent_sr import RecurrentFlowSR
from genvid.models.registry import export_model
from genvid.models.rrdbnet import RRDBNet
from genvid.models.srvgg import SRVGGNetCompact


@pytest.mark.parametrize("model, kind, protocol", [
    (SlidingWindowSR(channels=4, blocks=1), "window", SlidingWindowModel),
    (SlidingWindowRestore(channels=4, blocks=1, noise_map=True), "window", SlidingWindowModel),
    (SRVGGNetCompact(num_feat=4, num_conv=1), "window", SlidingWindowModel),
    (RRDBNet(num_feat=4, num_block=1, num_grow_ch=4), "window", SlidingWindowModel),
    (RecurrentFlowSR(channels=4, blocks=1), "recurrent", RecurrentModel),
    (BasicVSR(num_feat=4, num_block=1), "bidirectional", BidirectionalModel),
])
def test_every_architecture_declares_its_kind(model, kind, protocol):
    assert check_model(model) == kind and isinstance(model, protocol)
    assert isinstance(model.scale, int) and model.receptive_radius >= 0 and model.input_multiple >= 1


def test_single_frame_models_are_windows_of_radius_zero():
    m = SRVGGNetCompact(num_feat=4, num_conv=1).eval()
    x = torch.rand(1, 3, 9, 7)
    assert m.window_radius == 0 and m.encode(x) is x
    assert torch.equal(m.decode([x], x), m(x[:, None])[:, 0])


class Window(nn.Module):
    kind, scale, input_multiple, window_radius = "window", 2, 1, 1

    def encode(self, frame):
        return frame

    def decode(self, feats, centre):
        return centre


class Recurrent(nn.Module):
    kind, scale, receptive_radius, input_multiple, lookahead = "recurrent", 2, 3, 1, 1

    def encode(self, frame):
        return frame


class Clip(nn.Module):
    kind, scale, receptive_radius, input_multiple = "bidirectional", 2, 3, 1


@pytest.mark.parametrize("model, missing", [
    (Window(), r"model Window \(kind window\) lacks receptive_radius; declare"),
    (Recurrent(), r"\(kind recurrent\) lacks cell\(\)"),
    (Clip(), r"\(kind bidirectional\) lacks forward\(\)"),
    (nn.Conv2d(3, 3, 3), r"declares no kind; the engine runs kind window, recurrent or bidirectional"),
])
def test_what_a_kind_lacks_is_named_in_one_line(model, missing):
    with pytest.raises(GenvidError, match=missing) as e:
        check_model(model)
    assert "\n" not in str(e.value)


def test_invalid_declarations_are_refused():
    m = Window()
    m.receptive_radius, m.input_multiple = 2, 0
    with pytest.raises(GenvidError, match="invalid input_multiple"):
        check_model(m)
    r = RecurrentFlowSR(channels=4, blocks=1)
    r.lookahead = 2
    with pytest.raises(GenvidError, match="look-ahead of 1 frame"):
        check_model(r)


def test_a_module_is_checked_when_the_enhancer_takes_it():
    with pytest.raises(GenvidError, match="lacks receptive_radius"):
        genvid.Enhancer(Window(), "cpu")


class Undeclared(nn.Module):
    """A sliding-window model as it might have been written before the contract: no receptive radius."""
    kind, input_multiple = "window", 1

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale, self.window_radius = scale, 0
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def encode(self, frame):
        return frame

    def decode(self, feats, centre):
        return self.conv(centre)


def test_loading_a_model_file_that_lacks_a_declaration_fails_in_one_line(tmp_path, monkeypatch, clip_maker):
    from genvid.models import registry

    monkeypatch.setitem(registry.ARCHITECTURES, "Undeclared", Undeclared)
    export_model(Undeclared(), tmp_path / "old.safetensors",
                 {"name": "old", "task": "super-resolution", "scale": 2, "arch": "Undeclared", "args": {"scale": 2}})
    src = clip_maker("in.mp4", size="32x24", frames=3)
    with pytest.raises(GenvidError, match=r"model '.*old.safetensors' \(Undeclared\) \(kind window\) lacks "
                                          r"receptive_radius"):
        genvid.enhance(src, tmp_path / "out.mp4", str(tmp_path / "old.safetensors"), quiet=True)
    assert not (tmp_path / "out.mp4").exists()


def test_a_card_that_names_another_kind_is_refused():
    m = SlidingWindowSR(channels=4, blocks=1)
    m.card = {"kind": "recurrent"}
    with pytest.raises(GenvidError, match="is of kind window but its card says recurrent"):
        check_model(m)
