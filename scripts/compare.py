#!/usr/bin/env python3
"""Compare two simul-bench runs, case by case.

usage: compare.py OLD.json NEW.json

For every case in both: the ratio NEW ÷ OLD of makespan, p99 latency and
memory per task, marked with ! where the change is beyond the noise. The
noise is the larger relative spread (max − min over median) of the two
runs' repetitions; without repetitions a change of 10% is taken as the
noise. Memory is counted in pages, so a change under 16 KiB is never marked.
A case with a null or NaN figure on either side is listed as not compared.
Exit code 0 whatever changed; 2 if an input is unusable.
"""

import math
import sys

import simul_results as sr

FIGURES = [("makespan_s", "makespan"), ("lat_p99_ms", "p99"), ("mem_per_task_bytes", "mem/task")]
DEFAULT_NOISE = 0.10
ABSOLUTE_FLOOR = {"mem_per_task_bytes": 16384}  # below this, page-sized noise


def noise(case, counter):
    v = case.values(counter)
    if len(v) < 2:
        return None
    med = case.median(counter)
    return (max(v) - min(v)) / med if med > 0 else None


def compare(old, new):
    """Rows (case name, [(label, ratio, beyond_noise)]) for cases in both, and the names in one only."""
    rows, unusable = [], []
    for name, a in old.cases.items():
        b = new.cases.get(name)
        if b is None or not a.runs or not b.runs:
            continue
        # A figure that is null or NaN on either side: the case cannot be compared.
        if any(math.isnan(c.median(counter)) for c in (a, b) for counter, _ in FIGURES):
            unusable.append(name)
            continue
        cells = []
        for counter, label in FIGURES:
            x, y = a.median(counter), b.median(counter)
            if not (x > 0 and y >= 0):
                cells.append((label, math.nan, False))
                continue
            spreads = [s for s in (noise(a, counter), noise(b, counter)) if s is not None]
            limit = max(spreads) if spreads else DEFAULT_NOISE
            ratio = y / x
            beyond = abs(ratio - 1) > limit and abs(y - x) > ABSOLUTE_FLOOR.get(counter, 0)
            cells.append((label, ratio, beyond))
        rows.append((name, cells))
    only_old = [n for n in old.cases if n not in new.cases]
    only_new = [n for n in new.cases if n not in old.cases]
    return rows, only_old, only_new, unusable


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0].startswith("-"):
        print("usage: compare.py OLD.json NEW.json", file=sys.stderr)
        return 2
    try:
        old, new = sr.load([argv[0]]), sr.load([argv[1]])
    except sr.InputError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    rows, only_old, only_new, unusable = compare(old, new)
    print(f"NEW ÷ OLD per case; ! marks a change beyond the noise\n  OLD {argv[0]}\n  NEW {argv[1]}\n")
    width = max([len(n) for n, _ in rows] + [4])
    print(f"{'case':<{width}}  " + "  ".join(f"{label:>12}" for _, label in FIGURES))
    for name, cells in rows:
        text = "  ".join(f"{'–' if math.isnan(r) else f'{r:.2f}×':>11}{'!' if beyond else ' '}" for _, r, beyond in cells)
        print(f"{name:<{width}}  {text}")
    changed = sum(any(b for _, _, b in cells) for _, cells in rows)
    print(f"\n{len(rows)} cases compared, {changed} with a change beyond the noise.")
    for label, names in (("only in OLD", only_old), ("only in NEW", only_new),
                         ("not compared (a value is null or NaN)", unusable)):
        if names:
            print(f"{label}: " + ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
