"""report.py and compare.py on input that is valid JSON but bad in other ways
(issue 10, item 12): not UTF-8, NaN or null counters, nothing positive to put
on a log axis, an --out that cannot be written."""

import json
import math

from conftest import FIXTURE, run_script


def one_line_exit_2(done, *words):
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for w in words:
        assert w in done.stderr, done.stderr


def only(workload, edit=None):
    """The fixture's rows of one workload, each passed through edit."""
    data = json.loads(FIXTURE.read_text())
    data["benchmarks"] = [b for b in data["benchmarks"] if b["name"].startswith(workload + "/")]
    for b in data["benchmarks"]:
        if edit and b.get("run_type") == "iteration" and not b.get("error_occurred"):
            edit(b)
    return data


def test_non_utf8_input_is_one_line(tmp_path):
    bad = tmp_path / "latin1.json"
    bad.write_bytes(FIXTURE.read_bytes()[:200] + b"\xff\xfe caf\xe9" + FIXTURE.read_bytes()[200:])
    for script, args in (("report.py", [bad, "--out", tmp_path / "out"]), ("compare.py", [FIXTURE, bad])):
        one_line_exit_2(run_script(script, *args), str(bad), "not UTF-8")
    assert not (tmp_path / "out").exists()


def test_an_out_that_is_a_file_or_cannot_be_made_is_one_line(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    one_line_exit_2(run_script("report.py", FIXTURE, "--out", a_file), "not a folder")
    one_line_exit_2(run_script("report.py", FIXTURE, "--out", a_file / "below"), "cannot make it")
    # /proc refuses new folders, even to root.
    one_line_exit_2(run_script("report.py", FIXTURE, "--out", "/proc/simul-report"), "cannot make it")


def test_all_nan_values_draw_without_a_log_axis_error(tmp_path):
    def nan_all(b):
        for k in list(b):
            if k in ("mem_per_task_bytes", "lat_p99_ms", "lat_p50_ms", "items_per_second", "efficiency"):
                b[k] = math.nan
    src = tmp_path / "nan.json"
    src.write_text(json.dumps(only("sleep", nan_all)))  # json writes NaN, as Google Benchmark does
    done = run_script("report.py", src, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "REPORT.md").read_text()
    assert "values missing from the JSON" in text
    assert "`sleep/coroutine_loop/tasks:4/wait_ms:2`: no value for" in text and "lat_p99_ms" in text


def test_values_that_are_zero_or_negative_draw_on_a_linear_axis(tmp_path):
    def zero(b):
        for k in ("mem_per_task_bytes", "mem_peak_bytes", "lat_p99_ms", "lat_p50_ms", "items_per_second"):
            b[k] = 0.0 if k.startswith("mem") else -1.0
    src = tmp_path / "zero.json"
    src.write_text(json.dumps(only("sleep", zero)))
    done = run_script("report.py", src, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "charts" / "sleep.png").stat().st_size > 1000


def test_a_null_counter_is_noted_not_dropped(tmp_path):
    victim = "chess/sequential/boards:4/moves:2/think_us:50/reply_us:200"

    def null(b):
        if b["name"].startswith(victim + "/"):
            b["lat_p99_ms"] = None
    src = tmp_path / "null.json"
    src.write_text(json.dumps(only("chess", null)))
    done = run_script("report.py", src, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert f"- `{victim}`: no value for lat_p99_ms" in (tmp_path / "out" / "REPORT.md").read_text()


def test_compare_does_not_count_a_nan_case_as_compared(tmp_path):
    victim = "chess/sequential/boards:4/moves:2/think_us:50/reply_us:200"
    data = json.loads(FIXTURE.read_text())
    for b in data["benchmarks"]:
        if b["name"].startswith(victim + "/") and b["run_type"] == "iteration":
            b["lat_p99_ms"] = math.nan
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(data))
    same = run_script("compare.py", FIXTURE, FIXTURE)
    done = run_script("compare.py", FIXTURE, nan)
    assert done.returncode == 0, done.stderr
    count = lambda out: int(next(l for l in out.splitlines() if "cases compared" in l).split()[0])
    assert count(done.stdout) == count(same.stdout) - 1
    assert not any(l.startswith(victim + " ") for l in done.stdout.splitlines())
    assert f"not compared (a value is null or NaN): {victim}" in done.stdout
