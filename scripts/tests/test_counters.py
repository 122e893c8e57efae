"""The scripts read the counter list that simul-bench reports from
(bench/harness/counters.def): every entry, with its help, and a run that lacks
one of the required counters is refused."""

import json

import pytest

import simul_results as sr


def test_every_entry_of_the_list_is_read_with_its_help():
    entries = [line for line in sr.COUNTERS_DEF.read_text().splitlines() if line.startswith("SIMUL_COUNTER(")]
    assert len(sr.COUNTERS) == len(entries), "an entry the regex does not read: keep each on one line"
    assert all(help_text.strip() for help_text in sr.COUNTERS.values())
    assert "checksum" in sr.REQUIRED and "tasks" in sr.REQUIRED
    assert set(sr.REQUIRED) <= set(sr.COUNTERS)
    assert list(sr.COUNTERS)[:len(sr.REQUIRED)] == sr.REQUIRED, "counters added later go at the end"


def test_an_entry_added_later_is_read_but_not_required(tmp_path):
    listed = tmp_path / "counters.def"
    listed.write_text(sr.COUNTERS_DEF.read_text() +
                      'SIMUL_COUNTER(spare_s, r.extra_at("spare"), "added after the line, value with a string")\n')
    counters, required = sr.read_counters(listed)
    assert counters["spare_s"] == "added after the line, value with a string"
    assert required == sr.REQUIRED


@pytest.mark.parametrize("missing", sr.REQUIRED)
def test_a_case_without_a_required_counter_is_refused(tmp_path, missing):
    case = {c: 1.0 for c in sr.COUNTERS if c != missing}
    case.update(name="sleep/sequential/tasks:1/iterations:1/manual_time", run_type="iteration",
                real_time=5, time_unit="ms")
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"context": {}, "benchmarks": [case]}))
    with pytest.raises(sr.InputError, match=missing):
        sr.load([path])
