"""report.py and compare.py on a small fixture made from a real simul-bench
run (fixtures/run.json: every workload, 4 models, 2 repetitions, cases
skipped by the budget; fixtures/traces/: its per-task traces, made with
--trace-limit=100, so the 200-task cases are not traced). The command is in
the JSON's context (simul_command)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1]
FIXTURE = SCRIPTS / "tests" / "fixtures" / "run.json"
sys.path.insert(0, str(SCRIPTS))

import simul_results as sr  # noqa: E402


def run_script(name, *args):
    return subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


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


def test_the_chess_table_shows_the_ratio_from_the_fixture(reported):
    run = sr.load([FIXTURE])
    chess = [c for c in run.cases.values() if c.workload == "chess" and c.runs and c.params["boards"] == "4"]
    seq = next(c for c in chess if c.model == "sequential").median("makespan_s")
    loop = next(c for c in chess if c.model == "coroutine_loop").median("makespan_s")
    section = (reported / "REPORT.md").read_text().split("story's units")[1]
    assert f"| coroutine_loop | {loop:.3g} s |" in section
    assert f"{seq / loop:.1f}×" in section


def test_repetitions_give_a_spread():
    run = sr.load([FIXTURE])
    ran = [c for c in run.cases.values() if c.runs]
    assert all(len(c.runs) == 2 for c in ran)
    lo, hi = ran[0].spread("makespan_s")
    assert lo <= ran[0].median("makespan_s") <= hi


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
    assert "3.00×!" in line


def test_compare_finds_no_change_between_a_file_and_itself():
    done = run_script("compare.py", FIXTURE, FIXTURE)
    assert done.returncode == 0, done.stderr
    assert "0 with a change beyond the noise" in done.stdout
    assert "!" not in "".join(l for l in done.stdout.splitlines() if "×" in l)


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
    return {
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
