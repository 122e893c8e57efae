"""Synthetic simul-bench runs with known distributions, for the tests of the
statistics: each case's rounds are drawn from a distribution the test
chooses, on a row of the fixture (so every counter simul-bench writes is
there)."""

import copy
import json
import random
from pathlib import Path

from conftest import FIXTURE


def template():
    data = json.loads(FIXTURE.read_text())
    row = next(b for b in data["benchmarks"] if b["name"].startswith("sleep/") and "error_occurred" not in b)
    return data["context"], row


def run(cases, path):
    """cases: {case name: [makespan in s per round], or (makespans, {counter: value})}.
    Writes a simul-bench JSON to path and returns path."""
    context, row = template()
    benchmarks = []
    for name, spec in cases.items():
        makespans, extra = spec if isinstance(spec, tuple) else (spec, {})
        for r, m in enumerate(makespans):
            b = copy.deepcopy(row)
            b.update({"name": name + "/iterations:1/manual_time", "run_name": name + "/iterations:1/manual_time",
                      "real_time": m * 1e3, "time_unit": "ms", "round": r,
                      "host_load1": 0.0, "host_steal_pct": 0.0, "host_others_pct": 0.0})  # a quiet machine
            b.update(extra)
            benchmarks.append(b)
    Path(path).write_text(json.dumps({"context": context, "benchmarks": benchmarks}))
    return path


def lognormal_rounds(rng, median, sigma, rounds):
    return [median * rng.lognormvariate(0, sigma) for _ in range(rounds)]


def seeded(seed):
    return random.Random(seed)
