"""RRDBNet: Real-ESRGAN's key layout, shapes read off state dicts (by spandrel), the receptive radius, streaming and tiling."""
import pytest
import torch

from genvid.errors import GenvidError
from genvid.models.rrdbnet import RRDBNet, rrdb_receptive_radius

TINY = {"num_feat": 8, "num_block": 2, "num_grow_ch": 4}


def test_published_layout_and_size():
    keys = RRDBNet(scale=4).state_dict().keys()
    for k in ("conv_first.weight", "body.22.rdb3.conv5.bias", "conv_body.weight", "conv_up1.weight",
              "conv_up2.weight", "conv_hr.weight", "conv_last.bias"):
        assert k in keys
    # RealESRGAN_x4plus: 23 blocks of 64 features, growth 32 -> 16,697,987 parameters
    assert sum(p.numel() for p in RRDBNet(scale=4).parameters()) == 16_697_987
    x2 = RRDBNet(scale=2).state_dict()
    assert x2["conv_first.weight"].shape == (64, 12, 3, 3)  # pixel-unshuffled input: 3 * 2 * 2 channels


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_args_read_back_from_a_state_dict_by_spandrel(scale, tmp_path):
    from genvid.models.spandrel_models import describe, native

    args = {**TINY, "num_grow_ch": 32, "scale": scale}  # spandrel's ESRGAN has Real-ESRGAN's 32 growth channels
    state = RRDBNet(**args).state_dict()
    arch, found, mapped = native(describe(state, tmp_path / "x.pth"))
    assert (arch, found) == ("RRDBNet", args) and all(torch.equal(mapped[k], v) for k, v in state.items())


@pytest.mark.parametrize("scale", [2, 4])
def test_shapes_and_odd_sizes(scale):
    m = RRDBNet(**TINY, scale=scale).eval()
    with torch.no_grad():
        assert m(torch.rand(2, 3, 3, 9, 7)).shape == (2, 3, 3, 9 * scale, 7 * scale)


def test_x2_unshuffle_groups_2x2_pixels_into_channels():
    """A x2 model sees pixel (2i+a, 2j+b) of channel c as channel 4c + 2a + b at (i, j)."""
    m = RRDBNet(**TINY, scale=2).double().eval()
    x = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    captured = {}
    m.conv_first.register_forward_hook(lambda mod, inp, out: captured.update({"in": inp[0]}))
    with torch.no_grad():
        m.forward_frames(x)
    u = captured["in"]
    assert u.shape == (1, 12, 4, 4)
    assert torch.equal(u[0, 4 * 1 + 2 * 1 + 0, 2, 3], x[0, 1, 5, 6])


@pytest.mark.parametrize("scale", [2, 4])
def test_receptive_radius_is_exact(scale):
    """Input pixels farther than the radius have zero gradient on an output pixel, and one at the radius does not."""
    torch.manual_seed(0)
    m = RRDBNet(num_feat=4, num_block=1, num_grow_ch=4, scale=scale).double().eval()
    r = m.receptive_radius
    assert r == rrdb_receptive_radius(scale, 1) == {4: 19, 2: 38}[scale]
    n = 2 * r + 12
    worst = 0
    for j in range(n * scale // 2, n * scale // 2 + 2 * scale):  # several output phases
        x = torch.rand(1, 3, n, n, dtype=torch.float64, requires_grad=True)
        m.forward_frames(x)[0, :, j, j].sum().backward()
        reached = (x.grad.abs().sum(1)[0] != 0).nonzero()
        worst = max(worst, int((reached - j // scale).abs().max()))
    assert worst == r


def test_tiles_are_exact_at_the_receptive_radius_and_aligned_for_x2():
    import numpy as np

    from genvid.engine.stream import Streamer
    from genvid.engine.window import WindowModel

    torch.manual_seed(0)
    m = RRDBNet(num_feat=4, num_block=1, num_grow_ch=4, scale=2).eval()
    wm = WindowModel(m)
    assert wm.radius == 0 and wm.default_tile_overlap == 32 and wm.input_multiple == 2
    rng = np.random.default_rng(0)
    frames = [(rng.random((50, 70, 3)) * 255).astype(np.uint8) for _ in range(2)]
    whole = list(Streamer(wm, "cpu").run(frames))
    tiled_streamer = Streamer(wm, "cpu", tile=15, overlap=wm.receptive_radius)  # 15 -> 16, 38 stays
    assert (tiled_streamer.tile, tiled_streamer.overlap) == (16, 38)
    tiled = list(tiled_streamer.run(frames))
    assert len(tiled) == 2 and tiled[0].shape == (100, 140, 3)
    for a, b in zip(whole, tiled):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # float rounding at the 8-bit step only
