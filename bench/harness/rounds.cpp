#include "bench/harness/rounds.hpp"

#include <algorithm>
#include <cmath>

namespace simul {

namespace {
// P(Bin(n, 1/2) <= k)
double binomial_cdf_half(std::size_t n, std::size_t k) {
    double term = std::pow(0.5, double(n)), sum = 0;  // C(n, 0) / 2^n
    for (std::size_t i = 0; i <= k && i <= n; ++i) {
        sum += term;
        term = term * double(n - i) / double(i + 1);
    }
    return sum;
}
}  // namespace

double median_interval_coverage(std::size_t n, std::size_t lo) {
    if (n == 0 || lo == 0) return 0;
    return 1 - 2 * binomial_cdf_half(n, lo - 1);
}

std::pair<std::size_t, std::size_t> median_interval_ranks(std::size_t n) {
    if (n == 0) return {0, 0};
    std::size_t lo = 1;
    while (2 * (lo + 1) <= n && median_interval_coverage(n, lo + 1) >= 0.95) ++lo;
    return {lo, n + 1 - lo};
}

bool median_within(std::vector<double> samples, double tolerance) {
    const std::size_t n = samples.size();
    if (n < 6) return false;
    std::sort(samples.begin(), samples.end());
    const auto [lo, hi] = median_interval_ranks(n);
    const double median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    return median > 0 && samples[hi - 1] - median <= tolerance * median &&
           median - samples[lo - 1] <= tolerance * median;
}

double case_rounds::expected_s() const {
    const std::size_t ran = makespans_s.size();
    return ran == 0 ? 0 : wall_s / double(ran);
}

bool case_rounds::wants(int round, const round_rule& rule) const {
    if (stopped) return false;
    if (rule.fixed > 0) return round < rule.fixed;
    if (round < rule.least) return true;
    if (round >= rule.most) return false;
    // Past the least: only while the case's share lasts and its median is not yet pinned down.
    const double extra_rounds = double(makespans_s.size() + 1) - rule.least;  // this one included
    if (extra_rounds * expected_s() > rule.share_s) return false;
    return !median_within(makespans_s, rule.tolerance);
}

std::vector<std::pair<std::size_t, int>> round_order(std::size_t cases, int rounds, const std::vector<bool>& single) {
    std::vector<std::pair<std::size_t, int>> order;
    for (int r = 0; r < rounds; ++r)
        for (std::size_t k = 0; k < cases; ++k) {
            const std::size_t i = r % 2 == 0 ? k : cases - 1 - k;
            if (r > 0 && i < single.size() && single[i]) continue;
            order.emplace_back(i, r);
        }
    return order;
}

}  // namespace simul
