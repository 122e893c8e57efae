"""Statistics for rounds of a case: intervals, tests and ratios.

Distribution-free throughout: makespans on a shared VM are skewed (a round
is slowed, never sped up, by a neighbour), so nothing here assumes a normal
distribution.

- The median's 95% interval comes from order statistics: with n rounds,
  the k-th smallest and k-th largest bound the median with probability
  1 - 2 P(Bin(n, 1/2) < k). n = 6 is the fewest rounds that reach 95%; with
  fewer, the interval is the range, and its coverage (75% for 3 rounds) says
  so. bench/harness/rounds.cpp computes the same ranks.
- Two runs of a case are compared with the Mann-Whitney U test (as Google
  Benchmark's tools/compare.py does), exact for small samples. The ratio
  NEW / OLD is the Hodges-Lehmann estimate (the median of all pairwise
  ratios), and its interval the one the U test inverts to.
- Two models in one run are compared round by round: round r of each ran in
  the same pass of the sweep, so the ratio of each pair cancels drift. The
  ratio is the median of the paired ratios, its interval the sign test's
  (nanobench's compare() does the same).
- Many cases tested at once: Benjamini-Hochberg's false discovery rate.
"""

import math
from dataclasses import dataclass
from functools import lru_cache

LEVEL = 0.95


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return math.nan
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def _binomial_cdf_half(n, k):
    """P(Bin(n, 1/2) <= k)."""
    return sum(math.comb(n, i) for i in range(0, min(k, n) + 1)) / 2 ** n


def coverage(n, lo):
    """Coverage of the order statistics (lo, n + 1 - lo) as an interval of the median."""
    return 1 - 2 * _binomial_cdf_half(n, lo - 1) if n > 0 and lo > 0 else 0.0


def interval_ranks(n):
    """1-based ranks (lo, hi) of the median's interval: the narrowest with
    coverage >= 95%, or the range when no pair reaches it (n < 6)."""
    if n == 0:
        return 0, 0
    lo = 1
    while 2 * (lo + 1) <= n and coverage(n, lo + 1) >= LEVEL:
        lo += 1
    return lo, n + 1 - lo


@dataclass
class Interval:
    median: float
    lo: float
    hi: float
    n: int
    coverage: float  # of [lo, hi]; below 0.95 only when n < 6

    @property
    def half_width(self):
        """The larger side of the interval, relative to the median."""
        if not self.median or self.n < 2:
            return math.nan
        return max(self.hi - self.median, self.median - self.lo) / abs(self.median)

    @property
    def full(self):
        return self.coverage >= LEVEL


def median_interval(values):
    v = sorted(x for x in values if x is not None and not math.isnan(x))
    n = len(v)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, 0.0)
    lo, hi = interval_ranks(n)
    return Interval(median(v), v[lo - 1], v[hi - 1], n, coverage(n, lo) if n > 1 else 0.0)


# ---- Mann-Whitney U -------------------------------------------------------

@lru_cache(maxsize=None)
def _u_counts(m, n):
    """Number of arrangements giving each U (0 .. m n) for samples of m and n without ties."""
    # f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u), built up over m and n.
    table = {(0, j): [1] for j in range(n + 1)}
    for i in range(1, m + 1):
        table[(i, 0)] = [1]
        for j in range(1, n + 1):
            a, b = table[(i - 1, j)], table[(i, j - 1)]
            size = i * j + 1
            counts = [0] * size
            for u, c in enumerate(b):
                counts[u] += c
            for u, c in enumerate(a):
                counts[u + j] += c
            table[(i, j)] = counts
    return tuple(table[(m, n)])


EXACT_LIMIT = 400  # m * n up to this: the exact distribution; above, the normal one


def _u_statistic(x, y):
    """U of x against y: pairs with x < y, ties counted half."""
    return sum(1.0 if a < b else 0.5 if a == b else 0.0 for a in x for b in y)


def mann_whitney_p(x, y):
    """Two-sided p-value of the Mann-Whitney U test that x and y come from one distribution."""
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        return math.nan
    u = _u_statistic(x, y)
    ties = len(set(x) | set(y)) < m + n
    if m * n <= EXACT_LIMIT and not ties:
        counts = _u_counts(min(m, n), max(m, n))
        total = sum(counts)
        low = min(u, m * n - u)
        tail = sum(counts[: int(low) + 1]) / total
        return min(1.0, 2 * tail)
    # Normal approximation with the tie correction and a continuity correction.
    values = sorted(list(x) + list(y))
    groups = {}
    for v in values:
        groups[v] = groups.get(v, 0) + 1
    total = m + n
    tie_term = sum(t ** 3 - t for t in groups.values()) / (total * (total - 1))
    sigma = math.sqrt(m * n / 12 * ((total + 1) - tie_term))
    if sigma == 0:
        return 1.0
    z = (abs(u - m * n / 2) - 0.5) / sigma
    return min(1.0, math.erfc(max(z, 0) / math.sqrt(2)))


def smallest_p(m, n):
    """The smallest two-sided p the U test can give for samples of m and n."""
    if m == 0 or n == 0:
        return 1.0
    return min(1.0, 2 / math.comb(m + n, m))


def _u_critical(m, n, alpha=1 - LEVEL):
    """The largest k with P(U < k) <= alpha / 2, for the interval of the shift
    (the k-th smallest and k-th largest pairwise difference); 0 if none."""
    if m * n <= EXACT_LIMIT:
        counts = _u_counts(min(m, n), max(m, n))
        total = sum(counts)
        k, cumulative = 0, 0
        while k < len(counts) and (cumulative + counts[k]) / total <= alpha / 2:
            cumulative += counts[k]
            k += 1
        return k
    sigma = math.sqrt(m * n * (m + n + 1) / 12)
    return max(0, int(math.floor(m * n / 2 - 1.959964 * sigma)))


def shift_ratio(old, new):
    """(ratio, lo, hi): NEW / OLD as the median of all pairwise ratios, with
    the interval that the U test inverts to (nan bounds when the samples are
    too small for a 95% interval)."""
    pairs = sorted(b / a for a in old for b in new if a > 0)
    if not pairs:
        return math.nan, math.nan, math.nan
    estimate = median(pairs)
    k = _u_critical(len(old), len(new))
    if k == 0:
        return estimate, math.nan, math.nan
    return estimate, pairs[k - 1], pairs[len(pairs) - k]


def ratio(a, b):
    """a ÷ b of two medians, or None where either is missing (or b is 0)."""
    return a / b if a is not None and b else None


def paired_ratio(pairs):
    """Interval of the median of y / x over (x, y) pairs that ran together."""
    return median_interval([y / x for x, y in pairs if x > 0])


def benjamini_hochberg(pvalues):
    """The q-values (false discovery rate adjusted p-values), in the input's order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        q[i] = running
    return q
