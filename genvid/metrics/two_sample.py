"""A classifier two-sample test (Lopez-Paz and Oquab 2017) between generated and real clips.

A small 3D-convolutional classifier learns to tell real from generated clips on one half of each set and
is scored on the other half.  Held-out accuracy near 0.5 means it found nothing that separates the sets
(best); near 1, that they are easy to tell apart.  Under the hypothesis that both sets come from one
distribution the held-out correct count is Binomial(n, 1/2), so the result carries the standard error
sqrt(acc (1 - acc) / n), a 95 % Wilson interval and the exact one-sided binomial p-value of the count.

Protocol: both sets are cut to the size of the smaller one (clips drawn at random, seed `seed`), each side
is split in half (train / held out), clips are reduced to at most `frames` frames (evenly spaced) and
`size` pixels on the short side (area averaging) so that training is cheap on a CPU, the classifier
(three strided 3x3x3 convolutions of 16, 32, 64 channels with LeakyReLU, a global mean and a linear
output) is trained `epochs` passes with Adam (lr 1e-3, batches of 32, binary cross-entropy), and
everything random (choice, split, initialisation, batch order) follows `seed`.  Clips are
(N, T, 3, H, W) in [0, 1], tensors or iterables of batches.

The test needs samples: the classifier learns from half of each set.  On constructed textures it told
still clips from clips moving 1 pixel a frame with 64 clips a side, but not with 24 (12 to learn from
a side); a few hundred clips a side take about 20 s on one CPU thread at 64x64x16.
"""
from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import nn

from ..errors import GenvidError
from .clips import collect

SIZE = 32
FRAMES = 16
EPOCHS = 12
BATCH = 32
LR = 1e-3


class ClipClassifier(nn.Module):
    """(N, T, 3, H, W) in [0, 1] -> (N,) logits that a clip is real."""

    def __init__(self, channels: int = 16):
        super().__init__()
        c = channels
        act = lambda: nn.LeakyReLU(0.2, inplace=True)
        self.body = nn.Sequential(
            nn.Conv3d(3, c, 3, stride=(1, 2, 2), padding=1), act(),
            nn.Conv3d(c, 2 * c, 3, stride=2, padding=1), act(),
            nn.Conv3d(2 * c, 4 * c, 3, stride=2, padding=1), act())
        self.head = nn.Linear(4 * c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(rearrange(x * 2 - 1, "n t c h w -> n c t h w"))
        return self.head(y.mean(dim=(2, 3, 4)))[:, 0]


def wilson_interval(correct: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95 % by default)."""
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def binomial_p_value(correct: int, n: int) -> float:
    """P(X >= correct) for X ~ Binomial(n, 1/2): how often chance does at least this well."""
    return float(sum(math.comb(n, k) for k in range(correct, n + 1)) / 2 ** n)


def _split(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    perm = torch.randperm(n, generator=gen)
    return perm[: n // 2], perm[n // 2:]


@torch.no_grad()
def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    correct = 0
    for i in range(0, len(x), 4 * BATCH):
        correct += int(((model(x[i:i + 4 * BATCH]) > 0).float() == y[i:i + 4 * BATCH]).sum())
    return correct


def two_sample_test(generated, real, *, seed: int = 0, size: int = SIZE, frames: int = FRAMES,
                    epochs: int = EPOCHS, device="cpu") -> dict[str, float]:
    """{"accuracy", "stderr", "ci_low", "ci_high", "p_value", "train_accuracy", "n_train", "n_test",
    "per_side"} of the classifier two-sample test (see the module docstring)."""
    g = collect(generated, "generated clips", size, frames)
    r = collect(real, "real clips", size, frames)
    if g.shape[1:] != r.shape[1:]:
        raise GenvidError(f"generated and real clips differ in (T, 3, H, W) after reduction: "
                          f"{tuple(g.shape[1:])} and {tuple(r.shape[1:])}")
    n = min(len(g), len(r))
    if n < 4:
        raise GenvidError(f"the two-sample test needs at least 4 clips a side, got {len(g)} and {len(r)}")
    gen = torch.Generator().manual_seed(seed)
    g = g[torch.randperm(len(g), generator=gen)[:n]]
    r = r[torch.randperm(len(r), generator=gen)[:n]]
    (gtr, gte), (rtr, rte) = _split(n, gen), _split(n, gen)
    x_train = torch.cat([g[gtr], r[rtr]]).to(device)
    y_train = torch.cat([torch.zeros(len(gtr)), torch.ones(len(rtr))]).to(device)
    x_test = torch.cat([g[gte], r[rte]]).to(device)
    y_test = torch.cat([torch.zeros(len(gte)), torch.ones(len(rte))]).to(device)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ClipClassifier().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    per_epoch = math.ceil(len(x_train) / BATCH)
    for step in range(epochs * per_epoch):
        if step % per_epoch == 0:
            order = torch.randperm(len(x_train), generator=gen).to(device)
        i = (step % per_epoch) * BATCH
        idx = order[i:i + BATCH]
        loss = loss_fn(model(x_train[idx]), y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()

    n_test = len(x_test)
    correct = _accuracy(model, x_test, y_test)
    acc = correct / n_test
    low, high = wilson_interval(correct, n_test)
    return {"accuracy": acc, "stderr": math.sqrt(acc * (1 - acc) / n_test), "ci_low": low, "ci_high": high,
            "p_value": binomial_p_value(correct, n_test),
            "train_accuracy": _accuracy(model, x_train, y_train) / len(x_train),
            "n_train": float(len(x_train)), "n_test": float(n_test), "per_side": float(n)}
