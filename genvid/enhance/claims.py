"""How the processes of a multi-process `genvid batch` share its jobs without a collective.

The processes of one launch (`accelerate launch`/torchrun: RANK, WORLD_SIZE) meet in a hidden folder beside
the report (`.REPORT.genvid-batch/`, or `.JOBS.genvid-batch/` beside the jobs file without `--report`):

- `lock`: held (flock) for the few milliseconds of each change to the folder;
- `alive`: every process of the run holds a shared flock on it until it leaves (the kernel lets go however
  a process ends), so a run whose processes are all gone is known to be over;
- `run.json`: the run's id, its process count, which processes joined and which left, and whether its
  report was written; `jobs.json`: the jobs of the run (the first process's expansion, used by all);
- `claims/K`: job K is claimed by the process that created it (O_CREAT|O_EXCL, under `lock`) and holds a
  flock on it while the job runs; a claim whose flock nobody holds and whose job has no row is a dead
  process's: another process takes the job over;
- `rows-R.jsonl`: the rows of the jobs process R finished, one line each, written before the claim is let go.

A process takes the next job that has no claim until none is left, then leaves; the process that leaves
when every job has a row writes the report (once), and the last process of the run to leave removes the
folder.  A process that finds a folder whose processes are all gone starts a new run in it (claims and
rows of the old one are discarded, so a rerun runs every job that did not finish: an unfinished job
resumes from its work folder), except that a process that joins late, after the others finished every
job and left, joins their run and finds nothing to do.  A process whose rank is already in a run that is
still alive, or whose process count differs from it, is refused: another batch is using the same report.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from ..errors import GenvidError
from .workdir import write_atomically


def launch_place() -> tuple[int, int, int]:
    """(rank, process count, local rank) as `accelerate launch` / torchrun set them; (0, 1, 0) otherwise."""
    def number(name: str, default: int) -> int:
        value = os.environ.get(name, "")
        try:
            return int(value) if value else default
        except ValueError:
            raise GenvidError(f"${name} is {value!r}, not a number; unset it or launch with accelerate launch") \
                from None
    rank, world = number("RANK", 0), number("WORLD_SIZE", 1)
    if not 0 <= rank < max(world, 1):
        raise GenvidError(f"$RANK {rank} does not fit $WORLD_SIZE {world}; launch with accelerate launch")
    return rank, max(world, 1), number("LOCAL_RANK", 0)


def meeting_folder(jobs_file: Path, report: Path | None) -> Path:
    beside = Path(report) if report else Path(jobs_file)
    return beside.with_name(f".{beside.name}.genvid-batch")


class BatchRun:
    """This process's place in the shared run kept in `folder` (see the module's text)."""

    def __init__(self, folder: Path, rank: int, world: int):
        try:
            import fcntl  # noqa: F401
        except ImportError:
            raise GenvidError("a batch across several processes needs file locks (flock), which this system "
                              "lacks; run one process") from None
        self.folder, self.rank, self.world = Path(folder), rank, world
        self.jobs: list[dict] = []
        self._alive: int | None = None
        self._held: dict[int, int] = {}  # job -> fd of its claim, flocked
        self._guard = threading.Lock()  # this process's threads (--workers)

    # -- the folder's lock and files
    @contextmanager
    def _locked(self):
        import fcntl

        while True:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / "lock", os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(self.folder / "lock").st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:  # the last process of a run removed the folder meanwhile
                same = False
            if same:
                break
            os.close(fd)
        try:
            yield
        finally:
            os.close(fd)

    def _state(self) -> dict | None:
        try:
            return json.loads((self.folder / "run.json").read_text())
        except (OSError, ValueError):
            return None

    def _save(self, state: dict) -> None:
        write_atomically(self.folder / "run.json", json.dumps(state) + "\n")

    def _others_alive(self) -> bool:
        import fcntl

        fd = os.open(self.folder / "alive", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except OSError:
            return True
        finally:
            os.close(fd)  # also lets go of the lock, if taken

    def _run_jobs(self) -> list[dict] | None:
        try:
            return json.loads((self.folder / "jobs.json").read_text())
        except (OSError, ValueError):
            return None

    def rows(self) -> dict[int, dict]:
        """Every finished job's row, by job number, from every process's file."""
        out = {}
        for shard in self.folder.glob("rows-*.jsonl"):
            for line in shard.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:  # a line cut short by a crash: its job did not finish
                    continue
                out[entry["job"]] = entry["row"]
        return out

    # -- a process's life in the run
    def join(self, jobs: list[dict]) -> list[dict]:
        """Joins the live run in the folder or starts a new one; returns the run's jobs (`jobs` for a new run)."""
        import fcntl

        with self._locked():
            state, alive = self._state(), self._others_alive()
            fits = state is not None and state.get("world") == self.world and self.rank not in state["joined"]
            if alive and not fits:
                raise GenvidError(f"another genvid batch is running with {self.folder} (the same report); wait "
                                  f"for it to end, or give this one another --report")
            earlier = self._run_jobs() if fits else None
            done_by_others = earlier is not None and set(state["left"]) == set(state["joined"]) and \
                len(self.rows()) == len(earlier)
            if not (alive or done_by_others):  # a new run: what an earlier one left is not honoured
                for p in self.folder.iterdir():
                    if p.name not in ("lock", "alive"):
                        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
                state = {"id": uuid.uuid4().hex, "world": self.world, "joined": [], "left": [], "reported": False}
                write_atomically(self.folder / "jobs.json", json.dumps(jobs) + "\n")
                (self.folder / "claims").mkdir()
            self.jobs = self._run_jobs()
            self._alive = os.open(self.folder / "alive", os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(self._alive, fcntl.LOCK_SH)
            state["joined"].append(self.rank)
            self._save(state)
        return self.jobs

    def claim(self) -> int | None:
        """The number of a job that no live process has claimed and none finished, now this process's; None
        when no job is left."""
        import fcntl

        with self._guard, self._locked():
            finished = self.rows()
            for k in range(len(self.jobs)):
                if k in finished or k in self._held:
                    continue
                path = self.folder / "claims" / str(k)
                try:
                    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
                except FileExistsError:
                    fd = os.open(path, os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:  # a live process runs it
                    os.close(fd)
                    continue
                if k in self.rows():  # its process finished it since `finished` was read
                    os.close(fd)
                    continue
                os.ftruncate(fd, 0)
                os.write(fd, f"{self.rank} {os.getpid()}\n".encode())
                self._held[k] = fd
                return k
        return None

    def finish(self, k: int, row: dict) -> None:
        """Records job k's row (flushed to disk), then lets go of its claim."""
        with self._guard:
            with open(self.folder / f"rows-{self.rank}.jsonl", "a") as f:
                f.write(json.dumps({"job": k, "row": row}) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.close(self._held.pop(k))

    def leave(self, write_report) -> list[dict] | None:
        """Leaves the run; the process that leaves when every job has a row calls `write_report(rows)` (rows in
        job order) and gets the rows back, the others get None.  The last process to leave removes the folder."""
        with self._locked():
            os.close(self._alive)
            self._alive = None
            state = self._state()
            state["left"].append(self.rank)
            rows = self.rows()
            merged = None
            if len(rows) == len(self.jobs) and not state["reported"]:
                merged = [rows[k] for k in range(len(self.jobs))]
                write_report(merged)
                state["reported"] = True
            if set(state["left"]) >= set(range(self.world)) and not self._others_alive():
                for p in self.folder.iterdir():
                    if p.name != "lock":
                        shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
                (self.folder / "lock").unlink()
                self.folder.rmdir()
            else:
                self._save(state)
        return merged
