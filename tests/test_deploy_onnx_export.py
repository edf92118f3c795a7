"""ONNX export (genvid/deploy/onnx_export.py): onnxruntime equals PyTorch within 1e-3 at two frame sizes from one
file (dynamic height and width), for every model family and form; the recurrent start/step pair reproduces
the model's forward; fp16 and opset; `genvid export` in-process and its one-line refusals."""
import json

import numpy as np
import pytest
import torch

from genvid.models.blocks import clamped_window
from genvid.models.registry import build_model

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from genvid.deploy.onnx_export import blind_noise_level, export_onnx  # noqa: E402

TOL = 1e-3
SIZES = [(17, 23), (40, 36)]  # odd; even and not a multiple of 32 (the graphs are traced at 37x45)


def small(arch: str, **args) -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(arch, args).eval()
    if hasattr(model, "tail"):  # a restoration model starts as the identity: make its correction visible
        model.tail.reset_parameters()
        with torch.no_grad():
            model.tail.weight.mul_(20)
    return model


def export(model, folder, name="m", **kw) -> tuple[dict, dict]:
    """The sidecar and an onnxruntime session per file, by role."""
    info = export_onnx(model, folder / f"{name}.onnx", **kw)
    assert json.loads((folder / f"{name}.json").read_text()) == info
    return info, {role: ort.InferenceSession(str(folder / f["file"]), providers=["CPUExecutionProvider"])
                  for role, f in info["files"].items()}


def run(session, **inputs) -> list[torch.Tensor]:
    return [torch.from_numpy(y) for y in session.run(None, {k: v.numpy() for k, v in inputs.items()})]


def close(a: torch.Tensor, b: torch.Tensor, tol: float = TOL) -> bool:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a - b).abs().max().item() <= tol


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx")


def test_blind_noise_level_is_the_median_estimate():
    from genvid.models.noise_level import estimate_noise_level

    for h, w in [(9, 13), (12, 16), (2, 2)]:  # odd and even counts of Haar coefficients
        x = torch.rand(3, 3, h, w)
        assert torch.allclose(blind_noise_level(x), estimate_noise_level(x), atol=1e-5)


@pytest.mark.slow
def test_sliding_window_sr_window_form(folder):
    model = small("SlidingWindowSR", channels=8, blocks=1, radius=1)
    info, s = export(model, folder, "sr-window")
    assert (info["family"], info["form"], info["scale"], info["window_radius"]) == ("window", "window", 4, 1)
    assert [i["shape"] for i in info["files"]["window"]["inputs"]] == [["batch", 3, 3, "height", "width"]]
    for (h, w), n in zip(SIZES, (1, 2)):
        x = torch.rand(n, 3, 3, h, w)
        with torch.no_grad():
            assert close(run(s["window"], frames=x)[0], model(x)[:, 1])


@pytest.mark.slow
def test_sliding_window_sr_split_form_streams_a_clip(folder):
    model = small("SlidingWindowSR", channels=8, blocks=1, radius=1)
    info, s = export(model, folder, "sr-split", form="split")
    assert set(s) == {"encoder", "decoder"} and info["form"] == "split"
    for h, w in SIZES:
        clip = torch.rand(1, 4, 3, h, w)
        feats = [run(s["encoder"], frame=clip[:, t])[0] for t in range(4)]  # each frame encoded once
        outs = [run(s["decoder"], feats=torch.stack([feats[j] for j in clamped_window(t, 4, 1)], dim=1),
                    center=clip[:, t])[0] for t in range(4)]
        with torch.no_grad():
            assert close(torch.stack(outs, dim=1), model(clip))


@pytest.mark.slow
def test_denoiser_window_form_with_given_and_blind_levels(folder):
    model = small("SlidingWindowRestore", channels=8, blocks=1, radius=1, noise_map=True)
    info, s = export(model, folder, "dn-window")
    assert info["noise_map"] and [i["name"] for i in info["files"]["window"]["inputs"]] == ["frames", "noise_level"]
    for h, w in SIZES:
        x = torch.rand(2, 3, 3, h, w)
        given = torch.tensor([10.0, 40.0])
        blind = run(s["window"], frames=x, noise_level=torch.tensor([-1.0, -1.0]))[0]
        with torch.no_grad():
            assert close(run(s["window"], frames=x, noise_level=given)[0], model(x, given)[:, 1])
            assert close(blind, model(x)[:, 1])
        assert not close(blind, run(s["window"], frames=x, noise_level=given)[0])  # the level matters


@pytest.mark.slow
def test_denoiser_split_form_streams_a_clip_with_blind_levels(folder):
    model = small("SlidingWindowRestore", channels=8, blocks=1, radius=1, noise_map=True)
    info, s = export(model, folder, "dn-split", form="split")
    assert info["files"]["decoder"]["inputs"][0]["shape"] == ["batch", 3, 8, "feat_height", "feat_width"]
    for h, w in SIZES:
        clip = torch.rand(1, 4, 3, h, w)
        feats = [run(s["encoder"], frame=clip[:, t], noise_level=torch.tensor([-1.0]))[0] for t in range(4)]
        outs = [run(s["decoder"], feats=torch.stack([feats[j] for j in clamped_window(t, 4, 1)], dim=1),
                    center=clip[:, t])[0] for t in range(4)]
        with torch.no_grad():
            assert close(torch.stack(outs, dim=1), model(clip))


@pytest.mark.slow
@pytest.mark.parametrize("arch,args", [("SRVGGNetCompact", {"num_feat": 8, "num_conv": 2, "scale": 4}),
                                       ("RRDBNet", {"num_feat": 8, "num_block": 1, "num_grow_ch": 4, "scale": 2})])
def test_single_frame_models(folder, arch, args):
    model = small(arch, **args)
    info, s = export(model, folder, arch)
    assert (info["family"], info["form"], info["scale"]) == ("frame", "frame", args["scale"])
    for h, w in SIZES:  # odd sizes: RRDBNet x2 pads to its unshuffle factor inside the graph
        x = torch.rand(1, 3, h, w)
        with torch.no_grad():
            assert close(run(s["frame"], frame=x)[0], model(x[:, None])[:, 0])


@pytest.fixture(scope="module")
def recurrent(folder):
    model = small("RecurrentFlowSR", channels=8, blocks=1)
    return (model, *export(model, folder, "rec"))


@pytest.mark.slow
@pytest.mark.parametrize("h,w,n", [(19, 27, 1), (24, 40, 2), (32, 64, 1)])  # odd; not a multiple of 32; both
def test_recurrent_start_and_step_reproduce_three_frames_of_forward(recurrent, h, w, n):
    model, info, s = recurrent
    assert set(s) == {"start", "step"} and info["lookahead"] == 1
    x = torch.rand(n, 3, 3, h, w)
    out0, hidden = run(s["start"], frame=x[:, 0], ahead=x[:, 1])
    out1, hidden = run(s["step"], frame=x[:, 1], ahead=x[:, 2], prev=x[:, 0], hidden=hidden)
    out2, _ = run(s["step"], frame=x[:, 2], ahead=x[:, 2], prev=x[:, 1], hidden=hidden)  # the clip's last frame
    with torch.no_grad():
        assert close(torch.stack([out0, out1, out2], dim=1), model(x))


@pytest.mark.slow
def test_fp16_file_is_valid_runs_on_cpu_and_is_near_fp32(tmp_path):
    import onnx

    model = small("SRVGGNetCompact", num_feat=8, num_conv=2, scale=2)
    info, s = export(model, tmp_path, fp16=True)
    onnx.checker.check_model(str(tmp_path / "m.onnx"), full_check=True)
    assert info["precision"] == "fp16" and info["files"]["frame"]["inputs"][0]["type"] == "float16"
    x = torch.rand(1, 3, 17, 23)
    y = run(s["frame"], frame=x.half())[0]
    assert y.dtype == torch.float16
    with torch.no_grad():
        assert close(y.float(), model(x[:, None])[:, 0], tol=1e-2)


@pytest.mark.slow
def test_cli_exports_a_saved_model_split_at_opset_17(tiny_model_dir, tmp_path, capsys):
    from genvid.cli.main import main
    from genvid.models.registry import load_model

    out = tmp_path / "deploy" / "tiny.onnx"
    assert main(["export", "tiny-x4", str(out), "--form", "split", "--opset", "17"]) == 0
    assert "tiny.encoder.onnx, tiny.decoder.onnx and tiny.json" in capsys.readouterr().out
    info = json.loads(out.with_suffix(".json").read_text())
    assert (info["model"], info["opset"], info["form"]) == ("tiny-x4", 17, "split") and info["weights_sha256"]
    enc, dec = (ort.InferenceSession(str(out.parent / info["files"][r]["file"])) for r in ("encoder", "decoder"))
    x = torch.rand(1, 3, 3, 21, 19)
    feats = torch.stack([run(enc, frame=x[:, t])[0] for t in range(3)], dim=1)
    with torch.no_grad():
        assert close(run(dec, feats=feats, center=x[:, 1])[0], load_model("tiny-x4")(x)[:, 1])
    assert main(["export", "tiny-x4", str(out), "--form", "split"]) == 2  # exists: not replaced
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.parametrize("args,needle", [
    (["no-such-model", "x.onnx"], "unknown model 'no-such-model'"),
    (["synth-shapes", "x.onnx"], "synthesis model"),
    (["tiny-x4", "x.pt"], "must be a .onnx"),
    (["tiny-x4", "exists.onnx"], "exists.onnx exists; give --overwrite"),
    (["srvgg.safetensors", "x.onnx", "--form", "split"], "--form split does not apply to SRVGGNetCompact"),
])
def test_cli_refusals_are_one_line(tiny_model_dir, tmp_path, capsys, monkeypatch, args, needle):
    from genvid.cli.main import main
    from genvid.models.registry import export_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exists.onnx").write_bytes(b"")
    srvgg = {"num_feat": 4, "num_conv": 1, "scale": 2}
    export_model(build_model("SRVGGNetCompact", srvgg), tmp_path / "srvgg.safetensors",
                 {"name": "srvgg", "task": "super-resolution", "scale": 2, "arch": "SRVGGNetCompact", "args": srvgg})
    assert main(["export", *args]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "x.onnx").exists()
