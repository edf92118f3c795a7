"""RecurrentFlowRestore: the aligned denoise/restore design at scale 1."""
import numpy as np
import pytest
import torch

from genvid.engine import Enhancer
from genvid.engine.contract import check_model
from genvid.models.recurrent_restore import RecurrentFlowRestore
from genvid.models.registry import build_model


def _net(noise_map=False, seed=0):
    torch.manual_seed(seed)
    net = RecurrentFlowRestore(channels=8, blocks=2, noise_map=noise_map).eval()
    torch.nn.init.normal_(net.tail.weight, std=1e-3)  # an untrained tail is zero: make the body count
    return net


def test_untrained_network_is_the_identity_and_keeps_odd_sizes():
    net = RecurrentFlowRestore(channels=8, blocks=1)
    x = torch.rand(1, 3, 3, 33, 47)
    with torch.no_grad():
        assert torch.equal(net(x), x)


def test_contract_is_recurrent_scale_1_on_the_unshuffle_grid():
    net = _net(noise_map=True)
    assert check_model(net) == "recurrent"
    assert (net.scale, net.input_multiple, net.lookahead) == (1, 2, 1)
    assert isinstance(build_model("RecurrentFlowRestore", {"channels": 8, "blocks": 1}), RecurrentFlowRestore)


def test_the_hidden_state_carries_information_forward():
    net = _net()
    x = torch.rand(1, 4, 3, 32, 32)
    y = x.clone()
    y[:, 0] = torch.rand(3, 32, 32)  # frame 0 changed: frame 3 (beyond the look-ahead) must change too
    with torch.no_grad():
        assert not torch.allclose(net(x)[:, 3], net(y)[:, 3])


@pytest.mark.parametrize("noise_map,sigma", [(False, None), (True, None), (True, 20.0)])
def test_streamed_by_the_engine_equals_the_whole_clip_forward(noise_map, sigma):
    net = _net(noise_map)
    rng = np.random.default_rng(0)
    frames = [rng.integers(40, 215, (34, 46, 3), dtype=np.uint8) for _ in range(6)]
    clip = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float()[None] / 255
    with torch.no_grad():
        whole = net(clip, noise_level=sigma) if noise_map else net(clip)
    whole = np.clip(whole[0].permute(0, 2, 3, 1).numpy() * 255, 0, 255)
    out = np.stack(list(Enhancer(net, "cpu", "fp32", scene_threshold=None, sigma=sigma)(iter(frames))))
    assert np.abs(out.astype(np.float64) - whole).max() <= 0.5 + 1e-3


def test_the_noise_map_changes_the_output_and_sigma_reaches_it():
    net = _net(noise_map=True)
    x = torch.rand(1, 3, 3, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(net(x, noise_level=5.0), net(x, noise_level=40.0))
        blind = net.estimate_noise_level(x[0])
        assert torch.allclose(net(x), net(x, noise_level=blind[None]))
