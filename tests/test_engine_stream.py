"""genvid.engine.stream: scene cuts act as clip edges (nothing leaks across), a run started at frame k
gives exactly the frames k.. of a full run, and 16-bit frames go through without an 8-bit step."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genvid.engine.scenes import DEFAULT_THRESHOLD
from genvid.engine.stream import Streamer
from genvid.engine.window import WindowModel
from genvid.models import SlidingWindowSR
from test_engine_scenes import lavfi_frames


@pytest.fixture(scope="module")
def window_model():
    torch.manual_seed(0)
    return WindowModel(SlidingWindowSR(channels=8, blocks=1, radius=2, scale=2).eval())


@pytest.fixture(scope="module")
def two_shots():
    return lavfi_frames("testsrc2", 7, size=(32, 24)), lavfi_frames("mandelbrot", 6, size=(32, 24))


def run(model, frames, **kw) -> list[np.ndarray]:
    start = kw.pop("start", 0)
    return list(Streamer(model, "cpu", **kw).run(frames, start=start))


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_each_side_of_a_cut_is_enhanced_as_a_clip_of_its_own(window_model, two_shots):
    a, b = two_shots
    streamer = Streamer(window_model, "cpu", scene_threshold=DEFAULT_THRESHOLD)
    whole = list(streamer.run(a + b))
    assert streamer.cuts == [len(a)]
    assert same(whole, run(window_model, a) + run(window_model, b))
    across = run(window_model, a + b)  # the same frames with no cut detection: windows cross the cut
    assert not np.array_equal(across[len(a) - 1], whole[len(a) - 1])
    assert not np.array_equal(across[len(a)], whole[len(a)])
    assert same(across[:len(a) - 2], whole[:len(a) - 2])  # frames further than the radius are untouched


@pytest.fixture(scope="module")
def full_run(window_model, two_shots):
    return run(window_model, two_shots[0] + two_shots[1], scene_threshold=DEFAULT_THRESHOLD)


@pytest.mark.parametrize("start", [1, 5, 7, 8, 12, 13])
def test_starting_late_gives_the_tail_of_a_full_run(window_model, two_shots, full_run, start):
    frames = two_shots[0] + two_shots[1]  # a cut at 7: starts just before, at and after it, and at the end
    assert same(run(window_model, frames, scene_threshold=DEFAULT_THRESHOLD, start=start), full_run[start:])


def test_starting_late_runs_the_model_only_on_the_context(window_model, two_shots):
    frames = two_shots[0] + two_shots[1]
    streamer = Streamer(window_model, "cpu")
    seen = []
    encode = streamer._encode
    streamer._encode = lambda todo, cache: seen.extend(todo) or encode(todo, cache)
    assert len(list(streamer.run(frames, start=9))) == len(frames) - 9
    assert len(seen) == len(frames) - 9 + window_model.radius


class Identity(nn.Module):
    """A one-frame 'model' that returns its input: whatever comes out is what the pipeline kept."""
    kind, scale, receptive_radius, input_multiple, window_radius = "window", 1, 0, 1, 0

    def encode(self, x):
        return x

    def decode(self, feats, centre):
        return centre


def test_sixteen_bit_frames_go_through_without_an_8bit_step():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 65536, size=(9, 11, 3), dtype=np.uint16) for _ in range(3)]
    out = run(WindowModel(Identity()), frames, high_bit_depth=True)
    assert all(o.dtype == np.uint16 for o in out)
    assert same(out, frames)


def denoiser():
    from genvid.models import SlidingWindowRestore

    torch.manual_seed(1)
    net = SlidingWindowRestore(channels=4, blocks=1, radius=2, noise_map=True).eval()
    net.tail.reset_parameters()  # not the identity
    return WindowModel(net)


@pytest.mark.parametrize("kind", ["sr", "denoise"])
@pytest.mark.parametrize("tile", [0, 16])
@pytest.mark.parametrize("batch", [2, 5])
def test_batched_windows_give_the_frames_of_batch_one(window_model, two_shots, kind, tile, batch):
    """N frames encoded and N windows decoded per call: on the CPU the very frames of one at a time, with
    tiles, across a scene cut, and resumed late (a noise-map denoiser: each frame keeps its own level)."""
    model = window_model if kind == "sr" else denoiser()
    frames = two_shots[0] + two_shots[1]
    options = dict(scene_threshold=DEFAULT_THRESHOLD, tile=tile, overlap=model.receptive_radius if tile else None)
    one = run(model, frames, batch=1, **options)
    assert same(run(model, frames, batch=batch, **options), one)
    assert same(run(model, frames, batch=batch, start=6, **options), one[6:])


def test_batches_encode_n_frames_per_call(window_model, two_shots):
    frames = two_shots[0] + two_shots[1]
    streamer = Streamer(window_model, "cpu", batch=4)
    sizes = []
    encode = streamer._encode
    streamer._encode = lambda todo, cache: sizes.append(len(todo)) or encode(todo, cache)
    assert len(list(streamer.run(frames))) == 13 and sizes == [4, 4, 4, 1]


def test_frames_of_another_size_start_a_new_batch():
    """A single-frame model takes frames of any size; a batch holds frames of one size only."""
    rng = np.random.default_rng(2)
    frames = [rng.integers(0, 256, (9 + 2 * (i // 3), 11, 3), dtype=np.uint8) for i in range(7)]
    out = run(WindowModel(Identity()), frames, batch=4)
    assert same(out, frames)
