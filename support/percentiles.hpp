#pragma once
// Exact percentiles from every sample (no histogram buckets, no sampling).

#include <cstdint>
#include <vector>

namespace simul {

struct latency_summary {
    double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};

// Nearest-rank percentile of sorted samples: the smallest sample such that at
// least q of all samples are at or below it. q in (0, 1]. Requires samples.
std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, double q);

// Sorts the samples (nanoseconds) and summarises them in milliseconds; all
// zero when there are none.
latency_summary summarize_ns(std::vector<std::int64_t> samples_ns);

}  // namespace simul
