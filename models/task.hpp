#pragma once
// The task interface in three colours: the only thing a model knows about the
// work.
//
// C++ forces IO code into a colour. A workload writes each task in every
// colour, side by side, and the models pick the colour they can run:
//   blocking(i)         plain blocking calls; for sequential, thread_per_task,
//                       thread_pool
//   async(i)            a C++20 (stackless) coroutine on Boost.Asio; for
//                       coroutine_loop and shared_loop
//   stackful(i, yield)  straight-line code on a stack of its own that
//                       suspends through `yield` (asio::spawn); for
//                       stackful_loop. Optional: a workload without it says
//                       so (workload::has_stackful) and its stackful cases are
//                       skipped
// Each returns a checksum of what the task really did. Summed over all tasks
// it must be the same under every model: that is how "identical work" is
// checked rather than assumed.

// Asio's io_context differs in layout with and without io_uring: a unit
// built without the flag that simul_tasks sets would break the One Definition
// Rule silently (it did once, as a crash at exit), so it is refused here.
#ifndef BOOST_ASIO_HAS_IO_URING
#error "link the CMake target simul_tasks: Asio must be built with BOOST_ASIO_HAS_IO_URING everywhere"
#endif

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace simul {

using clock = std::chrono::steady_clock;

// The coroutine colour runs on an io_context, so its executor is named as
// io_context's own rather than the type-erased any_io_executor, and IO objects
// (timers, sockets) are declared with it. A skilled Asio user does this where
// the executor is known: every handler then stores a pointer, not a
// polymorphic wrapper, and nothing is dispatched through a vtable. Tasks
// co_await operations with asio::deferred, which awaits the operation in
// place; use_awaitable wraps each in a coroutine frame of its own. Measured
// with variants of the bare loop (bench/baselines/coroutine_loop/sleep.cpp,
// 1,000,000 coroutines that wait on a timer and return nothing), resident
// memory per task: 688 B typed with deferred, 816 B typed with use_awaitable,
// 1,072 B any_io_executor with deferred, 1,200 B with both defaults.
using executor = boost::asio::io_context::executor_type;
template <class T>
using awaitable = boost::asio::awaitable<T, executor>;
using steady_timer = boost::asio::steady_timer::rebind_executor<executor>::other;
// The stackful colour's handle on its coroutine, on the same typed executor.
using yield_context = boost::asio::basic_yield_context<executor>;

class task_source {
public:
    virtual ~task_source() = default;

    virtual std::size_t size() const = 0;

    // Run task i with blocking calls on the calling thread. Throws on failure.
    virtual std::uint64_t blocking(std::size_t i) = 0;

    // Run task i as a coroutine on the calling coroutine's executor.
    virtual awaitable<std::uint64_t> async(std::size_t i) = 0;

    // Run task i on the calling stackful coroutine, suspending through
    // `yield`. The default is for workloads without this colour, whose
    // stackful cases the harness skips before they run.
    virtual std::uint64_t stackful(std::size_t /*i*/, yield_context /*yield*/) {
        throw std::logic_error("no stackful colour: the workload's tasks do not override stackful()");
    }
};

// Checksums are summed modulo 2^52 so the total fits a double exactly
// (Google Benchmark stores counters as doubles).
inline constexpr std::uint64_t checksum_mask = (std::uint64_t{1} << 52) - 1;

}  // namespace simul
