"""baselines.py: the harness checked against the bare programs.

These run the real binaries at tiny sizes (--quick): they check that every row
runs and that the table says what the runs measured, not how fast anything is.
"""

import json
import signal
import subprocess
import time

import pytest

from conftest import BUILD, REPO_BUILD, SCRIPTS, copy_fixture, fake_commands, run_script
from processes import check_interrupted, cmdline, descendants


def baselines(*args):
    return run_script("baselines.py", *args, timeout=600)


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


def test_the_report_shows_the_table_beside_its_run(tmp_path):
    copy_fixture(tmp_path, traces=False)
    rows = [{"name": "sleep/coroutine_loop/tasks:1000000/wait_ms:100", "model": "coroutine_loop",
             "workload": "sleep", "params": {"tasks": 1000000, "wait_ms": 100}, "error": "",
             "bare": {"makespan_s": 0.8, "mem_per_task_bytes": 736.0, "tasks": 1000000, "checksum": 7},
             "simul": {"makespan_s": 0.84, "mem_per_task_bytes": 768.0, "tasks": 1000000, "checksum": 7},
             "makespan_ratio": 1.05, "mem_ratio": 768 / 736, "checksums_agree": True},
            {"name": "sleep/thread_per_task/tasks:10000/wait_ms:100", "model": "thread_per_task",
             "workload": "sleep", "params": {}, "error": "simul-bench exited 1: boom"}]
    (tmp_path / "baselines.json").write_text(json.dumps({"repetitions": 3, "quick": False, "rows": rows}))
    out = run_script("report.py", tmp_path / "run.json")
    assert out.returncode == 0, out.stderr
    report = (tmp_path / "REPORT.md").read_text()
    section = report[report.index("## The harness, checked"):]
    assert "| `sleep/coroutine_loop/tasks:1000000/wait_ms:100` | 0.800 s | 0.840 s | 1.050 | 736 B | 768 B | 1.043 |" \
        in section
    assert "failed: simul-bench exited 1: boom" in section


def test_no_table_no_section(tmp_path):
    copy_fixture(tmp_path, traces=False)
    out = run_script("report.py", tmp_path / "run.json")
    assert out.returncode == 0, out.stderr
    assert "The harness, checked" not in (tmp_path / "REPORT.md").read_text()


@pytest.mark.skipif(not (REPO_BUILD / "simul-bench").exists(), reason=f"no build in {REPO_BUILD}")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_baselines_sh_stops_the_run_in_one_line(tmp_path, sig):
    # Before, SIGTERM killed only the shell (baselines.py and simul-bench ran
    # on), SIGINT waited for the whole run, and Ctrl-C printed a traceback.
    env = fake_commands(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    p = subprocess.Popen(["bash", str(SCRIPTS / "baselines.sh"), "--out", str(out), "--repetitions", "3"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=env)
    try:
        deadline = time.monotonic() + 60
        under = []
        while time.monotonic() < deadline and not any("simul-bench" in cmdline(q) or "bare-" in cmdline(q)
                                                      for q in under):
            time.sleep(0.1)
            under = descendants(p.pid)
        assert under, "baselines.py never started a run"
        p.send_signal(sig)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    check_interrupted(p, under, sig)
    assert not (out / "baselines.json").exists()
