"""The page's job queue: `genvid batch`'s engine (`run_job`) in a background thread, kept in a JSON file.

`queue.json` in the state folder lists every job with its status (`queued`, `running`, `stopping`,
`stopped`, `done`, `failed`, `skipped`), progress, speed and error; it is replaced atomically after
every change, so the queue survives a reload of the page and a restart of the server.  Jobs run one at
a time, oldest first; like `genvid batch`, each runs with `resume`, so a job that was stopped, failed,
or cut off by a restart (found `running` when the file is read again: it is queued again) continues
from its last finished segment, and one failing job never stops the others.  Stopping raises `Stopped`
from the job's progress callback: the enhancer keeps its finished segments and discards the rest.
"""
from __future__ import annotations

import copy
import json
import os
import threading
import time
from pathlib import Path

from ..enhance.batch import OPTIONS, run_job
from ..enhance.workdir import WorkFolder, write_atomically
from ..errors import GenvidError

QUEUE_FILE = "queue.json"
UNFINISHED = ("queued", "running", "stopping", "stopped", "failed")
# options every job of the page gets unless it sets them: none beyond `enhance`'s own (its segments end
# after a number of frames fixed by the frame size and rate, so a page job's output bytes are a command's)
DEFAULT_OPTIONS: dict = {}


class Stopped(BaseException):
    """Raised from a job's progress callback to stop it; a BaseException so that `run_job` lets it through."""


class JobQueue:
    def __init__(self, state_dir: str | Path, runner=run_job):
        self.path = Path(state_dir) / QUEUE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._run_job = runner
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop_current = threading.Event()
        self._closing = threading.Event()
        self._current: str | None = None
        self._thread: threading.Thread | None = None
        self.notes: list[str] = []
        self._jobs = self._load()

    def _load(self) -> list[dict]:
        if not self.path.exists():
            return []
        try:
            jobs = json.loads(self.path.read_text())["jobs"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            aside = self.path.with_name(f"{QUEUE_FILE}.unreadable-{int(time.time())}")
            os.replace(self.path, aside)
            self.notes.append(f"the queue file could not be read ({e}); it was kept as {aside.name}")
            return []
        for job in jobs:
            if job["status"] == "running":
                job.update(status="queued", note="cut off by a restart; continues from its last finished segment")
            elif job["status"] == "stopping":
                job["status"] = "stopped"
        return jobs

    def _save(self) -> None:
        with self._lock:
            write_atomically(self.path, json.dumps({"format": 1, "jobs": self._jobs}, indent=1) + "\n")

    def _find(self, job_id: str) -> dict:
        for job in self._jobs:
            if job["id"] == job_id:
                return job
        raise GenvidError(f"no job {job_id} in the queue")

    def jobs(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._jobs)

    def get(self, job_id: str) -> dict:
        with self._lock:
            return copy.deepcopy(self._find(job_id))

    def outputs(self) -> set[str]:
        """Outputs of jobs not yet done: a new job may not write any of them."""
        with self._lock:
            return {j["output"] for j in self._jobs if j["status"] in UNFINISHED}

    def add(self, input: str | Path, output: str | Path, options: dict) -> dict:
        unknown = set(options) - OPTIONS
        if unknown:
            raise GenvidError(f"unknown job option(s) {', '.join(sorted(unknown))}")
        with self._lock:
            if str(output) in self.outputs():
                raise GenvidError(f"another job in the queue writes {output}; choose another output name")
            number = max((int(j["id"]) for j in self._jobs), default=0) + 1
            job = {"id": f"{number:04d}", "input": str(input), "output": str(output),
                   "options": {**DEFAULT_OPTIONS, **options}, "status": "queued", "frames": 0, "total": None,
                   "fps": None, "eta": None, "error": None, "note": None, "added": time.time(),
                   "started": None, "finished": None, "resumed_from": None}
            self._jobs.append(job)
            self._save()
        self._wake.set()
        return copy.deepcopy(job)

    def stop(self, job_id: str) -> None:
        with self._lock:
            job = self._find(job_id)
            if job["status"] == "queued":
                job["status"] = "stopped"
            elif job["status"] == "running":
                job["status"] = "stopping"
                self._stop_current.set()
            elif job["status"] != "stopping":
                raise GenvidError(f"job {job_id} is {job['status']}; only a queued or running job can be stopped")
            self._save()

    def resume(self, job_id: str) -> None:
        with self._lock:
            job = self._find(job_id)
            if job["status"] not in ("stopped", "failed"):
                raise GenvidError(f"job {job_id} is {job['status']}; only a stopped or failed job can be resumed")
            job.update(status="queued", error=None, note=None)
            self._save()
        self._wake.set()

    def remove(self, job_id: str) -> None:
        """Takes a job off the list; a stopped or failed job's unfinished work (its segments) is discarded."""
        with self._lock:
            job = self._find(job_id)
            if job["status"] in ("running", "stopping"):
                raise GenvidError(f"job {job_id} is running; stop it first")
            if job["status"] in UNFINISHED:
                WorkFolder(Path(job["output"])).remove()
            self._jobs.remove(job)
            self._save()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="genvid-ui-jobs", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stops the runner; a running job is left `queued`, to continue at the next start."""
        self._closing.set()
        self._stop_current.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """True once no job is queued or running (for tests and scripts); False after `timeout` seconds."""
        end = time.time() + timeout
        while time.time() < end:
            with self._lock:
                if not any(j["status"] in ("queued", "running", "stopping") for j in self._jobs):
                    return True
            time.sleep(0.05)
        return False

    def _next(self) -> dict | None:
        with self._lock:
            return next((j for j in self._jobs if j["status"] == "queued"), None)

    def _work(self) -> None:
        while not self._closing.is_set():
            job = self._next()
            if job is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            self._run(job)

    def _run(self, job: dict) -> None:
        with self._lock:
            self._stop_current.clear()
            job.update(status="running", started=time.time(), finished=None, fps=None, eta=None, error=None)
            self._save()
        first: list = []  # (time, frames) of the first progress event of this run: the rate is measured from it

        def emit(event: dict) -> None:
            if event["event"] in ("start", "progress") and self._stop_current.is_set():
                raise Stopped
            if event["event"] == "done":
                with self._lock:
                    job["resumed_from"] = event.get("resumed_from")
            elif event["event"] == "progress":
                now, done, total = time.time(), event["frames"], event["total"]
                first[:] = first or [(now, done)]
                t0, f0 = first[0]
                fps = (done - f0) / (now - t0) if now > t0 and done > f0 else None
                with self._lock:
                    job.update(frames=done, total=total, fps=fps, eta=(total - done) / fps if fps else None)
                    self._save()

        try:
            row = self._run_job({"input": job["input"], "output": job["output"], "options": job["options"]}, emit)
        except Stopped:
            with self._lock:
                job.update(status="queued" if self._closing.is_set() else "stopped", fps=None, eta=None)
                self._save()
            return
        with self._lock:
            done = row["status"] == "done"
            job.update(status=row["status"], error=row["error"], finished=time.time(), eta=None)
            if row["frames"]:
                job.update(frames=row["frames"], total=row["frames"])
            if done and row["seconds"] and row["frames"]:
                job["fps"] = (row["frames"] - (job["resumed_from"] or 0)) / row["seconds"]
            self._save()
