// The coroutine models side by side: every workload on one loop, on a loop
// per thread and on one loop shared by threads returns the same checksum.
// These tests use no oneTBB, so they are the ones the tsan preset runs:
// Debian's oneTBB is not built with ThreadSanitizer, and every pool test
// reports its internal synchronisation as races.

#include "bench/io/uring_reads.hpp"
#include "tests/helpers.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <gtest/gtest.h>

#include <stdexcept>

using namespace simul;
using namespace simul::testing;

namespace {

TEST(Loops, EveryWorkloadGivesTheSameChecksumOnOneLoopAndOnMany) {
    for (const workload* w : all_workloads()) {
        SCOPED_TRACE(std::string(w->name()));
        const auto one = run(*w, smoke_params(*w), "coroutine_loop");
        ASSERT_EQ(one.failed, 0u) << one.label;
        for (const char* many : {"coroutine_loop:2", "shared_loop:2", "coroutine_loop:3", "shared_loop:3"}) {
            SCOPED_TRACE(many);
            const auto r = run(*w, smoke_params(*w), many);
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

// A burst's task that the dispatcher starts on its own loop starts when it
// was handed out (one clock read for both); a task sent to another loop
// starts there, later, by a reading of its own.
TEST(Loops, ATaskStartsAtItsHandOutOnTheDispatchersLoopAndAfterItOnAnother) {
    for (const char* model : {"coroutine_loop", "coroutine_loop:2", "stackful_loop:2"}) {
        SCOPED_TRACE(model);
        const case_spec c{&sleep_workload(), params({{"tasks", 300}, {"wait_ms", 20}}), parse_model(model), {}};
        std::size_t same = 0, later = 0;
        run_case(c, {}, [&](const trace& tr) {
            for (std::size_t i = 0; i < tr.size(); ++i) {
                ASSERT_NE(tr.arrived_ns(i), trace::not_done) << i;
                ASSERT_GE(tr.start_ns(i), tr.arrived_ns(i)) << i;
                ++(tr.start_ns(i) == tr.arrived_ns(i) ? same : later);
            }
        });
        EXPECT_EQ(same + later, 300u);
        if (std::string(model) == "coroutine_loop") {
            EXPECT_EQ(later, 0u);
        } else {
            EXPECT_GE(same, 150u);  // loop 0's tasks (every other one)
            EXPECT_GT(later, 0u);
        }
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

// Tasks whose loop thread throws: task `bad` posts a handler that throws out
// of io_context::run on whichever loop runs it; the others wait 50 ms.
class throwing_tasks final : public task_source {
public:
    throwing_tasks(std::size_t n, std::size_t bad) : n_(n), bad_(bad) {}
    std::size_t size() const override { return n_; }
    std::uint64_t blocking(std::size_t) override { return 0; }
    awaitable<std::uint64_t> async(std::size_t i) override {
        const auto ex = co_await boost::asio::this_coro::executor;
        if (i == bad_) boost::asio::post(ex, [] { throw std::runtime_error("a loop thread threw"); });
        steady_timer t(ex, std::chrono::milliseconds(50));
        co_await t.async_wait(boost::asio::deferred);
        co_return 1;
    }

private:
    std::size_t n_, bad_;
};

// Whatever a loop thread throws, on the dispatcher's loop or another, every
// loop stops and is joined, and the model reports the failure: before, a
// loop thread other than the caller's died with std::terminate, and a throw
// on the caller's loop left it joining loops that never ended.
TEST(Loops, WhatALoopThreadThrowsStopsEveryLoopAndIsTheCasesFailure) {
    for (const char* many : {"coroutine_loop:2", "coroutine_loop:3", "shared_loop:2"}) {
        for (std::size_t bad : {0u, 1u, 2u}) {
            SCOPED_TRACE(std::string(many) + ", task " + std::to_string(bad));
            throwing_tasks tasks(200, bad);
            trace tr(tasks.size());
            tr.start(clock::now());
            scheduled_arrivals burst(tr);
            const auto model = parse_model(many).make();
            try {
                model->run(tasks, burst, tr);
                ADD_FAILURE() << "no exception";
            } catch (const std::runtime_error& e) {
                EXPECT_STREQ(e.what(), "a loop thread threw");
            }
        }
    }
}

// file_read on a loop shared by threads, each reading on a ring of its own
// (bench/io/uring_reads.hpp): many files, many reads each, the bytes one
// loop reads.
TEST(Loops, ASharedLoopReadsFilesAsOneLoopDoes) {
    const workload& w = *find_workload("file_read");
    const std::vector<std::pair<std::string, std::int64_t>> p = {{"files", 64}, {"file_kib", 256}, {"chunk_kib", 16},
                                                                 {"cache", 1},  {"direct", 0},     {"io", 0}};
    const auto one = run(w, p, "coroutine_loop");
    ASSERT_EQ(one.failed, 0u) << one.label;
    for (const char* m : {"shared_loop:2", "shared_loop:3"}) {
        SCOPED_TRACE(m);
        const auto r = run(w, p, m);
        EXPECT_EQ(r.failed, 0u) << r.label;
        EXPECT_EQ(r.tasks, 64u);
        EXPECT_EQ(r.checksum, one.checksum);
        EXPECT_EQ(r.label.rfind("io: io_uring", 0), 0u) << r.label;
    }
}

// io_uring_enter refusing a submit (EAGAIN) on any loop thread: the reads
// are retried, so every task of file_read completes.
TEST(Loops, ARefusedIoUringSubmitIsRetriedOnEveryLoopModel) {
    const workload& w = *find_workload("file_read");
    auto p = smoke_params(w);
    for (auto& [k, v] : p)
        if (k == "io") v = 0;  // native: the loop's own io_uring
    for (const char* m : {"coroutine_loop", "coroutine_loop:2", "shared_loop:2"}) {
        SCOPED_TRACE(m);
        uring_reads::refuse_submits_for_tests = 2;
        const auto r = run(w, p, m);
        uring_reads::refuse_submits_for_tests = 0;
        EXPECT_EQ(r.failed, 0u) << r.label;
        EXPECT_EQ(r.tasks, 8u);
    }
}

}  // namespace
