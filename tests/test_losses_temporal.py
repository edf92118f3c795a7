"""Ping-pong, warp consistency and the photometric loss on constructed clips."""
import torch

from genvid.losses.temporal import photometric_loss, pingpong_loss, smoothness, warp_consistency


def test_pingpong_zero_for_time_symmetric_generator():
    out = torch.rand(2, 5, 3, 8, 8)
    assert pingpong_loss(out, out.flip(1)).item() < 1.01e-3  # charbonnier's eps floor
    assert pingpong_loss(out, out).item() > 0.05


def test_warp_consistency_penalises_flicker_not_motion():
    frame = torch.rand(1, 3, 16, 20)
    # a clip panning right by 1 pixel per frame, with the flow that explains it
    clip = torch.stack([torch.roll(frame, shifts=t, dims=-1) for t in range(3)], dim=1)
    flow = torch.zeros(1, 2, 2, 16, 20)
    flow[:, :, 0] = -1.0  # out[x] = prev[x - 1]
    assert warp_consistency(clip, clip, flow).item() < 1.01e-3
    flicker = clip.clone()
    flicker[:, 1] += 0.1  # brightness flicker the ground truth does not have
    assert warp_consistency(flicker, clip, flow).item() > 0.05
    pred = clip.clone().requires_grad_()
    warp_consistency(pred + 0.01 * torch.rand_like(clip), clip, flow).backward()
    assert pred.grad.abs().sum() > 0


def test_photometric_loss_prefers_the_true_flow():
    frame = torch.rand(1, 3, 16, 64)
    clip = torch.stack([torch.roll(frame, shifts=t, dims=-1) for t in range(2)], dim=1)
    true = torch.zeros(1, 1, 2, 16, 64)
    true[:, :, 0] = -1.0
    assert smoothness(true).item() == 0.0
    good = photometric_loss(clip, true)  # wrong only in the first column, where roll wraps around
    bad = photometric_loss(clip, torch.zeros_like(true))
    assert good.item() < 0.2 * bad.item()
