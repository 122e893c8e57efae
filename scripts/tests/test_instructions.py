"""instructions.py: the loop rows' instructions a task under callgrind, simul
against the bare program. The counts are checked for what they must be (the
same work on both sides, the same count run after run), not for how large
simul's share is."""

import json
import os
import shutil

import pytest

import instructions as ins
import simul_results as sr
from conftest import BUILD, run_script

needs_build = pytest.mark.skipif(
    not (BUILD / "simul-bench").exists() or shutil.which("valgrind") is None or ins.sanitized(BUILD),
    reason=f"no build in {BUILD}, a sanitizer build (valgrind cannot run it), or no valgrind")


def instructions(*args, **kw):
    return run_script("instructions.py", *args, timeout=600, **kw)


@needs_build
def test_each_row_counts_the_same_work_and_the_same_instructions_twice(tmp_path):
    docs, tables = [], []
    for k in (1, 2):
        out = tmp_path / str(k)
        out.mkdir()
        run = instructions("--build", BUILD, "--out", out, "--quick")
        assert run.returncode == 0, run.stderr
        docs.append(json.loads((out / "instructions.json").read_text()))
        tables.append((out / "instructions.md").read_text())
    rows = docs[0]["rows"]
    assert [r["model"] for r in rows] == list(ins.MODELS)
    for first, second in zip(rows, docs[1]["rows"]):
        assert first["error"] == "" and first["tasks"] == ins.QUICK["tasks"]
        assert first["bare_per_task"] == first["bare_instructions"] / first["tasks"]
        assert first["ratio"] == first["simul_instructions"] / first["bare_instructions"]
        # A coroutine that waits on a timer is thousands of instructions.
        assert first["bare_per_task"] > 1000 and first["simul_per_task"] > 1000
        # Repeatable to 0.1%, where a time varies by 10 to 20%.
        for side in ("bare_instructions", "simul_instructions"):
            assert abs(second[side] - first[side]) <= first[side] / 1000, (side, first[side], second[side])
        assert f"`{first['name']}` | {first['bare_per_task']:,.0f} | {first['simul_per_task']:,.0f} |" in tables[0]


def test_the_total_is_callgrinds_totals_line(tmp_path):
    out = tmp_path / "callgrind.out"
    out.write_text("events: Ir\nsummary: 1234\nfn=main\n5 1234\ntotals: 1234\n")
    assert ins.total_instructions(out) == 1234
    out.write_text("events: Ir\nfn=main\n")  # cut short
    with pytest.raises(sr.CaseRunError, match="no totals line"):
        ins.total_instructions(out)


@needs_build
def test_without_valgrind_it_says_so_in_one_line(tmp_path):
    run = instructions("--build", BUILD, "--out", tmp_path, env=dict(os.environ, PATH=str(tmp_path)))
    assert run.returncode == 2
    assert run.stderr.strip() == "instructions: valgrind is not installed (apt-get install valgrind)"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, says", [
    (["--rows", "("], "not a regular expression"),
    (["--rows", "^fetch/"], "matches no loop sleep row"),
])
def test_bad_rows_are_a_usage_error(tmp_path, args, says):
    run = instructions("--build", tmp_path, "--out", tmp_path, *args)
    assert run.returncode == 2 and says in run.stderr


def test_a_sanitizer_build_is_refused_in_one_line(tmp_path):
    if shutil.which("valgrind") is None:
        pytest.skip("no valgrind")
    for name in ["simul-bench"] + [f"bare-{m}-sleep" for m in ins.MODELS]:
        (tmp_path / name).touch()
    (tmp_path / "CMakeCache.txt").write_text("CMAKE_CXX_FLAGS:STRING=-fsanitize=address,undefined\n")
    run = instructions("--build", tmp_path, "--out", tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"instructions: {tmp_path} is a sanitizer build, which valgrind cannot run; "
        "use a release build (cmake --build --preset release)"]


def test_a_missing_build_is_one_line(tmp_path):
    if shutil.which("valgrind") is None:
        pytest.skip("no valgrind")
    run = instructions("--build", tmp_path, "--out", tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().endswith("(build them: cmake --build --preset release)")
    assert len(run.stderr.strip().splitlines()) == 1
