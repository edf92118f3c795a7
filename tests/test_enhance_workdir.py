"""Resume (genvid.enhance.workdir): a real `genvid enhance` killed with SIGKILL and resumed gives the frames
of an uninterrupted run with its audio, redoing only the segment it was writing; deaths while finishing,
changed settings and leftover work folders are handled."""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch
import pytest

import genvid
from conftest import REPO
from genvid.enhance.workdir import WorkFolder
from genvid.errors import GenvidError
from genvid.io.decode import read_frames
from genvid.io.image_folder import list_frames, read_image
from genvid.io.probe import probe

OPTIONS = {"codec": "ffv1", "segment_frames": 5}
api = importlib.import_module("genvid.enhance.api")  # `genvid.enhance` is the function


@pytest.fixture
def clip(clip_maker):
    return clip_maker("in.mp4", size="64x48", frames=60, audio=True)


@pytest.fixture
def reference(clip, tiny_model_dir, tmp_path):
    """The frames of an uninterrupted run."""
    out = tmp_path / "reference.mkv"
    genvid.enhance(clip, out, "tiny-x4", quiet=True, **OPTIONS)
    return read_frames(out)


def cli(*args, weights):
    # the threads of the in-process reference run (an earlier in-process test may have set them): oneDNN's
    # float sums depend on the thread count, which could move a value to the next level
    env = dict(os.environ, GENVID_WEIGHTS=str(weights), OMP_NUM_THREADS=str(torch.get_num_threads()))
    return [sys.executable, "-m", "genvid", "enhance", *map(str, args)], {"cwd": REPO, "env": env}


def kill_after(segments: int, src, out, weights, model: str = "tiny-x4") -> dict:
    """Starts `genvid enhance` and SIGKILLs it once its manifest lists `segments` segments; returns the manifest."""
    cmd, kw = cli(src, out, "--model", model, "--codec", "ffv1", "--segment-frames", "5", "--quiet",
                  weights=weights)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    manifest = WorkFolder(out).path / "manifest.json"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            try:
                if len(json.loads(manifest.read_text())["segments"]) >= segments:
                    break
            except (OSError, ValueError):
                pass
            assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-500:]}"
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return json.loads(manifest.read_text())


def same_frames(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("kill_at", [1, 4])
def test_sigkill_then_resume_gives_the_uninterrupted_frames(clip, reference, tiny_model_dir, tmp_path, kill_at):
    out = tmp_path / "out.mkv"
    manifest = kill_after(kill_at, clip, out, tiny_model_dir)
    assert not out.exists()
    work = WorkFolder(out).path
    kept = {s["file"]: os.stat(work / s["file"]) for s in manifest["segments"]}
    kept_frames = sum(s["frames"] for s in manifest["segments"])
    assert kept_frames >= 5 * kill_at

    untouched = []

    def check(done, total):  # while the resumed run works, the recorded segments are the same files
        if not untouched:
            untouched.append(all((os.stat(work / f).st_ino, os.stat(work / f).st_mtime_ns) == (s.st_ino, s.st_mtime_ns)
                                 for f, s in kept.items()))

    result = genvid.enhance(clip, out, "tiny-x4", quiet=True, resume=True, progress=check, **OPTIONS)
    assert untouched == [True]
    assert result["resumed_from"] == kept_frames  # it began with the segment the killed run was writing
    assert result["frames"] == 60
    assert same_frames(read_frames(out), reference)
    assert probe(out).audio == ["aac"]
    assert not work.exists()


def test_without_resume_the_leftover_work_is_refused_then_resumed_by_the_cli(clip, reference, tiny_model_dir,
                                                                            tmp_path):
    out = tmp_path / "out.mkv"
    kill_after(2, clip, out, tiny_model_dir)
    cmd, kw = cli(clip, out, "--model", "tiny-x4", "--codec", "ffv1", "--segment-frames", "5", "--quiet",
                  weights=tiny_model_dir)
    refused = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert refused.returncode == 2
    lines = [ln for ln in refused.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--resume" in lines[0] and "--overwrite" in lines[0], refused.stderr
    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, **kw)
    assert resumed.returncode == 0, resumed.stderr
    assert same_frames(read_frames(out), reference)


def test_overwrite_discards_leftover_work(clip, reference, tiny_model_dir, tmp_path):
    out = tmp_path / "out.mkv"
    kill_after(1, clip, out, tiny_model_dir)
    result = genvid.enhance(clip, out, "tiny-x4", quiet=True, overwrite=True, **OPTIONS)
    assert result["resumed_from"] == 0 and same_frames(read_frames(out), reference)


def test_resume_with_other_settings_says_which(clip, tiny_model_dir, tmp_path):
    out = tmp_path / "out.mkv"
    kill_after(1, clip, out, tiny_model_dir)
    with pytest.raises(GenvidError, match=r"other settings \(crf: 18, now 20\).*--overwrite"):
        genvid.enhance(clip, out, "tiny-x4", quiet=True, resume=True, crf=20, **OPTIONS)
    assert WorkFolder(out).path.exists(), "the earlier work is kept"


def interrupt_at(frame: int):
    def progress(done, total):
        if done == frame:
            raise KeyboardInterrupt
    return progress


def test_png_folder_output_resumes(clip, tiny_model_dir, tmp_path, capsys):
    whole, out = tmp_path / "whole", tmp_path / "frames"
    genvid.enhance(clip, whole, "tiny-x4", quiet=True, segment_frames=5)
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(clip, out, "tiny-x4", quiet=True, segment_frames=5, progress=interrupt_at(33))
    assert "rerun with --resume" in capsys.readouterr().err
    result = genvid.enhance(clip, out, "tiny-x4", quiet=True, segment_frames=5, resume=True)
    assert 0 < result["resumed_from"] <= 33
    names = [p.name for p in list_frames(out)]
    assert names == [p.name for p in list_frames(whole)] and len(names) == 60
    assert all(np.array_equal(read_image(out / n), read_image(whole / n)) for n in names)


def test_an_error_after_finished_segments_keeps_them_and_says_so(clip, tiny_model_dir, tmp_path):
    out = tmp_path / "out.mkv"

    def fail(done, total):
        if done == 30:
            raise GenvidError("the disk went away")
    with pytest.raises(GenvidError, match=r"the disk went away; \d+ of 60 frames are kept in .*--resume"):
        genvid.enhance(clip, out, "tiny-x4", quiet=True, progress=fail, **OPTIONS)
    assert WorkFolder(out).path.exists()


@pytest.mark.parametrize("phase", ["joined, not yet renamed", "renamed, work folder not yet removed"])
def test_death_while_finishing_is_completed_by_resume(clip, reference, tiny_model_dir, tmp_path, monkeypatch, phase):
    out = tmp_path / "out.mkv"

    def die(*args, **kwargs):
        raise KeyboardInterrupt
    with monkeypatch.context() as m:
        if phase.startswith("joined"):
            original = WorkFolder.mark_joined
            m.setattr(WorkFolder, "mark_joined", lambda self, joined: (original(self, joined), die()))
        else:
            m.setattr(api, "fsync_folder", die)  # the step right after the rename
        with pytest.raises(KeyboardInterrupt):
            genvid.enhance(clip, out, "tiny-x4", quiet=True, **OPTIONS)
    assert out.exists() == phase.startswith("renamed") and WorkFolder(out).path.exists()
    result = genvid.enhance(clip, out, "tiny-x4", quiet=True, resume=True, **OPTIONS)
    assert result["resumed_from"] == 60 and not WorkFolder(out).path.exists()
    assert same_frames(read_frames(out), reference) and probe(out).audio == ["aac"]


def test_a_second_run_on_the_same_output_is_refused_while_the_first_works(clip, tiny_model_dir, tmp_path):
    out = tmp_path / "out.mkv"
    kill_after(1, clip, out, tiny_model_dir)
    first = WorkFolder(out)
    first.open(json.loads((first.path / "manifest.json").read_text())["settings"], resume=True, overwrite=False)
    try:  # `first` holds the lock as a running process would
        for kw in ({"resume": True}, {"overwrite": True}):
            with pytest.raises(GenvidError, match="another genvid run is writing"):
                genvid.enhance(clip, out, "tiny-x4", quiet=True, **kw, **OPTIONS)
    finally:
        first.release()
    assert genvid.enhance(clip, out, "tiny-x4", quiet=True, resume=True, **OPTIONS)["resumed_from"] > 0
