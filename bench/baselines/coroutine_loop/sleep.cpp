// The bare coroutine loop: one io_context on one thread; a coroutine spawns
// N coroutines, each waits D on a steady_timer and returns its checksum.
// Usage: bare-coroutine_loop-sleep TASKS WAIT_MS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

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

asio::awaitable<void, executor> spawn_all(std::uint64_t n, std::chrono::milliseconds wait, std::uint64_t& sum) {
    const auto ex = co_await asio::this_coro::executor;
    for (std::uint64_t i = 0; i < n; ++i)
        asio::co_spawn(ex, sleeper(i, wait), [&sum](std::exception_ptr, std::uint64_t v) { sum += v; });
}

int main(int argc, char** argv) {
    const auto n = simul::bare::arg(argc, argv, 1, "TASKS WAIT_MS");
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, "TASKS WAIT_MS"));
    asio::io_context io(1);
    std::uint64_t sum = 0;
    simul::bare::run run;
    asio::co_spawn(io, spawn_all(n, wait, sum), asio::detached);
    io.run();
    run.print("coroutine_loop", "sleep", n, n, sum);
}
