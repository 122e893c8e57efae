// The coroutine models side by side: every workload on one loop, on a loop
// per thread and on one loop shared by threads returns the same checksum.
// These tests use no oneTBB, so they are the ones the tsan preset runs:
// Debian's oneTBB is not built with ThreadSanitizer, and every pool test
// reports its internal synchronisation as races.

#include "tests/helpers.hpp"

#include <gtest/gtest.h>

using namespace simul;
using namespace simul::testing;

namespace {

TEST(Loops, EveryWorkloadGivesTheSameChecksumOnOneLoopAndOnMany) {
    for (const workload* w : all_workloads()) {
        SCOPED_TRACE(std::string(w->name()));
        const auto one = run(*w, small_params(*w), "coroutine_loop");
        ASSERT_EQ(one.failed, 0u) << one.label;
        for (const char* many : {"coroutine_loop:2", "shared_loop:2", "coroutine_loop:3", "shared_loop:3"}) {
            SCOPED_TRACE(many);
            const auto r = run(*w, small_params(*w), many);
            EXPECT_EQ(r.failed, 0u) << r.label;
            EXPECT_EQ(r.tasks, one.tasks);
            EXPECT_EQ(r.checksum, one.checksum);
        }
    }
}

// The loops do not cap concurrency: every task of a burst is in flight at once.
// Each runs on P threads: one more than the one-thread loop's (which counts
// any thread a sanitizer runtime adds too).
TEST(Loops, EveryTaskOfABurstIsInFlightAtOnce) {
    const auto one = run(sleep_workload(), {{"tasks", 500}, {"wait_ms", 200}}, "coroutine_loop");
    for (const char* many : {"coroutine_loop:2", "shared_loop:2"}) {
        SCOPED_TRACE(many);
        const auto r = run(sleep_workload(), {{"tasks", 500}, {"wait_ms", 200}}, many);
        EXPECT_EQ(r.tasks, 500u);
        EXPECT_EQ(r.in_flight_peak, 500u);
        EXPECT_EQ(r.cost.threads_peak, one.cost.threads_peak + 1);
    }
}

TEST(Loops, TheNamesParseAndTheShapesSayWhatRunsAtOnce) {
    const auto loops = parse_model("coroutine_loop:4");
    EXPECT_EQ(loops.threads, 4);
    EXPECT_TRUE(loops.runs_async());
    EXPECT_EQ(loops.shape(1000).concurrency, 1000);
    EXPECT_EQ(parse_model("coroutine_loop").threads, 0);
    EXPECT_EQ(parse_model("coroutine_loop").shape(10).cpu_parallelism, 1);
    EXPECT_TRUE(parse_model("shared_loop:2").runs_async());
    EXPECT_THROW(parse_model("shared_loop"), model_error);  // one loop on one thread is coroutine_loop
    EXPECT_THROW(parse_model("coroutine_loop:0"), model_error);
    EXPECT_THROW(parse_model("shared_loop:x"), model_error);
}

}  // namespace
