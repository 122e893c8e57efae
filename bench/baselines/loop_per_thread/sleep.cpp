// The bare loop per thread (simul's coroutine_loop:P): P threads, each running
// an io_context(1) of its own. Loop k spawns tasks k, k + P, k + 2P, ... (the
// tasks dealt in turn), each waits D on a steady_timer and returns its
// checksum; nothing crosses between the loops but the final sum.
// Usage: bare-loop_per_thread-sleep TASKS WAIT_MS THREADS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <deque>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using executor = asio::io_context::executor_type;
using timer = asio::steady_timer::rebind_executor<executor>::other;

// Like simul's sleep task, it checks that it did not wake early.
asio::awaitable<std::uint64_t, executor> sleeper(std::uint64_t i, std::chrono::milliseconds wait) {
    const auto begun = std::chrono::steady_clock::now();
    timer t(co_await asio::this_coro::executor, wait);
    co_await t.async_wait(asio::deferred);
    co_return std::chrono::steady_clock::now() - begun >= wait ? simul::mix64(i) : 0;
}

asio::awaitable<void, executor> spawn_share(std::uint64_t k, std::uint64_t p, std::uint64_t n,
                                            std::chrono::milliseconds wait, std::uint64_t& sum) {
    const auto ex = co_await asio::this_coro::executor;
    for (std::uint64_t i = k; i < n; i += p)
        asio::co_spawn(ex, sleeper(i, wait), [&sum](std::exception_ptr, std::uint64_t v) { sum += v; });
}

int main(int argc, char** argv) {
    const char* usage = "TASKS WAIT_MS THREADS";
    const auto n = simul::bare::arg(argc, argv, 1, usage), p = simul::bare::arg(argc, argv, 3, usage);
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, usage));
    std::deque<asio::io_context> loops;  // io_context cannot move
    std::vector<std::uint64_t> sums(p);  // loop k's, touched by its thread only
    for (std::uint64_t k = 0; k < p; ++k) loops.emplace_back(1);
    simul::bare::run run;
    for (std::uint64_t k = 0; k < p; ++k) asio::co_spawn(loops[k], spawn_share(k, p, n, wait, sums[k]), asio::detached);
    {
        std::vector<std::jthread> others;
        for (std::uint64_t k = 1; k < p; ++k) others.emplace_back([&loops, k] { loops[k].run(); });
        loops[0].run();  // this thread is loop 0
    }                    // joins
    std::uint64_t sum = 0;
    for (const auto s : sums) sum += s;
    run.print("loop_per_thread", "sleep", n, n, sum);
}
