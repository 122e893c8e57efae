#!/usr/bin/env python3
"""Compare two simul-bench runs, case by case, as a test.

usage: compare.py OLD.json NEW.json [--alpha Q] [--min-effect F]

For every case in both, and for each of makespan, p99 latency and memory
per task: the ratio NEW / OLD with its 95% interval, and a verdict.

- The rounds of OLD and NEW are compared with the Mann-Whitney U test, and
  the p-values of each figure over every case are corrected for testing
  them all at once (Benjamini-Hochberg, false discovery rate Q, default
  0.05). The price: one case that changed among 180 that did not is found
  only with 8 or more rounds on each side (the smallest p of 6 against 6 is
  0.002); a change shared by many cases is found with fewer.
- A change is flagged (`slower`, `faster`, `more`, `less`) only if the test
  says so AND it is at least the minimum effect (default 2% of OLD's median).
  Memory is counted in pages: a change under 16 KiB per task is never one.
- With too few rounds to ever reach significance (3 against 3 cannot), the
  row says `cannot test` and gives the ratio only. p99 is compared only where
  both runs have at least 100 latencies per round.
- The ratio is the median of all pairwise ratios of NEW's rounds to OLD's
  (Hodges-Lehmann), its interval the one the U test inverts to.

A case with a null or NaN figure on either side is listed as not compared.
Exit code 0 whatever changed; 2 if an input is unusable.
"""

import argparse
import math
import sys

import simul_results as sr
import simul_stats as st

FIGURES = [("makespan_s", "makespan", ("faster", "slower")), ("lat_p99_ms", "p99", ("lower", "higher")),
           ("mem_per_task_bytes", "mem/task", ("less", "more"))]
ABSOLUTE_FLOOR = {"mem_per_task_bytes": 16384}  # below this, page-sized noise
LATENCIES_FOR = {"lat_p99_ms": 100}  # a p99 of fewer latencies is the maximum


class Cell:
    """One figure of one case: ratio, interval, p, and the verdict once corrected.
    old and new are the rounds' values; None: the figure is not compared."""

    def __init__(self, words, old=None, new=None, floor=0, min_effect=0.0):
        self.words, self.q, self.p = words, math.nan, math.nan
        self.ratio = self.lo = self.hi = math.nan
        self.testable = self.big_enough = False
        self.verdict = "–"
        if old is None or new is None:
            return
        self.ratio, self.lo, self.hi = st.shift_ratio(old, new)
        self.testable = st.smallest_p(len(old), len(new)) <= 0.05
        if self.testable:
            self.p = st.mann_whitney_p(old, new)
        self.big_enough = abs(self.ratio - 1) >= min_effect and abs(st.median(new) - st.median(old)) > floor
        self.verdict = "same" if self.testable else "cannot test"

    def decide(self, alpha):
        if self.testable and self.q <= alpha and self.big_enough:
            self.verdict = self.words[1] if self.ratio > 1 else self.words[0]

    @property
    def flagged(self):
        return self.verdict not in ("same", "cannot test", "–")

    def text(self):
        if math.isnan(self.ratio):
            return "–"
        interval = f" [{self.lo:.3f}, {self.hi:.3f}]" if not math.isnan(self.lo) else ""
        return f"{self.ratio:.3f}×{interval} {self.verdict}"


def compare(old, new, alpha=0.05, min_effect=0.02):
    """Rows (case name, [Cell]) for cases in both, the names in one only, and the unusable ones."""
    rows, unusable = [], []
    for name, a in old.cases.items():
        b = new.cases.get(name)
        if b is None or not a.runs or not b.runs:
            continue
        if any(math.isnan(c.median(counter)) for c in (a, b) for counter, _, _ in FIGURES):
            unusable.append(name)
            continue
        cells = []
        for counter, _, words in FIGURES:
            x, y = a.values(counter), b.values(counter)
            resolved = min(a.latencies(), b.latencies()) >= LATENCIES_FOR.get(counter, 0)
            if resolved and min(x) > 0:
                cells.append(Cell(words, x, y, ABSOLUTE_FLOOR.get(counter, 0), min_effect))
            else:
                cells.append(Cell(words))
        rows.append((name, cells))
    for figure in range(len(FIGURES)):  # each figure is a family of tests, corrected on its own
        tested = [cells[figure] for _, cells in rows if cells[figure].testable]
        for cell, q in zip(tested, st.benjamini_hochberg([c.p for c in tested])):
            cell.q = q
            cell.decide(alpha)
    only_old = [n for n in old.cases if n not in new.cases]
    only_new = [n for n in new.cases if n not in old.cases]
    return rows, only_old, only_new, unusable


def main(argv=None):
    ap = argparse.ArgumentParser(description="Compare two simul-bench runs, case by case, as a test.")
    ap.add_argument("old", help="the earlier run's JSON")
    ap.add_argument("new", help="the later run's JSON")
    ap.add_argument("--alpha", type=float, default=0.05, help="false discovery rate (default 0.05)")
    ap.add_argument("--min-effect", type=float, default=0.02,
                    help="smallest change that is flagged, as a share of OLD's median (default 0.02)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if not 0 < args.alpha < 1 or not 0 <= args.min_effect < 1:
        print("compare.py: --alpha takes a number between 0 and 1, --min-effect one from 0 to 1", file=sys.stderr)
        return 2
    try:
        old, new = sr.load([args.old]), sr.load([args.new])
    except sr.InputError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    rows, only_old, only_new, unusable = compare(old, new, args.alpha, args.min_effect)
    print(f"NEW ÷ OLD per case: the ratio [95% interval] and the verdict of a Mann-Whitney U test over the rounds,\n"
          f"Benjamini-Hochberg corrected (false discovery rate {args.alpha:g}); changes under "
          f"{args.min_effect:.0%} are never flagged.\n  OLD {args.old}\n  NEW {args.new}\n")
    width = max([len(n) for n, _ in rows] + [4])
    cols = [max([len(c.text()) for _, cells in rows for c in cells[i:i + 1]] + [len(FIGURES[i][1])])
            for i in range(len(FIGURES))]
    print(f"{'case':<{width}}  rounds   " + "  ".join(f"{label:<{w}}" for (_, label, _), w in zip(FIGURES, cols)))
    for name, cells in rows:
        n_old, n_new = len(old.cases[name].runs), len(new.cases[name].runs)
        flag = "!" if any(c.flagged for c in cells) else " "
        print(f"{name:<{width}}  {n_old:>2}/{n_new:<2} {flag} "
              + "  ".join(f"{c.text():<{w}}" for c, w in zip(cells, cols)))
    changed = sum(any(c.flagged for c in cells) for _, cells in rows)
    untestable = sum(all(c.verdict in ("cannot test", "–") for c in cells) for _, cells in rows)
    print(f"\n{len(rows)} cases compared, {changed} with a change ({changed / max(len(rows), 1):.1%}); "
          f"{untestable} with too few rounds to test (ratios only).")
    for label, names in (("only in OLD", only_old), ("only in NEW", only_new),
                         ("not compared (a value is null or NaN)", unusable)):
        if names:
            print(f"{label}: " + ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
