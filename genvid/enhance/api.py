"""`genvid.enhance(input, output, ...)`: decode -> model(s) -> encode -> mux, streamed, written atomically.

A chain of models ("denoise,sr-x4") runs in one decode and one encode: each model's streamer pulls the
frames the one before it yields, as they are produced, so memory stays a few frames per model whatever
the length.  Between models frames are rounded to the source's depth (8 bits, or 16 for deeper sources),
exactly as if each model had written a lossless file for the next to read.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..errors import GenvidError
from ..io.decode import FrameReader
from ..io.encode import DEFAULT_CODEC, DEFAULT_CRF, HIGH_DEPTH_PIX_FMTS, FrameWriter
from ..io.mux import check_streams_fit, mux
from ..io.probe import probe
from ..models.registry import DEFAULT_MODEL, load_model
from .stream import Streamer
from .window import WindowModel

PRECISIONS = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise GenvidError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError:
        raise GenvidError(f"unknown device '{device}'; use auto, cpu or cuda") from None


def pick_precision(precision: str, device: torch.device) -> torch.dtype | None:
    if precision == "auto":
        return torch.float16 if device.type == "cuda" else None
    if precision not in PRECISIONS:
        raise GenvidError(f"unknown precision '{precision}'; use auto, fp32, fp16 or bf16")
    if precision == "fp16" and device.type == "cpu":
        raise GenvidError("fp16 is not supported on the CPU; use --precision bf16 or fp32 there (fp16 is for GPUs)")
    return PRECISIONS[precision]


def is_folder_output(output: Path) -> bool:
    return output.is_dir() or output.suffix == "" or str(output).endswith(os.sep)


def _check_output(src: Path, output: Path, overwrite: bool) -> None:
    if output.resolve() == src.resolve():
        raise GenvidError(f"output {output} is the input; choose another output path")
    if output.exists() and not overwrite:
        raise GenvidError(f"output {output} exists; pass --overwrite to replace it")
    parent = output.resolve().parent
    if not parent.is_dir():
        raise GenvidError(f"cannot write {output}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise GenvidError(f"cannot write {output}: folder {parent} is not writable")


def model_chain(model) -> list[str]:
    """'denoise,sr-x4' or ['denoise', 'sr-x4'] -> the model names (or paths) in order; an existing file
    whose name has a comma is one model."""
    if isinstance(model, (list, tuple)):
        names = [str(m).strip() for m in model]
    else:
        model = str(model)
        names = [model] if Path(model).exists() else [m.strip() for m in model.split(",")]
    if not names or not all(names):
        raise GenvidError(f"--model '{model}' names an empty model; give names separated by commas, e.g. denoise,sr-x4")
    return names


def load_chain(names: list[str], device: torch.device, sigma: float | None, strength: float) -> list[WindowModel]:
    """The models of a chain as streaming views; `sigma` and `strength` go to those with a noise-level input."""
    nets = [WindowModel(load_model(name, device), sigma=sigma, strength=strength) for name in names]
    if (sigma is not None or strength != 1.0) and not any(n.noise_map for n in nets):
        raise GenvidError(f"--sigma and --strength set the noise level of a denoiser; {', '.join(names)} "
                          "has no noise-level input (use e.g. --model denoise)")
    return nets


def enhance(input, output, model: str = DEFAULT_MODEL, *, device: str = "auto", precision: str = "auto",
            tile: int = 0, tile_overlap: int | None = None, codec: str | None = None, crf: int | None = None,
            pix_fmt: str | None = None, fps: str | None = None, sigma: float | None = None, strength: float = 1.0,
            overwrite: bool = False, quiet: bool = False, progress=None) -> dict:
    """Enhances a video file or frame folder into `output` (a video file, or a folder of PNGs).

    `model` is one model or a chain applied in order ("denoise,sr-x4", or a list); `tile`, `tile_overlap`
    and `precision` apply to each model, tiles in that model's input pixels.  `sigma` (8-bit units) fixes
    a denoiser's noise level, which it otherwise estimates from each frame; `strength` multiplies it.
    Keeps every frame, the exact frame rate, audio and subtitles; never holds more than a few frames;
    writes to a temporary path beside `output` and renames it into place only when complete.
    `progress(done, total)`, if given, is called after every frame.  Returns {"output", "frames", "seconds", "fps"}.
    """
    src, output = Path(input), Path(output)
    info = probe(src)
    if fps is not None:
        try:
            info.fps = Fraction(fps)
        except (ValueError, ZeroDivisionError):
            raise GenvidError(f"--fps must be a number or a ratio like 30000/1001, got '{fps}'") from None
    _check_output(src, output, overwrite)
    folder_out = is_folder_output(output)
    if not folder_out:
        check_streams_fit(info, output)
    dev = pick_device(device)
    dtype = pick_precision(precision, dev)
    nets = load_chain(model_chain(model), dev, sigma, strength)
    s = math.prod(n.scale for n in nets)
    high = (pix_fmt or "").endswith(HIGH_DEPTH_PIX_FMTS) or (folder_out and info.bit_depth > 8)

    tmp = output.with_name(f".{output.name}.genvid-partial{'' if folder_out else output.suffix}")
    final_tmp = output.with_name(f".{output.name}.genvid-muxed{output.suffix}")
    _remove(tmp), _remove(final_tmp)
    names = info.frame_names if info.is_image_folder else None
    writer = None
    start = time.time()
    try:
        with FrameReader(info, high_bit_depth=True) as reader:
            writer = FrameWriter(tmp, info.width * s, info.height * s, info.fps, folder=folder_out, names=names,
                                 codec=codec or DEFAULT_CODEC, crf=DEFAULT_CRF if crf is None else crf,
                                 pix_fmt=pix_fmt, source=info, high_bit_depth=high)
            frames = reader
            for i, net in enumerate(nets):  # generators: model i+1 pulls model i's frames as they come
                depth = high if i == len(nets) - 1 else reader.dtype == np.uint16
                frames = Streamer(net, dev, dtype, tile=tile, overlap=tile_overlap, high_bit_depth=depth).run(frames)
            bar = tqdm(total=info.frame_count, unit="frame", disable=quiet, file=sys.stderr, dynamic_ncols=True,
                       desc=src.name[:30])
            for frame in frames:
                writer.write(frame)
                bar.update(1)
                if progress is not None:
                    progress(bar.n, info.frame_count)
            bar.close()
            writer.finish()
        if writer.frames_written != info.frame_count:
            raise GenvidError(f"wrote {writer.frames_written} frames but {src} has {info.frame_count}; output discarded")
        if folder_out:
            _remove(output)
            os.replace(tmp, output)
        else:
            mux(tmp, info, final_tmp)
            os.replace(final_tmp, output)
    except BaseException:
        if writer is not None:
            writer.abort()
        _remove(tmp), _remove(final_tmp)
        raise
    seconds = time.time() - start
    return {"output": str(output), "frames": info.frame_count, "seconds": round(seconds, 3),
            "fps": round(info.frame_count / seconds, 3) if seconds else None}


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
