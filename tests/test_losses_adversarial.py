"""Adversarial losses, R1 (also under loss scaling) and feature matching, on constructed inputs."""
import math

import pytest
import torch

from genvid.losses.adversarial import discriminator_loss, feature_matching, generator_loss, r1_penalty

LOG2 = math.log(2)


def test_values_at_chance_and_at_margin():
    zero = torch.zeros(4, 1, 8, 8)
    assert discriminator_loss("nonsat", zero, zero).item() == pytest.approx(2 * LOG2)
    assert generator_loss("nonsat", zero).item() == pytest.approx(LOG2)
    assert discriminator_loss("ragan", zero, zero).item() == pytest.approx(2 * LOG2)
    assert generator_loss("ragan", zero, zero).item() == pytest.approx(2 * LOG2)
    assert discriminator_loss("hinge", zero + 1, zero - 1).item() == 0.0
    assert discriminator_loss("hinge", zero, zero).item() == 2.0
    assert generator_loss("hinge", zero + 3).item() == -3.0
    # a confident, correct critic has a small loss; the generator then has a large one
    assert discriminator_loss("nonsat", zero + 10, zero - 10).item() < 1e-3
    assert generator_loss("nonsat", zero - 10).item() > 9.9
    with pytest.raises(ValueError, match="needs the discriminator's logits"):
        generator_loss("ragan", zero)
    with pytest.raises(ValueError, match="unknown GAN loss"):
        discriminator_loss("wgan", zero, zero)


@pytest.mark.parametrize("kind", ["nonsat", "hinge", "ragan"])
def test_generator_gradient_raises_fake_logits(kind):
    fake = torch.zeros(8, requires_grad=True)
    generator_loss(kind, fake, torch.zeros(8)).backward()
    assert (fake.grad < 0).all(), "descending the generator loss makes fakes look more real"


def test_r1_of_a_linear_critic_is_its_squared_weight_norm():
    w = torch.tensor([1.0, -2.0, 3.0, 0.5])
    x = torch.rand(5, 4, requires_grad=True)
    logits = x @ w  # one logit per sample: gradient w for every sample
    assert r1_penalty(logits, x).item() == pytest.approx(float(w.pow(2).sum()))
    # a map of logits per sample is averaged: the same critic copied over 6 positions gives the same R1
    x2 = torch.rand(5, 4, requires_grad=True)
    assert r1_penalty((x2 @ w)[:, None].expand(5, 6), x2).item() == pytest.approx(float(w.pow(2).sum()))


def test_r1_under_loss_scaling_avoids_fp16_underflow():
    x = torch.ones(3, 16, dtype=torch.float16, requires_grad=True)
    logits = (x * 1e-8).sum(1)  # d logit / dx = 1e-8: below fp16's smallest subnormal (6e-8)
    unscaled = r1_penalty(logits, x, scale=1.0)
    assert unscaled.item() == 0.0, "without scaling the fp16 gradient underflows"
    x = torch.ones(3, 16, dtype=torch.float16, requires_grad=True)
    scaled = r1_penalty((x * 1e-8).sum(1), x, scale=4096.0)
    assert scaled.item() == pytest.approx(16 * 1e-16, rel=0.05)


def test_r1_backpropagates_into_the_critic():
    lin = torch.nn.Linear(4, 1)
    x = torch.rand(6, 4, requires_grad=True)
    r1_penalty(lin(x), x).backward()
    assert torch.allclose(lin.weight.grad, 2 * lin.weight.detach(), atol=1e-6)


def test_feature_matching():
    real = [torch.rand(2, 4, 8, 8), torch.rand(2, 8, 4, 4)]
    assert feature_matching([r.clone() for r in real], real).item() == 0.0
    fake = [(r + 0.5).requires_grad_() for r in real]
    loss = feature_matching(fake, [r.requires_grad_() for r in real])
    assert loss.item() == pytest.approx(0.5)
    loss.backward()
    assert fake[0].grad is not None and real[0].grad is None, "real activations are constants"
