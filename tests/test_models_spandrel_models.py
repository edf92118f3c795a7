"""Checkpoints spandrel recognises run as per-frame stages: loaded as plain tensors, tiled, chained, resumed;
unsafe or unknown files are one line; spandrel and genvid's own loaders give the same outputs."""
import collections
import importlib.util

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from spandrel.architectures.Compact import Compact
from spandrel.architectures.SAFMN import SAFMN
from spandrel.architectures.SPAN import SPAN

from conftest import shared_path
from genvid import Enhancer
from genvid.engine.chain import build_stages, load_models
from genvid.errors import GenvidError
from genvid.models import load_model
from genvid.models.rrdbnet import RRDBNet
from genvid.models.spandrel_models import EXTRA_ARCHES_ENV, SpandrelModel, describe, read_tensors

torch.set_num_threads(1)
EXTRA = importlib.util.find_spec("spandrel_extra_arches") is not None


class NotATensor:  # pickling an instance of this makes a checkpoint that needs code to load
    pass


def span(tmp_path, name="span.pth"):
    """A random SPAN x2 with 8 features (spandrel's own class), saved in Real-ESRGAN's layout."""
    torch.manual_seed(0)
    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2).eval()
    path = tmp_path / name
    if path.suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    else:
        torch.save({"params_ema": net.state_dict()}, path)
    return path


def safmn(tmp_path):
    """A random SAFMN x2 (sizes a multiple of 8, no fp16 by spandrel's word) as a .safetensors without a card."""
    torch.manual_seed(1)
    net = SAFMN(dim=8, n_blocks=1, ffn_scale=2.0, upscaling_factor=2).eval()
    path = tmp_path / "safmn.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def frames(n=3, h=40, w=56, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return [np.roll(base, 2 * i, axis=1) for i in range(n)]


@pytest.mark.parametrize("name", ["span.pth", "span.safetensors", "span.ckpt", "span.pt"])
def test_a_spandrel_model_loads_from_each_file_kind_and_gives_spandrels_output(name, tmp_path):
    path = span(tmp_path, name)
    if name.endswith("ckpt"):  # a training checkpoint: the weights under state_dict, beside plain values
        torch.save({"state_dict": torch.load(path, weights_only=True)["params_ema"], "epoch": 3}, path)
    m = load_model(str(path))
    assert isinstance(m, SpandrelModel) and m.kind == "window" and m.window_radius == 0
    assert (m.scale, m.input_multiple, m.card["arch"], m.card["task"]) == (2, 1, "spandrel:SPAN", "super-resolution")
    descriptor = describe(read_tensors(path), path)
    x = torch.rand(1, 2, 3, 12, 10)
    with torch.inference_mode():
        y = m(x)
        assert y.shape == (1, 2, 3, 24, 20)
        assert torch.allclose(y[0, 1], descriptor(x[:, 1])[0], atol=1e-5)  # two frames at once vs one


def test_it_streams_tiled_chained_and_resumed(tiny_denoise_dir, tmp_path):
    path = str(span(tmp_path))
    clip = frames(4, 64, 200)
    whole = list(Enhancer(path, device="cpu")(clip))
    assert whole[0].shape == (128, 400, 3)
    # tiles: with 48 pixels of context, feathered over the inner 24, SPAN's receptive field (about 20) fits
    tiled = list(Enhancer(path, device="cpu", tile=100, tile_overlap=48)(clip))
    assert max(np.abs(a.astype(int) - b.astype(int)).max() for a, b in zip(tiled, whole)) <= 1
    seams = list(Enhancer(path, device="cpu", tile=100, tile_overlap=4)(clip))  # too little context: not exact
    assert max(np.abs(a.astype(int) - b.astype(int)).max() for a, b in zip(seams, whole)) > 1
    # a chain: genvid's denoiser, then SPAN, in one pass = SPAN on the denoiser's (8-bit) frames
    chained = Enhancer(f"tiny-dn,{path}", device="cpu", sigma=10)
    alone = list(Enhancer(path, device="cpu")(list(Enhancer("tiny-dn", device="cpu", sigma=10)(clip))))
    out = list(chained(clip))
    assert all(np.array_equal(a, b) for a, b in zip(out, alone))
    assert all(np.array_equal(a, b) for a, b in zip(chained.run(clip, start=2), out[2:]))


def test_tiles_keep_the_models_size_grid_and_precision_follows_what_spandrel_says(tmp_path):
    path = safmn(tmp_path)
    e = Enhancer(str(path), device="cpu", tile=20)
    assert e.models[0][1].input_multiple == 8 and e.tile_overlaps == [32]  # 32 is on the grid of 8
    out = list(Enhancer(str(path), device="cpu", tile=72)(frames(2, 50, 150)))  # sizes padded to 8 inside
    assert out[0].shape == (100, 300, 3)
    models = load_models(str(path), torch.device("cpu"))
    assert build_stages(models, "cpu", torch.float16)[0].autocast_dtype is None  # SAFMN: no fp16
    assert build_stages(models, "cpu", torch.bfloat16)[0].autocast_dtype == torch.bfloat16


def test_it_enhances_a_file(tmp_path, clip_maker):
    import genvid
    from genvid.io.probe import probe

    src = clip_maker("in.mp4", size="24x16", frames=3)
    out = tmp_path / "out.mp4"
    genvid.enhance(src, out, str(span(tmp_path)), quiet=True)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (48, 32, 3)


def one_line(load, pattern):
    with pytest.raises(GenvidError, match=pattern) as e:
        load()
    assert "\n" not in str(e.value) and "weights_only=False" not in str(e.value)


def test_unsafe_unknown_and_unrunnable_files_are_one_line(tmp_path):
    evil = tmp_path / "evil.pth"
    torch.save({"params": collections.OrderedDict(x=NotATensor())}, evil)
    one_line(lambda: load_model(str(evil)), "as plain tensors: it holds Python objects .*which genvid never unpickles")
    script = tmp_path / "script.pt"
    torch.jit.script(torch.nn.Conv2d(3, 3, 3)).save(str(script))
    one_line(lambda: load_model(str(script)), "TorchScript archive, which holds code")
    unknown = tmp_path / "unknown.safetensors"
    save_file({"a.weight": torch.zeros(2)}, str(unknown))
    one_line(lambda: load_model(str(unknown)), r"not a checkpoint genvid knows \(and it has no genvid card "
                                               r"unknown.json beside it\): .* \(a.weight, ...\)")
    grey = tmp_path / "grey.pth"
    torch.save(Compact(num_in_ch=1, num_out_ch=1, num_feat=4, num_conv=1, upscale=2).state_dict(), grey)
    one_line(lambda: load_model(str(grey)), r"cannot enhance with .*grey.pth: spandrel's RealESRGAN Compact takes 1 "
                                            r"and gives 1 channels; genvid runs RGB models")
    broken = tmp_path / "broken.pth"
    state = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2).state_dict()
    state["conv_2.sk.weight"] = torch.zeros(1)
    torch.save(state, broken)
    one_line(lambda: load_model(str(broken)), "cannot load .*broken.pth as spandrel's SPAN: ")


@pytest.mark.skipif(not EXTRA, reason="spandrel-extra-arches is not installed (pip install 'genvid[extra-arches]')")
def test_extra_architectures_only_when_asked(tmp_path, monkeypatch):
    from spandrel_extra_arches.architectures.Restormer import Restormer

    torch.manual_seed(2)
    net = Restormer(dim=8, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 1, 1])
    path = tmp_path / "restormer.pth"
    torch.save(net.state_dict(), path)
    monkeypatch.delenv(EXTRA_ARCHES_ENV, raising=False)
    one_line(lambda: load_model(str(path)), f"looks like Restormer, from spandrel-extra-arches .* set {EXTRA_ARCHES_ENV}=1")
    monkeypatch.setenv(EXTRA_ARCHES_ENV, "1")
    m = load_model(str(path))
    assert m.card["arch"] == "spandrel:Restormer" and "spandrel-extra-arches" in m.card["licence"]
    assert m(torch.rand(1, 1, 3, 16, 16)).shape == (1, 1, 3, 16, 16)


@pytest.mark.skipif(EXTRA, reason="spandrel-extra-arches is installed: the test above covers GENVID_EXTRA_ARCHES")
def test_asking_for_extra_architectures_without_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv(EXTRA_ARCHES_ENV, "1")
    one_line(lambda: load_model(str(span(tmp_path))), "spandrel-extra-arches is not installed: pip install")


def spandrel_output(path, x):
    descriptor = describe(read_tensors(path), path)
    with torch.inference_mode():
        return descriptor.model(x)


def test_spandrel_and_genvids_compact_loader_agree_on_the_anchor():
    from genvid.models.srvgg import SRVGGNetCompact

    anchor = shared_path("anchors", "realesr-animevideov3.pth")
    own = load_model(str(anchor))
    assert isinstance(own, SRVGGNetCompact)
    torch.manual_seed(0)
    x = torch.rand(2, 3, 36, 44)
    with torch.inference_mode():
        assert (own.forward_frames(x) - spandrel_output(anchor, x)).abs().max().item() == 0.0


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_spandrel_and_genvids_rrdbnet_agree(scale, tmp_path):
    """Real-ESRGAN's layout ({"params_ema": ...}); spandrel's ESRGAN has 32 growth channels, as Real-ESRGAN's."""
    torch.manual_seed(scale)
    net = RRDBNet(num_feat=8, num_block=2, num_grow_ch=32, scale=scale).eval()
    path = tmp_path / f"rrdb-x{scale}.pth"
    torch.save({"params_ema": net.state_dict()}, path)
    x = torch.rand(1, 3, 16, 24)
    with torch.inference_mode():
        diff = (net.forward_frames(x) - spandrel_output(path, x)).abs().max().item()
    assert diff <= 1e-6


def test_an_old_layout_esrgan_checkpoint_runs_as_genvids_rrdbnet(tmp_path):
    """ESRGAN's first layout (model.0, model.1.sub.<i>.RDB<k>.conv<n>.0, ...): spandrel recognises it, genvid
    runs its own RRDBNet with the same weights (exact receptive radius) and the same outputs."""
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(3)
    old = ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=2, scale=4).eval()
    path = tmp_path / "old-esrgan.pth"
    torch.save(old.state_dict(), path)
    m = load_model(str(path))
    assert isinstance(m, RRDBNet) and m.card["args"] == {"num_feat": 8, "num_block": 2, "num_grow_ch": 32, "scale": 4}
    x = torch.rand(1, 3, 12, 16)
    with torch.inference_mode():
        assert (m.forward_frames(x) - old(x)).abs().max().item() <= 1e-6


def test_convert_writes_only_genvids_own_architectures(tmp_path):
    from genvid.models.third_party import convert_checkpoint

    path = span(tmp_path)
    one_line(lambda: convert_checkpoint(path, tmp_path / "o.safetensors"),
             r"span.pth is spandrel's SPAN, which genvid runs as it is \(--model .*span.pth\) but converts only")
    assert not (tmp_path / "o.safetensors").exists()
