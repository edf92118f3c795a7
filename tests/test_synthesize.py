"""`genvid synth` and `genvid.synthesize`: mp4 clips of the asked length, the grid, determinism, errors (the
command run in this process: the `cli` fixture)."""
import re

import numpy as np
import pytest
import torch
from PIL import Image

from genvid import synthesize
from genvid.io.probe import probe
from genvid.models.registry import export_model
from genvid.models.synthesis import VideoGenerator

ARGS = {"z_dim": 8, "motion_dim": 8, "w_dim": 16, "channels": 16, "resolution": 16, "fourier": 2}


@pytest.fixture
def synth_models(tiny_model_dir):
    """tiny-synth (3 classes), tiny-animate (image-conditioned), tiny-plain (neither), beside tiny-x4."""
    for name, extra in (("tiny-synth", {"num_classes": 3}), ("tiny-animate", {"image_cond": True}),
                        ("tiny-plain", {})):
        torch.manual_seed(0)
        args = {**ARGS, **extra}
        export_model(VideoGenerator(**args), tiny_model_dir / f"{name}.safetensors",
                     {"name": name, "task": "synthesis", "arch": "VideoGenerator", "args": args, "resolution": 16,
                      "frames": 4, "num_classes": extra.get("num_classes", 0),
                      "class_names": ["square", "circle", "triangle"] if "num_classes" in extra else None})
    return tiny_model_dir


def test_synth_writes_clips_and_grid(synth_models, tmp_path, cli):
    out = tmp_path / "out"
    r = cli("synth", "--model", "tiny-synth", "--num", "3", "--frames", "5", "--seed", "7", "--grid", out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["clip_000.mp4", "clip_001.mp4", "clip_002.mp4", "grid.mp4"]
    for i in range(3):
        info = probe(out / f"clip_{i:03d}.mp4")
        assert (info.frame_count, info.width, info.height) == (5, 16, 16)
    grid = probe(out / "grid.mp4")
    assert (grid.frame_count, grid.width, grid.height) == (5, 36, 36)  # 2 x 2 tiles of 16 + 2 pixels


def test_same_seed_same_clips(synth_models):
    a = synthesize("tiny-synth", 2, 4, seed=1, class_label="circle")
    b = synthesize("tiny-synth", 2, 4, seed=1, class_label=1)
    c = synthesize("tiny-synth", 2, 4, seed=2, class_label=1)
    assert a.shape == (2, 4, 3, 16, 16) and torch.equal(a, b) and not torch.equal(a, c)


def test_first_frame_is_animated(synth_models, tmp_path, cli):
    image = (np.random.default_rng(0).random((20, 24, 3)) * 255).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "first.png")
    clips = synthesize("tiny-animate", 1, 4, seed=0, first_frame=tmp_path / "first.png")
    from genvid.synthesize import read_first_frame

    assert torch.allclose(clips[0, 0], read_first_frame(tmp_path / "first.png", 16), atol=1e-5)
    r = cli("synth", "--model", "tiny-animate", "--num", "1", "--frames", "3", "--first-frame", tmp_path / "first.png",
            tmp_path / "out")
    assert r.returncode == 0 and probe(tmp_path / "out" / "clip_000.mp4").frame_count == 3, r.stderr


@pytest.mark.parametrize("args, needle", [
    (["--model", "nope"], r"unknown model 'nope'"),
    (["--model", "tiny-x4"], r"is a super-resolution model, not a synthesis model"),
    (["--model", "tiny-synth", "--class", "7"], r"class 7 is out of range.*0 \.\. 2"),
    (["--model", "tiny-synth", "--class", "hexagon"], r"unknown class 'hexagon'.*square, circle, triangle"),
    (["--model", "tiny-plain", "--class", "1"], r"not class-conditional; drop --class"),
    (["--model", "tiny-plain", "--first-frame", "x.png"], r"does not animate a given frame"),
    (["--model", "tiny-animate", "--first-frame", "missing.png"], r"cannot read first frame missing\.png"),
    (["--model", "tiny-animate"], r"pass --first-frame"),
])
def test_errors_are_one_line(synth_models, tmp_path, args, needle, cli):
    r = cli("synth", *args, tmp_path / "out", cwd=tmp_path)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and re.search(needle, lines[0]), r.stderr


def test_models_lists_synthesis_and_enhance_refuses_it(synth_models, clip_maker, tmp_path, cli):
    import json

    r = cli("models", "--json")
    rows = {m["name"]: m for m in json.loads(r.stdout)}
    assert rows["tiny-synth"]["task"] == "synthesis" and rows["tiny-synth"]["resolution"] == 16
    assert cli("models").returncode == 0
    r = cli("enhance", clip_maker(frames=2, size="32x32"), tmp_path / "o.mp4", "--model", "tiny-synth")
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "cannot enhance" in lines[0], r.stderr


def test_benchmark_report_leaves_synthesis_models_out(synth_models):
    import argparse

    from test_benchmarks import load

    rows, notes = load("report").entries(argparse.Namespace(models=None, anchor=""))
    labels = [r["label"] for r in rows]
    assert "tiny-x4" in labels
    assert not any(name.startswith(("tiny-synth", "tiny-animate", "tiny-plain")) for name in labels)
    assert any(n.startswith("tiny-synth: a synthesis model") for n in notes)
