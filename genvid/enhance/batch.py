"""`genvid batch JOBS.yaml`: many enhance jobs, each independent, resumable by rerunning, with a report.

JOBS.yaml holds `defaults:` (any `enhance` option; `model` may be a chain, "denoise,sr-x4" or a list)
and `jobs:`, a list of {input, output, ...overrides}.
An input may be a glob ("clips/*.mp4") with an output pattern using {stem} and {name} of each match
("out/{stem}_x4.mp4"); a literal input fills the pattern the same way ({{ and }} write braces).  A glob
that matches nothing is a failed job, with the reason, not zero jobs.  Relative paths are taken from the
jobs file's folder.  A pattern cannot reach outside the folder it names (an input glob through `..` or a
link, an output through a file named `..x`), and no output may be an input (compared as files, through
symbolic and hard links).

A job whose output exists is `skipped` (outputs are renamed into place only when complete, so an existing
one is whole); every other job runs with `resume`, so a job that was interrupted (a crash, a kill, a
failure) continues from its last finished segment; a failing job is `failed` with its one-line error and
the others go on.  Under `accelerate launch`, each process claims the next job that no process has
claimed until none is left (claims.py), and the process that finishes last writes one merged report.
"""
from __future__ import annotations

import glob
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import GenvidError
from ..yaml_file import read_yaml
from .api import enhance
from .claims import BatchRun, launch_place, meeting_folder
from .outputs import same_file
from .workdir import WorkFolder

OPTIONS = {"model", "device", "precision", "batch", "compile", "tile", "tile_overlap", "codec", "crf", "pix_fmt", "fps",
           "sigma", "strength", "segment_frames", "scene_cuts", "scene_threshold", "accept_damaged", "subtitles",
           "preset"}


def _within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _folder_of(pattern: str, base: Path, stop: str) -> Path:
    """The folder a pattern names: everything before its first character in `stop`, up to the last '/'."""
    cut = min((pattern.index(c) for c in stop if c in pattern), default=len(pattern))
    prefix = pattern[:cut]
    return base / prefix if prefix.endswith(("/", os.sep)) else (base / prefix).parent


def _output_for(i: int, pattern: str, base: Path, match: Path) -> Path:
    try:
        target = base / pattern.format(stem=match.stem, name=match.name)
    except (KeyError, IndexError, ValueError):
        raise GenvidError(f"job {i + 1}: output pattern '{pattern}' may use only {{stem}} and {{name}}") from None
    root = _folder_of(pattern, base, "{")
    if not _within(target.parent, root):
        raise GenvidError(f"job {i + 1}: output {target} for {match.name} lies outside {root}, the folder its "
                          f"pattern names")
    return target


def expand_jobs(jobs_file: str | Path) -> list[dict]:
    """Every concrete job: {"input", "output", "options"}, globs expanded and paths checked; a glob that
    matches nothing gives a job with an "error" instead, which fails when run."""
    jobs_file = Path(jobs_file)
    spec = read_yaml(jobs_file, "jobs file")
    base = jobs_file.resolve().parent
    defaults = spec.get("defaults") or {}
    entries = spec.get("jobs")
    if not isinstance(entries, list) or not entries:
        raise GenvidError(f"{jobs_file} has no `jobs:` list; give a list of {{input, output}} entries")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "input" not in entry or "output" not in entry:
            raise GenvidError(f"job {i + 1} in {jobs_file} needs `input` and `output`")
        options = {**defaults, **{k: v for k, v in entry.items() if k not in ("input", "output")}}
        unknown = set(options) - OPTIONS
        if unknown:
            raise GenvidError(f"job {i + 1} in {jobs_file}: unknown option(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(sorted(OPTIONS))}")
        pattern = str(entry["input"])
        if glob.has_magic(pattern):
            root = _folder_of(pattern, base, "*?[")
            matches = sorted(Path(m) for m in glob.glob(str(base / pattern)))
            if not matches:
                out.append({"input": str(base / pattern), "output": str(base / str(entry["output"])),
                            "options": options, "error": f"job {i + 1}: no file matches {pattern} (in {base}); "
                                                         f"check the pattern and the folder"})
                continue
            pairs = []
            for m in matches:
                if not _within(m, root):
                    raise GenvidError(f"job {i + 1}: {m} lies outside {root}, the folder its pattern names")
                pairs.append((m, _output_for(i, str(entry["output"]), base, m)))
        else:
            pairs = [(base / pattern, _output_for(i, str(entry["output"]), base, base / pattern))]
        for src, dst in pairs:
            if same_file(src, dst):
                raise GenvidError(f"job {i + 1}: output {dst} would replace its input")
            out.append({"input": str(src), "output": str(dst), "options": options})
    outputs = [j["output"] for j in out]
    clash = {o for o in outputs if outputs.count(o) > 1}
    if clash:
        raise GenvidError(f"several jobs write {sorted(clash)[0]}; give each job its own output")
    for job in out:
        other = next((j for j in out if same_file(Path(j["input"]), Path(job["output"]))), None)
        if other is not None:
            raise GenvidError(f"output {job['output']} is the input of another job ({other['input']}); "
                              f"give it another name")
    return out


def run_job(job: dict, emit) -> dict:
    row = {"input": job["input"], "output": job["output"], "status": "done", "error": None, "frames": None,
           "seconds": None, "tile": None}
    if job.get("error"):  # nothing to run: the job itself is wrong
        row.update(status="failed", error=job["error"])
        emit({"event": "failed", **row})
        return row
    if Path(job["output"]).exists():
        WorkFolder(Path(job["output"])).remove_if_joined()
        row["status"] = "skipped"
        emit({"event": "skipped", **row})
        return row
    emit({"event": "start", "input": job["input"], "output": job["output"]})
    last = [0.0]

    def progress(done, total):
        now = time.time()
        if now - last[0] >= 1.0 or done == total:
            last[0] = now
            emit({"event": "progress", "output": job["output"], "frames": done, "total": total})

    start, resumed = time.time(), 0
    try:
        result = enhance(job["input"], job["output"], quiet=True, resume=True, progress=progress, **job["options"])
        row["frames"] = result["frames"]
        resumed = result["resumed_from"]
        row["tile"] = result["tile"]  # smaller than asked where the GPU ran out of memory
    except (GenvidError, OSError) as e:
        row.update(status="failed", error=str(e))
    except Exception as e:  # one broken job must never stop the others
        row.update(status="failed", error=f"{type(e).__name__}: {e}")
    row["seconds"] = round(time.time() - start, 3)
    emit({"event": row["status"], **row, **({"resumed_from": resumed} if row["status"] == "done" else {})})
    return row


def run_batch(jobs_file: str | Path, report: str | Path | None = None, workers: int = 1,
              json_progress: bool = False) -> dict:
    """Runs every job; returns {"jobs": rows, "complete": bool}.

    Under `accelerate launch` (RANK, WORLD_SIZE) each process claims one job after another until none is left
    (claims.py: no collective, so no process waits on another) and the one that finishes last writes the
    merged report; a process's "jobs" are then every job's rows if it wrote the report ("complete"), else
    the rows of the jobs it ran."""
    jobs = expand_jobs(jobs_file)
    rank, world, local_rank = launch_place()
    lock = threading.Lock()

    def emit(event: dict) -> None:
        if json_progress:
            with lock:
                # one write per line: torchrun (accelerate launch) starts `python -u`, so every write() goes
                # straight to the stdout all processes share, and print's separate "\n" could come after
                # another process's line
                sys.stdout.write(json.dumps({"process": rank, **event}) + "\n")
                sys.stdout.flush()
        elif event["event"] in ("done", "failed", "skipped"):
            with lock:
                extra = f": {event['error']}" if event.get("error") else ""
                print(f"{event['event']:>7}  {event['output']}{extra}", file=sys.stderr, flush=True)

    report_path = Path(report) if report else None

    def write_report(rows: list[dict]) -> None:
        if report_path:
            tmp = report_path.with_name(report_path.name + ".tmp")
            tmp.write_text(json.dumps({"jobs": rows}, indent=2) + "\n")
            os.replace(tmp, report_path)

    if world == 1:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            rows = list(pool.map(lambda job: run_job(job, emit), jobs))
        write_report(rows)
        return {"jobs": rows, "complete": True}

    import torch

    if torch.cuda.is_available() and local_rank < torch.cuda.device_count():
        torch.cuda.set_device(local_rank)  # "auto" and "cuda" mean this process's GPU
    run = BatchRun(meeting_folder(Path(jobs_file), report_path), rank, world)
    jobs = run.join(jobs)
    mine: list[tuple[int, dict]] = []

    def work() -> None:
        while (k := run.claim()) is not None:
            row = run_job(jobs[k], emit)
            run.finish(k, row)
            with lock:
                mine.append((k, row))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for future in [pool.submit(work) for _ in range(max(1, workers))]:
            future.result()
    merged = run.leave(write_report)
    if merged is not None:
        return {"jobs": merged, "complete": True}
    return {"jobs": [row for _, row in sorted(mine, key=lambda kr: kr[0])], "complete": False}
