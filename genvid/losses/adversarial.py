"""Adversarial losses, the R1 penalty and discriminator feature matching.

Kinds (``loss.gan`` in a recipe):
- ``nonsat``: the non-saturating GAN. D: softplus(-D(real)) + softplus(D(fake)); G: softplus(-D(fake)).
- ``hinge``: D: relu(1 - D(real)) + relu(1 + D(fake)); G: -D(fake).
- ``ragan``: relativistic average GAN, each logit judged against the mean logit of the other set.
  D: softplus(-(r - mean f)) + softplus(f - mean r); G: the same with the roles swapped.
All are means over every logit (patch or pixel), so weights do not depend on the logit map's size.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_KINDS = ("nonsat", "hinge", "ragan")


def discriminator_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    real, fake = real.float(), fake.float()
    if kind == "nonsat":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind == "ragan":
        return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()
    raise ValueError(f"unknown GAN loss '{kind}'; known: {', '.join(GAN_KINDS)}")


def generator_loss(kind: str, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
    """`real` (needed by ragan only) should come from a discriminator pass without gradients."""
    fake = fake.float()
    if kind == "nonsat":
        return F.softplus(-fake).mean()
    if kind == "hinge":
        return -fake.mean()
    if kind == "ragan":
        if real is None:
            raise ValueError("the ragan generator loss needs the discriminator's logits on real data")
        real = real.float().detach()
        return F.softplus(-(fake - real.mean())).mean() + F.softplus(real - fake.mean()).mean()
    raise ValueError(f"unknown GAN loss '{kind}'; known: {', '.join(GAN_KINDS)}")


def r1_penalty(real_logits: torch.Tensor, real_inputs: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """E ||d D(x) / d x||^2 over real samples (Mescheder et al. 2018); multiply by gamma / 2 yourself.

    A patch or pixel critic gives many logits per sample: each sample's logits are averaged first, so
    the penalty does not grow with the logit map's size.

    Under a GradScaler pass its current `scale`: the logits are scaled before differentiating so that
    fp16 gradients do not underflow, and the gradients are unscaled before squaring, so the value is
    the same as without scaling.  `real_inputs` must have requires_grad set before the forward pass.
    """
    per_sample = real_logits.float().reshape(len(real_logits), -1).mean(1)
    (grads,) = torch.autograd.grad(per_sample.sum() * scale, real_inputs, create_graph=True)
    grads = grads.float() / scale
    return grads.pow(2).flatten(1).sum(1).mean()


def feature_matching(fake_feats: list[torch.Tensor], real_feats: list[torch.Tensor]) -> torch.Tensor:
    """Mean L1 distance between the discriminator's activations on generated and on real inputs,
    averaged over stages; real activations are constants."""
    losses = [F.l1_loss(f.float(), r.detach().float()) for f, r in zip(fake_feats, real_feats)]
    return torch.stack(losses).mean()
