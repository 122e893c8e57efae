#include "support/percentiles.hpp"

#include <algorithm>
#include <cmath>

namespace simul {

std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, double q) {
    const auto n = sorted.size();
    auto rank = static_cast<std::size_t>(std::ceil(q * double(n)));  // 1-based
    rank = std::clamp<std::size_t>(rank, 1, n);
    return sorted[rank - 1];
}

latency_summary summarize_ns(std::vector<std::int64_t> samples) {
    if (samples.empty()) return {};
    std::sort(samples.begin(), samples.end());
    const auto ms = [&](double q) { return double(nearest_rank(samples, q)) / 1e6; };
    return {ms(0.50), ms(0.90), ms(0.99), ms(0.999), double(samples.back()) / 1e6};
}

}  // namespace simul
