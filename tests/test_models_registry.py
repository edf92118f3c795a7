"""genvid.models.registry: weights that do not fit their card, or are no weights, are one clear line."""
import pytest
import torch
from safetensors.torch import load_file, save_file

from genvid.errors import GenvidError
from genvid.models.registry import load_model


def test_weights_that_do_not_fit_their_card_name_a_few_tensors(tiny_model_dir):
    good = tiny_model_dir / "tiny-x4.safetensors"
    state = load_file(str(good))
    names = sorted(state)
    state[names[0]] = torch.zeros(5)
    for name in names[1:6]:  # five missing: three are named, then how many more
        del state[name]
    state["extra.weight"] = torch.zeros(2, 3)
    bad = tiny_model_dir / "bad.safetensors"
    save_file(state, str(bad))
    bad.with_suffix(".json").write_text(good.with_suffix(".json").read_text())
    with pytest.raises(GenvidError) as e:
        load_model("bad")
    message = str(e.value)
    assert f"wrong shapes: {names[0]} (expected " in message and ", got 5)" in message
    assert "missing: " in message and "and 2 more" in message
    assert sum(f"{name} (" in message for name in names[1:6]) == 3
    assert "unexpected: extra.weight (2x3)" in message and "check that bad.json is the card" in message
    assert "\n" not in message


def test_a_file_that_is_no_safetensors(tiny_model_dir):
    junk = tiny_model_dir / "junk.safetensors"
    junk.write_bytes(b"junk" * 10)
    junk.with_suffix(".json").write_text((tiny_model_dir / "tiny-x4.json").read_text())
    with pytest.raises(GenvidError, match="cannot load weights .*junk.safetensors: .*not a .safetensors file"):
        load_model(str(junk))
