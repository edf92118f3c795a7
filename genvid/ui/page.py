"""What the page's buttons do, without gradio: each handler takes the page's values and returns a dict of
the page elements to update, by name, and always `message`: one readable line ('' when all is well).

Every error, a GenvidError or anything unexpected, becomes that one line (the traceback of an
unexpected one goes to the server's log, never to the page).  Paths pass through the PathGuard each time
they are used; uploads move into the state folder's `uploads`.
"""
from __future__ import annotations

import functools
import html
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from ..errors import GenvidError
from ..io.probe import probe
from ..models.registry import DEFAULT_MODEL
from .info import chain_text, info_markdown, model_label, model_rows, models_markdown, parse_frames
from .jobs import JobQueue
from .paths import PathGuard
from .preview import parse_region, preview

PRECISIONS = ["auto", "fp32", "bf16", "fp16"]
CODECS = ["libx264", "libx265", "ffv1"]
KEEP_PREVIEWS = 8


def one_line(error: BaseException) -> str:
    if isinstance(error, GenvidError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split()) or type(error).__name__


def guarded(handler):
    """Runs a handler; its `notice`, or any exception as "Error: <one line>", becomes `message`."""
    @functools.wraps(handler)
    def run(*args, **kwargs) -> dict:
        try:
            out = handler(*args, **kwargs)
            return {"message": out.pop("notice", ""), **out}
        except Exception as e:  # the page shows one line; the server's log keeps the rest
            if not isinstance(e, GenvidError):
                traceback.print_exc(file=sys.stderr)
            return {"message": f"Error: {one_line(e)}"}
    return run


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def job_line(job: dict) -> str:
    """'12/40 frames · 4.2 fps · ETA 0:07' (or less, as known)."""
    parts = [f"{job['frames']}/{job['total']} frames" if job["total"] else f"{job['frames']} frames"]
    if job["fps"]:
        parts.append(f"{job['fps']:.2f} fps")
    if job["status"] == "running":
        parts.append(f"ETA {_clock(job['eta'])}" if job["eta"] is not None else "measuring speed")
    return " · ".join(parts)


def queue_html(jobs: list[dict]) -> str:
    if not jobs:
        return "<p>No jobs yet: open a video, pick a model, and press Run.</p>"
    rows = []
    for j in reversed(jobs):
        total = j["total"] or 1
        bar = f'<progress max="{total}" value="{min(j["frames"], total)}"></progress>'
        detail = j["error"] or j["note"] or ""
        rows.append(
            f'<tr class="job job-{j["status"]}" data-job="{j["id"]}"><td>{j["id"]}</td>'
            f'<td>{html.escape(Path(j["input"]).name)} &rarr; {html.escape(Path(j["output"]).name)}<br>'
            f'<small>{html.escape(str(j["options"].get("model", DEFAULT_MODEL)))}</small></td>'
            f'<td class="status">{j["status"]}</td><td>{bar}<br><small>{job_line(j)}</small></td>'
            f'<td><small>{html.escape(detail)}</small></td></tr>')
    return ('<table class="genvid-queue"><tr><th>job</th><th>video</th><th>status</th><th>progress</th>'
            '<th></th></tr>' + "".join(rows) + "</table>")


class Page:
    """The page's state on the server: the path guard, the job queue, where previews and results go."""

    def __init__(self, roots: list[str | Path], state: str | Path, device: str = "auto"):
        self.guard = PathGuard(roots, state)
        self.queue = JobQueue(self.guard.state)
        self.cache = self.guard.state / "gradio"  # gradio's upload folder and cache (GRADIO_TEMP_DIR)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.device = device
        self.models = model_rows()

    # -- choices shown on the page ----------------------------------------------------------------------
    def model_choices(self) -> list[tuple[str, str]]:
        return [(model_label(r), r["name"]) for r in self.models]

    def default_models(self) -> list[str]:
        names = [r["name"] for r in self.models]
        return [DEFAULT_MODEL] if DEFAULT_MODEL in names else names[:1]

    def models_table(self) -> str:
        return models_markdown(self.models)

    def roots_line(self) -> str:
        return ", ".join(str(r) for r in self.guard.roots)

    # -- handlers ----------------------------------------------------------------------------------------
    def _opened(self, path: Path, models) -> dict:
        info = probe(path)
        out = {"source": self.guard.shown(path), "info": info_markdown(info, self.guard.shown(path))}
        try:
            out["output"] = self.guard.shown(self.guard.default_output(path, chain_text(models), self.queue.outputs()))
        except GenvidError:
            pass
        return out

    @guarded
    def open_path(self, text: str, models) -> dict:
        return self._opened(self.guard.readable(text), models)

    @guarded
    def open_upload(self, temp_file, models) -> dict:
        if not temp_file:
            return {}
        name = temp_file if isinstance(temp_file, str) else getattr(temp_file, "name", str(temp_file))
        return self._opened(self.guard.store_upload(name), models)

    @guarded
    def models_changed(self, source: str, models) -> dict:
        if not source:
            return {}
        path = self.guard.readable(source)
        return {"output": self.guard.shown(self.guard.default_output(path, chain_text(models), self.queue.outputs()))}

    @guarded
    def preview(self, source: str, models, frames: str, region: str, method: str, zoom, tile, precision: str) -> dict:
        path = self.guard.readable(source)
        info = probe(path)
        chosen = parse_frames(frames, info.frame_count)
        folder = self._preview_folder()
        result = preview(path, chain_text(models), chosen, folder, region=parse_region(region, info),
                         device=self.device, precision=precision, tile=_int(tile, "tile"),
                         method=method or "nearest", zoom=_int(zoom, "zoom") or 1)
        box = result["region"]
        note = (f"Preview of frames {', '.join(map(str, chosen))}, region {box.x},{box.y},{box.w},{box.h} "
                f"(x{result['scale']}), in {result['seconds']:.1f} s")
        return {"gallery": result["images"], "preview_note": note}

    def _preview_folder(self) -> Path:
        root = self.cache / "previews"
        root.mkdir(parents=True, exist_ok=True)
        old = sorted(root.iterdir(), key=lambda p: p.stat().st_mtime)
        for stale in old[:max(0, len(old) - KEEP_PREVIEWS + 1)]:
            shutil.rmtree(stale, ignore_errors=True)
        return root / f"{time.time_ns()}"

    @guarded
    def add_job(self, source: str, models, output: str, tile, precision: str, codec: str, crf) -> dict:
        path = self.guard.readable(source)
        target = self.guard.writable(output)
        if target == path:
            raise GenvidError("the output would replace the input; choose another output name")
        options = {"model": chain_text(models), "tile": _int(tile, "tile"), "precision": precision or "auto",
                   "codec": codec or CODECS[0], "crf": _int(crf, "quality (CRF)"), "device": self.device}
        job = self.queue.add(path, target, options)
        self.queue.start()
        return {"queue": queue_html(self.queue.jobs()), "job": self._job_choices(job["id"]), "result": None,
                "notice": f"Job {job['id']} queued: {self.guard.shown(target)}"}

    def _job_choices(self, selected: str | None) -> dict:
        jobs = self.queue.jobs()
        ids = [j["id"] for j in jobs]
        return {"choices": [(f"{j['id']} {Path(j['output']).name}", j["id"]) for j in reversed(jobs)],
                "value": selected if selected in ids else None}

    def _act(self, action, job_id: str | None, verb: str) -> dict:
        if not job_id:
            raise GenvidError(f"choose a job to {verb}")
        action(job_id)
        return {"queue": queue_html(self.queue.jobs()), "notice": f"Job {job_id}: {verb} asked"}

    @guarded
    def stop(self, job_id: str | None) -> dict:
        return self._act(self.queue.stop, job_id, "stop")

    @guarded
    def resume(self, job_id: str | None) -> dict:
        return self._act(self.queue.resume, job_id, "resume")

    @guarded
    def remove(self, job_id: str | None) -> dict:
        out = self._act(self.queue.remove, job_id, "remove")
        return {**out, "job": self._job_choices(None), "result": None}

    @guarded
    def refresh(self, selected: str | None, known: list | None, shown: str | None) -> dict:
        """The timer's tick: the queue table; the job list when jobs came or went; a finished job's result."""
        jobs = self.queue.jobs()
        out = {"queue": queue_html(jobs)}
        ids = [j["id"] for j in jobs]
        if ids != (known or []):
            out.update(job=self._job_choices(selected), known=ids)
        job = next((j for j in jobs if j["id"] == selected), None)
        if job is not None and job["status"] == "done" and shown != selected:
            out.update(result=self._result_file(job), shown=selected)
        return out

    @guarded
    def select(self, job_id: str | None) -> dict:
        job = next((j for j in self.queue.jobs() if j["id"] == job_id), None)
        done = job is not None and job["status"] == "done"
        return {"result": self._result_file(job) if done else None, "shown": job_id if done else None}

    def _result_file(self, job: dict) -> str:
        """The output, hard-linked (else copied) into gradio's folder so that the page can offer it."""
        src = Path(job["output"])
        if not src.is_file():
            raise GenvidError(f"the output of job {job['id']} is no longer at {src}")
        dst = self.cache / "results" / job["id"] / src.name
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
        return str(dst)


def _int(value, what: str) -> int:
    try:
        number = int(float(value or 0))
    except (TypeError, ValueError):
        raise GenvidError(f"{what} must be a whole number, got '{value}'") from None
    if number < 0:
        raise GenvidError(f"{what} must be 0 or more, got {number}")
    return number
