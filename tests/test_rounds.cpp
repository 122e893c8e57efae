// Rounds: the interval of the median, when a case needs another round, and
// the interleaved order (bench/harness/rounds.hpp).

#include "bench/harness/rounds.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

using namespace simul;

TEST(Rounds, MedianIntervalRanksAreTheWidestPairStillAt95Percent) {
    // Known values of the sign-test interval of the median.
    EXPECT_EQ(median_interval_ranks(5), (std::pair<std::size_t, std::size_t>{1, 5}));  // the range: 93.75%
    EXPECT_EQ(median_interval_ranks(6), (std::pair<std::size_t, std::size_t>{1, 6}));
    EXPECT_EQ(median_interval_ranks(9), (std::pair<std::size_t, std::size_t>{2, 8}));
    EXPECT_EQ(median_interval_ranks(15), (std::pair<std::size_t, std::size_t>{4, 12}));
    EXPECT_NEAR(median_interval_coverage(3, 1), 0.75, 1e-12);
    EXPECT_NEAR(median_interval_coverage(6, 1), 1 - 2.0 / 64, 1e-12);
    EXPECT_NEAR(median_interval_coverage(9, 2), 1 - 2 * 10.0 / 512, 1e-12);
    for (std::size_t n = 6; n < 60; ++n) EXPECT_GE(median_interval_coverage(n, median_interval_ranks(n).first), 0.95);
}

TEST(Rounds, AMedianIsPinnedDownOnlyWithSixRoundsInsideTheTolerance) {
    EXPECT_FALSE(median_within({1, 1, 1, 1, 1}, 0.02));  // five rounds never give 95%
    EXPECT_TRUE(median_within({1.00, 1.01, 0.99, 1.00, 1.005, 0.995}, 0.02));
    EXPECT_FALSE(median_within({1.00, 1.01, 0.99, 1.00, 1.005, 1.10}, 0.02));  // the top round is 10% out
    // With 9 rounds the outermost two are outside the interval: one outlier on each side is fine.
    EXPECT_TRUE(median_within({0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0}, 0.02));
}

TEST(Rounds, AutoRoundsRunTheLeastThenWhileTheShareLastsAndTheMedianIsLoose) {
    const round_rule rule{.most = 15, .share_s = 2.0};  // 3 to 15, 2 s share, ±2%
    case_rounds r;
    EXPECT_TRUE(r.wants(0, rule));
    r.makespans_s = {0.1, 0.2, 0.3};
    r.wall_s = 0.6;
    EXPECT_TRUE(r.wants(3, rule)) << "loose and cheap: another round";
    EXPECT_FALSE(r.wants(15, rule)) << "never past the most";
    r.makespans_s = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    r.wall_s = 0.6;
    EXPECT_FALSE(r.wants(6, rule)) << "pinned down within 2%";
    r.makespans_s = {1, 2, 3};
    r.wall_s = 6;  // 2 s a round: one more would use the whole share
    EXPECT_TRUE(r.wants(1, rule)) << "below the least, always";
    r.wall_s = 7.5;  // 2.5 s a round: over the share
    EXPECT_FALSE(r.wants(3, rule));
    r.stopped = true;
    EXPECT_FALSE(r.wants(0, rule)) << "a skipped or failed case runs no more rounds";
    const round_rule fixed{.fixed = 4};
    case_rounds f;
    f.makespans_s = {1, 1, 1, 1, 1, 1, 1};
    EXPECT_TRUE(f.wants(3, fixed)) << "--rounds=N runs N rounds whatever the spread";
    EXPECT_FALSE(f.wants(4, fixed));
}

TEST(Rounds, TheShareIsTheSweepsExtraTimeOverItsCasesAndAtLeastOneSecond) {
    const round_rule rule{};
    EXPECT_DOUBLE_EQ(rule.share_for(12), 10.0);
    EXPECT_DOUBLE_EQ(rule.share_for(500), 1.0);
    EXPECT_DOUBLE_EQ(round_rule{.share_s = 3}.share_for(500), 3.0) << "--round-share wins";
}

TEST(Rounds, TheOrderIsRoundMajorAndEveryOtherRoundReversed) {
    using step = std::pair<std::size_t, int>;
    EXPECT_EQ(round_order(3, 3),
              (std::vector<step>{{0, 0}, {1, 0}, {2, 0}, {2, 1}, {1, 1}, {0, 1}, {0, 2}, {1, 2}, {2, 2}}));
    // A case that is skipped whatever the rounds runs once.
    EXPECT_EQ(round_order(2, 2, {false, true}), (std::vector<step>{{0, 0}, {1, 0}, {0, 1}}));
}
