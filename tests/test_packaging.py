"""A built wheel carries the shipped weights: `genvid models` and `genvid enhance` work from any folder."""
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, make_clip

pytestmark = pytest.mark.slow  # builds and installs a wheel, then runs it in fresh processes


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built as a wheel and installed, without dependencies, into a folder of its own."""
    root = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(root / "dist"), str(REPO)], capture_output=True, text=True)
    if build.returncode and "No module named pip" in build.stderr:
        pytest.skip("pip is not installed in this environment")
    assert build.returncode == 0, build.stderr
    wheel = next((root / "dist").glob("genvid-*.whl"))
    target = root / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                        str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return target


def run_installed(target, cwd, *args):
    # the installed copy first; the rest of sys.path (torch and the other dependencies) after it, the
    # repository itself left out
    paths = [str(target)] + [p for p in sys.path if p and os.path.abspath(p) != str(REPO)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONSAFEPATH": "1"}
    env.pop("GENVID_WEIGHTS", None)
    return subprocess.run([sys.executable, "-m", "genvid", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_wheel_holds_the_weights_and_lists_them_from_another_folder(installed, tmp_path):
    assert (installed / "genvid" / "weights" / "sr-x4.safetensors").is_file()
    r = run_installed(installed, tmp_path, "models", "--json")
    assert r.returncode == 0, r.stderr
    models = {m["name"]: m for m in json.loads(r.stdout)}
    assert "sr-x4" in models and str(installed) in models["sr-x4"]["path"]


def test_installed_enhance_runs_outside_the_repository(installed, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", frames=3, size="32x24")
    r = run_installed(installed, tmp_path, "enhance", "in.mp4", "out.mkv", "--quiet", "--codec", "ffv1")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out.mkv").stat().st_size > 0 and clip.exists()
