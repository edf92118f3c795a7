"""What a video (or a folder of frames) holds, from the bundled ffmpeg alone (it has no ffprobe).

Stream details come from `ffmpeg -i`'s header; the frame count, the exact frame rate and every frame's
timestamp come from demuxing the video stream without decoding it (`-c copy -f framecrc`): one line per
packet with its presentation time and duration in the stream's time base, so 1001 ticks of 1/30000 s
give exactly 30000/1001 fps.  A video is variable-frame-rate when some frame lies more than 1 ms off
the grid of that rate (`i / fps` from the first frame); only then are the timestamps kept, sorted into
presentation order (the order the decoder gives frames in).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import GenvidError
from .ffmpeg import last_error_line, run_ffmpeg
from .image_folder import image_has_alpha, list_frames, read_image

NTSC_BASES = (24, 30, 48, 60, 120, 240)
HDR_TRANSFERS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}
NO_PTS = -(1 << 63)


@dataclass
class VideoInfo:
    path: str
    width: int
    height: int
    frame_count: int
    fps: Fraction
    duration: float | None = None
    codec: str = ""
    pix_fmt: str = "rgb24"
    bit_depth: int = 8
    rotation: int = 0
    color_range: str | None = None
    color_space: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    sample_aspect: Fraction | None = None  # pixel shape (SAR) when not square, e.g. 8/9 for NTSC DVD
    variable_frame_rate: bool = False
    time_base: Fraction | None = None  # of the video stream's timestamps
    frame_times: list[int] | None = None  # VFR only: each frame's presentation time in time_base, ascending
    end_time: int | None = None  # VFR only: when the last frame ends, in time_base
    start_time: float = 0.0  # the file's start, the earliest time of any stream (ffmpeg shifts it to 0)
    video_start: float = 0.0  # the first video frame's presentation time
    first_pts: int | None = None  # the same in time_base; None when the packets carry no timestamps
    audio: list[str] = field(default_factory=list)  # codec names, one per stream
    subtitles: list[str] = field(default_factory=list)
    alpha: bool = False  # the frames have an alpha channel (decoding drops it)
    is_image_folder: bool = False
    frame_names: list[str] = field(default_factory=list)  # image folders only

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["fps"] = f"{self.fps.numerator}/{self.fps.denominator}"
        d["sample_aspect"] = str(self.sample_aspect) if self.sample_aspect else None
        d["time_base"] = str(self.time_base) if self.time_base else None
        d.pop("frame_names")
        d.pop("frame_times")
        return d

    @property
    def hdr(self) -> str | None:
        """'PQ' or 'HLG' for a high-dynamic-range transfer, else None."""
        return HDR_TRANSFERS.get(self.color_transfer or "")


# "…, yuv420p(progressive), 8x8 [SAR 1:1 DAR 1:1], …": a size of its own (not inside a codec tag "0x31637661")
_SIZE = re.compile(r"(?:^|[\s,])(\d{1,5})x(\d{1,5})(?=[\s,\[]|$)")
_STREAM = re.compile(r"Stream #0:(\d+)(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio|Subtitle|Data|Attachment): (.*)")


def _has_alpha(pix_fmt: str, header: str) -> bool:
    """A pixel format with an alpha channel, or VP8/VP9 alpha (decoded as a side stream: `alpha_mode: 1`)."""
    return bool(re.match(r"(rgba|bgra|argb|abgr|yuva|gbrap|ya\d)", pix_fmt) or re.search(r"alpha_mode\s*:\s*1", header))


def _bit_depth(pix_fmt: str) -> int:
    m = re.search(r"(\d+)(le|be)$", pix_fmt)
    if m:
        n = int(m.group(1))
        return 16 if pix_fmt.startswith(("rgb48", "rgba64", "bgr48", "bgra64")) else n
    return 16 if pix_fmt.startswith("gray16") else 8


def _parse_colour(inside: str) -> dict:
    """'tv, bt709, progressive' or 'tv, bt2020nc/bt2020/smpte2084' -> range, space, primaries, transfer."""
    out = {}
    for token in [t.strip() for t in inside.split(",")]:
        if token in ("tv", "pc"):
            out["color_range"] = token
        elif "/" in token:
            out["color_space"], out["color_primaries"], out["color_transfer"] = token.split("/")[:3]
        elif re.match(r"^(bt|smpte|fcc|gbr|ycgco|iec|arib|linear|log|gamma|chroma)", token):
            out["color_space"] = out["color_primaries"] = out["color_transfer"] = token
    return out


def _snap_fps(value: float) -> Fraction:
    for base in NTSC_BASES:
        if abs(value - base * 1000 / 1001) < 0.005:
            return Fraction(base * 1000, 1001)
    return Fraction(value).limit_denominator(1001)


@dataclass
class _Packets:
    count: int
    fps: Fraction | None  # from the most common packet duration
    time_base: Fraction | None
    times: list[int]  # presentation times, ascending; empty when a packet has none
    last_duration: int


def _pick_rate(exact: Fraction | None, header: list[Fraction], times: list[int],
               time_base: Fraction | None) -> tuple[Fraction, bool]:
    """(frame rate, variable?): the first candidate rate that puts every frame within 1 ms of its time.

    Candidates: the most common packet duration (exact where the time base is fine enough and the header
    agrees within 0.02 fps; millisecond timestamps make it 1000/33 for 30000/1001), the header's
    average and base rates (NTSC rates snapped to n*1000/1001, which recovers 30000/1001 from millisecond
    timestamps), then the rate over the whole span (the header's can be off, e.g. behind an MP4 edit
    list).  No candidate fits: variable frame rate, with the first candidate as the nominal rate."""
    agrees = exact and exact.denominator <= 1001 and (not header or abs(float(exact - header[0])) <= 0.02)
    candidates = ([exact] if agrees else []) + header
    if len(times) > 1 and times[-1] > times[0]:
        candidates.append(_snap_fps(float((len(times) - 1) / ((times[-1] - times[0]) * time_base))))
    candidates += [exact] if exact else []
    candidates = [c for c in candidates if c > 0] or [Fraction(25)]
    if not times:
        return candidates[0], False
    fitting = next((c for c in candidates if not off_grid(times, time_base, c)), None)
    return (fitting, False) if fitting is not None else (candidates[0], True)


def _packets(path: str) -> _Packets:
    """The first video stream's packets: count, exact rate, sorted presentation times."""
    r = run_ffmpeg(["-v", "warning", "-i", path, "-map", "0:V:0", "-c", "copy", "-f", "framecrc", "-"])
    if r.returncode != 0:
        raise GenvidError(f"cannot read {path}: {last_error_line(r.stderr)}")
    tb, durations, pts, last_flags = None, [], [], 0
    for line in r.stdout.splitlines():
        if line.startswith("#tb 0:"):
            num, den = line.split(":", 1)[1].strip().split("/")
            tb = Fraction(int(num), int(den))
        elif line and not line.startswith("#"):
            fields = [f.strip() for f in line.split(",")]
            pts.append(int(fields[2]))
            durations.append(int(fields[3]))
            last_flags = next((int(f[2:], 16) for f in fields[6:] if f.startswith("F=")), 0)
    # the index lists more samples than the file holds (ffmpeg says "partial file" but exits 0), the file
    # ends inside an element, or the last packet was cut short (flagged corrupt): counting what is there
    # would silently lose frames
    if re.search(r"partial file|File ended prematurely", r.stderr) or last_flags & 0x2:
        raise GenvidError(f"{path} is truncated or corrupt: its data ends before its last video frame "
                          f"({len(durations)} packets readable); repair or re-export the file")
    if not durations or tb is None:
        return _Packets(len(durations), None, tb, [], 0)
    common, _ = Counter(durations).most_common(1)[0]
    order = sorted(range(len(pts)), key=pts.__getitem__)
    times = [] if NO_PTS in pts else [pts[i] for i in order]
    last = durations[order[-1]] if times else 0
    return _Packets(len(durations), (1 / (common * tb) if common > 0 else None), tb, times, last)


def off_grid(times: list[int], time_base: Fraction, fps: Fraction, tolerance: float = 1e-3) -> bool:
    """True when a frame is more than `tolerance` seconds away from first + i / fps (variable frame rate)."""
    if len(times) < 2:
        return False
    t = (np.asarray(times, dtype=np.int64) - times[0]).astype(np.float64) * float(time_base)
    return bool(np.abs(t - np.arange(len(times)) / float(fps)).max() > tolerance + 1e-9)


def probe(path: str | Path) -> VideoInfo:
    """Width, height, exact frame count and rate, pixel format, colour tags, audio and subtitle streams."""
    path = Path(path)
    if not path.exists():
        raise GenvidError(f"input not found: {path}; check the path")
    if path.is_dir():
        return _probe_folder(path)
    r = run_ffmpeg(["-i", str(path)])
    streams = [m.groups() for m in map(_STREAM.search, r.stderr.splitlines()) if m]
    if not streams:
        why = last_error_line(r.stderr)
        damaged = re.search(r"moov atom not found|\w* ?atom truncated|error reading header", r.stderr)
        if (damaged or "Input #0" in r.stderr) and "misdetection possible" not in r.stderr:
            # a container ffmpeg recognises, but its header or index (an MP4's moov) is cut off or missing
            reason = damaged.group(0).strip() if damaged else "no streams in its header"
            raise GenvidError(f"cannot read {path}: the file is truncated or corrupt ({reason}); "
                              f"repair or re-export the file")
        hint = "not a video file ffmpeg can read" if "Invalid data" in why or "moov" in why else why
        raise GenvidError(f"cannot read {path}: {hint}; give a video file or a folder of frames")
    video = [s for s in streams if s[1] == "Video" and "attached pic" not in s[2]]
    if not video:
        raise GenvidError(f"{path} has no video stream; give a file with video")
    desc = video[0][2]
    m = _SIZE.search(desc)
    if not m:
        raise GenvidError(f"cannot read the frame size of {path}")
    width, height = int(m.group(1)), int(m.group(2))
    parts = desc.split(", ")
    codec = parts[0].split(" ")[0]
    fmt = re.search(r"^(?:[^,(]|\([^)]*\))*,\s*([a-z0-9_]+)(?:\(([^)]*)\))?", desc)
    pix_fmt = fmt.group(1) if fmt else "unknown"
    colour = _parse_colour(fmt.group(2) or "") if fmt else {}
    rot = re.search(r"rotation of (-?[\d.]+) degrees", r.stderr)
    rotation = int(round(float(rot.group(1)))) % 360 if rot else 0
    sar = re.search(r"SAR (\d+):(\d+)", desc)
    sample_aspect = Fraction(int(sar.group(1)), int(sar.group(2))) if sar and int(sar.group(2)) else None
    if rotation in (90, 270):  # ffmpeg rotates frames upright on decode
        width, height = height, width
        sample_aspect = 1 / sample_aspect if sample_aspect else None
    if sample_aspect == 1:
        sample_aspect = None
    dur = re.search(r"Duration: (\d+):(\d+):([\d.]+)", r.stderr)
    duration = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3)) if dur else None
    start = re.search(r"Duration: .*?, start: (-?[\d.]+)", r.stderr)
    packets = _packets(str(path))
    count, exact = packets.count, packets.fps
    if count == 0:
        raise GenvidError(f"{path} has no video frames; the file is empty or truncated")
    header = [_snap_fps(float(m.group(1))) for m in (re.search(r"([\d.]+) fps", desc), re.search(r"([\d.]+) tbr", desc))
              if m and float(m.group(1)) > 0]
    tb, times = packets.time_base, packets.times
    fps, vfr = _pick_rate(exact, header, times, tb)
    return VideoInfo(str(path), width, height, count, fps, duration, codec, pix_fmt, _bit_depth(pix_fmt),
                     rotation, sample_aspect=sample_aspect, alpha=_has_alpha(pix_fmt, r.stderr),
                     variable_frame_rate=vfr, time_base=tb,
                     frame_times=times if vfr else None, end_time=times[-1] + packets.last_duration if vfr else None,
                     start_time=float(start.group(1)) if start else 0.0,
                     video_start=float(times[0] * tb) if times else 0.0, first_pts=times[0] if times else None,
                     audio=[s[2].split(" ")[0].rstrip(",") for s in streams if s[1] == "Audio"],
                     subtitles=[s[2].split(" ")[0].rstrip(",") for s in streams if s[1] == "Subtitle"],
                     **colour)


def _probe_folder(folder: Path, fps: Fraction = Fraction(25)) -> VideoInfo:
    frames = list_frames(folder)
    if not frames:
        raise GenvidError(f"no image frames in folder {folder}; expected .png/.jpg/.tif files")
    first = read_image(frames[0])
    h, w = first.shape[:2]
    depth = 16 if first.dtype.itemsize == 2 else 8
    return VideoInfo(str(folder), w, h, len(frames), fps, float(len(frames) / fps), "image", "rgb48le" if depth == 16
                     else "rgb24", depth, alpha=image_has_alpha(frames[0]), is_image_folder=True,
                     frame_names=[p.name for p in frames])
