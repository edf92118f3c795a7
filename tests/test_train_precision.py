"""Mixed precision: the launcher's choice stands where the recipe makes none; fp16 is refused for recipes with
critics (advising bf16) and on the CPU; fp16 clipping unscales the generator's gradients once, whole."""
import subprocess
import sys
import textwrap

import pytest
import torch

from conftest import REPO
from test_train import run_genvid, tiny_recipe  # noqa: F401 (a fixture)
from test_train_gan import gan_recipe  # noqa: F401 (a fixture)


def one_error_line(r) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr[-3000:]
    return lines[0]


@pytest.mark.slow
def test_the_launchers_mixed_precision_is_used_unless_the_recipe_sets_one(tiny_recipe, tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "bf16")  # what `accelerate launch --mixed_precision bf16` sets
    r = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "a", "--max-steps", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "mixed precision bf16" in r.stdout
    r = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "b", "--max-steps", "1",
                   "--set", "train.mixed_precision=no")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "mixed precision no" in r.stdout, "the recipe's own setting wins"


@pytest.mark.parametrize("how", ["recipe", "launcher"])
def test_fp16_is_refused_for_recipes_with_critics(gan_recipe, tmp_path, monkeypatch, how):
    args = ["--set", "train.mixed_precision=fp16"] if how == "recipe" else []
    if how == "launcher":
        monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "fp16")
    r = run_genvid("train", gan_recipe, "--output-dir", tmp_path / "run", "--max-steps", "1", *args)
    line = one_error_line(r)
    assert "fp16 is refused for recipes with critics" in line and "bf16" in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="on CUDA fp16 trains plain recipes")
def test_fp16_on_the_cpu_is_refused(tiny_recipe, tmp_path):
    r = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "run", "--max-steps", "1",
                   "--set", "train.mixed_precision=fp16")
    assert "fp16 training needs CUDA" in one_error_line(r)


CLIPPING = textwrap.dedent("""
    import torch
    from accelerate import Accelerator
    from genvid.train.state import optimizer_step

    def run(scaler):
        torch.manual_seed(0)
        acc = Accelerator(cpu=True, gradient_accumulation_steps=2)
        acc.scaler = scaler  # before prepare: the optimizer steps through it, as under CUDA fp16
        net = torch.nn.Linear(4, 1, bias=False)
        opt = torch.optim.SGD(net.parameters(), lr=1.0)
        net, opt = acc.prepare(net, opt)
        before = net.weight.detach().clone()
        grads = []
        for _ in range(2):  # two micro-batches, one optimizer step
            x = torch.randn(3, 4) * 10
            with acc.accumulate(net):
                loss = net(x).pow(2).mean()
                grads.append(torch.autograd.grad(loss, net.weight, retain_graph=True)[0])
                acc.backward(loss)
                optimizer_step(acc, opt, net.parameters(), max_norm=0.5)
        whole = (grads[0] + grads[1]) / 2
        expected = before - whole * min(1.0, 0.5 / float(whole.norm()))
        return net.weight.detach(), expected, float(whole.norm())

    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 12)
    for s in (None, scaler):
        got, expected, norm = run(s)
        assert norm > 1, "the test clips"
        assert torch.allclose(got, expected, rtol=1e-5, atol=1e-6), (s, got, expected)
    assert scaler.get_scale() == 2.0 ** 12 and scaler._growth_tracker.item() == 1, "one scaler update a step"
    print("ok")
""")


def test_fp16_clipping_unscales_once_the_whole_accumulated_gradient():
    """Accelerate's optimizer under a real GradScaler (on the CPU): two micro-batches, then the gradient is
    unscaled once, clipped and applied: the update is the fp32 one, and the scale is updated once."""
    r = subprocess.run([sys.executable, "-c", CLIPPING], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fp16_trains_a_plain_recipe_on_cuda(tiny_recipe, tmp_path):
    r = run_genvid("train", tiny_recipe, "--output-dir", tmp_path / "run", "--max-steps", "2",
                   "--set", "train.mixed_precision=fp16", "--set", "train.grad_accum=2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "mixed precision fp16" in r.stdout
