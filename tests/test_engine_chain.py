"""Chains of models: streaming, resuming at any frame and scene cuts give the uninterrupted run's frames."""
import numpy as np
import pytest
import torch

import genvid
from genvid.engine.chain import ChainStreamer, build_stages, model_chain
from genvid.io.decode import read_frames
from genvid.models import SlidingWindowRestore, SlidingWindowSR


def tiny_chain():
    torch.manual_seed(0)
    a = SlidingWindowRestore(channels=4, blocks=1, radius=2, noise_map=True).eval()
    a.tail.reset_parameters()  # not the identity: the first model must visibly change the frames
    b = SlidingWindowSR(channels=4, blocks=1, radius=1).eval()
    return [a, b]


def chain(nets, threshold=None) -> ChainStreamer:
    return ChainStreamer(build_stages([(f"m{i}", net) for i, net in enumerate(nets)], "cpu", None,
                                      scene_threshold=threshold))


def frames(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (12, 14, 3), dtype=np.uint8) for _ in range(n)]


def test_a_chain_streams_frame_by_frame():
    """Model B's window pulls model A's frames as A yields them: the first output needs only a few inputs."""
    a, b = tiny_chain()
    pulled = []

    def source():
        for i, f in enumerate(frames(50)):
            pulled.append(i)
            yield f
    out = chain([a, b]).run(source())
    first = next(out)
    assert first.shape == (48, 56, 3)
    assert len(pulled) == a.window_radius + b.window_radius + 1, "A's frame t+1 (B's right neighbour) needs A's inputs to t+3"
    assert len(list(out)) == 49 and len(pulled) == 50


@pytest.mark.parametrize("threshold", [None, 0.17])
@pytest.mark.parametrize("start", [1, 3, 4, 11, 29])
def test_resuming_a_chain_at_any_frame_gives_the_whole_runs_frames(start, threshold):
    src = frames(30)
    if threshold is not None:  # a hard cut at frame 10: a different picture after it
        src = [f // 4 for f in src[:10]] + [255 - f // 4 for f in src[10:]]
    nets = tiny_chain()
    whole = list(chain(nets, threshold).run(iter(src)))
    resumed = chain(nets, threshold)
    part = list(resumed.run(iter(src), start=start))
    assert len(whole) == 30 and len(part) == 30 - start
    assert all(np.array_equal(x, y) for x, y in zip(whole[start:], part))
    assert resumed.cuts == ([10] if threshold is not None else [])


def test_a_chain_stops_its_windows_at_scene_cuts():
    """Both models clamp at the cut found on the source: each side equals that side run alone."""
    rng = np.random.default_rng(1)
    base = rng.integers(0, 64, (12, 14, 3), dtype=np.uint8)
    src = [base + 4 * i for i in range(8)] + [255 - base - 4 * i for i in range(7)]
    nets = tiny_chain()
    cutting = chain(nets, 0.17)
    together = list(cutting.run(iter(src)))
    apart = [f for side in (src[:8], src[8:]) for f in chain(nets).run(iter(side))]
    assert cutting.cuts == [8]
    assert all(np.array_equal(x, y) for x, y in zip(together, apart))
    across = list(chain(nets).run(iter(src)))
    assert not np.array_equal(across[7], together[7])


def test_model_chain_names():
    assert model_chain("denoise,sr-x4") == ["denoise", "sr-x4"]
    assert model_chain(["restore", " sr-x4 "]) == ["restore", "sr-x4"]


def test_an_interrupted_chain_resumes_to_the_same_frames(clip_maker, tiny_denoise_dir, tmp_path):
    src = clip_maker("in.mp4", size="40x32", frames=24)
    options = {"codec": "ffv1", "segment_frames": 5, "sigma": 12.0, "quiet": True}
    genvid.enhance(src, tmp_path / "whole.mkv", "tiny-dn,tiny-x4", **options)

    def interrupt(done, total):
        if done == 13:
            raise KeyboardInterrupt
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(src, out, "tiny-dn,tiny-x4", progress=interrupt, **options)
    with pytest.raises(genvid.GenvidError, match="strength"):  # another setting: refused, naming it
        genvid.enhance(src, out, "tiny-dn,tiny-x4", resume=True, strength=0.5, **options)
    result = genvid.enhance(src, out, "tiny-dn,tiny-x4", resume=True, **options)
    assert 0 < result["resumed_from"] <= 13 and result["resumed_from"] % 5 == 0
    a, b = read_frames(out), read_frames(tmp_path / "whole.mkv")
    assert len(a) == len(b) == 24 and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("deep", [False, True])
def test_frames_between_models_stay_on_the_device_rounded_as_a_lossless_file_would(deep):
    """Model A's frames reach model B as tensors on the device (no numpy between them), holding the values
    A's numpy frames, read back, would give: the chain's frames are those of A's output given to B."""
    a, b = tiny_chain()
    src = frames(6) if not deep else [f.astype(np.uint16) * 256 + 3 for f in frames(6)]
    stages = build_stages([("a", a), ("b", b)], "cpu", None, batch=2)
    between = list(stages[0].run(iter(src)))
    assert all(type(f).__name__ == "DeviceFrame" and f.high == deep for f in between)
    whole = list(ChainStreamer(build_stages([("a", a), ("b", b)], "cpu", None, batch=2)).run(iter(src)))
    def alone(net, given):  # at the same batch: batches of 16-bit frames may differ by 1 of 65535 levels
        return list(ChainStreamer(build_stages([("m", net)], "cpu", None, batch=2)).run(iter(given)))
    one_by_one = alone(b, alone(a, src))
    assert all(x.dtype == (np.uint16 if deep else np.uint8) for x in whole)
    assert all(np.array_equal(x, y) for x, y in zip(whole, one_by_one)) and len(whole) == 6
