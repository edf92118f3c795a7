"""What the page shows about a video (from `probe`) and about the models (from their cards)."""
from __future__ import annotations

from ..errors import GenvidError
from ..io.probe import VideoInfo
from ..models.registry import list_models

SCORES = (("psnr_y", "PSNR-Y", "{:.2f}"), ("ssim_y", "SSIM-Y", "{:.3f}"), ("vmaf", "VMAF", "{:.1f}"))


def _rate(info: VideoInfo) -> str:
    fps = info.fps
    exact = str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator} ({float(fps):.3f})"
    return exact + " fps" + (", variable (each frame keeps its time)" if info.variable_frame_rate else "")


def _colour(info: VideoInfo) -> str:
    tags = [("range", info.color_range), ("matrix", info.color_space), ("primaries", info.color_primaries),
            ("transfer", info.color_transfer)]
    text = ", ".join(f"{k} {v}" for k, v in tags if v) or "untagged"
    return text + (f" (HDR {info.hdr})" if info.hdr else "")


def info_rows(info: VideoInfo) -> list[tuple[str, str]]:
    """(field, value) rows: size, exact rate, frames, duration, streams, bit depth, colour."""
    size = f"{info.width}x{info.height}"
    if info.sample_aspect:
        size += f" (pixel aspect {info.sample_aspect})"
    if info.rotation:
        size += f" (rotated {info.rotation} degrees)"
    duration = f"{info.duration:.3f} s" if info.duration is not None else "unknown"
    return [("size", size), ("rate", _rate(info)), ("frames", str(info.frame_count)), ("duration", duration),
            ("video", "image frames" if info.is_image_folder else f"{info.codec}, {info.pix_fmt}"),
            ("bit depth", f"{info.bit_depth} bits"), ("colour", _colour(info)),
            ("audio", ", ".join(info.audio) or "none"), ("subtitles", ", ".join(info.subtitles) or "none")]


def info_markdown(info: VideoInfo, shown_path: str) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in info_rows(info))
    return f"**{shown_path}**\n\n| property | value |\n| --- | --- |\n{rows}"


def _speed(card: dict) -> str | None:
    """'4.5 fps at 320x180 (CPU ...)' from a card's measured speed, if it has one."""
    speed = card.get("speed") or {}
    for key, value in speed.items():
        if isinstance(value, dict) and "end_to_end_fps" in value:
            size = key.split("_to_")[0]
            return f"{value['end_to_end_fps']:.1f} fps at {size} ({speed.get('device', 'measured')})"
    return None


def model_rows() -> list[dict]:
    """The enhancing models (synthesis models make videos from noise and are left out), with scores and cost."""
    rows = []
    for card in list_models():
        if card.get("task") == "synthesis":
            continue
        scores = (card.get("validation") or {}).get("model") or {}
        rows.append({"name": card.get("name") or "?", "task": card.get("task") or "?", "scale": card.get("scale", 1),
                     "scores": ", ".join(f"{label} {fmt.format(scores[k])}" for k, label, fmt in SCORES
                                         if isinstance(scores.get(k), (int, float))),
                     "speed": _speed(card), "gflops": card.get("gflops_640x360")})
    return rows


def model_label(row: dict) -> str:
    parts = [row["name"], f"{row['task']} x{row['scale']}"]
    if row["scores"]:
        parts.append(row["scores"])
    if row["speed"]:
        parts.append(row["speed"].split(" (")[0])
    elif row["gflops"]:
        parts.append(f"{row['gflops']} GFLOPs per 640x360 frame")
    return " · ".join(parts)


def models_markdown(rows: list[dict]) -> str:
    lines = ["| model | task | scale | validation scores | speed | GFLOPs (640x360 input) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['task']} | x{r['scale']} | {r['scores'] or '-'} | {r['speed'] or '-'} | "
                     f"{r['gflops'] if r['gflops'] is not None else '-'} |")
    return "\n".join(lines)


def chain_text(selected) -> str:
    """The models picked, in order, as `--model` takes them ("denoise,sr-x4")."""
    names = [selected] if isinstance(selected, str) else list(selected or [])
    names = [n.strip() for n in names if n and n.strip()]
    if not names:
        raise GenvidError("pick a model (or several, in the order they run)")
    return ",".join(names)


def parse_frames(text: str | None, count: int, default: int = 3) -> list[int]:
    """'0, 40, 99' -> those frames; empty -> `default` frames spread over the video."""
    text = (text or "").strip()
    if not text:
        n = min(default, count)
        return sorted({round((i + 1) * (count - 1) / (n + 1)) for i in range(n)}) if count > 1 else [0]
    try:
        frames = [int(v) for v in text.replace(";", ",").replace(" ", ",").split(",") if v]
    except ValueError:
        raise GenvidError(f"frames are numbers separated by commas, e.g. 0, 40, 99; got '{text}'") from None
    bad = [f for f in frames if not 0 <= f < count]
    if bad:
        raise GenvidError(f"frame {bad[0]} is outside the video: it has {count} frames (0..{count - 1})")
    if len(frames) > 8:
        raise GenvidError(f"preview at most 8 frames at a time, got {len(frames)}")
    return sorted(set(frames))
