"""genvid.models.pretrained: every architecture saves and loads itself (config apart from card), the shipped
layout loads through the same code, and genvid.models never imports genvid.train."""
import ast
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import genvid.models
from genvid.errors import GenvidError
from genvid.models import PretrainedModel, from_pretrained, load_model
from genvid.models.registry import ARCHITECTURES, export_model
from genvid.models.rrdbnet import RRDBNet
from genvid.models.sr_window import SlidingWindowSR

ROOT = Path(__file__).resolve().parents[1]
TINY = {  # the smallest arguments of each architecture that still run every layer
    "SlidingWindowSR": {"channels": 4, "blocks": 1, "radius": 1, "scale": 2},
    "SlidingWindowRestore": {"channels": 4, "blocks": 1, "radius": 1, "noise_map": True},
    "RecurrentFlowSR": {"channels": 4, "blocks": 1, "scale": 2, "identity_blocks": 1},
    "RecurrentFlowRestore": {"channels": 4, "blocks": 1, "noise_map": True},
    "SRVGGNetCompact": {"num_feat": 4, "num_conv": 1, "scale": 2},
    "RRDBNet": {"num_feat": 4, "num_block": 1, "num_grow_ch": 2, "scale": 2},
    "BasicVSR": {"num_feat": 4, "num_block": 1},
    "VideoGenerator": {"resolution": 8, "z_dim": 4, "motion_dim": 4, "w_dim": 8, "channels": 8, "num_classes": 2},
}


def tiny(arch: str, seed: int = 0) -> torch.nn.Module:
    """A tiny model with every weight random (no zero-initialised tail), so outputs depend on all of them."""
    torch.manual_seed(seed)
    model = ARCHITECTURES[arch](**TINY[arch]).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


def outputs(model: torch.nn.Module) -> torch.Tensor:
    with torch.no_grad():
        if getattr(model, "task", None) == "synthesis":
            return model.sample(2, frames=3, seed=0, labels=torch.tensor([0, 1]))
        torch.manual_seed(1)
        dtype = next(model.parameters()).dtype
        return model(torch.rand(1, 3, 3, 16, 16, dtype=dtype))


def test_every_architecture_is_covered_and_saves_and_loads_itself():
    assert set(TINY) == set(ARCHITECTURES)
    assert all(issubclass(cls, PretrainedModel) for cls in ARCHITECTURES.values())


@pytest.mark.parametrize("arch", sorted(TINY))
def test_round_trip(arch, tmp_path):
    torch.set_num_threads(1)
    model = tiny(arch)
    folder = model.save_pretrained(tmp_path / "saved")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]  # no card: none written
    config = json.loads((folder / "config.json").read_text())
    assert config["arch"] == arch and set(config) == {"arch", "args"}
    assert config["args"] == ARCHITECTURES[arch](**config["args"]).config["args"]  # every argument, defaults too
    assert TINY[arch].items() <= config["args"].items()
    cls = ARCHITECTURES[arch]
    for loaded in (cls.from_pretrained(folder), from_pretrained(folder), PretrainedModel.from_pretrained(folder)):
        assert type(loaded) is cls and not loaded.training and loaded.card == {}
        assert torch.equal(outputs(loaded), outputs(model))
    assert not torch.equal(outputs(tiny(arch, seed=1)), outputs(model))  # other weights: other outputs


@pytest.mark.parametrize("dtype", [torch.bfloat16, "float16", "torch.float64"])
def test_dtype_is_honoured(dtype, tmp_path):
    folder = tiny("SlidingWindowSR").save_pretrained(tmp_path / "m")
    want = dtype if isinstance(dtype, torch.dtype) else getattr(torch, dtype.removeprefix("torch."))
    model = SlidingWindowSR.from_pretrained(folder, dtype=dtype)
    assert {t.dtype for t in model.state_dict().values()} == {want}
    assert {t.dtype for t in SlidingWindowSR.from_pretrained(folder).state_dict().values()} == {torch.float32}
    model.save_pretrained(tmp_path / "half")  # saved as it is; loads back as float32 unless asked
    from safetensors.torch import load_file
    assert {t.dtype for t in load_file(str(tmp_path / "half" / "model.safetensors")).values()} == {want}


@pytest.mark.parametrize("device", ["meta", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_device_is_honoured(device, tmp_path):
    folder = tiny("RRDBNet").save_pretrained(tmp_path / "m")
    model = RRDBNet.from_pretrained(folder, device=device, dtype="float16")
    assert {(t.device.type, t.dtype) for t in model.parameters()} == {(device, torch.float16)}


def test_a_file_of_another_architecture_is_refused_unless_loaded_generically(tmp_path):
    folder = tiny("SRVGGNetCompact").save_pretrained(tmp_path / "compact")
    for path in (folder, folder / "model.safetensors"):
        with pytest.raises(GenvidError) as e:
            RRDBNet.from_pretrained(path)
        assert "holds a SRVGGNetCompact, not a RRDBNet" in str(e.value) and "\n" not in str(e.value)
        assert type(from_pretrained(path)).__name__ == "SRVGGNetCompact"
    with pytest.raises(GenvidError, match="holds a SlidingWindowSR, not a RRDBNet"):
        RRDBNet.from_pretrained("sr-x4")


def test_shipped_layout_loads_through_the_same_code_and_saves_config_apart_from_card(tmp_path):
    torch.set_num_threads(1)
    shipped = load_model("sr-x4")
    card = json.loads((ROOT / "weights" / "sr-x4.json").read_text())
    assert shipped.config == {"arch": card["arch"], "args": card["args"]}
    own = SlidingWindowSR.from_pretrained("sr-x4")
    assert own.card == card == shipped.card
    folder = own.save_pretrained(tmp_path / "sr")
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "config.json", "model.safetensors"]
    assert json.loads((folder / "config.json").read_text()) == {"arch": card["arch"], "args": card["args"]}
    saved_card = json.loads((folder / "card.json").read_text())
    assert "arch" not in saved_card and "args" not in saved_card
    assert saved_card == {k: v for k, v in card.items() if k not in ("arch", "args")}  # same tensors: same sha256
    again = from_pretrained(folder)
    assert again.card == saved_card
    x = torch.rand(1, 3, 3, 12, 16)
    with torch.no_grad():
        assert torch.equal(again(x), shipped(x))


def test_a_safetensors_file_with_its_card_beside_it(tmp_path):
    model = tiny("SlidingWindowSR")
    card = export_model(model, tmp_path / "w.safetensors", {"name": "w", "task": "super-resolution", "scale": 2,
                                                            "arch": "SlidingWindowSR", "args": TINY["SlidingWindowSR"]})
    assert card["args"] == model.config["args"]  # export_model records every constructor argument
    loaded = SlidingWindowSR.from_pretrained(tmp_path / "w.safetensors")
    assert loaded.card["name"] == "w" and torch.equal(outputs(loaded), outputs(model))


def test_saving_a_card_less_model_over_a_saved_one_drops_the_old_card(tmp_path):
    folder = SlidingWindowSR.from_pretrained("sr-x4").save_pretrained(tmp_path / "m")
    assert (folder / "card.json").exists()
    tiny("SlidingWindowSR").save_pretrained(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]


def test_bad_folders_configs_and_dtypes_are_one_line(tmp_path):
    folder = tiny("SlidingWindowSR").save_pretrained(tmp_path / "m")
    (tmp_path / "empty").mkdir()
    config = folder / "config.json"
    cases = [(lambda: from_pretrained(tmp_path / "empty"), "is not a saved model: a model folder holds config.json"),
             (lambda: from_pretrained(folder, dtype="int8"), "not a floating-point torch dtype"),
             (lambda: from_pretrained(folder, dtype="nonsense"), "not a floating-point torch dtype"),
             (lambda: tiny("SlidingWindowSR").save_pretrained(config), "it is a file; give a folder")]
    for load, pattern in cases:
        with pytest.raises(GenvidError, match=pattern) as e:
            load()
        assert "\n" not in str(e.value)
    good = config.read_text()
    for text, pattern in [('{"args": {}}', "names no architecture"), ("[1]", "is not a JSON object"),
                          ('{"arch": "Nope", "args": {}}', "unknown architecture 'Nope'"),
                          ('{"arch": "SlidingWindowSR", "args": {"colour": 1}}', "does not fit SlidingWindowSR"),
                          ('{"arch": "SlidingWindowSR", "args": {"channels": 8}}', "check that config.json beside it")]:
        config.write_text(text)
        with pytest.raises(GenvidError, match=pattern) as e:
            from_pretrained(folder)
        assert "\n" not in str(e.value)
    config.write_text(good)


def test_weights_are_never_unpickled(tmp_path):
    folder = tiny("SlidingWindowSR").save_pretrained(tmp_path / "m")

    class Boom:
        def __reduce__(self):
            return (os.mkdir, (str(tmp_path / "ran"),))

    (folder / "model.safetensors").write_bytes(pickle.dumps({"x": Boom()}))
    with pytest.raises(GenvidError, match="not a .safetensors file"):
        from_pretrained(folder)
    assert not (tmp_path / "ran").exists()


def test_constructor_arguments_must_be_named_and_json():
    with pytest.raises(TypeError, match=r"takes \*args"):
        class Varargs(PretrainedModel):  # noqa: F841
            def __init__(self, *sizes):
                super().__init__()

    class Sub(SlidingWindowSR):  # a subclass's own arguments are its config
        def __init__(self, width: int = 4, **extra):
            super().__init__(channels=width, blocks=1, **extra)

    assert Sub(radius=2).config == {"arch": "Sub", "args": {"width": 4, "radius": 2}}

    class Odd(SlidingWindowSR):
        def __init__(self, shape=(object(),)):
            super().__init__(channels=4, blocks=1)

    with pytest.raises(GenvidError, match="not all JSON values"):
        Odd().save_pretrained(Path("/nonexistent/never-made"))


def test_enhance_takes_a_saved_folder(clip_maker, tmp_path):
    """`genvid enhance --model FOLDER` (the command's first checks, the run, its resume key) gives the frames
    of the same model given as a module."""
    from genvid.cli.main import main
    from genvid.engine import Enhancer
    from genvid.io.decode import read_frames

    torch.set_num_threads(1)
    model = tiny("SRVGGNetCompact")
    folder = model.save_pretrained(tmp_path / "compact")
    src = clip_maker(frames=3, size="32x24")
    out = tmp_path / "out"
    assert main(["enhance", str(src), str(out), "--model", str(folder), "--quiet"]) == 0  # a folder of PNGs
    frames = read_frames(out)
    expected = list(Enhancer(model, device="cpu", precision="fp32")(read_frames(src)))
    assert len(frames) == 3 and all((a == b).all() for a, b in zip(frames, expected))


def test_models_never_import_train():
    """Every genvid.models module in a fresh interpreter leaves genvid.train unimported, and no import
    statement of theirs (in a function included) names it."""
    code = ("import pkgutil, importlib, sys, genvid.models as m\n"
            "names = [f'genvid.models.{i.name}' for i in pkgutil.iter_modules(m.__path__)]\n"
            "[importlib.import_module(n) for n in names]\n"
            "print(len(names), sorted(k for k in sys.modules if k == 'genvid.train' or k.startswith('genvid.train.')))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    count, imported = out.split(" ", 1)
    files = sorted(Path(genvid.models.__file__).parent.glob("*.py"))
    assert int(count) == len([f for f in files if f.name != "__init__.py"]) and imported.strip() == "[]"
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [("genvid.models." if node.level == 1 else "genvid." if node.level == 2 else "")
                         + (node.module or "") + "." + a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not [n for n in names if n.startswith("genvid.train")], f"{f.name}:{node.lineno} imports {names}"


def test_readme_example_runs(tmp_path, monkeypatch):
    """The README's "Python API: models that save and load themselves" example, as it is written."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Python API: models that save and load themselves"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    torch.set_num_threads(1)
    exec(compile(code, "README.md", "exec"), {})
    assert sorted(p.name for p in (tmp_path / "my-sr").iterdir()) == ["card.json", "config.json", "model.safetensors"]
