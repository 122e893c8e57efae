// The harness under faults: a case that throws from any step, a task count
// that would not fit in memory, a killed run, a results file that cannot be
// written. Each must end as one case's failure or one clear line, never as a
// crash, a lost result or a helper left running.

#include "bench/case/case.hpp"
#include "bench/case/workload.hpp"
#include "tests/helpers.hpp"

#include "bench/harness/results_file.hpp"
#include "support/system.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;
using namespace simul;
using namespace std::chrono_literals;

namespace {

// A workload that throws from the step it is told to.
enum class step { none, prepare, on_start, on_end, task_memory };

class one_task final : public prepared_tasks {
public:
    explicit one_task(step s) : step_(s) {}
    std::size_t size() const override { return 1; }
    std::uint64_t blocking(std::size_t) override { return 1; }
    awaitable<std::uint64_t> async(std::size_t) override { co_return 1; }
    void on_start() override {
        if (step_ == step::on_start) throw std::runtime_error("cannot start simul-load");
    }
    void on_end(case_result&) override {
        if (step_ == step::on_end) throw std::runtime_error("simul-load was killed by signal 9");
    }

private:
    step step_;
};

class throwing_workload final : public workload {
public:
    explicit throwing_workload(step s) : step_(s) {}
    std::string_view name() const override { return "throwing"; }
    std::string_view description() const override { return "test-only: throws from one step"; }
    std::vector<param_spec> params() const override {
        return {{.name = "tasks", .help = "tasks", .quick = {1}, .full = {1}, .counts_tasks = true}};
    }
    double ideal_s(const simul::params&, const model_shape&) const override { return 0; }
    std::unique_ptr<prepared_tasks> prepare(const simul::params&) const override {
        if (step_ == step::prepare) throw std::runtime_error("no data set");
        if (step_ == step::task_memory) throw std::bad_alloc();
        return std::make_unique<one_task>(step_);
    }

private:
    step step_;
};

std::string failure_of(step s, const std::string& model) {
    const throwing_workload w(s);
    try {
        run_case(case_spec{&w, params({{"tasks", 1}}), parse_model(model), {}});
    } catch (const case_error& e) {
        return e.what();
    }
    return "";
}

TEST(CaseFailures, AnExceptionFromAnyStepIsTheCasesFailure) {
    for (const char* model : {"sequential", "coroutine_loop"}) {
        SCOPED_TRACE(model);
        EXPECT_EQ(failure_of(step::none, model), "");
        EXPECT_NE(failure_of(step::prepare, model).find("set-up failed: no data set"), std::string::npos);
        EXPECT_NE(failure_of(step::on_start, model).find("start failed: cannot start simul-load"), std::string::npos);
        EXPECT_NE(failure_of(step::on_end, model).find("simul-load was killed by signal 9"), std::string::npos);
        EXPECT_NE(failure_of(step::task_memory, model).find("bad_alloc"), std::string::npos);
    }
}

TEST(CaseFailures, MemoryNeedGrowsWithTasksAndCountsThreadsAndFrames) {
    const auto need = [](std::int64_t tasks, const char* model) {
        return case_spec{&sleep_workload(), params({{"tasks", tasks}, {"wait_ms", 100}}), parse_model(model), {}}
            .memory_bytes();
    };
    EXPECT_GT(need(1000, "coroutine_loop"), 1000 * 41.0);                 // the trace's slots at the least
    EXPECT_GT(need(1'000'000'000'000'000'000, "coroutine_loop"), 41e18);  // no overflow
    EXPECT_GT(need(1000, "thread_per_task"), need(1000, "sequential") + 999 * 4096.0);  // a stack per thread
    EXPECT_GT(available_memory_bytes(), 0);
}

// Tasks that each would hold a descriptor, and see how large the process's
// descriptor table is when the case starts (after the clock, before any task).
class table_probe final : public prepared_tasks {
public:
    explicit table_probe(std::size_t n) : n_(n) {}
    std::size_t size() const override { return n_; }
    std::uint64_t blocking(std::size_t) override { return 1; }
    awaitable<std::uint64_t> async(std::size_t) override { co_return 1; }
    void on_start() override { table_at_start = proc_status_field("FDSize"); }
    static inline std::int64_t table_at_start = -1;

private:
    std::size_t n_;
};

class descriptor_workload final : public workload {
public:
    std::string_view name() const override { return "descriptors"; }
    std::string_view description() const override { return "test-only: a descriptor per task"; }
    std::vector<param_spec> params() const override {
        return {{.name = "tasks", .help = "tasks", .quick = {1}, .full = {1}, .counts_tasks = true}};
    }
    std::size_t descriptors_per_task() const override { return 1; }
    std::unique_ptr<prepared_tasks> prepare(const simul::params& p) const override {
        return std::make_unique<table_probe>(task_count(p));
    }
};

// A multi-threaded process that grows its descriptor table while the clock
// runs waits for an RCU grace period each time (support/system.hpp).
TEST(CaseSetUp, TheDescriptorTableIsGrownBeforeTheClockStarts) {
    ASSERT_GE(raise_fd_limit(), 4000u);  // as simul-bench raises it
    ASSERT_LT(proc_status_field("FDSize"), 3000) << "this test's process already has a table this large";
    const descriptor_workload w;
    run_case(case_spec{&w, params({{"tasks", 3000}}), parse_model("coroutine_loop"), {}});
    EXPECT_GE(table_probe::table_at_start, 3000 + 64);
}

TEST(CaseSetUp, GrowingTheDescriptorTableStopsAtTheLimit) {
    rlimit rl{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    ASSERT_GE(rl.rlim_max, 2000u);
    rl.rlim_cur = 2000;  // a soft limit may always be lowered
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
    EXPECT_EQ(grow_descriptor_table(5000), 2000u);
    EXPECT_GE(proc_status_field("FDSize"), 2000);
    EXPECT_LT(proc_status_field("FDSize"), 5000);
    EXPECT_EQ(grow_descriptor_table(0), 0u);
}

// simul-bench as a process.

struct outcome {
    int code = -1;
    std::string out, err, json;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

fs::path scratch(const std::string& what) {
    const fs::path dir = fs::temp_directory_path() / ("simul-harness-" + what + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

outcome bench(const std::string& args) {
    const fs::path dir = scratch("run");
    // One round per case: these tests check what a run writes, not its spread.
    const std::string cmd = std::string(SIMUL_BENCH_PATH) + " --rounds=1 " + args +
                            " --benchmark_out=" + (dir / "run.json").string() + " --benchmark_out_format=json >" +
                            (dir / "out").string() + " 2>" + (dir / "err").string() + " </dev/null";
    const int status = std::system(cmd.c_str());
    outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err"),
              slurp(dir / "run.json")};
    fs::remove_all(dir);
    return o;
}

// The error_message of every case in a Google Benchmark JSON.
std::vector<std::string> errors(const std::string& json) {
    std::vector<std::string> out;
    const auto run = boost::json::parse(json);
    for (const auto& b : run.at("benchmarks").as_array())
        out.emplace_back(b.as_object().contains("error_message") ? b.at("error_message").as_string().c_str() : "");
    return out;
}

TEST(CaseFailures, AFailingLoadGeneratorFailsItsCaseAndTheSweepGoesOn) {
    // The body is over simul-load's limit: it refuses to start.
    const auto o = bench("--benchmark_filter=^serve/ --models=coroutine_loop --set=bytes:70000000 --set=duration_s:1 "
                         "--set=rate:200");
    ASSERT_EQ(o.code, 0) << o.err;
    const auto e = errors(o.json);
    ASSERT_EQ(e.size(), 1u) << o.json;
    EXPECT_NE(e[0].find("failed: "), std::string::npos) << e[0];
    EXPECT_NE(e[0].find("simul-load"), std::string::npos) << e[0];
}

TEST(CaseFailures, ATaskCountThatWouldNotFitInMemoryIsSkippedWithItsNeed) {
    const auto o = bench("--set=tasks:1000000000000000000,10 --models=coroutine_loop --arrival=burst "
                         "--benchmark_filter=^sleep/ --set=wait_ms:1");
    ASSERT_EQ(o.code, 0) << o.err;
    const auto e = errors(o.json);
    ASSERT_EQ(e.size(), 2u) << o.json;
    EXPECT_NE(e[0].find("skipped: needs at least"), std::string::npos) << e[0];
    EXPECT_NE(e[0].find("MemAvailable"), std::string::npos) << e[0];
    EXPECT_EQ(e[1], "");  // the sweep went on
}

// Processes whose parent is `parent`, by their /proc/PID/stat.
std::vector<std::pair<pid_t, std::string>> children_of(pid_t parent) {
    std::vector<std::pair<pid_t, std::string>> out;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string stat = slurp(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (stat.empty() || close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent)
            out.emplace_back(std::stoi(entry.path().filename()),
                             stat.substr(stat.find('(') + 1, close - stat.find('(') - 1));
    }
    return out;
}

bool alive(pid_t pid) {  // a zombie has let go of everything: it counts as gone
    const std::string stat = slurp(fs::path("/proc") / std::to_string(pid) / "stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z';
}

TEST(KilledRun, TheDelayServerDiesWithSimulBenchAndHoldsNoneOfItsFiles) {
    const fs::path dir = scratch("killed");
    const std::string out = "--benchmark_out=" + (dir / "run.json").string();
    std::vector<std::string> args = {SIMUL_BENCH_PATH,
                                     "--benchmark_filter=^fetch/coroutine_loop/tasks:10/",
                                     "--models=coroutine_loop",
                                     "--arrival=burst",
                                     "--set=delay_ms:60000",
                                     "--budget=1000",
                                     "--rounds=1",
                                     out};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t bench_pid = 0;
    ASSERT_EQ(::posix_spawn(&bench_pid, SIMUL_BENCH_PATH, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);

    pid_t server = 0;
    for (int i = 0; i < 600 && server == 0; ++i) {  // the warm-up and the set-up come first
        for (const auto& [pid, name] : children_of(bench_pid))
            if (name.starts_with("simul-delay")) server = pid;
        if (server == 0) std::this_thread::sleep_for(50ms);
    }
    ASSERT_NE(server, 0) << "simul-bench never started its delay server";
    std::this_thread::sleep_for(200ms);
    // It holds its own sockets and the standard streams, not simul-bench's files.
    for (const auto& fd : fs::directory_iterator(fs::path("/proc") / std::to_string(server) / "fd")) {
        std::error_code ec;
        const auto target = fs::read_symlink(fd.path(), ec).string();
        EXPECT_EQ(target.find("run.json"), std::string::npos) << fd.path() << " -> " << target;
    }

    ::kill(bench_pid, SIGKILL);
    ::waitpid(bench_pid, nullptr, 0);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {  // a generous limit: before the fix it never goes
        gone = !alive(server);
        if (!gone) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(gone) << "the delay server outlived the simul-bench that started it";
    if (!gone) ::kill(server, SIGKILL);
    fs::remove_all(dir);
}

// simul-bench's output and flags.

// Runs simul-bench with exactly these arguments (no --benchmark_out added).
outcome bench_plain(const std::string& args) {
    const fs::path dir = scratch("plain");
    const std::string cmd = std::string(SIMUL_BENCH_PATH) + " " + args + " >" + (dir / "out").string() + " 2>" +
                            (dir / "err").string() + " </dev/null";
    const int status = std::system(cmd.c_str());
    outcome o{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err"), ""};
    fs::remove_all(dir);
    return o;
}

const std::string one_case =
    "--rounds=1 --benchmark_filter=^sleep/sequential/tasks:10/ --arrival=burst --models=sequential "
    "--set=wait_ms:1";

std::string last_line(const std::string& text) {
    auto t = text;
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t.substr(t.rfind('\n') + 1);
}

TEST(ResultsFile, AFailedWriteIsANonZeroExitWithOneLine) {
    const auto o = bench_plain(one_case + " --benchmark_out=/dev/full");  // every write: ENOSPC
    EXPECT_EQ(o.code, 1) << o.err;
    EXPECT_NE(last_line(o.err).find("simul-bench: writing the results to '/dev/full' failed: No space left"),
              std::string::npos)
        << o.err;
}

TEST(ResultsFile, AFullDiskLeavesTheOldResultsAsTheyWere) {
    const fs::path dir = scratch("tmpfs");
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=12k") != 0) {
        fs::remove_all(dir);
        GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "); /dev/full covers the write";
    }
    std::ofstream(dir / "run.json") << "the last run";
    const auto o = bench_plain("--benchmark_filter=^sleep/ --arrival=burst --models=sequential,coroutine_loop "
                               "--set=wait_ms:1 --set=tasks:10,20,30,40,50,60,70 --benchmark_out=" +
                               (dir / "run.json").string());
    const std::string kept = slurp(dir / "run.json");
    const auto left = std::distance(fs::directory_iterator(dir), fs::directory_iterator{});
    ::umount(dir.c_str());
    fs::remove_all(dir);
    EXPECT_EQ(o.code, 1) << o.err;
    EXPECT_NE(last_line(o.err).find("No space left on device (the file was left as it was)"), std::string::npos)
        << o.err;
    EXPECT_EQ(kept, "the last run");
    EXPECT_EQ(left, 1) << "the partial file must go";
}

// A killed simul-bench leaves its ".F.PID.partial" (no destructor runs); the
// next run with the same target removes those whose process is gone, and
// keeps one whose process still runs (another simul-bench writing F).
TEST(ResultsFile, StalePartialFilesOfDeadRunsAreRemoved) {
    const fs::path dir = scratch("stale");
    const pid_t gone = ::fork();
    if (gone == 0) _exit(0);
    ASSERT_GT(gone, 0);
    ASSERT_EQ(::waitpid(gone, nullptr, 0), gone);  // reaped: that pid is free
    const fs::path dead = dir / fmt::format(".run.json.{}.partial", gone);
    const fs::path alive = dir / fmt::format(".run.json.{}.partial", ::getppid());
    const fs::path other = dir / fmt::format(".other.json.{}.partial", gone);
    for (const auto& p : {dead, alive, other}) std::ofstream(p) << "partial";
    { simul::results_file out((dir / "run.json").string(), "json"); }
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_TRUE(fs::exists(alive));
    EXPECT_TRUE(fs::exists(other)) << "another target's";
    fs::remove_all(dir);
}

TEST(ResultsFile, IsWholeAndKeepsTheUmasksMode) {
    const fs::path dir = scratch("mode");
    const auto o = bench_plain(one_case + " --benchmark_out=" + (dir / "run.json").string());
    ASSERT_EQ(o.code, 0) << o.err;
    const auto run = boost::json::parse(slurp(dir / "run.json"));
    EXPECT_EQ(run.at("benchmarks").as_array().size(), 1u);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(fs::status(dir / "run.json").permissions(), fs::perms(0666 & ~mask));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);  // no temporary left
    fs::remove_all(dir);
}

TEST(ResultsFile, ARunThatReportsNothingLeavesTheTargetAlone) {
    const fs::path dir = scratch("listed");
    std::ofstream(dir / "run.json") << "the last run";
    const auto o = bench_plain("--benchmark_list_tests --benchmark_filter=^sleep/ --benchmark_out=" +
                               (dir / "run.json").string());
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(slurp(dir / "run.json"), "the last run");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
    fs::remove_all(dir);
}

class Refused : public ::testing::TestWithParam<const char*> {};

TEST_P(Refused, WithOneLineAndExitCode2) {
    const auto o = bench_plain(GetParam());
    EXPECT_EQ(o.code, 2) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_TRUE(o.out.empty()) << "nothing should have run: " << o.out;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, Refused,
    ::testing::Values("--benchmark_out=/nonexistent-folder/run.json",
                      "--benchmark_out=", "--benchmark_time_unit=parsec",
                      // valid ECMAScript, which simul once checked, but not the extended syntax Google Benchmark uses
                      "--benchmark_filter=sleep\\d", "--benchmark_filter='(?:sleep)'",
                      // the last filter counts, as in Google Benchmark
                      "--benchmark_filter=sleep --benchmark_filter=nosuchcase", "--benchmark_filter=nosuchcase",
                      "--data-dir=", "--set=tasks:10 --set=tasks:20",
                      // Google Benchmark's name ends in /iterations:1/manual_time, so this matches nothing
                      "--benchmark_filter='^sleep/sequential/tasks:10/wait_ms:100$'", "--rounds=0", "--rounds=few",
                      "--rounds=2.5", "--round-share=-1",
                      // flags simul cannot honour, and values Google Benchmark cannot parse
                      "--benchmark_min_time=abc", "--benchmark_min_time=2", "--benchmark_min_warmup_time=1", "--v=abc",
                      "--benchmark_time_unit=s", "--benchmark_enable_random_interleaving=maybe",
                      "--benchmark_counters_tabular=perhaps"));

// The rows of a Google Benchmark JSON: (name, round).
std::vector<std::pair<std::string, int>> rows(const std::string& json) {
    std::vector<std::pair<std::string, int>> out;
    const auto run = boost::json::parse(json);
    for (const auto& b : run.at("benchmarks").as_array()) {
        const auto& o = b.as_object();
        out.emplace_back(o.at("run_name").as_string().c_str(),
                         o.contains("round") ? int(o.at("round").to_number<double>()) : -1);
    }
    return out;
}

TEST(Flags, AFilterIsMatchedAgainstGoogleBenchmarksOwnNames) {
    for (const char* filter : {"'^sleep/sequential/tasks:10/.*/iterations:1'", "'^sleep/sequential/.*manual_time$'",
                               "'^sleep/sequential/tasks:10/'"}) {
        const auto o = bench(std::string("--benchmark_filter=") + filter +
                             " --arrival=burst --models=sequential --set=wait_ms:1 --set=tasks:10");
        ASSERT_EQ(o.code, 0) << filter << ": " << o.err;
        EXPECT_EQ(rows(o.json).size(), 1u) << filter;
    }
}

TEST(Rounds, AreInterleavedInAnAbbaOrderAndEachRowSaysItsRound) {
    const auto o = bench("--rounds=3 --benchmark_filter=^sleep/ --arrival=burst --models=sequential,coroutine_loop "
                         "--set=tasks:3 --set=wait_ms:1");
    ASSERT_EQ(o.code, 0) << o.err;
    const std::string seq = "sleep/sequential/tasks:3/wait_ms:1/iterations:1/manual_time",
                      loop = "sleep/coroutine_loop/tasks:3/wait_ms:1/iterations:1/manual_time";
    const std::vector<std::pair<std::string, int>> expected = {{seq, 0}, {loop, 0}, {loop, 1},
                                                               {seq, 1}, {seq, 2},  {loop, 2}};
    EXPECT_EQ(rows(o.json), expected);
    const auto run = boost::json::parse(o.json);
    for (const auto& b : run.at("benchmarks").as_array()) {
        for (const char* k : {"host_steal_pct", "host_others_pct"}) {
            const double v = b.at(k).to_number<double>();
            EXPECT_TRUE(v == -1 || (v >= 0 && v <= 100)) << k << " = " << v;
        }
        EXPECT_GE(b.at("host_load1").to_number<double>(), 0);
    }
    EXPECT_EQ(run.at("context").at("simul_rounds").as_string(), "3 per case, interleaved");
    EXPECT_TRUE(run.at("context").as_object().contains("cpu_governor"));
}

TEST(Rounds, AutoGivesEachCaseAtLeastThreeAndLeavesNoUnneededRoundInTheOutput) {
    const auto o = bench("--rounds=auto --benchmark_filter=^sleep/ --arrival=burst --models=sequential,coroutine_loop "
                         "--set=tasks:2 --set=wait_ms:1");
    ASSERT_EQ(o.code, 0) << o.err;
    std::map<std::string, int> count;
    for (const auto& [name, round] : rows(o.json)) {
        EXPECT_EQ(round, count[name]) << name << ": rounds in order, none missing";
        ++count[name];
    }
    ASSERT_EQ(count.size(), 2u) << o.json;
    for (const auto& [name, n] : count) {
        EXPECT_GE(n, 3) << name;
        EXPECT_LE(n, 12) << name;
    }
    EXPECT_EQ(errors(o.json), std::vector<std::string>(rows(o.json).size(), "")) << "no skipped rounds in the JSON";
    EXPECT_EQ(o.out.find("round not needed"), std::string::npos) << o.out;
}

TEST(Harness, WarmsUpOnlyTheModelsOfTheSelectedCases) {
    // A pool the filter leaves out is not started: under a thread limit it
    // once took the whole run down before the first selected case.
    const auto o = bench("--benchmark_filter=^sleep/sequential/ --arrival=burst --models=sequential,thread_pool:64 "
                         "--set=tasks:2 --set=wait_ms:1");
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.err.find("warming up: sequential\n"), std::string::npos) << o.err;
}

TEST(Rounds, ASmallSweepSharesMoreTimePerCase) {
    const auto o = bench("--rounds=auto --benchmark_filter=^sleep/sequential/ --arrival=burst --models=sequential "
                         "--set=tasks:2 --set=wait_ms:1");
    ASSERT_EQ(o.code, 0) << o.err;
    const std::string rule(boost::json::parse(o.json).at("context").at("simul_rounds").as_string());
    EXPECT_NE(rule.find("under 120 s"), std::string::npos) << rule << ": 120 s shared out among one case";
}

TEST(Rounds, ListingNamesEachCaseOnce) {
    const auto o = bench_plain("--benchmark_list_tests --rounds=5 --benchmark_filter=^sleep/ --arrival=burst "
                               "--models=sequential,coroutine_loop --set=tasks:3");
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(o.out, "sleep/sequential/tasks:3/wait_ms:100/iterations:1/manual_time\n"
                     "sleep/coroutine_loop/tasks:3/wait_ms:100/iterations:1/manual_time\n");
}

TEST(Rounds, ASkippedCaseIsReportedOnceNotOncePerRound) {
    const auto o = bench("--rounds=4 --benchmark_filter=^sleep/ --arrival=burst --models=sequential "
                         "--set=tasks:100 --set=wait_ms:100 --budget=1");
    ASSERT_EQ(o.code, 0) << o.err;
    const auto e = errors(o.json);
    ASSERT_EQ(e.size(), 1u) << o.json;
    EXPECT_NE(e[0].find("over the budget"), std::string::npos) << e[0];
}

TEST(Flags, TheLastFilterIsTheOneThatRuns) {
    const auto o = bench("--benchmark_filter=nosuchcase " + one_case);
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(errors(o.json).size(), 1u);
}

}  // namespace
