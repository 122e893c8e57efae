// Thread-per-task at the thread limit: a result, not a crash. The tasks it
// could not start are counted as failed, the ones it started complete, and the
// label says what happened.

#include "bench/core/arrival.hpp"
#include "models/thread_per_task.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace simul;
using namespace simul::testing;

namespace {

// The same workload and case runner, with thread_per_task capped at 25 live
// threads. The waits are long enough that none of the first 25 ends before
// the 26th is refused.
TEST(ThreadLimit, ACapStopsCreationAndTheRestCountAsFailed) {
    auto tasks = sleep_workload().prepare(params({{"tasks", 100}, {"wait_ms", 500}}));
    trace tr(tasks->size());
    tr.start(clock::now());
    scheduled_arrivals burst(tr);
    thread_per_task model(25);
    const std::string limit = model.run(*tasks, burst, tr);
    EXPECT_NE(limit.find("thread limit: 25 threads alive at once; thread 26 of 100 refused"), std::string::npos) << limit;
    std::size_t done = 0, failed = 0;
    for (std::size_t i = 0; i < tr.size(); ++i) {
        done += !tr.failed(i) && tr.end_ns(i) != trace::not_done;
        failed += tr.failed(i);
    }
    EXPECT_EQ(done, 25u);
    EXPECT_EQ(failed, 75u);
}

// The real OS limit, in a child process: RLIMIT_NPROC counts a user's
// threads. Root ignores it, so the child first becomes user nobody.
TEST(ThreadLimit, TheOsLimitIsReportedAsData) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const rlimit few{40, 40};
        if (setrlimit(RLIMIT_NPROC, &few) != 0) _exit(10);
        if (geteuid() == 0 && setuid(65534) != 0) _exit(11);
        const auto r = run(sleep_workload(), {{"tasks", 200}, {"wait_ms", 300}}, "thread_per_task");
        const bool ok = r.failed > 0 && r.tasks > 0 && r.tasks + r.failed == 200 &&
                        r.label.find("thread limit") != std::string::npos &&
                        r.label.find("RLIMIT_NPROC (40)") != std::string::npos;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "the child crashed at the thread limit";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong counts or label; 10/11: could not set up the limit";
}

}  // namespace
