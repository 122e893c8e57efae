"""compare.py as a test: synthetic runs with known distributions (synthetic.py)."""

import pytest

import compare
import simul_results as sr
import simul_stats as st
import synthetic
from conftest import run_script

NAMES = [f"sleep/sequential/tasks:{n}/wait_ms:100" for n in range(1, 41)]


def runs(tmp_path, old_cases, new_cases):
    old = sr.load([synthetic.run(old_cases, tmp_path / "old.json")])
    new = sr.load([synthetic.run(new_cases, tmp_path / "new.json")])
    return compare.compare(old, new)


def verdicts(rows):
    return {name: cells[0].verdict for name, cells in rows}


def test_two_samples_of_one_distribution_are_never_flagged(tmp_path):
    rng = synthetic.seeded(1)
    # 5% spread: well over the 2% minimum effect, so only the test keeps these out.
    old = {n: synthetic.lognormal_rounds(rng, 1.0, 0.05, 10) for n in NAMES}
    new = {n: synthetic.lognormal_rounds(rng, 1.0, 0.05, 10) for n in NAMES}
    rows, _, _, _ = runs(tmp_path, old, new)
    assert len(rows) == len(NAMES)
    assert set(verdicts(rows).values()) == {"same"}


def test_a_shifted_distribution_is_flagged_in_its_direction(tmp_path):
    rng = synthetic.seeded(2)
    old = {n: synthetic.lognormal_rounds(rng, 1.0, 0.01, 10) for n in NAMES}
    new = {n: synthetic.lognormal_rounds(rng, 1.05 if i < 10 else 1.0, 0.01, 10) for i, n in enumerate(NAMES)}
    new[NAMES[10]] = synthetic.lognormal_rounds(rng, 0.95, 0.01, 10)
    v = verdicts(runs(tmp_path, old, new)[0])
    assert [v[n] for n in NAMES[:10]] == ["slower"] * 10
    assert v[NAMES[10]] == "faster"
    assert set(v[n] for n in NAMES[11:]) == {"same"}


def test_the_ratio_and_its_interval_cover_the_true_shift(tmp_path):
    rng = synthetic.seeded(3)
    old = {NAMES[0]: synthetic.lognormal_rounds(rng, 1.0, 0.01, 12)}
    new = {NAMES[0]: synthetic.lognormal_rounds(rng, 1.10, 0.01, 12)}
    cell = runs(tmp_path, old, new)[0][0][1][0]
    assert cell.lo < 1.10 < cell.hi
    assert abs(cell.ratio - 1.10) < 0.02


def test_many_tests_at_once_are_corrected(tmp_path):
    # One case shifted just enough for p < 0.05 on its own, among 39 that did not change.
    old = {n: [1.0, 1.01, 1.02, 1.03, 1.04, 1.05] for n in NAMES}
    new = dict(old)
    new[NAMES[0]] = [1.035, 1.045, 1.055, 1.065, 1.075, 1.085]
    rows = runs(tmp_path, old, new)[0]
    cell = dict(rows)[NAMES[0]][0]
    assert cell.p < 0.05, "uncorrected, it would be flagged"
    assert cell.q > 0.05 and cell.verdict == "same"


def test_with_too_few_rounds_it_says_so_and_gives_the_ratio(tmp_path):
    old = {NAMES[0]: [1.0, 1.0, 1.0]}
    new = {NAMES[0]: [2.0, 2.0, 2.0]}
    cell = runs(tmp_path, old, new)[0][0][1][0]
    assert cell.verdict == "cannot test"
    assert cell.ratio == pytest.approx(2.0)


def test_a_change_under_the_minimum_effect_is_not_flagged(tmp_path):
    old = {NAMES[0]: [1.000, 1.0001, 1.0002, 1.0003, 1.0004, 1.0005, 1.0006, 1.0007]}
    new = {NAMES[0]: [v * 1.01 for v in old[NAMES[0]]]}  # 1%: certain, but under 2%
    cell = runs(tmp_path, old, new)[0][0][1][0]
    assert cell.p < 0.01 and cell.verdict == "same"


def test_the_command_prints_ratio_interval_and_verdict(tmp_path):
    old = synthetic.run({NAMES[0]: [1.0, 1.01, 0.99, 1.0, 1.02, 0.98]}, tmp_path / "a.json")
    new = synthetic.run({NAMES[0]: [1.5, 1.51, 1.49, 1.5, 1.52, 1.48]}, tmp_path / "b.json")
    done = run_script("compare.py", old, new)
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith(NAMES[0] + " "))
    assert "1.500× [" in line and "slower" in line and " ! " in line
    assert "1 cases compared, 1 with a change" in done.stdout


@pytest.mark.parametrize("args", [["--alpha", "2"], ["--min-effect", "-1"], ["--nonsense"], ["only-one.json"]])
def test_bad_arguments_are_exit_2(args):
    done = run_script("compare.py", *args)
    assert done.returncode == 2, done.stderr


def test_the_statistics_agree_with_known_values():
    # Mann-Whitney: 5 against 5, fully apart: exact two-sided p = 2 / C(10, 5).
    assert st.mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    assert st.mann_whitney_p([1, 2, 3], [1.5, 2.5, 3.5]) > 0.3
    assert st.benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    iv = st.median_interval(range(1, 10))
    assert (iv.median, iv.lo, iv.hi, iv.full) == (5, 2, 8, True)
    assert st.median_interval([1, 2, 3]).coverage == pytest.approx(0.75)
