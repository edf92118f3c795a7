"""The command line: one-line errors with exit 2 and no traceback; models listing; eval JSON keys.

Run in this process (the `cli` fixture) except where a process of its own is the point (start-up without torch)."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO


def genvid(*args):
    """`python -m genvid ARGS` in a fresh interpreter: only for what a process of its own proves (start-up)."""
    return subprocess.run([sys.executable, "-m", "genvid", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=300)


@pytest.mark.parametrize("args,needle", [
    (["enhance", "missing.mp4", "x.mp4"], "input not found"),
    (["enhance", "pyproject.toml", "x.mp4"], "no video stream|cannot read"),
    (["train", "no-recipe.yaml"], "cannot read recipe"),
    (["eval", "a.mp4", "b.mp4"], "input not found"),
])
def test_user_errors_are_one_line(args, needle, tmp_path, cli):
    args = [args[0]] + [a if a.endswith(("toml", "recipe.yaml")) else str(tmp_path / a) for a in args[1:]]
    r = cli(*args, cwd=REPO)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and re.search(needle, lines[0]), r.stderr
    assert "Traceback" not in r.stderr


def test_models_json_lists_name_task_scale(tiny_model_dir, cli):
    r = cli("models", "--json")
    assert r.returncode == 0, r.stderr
    rows = {m["name"]: m for m in json.loads(r.stdout)}
    assert rows["tiny-x4"]["task"] == "super-resolution" and rows["tiny-x4"]["scale"] == 4


def test_eval_json_keys_csv_plot_and_identity(clip_maker, tmp_path, no_lpips_backbone, cli):
    src = clip_maker("a.mkv", size="64x64", frames=3, codec="ffv1", pix_fmt="yuv444p")
    csv_path, plot_path = tmp_path / "frames.csv", tmp_path / "frames.png"
    r = cli("eval", src, src, "--json", "--csv", csv_path, "--plot", plot_path)
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)  # strict JSON: infinite PSNR of identical frames is null
    assert set(scores) == {"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vmaf", "tof"}
    assert scores["psnr_y"] is None and scores["psnr_rgb"] is None
    assert scores["ssim_y"] == pytest.approx(1.0) and scores["vmaf"] > 95 and scores["tof"] == 0.0
    notes = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(notes) == 1 and "LPIPS and tLP skipped" in notes[0] and "GENVID_LPIPS_BACKBONE" in notes[0]
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "frame,psnr_y,ssim_y,psnr_rgb,ssim_rgb,vmaf,tof" and len(lines) == 4
    assert lines[1].startswith("0,inf,") and lines[1].endswith(",")
    assert lines[2].endswith(",0.0"), "no tOF for the first frame, then one per pair"
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_with_an_lpips_backbone_adds_lpips_and_tlp(clip_maker, tmp_path, random_lpips_backbone, cli):
    """Plumbing only: a random backbone gives the keys and columns, and 0 for identical clips (true of any weights)."""
    src = clip_maker("a.mkv", size="64x64", frames=3, codec="ffv1", pix_fmt="yuv444p")
    csv_path = tmp_path / "frames.csv"
    r = cli("eval", src, src, "--json", "--no-vmaf", "--csv", csv_path)
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)
    assert set(scores) == {"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "tof", "lpips", "tlp"}
    assert scores["lpips"] == 0.0 and scores["tlp"] == pytest.approx(0.0, abs=1e-6)  # batch rounding only
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "frame,psnr_y,ssim_y,psnr_rgb,ssim_rgb,tof,lpips,tlp"
    assert lines[1].endswith(",,0.0,"), "frame 0: no tOF, LPIPS 0, no tLP"
    bad = cli("eval", src, src, "--lpips-backbone", tmp_path / "missing.pth")
    assert bad.returncode == 0 and "LPIPS and tLP skipped" in bad.stderr and "missing.pth" in bad.stderr


def test_eval_option_errors(clip_maker, tmp_path, cli):
    src = clip_maker("a.mkv", size="64x64", frames=2, codec="ffv1", pix_fmt="yuv444p")
    for args, needle in ((["--plot", tmp_path / "p.pdf"], ".png"), (["--crop", "-1"], "--crop")):
        r = cli("eval", src, src, *args)
        assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_eval_folder_against_video_and_degraded_scores_lower(clip_maker, tmp_path, cli):
    from genvid.io.decode import read_frames
    from genvid.io.image_folder import write_image

    ref = clip_maker("ref.mkv", size="64x64", frames=3, codec="ffv1", pix_fmt="yuv444p")
    folder = tmp_path / "noisy"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, f in enumerate(read_frames(ref)):
        write_image(folder / f"{i}.png", np.clip(f + rng.normal(0, 12, f.shape), 0, 255).astype(np.uint8))
    r = cli("eval", folder, ref, "--json")
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)
    assert 20 < scores["psnr_rgb"] < 35 and scores["vmaf"] < 95


def test_enhance_cli_end_to_end(clip_maker, tiny_model_dir, tmp_path, cli):
    src = clip_maker("in.mp4", size="32x24", frames=5, audio=True)
    out = tmp_path / "out.mkv"
    r = cli("enhance", src, out, "--model", "tiny-x4", "--quiet")
    assert r.returncode == 0, r.stderr
    assert out.exists() and r.stdout == ""


def test_compare_cli(clip_maker, tmp_path, cli):
    a = clip_maker("a.mp4", size="32x24", frames=3)
    b = clip_maker("b.mp4", size="64x48", frames=4)
    out = tmp_path / "cmp.mp4"
    r = cli("compare", a, b, "--out", out, "--label", "LR", "--label", "x2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote {out}: 3 frames of {2 * 64 + 2}x48"
    assert "stopped at the shortest input: 3 frames (b.mp4 has 4)" in r.stderr
    bad = cli("compare", a, b, "--out", tmp_path / "c.png", "--crop", "1,2")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "X,Y,W,H" in bad.stderr


def test_enhance_refusals_are_one_line(tiny_model_dir, tmp_path, cli):
    from test_io_hdr import make_hdr_clip

    pq = make_hdr_clip(tmp_path / "pq.mkv", frames=2)
    for args, needle in [([pq, tmp_path / "out.mp4"], r"is HDR \(PQ, 10-bit\).*--pix-fmt yuv420p10le"),
                         ([pq, tmp_path / "out.mkv", "--codec", "ffv1", "--scene-threshold", "1.5"],
                          "scene-threshold must lie between 0 and 1"),
                         ([pq, tmp_path / "out.mkv", "--codec", "ffv1", "--segment-frames", "0"],
                          "segment-frames must be at least 1")]:
        r = cli("enhance", *args, "--model", "tiny-x4", "--quiet")
        lines = [ln for ln in r.stderr.splitlines() if ln.strip() and "warning" not in ln]
        assert r.returncode == 2 and len(lines) == 1 and re.search(needle, lines[0]), r.stderr
        assert not list(tmp_path.glob(".*genvid-*"))


def test_enhance_cli_chain_sigma_and_strength(clip_maker, tiny_denoise_dir, tmp_path, cli):
    src = clip_maker("in.mp4", size="32x24", frames=3)
    out = tmp_path / "out.mkv"
    r = cli("enhance", src, out, "--model", "tiny-dn,tiny-x4", "--sigma", "20", "--strength", "0.8", "--quiet")
    assert r.returncode == 0, r.stderr
    assert out.exists()
    bad = cli("enhance", src, tmp_path / "bad.mkv", "--model", "tiny-x4", "--sigma", "20")
    lines = [ln for ln in bad.stderr.splitlines() if ln.strip()]
    assert bad.returncode == 2 and len(lines) == 1 and "no noise-level input" in lines[0]


@pytest.mark.parametrize("case,needle", [
    ("negative overlap", "--tile-overlap must be 0 or more"),
    ("tiny tile", r"--tile 3 is too small for model tiny-x4: .* at least 17"),
    ("junk first frame", r"cannot read the frame .*0001.png: not an image"),
    ("zero batch", r"--batch must be auto or a number of frames of 1 or more, got '0'"),
    ("word batch", r"--batch must be auto or a number of frames of 1 or more, got 'many'"),
])
def test_enhance_input_and_option_errors_are_one_line(case, needle, clip_maker, tiny_model_dir, tmp_path, cli):
    src, options = clip_maker("in.mp4", size="64x48", frames=2), []
    if case == "negative overlap":
        options = ["--tile", "32", "--tile-overlap", "-1"]
    elif case == "tiny tile":
        options = ["--tile", "3"]
    elif case.endswith("batch"):
        options = ["--batch", "0" if case == "zero batch" else "many"]
    else:
        src = tmp_path / "frames"
        src.mkdir()
        (src / "0001.png").write_text("not a picture")
    r = cli("enhance", src, tmp_path / "out.mp4", "--model", "tiny-x4", *options)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and re.search(needle, lines[0]), r.stderr
    assert not list(tmp_path.glob("*out.mp4*")), "no output, no work folder"


def test_version_without_importing_torch():
    import genvid as package

    version = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert package.__version__ == version
    r = genvid("--version")
    assert r.returncode == 0 and r.stdout == f"genvid {version}\n", r.stderr
    code = ("import sys\nfrom genvid.cli.main import main\ntry:\n    main(['--version'])\nexcept SystemExit as e:\n"
            "    assert e.code == 0\nprint(sorted(m for m in ('torch', 'numpy', 'tqdm') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 0 and r.stdout.splitlines() == [f"genvid {version}", "[]"], r.stderr


@pytest.mark.parametrize("stop", ["error", "interrupt"])
def test_a_run_stopped_midway_says_so_on_a_line_of_its_own(stop, tiny_model_dir, tmp_path, capsys, monkeypatch):
    import importlib

    from genvid.cli.main import main
    from genvid.io.image_folder import write_image

    src = tmp_path / "frames"
    src.mkdir()
    for i in range(6):
        write_image(src / f"{i}.png", np.full((16, 16, 3), 40 * i, np.uint8))
    if stop == "error":
        (src / "4.png").write_text("not a picture")
        expected = "genvid enhance: error: cannot read the frame"
    else:
        segments = importlib.import_module("genvid.enhance.segments")
        real_write, written = segments.SegmentWriter.write, []

        def write(self, frame):
            if len(written) == 2:
                raise KeyboardInterrupt
            written.append(frame)
            real_write(self, frame)
        monkeypatch.setattr(segments.SegmentWriter, "write", write)
        expected = "genvid enhance: interrupted"
    code = main(["enhance", str(src), str(tmp_path / "out.mkv"), "--model", "tiny-x4", "--codec", "ffv1"])
    err = capsys.readouterr().err
    assert code == (2 if stop == "error" else 130)
    assert "frame" in err.split(expected)[0], "the progress bar was drawn"
    assert f"\n{expected}" in err, repr(err)


def test_enhance_a_damaged_source_stops_with_one_line_then_accepts_it(tiny_model_dir, tmp_path, cli):
    """Exit 2 with one line saying how to go on; with --accept-damaged, exit 0, one warning before the work
    and one line after it naming the frames the output lacks."""
    from conftest import make_damaged_clip

    src, _ = make_damaged_clip(tmp_path / "damaged.mp4")
    out = tmp_path / "out.mp4"
    r = cli("enhance", src, out, "--model", "tiny-x4", "--quiet")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "--accept-damaged" in lines[0], r.stderr
    r = cli("enhance", src, out, "--model", "tiny-x4", "--quiet", "--accept-damaged")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 0 and len(lines) == 2, r.stderr
    assert lines[0].startswith("genvid: warning: ") and "damaged.mp4 is damaged: the decoder gives" in lines[0]
    assert re.match(r"genvid enhance: .*out.mp4 lacks \d+ frames? of the damaged source .*\(numbered from 0: \d+",
                    lines[1])


@pytest.mark.parametrize("args,needle", [
    (["enhance", "missing.mp4", "out.mp4"], "input not found: missing.mp4"),
    (["enhance", "in.mp4", "out.mp4", "--model", "denoise,nosuch"], "unknown model 'nosuch'"),
    (["models", "info", "missing.pth"], "model file not found: missing.pth"),
    (["models"], None),
])
def test_common_mistakes_and_listings_answer_without_importing_torch(args, needle, tmp_path):
    """The start-up of a command that fails on its input or lists models stays free of torch (over a second)."""
    (tmp_path / "in.mp4").write_bytes(b"")
    code = ("import sys\nfrom genvid.cli.main import main\nrc = main(sys.argv[1:])\n"
            "print('torch' in sys.modules, rc, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(REPO)})
    *lines, last = r.stderr.strip().splitlines()
    assert last == ("False 2" if needle else "False 0"), r.stderr
    if needle:
        assert len(lines) == 1 and needle in lines[0], r.stderr


def test_nvenc_where_it_cannot_run_is_one_line_before_any_work(clip_maker, tiny_model_dir, tmp_path, cli):
    from genvid.io.ffmpeg import run_ffmpeg

    trial = run_ffmpeg(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=256x192", "-frames:v", "1",
                        "-c:v", "h264_nvenc", "-f", "null", "-"])
    if trial.returncode == 0:
        pytest.skip("NVENC works here (tests/test_gpu.py encodes with it)")
    src = clip_maker("in.mp4", size="64x48", frames=2)
    r = cli("enhance", src, tmp_path / "out.mp4", "--model", "tiny-x4", "--codec", "h264_nvenc", "--quiet")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert re.fullmatch(r"genvid enhance: error: h264_nvenc cannot encode here: \S.* \(NVENC needs an NVIDIA GPU "
                        r".*\); use --codec libx264 or libx265", lines[0]), lines[0]
    assert not list(tmp_path.glob("*out.mp4*")), "no output, no work folder"


def test_enhance_preset_reaches_the_encoder_and_a_bad_one_is_one_line(clip_maker, tiny_model_dir, tmp_path, cli):
    src, out = clip_maker("in.mp4", size="32x24", frames=2), tmp_path / "out.mp4"
    r = cli("enhance", src, out, "--model", "tiny-x4", "--preset", "ultrafast", "--quiet")
    assert r.returncode == 0, r.stderr
    assert b"subme=0" in out.read_bytes(), "x264 writes its options into the stream: ultrafast has subme=0"
    r = cli("enhance", src, tmp_path / "bad.mp4", "--model", "tiny-x4", "--preset", "nope", "--quiet")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "invalid preset 'nope'" in lines[0], r.stderr
    assert not list(tmp_path.glob("*bad.mp4*"))
