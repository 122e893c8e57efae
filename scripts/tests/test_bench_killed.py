"""bench.sh when simul-bench is killed mid-case (kill -9): it must return and
say the run failed. It used to hang for good: the delay server outlived
simul-bench and held the pipe to tee open."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_BUILD, SCRIPTS
from processes import descendants

RESULTS = SCRIPTS.parent / "results"


def name_of(pid):
    try:
        return (Path("/proc") / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


@pytest.mark.skipif(not (REPO_BUILD / "simul-bench").exists(),
                    reason="needs the release build (scripts/test.sh builds it first)")
def test_bench_sh_returns_and_reports_when_simul_bench_is_killed():
    before = set(os.listdir(RESULTS)) if RESULTS.exists() else set()
    # One fetch case whose requests take a minute: killed long before it ends.
    bench = subprocess.Popen(
        ["bash", str(SCRIPTS / "bench.sh"), "--benchmark_filter=^fetch/coroutine_loop/tasks:10/",
         "--models=coroutine_loop", "--arrival=burst", "--set=delay_ms:60000", "--budget=1000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        victim = None
        deadline = time.monotonic() + 300  # bench.sh may build simul-bench first
        while victim is None and time.monotonic() < deadline and bench.poll() is None:
            below = [(pid, name_of(pid)) for pid in descendants(bench.pid)]
            if any(name.startswith("simul-delay") for _, name in below):  # the case is running
                victim = next(pid for pid, name in below if name == "simul-bench")
            else:
                time.sleep(0.1)
        assert victim is not None, "simul-bench never started its fetch case"
        os.kill(victim, signal.SIGKILL)
        out, _ = bench.communicate(timeout=60)  # hung for good before the fix
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.wait()
        for made in (set(os.listdir(RESULTS)) if RESULTS.exists() else set()) - before:
            shutil.rmtree(RESULTS / made, ignore_errors=True)
    assert bench.returncode != 0, out
    assert "simul-bench failed" in out, out
