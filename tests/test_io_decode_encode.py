"""genvid.io.decode / encode: exact frame counts and rates through a round trip, odd sizes, lossless and
16-bit paths, and damaged (truncated) inputs that must raise instead of returning fewer frames."""
from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

import numpy as np
import pytest

from conftest import make_clip
from genvid.errors import GenvidError
from genvid.io.decode import FrameReader, read_frames
from genvid.io.encode import FrameWriter, encoder_args
from genvid.io.image_folder import list_frames, read_image
from genvid.io.probe import probe

NTSC = Fraction(30000, 1001)


@pytest.fixture(scope="module")
def ntsc_clip(tmp_path_factory):
    """12 frames of 64x48 at exactly 30000/1001 fps."""
    return make_clip(tmp_path_factory.mktemp("ntsc") / "ntsc.mp4", size="64x48", rate="30000/1001", frames=12)


@pytest.fixture(scope="module")
def odd_clip(tmp_path_factory):
    """5 frames of 175x143 (odd: 4:4:4, cropped, since testsrc2 rounds to even sizes)."""
    return make_clip(tmp_path_factory.mktemp("odd") / "odd.mp4", size="176x144", frames=5, pix_fmt="yuv444p",
                     extra=["-vf", "format=yuv444p,crop=175:143:0:0"])


@pytest.fixture(scope="module")
def ten_bit_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("ten") / "ten.mp4", frames=4, codec="libx265",
                     pix_fmt="yuv420p10le", extra=["-x265-params", "log-level=error"])


def read_all(source, **kw) -> list[np.ndarray]:
    with FrameReader(source, **kw) as reader:
        return list(reader)


def write_all(path, frames, fps, **kw):
    h, w = frames[0].shape[:2]
    writer = FrameWriter(path, w, h, fps, **kw)
    for f in frames:
        writer.write(f)
    return writer.finish()


def mean_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(np.mean([np.abs(x.astype(np.int32) - y.astype(np.int32)).mean() for x, y in zip(a, b)]))


# ---- decoding --------------------------------------------------------------------------------------------

def test_reader_yields_exact_frame_count_shape_dtype(ntsc_clip):
    info = probe(ntsc_clip)
    with FrameReader(info) as reader:
        frames = list(reader)
        assert reader.frames_read == info.frame_count == 12
    assert len(frames) == 12
    for f in frames:
        assert f.shape == (48, 64, 3) and f.dtype == np.uint8
    assert frames[0].std() > 10  # a real picture, not a blank buffer
    assert not np.array_equal(frames[0], frames[-1])  # testsrc2 moves: distinct frames, in order


def test_max_frames_gives_the_first_frames(ntsc_clip):
    everything = read_frames(ntsc_clip)
    first = read_frames(ntsc_clip, max_frames=5)
    assert len(first) == 5
    assert all(np.array_equal(a, b) for a, b in zip(first, everything[:5]))


def test_odd_size_decodes(odd_clip):
    info = probe(odd_clip)
    assert (info.width, info.height) == (175, 143)
    frames = read_all(info)
    assert len(frames) == 5
    assert all(f.shape == (143, 175, 3) and f.dtype == np.uint8 for f in frames)
    # a wrong stride would shear the picture: rows of the decode must match a plain crop of the pattern
    assert frames[0][:, -1].std() > 0 and frames[0][-1].std() > 0


def test_ten_bit_source_decodes_to_uint16_without_8bit_step(ten_bit_clip):
    info = probe(ten_bit_clip)
    assert info.bit_depth == 10
    deep = read_all(info)
    assert len(deep) == 4
    assert all(f.dtype == np.uint16 and f.shape == (48, 64, 3) for f in deep)
    # 8-bit values widened to 16 bits would all be multiples of 257
    assert np.mean(deep[0] % 257 != 0) > 0.3
    assert deep[0].max() > 255 * 257 // 2  # full 16-bit scale, not raw 10-bit codes
    shallow = read_all(info, high_bit_depth=False)
    assert all(f.dtype == np.uint8 for f in shallow)
    diff = np.abs((deep[0] >> 8).astype(np.int32) - shallow[0].astype(np.int32))
    assert diff.max() <= 2


# ---- encoding and round trips -------------------------------------------------------------------------------

def test_writer_keeps_count_and_exact_ntsc_rate(ntsc_clip, tmp_path):
    info = probe(ntsc_clip)
    frames = read_all(info)
    inverted = [255 - f for f in frames]
    out = write_all(tmp_path / "out.mp4", inverted, info.fps, source=info)
    assert out == tmp_path / "out.mp4" and out.exists()
    got = probe(out)
    assert got.frame_count == 12
    assert got.fps == NTSC and (got.fps.numerator, got.fps.denominator) == (30000, 1001)
    assert (got.width, got.height) == (64, 48)
    back = read_all(got)
    assert len(back) == 12
    assert mean_abs_diff(back, inverted) < 8  # lossy, but the frames we wrote
    assert mean_abs_diff(back, frames) > 50   # ... and not the source's


def test_writer_odd_size_yuv444p(odd_clip, tmp_path):
    info = probe(odd_clip)
    frames = read_all(info)
    out = write_all(tmp_path / "odd_out.mp4", frames, info.fps, pix_fmt="yuv444p", source=info)
    got = probe(out)
    assert (got.width, got.height, got.frame_count, got.pix_fmt) == (175, 143, 5, "yuv444p")
    back = read_all(got)
    assert all(f.shape == (143, 175, 3) for f in back)
    assert mean_abs_diff(back, frames) < 5


def test_writer_odd_size_png_folder_is_exact(odd_clip, tmp_path):
    frames = read_all(odd_clip)
    folder = write_all(tmp_path / "pngs", frames, Fraction(25), folder=True)
    files = list_frames(folder)
    assert [p.name for p in files] == [f"{i:08d}.png" for i in range(1, 6)]
    assert all(np.array_equal(read_image(p), f) for p, f in zip(files, frames))
    assert all(np.array_equal(a, b) for a, b in zip(read_all(folder), frames))


def test_writer_odd_size_yuv420p_raises(odd_clip, tmp_path):
    frames = read_all(odd_clip, max_frames=2)
    out = tmp_path / "bad.mp4"
    with pytest.raises(GenvidError, match=re.escape(str(out))) as e:
        write_all(out, frames, Fraction(25))  # yuv420p cannot hold 175x143
    assert "divisible by 2" in str(e.value)  # the cause, not ffmpeg's closing 'nothing was written'


def test_writer_rejects_frame_of_wrong_shape(tmp_path):
    writer = FrameWriter(tmp_path / "x.mp4", 64, 48, Fraction(25))
    writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.write(np.zeros((40, 64, 3), np.uint8))
    with pytest.raises(GenvidError, match="does not match"):
        writer.finish()


def test_encoder_args_for_lossless_ffv1():
    # no crf, no pixel format and no YUV conversion: ffmpeg picks an RGB format ffv1 holds losslessly
    assert encoder_args("ffv1", 18, None, None) == ["-c:v", "ffv1"]


def test_lossless_round_trip_8bit_exact(ntsc_clip, tmp_path):
    info = probe(ntsc_clip)
    frames = read_all(info)
    out = write_all(tmp_path / "lossless.mkv", frames, info.fps, codec="ffv1", source=info)
    got = probe(out)
    assert got.frame_count == 12 and got.fps == NTSC and got.bit_depth == 8
    back = read_all(got)
    assert len(back) == 12
    for a, b in zip(back, frames):
        assert a.dtype == np.uint8
        assert np.array_equal(a, b)


def test_lossless_round_trip_16bit_exact(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 65536, size=(30, 40, 3), dtype=np.uint16) for _ in range(3)]
    out = write_all(tmp_path / "deep.mkv", frames, Fraction(24000, 1001), codec="ffv1", high_bit_depth=True)
    got = probe(out)
    assert got.bit_depth == 16 and got.frame_count == 3 and got.fps == Fraction(24000, 1001)
    back = read_all(got)
    assert len(back) == 3
    for a, b in zip(back, frames):
        assert a.dtype == np.uint16
        assert np.array_equal(a, b)


# ---- damaged inputs ---------------------------------------------------------------------------------------

def _assert_damaged(path) -> None:
    """probe or a full decode must raise, naming the file and saying it is truncated/corrupt."""
    with pytest.raises(GenvidError) as e:
        read_all(probe(path))
    msg = str(e.value)
    assert str(path) in msg
    assert re.search(r"truncated|corrupt", msg.replace(str(path), ""))  # (the test's tmp path may say so too)


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    return {
        "faststart": make_clip(folder / "fs.mp4", size="96x64", frames=30, extra=["-movflags", "+faststart"]),
        "moov_at_end": make_clip(folder / "end.mp4", size="96x64", frames=30),
        "mkv": make_clip(folder / "clip.mkv", size="96x64", frames=30),
    }


def _cut(src, dst, fraction: float):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


@pytest.mark.parametrize("fraction", [0.45, 0.6, 0.8])
def test_truncated_faststart_mp4_raises(long_clips, tmp_path, fraction):
    src = long_clips["faststart"]
    data = src.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "faststart puts the index first"
    assert probe(src).frame_count == 30
    _assert_damaged(_cut(src, tmp_path / "cut.mp4", fraction))


def test_probe_itself_refuses_truncated_faststart_mp4(long_clips, tmp_path):
    """The index (at the front) still lists 30 frames: probe must not report the fewer that are readable."""
    cut = _cut(long_clips["faststart"], tmp_path / "cut.mp4", 0.6)
    with pytest.raises(GenvidError, match="truncated or corrupt") as e:
        probe(cut)
    assert str(cut) in str(e.value)


@pytest.mark.parametrize("fraction", [0.6, 0.97])
def test_truncated_mp4_without_faststart_raises(long_clips, tmp_path, fraction):
    src = long_clips["moov_at_end"]
    data = src.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat"), "without faststart the index is at the end"
    _assert_damaged(_cut(src, tmp_path / "cut.mp4", fraction))


def test_truncated_mkv_raises(long_clips, tmp_path):
    _assert_damaged(_cut(long_clips["mkv"], tmp_path / "cut.mkv", 0.6))


def test_decoder_raises_when_fewer_frames_than_probed(long_clips):
    """The decoder's own guard: a stream that yields fewer frames than the index promised raises."""
    info = probe(long_clips["faststart"])
    claimed = dataclasses.replace(info, frame_count=info.frame_count + 3)
    with pytest.raises(GenvidError, match=r"truncated or corrupt: decoded 30 of 33") as e:
        read_all(claimed)
    assert info.path in str(e.value)


# ---- bit depth and colour tags ------------------------------------------------------------------------------

# a 16-bit gradient: values on no coarser grid than the format's own
DEEP_GRADIENT = "format=gbrp16le,geq=r='mod(X*1031+Y*517\\,65536)':g='mod(X*263+Y*2039\\,65536)':b='32768+X*Y'"


@pytest.mark.parametrize("pix_fmt,depth", [("yuv444p12le", 12), ("rgb48le", 16), ("yuv420p10le", 10)])
def test_deep_sources_decode_without_an_8bit_step(tmp_path, pix_fmt, depth):
    src = make_clip(tmp_path / f"deep{depth}.mkv", size="64x48", frames=2, codec="ffv1", pix_fmt=pix_fmt,
                    extra=["-vf", DEEP_GRADIENT])
    info = probe(src)
    assert info.bit_depth == depth
    frame = read_all(info)[0]
    assert frame.dtype == np.uint16
    assert np.mean(frame % 257 != 0) > 0.3  # 8-bit values widened to 16 bits are all multiples of 257
    low_bits = (frame.astype(np.int64) >> (16 - depth)) & 0xFF  # finer than 8 bits: these vary
    assert len(np.unique(low_bits % 4)) == 4


def test_encoder_marks_frames_with_the_source_colour_tags(tmp_path):
    src = make_clip(tmp_path / "tagged.mp4", frames=2,
                    extra=["-vf", "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"])
    info = probe(src)
    assert (info.color_space, info.color_primaries, info.color_transfer) == ("bt709", "bt709", "bt709")
    for codec, pix_fmt in [("libx264", None), ("prores_ks", None), ("ffv1", "yuv422p10le")]:
        out = write_all(tmp_path / f"out_{codec}.mkv", read_all(info), info.fps, codec=codec, pix_fmt=pix_fmt,
                        source=info)
        got = probe(out)
        assert (got.color_space, got.color_primaries, got.color_transfer, got.color_range) == \
            ("bt709", "bt709", "bt709", "tv"), codec


def test_prores_default_is_ten_bit(tmp_path):
    frames = [np.random.default_rng(0).integers(0, 65536, size=(16, 32, 3), dtype=np.uint16)]
    got = probe(write_all(tmp_path / "p.mov", frames, Fraction(25), codec="prores_ks"))
    assert got.pix_fmt == "yuv422p10le" and got.bit_depth == 10


@pytest.mark.parametrize("codec,worst", [("h264_nvenc", 51), ("hevc_nvenc", 51), ("av1_nvenc", 63)])
def test_nvenc_takes_crf_as_constant_quality(codec, worst):
    from genvid.io.encode import check_quality

    args = encoder_args(codec, 18, None, None)
    assert args[:2] == ["-c:v", codec] and "-crf" not in args
    i = args.index("-rc")
    assert args[i:i + 6] == ["-rc", "vbr", "-cq", "18", "-b:v", "0"]  # constant quality, no bitrate cap
    assert args[args.index("-pix_fmt") + 1] == "yuv420p"
    assert "-cq" not in encoder_args(codec, None, None, None)
    check_quality(codec, 1)
    check_quality(codec, worst)
    for bad in (0, worst + 1):  # 0 would be NVENC's "automatic"
        with pytest.raises(GenvidError, match=rf"--crf {bad} is out of range for {codec}: .* from 1 \(best\) to {worst}"):
            check_quality(codec, bad)
    check_quality("libx264", 0)  # x264's lossless


def test_nvenc_error_names_the_cause_and_the_cpu_encoders():
    from genvid.io.encode import nvenc_error

    line = nvenc_error("hevc_nvenc", "[hevc_nvenc @ 0x55d0c0ffee00] Cannot load libcuda.so.1")
    assert line == ("hevc_nvenc cannot encode here: Cannot load libcuda.so.1 (NVENC needs an NVIDIA GPU that has a "
                    "video encoder, and its driver; H100 and H200 have none); use --codec libx264 or libx265")
