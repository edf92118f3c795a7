"""Folders of image frames: natural-sorted listing, reading and writing (8- and 16-bit)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def natural_key(name: str) -> list:
    """'frame10.png' sorts after 'frame9.png'."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_frames(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    return sorted(files, key=lambda p: natural_key(p.name))


def _png_bit_depth_and_colour(path: str | Path) -> tuple[int, int] | None:
    """(bit depth, colour type) from a PNG's IHDR, or None for a file that is not a PNG."""
    with open(path, "rb") as f:
        head = f.read(26)
    if len(head) < 26 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return head[24], head[25]


def _read_png16_colour(path: str | Path) -> np.ndarray:
    """A 16-bit RGB(A) or grey+alpha PNG as (H, W, 3) uint16, through the bundled ffmpeg.

    Pillow reads these as 8-bit "RGB"/"LA" (dropping the low byte); the file goes in on stdin so that no
    character of its name ('%', ':') is taken for an image-sequence pattern or a protocol."""
    import subprocess

    from ..errors import GenvidError
    from .ffmpeg import ffmpeg_exe, last_error_line

    data = Path(path).read_bytes()
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    r = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-f", "png_pipe", "-i", "pipe:0",
                        "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb48le", "pipe:1"],
                       input=data, capture_output=True)
    if r.returncode != 0 or len(r.stdout) != w * h * 6:
        raise GenvidError(f"cannot read the 16-bit PNG {path}: "
                          f"{last_error_line(r.stderr.decode('utf-8', 'replace'))}; re-export the frame")
    return np.frombuffer(r.stdout, dtype="<u2").reshape(h, w, 3).astype(np.uint16)


def read_image(path: str | Path) -> np.ndarray:
    """An RGB frame as (H, W, 3) uint8, or uint16 for 16-bit images; GenvidError for a file that is no image."""
    png = _png_bit_depth_and_colour(path)
    if png is not None and png[0] == 16 and png[1] in (2, 4, 6):
        return _read_png16_colour(path)
    try:
        with Image.open(path) as im:
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                return np.repeat(np.asarray(im, dtype=np.uint16)[..., None], 3, axis=2)
            return np.array(im.convert("RGB"))  # writable, so torch can wrap it without a copy
    except (OSError, ValueError, SyntaxError) as e:  # Pillow's errors for junk, truncated or unsupported files
        from ..errors import GenvidError

        why = "not an image Pillow can read" if isinstance(e, UnidentifiedImageError) else str(e).rstrip(".")
        raise GenvidError(f"cannot read the frame {path}: {why}; re-export it or remove it from the folder") from None


def image_has_alpha(path: str | Path) -> bool:
    """True for an image with an alpha channel or a transparent colour (which read_image drops)."""
    png = _png_bit_depth_and_colour(path)
    if png is not None and png[1] in (4, 6):  # grey + alpha, RGBA
        return True
    try:
        with Image.open(path) as im:
            return im.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in im.info
    except (OSError, ValueError, SyntaxError):
        return False


def write_image(path: str | Path, frame: np.ndarray) -> None:
    """Writes (H, W, 3) uint8 as 8-bit RGB, or uint16 as 16-bit RGB PNG."""
    if frame.dtype == np.uint16:
        _write_png16(Path(path), frame)
    else:
        Image.fromarray(frame).save(path)


def _write_png16(path: Path, frame: np.ndarray) -> None:
    # Pillow cannot write 16-bit RGB; a PNG is a zlib stream of big-endian rows with a filter byte each.
    import struct
    import zlib

    h, w, _ = frame.shape
    raw = np.zeros((h, 1 + w * 6), dtype=np.uint8)
    raw[:, 1:] = frame.astype(">u2").reshape(h, -1).view(np.uint8)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
                     + chunk(b"IEND", b""))
