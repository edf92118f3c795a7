"""genvid.enhance end to end on clips made here: frames, timing and audio kept; bad input refused cleanly."""
from fractions import Fraction

import numpy as np
import torch
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


def test_an_eight_pixel_video(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("tiny.mp4", size="8x8", frames=3, pix_fmt="yuv444p")
    genvid.enhance(src, tmp_path / "out.mp4", "tiny-x4", quiet=True, pix_fmt="yuv444p")
    info = probe(tmp_path / "out.mp4")
    assert (info.width, info.height, info.frame_count) == (32, 32, 3)


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
                                  "unknown_model", "fp16_cpu", "bad_device", "subtitles_in_avi"])
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
        out, pattern = tmp_path / "in.mp4" / "out.mp4", "in.mp4 is a file, not a folder"
    elif case == "unknown_model":
        kwargs["model"], pattern = "no-such-model", "unknown model 'no-such-model'"
    elif case == "subtitles_in_avi":  # refused before the model runs, not at the final mux
        from test_io_mux import SRT, ffmpeg

        (tmp_path / "subs.srt").write_text(SRT)
        src, out = tmp_path / "film.mkv", tmp_path / "out.avi"
        ffmpeg("-i", str(clip_maker("base.mp4", size="32x32", frames=3, audio=True)), "-i", str(tmp_path / "subs.srt"),
               "-map", "0", "-map", "1", "-c", "copy", "-c:s", "srt", str(src))
        pattern = r"\.avi cannot hold the subtitles \(subrip\) of .*film.mkv; write a \.mkv .*--no-subtitles"
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


# ---- bit depth, HDR, colour tags, scene cuts ------------------------------------------------------------------

DEEP_GRADIENT = "format=gbrp16le,geq=r='mod(X*1031+Y*517\\,65536)':g='mod(X*263+Y*2039\\,65536)':b='32768+X*Y'"


def deep_clip(clip_maker, pix_fmt="yuv420p10le", name="deep.mkv"):
    return clip_maker(name, size="32x24", frames=3, codec="ffv1", pix_fmt=pix_fmt, extra=["-vf", DEEP_GRADIENT])


@pytest.mark.parametrize("codec,pix_fmt,suffix,depth", [("libx265", "yuv420p10le", ".mkv", 10),
                                                        ("prores_ks", None, ".mov", 10),
                                                        ("ffv1", "yuv444p12le", ".mkv", 12)])
def test_deep_output_formats_keep_their_depth(clip_maker, tiny_model_dir, tmp_path, codec, pix_fmt, suffix, depth):
    out = tmp_path / f"out{suffix}"
    genvid.enhance(deep_clip(clip_maker), out, "tiny-x4", quiet=True, codec=codec, pix_fmt=pix_fmt)
    info = probe(out)
    assert info.bit_depth == depth and info.frame_count == 3
    frames = read_frames_deep(out)
    assert frames[0].dtype == np.uint16 and np.mean(frames[0] % 257 != 0) > 0.3


def read_frames_deep(path):
    from genvid.io.decode import FrameReader

    with FrameReader(path) as reader:
        return list(reader)


@pytest.mark.parametrize("output", ["out.mkv", "frames"])
def test_sixteen_bit_rgb_output_has_no_8bit_step(clip_maker, tiny_model_dir, tmp_path, output):
    """ffv1 and PNG store the model's RGB as it is: an 8-bit step anywhere would leave multiples of 257."""
    src = deep_clip(clip_maker, pix_fmt="rgb48le")
    genvid.enhance(src, tmp_path / output, "tiny-x4", quiet=True, codec="ffv1")
    frames = read_frames_deep(tmp_path / output)
    assert len(frames) == 3 and frames[0].dtype == np.uint16
    assert np.mean(frames[0] % 257 != 0) > 0.9


@pytest.fixture
def pq_clip(tmp_path):
    from test_io_hdr import make_hdr_clip

    return make_hdr_clip(tmp_path / "pq.mkv")


def test_hdr_to_eight_bits_is_refused_before_any_work(pq_clip, tiny_model_dir, tmp_path):
    with pytest.raises(GenvidError, match=r"is HDR \(PQ, 10-bit\).*--pix-fmt yuv420p10le"):
        genvid.enhance(pq_clip, tmp_path / "out.mp4", "tiny-x4", quiet=True)
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.mp4").exists()


def test_hdr_keeps_tags_and_mastering_metadata_with_libx265(pq_clip, tiny_model_dir, tmp_path, capsys):
    from genvid.io.hdr import mastering_metadata

    out = tmp_path / "out.mp4"
    genvid.enhance(pq_clip, out, "tiny-x4", quiet=True, codec="libx265", pix_fmt="yuv420p10le", segment_frames=1)
    info = probe(out)
    assert (info.color_primaries, info.color_transfer, info.color_space, info.color_range) == \
        ("bt2020", "smpte2084", "bt2020nc", "tv")
    assert info.bit_depth == 10 and info.hdr == "PQ"
    assert mastering_metadata(info) == mastering_metadata(probe(pq_clip))
    assert "trained on SDR" in capsys.readouterr().err


def test_colour_tags_are_kept(clip_maker, tiny_model_dir, tmp_path):
    src = clip_maker("tagged.mp4", size="32x24", frames=3,
                     extra=["-vf", "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"])
    for name, codec in [("out.mp4", "libx264"), ("out.mkv", "ffv1")]:
        genvid.enhance(src, tmp_path / name, "tiny-x4", quiet=True, codec=codec, segment_frames=1)
        info = probe(tmp_path / name)
        assert (info.color_primaries, info.color_transfer) == ("bt709", "bt709"), codec


def test_synthetic_scene_cut_nothing_leaks_across(tiny_model_dir, tmp_path):
    """testsrc2 then mandelbrot: each side comes out as if it were enhanced on its own."""
    from genvid.io.ffmpeg import run_ffmpeg

    whole = tmp_path / "cut.mkv"
    r = run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=32x24:rate=25", "-f", "lavfi",
                    "-i", "mandelbrot=size=32x24:rate=25", "-filter_complex",
                    "[0:v]trim=end_frame=7[a];[1:v]trim=end_frame=6,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]",
                    "-map", "[v]", "-c:v", "ffv1", "-pix_fmt", "bgr0", str(whole)])
    assert r.returncode == 0, r.stderr
    parts = []
    for name, select in [("a.mkv", "lt(n\\,7)"), ("b.mkv", "gte(n\\,7)")]:
        r = run_ffmpeg(["-v", "error", "-i", str(whole), "-vf", f"select='{select}'", "-fps_mode", "passthrough",
                        "-c:v", "ffv1", str(tmp_path / name)])
        assert r.returncode == 0, r.stderr
        parts.append(tmp_path / name)
    result = genvid.enhance(whole, tmp_path / "whole", "tiny-x4", quiet=True)
    assert result["scene_cuts"] == [7]
    separate = []
    for i, part in enumerate(parts):
        genvid.enhance(part, tmp_path / f"part{i}", "tiny-x4", quiet=True)
        separate += read_frames(tmp_path / f"part{i}")
    together = read_frames(tmp_path / "whole")
    assert len(together) == len(separate) == 13
    assert all(np.array_equal(a, b) for a, b in zip(together, separate))
    genvid.enhance(whole, tmp_path / "across", "tiny-x4", quiet=True, scene_cuts=False)
    across = read_frames(tmp_path / "across")
    assert not np.array_equal(across[6], together[6]) and not np.array_equal(across[7], together[7])


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
    genvid.enhance(src, tmp_path / "tiled", ["tiny-dn", "tiny-x4"], tile=34, quiet=True)  # > 2 x 16 of overlap
    for a, b in zip(chain, read_frames(tmp_path / "tiled")):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_batched_frames_are_those_of_batch_one(clip_maker, tiny_denoise_dir, tmp_path):
    """--batch changes how many frames go through a model per call, not the frames (a chain, PNG output).

    With the CPU's direct convolution (oneDNN off) each frame of a batch is computed exactly as alone, so the
    frames are identical; oneDNN picks its kernels by batch size, whose float sums can round a value to the
    next level (1 level at most, here at 2 of 7 frames)."""
    src = clip_maker("in.mp4", size="40x32", frames=7)
    with torch.backends.mkldnn.flags(enabled=False):
        genvid.enhance(src, tmp_path / "one", "tiny-dn,tiny-x4", quiet=True, batch=1)
        genvid.enhance(src, tmp_path / "three", "tiny-dn,tiny-x4", quiet=True, batch="3")
    one, three = read_frames(tmp_path / "one"), read_frames(tmp_path / "three")
    assert len(one) == len(three) == 7 and all(np.array_equal(a, b) for a, b in zip(one, three))
    genvid.enhance(src, tmp_path / "fast", "tiny-dn,tiny-x4", quiet=True, batch="3")
    assert all(np.abs(a.astype(int) - b.astype(int)).max() <= 1 for a, b in zip(one, read_frames(tmp_path / "fast")))
    with pytest.raises(GenvidError, match="--batch must be auto or a number of frames of 1 or more"):
        genvid.enhance(src, tmp_path / "bad", "tiny-dn,tiny-x4", quiet=True, batch=0)


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
    # the output's encoder starts once (one segment here); check_output's trial encode of a blank frame is apart
    encodes = [c for c in started if "ffmpeg" in c[0] and "pipe:0" in c and "genvid-trial" not in c[-1]]
    assert len(decodes) == 1 and str(src) in decodes[0]
    assert len(encodes) == 1, "\n".join(" ".join(c) for c in encodes)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (160, 128, 5)


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


# ---- grey and alpha ---------------------------------------------------------------------------------------------

def test_grey_in_grey_out(clip_maker, tiny_model_dir, tmp_path):
    gray = clip_maker("gray.mkv", size="32x24", frames=3, codec="ffv1", pix_fmt="gray")
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, f in enumerate(read_frames(clip_maker("c.mp4", size="32x24", frames=3))):
        write_image(folder / f"{i}.png", f if i == 1 else np.repeat(f[..., 1:2], 3, axis=2))  # frame 1 in colour
    for src, out in ((gray, tmp_path / "gray_out.mkv"), (gray, tmp_path / "gray_frames"), (folder, tmp_path / "up")):
        frames = read_frames(genvid.enhance(src, out, "tiny-x4", quiet=True, codec="ffv1")["output"])
        chroma = [max(np.abs(f[..., 0].astype(int) - f[..., 1]).max(), np.abs(f[..., 2].astype(int) - f[..., 1]).max())
                  for f in frames]
        assert chroma[0] == chroma[2] == 0
        assert (chroma[1] > 0) == (src == folder), "a colour frame stays in colour"


def test_an_alpha_channel_is_dropped_with_a_warning(clip_maker, tiny_model_dir, tmp_path, capsys):
    from PIL import Image

    argb = clip_maker("argb.mov", size="32x24", frames=2, codec="qtrle", pix_fmt="argb")
    folder = tmp_path / "rgba"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((24, 32, 4), 100 + i, np.uint8), "RGBA").save(folder / f"{i}.png")
    for src in (argb, folder):
        genvid.enhance(src, tmp_path / f"{src.stem}.mp4", "tiny-x4", quiet=True)
        warnings = [ln for ln in capsys.readouterr().err.splitlines() if "alpha" in ln]
        assert len(warnings) == 1 and warnings[0].startswith(f"genvid: warning: {src} has an alpha channel")
    genvid.enhance(clip_maker("plain.mp4", size="32x24", frames=2), tmp_path / "plain_out.mp4", "tiny-x4", quiet=True)
    assert "alpha" not in capsys.readouterr().err


# ---- damaged sources ----------------------------------------------------------------------------------------

def test_a_damaged_source_stops_at_the_gap_and_resumes_accepting_what_the_decoder_gives(tiny_model_dir, tmp_path,
                                                                                       capsys):
    """A corrupt packet mid-file: the run stops when the frame after the missing one arrives, its finished
    segments hold only frames from before the gap, and `--resume --accept-damaged` keeps them and gives the
    output of an uninterrupted `--accept-damaged` run: the frames the decoder gives, at their own times."""
    from conftest import make_damaged_clip
    from genvid.enhance.workdir import WorkFolder
    from genvid.io.damage import Timeline, find_damage
    from test_enhance_segments import packet_times

    src, _ = make_damaged_clip(tmp_path / "damaged.mp4")
    damage = find_damage(probe(src), Timeline.of(probe(src)))
    first = damage.missing[0]
    out, options = tmp_path / "out.mkv", {"codec": "ffv1", "segment_frames": 5, "quiet": True}
    with pytest.raises(GenvidError, match=rf"skips frames? {first}\b.*frames are kept in .*rerun with --resume "
                                          rf"--accept-damaged") as e:
        genvid.enhance(src, out, "tiny-x4", **options)
    assert "\n" not in str(e.value) and not out.exists()
    kept = WorkFolder(out).read()["segments"]
    assert kept and kept[-1]["start"] + kept[-1]["frames"] <= first
    result = genvid.enhance(src, out, "tiny-x4", resume=True, accept_damaged=True, **options)
    assert result["missing_frames"] == damage.missing
    assert result["frames"] == len(damage.times) == 50 - len(damage.missing)
    assert result["resumed_from"] == kept[-1]["start"] + kept[-1]["frames"]
    assert f"damaged.mp4 is damaged: the decoder gives {len(damage.times)} of its 50 frames" in capsys.readouterr().err
    whole = tmp_path / "whole.mkv"
    genvid.enhance(src, whole, "tiny-x4", accept_damaged=True, **options)
    a, b = read_frames(out), read_frames(whole)
    assert len(a) == len(b) == len(damage.times) and all(np.array_equal(x, y) for x, y in zip(a, b))
    times = [start for start, _ in packet_times(out, "v")]
    assert times == [start for start, _ in packet_times(whole, "v")]
    given = [i for i in range(50) if i not in damage.missing]
    assert max(abs(t - times[0] - i / 25) for t, i in zip(times, given)) <= 0.001  # each at its source time


def test_a_damaged_source_without_finished_segments_leaves_nothing(tiny_model_dir, tmp_path):
    from conftest import make_damaged_clip

    src, _ = make_damaged_clip(tmp_path / "damaged.mp4")
    with pytest.raises(GenvidError, match=r"skips frames? \d+ .*; rerun with --accept-damaged to enhance"):
        genvid.enhance(src, tmp_path / "out.mp4", "tiny-x4", quiet=True)
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.mp4").exists()


def test_a_failing_join_names_its_cause_and_keeps_the_segments(clip_maker, tiny_model_dir, tmp_path, monkeypatch,
                                                               capsys):
    """The final mux runs out of disk (its file is /dev/full): the error says so, the audio is not blamed nor
    re-encoded, the segments stay, and --resume then finishes with the audio copied."""
    import importlib

    from genvid.enhance.workdir import WorkFolder

    api = importlib.import_module("genvid.enhance.api")
    src = clip_maker("in.mp4", size="32x24", frames=20, audio=True)
    out, real_remux = tmp_path / "out.mp4", api.remux

    def remux_onto_a_full_disk(video, source, joined, *args):
        joined.symlink_to("/dev/full")
        real_remux(video, source, joined, *args)
    monkeypatch.setattr(api, "remux", remux_onto_a_full_disk)
    with pytest.raises(GenvidError, match=r"cannot write .*joined.mp4: the disk is full \(No space left on device\); "
                                          r"free some space; 20 of 20 frames are kept in .*--resume"):
        genvid.enhance(src, out, "tiny-x4", quiet=True, segment_frames=10)
    assert "warning" not in capsys.readouterr().err and WorkFolder(out).path.exists()
    monkeypatch.setattr(api, "remux", real_remux)
    result = genvid.enhance(src, out, "tiny-x4", quiet=True, segment_frames=10, resume=True)
    assert result["resumed_from"] == 20 and probe(out).audio == ["aac"]
