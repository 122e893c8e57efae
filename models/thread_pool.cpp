#include "models/thread_pool.hpp"

#include "models/thread_limits.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <new>
#include <stdexcept>
#include <thread>

namespace tbb = oneapi::tbb;

using namespace std::chrono_literals;

namespace simul {

thread_pool::thread_pool(int threads, std::chrono::milliseconds start_within)
    : threads_(threads), scheduler_(tbb::attach{}) {
    // oneTBB's own stack size for its workers, so the check is for what it
    // will map.
    const auto stack = std::int64_t(tbb::global_control::active_value(tbb::global_control::thread_stack_size));
    if (const std::string refused = thread_room_refusal(threads_, stack); !refused.empty()) {
        stop();
        throw std::runtime_error(fmt::format("thread limit: {} pool threads refused: {}", threads_, refused));
    }
    try {
        start(start_within);
    } catch (...) {
        stop();  // the destructor does not run for a constructor that throws
        throw;
    }
}

void thread_pool::start(std::chrono::milliseconds start_within) {
    allow_.emplace(tbb::global_control::max_allowed_parallelism, threads_ + 1);
    arena_.emplace(threads_, 0);  // 0 slots reserved for the calling thread

    // Start all P workers now, as a server starts its pool before it takes
    // requests: each warm-up task holds its worker until all P have arrived.
    // A deadline instead of a plain latch: if oneTBB grants fewer workers,
    // the case fails with a message instead of hanging.
    std::atomic<int> arrived{0};
    std::atomic<bool> release{false};
    std::latch left(threads_);
    for (int w = 0; w < threads_; ++w)
        arena_->enqueue([&] {
            arrived.fetch_add(1);
            while (!release.load() && arrived.load() < threads_) std::this_thread::sleep_for(1ms);
            left.count_down();
        });
    const auto deadline = clock::now() + start_within;
    while (arrived.load() < threads_ && clock::now() < deadline) std::this_thread::sleep_for(1ms);
    const int got = arrived.load();
    release.store(true);
    left.wait();
    if (got < threads_)
        throw std::runtime_error(fmt::format("oneTBB started only {} of {} pool threads within {} s", got, threads_,
                                             std::chrono::duration<double>(start_within).count()));
}

thread_pool::~thread_pool() { stop(); }

// Wait for the workers to exit, so threads and memory do not carry over into
// the next case.
void thread_pool::stop() noexcept {
    arena_.reset();
    allow_.reset();
    if (scheduler_) tbb::finalize(scheduler_, std::nothrow);
}

std::string thread_pool::run(task_source& tasks, arrivals& arrive, trace& tr) {
    const std::size_t n = tasks.size();
    std::latch done(static_cast<std::ptrdiff_t>(n));
    std::string limit;
    std::size_t counted = 0;  // tasks enqueued or counted down
    try {
        for (std::size_t i = 0; i < n; ++i) {
            if (!arrive.wait(i)) {
                limit = tr.abandon_from(i);
                done.count_down(static_cast<std::ptrdiff_t>(n - i));
                counted = n;
                break;
            }
            arena_->enqueue([&tasks, &tr, &done, i] {
                tr.run_blocking(tasks, i);
                done.count_down();
            });
            counted = i + 1;
        }
    } catch (...) {
        // An arrival or enqueue that throws (bad_alloc) must not unwind the
        // latch, the trace and the tasks from under the tasks still running
        // on the workers: wait for them first.
        done.count_down(static_cast<std::ptrdiff_t>(n - counted));
        done.wait();
        throw;
    }
    done.wait();
    return limit;
}

}  // namespace simul
