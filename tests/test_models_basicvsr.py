"""BasicVSR: the official checkpoint's layout (key for key, shape for shape), the wiring those keys imply,
conversion with `genvid models convert` (sizes read off the tensors) and `genvid enhance --model FILE`; on
the real checkpoint, where ../shared is, its score far above bicubic."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import shared_path
from genvid.cli.main import main
from genvid.engine import check_model
from genvid.errors import GenvidError
from genvid.io.decode import read_frames
from genvid.models.basicvsr import BasicVSR, basicvsr_args_from_state
from genvid.models.registry import gflops_per_frame, load_model
from genvid.models.spynet import flow_warp
from genvid.models.third_party import convert_checkpoint

FEAT, BLOCKS = 16, 2


@pytest.fixture
def checkpoint(tmp_path):
    """A random checkpoint in the official layout (2 blocks, 16 features) under key `params`."""
    torch.manual_seed(0)
    state = {k: torch.randn_like(v) * 0.05 if k.split(".")[-1] in ("weight", "bias") and "spynet" not in k else v
             for k, v in BasicVSR(FEAT, BLOCKS).state_dict().items()}
    path = tmp_path / "BasicVSR_tiny.pth"
    torch.save({"params": state}, path)
    return path, state


def test_the_layout_is_the_official_checkpoints():
    shapes = {k: tuple(v.shape) for k, v in BasicVSR().state_dict().items()}
    assert shapes["backward_trunk.main.0.weight"] == (64, 67, 3, 3)
    assert shapes["forward_trunk.main.2.29.conv2.weight"] == (64, 64, 3, 3)
    assert "backward_trunk.main.2.30.conv1.weight" not in shapes
    assert shapes["fusion.weight"] == (64, 128, 1, 1)
    assert shapes["upconv1.weight"] == shapes["upconv2.weight"] == (256, 64, 3, 3)
    assert shapes["conv_hr.weight"] == (64, 64, 3, 3) and shapes["conv_last.weight"] == (3, 64, 3, 3)
    assert shapes["spynet.mean"] == (1, 3, 1, 1)
    assert shapes["spynet.basic_module.5.basic_module.8.weight"] == (2, 16, 7, 7)


def reference(state: dict, x: torch.Tensor, spynet) -> torch.Tensor:
    """BasicVSR written out from the checkpoint's tensors by name, as the layout describes it."""
    def conv(name, y, pad=1):
        return F.conv2d(y, state[f"{name}.weight"], state[f"{name}.bias"], padding=pad)

    def trunk(side, y):
        y = F.leaky_relu(conv(f"{side}_trunk.main.0", y), 0.1)
        for i in range(BLOCKS):
            y = y + conv(f"{side}_trunk.main.2.{i}.conv2", F.relu(conv(f"{side}_trunk.main.2.{i}.conv1", y)))
        return y

    t = x.shape[1]
    back, feat = [None] * t, x.new_zeros(1, FEAT, *x.shape[-2:])
    for i in reversed(range(t)):
        if i < t - 1:
            feat = flow_warp(feat, spynet(x[:, i], x[:, i + 1]))
        back[i] = feat = trunk("backward", torch.cat([x[:, i], feat], 1))
    out, feat = [], x.new_zeros(1, FEAT, *x.shape[-2:])
    for i in range(t):
        if i:
            feat = flow_warp(feat, spynet(x[:, i], x[:, i - 1]))
        feat = trunk("forward", torch.cat([x[:, i], feat], 1))
        y = F.leaky_relu(conv("fusion", torch.cat([back[i], feat], 1), pad=0), 0.1)
        y = F.leaky_relu(F.pixel_shuffle(conv("upconv1", y), 2), 0.1)
        y = F.leaky_relu(F.pixel_shuffle(conv("upconv2", y), 2), 0.1)
        y = conv("conv_last", F.leaky_relu(conv("conv_hr", y), 0.1))
        out.append(y + F.interpolate(x[:, i], scale_factor=4, mode="bilinear", align_corners=False))
    return torch.stack(out, 1)


def test_conversion_keeps_every_tensor_and_the_wiring(checkpoint, tmp_path):
    path, state = checkpoint
    assert basicvsr_args_from_state(state) == {"num_feat": FEAT, "num_block": BLOCKS}
    weights, card = convert_checkpoint(path, tmp_path / "tiny.safetensors")
    assert card["arch"] == "BasicVSR" and card["kind"] == "bidirectional" and card["scale"] == 4
    assert card["args"] == {"num_feat": FEAT, "num_block": BLOCKS}
    assert "non-commercial research" in card["licence"] and "Apache-2.0" in card["licence"]
    assert json.loads(weights.with_suffix(".json").read_text())["gflops_640x360"] == card["gflops_640x360"] > 0
    model = load_model(str(weights))
    assert check_model(model) == "bidirectional"
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    x = torch.rand(1, 4, 3, 16, 24)
    with torch.no_grad():
        assert torch.allclose(model(x), reference(state, x, model.spynet), atol=1e-5)
        assert model(x[:, :1]).shape == (1, 1, 3, 64, 96)  # one frame: no flow at all


def test_a_checkpoint_of_another_layout_is_refused(checkpoint, tmp_path):
    path, state = checkpoint
    del state["fusion.weight"]
    torch.save({"params": state}, path)
    with pytest.raises(GenvidError, match="not a BasicVSR checkpoint: no fusion.weight"):
        convert_checkpoint(path, tmp_path / "bad.safetensors")


def test_gflops_count_one_more_frame_of_a_clip():
    g = gflops_per_frame(BasicVSR(FEAT, BLOCKS))
    assert 0 < g < gflops_per_frame(BasicVSR(FEAT, BLOCKS + 1))


def test_convert_then_enhance_from_the_command_line(checkpoint, tmp_path, clip_maker, capsys):
    path, _ = checkpoint
    out = tmp_path / "tiny.safetensors"
    assert main(["models", "convert", str(path), str(out)]) == 0
    assert "BasicVSR x4" in capsys.readouterr().out
    src = clip_maker("in.mp4", size="32x24", frames=12)
    assert main(["enhance", str(src), str(tmp_path / "out.mkv"), "--model", str(out), "--codec", "ffv1",
                 "--quiet"]) == 0
    frames = read_frames(tmp_path / "out.mkv")
    assert len(frames) == 12 and frames[0].shape == (96, 128, 3)


@pytest.mark.slow  # full-size shipped or official weights on real frames (../shared)
def test_the_official_checkpoint_converts_and_scores_far_above_bicubic(tmp_path):
    from genvid.data.clips import load_clip
    from genvid.data.degrade import bicubic_downscale
    from genvid.metrics.fidelity import frame_scores
    from genvid.metrics.sr_protocol import bicubic_upscale, run_clip

    weights, card = convert_checkpoint(shared_path("weights", "basicvsr", "BasicVSR_Vimeo90K_BIx4.pth"), tmp_path)
    assert card["parameters"] == 6_291_311 and card["args"] == {"num_feat": 64, "num_block": 30}
    model = load_model(str(weights))
    hr = load_clip(shared_path("data", "vimeo7", "val", "00034_0948"), 3)[:, :, 96:352]  # 3 frames, 256x256
    lr = np.stack([bicubic_downscale(f, 4) for f in hr])
    with torch.inference_mode():
        out = run_clip(model, lr)

    def psnr_y(pred):
        return np.mean([frame_scores(p, r, crop=4)["psnr_y"] for p, r in zip(pred, hr)])
    assert psnr_y(out) > psnr_y(bicubic_upscale(lr, 4)) + 3.0  # the full vimeo7/val: +5.97 dB
