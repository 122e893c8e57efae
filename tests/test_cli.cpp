// simul-bench as a user meets it: bad input gets one clear line and exit code
// 2, and a run's JSON carries every counter for every case.

#include "bench/core/workload.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct outcome {
    int code = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

outcome bench(const std::string& args) {
    const fs::path dir = fs::temp_directory_path() / ("simul-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cmd = std::string(SIMUL_BENCH_PATH) + " " + args + " >" + (dir / "out").string() + " 2>" +
                            (dir / "err").string() + " </dev/null";
    const int status = std::system(cmd.c_str());
    outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err")};
    fs::remove_all(dir);
    return o;
}

class BadInput : public ::testing::TestWithParam<const char*> {};

TEST_P(BadInput, GetsOneLineAndExitCode2) {
    const auto o = bench(GetParam());
    EXPECT_EQ(o.code, 2) << o.err;
    ASSERT_FALSE(o.err.empty());
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_TRUE(o.out.empty()) << "nothing should have run: " << o.out;
}

INSTANTIATE_TEST_SUITE_P(Cli, BadInput,
                         ::testing::Values("--frobnicate", "--scale=huge", "--set=tasks:0", "--set=tasks:-5",
                                           "--set=tasks:12abc", "--set=nosuch:3", "--set=tasks",
                                           "--models=fibers", "--models=thread_pool", "--models=thread_pool:0",
                                           "--models=thread_pool:9999999", "--models=sequential:4",
                                           "--budget=-1", "--budget=soon", "--benchmark_format=xml",
                                           "--benchmark_repetitions=many", "--benchmark_filter=[", "stray",
                                           "--rate=0", "--rate=-5", "--rate=1e12", "--rate=fast",
                                           "--rate=100 --duration=0", "--arrival=sideways", "--arrival=rate",
                                           "--arrival=burst --rate=10", "--poisson", "--rate=10 --seed=0"));

TEST(Cli, HelpAndListSucceed) {
    const auto help = bench("--help");
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("--scale"), std::string::npos);
    const auto list = bench("--list --benchmark_filter=chess");
    EXPECT_EQ(list.code, 0);
    EXPECT_NE(list.out.find("chess/coroutine_loop/boards:24/moves:30"), std::string::npos) << list.out;
    EXPECT_EQ(list.out.find("sleep/"), std::string::npos) << "the filter was ignored";
}

TEST(Cli, ListMarksCasesOverTheBudget) {
    const auto list = bench("--list --budget=1 --benchmark_filter=chess/sequential");
    EXPECT_NE(list.out.find("over budget"), std::string::npos) << list.out;
}

TEST(Cli, JsonHasEveryCounterForEveryCaseAndTheContext) {
    const fs::path json = fs::temp_directory_path() / ("simul-cli-" + std::to_string(::getpid()) + ".json");
    const auto o = bench("--set=tasks:4 --set=wait_ms:2 --set=boards:2 --set=moves:2 --set=think_us:50 "
                         "--set=reply_us:200 --set=delay_ms:2 --set=bytes:64 --set=conns:1 --set=rate:20 "
                         "--set=duration_s:1 --set=files:4 --set=file_kib:64 --arrival=burst --benchmark_out_format=json --benchmark_out=" + json.string());
    ASSERT_EQ(o.code, 0) << o.err;
    const std::string text = slurp(json);
    fs::remove(json);

    const auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
        return n;
    };
    // Every workload under sequential, thread_per_task, thread_pool:2 (where
    // it has at least 2 tasks) and coroutine_loop, none skipped or failed.
    const std::size_t cases = count("\"run_type\": \"iteration\"");
    EXPECT_GE(cases, 3 * simul::all_workloads().size());
    EXPECT_EQ(count("\"error_occurred\""), 0u) << text;
    for (const char* counter :
         {"tasks", "failed", "lat_p50_ms", "lat_p90_ms", "lat_p99_ms", "lat_p999_ms", "lat_max_ms", "mem_peak_bytes",
          "mem_per_task_bytes", "cpu_user_s", "cpu_sys_s", "ctx_voluntary", "ctx_involuntary", "threads_peak",
          "ideal_s", "efficiency", "checksum", "items_per_second", "arrival_rate", "backlog_peak", "capacity"})
        EXPECT_EQ(count(std::string("\"") + counter + "\":"), cases) << counter;
    for (const char* key : {"kernel", "compiler", "build_type", "boost", "onetbb", "google_benchmark",
                            "rlimit_nproc", "rlimit_nofile", "pid_max"})
        EXPECT_EQ(count(std::string("\"") + key + "\":"), 1u) << key;
    const std::string last = fmt::format("[{0}/{0}]", cases);
    EXPECT_NE(o.err.find(last), std::string::npos) << "progress should count cases: " << o.err;
}

TEST(Cli, RateArrivalsAreNamedAndCounted) {
    const auto o = bench("--rate=200 --duration=0.1 --set=wait_ms:2 --models=sequential,coroutine_loop "
                         "--benchmark_filter=sleep --benchmark_format=json");
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("sleep/coroutine_loop/tasks:20/wait_ms:2/arrival:rate/rate:200"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("\"arrival_rate\""), std::string::npos);
    EXPECT_EQ(o.out.find("/tasks:20/wait_ms:2/iterations"), std::string::npos) << "no burst cases with --rate";
}

TEST(Cli, ARatePastAModelsCapacityIsSkippedAsSaturated) {
    const auto o = bench("--rate=5000 --duration=1 --set=wait_ms:10 --models=sequential --benchmark_filter=sleep");
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("skipped: saturated: capacity 100 tasks/s is below the rate of 5000"), std::string::npos)
        << o.out;
}

TEST(Cli, ACaseOverTheBudgetIsSkippedWithItsPrediction) {
    const auto o = bench("--benchmark_filter=chess/sequential --budget=1");
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("skipped: predicted makespan 4.3 s"), std::string::npos) << o.out;
}

}  // namespace
