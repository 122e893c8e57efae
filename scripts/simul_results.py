"""Reading simul-bench's Google Benchmark JSON into cases; also running one
case, and writing a file whole, for the scripts that need those.

A case is one workload, model and parameter set; it holds one run per
repetition (several files may be merged), or the reason it was skipped or
failed.
"""

import json
import math
import os
import re
import stat
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import simul_stats

COUNTERS_DEF = Path(__file__).resolve().parent.parent / "bench" / "harness" / "counters.def"
_ADDED_LATER = "// ---- Added later"


def read_counters(path=COUNTERS_DEF):
    """({name: help} of every counter, [names every run carries]), from the list
    simul-bench reports from. Counters below the "Added later" line may be
    missing from runs made before they were added."""
    text = path.read_text()
    pattern = re.compile(r'^SIMUL_COUNTER\((\w+),.*"([^"]*)"\)\s*$', re.MULTILINE)
    counters = dict(pattern.findall(text))
    required = [name for name, _ in pattern.findall(text.split(_ADDED_LATER)[0])]
    if not counters:
        raise RuntimeError(f"{path}: no SIMUL_COUNTER lines")
    return counters, required


# Every counter (bench/harness/counters.def); every case that ran carries REQUIRED.
COUNTERS, REQUIRED = read_counters()

_TIME_UNIT_S = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


class InputError(Exception):
    """Input that cannot be used; the message names the file and the problem."""


@dataclass
class Case:
    workload: str
    model: str                      # "thread_pool:24"
    params: dict                    # {"tasks": "1000", "cache": "cold"}, in name order
    runs: list = field(default_factory=list)   # dicts: counters + "makespan_s"
    skipped: str = ""               # the reason, if it did not run
    label: str = ""                 # a limit it hit, the IO path, ...
    missing: set = field(default_factory=set)  # counters that were null or NaN in a run

    @property
    def name(self):
        return "/".join([self.workload, self.model] + [f"{k}:{v}" for k, v in self.params.items()])

    def values(self, counter):
        return [r[counter] for r in self.runs if counter in r]

    def median(self, counter):
        v = self.values(counter)
        return statistics.median(v) if v else math.nan

    def interval(self, counter):
        """The median over the rounds with its 95% interval (simul_stats)."""
        return simul_stats.median_interval(self.values(counter))

    def by_round(self, counter):
        """{round: value}; runs made before rounds count as rounds 0, 1, ... in file order."""
        out = {}
        for i, r in enumerate(self.runs):
            if counter in r:
                out.setdefault(int(r.get("round", i)), r[counter])
        return out

    def latencies(self):
        """How many latencies each round's percentiles come from (the fewest over the rounds)."""
        return min(self.values("tasks"), default=0)


@dataclass
class Run:
    files: list
    context: dict
    cases: dict        # name → Case, in the order first seen

    def workloads(self):
        seen = []
        for c in self.cases.values():
            if c.workload not in seen:
                seen.append(c.workload)
        return seen


# A stackful model's options follow its form in the name, as parts of their
# own: sleep/stackful_loop:2/stack:16/guarded/tasks:10 is model
# "stackful_loop:2/stack:16/guarded" (models/model.hpp).
MODEL_OPTIONS = re.compile(r"^(stack:\d+|guarded)$")


def parse_name(name):
    """'sleep/thread_pool:24/tasks:10/iterations:1/repeats:3/manual_time' → parts."""
    parts = [p for p in name.split("/")
             if p not in ("manual_time", "real_time") and not p.startswith(("iterations:", "repeats:"))]
    if len(parts) < 2:
        raise ValueError(name)
    while len(parts) > 2 and MODEL_OPTIONS.match(parts[2]):
        parts[1:3] = [parts[1] + "/" + parts[2]]
    params = {}
    for p in parts[2:]:
        key, sep, value = p.partition(":")
        if not sep:
            raise ValueError(name)
        params[key] = value
    return parts[0], parts[1], params


# A load generator that used this share of its core or more was saturated:
# the figure is its limit, not the server's (bench/workloads/serve.cpp).
LOAD_SATURATED = 0.9
MAX_INPUT_BYTES = 256 << 20  # a sweep's JSON is a few MiB


def _read(path):
    path = Path(path)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: not a regular file (a device or a pipe?): give simul-bench's JSON file")
        if st.st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: {st.st_size >> 20} MiB is too large for simul-bench JSON "
                             f"(at most {MAX_INPUT_BYTES >> 20} MiB)")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start}): not simul-bench JSON")
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a JSON file")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file")
    except OSError as e:
        raise InputError(f"{path}: cannot read it: {e.strerror}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})")
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise InputError(f"{path}: not Google Benchmark JSON (no 'benchmarks' list)")
    if not data["benchmarks"]:
        raise InputError(f"{path}: holds no benchmarks")
    return data


def describe_network(network):
    mode, link = network
    return f"'{mode}'" + (f" ({link})" if link else "")


def load(paths):
    """Reads and merges the files; raises InputError on the first unusable one."""
    if not paths:
        raise InputError("no input files given")
    cases, context, network = {}, {}, None
    for path in paths:
        data = _read(path)
        context = context or data.get("context", {})
        # Rounds merge into one figure only from one network: loopback and
        # netns figures of a case are two figures (compare.py sets them apart).
        here = (data.get("context", {}).get("simul_network", "loopback"), data.get("context", {}).get("simul_link"))
        if network is not None and here != network:
            raise InputError(f"{path}: ran on network {describe_network(here)}, {paths[0]} on "
                             f"{describe_network(network)}: one report is one network (compare them: "
                             "scripts/compare.py OLD.json NEW.json)")
        network = here
        if all(b.get("run_type", "iteration") != "iteration" for b in data["benchmarks"]):
            raise InputError(f"{path}: holds only aggregate rows (mean, median, stddev): run simul-bench "
                             "without --benchmark_report_aggregates_only, so that each round is in the JSON")
        for b in data["benchmarks"]:
            if b.get("run_type", "iteration") != "iteration":
                continue  # aggregates: recomputed here from the repetitions
            try:
                workload, model, params = parse_name(b.get("run_name", b.get("name", "")))
            except ValueError:
                raise InputError(f"{path}: case '{b.get('name')}' is not named <workload>/<model>/<param>:<value>/...")
            case = Case(workload, model, params)
            case = cases.setdefault(case.name, case)
            if b.get("error_occurred"):
                case.skipped = b.get("error_message", "did not run")
                continue
            missing = [c for c in REQUIRED if c not in b]
            if missing:
                shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
                raise InputError(f"{path}: case {case.name} lacks counter(s) {shown}: not a simul-bench run?")
            run = {k: v for k, v in b.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                   and not (isinstance(v, float) and math.isnan(v))}
            # null or NaN: kept out of the figures, and the report says so.
            case.missing |= {k for k in REQUIRED if k not in run}
            if not isinstance(b.get("real_time"), (int, float)) or math.isnan(b["real_time"]):
                case.missing.add("real_time")
                continue
            run["makespan_s"] = b["real_time"] * _TIME_UNIT_S.get(b.get("time_unit", "ns"), 1e-9)
            if "mem_peak_bytes" in run:  # memory in all at the peak, beside the per-task figure
                run["mem_total_bytes"] = run["mem_peak_bytes"] + run.get("mem_kernel_bytes", 0)
            case.runs.append(run)
            case.label = b.get("label", case.label)
    if not any(c.runs or c.skipped for c in cases.values()):
        raise InputError(f"{paths[0]}: holds no simul-bench cases")
    return Run([str(p) for p in paths], context, cases)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_atomically(path, write):
    """write(tmp_path) then rename over path, so a failure leaves the old file.
    The file gets the mode any new file gets (mkstemp's is 0600)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path, text):
    """Writes text to path whole (replace_atomically), in the locale's encoding."""
    replace_atomically(path, lambda tmp: Path(tmp).write_text(text))


class CaseRunError(Exception):
    """A simul-bench case that did not run whole; the message says why."""


def run_case(build, model, workload, sets, flags=(), repetitions=1, prefix=()):
    """Runs one simul-bench case of `workload` under `model` (burst arrivals,
    the parameters in `sets`, more simul-bench `flags`) and returns its row of
    the JSON; the case runs `repetitions` rounds in the one process and the
    row holds the median of each counter. `prefix` goes before the command (a
    tool that runs it: valgrind). Raises CaseRunError if simul-bench failed,
    the case was skipped or failed, or a task failed."""
    with tempfile.TemporaryDirectory() as tmp:
        out_file = Path(tmp) / "run.json"
        command = [str(Path(build) / "simul-bench"), f"--models={model}", "--arrival=burst", "--budget=900",
                   f"--benchmark_filter=^{workload}/{re.escape(model)}/",
                   f"--benchmark_out={out_file}", "--benchmark_out_format=json"]
        command += [f"--set={k}:{v}" for k, v in sets.items()] + list(flags) + [f"--rounds={repetitions}"]
        out = subprocess.run(list(prefix) + command, capture_output=True, text=True, timeout=900)
        if out.returncode != 0 or not out_file.exists():
            raise CaseRunError(f"simul-bench exited {out.returncode}: {out.stderr.strip()[-300:]}")
        benchmarks = [b for b in json.loads(out_file.read_text())["benchmarks"]
                      if b.get("run_type", "iteration") == "iteration"]
    if len(benchmarks) != repetitions:
        raise CaseRunError(f"simul-bench ran {len(benchmarks)} cases, not {repetitions}")
    for b in benchmarks:
        if b.get("error_occurred"):
            raise CaseRunError(b.get("error_message", "the case failed"))
        if b.get("failed", 0) != 0:
            raise CaseRunError(f"{b['failed']:.0f} tasks failed: {b.get('label', '')}")
    row = dict(benchmarks[0])
    for k, v in row.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            row[k] = statistics.median(b[k] for b in benchmarks)
    return row


def main(argv):
    """simul_results.py --check RUN.json: exit 0 if it is a complete simul-bench
    run that parses, else one line and exit 1 (bench.sh promotes a run on 0)."""
    if len(argv) != 2 or argv[0] != "--check":
        print("usage: simul_results.py --check RUN.json", file=sys.stderr)
        return 2
    try:
        run = load([argv[1]])
    except InputError as e:
        print(f"simul: {e}", file=sys.stderr)
        return 1
    print(f"{len(run.cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
