"""baselines.py: the harness checked against the bare programs.

These run the real binaries at tiny sizes (--quick): they check that every row
runs and that the table says what the runs measured, not how fast anything is.
How many pairs a row runs, and its intervals, are checked on made-up runs.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import baselines as bl
from conftest import BUILD, REPO_BUILD, SCRIPTS, copy_fixture, fake_commands, run_script
from processes import alive, check_interrupted, cmdline, descendants


def baselines(*args):
    return run_script("baselines.py", *args, timeout=600)


def delay_server_pid(stderr):
    m = re.search(r"^delay server: pid (\d+), port \d+$", stderr, re.MULTILINE)
    assert m, stderr
    return int(m.group(1))


@pytest.mark.skipif(not (BUILD / "simul-bench").exists(), reason=f"no build in {BUILD}")
def test_every_row_runs_and_the_table_holds_its_ratios_and_intervals(tmp_path):
    out = baselines("--build", str(BUILD), "--out", str(tmp_path), "--quick")
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "baselines.json").read_text())
    assert doc["quick"] and doc["repetitions"] == bl.QUICK_PAIRS >= 3
    names = [r["name"] for r in doc["rows"]]
    for model in ("sequential", "thread_per_task", "thread_pool:256", "coroutine_loop", "coroutine_loop:2",
                  "shared_loop:2", "stackful_loop"):
        assert f"sleep/{model}/tasks:20/wait_ms:5" in names
    for model in ("sequential", "thread_per_task", "coroutine_loop"):
        assert f"fetch/{model}/tasks:20/delay_ms:5/bytes:256" in names
    assert any(n.startswith("chess/coroutine_loop/") for n in names)
    for r in doc["rows"]:
        assert r["error"] == ""
        assert r["checksums_agree"], r
        assert r["bare"]["tasks"] == r["simul"]["tasks"]
        assert r["repetitions"] == 3 and len(r["bare"]["runs"]) == len(r["simul"]["runs"]) == 3
        assert r["interval_coverage"] == pytest.approx(0.75)  # 3 pairs: the range, 75%
        ratios = sorted(s["makespan_s"] / b["makespan_s"] for b, s in zip(r["bare"]["runs"], r["simul"]["runs"]))
        assert r["makespan_ratio"] == pytest.approx(ratios[1])  # the median pair
        assert r["makespan_interval"] == pytest.approx([ratios[0], ratios[-1]])
        if r["mem_ratio"] is not None:
            assert r["mem_interval"][0] <= r["mem_ratio"] <= r["mem_interval"][1]
    table = (tmp_path / "baselines.md").read_text()
    assert table.count("| `") == len(doc["rows"])
    assert "simul ÷ bare" in table and ", n=3 (75%) |" in table
    # The delay server the fetch rows used is gone with the script.
    assert alive([delay_server_pid(out.stderr)]) == []


def test_every_kind_of_model_has_a_row():
    kinds = re.findall(r'\.name = "(\w+)"', (SCRIPTS.parent / "models" / "kinds.cpp").read_text())
    assert len(kinds) >= 6
    models = {m for m, _, _ in bl.ROWS}
    assert {k for k in kinds if any(m.partition(":")[0] == k for m in models)} == set(kinds)
    assert any(m.startswith("coroutine_loop:") for m in models)  # the loop per thread, as well as the loop
    for m, w, _ in bl.ROWS:  # and each row's bare program is in the tree
        kind, workload = bl.bare_program(m, w).removeprefix("bare-").rsplit("-", 1)
        assert (SCRIPTS.parent / "bench" / "baselines" / kind / f"{workload}.cpp").exists(), (m, w)


def fake_runs(monkeypatch, ratio_of_pair, run_s=0.0):
    """baselines.measure's runs made up: bare takes 1 s, simul ratio_of_pair(k) s in pair k (k = 0 for
    the unmeasured first run too). Each run takes run_s on the script's clock, and no time at all on the
    wall's. Returns the sizes the memory primer was asked for, in order."""
    pairs, primed = [], []
    now = [0.0]
    monkeypatch.setattr(bl, "time", type("clock", (), {"monotonic": staticmethod(lambda: now[0])}))
    monkeypatch.setattr(bl, "prime_memory", primed.append)

    def bare(command):
        now[0] += run_s
        return {"makespan_s": 1.0, "mem_per_task_bytes": 1000.0, "mem_peak_bytes": 1 << 30, "tasks": 10,
                "checksum": 7}

    def simul(build, model, workload, params):
        pairs.append(None)
        return dict(bare(None), makespan_s=ratio_of_pair(max(0, len(pairs) - 2)), mem_per_task_bytes=1010.0,
                    think_steps=None)
    monkeypatch.setattr(bl, "run_bare", bare)
    monkeypatch.setattr(bl, "run_simul", simul)
    monkeypatch.setattr(bl, "bare_command", lambda *a: ["bare"])
    return primed


def test_pairs_are_added_until_the_interval_is_within_3_percent(monkeypatch, capsys):
    rows = [("coroutine_loop", "sleep", {"tasks": 10})]
    fake_runs(monkeypatch, lambda k: 1.05)  # steady: 6 pairs give a 95% interval of width 0
    [row] = bl.measure(None, rows, None)
    assert row["repetitions"] == bl.MIN_PAIRS
    assert row["makespan_ratio"] == pytest.approx(1.05) and row["interval_coverage"] >= 0.95
    assert row["mem_ratio"] == pytest.approx(1.01) and row["mem_interval"] == pytest.approx([1.01, 1.01])
    # One wild pair in the first 6 (of 6 to 8 the interval is the range): 9 pairs drop it.
    fake_runs(monkeypatch, lambda k: 1.5 if k == 2 else 1.0 + 0.001 * k)
    [row] = bl.measure(None, rows, None)
    assert row["repetitions"] == 9
    lo, hi = row["makespan_interval"]
    assert lo <= row["makespan_ratio"] <= hi and hi / row["makespan_ratio"] - 1 <= 0.03
    # Never within ±3%. Runs that take no time: up to 100 pairs. Runs of 1 s: until the row's runs have
    # taken 2 minutes, 60 pairs. Runs of 2 s: 40 pairs, which took 160 s; and the plan grew as it went.
    never = lambda k: 1.0 + 0.1 * (k % 2)
    for run_s, pairs in ((0.0, bl.CHEAP_MAX_PAIRS), (1.0, 60), (2.0, bl.MAX_PAIRS)):
        fake_runs(monkeypatch, never, run_s)
        capsys.readouterr()
        [row] = bl.measure(None, rows, None)
        assert row["repetitions"] == pairs, run_s
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert progress[-1].startswith(f"[{2 * bl.MAX_PAIRS + 1}/{2 * bl.MAX_PAIRS + 1}] ")
    # The unmeasured run first: no pace yet, no time left.
    assert progress[0] == "[1/13] warm  sleep/coroutine_loop/tasks:10, pair 1"
    # At 2 s a run: 12 runs planned are 24 s; up to 40 pairs, 80 runs are 160 s.
    assert progress[1] == "[2/13] simul sleep/coroutine_loop/tasks:10, pair 1 (about 1 min left, up to 3)"
    assert progress[-1].endswith(", pair 40 (about 1 min left)")  # the cap reached: no more than planned
    assert progress[3].startswith("[4/13] bare  sleep/coroutine_loop/tasks:10, pair 2 ")  # bare first, alternating


def test_rows_take_turns_a_pair_a_round_in_an_order_the_seed_repeats(monkeypatch, capsys):
    rows = [("sequential", "sleep", {"tasks": 10}), ("coroutine_loop", "sleep", {"tasks": 10}),
            ("stackful_loop", "sleep", {"tasks": 10})]

    def order(seed):
        fake_runs(monkeypatch, lambda k: 1.0 + 0.1 * (k % 2))
        capsys.readouterr()
        results = bl.measure(None, rows, 4, seed=seed)
        assert [r["repetitions"] for r in results] == [4, 4, 4]
        err = capsys.readouterr().err
        assert "min left" in err and "up to" not in err  # 4 pairs each, known from the start
        lines = [line.split()[2] for line in err.splitlines() if line.startswith("[") and "] warm " not in line]
        return [name.split("/")[1].rstrip(",") for name in lines[::2]]  # a pair's two runs name one row

    first = order(7)
    for k in range(4):  # every row once a round, whatever the order
        assert sorted(first[3 * k:3 * k + 3]) == ["coroutine_loop", "sequential", "stackful_loop"]
    assert order(7) == first
    assert any(order(seed) != first for seed in (1, 2, 3))


def test_a_failing_row_is_said_and_the_others_go_on(monkeypatch, capsys):
    fake_runs(monkeypatch, lambda k: 1.0)

    def bare(command):
        if command == ["bare-broken"]:
            raise bl.sr.CaseRunError("bare-broken exited 1: boom")
        return {"makespan_s": 1.0, "mem_per_task_bytes": 1000.0, "mem_peak_bytes": 1 << 30, "tasks": 10,
                "checksum": 7}
    monkeypatch.setattr(bl, "run_bare", bare)
    monkeypatch.setattr(bl, "bare_command", lambda build, model, *a: ["bare-broken" if model == "sequential" else "b"])
    rows = [("sequential", "sleep", {"tasks": 10}), ("coroutine_loop", "sleep", {"tasks": 10})]
    broken, fine = bl.measure(None, rows, 3)
    assert broken["error"] == "bare-broken exited 1: boom" and "makespan_ratio" not in broken
    assert fine["error"] == "" and fine["repetitions"] == 3
    err = capsys.readouterr().err
    assert "  failed: sleep/sequential/tasks:10: bare-broken exited 1: boom" in err
    progress = [line for line in err.splitlines() if line.startswith("[")]
    # The broken row's unmeasured run, simul's and the bare one that failed; 1 + 6 runs of the other.
    assert progress[-1].startswith("[10/10] ")
    assert [r["at_s"] for r in fine["bare"]["runs"]] == sorted(r["at_s"] for r in fine["bare"]["runs"])


def test_each_run_follows_the_primer_sized_by_the_rows_largest_peak(monkeypatch, capsys):
    primed = fake_runs(monkeypatch, lambda k: 1.0)  # every fake run peaks at 1 GiB
    [row] = bl.measure(None, [("coroutine_loop", "sleep", {"tasks": 10})], 3)
    assert row["repetitions"] == 3
    # The unmeasured run knows no peak yet: the floor. Then 1.25 GiB and the floor, before each of the 6.
    assert primed == [bl.PRIME_FLOOR] + [(5 << 30) // 4 + bl.PRIME_FLOOR] * 6
    assert "] warm  sleep/coroutine_loop/tasks:10, pair 1" in capsys.readouterr().err


def test_the_primer_touches_the_memory_it_is_asked_for():
    """In a process of its own: its peak resident memory is over the primed size."""
    done = subprocess.run([sys.executable, "-c", "import resource, baselines; baselines.prime_memory(256 << 20); "
                           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                          cwd=SCRIPTS, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) * 1024 >= 256 << 20


def test_repetitions_force_exactly_k_pairs(monkeypatch):
    fake_runs(monkeypatch, lambda k: 1.0 + 0.1 * (k % 2))
    [row] = bl.measure(None, [("coroutine_loop", "sleep", {"tasks": 10})], 4)
    assert row["repetitions"] == 4 and row["interval_coverage"] == pytest.approx(0.875)
    assert row["makespan_interval"] == pytest.approx([1.0, 1.1])


def test_a_delay_server_that_does_not_start_is_stopped_and_said(tmp_path):
    pid_file = tmp_path / "pid"
    (tmp_path / "simul-delay-server").write_text(f"#!/bin/sh\necho $$ > {pid_file}\necho hello\nexec sleep 60\n")
    (tmp_path / "simul-delay-server").chmod(0o755)
    with pytest.raises(bl.DelayServerError, match="said 'hello'"):
        bl.start_delay_server(tmp_path)
    assert alive([int(pid_file.read_text())]) == []


@pytest.mark.skipif(not (BUILD / "simul-delay-server").exists(), reason=f"no build in {BUILD}")
def test_the_delay_server_dies_with_a_killed_script(tmp_path):
    # SIGKILL leaves no finally: the server asked the kernel to kill it with its parent.
    p = subprocess.Popen([sys.executable, str(SCRIPTS / "baselines.py"), "--build", str(BUILD), "--out", str(tmp_path),
                          "--quick"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        err = ""
        while "delay server: pid" not in err and p.poll() is None:
            err += p.stderr.readline()
        server = delay_server_pid(err)
        assert alive([server]) == [server]
        p.kill()
        p.wait()
        deadline = time.monotonic() + 10
        while alive([server]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert alive([server]) == []
    finally:
        os.killpg(p.pid, signal.SIGKILL)  # the run it had started, orphaned by the SIGKILL
        p.wait()


@pytest.mark.skipif(not (BUILD / "simul-bench").exists(), reason=f"no build in {BUILD}")
def test_rows_runs_only_the_rows_it_names(tmp_path):
    out = baselines("--build", str(BUILD), "--out", str(tmp_path), "--quick", "--repetitions", "1",
                    "--rows", "^fetch/(sequential|coroutine_loop)/")
    assert out.returncode == 0, out.stderr
    doc = json.loads((tmp_path / "baselines.json").read_text())
    assert [r["model"] for r in doc["rows"]] == ["sequential", "coroutine_loop"]
    assert all(r["workload"] == "fetch" and not r["error"] and r["checksums_agree"] for r in doc["rows"])


@pytest.mark.parametrize("rows, said", [("^nothing/", "matches no row"), ("(", "not a regular expression")])
def test_rows_that_match_nothing_or_do_not_parse_are_usage_errors(tmp_path, rows, said):
    out = baselines("--build", str(tmp_path), "--out", str(tmp_path), "--rows", rows)
    assert out.returncode == 2
    assert said in out.stderr
    assert not (tmp_path / "baselines.json").exists()


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


def test_the_report_gives_each_ratio_its_interval_and_pairs(tmp_path):
    copy_fixture(tmp_path, traces=False)
    side = {"makespan_s": 0.2, "mem_per_task_bytes": 750.0, "mem_peak_bytes": 7.5e7, "tasks": 100000, "checksum": 7}
    rows = [{"name": "sleep/shared_loop:2/tasks:100000/wait_ms:100", "model": "shared_loop:2", "workload": "sleep",
             "params": {"tasks": 100000, "wait_ms": 100}, "error": "", "bare": side, "simul": side,
             "repetitions": 7, "makespan_ratio": 1.013, "makespan_interval": [0.998, 1.027],
             "interval_coverage": 0.984, "mem_ratio": 1.004, "mem_interval": [1.001, 1.008],
             "checksums_agree": True},
            {"name": "sleep/coroutine_loop/tasks:20/wait_ms:5", "model": "coroutine_loop", "workload": "sleep",
             "params": {}, "error": "", "bare": side, "simul": side, "repetitions": 3, "makespan_ratio": 1.1,
             "makespan_interval": [1.0, 1.2], "interval_coverage": 0.75, "mem_ratio": None, "mem_interval": None,
             "checksums_agree": True}]
    (tmp_path / "baselines.json").write_text(json.dumps({"repetitions": None, "quick": False, "rows": rows}))
    out = run_script("report.py", tmp_path / "run.json")
    assert out.returncode == 0, out.stderr
    section = (tmp_path / "REPORT.md").read_text().split("## The harness, checked")[1]
    assert "| 1.013 [0.998, 1.027], n=7 | 750 B | 750 B | 1.004 [1.001, 1.008] | equal |" in section
    assert "| 1.100 [1.000, 1.200], n=3 (75%) |" in section
    assert "95% interval" in section and f"up to {bl.MAX_PAIRS}" in section


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
        assert any("simul-delay-server" in cmdline(q) for q in under)  # for the fetch rows; stopped too
        p.send_signal(sig)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    check_interrupted(p, under, sig)
    assert not (out / "baselines.json").exists()


def test_compare_says_which_rows_agree_overlap_or_moved(tmp_path):
    def row(name, ratio, lo, hi):
        return {"name": name, "error": "", "makespan_ratio": ratio, "makespan_interval": [lo, hi],
                "repetitions": 6, "interval_coverage": 0.97}
    old = [row("a", 1.00, 0.98, 1.02), row("b", 1.00, 0.98, 1.02), row("c", 1.00, 0.98, 1.02),
           row("gone", 1.0, 0.9, 1.1)]
    new = [row("a", 1.01, 0.99, 1.03), row("b", 1.04, 1.01, 1.06), row("c", 1.10, 1.05, 1.12),
           row("added", 1.0, 0.9, 1.1)]
    for folder, rows in (("run1", old), ("run2", new)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "baselines.json").write_text(json.dumps({"rows": rows}))
    out = baselines("--compare", str(tmp_path / "run1" / "baselines.json"), str(tmp_path / "run2" / "baselines.json"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "| case | run1 | run2 | |"
    assert "| `a` | 1.000 [0.980, 1.020], n=6 | 1.010 [0.990, 1.030], n=6 | agree |" in lines
    assert any(line.startswith("| `b` |") and line.endswith("| overlap |") for line in lines)  # 1.00 is outside b's
    assert any(line.startswith("| `c` |") and line.endswith("| **moved** |") for line in lines)
    assert any(line.startswith("| `added` |") and line.endswith("| only in run2 |") for line in lines)
    assert any(line.startswith("| `gone` |") and line.endswith("| only in run1 |") for line in lines)
    assert lines[-1].startswith("Of 3 rows in both, 1 agree (") and "1 overlap" in lines[-1] and "1 moved" in lines[-1]


def test_compare_of_a_file_that_is_not_a_table_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "bad.json").write_text('{"rows": 3}')
    out = baselines("--compare", str(tmp_path / "bad.json"), str(tmp_path / "missing.json"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "must both be baselines.json files" in out.stderr
    assert out.stdout == ""
