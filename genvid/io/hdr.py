"""High-dynamic-range sources: what genvid does with them (README, "HDR"), and the metadata it carries.

The policy, in full:
- PQ (transfer `smpte2084`) and HLG (`arib-std-b67`) sources are detected from their transfer tag.
- Frames are processed in their coded signal values: the PQ or HLG code values, decoded to 16-bit RGB
  with the source's matrix, neither linearised nor tone-mapped.  The models were trained on SDR video,
  so their output on HDR signal values is not validated; a warning says so on every HDR run.
- An 8-bit output of an HDR source is refused before any work, with the options that keep the depth:
  8 bits would band the PQ/HLG curve and lose its range.  PNG-folder outputs are 16-bit.
- The colour tags (primaries, transfer, matrix, range) are carried into every video output.  The
  mastering-display colour volume and content-light levels (read from the first decoded frame, where
  HEVC SEI or container side data put them) are written into the bitstream by libx265
  (`master-display`, `max-cll`); other encoders have no way to carry them, which a warning says.
  PNG files carry no colour tags, which a warning says too.
"""
from __future__ import annotations

import re
import sys

from ..errors import GenvidError
from .encode import is_high_depth, output_pix_fmt
from .ffmpeg import run_ffmpeg
from .probe import VideoInfo

_POINT = r"\(\s*([\d.]+)\s*[, ]\s*([\d.]+)\s*\)"


def warn(message: str) -> None:
    print(f"genvid: warning: {message}", file=sys.stderr, flush=True)


def mastering_metadata(info: VideoInfo) -> dict:
    """{'master_display': 'G(..)B(..)R(..)WP(..)L(max,min)', 'max_cll': 'cll,fall'} as x265 takes them; {} if none."""
    r = run_ffmpeg(["-v", "info", "-i", info.path, "-map", "0:V:0", "-frames:v", "1", "-vf", "showinfo",
                    "-f", "null", "-"])
    out = {}
    m = re.search(r"Mastering display metadata:([^\n]*)", r.stderr, re.IGNORECASE)
    if m:
        points = {name: re.search(rf"\b{name}{_POINT}", m.group(1)) for name in ("r", "g", "b", "wp")}
        lum = re.search(r"min_luminance=([\d.]+).*?max_luminance=([\d.]+)", m.group(1))
        if all(points.values()) and lum:
            def xy(p):  # chromaticity in units of 0.00002, as HEVC's SEI stores it
                return f"({round(float(p.group(1)) / 0.00002)},{round(float(p.group(2)) / 0.00002)})"
            out["master_display"] = (f"G{xy(points['g'])}B{xy(points['b'])}R{xy(points['r'])}WP{xy(points['wp'])}"
                                     f"L({round(float(lum.group(2)) * 10000)},{round(float(lum.group(1)) * 10000)})")
    m = re.search(r"MaxCLL=(\d+),\s*MaxFALL=(\d+)", r.stderr)
    if m:
        out["max_cll"] = f"{m.group(1)},{m.group(2)}"
    return out


def check_output_depth(info: VideoInfo, codec: str, pix_fmt: str | None, folder_out: bool) -> None:
    """Refuses an 8-bit output of an HDR source; warns when a deeper-than-8-bit SDR source goes to 8 bits."""
    if folder_out or info.bit_depth <= 8:
        return
    out = output_pix_fmt(codec, pix_fmt)
    if out is None and codec == "ffv1":  # ffmpeg picks a 16-bit format for 16-bit frames
        return
    if is_high_depth(out):
        return
    shown = out or "the encoder's default"
    if info.hdr:
        raise GenvidError(f"{info.path} is HDR ({info.hdr}, {info.bit_depth}-bit) and an 8-bit output ({shown}) "
                          f"would band and clip it; pass --codec libx265 --pix-fmt yuv420p10le, or --codec prores_ks, "
                          f"or --codec ffv1 --pix-fmt yuv444p12le")
    warn(f"{info.path} is {info.bit_depth}-bit and the output will be 8-bit ({shown}); pass --pix-fmt "
         f"yuv420p10le (or another 10/12/16-bit format) to keep the depth")


def hdr_encoder_args(info: VideoInfo, codec: str, folder_out: bool) -> list[str]:
    """Extra encoder options for an HDR source (x265's mastering metadata), with the policy's warnings."""
    if not info.hdr:
        return ["-x265-params", "log-level=error"] if codec == "libx265" else []
    warn(f"{info.path} is HDR ({info.hdr}): it is processed in its coded signal values, and the models were "
         f"trained on SDR video, so the result on HDR is not validated")
    if folder_out:
        warn(f"PNG frames carry no colour tags: the {info.hdr} transfer and BT.2020 tags of {info.path} "
             f"are not in the output folder")
        return []
    meta = mastering_metadata(info)
    if codec == "libx265":
        params = ["log-level=error"] + [f"{k.replace('_', '-')}={v}" for k, v in meta.items()]
        return ["-x265-params", ":".join(params)]
    if meta:
        warn(f"{info.path} has mastering-display/content-light metadata that only libx265 outputs carry; "
             f"the output keeps its colour tags without it")
    return []

