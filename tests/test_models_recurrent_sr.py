"""RecurrentFlowSR: shapes, step-by-step equals the whole-clip forward, identity blocks, FLOPs, frozen flow."""
import torch

from genvid.models.recurrent_sr import RecurrentFlowSR
from genvid.models.registry import build_model, gflops_per_frame


def small(**kw):
    torch.manual_seed(0)
    return RecurrentFlowSR(channels=8, blocks=1, **kw).eval()


def test_forward_shape():
    with torch.no_grad():
        assert small()(torch.rand(2, 4, 3, 10, 12)).shape == (2, 4, 3, 40, 48)
        assert small()(torch.rand(1, 1, 3, 8, 8)).shape == (1, 1, 3, 32, 32)


def test_step_by_step_equals_forward():
    m = small()
    x = torch.rand(1, 5, 3, 12, 16)
    with torch.no_grad():
        whole = m(x)
        state, outs = None, []
        for t in range(5):
            ahead = x[:, min(t + 1, 4)]
            y, state = m.step(x[:, t], ahead, x[:, t - 1] if t else None, state)
            outs.append(y)
    assert torch.allclose(torch.stack(outs, 1), whole, atol=1e-5)


def test_identity_blocks_start_as_the_identity():
    a = small()
    b = RecurrentFlowSR(channels=8, blocks=1, identity_blocks=3).eval()
    b.load_state_dict(a.state_dict(), strict=False)
    x = torch.rand(1, 3, 3, 8, 8)
    with torch.no_grad():
        assert torch.allclose(a(x), b(x), atol=1e-6)


def test_flow_is_frozen_by_default_and_trainable_on_request():
    assert not any(p.requires_grad for p in small().spynet.parameters())
    assert all(p.requires_grad for p in small(freeze_flow=False).spynet.parameters())


def test_the_hidden_state_carries_information_forward():
    m = small()
    x = torch.rand(1, 4, 3, 8, 8)
    y = x.clone()
    y[:, 0] = torch.rand(3, 8, 8)  # only frame 0 differs: frame 3 changes through the state alone
    with torch.no_grad():
        assert not torch.allclose(m(x)[:, 3], m(y)[:, 3])


def test_built_by_name_and_counted():
    m = build_model("RecurrentFlowSR", {"channels": 8, "blocks": 1})
    assert m.kind == "recurrent" and m.lookahead == 1 and m.scale == 4
    assert gflops_per_frame(m) > 0
