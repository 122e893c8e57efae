"""Charts of a workload: throughput, latency, memory and efficiency against
its size, one line per model, or bars grouped by model where lines would not
read. Each model keeps its colour (simul_style.py); each file is written
whole (simul_results.replace_atomically)."""

import math
from pathlib import Path

import simul_results as sr
import simul_style as style
from simul_workload import finite, fmt, has_kernel, memory, resolved

MAX_LINES = 12  # series a line chart's legend can hold


def saver(charts_dir):
    def save(fig, stem):
        written = []
        for ext in ("png", "svg"):
            target = Path(charts_dir) / f"{stem}.{ext}"
            sr.replace_atomically(target, lambda tmp, ext=ext: fig.savefig(
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


def panels_for(workload):
    tput = ("mib_per_s", "throughput (MiB/s)") if workload.reads_files \
        else (workload.throughput, "requests/s answered" if workload.throughput == "rate_achieved" else "tasks/s")
    panels = [(tput[0], tput[1], True), ("latency", "latency (ms): p99 solid, p50 dashed", True),
              ("memory", "memory per task in flight (bytes)" + (": resident solid, kernel dotted"
                                                                if has_kernel(workload.cases) else ", resident only"),
               True),
              ("mem_total_bytes", "memory in all at the peak (bytes)" + (": resident + kernel"
                                                                         if has_kernel(workload.cases) else ""), True)]
    if not workload.reads_files:  # its ideal assumes free IO: the ratio would say little
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
    one size, or more series than a legend holds; file reads always (cold
    against warm, per model, is their comparison)."""
    single = workload.x is None or len({workload.xvalue(c) for c in workload.cases}) == 1
    return not (single or workload.reads_files or len(workload.series()) > MAX_LINES)


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
        for index, cases in enumerate(series.values()):
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
        for y, _, c in rows:
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
               for m in sorted({c.model for c in workload.cases}, key=style.model_key)]
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
