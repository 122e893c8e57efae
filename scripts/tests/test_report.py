"""report.py and compare.py on a small fixture made from a real simul-bench
run (fixtures/run.json: every workload, 4 models, 8 rounds, cases
skipped by the budget; fixtures/traces/: its per-task traces, made with
--trace-limit=100, so the 200-task cases are not traced). The command is in
the JSON's context (simul_command)."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

import simul_results as sr
import simul_stats as st
import synthetic
from conftest import FIXTURE, run_script


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    shutil.copy(FIXTURE, folder / "run.json")
    done = run_script("report.py", folder / "run.json")
    assert done.returncode == 0, done.stderr
    return folder


def test_every_workload_has_a_valid_png_and_svg(reported):
    import matplotlib.image
    for workload in sr.load([FIXTURE]).workloads():
        png, svg = reported / "charts" / f"{workload}.png", reported / "charts" / f"{workload}.svg"
        image = matplotlib.image.imread(png)  # raises if it is not a PNG
        assert image.shape[0] > 100 and image.shape[1] > 100
        assert image.std() > 0, "a blank image"
        assert svg.stat().st_size > 1000 and "<svg" in svg.read_text()[:2000]


def test_the_report_names_every_workload_and_model(reported):
    text = (reported / "REPORT.md").read_text()
    run = sr.load([FIXTURE])
    for workload in run.workloads():
        assert f"## {workload}" in text
    for model in {c.model for c in run.cases.values()}:
        assert model in text
    assert run.context["simul_command"] in text
    assert "*Resident* (user) memory" in text and "*Kernel* memory" in text  # what each part of memory is


def test_the_report_links_only_files_that_exist(reported):
    text = (reported / "REPORT.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", text)
    assert links, "no links at all"
    for link in links:
        assert (reported / link).is_file(), link


def test_skipped_cases_are_listed_with_their_reason(reported):
    text = (reported / "REPORT.md").read_text()
    skipped = [c for c in sr.load([FIXTURE]).cases.values() if c.skipped]
    assert skipped, "the fixture should hold skipped cases"
    for c in skipped:
        assert f"`{c.name}`: {c.skipped}" in text


def number_before(text, mark):
    return float(re.search(r"([\d.,]+)" + re.escape(mark), text).group(1).replace(",", ""))


def test_the_chess_table_shows_the_paired_ratio_with_its_interval(reported):
    run = sr.load([FIXTURE])
    chess = [c for c in run.cases.values() if c.workload == "chess" and c.runs and c.params["boards"] == "4"]
    seq = next(c for c in chess if c.model == "sequential").by_round("makespan_s")
    loop = next(c for c in chess if c.model == "coroutine_loop").by_round("makespan_s")
    ratios = sorted(seq[r] / loop[r] for r in seq)  # round by round: both ran round r in one pass
    section = (reported / "REPORT.md").read_text().split("story's units")[1]
    row = next(l for l in section.splitlines() if l.startswith("| coroutine_loop |"))
    assert number_before(row, "× (") == pytest.approx(st.median(ratios), rel=5e-3)  # 3 digits or more
    lo, hi = re.search(r"× \(([\d.]+)–([\d.]+)\)", row).groups()
    interval = st.median_interval(ratios)
    assert float(lo) == pytest.approx(interval.lo, rel=5e-3) and float(hi) == pytest.approx(interval.hi, rel=5e-3)


def test_rounds_give_intervals():
    run = sr.load([FIXTURE])
    ran = [c for c in run.cases.values() if c.runs]
    assert all(len(c.runs) == 8 for c in ran)
    assert all(sorted(c.by_round("makespan_s")) == list(range(8)) for c in ran)
    iv = ran[0].interval("makespan_s")
    assert iv.full and iv.lo <= iv.median <= iv.hi
    assert iv.lo == min(ran[0].values("makespan_s")), "8 rounds: the interval is their range (99.2%)"


def test_the_tables_give_each_figure_with_its_interval(reported):
    text = (reported / "REPORT.md").read_text()
    row = next(l for l in text.splitlines() if l.startswith("| coroutine_loop | 8 |"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert re.fullmatch(r"[\d.,]+ \([\d.,]+–[\d.,]+\)", cells[2]), cells  # makespan (lo–hi)
    assert "Rounds and intervals" in text and "order" in text


def test_compare_finds_a_planted_regression(tmp_path):
    data = json.loads(FIXTURE.read_text())
    victim = "chess/sequential/boards:4/moves:2/think_us:50/reply_us:200"
    for b in data["benchmarks"]:
        if b["name"].startswith(victim + "/") and b["run_type"] == "iteration":
            b["real_time"] *= 3
    slower = tmp_path / "slower.json"
    slower.write_text(json.dumps(data))
    done = run_script("compare.py", FIXTURE, slower)
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith(victim + " "))
    assert "3.000× [" in line and "slower" in line and " ! " in line


def test_compare_finds_no_change_between_a_file_and_itself():
    done = run_script("compare.py", FIXTURE, FIXTURE)
    assert done.returncode == 0, done.stderr
    assert ", 0 with a change" in done.stdout
    assert " ! " not in "".join(l for l in done.stdout.splitlines() if "×" in l)


def synthetic_report(tmp_path, cases):
    path = synthetic.run(cases, tmp_path / "run.json")
    done = run_script("report.py", path)
    assert done.returncode == 0, done.stderr
    return (tmp_path / "REPORT.md").read_text()


def row_of(text, model):
    return [c.strip() for c in next(l for l in text.splitlines() if l.startswith(f"| {model} |")).split("|")[1:-1]]


def test_a_wide_case_is_marked_unstable_with_its_cause(tmp_path):
    text = synthetic_report(tmp_path, {
        "sleep/sequential/tasks:10/wait_ms:100": [1.0, 1.3, 0.8, 1.1, 1.2, 0.9],
        "sleep/coroutine_loop/tasks:10/wait_ms:100": [0.1, 0.1001, 0.1002, 0.1, 0.1001, 0.1002],
        "sleep/thread_per_task/tasks:10/wait_ms:100": ([1.0, 2.0, 1.5], {"host_others_pct": 40.0}),
        "sleep/thread_pool:2/tasks:10/wait_ms:100": [0.5, 0.55, 0.6, 0.5, 0.5, 0.7],
        # 10 ms rounds: too short for /proc/stat's ticks to tell whether the machine was busy
        "sleep/thread_pool:24/tasks:10/wait_ms:100": ([0.01, 0.02, 0.01, 0.01, 0.012, 0.011],
                                                      {"host_others_pct": 50.0})})
    assert "**unstable**" in row_of(text, "sequential")[-1]
    assert "the case itself" in row_of(text, "sequential")[-1]
    assert "unstable" not in row_of(text, "coroutine_loop")[-1]
    assert "too few rounds (3)" in row_of(text, "thread_per_task")[-1]
    assert "load on the machine" in row_of(text, "thread_per_task")[-1]
    assert "load on the machine" not in row_of(text, "thread_pool:2")[-1]
    assert "too short" in row_of(text, "thread_pool:24")[-1] and "load on" not in row_of(text, "thread_pool:24")[-1]
    assert "`sleep/sequential/tasks:10/wait_ms:100`: " in text.split("Unstable (makespan")[1]
    assert "**Busy machine**" not in text, "other processes were busy in one case's rounds only"


def test_a_workload_that_ran_on_a_busy_machine_gets_a_warning(tmp_path):
    busy = {"host_others_pct": 30.0, "host_steal_pct": 0.5, "host_load1": 2.5}
    text = synthetic_report(tmp_path, {"sleep/sequential/tasks:10/wait_ms:100": ([1.0] * 6, busy),
                                       "sleep/coroutine_loop/tasks:10/wait_ms:100": ([0.1] * 6, busy)})
    warning = text.split("**Busy machine**")[1].split("\n\n")[0]
    assert "30%" in warning and "--benchmark_filter=^sleep/" in warning


def test_a_percentile_the_sample_cannot_resolve_is_a_dash(tmp_path):
    tasks = lambda n: {"tasks": float(n), "lat_p99_ms": 5.0, "lat_p999_ms": 6.0}
    text = synthetic_report(tmp_path, {
        "sleep/sequential/tasks:10/wait_ms:1": ([0.01] * 6, tasks(10)),
        "sleep/coroutine_loop/tasks:10/wait_ms:1": ([0.001] * 6, tasks(500)),
        "sleep/thread_pool:2/tasks:10/wait_ms:1": ([0.005] * 6, tasks(5000))})
    p99, p999 = 6, 7  # columns
    assert row_of(text, "sequential")[p99] == "–" and row_of(text, "sequential")[p999] == "–"
    assert row_of(text, "coroutine_loop")[p99].startswith("5") and row_of(text, "coroutine_loop")[p999] == "–"
    assert row_of(text, "thread_pool:2")[p999].startswith("6")


def test_one_round_says_that_it_has_no_intervals(tmp_path):
    text = synthetic_report(tmp_path, {"sleep/sequential/tasks:10/wait_ms:100": [1.0],
                                       "sleep/coroutine_loop/tasks:10/wait_ms:100": [0.1]})
    assert "**One round per case**" in text and "no intervals" in text
    assert row_of(text, "sequential")[2] == "1"  # no interval after the figure


def test_the_total_memory_stands_beside_the_per_task_figure(tmp_path):
    many = {"mem_peak_bytes": 8.6e6, "mem_per_task_bytes": 860.0, "mem_kernel_bytes": 0.0,
            "mem_total_per_task_bytes": 860.0}
    few = {"mem_peak_bytes": 1.7e6, "mem_per_task_bytes": 70000.0, "mem_kernel_bytes": 0.0,
           "mem_total_per_task_bytes": 70000.0}
    text = synthetic_report(tmp_path, {"sleep/coroutine_loop/tasks:10000/wait_ms:1": ([0.01] * 6, many),
                                       "sleep/thread_pool:24/tasks:10000/wait_ms:1": ([0.5] * 6, few)})
    assert row_of(text, "coroutine_loop")[9].startswith("8,600,000")
    assert row_of(text, "thread_pool:24")[9].startswith("1,700,000")


def bad_inputs(tmp_path):
    invalid = tmp_path / "invalid.json"
    invalid.write_text("{ this is not json")
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"context": {}, "benchmarks": []}))
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"benchmarks": [{"name": "BM_Sort", "run_type": "iteration",
                                                   "real_time": 5, "time_unit": "ns"}]}))
    alien = tmp_path / "alien.json"
    alien.write_text(json.dumps({"benchmarks": [{"name": "sleep/sequential/tasks:1", "run_type": "iteration",
                                                 "real_time": 5, "time_unit": "ns", "tasks": 1}]}))
    fifo = tmp_path / "fifo.json"
    if not fifo.exists():
        os.mkfifo(fifo)  # reading it would block forever
    aggregates = tmp_path / "aggregates.json"
    aggregates.write_text(json.dumps({"benchmarks": [
        dict(b, run_type="aggregate") for b in json.loads(FIXTURE.read_text())["benchmarks"][:3]]}))
    return {
        fifo: "not a regular file",
        Path("/dev/zero"): "not a regular file",
        aggregates: "only aggregate rows",
        tmp_path / "missing.json": "no such file",
        invalid: "not valid JSON",
        empty: "holds no benchmarks",
        foreign: "is not named",
        alien: "lacks counter",
    }


@pytest.mark.parametrize("script", ["report.py", "compare.py"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, script):
    for path, problem in bad_inputs(tmp_path).items():
        args = [path, "--out", tmp_path / "out"] if script == "report.py" else [FIXTURE, path]
        done = run_script(script, *args)
        assert done.returncode == 2, (path, done.stderr)
        assert str(path) in done.stderr and problem in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_bad_input_leaves_what_is_in_the_output_folder(tmp_path):
    out = tmp_path / "out"
    (out / "charts").mkdir(parents=True)
    (out / "REPORT.md").write_text("an earlier report")
    (out / "charts" / "sleep.png").write_bytes(b"earlier chart")
    for path in bad_inputs(tmp_path):
        assert run_script("report.py", FIXTURE, path, "--out", out).returncode == 2
    assert (out / "REPORT.md").read_text() == "an earlier report"
    assert (out / "charts" / "sleep.png").read_bytes() == b"earlier chart"
    assert sorted(p.name for p in out.rglob("*")) == ["REPORT.md", "charts", "sleep.png"]


def test_requests_answered_not_the_name_make_a_serve_table(tmp_path):
    # Each model answers its own number of requests, so no checksum line;
    # the throughput column is the achieved request rate.
    def text(workload):
        folder = tmp_path / workload
        folder.mkdir()
        answered = {"rate_achieved": 95.0, "items_per_second": 1.0}
        return synthetic_report(folder, {f"{workload}/sequential/conns:5/rate:100": ([0.5] * 6, answered),
                                         f"{workload}/coroutine_loop/conns:5/rate:100": ([0.5] * 6, answered)}
                                ).replace(str(folder), "RUN")
    serve, echo = text("serve"), text("http_echo")
    assert "Checksums" not in echo and row_of(echo, "sequential")[4].startswith("95")
    assert "http_echo" not in serve and echo.replace("http_echo", "serve") == serve


# ---- other runtimes (docs/PEERS.md) ------------------------------------------
# fixtures/peers.json: a smoke run (one round) of sleep, chess and file_read
# under coroutine_loop and the eight peers scripts/peers.sh ships; the
# sequential Python flavour skips sleep, every peer skips file_read (a run
# recorded before the Go and Tokio peers read files, with the Python peer's
# reason of then: it stays, since what it checks is the report's grouping).
PEERS_FIXTURE = FIXTURE.parent / "peers.json"


@pytest.fixture(scope="module")
def peers_text(tmp_path_factory):
    folder = tmp_path_factory.mktemp("peers")
    shutil.copy(PEERS_FIXTURE, folder / "run.json")
    done = run_script("report.py", folder / "run.json")
    assert done.returncode == 0, done.stderr
    return (folder / "REPORT.md").read_text()


def peers_part(text, workload):
    """The '### workload' part of the Other runtimes section."""
    return text.split("## Other runtimes")[1].split(f"### {workload}\n")[1].split("\n### ")[0]


def fixture_row(name):
    return next(b for b in json.loads(PEERS_FIXTURE.read_text())["benchmarks"] if b["name"].startswith(name + "/"))


def test_a_run_without_peers_has_no_other_runtimes_section(reported):
    assert "Other runtimes" not in (reported / "REPORT.md").read_text()


def test_a_peers_row_gives_its_start_up_beside_the_loops(peers_text):
    part = peers_part(peers_text, "sleep")
    go = fixture_row("sleep/go/tasks:12/wait_ms:5")
    start_up, start_memory = row_of(part, "go")[-2:]
    assert float(start_up) == pytest.approx(go["startup_s"], rel=5e-3)
    assert start_memory == f"{go['mem_startup_bytes']:,.0f}"
    assert row_of(part, "coroutine_loop")[-2:] == ["–", "–"]  # simul's own models have no start-up
    threads = fixture_row("sleep/python_threads/tasks:12/wait_ms:5")  # its threads' kernel stacks count
    assert row_of(part, "python_threads")[5] == \
        f"{threads['mem_per_task_bytes']:,.0f} / {threads['mem_total_per_task_bytes']:,.0f}"


def test_the_lesson_divides_python_sequential_by_python_asyncio(peers_text):
    case = "chess/{}/boards:5/moves:3/think_us:100/reply_us:1000"
    ratio = fixture_row(case.format("python_sequential"))["real_time"] / fixture_row(case.format("python_asyncio"))[
        "real_time"]
    line = next(l for l in peers_part(peers_text, "chess").splitlines() if l.startswith("python_sequential ÷"))
    assert number_before(line, "×") == pytest.approx(ratio, rel=5e-3) and "12 hours against 1 hour" in line
    assert "python_sequential ÷" not in peers_part(peers_text, "sleep")  # sequential skipped sleep


def test_peers_that_did_not_run_are_listed_with_their_reason(peers_text):
    assert ("Did not run: `python_sequential` — the peer says: sleep: the sequential flavour plays the chess "
            "story only") in peers_part(peers_text, "sleep")
    file_read = peers_part(peers_text, "file_read")
    assert "No peer ran this workload." in file_read
    # One reason, the peers it kept out together.
    assert ("`python_asyncio`, `python_uvloop`, `python_threads`, `python_sequential` — the peer says: file_read: "
            "not written for the Python peer") in file_read


def test_the_lesson_ratio_pairs_the_rounds(tmp_path):
    peer = {"startup_s": 0.05, "mem_startup_bytes": 2e7}
    asyncio, sequential = [1.0, 1.2, 0.9, 1.1, 1.0, 1.3], [12.0, 11.0, 13.0, 14.0, 9.0, 15.0]
    text = synthetic_report(tmp_path, {"chess/python_asyncio/boards:24/moves:2": (asyncio, peer),
                                       "chess/python_sequential/boards:24/moves:2": (sequential, peer)})
    line = next(l for l in text.splitlines() if l.startswith("python_sequential ÷"))
    expected = st.median_interval([s / a for a, s in zip(asyncio, sequential)])
    lo, hi = re.search(r"× \(([\d.]+)–([\d.]+)\)", line).groups()
    assert number_before(line, "× (") == pytest.approx(expected.median, rel=5e-3)
    assert (float(lo), float(hi)) == pytest.approx((expected.lo, expected.hi), rel=5e-3)


def test_sleep_at_every_size_marks_a_runtime_with_fewer_tasks_in_flight(tmp_path):
    def mem(tasks, in_flight, per_task):
        return {"startup_s": 0.01, "mem_startup_bytes": 1e6, "tasks": tasks, "mem_per_task_bytes": per_task,
                "mem_peak_bytes": in_flight * per_task, "mem_total_per_task_bytes": per_task + 8,
                "mem_total_bytes": in_flight * (per_task + 8), "mem_kernel_bytes": in_flight * 8}
    text = synthetic_report(tmp_path, {
        "sleep/go/tasks:1000/wait_ms:100": ([0.2, 0.21, 0.2], mem(1000, 1000, 3000)),
        "sleep/go/tasks:100000/wait_ms:100": ([2.0, 2.1, 2.2], mem(100000, 40000, 7500)),
        "sleep/tokio_current_thread/tasks:1000/wait_ms:100": ([0.15, 0.15, 0.16], mem(1000, 1000, 1800))})
    table = text.split("At every tasks:")[1].split("\n\n")[1]
    go = row_of(table, "go")
    assert go[1] == "0.2 (0.2–0.21)†; 3,000 / 3,008"
    assert go[2] == "2.1 (2–2.2)†; 7,500 / 7,508 ‡ (40,000 in flight)"
    assert row_of(table, "tokio_current_thread")[2] == "–"  # it did not run 100,000
    assert "‡ Fewer tasks in flight at once than the case has" in text


def test_the_runtimes_versions_are_under_machine_and_build(tmp_path):
    data = json.loads(PEERS_FIXTURE.read_text())
    data["context"]["simul_runtimes"] = "python 3.11.2 (uvloop 0.17.0); go1.19.8; node v20.20.2"
    (tmp_path / "run.json").write_text(json.dumps(data))
    done = run_script("report.py", tmp_path / "run.json")
    assert done.returncode == 0, done.stderr
    machine = (tmp_path / "REPORT.md").read_text().split("## Machine and build")[1].split("\n## ")[0]
    assert "- other runtimes: python 3.11.2 (uvloop 0.17.0); go1.19.8; node v20.20.2" in machine


def test_the_ratio_column_divides_by_the_reference_of_the_same_variant(tmp_path):
    """file_read's cold and warm rows each divide by coroutine_loop's own cold
    or warm row, never a warm read by a cold one."""
    name = "file_read/{}/files:8/file_kib:64/chunk_kib:64/cache:{}/direct:0/io:native"
    loop_cold, loop_warm = [0.1, 0.11, 0.1], [0.02, 0.021, 0.02]
    pool_cold, pool_warm = [0.2, 0.22, 0.2], [0.01, 0.0105, 0.01]
    text = synthetic_report(tmp_path, {name.format("coroutine_loop", "cold"): loop_cold,
                                       name.format("coroutine_loop", "warm"): loop_warm,
                                       name.format("thread_pool:2", "cold"): pool_cold,
                                       name.format("thread_pool:2", "warm"): pool_warm})
    table = text.split("## file_read")[1]
    assert row_of(table, "coroutine_loop cache:warm")[3] == "1"
    assert number_before(row_of(table, "thread_pool:2 cache:warm")[3], "×") == pytest.approx(0.5, rel=5e-3)
    assert number_before(row_of(table, "thread_pool:2 cache:cold")[3], "×") == pytest.approx(2.0, rel=5e-3)
