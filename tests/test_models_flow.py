"""Backward warping and the jointly trained flow estimator."""
import torch

from genvid.models.flow import FlowEstimator, warp


def test_zero_flow_is_identity_and_integer_flow_shifts():
    img = torch.rand(2, 3, 12, 16)
    assert torch.allclose(warp(img, torch.zeros(2, 2, 12, 16)), img, atol=1e-6)
    flow = torch.zeros(2, 2, 12, 16)
    flow[:, 0] = 2.0  # out[y, x] = img[y, x + 2]
    out = warp(img, flow)
    assert torch.allclose(out[..., :-2], img[..., 2:], atol=1e-5)


def test_flow_estimator_starts_at_identity_and_scales():
    net = FlowEstimator(channels=8)
    lr = torch.rand(2, 3, 3, 16, 20)
    flow = net(lr, scale=4)
    assert flow.shape == (2, 2, 2, 64, 80)
    assert flow.abs().max() == 0, "a zero head: an untrained estimator warps by the identity"
