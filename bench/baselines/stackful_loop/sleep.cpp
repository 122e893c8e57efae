// The bare stackful loop: one io_context on one thread; a handler on it
// makes N coroutines with asio::spawn, each on a 64 KiB stack from malloc
// (Boost.Context's fixedsize_stack, what simul's stackful_loop uses by
// default), and each waits D on a steady_timer and returns its checksum.
// Usage: bare-stackful_loop-sleep TASKS WAIT_MS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/fixedsize_stack.hpp>

namespace asio = boost::asio;
using executor = asio::io_context::executor_type;
using timer = asio::steady_timer::rebind_executor<executor>::other;

// Like simul's sleep task, it checks that it did not wake early.
std::uint64_t sleeper(std::uint64_t i, std::chrono::milliseconds wait, asio::basic_yield_context<executor> yield) {
    const auto begun = std::chrono::steady_clock::now();
    timer t(yield.get_executor(), wait);
    t.async_wait(yield);
    return std::chrono::steady_clock::now() - begun >= wait ? simul::mix64(i) : 0;
}

int main(int argc, char** argv) {
    const auto n = simul::bare::arg(argc, argv, 1, "TASKS WAIT_MS");
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, "TASKS WAIT_MS"));
    asio::io_context io(1);
    std::uint64_t sum = 0;
    simul::bare::run run;
    // The tasks are spawned from inside the loop, as the other bare loops do:
    // each then runs at once to its first wait. Spawned from main before
    // run(), each start waited in the loop's queue: 100,000 sleeps took 0.61
    // to 0.82 s against 0.56 to 0.70, and 5,389 B a task against 5,269
    // (docs/MEASUREMENTS.md).
    asio::post(io, [&] {
        for (std::uint64_t i = 0; i < n; ++i)
            asio::spawn(
                io.get_executor(), std::allocator_arg, boost::context::fixedsize_stack(64 << 10),
                [i, wait](asio::basic_yield_context<executor> yield) { return sleeper(i, wait, yield); },
                [&sum](std::exception_ptr, std::uint64_t v) { sum += v; });
    });
    io.run();
    run.print("stackful_loop", "sleep", n, n, sum);
}
