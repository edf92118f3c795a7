"""On a CUDA GPU: reduced precision against fp32, batched against one frame at a time, compiled against
eager, NVENC, fp16 training.  Marked `gpu`: skipped elsewhere.

Run by benchmarks/device_check.py on a lent GPU; `pytest -m gpu` selects them."""
import subprocess

import numpy as np
import pytest
import torch

from genvid.engine import Enhancer
from genvid.models.catalog import list_models
from conftest import make_clip

pytestmark = pytest.mark.gpu
SHIPPED = {m["name"] for m in list_models()}


def frames(n=5, w=160, h=96):
    rng = np.random.default_rng(0)
    base = (rng.random((h, w, 3)) * 255).astype(np.uint8)
    return [np.roll(base, 2 * i, axis=1) for i in range(n)]


@pytest.mark.parametrize("model", [m for m in ("sr-x4", "sr-x4-flow", "restore") if m in SHIPPED])
@pytest.mark.parametrize("precision", [torch.float16, torch.bfloat16])
def test_reduced_precision_within_two_levels_of_fp32(model, precision):
    clip = frames()
    ref = list(Enhancer(model, "cuda", None, scene_threshold=None).run(clip))
    out = list(Enhancer(model, "cuda", precision, scene_threshold=None).run(clip))
    worst = max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(ref, out))
    assert worst <= 2, f"{model} in {precision}: {worst} levels from fp32"


def test_gpu_output_within_two_levels_of_the_cpu():
    clip = frames(3)
    cpu = list(Enhancer("sr-x4", "cpu", None, scene_threshold=None).run(clip))
    gpu = list(Enhancer("sr-x4", "cuda", None, scene_threshold=None).run(clip))
    assert max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(cpu, gpu)) <= 2


def worst(a, b) -> int:
    return max(int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(a, b))


@pytest.mark.parametrize("precision", [None, torch.bfloat16])
def test_batched_within_one_level_of_batch_one(precision):
    """Pinned frames, conversion and rounding on the device, 4 frames per call, tiled and not."""
    clip = frames(9)
    for tile in (0, 64):
        one = list(Enhancer("sr-x4", "cuda", precision, scene_threshold=None, tile=tile, batch=1).run(clip))
        four = list(Enhancer("sr-x4", "cuda", precision, scene_threshold=None, tile=tile, batch=4).run(clip))
        assert len(four) == 9 and worst(one, four) <= 1, (tile, worst(one, four))


def test_a_chain_on_the_gpu_within_two_levels_of_the_cpu():
    if "denoise" not in SHIPPED:
        pytest.skip("denoise is not shipped here")
    clip = frames(4, 64, 48)
    cpu = list(Enhancer("denoise,sr-x4", "cpu", None, scene_threshold=None).run(clip))
    gpu = list(Enhancer("denoise,sr-x4", "cuda", None, scene_threshold=None).run(clip))
    assert worst(cpu, gpu) <= 2


def test_compiled_within_one_level_of_eager():
    from genvid.models import SlidingWindowSR

    torch.manual_seed(0)
    net = SlidingWindowSR(channels=16, blocks=2, radius=1).eval()
    clip = frames(6, 96, 64)
    eager = list(Enhancer(net, "cuda", None, scene_threshold=None, batch=3).run(clip))
    compiled = list(Enhancer(net, "cuda", None, scene_threshold=None, batch=3, compile=True).run(clip))
    assert worst(eager, compiled) <= 1


def test_nvenc_encodes_where_the_gpu_has_it(tmp_path):
    from genvid.io.ffmpeg import ffmpeg_exe

    clip = make_clip(tmp_path / "in.mp4", size="64x48", frames=5)
    r = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-c:v", "h264_nvenc", str(tmp_path / "o.mp4")],
                       capture_output=True, text=True)
    if r.returncode and ("Cannot load" in r.stderr or "No NVENC capable devices" in r.stderr
                         or "Unknown encoder" in r.stderr or "unsupported device" in r.stderr):
        pytest.skip(f"no NVENC here: {r.stderr.strip().splitlines()[-1]}")  # H100/H200 have no NVENC
    assert r.returncode == 0, r.stderr


def test_enhance_encodes_with_h264_nvenc_where_the_gpu_has_it(tiny_model_dir, tmp_path):
    import shutil

    import genvid
    from genvid.errors import GenvidError
    from genvid.io.decode import read_frames
    from genvid.io.probe import probe

    if shutil.which("nvidia-smi") is None:
        pytest.skip("no nvidia-smi: no NVIDIA driver here")
    src, out = make_clip(tmp_path / "in.mp4", size="64x48", frames=8), tmp_path / "out.mp4"
    try:
        genvid.enhance(src, out, "tiny-x4", device="cuda", codec="h264_nvenc", crf=20, quiet=True)
    except GenvidError as e:
        if "h264_nvenc cannot encode here" in str(e):
            pytest.skip(str(e))  # H100/H200: no NVENC
        raise
    info = probe(out)
    assert info.codec == "h264" and info.frame_count == 8 and (info.width, info.height) == (256, 192)
    ref = tmp_path / "ref.mkv"  # the same frames, losslessly: NVENC at -cq 20 stays close to them
    genvid.enhance(src, ref, "tiny-x4", device="cuda", codec="ffv1", quiet=True)
    pairs = zip(read_frames(out), read_frames(ref))
    worst = max(float(np.abs(a.astype(float) - b.astype(float)).mean()) for a, b in pairs)
    assert worst < 8, worst  # mean levels of 255 per frame
