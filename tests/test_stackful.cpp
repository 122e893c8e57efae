// The stackful loops: their names and stack options, every workload in the
// third colour with the other colours' checksum, stacks that run out as a
// result, and a workload without the colour skipped with the reason. Like
// test_loops, no oneTBB here: the tsan preset runs these.

#include "bench/case/arrival.hpp"
#include "bench/harness/sweep.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

using namespace simul;
using namespace simul::testing;

namespace {

TEST(Stackful, TheNamesParseWithTheirStackOptions) {
    const auto m = parse_model("stackful_loop:2/stack:16/guarded");
    EXPECT_EQ(m.kind, "stackful_loop");
    EXPECT_EQ(m.threads, 2);
    EXPECT_EQ(m.stack, (stack_options{16, true}));
    EXPECT_EQ(m.colour(), colour::stackful);
    EXPECT_TRUE(m.runs_async());
    EXPECT_EQ(m.name(), "stackful_loop:2/stack:16/guarded");
    EXPECT_EQ(parse_model("stackful_loop/guarded/stack:32").name(), "stackful_loop/stack:32/guarded");
    // The default stack is left out of the name, so one case has one name.
    EXPECT_EQ(parse_model("stackful_loop/stack:64").name(), "stackful_loop");
    EXPECT_EQ(parse_model("stackful_loop").stack, stack_options{});
    EXPECT_EQ(parse_model("stackful_loop:3").shape(100).concurrency, 100);
    EXPECT_EQ(parse_model("stackful_loop").shape(100).cpu_parallelism, 1);
    for (const char* bad : {"stackful_loop/stack:4", "stackful_loop/stack:100000", "stackful_loop/stack:x",
                            "stackful_loop/stack:", "stackful_loop/mmap", "stackful_loop/", "coroutine_loop/stack:16",
                            "thread_pool:2/guarded", "stackful_loop:0"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(parse_model(bad), model_error);
    }
}

TEST(Stackful, EveryWorkloadGivesTheSameChecksumInTheThirdColour) {
    for (const workload* w : all_workloads()) {
        SCOPED_TRACE(std::string(w->name()));
        ASSERT_TRUE(w->has_stackful()) << "every built-in workload has the stackful colour";
        const auto stackless = run(*w, smoke_params(*w), "coroutine_loop");
        ASSERT_EQ(stackless.failed, 0u) << stackless.label;
        for (const char* m : {"stackful_loop", "stackful_loop:2", "stackful_loop:3/guarded"}) {
            SCOPED_TRACE(m);
            const auto r = run(*w, smoke_params(*w), m);
            EXPECT_EQ(r.failed, 0u) << r.label;
            EXPECT_EQ(r.tasks, stackless.tasks);
            EXPECT_EQ(r.checksum, stackless.checksum);
        }
    }
}

// A stack per task in flight: every task of a burst is alive at once, each
// with at least its stack's top page resident and its whole stack in the
// address space.
TEST(Stackful, EveryTaskOfABurstHoldsAStack) {
    const auto r = run(sleep_workload(), {{"tasks", 2000}, {"wait_ms", 200}}, "stackful_loop");
    ASSERT_EQ(r.failed, 0u) << r.label;
    EXPECT_EQ(r.in_flight_peak, 2000u);
    EXPECT_EQ(r.cost.threads_peak,
              run(sleep_workload(), {{"tasks", 10}, {"wait_ms", 1}}, "coroutine_loop").cost.threads_peak);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    EXPECT_GE(r.mem_virtual_per_task_bytes, 64 * 1024 * 0.95);  // the stack, whole
    EXPECT_GE(r.mem_per_task_bytes, 4096 * 0.95);               // its top page at the least
#endif
}

// Guarded stacks in an address space with room for about 50 of 4 MiB: the
// stacks that fit run, the rest are marked not started, and the label says
// how many were alive and which limit refused. In a child process, as the
// limit is the whole process's.
TEST(Stackful, AStackTheSystemRefusesIsAResult) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    GTEST_SKIP() << "the sanitizers reserve terabytes of address space: RLIMIT_AS cannot be lowered under them";
#endif
    for (const char* model :
         {"stackful_loop/stack:4096/guarded", "stackful_loop:2/stack:4096/guarded", "stackful_loop/stack:4096"}) {
        SCOPED_TRACE(model);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            if (!limit_address_space_to_now_plus(std::int64_t(256) << 20)) _exit(10);
            const auto r = run(sleep_workload(), {{"tasks", 400}, {"wait_ms", 300}}, model);
            const bool ok = r.tasks > 0 && r.failed > 0 && r.tasks + r.failed == 400 &&
                            r.label.starts_with("stack limit: ") &&
                            r.label.find(" tasks alive at once; task ") != std::string::npos &&
                            r.label.find("RLIMIT_AS") != std::string::npos;
            if (!ok) std::fprintf(stderr, "tasks %zu failed %zu label: %s\n", r.tasks, r.failed, r.label.c_str());
            _exit(ok ? 0 : 1);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status)) << "the child crashed at the stack limit";
        EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong counts or label; 10: could not set the limit";
    }
}

// A workload as a user may write it, with two colours and no stackful one.
class two_colours_t final : public workload {
    class tasks_t final : public prepared_tasks {
    public:
        std::size_t size() const override { return 3; }
        std::uint64_t blocking(std::size_t i) override { return i + 1; }
        awaitable<std::uint64_t> async(std::size_t i) override { co_return i + 1; }
    };

public:
    std::string_view name() const override { return "two_colours"; }
    std::string_view description() const override { return "three tasks, no stackful colour"; }
    std::vector<param_spec> params() const override {
        return {{.name = "tasks", .help = "tasks", .quick = {3}, .full = {3}, .counts_tasks = true}};
    }
    std::unique_ptr<prepared_tasks> prepare(const simul::params&) const override { return std::make_unique<tasks_t>(); }
};

TEST(Stackful, AWorkloadWithoutTheColourIsSkippedWithTheReason) {
    const two_colours_t w;
    EXPECT_FALSE(w.has_stackful());
    const case_spec stackful{&w, params({{"tasks", 3}}), parse_model("stackful_loop:2"), {}};
    const std::string why = skip_reason(stackful, 100, 1024);
    EXPECT_NE(why.find("no stackful colour"), std::string::npos) << why;
    const case_spec stackless{&w, params({{"tasks", 3}}), parse_model("coroutine_loop"), {}};
    EXPECT_EQ(skip_reason(stackless, 100, 1024), "");
    // In a sweep, the stackful case is skipped and the others go on.
    sweep s;
    s.cases = {stackful, stackless};
    s.prepare(100, 1024);
    ASSERT_EQ(s.runnable().size(), 1u);
    EXPECT_EQ(s.runnable()[0]->model.name(), "coroutine_loop");
    EXPECT_EQ(run_case(*s.runnable()[0]).checksum, 6u);
}

}  // namespace
