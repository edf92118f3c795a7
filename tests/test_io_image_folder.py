"""genvid.io.image_folder and folders as video sources: natural order, exact 8/16-bit PNG round trips."""
from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from genvid.errors import GenvidError
from genvid.io.decode import FrameReader
from genvid.io.encode import FrameWriter
from genvid.io.ffmpeg import ffmpeg_exe
from genvid.io.image_folder import list_frames, natural_key, read_image, write_image
from genvid.io.probe import probe


def read_all(source, **kw) -> list[np.ndarray]:
    with FrameReader(source, **kw) as reader:
        return list(reader)


def solid(value: int, h: int = 6, w: int = 8, dtype=np.uint8) -> np.ndarray:
    return np.full((h, w, 3), value, dtype=dtype)


def test_natural_key_sorts_numbers_by_value():
    names = ["f10.png", "f2.png", "f1.png", "F3.png", "f9.png", "f100.png"]
    assert sorted(names, key=natural_key) == ["f1.png", "f2.png", "F3.png", "f9.png", "f10.png", "f100.png"]


def test_list_frames_natural_order_images_only(tmp_path):
    for i in (10, 2, 1, 9):
        write_image(tmp_path / f"f{i}.png", solid(i))
    (tmp_path / "notes.txt").write_text("not a frame")
    (tmp_path / "sub.png").mkdir()  # a folder, even with an image suffix, is not a frame
    assert [p.name for p in list_frames(tmp_path)] == ["f1.png", "f2.png", "f9.png", "f10.png"]


def test_png_round_trip_8bit_exact(tmp_path):
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, size=(13, 17, 3), dtype=np.uint8)
    write_image(tmp_path / "a.png", frame)
    back = read_image(tmp_path / "a.png")
    assert back.dtype == np.uint8 and back.shape == (13, 17, 3)
    assert np.array_equal(back, frame)


def test_png_round_trip_16bit_exact(tmp_path):
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 65536, size=(13, 17, 3), dtype=np.uint16)
    frame[0, 0] = (0, 1, 65535)
    assert np.any(frame % 257 != 0)
    write_image(tmp_path / "deep.png", frame)
    with Image.open(tmp_path / "deep.png") as im:  # a real 16-bit RGB PNG, not 8 bits
        assert im.size == (17, 13)
    assert (tmp_path / "deep.png").read_bytes()[24:26] == bytes([16, 2])  # IHDR: 16-bit, truecolour
    back = read_image(tmp_path / "deep.png")
    assert back.dtype == np.uint16 and back.shape == (13, 17, 3)
    assert np.array_equal(back, frame)


@pytest.mark.parametrize("pix_fmt", ["rgb48be", "rgba64be"])
def test_png_16bit_from_another_writer_exact(tmp_path, pix_fmt):
    """16-bit PNGs written by ffmpeg (filtered rows, with or without alpha) keep all 16 bits too."""
    rng = np.random.default_rng(5)
    frame = rng.integers(0, 65536, size=(9, 11, 3), dtype=np.uint16)
    write_image(tmp_path / "ours.png", frame)
    theirs = tmp_path / "frame%03d theirs.png"  # '%' must not be taken for a sequence pattern
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", "-i", str(tmp_path / "ours.png"),
                    "-pix_fmt", pix_fmt, "-update", "1", str(theirs)], check=True)
    assert theirs.exists()
    back = read_image(theirs)
    assert back.dtype == np.uint16
    assert np.array_equal(back, frame)


def test_png_16bit_grey_reads_as_three_equal_channels(tmp_path):
    grey = (np.arange(6 * 8, dtype=np.uint16).reshape(6, 8) * 1000 + 7).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "grey16.png")
    back = read_image(tmp_path / "grey16.png")
    assert back.dtype == np.uint16 and back.shape == (6, 8, 3)
    for c in range(3):
        assert np.array_equal(back[..., c], grey)


def test_folder_probe_and_reader_follow_natural_order(tmp_path):
    order = [1, 2, 3, 9, 10, 11, 20]
    for i in reversed(order):
        write_image(tmp_path / f"frame{i}.png", solid(i * 10))
    info = probe(tmp_path)
    assert info.is_image_folder
    assert (info.width, info.height, info.frame_count, info.bit_depth) == (8, 6, 7, 8)
    assert info.fps == Fraction(25)
    assert info.frame_names == [f"frame{i}.png" for i in order]
    frames = read_all(info)
    assert [int(f[0, 0, 0]) for f in frames] == [i * 10 for i in order]
    assert all(f.dtype == np.uint8 and f.shape == (6, 8, 3) for f in frames)


def test_folder_of_16bit_frames_reads_uint16_exact(tmp_path):
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 65536, size=(6, 8, 3), dtype=np.uint16) for _ in range(3)]
    for i, f in enumerate(frames, 1):
        write_image(tmp_path / f"{i}.png", f)
    info = probe(tmp_path)
    assert info.bit_depth == 16 and info.frame_count == 3
    back = read_all(info)
    assert all(b.dtype == np.uint16 and np.array_equal(b, f) for b, f in zip(back, frames))
    shallow = read_all(info, high_bit_depth=False)
    assert all(s.dtype == np.uint8 and np.array_equal(s, (f >> 8).astype(np.uint8)) for s, f in zip(shallow, frames))


def test_folder_with_a_frame_of_another_size_raises(tmp_path):
    write_image(tmp_path / "f1.png", solid(1))
    write_image(tmp_path / "f2.png", solid(2))
    write_image(tmp_path / "f10.png", solid(3, h=7))
    info = probe(tmp_path)
    assert info.frame_count == 3
    with pytest.raises(GenvidError) as e:
        read_all(info)
    msg = str(e.value)
    assert "f10.png" in msg and "8x7" in msg and "8x6" in msg


def test_writer_to_folder_keeps_names_and_depth(tmp_path):
    rng = np.random.default_rng(4)
    frames = [rng.integers(0, 65536, size=(6, 8, 3), dtype=np.uint16) for _ in range(2)]
    names = ["shot_9.jpg", "shot_10.jpg"]
    writer = FrameWriter(tmp_path / "out", 8, 6, Fraction(24), folder=True, names=names, high_bit_depth=True)
    for f in frames:
        writer.write(f)
    folder = writer.finish()
    assert [p.name for p in list_frames(folder)] == ["shot_9.png", "shot_10.png"]
    assert all(np.array_equal(read_image(p), f) for p, f in zip(list_frames(folder), frames))


@pytest.mark.parametrize("damage", ["junk", "truncated"])
def test_a_frame_that_is_no_image_says_which_file(tmp_path, damage):
    write_image(tmp_path / "f1.png", solid(1, 32, 32))
    write_image(tmp_path / "f2.png", (np.random.default_rng(0).random((32, 32, 3)) * 255).astype(np.uint8))
    data = (tmp_path / "f2.png").read_bytes()
    (tmp_path / "f2.png").write_bytes(b"hello, not a picture\n" if damage == "junk" else data[:len(data) // 2])
    with pytest.raises(GenvidError, match=r"cannot read the frame .*f2.png: .*; re-export it or remove it"):
        read_image(tmp_path / "f2.png")
    with pytest.raises(GenvidError, match="f2.png"):
        read_all(probe(tmp_path))
    (tmp_path / "f1.png").write_bytes(b"junk")  # the first frame, which probe reads for the size
    with pytest.raises(GenvidError, match="cannot read the frame .*f1.png"):
        probe(tmp_path)


def test_image_has_alpha_and_a_folder_of_rgba_frames_says_so(tmp_path):
    from genvid.io.image_folder import image_has_alpha

    Image.fromarray(np.zeros((4, 4, 4), np.uint8), "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.zeros((4, 4, 2), np.uint8), "LA").save(tmp_path / "la.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "rgb.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "keyed.png", transparency=(0, 0, 0))
    assert [image_has_alpha(tmp_path / f"{n}.png") for n in ("rgba", "la", "rgb", "keyed")] == [True, True, False, True]
    assert probe(tmp_path).alpha  # its first frame, keyed.png, has a transparent colour
    assert read_image(tmp_path / "rgba.png").shape == (4, 4, 3)
