"""Third-party checkpoints: Real-ESRGAN-layout .pth files load exactly, stream, and convert to genvid's format."""
import json

import pytest
import torch

from conftest import shared_path
from genvid.errors import GenvidError
from genvid.models import load_model
from genvid.models.registry import count_parameters, sha256_of
from genvid.models.rrdbnet import RRDBNet
from genvid.models.srvgg import SRVGGNetCompact
from genvid.models.third_party import convert_checkpoint, read_state

ANCHOR_SHA256 = "4e1e09ba96d08bd4b8455e8897c3242a3501e3766f359941ea894122e158a932"  # ../shared/README.md


def tiny_rrdb(scale: int) -> RRDBNet:
    torch.manual_seed(scale)
    return RRDBNet(num_feat=8, num_block=1, num_grow_ch=32, scale=scale).eval()  # spandrel's ESRGAN: growth 32


@pytest.mark.parametrize("scale", [2, 4])
def test_rrdbnet_pth_loads_exactly_and_enhances_a_clip(scale, tmp_path, clip_maker):
    import genvid
    from genvid.io.probe import probe

    ref = tiny_rrdb(scale)
    path = tmp_path / f"RealESRGAN_x{scale}plus-tiny.pth"
    torch.save({"params_ema": ref.state_dict()}, path)  # Real-ESRGAN's layout
    m = load_model(str(path))
    assert m.card["arch"] == "RRDBNet" and m.card["scale"] == scale
    assert m.card["args"] == {"num_feat": 8, "num_block": 1, "num_grow_ch": 32, "scale": scale}
    for k, v in ref.state_dict().items():
        assert torch.equal(m.state_dict()[k], v), k
    src = clip_maker("in.mp4", size="24x18", frames=3)
    out = tmp_path / "out.mp4"
    genvid.enhance(src, out, str(path), quiet=True)
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (24 * scale, 18 * scale, 3)


def test_params_ema_then_params_then_bare(tmp_path):
    a, b = tiny_rrdb(4).state_dict(), tiny_rrdb(2).state_dict()
    torch.save({"params": b, "params_ema": a}, tmp_path / "both.pth")
    torch.save({"params": b}, tmp_path / "params.pth")
    torch.save(a, tmp_path / "bare.pth")
    assert torch.equal(read_state(tmp_path / "both.pth")["conv_first.weight"], a["conv_first.weight"])
    assert torch.equal(read_state(tmp_path / "params.pth")["conv_first.weight"], b["conv_first.weight"])
    assert torch.equal(read_state(tmp_path / "bare.pth")["conv_first.weight"], a["conv_first.weight"])
    torch.save({"params_ema": {}}, tmp_path / "empty.pth")
    with pytest.raises(GenvidError, match="no state dict"):
        read_state(tmp_path / "empty.pth")


@pytest.mark.parametrize("kind", ["rrdb-x2", "rrdb-x4", "srvgg-x2"])
def test_convert_writes_safetensors_and_a_card_that_load(kind, tmp_path):
    net = {"rrdb-x2": lambda: tiny_rrdb(2), "rrdb-x4": lambda: tiny_rrdb(4),
           "srvgg-x2": lambda: SRVGGNetCompact(num_feat=4, num_conv=2, scale=2).eval()}[kind]()
    src = tmp_path / f"{kind}.pth"
    torch.save({"params": net.state_dict()}, src)
    out, card = convert_checkpoint(src, tmp_path / "converted.safetensors", name="my-model")
    assert out == tmp_path / "converted.safetensors" and out.exists()
    on_disk = json.loads(out.with_suffix(".json").read_text())
    assert on_disk == card
    assert card["name"] == "my-model" and card["arch"] == type(net).__name__ and card["task"] == "super-resolution"
    assert card["source"] == {"file": src.name, "sha256": sha256_of(src)}
    assert card["sha256"] == sha256_of(out) and card["parameters"] == count_parameters(net)
    assert "third party" in card["trained_by"] and "licence" in card and card["gflops_640x360"] > 0
    m = load_model(str(out))
    x = torch.rand(1, 2, 3, 10, 12)
    with torch.no_grad():
        assert torch.equal(m(x), net(x))


def test_convert_cli_and_errors(tmp_path):
    from genvid.cli.main import main

    src = tmp_path / "x4.pth"
    torch.save({"params_ema": tiny_rrdb(4).state_dict()}, src)
    folder = tmp_path / "weights"
    folder.mkdir()
    assert main(["models", "convert", str(src), str(folder)]) == 0
    assert (folder / "x4.safetensors").exists() and (folder / "x4.json").exists()
    assert main(["models", "convert", str(src), str(tmp_path / "out.onnx")]) == 2
    assert main(["models", "convert", str(tmp_path / "missing.pth"), str(tmp_path / "o.safetensors")]) == 2


def test_convert_the_anchor(tmp_path):
    anchor = shared_path("anchors", "realesr-animevideov3.pth")
    out, card = convert_checkpoint(anchor, tmp_path / "realesr-animevideov3.safetensors")
    assert card["source"]["sha256"] == ANCHOR_SHA256
    assert card["arch"] == "SRVGGNetCompact" and card["args"] == {"num_feat": 64, "num_conv": 16, "scale": 4}
    assert card["parameters"] == 621_424
    a, b = load_model(str(anchor)), load_model(str(out))
    x = torch.rand(1, 1, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))


@pytest.mark.parametrize("kind,pattern", [
    ("junk", "not a PyTorch checkpoint, or a damaged one"),
    ("empty", "not a PyTorch checkpoint, or a damaged one"),
    ("module", r"as plain tensors: it holds Python objects \(torch.nn.modules.linear.Linear\), which genvid never"),
])
def test_a_refused_or_junk_pth_says_so_without_torchs_advice(kind, pattern, tmp_path):
    path = tmp_path / f"{kind}.pth"
    if kind == "module":
        torch.save({"params_ema": torch.nn.Linear(2, 2)}, path)
    else:
        path.write_bytes(b"hello, not a checkpoint\n" * 20 if kind == "junk" else b"")
    for load in (lambda: load_model(str(path)), lambda: convert_checkpoint(path, tmp_path / "o.safetensors")):
        with pytest.raises(GenvidError, match=pattern) as e:
            load()
        message = str(e.value)
        assert "weights_only" not in message and "\n" not in message and "\x1b" not in message
    assert not (tmp_path / "o.safetensors").exists()


def test_a_pth_whose_tensors_do_not_fit_names_them_with_shapes(tmp_path):
    state = tiny_rrdb(4).state_dict()
    del state["body.0.rdb1.conv2.weight"]
    state["conv_hr.weight"] = torch.zeros(8, 8, 1, 1)
    torch.save({"params_ema": state}, tmp_path / "odd.pth")
    for load in (lambda: load_model(str(tmp_path / "odd.pth")),
                 lambda: convert_checkpoint(tmp_path / "odd.pth", tmp_path / "o.safetensors")):
        with pytest.raises(GenvidError, match=r"cannot load .*odd.pth as spandrel's ESRGAN: Error\(s\) in loading "
                                              r"state_dict for RRDBNet: .*model.1.sub.0.RDB1.conv2.0.weight") as e:
            load()
        assert "\n" not in str(e.value)
