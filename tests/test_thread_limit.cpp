// Thread-per-task at the thread limit: a result, not a crash. The tasks it
// could not start are counted as failed, the ones it started complete, and the
// label says what happened.

#include "bench/case/arrival.hpp"
#include "models/thread_per_task.hpp"
#include "models/thread_pool.hpp"
#include "tests/helpers.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

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
    EXPECT_NE(limit.find("thread limit: 25 threads alive at once; thread 26 of 100 refused"), std::string::npos)
        << limit;
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

// Runs `body` in a child process as user nobody with `limit` set to `value`
// (root ignores RLIMIT_NPROC); the child's exit code: body's verdict, or 10/11
// if the limit could not be set up. A crash is a signal, not an exit.
int in_child_under(int limit, rlim_t value, const std::function<bool()>& body) {
    const pid_t child = fork();
    if (child == 0) {
        const rlimit r{value, value};
        if (setrlimit(limit, &r) != 0) _exit(10);
        if (geteuid() == 0 && setuid(65534) != 0) _exit(11);
        _exit(body() ? 0 : 1);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

// A pool case's failure, or "" if it ran.
std::string pool_failure(int threads) {
    try {
        run(sleep_workload(), {{"tasks", threads}, {"wait_ms", 10}}, "thread_pool:" + std::to_string(threads));
    } catch (const case_error& e) {
        return e.what();
    }
    return "";
}

std::int64_t vm_size_bytes() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmSize:", 0) == 0) return std::stoll(line.substr(7)) * 1024;
    return -1;
}

std::int64_t threads_now() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Threads:", 0) == 0) return std::stoll(line.substr(8));
    return -1;
}

// oneTBB makes its workers on its own threads, where a refused
// pthread_create was std::terminate (exit 134, the whole run lost). The pool
// checks the limits first and fails the case naming the limit.
TEST(ThreadLimit, APoolPastRlimitNprocFailsItsCaseNamingTheLimit) {
    const int rc = in_child_under(RLIMIT_NPROC, 40, [] {
        const std::string why = pool_failure(100);
        return why.find("could not start") != std::string::npos && why.find("RLIMIT_NPROC (40)") != std::string::npos;
    });
    EXPECT_EQ(rc, 0) << "1: wrong message; 10/11: could not set up the limit; 1000+: killed by a signal";
}

TEST(ThreadLimit, APoolPastRlimitAsFailsItsCaseNamingTheLimit) {
    const rlim_t room = rlim_t(vm_size_bytes() + (std::int64_t(256) << 20));  // 200 stacks need 800 MiB
    const int rc = in_child_under(RLIMIT_AS, room, [] {
        const std::string why = pool_failure(200);
        return why.find("could not start") != std::string::npos && why.find("RLIMIT_AS") != std::string::npos;
    });
    EXPECT_EQ(rc, 0) << "1: wrong message; 10/11: could not set up the limit; 1000+: killed by a signal";
}

// A pool that could not start all its workers in time leaves none behind, nor
// oneTBB's worker limit: before, its workers survived into the next case
// (counted as that case's threads), and the next larger pool got only the
// old P of them ("oneTBB started only 257 of 300").
TEST(ThreadLimit, APoolThatCannotStartLeavesNothingBehind) {
    const auto before = threads_now();
    EXPECT_THROW(thread_pool(256, std::chrono::milliseconds(0)), std::runtime_error);
    EXPECT_EQ(threads_now(), before);
    {
        thread_pool bigger(300);
        EXPECT_GE(threads_now(), before + 300);
    }
    EXPECT_EQ(threads_now(), before);
}

// Tasks that throw while the pool dispatches (an arrival, or an enqueue's
// bad_alloc) must not unwind the trace from under the tasks still running.
class failing_arrivals final : public arrivals {
public:
    bool wait(std::size_t i) override {
        if (i == 5) throw std::runtime_error("arrivals failed");
        return true;
    }
    awaitable<bool> async_wait(std::size_t) override { co_return true; }
};

TEST(ThreadLimit, APoolWhoseDispatchThrowsWaitsForItsRunningTasks) {
    auto tasks = sleep_workload().prepare(params({{"tasks", 10}, {"wait_ms", 200}}));
    trace tr(tasks->size());
    tr.start(clock::now());
    failing_arrivals arrive;
    thread_pool pool(5);
    EXPECT_THROW(pool.run(*tasks, arrive, tr), std::runtime_error);
    for (std::size_t i = 0; i < 5; ++i) EXPECT_NE(tr.end_ns(i), trace::not_done) << "task " << i << " still running";
}

}  // namespace
