"""genvid.engine.recurrent: a recurrent model streamed frame by frame gives its whole-clip forward, resets at
scene cuts, and resumes exactly from a kept state (or, without one, by recomputing it), tiled and chained too."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from genvid import Enhancer
from genvid.models import SlidingWindowRestore
from genvid.models.recurrent_sr import RecurrentFlowSR
from test_engine_scenes import lavfi_frames


def tiny_recurrent(seed: int = 0) -> RecurrentFlowSR:
    torch.manual_seed(seed)
    return RecurrentFlowSR(channels=4, blocks=1, scale=2).eval()


def clip_tensor(t: int = 6, h: int = 20, w: int = 28, seed: int = 0) -> torch.Tensor:
    """(1, T, 3, H, W): a textured picture drifting sideways, so the flow has something to follow."""
    g = torch.Generator().manual_seed(seed)
    wide = torch.rand(3, h, w + 2 * t, generator=g)
    return torch.stack([wide[:, :, 2 * i:2 * i + w] for i in range(t)])[None]


def run(enhancer: Enhancer, frames, **kw) -> list:
    return list(enhancer.run(frames, **kw))


def same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_streamed_output_equals_the_whole_clip_forward():
    model = tiny_recurrent()
    x = clip_tensor()
    with torch.no_grad():
        whole = model(x)[0]
    streamed = run(Enhancer(model, "cpu", "fp32", scene_threshold=None), list(x[0]))
    assert len(streamed) == 6 and streamed[0].shape == (3, 40, 56)
    assert torch.allclose(torch.stack(streamed), whole, atol=1e-5)


def test_each_frame_is_encoded_once():
    model = tiny_recurrent()
    calls = []
    encode = model.encode
    model.encode = lambda f: calls.append(1) or encode(f)
    run(Enhancer(model, "cpu", "fp32", scene_threshold=None), list(clip_tensor(t=7)[0]))
    assert len(calls) == 7


@pytest.fixture(scope="module")
def two_shots():
    return lavfi_frames("testsrc2", 6, size=(32, 24)), lavfi_frames("mandelbrot", 5, size=(32, 24))


def test_the_state_resets_at_a_scene_cut(two_shots):
    a, b = two_shots
    enhancer = Enhancer(tiny_recurrent(), "cpu", "fp32")
    together = run(enhancer, a + b)
    assert enhancer.cuts == [len(a)]
    apart = run(enhancer, a) + run(enhancer, b)
    assert same(together, apart)
    across = run(Enhancer(tiny_recurrent(), "cpu", "fp32", scene_threshold=None), a + b)
    assert same(across[:len(a) - 1], together[:len(a) - 1])  # before the cut's look-ahead: the same
    assert not np.array_equal(across[len(a) + 1], together[len(a) + 1])  # after it: the state was reset


def states_during(enhancer: Enhancer, frames, at: list[int]) -> tuple[list, dict]:
    """The whole run's frames, and the state for each frame in `at`, taken as a file job does."""
    out, states = [], {}
    for frame in enhancer.run(frames):
        out.append(frame)
        if len(out) in at:
            states[len(out)] = enhancer.state_at(len(out))
    return out, states


@pytest.mark.parametrize("tile", [0, 16])
def test_resuming_from_a_kept_state_gives_the_whole_runs_frames(two_shots, tile):
    frames = two_shots[0] + two_shots[1]  # a cut at 6: resumes before, at and after it
    enhancer = Enhancer(tiny_recurrent(), "cpu", "fp32", tile=tile, tile_overlap=4)
    whole, states = states_during(enhancer, frames, [3, 6, 7, 10])
    assert all(s is not None for s in states.values())
    assert sum(k.startswith("0.hidden.") for k in states[3]) == (1 if tile == 0 else 4)
    for k, state in states.items():
        assert same(run(enhancer, frames, start=k, state=state), whole[k:])
    assert same(run(enhancer, frames, start=9, state=states[7]), whole[9:])  # an older state: run on from it
    assert same(run(enhancer, frames, start=4), whole[4:])  # no state: recomputed from the first frame


def test_starting_from_a_state_runs_the_model_only_from_there():
    model = tiny_recurrent()
    frames = list(clip_tensor(t=8)[0])
    enhancer = Enhancer(model, "cpu", "fp32", scene_threshold=None)
    whole, states = states_during(enhancer, frames, [5])
    calls = []
    cell = model.cell
    model.cell = lambda *a: calls.append(1) or cell(*a)
    tail = run(enhancer, frames, start=5, state=states[5])
    assert len(calls) == 3 and all(torch.equal(p, q) for p, q in zip(tail, whole[5:]))


def test_tiled_output_differs_a_little_from_untiled(two_shots):
    frames = two_shots[0]
    whole = run(Enhancer(tiny_recurrent(), "cpu", "fp32"), frames)
    tiled = run(Enhancer(tiny_recurrent(), "cpu", "fp32", tile=16, tile_overlap=4), frames)
    assert [f.shape for f in tiled] == [(48, 64, 3)] * len(frames)
    diff = np.abs(np.stack(whole).astype(int) - np.stack(tiled).astype(int))
    assert diff.mean() < 8  # each tile has its own state and flow: close, not the same


def test_a_chain_into_a_recurrent_model_resumes_from_its_state(two_shots):
    torch.manual_seed(3)
    denoise = SlidingWindowRestore(channels=4, blocks=1, radius=2).eval()
    denoise.tail.reset_parameters()  # not the identity
    enhancer = Enhancer([denoise, tiny_recurrent()], "cpu", "fp32")
    frames = two_shots[0] + two_shots[1]
    whole, states = states_during(enhancer, frames, [4, 8])
    for k, state in states.items():
        assert state is not None and int(state["1.frame"][0]) == k
        assert same(run(enhancer, frames, start=k, state=state), whole[k:])


def test_a_recurrent_model_before_a_window_keeps_states_far_enough_back(two_shots):
    torch.manual_seed(4)
    after = SlidingWindowRestore(channels=4, blocks=1, radius=2).eval()
    after.tail.reset_parameters()
    enhancer = Enhancer([tiny_recurrent(), after], "cpu", "fp32")
    frames = two_shots[0] + two_shots[1]
    whole, states = states_during(enhancer, frames, [5, 9])
    for k, state in states.items():
        assert state is not None and int(state["0.frame"][0]) == k - 2  # the window needs 2 frames before k
        assert same(run(enhancer, frames, start=k, state=state), whole[k:])


@pytest.mark.parametrize("batch", [2, 4])
def test_tiles_in_batches_give_the_frames_of_one_tile_at_a_time(two_shots, batch):
    """Frames stay in time order; tiles of one shape share a call (the 32x24 frames make 4 tiles of 2
    shapes); a state taken in batches resumes to the same frames."""
    frames = two_shots[0] + two_shots[1]
    one = run(Enhancer(tiny_recurrent(), "cpu", "fp32", tile=16, tile_overlap=4, batch=1), frames)
    enhancer = Enhancer(tiny_recurrent(), "cpu", "fp32", tile=16, tile_overlap=4, batch=batch)
    out, states = states_during(enhancer, frames, [4])
    assert same(out, one)
    resumed = run(Enhancer(tiny_recurrent(), "cpu", "fp32", tile=16, tile_overlap=4, batch=batch), frames,
                  start=4, state=states[4])
    assert same(resumed, one[4:])
