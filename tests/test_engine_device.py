"""Device and precision names: --precision auto prefers bf16 on a GPU and never picks fp16 for deep sources."""
import pytest
import torch

from genvid.engine.device import pick_device, pick_precision
from genvid.errors import GenvidError

CUDA = torch.device("cuda")  # a device object needs no GPU; only its type is read


@pytest.mark.parametrize("bf16,deep,expected", [
    (True, False, torch.bfloat16), (True, True, torch.bfloat16),
    (False, False, torch.float16), (False, True, None),
])
def test_auto_on_a_gpu(monkeypatch, bf16, deep, expected):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    assert pick_precision("auto", CUDA, deep_source=deep) == expected


def test_auto_on_the_cpu_is_fp32_and_names_are_checked():
    cpu = torch.device("cpu")
    assert pick_precision("auto", cpu) is None and pick_precision("bf16", cpu) == torch.bfloat16
    with pytest.raises(GenvidError, match="fp16 is not supported on the CPU"):
        pick_precision("fp16", cpu)
    with pytest.raises(GenvidError, match="unknown precision"):
        pick_precision("fp8", cpu)
    assert pick_device("cpu") == cpu


def test_a_model_that_cannot_run_in_half_precision_runs_in_fp32():
    from types import SimpleNamespace

    from genvid.engine.device import model_precision

    no_fp16 = SimpleNamespace(supports_half=False, supports_bfloat16=True)
    neither = SimpleNamespace(supports_half=False, supports_bfloat16=False)
    own = SimpleNamespace()  # genvid's models declare nothing: they run in every precision
    assert model_precision(no_fp16, torch.float16) is None and model_precision(no_fp16, torch.bfloat16) == torch.bfloat16
    assert model_precision(neither, torch.bfloat16) is None and model_precision(neither, None) is None
    assert model_precision(own, torch.float16) == torch.float16
