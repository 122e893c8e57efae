// simul-switch-cost: what one suspension and resumption costs, measured the
// same way for a C++20 (stackless) coroutine and a stackful one, on one
// io_context(1) on one thread, as the loops run them.
//
//   loop/*  a task yields to the loop and is resumed by it: co_await
//           asio::post(deferred) against asio::post(yield). The loop's own
//           work (a handler queued and run) is in both: this is what a wait
//           that is already over costs each kind.
//   bare/*  the switch alone, with no loop: std::coroutine_handle::resume
//           against a Boost.Context fiber's resume, each to a body that
//           suspends at once.
#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>

#include <coroutine>
#include <cstdint>

namespace asio = boost::asio;
using executor = asio::io_context::executor_type;

namespace {

constexpr std::int64_t yields = 100'000;  // per benchmark iteration

asio::awaitable<void, executor> stackless_yields(std::int64_t n) {
    const auto ex = co_await asio::this_coro::executor;
    for (std::int64_t k = 0; k < n; ++k) co_await asio::post(ex, asio::deferred);
}

void loop_stackless(benchmark::State& state) {
    for (auto _ : state) {
        asio::io_context io(1);
        asio::co_spawn(io, stackless_yields(yields), asio::detached);
        io.run();
    }
    state.counters["ns_per_switch"] = benchmark::Counter(double(yields) * double(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void loop_stackful(benchmark::State& state) {
    for (auto _ : state) {
        asio::io_context io(1);
        asio::spawn(
            io.get_executor(), std::allocator_arg, boost::context::fixedsize_stack(64 << 10),
            [](asio::basic_yield_context<executor> yield) {
                for (std::int64_t k = 0; k < yields; ++k) asio::post(yield.get_executor(), yield);
            },
            asio::detached);
        io.run();
    }
    state.counters["ns_per_switch"] = benchmark::Counter(double(yields) * double(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// A coroutine that suspends forever, resumed from outside: one switch in and
// one out per resume().
struct forever {
    struct promise_type {
        forever get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() {}
    };
    std::coroutine_handle<promise_type> handle;
};

forever suspend_each_time() {
    for (;;) co_await std::suspend_always{};
}

void bare_stackless(benchmark::State& state) {
    auto c = suspend_each_time();
    for (auto _ : state)
        for (std::int64_t k = 0; k < yields; ++k) c.handle.resume();
    c.handle.destroy();
    state.counters["ns_per_switch"] = benchmark::Counter(double(yields) * double(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bare_stackful(benchmark::State& state) {
    namespace ctx = boost::context;
    bool done = false;
    ctx::fiber f(std::allocator_arg, ctx::fixedsize_stack(64 << 10), [&done](ctx::fiber&& caller) {
        while (!done) caller = std::move(caller).resume();
        return std::move(caller);
    });
    for (auto _ : state)
        for (std::int64_t k = 0; k < yields; ++k) f = std::move(f).resume();
    done = true;
    f = std::move(f).resume();  // lets the fiber return, so its stack is freed
    state.counters["ns_per_switch"] = benchmark::Counter(double(yields) * double(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(loop_stackless)->Name("switch/loop/stackless")->Unit(benchmark::kMillisecond);
BENCHMARK(loop_stackful)->Name("switch/loop/stackful")->Unit(benchmark::kMillisecond);
BENCHMARK(bare_stackless)->Name("switch/bare/stackless")->Unit(benchmark::kMillisecond);
BENCHMARK(bare_stackful)->Name("switch/bare/stackful")->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
