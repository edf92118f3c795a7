"""Outputs (genvid.enhance.outputs): genvid replaces only what it wrote, never a folder holding the input, and
creates the missing folders above an output (removing them when the run leaves nothing)."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

import genvid
from genvid.enhance.outputs import (MARKER, check_output_path, install_frames, make_parents, output_path,
                                    read_marker, remove_made, write_marker)
from genvid.errors import GenvidError
from genvid.io.image_folder import list_frames, write_image


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def home(clip_maker, tmp_path):
    """A folder holding the input clip and a file of the user's."""
    folder = tmp_path / "home"
    folder.mkdir()
    clip = clip_maker("home/clip.mp4", size="32x24", frames=3)
    (folder / "notes.txt").write_text("mine")
    return folder, clip


@pytest.mark.parametrize("target", ["folder", "dot", "parent"])
def test_overwrite_never_touches_a_folder_that_holds_the_input(target, home, tiny_model_dir, monkeypatch):
    folder, clip = home
    before = snapshot(folder.parent)
    if target == "folder":
        output = folder
    else:
        monkeypatch.chdir(folder)
        output = "." if target == "dot" else ".."
    with pytest.raises(GenvidError, match="holds the input"):
        genvid.enhance(clip, output, "tiny-x4", quiet=True, overwrite=True)
    assert snapshot(folder.parent) == before


def test_overwrite_refuses_a_non_empty_folder_genvid_did_not_write(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x24", frames=3)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "photo.png").write_bytes(b"not ours")
    with pytest.raises(GenvidError, match=f"genvid did not write it .*{MARKER}"):
        genvid.enhance(src, theirs, "tiny-x4", quiet=True, overwrite=True)
    assert snapshot(theirs) == {"photo.png": b"not ours"}
    plain = tmp_path / "README"  # no extension: a folder output, but a file is there
    plain.write_text("keep")
    with pytest.raises(GenvidError, match="is a file"):
        genvid.enhance(src, plain, "tiny-x4", quiet=True, overwrite=True)
    assert plain.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README", "in.mp4", "theirs", "weights"]


def test_overwrite_replaces_only_the_frames_genvid_wrote(clip_maker, tiny_model_dir, tmp_path):
    long, short = clip_maker("long.mp4", size="32x24", frames=4), clip_maker("short.mp4", size="32x24", frames=2)
    out = tmp_path / "frames"
    genvid.enhance(long, out, "tiny-x4", quiet=True)
    assert read_marker(out) == [f"{i:08d}.png" for i in range(1, 5)]
    (out / "notes.txt").write_text("mine")
    genvid.enhance(short, out, "tiny-x4", quiet=True, overwrite=True)
    assert sorted(os.listdir(out)) == [MARKER, "00000001.png", "00000002.png", "notes.txt"]
    assert read_marker(out) == ["00000001.png", "00000002.png"] and (out / "notes.txt").read_text() == "mine"
    # a file of the user's that a new frame would replace stops the run before any work
    (out / "00000003.png").write_bytes(b"mine too")
    with pytest.raises(GenvidError, match="holds 00000003.png, which genvid did not write"):
        genvid.enhance(long, out, "tiny-x4", quiet=True, overwrite=True)
    assert (out / "00000003.png").read_bytes() == b"mine too" and len(list_frames(out)) == 3


def test_an_empty_existing_folder_takes_frames_with_overwrite(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x24", frames=2)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GenvidError, match="exists; pass --overwrite"):
        genvid.enhance(src, empty, "tiny-x4", quiet=True)
    genvid.enhance(src, empty, "tiny-x4", quiet=True, overwrite=True)
    assert [p.name for p in list_frames(empty)] == ["00000001.png", "00000002.png"]


def test_the_cli_refuses_dot_in_one_line_and_keeps_every_file(home, tiny_model_dir, cli):
    folder, clip = home
    before = snapshot(folder)
    r = cli("enhance", "clip.mp4", ".", "--model", "tiny-x4", "--overwrite", cwd=folder)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "holds the input" in lines[0], r.stderr
    assert snapshot(folder) == before


def test_missing_folders_above_the_output_are_created(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x24", frames=2)
    genvid.enhance(src, tmp_path / "a" / "b" / "out.mp4", "tiny-x4", quiet=True)
    genvid.enhance(src, tmp_path / "c" / "frames", "tiny-x4", quiet=True)
    assert (tmp_path / "a" / "b" / "out.mp4").is_file() and len(list_frames(tmp_path / "c" / "frames")) == 2


@pytest.mark.parametrize("when", ["before any frame", "while reading frames"])
def test_the_folders_it_created_go_when_the_run_fails(when, tiny_model_dir, tmp_path):
    src = tmp_path / "frames"
    src.mkdir()
    for i in range(3):
        write_image(src / f"{i}.png", np.full((16, 16, 3), 60 * i, np.uint8))
    kwargs = {"quiet": True}
    if when == "before any frame":  # the output's container refuses the codec: found by the trial encode
        output, kwargs["codec"] = tmp_path / "a" / "b" / "out.mp4", "prores_ks"
    else:
        output = tmp_path / "a" / "b" / "out.mkv"
        (src / "1.png").write_bytes(b"junk")
    with pytest.raises(GenvidError):
        genvid.enhance(src, output, "tiny-x4", **kwargs)
    assert not (tmp_path / "a").exists()


def test_check_output_path_rules(tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(b"x")
    check_output_path(src, tmp_path / "new" / "deeper" / "out.mp4", False, None)
    with pytest.raises(GenvidError, match="is the input"):
        check_output_path(src, src, True, None)
    with pytest.raises(GenvidError, match="holds the input"):
        check_output_path(src, tmp_path, True, ["00000001.png"])
    with pytest.raises(GenvidError, match="in.mp4 is a file, not a folder"):
        check_output_path(tmp_path / "other.mp4", src / "sub" / "out.mp4", True, None)
    assert output_path(".") == output_path(os.getcwd()) and output_path(".").name
    with pytest.raises(GenvidError, match="root folder"):
        output_path("/")


def test_make_parents_and_remove_made(tmp_path):
    made = make_parents(tmp_path / "a" / "b" / "out.mp4")
    assert made == [tmp_path / "a" / "b", tmp_path / "a"] and (tmp_path / "a" / "b").is_dir()
    (tmp_path / "a" / "keep.txt").write_text("x")  # something else came to be there: that folder stays
    remove_made(made)
    assert not (tmp_path / "a" / "b").exists() and (tmp_path / "a" / "keep.txt").exists()
    assert make_parents(tmp_path / "out.mp4") == []


def test_install_frames_repeated_after_a_crash_at_any_move(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("1.png", "2.png", "3.png"):
        (out / name).write_text(f"old {name}")
    write_marker(out, ["1.png", "2.png", "3.png", "../escape.txt"])  # a name outside the folder is ignored
    (tmp_path / "escape.txt").write_text("outside")
    (out / "notes.txt").write_text("mine")
    for crash_at in range(1, 5):  # the marker claiming every name, each frame, the marker's own move
        target = tmp_path / f"out{crash_at}"
        subprocess.run(["cp", "-a", str(out), str(target)], check=True)
        joined = tmp_path / f"joined{crash_at}"
        joined.mkdir()
        for name in ("1.png", "2.png"):
            (joined / name).write_text(f"new {name}")
        write_marker(joined, ["1.png", "2.png"])
        moves, real_replace = [0], os.replace

        def crashing_replace(a, b):
            moves[0] += 1
            if moves[0] == crash_at:
                raise KeyboardInterrupt
            real_replace(a, b)
        with monkeypatch.context() as m:
            m.setattr(os, "replace", crashing_replace)
            with pytest.raises(KeyboardInterrupt):
                install_frames(joined, target)
        install_frames(joined, target)
        files = snapshot(target)
        assert json.loads(files.pop(MARKER))["frames"] == ["1.png", "2.png"]
        assert files == {"1.png": b"new 1.png", "2.png": b"new 2.png", "notes.txt": b"mine"}
    assert (tmp_path / "escape.txt").read_text() == "outside"


def test_a_folder_made_meanwhile_by_another_process_is_not_an_error_and_not_ours(tmp_path, monkeypatch):
    """Two batch processes may create the same missing output folder at once: the loser goes on, and only
    the folders this process made are its own to remove."""
    from pathlib import Path

    from genvid.enhance.outputs import make_parents

    real_mkdir = Path.mkdir

    def racing_mkdir(self, *args, **kwargs):
        if self.name == "b":  # the other process wins the race for b
            real_mkdir(self, *args, **kwargs)
            raise FileExistsError(17, "File exists")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", racing_mkdir)
    made = make_parents(tmp_path / "a" / "b" / "c" / "out.mp4")
    assert made == [tmp_path / "a" / "b" / "c", tmp_path / "a"]
    assert (tmp_path / "a" / "b" / "c").is_dir()
