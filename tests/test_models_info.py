"""`genvid models info`: a checkpoint's architecture, scale, parameters, GFLOPs and licence; genvid's own cards."""
import json

import torch
from spandrel.architectures.SPAN import SPAN
from torch.utils.flop_counter import FlopCounterMode

from genvid.cli.main import main
from genvid.models.info import count_gflops, model_info
from genvid.models.registry import load_model

torch.set_num_threads(1)


def test_a_spandrel_checkpoint(tmp_path, capsys):
    torch.manual_seed(0)
    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2).eval()
    path = tmp_path / "span.pth"
    torch.save({"params_ema": net.state_dict()}, path)
    x = torch.rand(1, 3, 360, 640)
    with torch.inference_mode(), FlopCounterMode(display=False) as fc:  # SPAN cannot be counted on the meta device
        net(x)
    assert main(["models", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["architecture"] == "SPAN" and info["loader"].startswith("spandrel ") and not info["genvid_format"]
    assert (info["scale"], info["purpose"], info["tags"]) == (2, "SR", ["8nf"])
    assert info["parameters"] == sum(p.numel() for p in net.parameters())
    assert info["gflops_640x360"] == round(fc.get_total_flops() / 1e9, 3) > 0
    assert info["runs"].startswith("yes") and info["licence"].startswith("unknown: spandrel reports no licence")
    assert main(["models", "info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "  architecture: SPAN\n" in text and "  scale: 2\n" in text and f"{info['parameters']:,}" in text


def test_genvids_own_format_and_its_third_party_loaders(tiny_model_dir, tmp_path):
    own = model_info("tiny-x4")
    card = json.loads((tiny_model_dir / "tiny-x4.json").read_text())
    assert own["genvid_format"] and own["architecture"] == "SlidingWindowSR"
    assert (own["scale"], own["parameters"], own["gflops_640x360"]) == (4, card["parameters"], card["gflops_640x360"])
    from genvid.models.srvgg import SRVGGNetCompact

    path = tmp_path / "compact.pth"
    torch.save({"params": SRVGGNetCompact(num_feat=4, num_conv=2, scale=2).state_dict()}, path)
    info = model_info(str(path))
    assert info["architecture"] == "SRVGGNetCompact" and not info["genvid_format"] and info["scale"] == 2
    assert info["gflops_640x360"] == round(count_gflops(load_model(str(path))), 3) > 0
    assert "BSD-3-Clause" in info["licence"]


def test_errors_are_one_line(tmp_path, capsys):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint" * 10)
    assert main(["models", "info", str(junk)]) == 2
    assert main(["models", "info", str(tmp_path / "missing.pth")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "not a PyTorch checkpoint" in err[0] and "model file not found" in err[1]
