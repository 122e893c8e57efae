"""Task timelines (Gantt charts) from simul-bench's per-task traces.

`simul-bench --trace-dir=DIR` writes DIR/<case>.csv for every case of at most
--trace-limit tasks (the format is documented in bench/harness/trace_csv.hpp)
and lists larger cases in DIR/not_traced.txt. This draws one panel per model,
one row per task and a shared time axis, so the panels compare directly.

The trace does not record which thread ran a task, so rows are ordered by
lanes: tasks that never overlap share a lane (sorted by start, each task takes
the first lane free by then). A sequential run is one lane, a staircase; a
pool of 2 is two; a loop that runs every task at once has a lane per task.
"""

import csv
import math
from pathlib import Path

import simul_style as style
from simul_workload import STORY_BOARDS


def trace_file_name(case_name):
    """As bench/harness/trace_csv.cpp names them."""
    return case_name.replace("/", "__").replace(":", "-") + ".csv"


def read_trace(path):
    """Rows (task, due, start, end, failed) in seconds; start/end None if never."""
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    for r in csv.DictReader(lines):
        s = [float(r[k]) / 1e6 if r[k] else None for k in ("due_us", "start_us", "end_us")]
        rows.append((int(r["task"]), *s, r["failed"] == "1"))
    return rows


def not_traced(traces_dir):
    """case name → why it has no trace."""
    out = {}
    path = Path(traces_dir) / "not_traced.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            name, sep, why = line.partition(": ")
            if sep:
                out[name] = why
    return out


def ordered(rows):
    """Rows in lane order (see the module's note), tasks that never started last."""
    started = sorted((r for r in rows if r[2] is not None), key=lambda r: (r[2], r[0]))
    lane_end, lane_of = [], {}
    for r in started:
        end = r[3] if r[3] is not None else math.inf
        free = next((i for i, e in enumerate(lane_end) if e <= r[2]), None)
        if free is None:
            lane_end.append(end)
            free = len(lane_end) - 1
        else:
            lane_end[free] = end
        lane_of[r[0]] = free
    out = sorted(started, key=lambda r: (lane_of[r[0]], r[2]))
    return out + [r for r in rows if r[2] is None], len(lane_end)


def pick(workload, traces_dir):
    """The cases to draw, one per series, all with the same size: the size
    the most series have a trace for, the largest of those. Returns
    (x value or None, [(series name, model, case, trace path)])."""
    by_x = {}
    for series, cases in workload.series().items():
        for c in cases:
            path = Path(traces_dir) / trace_file_name(c.name)
            if c.runs and path.is_file():
                by_x.setdefault(workload.xvalue(c), []).append((series, c.model, c, path))
    if not by_x:
        return None, []
    # The exhibition: the story's boards when traced, like the story's table.
    story = STORY_BOARDS if workload.exhibition and workload.x == "boards" else None
    x = max(by_x, key=lambda x: (len(by_x[x]), x == story, x or 0))
    return x, by_x[x]


def draw(workload, traces_dir, charts_dir, save):
    """Draws charts/<workload>_timeline.png/.svg; returns (files, x, panels) or None."""
    x, chosen = pick(workload, traces_dir)
    if not chosen:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    traces = [(series, model, read_trace(path)) for series, model, _, path in chosen]
    span = max([r[3] or r[2] or 0 for _, _, rows in traces for r in rows] + [1e-9])
    unit, scale = ("s", 1.0) if span >= 2 else ("ms", 1e3)
    n = max(len(rows) for _, _, rows in traces)
    height = 0.5 + min(3.0, 0.4 + 0.05 * n)
    fig, axes = plt.subplots(len(traces), 1, figsize=(11, 1.2 + height * len(traces)), sharex=True, squeeze=False)
    # Bar thickness in points: 60% of a row's pitch, so neighbouring bars stay apart.
    width = max(0.5, min(7.0, 0.6 * height * 72 * 0.7 / max(n, 1)))
    panels = []
    for ax, (series, model, rows) in zip(axes[:, 0], traces):
        rows, lanes = ordered(rows)
        color = style.model_color(model)
        ys = range(len(rows))
        waiting = [(y, r[1], r[2]) for y, r in zip(ys, rows) if r[2] is not None and r[2] > r[1]]
        if waiting:
            ax.hlines([w[0] for w in waiting], [w[1] * scale for w in waiting], [w[2] * scale for w in waiting],
                      color="#bbbbbb", linewidth=max(0.5, width / 4))
        done = [(y, r) for y, r in zip(ys, rows) if r[2] is not None]
        bars = ax.hlines([y for y, _ in done], [r[2] * scale for _, r in done],
                         [(r[3] if r[3] is not None else span) * scale for _, r in done],
                         color=color, linewidth=width)
        bars.set_gid(f"model:{model}")
        ax.plot([r[1] * scale for r in rows], list(ys), linestyle="none", marker="|", color="black",
                markersize=max(2.0, min(8.0, width + 2)), markeredgewidth=0.8)
        never = [(y, r) for y, r in zip(ys, rows) if r[2] is None or r[4]]
        if never:
            ax.plot([(r[2] if r[2] is not None else 0) * scale for _, r in never], [y for y, _ in never],
                    linestyle="none", marker="x", color=style.LIMIT_COLOR, markersize=5)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_yticks([])
        ax.set_ylabel(f"{len(rows)} tasks", fontsize=8)
        # Greedy lanes on intervals are the fewest possible: the most tasks running at once.
        ax.set_title(f"{series}: at most {lanes} task{'s' if lanes != 1 else ''} running at once",
                     fontsize=9, loc="left")
        ax.grid(True, axis="x", alpha=0.3)
        panels.append(series)
    axes[-1, 0].set_xlabel(f"time since the case started ({unit}); rows: tasks, in lanes of tasks that never overlap")
    params = chosen[0][2].params
    size = " (" + ", ".join(f"{k} {v}" for k, v in params.items() if k not in workload.others) + ")"
    fig.suptitle(f"{workload.name}{size}: one row per task, one panel per model", fontsize=11)
    fig.legend(handles=[Line2D([], [], color="#777777", linewidth=5, label="running (start → end)"),
                        Line2D([], [], color="#bbbbbb", linewidth=2, label="waiting since due (queueing)"),
                        Line2D([], [], color="black", marker="|", linestyle="none", label="due"),
                        Line2D([], [], color=style.LIMIT_COLOR, marker="x", linestyle="none",
                               label="failed or never started")],
               loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.45 / fig.get_figheight(), 1, 1 - 0.3 / fig.get_figheight()))
    files = save(fig, f"{workload.name}_timeline")
    plt.close(fig)
    return files, x, panels
