// The trace's clock (support/tick_clock.hpp): the CPU's counter where the
// kernel trusts it, read on steady_clock's timeline. A record must lie
// between two steady_clock readings taken around it, at the start of a
// case and long after.

#include "models/trace.hpp"
#include "support/tick_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace simul {
namespace {

using namespace std::chrono_literals;

std::int64_t ns_since(clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count();
}

TEST(TraceClock, RecordsFallBetweenSteadyClockReadingsAroundThem) {
    trace tr(4);
    const auto t0 = clock::now();
    tr.start(t0);
    for (std::size_t i = 0; i < tr.size(); ++i) {
        std::this_thread::sleep_for(i * 100ms);  // 0, 0.1, 0.3 and 0.6 s after t0
        const std::int64_t before = ns_since(t0);
        tr.begin(i);
        tr.finish(i, nullptr, i);
        const std::int64_t after = ns_since(t0);
        // Slack: the start read on both clocks (a few ns apart) and the
        // calibrated rate's error (parts in 10^7 of the time since t0).
        const std::int64_t slack = 1000 + after / 100'000;
        EXPECT_GE(tr.start_ns(i), before - slack) << i;
        EXPECT_LE(tr.end_ns(i), after + slack) << i;
        EXPECT_LE(tr.start_ns(i), tr.end_ns(i)) << i;
    }
}

TEST(TraceClock, UsesTheCountersOnlyWhereTheKernelKeepsTimeWithIt) {
    std::string source;
    std::ifstream("/sys/devices/system/clocksource/clocksource0/current_clocksource") >> source;
#if defined(__x86_64__)
    EXPECT_EQ(tick_clock::get().uses_tsc(), source == "tsc") << source;
#else
    EXPECT_FALSE(tick_clock::get().uses_tsc());
#endif
}

TEST(TraceClock, TicksBackwardsAreNegativeNanoseconds) {
    const tick_clock& c = tick_clock::get();
    const std::uint64_t a = c.ticks();
    std::this_thread::sleep_for(10ms);
    const std::uint64_t b = c.ticks();
    EXPECT_GE(c.ns_between(a, b), 10'000'000 - 1000);
    EXPECT_EQ(c.ns_between(b, a), -c.ns_between(a, b));
    EXPECT_EQ(c.ns_between(a, a), 0);
}

TEST(TraceClock, NanosecondsAfterAreNanosecondsBetweenAndNeverNegative) {
    const tick_clock& c = tick_clock::get();
    const std::uint64_t a = c.ticks();
    std::this_thread::sleep_for(1ms);
    const std::uint64_t b = c.ticks();
    EXPECT_EQ(c.ns_after(a, b), c.ns_between(a, b));
    EXPECT_EQ(c.ns_after(b, a), 0);
}

// A task started by the thread that handed it out, at once, starts at its
// recorded hand-out: no second clock read, and no start before the arrival.
TEST(TraceClock, AStartAtArrivalIsTheArrivalsRecord) {
    trace tr(2);
    tr.start(clock::now());
    tr.set_arrived_now(0);
    tr.begin_at_arrival(0);
    EXPECT_NE(tr.arrived_ns(0), trace::not_done);
    EXPECT_EQ(tr.start_ns(0), tr.arrived_ns(0));
    EXPECT_EQ(tr.start_ns(1), trace::not_done);
}

}  // namespace
}  // namespace simul
