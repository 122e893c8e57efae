#!/usr/bin/env python3
"""Charts and a report from simul-bench JSON.

usage: report.py RUN.json [MORE.json ...] [--out DIR]

Writes DIR/charts/<workload>.png and .svg (throughput, latency, memory per
task and efficiency against the workload's size, one line per model) and
DIR/REPORT.md, which shows them with a table per workload, the chess story
table, the skipped cases and the machine. DIR defaults to the folder of the
first input. Several inputs (repetitions, runs) are merged: the charts show
the median and the spread. Bad input: one line naming the file, exit 2, and
nothing in DIR is touched.
"""

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

import simul_results as sr

MODEL_ORDER = ["sequential", "thread_per_task", "thread_pool", "coroutine_loop"]

METHODOLOGY = """\
- **Latency** is measured from the moment a task became available (for a
  burst, the start of the run), not from when a model got round to it, so
  queueing shows in it; for `serve` it is measured by the load generator from
  each request's scheduled time, timeouts counted at the timeout.
- **Memory** is the peak resident set above the start of the case (glibc's
  free memory trimmed, the kernel's high-water mark reset). It misses what the
  kernel spends for the process: thread kernel stacks, page tables, socket
  buffers. Memory per task divides it by the most tasks in flight at once.
- **Efficiency** is the ideal makespan for the model's shape (tasks in flight,
  CPUs usable) divided by the measured one; for `serve`, the achieved ÷
  offered request rate.
- **Cold vs warm cache** (`file_read`): cold evicts every file from the page
  cache before the run, warm reads them once; on a VM whose disk the host
  caches, cold reads are still fast.
- One machine, shared; where the input has repetitions the charts show the
  median with the range as error bars, otherwise one run per point."""


def model_key(model):
    kind, _, size = model.partition(":")
    rank = MODEL_ORDER.index(kind) if kind in MODEL_ORDER else len(MODEL_ORDER)
    return (rank, int(size) if size.isdigit() else 0)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def group(case):
    """Burst cases of a workload chart together; its rate cases chart apart."""
    return f"{case.workload}_rate" if case.params.get("arrival") == "rate" else case.workload


class Workload:
    """The cases of one workload, arranged as series against an x parameter."""

    def __init__(self, name, cases):
        self.name = name
        self.cases = cases
        self.rate = name.endswith("_rate")
        keys = list(cases[0].params)
        varying = [k for k in keys if len({c.params.get(k) for c in cases}) > 1]
        numeric = [k for k in varying if all(number(c.params.get(k, "")) is not None for c in cases)]
        # Rate cases: latency against offered load (their task count follows the rate).
        self.x = "rate" if self.rate else (numeric[0] if numeric else None)
        self.others = [k for k in varying if k != self.x and not (self.rate and k in numeric)]
        self.throughput = "rate_achieved" if any("rate_achieved" in r for c in cases for r in c.runs) else "items_per_second"

    def series_name(self, case):
        return " ".join([case.model] + [f"{k}:{case.params[k]}" for k in self.others])

    def series(self):
        """series name → cases sorted by x, in model order."""
        out = {}
        for c in sorted(self.cases, key=lambda c: (model_key(c.model), self.series_name(c))):
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


# ---- writing files whole --------------------------------------------------

def replace_atomically(path, write):
    """write(tmp_path) then rename over path, so a failure leaves the old file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---- charts ----------------------------------------------------------------

def draw(workload, charts_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    panels = [
        (workload.throughput, "requests/s answered" if workload.throughput == "rate_achieved" else "tasks/s", True),
        ("latency", "latency (ms): p99 solid, p50 dashed", True),
        ("mem_per_task_bytes", "memory per task in flight (bytes)", True),
        ("efficiency", "efficiency (ideal ÷ measured)", False),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    series = workload.series()
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    bars = workload.x is None or len({workload.xvalue(c) for c in workload.cases}) == 1
    for ax, (counter, title, log) in zip(axes.flat, panels):
        ax.set_title(title, fontsize=10)
        for i, (name, cases) in enumerate(series.items()):
            color = colors[i % len(colors)]
            counters = ["lat_p99_ms", "lat_p50_ms"] if counter == "latency" else [counter]
            ran = [c for c in cases if c.runs]
            for k, ctr in enumerate(counters):
                if log:  # a log axis has no room for zeros (small cases read 0 bytes)
                    ran = [c for c in cases if c.runs and c.median(ctr) > 0]
                ys = [c.median(ctr) for c in ran]
                lo = [y - c.spread(ctr)[0] for y, c in zip(ys, ran)]
                hi = [c.spread(ctr)[1] - y for y, c in zip(ys, ran)]
                style = "--" if k == 1 else "-"
                if bars:
                    pos = i + (0.4 if k == 1 else 0)
                    if ran:
                        ax.bar([pos], ys[:1], width=0.4, color=color, alpha=0.5 if k else 0.9,
                               yerr=[lo[:1], hi[:1]], capsize=3, label=name if k == 0 else None)
                else:
                    ax.errorbar([workload.xvalue(c) for c in ran], ys, yerr=[lo, hi], color=color, linestyle=style,
                                marker="o", markersize=4, capsize=3, label=name if k == 0 else None)
            # Cases that hit a limit: ringed; cases that did not run: × on the axis.
            for c in ran:
                if "limit" in c.label and not bars:
                    y = c.median(counters[0])
                    ax.plot([workload.xvalue(c)], [y], marker="o", markersize=11, markerfacecolor="none",
                            markeredgecolor="red")
            capacity = max([c.median("capacity") for c in ran if "capacity" in c.runs[0]] or [0])
            if workload.rate and counter == "latency" and capacity > 0:
                ax.axvline(capacity, color=color, linestyle=":", alpha=0.8)
            if not bars:
                skipped = [workload.xvalue(c) for c in cases if not c.runs]
                if skipped:
                    ax.plot(skipped, [0.02] * len(skipped), linestyle="none", marker="x", color=color,
                            transform=blended_transform_factory(ax.transData, ax.transAxes), clip_on=False)
        if bars:
            ax.set_xticks(range(len(series)))
            ax.set_xticklabels(list(series), rotation=30, ha="right", fontsize=7)
        else:
            ax.set_xlabel(workload.x)
            if all(workload.xvalue(c) > 0 for c in workload.cases):
                ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    note = "× on an axis: skipped (not run); red ring: hit a limit" if not bars else ""
    if workload.rate:
        note = "× on an axis: saturated (not run); dotted: predicted capacity"
    fig.legend(handles, labels, loc="lower center", ncol=min(4, max(1, len(labels))), fontsize=8)
    title = f"{workload.name[:-5]}, rate arrivals" if workload.rate else workload.name
    fig.suptitle(f"{title}: {note}" if note else title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    written = []
    for ext in ("png", "svg"):
        target = Path(charts_dir) / f"{workload.name}.{ext}"
        replace_atomically(target, lambda tmp: fig.savefig(tmp, format=ext, dpi=110,
                                                           metadata={"Date": None} if ext == "svg" else None))
        written.append(target)
    plt.close(fig)
    return written


# ---- tables ----------------------------------------------------------------

def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def headline_table(workload):
    x = workload.headline_x()
    rows, absent = [], []
    for name, cases in workload.series().items():
        pick = [c for c in cases if c.runs and (x is None or workload.xvalue(c) == x)]
        if pick:
            rows.append((name, pick[-1]))
        else:
            absent.append(name)
    if not rows:
        return "No case of this workload ran.\n"
    sums = {c.median("checksum") for _, c in rows}
    head = ""
    if x is not None:
        head = f"At {workload.x} = {fmt(x)}, the largest value that the most models ran"
        head += f" (not run there: {', '.join(absent)})." if absent else "."
    lines = [head, "",
             "| model | makespan (s) | throughput | p50 (ms) | p99 (ms) | memory per task (B) | threads | efficiency | failed | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, c in rows:
        lines.append(f"| {name} | {fmt(c.median('makespan_s'))} | {fmt(c.median(workload.throughput))} | "
                     f"{fmt(c.median('lat_p50_ms'))} | {fmt(c.median('lat_p99_ms'))} | "
                     f"{fmt(c.median('mem_per_task_bytes'))} | {fmt(c.median('threads_peak'))} | "
                     f"{fmt(c.median('efficiency'), 2)} | {fmt(c.median('failed'))} | {c.label.replace('|', '/')} |")
    if workload.name != "serve":
        lines += ["", "Checksums agree across these models." if len(sums) == 1 else
                  "**Checksums differ across these models** (see the JSON)."]
    return "\n".join(lines) + "\n"


def chess_table(workload):
    """The exhibition in the story's units: the master thinks 5 s, the opponent 55 s."""
    groups = {}
    for c in workload.cases:
        if c.runs:
            groups.setdefault(tuple(sorted(c.params.items())), []).append(c)
    if not groups:
        return ""
    # The group most models ran; among those the story's 24 boards, else the largest.
    boards_of = lambda kv: int(dict(kv[0]).get("boards", 0))
    params, cases = max(groups.items(), key=lambda kv: (len(kv[1]), boards_of(kv) == 24, boards_of(kv)))
    p = dict(params)
    boards, moves, think_us = int(p["boards"]), int(p["moves"]), int(p["think_us"])
    story_second = think_us / 5 * 1e-6  # seconds of run per second of story
    seq = next((c for c in cases if c.model == "sequential"), None)
    seq_s = seq.median("makespan_s") if seq else None
    lines = [f"B = {boards} boards, M = {moves} move pairs, C = {think_us} µs, W = {p['reply_us']} µs: "
             f"one second of the story is {story_second * 1e3:g} ms here.", "",
             "| | makespan | in the story | vs. measured sequential |", "| --- | --- | --- | --- |",
             f"| story: one board after another | {boards * moves * 60 * story_second:.3g} s | "
             f"{boards * moves * 60 / 3600:.3g} h | |",
             f"| story: board to board, one master | {boards * moves * 5 * story_second:.3g} s | "
             f"{boards * moves * 5 / 3600:.3g} h | |"]
    for c in sorted(cases, key=lambda c: model_key(c.model)):
        s = c.median("makespan_s")
        ratio = f"{seq_s / s:.1f}×" if seq_s else "–"
        lines.append(f"| {c.model} | {s:.3g} s | {s / story_second / 3600:.3g} h | {ratio} |")
    return "\n".join(lines) + "\n"


def machine(context):
    keys = [("host", "host_name"), ("CPU", "cpu_model"), ("CPUs", "num_cpus"), ("kernel", "kernel"),
            ("compiler", "compiler"), ("build", "build_type"), ("Boost", "boost"), ("oneTBB", "onetbb"),
            ("Google Benchmark", "google_benchmark"), ("date", "date"),
            ("RLIMIT_NOFILE", "rlimit_nofile"), ("pid_max", "pid_max")]
    return "\n".join(f"- {label}: {context[k]}" for label, k in keys if k in context)


def report(run, out_dir):
    out_dir = Path(out_dir)
    charts = out_dir / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    lines = ["# simul report", "",
             f"From {', '.join(f'`{f}`' for f in run.files)}.", "",
             "## Machine and build", "", machine(run.context), "",
             "## Command", "", f"```\n{run.context.get('simul_command', '(not recorded)')}\n```", "",
             "## Method", "", METHODOLOGY, ""]
    groups = []
    for c in run.cases.values():
        if group(c) not in groups:
            groups.append(group(c))
    for name in groups:
        w = Workload(name, [c for c in run.cases.values() if group(c) == name])
        files = draw(w, charts)
        title = f"{name[:-5]}: latency against offered load (rate arrivals)" if w.rate else name
        lines += [f"## {title}", ""]
        if w.rate:
            lines += ["Tasks arrive at a fixed rate and latency counts from each task's scheduled arrival. "
                      "Below a model's capacity (dotted) latency stays near one task's service time; past it "
                      "the backlog grows with every arrival and latency climbs until the case no longer fits "
                      "its time budget (× on the axis: saturated).", ""]
        lines += [f"![{name}](charts/{files[0].name}) ([SVG](charts/{files[1].name}))", ""]
        if w.x:
            lines += [f"x axis: `{w.x}`; one line per " + ("model and " + ", ".join(f"`{k}`" for k in w.others)
                                                          if w.others else "model") + ".", ""]
        lines += [headline_table(w), ""]
        if name == "chess":
            lines += ["### The exhibition in the story's units", "", chess_table(w), ""]
        skipped = [c for c in w.cases if not c.runs]
        limited = [c for c in w.cases if c.runs and ("limit" in c.label or c.median("failed") > 0)]
        if skipped or limited:
            lines += ["Cases that did not run, or hit a limit:", ""]
            lines += [f"- `{c.name}`: {c.skipped}" for c in skipped]
            lines += [f"- `{c.name}`: {c.label}" for c in limited]
            lines.append("")
    replace_atomically(out_dir / "REPORT.md", lambda tmp: Path(tmp).write_text("\n".join(lines)))
    return out_dir / "REPORT.md"


def main(argv=None):
    ap = argparse.ArgumentParser(description="Charts and a report from simul-bench JSON.")
    ap.add_argument("inputs", nargs="+", help="Google Benchmark JSON files from simul-bench")
    ap.add_argument("--out", help="output folder (default: the first input's folder)")
    args = ap.parse_args(argv)
    try:
        run = sr.load(args.inputs)  # everything is checked before anything is written
    except sr.InputError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(args.inputs[0]).resolve().parent
    path = report(run, out)
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
