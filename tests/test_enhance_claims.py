"""genvid.enhance.claims: jobs claimed once across processes, dead claims taken over, stale runs not honoured."""
import json
import subprocess
import sys

import pytest

from conftest import REPO
from genvid.enhance.claims import BatchRun, launch_place
from genvid.errors import GenvidError

JOBS = [{"input": f"{n}.mp4", "output": f"out/{n}.mkv"} for n in "abc"]

# a process of a run that claims `claims` jobs, finishes the first `finished` of them, and dies (no leave)
DIES = """
import os, sys
from genvid.enhance.claims import BatchRun
folder, rank, world, claims, finished = sys.argv[1], *map(int, sys.argv[2:])
run = BatchRun(folder, rank, world)
run.join([{"input": f"{n}.mp4", "output": f"out/{n}.mkv"} for n in "abc"])
ks = [run.claim() for _ in range(claims)]
for k in ks[:finished]:
    run.finish(k, {"output": run.jobs[k]["output"], "status": "done"})
print(ks, flush=True)
os._exit(9)
"""


def dies(folder, rank, world, claims, finished=0) -> list[int]:
    r = subprocess.run([sys.executable, "-c", DIES, str(folder), str(rank), str(world), str(claims), str(finished)],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 9, r.stderr
    return json.loads(r.stdout)


def claim_all(run) -> list[int]:
    out = []
    while (k := run.claim()) is not None:
        out.append(k)
    return out


def row(k):
    return {"output": JOBS[k]["output"], "status": "done"}


def test_each_job_once_and_one_report_from_the_process_that_finishes_last(tmp_path):
    folder = tmp_path / ".report.json.genvid-batch"
    a, b = BatchRun(folder, 0, 2), BatchRun(folder, 1, 2)
    assert a.join(JOBS) == JOBS and b.join([{"input": "other"}]) == JOBS, "a joiner takes the run's jobs"
    assert (a.claim(), b.claim()) == (0, 1)
    a.finish(0, row(0))
    assert a.claim() == 2 and b.claim() is None  # 2 is a's: claimed, though not finished
    b.finish(1, row(1))
    reports = []
    assert b.leave(reports.append) is None and reports == [], "job 2 is still running"
    a.finish(2, row(2))
    assert a.claim() is None
    assert a.leave(reports.append) == [row(0), row(1), row(2)] and reports == [[row(0), row(1), row(2)]]
    assert not folder.exists(), "the last process to leave removes the folder"


@pytest.mark.parametrize("rerun_rank", [0, 1])
def test_a_stale_claim_of_an_earlier_run_is_rerun(tmp_path, rerun_rank):
    folder = tmp_path / ".jobs.yaml.genvid-batch"
    assert dies(folder, 0, 2, claims=2, finished=1) == [0, 1]  # job 0 finished, job 1 claimed, then a crash
    run = BatchRun(folder, rerun_rank, 2)
    run.join(JOBS)
    assert claim_all(run) == [0, 1, 2], "a new run: the dead run's claims and rows are not honoured"


def test_a_dead_process_claim_is_taken_over_within_a_live_run(tmp_path):
    folder = tmp_path / ".report.json.genvid-batch"
    a = BatchRun(folder, 0, 2)
    a.join(JOBS)
    assert dies(folder, 1, 2, claims=2, finished=1) == [0, 1]  # joins a's run, finishes 0, dies running 1
    assert claim_all(a) == [1, 2]
    for k in (1, 2):
        a.finish(k, row(k))
    reports = []
    assert a.leave(reports.append) == [row(0), row(1), row(2)] and len(reports) == 1
    assert folder.exists(), "the dead process never left: the next run starts afresh"
    again = BatchRun(folder, 1, 2)
    again.join(JOBS)
    assert claim_all(again) == [0, 1, 2]


def test_a_late_process_joins_the_finished_run(tmp_path):
    folder = tmp_path / ".report.json.genvid-batch"
    a = BatchRun(folder, 0, 2)
    a.join(JOBS)
    for k in claim_all(a):
        a.finish(k, row(k))
    reports = []
    assert a.leave(reports.append) is not None and len(reports) == 1 and folder.exists()
    late = BatchRun(folder, 1, 2)  # started after a finished every job and left
    late.join(JOBS)
    assert late.claim() is None and late.leave(reports.append) is None and len(reports) == 1
    assert not folder.exists()


@pytest.mark.parametrize("rank,world", [(0, 2), (2, 3)])
def test_another_batch_on_the_same_folder_is_refused(tmp_path, rank, world):
    folder = tmp_path / ".report.json.genvid-batch"
    BatchRun(folder, 0, 2).join(JOBS)
    with pytest.raises(GenvidError, match="another genvid batch is running"):
        BatchRun(folder, rank, world).join(JOBS)


def test_launch_place_reads_the_launcher_environment(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert launch_place() == (0, 1, 0)
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert launch_place() == (3, 4, 1)
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(GenvidError, match="does not fit"):
        launch_place()


def test_threads_of_two_processes_claim_each_job_once(tmp_path):
    """`--workers` threads in each of two processes, all claiming at once."""
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path / ".report.json.genvid-batch"
    jobs = [{"input": f"{k}.mp4", "output": f"out/{k}.mkv"} for k in range(40)]
    runs = [BatchRun(folder, r, 2) for r in (0, 1)]
    for run in runs:
        run.join(jobs)

    def work(run):
        got = []
        while (k := run.claim()) is not None:
            run.finish(k, {"output": jobs[k]["output"]})
            got.append(k)
        return got
    with ThreadPoolExecutor(4) as pool:
        claimed = [k for got in pool.map(work, runs * 2) for k in got]
    assert sorted(claimed) == list(range(40))
    reports = []
    # every job has a row: the first to leave writes the report, once
    assert [run.leave(reports.append) is None for run in runs] == [False, True] and len(reports) == 1
    assert [r["output"] for r in reports[0]] == [j["output"] for j in jobs]
