"""evaluate_synthesis on constructed sets: every part present, FVD only with an I3D file, one pass each."""
import json

import pytest
import torch
from clip_patterns import moving_clips, save_standin_i3d

from genvid.errors import GenvidError
from genvid.metrics.fvd import ENV_VAR
from genvid.metrics.synthesis import evaluate_synthesis

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")


@pytest.fixture(autouse=True)
def no_i3d_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def sets(gen_speed, frames=9, n=48):
    real = moving_clips(n, frames=frames, size=32, speed=2, seed=1)
    return moving_clips(n, frames=frames, size=32, speed=gen_speed, seed=2), real


def test_without_an_i3d_file_fvd_is_absent_with_a_note():
    gen, real = sets(gen_speed=0)
    r = evaluate_synthesis(gen, real)
    assert "fvd" not in r and len(r["notes"]) == 1 and "FVD not computed" in r["notes"][0]
    assert "i3d_torchscript.pt" in r["notes"][0] and ENV_VAR in r["notes"][0]
    assert r["counts"] == {"generated": 48.0, "real": 48.0}
    assert r["motion"]["generated"]["flow"]["mean"] == pytest.approx(0.0, abs=1e-6)  # still clips
    assert r["motion"]["real"]["flow"]["mean"] == pytest.approx(2.0, abs=0.2)
    assert r["motion"]["w1"]["flow"] == pytest.approx(2.0, abs=0.2)
    assert r["diversity"]["generated"]["static_fraction"] == 1.0 and r["diversity"]["real"]["static_fraction"] == 0.0
    assert r["two_sample"]["accuracy"] > 0.8  # still against moving: easy to tell apart
    json.dumps(r)  # JSON-ready


@pytest.mark.slow  # one of the slowest tests of the suite (see the README, Tests)
def test_with_a_detector_file_fvd_is_reported_and_generators_are_read_once(tmp_path):
    gen, real = sets(gen_speed=2, n=16)
    path = save_standin_i3d(tmp_path / "standin.pt")  # plumbing only: not I3D
    r = evaluate_synthesis(iter([gen[:10], gen[10:]]), real, i3d=path)
    assert r["notes"] == [] and r["fvd"]["fvd"] >= 0 and len(r["fvd"]["i3d_sha256"]) == 64
    assert r["counts"]["generated"] == 16.0
    same = evaluate_synthesis(real, real, i3d=path)
    assert same["fvd"]["fvd"] == pytest.approx(0.0, abs=1e-6) and same["motion"]["w1"]["flow"] == 0.0
    assert same["diversity"]["generated"] == same["diversity"]["real"]


def test_errors_are_raised_before_work_where_possible(tmp_path, monkeypatch):
    gen, real = sets(gen_speed=1, frames=6, n=8)
    with pytest.raises(GenvidError, match="not found"):
        evaluate_synthesis(gen, real, i3d=tmp_path / "missing.pt")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.pt"))
    with pytest.raises(GenvidError, match="not found.*GENVID_I3D"):
        evaluate_synthesis(gen, real)
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(GenvidError, match="at least 9"):
        evaluate_synthesis(gen, real, i3d=save_standin_i3d(tmp_path / "standin.pt"))
    with pytest.raises(GenvidError, match="one size"):
        evaluate_synthesis(gen, moving_clips(8, frames=6, size=40))
    with pytest.raises(GenvidError, match=r"\(N, T, 3, H, W\)"):
        evaluate_synthesis(torch.rand(4, 6, 32, 32), real)
