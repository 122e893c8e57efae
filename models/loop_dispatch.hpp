#pragma once
// The dispatcher every loop model shares: one C++20 coroutine that hands out
// the tasks as they arrive. What differs between the models is where a task
// runs, which `place(i)` answers with an executor (the one loop, one of P
// loops, or the one io_context that P threads share), and in which colour,
// which `start` does: start_coroutine spawns the task's C++20 coroutine,
// start_stackful runs it on a stack of its own. The stackful models keep this
// stackless dispatcher: it is the harness's, not the task's, and it is the
// same code for every loop, so that only the tasks differ.

#include "models/arrivals.hpp"
#include "models/stacks.hpp"
#include "models/task.hpp"
#include "models/trace.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace simul {

// Each task is the workload's own coroutine, spawned as it is: its start is
// recorded here and its end by co_spawn's completion handler, so the loop pays
// for no frame of ours around it. co_spawn onto the dispatcher's own loop runs
// the task at once, up to its first co_await. `at_arrival`: the dispatcher
// starts the task the instant it recorded its arrival (trace::begin_at_arrival).
// Inlined by force: GCC left it a call, and inlined the dispatcher does 35
// instructions a task fewer (callgrind, 100,000 sleeps: 3,808 → 3,773).
class start_coroutine {
public:
    start_coroutine(task_source& tasks, trace& tr) : tasks_(&tasks), tr_(&tr) {}

    [[gnu::always_inline]] bool operator()(const executor& ex, std::size_t i, bool at_arrival) const {
        at_arrival ? tr_->begin_at_arrival(i) : tr_->begin(i);
        boost::asio::co_spawn(ex, tasks_->async(i), [tr = tr_, i](const std::exception_ptr& error, std::uint64_t sum) {
            tr->finish(i, error, sum);
        });
        return true;
    }
    std::string limit() const { return {}; }

private:
    task_source* tasks_;
    trace* tr_;
};

// Each task on a stack of its own, with asio::spawn: its start recorded here,
// its end by spawn's completion handler, as for the coroutine colour. spawn
// onto the dispatcher's loop makes the stack at once and posts the task's
// first run. Each task holds work on its loop until it ends (`busy`), as
// co_spawn's coroutines do: spawn counts none when the completion handler
// runs on the task's own executor (Asio 1.81's handler_work), so under
// stackful_loop:P a task parked in a queue of the workload's (the guide's
// permits, waiting for a permit that another loop holds) let its loop run
// out of work and return, and the task never ended. A stack the system
// refuses is a result, as a thread is for thread_per_task: the task and
// every later one are marked not started with a label that says how many
// tasks were alive and which limit refused.
class start_stackful {
public:
    start_stackful(task_source& tasks, trace& tr, stack_options stack)
        : tasks_(&tasks), tr_(&tr), stack_(stack), refused_(std::make_shared<refusal>()) {}

    // False once a stack has been refused: the dispatcher stops.
    bool operator()(const executor& ex, std::size_t i, bool at_arrival) const {
        if (refused_->happened.load(std::memory_order_acquire)) {
            tr_->mark_not_started(i, refused_->label);
            return false;
        }
        at_arrival ? tr_->begin_at_arrival(i) : tr_->begin(i);
        try {
            boost::asio::spawn(
                ex, std::allocator_arg, stack_allocator(stack_),
                [tasks = tasks_, i, busy = boost::asio::make_work_guard(ex)](yield_context yield) {
                    return tasks->stackful(i, yield);
                },
                [tr = tr_, i](const std::exception_ptr& error, std::uint64_t sum) { tr->finish(i, error, sum); });
            return true;
        } catch (const stack_refused& e) {
            refuse(i, e.what());
            return false;
        }
    }
    std::string limit() const {
        const std::lock_guard lock(refused_->m);
        return refused_->label;
    }

private:
    struct refusal {
        std::mutex m;  // several loops may be refused at once
        std::atomic<bool> happened{false};
        std::string label;
    };

    void refuse(std::size_t i, const char* why) const {
        std::size_t alive = 0;  // begun and not ended: read from the trace, as only a refusal needs it
        for (std::size_t j = 0; j < tr_->size(); ++j)
            alive += j != i && tr_->start_ns(j) != trace::not_done && tr_->end_ns(j) == trace::not_done;
        {
            const std::lock_guard lock(refused_->m);
            if (!refused_->happened.load(std::memory_order_relaxed)) {
                refused_->label = fmt::format("stack limit: {} tasks alive at once; task {} of {} refused a {} KiB {} "
                                              "stack: {}",
                                              alive, i + 1, tr_->size(), stack_.kib,
                                              stack_.guarded ? "guarded" : "malloc'd", why);
                refused_->happened.store(true, std::memory_order_release);
            }
        }
        tr_->mark_not_started(i, refused_->label);
    }

    task_source* tasks_;
    trace* tr_;
    stack_options stack_;
    std::shared_ptr<refusal> refused_;  // shared by the copies that batches carry to other loops
};

// Tasks on their way to another loop (see dispatch).
struct loop_batch {
    executor ex;
    std::vector<std::size_t> todo;
    std::size_t size = 64;  // where it leaves; doubles at each send, up to `largest`
    static constexpr std::size_t largest = 1024;
};

// The dispatcher. Arrivals come inside the loop (a timer, an accept): no
// cross-thread hop between an arrival and the dispatcher.
//
// Tasks for another loop go there in batches, one post per batch: the task's
// coroutine is then made, started and freed on the loop that runs it. Posted
// one by one, each task woke the other loop's thread (a futex or an eventfd
// write, then a context switch) and was freed by another thread than made
// it: with 100,000 sleeps, two loops took 0.25 s where one took 0.16, and
// perf put a fifth of the samples in the scheduler's wake-ups
// (finish_task_switch, spin unlocks) and more in free(). A batch leaves as
// soon as it is full or the dispatcher must wait for an arrival, so no task
// waits for others that have not come.
//
// A loop's batches double, from 64 tasks to 1,024: the first leaves soon, so
// another loop starts early, and a long burst wakes it seldom. With a fixed
// 64, two loops with 100,000 sleeps switched some 660 times (the bare
// program, which deals its tasks out before it starts, 31 to 59) and took
// 1.066 and 1.085 times the bare program's makespan; doubling, 82 to 133
// times, and 0.993 and 0.982 (docs/MEASUREMENTS.md).
template <class Place, class Start>
awaitable<void> dispatch(task_source& tasks, arrivals& arrive, trace& tr, std::string& limit, Place place,
                         Start start) {
    const executor here = co_await boost::asio::this_coro::executor;
    std::vector<loop_batch> batches;  // one per other loop, as they come up
    const auto send = [&start](loop_batch& b) {
        if (b.todo.empty()) return;
        boost::asio::post(b.ex, [start, ex = b.ex, todo = std::move(b.todo)] {
            for (std::size_t i : todo) start(ex, i, false);
        });
        b.todo = {};
        b.size = std::min(2 * b.size, loop_batch::largest);
    };
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        // Not `ready(i) || co_await ...` in one condition: GCC 12 allocates
        // the awaited coroutine's frame even when the left side decides.
        const bool arrived_now = arrive.ready(i);  // and recorded: a burst's task needs one clock read
        if (!arrived_now) {
            for (auto& b : batches) send(b);
            if (!co_await arrive.async_wait(i)) {
                limit = tr.abandon_from(i);
                co_return;
            }
        }
        const executor ex = place(i);
        if (ex == here) {
            if (start(ex, i, arrived_now)) continue;
            for (auto& b : batches) send(b);  // their tasks are marked not started on their loops
            limit = start.limit();
            for (std::size_t j = i + 1; j < tasks.size(); ++j) tr.mark_not_started(j, limit);
            co_return;
        }
        auto b = std::find_if(batches.begin(), batches.end(), [&ex](const loop_batch& x) { return x.ex == ex; });
        if (b == batches.end()) b = batches.insert(batches.end(), loop_batch{.ex = ex, .todo = {}});
        b->todo.push_back(i);
        if (b->todo.size() == b->size) send(*b);
    }
    for (auto& b : batches) send(b);
}

// The dispatcher's completion handler: an exception that ends the dispatcher
// leaves its loop's run() (asio::detached would drop it, and the loops would
// wait forever for tasks that never come).
inline void rethrow_failure(const std::exception_ptr& error) {
    if (error) std::rethrow_exception(error);
}

// Runs on_thread[k] on thread k; this thread runs on_thread[0]. Whatever a
// loop thread throws (or a thread that cannot be made) stops every loop, so
// the others return although the dispatcher still holds their work guards;
// once all are joined, the first exception is rethrown, as the case's failure.
// No exception leaves a loop thread: that was std::terminate.
inline void run_loops(const std::vector<boost::asio::io_context*>& on_thread) {
    std::mutex m;
    std::exception_ptr first;
    const auto failed = [&] {
        {
            const std::lock_guard lock(m);
            if (!first) first = std::current_exception();
        }
        for (auto* io : on_thread) io->stop();
    };
    const auto run_one = [&](boost::asio::io_context* io) {
        try {
            io->run();
        } catch (...) {
            failed();
        }
    };
    {
        std::vector<std::jthread> others;
        try {
            others.reserve(on_thread.size());
            for (std::size_t k = 1; k < on_thread.size(); ++k) others.emplace_back(run_one, on_thread[k]);
        } catch (...) {
            failed();
        }
        run_one(on_thread[0]);
    }  // joins
    if (first) std::rethrow_exception(first);
}

}  // namespace simul
