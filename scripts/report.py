#!/usr/bin/env python3
"""Charts and a report from simul-bench JSON.

usage: report.py RUN.json [MORE.json ...] [--out DIR] [--traces DIR]

Writes DIR/charts/<workload>.png and .svg (throughput, latency, memory per
task and efficiency against the workload's size, one line per model; bars
grouped by model for a workload with one size), DIR/charts/<workload>_timeline
.png/.svg (a Gantt chart per workload from the per-task traces, when there
are any) and DIR/REPORT.md, which shows them with a table per workload, the
chess story table, the skipped cases and the machine. DIR defaults to the
folder of the first input, the traces to its traces/ folder. Several inputs
(repetitions, runs) are merged: the charts show the median and the spread.
Colours are fixed per model (simul_style.py). Bad input or an unusable --out:
one line naming it, exit 2, and nothing in DIR is touched.
"""

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

import anchors_report
import baselines
import simul_results as sr
import simul_stats as stats
import simul_style as style
import timeline

PAGE = 4096  # the meter counts memory in pages: less than one reads 0
MAX_LINES = 12  # series a line chart's legend can hold

METHODOLOGY = """\
- **Latency** is measured from the moment a task became available (for a
  burst, the start of the run), not from when a model got round to it, so
  queueing shows in it; for `serve` it is measured by the load generator from
  each request's scheduled time, timeouts counted at the timeout.
- **Memory** has two parts, each divided by the most tasks in flight at once.
  *Resident* (user) memory is the peak resident set above the start of the
  case (glibc's free memory trimmed, the kernel's high-water mark reset): the
  stacks, heap and buffers the process itself touched. *Kernel* memory is what
  the kernel spends for the process and is not in its resident set: page
  tables, thread kernel stacks and socket buffers (`mem_kernel_bytes`; runs
  made before simul-bench had it show resident memory only, and miss these).
  Both are counted in 4 KiB pages, so a figure under one page reads as
  "< 4 KiB" rather than as a measured zero.
- **Efficiency** is the ideal makespan for the model's shape (tasks in flight,
  CPUs usable) divided by the measured one: 1 is the physical limit; for
  `serve`, the achieved ÷ offered request rate. `file_read` leaves it out: its
  ideal assumes free IO, so the ratio says little.
- **Cold vs warm cache** (`file_read`): cold evicts every file from the page
  cache before the run, warm reads them once; on a VM whose disk the host
  caches, cold reads are still fast.
- **Timelines** come from the per-task traces (`simul-bench --trace-dir`):
  due, start and end of each task; cases over the trace limit are not traced.
- **Rounds and intervals.** Each case runs in several rounds, interleaved
  across the sweep (round 0 of every case, then round 1 in reverse order,
  and so on), so slow drift of the machine falls on every model alike. Every
  figure is the median over the rounds with its 95% interval, from order
  statistics (the k-th smallest and largest round; no assumption about the
  distribution). Six rounds are the fewest that give 95%: with fewer, the
  interval shown is the range of the rounds, marked †, and covers the median
  with less (75% for 3 rounds). Charts draw the interval as error bars.
- **Ratios between models** (the `÷` column, the chess story) pair round r
  of one model with round r of the other, which ran in the same pass of the
  sweep; the ratio is the median of the paired ratios, with the sign test's
  interval.
- **Unstable** marks a case whose makespan interval is wider than ±10% of its
  median, with the likely cause: too few rounds, other processes on the
  machine, steal time by the hypervisor, or the case itself.
- **Percentiles** are shown only where a round has the latencies to resolve
  them: p99 needs 100, p99.9 1,000; otherwise the percentile is just the
  largest latency, and the table shows "–".
- **What the machine was doing**: each case records the load average when it
  began, the share of the CPUs stolen by the hypervisor, and the share that
  other processes used (not simul-bench nor its helpers) while it ran."""


def model_key(model):
    return style.model_key(model)


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

    def variant(self, case):
        return " ".join(f"{k}:{case.params[k]}" for k in self.others)

    def series_name(self, case):
        return " ".join([case.model] + ([self.variant(case)] if self.others else []))

    def series(self):
        """series name → cases sorted by x, in model order."""
        out = {}
        for c in sorted(self.cases, key=lambda c: (model_key(c.model), style.natural(self.variant(c)))):
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


UNSTABLE = 0.10  # makespan interval wider than ±10% of the median
# /proc/stat counts in 10 ms ticks: a round shorter than this cannot tell a
# busy machine from a quiet one.
SEES_LOAD_S = 0.25


def host_rounds(case):
    """The rounds long enough for their load and steal figures to mean something."""
    return [r for r in case.runs if r.get("makespan_s", 0) >= SEES_LOAD_S and r.get("host_others_pct", -1) >= 0]


def unstable_causes(case):
    """Why a case's makespan interval is wide: [] if it is not."""
    iv = case.interval("makespan_s")
    if iv.n < 2 or not iv.half_width > UNSTABLE:
        return []
    causes = []
    if iv.n < 6:
        causes.append(f"too few rounds ({iv.n})")
    # One busy round is enough to widen the interval: the worst round counts.
    seen = host_rounds(case)
    steal = max((r["host_steal_pct"] for r in seen), default=-1)
    others = max((r["host_others_pct"] for r in seen), default=-1)
    if others > 10:
        causes.append(f"load on the machine (other processes used up to {others:.0f}% of the CPUs in a round)")
    if steal > 2:
        causes.append(f"steal time (up to {steal:.0f}% of the CPUs in a round)")
    if not causes:
        causes.append("the case itself varies from round to round" if seen else
                      f"the case itself, or the machine: its rounds are too short (under {SEES_LOAD_S:g} s) for "
                      "/proc/stat's 10 ms ticks to say whether other processes were busy")
    return causes


# ---- writing files whole, with the umask's modes ---------------------------

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


def saver(charts_dir):
    def save(fig, stem):
        written = []
        for ext in ("png", "svg"):
            target = Path(charts_dir) / f"{stem}.{ext}"
            replace_atomically(target, lambda tmp: fig.savefig(
                tmp, format=ext, dpi=110, metadata={"Date": None} if ext == "svg" else None))
            written.append(target)
        return written
    return save


def drawn_colors(fig):
    """model → the colours its artists were drawn in (each tagged gid model:<name>)."""
    from matplotlib.colors import to_hex
    out = {}
    for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith("model:")):
        get = getattr(a, "get_facecolor", None) if hasattr(a, "get_height") else getattr(a, "get_color", None)
        c = get()
        if hasattr(c, "ndim") and c.ndim == 2:
            c = c[0]
        out.setdefault(a.get_gid()[6:], set()).add(to_hex(c))
    return out


# ---- charts ----------------------------------------------------------------

def panels_for(workload):
    tput = ("mib_per_s", "throughput (MiB/s)") if any("mib_per_s" in r for c in workload.cases for r in c.runs) \
        else (workload.throughput, "requests/s answered" if workload.throughput == "rate_achieved" else "tasks/s")
    panels = [(tput[0], tput[1], True), ("latency", "latency (ms): p99 solid, p50 dashed", True),
              ("memory", "memory per task in flight (bytes)" + (": resident solid, kernel dotted"
                                                                if has_kernel(workload.cases) else ", resident only"),
               True),
              ("mem_total_bytes", "memory in all at the peak (bytes)" + (": resident + kernel"
                                                                         if has_kernel(workload.cases) else ""), True)]
    if workload.name != "file_read":
        panels.append(("efficiency", "efficiency: ideal makespan ÷ measured (1 = the limit)", False))
    return panels


def _series_lines(workload, counter):
    """(counter, linestyle, memory part or None) drawn for one panel."""
    if counter == "latency":
        return [("lat_p99_ms", "-", None), ("lat_p50_ms", "--", None)]
    if counter == "memory":
        parts = [("mem_per_task_bytes", "-", "resident")]
        if has_kernel(workload.cases):
            parts.append(("kernel", ":", "kernel"))
        return parts
    return [(counter, "-", None)]


def _value(case, ctr, part):
    if part:
        return memory(case, part)
    return case.median(ctr), False


def _error(case, ctr, part, y):
    """[below, above] y: the 95% interval of the median over the rounds, or None."""
    if part == "kernel" or len(case.runs) < 2:
        return None
    iv = case.interval("mem_per_task_bytes" if part == "resident" else ctr)
    return [max(0.0, y - iv.lo), max(0.0, iv.hi - y)]


def _grid(panels):
    """(rows, columns) of the figure's panels."""
    cols = 2 if len(panels) <= 4 else 3
    return math.ceil(len(panels) / cols), cols


def files_are_lines(workload):
    """Lines against x, or bars grouped by model where lines would not read:
    one size, or more series than a legend holds; file_read always (cold
    against warm, per model, is its comparison)."""
    single = workload.x is None or len({workload.xvalue(c) for c in workload.cases}) == 1
    return not (single or workload.name == "file_read" or len(workload.series()) > MAX_LINES)


def draw(workload, charts_dir):
    """Draws charts/<workload>.png/.svg; returns (files, model → colours drawn)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    series = workload.series()
    if not files_are_lines(workload):
        return draw_bars(workload, series, charts_dir)
    styles = style.variant_styles(workload.variant(c) for c in workload.cases)
    panels = panels_for(workload)
    nrows, ncols = _grid(panels)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 4.25 * nrows))
    from matplotlib.transforms import blended_transform_factory
    notes = set()
    for ax, (counter, title, log) in zip(axes.flat, panels):
        ax.set_title(title, fontsize=10)
        bottom = blended_transform_factory(ax.transData, ax.transAxes)
        plotted = []
        for index, (name, cases) in enumerate(series.items()):
            model = cases[0].model
            color = style.model_color(model)
            marker = styles[workload.variant(cases[0])][0]
            for ctr, dash, part in _series_lines(workload, counter):
                ran = [c for c in cases if c.runs and resolved(c, ctr)]
                vals = [(c,) + _value(c, ctr, part) for c in ran]
                tiny = [c for c, v, small in vals if small]
                vals = [(c, v) for c, v, small in vals if not small and finite(v) and (v > 0 or not log)]
                xs = [workload.xvalue(c) for c, _ in vals]
                ys = [v for _, v in vals]
                errs = [_error(c, ctr, part, y) for c, y in vals]
                err = None if all(e is None for e in errs) else \
                    [[e[0] if e else 0 for e in errs], [e[1] if e else 0 for e in errs]]
                if ys:
                    line = ax.errorbar(xs, ys, yerr=err, color=color, linestyle=dash, marker=marker, markersize=4,
                                       capsize=3)
                    line.lines[0].set_gid(f"model:{model}")
                    plotted += ys
                if tiny:  # under one page: a hollow triangle on the axis, not a gap
                    t = ax.plot([workload.xvalue(c) for c in tiny], [0.05] * len(tiny), linestyle="none",
                                marker="v", color=color, markerfacecolor="none", transform=bottom,
                                clip_on=False)
                    t[0].set_gid(f"model:{model}")
                    notes.add("▽ on the axis: memory under one page (< 4 KiB in all)")
            # Cases that hit a limit: ringed; cases that did not run: × on the axis.
            first = _series_lines(workload, counter)[0]
            for c in cases:
                if c.runs and "limit" in c.label:
                    y, small = _value(c, first[0], first[2])
                    if finite(y) and y > 0 and not small:
                        ax.plot([workload.xvalue(c)], [y], marker="o", markersize=11, markerfacecolor="none",
                                markeredgecolor=style.LIMIT_COLOR)
                        notes.add("red ring: hit a limit")
            capacity = max([c.median("capacity") for c in cases if c.runs and "capacity" in c.runs[0]] or [0])
            if workload.rate and counter == "latency" and capacity > 0:
                ax.axvline(capacity, color=color, linestyle=":", alpha=0.8)
                notes.add("dotted: predicted capacity")
            skipped = [workload.xvalue(c) for c in cases if not c.runs]
            if skipped:
                # Staggered by series, so that every model's × shows where several skipped.
                s = ax.plot(skipped, [0.015 + 0.03 * index] * len(skipped), linestyle="none", marker="x", color=color,
                            transform=bottom, clip_on=False)
                s[0].set_gid(f"model:{model}")
                notes.add("× on the axis: saturated (not run)" if workload.rate else "× on the axis: skipped (not run)")
        ax.set_xlabel(workload.x)
        if all(workload.xvalue(c) > 0 for c in workload.cases):
            ax.set_xscale("log")
        if log and any(y > 0 for y in plotted):
            ax.set_yscale("log")
        elif not plotted:
            ax.text(0.5, 0.5, "no values", transform=ax.transAxes, ha="center", color="#777777")
            ax.set_yticks([])
        ax.grid(True, which="both", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=style.model_color(cases[0].model),
                      marker=styles[workload.variant(cases[0])][0], label=name) for name, cases in series.items()]
    fig.legend(handles=handles, loc="lower center", ncol=min(4, max(1, len(handles))), fontsize=8)
    title = f"{workload.name[:-5]}, rate arrivals" if workload.rate else workload.name
    fig.suptitle(title + (". " + "; ".join(sorted(notes)) if notes else ""), fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    colors = drawn_colors(fig)
    files = saver(charts_dir)(fig, workload.name)
    plt.close(fig)
    return files, colors


def draw_bars(workload, series, charts_dir):
    """One size: horizontal bars grouped by model, variants side by side
    within a group, told apart by hatch; panels share the labels."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import EngFormatter

    panels = panels_for(workload)
    styles = style.variant_styles(workload.variant(c) for c in workload.cases)
    x = workload.headline_x()  # with several sizes: the largest that the most series ran
    rows, y, last_model = [], 0.0, None  # (y, name, case)
    for name, cases in series.items():
        at_x = [c for c in cases if x is None or workload.xvalue(c) == x]
        if not at_x:
            continue
        c = at_x[-1]
        if last_model is not None and c.model != last_model:
            y += 0.6  # a gap between models
        rows.append((y, name, c))
        last_model = c.model
        y += 1
    nrows, ncols = _grid(panels)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 + 4 * ncols, 0.9 + nrows * (1.0 + 0.3 * len(rows))),
                             sharey=True, squeeze=False)
    notes = set()
    for ax, (counter, title, log) in zip(axes.flat, panels):
        ax.set_title(title.replace("resident solid, kernel dotted", "resident, then kernel (light)")
                     .replace("p99 solid, p50 dashed", "bar p99, ◆ p50"), fontsize=9)
        plotted = []
        for y, name, c in rows:
            color, hatch = style.model_color(c.model), styles[workload.variant(c)][1]
            if not c.runs:
                ax.text(0.01, y, "not run", transform=ax.get_yaxis_transform(), va="center", fontsize=7,
                        color="#777777")
                continue
            left, small_parts = 0.0, []
            for k, (ctr, _, part) in enumerate(_series_lines(workload, counter)):
                v, small = _value(c, ctr, part)
                if not resolved(c, ctr):
                    if k == 0:
                        ax.text(0.01, y, "p99 –: under 100 latencies", transform=ax.get_yaxis_transform(),
                                va="center", fontsize=7, color="#777777")
                    continue
                if small or not finite(v) or (log and v <= 0):
                    if small:
                        small_parts.append(part)
                        notes.add("< 4 KiB: under one page in all")
                    continue
                if counter == "latency" and k == 1:  # p50: a mark on the p99 bar
                    m = ax.plot([v], [y], marker="D", markersize=5, color="black", linestyle="none")
                    m[0].set_gid("p50")
                    continue
                error = None if counter == "memory" else _error(c, ctr, part, v)
                b = ax.barh([y], [v], left=[left] if counter == "memory" else None, height=0.8, color=color,
                            alpha=1 if k == 0 else 0.45, hatch=hatch, edgecolor="white",
                            xerr=[[error[0]], [error[1]]] if error else None, capsize=3)
                if counter == "memory":
                    left += v
                for patch in b.patches:
                    patch.set_gid(f"model:{c.model}")
                end = v + error[1] if error else v
                plotted.append(left if counter == "memory" else end)
                if counter != "memory":
                    ax.text(end, y, " " + fmt(v), va="center", fontsize=7)
            if counter == "memory":
                under = " and ".join(small_parts) + " < 4 KiB"
                if left > 0:
                    ax.text(left, y, " " + fmt(left) + (f" ({under})" if small_parts else ""), va="center",
                            fontsize=7)
                elif small_parts:
                    ax.text(0.01, y, "< 4 KiB", transform=ax.get_yaxis_transform(), va="center", fontsize=7,
                            color=color)
        # Bars start at zero on a linear axis (a log axis has no zero, so bar
        # lengths would mislead); each bar's figure is written beside it.
        ax.tick_params(axis="y", labelsize=8)
        if not plotted:
            ax.set_xticks([])
            continue
        ax.set_xlim(0, max(plotted) * 1.2)
        if counter == "memory":
            ax.xaxis.set_major_formatter(EngFormatter(unit="B"))
        ax.grid(True, axis="x", alpha=0.3)
    axes[0][0].set_yticks([r[0] for r in rows])
    axes[0][0].set_yticklabels([r[1] for r in rows], fontsize=8)
    axes[0][0].set_ylim(rows[-1][0] + 0.7, -0.7)  # top to bottom, room for the end bars
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles = [Patch(facecolor=style.model_color(m), label=m)
               for m in sorted({c.model for c in workload.cases}, key=model_key)]
    handles += [Patch(facecolor="white", edgecolor="#555555", hatch=h, label=v) for v, (_, h) in styles.items() if v]
    fig.legend(handles=handles, loc="lower center", ncol=min(6, len(handles)), fontsize=8)
    size = f" at {workload.x} = {x:g}" if x is not None else ""
    if x is not None and len({workload.xvalue(c) for c in workload.cases}) > 1:
        size += " (other sizes: see the JSON)"
    fig.suptitle(f"{workload.name}{size}, grouped by model" + (". " + "; ".join(sorted(notes)) if notes else ""),
                 fontsize=11)
    fig.tight_layout(rect=(0, 0.6 / fig.get_figheight(), 1, 1 - 0.4 / fig.get_figheight()))
    colors = drawn_colors(fig)
    files = saver(charts_dir)(fig, workload.name)
    plt.close(fig)
    return files, colors


# ---- tables ----------------------------------------------------------------

def fmt(v, digits=3):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def fmt_memory(case, part):
    v, small = memory(case, part)
    return "< 4 KiB in all" if small else fmt(v)


def fmt_interval(iv, digits=3, unit=""):
    """'median (lo–hi)'; † where fewer than 6 rounds make the interval the range."""
    if iv.n == 0:
        return "–"
    if iv.n == 1:
        return fmt(iv.median, digits) + unit
    dagger = "" if iv.full else "†"
    # Enough digits that the bounds read apart from the median, where they differ.
    while digits < 4 and ((iv.lo != iv.median and fmt(iv.lo, digits) == fmt(iv.median, digits)) or
                          (iv.hi != iv.median and fmt(iv.hi, digits) == fmt(iv.median, digits))):
        digits += 1
    return f"{fmt(iv.median, digits)}{unit} ({fmt(iv.lo, digits)}–{fmt(iv.hi, digits)}){dagger}"


def figure(case, counter, digits=3):
    """A table cell: the median with its interval, or – where a percentile is not resolved."""
    if not resolved(case, counter):
        return "–"
    if counter == "mem_total_bytes" and case.median(counter) < PAGE:
        return "< 4 KiB"
    return fmt_interval(case.interval(counter), digits)


def paired(reference, case, counter="makespan_s"):
    """case ÷ reference over the rounds both ran, each pair from one pass of the sweep."""
    a, b = reference.by_round(counter), case.by_round(counter)
    return stats.paired_ratio([(a[r], b[r]) for r in sorted(a.keys() & b.keys())])


def reference_model(cases):
    """The model the ÷ column divides by: the one-thread loop where it ran, else the first."""
    return next((c for c in cases if c.model == "coroutine_loop"), cases[0])


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
    kernel = has_kernel(workload.cases)
    ref = reference_model([c for _, c in rows])
    head = ""
    if x is not None:
        head = f"At {workload.x} = {fmt(x)}, the largest value that the most models ran"
        head += f" (not run there: {', '.join(absent)})." if absent else "."
    mem_head = "memory per task: resident / kernel (B)" if kernel else "memory per task, resident (B)"
    lines = [head, "",
             f"| model | rounds | makespan (s) | ÷ {ref.model} | throughput | p50 (ms) | p99 (ms) | p99.9 (ms) | "
             f"{mem_head} | memory in all (B) | threads | efficiency | failed | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, c in rows:
        mem = fmt_memory(c, "resident") + (f" / {fmt_memory(c, 'kernel')}" if kernel else "")
        ratio = "1" if c is ref else fmt_interval(paired(ref, c), 3, "×")
        note = c.label.replace("|", "/")
        causes = unstable_causes(c)
        if causes:
            note = ("**unstable**: " + ", ".join(causes) + (f"; {note}" if note else ""))
        lines.append(f"| {name} | {len(c.runs)} | {figure(c, 'makespan_s')} | {ratio} | "
                     f"{figure(c, workload.throughput)} | {figure(c, 'lat_p50_ms')} | {figure(c, 'lat_p99_ms')} | "
                     f"{figure(c, 'lat_p999_ms')} | {mem} | {figure(c, 'mem_total_bytes')} | "
                     f"{fmt(c.median('threads_peak'))} | {figure(c, 'efficiency', 2)} | {fmt(c.median('failed'))} | "
                     f"{note} |")
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
    lines = [f"B = {boards} boards, M = {moves} move pairs, C = {think_us} µs, W = {p['reply_us']} µs: "
             f"one second of the story is {story_second * 1e3:g} ms here. The last column divides sequential's "
             "makespan by each model's, round by round (the story: 12).", "",
             "| | makespan | in the story | sequential ÷ this model |", "| --- | --- | --- | --- |",
             f"| story: one board after another | {boards * moves * 60 * story_second:.3g} s | "
             f"{boards * moves * 60 / 3600:.3g} h | |",
             f"| story: board to board, one master | {boards * moves * 5 * story_second:.3g} s | "
             f"{boards * moves * 5 / 3600:.3g} h | |"]
    for c in sorted(cases, key=lambda c: model_key(c.model)):
        iv = c.interval("makespan_s")
        hours = stats.Interval(*(v / story_second / 3600 for v in (iv.median, iv.lo, iv.hi)), iv.n, iv.coverage)
        ratio = fmt_interval(paired(c, seq), 3, "×") if seq is not None else "–"  # sequential ÷ this model
        lines.append(f"| {c.model} | {fmt_interval(iv, 3, ' s')} | {fmt_interval(hours, 3, ' h')} | {ratio} |")
    return "\n".join(lines) + "\n"


def activity_section(w):
    """What the machine was doing while the workload ran, and a warning if it was busy."""
    seen = [r for c in w.cases for r in host_rounds(c)]
    if not seen:
        return []
    def median_and_most(counter):
        v = [r[counter] for r in seen if r.get(counter, -1) >= 0]
        return (stats.median(v), max(v)) if v else (math.nan, math.nan)
    load, steal, others = (median_and_most(k) for k in ("host_load1", "host_steal_pct", "host_others_pct"))
    lines = [f"The machine meanwhile, over the {len(seen)} rounds of at least {SEES_LOAD_S:g} s: load average at a case's start "
             f"{fmt(load[0], 2)} (at most {fmt(load[1], 2)}; simul-bench's own threads count in it); CPU stolen by "
             f"the hypervisor {fmt(steal[0], 2)}% (at most {fmt(steal[1], 2)}%); CPU used by other processes "
             f"{fmt(others[0], 2)}% (at most {fmt(others[1], 2)}%).", ""]
    if others[0] > 10 or steal[0] > 2:
        lines += [f"**Busy machine**: while {w.name} ran, other processes used a median of {fmt(others[0], 2)}% "
                  f"of the CPUs and the hypervisor stole {fmt(steal[0], 2)}%. Its figures may be slower and their "
                  "intervals wider than on a quiet machine: stop other work (builds, tests, browsers) and run it "
                  "again, e.g. `scripts/bench.sh --benchmark_filter=^" + w.name.removesuffix("_rate") + "/`.", ""]
    return lines


def stability_section(w):
    unstable = [(c, unstable_causes(c)) for c in w.cases if c.runs]
    unstable = [(c, why) for c, why in unstable if why]
    if not unstable:
        return []
    lines = [f"Unstable (makespan interval wider than ±{UNSTABLE:.0%} of the median):", ""]
    for c, why in unstable:
        iv = c.interval("makespan_s")
        lines.append(f"- `{c.name}`: {fmt_interval(iv, 3, ' s')} over {iv.n} rounds; likely cause: {', '.join(why)}")
    return lines + [""]


def machine(context):
    keys = [("host", "host_name"), ("CPU", "cpu_model"), ("CPUs", "num_cpus"), ("kernel", "kernel"),
            ("compiler", "compiler"), ("build", "build_type"), ("Boost", "boost"), ("oneTBB", "onetbb"),
            ("Google Benchmark", "google_benchmark"), ("date", "date"),
            ("RLIMIT_NOFILE", "rlimit_nofile"), ("pid_max", "pid_max"), ("CPU frequency governor", "cpu_governor"),
            ("rounds", "simul_rounds"), ("load average at the start", "load_avg")]
    return "\n".join(f"- {label}: {context[k]}" for label, k in keys if k in context)


def timeline_section(w, traces_dir, charts, colors):
    if w.rate:
        return []
    lines = []
    drawn = timeline.draw(w, traces_dir, charts, saver(charts)) if traces_dir.is_dir() else None
    if drawn:
        files, x, panels = drawn
        size = f" at {w.x} = {fmt(x)}" if x is not None else ""
        lines += [f"### {w.name}: task timeline", "",
                  f"Each task{size} as a bar from its start to its end, one panel per model on one time axis; the "
                  "grey line before a bar is the wait since the task was due. Rows follow lanes of tasks that never "
                  "overlap (the trace does not record threads).", "",
                  f"![{w.name} timeline](charts/{files[0].name}) ([SVG](charts/{files[1].name}))", ""]
    skipped = timeline.not_traced(traces_dir)
    mine = [(c.name, skipped[c.name]) for c in w.cases if c.name in skipped]
    if mine:
        lines += ["Not traced (no timeline for these):", ""] + [f"- `{n}`: {why}" for n, why in mine] + [""]
    return lines


def report(run, out_dir, traces_dir=None):
    """Writes the charts and REPORT.md; returns (REPORT.md path, chart name → model → colours)."""
    out_dir = Path(out_dir)
    traces_dir = Path(traces_dir) if traces_dir else Path(run.files[0]).resolve().parent / "traces"
    charts = out_dir / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    lines = ["# simul report", "",
             f"From {', '.join(f'`{f}`' for f in run.files)}.", "",
             "## Machine and build", "", machine(run.context), "",
             "## Command", "", f"```\n{run.context.get('simul_command', '(not recorded)')}\n```", "",
             "## Method", "", METHODOLOGY, ""]
    most = max((len(c.runs) for c in run.cases.values()), default=0)
    if most <= 1:
        lines += ["**One round per case** (`--rounds=1`): the figures below have no intervals, and a difference "
                  "between two of them may be the machine's noise. Run without `--rounds=1` for intervals.", ""]
    groups, colors = [], {}
    for c in run.cases.values():
        if group(c) not in groups:
            groups.append(group(c))
    for name in groups:
        w = Workload(name, [c for c in run.cases.values() if group(c) == name])
        files, colors[name] = draw(w, charts)
        title = f"{name[:-5]}: latency against offered load (rate arrivals)" if w.rate else name
        lines += [f"## {title}", ""]
        if w.rate:
            lines += ["Tasks arrive at a fixed rate and latency counts from each task's scheduled arrival. "
                      "Below a model's capacity (dotted) latency stays near one task's service time; past it "
                      "the backlog grows with every arrival and latency climbs until the case no longer fits "
                      "its time budget (× on the axis: saturated).", ""]
        lines += [f"![{name}](charts/{files[0].name}) ([SVG](charts/{files[1].name}))", ""]
        if w.x and files_are_lines(w):
            lines += [f"x axis: `{w.x}`; one line per " + ("model and " + ", ".join(f"`{k}`" for k in w.others)
                                                          if w.others else "model") + ".", ""]
        elif w.x:
            lines += [f"Bars at `{w.x}` = {fmt(w.headline_x())}, grouped by model"
                      + (", one bar per " + ", ".join(f"`{k}`" for k in w.others) if w.others else "") + ".", ""]
        lines += [headline_table(w), ""]
        if name == "chess":
            lines += ["### The exhibition in the story's units", "", chess_table(w), ""]
        lines += stability_section(w) + activity_section(w)
        lines += timeline_section(w, traces_dir, charts, colors)
        skipped = [c for c in w.cases if not c.runs]
        limited = [c for c in w.cases if c.runs and ("limit" in c.label or c.median("failed") > 0)]
        if skipped or limited:
            lines += ["Cases that did not run, or hit a limit:", ""]
            lines += [f"- `{c.name}`: {c.skipped}" for c in skipped]
            lines += [f"- `{c.name}`: {c.label}" for c in limited]
            lines.append("")
        holes = [c for c in w.cases if c.missing]
        if holes:
            lines += ["Cases with values missing from the JSON (null or NaN; left out of the charts):", ""]
            lines += [f"- `{c.name}`: no value for {', '.join(sorted(c.missing))}" for c in holes]
            lines.append("")
    lines += baselines.report_section(Path(run.files[0]).resolve().parent)
    lines += anchors_report.report_section(Path(run.files[0]).resolve().parent)  # anchors.json beside run.json
    replace_atomically(out_dir / "REPORT.md", lambda tmp: Path(tmp).write_text("\n".join(lines), encoding="utf-8"))
    return out_dir / "REPORT.md", colors


def usable_out(out):
    """None if out is (or can be made) a writable folder, else why not."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: not a folder"
    try:
        (out / "charts").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return f"--out {out}: cannot make it: {e.strerror}"
    for d in (out, out / "charts"):
        if not os.access(d, os.W_OK | os.X_OK):
            return f"--out {d}: cannot write there"
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="Charts and a report from simul-bench JSON.")
    ap.add_argument("inputs", nargs="+", help="Google Benchmark JSON files from simul-bench")
    ap.add_argument("--out", help="output folder (default: the first input's folder)")
    ap.add_argument("--traces", help="per-task traces (default: traces/ beside the first input)")
    args = ap.parse_args(argv)
    try:
        run = sr.load(args.inputs)  # everything is checked before anything is written
    except sr.InputError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(args.inputs[0]).resolve().parent
    problem = usable_out(out)
    if problem:
        print(f"report.py: {problem}", file=sys.stderr)
        return 2
    try:
        path, _ = report(run, out, args.traces)
    except OSError as e:
        print(f"report.py: cannot write the report in {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
