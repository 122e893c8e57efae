// The bare shared loop: one io_context run by P threads (this one and P - 1
// more), so any thread resumes any coroutine; a coroutine spawns N
// coroutines, each waits D on a steady_timer and returns its checksum.
// Usage: bare-shared_loop-sleep TASKS WAIT_MS THREADS
#include "bench/baselines/bare.hpp"
#include "support/mix64.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
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

// The sum is atomic: completions run on whichever thread is free.
asio::awaitable<void, executor> spawn_all(std::uint64_t n, std::chrono::milliseconds wait,
                                          std::atomic<std::uint64_t>& sum) {
    const auto ex = co_await asio::this_coro::executor;
    for (std::uint64_t i = 0; i < n; ++i)
        asio::co_spawn(ex, sleeper(i, wait), [&sum](std::exception_ptr, std::uint64_t v) { sum += v; });
}

int main(int argc, char** argv) {
    const char* usage = "TASKS WAIT_MS THREADS";
    const auto n = simul::bare::arg(argc, argv, 1, usage), p = simul::bare::arg(argc, argv, 3, usage);
    const std::chrono::milliseconds wait(simul::bare::arg(argc, argv, 2, usage));
    asio::io_context io{static_cast<int>(p)};  // the hint: this many threads run it
    std::atomic<std::uint64_t> sum{0};
    simul::bare::run run;
    asio::co_spawn(io, spawn_all(n, wait, sum), asio::detached);
    {
        std::vector<std::jthread> others;
        for (std::uint64_t k = 1; k < p; ++k) others.emplace_back([&io] { io.run(); });
        io.run();
    }  // joins
    run.print("shared_loop", "sleep", n, n, sum);
}
