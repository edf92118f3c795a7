"""SpyNet: BasicSR's key layout, flow of a known shift with the pretrained weights, warping, load errors."""
import numpy as np
import pytest
import torch

from genvid.errors import GenvidError
from genvid.models.spynet import SpyNet, flow_warp, load_spynet_weights, spynet_state
from conftest import SHARED

BASICVSR = SHARED / "weights" / "basicvsr" / "BasicVSR_Vimeo90K_BIx4.pth"


def test_key_layout_is_basicsr_s():
    keys = set(SpyNet().state_dict())
    assert {"mean", "std", "basic_module.0.basic_module.0.weight", "basic_module.5.basic_module.8.bias"} <= keys
    assert SpyNet().basic_module[0].basic_module[0].weight.shape == (32, 8, 7, 7)


def test_warp_by_a_whole_pixel_shift_moves_the_image():
    x = torch.rand(1, 2, 6, 9)
    flow = torch.zeros(1, 2, 6, 9)
    flow[:, 0] = 1.0  # out[y, x] = in[y, x + 1]
    out = flow_warp(x, flow)
    assert torch.allclose(out[..., :-1], x[..., 1:], atol=1e-6)
    assert torch.all(out[..., -1] == 0)  # sampled outside: zeros padding
    assert torch.allclose(flow_warp(x, flow, padding="border")[..., -1], x[..., -1], atol=1e-6)


def test_any_size_gives_a_flow_of_that_size():
    with torch.no_grad():
        assert SpyNet()(torch.rand(2, 3, 13, 37), torch.rand(2, 3, 13, 37)).shape == (2, 2, 13, 37)


@pytest.mark.skipif(not BASICVSR.is_file(), reason="needs ../shared/weights/basicvsr (BasicVSR's checkpoint)")
def test_pretrained_flow_finds_a_known_shift():
    rng = np.random.default_rng(0)
    base = torch.nn.functional.interpolate(torch.from_numpy(rng.random((1, 3, 20, 28))).float(), size=(80, 112),
                                           mode="bicubic", align_corners=False).clamp(0, 1)
    ref, other = base[..., 8:-8, 8:-8], base[..., 8:-8, 10:-6]  # other[x] = ref[x + 2]: flow x = -2
    net = load_spynet_weights(SpyNet(), BASICVSR).eval()
    with torch.no_grad():
        flow = net(ref, other)
    inner = flow[..., 8:-8, 8:-8]
    assert abs(inner[:, 0].mean().item() + 2) < 0.2 and abs(inner[:, 1].mean().item()) < 0.2
    warped = flow_warp(other, flow)
    assert (warped - ref)[..., 8:-8, 8:-8].abs().mean() < 0.25 * (other - ref)[..., 8:-8, 8:-8].abs().mean()


def test_load_errors_are_one_line(tmp_path):
    with pytest.raises(GenvidError, match="not found"):
        load_spynet_weights(SpyNet(), tmp_path / "none.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(GenvidError, match="cannot read SpyNet weights") as e:
        load_spynet_weights(SpyNet(), junk)
    assert "weights_only=False" not in str(e.value) and "\n" not in str(e.value)
    other = tmp_path / "other.pth"
    torch.save({"params": {"conv.weight": torch.zeros(1)}}, other)
    with pytest.raises(GenvidError, match="not a SpyNet checkpoint"):
        load_spynet_weights(SpyNet(), other)


def test_spynet_state_strips_the_prefix():
    assert spynet_state({"spynet.mean": 1, "fusion.weight": 2}) == {"mean": 1}
