#!/usr/bin/env python3
"""Charts and a report from simul-bench JSON.

usage: report.py RUN.json [MORE.json ...] [--out DIR] [--traces DIR]

Writes DIR/charts/<workload>.png and .svg (throughput, latency, memory per
task and efficiency against the workload's size, one line per model; bars
grouped by model for a workload with one size), DIR/charts/<workload>_timeline
.png/.svg (a Gantt chart per workload from the per-task traces, when there
are any) and DIR/REPORT.md, which shows them with a table per workload, the
chess story table, the skipped cases, the machine and, when the run has
peers (docs/PEERS.md), the other runtimes beside simul's models. DIR
defaults to the folder of the first input, the traces to its traces/ folder.
Several inputs (repetitions, runs) are merged: the charts show the median and
the spread. Colours are fixed per model (simul_style.py). Bad input or an
unusable --out: one line naming it, exit 2, and nothing in DIR is touched.

This file assembles REPORT.md: its sections and tables. charts.py and
timeline.py draw; simul_workload.py arranges a workload's cases for both.
"""

import argparse
import math
import os
import re
import sys
from pathlib import Path

import anchors_report
import baselines
import charts
import simul_results as sr
import simul_stats as stats
import simul_style as style
import timeline
from simul_workload import PAGE, STORY_BOARDS, Workload, fmt, group, has_kernel, memory, resolved

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
  other processes used (not simul-bench nor its helpers) while it ran.
- **The network** (Machine and build, above): `loopback`, the helpers (load
  generator, delay server) beside simul-bench; `netns`, the helpers in
  another network namespace across a veth pair (`scripts/bench.sh --netns`);
  `remote`, the helpers on another host.
- **The load generator's CPU** (`serve`): its user + system time and the
  share of its one core it used. At 90% or more it was saturated: the figure
  is the generator's limit, not the server's."""


# ---- stability: how wide a case's interval is, and why -------------------

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


# ---- tables ----------------------------------------------------------------

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


def ratio_cell(workload, refs, case):
    """The ÷ column: the reference model's case of the same variant (cache
    state, file size, ...) over this one, round by round; – where the
    reference did not run that variant. Across variants it would divide a
    cold read by a warm one."""
    ref = refs.get(workload.variant(case))
    if ref is None:
        return "–"
    return "1" if case is ref else fmt_interval(paired(ref, case), 3, "×")


def references(workload, cases):
    """The reference model, and its case for each variant."""
    model = reference_model(cases).model
    return model, {workload.variant(c): c for c in cases if c.model == model}


def load_cpu(case):
    """The load generator's CPU cell, and a note where it was saturated."""
    seconds, share = case.median("load_cpu_s"), case.median("load_cpu_share")
    if math.isnan(share):
        return "–", ""
    note = (f"**the load generator's limit**: it used {share:.0%} of its core, so the server may have more to give"
            if share >= sr.LOAD_SATURATED else "")
    return f"{fmt(seconds)} s ({share:.0%})", note


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
    ref_model, refs = references(workload, [c for _, c in rows])
    head = ""
    if x is not None:
        head = f"At {workload.x} = {fmt(x)}, the largest value that the most models ran"
        head += f" (not run there: {', '.join(absent)})." if absent else "."
    mem_head = "memory per task: resident / kernel (B)" if kernel else "memory per task, resident (B)"
    loaded = any("load_cpu_share" in r for _, c in rows for r in c.runs)
    lines = [head, "",
             f"| model | rounds | makespan (s) | ÷ {ref_model} | throughput | p50 (ms) | p99 (ms) | p99.9 (ms) | "
             f"{mem_head} | memory in all (B) | threads | efficiency | failed | "
             + ("load generator CPU (share of its core) | " if loaded else "") + "note |",
             "| --- " * (15 if loaded else 14) + "|"]
    for name, c in rows:
        mem = fmt_memory(c, "resident") + (f" / {fmt_memory(c, 'kernel')}" if kernel else "")
        ratio = ratio_cell(workload, refs, c)
        note = c.label.replace("|", "/")
        load_cell, saturated = load_cpu(c) if loaded else ("", "")
        if saturated:
            note = saturated + (f"; {note}" if note else "")
        causes = unstable_causes(c)
        if causes:
            note = ("**unstable**: " + ", ".join(causes) + (f"; {note}" if note else ""))
        lines.append(f"| {name} | {len(c.runs)} | {figure(c, 'makespan_s')} | {ratio} | "
                     f"{figure(c, workload.throughput)} | {figure(c, 'lat_p50_ms')} | {figure(c, 'lat_p99_ms')} | "
                     f"{figure(c, 'lat_p999_ms')} | {mem} | {figure(c, 'mem_total_bytes')} | "
                     f"{fmt(c.median('threads_peak'))} | {figure(c, 'efficiency', 2)} | {fmt(c.median('failed'))} | "
                     + (f"{load_cell} | " if loaded else "") + f"{note} |")
    if not workload.answers_requests:
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
    # The group most models ran; among those the story's boards, else the largest.
    boards_of = lambda kv: int(dict(kv[0]).get("boards", 0))
    params, cases = max(groups.items(), key=lambda kv: (len(kv[1]), boards_of(kv) == STORY_BOARDS, boards_of(kv)))
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
    for c in sorted(cases, key=lambda c: style.model_key(c.model)):
        iv = c.interval("makespan_s")
        hours = stats.Interval(*(v / story_second / 3600 for v in (iv.median, iv.lo, iv.hi)), iv.n, iv.coverage)
        ratio = fmt_interval(paired(c, seq), 3, "×") if seq is not None else "–"  # sequential ÷ this model
        lines.append(f"| {c.model} | {fmt_interval(iv, 3, ' s')} | {fmt_interval(hours, 3, ' h')} | {ratio} |")
    return "\n".join(lines) + "\n"


# ---- other runtimes (docs/PEERS.md) ------------------------------------------

# simul's models that the peers are shown beside, where the run has them.
BESIDE = ("coroutine_loop", "thread_per_task", "stackful_loop")


def peer_models(run):
    """The models that are other runtimes' programs. simul meters a peer's
    start-up, and only a peer's, so its cases carry startup_s: no list of
    names to keep. A peer that ran no case is still named by its --peer flag."""
    ran = {c.model for c in run.cases.values() if c.values("startup_s")}
    return ran | set(re.findall(r"--peer=(\w+)=", run.context.get("simul_command", "")))


def fmt_with_kernel(case):
    """Memory per task, resident and kernel together."""
    return "< 4 KiB in all" if case.median("mem_total_bytes") < PAGE else fmt(case.median("mem_total_per_task_bytes"))


def peers_table(w, peers):
    """The peers beside simul's models, at the size the most of them ran; '' if none ran."""
    x = w.headline_x()
    rows = [[c for c in cases if c.runs and (x is None or w.xvalue(c) == x)] for cases in w.series().values()]
    rows = [(w.series_name(pick[-1]), pick[-1]) for pick in rows if pick]
    if not any(c.model in peers for _, c in rows):
        return ""
    ref_model, refs = references(w, [c for _, c in rows])
    kernel = has_kernel(w.cases)
    lines = [f"At {w.x} = {fmt(x)}.", ""] if x is not None else []
    lines += [f"| runtime | rounds | makespan (s) | ÷ {ref_model} | p99 (ms) | memory per task: resident"
              f"{' / with kernel' if kernel else ''} (B) | threads | efficiency | start-up (s) | "
              "resident at start-up (B) |", "| --- " * 10 + "|"]
    for name, c in rows:
        mem = fmt_memory(c, "resident") + (f" / {fmt_with_kernel(c)}" if kernel else "")
        ratio = ratio_cell(w, refs, c)
        lines.append(f"| {name} | {len(c.runs)} | {figure(c, 'makespan_s')} | {ratio} | {figure(c, 'lat_p99_ms')} | "
                     f"{mem} | {fmt(c.median('threads_peak'))} | {figure(c, 'efficiency', 2)} | "
                     f"{figure(c, 'startup_s')} | {figure(c, 'mem_startup_bytes')} |")
    lines += sizes_table(w)
    # The lesson's two ways to play the exhibition, in one runtime: chess only.
    both = [(a, s) for a in w.cases if a.model == "python_asyncio" and a.runs
            for s in w.cases if s.model == "python_sequential" and s.runs and s.params == a.params]
    if both:  # at the table's size where both ran it, else their largest
        a, s = max(both, key=lambda pair: (w.xvalue(pair[0]) == x, w.xvalue(pair[0]) or 0))
        at = " ".join(f"{k}:{v}" for k, v in a.params.items())
        lines += ["", f"python_sequential ÷ python_asyncio, makespan at {at}: {fmt_interval(paired(a, s), 3, '×')}, "
                  "round by round (the lesson's 12 hours against 1 hour)."]
    return "\n".join(lines) + "\n"


def sizes_table(w):
    """Makespan and memory per task at every number of tasks the runtimes
    ran (sleep's 10,000 to 1,000,000): [] where the run has one only."""
    xs = sorted({w.xvalue(c) for c in w.cases if c.runs and w.x == "tasks"})
    if len(xs) < 2:
        return []
    lines = ["", f"At every {w.x}: makespan (s), and memory per task, resident / with kernel (B).", "",
             "| runtime | " + " | ".join(f"{w.x} = {fmt(x)}" for x in xs) + " |", "| --- " * (len(xs) + 1) + "|"]
    partly = False
    for name, cases in w.series().items():
        at = {w.xvalue(c): c for c in cases if c.runs}
        if not at:
            continue
        cells = []
        for x in xs:
            c = at.get(x)
            if c is None:
                cells.append("–")
                continue
            cell = f"{figure(c, 'makespan_s')}; {fmt_memory(c, 'resident')} / {fmt_with_kernel(c)}"
            # The meter divides by the most tasks in flight at once (started,
            # not ended); a runtime still spawning when its first tasks end has
            # fewer in flight than it holds, and its figure per task is larger.
            per_task = c.median("mem_per_task_bytes")
            in_flight = c.median("mem_peak_bytes") / per_task if per_task > 0 else math.nan
            if in_flight < 0.9 * c.median("tasks"):
                cell += f" ‡ ({fmt(round(in_flight))} in flight)"
                partly = True
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if partly:
        lines += ["", "‡ Fewer tasks in flight at once than the case has: the runtime's first tasks ended while it "
                  "was still creating the rest. Memory per task divides the peak by the tasks in flight, so "
                  "tasks created but not yet started count in the peak and not in the divisor."]
    return lines


def peers_section(run, groups):
    """Other runtimes beside simul's models, a table per workload; [] if the run has none."""
    peers = peer_models(run)
    if not peers:
        return []
    lines = ["## Other runtimes", "",
             "Programs of other runtimes, run as models (docs/PEERS.md), beside simul's "
             + ", ".join(BESIDE) + " where this run has them. simul meters a peer's process from outside as "
             "it meters itself. Start-up (from spawning the peer to its `ready`) and the memory resident then "
             "are in none of the other figures; threads are all of the runtime's, its helpers too. Efficiency "
             "is against the workload's ideal, every task in flight on every core: a runtime that runs one task "
             "at a time is far below 1 by its shape.", ""]
    for name in groups:
        cases = [c for c in run.cases.values() if group(c) == name and (c.model in peers or c.model in BESIDE)]
        mine = [c for c in cases if c.model in peers]
        if not mine:
            continue
        lines += [f"### {name}", "", peers_table(Workload(name, cases), peers) or "No peer ran this workload.", ""]
        why = {}  # reason → the peers it kept out; a peer's own words group apart from its name
        for c in mine:
            if not c.runs:
                why.setdefault(c.skipped.replace(f"skipped: {c.model} says:", "the peer says:"), {})[c.model] = None
        if why:
            lines += ["Did not run: " + "; ".join(", ".join(f"`{m}`" for m in models) + f" — {reason}"
                                                   for reason, models in why.items()) + ".", ""]
    return lines


def activity_section(w):
    """What the machine was doing while the workload ran, and a warning if it was busy."""
    seen = [r for c in w.cases for r in host_rounds(c)]
    if not seen:
        return []
    def median_and_most(counter):
        v = [r[counter] for r in seen if r.get(counter, -1) >= 0]
        return (stats.median(v), max(v)) if v else (math.nan, math.nan)
    load, steal, others = (median_and_most(k) for k in ("host_load1", "host_steal_pct", "host_others_pct"))
    lines = [f"The machine meanwhile, over the {len(seen)} rounds of at least {SEES_LOAD_S:g} s: load average at a "
             f"case's start {fmt(load[0], 2)} (at most {fmt(load[1], 2)}; simul-bench's own threads count in it); "
             f"CPU stolen by the hypervisor {fmt(steal[0], 2)}% (at most {fmt(steal[1], 2)}%); CPU used by other "
             f"processes {fmt(others[0], 2)}% (at most {fmt(others[1], 2)}%).", ""]
    if others[0] > 10 or steal[0] > 2:
        lines += [f"**Busy machine**: while {w.name} ran, other processes used a median of {fmt(others[0], 2)}% "
                  f"of the CPUs and the hypervisor stole {fmt(steal[0], 2)}%. Its figures may be slower and their "
                  "intervals wider than on a quiet machine: stop other work (builds, tests, browsers) and run it "
                  "again, e.g. `scripts/bench.sh --benchmark_filter=^" + w.cases[0].workload + "/`.", ""]
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
    return lines


def machine(context):
    keys = [("host", "host_name"), ("CPU", "cpu_model"), ("CPUs", "num_cpus"), ("kernel", "kernel"),
            ("compiler", "compiler"), ("build", "build_type"), ("Boost", "boost"), ("oneTBB", "onetbb"),
            ("Google Benchmark", "google_benchmark"), ("date", "date"),
            ("RLIMIT_NOFILE", "rlimit_nofile"), ("pid_max", "pid_max"), ("CPU frequency governor", "cpu_governor"),
            ("rounds", "simul_rounds"), ("load average at the start", "load_avg"),
            ("network", "simul_network"), ("where each side ran", "simul_network_detail"), ("link", "simul_link"),
            ("other runtimes", "simul_runtimes")]
    return "\n".join(f"- {label}: {context[k]}" for label, k in keys if k in context)


def timeline_section(w, traces_dir, charts_dir):
    if w.rate:
        return []
    lines = []
    drawn = timeline.draw(w, traces_dir, charts_dir, charts.saver(charts_dir)) if traces_dir.is_dir() else None
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
    charts_dir = out_dir / "charts"
    charts_dir.mkdir(parents=True, exist_ok=True)
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
        files, colors[name] = charts.draw(w, charts_dir)
        title = f"{name[:-5]}: latency against offered load (rate arrivals)" if w.rate else name
        lines += [f"## {title}", ""]
        if w.rate:
            lines += ["Tasks arrive at a fixed rate and latency counts from each task's scheduled arrival. "
                      "Below a model's capacity (dotted) latency stays near one task's service time; past it "
                      "the backlog grows with every arrival and latency climbs until the case no longer fits "
                      "its time budget (× on the axis: saturated).", ""]
        lines += [f"![{name}](charts/{files[0].name}) ([SVG](charts/{files[1].name}))", ""]
        if w.x and charts.files_are_lines(w):
            lines += [f"x axis: `{w.x}`; one line per " + ("model and " + ", ".join(f"`{k}`" for k in w.others)
                                                          if w.others else "model") + ".", ""]
        elif w.x:
            lines += [f"Bars at `{w.x}` = {fmt(w.headline_x())}, grouped by model"
                      + (", one bar per " + ", ".join(f"`{k}`" for k in w.others) if w.others else "") + ".", ""]
        lines += [headline_table(w), ""]
        if w.exhibition and not w.rate:  # the story's exhibition: burst arrivals
            lines += ["### The exhibition in the story's units", "", chess_table(w), ""]
        lines += stability_section(w) + activity_section(w)
        lines += timeline_section(w, traces_dir, charts_dir)
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
    lines += peers_section(run, groups)
    lines += baselines.report_section(Path(run.files[0]).resolve().parent)
    lines += anchors_report.report_section(Path(run.files[0]).resolve().parent)  # anchors.json beside run.json
    sr.replace_atomically(out_dir / "REPORT.md", lambda tmp: Path(tmp).write_text("\n".join(lines), encoding="utf-8"))
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
