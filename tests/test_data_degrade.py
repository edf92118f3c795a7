import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from genvid.data.clips import ClipDataset, StepSampler
from genvid.data.degrade import DEGRADATIONS, Bicubic, build_degradation
from genvid.data.degrade_noise import gaussian_sigma
from genvid.errors import GenvidError

# codecs and JPEG only where a test needs them: they cost a few tens of milliseconds a clip
NO_NOISE = {"first": {"noise": {"prob": 0}}, "second": {"noise": {"prob": 0}}}


def textured_clip(t: int = 5, h: int = 64, w: int = 64, seed: int = 0, moving: bool = True) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    big = np.asarray(Image.fromarray((rng.random((h // 4, w // 4 + t, 3)) * 255).astype(np.uint8))
                     .resize(((w + 4 * t), h), Image.BICUBIC))
    return [np.ascontiguousarray(big[:, 4 * i * moving:4 * i * moving + w]) for i in range(t)]


def run(spec: dict, scale: int, clip: list[np.ndarray], seed: int) -> list[np.ndarray]:
    return build_degradation(spec, scale)(clip, np.random.default_rng(seed))


def test_bicubic_is_still_the_bi_protocol():
    clip = textured_clip()
    d = build_degradation({"kind": "bicubic"}, 4)
    assert isinstance(d, Bicubic) and isinstance(build_degradation({}, 4), Bicubic)
    want = [np.asarray(Image.fromarray(f).resize((16, 16), Image.BICUBIC)) for f in clip]
    assert all(np.array_equal(a, b) for a, b in zip(d(clip, np.random.default_rng(0)), want, strict=True))
    assert d.sample(np.random.default_rng(0)) == {"stages": []}


@pytest.mark.parametrize("scale", [4, 1])
def test_second_order_is_deterministic_per_seed_and_shaped(scale):
    clip = textured_clip()
    a, b, c = (run({"kind": "second_order"}, scale, clip, s) for s in (7, 7, 8))
    assert len(a) == 5 and all(f.shape == (64 // scale, 64 // scale, 3) and f.dtype == np.uint8 for f in a)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_sample_then_apply_is_the_call_and_params_are_json():
    d = build_degradation({"kind": "second_order"}, 4)
    clip = textured_clip()
    p = d.sample(np.random.default_rng(3))
    assert json.loads(json.dumps(p)) == p
    names = [s["stage"] for s in p["stages"]]
    assert names[:2] == ["first.blur", "first.resize"] and "lr_resize" in names
    assert set(names[names.index("lr_resize") + 1:]) <= {"sinc", "second.compress"}
    assert all(np.array_equal(x, y) for x, y in zip(d.apply(clip, p), d(clip, np.random.default_rng(3)), strict=True))


def test_static_clip_without_noise_gives_equal_frames():
    """Same kernel, resize and JPEG quality for every frame: a still clip stays still."""
    still = textured_clip(moving=False)
    spec = {"kind": "second_order", "compress": {"jpeg_prob": 1.0}, **NO_NOISE}
    for seed in range(6):
        out = run(spec, 4, still, seed)
        assert all(np.array_equal(out[0], f) for f in out[1:])
    noisy = run({"kind": "second_order", "compress": {"jpeg_prob": 1.0}}, 4, still, 0)
    assert not np.array_equal(noisy[0], noisy[1])  # noise is drawn afresh for every frame


def test_every_frame_gets_the_same_parameters():
    """Frame i of a degraded clip is frame i degraded alone with the clip's parameters (no noise, no codec)."""
    d = build_degradation({"kind": "second_order", "compress": {"prob": 0}, **NO_NOISE,
                           "second": {"noise": {"prob": 0}, "compress": {"prob": 0}}}, 4)
    clip = textured_clip()
    for seed in range(4):
        p = d.sample(np.random.default_rng(seed))
        whole = d.apply(clip, p)
        assert all(np.array_equal(whole[i], d.apply([clip[i]], p)[0]) for i in range(len(clip)))


def test_video_codec_in_the_chain_keeps_the_clip_length():
    spec = {"kind": "second_order", "compress": {"jpeg_prob": 0.0}}
    d = build_degradation(spec, 4)
    for seed in range(3):
        p = d.sample(np.random.default_rng(seed))
        assert [s["format"] for s in p["stages"] if s["type"] == "compress"] == ["video", "video"]
        assert len(d.apply(textured_clip(), p)) == 5


def test_single_kinds_for_denoise_and_restore():
    grey = [np.full((64, 64, 3), 128, np.uint8)] * 4
    d = build_degradation({"kind": "gaussian_noise", "sigma": [25, 25]}, 1)
    p = d.sample(np.random.default_rng(0))
    out = np.stack(d.apply(grey, p)).astype(float)
    assert gaussian_sigma(p) == 25 and out.shape == (4, 64, 64, 3)
    assert out.std() == pytest.approx(25, rel=0.03)
    restore = build_degradation({"kind": "codec", "codecs": ["mpeg2video"], "crf": [40, 45],
                                 "blur": {"prob": 1.0, "sigma": [0.3, 1.0], "size": [7, 9]}}, 1)
    p = restore.sample(np.random.default_rng(0))
    assert [s["type"] for s in p["stages"]] == ["blur", "lr_resize", "compress"]
    assert restore.apply(textured_clip(), p)[0].shape == (64, 64, 3)
    assert run({"kind": "jpeg", "quality": [20, 30]}, 2, textured_clip(), 0)[0].shape == (32, 32, 3)
    assert run({"kind": "noise", "kinds": ["poisson"]}, 4, textured_clip(), 0)[0].shape == (16, 16, 3)


def test_chain_runs_stages_in_order_and_ends_at_lr():
    spec = {"kind": "chain", "stages": [
        {"type": "noise", "kinds": {"poisson_gaussian": 1}, "sigma": [0, 20], "peak": [20, 2000], "chroma_prob": 0.5},
        {"type": "compress", "prob": 1.0, "jpeg_prob": 0.0, "codecs": ["libx264"], "crf": [18, 30]},
        {"type": "noise", "kinds": ["gaussian"], "sigma": [2, 2]}]}
    d = build_degradation(spec, 2)
    p = d.sample(np.random.default_rng(1))
    assert [s["stage"] for s in p["stages"]] == ["0.noise", "1.compress", "2.noise", "3.lr_resize"]
    assert d.apply(textured_clip(), p)[0].shape == (32, 32, 3)
    with pytest.raises(GenvidError, match="before its last 'lr_resize'"):
        build_degradation({"kind": "chain", "stages": [{"type": "lr_resize"}, {"type": "resize"}]}, 2)
    with pytest.raises(GenvidError, match="needs a type"):
        build_degradation({"kind": "chain", "stages": [{"type": "warp"}]}, 2)


@pytest.mark.parametrize("spec, message", [
    ({"kind": "sharpen"}, "unknown degradation 'sharpen'; known: bicubic"),
    ({"kind": "bicubic", "sigma": 1}, r"unknown option\(s\) sigma for degradation 'bicubic'"),
    ({"kind": "gaussian_noise", "sigma": [0, 300]}, "sigma"),
    ({"kind": "second_order", "third": {}}, "third"),
    ({"kind": "second_order", "first": {"noise": {"sigmas": 1}}}, "second_order.first.noise"),
    ({"kind": "second_order", "compress": {"codecs": ["h264"]}}, "second_order.compress.codecs"),
    ({"kind": "codec", "scale": 2}, "data.scale"),
    ("bicubic", "mapping"),
])
def test_recipe_mistakes_are_one_line_errors(spec, message):
    with pytest.raises(GenvidError, match=message) as e:
        build_degradation(spec, 4)
    assert "\n" not in str(e.value)


def test_scale_must_be_a_whole_number():
    with pytest.raises(GenvidError, match="data.scale"):
        build_degradation({"kind": "bicubic"}, 0)


def test_frames_must_divide_by_the_scale():
    with pytest.raises(GenvidError, match="not a multiple of the scale 4"):
        run({"kind": "gaussian_noise"}, 4, [np.zeros((30, 32, 3), np.uint8)], 0)


def test_every_kind_builds_with_its_defaults():
    for kind in DEGRADATIONS:
        needs = {"chain": {"stages": [{"type": "blur"}]}, "one_of": {"choices": [{"kind": "bicubic"}]}}
        spec = {"kind": kind, **needs.get(kind, {})}
        out = run(spec, 2, textured_clip(t=2, h=32, w=32), 0)
        assert [f.shape for f in out] == [(16, 16, 3)] * 2


@pytest.fixture
def clip_folder(tmp_path):
    folder = tmp_path / "clip"
    folder.mkdir()
    for i, f in enumerate(textured_clip(t=7, h=72, w=80)):
        Image.fromarray(f).save(folder / f"im{i + 1}.png")
    return folder


def batches(dataset, workers: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    loader = DataLoader(dataset, batch_sampler=StepSampler(2, max_steps=3), num_workers=workers)
    return list(loader)


def test_clip_dataset_with_the_second_order_chain_in_workers(clip_folder):
    """A torch DataLoader with two workers gives the very batches a single process does."""
    degradation = build_degradation({"kind": "second_order", "compress": {"jpeg_prob": 0.5}}, 4)
    dataset = ClipDataset([str(clip_folder)], degradation, scale=4, clip_frames=5, patch=32, seed=3)
    lr, hr = dataset[0]
    assert lr.shape == (5, 3, 8, 8) and hr.shape == (5, 3, 32, 32) and lr.dtype == hr.dtype == torch.uint8
    single, parallel = batches(dataset, 0), batches(dataset, 2)
    assert len(single) == 3
    for (lr0, hr0), (lr2, hr2) in zip(single, parallel, strict=True):
        assert lr0.shape == (2, 5, 3, 8, 8)
        assert torch.equal(lr0, lr2) and torch.equal(hr0, hr2)
    assert not torch.equal(single[0][0][0], single[0][0][1])


def test_the_recipes_in_the_module_docstring_build_and_run():
    import textwrap

    import yaml

    from genvid.data import degrade

    blocks = [textwrap.dedent(b) for b in degrade.__doc__.split("\n\n") if b.startswith("    ")]
    specs = [yaml.safe_load(b) for b in blocks]
    specs = [s["data"]["degradation"] if "data" in s else s["degradation"] for s in specs]
    assert len(specs) == 4
    for spec in specs:
        assert run(spec, 1, textured_clip(t=3, h=32, w=32), 0)[0].shape == (32, 32, 3)


def test_one_of_draws_each_choice_by_weight_and_applies_it():
    spec = {"kind": "one_of", "choices": [{"kind": "gaussian_noise", "sigma": [10, 10], "weight": 3},
                                          {"kind": "jpeg", "quality": [20, 20]}]}
    d = build_degradation(spec, 1)
    draws = [d.sample(np.random.default_rng(s)) for s in range(200)]
    share = sum(p["choice"] == 0 for p in draws) / len(draws)
    assert 0.65 < share < 0.85
    clip = textured_clip(t=2, h=32, w=32)
    for p in (next(p for p in draws if p["choice"] == 0), next(p for p in draws if p["choice"] == 1)):
        out = d.apply(clip, p)
        assert out[0].shape == (32, 32, 3) and not np.array_equal(out[0], clip[0])
    assert gaussian_sigma(next(p for p in draws if p["choice"] == 0)) == pytest.approx(10)
    for bad in ({"kind": "one_of"}, {"kind": "one_of", "choices": [{"kind": "jpeg", "weight": -1}]},
                {"kind": "one_of", "choices": [{"kind": "nope"}]}):
        with pytest.raises(GenvidError):
            build_degradation(bad, 1)
