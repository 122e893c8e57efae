"""A workload's cases arranged for charts and tables: series against an x
parameter, the two parts of memory, which percentiles a round resolves, and
how a figure is written. Shared by report.py, charts.py and timeline.py."""

import math

import simul_style as style

PAGE = 4096  # the meter counts memory in pages: less than one reads 0
STORY_BOARDS = 24  # the story's exhibition: one master against 24 boards


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def group(case):
    """Burst cases of a workload chart together; its rate cases chart apart."""
    return f"{case.workload}_rate" if case.params.get("arrival") == "rate" else case.workload


def carries(cases, counter):
    """Whether a round of any of the cases has the counter."""
    return any(counter in r for c in cases for r in c.runs)


class Workload:
    """The cases of one workload, arranged as series against an x parameter.
    What the cases carry decides how they are shown, never the name: a new
    workload with the counters of an old one is shown as the old one is."""

    def __init__(self, name, cases):
        self.name = name
        self.cases = cases
        self.rate = all(c.params.get("arrival") == "rate" for c in cases)
        keys = list(cases[0].params)
        varying = [k for k in keys if len({c.params.get(k) for c in cases}) > 1]
        numeric = [k for k in varying if all(number(c.params.get(k, "")) is not None for c in cases)]
        # Rate cases: latency against offered load (their task count follows the rate).
        self.x = "rate" if self.rate else (numeric[0] if numeric else None)
        self.others = [k for k in varying if k != self.x and not (self.rate and k in numeric)]
        # Requests answered, counted by a load generator (serve): each model
        # answers its own number, so their checksums differ too.
        self.answers_requests = carries(cases, "rate_achieved")
        self.throughput = "rate_achieved" if self.answers_requests else "items_per_second"
        # Bytes read from files (file_read): throughput in MiB/s, and an ideal
        # that assumes free IO.
        self.reads_files = carries(cases, "mib_per_s")
        # The chess exhibition of the story: only chess calibrates its thinking in steps.
        self.exhibition = carries(cases, "think_steps")

    def variant(self, case):
        return " ".join(f"{k}:{case.params[k]}" for k in self.others)

    def series_name(self, case):
        return " ".join([case.model] + ([self.variant(case)] if self.others else []))

    def series(self):
        """series name → cases sorted by x, in model order."""
        out = {}
        for c in sorted(self.cases, key=lambda c: (style.model_key(c.model), style.natural(self.variant(c)))):
            out.setdefault(self.series_name(c), []).append(c)
        for name in out:
            out[name].sort(key=lambda c: number(c.params[self.x]) if self.x else 0)
        return out

    def xvalue(self, case):
        return number(case.params[self.x]) if self.x else None

    def headline_x(self):
        """The largest x that the most series ran (None: no x parameter)."""
        if not self.x:
            return None
        count = {}
        for cases in self.series().values():
            for x in {self.xvalue(c) for c in cases if c.runs}:
                count[x] = count.get(x, 0) + 1
        return max(count, key=lambda x: (count[x], x)) if count else None


# ---- memory: resident and kernel, per task ---------------------------------

def has_kernel(cases):
    return any("mem_kernel_bytes" in r and "mem_total_per_task_bytes" in r for c in cases for r in c.runs)


def memory(case, part):
    """(bytes per task in flight, under one page in all?) for part 'resident' or 'kernel'."""
    if part == "resident":
        return case.median("mem_per_task_bytes"), case.median("mem_peak_bytes") < PAGE
    kernel = case.median("mem_total_per_task_bytes") - case.median("mem_per_task_bytes")
    if math.isnan(kernel):  # a run without the counter, merged with one that has it
        return math.nan, False
    return max(0.0, kernel), case.median("mem_kernel_bytes") < PAGE


def finite(v):
    return v is not None and not (isinstance(v, float) and math.isnan(v))


RESOLVED_BY = {"lat_p99_ms": 100, "lat_p999_ms": 1000}  # latencies a round needs for the percentile


def resolved(case, counter):
    return case.latencies() >= RESOLVED_BY.get(counter, 0)


def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"
