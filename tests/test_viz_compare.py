"""genvid compare: frame counts and sizes of video and PNG outputs, streaming, errors."""
import numpy as np
import pytest

from genvid.errors import GenvidError
from genvid.io.decode import read_frames
from genvid.io.probe import probe
from genvid.viz.compare import compare
from genvid.viz.layout import GAP, Box


@pytest.fixture
def clips(clip_maker):
    """An 'LR' clip (32x24, 5 frames), an 'SR' clip (128x96, 6 frames) and a reference (128x96, 6 frames)."""
    lr = clip_maker("lr.mkv", size="32x24", frames=5, codec="ffv1", pix_fmt="yuv444p")
    sr = clip_maker("sr.mkv", size="128x96", frames=6, codec="ffv1", pix_fmt="yuv444p")
    ref = clip_maker("ref.mkv", size="128x96", frames=6, codec="ffv1", pix_fmt="yuv444p")
    return lr, sr, ref


def test_side_by_side_video_stops_at_the_shortest(clips, tmp_path):
    out = tmp_path / "cmp.mp4"
    r = compare(list(clips), out)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (3 * 128 + 2 * GAP, 96, 5) == (r["width"], r["height"], r["frames"])
    assert not info.audio
    assert r["notes"] == ["stopped at the shortest input: 5 frames (sr.mkv has 6, ref.mkv has 6)"]


def test_png_frame_and_nearest_upscaled_lr(clips, tmp_path):
    lr, sr, _ = clips
    out = tmp_path / "cmp.png"
    r = compare([lr, sr], out, labels=["", ""], frame=3)
    assert r["frames"] == 1
    image = read_frames(out)[0]
    assert image.shape == (96, 2 * 128 + GAP, 3)
    lr3 = read_frames(lr)[3]
    assert np.array_equal(image[:, :128], np.repeat(np.repeat(lr3, 4, 0), 4, 1)), "LR shown as its own pixels"
    assert np.array_equal(image[:, -128:], read_frames(sr)[3])
    with pytest.raises(GenvidError, match="--frame 5 is outside"):
        compare([lr, sr], tmp_path / "late.png", frame=5)


def test_split_crop_zoom_and_labels(clips, tmp_path):
    _, sr, ref = clips
    out = tmp_path / "split.png"
    compare([sr, ref], out, mode="split", crop=Box(10, 20, 30, 16), zoom=4, labels=["sr", "ref"])
    assert read_frames(out)[0].shape == (64, 120, 3)
    crops = tmp_path / "crops.mp4"
    r = compare([sr, ref], crops, crop=Box(10, 20, 31, 15), zoom=3)
    assert (r["width"], r["height"]) == (2 * 93 + GAP, 46), "odd sizes padded to even for 4:2:0 video"
    assert probe(crops).frame_count == 6


def test_errors(clips, tmp_path):
    lr, sr, ref = clips
    existing = tmp_path / "there.png"
    existing.write_bytes(b"x")
    cases = [
        ({"inputs": [lr], "out": tmp_path / "a.png"}, "at least two"),
        ({"inputs": [lr, sr], "out": existing}, "--overwrite"),
        ({"inputs": [lr, sr], "out": tmp_path / "a.png", "labels": ["one"]}, "1 labels for 2"),
        ({"inputs": [lr, sr], "out": tmp_path / "a.png", "crop": Box(100, 0, 40, 10)}, "outside the common 128x96"),
        ({"inputs": [lr, sr, ref], "out": tmp_path / "a.png", "mode": "split", "split": 0.3}, "exactly two"),
        ({"inputs": [lr, sr], "out": tmp_path / "no" / "a.png"}, "does not exist"),
    ]
    for kw, needle in cases:
        with pytest.raises(GenvidError, match=needle):
            compare(kw.pop("inputs"), kw.pop("out"), **kw)
    assert not list(tmp_path.glob(".*partial*")), "no temporary file left behind"
