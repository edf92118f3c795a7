"""Critics of the synthesis GAN: shapes, time gaps matter, class projection, both in one module."""
import pytest
import torch

from genvid.models.synth_discriminators import ImageDiscriminator, SynthCritics, VideoDiscriminator


def test_image_discriminator_shape_and_projection():
    torch.manual_seed(0)
    d = ImageDiscriminator(channels=8, resolution=16, num_classes=3)
    x = torch.randn(4, 3, 16, 16)
    a, b = d(x, torch.zeros(4, dtype=torch.long)), d(x, torch.full((4,), 2))
    assert a.shape == (4,) and not torch.allclose(a, b)
    assert ImageDiscriminator(channels=8, resolution=32)(torch.randn(2, 3, 32, 32)).shape == (2,)


def test_video_discriminator_sees_time_gaps():
    torch.manual_seed(0)
    d = VideoDiscriminator(frames=3, channels=8, resolution=16)
    clips = torch.randn(2, 3, 3, 16, 16)
    near, far = d(clips, torch.tensor([[0.0, 1, 2]] * 2)), d(clips, torch.tensor([[0.0, 5, 15]] * 2))
    assert near.shape == (2,) and not torch.allclose(near, far)
    with pytest.raises(ValueError, match="3 frames"):
        d(torch.randn(2, 4, 3, 16, 16), torch.zeros(2, 4))


def test_critic_set_returns_both():
    c = SynthCritics(ImageDiscriminator(channels=8, resolution=16, num_classes=2),
                     VideoDiscriminator(frames=2, channels=8, resolution=16, num_classes=2))
    out = c(torch.randn(3, 3, 16, 16), torch.randn(3, 2, 3, 16, 16), torch.tensor([[0.0, 3]] * 3),
            torch.tensor([0, 1, 1]))
    assert set(out) == {"image", "video"} and out["image"].shape == out["video"].shape == (3,)
