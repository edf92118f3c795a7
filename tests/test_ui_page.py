"""genvid.ui.page: the page's handlers without gradio or a browser, and the `genvid ui` command."""
from __future__ import annotations

import sys

import pytest

from genvid.cli.main import build_parser, main
from genvid.ui.page import Page, job_line, queue_html


@pytest.fixture
def page(tmp_path, tiny_model_dir):
    root = tmp_path / "root"
    root.mkdir()
    p = Page([root], tmp_path / "state", device="cpu")
    yield p
    p.queue.close()


def test_open_preview_run_and_offer_the_result(page, clip_maker):
    root = page.guard.roots[0]
    clip = clip_maker("in.mp4", size="48x32", frames=5, audio=True)
    (root / "in.mp4").write_bytes(clip.read_bytes())
    opened = page.open_path("in.mp4", ["tiny-x4"])
    assert opened["message"] == "" and opened["source"] == "in.mp4" and opened["output"] == "in_tiny-x4.mp4"
    assert "| size | 48x32 |" in opened["info"]
    assert page.models_changed("in.mp4", ["sr-x4", "tiny-x4"])["output"] == "in_sr-x4_tiny-x4.mp4"
    shown = page.preview("in.mp4", ["tiny-x4"], "1", "", "bicubic", 2, 0, "auto")
    assert shown["message"] == "" and len(shown["gallery"]) == 2 and "Preview of frames 1" in shown["preview_note"]
    added = page.add_job("in.mp4", ["tiny-x4"], "in_tiny-x4.mp4", 0, "auto", "libx264", 20)
    assert added["message"] == "Job 0001 queued: in_tiny-x4.mp4" and added["job"]["value"] == "0001"
    assert page.queue.wait_idle(60)
    tick = page.refresh("0001", [], None)
    assert tick["message"] == "" and tick["known"] == ["0001"] and tick["shown"] == "0001"
    assert tick["result"].startswith(str(page.cache)) and "job-done" in tick["queue"]
    assert page.refresh("0001", ["0001"], "0001").keys() == {"message", "queue"}  # nothing new: no updates
    again = page.add_job("in.mp4", ["tiny-x4"], "in_tiny-x4.mp4", 0, "auto", "libx264", 20)
    assert again["message"] == "Error: in_tiny-x4.mp4 exists; choose another output name"


def test_errors_are_one_line(page, clip_maker, monkeypatch, capsys):
    assert page.open_path("/etc/passwd", ["tiny-x4"])["message"].startswith("Error: /etc/passwd is outside")
    assert page.stop(None) == {"message": "Error: choose a job to stop"}
    assert page.resume("0042")["message"] == "Error: no job 0042 in the queue"
    assert page.preview("", ["tiny-x4"], "", "", "nearest", 1, 0, "auto")["message"].startswith("Error: no path")
    (page.guard.roots[0] / "c.mp4").write_bytes(clip_maker(size="48x32", frames=2).read_bytes())
    assert page.preview("c.mp4", [], "", "", "nearest", 1, 0, "auto")["message"] == (
        "Error: pick a model (or several, in the order they run)")
    assert page.preview("c.mp4", ["tiny-x4"], "", "", "nearest", 1, "x", "auto")["message"] == (
        "Error: tile must be a whole number, got 'x'")

    def boom(*a, **k):
        raise RuntimeError("something\nunexpected")
    monkeypatch.setattr("genvid.ui.page.probe", boom)
    out = page.open_path("c.mp4", ["tiny-x4"])
    assert out == {"message": "Error: RuntimeError: something unexpected"}
    assert "Traceback" in capsys.readouterr().err  # the server's log keeps it


def test_queue_table_and_progress_line():
    job = {"id": "0003", "input": "/a/in<1>.mp4", "output": "/b/out.mp4", "options": {"model": "sr-x4"},
           "status": "running", "frames": 30, "total": 120, "fps": 4.5, "eta": 20.0, "error": None, "note": None}
    assert job_line(job) == "30/120 frames · 4.50 fps · ETA 0:20"
    table = queue_html([job])
    assert 'class="job job-running"' in table and "in&lt;1&gt;.mp4" in table and 'value="30"' in table
    assert job_line({**job, "status": "queued", "fps": None, "total": None, "frames": 0}) == "0 frames"
    assert "No jobs yet" in queue_html([])


def test_the_ui_command_is_registered_and_says_when_gradio_is_missing(monkeypatch, capsys):
    args = build_parser().parse_args(["ui", "--root", "a", "--root", "b", "--port", "7999"])
    assert (args.root, args.port, args.host) == (["a", "b"], 7999, "127.0.0.1")
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio raises ImportError
    assert main(["ui"]) == 2
    assert "genvid ui needs gradio: pip install 'genvid[ui]'" in capsys.readouterr().err
