// The meter: memory figures that do not depend on earlier cases, and thread
// and CPU figures that see what the model did.

#include "tests/helpers.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace simul;
using namespace simul::testing;

namespace {

std::int64_t loop_memory(std::int64_t tasks) {
    return run(sleep_workload(), {{"tasks", tasks}, {"wait_ms", 20}}, "coroutine_loop").cost.mem_peak_bytes;
}

TEST(Meter, MemoryOfACaseDoesNotDependOnTheCasesBeforeIt) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer replaces malloc (with a quarantine), so malloc_trim cannot return "
                    "memory: memory figures are only meaningful in release builds";
#endif
    const std::int64_t first = loop_memory(20000);
    ASSERT_GT(first, 1 << 20) << "20,000 coroutine frames should need over 1 MiB";

    // A bigger case leaves freed heap behind (kept by malloc unless trimmed)
    // and a high resident-set peak (kept by the kernel unless reset).
    const std::int64_t big = loop_memory(200000);
    ASSERT_GT(big, 5 * first);
    // Freed small blocks below one that stays: malloc keeps these pages
    // resident, and a later case would reuse them, unless the meter trims.
    char* pinned = nullptr;
    {
        std::vector<char*> blocks;
        for (int i = 0; i < 200000; ++i) {
            blocks.push_back(static_cast<char*>(std::malloc(1000)));
            std::memset(blocks.back(), 1, 1000);
        }
        pinned = static_cast<char*>(std::malloc(1000));
        for (char* b : blocks) std::free(b);
    }

    const std::int64_t again = loop_memory(20000);
    // The same case again: not charged the bigger case's peak, not helped by
    // its leftovers. The tolerance is allocator noise, far below either error.
    EXPECT_NEAR(double(again), double(first), 0.25 * double(first));
    std::free(pinned);
}

TEST(Meter, CountsThePoolsThreadsAndTheThreadsPerTask) {
    const auto pool = run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 20}}, "thread_pool:16");
    EXPECT_GE(pool.cost.threads_peak, 16 + 1);  // the workers and the main thread
    const auto loop = run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 20}}, "coroutine_loop");
    EXPECT_EQ(loop.cost.threads_peak, 1);
    const auto threads = run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 200}}, "thread_per_task");
    EXPECT_GT(threads.cost.threads_peak, 10);
}

TEST(Meter, PoolWorkersDoNotOutliveTheirCase) {
    run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 5}}, "thread_pool:32");
    const auto next = run(sleep_workload(), {{"tasks", 4}, {"wait_ms", 20}}, "sequential");
    EXPECT_EQ(next.cost.threads_peak, 1);
}

TEST(Meter, ChargesTheMastersThinkingAsUserTime) {
    // 6 boards × 10 moves × 2 ms of thinking = 0.12 s of CPU, at the least
    // half of it seen even on a noisy machine.
    const auto r = run(chess_workload(), {{"boards", 6}, {"moves", 10}, {"think_us", 2000}, {"reply_us", 100}},
                       "coroutine_loop");
    EXPECT_GE(r.cost.cpu_user_s, 0.06);
}

TEST(Meter, ProcStatusFieldsAreRead) {
    EXPECT_GT(proc_status_field("VmRSS"), 0);
    EXPECT_GE(proc_status_field("Threads"), 1);
    EXPECT_EQ(proc_status_field("NoSuchField"), -1);
}

}  // namespace
