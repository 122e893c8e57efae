"""baselines.py: the harness checked against the bare programs.

These run the real binaries at tiny sizes (--quick): they check that every row
runs and that the table says what the runs measured, not how fast anything is.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("SIMUL_BUILD_DIR", SCRIPTS.parent / "build" / "release")).resolve()


def baselines(*args):
    return subprocess.run([sys.executable, str(SCRIPTS / "baselines.py"), *args],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (BUILD / "simul-bench").exists(), reason=f"no build in {BUILD}")
def test_every_row_runs_and_the_table_holds_its_ratios(tmp_path):
    out = baselines("--build", str(BUILD), "--out", str(tmp_path), "--quick", "--repetitions", "1")
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "baselines.json").read_text())
    names = [r["name"] for r in doc["rows"]]
    for model in ("sequential", "thread_per_task", "thread_pool:256", "coroutine_loop"):
        assert f"sleep/{model}/tasks:20/wait_ms:5" in names
    assert any(n.startswith("chess/coroutine_loop/") for n in names)
    for r in doc["rows"]:
        assert r["error"] == ""
        assert r["checksums_agree"], r
        assert r["bare"]["tasks"] == r["simul"]["tasks"]
        assert r["makespan_ratio"] == pytest.approx(r["simul"]["makespan_s"] / r["bare"]["makespan_s"])
    table = (tmp_path / "baselines.md").read_text()
    assert table.count("| `") == len(doc["rows"])
    assert "simul ÷ bare" in table


def test_a_missing_build_is_a_usage_error(tmp_path):
    out = baselines("--build", str(tmp_path), "--out", str(tmp_path))
    assert out.returncode == 2
    assert "not in" in out.stderr and out.stderr.count("\n") == 1
    assert not (tmp_path / "baselines.json").exists()


def test_an_out_that_is_not_a_folder_is_a_usage_error(tmp_path):
    if not (BUILD / "simul-bench").exists():
        pytest.skip(f"no build in {BUILD}")
    out = baselines("--build", str(BUILD), "--out", str(tmp_path / "nowhere"))
    assert out.returncode == 2
    assert "is not a folder" in out.stderr
