"""Before and after of a few chosen frames, in seconds: the model runs on a small region only.

For each chosen frame the model (or chain) gets the frames its window needs around it (the sum of the
chain's radii on each side, clamped at the ends of the video, as in a full run), cropped to the
preview region plus a margin of context; the margin is cut off again, so inside the region the pixels
are those of a full run wherever the model sees no farther than the margin (32 input pixels at most).
Recurrent models, whose output depends on every earlier frame, and scene cuts inside the window make
the preview an approximation.  The images are laid out by `genvid compare`'s Composer: a split screen
(left half before, right half after) and side by side, optionally zoomed on the region's centre.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..enhance.api import pick_device, pick_precision
from ..engine import Enhancer, model_chain
from ..errors import GenvidError
from ..io.decode import FrameReader
from ..io.image_folder import write_image
from ..io.probe import VideoInfo, probe
from ..viz.compare import Composer
from ..viz.layout import Box

REGION = (192, 108)  # default preview region in input pixels: sr-x4 does ~5 fps at 320x180 on a 2-core CPU
RECURRENT_CONTEXT = 8  # frames before and after a previewed frame for recurrent and bidirectional models
MAX_MARGIN = 32


def parse_region(text: str | None, info: VideoInfo) -> Box:
    """'X,Y,W,H' in input pixels; 'full' for the whole frame; empty for a REGION-sized box at the centre."""
    text = (text or "").strip().lower()
    if text == "full":
        return Box(0, 0, info.width, info.height)
    if not text:
        w, h = min(REGION[0], info.width), min(REGION[1], info.height)
        return Box((info.width - w) // 2, (info.height - h) // 2, w, h)
    box = Box.parse(text)
    if box.x + box.w > info.width or box.y + box.h > info.height:
        raise GenvidError(f"region {text} reaches outside the {info.width}x{info.height} frame")
    return box


def _grow(box: Box, margin: int, info: VideoInfo) -> Box:
    x0, y0 = max(0, box.x - margin), max(0, box.y - margin)
    x1, y1 = min(info.width, box.x + box.w + margin), min(info.height, box.y + box.h + margin)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _crop(frame, box: Box):
    return frame[box.y:box.y + box.h, box.x:box.x + box.w]


def _read(info: VideoInfo, wanted: set[int], box: Box) -> dict:
    """The `box` crop of each wanted frame, decoding up to the last one."""
    crops = {}
    with FrameReader(info, high_bit_depth=False, max_frames=max(wanted) + 1) as reader:
        for n, frame in enumerate(reader):
            if n in wanted:
                crops[n] = _crop(frame, box).copy()
    if len(crops) != len(wanted):
        raise GenvidError(f"{info.path} ended before frame {max(wanted)}; the file may be damaged")
    return crops


def frames_of_context(net) -> int:
    """Frames on each side a model sees for one output: a window's radius; a recurrent or bidirectional
    model's context is its whole scene, of which a preview takes RECURRENT_CONTEXT frames (an approximation)."""
    if net.kind == "window":
        return int(getattr(net, "window_radius", 0))
    return RECURRENT_CONTEXT


def preview(source: str | Path, model: str, frames: list[int], out_dir: str | Path, *, region: Box | None = None,
            device: str = "auto", precision: str = "auto", tile: int = 0, method: str = "nearest", zoom: int = 1,
            sigma: float | None = None, strength: float = 1.0) -> dict:
    """Writes `frame<N>_split.png` and `frame<N>_side.png` for each frame into `out_dir`.

    Returns {"images": [(path, caption)], "seconds", "region": Box, "scale"}; `method` is how the input
    is enlarged to the output's size for "before" (nearest or bicubic); `zoom` enlarges the centre of
    the region in the side-by-side image."""
    info = probe(source)
    names = model_chain(model)
    if not frames:
        raise GenvidError("choose at least one frame to preview")
    if any(not 0 <= f < info.frame_count for f in frames):
        raise GenvidError(f"preview frames must lie in 0..{info.frame_count - 1}")
    if zoom < 1:
        raise GenvidError(f"zoom must be 1 or more, got {zoom}")
    region = region or parse_region(None, info)
    start = time.time()
    dev = pick_device(device)
    dtype = pick_precision(precision, dev)
    enhancer = Enhancer(names, dev, dtype, tile=tile, sigma=sigma, strength=strength, scene_threshold=None)
    nets = [net for _, net in enhancer.models]
    scale = enhancer.scale
    reach = sum(frames_of_context(n) for n in nets)
    outer = _grow(region, min(MAX_MARGIN, max(n.receptive_radius for n in nets)), info)
    last = info.frame_count - 1
    wanted = {j for f in frames for j in range(max(0, f - reach), min(last, f + reach) + 1)}
    crops = _read(info, wanted, outer)
    size = (region.w * scale, region.h * scale)
    labels = [f"before ({method})", f"after: {'+'.join(Path(n).stem for n in names)}"]
    split = Composer(size, labels, "split", method)
    centre = Box((size[0] - size[0] // zoom) // 2, (size[1] - size[1] // zoom) // 2, size[0] // zoom, size[1] // zoom)
    side = Composer(size, labels, "side-by-side", method, crop=centre if zoom > 1 else None, zoom=zoom)
    inner = Box((region.x - outer.x) * scale, (region.y - outer.y) * scale, *size)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = []
    for f in frames:
        first = max(0, f - reach)
        clip = [crops[j] for j in range(first, min(last, f + reach) + 1)]
        run = enhancer.run(iter(clip), start=f - first)
        after = _crop(next(run), inner)
        run.close()
        before = _crop(crops[f], Box(region.x - outer.x, region.y - outer.y, region.w, region.h))
        for kind, compose in (("split", split), ("side", side)):
            path = out_dir / f"frame{f:06d}_{kind}.png"
            write_image(path, compose([before, after]))
            images.append((str(path), f"frame {f}: {'split screen' if kind == 'split' else 'side by side'}"))
    return {"images": images, "seconds": round(time.time() - start, 3), "region": region, "scale": scale}
