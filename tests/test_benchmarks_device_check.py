"""The GPU device check, dry-run on the CPU at tiny sizes: it runs start to end and writes every part."""
import json
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # the whole check in a process: pytest -m gpu, speed runs, training steps


def test_dry_run_writes_every_part(tmp_path):
    out = tmp_path / "check.json"
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "device_check.py"), "--dry-run", "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(out.read_text())
    for part in ("machine", "matmul", "gpu_tests", "speed_sr-x4", "training"):
        assert "error" not in result[part], (part, result[part])
    assert result["gpu_tests"]["returncode"] == 0 and "skipped" in result["gpu_tests"]["summary"]
    speed = result["speed_sr-x4"]
    assert speed["frames"] == 3 and speed["model_only_fps"] > 0 and speed["end_to_end_fps"] > 0
    assert speed["max_diff_from_fp32_levels"] == 0  # fp32 on the CPU against itself
    assert result["training"]["steps"] == 2 and result["matmul"]["tflops"] > 0
