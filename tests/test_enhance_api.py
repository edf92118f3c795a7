"""genvid.enhance end to end on clips made here: frames, timing and audio kept; bad input refused cleanly."""
from fractions import Fraction

import numpy as np
import pytest

import genvid
from genvid.errors import GenvidError
from genvid.io.decode import read_frames
from genvid.io.image_folder import list_frames, write_image
from genvid.io.probe import probe


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if "genvid-" in p.name)


def test_round_trip_keeps_frames_rate_and_audio(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="48x32", rate="30000/1001", frames=13, audio=True)
    out = tmp_path / "out.mp4"
    result = genvid.enhance(src, out, "tiny-x4", quiet=True)
    info = probe(out)
    assert result["frames"] == 13
    assert (info.width, info.height, info.frame_count) == (192, 128, 13)
    assert info.fps == Fraction(30000, 1001)
    assert info.audio == ["aac"]
    assert leftovers(tmp_path) == []


def test_odd_size_input(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("odd.mkv", size="176x144", frames=3, pix_fmt="yuv444p", extra=["-vf", "scale=175:143"])
    assert (probe(src).width, probe(src).height) == (175, 143)
    out = tmp_path / "odd.mp4"
    genvid.enhance(src, out, "tiny-x4", quiet=True)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (700, 572, 3)


def test_folder_in_folder_out_keeps_names(tiny_model_dir, tmp_path):
    src = tmp_path / "frames"
    src.mkdir()
    rng = np.random.default_rng(0)
    names = ["shot9.png", "shot10.png", "shot11.png"]
    for n in names:
        write_image(src / n, (rng.random((20, 24, 3)) * 255).astype(np.uint8))
    out = tmp_path / "up"
    genvid.enhance(src, out, "tiny-x4", quiet=True)
    assert [p.name for p in list_frames(out)] == ["shot9.png", "shot10.png", "shot11.png"]
    assert read_frames(out)[0].shape == (80, 96, 3)


def test_video_to_png_folder_numbering(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x32", frames=4)
    out = tmp_path / "pngs"
    genvid.enhance(src, out, "tiny-x4", quiet=True)
    assert [p.name for p in list_frames(out)] == [f"{i:08d}.png" for i in range(1, 5)]


def test_refuses_to_overwrite_and_to_replace_input(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x32", frames=2)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(GenvidError, match="exists; pass --overwrite"):
        genvid.enhance(src, out, "tiny-x4", quiet=True)
    assert out.read_bytes() == b"keep me"
    with pytest.raises(GenvidError, match="is the input"):
        genvid.enhance(src, src, "tiny-x4", quiet=True, overwrite=True)
    genvid.enhance(src, out, "tiny-x4", quiet=True, overwrite=True)
    assert probe(out).frame_count == 2


def _truncated(tmp_path, clip_maker):
    good = clip_maker("good.mp4", size="64x48", frames=30, extra=["-movflags", "+faststart"])
    bad = tmp_path / "truncated.mp4"
    data = good.read_bytes()
    bad.write_bytes(data[: int(len(data) * 0.6)])
    return bad


@pytest.mark.parametrize("case", ["missing", "not_video", "no_video_stream", "truncated", "unwritable",
                                  "unknown_model", "fp16_cpu", "bad_device"])
def test_bad_input_raises_and_leaves_nothing(case, clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x32", frames=3)
    out = tmp_path / "out.mp4"
    kwargs = {"model": "tiny-x4", "quiet": True}
    if case == "missing":
        src, pattern = tmp_path / "nope.mp4", "input not found: .*nope.mp4"
    elif case == "not_video":
        src = tmp_path / "notes.mp4"
        src.write_text("hello, not a video\n" * 50)
        pattern = "cannot read .*notes.mp4"
    elif case == "no_video_stream":
        src = clip_maker("audio.m4a", size="32x32", frames=3, audio=True, extra=["-vn"])
        pattern = "no video stream"
    elif case == "truncated":
        src, pattern = _truncated(tmp_path, clip_maker), "truncated|corrupt|cannot read|cannot decode"
    elif case == "unwritable":
        out, pattern = tmp_path / "no_such_dir" / "out.mp4", "does not exist"
    elif case == "unknown_model":
        kwargs["model"], pattern = "no-such-model", "unknown model 'no-such-model'"
    elif case == "fp16_cpu":
        kwargs.update(device="cpu", precision="fp16")
        pattern = "fp16 is not supported on the CPU"
    else:
        kwargs["device"], pattern = "tpu9", "unknown device"
    with pytest.raises(GenvidError, match=pattern):
        genvid.enhance(src, out, **kwargs)
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_zero_frame_video_is_refused(tiny_model_dir, tmp_path):
    from genvid.io.ffmpeg import run_ffmpeg

    src = tmp_path / "empty.mkv"
    r = run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=32x32:rate=25", "-frames:v", "0",
                    "-c:v", "ffv1", str(src)])
    assert r.returncode == 0 and src.exists(), r.stderr
    with pytest.raises(GenvidError, match="no video frames|cannot read"):
        genvid.enhance(src, tmp_path / "out.mp4", "tiny-x4", quiet=True)
    assert not (tmp_path / "out.mp4").exists()


def test_bf16_on_cpu_runs_close_to_fp32(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x24", frames=3)
    a, b = tmp_path / "a", tmp_path / "b"
    genvid.enhance(src, a, "tiny-x4", quiet=True, precision="fp32")
    genvid.enhance(src, b, "tiny-x4", quiet=True, precision="bf16", device="cpu")
    fa, fb = read_frames(a), read_frames(b)
    assert len(fa) == len(fb) == 3
    assert np.mean([np.abs(x.astype(int) - y.astype(int)).mean() for x, y in zip(fa, fb)]) < 3


def test_pixel_aspect_and_colour_matrix_are_kept(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("dvd.mp4", size="72x48", frames=3, extra=["-vf", "setsar=8/9", "-colorspace", "bt709"])
    out = tmp_path / "out.mkv"
    genvid.enhance(src, out, "tiny-x4", quiet=True)
    info = probe(out)
    assert info.sample_aspect == Fraction(8, 9)
    assert info.color_space == "bt709"


def test_a_chain_equals_its_models_applied_in_order_through_lossless_frames(clip_maker, tiny_denoise_dir, tmp_path):
    src = clip_maker("in.mp4", size="40x32", frames=6)
    genvid.enhance(src, tmp_path / "chain", "tiny-dn,tiny-x4", quiet=True)
    genvid.enhance(src, tmp_path / "mid", "tiny-dn", quiet=True)  # PNG frames: lossless
    genvid.enhance(tmp_path / "mid", tmp_path / "seq", "tiny-x4", quiet=True)
    chain, seq, mid = (read_frames(tmp_path / n) for n in ("chain", "seq", "mid"))
    assert len(chain) == len(seq) == 6 and chain[0].shape == (128, 160, 3)
    for a, b in zip(chain, seq):
        assert np.array_equal(a, b)
    assert not np.array_equal(mid[0], read_frames(src)[0]), "the first model changes the frames"
    # a list names the same chain; tiles are per model, in each model's input pixels
    genvid.enhance(src, tmp_path / "tiled", ["tiny-dn", "tiny-x4"], tile=16, quiet=True)
    for a, b in zip(chain, read_frames(tmp_path / "tiled")):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_a_chain_decodes_once_and_encodes_once(clip_maker, tiny_denoise_dir, tmp_path, monkeypatch):
    import subprocess

    src = clip_maker("in.mp4", size="40x32", frames=5)
    started = []
    real_popen = subprocess.Popen

    def recording_popen(cmd, *a, **k):
        started.append([str(c) for c in cmd])
        return real_popen(cmd, *a, **k)
    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    out = tmp_path / "out.mkv"
    genvid.enhance(src, out, "tiny-dn,tiny-x4", sigma=12, strength=0.5, quiet=True)
    monkeypatch.setattr(subprocess, "Popen", real_popen)
    decodes = [c for c in started if "ffmpeg" in c[0] and "pipe:1" in c and "rawvideo" in c]
    encodes = [c for c in started if "ffmpeg" in c[0] and "pipe:0" in c]
    assert len(decodes) == 1 and str(src) in decodes[0]
    assert len(encodes) == 1
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (160, 128, 5)


def test_a_chain_streams_frame_by_frame():
    """Model B's window pulls model A's frames as A yields them: the first output needs only a few inputs."""
    import torch

    from genvid.enhance.stream import Streamer
    from genvid.enhance.window import WindowModel
    from genvid.models import SlidingWindowRestore, SlidingWindowSR

    torch.manual_seed(0)
    a = WindowModel(SlidingWindowRestore(channels=4, blocks=1, radius=2, noise_map=True).eval())
    b = WindowModel(SlidingWindowSR(channels=4, blocks=1, radius=1).eval())
    pulled = []

    def source():
        for i in range(50):
            pulled.append(i)
            yield np.full((12, 14, 3), 5 * i, np.uint8)
    out = Streamer(b, "cpu").run(Streamer(a, "cpu").run(source()))
    first = next(out)
    assert first.shape == (48, 56, 3)
    assert len(pulled) == a.radius + b.radius + 1, "A's frame t+1 (B's right neighbour) needs A's inputs to t+3"
    assert len(list(out)) == 49 and len(pulled) == 50


@pytest.mark.parametrize("model,kwargs,pattern", [
    ("tiny-x4", {"sigma": 10.0}, "no noise-level input"),
    ("tiny-x4", {"strength": 2.0}, "no noise-level input"),
    ("tiny-dn,,tiny-x4", {}, "empty model"),
    ("tiny-dn", {"sigma": -3.0}, "--sigma must be"),
    ("tiny-dn,nope", {}, "unknown model 'nope'"),
])
def test_chain_and_noise_level_errors(model, kwargs, pattern, clip_maker, tiny_denoise_dir, tmp_path):
    src = clip_maker("in.mp4", size="32x32", frames=2)
    with pytest.raises(GenvidError, match=pattern):
        genvid.enhance(src, tmp_path / "out.mp4", model, quiet=True, **kwargs)
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.mp4").exists()
