"""genvid.ui.paths: the page reads and writes only inside its roots and its own state folder."""
from __future__ import annotations

import os

import pytest

from genvid.errors import GenvidError
from genvid.ui.paths import PathGuard, default_state_dir, safe_name, unique_path


@pytest.fixture
def guard(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "clip.mp4").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("no")
    return PathGuard([root], tmp_path / "state")


def test_reads_inside_the_root_relative_or_absolute(guard):
    root = guard.roots[0]
    assert guard.readable("sub/clip.mp4") == root / "sub" / "clip.mp4"
    assert guard.readable(str(root / "sub" / "clip.mp4")) == root / "sub" / "clip.mp4"
    assert guard.shown(root / "sub" / "clip.mp4") == os.path.join("sub", "clip.mp4")


@pytest.mark.parametrize("text", ["../secret.txt", "sub/../../secret.txt", "/etc/passwd", "~/.bashrc"])
def test_refuses_paths_outside_the_roots(guard, text):
    with pytest.raises(GenvidError, match="outside the folders this page may use"):
        guard.readable(text)


def test_refuses_links_that_lead_outside(guard, tmp_path):
    root = guard.roots[0]
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "linkdir").symlink_to(tmp_path)
    with pytest.raises(GenvidError, match="outside"):
        guard.readable("link.txt")
    with pytest.raises(GenvidError, match="outside"):
        guard.writable("linkdir/out.mp4")
    (root / "out.mp4").symlink_to(tmp_path / "elsewhere.mp4")  # a dangling link would be written through
    with pytest.raises(GenvidError, match="outside"):
        guard.writable("out.mp4")


def test_missing_and_empty_paths_are_one_line_errors(guard):
    with pytest.raises(GenvidError, match="does not exist"):
        guard.readable("sub/nope.mp4")
    with pytest.raises(GenvidError, match="no path given"):
        guard.readable("  ")


def test_writable_needs_a_new_video_file_in_an_existing_folder(guard):
    root = guard.roots[0]
    assert guard.writable("sub/out.mkv") == root / "sub" / "out.mkv"
    with pytest.raises(GenvidError, match="exists"):
        guard.writable("sub/clip.mp4")
    with pytest.raises(GenvidError, match="video suffix"):
        guard.writable("sub/out.txt")
    with pytest.raises(GenvidError, match="does not exist"):
        guard.writable("nofolder/out.mp4")
    with pytest.raises(GenvidError, match="outside"):
        guard.writable("../out.mp4")


def test_several_roots_and_the_state_folders(tmp_path, guard):
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.mp4").write_bytes(b"x")
    two = PathGuard([guard.roots[0], other], tmp_path / "state")
    assert two.readable(str(other / "a.mp4")) == (other / "a.mp4").resolve()
    assert two.writable(str(two.outputs / "b.mp4")) == two.outputs / "b.mp4"
    with pytest.raises(GenvidError, match="outside"):
        two.writable(str(two.state / "queue.mp4"))  # the state folder itself is genvid's, not the page user's


def test_uploads_are_moved_under_a_safe_unique_name(guard, tmp_path):
    for _ in range(2):
        up = tmp_path / "gradio-cache" / "my clip;rm -rf.mp4"
        up.parent.mkdir(exist_ok=True)
        up.write_bytes(b"v")
        stored = guard.store_upload(up)
        assert stored.parent == guard.uploads and not up.exists()
    assert sorted(p.name for p in guard.uploads.iterdir()) == ["my_clip_rm_-rf.mp4", "my_clip_rm_-rf_2.mp4"]
    assert guard.readable(str(stored)) == stored
    assert guard.default_output(stored, "denoise,sr-x4") == guard.outputs / "my_clip_rm_-rf_2_denoise_sr-x4.mp4"


def test_default_output_sits_beside_the_source_and_skips_taken_names(guard):
    src = guard.roots[0] / "sub" / "clip.mp4"
    first = guard.default_output(src, "sr-x4")
    assert first == src.parent / "clip_sr-x4.mp4"
    assert guard.default_output(src, "sr-x4", {str(first)}) == src.parent / "clip_sr-x4_2.mp4"


def test_helpers(tmp_path, monkeypatch):
    assert safe_name("../.hidden") == "hidden" and safe_name("") == "video"
    (tmp_path / "a.mp4").write_bytes(b"")
    assert unique_path(tmp_path / "a.mp4").name == "a_2.mp4"
    monkeypatch.setenv("GENVID_UI_STATE", str(tmp_path / "s"))
    assert default_state_dir() == tmp_path / "s"
    with pytest.raises(GenvidError, match="not a folder"):
        PathGuard([tmp_path / "missing"], tmp_path / "s")
