#include "support/percentiles.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

using namespace simul;

TEST(Percentiles, NearestRankOnOneToHundred) {
    std::vector<std::int64_t> v(100);
    std::iota(v.begin(), v.end(), 1);
    EXPECT_EQ(nearest_rank(v, 0.50), 50);
    EXPECT_EQ(nearest_rank(v, 0.90), 90);
    EXPECT_EQ(nearest_rank(v, 0.99), 99);
    EXPECT_EQ(nearest_rank(v, 0.999), 100);
    EXPECT_EQ(nearest_rank(v, 1.0), 100);
}

TEST(Percentiles, SmallSamplesTakeTheNextRankUp) {
    const std::vector<std::int64_t> v = {10, 20, 30, 40};
    EXPECT_EQ(nearest_rank(v, 0.50), 20);  // ceil(0.5 × 4) = 2
    EXPECT_EQ(nearest_rank(v, 0.51), 30);
    EXPECT_EQ(nearest_rank(v, 0.01), 10);
}

TEST(Percentiles, SummaryIsInMillisecondsAndIgnoresOrder) {
    std::vector<std::int64_t> ns;
    for (int i = 1; i <= 1000; ++i) ns.push_back(std::int64_t(i) * 1'000'000);  // 1..1000 ms
    std::shuffle(ns.begin(), ns.end(), std::mt19937(7));
    const auto s = summarize_ns(ns);
    EXPECT_DOUBLE_EQ(s.p50_ms, 500);
    EXPECT_DOUBLE_EQ(s.p90_ms, 900);
    EXPECT_DOUBLE_EQ(s.p99_ms, 990);
    EXPECT_DOUBLE_EQ(s.p999_ms, 999);
    EXPECT_DOUBLE_EQ(s.max_ms, 1000);
}

TEST(Percentiles, NoSamplesGiveZeros) {
    const auto s = summarize_ns({});
    EXPECT_EQ(s.p50_ms, 0);
    EXPECT_EQ(s.max_ms, 0);
}
