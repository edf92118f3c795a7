"""Device and precision names: --precision auto prefers bf16 on a GPU and never picks fp16 for deep sources;
--batch auto; models prepared for the run (weights cast once, channels-last, torch.compile)."""
import numpy as np
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


def test_batch_names_and_auto_batch(monkeypatch):
    from genvid.engine.device import MAX_AUTO_BATCH, auto_batch, check_batch

    assert check_batch("auto") is None and check_batch(None) is None and check_batch("3") == 3 and check_batch(2) == 2
    for bad in ("0", "-2", "many", 1.5):
        with pytest.raises(GenvidError, match="--batch must be auto or a number of frames of 1 or more"):
            check_batch(bad)
    assert auto_batch(torch.device("cpu"), 1080, 1920, 1) == 1
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (80 * 2**30, 140 * 2**30))
    assert auto_batch(CUDA, 270, 480, 4) == MAX_AUTO_BATCH  # 80 GiB free: bounded
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a: (5 * 2**30, 8 * 2**30))
    assert auto_batch(CUDA, 270, 480, 4) == 2  # a quarter of 5 GiB at 256 bytes per 1920x1080 output pixel
    assert auto_batch(CUDA, 1080, 1920, 4) == 1  # never less than 1


def tiny_sr():
    from genvid.models import SlidingWindowSR

    torch.manual_seed(0)
    return SlidingWindowSR(channels=8, blocks=1, radius=1, scale=2).eval()


def clip(n=4, h=18, w=22):
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_weights_cast_once_give_the_frames_of_autocast_over_fp32_weights():
    """bf16: conv weights stored in bf16 once; autocast over the fp32 weights gave the very same frames
    (it rounds them to bf16 at every call).  The caller's module is left in fp32."""
    from genvid import Enhancer
    from genvid.engine.stream import Streamer
    from genvid.engine.window import WindowModel

    net, frames = tiny_sr(), clip()
    enhancer = Enhancer(net, "cpu", "bf16", scene_threshold=None)
    prepared = enhancer.models[0][1]
    assert prepared.encoder[0].weight.dtype == torch.bfloat16 and net.encoder[0].weight.dtype == torch.float32
    recast = list(Streamer(WindowModel(net), "cpu", torch.bfloat16).run(frames))  # fp32 weights under autocast
    out = list(enhancer.run(frames))
    assert all(np.array_equal(a, b) for a, b in zip(out, recast))
    fp32 = list(Enhancer(net, "cpu", "fp32", scene_threshold=None).run(frames))
    assert max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(out, fp32)) > 0  # bf16 did run


def test_channels_last_weights_give_the_same_frames():
    from genvid.engine.device import prepare_model
    from genvid.engine.stream import Streamer
    from genvid.engine.window import WindowModel

    net, frames = tiny_sr(), clip()
    last = prepare_model(net, "m", torch.device("cpu"), None, channels_last=True, copy=True)
    assert last.encoder[0].weight.is_contiguous(memory_format=torch.channels_last)
    streamer = Streamer(WindowModel(last), "cpu")
    streamer.channels_last = True  # as on CUDA
    a, b = list(Streamer(WindowModel(net), "cpu").run(frames)), list(streamer.run(frames))
    assert max(int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(a, b)) <= 1


def test_compile_unavailable_is_one_line(monkeypatch):
    import torch._dynamo

    from genvid import Enhancer

    monkeypatch.setattr(torch._dynamo, "is_dynamo_supported", lambda: False)
    with pytest.raises(GenvidError, match="--compile: torch.compile is not supported on this Python"):
        Enhancer(tiny_sr(), "cpu", "fp32", compile=True)


@pytest.mark.slow
def test_a_compiled_model_gives_the_eager_frames_within_one_level():
    from genvid import Enhancer

    net, frames = tiny_sr(), clip(5)
    eager = list(Enhancer(net, "cpu", "fp32", scene_threshold=None, batch=2).run(frames))
    compiled = Enhancer(net, "cpu", "fp32", scene_threshold=None, batch=2, compile=True)
    assert getattr(compiled.models[0][1], "encode") is not getattr(net, "encode")
    out = list(compiled.run(frames))
    assert len(out) == 5 and max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(out, eager)) <= 1
