"""DiffAugment for clips: one set of parameters per clip, shared by all its frames; differentiable."""
import pytest
import torch

from genvid.data.augment import augment_clips


def test_every_frame_of_a_clip_gets_the_same_augmentation():
    frame = torch.rand(4, 1, 3, 16, 16) * 2 - 1
    clips = frame.expand(-1, 5, -1, -1, -1)
    out = augment_clips(clips, generator=torch.Generator().manual_seed(0))
    assert out.shape == clips.shape
    assert torch.allclose(out, out[:, :1].expand_as(out)), "identical frames stay identical"
    assert not torch.allclose(out, clips)
    per_clip = [(out[i, 0] - clips[i, 0]).abs().mean() for i in range(4)]
    assert len({round(float(v), 5) for v in per_clip}) > 1, "clips get different parameters"


@pytest.mark.parametrize("policy", ["color", "translation", "cutout"])
def test_each_policy_is_shared_across_frames_and_differentiable(policy):
    frame = torch.rand(3, 1, 3, 16, 16)
    x = frame.expand(-1, 4, -1, -1, -1).clone().requires_grad_(True)
    out = augment_clips(x, policy, torch.Generator().manual_seed(1))
    assert torch.allclose(out, out[:, :1].expand_as(out))
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_same_generator_state_same_result_and_unknown_policy():
    x = torch.rand(2, 3, 3, 16, 16)
    a = augment_clips(x, generator=torch.Generator().manual_seed(5))
    b = augment_clips(x, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment_clips(x, "colour")
