"""VideoGenerator: shapes, continuous time, determinism per seed, class and first-frame conditioning."""
import pytest
import torch

from genvid.models.synthesis import VideoGenerator, interpolate_anchors

TINY = {"z_dim": 8, "motion_dim": 8, "w_dim": 16, "channels": 16, "resolution": 16, "fourier": 2}


def tiny(**kw):
    torch.manual_seed(0)
    return VideoGenerator(**TINY, **kw).eval()


@pytest.mark.parametrize("motion_input", [False, True])
def test_forward_shape_and_range(motion_input):
    g = tiny(motion_input=motion_input)
    z, anchors, times, noise = g.draw(2, torch.tensor([0.0, 1.5, 7.0]))
    out = g(z, anchors, times, noise=noise)
    assert out.shape == (2, 3, 3, 16, 16) and out.min() >= -1 and out.max() <= 1
    clips = g.sample(3, frames=5, seed=1)
    assert clips.shape == (3, 5, 3, 16, 16) and clips.min() >= 0 and clips.max() <= 1


@pytest.mark.parametrize("motion_input", [False, True])
def test_motion_is_continuous_and_frames_render_alone(motion_input):
    anchors = torch.tensor([[[0.0], [4.0], [8.0]]])
    assert interpolate_anchors(anchors, torch.tensor([[0.0, 2.0, 5.0, 99.0]]), 2.0).flatten().tolist() == \
        [0.0, 4.0, 8.0, 8.0]
    g = tiny(motion_input=motion_input)
    z, anchors, times, noise = g.draw(1, torch.arange(6.0))
    full = g(z, anchors, times, noise=noise)
    sparse = g(z, anchors, times[:, [1, 4]], noise=[n[:, [1, 4]] for n in noise])
    assert torch.allclose(full[:, [1, 4]], sparse, atol=1e-5), "a frame does not depend on the other frames asked for"
    assert (full[:, 1:] - full[:, :-1]).abs().mean() > 1e-4, "the clip moves"


def test_motion_input_keeps_the_styles_of_a_clip_fixed():
    """With motion_input, time changes only the 4x4 input: every AdaIN sees the same style at every frame."""
    styles = []
    for motion_input in (False, True):
        g = tiny(motion_input=motion_input)
        seen = []
        hook = g.blocks[0].norm.register_forward_hook(lambda m, args, out: seen.append(args[1]))
        g.sample(2, 5, seed=0)
        hook.remove()
        styles.append(seen[0].reshape(2, 5, -1))
    varying, fixed = styles
    assert (varying[:, 1:] - varying[:, :1]).abs().max() > 1e-4
    assert torch.equal(fixed[:, 1:], fixed[:, :1].expand_as(fixed[:, 1:]))
    assert (fixed[0] - fixed[1]).abs().max() > 1e-4, "clips still differ in style"


def test_shortest_period_sets_the_fastest_time_feature():
    from genvid.models.synthesis import fourier_time
    times = torch.arange(9.0)[None]
    feats = fourier_time(times, 3, shortest=8.0, longest=32.0)
    assert torch.allclose(feats[0, 8, 0], torch.tensor(0.0), atol=1e-5), "sin of a period-8 wave at t=8"
    assert torch.allclose(feats[0, 4, 3], torch.tensor(-1.0), atol=1e-5), "cos of it at half a period"


def test_sample_is_deterministic_per_seed():
    g = tiny()
    a, b, c = g.sample(2, 4, seed=3), g.sample(2, 4, seed=3), g.sample(2, 4, seed=4)
    assert torch.equal(a, b)
    assert (a - c).abs().mean() > 1e-3


def test_class_conditioning_changes_clips():
    g = tiny(num_classes=3)
    with torch.no_grad():
        g.class_embed.weight.mul_(5)
    a, b = g.sample(1, 3, seed=0, labels=0), g.sample(1, 3, seed=0, labels=2)
    assert (a - b).abs().mean() > 1e-3
    with pytest.raises(ValueError, match="labels"):
        g.sample(1, 3, seed=0)


def test_first_frame_is_reproduced_exactly():
    g = tiny(image_cond=True)
    image = torch.rand(2, 3, 16, 16)
    clips = g.sample(2, 6, seed=0, first_frame=image)
    assert torch.allclose(clips[:, 0], image, atol=1e-5)
    assert (clips[:, 5] - image).abs().mean() > 1e-3, "later frames move away from the given frame"
    with pytest.raises(ValueError, match="first_frame"):
        g.sample(1, 3, seed=0)


def test_bad_resolution():
    with pytest.raises(ValueError, match="power of 2"):
        VideoGenerator(resolution=48)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_draws_are_made_on_the_device_and_fixed_by_the_seed():
    """Training draws codes, noise, frame times and augmentations from a generator on the device (nothing is
    drawn on the host and uploaded); the same seed gives the same draws."""
    from genvid.data.augment import augment_clips
    from genvid.train.synth_task import pick_times

    g = tiny().cuda()

    def draws(seed):
        gen = torch.Generator("cuda").manual_seed(seed)
        times = pick_times(2, 8, 3, gen).float()
        z, anchors, times, noise = g.draw(2, times, gen, "cuda")
        return [times, z, anchors, *noise, augment_clips(torch.zeros(2, 3, 3, 16, 16, device="cuda"), generator=gen)]

    a, b = draws(3), draws(3)
    assert all(x.device.type == "cuda" for x in a) and all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(draws(4)[1], a[1])
