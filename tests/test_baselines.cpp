// The bare programs (bench/baselines/) do the same work as simul's cases:
// each runs, and returns the same checksum and task count as the case that
// scripts/baselines.sh sets beside it. How fast they are is the script's
// business, not a test's.

#include "bench/net/helper.hpp"
#include "support/settings.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

using namespace simul;
using namespace simul::testing;
using namespace std::chrono_literals;

namespace {

boost::json::object run_bare(const std::string& name, const std::vector<std::string>& args) {
    helper_process bare(tool_path(name), args);
    return boost::json::parse(bare.wait_output(60s)).as_object();
}

double number(const boost::json::object& o, const char* key) { return boost::json::value_to<double>(o.at(key)); }

// simul's model → the bare program's name and its size argument, as
// scripts/baselines.py runs them: coroutine_loop:P is P loops, one a thread.
std::pair<std::string, std::vector<std::string>> bare_for(const std::string& model, const std::string& workload) {
    const auto colon = model.find(':');
    std::string kind = model.substr(0, colon);
    if (kind == "coroutine_loop" && colon != std::string::npos) kind = "loop_per_thread";
    return {fmt::format("bare-{}-{}", kind, workload),
            colon == std::string::npos ? std::vector<std::string>{} : std::vector{model.substr(colon + 1)}};
}

TEST(Baselines, EachBareSleepAgreesWithSimul) {
    for (const char* model : {"sequential", "thread_per_task", "thread_pool:3", "coroutine_loop", "coroutine_loop:3",
                              "shared_loop:3", "stackful_loop"}) {
        SCOPED_TRACE(model);
        const auto simul = run(sleep_workload(), {{"tasks", 30}, {"wait_ms", 5}}, model);
        const auto [bare_name, size] = bare_for(model, "sleep");
        std::vector<std::string> args = {"30", "5"};
        args.insert(args.end(), size.begin(), size.end());
        const auto bare = run_bare(bare_name, args);
        EXPECT_EQ(number(bare, "tasks"), double(simul.tasks));
        EXPECT_EQ(number(bare, "checksum"), double(simul.checksum));
        const double least = std::string(model) == "sequential" ? 30 * 0.005 : 0.005;  // a wait is a wait
        EXPECT_GE(number(bare, "makespan_s"), least);
    }
}

// The bare clients ask a delay server of their own for simul's requests, and
// get and check the same bodies.
TEST(Baselines, EachBareClientAgreesWithSimul) {
    const delay_server server;
    for (const char* model : {"sequential", "thread_per_task", "coroutine_loop"}) {
        SCOPED_TRACE(model);
        const auto simul = run(fetch_workload(), {{"tasks", 12}, {"delay_ms", 5}, {"bytes", 256}}, model);
        ASSERT_EQ(simul.failed, 0u) << simul.label;
        const auto bare = run_bare(bare_for(model, "fetch").first, {std::to_string(server.port), "12", "5", "256"});
        EXPECT_EQ(number(bare, "tasks"), double(simul.tasks));
        EXPECT_EQ(number(bare, "checksum"), double(simul.checksum));
        EXPECT_GE(number(bare, "makespan_s"), std::string(model) == "sequential" ? 12 * 0.005 : 0.005);
    }
}

// A request that fails is an exit code, not a smaller checksum.
TEST(Baselines, ABareClientWithoutAServerFails) {
    EXPECT_THROW(run_bare("bare-coroutine_loop-fetch", {"1", "2", "5", "256"}), std::exception);
    EXPECT_THROW(run_bare("bare-thread_per_task-fetch", {"1", "2", "5", "256"}), std::exception);
}

// Chess thinks in steps calibrated per process; given simul's steps, the
// bare exhibition plays the same games.
TEST(Baselines, EachBareExhibitionAgreesWithSimul) {
    for (const char* model : {"sequential", "coroutine_loop"}) {
        SCOPED_TRACE(model);
        const auto simul = run(chess_workload(), {{"boards", 4}, {"moves", 3}, {"think_us", 100}, {"reply_us", 1000}},
                               model);
        double steps = 0;
        for (const auto& [name, value] : simul.extra)
            if (name == "think_steps") steps = value;
        ASSERT_GT(steps, 0) << "chess reports the steps it thought";
        const auto bare = run_bare(fmt::format("bare-{}-chess", model),
                                   {"4", "3", fmt::format("{:.0f}", steps), "1000"});
        EXPECT_EQ(number(bare, "tasks"), double(simul.tasks));
        EXPECT_EQ(number(bare, "checksum"), double(simul.checksum));
    }
}

// The bare readers read simul's data set and hash it with simul's checksum.
TEST(Baselines, EachBareFileReaderAgreesWithSimul) {
    const auto dir = std::filesystem::path(SIMUL_BENCH_PATH).parent_path() / "test-data" / "bare-file-readers";
    set_data_dir(dir);
    const std::vector<std::pair<std::string, std::int64_t>> p = {{"files", 5}, {"file_kib", 192}, {"chunk_kib", 64},
                                                                 {"cache", 1}, {"direct", 0},     {"io", 0}};
    for (const char* model : {"sequential", "thread_per_task", "thread_pool:3", "coroutine_loop"}) {
        SCOPED_TRACE(model);
        const auto simul = run(file_read_workload(), p, model);
        ASSERT_EQ(simul.failed, 0u) << simul.label;
        const std::string kind = std::string(model).substr(0, std::string(model).find(':'));
        std::vector<std::string> args = {(dir / "file_read" / "5x192KiB").string(), "5", "192", "64", "3"};
        if (kind == "thread_pool") args.push_back("3");
        const auto bare = run_bare("bare-" + kind + "-file_read", args);
        EXPECT_EQ(number(bare, "tasks"), double(simul.tasks));
        EXPECT_EQ(number(bare, "checksum"), double(simul.checksum));
    }
}

TEST(Baselines, BadArgumentsAreAUsageError) {
    EXPECT_THROW(run_bare("bare-coroutine_loop-sleep", {"10", "x"}), std::exception);
}

}  // namespace
