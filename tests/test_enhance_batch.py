"""genvid batch: globs and patterns, a broken input fails alone, a rerun skips finished outputs."""
import json
import os
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, launch_two
from genvid.enhance.batch import expand_jobs
from genvid.errors import GenvidError
from genvid.io.probe import probe


def write_jobs(folder, spec):
    path = folder / "jobs.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture
def batch(cli):
    """`genvid batch ARGS` in this process (the `cli` fixture; GENVID_WEIGHTS is set by the model fixtures)."""
    return lambda *args: cli("batch", *args)


def test_glob_and_pattern_expansion(clip_maker, tmp_path):
    (tmp_path / "clips").mkdir()
    for n in ("a", "b"):
        clip_maker(f"clips/{n}.mp4", size="32x32", frames=2)
    jobs = write_jobs(tmp_path, {"defaults": {"model": "tiny-x4", "crf": 20},
                                 "jobs": [{"input": "clips/*.mp4", "output": "out/{stem}_x4.mkv", "crf": 16}]})
    expanded = expand_jobs(jobs)
    assert [j["output"] for j in expanded] == [str(tmp_path / "out" / "a_x4.mkv"), str(tmp_path / "out" / "b_x4.mkv")]
    assert expanded[0]["options"] == {"model": "tiny-x4", "crf": 16}


def test_a_literal_input_fills_the_output_pattern(clip_maker, tmp_path):
    clip_maker("intro.mp4", size="32x32", frames=1)
    jobs = write_jobs(tmp_path, {"jobs": [{"input": "intro.mp4", "output": "out/{stem}_x4.mp4"},
                                          {"input": "intro.mp4", "output": "out/{name}.mkv"},
                                          {"input": "intro.mp4", "output": "out/{{braces}}.mkv"}]})
    assert [j["output"] for j in expand_jobs(jobs)] == [str(tmp_path / "out" / n) for n in
                                                        ("intro_x4.mp4", "intro.mp4.mkv", "{braces}.mkv")]


def test_a_glob_that_matches_nothing_is_a_failed_job(clip_maker, tiny_model_dir, tmp_path, batch):
    clip_maker("a.mp4", size="32x32", frames=2)
    jobs = write_jobs(tmp_path, {"defaults": {"model": "tiny-x4"},
                                 "jobs": [{"input": "reels/*.mp4", "output": "out/{stem}.mkv"},
                                          {"input": "a.mp4", "output": "out/{stem}.mkv"}]})
    report = tmp_path / "report.json"
    r = batch(jobs, "--report", report)
    assert r.returncode == 1, r.stderr
    rows = json.loads(report.read_text())["jobs"]
    assert [row["status"] for row in rows] == ["failed", "done"]
    assert rows[0]["error"] == f"job 1: no file matches reels/*.mp4 (in {tmp_path}); check the pattern and the folder"
    assert rows[0]["input"] == str(tmp_path / "reels" / "*.mp4")
    assert rows[1]["output"] == str(tmp_path / "out" / "a.mkv")
    assert "1 done, 0 skipped, 1 failed" in r.stdout and "no file matches reels/*.mp4" in r.stderr


@pytest.mark.parametrize("spec,pattern", [
    ({"jobs": [{"input": "x.mp4", "output": "x.mp4"}]}, "replace its input"),
    ({"jobs": [{"input": "x.mp4", "output": "clips/../x.mp4"}]}, "replace its input"),
    ({"jobs": [{"input": "clips/*/../../*.mp4", "output": "o/{stem}.mp4"}]}, "outside"),
    ({"jobs": [{"input": "clips/*.mp4", "output": "o/{stem}/../../{name}"}]}, "outside"),
    ({"jobs": [{"input": "clips/.*.mp4", "output": "o/{stem}/x.mkv"}]}, "outside"),  # matches ...mp4, whose stem is ..
    ({"jobs": [{"input": "clips/*.mp4", "output": "o/{size}.mkv"}]}, "only {stem} and {name}"),
    ({"jobs": [{"input": "x.mp4", "output": "y.mp4"}, {"input": "y.mp4", "output": "z.mp4"}]}, "input of another job"),
    ({"jobs": [{"input": "x.mp4", "output": "o.mp4", "colour": 1}]}, "unknown option"),
    ({"jobs": [{"input": "x.mp4", "output": "o.mp4"}, {"input": "y.mp4", "output": "o.mp4"}]}, "own output"),
    ({"defaults": {}}, "no `jobs:` list"),
])
def test_bad_job_files(spec, pattern, clip_maker, tmp_path):
    (tmp_path / "clips" / "sub").mkdir(parents=True)
    clip_maker("x.mp4", size="32x32", frames=1)
    clip_maker("escaped.mp4", size="32x32", frames=1)
    clip_maker("clips/a.mp4", size="32x32", frames=1)
    if "{stem}/x.mkv" in str(spec):
        clip_maker("clips/...mp4", size="32x32", frames=1)
    with pytest.raises(GenvidError, match=pattern):
        expand_jobs(write_jobs(tmp_path, spec))


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_output_linked_to_its_input_is_refused(link, clip_maker, tmp_path):
    src = clip_maker("x.mp4", size="32x32", frames=1)
    (os.symlink if link == "symlink" else os.link)(src, tmp_path / "same.mp4")
    with pytest.raises(GenvidError, match="replace its input"):
        expand_jobs(write_jobs(tmp_path, {"jobs": [{"input": "x.mp4", "output": "same.mp4"}]}))


def test_failure_is_isolated_and_rerun_skips(clip_maker, tiny_model_dir, tmp_path, batch):
    clip_maker("good.mp4", size="32x32", frames=3)
    (tmp_path / "broken.mp4").write_bytes(b"\0" * 1000)
    jobs = write_jobs(tmp_path, {"defaults": {"model": "tiny-x4"},
                                 "jobs": [{"input": "broken.mp4", "output": "out/broken.mp4"},
                                          {"input": "good.mp4", "output": "out/good.mp4"}]})
    report = tmp_path / "report.json"
    r = batch(jobs, "--report", report, "--json-progress")
    assert r.returncode == 1
    assert list(json.loads(report.read_text())) == ["jobs"]
    rows = json.loads(report.read_text())["jobs"]
    assert all(list(row) == ["input", "output", "status", "error", "frames", "seconds", "tile"] for row in rows)
    assert rows[0]["tile"] is None and rows[1]["tile"] == 0  # the tile a done job ended with (0: whole frames)
    assert [row["status"] for row in rows] == ["failed", "done"]
    assert "broken.mp4" in rows[0]["error"] and rows[1]["frames"] == 3
    assert probe(tmp_path / "out" / "good.mp4").frame_count == 3
    assert not (tmp_path / "out" / "broken.mp4").exists()
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert {"start", "progress", "done", "failed"} <= {e["event"] for e in events}
    again = batch(jobs, "--report", report)
    assert again.returncode == 1
    assert [row["status"] for row in json.loads(report.read_text())["jobs"]] == ["failed", "skipped"]


@pytest.mark.slow
def test_two_processes_split_jobs_and_merge_one_report(clip_maker, tiny_model_dir, tmp_path):
    for n in "abc":
        clip_maker(f"{n}.mp4", size="32x32", frames=2)
    jobs = write_jobs(tmp_path, {"defaults": {"model": "tiny-x4"},
                                 "jobs": [{"input": "*.mp4", "output": "out/{stem}.mkv"}]})
    report = tmp_path / "report.json"
    env = dict(os.environ, GENVID_WEIGHTS=str(tiny_model_dir), OMP_NUM_THREADS="1")
    r = subprocess.run([*launch_two(), "batch", str(jobs), "--report", str(report), "--json-progress"],
                       capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rows = json.loads(report.read_text())["jobs"]
    assert [row["status"] for row in rows] == ["done"] * 3
    assert [os.path.basename(row["output"]) for row in rows] == ["a.mkv", "b.mkv", "c.mkv"]
    assert {json.loads(line)["process"] for line in r.stdout.splitlines()} == {0, 1}
    assert not list(tmp_path.glob("*.part*"))


def test_rerun_resumes_an_interrupted_job(clip_maker, tiny_model_dir, tmp_path, batch):
    import genvid
    from genvid.enhance.workdir import WorkFolder
    from genvid.io.decode import read_frames

    src = clip_maker("long.mp4", size="48x32", frames=40, audio=True)
    options = {"model": "tiny-x4", "codec": "ffv1", "segment_frames": 5}
    whole = tmp_path / "whole.mkv"
    genvid.enhance(src, whole, quiet=True, **options)
    out = tmp_path / "out" / "long.mkv"
    out.parent.mkdir()

    def interrupt(done, total):
        if done == 20:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        genvid.enhance(src, out, quiet=True, progress=interrupt, **options)
    assert WorkFolder(out).path.exists() and not out.exists()
    jobs = write_jobs(tmp_path, {"defaults": options, "jobs": [{"input": "long.mp4", "output": "out/long.mkv"}]})
    report = tmp_path / "report.json"
    r = batch(jobs, "--report", report, "--json-progress")
    assert r.returncode == 0, r.stderr
    done = [e for e in map(json.loads, r.stdout.splitlines()) if e["event"] == "done"]
    assert len(done) == 1 and 5 <= done[0]["resumed_from"] <= 20
    assert json.loads(report.read_text())["jobs"][0]["status"] == "done"
    a, b = read_frames(out), read_frames(whole)
    assert len(a) == len(b) == 40 and all((x == y).all() for x, y in zip(a, b))
    assert not WorkFolder(out).path.exists()


def test_jobs_run_chains_with_noise_level_options(clip_maker, tiny_denoise_dir, tmp_path, batch):
    clip_maker("a.mp4", size="32x24", frames=3)
    jobs = write_jobs(tmp_path, {"defaults": {"model": "tiny-dn,tiny-x4", "sigma": 15},
                                 "jobs": [{"input": "a.mp4", "output": "out/a.mkv"},
                                          {"input": "a.mp4", "output": "out/b.mkv", "model": ["tiny-dn", "tiny-x4"],
                                           "strength": 0.5},
                                          {"input": "a.mp4", "output": "out/c.mkv", "model": "tiny-x4"}]})
    report = tmp_path / "report.json"
    r = batch(jobs, "--report", report)
    rows = json.loads(report.read_text())["jobs"]
    assert [row["status"] for row in rows] == ["done", "done", "failed"] and r.returncode == 1
    assert "no noise-level input" in rows[2]["error"], "--sigma on a chain without a denoiser is refused"
    info = probe(tmp_path / "out" / "b.mkv")
    assert (info.width, info.height, info.frame_count) == (128, 96, 3)


@pytest.mark.slow
def test_two_processes_claim_jobs_dynamically_without_a_collective(clip_maker, tiny_model_dir, tmp_path):
    """Two processes of one launch (RANK/WORLD_SIZE as torchrun sets them, no process group) on one long job
    and several short ones: the process not on the long job runs every short one, each job runs once, and the
    process that finishes last writes one report of all of them."""
    clip_maker("long.mp4", size="128x96", frames=150)
    for n in "abcd":
        clip_maker(f"short_{n}.mp4", size="32x32", frames=1)
    jobs = write_jobs(tmp_path, {"defaults": {"model": "tiny-x4"},
                                 "jobs": [{"input": "long.mp4", "output": "out/long.mkv"},
                                          {"input": "short_*.mp4", "output": "out/{stem}.mkv"}]})
    report = tmp_path / "report.json"
    procs = []
    for rank in (0, 1):
        env = dict(os.environ, GENVID_WEIGHTS=str(tiny_model_dir), OMP_NUM_THREADS="1", RANK=str(rank),
                   LOCAL_RANK=str(rank), WORLD_SIZE="2", LOCAL_WORLD_SIZE="2")
        procs.append(subprocess.Popen([sys.executable, "-m", "genvid", "batch", str(jobs), "--report", str(report),
                                       "--json-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      cwd=REPO, env=env))
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    events = [json.loads(line) for out, _ in outs for line in out.splitlines()]
    ends = [e for e in events if e["event"] in ("done", "skipped", "failed")]
    assert sorted(os.path.basename(e["output"]) for e in ends) == ["long.mkv"] + [f"short_{n}.mkv" for n in "abcd"]
    assert all(e["event"] == "done" for e in ends), ends
    by = {os.path.basename(e["output"]): e["process"] for e in ends}
    assert {by[f"short_{n}.mkv"] for n in "abcd"} == {1 - by["long.mkv"]}, by
    rows = json.loads(report.read_text())["jobs"]
    assert [os.path.basename(row["output"]) for row in rows] == ["long.mkv"] + [f"short_{n}.mkv" for n in "abcd"]
    assert [row["status"] for row in rows] == ["done"] * 5 and rows[0]["frames"] == 150
    for row in rows:  # the report holds the rows the processes reported as they finished
        assert row == {k: v for k, v in next(e for e in ends if e["output"] == row["output"]).items() if k in row}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "the meeting folder is removed"
