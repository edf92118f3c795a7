"""Where an output may be written, and how a frame folder takes the place of one genvid wrote before.

genvid never deletes or overwrites what it did not write.  A file output replaces an existing file only
with `overwrite`, and never the input.  A frame-folder output is a new folder, or an existing one that is
empty or that genvid wrote: every frame folder it writes holds `.genvid-frames.json`, the list of the
frame files it put there, and `overwrite` removes only those files (others in the folder stay; a new
frame may not replace one of them).  A folder that holds the input, or any other non-empty folder, is
refused, `overwrite` or not.  Missing parent folders of the output are created, and removed again when
the run fails before leaving anything in them.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import GenvidError
from ..io.probe import VideoInfo
from .workdir import fsync_folder, write_atomically

MARKER = ".genvid-frames.json"


def output_path(output) -> Path:
    """`output` as a Path that has a name ('.' and '..' become the folders they name)."""
    path = Path(output)
    if path.name in ("", ".", ".."):
        path = Path(os.path.abspath(path))
    if path.name == "":
        raise GenvidError(f"output {output} is the root folder; give a new folder or a video file name")
    return path


def is_folder_output(output: Path) -> bool:
    return output.is_dir() or output.suffix == "" or str(output).endswith(os.sep)


def same_file(a: Path, b: Path) -> bool:
    """The same file or folder, also through symbolic or hard links."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def frame_file_name(info: VideoInfo, index: int) -> str:
    """The PNG file of output frame `index`: the input frame's name, or 00000001.png, ... for a video."""
    return (Path(info.frame_names[index]).stem + ".png") if info.is_image_folder else f"{index + 1:08d}.png"


def _is_plain_name(name) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..", MARKER) and Path(name).name == name


def read_marker(folder: Path) -> list[str] | None:
    """The frame files genvid wrote into `folder` (plain names only), or None when it holds no marker."""
    try:
        data = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    frames = data.get("frames") if isinstance(data, dict) else None
    return [n for n in frames if _is_plain_name(n)] if isinstance(frames, list) else None


def write_marker(folder: Path, names: list[str]) -> None:
    write_atomically(folder / MARKER, json.dumps({"written_by": "genvid", "frames": sorted(names)}, indent=0) + "\n")


def check_output_path(src: Path, output: Path, overwrite: bool, frames: list[str] | None) -> None:
    """Refuses an output that would replace the input or anything genvid did not write; `frames` are the
    file names a frame-folder output will hold (None for a video file output)."""
    if same_file(src, output):
        raise GenvidError(f"output {output} is the input; choose another output path")
    if frames is not None:
        if src.resolve().is_relative_to(output.resolve()):
            raise GenvidError(f"output folder {output} holds the input {src}; choose a folder outside it")
        if output.exists() and not output.is_dir():
            raise GenvidError(f"output {output} is a file, and a name without an extension asks for a folder of "
                              f"PNG frames; choose another name (a video output needs an extension such as .mp4)")
    if frames is not None and output.is_dir():
        _check_frame_folder(output, frames)
    if output.exists() and not overwrite:
        raise GenvidError(f"output {output} exists; pass --overwrite to replace it")
    folder = output.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise GenvidError(f"cannot write {output}: {folder} is a file, not a folder; choose another output path")
    if not os.access(folder, os.W_OK):
        raise GenvidError(f"cannot write {output}: folder {folder} is not writable")


def _check_frame_folder(output: Path, frames: list[str]) -> None:
    present = set(os.listdir(output))
    if not present:
        return
    ours = read_marker(output)
    if ours is None:
        raise GenvidError(f"output folder {output} is not empty and genvid did not write it (it has no {MARKER}); "
                          f"choose a new or empty folder")
    clash = sorted((present - set(ours) - {MARKER}) & set(frames))
    if clash:
        raise GenvidError(f"output folder {output} holds {clash[0]}, which genvid did not write and a new frame "
                          f"would replace; move it or choose another folder")


def install_frames(joined: Path, output: Path) -> None:
    """Puts the frame folder `joined` (holding its marker) at `output`: renamed there when `output` does not
    exist, else moved into it, where only the frames listed by the marker already there are removed.
    Safe to repeat after a crash at any point: every name is claimed by the marker before any file moves."""
    if not output.exists():
        os.replace(joined, output)
        fsync_folder(output.parent)
        return
    new = read_marker(joined)
    if new is None:  # an earlier attempt had finished moving: the marker moves last
        return
    old = read_marker(output) or []
    write_marker(output, sorted(set(old) | set(new)))
    for name in set(old) - set(new):
        stale = output / name
        if stale.is_symlink() or stale.is_file():
            stale.unlink()
    for name in new:
        if (joined / name).exists():
            os.replace(joined / name, output / name)
    os.replace(joined / MARKER, output / MARKER)
    fsync_folder(output)


def make_parents(output: Path) -> list[Path]:
    """Creates the missing folders above `output`; returns them, deepest first."""
    missing = []
    folder = output.absolute().parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:  # another process (a batch's other rank) made it meanwhile: not ours
            if folder.is_dir():
                continue
            remove_made(made[::-1])
            raise GenvidError(f"cannot create folder {folder} for {output}: a file of that name is in the way") from None
        except OSError as e:
            remove_made(made[::-1])
            raise GenvidError(f"cannot create folder {folder} for {output}: {e.strerror or e}") from None
        made.append(folder)
    return made[::-1]


def remove_made(folders: list[Path]) -> None:
    """Removes folders `make_parents` created (deepest first), as long as they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
