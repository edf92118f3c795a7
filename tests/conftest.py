"""Shared fixtures: small clips made with the bundled ffmpeg (no ../shared needed), a tiny trained-shape model."""
from __future__ import annotations

import os
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from genvid.io.testclip import make_test_clip

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def make_clip(path: Path, **kw) -> Path:
    """A testsrc2 clip of exactly `frames` frames (see genvid.io.testclip.make_test_clip)."""
    return make_test_clip(path, **kw)


# frame n at 40 n ms plus 0, 13 or 26 ms: irregular steps of 27 to 66 ms (a variable-frame-rate source)
VFR_PTS = "0.04*N+0.013*mod(N*N\\,3)"


def vfr_time(n: int) -> float:
    return 0.04 * n + 0.013 * ((n * n) % 3)


def make_vfr_clip(path: Path, frames: int = 20, *, audio: bool = False, video_delay: float = 0.0,
                  codec: str = "libx264", time_base: str = "1:1000", size: str = "48x32") -> Path:
    """A testsrc2 clip whose frame n starts at vfr_time(n) (+ `video_delay`), exactly `frames` frames; with
    `audio`, a 440 Hz tone from 0 s that outlasts the video (so no frame is cut to fit it)."""
    from genvid.io.ffmpeg import run_ffmpeg

    cmd = ["-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={vfr_time(frames) + 0.3:.3f}"]
    cmd += ["-vf", f"settb=1/1000,setpts='({VFR_PTS}+{video_delay})/TB'", "-fps_mode", "passthrough",
            "-enc_time_base", time_base, "-frames:v", str(frames), "-c:v", codec]
    cmd += (["-c:a", "aac"] if audio else []) + [str(path)]
    r = run_ffmpeg(cmd)
    assert r.returncode == 0, r.stderr
    return path


def make_damaged_clip(path: Path, frames: int = 50) -> tuple[Path, Path]:
    """(damaged, intact): an H.264 .mp4 of `frames` 64x48 frames, keyframes every 10, and a copy with 200
    bytes in the middle of its data overwritten, of which the decoder gives fewer frames (checked here)."""
    from genvid.io.ffmpeg import run_ffmpeg

    intact = make_clip(path.with_name("intact.mp4"), size="64x48", frames=frames, extra=["-g", "10", "-threads", "1"])
    data = bytearray(intact.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))
    r = run_ffmpeg(["-v", "error", "-i", str(path), "-f", "framecrc", "-"])
    decoded = sum(line.startswith("0,") for line in r.stdout.splitlines())
    assert r.returncode == 0 and 0 < decoded < frames, (decoded, r.stderr[-500:])
    return path, intact


@pytest.fixture
def clip_maker(tmp_path):
    def make(name: str = "in.mp4", **kw) -> Path:
        return make_clip(tmp_path / name, **kw)
    return make


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capfd, monkeypatch):
    """`cli(*args, cwd=None)`: the `genvid` command run in this process (genvid.cli.main.main),
    as `python -m genvid` would run it: its exit code (argparse's SystemExit included), stdout and stderr,
    with the Python warnings it emits written to stderr as a plain interpreter would print them (so that a
    one-line-error test still sees every line a user would).  Saves the ~2 s of CPU that starting Python and
    importing torch cost per call; tests of start-up, signals, several processes or installs use subprocesses."""
    from genvid.cli.main import main

    def run(*args, cwd=None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capfd.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()  # the interpreter's defaults, not pytest's
            warnings.simplefilter("default")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.filterwarnings("ignore", category=category)
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:  # argparse: --version, --help, usage errors
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capfd.readouterr()  # file descriptors too: what ffmpeg children print counts
        err += "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in caught)
        return CliResult(int(code or 0), out, err)
    return run


@pytest.fixture
def tiny_model_dir(tmp_path, monkeypatch):
    """A folder holding `tiny-x4` (random weights, tiny shape) with its card, on GENVID_WEIGHTS.

    For plumbing tests only: it is never shipped and never a default."""
    from genvid.models.sr_window import SlidingWindowSR
    from genvid.models.registry import export_model

    torch.manual_seed(0)
    args = {"channels": 8, "blocks": 1, "radius": 1, "scale": 4, "encoder_blocks": 1}
    folder = tmp_path / "weights"
    export_model(SlidingWindowSR(**args), folder / "tiny-x4.safetensors",
                 {"name": "tiny-x4", "task": "super-resolution", "scale": 4, "arch": "SlidingWindowSR",
                  "args": args})
    monkeypatch.setenv("GENVID_WEIGHTS", str(folder))
    return folder


@pytest.fixture
def tiny_denoise_dir(tiny_model_dir):
    """`tiny-dn` (a random scale-1 SlidingWindowRestore with a noise-level input and a visible correction)
    with its card beside `tiny-x4`.  For plumbing tests only: never shipped, never a default."""
    from genvid.models.restore_window import SlidingWindowRestore
    from genvid.models.registry import export_model

    torch.manual_seed(1)
    args = {"channels": 8, "blocks": 1, "radius": 1, "noise_map": True}
    model = SlidingWindowRestore(**args)
    model.tail.reset_parameters()  # built at zero (the identity): random, so that it visibly changes frames
    with torch.no_grad():
        model.tail.weight.mul_(20)
    export_model(model, tiny_model_dir / "tiny-dn.safetensors",
                 {"name": "tiny-dn", "task": "denoise", "scale": 1, "window_radius": 1, "noise_map": True,
                  "arch": "SlidingWindowRestore", "args": args})
    return tiny_model_dir


def smooth_clip(t=5, h=48, w=64, seed=0) -> np.ndarray:
    """(T, H, W, 3) uint8: a smooth colour field drifting sideways, inside 50..200 (no clipping of noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w + 2 * t]
    base = np.stack([np.sin(xx / (7 + 3 * c) + c) * np.cos(yy / (9 + c)) for c in range(3)], axis=-1)
    base = 125 + 70 * base + rng.normal(0, 1, (1, 1, 3))
    return np.stack([base[:, 2 * i:2 * i + w] for i in range(t)]).round().astype(np.uint8)


def to_clip_tensor(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255)[None]


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip saying why the test cannot run here."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (the project's shared data, present in CI); not found on this machine")
    return p


@pytest.fixture
def no_lpips_backbone(tmp_path, monkeypatch):
    """An empty TORCH_HOME, no $GENVID_LPIPS_BACKBONE, and any download attempt failing the test; returns TORCH_HOME."""
    from genvid.losses.perceptual import ENV_VAR

    def refuse(*a, **k):
        raise AssertionError("a download was attempted")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.delenv(ENV_VAR, raising=False)
    return home


@pytest.fixture(scope="session")
def random_alexnet(tmp_path_factory):
    """A randomly initialised AlexNet (seed 0) saved once a session: (file, state dict, torch's RNG state
    right after it was drawn).  Building and saving it (233 MiB) took 0.7 s of CPU a test otherwise."""
    import torchvision

    torch.manual_seed(0)
    state = torchvision.models.alexnet(weights=None).state_dict()
    rng = torch.get_rng_state()
    path = tmp_path_factory.mktemp("alexnet") / "alexnet.pth"
    torch.save(state, path)
    return path, state, rng


@pytest.fixture
def random_lpips_backbone(no_lpips_backbone, random_alexnet):
    """A randomly initialised AlexNet saved where torchvision would keep the real one: (path, state dict).

    For plumbing tests only (which file is read, shapes, keys, gradients): its LPIPS values mean nothing
    and are never reported.  The file is the session's one (linked, or copied across file systems), and
    torch's RNG is left as drawing the network here would leave it."""
    from genvid.losses.perceptual import backbone_file_name, hub_checkpoint_dir

    source, state, rng = random_alexnet
    folder = hub_checkpoint_dir()
    folder.mkdir(parents=True)
    target = folder / backbone_file_name("alex")
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    torch.set_rng_state(rng)
    return target, state


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` skip, with the reason, where torch sees no CUDA GPU."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (run `pytest -m gpu` on one: benchmarks/device_check.py)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def launch_two() -> list[str]:
    """`accelerate launch` of 2 CPU processes of `python -m genvid`, on a free port: the default port 29500
    may still be held (TIME_WAIT) by the previous test's launch, which fails the rendezvous."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
            "--num_machines", "1", "--main_process_port", str(port), "--mixed_precision", "no",
            "--dynamo_backend", "no", "-m", "genvid"]
