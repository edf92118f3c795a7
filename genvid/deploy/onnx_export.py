"""ONNX export of genvid's enhancement models (`genvid export MODEL OUT.onnx`), with dynamic frame sizes.

What is written, by model family (r: the window radius, s: the scale; N frames or windows at a time):

- sliding-window models (`SlidingWindowSR`: sr-x4, sr-x4-gan, sr-x4-real; `SlidingWindowRestore`: denoise,
  restore), `--form window` (default): OUT.onnx, frames (N, 2r+1, 3, H, W) -> out (N, 3, sH, sW), the
  centre frame's output.  `--form split`: OUT.encoder.onnx, frame (N, 3, H, W) -> feat, run once per frame,
  and OUT.decoder.onnx, feats (N, 2r+1, C, h, w) (the window's encoder outputs, stacked in time order) and
  center (N, 3, H, W) -> out, so that a player encodes each frame once however many windows it is in, as
  the streaming enhancer does.  A noise-map model (denoise) also takes noise_level (N,) in 8-bit units
  with the frame (split) or the window (window); a negative level means each frame's blind estimate.
- the recurrent model (`RecurrentFlowSR`): OUT.start.onnx, frame, ahead -> out, hidden for a scene's
  first frame, and OUT.step.onnx, frame, ahead, prev, hidden -> out, hidden_out for every later one
  (ahead: frame t+1, or frame t itself at a scene's last frame; prev: frame t-1; hidden: the previous
  graph's hidden output).  Two graphs, because at a scene's first frame the cell has no state and no flow
  to compute: each graph is then exact for its case, with no branch inside and no throw-away flow.
- single-frame models (`SRVGGNetCompact`, `RRDBNet`): OUT.onnx, frame (N, 3, H, W) -> out (N, 3, sH, sW).

Frames are float RGB in [0, 1], NCHW; with `fp16` every input and output is float16.  OUT.json (the
sidecar) lists the files with their inputs' and outputs' names, shapes and types, and the model's scale,
window radius and form, for whoever drives the files.

Exporter: `torch.onnx.export(dynamo=True)` with `dynamic_shapes` (torch.export, then ONNX) for every
family; the legacy TorchScript exporter is not used (it records Python arithmetic on sizes, such as
SpyNet's rounding up to a multiple of 32, as constants of the example).  torch.export traces with
symbolic sizes, but a Python `if` on a size is decided by the example frame, so the example is odd and not
a multiple of 32 and the general path is traced: SpyNet's resize to a multiple of 32 (an exact identity at
sizes that already are one), the replicate padding of odd sizes (SlidingWindowRestore) and the padding to
the unshuffle factor (RRDBNet x1, x2).  Each written graph is checked to keep its batch, height and width
symbolic.
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import GenvidError
from ..models.noise_level import MAD_TO_SIGMA, diagonal_band

FAMILY_FORMS = {"window": ("window", "split"), "recurrent": ("recurrent",), "frame": ("frame",)}
EXAMPLE_HW = (37, 45)  # the traced example: odd and not a multiple of 32 (see the module's docstring)
FORMAT = "genvid-onnx"
FORMAT_VERSION = 1


def model_family(model: nn.Module) -> str:
    """'window', 'recurrent' or 'frame'; a GenvidError for a model that has no exported form."""
    if getattr(model, "task", None) == "synthesis":
        raise GenvidError(f"{type(model).__name__} is a synthesis model (clips from noise); genvid export writes "
                          "enhancement models only: sliding-window, recurrent and single-frame ones")
    if getattr(model, "kind", None) == "recurrent":
        return "recurrent"
    if hasattr(model, "forward_frames"):  # single-frame networks (the engine runs them as windows of radius 0)
        return "frame"
    if hasattr(model, "encode") and hasattr(model, "decode") and hasattr(model, "window_radius"):
        return "window"
    raise GenvidError(f"cannot export {type(model).__name__}: not a sliding-window, recurrent or single-frame "
                      "enhancement model")


def blind_noise_level(frames: torch.Tensor) -> torch.Tensor:
    """`estimate_noise_level` (models/noise_level.py) with its median taken by sorting, as ONNX has no median
    operator: index (n - 1) // 2 of the sorted values is the lower middle value that torch.median returns."""
    hh = diagonal_band(frames.float() * 255.0).abs().flatten(2)
    mad = hh.sort(dim=-1).values[..., (hh.shape[-1] - 1) // 2]
    return (mad * MAD_TO_SIGMA).mean(dim=1)


def encode(model: nn.Module, frames: torch.Tensor, noise_level: torch.Tensor | None) -> torch.Tensor:
    """The model's per-frame features; a noise-map model's negative levels become blind estimates."""
    if not getattr(model, "noise_map", False):
        return model.encode(frames)
    level = torch.where(noise_level < 0, blind_noise_level(frames).to(noise_level.dtype), noise_level)
    return model.encode(frames, level)


class ModelGraph(nn.Module):
    """A module whose forward is one exported graph of `model`."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model


class WindowGraph(ModelGraph):
    """frames (N, 2r+1, 3, H, W) [, noise_level (N,)] -> the centre frame's output."""

    def forward(self, frames: torch.Tensor, noise_level: torch.Tensor | None = None) -> torch.Tensor:
        n, t = frames.shape[:2]
        level = None if noise_level is None else noise_level[:, None].expand(n, t).reshape(-1)
        feats = encode(self.model, frames.flatten(0, 1), level).unflatten(0, (n, t))
        return self.model.decode(list(feats.unbind(1)), frames[:, t // 2])


class EncoderGraph(ModelGraph):
    """frame (N, 3, H, W) [, noise_level (N,)] -> feat: run once per frame."""

    def forward(self, frame: torch.Tensor, noise_level: torch.Tensor | None = None) -> torch.Tensor:
        return encode(self.model, frame, noise_level)


class DecoderGraph(ModelGraph):
    """feats (N, 2r+1, C, h, w), center (N, 3, H, W) -> the centre frame's output."""

    def forward(self, feats: torch.Tensor, center: torch.Tensor) -> torch.Tensor:
        return self.model.decode(list(feats.unbind(1)), center)


class RecurrentStartGraph(ModelGraph):
    """frame, ahead -> out, hidden at a scene's first frame."""

    def forward(self, frame: torch.Tensor, ahead: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.step(frame, ahead, None, None)


class RecurrentStepGraph(ModelGraph):
    """frame, ahead, prev, hidden -> out, hidden_out at every later frame of a scene."""

    def forward(self, frame: torch.Tensor, ahead: torch.Tensor, prev: torch.Tensor,
                hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.step(frame, ahead, prev, hidden)


class FrameGraph(ModelGraph):
    """frame (N, 3, H, W) -> out (N, 3, sH, sW)."""

    def forward(self, frame: torch.Tensor) -> torch.Tensor:
        return self.model.forward_frames(frame)


@dataclass
class Graph:
    """One ONNX file to write: its name suffix, the module, example inputs by name, output names."""
    suffix: str
    module: nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: list[str]


def graphs(model: nn.Module, form: str, dtype: torch.dtype) -> list[Graph]:
    """The graphs of one form, with example inputs of `dtype` (batch 2, EXAMPLE_HW frames)."""
    h, w = EXAMPLE_HW
    frame = torch.rand(2, 3, h, w, dtype=dtype)
    level = {"noise_level": torch.full((2,), -1.0, dtype=dtype)} if getattr(model, "noise_map", False) else {}
    if form == "window":
        frames = torch.rand(2, 2 * model.window_radius + 1, 3, h, w, dtype=dtype)
        return [Graph("", WindowGraph(model), {"frames": frames, **level}, ["out"])]
    if form == "split":
        with torch.no_grad():
            feat = encode(model, frame, level.get("noise_level"))
        feats = feat[:, None].expand(-1, 2 * model.window_radius + 1, -1, -1, -1).contiguous()
        return [Graph(".encoder", EncoderGraph(model), {"frame": frame, **level}, ["feat"]),
                Graph(".decoder", DecoderGraph(model), {"feats": feats, "center": frame}, ["out"])]
    if form == "recurrent":
        with torch.no_grad():
            hidden = model.encode(frame)
        pair = {"frame": frame, "ahead": torch.rand_like(frame)}
        return [Graph(".start", RecurrentStartGraph(model), pair, ["out", "hidden"]),
                Graph(".step", RecurrentStepGraph(model), pair | {"prev": torch.rand_like(frame), "hidden": hidden},
                      ["out", "hidden_out"])]
    return [Graph("", FrameGraph(model), {"frame": frame}, ["out"])]


IMAGE_INPUTS = ("frames", "frame", "ahead", "prev", "center")  # their last two dimensions are named height, width
QUIET_LOGGERS = ("torch.onnx", "onnxscript")  # the exporter's progress and version-conversion notes


def _dynamic(x: torch.Tensor) -> dict:
    """Batch and, for an image or feature map, its last two dimensions: sized by torch.export (Dim.AUTO), which
    relates them as the code does (a decoder's features to its centre frame); `_name_dims` names them."""
    from torch.export import Dim

    return {0: Dim.AUTO} | ({x.dim() - 2: Dim.AUTO, x.dim() - 1: Dim.AUTO} if x.dim() > 2 else {})


def _name_dims(proto, inputs: dict[str, torch.Tensor], path: Path) -> None:
    """Gives torch.export's size symbols readable names (batch, height, width, feat_height, ...) in the inputs'
    and outputs' shapes, and refuses a graph in which a batch, height or width came out fixed."""
    import re

    shapes = {v.name: v.type.tensor_type.shape for v in list(proto.graph.input) + list(proto.graph.output)}
    names: dict[str, str] = {}
    for name in sorted(inputs, key=lambda n: n not in IMAGE_INPUTS):  # frames first: a feature map of the
        dims = shapes[name].dim  # frame's own size keeps the frame's names
        axes = {0: "batch"} | ({len(dims) - 2: "height", len(dims) - 1: "width"} if len(dims) > 2 else {})
        for axis, role in axes.items():
            if not dims[axis].dim_param:
                raise GenvidError(f"exporting {path.name}: dimension {axis} of input {name} came out fixed at "
                                  f"{dims[axis].dim_value}; the graph would only run at the example's size")
            if role != "batch" and name not in IMAGE_INPUTS:
                role = "feat_" + role
            names.setdefault(dims[axis].dim_param, role)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    for shape in shapes.values():
        for d in shape.dim:
            if d.dim_param:
                d.dim_param = pattern.sub(lambda m: names[m.group(1)], d.dim_param)


def _opset(proto) -> int:
    return next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))


def _export_graph(g: Graph, path: Path, opset: int | None):
    """One graph as a checked ONNX model (to be written at `path`: its name is used in messages)."""
    import logging

    import onnx

    loggers = [logging.getLogger(n) for n in QUIET_LOGGERS]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(g.module.eval(), tuple(g.inputs.values()), dynamo=True, verbose=False,
                                        input_names=list(g.inputs), output_names=g.outputs,
                                        dynamic_shapes=tuple(_dynamic(x) for x in g.inputs.values()),
                                        opset_version=opset, external_data=False)
    except Exception as e:  # torch.export and the ONNX translation raise many kinds
        raise GenvidError(f"exporting {path.name} failed: {str(e).strip().splitlines()[0]}") from e
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
    proto = program.model_proto
    written = _opset(proto)
    if opset is not None and written != opset:
        raise GenvidError(f"cannot write opset {opset}: the exporter writes opset 18 and later, and converting "
                          f"down to {opset} failed (the graph came out at {written}); give --opset {written} or more")
    _name_dims(proto, g.inputs, path)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _write_graph(proto, path: Path) -> dict:
    """Writes one graph atomically and returns its file, opset, inputs and outputs as the sidecar lists them."""
    import onnx

    tmp = path.with_name(f".{path.name}.tmp")
    onnx.save(proto, str(tmp))
    os.replace(tmp, path)

    def describe(values):
        return [{"name": v.name, "type": onnx.helper.tensor_dtype_to_np_dtype(v.type.tensor_type.elem_type).name,
                 "shape": [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]} for v in values]
    return {"file": path.name, "opset": _opset(proto), "inputs": describe(proto.graph.input),
            "outputs": describe(proto.graph.output)}


def usage(stem: str, form: str, noise_map: bool, radius: int) -> list[str]:
    """How to drive the files of one form (named from `stem`), for the sidecar."""
    lines = {
        "window": [f"out_t = {stem}.onnx(frames): frames t-{radius}..t+{radius} stacked on axis 1; frames beyond "
                   "either end of a scene are replaced by the end frame"],
        "split": [f"feat_t = {stem}.encoder.onnx(frame_t): once per frame, kept while a window needs it",
                  f"out_t = {stem}.decoder.onnx(feats, center): feats = feat_t-{radius}..feat_t+{radius} stacked "
                  "on axis 1, center = frame_t; features beyond either end of a scene are the end frame's"],
        "recurrent": [f"a scene's first frame: out_t, hidden = {stem}.start.onnx(frame_t, ahead)",
                      f"every later frame: out_t, hidden = {stem}.step.onnx(frame_t, ahead, prev=frame_t-1, hidden) "
                      "(hidden: the hidden or hidden_out output of the frame before)",
                      "ahead: frame_t+1, or frame_t itself at a scene's last frame"],
        "frame": [f"out_t = {stem}.onnx(frame_t), each frame on its own"],
    }[form]
    if noise_map:
        lines.append("noise_level: the noise std in 8-bit units (0-255), one per "
                     + ("frame" if form == "split" else "window") + "; a negative value uses each frame's blind "
                     "estimate (what genvid enhance does without --sigma)")
    return lines + ["frames: float RGB in [0, 1], NCHW, of dynamic height and width; outputs are not clamped "
                    "(genvid enhance clamps them to [0, 1] when it writes them)"]


def export_onnx(model: nn.Module, out: str | Path, *, form: str | None = None, fp16: bool = False,
                opset: int | None = None, overwrite: bool = False) -> dict:
    """Writes `model` as ONNX graph(s) named from OUT.onnx (see the module's docstring) and the sidecar OUT.json;
    returns the sidecar's content.  `form`: window or split for sliding-window models (default window)."""
    import copy

    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401  (torch's dynamo exporter translates with it)
    except ImportError as e:
        raise GenvidError(f"genvid export needs onnx and onnxscript ({e}); pip install 'genvid[onnx]'") from None
    out = Path(out)
    if out.suffix != ".onnx":
        raise GenvidError(f"the output must be a .onnx file name, got {out}")
    family = model_family(model)
    form = form or FAMILY_FORMS[family][0]
    if form not in FAMILY_FORMS[family]:
        raise GenvidError(f"--form {form} does not apply to {type(model).__name__} (a {family} model); "
                          f"its form{'s are' if len(FAMILY_FORMS[family]) > 1 else ' is'} "
                          f"{', '.join(FAMILY_FORMS[family])}")
    dtype = torch.float16 if fp16 else torch.float32
    model = copy.deepcopy(model).eval().to("cpu", dtype)
    if family == "recurrent" and model.freeze_flow:
        model.spynet.float()  # the model computes a frozen flow in float32 whatever its own precision
    todo = graphs(model, form, dtype)
    paths = [out.with_name(out.stem + g.suffix + ".onnx") for g in todo]
    sidecar = out.with_suffix(".json")
    existing = [p for p in [*paths, sidecar] if p.exists()]
    if existing and not overwrite:
        raise GenvidError(f"{existing[0]} exists; give --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    card = getattr(model, "card", {}) or {}
    radius, noise_map = int(getattr(model, "window_radius", 0)), bool(getattr(model, "noise_map", False))
    protos = [_export_graph(g, p, opset) for g, p in zip(todo, paths)]  # all built before any is written
    files = {(g.suffix[1:] or form): _write_graph(proto, p) for g, proto, p in zip(todo, protos, paths)}
    info = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": card.get("name", type(model).__name__),
            "arch": type(model).__name__, "task": card.get("task"), "family": family, "form": form,
            "scale": int(model.scale), "window_radius": radius,
            **({"lookahead": int(model.lookahead)} if family == "recurrent" else {}),
            "noise_map": noise_map, "precision": "fp16" if fp16 else "fp32",
            "opset": next(iter(files.values()))["opset"],
            "exporter": f"torch.onnx.export(dynamo=True, dynamic_shapes), torch {torch.__version__.split('+')[0]}",
            "files": files,
            "usage": usage(out.stem, form, noise_map, radius),
            **({"weights_sha256": card["sha256"]} if "sha256" in card else {})}
    tmp = sidecar.with_name(f".{sidecar.name}.tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(tmp, sidecar)
    return info
