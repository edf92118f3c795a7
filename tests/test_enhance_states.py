"""genvid.enhance.states: a recurrent model's state is kept at every segment boundary, so a `genvid enhance`
killed with SIGKILL and resumed gives the frames of an uninterrupted run; without the state file the
resumed run recomputes it and still gives them."""
from __future__ import annotations

import pytest
import torch

import genvid
from genvid.enhance.workdir import WorkFolder, state_file
from genvid.io.decode import read_frames
from genvid.models.recurrent_sr import RecurrentFlowSR
from genvid.models.registry import export_model
from test_enhance_workdir import kill_after, same_frames

OPTIONS = {"codec": "ffv1", "segment_frames": 5, "quiet": True}


@pytest.fixture
def recurrent_dir(tmp_path, monkeypatch):
    """`tiny-rec`: a random RecurrentFlowSR (x4) with its card, on GENVID_WEIGHTS.  For plumbing tests only."""
    torch.manual_seed(0)
    args = {"channels": 4, "blocks": 1, "scale": 4}
    folder = tmp_path / "weights"
    export_model(RecurrentFlowSR(**args), folder / "tiny-rec.safetensors",
                 {"name": "tiny-rec", "task": "super-resolution", "scale": 4, "kind": "recurrent",
                  "arch": "RecurrentFlowSR", "args": args})
    monkeypatch.setenv("GENVID_WEIGHTS", str(folder))
    return folder


@pytest.fixture
def clip(clip_maker):
    return clip_maker("in.mp4", size="32x24", frames=40)


@pytest.fixture
def reference(clip, recurrent_dir, tmp_path):
    out = tmp_path / "reference.mkv"
    genvid.enhance(clip, out, "tiny-rec", **OPTIONS)
    return read_frames(out)


def test_sigkill_then_resume_gives_the_uninterrupted_frames(clip, reference, recurrent_dir, tmp_path):
    out = tmp_path / "out.mkv"
    manifest = kill_after(2, clip, out, recurrent_dir, model="tiny-rec")
    done = sum(s["frames"] for s in manifest["segments"])
    work = WorkFolder(out).path
    assert all((work / state_file(s["start"] + s["frames"])).is_file() for s in manifest["segments"])
    result = genvid.enhance(clip, out, "tiny-rec", resume=True, **OPTIONS)
    assert result["resumed_from"] == done >= 10
    assert same_frames(read_frames(out), reference)
    assert not work.exists()


def interrupt_at(frame: int):
    def progress(done, total):
        if done == frame:
            raise KeyboardInterrupt
    return progress


@pytest.mark.parametrize("remove", ["latest", "all"])
def test_a_missing_state_file_is_recomputed_exactly(clip, reference, recurrent_dir, tmp_path, remove):
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(clip, out, "tiny-rec", progress=interrupt_at(23), **OPTIONS)
    work = WorkFolder(out).path
    states = sorted(work.glob("state-*.safetensors"))
    assert [p.name for p in states] == [state_file(k) for k in (5, 10, 15, 20)]
    for p in states[-1:] if remove == "latest" else states:
        p.unlink()
    (work / state_file(20)).with_suffix(".safetensors.tmp").write_bytes(b"half")  # a write that died
    result = genvid.enhance(clip, out, "tiny-rec", resume=True, **OPTIONS)
    assert result["resumed_from"] == 20
    assert same_frames(read_frames(out), reference)


def test_each_state_is_on_disk_before_its_segment_is_recorded(clip, recurrent_dir, tmp_path, monkeypatch):
    recorded = []
    add = WorkFolder.add_segment

    def add_segment(self, file, start, frames):
        recorded.append((self.path / state_file(start + frames)).is_file())
        return add(self, file, start, frames)
    monkeypatch.setattr(WorkFolder, "add_segment", add_segment)
    genvid.enhance(clip, tmp_path / "out.mkv", "tiny-rec", **OPTIONS)
    assert recorded == [True] * 4 + [False]  # 5, 10, 15, 20; the last (20-39, no short tail) ends the video


def test_models_without_state_write_no_state_files(clip, tiny_model_dir, tmp_path):
    out = tmp_path / "out.mkv"
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(clip, out, "tiny-x4", progress=interrupt_at(23), **OPTIONS)
    work = WorkFolder(out).path
    assert WorkFolder(out).read()["segments"] and not list(work.glob("state-*"))
