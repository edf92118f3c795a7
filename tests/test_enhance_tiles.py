"""genvid.enhance.tiles: out of GPU memory, a job goes on with halved tiles (a model that raises
torch.OutOfMemoryError for inputs over a number of pixels stands for the GPU); --resume takes another tile
where tiling cannot change the frames and refuses it in one line where it could."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

import genvid
from genvid.enhance.workdir import WorkFolder, state_file
from genvid.errors import GenvidError
from genvid.io.decode import read_frames
from genvid.models.recurrent_sr import RecurrentFlowSR
from genvid.models.sr_window import SlidingWindowSR
from test_enhance_states import recurrent_dir  # noqa: F401 (a fixture)

OPTIONS = {"codec": "ffv1", "segment_frames": 2, "quiet": True}  # 18 frames: segments 0-1 and 2-17


class Memory:
    """Makes `cls.encode` run out of GPU memory on inputs of more than `pixels` pixels once it has been called
    `after` times; `seen`: the (height, width) of every input, `failed`: how often it ran out."""

    def __init__(self, monkeypatch, cls, pixels: int, after: int = 0):
        real, self.seen, self.failed = cls.encode, [], 0

        def encode(net, frame, *args, **kwargs):
            self.seen.append(tuple(frame.shape[-2:]))
            if len(self.seen) > after and frame.shape[-2] * frame.shape[-1] > pixels:
                self.failed += 1
                raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {frame.numel() * 256} bytes")
            return real(net, frame, *args, **kwargs)
        monkeypatch.setattr(cls, "encode", encode)
        self.restore = lambda: monkeypatch.setattr(cls, "encode", real)  # (undo() would drop the fixtures' too)

    @property
    def largest(self) -> int:
        return max(h * w for h, w in self.seen)


def interrupt_at(frame: int, memory: Memory | None = None):
    """Stops the run (as Ctrl-C does) when it has made `frame` frames (after running out of memory, if given)."""
    def progress(done, total):
        if done == frame and (memory is None or memory.failed):
            raise KeyboardInterrupt
    return progress


@pytest.fixture
def clip(clip_maker):
    return clip_maker("in.mp4", size="80x64", frames=18)


@pytest.fixture
def short(clip_maker):
    return clip_maker("short.mp4", size="80x64", frames=4)


def untiled_frames(src, tmp_path) -> list:
    out = tmp_path / f"untiled-{src.stem}.mkv"
    genvid.enhance(src, out, "tiny-x4", **OPTIONS)
    return read_frames(out)


@pytest.fixture
def untiled(clip, tiny_model_dir, tmp_path):
    return untiled_frames(clip, tmp_path)


def same_frames(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def as_untiled(tiled, untiled) -> bool:
    """Exact tiles give the untiled frames to float rounding: a value that falls on a rounding boundary may
    differ by one level (0 to 3 of the 245,760 values of these 320x256 frames do)."""
    diffs = [np.abs(a.astype(int) - b.astype(int)) for a, b in zip(tiled, untiled)]
    return len(tiled) == len(untiled) and all(d.max() <= 1 and np.count_nonzero(d) <= 1e-4 * d.size for d in diffs)


def test_out_of_memory_halves_the_tile_until_it_fits_with_the_untiled_frames(short, tiny_model_dir, tmp_path,
                                                                             monkeypatch, capsys):
    untiled = untiled_frames(short, tmp_path)
    memory = Memory(monkeypatch, SlidingWindowSR, 2000)  # whole frames (5120) and tiles of 40 (48x48) fail
    out = tmp_path / "out.mkv"
    result = genvid.enhance(short, out, "tiny-x4", **OPTIONS)
    assert result["tile"] == 20 and result["frames"] == 4
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "out of GPU memory" in ln]
    assert lines == ["genvid: out of GPU memory at frame 0 with whole frames; going on from frame 0 with --tile 40",
                     "genvid: out of GPU memory at frame 0 with --tile 40; going on from frame 0 with --tile 20"]
    assert max(h * w for h, w in memory.seen[-16:]) == 36 * 36  # the last frame: tiles of 20 and 8 of context
    assert as_untiled(read_frames(out), untiled)
    assert not WorkFolder(out).path.exists()


def test_out_of_memory_after_finished_segments_redoes_only_the_unfinished_one(clip, untiled, tiny_model_dir,
                                                                             tmp_path, monkeypatch, capsys):
    Memory(monkeypatch, SlidingWindowSR, 4000, after=10)  # frames 0..9 whole, then tiles of 40 (48x48) fit
    out = tmp_path / "out.mkv"
    result = genvid.enhance(clip, out, "tiny-x4", **OPTIONS)
    err = capsys.readouterr().err
    assert "out of GPU memory at frame 9 with whole frames; going on from frame 2 with --tile 40" in err, err
    assert result["tile"] == 40 and result["resumed_from"] == 0 and result["segments"] == 2
    assert as_untiled(read_frames(out), untiled)


def test_out_of_memory_with_the_least_tile_is_one_line_and_leaves_nothing(short, tiny_model_dir, tmp_path,
                                                                          monkeypatch, capsys):
    Memory(monkeypatch, SlidingWindowSR, 100)
    out = tmp_path / "out.mkv"
    with pytest.raises(GenvidError, match=r"^out of GPU memory at frame 0 even with --tile 17 \(the least tile the "
                                          r"model takes is 17\); .*--device cpu$"):
        genvid.enhance(short, out, "tiny-x4", **OPTIONS)
    tiles = re.findall(r"going on from frame 0 with --tile (\d+)", capsys.readouterr().err)
    assert tiles == ["40", "20", "17"]
    assert not out.exists() and not WorkFolder(out).path.exists()


def test_a_resume_after_running_out_of_memory_starts_with_the_tile_it_came_to(clip, untiled, tiny_model_dir,
                                                                              tmp_path, monkeypatch):
    memory = Memory(monkeypatch, SlidingWindowSR, 2000)
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(clip, out, "tiny-x4", progress=interrupt_at(8, memory), **OPTIONS)
    manifest = json.loads((WorkFolder(out).path / "manifest.json").read_text())
    assert manifest["tile_used"] == 20 and manifest["settings"]["tile"] == 0
    memory.restore()
    memory = Memory(monkeypatch, SlidingWindowSR, 10 ** 9)  # never runs out now: records the inputs
    result = genvid.enhance(clip, out, "tiny-x4", resume=True, **OPTIONS)
    assert result["resumed_from"] == 2 and result["tile"] == 20
    assert memory.largest == 36 * 36, "no attempt with whole frames"
    assert as_untiled(read_frames(out), untiled)


def test_resume_takes_another_exact_tile_and_refuses_an_inexact_one(clip, untiled, tiny_model_dir, tmp_path):
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(clip, out, "tiny-x4", progress=interrupt_at(8), **OPTIONS)
    with pytest.raises(GenvidError, match=r"made with whole frames \(--tile 0\), and with 2 pixels of overlap the "
                                          r"tiles of tiny-x4 are inexact \(its receptive radius is 8\), so other "
                                          r"tiles would change its frames; .*--overwrite"):
        genvid.enhance(clip, out, "tiny-x4", resume=True, tile=20, tile_overlap=2, **OPTIONS)
    with pytest.raises(GenvidError, match=r"other settings \(crf: 18, now 20\)"):  # another setting: as before
        genvid.enhance(clip, out, "tiny-x4", resume=True, tile=20, tile_overlap=2, crf=20, **OPTIONS)
    result = genvid.enhance(clip, out, "tiny-x4", resume=True, tile=20, **OPTIONS)
    assert result["resumed_from"] == 2 and result["tile"] == 20
    assert as_untiled(read_frames(out), untiled)


@pytest.fixture
def rec_clip(clip_maker):
    return clip_maker("rec.mp4", size="48x32", frames=18)


def test_a_recurrent_model_refuses_another_tile_on_resume_unless_frames_stay_whole(rec_clip, recurrent_dir,
                                                                                  tmp_path):
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(rec_clip, out, "tiny-rec", progress=interrupt_at(8), **OPTIONS)
    with pytest.raises(GenvidError, match=r"made with whole frames \(--tile 0\), and tiny-rec is recurrent \(each "
                                          r"tile carries its own hidden state\), so other tiles would change"):
        genvid.enhance(rec_clip, out, "tiny-rec", resume=True, tile=24, **OPTIONS)
    result = genvid.enhance(rec_clip, out, "tiny-rec", resume=True, tile=48, **OPTIONS)  # one tile: the whole frame
    assert result["resumed_from"] == 2
    reference = tmp_path / "reference.mkv"
    genvid.enhance(rec_clip, reference, "tiny-rec", **OPTIONS)
    assert same_frames(read_frames(out), read_frames(reference))


def test_a_recurrent_model_out_of_memory_runs_again_from_the_start_with_the_new_tile(rec_clip, recurrent_dir,
                                                                                     tmp_path, monkeypatch):
    whole, tiled = tmp_path / "whole.mkv", tmp_path / "tiled.mkv"
    genvid.enhance(rec_clip, whole, "tiny-rec", **OPTIONS)
    genvid.enhance(rec_clip, tiled, "tiny-rec", tile=24, **OPTIONS)
    memory = Memory(monkeypatch, RecurrentFlowSR, 1200, after=12)  # whole frames: 1536 pixels; tiles of 24 fit
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):  # stopped after the retry: no state of the old tiles may be left
        genvid.enhance(rec_clip, out, "tiny-rec", progress=interrupt_at(9, memory), **OPTIONS)
    work = WorkFolder(out).path
    assert json.loads((work / "manifest.json").read_text())["tile_used"] == 24
    assert not (work / state_file(2)).exists(), "the state of whole frames is dropped"
    memory.restore()
    result = genvid.enhance(rec_clip, out, "tiny-rec", resume=True, **OPTIONS)
    assert result["tile"] == 24 and result["resumed_from"] == 2
    got, a, b = read_frames(out), read_frames(whole), read_frames(tiled)
    assert same_frames(got[:2], a[:2]) and same_frames(got[2:], b[2:])
    assert not same_frames(a[2:], b[2:]), "the tiles change a recurrent model's frames"
