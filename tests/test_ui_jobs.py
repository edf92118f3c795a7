"""genvid.ui.jobs: the persistent queue over `genvid batch`'s run_job: runs, fails alone, stops, resumes, restarts."""
from __future__ import annotations

import importlib
import json
import time

import pytest

from genvid.enhance.batch import run_job
from genvid.errors import GenvidError
from genvid.io.probe import probe
from genvid.ui.jobs import JobQueue


@pytest.fixture
def queue(tmp_path):
    q = JobQueue(tmp_path / "state")
    yield q
    q.close()


def test_jobs_run_in_order_and_a_failing_one_does_not_stop_the_others(queue, clip_maker, tiny_model_dir, tmp_path):
    clip = clip_maker(size="48x32", frames=6, audio=True)
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    queue.add(bad, tmp_path / "bad_out.mp4", {"model": "tiny-x4", "device": "cpu"})
    queue.add(clip, tmp_path / "out.mp4", {"model": "tiny-x4", "device": "cpu", "crf": 20})
    queue.start()
    assert queue.wait_idle(60)
    first, second = queue.jobs()
    assert first["status"] == "failed" and "cannot read" in first["error"] and "\n" not in first["error"]
    assert second["status"] == "done" and second["frames"] == second["total"] == 6 and second["fps"] > 0
    assert second["options"] == {"model": "tiny-x4", "device": "cpu", "crf": 20}  # as `genvid batch` would run it
    info = probe(tmp_path / "out.mp4")
    assert (info.width, info.height, info.frame_count, info.audio) == (192, 128, 6, ["aac"])


def test_the_queue_survives_a_restart(clip_maker, tiny_model_dir, tmp_path):
    clip = clip_maker(size="48x32", frames=4)
    q = JobQueue(tmp_path / "state")
    a = q.add(clip, tmp_path / "a.mp4", {"model": "tiny-x4", "device": "cpu"})
    b = q.add(clip, tmp_path / "b.mp4", {"model": "tiny-x4", "device": "cpu"})
    q.stop(b["id"])
    with pytest.raises(GenvidError, match="another job in the queue writes"):
        q.add(clip, tmp_path / "a.mp4", {})
    with pytest.raises(GenvidError, match="unknown job option"):
        q.add(clip, tmp_path / "c.mp4", {"overwrite": True})
    # a server killed while a job ran: the file still says `running`
    data = json.loads(q.path.read_text())
    data["jobs"][0]["status"] = "running"
    q.path.write_text(json.dumps(data))
    again = JobQueue(tmp_path / "state")
    jobs = again.jobs()
    assert [j["id"] for j in jobs] == [a["id"], b["id"]] == ["0001", "0002"]
    assert [j["status"] for j in jobs] == ["queued", "stopped"] and "restart" in jobs[0]["note"]
    again.start()
    assert again.wait_idle(60)
    again.close()
    assert [j["status"] for j in again.jobs()] == ["done", "stopped"]
    assert not (tmp_path / "b.mp4").exists()
    assert JobQueue(tmp_path / "state").jobs()[0]["status"] == "done"


def test_an_unreadable_queue_file_is_kept_aside(tmp_path):
    (tmp_path / "queue.json").write_text("{broken")
    q = JobQueue(tmp_path)
    assert q.jobs() == [] and "could not be read" in q.notes[0]
    assert list(tmp_path.glob("queue.json.unreadable-*"))


def test_stop_keeps_finished_segments_and_resume_continues(clip_maker, tiny_model_dir, tmp_path, monkeypatch):
    clip = clip_maker(size="48x32", frames=40)
    started = []

    def slow(job, emit):  # the real run_job, slowed down so that Stop arrives mid-run
        def paced(event):
            if event["event"] == "progress":
                started.append(event["frames"])
            emit(event)
        return run_job({**job, "options": {**job["options"], "segment_frames": 5}}, paced)

    api = importlib.import_module("genvid.enhance.api")

    class SlowReader(api.FrameReader):
        def __iter__(self):
            for frame in super().__iter__():
                time.sleep(0.05)
                yield frame

    monkeypatch.setattr(api, "FrameReader", SlowReader)
    q = JobQueue(tmp_path / "state", runner=slow)
    job = q.add(clip, tmp_path / "out.mp4", {"model": "tiny-x4", "device": "cpu"})
    q.start()
    deadline = time.time() + 30
    while not started and time.time() < deadline:
        time.sleep(0.05)
    assert started, "no progress event"
    q.stop(job["id"])
    assert q.get(job["id"])["status"] in ("stopping", "stopped")
    deadline = time.time() + 30
    while q.get(job["id"])["status"] != "stopped" and time.time() < deadline:
        time.sleep(0.05)
    stopped = q.get(job["id"])
    assert stopped["status"] == "stopped" and 0 < stopped["frames"] < 40
    assert not (tmp_path / "out.mp4").exists()
    q.close()
    q = JobQueue(tmp_path / "state", runner=slow)  # a fresh server
    with pytest.raises(GenvidError, match="only a queued or running job can be stopped"):
        q.stop(job["id"])
    q.resume(job["id"])
    q.start()
    assert q.wait_idle(60)
    q.close()
    done = q.get(job["id"])
    assert done["status"] == "done" and done["resumed_from"] >= 5
    assert probe(tmp_path / "out.mp4").frame_count == 40


def test_remove_discards_unfinished_work(queue, clip_maker, tmp_path):
    clip = clip_maker(size="48x32", frames=2)
    job = queue.add(clip, tmp_path / "out.mp4", {"model": "tiny-x4"})
    work = tmp_path / ".out.mp4.genvid-work"
    work.mkdir()
    queue.stop(job["id"])
    queue.remove(job["id"])
    assert queue.jobs() == [] and not work.exists()
    with pytest.raises(GenvidError, match="no job 0001"):
        queue.resume("0001")
