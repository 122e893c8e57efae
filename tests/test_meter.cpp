// The meter: memory figures that do not depend on earlier cases, and thread
// and CPU figures that see what the model did, checked against what the
// kernel reports from outside (/usr/bin/time, /proc/meminfo).

#include "tests/helpers.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace simul;
using namespace simul::testing;

namespace {

std::int64_t loop_memory(std::int64_t tasks) {
    return run(sleep_workload(), {{"tasks", tasks}, {"wait_ms", 20}}, "coroutine_loop").cost.mem_peak_bytes;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// KernelStack of /proc/meminfo (every process's), in bytes.
std::int64_t kernel_stack_in_use() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::int64_t kb = -1;
    while (in >> key) {
        if (key == "KernelStack:" && in >> kb) return kb * 1024;
        in.ignore(256, '\n');
    }
    return -1;
}

// simul-bench run under /usr/bin/time -v for one sleep case under
// thread_per_task: the process's maximum resident set as the kernel reports
// it to the parent, and the case's mem_peak_bytes from the JSON.
struct outside_view {
    double max_rss_bytes = 0, mem_peak_bytes = 0;
};

outside_view under_usr_bin_time(std::int64_t tasks, std::int64_t wait_ms) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("simul-meter-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cmd =
        "/usr/bin/time -v -o " + (dir / "time").string() + " " + SIMUL_BENCH_PATH +
        " --rounds=1 --benchmark_filter=^sleep/ --models=thread_per_task --arrival=burst --set=tasks:" +
        std::to_string(tasks) + " --set=wait_ms:" + std::to_string(wait_ms) +
        " --benchmark_out_format=json --benchmark_out=" + (dir / "json").string() + " >/dev/null 2>" +
        (dir / "err").string() + " </dev/null";
    const int status = std::system(cmd.c_str());
    const std::string time_report = slurp(dir / "time"), json = slurp(dir / "json"), err = slurp(dir / "err");
    fs::remove_all(dir);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n" << err << time_report;

    outside_view v;
    const std::string key = "Maximum resident set size (kbytes):";
    const auto at = time_report.find(key);
    EXPECT_NE(at, std::string::npos) << "no maximum resident set in /usr/bin/time's report: " << time_report;
    if (at != std::string::npos) v.max_rss_bytes = 1024.0 * std::stod(time_report.substr(at + key.size()));
    boost::system::error_code ec;
    const auto doc = boost::json::parse(json, ec);
    EXPECT_FALSE(ec) << "simul-bench's JSON: " << ec.message();
    if (!ec) {
        const auto& runs = doc.at("benchmarks").as_array();
        EXPECT_EQ(runs.size(), 1u) << json;
        if (!runs.empty()) v.mem_peak_bytes = runs[0].at("mem_peak_bytes").to_number<double>();
    }
    return v;
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

TEST(Meter, CountsExactlyTheThreadsEachModelCreates) {
    // A pool of P: its P workers and the calling thread, which only waits.
    const auto pool = run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 20}}, "thread_pool:16");
    EXPECT_EQ(pool.cost.threads_peak, 16 + 1);
    const auto loop = run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 20}}, "coroutine_loop");
    EXPECT_EQ(loop.cost.threads_peak, 1);
    // 40 threads are created long before the first of them ends its 300 ms.
    const auto threads = run(sleep_workload(), {{"tasks", 40}, {"wait_ms", 300}}, "thread_per_task");
    EXPECT_EQ(threads.cost.threads_peak, 40 + 1);
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

TEST(Meter, PeakMemoryAgreesWithUsrBinTime) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer's quarantine and shadow memory are in the resident set";
#endif
    ASSERT_EQ(::access("/usr/bin/time", X_OK), 0) << "GNU time is needed (scripts/deps.sh installs it)";
    // /usr/bin/time reports the process's peak resident set. The meter
    // resets the kernel's mark at each case start, so what the kernel reports
    // is the last case's peak plus the resident set at its start: that start,
    // the process's baseline, is the tiny case's maximum minus its own peak.
    // The two runs differ in nothing before the case but the trace (33 bytes
    // a task: under 1% of the case).
    const auto tiny = under_usr_bin_time(1, 1);
    const auto big = under_usr_bin_time(5000, 1000);
    const double baseline = tiny.max_rss_bytes - tiny.mem_peak_bytes;
    const double outside = big.max_rss_bytes - baseline;
    ASSERT_GT(big.mem_peak_bytes, 20.0 * (1 << 20)) << "5,000 live threads should dominate the process";
    EXPECT_NEAR(big.mem_peak_bytes, outside, 0.1 * outside)
        << "baseline " << baseline << " B, /usr/bin/time's maximum " << big.max_rss_bytes << " B";
}

TEST(Meter, EachLiveThreadHoldsOneKernelStackOfTheAssumedSize) {
    // KernelStack in /proc/meminfo is system-wide, so other processes move
    // it too: the median of three rounds of 2,000 threads.
    constexpr int n = 2000;
    std::vector<double> per_thread;
    for (int round = 0; round < 3; ++round) {
        const std::int64_t before = kernel_stack_in_use();
        std::latch up(n), go(1);
        std::vector<std::jthread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&] {
                up.count_down();
                go.wait();
            });
        up.wait();
        const std::int64_t during = kernel_stack_in_use();
        go.count_down();
        threads.clear();  // joins
        ASSERT_GE(before, 0) << "no KernelStack in /proc/meminfo";
        per_thread.push_back(double(during - before) / n);
    }
    std::sort(per_thread.begin(), per_thread.end());
    EXPECT_NEAR(per_thread[1], double(kernel_stack_bytes), 0.1 * double(kernel_stack_bytes));
}

TEST(Meter, ThreadsCostKernelMemoryTheLoopDoesNot) {
    constexpr std::int64_t n = 200;
    // 200 threads are created long before the first ends its 300 ms.
    const auto threads = run(sleep_workload(), {{"tasks", n}, {"wait_ms", 300}}, "thread_per_task");
    ASSERT_EQ(threads.cost.threads_peak, n + 1);
    EXPECT_EQ(threads.cost.mem_kstack_bytes, n * kernel_stack_bytes);
    EXPECT_GE(threads.cost.mem_kernel_bytes, n * kernel_stack_bytes);
    // Each thread's stack is a mapping of its own, 8 MiB apart, so each needs
    // a page-table page; a few reuse stacks glibc cached with their tables.
    EXPECT_GE(threads.cost.mem_pte_bytes, n / 2 * 4096);
    EXPECT_GE(threads.mem_total_per_task_bytes, threads.mem_per_task_bytes + double(kernel_stack_bytes));

    const auto loop = run(sleep_workload(), {{"tasks", n}, {"wait_ms", 300}}, "coroutine_loop");
    EXPECT_EQ(loop.cost.mem_kstack_bytes, 0);
    // The process's own kernel memory. (mem_sock_bytes is system-wide: a test
    // running beside this one with sockets moves it.)
    EXPECT_LT(loop.cost.mem_pte_bytes + loop.cost.mem_kstack_bytes,
              (threads.cost.mem_pte_bytes + threads.cost.mem_kstack_bytes) / 10);
}

TEST(Meter, TotalCpuIsTheKernelsExactAccount) {
    // The loop runs every task on the calling thread, so the case's CPU is
    // within this thread's, which the kernel accounts exactly; and at least
    // half the calibrated thinking (6 boards × 10 moves × 2 ms).
    const auto cpu_of_this_thread = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
    };
    const double before = cpu_of_this_thread();
    const auto r = run(chess_workload(), {{"boards", 6}, {"moves", 10}, {"think_us", 2000}, {"reply_us", 100}},
                       "coroutine_loop");
    const double spent = cpu_of_this_thread() - before;
    EXPECT_GE(r.cost.cpu_total_s, 0.06);
    EXPECT_LE(r.cost.cpu_total_s, spent + 0.002) << "the sampler's own CPU should not be charged";
}

}  // namespace
