"""bench.sh's promises about results (issue 10, items 5 to 8), driven with a
fake simul-bench (fake_simul_bench.py) through SIMUL_BENCH, into a results
folder of the test's own through SIMUL_RESULTS."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SCRIPTS, TESTS

FAKE = TESTS / "fake_simul_bench.py"


@pytest.fixture
def env(tmp_path):
    wrapper = tmp_path / "simul-bench"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    wrapper.chmod(0o755)
    results = tmp_path / "results"
    return dict(os.environ, SIMUL_BENCH=str(wrapper), SIMUL_RESULTS=str(results)), results


def bench(env, *args, **kw):
    return subprocess.run(["bash", str(SCRIPTS / "bench.sh"), *args], env=env, capture_output=True, text=True,
                          timeout=300, **kw)


def folders(results):
    return sorted(p.name for p in results.iterdir()) if results.exists() else []


def test_a_complete_run_is_promoted_with_traces_flag_and_report(env):
    e, results = env
    done = bench(e)
    assert done.returncode == 0, done.stderr
    run = results / os.readlink(results / "latest")
    assert (run / "run.json").is_file() and (run / "REPORT.md").is_file()
    assert not [n for n in folders(results) if n.endswith(".partial")]


@pytest.mark.parametrize("args", [["--list"], ["--help"], ["--benchmark_filter=nothing"]])
def test_list_help_and_a_filter_matching_nothing_make_no_folder(env, args):
    e, results = env
    results.mkdir()
    (results / "latest").symlink_to("earlier")
    done = bench(e, *args)
    assert done.returncode == (2 if "nothing" in args[0] else 0), done.stderr
    assert folders(results) == ["latest"]
    assert os.readlink(results / "latest") == "earlier"
    if "nothing" in args[0]:
        assert "no case matches" in done.stderr
    if args == ["--help"]:  # bench.sh's own flags, then simul-bench's
        assert done.stdout.startswith("The main job: install what is missing")
        assert "--netns: two hosts on one machine" in done.stdout
        assert done.stdout.endswith("usage: fake simul-bench\n")


def test_an_incomplete_json_is_not_promoted(env):
    e, results = env
    results.mkdir()
    (results / "latest").symlink_to("earlier")
    done = bench(dict(e, FAKE_MODE="truncated"))
    assert done.returncode != 0
    assert "not valid JSON" in done.stderr and "not promoted" in done.stderr  # the cause, named
    assert os.readlink(results / "latest") == "earlier"
    partial = [n for n in folders(results) if n.endswith(".partial")]
    assert len(partial) == 1 and (results / partial[0] / "run.json").stat().st_size == 4096
    assert folders(results) == sorted(["latest"] + partial)


@pytest.mark.parametrize("flag", ["--benchmark_out=x.json", "--benchmark_out_format=csv",
                                  "--benchmark_report_aggregates_only=true"])
def test_flags_that_fight_bench_sh_are_refused_with_one_line(env, flag):
    e, results = env
    done = bench(e, flag)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and flag.split("=")[0] in done.stderr
    assert folders(results) == []


def test_runs_started_in_the_same_second_get_their_own_folders(env, tmp_path):
    e, results = env
    # A date that always says the same second, for the folder name only.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "date").write_text('#!/bin/sh\n[ "$*" = "-u +%Y%m%dT%H%M%SZ" ] && { echo 20990101T000000Z; exit 0; }\n'
                                   'exec /bin/date "$@"\n')
    (fake_bin / "date").chmod(0o755)
    e = dict(e, PATH=f"{fake_bin}:{e['PATH']}")
    for _ in range(2):
        done = bench(e)
        assert done.returncode == 0, done.stderr
    assert folders(results) == ["20990101T000000Z", "20990101T000000Z-1", "latest"]
    assert os.readlink(results / "latest") == "20990101T000000Z-1"
    for name in folders(results)[:2]:
        assert (results / name / "run.json").is_file()


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is due


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_bench_sh_stops_simul_bench_and_its_helpers(env, tmp_path, sig):
    e, results = env
    results.mkdir()
    (results / "latest").symlink_to("earlier")
    pids = tmp_path / "pids"
    proc = subprocess.Popen(["bash", str(SCRIPTS / "bench.sh")], env=dict(e, FAKE_MODE="hang", FAKE_PIDS=str(pids)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # until the fake has started its helper (a guard, not a timing)
            if pids.exists() and pids.read_text().endswith("\n"):
                break
            time.sleep(0.1)
        fake, helper = map(int, pids.read_text().split())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        if pids.exists() and len(pids.read_text().split()) == 2:  # a failed test leaves no sleeper behind
            for pid in map(int, pids.read_text().split()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    assert proc.returncode == 128 + sig, err
    assert "interrupted" in err
    for _ in range(100):
        if not alive(fake) and not alive(helper):
            break
        time.sleep(0.1)
    assert not alive(fake) and not alive(helper)
    assert os.readlink(results / "latest") == "earlier"
    assert len([n for n in folders(results) if n.endswith(".partial")]) == 1
