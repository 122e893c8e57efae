#include "bench/core/arrival.hpp"

#include <cmath>
#include <random>

namespace simul {

void arrival::schedule(trace& tr) const {
    if (how == kind::burst) {
        for (std::size_t i = 0; i < tr.size(); ++i) tr.set_due_ns(i, 0);
        return;
    }
    // Due times are computed from the start, not by adding up rounded gaps,
    // so a long schedule does not drift.
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(per_second);
    double t = 0;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        if (poisson && i > 0) t += gap(rng);
        const double at = poisson ? t : double(i) / per_second;
        tr.set_due_ns(i, std::llround(at * 1e9));
    }
}

}  // namespace simul
