"""The compression stage of a degradation: JPEG per frame, or a real video codec through ffmpeg.

JPEG is libjpeg through Pillow (4:2:0), every frame of a clip at the same quality.  Video codecs
round-trip the whole clip through one run of the bundled ffmpeg (its loopback decoder; an ffmpeg
older than 7.0 takes two runs joined by a NUT stream, with the same result): RGB frames go in on a pipe as rawvideo, are converted to yuv420p (BT.601, limited range; the
decoded frames are converted back the same way), encoded, decoded inside ffmpeg and come back on a pipe:
no files.  Frames with an odd side, or a side under 16 pixels, are padded by edge replication and
cropped back.  Encoders run single-threaded, so the bitstream, and so the result, depends only on the
parameters (and data-loader workers do not fight over cores).

Quality is an x264-style CRF (0 best .. 51 worst) for every codec.  mpeg4 (MPEG-4 part 2) and mpeg2video
have no CRF; they get a constant quantiser scale q (`-q:v`, 2 .. 31) with the same quantiser step:
H.264/H.265's step doubles every 6 QP while MPEG-2/4's is proportional to q, so
q = 2 * 2 ** ((crf - 18) / 6), rounded and clipped to [2, 31]: CRF 18 -> q 2, 23 -> 4, 30 -> 8, 36 -> 16,
42 and up -> 31, MPEG-2/4's worst.  Measured on three Vimeo-90K clips (5 frames, 224x128), PSNR in dB:

    CRF         18    23    28    33    38    42    45
    libx264   37.3  35.6  33.6  31.3  29.0  26.9  25.5
    libx265   38.1  36.5  34.6  32.3  30.0  27.9  26.2
    mpeg4     38.3  36.3  34.8  32.5  30.1  28.4  28.4
    mpeg2video 38.5 36.8  35.4  33.2  30.9  29.4  29.4

so the codecs match within about a dB up to CRF 38; above 41 MPEG-2/4 cannot get worse than q 31.
"""
from __future__ import annotations

import io
import subprocess
from typing import ClassVar

import numpy as np
import torch
from einops import rearrange
from PIL import Image

from ..errors import GenvidError
from ..io.ffmpeg import ffmpeg_exe, last_error_line
from .clips import to_tensor
from .degrade_options import (
    happens,
    pick,
    read_options,
    read_prob,
    read_range,
    read_weights,
    uniform_int,
)

VIDEO_CODECS = ("libx264", "libx265", "mpeg4", "mpeg2video")
QSCALE_CODECS = ("mpeg4", "mpeg2video")
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
TIMEOUT_S = 120
MIN_SIDE = 16  # x265 encodes nothing for frames smaller than this (x264 and MPEG-2/4 take any size)


def quantize(x: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) float in [0, 1] -> (T, H, W, 3) uint8, rounded."""
    return rearrange((x.clamp(0, 1) * 255).round().to(torch.uint8), "t c h w -> t h w c").numpy()


def crf_to_qscale(crf: float) -> int:
    return int(np.clip(round(2 * 2 ** ((crf - 18) / 6)), 2, 31))


def jpeg_round_trip(frames: np.ndarray, quality: int) -> np.ndarray:
    """(T, H, W, 3) uint8 through JPEG at `quality` (1..100), 4:2:0."""
    out = []
    for frame in frames:
        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="JPEG", quality=int(quality), subsampling="4:2:0")
        out.append(np.asarray(Image.open(buf).convert("RGB")))
    return np.stack(out)


def encoder_options(codec: str, crf: int, preset: str) -> list[str]:
    if codec == "libx264":
        return ["-crf", str(crf), "-preset", preset, "-threads", "1"]
    if codec == "libx265":
        return ["-crf", str(crf), "-preset", preset, "-x265-params", "pools=none:frame-threads=1:log-level=error"]
    return ["-q:v", str(crf_to_qscale(crf)), "-threads", "1"]


def codec_round_trip(frames: np.ndarray, codec: str, crf: int, preset: str = "medium") -> np.ndarray:
    """(T, H, W, 3) uint8 encoded with `codec` at `crf` (see the module note for mpeg4/mpeg2video) and
    decoded back; the same shape out, or a GenvidError."""
    if codec not in VIDEO_CODECS:
        raise GenvidError(f"unknown video codec '{codec}'; known: {', '.join(VIDEO_CODECS)}")
    t, h, w, _ = frames.shape
    ph, pw = max(h + h % 2, MIN_SIDE), max(w + w % 2, MIN_SIDE)
    if (ph, pw) != (h, w):
        frames = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    raw_in = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{pw}x{ph}", "-framerate", "25", "-i", "pipe:0"]
    encode = ["-map", "0:v", "-pix_fmt", "yuv420p", "-c:v", codec, *encoder_options(codec, crf, preset)]
    raw_out = ["-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-f", "rawvideo", "pipe:1"]
    base = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error"]
    data = np.ascontiguousarray(frames).tobytes()
    # output 0 encodes and throws the bitstream away; "-dec 0:0" decodes that stream for output 1
    done = subprocess.run(base + raw_in + encode + ["-f", "null", "-", "-dec", "0:0", "-filter_complex",
                                                    "[dec:0]format=rgb24[out]", "-map", "[out]"] + raw_out,
                          input=data, capture_output=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0 and b"Unrecognized option 'dec'" in done.stderr:
        # ffmpeg before 7.0 has no loopback decoder: encode into a NUT stream, then decode it (same frames)
        enc = subprocess.run(base + raw_in + encode + ["-f", "nut", "pipe:1"], input=data, capture_output=True,
                             timeout=TIMEOUT_S, check=False)
        done = enc if enc.returncode != 0 else subprocess.run(
            base + ["-f", "nut", "-i", "pipe:0"] + raw_out, input=enc.stdout, capture_output=True,
            timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        error = last_error_line(done.stderr.decode(errors="replace"))
        raise GenvidError(f"{codec} round trip at CRF {crf} failed: {error}")
    if len(done.stdout) != t * ph * pw * 3:
        raise GenvidError(f"{codec} at CRF {crf} gave back {len(done.stdout) / (ph * pw * 3):g} frames of "
                          f"{pw}x{ph} for {t}")
    out = rearrange(np.frombuffer(done.stdout, np.uint8), "(t h w c) -> t h w c", t=t, h=ph, w=pw)
    return out[:, :h, :w].copy()


class Compress:
    """Options: prob; jpeg_prob: chance of JPEG rather than a video codec; quality: JPEG quality range;
    codecs: video codec choices (list, or mapping to weights) from VIDEO_CODECS; crf: CRF range;
    presets: x264/x265 preset choices."""

    TYPE = "compress"
    DEFAULTS: ClassVar[dict] = {"prob": 1.0, "jpeg_prob": 0.5, "quality": [30, 95], "codecs": list(VIDEO_CODECS),
                                "crf": [18, 35], "presets": ["medium"]}

    def __init__(self, spec: dict | None = None, where: str = "compress"):
        o = read_options(spec, self.DEFAULTS, where)
        self.prob = read_prob(o["prob"], f"{where}.prob")
        self.jpeg_prob = read_prob(o["jpeg_prob"], f"{where}.jpeg_prob")
        self.quality = read_range(o["quality"], f"{where}.quality", 1, 100)
        self.codecs = read_weights(o["codecs"], f"{where}.codecs", VIDEO_CODECS)
        self.crf = read_range(o["crf"], f"{where}.crf", 0, 51)
        self.presets = read_weights(o["presets"], f"{where}.presets", PRESETS)

    def sample(self, rng: np.random.Generator) -> dict | None:
        if not happens(rng, self.prob):
            return None
        if happens(rng, self.jpeg_prob):
            return {"format": "jpeg", "quality": uniform_int(rng, self.quality)}
        p = {"format": "video", "codec": pick(rng, self.codecs), "crf": uniform_int(rng, self.crf)}
        if p["codec"] in QSCALE_CODECS:
            p["qscale"] = crf_to_qscale(p["crf"])
        else:
            p["preset"] = pick(rng, self.presets)
        return p

    def apply(self, x: torch.Tensor, p: dict, sizes=None) -> torch.Tensor:
        frames = quantize(x)
        if p["format"] == "jpeg":
            frames = jpeg_round_trip(frames, p["quality"])
        else:
            frames = codec_round_trip(frames, p["codec"], p["crf"], p.get("preset", "medium"))
        return to_tensor(frames)
