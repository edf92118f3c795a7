"""`genvid synth` and `genvid.synthesize`: clips from a synthesis model, as tensors or mp4 files.

The same (model, num, frames, seed, class, first frame) gives the same clips on every device: all random
codes are drawn on the CPU from a generator seeded with `seed` (see VideoGenerator.sample).  A
class-conditional model given no class makes clip i of class i mod num_classes.
"""
from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange

from .errors import GenvidError
from .io.encode import FrameWriter
from .io.image_folder import read_image
from .models.registry import load_model


def load_synthesis_model(model, device="cpu"):
    """A synthesis model by name or path (or an already built one) -> the module, with a clear error otherwise."""
    if isinstance(model, torch.nn.Module):
        net = model.to(device).eval()
    else:
        net = load_model(str(model), device)
    task = (getattr(net, "card", None) or {}).get("task", getattr(net, "task", None))
    if task != "synthesis":
        raise GenvidError(f"model '{model}' is a {task or 'non-synthesis'} model, not a synthesis model; "
                          "list them with `genvid models` (task synthesis)")
    return net


def class_index(net, label) -> int:
    """An int or a class name of the model's card -> the class index, with a clear error otherwise."""
    names = (getattr(net, "card", None) or {}).get("class_names") or []
    if isinstance(label, str) and not label.lstrip("-").isdigit():
        if label not in names:
            raise GenvidError(f"unknown class '{label}'; this model's classes: "
                              f"{', '.join(names) or f'0 .. {net.num_classes - 1}'}")
        return names.index(label)
    index = int(label)
    if not 0 <= index < net.num_classes:
        raise GenvidError(f"class {index} is out of range; this model has classes 0 .. {net.num_classes - 1}"
                          + (f" ({', '.join(names)})" if names else ""))
    return index


def read_first_frame(path, resolution: int) -> torch.Tensor:
    """An image file -> (3, S, S) in [0, 1]: centre-cropped to a square and resized to the model's size."""
    try:
        image = read_image(path)
    except Exception as e:  # PIL raises several kinds for missing or broken files
        raise GenvidError(f"cannot read first frame {path}: {str(e).splitlines()[0]}; "
                          "give a PNG or JPEG image") from None
    x = torch.from_numpy(image.astype(np.float32) / (65535.0 if image.dtype == np.uint16 else 255.0))
    x = rearrange(x, "h w c -> 1 c h w")
    h, w = x.shape[-2:]
    side = min(h, w)
    x = x[..., (h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    return F.interpolate(x, size=(resolution, resolution), mode="bilinear", antialias=True,
                         align_corners=False)[0].clamp(0, 1)


def synthesize(model, num: int, frames: int = 16, seed: int = 0, class_label=None, first_frame=None,
               device: str = "cpu") -> torch.Tensor:
    """`num` clips of `frames` frames as (num, T, 3, S, S) float in [0, 1] on the CPU.

    model: a name, a .safetensors path or a VideoGenerator; class_label: an int or a class name (default:
    clip i gets class i mod num_classes); first_frame: an image path or a (3, H, W) tensor in [0, 1]."""
    net = load_synthesis_model(model, device)
    if num < 1 or frames < 1:
        raise GenvidError(f"--num and --frames must be 1 or more, got {num} and {frames}")
    labels = None
    if class_label is not None:
        if not net.num_classes:
            raise GenvidError(f"model '{model}' is not class-conditional; drop --class")
        labels = torch.full((num,), class_index(net, class_label), dtype=torch.long)
    elif net.num_classes:
        labels = torch.arange(num) % net.num_classes
    if first_frame is not None:
        if not net.image_cond:
            raise GenvidError(f"model '{model}' does not animate a given frame (no image conditioning); "
                              "drop --first-frame")
        if not isinstance(first_frame, torch.Tensor):
            first_frame = read_first_frame(first_frame, net.resolution)
    elif net.image_cond:
        raise GenvidError(f"model '{model}' animates a given frame; pass --first-frame IMAGE")
    return net.sample(num, frames, seed=seed, labels=labels, first_frame=first_frame).cpu()


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) in [0, 1] -> (T, H, W, 3) uint8."""
    return (rearrange(frames.clamp(0, 1), "t c h w -> t h w c") * 255).round().to(torch.uint8).numpy()


def grid_clip(clips: torch.Tensor, pad: int = 2) -> torch.Tensor:
    """(N, T, 3, S, S) -> (T, 3, H, W): the clips tiled in a near-square grid with `pad` black pixels between."""
    n = len(clips)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    padded = F.pad(clips, (0, pad, 0, pad))
    blank = torch.zeros((rows * cols - n, *padded.shape[1:]), dtype=padded.dtype)
    tiles = torch.cat([padded, blank])
    return rearrange(tiles, "(r k) t c h w -> t c (r h) (k w)", r=rows, k=cols)


def write_clip(frames: torch.Tensor, path: Path, fps: Fraction) -> Path:
    frames = to_uint8(frames)
    h, w = frames.shape[1:3]
    writer = FrameWriter(path, w + w % 2, h + h % 2, fps)  # x264's yuv420p needs even sizes
    try:
        for f in frames:
            writer.write(np.pad(f, ((0, h % 2), (0, w % 2), (0, 0))))
    except BaseException:
        writer.abort()
        raise
    return writer.finish()


def synthesize_to_folder(model, outdir, num: int = 4, frames: int = 16, seed: int = 0, class_label=None,
                         first_frame=None, grid: bool = False, fps: float = 8, device: str = "cpu") -> list[Path]:
    """Writes OUTDIR/clip_000.mp4 ... (and OUTDIR/grid.mp4 with `grid`) with the bundled ffmpeg; the paths."""
    clips = synthesize(model, num, frames, seed, class_label, first_frame, device)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    paths = [write_clip(c, outdir / f"clip_{i:03d}.mp4", rate) for i, c in enumerate(clips)]
    if grid:
        paths.append(write_clip(grid_clip(clips), outdir / "grid.mp4", rate))
    return paths
