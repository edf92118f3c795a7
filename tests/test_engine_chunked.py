"""genvid.engine.chunked: a bidirectional model over chunks with context holds a bounded number of frames,
gives its whole-clip output where a chunk and its context cover the clip, stays within the measured
tolerance of it with the default context (real BasicVSR weights, where ../shared is), stops at scene cuts
and resumes exactly."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import shared_path
from genvid import Enhancer
from genvid.engine.chunked import DEFAULT_CONTEXT, ChunkedStreamer
from genvid.models.basicvsr import BasicVSR
from test_engine_recurrent import clip_tensor, run, same
from test_engine_scenes import lavfi_frames


@pytest.fixture(scope="module")
def model() -> BasicVSR:
    torch.manual_seed(0)
    return BasicVSR(num_feat=4, num_block=1).eval()


def chunked(model, n: int, m: int, **kw) -> Enhancer:
    return Enhancer(model, "cpu", "fp32", chunk_frames=n, chunk_context=m, **kw)


@pytest.mark.parametrize("n, m", [(9, 0), (2, 8), (4, 5)])
def test_a_chunk_whose_context_covers_the_clip_gives_the_whole_clip_output(model, n, m):
    x = clip_tensor(t=9, h=16, w=20)
    with torch.no_grad():
        whole = model(x)[0]
    out = run(chunked(model, n, m, scene_threshold=None), list(x[0]))
    assert len(out) == 9 and torch.allclose(torch.stack(out), whole, atol=1e-5)


def test_short_context_differs_and_at_most_chunk_plus_context_frames_are_held(model):
    x = clip_tensor(t=14, h=16, w=20)
    lengths = []
    forward = model.forward
    model.forward = lambda clip: lengths.append(clip.shape[1]) or forward(clip)
    try:
        out = torch.stack(run(chunked(model, 3, 2, scene_threshold=None), list(x[0])))
    finally:
        del model.forward
    with torch.no_grad():
        whole = model(x)[0]
    assert lengths == [5, 7, 7, 7, 4]  # chunks 0-2, 3-5, 6-8, 9-11, 12-13, each with up to 2 frames each side
    assert (out - whole).abs().max() > 1e-6  # what lies beyond the context is missing


def test_frames_come_out_as_their_chunk_and_its_context_arrive(model):
    pulled = []

    def source():
        for i, f in enumerate(clip_tensor(t=20, h=16, w=20)[0]):
            pulled.append(i)
            yield f
    out = chunked(model, 4, 3, scene_threshold=None).run(source())
    next(out)
    assert len(pulled) == 4 + 3  # the first chunk and its context after it
    assert len(list(out)) == 19


def test_chunks_stop_at_scene_cuts(model):
    a, b = lavfi_frames("testsrc2", 6, size=(24, 16)), lavfi_frames("mandelbrot", 5, size=(24, 16))
    enhancer = chunked(model, 4, 2)
    together = run(enhancer, a + b)
    assert enhancer.cuts == [6]
    assert same(together, run(enhancer, a) + run(enhancer, b))


@pytest.mark.parametrize("start", [1, 4, 5, 6, 9, 10])
def test_resuming_at_any_frame_gives_the_whole_runs_frames(model, start):
    frames = lavfi_frames("testsrc2", 7, size=(24, 16)) + lavfi_frames("mandelbrot", 5, size=(24, 16))
    enhancer = chunked(model, 3, 2)
    whole = run(enhancer, frames)
    assert ChunkedStreamer(model, "cpu", chunk=3, context=2).needed_from(start) == max(start - 4, 0)
    assert same(run(enhancer, frames, start=start), whole[start:])


def test_tiles_each_run_the_model(model):
    frames = lavfi_frames("testsrc2", 5, size=(40, 32))
    out = run(chunked(model, 3, 1, tile=16, tile_overlap=4), frames)
    assert [f.shape for f in out] == [(128, 160, 3)] * 5


@pytest.mark.slow  # full-size shipped or official weights on real frames (../shared)
def test_default_context_stays_within_the_measured_tolerance_on_real_weights(tmp_path):
    """BasicVSR's official weights on 16 frames of a DAVIS clip (a 128x96 crop, BI x4), in chunks of 4 frames:
    the chunked output scores within 0.05 dB PSNR-Y of the whole-clip output (benchmarks/chunking.py)."""
    from genvid.data.clips import load_clip
    from genvid.data.degrade import bicubic_downscale
    from genvid.metrics.fidelity import frame_scores
    from genvid.metrics.sr_protocol import run_clip
    from genvid.models.registry import load_model
    from genvid.models.third_party import convert_checkpoint

    weights = shared_path("weights", "basicvsr", "BasicVSR_Vimeo90K_BIx4.pth")
    hr = load_clip(shared_path("data", "davis", "blackswan"), 16)[:, 192:288, 360:488]
    lr = np.stack([bicubic_downscale(f, 4) for f in hr])
    path, _ = convert_checkpoint(weights, tmp_path / "basicvsr.safetensors")
    model = load_model(str(path))
    with torch.inference_mode():
        whole = run_clip(model, lr)
    out = np.stack(run(chunked(model, 4, DEFAULT_CONTEXT, scene_threshold=None), list(lr)))

    def psnr_y(pred):
        return np.mean([frame_scores(p, r, crop=4)["psnr_y"] for p, r in zip(pred, hr)])
    assert abs(psnr_y(out) - psnr_y(whole)) <= 0.05


def test_tiles_in_batches_give_the_frames_of_one_tile_at_a_time(model):
    frames = lavfi_frames("testsrc2", 6, size=(32, 24))
    one = run(chunked(model, 3, 1, tile=16, tile_overlap=4, batch=1), frames)
    assert same(run(chunked(model, 3, 1, tile=16, tile_overlap=4, batch=3), frames), one)
