"""Real clips from ../shared (skipped where it is missing): 5.1 audio survives enhancement untouched."""
import re

import genvid
from conftest import shared_path
from genvid.io.ffmpeg import run_ffmpeg
from genvid.io.probe import probe


def audio_line(path) -> str:
    r = run_ffmpeg(["-i", str(path)])
    return next(ln for ln in r.stderr.splitlines() if "Audio:" in ln)


def test_surround_audio_is_copied(tiny_model_dir, tmp_path):
    bbb = shared_path("data", "clips", "bigbuckbunny.mp4")
    src = tmp_path / "bbb.mp4"
    r = run_ffmpeg(["-v", "error", "-i", str(bbb), "-t", "1", "-vf", "scale=160:90", "-c:v", "libx264", "-crf", "12",
                    "-c:a", "copy", str(src)])
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out.mp4"
    genvid.enhance(src, out, "tiny-x4", quiet=True)
    before, after = audio_line(src), audio_line(out)
    assert "5.1" in after and "aac" in after
    # same sample rate, layout and bitrate: a stream copy, not a re-encode
    pick = lambda line: re.sub(r"^.*Audio: ", "", line)  # noqa: E731
    assert pick(before) == pick(after)
    assert probe(out).frame_count == probe(src).frame_count
