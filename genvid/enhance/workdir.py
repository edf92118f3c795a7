"""The hidden work folder beside an output that makes `genvid enhance` resumable.

`.NAME.genvid-work/` (NAME: the output's file name) holds the finished segments of the output and
`manifest.json`: the settings of the run and the list of finished segments.  A segment enters the
manifest only after its file is complete, flushed to disk (fsync) and renamed into place; the manifest
itself is replaced atomically (a temporary file, fsync, rename, fsync of the folder).  The joined
output is written inside the folder too, recorded as `joined`, and only then renamed onto the output.  So whenever the
process dies (SIGKILL, power loss), the manifest lists only segments that are whole on disk, and a
resumed run keeps exactly those.  Files the manifest does not list (a segment being written) are
deleted on resume, except a recurrent model's state at the end of a listed segment (`state_file`,
`states.py`).

While a run works, it holds an exclusive lock on `lock` in the folder (released by the kernel however
the process ends), so a second run on the same output, a batch rerun say, is refused instead of
writing the same segments.  A run without `resume` refuses an existing work folder (it holds someone's unfinished work) unless
`overwrite` discards it.  A resumed run must have the same settings (source, model, codec, ...);
otherwise its frames would not match the kept ones, and it says which setting differs.  The tile
settings may differ where tiling cannot change the frames (`enhance/tiles.py` decides); the manifest
also records the tile in use when running out of GPU memory made it smaller (`tile_used`).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import GenvidError

MANIFEST = "manifest.json"
LOCK = "lock"
FORMAT = 1


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path: Path) -> None:
    """Makes renames inside `path` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def state_file(frame: int) -> str:
    """The file of a recurrent model's state that resumes at `frame` (a segment's end; see states.py)."""
    return f"state-{frame:08d}.safetensors"


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_folder(path.parent)


class WorkFolder:
    def __init__(self, output: Path):
        self.output = Path(output)
        self.path = self.output.with_name(f".{self.output.name}.genvid-work")
        self.manifest: dict = {}
        self._lock_fd: int | None = None

    def _lock(self) -> None:
        """Takes the folder's lock, or refuses: another process is working on this output."""
        try:
            import fcntl
        except ImportError:  # no flock (Windows): runs are not guarded against each other
            return
        self.release()
        fd = os.open(self.path / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise GenvidError(f"another genvid run is writing {self.output} (it holds {self.path / LOCK}); "
                              f"wait for it to end, or stop it") from None
        self._lock_fd = fd

    def release(self) -> None:
        """Lets go of the lock (the folder stays)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def segments(self) -> list[dict]:
        """Finished segments, in order: {"file", "start", "frames"} ("file" is None for frame folders)."""
        return self.manifest.get("segments", [])

    @property
    def done_frames(self) -> int:
        return sum(s["frames"] for s in self.segments)

    def read(self) -> dict | None:
        try:
            return json.loads((self.path / MANIFEST).read_text())
        except (OSError, ValueError):
            return None

    def open(self, settings: dict, resume: bool, overwrite: bool, free: tuple[str, ...] = ()) -> int:
        """Starts a fresh folder or takes up the existing one; returns how many frames are already done.

        Settings named in `free` may differ from the earlier run's (they cannot change its frames); the
        manifest then records the new ones.  The folder stays locked until `release` or `remove`."""
        try:
            return self._open(settings, resume, overwrite, free)
        except BaseException:
            self.release()
            raise

    def _open(self, settings: dict, resume: bool, overwrite: bool, free: tuple[str, ...]) -> int:
        if self.path.is_dir():
            self._lock()
        found = self.read() if self.path.exists() else None
        if found is not None and found.get("format") == FORMAT and resume:
            differ = sorted(k for k in set(settings) | set(found.get("settings", {}))
                            if settings.get(k) != found.get("settings", {}).get(k))
            if not set(differ) - set(free):
                self.manifest = found
                self.delete_unlisted()
                if differ:
                    self.manifest["settings"] = settings
                    self._save()
                return self.done_frames
            if not overwrite:
                key = differ[0]
                raise GenvidError(f"the unfinished work in {self.path} was made with other settings ({key}: "
                                  f"{found['settings'].get(key)!r}, now {settings.get(key)!r}); rerun with the same "
                                  f"options, or pass --overwrite (or delete that folder) to start over")
        elif found is not None and not resume and not overwrite:
            raise GenvidError(f"{self.path} holds unfinished work for {self.output} ({self._done_of(found)} frames "
                              f"done); pass --resume to continue it, or --overwrite to start over")
        self.remove()
        self.path.mkdir()
        self._lock()
        self.manifest = {"format": FORMAT, "settings": settings, "segments": [], "joined": None}
        self._save()
        return 0

    @staticmethod
    def _done_of(manifest: dict) -> int:
        return sum(s.get("frames", 0) for s in manifest.get("segments", []))

    def delete_unlisted(self) -> None:
        """Deletes what the manifest does not list (a segment being written, a state beyond the last one)."""
        keep = {MANIFEST, LOCK} | {s["file"] for s in self.segments if s["file"]}
        keep |= {state_file(s["start"] + s["frames"]) for s in self.segments}
        for p in self.path.iterdir():
            if p.name not in keep and p.name != "frames":
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)

    def _save(self) -> None:
        write_atomically(self.path / MANIFEST, json.dumps(self.manifest, indent=1) + "\n")

    def drop_states(self) -> None:
        """Deletes every kept recurrent state (made with tiles that are no longer those of the run)."""
        for p in self.path.glob("state-*.safetensors"):
            p.unlink(missing_ok=True)

    def note_tile(self, tile: int) -> None:
        """Records the tile the frames are made with from now on (a resume with the same settings starts there)."""
        if self.manifest.get("tile_used", self.manifest["settings"].get("tile")) != tile:
            self.manifest["tile_used"] = tile
            self._save()

    def add_segment(self, file: str | None, start: int, frames: int) -> None:
        """Records a finished segment; its file must already be complete, flushed and in place."""
        if start != self.done_frames:
            raise GenvidError(f"internal error: segment at frame {start} after {self.done_frames} done frames")
        self.manifest["segments"].append({"file": file, "start": start, "frames": frames})
        self._save()

    def mark_joined(self, joined: Path) -> None:
        """`joined` (inside the folder) is the whole output, flushed to disk, about to be renamed into place."""
        self.manifest["joined"] = joined.name
        self._save()

    def finish_joined(self, settings: dict) -> bool:
        """Completes a run that died between joining and cleaning up: True if the output is now in place."""
        found = self.read() if self.path.is_dir() else None
        if not found or not found.get("joined") or found.get("settings") != settings:
            return False
        self._lock()
        joined = self.path / found["joined"]
        if joined.is_dir():  # a frame folder: it replaces only the frames genvid wrote
            from .outputs import install_frames

            install_frames(joined, self.output)
        elif joined.exists():
            os.replace(joined, self.output)
            fsync_folder(self.output.parent)
        elif not self.output.exists():
            self.release()
            return False
        self.manifest = found
        self.remove()
        return True

    def remove_if_joined(self) -> None:
        """Removes a folder whose joined output was already renamed into place (its run died just after)."""
        found = self.read() if self.path.is_dir() else None
        if found and found.get("joined") and not (self.path / found["joined"]).exists() and self.output.exists():
            try:
                self._lock()
            except GenvidError:  # its run is still cleaning up
                return
            self.remove()

    def remove(self) -> None:
        self.release()
        if self.path.is_dir() and not self.path.is_symlink():
            shutil.rmtree(self.path)
        elif self.path.exists() or self.path.is_symlink():
            self.path.unlink()
