"""Discriminators: output shapes, features, spectral norm, gradients to the inputs."""
import torch

from genvid.models.discriminators import CriticSet, SpatioTemporalDiscriminator, UNetDiscriminator, clip_windows


def test_spatiotemporal_shapes_and_features():
    d = SpatioTemporalDiscriminator(channels=8, stages=3)
    hr, up = torch.rand(2, 3, 3, 48, 64), torch.rand(2, 3, 3, 48, 64)
    logits, feats = d(hr, up)
    assert logits.shape == (2, 1, 3, 6, 8)
    assert [f.shape[1] for f in feats] == [16, 32, 32] and len(feats) == 3
    assert any("parametrizations" in n for n, _ in d.named_parameters()), "spectral norm is applied"


def test_spatiotemporal_sees_time_order():
    torch.manual_seed(0)
    d = SpatioTemporalDiscriminator(channels=8, stages=2).eval()
    hr = torch.rand(1, 3, 3, 32, 32)
    up = torch.rand(1, 3, 3, 32, 32)
    a, _ = d(hr, up)
    b, _ = d(hr[:, [2, 1, 0]], up[:, [2, 1, 0]])
    assert not torch.allclose(a, b.flip(2)), "temporal convolutions make the critic sensitive to order"


def test_unet_per_pixel_logits_and_gradients():
    d = UNetDiscriminator(channels=8, depth=3)
    x = torch.rand(4, 3, 32, 40, requires_grad=True)
    logits, feats = d(x)
    assert logits.shape == (4, 1, 32, 40) and len(feats) == 6
    logits.mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_clip_windows_and_critic_set():
    clip = torch.arange(5.0).view(1, 5, 1, 1, 1).expand(2, 5, 3, 16, 16)
    w = clip_windows(clip, 3)
    assert w.shape == (6, 3, 3, 16, 16)
    assert w[:, :, 0, 0, 0].tolist()[:3] == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    critics = CriticSet({"spatiotemporal": SpatioTemporalDiscriminator(channels=8, stages=2),
                         "unet": UNetDiscriminator(channels=8, depth=2)})
    out = critics(clip.contiguous(), clip.contiguous())
    assert out["spatiotemporal"][0].shape[0] == 6 and out["unet"][0].shape == (10, 1, 16, 16)
