"""The LPIPS loader finds its backbone offline, loads exactly that file, never downloads, and says what is missing.

The backbone used here is a randomly initialised torchvision AlexNet saved under torchvision's file name:
it tests the plumbing only (which file is read, how its tensors land, shapes, gradients), never LPIPS values.
"""
import collections

import pytest
import torch
import torchvision

from genvid.errors import GenvidError
from genvid.losses import perceptual
from genvid.losses.perceptual import ENV_VAR, LPIPSLoss, backbone_file_name, load_lpips, lpips_available


class NotATensor:
    pass


def test_file_name_is_torchvisions():
    assert backbone_file_name("alex") == "alexnet-owt-7be5be79.pth"
    assert backbone_file_name("vgg") == "vgg16-397923af.pth"


def test_missing_backbone_is_one_clear_line(no_lpips_backbone):
    reason = lpips_available("alex")
    assert reason is not None and "\n" not in reason
    for needle in ("alexnet-owt-7be5be79.pth", str(no_lpips_backbone / "hub" / "checkpoints"), ENV_VAR):
        assert needle in reason
    with pytest.raises(GenvidError, match="alexnet-owt-7be5be79.pth"):
        load_lpips("alex")
    with pytest.raises(GenvidError, match="not found"):
        load_lpips("alex", backbone_path=no_lpips_backbone / "nothing.pth")


def test_loads_exactly_the_files_weights(random_lpips_backbone):
    random_alexnet = random_lpips_backbone[1]
    assert lpips_available("alex") is None
    model = load_lpips("alex")
    loaded = model.net.state_dict()
    for key, value in loaded.items():  # slice<k>.<i>.weight <- features.<i>.weight
        assert torch.equal(value, random_alexnet["features." + key.split(".", 1)[1]]), key
    assert len(loaded) == 10  # five convolutions, weight and bias
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    # the linear heads are the package's calibrated ones, not a fresh initialisation
    from pathlib import Path

    import lpips
    heads = torch.load(Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth", map_location="cpu",
                       weights_only=True)
    assert torch.equal(model.state_dict()["lin0.model.1.weight"], heads["lin0.model.1.weight"])


def test_explicit_path_and_env_var(tmp_path, no_lpips_backbone, monkeypatch):
    torch.manual_seed(1)
    state = torchvision.models.alexnet(weights=None).state_dict()
    path = tmp_path / "my-alexnet.pth"
    torch.save(state, path)
    a = load_lpips("alex", backbone_path=path)
    monkeypatch.setenv(ENV_VAR, str(path))
    b = load_lpips("alex")
    assert torch.equal(a.net.state_dict()["slice1.0.weight"], state["features.0.weight"])
    assert torch.equal(b.net.state_dict()["slice5.10.weight"], state["features.10.weight"])


def test_refuses_code_and_wrong_tensors(tmp_path, no_lpips_backbone):
    evil = tmp_path / "evil.pth"
    torch.save(collections.OrderedDict(x=NotATensor()), evil)
    with pytest.raises(GenvidError, match="plain tensors"):
        load_lpips("alex", backbone_path=evil)
    other = tmp_path / "other.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, other)
    with pytest.raises(GenvidError, match="does not hold torchvision alex"):
        load_lpips("alex", backbone_path=other)


def test_a_junk_or_refused_backbone_is_one_line_without_torchs_advice(tmp_path, no_lpips_backbone):
    evil, junk = tmp_path / "evil.pth", tmp_path / "junk.pth"
    torch.save(collections.OrderedDict(x=NotATensor()), evil)
    junk.write_bytes(b"not a checkpoint" * 10)
    for path, pattern in ((evil, "holds Python objects"), (junk, "not a PyTorch checkpoint, or a damaged one")):
        with pytest.raises(GenvidError, match=pattern) as e:
            load_lpips("alex", backbone_path=path)
        assert "weights_only" not in str(e.value) and "\n" not in str(e.value) and "LPIPS" in str(e.value)


def test_loss_on_images_and_videos(random_lpips_backbone):
    loss = LPIPSLoss("alex", reduction="none")
    torch.manual_seed(2)
    a, b = torch.rand(2, 3, 3, 64, 64), torch.rand(2, 3, 3, 64, 64)
    per_frame = loss(a, b)
    assert per_frame.shape == (2, 3) and torch.isfinite(per_frame).all() and (per_frame > 0).all()
    flat = loss(a.flatten(0, 1), b.flatten(0, 1))
    assert torch.allclose(per_frame.flatten(), flat)
    assert torch.equal(loss(a, a), torch.zeros(2, 3))  # a distance of an image to itself is 0
    # [0, 1] inputs are mapped to lpips' [-1, 1]
    assert torch.allclose(flat, perceptual.load_lpips("alex")(a.flatten(0, 1) * 2 - 1, b.flatten(0, 1) * 2 - 1).flatten())


def test_loss_gives_gradients_to_the_prediction_only(random_lpips_backbone):
    loss = LPIPSLoss("alex")
    loss.train()
    assert not loss.lpips.training  # dropout stays off
    pred = torch.rand(1, 2, 3, 48, 48, requires_grad=True)
    value = loss(pred, torch.rand(1, 2, 3, 48, 48))
    value.backward()
    assert value.ndim == 0 and torch.isfinite(value)
    assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.parameters())
