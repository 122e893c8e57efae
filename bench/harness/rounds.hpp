#pragma once
// Rounds: how many times each case runs, and in what order.
//
// A case runs in rounds, and the rounds are interleaved: round 0 of every
// case, then round 1 of every case in reverse order, then round 2 forward
// again, and so on (an ABBA order). A slow drift of the machine over the sweep
// then falls on every case alike, and round r of one model ran in the same
// pass as round r of another, so the two can be paired for a ratio.
//
// --rounds=N gives every case N rounds. --rounds=auto (the default) gives a
// case at least `least` rounds, then more while its 95% interval of the
// median makespan is wider than ±`tolerance` and the case has used less than
// its time share; at most `most`. Short cases thus get more rounds than long
// ones, and a stable case stops early.

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace simul {

struct round_rule {
    int fixed = 0;  // --rounds=N; 0: auto
    int least = 3;  // auto: rounds every case gets
    int most = 12;  // auto: rounds no case exceeds
    // auto: seconds of wall time (set-up included) a case may use for rounds
    // past `least`; 0: share_for(cases), so that a small sweep gives its
    // long cases the rounds a test needs and the whole default sweep stays
    // within its time.
    double share_s = 0;
    double tolerance = 0.02;  // auto: stop once the median's 95% interval is within ±2%

    static constexpr double extra_s = 120;  // shared out among the cases of a sweep
    double share_for(std::size_t cases) const {
        return share_s > 0 ? share_s : std::max(1.0, extra_s / double(std::max<std::size_t>(cases, 1)));
    }
    int rounds_registered() const { return fixed > 0 ? fixed : most; }
};

// The distribution-free 95% interval of the median of n samples: the
// 1-based ranks (lo, hi) of the order statistics that bound it, the widest
// pair whose coverage 1 - 2 P(Bin(n, 1/2) < lo) is still at least 95%. For
// n < 6 no pair reaches 95%: (1, n), the range, with its lower coverage.
std::pair<std::size_t, std::size_t> median_interval_ranks(std::size_t n);
// The coverage of the interval (lo, n + 1 - lo) of n samples.
double median_interval_coverage(std::size_t n, std::size_t lo);

// Whether the 95% interval of the median of `samples` lies within ±tolerance
// of the median. Needs at least 6 samples, the fewest that give 95%.
bool median_within(std::vector<double> samples, double tolerance);

// One case's rounds so far, and whether it needs another (auto rounds).
struct case_rounds {
    std::vector<double> makespans_s;  // of the rounds that ran whole
    double wall_s = 0;                // time the rounds took, set-up included
    bool stopped = false;             // skipped or failed: no more rounds

    bool wants(int round, const round_rule& rule) const;
    // The wall time of one more round, as the rounds so far suggest; 0 if none ran yet.
    double expected_s() const;
};

// The order of the sweep: (case index, round) pairs, round-major, every
// other round reversed. cases: how many there are; a case listed in
// `single` runs in round 0 only (it is skipped whatever the rounds).
std::vector<std::pair<std::size_t, int>> round_order(std::size_t cases, int rounds,
                                                     const std::vector<bool>& single = {});

}  // namespace simul
