"""What the page may read and write: the folders `genvid ui` was started with, and its own state folder.

A user of the page types paths or uploads files; every path is resolved (symbolic links and `..`
followed) and refused unless it lies inside one of the roots (`--root`, default the current folder)
or the state folder's `uploads` and `outputs`.  The state folder (`--state`, default
$GENVID_UI_STATE, else ~/.local/state/genvid/ui) holds the queue (`queue.json`), uploads, outputs of
uploaded videos, previews and gradio's own cache; genvid owns it.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..errors import GenvidError

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v")


def default_state_dir() -> Path:
    if os.environ.get("GENVID_UI_STATE"):
        return Path(os.environ["GENVID_UI_STATE"])
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "genvid" / "ui"


def safe_name(name: str) -> str:
    """A file name with only letters, digits, '.', '-' and '_' (others become '_'), never hidden or empty."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).lstrip(".")
    return name or "video"


def unique_path(path: Path, taken: set[str] = frozenset()) -> Path:
    """`path`, or `stem_2.suffix`, `stem_3.suffix`, ...: the first that does not exist and is not `taken`."""
    candidate, n = path, 1
    while candidate.exists() or str(candidate) in taken:
        n += 1
        candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
    return candidate


class PathGuard:
    """Resolves the paths a page user gives, refusing any outside the allowed folders."""

    def __init__(self, roots: list[str | Path], state: str | Path):
        self.roots = []
        for r in roots:
            p = Path(r).expanduser()
            if not p.is_dir():
                raise GenvidError(f"--root {r} is not a folder; give folders the page may read and write")
            self.roots.append(p.resolve())
        if not self.roots:
            raise GenvidError("give at least one --root folder")
        self.state = Path(state).expanduser().resolve()
        self.uploads = self.state / "uploads"
        self.outputs = self.state / "outputs"
        for d in (self.uploads, self.outputs):
            d.mkdir(parents=True, exist_ok=True)

    @property
    def allowed(self) -> list[Path]:
        return [*self.roots, self.uploads, self.outputs]

    def _inside(self, path: Path) -> bool:
        return any(path.is_relative_to(folder) for folder in self.allowed)

    def _refuse(self, text: str) -> GenvidError:
        folders = ", ".join(str(r) for r in self.roots)
        return GenvidError(f"{text} is outside the folders this page may use ({folders}); "
                           f"choose a file inside them, or restart genvid ui with --root")

    def _absolute(self, text: str | Path) -> Path:
        text = str(text).strip()
        if not text:
            raise GenvidError("no path given; type a path or upload a file")
        if "\0" in text:
            raise GenvidError("a path cannot contain a NUL character")
        p = Path(text).expanduser()
        return p if p.is_absolute() else self.roots[0] / p

    def readable(self, text: str | Path) -> Path:
        """An existing video file or frame folder inside the allowed folders, resolved."""
        p = self._absolute(text)
        resolved = p.resolve()
        if not self._inside(resolved):
            raise self._refuse(str(text))
        if not resolved.exists():
            raise GenvidError(f"{text} does not exist; check the path")
        return resolved

    def writable(self, text: str | Path) -> Path:
        """A video file path inside the allowed folders whose folder exists; the file must not exist yet."""
        p = self._absolute(text)
        parent = p.parent.resolve()
        if not self._inside(parent):
            raise self._refuse(str(text))
        resolved = parent / p.name
        if resolved.is_symlink() or (resolved.exists() and not self._inside(resolved.resolve())):
            raise self._refuse(str(text))
        if resolved.suffix.lower() not in VIDEO_SUFFIXES:
            raise GenvidError(f"output {p.name} needs a video suffix: {', '.join(VIDEO_SUFFIXES)}")
        if not parent.is_dir():
            raise GenvidError(f"cannot write {text}: folder {parent} does not exist")
        if resolved.exists():
            raise GenvidError(f"{text} exists; choose another output name")
        return resolved

    def store_upload(self, temp_file: str | Path) -> Path:
        """Moves an uploaded file (in gradio's cache) into `uploads`, under a unique, safe name."""
        src = Path(temp_file)
        dst = unique_path(self.uploads / safe_name(src.name))
        shutil.move(str(src), dst)
        return dst

    def default_output(self, source: Path, model: str, taken: set[str] = frozenset()) -> Path:
        """`<stem>_<model>.mp4` beside the source (in `outputs` for an upload), not existing nor `taken`."""
        folder = self.outputs if source.is_relative_to(self.uploads) else source.parent
        tag = safe_name(model.replace(",", "+"))
        return unique_path(folder / f"{source.stem}_{tag}.mp4", taken)

    def shown(self, path: Path) -> str:
        """A path as the page shows it: relative to the first root when inside it."""
        return str(path.relative_to(self.roots[0])) if path.is_relative_to(self.roots[0]) else str(path)
